# lib.bash: sourced by every gauntlet scenario (tests/gauntlet/NAME).
#
# A scenario runs the real binaries of $SOCA_BUILDDIR against real
# services, counts what it injected and what it found, and writes one
# JSON object to $GAUNTLET_OUT/NAME.json with g_result at its end:
#
#   g_count KEY [N]     add N (default 1) to counter KEY
#   g_fail WHY          record a failed expectation (the scenario fails)
#   g_check WHAT CMD..  run CMD; a non-zero exit is a failure named WHAT
#   g_on_exit CMD       run CMD when the scenario ends (services, mounts)
#   g_result            end: clean up, write the JSON, exit 1 if anything failed
#
# Counters with an expected value of 0 (lost, duplicated, corrupted,
# orphaned, sanitizer, valgrind, leftovers) fail the whole gauntlet when
# not 0; the others (faults, jobs, kills, ...) are informative.  The bats
# helpers (lib/service, lib/awsim, lib/slapd) are loaded through a `load`
# that mimics bats', so the services start exactly as in the test suite.

set -uo pipefail

: "${SOCA_SRCDIR:?}" "${SOCA_BUILDDIR:?}" "${GAUNTLET_OUT:?}" "${GAUNTLET_WORK:?}"
G_NAME=$(basename "$0")
G_START=$EPOCHREALTIME
G_DIR=$GAUNTLET_WORK/$G_NAME
declare -A G_COUNT=()
G_FAILS=()
G_QUICK=${GAUNTLET_QUICK:-0}

rm -rf "$G_DIR"
mkdir -p "$G_DIR/home"
: >"$G_DIR/failures"
export HOME=$G_DIR/home XDG_STATE_HOME=$G_DIR/home/.local/state
mkdir -p "$XDG_STATE_HOME"
unset SOCA_CONF SOCA_CRASH_AT
export PATH="$SOCA_BUILDDIR/bin:$PATH"
cd "$G_DIR" || exit 2

# what the bats helpers expect to find
export BATS_TEST_DIRNAME=$SOCA_SRCDIR/tests
export BATS_FILE_TMPDIR=$G_DIR BATS_TEST_TMPDIR=$G_DIR
export SERVICE_DIR=$G_DIR/services
load() {
	case $1 in
	/*) . "$1.bash" ;;
	*) . "$SOCA_SRCDIR/tests/$1.bash" ;;
	esac
}

g_log() {
	printf '%s: %s\n' "$G_NAME" "$*" >&2
}

g_count() {
	G_COUNT[$1]=$(( ${G_COUNT[$1]:-0} + ${2:-1} ))
}

# Failures go to a file, so that background workers (subshells) can
# record them too; the result keeps the first 20 and counts them all.
g_fail() {
	printf '%s\n' "$*" | tr '\n' ' ' >>"$G_DIR/failures"
	echo >>"$G_DIR/failures"
	g_log "FAIL: $*"
}

g_check() {
	local what=$1
	shift
	"$@" || g_fail "$what"
}

# g_pick N...: one of the arguments at random
g_pick() {
	shift $((RANDOM % $#))
	printf '%s\n' "$1"
}

# g_on_exit CMD: run CMD (eval'd) when the scenario ends, before the result
G_CLEANUP=()
g_on_exit() {
	G_CLEANUP+=("$*")
}

g_finish() {
	local k f c
	trap - EXIT
	for c in "${G_CLEANUP[@]}"; do
		eval "$c"
	done
	mapfile -t G_FAILS < <(head -n 20 "$G_DIR/failures" 2>/dev/null)
	G_COUNT[failed_checks]=$(wc -l <"$G_DIR/failures")
	{
		printf '{"scenario":"%s","seconds":%s' "$G_NAME" \
		    "$(awk -v a="$G_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
		for k in "${!G_COUNT[@]}"; do
			printf ',"%s":%d' "$k" "${G_COUNT[$k]}"
		done
		printf ',"failures":['
		f=
		for k in "${G_FAILS[@]}"; do
			printf '%s%s' "$f" "$(jq -Rn --arg s "$k" '$s')"
			f=,
		done
		printf '],"ok":%s}\n' "$([ ${#G_FAILS[@]} -eq 0 ] && echo true || echo false)"
	} >"$GAUNTLET_OUT/$G_NAME.json"
	[ ${#G_FAILS[@]} -eq 0 ]
	exit
}
trap g_finish EXIT

# g_result: end the scenario (the EXIT trap cleans up and writes the JSON)
g_result() {
	exit
}
