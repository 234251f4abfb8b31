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
export SOCA_CLUSTER SOCA_CONF

# the shared filesystem (EFS or NFS) that holds the spool and the homes
if [ -n "$SOCA_FS" ] && ! mountpoint -q "$SOCA_MNT" 2>/dev/null; then
	mkdir -p "$SOCA_MNT"
	mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport \
	    "$SOCA_FS" "$SOCA_MNT"
fi

# run the job; the runner reads the instance id and launch index from IMDSv2
PATH=$PATH:$SOCA_BINDIR
export PATH

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
if [ -n "$SOCA_SLURM_NODES" ]; then
	export SOCA_SLURM_NODES
	exec soca-node-run --slurmd
fi
# (no job id in a launch template's user data: the node reads its
# soca:JobId tag from IMDS)
exec soca-node-run ${SOCA_JOB_ID:+"$SOCA_JOB_ID"}
