/*
 * dir.c: the connection to the directory, and the allocation of uid and
 * gid numbers.
 *
 * soca_dir_open() reads [ldap] from soca.conf(5), connects, runs
 * StartTLS when asked (auto: for ldap:// to any host but loopback),
 * always with certificate verification demanded, and binds as bind_dn
 * (soca_dir_open_anon: does not, for a caller that binds as a user).
 * The bind password comes from bind_password_file, refused when group
 * or others may read it, or from bind_password.
 *
 * Numbers are allocated without a counter to race on: every number in
 * use has a lock entry cn=uid-N (or gid-N) under ou=Ids, added before
 * the user or group that uses it.  The server refuses a second add of
 * the same DN, so of two administrators picking the same free number one
 * gets "already exists" and moves on to the next.  Lock entries stay when
 * users are deleted, so a number (and the files it owns on the shared
 * filesystem) is never handed to someone else.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <sys/socket.h>
#include <ldap.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soca.h"
#include "dir.h"
#include "dir_int.h"

const struct soca_conf *
soca_dir_conf(const struct soca_dir *d)
{
	return d->conf;
}

/* Does anything listen at the URI's host and port (plain TCP)? */
static bool
listening(const char *uri)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *p;
	LDAPURLDesc *u;
	char port[16];
	bool up = false;
	int fd;

	if (ldap_url_parse(uri, &u) != LDAP_URL_SUCCESS)
		return false;
	snprintf(port, sizeof(port), "%d", u->lud_port ? u->lud_port :
	    strcmp(u->lud_scheme, "ldaps") == 0 ? 636 : 389);
	if (u->lud_host && getaddrinfo(u->lud_host, port, &hints, &ai) == 0) {
		for (p = ai; p && !up; p = p->ai_next) {
			if ((fd = socket(p->ai_family, p->ai_socktype |
			    SOCK_CLOEXEC, 0)) == -1)
				continue;
			up = connect(fd, p->ai_addr, p->ai_addrlen) == 0;
			close(fd);
		}
		freeaddrinfo(ai);
	}
	ldap_free_urldesc(u);
	return up;
}

/* A failed connection over TLS to a server that does listen. */
static bool
tls_trouble(struct soca_dir *d, const char *diag)
{
	if (diag != NULL && (strstr(diag, "TLS") != NULL ||
	    strstr(diag, "certificate") != NULL || strstr(diag, "SSL") != NULL))
		return true;
	return d->tls && listening(d->uri);
}

/* Map an LDAP result code to a message and an exit code. */
int
soca_dir_fail(struct soca_dir *d, int lrc, const char *fmt, ...)
{
	struct soca_buf what = { 0 };
	char *diag = NULL;
	const char *why = ldap_err2string(lrc);
	va_list ap;
	int ex = SOCA_EX_FALSE;

	va_start(ap, fmt);
	soca_buf_vaddf(&what, fmt, ap);
	va_end(ap);
	ldap_get_option(d->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag != NULL && diag[0] == '(') {
		ldap_memfree(diag);
		diag = NULL;
	}
	switch (lrc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_TIMEOUT:
	case LDAP_BUSY:
	case LDAP_UNAVAILABLE:
	case LDAP_TIMELIMIT_EXCEEDED:
		if (tls_trouble(d, diag)) {
			warnx("%s: TLS with %s failed: the server's "
			    "certificate was not accepted (check [ldap] "
			    "ca_file and the certificate's names)", what.s,
			    d->uri);
			ex = SOCA_EX_USAGE;
		} else {
			warnx("%s: cannot reach the directory at %s: %s%s%s "
			    "(retry later)", what.s, d->uri, why,
			    diag && *diag ? ": " : "", diag ? diag : "");
			ex = SOCA_EX_TEMP;
		}
		break;
	case LDAP_INVALID_CREDENTIALS:
		warnx("%s: the directory refused the password of %s (check "
		    "[ldap] bind_password_file)", what.s, d->bind_dn ?
		    d->bind_dn : "the anonymous bind");
		ex = SOCA_EX_USAGE;
		break;
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_INAPPROPRIATE_AUTH:
		warnx("%s: insufficient access: %s may not do this (set [ldap] "
		    "bind_dn to an administrator of the directory)", what.s,
		    d->bind_dn ? d->bind_dn : "the anonymous bind");
		ex = SOCA_EX_USAGE;
		break;
	case LDAP_NO_SUCH_OBJECT:
		warnx("%s: no such entry (check [ldap] base \"%s\": ou=People "
		    "and ou=Group must exist under it)", what.s, d->base);
		break;
	default:
		warnx("%s: %s%s%s", what.s, why, diag && *diag ? ": " : "",
		    diag ? diag : "");
		break;
	}
	ldap_memfree(diag);
	soca_buf_free(&what);
	return ex;
}

