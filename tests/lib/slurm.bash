# slurm.bash: a real Slurm for the Slurm bridge's tests (issue 13):
# Debian 12's slurm-wlm (22.05, built with multiple-slurmd), one slurmctld
# and its cloud nodes on this host, a private munged, everything under
# the test file's own directory and on loopback ports.
#
#   setup_file()    { slurm_start [NODES [RESUME [SUSPEND]]]; }
#   teardown_file() { slurm_stop; }
#
# NODES is a hostlist of State=CLOUD nodes (default hpc-c5large-[1-4],
# Feature=c5.large, one port each); SLURM_MORE_NODES may add node sets of
# other types ("hpc-m5large-[1-2]=m5.large ..."), in the same partition;
# SLURM_LICENSES adds Licenses=SLURM_LICENSES ("matlab:10");
# RESUME and SUSPEND are the programs slurmctld runs.  slurm_boot NAME starts the slurmd of one node as an
# instance's user data would (slurmd -N NAME), with a clean signal mask.
# Exports SLURM_CONF and SLURM_DIR.  slurm_skip_reason says why Slurm
# cannot run here (then the suite skips).

load lib/service

slurm_skip_reason() {
	if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
		! command -v munged >/dev/null; then
		echo "slurm-wlm or munge is not installed (tests/setup-deps test)"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || { echo "slurmd needs root"; return 0; }
	return 1
}

slurm_start() {
	local nodes=${1:-hpc-c5large-[1-4]} resume=${2:-/bin/true}
	local suspend=${3:-/bin/true} p1 p2 p3 n i set all sets
	SLURM_DIR=$BATS_FILE_TMPDIR/slurm
	export SLURM_DIR
	mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/spool" "$SLURM_DIR/munge" \
		"$SLURM_DIR/log"
	head -c 1024 /dev/urandom >"$SLURM_DIR/munge/key"
	chmod 0400 "$SLURM_DIR/munge/key"
	munged -f --key-file="$SLURM_DIR/munge/key" \
		--socket="$SLURM_DIR/munge/sock" \
		--pid-file="$SLURM_DIR/munge/pid" \
		--log-file="$SLURM_DIR/munge/log" \
		--seed-file="$SLURM_DIR/munge/seed" || return 1
	p1=$(service_port) p3=$(free_ports 21)
	sets="$nodes=c5.large ${SLURM_MORE_NODES:-}" all=
	for set in $sets; do
		for i in $(hostnames "${set%=*}"); do
			mkdir -p "$SLURM_DIR/spool/$i"
		done
		all=${all:+$all,}${set%=*}
	done
	cat >"$SLURM_DIR/slurm.conf" <<CONF
ClusterName=soca
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$p1
SrunPortRange=$p3-$((p3 + 20))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SLURM_DIR/munge/sock
CredType=cred/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool/%n
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.%n.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
ResumeProgram=$resume
SuspendProgram=$suspend
ResumeRate=0
SuspendRate=0
ResumeTimeout=60
SuspendTime=600
SuspendTimeout=5
MinJobAge=3600
TreeWidth=65533
SlurmctldParameters=idle_on_node_suspend,cloud_reg_addrs
CommunicationParameters=NoAddrCache
PrivateData=cloud
CONF
	[ -z "${SLURM_LICENSES:-}" ] ||
		echo "Licenses=$SLURM_LICENSES" >>"$SLURM_DIR/slurm.conf"
	for set in $sets; do
		n=$(hostnames "${set%=*}" | wc -l)
		p2=$(free_ports "$n")
		echo "NodeName=${set%=*} CPUs=1 State=CLOUD Feature=${set#*=} Port=[$p2-$((p2 + n - 1))]"
	done >>"$SLURM_DIR/slurm.conf"
	echo "PartitionName=normal Nodes=$all Default=YES MaxTime=INFINITE State=UP" >>"$SLURM_DIR/slurm.conf"
	export SLURM_CONF=$SLURM_DIR/slurm.conf
	slurmctld -i >"$SLURM_DIR/log/ctld.out" 2>&1 || return 1
	for ((i = 0; i < 100; i++)); do
		sinfo -h >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "slurmctld did not answer: $(tail -n 5 "$SLURM_DIR/log/slurmctld.log")" >&2
	return 1
}

# free_ports N: the first of N consecutive loopback ports free now (the
# nodes' slurmd ports are one range in slurm.conf)
free_ports() {
	python3 -c 'import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 32000 - n)  # below the ephemeral range
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)' "$1"
}

# hostnames LIST: one name a line (before slurmctld runs, so without
# scontrol show hostnames)
hostnames() {
	python3 -c 'import re,sys
for part in re.findall(r"[^,\[]+(?:\[[^\]]*\])?", sys.argv[1]):
    m = re.match(r"(.*)\[(.*)\]$", part)
    if not m:
        print(part); continue
    for r in m.group(2).split(","):
        a, _, b = r.partition("-")
        for i in range(int(a), int(b or a) + 1):
            print("%s%0*d" % (m.group(1), len(a) if a.startswith("0") else 0, i))' "$1"
}

# slurm_boot NAME: the node's slurmd, as its instance would start it
slurm_boot() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SLURM_CONF="$SLURM_CONF" \
		slurmd -N "$1" -b >>"$SLURM_DIR/log/boot.out" 2>&1
}

# slurm_restart: slurmctld stopped and started again, its state kept
slurm_restart() {
	local pid
	pid=$(cat "$SLURM_DIR/slurmctld.pid")
	kill "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	slurmctld -i >>"$SLURM_DIR/log/ctld.out" 2>&1 || return 1
	for ((i = 0; i < 100; i++)); do
		sinfo -h >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# slurm_kill_nodes: every process of this Slurm's nodes (instances never
# terminated): found by the SLURM_CONF in their environment, never by name
slurm_kill_nodes() {
	local p
	for p in /proc/[0-9]*; do
		case $(cat "$p/comm" 2>/dev/null) in
		slurmd | slurmstepd) ;;
		*) continue ;;
		esac
		tr '\0' '\n' <"$p/environ" 2>/dev/null |
			grep -qxF "SLURM_CONF=$SLURM_CONF" &&
			kill -9 "${p#/proc/}" 2>/dev/null
	done
	return 0
}

slurm_stop() {
	local f
	for f in "$SLURM_DIR"/slurmd.*.pid "$SLURM_DIR/slurmctld.pid" \
	    "$SLURM_DIR/munge/pid"; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	return 0
}
