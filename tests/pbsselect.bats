#!/usr/bin/env bats
# PBS chunks and placement (issue 12): -l select= mapped onto nodes,
# ncpus and mpiprocs (one instance per chunk), PBS_NODEFILE per chunk,
# -l place= taken where one instance per chunk holds and refused where it
# cannot, and chunks larger than their instance refused naming both
# (this host on the local provider, the instance type on aws via awsim).

load lib/helper
load lib/jobs
load lib/awsim

setup() {
	soca_test_env
}

@test "select chunks become nodes, ncpus and mpiprocs; the select is kept" {
	no_dispatch
	run soca-submit -l select=2:ncpus=1:mpiprocs=4+1:ncpus=2:mem=512mb -- true
	assert_success
	assert_output 1
	run soca-stat -f 1
	assert_line 'res=select=2:ncpus=1:mpiprocs=4+1:ncpus=2:mpiprocs=1:mem=512mb'
	assert_line 'res=nodes=3'
	assert_line 'res=ncpus=1'
	assert_line 'res=mpiprocs=4'
	run soca-submit -l select=ncpus=2:ompthreads=1 -- true
	assert_success
	run soca-stat -f 2
	assert_line 'res=select=1:ncpus=2:mpiprocs=1:ompthreads=1'
	assert_line 'res=nodes=1'
	assert_line 'res=ompthreads=1'
}

@test "PBS_NODEFILE lists each chunk's host its mpiprocs times; NCPUS is the first chunk's" {
	cat >mpi.sh <<-'EOF2'
	#!/bin/sh
	#PBS -N mpi
	#PBS -l select=1:ncpus=1:mpiprocs=3+1:ncpus=1:mpiprocs=2
	#PBS -l place=scatter
	echo "np=$(wc -l <"$PBS_NODEFILE") ncpus=$NCPUS omp=$OMP_NUM_THREADS nodes=$SOCA_NODES"
	sort -u "$PBS_NODEFILE"
	EOF2
	run soca-submit mpi.sh
	assert_success
	wait_state 1 done 15
	run cat mpi.o1
	assert_line --index 0 'np=5 ncpus=1 omp=1 nodes=2'
	assert_line --index 1 "$(hostname)"
}

@test "the local provider counts each chunk's ncpus as slots" {
	no_dispatch
	printf '[cluster]\ndispatch = cron\nslots = 2\n' >"$SOCA_CONF"
	run soca-submit -l select=1:ncpus=2+1:ncpus=1 -- true
	assert_success
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --regexp '^queued +capacity: the job needs 3 cpus'
}

@test "a chunk larger than this host is refused naming both" {
	no_dispatch
	printf '[cluster]\ndispatch = cron\nslots = 2\n' >"$SOCA_CONF"
	refused 'chunk 2 asks for ncpus=3, but this host (provider local) has 2 cpus; ask for at most ncpus=2 per chunk' \
	    -l select=1:ncpus=1+1:ncpus=3 -- true
	refused 'chunk 1 asks for mem=4096tb, but this host (provider local) has' \
	    -l select=1:ncpus=1:mem=4096tb -- true
	refused '-l mem=4096tb: chunk 1 asks for mem=4096tb' -l mem=4096tb -- true
	run soca-submit -l mem=64mb -- true
	assert_success
}

@test "malformed selects are refused with the rule and the fix; nothing stored" {
	no_dispatch
	refused 'the chunk count "0" is not a whole number from 1 to 10000' -l select=0:ncpus=1 -- true
	refused 'an empty chunk' -l select=1:ncpus=1+ -- true
	refused 'ncpus=x is not a whole number from 1 to 100000' -l select=1:ncpus=x -- true
	refused 'mpiprocs=0 is not a whole number' -l select=1:mpiprocs=0 -- true
	refused 'mem=lots is not a size' -l select=1:mem=lots -- true
	refused 'chunk resource "ngpus" is not supported' -l select=1:ncpus=1:ngpus=1 -- true
	refused '"ncpus" is not resource=value' -l select=1:ncpus -- true
	refused 'chunks ask for different instance types' \
	    -l select=1:instance_type=c5.large+1:instance_type=c5.xlarge -- true
	refused '20000 chunks in all' -l select=10000:ncpus=1+10000:ncpus=1 -- true
	refused 'resource mem: bad value "4xb"' -l mem=4xb -- true
	refused 'a chunk with an empty resource' -l select=1::ncpus=1 -- true
	refused 'a chunk with an empty resource' -l select=1:ncpus=1: -- true
}

