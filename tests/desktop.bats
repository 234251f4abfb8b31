#!/usr/bin/env bats
# desktop.bats: soca-desktop against awsim (every request signature-checked
# and validated against botocore's ec2 model): the life of a desktop with
# its AWS calls counted, the per-user limit under concurrent launches, a
# crash between RunInstances and the spool write, the tick over simulated
# days in two time zones across a DST change, idle and busy desktops, a
# failing StopInstances, a broken desktop among good ones, bad input, and
# the node side (rendered user data, systemd units).

load lib/helper
load lib/awsim

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
	export SOCA_CONF="$BATS_TEST_TMPDIR/soca.conf"
	SPOOL="$BATS_TEST_TMPDIR/spool"
	desk_conf
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	ME=$(id -un)
}

# desk_conf [EXTRA [desktop] LINES...]
desk_conf() {
	{
		printf '[cluster]\nname = t1\nprovider = aws\nspool = %s\n' \
		    "$SPOOL"
		printf '[aws]\nami = ami-0a1b2c3d4e5f60001\n'
		printf '[desktop]\n'
		printf 'images = al2023=ami-0a1b2c3d4e5f60002, '
		printf 'rhel8=ami-0a1b2c3d4e5f60004\n'
		printf 'allowed_types = t3, m5.large, m5.xlarge, g5.xlarge\n'
		printf '%s\n' "$@"
	} >"$SOCA_CONF"
}

inst() {	# inst NAME: awsim's instance of desktop NAME (JSON)
	awsim_ctl GET state | jq -c --arg n "$1" \
	    '[.instances[] | select(.Tags["soca:DesktopName"] == $n and
	    .State != "terminated" and .State != "shutting-down")][0]'
}

field() {	# field NAME KEY
	inst "$1" | jq -r ".$2"
}

launches() {	# real launches, whatever the token
	awsim_ctl GET launches | jq '.instances'
}

@test "life: launch -> running -> stop -> start -> resize -> hibernate -> terminate, calls counted" {
	run soca-desktop launch ws1 -P cfd
	assert_success
	assert_output --regexp '^ws1: launched i-[0-9a-f]{17} \(t3.large, image al2023\)$'
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]	# DryRun, then the launch
	[ "$(awsim_requests ec2:RunInstances | jq -s '.[0].DryRun')" = true ]
	[ "$(launches)" = 1 ]
	tags=$(field ws1 Tags)
	[ "$(jq -r '."soca:NodeType"' <<<"$tags")" = desktop ]
	[ "$(jq -r '."soca:ClusterId"' <<<"$tags")" = t1 ]
	[ "$(jq -r '."soca:JobOwner"' <<<"$tags")" = "$ME" ]
	[ "$(jq -r '."soca:JobProject"' <<<"$tags")" = cfd ]
	[ "$(jq -r '."soca:DesktopName"' <<<"$tags")" = ws1 ]
	[ "$(jq -r '."soca:Hibernate"' <<<"$tags")" = false ]
	[ "$(field ws1 ImageId)" = ami-0a1b2c3d4e5f60002 ]
	[ "$(awsim_requests ec2:RunInstances | jq -s '.[1].DryRun')" = null ]
	awsim_requests ec2:RunInstances | jq -rs '.[1].ClientToken' |
	    grep -qx 'soca-desk-[0-9a-f]\{40\}-0'
	grep -qx 'gen 0' "$SPOOL/desktop/$ME/ws1"

	run soca-desktop list -o name,state,type
	assert_success
	assert_line --index 1 --regexp '^ws1 +pending +t3.large$'
	awsim_advance 60
	run soca-desktop show ws1 -J
	assert_success
	[ "$(jq -r .state <<<"$output")" = running ]
	run soca-desktop connect ws1
	assert_success
	assert_line --index 0 --regexp "^ssh -N -L 8443:172\.31\.[0-9.]+:8443 $ME@"
	assert_line --index 1 --regexp '^https://localhost:8443/#[0-9a-f-]{36}$'
	ses=$(field ws1 'Tags["soca:DesktopSession"]')
	run soca-desktop connect ws1 --dcv-file ws1.dcv
	assert_success
	assert_line --index 1 "https://localhost:8443/#$ses"
	[ "$(cat ws1.dcv)" = "[version]
format=1.0

[connect]
host=localhost
port=8443
sessionid=$ses
user=$ME
weburlpath=" ]

	# resize while running: refused, nothing sent
	run soca-desktop resize ws1 m5.large
	assert_failure 1
	assert_output --partial "only while stopped"
	[ "$(awsim_calls ec2:ModifyInstanceAttribute)" = 0 ]

	run soca-desktop stop ws1
	assert_success
	assert_output --regexp '^ws1: stopping i-'
	run soca-desktop stop ws1	# stopping already: no second call
	assert_success
	assert_output --partial "already stopping"
	[ "$(awsim_calls ec2:StopInstances)" = 1 ]
	awsim_advance 60
	[ "$(field ws1 State)" = stopped ]

	run soca-desktop resize ws1 m5.xlarge
	assert_success
	assert_output --partial "from t3.large to m5.xlarge"
	[ "$(field ws1 InstanceType)" = m5.xlarge ]
	run soca-desktop start ws1
	assert_success
	assert_output --regexp '^ws1: starting i-'
	awsim_advance 60
	[ "$(field ws1 State)" = running ]

	# hibernate on an instance not launched for it: a plain stop, said
	run soca-desktop hibernate ws1
	assert_success
	assert_output --partial "not launched for hibernation"
	[ "$(awsim_requests ec2:StopInstances | jq -s '.[-1].Hibernate')" = null ]
	awsim_advance 60

	run soca-desktop terminate ws1
	assert_success
	assert_output --regexp '^ws1: terminating i-'
	grep -qx 'gone 1' "$SPOOL/desktop/$ME/ws1"
	[ "$(awsim_calls ec2:StopInstances)" = 2 ]
	[ "$(awsim_calls ec2:StartInstances)" = 1 ]
	[ "$(awsim_calls ec2:ModifyInstanceAttribute)" = 1 ]
	[ "$(awsim_calls ec2:TerminateInstances)" = 1 ]

	# the name again: a new generation, a new token (SOCA #140)
	run soca-desktop launch ws1
	assert_success
	assert_output --partial "launched"
	[ "$(launches)" = 2 ]
	grep -qx 'gen 1' "$SPOOL/desktop/$ME/ws1"
	[ "$(awsim_ctl GET launches | jq '.by_token | length')" = 2 ]
}

