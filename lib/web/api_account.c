/*
 * api_account.c: my account: /api/me/password and /api/me/ssh-key.
 *
 * Owns what a user does to their own account, and only their own: no
 * route here takes a user name, so the one acted on is always the
 * authenticated one.
 *
 * A password change binds to LDAP as the user with the old password
 * (the login's simple bind, over lib/dir's TLS, under the login's rate
 * limit: a wrong old password counts as a failed login) and, on that
 * same connection, asks the directory to change it with the Password
 * Modify extended operation (RFC 3062, old and new password, as the
 * user itself: the directory's ACL must let a user write its own
 * userPassword, soca-api(8)).  soca-user's rules for a new password
 * (soca_pass_why) apply first, with its messages.  The user's other
 * sessions end; API keys stay (their owner revokes them).
 *
 * The SSH key is `soca-user key [--again] NAME` run as the user through
 * sudo: it reads the key from the home with the user's own rights and
 * records the download, so a second one is 409 unless ?again=1.
 */
#include "config.h"

#include <ldap.h>
#include <stdlib.h>
#include <string.h>

#include "dir.h"
#include "dir_int.h"
#include "web.h"

/* 0 changed; 1 old password wrong; 2 refused by the directory; 3 down */
static int
change(struct soca_web *w, const char *old, const char *new, char **why)
{
	struct berval bold, bnew, gen = { 0, NULL };
	struct soca_dir *d;
	char *dn;
	int rc;

	*why = NULL;
	if ((rc = soca_dir_open_anon(w->conf, &d)) != 0) {
		soca_web_note(w, "directory: cannot connect (exit %d)", rc);
		return 3;
	}
	dn = soca_dir_user_dn(d, w->user);
	bold.bv_val = (char *)old;
	bold.bv_len = strlen(old);
	bnew.bv_val = (char *)new;
	bnew.bv_len = strlen(new);
	rc = ldap_sasl_bind_s(d->ld, dn, LDAP_SASL_SIMPLE, &bold, NULL, NULL,
	    NULL);
	free(dn);
	if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_NO_SUCH_OBJECT ||
	    rc == LDAP_INAPPROPRIATE_AUTH || rc == LDAP_UNWILLING_TO_PERFORM) {
		soca_dir_close(d);
		return 1;
	}
	if (rc != LDAP_SUCCESS) {
		soca_web_note(w, "directory: bind failed: %s",
		    ldap_err2string(rc));
		soca_dir_close(d);
		return 3;
	}
	/* no user identity: the one bound, that is, the user */
	rc = ldap_passwd_s(d->ld, NULL, &bold, &bnew, &gen, NULL, NULL);
	if (gen.bv_val != NULL)
		ber_memfree(gen.bv_val);
	soca_dir_close(d);
	if (rc == LDAP_SUCCESS)
		return 0;
	soca_web_note(w, "directory: password modify: %s", ldap_err2string(rc));
	if (rc == LDAP_CONSTRAINT_VIOLATION || rc == LDAP_UNWILLING_TO_PERFORM) {
		*why = soca_xstrdup("the directory refused the new password "
		    "(its password policy: history, age or quality)");
		return 2;
	}
	if (rc == LDAP_INSUFFICIENT_ACCESS) {
		*why = soca_xstrdup("the directory does not let users change "
		    "their own password: ask an administrator");
		return 2;
	}
	return 3;
}

void
soca_web_me_password(struct soca_web *w)
{
	json_t *j = soca_web_json_body(w);
	const char *old, *new;
	char *why = NULL;
	int rc, n;

	if (j == NULL)
		goto wipe;
	old = json_string_value(json_object_get(j, "old"));
	new = json_string_value(json_object_get(j, "new"));
	if (old == NULL || *old == '\0' || new == NULL ||
	    json_object_size(j) != 2 || strlen(old) > 1024) {
		soca_web_error(w, 400, "expected {\"old\": PASSWORD, \"new\": "
		    "PASSWORD}, both non-empty strings");
		goto out;
	}
	if ((why = soca_pass_why(w->conf, w->user, new)) != NULL) {
		soca_web_error(w, 400, "%s", why);
		goto out;
	}
	if (strcmp(old, new) == 0) {
		soca_web_error(w, 400, "password refused: the new password is "
		    "the old one");
		goto out;
	}
	if (soca_web_login_gate(w, w->user) < 0)
		goto out;
	switch ((rc = change(w, old, new, &why))) {
	case 0:
		n = soca_web_sessions_end(w, w->user, w->session);
		soca_web_note(w, "password changed, %d other session%s ended",
		    n < 0 ? 0 : n, n == 1 ? "" : "s");
		soca_web_nocontent(w, 204);
		break;
	case 1:
		soca_web_login_failed(w, w->user);
		soca_web_note(w, "password change: wrong old password");
		/* 403, not 401: the session stays good */
		soca_web_error(w, 403, "the old password is wrong");
		break;
	case 2:
		soca_web_error(w, 400, "%s", why);
		break;
	default:
		soca_web_error(w, 503, "the directory is unavailable: try again "
		    "later");
	}
out:
	json_decref(j);
wipe:
	if (w->body != NULL)
		explicit_bzero(w->body, w->bodylen);
	free(why);
}

void
soca_web_me_ssh_key(struct soca_web *w)
{
	static const char *const known[] = { "again", NULL };
	const char *type = soca_conf_get(w->conf, "ldap", NULL,
	    "ssh_key_type");
	const char *argv[4];
	struct soca_web_run r;
	char *again = NULL, *hdr;
	bool more;
	int bad = 0, i = 0;

	if (soca_web_query_only(w, known))
		again = soca_web_query(w, "again", &bad);
	if (!soca_web_query_only(w, known) || bad || (again != NULL &&
	    strcmp(again, "1") != 0 && strcmp(again, "0") != 0)) {
		soca_web_error(w, 400, "the only query parameter here is "
		    "again=1 (download the key once more)");
		free(again);
		return;
	}
	more = again != NULL && strcmp(again, "1") == 0;
	free(again);
	argv[i++] = "key";
	if (more)
		argv[i++] = "--again";
	argv[i++] = w->user;
	argv[i] = NULL;
	if (soca_web_run(w, "soca-user", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		return;
	}
	if (r.status == 0 && r.outlen > 0 && !r.truncated) {
		hdr = soca_xasprintf("Content-Disposition: attachment; "
		    "filename=\"id_%s\"\r\n", type ? type : "ed25519");
		soca_web_raw(w, 200, "application/octet-stream", hdr, r.out,
		    r.outlen);
		soca_web_note(w, "ssh key downloaded");
		free(hdr);
	} else if (r.status == 1 && strstr(r.err, "already downloaded")) {
		/* soca_home_key's words for its marker: dir_home.c */
		soca_web_error(w, 409, "your private SSH key was already "
		    "downloaded: download it again with ?again=1 only if you "
		    "lost it");
	} else if (r.status == 1) {
		soca_web_error(w, 404, "you have no SSH key in your home "
		    "(.ssh/id_%s): ask an administrator", type ? type :
		    "ed25519");
	} else if (r.status == 0) {
		soca_web_error(w, 500, "unexpected output");
	} else {
		soca_web_answer_run(w, "no such key", &r, 0);
	}
	explicit_bzero(r.out, r.outlen);
	soca_web_run_free(&r);
}
