#!/bin/sh
# soca remote desktop bootstrap: EC2 user data, rendered per desktop by
# soca-desktop launch from [desktop] user_data (this file by default).
# Every %%NAME%% is replaced by a single-quoted value.  It mounts the
# shared filesystem, joins LDAP (nslcd), installs or checks NICE DCV,
# writes dcv.conf (with [desktop] dcv_auth = token, soca-api's
# /api/dcv-auth as DCV's auth-token-verifier), and installs the systemd
# units that create the owner's virtual session at every boot and
# report idle facts to the cluster
# (the same units as etc/soca-desktop-*.service and .timer; tests check
# they match).  Every step is idempotent.
set -eu
SOCA_CLUSTER=%%CLUSTER%%
SOCA_CONF=%%CONF%%
SOCA_FS=%%SHARED_FS%%
SOCA_MNT=%%SHARED_FS_MOUNT%%
SOCA_BINDIR=%%BINDIR%%
SOCA_OWNER=%%OWNER%%
SOCA_SESSION=%%SESSION%%
SOCA_LDAP_URI=%%LDAP_URI%%
SOCA_LDAP_BASE=%%LDAP_BASE%%
SOCA_DCV_PORT=%%DCV_PORT%%
SOCA_DCV_URL_PATH=%%DCV_URL_PATH%%
SOCA_DCV_VERIFIER=%%DCV_VERIFIER%%
export SOCA_CLUSTER SOCA_CONF

log() {
	printf 'soca-desktop user data: %s\n' "$*" >&2
}

have() {
	command -v "$1" >/dev/null 2>&1
}

pkg_install() {
	if have dnf; then
		dnf -y -q install "$@"
	elif have yum; then
		yum -y -q install "$@"
	elif have apt-get; then
		DEBIAN_FRONTEND=noninteractive apt-get -y -q install "$@"
	else
		log "no package manager for: $*"
		return 1
	fi
}

# the shared filesystem (EFS or NFS): homes, the spool, soca itself
if [ -n "$SOCA_FS" ] && ! mountpoint -q "$SOCA_MNT" 2>/dev/null; then
	mkdir -p "$SOCA_MNT"
	if ! grep -q " $SOCA_MNT nfs4 " /etc/fstab; then
		printf '%s %s nfs4 %s 0 0\n' "$SOCA_FS" "$SOCA_MNT" \
		    nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev \
		    >>/etc/fstab
	fi
	mount "$SOCA_MNT"
fi

# LDAP users (soca.conf(5) [ldap]) through nslcd, so that DCV's PAM login
# and the session's owner resolve
if ! have nslcd; then
	pkg_install nss-pam-ldapd 2>/dev/null ||
	    pkg_install nslcd libnss-ldapd libpam-ldapd
fi
umask 077
cat >/etc/nslcd.conf <<NSLCD
uid nslcd
gid ldap
uri $SOCA_LDAP_URI
base $SOCA_LDAP_BASE
ssl start_tls
tls_reqcert demand
NSLCD
umask 022
for db in passwd group shadow; do
	if ! grep -q "^$db:.*ldap" /etc/nsswitch.conf; then
		sed -i "s/^\($db:.*\)\$/\1 ldap/" /etc/nsswitch.conf
	fi
done
systemctl enable --now nslcd || log "nslcd did not start"

# NICE DCV server (no license server on EC2: the instance role must read
# s3://dcv-license.REGION/*); the GL package on NVIDIA GPU types
if ! have dcv; then
	# shellcheck disable=SC1091
	. /etc/os-release
	case "$ID" in
	amzn) flavour=el8 ;;
	rhel|rocky|centos|almalinux) flavour="el${VERSION_ID%%.*}" ;;
	ubuntu) flavour="ubuntu$(printf '%s' "$VERSION_ID" | tr -d .)" ;;
	*) log "no NICE DCV build for $ID $VERSION_ID"; exit 1 ;;
	esac
	tmp=$(mktemp -d)
	curl -fsSL -o "$tmp/dcv.tgz" \
	    "https://d1uj6qtbmh3dt5.cloudfront.net/nice-dcv-$flavour-$(uname -m).tgz"
	tar -xzf "$tmp/dcv.tgz" -C "$tmp"
	pkgs="nice-dcv-server nice-xdcv nice-dcv-web-viewer"
	if lspci 2>/dev/null | grep -qi nvidia; then
		pkgs="$pkgs nice-dcv-gl"
	fi
	if have apt-get; then
		pkg_install ubuntu-desktop-minimal
		for p in $pkgs; do
			pkg_install "$tmp"/nice-dcv-*/"$p"_*.deb
		done
	else
		pkg_install '@GNOME' || pkg_install gnome-session gdm
		for p in $pkgs; do
			pkg_install "$tmp"/nice-dcv-*/"$p"-[0-9]*.rpm
		done
	fi
	rm -rf "$tmp"
