#!/usr/bin/env bats
# api.bats: the web door (soca-api(8)) through nginx + fcgiwrap for real,
# as tests/lib/web.bash sets it up: two users and an administrator, keys
# and sessions, jobs in a shared spool; every refusal checked for its
# status and for nothing changed.

load lib/helper
load lib/web
load lib/jobs

setup_file() {
	web_start
	[ -n "${WEB_DIR:-}" ] || return 0
	web_key alice bob carol
}

teardown_file() {
	web_stop
}

setup() {
	[[ $BATS_TEST_DESCRIPTION == "the shipped sudoers"* ]] && return 0
	web_test_setup
}

# the spool as root sees it, for before/after comparisons
spool_state() {
	(cd "$WEB_DIR/spool" && find . -type f | sort | while read -r f; do
		printf '%s %s\n' "$f" "$(md5sum <"$f" | cut -c1-32)"
	done)
}

# the keys but their last_used, which every use of a key updates
keys_state() {
	local f
	for f in "$WEB_STATE"/keys/*.json; do
		printf '%s %s\n' "${f##*/}" "$(jq -cS 'del(.last_used)' "$f")"
	done
}

submit_as() {	# submit_as USER [json fields]: prints the job id
	web_as "$1" POST /api/jobs -H 'Content-Type: application/json' \
	    --data "{\"script\":\"#!/bin/sh\\necho hello\\n\"${2:+,$2}}"
	[ "$WEB_STATUS" = 201 ] || { echo "submit: $WEB_STATUS $WEB_BODY" >&2; return 1; }
	jq -r .id <<<"$WEB_BODY"
}

@test "GET /api/me: who the key acts as; the CGI's euid is not 0" {
	web_as alice GET /api/me
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r .user <<<"$WEB_BODY")" socatest-alice
	assert_equal "$(jq -r .uid <<<"$WEB_BODY")" "$(id -u socatest-alice)"
	assert_equal "$(jq -r .admin <<<"$WEB_BODY")" false
	assert_equal "$(jq -r .server_euid <<<"$WEB_BODY")" "$(id -u socatest-api)"
	web_as carol GET /api/me
	assert_equal "$(jq -r .admin <<<"$WEB_BODY")" true
	run grep -c ' GET /api/me 200 uid=0 \| euid=0 ' "$WEB_AUDIT"
	assert_output 0
	run grep -c " socatest-alice GET /api/me 200 uid=$(id -u socatest-api) euid=$(id -u socatest-api) " "$WEB_AUDIT"
	assert_output 1
}

@test "submit, list, show, cancel as the owner" {
	local id
	id=$(submit_as alice '"name":"first","resources":{"walltime":"1h","ncpus":1}')
	run soca-stat -n -o id,user,name,state "$id"
	assert_output --regexp "^$id +socatest-alice +first +queued$"
	web_as alice GET /api/jobs
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r ".[] | select(.id == $id) | .name" <<<"$WEB_BODY")" first
	web_as alice GET "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r .user <<<"$WEB_BODY")" socatest-alice
	assert_equal "$(jq -r .res.walltime <<<"$WEB_BODY")" 1h
	assert_equal "$(jq -r .workdir <<<"$WEB_BODY")" "$WEB_HOMES/alice"
	web_as alice DELETE "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 204
	run soca-stat -x -n -o state "$id"
	assert_output cancelled
	# cancelling it again: the owner's job, finished: 409
	web_as alice DELETE "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 409
	assert_equal "$(jq -r .status <<<"$WEB_BODY")" 409
}

@test "hold, release and alter as the owner; filters of the list" {
	local id
	id=$(submit_as alice '"hold":true,"queue":"normal"')
	run soca-stat -n -o reason "$id"
	assert_output "held by socatest-alice"
	web_as alice POST "/api/jobs/$id/release"
	assert_equal "$WEB_STATUS" 204
	run soca-stat -n -o reason "$id"
	refute_output --partial held
	web_as alice POST "/api/jobs/$id/hold"
	assert_equal "$WEB_STATUS" 204
	web_as alice PATCH "/api/jobs/$id" -H 'Content-Type: application/json' \
	    --data '{"name":"renamed"}'
	assert_equal "$WEB_STATUS" 204
	run soca-stat -n -o name "$id"
	assert_output renamed
	web_as bob GET "/api/jobs?user=socatest-alice&state=queued"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r ".[] | select(.id == $id) | .name" <<<"$WEB_BODY")" renamed
	assert_equal "$(jq -r '[.[] | select(.user != "socatest-alice")] | length' <<<"$WEB_BODY")" 0
	web_as alice DELETE "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 204
}

