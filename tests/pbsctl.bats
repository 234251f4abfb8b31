#!/usr/bin/env bats
# PBS users feel at home (issue 12): job control as qhold, qrls and
# qalter do it (soca-hold, soca-release, soca-alter), and qsub's options
# with PBS Professional's meaning, each also as a #PBS line; every other
# qsub option refused by name.  On the embedded default (dispatch =
# immediate) the tests type no soca-node-up: they wait on the outcome.
# Another user's jobs: tests/multiuser.bats.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
}

# record ID: the job's record as soca-stat -f prints it
record() {
	soca-stat -f "$1"
}

@test "soca-hold: a held job is never dispatched; soca-release starts it" {
	soca-submit -- sleep 60 >/dev/null
	soca-submit -W depend=afterany:1 -- echo two >/dev/null
	run soca-hold 2
	assert_success
	assert_output 2
	run soca-stat -n -o state,reason 2
	assert_output --regexp "^queued +held by $(id -un)$"
	soca-del 1
	wait_state 1 cancelled 5
	# the parent ended: the dependency is met, the hold still keeps it
	sleep 1
	run soca-stat -n -o state,reason 2
	assert_output --regexp "^queued +held by $(id -un)$"
	run soca-release 2
	assert_success
	assert_output 2
	wait_state 2 done 10
	run cat echo.o2
	assert_output two
}

@test "soca-submit -h submits held, also as #PBS -h; ID.SERVER ids and stdin work" {
	run soca-submit -h -- echo one
	assert_output 1
	printf '#!/bin/sh\n#PBS -h\necho two\n' >two.sh
	soca-submit two.sh
	run soca-stat -n -o id,state,reason
	assert_line --index 0 --regexp "^1 +queued +held by $(id -un)$"
	assert_line --index 1 --regexp "^2 +queued +held by $(id -un)$"
	run soca-release 1.head.example.com
	assert_output 1
	run bash -c 'soca-stat -J 2 | soca-release -J'
	assert_success
	assert_output '{"id":2,"state":"queued","held":false}'
	wait_state 1 done 10
	wait_state 2 done 10
}

@test "soca-hold -J, twice holds once; release of a job not held exits 1" {
	soca-submit -h -- true >/dev/null
	run soca-hold -J 1
	assert_success
	assert_output '{"id":1,"state":"queued","held":true}'
	run soca-release 1
	assert_output 1
	wait_state 1 done 10
	run soca-release 1
	assert_failure 1
	assert_output --partial 'job 1: is done; only a queued or held job can be changed (release)'
	run soca-hold 1
	assert_failure 1
	assert_output --partial 'job 1: is done'
}

@test "job control: bad ids exit 2, missing ones 1, usage 2, an empty pipe 0" {
	no_dispatch
	soca-submit -- true >/dev/null
	for c in soca-hold soca-release soca-alter; do
		args=()
		[ $c = soca-alter ] && args=(-p 1)
		run $c "${args[@]}" x1
		assert_failure 2
		assert_output --partial 'x1: not a job id'
		run $c "${args[@]}" 7
		assert_failure 1
		assert_output --partial 'job 7: no such job'
		run $c -Z
		assert_failure 2
		assert_output --partial "usage: $c"
		run $c --help
		assert_success
		assert_output --partial "usage: $c"
		run bash -c "$c ${args[*]} </dev/null"
		assert_success
	done
	run soca-alter 1
	assert_failure 2
	assert_output --partial 'nothing to change'
}

@test "soca-alter changes a held job's resources, name, queue, project, priority" {
	soca-submit -h -q low -N before -l ncpus=1 -- true >/dev/null
	run soca-alter -l ncpus=2,walltime=00:10:00 -N after -q high -P cfd -p 7 1
	assert_success
	assert_output 1
	run soca-stat -n -o name,queue,project,ncpus,state 1
	assert_output --regexp '^after +high +cfd +2 +queued$'
	run record 1
	assert_line 'res=walltime=00:10:00'
	assert_line 'priority=7'
	assert_line "hold=$(id -un)"
	run soca-alter -J -p -3 1
	assert_output '{"id":1,"state":"queued","held":true}'
}