@test "hibernate: only for a type that can, with the RAM on the root volume; EC2 refusing falls back to a stop" {
	run soca-desktop launch big -t m5.xlarge --hibernate --root-size 16
	assert_failure 2
	assert_output --partial "--root-size 24"
	run soca-desktop launch gpu -t g5.xlarge --hibernate
	assert_failure 2
	assert_output --partial "HibernationSupported false"
	[ "$(launches)" = 0 ]

	run soca-desktop launch h1 --hibernate
	assert_success
	assert_output --partial "hibernation"
	[ "$(awsim_requests ec2:RunInstances | jq -rs '.[-1].HibernationOptions.Configured')" = true ]
	[ "$(awsim_requests ec2:RunInstances | jq -rs '.[-1].BlockDeviceMappings[0].Ebs.Encrypted')" = true ]
	awsim_advance 60
	# the agent is not ready yet: EC2 refuses, soca stops instead
	run soca-desktop hibernate h1
	assert_success
	assert_output --partial "EC2 refused hibernation (UnsupportedOperation"
	assert_output --partial "stopping"
	[ "$(awsim_calls ec2:StopInstances)" = 2 ]
	awsim_advance 60
	[ "$(field h1 State)" = stopped ]
	run soca-desktop resize h1 t3.xlarge
	assert_failure 2
	assert_output --partial "launched for hibernation"
	[ "$(awsim_calls ec2:ModifyInstanceAttribute)" = 0 ]
	run soca-desktop start h1
	awsim_advance 600
	run soca-desktop hibernate h1
	assert_success
	assert_output --regexp '^h1: hibernating i-'
	awsim_advance 60
	[ "$(awsim_ctl GET state | jq -r '.instances[0].State')" = stopped ]
	run aws ec2 describe-instances --query 'Reservations[0].Instances[0].StateReason.Code' --output text
	assert_output Client.UserInitiatedHibernate
}

@test "concurrent launches at the limit give exactly the limit" {
	desk_conf 'max_per_user = 3'
	for i in 1 2 3 4 5 6 7; do
		soca-desktop launch "c$i" >"out.$i" 2>&1 &
	done
	wait
	[ "$(launches)" = 3 ]
	[ "$(grep -l launched out.* | wc -l)" = 3 ]
	[ "$(grep -l 'max_per_user is 3' out.* | wc -l)" = 4 ]
	[ "$(ls "$SPOOL/desktop/$ME" | wc -l)" = 3 ]
}

