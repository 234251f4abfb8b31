/*
 * dir_group.c: posixGroup entries cn=NAME,ou=Group,BASE and their
 * memberUid values, and the membership test queue and project ACLs use.
 *
 * soca_dir_user_in_group() loads each group once per process (the
 * command's run) and keeps it in the soca_dir handle.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "soca.h"
#include "dir.h"
#include "dir_int.h"

void
soca_dir_group_free(struct soca_dir_group *g)
{
	free(g->name);
	soca_strv_free(g->members, g->nmembers);
	memset(g, 0, sizeof(*g));
}

static void
from_entry(struct soca_dir *d, LDAPMessage *e, struct soca_dir_group *g)
{
	g->name = soca_dir_value(d, e, "cn");
	if (g->name == NULL)
		g->name = soca_xstrdup("");
	g->gid = soca_dir_number(d, e, "gidNumber");
	g->nmembers = soca_dir_values(d, e, "memberUid", &g->members);
}

struct groups {
	struct soca_dir_group *v;
	size_t n;
};

static void
add_entry(struct soca_dir *d, LDAPMessage *e, void *arg)
{
	struct groups *g = arg;

	g->v = soca_xreallocarray(g->v, g->n + 1, sizeof(*g->v));
	memset(&g->v[g->n], 0, sizeof(*g->v));
	from_entry(d, e, &g->v[g->n++]);
}

/* Groups matching a filter under ou=Group. */
static int
search_groups(struct soca_dir *d, const char *filter,
    struct soca_dir_group **out, size_t *n)
{
	char *attrs[] = { "cn", "gidNumber", "memberUid", NULL };
	struct groups g = { soca_xcalloc(1, sizeof(*g.v)), 0 };
	int rc;

	rc = soca_dir_each(d, d->groups, LDAP_SCOPE_ONELEVEL, filter, attrs,
	    add_entry, &g);
	*out = g.v;
	*n = g.n;
	if (rc != LDAP_SUCCESS) {
		for (size_t i = 0; i < g.n; i++)
			soca_dir_group_free(&g.v[i]);
		free(g.v);
		*out = NULL;
		*n = 0;
		return soca_dir_fail(d, rc, "search %s", d->groups);
	}
	return 0;
}

int
soca_dir_group_get(struct soca_dir *d, const char *name,
    struct soca_dir_group *g)
{
	char *esc = soca_dir_filter_esc(name);
	char *f = soca_xasprintf("(&(objectClass=posixGroup)(cn=%s))", esc);
	struct soca_dir_group *v;
	size_t n;
	int rc;

	memset(g, 0, sizeof(*g));
	rc = search_groups(d, f, &v, &n);
	free(f);
	free(esc);
	if (rc != 0)
		return rc;
	if (n == 0) {
		free(v);
		return SOCA_EX_FALSE;
	}
	*g = v[0];
	for (size_t i = 1; i < n; i++)
		soca_dir_group_free(&v[i]);
	free(v);
	return 0;
}

static int
cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct soca_dir_group *)a)->name,
	    ((const struct soca_dir_group *)b)->name);
}

int
soca_dir_group_list(struct soca_dir *d, struct soca_dir_group **v, size_t *n)
{
	int rc = search_groups(d, "(objectClass=posixGroup)", v, n);

	if (rc == 0)
		qsort(*v, *n, sizeof(**v), cmp_group);
	return rc;
}

static int
add_group(struct soca_dir *d, const char *dn, const char *name, long long gid)
{
	struct soca_dir_mods m = { 0 };

	soca_dir_mod(&m, LDAP_MOD_ADD, "objectClass", "posixGroup");
	soca_dir_mod(&m, LDAP_MOD_ADD, "cn", name);
	soca_dir_modf(&m, LDAP_MOD_ADD, "gidNumber", gid);
	return soca_dir_add(d, dn, &m);
}

int
soca_dir_group_add(struct soca_dir *d, const char *name, long long gid,
    struct soca_dir_group *g)
{
	char *dn;
	int rc;

	if ((rc = soca_dir_name_check("group", name)) != 0)
		return rc;
	if ((rc = soca_dir_group_get(d, name, g)) == 0) {
		warnx("group \"%s\" already exists (gid %lld)", name, g->gid);
		soca_dir_group_free(g);
		return SOCA_EX_FALSE;
	}
	if (rc != SOCA_EX_FALSE)
		return rc;
	if ((rc = soca_dir_reserve(d, "gid", gid, -1, name, &gid)) != 0)
		return rc;
	dn = soca_dir_group_dn(d, name);
	rc = add_group(d, dn, name, gid);
	free(dn);
	if (rc == LDAP_ALREADY_EXISTS) {
		warnx("group \"%s\" already exists", name);
		return SOCA_EX_FALSE;
	}
	if (rc != LDAP_SUCCESS)
		return soca_dir_fail(d, rc, "add group \"%s\"", name);
	g->name = soca_xstrdup(name);
	g->gid = gid;
	g->members = soca_xcalloc(1, sizeof(char *));
	return 0;
}

/* A group soca itself needs (soca-admins, the shared group): make it. */
int
soca_dir_group_ensure(struct soca_dir *d, const char *dn, const char *name,
    long long *gid)
{
	struct soca_dir_group g;
	int rc;

	if ((rc = soca_dir_group_get(d, name, &g)) == 0) {
		*gid = g.gid;
		soca_dir_group_free(&g);
		return 0;
	}
	if (rc != SOCA_EX_FALSE)
		return rc;
	if ((rc = soca_dir_reserve(d, "gid", -1, -1, name, gid)) != 0)
		return rc;
	rc = add_group(d, dn, name, *gid);
	if (rc == LDAP_SUCCESS || rc == LDAP_ALREADY_EXISTS)
		return 0;
	return soca_dir_fail(d, rc, "add group %s", dn);
}

