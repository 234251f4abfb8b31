#!/usr/bin/env bats
# soca-user against a real slapd (tests/lib/slapd.bash): every verb, with
# the directory's state read back with ldapsearch.

load lib/helper
load lib/slapd

setup_file() { slapd_start; }
teardown_file() { slapd_stop; }
setup() { soca_test_env; export SOCA_CONF="$SLAPD_DIR/soca.conf"; }

# attr DN ATTR: the values of one attribute of one entry
attr() {
	local line
	ldapq -s base -b "$1" '(objectClass=*)' "$2" | while IFS= read -r line; do
		case $line in
		"$2:: "*) printf '%s' "${line#*:: }" | base64 -d; echo ;;
		"$2: "*) printf '%s\n' "${line#*: }" ;;
		esac
	done
}
pwfile() { printf '%s' "$1" >"$BATS_TEST_TMPDIR/pw"; chmod 600 "$BATS_TEST_TMPDIR/pw"; }

@test "--help prints the usage on stdout, a bad verb exits 2" {
	run soca-user --help
	assert_success
	assert_output --partial "usage: soca-user"
	run soca-user frobnicate x
	assert_failure 2
	assert_output --partial 'unknown command "frobnicate"'
	run soca-user
	assert_failure 2
}

@test "add makes the entry, the per-user group, the home and the keys" {
	run soca-user add --email ann@example.com ann
	assert_success
	assert_line --regexp '^ann uid=[0-9]+ gid=[0-9]+ home=.*/homes/ann$'
	run ldapq -b "uid=ann,ou=People,$LDAP_BASE" -s base '(objectClass=*)'
	assert_output --partial "objectClass: inetOrgPerson"
	assert_output --partial "objectClass: posixAccount"
	assert_output --partial "objectClass: shadowAccount"
	assert_output --partial "uidNumber: 5000"
	assert_output --partial "gidNumber: 5000"
	assert_output --partial "homeDirectory: $SLAPD_DIR/homes/ann"
	assert_output --partial "loginShell: /bin/bash"
	assert_output --partial "mail: ann@example.com"
	assert_output --partial "sn: ann"
	run attr "cn=ann,ou=Group,$LDAP_BASE" gidNumber
	assert_output 5000
	run attr "cn=uid-5000,ou=Ids,$LDAP_BASE" description
	assert_output "uid ann"
	h=$SLAPD_DIR/homes/ann
	u=5000 g=5000	# only root can give files away
	[ "$(id -u)" -eq 0 ] || { u=$(id -u); g=$(id -g); }
	[ "$(stat -c '%a %u %g' "$h")" = "700 $u $g" ]
	[ "$(stat -c '%u' "$h/.profile")" = "$u" ]
	[ "$(cat "$h/.profile")" = welcome ]
	[ "$(stat -c '%a %u' "$h/.ssh")" = "700 $u" ]
	[ "$(stat -c '%a %u' "$h/.ssh/id_ed25519")" = "600 $u" ]
	[ "$(stat -c '%a' "$h/.ssh/authorized_keys")" = 600 ]
	grep -q '^ssh-ed25519 ' "$h/.ssh/authorized_keys"
	cmp "$h/.ssh/id_ed25519.pub" "$h/.ssh/authorized_keys"
}

@test "add of an existing user exits 1 with a clear message" {
	soca-user add bob
	run soca-user add bob
	assert_failure 1
	assert_output --partial 'user "bob" already exists'
	soca-group add grp1
	before=$(ldap_dump)
	run soca-user add grp1
	assert_failure 1
	assert_output --partial 'group "grp1" already exists'
	[ "$(ldap_dump)" = "$before" ]
}

