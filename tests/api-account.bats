#!/usr/bin/env bats
# api-account.bats: my account through the web door (soca-api(8)): one's
# own password (LDAP Password Modify as the user), one's own SSH key
# (soca-user key as the user, once), and budgets a plain user sees (a
# setgid soca-budget showing only the projects they may charge).  The
# door runs as tests/lib/web.bash sets it up; this file adds a homes
# directory for the keys and two projects, cfd (alice's) and wind (bob's).

load lib/helper
load lib/web

setup_file() {
	web_start
	[ -n "${WEB_DIR:-}" ] || return 0
	# soca-user key reads [ldap] homes/NAME/.ssh, with the user's rights
	local u
	install -d -m 0755 "$WEB_DIR/homes"
	for u in alice bob; do
		install -d -o "socatest-$u" -m 0700 "$WEB_DIR/homes/socatest-$u" \
		    "$WEB_DIR/homes/socatest-$u/.ssh"
	done
	setpriv --reuid="socatest-alice" --regid="$(id -g socatest-alice)" --clear-groups \
	    ssh-keygen -q -t ed25519 -N '' -C socatest-alice \
	    -f "$WEB_DIR/homes/socatest-alice/.ssh/id_ed25519"
	sed -i -e "s|^\[ldap\]\$|[ldap]\nhomes = $WEB_DIR/homes|" \
	    -e 's|^\[project "cfd"\]$|[project "cfd"]\nallowed_users = socatest-alice|' "$WEB_CONF"
	cat >>"$WEB_CONF" <<-CONF
	[project "wind"]
	allowed_users = socatest-bob
	limit = 50
	CONF
	web_key alice bob
}

teardown_file() {
	web_stop
}

setup() {
	web_test_setup
}

# passwd USER OLD NEW [cookie]: POST /api/me/password with USER's session
passwd() {
	web_req POST /api/me/password -b "soca_session=$4" -H "Origin: $WEB_ORIGIN" \
	    -H 'Content-Type: application/json' \
	    --data "$(jq -cn --arg o "$2" --arg n "$3" '{old: $o, new: $n}')"
}

login_as() {	# login_as USER PASSWORD: sets WEB_STATUS (and WEB_COOKIE on 200)
	web_req POST /api/login -H 'Content-Type: application/json' \
	    --data "$(jq -cn --arg u "socatest-$1" --arg p "$2" '{user: $u, password: $p}')"
	WEB_COOKIE=$(sed -n 's/^set-cookie: soca_session=\([^;]*\);.*/\1/p' <<<"$WEB_HEADERS")
}

ldap_hash() {	# the stored userPassword of socatest-USER
	ldapsearch -LLL -x -H "$LDAP_URI" -D "$LDAP_ADMIN" -y "$LDAP_PWFILE" \
	    -b "uid=socatest-$1,ou=People,$LDAP_BASE" userPassword | grep '^userPassword'
}

@test "password: change it, then the new one logs in, the old one does not, other sessions end" {
	local other mine
	login_as bob pw-bob-123
	assert_equal "$WEB_STATUS" 200
	other=$WEB_COOKIE
	login_as bob pw-bob-123
	mine=$WEB_COOKIE
	passwd bob pw-bob-123 'a new one for bob 42' "$mine"
	assert_equal "$WEB_STATUS" 204
	# the session that changed it goes on; the other one has ended
	web_req GET /api/me -b "soca_session=$mine"
	assert_equal "$WEB_STATUS" 200
	web_req GET /api/me -b "soca_session=$other"
	assert_equal "$WEB_STATUS" 401
	login_as bob pw-bob-123
	assert_equal "$WEB_STATUS" 401
	rm -rf "$WEB_STATE/failures"
	login_as bob 'a new one for bob 42'
	assert_equal "$WEB_STATUS" 200
	# stored hashed by the directory, not as sent
	run ldap_hash bob
	assert_success
	refute_output --partial 'a new one'
	# two: "other", and the one setup_file's web_key opened
	run grep -c ' POST /api/me/password 204 .*password changed, 2 other sessions ended' "$WEB_AUDIT"
	assert_output 1
	# and back (pw-bob-123 is below the rules' 12 characters: as the
	# directory's administrator), for the file's other tests
	ldappasswd -x -H "$LDAP_URI" -D "$LDAP_ADMIN" -y "$LDAP_PWFILE" -s pw-bob-123 \
	    "uid=socatest-bob,ou=People,$LDAP_BASE"
	login_as bob pw-bob-123
	assert_equal "$WEB_STATUS" 200
}