@test "a select beside a resource it sets is refused, whichever comes first" {
	no_dispatch
	refused 'resource ncpus=4 beside select=2:ncpus=1:mpiprocs=1: a select sets ncpus for each chunk' \
	    -l select=2:ncpus=1 -l ncpus=4 -- true
	refused 'resource select=2:ncpus=1 beside nodes=2' -l nodes=2 -l select=2:ncpus=1 -- true
	printf '#!/bin/sh\n#PBS -l select=2:ncpus=1\ntrue\n' >s.sh
	refused 'resource select=2:ncpus=1:mpiprocs=1 beside ncpus=1' -l ncpus=1 s.sh
	# the command line's select wins over the script's, whole
	run soca-submit -l select=1:ncpus=2:mpiprocs=2 s.sh
	assert_success
	run soca-stat -f 1
	assert_line 'res=select=1:ncpus=2:mpiprocs=2'
	assert_line 'res=nodes=1'
	assert_line 'res=ncpus=2'
}

@test "place: what one instance per chunk holds is taken" {
	no_dispatch
	for p in scatter scatter:excl free vscatter:shared excl exclhost pack; do
		run soca-submit -l select=1:ncpus=1 -l place=$p -- true
		assert_success
	done
	run soca-submit -l select=3:ncpus=1 -l place=scatter:excl -- true
	assert_success
	run soca-stat -f "$output"
	assert_line 'res=place=scatter:excl'
}

@test "place: what cannot hold is refused with the reason" {
	no_dispatch
	refused 'place=pack cannot hold: pack puts every chunk on one host, but soca launches one instance per chunk and the job has 2' \
	    -l select=2:ncpus=1 -l place=pack -- true
	refused 'group=switch cannot hold' -l select=2:ncpus=1 -l place=scatter:group=switch -- true
	refused '"spread" is not a placement' -l place=spread -- true
	refused 'place=:: an empty word' -l place=: -- true
	refused 'an empty word' -l place=scatter::excl -- true
	refused '"pack" is a second arrangement' -l place=scatter:pack -- true
	refused '"shared" is a second sharing' -l place=excl:shared -- true
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\n[queue "shared"]\nscaling_mode = multiple_jobs\n' >"$SOCA_CONF"
	refused 'queue "shared" shares instances between jobs' -q shared -l place=excl -- true
}

@test "soca-alter: a new select replaces the old one; one of its resources alone is refused" {
	no_dispatch
	soca-submit -l select=2:ncpus=1:mpiprocs=2 -- true
	run soca-alter -l select=3:ncpus=1 1
	assert_success
	run soca-stat -f 1
	assert_line 'res=select=3:ncpus=1:mpiprocs=1'
	assert_line 'res=nodes=3'
	assert_line 'res=mpiprocs=1'
	before=$(soca-stat -f 1)
	run soca-alter -l ncpus=2 1
	assert_failure 2
	assert_output --partial 'resource ncpus=2 beside select=3:ncpus=1:mpiprocs=1'
	[ "$(soca-stat -f 1)" = "$before" ]
}

@test "aws: a chunk larger than its instance type is refused naming both (DescribeInstanceTypes)" {
	awsim_start
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	printf '[cluster]\nname = t1\nprovider = aws\ndispatch = cron\n[aws]\nami = ami-0a1b2c3d4e5f60001\ndryrun = no\n[queue "normal"]\ninstance_type = c5.large\n' >"$SOCA_CONF"
	run soca-submit -l select=2:ncpus=2 -- true
	status2=$status out2=$output
	run soca-submit -l select=1:ncpus=1:mem=8gb -- true
	status3=$status out3=$output
	run soca-submit -l select=2:ncpus=1:mem=2gb -- true
	status4=$status out4=$output
	awsim_stop
	[ "$status2" -eq 2 ]
	[[ $out2 == *'chunk 1 asks for ncpus=2, but instance type c5.large has 1 cpus; ask for at most ncpus=1 per chunk or a larger -l instance_type'* ]]
	[ "$status3" -eq 2 ]
	[[ $out3 == *'chunk 1 asks for mem=8gb, but instance type c5.large has 4gb'* ]]
	[ "$status4" -eq 0 ]
	[ "$(spool_count queued)" -eq 1 ]
}
