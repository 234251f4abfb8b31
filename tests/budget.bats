#!/usr/bin/env bats
# budget.bats: soca-budget, lib/cost and the budget gates in soca-submit
# and soca-node-up against awsim.  Instances are
# launched with soca-aws while awsim's clock is set in the past, then the
# clock is set back to now, so awsim's cost history and soca's own clock
# agree; Cost Explorer and Budgets calls are counted in awsim.

load lib/helper
load lib/awsim
load lib/jobs

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
	write_conf soca.conf <<-EOF
	[cluster]
	spool = $BATS_TEST_TMPDIR/spool
	[budget]
	account_id = 123456789012
	[project "cfd"]
	limit = 0.40
	EOF
	export SOCA_CONF=$BATS_TEST_TMPDIR/soca.conf
	T0=$(date +%s)
	AMI=$(soca-aws ec2 DescribeImages | jq -r '[.imagesSet[] | select(.architecture == "x86_64")][0].imageId')
}

clock_at() {	# clock_at SECONDS-BEFORE-NOW
	awsim_ctl POST clock "{\"set\": $((T0 - $1))}" >/dev/null
}

# launch TYPE COUNT [KEY=VALUE...]: instance ids, one a line
launch() {
	local type=$1 count=$2 i=1 kv args=()
	shift 2
	for kv in "$@"; do
		if [ "$kv" = spot ]; then
			args+=(InstanceMarketOptions.MarketType=spot)
			continue
		fi
		args+=("TagSpecification.1.Tag.$i.Key=${kv%%=*}"
		    "TagSpecification.1.Tag.$i.Value=${kv#*=}")
		i=$((i + 1))
	done
	[ $i -gt 1 ] && args+=(TagSpecification.1.ResourceType=instance)
	soca-aws ec2 RunInstances ImageId="$AMI" InstanceType="$type" \
	    MinCount="$count" MaxCount="$count" "${args[@]}" |
	    jq -r '.instancesSet[].instanceId'
}

terminate() {
	local id n=1 args=()
	for id in "$@"; do
		args+=("InstanceId.$n=$id")
		n=$((n + 1))
	done
	soca-aws ec2 TerminateInstances "${args[@]}" >/dev/null
}

# three hours ago: cfd 2 x c5.large (job 7), wind 1 x m5.large (job 8,
# terminated 30 minutes ago), 1 x t3.micro without tags
history() {
	clock_at 10800
	launch c5.large 2 soca:JobProject=cfd soca:JobId=7 soca:JobOwner=alice >/dev/null
	WIND=$(launch m5.large 1 soca:JobProject=wind soca:JobId=8 soca:JobOwner=bob)
	launch t3.micro 1 >/dev/null
	clock_at 1800
	terminate "$WIND"
	clock_at 0
}

# near A B: |A - B| < 0.005
near() {
	jq -en --argjson a "$1" --argjson b "$2" '($a - $b) | fabs < 0.005' >/dev/null
}

@test "soca-budget --help, and bad input exits 2 naming the value" {
	run soca-budget --help
	assert_success
	assert_output --partial "usage: soca-budget"
	run soca-budget
	assert_failure 2
	run soca-budget frobnicate
	assert_failure 2
	run soca-budget report --by colour
	assert_failure 2
	assert_output --partial "--by colour: not a grouping"
	run soca-budget report --by project --by owner --by queue
	assert_failure 2
	assert_output --partial "at most two"
	run soca-budget report --by owner --by owner
	assert_failure 2
	assert_output --partial "--by owner twice"
	run soca-budget report --from 2026-13-01
	assert_failure 2
	assert_output --partial "--from 2026-13-01: not a date"
	run soca-budget check
	assert_failure 2
	run soca-budget check '../x'
	assert_failure 2
	assert_output --partial "not a project name"
	[ "$(awsim_calls ce:GetCostAndUsage)" = 0 ]
}

@test "refresh without [budget] account_id says what to set" {
	write_conf soca.conf <<-EOF
	[cluster]
	spool = $BATS_TEST_TMPDIR/spool
	EOF
	run soca-budget refresh
	assert_failure 2
	assert_output --partial "[budget] account_id is not set"
	printf '[budget]\naccount_id = 1234\n' >>soca.conf
	run soca-budget refresh
	assert_failure 2
	assert_output --partial 'account_id "1234": an AWS account id is 12 digits'
	[ "$(awsim_calls budgets:DescribeBudgets)" = 0 ]
}

