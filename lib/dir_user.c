/*
 * dir_user.c: user entries uid=NAME,ou=People,BASE (inetOrgPerson,
 * posixAccount, shadowAccount), their primary group, admin rights and
 * passwords.
 *
 * Admin rights are membership (memberUid) of the admin group,
 * cn=soca-admins,ou=Group,BASE by default; nodes map it with nslcd or
 * sssd and grant it in sudoers (%soca-admins ALL=(ALL) ALL).  A locked
 * user has shadowExpire 1 (expired since 2 January 1970), which
 * pam_unix through nss (nslcd, sssd) refuses; unlock removes it.
 * Passwords are set with the Password Modify extended operation (RFC
 * 3062) so the server hashes them, or, with password_scheme = crypt or a
 * server without the operation, stored as {CRYPT} SHA-512 crypt.
 */
#include "config.h"

#include <err.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soca.h"
#include "dir.h"
#include "dir_int.h"

void
soca_dir_user_free(struct soca_dir_user *u)
{
	free(u->name);
	free(u->cn);
	free(u->home);
	free(u->shell);
	free(u->mail);
	memset(u, 0, sizeof(*u));
}

static void
from_entry(struct soca_dir *d, LDAPMessage *e, struct soca_dir_user *u)
{
	long long exp;

	u->name = soca_dir_value(d, e, "uid");
	if (u->name == NULL)
		u->name = soca_xstrdup("");
	u->cn = soca_dir_value(d, e, "cn");
	u->home = soca_dir_value(d, e, "homeDirectory");
	u->shell = soca_dir_value(d, e, "loginShell");
	u->mail = soca_dir_value(d, e, "mail");
	u->uid = soca_dir_number(d, e, "uidNumber");
	u->gid = soca_dir_number(d, e, "gidNumber");
	exp = soca_dir_number(d, e, "shadowExpire");
	u->locked = exp >= 0 && exp <= time(NULL) / 86400;
}

/* The admin group's members, to mark users as admins. */
static int
admins(struct soca_dir *d, char ***v, size_t *n)
{
	char *attrs[] = { "memberUid", NULL };
	LDAPMessage *res, *e;
	int rc;

	*v = NULL;
	*n = 0;
	rc = soca_dir_search(d, d->admin_dn, LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, &res);
	if (rc == LDAP_SUCCESS && (e = ldap_first_entry(d->ld, res)) != NULL)
		*n = soca_dir_values(d, e, "memberUid", v);
	ldap_msgfree(res);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
		return soca_dir_fail(d, rc, "search %s", d->admin_dn);
	return 0;
}

static bool
listed(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

struct users {
	struct soca_dir_user *v;
	size_t n;
};

static void
add_entry(struct soca_dir *d, LDAPMessage *e, void *arg)
{
	struct users *u = arg;

	u->v = soca_xreallocarray(u->v, u->n + 1, sizeof(*u->v));
	memset(&u->v[u->n], 0, sizeof(*u->v));
	from_entry(d, e, &u->v[u->n++]);
}

static int
search_users(struct soca_dir *d, const char *filter,
    struct soca_dir_user **out, size_t *n)
{
	char *attrs[] = { "uid", "cn", "homeDirectory", "loginShell", "mail",
	    "uidNumber", "gidNumber", "shadowExpire", NULL };
	struct users u = { NULL, 0 };
	char **adm;
	size_t nadm;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = admins(d, &adm, &nadm)) != 0)
		return rc;
	u.v = soca_xcalloc(1, sizeof(*u.v));
	rc = soca_dir_each(d, d->people, LDAP_SCOPE_ONELEVEL, filter, attrs,
	    add_entry, &u);
	for (size_t i = 0; i < u.n; i++)
		u.v[i].admin = listed(adm, nadm, u.v[i].name);
	soca_strv_free(adm, nadm);
	*out = u.v;
	*n = u.n;
	if (rc != LDAP_SUCCESS) {
		for (size_t i = 0; i < u.n; i++)
			soca_dir_user_free(&u.v[i]);
		free(u.v);
		*out = NULL;
		*n = 0;
		return soca_dir_fail(d, rc, "search %s", d->people);
	}
	return 0;
}