@test "soca-alter refuses as soca-submit does and changes nothing" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\nrestricted_parameters = root_size\n[queue "gpu"]\nallowed_instance_types = g5\n' >conf
	export SOCA_CONF=$PWD/conf
	soca-submit -l instance_type=c5.large -- true >/dev/null
	before=$(record 1)
	alter_refused() {
		local msg=$1
		shift
		run soca-alter "$@" 1
		assert_failure 2
		assert_output --partial "$msg"
		[ "$(record 1)" = "$before" ]
	}
	alter_refused 'resource nodes: bad value "0"' -l nodes=0
	alter_refused 'unknown resource "colour"' -l colour=red
	alter_refused 'unknown queue "nope"' -q nope
	alter_refused 'instance type c5.large is not allowed in queue "gpu"' -q gpu
	alter_refused 'resource root_size is restricted' -l root_size=40
	alter_refused 'job name "a/b" is not allowed' -N a/b
	alter_refused '-p "2000": the priority is a whole number from -1024 to 1023' -p 2000
	alter_refused 'job 1 cannot wait for itself' -W depend=afterok:1
	alter_refused 'dependency "beforeok"' -W depend=beforeok:2
	alter_refused 'not a job id' -W depend=afterok:x
}

@test "soca-alter: a running job is not changed; -q drops the old queue's defaults" {
	printf '[cluster]\ndispatch = cron\n[queue "normal"]\n[queue "low"]\nroot_size = 30\n[queue "high"]\nroot_size = 50\n' >conf
	export SOCA_CONF=$PWD/conf
	soca-submit -q low -- true >/dev/null
	soca-submit -q low -l root_size=35 -- true >/dev/null
	soca-alter -q high 1 2
	run soca-stat -f 1
	assert_line 'res=root_size=50'
	run soca-stat -f 2
	assert_line 'res=root_size=35'
	soca-node-up
	wait_state 1 done 10
	run soca-alter -p 1 1
	assert_failure 1
	assert_output --partial 'job 1: is done; only a queued or held job can be changed (alter)'
}

@test "soca-alter -W depend replaces the dependencies; the dispatcher follows" {
	soca-submit -- sleep 60 >/dev/null
	soca-submit -W depend=afterok:1 -- echo freed >/dev/null
	wait_state 1 running 10
	run soca-stat -n -o state,reason 2
	assert_output --regexp '^queued +dependency: job 1 is running$'
	soca-submit -- true >/dev/null
	wait_state 3 done 10
	run soca-alter -W depend=afterok:3.head 2
	assert_success
	wait_state 2 done 10
	soca-del 1
}

@test "-W depend: afternotok, afterany and after, and the ones never met" {
	soca-submit -- sh -c 'sleep 1; exit 3' >/dev/null                      # 1
	soca-submit -W depend=afternotok:1 -- echo notok >/dev/null             # 2
	soca-submit -W depend=afterany:1 -- echo any >/dev/null                 # 3
	soca-submit -W depend=afterok:1 -- echo never >/dev/null                # 4
	soca-submit -- true >/dev/null                                          # 5
	wait_state 5 done 10
	soca-submit -W depend=afternotok:5 -- echo never >/dev/null             # 6
	soca-submit -W depend=after:1 -- echo started >/dev/null                # 7
	wait_state 1 failed 10
	wait_state 2 done 10
	wait_state 3 done 10
	wait_state 4 failed 5
	wait_state 6 failed 5
	wait_state 7 done 10
	run soca-stat -x -n -o reason 4 6
	assert_line --index 0 'dependency: job 1 is failed'
	assert_line --index 1 'dependency: job 5 is done (afternotok can never be met)'
	soca-submit -h -- true >/dev/null                                       # 8
	soca-submit -W depend=after:8 -- true >/dev/null                        # 9
	soca-del 8
	wait_state 9 failed 5
	run soca-stat -x -n -o reason 9
	assert_output 'dependency: job 8 is cancelled (after can never be met)'
	soca-submit -W depend=afterok:1,afterany:99 -- true >/dev/null          # 10
	wait_state 10 failed 5
}

@test "-W depend=after: the child starts once the parent runs" {
	soca-submit -- sleep 60 >/dev/null
	soca-submit -W depend=after:1 -- echo started >/dev/null
	wait_state 2 done 10
	run soca-stat -n -o state 1
	assert_output running
	soca-del 1
}

