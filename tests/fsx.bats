#!/usr/bin/env bats
# fsx.bats: per-job FSx for Lustre (-l fsx_lustre) against awsim: FSx's
# rules at submission (each of SOCA's known failures), the bucket and an
# existing file system asked about before anything is stored, the
# dispatcher's CreateFileSystem (token, tags, subnet, security groups; the
# nodes launched without waiting), the nodes' user data (waits for
# AVAILABLE, mounts, fails the job loudly), and the reaper (export, then
# delete, across passes; orphans; never an existing fs-), crash points
# around creation and deletion.

load lib/helper
load lib/jobs
load lib/awsim

AMI=ami-0a1b2c3d4e5f60001
SUBNET=subnet-0a00000000000000a
SG=sg-0a1b2c3d4e5f60001

setup_file() {
	awsim_start
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
	aws_conf
}

# aws_conf [EXTRA [aws] LINES...]
aws_conf() {
	{
		printf '[cluster]\nname = t1\nprovider = aws\ndispatch = cron\n'
		printf '[aws]\nami = %s\ndryrun = no\nlaunch_rate = 0\n' "$AMI"
		printf 'subnet_ids = %s\nsecurity_group_ids = %s\n' "$SUBNET" "$SG"
		printf '%s\n' "$@"
		printf '[queue "normal"]\ninstance_type = c5.large\n'
	} >"$SOCA_CONF"
}

file_systems() {
	awsim_ctl GET fsx | jq -c '.file_systems[]'
}

# fs_create [TAG=VALUE...]: a file system made outside soca; prints its id
fs_create() {
	local tags='[]' kv
	for kv in "$@"; do
		tags=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" \
		    '. + [{Key: $k, Value: $v}]' <<<"$tags")
	done
	[ "$tags" != '[]' ] || tags=null
	soca-aws fsx CreateFileSystem "$(jq -cn --arg s "$SUBNET" \
	    --argjson t "$tags" '{FileSystemType: "LUSTRE", StorageCapacity: 1200,
	    SubnetIds: [$s]} + if $t then {Tags: $t} else {} end')" |
	    jq -r .FileSystem.FileSystemId
}

@test "submission: FSx's rules, each refusal names the value, the rule and the fix; nothing stored" {
	no_dispatch
	# SOCA #9 and its inverted check: valid sizes taken, invalid refused
	refused 'fsx_lustre_size=1000: SCRATCH_2 file systems are 1200 or a multiple of 2400 GiB; give -l fsx_lustre_size=1200' \
	    -l fsx_lustre=yes,fsx_lustre_size=1000 -- true
	refused 'give -l fsx_lustre_size=4800' -l fsx_lustre=yes,fsx_lustre_size=3600 -- true
	refused 'SCRATCH_1 file systems are 1200, 2400 or a multiple of 3600 GiB' \
	    -l fsx_lustre=yes,fsx_lustre_deployment_type=SCRATCH_1,fsx_lustre_size=4800 -- true
	refused 'SCRATCH_2 file systems have no per-unit throughput' \
	    -l fsx_lustre=yes,fsx_lustre_per_unit_throughput=200 -- true
	refused 'PERSISTENT_2 takes 125, 250, 500, 1000 MB/s/TiB' \
	    -l fsx_lustre=yes,fsx_lustre_deployment_type=PERSISTENT_2,fsx_lustre_per_unit_throughput=200 -- true
	refused 'not an S3 bucket name' -l fsx_lustre=s3://My_Bucket -- true
	refused 'not an FSx file system id' -l fsx_lustre=fs-1 -- true
	refused 'without fsx_lustre' -l fsx_lustre_size=2400 -- true
	refused 'keeps its own settings' -l fsx_lustre=fs-0123456789abcdef0,fsx_lustre_size=2400 -- true
	run soca-submit -l fsx_lustre=yes,fsx_lustre_size=2400 -- true
	assert_success
	run soca-submit -l fsx_lustre=yes,fsx_lustre_deployment_type=SCRATCH_1,fsx_lustre_size=7200 -- true
	assert_success
	# PERSISTENT_2 without a throughput: the lowest, 125
	run soca-submit -l fsx_lustre=yes -l fsx_lustre_deployment_type=persistent_2 -- true
	assert_success
	run soca-stat -f 3
	assert_line 'res=fsx_lustre_deployment_type=PERSISTENT_2'
	assert_line 'res=fsx_lustre_per_unit_throughput=125'
	# SOCA #130: a trailing slash is normalised, not a crash
	printf '#PBS -l fsx_lustre=s3://results-1/runs/\ntrue\n' >job.sh
	run soca-submit job.sh
	assert_success
	run soca-stat -f 4
	assert_line 'res=fsx_lustre=s3://results-1/runs'
	refute_output --partial 'runs/'
	# a site without FSx (the stack's EnableFsx = false): refused, named
	printf '[aws]\nfsx = no\n' >>"$SOCA_CONF"
	n=$(spool_count queued)
	run soca-submit -l fsx_lustre=yes -- true
	assert_failure 2
	assert_output --partial 'FSx for Lustre is off at this site ([aws] fsx = no)'
	[ "$(spool_count queued)" -eq "$n" ]
}

