#!/usr/bin/env bats
# The embedded default drains its queue by itself (issue 22): after the
# submissions the tests type nothing a user would not (no soca-node-up,
# no soca-node-down); they wait on the outcome with a timeout.  What
# starts each next job is the end of the one before: its runner kicks the
# dispatcher (soca-node-up(1)).

load lib/helper
load lib/jobs

setup() {
	soca_test_env
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	: >"$SOCA_CONF"
}

# conf LINES...: the test's soca.conf
conf() {
	printf '%s\n' "$@" >"$SOCA_CONF"
}

# wait_all STATE N [SECONDS]: until N jobs are in STATE and none is active
wait_all() {
	local want=$1 n=$2 t=$(( ${3:-30} * 10 )) got active
	while [ "$t" -gt 0 ]; do
		got=$(soca-stat -x -n -o state </dev/null | grep -c "^$want\$" || :)
		active=$(soca-stat -n -o id </dev/null | wc -l)
		[ "$got" -eq "$n" ] && [ "$active" -eq 0 ] && return 0
		sleep 0.1
		t=$((t - 1))
	done
	echo "$got of $n jobs $want, $active still active:" >&2
	soca-stat -x >&2
	return 1
}

@test "the issue's case: slots = 1, three jobs, all done without a dispatch typed" {
	conf '[cluster]' 'slots = 1'
	for i in 1 2 3; do
		echo 'sleep 1' | soca-submit
	done
	wait_all done 3 20
}

@test "10 jobs with slots = 2 all reach done" {
	conf '[cluster]' 'slots = 2'
	for i in $(seq 10); do
		soca-submit -- sh -c 'sleep 0.2'
	done
	wait_all done 10 30
	run soca-stat -x -n -o exit
	assert_output "$(printf '0\n%.0s' $(seq 10))"
}

@test "a chain of 5 afterok dependencies runs in order to done" {
	soca-submit -- sh -c 'sleep 0.3; echo 1 >>chain.log' >/dev/null
	for i in 2 3 4 5; do
		soca-submit -W depend=afterok:$((i - 1)) -- \
			sh -c "sleep 0.2; echo $i >>chain.log" >/dev/null
	done
	wait_all done 5 30
	run cat chain.log
	assert_output "$(printf '1\n2\n3\n4\n5')"
	# each started after its parent ended
	for i in 2 3 4 5; do
		s=$(soca-stat -x -n -o start $i)
		e=$(soca-stat -x -n -o end $((i - 1)))
		[ "$s" -ge "$e" ]
	done
}

@test "max_running_jobs = 1: three jobs never run two at once, all finish" {
	conf '[queue "normal"]' 'max_running_jobs = 1'
	for i in 1 2 3; do
		soca-submit -- sh -c 'mkdir one.lock || echo overlap >>bad.log
			sleep 0.5; rmdir one.lock' >/dev/null
	done
	wait_all done 3 30
	[ ! -e bad.log ]
}

@test "a failed parent fails its afterok child at once, with the reason" {
	conf '[cluster]' 'slots = 1'
	soca-submit -- sh -c 'sleep 0.3; exit 4'
	soca-submit -W depend=afterok:1 -- true
	soca-submit -W depend=afterok:2 -- true
	wait_state 1 failed 10
	wait_state 2 failed 3
	wait_state 3 failed 3
	run soca-stat -x -n -o state,reason 2 3
	assert_line --index 0 --regexp '^failed +dependency: job 1 is failed$'
	assert_line --index 1 --regexp '^failed +dependency: job 2 is failed$'
}

@test "a dependency's reason names its parent's state as it is now" {
	conf '[cluster]' 'slots = 2'
	soca-submit -- sleep 3
	soca-submit -W depend=afterok:1 -- true
	wait_state 1 running 10
	run soca-stat -n -o state,reason 2
	assert_output --regexp '^queued +dependency: job 1 is running$'
	wait_state 2 done 15
}

@test "a SIGKILLed runner with slots = 1: the job fails, the next one runs" {
	conf '[cluster]' 'slots = 1'
	soca-submit -- sleep 60
	soca-submit -r y -- true
	wait_state 1 running 10
	pid=$(soca-stat -f 1 | sed -n 's/^runner=//p')
	pgid=$(soca-stat -f 1 | sed -n 's/^pgid=//p')
	kill -0 -- "-$pgid"
	kill -9 "$pid"
	# the user looks: soca-stat says what happened and kicks the dispatcher
	wait_state 1 failed 10
	run soca-stat -x -n -o state,reason 1
	assert_output --regexp '^failed +node lost$'
	wait_state 2 done 10
	# the job's own processes went with it (zombies aside: reaping them
	# is init's business)
	run ps -o stat= -g "$pgid"
	refute_output --regexp '^[^Z]'
}

@test "a SIGKILLed runner of a rerunnable job: requeued, then runs again" {
	conf '[cluster]' 'slots = 1'
	soca-submit -r y -- sh -c 'echo run >>runs.log; sleep 60' >/dev/null
	wait_state 1 running 10
	pid=$(soca-stat -f 1 | sed -n 's/^runner=//p')
	kill -9 "$pid"
	# requeued by the pass that soca-stat's look kicked, then run again
	local n=100
	while [ "$(wc -l <runs.log)" -lt 2 ] && [ $n -gt 0 ]; do
		soca-stat >/dev/null
		sleep 0.1
		n=$((n - 1))
	done
	[ "$(wc -l <runs.log)" -eq 2 ]
	wait_state 1 running 5
	soca-del 1
}

@test "cancelling a job's parent fails the child; cancelling a running job starts the next" {
	conf '[cluster]' 'slots = 1'
	soca-submit -- sleep 60
	soca-submit -- true
	soca-submit -W depend=afterok:2 -- true
	wait_state 1 running 10
	soca-del 2
	wait_state 3 failed 5
	run soca-stat -x -n -o reason 3
	assert_output 'dependency: job 2 is cancelled'
	soca-submit -- true
	soca-del 1
	wait_state 4 done 15
}

@test "200 short jobs with the default slots: none left queued" {
	for i in $(seq 200); do
		soca-submit -- true >/dev/null
	done
	wait_all done 200 180
	[ "$(spool_count queued)" -eq 0 ]
	[ "$(spool_count running)" -eq 0 ]
}

@test "a job whose runner never started is requeued after launch_timeout and runs" {
	conf '[cluster]' 'slots = 1' 'launch_timeout = 1s' 'dispatch = cron'
	soca-submit -- true
	# what a runner killed before it took its lock leaves: provisioning
	# with no runner (the dispatcher itself never does this)
	spool=$(spool_dir)
	sed -e 's/^state=queued$/state=provisioning/' \
		-e "1a start=$(($(date +%s) - 5))" "$spool/queued/1" >"$spool/provisioning/1"
	rm "$spool/queued/1"
	conf '[cluster]' 'slots = 1' 'launch_timeout = 1s'
	run soca-stat -n -o state,reason 1
	assert_output --regexp '^provisioning +runner did not start'
	wait_state 1 done 10
}
