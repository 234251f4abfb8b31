#!/usr/bin/env bats
# The Slurm bridge against the real thing (issue 13): Debian 12's
# slurmctld (22.05) and its cloud nodes' slurmd on this host, awsim in
# boot mode.  slurmctld runs soca-node-up as its ResumeProgram and
# soca-node-down as its SuspendProgram (through a wrapper that only names
# the test's soca.conf and AWS endpoint, as /etc/soca/soca.conf and the
# instance role would); each launched "instance" runs its user data,
# whose soca-node-run --slurmd starts slurmd -N NAME.

load lib/helper
load lib/awsim
load lib/slurm

setup_file() {
	if why=$(slurm_skip_reason); then
		export SLURM_SKIP=$why
		return 0
	fi
	export RESUME_LOG=$BATS_FILE_TMPDIR/resume
	mkdir -p "$RESUME_LOG"
	export SOCA_CONF=$BATS_FILE_TMPDIR/soca.conf
	# slurmctld's programs get a bare environment: the wrappers name what
	# soca needs, and keep what slurmctld handed over for the tests
	cat >"$BATS_FILE_TMPDIR/resume.sh" <<-EOF2
	#!/bin/sh
	n=\$(ls "$RESUME_LOG" | grep -c json)
	printf '%s\n' "\$1" >"$RESUME_LOG/\$n.arg"
	cat "\$SLURM_RESUME_FILE" >"$RESUME_LOG/\$n.json" 2>/dev/null
	. "$BATS_FILE_TMPDIR/env.sh"
	if [ -e "$BATS_FILE_TMPDIR/crash" ]; then
		SOCA_CRASH_AT=\$(cat "$BATS_FILE_TMPDIR/crash")
		export SOCA_CRASH_AT
		rm -f "$BATS_FILE_TMPDIR/crash"
	fi
	exec soca-node-up "\$@"
	EOF2
	cat >"$BATS_FILE_TMPDIR/suspend.sh" <<-EOF2
	#!/bin/sh
	printf '%s\n' "\$1" >>"$RESUME_LOG/suspended"
	. "$BATS_FILE_TMPDIR/env.sh"
	exec soca-node-down "\$@"
	EOF2
	chmod 0755 "$BATS_FILE_TMPDIR/resume.sh" "$BATS_FILE_TMPDIR/suspend.sh"
	SLURM_MORE_NODES='hpc-m5large-[1-2]=m5.large' SLURM_LICENSES=matlab:10 \
		slurm_start 'hpc-c5large-[1-4]' "$BATS_FILE_TMPDIR/resume.sh" \
		"$BATS_FILE_TMPDIR/suspend.sh"
	# an instance takes a while to boot: slurmctld takes a node's
	# registration only from a slurmd started after it asked for the node
	awsim_start --boot-mode --boot-delay 2
	{
		printf 'export SOCA_CONF=%q PATH=%q SLURM_CONF=%q\n' \
			"$SOCA_CONF" "$PATH" "$SLURM_CONF"
		env | grep -E '^(AWS_|NO_PROXY=|no_proxy=|ASAN_OPTIONS=|UBSAN_OPTIONS=)' |
			sed -e 's/^\([^=]*\)=\(.*\)$/export \1='"'"'\2'"'"'/'
	} >"$BATS_FILE_TMPDIR/env.sh"
	cat >"$SOCA_CONF" <<-EOF2
	[cluster]
	name = slurm1
	provider = aws
	scheduler = slurm
	spool = $BATS_FILE_TMPDIR/spool
	[aws]
	ami = ami-0a1b2c3d4e5f60001
	user_data = $SOCA_SRCDIR/etc/user-data.sh
	capacity_backoff = 120s
	EOF2
}

teardown_file() {
	[ -n "${SLURM_SKIP:-}" ] && return 0
	slurm_stop
	awsim_stop
	slurm_kill_nodes	# slurmd of instances never terminated
}

setup() {
	[ -z "${SLURM_SKIP:-}" ] || skip "$SLURM_SKIP"
	soca_test_env
	export SOCA_CONF=$BATS_FILE_TMPDIR/soca.conf
}

