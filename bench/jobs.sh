#!/usr/bin/env bash
# bench/jobs.sh: soca's job commands beside Slurm's, printed as one table.
#
#   bench/jobs.sh            # from a built tree (bin/ holds the commands)
#
# Slurm (Debian's slurm-wlm and munge, installed here with apt-get when
# missing) runs as one slurmctld and one slurmd on loopback, with its
# configuration, state and munge key under a temporary directory and no
# accounting.  Jobs on both sides are submitted held (sbatch -H; soca with
# dispatch = cron) so nothing runs while we measure.  Large spools for
# soca (10,000 and 100,000 jobs) are filled by writing records the way
# soca-submit does, to keep the run short; submitting them for real takes
# the same per-job time as the submission figure shows.
#
# Sizes: BENCH_SUBMITS (default 500), BENCH_QUEUED (10000),
# BENCH_BIG (100000).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${SOCA_BUILDDIR:-$top}/bin
N=${BENCH_SUBMITS:-500}
Q=${BENCH_QUEUED:-10000}
BIG=${BENCH_BIG:-100000}
W=$(mktemp -d /tmp/soca-bench.XXXXXX)
chmod 0755 "$W"
PIDS=()
ROWS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	rm -rf "$W"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
ms() { awk -v a="$1" -v b="$2" -v n="${3:-1}" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }'; }
row() { ROWS+=("$(printf '%-44s %14s %14s  %s' "$1" "$2" "$3" "$4")"); }

# fill DIR COUNT: COUNT queued records like soca-submit's, and seq
fill() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
for s in ("queued", "scripts"):
    os.makedirs(os.path.join(d, s), exist_ok=True)
t = int(time.time())
for i in range(1, n + 1):
    with open(f"{d}/queued/{i}", "w") as f:
        f.write(f"id={i}\nstate=queued\nuid=0\ngid=0\nuser=root\nqueue=normal\n"
                f"name=bench\nworkdir=/tmp\nsubmit={t}\nres=nodes=1\nres=ncpus=1\n")
    with open(f"{d}/scripts/{i}", "w") as f:
        f.write("true\n")
with open(f"{d}/seq", "w") as f:
    f.write(f"{n + 1}\n")
EOF
}

soca_env() {	# soca_env NAME [KEY = VALUE]: a spool of its own under $W
	export SOCA_CONF=$W/$1.conf
	printf '[cluster]\nspool = %s/%s\ndispatch = cron\n%s\n' "$W" "$1" "${2:-}" >"$SOCA_CONF"
	"$bin/soca-spool" init >/dev/null
}

submit_soca() {	# submit_soca COUNT: seconds taken
	local a b i
	a=$(now)
	for ((i = 0; i < $1; i++)); do "$bin/soca-submit" -- true >/dev/null; done
	b=$(now)
	echo "$a $b"
}

# ---- soca ----
soca_env s1
read -r a b < <(submit_soca "$N")
soca_rate=$(rate "$N" "$a" "$b")
soca_env s1n "fsync = no"
read -r a b < <(submit_soca "$N")
soca_rate_nosync=$(rate "$N" "$a" "$b")

soca_env s2
fill "$W/s2" "$Q"
a=$(now); "$bin/soca-stat" >/dev/null; b=$(now)
soca_list_cold=$(ms "$a" "$b")
[ "$("$bin/soca-stat" -n | wc -l)" -eq "$Q" ] || echo "bench: soca-stat does not list $Q jobs" >&2
a=$(now); "$bin/soca-stat" >/dev/null; b=$(now)
soca_list=$(ms "$a" "$b")

soca_env s3
fill "$W/s3" 100
read -r a b < <(submit_soca 200)
cost_small=$(ms "$a" "$b" 200)
soca_env s4
fill "$W/s4" "$BIG"
read -r a b < <(submit_soca 200)
cost_big=$(ms "$a" "$b" 200)
a=$(now); "$bin/soca-stat" >/dev/null; b=$(now)
big_cold=$(ms "$a" "$b")
a=$(now); "$bin/soca-stat" >/dev/null; b=$(now)
big_list=$(ms "$a" "$b")
rss=$(/usr/bin/time -f %M "$bin/soca-stat" 2>&1 >/dev/null | tail -1)