@test "report: per-project totals equal the tagged instances' cost" {
	history
	run soca-budget -J report --by project --daily --from "$(date -u -d @$((T0 - 86400)) +%F)"
	assert_success
	# cfd: 2 x 0.085 x 3 h; wind: 0.096 x 2.5 h; untagged: 0.0104 x 3 h
	sum() { jq -s --arg p "$1" '[.[] | select(.project == $p) | .cost] | add' <<<"$output"; }
	near "$(sum cfd)" 0.51
	near "$(sum wind)" 0.24
	near "$(sum '(untagged)')" 0.0312
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
	run soca-budget report --by project --from "$(date -u -d @$((T0 - 86400)) +%F)"
	assert_success
	assert_line --index 0 --regexp '^START +PROJECT +COST$'
	assert_line --regexp '^[0-9-]{10} +\(untagged\) +0\.0[0-9]*$' 
}

@test "report by two keys, CSV, and NextPageToken pages" {
	history
	awsim_ctl POST costlag '{"page_size": 1}' >/dev/null
	run soca-budget --csv report --by owner --by instance-type --monthly --from "$(date -u -d @$((T0 - 86400)) +%F)"
	assert_success
	assert_line --index 0 "start,owner,instance-type,cost"
	assert_output --partial ",alice,c5.large,"
	assert_output --partial ",bob,m5.large,"
	assert_output --partial ",(untagged),t3.micro,"
	[ "$(awsim_calls ce:GetCostAndUsage)" -ge 3 ]
}

@test "list: every budget with limit, actual, forecast and percent used" {
	awsim_ctl POST budgets '[{"BudgetName":"a","BudgetLimit":{"Amount":"200","Unit":"USD"},"CalculatedSpend":{"ActualSpend":{"Amount":"50","Unit":"USD"},"ForecastedSpend":{"Amount":"180","Unit":"USD"}}},{"BudgetName":"b"}]' >/dev/null
	run soca-budget -J list
	assert_success
	[ "$(jq -sc '.[0] | [.name, .limit, .actual, .forecast, .used]' <<<"$output")" = '["a",200,50,180,25]' ]
	[ "$(jq -sc '.[1] | [.name, .limit, .actual]' <<<"$output")" = '["b",100,0]' ]
	run soca-budget list
	assert_success
	assert_line --index 0 --regexp '^BUDGET +PERIOD +LIMIT +ACTUAL +FORECAST +USED%$'
}

@test "check: 0 when every project is under, 1 naming the ones over" {
	awsim_ctl POST budgets '[{"BudgetName":"a","CalculatedSpend":{"ActualSpend":{"Amount":"50","Unit":"USD"}}},{"BudgetName":"b","CalculatedSpend":{"ActualSpend":{"Amount":"120","Unit":"USD"}}}]' >/dev/null
	run soca-budget check a
	assert_success
	assert_output ""
	run soca-budget check a b
	assert_failure 1
	assert_line --index 1 --regexp '^b +120 +100 +120 +0$'
	refute_output --partial "a "
	run soca-budget -J check b
	assert_failure 1
	[ "$(jq -c '[.project, .spend, .limit]' <<<"$output")" = '["b",120,100]' ]
}

@test "check uses live spend while the Budgets figure lags" {
	awsim_ctl POST costlag '{"hours": 12}' >/dev/null
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"},"CostFilters":{"TagKeyValue":["user:soca:JobProject$cfd"]}}]' >/dev/null
	history
	# AWS still reports nothing for cfd ...
	run soca-aws budgets DescribeBudget AccountId=123456789012 BudgetName=cfd
	[ "$(jq -r .Budget.CalculatedSpend.ActualSpend.Amount <<<"$output")" = 0 ]
	# ... but 2 x c5.large for 3 h (0.51) is over cfd's limit of 0.40
	run soca-budget -J check cfd
	assert_failure 1
	near "$(jq .spend <<<"$output")" 0.51
	[ "$(jq .limit <<<"$output")" = 0.4 ]
	[ "$(jq .actual <<<"$output")" = 0 ]
	# raising the limit lets it through
	sed -i 's/^limit = .*/limit = 1/' soca.conf
	run soca-budget check cfd
	assert_success
}