@test "submission (aws): the bucket must answer HeadBucket, an fs- must exist, before anything is stored" {
	refused 'bucket results-1 does not exist; create it' -l fsx_lustre=s3://results-1/ -- true
	[ "$(awsim_calls s3:HeadBucket)" = 1 ]
	refused 'no such file system in this region' -l fsx_lustre=fs-0123456789abcdef0 -- true
	soca-aws s3 CreateBucket Bucket=results-1 >/dev/null
	run soca-submit -l fsx_lustre=s3://results-1/ -- true
	assert_success
	assert_output 1
	fs=$(fs_create)
	run soca-submit -l fsx_lustre="$fs" -- true
	assert_success
	assert_output 2
	# S3 not answering: a temporary refusal (3), nothing stored
	awsim_ctl POST faults '{"op": "s3:HeadBucket", "kind": "error", "status": 500}' >/dev/null
	run soca-submit -l fsx_lustre=s3://results-1 -- true
	assert_failure 3
	assert_output --partial 'S3 cannot be asked about bucket results-1'
	[ "$(spool_count queued)" = 2 ]
	[ "$(awsim_calls fsx:CreateFileSystem)" = 1 ]	# fs_create's only
}

@test "dispatch: one CreateFileSystem with token, tags, subnet and groups; nodes launched without waiting" {
	soca-aws s3 CreateBucket Bucket=results-1 >/dev/null
	aws_conf "user_data = $SOCA_SRCDIR/etc/user-data.sh"
	soca-submit -N fsjob -l nodes=2 -l fsx_lustre=s3://results-1/run/ \
	    -l fsx_lustre_deployment_type=PERSISTENT_1 -l fsx_lustre_size=2400 <<<'true'
	run soca-node-up -v
	assert_success
	assert_output "1 job launched"
	[ "$(awsim_calls fsx:CreateFileSystem)" = 1 ]
	[ "$(awsim_calls fsx:DescribeFileSystems)" = 0 ]
	[ "$(awsim_calls ec2:RunInstances)" = 1 ]
	run awsim_requests fsx:CreateFileSystem
	req=$output
	[ "$(jq -r .ClientRequestToken <<<"$req")" = soca-fsx-t1-1-0 ]
	[ "$(jq -c .SubnetIds <<<"$req")" = "[\"$SUBNET\"]" ]
	[ "$(jq -c .SecurityGroupIds <<<"$req")" = "[\"$SG\"]" ]
	[ "$(jq -c .LustreConfiguration <<<"$req")" = '{"DeploymentType":"PERSISTENT_1","PerUnitStorageThroughput":50,"ImportPath":"s3://results-1/run","ExportPath":"s3://results-1/run"}' ]
	[ "$(jq .StorageCapacity <<<"$req")" = 2400 ]
	tags=$(jq -c '[.Tags[] | {(.Key): .Value}] | add' <<<"$req")
	[ "$(jq -r '."soca:ClusterId"' <<<"$tags")" = t1 ]
	[ "$(jq -r '."soca:JobId"' <<<"$tags")" = 1 ]
	[ "$(jq -r '."soca:JobName"' <<<"$tags")" = fsjob ]
	[ "$(jq -r '."soca:JobOwner"' <<<"$tags")" = "$(id -un)" ]
	[ "$(jq -r '."soca:NodeType"' <<<"$tags")" = fsx_lustre ]
	[ "$(jq -r '."soca:JobAttempt"' <<<"$tags")" = 0 ]
	[ "$(jq -r .Name <<<"$tags")" = soca-t1-job1 ]
	# the file system is still CREATING: the nodes wait for it themselves
	[ "$(file_systems | jq -r .Lifecycle)" = CREATING ]
	fs=$(file_systems | jq -r .FileSystemId)
	ud=$(awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d)
	grep -qx "SOCA_FSX_ID='$fs'" <<<"$ud"
	grep -qx "SOCA_FSX_DNS='$fs.fsx.us-east-1.amazonaws.com'" <<<"$ud"
	grep -qx "SOCA_FSX_MOUNTNAME='$(file_systems | jq -r .LustreConfiguration.MountName)'" <<<"$ud"
	grep -qx "SOCA_FSX_MNT='/fsx'" <<<"$ud"
	grep -qx "SOCA_FSX_WAIT='1800'" <<<"$ud"
	! grep -q '%%' <<<"$ud"
	sh -n <<<"$ud"
	shellcheck -s sh - <<<"$ud"
	# scratch: the EBS volume by its mapped name, else the instance store
	grep -q 'for d in /dev/xvdbx /dev/sdbx; do' <<<"$ud"
	grep -q 'nvme-Amazon_EC2_NVMe_Instance_Storage_' <<<"$ud"
	grep -q 'mdadm --create "$dev" --run --level=0' <<<"$ud"
}