@test "a bad value is a 400 with the command's message; nothing is stored" {
	local before
	before=$(spool_state)
	web_as alice POST /api/jobs -H 'Content-Type: application/json' \
	    --data '{"script":"true\n","resources":{"walltime":"zz"}}'
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" 'resource walltime: bad value "zz": expected a duration such as 90s, 15m, 2h, 1d or 01:30:00 (fix: -l walltime=VALUE)'
	assert_equal "$(spool_state)" "$before"
	# the client never sees stderr beyond that line, nor server paths
	refute [ "$(grep -c "$WEB_DIR" <<<"$WEB_BODY")" -gt 0 ]
	run grep -c 'POST /api/jobs 400 .*stderr:.*walltime' "$WEB_AUDIT"
	refute_output 0
}

@test "interpreter: only the queue's interpreters" {
	local before id
	before=$(spool_state)
	web_as alice POST /api/jobs -H 'Content-Type: application/json' \
	    --data '{"script":"true\n","interpreter":"/usr/bin/python3"}'
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(spool_state)" "$before"
	id=$(submit_as alice '"interpreter":"/bin/sh"')
	run soca-stat -f "$id"
	assert_line --partial "/bin/sh"
	web_as alice DELETE "/api/jobs/$id"
}

@test "bob cannot cancel, hold, alter or read alice's job: 404 and nothing changed" {
	local id before
	id=$(web_as alice POST /api/jobs -H 'Content-Type: application/json' \
	    --data '{"script":"#!/bin/sh\necho secret-words\n"}' >/dev/null; jq -r .id <<<"$WEB_BODY")
	before=$(spool_state)
	web_as bob DELETE "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 404
	web_as bob POST "/api/jobs/$id/hold"
	assert_equal "$WEB_STATUS" 404
	web_as bob POST "/api/jobs/$id/release"
	assert_equal "$WEB_STATUS" 404
	web_as bob PATCH "/api/jobs/$id" -H 'Content-Type: application/json' --data '{"name":"mine"}'
	assert_equal "$WEB_STATUS" 404
	web_as bob GET "/api/jobs/$id"
	refute [ "$(grep -c secret-words <<<"$WEB_BODY")" -gt 0 ]
	assert_equal "$(spool_state)" "$before"
	run soca-stat -n -o state,name "$id"
	assert_output --regexp '^queued +STDIN$'
	# the administrator may
	web_as carol DELETE "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 204
}

@test "hostile job ids: 400 or 404, nothing changed" {
	local id before p
	id=$(submit_as alice)
	before=$(spool_state)
	for p in "$id%20$id" "$id;$id" '*' "$id%00" "%2e%2e" "$id%2F1" "1%zz" \
		"$(printf '1%.0s' $(seq 10000))" "-1" "0$id" "$id[" "$id[]x"; do
		web_as bob DELETE "/api/jobs/$p"
		# 414: nginx's own refusal of the 10 KB one
		case $WEB_STATUS in 400 | 404 | 414) ;; *) fail "DELETE /api/jobs/$p: $WEB_STATUS $WEB_BODY" ;; esac
		web_as alice DELETE "/api/jobs/$p"
		case $WEB_STATUS in 400 | 404 | 414) ;; *) fail "DELETE /api/jobs/$p as alice: $WEB_STATUS $WEB_BODY" ;; esac
	done
	assert_equal "$(spool_state)" "$before"
	web_as alice DELETE "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 204
}