int
soca_dir_user_get(struct soca_dir *d, const char *name,
    struct soca_dir_user *u)
{
	char *esc = soca_dir_filter_esc(name);
	char *f = soca_xasprintf("(&(objectClass=posixAccount)(uid=%s))", esc);
	struct soca_dir_user *v;
	size_t n;
	int rc;

	memset(u, 0, sizeof(*u));
	rc = search_users(d, f, &v, &n);
	free(f);
	free(esc);
	if (rc != 0)
		return rc;
	if (n > 0)
		*u = v[0];
	for (size_t i = 1; i < n; i++)
		soca_dir_user_free(&v[i]);
	free(v);
	return n > 0 ? 0 : SOCA_EX_FALSE;
}

static int
cmp_user(const void *a, const void *b)
{
	return strcmp(((const struct soca_dir_user *)a)->name,
	    ((const struct soca_dir_user *)b)->name);
}

int
soca_dir_user_list(struct soca_dir *d, struct soca_dir_user **v, size_t *n)
{
	int rc = search_users(d, "(objectClass=posixAccount)", v, n);

	if (rc == 0)
		qsort(*v, *n, sizeof(**v), cmp_user);
	return rc;
}

/* The description that marks a per-user group made by soca-user add. */
#define PER_USER "per-user group of "

/* A user's primary group: a new per-user group, or the shared one. */
static int
primary_group(struct soca_dir *d, const struct soca_dir_newuser *nu,
    long long uid, long long *gid)
{
	const char *mode = soca_conf_get(d->conf, "ldap", NULL, "user_group");
	const char *shared = soca_conf_get(d->conf, "ldap", NULL,
	    "shared_group");
	char *dn;
	int rc;

	if (strcmp(mode, "shared") == 0) {
		if (nu->gid >= 0) {
			*gid = nu->gid;
			return 0;
		}
		dn = soca_dir_group_dn(d, shared);
		rc = soca_dir_group_ensure(d, dn, shared, gid);
		free(dn);
		return rc;
	}
	if ((rc = soca_dir_reserve(d, "gid", nu->gid, uid, nu->name, gid)) != 0)
		return rc;
	dn = soca_dir_group_dn(d, nu->name);
	{
		struct soca_dir_mods m = { 0 };

		char *desc = soca_xasprintf("%s%s", PER_USER, nu->name);

		soca_dir_mod(&m, LDAP_MOD_ADD, "objectClass", "posixGroup");
		soca_dir_mod(&m, LDAP_MOD_ADD, "cn", nu->name);
		soca_dir_modf(&m, LDAP_MOD_ADD, "gidNumber", *gid);
		soca_dir_mod(&m, LDAP_MOD_ADD, "description", desc);
		rc = soca_dir_add(d, dn, &m);
		free(desc);
	}
	free(dn);
	if (rc == LDAP_ALREADY_EXISTS) {
		warnx("group \"%s\" already exists (choose another user name, "
		    "or set [ldap] user_group = shared)", nu->name);
		return SOCA_EX_FALSE;
	}
	return rc == LDAP_SUCCESS ? 0 : soca_dir_fail(d, rc,
	    "add group \"%s\"", nu->name);
}

static void
user_mods(struct soca_dir *d, struct soca_dir_mods *m,
    const struct soca_dir_newuser *nu, long long uid, long long gid)
{
	const char *homes = soca_conf_get(d->conf, "ldap", NULL, "homes");
	char *home = soca_path_join(homes, nu->name);

	soca_dir_mod(m, LDAP_MOD_ADD, "objectClass", "inetOrgPerson");
	soca_dir_mod(m, LDAP_MOD_ADD, "objectClass", "posixAccount");
	soca_dir_mod(m, LDAP_MOD_ADD, "objectClass", "shadowAccount");
	soca_dir_mod(m, LDAP_MOD_ADD, "uid", nu->name);
	soca_dir_mod(m, LDAP_MOD_ADD, "cn", nu->name);
	soca_dir_mod(m, LDAP_MOD_ADD, "sn", nu->name);
	soca_dir_modf(m, LDAP_MOD_ADD, "uidNumber", uid);
	soca_dir_modf(m, LDAP_MOD_ADD, "gidNumber", gid);
	soca_dir_mod(m, LDAP_MOD_ADD, "homeDirectory", home);
	soca_dir_mod(m, LDAP_MOD_ADD, "loginShell", nu->shell ? nu->shell :
	    soca_conf_get(d->conf, "ldap", NULL, "default_shell"));
	if (nu->mail)
		soca_dir_mod(m, LDAP_MOD_ADD, "mail", nu->mail);
	soca_dir_modf(m, LDAP_MOD_ADD, "shadowLastChange",
	    (long long)(time(NULL) / 86400));
	free(home);
}

