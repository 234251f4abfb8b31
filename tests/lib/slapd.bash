# slapd.bash: a private OpenLDAP server on loopback for a bats suite.
#
#   load lib/slapd
#   setup_file()    { slapd_start; }     # once per file
#   teardown_file() { slapd_stop; }
#
# slapd_start writes a slapd.conf (core, cosine, nis and inetorgperson
# schemas, one mdb database for dc=soca,dc=test) under $SLAPD_DIR, seeds
# it offline with slapadd (base, ou=People, ou=Group and a read-only
# cn=reader account, and cn=manager: may write everything but gets at
# most 3 entries a search unless it pages), makes a test CA and a server certificate for
# 127.0.0.1, and starts `slapd -d 0` on ldap:// and ldaps:// ports picked
# by service_port.  It writes $SOCA_CONF for soca-user/soca-group (homes
# under $SLAPD_DIR/homes) and exports what tests need: LDAP_URI,
# LDAPS_URI, LDAP_BASE, LDAP_ADMIN, LDAP_PWFILE, SLAPD_CA.  ldapq runs
# ldapsearch as the admin and prints unwrapped LDIF.

load lib/service

SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPADD_BIN=${SLAPADD_BIN:-/usr/sbin/slapadd}

slapd_certs() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
	    -subj "/CN=soca test CA" 2>/dev/null || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$d/wrongca.key" -out "$d/wrongca.crt" -days 2 \
	    -subj "/CN=soca wrong CA" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/server.key" -out "$d/server.csr" \
	    -subj "/CN=127.0.0.1" 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/san.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" \
	    -CAkey "$d/ca.key" -CAcreateserial -out "$d/server.crt" -days 2 \
	    -extfile "$d/san.ext" 2>/dev/null || return 1
}

slapd_conf() {
	local d=$1
	cat >"$d/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $d/slapd.pid
argsfile $d/slapd.args
TLSCACertificateFile $d/ca.crt
TLSCertificateFile $d/server.crt
TLSCertificateKeyFile $d/server.key

database mdb
maxsize 67108864
suffix "$LDAP_BASE"
rootdn "$LDAP_ADMIN"
rootpw secret-admin-pw
directory $d/db
index objectClass eq
index uid,cn,memberUid eq
index uidNumber,gidNumber eq
limits dn.exact="cn=manager,$LDAP_BASE" size.soft=3 size.hard=3 size.prtotal=unlimited
access to attrs=userPassword by dn.exact="cn=manager,$LDAP_BASE" write
	by self write by anonymous auth by * none
access to * by dn.exact="cn=manager,$LDAP_BASE" write by * read
CONF
	cat >"$d/seed.ldif" <<LDIF
dn: $LDAP_BASE
objectClass: dcObject
objectClass: organization
dc: soca
o: soca test

dn: ou=People,$LDAP_BASE
objectClass: organizationalUnit
ou: People

dn: ou=Group,$LDAP_BASE
objectClass: organizationalUnit
ou: Group

dn: cn=reader,$LDAP_BASE
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: reader-pw-123

dn: cn=manager,$LDAP_BASE
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: manager
userPassword: manager-pw-123
LDIF
}

slapd_start() {
	export SLAPD_DIR="$BATS_FILE_TMPDIR/slapd"
	export LDAP_BASE="dc=soca,dc=test"
	export LDAP_ADMIN="cn=admin,$LDAP_BASE"
	export LDAP_PWFILE="$SLAPD_DIR/admin.pw"
	export SLAPD_CA="$SLAPD_DIR/ca.crt"
	mkdir -p "$SLAPD_DIR/db" "$SLAPD_DIR/homes" "$SLAPD_DIR/skel"
	printf 'secret-admin-pw' >"$LDAP_PWFILE"
	chmod 600 "$LDAP_PWFILE"
	printf 'welcome\n' >"$SLAPD_DIR/skel/.profile"
	slapd_certs "$SLAPD_DIR" || return 1
	slapd_conf "$SLAPD_DIR"
	"$SLAPADD_BIN" -q -f "$SLAPD_DIR/slapd.conf" -l "$SLAPD_DIR/seed.ldif" \
	    || return 1
	SLAPD_PORT=$(service_port)
	SLAPD_TLS_PORT=$(service_port)
	export LDAP_URI="ldap://127.0.0.1:$SLAPD_PORT"
	export LDAPS_URI="ldaps://127.0.0.1:$SLAPD_TLS_PORT"
	export SLAPD_PORT SLAPD_TLS_PORT
	service_start slapd "$SLAPD_PORT" "$SLAPD_BIN" -f "$SLAPD_DIR/slapd.conf" \
	    -h "$LDAP_URI/ $LDAPS_URI/" -d 0 || return 1
	service_wait_port "$SLAPD_TLS_PORT" 10 || return 1
	export SOCA_CONF="$SLAPD_DIR/soca.conf"
	slapd_write_conf "$SOCA_CONF"
}

# slapd_write_conf FILE ["key = value"...]: a soca.conf for this server;
# the given keys replace the defaults written here
slapd_write_conf() {
	local f=$1 line k
	shift
	{
		printf '[ldap]\n'
		while IFS= read -r line; do
			k=${line%% =*}
			for e in "$@"; do
				[ "${e%% =*}" = "$k" ] && continue 2
			done
			printf '%s\n' "$line"
		done <<-CONF
		uri = $LDAP_URI
		base = $LDAP_BASE
		bind_dn = $LDAP_ADMIN
		bind_password_file = $LDAP_PWFILE
		homes = $SLAPD_DIR/homes
		skel = $SLAPD_DIR/skel
		CONF
		printf '%s\n' "$@"
	} >"$f"
}

slapd_stop() {
	service_stop slapd
}

# ldapq [ldapsearch args...]: search as the admin, unwrapped LDIF
ldapq() {
	ldapsearch -x -LLL -o ldif-wrap=no -H "$LDAP_URI" -D "$LDAP_ADMIN" \
	    -y "$LDAP_PWFILE" -b "$LDAP_BASE" "$@"
}

# ldap_dump: the whole directory, for before/after comparisons
ldap_dump() {
	ldapq '(objectClass=*)' '*' | sort
}