@test "hostile bodies: wrong JSON types, unknown fields, NUL, not JSON, too large" {
	local before body
	before=$(spool_state)
	for body in '{"script":5}' '{"script":"true\n","name":7}' \
		'{"script":"true\n","resources":{"nodes":[1]}}' \
		'{"script":"true\n","resources":{"walltime":"1h,ncpus=9"}}' \
		'{"script":"true\n","resources":"nodes=2"}' \
		'{"script":"true\n","hold":"yes"}' '{"script":"true\n","root":true}' \
		'{"script":"a\u0000b"}' '{"script":"true\n","name":"a\u0000b"}' \
		'[1,2]' 'not json' '{"script":"true\n","script":"false\n"}'; do
		web_as alice POST /api/jobs -H 'Content-Type: application/json' --data "$body"
		[ "$WEB_STATUS" = 400 ] || fail "$body: $WEB_STATUS $WEB_BODY"
		assert_equal "$(jq -r .status <<<"$WEB_BODY")" 400
	done
	web_as alice POST /api/jobs -H 'Content-Type: text/plain' --data '{"script":"true\n"}'
	assert_equal "$WEB_STATUS" 400
	head -c 1200000 /dev/zero | tr '\0' a >big
	web_as alice POST /api/jobs -H 'Content-Type: application/json' --data-binary @big
	assert_equal "$WEB_STATUS" 413
	web_as alice GET '/api/jobs?state=queued%zz'
	assert_equal "$WEB_STATUS" 400
	web_as alice GET '/api/jobs?state=sleeping'
	assert_equal "$WEB_STATUS" 400
	web_as alice GET '/api/jobs?user=a;b'
	assert_equal "$WEB_STATUS" 400
	web_as alice GET '/api/jobs?bogus=1'
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(spool_state)" "$before"
}

@test "unknown paths are 404, known paths with another method 405 with Allow" {
	web_as alice GET /api/nothing
	assert_equal "$WEB_STATUS" 404
	web_as alice PUT /api/jobs
	assert_equal "$WEB_STATUS" 405
	grep -qx 'allow: GET, POST' <<<"$WEB_HEADERS"
	# every answer carries the security headers
	grep -qx 'cache-control: no-store' <<<"$WEB_HEADERS"
	grep -qx 'x-content-type-options: nosniff' <<<"$WEB_HEADERS"
	grep -q "^content-security-policy: default-src 'none'" <<<"$WEB_HEADERS"
}

@test "keys: list own, revoke own; bob cannot revoke alice's; a revoked key is 401" {
	local id tok before
	web_as alice POST /api/keys -H 'Content-Type: application/json' --data '{"name":"laptop"}'
	assert_equal "$WEB_STATUS" 201
	id=$(jq -r .id <<<"$WEB_BODY")
	tok=$(jq -r .token <<<"$WEB_BODY")
	# stored as a hash only
	run grep -rl "${tok##*_}" "$WEB_STATE"
	assert_output ""
	web_as alice GET /api/keys
	assert_equal "$(jq -r ".[] | select(.id == \"$id\") | .name" <<<"$WEB_BODY")" laptop
	assert_equal "$(jq -r '[.[] | select(.user != "socatest-alice")] | length' <<<"$WEB_BODY")" 0
	web_as bob GET /api/keys
	assert_equal "$(jq -r ".[] | select(.id == \"$id\") | .id" <<<"$WEB_BODY")" ""
	web_as bob GET '/api/keys?user=socatest-alice'
	assert_equal "$WEB_STATUS" 403
	before=$(keys_state)
	web_as bob DELETE "/api/keys/$id"
	assert_equal "$WEB_STATUS" 404
	assert_equal "$(keys_state)" "$before"
	web_req GET /api/me -H "Authorization: Bearer $tok"
	assert_equal "$WEB_STATUS" 200
	web_as alice DELETE "/api/keys/$id"
	assert_equal "$WEB_STATUS" 204
	web_req GET /api/me -H "Authorization: Bearer $tok"
	assert_equal "$WEB_STATUS" 401
	# a forged secret for a real key id, a made-up key, another scheme
	web_req GET /api/me -H "Authorization: Bearer ${WEB_KEY_alice%_*}_$(printf '0%.0s' $(seq 64))"
	assert_equal "$WEB_STATUS" 401
	web_req GET /api/me -H "Authorization: Bearer soca_0000000000000000_$(printf '0%.0s' $(seq 64))"
	assert_equal "$WEB_STATUS" 401
	web_req GET /api/me -H "Authorization: Basic c29jYXRlc3QtYWxpY2U6eA=="
	assert_equal "$WEB_STATUS" 401
}

