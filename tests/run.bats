#!/usr/bin/env bats
# End to end on the embedded default: soca-submit kicks soca-node-up,
# the local provider starts soca-node-run, soca-stat shows the states.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
}

@test "a fresh user with no config: queued, running, done, output file" {
	[ ! -e "$XDG_STATE_HOME/soca" ]
	run soca-submit <<<'hostname; sleep 1'
	assert_success
	assert_output 1
	wait_state 1 running 5
	run soca-stat -x
	assert_output --regexp ' 1 +STDIN +[^ ]+ +normal +running'
	wait_state 1 done 10
	run soca-stat -x
	assert_output --regexp ' 1 +STDIN +[^ ]+ +normal +done +1 +- +0:00:0[0-9]'
	run cat STDIN.o1
	assert_output "$(hostname)"
	[ -e STDIN.e1 ]
	run soca-stat
	refute_output --partial STDIN
}

@test "the job sees PBS and SOCA variables, -v, its workdir and own ids" {
	mkdir wd && cd wd
	cat >env.sh <<-'EOF2'
	#!/bin/sh
	echo "id=$PBS_JOBID name=$PBS_JOBNAME queue=$PBS_QUEUE"
	echo "wd=$PBS_O_WORKDIR pwd=$(pwd) soca=$SOCA_JOB_ID nodes=$SOCA_NODES"
	echo "foo=$FOO uid=$(id -u)"
	cat "$PBS_NODEFILE"
	EOF2
	run soca-submit -v FOO='x y' -q high env.sh
	assert_success
	wait_state 1 done 10
	run cat env.sh.o1
	assert_line "id=1 name=env.sh queue=high"
	assert_line "wd=$PWD pwd=$PWD soca=1 nodes=1"
	assert_line "foo=x y uid=$(id -u)"
	assert_line "$(hostname)"
}

@test "-o, -e and -j oe place the output" {
	run soca-submit -o out.txt -e err.txt -- sh -c 'echo O; echo E >&2'
	wait_state 1 done 10
	run cat out.txt
	assert_output O
	run cat err.txt
	assert_output E
	run soca-submit -j oe -N joined -- sh -c 'echo O; echo E >&2'
	wait_state 2 done 10
	run cat joined.o2
	assert_line O
	assert_line E
	[ ! -e joined.e2 ]
}

@test "a failing job is failed with its exit status" {
	run soca-submit -- sh -c 'exit 3'
	wait_state 1 failed 10
	run soca-stat -x -n -o state,exit,reason 1
	assert_output --regexp '^failed +3 +exit 3$'
}

@test "afterok waits for its dependency, and fails when it fails" {
	no_dispatch
	soca-submit -- sleep 1
	soca-submit -W depend=afterok:1 -- true
	soca-submit -- false
	soca-submit -W depend=afterok:3 -- true
	run soca-node-up
	assert_success
	run soca-stat -n -o id,reason 2
	assert_output --regexp '^ *2 +dependency: job 1 is'
	wait_state 3 failed 10
	soca-node-up
	wait_state 4 failed 5
	run soca-stat -n -o reason 4
	assert_output 'dependency: job 3 is failed'
	wait_state 1 done 10
	soca-node-up
	wait_state 2 done 10
}

@test "a job asking for more cpus than the host has is held with that reason" {
	no_dispatch "slots = 2"
	soca-submit -l ncpus=3 <<<'true'
	run soca-node-up
	assert_success
	run soca-stat -n -o state,reason 1
	assert_output --regexp '^queued +capacity: the job needs 3 cpus \(nodes x ncpus\), this host has 2 slots$'
}

@test "slots limit running jobs; max_running_jobs holds with a reason" {
	no_dispatch "slots = 1"
	soca-submit -- sleep 2
	soca-submit -- true
	soca-node-up
	wait_state 1 running 5
	run soca-stat -n -o state,reason 2
	assert_output --regexp '^queued +capacity: 1 of 1 slots in use'
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nmax_running_jobs = 1\n' >"$SOCA_CONF"
	soca-node-up
	run soca-stat -n -o state,reason 2
	assert_output --regexp '^queued +queue limit: max_running_jobs 1 reached in queue normal$'
	wait_state 1 done 10
	soca-node-up
	wait_state 2 done 10
}

@test "a second dispatcher exits 0 quietly while one holds the lock" {
	no_dispatch
	soca-submit -- true
	exec 9>"$(spool_dir)/dispatch.lock"
	flock -n 9
	run soca-node-up -v
	assert_success
	assert_output "0 jobs launched"
	run soca-stat -n -o state 1
	assert_output queued
	exec 9>&-
	run soca-node-up -v
	assert_output "1 job launched"
}

@test "soca-node-down fails a running job whose runner died, requeues a rerunnable one" {
	no_dispatch
	soca-submit -- sleep 30
	soca-submit -r y -- sleep 30
	soca-node-up
	wait_state 1 running 5
	wait_state 2 running 5
	for id in 1 2; do
		pid=$(soca-stat -f $id | sed -n 's/^runner=//p')
		kill -9 "$pid"
	done
	sleep 0.2
	run soca-node-down
	assert_success
	assert_line '1 failed node lost'
	assert_line '2 queued requeued: node lost'
	run soca-stat -x -n -o state,reason 1
	assert_output --regexp '^failed +node lost$'
	run soca-node-down
	assert_output ''
}

@test "soca-node-run refuses a job that is not waiting to run" {
	no_dispatch
	soca-submit -- true
	soca-node-up
	wait_state 1 done 10
	run soca-node-run 1
	assert_failure 1
	assert_output --partial 'job 1: not waiting to run'
	run soca-node-run x
	assert_failure 2
}

@test "max_provisioned_instances counts nodes and holds with a reason" {
	no_dispatch "slots = 8"
	printf '[queue "normal"]\nmax_provisioned_instances = 3\n' >>"$SOCA_CONF"
	soca-submit -l nodes=2 -- sleep 2
	soca-submit -l nodes=2 -- true
	soca-node-up
	wait_state 1 running 5
	run soca-stat -n -o state,reason 2
	assert_output --regexp '^queued +queue limit: max_provisioned_instances 3 in queue normal \(2 in use, the job needs 2\)$'
}

@test "walltime: a job running too long is killed and failed" {
	no_dispatch "kill_grace = 1s"
	soca-submit -l walltime=1s -- sleep 30
	soca-node-up
	wait_state 1 failed 10
	run soca-stat -x -n -o reason 1
	assert_output 'walltime exceeded (killed by signal 15)'
}

@test "a script without #! runs under the owner's login shell; one with #! runs its interpreter" {
	no_dispatch
	printf 'echo "$0"\n' >plain.sh
	printf '#!/bin/cat\nhello\n' >cat.sh
	soca-submit plain.sh
	soca-submit cat.sh
	soca-node-up
	wait_state 1 done 10
	wait_state 2 done 10
	run cat plain.sh.o1
	assert_output --regexp '^/tmp/soca-job\.'
	run cat cat.sh.o2
	assert_line hello
}
