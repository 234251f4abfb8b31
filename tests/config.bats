#!/usr/bin/env bats
# soca-config(1): check, show, get, keys.

load lib/helper

setup() {
	soca_test_env
}

@test "check: the example configuration is sound" {
	run soca-config check "$SOCA_SRCDIR/etc/soca.conf.example"
	assert_success
	assert_output --partial "soca.conf.example: ok (3 queues, 1 project)"
}

@test "check: no file at all means the built-in defaults" {
	run soca-config check
	assert_success
	assert_output "no configuration file, built-in defaults: ok (5 queues, 0 projects)"
}

@test "check: SOCA_CONF and -c choose the file, -c first" {
	SOCA_CONF="$SOCA_DATA/bad-configs/unknown-key.conf" run soca-config check
	assert_failure 2
	SOCA_CONF="$SOCA_DATA/bad-configs/unknown-key.conf" \
		run soca-config -c "$SOCA_DATA/good.conf" check
	assert_success
}

@test "check: 10,000 queues, each found by name, a duplicate merged" {
	local f="$BATS_TEST_TMPDIR/many.conf"
	{
		printf '[cluster]\ndefault_queue = q9999\n'
		for ((i = 0; i < 10000; i++)); do
			printf '[queue "q%d"]\ndescription = queue %d\n' "$i" "$i"
		done
		printf '[queue "q17"]\nnodes = 3\n'
	} >"$f"
	run soca-config -c "$f" check
	assert_success
	assert_output "$f: ok (10000 queues, 0 projects)"
	run soca-config -c "$f" get queue.q4321.description
	assert_success
	assert_output "queue 4321"
	run soca-config -c "$f" get queue.q17.nodes
	assert_output "3"
}

@test "check: unknown section, with file:line and a suggestion" {
	run soca-config check "$SOCA_DATA/bad-configs/unknown-section.conf"
	assert_failure 2
	assert_line "soca-config: $SOCA_DATA/bad-configs/unknown-section.conf:3: unknown section [nosuch]"
	assert_line --partial "1 problem"
}

@test "check: unknown key, with the key it was meant to be" {
	run soca-config check "$SOCA_DATA/bad-configs/unknown-key.conf"
	assert_failure 2
	assert_line --partial "unknown-key.conf:2: unknown key nmae in [cluster] (did you mean name?)"
}

@test "check: bad value type names the value and the rule" {
	run soca-config check "$SOCA_DATA/bad-configs/bad-type.conf"
	assert_failure 2
	assert_line --partial 'bad-type.conf:2: bad value "lots" for nodes: expected a whole number from 1 to 10000'
}

@test "check: duplicate key names the first line" {
	run soca-config check "$SOCA_DATA/bad-configs/duplicate-key.conf"
	assert_failure 2
	assert_line --partial "duplicate-key.conf:3: duplicate key name (already set on line 2; keep one)"
}

@test "check: unterminated quote" {
	run soca-config check "$SOCA_DATA/bad-configs/unterminated-quote.conf"
	assert_failure 2
	assert_line --partial "unterminated-quote.conf:2: unterminated quote"
}

@test "check: bad cross-reference between a queue's default and its policy" {
	run soca-config check "$SOCA_DATA/bad-configs/bad-cross-reference.conf"
	assert_failure 2
	assert_line --partial 'bad-cross-reference.conf:5: queue "q": its default instance type m5.large is not allowed in queue "q" (allowed: c5)'
}

@test "check: every problem is reported, in line order" {
	printf '[cluster]\nfoo = 1\nname = x\nname = y\n[queue "normal"]\nnodes = 0\n' >many.conf
	run soca-config check many.conf
	assert_failure 2
	assert_equal "${lines[0]}" "soca-config: many.conf:2: unknown key foo in [cluster]"
	assert_line --index 1 --partial "many.conf:4: duplicate key name"
	assert_line --index 2 --partial "many.conf:6: bad value \"0\" for nodes"
	assert_line --index 3 "soca-config: many.conf: 3 problems"
}

# efs_conf LIST [AWS LINES]: a queue "apps" with efs_mounts = LIST
efs_conf() {
	printf '[cluster]\ndefault_queue = apps\n[aws]\n%s\n[queue "apps"]\nefs_mounts = %s\n' "${2:-}" "$1" >efs.conf
}

