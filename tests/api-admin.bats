#!/usr/bin/env bats
# api-admin.bats: the administrators' users and groups of the web door
# (soca-api(8), lib/web/api_admin.c) through nginx + fcgiwrap for real,
# as tests/lib/web.bash sets it up, plus the directory service account:
# socatest-ldap owns the bind password, soca-api runs soca-user and
# soca-group as it through the administrator (sudo -u ADMIN -- sudo -u
# socatest-ldap), and new homes are queued for `soca-user home --pending`.
# socatest-carol is the administrator, socatest-alice a plain user.

load lib/helper
load lib/web
load lib/webadmin

setup_file() {
	web_start
	[ -n "${WEB_DIR:-}" ] || return 0
	web_admin_start || return 1
	web_key alice carol
}

teardown_file() {
	userdel socatest-dave >/dev/null 2>&1 || true
	web_admin_stop
	web_stop
}

setup() {
	[[ $BATS_TEST_DESCRIPTION == "the shipped sudoers"* ]] && return 0
	web_test_setup
}

# as carol (the administrator) or alice, with a JSON body
admin_post() { web_as carol "$1" "$2" -H 'Content-Type: application/json' --data "$3"; }

login_status() {
	web_req POST /api/login -H 'Content-Type: application/json' \
	    --data "{\"user\":\"$1\",\"password\":\"$2\"}"
	echo "$WEB_STATUS"
}

pending() { SOCA_CONF=$WEB_CONF "$WEB_DIR/bin/soca-user.real" home --pending; }

@test "an administrator adds a user: in LDAP, home queued then made by root's pending run, logs in" {
	local uid h=$WEB_DIR/homes/socatest-dave
	admin_post POST /api/users '{"name":"socatest-dave","email":"dave@example.com","password":"dave-pw-12345"}'
	assert_equal "$WEB_STATUS" 201
	assert_equal "$(jq -r .name <<<"$WEB_BODY")" socatest-dave
	assert_equal "$(jq -r .home <<<"$WEB_BODY")" "$h"
	assert_equal "$(jq -r .home_queued <<<"$WEB_BODY")" true
	assert_equal "$(jq -r 'has("password")' <<<"$WEB_BODY")" false
	uid=$(jq -r .uid <<<"$WEB_BODY")
	run ldapq -b "uid=socatest-dave,ou=People,$LDAP_BASE" -s base '(objectClass=*)' mail uidNumber
	assert_line "mail: dave@example.com"
	assert_line "uidNumber: $uid"
	# who asked, through both sudos
	run cat "$WEB_DIR/home-queue/socatest-dave"
	assert_output "add by socatest-carol"
	[ ! -e "$h" ]
	run pending
	assert_success
	assert_output "socatest-dave home=$h"
	[ "$(stat -c '%a %u' "$h")" = "700 $uid" ]
	[ "$(stat -c '%u' "$h/.ssh/authorized_keys")" = "$uid" ]
	[ ! -e "$WEB_DIR/home-queue/socatest-dave" ]
	# the same name again: 409, nothing changed
	admin_post POST /api/users '{"name":"socatest-dave"}'
	assert_equal "$WEB_STATUS" 409
	# the web door acts only as local accounts: one for dave, as NSS
	# would give it from LDAP
	useradd -o -M -N -u "$uid" -d "$h" -s /bin/sh socatest-dave
	assert_equal "$(login_status socatest-dave dave-pw-12345)" 200
	web_as carol GET /api/users/socatest-dave
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '.email, .locked, .admin' <<<"$WEB_BODY" | tr '\n' ' ')" "dave@example.com false false "
	web_as carol GET /api/users
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '[.[].name] | sort | join(" ")' <<<"$WEB_BODY")" \
	    "socatest-alice socatest-bob socatest-carol socatest-dave"
}

