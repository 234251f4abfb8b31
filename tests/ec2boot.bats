#!/usr/bin/env bats
# ec2boot.bats: the whole AWS path end to end against awsim --boot-mode,
# which "boots" each launched instance by running its user-data as a local
# process whose IMDSv2 is that instance's: soca-submit, the DryRun,
# RunInstances, the rendered user-data, soca-node-run (instance id and
# hostname from IMDS), the job's output, then the reaper's termination;
# a multiple_jobs queue running jobs on one instance until it is idle; a
# CreateFleet node finding its job from its tags over IMDS.

load lib/helper
load lib/jobs
load lib/awsim

setup_file() {
	awsim_start --boot-mode
}

teardown_file() {
	awsim_stop
}

setup() {
	soca_test_env
	awsim_reset
	export SOCA_AWS_BACKOFF_SCALE=0
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	cat >"$SOCA_CONF" <<-EOF2
	[cluster]
	name = boot1
	provider = aws
	dispatch = cron
	spool = $BATS_TEST_TMPDIR/spool
	[aws]
	ami = ami-0a1b2c3d4e5f60001
	user_data = $SOCA_SRCDIR/etc/user-data.sh
	launch_rate = 0
	[queue "normal"]
	instance_type = c5.large
	[queue "shared"]
	instance_type = c5.large
	scaling_mode = multiple_jobs
	terminate_when_idle = 1
	EOF2
}

# wait_inst IID PATTERN [SECONDS]: until aws/inst/IID's line matches
wait_inst() {
	local f="$BATS_TEST_TMPDIR/spool/aws/inst/$1" n=$(( ${3:-10} * 10 ))
	while [ "$n" -gt 0 ]; do
		grep -qx "$2" "$f" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "aws/inst/$1: \"$(cat "$f" 2>/dev/null)\", wanted $2" >&2
	return 1
}

@test "submit -> RunInstances -> boot -> soca-node-run -> done -> terminated" {
	mkdir wd && cd wd
	printf '#!/bin/sh\necho "job $PBS_JOBID on $(cat "$PBS_NODEFILE")"\n' >job.sh
	run soca-submit -N boot_test job.sh
	assert_success
	assert_output 1
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]	# the DryRun
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	wait_state 1 done 20
	iid=$(awsim_ctl GET state | jq -r '.instances[0].InstanceId')
	ip=$(awsim_ctl GET state | jq -r '.instances[0].PrivateIpAddress')
	host="ip-${ip//./-}.ec2.internal"
	run cat boot_test.o1
	assert_output "job 1 on $host"
	run soca-stat -J 1
	[ "$(jq -r .host <<<"$output")" = "$host" ]
	run cat "$BATS_TEST_TMPDIR/spool/aws/1.node.0"
	assert_output "$iid $host"
	[ "$(awsim_calls imds:PutToken)" -ge 1 ]
	run soca-node-down
	assert_success
	assert_output --partial "$iid terminate job 1: done"
	[ "$(awsim_ctl GET state | jq -r '.instances[0].State')" = shutting-down ]
	# no [archive] bucket: the node keeps no bootstrap log on the spool
	[ ! -e "$BATS_TEST_TMPDIR/spool/nodelogs" ]
}

# archive_on: [archive] bucket set, so nodes leave their bootstrap log
archive_on() {
	printf '[archive]\nbucket = soca-archive\nlogs = none\n' >>"$SOCA_CONF"
	soca-aws s3 CreateBucket Bucket=soca-archive >/dev/null
}