@test "CreateFleet launches (several types, a Spot mix) cannot mount a job's file system: refused at submission, and at dispatch, nothing created" {
	soca-aws ec2 CreateLaunchTemplate LaunchTemplateName=soca-t1 \
	    LaunchTemplateData.ImageId=$AMI >/dev/null
	aws_conf 'launch_template = soca-t1'
	refused 'fsx_lustre=yes with several instance types: such jobs launch with CreateFleet from [aws] launch_template, whose user data is the same for every job and cannot mount the job'"'"'s file system; give one instance type, or drop fsx_lustre' \
	    -l fsx_lustre=yes,instance_type=c5.large+c5.xlarge -- true
	refused 'fsx_lustre=yes with spot_allocation_count (a Spot/On-Demand mix): such jobs launch with CreateFleet' \
	    -l fsx_lustre=yes,nodes=2,spot_allocation_count=1 -- true
	assert_output --partial 'give one instance type and all nodes Spot or none (no spot_allocation_count), or drop fsx_lustre'
	# one type, or several without FSx: taken
	run soca-submit -l fsx_lustre=yes -- true
	assert_success
	run soca-submit -l instance_type=c5.large+c5.xlarge -- true
	assert_success
	# soca-alter cannot make such a job either
	run soca-alter -l instance_type=c5.large+c5.xlarge 1
	assert_failure 2
	assert_output --partial 'such jobs launch with CreateFleet'
	# a job that got so past the checks (written by hand) fails at dispatch,
	# before any file system or instance is made
	sed -i 's/^res=instance_type=c5\.large$/res=instance_type=c5.large+c5.xlarge/' "$(spool_dir)/queued/1"
	grep -qx 'res=instance_type=c5.large+c5.xlarge' "$(spool_dir)/queued/1"
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial failed
	assert_output --partial 'such jobs launch with CreateFleet'
	[ "$(awsim_calls fsx:CreateFileSystem)" = 0 ]
	[ "$(awsim_calls ec2:CreateFleet)" = 1 ]	# job 2's
	[ -z "$(file_systems)" ]
}

@test "a crash right after CreateFileSystem creates nothing twice" {
	soca-submit -l fsx_lustre=yes <<<'true'
	SOCA_CRASH_AT=fsx-after-create run soca-node-up
	[ "$status" -ne 0 ]
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	# the job is requeued (by boot_timeout, or an admin) and dispatched again
	mv "$(spool_dir)/provisioning/1" "$(spool_dir)/queued/1"
	run soca-node-up -v
	assert_output "1 job launched"
	[ "$(awsim_calls fsx:CreateFileSystem)" = 2 ]
	[ "$(file_systems | wc -l)" = 1 ]
	# and a crash after RunInstances: the rerun asks again, still one
	soca-submit -l fsx_lustre=yes <<<'true'
	SOCA_CRASH_AT=aws-after-run run soca-node-up
	mv "$(spool_dir)/provisioning/2" "$(spool_dir)/queued/2"
	soca-node-up
	[ "$(file_systems | wc -l)" = 2 ]
	[ "$(awsim_ctl GET launches | jq .instances)" = 2 ]
}

