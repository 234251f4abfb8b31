/*
 * auth.c: who is asking, and what they may do.
 *
 * Owns the authentication of every request but login and the OpenAPI
 * document: an API key (Authorization: Bearer soca_...) or a session
 * cookie (soca_session), nothing else; no header, key or parameter
 * names another user or skips the check.  The user must then be a local
 * account (the commands run as it through sudo) that is neither root nor
 * below [web] min_uid.  Admin rights ([cluster] admin_group, through
 * getgrouplist) are looked up here on every request and never stored.
 * A state-changing request authenticated by cookie must come from the
 * site's own Origin (CSRF).  The login's password check is a simple
 * bind to LDAP as the user, over the TLS lib/dir sets up, on a connection
 * that never binds as [ldap] bind_dn: its password file belongs to the
 * directory service account ([web] directory_user), not to soca-api.
 */
#include "config.h"

#include <grp.h>
#include <ldap.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "dir_int.h"
#include "job.h"
#include "web.h"

bool
soca_web_user_admin(const struct soca_web *w, const char *user)
{
	struct passwd *pw = getpwnam(user);
	char *g[1];

	if (pw == NULL || pw->pw_uid == 0)
		return false;
	g[0] = (char *)soca_conf_get(w->conf, "cluster", NULL, "admin_group");
	return g[0] != NULL && soca_user_in(pw->pw_name, pw->pw_uid,
	    pw->pw_gid, g, 1);
}

static bool
changes_state(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

/*
 * scheme://host[:port] of this site: Debian's fastcgi_params pass
 * HTTP_HOST without the port ($host), so SERVER_PORT adds it back when
 * it is not the scheme's default.
 */
static char *
own_origin(const struct soca_web *w)
{
	bool tls = w->https != NULL && strcmp(w->https, "off") != 0;
	const char *port = getenv("SERVER_PORT");
	const char *colon = strrchr(w->host, ':');
	bool has_port = colon != NULL && strchr(colon, ']') == NULL;

	if (has_port || port == NULL || *port == '\0' ||
	    strcmp(port, tls ? "443" : "80") == 0)
		return soca_xasprintf("%s://%s", tls ? "https" : "http",
		    w->host);
	return soca_xasprintf("%s://%s:%s", tls ? "https" : "http", w->host,
	    port);
}

bool
soca_web_origin_ok(const struct soca_web *w)
{
	const char *conf = soca_conf_get(w->conf, "web", NULL, "origin");
	char *want;
	bool ok;

	if (w->origin == NULL)
		return false;
	if (conf != NULL)
		return strcmp(w->origin, conf) == 0;
	if (w->host == NULL)
		return false;
	want = own_origin(w);
	ok = strcmp(w->origin, want) == 0;
	free(want);
	return ok;
}

static int
who(struct soca_web *w, char **user)
{
	if (w->authz != NULL) {
		if (strncmp(w->authz, "Bearer ", 7) != 0)
			return -1;
		return soca_web_key_check(w, w->authz + 7, user);
	}
	if (w->cookie != NULL && strstr(w->cookie, "soca_session=")) {
		w->by_cookie = true;
		return soca_web_session_check(w, w->cookie, user);
	}
	return -1;
}

/* 0, or the request is answered (401 or 403) */
int
soca_web_authenticate(struct soca_web *w)
{
	struct passwd *pw;
	char *user = NULL;

	if (who(w, &user) < 0) {
		soca_web_error(w, 401, "log in, or send an API key as "
		    "Authorization: Bearer TOKEN");
		return -1;
	}
	w->user = user;
	if (soca_web_user_ok(w, user) < 0 || (pw = getpwnam(user)) == NULL) {
		soca_web_error(w, 403, "this account may not use the web door");
		return -1;
	}
	w->uid = pw->pw_uid;
	w->gid = pw->pw_gid;
	if (w->by_cookie && changes_state(w->method) &&
	    !soca_web_origin_ok(w)) {
		soca_web_error(w, 403, "cross-origin request refused (Origin "
		    "must be this site's)");
		return -1;
	}
	w->admin = soca_web_user_admin(w, user);
	return 0;
}

/* 0: the password is right; 1: it is not; 3: the directory is down */
int
soca_web_ldap_bind(struct soca_web *w, const char *user, const char *pw)
{
	struct berval cred;
	struct soca_dir *d;
	char *dn;
	int rc;

	if (*pw == '\0' || strlen(pw) > 1024)
		return 1;	/* an empty password is an anonymous bind */
	rc = soca_dir_open_anon(w->conf, &d);
	if (rc != 0) {
		soca_web_note(w, "directory: cannot connect (exit %d)", rc);
		return 3;
	}
	dn = soca_dir_user_dn(d, user);
	cred.bv_val = (char *)pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(d->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
	free(dn);
	soca_dir_close(d);
	if (rc == LDAP_SUCCESS)
		return 0;
	if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_NO_SUCH_OBJECT ||
	    rc == LDAP_INAPPROPRIATE_AUTH || rc == LDAP_UNWILLING_TO_PERFORM)
		return 1;
	soca_web_note(w, "directory: bind failed: %s", ldap_err2string(rc));
	return 3;
}