@test "password: a wrong old one is 403, changes nothing and counts as a failed login" {
	local before i
	before=$(ldap_hash alice)
	web_login alice
	passwd alice wrong-password-1 'brand new password 1' "$WEB_COOKIE"
	assert_equal "$WEB_STATUS" 403
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" "the old password is wrong"
	assert_equal "$(ldap_hash alice)" "$before"
	# the session stays good (403, not 401)
	web_req GET /api/me -b "soca_session=$WEB_COOKIE"
	assert_equal "$WEB_STATUS" 200
	# four more wrong ones: the login's limit (5 in the window) is reached
	for i in 2 3 4 5; do
		passwd alice "wrong-password-$i" 'brand new password 1' "$WEB_COOKIE"
		assert_equal "$WEB_STATUS" 403
	done
	passwd alice pw-alice-123 'brand new password 1' "$WEB_COOKIE"
	assert_equal "$WEB_STATUS" 429
	grep -q '^retry-after: [0-9]' <<<"$WEB_HEADERS"
	login_as alice pw-alice-123
	assert_equal "$WEB_STATUS" 429
	assert_equal "$(ldap_hash alice)" "$before"
}

@test "password: a new one breaking the rules is 400 with soca-user's reason, nothing changed" {
	local before
	before=$(ldap_hash alice)
	web_login alice
	passwd alice pw-alice-123 short "$WEB_COOKIE"
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" \
	    "password refused: 5 characters, at least 12 needed ([ldap] password_min_length)"
	passwd alice pw-alice-123 'I am socatest-alice!' "$WEB_COOKIE"
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" "password refused: it contains the user name"
	passwd alice pw-alice-123 "$(printf 'tab\there-long-enough')" "$WEB_COOKIE"
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" "password refused: it holds a control character"
	# wrong shapes
	web_req POST /api/me/password -b "soca_session=$WEB_COOKIE" -H "Origin: $WEB_ORIGIN" \
	    -H 'Content-Type: application/json' --data '{"old":"pw-alice-123","new":42}'
	assert_equal "$WEB_STATUS" 400
	web_req POST /api/me/password -b "soca_session=$WEB_COOKIE" -H "Origin: $WEB_ORIGIN" \
	    -H 'Content-Type: application/json' \
	    --data '{"old":"pw-alice-123","new":"good enough password","user":"socatest-bob"}'
	assert_equal "$WEB_STATUS" 400
	# a cross-site post
	web_req POST /api/me/password -b "soca_session=$WEB_COOKIE" -H 'Origin: https://evil.example' \
	    -H 'Content-Type: application/json' --data '{"old":"pw-alice-123","new":"good enough password"}'
	assert_equal "$WEB_STATUS" 403
	assert_equal "$(ldap_hash alice)" "$before"
	login_as alice pw-alice-123
	assert_equal "$WEB_STATUS" 200
	# none of that was a failed login
	[ ! -d "$WEB_STATE/failures" ] || [ -z "$(find "$WEB_STATE/failures" -type f -size +0)" ]
}

@test "ssh key: downloaded once as an attachment, then 409, then again with ?again=1" {
	local key=$WEB_DIR/homes/socatest-alice/.ssh
	rm -f "$key/.soca-key-downloaded"
	web_as alice GET /api/me/ssh-key
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "$(cat "$key/id_ed25519")"
	grep -q '^content-disposition: attachment; filename="id_ed25519"$' <<<"$WEB_HEADERS"
	grep -q '^cache-control: no-store$' <<<"$WEB_HEADERS"
	run stat -c %U "$key/.soca-key-downloaded"
	assert_output socatest-alice
	web_as alice GET /api/me/ssh-key
	assert_equal "$WEB_STATUS" 409
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" \
	    "your private SSH key was already downloaded: download it again with ?again=1 only if you lost it"
	web_as alice GET '/api/me/ssh-key?again=1'
	assert_equal "$WEB_STATUS" 200
	assert_equal "$WEB_BODY" "$(cat "$key/id_ed25519")"
	web_as alice GET '/api/me/ssh-key?again=yes'
	assert_equal "$WEB_STATUS" 400
	web_as alice GET '/api/me/ssh-key?user=socatest-bob'
	assert_equal "$WEB_STATUS" 400
}

