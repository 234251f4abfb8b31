#!/usr/bin/env bats
# ec2.bats: the aws provider against awsim (every request signature-checked
# and validated against botocore's model): one RunInstances per job with
# its tags and ClientToken, no double launch after a crash, capacity and
# invalid-parameter errors, throttling, the reaper's sweep (ended jobs,
# orphans, earlier attempts, boot_timeout, Spot interruption) and
# soca-node-ls.

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
	export SOCA_AWS_BACKOFF_SCALE=0	# test-only: no waiting between retries
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	aws_conf
}

# aws_conf [EXTRA [aws] LINES...]: DryRun and the launch bucket off unless
# asked
aws_conf() {
	{
		printf '[cluster]\nname = t1\nprovider = aws\ndispatch = cron\n'
		printf '[aws]\nami = %s\n' "$AMI"
		case "$*" in *dryrun*) ;; *) echo 'dryrun = no' ;; esac
		case "$*" in *launch_rate*) ;; *) echo 'launch_rate = 0' ;; esac
		printf '%s\n' "$@"
		printf '[queue "normal"]\ninstance_type = c5.large\n'
		printf '[queue "forever"]\ninstance_type = c5.large\n'
		printf 'keep_forever = yes\n'
	} >"$SOCA_CONF"
}

# state_json: awsim's instances
instances() {
	awsim_ctl GET state | jq -c '.instances[]'
}

@test "a job gets one RunInstances with MinCount = MaxCount, its tags and token" {
	run soca-submit -N my_job -l nodes=3 -l spot_price=0.5 \
	    -l scratch_size=20 -l scratch_iops=3000 <<<'true'
	assert_success
	assert_output 1
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	run soca-node-up -v
	assert_success
	assert_output "1 job launched"
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]
	[ "$(awsim_calls ec2:CreateTags)" = 0 ]
	[ "$(awsim_calls ec2:DescribeInstances)" = 0 ]
	run instances
	[ "${#lines[@]}" = 3 ]
	[ "$(jq -r .ClientToken <<<"${lines[0]}")" = soca-t1-1-0 ]
	[ "$(jq -r .InstanceType <<<"${lines[0]}")" = c5.large ]
	[ "$(jq -r .Lifecycle <<<"${lines[0]}")" = spot ]
	tags=$(jq -c .Tags <<<"${lines[2]}")
	[ "$(jq -r '."soca:ClusterId"' <<<"$tags")" = t1 ]
	[ "$(jq -r '."soca:JobId"' <<<"$tags")" = 1 ]
	[ "$(jq -r '."soca:JobName"' <<<"$tags")" = my_job ]
	[ "$(jq -r '."soca:JobOwner"' <<<"$tags")" = "$(id -un)" ]
	[ "$(jq -r '."soca:JobQueue"' <<<"$tags")" = normal ]
	[ "$(jq -r '."soca:JobProject"' <<<"$tags")" != null ]
	[ "$(jq -r '."soca:NodeType"' <<<"$tags")" = compute_node ]
	[ "$(jq -r '."soca:KeepForever"' <<<"$tags")" = false ]
	[ "$(jq -r '."soca:TerminateWhenIdle"' <<<"$tags")" = 0 ]
	[ "$(jq -r .Name <<<"$tags")" = soca-t1-job1 ]
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1}' ]
	run soca-stat -n -o state 1
	assert_output provisioning
	run cat "$(spool_dir)/aws/1"
	assert_line "attempt 0"
	assert_line "launched 1"
	[ "$(grep -c '^instance i-' "$(spool_dir)/aws/1")" = 3 ]
	# a second cycle launches nothing more
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]
}

@test "resources map to the request: subnet, ht, EBS, profile, extra tags" {
	aws_conf 'extra_tags = CostCenter=42,Team=hpc' \
	    'subnet_ids = subnet-0b00000000000000b' 'key_name = k1'
	soca-submit -l root_size=40 -l ht_support=yes -l keep_ebs=yes \
	    -l instance_type=c5.xlarge <<<'true'
	soca-node-up
	run instances
	[ "${#lines[@]}" = 1 ]
	[ "$(jq -r .SubnetId <<<"$output")" = subnet-0b00000000000000b ]
	[ "$(jq -r .InstanceType <<<"$output")" = c5.xlarge ]
	[ "$(jq -r .Tags.CostCenter <<<"$output")" = 42 ]
	[ "$(jq -r .Tags.Team <<<"$output")" = hpc ]
	[ "$(jq -r .Lifecycle <<<"$output")" = null ]
}