@test "-a: not before the time; the reason says when; then it runs" {
	when=$(date -d '+3 sec' +%Y%m%d%H%M.%S)
	soca-submit -a "$when" -- echo late >/dev/null
	run soca-stat -n -o state,reason 1
	assert_output --regexp '^queued +not before [0-9-]+ [0-9:]+ .* \(-a\)$'
	run record 1
	assert_line "eligible=$(date -d "${when:0:8} ${when:8:2}:${when:10:2}:${when:13:2}" +%s)"
	wait_state 1 done 15
	[ "$(soca-stat -x -n -o start 1)" -ge "$(date -d "${when:0:8} ${when:8:2}:${when:10:2}:${when:13:2}" +%s)" ]
}

@test "-a forms: hhmm is the next such time, a past full date is now, bad ones refused" {
	no_dispatch
	hm=$(date -d '-2 min' +%H%M)
	soca-submit -a "$hm" -- true >/dev/null
	e=$(record 1 | sed -n 's/^eligible=//p')
	now=$(date +%s)
	[ "$e" -gt "$now" ] && [ "$e" -le $((now + 86400)) ]
	soca-submit -a 200001010000 -- true >/dev/null
	run soca-stat -n -o reason 2
	assert_output -- '-'
	# MMDDhhmm: the next year that has the day
	soca-submit -a 02291200 -- true >/dev/null
	e=$(record 3 | sed -n 's/^eligible=//p')
	[ "$(date -d "@$e" +%m%d%H%M)" = 02291200 ]
	printf '#PBS -a 2359.30\ntrue\n' >a.sh
	soca-submit a.sh >/dev/null
	run record 4
	assert_line --regexp '^eligible=[0-9]+$'
	rm -rf "$(spool_dir)"
	refused '-a "25:00": not a date and time' -a 25:00 -- true
	refused '-a "2460"' -a 2460 -- true
	refused '-a "202602301200"' -a 202602301200 -- true
	refused '-a "202702291200"' -a 202702291200 -- true
	refused '-a "1200.5"' -a 1200.5 -- true
	printf '#PBS -a tomorrow\ntrue\n' >bad.sh
	refused '-a "tomorrow"' bad.sh
}

@test "-p orders queued jobs within a queue: higher first, then id" {
	no_dispatch
	soca-submit -- sh -c 'echo 1 >>order' >/dev/null
	soca-submit -p 10 -- sh -c 'echo 2 >>order' >/dev/null
	printf '#PBS -p 5\necho 3 >>order\n' | soca-submit >/dev/null
	soca-submit -p 10 -- sh -c 'echo 4 >>order' >/dev/null
	soca-submit -p -1024 -- sh -c 'echo 5 >>order' >/dev/null
	printf '[cluster]\nslots = 1\n' >"$SOCA_CONF"
	soca-node-up
	wait_state 5 done 20
	run cat order
	assert_output "$(printf '2\n4\n3\n1\n5')"
	rm -rf "$(spool_dir)"
	refused '-p "1024"' -p 1024 -- true
	refused '-p "x"' -p x -- true
}

@test "-V takes the whole environment; -v still wins for its names" {
	export MY_T_ONE=one MY_T_TWO=two
	soca-submit -V -v MY_T_TWO=mine -- sh -c 'echo "$MY_T_ONE $MY_T_TWO"' >/dev/null
	soca-submit -- sh -c 'echo "[$MY_T_ONE]"' >/dev/null
	wait_state 1 done 10
	wait_state 2 done 10
	run cat sh.o1
	assert_output 'one mine'
	run cat sh.o2
	assert_output '[]'
}

@test "-S names the interpreter, over #!; only an absolute path" {
	command -v python3 >/dev/null || skip "python3 is missing"
	printf '#!/bin/sh\nprint("from python")\n' >p.sh
	soca-submit -S "$(command -v python3)" p.sh >/dev/null
	printf '#!/bin/sh\n#PBS -S /bin/bash\necho "${BASH_VERSION:+bash}"\n' >b.sh
	soca-submit b.sh >/dev/null
	wait_state 1 done 10
	wait_state 2 done 10
	run cat p.sh.o1
	assert_output 'from python'
	run cat b.sh.o2
	assert_output bash
	rm -rf "$(spool_dir)"
	refused '-S "bash": the interpreter is one absolute path' -S bash -- true
	refused '-S "/bin/sh@host"' -S /bin/sh@host -- true
}

@test "-A is the project when there is no -P" {
	no_dispatch
	soca-submit -A acct -- true >/dev/null
	soca-submit -A acct -P proj -- true >/dev/null
	printf '#PBS -A fromscript\ntrue\n' | soca-submit >/dev/null
	run soca-stat -n -o project
	assert_output "$(printf 'acct\nproj\nfromscript')"
}

