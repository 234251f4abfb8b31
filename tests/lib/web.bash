# web.bash: the web door for real, for a bats suite (tests/api.bats,
# tests/browser.bats).
#
#   load lib/helper
#   load lib/web
#   setup_file()    { web_start; }     # once per file: skips without root
#   teardown_file() { web_stop; }
#   setup()         { web_test_setup; }  # or web_setup || skip "$WEB_SKIP"
#
# web_start brings up, all on loopback and torn down by web_stop:
#   - slapd (lib/slapd) holding socatest-alice, socatest-bob and
#     socatest-carol (an administrator), whose local accounts exist with
#     the same names and homes $WEB_HOMES/alice, ... (login binds to
#     LDAP, sudo acts as the local account); their passwords are in
#     $WEB_PW_alice, ... ("pw-alice-123" and so on); this run's files go
#     in $WEB_SUB of each home, which web_stop removes
#   - awsim (lib/awsim), for desktops: [aws] endpoint_url points at it
#     and each user's home holds its credentials
#   - a shared spool like tests/multiuser.bats: root:socatest-soca 2770,
#     setgid copies of the soca commands in $WEB_DIR/bin (soca-budget
#     too, for its status; soca-user plain, for one's own SSH key)
#   - the CGI as $WEB_DIR/cgi/soca-api, run by fcgiwrap as the dedicated
#     user socatest-api, behind nginx (also as socatest-api) with TLS
#     (a self-signed certificate made by openssl now) on $WEB_PORT
#   - a sudoers drop-in /etc/sudoers.d/socatest-api-PID allowing
#     socatest-api the build tree's copies of the commands as the three
#     users only (checked with visudo -c first; removed by web_stop)
# and exports WEB_URL (https://127.0.0.1:PORT), WEB_ORIGIN, WEB_DIR,
# WEB_CONF (its soca.conf, also $SOCA_CONF), WEB_AUDIT (the audit log)
# and WEB_STATE ([web] state).
#
# web_req METHOD PATH [curl args...] sets WEB_STATUS, WEB_BODY and
# WEB_HEADERS (lower-cased names); web_as USER METHOD PATH [args...]
# does it with USER's API key (made by web_key USER... once per file).

load lib/slapd
load lib/awsim

WEB_SKIP=
WEB_USERS="alice bob carol"

web_need() {
	[ "$(id -u)" -eq 0 ] || { WEB_SKIP="the web door's tests need root (useradd, setgid copies, sudoers)"; return 1; }
	[ -z "${SOCA_SANITIZED:-}" ] || { WEB_SKIP="LeakSanitizer cannot run setgid programs: this suite runs in the normal build"; return 1; }
	local b
	for b in /usr/sbin/nginx /usr/sbin/fcgiwrap /usr/bin/sudo /usr/sbin/visudo /usr/bin/setpriv /usr/bin/curl /usr/bin/jq; do
		[ -x "$b" ] || { WEB_SKIP="$b is missing (tests/setup-deps test)"; return 1; }
	done
}

# usermod refuses while the user runs something (another suite's job):
# wait for that to end
web_usermod_home() {
	local i
	for i in $(seq 100); do
		[ "$(getent passwd "$2" | cut -d: -f6)" = "$1" ] && return 0
		usermod -d "$1" "$2" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "usermod -d $1 $2: the user stays busy" >&2
	return 1
}

# The users' homes are fixed, shared by every suite that loads this file
# (api.bats, browser.bats, perhaps at once under make -j): a suite never
# moves a home another one is using.  Each run works in its own
# subdirectory of them, $WEB_SUB.
WEB_HOMES=/var/tmp/socatest-web