static void
undo_group(struct soca_dir *d, const char *name)
{
	const char *mode = soca_conf_get(d->conf, "ldap", NULL, "user_group");
	char *dn;

	if (strcmp(mode, "per-user") != 0)
		return;
	dn = soca_dir_group_dn(d, name);
	ldap_delete_ext_s(d->ld, dn, NULL, NULL);
	free(dn);
}

/*
 * A per-user group left by an add that was cut short (the server went
 * away between the group and the user, so undo_group could not run): it
 * carries our mark for this very name and has no members.  The next add
 * of that user takes it over rather than refusing the name forever.
 */
static bool
leftover_group(struct soca_dir *d, const struct soca_dir_group *g,
    const char *name)
{
	char *dn = soca_dir_group_dn(d, name), *v = NULL;
	char *want = soca_xasprintf("%s%s", PER_USER, name);
	char *attrs[] = { "description", NULL };
	LDAPMessage *res = NULL, *e;
	bool ours = false;

	if (g->nmembers == 0 && soca_dir_search(d, dn, LDAP_SCOPE_BASE,
	    "(objectClass=posixGroup)", attrs, &res) == LDAP_SUCCESS &&
	    (e = ldap_first_entry(d->ld, res)) != NULL) {
		v = soca_dir_value(d, e, "description");
		ours = v != NULL && strcmp(v, want) == 0;
	}
	ldap_msgfree(res);
	free(v);
	free(want);
	free(dn);
	return ours;
}

/* 0 when the user may be added; *adopt: a leftover group's gid, or -1. */
static int
check_new(struct soca_dir *d, const struct soca_dir_newuser *nu,
    long long *adopt)
{
	struct soca_dir_group g;
	struct soca_dir_user u;
	int rc;

	if ((rc = soca_dir_name_check("user", nu->name)) != 0 ||
	    (nu->shell && (rc = soca_dir_shell_check(nu->shell)) != 0) ||
	    (nu->mail && (rc = soca_dir_mail_check(nu->mail)) != 0))
		return rc;
	if ((rc = soca_dir_user_get(d, nu->name, &u)) == 0) {
		warnx("user \"%s\" already exists (uid %lld)", nu->name, u.uid);
		soca_dir_user_free(&u);
		return SOCA_EX_FALSE;
	}
	if (rc != SOCA_EX_FALSE)
		return rc;
	if (strcmp(soca_conf_get(d->conf, "ldap", NULL, "user_group"),
	    "per-user") != 0)
		return 0;
	if ((rc = soca_dir_group_get(d, nu->name, &g)) == 0) {
		if ((nu->gid < 0 || nu->gid == g.gid) &&
		    leftover_group(d, &g, nu->name)) {
			*adopt = g.gid;
			soca_dir_group_free(&g);
			return 0;
		}
		warnx("group \"%s\" already exists (choose another user name, "
		    "or set [ldap] user_group = shared)", nu->name);
		soca_dir_group_free(&g);
		return SOCA_EX_FALSE;
	}
	return rc == SOCA_EX_FALSE ? 0 : rc;
}

int
soca_dir_user_add(struct soca_dir *d, const struct soca_dir_newuser *nu,
    struct soca_dir_user *out)
{
	struct soca_dir_mods m = { 0 };
	long long uid, gid = -1;
	char *dn;
	int rc;