@test "a crash between RunInstances and the spool write launches nothing twice" {
	SOCA_CRASH_AT=desktop-after-run run soca-desktop launch ws1
	[ "$status" -ne 0 ]
	[ "$(launches)" = 1 ]
	[ ! -e "$SPOOL/desktop/$ME/ws1" ]
	run soca-desktop launch ws1
	assert_success
	assert_output --partial "recovered"
	[ "$(launches)" = 1 ]
	grep -qx 'gen 0' "$SPOOL/desktop/$ME/ws1"
	grep -q "^session $(field ws1 'Tags["soca:DesktopSession"]')$" \
	    "$SPOOL/desktop/$ME/ws1"
	# and for a reused name: the same generation's token again
	awsim_advance 60
	soca-desktop terminate ws1
	awsim_advance 60
	SOCA_CRASH_AT=desktop-after-run run soca-desktop launch ws1
	[ "$(launches)" = 2 ]
	run soca-desktop launch ws1
	assert_output --partial "recovered"
	[ "$(launches)" = 2 ]
	grep -qx 'gen 1' "$SPOOL/desktop/$ME/ws1"
}

@test "bad input: exit 2 naming the value, the rule and the fix; nothing changed" {
	for n in ../x -x "$(printf 'a%.0s' {1..40})" 'a b' ''; do
		run soca-desktop launch "$n"
		assert_failure 2
	done
	run soca-desktop launch ws1 -t c5.large
	assert_failure 2
	assert_output --partial "instance type c5.large: not allowed for desktops (allowed: t3, m5.large, m5.xlarge, g5.xlarge)"
	run soca-desktop launch ws1 -t 'x;rm'
	assert_failure 2
	run soca-desktop launch ws1 -i win
	assert_failure 2
	assert_output --partial 'image "win": not registered (images: al2023, rhel8)'
	run soca-desktop launch ws1 --root-size 4
	assert_failure 2
	run soca-desktop launch ws1 --subnet 'subnet-0a;x'
	assert_failure 2
	assert_output --partial 'not a subnet id'
	printf 'subnet_ids = subnet-0b00000000000000b\n' >>"$SOCA_CONF"
	run soca-desktop launch ws1 --subnet subnet-0a00000000000000a
	assert_failure 2
	assert_output --partial "subnet subnet-0a00000000000000a: not one desktops may use (subnet-0b00000000000000b)"
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]

	soca-desktop launch ws1
	[ "$(field ws1 SubnetId)" = subnet-0b00000000000000b ]
	cp "$SPOOL/desktop/$ME/ws1" before
	run soca-desktop schedule ws1 mon-fry 08:00-19:00
	assert_failure 2
	assert_output --partial 'days "mon-fry": not days'
	run soca-desktop schedule ws1 mon-fri 19:00-08:00
	assert_failure 2
	assert_output --partial 'window "19:00-08:00": not a window (HH:MM-HH:MM with start before end'
	run soca-desktop schedule ws1 mon 25:00-26:00
	assert_failure 2
	run soca-desktop schedule ws1 mon
	assert_failure 2
	assert_output --partial "pairs of DAYS WINDOW"
	run soca-desktop schedule ws1 --tz Mars/Olympus daily all-day
	assert_failure 2
	assert_output --partial 'time zone "Mars/Olympus": not in the TZ database'
	run soca-desktop schedule ws1 --tz ../../etc/passwd daily all-day
	assert_failure 2
	run soca-desktop schedule ws1 --tz Europe/Paris
	assert_failure 2
	assert_output --partial "no schedule to set the zone of"
	cmp before "$SPOOL/desktop/$ME/ws1"
	run soca-desktop resize ws1 p4d.24xlarge
	assert_failure 2
	run soca-desktop frobnicate ws1
	assert_failure 2
	assert_output --partial "not a verb"
	run soca-desktop report --instance ../../etc --session x
	assert_failure 2
	assert_output --partial 'instance "../../etc": not an instance id'
	[ "$(launches)" = 1 ]
	# tags anyone may write never become spool paths
	aws ec2 run-instances --image-id ami-0a1b2c3d4e5f60001 --instance-type t3.large --count 1 \
	    --tag-specifications 'ResourceType=instance,Tags=[{Key=soca:ClusterId,Value=t1},{Key=soca:NodeType,Value=desktop},{Key=soca:JobOwner,Value=..},{Key=soca:DesktopName,Value=../../x}]' >/dev/null
	awsim_advance 60
	run soca-desktop list -a -n -o name
	assert_success
	assert_output ws1
	run soca-desktop tick
	assert_success
	cmp before "$SPOOL/desktop/$ME/ws1"
}

