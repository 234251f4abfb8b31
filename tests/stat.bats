#!/usr/bin/env bats
# soca-stat and soca-del on a spool with no dispatcher running.

load lib/helper
load lib/jobs

setup() {
	soca_test_env
	no_dispatch
}

@test "no spool yet: an empty table, exit 0" {
	run soca-stat
	assert_success
	assert_output --regexp '^ID +NAME +USER +QUEUE +STATE +NODES +INSTANCE TYPE +ELAPSED +REASON$'
}

@test "filters -u -q -s, ids as arguments and on stdin" {
	soca-submit -q high -- true
	soca-submit -q low -- true
	soca-submit -q low -N third -- true
	run soca-stat -n -o id -q low
	assert_output "$(printf '2\n3')"
	run soca-stat -n -o id -u nobody
	assert_output ''
	run soca-stat -n -o name 3
	assert_output third
	run soca-stat -n -o id < <(printf '1\n3\n')
	assert_output "$(printf '1\n3')"
	soca-del 2
	run soca-stat -n -o id
	assert_output "$(printf '1\n3')"
	run soca-stat -n -o id -x
	assert_output "$(printf '1\n2\n3')"
	run soca-stat -n -o id -s cancelled
	assert_output 2
}

@test "-J prints JSON Lines, -f the full record" {
	soca-submit -N j1 -l nodes=2 -- true
	run soca-stat -J
	assert_output --partial '"id":1'
	assert_output --partial '"name":"j1"'
	assert_output --partial '"nodes":2,'
	run soca-stat -f 1
	assert_line 'state=queued'
	assert_line 'name=j1'
	run soca-stat -J -o id,exit
	assert_output '{"id":1,"exit":null}'
}

@test "-f -J prints every field of each record as one JSON object" {
	soca-submit -N j1 -l nodes=2 -v FOO=bar -- true
	soca-submit -W depend=afterok:1 -j oe -- true
	soca-del 2
	run soca-stat -f -J -x
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	printf '%s\n' "$output" | python3 -c '
import json, sys
a, b = [json.loads(l) for l in sys.stdin]
assert a["id"] == 1 and a["state"] == "queued" and a["name"] == "j1", a
assert a["res"]["nodes"] == "2" and "FOO=bar" in a["env"], a
assert isinstance(a["uid"], int) and isinstance(a["submit"], int), a
assert b["id"] == 2 and b["state"] == "cancelled", b
assert b["afterok"] == [1] and b["join"] is True, b
'
	# every key=value line of -f is a key of -f -J
	run bash -c "soca-stat -f 1 | sed -n 's/=.*//p' | sort -u"
	keys=$output
	run bash -c "soca-stat -f -J 1 | python3 -c 'import json,sys; print(\"\\n\".join(sorted(json.load(sys.stdin))))'"
	assert_output "$keys"
}

@test "bad ids and states are usage errors; unknown ids exit 1" {
	run soca-stat abc
	assert_failure 2
	assert_output --partial 'abc: not a job id'
	run soca-stat -s sleeping
	assert_failure 2
	assert_output --partial 'not a state'
	soca-submit -- true
	run soca-stat 99
	assert_failure 1
	assert_output --partial 'job 99: no such job'
	run soca-stat -o bogus
	assert_failure 2
}

@test "soca-del cancels queued jobs from args and stdin and prints them" {
	for i in 1 2 3; do soca-submit -- true; done
	run soca-del 1
	assert_success
	assert_output 1
	run soca-del < <(printf '2\n3\n')
	assert_output "$(printf '2\n3')"
	run soca-stat -x -n -o state
	assert_output "$(printf 'cancelled\ncancelled\ncancelled')"
	[ "$(spool_count queued)" -eq 0 ]
	run soca-del 1
	assert_failure 1
	assert_output --partial 'job 1: already cancelled'
	run soca-del 77
	assert_failure 1
	assert_output --partial 'job 77: no such job'
	run soca-del -J 77 x
	assert_failure 2
}

@test "soca-del and soca-stat take soca-stat's table, CSV and JSON Lines on stdin" {
	for i in 1 2 3 4 5 6; do soca-submit -- true; done
	run bash -c 'soca-stat -u "$(id -un)" -s queued | head -3 | soca-del'
	assert_success
	assert_output "$(printf '1\n2')"
	run bash -c 'soca-stat --csv -o id,name 3 | soca-del'
	assert_success
	assert_output 3
	run bash -c 'soca-stat -J 4 | soca-del'
	assert_success
	assert_output 4
	run bash -c 'soca-stat -o id,state 5 6 | soca-stat -n -o id,state'
	assert_output "$(printf '5  queued\n6  queued')"
	run bash -c 'soca-stat -u nobody | soca-del'
	assert_success
	assert_output ''
	run bash -c 'printf "ID\n5\nfive\n" | soca-del'
	assert_failure 2
	assert_output "$(printf '5\nsoca-del: five: not a job id (ids are numbers, e.g. 42 or 42.server)')"
	run bash -c 'printf "5\nID\n" | soca-del'
	assert_failure 2
	assert_output --partial 'ID: not a job id'
}

@test "soca-del stops a running job: SIGTERM to its process group" {
	printf '[cluster]\ndispatch = cron\nkill_grace = 2s\n' >"$SOCA_CONF"
	soca-submit -- sh -c 'sleep 60 & wait'
	soca-node-up
	wait_state 1 running 5
	for i in $(seq 300); do
		pgid=$(soca-stat -f 1 | sed -n 's/^pgid=//p')
		[ -n "$pgid" ] && break
		sleep 0.1
	done
	[ -n "$pgid" ]
	run soca-del 1
	assert_success
	assert_output 1
	! kill -0 -"$pgid" 2>/dev/null
	eventually_output 30 '^cancelled +143$' soca-stat -x -n -o state,exit 1
	run soca-stat -x -n -o state,exit 1
	assert_output --regexp '^cancelled +143$'
}