@test "lock, unlock, password reset (given and generated), admin grant and revoke" {
	local pw
	web_as carol POST /api/users/socatest-dave/lock
	assert_equal "$WEB_STATUS" 204
	run ldapq -b "uid=socatest-dave,ou=People,$LDAP_BASE" -s base '(objectClass=*)' shadowExpire
	assert_line --regexp '^shadowExpire: '
	web_as carol GET /api/users/socatest-dave
	assert_equal "$(jq -r .locked <<<"$WEB_BODY")" true
	web_as carol POST /api/users/socatest-dave/unlock -H 'Content-Type: application/json' --data '{}'
	assert_equal "$WEB_STATUS" 204
	web_as carol GET /api/users/socatest-dave
	assert_equal "$(jq -r .locked <<<"$WEB_BODY")" false

	admin_post POST /api/users/socatest-dave/password '{"password":"dave-new-pw-678"}'
	assert_equal "$WEB_STATUS" 204
	assert_equal "$(login_status socatest-dave dave-new-pw-678)" 200
	assert_equal "$(login_status socatest-dave dave-pw-12345)" 401
	admin_post POST /api/users/socatest-dave/password '{"generate_password":true}'
	assert_equal "$WEB_STATUS" 200
	pw=$(jq -r .password <<<"$WEB_BODY")
	[ "${#pw}" -ge 12 ]
	assert_equal "$(login_status socatest-dave "$pw")" 200
	# too short for the policy: the command's message, 400
	admin_post POST /api/users/socatest-dave/password '{"password":"short"}'
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(login_status socatest-dave "$pw")" 200

	web_as carol POST /api/users/socatest-dave/admin
	assert_equal "$WEB_STATUS" 204
	run ldapq -b "cn=soca-admins,ou=Group,$LDAP_BASE" -s base '(objectClass=*)' memberUid
	assert_line "memberUid: socatest-dave"
	web_as carol GET /api/users/socatest-dave
	assert_equal "$(jq -r .admin <<<"$WEB_BODY")" true
	web_as carol POST /api/users/socatest-dave/unadmin
	assert_equal "$WEB_STATUS" 204
	run ldapq -b "cn=soca-admins,ou=Group,$LDAP_BASE" -s base '(objectClass=*)' memberUid
	refute_line "memberUid: socatest-dave"
	# not on one's own account, and no such action
	web_as carol POST /api/users/socatest-carol/lock
	assert_equal "$WEB_STATUS" 409
	web_as carol POST /api/users/socatest-dave/frobnicate
	assert_equal "$WEB_STATUS" 404
	web_as carol POST /api/users/socatest-nobody/lock
	assert_equal "$WEB_STATUS" 404
}

@test "groups: add, members, list, remove, delete" {
	admin_post POST /api/groups '{"name":"socatest-team"}'
	assert_equal "$WEB_STATUS" 201
	assert_equal "$(jq -r .name <<<"$WEB_BODY")" socatest-team
	[ "$(jq -r .gid <<<"$WEB_BODY")" -gt 0 ]
	admin_post POST /api/groups '{"name":"socatest-team"}'
	assert_equal "$WEB_STATUS" 409
	web_as carol PUT /api/groups/socatest-team/members/socatest-alice
	assert_equal "$WEB_STATUS" 204
	web_as carol PUT /api/groups/socatest-team/members/socatest-bob -H 'Content-Type: application/json' --data '{}'
	assert_equal "$WEB_STATUS" 204
	run ldapq -b "cn=socatest-team,ou=Group,$LDAP_BASE" -s base '(objectClass=*)' memberUid
	assert_line "memberUid: socatest-alice"
	assert_line "memberUid: socatest-bob"
	web_as carol GET /api/groups
	assert_equal "$WEB_STATUS" 200
	assert_equal "$(jq -r '.[] | select(.name == "socatest-team") | .members | join(",")' <<<"$WEB_BODY")" \
	    "socatest-alice,socatest-bob"
	web_as carol DELETE /api/groups/socatest-team/members/socatest-bob
	assert_equal "$WEB_STATUS" 204
	run ldapq -b "cn=socatest-team,ou=Group,$LDAP_BASE" -s base '(objectClass=*)' memberUid
	refute_line "memberUid: socatest-bob"
	web_as carol DELETE /api/groups/socatest-team
	assert_equal "$WEB_STATUS" 204
	run ldapq -b "cn=socatest-team,ou=Group,$LDAP_BASE" -s base '(objectClass=*)'
	assert_failure
	web_as carol DELETE /api/groups/socatest-team
	assert_equal "$WEB_STATUS" 404
}

