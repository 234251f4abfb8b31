/*
 * web.h: soca-api(8), the web door's CGI, shared by the files of lib/web.
 *
 * One request a process: req.c reads what nginx + fcgiwrap pass (the CGI
 * environment and a size-capped body), route.c finds the handler,
 * auth.c says who is asking (API key or session cookie, keys.c and
 * session.c keep them), the handlers (api_*.c) act by running soca's
 * commands as that user through sudo (spawn.c), resp.c writes the one
 * answer with its security headers, and audit.c logs one line for it.
 * Nothing here runs as root: soca_web_main() refuses to.
 */
#ifndef SOCA_WEB_H
#define SOCA_WEB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "soca.h"

#define SOCA_WEB_MAXSEG 8

struct soca_web {
	/* the request (req.c) */
	const char *method, *path, *query, *ctype;
	const char *authz, *cookie, *origin, *host, *remote, *https;
	char *body;
	size_t bodylen;
	long long clen;		/* CONTENT_LENGTH */
	bool streamed;		/* the body is left on stdin (uploads) */
	bool body_used;		/* ... and was read */
	char *seg[SOCA_WEB_MAXSEG];	/* the path's segments after /api */
	size_t nseg;
	/* configuration */
	struct soca_conf *conf;
	const char *state, *bindir;
	/* who (auth.c) */
	char *user;
	uid_t uid;
	gid_t gid;
	bool admin, by_cookie;
	char *session;		/* session id, when by cookie */
	/* the outcome, for the audit line */
	int status;
	struct soca_buf result;	/* "action result" words */
	struct soca_buf detail;	/* full stderr of commands: audit only */
	bool answered;
};

/* the outcome of a soca command run as the user (spawn.c) */
struct soca_web_run {
	int status;		/* exit code; 125 and up: spawn/sudo trouble */
	char *out, *err;
	size_t outlen, errlen;
	bool truncated, timedout;
};

/* req.c */
int soca_web_req_read(struct soca_web *);
int soca_web_pct_decode(const char *s, size_t n, char **out);
bool soca_web_in_list(const char *s, const char *const *l);
bool soca_web_path_ok(const char *p);
char *soca_web_query(const struct soca_web *, const char *key, int *bad);
bool soca_web_query_only(const struct soca_web *, const char *const *keys);
json_t *soca_web_json_body(struct soca_web *);
void soca_web_drain(long long);