static bool
loopback(const char *uri)
{
	LDAPURLDesc *u;
	bool lo = false;

	if (ldap_url_parse(uri, &u) != LDAP_URL_SUCCESS)
		return false;
	if (u->lud_host == NULL || *u->lud_host == '\0' ||
	    strcmp(u->lud_host, "localhost") == 0 ||
	    strncmp(u->lud_host, "127.", 4) == 0 ||
	    strcmp(u->lud_host, "::1") == 0)
		lo = true;
	if (strcmp(u->lud_scheme, "ldapi") == 0)
		lo = true;
	ldap_free_urldesc(u);
	return lo;
}

/* The bind password: a file only its owner may read, or the key. */
static int
bind_password(const struct soca_conf *c, char **pw)
{
	const char *path = soca_conf_get(c, "ldap", NULL, "bind_password_file");
	const char *lit = soca_conf_get(c, "ldap", NULL, "bind_password");
	struct stat st;
	FILE *f;
	int fd, rc;

	*pw = NULL;
	if (path == NULL) {
		if (lit != NULL)
			*pw = soca_xstrdup(lit);
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("[ldap] bind_password_file %s", path);
		return SOCA_EX_USAGE;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		warnx("[ldap] bind_password_file %s: readable by group or "
		    "others (mode %04o): run chmod 600 %s", path,
		    (unsigned)st.st_mode & 07777, path);
		close(fd);
		return SOCA_EX_USAGE;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		warn("[ldap] bind_password_file %s", path);
		return SOCA_EX_TEMP;
	}
	rc = soca_pass_stream(f, path, pw);
	fclose(f);
	return rc;
}

static int
tls_options(struct soca_dir *d)
{
	const char *ca = soca_conf_get(d->conf, "ldap", NULL, "ca_file");
	int demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;

	if (ca != NULL && access(ca, R_OK) == -1) {
		warn("[ldap] ca_file %s", ca);
		return SOCA_EX_USAGE;
	}
	if (ldap_set_option(d->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) ||
	    (ca != NULL &&
	    ldap_set_option(d->ld, LDAP_OPT_X_TLS_CACERTFILE, ca)) ||
	    ldap_set_option(d->ld, LDAP_OPT_X_TLS_NEWCTX, &zero)) {
		warnx("[ldap] TLS setup failed (ca_file %s)", ca ? ca : "-");
		return SOCA_EX_USAGE;
	}
	return 0;
}

