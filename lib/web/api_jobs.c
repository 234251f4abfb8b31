/*
 * api_jobs.c: /api/jobs and /api/estimate, by soca's job commands.
 *
 * Owns the translation of the contract's job requests into argv arrays
 * for soca-stat, soca-submit, soca-del, soca-hold, soca-release and
 * soca-alter, run as the user (spawn.c): every value is checked for its
 * JSON type and shape here (a number where a number is expected, a
 * string with no control character and no ',' that -l would split on),
 * and its meaning by the command, which answers a bad value with exit 2
 * and a message for users.  The job id of a path is checked against
 * soca's forms (12, 12[], 12[3]) before it goes anywhere.  The
 * interpreter of a script comes only from the queue's [queue]
 * interpreters.  When a command finds no job it may act on (exit 1), a
 * look with soca-stat tells a job the user may not touch or that does
 * not exist (404) from the user's own job in a state that forbids the
 * action (409).
 */
#include "config.h"

#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

bool
soca_web_jobid_ok(const char *s)
{
	size_t n = strspn(s, "0123456789"), m;

	if (n == 0 || n > 18 || s[0] == '0')
		return false;
	if (s[n] == '\0')
		return true;
	if (s[n] != '[')
		return false;
	if (strcmp(s + n, "[]") == 0)
		return true;
	m = strspn(s + n + 1, "0123456789");
	return m > 0 && m <= 9 && strcmp(s + n + 1 + m, "]") == 0;
}

static bool
text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static const char *const states[] = { "queued", "provisioning", "running",
	"done", "failed", "cancelled", NULL };

/*
 * soca-stat -J's lines as one JSON array without parsing them: each
 * line is an object soca-stat wrote (it starts with '{' and ends with
 * '}'); anything else and the answer is a 500, not a guess.
 */
static void
array_of_lines(struct soca_web *w, struct soca_web_run *r)
{
	struct soca_buf b = { 0 };
	const char *p = r->out;
	size_t n;

	soca_buf_addc(&b, '[');
	for (; *p; p += n + (p[n] != '\0')) {
		if ((n = strcspn(p, "\n")) == 0)
			continue;
		if (p[0] != '{' || p[n - 1] != '}') {
			soca_buf_free(&b);
			soca_web_error(w, 500, "unexpected output");
			return;
		}
		if (b.len > 1)
			soca_buf_addc(&b, ',');
		soca_buf_add(&b, p, n);
	}
	soca_buf_addc(&b, ']');
	soca_web_raw(w, 200, "application/json; charset=utf-8", NULL, b.s,
	    b.len);
	soca_buf_free(&b);
}