@test "check: [queue] efs_mounts, each SOURCE=MOUNTPOINT[:ro] the nodes can mount; each refusal names the item, the rule and the fix" {
	efs_conf 'fs-0123abcd:/=/apps:ro, fs-0123456789abcdef0:/data=/data2, fs-0123abcd.efs.us-east-1.amazonaws.com:/=/sw, nfs1.example.com:/export/tools=/tools:ro, 10.0.0.5:/x=/opt/x, fs-0123abcd=/ref'
	run soca-config check efs.conf
	assert_success
	local -A bad=(
		['/apps']='not SOURCE=MOUNTPOINT[:ro]'
		['fs-0123=/apps']='an EFS id is fs- and 8 or 17 lowercase hex digits'
		['fs-0123ABCD:/=/apps']='an EFS id is fs- and 8 or 17 lowercase hex digits'
		['fs-0123abcd:apps=/apps']='the path after an EFS id is absolute (fs-ID:/path)'
		['nfs1=/apps']='the source is fs-ID[:/path] or HOST:/path'
		['nfs1:data=/apps']='the source is fs-ID[:/path] or HOST:/path'
		['-x:/d=/apps']='the source is fs-ID[:/path] or HOST:/path'
		['fs-0123abcd:/=apps']='the mount point is an absolute path below /'
		['fs-0123abcd:/=/']='the mount point is an absolute path below /'
		['fs-0123abcd:/=/a/../etc']='with no "." or ".." part'
		['fs-0123abcd:/=/apps:rw']='only :ro may follow it'
		['fs-0123abcd:/=/apps, nfs1:/x=/apps:ro']='"nfs1:/x=/apps:ro": its mount point is named twice'
	)
	for item in "${!bad[@]}"; do
		efs_conf "$item"
		run soca-config check efs.conf
		assert_failure 2
		assert_output --partial "queue \"apps\": efs_mounts \"${item##*, }\": "
		assert_output --partial "${bad[$item]}"
		assert_output --partial "; write SOURCE=MOUNTPOINT[:ro], e.g. fs-0123abcd:/=/apps:ro or nfs1:/data=/data"
	done
	# the mount points soca's user data makes itself: not the same, not inside, not around
	efs_conf 'fs-0123abcd:/=/scratch'
	run soca-config check efs.conf
	assert_failure 2
	assert_output --partial 'queue "apps": efs_mounts "fs-0123abcd:/=/scratch": /scratch is /scratch (the scratch mount, which soca mounts itself) or lies inside it or around it; mount it elsewhere, e.g. /apps'
	efs_conf 'fs-0123abcd:/=/data/apps:ro'
	run soca-config check efs.conf
	assert_failure 2
	assert_output --partial '/data/apps is /data (shared_fs_mount, which soca mounts itself)'
	efs_conf 'fs-0123abcd:/=/mnt' 'fsx_mount = /mnt/fsx'
	run soca-config check efs.conf
	assert_failure 2
	assert_output --partial '/mnt is /mnt/fsx (fsx_mount, which soca mounts itself)'
	efs_conf 'fs-0123abcd:/=/data/apps:ro' 'shared_fs_mount = /shared'
	run soca-config check efs.conf
	assert_success
}

@test "check: a missing file is an error that names it" {
	run soca-config check /nonexistent/soca.conf
	assert_failure 2
	assert_output "soca-config: /nonexistent/soca.conf: No such file or directory"
}

@test "check: binary garbage never crashes" {
	head -c 4096 /dev/urandom >garbage.conf
	printf '\0\0[cluster\n\xff\xfe = \x01\n' >>garbage.conf
	run soca-config check garbage.conf
	assert_failure 2
	refute_output --partial "Segmentation"
	refute_output --regexp $'\x1b'
}

@test "show: effective configuration with defaults marked and secrets redacted" {
	run soca-config -c "$SOCA_DATA/good.conf" show
	assert_success
	assert_line "name = test"
	assert_line "provider = local	# default"
	assert_line '[queue "batch"]'
	assert_line "max_running_jobs = 4"
	assert_line "bind_password = <redacted>"
	refute_output --partial hunter2
}

@test "show: the output is itself a sound configuration" {
	soca-config -c "$SOCA_DATA/good.conf" show >effective.conf
	run soca-config check effective.conf
	assert_success
	run soca-config -c effective.conf get queue.batch.instance_type
	assert_output "c5.large"
}

@test "show -J: one typed JSON object a key" {
	run soca-config -c "$SOCA_DATA/good.conf" show -J queue
	assert_success
	assert_line '{"section":"queue","name":"batch","key":"max_running_jobs","value":4,"default":false}'
	assert_line '{"section":"queue","name":"batch","key":"allowed_instance_types","value":["c5"],"default":false}'
	assert_line '{"section":"queue","name":"batch","key":"enabled","value":true,"default":true}'
	run soca-config -c "$SOCA_DATA/good.conf" -J show ldap
	assert_line '{"section":"ldap","name":null,"key":"bind_password","value":"<redacted>","default":false}'
}

@test "show: a section that does not exist exits 1" {
	run soca-config show queue.nosuch
	assert_failure 1
	assert_output ""
	run soca-config show nosuch
	assert_failure 2
	assert_output --partial 'unknown section "nosuch"'
}

@test "show refuses a configuration with problems" {
	run soca-config -c "$SOCA_DATA/bad-configs/bad-type.conf" show
	assert_failure 2
	assert_line --partial "run soca-config check"
}

@test "get: values, defaults, unset and unknown keys" {
	run soca-config -c "$SOCA_DATA/good.conf" get cluster.name
	assert_success
	assert_output "test"
	run soca-config get cluster.default_queue
	assert_output "normal"
	run soca-config get queue.job-shared.scaling_mode
	assert_output "multiple_jobs"
	run soca-config get queue.normal.max_running_jobs
	assert_failure 1
	assert_output ""
	run soca-config get cluster.nosuch
	assert_failure 2
	assert_output --partial 'unknown key "nosuch" in [cluster]'
	run soca-config get queue.max_running_jobs
	assert_failure 2
	assert_output --partial "expected queue.NAME.max_running_jobs"
}

@test "get: the default spool follows XDG_STATE_HOME, else HOME" {
	XDG_STATE_HOME=/srv/state run soca-config get cluster.spool
	assert_output "/srv/state/soca"
	XDG_STATE_HOME= HOME=/home/x run soca-config get cluster.spool
	assert_output "/home/x/.local/state/soca"
}

@test "keys: every key with type and default; -J" {
	run soca-config keys queue
	assert_success
	assert_line --regexp $'^queue\\.NAME\\.nodes\tinteger\t1\t'
	run soca-config keys -J cluster
	assert_line --partial '"key":"provider","type":"enum","default":"local","choices":"local|aws"'
}

@test "usage: -h to stdout exit 0, bad usage to stderr exit 2" {
	run soca-config -h
	assert_success
	assert_line --index 0 --partial "usage: soca-config"
	run soca-config
	assert_failure 2
	run soca-config frobnicate
	assert_failure 2
	assert_line --partial 'unknown command "frobnicate"'
	run soca-config -Z check
	assert_failure 2
}