	if ((rc = check_new(d, nu, &gid)) != 0)
		return rc;
	if ((rc = soca_dir_reserve(d, "uid", nu->uid, -1, nu->name, &uid)) != 0)
		return rc;
	if (gid < 0 && (rc = primary_group(d, nu, uid, &gid)) != 0)
		return rc;
	user_mods(d, &m, nu, uid, gid);
	dn = soca_dir_user_dn(d, nu->name);
	rc = soca_dir_add(d, dn, &m);
	free(dn);
	if (rc != LDAP_SUCCESS) {
		undo_group(d, nu->name);
		if (rc == LDAP_ALREADY_EXISTS) {
			warnx("user \"%s\" already exists", nu->name);
			return SOCA_EX_FALSE;
		}
		return soca_dir_fail(d, rc, "add user \"%s\"", nu->name);
	}
	if (nu->admin && (rc = soca_dir_user_admin(d, nu->name, true)) != 0)
		return rc;
	return soca_dir_user_get(d, nu->name, out);
}

/* Not an admin (any more): no admin group or no such member is fine. */
static int
drop_admin(struct soca_dir *d, const char *name)
{
	struct soca_dir_mods m = { 0 };
	int rc;

	soca_dir_mod(&m, LDAP_MOD_DELETE, "memberUid", name);
	rc = soca_dir_modify(d, d->admin_dn, &m);
	if (rc == LDAP_SUCCESS || rc == LDAP_NO_SUCH_ATTRIBUTE ||
	    rc == LDAP_NO_SUCH_OBJECT)
		return 0;
	return soca_dir_fail(d, rc, "revoke admin from \"%s\"", name);
}

