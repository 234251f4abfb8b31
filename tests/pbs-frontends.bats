#!/usr/bin/env bats
# The PBS front-ends (issue 12): qsub, qstat, qdel, qhold, qrls, qalter,
# qselect over soca's commands, with PBS's options, output formats and
# exit statuses; every option each takes, and each it refuses.  They are
# built in every build tree (installed only with --enable-pbs-names), so
# this suite always runs.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
	ME=$(id -un)
}

# refused_fe EXPECTED-MESSAGE CMD ARGS...: exit 2, the message, no job
# stored and none changed
refused_fe() {
	local msg=$1 before
	shift
	before=$(soca-stat -x -f -J 2>/dev/null </dev/null)
	run "$@"
	assert_failure 2
	assert_output --partial "$msg"
	[ "$(soca-stat -x -f -J 2>/dev/null </dev/null)" = "$before" ]
}

# refused_st STATUS EXPECTED-MESSAGE CMD ARGS...: PBS's exit status, the
# message, nothing changed
refused_st() {
	local st=$1 msg=$2 before
	shift 2
	before=$(soca-stat -x -t -f -J 2>/dev/null </dev/null)
	run "$@"
	assert_failure "$st"
	assert_output "$msg"
	[ "$(soca-stat -x -t -f -J 2>/dev/null </dev/null)" = "$before" ]
}

@test "qsub prints ID.SERVER, reads #PBS lines and stdin, -z prints nothing" {
	no_dispatch
	run qsub -N one -- true
	assert_success
	assert_output 1.soca
	printf '#!/bin/sh\n#PBS -N fromscript\n#PBS -l walltime=00:01:00\ntrue\n' >job.sh
	run qsub job.sh
	assert_output 2.soca
	run soca-stat -n -o name 2
	assert_output fromscript
	run qsub <<<'true'
	assert_output 3.soca
	run qsub -z -- true
	assert_success
	assert_output ''
	[ "$(spool_count queued)" -eq 4 ]
	run qsub --version
	assert_output "pbs_version = soca-$(soca-config version 2>/dev/null || echo 0.1.0)"
}

@test "qsub: the server is the cluster's name" {
	no_dispatch
	printf '[cluster]\nname = hpc1\ndispatch = cron\n' >"$SOCA_CONF"
	run qsub -- true
	assert_output 1.hpc1
}

@test "qsub passes every option to soca-submit and its refusals come back as qsub's" {
	no_dispatch
	run qsub -a 2359 -A acct -e err.txt -h -j oe -k oe -l ncpus=1 -M me@example.com \
	    -m abe -N opts -o out.txt -p 5 -q high -r y -S /bin/sh -v A=1 -V \
	    -W depend=afterany:1 -- true
	assert_success
	assert_output 1.soca
	run soca-stat -f 1
	assert_line 'queue=high'
	assert_line 'priority=5'
	assert_line 'mail_users=me@example.com'
	refused_fe 'qsub: -I: interactive jobs are not supported' qsub -I -- true
	refused_fe 'qsub: -X (X11 forwarding): not supported' qsub -X -- true
	refused_fe 'qsub: -l select=0:ncpus=1: the chunk count' qsub -l select=0:ncpus=1 -- true
	refused_fe 'qsub: -p "2000"' qsub -p 2000 -- true
	[ "$(spool_count queued)" -eq 1 ]
}

@test "qsub -J goes to soca-submit as it is (job arrays)" {
	no_dispatch
	run soca-submit -J 1-3 -- true
	want=$status
	run qsub -J 1-3 -- true
	assert_equal "$status" "$want"
}

@test "qstat: the default table, PBS's columns, nothing when there are no jobs" {
	no_dispatch
	run qstat
	assert_success
	assert_output ''
	qsub -N first -- true
	qsub -N second -h -- true
	run qstat
	assert_success
	assert_line --index 0 'Job id            Name             User              Time Use S Queue'
	assert_line --index 1 '----------------  ---------------- ----------------  -------- - -----'
	assert_line --index 2 "$(printf '%-16s  %-16s %-16s  %8s %s %s' 1.soca first "$ME" 0 Q normal)"
	assert_line --index 3 "$(printf '%-16s  %-16s %-16s  %8s %s %s' 2.soca second "$ME" 0 H normal)"
	run qstat 2.soca
	assert_line --index 2 --partial 'second'
	run qstat normal@soca
	assert_equal "${#lines[@]}" 4
	run qstat high
	assert_output ''
}

