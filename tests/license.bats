#!/usr/bin/env bats
# Licenses (issue 16): [license "NAME"] sections read from FlexLM (a
# fixture lmutil printing recorded lmstat outputs of several versions) or
# a command; -l NAME=N at submission; soca-license; and the dispatcher's
# gate: counts granted within a pass, reserved taken once, whole feature
# names, unreadable servers hold jobs (nothing launched), a hang times out.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
	export LMSTAT_DIR=$SOCA_SRCDIR/tests/data/lmstat LMSTAT_FILE=flexlm-11.txt
	export LMSTAT_LOG=$BATS_TEST_TMPDIR/lmutil.log
	write_conf soca.conf <<-EOF
	[cluster]
	spool = $BATS_TEST_TMPDIR/spool
	dispatch = cron
	slots = 8
	[license "matlab"]
	server = lic1
	feature = MATLAB
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	[license "mdce"]
	server = 27000@lic1
	feature = MATLAB_Distrib_Comp_Engine
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	[license "simulink"]
	server = lic1
	feature = SIMULINK
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	[license "free10"]
	command = echo 10
	EOF
	export SOCA_CONF=$BATS_TEST_TMPDIR/soca.conf
}

teardown() {
	soca-stat -n -o id 2>/dev/null | xargs -r soca-del >/dev/null 2>&1 || true
}

@test "10 free and three jobs asking 5, 5, 5: run, run, hold in one pass" {
	for i in 1 2 3; do
		soca-submit -l free10=5 -- sleep 30 >/dev/null
	done
	run soca-node-up -v
	assert_success
	assert_output "2 jobs launched"
	run soca-stat -n -o id,state 1 2 3
	assert_line --regexp '^ *1 +(provisioning|running)$'
	assert_line --regexp '^ *2 +(provisioning|running)$'
	run soca-stat -n -o reason 3
	assert_output 'waiting for license free10: needs 5, 0 free (issued 10, in use 0, reserved 0, handed out by soca 10)'
	# the next pass sees the same: the two still count (no double grant)
	run soca-node-up -v
	assert_output "0 jobs launched"
	soca-del 1 2 3 >/dev/null
}

@test "lmstat counts: issued - in use - reserved, reserved once, the feature matched whole" {
	printf 'reserved = 2\n' >>"$SOCA_CONF"	# lands in [license "free10"]
	sed -i 's/^feature = MATLAB$/feature = MATLAB\nreserved = 4/' "$SOCA_CONF"
	run soca-license -J
	assert_success
	run jq -rc '[.license, .issued, .in_use, .reserved, .available, .status] | @tsv' <<<"$output"
	assert_output "$(printf 'matlab\t10\t3\t4\t3\tok\nmdce\t64\t0\t0\t64\tok\nsimulink\t\t0\t0\t\tuncounted\nfree10\t10\t0\t2\t8\tok')"
	grep -qx 'lmstat -c 27000@lic1 -f MATLAB' "$LMSTAT_LOG"
	# MATLAB's 3 free hold a job asking 4, not MATLAB_Distrib's 64
	soca-submit -l matlab=4 -- true >/dev/null
	soca-submit -l matlab=3 -- true >/dev/null
	soca-node-up >/dev/null
	wait_state 2 done 20
	# dispatch = cron here: cron's next pass sees nothing handed out
	soca-node-up >/dev/null
	run soca-stat -x -n -o reason 1
	assert_output 'waiting for license matlab: needs 4, 3 free (issued 10, in use 3, reserved 4, handed out by soca 0)'
}