@test "a crash between RunInstances and the spool launches nothing twice" {
	soca-submit -l nodes=2 <<<'true'
	SOCA_CRASH_AT=aws-after-run run soca-node-up
	[ "$status" -ne 0 ]
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]
	run cat "$(spool_dir)/aws/1"
	refute_line "launched 1"
	# the job is requeued (say, by an admin or the reaper) and rerun:
	# the same token comes back with the same reservation
	mv "$(spool_dir)/provisioning/1" "$(spool_dir)/queued/1"
	run soca-node-up -v
	assert_output "1 job launched"
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1}' ]
	[ "$(awsim_ctl GET launches | jq .instances)" = 2 ]
	[ "$(grep -c '^instance i-' "$(spool_dir)/aws/1")" = 2 ]
	# the reaper keeps those instances: they are the job's
	run soca-node-down
	assert_success
	[ "$(instances | jq -r .State | sort -u)" = pending ]
}

@test "a retry after a timeout carries the same token" {
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"drop","count":1}' >/dev/null
	soca-submit <<<'true'
	run soca-node-up -v
	assert_output "1 job launched"
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1}' ]
}

@test "capacity error: held with the reason, launched once the fault clears" {
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"capacity","instance_type":"c5.large"}' >/dev/null
	soca-submit <<<'true'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial queued
	assert_output --partial "capacity: InsufficientInstanceCapacity: We currently do not have sufficient c5.large capacity"
	[ "$(instances | wc -l)" = 0 ]
	# a 500: standard mode retries it (same token), once per cycle
	[ "$(awsim_calls ec2:RunInstances)" = 3 ]
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 6 ]
	awsim_ctl DELETE faults >/dev/null
	soca-node-up
	run soca-stat -n -o state 1
	assert_output provisioning
	[ "$(instances | wc -l)" = 1 ]
}

@test "vCPU limit: held with VcpuLimitExceeded, all or nothing" {
	awsim_ctl POST limits '{"vcpus": 4}' >/dev/null
	soca-submit -l nodes=3 <<<'true'
	soca-node-up
	run soca-stat -n -o reason 1
	assert_output --partial "capacity: VcpuLimitExceeded"
	[ "$(instances | wc -l)" = 0 ]
}

@test "an invalid AMI fails the job with AWS's message" {
	soca-submit -l instance_ami=ami-0123456789abcdef9 <<<'true'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial failed
	assert_output --partial "aws: InvalidAMIID.NotFound: The image id '[ami-0123456789abcdef9]' does not exist"
}

@test "throttling: retried, then the cycle stops early" {
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"throttle","count":2}' >/dev/null
	soca-submit <<<'true'
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 3 ]
	run soca-stat -n -o state 1
	assert_output provisioning
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"throttle"}' >/dev/null
	for i in 1 2 3 4 5; do soca-submit <<<'true' >/dev/null; done
	soca-node-up
	# job 2 used its 3 attempts; jobs 3..6 were not tried this cycle
	[ "$(awsim_calls ec2:RunInstances)" = 6 ]
	run soca-stat -n -o reason 2
	assert_output --partial "RequestLimitExceeded"
	run soca-stat -n -o reason 3
	assert_output --partial "launching stopped this cycle"
	awsim_ctl DELETE faults >/dev/null
	soca-node-up
	[ "$(spool_count provisioning)" = 6 ]
}

@test "launch workers: launches overlap; launch_workers = 1 launches in turn" {
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"latency","latency_ms":500}' >/dev/null
	for i in $(seq 1 12); do soca-submit <<<'true' >/dev/null; done
	start=$(date +%s%N)
	run soca-node-up -v
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_success
	assert_output "12 jobs launched"
	[ "$(awsim_calls ec2:RunInstances)" = 12 ]
	[ "$(awsim_ctl GET launches | jq '[.by_token[]] | length')" = 12 ]
	# one at a time would take 6 s; slow start sends 1, 2, 4, 5
	echo "12 launches of 500 ms each: $ms ms" >&3
	[ "$ms" -lt 5000 ]
	# launch_workers = 1: in turn
	awsim_reset
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"latency","latency_ms":200}' >/dev/null
	aws_conf 'launch_workers = 1'
	for i in $(seq 1 5); do soca-submit <<<'true' >/dev/null; done
	start=$(date +%s%N)
	soca-node-up
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 1000 ]
	[ "$(spool_count provisioning)" = 17 ]
}

