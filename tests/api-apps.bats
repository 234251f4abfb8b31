#!/usr/bin/env bats
# api-apps.bats: application profiles of the web door (soca-api(8)):
# administrators' NAME.json files in [web] applications, listed for any
# user, a malformed one left out and named in the audit log; a
# submission from a profile's form renders its script with every value
# single-quoted, runs as the user, and a bad parameter is a 400 that
# stores nothing.

load lib/helper
load lib/web
load lib/jobs

setup_file() {
	web_start
	[ -n "${WEB_DIR:-}" ] || return 0
	local d=$WEB_DIR/apps
	mkdir -p "$d"
	cp "$SOCA_SRCDIR/etc/web/applications/cfd-solver.json" "$d/"
	cat >"$d/echo.json" <<-'JSON'
	{
	  "label": "Echo",
	  "description": "prints its parameters",
	  "resources": { "walltime": "10m" },
	  "fields": [
	    { "name": "msg", "label": "Message", "type": "string", "required": true },
	    { "name": "n", "label": "Count", "type": "int", "min": 1, "max": 5, "default": 2 },
	    { "name": "x", "label": "Factor", "type": "number", "min": 0.5, "max": 2.5 },
	    { "name": "mode", "label": "Mode", "type": "choice", "choices": ["fast", "slow one"] },
	    { "name": "file", "label": "File", "type": "path" },
	    { "name": "tag", "label": "Tag", "type": "string", "pattern": "[a-z]+(-[a-z]+)*" }
	  ],
	  "script": "#!/bin/sh\nprintf 'msg=[%s]\\n' ${msg}\nprintf 'n=[%s] x=[%s] mode=[%s] file=[%s] tag=[%s] home=[%s]\\n' ${n} ${x} ${mode} ${file} ${tag} \"${HOME##*/}\"\n"
	}
	JSON
	printf '{"label": "broken", "script": ' >"$d/broken.json"
	printf '{"label": "Bad", "script": "true\\n", "fields": [{"name": "a", "label": "A", "type": "float"}]}\n' \
	    >"$d/badfield.json"
	printf '{"label": "Bad range", "script": "true\\n", "fields": [{"name": "a", "label": "A", "type": "int", "min": 1, "max": 3, "default": 7}]}\n' \
	    >"$d/baddefault.json"
	sed -i "/^\[web\]\$/a applications = $d" "$WEB_CONF"
	web_key alice
	web_key bob
}

