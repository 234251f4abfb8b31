/*
 * api_admin.c: /api/users and /api/groups, the administrators' part of
 * the directory.
 *
 * Owns the web door's user and group administration: list, show, add
 * and delete users, lock/unlock, admin grant/revoke and password resets,
 * groups and their members.  Each request must come from an
 * administrator, looked up for this request (auth.c): anyone else gets
 * 403 and nothing runs.  Every name in the path or the body is checked
 * by soca's rules (lowercase letter or _ first, then lowercase letters,
 * digits, _ and -, at most 32) before anything runs: 400.  The work is
 * soca-user(1) and soca-group(1) run as the directory service account
 * through the administrator (spawn.c, soca_web_run_admin), with argv
 * arrays; a password goes to soca-user on its stdin (--password-file -),
 * never on a command line nor in the audit line.  Exit codes become
 * statuses as everywhere (spawn.c), but for "already exists" (409).
 * An administrator may not delete, lock or un-admin their own account
 * here (409): the page must not lock its only administrator out.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dir.h"
#include "web.h"

static bool
admin_only(struct soca_web *w)
{
	if (w->admin)
		return true;
	soca_web_error(w, 403, "administrators only (members of the admin "
	    "group)");
	return false;
}

static bool
name_ok(struct soca_web *w, const char *what, const char *name)
{
	if (name != NULL && soca_dir_name_ok_quiet(name))
		return true;
	soca_web_error(w, 400, "%s name refused: expected a lowercase letter "
	    "or _, then lowercase letters, digits, _ or -, at most %d in all",
	    what, SOCA_DIR_NAME_MAX);
	return false;
}

/* one request body string member; *bad when present but not a string */
static const char *
str(json_t *j, const char *key, bool *bad)
{
	json_t *v = json_object_get(j, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/* a password given (pw not NULL) for soca-user's stdin must be one
 * line, no NUL, not empty: else 400 */
static bool
password_bad(struct soca_web *w, const char *pw)
{
	if (pw == NULL || (*pw != '\0' && strlen(pw) <= 1024 &&
	    strpbrk(pw, "\r\n") == NULL))
		return false;
	soca_web_error(w, 400, "password refused: one line of 1 to 1024 "
	    "bytes");
	return true;
}

/* a secret string wiped, then freed */
static void
forget(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static bool
only_keys(json_t *j, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(j, k, v) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return false;
	}
	return true;
}

/* "password: X" in a command's output, else NULL */
static char *
printed_password(const char *out)
{
	const char *p = strstr(out, "password: ");

	if (p == NULL || (p != out && p[-1] != '\n'))
		return NULL;
	p += 10;
	return soca_xstrndup(p, strcspn(p, "\n"));
}

static void
answer(struct soca_web *w, const char *what, struct soca_web_run *r,
    int okstatus)
{
	if (r->status == 1 && strstr(r->err, "already exists") != NULL)
		soca_web_error(w, 409, "%s already exists", what);
	else
		soca_web_answer_run(w, what, r, okstatus);
}

static bool
run(struct soca_web *w, const char *cmd, const char *const *argv,
    const char *in, struct soca_web_run *r)
{
	if (soca_web_run_admin(w, cmd, argv, in, in ? strlen(in) : 0, r) ==
	    0)
		return true;
	soca_web_error(w, 503, "the directory account is not set up: see "
	    "soca-api(8)");
	return false;
}

/* a listing (-J, JSON Lines) as a JSON array */
static void
listing(struct soca_web *w, const char *cmd, const char *const *argv,
    bool members, bool one)
{
	struct soca_web_run r;
	json_t *a, *o;
	size_t i;

	if (!run(w, cmd, argv, NULL, &r))
		return;
	if (r.status != 0) {
		soca_web_answer_run(w, strcmp(cmd, "soca-user") == 0 ?
		    "no such user" : "no such group", &r, 0);
	} else if ((a = soca_web_jsonl(r.out)) == NULL ||
	    (one && json_array_size(a) != 1)) {
		json_decref(a);
		soca_web_error(w, 500, "unexpected output");
	} else {
		json_array_foreach(a, i, o) {
			const char *m = json_string_value(json_object_get(o,
			    "members"));
			char **v;
			size_t n;
			json_t *l;

			if (!members || m == NULL)
				continue;
			l = json_array();
			if (*m != '\0' && soca_split_list(m, &v, &n) == 0) {
				for (size_t k = 0; k < n; k++)
					json_array_append_new(l,
					    json_string(v[k]));
				soca_strv_free(v, n);
			}
			json_object_set_new(o, "members", l);
		}
		if (one) {
			o = json_incref(json_array_get(a, 0));
			json_decref(a);
			a = o;
		}
		soca_web_json(w, 200, a);
	}
	soca_web_run_free(&r);
}

/* every user or group (cmd), with members for groups; no query */
static void
list_all(struct soca_web *w, const char *cmd, bool members)
{
	const char *argv[] = { "list", "-J", NULL };

	if (!admin_only(w))
		return;
	if (*w->query != '\0')
		soca_web_error(w, 400, "no query parameters are known here");
	else
		listing(w, cmd, argv, members, false);
}

/* an action of cmd with no stdin and no answer body: 204, else as
 * answer() says with what */
static void
act(struct soca_web *w, const char *cmd, const char *const *argv,
    const char *what)
{
	struct soca_web_run r;

	if (run(w, cmd, argv, NULL, &r)) {
		answer(w, what, &r, 204);
		soca_web_run_free(&r);
	}
}

void
soca_web_users_list(struct soca_web *w)
{
	list_all(w, "soca-user", false);
}

void
soca_web_users_show(struct soca_web *w)
{
	const char *argv[] = { "show", "-J", w->seg[1], NULL };

	if (admin_only(w) && name_ok(w, "user", w->seg[1]))
		listing(w, "soca-user", argv, false, true);
}

/* "NAME uid=N gid=N home=H[ (queued)]" of soca-user add */
static json_t *
added(const char *name, const char *out)
{
	long long uid = -1, gid = -1;
	const char *p = out, *h;
	size_t n = strlen(name);
	bool queued = false;
	char *home;
	json_t *o;

	if (strncmp(p, name, n) != 0 || sscanf(p + n, " uid=%lld gid=%lld",
	    &uid, &gid) != 2 || (h = strstr(p, " home=")) == NULL)
		return NULL;
	h += 6;
	n = strcspn(h, "\n");
	if (n > 9 && strncmp(h + n - 9, " (queued)", 9) == 0) {
		queued = true;
		n -= 9;
	}
	home = soca_xstrndup(h, n);
	o = json_pack("{s:s, s:I, s:I, s:s, s:b}", "name", name, "uid",
	    (json_int_t)uid, "gid", (json_int_t)gid, "home", home,
	    "home_queued", queued);
	free(home);
	return o;
}

void
soca_web_users_add(struct soca_web *w)
{
	static const char *const keys[] = { "name", "email", "password",
	    "generate_password", "admin", NULL };
	const char *argv[12], *name, *email, *pw;
	struct soca_web_run r;
	json_t *j, *gen, *adm, *o;
	char *in = NULL, *genpw;
	bool bad = false;
	size_t i = 0;

	if (!admin_only(w) || (j = soca_web_json_body(w)) == NULL)
		return;
	name = str(j, "name", &bad);
	email = str(j, "email", &bad);
	pw = str(j, "password", &bad);
	gen = json_object_get(j, "generate_password");
	adm = json_object_get(j, "admin");
	if (bad || !only_keys(j, keys) || (gen && !json_is_boolean(gen)) ||
	    (adm && !json_is_boolean(adm)) ||
	    (pw != NULL && json_is_true(gen))) {
		soca_web_error(w, 400, "expected {\"name\": NAME, \"email\": "
		    "ADDRESS, \"password\": PASSWORD or \"generate_password\": "
		    "true, \"admin\": BOOLEAN}, all but name optional");
		goto out;
	}
	if (!name_ok(w, "user", name))
		goto out;
	if (password_bad(w, pw))
		goto out;
	argv[i++] = "add";
	if (email != NULL) {
		argv[i++] = "--email";
		argv[i++] = email;
	}
	if (json_is_true(adm))
		argv[i++] = "--admin";
	if (pw != NULL) {
		argv[i++] = "--password-file";
		argv[i++] = "-";
		in = soca_xasprintf("%s\n", pw);
	} else if (json_is_true(gen)) {
		argv[i++] = "--generate-password";
	}
	argv[i++] = "--";
	argv[i++] = name;
	argv[i] = NULL;
	if (!run(w, "soca-user", argv, in, &r))
		goto out;
	if (r.status != 0) {
		answer(w, "the user", &r, 0);
	} else if ((o = added(name, r.out)) == NULL) {
		soca_web_error(w, 500, "unexpected output");
	} else {
		if ((genpw = printed_password(r.out)) != NULL) {
			json_object_set_new(o, "password", json_string(genpw));
			forget(genpw);
		}
		soca_web_json(w, 201, o);
	}
	explicit_bzero(r.out, r.outlen);
	soca_web_run_free(&r);
out:
	forget(in);
	json_decref(j);
}

/* no body, or the empty object {} the page sends */
static bool
no_body(struct soca_web *w)
{
	json_t *j;
	bool ok;

	if (w->bodylen == 0)
		return true;
	j = json_loadb(w->body, w->bodylen, 0, NULL);
	ok = json_is_object(j) && json_object_size(j) == 0;
	json_decref(j);
	if (!ok)
		soca_web_error(w, 400, "this action takes no body (or {})");
	return ok;
}

static bool
not_self(struct soca_web *w, const char *name, const char *what)
{
	if (strcmp(name, w->user) != 0)
		return true;
	soca_web_error(w, 409, "you may not %s your own account here (ask "
	    "another administrator)", what);
	return false;
}

void
soca_web_users_delete(struct soca_web *w)
{
	const char *argv[] = { "del", "--", w->seg[1], NULL };

	if (admin_only(w) && name_ok(w, "user", w->seg[1]) &&
	    not_self(w, w->seg[1], "delete"))
		act(w, "soca-user", argv, "no such user");
}

/* POST /api/users/{name}/password: {"password": P} or generate */
static void
password(struct soca_web *w, const char *name)
{
	static const char *const keys[] = { "password", "generate_password",
	    NULL };
	const char *argv[] = { "passwd", "--password-file", "-", "--", name,
	    NULL };
	struct soca_web_run r;
	json_t *j, *gen;
	const char *pw;
	bool bad = false;
	char *in = NULL, *p;

	if ((j = soca_web_json_body(w)) == NULL)
		return;
	pw = str(j, "password", &bad);
	gen = json_object_get(j, "generate_password");
	if (bad || !only_keys(j, keys) || (gen && !json_is_true(gen)) ||
	    (pw == NULL) == (gen == NULL)) {
		soca_web_error(w, 400, "expected {\"password\": PASSWORD} or "
		    "{\"generate_password\": true}");
		goto out;
	}
	if (password_bad(w, pw))
		goto out;
	if (pw != NULL) {
		in = soca_xasprintf("%s\n", pw);
	} else {
		argv[1] = "--generate-password";
		argv[2] = "--";
		argv[3] = name;
		argv[4] = NULL;
	}
	if (!run(w, "soca-user", argv, in, &r))
		goto out;
	if (r.status == 0 && gen != NULL) {
		if ((p = printed_password(r.out)) == NULL)
			soca_web_error(w, 500, "unexpected output");
		else {
			soca_web_json(w, 200, json_pack("{s:s}", "password",
			    p));
			forget(p);
		}
	} else {
		answer(w, "no such user", &r, 204);
	}
	explicit_bzero(r.out, r.outlen);
	soca_web_run_free(&r);
out:
	forget(in);
	json_decref(j);
}

void
soca_web_users_action(struct soca_web *w)
{
	const char *a = w->seg[2], *name = w->seg[1];
	const char *argv[5] = { NULL };

	if (!admin_only(w))
		return;
	if (strcmp(a, "lock") && strcmp(a, "unlock") && strcmp(a, "admin") &&
	    strcmp(a, "unadmin") && strcmp(a, "password")) {
		soca_web_error(w, 404, "no such resource");
		return;
	}
	if (!name_ok(w, "user", name))
		return;
	if (strcmp(a, "password") == 0) {
		password(w, name);
		return;
	}
	if ((strcmp(a, "lock") == 0 && !not_self(w, name, "lock")) ||
	    (strcmp(a, "unadmin") == 0 && !not_self(w, name,
	    "take admin rights from")))
		return;
	if (!no_body(w))
		return;
	if (strcmp(a, "admin") == 0 || strcmp(a, "unadmin") == 0) {
		argv[0] = "admin";
		argv[1] = a[0] == 'a' ? "grant" : "revoke";
		argv[2] = name;
	} else {
		argv[0] = a;
		argv[1] = "--";
		argv[2] = name;
	}
	act(w, "soca-user", argv, "no such user");
}

void
soca_web_groups_list(struct soca_web *w)
{
	list_all(w, "soca-group", true);
}

void
soca_web_groups_add(struct soca_web *w)
{
	static const char *const keys[] = { "name", NULL };
	const char *argv[] = { "add", "--", NULL, NULL };
	struct soca_web_run r;
	long long gid;
	bool bad = false;
	const char *p;
	json_t *j;

	if (!admin_only(w) || (j = soca_web_json_body(w)) == NULL)
		return;
	argv[2] = str(j, "name", &bad);
	if (bad || argv[2] == NULL || !only_keys(j, keys)) {
		soca_web_error(w, 400, "expected {\"name\": NAME}");
		goto out;
	}
	if (!name_ok(w, "group", argv[2]) || !run(w, "soca-group", argv, NULL,
	    &r))
		goto out;
	p = strstr(r.out, " gid=");
	if (r.status != 0)
		answer(w, "the group", &r, 0);
	else if (p == NULL || sscanf(p, " gid=%lld", &gid) != 1)
		soca_web_error(w, 500, "unexpected output");
	else
		soca_web_json(w, 201, json_pack("{s:s, s:I, s:[]}", "name",
		    argv[2], "gid", (json_int_t)gid, "members"));
	soca_web_run_free(&r);
out:
	json_decref(j);
}

void
soca_web_groups_delete(struct soca_web *w)
{
	const char *argv[] = { "del", "--", w->seg[1], NULL };

	if (admin_only(w) && name_ok(w, "group", w->seg[1]))
		act(w, "soca-group", argv, "no such group");
}

static void
member(struct soca_web *w, bool add)
{
	const char *argv[] = { "member", add ? "add" : "remove", "--",
	    w->seg[1], w->seg[3], NULL };

	if (admin_only(w) && name_ok(w, "group", w->seg[1]) &&
	    name_ok(w, "user", w->seg[3]) && no_body(w))
		act(w, "soca-group", argv, "no such group or member");
}

void
soca_web_groups_member_add(struct soca_web *w)
{
	member(w, true);
}

void
soca_web_groups_member_remove(struct soca_web *w)
{
	member(w, false);
}