web_accounts() {
	getent group socatest-soca >/dev/null || groupadd socatest-soca
	getent group socatest-admins >/dev/null || groupadd socatest-admins
	id socatest-api >/dev/null 2>&1 ||
		useradd -r -M -d /nonexistent -s /usr/sbin/nologin socatest-api
	mkdir -p "$WEB_HOMES"
	chmod 0755 "$WEB_HOMES"
	local u
	for u in $WEB_USERS; do
		id "socatest-$u" >/dev/null 2>&1 ||
			useradd -M -d /nonexistent -s /bin/sh "socatest-$u"
		mkdir -p "$WEB_HOMES/$u/.aws"
		web_usermod_home "$WEB_HOMES/$u" "socatest-$u" || return 1
		# AWS credentials (awsim's) in each home: sudo sets HOME to it
		printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$WEB_HOMES/$u/.aws/credentials.$$"
		mv "$WEB_HOMES/$u/.aws/credentials.$$" "$WEB_HOMES/$u/.aws/credentials"
		chown "socatest-$u:" "$WEB_HOMES/$u" "$WEB_HOMES/$u/.aws" "$WEB_HOMES/$u/.aws/credentials"
		chmod 0700 "$WEB_HOMES/$u"
		chmod 0600 "$WEB_HOMES/$u/.aws/credentials"
		install -d -o "socatest-$u" -m 0700 "$WEB_HOMES/$u/$WEB_SUB"
	done
	usermod -a -G socatest-admins socatest-carol
	gpasswd -d socatest-alice socatest-admins >/dev/null 2>&1 || true
	gpasswd -d socatest-bob socatest-admins >/dev/null 2>&1 || true
}

web_ldap_users() {
	local u uid gid ldif=
	for u in $WEB_USERS; do
		uid=$(id -u "socatest-$u")
		gid=$(id -g "socatest-$u")
		ldif+="dn: uid=socatest-$u,ou=People,$LDAP_BASE
objectClass: inetOrgPerson
objectClass: posixAccount
uid: socatest-$u
cn: socatest-$u
sn: $u
uidNumber: $uid
gidNumber: $gid
homeDirectory: $WEB_HOMES/$u
userPassword: pw-$u-123

"
		export "WEB_PW_$u=pw-$u-123"
	done
	ldapadd -x -H "$LDAP_URI" -D "$LDAP_ADMIN" -y "$LDAP_PWFILE" <<<"$ldif" >/dev/null
}

web_spool() {
	local c
	mkdir -p "$WEB_DIR/bin" "$WEB_DIR/cgi"
	for c in soca-submit soca-stat soca-del soca-hold soca-release soca-alter \
		soca-budget soca-files soca-desktop soca-node-up soca-node-run soca-node-down soca-spool \
		soca-user; do
		cp "$SOCA_BUILDDIR/bin/$c" "$WEB_DIR/bin/"
	done
	for c in soca-submit soca-stat soca-del soca-hold soca-release soca-alter soca-desktop \
		soca-budget; do
		chgrp socatest-soca "$WEB_DIR/bin/$c"
		chmod 2755 "$WEB_DIR/bin/$c"
	done
	cp "$SOCA_BUILDDIR/bin/soca-api" "$WEB_DIR/cgi/"
	cp "$SLAPD_CA" "$WEB_DIR/ldap-ca.crt"
	mkdir -m 0700 "$WEB_DIR/state"
	chown socatest-api: "$WEB_DIR/state"
	: >"$WEB_DIR/audit.log"
	chown socatest-api: "$WEB_DIR/audit.log"
	cat >"$WEB_DIR/soca.conf" <<-CONF
	[cluster]
	spool = $WEB_DIR/spool
	dispatch = cron
	admin_group = socatest-admins
	kill_grace = 1s
	[aws]
	region = us-east-1
	endpoint_url = $AWSIM_URL
	ami = ami-0a1b2c3d4e5f60001
	[budget]
	account_id = 123456789012
	[project "cfd"]
	limit = 100
	[desktop]
	images = al2023=ami-0a1b2c3d4e5f60002, rhel8=ami-0a1b2c3d4e5f60004
	allowed_types = t3, m5.large, m5.xlarge, g5.xlarge
	[ldap]
	uri = $LDAPS_URI
	base = $LDAP_BASE
	ca_file = $WEB_DIR/ldap-ca.crt
	[web]
	state = $WEB_DIR/state
	bindir = $WEB_DIR/bin
	openapi = $SOCA_SRCDIR/lib/web/openapi.json
	audit_log = $WEB_DIR/audit.log
	max_upload = 64K
	CONF
	chmod 0644 "$WEB_DIR/soca.conf"
	SOCA_CONF=$WEB_DIR/soca.conf "$WEB_DIR/bin/soca-spool" init socatest-soca
}

