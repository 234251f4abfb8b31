#!/usr/bin/env bats
# The deployment (issue 18): deploy/soca.yaml passes npm's cfn-lint checked
# against the CloudFormation resource specification of npm's
# @aws-cdk/cfnspec (every resource type, property, nested property type,
# required property and GetAtt attribute); its user data passes bash -n
# and shellcheck; its two IAM roles allow exactly the AWS actions soca's
# code calls, mutating EC2 actions only on instances tagged with the
# cluster, iam:PassRole only on the compute role.  The npm tools are
# installed by tests/setup-deps test under tests/npm/node_modules.

load lib/helper

setup() {
	T=$SOCA_SRCDIR/deploy/soca.yaml
	NM=$SOCA_SRCDIR/tests/npm/node_modules
	D=$SOCA_SRCDIR/tests/deploy
}

need_npm_tools() {
	[ -d "$NM/cfn-lint" ] && [ -f "$NM/@aws-cdk/cfnspec/spec/specification.json" ] ||
		skip "npm tools missing: run tests/setup-deps test"
	command -v node >/dev/null || skip "node is not installed"
}

@test "the template passes cfn-lint against the resource specification" {
	need_npm_tools
	run node "$D/cfn-check.js" "$NM" "$T"
	assert_success
	assert_output --regexp '^spec [0-9.]+: [0-9]+ outputs, 0 findings$'
}

@test "cfn-check finds a misspelt property, a missing one, a bad type and a bad attribute" {
	need_npm_tools
	sed -e 's/TransitionToIA: AFTER_30_DAYS/TransitionToIa: AFTER_30_DAYS/' \
		-e 's/^      GroupDescription: !Sub "soca ${ClusterName} EFS/      GroupDescriptio: !Sub "soca ${ClusterName} EFS/' \
		-e 's/!GetAtt NatAddress.AllocationId/!GetAtt NatAddress.Allocation/' \
		-e 's/Type: AWS::EC2::RouteTable$/Type: AWS::EC2::RouteTables/' \
		"$T" >"$BATS_TEST_TMPDIR/bad.yaml"
	run node "$D/cfn-check.js" "$NM" "$BATS_TEST_TMPDIR/bad.yaml"
	assert_failure 1
	assert_line --partial 'TransitionToIa is not a valid property of AWS::EFS::FileSystem.LifecyclePolicy'
	assert_line --partial 'Required property GroupDescription missing for type AWS::EC2::SecurityGroup'
	assert_line --partial 'No such attribute Allocation on AWS::EC2::EIP'
	assert_line --partial 'invalid Type of AWS::EC2::RouteTables'
}

@test "the head node's user data passes bash -n and shellcheck" {
	"$D/cfn-userdata" "$T" HeadNode >"$BATS_TEST_TMPDIR/ud.sh"
	run head -1 "$BATS_TEST_TMPDIR/ud.sh"
	assert_output '#!/bin/bash'
	run bash -n "$BATS_TEST_TMPDIR/ud.sh"
	assert_success
	command -v shellcheck || skip "shellcheck is not installed"
	run shellcheck -s bash "$BATS_TEST_TMPDIR/ud.sh"
	assert_success
	assert_output ""
}

@test "the IAM roles allow exactly what soca's code calls" {
	run "$D/iam-check" "$SOCA_SRCDIR" "$T"
	assert_success
	assert_line --regexp '^HeadNodeRole: ([0-9]+) actions allowed, \1 called$'
	assert_line 'ComputeNodeRole: 3 actions allowed, 3 called'
	refute_line --regexp '^(missing|unused|loose):'
	# what the code calls, found where it calls it
	run "$D/iam-check" --list "$SOCA_SRCDIR" "$T"
	assert_line --regexp '^HeadNodeRole	ec2:RunInstances	.*lib/provider_aws\.c:[0-9]+'
	assert_line --regexp '^HeadNodeRole	ec2:TerminateInstances	.*lib/provider_aws\.c:[0-9]+'
	assert_line --regexp '^HeadNodeRole	budgets:ViewBudget	lib/cost\.c:[0-9]+'
	assert_line --regexp '^HeadNodeRole	iam:PassRole	needed by ec2:'
	# OpenSearch's REST calls and SES, on the nodes too for job mail
	assert_line --regexp '^HeadNodeRole	es:ESHttpPost	lib/index\.c:[0-9]+'
	assert_line --regexp '^HeadNodeRole	es:ESHttpPut	lib/index\.c:[0-9]+'
	assert_line --regexp '^HeadNodeRole	ses:SendEmail	lib/mail\.c:[0-9]+'
	assert_line --regexp '^ComputeNodeRole	ses:SendEmail	lib/mail\.c: '
	refute_line --partial 'soca-aws.c'
}

@test "iam-check finds a missing action, an unused one and loose grants" {
	# drop the instances' tag condition, widen PassRole, grant an action
	# nothing calls, and forget DescribeImages
	sed -e 's|"aws:ResourceTag/soca:ClusterId": !Sub "${ClusterName}"|"aws:ResourceTag/Name": x|' \
		-e 's|role/soca-${ClusterName}-compute-node"|role/*"|' \
		-e 's|- pricing:GetProducts|- pricing:GetProducts\n                  - ec2:RebootInstances|' \
		-e '/- ec2:DescribeImages/d' \
		"$T" >"$BATS_TEST_TMPDIR/bad.yaml"
	run "$D/iam-check" "$SOCA_SRCDIR" "$BATS_TEST_TMPDIR/bad.yaml"
	assert_failure 1
	assert_line --regexp '^loose: HeadNodeRole ActOnOwnInstances: ec2:TerminateInstances .* without the soca:ClusterId tag condition$'
	assert_line --regexp '^loose: HeadNodeRole PassOnlyTheComputeRole: iam:PassRole on .*role/\*'
	assert_line --regexp '^unused: HeadNodeRole: ec2:RebootInstances '
	assert_line --regexp '^missing: HeadNodeRole: ec2:DescribeImages \(called at lib/aws_ami\.c:[0-9]+\)$'
}

@test "iam-check sees a new call in the code" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	cp -r "$SOCA_SRCDIR/lib" "$SOCA_SRCDIR/bin" "$BATS_TEST_TMPDIR/src/"
	cat >>"$BATS_TEST_TMPDIR/src/lib/reap.c" <<-'EOF2'
	static void reboot_it(struct soca_aws *a, json_t *p, struct soca_aws_err *e)
	{
		json_decref(soca_aws_ec2(a, "RebootInstances", p, e));
	}
	EOF2
	run "$D/iam-check" "$BATS_TEST_TMPDIR/src" "$T"
	assert_failure 1
	assert_line --regexp '^missing: HeadNodeRole: ec2:RebootInstances \(called at lib/reap\.c:[0-9]+\)$'
}

@test "bad arguments to the checkers exit 2 with their usage" {
	run "$D/iam-check" "$SOCA_SRCDIR"
	assert_failure 2
	assert_output --partial 'iam-check [--list] SRCDIR TEMPLATE'
	run "$D/cfn-userdata" "$T"
	assert_failure 2
	run "$D/cfn-userdata" "$T" Vpc
	assert_failure 1
	assert_output --partial 'Vpc has no Fn::Base64 Fn::Sub user data'
}
