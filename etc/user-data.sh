#!/bin/sh
# soca compute node bootstrap: EC2 user-data, rendered per job by
# soca-node-up from [aws] user_data (this file by default).  Every
# %%NAME%% is replaced by a single-quoted value (or a plain number for the
# job id); no user string (job name, project, paths) is ever put here:
# the node reads the job from the shared spool.
set -eu
SOCA_CLUSTER=%%CLUSTER%%
SOCA_JOB_ID=%%JOB_ID%%
SOCA_CONF=%%CONF%%
SOCA_FS=%%SHARED_FS%%
SOCA_MNT=%%SHARED_FS_MOUNT%%
SOCA_BINDIR=%%BINDIR%%
SOCA_SLURM_NODES=%%SLURM_NODES%%
SOCA_FSX_ID=%%FSX_ID%%
SOCA_FSX_DNS=%%FSX_DNS%%
SOCA_FSX_MOUNTNAME=%%FSX_MOUNTNAME%%
SOCA_FSX_MNT=%%FSX_MOUNT%%
SOCA_FSX_WAIT=%%FSX_WAIT%%
SOCA_NODE_LOGS=%%NODE_LOGS%%
export SOCA_CLUSTER SOCA_CONF

# the shared filesystem (EFS or NFS) that holds the spool and the homes
if [ -n "$SOCA_FS" ] && ! mountpoint -q "$SOCA_MNT" 2>/dev/null; then
	mkdir -p "$SOCA_MNT"
	mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport \
	    "$SOCA_FS" "$SOCA_MNT"
fi

# the bootstrap's output, as cloud-init logs it, also to NODE_LOGS/
# INSTANCE-ID.log on the shared filesystem (only with [archive] bucket),
# closed before the job runs or when the bootstrap fails; soca-archive
# sends it to S3 once [archive] keep old (soca-archive(1))
node_log_start() {
	[ -n "$SOCA_NODE_LOGS" ] || return 0
	nl_imds=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254/}
	nl_imds=${nl_imds%/}/latest
	nl_tok=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
	    "$nl_imds/api/token") || return 0
	nl_id=$(curl -sf -m 5 -H "X-aws-ec2-metadata-token: $nl_tok" \
	    "$nl_imds/meta-data/instance-id") || return 0
	case $nl_id in i-|i-*[!0-9a-f]*|[!i]*) return 0 ;; esac
	mkdir -p "$SOCA_NODE_LOGS" && nl_fifo=$(mktemp -u /tmp/soca-node-log.XXXXXX) &&
	    mkfifo -m 600 "$nl_fifo" || return 0
	tee -a "$SOCA_NODE_LOGS/$nl_id.log" <"$nl_fifo" &
	nl_tee=$!
	exec 3>&1 4>&2 >"$nl_fifo" 2>&1
	rm -f "$nl_fifo"
	trap node_log_end EXIT
	echo "soca: $(date -u +%Y-%m-%dT%H:%M:%SZ) node $nl_id of $SOCA_CLUSTER, job ${SOCA_JOB_ID:-from its tags}"
}
# back to cloud-init's output alone; tee ends once it has written all
# (a few seconds at most: a daemon holding the output keeps it going)
node_log_end() {
	[ -n "${nl_tee:-}" ] || return 0
	exec >&3 2>&4 3>&- 4>&-
	nl_n=0
	while kill -0 "$nl_tee" 2>/dev/null && [ "$nl_n" -lt 50 ]; do
		sleep 0.1
		nl_n=$((nl_n + 1))
	done
	nl_tee=
}
node_log_start

