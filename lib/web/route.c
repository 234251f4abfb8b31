/*
 * route.c: the table of what soca-api serves, and the dispatch.
 *
 * Owns the one list of method + path pattern -> handler ({x} matches
 * one segment, checked by its handler).  A path in the table asked with
 * another method is 405 with Allow; any other path is 404.  Every route
 * authenticates (auth.c) before its handler runs, but login, the
 * OpenAPI document and DCV's token check (dcvauth.c: DCV server asks).
 * `soca-api --routes` prints the table, so a test compares it with
 * lib/web/openapi.json.
 */
#include "config.h"

#include <string.h>

#include "web.h"

const struct soca_web_route soca_web_routes[] = {
	{ "POST", "/api/login", soca_web_login, true },
	{ "POST", "/api/logout", soca_web_logout, false },
	{ "GET", "/api/me", soca_web_me, false },
	{ "POST", "/api/me/password", soca_web_me_password, false },
	{ "GET", "/api/me/ssh-key", soca_web_me_ssh_key, false },
	{ "GET", "/api/keys", soca_web_keys_list, false },
	{ "POST", "/api/keys", soca_web_keys_create, false },
	{ "DELETE", "/api/keys/{id}", soca_web_keys_revoke, false },
	{ "GET", "/api/jobs", soca_web_jobs_list, false },
	{ "POST", "/api/jobs", soca_web_jobs_submit, false },
	{ "POST", "/api/estimate", soca_web_jobs_estimate, false },
	{ "GET", "/api/jobs/{id}", soca_web_jobs_show, false },
	{ "DELETE", "/api/jobs/{id}", soca_web_jobs_cancel, false },
	{ "PATCH", "/api/jobs/{id}", soca_web_jobs_alter, false },
	{ "POST", "/api/jobs/{id}/hold", soca_web_jobs_hold, false },
	{ "POST", "/api/jobs/{id}/release", soca_web_jobs_release, false },
	{ "GET", "/api/jobs/{id}/output/{stream}", soca_web_jobs_output,
	    false },
	{ "GET", "/api/applications", soca_web_apps_list, false },
	{ "GET", "/api/applications/{name}", soca_web_apps_show, false },
	{ "GET", "/api/queues", soca_web_queues, false },
	{ "GET", "/api/budgets", soca_web_budgets, false },
	{ "GET", "/api/desktops", soca_web_desktops_list, false },
	{ "POST", "/api/desktops", soca_web_desktops_launch, false },
	{ "GET", "/api/desktops/{name}", soca_web_desktops_show, false },
	{ "DELETE", "/api/desktops/{name}", soca_web_desktops_terminate, false },
	{ "POST", "/api/desktops/{name}/resize", soca_web_desktops_resize,
	    false },
	{ "PUT", "/api/desktops/{name}/schedule", soca_web_desktops_schedule,
	    false },
	{ "GET", "/api/desktops/{name}/connect", soca_web_desktops_connect,
	    false },
	{ "POST", "/api/desktops/{name}/{action}", soca_web_desktops_action,
	    false },
	{ "GET", "/api/files", soca_web_files_get, false },
	{ "PUT", "/api/files", soca_web_files_put, false },
	{ "DELETE", "/api/files", soca_web_files_delete, false },
	{ "POST", "/api/files/mkdir", soca_web_files_mkdir, false },
	{ "POST", "/api/files/rename", soca_web_files_rename, false },
	/* api_admin.c: administrators only */
	{ "GET", "/api/users", soca_web_users_list, false },
	{ "POST", "/api/users", soca_web_users_add, false },
	{ "GET", "/api/users/{name}", soca_web_users_show, false },
	{ "DELETE", "/api/users/{name}", soca_web_users_delete, false },
	{ "POST", "/api/users/{name}/{action}", soca_web_users_action, false },
	{ "GET", "/api/groups", soca_web_groups_list, false },
	{ "POST", "/api/groups", soca_web_groups_add, false },
	{ "DELETE", "/api/groups/{name}", soca_web_groups_delete, false },
	{ "PUT", "/api/groups/{name}/members/{user}",
	    soca_web_groups_member_add, false },
	{ "DELETE", "/api/groups/{name}/members/{user}",
	    soca_web_groups_member_remove, false },
	{ "GET", "/api/openapi.json", soca_web_openapi, true },
	{ "POST", "/api/dcv-auth", soca_web_dcv_auth, true },
	{ NULL, NULL, NULL, false },
};

static bool
match(const char *pattern, struct soca_web *w)
{
	const char *p = pattern + 4;	/* after "/api" */
	size_t i = 0, n;

	while (*p == '/') {
		p++;
		n = strcspn(p, "/");
		if (i == w->nseg)
			return false;
		if (p[0] != '{' && (strlen(w->seg[i]) != n ||
		    strncmp(p, w->seg[i], n) != 0))
			return false;
		i++;
		p += n;
	}
	return i == w->nseg;
}

void
soca_web_dispatch(struct soca_web *w)
{
	const struct soca_web_route *r, *hit = NULL;
	struct soca_buf allow = { 0 };

	for (r = soca_web_routes; r->method; r++) {
		if (!match(r->pattern, w))
			continue;
		if (hit == NULL && strcmp(r->method, w->method) == 0)
			hit = r;	/* the first: literals before {x} */
		soca_buf_addf(&allow, "%s%s", allow.len ? ", " : "", r->method);
	}
	if (hit == NULL && allow.len > 0) {
		char *h = soca_xasprintf("Allow: %s\r\n", allow.s);
		char *b = soca_xasprintf("{\"error\":\"method %s is not allowed "
		    "here (allowed: %s)\",\"status\":405}", strcmp(w->method,
		    "GET") && strcmp(w->method, "POST") && strcmp(w->method,
		    "PUT") && strcmp(w->method, "PATCH") && strcmp(w->method,
		    "DELETE") && strcmp(w->method, "HEAD") ? "this" : w->method,
		    allow.s);

		soca_web_raw(w, 405, "application/json; charset=utf-8", h, b,
		    strlen(b));
		soca_web_note(w, "refused: method");
		free(h);
		free(b);
	} else if (hit == NULL) {
		soca_web_error(w, 404, "no such resource");
	} else if (hit->noauth || soca_web_authenticate(w) == 0) {
		hit->fn(w);
	}
	soca_buf_free(&allow);
}

int
soca_web_print_routes(FILE *f)
{
	for (const struct soca_web_route *r = soca_web_routes; r->method; r++)
		fprintf(f, "%s %s\n", r->method, r->pattern);
	return ferror(f) ? 1 : 0;
}
