/*
 * req.c: the CGI request, read once and checked before anything acts.
 *
 * Owns the reading of what fcgiwrap hands over: the method, the path
 * (REQUEST_URI as the client sent it, percent-decoded here strictly,
 * else PATH_INFO / DOCUMENT_URI, already decoded by nginx), the query
 * string (decoded on demand, a bad escape is a 400 and never guessed
 * at), the headers soca-api looks at, and the body: at most [web]
 * max_body bytes (else 413 before a byte is read), exactly
 * CONTENT_LENGTH of them.  A decoded NUL, a control character, an empty
 * segment or a "." / ".." segment make the request bad.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* -1: a bad escape, a NUL or a control character */
static int
decode(const char *s, size_t n, bool plus, char **out)
{
	struct soca_buf b = { 0 };
	int hi, lo, c;

	for (size_t i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				goto bad;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			goto bad;
		soca_buf_addc(&b, (char)c);
	}
	*out = b.s ? soca_buf_steal(&b) : soca_xstrdup("");
	return 0;
bad:
	soca_buf_free(&b);
	*out = NULL;
	return -1;
}

/* a query string's value: '+' is a space */
int
soca_web_pct_decode(const char *s, size_t n, char **out)
{
	return decode(s, n, true, out);
}

static int
split_path(struct soca_web *w, const char *p, bool encoded)
{
	size_t n;

	if (strncmp(p, "/api", 4) != 0 || (p[4] != '/' && p[4] != '\0'))
		return 404;
	p += 4;
	while (*p == '/') {
		p++;
		n = strcspn(p, "/");
		if (w->nseg == SOCA_WEB_MAXSEG)
			return 404;
		if (encoded) {
			if (decode(p, n, false, &w->seg[w->nseg]) < 0)
				return 400;
		} else
			w->seg[w->nseg] = soca_xstrndup(p, n);
		if (w->seg[w->nseg][0] == '\0' && p[n] == '\0' && n == 0) {
			free(w->seg[w->nseg]);
			w->seg[w->nseg] = NULL;
			return w->nseg == 0 ? 0 : 404;	/* trailing slash */
		}
		if (w->seg[w->nseg][0] == '\0' ||
		    strcmp(w->seg[w->nseg], ".") == 0 ||
		    strcmp(w->seg[w->nseg], "..") == 0) {
			w->nseg++;
			return 400;
		}
		for (const char *c = w->seg[w->nseg]; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				w->nseg++;
				return 400;
			}
		w->nseg++;
		p += n;
	}
	return *p == '\0' ? 0 : 404;
}

static int
read_path(struct soca_web *w)
{
	const char *uri = getenv("REQUEST_URI");
	char *raw;
	int rc;

	if (uri != NULL && *uri != '\0') {
		raw = soca_xstrndup(uri, strcspn(uri, "?"));
		rc = split_path(w, raw, true);
		w->path = raw;
		return rc;
	}
	if ((uri = getenv("PATH_INFO")) == NULL || *uri == '\0')
		uri = getenv("DOCUMENT_URI");
	w->path = soca_xstrdup(uri ? uri : "");
	return split_path(w, w->path, false);
}

/* read what the client sent and drop it: nginx answers 502 otherwise */
void
soca_web_drain(long long n)
{
	char buf[65536];
	ssize_t r;

	while (n > 0) {
		r = read(STDIN_FILENO, buf, n > (long long)sizeof(buf) ?
		    sizeof(buf) : (size_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		n -= r;
	}
}

static int
read_body(struct soca_web *w)
{
	const char *cl = getenv("CONTENT_LENGTH");
	long long max = soca_conf_int(w->conf, "web", NULL, "max_body");
	long long n = 0;
	size_t got = 0;
	ssize_t r;

	if (cl != NULL && *cl != '\0' &&
	    soca_parse_int(cl, 0, (long long)1 << 40, &n) != 0)
		return 400;
	w->clen = n;
	if (strcmp(w->method, "PUT") == 0 && w->nseg == 1 &&
	    strcmp(w->seg[0], "files") == 0) {
		w->streamed = true;	/* api_files.c reads it as it comes */
		return 0;
	}
	if (n > max) {
		soca_web_drain(n);
		return 413;
	}
	w->body = soca_xmalloc((size_t)n + 1);
	while (got < (size_t)n) {
		r = read(STDIN_FILENO, w->body + got, (size_t)n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 400;
		got += (size_t)r;
	}
	w->body[got] = '\0';
	w->bodylen = got;
	return 0;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* 0, or the status the request gets without going further */
int
soca_web_req_read(struct soca_web *w)
{
	int rc;

	w->method = env("REQUEST_METHOD") ? env("REQUEST_METHOD") : "GET";
	w->query = env("QUERY_STRING") ? env("QUERY_STRING") : "";
	w->ctype = env("CONTENT_TYPE");
	w->authz = env("HTTP_AUTHORIZATION");
	w->cookie = env("HTTP_COOKIE");
	w->origin = env("HTTP_ORIGIN");
	w->host = env("HTTP_HOST");
	w->remote = env("REMOTE_ADDR") ? env("REMOTE_ADDR") : "-";
	w->https = env("HTTPS");
	if ((rc = read_path(w)) != 0)
		return rc;
	return read_body(w);
}

/*
 * The value of KEY in the query string, decoded; NULL when absent.
 * *bad is set when any parameter is badly encoded or KEY is repeated.
 */
char *
soca_web_query(const struct soca_web *w, const char *key, int *bad)
{
	const char *p = w->query, *eq;
	size_t n, klen = strlen(key);
	char *v = NULL, *d;

	while (*p) {
		n = strcspn(p, "&");
		eq = memchr(p, '=', n);
		if (eq != NULL && (size_t)(eq - p) == klen &&
		    strncmp(p, key, klen) == 0) {
			if (v != NULL ||
			    soca_web_pct_decode(eq + 1, n - klen - 1, &d) < 0) {
				free(v);
				*bad = 1;
				return NULL;
			}
			v = d;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return v;
}

/* every parameter is one of KEYS (NULL-terminated), well encoded */
bool
soca_web_query_only(const struct soca_web *w, const char *const *keys)
{
	const char *p = w->query;
	size_t n, k;
	char *d;
	bool known;

	while (*p) {
		n = strcspn(p, "&");
		k = strcspn(p, "=&");
		known = false;
		for (size_t i = 0; keys[i] && !known; i++)
			known = strlen(keys[i]) == k &&
			    strncmp(p, keys[i], k) == 0;
		if (!known || p[k] != '=' ||
		    soca_web_pct_decode(p + k + 1, n - k - 1, &d) < 0)
			return false;
		free(d);
		p += n;
		if (*p == '&')
			p++;
	}
	return true;
}

/* the body as a JSON object; NULL after answering 400 or 403 */
json_t *
soca_web_json_body(struct soca_web *w)
{
	json_error_t e;
	json_t *j;
	size_t n;

	n = w->ctype ? strcspn(w->ctype, ";") : 0;
	while (n > 0 && w->ctype[n - 1] == ' ')
		n--;
	if (w->ctype == NULL || n != 16 ||
	    strncasecmp(w->ctype, "application/json", 16) != 0) {
		soca_web_error(w, w->by_cookie ? 403 : 400,
		    "the body must be JSON with Content-Type application/json");
		return NULL;
	}
	j = json_loadb(w->body, w->bodylen, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		soca_web_error(w, 400, "the body is not a JSON object%s%s",
		    j == NULL ? ": " : "", j == NULL ? e.text : "");
		return NULL;
	}
	return j;
}

/* s is one of the NULL-terminated list l */
bool
soca_web_in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}
