#!/usr/bin/env bats
# The spool under crashes and concurrency.  SOCA_CRASH_AT=NAME kills the
# process with SIGKILL at that point; afterwards every job must be in its
# old or its new state (never lost, never twice to a reader), and
# `soca-spool check --repair` must leave the spool clean.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
	no_dispatch "launch_timeout = 0s"
}

teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/mnt" 2>/dev/null; then
		umount "$BATS_TEST_TMPDIR/mnt"
	fi
}

# crash POINT CMD...: the command dies by SIGKILL at POINT
crash() {
	local point=$1
	shift
	run env SOCA_CRASH_AT="$point" "$@"
	[ "$status" -eq 137 ] || { echo "status $status, wanted 137 (SIGKILL)"; return 1; }
}

# states ID: every state directory holding job ID
states() {
	local d s out=
	d=$(spool_dir)
	for s in queued provisioning running done failed cancelled; do
		[ -e "$d/$s/$1" ] && out="$out $s"
	done
	echo "${out# }"
}

clean() {
	run soca-spool check
	assert_success
	assert_output --regexp ': clean$'
}

@test "check on a clean and on a missing spool" {
	run soca-spool check
	assert_success
	assert_output --partial 'no spool yet'
	soca-submit -- true
	clean
}

@test "a full spool: submit fails with exit 3, check and stat still read it" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	mkdir -p "$BATS_TEST_TMPDIR/mnt"
	mount -t tmpfs -o size=64m,nr_inodes=40,mode=0700 soca-test "$BATS_TEST_TMPDIR/mnt" ||
	    skip "cannot mount a tmpfs"
	printf '[cluster]\ndispatch = cron\nspool = %s/mnt/spool\n' "$BATS_TEST_TMPDIR" >"$SOCA_CONF"
	while soca-submit -- true >>"$BATS_TEST_TMPDIR/ids" 2>/dev/null; do :; done
	run soca-submit -- true
	assert_failure 3
	assert_output --regexp '^soca-submit: .*/mnt/spool: .*No space left on device$'
	run soca-spool check
	assert_success
	assert_output --regexp ': clean$'
	run soca-stat -x -n -o id
	assert_success
	[ "${#lines[@]}" -eq "$(wc -l <"$BATS_TEST_TMPDIR/ids")" ]
}

@test "crash at submit-id: no job, next submit gets a fresh id" {
	soca-submit -- true
	crash submit-id soca-submit -- true
	[ "$(spool_count queued)" -eq 1 ]
	clean
	run soca-submit -- true
	assert_output 3
}

@test "crash at submit-tmp: no job; check finds and removes the temporary" {
	crash submit-tmp soca-submit -- true
	[ "$(spool_count queued)" -eq 0 ]
	run soca-stat -x -n
	assert_output ''
	run soca-spool check
	assert_failure 1
	assert_line --regexp 'tmp/1\.[0-9]+\.r: temporary file of a dead process$'
	[ "${#lines[@]}" -eq 1 ]
	run soca-spool check --repair
	assert_success
	assert_output --partial ': removed'
	clean
}

@test "a submission is one file: the record, its script as the last line" {
	printf 'echo "a\\b"\necho two\n' >s.sh
	soca-submit s.sh
	[ -z "$(ls "$(spool_dir)/scripts")" ]
	run tail -n 1 "$(spool_dir)/queued/1"
	assert_output 'script=echo "a\\b"\necho two\n'
	soca-del 1
	run tail -n 1 "$(spool_dir)/cancelled/1"
	assert_output 'script=echo "a\\b"\necho two\n'
	run soca-stat -x -f 1
	refute_output --partial script
	clean
}

@test "an old spool (script in scripts/ID) runs as it is; orphans are removed" {
	soca-submit -N old -- echo from-the-old-script
	d=$(spool_dir)
	sed -i '/^script=/d' "$d/queued/1"
	printf '#!/bin/sh\necho from-the-old-script\n' >"$d/scripts/1"
	printf 'true\n' >"$d/scripts/7"
	run soca-spool check --repair
	assert_output --partial 'scripts/7: script of a job never published: removed'
	[ -e "$d/scripts/1" ]
	soca-node-up
	wait_state 1 done 10
	run cat old.o1
	assert_output from-the-old-script
	clean
}

@test "crash at submit-published: the job is queued, spool clean" {
	crash submit-published soca-submit -- true
	[ "$(states 1)" = queued ]
	clean
}

