# helper.bash: loaded by every bats suite (`load lib/helper`).
#
# Each test gets its own HOME, XDG_STATE_HOME and working directory under
# BATS_TEST_TMPDIR, so no test sees another's spool or config.  The built
# binaries are first on PATH (set by `make check`, or here when a suite is
# run by hand with bats from the source tree).

bats_load_library bats-support 2>/dev/null || load /usr/lib/bats/bats-support/load
bats_load_library bats-assert 2>/dev/null || load /usr/lib/bats/bats-assert/load

: "${SOCA_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${SOCA_BUILDDIR:=$SOCA_SRCDIR}"
export SOCA_SRCDIR SOCA_BUILDDIR
case ":$PATH:" in
*":$SOCA_BUILDDIR/bin:"*) ;;
*) PATH="$SOCA_BUILDDIR/bin:$PATH" ;;
esac
export PATH
SOCA_DATA="$SOCA_SRCDIR/tests/data"
SHARED_DIR="$SOCA_SRCDIR/../shared"

soca_test_env() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export XDG_STATE_HOME="$HOME/.local/state"
	mkdir -p "$HOME" "$XDG_STATE_HOME"
	unset SOCA_CONF
	cd "$BATS_TEST_TMPDIR" || return 1
}

# write_conf FILE <<EOF ... EOF: a config file from a here-document
write_conf() {
	cat >"$1"
}

# eventually SECONDS COMMAND...: until COMMAND succeeds, polled every
# 0.1 s; a wait that holds returns at once, so only a failing test waits
# the whole time (a loaded CI machine is slow)
eventually() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "waited in vain for: $*" >&2
	return 1
}

# eventually_output SECONDS REGEX COMMAND...: until COMMAND's output
# matches REGEX (bash's =~); says the last output when it never does
eventually_output() {
	local n=$(($1 * 10)) re=$2 got
	shift 2
	while [ "$n" -gt 0 ]; do
		got=$("$@" 2>/dev/null)
		[[ $got =~ $re ]] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "waited in vain for /$re/ from: $*; it said: $got" >&2
	return 1
}