@test "a per-user group left by an add cut short is taken over by the next add" {
	soca-user add dan
	gid=$(attr "cn=dan,ou=Group,$LDAP_BASE" gidNumber)
	run attr "cn=dan,ou=Group,$LDAP_BASE" description
	assert_output "per-user group of dan"
	# what an add leaves when the server goes away between group and user
	ldapdelete -x -H "$LDAP_URI" -D "$LDAP_ADMIN" -y "$LDAP_PWFILE" \
	    "uid=dan,ou=People,$LDAP_BASE"
	rm -rf "$SLAPD_DIR/homes/dan"
	run soca-user add dan
	assert_success
	run attr "uid=dan,ou=People,$LDAP_BASE" gidNumber
	assert_output "$gid"
	run soca-user add dan
	assert_failure 1
	assert_output --partial 'user "dan" already exists'
}

@test "add --uid --gid --shell, and a taken uid is refused" {
	run soca-user add --uid 7001 --gid 7002 --shell /bin/sh carl
	assert_success
	run attr "uid=carl,ou=People,$LDAP_BASE" uidNumber
	assert_output 7001
	run attr "uid=carl,ou=People,$LDAP_BASE" gidNumber
	assert_output 7002
	run attr "uid=carl,ou=People,$LDAP_BASE" loginShell
	assert_output /bin/sh
	run soca-user add --uid 7001 dora
	assert_failure 1
	assert_output --partial "uid 7001 is taken"
	run ldapq '(uid=dora)' dn
	assert_output ""
	run soca-user add --uid abc dora
	assert_failure 2
	run soca-user add --shell 'sh -c x' dora
	assert_failure 2
	run soca-user add --email 'x)(uid=*' dora
	assert_failure 2
}

@test "four concurrent adds get four distinct uid numbers" {
	for u in con1 con2 con3 con4; do
		soca-user add "$u" >"$BATS_TEST_TMPDIR/$u.out" 2>&1 &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/con*.out
	run ldapq '(uid=con*)' uidNumber
	n=$(printf '%s\n' "$output" | sed -n 's/^uidNumber: //p' | sort -u | wc -l)
	[ "$n" -eq 4 ]
	n=$(ldapq '(&(objectClass=posixGroup)(cn=con*))' gidNumber |
	    sed -n 's/^gidNumber: //p' | sort -u | wc -l)
	[ "$n" -eq 4 ]
}