@test "an administrator lists and revokes anyone's key" {
	local id
	web_as bob POST /api/keys -H 'Content-Type: application/json' --data '{"name":"old"}'
	id=$(jq -r .id <<<"$WEB_BODY")
	web_as carol GET '/api/keys?user=socatest-bob'
	assert_equal "$(jq -r ".[] | select(.id == \"$id\") | .name" <<<"$WEB_BODY")" old
	web_as carol DELETE "/api/keys/$id"
	assert_equal "$WEB_STATUS" 204
	run ls "$WEB_STATE/keys/$id.json"
	assert_failure
}

@test "sessions: login, cookie use, logout revokes it server-side" {
	local c
	web_login bob
	c=$WEB_COOKIE
	grep -q '^set-cookie: soca_session=.*; Path=/api; Max-Age=28800; HttpOnly; Secure; SameSite=Strict' <<<"$WEB_HEADERS"
	assert_equal "$(jq -r .user <<<"$WEB_BODY")" socatest-bob
	web_req GET /api/me -b "soca_session=$c"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r .user <<<"$WEB_BODY")" socatest-bob
	web_req POST /api/logout -b "soca_session=$c" -H "Origin: $WEB_ORIGIN"
	assert_equal "$WEB_STATUS" 204
	web_req GET /api/me -b "soca_session=$c"
	assert_equal "$WEB_STATUS" 401
}

@test "wrong, forged and expired cookies are 401" {
	local c id f
	web_login alice
	c=$WEB_COOKIE
	id=${c%%.*}
	web_req GET /api/me -b "soca_session=${id}.$(printf '0%.0s' $(seq 64))"
	assert_equal "$WEB_STATUS" 401
	web_req GET /api/me -b "soca_session=$(printf 'a%.0s' $(seq 32)).${c#*.}"
	assert_equal "$WEB_STATUS" 401
	web_req GET /api/me -b "soca_session=garbage"
	assert_equal "$WEB_STATUS" 401
	# expired: the session's file says so (as after session_ttl)
	f=$WEB_STATE/sessions/$id
	printf 'socatest-alice\n%s\n' "$(( $(date +%s) - 1 ))" >"$f"
	web_req GET /api/me -b "soca_session=$c"
	assert_equal "$WEB_STATUS" 401
	run ls "$f"
	assert_failure
}

@test "wrong password is 401; the sixth failure in the window is 429 with Retry-After" {
	local i
	for i in 1 2 3 4 5; do
		web_req POST /api/login -H 'Content-Type: application/json' \
		    --data '{"user":"socatest-bob","password":"wrong"}'
		assert_equal "$WEB_STATUS" 401
	done
	web_req POST /api/login -H 'Content-Type: application/json' \
	    --data '{"user":"socatest-bob","password":"pw-bob-123"}'
	assert_equal "$WEB_STATUS" 429
	grep -q '^retry-after: [0-9]' <<<"$WEB_HEADERS"
	run grep -c ' POST /api/login 429 .*too many failures' "$WEB_AUDIT"
	refute_output 0
}

@test "cross-origin cookie POST is 403 and changes nothing" {
	local before
	web_login alice
	before=$(spool_state)
	web_req POST /api/jobs -b "soca_session=$WEB_COOKIE" -H 'Content-Type: application/json' \
	    -H 'Origin: https://evil.example' --data '{"script":"true\n"}'
	assert_equal "$WEB_STATUS" 403
	web_req POST /api/jobs -b "soca_session=$WEB_COOKIE" -H 'Content-Type: application/json' \
	    --data '{"script":"true\n"}'
	assert_equal "$WEB_STATUS" 403
	# a form post (no JSON type) from the right origin: 403 too
	web_req POST /api/jobs -b "soca_session=$WEB_COOKIE" -H "Origin: $WEB_ORIGIN" \
	    --data 'script=true'
	assert_equal "$WEB_STATUS" 403
	assert_equal "$(spool_state)" "$before"
	web_req POST /api/jobs -b "soca_session=$WEB_COOKIE" -H "Origin: $WEB_ORIGIN" \
	    -H 'Content-Type: application/json' --data '{"script":"true\n"}'
	assert_equal "$WEB_STATUS" 201
	web_as alice DELETE "/api/jobs/$(jq -r .id <<<"$WEB_BODY")"
}