@test "qstat -a, -n, -s, -w, -i, -r, -u: the alternative table" {
	no_dispatch
	qsub -N alt -l select=2:ncpus=1:mem=1gb -l walltime=01:30:00 -- true
	run qstat -a
	assert_success
	assert_line --index 0 'soca: '
	assert_line --index 1 "                                                            Req'd  Req'd   Elap"
	assert_line --index 2 "Job ID          Username Queue    Jobname    SessID NDS TSK Memory Time  S Time"
	assert_line --index 3 '--------------- -------- -------- ---------- ------ --- --- ------ ----- - -----'
	assert_line --index 4 "$(printf '%-15s %-8s %-8s %-10s %6s %3s %3s %6s %5s %s %5s' 1.soca "${ME:0:8}" normal alt -- 2 2 2gb 01:30 Q --)"
	run qstat -a -n -s
	assert_line --index 5 '   --'
	assert_line --index 6 '   --'
	run qstat -a -n -s -1
	assert_line --index 4 --regexp ' Q    -- -- --$'
	assert_equal "${#lines[@]}" 5
	run qstat -w
	assert_line --index 2 --partial '1.soca'
	run qstat -a -w
	assert_line --index 2 --regexp '^Job ID {25}Username {8}Queue'
	run qstat -i
	assert_line --index 4 --partial '1.soca'
	run qstat -r
	assert_output ''
	run qstat -u "$ME"
	assert_line --index 4 --partial '1.soca'
	run qstat -u nobody-here
	assert_output ''
}

@test "qstat -f: Job Id blocks of PBS attributes" {
	no_dispatch
	qsub -N full -l select=1:ncpus=2:mpiprocs=2 -l place=scatter -W depend=afterok:1 -p 3 -- true
	run qstat -f 1.soca
	assert_success
	assert_line --index 0 'Job Id: 1.soca'
	assert_line "    Job_Name = full"
	assert_line "    Job_Owner = $ME@$(hostname)"
	assert_line '    job_state = H'
	assert_line '    queue = normal'
	assert_line '    server = soca'
	assert_line '    Priority = 3'
	assert_line '    Resource_List.ncpus = 2'
	assert_line '    Resource_List.mpiprocs = 2'
	assert_line '    Resource_List.nodect = 1'
	assert_line '    Resource_List.place = scatter'
	assert_line '    Resource_List.select = 1:ncpus=2:mpiprocs=2'
	assert_line '    depend = afterok:1.soca'
	assert_line "    Output_Path = $(hostname):$PWD/full.o1"
	assert_line "    Error_Path = $(hostname):$PWD/full.e1"
	assert_line --regexp '^    ctime = [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$'
	# folded as PBS folds: at a comma, after a newline and a tab
	run qstat -f 1
	assert_line --regexp '^    Variable_List = PBS_O_[A-Z]+=[^,]*,'
	assert_line --regexp $'^\tPBS_O_'
	run qstat -f -w 1
	assert_line --regexp '^    Variable_List = .*PBS_O_HOST='
	refute_line --regexp $'^\t'
	# a value's own comma is escaped, as PBS writes it
	LIST=a,b qsub -V -- true
	run qstat -f -w 2
	assert_line --regexp '^    Variable_List = (.*,)?LIST=a\\,b(,|$)'
}

@test "qstat -F json: PBS's JSON shape" {
	no_dispatch
	qsub -N js -l ncpus=2 -- true
	run qstat -F json
	assert_success
	run jq -r '[.pbs_server, (.timestamp|type), (.pbs_version|type), (.Jobs|keys[0])] | @tsv' <<<"$output"
	assert_output "$(printf 'soca\tnumber\tstring\t1.soca')"
	run bash -c 'qstat -f -F json 1 | jq -r ".Jobs[\"1.soca\"] | [.Job_Name, .job_state, .Resource_List.ncpus, .Resource_List.nodect, (.Variable_List|type), .Priority] | @tsv"'
	assert_output "$(printf 'js\tQ\t2\t1\tobject\t0')"
}