# ---- Slurm ----
slurm_why=
start_slurm() {
	local port1 port2 port3 i
	if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
		if [ "$(id -u)" -ne 0 ]; then
			slurm_why="slurm-wlm/munge not installed (run as root to install)"
			return 1
		fi
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -qq slurm-wlm munge; } >"$W/apt.log" 2>&1 || {
			slurm_why="apt-get install slurm-wlm munge failed (see apt log)"
			return 1
		}
	fi
	[ "$(id -u)" -eq 0 ] || { slurm_why="slurmd needs root"; return 1; }
	port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
	port1=$(port); port2=$(port); port3=$(port)
	mkdir -p "$W/slurm/state" "$W/slurm/spool" "$W/munge"
	head -c 1024 /dev/urandom >"$W/munge/key"
	chmod 0400 "$W/munge/key"
	munged -f --key-file="$W/munge/key" --socket="$W/munge/sock" \
	    --pid-file="$W/munge/pid" --log-file="$W/munge/log" \
	    --seed-file="$W/munge/seed" || { slurm_why="munged failed to start"; return 1; }
	PIDS+=("$(cat "$W/munge/pid")")
	cat >"$W/slurm/slurm.conf" <<EOF
ClusterName=bench
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port1
SlurmdPort=$port2
SrunPortRange=$port3-$((port3 + 10))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$W/munge/sock
CredType=cred/munge
StateSaveLocation=$W/slurm/state
SlurmdSpoolDir=$W/slurm/spool
SlurmctldPidFile=$W/slurm/slurmctld.pid
SlurmdPidFile=$W/slurm/slurmd.pid
SlurmctldLogFile=$W/slurm/slurmctld.log
SlurmdLogFile=$W/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MaxJobCount=$((Q + N + 1000))
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=bench Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
	export SLURM_CONF=$W/slurm/slurm.conf
	slurmctld -D -i >"$W/slurm/ctld.out" 2>&1 &
	PIDS+=($!)
	slurmd -D >"$W/slurm/d.out" 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		sinfo -h >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	slurm_why="slurmctld did not answer (see its log)"
	return 1
}

sb_rate=- sq_list=- 
if start_slurm; then
	a=$(now)
	for ((i = 0; i < N; i++)); do sbatch -H -Q --wrap true >/dev/null; done
	b=$(now)
	sb_rate=$(rate "$N" "$a" "$b")
	workers=()
	for w in 1 2 3 4; do
		( for ((i = 0; i < (Q - N) / 4; i++)); do sbatch -H -Q --wrap true >/dev/null; done ) &
		workers+=($!)
	done
	wait "${workers[@]}"
	n=$(squeue -h | wc -l)
	a=$(now); squeue >/dev/null; b=$(now)
	sq_list="$(ms "$a" "$b") ($n jobs)"
fi

row "measure" "soca" "slurm" "goal"
row "submissions per second ($N, one at a time)" "$soca_rate/s" "$sb_rate/s" "soca >= 2x sbatch"
row "  soca with fsync = no (Slurm's durability)" "$soca_rate_nosync/s" "" ""
row "list $Q queued jobs (soca-stat, squeue)" "$soca_list ms" "$sq_list ms" "soca >= 5x faster"
row "  soca-stat's first listing (builds its index)" "$soca_list_cold ms" "" ""
row "submit cost with 100 jobs spooled" "$cost_small ms" "" "flat"
row "submit cost with $BIG jobs spooled" "$cost_big ms" "" "flat"
row "soca-stat, $BIG jobs: time" "$big_list ms" "" "well under 1 s"
row "  first listing (builds its index)" "$big_cold ms" "" ""
row "soca-stat, $BIG jobs: peak RSS" "$((rss / 1024)) MiB" "" "tens of MiB"
printf '%s\n' "${ROWS[@]}"
[ -z "$slurm_why" ] || echo "slurm: no anchor: $slurm_why"