@test "no authentication: 401 everywhere but login and the API document" {
	web_req GET /api/jobs
	assert_equal "$WEB_STATUS" 401
	web_req GET /api/jobs -H 'X-Remote-User: socatest-alice'
	assert_equal "$WEB_STATUS" 401
	web_req GET '/api/jobs?user=socatest-alice'
	assert_equal "$WEB_STATUS" 401
	web_req GET /api/openapi.json
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r .openapi <<<"$WEB_BODY")" 3.1.0
}

@test "the CGI refuses to run as root" {
	run env REQUEST_METHOD=GET REQUEST_URI=/api/me SOCA_CONF="$WEB_CONF" "$WEB_DIR/cgi/soca-api"
	assert_failure 1
	assert_line --index 0 $'Status: 500 Internal Server Error\r'
	assert_output --partial '{"error":"misconfigured","status":500}'
	run grep -c ' GET /api/me 500 uid=0 euid=0 .*refused: runs as root' "$WEB_AUDIT"
	assert_output 1
}

@test "never as root or below min_uid: refused before sudo" {
	# a key file naming root, as if forged into the state directory
	local before
	web_as alice GET /api/me
	printf '{"id":"00000000000000aa","name":"x","user":"root","hash":"%s","created":0,"last_used":null}' \
	    "$(printf '%064d' 0 | tr -d '\n' | sha256sum | cut -c1-64)" >"$WEB_STATE/keys/00000000000000aa.json"
	chown socatest-api: "$WEB_STATE/keys/00000000000000aa.json"
	before=$(spool_state)
	web_req POST /api/jobs -H "Authorization: Bearer soca_00000000000000aa_$(printf '%064d' 0)" \
	    -H 'Content-Type: application/json' --data '{"script":"true\n"}'
	assert_equal "$WEB_STATUS" 403
	assert_equal "$(spool_state)" "$before"
	rm -f "$WEB_STATE/keys/00000000000000aa.json"
}

@test "every route is in openapi.json, every path+method not planned is routed" {
	local routes doc
	routes=$("$WEB_DIR/cgi/soca-api" --routes | sort)
	doc=$(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] |
	    select(.value["x-soca-status"] != "planned") | "\(.key | ascii_upcase) \($p)"' \
	    "$SOCA_SRCDIR/lib/web/openapi.json" | sort)
	assert_equal "$routes" "$doc"
}

@test "queues and budgets" {
	web_as alice GET /api/queues
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '.[] | select(.name == "normal") | .interpreters | join(" ")' <<<"$WEB_BODY")" "/bin/bash /bin/sh"
	web_as alice POST /api/estimate -H 'Content-Type: application/json' --data '{"script":"true\n","resources":{"walltime":"zz"}}'
	assert_equal "$WEB_STATUS" 400
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"}}]' >/dev/null
	# soca-budget, setgid, reads the spool's cost cache for a user too;
	# cfd names no allowed_users, so everyone may charge it and see it
	web_as alice GET /api/budgets
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '.[] | select(.project == "cfd") | .limit' <<<"$WEB_BODY")" 100
	refute [ "$(grep -c "$WEB_DIR" <<<"$WEB_BODY")" -gt 0 ]
	web_as alice GET /api/queues?x=1
	assert_equal "$WEB_STATUS" 400
}

@test "the shipped sudoers drop-in parses and allows no root" {
	[ -x /usr/sbin/visudo ] || skip "visudo is missing (apt-get install sudo)"
	run /usr/sbin/visudo -cf "$SOCA_SRCDIR/etc/web/sudoers"
	assert_success
	run grep -E '^soca-api ALL = \(%soca-users, !root\) NOPASSWD: SOCA_WEB$' "$SOCA_SRCDIR/etc/web/sudoers"
	assert_success
}

