# bench/lib.sh: what the benchmark scripts share, sourced by bench/aws and
# bench/jobs.sh (bash).
#
# Every script takes the same options (bench_args), measures each figure
# over $runs runs and hands the runs to `record`, which appends one JSON
# object per figure to $json:
#
#   {"bench":"aws","figure":"...","unit":"ms","soca":[runs],
#    "anchor_name":"...","anchor":[runs],"better":"lower"|"higher",
#    "goal":"...","goal_ratio":N}
#
# (anchor_name, anchor, goal_ratio and goal_value optional; goal_ratio is
# the factor by which soca must beat the anchor, goal_value the bound
# soca's median must reach, both in the figure's direction).  Run
# alone, a script prints its own table with bench/report; bench/run
# gathers every script's records into one table and one JSON file.

bench_src=${SOCA_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
bench_py=/usr/bin/python3
quick=0
runs=
json=
bench_own_json=0
BENCH_PIDS=()
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/soca-bench.XXXXXX")
chmod 0755 "$BENCH_TMP"

bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ ${#BENCH_PIDS[@]} -eq 0 ] || sleep 0.3
	rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT

bench_usage() {
	printf 'usage: %s [--quick] [--runs N] [--json FILE] %s\n' "$0" "$1"
}

# bench_args "USAGE-TAIL" "$@": parse the common options; the remaining
# (positional) arguments are left in BENCH_REST
bench_args() {
	local tail=$1
	shift
	BENCH_REST=()
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) bench_usage "$tail"; exit 0 ;;
		-q | --quick) quick=1 ;;
		-r | --runs)
			[ $# -ge 2 ] || { bench_usage "$tail" >&2; exit 2; }
			runs=$2
			shift
			;;
		--runs=*) runs=${1#--runs=} ;;
		-j | --json)
			[ $# -ge 2 ] || { bench_usage "$tail" >&2; exit 2; }
			json=$2
			shift
			;;
		--json=*) json=${1#--json=} ;;
		--) shift; BENCH_REST+=("$@"); break ;;
		-*) echo "$0: unknown option: $1" >&2; bench_usage "$tail" >&2; exit 2 ;;
		*) BENCH_REST+=("$1") ;;
		esac
		shift
	done
	if [ -n "$runs" ] && ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
		echo "$0: --runs: '$runs' is not a positive whole number" >&2
		exit 2
	fi
	if [ -z "$json" ]; then
		json=$BENCH_TMP/records.json
		bench_own_json=1
	fi
	: >>"$json" || exit 2
}

# bench_done: run alone (no --json), print the table of this run
bench_done() {
	[ "$bench_own_json" = 0 ] || "$bench_py" "$bench_src/bench/report.py" table "$json"
}

# jstr S: S as a JSON string (our own labels: escape \ and ")
jstr() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

# jarr V...: the values as a JSON array of numbers (empty ones dropped)
jarr() {
	local v out=
	for v in "$@"; do
		[ -n "$v" ] && [ "$v" != - ] && out+=${out:+,}$v
	done
	printf '[%s]' "$out"
}

# record BENCH FIGURE UNIT BETTER GOAL CHECK "SOCA RUNS" [ANCHOR "ANCHOR RUNS"]
# CHECK: "" (none), "Nx" (goal_ratio N) or "N" (goal_value N); runs are
# space-separated numbers
record() {
	local bench=$1 figure=$2 unit=$3 better=$4 goal=$5 check=$6 line
	local -a s a
	read -r -a s <<<"$7"
	line="{\"bench\":$(jstr "$bench"),\"figure\":$(jstr "$figure"),\"unit\":$(jstr "$unit"),\"soca\":$(jarr "${s[@]}")"
	if [ $# -ge 9 ]; then
		read -r -a a <<<"$9"
		line+=",\"anchor_name\":$(jstr "$8"),\"anchor\":$(jarr "${a[@]}")"
	fi
	line+=",\"better\":$(jstr "$better"),\"goal\":$(jstr "$goal")"
	case $check in
	"") ;;
	*x) line+=",\"goal_ratio\":${check%x}" ;;
	*) line+=",\"goal_value\":$check" ;;
	esac
	printf '%s}\n' "$line" >>"$json"
}

# note BENCH TEXT: a line for the table's footer (a skipped anchor, ...)
note() {
	printf '{"bench":%s,"note":%s}\n' "$(jstr "$1")" "$(jstr "$2")" >>"$json"
	echo "$1: $2" >&2
}

free_port() {
	"$bench_py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }

# stamp VAR: the time now into VAR (as now prints it) without a fork, so
# a short command's figure does not carry a date(1) process with it
stamp() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		printf -v "$1" '%s' "${EPOCHREALTIME/,/.}"
	else
		printf -v "$1" '%s' "$(date +%s.%N)"
	fi
}

# elapsed A B [N]: milliseconds from A to B (date +%s.%N), divided by N
elapsed() {
	awk -v a="$1" -v b="$2" -v n="${3:-1}" 'BEGIN { printf "%.2f", (b - a) * 1000 / n }'
}

# per_sec N A B: N events from A to B, per second
per_sec() {
	awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'
}

# peak_rss_mib CMD...: peak resident set of CMD in MiB (GNU time %M),
# its output discarded
peak_rss_mib() {
	/usr/bin/time -f %M -o "$BENCH_TMP/rss" "$@" >/dev/null 2>&1 || true
	awk '{ v = $1 } END { printf "%.1f", v / 1024 }' "$BENCH_TMP/rss"
}

# start_awsim: awsim on a free loopback port, AWS_* pointed at it
start_awsim() {
	local port i
	port=$(free_port)
	"$bench_src/tests/awsim/awsim" --port "$port" >"$BENCH_TMP/awsim.log" 2>&1 &
	BENCH_PIDS+=($!)
	for ((i = 0; i < 200; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.05
	done
	export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1 \
		AWS_ACCESS_KEY_ID=AKIDSOCATEST \
		AWS_SECRET_ACCESS_KEY='soca/test/secret+key' \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=
}
