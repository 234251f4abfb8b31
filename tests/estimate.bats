#!/usr/bin/env bats
# Cost before a job runs (issue 17): soca-submit --estimate prints the
# projected cost item by item (nodes x the type's hourly price x walltime,
# root and scratch volumes by their GB-month price, an FSx for Lustre file
# system by its deployment type's), stores no job, and the
# same figure is recorded with every submitted job (soca-stat -o estimate).
# Prices from awsim's Price List API and Spot price history.

load lib/helper
load lib/jobs
load lib/awsim

AMI=ami-0a1b2c3d4e5f60001

setup_file() {
	awsim_start
}

teardown_file() {
	awsim_stop
}

setup() {
	soca_test_env
	awsim_reset
	export SOCA_AWS_BACKOFF_SCALE=0
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	{
		printf '[cluster]\nname = t1\nprovider = aws\ndispatch = cron\n'
		printf '[aws]\nami = %s\ndryrun = no\n' "$AMI"
		printf '[queue "normal"]\ninstance_type = c5.large\n'
		printf '[queue "long"]\ninstance_type = m5.xlarge\nwalltime = 2h\n'
	} >"$SOCA_CONF"
}

@test "--estimate: nodes x price x walltime plus volumes, the arithmetic of the prices; no job stored" {
	run soca-submit --estimate --json -l nodes=2,walltime=1:30:00,root_size=40,scratch_size=100,scratch_iops=3000 -- true
	assert_success
	run jq -r '"\(.item) \(.quantity) \(.unit) \(.usd_per_unit) \(.usd)"' <<<"$output"
	# c5.large 0.085/h; gp3 0.08 and io2 0.125 per GB-month of 730 h
	assert_line 'instances 3 instance-hours 0.085 0.255'
	assert_line --regexp '^root volume 120 GiB-hours 0\.000109589[0-9]* 0\.0132$'
	assert_line --regexp '^scratch volume 300 GiB-hours 0\.000171232[0-9]* 0\.0514$'
	assert_line 'total null null null 0.3195'
	# nothing stored, nothing launched
	run soca-stat -x -n
	assert_output ''
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	run soca-submit --estimate -- true
	assert_success
	assert_line --regexp '^instances +1 x c5\.large, On-Demand +1 +instance-hours +0\.085 +0\.085$'
	assert_line --regexp '^total +per hour: the job and its queue set no walltime .* 0\.085$'
}

@test "--estimate: -l fsx_lustre adds its size x its deployment type's (and throughput's) GB-month price; an existing fs- costs the job nothing" {
	# awsim's AmazonFSx: Scratch_2 0.14, Persistent_1 at 100 MB/s/TiB 0.21,
	# Persistent_2 at 125 (its default) 0.145 per GB-month of 730 h
	run soca-submit --estimate --json -l fsx_lustre=yes,walltime=2h -- true
	assert_success
	run jq -r 'select(.item == "fsx_lustre") | "\(.what)|\(.quantity)|\(.unit)|\(.usd_per_unit)|\(.usd)"' <<<"$output"
	assert_output --regexp '^1200 GiB SCRATCH_2\|2400\|GiB-hours\|0\.000191780[0-9]*\|0\.4603$'
	run soca-submit --estimate --json -l fsx_lustre=yes,fsx_lustre_deployment_type=persistent_1,fsx_lustre_size=4800,fsx_lustre_per_unit_throughput=100,walltime=1:30:00 -- true
	assert_success
	# 4800 x 1.5 x 0.21 / 730 = 2.0712; c5.large 1.5 x 0.085 = 0.1275
	[ "$(jq -r 'select(.item == "fsx_lustre") | "\(.what) \(.quantity) \(.usd)"' <<<"$output")" = "4800 GiB PERSISTENT_1, 100 MB/s/TiB 7200 2.0712" ]
	[ "$(jq -r 'select(.item == "total") | .usd' <<<"$output")" = 2.1987 ]
	run soca-submit --estimate --json -l fsx_lustre=yes,fsx_lustre_deployment_type=PERSISTENT_2,walltime=1h -- true
	assert_success
	[ "$(jq -r 'select(.item == "fsx_lustre") | "\(.what) \(.usd)"' <<<"$output")" = "1200 GiB PERSISTENT_2, 125 MB/s/TiB 0.2384" ]
	[ "$(awsim_requests pricing:GetProducts | jq -c 'select(.ServiceCode == "AmazonFSx") | [.Filters[] | "\(.Field)=\(.Value)"]' | tail -n 1)" = '["regionCode=us-east-1","fileSystemType=Lustre","deploymentOption=Persistent_2","storageType=SSD","throughputCapacity=125"]' ]
	# the price cache: asked again, the Price List is not
	n=$(awsim_calls pricing:GetProducts)
	run soca-submit --estimate -l fsx_lustre=yes,fsx_lustre_deployment_type=PERSISTENT_2,walltime=1h -- true
	assert_success
	[ "$(awsim_calls pricing:GetProducts)" = "$n" ]
	jq -e '.list["AmazonFSx fileSystemType=Lustre deploymentOption=Persistent_2 storageType=SSD throughputCapacity=125"].usd == 0.145' "$(spool_dir)/cost/prices.json"
	# an existing file system: a row that says so, at 0
	run soca-submit --estimate --json -l fsx_lustre=fs-0123456789abcdef0,walltime=1h -- true
	assert_success
	[ "$(jq -r 'select(.item == "fsx_lustre") | "\(.what) \(.usd)"' <<<"$output")" = "fs-0123456789abcdef0: an existing file system, not the job's to pay for 0" ]
	[ "$(jq -r 'select(.item == "total") | .usd' <<<"$output")" = 0.085 ]
	# the recorded estimate and max_cost take the file system in: 0.4603 + 0.17
	refused 'the job'"'"'s estimate $0.6303 (for its walltime) is more than its max_cost $0.60' \
		-l fsx_lustre=yes,walltime=2h,max_cost=0.60 -- true
	run soca-submit -l fsx_lustre=yes,walltime=2h,max_cost=0.64 -- true
	assert_success
	run soca-stat -n -o estimate 1
	assert_output 0.6303
}