fi
have dcv || { log "NICE DCV is not installed"; exit 1; }

# this instance's id, from IMDS (v2)
imds() {
	_t=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
	    http://169.254.169.254/latest/api/token) &&
	    curl -sf -m 5 -H "X-aws-ec2-metadata-token: $_t" \
	    "http://169.254.169.254/latest/meta-data/$1"
}

# DCV's system authentication (PAM: the LDAP password); with [desktop]
# dcv_auth = token, DCV also asks soca-api's external authenticator
# about the token the web door gave the owner (system stays the
# fallback for the DCV clients that bring a password)
dcv_security() {
	printf '[security]\nauthentication = "system"\n'
	if [ -n "$SOCA_DCV_VERIFIER" ]; then
		_iid=$(imds instance-id) || {
			log "no instance id from IMDS for auth-token-verifier"
			return 1
		}
		printf 'auth-token-verifier = "%s?instance=%s"\n' \
		    "$SOCA_DCV_VERIFIER" "$_iid"
	fi
}

mkdir -p /etc/dcv
security=$(dcv_security)
cat >/etc/dcv/dcv.conf <<DCVCONF
[license]

[log]
level = "info"

[session-management]
create-session = false

[display]

[connectivity]
web-port = $SOCA_DCV_PORT
web-url-path = "$SOCA_DCV_URL_PATH"
idle-timeout = 0

$security
DCVCONF
systemctl enable --now dcvserver

# what the units read, then the units themselves
mkdir -p /etc/soca
cat >/etc/soca/desktop.env <<ENV
SOCA_OWNER=$SOCA_OWNER
SOCA_SESSION=$SOCA_SESSION
SOCA_BINDIR=$SOCA_BINDIR
SOCA_CONF=$SOCA_CONF
ENV
cat >/etc/systemd/system/soca-desktop-session.service <<'UNIT'
# soca-desktop-session.service: the owner's DCV virtual session, created
# at every boot (so it survives a reboot) and left alone across a
# hibernation (its processes are kept in RAM).  Written by the desktop's
# user data (etc/desktop-user-data.sh); /etc/soca/desktop.env names the
# owner and the session id.
[Unit]
Description=soca remote desktop: the owner's DCV virtual session
After=network-online.target dcvserver.service nslcd.service remote-fs.target
Wants=network-online.target dcvserver.service

[Service]
Type=oneshot
RemainAfterExit=yes
EnvironmentFile=/etc/soca/desktop.env
ExecStart=/bin/sh -c 'dcv describe-session "$SOCA_SESSION" >/dev/null 2>&1 || exec dcv create-session --type=virtual --owner "$SOCA_OWNER" "$SOCA_SESSION"'
ExecStop=/bin/sh -c 'dcv close-session "$SOCA_SESSION" || true'

[Install]
WantedBy=multi-user.target
UNIT
cat >/etc/systemd/system/soca-desktop-report.service <<'UNIT'
# soca-desktop-report.service: the node's idle facts (DCV connections,
# load, GPU) into the shared spool, for soca-desktop tick.
[Unit]
Description=soca remote desktop: report idle facts to the cluster
After=soca-desktop-session.service remote-fs.target

[Service]
Type=oneshot
EnvironmentFile=/etc/soca/desktop.env
ExecStart=/bin/sh -c 'exec "$SOCA_BINDIR/soca-desktop" report'
UNIT
cat >/etc/systemd/system/soca-desktop-report.timer <<'UNIT'
# soca-desktop-report.timer: a report every 5 minutes.
[Unit]
Description=soca remote desktop: report idle facts every 5 minutes

[Timer]
OnBootSec=2min
OnUnitActiveSec=5min
AccuracySec=30s

[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
systemctl enable --now soca-desktop-session.service
systemctl enable --now soca-desktop-report.timer
log "desktop of $SOCA_OWNER ready: session $SOCA_SESSION, port $SOCA_DCV_PORT"