/* The first user whose primary group this is, or NULL. */
static char *
primary_of(struct soca_dir *d, long long gid, int *rc)
{
	char *attrs[] = { "uid", NULL };
	char *f = soca_xasprintf("(&(objectClass=posixAccount)"
	    "(gidNumber=%lld))", gid);
	LDAPMessage *res, *e;
	char *who = NULL;

	*rc = soca_dir_search(d, d->people, LDAP_SCOPE_ONELEVEL, f, attrs,
	    &res);
	free(f);
	if (*rc == LDAP_SUCCESS && (e = ldap_first_entry(d->ld, res)) != NULL)
		who = soca_dir_value(d, e, "uid");
	ldap_msgfree(res);
	if (*rc != LDAP_SUCCESS)
		*rc = soca_dir_fail(d, *rc, "search %s", d->people);
	return who;
}

int
soca_dir_group_del(struct soca_dir *d, const char *name)
{
	struct soca_dir_group g;
	char *dn, *who;
	int rc;

	if ((rc = soca_dir_name_check("group", name)) != 0)
		return rc;
	if ((rc = soca_dir_group_get(d, name, &g)) != 0) {
		if (rc == SOCA_EX_FALSE)
			warnx("no such group \"%s\"", name);
		return rc;
	}
	who = primary_of(d, g.gid, &rc);
	if (who != NULL) {
		warnx("group \"%s\" is the primary group of user \"%s\" "
		    "(delete or move that user first)", name, who);
		rc = SOCA_EX_FALSE;
	}
	free(who);
	soca_dir_group_free(&g);
	if (rc != 0)
		return rc;
	dn = soca_dir_group_dn(d, name);
	rc = ldap_delete_ext_s(d->ld, dn, NULL, NULL);
	free(dn);
	if (rc != LDAP_SUCCESS)
		return soca_dir_fail(d, rc, "delete group \"%s\"", name);
	return 0;
}

/* memberUid add or delete on one group DN; already so is fine. */
int
soca_dir_member_dn(struct soca_dir *d, const char *dn, const char *user,
    bool add)
{
	struct soca_dir_mods m = { 0 };
	int rc;

	soca_dir_mod(&m, add ? LDAP_MOD_ADD : LDAP_MOD_DELETE, "memberUid",
	    user);
	rc = soca_dir_modify(d, dn, &m);
	if (rc == LDAP_SUCCESS || rc == LDAP_TYPE_OR_VALUE_EXISTS ||
	    (!add && rc == LDAP_NO_SUCH_ATTRIBUTE))
		return 0;
	if (rc == LDAP_NO_SUCH_OBJECT) {
		warnx("no such group %s", dn);
		return SOCA_EX_FALSE;
	}
	return soca_dir_fail(d, rc, "%s %s %s", add ? "add" : "remove", user,
	    dn);
}

int
soca_dir_group_member(struct soca_dir *d, const char *group, const char *user,
    bool add)
{
	struct soca_dir_group g;
	struct soca_dir_user u;
	char *dn;
	int rc;

	if ((rc = soca_dir_name_check("group", group)) != 0 ||
	    (rc = soca_dir_name_check("user", user)) != 0)
		return rc;
	if ((rc = soca_dir_group_get(d, group, &g)) != 0) {
		if (rc == SOCA_EX_FALSE)
			warnx("no such group \"%s\"", group);
		return rc;
	}
	soca_dir_group_free(&g);
	if (add && (rc = soca_dir_user_get(d, user, &u)) != 0) {
		if (rc == SOCA_EX_FALSE)
			warnx("no such user \"%s\"", user);
		return rc;
	}
	if (add)
		soca_dir_user_free(&u);
	dn = soca_dir_group_dn(d, group);
	rc = soca_dir_member_dn(d, dn, user, add);
	free(dn);
	return rc;
}

static struct soca_dir_group *
cached(struct soca_dir *d, const char *group, int *rc)
{
	struct soca_dir_group g;

	*rc = 0;
	for (size_t i = 0; i < d->ncache; i++)
		if (strcmp(d->cache[i].name, group) == 0)
			return &d->cache[i];
	if ((*rc = soca_dir_group_get(d, group, &g)) != 0) {
		if (*rc != SOCA_EX_FALSE)
			return NULL;
		*rc = 0;
		g.name = soca_xstrdup(group);
		g.gid = -1;
		g.members = soca_xcalloc(1, sizeof(char *));
	}
	d->cache = soca_xreallocarray(d->cache, d->ncache + 1,
	    sizeof(*d->cache));
	d->cache[d->ncache] = g;
	return &d->cache[d->ncache++];
}

/*
 * 1: user is a member of group (memberUid, or the group is the user's
 * primary group), 0: not (or no such group or user), negative: -exit code.
 */
int
soca_dir_user_in_group(struct soca_dir *d, const char *user,
    const char *group)
{
	struct soca_dir_group *g;
	struct soca_dir_user u;
	int rc;

	if (soca_dir_name_check("user", user) != 0 ||
	    soca_dir_name_check("group", group) != 0)
		return -SOCA_EX_USAGE;
	if ((g = cached(d, group, &rc)) == NULL)
		return -rc;
	for (size_t i = 0; i < g->nmembers; i++)
		if (strcmp(g->members[i], user) == 0)
			return 1;
	if (g->gid < 0)
		return 0;
	if ((rc = soca_dir_user_get(d, user, &u)) != 0)
		return rc == SOCA_EX_FALSE ? 0 : -rc;
	rc = u.gid == g->gid;
	soca_dir_user_free(&u);
	return rc;
}
