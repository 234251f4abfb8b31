#!/usr/bin/env bats
# desktop-alb.bats: soca-desktop with [desktop] alb_listener_arn against
# awsim's ELBv2 (query protocol, every request signature-checked and
# validated against botocore's elbv2 model): one target group and one path
# rule per running desktop, created and removed by the tick with the calls
# counted, idempotent, within the listener's rule limit, paginated, and a
# crash between CreateTargetGroup and CreateRule leaving nothing orphaned
# after the next tick.

load lib/helper
load lib/awsim

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
	export SOCA_CONF="$BATS_TEST_TMPDIR/soca.conf"
	SPOOL="$BATS_TEST_TMPDIR/spool"
	LISTENER=$(awsim_ctl GET elbv2 | jq -r .listener)
	desk_conf
	ME=$(id -un)
}

desk_conf() {
	{
		printf '[cluster]\nname = t1\nprovider = aws\nspool = %s\n' \
		    "$SPOOL"
		printf '[aws]\nami = ami-0a1b2c3d4e5f60001\n'
		printf '[desktop]\n'
		printf 'images = al2023=ami-0a1b2c3d4e5f60002\n'
		printf 'allowed_types = t3\nmax_linux_per_user = 20\n'
		printf 'alb_listener_arn = %s\n' "$LISTENER"
		printf '%s\n' "$@"
	} >"$SOCA_CONF"
}

elb() {	# elb JQ: over awsim's ELBv2 state
	awsim_ctl GET elbv2 | jq -r "$1"
}

elb_calls() {	# total ELBv2 calls of the ops given
	local t=0 op
	for op in "$@"; do
		t=$((t + $(awsim_calls "elasticloadbalancing:$op")))
	done
	echo "$t"
}

session() {	# session NAME: the desktop's DCV session id
	awsim_ctl GET state | jq -r --arg n "$1" '[.instances[] |
	    select(.Tags["soca:DesktopName"] == $n and .State != "terminated")][0].Tags["soca:DesktopSession"]'
}