@test "the cache: no Cost Explorer or Budgets call while it is fresh" {
	awsim_ctl POST budgets '[{"BudgetName":"cfd","CalculatedSpend":{"ActualSpend":{"Amount":"0.1","Unit":"USD"}}}]' >/dev/null
	run soca-budget refresh
	assert_success
	[ -f spool/cost/budgets.json ]
	jq -e '.budgets[0].name == "cfd" and (.fetched | type) == "number"' spool/cost/budgets.json
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
	[ "$(awsim_calls budgets:DescribeBudgets)" = 1 ]
	run soca-budget check cfd
	assert_success
	run soca-budget list
	assert_success
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
	[ "$(awsim_calls budgets:DescribeBudgets)" = 1 ]
	# older than [budget] refresh (1h): fetched once more, then fresh again
	touch -d '2 hours ago' spool/cost/budgets.json
	run soca-budget check cfd
	assert_success
	run soca-budget check cfd
	[ "$(awsim_calls ce:GetCostAndUsage)" = 2 ]
	[ "$(awsim_calls budgets:DescribeBudgets)" = 2 ]
	# a shorter refresh is honoured
	printf '[budget]\naccount_id = 123456789012\nrefresh = 10m\n' >soca.conf
	printf '[cluster]\nspool = %s/spool\n' "$BATS_TEST_TMPDIR" >>soca.conf
	touch -d '20 minutes ago' spool/cost/budgets.json
	run soca-budget list
	assert_success
	[ "$(awsim_calls ce:GetCostAndUsage)" = 3 ]
}

@test "a budget period that rolled over starts from zero" {
	awsim_ctl POST budgets '[{"BudgetName":"a","CalculatedSpend":{"ActualSpend":{"Amount":"500","Unit":"USD"}}}]' >/dev/null
	run soca-budget check a
	assert_failure 1
	# the cached figure belongs to a period that has ended
	jq '.budgets[0].start = 1000 | .budgets[0].end = 2000' spool/cost/budgets.json >b.json
	mv b.json spool/cost/budgets.json
	run soca-budget check a
	assert_success
}

@test "estimate: per job, On-Demand from the Price List, Spot from its history" {
	history
	clock_at 3600
	launch c5.large 1 soca:JobProject=cfd soca:JobId=9 spot >/dev/null
	clock_at 0
	run soca-budget -J estimate
	assert_success
	[ "$(jq -sc '[.[].job] | sort' <<<"$output")" = '["7","8","9"]' ]
	j7=$(jq -c 'select(.job == "7")' <<<"$output")
	[ "$(jq -c '[.project, .owner, .nodes, .instance_type, .usd_per_hour]' <<<"$j7")" = '["cfd","alice",2,"c5.large",0.17]' ]
	near "$(jq .cost <<<"$j7")" 0.51
	# wind's job ended: nothing per hour any more, 2.5 h charged
	near "$(jq -c 'select(.job == "8") | .cost' <<<"$output")" 0.24
	[ "$(jq -c 'select(.job == "8") | .nodes' <<<"$output")" = 0 ]
	# an ended job's projection is its cost; no spool record, no walltime
	[ "$(jq -c 'select(.job == "8") | .projected == .cost' <<<"$output")" = true ]
	[ "$(jq -c 'select(.job == "7") | .projected' <<<"$output")" = null ]
	# Spot: 30% of 0.085 plus 2% per AZ letter, for one hour
	az=$(soca-aws ec2 DescribeInstances Filter.1.Name=tag:soca:JobId Filter.1.Value.1=9 | jq -r '.reservationSet[0].instancesSet[0].placement.availabilityZone')
	want=$(jq -n --arg az "$az" '0.085 * (0.30 + 0.02 * (($az[-1:] | explode[0]) - 97))')
	near "$(jq -c 'select(.job == "9") | .cost' <<<"$output")" "$want"
	[ "$(awsim_calls ec2:DescribeSpotPriceHistory)" = 1 ]
	[ "$(awsim_calls pricing:GetProducts)" = 2 ]
	# prices are cached in the spool
	run soca-budget estimate 7.head
	assert_success
	assert_line --index 0 --regexp '^JOB +PROJECT +OWNER +NODES +TYPE'
	assert_line --index 1 --regexp '^7 '
	[ "$(awsim_calls pricing:GetProducts)" = 2 ]
	jq -e '.ondemand["c5.large"].usd == 0.085' spool/cost/prices.json
	run soca-budget estimate 99
	assert_failure 1
	assert_output --partial "99: no instances tagged with this job"
}

# jobs on the local provider, one slot, dispatched by hand; cfd may spend
# 0.40 a month, and AWS reports costs 12 hours late
gate_conf() {
	awsim_ctl POST costlag '{"hours": 12}' >/dev/null
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"},"CostFilters":{"TagKeyValue":["user:soca:JobProject$cfd"]}}]' >/dev/null
	write_conf soca.conf <<-EOF
	[cluster]
	spool = $BATS_TEST_TMPDIR/spool
	dispatch = cron
	slots = 1
	[budget]
	account_id = 123456789012
	[project "cfd"]
	limit = 0.40
	[project "wind"]
	limit = 100
	EOF
}

