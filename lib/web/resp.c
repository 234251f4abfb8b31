/*
 * resp.c: the one answer of a request, with its security headers.
 *
 * Owns the status line, the headers every answer carries (no caching,
 * no sniffing, a Content-Security-Policy that lets an API answer load
 * nothing, no framing, no referrer) and the JSON bodies: a value, or
 * the contract's error object {"error", "status"}.  Error text is the
 * caller's, written for users; nothing from stderr, no server path.
 * Only the first answer is written: a handler that answers twice is a
 * bug, and the second is dropped.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "web.h"

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

void
soca_web_header(const char *name, const char *value)
{
	printf("%s: %s\r\n", name, value);
}

static bool
start(struct soca_web *w, int status, const char *ctype)
{
	if (w->answered)
		return false;
	w->answered = true;
	w->status = status;
	printf("Status: %d %s\r\n", status, reason(status));
	soca_web_header("Cache-Control", "no-store");
	soca_web_header("X-Content-Type-Options", "nosniff");
	soca_web_header("Content-Security-Policy",
	    "default-src 'none'; frame-ancestors 'none'; sandbox");
	soca_web_header("X-Frame-Options", "DENY");
	soca_web_header("Referrer-Policy", "no-referrer");
	if (ctype != NULL)
		soca_web_header("Content-Type", ctype);
	return true;
}

void
soca_web_raw(struct soca_web *w, int status, const char *ctype,
    const char *extra, const void *data, size_t len)
{
	if (!start(w, status, ctype))
		return;
	if (extra != NULL)
		fputs(extra, stdout);
	printf("Content-Length: %zu\r\n\r\n", len);
	fwrite(data, 1, len, stdout);
	fflush(stdout);
}

void
soca_web_json(struct soca_web *w, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(j);
	if (s == NULL) {
		soca_web_error(w, 500, "internal error");
		return;
	}
	soca_web_raw(w, status, "application/json; charset=utf-8", NULL, s,
	    strlen(s));
	free(s);
}

void
soca_web_error(struct soca_web *w, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	json_t *j;

	if (w->answered)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	j = json_pack("{s:s, s:i}", "error", msg ? msg : "error", "status",
	    status);
	if (status >= 400)
		soca_web_note(w, "refused: %s", msg ? msg : "error");
	free(msg);
	soca_web_json(w, status, j);
}

void
soca_web_nocontent(struct soca_web *w, int status)
{
	if (!start(w, status, NULL))
		return;
	fputs("\r\n", stdout);
	fflush(stdout);
}

/*
 * A command's JSON Lines (soca-stat -J, soca-desktop list -J, soca-files
 * ls -J) as one array; NULL when a line is not a JSON object.
 */
json_t *
soca_web_jsonl(const char *out)
{
	json_t *a = json_array(), *j;
	const char *p = out;
	size_t n;

	while (*p) {
		n = strcspn(p, "\n");
		if (n > 0) {
			j = json_loadb(p, n, 0, NULL);
			if (!json_is_object(j)) {
				json_decref(j);
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, j);
		}
		p += n;
		if (*p)
			p++;
	}
	return a;
}