@test "the node's bootstrap log: on the spool's nodelogs/, closed before the job runs; soca-archive sends it" {
	archive_on
	go=$BATS_TEST_TMPDIR/go
	# the job waits for the test (30 s at most, should the test fail)
	soca-submit <<<"echo the job itself; for i in \$(seq 300); do [ -e $go ] && break; sleep 0.1; done" >/dev/null
	soca-node-up
	wait_state 1 running 20
	iid=$(awsim_ctl GET state | jq -r '.instances[0].InstanceId')
	ud=$(awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d)
	grep -qx "SOCA_NODE_LOGS='$BATS_TEST_TMPDIR/spool/nodelogs'" <<<"$ud"
	shellcheck -s sh - <<<"$ud"
	log=$BATS_TEST_TMPDIR/spool/nodelogs/$iid.log
	# while the job runs, the log is closed: nothing writes it any more
	eventually 30 eval '! pgrep -f "tee -a $log" >/dev/null'
	[ -z "$(pgrep -f "tee -a $log")" ]
	[ -z "$(ls /tmp/soca-node-log.* 2>/dev/null)" ]
	run cat "$log"
	assert_line --index 0 --regexp "^soca: [0-9TZ:-]+ node $iid of boot1, job 1$"
	touch "$go"
	wait_state 1 done 20
	run grep -c 'the job itself' "$log"
	assert_output 0
	# once [archive] keep old, soca-archive sends it and removes it
	touch -d "@$(($(date +%s) - 40 * 86400))" "$log"
	d=$(date -u -d "@$(stat -c %Y "$log")" +%Y/%m/%d)
	run soca-archive
	assert_success
	assert_output --regexp "^uploaded s3://soca-archive/soca/nodes/$d/boot1/$iid\.log-[0-9a-f]{16}\.gz $log [0-9]+ bytes$"
	[ ! -e "$log" ]
	key=$(awsim_ctl GET s3 | jq -r '.objects["soca-archive"] | keys[]')
	awsim_ctl GET "s3?bucket=soca-archive&key=$key" | jq -r .body_b64 | base64 -d | gunzip |
	    grep -qx "soca: .* node $iid of boot1, job 1"
	soca-node-down >/dev/null
}

@test "a bootstrap that fails: its log, with the reason, is closed on the spool all the same" {
	archive_on
	# a mount soca-config check takes but no node can make (no such place)
	printf '[queue "badefs"]\ninstance_type = c5.large\nefs_mounts = fs-0123abcd:/=/proc/soca-none/apps\n' >>"$SOCA_CONF"
	soca-submit -q badefs <<<'true' >/dev/null
	soca-node-up
	wait_state 1 failed 20
	iid=$(awsim_ctl GET state | jq -r '.instances[0].InstanceId')
	log=$BATS_TEST_TMPDIR/spool/nodelogs/$iid.log
	# the user data ends (its log closed) just after the job is failed
	eventually 30 grep -q 'cannot make the mount point' "$log"
	run cat "$log"
	assert_line --index 0 --regexp "^soca: .* node $iid of boot1, job 1$"
	assert_line 'soca: cannot make the mount point /proc/soca-none/apps ([queue badefs] efs_mounts)'
	run soca-stat -n -o reason 1
	assert_output 'node: cannot make the mount point /proc/soca-none/apps ([queue badefs] efs_mounts)'
	soca-node-down >/dev/null
}

@test "a 3-node job: every node registers, the first runs with all in PBS_NODEFILE" {
	mkdir wd && cd wd
	printf '#!/bin/sh\nsort "$PBS_NODEFILE"\n' >job.sh
	soca-submit -N three -l nodes=3 job.sh
	soca-node-up
	wait_state 1 done 20
	want=$(awsim_ctl GET state | jq -r '.instances[].PrivateIpAddress | "ip-" + gsub("\\."; "-") + ".ec2.internal"' | sort)
	run cat three.o1
	assert_output "$want"
	[ "$(ls "$BATS_TEST_TMPDIR/spool/aws/" | grep -c '^1\.node\.')" = 3 ]
	run soca-node-down
	[ "$(grep -c ' terminate job 1: done' <<<"$output")" = 3 ]
}

@test "hostile job names, projects and paths never reach a shell on the node" {
	mkdir -p 'w d/$(touch pwned)' && cd 'w d/$(touch pwned)'
	printf '#!/bin/sh\necho "name=$PBS_JOBNAME"\n' >job.sh
	soca-submit -N 'a.b_c-1' -o 'out `touch pwned2`.txt' job.sh
	soca-node-up
	wait_state 1 done 20
	run cat 'out `touch pwned2`.txt'
	assert_output "name=a.b_c-1"
	[ ! -e pwned ] && [ ! -e pwned2 ] && [ ! -e ../pwned ]
	ud=$(awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d)
	! grep -q 'pwned' <<<"$ud"
}