@test "-m, -M, -k, -r: recorded and shown by soca-stat -f; bad values refused" {
	no_dispatch
	soca-submit -m abe -M alice@example.com,bob -k oe -r y -- true >/dev/null
	printf '#PBS -m n\n#PBS -k n\n#PBS -r n\ntrue\n' | soca-submit >/dev/null
	run record 1
	assert_line 'mail_points=abe'
	assert_line 'mail_users=alice@example.com,bob'
	assert_line 'keep=oe'
	assert_line 'rerun=1'
	run record 2
	assert_line 'mail_points=n'
	assert_line 'keep=n'
	refute_line 'rerun=1'
	rm -rf "$(spool_dir)"
	refused '-m "x"' -m x -- true
	refused '-m "aa"' -m aa -- true
	refused '-M "a@b,c d": "c d" is not a mail address' -M 'a@b,c d' -- true
	refused 'is not a mail address' -M "$(printf 'a@b\r\nBcc: evil@x')" -- true
	refused 'is not a mail address' -M 'a@b@c' -- true
	refused '"-oQ/tmp" is not a mail address' -M '-oQ/tmp' -- true
	refused '"a@-x" is not a mail address' -M 'a@-x' -- true
	refused '-M "a,,b": an empty item' -M 'a,,b' -- true
	refused '-k "x"' -k x -- true
	refused '-r "maybe": write -r y or -r n' -r maybe -- true
	refused '-j "eo"' -j eo -- true
	printf '#PBS -M bad<addr>\ntrue\n' >m.sh
	refused '"bad<addr>" is not a mail address' m.sh
}

@test "every other qsub option is refused by name, on the command line and in #PBS" {
	no_dispatch
	refused '-I: interactive jobs are not supported; put the commands in a script' -I -- true
	refused '-c (checkpointing): not supported' -c n -- true
	refused '-C (another directive prefix)' -C '#X' -- true
	refused '-f (qsub in the foreground)' -f -- true
	refused '-G (GUI interactive jobs)' -G -- true
	refused '-R (removing output files)' -R oe -- true
	refused '-u (running as another user)' -u bob -- true
	refused '-X (X11 forwarding)' -X -- true
	refused '-z (not printing the job id)' -z -- true
	refused '-W "group_list=x": only -W depend=... is supported' -W group_list=x -- true
	for o in '-I' '-c n' '-X' '-z' '-W sandbox=private' '-Y y' '-N'; do
		printf '#!/bin/sh\n#PBS %s\ntrue\n' "$o" >d.sh
		refused "#PBS ${o:0:2}" d.sh
	done
}

@test "-W depend: ID.SERVER ids, several kinds, and the refusals" {
	no_dispatch
	soca-submit -- true >/dev/null
	soca-submit -- true >/dev/null
	soca-submit -W depend=afterok:1.head:2.head.example.com,afterany:2 -- true >/dev/null
	run record 3
	assert_line 'afterok=1'
	assert_line 'afterok=2'
	assert_line 'afterany=2'
	rm -rf "$(spool_dir)"
	refused 'dependency "beforeok" in "depend=beforeok:1" is not supported' -W depend=beforeok:1
	refused '"x" is not a job id' -W depend=afterany:x -- true
	refused '"1." is not a job id' -W depend=after:1. -- true
	refused 'names no job' -W depend=afternotok -- true
	refused 'an empty item' -W depend=afterok:1,, -- true
}

@test "ID.SERVER ids work in every command that takes ids" {
	no_dispatch
	soca-submit -- echo ran >/dev/null
	soca-submit -- true >/dev/null
	run soca-stat -n -o id,state 1.head.example.com
	assert_output --regexp '^1 +queued$'
	run soca-node-run 1.head
	assert_success
	run cat echo.o1
	assert_output ran
	run soca-del 2.head
	assert_output 2
	run soca-node-run 3.
	assert_failure 2
	assert_output --partial '3.: not a job id'
}

@test "a held job whose dependency can never be met fails at once all the same" {
	soca-submit -- sh -c 'exit 1' >/dev/null
	soca-submit -h -W depend=afterok:1 -- true >/dev/null
	wait_state 1 failed 10
	wait_state 2 failed 5
	run soca-stat -x -n -o reason 2
	assert_output 'dependency: job 1 is failed'
}
