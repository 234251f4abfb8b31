#!/usr/bin/env bash
# bench/jobs.sh: issue 4's figures, soca's job commands beside Slurm's.
#
#   bench/jobs.sh [--quick] [--runs N] [--json FILE]   # from a build tree
#
# Slurm (Debian's slurm-wlm and munge; tests/setup-deps bench installs
# them) runs as one slurmctld and one slurmd on loopback, with its
# configuration, state and munge key under a temporary directory and no
# accounting.  Jobs on both sides are submitted held (sbatch -H; soca with
# dispatch = cron) so nothing runs while we measure.  Large spools for
# soca (10,000 and 100,000 jobs) are filled by writing records the way
# soca-submit does, to keep the run short; submitting them for real takes
# the same per-job time as the submission figure shows.
#
# Figures: submissions per second (soca-submit vs sbatch, one at a time,
# and vs "the floor": bench/floor.c, a small static program that does
# one durable file write, exec'd by turns with soca-submit in one loop), listing Q queued jobs
# (soca-stat vs squeue, soca-stat -J vs squeue --json), submit cost at 100
# vs BIG spooled, soca-stat on BIG jobs (warm, and the first run that
# builds the index), and peak RSS of soca-submit, soca-stat, soca-del and
# soca-spool check on their largest input (sbatch and squeue beside them).
#
# Sizes: BENCH_SUBMITS (default 300; quick 100), BENCH_QUEUED (10000;
# quick 1000), BENCH_BIG (100000; quick 10000); runs 3 (quick 2).
# Records as in bench/lib.sh; alone, prints its table.
set -u
. "$(dirname "$0")/lib.sh"
bench_args "" "$@"
if [ "$quick" = 1 ]; then
	N=${BENCH_SUBMITS:-100} Q=${BENCH_QUEUED:-1000} BIG=${BENCH_BIG:-10000}
	runs=${runs:-2} C=50
else
	N=${BENCH_SUBMITS:-300} Q=${BENCH_QUEUED:-10000} BIG=${BENCH_BIG:-100000}
	runs=${runs:-3} C=200
fi
bin=${SOCA_BUILDDIR:-$(pwd)}/bin
W=$BENCH_TMP

# fill DIR COUNT: COUNT queued records like soca-submit's (script line
# last), and seq
fill() {
	"$bench_py" - "$1" "$2" <<'EOF'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(d, "queued"), exist_ok=True)
t = int(time.time())
for i in range(1, n + 1):
    with open(f"{d}/queued/{i}", "w") as f:
        f.write(f"id={i}\nstate=queued\nuid=0\ngid=0\nuser=root\nqueue=normal\n"
                f"name=bench\nworkdir=/tmp\nsubmit={t}\nres=nodes=1\nres=ncpus=1\n"
                "script=#!/bin/sh\\nexec 'true'\\n\n")
with open(f"{d}/seq", "w") as f:
    f.write(f"{n + 1}\n")
EOF
}

soca_env() {	# soca_env NAME [KEY = VALUE]: a spool of its own under $W
	export SOCA_CONF=$W/$1.conf
	printf '[cluster]\nspool = %s/%s\ndispatch = cron\n%s\n' "$W" "$1" "${2:-}" >"$SOCA_CONF"
	"$bin/soca-spool" init >/dev/null
}

# the floor, static when the C library allows it
floor_note=
if ! cc -O2 -static -o "$W/floor" "$bench_src/bench/floor.c" 2>/dev/null; then
	cc -O2 -o "$W/floor" "$bench_src/bench/floor.c" || exit 1
	floor_note="the floor is linked dynamically (no static C library)"
fi

