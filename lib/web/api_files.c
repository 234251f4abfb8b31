/*
 * api_files.c: /api/files, the file browser, by soca-files(1).
 *
 * Owns the translation of file requests into soca-files run as the user
 * (ls -J, stat -J, cat, put --max, mkdir, rm, mv), so every file
 * operation happens after the switch to the user: the kernel's
 * permissions are the only ones, and soca-files confines paths beneath
 * the home (openat2 RESOLVE_BENEATH).  Paths are checked here first as
 * well (relative, no "." or ".." component, no empty one, no control
 * character, at most 4095 bytes) and passed after "--".  Downloads and
 * uploads are streamed through the command's pipes, never held whole;
 * an upload is capped at [web] max_upload (413) both here and by
 * soca-files put --max.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web.h"

/* relative to the home, no ".", ".." or empty part; "." alone is the home */
bool
soca_web_path_ok(const char *p)
{
	const char *c = p;
	size_t n;

	if (p == NULL || *p == '\0' || *p == '/' || strlen(p) > 4095)
		return false;
	for (; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	for (c = p;; c += n + 1) {
		n = strcspn(c, "/");
		if (n == 0 || n > 255 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return strcmp(p, ".") == 0;
		if (c[n] == '\0')
			return true;
	}
}

static bool
bad_path(struct soca_web *w, const char *p)
{
	if (soca_web_path_ok(p))
		return false;
	soca_web_error(w, 400, "bad path: relative to your home, without "
	    "\".\" or \"..\" components, empty components or control "
	    "characters");
	return true;
}

/* the query's path; NULL after answering */
static char *
qpath(struct soca_web *w, bool dot)
{
	static const char *const qk[] = { "path", NULL };
	int bad = 0;
	char *p = soca_web_query(w, "path", &bad);

	if (bad || !soca_web_query_only(w, qk)) {
		free(p);
		soca_web_error(w, 400, "bad query: only ?path=PATH is known");
		return NULL;
	}
	if (p == NULL && dot)
		p = soca_xstrdup(".");
	if (bad_path(w, p) || (!dot && strcmp(p, ".") == 0)) {
		soca_web_error(w, 400, "bad path: it names your home");
		free(p);
		return NULL;
	}
	return p;
}

/* soca-files' exit 1 is several things: its message says which */
static void
answer(struct soca_web *w, struct soca_web_run *r, int okstatus)
{
	char *m;

	if (r->status != 1) {
		soca_web_answer_run(w, "not found", r, okstatus);
		return;
	}
	m = soca_web_first_err(r);
	if (strstr(m, ": exists") || strstr(m, ": not empty"))
		soca_web_error(w, 409, "%s", strstr(m, ": exists") ?
		    "it exists already" : "the directory is not empty");
	else if (strstr(m, ": permission denied"))
		soca_web_error(w, 403, "permission denied");
	else
		soca_web_error(w, 404, "not found");
	free(m);
}

static void
download(struct soca_web *w, const char *p, json_t *st, const char *ctype)
{
	const char *argv[] = { "cat", "--", p, NULL };
	const char *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	struct soca_buf h = { 0 };
	struct soca_web_run r;

	/* the name in the header: only harmless characters */
	soca_buf_adds(&h, "Content-Disposition: attachment; filename=\"");
	for (; *base; base++)
		soca_buf_addc(&h, strchr("\"\\;", *base) ||
		    (unsigned char)*base >= 0x80 ? '_' : *base);
	soca_buf_addf(&h, "\"\r\nContent-Length: %" JSON_INTEGER_FORMAT
	    "\r\n", json_integer_value(json_object_get(st, "size")));
	/* headers first: the bytes follow as soca-files writes them */
	w->answered = true;
	w->status = 200;
	printf("Status: 200 OK\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\nContent-Security-Policy: "
	    "default-src 'none'; sandbox\r\nContent-Type: %s\r\n%s\r\n",
	    ctype, h.s);
	fflush(stdout);
	soca_buf_free(&h);
	if (soca_web_run_io(w, "soca-files", argv, NULL, 0, -1, 0,
	    STDOUT_FILENO, &r) == 0)
		soca_web_run_free(&r);
	soca_web_note(w, "download");
}

void
soca_web_files_get(struct soca_web *w)
{
	const char *argv[] = { "stat", "-J", "--", NULL, NULL };
	struct soca_web_run r;
	char *p = qpath(w, true);
	json_t *a, *st;
	const char *type;

	if (p == NULL)
		return;
	argv[3] = p;
	if (soca_web_run(w, "soca-files", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		goto out;
	}
	if (r.status != 0 || (a = soca_web_jsonl(r.out)) == NULL ||
	    json_array_size(a) != 1) {
		answer(w, &r, 0);
		soca_web_error(w, 500, "unexpected output");
		soca_web_run_free(&r);
		goto out;
	}
	soca_web_run_free(&r);
	st = json_array_get(a, 0);
	type = json_string_value(json_object_get(st, "type"));
	if (type && strcmp(type, "file") == 0) {
		download(w, p, st, "application/octet-stream");
	} else if (type && strcmp(type, "dir") == 0) {
		argv[0] = "ls";
		if (soca_web_run(w, "soca-files", argv, NULL, 0, &r) == 0) {
			json_t *l = r.status == 0 ? soca_web_jsonl(r.out) : NULL;

			if (l != NULL)
				soca_web_json(w, 200, l);
			else
				answer(w, &r, 0);
			soca_web_run_free(&r);
		}
	} else
		soca_web_error(w, 400, "neither a file nor a directory");
	json_decref(a);
out:
	free(p);
}

void
soca_web_files_put(struct soca_web *w)
{
	long long max = soca_conf_int(w->conf, "web", NULL, "max_upload");
	const char *argv[] = { "put", "--max", NULL, "--", NULL, NULL };
	struct soca_web_run r;
	char num[32], *p;

	if ((p = qpath(w, false)) == NULL)
		return;
	if (w->clen > max) {
		soca_web_error(w, 413, "the file is larger than the upload "
		    "limit (%lld bytes)", max);
		free(p);
		return;
	}
	snprintf(num, sizeof(num), "%lld", max);
	argv[2] = num;
	argv[4] = p;
	w->body_used = true;
	if (soca_web_run_io(w, "soca-files", argv, NULL, 0, STDIN_FILENO,
	    w->clen, -1, &r) < 0) {
		w->body_used = false;
		soca_web_error(w, 403, "this account may not use the web door");
	} else {
		answer(w, &r, 201);
		soca_web_run_free(&r);
	}
	free(p);
}

static void
simple(struct soca_web *w, const char *const *argv, int ok)
{
	struct soca_web_run r;

	if (soca_web_run(w, "soca-files", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		return;
	}
	answer(w, &r, ok);
	soca_web_run_free(&r);
}

void
soca_web_files_delete(struct soca_web *w)
{
	const char *argv[] = { "rm", "--", NULL, NULL };
	char *p = qpath(w, false);

	if (p == NULL)
		return;
	argv[2] = p;
	simple(w, argv, 204);
	free(p);
}

/* a JSON body's string field that is a path; NULL after answering */
static const char *
jpath(struct soca_web *w, json_t *j, const char *field)
{
	json_t *v = json_object_get(j, field);

	if (!json_is_string(v) || json_string_length(v) !=
	    strlen(json_string_value(v))) {
		soca_web_error(w, 400, "%s must be a string", field);
		return NULL;
	}
	if (bad_path(w, json_string_value(v)) ||
	    strcmp(json_string_value(v), ".") == 0) {
		soca_web_error(w, 400, "bad path: it names your home");
		return NULL;
	}
	return json_string_value(v);
}

void
soca_web_files_mkdir(struct soca_web *w)
{
	json_t *j = soca_web_json_body(w);
	const char *argv[] = { "mkdir", "--", NULL, NULL };

	if (j == NULL)
		return;
	if (json_object_size(j) != 1)
		soca_web_error(w, 400, "expected {\"path\": PATH}");
	else if ((argv[2] = jpath(w, j, "path")) != NULL)
		simple(w, argv, 201);
	json_decref(j);
}

void
soca_web_files_rename(struct soca_web *w)
{
	json_t *j = soca_web_json_body(w);
	const char *argv[] = { "mv", "--", NULL, NULL, NULL };

	if (j == NULL)
		return;
	if (json_object_size(j) != 2)
		soca_web_error(w, 400, "expected {\"from\": PATH, \"to\": PATH}");
	else if ((argv[2] = jpath(w, j, "from")) != NULL &&
	    (argv[3] = jpath(w, j, "to")) != NULL)
		simple(w, argv, 204);
	json_decref(j);
}

/* a regular file of the user's home (a job's output), streamed */
void
soca_web_files_send(struct soca_web *w, const char *rel, const char *ctype)
{
	const char *argv[] = { "stat", "-J", "--", rel, NULL };
	struct soca_web_run r;
	json_t *a = NULL, *st;
	const char *type;

	if (!soca_web_path_ok(rel) || strcmp(rel, ".") == 0) {
		soca_web_error(w, 404, "no such output");
		return;
	}
	if (soca_web_run(w, "soca-files", argv, NULL, 0, &r) < 0) {
		soca_web_error(w, 403, "this account may not use the web door");
		return;
	}
	if (r.status == 0 && (a = soca_web_jsonl(r.out)) != NULL &&
	    json_array_size(a) == 1) {
		st = json_array_get(a, 0);
		type = json_string_value(json_object_get(st, "type"));
		if (type && strcmp(type, "file") == 0)
			download(w, rel, st, ctype);
		else
			soca_web_error(w, 404, "no such output");
	} else if (r.status == 2 || r.status == 1)
		soca_web_error(w, 404, "no such output (yet)");
	else
		soca_web_answer_run(w, "no such output", &r, 0);
	json_decref(a);
	soca_web_run_free(&r);
}