@test "schedule: printed grouped, kept in the spool" {
	soca-desktop launch ws1
	run soca-desktop schedule ws1 --tz Europe/Paris mon-fri 08:00-19:00 sat off sun all-day
	assert_success
	assert_output "ws1: mon-fri 08:00-19:00 sat off sun all-day Europe/Paris"
	run soca-desktop schedule ws1
	assert_output "ws1: mon-fri 08:00-19:00 sat off sun all-day Europe/Paris"
	run soca-desktop schedule ws1 --tz America/New_York
	assert_output "ws1: mon-fri 08:00-19:00 sat off sun all-day America/New_York"
	run soca-desktop list -o name,schedule,tz -J
	[ "$(jq -r .tz <<<"$output")" = America/New_York ]
	run soca-desktop schedule ws1 --clear
	assert_output "ws1: none"
}

# at EPOCH: SOCA_NOW and awsim's clock
at() {
	export SOCA_NOW=$1
	awsim_ctl POST clock "{\"set\": $1}" >/dev/null
}

@test "tick over simulated days: windows to the minute in two zones across DST, idempotent" {
	desk_conf 'stop_at_window_end = yes'
	t0=$(date -ud 2026-10-22T15:00 +%s)	# a Thursday, inside both
	at "$t0"
	soca-desktop launch paris
	soca-desktop launch ny
	soca-desktop schedule paris --tz Europe/Paris mon-fri 08:00-19:00 weekend off
	soca-desktop schedule ny --tz America/New_York daily 09:30-17:00
	# the events the TZ database gives, from Thu 22 Oct to Tue 3 Nov:
	# Europe leaves summer time on 25 Oct, New York on 1 Nov
	: >events
	for d in 2026-10-{22..31} 2026-11-0{1..3}; do
		dow=$(date -ud "$d" +%u)
		if [ "$dow" -le 5 ]; then
			echo "$(TZ=Europe/Paris date -d "$d 08:00" +%s) paris start" >>events
			echo "$(TZ=Europe/Paris date -d "$d 19:00" +%s) paris stop" >>events
		fi
		echo "$(TZ=America/New_York date -d "$d 09:30" +%s) ny start" >>events
		echo "$(TZ=America/New_York date -d "$d 17:00" +%s) ny stop" >>events
	done
	sort -n events | awk -v t0="$t0" '$1 > t0' >sorted
	# the DST shift itself, in UTC
	grep -qx "$(date -ud 2026-10-23T06:00 +%s) paris start" sorted
	grep -qx "$(date -ud 2026-10-26T07:00 +%s) paris start" sorted
	grep -qx "$(date -ud 2026-10-30T13:30 +%s) ny start" sorted
	grep -qx "$(date -ud 2026-11-02T14:30 +%s) ny start" sorted
	n=0
	while read -r t who what; do
		at $((t - 60))		# a minute before: nothing
		run soca-desktop tick
		assert_success
		assert_output ""
		at "$t"
		run soca-desktop tick
		assert_success
		assert_output --regexp "^[0-9TZ:-]+ $ME/$who i-[0-9a-f]+ $what: "
		run soca-desktop tick	# again: no second action
		assert_success
		assert_output ""
		n=$((n + 1))
	done <sorted
	[ "$n" = 42 ]
	[ "$(awsim_calls ec2:StartInstances)" = "$(grep -c start sorted)" ]
	[ "$(awsim_calls ec2:StopInstances)" = "$(grep -c stop sorted)" ]
	[ "$(awsim_calls ec2:DescribeInstances)" -ge 120 ]
}

@test "tick: the owner's own stop is not undone within the window; the next window starts it" {
	at "$(date -ud 2026-10-26T10:00 +%s)"	# Monday
	soca-desktop launch ws1
	soca-desktop schedule ws1 --tz UTC weekdays 08:00-19:00
	at "$(date -ud 2026-10-26T11:00 +%s)"
	soca-desktop stop ws1
	at "$(date -ud 2026-10-26T12:00 +%s)"
	run soca-desktop tick -v
	assert_output --partial "keep: stopped by its owner in this window"
	[ "$(awsim_calls ec2:StartInstances)" = 0 ]
	at "$(date -ud 2026-10-27T08:00 +%s)"
	run soca-desktop tick
	assert_output --partial " start: tue 08:00-19:00 UTC, inside at 08:00"
}

# dcv fixture: prints $T/dcv.json for describe-session -j
dcv_fixture() {
	cat >"$BATS_TEST_TMPDIR/bin/dcv" <<-'EOF'
	#!/bin/sh
	[ "$1" = describe-session ] && [ "$2" = -j ] || exit 2
	f="$DCV_JSON_DIR/$3.json"
	[ -f "$f" ] || { echo "Could not find session $3" >&2; exit 1; }
	cat "$f"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/dcv"
	export DCV_JSON_DIR="$BATS_TEST_TMPDIR/dcv"
	mkdir -p "$DCV_JSON_DIR"
}