@test "FSx refuses the file system: the job fails with FSx's message, no node launched" {
	# no subnet in the job nor in [aws]: FSx refuses (BadRequest)
	printf '[cluster]\nname = t1\nprovider = aws\ndispatch = cron\n[aws]\nami = %s\ndryrun = no\nlaunch_rate = 0\n[queue "normal"]\ninstance_type = c5.large\n' "$AMI" >"$SOCA_CONF"
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	run soca-stat -n -o state,reason 1
	assert_output --partial failed
	assert_output --partial 'FSx for Lustre: CreateFileSystem: BadRequest: A subnet ID is required'
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	# throttled: the job is held and tried again, not failed
	aws_conf
	awsim_ctl POST faults '{"op": "fsx:CreateFileSystem", "kind": "throttle"}' >/dev/null
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	[ "$(awsim_calls fsx:CreateFileSystem)" = 4 ]	# 1, then AWS_MAX_ATTEMPTS
	run soca-stat -n -o reason 2
	assert_output --partial ThrottlingException
	run soca-stat -n -o state 2
	assert_output queued
	awsim_ctl DELETE faults >/dev/null
	soca-node-up
	run soca-stat -n -o state 2
	assert_output provisioning
}

@test "reaper: export first, across passes without waiting, then delete" {
	soca-aws s3 CreateBucket Bucket=results-1 >/dev/null
	soca-submit -l fsx_lustre=s3://results-1/out <<<'true'
	soca-node-up
	fs=$(file_systems | jq -r .FileSystemId)
	soca-del 1
	run soca-node-down	# still CREATING: left for a later pass
	assert_success
	[ "$(awsim_calls fsx:CreateDataRepositoryTask)" = 0 ]
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 0 ]
	awsim_advance 300
	run soca-node-down
	assert_output --partial "fsx $fs: exporting to its bucket"
	[ "$(awsim_calls fsx:CreateDataRepositoryTask)" = 1 ]
	[ "$(awsim_requests fsx:CreateDataRepositoryTask | jq -r .Type)" = EXPORT_TO_REPOSITORY ]
	awsim_advance 30	# EXECUTING
	run soca-node-down
	refute_output --partial "fsx $fs"
	[ "$(awsim_calls fsx:CreateDataRepositoryTask)" = 1 ]
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 0 ]
	awsim_advance 200	# SUCCEEDED
	run soca-node-down
	assert_output --partial "fsx $fs: deleted (its job ended)"
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 1 ]
	[ "$(file_systems | jq -r .Lifecycle)" = DELETING ]
	awsim_advance 60
	[ -z "$(file_systems)" ]
}

@test "reaper: a failed export keeps the file system and says so; no export path deletes at once" {
	soca-aws s3 CreateBucket Bucket=results-1 >/dev/null
	soca-submit -l fsx_lustre=s3://results-1 <<<'true'
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	soca-del 1 2
	awsim_advance 300
	awsim_ctl POST fsx '{"next_export": "fail"}' >/dev/null
	run soca-node-down
	assert_output --regexp "fsx fs-[0-9a-f]+: deleted \(its job ended\)"
	assert_output --partial "exporting"
	awsim_advance 300
	run soca-node-down
	assert_output --partial "export FAILED (the file system is kept, the job's results are only there"
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 1 ]
	[ "$(file_systems | jq -r .Lifecycle)" = AVAILABLE ]
}

@test "reaper: an export that never finishes is waited for [aws] fsx_export_timeout, then the file system is kept and reported" {
	soca-aws s3 CreateBucket Bucket=results-1 >/dev/null
	aws_conf 'fsx_export_timeout = 2h'
	soca-submit -l fsx_lustre=s3://results-1/out <<<'true'
	soca-node-up
	fs=$(file_systems | jq -r .FileSystemId)
	soca-del 1
	awsim_advance 300
	awsim_ctl POST fsx '{"next_export": "stuck"}' >/dev/null
	run soca-node-down
	assert_output --partial "fsx $fs: exporting to its bucket"
	task=$(soca-aws fsx DescribeDataRepositoryTasks | jq -r '.DataRepositoryTasks[0].TaskId')
	made=$(soca-aws fsx DescribeDataRepositoryTasks | jq -r '.DataRepositoryTasks[0].CreationTime | floor')
	awsim_advance 30	# EXECUTING, for ever
	# the reaper's clock 1 s short of the timeout: still waiting, quietly
	SOCA_NOW=$((made + 7199)) run soca-node-down
	assert_success
	refute_output --partial "fsx $fs"
	# at the timeout: kept, said on every pass, never deleted
	for pass in 1 2; do
		SOCA_NOW=$((made + 7200 + pass * 3600)) run soca-node-down
		assert_success
		assert_output --partial "fsx $fs: export timed out (task $task still EXECUTING after [aws] fsx_export_timeout 2h) (the file system is kept, the job's results are only there; finish by hand (soca-node-down(1), FSx exports), then delete it with aws fsx delete-file-system)"
	done
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 0 ]
	[ "$(awsim_calls fsx:CreateDataRepositoryTask)" = 1 ]
	[ "$(file_systems | jq -r .Lifecycle)" = AVAILABLE ]
	# soca-doctor shows it too
	SOCA_NOW=$((made + 7200)) run soca-doctor -n -o status,check,detail
	assert_line --regexp "^warn +fsx +$fs: export timed out"
}