/* resp.c */
void soca_web_json(struct soca_web *, int status, json_t *);
json_t *soca_web_jsonl(const char *);
void soca_web_error(struct soca_web *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void soca_web_nocontent(struct soca_web *, int status);
void soca_web_raw(struct soca_web *, int status, const char *ctype,
    const char *extra_headers, const void *, size_t);
void soca_web_header(const char *name, const char *value);

/* audit.c */
void soca_web_audit(struct soca_web *);
void soca_web_note(struct soca_web *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* route.c */
typedef void (*soca_web_fn)(struct soca_web *);
struct soca_web_route {
	const char *method, *pattern;	/* "/api/jobs/{id}" */
	soca_web_fn fn;
	bool noauth;
};
extern const struct soca_web_route soca_web_routes[];
void soca_web_dispatch(struct soca_web *);
int soca_web_print_routes(FILE *);

/* spawn.c */
int soca_web_run(struct soca_web *, const char *cmd, const char *const *argv,
    const void *in, size_t inlen, struct soca_web_run *);
int soca_web_run_io(struct soca_web *, const char *cmd,
    const char *const *argv, const void *in, size_t inlen, int in_fd,
    long long in_len, int out_fd, struct soca_web_run *);
int soca_web_run_admin(struct soca_web *, const char *cmd,
    const char *const *argv, const void *in, size_t inlen,
    struct soca_web_run *);
void soca_web_run_free(struct soca_web_run *);
void soca_web_answer_run(struct soca_web *, const char *what,
    struct soca_web_run *, int okstatus);
char *soca_web_first_err(const struct soca_web_run *);

/* auth.c */
int soca_web_authenticate(struct soca_web *);
bool soca_web_user_admin(const struct soca_web *, const char *user);
int soca_web_ldap_bind(struct soca_web *, const char *user, const char *pw);
bool soca_web_origin_ok(const struct soca_web *);
int soca_web_user_ok(struct soca_web *, const char *user);

/* keys.c */
int soca_web_key_check(struct soca_web *, const char *token, char **user);
void soca_web_keys_list(struct soca_web *);
void soca_web_keys_create(struct soca_web *);
void soca_web_keys_revoke(struct soca_web *);

/* session.c */
int soca_web_random(void *, size_t);
void soca_web_hex(const unsigned char *, size_t, char *);
int soca_web_state_dir(struct soca_web *, const char *sub, char **path);
int soca_web_hmac_key(struct soca_web *, unsigned char key[32]);
int soca_web_session_check(struct soca_web *, const char *cookie,
    char **user);
void soca_web_login(struct soca_web *);
void soca_web_logout(struct soca_web *);
int soca_web_login_gate(struct soca_web *, const char *user);
void soca_web_login_failed(struct soca_web *, const char *user);
int soca_web_sessions_end(struct soca_web *, const char *user,
    const char *keep);

/* api_account.c */
void soca_web_me_password(struct soca_web *);
void soca_web_me_ssh_key(struct soca_web *);

/* api_jobs.c */
bool soca_web_jobid_ok(const char *);
void soca_web_jobs_list(struct soca_web *);
void soca_web_jobs_submit(struct soca_web *);
void soca_web_jobs_estimate(struct soca_web *);
void soca_web_jobs_show(struct soca_web *);
void soca_web_jobs_cancel(struct soca_web *);
void soca_web_jobs_hold(struct soca_web *);
void soca_web_jobs_release(struct soca_web *);
void soca_web_jobs_alter(struct soca_web *);
void soca_web_jobs_output(struct soca_web *);

/* api_apps.c */
const char *soca_web_apps_dir(const struct soca_web *);
void soca_web_apps_list(struct soca_web *);
void soca_web_apps_show(struct soca_web *);
json_t *soca_web_apps_submission(struct soca_web *, json_t *);
int soca_web_apps_check(struct soca_conf *, FILE *out, FILE *err);

/* api_misc.c */
void soca_web_me(struct soca_web *);
void soca_web_queues(struct soca_web *);
void soca_web_budgets(struct soca_web *);
void soca_web_openapi(struct soca_web *);

/* api_admin.c */
void soca_web_users_list(struct soca_web *);
void soca_web_users_add(struct soca_web *);
void soca_web_users_show(struct soca_web *);
void soca_web_users_delete(struct soca_web *);
void soca_web_users_action(struct soca_web *);
void soca_web_groups_list(struct soca_web *);
void soca_web_groups_add(struct soca_web *);
void soca_web_groups_delete(struct soca_web *);
void soca_web_groups_member_add(struct soca_web *);
void soca_web_groups_member_remove(struct soca_web *);

/* api_desktops.c */
void soca_web_desktops_list(struct soca_web *);
void soca_web_desktops_show(struct soca_web *);
void soca_web_desktops_launch(struct soca_web *);
void soca_web_desktops_terminate(struct soca_web *);
void soca_web_desktops_action(struct soca_web *);
void soca_web_desktops_resize(struct soca_web *);
void soca_web_desktops_schedule(struct soca_web *);
void soca_web_desktops_connect(struct soca_web *);

/* dcvauth.c */
char *soca_web_dcv_token(struct soca_web *, const char *session,
    const char *owner, const char *instance);
void soca_web_dcv_auth(struct soca_web *);

/* api_files.c */
void soca_web_files_get(struct soca_web *);
void soca_web_files_put(struct soca_web *);
void soca_web_files_delete(struct soca_web *);
void soca_web_files_mkdir(struct soca_web *);
void soca_web_files_rename(struct soca_web *);
void soca_web_files_send(struct soca_web *, const char *rel,
    const char *ctype);

/* main.c */
int soca_web_main(int argc, char **argv);

#endif