teardown_file() {
	# the jobs' output in alice's home (shared with the other web suites),
	# should a test have failed before removing it
	[ -n "${WEB_SUB:-}" ] && rm -f "$WEB_HOMES"/alice/*"-$WEB_SUB".[oe]*
	web_stop
}

setup() {
	web_setup || skip "$WEB_SKIP"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# the spool as root sees it, for before/after comparisons
spool_state() {
	(cd "$WEB_DIR/spool" && find . -type f | sort | while read -r f; do
		printf '%s %s\n' "$f" "$(md5sum <"$f" | cut -c1-32)"
	done)
}

# app_submit USER JSON: POST /api/jobs with the body
app_submit() {
	web_as "$1" POST /api/jobs -H 'Content-Type: application/json' --data "$2"
}

# the script line of job ID's record in the spool (escaped as job.c does)
job_script() {
	local f
	f=$(find "$WEB_DIR/spool"/{queued,running,done} -type f -name "$1" | head -n 1)
	[ -n "$f" ] || { echo "no record of job $1" >&2; return 1; }
	sed -n 's/^script=//p' "$f"
}

@test "list: the valid profiles for any user; malformed files left out and named in the audit log" {
	web_as bob GET /api/applications
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '[.[].name] | join(" ")' <<<"$WEB_BODY")" "cfd-solver echo"
	assert_equal "$(jq -r '.[] | select(.name == "echo") | .fields | length' <<<"$WEB_BODY")" 6
	assert_equal "$(jq -r '.[] | select(.name == "cfd-solver") | .label' <<<"$WEB_BODY")" "CFD solver run"
	run grep -c "GET /api/applications 200 .*baddefault.json: field a: its default: .*out of range.*badfield.json: field a: type is one of int.*broken.json: line 1: " \
	    "$WEB_AUDIT"
	assert_output 1
	web_as alice GET /api/applications/echo
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r .name <<<"$WEB_BODY")" echo
	assert_equal "$(jq -r '.fields[1].max' <<<"$WEB_BODY")" 5
	jq -e '.script | test("printf")' <<<"$WEB_BODY" >/dev/null
	web_as alice GET /api/applications/broken
	assert_equal "$WEB_STATUS" 404
	web_as alice GET /api/applications/nope
	assert_equal "$WEB_STATUS" 404
	web_as alice GET '/api/applications/a%20b'
	assert_equal "$WEB_STATUS" 400
	web_req GET /api/applications
	assert_equal "$WEB_STATUS" 401
}

@test "soca-api --check-applications: ok for each valid profile, the file and why for the others, exit 2" {
	run "$WEB_DIR/cgi/soca-api" --check-applications
	assert_failure 2
	assert_line "cfd-solver ok"
	assert_line "echo ok"
	assert_line "soca-api: $WEB_DIR/apps/badfield.json: field a: type is one of int, number, string, choice, path"
	assert_line "soca-api: $WEB_DIR/apps/baddefault.json: field a: its default: parameter a is out of range: give a value from 1 to 3"
	assert_line --regexp "^soca-api: $WEB_DIR/apps/broken.json: line 1: "
	mkdir good
	cp "$WEB_DIR/apps/echo.json" good/
	sed "s|^applications = .*|applications = $PWD/good|" "$WEB_CONF" >good.conf
	SOCA_CONF=$PWD/good.conf run "$WEB_DIR/cgi/soca-api" --check-applications
	assert_success
	assert_output "echo ok"
	# unknown keys, in a profile and in a field: named, with the known ones
	mkdir keys
	printf '{"label": "L", "script": "true\\n", "colour": "red"}\n' >keys/extra.json
	printf '{"label": "L", "script": "true\\n", "fields": [{"name": "a", "label": "A", "type": "int", "unit": "s"}]}\n' >keys/fieldextra.json
	sed "s|^applications = .*|applications = $PWD/keys|" "$WEB_CONF" >keys.conf
	SOCA_CONF=$PWD/keys.conf run "$WEB_DIR/cgi/soca-api" --check-applications
	assert_failure 2
	assert_line "soca-api: $PWD/keys/extra.json: unknown key \"colour\" (known: label, description, queue, interpreter, resources, fields, script)"
	assert_line "soca-api: $PWD/keys/fieldextra.json: a field has the unknown key \"unit\" (known: name, label, type, required, default, min, max, choices, pattern)"
	sed "s|^applications = .*|applications = $PWD/none|" "$WEB_CONF" >none.conf
	SOCA_CONF=$PWD/none.conf run "$WEB_DIR/cgi/soca-api" --check-applications
	assert_failure 2
	assert_output "soca-api: $PWD/none: No such file or directory (set [web] applications to the profiles' directory)"
}

@test "a submission renders the script with quoted values; the job runs to done as the user" {
	local id body
	body=$(jq -nc --arg n "apps-$WEB_SUB" '{application: "echo", name: $n,
	    parameters: {msg: "hello world", n: "3", x: 1.5, mode: "slow one",
	    file: "data/in put.txt", tag: "ab-cd"}}')
	app_submit alice "$body"
	assert_equal "$WEB_STATUS" 201
	id=$(jq -r .id <<<"$WEB_BODY")
	run job_script "$id"
	assert_success
	assert_output --partial "printf 'msg=[%s]"
	assert_output --partial "' 'hello world'"
	assert_output --partial "' '3' '1.5' 'slow one' 'data/in put.txt' 'ab-cd' \"\${HOME##*/}\""
	web_as alice GET "/api/jobs/$id"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r .user <<<"$WEB_BODY")" socatest-alice
	assert_equal "$(jq -r .name <<<"$WEB_BODY")" "apps-$WEB_SUB"
	assert_equal "$(jq -r .res.walltime <<<"$WEB_BODY")" 10m
	soca-node-up
	wait_state "$id" done 20
	web_as alice GET "/api/jobs/$id/output/stdout"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "msg=[hello world]
n=[3] x=[1.5] mode=[slow one] file=[data/in put.txt] tag=[ab-cd] home=[alice]"
	rm -f "$WEB_HOMES/alice/apps-$WEB_SUB".[oe]"$id"
}

@test "the shipped example: defaults fill what is not given; it runs" {
	local id
	app_submit alice "{\"application\":\"cfd-solver\",\"name\":\"cfd-$WEB_SUB\",\"parameters\":{\"input\":\"cases/wing\",\"cores\":8}}"
	assert_equal "$WEB_STATUS" 201
	id=$(jq -r .id <<<"$WEB_BODY")
	soca-node-up
	wait_state "$id" done 20
	web_as alice GET "/api/jobs/$id/output/stdout"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "case: cases/wing
cores: 8
precision: double
tag: run
cfd-solver is not installed here: nothing run"
	rm -f "$WEB_HOMES/alice/cfd-$WEB_SUB".[oe]"$id"
}

