#!/usr/bin/env bats
# api-dcv.bats: DCV token mode of the web door (soca-api(8)) through
# nginx + fcgiwrap for real (tests/lib/web.bash): with [desktop] dcv_auth
# = token, GET /api/desktops/{name}/connect gives the owner of a running
# desktop a signed token, and POST /api/dcv-auth, DCV's external
# authenticator, answers DCV's exact XML for it and refuses every other.

load lib/helper
load lib/web
load lib/jobs

setup_file() {
	web_start
	[ -n "${WEB_DIR:-}" ] || return 0
	sed -i 's/^\[desktop\]$/&\ndcv_auth = token/' "$WEB_DIR/soca.conf"
	web_key alice bob
}

teardown_file() {
	web_stop
}

setup() {
	web_test_setup
}

# set_ttl VALUE: [web] dcv_token_ttl (the [web] section is the conf's last)
set_ttl() {
	sed -i '/^dcv_token_ttl = /d' "$WEB_DIR/soca.conf"
	[ -z "$1" ] || printf 'dcv_token_ttl = %s\n' "$1" >>"$WEB_DIR/soca.conf"
}

# dcv_auth INSTANCE SESSION TOKEN: what DCV server asks, in WEB_BODY
dcv_auth() {
	web_req POST "/api/dcv-auth?instance=$1" \
	    --data-urlencode "sessionId=$2" \
	    --data-urlencode "authenticationToken=$3" \
	    --data-urlencode "clientAddress=192.0.2.7:51234"
}

# launch USER NAME: a running desktop; its instance id and session in
# ID_USER and SES_USER
launch() {
	web_as "$1" POST /api/desktops -H 'Content-Type: application/json' \
	    --data "{\"name\":\"$2\"}"
	[ "$WEB_STATUS" = 201 ] || { echo "launch: $WEB_STATUS $WEB_BODY" >&2; return 1; }
}

desk() {	# desk USER NAME: ID and SES of the desktop
	web_as "$1" GET "/api/desktops/$2"
	ID=$(jq -r .id <<<"$WEB_BODY")
	SES=$(jq -r .session <<<"$WEB_BODY")
}

no() {
	printf '<auth result="no"><message>%s</message></auth>' "$1"
}