# submit_pair COUNT: soca-submit and the floor by turns in one loop, each
# timed alone (bash's clock in microseconds), so both see the same load;
# prints both rates per second
submit_pair() {
	local a b c i s=0 f=0
	mkdir -p "$W/floor.d"
	for ((i = 0; i < $1; i++)); do
		a=${EPOCHREALTIME/[.,]/}
		"$bin/soca-submit" -- true >/dev/null
		b=${EPOCHREALTIME/[.,]/}
		"$W/floor" "$W/floor.d" >/dev/null
		c=${EPOCHREALTIME/[.,]/}
		s=$((s + b - a)) f=$((f + c - b))
	done
	rm -rf "$W/floor.d"
	awk -v n="$1" -v s="$s" -v f="$f" \
		'BEGIN { printf "%.1f %.1f\n", n * 1e6 / s, n * 1e6 / f }'
}

# submit_soca COUNT: submissions per second over COUNT submits
submit_soca() {
	local a b i
	stamp a
	for ((i = 0; i < $1; i++)); do "$bin/soca-submit" -- true >/dev/null; done
	stamp b
	per_sec "$1" "$a" "$b"
}

# list_ms CMD...: milliseconds of one run of CMD, output discarded
list_ms() {
	local a b
	stamp a
	"$@" >/dev/null
	stamp b
	elapsed "$a" "$b"
}

# ---- Slurm ----
slurm_why=
start_slurm() {
	local port1 port2 port3 i
	if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
		slurm_why="slurm-wlm/munge not installed (tests/setup-deps bench)"
		return 1
	fi
	[ "$(id -u)" -eq 0 ] || { slurm_why="slurmd needs root"; return 1; }
	port1=$(free_port) port2=$(free_port) port3=$(free_port)
	mkdir -p "$W/slurm/state" "$W/slurm/spool" "$W/munge"
	head -c 1024 /dev/urandom >"$W/munge/key"
	chmod 0400 "$W/munge/key"
	munged -f --key-file="$W/munge/key" --socket="$W/munge/sock" \
		--pid-file="$W/munge/pid" --log-file="$W/munge/log" \
		--seed-file="$W/munge/seed" || { slurm_why="munged failed to start"; return 1; }
	BENCH_PIDS+=("$(cat "$W/munge/pid")")
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
MaxJobCount=$((Q + N * runs + 1000))
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=bench Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
	export SLURM_CONF=$W/slurm/slurm.conf
	slurmctld -D -i >"$W/slurm/ctld.out" 2>&1 &
	BENCH_PIDS+=($!)
	slurmd -D >"$W/slurm/d.out" 2>&1 &
	BENCH_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		sinfo -h >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	slurm_why="slurmctld did not answer (see its log)"
	return 1
}

# ---- soca ----
soca_rate='' soca_rate_nosync='' floor_rate='' cost_small='' cost_big='' list='' big_list=''
list_json='' rss_stat='' rss_stat_big='' rss_submit='' rss_del='' rss_check=''
for ((r = 0; r < runs; r++)); do
	soca_env "s1.$r"
	read -r x y < <(submit_pair "$N")
	soca_rate+=" $x" floor_rate+=" $y"
	soca_env "s1n.$r" "fsync = no"
	soca_rate_nosync+=" $(submit_soca "$N")"
done

soca_env s2
fill "$W/s2" "$Q"
list_cold=$(list_ms "$bin/soca-stat")
[ "$("$bin/soca-stat" -n | wc -l)" -eq "$Q" ] || note jobs "soca-stat does not list $Q jobs"
for ((r = 0; r < runs; r++)); do
	list+=" $(list_ms "$bin/soca-stat")"
	list_json+=" $(list_ms "$bin/soca-stat" -J)"
	rss_stat+=" $(peak_rss_mib "$bin/soca-stat")"
done

soca_env s3
fill "$W/s3" 100
for ((r = 0; r < runs; r++)); do
	stamp a
	for ((i = 0; i < C; i++)); do "$bin/soca-submit" -- true >/dev/null; done
	stamp b
	cost_small+=" $(elapsed "$a" "$b" "$C")"