session_json() {	# session_json ID CONNECTIONS LAST-DISCONNECT
	cat >"$DCV_JSON_DIR/$1.json" <<-EOF
	{
	  "id" : "$1",
	  "owner" : "$ME",
	  "x11-display" : ":1",
	  "num-of-connections" : $2,
	  "creation-time" : "2026-10-26T06:00:00.000000Z",
	  "last-disconnection-time" : "$3",
	  "licensing-mode" : "EC2",
	  "storage-root" : "",
	  "type" : "virtual",
	  "status" : "running"
	}
	EOF
}

report() {	# report NAME LOAD: the node's report, as its timer runs it
	echo "$2 0.10 0.10 1/100 123" >"$BATS_TEST_TMPDIR/loadavg.$1"
	SOCA_LOADAVG="$BATS_TEST_TMPDIR/loadavg.$1" soca-desktop report \
	    --instance "$(field "$1" InstanceId)" --session "$1"
}

@test "idle stop: idle desktops stop, busy ones (connection, CPU, GPU) do not; reasons logged" {
	dcv_fixture
	desk_conf 'idle_hours = 2' 'idle_cpu = 0.5' 'idle_gpu = 10' \
	    'max_linux_per_user = 8'
	at "$(date -ud 2026-10-26T06:00 +%s)"
	for n in idle cpu conn gpu stale none; do
		soca-desktop launch "$n" -t t3.large
	done
	at "$(date -ud 2026-10-26T21:00 +%s)"
	session_json idle 0 2026-10-26T18:00:00.5Z
	session_json cpu 0 2026-10-26T18:00:00Z
	session_json conn 1 2026-10-26T18:00:00Z
	session_json gpu 0 2026-10-26T18:00:00Z
	session_json stale 0 2026-10-26T18:00:00Z
	report idle 0.05
	report cpu 3.20
	report conn 0.01
	cat >"$BATS_TEST_TMPDIR/bin/nvidia-smi" <<-'EOF'
	#!/bin/sh
	printf '3\n85\n'
	EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/nvidia-smi"
	report gpu 0.01
	rm "$BATS_TEST_TMPDIR/bin/nvidia-smi"
	SOCA_NOW=$(date -ud 2026-10-26T20:00 +%s) report stale 0.01
	grep -qx 'gpu 85' "$SPOOL/desktop/report/$(field gpu InstanceId)"
	grep -qx 'connections 1' "$SPOOL/desktop/report/$(field conn InstanceId)"
	grep -qx "last_disconnect $(date -ud 2026-10-26T18:00 +%s)" \
	    "$SPOOL/desktop/report/$(field idle InstanceId)"
	run soca-desktop tick -v
	assert_success
	assert_line --regexp "$ME/idle i-[0-9a-f]+ stop: no schedule; idle: no DCV connection for 3.0 h, load 0.05, GPU none$"
	assert_line --regexp "$ME/cpu i-[0-9a-f]+ keep: load 3.20 \(idle_cpu 0.5\)$"
	assert_line --regexp "$ME/conn i-[0-9a-f]+ keep: 1 DCV connection\(s\)$"
	assert_line --regexp "$ME/gpu i-[0-9a-f]+ keep: GPU 85% \(idle_gpu 10\)$"
	assert_line --regexp "$ME/stale i-[0-9a-f]+ keep: report 3600 s old"
	assert_line --regexp "$ME/none i-[0-9a-f]+ keep: no report from the node$"
	[ "$(awsim_calls ec2:StopInstances)" = 1 ]
	[ "$(field idle State)" = stopping ]
	[ "$(field cpu State)" = running ]
	# inside a window nothing is idle-stopped
	soca-desktop schedule cpu --tz UTC daily all-day
	report cpu 0.01
	run soca-desktop tick
	assert_output ""
}

