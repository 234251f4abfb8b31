#!/usr/bin/env bats
# Job arrays as PBS Professional has them (issue 12): soca-submit -J
# X-Y[:Z][%M] and #PBS -J, ids ID[] and ID[INDEX], at most M subjobs at
# once, PBS_ARRAY_INDEX / PBS_ARRAY_ID, output files NAME.oID.INDEX,
# soca-stat -t, soca-del of one subjob or the whole array, -W depend on
# an array; and resources_used.* recorded when a job ends.  On the
# embedded default (dispatch = immediate) the tests type no soca-node-up:
# they wait on the outcome.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
}

# slots N: the local provider runs up to N jobs at once
slots() {
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	printf '[cluster]\nslots = %s\n%s\n' "$1" "${2:-}" >"$SOCA_CONF"
}

# wait_reason ID REASON [SECONDS]: until soca-stat gives job ID that reason
wait_reason() {
	local n=$(( ${3:-10} * 10 )) got
	while [ "$n" -gt 0 ]; do
		got=$(soca-stat -n -o reason "$1" </dev/null 2>/dev/null)
		[ "$got" = "$2" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "job $1: reason \"$got\", wanted \"$2\"" >&2
	return 1
}

@test "-J X-Y[:Z][%M] and #PBS -J are taken; the array prints as ID[]" {
	no_dispatch
	run soca-submit -J 1-4 -- true
	assert_success
	assert_output '1[]'
	printf '#!/bin/sh\n#PBS -N steps\n#PBS -J 0-6:2%%2\ntrue\n' >steps.sh
	run soca-submit steps.sh
	assert_success
	# the array takes its subjobs' ids with its own
	assert_output '6[]'
	run soca-submit -J 7-7 -- true
	assert_output '11[]'
	run soca-submit -- true
	assert_output 13
	run soca-stat -n -o id,name,state
	assert_line --index 0 --regexp '^ +1\[\] +true +queued$'
	assert_line --index 1 --regexp '^ +6\[\] +steps +queued$'
	assert_line --index 2 --regexp '^11\[\] +true +queued$'
	assert_line --index 3 --regexp '^ +13 +true +queued$'
	[ "${#lines[@]}" -eq 4 ]
	run soca-stat -f '6[]'
	assert_line 'id=6[]'
	assert_line 'array=0-6:2%2'
	# the command line wins over #PBS -J
	run soca-submit -J 1-2 steps.sh
	assert_output '14[]'
	run soca-stat -f 14
	assert_line 'array=1-2'
	# one record whatever the count: nothing per subjob yet
	[ "$(spool_count queued)" -eq 5 ]
	run soca-submit -J 1-10000 -- true
	assert_success
	[ "$(spool_count queued)" -eq 6 ]
}

@test "bad ranges are refused with exit 2, the value, the rule and the fix" {
	no_dispatch
	refused '-J "5-1": the last index Y is below the first X (write X-Y with X <= Y)' -J 5-1 -- true
	refused '-J "1-9:0": the step Z is below 1' -J 1-9:0 -- true
	refused '-J "1-9%0": the limit M of subjobs running at once is below 1' -J 1-9%0 -- true
	refused '-J "1-10001": 10001 subjobs, more than max_array_size 10000' -J 1-10001 -- true
	refused '-J "x-y": not a range (write -J X-Y[:Z][%M]' -J x-y -- true
	refused '-J "1-": not a range' -J 1- -- true
	refused '-J "4": not a range' -J 4 -- true
	refused '-J "1-4:": not a range' -J 1-4: -- true
	refused '-J "1-4%": not a range' -J 1-4% -- true
	refused '-J "-1-4": not a range' -J -1-4 -- true
	refused '-J "0-9999999999": an index is above 999999999' -J 0-9999999999 -- true
	refused '-J needs a value' -J '' -- true
	printf '#!/bin/sh\n#PBS -J 3-1\ntrue\n' >bad.sh
	refused '#PBS -J "3-1": the last index Y is below the first X' bad.sh
	# max_array_size is the site's, as PBS's server attribute
	printf '[cluster]\ndispatch = cron\nmax_array_size = 5\n' >"$SOCA_CONF"
	refused '-J "1-6": 6 subjobs, more than max_array_size 5 (split the array, use a step :Z, or ask for a larger [cluster] max_array_size)' -J 1-6 -- true
	run soca-submit -J 1-10:2 -- true
	assert_success
	assert_output '1[]'
	[ "$(cat "$(spool_dir)/seq")" -eq 7 ]
}

@test "each subjob sees PBS_ARRAY_INDEX, PBS_ARRAY_ID, PBS_JOBID; output in NAME.oID.INDEX" {
	slots 4
	cat >idx.sh <<-'EOF'
	#!/bin/sh
	#PBS -N idx
	#PBS -J 2-6:2
	echo "index=$PBS_ARRAY_INDEX array=$PBS_ARRAY_ID job=$PBS_JOBID"
	echo "err $PBS_ARRAY_INDEX" >&2
	EOF
	run soca-submit idx.sh
	assert_output '1[]'
	wait_state '1[]' done 20
	for i in 2 4 6; do
		run cat "idx.o1.$i"
		assert_output "index=$i array=1[] job=1[$i]"
		run cat "idx.e1.$i"
		assert_output "err $i"
	done
	run ls idx.*
	assert_output "$(printf 'idx.e1.2\nidx.e1.4\nidx.e1.6\nidx.o1.2\nidx.o1.4\nidx.o1.6\nidx.sh')"
	# -o with PBS's ^array_index^, and -j oe
	soca-submit -J 1-2 -j oe -o 'out.^array_index^' -- sh -c 'echo "i=$PBS_ARRAY_INDEX"; echo e >&2'
	wait_state '5[]' done 20
	run cat out.1
	assert_output "$(printf 'i=1\ne')"
	run cat out.2
	assert_output "$(printf 'i=2\ne')"
}

@test "at most M subjobs run at once, checked from their recorded start and end times" {
	slots 8
	run soca-submit -J 1-6%2 -N lim -- sh -c 'date +%s.%N; sleep 1; date +%s.%N'
	assert_output '1[]'
	wait_reason '1[]' 'array limit: at most 2 running at once (-J ...%2)' 10
	run soca-stat -n -o id,state '1[]'
	assert_output --regexp '^1\[\] +begun$'
	run soca-stat -n -t -s running -o id
	[ "${#lines[@]}" -le 2 ]
	run soca-stat -f '1[]'
	assert_line 'state=begun'
	assert_line 'array=1-6%2'
	run soca-stat -f -J 1
	assert_output --partial '{"id":"1[]","state":"begun",'

	wait_state '1[]' done 30
	# the records: at no second more than 2 between start and end
	soca-stat -x -t -n -o id,start,end '1[]' >times
	[ "$(wc -l <times)" -eq 7 ]
	run awk 'NR > 1 { s[NR] = $2; e[NR] = $3; n = NR }
		END { max = 0
		for (i = 2; i <= n; i++) { c = 0
			for (k = 2; k <= n; k++) if (s[k] <= s[i] && s[i] < e[k]) c++
			if (c > max) max = c }
		print max }' times
	assert_output 2
	# the subjobs' own clocks, to the nanosecond
	cat lim.o1.* | paste - - >clocks
	[ "$(wc -l <clocks)" -eq 6 ]
	run awk '{ s[NR] = $1; e[NR] = $2 }
		END { max = 0
		for (i = 1; i <= NR; i++) { c = 0
			for (k = 1; k <= NR; k++) if (s[k] <= s[i] && s[i] < e[k]) c++
			if (c > max) max = c }
		print max }' clocks
	assert_output 2
}

@test "soca-stat shows an array as one line, -t its subjobs, also with -J and -f" {
	slots 4
	soca-submit -h -J 1-3 -N tee -- true >/dev/null
	run soca-stat -n -o id,state
	assert_output --regexp '^1\[\] +queued$'
	run soca-stat -n -t -o id,state
	assert_output "$(printf ' 1[]  queued\n1[1]  queued\n1[2]  queued\n1[3]  queued')"
	run soca-stat -t -J -o id,state
	assert_output "$(printf '%s\n' '{"id":"1[]","state":"queued"}' '{"id":"1[1]","state":"queued"}' '{"id":"1[2]","state":"queued"}' '{"id":"1[3]","state":"queued"}')"
	run soca-stat -n -o id,state '1[2]'
	assert_output --regexp '^1\[2\] +queued$'
	run soca-stat -f '1[3]'
	assert_line 'id=1[3]'
	assert_line 'array_id=1'
	assert_line 'array_index=3'
	run soca-stat -f -J -t 1
	assert_success
	printf '%s\n' "$output" | python3 -c '
import json, sys
v = [json.loads(l) for l in sys.stdin]
assert [o["id"] for o in v] == ["1[]", "1[1]", "1[2]", "1[3]"], v
assert v[0]["array"] == "1-3" and v[0]["array_next"] == 0, v[0]
assert v[2]["array_id"] == 1 and v[2]["array_index"] == 2, v[2]'
	run soca-stat '1[4]'
	assert_failure 1
	assert_output --partial 'job 1[4]: no such subjob (the array'"'"'s indices are 1-3)'
	run soca-stat '1[x]'
	assert_failure 2
	assert_output --partial '1[x]: not a job id'
	soca-release '1[]'
	wait_state '1[]' done 20
	run soca-stat -n -o id
	assert_output ''
	run soca-stat -x -n -t -o id,state,exit
	assert_output "$(printf ' 1[]  done  0\n1[1]  done  0\n1[2]  done  0\n1[3]  done  0')"
}

@test "soca-del ID[INDEX] cancels one subjob, ID[] the whole array" {
	slots 4
	soca-submit -J 1-4%1 -N del -- sh -c 'echo "$PBS_ARRAY_INDEX"; sleep 30' >/dev/null
	wait_state '1[1]' running 10
	# not begun yet: it never will be
	run soca-del '1[3]'
	assert_success
	assert_output '1[3]'
	run soca-stat -n -t -o id,state '1[]'
	assert_output "$(printf ' 1[]  begun\n1[1]  running\n1[2]  queued\n1[3]  cancelled\n1[4]  queued')"
	# the running one, alone: the array goes on with the next
	run soca-del -J '1[1]'
	assert_output '{"id":"1[1]","state":"cancelled"}'
	wait_state '1[2]' running 10
	run soca-del '1[1]'
	assert_failure 1
	assert_output --partial 'job 1[1]: already cancelled'
	# the whole array: the array and every subjob still active
	run soca-del '1[]'
	assert_success
	assert_output '1[]'
	wait_state '1[2]' cancelled 10
	run soca-stat -x -n -t -o id,state '1[]'
	assert_output "$(printf ' 1[]  cancelled\n1[1]  cancelled\n1[2]  cancelled\n1[3]  cancelled\n1[4]  cancelled')"
	run soca-stat -x -n -o reason '1[4]'
	assert_output 'never began: its array is cancelled'
	sleep 1
	[ ! -e del.o1.3 ] && [ ! -e del.o1.4 ]
	run soca-stat -n -o id
	assert_output ''
	run soca-del '1[]'
	assert_failure 1
	assert_output --partial 'job 1[]: already cancelled'
}

@test "-W depend=afterok:ID[] waits for every subjob; a failed subjob fails the array" {
	slots 4
	soca-submit -J 1-3 -- sh -c 'sleep 1; echo "$PBS_ARRAY_INDEX" >>marks' >/dev/null
	run soca-submit -W 'depend=afterok:1[]' -N after -- sh -c 'wc -l <marks'
	assert_output 5
	wait_reason 5 'dependency: job 1[] is begun' 10
	wait_state 5 done 20
	run cat after.o5
	assert_output 3
	run soca-stat -x -n -o state,exit '1[]'
	assert_output --regexp '^done +0$'
	# one subjob fails: the array fails (exit 1) and afterok never holds
	soca-submit -J 1-2 -- sh -c '[ "$PBS_ARRAY_INDEX" = 1 ]' >/dev/null
	soca-submit -W 'depend=afterok:6[]' -- true >/dev/null
	soca-submit -W 'depend=afternotok:6[].head.example.com' -- true >/dev/null
	wait_state 9 failed 20
	wait_state 10 done 20
	run soca-stat -x -n -o state,exit,reason '6[]'
	assert_output --regexp '^failed +1 +1 of 2 subjobs failed$'
	run soca-stat -x -n -o reason 9
	assert_output 'dependency: job 6[] is failed'
	# a subjob is not something to wait for
	run soca-submit -W 'depend=afterok:1[2]' -- true
	assert_failure 2
	assert_output --partial 'is a subjob; a job waits for a whole array (write afterok:1[])'
}

@test "an array is held, released and altered whole; a subjob alone is refused" {
	slots 4
	soca-submit -J 1-2 -h -N held -- true >/dev/null
	run soca-hold '1[2]'
	assert_failure 2
	assert_output --partial '1[2]: a subjob cannot be changed alone (hold), as in PBS; give its array, 1[]'
	run soca-alter -N x '1[1]'
	assert_failure 2
	run soca-alter -N renamed '1[]'
	assert_success
	assert_output '1[]'
	run soca-release -J '1[]'
	assert_output '{"id":"1[]","state":"queued","held":false}'
	wait_state '1[]' done 20
	[ -e renamed.o1.1 ] && [ -e renamed.o1.2 ]
	run soca-hold 1
	assert_failure 1
	assert_output --partial 'job 1[]: is done; only a queued or held job can be changed (hold)'

}

@test "a crash between making a subjob and counting it: each subjob still runs once" {
	no_dispatch
	soca-submit -J 1-3%1 -N crash -- sh -c 'echo "$PBS_ARRAY_INDEX" >>ran' >/dev/null
	# the dispatcher dies after the subjob's record, before the array's
	run env SOCA_CRASH_AT=array-made soca-node-up
	[ "$status" -eq 137 ]
	run soca-stat -f 1
	assert_line 'array_next=0'
	run soca-stat -n -t -o id,state 1
	assert_output "$(printf ' 1[]  queued\n1[1]  queued\n1[2]  queued\n1[3]  queued')"
	[ "$(spool_count queued)" -eq 2 ]
	run soca-spool check
	assert_output --regexp ': clean$'
	# cron's next soca-node-up, then the embedded default's own passes
	printf '[cluster]\n' >"$SOCA_CONF"
	soca-node-up
	wait_state '1[]' done 20
	run sort ran
	assert_output "$(printf '1\n2\n3')"
	run soca-stat -x -n -t -o id,state 1
	assert_output "$(printf ' 1[]  done\n1[1]  done\n1[2]  done\n1[3]  done')"
	run soca-spool check
	assert_output --regexp ': clean$'
}

@test "resources_used: CPU time, peak memory, wall time and cpus of a job that ended" {
	slots 4
	soca-submit -N burn -- python3 -c '
import time
t = time.process_time()
while time.process_time() - t < 1.5:
    pass' >/dev/null
	soca-submit -N mem -- python3 -c 'b = b"x" * (60 << 20)' >/dev/null
	soca-submit -N wall -l ncpus=2 -- sleep 2 >/dev/null
	wait_state 1 done 20
	wait_state 2 done 20
	wait_state 3 done 20
	run soca-stat -f 1
	assert_line --regexp '^resources_used\.cput=00:00:0[1-9]$'
	assert_line 'resources_used.ncpus=1'
	run soca-stat -f 2
	kb=$(sed -n 's/^resources_used\.mem=\([0-9]*\)kb$/\1/p' <<<"$output")
	[ "$kb" -ge 50000 ]
	run soca-stat -f 3
	assert_line --regexp '^resources_used\.walltime=00:00:0[2-4]$'
	assert_line 'resources_used.ncpus=2'
	assert_line 'resources_used.cput=00:00:00'
	run bash -c 'soca-stat -x -f -J 1 2 3'
	printf '%s\n' "$output" | python3 -c '
import json, sys
v = [json.loads(l)["resources_used"] for l in sys.stdin]
assert sorted(v[0]) == ["cput", "mem", "ncpus", "walltime"], v
assert v[0]["cput"] >= 1 and v[1]["mem"] >= 50000, v
assert 2 <= v[2]["walltime"] <= 4 and v[2]["ncpus"] == 2, v'
	# a job still queued has none
	no_dispatch
	soca-submit -- true >/dev/null
	run soca-stat -f 4
	refute_line --partial 'resources_used'
}
