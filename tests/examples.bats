#!/usr/bin/env bats
# examples.bats: documentation that cannot drift.  Every example of every
# man page and of README.md (found by tests/examples-extract, whose
# comment says what counts as one and lists the markers) runs here, and
# an example that fails, or names a command or option that no longer
# exists, fails the test.
#
# Each page starts in a scratch HOME and working directory on the
# embedded default (no configuration, the local provider, a per-user
# spool); a page's ".\" example: env NAME" marker switches to
#   cron    the embedded default with [cluster] dispatch = cron, so jobs
#           stay queued until soca-node-up or soca-node-run runs them
#   slapd   soca.conf for the test slapd (tests/lib/slapd.bash)
#   awsim   AWS pointed at tests/awsim, and a soca.conf with provider
#           aws, [budget] account_id 123456789012, projects cfd and wind
#   default back to the embedded default
# Examples run one at a time in bash with pipefail, stdin from /dev/null,
# in the page's working directory; a skipped one is reported with its
# reason, and its soca commands must still exist.

load lib/helper
load lib/jobs
load lib/awsim
load lib/slapd

EXTRACT="$SOCA_SRCDIR/tests/examples-extract"
AWS_VARS="AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
	AWS_DEFAULT_REGION AWS_EC2_METADATA_SERVICE_ENDPOINT"

setup_file() {
	slapd_start
	awsim_start
	export EX_SLAPD_CONF=$SOCA_CONF
}

teardown_file() {
	awsim_stop
	slapd_stop
}

setup() {
	soca_test_env
}

# every soca command a command line runs (at a command position)
soca_words() {
	grep -oE '(^|[|;&(`]|\$\()[[:space:]]*soca-[a-z][a-z-]*' <<<"$1" |
	    sed -E 's/.*(soca-)/\1/'
}

ex_note() {
	printf '# %s\n' "$*" >&3
}

ex_fail() {
	EX_FAILED+=("$*")
}

# ex_settle: cancel the page's active jobs and let their runners end, so
# nothing outlives the page
ex_settle() {
	[ -n "${EX_WORK:-}" ] || return 0
	(cd "$EX_WORK" && soca-stat -n -o id </dev/null 2>/dev/null |
	    soca-del >/dev/null 2>&1)
	local n=50
	while [ "$n" -gt 0 ] && [ -n "$(soca-stat -n -s running -o id \
	    </dev/null 2>/dev/null)" ]; do
		sleep 0.1
		n=$((n - 1))
	done
}

ldap_wipe() {
	local ou
	for ou in People Group Ids; do
		ldapdelete -x -H "$LDAP_URI" -D "$LDAP_ADMIN" -y "$LDAP_PWFILE" \
		    -r "ou=$ou,$LDAP_BASE" 2>/dev/null || true
	done
	printf 'dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n' \
	    People "$LDAP_BASE" People Group "$LDAP_BASE" Group |
	    ldapadd -x -H "$LDAP_URI" -D "$LDAP_ADMIN" -y "$LDAP_PWFILE" \
	    >/dev/null
	rm -rf "${SLAPD_DIR:?}/homes" && mkdir -p "$SLAPD_DIR/homes"
}

ex_page() {
	ex_settle
	[ "${EX_ENV:-}" = slapd ] && ldap_wipe
	EX_PAGE=$1
	EX_PAGES=$((EX_PAGES + 1))
	EX_WORK="$BATS_TEST_TMPDIR/page$EX_PAGES/work"
	export HOME="$BATS_TEST_TMPDIR/page$EX_PAGES/home"
	export XDG_STATE_HOME="$HOME/.local/state"
	mkdir -p "$EX_WORK" "$XDG_STATE_HOME"
	ex_env default
}

ex_env() {
	local v
	EX_ENV=$1
	unset SOCA_CONF SOCA_AWS_BACKOFF_SCALE
	for v in $AWS_VARS; do unset "$v"; done
	export AWS_EC2_METADATA_DISABLED=true
	case $1 in
	default) ;;
	cron)
		export SOCA_CONF="$HOME/soca.conf"
		printf '[cluster]\ndispatch = cron\n' >"$SOCA_CONF"
		;;
	slapd) export SOCA_CONF=$EX_SLAPD_CONF ;;
	awsim)
		awsim_env
		awsim_reset
		export SOCA_AWS_BACKOFF_SCALE=0
		export SOCA_CONF="$HOME/soca.conf"
		cat >"$SOCA_CONF" <<-EOF
		[cluster]
		name = examples
		provider = aws
		dispatch = cron
		[aws]
		ami = ami-0a1b2c3d4e5f60001
		dryrun = no
		launch_rate = 0
		[budget]
		account_id = 123456789012
		[project "cfd"]
		limit = 100
		[project "wind"]
		limit = 100
		EOF
		;;
	*) ex_fail "$EX_PAGE: unknown example environment \"$1\"" ;;
	esac
}