@test "an existing fs- is mounted, never created nor deleted" {
	aws_conf "user_data = $SOCA_SRCDIR/etc/user-data.sh"
	fs=$(fs_create)
	soca-submit -l fsx_lustre="$fs" <<<'true'
	soca-node-up
	[ "$(awsim_calls fsx:CreateFileSystem)" = 1 ]	# fs_create's
	ud=$(awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d)
	grep -qx "SOCA_FSX_ID='$fs'" <<<"$ud"
	soca-del 1
	awsim_advance 300
	run soca-node-down
	assert_success
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 0 ]
	[ "$(file_systems | jq -r .Lifecycle)" = AVAILABLE ]
}

@test "orphans: this cluster's file system whose job is gone is deleted, others are kept" {
	soca-submit <<<'true' >/dev/null	# a spool to reap
	orphan=$(fs_create soca:ClusterId=t1 soca:JobId=99)
	other=$(fs_create soca:ClusterId=other soca:JobId=99)
	untagged=$(fs_create soca:ClusterId=t1)
	awsim_advance 300
	run soca-node-down
	assert_success
	assert_output --partial "fsx $orphan: deleted (orphan: its job is gone)"
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 1 ]
	[ "$(file_systems | jq -r 'select(.Lifecycle == "AVAILABLE") | .FileSystemId' | sort)" = "$(printf '%s\n' "$other" "$untagged" | sort)" ]
	# [aws] fsx = no: the sweep leaves FSx alone
	aws_conf 'fsx = no'
	before=$(awsim_calls fsx:DescribeFileSystems)
	soca-node-down
	[ "$(awsim_calls fsx:DescribeFileSystems)" = "$before" ]
}

@test "a crash before DeleteFileSystem: the next pass deletes it; a requeued job's old one goes too" {
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	soca-del 1
	awsim_advance 300
	SOCA_CRASH_AT=fsx-before-delete run soca-node-down
	[ "$status" -ne 0 ]
	[ "$(file_systems | jq -r .Lifecycle)" = AVAILABLE ]
	run soca-node-down
	assert_output --partial "deleted (its job ended)"
	[ "$(file_systems | jq -r .Lifecycle)" = DELETING ]
}

@test "a requeued job's earlier file system is deleted, the new attempt's kept" {
	aws_conf 'boot_timeout = 0s'
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	run soca-node-down	# requeued: instances gone, attempt 1 next
	assert_output --partial "1 queued requeued"
	soca-node-up
	[ "$(awsim_requests fsx:CreateFileSystem | jq -r .ClientRequestToken | paste -sd' ')" = "soca-fsx-t1-1-0 soca-fsx-t1-1-1" ]
	awsim_advance 300
	run soca-node-down
	assert_output --partial "deleted (its job was requeued)"
	[ "$(awsim_calls fsx:DeleteFileSystem)" = 1 ]
	[ "$(file_systems | jq -r '.Lifecycle + " " + (.Tags | from_entries | ."soca:JobAttempt")' | sort | paste -sd,)" = "AVAILABLE 1,DELETING 0" ]
}