@test "--estimate: the queue's walltime counts; Spot uses the highest AZ's price" {
	run soca-submit --estimate --json -q long -- true
	assert_success
	[ "$(jq -r 'select(.item == "total") | "\(.what) \(.usd)"' <<<"$output")" = "for a walltime of 2 h 0.384" ]
	hi=$(soca-aws ec2 DescribeSpotPriceHistory InstanceType.1=c5.large ProductDescription.1=Linux/UNIX |
		jq '[.spotPriceHistorySet[] | .spotPrice | tonumber] | max')
	run soca-submit --estimate --json -l spot_price=auto,walltime=1h -- true
	assert_success
	[ "$(jq -r 'select(.item == "instances") | "\(.what) \(.usd_per_unit)"' <<<"$output")" = "1 x c5.large, Spot (highest AZ) $hi" ]
}

@test "a submitted job records its estimate; soca-stat -o estimate and -f show it" {
	run soca-submit -l nodes=3,walltime=2h -- true
	assert_success
	run soca-stat -n -o id,estimate 1
	assert_output --regexp '^ *1 +0\.51$'
	run soca-stat -f 1
	assert_line 'estimate=0.5100'
}

@test "--estimate: local provider costs nothing; bad input exit 2; no price exit 3" {
	run soca-submit --json -- true
	assert_failure 2
	assert_output --partial '--json goes with --estimate'
	run soca-submit --estimate -l instance_type=c5.nope -- true
	assert_failure 2
	assert_output --partial 'c5.nope'
	assert_output --partial 'check the instance type'
	awsim_ctl POST faults '{"op": "pricing:GetProducts", "kind": "throttle"}' >/dev/null
	run soca-submit --estimate -l instance_type=m5.large -- true
	assert_failure 3
	assert_output --partial 'cannot estimate the job'"'"'s cost'
	# a submission still goes through, without an estimate
	run soca-submit -l instance_type=m5.large -- true
	assert_success
	run soca-stat -n -o estimate 1
	[ "$output" = - ]
	sed -i 's/^provider = aws/provider = local/' "$SOCA_CONF"
	run soca-submit --estimate -- true
	assert_success
	assert_output '0 USD: provider = local, the job runs on this host'
}

@test "-l max_cost: a positive amount in cents at most, recorded, shown by soca-stat -o, -f and -J" {
	for bad in 1.234 0 0.00 abc -5 1. .5; do
		refused "bad value \"$bad\"" -l "max_cost=$bad" -- true
		assert_output --partial 'an amount in USD above 0 with at most cents'
		assert_output --partial 'fix: -l max_cost=VALUE'
	done
	run soca-submit -l max_cost=12.5,walltime=1h -- true
	assert_success
	run soca-stat -n -o id,max_cost 1
	assert_output --regexp '^ *1 +12\.5$'
	run soca-stat -f 1
	assert_line 'res=max_cost=12.5'
	run soca-stat -J -o max_cost 1
	assert_output '{"max_cost":12.5}'
	# soca-alter changes it like any -l key, and checks it the same way
	run soca-alter -l max_cost=3 1
	assert_success
	run soca-stat -n -o max_cost 1
	assert_output 3
	run soca-alter -l max_cost=3.333 1
	assert_failure 2
	assert_output --partial 'bad value "3.333"'
	run soca-stat -n -o max_cost 1
	assert_output 3
}