# scratch at /scratch: the job's EBS scratch volume (scratch_size), which
# soca maps as /dev/xvdbx, found by that name -- a udev link, else the
# name the EBS NVMe controller holds in its vendor bytes (3072-3103) --
# never by its size; without one, the instance store NVMe disks, in
# RAID 0 when there are several
SOCA_SCRATCH=/scratch
scratch_ebs() {
	for d in /dev/xvdbx /dev/sdbx; do
		[ -b "$d" ] && { readlink -f "$d"; return 0; }
	done
	for d in /dev/nvme*n1; do
		[ -b "$d" ] || continue
		n=$(nvme id-ctrl --raw-binary "$d" 2>/dev/null |
		    dd bs=1 skip=3072 count=32 2>/dev/null | tr -d '\000 ')
		case $n in
		/dev/xvdbx|xvdbx|/dev/sdbx|sdbx) echo "$d"; return 0 ;;
		esac
	done
	return 1
}
scratch_store() {
	for d in /dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_*; do
		case $d in *-part*|*'*'*) continue ;; esac
		[ -b "$d" ] && readlink -f "$d"
	done | sort -u
}
scratch_mount() {
	mountpoint -q "$SOCA_SCRATCH" 2>/dev/null && return 0
	dev=$(scratch_ebs) || dev=
	if [ -z "$dev" ]; then
		# shellcheck disable=SC2046 # device paths, one a word
		set -- $(scratch_store)
		[ $# -gt 0 ] || return 0
		dev=$1
		if [ $# -gt 1 ]; then
			dev=/dev/md/soca-scratch
			mdadm --create "$dev" --run --level=0 --raid-devices=$# "$@" ||
			    { echo "soca: scratch: RAID 0 of $* failed" >&2; return 1; }
		fi
	fi
	blkid "$dev" >/dev/null 2>&1 || mkfs -t xfs -q "$dev" ||
	    { echo "soca: scratch: mkfs on $dev failed" >&2; return 1; }
	mkdir -p "$SOCA_SCRATCH"
	mount -o noatime "$dev" "$SOCA_SCRATCH" && chmod 1777 "$SOCA_SCRATCH"
}
scratch_mount || :

# run the job; the runner reads the instance id and launch index from IMDSv2
PATH=$PATH:$SOCA_BINDIR
export PATH

# the queue's extra mounts ([queue] efs_mounts, SOURCE=MOUNTPOINT[:ro]),
# with the options AWS recommends for EFS; a failed one fails the job
efs_mounts() {
	[ -n "$SOCA_JOB_ID" ] || return 0
	efs_q=$(soca-stat -n -o queue "$SOCA_JOB_ID" 2>/dev/null) || return 0
	efs_l=$(soca-config get "queue.$efs_q.efs_mounts" 2>/dev/null) || return 0
	efs_region=$(soca-config get aws.region 2>/dev/null) || efs_region=
	printf '%s\n' "$efs_l" | tr ',' '\n' | while read -r efs_m; do
		[ -n "$efs_m" ] || continue
		efs_src=${efs_m%%=*} efs_dst=${efs_m#*=} efs_ro=
		case $efs_dst in *:ro) efs_dst=${efs_dst%:ro} efs_ro=,ro ;; esac
		case $efs_src in
		fs-*.*:*) ;;	# already a DNS name
		fs-*:*) efs_src=${efs_src%%:*}.efs.$efs_region.amazonaws.com:${efs_src#*:} ;;
		fs-*) efs_src=$efs_src.efs.$efs_region.amazonaws.com:/ ;;
		esac
		case $efs_m:$efs_dst in
		*=*:/*) ;;
		*) echo "soca: [queue $efs_q] efs_mounts: \"$efs_m\" is not SOURCE=/MOUNTPOINT[:ro]"; return 1 ;;
		esac
		mountpoint -q "$efs_dst" 2>/dev/null && continue
		mkdir -p "$efs_dst" ||
		    { echo "soca: cannot make the mount point $efs_dst ([queue $efs_q] efs_mounts)"; return 1; }
		mount -t nfs4 -o "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport$efs_ro" \
		    "$efs_src" "$efs_dst" ||
		    { echo "soca: cannot mount $efs_src on $efs_dst ([queue $efs_q] efs_mounts)"; return 1; }
	done
}
if ! efs_why=$(efs_mounts); then
	echo "$efs_why" >&2
	soca-node-run --fail "${efs_why#soca: }" ${SOCA_JOB_ID:+"$SOCA_JOB_ID"} || :
	exit 1
fi

# the job's FSx for Lustre file system (-l fsx_lustre): made by the
# dispatcher without waiting, so wait here for AVAILABLE, bounded by
# [aws] fsx_wait; past it, or when it cannot be mounted, the job fails
# with the reason instead of running without its data
fsx_fail() {
	echo "soca: job $SOCA_JOB_ID: $*" >&2
	logger -t soca "job $SOCA_JOB_ID: $*" 2>/dev/null || :
	soca-node-run --fail "$*" ${SOCA_JOB_ID:+"$SOCA_JOB_ID"} || :
	exit 1
}
# the file system's Lifecycle: soca-aws indents by 2, so the file
# system's own is at 6 (its data repository's, deeper, is not taken)
fsx_state() {
	soca-aws fsx DescribeFileSystems "{\"FileSystemIds\": [\"$SOCA_FSX_ID\"]}" 2>/dev/null |
	    sed -n 's/^      "Lifecycle": "\([A-Z_]*\)".*/\1/p' | head -n 1
}
if [ -n "$SOCA_FSX_ID" ]; then
	fsx_end=$(( $(date +%s) + SOCA_FSX_WAIT ))
	fsx_now=
	while fsx_now=$(fsx_state) && [ "$fsx_now" != AVAILABLE ]; do
		case $fsx_now in FAILED|DELETING|MISCONFIGURED*)
			fsx_fail "FSx $SOCA_FSX_ID is $fsx_now, not AVAILABLE" ;;
		esac
		[ "$(date +%s)" -lt "$fsx_end" ] ||
		    fsx_fail "FSx $SOCA_FSX_ID not AVAILABLE after ${SOCA_FSX_WAIT}s (${fsx_now:-no answer}); raise [aws] fsx_wait or check the file system"
		sleep 15
	done
	mkdir -p "$SOCA_FSX_MNT"
	if ! mountpoint -q "$SOCA_FSX_MNT" 2>/dev/null; then
		mount -t lustre -o relatime,flock \
		    "$SOCA_FSX_DNS@tcp:/$SOCA_FSX_MOUNTNAME" "$SOCA_FSX_MNT" ||
		    fsx_fail "FSx $SOCA_FSX_ID: cannot mount $SOCA_FSX_DNS@tcp:/$SOCA_FSX_MOUNTNAME on $SOCA_FSX_MNT (is the Lustre client installed?)"
	fi
	chmod 1777 "$SOCA_FSX_MNT" 2>/dev/null || :
fi
# Slurm bridge ([cluster] scheduler = slurm): the node is a Slurm node;
# its slurmd, named by its launch index in the list, takes the job
trap - EXIT
node_log_end
if [ -n "$SOCA_SLURM_NODES" ]; then
	export SOCA_SLURM_NODES
	exec soca-node-run --slurmd
fi
# (no job id in a launch template's user data: the node reads its
# soca:JobId tag from IMDS)
exec soca-node-run ${SOCA_JOB_ID:+"$SOCA_JOB_ID"}