@test "gates: a project over its limit mid-run is held in one cycle while Budgets lags; raising the limit releases it" {
	gate_conf
	run soca-budget refresh
	assert_success
	run soca-submit -P cfd -- sleep 30
	assert_output 1
	run soca-submit -P cfd -- true
	assert_output 2
	run soca-submit -P wind -- true
	assert_output 3
	soca-node-up
	wait_state 1 running 5
	# cfd's nodes turn out to have run 3 hours: 0.51 > 0.40
	history
	run soca-aws budgets DescribeBudget AccountId=123456789012 BudgetName=cfd
	[ "$(jq -r .Budget.CalculatedSpend.ActualSpend.Amount <<<"$output")" = 0 ]
	soca-node-up
	run soca-stat -n -o state,reason 2
	assert_output --regexp '^queued +budget exceeded: project cfd at \$0\.5[01] of \$0\.40$'
	run soca-stat -n -o reason 3
	refute_output --partial budget
	run soca-stat -n -o state 1
	assert_output running
	# no new jobs for cfd; wind still takes them
	run soca-submit -P cfd -- true
	assert_failure 2
	assert_output --regexp 'budget exceeded: project cfd at \$0\.5[01] of \$0\.40'
	run soca-submit -P wind -- true
	assert_success
	# nor does soca-alter move a job to it
	held=$(soca-submit -h -P wind -- true)
	run soca-alter -P cfd "$held"
	assert_failure 2
	assert_output --regexp "job $held: budget exceeded: project cfd at"
	run soca-stat -n -o project "$held"
	assert_output wind
	# all from the cache: Cost Explorer and Budgets were asked once
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
	[ "$(awsim_calls budgets:DescribeBudgets)" = 1 ]
	# raising the limit releases the held job
	sed -i 's/^limit = 0.40$/limit = 5/' soca.conf
	soca-node-up
	run soca-stat -x -n -o reason 2
	refute_output --partial budget
	soca-del 1
	soca-node-up
	wait_state 2 done 10
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
}

@test "gates: the limit of the project's budget, and a new period, count" {
	gate_conf
	sed -i '/^limit = 0.40$/d' soca.conf
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"10","Unit":"USD"},"CalculatedSpend":{"ActualSpend":{"Amount":"12","Unit":"USD"}}}]' >/dev/null
	run soca-submit -P cfd -- true
	assert_failure 2
	assert_output --partial 'project cfd at $12.00 of $10.00'
	# the cached figure's period has ended: the new one starts at zero
	jq '.budgets[0].start = 1000 | .budgets[0].end = 2000' spool/cost/budgets.json >b.json
	mv b.json spool/cost/budgets.json
	run soca-submit -P cfd -- true
	assert_success
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
}

@test "soca-stat -o cost and -f show the job's estimate" {
	gate_conf
	run soca-submit -P wind -l instance_type=c5.large -l nodes=1 -l walltime=2h -- sleep 5
	assert_success
	soca-node-up
	wait_state 1 running 5
	# its node in EC2: projected to walltime, 0.085 x 2 h
	launch c5.large 1 soca:JobProject=wind soca:JobId=1 >/dev/null
	run soca-budget -J estimate 1
	assert_success
	near "$(jq .projected <<<"$output")" 0.17
	sleep 1
	run soca-stat -n -o id,cost_per_hour 1
	assert_output --regexp '^ *1 +0\.085$'
	run soca-stat -J -o id,cost 1
	jq -e '.cost > 0 and .cost < 0.01' <<<"$output"
	run soca-stat -f 1
	assert_line 'cost_per_hour=0.0850'
	assert_line --regexp '^cost=0\.00[0-9]+$'
	[ "$(awsim_calls pricing:GetProducts)" = 1 ]
	soca-del 1
}

@test "default_for gives a job its project; require_project refuses one without" {
	gate_conf
	cat >>soca.conf <<-EOF
	[project "home"]
	default_for = $(id -un)
	EOF
	run soca-submit -- true
	assert_success
	run soca-stat -n -o project 1
	assert_output home
	run soca-submit -P wind -- true
	assert_success
	run soca-stat -n -o project 2
	assert_output wind
	sed -i "/^default_for/d" soca.conf
	printf '[budget]\nrequire_project = yes\n' >>soca.conf
	run soca-submit -- true
	assert_failure 2
	assert_output --partial "no project: every job is charged to one here; give -P project"
	[ "$(spool_count queued)" = 2 ]
}