@test "qstat -x and -H show finished jobs; without them a finished job is 35" {
	qsub -N done1 -- true
	wait_state 1 done 10
	run qstat
	assert_output ''
	run qstat 1.soca
	assert_failure 35
	assert_output 'qstat: 1.soca Job has finished, use -x or -H to obtain historical job information'
	run qstat -x 1
	assert_success
	assert_line --index 2 --regexp '^1\.soca +done1 .* F normal$'
	run qstat -H
	assert_line --index 4 --partial ' F '
	run qstat -x -f 1
	assert_line '    Exit_status = 0'
	assert_line '    job_state = F'
}

@test "qstat: an unknown job is 153, an unknown queue 154, refused options 2" {
	no_dispatch
	qsub -- true
	run qstat 99
	assert_failure 153
	assert_output 'qstat: Unknown Job Id 99'
	run qstat 1 99.soca
	assert_failure 153
	assert_line --regexp '^1\.soca '
	assert_line 'qstat: Unknown Job Id 99.soca'
	run qstat -Q nosuch
	assert_failure 154
	assert_output 'qstat: Unknown queue nosuch'
	run qstat nosuch@soca
	assert_failure 154
	assert_output 'qstat: Unknown queue destination nosuch@soca'
	run qstat ''
	assert_failure 154
	for o in -D, -E -G -M -p -q -T; do
		run qstat $o
		assert_failure 2
		assert_output --partial "qstat: ${o%,}: not a qstat option soca takes"
	done
	run qstat -F dsv
	assert_failure 2
	assert_output --partial 'write -F json'
	run qstat -f -a
	assert_failure 2
	run qstat -Q -a
	assert_failure 2
	run qstat -Z
	assert_failure 2
	run qstat --version
	assert_output --regexp '^pbs_version = soca-'
}

@test "qstat -t goes to soca-stat as it is (job arrays)" {
	no_dispatch
	run soca-stat -t
	want=$status
	run qstat -t
	assert_equal "$status" "$want"
}

@test "qstat -Q and -B: queues and the server" {
	no_dispatch
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nmax_running_jobs = 4\nwalltime = 2h\n[queue "off"]\nenabled = no\n' >"$SOCA_CONF"
	qsub -- true
	qsub -h -- true
	run qstat -Q
	assert_success
	assert_line --index 0 'Queue              Max   Tot Ena Str   Que   Run   Hld   Wat   Trn   Ext Type'
	assert_line --index 1 '---------------- ----- ----- --- --- ----- ----- ----- ----- ----- ----- ----'
	assert_line --index 2 "$(printf '%-16s %5d %5d %3s %3s %5d %5d %5d %5d %5d %5d %s' normal 4 2 yes yes 1 0 1 0 0 0 Exec)"
	assert_line --index 3 "$(printf '%-16s %5d %5d %3s %3s %5d %5d %5d %5d %5d %5d %s' off 0 0 no yes 0 0 0 0 0 0 Exec)"
	run qstat -Q -f normal
	assert_line --index 0 'Queue: normal'
	assert_line '    queue_type = Execution'
	assert_line '    total_jobs = 2'
	assert_line '    state_count = Transit:0 Queued:1 Held:1 Waiting:0 Running:0 Exiting:0 Begun:0 '
	assert_line '    max_run = 4'
	assert_line '    resources_default.walltime = 2h'
	assert_line '    enabled = True'
	run bash -c 'qstat -Q -F json | jq -r ".Queue.off.enabled"'
	assert_output False
	run qstat -B
	assert_line --index 0 'Server             Max   Tot   Que   Run   Hld   Wat   Trn   Ext Status'
	assert_line --index 2 "$(printf '%-16s %5d %5d %5d %5d %5d %5d %5d %5d %s' soca 0 2 1 0 1 0 0 0 Active)"
	run qstat -B -f
	assert_line --index 0 'Server: soca'
	assert_line '    server_state = Active'
	assert_line '    default_queue = normal'
	run bash -c 'qstat -B -F json | jq -r ".Server.soca.total_jobs"'
	assert_output 2
}