static int
set_options(struct soca_dir *d)
{
	long long t = soca_conf_int(d->conf, "ldap", NULL, "timeout");
	struct timeval tv = { .tv_sec = t > 0 ? t : 10, .tv_usec = 0 };
	int v3 = LDAP_VERSION3;

	d->timeout = tv.tv_sec;
	ldap_set_option(d->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(d->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(d->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(d->ld, LDAP_OPT_TIMEOUT, &tv);
	return tls_options(d);
}

static int
want_starttls(struct soca_dir *d)
{
	const char *mode = soca_conf_get(d->conf, "ldap", NULL, "starttls");

	if (strncmp(d->uri, "ldaps://", 8) == 0 ||
	    strncmp(d->uri, "ldapi://", 8) == 0)
		return 0;
	if (strcmp(mode, "yes") == 0)
		return 1;
	if (strcmp(mode, "no") == 0)
		return 0;
	return !loopback(d->uri);
}

static int
connect_bind(struct soca_dir *d)
{
	struct berval cred = { 0, NULL };
	char *pw = NULL;
	int rc;

	d->tls = strncmp(d->uri, "ldaps://", 8) == 0 || want_starttls(d);
	if (want_starttls(d) &&
	    (rc = ldap_start_tls_s(d->ld, NULL, NULL)) != LDAP_SUCCESS)
		return soca_dir_fail(d, rc, "StartTLS");
	if (d->bind_dn == NULL)
		return 0;
	if ((rc = bind_password(d->conf, &pw)) != 0)
		return rc;
	if (pw == NULL) {
		warnx("[ldap] bind_dn is set but neither bind_password_file "
		    "nor bind_password is");
		return SOCA_EX_USAGE;
	}
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(d->ld, d->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
	    NULL, NULL);
	soca_pass_free(pw);
	if (rc != LDAP_SUCCESS)
		return soca_dir_fail(d, rc, "bind as %s", d->bind_dn);
	return 0;
}

static void
set_dns(struct soca_dir *d)
{
	const char *adm;

	adm = soca_conf_get(d->conf, "ldap", NULL, "admin_group_dn");

	d->base = soca_xstrdup(soca_conf_get(d->conf, "ldap", NULL, "base"));
	d->people = soca_xasprintf("ou=People,%s", d->base);
	d->groups = soca_xasprintf("ou=Group,%s", d->base);
	d->ids = soca_xasprintf("ou=Ids,%s", d->base);
	d->admin_dn = adm ? soca_xstrdup(adm) :
	    soca_xasprintf("cn=soca-admins,%s", d->groups);
	d->admin_default = adm == NULL;
}

static int
dir_open(const struct soca_conf *c, bool anon, struct soca_dir **out)
{
	struct soca_dir *d = soca_xcalloc(1, sizeof(*d));
	const char *bdn = anon ? NULL : soca_conf_get(c, "ldap", NULL,
	    "bind_dn");
	int rc;

	*out = NULL;
	d->conf = c;
	d->uri = soca_xstrdup(soca_conf_get(c, "ldap", NULL, "uri"));
	d->bind_dn = bdn ? soca_xstrdup(bdn) : NULL;
	set_dns(d);
	if ((strncmp(d->uri, "ldap://", 7) != 0 &&
	    strncmp(d->uri, "ldaps://", 8) != 0 &&
	    strncmp(d->uri, "ldapi://", 8) != 0) ||
	    ldap_initialize(&d->ld, d->uri) != LDAP_SUCCESS) {
		warnx("[ldap] uri \"%s\" refused: expected ldap://HOST[:PORT] "
		    "or ldaps://HOST[:PORT]", d->uri);
		soca_dir_close(d);
		return SOCA_EX_USAGE;
	}
	if ((rc = set_options(d)) != 0 || (rc = connect_bind(d)) != 0) {
		soca_dir_close(d);
		return rc;
	}
	*out = d;
	return 0;
}

int
soca_dir_open(const struct soca_conf *c, struct soca_dir **out)
{
	return dir_open(c, false, out);
}

/*
 * Connected (and TLS set up) but not bound as bind_dn: for a caller that
 * binds as someone else next and need not read the bind password (the
 * web door's login checks a user's password with a simple bind).
 */
int
soca_dir_open_anon(const struct soca_conf *c, struct soca_dir **out)
{
	return dir_open(c, true, out);
}

void
soca_dir_close(struct soca_dir *d)
{
	if (d == NULL)
		return;
	if (d->ld)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	for (size_t i = 0; i < d->ncache; i++)
		soca_dir_group_free(&d->cache[i]);
	free(d->cache);
	free(d->uri);
	free(d->bind_dn);
	free(d->base);
	free(d->people);
	free(d->groups);
	free(d->ids);
	free(d->admin_dn);
	free(d);
}

char *
soca_dir_user_dn(const struct soca_dir *d, const char *name)
{
	char *e = soca_dir_dn_esc(name), *dn;

	dn = soca_xasprintf("uid=%s,%s", e, d->people);
	free(e);
	return dn;
}

char *
soca_dir_group_dn(const struct soca_dir *d, const char *name)
{
	char *e = soca_dir_dn_esc(name), *dn;

	dn = soca_xasprintf("cn=%s,%s", e, d->groups);
	free(e);
	return dn;
}

/* ---- small helpers shared by dir_user.c and dir_group.c ---- */

int
soca_dir_search(struct soca_dir *d, const char *base, int scope,
    const char *filter, char **attrs, LDAPMessage **res)
{
	struct timeval tv = { .tv_sec = d->timeout, .tv_usec = 0 };

	*res = NULL;
	return ldap_search_ext_s(d->ld, base, scope, filter, attrs, 0, NULL,
	    NULL, &tv, 0, res);
}

/* The next page's cookie from a result, NULL after the last page. */
static struct berval *
next_cookie(struct soca_dir *d, LDAPMessage *res)
{
	LDAPControl **ctrls = NULL, *c;
	struct berval ck = { 0, NULL }, *out = NULL;
	ber_int_t count;
	int err;

	if (ldap_parse_result(d->ld, res, &err, NULL, NULL, NULL, &ctrls, 0) !=
	    LDAP_SUCCESS)
		return NULL;
	c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	if (c != NULL && ldap_parse_pageresponse_control(d->ld, c, &count,
	    &ck) == LDAP_SUCCESS && ck.bv_len > 0)
		out = ber_dupbv(NULL, &ck);
	ber_memfree(ck.bv_val);
	ldap_controls_free(ctrls);
	return out;
}

/*
 * Every entry matching filter, a page of 200 at a time (RFC 2696), so
 * that a server's size limit for bind_dn does not cut listings short.
 */
int
soca_dir_each(struct soca_dir *d, const char *base, int scope,
    const char *filter, char **attrs, soca_dir_fn fn, void *arg)
{
	struct timeval tv = { .tv_sec = d->timeout, .tv_usec = 0 };
	struct berval *cookie = NULL;
	LDAPControl *page, *ctrls[2] = { NULL, NULL };
	LDAPMessage *res, *e;
	int rc;

	do {
		page = NULL;
		if (ldap_create_page_control(d->ld, 200, cookie, 0, &page) !=
		    LDAP_SUCCESS) {
			ber_bvfree(cookie);
			return LDAP_NO_MEMORY;
		}
		ctrls[0] = page;
		res = NULL;
		rc = ldap_search_ext_s(d->ld, base, scope, filter, attrs, 0,
		    ctrls, NULL, &tv, 0, &res);
		ldap_control_free(page);
		ber_bvfree(cookie);
		cookie = NULL;
		if (rc == LDAP_SUCCESS) {
			for (e = ldap_first_entry(d->ld, res); e;
			    e = ldap_next_entry(d->ld, e))
				fn(d, e, arg);
			cookie = next_cookie(d, res);
		}
		ldap_msgfree(res);
	} while (rc == LDAP_SUCCESS && cookie != NULL);
	return rc;
}

char *
soca_dir_value(struct soca_dir *d, LDAPMessage *e, const char *attr)
{
	struct berval **v = ldap_get_values_len(d->ld, e, attr);
	char *s = NULL;

	if (v != NULL && v[0] != NULL)
		s = soca_xstrndup(v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return s;
}

long long
soca_dir_number(struct soca_dir *d, LDAPMessage *e, const char *attr)
{
	char *s = soca_dir_value(d, e, attr);
	long long n = -1;

	if (s == NULL || soca_parse_int(s, 0, LLONG_MAX, &n) != 0)
		n = -1;
	free(s);
	return n;
}

size_t
soca_dir_values(struct soca_dir *d, LDAPMessage *e, const char *attr,
    char ***out)
{
	struct berval **v = ldap_get_values_len(d->ld, e, attr);
	size_t n = v ? (size_t)ldap_count_values_len(v) : 0;

	*out = soca_xcalloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++)
		(*out)[i] = soca_xstrndup(v[i]->bv_val, v[i]->bv_len);
	ldap_value_free_len(v);
	return n;
}

/* mods: an LDAPMod array built one attribute at a time */
void
soca_dir_mod(struct soca_dir_mods *m, int op, const char *attr,
    const char *val)
{
	LDAPMod *mod = NULL;

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->mod_op == op &&
		    strcmp(m->v[i]->mod_type, attr) == 0)
			mod = m->v[i];
	if (mod == NULL) {
		m->v = soca_xreallocarray(m->v, m->n + 2, sizeof(*m->v));
		mod = soca_xcalloc(1, sizeof(*mod));
		mod->mod_op = op;
		mod->mod_type = soca_xstrdup(attr);
		mod->mod_values = soca_xcalloc(1, sizeof(char *));
		m->v[m->n++] = mod;
		m->v[m->n] = NULL;
	}
	if (val != NULL) {
		size_t k = 0;

		while (mod->mod_values[k] != NULL)
			k++;
		mod->mod_values = soca_xreallocarray(mod->mod_values, k + 2,
		    sizeof(char *));
		mod->mod_values[k] = soca_xstrdup(val);
		mod->mod_values[k + 1] = NULL;
	}
}

void
soca_dir_modf(struct soca_dir_mods *m, int op, const char *attr,
    long long n)
{
	char *s = soca_xasprintf("%lld", n);

	soca_dir_mod(m, op, attr, s);
	free(s);
}

void
soca_dir_mods_free(struct soca_dir_mods *m)
{
	for (size_t i = 0; i < m->n; i++) {
		for (size_t k = 0; m->v[i]->mod_values[k]; k++)
			free(m->v[i]->mod_values[k]);
		free(m->v[i]->mod_values);
		free(m->v[i]->mod_type);
		free(m->v[i]);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

int
soca_dir_add(struct soca_dir *d, const char *dn, struct soca_dir_mods *m)
{
	int rc = ldap_add_ext_s(d->ld, dn, m->v, NULL, NULL);

	soca_dir_mods_free(m);
	return rc;
}

int
soca_dir_modify(struct soca_dir *d, const char *dn, struct soca_dir_mods *m)
{
	int rc = ldap_modify_ext_s(d->ld, dn, m->v, NULL, NULL);

	soca_dir_mods_free(m);
	return rc;
}

/* ---- uid and gid numbers ---- */

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void
push(long long **v, size_t *n, long long x)
{
	if (x < 0)
		return;
	*v = soca_xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

struct numbers {
	const char *kind;
	bool both;
	long long *v;
	size_t n;
};

static void
collect(struct soca_dir *d, LDAPMessage *e, void *arg)
{
	struct numbers *u = arg;
	char *cn = soca_dir_value(d, e, "cn");
	long long x;

	if (cn && (strncmp(cn, u->kind, 3) == 0 || (u->both &&
	    (strncmp(cn, "uid", 3) == 0 || strncmp(cn, "gid", 3) == 0))) &&
	    cn[3] == '-' && soca_parse_int(cn + 4, 0, LLONG_MAX, &x) == 0)
		push(&u->v, &u->n, x);
	free(cn);
	if (u->both || strcmp(u->kind, "uid") == 0)
		push(&u->v, &u->n, soca_dir_number(d, e, "uidNumber"));
	if (u->both || strcmp(u->kind, "gid") == 0)
		push(&u->v, &u->n, soca_dir_number(d, e, "gidNumber"));
}

/*
 * Numbers in use: lock entries and existing entries of this kind, or,
 * with `both`, of either kind, so that new users' uid and gid match.
 */
static int
used_numbers(struct soca_dir *d, const char *kind, bool both, long long **v,
    size_t *n)
{
	char *attrs[] = { "cn", "uidNumber", "gidNumber", NULL };
	char *f = both ? soca_xstrdup("(|(cn=uid-*)(cn=gid-*)(uidNumber=*)"
	    "(gidNumber=*))") : soca_xasprintf("(|(cn=%s-*)(%sNumber=*))",
	    kind, kind);
	struct numbers u = { kind, both, NULL, 0 };
	int rc;

	rc = soca_dir_each(d, d->base, LDAP_SCOPE_SUBTREE, f, attrs, collect,
	    &u);
	free(f);
	*v = u.v;
	*n = u.n;
	if (rc != LDAP_SUCCESS) {
		free(u.v);
		*v = NULL;
		return soca_dir_fail(d, rc, "search for %s numbers in use",
		    kind);
	}
	if (*n > 0)
		qsort(*v, *n, sizeof(**v), cmp_ll);
	return 0;
}

/* Is a gid the gidNumber of a group already (the preferred gid)? */
static bool
group_has(struct soca_dir *d, long long gid)
{
	char *attrs[] = { "1.1", NULL };
	char *f = soca_xasprintf("(&(objectClass=posixGroup)(gidNumber=%lld))",
	    gid);
	LDAPMessage *res;
	int rc;

	rc = soca_dir_search(d, d->base, LDAP_SCOPE_SUBTREE, f, attrs, &res);
	free(f);
	if (rc == LDAP_SUCCESS)
		rc = ldap_count_entries(d->ld, res) > 0;
	ldap_msgfree(res);
	return rc != 0;
}

static int
ensure_ids(struct soca_dir *d)
{
	struct soca_dir_mods m = { 0 };
	int rc;

	soca_dir_mod(&m, LDAP_MOD_ADD, "objectClass", "organizationalUnit");
	soca_dir_mod(&m, LDAP_MOD_ADD, "ou", "Ids");
	rc = soca_dir_add(d, d->ids, &m);
	if (rc == LDAP_SUCCESS || rc == LDAP_ALREADY_EXISTS)
		return 0;
	return soca_dir_fail(d, rc, "add %s", d->ids);
}

/* 0: the lock entry is ours; SOCA_EX_FALSE: taken; else an error. */
static int
take(struct soca_dir *d, const char *kind, long long x, const char *owner)
{
	struct soca_dir_mods m = { 0 };
	char *cn = soca_xasprintf("%s-%lld", kind, x);
	char *dn = soca_xasprintf("cn=%s,%s", cn, d->ids);
	char *desc = soca_xasprintf("%s %s", kind, owner);
	int rc;

	soca_dir_mod(&m, LDAP_MOD_ADD, "objectClass", "organizationalRole");
	soca_dir_mod(&m, LDAP_MOD_ADD, "cn", cn);
	soca_dir_mod(&m, LDAP_MOD_ADD, "description", desc);
	rc = soca_dir_add(d, dn, &m);
	free(desc);
	free(cn);
	free(dn);
	if (rc == LDAP_SUCCESS)
		return 0;
	if (rc == LDAP_ALREADY_EXISTS)
		return SOCA_EX_FALSE;
	return soca_dir_fail(d, rc, "reserve %s %lld", kind, x);
}

static bool
in(const long long *v, size_t n, long long x)
{
	return n > 0 && bsearch(&x, v, n, sizeof(*v), cmp_ll) != NULL;
}

/* The first number >= min, not in use and not taken by a concurrent add. */
static int
next_free(struct soca_dir *d, const char *kind, long long prefer,
    const char *owner, long long *got)
{
	char key[16];
	long long lo, hi, *v, x;
	size_t n;
	int rc, tries = 0;

	snprintf(key, sizeof(key), "%s_min", kind);
	lo = soca_conf_int(d->conf, "ldap", NULL, key);
	snprintf(key, sizeof(key), "%s_max", kind);
	hi = soca_conf_int(d->conf, "ldap", NULL, key);
	if (prefer >= lo && prefer <= hi && !group_has(d, prefer) &&
	    (rc = take(d, kind, prefer, owner)) != SOCA_EX_FALSE) {
		*got = prefer;
		return rc;
	}
	if ((rc = used_numbers(d, kind, true, &v, &n)) != 0)
		return rc;
	for (x = lo; x <= hi && tries < 1000; x++) {
		if (in(v, n, x))
			continue;
		tries++;
		if ((rc = take(d, kind, x, owner)) != SOCA_EX_FALSE) {
			*got = x;
			free(v);
			return rc;
		}
	}
	free(v);
	warnx("no free %s number between %s_min %lld and %s_max %lld (raise "
	    "%s_max in [ldap])", kind, kind, lo, kind, hi, kind);
	return SOCA_EX_FALSE;
}

/* Reserve a number: `want` exactly, or the next free one. */
int
soca_dir_reserve(struct soca_dir *d, const char *kind, long long want,
    long long prefer, const char *owner, long long *got)
{
	long long *v;
	size_t n;
	int rc;

	if ((rc = ensure_ids(d)) != 0)
		return rc;
	if (want < 0)
		return next_free(d, kind, prefer, owner, got);
	if ((rc = used_numbers(d, kind, false, &v, &n)) != 0)
		return rc;
	rc = in(v, n, want) ? SOCA_EX_FALSE : take(d, kind, want, owner);
	free(v);
	if (rc == SOCA_EX_FALSE)
		warnx("%s %lld is taken (leave out --%s for the next free one)",
		    kind, want, kind);
	*got = want;
	return rc;
}

/*
 * Run through sudo as another account (the directory service account,
 * which owns the bind password), the configuration the caller chose with
 * -c or SOCA_CONF must be one the caller cannot have written: owned by
 * root or by this account, writable by neither group nor others.  Else a
 * caller could point [ldap] uri at a server of theirs and be sent the
 * bind password.
 */
static void
sudo_conf_check(const char *path)
{
	const char *su = getenv("SUDO_UID");
	struct stat st;
	long long caller;

	if (su == NULL || soca_parse_int(su, 0, INT_MAX, &caller) != 0 ||
	    (uid_t)caller == geteuid() || path == NULL)
		return;
	if (stat(path, &st) == -1 || (st.st_uid != 0 &&
	    st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		warnx("configuration %s refused: run through sudo, it must be "
		    "owned by root (or uid %lu) and writable by no one else "
		    "(chown root %s; chmod go-w %s)", path,
		    (unsigned long)geteuid(), path, path);
		exit(SOCA_EX_USAGE);
	}
}

/* What soca-user and soca-group start with: a sound soca.conf, a bind. */
struct soca_dir *
soca_dir_connect(const char *confopt, struct soca_conf **c)
{
	struct soca_dir *d;
	int rc;

	sudo_conf_check(soca_conf_path(confopt));
	*c = soca_conf_open(confopt);
	if ((rc = soca_dir_open(*c, &d)) != 0) {
		soca_conf_free(*c);
		exit(rc);
	}
	return d;
}

/* ...and end with: unbind, free, and a write error on stdout is exit 3. */
int
soca_dir_done(struct soca_dir *d, struct soca_conf *c, int rc)
{
	soca_dir_close(d);
	soca_conf_free(c);
	if (fflush(stdout) != 0)
		err(SOCA_EX_TEMP, "stdout");
	return rc;
}