@test "injection attempts end up as literal text in the output and nothing else happens" {
	local p id i=0 pwned=/tmp/pwned-$WEB_SUB expect
	local -a ids=() payloads=(
		"x'; touch $pwned; '"
		"\$(touch $pwned)\$(id)"
		"\`touch $pwned\` \`id\`"
		"a
touch $pwned
b"
		"'\"\${PATH}\"'\\ \"; touch $pwned #"
	)
	for p in "${payloads[@]}"; do
		i=$((i + 1))
		app_submit alice "$(jq -nc --arg m "$p" --arg n "inj$i-$WEB_SUB" \
		    '{application: "echo", name: $n, parameters: {msg: $m}}')"
		assert_equal "$WEB_STATUS" 201
		ids+=("$(jq -r .id <<<"$WEB_BODY")")
	done
	i=0
	for id in "${ids[@]}"; do
		soca-node-up
		wait_state "$id" done 20
		web_as alice GET "/api/jobs/$id/output/stdout"
		expect="msg=[${payloads[$i]}]
n=[2] x=[] mode=[] file=[] tag=[] home=[alice]"
		assert_equal "$WEB_BODY" "$expect"
		i=$((i + 1))
		rm -f "$WEB_HOMES/alice/inj$i-$WEB_SUB".[oe]"$id"
	done
	[ ! -e "$pwned" ]
	[ ! -e "$WEB_HOMES/alice/$pwned" ]
	# nowhere a job could have made it (other suites' files come and go)
	assert_equal "$(find /tmp "$WEB_HOMES" -name "pwned-$WEB_SUB" 2>/dev/null)" ""
}

@test "bad parameters are a 400 naming the field, the rule and the fix; no job stored" {
	local before body want
	before=$(spool_state)
	while IFS='|' read -r body want; do
		app_submit alice "$body"
		assert_equal "$WEB_STATUS" 400
		jq -r .error <<<"$WEB_BODY" | grep -F -- "$want" || {
			echo "body $body: $WEB_BODY, wanted $want" >&2
			return 1
		}
	done <<-'CASES'
	{"application":"echo","parameters":{"msg":"m","n":"abc"}}|parameter n must be an integer: give digits
	{"application":"echo","parameters":{"msg":"m","n":"3.5"}}|parameter n must be an integer
	{"application":"echo","parameters":{"msg":"m","n":9}}|parameter n is out of range: give a value from 1 to 5
	{"application":"echo","parameters":{"msg":"m","n":0}}|parameter n is out of range
	{"application":"echo","parameters":{"msg":"m","x":"1e9"}}|parameter x is out of range: give a value from 0.5 to 2.5
	{"application":"echo","parameters":{"msg":"m","x":true}}|parameter x must be a number
	{"application":"echo","parameters":{"msg":"m","mode":"medium"}}|parameter mode is not one of its choices
	{"application":"echo","parameters":{"msg":"m","bogus":"1"}}|unknown parameter "bogus": application echo has no such field
	{"application":"echo","parameters":{"n":2}}|parameter msg is required: give it in parameters
	{"application":"echo","parameters":{"msg":"m","file":"../bob/x"}}|parameter file is not a path in your home
	{"application":"echo","parameters":{"msg":"m","file":"data/../../x"}}|parameter file is not a path in your home
	{"application":"echo","parameters":{"msg":"m","file":"/etc/passwd"}}|parameter file is not a path in your home
	{"application":"echo","parameters":{"msg":"m","tag":"a b"}}|parameter tag does not match its pattern [a-z]+(-[a-z]+)*
	{"application":"echo","parameters":{"msg":"m","tag":"ab\nc"}}|parameter tag does not match its pattern
	{"application":"echo","parameters":{"msg":5}}|parameter msg must be a string
	{"application":"echo","parameters":{"msg":"a\u0000b"}}|\u0000 is not allowed
	{"application":"echo","parameters":["msg"]}|parameters must be an object
	{"application":"echo","parameters":{"msg":"m"},"script":"id\n"}|unknown field "script" beside application
	{"application":"echo","parameters":{"msg":"m"},"queue":"normal"}|unknown field "queue" beside application
	{"application":5}|application must be a profile's name
	{"application":"a b"}|bad application name
	CASES
	app_submit alice "$(jq -nc --arg m "$(head -c 257 /dev/zero | tr '\0' a)" \
	    '{application: "echo", parameters: {msg: $m}}')"
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" "parameter msg is longer than 256 bytes: give a shorter value"
	assert_equal "$(spool_state)" "$before"
}

@test "an unknown or malformed application is a 404; no job stored" {
	local before
	before=$(spool_state)
	app_submit alice '{"application":"nope","parameters":{}}'
	assert_equal "$WEB_STATUS" 404
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" 'no such application "nope" (GET /api/applications lists them)'
	app_submit bob '{"application":"broken","parameters":{}}'
	assert_equal "$WEB_STATUS" 404
	web_as alice POST /api/estimate -H 'Content-Type: application/json' \
	    --data '{"application":"nope"}'
	assert_equal "$WEB_STATUS" 404
	assert_equal "$(spool_state)" "$before"
}
