/*
 * api_desktops.c: /api/desktops, by soca-desktop(1) run as the user.
 *
 * Owns the translation of desktop requests into soca-desktop's verbs
 * (list, show, launch, stop, start, hibernate, resize, terminate,
 * schedule, connect).  A desktop name is checked by soca's name rules
 * before it goes anywhere; a desktop is always the asking user's own
 * (soca-desktop keeps them per user), so another user's name is just a
 * name that does not exist.  When soca-desktop finds nothing to act on
 * (exit 1), show tells a missing desktop (404) from one whose state
 * forbids the action (409: resize while running).  With [desktop]
 * dcv_auth = token, connect adds a DCV token (dcvauth.c) to the URL and
 * the .dcv file of a running desktop.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

static bool
name_ok(struct soca_web *w, const char *n)
{
	if (n != NULL && soca_name_ok(n))
		return true;
	soca_web_error(w, 400, "bad desktop name: letters, digits, '.', '_' "
	    "and '-', at most 64, not starting with '.' or '-'");
	return false;
}

static bool
run(struct soca_web *w, const char *const *argv, struct soca_web_run *r)
{
	if (soca_web_run(w, "soca-desktop", argv, NULL, 0, r) == 0)
		return true;
	soca_web_error(w, 403, "this account may not use the web door");
	return false;
}

/* exit 1: no such desktop (404), or its state forbids it (409) */
static void
answer(struct soca_web *w, struct soca_web_run *r, int ok)
{
	const char *argv[] = { "show", "-J", w->seg[1], NULL };
	struct soca_web_run s;

	if (r->status != 1) {
		soca_web_answer_run(w, "no such desktop", r, ok);
		return;
	}
	if (run(w, argv, &s) && s.status == 0)
		soca_web_error(w, 409, "desktop %s: not in a state that allows "
		    "this", w->seg[1]);
	else
		soca_web_error(w, 404, "no such desktop");
	soca_web_run_free(&s);
}

void
soca_web_desktops_list(struct soca_web *w)
{
	const char *argv[] = { "list", "-J", NULL };
	struct soca_web_run r;
	json_t *a;

	if (*w->query != '\0') {
		soca_web_error(w, 400, "no query parameters are known here");
		return;
	}
	if (!run(w, argv, &r))
		return;
	if (r.status == 0 && (a = soca_web_jsonl(r.out)) != NULL)
		soca_web_json(w, 200, a);
	else {
		soca_web_answer_run(w, "no desktops", &r, 0);
		soca_web_error(w, 500, "unexpected output");
	}
	soca_web_run_free(&r);
}

void
soca_web_desktops_show(struct soca_web *w)
{
	const char *argv[] = { "show", "-J", w->seg[1], NULL };
	struct soca_web_run r;
	json_t *a;

	if (!name_ok(w, w->seg[1]) || !run(w, argv, &r))
		return;
	if (r.status == 0 && (a = soca_web_jsonl(r.out)) != NULL) {
		if (json_array_size(a) == 1)
			soca_web_json(w, 200, json_incref(json_array_get(a, 0)));
		else
			soca_web_error(w, 404, "no such desktop");
		json_decref(a);
	} else {
		soca_web_answer_run(w, "no such desktop", &r, 0);
		soca_web_error(w, 500, "unexpected output");
	}
	soca_web_run_free(&r);
}

static const char *
str(json_t *j, const char *k, bool *bad)
{
	json_t *v = json_object_get(j, k);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || !soca_name_ok(json_string_value(v))) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