@test "qdel: deletes quietly; unknown 153, finished 35; -W force and suppress_email taken" {
	no_dispatch
	qsub -- true
	qsub -- true
	qsub -- true
	run qdel 1.soca
	assert_success
	assert_output ''
	run soca-stat -x -n -o state 1
	assert_output cancelled
	run qdel -W force 2
	assert_success
	run qdel -W suppress_email=1 3
	assert_success
	run qdel 3
	assert_failure 35
	assert_output 'qdel: Job has finished 3'
	run qdel 99.soca
	assert_failure 153
	assert_output 'qdel: Unknown Job Id 99.soca'
	qsub -- true
	refused_fe 'qdel: -W bogus: not taken' qdel -W bogus 4
	refused_fe 'qdel: -x (delete job history)' qdel -x 4
	refused_fe 'usage: qdel' qdel
	refused_fe 'usage: qdel' qdel -Z 4
	run qdel --version
	assert_output --regexp '^pbs_version = soca-'
}

@test "qhold and qrls: H and back; one hold kind; state and unknown jobs as PBS says" {
	no_dispatch
	qsub -- true
	run qhold 1.soca
	assert_success
	assert_output ''
	run soca-stat -n -o reason 1
	assert_output "held by $ME"
	run qhold -h u 1
	assert_success
	run qrls -h u 1.soca
	assert_success
	assert_output ''
	run soca-stat -n -o reason 1
	[ "$output" = - ]
	for h in o s p n; do
		refused_fe "qhold: -h $h: soca has one kind of hold" qhold -h $h 1
		refused_fe "qrls: -h $h: soca has one kind of hold" qrls -h $h 1
	done
	refused_fe 'usage: qhold' qhold
	refused_fe 'usage: qrls' qrls
	run qhold 42
	assert_failure 153
	assert_output 'qhold: Unknown Job Id 42'
	run qrls 42
	assert_failure 153
	qdel 1
	run qhold 1
	assert_failure 35
	run qhold --version
	assert_output --regexp '^pbs_version = soca-'
	run qrls --version
	assert_output --regexp '^pbs_version = soca-'
}

@test "qhold, qalter: a running job is 152 (Request invalid for state of job)" {
	qsub -- sleep 30
	wait_state 1 running 10
	run qhold 1
	assert_failure 152
	assert_output 'qhold: Request invalid for state of job 1'
	run qalter -N x 1
	assert_failure 152
	qdel 1
}

@test "qalter: -A -l -N -P -p -W change the job; other options are refused by name" {
	no_dispatch
	qsub -- true
	qsub -- true
	run qalter -l walltime=02:00:00 -N renamed -p 7 -W depend=afterany:1 2.soca
	assert_success
	assert_output ''
	run soca-stat -f 2
	assert_line 'name=renamed'
	assert_line 'priority=7'
	assert_line 'res=walltime=02:00:00'
	assert_line 'afterany=1'
	run qalter -A acct 2
	assert_success
	run soca-stat -n -o project 2
	assert_output acct
	run qalter -A acct2 -P proj 2
	run soca-stat -n -o project 2
	assert_output proj
	for o in -a -c -e -h -j -k -m -M -o -r -R -S -u; do
		refused_fe "qalter: $o: soca-alter does not change that" qalter $o x 2
	done
	refused_fe 'qalter: resource ncpus: bad value "0"' qalter -l ncpus=0 2
	refused_fe 'usage: qalter' qalter 2
	refused_fe 'usage: qalter' qalter -N y
	run qalter -N y 99
	assert_failure 153
	assert_output 'qalter: Unknown Job Id 99'
	run qalter --version
	assert_output --regexp '^pbs_version = soca-'
}

@test "qselect: ids of the jobs matching -u -q -s -N -P -A -x" {
	no_dispatch
	qsub -N a -P p1 -- true
	qsub -N b -q high -h -- true
	qsub -N a -- true
	qdel 3
	run qselect
	assert_output "$(printf '1.soca\n2.soca')"
	run qselect -x
	assert_output "$(printf '1.soca\n2.soca\n3.soca')"
	run qselect -N a
	assert_output 1.soca
	run qselect -x -N a -s F
	assert_output 3.soca
	run qselect -q high
	assert_output 2.soca
	run qselect -s H
	assert_output 2.soca
	run qselect -s Q -u "$ME@somewhere"
	assert_output 1.soca
	run qselect -u nobody-here
	assert_success
	assert_output ''
	run qselect -P p1
	assert_output 1.soca
	run qselect -A p1
	assert_output 1.soca
	for o in -a -c -h -l -p -r; do
		refused_fe "qselect: $o: not a criterion" qselect $o x
	done
	refused_fe 'qselect: -t s.gt.1200: soca'"'"'s qselect does not select by time' qselect -t s.gt.1200
	for o in -H; do
		refused_fe "qselect: $o: not a criterion" qselect $o
	done
	refused_fe 'qselect: -s QZ: not job states' qselect -s QZ
	refused_fe 'usage: qselect' qselect 1
	run qselect --version
	assert_output --regexp '^pbs_version = soca-'
}

