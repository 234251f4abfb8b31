/*
 * dir_int.h: what dir.c shares with dir_user.c and dir_group.c only.
 */
#ifndef SOCA_DIR_INT_H
#define SOCA_DIR_INT_H

#include <ldap.h>

#include "dir.h"

struct soca_dir {
	LDAP *ld;
	const struct soca_conf *conf;
	char *uri, *bind_dn, *base, *people, *groups, *ids, *admin_dn;
	bool admin_default, tls;
	long timeout;
	struct soca_dir_group *cache;	/* soca_dir_user_in_group() */
	size_t ncache;
};

struct soca_dir_mods {
	LDAPMod **v;
	size_t n;
};

typedef void (*soca_dir_fn)(struct soca_dir *, LDAPMessage *, void *);
int soca_dir_each(struct soca_dir *, const char *base, int scope,
    const char *filter, char **attrs, soca_dir_fn, void *);
int soca_dir_search(struct soca_dir *, const char *base, int scope,
    const char *filter, char **attrs, LDAPMessage **);
char *soca_dir_value(struct soca_dir *, LDAPMessage *, const char *attr);
long long soca_dir_number(struct soca_dir *, LDAPMessage *, const char *);
size_t soca_dir_values(struct soca_dir *, LDAPMessage *, const char *attr,
    char ***);
void soca_dir_mod(struct soca_dir_mods *, int op, const char *attr,
    const char *val);
void soca_dir_modf(struct soca_dir_mods *, int op, const char *attr,
    long long);
void soca_dir_mods_free(struct soca_dir_mods *);
int soca_dir_add(struct soca_dir *, const char *dn, struct soca_dir_mods *);
int soca_dir_modify(struct soca_dir *, const char *dn,
    struct soca_dir_mods *);
int soca_dir_member_dn(struct soca_dir *, const char *dn, const char *user,
    bool add);
int soca_dir_group_ensure(struct soca_dir *, const char *dn,
    const char *name, long long *gid);

#endif
