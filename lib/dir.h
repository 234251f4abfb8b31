/*
 * dir.h: users and groups in LDAP (OpenLDAP's libldap), for soca-user,
 * soca-group and the ACL checks of soca-submit.
 *
 * Functions that can fail print one message (warnx) naming what failed
 * and how to fix it, and return the exit code that fits (SOCA_EX_*);
 * 0 is success.  Lookups return SOCA_EX_FALSE without a message when
 * the entry does not exist, so the caller words "no such user".
 */
#ifndef SOCA_DIR_H
#define SOCA_DIR_H

#include "soca.h"

#define SOCA_DIR_NAME_MAX 32

struct soca_dir;

struct soca_dir_user {
	char *name, *cn, *home, *shell, *mail;
	long long uid, gid;
	bool locked, admin;
};

struct soca_dir_newuser {
	const char *name, *shell, *mail;
	long long uid, gid;	/* -1: next free */
	bool admin;
};

struct soca_dir_group {
	char *name;
	long long gid;
	char **members;
	size_t nmembers;
};

/* dir_name.c: validation and escaping, before anything reaches LDAP */
int soca_dir_name_check(const char *what, const char *name);
bool soca_dir_name_ok_quiet(const char *name);
int soca_dir_mail_check(const char *);
int soca_dir_shell_check(const char *);
char *soca_dir_filter_esc(const char *);
char *soca_dir_dn_esc(const char *);

/* dir.c: connection, binding, errors, the entries' DNs */
int soca_dir_open(const struct soca_conf *, struct soca_dir **);
int soca_dir_open_anon(const struct soca_conf *, struct soca_dir **);
struct soca_dir *soca_dir_connect(const char *confopt, struct soca_conf **);
int soca_dir_done(struct soca_dir *, struct soca_conf *, int rc);
void soca_dir_close(struct soca_dir *);
const struct soca_conf *soca_dir_conf(const struct soca_dir *);
char *soca_dir_user_dn(const struct soca_dir *, const char *name);
char *soca_dir_group_dn(const struct soca_dir *, const char *name);
int soca_dir_fail(struct soca_dir *, int lrc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int soca_dir_reserve(struct soca_dir *, const char *kind, long long want,
    long long prefer, const char *owner, long long *got);

/* dir_user.c */
int soca_dir_user_add(struct soca_dir *, const struct soca_dir_newuser *,
    struct soca_dir_user *);
int soca_dir_user_get(struct soca_dir *, const char *name,
    struct soca_dir_user *);
int soca_dir_user_list(struct soca_dir *, struct soca_dir_user **, size_t *);
int soca_dir_user_del(struct soca_dir *, const char *name,
    struct soca_dir_user *);
int soca_dir_user_passwd(struct soca_dir *, const char *name, const char *pw);
int soca_dir_user_lock(struct soca_dir *, const char *name, bool lock);
int soca_dir_user_admin(struct soca_dir *, const char *name, bool grant);
void soca_dir_user_free(struct soca_dir_user *);

/* dir_group.c */
int soca_dir_group_add(struct soca_dir *, const char *name, long long gid,
    struct soca_dir_group *);
int soca_dir_group_get(struct soca_dir *, const char *name,
    struct soca_dir_group *);
int soca_dir_group_list(struct soca_dir *, struct soca_dir_group **,
    size_t *);
int soca_dir_group_del(struct soca_dir *, const char *name);
int soca_dir_group_member(struct soca_dir *, const char *group,
    const char *user, bool add);
int soca_dir_user_in_group(struct soca_dir *, const char *user,
    const char *group);
void soca_dir_group_free(struct soca_dir_group *);

/* dir_home.c: home directories and SSH keys on the shared filesystem */
int soca_home_check(const struct soca_conf *, const char *name);
int soca_home_create(const struct soca_conf *, const char *name, uid_t,
    gid_t, char **path);
int soca_home_retire(const struct soca_conf *, const char *name,
    char **moved);
const char *soca_home_queue_dir(const struct soca_conf *);
int soca_home_queue(const struct soca_conf *, const char *name,
    const char *what);
int soca_home_request(const struct soca_conf *, const char *name,
    char *what, size_t size);
int soca_home_done(const struct soca_conf *, const char *name);
int soca_home_pending(struct soca_dir *, const struct soca_conf *);
int soca_home_key(const struct soca_conf *, const char *name, uid_t, gid_t,
    bool again, FILE *);

/* dir_pass.c: passwords, never on a command line or in an environment */
int soca_pass_file(const char *path, char **pw);
int soca_pass_stream(FILE *, const char *name, char **pw);
int soca_pass_prompt(char **pw);
char *soca_pass_generate(const struct soca_conf *, const char *);
char *soca_pass_why(const struct soca_conf *, const char *user,
    const char *pw);
int soca_pass_check(const struct soca_conf *, const char *user,
    const char *pw);
char *soca_pass_crypt(const char *pw);
void soca_pass_free(char *);

#endif