@test "tick: a failing StopInstances leaves the desktop running, logged, retried next tick; other desktops go on" {
	desk_conf 'stop_at_window_end = yes'
	at "$(date -ud 2026-10-26T10:00 +%s)"
	for n in a b c; do
		soca-desktop launch "$n"
		soca-desktop schedule "$n" --tz UTC weekdays 08:00-19:00
	done
	# c's record is broken: it is skipped, said, and the others go on
	ln -sf c "$SPOOL/desktop/$ME/c"
	awsim_ctl POST faults '{"op": "ec2:StopInstances", "kind": "error", "status": 403, "code": "UnauthorizedOperation", "message": "You are not authorized to perform this operation.", "count": 1}' >/dev/null
	at "$(date -ud 2026-10-26T19:00 +%s)"
	run soca-desktop tick
	assert_failure 1
	assert_line --regexp "$ME/a i-[0-9a-f]+ stop: .*failed: UnauthorizedOperation: You are not authorized .*retried next tick"
	assert_line --regexp "$ME/b i-[0-9a-f]+ stop: mon 08:00-19:00 UTC, outside at 19:00; window ended \(stop_at_window_end\)$"
	assert_line --regexp "$ME/c i-[0-9a-f]+ skip: its spool record cannot be read$"
	[ "$(field a State)" = running ]
	[ "$(field b State)" = stopping ]
	at "$(date -ud 2026-10-26T19:01 +%s)"
	run soca-desktop tick
	assert_failure 1	# c still cannot be read
	assert_line --regexp "$ME/a i-[0-9a-f]+ stop: mon 08:00-19:00 UTC, outside at 19:01; window ended"
	refute_line --partial "/b "
	[ "$(field a State)" = stopping ]
	[ "$(awsim_calls ec2:StopInstances)" = 3 ]
}

@test "the cluster's reaper leaves desktops alone" {
	printf '[queue "normal"]\ninstance_type = c5.large\n' >>"$SOCA_CONF"
	sed -i 's/^\[aws\]$/[aws]\norphan_grace = 0/' "$SOCA_CONF"
	soca-desktop launch ws1
	awsim_advance 3600
	run soca-node-down
	assert_success
	[ "$(awsim_calls ec2:TerminateInstances)" = 0 ]
	[ "$(field ws1 State)" = running ]
}

@test "list: -J and --csv, own desktops only; -a for admins" {
	soca-desktop launch ws1
	soca-desktop launch ws2 -t m5.large -i rhel8
	run soca-desktop list --csv -o name,type,image
	assert_success
	assert_line --index 0 "name,type,image"
	assert_line "ws1,t3.large,al2023"
	assert_line "ws2,m5.large,rhel8"
	run soca-desktop list -J
	[ "$(jq -s length <<<"$output")" = 2 ]
	run soca-desktop show nope
	assert_failure 1
	run soca-desktop list -a -n -o owner
	assert_success
	assert_output "$ME
$ME"
}

@test "node side: rendered user data passes bash -n and shellcheck; units pass systemd-analyze verify" {
	desk_conf "user_data = $SOCA_SRCDIR/etc/desktop-user-data.sh"
	printf '[aws]\nshared_fs = fs-1.efs.us-east-1.amazonaws.com:/\n' >>"$SOCA_CONF"
	soca-desktop launch ws1
	awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d >ud.sh
	grep -q "^SOCA_OWNER='$ME'$" ud.sh
	grep -q "^SOCA_SESSION='[0-9a-f-]\{36\}'$" ud.sh
	run bash -n ud.sh
	assert_success
	run shellcheck -s sh ud.sh
	assert_success
	# the units it writes are the ones shipped in etc/
	for u in soca-desktop-session.service soca-desktop-report.service \
	    soca-desktop-report.timer; do
		awk -v u="$u" '$0 == "cat >/etc/systemd/system/" u " <<'"'"'UNIT'"'"'" {
		    on = 1; next } $0 == "UNIT" { on = 0 } on' ud.sh >"embedded.$u"
		cmp "embedded.$u" "$SOCA_SRCDIR/etc/$u"
	done
	cp "$SOCA_SRCDIR"/etc/soca-desktop-*.service "$SOCA_SRCDIR"/etc/soca-desktop-*.timer \
	    "$SOCA_SRCDIR"/etc/systemd/soca-desktop-tick.* .
	run systemd-analyze verify --man=no ./soca-desktop-session.service \
	    ./soca-desktop-report.service ./soca-desktop-report.timer
	assert_success
	# and the head node's timer for the tick
	run systemd-analyze verify --man=no ./soca-desktop-tick.service \
	    ./soca-desktop-tick.timer
	assert_success
}

# dcv_security_of FILE: the [security] section the rendered user data FILE
# writes in dcv.conf, with IMDS answering i-0123456789abcdef0
dcv_security_of() {
	{
		grep '^SOCA_DCV_VERIFIER=' "$1"
		echo 'log() { echo "$*" >&2; }'
		echo 'imds() { [ "$1" = instance-id ] && echo i-0123456789abcdef0; }'
		awk '/^dcv_security\(\) \{$/ { on = 1 } on; /^}$/ { on = 0 }' "$1"
		echo dcv_security
	} >sec.sh
	sh -eu sec.sh
}