@test "launch workers: throttling in mid-run stops new launches" {
	# 20 calls get through, then every call is throttled
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"bucket","burst":20,"refill":0}' >/dev/null
	for i in $(seq 1 60); do soca-submit <<<'true' >/dev/null; done
	soca-node-up
	[ "$(spool_count provisioning)" = 20 ]
	[ "$(spool_count queued)" = 40 ]
	# at most the launches in flight (8) met the throttling, 3 tries each
	calls=$(awsim_calls ec2:RunInstances)
	echo "RunInstances calls: $calls" >&3
	[ "$calls" -gt 20 ]
	[ "$calls" -le $((20 + 8 * 3)) ]
	run soca-stat -n -o reason 60
	assert_output --partial "launching stopped this cycle after RequestLimitExceeded"
	[ "$(awsim_ctl GET launches | jq '[.by_token[] | select(. > 1)] | length')" = 0 ]
	awsim_ctl DELETE faults >/dev/null
	soca-node-up
	[ "$(spool_count provisioning)" = 60 ]
}

@test "the reaper terminates ended jobs' instances and orphans, one sweep" {
	aws_conf 'orphan_grace = 0s'
	for i in 1 2 3 4; do soca-submit <<<'true' >/dev/null; done
	soca-submit -q forever <<<'true' >/dev/null
	soca-node-up
	[ "$(instances | wc -l)" = 5 ]
	soca-del 1 2
	# an orphan: our cluster tag, no job
	soca-aws ec2 RunInstances ImageId=$AMI InstanceType=c5.large \
	    MinCount=1 MaxCount=1 TagSpecification.1.ResourceType=instance \
	    TagSpecification.1.Tag.1.Key=soca:ClusterId \
	    TagSpecification.1.Tag.1.Value=t1 >/dev/null
	# another cluster's instance is not ours
	soca-aws ec2 RunInstances ImageId=$AMI InstanceType=c5.large \
	    MinCount=1 MaxCount=1 TagSpecification.1.ResourceType=instance \
	    TagSpecification.1.Tag.1.Key=soca:ClusterId \
	    TagSpecification.1.Tag.1.Value=other >/dev/null
	soca-del 5
	before=$(awsim_calls ec2:DescribeInstances)
	run soca-node-down
	assert_success
	[ "$(( $(awsim_calls ec2:DescribeInstances) - before ))" = 1 ]
	[ "$(awsim_calls ec2:TerminateInstances)" = 1 ]
	[ "$(grep -c ' terminate ' <<<"$output")" = 3 ]
	assert_output --partial "terminate job 1: cancelled"
	assert_output --partial "terminate job -: orphan"
	live=$(instances | jq -r 'select(.State == "pending") | .Tags."soca:JobId" // .Tags."soca:ClusterId"' | sort | paste -sd' ')
	[ "$live" = "3 4 5 other" ]
}

@test "orphans younger than orphan_grace are kept" {
	soca-aws ec2 RunInstances ImageId=$AMI InstanceType=c5.large \
	    MinCount=1 MaxCount=1 TagSpecification.1.ResourceType=instance \
	    TagSpecification.1.Tag.1.Key=soca:ClusterId \
	    TagSpecification.1.Tag.1.Value=t1 >/dev/null
	run soca-node-down
	assert_success
	[ "$(awsim_calls ec2:TerminateInstances)" = 0 ]
}

@test "boot_timeout: instances replaced, the job requeued with a new attempt" {
	aws_conf 'boot_timeout = 0s'
	soca-submit -l nodes=2 <<<'true'
	soca-node-up
	run soca-node-down
	assert_success
	assert_output --partial "1 queued requeued: instances did not register within boot_timeout"
	[ "$(instances | jq -r .State | sort -u)" = shutting-down ]
	soca-node-up
	run soca-stat -n -o state 1
	assert_output provisioning
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1,"soca-t1-1-1":1}' ]
}

@test "an instance gone while its job runs: requeued if rerunnable, else failed" {
	soca-submit -r y <<<'sleep 30' >/dev/null
	soca-submit -r n <<<'sleep 30' >/dev/null
	soca-node-up
	for id in $(instances | jq -r .InstanceId); do
		soca-aws ec2 TerminateInstances InstanceId.1="$id" >/dev/null
	done
	run soca-node-down
	assert_success
	assert_output --partial "1 queued requeued: node lost: instance i-"
	assert_output --partial "2 failed node lost: instance i-"
	soca-node-up
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1,"soca-t1-1-1":1,"soca-t1-2-0":1}' ]
}

