#!/usr/bin/env bats
# soca-submit: storing jobs, and every refusal with its message and code.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
	no_dispatch
}

@test "a script on stdin is stored and its id printed" {
	run soca-submit <<<'echo hi'
	assert_success
	assert_output 1
	run soca-submit <<<'echo hi'
	assert_output 2
	[ "$(spool_count queued)" -eq 2 ]
	run soca-stat -n -o id,name,state,user
	assert_line --index 0 --regexp "^ *1 +STDIN +queued +$(id -un)$"
}

@test "a script file names the job; -- runs a command without a shell" {
	printf '#!/bin/sh\necho x\n' >job.sh
	run soca-submit job.sh
	assert_success
	run soca-submit -- printf '%s\n' "a b" "c;d"
	assert_success
	run soca-stat -n -o name
	assert_line --index 0 --regexp "^job.sh"
	assert_line --index 1 --regexp "^printf"
}

@test "#PBS directives are read and the command line wins" {
	printf '#!/bin/sh\n#PBS -N fromscript\n#PBS -q high\n#PBS -l nodes=2\necho\n' >p.sh
	run soca-submit -q low p.sh
	assert_success
	run soca-stat -n -o name,queue,nodes 1
	assert_output --regexp "^fromscript +low +2$"
}

@test "resources and queue defaults end up in the record" {
	run soca-submit -l instance_type=c5.large+c5.xlarge,ncpus=1 -P proj <<<'true'
	assert_success
	run soca-stat -f 1
	assert_line "res=instance_type=c5.large+c5.xlarge"
	assert_line "res=nodes=1"
	assert_line "project=proj"
	assert_line "uid=$(id -u)"
}

@test "unknown queue is refused" {
	refused 'unknown queue "nope"' -q nope <<<'true'
}

@test "disabled queue is refused" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nenabled = no\n' >"$SOCA_CONF"
	refused 'queue "normal" is disabled' <<<'true'
}

@test "a user outside allowed_users is refused" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nallowed_users = nobody-else\n' >"$SOCA_CONF"
	refused "user $(id -un) is not allowed (allowed_users: nobody-else)" <<<'true'
}

@test "a user in excluded_users (by group) is refused" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nexcluded_users = %s\n' "$(id -gn)" >"$SOCA_CONF"
	refused "user $(id -un) is excluded" <<<'true'
}

@test "an instance type the queue excludes is refused" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nexcluded_instance_types = p5\n' >"$SOCA_CONF"
	refused 'instance type p5.48xlarge is excluded from queue "normal"' -l instance_type=p5.48xlarge <<<'true'
}

@test "an instance type outside allowed_instance_types is refused" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nallowed_instance_types = c5\n' >"$SOCA_CONF"
	refused 'instance type m5.large is not allowed in queue "normal" (allowed: c5)' -l instance_type=c5.large+m5.large <<<'true'
}

@test "a restricted parameter is refused" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nrestricted_parameters = root_size\n' >"$SOCA_CONF"
	refused 'resource root_size is restricted' -l root_size=40 <<<'true'
}

@test "bad values are refused with value, rule and fix" {
	refused 'resource nodes: bad value "0": expected a whole number from 1 to 10000 (fix: -l nodes=VALUE)' -l nodes=0 <<<'true'
	refused 'resource spot_price: bad value "abc": expected a number of 0 or more, or auto' -l spot_price=abc <<<'true'
	refused 'resource root_size: bad value "-1"' -l root_size=-1 <<<'true'
	refused 'unknown resource "colour"' -l colour=red <<<'true'
	refused 'resource "nodes" is not key=value' -l nodes <<<'true'
	refused 'dependency "beforeok" in "depend=beforeok:1" is not supported' -W depend=beforeok:1 <<<'true'
	refused '"1X" is not a variable name' -v 1X=2 <<<'true'
	refused 'job name "a/b" is not allowed' -N a/b <<<'true'
}

@test "a bad #PBS -l in the script is refused too" {
	printf '#PBS -l nodes=0\ntrue\n' >bad.sh
	refused 'resource nodes: bad value "0"' bad.sh
}

@test "unreadable, binary, empty and oversized scripts are refused" {
	refused 'script /nonexistent: cannot read it' /nonexistent
	printf 'a\0b' >bin.sh
	refused 'the job script is binary' bin.sh
	: >empty.sh
	refused 'the job script is empty' empty.sh
	printf '[cluster]\ndispatch = cron\nmax_script_size = 10\n' >"$SOCA_CONF"
	printf 'echo 0123456789\n' >big.sh
	refused 'over max_script_size 10' big.sh
}

@test "usage errors exit 2, --help exits 0" {
	run soca-submit -Z
	assert_failure 2
	assert_output --partial usage:
	run soca-submit a b
	assert_failure 2
	run soca-submit --help
	assert_success
	assert_output --partial "usage: soca-submit"
}

@test "a broken soca.conf stops submission with exit 2" {
	printf '[cluster]\nslots = lots\n' >"$SOCA_CONF"
	run soca-submit <<<'true'
	assert_failure 2
	assert_output --partial 'soca.conf:2'
}

@test "projects: any name until configured, then only known and allowed ones" {
	run soca-submit -P anything <<<'true'
	assert_success
	printf '[cluster]\ndispatch = cron\n[project "cfd"]\nallowed_users = %s\n[project "secret"]\nallowed_groups = nobody-group-x\n' "$(id -un)" >"$SOCA_CONF"
	run soca-submit -P cfd <<<'true'
	assert_success
	run soca-submit -P nope <<<'true'
	assert_failure 2
	assert_output --partial 'unknown project "nope"'
	run soca-submit -P secret <<<'true'
	assert_failure 2
	assert_output --partial "project \"secret\": user $(id -un) may not charge it"
	[ "$(spool_count queued)" -eq 2 ]
}