@test "passwords: file, generated, policy, Password Modify hashes on the server" {
	pwfile 'correct-horse-battery'
	run soca-user add --password-file "$BATS_TEST_TMPDIR/pw" eve
	assert_success
	run attr "uid=eve,ou=People,$LDAP_BASE" userPassword
	assert_output --regexp '^\{SSHA\}'
	ldapwhoami -x -H "$LDAP_URI" -D "uid=eve,ou=People,$LDAP_BASE" \
	    -y "$BATS_TEST_TMPDIR/pw"
	run soca-user passwd --generate-password eve
	assert_success
	pw=$(printf '%s\n' "$output" | sed -n 's/^password: //p')
	[ ${#pw} -eq 20 ]
	printf '%s' "$pw" >"$BATS_TEST_TMPDIR/pw2"
	ldapwhoami -x -H "$LDAP_URI" -D "uid=eve,ou=People,$LDAP_BASE" \
	    -y "$BATS_TEST_TMPDIR/pw2"
	pwfile short
	run soca-user passwd --password-file "$BATS_TEST_TMPDIR/pw" eve
	assert_failure 2
	assert_output --partial "at least 12"
	ldapwhoami -x -H "$LDAP_URI" -D "uid=eve,ou=People,$LDAP_BASE" \
	    -y "$BATS_TEST_TMPDIR/pw2"
	printf 'from-stdin-password\n' | soca-user passwd --password-file - eve
	printf 'from-stdin-password' >"$BATS_TEST_TMPDIR/pw3"
	ldapwhoami -x -H "$LDAP_URI" -D "uid=eve,ou=People,$LDAP_BASE" \
	    -y "$BATS_TEST_TMPDIR/pw3"
	run soca-user passwd eve </dev/null
	assert_failure 2
	assert_output --partial "no terminal"
	run soca-user passwd --generate-password nobody-here
	assert_failure 1
	assert_output --partial 'no such user "nobody-here"'
}

@test "password_scheme = crypt stores a salted SHA-512 crypt" {
	slapd_write_conf "$BATS_TEST_TMPDIR/c.conf" "password_scheme = crypt"
	soca-user add fay
	pwfile 'another-long-password'
	run soca-user -c "$BATS_TEST_TMPDIR/c.conf" passwd \
	    --password-file "$BATS_TEST_TMPDIR/pw" fay
	assert_success
	h=$(attr "uid=fay,ou=People,$LDAP_BASE" userPassword)
	[[ $h == '{CRYPT}$6$'* ]]
	/usr/bin/python3 -c 'import crypt,sys; h=sys.argv[1][7:]; sys.exit(crypt.crypt("another-long-password", h) != h)' "$h" 2>/dev/null
}

@test "lock sets shadowExpire, unlock removes it; list and show tell" {
	soca-user add gus
	run soca-user lock gus
	assert_success
	run attr "uid=gus,ou=People,$LDAP_BASE" shadowExpire
	assert_output 1
	run soca-user show -J gus
	assert_output --partial '"locked":true'
	run soca-user unlock gus
	assert_success
	run attr "uid=gus,ou=People,$LDAP_BASE" shadowExpire
	assert_output ""
	run soca-user show gus
	assert_success
	assert_output --partial gus
	run soca-user lock nosuch
	assert_failure 1
	assert_output --partial 'no such user "nosuch"'
}

@test "admin grant and revoke change soca-admins memberUid" {
	soca-user add hal
	run soca-user admin grant hal
	assert_success
	run attr "cn=soca-admins,ou=Group,$LDAP_BASE" memberUid
	assert_line hal
	run soca-user show -J hal
	assert_output --partial '"admin":true'
	run soca-user admin grant hal
	assert_success
	run soca-user admin revoke hal
	assert_success
	run attr "cn=soca-admins,ou=Group,$LDAP_BASE" memberUid
	[[ $output != *hal* ]]
	soca-user add --admin ian
	run attr "cn=soca-admins,ou=Group,$LDAP_BASE" memberUid
	assert_line ian
	run soca-user admin promote ian
	assert_failure 2
	run soca-user admin revoke jill
	assert_failure 1
	assert_output --partial 'no such user "jill"'
}

@test "admin revoke with no admin group yet is quiet; a custom admin group DN" {
	slapd_write_conf "$BATS_TEST_TMPDIR/a.conf" \
	    "admin_group_dn = cn=hpc-admins,ou=Group,$LDAP_BASE"
	soca-user add ola
	run soca-user -c "$BATS_TEST_TMPDIR/a.conf" admin revoke ola
	assert_success
	assert_output "ola revoke admin"
	run soca-user -c "$BATS_TEST_TMPDIR/a.conf" admin grant ola
	assert_failure 1
	assert_output --partial "no such group cn=hpc-admins"
	soca-group add hpc-admins
	run soca-user -c "$BATS_TEST_TMPDIR/a.conf" admin grant ola
	assert_success
	run ldapq "(&(cn=hpc-admins)(memberUid=ola))" dn
	assert_output "dn: cn=hpc-admins,ou=Group,$LDAP_BASE"
}

@test "add with a password under the policy changes nothing" {
	pwfile 'too-short'
	before=$(ldap_dump)
	run soca-user add --password-file "$BATS_TEST_TMPDIR/pw" pia
	assert_failure 2
	assert_output --partial "at least 12"
	[ "$(ldap_dump)" = "$before" ]
	[ ! -e "$SLAPD_DIR/homes/pia" ]
	run soca-user add --password-file "$BATS_TEST_TMPDIR/pw" --generate-password pia
	assert_failure 2
}

@test "list: table, -n, -o, -J" {
	soca-user add jan
	run soca-user list
	assert_success
	assert_line --regexp '^NAME +UID +GID'
	assert_line --regexp '^jan +[0-9]+'
	run soca-user list -n -o name,uid
	refute_line --regexp '^NAME'
	assert_line --regexp '^jan +[0-9]+$'
	run soca-user list -J
	assert_line --regexp '^\{"name":"jan","uid":[0-9]+,"gid":[0-9]+'
	run soca-user show nosuch
	assert_failure 1
}

@test "key prints the private key once, then only with --again" {
	soca-user add kim
	run soca-user key kim
	assert_success
	assert_line --index 0 -- "-----BEGIN OPENSSH PRIVATE KEY-----"
	cmp <(printf '%s\n' "$output") "$SLAPD_DIR/homes/kim/.ssh/id_ed25519"
	run soca-user key kim
	assert_failure 1
	assert_output --partial "already downloaded"
	run soca-user key --again kim
	assert_success
	assert_line --index 0 -- "-----BEGIN OPENSSH PRIVATE KEY-----"
	u=$(ldapq '(uid=kim)' uidNumber | sed -n 's/^uidNumber: //p')
	[ "$(id -u)" -eq 0 ] || u=$(id -u)
	[ "$(stat -c '%a %u' "$SLAPD_DIR/homes/kim/.ssh/.soca-key-downloaded")" = "600 $u" ]
}

@test "key refuses a key file the user replaced with a symlink" {
	soca-user add kit
	ln -sf /etc/passwd "$SLAPD_DIR/homes/kit/.ssh/id_ed25519"
	run soca-user key kit
	assert_failure 1
	refute_output --partial "root:"
	rm "$SLAPD_DIR/homes/kit/.ssh/id_ed25519"
	ln -s /etc "$SLAPD_DIR/homes/kit/.ssh2"
	mv "$SLAPD_DIR/homes/kit/.ssh" "$SLAPD_DIR/homes/kit/.ssh-real"
	mv "$SLAPD_DIR/homes/kit/.ssh2" "$SLAPD_DIR/homes/kit/.ssh"
	run soca-user key kit
	assert_failure 1
	[ ! -e /etc/.soca-key-downloaded ]
}

@test "del removes entries and memberships, moves the home aside" {
	soca-user add --admin lee
	soca-group add proj
	soca-group member add proj lee
	echo data >"$SLAPD_DIR/homes/lee/results.txt"
	uid=$(attr "uid=lee,ou=People,$LDAP_BASE" uidNumber)
	run soca-user del lee
	assert_success
	assert_output --regexp "^lee deleted, home moved to .*/homes/lee\.deleted-[0-9]{8}T[0-9]{6}Z$"
	run ldapq '(|(uid=lee)(cn=lee)(memberUid=lee))' dn
	assert_output ""
	[ ! -e "$SLAPD_DIR/homes/lee" ]
	grep -q data "$SLAPD_DIR"/homes/lee.deleted-*/results.txt
	run soca-user del lee
	assert_failure 1
	assert_output --partial 'no such user "lee"'
	# the number is not handed out again
	run attr "cn=uid-$uid,ou=Ids,$LDAP_BASE" description
	assert_output "uid lee"
}

@test "bad names are refused with exit 2 and change nothing" {
	before=$(ldap_dump)
	for name in '*' 'a*)(uid=*' 'x,ou=People' '../etc' root \
	    "$(printf 'caf\xc3\xa9')" "$(printf 'a\tb')" "$(printf 'a\nb')" \
	    Upper '' "$(printf '%040d' 0 | tr 0 a)"; do
		for cmd in "add" "del" "show" "lock" "unlock" "passwd --generate-password" "admin grant" "key"; do
			run soca-user $cmd "$name"
			[ "$status" -eq 2 ] || { echo "$cmd [$name]: $status $output"; false; }
			[[ $output == *refused* ]]
		done
	done
	[ "$(ldap_dump)" = "$before" ]
	[ ! -e "$SLAPD_DIR/homes/etc" ]
}

@test "server down exits 3" {
	slapd_write_conf "$BATS_TEST_TMPDIR/c.conf"
	port=$(service_port)
	sed -i "s|^uri = .*|uri = ldap://127.0.0.1:$port|" "$BATS_TEST_TMPDIR/c.conf"
	run soca-user -c "$BATS_TEST_TMPDIR/c.conf" list
	assert_failure 3
	assert_output --partial "cannot reach the directory"
}

@test "wrong bind password, loose password file, insufficient access" {
	printf 'wrong\n' >"$BATS_TEST_TMPDIR/bad.pw"
	chmod 600 "$BATS_TEST_TMPDIR/bad.pw"
	slapd_write_conf "$BATS_TEST_TMPDIR/c.conf"
	sed -i "s|^bind_password_file = .*|bind_password_file = $BATS_TEST_TMPDIR/bad.pw|" \
	    "$BATS_TEST_TMPDIR/c.conf"
	run soca-user -c "$BATS_TEST_TMPDIR/c.conf" list
	assert_failure 2
	assert_output --partial "refused the password of $LDAP_ADMIN"
	chmod 644 "$BATS_TEST_TMPDIR/bad.pw"
	run soca-user -c "$BATS_TEST_TMPDIR/c.conf" list
	assert_failure 2
	assert_output --partial "readable by group or others"
	printf 'reader-pw-123\n' >"$BATS_TEST_TMPDIR/r.pw"
	chmod 400 "$BATS_TEST_TMPDIR/r.pw"
	slapd_write_conf "$BATS_TEST_TMPDIR/r.conf"
	sed -i -e "s|^bind_dn = .*|bind_dn = cn=reader,$LDAP_BASE|" \
	    -e "s|^bind_password_file = .*|bind_password_file = $BATS_TEST_TMPDIR/r.pw|" \
	    "$BATS_TEST_TMPDIR/r.conf"
	before=$(ldap_dump)
	run soca-user -c "$BATS_TEST_TMPDIR/r.conf" add mona
	assert_failure 2
	assert_output --partial "insufficient access"
	[ "$(ldap_dump)" = "$before" ]
	run soca-user -c "$BATS_TEST_TMPDIR/r.conf" list
	assert_success
}

@test "TLS: ldaps and StartTLS work with the right CA, a wrong CA is refused" {
	slapd_write_conf "$BATS_TEST_TMPDIR/s.conf" "ca_file = $SLAPD_CA"
	sed -i "s|^uri = .*|uri = $LDAPS_URI|" "$BATS_TEST_TMPDIR/s.conf"
	run soca-user -c "$BATS_TEST_TMPDIR/s.conf" list -n -o name
	assert_success
	slapd_write_conf "$BATS_TEST_TMPDIR/t.conf" "ca_file = $SLAPD_CA" \
	    "starttls = yes"
	run soca-user -c "$BATS_TEST_TMPDIR/t.conf" add tls1
	assert_success
	sed -i "s|^ca_file = .*|ca_file = $SLAPD_DIR/wrongca.crt|" \
	    "$BATS_TEST_TMPDIR/s.conf" "$BATS_TEST_TMPDIR/t.conf"
	run soca-user -c "$BATS_TEST_TMPDIR/s.conf" list
	assert_failure 2
	assert_output --partial "TLS with $LDAPS_URI failed"
	run soca-user -c "$BATS_TEST_TMPDIR/t.conf" add tls2
	assert_failure 2
	assert_output --partial "TLS with $LDAP_URI failed"
	run ldapq '(uid=tls2)' dn
	assert_output ""
}

@test "starttls = auto: StartTLS to a host that is not loopback, none to loopback" {
	# ::ffff:127.0.0.1 reaches the same server but is not a loopback name
	slapd_write_conf "$BATS_TEST_TMPDIR/x.conf" \
	    "ca_file = $SLAPD_DIR/wrongca.crt"
	sed -i "s|^uri = .*|uri = ldap://[::ffff:127.0.0.1]:$SLAPD_PORT|" \
	    "$BATS_TEST_TMPDIR/x.conf"
	run soca-user -c "$BATS_TEST_TMPDIR/x.conf" list
	assert_failure 2
	assert_output --partial "StartTLS: TLS with"
	echo "starttls = no" >>"$BATS_TEST_TMPDIR/x.conf"
	run soca-user -c "$BATS_TEST_TMPDIR/x.conf" list -n -o name
	assert_success
	slapd_write_conf "$BATS_TEST_TMPDIR/l.conf" \
	    "ca_file = $SLAPD_DIR/wrongca.crt"
	run soca-user -c "$BATS_TEST_TMPDIR/l.conf" list -n -o name
	assert_success
}

# on_tty ANSWER1 ANSWER2 CMD...: run CMD on a pseudo-terminal, answering
# its two password prompts
on_tty() {
	timeout 20 /usr/bin/python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
def expect(s):
    buf = b""
    while s not in buf:
        buf += os.read(fd, 1024)
    return buf
out = expect(b"New password:")
os.write(fd, sys.argv[1].encode() + b"\n")
out += expect(b"Retype new password:")
os.write(fd, sys.argv[2].encode() + b"\n")
try:
    while True:
        b = os.read(fd, 1024)
        if not b:
            break
        out += b
except OSError:
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))' "$@"
}

