#!/usr/bin/env bats
# PBS habits (issue 12): walltime as PBS writes it, the job environment
# PBS Professional sets, PBS_NODEFILE one line per rank, scripts without
# #! under the login shell, and what soca-submit refuses for any provider
# (DOS line endings, malformed AWS ids).

load lib/helper
load lib/jobs

setup() {
	soca_test_env
}

@test "walltime=HH:MM:SS and MM:SS are taken; a bad clock form is refused" {
	no_dispatch
	refused 'walltime' -l walltime=1:75 -- true
	refused 'walltime' -l walltime=1:2:3:4 -- true
	run soca-submit -l walltime=01:30:00 -- true
	assert_success
	run soca-stat -f 1
	assert_line 'res=walltime=01:30:00'
	printf '#!/bin/sh\n#PBS -l walltime=2:30\ntrue\n' >w.sh
	run soca-submit w.sh
	assert_success
}

@test "walltime=00:00:02 kills the job after two seconds" {
	soca-submit -l walltime=00:00:02 -- sleep 30
	wait_state 1 failed 15
	run soca-stat -x -n -o reason 1
	assert_output --regexp '^walltime exceeded'
}

@test "the job sees PBS Professional's environment" {
	cat >env.sh <<-'EOF2'
	#!/bin/sh
	echo "ncpus=$NCPUS omp=$OMP_NUM_THREADS env=$PBS_ENVIRONMENT"
	echo "o_host=$PBS_O_HOST o_logname=$PBS_O_LOGNAME o_home=$PBS_O_HOME"
	echo "o_path=$PBS_O_PATH o_shell=$PBS_O_SHELL o_system=$PBS_O_SYSTEM"
	echo "o_queue=$PBS_O_QUEUE o_workdir=$PBS_O_WORKDIR jobdir=$PBS_JOBDIR"
	echo "tmpdir=$TMPDIR"
	[ -d "$TMPDIR" ] && [ -w "$TMPDIR" ] && echo tmpdir-ok
	stat -c %a "$TMPDIR"
	touch "$TMPDIR/scratch"
	EOF2
	LOGNAME=someone SHELL=/bin/bash soca-submit -l ncpus=2 -q high env.sh
	wait_state 1 done 10
	run cat env.sh.o1
	assert_line "ncpus=2 omp=2 env=PBS_BATCH"
	assert_line "o_host=$(hostname) o_logname=someone o_home=$HOME"
	assert_line "o_path=$PATH o_shell=/bin/bash o_system=$(uname -s)"
	assert_line "o_queue=high o_workdir=$PWD jobdir=$(getent passwd "$(id -un)" | cut -d: -f6)"
	assert_line tmpdir-ok
	assert_line 700
	tmp=$(sed -n 's/^tmpdir=//p' env.sh.o1)
	[[ $tmp == /tmp/soca.1.* ]]
	# TMPDIR goes with the job
	[ ! -e "$tmp" ]
}

@test "OMP_NUM_THREADS follows ompthreads, and -v wins" {
	soca-submit -l ncpus=2 -l ompthreads=1 -- sh -c 'echo "$OMP_NUM_THREADS"'
	soca-submit -l ncpus=2 -v OMP_NUM_THREADS=3 -- sh -c 'echo "$OMP_NUM_THREADS"'
	wait_state 1 done 10
	wait_state 2 done 10
	run cat sh.o1
	assert_output 1
	run cat sh.o2
	assert_output 3
}

@test "PBS_NODEFILE: newline-terminated, one line per MPI rank" {
	soca-submit -N one -- sh -c 'wc -l <"$PBS_NODEFILE"; tail -c 1 "$PBS_NODEFILE" | od -An -c'
	soca-submit -N four -l mpiprocs=4 -l ncpus=1 -- sh -c 'NP=$(wc -l <"$PBS_NODEFILE"); echo "$NP"; sort -u "$PBS_NODEFILE"'
	wait_state 1 done 10
	wait_state 2 done 10
	run cat one.o1
	assert_line --index 0 1
	assert_line --index 1 --regexp '\\n'
	run cat four.o2
	assert_line --index 0 4
	assert_line --index 1 "$(hostname)"
}

@test "a script without #! runs under the owner's login shell (bash arrays work)" {
	shell=$(getent passwd "$(id -un)" | cut -d: -f7)
	[ "$shell" = /bin/bash ] || skip "login shell is $shell"
	printf 'arr=(a b)\necho ${arr[1]}\necho "$0"\n' | soca-submit -N arr
	wait_state 1 done 10
	run cat arr.o1
	assert_line --index 0 b
	assert_line --index 1 --regexp '^/tmp/soca-job\.'
}

@test "DOS line endings are refused with the line and the fix" {
	no_dispatch
	printf '#!/bin/sh\necho a\r\necho b\r\n' >dos.sh
	refused 'DOS line endings' dos.sh
	assert_output --partial 'first on line 2'
	assert_output --partial 'dos2unix'
	printf 'echo a\n' >unix.sh
	run soca-submit unix.sh
	assert_success
}

@test "malformed AWS ids are refused whatever the provider" {
	no_dispatch
	refused 'not an AWS id' -l instance_ami=ami-123 -- true
	refused 'not an AWS id' -l instance_ami=ami-0123456789ABCDEF0 -- true
	refused 'not an AWS id' -l subnet_id=subnet-zz -- true
	refused 'not an AWS id' -l security_groups=sg-01234567,sg-x -- true
	refused 'not an FSx file system id' -l fsx_lustre=fs-1 -- true
	refused 'not an IAM instance profile' -l 'instance_profile=bad name' -- true
	refused 'not an IAM instance profile' -l instance_profile=arn:aws:iam::12:instance-profile/x -- true
	run soca-submit -l instance_ami=ami-0123456789abcdef0 -l subnet_id=subnet-01234567 \
		-l security_groups=sg-01234567,sg-0123456789abcdef0 -l instance_profile=soca-compute -- true
	assert_success
	run soca-submit -l instance_profile=arn:aws:iam::123456789012:instance-profile/hpc/soca-compute -l subnet_id=2 -- true
	assert_success
}
