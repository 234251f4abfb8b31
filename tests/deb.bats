#!/usr/bin/env bats
# The Debian package (issue 18): make deb's package passes lintian with no
# error or warning; installed for real (as root, on a machine without
# soca installed), it makes the soca group, the setgid commands, the
# shared spool and its systemd units and cron file, a user's job runs
# through it with the dispatcher run as the timer runs it, and a purge
# takes everything away again.  The package is built in the build tree's
# deb/ (incrementally after the first time).

load lib/helper

setup_file() {
	export DEB_OUT=$BATS_FILE_TMPDIR/out
	"$SOCA_SRCDIR/etc/deb/mkdeb" "$SOCA_SRCDIR" "$SOCA_BUILDDIR/deb" "$DEB_OUT" >"$BATS_FILE_TMPDIR/deb" 2>"$BATS_FILE_TMPDIR/deb.err" || true
}

deb() {
	DEB=$(cat "$BATS_FILE_TMPDIR/deb")
	[ -f "$DEB" ] || { cat "$BATS_FILE_TMPDIR/deb.err" >&2; return 1; }
}

can_install() {
	[ "$(id -u)" -eq 0 ] || skip "installing a package needs root"
	[ -z "${SOCA_SANITIZED:-}" ] || skip "the package is the normal build; the sanitizer suite covers the code"
	! dpkg-query -W -f '${Status}' soca 2>/dev/null | grep -q installed ||
		skip "a soca package is installed on this machine: not touching it"
	[ ! -e /var/spool/soca ] && [ ! -e /usr/bin/soca-submit ] && ! getent group soca >/dev/null &&
		! getent passwd soca-ldap >/dev/null && [ ! -e /var/lib/soca ] ||
		skip "/var/spool/soca, /var/lib/soca, /usr/bin/soca-submit, group soca or user soca-ldap exist already: not touching them"
}

@test "make deb builds a package that lintian accepts with no error or warning" {
	deb
	run dpkg-deb -f "$DEB" Package Version Architecture
	assert_success
	assert_line 'Package: soca'
	assert_line "Architecture: $(dpkg --print-architecture)"
	run dpkg-deb -c "$DEB"
	assert_line --regexp ' \./usr/bin/soca-submit$'
	assert_line --regexp ' \./usr/share/man/man1/soca-submit\.1\.gz$'
	assert_line --regexp ' \./lib/systemd/system/soca-dispatch\.path$'
	assert_line --regexp ' \./lib/systemd/system/soca-node-up\.timer$'
	assert_line --regexp ' \./etc/cron\.d/soca$'
	assert_line --regexp ' \./etc/logrotate\.d/soca$'
	assert_line --regexp ' \./usr/share/doc/soca/copyright$'
	command -v lintian >/dev/null || skip "lintian is not installed (tests/setup-deps test)"
	run lintian --tag-display-limit 0 "$DEB"
	assert_success
	refute_line --regexp '^[EW]: '
}

@test "installed, the package sets up the group, setgid commands, spool, units and directory account; a user's job runs; purge removes it all" {
	deb
	can_install
	local u=socatest-pkg
	local home=/tmp/socatest-pkg-home
	id $u >/dev/null 2>&1 || useradd -m -d $home -s /bin/sh $u
	touch "$BATS_FILE_TMPDIR/installed"
	run dpkg -i "$DEB"
	assert_success
	run getent group soca
	assert_success
	for c in soca-submit soca-stat soca-del soca-hold soca-release soca-alter soca-desktop soca-budget; do
		run stat -c '%a %U %G' /usr/bin/$c
		assert_output '2755 root soca'
	done
	run stat -c '%a %U %G' /usr/bin/soca-node-up
	assert_output '755 root root'
	run stat -c '%a %U %G' /var/spool/soca
	assert_output '2770 root soca'
	# the web door's directory account and its home queue (soca-api(8))
	run getent passwd soca-ldap
	assert_output --regexp '^soca-ldap:x:[0-9]+:[0-9]+:.*:/nonexistent:/usr/sbin/nologin$'
	run stat -c '%a %U %G' /var/lib/soca/home-queue
	assert_output '750 soca-ldap soca-ldap'
	run systemd-analyze verify --man=no /lib/systemd/system/soca-*.service \
		/lib/systemd/system/soca-*.timer /lib/systemd/system/soca-*.path
	assert_success
	assert_output ''
	for unit in paths.target.wants/soca-dispatch.path \
		timers.target.wants/soca-node-up.timer \
		timers.target.wants/soca-node-down.timer \
		timers.target.wants/soca-budget-refresh.timer \
		timers.target.wants/soca-desktop-tick.timer \
		timers.target.wants/soca-archive.timer \
		timers.target.wants/soca-index.timer; do
		[ -L /etc/systemd/system/$unit ]
	done

	# a user submits with the package's configuration; the dispatcher
	# runs as its timer or path unit runs it (here by hand: the test
	# machine's systemd is not ours to drive)
	run env -u SOCA_CONF su $u -c 'cd && echo "id -un; echo pkg-ok" | /usr/bin/soca-submit -N pkg'
	assert_success
	local id=$output
	[ -d /run/systemd/system ] && systemctl is-active --quiet soca-dispatch.path ||
		env -u SOCA_CONF /usr/bin/soca-node-up
	local i
	for i in $(seq 60); do
		[ -f "$home/pkg.o$id" ] && [ -n "$(env -u SOCA_CONF su $u -c "/usr/bin/soca-stat -x -n -o state $id" | grep -x done)" ] && break
		sleep 0.5
	done
	run cat "$home/pkg.o$id"
	assert_output "$u
pkg-ok"

	run dpkg --purge soca
	assert_success
	run getent group soca
	assert_failure
	run getent passwd soca-ldap
	assert_failure
	run getent group soca-ldap
	assert_failure
	[ ! -e /var/lib/soca ]
	[ ! -e /usr/bin/soca-submit ]
	[ ! -e /var/spool/soca ]
	[ ! -e /lib/systemd/system/soca-dispatch.path ]
	[ ! -L /etc/systemd/system/paths.target.wants/soca-dispatch.path ]
	run dpkg-statoverride --list /usr/bin/soca-submit
	assert_failure
}

teardown_file() {
	# whatever a failure left: the package and the test user
	if [ -f "$BATS_FILE_TMPDIR/installed" ]; then
		dpkg --purge soca >/dev/null 2>&1 || true
		userdel -r socatest-pkg >/dev/null 2>&1 || true
	fi
}