@test "files: upload, list, download, mkdir, rename, delete in the user's home" {
	local S=$WEB_SUB H=$WEB_HOMES/alice/$WEB_SUB
	printf 'nx = 400\n' >case.ini
	web_as alice PUT "/api/files?path=$S/case.ini" --data-binary @case.ini
	assert_equal "$WEB_STATUS" 201
	run cat "$H/case.ini"
	assert_output 'nx = 400'
	run stat -c %U "$H/case.ini"
	assert_output socatest-alice
	web_as alice PUT "/api/files?path=$S/case.ini" --data-binary @case.ini
	assert_equal "$WEB_STATUS" 409
	web_as alice POST /api/files/mkdir -H 'Content-Type: application/json' --data "{\"path\":\"$S/runs\"}"
	assert_equal "$WEB_STATUS" 201
	web_as alice POST /api/files/rename -H 'Content-Type: application/json' \
	    --data "{\"from\":\"$S/case.ini\",\"to\":\"$S/runs/case1.ini\"}"
	assert_equal "$WEB_STATUS" 204
	web_as alice GET "/api/files?path=$S/runs"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '.[] | "\(.name) \(.type) \(.size)"' <<<"$WEB_BODY")" "case1.ini file 9"
	web_as alice GET /api/files
	assert_equal "$(jq -r ".[] | select(.name == \"$S\") | .type" <<<"$WEB_BODY")" dir
	web_as alice GET "/api/files?path=$S/runs/case1.ini"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" 'nx = 400'
	grep -q '^content-disposition: attachment; filename="case1.ini"' <<<"$WEB_HEADERS"
	web_as alice DELETE "/api/files?path=$S/runs/case1.ini"
	assert_equal "$WEB_STATUS" 204
	run ls "$H/runs"
	assert_output ""
}

@test "files: bob cannot list, read or change alice's; escapes and big uploads refused" {
	local before
	local S=$WEB_SUB p
	printf 'secret\n' >"$WEB_HOMES/alice/$S/private.txt"
	chown socatest-alice: "$WEB_HOMES/alice/$S/private.txt"
	ln -sfn "../../alice/$S" "$WEB_HOMES/bob/$S/alice-link"
	before=$(cd "$WEB_HOMES" && find ./*/"$S" -printf '%p %s %m %u\n' | sort)
	for p in "../alice/$S/private.txt" "..%2Falice%2F$S%2Fprivate.txt" /etc/passwd %2Fetc%2Fpasswd \
		"$S/private.txt%00" "$S/alice-link/private.txt" "$S/alice-link" . 'a//b' './x'; do
		web_as bob GET "/api/files?path=$p"
		case $p in .) [ "$WEB_STATUS" = 200 ] || fail "GET $p: $WEB_STATUS" ;;
		*) case $WEB_STATUS in 400 | 403 | 404) ;; *) fail "GET $p: $WEB_STATUS $WEB_BODY" ;; esac ;;
		esac
		refute [ "$(grep -c secret <<<"$WEB_BODY")" -gt 0 ]
		# bob's own link is his to remove: not here
		[ "$p" = "$S/alice-link" ] && continue
		web_as bob DELETE "/api/files?path=$p"
		case $WEB_STATUS in 400 | 403 | 404) ;; *) fail "DELETE $p: $WEB_STATUS $WEB_BODY" ;; esac
	done
	web_as bob POST /api/files/rename -H 'Content-Type: application/json' \
	    --data "{\"from\":\"../alice/$S/private.txt\",\"to\":\"$S/mine.txt\"}"
	assert_equal "$WEB_STATUS" 400
	web_as bob POST /api/files/rename -H 'Content-Type: application/json' \
	    --data "{\"from\":\"$S/alice-link/private.txt\",\"to\":\"$S/mine.txt\"}"
	case $WEB_STATUS in 400 | 403 | 404) ;; *) fail "rename through the link: $WEB_STATUS" ;; esac
	head -c 100000 /dev/zero >big
	web_as bob PUT "/api/files?path=$S/big" --data-binary @big
	assert_equal "$WEB_STATUS" 413
	web_as bob PUT "/api/files?path=$S/alice-link/x" --data-binary @/dev/null
	case $WEB_STATUS in 400 | 403 | 404) ;; *) fail "put through the link: $WEB_STATUS" ;; esac
	assert_equal "$(cd "$WEB_HOMES" && find ./*/"$S" -printf '%p %s %m %u\n' | sort)" "$before"
	rm -f "$WEB_HOMES/bob/$S/alice-link"
}