@test "node side: dcv_auth = token adds DCV's auth-token-verifier (soca-api's /api/dcv-auth), system keeps PAM only" {
	desk_conf "user_data = $SOCA_SRCDIR/etc/desktop-user-data.sh"
	soca-desktop launch ws1
	awsim_ctl GET state | jq -r '.instances[0].UserData' | base64 -d >sys.sh
	grep -qx "SOCA_DCV_VERIFIER=''" sys.sh
	run dcv_security_of sys.sh
	assert_success
	assert_output '[security]
authentication = "system"'

	desk_conf "user_data = $SOCA_SRCDIR/etc/desktop-user-data.sh" \
	    "dcv_auth = token"
	# token mode needs the site's URL
	run soca-desktop launch ws2
	assert_failure 2
	assert_output --partial '[desktop] dcv_auth = token: [web] url is not set'
	printf '[web]\nurl = http://soca.example.com\n' >>"$SOCA_CONF"
	run soca-desktop launch ws2
	assert_failure 2
	assert_output --partial '[web] url "http://soca.example.com": must be the site'"'"'s https://HOST[:PORT] URL'
	[ "$(awsim_calls ec2:RunInstances)" = 2 ]
	sed -i 's|^url = .*|url = https://soca.example.com:8443/|' "$SOCA_CONF"
	soca-desktop launch ws2
	inst ws2 | jq -r .UserData | base64 -d >tok.sh
	grep -qx "SOCA_DCV_VERIFIER='https://soca.example.com:8443/api/dcv-auth'" tok.sh
	run dcv_security_of tok.sh
	assert_success
	assert_output '[security]
authentication = "system"
auth-token-verifier = "https://soca.example.com:8443/api/dcv-auth?instance=i-0123456789abcdef0"'
	run bash -n tok.sh
	assert_success
	run shellcheck -s sh tok.sh
	assert_success
}

@test "budget gate: a project over its limit cannot launch a desktop" {
	printf '[budget]\naccount_id = 123456789012\n' >>"$SOCA_CONF"
	awsim_ctl POST budgets '[{"BudgetName":"cfd","CalculatedSpend":{"ActualSpend":{"Amount":"120","Unit":"USD"}}}]' >/dev/null
	run soca-desktop launch ws1 -P cfd
	assert_failure 1
	assert_output --regexp 'launch ws1: budget exceeded: project cfd at \$12[0-9.]+ of \$100'
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	[ ! -e "$SPOOL/desktop/$ME/ws1" ]
	run soca-desktop launch ws1 -P other
	assert_success
	[ "$(launches)" = 1 ]
}

@test "awsim: stop/start/resize follow EC2's rules, validated against botocore's model" {
	id=$(aws ec2 run-instances --image-id ami-0a1b2c3d4e5f60001 --instance-type m5.large --count 1 --query 'Instances[0].InstanceId' --output text)
	run aws ec2 stop-instances --instance-ids "$id"
	assert_failure
	assert_output --partial IncorrectInstanceState	# still pending
	awsim_advance 60
	run aws ec2 stop-instances --instance-ids "$id" --hibernate
	assert_failure
	assert_output --partial UnsupportedHibernationConfiguration
	run aws ec2 modify-instance-attribute --instance-id "$id" --instance-type '{"Value": "m5.xlarge"}'
	assert_failure
	assert_output --partial "not in the 'stopped' state"
	aws ec2 stop-instances --instance-ids "$id" >/dev/null
	[ "$(aws ec2 describe-instances --instance-ids "$id" --query 'Reservations[0].Instances[0].State.Name' --output text)" = stopping ]
	awsim_advance 60
	run aws ec2 modify-instance-attribute --instance-id "$id" --instance-type '{"Value": "c7g.large"}'
	assert_failure
	assert_output --partial "architecture"
	aws ec2 modify-instance-attribute --instance-id "$id" --instance-type '{"Value": "m5.xlarge"}'
	aws ec2 start-instances --instance-ids "$id" >/dev/null
	[ "$(aws ec2 describe-instances --instance-ids "$id" --query 'Reservations[0].Instances[0].[State.Name,InstanceType]' --output text)" = "pending	m5.xlarge" ]
	run aws ec2 describe-instance-types --instance-types t3.large g5.xlarge m5.24xlarge --query 'InstanceTypes[].[InstanceType,HibernationSupported,MemoryInfo.SizeInMiB]' --output text
	assert_line "t3.large	True	8192"
	assert_line "g5.xlarge	False	16384"
	assert_line "m5.24xlarge	False	393216"
	run aws ec2 stop-instances --instance-ids "$id" --bogus
	assert_failure
}