@test "a plain user gets 403 on every admin route; nothing runs, LDAP is unchanged" {
	local before runs route m p
	before=$(ldap_dump)
	runs=$(grep -c ' socatest-alice .*soca-\(user\|group\) exit' "$WEB_AUDIT" || true)
	while read -r m p; do
		web_as alice "$m" "$p" -H 'Content-Type: application/json' \
		    --data '{"name":"socatest-eve","password":"eve-pw-123456"}'
		[ "$WEB_STATUS" = 403 ] || { echo "$m $p: $WEB_STATUS $WEB_BODY" >&2; return 1; }
	done <<-ROUTES
	GET /api/users
	POST /api/users
	GET /api/users/socatest-bob
	DELETE /api/users/socatest-bob
	POST /api/users/socatest-bob/lock
	POST /api/users/socatest-alice/admin
	POST /api/users/socatest-bob/password
	GET /api/groups
	POST /api/groups
	DELETE /api/groups/socatest-alice
	PUT /api/groups/socatest-alice/members/socatest-alice
	DELETE /api/groups/socatest-alice/members/socatest-alice
	ROUTES
	assert_equal "$(ldap_dump)" "$before"
	assert_equal "$(grep -c ' socatest-alice .*soca-\(user\|group\) exit' "$WEB_AUDIT" || true)" "$runs"
	# and sudo itself refuses what soca-api would not ask: the directory
	# account through a plain user, or by a plain user at a shell
	run setpriv --reuid=socatest-api --regid=socatest-api --clear-groups \
	    /usr/bin/sudo -n -u socatest-alice -- /usr/bin/sudo -n -u socatest-ldap -- "$WEB_DIR/bin/soca-user" list
	assert_failure
	run setpriv --reuid=socatest-alice --regid="$(id -g socatest-alice)" --init-groups \
	    /usr/bin/sudo -n -u socatest-ldap -- "$WEB_DIR/bin/soca-user" list
	assert_failure
	assert_equal "$(ldap_dump)" "$before"
}

@test "an administrator at a shell: sudo -u the directory account, with a configuration no one else wrote" {
	local before
	as_carol() { setpriv --reuid=socatest-carol --regid="$(id -g socatest-carol)" --init-groups "$@"; }
	run as_carol env SOCA_CONF="$WEB_CONF" /usr/bin/sudo -n -u socatest-ldap -- "$WEB_DIR/bin/soca-user" list -n -o name
	assert_success
	assert_line socatest-alice
	# a configuration the administrator wrote (its uri could be a server
	# of theirs, to be sent the bind password): refused before any bind
	install -o socatest-carol -m 0644 "$WEB_CONF" "$WEB_DIR/carol.conf"
	before=$(ldap_dump)
	run as_carol env SOCA_CONF="$WEB_DIR/carol.conf" /usr/bin/sudo -n -u socatest-ldap -- "$WEB_DIR/bin/soca-user" lock socatest-alice
	assert_failure 2
	assert_output --partial "configuration $WEB_DIR/carol.conf refused: run through sudo, it must be owned by root"
	assert_equal "$(ldap_dump)" "$before"
	rm -f "$WEB_DIR/carol.conf"
}

@test "hostile names are 400 and change nothing" {
	local before n long
	before=$(ldap_dump)
	long=$(printf 'a%.0s' $(seq 33))
	for n in 'a%20b' 'a%3Bb' '%2E%2E' "$long" 'Dave' '-rf' 'a*' 'a%00b' 'a.b'; do
		web_as carol GET "/api/users/$n"
		[ "$WEB_STATUS" = 400 ] || { echo "GET users/$n: $WEB_STATUS" >&2; return 1; }
		web_as carol DELETE "/api/users/$n"
		[ "$WEB_STATUS" = 400 ] || { echo "DELETE users/$n: $WEB_STATUS" >&2; return 1; }
		web_as carol POST "/api/users/$n/lock"
		[ "$WEB_STATUS" = 400 ] || { echo "lock $n: $WEB_STATUS" >&2; return 1; }
		web_as carol PUT "/api/groups/$n/members/socatest-alice"
		[ "$WEB_STATUS" = 400 ] || { echo "group $n: $WEB_STATUS" >&2; return 1; }
		web_as carol PUT "/api/groups/socatest-alice/members/$n"
		[ "$WEB_STATUS" = 400 ] || { echo "member $n: $WEB_STATUS" >&2; return 1; }
	done
	for n in '"a b"' '"a;b"' '".."' "\"$long\"" '"Dave"' '"-rf"' '"a\u0000b"' '5' '["x"]' 'null'; do
		admin_post POST /api/users "{\"name\":$n,\"password\":\"x-pw-1234567\"}"
		[ "$WEB_STATUS" = 400 ] || { echo "add user $n: $WEB_STATUS" >&2; return 1; }
		admin_post POST /api/groups "{\"name\":$n}"
		[ "$WEB_STATUS" = 400 ] || { echo "add group $n: $WEB_STATUS" >&2; return 1; }
	done
	# wrong types and unknown keys, a password of two lines
	admin_post POST /api/users '{"name":"socatest-eve","admin":"yes"}'
	assert_equal "$WEB_STATUS" 400
	admin_post POST /api/users '{"name":"socatest-eve","uid":0}'
	assert_equal "$WEB_STATUS" 400
	admin_post POST /api/users '{"name":"socatest-eve","password":"a-long-pw\nsecond"}'
	assert_equal "$WEB_STATUS" 400
	admin_post POST /api/users '{"name":"socatest-eve","password":"x-pw-1234567","generate_password":true}'
	assert_equal "$WEB_STATUS" 400
	admin_post POST /api/users/socatest-alice/password '{"password":"p","generate_password":true}'
	assert_equal "$WEB_STATUS" 400
	web_as carol POST /api/users/socatest-alice/lock -H 'Content-Type: application/json' --data '{"x":1}'
	assert_equal "$WEB_STATUS" 400
	assert_equal "$(ldap_dump)" "$before"
	run ls -A "$WEB_DIR/home-queue"
	assert_output ""
}

