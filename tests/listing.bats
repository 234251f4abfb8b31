#!/usr/bin/env bats
# listing.bats: every listing command takes the shared listing flags of
# soca(7): -J (JSON Lines), --csv, -o columns and -n.  The table below
# names each listing command (a command whose bin/ file calls
# soca_out_new) with a column it has and the environment it needs; a
# listing command missing from it fails the test.  CSV is parsed with
# Python's csv module, JSON Lines with its json module.

load lib/helper
load lib/awsim
load lib/slapd

# command (words joined by +), a column, environment (default, slapd,
# awsim); -n -o may print no rows (no cost yet), but never the header
LISTERS="
soca-stat id default
soca-node-ls id awsim
soca-user+list name slapd
soca-group+list name slapd
soca-budget+list name awsim
soca-budget+estimate job awsim
soca-budget+report+--by+project cost awsim
soca-budget+platform item awsim
soca-license license default
soca-doctor check default
soca-desktop+list name awsim
soca-files+ls+-C+/etc name default
"

setup_file() {
	slapd_start
	awsim_start
	export LS_SLAPD_CONF=$SOCA_CONF
}

teardown_file() {
	awsim_stop
	slapd_stop
}

setup() {
	soca_test_env
	awsim_reset
	export SOCA_AWS_BACKOFF_SCALE=0
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"}}]' >/dev/null
	soca_in slapd soca-user add ann >/dev/null
	soca_in slapd soca-group add cfd >/dev/null
	soca_in awsim sh -c 'echo true | soca-submit -l instance_type=c5.large >/dev/null && soca-node-up'
}

teardown() {
	soca_in slapd soca-user del ann >/dev/null 2>&1 || true
	soca_in slapd soca-group del cfd >/dev/null 2>&1 || true
}

# soca_in ENV CMD...: run CMD with ENV's configuration
soca_in() {
	local env=$1
	shift
	case $env in
	default) (unset SOCA_CONF; "$@" </dev/null) ;;
	slapd) SOCA_CONF=$LS_SLAPD_CONF "$@" </dev/null ;;
	awsim)
		printf '[cluster]\nname = ls\nprovider = aws\ndispatch = cron\n[aws]\nami = ami-0a1b2c3d4e5f60001\ndryrun = no\nlaunch_rate = 0\n[budget]\naccount_id = 123456789012\n[project "cfd"]\nlimit = 100\n' >"$BATS_TEST_TMPDIR/aws.conf"
		SOCA_CONF=$BATS_TEST_TMPDIR/aws.conf "$@" </dev/null ;;
	esac
}

@test "every listing command of bin/ is in the table" {
	local f cmd missing=
	for f in $(grep -l soca_out_new "$SOCA_SRCDIR"/bin/soca-*.c); do
		cmd=$(basename "$f" .c)
		grep -q "^$cmd[+ ]" <<<"$LISTERS" || missing+=" $cmd"
	done
	assert_equal "$missing" ""
}

@test "every listing command takes -J, --csv, -o and -n" {
	local cmd col env argv failed=
	while read -r cmd col env; do
		[ -n "$cmd" ] || continue
		IFS=+ read -ra argv <<<"$cmd"
		# -J: every line a JSON object
		run soca_in "$env" "${argv[0]}" -J "${argv[@]:1}"
		[ "$status" -eq 0 ] && /usr/bin/python3 -c '
import json, sys
for line in filter(str.strip, sys.stdin):
    assert isinstance(json.loads(line), dict), line' <<<"$output" ||
		    failed+=" [$cmd -J: $output]"
		# --csv: a header naming the columns, then rows of as many fields
		run soca_in "$env" "${argv[0]}" --csv "${argv[@]:1}"
		[ "$status" -eq 0 ] && /usr/bin/python3 -c '
import csv, sys
rows = [r for r in csv.reader(sys.stdin) if r]
assert rows and sys.argv[1] in rows[0], rows
assert all(len(r) == len(rows[0]) for r in rows), rows' "$col" <<<"$output" ||
		    failed+=" [$cmd --csv: $output]"
		# -o COL -n: that column alone, no header
		run soca_in "$env" "${argv[0]}" -n -o "$col" "${argv[@]:1}"
		[ "$status" -eq 0 ] && ! grep -qi "^$col\$" <<<"$output" ||
		    failed+=" [$cmd -n -o $col: $output]"
		# --csv -n -o COL: still CSV, one field a row
		run soca_in "$env" "${argv[0]}" --csv -n -o "$col" "${argv[@]:1}"
		[ "$status" -eq 0 ] && /usr/bin/python3 -c '
import csv, sys
rows = [r for r in csv.reader(sys.stdin) if r]
assert all(len(r) == 1 for r in rows), rows' <<<"$output" ||
		    failed+=" [$cmd --csv -n -o $col: $output]"
	done <<<"$LISTERS"
	assert_equal "$failed" ""
}