@test "connect gives the owner a token the verifier accepts; every other token is refused with DCV's XML" {
	local tok aid ases bid bses bad lines
	awsim_reset
	set_ttl ""
	launch alice ws1
	launch bob wb1
	# not running yet: no token
	web_as alice GET /api/desktops/ws1/connect
	if [ "$WEB_STATUS" = 200 ]; then
		assert_equal "$(jq -r '.token // "none"' <<<"$WEB_BODY")" none
	fi
	awsim_advance 60
	desk alice ws1
	aid=$ID ases=$SES
	desk bob wb1
	bid=$ID bses=$SES
	[[ $aid == i-* && $bid == i-* && $aid != "$bid" && $ases != "$bses" ]]

	web_as alice GET /api/desktops/ws1/connect
	assert_equal "$WEB_STATUS" 200
	tok=$(jq -r .token <<<"$WEB_BODY")
	[[ $tok =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$ ]]
	assert_equal "$(jq -r .url <<<"$WEB_BODY")" \
	    "https://localhost:8443/?authToken=$tok#$ases"
	jq -r .dcv_file <<<"$WEB_BODY" | grep -qxF "authtoken=$tok"
	jq -r .dcv_file <<<"$WEB_BODY" | grep -qxF "sessionid=$ases"
	# the payload says what it binds, in clear
	assert_equal "$(python3 -c 'import base64, sys
p = sys.argv[1].split(".")[0]
print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode().rsplit("|", 1)[0])' "$tok")" \
	    "v1|$ases|socatest-alice|$aid"

	# bob cannot get alice's token
	web_as bob GET /api/desktops/ws1/connect
	[[ $WEB_STATUS == 40[34] ]]
	[[ $WEB_BODY != *"$tok"* && $WEB_BODY != *authToken* && $WEB_BODY != *token* ]]

	: >"$WEB_AUDIT"
	dcv_auth "$aid" "$ases" "$tok"
	assert_equal "$WEB_STATUS" 200
	grep -qi '^content-type: text/xml' <<<"$WEB_HEADERS"
	assert_equal "$WEB_BODY" '<auth result="yes"><username>socatest-alice</username></auth>'

	# alice's token with bob's desktop's session (wrong owner)
	dcv_auth "$aid" "$bses" "$tok"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "$(no 'token is for another session')"
	# ... on bob's instance
	dcv_auth "$bid" "$ases" "$tok"
	assert_equal "$WEB_BODY" "$(no 'token is for another instance')"
	# ... both: still no
	dcv_auth "$bid" "$bses" "$tok"
	assert_equal "$WEB_BODY" "$(no 'token is for another session')"
	# one byte of the MAC changed
	bad=$(python3 -c 'import base64, sys
p, m = sys.argv[1].split(".")
b = bytearray(base64.urlsafe_b64decode(m + "="))
b[7] ^= 1
print(p + "." + base64.urlsafe_b64encode(bytes(b)).decode().rstrip("="))' "$tok")
	[ "$bad" != "$tok" ]
	dcv_auth "$aid" "$ases" "$bad"
	assert_equal "$WEB_BODY" "$(no 'bad signature')"
	# the payload changed (another owner), the MAC kept
	bad=$(python3 -c 'import base64, sys
p, m = sys.argv[1].split(".")
s = base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode()
s = s.replace("socatest-alice", "socatest-bobby")
print(base64.urlsafe_b64encode(s.encode()).decode().rstrip("=") + "." + m)' "$tok")
	dcv_auth "$aid" "$ases" "$bad"
	assert_equal "$WEB_BODY" "$(no 'bad signature')"
	# garbage
	dcv_auth "$aid" "$ases" 'garbage'
	assert_equal "$WEB_BODY" "$(no 'malformed token')"
	dcv_auth "$aid" "$ases" '<x>&.'
	assert_equal "$WEB_BODY" "$(no 'malformed token')"
	dcv_auth "$aid" "$ases" ''
	assert_equal "$WEB_BODY" "$(no 'malformed token')"
	# ids checked first
	dcv_auth 'i-../../x' "$ases" "$tok"
	assert_equal "$WEB_BODY" "$(no 'bad instance id')"
	dcv_auth "$aid" '../x<y>' "$tok"
	assert_equal "$WEB_BODY" "$(no 'bad session id')"
	web_req POST "/api/dcv-auth" --data "sessionId=$ases&authenticationToken=$tok"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "$(no 'bad instance id')"
	# a body over the verifier's cap
	web_req POST "/api/dcv-auth?instance=$aid" \
	    --data "sessionId=$ases&authenticationToken=$tok&clientAddress=$(head -c 5000 /dev/zero | tr '\0' a)"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "$(no 'malformed request')"

	# one audit line each, none with the token
	lines=$(grep -c ' /api/dcv-auth ' "$WEB_AUDIT")
	assert_equal "$lines" 13
	grep -q 'dcv-auth yes: socatest-alice session' "$WEB_AUDIT"
	assert_equal "$(grep -c 'dcv-auth no: ' "$WEB_AUDIT")" 12
	run grep -F "${tok#*.}" "$WEB_AUDIT"
	assert_failure
	run grep -F "${tok%.*}" "$WEB_AUDIT"
	assert_failure

	# bob's own token names bob
	web_as bob GET /api/desktops/wb1/connect
	dcv_auth "$bid" "$bses" "$(jq -r .token <<<"$WEB_BODY")"
	assert_equal "$WEB_BODY" '<auth result="yes"><username>socatest-bob</username></auth>'
}

@test "an expired token is refused" {
	local aid ases tok
	awsim_reset
	launch alice ws2
	awsim_advance 60
	desk alice ws2
	aid=$ID ases=$SES
	set_ttl 0s
	web_as alice GET /api/desktops/ws2/connect
	set_ttl ""
	assert_equal "$WEB_STATUS" 200
	tok=$(jq -r .token <<<"$WEB_BODY")
	dcv_auth "$aid" "$ases" "$tok"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "$(no 'token expired')"
}

@test "dcv_auth = system (the default): connect makes no token" {
	awsim_reset
	launch alice ws3
	awsim_advance 60
	sed -i '/^dcv_auth = token$/d' "$WEB_DIR/soca.conf"
	web_as alice GET /api/desktops/ws3/connect
	sed -i 's/^\[desktop\]$/&\ndcv_auth = token/' "$WEB_DIR/soca.conf"
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '.token // "none"' <<<"$WEB_BODY")" none
	jq -r .url <<<"$WEB_BODY" | grep -q '^https://localhost:8443/#[0-9a-f-]\{36\}$'
	run grep -c authtoken <<<"$(jq -r .dcv_file <<<"$WEB_BODY")"
	assert_output 0
}