@test "crash at move-tmp (soca-del): still queued; temporary removed" {
	soca-submit -- true
	crash move-tmp soca-del 1
	[ "$(states 1)" = queued ]
	run soca-spool check --repair
	assert_output --partial 'temporary file of a dead process: removed'
	clean
	run soca-del 1
	assert_output 1
}

@test "crash at move-renamed (soca-del): in both, readers and repair see cancelled" {
	soca-submit -- true
	crash move-renamed soca-del 1
	[ "$(states 1)" = "queued cancelled" ]
	run soca-stat -x -n -o id,state
	assert_output --regexp '^1 +cancelled$'
	run soca-stat -n -o state 1
	assert_output cancelled
	run soca-spool check
	assert_failure 1
	assert_output --partial 'job 1 is in both queued and cancelled: cancelled wins'
	soca-spool check --repair
	[ "$(states 1)" = cancelled ]
	clean
}

@test "crash at move-done: the new state only" {
	soca-submit -- true
	crash move-done soca-del 1
	[ "$(states 1)" = cancelled ]
	clean
}

@test "crash at move-renamed in the dispatcher: provisioning wins, then requeued" {
	soca-submit -- true
	crash move-renamed soca-node-up
	[ "$(states 1)" = "queued provisioning" ]
	run soca-stat -n -o state 1
	assert_output provisioning
	soca-spool check --repair
	[ "$(states 1)" = provisioning ]
	run soca-node-down
	assert_output '1 queued requeued: its runner did not start'
	soca-node-up
	wait_state 1 done 10
}

@test "crash at run-started: the runner died, soca-node-down fails the job" {
	soca-submit -- true
	crash run-started soca-node-run 1
	[ "$(states 1)" = running ]
	run soca-node-down
	assert_output '1 failed node lost'
	[ "$(states 1)" = failed ]
	clean
}

@test "crash at run-exited: the job ran but its end was not recorded" {
	soca-submit -- touch ran
	crash run-exited soca-node-run 1
	[ -e ran ]
	[ "$(states 1)" = running ]
	run soca-node-down
	assert_output '1 failed node lost'
	clean
}

@test "8 concurrent submitters x 500 jobs: 4,000 distinct ids, none lost" {
	local w n=${SOCA_TEST_SUBMITS:-500}
	for w in 1 2 3 4 5 6 7 8; do
		( for i in $(seq "$n"); do soca-submit -- true || echo FAIL; done >"out.$w" ) &
	done
	wait
	! grep -h FAIL out.*
	[ "$(cat out.* | sort -n | uniq | wc -l)" -eq $((8 * n)) ]
	[ "$(cat out.* | sort -n | tail -1)" -eq $((8 * n)) ]
	[ "$(spool_count queued)" -eq $((8 * n)) ]
	[ "$(soca-stat -n -o id | wc -l)" -eq $((8 * n)) ]
	clean
}

# listing with the index must equal listing from the records alone
same_as_records() {
	local cached truth
	cached=$(soca-stat -x -f)
	mv "$(spool_dir)/index" "$BATS_TEST_TMPDIR/index.saved" 2>/dev/null
	truth=$(SOCA_CONF=$SOCA_CONF soca-stat -x -f)
	rm -f "$(spool_dir)/index"
	mv "$BATS_TEST_TMPDIR/index.saved" "$(spool_dir)/index" 2>/dev/null
	[ "$cached" = "$truth" ] || { diff <(echo "$cached") <(echo "$truth") | head; return 1; }
}

@test "the listing index is built, used, and never shows a stale record" {
	printf '[cluster]\ndispatch = cron\nfsync = no\nslots = 1\n' >"$SOCA_CONF"
	for i in $(seq 300); do soca-submit -N "j$i" -l ncpus=2 -- true >/dev/null; done
	[ ! -e "$(spool_dir)/index" ]
	run soca-stat -n -o id
	[ "${#lines[@]}" -eq 300 ]
	[ -e "$(spool_dir)/index" ]
	head -1 "$(spool_dir)/index" | grep -q '^soca-index 1 '
	same_as_records
	soca-del 3 5 7 >/dev/null
	same_as_records
	run soca-stat -n -o state 5
	assert_output cancelled
	soca-node-up		# all held with a reason: rewritten in place
	same_as_records
	run soca-stat -n -o reason 10
	assert_output --regexp '^capacity: '
	printf '[queue "normal"]\nmax_running_jobs = 0\n' >>"$SOCA_CONF"
	soca-node-up		# rewritten again: old inodes may come back
	same_as_records
	run soca-stat -n -o reason 10
	assert_output --regexp '^queue limit: '
	soca-spool check --repair >/dev/null
	[ ! -e "$(spool_dir)/index" ]
	same_as_records
}
