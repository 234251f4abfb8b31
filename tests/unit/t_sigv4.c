/*
 * t_sigv4.c: the SigV4 signer against the 38 aws-c-auth vectors in
 * $SOCA_SIGV4_DIR (tests/data/sigv4), header and presigned forms,
 * byte for byte; plus S3 rules and the signing-key cache.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "tap.h"

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char *path = soca_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	struct soca_buf b = { 0 };
	char chunk[4096];
	size_t n;

	free(path);
	if (f == NULL)
		return NULL;
	soca_buf_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		soca_buf_add(&b, chunk, n);
	fclose(f);
	if (len)
		*len = b.len;
	return soca_buf_steal(&b);
}

/* Parse an HTTP/1.1 request as written in request.txt. */
static void
parse_request(const char *text, size_t len, struct soca_aws_req *r)
{
	const char *end = text + len, *eol = memchr(text, '\n', len);
	const char *sp1 = memchr(text, ' ', (size_t)(eol - text));
	const char *sp2 = eol;
	char *method, *target, *q;

	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	method = soca_xstrndup(text, (size_t)(sp1 - text));
	target = soca_xstrndup(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1)));
	if ((q = strchr(target, '?')) != NULL)
		*q++ = '\0';
	soca_aws_req_init(r, method, target, q);
	free(method);
	free(target);
	for (const char *p = eol + 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *colon;
		if (e == p) {
			r->body = (const unsigned char *)(e + 1 <= end ? e + 1 : e);
			r->bodylen = (size_t)(end - (const char *)r->body);
			break;
		}
		if ((*p == ' ' || *p == '\t') && r->nhdrs > 0) {
			char *v = soca_xasprintf("%s\n%.*s",
			    r->hdrs[r->nhdrs - 1].value, (int)(e - p), p);
			free(r->hdrs[r->nhdrs - 1].value);
			r->hdrs[r->nhdrs - 1].value = v;
		} else if ((colon = memchr(p, ':', (size_t)(e - p))) != NULL) {
			char *n = soca_xstrndup(p, (size_t)(colon - p));
			char *v = soca_xstrndup(colon + 1, (size_t)(e - colon - 1));
			soca_aws_req_header(r, n, v);
			free(n);
			free(v);
		}
		p = nl ? nl + 1 : end;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A request in a comparable form: query params and headers sorted. */
static char *
comparable(const struct soca_aws_req *r)
{
	struct soca_buf b = { 0 };
	char **v = soca_xcalloc(r->nhdrs + 1, sizeof(*v));
	char *q = r->query ? soca_xstrdup(r->query) : NULL, *save, *t;
	char **qv = NULL;
	size_t nq = 0;

	for (t = q ? strtok_r(q, "&", &save) : NULL; t;
	    t = strtok_r(NULL, "&", &save)) {
		qv = soca_xreallocarray(qv, nq + 1, sizeof(*qv));
		qv[nq++] = t;
	}
	if (nq > 1)
		qsort(qv, nq, sizeof(*qv), cmp_str);
	soca_buf_addf(&b, "%s %s\n", r->method, r->path);
	for (size_t i = 0; i < nq; i++)
		soca_buf_addf(&b, "?%s\n", qv[i]);
	for (size_t i = 0; i < r->nhdrs; i++)
		v[i] = soca_xasprintf("%s:%s", r->hdrs[i].name,
		    r->hdrs[i].value);
	qsort(v, r->nhdrs, sizeof(*v), cmp_str);
	for (size_t i = 0; i < r->nhdrs; i++) {
		soca_buf_addf(&b, "%s\n", v[i]);
		free(v[i]);
	}
	soca_buf_addf(&b, "\n%.*s", (int)r->bodylen, (const char *)r->body);
	free(v);
	free(qv);
	free(q);
	return soca_buf_steal(&b);
}

static void
load_context(const char *dir, struct soca_aws_creds *c, struct soca_sigv4 *s,
    json_t **ctx)
{
	char *text = slurp(dir, "context.json", NULL);
	json_t *j = json_loads(text ? text : "{}", 0, NULL), *cr;
	struct tm tm = { 0 };

	free(text);
	*ctx = j;
	cr = json_object_get(j, "credentials");
	c->access_key = soca_xstrdup(json_string_value(json_object_get(cr,
	    "access_key_id")));
	c->secret_key = soca_xstrdup(json_string_value(json_object_get(cr,
	    "secret_access_key")));
	if (json_object_get(cr, "token"))
		c->token = soca_xstrdup(json_string_value(json_object_get(cr,
		    "token")));
	s->region = json_string_value(json_object_get(j, "region"));
	s->service = json_string_value(json_object_get(j, "service"));
	strptime(json_string_value(json_object_get(j, "timestamp")),
	    "%Y-%m-%dT%H:%M:%SZ", &tm);
	s->when = timegm(&tm);
	s->expires = (long)json_integer_value(json_object_get(j,
	    "expiration_in_seconds"));
	s->flags = 0;
	if (json_is_false(json_object_get(j, "normalize")))
		s->flags |= SOCA_SIGV4_NO_NORMALIZE;
	if (json_is_true(json_object_get(j, "sign_body")))
		s->flags |= SOCA_SIGV4_SIGN_BODY;
	if (json_is_true(json_object_get(j, "omit_session_token")))
		s->flags |= SOCA_SIGV4_OMIT_TOKEN;
}

static void
check_form(const char *dir, const char *name, const char *form,
    unsigned extra)
{
	struct soca_aws_creds c = { 0 };
	struct soca_sigv4 s;
	struct soca_sigv4_debug d = { 0 };
	struct soca_aws_req r, want;
	json_t *ctx;
	size_t len, wlen;
	char *req = slurp(dir, "request.txt", &len), *f, *w, *got, *exp;

	load_context(dir, &c, &s, &ctx);
	s.flags |= extra;
	parse_request(req, len, &r);
	soca_sigv4_sign(&r, &c, &s, &d);
	f = soca_xasprintf("%s-canonical-request.txt", form);
	is_str(d.creq, w = slurp(dir, f, NULL), "%s %s canonical request",
	    name, form);
	free(w);
	free(f);
	f = soca_xasprintf("%s-string-to-sign.txt", form);
	is_str(d.sts, w = slurp(dir, f, NULL), "%s %s string to sign", name,
	    form);
	free(w);
	free(f);
	f = soca_xasprintf("%s-signature.txt", form);
	is_str(d.sig, w = slurp(dir, f, NULL), "%s %s signature", name, form);
	free(w);
	free(f);
	f = soca_xasprintf("%s-signed-request.txt", form);
	w = slurp(dir, f, &wlen);
	parse_request(w, wlen, &want);
	got = comparable(&r);
	exp = comparable(&want);
	is_str(got, exp, "%s %s signed request", name, form);
	free(got);
	free(exp);
	soca_aws_req_free(&want);
	free(w);
	free(f);
	soca_aws_req_free(&r);
	soca_sigv4_debug_free(&d);
	soca_aws_creds_free(&c);
	json_decref(ctx);
	free(req);
}

static int
cmp_dirent(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
vectors(void)
{
	const char *top = getenv("SOCA_SIGV4_DIR");
	DIR *d = top ? opendir(top) : NULL;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		tap_skip("SOCA_SIGV4_DIR unset or missing", "sigv4 vectors");
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *sub = soca_xasprintf("%s/%s/context.json", top, e->d_name);
		FILE *f = fopen(sub, "r");
		free(sub);
		if (f == NULL)
			continue;
		fclose(f);
		names = soca_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = soca_xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_dirent);
	is_int((long long)n, 38, "38 vector folders in %s", top);
	for (size_t i = 0; i < n; i++) {
		char *dir = soca_xasprintf("%s/%s", top, names[i]);
		check_form(dir, names[i], "header", 0);
		check_form(dir, names[i], "query", SOCA_SIGV4_PRESIGN);
		free(dir);
	}
	soca_strv_free(names, n);
}

static struct soca_aws_creds s3creds = { "AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL, 0, "test" };

/* The GET Object example from the S3 SigV4 documentation. */
static void
s3_rules(void)
{
	struct soca_aws_req r;
	struct soca_sigv4 s = { "us-east-1", "s3", 1369353600, SOCA_SIGV4_S3,
		0 };
	struct soca_sigv4_debug d = { 0 };

	soca_aws_req_init(&r, "GET", "/test.txt", NULL);
	soca_aws_req_header(&r, "Host", "examplebucket.s3.amazonaws.com");
	soca_aws_req_header(&r, "Range", "bytes=0-9");
	soca_sigv4_sign(&r, &s3creds, &s, &d);
	is_str(d.sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	    "s3 GET object example signature");
	is_str(soca_aws_req_get(&r, "x-amz-content-sha256"),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "s3 x-amz-content-sha256 signed");
	soca_aws_req_free(&r);
	soca_sigv4_debug_free(&d);

	soca_aws_req_init(&r, "PUT", "/a//b/../c%20d", NULL);
	soca_aws_req_header(&r, "Host", "b.s3.amazonaws.com");
	s.flags = SOCA_SIGV4_S3 | SOCA_SIGV4_UNSIGNED;
	soca_sigv4_sign(&r, &s3creds, &s, &d);
	ok(strncmp(d.creq, "PUT\n/a//b/../c%20d\n", 19) == 0,
	    "s3 path neither normalised nor encoded twice");
	is_str(soca_aws_req_get(&r, "x-amz-content-sha256"),
	    "UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD header");
	ok(strstr(d.creq, "\nUNSIGNED-PAYLOAD") != NULL,
	    "UNSIGNED-PAYLOAD ends the canonical request");
	soca_aws_req_free(&r);
	soca_sigv4_debug_free(&d);
}

static void
double_encoding(void)
{
	struct soca_aws_req r;
	struct soca_sigv4 s = { "us-east-1", "es", 1440938160, 0, 0 };
	struct soca_sigv4_debug d = { 0 };

	soca_aws_req_init(&r, "GET", "/a%20b/./c", NULL);
	soca_aws_req_header(&r, "Host", "h");
	soca_sigv4_sign(&r, &s3creds, &s, &d);
	ok(strncmp(d.creq, "GET\n/a%2520b/c\n", 15) == 0,
	    "non-S3 path normalised and encoded a second time");
	soca_aws_req_free(&r);
	soca_sigv4_debug_free(&d);
}

static void
key_cache(void)
{
	struct soca_aws_req r;
	struct soca_sigv4 s = { "us-east-1", "s3", 1369353600, SOCA_SIGV4_S3,
		0 };
	struct soca_sigv4_debug d = { 0 };
	struct soca_aws_creds other = s3creds;

	other.secret_key = "another-secret";
	for (int i = 0; i < 3; i++) {
		soca_aws_req_init(&r, "GET", "/test.txt", NULL);
		soca_aws_req_header(&r, "Host",
		    "examplebucket.s3.amazonaws.com");
		soca_aws_req_header(&r, "Range", "bytes=0-9");
		soca_sigv4_sign(&r, i == 1 ? &other : &s3creds, &s, &d);
		if (i != 1)
			is_str(d.sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
			    "cached signing key, round %d", i);
		else
			ok(strcmp(d.sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") != 0,
			    "another secret does not hit the cache");
		soca_aws_req_free(&r);
		soca_sigv4_debug_free(&d);
	}
}

void
t_sigv4(void)
{
	vectors();
	s3_rules();
	double_encoding();
	key_cache();
}