# the rendered user data of job 1's first instance, run with stubs for
# what only an EC2 node has (mount, mountpoint; soca-node-run if asked)
run_user_data() {
	local ud=$BATS_TEST_TMPDIR/ud.sh stubs=$BATS_TEST_TMPDIR/stubs
	awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d >"$ud"
	mkdir -p "$stubs"
	printf '#!/bin/sh\necho "mount $*" >>%s/calls\n[ ! -e %s/mount-fails ]\n' \
	    "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" >"$stubs/mount"
	printf '#!/bin/sh\nexit 1\n' >"$stubs/mountpoint"
	printf '#!/bin/sh\nexit 0\n' >"$stubs/logger"
	if [ "${1:-}" = stub-run ]; then
		printf '#!/bin/sh\necho "soca-node-run $*" >>%s/calls\n' "$BATS_TEST_TMPDIR" >"$stubs/soca-node-run"
	fi
	chmod +x "$stubs"/*
	PATH="$stubs:$PATH" run sh "$ud"
}

@test "user data: a file system never AVAILABLE within fsx_wait fails the job loudly" {
	aws_conf "user_data = $SOCA_SRCDIR/etc/user-data.sh" 'fsx_wait = 0s' \
	    "fsx_mount = $BATS_TEST_TMPDIR/fsx"
	awsim_ctl POST fsx '{"next_create": "stuck"}' >/dev/null
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	fs=$(file_systems | jq -r .FileSystemId)
	run_user_data
	assert_failure 1
	assert_output --partial "soca: job 1: FSx $fs not AVAILABLE after 0s (CREATING)"
	run soca-stat -n -o state,reason 1
	assert_output --partial failed
	assert_output --partial "node: FSx $fs not AVAILABLE after 0s (CREATING); raise [aws] fsx_wait"
	[ ! -e "$BATS_TEST_TMPDIR/calls" ]
}

@test "user data: a FAILED file system fails the job; an AVAILABLE one is mounted, then the job runs" {
	aws_conf "user_data = $SOCA_SRCDIR/etc/user-data.sh" \
	    "fsx_mount = $BATS_TEST_TMPDIR/fsx"
	awsim_ctl POST fsx '{"next_create": "fail"}' >/dev/null
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	awsim_advance 300
	run_user_data
	assert_failure 1
	run soca-stat -n -o reason 1
	assert_output --regexp "node: FSx fs-[0-9a-f]+ is FAILED, not AVAILABLE"
	awsim_reset
	soca-submit -l fsx_lustre=yes <<<'true'
	soca-node-up
	awsim_advance 300
	fs=$(file_systems | jq -r .FileSystemId)
	mount=$(file_systems | jq -r .LustreConfiguration.MountName)
	run_user_data stub-run
	assert_success
	run cat "$BATS_TEST_TMPDIR/calls"
	assert_line "mount -t lustre -o relatime,flock $fs.fsx.us-east-1.amazonaws.com@tcp:/$mount $BATS_TEST_TMPDIR/fsx"
	assert_line "soca-node-run 2"
	[ -d "$BATS_TEST_TMPDIR/fsx" ]
}

@test "user data: a queue's efs_mounts are mounted with EFS's options, read-only where asked; one that fails fails the job" {
	aws_conf "user_data = $SOCA_SRCDIR/etc/user-data.sh" 'region = us-east-1'
	printf 'efs_mounts = fs-0123abcd:/=%s/apps:ro, nfs1:/data=%s/data\n' \
	    "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" >>"$SOCA_CONF"
	soca-config check >/dev/null
	soca-submit <<<'true'
	soca-node-up
	run_user_data stub-run
	assert_success
	run cat "$BATS_TEST_TMPDIR/calls"
	assert_line "mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,ro fs-0123abcd.efs.us-east-1.amazonaws.com:/ $BATS_TEST_TMPDIR/apps"
	assert_line "mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport nfs1:/data $BATS_TEST_TMPDIR/data"
	assert_line "soca-node-run 1"
	rm "$BATS_TEST_TMPDIR/calls"
	# a mount that fails fails the job, with the reason
	awsim_reset
	soca-submit <<<'true'
	soca-node-up
	rm -f "$BATS_TEST_TMPDIR/stubs/soca-node-run"
	touch "$BATS_TEST_TMPDIR/mount-fails"
	run_user_data
	assert_failure 1
	run soca-stat -n -o state,reason 2
	assert_output --partial failed
	assert_output --partial "node: cannot mount fs-0123abcd.efs.us-east-1.amazonaws.com:/ on $BATS_TEST_TMPDIR/apps ([queue normal] efs_mounts)"
	# one the nodes could not take is refused before: soca-config check
	sed -i 's|^efs_mounts = .*|efs_mounts = fs-0123abcd:/apps|' "$SOCA_CONF"
	run soca-config check
	assert_failure 2
	assert_output --partial 'queue "normal": efs_mounts "fs-0123abcd:/apps": not SOURCE=MOUNTPOINT[:ro]'
}