@test "a password never reaches the audit log, nginx's log or any argv" {
	admin_post POST /api/users '{"name":"socatest-fay","password":"fay-secret-pw-9911"}'
	assert_equal "$WEB_STATUS" 201
	admin_post POST /api/users/socatest-fay/password '{"password":"fay-other-pw-7733"}'
	assert_equal "$WEB_STATUS" 204
	admin_post POST /api/users/socatest-fay/password '{"generate_password":true}'
	assert_equal "$WEB_STATUS" 200
	local gen
	gen=$(jq -r .password <<<"$WEB_BODY")
	# the argv of soca-user and of both sudos, as the commands saw them
	run grep -F -- "soca-user add --password-file - -- socatest-fay" "$WEB_DIR/argv/log"
	assert_success
	run grep -F -- "/usr/bin/sudo -n -u socatest-carol -- /usr/bin/sudo -n -u socatest-ldap -- $WEB_DIR/bin/soca-user passwd --password-file - -- socatest-fay" "$WEB_DIR/argv/log"
	assert_success
	for s in fay-secret-pw-9911 fay-other-pw-7733 "$gen"; do
		run grep -rcF -- "$s" "$WEB_AUDIT" "$WEB_DIR/argv/log" "$WEB_DIR/nginx/error.log" "$SERVICE_DIR/fcgiwrap.log"
		refute_output --regexp ':[1-9]'
	done
	# the audit line says who did what, and the action ran as the admin
	run grep -c ' socatest-carol POST /api/users/socatest-fay/password 204 ' "$WEB_AUDIT"
	assert_output 1
}

@test "delete: the entry goes now, the home is queued and moved aside by the pending run" {
	local h=$WEB_DIR/homes/socatest-dave
	[ -d "$h" ]
	web_as carol DELETE /api/users/socatest-carol
	assert_equal "$WEB_STATUS" 409
	web_as carol DELETE /api/users/socatest-dave
	assert_equal "$WEB_STATUS" 204
	run ldapq -b "uid=socatest-dave,ou=People,$LDAP_BASE" -s base '(objectClass=*)'
	assert_failure
	run cat "$WEB_DIR/home-queue/socatest-dave"
	assert_output "del by socatest-carol"
	[ -d "$h" ]
	run pending
	assert_success
	assert_line --regexp "^socatest-dave: home moved to $h\.deleted-"
	[ ! -e "$h" ]
	web_as carol DELETE /api/users/socatest-dave
	assert_equal "$WEB_STATUS" 404
}

@test "the shipped sudoers: the directory account only through the admin group" {
	[ -x /usr/sbin/visudo ] || skip "visudo is missing (apt-get install sudo)"
	run /usr/sbin/visudo -cf "$SOCA_SRCDIR/etc/web/sudoers"
	assert_success
	run grep -E '^soca-api ALL = \(%soca-admins, !root\) NOPASSWD: SOCA_WEB_DIR$' "$SOCA_SRCDIR/etc/web/sudoers"
	assert_success
	run grep -E '^%soca-admins ALL = \(soca-ldap\) NOPASSWD: /usr/bin/soca-user, /usr/bin/soca-group$' "$SOCA_SRCDIR/etc/web/sudoers"
	assert_success
	# soca-api's directory rule names the second sudo's exact first words
	run grep -c -- '/usr/bin/sudo -n -u soca-ldap -- /usr/bin/soca-\(user\|group\) \*' "$SOCA_SRCDIR/etc/web/sudoers"
	assert_output 2
}
