/*
 * api_misc.c: /api/me, /api/queues, /api/budgets, /api/openapi.json.
 *
 * Owns the answers that are not about jobs or keys: who the request
 * acts as (with the CGI's own euid, for anyone to check it is never
 * root), the queues' policy as soca.conf(5) sets it (the configuration
 * is readable by everyone; every key a queue sets, and its
 * interpreters), projects' spend through soca-budget -J status run as
 * the user, and the OpenAPI document from [web] openapi.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web.h"

#ifndef DATADIR
#define DATADIR "/usr/share"
#endif

void
soca_web_me(struct soca_web *w)
{
	json_t *g = json_array();
	gid_t *gs;
	int ng = 64;
	struct group *gr;

	gs = soca_xcalloc((size_t)ng, sizeof(*gs));
	if (getgrouplist(w->user, w->gid, gs, &ng) < 0) {
		gs = soca_xreallocarray(gs, (size_t)ng, sizeof(*gs));
		if (getgrouplist(w->user, w->gid, gs, &ng) < 0)
			ng = 0;
	}
	for (int i = 0; i < ng; i++)
		if ((gr = getgrgid(gs[i])) != NULL)
			json_array_append_new(g, json_string(gr->gr_name));
	free(gs);
	soca_web_json(w, 200, json_pack("{s:s, s:I, s:b, s:o, s:I}", "user",
	    w->user, "uid", (json_int_t)w->uid, "admin", w->admin, "groups", g,
	    "server_euid", (json_int_t)geteuid()));
}

/* a list as an array, a number or a yes/no as itself, else the text */
static json_t *
value(const struct soca_key *k, const char *v)
{
	json_t *a;
	char **l;
	size_t n;
	bool b;

	if (k->type == SOCA_T_LIST && soca_split_list(v, &l, &n) == 0) {
		a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_string(l[i]));
		soca_strv_free(l, n);
		return a;
	}
	if (k->type == SOCA_T_INT)
		return json_integer(atoll(v));
	if (k->type == SOCA_T_BOOL && soca_parse_bool(v, &b) == 0)
		return json_boolean(b);
	return json_string(v);
}

void
soca_web_queues(struct soca_web *w)
{
	const struct soca_section_schema *s = soca_schema_section("queue");
	json_t *a = json_array(), *q;
	char **names;
	size_t n;

	if (*w->query != '\0') {
		soca_web_error(w, 400, "no query parameters are known here");
		json_decref(a);
		return;
	}
	n = soca_conf_names(w->conf, "queue", &names);
	for (size_t i = 0; i < n; i++) {
		q = json_pack("{s:s}", "name", names[i]);
		for (const struct soca_key *k = s->keys; k->name; k++) {
			const char *v = soca_conf_get(w->conf, "queue",
			    names[i], k->name);

			if (v != NULL && (soca_conf_isset(w->conf, "queue",
			    names[i], k->name) || strcmp(k->name,
			    "interpreters") == 0 || strcmp(k->name,
			    "enabled") == 0))
				json_object_set_new(q, k->name, value(k, v));
		}
		json_array_append_new(a, q);
	}
	soca_strv_free(names, n);
	soca_web_json(w, 200, a);
}

void
soca_web_budgets(struct soca_web *w)
{
	const char *argv[] = { "-J", "status", NULL };
	struct soca_web_run r;
	json_t *a = NULL, *j;
	const char *p;
	size_t len;

	if (soca_web_run(w, "soca-budget", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		return;
	}
	if (r.status == 0) {
		a = json_array();
		for (p = r.out; *p; p += len + (p[len] != '\0')) {
			len = strcspn(p, "\n");
			if (len == 0)
				continue;
			if ((j = json_loadb(p, len, 0, NULL)) == NULL) {
				json_decref(a);
				a = NULL;
				break;
			}
			json_array_append_new(a, j);
		}
	}
	if (a != NULL)
		soca_web_json(w, 200, a);
	else {
		soca_web_answer_run(w, "no such project", &r, 0);
		soca_web_error(w, 500, "unexpected output");
	}
	soca_web_run_free(&r);
}

void
soca_web_openapi(struct soca_web *w)
{
	const char *path = soca_conf_get(w->conf, "web", NULL, "openapi");
	struct soca_buf b = { 0 };
	char buf[65536];
	ssize_t n;
	int fd;

	if (path == NULL)
		path = DATADIR "/soca/openapi.json";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		soca_web_note(w, "[web] openapi %s: cannot open it", path);
		soca_web_error(w, 503, "the API document is unavailable");
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		soca_buf_add(&b, buf, (size_t)n);
	close(fd);
	soca_web_raw(w, 200, "application/json; charset=utf-8", NULL,
	    b.s ? b.s : "", b.len);
	soca_buf_free(&b);
}