@test "passwd asks twice on the terminal, without echo" {
	soca-user add tom
	run on_tty 'typed-on-a-tty' 'typed-on-a-tty' soca-user passwd tom
	assert_success
	refute_output --partial typed-on-a-tty
	printf 'typed-on-a-tty' >"$BATS_TEST_TMPDIR/pw"
	ldapwhoami -x -H "$LDAP_URI" -D "uid=tom,ou=People,$LDAP_BASE" \
	    -y "$BATS_TEST_TMPDIR/pw"
	run on_tty 'first-long-answer' 'other-long-answer' soca-user passwd tom
	assert_failure 2
	assert_output --partial "the passwords differ"
	ldapwhoami -x -H "$LDAP_URI" -D "uid=tom,ou=People,$LDAP_BASE" \
	    -y "$BATS_TEST_TMPDIR/pw"
}

@test "a bind DN with a size limit still sees every user (paged searches)" {
	printf 'manager-pw-123' >"$BATS_TEST_TMPDIR/m.pw"
	chmod 600 "$BATS_TEST_TMPDIR/m.pw"
	slapd_write_conf "$BATS_TEST_TMPDIR/m.conf" \
	    "bind_dn = cn=manager,$LDAP_BASE" \
	    "bind_password_file = $BATS_TEST_TMPDIR/m.pw"
	export SOCA_CONF=$BATS_TEST_TMPDIR/m.conf
	for u in pg1 pg2 pg3 pg4 pg5; do soca-user add "$u"; done
	# the manager gets at most 3 entries from a plain search
	run ldapsearch -x -LLL -H "$LDAP_URI" -D "cn=manager,$LDAP_BASE" \
	    -y "$BATS_TEST_TMPDIR/m.pw" -b "ou=People,$LDAP_BASE" '(uid=pg*)' dn
	assert_failure 4
	run soca-user list -n -o name
	assert_success
	for u in pg1 pg2 pg3 pg4 pg5; do assert_line "$u"; done
	n=$(ldapq '(uid=pg*)' uidNumber | sed -n 's/^uidNumber: //p' |
	    sort -u | wc -l)
	[ "$n" -eq 5 ]
}