@test "ssh key: bob has none (404), and no route gives him alice's" {
	rm -f "$WEB_DIR/homes/socatest-alice/.ssh/.soca-key-downloaded"
	web_as bob GET /api/me/ssh-key
	assert_equal "$WEB_STATUS" 404
	assert_equal "$(jq -r .error <<<"$WEB_BODY")" \
	    "you have no SSH key in your home (.ssh/id_ed25519): ask an administrator"
	web_as bob GET '/api/me/ssh-key?again=1'
	assert_equal "$WEB_STATUS" 404
	# no user in the path or the query
	web_as bob GET /api/me/ssh-key/socatest-alice
	assert_equal "$WEB_STATUS" 404
	# (the administrators' POST /api/users/{name}/{action} answers a GET 405)
	web_as bob GET /api/users/socatest-alice/ssh-key
	assert_equal "$WEB_STATUS" 405
	refute grep -q 'PRIVATE KEY' <<<"$WEB_BODY"
	# and soca-user itself, as bob, cannot read alice's key
	run setpriv --reuid=socatest-bob --regid="$(id -g socatest-bob)" --clear-groups \
	    env SOCA_CONF="$WEB_CONF" "$WEB_DIR/bin/soca-user" key socatest-alice
	assert_failure
	refute_output --partial 'PRIVATE KEY'
	# alice's was not marked downloaded by any of that
	[ ! -e "$WEB_DIR/homes/socatest-alice/.ssh/.soca-key-downloaded" ]
}

@test "budgets: a plain user sees the projects they may charge, never another's figures" {
	awsim_ctl POST budgets '[{"BudgetName":"cfd","BudgetLimit":{"Amount":"100","Unit":"USD"},"CalculatedSpend":{"ActualSpend":{"Amount":"12.5","Unit":"USD"}}},{"BudgetName":"wind","BudgetLimit":{"Amount":"50","Unit":"USD"},"CalculatedSpend":{"ActualSpend":{"Amount":"7.25","Unit":"USD"}}}]' >/dev/null
	web_as alice GET /api/budgets
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '[.[].project] | join(" ")' <<<"$WEB_BODY")" cfd
	assert_equal "$(jq -r '.[0].limit' <<<"$WEB_BODY")" 100
	refute grep -q wind <<<"$WEB_BODY"
	web_as bob GET /api/budgets
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '[.[].project] | join(" ")' <<<"$WEB_BODY")" wind
	assert_equal "$(jq -r '.[0].limit' <<<"$WEB_BODY")" 50
	refute grep -q cfd <<<"$WEB_BODY"
	# soca-budget as bob: asking for alice's project is refused, exit 1,
	# without a figure
	run setpriv --reuid=socatest-bob --regid="$(id -g socatest-bob)" --clear-groups \
	    env SOCA_CONF="$WEB_CONF" HOME="$WEB_HOMES/bob" "$WEB_DIR/bin/soca-budget" -J status cfd
	assert_failure 1
	assert_output --partial 'cfd: not a project of yours'
	refute_output --partial '100'
	run setpriv --reuid=socatest-bob --regid="$(id -g socatest-bob)" --clear-groups \
	    env SOCA_CONF="$WEB_CONF" HOME="$WEB_HOMES/bob" "$WEB_DIR/bin/soca-budget" -J status wind
	assert_success
	assert_equal "$(jq -r .limit <<<"$output")" 50
	# a chosen configuration loses the group: the spool is out of reach
	run setpriv --reuid=socatest-bob --regid="$(id -g socatest-bob)" --clear-groups \
	    env HOME="$WEB_HOMES/bob" "$WEB_DIR/bin/soca-budget" -c "$WEB_CONF" -J status wind
	assert_failure
	refute_output --partial '"limit"'
}
