#!/usr/bin/env bats
# ec2boot.bats: the whole AWS path end to end against awsim --boot-mode,
# which "boots" each launched instance by running its user-data as a local
# process whose IMDSv2 is that instance's: soca-submit, the DryRun,
# RunInstances, the rendered user-data, soca-node-run (instance id and
# hostname from IMDS), the job's output, then the reaper's termination.

load lib/helper
load lib/jobs
load lib/awsim

setup_file() {
	awsim_start --boot-mode
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
	cat >"$SOCA_CONF" <<-EOF2
	[cluster]
	name = boot1
	provider = aws
	dispatch = cron
	spool = $BATS_TEST_TMPDIR/spool
	[aws]
	ami = ami-0a1b2c3d4e5f60001
	user_data = $SOCA_SRCDIR/etc/user-data.sh
	launch_rate = 0
	[queue "normal"]
	instance_type = c5.large
	EOF2
}

@test "submit -> RunInstances -> boot -> soca-node-run -> done -> terminated" {
	mkdir wd && cd wd
	printf '#!/bin/sh\necho "job $PBS_JOBID on $(cat "$PBS_NODEFILE")"\n' >job.sh
	run soca-submit -N boot_test job.sh
	assert_success
	assert_output 1
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]	# the DryRun
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	wait_state 1 done 20
	iid=$(awsim_ctl GET state | jq -r '.instances[0].InstanceId')
	ip=$(awsim_ctl GET state | jq -r '.instances[0].PrivateIpAddress')
	host="ip-${ip//./-}.ec2.internal"
	run cat boot_test.o1
	assert_output "job 1 on $host"
	run soca-stat -J 1
	[ "$(jq -r .host <<<"$output")" = "$host" ]
	run cat "$BATS_TEST_TMPDIR/spool/aws/1.node.0"
	assert_output "$iid $host"
	[ "$(awsim_calls imds:PutToken)" -ge 1 ]
	run soca-node-down
	assert_success
	assert_output --partial "$iid terminate job 1: done"
	[ "$(awsim_ctl GET state | jq -r '.instances[0].State')" = shutting-down ]
}

@test "a 3-node job: every node registers, the first runs with all in PBS_NODEFILE" {
	mkdir wd && cd wd
	printf '#!/bin/sh\nsort "$PBS_NODEFILE"\n' >job.sh
	soca-submit -N three -l nodes=3 job.sh
	soca-node-up
	wait_state 1 done 20
	want=$(awsim_ctl GET state | jq -r '.instances[].PrivateIpAddress | "ip-" + gsub("\\."; "-") + ".ec2.internal"' | sort)
	run cat three.o1
	assert_output "$want"
	[ "$(ls "$BATS_TEST_TMPDIR/spool/aws/" | grep -c '^1\.node\.')" = 3 ]
	run soca-node-down
	[ "$(grep -c ' terminate job 1: done' <<<"$output")" = 3 ]
}

@test "hostile job names, projects and paths never reach a shell on the node" {
	mkdir -p 'w d/$(touch pwned)' && cd 'w d/$(touch pwned)'
	printf '#!/bin/sh\necho "name=$PBS_JOBNAME"\n' >job.sh
	soca-submit -N 'a.b_c-1' -o 'out `touch pwned2`.txt' job.sh
	soca-node-up
	wait_state 1 done 20
	run cat 'out `touch pwned2`.txt'
	assert_output "name=a.b_c-1"
	[ ! -e pwned ] && [ ! -e pwned2 ] && [ ! -e ../pwned ]
	ud=$(awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d)
	! grep -q 'pwned' <<<"$ud"
}