@test "-l max_cost: refused at submission when the estimate is already more, with both figures; #PBS -l too" {
	# 3 x c5.large x 2 h = 0.51
	refused 'the job'"'"'s estimate $0.5100 (for its walltime) is more than its max_cost $0.50' \
		-l nodes=3,walltime=2h,max_cost=0.50 -- true
	assert_output --partial 'raise -l max_cost'
	printf '#PBS -l nodes=3\n#PBS -l walltime=2:00:00\n#PBS -l max_cost=0.50\ntrue\n' >"$HOME/job.sh"
	refused 'is more than its max_cost $0.50' "$HOME/job.sh"
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	# at the cap, or under it, it goes through
	run soca-submit -l nodes=3,walltime=2h,max_cost=0.51 -- true
	assert_success
	printf '#PBS -l nodes=3\n#PBS -l walltime=2:00:00\n#PBS -l max_cost=0.52\ntrue\n' >"$HOME/job.sh"
	run soca-submit "$HOME/job.sh"
	assert_success
	run soca-stat -n -o id,estimate,max_cost
	assert_line --regexp '^ *1 +0\.51 +0\.51$'
	assert_line --regexp '^ *2 +0\.51 +0\.52$'
	# soca-alter estimates the job anew: over its cap it is refused
	run soca-alter -l nodes=4 1
	assert_failure 2
	assert_output --partial 'the job'"'"'s estimate $0.6800 (for its walltime) is more than its max_cost $0.51'
	run soca-alter -l walltime=1h 1
	assert_success
	run soca-stat -n -o id,nodes,estimate 1
	assert_output --regexp '^ *1 +3 +0\.255$'
}

@test "[queue] max_cost_limit: no job asks more; a job that asks none is capped by it" {
	printf 'max_cost_limit = 2\n' >>"$SOCA_CONF"	# the "long" queue
	refused 'resource max_cost=2.01: more than queue "long"'"'"'s max_cost_limit 2 (ask for at most -l max_cost=2' \
		-q long -l max_cost=2.01 -- true
	run soca-submit -q long -- true
	assert_success
	run soca-stat -n -o max_cost 1
	assert_output 2
	run soca-alter -l max_cost=5 1
	assert_failure 2
	assert_output --partial 'max_cost_limit 2'
	# the queue's own default above its limit is a configuration error
	printf 'max_cost = 3\n' >>"$SOCA_CONF"
	run soca-config check
	assert_failure 2
	assert_output --partial 'queue "long": max_cost 3 is more than max_cost_limit 2'
}

@test "the reaper stops a running job once its cost so far reaches max_cost; a job under its cap runs on" {
	sed -i 's/^provider = aws/provider = local/; s/^dispatch = cron/dispatch = immediate/' "$SOCA_CONF"
	# p4d.24xlarge at 32.7726 $/h (awsim's Price List): $0.05 after 5.49 s
	run soca-submit -l instance_type=p4d.24xlarge,max_cost=0.05 -- sleep 30
	assert_success
	run soca-submit -l instance_type=p4d.24xlarge,max_cost=100 -- sleep 30
	assert_success
	wait_state 1 running 20
	wait_state 2 running 20
	start=$(soca-stat -n -o start 1)
	# the reaper's clock, 5 s after the start: $0.0455, under the cap
	SOCA_NOW=$((start + 5)) run soca-node-down
	assert_success
	refute_output --partial 'cost cap'
	run soca-stat -n -o state,reason 1
	assert_output --regexp '^running +-$'
	# its next cycle, 6 s after: $0.0546, the cap is reached
	SOCA_NOW=$((start + 6)) run soca-node-down
	assert_success
	assert_output '1 running cost cap reached: stopping (max_cost 0.05)'
	wait_state 1 failed 30
	run soca-stat -n -o exit,reason 1
	assert_output --regexp '^ *143 +cost cap reached \(killed by signal 15\)$'
	run soca-stat -f 1
	assert_line 'stop=cost cap reached'
	# the other one, $0.0546 of $100 so far, is left alone
	run soca-stat -n -o state,reason 2
	assert_output --regexp '^running +-$'
	SOCA_NOW=$((start + 6)) run soca-node-down
	assert_output ''
	soca-del 2
	wait_state 2 cancelled 30
}

@test "[queue] budget_counts_queued: a project cannot queue more than its remaining budget" {
	{
		printf 'budget_counts_queued = yes\n'	# the "long" queue
		printf '[budget]\naccount_id = 123456789012\n'
		printf '[project "cfd"]\nlimit = 1.00\n'
	} >>"$SOCA_CONF"
	# 3 x m5.xlarge x 1 h = 0.576, then 0.384: 0.96 of 1.00
	run soca-submit -q long -P cfd -l nodes=3,walltime=1h -- true
	assert_success
	run soca-submit -q long -P cfd -- true
	assert_success
	# $0.12 more would pass the limit: refused, with the figures
	refused_n=$(soca-stat -n | wc -l)
	run soca-submit -q long -P cfd -l walltime=00:37:30 -- true
	assert_failure 2
	assert_output --partial 'budget exceeded: project cfd: $0.00 spent + $0.96 estimated for its 2 queued and running jobs + $0.12 for this one = $1.08, over its limit $1.00 (queue "long" has budget_counts_queued = yes)'
	[ "$(soca-stat -n | wc -l)" = "$refused_n" ]
	# what fits goes through: 0.96 + 0.0384
	run soca-submit -q long -P cfd -l walltime=00:12:00 -- true
	assert_success
	# cancelled jobs count no more
	soca-del 1
	run soca-submit -q long -P cfd -l walltime=00:37:30 -- true
	assert_success
	# a queue without the option checks the spend alone
	run soca-submit -q normal -P cfd -l nodes=10,walltime=2h -- true
	assert_success
}