@test "instances that ended and left DescribeInstances still count" {
	awsim_ctl POST costlag '{"hours": 12}' >/dev/null
	sed -i 's/^limit = 0.40$/limit = 0.15/' soca.conf
	clock_at 10800
	ids=$(launch c5.large 2 soca:JobProject=cfd soca:JobId=5)
	# seen running half an hour later: 2 x 0.085 x 0.5 h
	clock_at 9000
	SOCA_NOW=$((T0 - 9000)) run soca-budget -J status cfd
	assert_success
	near "$(jq .spend <<<"$output")" 0.085
	clock_at 7200
	terminate $ids
	# listed no more (not in a state that costs): asked once when they ended
	clock_at 6000
	run soca-budget -J check cfd
	assert_failure 1
	near "$(jq .spend <<<"$output")" 0.17
	awsim_requests ec2:DescribeInstances | jq -se 'map(select(.Filters[0].Name == "instance-id")) | length == 1 and (.[0].Filters[0].Values | length) == 2'
	# an hour after termination EC2 no longer lists them at all
	clock_at 0
	run soca-aws ec2 DescribeInstances
	[ "$(jq '[.reservationSet[]?.instancesSet[]] | length' <<<"$output")" = 0 ]
	run soca-budget -J check cfd
	assert_failure 1
	near "$(jq .spend <<<"$output")" 0.17
	jq -e 'length == 2 and ([.[].end] | all(. > 0))' spool/cost/instances.json
	run soca-budget -J estimate 5
	assert_success
	near "$(jq .cost <<<"$output")" 0.17
}

@test "the live spend's instance query: the states that cost, paged, once per pass" {
	gate_conf
	printf '[project "sea"]\nlimit = 50\n' >>soca.conf
	run soca-budget refresh
	for p in cfd wind sea cfd wind; do
		soca-submit -P $p -- true >/dev/null
	done
	soca-node-up
	n=$(awsim_calls ec2:DescribeInstances)
	[ "$n" -ge 1 ]
	awsim_requests ec2:DescribeInstances | jq -se 'all(.MaxResults == 1000 and .Filters == [{"Name": "tag-key", "Values": ["soca:JobProject"]}, {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "shutting-down"]}])'
	# three projects, one question
	awsim_ctl POST reset >/dev/null
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"}}]' >/dev/null
	run soca-budget -J check cfd wind sea
	assert_success
	[ "$(awsim_calls ec2:DescribeInstances)" = 1 ]
	for i in 1 2 3; do launch t3.micro 2 soca:JobProject=wind >/dev/null; done
	run soca-budget -J status wind
	assert_success
	[ "$(awsim_calls ec2:DescribeInstances)" = 2 ]
	[ "$(jq length spool/cost/instances.json)" = 6 ]
}

@test "one Cost Explorer fetch serves simultaneous submissions, soca-node-up and refresh" {
	gate_conf
	run soca-budget refresh
	assert_success
	touch -d '2 hours ago' spool/cost/budgets.json
	awsim_ctl POST faults '{"op": "ce:GetCostAndUsage", "kind": "latency", "latency_ms": 1500}' >/dev/null
	for i in 1 2 3 4 5 6 7 8; do
		soca-submit -P wind -- true >out.$i 2>err.$i &
	done
	wait
	cat out.* | sort -n | tr '\n' ' ' | grep -qx '1 2 3 4 5 6 7 8 '
	[ "$(cat err.*)" = "" ]
	[ "$(awsim_calls ce:GetCostAndUsage)" = 2 ]
	[ "$(awsim_calls budgets:DescribeBudgets)" = 2 ]
	# soca-budget refresh and soca-node-up at once: one fetch
	touch -d '2 hours ago' spool/cost/budgets.json
	soca-budget refresh &
	soca-node-up &
	wait
	[ "$(awsim_calls ce:GetCostAndUsage)" = 3 ]
	# a fetch that takes longer than [budget] refresh_wait: the old cache
	sed -i 's/^account_id = .*/&\nrefresh_wait = 1s/' soca.conf
	touch -d '2 hours ago' spool/cost/budgets.json
	flock spool/cost/refresh.lock sleep 60 &
	holder=$!
	eventually 30 eval '! flock -n spool/cost/refresh.lock true'
	run soca-budget check wind
	pkill -P "$holder" sleep
	wait
	assert_success
	assert_output --partial "budgets not refreshed, using the cache of"
	assert_output --partial "refresh.lock for 1s"
	[ "$(awsim_calls ce:GetCostAndUsage)" = 3 ]
}

