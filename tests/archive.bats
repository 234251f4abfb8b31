#!/usr/bin/env bats
# soca-archive: finished jobs older than [archive] keep go to awsim's S3
# (path style, its endpoint), one gzip JSON Lines object a day, and leave
# the spool only once S3 reports the object's checksum; soca-stat --since
# reads them back.  Jobs run for real on the local provider; "now" is
# moved with SOCA_NOW instead of waiting 30 days.  Then files, an object
# each: the nodes' bootstrap logs (the spool's nodelogs/, as the user data
# leaves them; ec2boot.bats boots one) and soca's rotated logs ([archive]
# logs, here under $HOME/log), whose age is their mtime.

load lib/helper
load lib/jobs
load lib/awsim

setup_file() { awsim_start; }
teardown_file() { awsim_stop; }

setup() {
	soca_test_env
	awsim_reset
	mkdir -p "$HOME/etc"
	export SOCA_CONF="$HOME/etc/soca.conf"
	archive_conf
	soca-aws s3 CreateBucket Bucket=soca-archive >/dev/null
}

# archive_conf [KEY = VALUE ...]: the test's soca.conf, extra [archive] keys
archive_conf() {
	{
		printf '[cluster]\nname = c1\n[archive]\nbucket = soca-archive\n'
		# never the host's /var/log/soca
		printf 'logs = %s\n' "$HOME/log/*.log-*"
		printf '%s\n' "$@"
	} >"$SOCA_CONF"
}

# finish N [SCRIPT]: N jobs run to done, one after the other; LAST: the
# last one's id
finish() {
	local i id
	for ((i = 0; i < $1; i++)); do
		id=$(soca-submit <<<"${2:-true}")
		wait_state "$id" done 20
		LAST=$id
	done
}

end_of() {
	soca-stat -n -o end "$1"
}

# day: the UTC day a job ended, as in keys and --since
day() {
	date -u -d "@$(end_of "$1")" +%Y-%m-%d
}

# objects: the archive's keys, one a line
objects() {
	awsim_ctl GET s3 | jq -r '.objects["soca-archive"] | keys[]'
}

# object KEY: the object's lines, uncompressed
object() {
	awsim_ctl GET "s3?bucket=soca-archive&key=$1" | jq -r .body_b64 |
	    base64 -d | gunzip
}

ids_since() {
	soca-stat --since "$1" -n -o id | tr '\n' ' '
}

@test "old jobs leave the spool for S3 and soca-stat --since shows them" {
	finish 3
	later=$(($(end_of 3) + 31 * 86400))
	d=$(day 3)
	SOCA_NOW=$later run soca-archive
	assert_success
	assert_output --regexp "^uploaded s3://soca-archive/soca/jobs/${d//-//}/c1-[0-9a-f]{16}\.jsonl\.gz 3 jobs [0-9]+ bytes$"
	[ "$(spool_count done)" -eq 0 ]
	run soca-stat -x -n -o id
	assert_output ""
	run ids_since "$d"
	assert_output "1 2 3 "
	run soca-stat --since "$d" -n -o id,state,user
	assert_line --index 0 --regexp "^1 +done +$(id -un)$"
	# JSON Lines, gzip-compressed, each job's whole record with its script
	run object "$(objects)"
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -s 'map(.id)' -c <<<"$output")" = "[1,2,3]" ]
	[ "$(jq -s 'map(.cluster + " " + .state) | unique[]' -r <<<"$output")" = "c1 done" ]
	[ "$(jq -r 'select(.id == 2) | .record' <<<"$output" | grep -c '^script=true')" = 1 ]
	# its checksum is the one S3 keeps and reports
	run awsim_ctl GET s3
	[ "$(jq -r '.objects["soca-archive"][].checksum.sha256' <<<"$output")" != null ]
	# the day after: nothing of that day
	run ids_since "$(date -u -d "$d + 1 day" +%Y-%m-%d)"
	assert_output ""
}

@test "young jobs stay; a job is archived once it ended keep ago" {
	finish 1
	e1=$(end_of 1)
	while [ "$(date +%s)" -le "$e1" ]; do sleep 0.1; done
	finish 1
	SOCA_NOW=$((e1 + 29 * 86400)) run soca-archive
	assert_success
	assert_output ""
	[ "$(spool_count done)" -eq 2 ]
	[ "$(awsim_calls s3:PutObject)" = 0 ]
	archive_conf 'keep = 1d'
	SOCA_NOW=$((e1 + 86400 + 1)) run soca-archive
	assert_success
	assert_output --regexp "^uploaded .* 1 job [0-9]+ bytes$"
	run soca-stat -x -n -o id
	assert_output 2
	run ids_since "$(day 2)"
	assert_output "1 2 "
}