@test "a running desktop gets a target group and a rule; stopped, both go; calls counted; idempotent" {
	soca-desktop launch ws1
	soca-desktop launch ws2
	run soca-desktop tick		# pending: nothing on the ALB
	assert_success
	[ "$(elb '.target_groups | length')" = 0 ]
	[ "$(elb_calls CreateTargetGroup CreateRule)" = 0 ]
	awsim_advance 60
	run soca-desktop tick
	assert_success
	assert_output --partial "alb: $ME/ws1: target group soca-"
	assert_output --regexp "alb: $ME/ws1: rule at priority [12] for /$(session ws1)"
	[ "$(elb '.target_groups | length')" = 2 ]
	[ "$(elb '.rules | length')" = 2 ]
	[ "$(elb_calls CreateTargetGroup)" = 2 ]
	[ "$(elb_calls RegisterTargets)" = 2 ]
	[ "$(elb_calls CreateRule)" = 2 ]
	[ "$(elb '[.rules[].Priority] | sort | join(",")')" = "1,2" ]
	s1=$(session ws1)
	# the rule: /SESSION and below, forwarding to the desktop's group
	run elb ".rules[] | select(.Tags[\"soca:DesktopName\"] == \"ws1\") | .Conditions[0].PathPatternConfig.Values | join(\" \")"
	assert_output "/$s1 /$s1/*"
	# tags on both: cluster, owner, desktop
	run elb '.target_groups[] | select(.Tags["soca:DesktopName"] == "ws1") | [.Tags["soca:ClusterId"], .Tags["soca:JobOwner"], .Tags["soca:NodeType"], .Tags["soca:DesktopSession"], .Port, .Protocol, .targets[0].Id] | join(" ")'
	assert_output --regexp "^t1 $ME desktop $s1 8443 HTTPS i-[0-9a-f]{17}$"
	[ "$(elb '[.rules[] | select(.Tags["soca:ClusterId"] == "t1")] | length')" = 2 ]
	# rerun: no new object, no create call
	run soca-desktop tick
	assert_success
	refute_output --partial "alb:"
	[ "$(elb_calls CreateTargetGroup RegisterTargets CreateRule DeleteRule DeleteTargetGroup)" = 6 ]
	[ "$(elb '.target_groups | length')" = 2 ]
	# connect: the ALB URL
	run soca-desktop connect ws1
	assert_success
	assert_output "https://soca-desktops-1234567890.us-east-1.elb.amazonaws.com/$s1/#$s1"
	# and the DCV file says the same: the ALB's host and port, DCV's path
	run soca-desktop connect ws1 --dcv-file ws1.dcv
	assert_success
	assert_output "https://soca-desktops-1234567890.us-east-1.elb.amazonaws.com/$s1/#$s1"
	[ "$(cat ws1.dcv)" = "[version]
format=1.0

[connect]
host=soca-desktops-1234567890.us-east-1.elb.amazonaws.com
port=443
sessionid=$s1
user=$ME
weburlpath=/$s1/" ]
	# stopped: rule, registration and group removed
	soca-desktop stop ws1
	run soca-desktop tick
	assert_success
	assert_output --partial "alb: $ME/ws1: rule and target group soca-"
	assert_output --partial "removed (stopping)"
	[ "$(elb '.target_groups | length')" = 1 ]
	[ "$(elb '.rules | length')" = 1 ]
	[ "$(elb_calls DeleteRule DeregisterTargets DeleteTargetGroup)" = 3 ]
	run soca-desktop tick
	refute_output --partial "alb:"
	[ "$(elb_calls DeleteRule DeregisterTargets DeleteTargetGroup)" = 3 ]
	# connect without a rule: the ssh way
	awsim_advance 60
	soca-desktop start ws1
	awsim_advance 60
	run soca-desktop connect ws1
	assert_line --index 0 --regexp '^ssh -N -L 8443:'
	# started again: served again at the next tick
	run soca-desktop tick
	assert_output --partial "alb: $ME/ws1: rule at priority 1"
	# terminated: the group has no desktop any more, the sweep removes it
	soca-desktop terminate ws2
	awsim_advance 120
	run soca-desktop tick
	assert_output --partial "removed (no live desktop)"
	[ "$(elb '.target_groups | length')" = 1 ]
	[ "$(elb '.rules | length')" = 1 ]
	[ "$(elb '.target_groups[0].Tags["soca:DesktopName"]')" = ws1 ]
}

@test "behind the ALB, DCV answers under /SESSION: user data, health check and connect agree" {
	desk_conf "user_data = $SOCA_SRCDIR/etc/desktop-user-data.sh"
	soca-desktop launch ws1
	s1=$(session ws1)
	awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d >ud.sh
	grep -qx "SOCA_DCV_URL_PATH='/$s1'" ud.sh
	grep -qx 'web-url-path = "$SOCA_DCV_URL_PATH"' ud.sh
	run bash -n ud.sh
	assert_success
	awsim_advance 60
	# no rule yet: the ssh way, under the same path
	run soca-desktop connect ws1
	assert_line --index 1 "https://localhost:8443/$s1/#$s1"
	run soca-desktop connect ws1 --dcv-file ws1.dcv
	assert_success
	grep -qx "weburlpath=/$s1/" ws1.dcv
	grep -qx "port=8443" ws1.dcv
	soca-desktop tick >/dev/null
	[ "$(elb '.target_groups[0].HealthCheckPath')" = "/$s1/" ]
	# without an ALB: DCV at /
	desk_conf "user_data = $SOCA_SRCDIR/etc/desktop-user-data.sh"
	sed -i '/^alb_listener_arn/d' "$SOCA_CONF"
	soca-desktop launch ws2
	awsim_ctl GET state | jq -r '.instances[1].UserData' | base64 -d >ud2.sh
	grep -qx "SOCA_DCV_URL_PATH='/'" ud2.sh
}

@test "the listener's rule limit: no rule past it, said clearly; freed places are used" {
	desk_conf 'alb_max_rules = 3'
	for i in 1 2 3 4 5; do soca-desktop launch "d$i"; done
	awsim_advance 60
	run soca-desktop tick
	assert_failure 1
	assert_output --partial "not added: the listener has 3 rules, [desktop] alb_max_rules is 3"
	[ "$(elb '.rules | length')" = 3 ]
	[ "$(elb '.target_groups | length')" = 3 ]
	# ELBv2's own limit, when alb_max_rules says more than the quota
	awsim_ctl POST elbv2 '{"rule_limit": 4}' >/dev/null
	desk_conf 'alb_max_rules = 100'
	run soca-desktop tick
	assert_failure 1
	assert_output --partial "the listener is full (ELBv2: TooManyRules)"
	[ "$(elb '.rules | length')" = 4 ]
	# stopped desktops free their places: the waiting one gets its rule
	soca-desktop stop d1
	soca-desktop stop d2
	run soca-desktop tick
	assert_success
	[ "$(elb '.rules | length')" = 3 ]
	[ "$(elb '[.target_groups[] | .Tags["soca:DesktopName"]] | sort | join(",")')" = "d3,d4,d5" ]
	run soca-desktop tick
	assert_success
	refute_output --partial "alb:"
}

@test "DescribeRules and DescribeTargetGroups are followed page by page (Marker)" {
	awsim_ctl POST elbv2 '{"page_size": 2}' >/dev/null
	for i in 1 2 3 4 5; do soca-desktop launch "d$i"; done
	awsim_advance 60
	run soca-desktop tick
	assert_success
	[ "$(elb '.rules | length')" = 5 ]
	[ "$(elb '[.rules[].Priority] | sort_by(tonumber) | join(",")')" = "1,2,3,4,5" ]
	before=$(awsim_calls elasticloadbalancing:DescribeRules)
	run soca-desktop tick
	assert_success
	refute_output --partial "alb:"
	# 5 rules + the default one, 2 a page: 3 pages; groups: 3 pages
	[ "$(( $(awsim_calls elasticloadbalancing:DescribeRules) - before ))" = 3 ]
	[ "$(awsim_requests elasticloadbalancing:DescribeRules | jq -s '[.[] | select(.Marker)] | length')" -ge 2 ]
	[ "$(awsim_requests elasticloadbalancing:DescribeTargetGroups | jq -s '[.[] | select(.Marker)] | length')" -ge 2 ]
}

@test "a crash between CreateTargetGroup and CreateRule leaves nothing orphaned after the next tick" {
	soca-desktop launch ws1
	awsim_advance 60
	SOCA_CRASH_AT=alb-after-group run soca-desktop tick
	[ "$status" -ne 0 ]
	[ "$(elb '.target_groups | length')" = 1 ]
	[ "$(elb '.rules | length')" = 0 ]
	# still running: the next tick completes it with the same group
	run soca-desktop tick
	assert_success
	[ "$(elb '.target_groups | length')" = 1 ]
	[ "$(elb '.rules | length')" = 1 ]
	[ "$(elb_calls CreateTargetGroup)" = 1 ]
	# crash again for a desktop that is then terminated: swept
	soca-desktop launch ws2
	awsim_advance 60
	SOCA_CRASH_AT=alb-after-group run soca-desktop tick
	[ "$(elb '.target_groups | length')" = 2 ]
	soca-desktop terminate ws2
	awsim_advance 120
	run soca-desktop tick
	assert_success
	assert_output --partial "removed (no live desktop)"
	[ "$(elb '.target_groups | length')" = 1 ]
	[ "$(elb '.rules | length')" = 1 ]
	# another cluster's group (other tag) is left alone
	aws elbv2 create-target-group --name soca-other --protocol HTTPS \
	    --port 8443 --vpc-id vpc-0a1b2c3d --tags Key=soca:ClusterId,Value=t2 \
	    Key=soca:NodeType,Value=desktop >/dev/null
	run soca-desktop tick
	assert_success
	[ "$(elb '.target_groups | length')" = 2 ]
}

@test "ELBv2 errors: one failed call is logged, the desktops' own actions go on" {
	soca-desktop launch ws1
	awsim_advance 60
	awsim_ctl POST faults '{"op": "elasticloadbalancing:CreateRule", "kind": "throttle", "count": 10}' >/dev/null
	run soca-desktop tick
	assert_failure 1
	assert_output --partial "alb: CreateRule $ME/ws1"
	awsim_ctl DELETE faults >/dev/null
	run soca-desktop tick
	assert_success
	[ "$(elb '.rules | length')" = 1 ]
	[ "$(elb '.target_groups | length')" = 1 ]
}

@test "awsim's ELBv2 and IAM: every request checked against botocore's models and signed" {
	run soca-aws elbv2 DescribeRules ListenerArn="$LISTENER"
	assert_success
	[ "$(jq -r '.Rules[0].IsDefault' <<<"$output")" = true ]
	run soca-aws elbv2 DescribeRules ListenerArn="$LISTENER" Bogus=1
	assert_failure 1
	assert_output --partial "ValidationError: Unknown parameter Bogus"
	run soca-aws elbv2 DescribeRules ListenerArn="$LISTENER" PageSize=0
	assert_failure 1
	assert_output --partial "ValidationError"
	assert_output --partial "greater than or equal to 1"
	run soca-aws elbv2 DescribeRules ListenerArn="$LISTENER" PageSize=x
	assert_failure 1
	assert_output --partial "Expected an integer"
	run soca-aws elbv2 CreateRule ListenerArn="$LISTENER" Priority=1
	assert_failure 1
	assert_output --partial "ValidationError"
	assert_output --regexp "Value null at '(conditions|actions)'"
	run soca-aws elbv2 CreateTargetGroup Name=x Protocol=HTTPX Port=1 VpcId=vpc-1
	assert_failure 1
	assert_output --partial "enum value set"
	run soca-aws elbv2 DescribeTargetGroups Names.member.1=nope
	assert_failure 1
	assert_output --partial "TargetGroupNotFound"
	AWS_SECRET_ACCESS_KEY=wrong run soca-aws elbv2 DescribeTargetGroups
	assert_failure 1
	assert_output --partial "SignatureDoesNotMatch"
	run soca-aws iam GetInstanceProfile InstanceProfileName=nope
	assert_failure 1
	assert_output --partial "NoSuchEntity"
	run soca-aws iam SimulatePrincipalPolicy PolicySourceArn=arn:aws:iam::123456789012:role/r
	assert_failure 1
	assert_output --partial "Value null at 'actionNames'"
	# and botocore's own client (the aws CLI) reads awsim's answers
	run aws elbv2 describe-rules --listener-arn "$LISTENER" --query 'Rules[0].Priority' --output text
	assert_success
	assert_output default
}