/* Drop the user from every group that lists it, then its own group. */
static int
leave_groups(struct soca_dir *d, const struct soca_dir_user *u)
{
	struct soca_dir_group g;
	char *esc = soca_dir_filter_esc(u->name), *dn, **dns = NULL;
	char *f = soca_xasprintf("(&(objectClass=posixGroup)(memberUid=%s))",
	    esc);
	char *attrs[] = { "1.1", NULL };
	LDAPMessage *res, *e;
	size_t n = 0;
	int rc;

	rc = soca_dir_search(d, d->base, LDAP_SCOPE_SUBTREE, f, attrs, &res);
	free(f);
	free(esc);
	for (e = rc == LDAP_SUCCESS ? ldap_first_entry(d->ld, res) : NULL; e;
	    e = ldap_next_entry(d->ld, e)) {
		dns = soca_xreallocarray(dns, n + 1, sizeof(*dns));
		dn = ldap_get_dn(d->ld, e);
		dns[n++] = soca_xstrdup(dn);
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	if (rc != LDAP_SUCCESS)
		return soca_dir_fail(d, rc, "search groups of \"%s\"", u->name);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = soca_dir_member_dn(d, dns[i], u->name, false);
	soca_strv_free(dns, n);
	if (rc == 0)
		rc = drop_admin(d, u->name);
	if (rc != 0 || soca_dir_group_get(d, u->name, &g) != 0)
		return rc;
	if (g.gid == u->gid) {
		dn = soca_dir_group_dn(d, u->name);
		if ((rc = ldap_delete_ext_s(d->ld, dn, NULL, NULL)) != 0)
			rc = soca_dir_fail(d, rc, "delete group \"%s\"",
			    u->name);
		free(dn);
	}
	soca_dir_group_free(&g);
	return rc;
}

static int
get_existing(struct soca_dir *d, const char *name, struct soca_dir_user *u)
{
	int rc;

	if ((rc = soca_dir_name_check("user", name)) != 0)
		return rc;
	if ((rc = soca_dir_user_get(d, name, u)) == SOCA_EX_FALSE)
		warnx("no such user \"%s\" (see soca-user list)", name);
	return rc;
}

int
soca_dir_user_del(struct soca_dir *d, const char *name,
    struct soca_dir_user *u)
{
	char *dn;
	int rc;

	if ((rc = get_existing(d, name, u)) != 0)
		return rc;
	if ((rc = leave_groups(d, u)) != 0)
		return rc;
	dn = soca_dir_user_dn(d, name);
	rc = ldap_delete_ext_s(d->ld, dn, NULL, NULL);
	free(dn);
	if (rc != LDAP_SUCCESS)
		return soca_dir_fail(d, rc, "delete user \"%s\"", name);
	return 0;
}

static int
store_crypt(struct soca_dir *d, const char *dn, const char *pw)
{
	struct soca_dir_mods m = { 0 };
	char *h = soca_pass_crypt(pw), *v;
	int rc;

	if (h == NULL) {
		warnx("crypt: SHA-512 crypt is not available");
		return SOCA_EX_TEMP;
	}
	v = soca_xasprintf("{CRYPT}%s", h);
	soca_dir_mod(&m, LDAP_MOD_REPLACE, "userPassword", v);
	rc = soca_dir_modify(d, dn, &m);
	explicit_bzero(v, strlen(v));
	free(v);
	free(h);
	return rc;
}

static int
store_password(struct soca_dir *d, const char *dn, const char *pw)
{
	const char *scheme = soca_conf_get(d->conf, "ldap", NULL,
	    "password_scheme");
	struct berval who = { strlen(dn), (char *)dn };
	struct berval np = { strlen(pw), (char *)pw };
	struct berval gen = { 0, NULL };
	int rc;

	if (strcmp(scheme, "crypt") == 0)
		return store_crypt(d, dn, pw);
	rc = ldap_passwd_s(d->ld, &who, NULL, &np, &gen, NULL, NULL);
	ber_memfree(gen.bv_val);
	if (rc == LDAP_UNWILLING_TO_PERFORM || rc == LDAP_PROTOCOL_ERROR ||
	    rc == LDAP_NOT_SUPPORTED ||
	    rc == LDAP_UNAVAILABLE_CRITICAL_EXTENSION)
		rc = store_crypt(d, dn, pw);
	return rc;
}

int
soca_dir_user_passwd(struct soca_dir *d, const char *name, const char *pw)
{
	struct soca_dir_mods m = { 0 };
	struct soca_dir_user u;
	char *dn;
	int rc;

	if ((rc = get_existing(d, name, &u)) != 0)
		return rc;
	soca_dir_user_free(&u);
	if ((rc = soca_pass_check(d->conf, name, pw)) != 0)
		return rc;
	dn = soca_dir_user_dn(d, name);
	if ((rc = store_password(d, dn, pw)) == LDAP_SUCCESS) {
		soca_dir_modf(&m, LDAP_MOD_REPLACE, "shadowLastChange",
		    (long long)(time(NULL) / 86400));
		rc = soca_dir_modify(d, dn, &m);
	}
	free(dn);
	if (rc != LDAP_SUCCESS)
		return soca_dir_fail(d, rc, "set the password of \"%s\"", name);
	return 0;
}

int
soca_dir_user_lock(struct soca_dir *d, const char *name, bool lock)
{
	struct soca_dir_mods m = { 0 };
	struct soca_dir_user u;
	char *dn;
	int rc;

	if ((rc = get_existing(d, name, &u)) != 0)
		return rc;
	soca_dir_user_free(&u);
	if (lock)
		soca_dir_mod(&m, LDAP_MOD_REPLACE, "shadowExpire", "1");
	else
		soca_dir_mod(&m, LDAP_MOD_DELETE, "shadowExpire", NULL);
	dn = soca_dir_user_dn(d, name);
	rc = soca_dir_modify(d, dn, &m);
	free(dn);
	if (rc == LDAP_SUCCESS || (!lock && rc == LDAP_NO_SUCH_ATTRIBUTE))
		return 0;
	return soca_dir_fail(d, rc, "%s \"%s\"", lock ? "lock" : "unlock",
	    name);
}

int
soca_dir_user_admin(struct soca_dir *d, const char *name, bool grant)
{
	struct soca_dir_user u;
	long long gid;
	int rc;

	if ((rc = get_existing(d, name, &u)) != 0)
		return rc;
	soca_dir_user_free(&u);
	if (grant && d->admin_default &&
	    (rc = soca_dir_group_ensure(d, d->admin_dn, "soca-admins", &gid)))
		return rc;
	if (grant)
		return soca_dir_member_dn(d, d->admin_dn, name, true);
	return drop_admin(d, name);
}
