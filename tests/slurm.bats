#!/usr/bin/env bats
# The Slurm bridge against the real thing (issue 13): Debian 12's
# slurmctld (22.05) and slurmd, several on this host.  So far: what
# slurmctld hands a ResumeProgram (its argument and SLURM_RESUME_FILE, a
# memfd that is gone once the program exits) is read by soca's parser.

load lib/helper
load lib/slurm

setup_file() {
	if why=$(slurm_skip_reason); then
		export SLURM_SKIP=$why
		return 0
	fi
	# a ResumeProgram that keeps what it was given, then boots the nodes
	# as instances would
	export RESUME_LOG=$BATS_FILE_TMPDIR/resume
	mkdir -p "$RESUME_LOG"
	cat >"$BATS_FILE_TMPDIR/resume.sh" <<-EOF2
	#!/bin/sh
	n=\$(ls "$RESUME_LOG" | wc -l)
	printf '%s\n' "\$1" >"$RESUME_LOG/\$n.arg"
	cat "\$SLURM_RESUME_FILE" >"$RESUME_LOG/\$n.json" 2>"$RESUME_LOG/\$n.err"
	EOF2
	chmod 0755 "$BATS_FILE_TMPDIR/resume.sh"
	slurm_start 'hpc-c5large-[1-4]' "$BATS_FILE_TMPDIR/resume.sh"
}

teardown_file() {
	[ -n "${SLURM_SKIP:-}" ] || slurm_stop
}

setup() {
	[ -z "${SLURM_SKIP:-}" ] || skip "$SLURM_SKIP"
	soca_test_env
}

@test "slurmctld 22.05 resumes cloud nodes for a job; soca reads its resume file" {
	run sinfo -h -N -o '%N %T'
	assert_line --regexp '^hpc-c5large-1 idle~$'
	run sbatch -N 2 --wrap 'hostname' -o /dev/null
	assert_success
	job=${output##* }
	for i in $(seq 100); do
		[ -s "$RESUME_LOG/0.json" ] && break
		sleep 0.1
	done
	run cat "$RESUME_LOG/0.arg"
	assert_output 'hpc-c5large-[1-2]'
	# Debian 12's schema: all_nodes and jobs[].nodes
	run python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(sorted(d)); print(sorted(d["jobs"][0]))' "$RESUME_LOG/0.json"
	assert_line --index 0 "['all_nodes', 'jobs']"
	assert_line --index 1 --partial "'job_id'"
	assert_line --index 1 --partial "'nodes'"
	# soca's parser reads the real file
	SOCA_RESUME_FILE=$RESUME_LOG/0.json SOCA_RESUME_ARG=$(cat "$RESUME_LOG/0.arg") \
		run "$SOCA_BUILDDIR/tests/unit/unit" slurm
	assert_success
	assert_line --regexp "^ok [0-9]+ - the resume file of this slurmctld: job $job, nodes hpc-c5large-1 hpc-c5large-2\$"
	scancel "$job"
}