void
soca_web_desktops_launch(struct soca_web *w)
{
	static const char *const known[] = { "name", "type", "image",
		"root_size", "hibernate", "project", NULL };
	json_t *j = soca_web_json_body(w), *v;
	const char *argv[16], *k;
	struct soca_web_run r;
	bool bad = false;
	char size[32];
	size_t n = 0;

	if (j == NULL)
		return;
	json_object_foreach(j, k, v) {
		bool ok = false;

		for (size_t i = 0; known[i]; i++)
			ok = ok || strcmp(k, known[i]) == 0;
		bad = bad || !ok;
	}
	argv[n++] = "launch";
	argv[n++] = str(j, "name", &bad);
	if (argv[1] == NULL)
		bad = true;
	if (str(j, "type", &bad))
		argv[n++] = "-t", argv[n++] = str(j, "type", &bad);
	if (str(j, "image", &bad))
		argv[n++] = "-i", argv[n++] = str(j, "image", &bad);
	if (str(j, "project", &bad))
		argv[n++] = "-P", argv[n++] = str(j, "project", &bad);
	if ((v = json_object_get(j, "root_size")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65536)
			bad = true;
		snprintf(size, sizeof(size), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		argv[n++] = "--root-size", argv[n++] = size;
	}
	if ((v = json_object_get(j, "hibernate")) != NULL &&
	    !json_is_boolean(v))
		bad = true;
	if (json_is_true(v))
		argv[n++] = "--hibernate";
	argv[n] = NULL;
	if (bad)
		soca_web_error(w, 400, "expected {\"name\": NAME} with optional "
		    "\"type\", \"image\", \"project\" (names), \"root_size\" "
		    "(GiB, an integer) and \"hibernate\" (a boolean)");
	else if (run(w, argv, &r)) {
		if (r.status == 0)
			soca_web_json(w, 201, json_pack("{s:s}", "name",
			    argv[1]));
		else
			soca_web_answer_run(w, "no such desktop", &r, 0);
		soca_web_run_free(&r);
	}
	json_decref(j);
}

static void
verb(struct soca_web *w, const char *v)
{
	const char *argv[] = { v, w->seg[1], NULL };
	struct soca_web_run r;

	if (!name_ok(w, w->seg[1]) || !run(w, argv, &r))
		return;
	answer(w, &r, 204);
	soca_web_run_free(&r);
}

void
soca_web_desktops_terminate(struct soca_web *w)
{
	verb(w, "terminate");
}

void
soca_web_desktops_action(struct soca_web *w)
{
	const char *a = w->seg[2];

	if (strcmp(a, "stop") && strcmp(a, "start") && strcmp(a, "hibernate"))
		soca_web_error(w, 404, "no such resource");
	else
		verb(w, a);
}

void
soca_web_desktops_resize(struct soca_web *w)
{
	json_t *j = soca_web_json_body(w);
	const char *argv[] = { "resize", w->seg[1], NULL, NULL };
	struct soca_web_run r;
	bool bad = false;

	if (j == NULL)
		return;
	if (!name_ok(w, w->seg[1]))
		goto out;
	argv[2] = str(j, "type", &bad);
	if (argv[2] == NULL || bad || json_object_size(j) != 1)
		soca_web_error(w, 400, "expected {\"type\": INSTANCE_TYPE}");
	else if (run(w, argv, &r)) {
		answer(w, &r, 204);
		soca_web_run_free(&r);
	}
out:
	json_decref(j);
}

static bool
window_ok(const char *s, const char *chars)
{
	if (*s == '\0' || *s == '-' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(chars, *s))
			return false;
	return true;
}

void
soca_web_desktops_schedule(struct soca_web *w)
{
	json_t *j = soca_web_json_body(w), *win, *v, *tz, *clr;
	const char **argv = NULL, *k;
	struct soca_web_run r;
	size_t n = 0;
	bool bad;

	if (j == NULL)
		return;
	win = json_object_get(j, "windows");
	tz = json_object_get(j, "tz");
	clr = json_object_get(j, "clear");
	bad = !name_ok(w, w->seg[1]) || (win && !json_is_object(win)) ||
	    (tz && (!json_is_string(tz) || !window_ok(json_string_value(tz),
	    "/_+-"))) || (clr && !json_is_boolean(clr)) ||
	    json_object_size(j) != (size_t)(!!win + !!tz + !!clr) ||
	    (!win && !json_is_true(clr));
	argv = soca_xcalloc(8 + 2 * json_object_size(win ? win : j),
	    sizeof(*argv));
	argv[n++] = "schedule";
	argv[n++] = w->seg[1];
	if (tz && !bad)
		argv[n++] = "--tz", argv[n++] = json_string_value(tz);
	if (json_is_true(clr))
		argv[n++] = "--clear";
	json_object_foreach(win, k, v) {
		if (!window_ok(k, ",-") || !json_is_string(v) ||
		    !window_ok(json_string_value(v), ":-,"))
			bad = true;
		argv[n++] = k;
		argv[n++] = json_string_value(v);
	}
	if (bad)
		soca_web_error(w, 400, "expected {\"tz\": ZONE, \"windows\": "
		    "{\"mon-fri\": \"08:00-18:00\", ...}} or {\"clear\": true}");
	else if (run(w, argv, &r)) {
		answer(w, &r, 204);
		soca_web_run_free(&r);
	}
	free(argv);
	json_decref(j);
}

/*
 * [desktop] dcv_auth = token: a token for the desktop's session, from
 * soca-desktop's own answer as the user (never from the request), only
 * while it runs; NULL otherwise
 */
static char *
token(struct soca_web *w)
{
	const char *argv[] = { "show", "-J", w->seg[1], NULL };
	const char *mode = soca_conf_get(w->conf, "desktop", NULL, "dcv_auth");
	struct soca_web_run r;
	const char *st, *ses, *id, *own;
	char *t = NULL;
	json_t *a, *d;

	if (mode == NULL || strcmp(mode, "token") != 0 || !run(w, argv, &r))
		return NULL;
	if (r.status == 0 && (a = soca_web_jsonl(r.out)) != NULL) {
		d = json_array_size(a) == 1 ? json_array_get(a, 0) : NULL;
		st = json_string_value(json_object_get(d, "state"));
		ses = json_string_value(json_object_get(d, "session"));
		id = json_string_value(json_object_get(d, "id"));
		own = json_string_value(json_object_get(d, "owner"));
		if (st && ses && id && own && strcmp(st, "running") == 0 &&
		    strcmp(own, w->user) == 0 && soca_name_ok(ses) &&
		    soca_name_ok(id) && strcmp(ses, "-") != 0)
			t = soca_web_dcv_token(w, ses, own, id);
		json_decref(a);
	}
	soca_web_run_free(&r);
	return t;
}

void
soca_web_desktops_connect(struct soca_web *w)
{
	const char *argv[] = { "connect", w->seg[1], NULL };
	struct soca_web_run r;
	char *url, *nl, *host, *port, *ses, *dcv, *tok, *h;
	json_t *o;

	if (!name_ok(w, w->seg[1]) || !run(w, argv, &r))
		return;
	if (r.status != 0) {
		answer(w, &r, 0);
		soca_web_run_free(&r);
		return;
	}
	while (r.outlen > 0 && r.out[r.outlen - 1] == '\n')
		r.out[--r.outlen] = '\0';
	url = (nl = strrchr(r.out, '\n')) ? nl + 1 : r.out;
	tok = token(w);
	if (tok != NULL && (h = strchr(url, '#')) != NULL && !strchr(url, '?')) {
		/* DCV's web client: https://HOST:PORT/?authToken=T#SESSION */
		char *u = soca_xasprintf("%.*s?authToken=%s%s", (int)(h - url),
		    url, tok, h);

		o = json_pack("{s:s, s:s}", "url", u, "token", tok);
		free(u);
		soca_web_note(w, "dcv token made");
	} else
		o = json_pack("{s:s}", "url", url);
	if (nl != NULL)
		json_object_set_new(o, "ssh", json_stringn(r.out,
		    (size_t)(nl - r.out)));
	/* https://HOST:PORT/#SESSION: the DCV file the client opens */
	host = soca_xstrdup(url + (strncmp(url, "https://", 8) ? 0 : 8));
	if ((ses = strchr(host, '#')) != NULL && (port = strchr(host, ':'))) {
		*port++ = '\0';
		*strchr(port, '/') = '\0';
		dcv = soca_xasprintf("[version]\nformat=1.0\n\n[connect]\n"
		    "host=%s\nport=%s\nsessionid=%s\nuser=%s\nweburlpath=\n"
		    "%s%s%s", host, port, ses + 1, w->user,
		    json_object_get(o, "token") ? "authtoken=" : "",
		    json_object_get(o, "token") ? tok : "",
		    json_object_get(o, "token") ? "\n" : "");
		json_object_set_new(o, "dcv_file", json_string(dcv));
		free(dcv);
	}
	free(host);
	if (tok != NULL)
		explicit_bzero(tok, strlen(tok));
	free(tok);
	soca_web_json(w, 200, o);
	soca_web_run_free(&r);
}
