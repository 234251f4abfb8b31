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
# Slurm bridge ([cluster] scheduler = slurm): the node is a Slurm node;
# its slurmd, named by its launch index in the list, takes the job
if [ -n "$SOCA_SLURM_NODES" ]; then
	export SOCA_SLURM_NODES
	exec soca-node-run --slurmd
fi
# (no job id in a launch template's user data: the node reads its
# soca:JobId tag from IMDS)
exec soca-node-run ${SOCA_JOB_ID:+"$SOCA_JOB_ID"}