@test "Spot interruption: notice in IMDS, then requeued (attempt + 1) if rerunnable, else failed" {
	soca-submit -r y -l spot_price=auto <<<'sleep 30' >/dev/null
	soca-submit -r n -l spot_price=auto <<<'sleep 30' >/dev/null
	soca-submit -r y -l spot_price=auto -l nodes=2 <<<'sleep 30' >/dev/null
	soca-node-up
	id1=$(instances | jq -r 'select(.Tags."soca:JobId" == "1") | .InstanceId')
	id2=$(instances | jq -r 'select(.Tags."soca:JobId" == "2") | .InstanceId')
	id3=$(instances | jq -r 'select(.Tags."soca:JobId" == "3") | .InstanceId' | head -1)
	for i in "$id1" "$id2" "$id3"; do
		awsim_ctl POST interrupt "{\"instance_id\": \"$i\"}" >/dev/null
	done
	# an On-Demand instance is never interrupted
	soca-submit <<<'true' >/dev/null
	soca-node-up
	od=$(instances | jq -r 'select(.Tags."soca:JobId" == "4") | .InstanceId')
	run awsim_ctl POST interrupt "{\"instance_id\": \"$od\"}"
	assert_failure
	assert_output --partial "not a Spot instance"
	# the two-minute notice: the node sees it, the instance still runs
	awsim_ctl POST imds "{\"instance_id\": \"$id1\"}" >/dev/null
	tok=$(curl -sS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$AWSIM_URL/latest/api/token")
	run curl -sS -H "X-aws-ec2-metadata-token: $tok" "$AWSIM_URL/latest/meta-data/spot/instance-action"
	assert_success
	[ "$(jq -r .action <<<"$output")" = terminate ]
	[ "$(jq -r .time <<<"$output")" = "$(awsim_ctl GET clock | jq -r '.now + 120 | todate')" ]
	run soca-node-down
	assert_success
	refute_output --partial "Spot interruption"
	[ "$(spool_count provisioning)" = 4 ]
	# two minutes later: shutting-down with EC2's reason
	awsim_advance 120
	[ "$(instances | jq -r "select(.InstanceId == \"$id1\") | .State + \" \" + .StateReason")" = "shutting-down Server.SpotInstanceTermination" ]
	run soca-aws ec2 DescribeInstances InstanceId.1="$id1"
	assert_output --partial "Server.SpotInstanceTermination: Spot instance termination"
	run soca-node-down
	assert_success
	assert_output --partial "1 queued requeued: Spot interruption: instance $id1 is shutting-down (Server.SpotInstanceTermination: Spot instance termination)"
	assert_output --partial "2 failed Spot interruption: instance $id2"
	assert_output --partial "3 queued requeued: Spot interruption: instance $id3"
	# the job's other node goes with it
	assert_output --partial "terminate job 3: its job lost a node"
	run soca-stat -n -o state,reason 1
	assert_output --partial "queued"
	assert_output --partial "requeued: Spot interruption: instance $id1"
	run soca-stat -n -o state,reason 2
	assert_output --partial "failed"
	assert_output --partial "Spot interruption: instance $id2"
	[ "$(instances | jq -r 'select(.Tags."soca:JobId" == "3") | .State' | sort -u)" = shutting-down ]
	# the next cycle relaunches 1 and 3 with attempt + 1; 2 is not retried
	soca-node-up
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1,"soca-t1-1-1":1,"soca-t1-2-0":1,"soca-t1-3-0":1,"soca-t1-3-1":1,"soca-t1-4-0":1}' ]
	run soca-stat -n -o state 1 3
	assert_output "$(printf 'provisioning\nprovisioning')"
	# once terminated, the instances are not reported again
	awsim_advance 30
	run soca-node-down
	assert_success
	refute_output --partial "Spot interruption"
	refute_output --partial "terminate"
}

@test "many jobs: one RunInstances each, one DescribeInstances per reaper cycle" {
	for i in $(seq 1 30); do soca-submit <<<'true' >/dev/null; done
	run soca-node-up -v
	assert_output "30 jobs launched"
	[ "$(awsim_calls ec2:RunInstances)" = 30 ]
	[ "$(awsim_calls ec2:DescribeInstances)" = 0 ]
	soca-node-down
	[ "$(awsim_calls ec2:DescribeInstances)" = 1 ]
	[ "$(awsim_calls ec2:TerminateInstances)" = 0 ]
}

@test "bad resources fail the job with one reason and call nothing" {
	printf '[cluster]\nname = t1\nprovider = aws\ndispatch = cron\n' >"$SOCA_CONF"
	printf '[queue "normal"]\n' >>"$SOCA_CONF"
	run soca-submit <<<'true'
	assert_failure 2
	assert_output "soca-submit: instance_type: not set; give -l instance_type=TYPE or set instance_type in [queue normal]"
	printf '[aws]\ndryrun = no\n' >>"$SOCA_CONF"
	soca-submit <<<'true'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial failed
	assert_output --partial "instance_type: not set"
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
}

@test "soca-node-ls: the cluster's instances from one sweep, filters, -J" {
	soca-submit -l nodes=2 <<<'true' >/dev/null
	soca-submit -q forever -l spot_price=auto <<<'true' >/dev/null
	soca-node-up
	before=$(awsim_calls ec2:DescribeInstances)
	run soca-node-ls
	assert_success
	[ "$(( $(awsim_calls ec2:DescribeInstances) - before ))" = 1 ]
	assert_line --index 0 --regexp '^INSTANCE +TYPE +STATE +JOB +OWNER +QUEUE +AZ +LAUNCHED +UPTIME +MARKET$'
	[ "${#lines[@]}" = 4 ]
	assert_line --regexp "^i-[0-9a-f]+ +c5.large +pending +1 +$(id -un) +normal +us-east-1a +20[0-9-]+T.* +[0-9]+:[0-9]{2}:[0-9]{2} +on-demand$"
	run soca-node-ls -J -q forever
	assert_success
	[ "$(jq -r .job <<<"$output")" = 2 ]
	[ "$(jq -r .market <<<"$output")" = spot ]
	run soca-node-ls -n -o id -j 1
	assert_success
	[ "${#lines[@]}" = 2 ]
	soca-del 1
	soca-node-down >/dev/null
	run soca-node-ls -n -o job,state -s shutting-down
	assert_success
	assert_output --regexp '^1 +shutting-down'
	run soca-node-ls -j 1
	assert_failure 1
	run soca-node-ls -s nosuch
	assert_failure 2
	assert_output --partial "-s nosuch: not an instance state"
	run soca-node-ls -j x
	assert_failure 2
	run soca-node-ls --help
	assert_success
	assert_output --partial "usage: soca-node-ls"
}

@test "soca-submit: DryRun refuses what AWS would, cached per parameter set" {
	aws_conf 'dryrun = yes'
	run soca-submit -l instance_ami=ami-0123456789abcdef9 <<<'true'
	assert_failure 2
	assert_output "soca-submit: AWS would refuse the launch: InvalidAMIID.NotFound: The image id '[ami-0123456789abcdef9]' does not exist"
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]
	[ "$(spool_count queued)" = 0 ]
	run soca-submit -l instance_type=c5.nosuch <<<'true'
	assert_failure 2
	assert_output --partial "InvalidParameterValue"
	# the same refusal again: from the cache, no call
	run soca-submit -l instance_ami=ami-0123456789abcdef9 <<<'true'
	assert_failure 2
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	# bulk submission: one DryRun for 20 jobs with the same parameters
	for i in $(seq 1 20); do soca-submit -N "j$i" <<<'true' >/dev/null; done
	[ "$(awsim_calls ec2:RunInstances)" = 3 ]
	[ "$(spool_count queued)" = 20 ]
	[ "$(awsim_ctl GET launches | jq .instances)" = 0 ]
	soca-submit -l nodes=2 <<<'true' >/dev/null
	[ "$(awsim_calls ec2:RunInstances)" = 4 ]
	# dryrun = no: nothing asked
	aws_conf
	soca-submit -l nodes=3 <<<'true' >/dev/null
	[ "$(awsim_calls ec2:RunInstances)" = 4 ]
}