@test "status: every project's live spend, under its limit or over" {
	gate_conf
	history
	run soca-budget -J status
	assert_success
	[ "$(jq -sc 'map(.project)' <<<"$output")" = '["cfd","wind"]' ]
	cfd=$(jq -c 'select(.project == "cfd")' <<<"$output")
	[ "$(jq -c '[.budget, .limit, .actual, .basis]' <<<"$cfd")" = '["cfd",0.4,0,"unblended"]' ]
	near "$(jq .spend <<<"$cfd")" 0.51
	near "$(jq .used <<<"$cfd")" 127.5
	jq -e '(.covers | test("^[0-9-]{10}T[0-9:]{8}Z$")) and .covers <= .fetched and .period_start == (now | strftime("%Y-%m-01"))' <<<"$cfd"
	# wind's instance ended before soca first looked: AWS's figure will
	# have it once its lag has passed, soca's estimate never will
	wind=$(jq -c 'select(.project == "wind")' <<<"$output")
	[ "$(jq -c '[.budget, .limit, .used, .spend]' <<<"$wind")" = '[null,100,0,0]' ]
	# named ones only; no limit: limit and used are null
	run soca-budget -J status nolimit
	assert_success
	[ "$(jq -c '[.project, .spend, .limit, .used]' <<<"$output")" = '["nolimit",0,null,null]' ]
	run soca-budget status cfd
	assert_success
	assert_line --index 0 --regexp '^PROJECT +BUDGET +SPEND +LIMIT +USED% +ACTUAL +ESTIMATE +COVERS$'
	assert_line --index 1 --regexp '^cfd +cfd +0\.51[0-9]* +0\.4 +127\.[5-9] +0 +0\.51[0-9]* +[0-9-]{10}T[0-9:]{8}Z$'
	run soca-budget status '../x'
	assert_failure 2
	assert_output --partial '"../x": not a project name'
	[ "$(awsim_calls ce:GetCostAndUsage)" = 1 ]
}

@test "one fetch: DescribeBudgets and one month-to-date GetCostAndUsage of UnblendedCost by project" {
	run soca-budget refresh
	assert_success
	[ "$(awsim_ctl GET calls | jq -c 'del(.["ec2:DescribeImages"]) | keys')" = '["budgets:DescribeBudgets","ce:GetCostAndUsage"]' ]
	run awsim_requests ce:GetCostAndUsage
	[ "${#lines[@]}" = 1 ]
	jq -e --arg m "$(date -u +%Y-%m-01)" '.Metrics == ["UnblendedCost"] and .Granularity == "MONTHLY" and .GroupBy == [{"Type": "TAG", "Key": "soca:JobProject"}] and .TimePeriod.Start == $m' <<<"$output"
	awsim_requests budgets:DescribeBudgets | jq -e '.AccountId == "123456789012" and .MaxResults == 100'
	# a budget kept on another basis says so
	awsim_ctl POST budgets '[{"BudgetName":"cfd","CostTypes":{"UseAmortized":true}}]' >/dev/null
	run soca-budget refresh
	run soca-budget -J status cfd
	assert_success
	[ "$(jq -r .basis <<<"$output")" = amortized ]
}

@test "a [project] budget that names no budget: check and status say so, the gates hold" {
	gate_conf
	sed -i 's/^\[project "wind"\]$/&\nbudget = windy/' soca.conf
	run soca-budget check wind
	assert_failure 2
	assert_output --partial '[project "wind"] budget "windy": account 123456789012 has no budget of that name (soca-budget list shows them'
	run soca-budget -J status
	assert_failure 2
	assert_output --partial 'wind: [project "wind"] budget "windy"'
	assert_output --partial '"project":"cfd"'
	run soca-submit -P wind -- true
	assert_success
	assert_output --partial 'project wind: budget not checked: [project "wind"] budget "windy"'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --regexp '^queued +budget unknown: project wind: \[project "wind"\] budget "windy": '
}

