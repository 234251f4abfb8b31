# jobs.bash: helpers for the job suites (load lib/jobs after lib/helper).

# wait_state ID STATE [SECONDS]: poll soca-stat until job ID is in STATE;
# never less than 30 s (a loaded CI machine is slow; a wait that holds
# returns at once, so only a failing test waits longer)
wait_state() {
	local s=${3:-10}
	[ "$s" -ge 30 ] || s=30
	eventually_output "$s" "^$2\$" soca-stat -n -o state "$1" </dev/null
}

# refused EXPECTED-MESSAGE ARGS...: soca-submit ARGS exits 2 with the
# message and stores nothing
refused() {
	local msg=$1
	shift
	run soca-submit "$@"
	assert_failure 2
	assert_output --partial "$msg"
	[ "$(spool_count queued)" -eq 0 ]
	[ -z "$(ls "$(spool_dir)/scripts" 2>/dev/null)" ]
}

# spool_dir: the test's spool
spool_dir() {
	soca-spool path
}

# spool_count STATE: records in a state directory
spool_count() {
	local d
	d=$(spool_dir)/$1
	[ -d "$d" ] || { echo 0; return; }
	find "$d" -maxdepth 1 -type f ! -name '.*' | wc -l
}

# no_dispatch: jobs stay queued (no immediate kick)
no_dispatch() {
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	printf '[cluster]\ndispatch = cron\n%s\n' "$*" >"$SOCA_CONF"
}