@test "costs land in soca-budget by owner and project" {
	printf '[budget]\naccount_id = 123456789012\n' >>"$SOCA_CONF"
	t0=$(date +%s)
	awsim_ctl POST clock "{\"set\": $((t0 - 3 * 3600))}" >/dev/null
	soca-desktop launch ws1 -P cfd
	awsim_ctl POST clock "{\"set\": $t0}" >/dev/null
	run soca-budget -J report --by owner --by project --from "$(date -u -d @$((t0 - 86400)) +%F)"
	assert_success
	cost=$(jq -s --arg o "$ME" '[.[] | select(.owner == $o and .project == "cfd") | .cost] | add' <<<"$output")
	# t3.large for 3 h at awsim's $0.0832/h
	awk -v c="$cost" 'BEGIN { exit !(c > 0.24 && c < 0.26) }'
}

@test "soca-config check: [desktop]'s defaults must be among its lists" {
	desk_conf 'default_type = c5.large' 'default_image = win' \
	    'timezone = Mars/Olympus'
	sed -i 's/^images = /images = bad, /' "$SOCA_CONF"
	run soca-config check
	assert_failure 2
	assert_output --partial "default_type c5.large is not in allowed_types"
	assert_output --partial 'images: "bad" is not NAME=ami-...'
	assert_output --partial 'default_image "win" is not one of images'
	assert_output --partial 'timezone "Mars/Olympus": not in the TZ database'
	run soca-desktop launch ws1
	assert_failure 2
	[ "$(awsim_calls ec2:RunInstances)" = 0 ]
	desk_conf 'default_image = rhel8' 'timezone = Europe/Paris'
	run soca-config check
	assert_success
}

@test "multi-user: a setgid soca-desktop on a shared spool; users see and touch only their own" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (useradd, chown, setgid binaries)"
	command -v runuser >/dev/null || skip "runuser(1) is missing"
	[ -z "${SOCA_SANITIZED:-}" ] || skip "LeakSanitizer cannot run setgid programs"
	G=socatest-soca
	getent group $G >/dev/null || groupadd $G
	for u in alice bob; do
		id socatest-$u >/dev/null 2>&1 || useradd -M -d /nonexistent -s /bin/sh socatest-$u
	done
	T=$(mktemp -d /tmp/soca-desk-mu.XXXXXX)
	chmod 0755 "$T"
	mkdir "$T/bin"
	cp "$SOCA_BUILDDIR/bin/soca-desktop" "$SOCA_BUILDDIR/bin/soca-spool" "$T/bin/"
	chgrp $G "$T/bin/soca-desktop"
	chmod 2755 "$T/bin/soca-desktop"
	SPOOL=$T/spool
	desk_conf
	chmod 0644 "$SOCA_CONF"
	cp "$SOCA_CONF" "$T/soca.conf"
	export SOCA_CONF=$T/soca.conf
	"$T/bin/soca-spool" init $G
	as() {
		local u=$1
		shift
		(cd "$T" && runuser -u socatest-"$u" -- env SOCA_CONF="$SOCA_CONF" \
		    PATH="$T/bin:$PATH" "$@")
	}
	run as alice soca-desktop launch ws1
	assert_success
	assert_output --partial "ws1: launched"
	run stat -c '%U %G %a' "$SPOOL/desktop/socatest-alice"
	assert_output "socatest-alice $G 2770"
	run stat -c '%G' "$SPOOL/desktop/socatest-alice/ws1"
	assert_output "$G"
	run as bob soca-desktop launch ws1	# the same name, another user
	assert_success
	[ "$(launches)" = 2 ]
	run as bob soca-desktop list -n -o name,owner
	assert_output --regexp '^ws1 +socatest-bob$'
	run as bob soca-desktop list -a
	assert_failure 2
	awsim_advance 60
	run as bob soca-desktop stop socatest-alice/ws1
	assert_failure 2
	assert_output --partial "only admins act on another user's desktops"
	[ "$(awsim_calls ec2:StopInstances)" = 0 ]
	run as bob soca-desktop schedule socatest-alice/ws1 daily off
	assert_failure 2
	run "$T/bin/soca-desktop" list -a -n -o owner
	assert_output "socatest-alice
socatest-bob"
	run "$T/bin/soca-desktop" stop socatest-alice/ws1	# root: an admin
	assert_success
	rm -rf "$T"
}
