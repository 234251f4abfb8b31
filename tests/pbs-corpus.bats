#!/usr/bin/env bats
# The PBS job script corpus (issue 12; tests/data/pbs-corpus): scripts
# written as HPC centre tutorials write them, submitted unchanged through
# qsub on the embedded default (local provider, dispatch = immediate: the
# queue drains by itself, no soca-node-up is typed), each waited for with
# a timeout.  What each script checks itself decides whether it ends
# done; the suite checks the outcome, what it printed and its output file
# names (NAME.oID, NAME.eID; a job array's NAME.oID.INDEX).

load lib/helper
load lib/jobs

CORPUS=$SOCA_SRCDIR/tests/data/pbs-corpus

setup() {
	soca_test_env
	cp "$CORPUS"/*.pbs "$CORPUS"/chain.sh .
	# no MPI on the test host: Open MPI's mpirun, as a stand-in
	PATH=$CORPUS/bin:$PATH
}

# ends ID STATE: the job reaches STATE (done, failed) within 60 s
ends() {
	wait_state "$1" "$2" 60
}

@test "MPI: select=2:ncpus=1:mpiprocs=2, mpirun -np \$(wc -l < \$PBS_NODEFILE)" {
	run qsub mpi_hello.pbs
	assert_success
	assert_output 1.soca
	ends 1 done
	[ -f mpi_hello.o1 ]
	[ ! -e mpi_hello.e1 ]	# -j oe
	run cat mpi_hello.o1
	assert_line --index 0 'Job 1 running 4 MPI ranks on:'
	assert_line --index 1 "$(hostname)"
	assert_line 'hello from rank 0 of 4'
	assert_line 'hello from rank 3 of 4'
}

@test "MPI over two chunk kinds: each chunk's host its mpiprocs times" {
	run qsub mpi_mixed.pbs
	assert_output 1.soca
	ends 1 done
	run cat mpi_mixed.o1
	assert_output 'ranks=4'
	[ "$(wc -l <ranks.1)" -eq 4 ]
	[ -f mpi_mixed.e1 ] && [ ! -s mpi_mixed.e1 ]
}

@test "OpenMP: ncpus and ompthreads give NCPUS and OMP_NUM_THREADS" {
	run qsub openmp.pbs
	assert_output 1.soca
	ends 1 done
	run cat omp_test.o1
	assert_line --index 0 'NCPUS=2 OMP_NUM_THREADS=2'
	assert_line 'thread 1'
	assert_line 'thread 2'
	[ ! -s omp_test.e1 ]
}

@test "serial: walltime HH:MM:SS, mem, -j oe, TMPDIR staging, cd \$PBS_O_WORKDIR" {
	printf '3\n1\n2\n' >input.dat
	run qsub serial.pbs
	assert_output 1.soca
	ends 1 done
	run cat sorted.1
	assert_output "$(printf '1\n2\n3')"
	run cat serial_job.o1
	assert_line --partial "Job finished on $(hostname)"
	assert_line 'this goes to stderr, joined into the output file'
	[ ! -e serial_job.e1 ]
}

@test "a dependency chain: the driver's qsub -W depend=afterok:\$FIRST" {
	run ./chain.sh
	assert_success
	assert_line 'submitted 1.soca'
	assert_line 'submitted 2.soca'
	ends 1 done
	ends 2 done
	run cat postprocess.o2
	assert_output 'sum=55'
	run cat preprocess.o1
	assert_output 'preprocess done'
}

@test "a failing job: its afterok child never runs, its afternotok child does" {
	run qsub fail_then_skip.pbs
	assert_output 1.soca
	run qsub -W depend=afterok:1.soca postprocess.pbs
	assert_output 2.soca
	run qsub -W depend=afternotok:1.soca preprocess.pbs
	assert_output 3.soca
	ends 1 failed
	ends 2 failed
	ends 3 done
	run soca-stat -x -n -o exit 1
	assert_output 3
	run cat will_fail.o1
	assert_output 'this step fails on purpose'
	[ ! -e postprocess.o2 ]
	[ -f preprocess.o3 ]
	run qstat -x -f 1
	assert_line '    Exit_status = 3'
	assert_line '    job_state = F'
}

@test "the PBS variables a job relies on" {
	run qsub env_report.pbs
	assert_output 1.soca
	ends 1 done
	run cat env_report.o1
	assert_line 'PBS_JOBID=1'
	assert_line 'PBS_JOBNAME=env_report'
	assert_line 'PBS_QUEUE=normal'
	assert_line "PBS_O_WORKDIR=$PWD"
	assert_line 'PBS_ENVIRONMENT=PBS_BATCH'
	assert_line 'NCPUS=1'
}

@test "a parameter sweep: #PBS -J 1-10, \$PBS_ARRAY_INDEX picks the input, NAME.oID.INDEX" {
	for i in $(seq 1 10); do
		seq 1 "$i" >"data_$i.txt"
		echo "data_$i.txt"
	done >inputs.txt
	run qsub sweep.pbs
	assert_success
	assert_output '1[].soca'
	ends '1[]' done
	for i in $(seq 1 10); do
		run cat "sweep.o1.$i"
		assert_output "subjob $i of 1[] (1[$i]) reads data_$i.txt"
		[ ! -e "sweep.e1.$i" ]	# -j oe
		[ "$(cat "result.$i")" -eq $((i * (i + 1) / 2)) ]
	done
	run qstat -x '1[]'
	assert_line --index 2 --regexp '^1\[\]\.soca +sweep .* F normal$'
	run qstat -x -t -J '1[]'
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c ' X normal$')" 10
	run qstat
	assert_output ''
}

@test "a sweep with a step and a limit: #PBS -J 0-8:2%2 never runs more than two at once" {
	run qsub sweep_limited.pbs
	assert_output '1[].soca'
	ends '1[]' done
	for i in 0 2 4 6 8; do
		run cat "limited.o1.$i"
		assert_output "alpha=0.$i""0"
		run cat "limited.e1.$i"	# there, and empty
		assert_success
		assert_output ''
	done
	[ ! -e limited.o1.1 ]
	[ "$(wc -l <concurrency.log)" -eq 5 ]
	[ "$(cut -d' ' -f2 concurrency.log | sort -n | tail -1)" -le 2 ]
	run qstat -x -f '1[]'
	assert_line '    array_indices_submitted = 0-8:2'
	assert_line '    max_run_subjobs = 2'
	assert_line '    array_state_count = Queued:0 Running:0 Exiting:0 Expired:5 '
}

@test "the whole corpus at once drains by itself" {
	printf '5\n4\n' >input.dat
	for s in mpi_hello mpi_mixed openmp serial env_report; do
		qsub $s.pbs
	done
	for id in 1 2 3 4 5; do
		ends $id done
	done
	[ -f mpi_hello.o1 ] && [ -f mpi_mixed.o2 ] && [ -f omp_test.o3 ] &&
	    [ -f serial_job.o4 ] && [ -f env_report.o5 ]
	run qstat
	assert_output ''
}