@test "soca-submit: AWS unreachable queues the job with a warning" {
	aws_conf 'dryrun = yes'
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"error","status":503}' >/dev/null
	run soca-submit <<<'true'
	assert_success
	assert_line 1
	assert_output --partial "cannot ask AWS whether the launch would be allowed"
	[ "$(spool_count queued)" = 1 ]
}

lt() {
	soca-aws ec2 CreateLaunchTemplate LaunchTemplateName=soca-t1 \
	    LaunchTemplateData.ImageId=$AMI >/dev/null
}

@test "several types or a Spot mix: one CreateFleet instant, tagged" {
	lt
	aws_conf 'launch_template = soca-t1'
	soca-submit -l instance_type=c5.large+c5.xlarge -l nodes=2 <<<'true'
	soca-submit -l spot_allocation_count=1 -l nodes=3 \
	    -l spot_allocation_strategy=capacity-optimized <<<'true'
	run soca-node-up -v
	assert_output "2 jobs launched"
	[ "$(awsim_calls ec2:CreateFleet)" = 2 ]
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	[ "$(awsim_calls ec2:CreateTags)" = 0 ]
	[ "$(instances | jq -r 'select(.Tags."soca:JobId" == "1") | .InstanceType' | sort -u)" = c5.large ]
	[ "$(instances | jq -r 'select(.Tags."soca:JobId" == "2") | .Lifecycle' | sort | paste -sd' ')" = "null null spot" ]
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1,"soca-t1-2-0":1}' ]
	[ "$(grep -c '^instance i-' "$(spool_dir)/aws/2")" = 3 ]
	# the reaper keeps them while the jobs live
	run soca-node-down
	[ "$(awsim_calls ec2:TerminateInstances)" = 0 ]
}

