#!/usr/bin/env bats
# soca-group against a real slapd (tests/lib/slapd.bash), state read back
# with ldapsearch; soca_dir_user_in_group() through tests/ingroup.

load lib/helper
load lib/slapd

setup_file() { slapd_start; }
teardown_file() { slapd_stop; }
setup() { soca_test_env; export SOCA_CONF="$SLAPD_DIR/soca.conf"; }

members() {
	ldapq -s base -b "cn=$1,ou=Group,$LDAP_BASE" '(objectClass=*)' memberUid |
	    sed -n 's/^memberUid: //p'
}
gidof() {
	ldapq -s base -b "cn=$1,ou=Group,$LDAP_BASE" '(objectClass=*)' gidNumber |
	    sed -n 's/^gidNumber: //p'
}

@test "--help, usage errors" {
	run soca-group -h
	assert_success
	assert_output --partial "usage: soca-group"
	run soca-group member frob g u
	assert_failure 2
	run soca-group add
	assert_failure 2
	run soca-group list -J extra
	assert_failure 2
	run soca-group del --gid 5 x
	assert_failure 2
}

@test "add makes a posixGroup with the next gid; exists and taken gid exit 1" {
	run soca-group add physics
	assert_success
	assert_output "physics gid=5000"
	run ldapq '(cn=physics)' objectClass gidNumber
	assert_line "objectClass: posixGroup"
	assert_line "gidNumber: 5000"
	run soca-group add physics
	assert_failure 1
	assert_output --partial 'group "physics" already exists'
	run soca-group add --gid 6500 chem
	assert_success
	[ "$(gidof chem)" = 6500 ]
	run soca-group add --gid 6500 bio
	assert_failure 1
	assert_output --partial "gid 6500 is taken"
	run ldapq '(cn=bio)' dn
	assert_output ""
}

@test "concurrent adds get distinct gids" {
	for g in cg1 cg2 cg3 cg4; do soca-group add "$g" & done
	wait
	n=$(ldapq '(&(objectClass=posixGroup)(cn=cg*))' gidNumber |
	    sed -n 's/^gidNumber: //p' | sort -u | wc -l)
	[ "$n" -eq 4 ]
}

@test "member add and remove change memberUid" {
	soca-group add team
	soca-user add una
	soca-user add vic
	run soca-group member add team una vic
	assert_success
	assert_line "una added to team"
	assert_line "vic added to team"
	run members team
	assert_line una
	assert_line vic
	run soca-group member add team una
	assert_success
	run soca-group member remove team una
	assert_success
	run members team
	assert_output vic
	run soca-group member add team ghost
	assert_failure 1
	assert_output --partial 'no such user "ghost"'
	run soca-group member add nogroup una
	assert_failure 2
	run soca-group member add nosuchgroup una
	assert_failure 1
	assert_output --partial 'no such group "nosuchgroup"'
}

@test "list, show, -J, -n, -o" {
	soca-group add listed
	run soca-group list
	assert_success
	assert_line --regexp '^NAME +GID +MEMBERS$'
	assert_line --regexp '^listed +[0-9]+ *$'
	run soca-group list -n -o name
	assert_line listed
	refute_line --partial NAME
	run soca-group show -J listed
	assert_success
	assert_output --regexp '^\{"name":"listed","gid":[0-9]+,"members":""\}$'
	run soca-group show nosuch
	assert_failure 1
	assert_output --partial 'no such group "nosuch"'
}

@test "del deletes; a user's primary group is kept" {
	soca-group add gone
	run soca-group del gone
	assert_success
	run ldapq '(cn=gone)' dn
	assert_output ""
	run soca-group del gone
	assert_failure 1
	soca-user add wes
	run soca-group del wes
	assert_failure 1
	assert_output --partial 'primary group of user "wes"'
	[ "$(gidof wes)" != "" ]
}

@test "bad names are refused with exit 2 and change nothing" {
	soca-group add okgrp
	before=$(ldap_dump)
	for name in '*' 'a*)(uid=*' 'x,ou=People' '../etc' root \
	    "$(printf 'caf\xc3\xa9')" "$(printf 'a\tb')" "$(printf 'a\x01b')" ''; do
		for cmd in add del show "member add okgrp" "member remove okgrp"; do
			run soca-group $cmd "$name"
			[ "$status" -eq 2 ] || { echo "$cmd [$name]: $status $output"; false; }
			[[ $output == *refused* ]]
		done
		run soca-group member add "$name" una
		[ "$status" -eq 2 ]
	done
	[ "$(ldap_dump)" = "$before" ]
}

@test "user_group = shared puts new users in one group" {
	slapd_write_conf "$BATS_TEST_TMPDIR/s.conf" "user_group = shared" \
	    "shared_group = everyone"
	run soca-user -c "$BATS_TEST_TMPDIR/s.conf" add xia
	assert_success
	g=$(gidof everyone)
	[ -n "$g" ]
	run ldapq '(uid=xia)' gidNumber
	assert_line "gidNumber: $g"
	run ldapq '(&(objectClass=posixGroup)(cn=xia))' dn
	assert_output ""
}

@test "soca_dir_user_in_group: memberUid, primary group, cached per process" {
	soca-group add acl
	soca-user add yan
	soca-user add zed
	soca-group member add acl yan
	coproc IG { "$SOCA_BUILDDIR/tests/ingroup"; }
	ask() { echo "$1 $2" >&"${IG[1]}"; read -r ans <&"${IG[0]}"; echo "$ans"; }
	[ "$(ask yan acl)" = yes ]
	[ "$(ask zed acl)" = no ]
	[ "$(ask zed zed)" = yes ]	# primary group
	[ "$(ask yan nosuchgroup)" = no ]
	[ "$(ask 'a*' acl)" = "error 2" ]
	soca-group member remove acl yan
	[ "$(ask yan acl)" = yes ]	# same process: cached
	exec {IG[1]}>&-
	wait
	[ "$(echo 'yan acl' | "$SOCA_BUILDDIR/tests/ingroup")" = no ]
}

@test "server down exits 3" {
	slapd_write_conf "$BATS_TEST_TMPDIR/c.conf"
	sed -i "s|^uri = .*|uri = ldap://127.0.0.1:$(service_port)|" \
	    "$BATS_TEST_TMPDIR/c.conf"
	run soca-group -c "$BATS_TEST_TMPDIR/c.conf" add down
	assert_failure 3
	assert_output --partial "retry later"
}