@test "every soca command takes ID.SERVER" {
	no_dispatch
	qsub -- true
	run soca-stat -n -o id 1.soca
	assert_output 1
	run soca-hold 1.soca
	assert_output 1
	run soca-release 1.soca
	assert_output 1
	run soca-alter -N n2 1.soca
	assert_output 1
	run soca-submit -W depend=afterok:1.soca -- true
	assert_output 2
	run soca-del 1.soca 2.soca
	assert_success
	run soca-stat -x -n -o state 1 2
	assert_output "$(printf 'cancelled\ncancelled')"
}

# Job arrays through the front-ends (arrays.bats covers soca's own side)

# row ID NAME TIMEUSE STATE: a line of qstat's default table
row() {
	printf '%-16s  %-16s %-16s  %8s %s %s' "$1" "$2" "$ME" "$3" "$4" normal
}

@test "qsub -J prints ID[].SERVER; qstat: the array Q, -t its subjobs, -J arrays alone, -J -t subjobs alone" {
	no_dispatch
	run qsub -J 1-3 -N sweep -- true
	assert_success
	assert_output '1[].soca'
	run qsub -N plain -- true
	assert_output 5.soca
	run qstat
	assert_success
	assert_line --index 2 "$(row '1[].soca' sweep 0 Q)"
	assert_line --index 3 "$(row 5.soca plain 0 Q)"
	assert_equal "${#lines[@]}" 4
	run qstat -t
	assert_line --index 2 "$(row '1[].soca' sweep 0 Q)"
	assert_line --index 3 "$(row '1[1].soca' sweep 0 Q)"
	assert_line --index 5 "$(row '1[3].soca' sweep 0 Q)"
	assert_line --index 6 "$(row 5.soca plain 0 Q)"
	run qstat -J
	assert_line --index 2 "$(row '1[].soca' sweep 0 Q)"
	assert_equal "${#lines[@]}" 3
	run qstat -J -t
	assert_line --index 2 "$(row '1[1].soca' sweep 0 Q)"
	assert_line --index 4 "$(row '1[3].soca' sweep 0 Q)"
	assert_equal "${#lines[@]}" 5
	run qselect
	assert_output "$(printf '1[].soca\n5.soca')"
	run qselect -J
	assert_output '1[].soca'
	run qselect -T
	assert_output "$(printf '1[1].soca\n1[2].soca\n1[3].soca\n5.soca')"
	run qselect -J -T
	assert_output "$(printf '1[1].soca\n1[2].soca\n1[3].soca')"
	run qstat -Q -J
	assert_failure 2
	assert_output --partial '-J, -n'
}

@test "qstat takes ID[], ID[INDEX] and their .SERVER forms; what it does not know is 153" {
	no_dispatch
	qsub -J 1-5:2 -N sw -- true
	qsub -N plain -- true
	for id in '1[]' '1[].soca'; do
		run qstat "$id"
		assert_success
		assert_line --index 2 "$(row '1[].soca' sw 0 Q)"
		assert_equal "${#lines[@]}" 3
	done
	for id in '1[3]' '1[3].soca'; do
		run qstat "$id"
		assert_success
		assert_line --index 2 "$(row '1[3].soca' sw 0 Q)"
	done
	run qstat -t '1[].soca'
	assert_line --index 3 "$(row '1[1].soca' sw 0 Q)"
	assert_line --index 5 "$(row '1[5].soca' sw 0 Q)"
	assert_equal "${#lines[@]}" 6
	run qstat -J -t '1[]'
	assert_line --index 2 "$(row '1[1].soca' sw 0 Q)"
	assert_equal "${#lines[@]}" 5
	for id in '1[2]' '1[7].soca' '5[]' '5[1]' '9[]' '9[1].soca'; do
		run qstat "$id"
		assert_failure 153
		assert_output "qstat: Unknown Job Id $id"
	done
	run qstat '1[3]' '1[4]'
	assert_failure 153
	assert_line "$(row '1[3].soca' sw 0 Q)"
	assert_line 'qstat: Unknown Job Id 1[4]'
}