@test "CreateFleet: the next type when the first has no capacity" {
	lt
	aws_conf 'launch_template = soca-t1'
	awsim_ctl POST faults '{"op":"ec2:CreateFleet","kind":"capacity","instance_type":"c5.large"}' >/dev/null
	soca-submit -l instance_type=c5.large+c5.xlarge <<<'true'
	soca-node-up
	[ "$(instances | jq -r .InstanceType)" = c5.xlarge ]
}

@test "CreateFleet short of nodes: what came is given back, the job held" {
	lt
	aws_conf 'launch_template = soca-t1'
	awsim_ctl POST limits '{"vcpus": 6}' >/dev/null
	soca-submit -l instance_type=c5.large+c5.xlarge -l nodes=4 <<<'true'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial queued
	assert_output --partial "capacity: CreateFleet gave 3 of 4 instances (given back): VcpuLimitExceeded"
	[ "$(instances | jq -r .State | sort -u)" = shutting-down ]
	[ "$(awsim_calls ec2:TerminateInstances)" = 1 ]
	awsim_ctl POST limits '{"vcpus": 10000}' >/dev/null
	soca-node-up
	run soca-stat -n -o state 1
	assert_output provisioning
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1,"soca-t1-1-1":1}' ]
}

@test "several types without [aws] launch_template: refused with the fix" {
	aws_conf 'dryrun = yes'
	run soca-submit -l instance_type=c5.large+c5.xlarge <<<'true'
	assert_failure 2
	assert_output --partial "needs [aws] launch_template"
}

@test "the launch bucket: a backlog drains at EC2's rate with no throttling" {
	# soca a little under EC2's rate, as an administrator sets it: at
	# exactly the rate, whether a launch finds EC2's token refilled turns
	# on milliseconds of scheduling that neither side controls
	aws_conf 'launch_burst = 5' 'launch_rate = 1.8'
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"bucket","burst":5,"refill":2}' >/dev/null
	for i in $(seq 1 9); do soca-submit <<<'true' >/dev/null; done
	start=$(date +%s%N)
	soca-node-up
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$(awsim_calls ec2:RunInstances)" = 9 ]
	[ "$(spool_count provisioning)" = 9 ]
	[ "$(awsim_ctl GET faults | jq '.[0].fired')" = 0 ]
	# 5 at once, then 4 at 1.8 a second
	[ "$ms" -ge 2100 ]
	# the bucket is kept in the spool: the next run does not burst again
	soca-submit <<<'true' >/dev/null
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 10 ]
	[ "$(awsim_ctl GET faults | jq '.[0].fired')" = 0 ]
	[ -f "$(spool_dir)/aws/bucket" ]
}

@test "the launch bucket: jobs beyond launch_wait stay queued for the next run" {
	aws_conf 'launch_burst = 2' 'launch_rate = 0.5' 'launch_wait = 1s'
	for i in $(seq 1 4); do soca-submit <<<'true' >/dev/null; done
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	run soca-stat -n -o reason 3
	assert_output --partial "rate: the EC2 launch rate is spent for this cycle"
	[ "$(spool_count queued)" = 2 ]
}

@test "user-data: the template rendered per job, admin values quoted, no user strings" {
	fs='fs-1:/x'"'"'$(touch pwned)`touch pwned2`'
	aws_conf "user_data = $SOCA_SRCDIR/etc/user-data.sh" "shared_fs = $fs"
	soca-submit -N 'evil_$(x)' <<<'true' 2>/dev/null || soca-submit -N evil <<<'true'
	soca-node-up
	ud=$(instances | jq -r .UserData | base64 -d)
	grep -qx 'SOCA_JOB_ID=1' <<<"$ud"
	grep -qx "SOCA_CLUSTER='t1'" <<<"$ud"
	# no [archive] bucket: the node keeps no bootstrap log for it
	grep -qx "SOCA_NODE_LOGS=''" <<<"$ud"
	! grep -q evil <<<"$ud"
	! grep -q '%%' <<<"$ud"
	got=$(grep '^SOCA_' <<<"$ud" | sh -c '. /dev/stdin; printf %s "$SOCA_FS"')
	[ "$got" = "$fs" ]
	[ ! -e pwned ] && [ ! -e pwned2 ]
	sh -n <<<"$ud"
}