@test "not root: add and del queue the home; home --pending (root) makes it and moves it aside" {
	[ "$(id -u)" -eq 0 ] || skip "acting as another user needs root"
	local d uid
	d=$(mktemp -d /tmp/soca-userq.XXXXXX)
	chmod 0755 "$d"
	mkdir "$d/homes"
	install -d -o nobody -m 0750 "$d/queue"
	install -o nobody -m 0600 "$LDAP_PWFILE" "$d/ldap.pw"
	slapd_write_conf "$d/soca.conf" "bind_password_file = $d/ldap.pw" \
	    "homes = $d/homes" "home_queue = $d/queue"
	chmod 0644 "$d/soca.conf"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env SOCA_CONF="$d/soca.conf" "$@"; }
	run as_nobody soca-user add qin
	assert_success
	assert_output --regexp "^qin uid=[0-9]+ gid=[0-9]+ home=$d/homes/qin \(queued\)$"
	[ ! -e "$d/homes/qin" ]
	[ "$(cat "$d/queue/qin")" = "add by nobody" ]
	[ "$(stat -c %U "$d/queue/qin")" = nobody ]
	# the pending run is root's: anyone else is refused, nothing made
	run as_nobody soca-user home --pending
	assert_failure 2
	assert_output --partial "run it as root"
	[ -e "$d/queue/qin" ]
	SOCA_CONF=$d/soca.conf run soca-user home --pending
	assert_success
	assert_output "qin home=$d/homes/qin"
	uid=$(attr "uid=qin,ou=People,$LDAP_BASE" uidNumber)
	[ "$(stat -c '%a %u' "$d/homes/qin")" = "700 $uid" ]
	[ "$(cat "$d/homes/qin/.profile")" = welcome ]
	[ "$(stat -c '%a %u' "$d/homes/qin/.ssh/id_ed25519")" = "600 $uid" ]
	[ ! -e "$d/queue/qin" ]
	# again: nothing queued, nothing done
	SOCA_CONF=$d/soca.conf run soca-user home --pending
	assert_success
	assert_output ""
	# del as nobody: the entry goes now, the home at the pending run
	run as_nobody soca-user del qin
	assert_success
	assert_output "qin deleted, home move queued"
	[ -d "$d/homes/qin" ]
	SOCA_CONF=$d/soca.conf run soca-user home --pending
	assert_success
	assert_output --regexp "^qin: home moved to $d/homes/qin\.deleted-[0-9]{8}T[0-9]{6}Z$"
	[ ! -e "$d/homes/qin" ]
	[ ! -e "$d/queue/qin" ]
	# a user no longer in the directory: dropped; junk and links: left
	printf 'add by x\n' >"$d/queue/ghost"
	printf 'rm -rf /\n' >"$d/queue/junk"
	ln -s /etc/passwd "$d/queue/link"
	SOCA_CONF=$d/soca.conf run soca-user home --pending
	assert_failure 1
	assert_line "ghost: no longer in the directory; no home made"
	assert_output --partial 'home request "junk": not add or del'
	[ ! -e "$d/homes/ghost" ] && [ ! -e "$d/queue/ghost" ]
	[ -e "$d/queue/junk" ] && [ -L "$d/queue/link" ]
	[ ! -e "$d/homes/junk" ] && [ ! -e "$d/homes/link" ]
	rm -rf "$d"
}

@test "not root without a queue writable by it: add refuses before changing anything" {
	[ "$(id -u)" -eq 0 ] || skip "acting as another user needs root"
	local d before
	d=$(mktemp -d /tmp/soca-userq.XXXXXX)
	chmod 0755 "$d"
	mkdir "$d/homes" "$d/queue"
	install -o nobody -m 0600 "$LDAP_PWFILE" "$d/ldap.pw"
	slapd_write_conf "$d/soca.conf" "bind_password_file = $d/ldap.pw" \
	    "homes = $d/homes" "home_queue = $d/queue"
	chmod 0644 "$d/soca.conf"
	before=$(ldap_dump)
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env SOCA_CONF="$d/soca.conf" soca-user add qix
	assert_failure 2
	assert_output --partial "[ldap] home_queue $d/queue: not a directory this user"
	assert_equal "$(ldap_dump)" "$before"
	rm -rf "$d"
}
