# webadmin.bash: the web door's directory account for a bats suite that
# loaded lib/web (tests/api-admin.bats, tests/browser.bats): what an
# administrator's users and groups need beyond web_start.
#
#   setup_file()    { web_start; web_admin_start; }
#   teardown_file() { web_admin_stop; web_stop; }
#
# web_admin_start makes the system user socatest-ldap, the owner of a
# copy of slapd's admin password ($WEB_DIR/ldap.pw, [ldap] bind_dn and
# bind_password_file), the home queue $WEB_DIR/home-queue (its
# [ldap] home_queue) and homes $WEB_DIR/homes, [web] directory_user, and
# the second sudo rule as the shipped etc/web/sudoers has it (soca-api
# may run "sudo -n -u socatest-ldap -- soca-user|soca-group ..." as
# socatest-carol, members of socatest-admins may run those as
# socatest-ldap) in /etc/sudoers.d/socatest-api-admin-PID.  soca-user and
# soca-group in $WEB_DIR/bin are wrappers that append their ancestors'
# argv (both sudos') to $WEB_DIR/argv/log, then run the real command
# ($WEB_DIR/bin/soca-user.real).

# the directory account, its password file, the home queue, the config
# and the second sudo rule (as the shipped etc/web/sudoers has them)
web_admin_start() {
	[ -n "${WEB_DIR:-}" ] || return 0
	local c
	id socatest-ldap >/dev/null 2>&1 ||
		useradd -r -M -d /nonexistent -s /usr/sbin/nologin socatest-ldap
	for c in soca-user soca-group; do
		cp "$SOCA_BUILDDIR/bin/$c" "$WEB_DIR/bin/$c.real"
		# the real command, after noting its ancestors' argv (the sudo
		# processes included) where a test can look for a password
		cat >"$WEB_DIR/bin/$c" <<-EOF
		#!/bin/sh
		p=\$\$
		for _ in 1 2 3 4 5; do
			tr '\\0' ' ' </proc/\$p/cmdline 2>/dev/null; echo
			p=\$(awk '/^PPid:/ { print \$2 }' /proc/\$p/status 2>/dev/null)
			[ -n "\$p" ] && [ "\$p" -gt 1 ] || break
		done >>"$WEB_DIR/argv/log"
		exec "$WEB_DIR/bin/$c.real" "\$@"
		EOF
		chmod 0755 "$WEB_DIR/bin/$c"
	done
	install -d -o socatest-ldap -m 0700 "$WEB_DIR/argv"
	install -o socatest-ldap -m 0600 "$LDAP_PWFILE" "$WEB_DIR/ldap.pw"
	install -d -o socatest-ldap -m 0750 "$WEB_DIR/home-queue"
	mkdir -m 0755 "$WEB_DIR/homes"
	sed -i -e "/^\[ldap\]\$/a bind_dn = $LDAP_ADMIN\\nbind_password_file = $WEB_DIR/ldap.pw\\nhomes = $WEB_DIR/homes\\nhome_queue = $WEB_DIR/home-queue" \
	    -e "/^\[web\]\$/a directory_user = socatest-ldap" "$WEB_CONF"
	cat >"$WEB_DIR/sudoers-admin" <<-SUDO
	Defaults>socatest-ldap env_keep += "SOCA_CONF"
	socatest-api ALL = (socatest-carol, !root) NOPASSWD: \
	    /usr/bin/sudo -n -u socatest-ldap -- $WEB_DIR/bin/soca-user *, \
	    /usr/bin/sudo -n -u socatest-ldap -- $WEB_DIR/bin/soca-group *
	%socatest-admins ALL = (socatest-ldap) NOPASSWD: $WEB_DIR/bin/soca-user, \
	    $WEB_DIR/bin/soca-group
	SUDO
	visudo -cqf "$WEB_DIR/sudoers-admin" || return 1
	WEB_ADMIN_SUDOERS=/etc/sudoers.d/socatest-api-admin-$$
	install -m 0440 "$WEB_DIR/sudoers-admin" "$WEB_ADMIN_SUDOERS"
	export WEB_ADMIN_SUDOERS
}

web_admin_stop() {
	[ -n "${WEB_ADMIN_SUDOERS:-}" ] && rm -f "$WEB_ADMIN_SUDOERS"
	return 0
}