void
soca_web_jobs_list(struct soca_web *w)
{
	static const char *const qk[] = { "state", "user", "queue", "project",
		"history", NULL };
	const char *argv[10];
	char *st, *us, *qu, *pr, *hi;
	struct soca_web_run r;
	size_t n = 0;
	int bad = 0;
	json_t *a, *o, *v;

	st = soca_web_query(w, "state", &bad);
	us = soca_web_query(w, "user", &bad);
	qu = soca_web_query(w, "queue", &bad);
	pr = soca_web_query(w, "project", &bad);
	hi = soca_web_query(w, "history", &bad);
	if (bad || !soca_web_query_only(w, qk) ||
	    (st && !soca_web_in_list(st, states)) || (us && !soca_name_ok(us)) ||
	    (qu && !soca_name_ok(qu)) || (pr && !soca_name_ok(pr)) ||
	    (hi && strcmp(hi, "0") != 0 && strcmp(hi, "1") != 0)) {
		soca_web_error(w, 400, "bad query: state is one of queued, "
		    "provisioning, running, done, failed, cancelled; user, "
		    "queue and project are names; history is 0 or 1");
		goto out;
	}
	argv[n++] = "-J";
	if ((hi && strcmp(hi, "1") == 0) || (st && soca_web_in_list(st, states + 3)))
		argv[n++] = "-x";
	if (st)
		argv[n++] = "-s", argv[n++] = st;
	if (us)
		argv[n++] = "-u", argv[n++] = us;
	if (qu)
		argv[n++] = "-q", argv[n++] = qu;
	argv[n] = NULL;
	if (soca_web_run(w, "soca-stat", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		goto out;
	}
	if (r.status == 0 && pr == NULL && !r.truncated) {
		array_of_lines(w, &r);	/* no filter: no parse, as it is */
	} else if (r.status != 0 || (a = soca_web_jsonl(r.out)) == NULL) {
		soca_web_answer_run(w, "no such jobs", &r, 0);
		if (r.status == 0)
			soca_web_error(w, 500, "unexpected output");
	} else {
		for (size_t i = json_array_size(a); pr && i-- > 0;) {
			o = json_array_get(a, i);
			v = json_object_get(o, "project");
			if (!json_is_string(v) || strcmp(json_string_value(v),
			    pr) != 0)
				json_array_remove(a, i);
		}
		soca_web_json(w, 200, a);
	}
	soca_web_run_free(&r);
out:
	free(st), free(us), free(qu), free(pr), free(hi);
}

static bool
path_id(struct soca_web *w)
{
	if (!soca_web_jobid_ok(w->seg[1])) {
		soca_web_error(w, 400, "bad job id: expected a number, N[] or "
		    "N[M]");
		return false;
	}
	return true;
}

void
soca_web_jobs_show(struct soca_web *w)
{
	const char *argv[] = { "-f", "-J", "-x", w->seg[1], NULL };
	struct soca_web_run r;
	json_t *a;

	if (!path_id(w))
		return;
	if (soca_web_run(w, "soca-stat", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		return;
	}
	if (r.status == 0 && (a = soca_web_jsonl(r.out)) != NULL) {
		if (json_array_size(a) == 1)
			soca_web_json(w, 200, json_incref(json_array_get(a, 0)));
		else
			soca_web_error(w, 404, "no such job");
		json_decref(a);
	} else {
		soca_web_answer_run(w, "no such job", &r, 0);
		soca_web_error(w, 500, "unexpected output");
	}
	soca_web_run_free(&r);
}

/* exit 1 of a job command: someone else's or none (404), or a state */
static void
not_done(struct soca_web *w, const char *verb)
{
	const char *argv[] = { "-J", "-x", w->seg[1], NULL };
	struct soca_web_run r;
	const char *owner, *state;
	json_t *a, *j;

	if (soca_web_run(w, "soca-stat", argv, NULL, 0, &r) == 0 &&
	    r.status == 0 && (a = soca_web_jsonl(r.out)) != NULL) {
		j = json_array_get(a, 0);
		owner = json_string_value(json_object_get(j, "user"));
		state = json_string_value(json_object_get(j, "state"));
		if (j != NULL && owner && state &&
		    (strcmp(owner, w->user) == 0 || w->admin))
			soca_web_error(w, 409, "job %s is %s: it cannot be %s",
			    w->seg[1], state, verb);
		json_decref(a);
	}
	soca_web_run_free(&r);
	soca_web_error(w, 404, "no such job");
}

static void
control(struct soca_web *w, const char *cmd, const char *verb)
{
	const char *argv[] = { w->seg[1], NULL };
	struct soca_web_run r;

	if (!path_id(w))
		return;
	if (soca_web_run(w, cmd, argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		return;
	}
	if (r.status == 1)
		not_done(w, verb);
	else
		soca_web_answer_run(w, "no such job", &r, 204);
	soca_web_run_free(&r);
}

void
soca_web_jobs_cancel(struct soca_web *w)
{
	control(w, "soca-del", "cancelled");
}

void
soca_web_jobs_hold(struct soca_web *w)
{
	control(w, "soca-hold", "held");
}

void
soca_web_jobs_release(struct soca_web *w)
{
	control(w, "soca-release", "released");
}

/* ---- building soca-submit's and soca-alter's options ---- */

struct args {
	char **v;
	size_t n;
};

static void
push(struct args *a, const char *s)
{
	a->v = soca_xreallocarray(a->v, a->n + 2, sizeof(*a->v));
	a->v[a->n++] = soca_xstrdup(s);
	a->v[a->n] = NULL;
}

static void
args_free(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

static bool
key_ok(const char *k)
{
	if (!islower((unsigned char)*k) || strlen(k) > 64)
		return false;
	for (; *k; k++)
		if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k)
		    && *k != '_')
			return false;
	return true;
}

/* NULL, or why the field is refused (static text) */
static const char *
resources(json_t *res, struct args *a)
{
	const char *k;
	json_t *v;
	char *s;

	if (!json_is_object(res))
		return "resources must be an object of key: value";
	json_object_foreach(res, k, v) {
		if (!key_ok(k))
			return "a resource name is lowercase letters, digits "
			    "and '_'";
		if (json_is_string(v)) {
			if (!text_ok(json_string_value(v)) || strchr(
			    json_string_value(v), ',') || !*json_string_value(v))
				return "a resource value is a non-empty string "
				    "without ',' or control characters";
			s = soca_xasprintf("%s=%s", k, json_string_value(v));
		} else if (json_is_integer(v))
			s = soca_xasprintf("%s=%" JSON_INTEGER_FORMAT, k,
			    json_integer_value(v));
		else if (json_is_real(v))
			s = soca_xasprintf("%s=%.17g", k, json_real_value(v));
		else if (json_is_boolean(v))
			s = soca_xasprintf("%s=%s", k, json_is_true(v) ? "yes" :
			    "no");
		else
			return "a resource value is a string, a number or a "
			    "boolean";
		push(a, "-l");
		push(a, s);
		free(s);
	}
	return NULL;
}

static const char *
opt_string(json_t *j, const char *field, const char *flag, struct args *a)
{
	json_t *v = json_object_get(j, field);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || !*json_string_value(v) ||
	    !text_ok(json_string_value(v)) ||
	    json_string_length(v) != strlen(json_string_value(v)))
		return "must be a non-empty string without control characters";
	push(a, flag);
	push(a, json_string_value(v));
	return NULL;
}

static const char *
interpreter(struct soca_web *w, json_t *j, struct args *a)
{
	json_t *v = json_object_get(j, "interpreter");
	const char *q = json_string_value(json_object_get(j, "queue"));
	char **l;
	size_t n;
	bool ok = false;

	if (v == NULL)
		return NULL;
	if (!json_is_string(v))
		return "must be a string";
	if (q == NULL)
		q = soca_conf_get(w->conf, "cluster", NULL, "default_queue");
	if (!soca_conf_has_section(w->conf, "queue", q))
		return "names no interpreter of an unknown queue";
	n = soca_conf_list(w->conf, "queue", q, "interpreters", &l);
	for (size_t i = 0; i < n && !ok; i++)
		ok = strcmp(l[i], json_string_value(v)) == 0;
	soca_strv_free(l, n);
	if (!ok)
		return "is not one of the queue's interpreters (GET /api/queues)";
	push(a, "-S");
	push(a, json_string_value(v));
	return NULL;
}

static bool
fields_ok(struct soca_web *w, json_t *j, const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach(j, k, v) {
		if (!soca_web_in_list(k, known)) {
			soca_web_error(w, 400, "unknown field \"%.64s\"", k);
			return false;
		}
	}
	return true;
}

static bool
build(struct soca_web *w, json_t *j, struct args *a, bool submit)
{
	static const char *const sk[] = { "script", "name", "queue", "project",
		"interpreter", "resources", "hold", NULL };
	static const char *const ak[] = { "name", "queue", "project",
		"resources", NULL };
	static const char *const f[] = { "name", "queue", "project" };
	static const char *const fl[] = { "-N", "-q", "-P" };
	const char *why;
	json_t *res;

	if (!fields_ok(w, j, submit ? sk : ak))
		return false;
	for (size_t i = 0; i < 3; i++)
		if ((why = opt_string(j, f[i], fl[i], a)) != NULL) {
			soca_web_error(w, 400, "%s %s", f[i], why);
			return false;
		}
	if (submit && (why = interpreter(w, j, a)) != NULL) {
		soca_web_error(w, 400, "interpreter %s", why);
		return false;
	}
	if ((res = json_object_get(j, "resources")) != NULL &&
	    (why = resources(res, a)) != NULL) {
		soca_web_error(w, 400, "%s", why);
		return false;
	}
	return true;
}

/* the script, with "#PBS -h" after its #! line when hold is asked for */
static char *
script(struct soca_web *w, json_t *j, size_t *len)
{
	json_t *s = json_object_get(j, "script"), *h = json_object_get(j,
	    "hold");
	const char *t;
	size_t first;

	if (!json_is_string(s) || json_string_length(s) == 0 ||
	    json_string_length(s) != strlen(json_string_value(s))) {
		soca_web_error(w, 400, "script must be a non-empty string "
		    "without NUL");
		return NULL;
	}
	if (h != NULL && !json_is_boolean(h)) {
		soca_web_error(w, 400, "hold must be true or false");
		return NULL;
	}
	t = json_string_value(s);
	if (!json_is_true(h)) {
		*len = strlen(t);
		return soca_xstrdup(t);
	}
	first = strncmp(t, "#!", 2) == 0 ? strcspn(t, "\n") : 0;
	char *out = soca_xasprintf("%.*s%s#PBS -h\n%s", (int)first, t,
	    first ? "\n" : "", t + first + (first && t[first] ? 1 : 0));
	*len = strlen(out);
	return out;
}

static void
submit(struct soca_web *w, bool estimate)
{
	json_t *j = soca_web_json_body(w);
	struct args a = { 0 };
	struct soca_web_run r;
	char *body = NULL;
	size_t len = 0;
	json_t *o;

	if (j == NULL)
		return;
	if (json_object_get(j, "application") != NULL) {
		/* an application profile's form: a script submission made */
		o = soca_web_apps_submission(w, j);
		json_decref(j);
		if ((j = o) == NULL)
			return;
	}
	if (estimate) {
		push(&a, "--estimate");
		push(&a, "--json");
	}
	if (!build(w, j, &a, true) || (body = script(w, j, &len)) == NULL)
		goto out;
	if (a.v == NULL)
		push(&a, "-q"), push(&a, soca_conf_get(w->conf, "cluster",
		    NULL, "default_queue"));
	if (soca_web_run(w, "soca-submit", (const char *const *)a.v, body,
	    len, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		goto out;
	}
	if (r.status == 0 && estimate &&
	    (o = json_loadb(r.out, r.outlen, 0, NULL)) != NULL)
		soca_web_json(w, 200, o);
	else if (r.status == 0 && !estimate) {
		r.out[strcspn(r.out, "\n")] = '\0';
		soca_web_note(w, "job %s", r.out);
		soca_web_json(w, 201, json_pack("{s:s}", "id", r.out));
	} else {
		soca_web_answer_run(w, "no such queue or project", &r, 0);
		soca_web_error(w, 500, "unexpected output");
	}
	soca_web_run_free(&r);
out:
	free(body);
	args_free(&a);
	json_decref(j);
}

void
soca_web_jobs_submit(struct soca_web *w)
{
	submit(w, false);
}

void
soca_web_jobs_estimate(struct soca_web *w)
{
	submit(w, true);
}

void
soca_web_jobs_alter(struct soca_web *w)
{
	struct args a = { 0 };
	struct soca_web_run r;
	json_t *j;

	if (!path_id(w) || (j = soca_web_json_body(w)) == NULL)
		return;
	if (!build(w, j, &a, false))
		goto out;
	if (a.n == 0) {
		soca_web_error(w, 400, "nothing to alter: give name, queue, "
		    "project or resources");
		goto out;
	}
	push(&a, w->seg[1]);
	if (soca_web_run(w, "soca-alter", (const char *const *)a.v, NULL, 0,
	    &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		goto out;
	}
	if (r.status == 1)
		not_done(w, "altered");
	else
		soca_web_answer_run(w, "no such job", &r, 204);
	soca_web_run_free(&r);
out:
	args_free(&a);
	json_decref(j);
}

/* ---- a job's output: its path as soca_job_outpath() makes it ---- */

static char *
subst_index(const char *p, json_t *j)
{
	static const char tag[] = "^array_index^";
	json_t *idx = json_object_get(j, "array_index");
	struct soca_buf b = { 0 };
	const char *t;

	while (json_is_integer(idx) && (t = strstr(p, tag)) != NULL) {
		soca_buf_add(&b, p, (size_t)(t - p));
		soca_buf_addf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(idx));
		p = t + sizeof(tag) - 1;
	}
	soca_buf_adds(&b, p);
	return soca_buf_steal(&b);
}

static char *
outpath(json_t *j, bool err)
{
	const char *wd = json_string_value(json_object_get(j, "workdir"));
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *p = json_string_value(json_object_get(j, err ? "err" :
	    "out"));
	bool join = json_is_true(json_object_get(j, "join"));
	json_t *aid = json_object_get(j, "array_id");
	json_t *idx = json_object_get(j, "array_index");
	json_t *id = json_object_get(j, "id");
	char c = err && !join ? 'e' : 'o', *s, *r;

	if (wd == NULL || name == NULL)
		return NULL;
	if (err && join)
		p = json_string_value(json_object_get(j, "out"));
	if (p != NULL) {
		s = subst_index(p, j);
		if (s[0] == '/')
			return s;
		r = soca_xasprintf("%s/%s", wd, s);
		free(s);
		return r;
	}
	if (json_is_integer(aid) && json_is_integer(idx))
		return soca_xasprintf("%s/%s.%c%" JSON_INTEGER_FORMAT ".%"
		    JSON_INTEGER_FORMAT, wd, name, c, json_integer_value(aid),
		    json_integer_value(idx));
	if (!json_is_integer(id))
		return NULL;
	return soca_xasprintf("%s/%s.%c%" JSON_INTEGER_FORMAT, wd, name, c,
	    json_integer_value(id));
}

void
soca_web_jobs_output(struct soca_web *w)
{
	const char *argv[] = { "-f", "-J", "-x", w->seg[1], NULL };
	const char *stream = w->seg[3], *owner;
	struct soca_web_run r;
	struct passwd *pw;
	char *path = NULL;
	json_t *a = NULL, *j;
	size_t hl;

	if (strcmp(w->seg[2], "output") != 0 || (strcmp(stream, "stdout") &&
	    strcmp(stream, "stderr"))) {
		soca_web_error(w, 404, "no such resource");
		return;
	}
	if (!path_id(w))
		return;
	if (soca_web_run(w, "soca-stat", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		return;
	}
	if (r.status == 0 && (a = soca_web_jsonl(r.out)) != NULL &&
	    json_array_size(a) == 1) {
		j = json_array_get(a, 0);
		owner = json_string_value(json_object_get(j, "user"));
		/* only the owner's: the file is read as the asking user */
		if (owner != NULL && strcmp(owner, w->user) == 0)
			path = outpath(j, strcmp(stream, "stderr") == 0);
	}
	soca_web_run_free(&r);
	json_decref(a);
	pw = getpwnam(w->user);
	hl = pw ? strlen(pw->pw_dir) : 0;
	if (path == NULL || pw == NULL || strncmp(path, pw->pw_dir, hl) != 0 ||
	    path[hl] != '/')
		soca_web_error(w, 404, "no such output");
	else
		soca_web_files_send(w, path + hl + 1,
		    "text/plain; charset=utf-8");
	free(path);
}