@test "uncounted never holds; older lmstat's 'available'; redundant servers" {
	soca-submit -l simulink=50 -- true >/dev/null
	run soca-node-up -v
	assert_output "1 job launched"
	export LMSTAT_FILE=flexlm-9-available.txt
	cat >>"$SOCA_CONF" <<-EOF
	[license "starccm"]
	server = 1055@cfdlic
	feature = ccmpsuite
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	[license "hpcdomains"]
	server = 1055@cfdlic
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	EOF
	run soca-license -n -o license,issued,in_use,available starccm hpcdomains
	assert_success
	assert_line --regexp '^starccm +20 +0 +20$'
	assert_line --regexp '^hpcdomains +4 +1 +3$'
	export LMSTAT_FILE=redundant.txt
	cat >>"$SOCA_CONF" <<-EOF
	[license "anshpc"]
	server = lica, licb, licc
	port = 1055
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	EOF
	run soca-license -n -o license,issued,in_use,available anshpc
	assert_success
	assert_output --regexp '^anshpc +128 +96 +32$'
	grep -qx 'lmstat -c 1055@lica,1055@licb,1055@licc -f anshpc' "$LMSTAT_LOG"
}

@test "an unreadable server: jobs held, nothing launched, soca-license exits 3" {
	export LMSTAT_FILE=down.txt LMSTAT_EXIT=1
	soca-submit -l matlab=1 -- true >/dev/null
	run soca-node-up -v
	assert_output "0 jobs launched"
	run soca-stat -n -o state,reason 1
	assert_output --regexp '^queued +license matlab unreadable: lmstat lists no feature MATLAB \(lmutil exited 1\) \(nothing launched for it; soca-license shows it\)$'
	run soca-license matlab
	assert_failure 3
	assert_output --partial 'unreadable: lmstat lists no feature MATLAB (lmutil exited 1)'
	# an Error line for the feature is unreadable too
	export LMSTAT_FILE=flexlm-11.txt LMSTAT_EXIT=0
	cat >>"$SOCA_CONF" <<-EOF
	[license "signal"]
	server = lic1
	feature = Signal_Toolbox
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	EOF
	run soca-license -n -o license,status signal
	assert_failure 3
	assert_output --regexp '^signal +unreadable: lmstat: Signal_Toolbox: Error: 2 licenses, unsupported by licensed server$'
}

@test "lmutil that hangs is killed after the timeout; the job waits" {
	export LMSTAT_HANG=1 LMSTAT_PIDFILE=$BATS_TEST_TMPDIR/lmutil.pid
	sed -i 's/^feature = MATLAB$/feature = MATLAB\ntimeout = 1s/' "$SOCA_CONF"
	soca-submit -l matlab=1 -- true >/dev/null
	SECONDS=0
	run soca-node-up -v
	assert_output "0 jobs launched"
	[ "$SECONDS" -lt 5 ]
	run soca-stat -n -o reason 1
	assert_output 'license matlab unreadable: no answer within 1s (nothing launched for it; soca-license shows it)'
	# the hung lmutil (this test's, not another suite's sleep) is gone
	[ -s "$LMSTAT_PIDFILE" ]
	run kill -0 "$(cat "$LMSTAT_PIDFILE")"
	assert_failure
}

@test "submission: license names checked, values whole numbers, unknown names refused; asked shown" {
	refused 'unknown resource "nolicense"' -l nolicense=2 -- true
	refused 'resource' -l matlab=two -- true
	refused 'resource' -l matlab=0 -- true
	soca-submit -l matlab=2,mdce=8 -- true >/dev/null
	soca-submit -l matlab=1 -- true >/dev/null
	run soca-license -n -o license,asked matlab mdce
	assert_line --regexp '^matlab +3$'
	assert_line --regexp '^mdce +8$'
	run soca-license nosuch
	assert_failure 2
	assert_output --partial 'nosuch: no [license "nosuch"]'
	run soca-license --slurm -J
	assert_failure 2
	assert_output 'soca-license: --slurm prints one line a license: it takes no -J, --csv, -n or -o'
	run soca-license --slurm nosuch
	assert_failure 2
	assert_output --partial 'nosuch: no [license "nosuch"]'
}

@test "soca-config check: a license needs server or command, and not a resource's name" {
	cat >>"$SOCA_CONF" <<-EOF
	[license "nodes"]
	command = echo 1
	[license "empty"]
	reserved = 1
	EOF
	run soca-config check
	assert_failure 2
	assert_output --partial '[license "nodes"]: nodes is a job resource already'
	assert_output --partial '[license "empty"]: give either server (FlexLM) or command, one of them'
}