web_sudoers() {
	local c cmds='' users=''
	for c in soca-submit soca-stat soca-del soca-hold soca-release soca-alter soca-budget soca-files soca-desktop \
		soca-user; do
		cmds+="${cmds:+, }$WEB_DIR/bin/$c"
	done
	for c in $WEB_USERS; do
		users+="socatest-$c, "
	done
	cat >"$WEB_DIR/sudoers" <<-SUDO
	Defaults:socatest-api !requiretty, !lecture, env_reset
	Defaults:socatest-api env_keep = "SOCA_CONF"
	Defaults:socatest-api runcwd = ~
	socatest-api ALL = (${users}!root) NOPASSWD: $cmds
	SUDO
	visudo -cqf "$WEB_DIR/sudoers" || return 1
	WEB_SUDOERS=/etc/sudoers.d/socatest-api-$$
	install -m 0440 "$WEB_DIR/sudoers" "$WEB_SUDOERS"
	echo "$WEB_SUDOERS" >"$WEB_DIR/sudoers.path"
}

web_tls() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$WEB_DIR/tls.key" -out "$WEB_DIR/tls.crt" -days 2 \
	    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    2>/dev/null || return 1
	chown socatest-api: "$WEB_DIR/tls.key"
}

web_nginx_conf() {
	mkdir -p "$WEB_DIR/nginx/tmp"
	cat >"$WEB_DIR/nginx/nginx.conf" <<-CONF
	daemon off;
	worker_processes 1;
	pid $WEB_DIR/nginx/nginx.pid;
	error_log $WEB_DIR/nginx/error.log;
	events { worker_connections 64; }
	http {
	    access_log off;
	    client_body_temp_path $WEB_DIR/nginx/tmp/body;
	    fastcgi_temp_path $WEB_DIR/nginx/tmp/fastcgi;
	    proxy_temp_path $WEB_DIR/nginx/tmp/proxy;
	    uwsgi_temp_path $WEB_DIR/nginx/tmp/uwsgi;
	    scgi_temp_path $WEB_DIR/nginx/tmp/scgi;
	    server {
	        listen 127.0.0.1:$WEB_PORT ssl;
	        ssl_certificate $WEB_DIR/tls.crt;
	        ssl_certificate_key $WEB_DIR/tls.key;
	        client_max_body_size 4m;
	        root ${WEB_WWW:-$WEB_DIR/www};
	        location / { try_files \$uri \$uri/ =404; }
	        location /api/ {
	            include /etc/nginx/fastcgi_params;
	            fastcgi_param SCRIPT_FILENAME $WEB_DIR/cgi/soca-api;
	            fastcgi_param SOCA_CONF $WEB_DIR/soca.conf;
	            fastcgi_pass unix:$WEB_DIR/run/fcgi.sock;
	        }
	    }
	}
	CONF
	mkdir -p "$WEB_DIR/www" "$WEB_DIR/run"
	chown -R socatest-api: "$WEB_DIR/nginx" "$WEB_DIR/run"
}

# as socatest-api, in the background, its pid in $SERVICE_DIR/NAME.pid
web_daemon() {
	local name=$1
	shift
	setsid setpriv --reuid=socatest-api --regid=socatest-api --clear-groups \
	    --reset-env "$@" >"$SERVICE_DIR/$name.log" 2>&1 3>&- &
	echo $! >"$SERVICE_DIR/$name.pid"
}

# its process group: fcgiwrap's and nginx's children go with them
web_daemon_stop() {
	local f=$SERVICE_DIR/$1.pid pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	kill -TERM -- "-$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$f"
}