# ex_check FILE LINE CMD: its soca commands exist
ex_check() {
	local w
	for w in $(soca_words "$3"); do
		if ! command -v "$w" >/dev/null; then
			ex_fail "$1:$2: no command $w: $3"
			return 1
		fi
	done
}

ex_setup() {
	if ! (cd "$EX_WORK" && bash -o pipefail -c "$3") </dev/null \
	    >"$EX_WORK/../setup.out" 2>&1 3>&-; then
		ex_fail "$1:$2: setup failed: $3: $(head -c 600 "$EX_WORK/../setup.out")"
	fi
}

ex_run() {
	local file=$1 line=$2 cmd=$3 want=$4 rc=0 out="$EX_WORK/../out"
	EX_RUN=$((EX_RUN + 1))
	ex_check "$file" "$line" "$cmd" || return 0
	(cd "$EX_WORK" && timeout 30 bash -o pipefail -c "$cmd") </dev/null \
	    >"$out" 2>&1 3>&- || rc=$?
	if [ "$rc" != "$want" ]; then
		ex_fail "$file:$line: exit $rc (documented: $want): $cmd
$(head -c 800 "$out")"
		ex_note "FAIL $file:$line: ${cmd%%$'\n'*}"
	else
		ex_note "ok   $file:$line: ${cmd%%$'\n'*}"
	fi
}

ex_skip() {
	EX_SKIPPED=$((EX_SKIPPED + 1))
	ex_check "$1" "$2" "$3" || return 0
	ex_note "skip $1:$2: ${3%%$'\n'*} ($4)"
}

# run_examples FILE...: run every example of the files; 1 and a report
# on stdout when any failed
run_examples() {
	local script
	EX_FAILED=() EX_PAGES=0 EX_RUN=0 EX_SKIPPED=0 EX_WORK= EX_ENV=
	script=$("$EXTRACT" "$@") || return 1
	eval "$script"
	ex_settle
	ex_note "$EX_PAGES pages, $EX_RUN examples run, $EX_SKIPPED skipped"
	[ "${#EX_FAILED[@]}" -eq 0 ] && return 0
	printf '%s\n' "${EX_FAILED[@]}"
	return 1
}

@test "every example of the man pages and the README runs" {
	cd "$SOCA_SRCDIR"
	run run_examples man/*.[1578] README.md
	assert_success
	assert_output ''
}

@test "every command's man page has EXAMPLES, with at least one example" {
	local c cmd missing=
	for c in "$SOCA_SRCDIR"/bin/soca-*.c; do
		cmd=$(basename "$c" .c)
		p=$SOCA_SRCDIR/man/$cmd.1
		[ -f "$p" ] || p=$SOCA_SRCDIR/man/$cmd.8	# soca-api, a CGI
		grep -qx '\.Sh EXAMPLES' "$p" &&
		    "$EXTRACT" "$p" | grep -q '^ex_\(run\|skip\) ' ||
		    missing+=" $cmd"
	done
	assert_equal "$missing" ""
}

@test "the documented pipelines are among the examples" {
	run "$EXTRACT" "$SOCA_SRCDIR/man/soca.7" "$SOCA_SRCDIR/man/soca-del.1"
	assert_success
	assert_line --partial "'soca-stat -u alice -s queued | soca-del' 0"
	assert_line --partial "ex_page $SOCA_SRCDIR/man/soca-del.1"
}

@test "a broken example fails the test, naming its page and line" {
	local p="$BATS_TEST_TMPDIR/soca-del.1"
	sed 's/^\$ soca-del 1$/$ soca-del --no-such-option 1/' \
	    "$SOCA_SRCDIR/man/soca-del.1" >"$p"
	! cmp -s "$p" "$SOCA_SRCDIR/man/soca-del.1"
	sed 's/^\$ soca-stat -x$/$ soca-gone -x/' \
	    "$SOCA_SRCDIR/man/soca-stat.1" >"$BATS_TEST_TMPDIR/soca-stat.1"
	run run_examples "$p" "$BATS_TEST_TMPDIR/soca-stat.1"
	assert_failure
	assert_line --regexp "soca-del\.1:[0-9]+: exit 2 \(documented: 0\): soca-del --no-such-option 1"
	assert_line --regexp "soca-stat\.1:[0-9]+: no command soca-gone: soca-gone -x"
}