@test "the first hours of a month count no hour of the last one" {
	M=$(date -u -d 2026-12-01T00:00:00Z +%s)
	awsim_ctl POST costlag '{"hours": 12}' >/dev/null
	awsim_ctl POST clock "{\"set\": $((M - 7200))}" >/dev/null
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"},"CalculatedSpend":{"ActualSpend":{"Amount":"50","Unit":"USD"}}}]' >/dev/null
	sed -i 's/^account_id = .*/&\nrefresh = 12h/' soca.conf
	# from 22:00 on November 30th: 1 x c5.large (cfd), 1 x m5.large (wind)
	launch c5.large 1 soca:JobProject=cfd >/dev/null
	launch m5.large 1 soca:JobProject=wind >/dev/null
	# at 23:00 the cache is fetched: November's figure, and an hour of it
	awsim_ctl POST clock "{\"set\": $((M - 3600))}" >/dev/null
	SOCA_NOW=$((M - 3600)) run soca-budget -J status cfd
	assert_success
	jq -e '.actual == 50 and .period_start == "2026-11-01"' <<<"$output"
	near "$(jq .estimate <<<"$output")" 0.085
	# at 03:00 on December 1st, the cache still fresh and its lag window
	# reaching into November: only December's 3 hours count
	touch -d @$((M - 3600)) spool/cost/budgets.json
	awsim_ctl POST clock "{\"set\": $((M + 10800))}" >/dev/null
	SOCA_NOW=$((M + 10800)) run soca-budget -J status cfd wind
	assert_success
	cfd=$(jq -c 'select(.project == "cfd")' <<<"$output")
	jq -e '.actual == 0 and .period_start == "2026-12-01" and .covers == "2026-12-01T00:00:00Z"' <<<"$cfd"
	near "$(jq .estimate <<<"$cfd")" 0.255
	near "$(jq -c 'select(.project == "wind") | .spend' <<<"$output")" 0.288
	# fetched again: Cost Explorer's figure is December's alone
	awsim_ctl POST costlag '{"hours": 0}' >/dev/null
	rm spool/cost/budgets.json
	SOCA_NOW=$((M + 10800)) run soca-budget -J status wind
	assert_success
	near "$(jq .actual <<<"$output")" 0.288
	near "$(jq .estimate <<<"$output")" 0.288
	awsim_requests ce:GetCostAndUsage | jq -se '.[-1].TimePeriod.Start == "2026-12-01"'
}

@test "[budget] lag: where soca's estimate takes over from AWS's figure" {
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"},"CostFilters":{"TagKeyValue":["user:soca:JobProject$cfd"]}}]' >/dev/null
	history
	# AWS reports at once here: actual 0.51 for 3 h of 2 x c5.large
	run soca-budget -J check cfd
	near "$(jq .actual <<<"$output")" 0.51
	# the default lag, 24 h, counts those 3 h again (errs high)
	near "$(jq .estimate <<<"$output")" 0.51
	sed -i 's/^account_id = .*/&\nlag = 1h/' soca.conf
	run soca-budget -J check cfd
	near "$(jq .estimate <<<"$output")" 0.17
	near "$(jq .spend <<<"$output")" 0.68
}

@test "an old cache is used, with a warning, when AWS cannot refresh it" {
	awsim_ctl POST budgets '[{"BudgetName":"b","CalculatedSpend":{"ActualSpend":{"Amount":"120","Unit":"USD"}}}]' >/dev/null
	run soca-budget refresh
	assert_success
	touch -d '2 hours ago' spool/cost/budgets.json
	awsim_ctl POST faults '{"op": "budgets:*", "kind": "error", "status": 503}' >/dev/null
	run soca-budget check b
	assert_failure 1
	assert_line --index 0 --partial "budgets not refreshed, using the cache of"
	assert_output --regexp 'b +120 +100'
	# without any cache there is nothing to fall back on: exit 3
	rm spool/cost/budgets.json
	run soca-budget check b
	assert_failure 3
}

@test "[budget] action = cancel cancels the queued jobs of a project over its limit" {
	gate_conf
	sed -i 's/^account_id = .*/&\naction = cancel/' soca.conf
	run soca-submit -P cfd -- true
	assert_output 1
	run soca-submit -P wind -- true
	assert_output 2
	history
	soca-node-up
	run soca-stat -x -n -o state,reason 1
	assert_output --regexp '^cancelled +budget exceeded: project cfd at \$0\.5[01] of \$0\.40$'
	wait_state 2 done 10
	# an unknown spend (AWS down, no cache) holds, never cancels
	run soca-submit -P wind -- true
	assert_output 3
	rm -f spool/cost/budgets.json
	awsim_ctl POST faults '{"op": "budgets:*", "kind": "error", "status": 400, "code": "AccessDeniedException"}' >/dev/null
	soca-node-up
	run soca-stat -n -o state,reason 3
	assert_output --regexp '^queued +budget unknown: project wind: '
}