done
soca_env s4
fill "$W/s4" "$BIG"
big_cold=$(list_ms "$bin/soca-stat")
for ((r = 0; r < runs; r++)); do
	stamp a
	for ((i = 0; i < C; i++)); do "$bin/soca-submit" -- true >/dev/null; done
	stamp b
	cost_big+=" $(elapsed "$a" "$b" "$C")"
	big_list+=" $(list_ms "$bin/soca-stat")"
	rss_stat_big+=" $(peak_rss_mib "$bin/soca-stat")"
	rss_submit+=" $(peak_rss_mib "$bin/soca-submit" -- true)"
	rss_del+=" $(peak_rss_mib "$bin/soca-del" "$((BIG - r))")"
	rss_check+=" $(peak_rss_mib "$bin/soca-spool" check)"
done

# ---- Slurm ----
sb_rate='' sq_list='' sq_json='' rss_sq='' rss_sb=''
if start_slurm; then
	for ((r = 0; r < runs; r++)); do
		stamp a
		for ((i = 0; i < N; i++)); do sbatch -H -Q --wrap true >/dev/null; done
		stamp b
		sb_rate+=" $(per_sec "$N" "$a" "$b")"
	done
	workers=()
	for w in 1 2 3 4; do
		(for ((i = 0; i < (Q - N * runs) / 4; i++)); do sbatch -H -Q --wrap true >/dev/null; done) &
		workers+=($!)
	done
	wait "${workers[@]}"
	n=$(squeue -h | wc -l)
	[ "$n" -ge "$Q" ] || note jobs "squeue lists $n jobs, not $Q"
	for ((r = 0; r < runs; r++)); do
		sq_list+=" $(list_ms squeue)"
		sq_json+=" $(list_ms squeue --json)"
		rss_sq+=" $(peak_rss_mib squeue)"
		rss_sb+=" $(peak_rss_mib sbatch -H -Q --wrap true)"
	done
else
	note jobs "no Slurm anchor: $slurm_why"
fi

[ -z "$floor_note" ] || note jobs "$floor_note"
record jobs "submissions/s, one at a time" "/s" higher ">= 2.5x sbatch" 2.5x \
	"$soca_rate" sbatch "$sb_rate"
record jobs "submissions/s vs the floor (static exec + one durable write)" "/s" \
	higher ">= 60% of the floor" 0.6x "$soca_rate" floor "$floor_rate"
record jobs "submissions/s with fsync = no (Slurm's durability)" "/s" higher \
	"(reference)" "" "$soca_rate_nosync" sbatch "$sb_rate"
record jobs "list $Q queued jobs" ms lower ">= 5x faster than squeue" 5x \
	"$list" squeue "$sq_list"
record jobs "list $Q queued jobs as JSON (soca-stat -J)" ms lower \
	">= 10x faster than squeue --json" 10x "$list_json" "squeue --json" "$sq_json"
record jobs "first listing of $Q queued jobs (builds its index)" ms lower "" "" "$list_cold"
record jobs "submit cost, $BIG spooled vs 100 spooled" ms lower "flat (ratio >= 0.8x)" 0.8x \
	"$cost_big" "soca, 100 spooled" "$cost_small"
record jobs "soca-stat, $BIG queued jobs" ms lower "under 0.5 s" 500 "$big_list"
record jobs "first soca-stat of $BIG queued jobs (builds its index)" ms lower "under 2 s" 2000 "$big_cold"
record jobs "peak RSS, soca-stat, $Q queued" MiB lower "less than squeue" 1x \
	"$rss_stat" squeue "$rss_sq"
record jobs "peak RSS, soca-stat, $BIG queued" MiB lower "tens of MiB (< 100)" 100 "$rss_stat_big"
record jobs "peak RSS, soca-submit, $BIG spooled" MiB lower "less than sbatch" 1x \
	"$rss_submit" "sbatch, $Q queued" "$rss_sb"
record jobs "peak RSS, soca-del, $BIG spooled" MiB lower "" "" "$rss_del"
record jobs "peak RSS, soca-spool check, $BIG spooled" MiB lower "" "" "$rss_check"
bench_done