@test "qstat -f and -F json: an array's and a subjob's PBS attributes" {
	no_dispatch
	qsub -J 1-9:2%2 -N sweep -- true
	qdel '1[3]'
	run qstat -f '1[].soca'
	assert_success
	assert_line --index 0 'Job Id: 1[].soca'
	assert_line '    job_state = Q'
	assert_line --regexp '^    Output_Path = .*/sweep\.o1\.\^array_index\^$'
	assert_line '    array = True'
	assert_line '    array_indices_submitted = 1-9:2'
	assert_line '    array_indices_remaining = 1,5-9:2'
	assert_line '    array_state_count = Queued:4 Running:0 Exiting:0 Expired:1 '
	assert_line '    max_run_subjobs = 2'
	refute_line --partial 'array_id'
	run qstat -f '1[5]'
	assert_success
	assert_line --index 0 'Job Id: 1[5].soca'
	assert_line '    array_id = 1[].soca'
	assert_line '    array_index = 5'
	assert_line --regexp '^    Output_Path = .*/sweep\.o1\.5$'
	refute_line '    array = True'
	run qstat -f -t '1[]'
	assert_line 'Job Id: 1[].soca'
	assert_line 'Job Id: 1[1].soca'
	assert_line 'Job Id: 1[9].soca'
	assert_line 'Job Id: 1[3].soca'	# deleted: X, as PBS shows it
	assert_line '    job_state = X'
	run bash -c "qstat -f -F json '1[]' '1[5]' | jq -c '.Jobs[\"1[].soca\"] | [.array, .array_indices_submitted, .array_indices_remaining, .array_state_count, .max_run_subjobs]'"
	assert_output '["True","1-9:2","1,5-9:2","Queued:4 Running:0 Exiting:0 Expired:1 ",2]'
	run bash -c "qstat -f -F json '1[5]' | jq -c '.Jobs[\"1[5].soca\"] | [.array_id, .array_index, .job_state]'"
	assert_output '["1[].soca",5,"Q"]'
}

@test "qdel takes an array and a subjob; qhold, qrls, qalter an array but a subjob is 156" {
	no_dispatch
	qsub -J 1-3 -N sw -- true
	qsub -J 1-2 -N two -- true
	run qdel '1[2].soca'
	assert_success
	assert_output ''
	run soca-stat -n -o state '1[2]'
	assert_output cancelled
	run qdel '1[2]'
	assert_failure 35
	assert_output 'qdel: Job has finished 1[2]'
	run qdel '1[7]'
	assert_failure 153
	assert_output 'qdel: Unknown Job Id 1[7]'
	for cmd in qhold qrls; do
		refused_st 156 "$cmd: Invalid request 1[1]" "$cmd" '1[1]'
	done
	refused_st 156 'qalter: Invalid request 1[1].soca' qalter -N x '1[1].soca'
	run qhold '1[].soca'
	assert_success
	run qstat -J
	assert_line --index 2 "$(row '1[].soca' sw 0 H)"
	run qstat -t '1[3]'
	assert_line --index 2 --regexp '^1\[3\]\.soca .* H normal$'
	run qrls '1[]'
	assert_success
	run qstat '1[]'
	assert_line --index 2 "$(row '1[].soca' sw 0 Q)"
	run qalter -N renamed '1[]'
	assert_success
	run qstat '1[]' '1[3]'
	assert_line --index 2 "$(row '1[].soca' renamed 0 Q)"
	assert_line --index 3 "$(row '1[3].soca' renamed 0 Q)"
	# one bad operand among good ones: the good ones done, PBS's status
	run qhold '1[]' '1[3]'
	assert_failure 156
	assert_output 'qhold: Invalid request 1[3]'
	run soca-stat -n -o state,reason '1[]'
	assert_output --partial 'held by'
	run qdel '5[]'
	assert_success
	run soca-stat -x -n -o state '5[1]'
	assert_output cancelled
	run qdel '5[]'
	assert_failure 35
}