@test "a job's output: the owner downloads it; bob gets 404" {
	local id
	id=$(web_as alice POST /api/jobs -H 'Content-Type: application/json' \
	    --data "{\"script\":\"#!/bin/sh\\necho out-words\\necho err-words >&2\\n\",\"name\":\"out-$WEB_SUB\"}" >/dev/null
	    jq -r .id <<<"$WEB_BODY")
	web_as alice GET "/api/jobs/$id/output/stdout"
	assert_equal "$WEB_STATUS" 404
	soca-node-up
	wait_state "$id" done 20
	web_as alice GET "/api/jobs/$id/output/stdout"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" out-words
	grep -q '^content-type: text/plain' <<<"$WEB_HEADERS"
	web_as alice GET "/api/jobs/$id/output/stderr"
	assert_equal "$WEB_BODY" err-words
	web_as bob GET "/api/jobs/$id/output/stdout"
	assert_equal "$WEB_STATUS" 404
	refute [ "$(grep -c out-words <<<"$WEB_BODY")" -gt 0 ]
	web_as alice GET "/api/jobs/$id/output/other"
	assert_equal "$WEB_STATUS" 404
	rm -f "$WEB_HOMES/alice/out-$WEB_SUB".[oe]"$id"
}

@test "desktops: launch, list, show, connect, stop, start, resize, schedule, terminate; bob sees none of alice's" {
	awsim_reset
	web_as alice POST /api/desktops -H 'Content-Type: application/json' \
	    --data '{"name":"ws1","project":"cfd"}'
	assert_equal "$WEB_STATUS" 201
	assert_equal "$(awsim_calls ec2:RunInstances)" 2
	web_as alice GET /api/desktops
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '.[] | "\(.name) \(.type)"' <<<"$WEB_BODY")" "ws1 t3.large"
	web_as bob GET /api/desktops
	assert_equal "$(jq length <<<"$WEB_BODY")" 0
	web_as bob GET /api/desktops/ws1
	assert_equal "$WEB_STATUS" 404
	web_as bob DELETE /api/desktops/ws1
	assert_equal "$WEB_STATUS" 404
	awsim_advance 60
	web_as alice GET /api/desktops/ws1
	assert_equal "$(jq -r .state <<<"$WEB_BODY")" running
	web_as alice GET /api/desktops/ws1/connect
	assert_equal "$WEB_STATUS" 200
	jq -r .url <<<"$WEB_BODY" | grep -q '^https://localhost:8443/#[0-9a-f-]\{36\}$'
	jq -r .dcv_file <<<"$WEB_BODY" | grep -qx 'user=socatest-alice'
	# resize while running: the state forbids it
	web_as alice POST /api/desktops/ws1/resize -H 'Content-Type: application/json' --data '{"type":"m5.large"}'
	assert_equal "$WEB_STATUS" 409
	web_as alice POST /api/desktops/ws1/stop
	assert_equal "$WEB_STATUS" 204
	awsim_advance 60
	web_as alice POST /api/desktops/ws1/resize -H 'Content-Type: application/json' --data '{"type":"m5.large"}'
	assert_equal "$WEB_STATUS" 204
	web_as alice POST /api/desktops/ws1/start
	assert_equal "$WEB_STATUS" 204
	web_as alice PUT /api/desktops/ws1/schedule -H 'Content-Type: application/json' \
	    --data '{"tz":"Europe/Paris","windows":{"mon-fri":"08:00-18:00"}}'
	assert_equal "$WEB_STATUS" 204
	web_as alice POST /api/desktops/ws1/explode
	assert_equal "$WEB_STATUS" 404
	web_as alice POST /api/desktops -H 'Content-Type: application/json' --data '{"name":"../x"}'
	assert_equal "$WEB_STATUS" 400
	web_as alice POST /api/desktops -H 'Content-Type: application/json' --data '{"name":"w2","root_size":"big"}'
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(awsim_calls ec2:RunInstances)" 2
	web_as alice DELETE /api/desktops/ws1
	assert_equal "$WEB_STATUS" 204
	assert_equal "$(awsim_calls ec2:TerminateInstances)" 1
}