@test "user-data: a missing template fails the job with the path" {
	aws_conf "user_data = $BATS_TEST_TMPDIR/nope.sh"
	soca-submit <<<'true'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial failed
	assert_output --partial "[aws] user_data $BATS_TEST_TMPDIR/nope.sh: No such file"
}

@test "placement_group: a cluster group per multi-node job, deleted after it" {
	soca-submit -l nodes=2 -l placement_group=yes <<<'true'
	soca-submit -l nodes=1 -l placement_group=yes <<<'true'
	soca-node-up
	[ "$(awsim_calls ec2:CreatePlacementGroup)" = 1 ]
	[ "$(instances | jq -r 'select(.Tags."soca:JobId" == "1") | .InstanceId' | wc -l)" = 2 ]
	run soca-aws ec2 DescribeInstances Filter.1.Name=tag:soca:JobId Filter.1.Value.1=1
	[ "$(jq -r '[.reservationSet[].instancesSet[].placement.groupName] | unique | join(",")' <<<"$output")" = soca-t1-1-0 ]
	soca-del 1
	run soca-node-down
	# still in use while its instances shut down
	refute_output --partial "soca-t1-1-0 deleted"
	awsim_advance 60
	run soca-node-down
	assert_output --partial "soca-t1-1-0 deleted"
	[ ! -e "$(spool_dir)/aws/pg/soca-t1-1-0" ]
}

@test "security groups and instance profiles only from the queue's lists; EFA checked by DryRun" {
	aws_conf 'dryrun = yes'
	printf 'allowed_security_groups = sg-0a1b2c3d\nallowed_instance_profiles = hpc\n' >>"$SOCA_CONF"
	run soca-submit -q forever -l security_groups=sg-0b2c3d4e <<<'true'
	assert_failure 2
	assert_output "soca-submit: security_groups sg-0b2c3d4e: not in queue forever's allowed_security_groups; ask an admin to allow it"
	run soca-submit -q forever -l instance_profile=admin <<<'true'
	assert_failure 2
	assert_output --partial "instance_profile admin: not in queue forever's allowed_instance_profiles"
	run soca-submit -q forever -l instance_profile=hpc <<<'true'
	assert_success
	run soca-submit -l efa_support=yes <<<'true'
	assert_failure 2
	assert_output --partial "AWS would refuse the launch: InvalidParameterCombination: The specified instance type c5.large does not support Elastic Fabric Adapter (EFA)."
	[ "$(spool_count queued)" = 1 ]
}

SUBNETS='subnet-0a00000000000000a, subnet-0b00000000000000b, subnet-0c00000000000000c'

@test "subnet_id = N: N random allowed subnets, a capacity retry moves to the next pick" {
	aws_conf "subnet_ids = $SUBNETS"
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"capacity","count":6}' >/dev/null
	soca-submit -l subnet_id=2 <<<'true'
	soca-node-up
	az1=$(soca-stat -n -o reason 1 | grep -o 'requested (us-east-1[abc])' | tr -dc 'a-z0-9-' | sed 's/requested//')
	[ -n "$az1" ]
	soca-node-up
	az2=$(soca-stat -n -o reason 1 | grep -o 'requested (us-east-1[abc])' | tr -dc 'a-z0-9-' | sed 's/requested//')
	[ -n "$az2" ] && [ "$az2" != "$az1" ]
	# (each cycle spends 3 attempts: standard retries of a 500)
	# the third try is the first pick again: two subnets, not three
	soca-node-up
	run soca-stat -n -o state 1
	assert_output provisioning
	[ "$(instances | jq -r .AvailabilityZone)" = "$az1" ]
	[ "$(awsim_ctl GET launches | jq .instances)" = 1 ]
	# another job with subnet_id = 1 stays in one allowed subnet
	soca-submit -l subnet_id=1 <<<'true'
	soca-node-up
	sub=$(instances | jq -r 'select(.Tags."soca:JobId" == "2") | .SubnetId')
	grep -q "$sub" <<<"$SUBNETS"
}

@test "subnet_id = N: CreateFleet gets an override per type and picked subnet" {
	lt
	aws_conf 'launch_template = soca-t1' "subnet_ids = $SUBNETS"
	soca-submit -l instance_type=c5.large+c5.xlarge -l subnet_id=2 <<<'true'
	soca-node-up
	[ "$(awsim_calls ec2:CreateFleet)" = 1 ]
	ovs=$(awsim_ctl GET state | jq -c '.fleets[0].Overrides')
	[ "$(jq length <<<"$ovs")" = 4 ]
	[ "$(jq -r '[.[].InstanceType] | unique | join(" ")' <<<"$ovs")" = "c5.large c5.xlarge" ]
	subs=$(jq -r '[.[].SubnetId] | unique | .[]' <<<"$ovs")
	[ "$(wc -l <<<"$subs")" = 2 ]
	for s in $subs; do grep -q "$s" <<<"$SUBNETS"; done
	# the instance is in one of the picks
	grep -q "$(instances | jq -r .SubnetId)" <<<"$subs"
}