# wait_job ID STATE [SECONDS]: until the Slurm job is in STATE
wait_job() {
	local n=$(( ${3:-30} * 10 )) got
	while [ "$n" -gt 0 ]; do
		got=$(squeue -h -t all -j "$1" -o %T 2>/dev/null)
		[ -z "$got" ] && got=$(scontrol show job -o "$1" 2>/dev/null |
			sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
		[ "$got" = "$2" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "slurm job $1: $got, wanted $2; soca's log:" >&2
	tail -n 5 "$BATS_FILE_TMPDIR/spool/slurm/log" >&2
	echo "slurmctld's log:" >&2
	grep -v -e debug -e pmix -e PMIx "$SLURM_DIR/log/slurmctld.log" | tail -n 8 >&2
	tail -n 3 "$SLURM_DIR"/log/slurmd.*.log >&2
	return 1
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds; soca's log after
wait_for() {
	eventually "$@" && return 0
	tail -n 5 "$BATS_FILE_TMPDIR/spool/slurm/log" >&2
	return 1
}

# more_calls N: RunInstances was called more than N times
more_calls() {
	[ "$(awsim_calls ec2:RunInstances)" -gt "$1" ]
}

# fresh: no jobs, every node powered down (idle~), as Slurm leaves them
# after SuspendTime; their instances terminated by SuspendProgram
fresh() {
	local busy down i
	scancel --user="$(id -un)" 2>/dev/null
	for ((i = 0; i < 60; i++)); do
		# a node an earlier test left DOWN (a resume that timed out)
		# would fail every test after it: it is named, and resumed
		down=$(sinfo -h -N -t down -o '%N' | sort -u | paste -sd,)
		if [ -n "$down" ]; then
			echo "fresh: $down left down:" >&2
			sinfo -N -t down -o '%N %T %E' >&2
			scontrol update nodename="$down" state=resume
		fi
		if all_idle; then
			# every node is powered down, so no slurmd should run:
			# one left over would hold its node's port
			slurm_kill_nodes
			return 0
		fi
		# what is neither powered down nor powering down yet
		busy=$(sinfo -h -N -o '%N %T' | awk '$2 !~ /[~%]$/ {print $1}' | sort -u | paste -sd,)
		[ -z "$busy" ] || scontrol update nodename="$busy" state=power_down_force
		sleep 1
	done
	sinfo -N -o '%N %T %E' >&2
	squeue >&2
	return 1
}

all_idle() {
	[ -z "$(squeue -h)" ] &&
		[ -z "$(sinfo -h -N -o '%T' | grep -v '^idle~$')" ]
}

# recorded JOB: the node records (slurm/nodes/NAME) of a Slurm job
recorded() {
	grep -l " $1\$" "$BATS_FILE_TMPDIR"/spool/slurm/nodes/* 2>/dev/null
}

# recorded_n JOB N: the job has N node records
recorded_n() {
	[ "$(recorded "$1" | wc -l)" -eq "$2" ]
}

# tagged JOB: "INSTANCE OWNER PROJECT" of each live instance of a Slurm job
tagged() {
	soca-aws ec2 DescribeInstances Filter.1.Name=tag:soca:SlurmJobId \
		Filter.1.Value.1="$1" Filter.2.Name=instance-state-name \
		Filter.2.Value.1=pending Filter.2.Value.2=running |
		jq -r '.reservationSet[].instancesSet[] | [.instanceId,
			(.tagSet[] | select(.key == "soca:JobOwner") | .value),
			(.tagSet[] | select(.key == "soca:JobProject") | .value)] | join(" ")'
}

@test "slurmctld 22.05's resume file (argument, all_nodes, jobs[].nodes) is read" {
	run sinfo -h -N -o '%N %T'
	assert_line --regexp '^hpc-c5large-1 idle~$'
	run sbatch -N 2 --comment cfd -J two -o /dev/null --wrap 'hostname'
	assert_success
	job=${output##* }
	for i in $(seq 100); do
		[ -s "$RESUME_LOG/0.json" ] && break
		sleep 0.1
	done
	run cat "$RESUME_LOG/0.arg"
	assert_output 'hpc-c5large-[1-2]'
	run python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(sorted(d)); print(sorted(d["jobs"][0]))' "$RESUME_LOG/0.json"
	assert_line --index 0 "['all_nodes', 'jobs']"
	assert_line --index 1 --partial "'job_id'"
	assert_line --index 1 --partial "'nodes'"
	SOCA_TESTDATA=$SOCA_SRCDIR/tests/data SOCA_RESUME_FILE=$RESUME_LOG/0.json \
		SOCA_RESUME_ARG=$(cat "$RESUME_LOG/0.arg") run "$SOCA_BUILDDIR/tests/unit/unit" slurm
	assert_success
	assert_line --regexp "^ok [0-9]+ - the resume file of this slurmctld: job $job, nodes hpc-c5large-1 hpc-c5large-2\$"
	# one RunInstances for the job's two nodes, all or nothing
	wait_for 60 recorded_n "$job" 2
	[ "$(awsim_calls ec2:RunInstances)" -eq 1 ]
}

@test "sbatch -> ResumeProgram -> one tagged RunInstances -> slurmd registers -> job done" {
	calls=$(awsim_calls ec2:RunInstances)
	run sbatch -N 1 -w hpc-c5large-3 --comment cfd -J hello -o "$PWD/hello.out" --wrap 'echo "on $SLURMD_NODENAME"'
	assert_success
	job=${output##* }
	wait_job "$job" COMPLETED 90
	echo "$job" >"$BATS_FILE_TMPDIR/hello.job"
	run cat hello.out
	assert_output 'on hpc-c5large-3'
	node=${output#on }
	[ "$(awsim_calls ec2:RunInstances)" -eq $((calls + 1)) ]
	# the instance carries the Slurm job's owner, project and partition
	iid=$(cut -d' ' -f1 "$BATS_FILE_TMPDIR/spool/slurm/nodes/$node")
	run soca-aws ec2 DescribeInstances InstanceId.1="$iid"
	assert_success
	tags=$(printf '%s' "$output" | python3 -c 'import json,sys
d = json.load(sys.stdin)
i = d["reservationSet"][0]["instancesSet"][0]
print(" ".join(sorted("%s=%s" % (t["key"], t["value"]) for t in i["tagSet"] if t["key"].startswith("soca:"))))')
	[[ $tags == *"soca:ClusterId=slurm1"* ]]
	[[ $tags == *"soca:JobOwner=$(id -un)"* ]]
	[[ $tags == *"soca:JobProject=cfd"* ]]
	[[ $tags == *"soca:JobQueue=normal"* ]]
	[[ $tags == *"soca:JobName=hello"* ]]
	[[ $tags == *"soca:SlurmJobId=$job"* ]]
	[[ $tags == *"soca:Scheduler=slurm"* ]]
	[[ $tags != *"soca:JobId="* ]]
}

@test "SuspendProgram terminates the instances of powered-down nodes" {
	iids=$(cut -d' ' -f1 "$BATS_FILE_TMPDIR"/spool/slurm/nodes/* | sort)
	[ -n "$iids" ]
	nodes=$(ls "$BATS_FILE_TMPDIR/spool/slurm/nodes" | paste -sd,)
	scontrol update nodename="$nodes" state=power_down_force
	for i in $(seq 150); do
		[ -z "$(ls "$BATS_FILE_TMPDIR/spool/slurm/nodes")" ] && break
		sleep 0.2
	done
	[ -z "$(ls "$BATS_FILE_TMPDIR/spool/slurm/nodes")" ]
	for iid in $iids; do
		run soca-aws ec2 DescribeInstances InstanceId.1="$iid"
		assert_output --regexp '"name": ?"(shutting-down|terminated)"'
	done
}

@test "the reaper: a recorded node Slurm has powered down, and an unrecorded tagged instance, are terminated" {
	spool=$BATS_FILE_TMPDIR/spool
	# a node whose SuspendProgram run was lost: Slurm has it idle~
	run soca-aws ec2 RunInstances ImageId=ami-0a1b2c3d4e5f60001 InstanceType=c5.large \
		MinCount=1 MaxCount=1 TagSpecification.1.ResourceType=instance \
		TagSpecification.1.Tag.1.Key=soca:ClusterId TagSpecification.1.Tag.1.Value=slurm1 \
		TagSpecification.1.Tag.2.Key=soca:SlurmJobId TagSpecification.1.Tag.2.Value=900
	assert_success
	lost=$(printf '%s' "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["instancesSet"][0]["instanceId"])')
	printf '%s 900\n' "$lost" >"$spool/slurm/nodes/hpc-c5large-4"
	# a launch whose record never got written (resume killed after the call)
	run soca-aws ec2 RunInstances ImageId=ami-0a1b2c3d4e5f60001 InstanceType=c5.large \
		MinCount=1 MaxCount=1 TagSpecification.1.ResourceType=instance \
		TagSpecification.1.Tag.1.Key=soca:ClusterId TagSpecification.1.Tag.1.Value=slurm1 \
		TagSpecification.1.Tag.2.Key=soca:SlurmJobId TagSpecification.1.Tag.2.Value=901
	orphan=$(printf '%s' "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["instancesSet"][0]["instanceId"])')
	# inside orphan_grace: only the powered-down node goes
	run soca-node-down
	assert_success
	assert_line "hpc-c5large-4 $lost terminated: Slurm has it powered down or does not know it"
	refute_output --partial "$orphan"
	[ ! -e "$spool/slurm/nodes/hpc-c5large-4" ]
	# past it, the unrecorded one too
	printf '[aws]\norphan_grace = 0s\n' >>"$SOCA_CONF"
	run soca-node-down
	assert_success
	assert_line "$orphan terminated: Slurm job 901's instance, no node recorded for it"
	run soca-node-down
	assert_output ''
	sed -i '$d' "$SOCA_CONF"
	sed -i '$d' "$SOCA_CONF"
}

@test "two jobs resumed in one ResumeProgram call: two RunInstances, two ClientTokens, each job's tags" {
	fresh
	calls=$(awsim_calls ec2:RunInstances)
	n=$(ls "$RESUME_LOG" | grep -c json)
	a=$(sbatch --parsable --hold -C c5.large --comment cfd -J one -o /dev/null --wrap true)
	b=$(sbatch --parsable --hold -C c5.large --comment wind -J two -o /dev/null --wrap true)
	scontrol release "$a,$b"
	wait_for 60 test -s "$RESUME_LOG/$n.json"
	run jq -c '[.jobs[].job_id]' "$RESUME_LOG/$n.json"
	assert_output "[$a,$b]"
	wait_for 60 recorded "$a"
	wait_for 60 recorded "$b"
	[ "$(awsim_calls ec2:RunInstances)" -eq $((calls + 2)) ]
	tokens=$(awsim_requests ec2:RunInstances | tail -n 2 | jq -r .ClientToken | sort -u)
	[ "$(echo "$tokens" | wc -l)" -eq 2 ]
	[[ $tokens == *"soca-s$a-"* && $tokens == *"soca-s$b-"* ]]
	# each instance carries its own job's owner and project
	run tagged "$a"
	assert_output --regexp "^i-[0-9a-f]+ $(id -un) cfd\$"
	run tagged "$b"
	assert_output --regexp "^i-[0-9a-f]+ $(id -un) wind\$"
}

@test "the resume worker killed after RunInstances: cron's soca-node-up replays it, the same token launches nothing twice" {
	fresh
	spool=$BATS_FILE_TMPDIR/spool
	calls=$(awsim_calls ec2:RunInstances)
	echo slurm-after-run >"$BATS_FILE_TMPDIR/crash"
	job=$(sbatch --parsable -C c5.large --comment cfd -J crash -o /dev/null --wrap 'sleep 60')
	# the worker dies after the call, before it records the node: its copy
	# of the resume file stays, and no worker holds it any more
	wait_for 60 more_calls "$calls"
	copy=$(ls "$spool"/slurm/resume/*.json)
	wait_for 60 flock -n "$copy" true
	run recorded "$job"
	assert_failure
	# cron's dispatcher pass replays it
	run soca-node-up -v
	assert_success
	assert_output '0 jobs released, 1 resume replayed'
	wait_for 60 recorded "$job"
	[ ! -e "$copy" ]
	[ "$(awsim_calls ec2:RunInstances)" -eq $((calls + 2)) ]
	run tagged "$job"
	[ "${#lines[@]}" -eq 1 ]
	iid=${lines[0]%% *}
	run cat "$(recorded "$job")"
	assert_output "$iid $job"
	# nothing left to replay
	run soca-node-up -v
	assert_output '0 jobs released, 0 resumes replayed'
}

@test "slurmctld restarted while the resume work runs: the job runs on the one instance launched" {
	fresh
	calls=$(awsim_calls ec2:RunInstances)
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"latency","latency_ms":3000,"count":1}' >/dev/null
	job=$(sbatch --parsable -C c5.large --comment cfd -J restart -o "$PWD/restart.out" --wrap 'echo ran')
	wait_for 60 grep -q "job $job: resume" "$BATS_FILE_TMPDIR/spool/slurm/log"
	slurm_restart
	wait_job "$job" COMPLETED 90
	run cat restart.out
	assert_output ran
	[ "$(awsim_calls ec2:RunInstances)" -eq $((calls + 1)) ]
	run tagged "$job"
	[ "${#lines[@]}" -le 1 ]
	awsim_ctl DELETE faults >/dev/null
}

@test "a capacity error: that job's nodes DOWN with AWS's reason (kept past Slurm's ResumeTimeout), the job requeued, its type backs off, other types launch" {
	fresh
	awsim_ctl POST faults '{"op":"ec2:RunInstances","kind":"capacity","instance_type":"c5.large"}' >/dev/null
	a=$(sbatch --parsable --hold -C c5.large --comment cfd -J nocap -o /dev/null --wrap true)
	b=$(sbatch --parsable --hold -C m5.large --comment wind -J other -o /dev/null --wrap 'sleep 60')
	scontrol release "$a,$b"
	wait_for 60 sh -c 'sinfo -h -N -t down -o %E | grep -q InsufficientInstanceCapacity'
	run sinfo -h -N -t down -o '%N|%E'
	assert_output --regexp '^hpc-c5large-[1-4]\|soca: InsufficientInstanceCapacity: We currently do not have sufficient c5.large capacity'
	[ "${#lines[@]}" -eq 1 ]
	# Slurm requeued the job; the other type's job got its instance
	run scontrol show job -o "$a"
	assert_output --partial 'JobState=PENDING'
	assert_output --partial 'Restarts=1'
	wait_for 60 recorded "$b"
	run tagged "$b"
	assert_output --regexp "^i-[0-9a-f]+ $(id -un) wind\$"
	# c5.large backs off: soca-node-ls says until when; a job for it gets
	# its nodes DOWN at once, without asking AWS
	run sh -c 'soca-node-ls 2>&1 >/dev/null'
	assert_output --regexp '^soca-node-ls: c5.large backing off until [0-9-]+T[0-9:]+Z: InsufficientInstanceCapacity'
	run soca-stat -n -o state,instance_type,reason "$a"
	assert_output --regexp '^queued +c5.large +c5.large backing off until [0-9-]+T[0-9:]+Z$'
	calls=$(awsim_calls ec2:RunInstances)
	c=$(sbatch --parsable -C c5.large -J later -o /dev/null --wrap true)
	wait_for 60 sh -c 'sinfo -h -N -t down -o %E | grep -q "backing off"'
	run sinfo -h -N -t down -o '%N|%E'
	assert_line --regexp '^hpc-c5large-[1-4]\|soca: c5.large backing off until [0-9-]+T[0-9:]+Z$'
	[ "$(awsim_calls ec2:RunInstances)" -eq "$calls" ]
	# both nodes were powering up when soca set them DOWN: Slurm's
	# ResumeTimeout (60 s here) still ends, and Slurm puts its own
	# reason in place of soca's
	wait_for 100 sh -c '[ "$(sinfo -h -N -t down -o %E | grep -c "^ResumeTimeout reached$")" -eq 2 ]'
	# the reaper pass returns no node while the type backs off ([aws]
	# capacity_backoff = 120s here), and gives them soca's reasons back
	# (their node comments say they are soca's)
	awsim_ctl DELETE faults >/dev/null
	until=$(cut -d' ' -f1 "$BATS_FILE_TMPDIR/spool/slurm/backoff/c5.large")
	run soca-node-down
	assert_success
	refute_output --partial 'returned to service'
	# (the pass above ran inside the backoff, or its refusal shows nothing)
	[ "$(date +%s)" -lt "$until" ]
	run sinfo -h -N -t down -o '%N|%E'
	[ "${#lines[@]}" -eq 2 ]
	assert_line --regexp '^hpc-c5large-[1-4]\|soca: InsufficientInstanceCapacity: We currently do not have sufficient c5.large capacity'
	assert_line --regexp '^hpc-c5large-[1-4]\|soca: c5.large backing off until [0-9-]+T[0-9:]+Z$'
	# Slurm's timeout on a node soca did not set DOWN is not soca's to
	# return (nor is an administrator's DOWN)
	scontrol update nodename=hpc-m5large-2 state=down reason='ResumeTimeout reached'
	while [ "$(date +%s)" -le "$until" ]; do sleep 1; done
	run soca-node-down
	assert_success
	assert_line --regexp '^hpc-c5large-[1-4] returned to service: c5.large may launch again \(it was down: InsufficientInstanceCapacity: '
	assert_line --regexp '^hpc-c5large-[1-4] returned to service: c5.large may launch again \(it was down: c5.large backing off until '
	[ "${#lines[@]}" -eq 2 ]
	wait_for 60 sh -c '[ "$(sinfo -h -N -t down -o %N)" = hpc-m5large-2 ]'
	# returned, they no longer carry soca's comment
	run sinfo -h -N -O 'NodeList:20,Comment:40'
	refute_output --partial 'soca: '
	scontrol update nodename=hpc-m5large-2 state=resume
	run sh -c 'soca-node-ls 2>&1 >/dev/null'
	assert_output ''
}

@test "soca-submit validates, then hands the job to sbatch (#PBS directives and all); soca-stat, soca-hold, soca-release, soca-del work on it" {
	cat >job.sh <<-'EOF2'
	#!/bin/sh
	#PBS -N pbsname
	#PBS -P cfd
	#PBS -l nodes=2,walltime=1:30:00,instance_type=c5.large
	echo hi
	EOF2
	run soca-submit -h job.sh
	assert_success
	assert_output --regexp '^[0-9]+$'
	job=$output
	run scontrol show job -o "$job"
	assert_output --partial "JobName=pbsname UserId=$(id -un)("
	assert_output --partial 'JobState=PENDING Reason=JobHeldUser'
	assert_output --partial 'Partition=normal'
	assert_output --partial 'NumNodes=2'
	assert_output --partial 'TimeLimit=01:30:00'
	assert_output --partial 'Features=c5.large'
	assert_output --partial 'Comment=cfd'
	assert_output --partial "WorkDir=$PWD"
	run soca-stat -n -o id,name,state,nodes,instance_type,project,reason "$job"
	assert_success
	assert_output --regexp "^ *$job +pbsname +queued +2 +c5.large +cfd +JobHeldUser\$"
	run soca-stat -J -o id,state "$job"
	assert_output "{\"id\":$job,\"state\":\"queued\"}"
	# soca's rules still come first: nothing reaches Slurm
	before=$(squeue -h -t all | wc -l)
	run soca-submit -q nosuch -- true
	assert_failure 2
	assert_output --partial 'nosuch'
	run soca-submit -l nodes=0 -- true
	assert_failure 2
	[ "$(squeue -h -t all | wc -l)" -eq "$before" ]
	# hold, release, cancel through scontrol and scancel
	run soca-release "$job"
	assert_success
	assert_output "$job"
	run soca-hold "$job"
	assert_output "$job"
	run scontrol show job -o "$job"
	assert_output --partial 'Reason=JobHeld'
	run soca-del "$job"
	assert_success
	assert_output "$job"
	run soca-stat -n -o state "$job"
	assert_output cancelled
	run soca-stat 99999
	assert_failure 1
}

@test "a project over its budget: soca-submit submits the job held with why, nothing launches; cron's soca-node-up releases it within budget" {
	fresh
	cp "$SOCA_CONF" "$BATS_FILE_TMPDIR/soca.conf.keep"
	cat >>"$SOCA_CONF" <<-EOF2
	[budget]
	account_id = 123456789012
	[project "cfd"]
	limit = 0
	EOF2
	calls=$(awsim_calls ec2:RunInstances)
	run soca-submit -P cfd -l instance_type=c5.large -o /dev/null -- true
	assert_success
	assert_line --index 0 --regexp '^[0-9]+$'
	job=${lines[0]}
	# the spend is live: the earlier tests' cfd instances may have cost a cent
	assert_line --index 1 --regexp "^soca-submit: job $job submitted held: budget exceeded: project cfd at \\\$[0-9]+\.[0-9]{2} of \\\$0\.00"
	run scontrol show job -o "$job"
	assert_output --partial 'JobState=PENDING Reason=JobHeld'
	assert_output --partial 'Comment=cfd (held by soca: budget exceeded: project cfd'
	run soca-stat -n -o state,project,reason "$job"
	assert_output --regexp '^queued +cfd +budget exceeded: project cfd at \$0\.00 of \$0\.00'
	# still over: the pass leaves it, and no capacity is launched for it
	run soca-node-up -v
	assert_output '0 jobs released, 0 resumes replayed'
	sleep 2
	[ "$(awsim_calls ec2:RunInstances)" -eq "$calls" ]
	# within budget again: the pass releases it, and it gets its instance
	sed -i 's/^limit = 0$/limit = 100/' "$SOCA_CONF"
	run soca-node-up -v
	assert_line "$job released: project cfd is within its budget"
	assert_line '1 job released, 0 resumes replayed'
	wait_for 60 recorded "$job"
	run scontrol show job -o "$job"
	assert_output --regexp 'Comment=cfd( |$)'
	run tagged "$job"
	assert_output --regexp "^i-[0-9a-f]+ $(id -un) cfd\$"
	cp "$BATS_FILE_TMPDIR/soca.conf.keep" "$SOCA_CONF"
}

@test "-l max_cost on the Slurm bridge: in the comment, checked against the estimate at submission; cron's soca-node-down scancels the job at its cap" {
	fresh
	# c5.large at 0.085 $/h (awsim's Price List): an hour is more than 0.05
	before=$(squeue -h -t all | wc -l)
	run soca-submit -P cfd -l instance_type=c5.large,walltime=1h,max_cost=0.05 -- true
	assert_failure 2
	assert_output --partial 'is more than its max_cost $0.05'
	[ "$(squeue -h -t all | wc -l)" -eq "$before" ]
	run soca-submit -P cfd -l instance_type=c5.large,walltime=10:00,max_cost=0.02 -o /dev/null -- sleep 300
	assert_success
	job=$output
	run scontrol show job -o "$job"
	assert_output --partial 'Comment=cfd max_cost=0.02'
	run soca-stat -n -o project "$job"
	assert_output cfd
	wait_job "$job" RUNNING 90
	start=$(date -d "$(squeue -h -j "$job" -o %S)" +%s)
	# the reaper's clock 800 s after the start: $0.0189, under the cap
	SOCA_NOW=$((start + 800)) run soca-node-down
	assert_success
	refute_output --partial 'cost cap'
	[ "$(squeue -h -j "$job" -o %T)" = RUNNING ]
	# its next cycle, 848 s after: $0.02002, the cap is reached
	SOCA_NOW=$((start + 848)) run soca-node-down
	assert_success
	assert_output --partial "$job running cost cap reached: stopping (max_cost 0.02)"
	wait_job "$job" CANCELLED 60
	run soca-stat -n -o state,project,reason "$job"
	assert_output --regexp '^cancelled +cfd +cost cap reached$'
	run scontrol show job -o "$job"
	assert_output --partial 'Comment=cfd max_cost=0.02 (stopped by soca: cost cap reached)'
	# a job without a cap is left alone, however long it runs
	SOCA_NOW=$((start + 86400)) run soca-node-down
	refute_output --partial 'cost cap'
}

@test "tags on every instance equal its Slurm job's user and project" {
	ids=$(soca-aws ec2 DescribeInstances Filter.1.Name=tag-key Filter.1.Value.1=soca:SlurmJobId |
		jq -r '.reservationSet[].instancesSet[].tagSet[] | select(.key == "soca:SlurmJobId") | .value' | sort -un)
	checked=0
	for job in $ids; do
		info=$(scontrol show job -o "$job" 2>/dev/null) || continue	# the reaper test's made-up jobs
		user=$(sed -n 's/.* UserId=\([^(]*\)(.*/\1/p' <<<"$info")
		project=$(sed -n 's/.* Comment=\([^ ]*\).*/\1/p' <<<"$info")
		run soca-aws ec2 DescribeInstances Filter.1.Name=tag:soca:SlurmJobId Filter.1.Value.1="$job"
		run jq -r '.reservationSet[].instancesSet[] | [(.tagSet[] | select(.key == "soca:JobOwner") | .value), (.tagSet[] | select(.key == "soca:JobProject") | .value)] | join(" ")' <<<"$output"
		for line in "${lines[@]}"; do
			[ "$line" = "$user $project" ] || { echo "job $job: $line, Slurm says $user $project"; false; }
			checked=$((checked + 1))
		done
	done
	[ "$checked" -ge 6 ]
}

@test "soca-config slurm: the power-saving lines, a partition per queue, a CLOUD node set per type" {
	cat >"$HOME/slurm.conf" <<-EOF2
	[cluster]
	name = slurm1
	provider = aws
	scheduler = slurm
	[aws]
	ami = ami-0a1b2c3d4e5f60001
	boot_timeout = 10m
	[queue "normal"]
	instance_type = c5.large
	[queue "high"]
	instance_type = c5.xlarge+m5.large
	max_provisioned_instances = 4
	walltime = 2h
	ht_support = yes
	[queue "off"]
	instance_type = c5.large
	enabled = no
	EOF2
	run soca-config -c "$HOME/slurm.conf" slurm
	assert_success
	assert_line --regexp '^ResumeProgram=/.*/soca-node-up$'
	assert_line --regexp '^SuspendProgram=/.*/soca-node-down$'
	assert_line --regexp '^ResumeFailProgram=/.*/soca-node-down$'
	assert_line 'ResumeTimeout=600'
	assert_line 'SlurmctldParameters=idle_on_node_suspend,cloud_reg_addrs'
	# c5.large without hyper-threading: its one core
	assert_line 'NodeName=normal-c5large-[1-10] CPUs=1 RealMemory=3686 State=CLOUD Feature=c5.large'
	assert_line 'PartitionName=normal Nodes=normal-c5large-[1-10] Default=YES MaxTime=INFINITE State=UP'
	assert_line 'NodeName=high-c5xlarge-[1-4] CPUs=4 RealMemory=7372 State=CLOUD Feature=c5.xlarge'
	assert_line 'NodeName=high-m5large-[1-4] CPUs=2 RealMemory=7372 State=CLOUD Feature=m5.large'
	assert_line 'PartitionName=high Nodes=high-c5xlarge-[1-4],high-m5large-[1-4] MaxTime=120 State=UP'
	assert_line '# queue off: disabled, no partition'
	# AWS unreachable: it says so, exit 3
	AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1 run soca-config -c "$HOME/slurm.conf" slurm
	assert_failure 3
	assert_output --partial 'DescribeInstanceTypes'
}

@test "soca-config check: says where slurm.conf and soca.conf disagree (programs, partitions, Feature types)" {
	cat >"$HOME/soca.conf" <<-EOF2
	[cluster]
	name = slurm1
	provider = aws
	scheduler = slurm
	slurm_conf = $HOME/slurm.conf
	[aws]
	ami = ami-0a1b2c3d4e5f60001
	[queue "normal"]
	instance_type = c5.large
	[queue "high"]
	instance_type = c5.xlarge
	allowed_instance_types = c5
	EOF2
	soca-config -c "$HOME/soca.conf" slurm >"$HOME/slurm.conf"
	run soca-config check "$HOME/soca.conf"
	assert_success
	assert_output "$HOME/soca.conf: ok (2 queues, 0 projects); $HOME/slurm.conf agrees"
	# a wrapper as ResumeProgram, a partition soca does not know, none for
	# high, and node sets of types the queues do not list or allow
	sed -i -e 's|^ResumeProgram=.*|ResumeProgram=/usr/local/bin/resume.sh|' \
		-e 's|^PartitionName=high |PartitionName=gpu |' \
		-e 's|Feature=c5.large$|Feature=m5.large|' "$HOME/slurm.conf"
	printf 'PartitionName=high Nodes=normal-c5large-[1-2] State=UP\n' >>"$HOME/slurm.conf"
	run soca-config check "$HOME/soca.conf"
	assert_failure 2
	assert_line "soca-config: $HOME/slurm.conf: ResumeProgram is /usr/local/bin/resume.sh, not soca-node-up: soca launches no capacity for Slurm (set ResumeProgram=/path/to/soca-node-up; soca-config slurm prints it)"
	assert_line "soca-config: $HOME/slurm.conf: partition gpu is no soca queue: its jobs get queue \"normal\"'s policy and tags (add [queue \"gpu\"] to soca.conf, or remove the partition)"
	assert_line "soca-config: $HOME/slurm.conf: node normal-c5large-1 (partition normal) is m5.large, which queue \"normal\" does not list in instance_type (c5.large): its jobs never ask for it (add the type to the queue, or drop the node set)"
	assert_line "soca-config: $HOME/slurm.conf: node normal-c5large-1 (partition high): instance type m5.large is not allowed in queue \"high\" (allowed: c5) (move the node set, or allow the type in soca.conf)"
	assert_line "soca-config: $HOME/slurm.conf and soca.conf disagree in 4 places"
	# no slurm.conf to read: said, exit 2
	rm "$HOME/slurm.conf"
	run soca-config check "$HOME/soca.conf"
	assert_failure 2
	assert_output --partial "$HOME/slurm.conf: cannot read it"
}

# lic_conf: this test's soca.conf, the file's with [license "matlab"]
# (the fixture lmutil: 10 issued, 3 in use in flexlm-11.txt)
lic_conf() {
	export LMSTAT_DIR=$BATS_TEST_TMPDIR LMSTAT_FILE=lmstat.txt
	cp "$SOCA_SRCDIR/tests/data/lmstat/flexlm-11.txt" "$LMSTAT_DIR/lmstat.txt"
	cp "$SOCA_CONF" soca.conf
	cat >>soca.conf <<-EOF2
	[license "matlab"]
	server = lic1
	feature = MATLAB
	lmutil = $SOCA_SRCDIR/tests/lmutil-fixture
	reserved = 2
	EOF2
	export SOCA_CONF=$PWD/soca.conf
}

# in_use N: FlexLM now says N of MATLAB in use
in_use() {
	sed -i "s/^Users of MATLAB: .*/Users of MATLAB:  (Total of 10 licenses issued;  Total of $1 licenses in use)/" \
		"$LMSTAT_DIR/lmstat.txt"
}

held() {	# the reservation's licenses
	scontrol show reservation soca-lic-matlab -o | grep -o 'Licenses=[^ ]*'
}

reason_is() {	# reason_is JOB REASON
	[ "$(squeue -h -j "$1" -o %r)" = "$2" ]
}

@test "licenses: soca-license --slurm holds back in Slurm what FlexLM's other users hold; a job beyond waits with reason Licenses" {
	fresh
	lic_conf
	run soca-config slurm
	assert_success
	assert_line 'Licenses=matlab:10'
	# 3 in use outside Slurm + 2 reserved: 5 of Slurm's 10 held back
	run soca-license --slurm
	assert_success
	assert_output "matlab: 5 of 10 held back (in use 3, 0 of them by Slurm's jobs; reserved 2): reservation soca-lic-matlab created"
	assert_equal "$(held)" 'Licenses=matlab:5'
	scontrol show reservation soca-lic-matlab -o | grep -q 'Flags=ANY_NODES'
	run soca-license --slurm	# from cron: a rerun changes nothing
	assert_success
	assert_output --partial ': unchanged'
	# soca-submit hands -l matlab=6 to sbatch as -L matlab:6: 5 free
	job=$(soca-submit -l matlab=6 -o /dev/null -- sleep 120)
	scontrol show job -o "$job" | grep -q 'Licenses=matlab:6'
	wait_for 60 reason_is "$job" Licenses
	assert_equal "$(squeue -h -j "$job" -o %T)" PENDING
	# FlexLM's other users leave: 2 held back, the job runs
	in_use 0
	run soca-license --slurm
	assert_success
	assert_output "matlab: 2 of 10 held back (in use 0, 0 of them by Slurm's jobs; reserved 2): reservation soca-lic-matlab updated (was 5)"
	wait_job "$job" RUNNING 90
	# the job checks its 6 out: FlexLM counts them, Slurm holds them
	# already; within checkout_grace (1h) FlexLM's count is taken as others'
	in_use 6
	printf 'checkout_grace = 1h\n' >>soca.conf
	run soca-license --slurm
	assert_output "matlab: 8 of 10 held back (in use 6, 0 of them by Slurm's jobs; reserved 2): reservation soca-lic-matlab updated (was 2)"
	# past it (0s), the job's 6 are not held back twice
	sed -i 's/^checkout_grace = 1h$/checkout_grace = 0s/' soca.conf
	run soca-license --slurm
	assert_success
	assert_output "matlab: 2 of 10 held back (in use 6, 6 of them by Slurm's jobs; reserved 2): reservation soca-lic-matlab updated (was 8)"
	scancel "$job"
}

@test "licenses: an unreadable server holds every license back in Slurm; one Slurm does not know is named" {
	lic_conf
	cat >>soca.conf <<-EOF2
	[license "ansys"]
	command = echo 4
	EOF2
	LMSTAT_EXIT=1 LMSTAT_FILE=down.txt run soca-license --slurm matlab
	assert_failure 3
	assert_line --regexp '^soca-license: matlab: unreadable: '
	assert_line --regexp '^matlab: unreadable, all 10 held back: reservation soca-lic-matlab (created|updated \(was [0-9]+\))$'
	assert_equal "$(held)" 'Licenses=matlab:10'
	run soca-license --slurm ansys
	assert_failure 1
	assert_output "soca-license: ansys: not one of Slurm's licenses: add Licenses=ansys:ISSUED to slurm.conf (soca-config slurm prints it), then scontrol reconfigure"
	run soca-license --slurm
	assert_failure 1
	assert_line "matlab: 5 of 10 held back (in use 3, 0 of them by Slurm's jobs; reserved 2): reservation soca-lic-matlab updated (was 10)"
	scontrol delete reservation=soca-lic-matlab
}