web_start() {
	SOCA_SRCDIR=$(cd "$SOCA_SRCDIR" && pwd)
	SOCA_BUILDDIR=$(cd "$SOCA_BUILDDIR" && pwd)
	export SOCA_SRCDIR SOCA_BUILDDIR
	web_need || return 0
	slapd_start || return 1
	awsim_start || return 1
	WEB_DIR=$(mktemp -d /tmp/soca-web.XXXXXX)
	chmod 0755 "$WEB_DIR"
	WEB_SUB=${WEB_DIR##*/}
	export WEB_DIR WEB_SUB WEB_HOMES
	web_accounts || return 1
	web_ldap_users || return 1
	web_spool || return 1
	web_sudoers || return 1
	web_tls || return 1
	WEB_PORT=$(service_port)
	web_nginx_conf
	web_daemon fcgiwrap /usr/sbin/fcgiwrap -c 2 -s "unix:$WEB_DIR/run/fcgi.sock"
	local i
	for i in $(seq 100); do
		[ -S "$WEB_DIR/run/fcgi.sock" ] && break
		sleep 0.05
	done
	web_daemon nginx /usr/sbin/nginx -c "$WEB_DIR/nginx/nginx.conf" \
	    -e "$WEB_DIR/nginx/error.log"
	service_wait_port "$WEB_PORT" 20 || {
		cat "$SERVICE_DIR/nginx.log" "$WEB_DIR/nginx/error.log" >&2
		return 1
	}
	export WEB_PORT WEB_URL="https://127.0.0.1:$WEB_PORT"
	export WEB_ORIGIN=$WEB_URL WEB_CONF=$WEB_DIR/soca.conf
	export WEB_AUDIT=$WEB_DIR/audit.log WEB_STATE=$WEB_DIR/state
	export SOCA_CONF=$WEB_CONF PATH="$WEB_DIR/bin:$PATH"
}

web_stop() {
	web_daemon_stop nginx
	web_daemon_stop fcgiwrap
	slapd_stop
	awsim_stop
	if [ -n "${WEB_DIR:-}" ] && [ -f "$WEB_DIR/sudoers.path" ]; then
		rm -f "$(cat "$WEB_DIR/sudoers.path")"
	fi
	local u
	for u in $WEB_USERS; do
		[ -n "${WEB_SUB:-}" ] && rm -rf "${WEB_HOMES:?}/$u/$WEB_SUB"
	done
	# WEB_KEEP=1 keeps the directory (logs, audit, spool) for a look
	[ -n "${WEB_DIR:-}" ] && [ -z "${WEB_KEEP:-}" ] && rm -rf "$WEB_DIR"
	return 0
}

# per test: skip when web_start could not run; a clean slate of failures
web_setup() {
	web_need || return 1
	[ -n "${WEB_DIR:-}" ] || { WEB_SKIP="web_start did not run"; return 1; }
	rm -rf "$WEB_STATE/failures"
}

# per test, for a suite whose tests work in a directory of their own:
# skip as web_setup says, else cd to the test's temporary directory
web_test_setup() {
	web_setup || skip "$WEB_SKIP"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# web_req METHOD PATH [curl args...]
web_req() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -sS -g --cacert "$WEB_DIR/tls.crt" -X "$method" \
	    -D "$WEB_DIR/headers.$$" -o "$WEB_DIR/body.$$" -w '%{http_code}' \
	    "$@" "$WEB_URL$path") || return 1
	WEB_STATUS=$out
	WEB_BODY=$(cat "$WEB_DIR/body.$$")
	WEB_HEADERS=$(tr -d '\r' <"$WEB_DIR/headers.$$" | sed 's/^[^:]*:/\L&/')
	rm -f "$WEB_DIR/body.$$" "$WEB_DIR/headers.$$"
}

# web_login USER: a session cookie for socatest-USER in WEB_COOKIE
web_login() {
	web_req POST /api/login -H 'Content-Type: application/json' \
	    --data "{\"user\":\"socatest-$1\",\"password\":\"pw-$1-123\"}" || return 1
	[ "$WEB_STATUS" = 200 ] || { echo "login of $1: $WEB_STATUS $WEB_BODY" >&2; return 1; }
	WEB_COOKIE=$(sed -n 's/^set-cookie: soca_session=\([^;]*\);.*/\1/p' <<<"$WEB_HEADERS")
}

# web_key USER...: an API key for each socatest-USER, in WEB_KEY_USER
web_key() {
	local u tok
	for u in "$@"; do
		web_login "$u" || return 1
		web_req POST /api/keys -H 'Content-Type: application/json' \
		    -H "Origin: $WEB_ORIGIN" -b "soca_session=$WEB_COOKIE" \
		    --data '{"name":"tests"}' || return 1
		[ "$WEB_STATUS" = 201 ] || { echo "key of $u: $WEB_STATUS $WEB_BODY" >&2; return 1; }
		tok=$(jq -r .token <<<"$WEB_BODY")
		export "WEB_KEY_$u=$tok"
	done
}

# web_as USER METHOD PATH [curl args...]: with USER's API key
web_as() {
	local u=$1 var
	shift
	var=WEB_KEY_$u
	web_req "$1" "$2" -H "Authorization: Bearer ${!var}" "${@:3}"
}