@test "ranges of subjobs (42[1-3]): qdel and qstat refuse them, 2; qhold, qrls, qalter 156, as a subjob" {
	no_dispatch
	qsub -J 1-3 -N sw -- true
	qsub -N plain -- true
	refused_fe 'qdel: 1[1-2].soca: a range of subjobs is not taken (name each subjob, 1[1] ..., or the whole array, 1[])' qdel 5 '1[1-2].soca'
	refused_fe 'qstat: 1[1-3]: a range of subjobs is not taken' qstat '1[1-3]'
	for cmd in qhold qrls; do
		refused_st 156 "$cmd: Invalid request 1[2-3]" "$cmd" '1[2-3]'
	done
	refused_st 156 'qalter: Invalid request 1[1-3]' qalter -N x '1[1-3]'
	# the other operands are still done, as PBS does
	run qhold 5 '1[1-2]'
	assert_failure 156
	run qstat 5
	assert_line --index 2 "$(row 5.soca plain 0 H)"
}

@test "an array runs: B while begun, F once ended, subjobs R then X; resources_used in -f, -F json and Time Use" {
	# subjob 1 waits for the file go (at most 20 s); %1: one at a time
	run qsub -J 1-2%1 -N wait -- sh -c 'n=0; while [ ! -e go ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n+1)); done'
	assert_output '1[].soca'
	wait_state '1[1]' running 10
	run qstat
	assert_line --index 2 "$(row '1[].soca' wait 0 B)"
	run qstat -t
	assert_line --index 3 --regexp '^1\[1\]\.soca .* R normal$'
	assert_line --index 4 "$(row '1[2].soca' wait 0 Q)"
	run qstat -f '1[]'
	assert_line '    job_state = B'
	assert_line '    array_indices_remaining = 2'
	assert_line '    array_state_count = Queued:1 Running:1 Exiting:0 Expired:0 '
	run qselect -s B
	assert_output '1[].soca'
	run qstat -Q -f normal
	assert_line '    state_count = Transit:0 Queued:0 Held:0 Waiting:0 Running:0 Exiting:0 Begun:1 '
	touch go
	wait_state '1[]' done 20
	run qstat '1[]'
	assert_failure 35
	run qstat -x -t
	assert_line --index 2 "$(row '1[].soca' wait 0 F)"
	assert_line --index 3 --regexp '^1\[1\]\.soca +wait +[^ ]+ +[0-9]{2}:[0-9]{2}:[0-9]{2} X normal$'
	assert_line --index 4 --regexp '^1\[2\]\.soca +wait +[^ ]+ +[0-9]{2}:[0-9]{2}:[0-9]{2} X normal$'
	run qstat -x -f '1[2]'
	assert_line '    job_state = X'
	assert_line --regexp '^    resources_used\.cput = [0-9]{2}:[0-9]{2}:[0-9]{2}$'
	assert_line --regexp '^    resources_used\.mem = [1-9][0-9]*kb$'
	assert_line '    resources_used.ncpus = 1'
	assert_line --regexp '^    resources_used\.walltime = [0-9]{2}:[0-9]{2}:[0-9]{2}$'
	run qstat -x -f '1[]'
	assert_line '    array_indices_remaining = -'
	assert_line '    array_state_count = Queued:0 Running:0 Exiting:0 Expired:2 '
	run bash -c "qstat -x -f -F json '1[1]' | jq -c '.Jobs[\"1[1].soca\"].resources_used | keys'"
	assert_output '["cput","mem","ncpus","walltime"]'
	[ -e wait.o1.1 ] && [ -e wait.o1.2 ]
}

@test "qstat's Time Use is the CPU time the job used, HH:MM:SS (0 before it ran: above)" {
	# busy until it has used 1.2 s of CPU by its own count (utime + stime
	# in /proc, 100 ticks a second), however loaded the machine is
	qsub -N spin -- bash -c 'while read -r -a s </proc/$$/stat; [ $((s[13] + s[14])) -lt 120 ]; do :; done'
	wait_state 1 done 60
	run qstat -x
	assert_line --index 2 --regexp '^1\.soca +spin +[^ ]+ +00:00:0[1-9] F normal$'
	run qstat -x -f 1
	assert_line --regexp '^    resources_used\.cput = 00:00:0[1-9]$'
	# at least the second of CPU it used
	assert_line --regexp '^    resources_used\.walltime = 00:0[0-9]:[0-9]{2}$'
	refute_line '    resources_used.walltime = 00:00:00'
}