@test "subnet_id = N beyond the allowed subnets: refused at submission" {
	aws_conf "subnet_ids = $SUBNETS"
	run soca-submit -l subnet_id=4 <<<'true'
	assert_failure 2
	assert_output "soca-submit: subnet_id 4: a count may not exceed the 3 private subnets in [aws] subnet_ids; give -l subnet_id=3 or less, or ask an admin to allow more subnets"
	run soca-submit -l subnet_id=0 <<<'true'
	assert_failure 2
	assert_output --partial "subnet_id 0: a count of subnets must be at least 1"
	aws_conf
	run soca-submit -l subnet_id=1 <<<'true'
	assert_failure 2
	assert_output --partial "subnet_id 1: a count picks among [aws] subnet_ids, which is not set"
	[ "$(spool_count queued)" = 0 ]
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
}

@test "root_size maps the AMI's root device, from one DescribeImages per AMI" {
	soca-submit -l root_size=40 -l instance_ami=ami-0a1b2c3d4e5f60006 <<<'true'
	soca-submit -l root_size=50 -l instance_ami=ami-0a1b2c3d4e5f60006 <<<'true'
	soca-submit -l root_size=60 <<<'true'
	soca-node-up
	[ "$(awsim_calls ec2:DescribeImages)" = 2 ]
	dev() {
		instances | jq -r "select(.Tags.\"soca:JobId\" == \"$1\") | .BlockDeviceMappings[0] | .DeviceName + \" \" + (.Ebs.VolumeSize | tostring)"
	}
	[ "$(dev 1)" = "/dev/sda1 40" ]
	[ "$(dev 2)" = "/dev/sda1 50" ]
	[ "$(dev 3)" = "/dev/xvda 60" ]
	run cat "$(spool_dir)/aws/ami/ami-0a1b2c3d4e5f60006"
	assert_output /dev/sda1
	# cached: later jobs ask nothing
	soca-submit -l root_size=70 -l instance_ami=ami-0a1b2c3d4e5f60006 <<<'true'
	soca-node-up
	[ "$(awsim_calls ec2:DescribeImages)" = 2 ]
	[ "$(dev 4)" = "/dev/sda1 70" ]
}

@test "root_size with an AMI AWS does not know: the job fails with AWS's message" {
	soca-submit -l root_size=40 -l instance_ami=ami-0a1b2c3d4e5f6ffff <<<'true'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial failed
	assert_output --partial "instance_ami ami-0a1b2c3d4e5f6ffff: DescribeImages: InvalidAMIID.NotFound"
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
}

@test "multiple_jobs: a job handed to a dead node is requeued after boot_timeout" {
	aws_conf 'boot_timeout = 0s'
	printf '[queue "shared"]\ninstance_type = c5.large\nscaling_mode = multiple_jobs\nterminate_when_idle = 5\n' >>"$SOCA_CONF"
	soca-submit -q shared <<<'true'
	soca-node-up
	iid=$(instances | jq -r .InstanceId)
	hash=$(instances | jq -r '.Tags."soca:ResourceHash"')
	[ ${#hash} = 16 ]
	# this host plays the instance's node: IMDS answers as that instance
	awsim_ctl POST imds "{\"instance_id\":\"$iid\"}" >/dev/null
	soca-node-run 1 >/dev/null 2>&1 &
	node=$!
	wait_state 1 done 10
	f="$(spool_dir)/aws/inst/$iid"
	eventually 30 grep -qx "idle $hash" "$f"
	run cat "$f"
	assert_output "idle $hash"
	# the node dies; the next job is handed to it all the same
	kill "$node"
	wait "$node" || true
	soca-submit -q shared <<<'true'
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]
	run cat "$f"
	assert_output "job 2"
	run soca-node-down
	assert_success
	assert_output --partial "$iid terminate job 1: job 2 not picked up within boot_timeout (0s)"
	assert_output --partial "2 queued requeued: job 2 not picked up within boot_timeout"
	[ ! -e "$f" ]
	# launched again with a new attempt (the instance is going)
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-t1-1-0":1,"soca-t1-2-1":1}' ]
}