@test "platform: the default footprint item by item, each quantity x list price, under \$25 a month" {
	run soca-budget -J platform
	assert_success
	[ "${#lines[@]}" = 5 ]
	# every row's month is its quantity x its list price, the total their sum
	jq -se '
		(.[:-1] | all((.quantity * .usd_per_unit * 100 | round) == (.usd_per_month * 100 | round)))
		and (.[-1].item == "total")
		and (([.[:-1][].usd_per_month] | add) * 100 | round) == (.[-1].usd_per_month * 100 | round)' <<<"$output"
	run jq -r 'select(.item != "total") | "\(.item) \(.what) \(.quantity) \(.unit) \(.usd_per_unit)"' <<<"$output"
	assert_output "head node t4g.small 730 Hrs 0.0168
head volume gp3 20 GB-Mo 0.08
efs Standard storage 10 GB-Mo 0.3
public ipv4 in-use addresses 730 Hrs 0.005"
	[ "$(awsim_calls pricing:GetProducts)" = 4 ]
	total=$(soca-budget -J platform | jq -r 'select(.item == "total") | .usd_per_month')
	jq -e --argjson t "$total" -n '$t < 25' >/dev/null
}

@test "platform: options change the items; bad values exit 2; no price exits with AWS's reason" {
	run soca-budget -J platform --nat --head-type t3.small --efs-gib 0 --public-ipv4 2 --volume-type gp2 --head-volume 30
	assert_success
	run jq -r '"\(.item) \(.what) \(.quantity) \(.usd_per_month)"' <<<"$output"
	assert_output "head node t3.small 730 15.18
head volume gp2 30 3
public ipv4 in-use addresses 1460 7.3
nat gateway hours (traffic extra) 730 32.85
total a month of 730 hours null 58.33"
	run soca-budget platform --head-type c5
	assert_failure 2
	assert_output --partial '--head-type c5: not an instance type'
	run soca-budget platform --head-volume 0
	assert_failure 2
	assert_output --partial 'not a size in GiB from 1 to 65536'
	run soca-budget platform --volume-type st1
	assert_failure 2
	run soca-budget platform extra
	assert_failure 2
	run soca-budget platform --head-type x9.huge
	assert_failure 1
	assert_output 'soca-budget: x9.huge: NoPrice: x9.huge: the Price List API has no On-Demand Linux price for it in us-east-1'
	awsim_ctl POST faults '{"op": "pricing:GetProducts", "kind": "throttle"}' >/dev/null
	run soca-budget platform --head-type t3.small --efs-gib 0
	assert_failure 3
}

@test "platform: --alb and --opensearch add the template's optional parts, each quantity x list price" {
	run soca-budget -J platform --alb --opensearch t3.medium.search --opensearch-gib 20
	assert_success
	run jq -r '"\(.item)|\(.what)|\(.quantity)|\(.unit)|\(.usd_per_unit)|\(.usd_per_month)"' <<<"$output"
	assert_output "head node|t4g.small|730|Hrs|0.0168|12.26
head volume|gp3|20|GB-Mo|0.08|1.6
efs|Standard storage|10|GB-Mo|0.3|3
public ipv4|in-use addresses|730|Hrs|0.005|3.65
alb|hours|730|Hrs|0.0225|16.43
alb lcu|1 LCU all month (nominal)|730|LCU-Hrs|0.008|5.84
opensearch|t3.medium.search|730|Hrs|0.072|52.56
opensearch volume|gp3|20|GB-Mo|0.122|2.44
total|a month of 730 hours|null|null|null|97.78"
	[ "$(awsim_calls pricing:GetProducts)" = 8 ]
	# the table prints the same arithmetic; --opensearch-gib defaults to 10
	run soca-budget platform --opensearch t3.small.search
	assert_success
	assert_line --regexp '^opensearch +t3\.small\.search +730 +Hrs +0\.036 +26\.28$'
	assert_line --regexp '^opensearch volume +gp3 +10 +GB-Mo +0\.122 +1\.22$'
	run soca-budget platform --opensearch t3.medium
	assert_failure 2
	assert_output --partial '--opensearch t3.medium: not an OpenSearch instance type'
	run soca-budget platform --opensearch-gib 20
	assert_failure 2
	assert_output --partial '--opensearch-gib 20: sizes a domain that --opensearch TYPE adds'
	run soca-budget platform --opensearch t3.medium.search --opensearch-gib 5
	assert_failure 2
	assert_output --partial 'not a size in GiB from 10 to 65536'
	run soca-budget platform --opensearch x9.huge.search
	assert_failure 1
	assert_output --partial 'x9.huge.search'
}