@test "a rerun uploads nothing" {
	finish 2
	later=$(($(end_of 2) + 31 * 86400))
	SOCA_NOW=$later soca-archive
	[ "$(awsim_calls s3:PutObject)" = 1 ]
	SOCA_NOW=$later run soca-archive
	assert_success
	assert_output ""
	[ "$(awsim_calls s3:PutObject)" = 1 ]
	[ "$(objects | wc -l)" -eq 1 ]
}

@test "killed between upload and removal: nothing lost, nothing twice" {
	local n=0 point later d
	for point in archive-uploaded archive-removed; do
		finish 3
		n=$((n + 1))
		later=$(($(end_of "$LAST") + 31 * 86400))
		d=$(day "$LAST")
		SOCA_CRASH_AT=$point SOCA_NOW=$later run soca-archive
		assert_failure 137	# SIGKILL at the hook
		ls "$(spool_dir)"/archive/*.pending
		run ids_since "$d"
		assert_output "$(seq -s ' ' 1 $((3 * n))) "
		SOCA_NOW=$later run soca-archive
		assert_success
		assert_output --regexp "^finished s3://soca-archive/soca/jobs/.*\.jsonl\.gz [0-3] jobs removed$"
		[ "$(spool_count done)" -eq 0 ]
		[ -z "$(ls "$(spool_dir)"/archive)" ]
		run ids_since "$d"
		assert_output "$(seq -s ' ' 1 $((3 * n))) "
		[ "$(objects | wc -l)" -eq "$n" ]
		[ "$(awsim_calls s3:PutObject)" = "$n" ]
	done
}

@test "a failed upload removes nothing; the next run archives" {
	finish 2
	later=$(($(end_of 2) + 31 * 86400))
	awsim_ctl POST faults '{"op":"s3:PutObject","kind":"error","status":500}' >/dev/null
	SOCA_NOW=$later run soca-archive
	assert_failure 3
	assert_output --partial "InternalError"
	[ "$(spool_count done)" -eq 2 ]
	[ -z "$(objects)" ]
	# its journal stays; the next run drops it (no object) and archives
	ls "$(spool_dir)"/archive/*.pending
	awsim_ctl DELETE faults >/dev/null
	SOCA_NOW=$later run soca-archive
	assert_success
	assert_output --regexp "^uploaded s3://.* 2 jobs"
	[ "$(spool_count done)" -eq 0 ]
	[ -z "$(ls "$(spool_dir)"/archive)" ]
	[ "$(objects | wc -l)" -eq 1 ]
}

@test "an upload whose answer is lost: the next run finds the object, even with more jobs that day" {
	finish 2
	e2=$(end_of 2)
	later=$((e2 + 31 * 86400))
	awsim_ctl POST faults '{"op":"s3:PutObject","kind":"lost","count":3}' >/dev/null
	SOCA_NOW=$later run soca-archive
	assert_failure 3
	[ "$(spool_count done)" -eq 2 ]
	[ "$(objects | wc -l)" -eq 1 ]	# it got there all the same
	awsim_ctl DELETE faults >/dev/null
	# meanwhile a third job of the same day became old enough
	while [ "$(date +%s)" -le "$e2" ]; do sleep 0.1; done
	finish 1
	d=$(day 3)
	[ "$d" = "$(day 2)" ] || skip "job 3 ended on the next UTC day"
	SOCA_NOW=$((later + 60)) run soca-archive
	assert_success
	assert_line --index 0 --regexp "^finished s3://.* 2 jobs removed$"
	assert_line --index 1 --regexp "^uploaded s3://.* 1 job [0-9]+ bytes$"
	[ "$(spool_count done)" -eq 0 ]
	[ "$(objects | wc -l)" -eq 2 ]
	run ids_since "$d"
	assert_output "1 2 3 "
	# each job in exactly one object
	[ "$(for k in $(objects); do object "$k"; done | jq -s -c 'map(.id) | sort')" = "[1,2,3]" ]
}

big_script() {
	head -c 12000 /dev/urandom | base64 -w 76 | sed 's/^/# /'
	echo true
}

@test "above multipart_threshold: parts, each checksummed, S3's composite checksum verified" {
	awsim_ctl POST s3 '{"min_part_size": 1}' >/dev/null
	archive_conf 'multipart_threshold = 4K'
	finish 3 "$(big_script)"
	later=$(($(end_of 3) + 31 * 86400))
	d=$(day 3)
	SOCA_NOW=$later run soca-archive -J
	assert_success
	parts=$(jq .parts <<<"$output")
	[ "$parts" -ge 3 ]
	[ "$(jq .removed <<<"$output")" = 3 ]
	[ "$(jq .uploaded <<<"$output")" = 1 ]
	[ "$(awsim_calls s3:UploadPart)" = "$parts" ]
	[ "$(awsim_calls s3:PutObject)" = 0 ]
	[ "$(awsim_calls s3:CompleteMultipartUpload)" = 1 ]
	run awsim_ctl GET s3
	[ "$(jq '.objects["soca-archive"][].parts' <<<"$output")" = "$parts" ]
	jq -e --arg n "-$parts" '.objects["soca-archive"][].checksum.sha256 | endswith($n)' <<<"$output" >/dev/null
	[ "$(jq '.uploads | length' <<<"$output")" = 0 ]
	run object "$(objects)"
	[ "$(jq -s 'map(.record | length > 12000) | all' <<<"$output")" = true ]
	run ids_since "$d"
	assert_output "1 2 3 "
}

@test "a failed multipart upload is aborted and removes nothing" {
	archive_conf 'multipart_threshold = 10K'
	finish 2 "$(big_script)"
	later=$(($(end_of 2) + 31 * 86400))
	# S3's own rule: parts but the last of 5 MiB at least
	SOCA_NOW=$later run soca-archive
	assert_failure
	assert_output --partial "EntityTooSmall"
	[ "$(awsim_calls s3:AbortMultipartUpload)" = 1 ]
	[ "$(spool_count done)" -eq 2 ]
	run awsim_ctl GET s3
	[ "$(jq '.uploads | length' <<<"$output")" = 0 ]
	[ "$(jq '.objects["soca-archive"] | length' <<<"$output")" = 0 ]
	# the second part refused, and its two retries
	awsim_ctl POST s3 '{"min_part_size": 1}' >/dev/null
	awsim_ctl POST faults '{"op":"s3:UploadPart","kind":"error","status":500,"after":1,"count":3}' >/dev/null
	n0=$(awsim_calls s3:UploadPart)
	SOCA_NOW=$later run soca-archive
	assert_failure 3
	assert_output --partial "InternalError"
	[ "$(awsim_calls s3:UploadPart)" = $((n0 + 4)) ]
	[ "$(awsim_calls s3:AbortMultipartUpload)" = 2 ]
	[ "$(spool_count done)" -eq 2 ]
	# a part that never answers in time ([aws] timeout)
	awsim_ctl DELETE faults >/dev/null
	awsim_ctl POST faults '{"op":"s3:UploadPart","kind":"latency","latency_ms":3000}' >/dev/null
	printf '[aws]\ntimeout = 1s\nmax_attempts = 1\n' >>"$SOCA_CONF"
	SOCA_NOW=$later run soca-archive
	assert_failure 3
	assert_output --partial "Timeout was reached"
	[ "$(spool_count done)" -eq 2 ]
	archive_conf 'multipart_threshold = 10K'
	awsim_ctl DELETE faults >/dev/null
	SOCA_NOW=$later run soca-archive
	assert_success
	[ "$(spool_count done)" -eq 0 ]
}

@test "--dry-run changes nothing and calls no one" {
	finish 2
	later=$(($(end_of 2) + 31 * 86400))
	SOCA_NOW=$later run soca-archive --dry-run
	assert_success
	assert_output --regexp "^would upload s3://soca-archive/soca/jobs/.* 2 jobs [0-9]+ bytes$"
	[ "$(spool_count done)" -eq 2 ]
	[ "$(awsim_ctl GET calls)" = "{\"s3:CreateBucket\": 1}" ]
}

@test "no [archive] bucket: exit 2, nothing changed; --since without one reads the spool" {
	printf '[cluster]\nname = c1\n' >"$SOCA_CONF"
	finish 1
	SOCA_NOW=$(($(end_of 1) + 31 * 86400)) run soca-archive
	assert_failure 2
	assert_output --partial "[archive] bucket is not set"
	[ "$(spool_count done)" -eq 1 ]
	run ids_since "$(day 1)"
	assert_output "1 "
	run soca-stat --since yesterday
	assert_failure 2
	assert_output --partial "--since yesterday: not a date"
}

@test "S3 unreachable for soca-stat --since: the spool's jobs, a warning, exit 3" {
	finish 1
	awsim_ctl POST faults '{"op":"s3:ListObjectsV2","kind":"error","status":503}' >/dev/null
	run soca-stat --since "$(day 1)" -n -o id
	assert_failure 3
	assert_line 1
	assert_line --partial "archived jobs:"
}

# ---- files: nodes' bootstrap logs and soca's rotated logs ----

# old FILE...: last changed 40 days ago, past [archive] keep
old() {
	touch -d "@$(($(date +%s) - 40 * 86400))" "$@"
}

# file_day FILE: the UTC day of its mtime, as in keys (YYYY/MM/DD)
file_day() {
	date -u -d "@$(stat -c %Y "$1")" +%Y/%m/%d
}

# logs: rotated logs as logrotate (dateext, compress, delaycompress)
# leaves them, the live one, and one rotated today; all but today's old
logs() {
	mkdir -p "$HOME/log"
	printf 'live line %s\n' 1 2 3 >"$HOME/log/api.log"
	printf 'rotated line %s\n' 1 2 >"$HOME/log/api.log-20261104"
	printf 'older line %s\n' 1 2 | gzip -9n >"$HOME/log/api.log-20261103.gz"
	printf 'today\n' >"$HOME/log/api.log-20261205"
	old "$HOME/log/api.log" "$HOME/log/api.log-20261104" \
	    "$HOME/log/api.log-20261103.gz"
}

@test "soca's rotated logs: one object each once keep old, the live log untouched, a rerun sends nothing" {
	logs
	live=$(sha256sum <"$HOME/log/api.log")
	d=$(file_day "$HOME/log/api.log-20261104")
	run soca-archive
	assert_success
	assert_line --regexp "^uploaded s3://soca-archive/soca/logs/$d/c1/api\.log-20261104-[0-9a-f]{16}\.gz $HOME/log/api\.log-20261104 [0-9]+ bytes$"
	assert_line --regexp "^uploaded s3://soca-archive/soca/logs/$d/c1/api\.log-20261103-[0-9a-f]{16}\.gz $HOME/log/api\.log-20261103\.gz [0-9]+ bytes$"
	[ "${#lines[@]}" -eq 2 ]
	# sent, verified, removed; the live log and today's stay as they were
	[ ! -e "$HOME/log/api.log-20261104" ] && [ ! -e "$HOME/log/api.log-20261103.gz" ]
	[ "$(sha256sum <"$HOME/log/api.log")" = "$live" ]
	[ "$(cat "$HOME/log/api.log-20261205")" = today ]
	# compressed by soca-archive, or sent as logrotate compressed it
	k=$(objects | grep '/api\.log-20261104-')
	[ "$(object "$k")" = "$(printf 'rotated line %s\n' 1 2)" ]
	k=$(objects | grep '/api\.log-20261103-')
	[ "$(object "$k")" = "$(printf 'older line %s\n' 1 2)" ]
	run awsim_ctl GET "s3?bucket=soca-archive&key=$k"
	[ "$(jq -r .body_b64 <<<"$output" | base64 -d | sha256sum)" = "$(printf 'older line %s\n' 1 2 | gzip -9n | sha256sum)" ]
	[ "$(awsim_calls s3:PutObject)" = 2 ]
	# a rerun: nothing left to send
	run soca-archive
	assert_success
	assert_output ""
	[ "$(awsim_calls s3:PutObject)" = 2 ]
	# the same file back (say, restored from a backup): found, not resent
	printf 'rotated line %s\n' 1 2 >"$HOME/log/api.log-20261104"
	old "$HOME/log/api.log-20261104"
	run soca-archive
	assert_success
	assert_output --regexp "^present s3://soca-archive/soca/logs/$d/c1/api\.log-20261104-[0-9a-f]{16}\.gz $HOME/log/api\.log-20261104 [0-9]+ bytes$"
	[ ! -e "$HOME/log/api.log-20261104" ]
	[ "$(awsim_calls s3:PutObject)" = 2 ]
	[ "$(objects | wc -l)" -eq 2 ]
	[ "$(sha256sum <"$HOME/log/api.log")" = "$live" ]
}

@test "killed between a log's upload and its removal: nothing lost, nothing sent twice" {
	logs
	SOCA_CRASH_AT=archive-file-uploaded run soca-archive
	assert_failure 137	# SIGKILL at the hook
	# the first file is in S3 and still here
	[ "$(objects | wc -l)" -eq 1 ]
	[ "$(awsim_calls s3:PutObject)" = 1 ]
	[ -e "$HOME/log/api.log-20261103.gz" ] && [ -e "$HOME/log/api.log-20261104" ]
	run soca-archive -J
	assert_success
	[ "$(jq -c '[.files, .uploaded, .present, .files_removed, .exit]' <<<"$output")" = "[2,1,1,2,0]" ]
	[ "$(awsim_calls s3:PutObject)" = 2 ]
	[ "$(objects | wc -l)" -eq 2 ]
	[ ! -e "$HOME/log/api.log-20261103.gz" ] && [ ! -e "$HOME/log/api.log-20261104" ]
	[ -e "$HOME/log/api.log" ]
}

@test "a failed log upload removes nothing; the next run sends it" {
	logs
	awsim_ctl POST faults '{"op":"s3:PutObject","kind":"error","status":500}' >/dev/null
	run soca-archive
	assert_failure 3
	assert_output --partial "InternalError"
	[ -e "$HOME/log/api.log-20261103.gz" ] && [ -e "$HOME/log/api.log-20261104" ]
	[ -z "$(objects)" ]
	awsim_ctl DELETE faults >/dev/null
	# S3 cannot say what it holds: nothing sent, nothing removed
	awsim_ctl POST faults '{"op":"s3:HeadObject","kind":"error","status":503,"count":30}' >/dev/null
	run soca-archive
	assert_failure 3
	[ -e "$HOME/log/api.log-20261103.gz" ] && [ -e "$HOME/log/api.log-20261104" ]
	[ -z "$(objects)" ]
	awsim_ctl DELETE faults >/dev/null
	run soca-archive
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ ! -e "$HOME/log/api.log-20261103.gz" ] && [ ! -e "$HOME/log/api.log-20261104" ]
	[ "$(objects | wc -l)" -eq 2 ]
	[ -e "$HOME/log/api.log" ]
}

@test "nodes' bootstrap logs: the spool's nodelogs/ to PREFIX/nodes/DAY/CLUSTER/, once keep old" {
	finish 1
	nl=$(spool_dir)/nodelogs
	mkdir -p "$nl"
	printf 'soca: node i-0123456789abcdef0 of c1, job 1\nmounted\n' >"$nl/i-0123456789abcdef0.log"
	printf 'soca: node i-0fedcba987654321f of c1, job 2\n' >"$nl/i-0fedcba987654321f.log"
	printf 'not a node log\n' >"$nl/notes.txt"
	old "$nl/i-0123456789abcdef0.log" "$nl/notes.txt"
	d=$(file_day "$nl/i-0123456789abcdef0.log")
	run soca-archive --dry-run
	assert_success
	assert_output --regexp "^would upload s3://soca-archive/soca/nodes/$d/c1/i-0123456789abcdef0\.log-[0-9a-f]{16}\.gz $nl/i-0123456789abcdef0\.log [0-9]+ bytes$"
	[ -e "$nl/i-0123456789abcdef0.log" ]
	run soca-archive
	assert_success
	assert_output --regexp "^uploaded s3://soca-archive/soca/nodes/$d/c1/i-0123456789abcdef0\.log-[0-9a-f]{16}\.gz $nl/i-0123456789abcdef0\.log [0-9]+ bytes$"
	[ ! -e "$nl/i-0123456789abcdef0.log" ]
	# a node bootstrapping now, and what is not a node's log, stay
	[ -e "$nl/i-0fedcba987654321f.log" ] && [ -e "$nl/notes.txt" ]
	run object "$(objects)"
	assert_line --index 1 mounted
	# the young job stays too
	[ "$(spool_count done)" -eq 1 ]
}

@test "[archive] logs: a glob that could take a live log is refused, exit 2, nothing changed" {
	logs
	for g in "log/*.log-*" "$HOME/log/*.log" "$HOME/log/*" "$HOME/log/api*" "$HOME/log/api.log"; do
		printf '[cluster]\nname = c1\n[archive]\nbucket = soca-archive\nlogs = %s\n' "$g" >"$SOCA_CONF"
		run soca-archive
		assert_failure 2
		assert_output --partial "logs \"$g\""
		[ -e "$HOME/log/api.log-20261104" ] && [ -e "$HOME/log/api.log" ]
	done
	run soca-config check
	assert_failure 2
	assert_output --partial "name the rotated files, e.g. /var/log/soca/*.log-*, or none"
	# none: no logs; [web] audit_log is never taken, whatever its name
	printf '[cluster]\nname = c1\n[archive]\nbucket = soca-archive\nlogs = none\n' >"$SOCA_CONF"
	run soca-archive
	assert_success
	assert_output ""
	printf '[cluster]\nname = c1\n[archive]\nbucket = soca-archive\nlogs = %s\n[web]\naudit_log = %s\n' \
	    "$HOME/log/*.log-*" "$HOME/log/api.log-20261104" >"$SOCA_CONF"
	run soca-archive
	assert_success
	assert_output --regexp "^uploaded .*/api\.log-20261103\.gz [0-9]+ bytes$"
	[ "${#lines[@]}" -eq 1 ]
	[ -e "$HOME/log/api.log-20261104" ]
}