@test "multiple_jobs: two jobs on one instance, busy kept, terminated once idle" {
	mkdir wd && cd wd
	printf '#!/bin/sh\necho "job $PBS_JOBID on $(cat "$PBS_NODEFILE")"\n' >job.sh
	soca-submit -q shared -N a job.sh
	soca-node-up
	wait_state 1 done 20
	iid=$(awsim_ctl GET state | jq -r '.instances[0].InstanceId')
	hash=$(awsim_ctl GET state | jq -r '.instances[0].Tags."soca:ResourceHash"')
	[ ${#hash} = 16 ]
	wait_inst "$iid" "idle $hash"
	# the second job goes to the idle instance: no RunInstances, no
	# CreateFleet (its DryRun is the first job's, cached)
	soca-submit -q shared -N b job.sh
	soca-node-up
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]	# a DryRun, a launch
	[ "$(awsim_calls ec2:CreateFleet)" = 0 ]
	wait_state 2 done 20
	[ "$(awsim_ctl GET state | jq '.instances | length')" = 1 ]
	# job 2 waited for no boot: the type's boot time is still job 1's alone
	run soca-submit --estimate --json -q shared -- true
	[ "$(jq -r 'select(.item == "boot time") | .what | test("c5\\.large, [0-9.]+ s measured \\(mean of the last 1\\)$")' <<<"$output")" = true ]
	[ "$(awsim_ctl GET launches | jq -cS .by_token)" = '{"soca-boot1-1-0":1}' ]
	grep -qx "instance $iid" "$BATS_TEST_TMPDIR/spool/aws/2"
	[ "$(sed 's/job . on //' a.o1)" = "$(sed 's/job . on //' b.o2)" ]
	# a job that sleeps: busy, kept however old its file
	printf '#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.1; done\n' >wait.sh
	soca-submit -q shared -N c wait.sh
	soca-node-up
	wait_state 3 running 20
	wait_inst "$iid" "busy 3"
	run soca-node-ls -n -o id,job,shared
	assert_output --regexp "^$iid +1 +busy 3\$"
	touch -d '-10 min' "$BATS_TEST_TMPDIR/spool/aws/inst/$iid"
	run soca-node-down
	assert_success
	refute_output --partial "$iid terminate"
	# idle, but less than terminate_when_idle: kept
	touch go
	wait_state 3 done 20
	wait_inst "$iid" "idle $hash"
	run soca-node-down
	refute_output --partial "$iid terminate"
	[ "$(awsim_calls ec2:TerminateInstances)" = 0 ]
	# idle longer than terminate_when_idle (1 min): terminated
	touch -d '-2 min' "$BATS_TEST_TMPDIR/spool/aws/inst/$iid"
	run soca-node-down
	assert_success
	assert_output --partial "$iid terminate job 1: idle"
	[ "$(awsim_ctl GET state | jq -r '.instances[0].State')" = shutting-down ]
	[ ! -e "$BATS_TEST_TMPDIR/spool/aws/inst/$iid" ]
	[ "$(awsim_calls ec2:TerminateInstances)" = 1 ]
}

@test "multiple_jobs: different resources get their own instance" {
	mkdir wd && cd wd
	soca-submit -q shared -l root_size=20 <<<'true'
	soca-node-up
	wait_state 1 done 20
	iid=$(awsim_ctl GET state | jq -r '.instances[0].InstanceId')
	wait_inst "$iid" "idle .*"
	soca-submit -q shared -l root_size=30 <<<'true'
	soca-node-up
	wait_state 2 done 20
	[ "$(awsim_ctl GET launches | jq .instances)" = 2 ]
	run awsim_ctl GET state
	[ "$(jq -r '[.instances[].Tags."soca:ResourceHash"] | unique | length' <<<"$output")" = 2 ]
	# both idle past terminate_when_idle: both go
	touch -d '-2 min' "$BATS_TEST_TMPDIR"/spool/aws/inst/i-*
	run soca-node-down
	[ "$(grep -c ' terminate job [12]: idle' <<<"$output")" = 2 ]
}

@test "CreateFleet: the launch template's user data finds the job in the instance's tags" {
	mkdir wd && cd wd
	ud=$(soca-node-up -u)
	base64 -d <<<"$ud" | grep -qx 'SOCA_JOB_ID='
	soca-aws ec2 CreateLaunchTemplate LaunchTemplateName=soca-boot1 \
	    LaunchTemplateData.ImageId=ami-0a1b2c3d4e5f60001 \
	    LaunchTemplateData.UserData="$ud" \
	    LaunchTemplateData.MetadataOptions.HttpTokens=required \
	    LaunchTemplateData.MetadataOptions.InstanceMetadataTags=enabled >/dev/null
	sed -i 's/^launch_rate = 0$/launch_rate = 0\nlaunch_template = soca-boot1/' "$SOCA_CONF"
	printf '#!/bin/sh\necho "fleet job $PBS_JOBID on $(cat "$PBS_NODEFILE")"\n' >job.sh
	soca-submit -N fl -l instance_type=c5.large+c5.xlarge job.sh
	soca-node-up
	[ "$(awsim_calls ec2:CreateFleet)" = 2 ]	# the DryRun and the launch
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	wait_state 1 done 20
	ip=$(awsim_ctl GET state | jq -r '.instances[0].PrivateIpAddress')
	run cat fl.o1
	assert_output "fleet job 1 on ip-${ip//./-}.ec2.internal"
	run soca-node-down
	assert_output --partial "terminate job 1: done"
}

@test "boot time: an instance's first job measures its type's boot; the estimate adds nodes x price x that time" {
	awsim_ctl POST bootdelay '{"seconds": 2}' >/dev/null
	est='-l instance_type=p4d.24xlarge,nodes=4,walltime=1h'
	run soca-submit --estimate --json $est -- true
	assert_success
	[ "$(jq -r 'select(.item == "boot time") | "\(.what) \(.quantity) \(.usd)"' <<<"$output")" = "no boot time measured yet for p4d.24xlarge 0 0" ]
	before=$(jq -r 'select(.item == "total") | .usd' <<<"$output")
	[ "$(jq -n "$before * 10000 | round")" = 1310904 ]
	soca-submit -l instance_type=p4d.24xlarge -- true >/dev/null
	soca-node-up
	wait_state 1 done 30
	run soca-submit --estimate --json $est -- true
	assert_success
	row=$(jq -c 'select(.item == "boot time")' <<<"$output")
	after=$(jq -r 'select(.item == "total") | .usd' <<<"$output")
	secs=$(jq -r '.what | capture("^4 x p4d\\.24xlarge, (?<s>[0-9.]+) s measured \\(mean of the last 1\\)$") | .s' <<<"$row")
	# from the launch to the job's start: at least awsim's boot delay
	awk -v s="$secs" 'BEGIN { exit !(s >= 2 && s < 30) }'
	# 4 nodes x 32.7726 $/h x secs, and the total grows by just that
	awk -v s="$secs" -v q="$(jq .quantity <<<"$row")" -v u="$(jq .usd <<<"$row")" \
	    -v b="$before" -v a="$after" 'BEGIN {
		d = q - 4 * s / 3600; e = u - 4 * s / 3600 * 32.7726; f = a - b - u
		exit !(d * d < 1e-8 && e * e < 1e-8 && f * f < 1e-8 && u > 0.07) }'
	# a later measure moves the figure: the mean of both
	soca-submit -l instance_type=p4d.24xlarge -- true >/dev/null
	soca-node-up
	wait_state 2 done 30
	run soca-submit --estimate --json $est -- true
	[ "$(jq -r 'select(.item == "boot time") | .what | test("^4 x p4d\\.24xlarge, [0-9.]+ s measured \\(mean of the last 2\\)$")' <<<"$output")" = true ]
}
