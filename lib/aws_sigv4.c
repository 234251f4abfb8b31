/*
 * aws_sigv4.c: AWS Signature Version 4, in the Authorization header or
 * presigned in the query string.
 *
 * The request is kept as it goes on the wire (method, path, query,
 * headers in order, body); signing builds the canonical request from it
 * and then adds X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256 and
 * Authorization (or the X-Amz-* query parameters).  Non-S3 services get
 * path normalisation and a second URI encoding of the wire path; S3 signs
 * the wire path as it is.  HMAC-SHA256 is built on one reused EVP digest
 * context (HMAC() fetches its algorithm on every call, which is slow), and
 * the derived signing key is cached per secret, date, region and service,
 * so a signature costs three SHA-256 runs and one HMAC.  Single-threaded,
 * like every soca command.
 */
#include "config.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"

static EVP_MD_CTX *mdctx;
static EVP_MD *sha256;

struct keycache {
	unsigned char secret[32];	/* SHA-256 of the secret, not the secret */
	char date[9];
	char *region, *service;
	unsigned char key[32];
};
static struct keycache cache[4];
static size_t cache_next;

static void
digest(const void *a, size_t alen, const void *b, size_t blen,
    unsigned char out[32])
{
	if (mdctx == NULL) {
		if ((mdctx = EVP_MD_CTX_new()) == NULL ||
		    (sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
			abort();
	}
	if (!EVP_DigestInit_ex(mdctx, sha256, NULL) ||
	    !EVP_DigestUpdate(mdctx, a, alen) ||
	    (blen > 0 && !EVP_DigestUpdate(mdctx, b, blen)) ||
	    !EVP_DigestFinal_ex(mdctx, out, NULL))
		abort();
}

static void
hmac(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[32])
{
	unsigned char k[64] = { 0 }, pad[64], inner[32];

	if (klen > sizeof(k))
		digest(key, klen, NULL, 0, k);
	else
		memcpy(k, key, klen);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	digest(pad, sizeof(pad), msg, mlen, inner);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	digest(pad, sizeof(pad), inner, sizeof(inner), out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
soca_aws_sha256(const void *p, size_t n, unsigned char out[32])
{
	digest(p, n, NULL, 0, out);
}

void
soca_aws_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];

	digest(p, n, NULL, 0, md);
	hex(md, sizeof(md), out);
}

void
soca_aws_req_init(struct soca_aws_req *r, const char *method,
    const char *path, const char *query)
{
	memset(r, 0, sizeof(*r));
	r->method = soca_xstrdup(method);
	r->path = soca_xstrdup(path && *path ? path : "/");
	r->query = query && *query ? soca_xstrdup(query) : NULL;
}

void
soca_aws_req_header(struct soca_aws_req *r, const char *name,
    const char *value)
{
	r->hdrs = soca_xreallocarray(r->hdrs, r->nhdrs + 1, sizeof(*r->hdrs));
	r->hdrs[r->nhdrs].name = soca_xstrdup(name);
	r->hdrs[r->nhdrs].value = soca_xstrdup(value);
	r->nhdrs++;
}

const char *
soca_aws_req_get(const struct soca_aws_req *r, const char *name)
{
	for (size_t i = 0; i < r->nhdrs; i++)
		if (strcasecmp(r->hdrs[i].name, name) == 0)
			return r->hdrs[i].value;
	return NULL;
}

void
soca_aws_req_free(struct soca_aws_req *r)
{
	for (size_t i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	free(r->method);
	free(r->path);
	free(r->query);
	memset(r, 0, sizeof(*r));
}

void
soca_aws_creds_free(struct soca_aws_creds *c)
{
	if (c->secret_key)
		explicit_bzero(c->secret_key, strlen(c->secret_key));
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->access_key);
	free(c->secret_key);
	free(c->token);
	memset(c, 0, sizeof(*c));
}

static bool
unreserved(unsigned char c, bool keep_slash)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || (c == '/' && keep_slash);
}

void
soca_aws_uri_encode(struct soca_buf *b, const char *s, size_t n,
    bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	char esc[3] = { '%', 0, 0 };

	for (size_t i = 0; i < n;) {
		size_t run = 0;
		while (i + run < n && unreserved((unsigned char)s[i + run],
		    keep_slash))
			run++;
		soca_buf_add(b, s + i, run);
		if ((i += run) >= n)
			break;
		esc[1] = digits[(unsigned char)s[i] >> 4];
		esc[2] = digits[(unsigned char)s[i] & 15];
		soca_buf_add(b, esc, 3);
		i++;
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *
soca_aws_uri_decode(const char *s, size_t n)
{
	struct soca_buf b = { 0 };

	soca_buf_add(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			soca_buf_addc(&b, (char)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2])));
			i += 2;
		} else
			soca_buf_addc(&b, s[i]);
	}
	return soca_buf_steal(&b);
}

/* Remove "." and ".." segments and empty ones; keep a trailing slash. */
static char *
normalize(const char *path)
{
	size_t n = strlen(path), nseg = 0;
	const char **seg = soca_xcalloc(n + 1, sizeof(*seg));
	size_t *len = soca_xcalloc(n + 1, sizeof(*len));
	struct soca_buf b = { 0 };

	for (const char *p = path; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				nseg--;
		} else if (l > 0 && !(l == 1 && p[0] == '.')) {
			seg[nseg] = p;
			len[nseg++] = l;
		}
		p += l;
		p += *p == '/';
	}
	for (size_t i = 0; i < nseg; i++) {
		soca_buf_addc(&b, '/');
		soca_buf_add(&b, seg[i], len[i]);
	}
	if (nseg == 0 || (n > 0 && path[n - 1] == '/'))
		soca_buf_addc(&b, '/');
	free(seg);
	free(len);
	return soca_buf_steal(&b);
}

static void
canon_uri(struct soca_buf *b, const char *path, unsigned flags)
{
	char *norm;

	if (flags & SOCA_SIGV4_S3) {
		soca_buf_adds(b, path);
		return;
	}
	norm = (flags & SOCA_SIGV4_NO_NORMALIZE) ? soca_xstrdup(path) :
	    normalize(path);
	soca_aws_uri_encode(b, norm, strlen(norm), true);
	free(norm);
}

struct param {
	char *name, *value;	/* both encoded */
};

static int
cmp_param(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->value, y->value);
}

static char *
encoded(const char *s, size_t n)
{
	char *raw = soca_aws_uri_decode(s, n);
	struct soca_buf b = { 0 };

	soca_buf_add(&b, "", 0);
	soca_aws_uri_encode(&b, raw, strlen(raw), false);
	free(raw);
	return soca_buf_steal(&b);
}

static void
add_param(struct param **v, size_t *n, const char *name, const char *value)
{
	*v = soca_xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].name = encoded(name, strlen(name));
	(*v)[*n].value = encoded(value, strlen(value));
	(*n)++;
}

static void
parse_query(const char *q, struct param **v, size_t *n)
{
	while (q && *q) {
		size_t l = strcspn(q, "&");
		const char *eq = memchr(q, '=', l);
		if (l > 0) {
			*v = soca_xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[*n].name = encoded(q, eq ? (size_t)(eq - q) : l);
			(*v)[*n].value = eq ? encoded(eq + 1, l - (eq - q) - 1) :
			    soca_xstrdup("");
			(*n)++;
		}
		q += l;
		q += *q == '&';
	}
}

static void
canon_query(struct soca_buf *b, struct param *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_param);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			soca_buf_addc(b, '&');
		soca_buf_adds(b, v[i].name);
		soca_buf_addc(b, '=');
		soca_buf_adds(b, v[i].value);
	}
}

static void
free_params(struct param *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

struct chdr {
	char *name;		/* lowercase */
	size_t order;
	const char *value;
};

static int
cmp_chdr(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : (x->order > y->order) - (x->order < y->order);
}

static bool
unsigned_header(const char *lname, unsigned flags)
{
	static const char *const skip[] = { "authorization", "user-agent",
	    "expect", "transfer-encoding", "connection", "x-amzn-trace-id",
	    "keep-alive", "proxy-authorization", "te", "upgrade", NULL };

	for (size_t i = 0; skip[i]; i++)
		if (strcmp(lname, skip[i]) == 0)
			return true;
	return (flags & SOCA_SIGV4_OMIT_TOKEN) &&
	    strcmp(lname, "x-amz-security-token") == 0;
}

/* Trim, and collapse every run of white space (folds too) to one space. */
static void
add_trimmed(struct soca_buf *b, const char *v)
{
	bool any = false;

	while (*v) {
		size_t sp = strspn(v, " \t\r\n\v\f"), run;
		v += sp;
		if (*v == '\0')
			break;
		if (sp > 0 && any)
			soca_buf_addc(b, ' ');
		run = strcspn(v, " \t\r\n\v\f");
		soca_buf_add(b, v, run);
		v += run;
		any = true;
	}
}

static void
canon_headers(const struct soca_aws_req *r, unsigned flags,
    struct soca_buf *c, struct soca_buf *signed_)
{
	struct chdr *h = soca_xcalloc(r->nhdrs + 1, sizeof(*h));
	size_t n = 0;

	for (size_t i = 0; i < r->nhdrs; i++) {
		char *l = soca_xstrdup(r->hdrs[i].name);
		for (char *p = l; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (unsigned_header(l, flags)) {
			free(l);
			continue;
		}
		h[n++] = (struct chdr){ l, i, r->hdrs[i].value };
	}
	qsort(h, n, sizeof(*h), cmp_chdr);
	for (size_t i = 0; i < n; i++) {
		bool same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
		if (same)
			soca_buf_addc(c, ',');
		else {
			if (i > 0)
				soca_buf_addc(c, '\n');
			soca_buf_adds(c, h[i].name);
			soca_buf_addc(c, ':');
			if (signed_->len > 0)
				soca_buf_addc(signed_, ';');
			soca_buf_adds(signed_, h[i].name);
		}
		add_trimmed(c, h[i].value);
	}
	soca_buf_addc(c, '\n');
	for (size_t i = 0; i < n; i++)
		free(h[i].name);
	free(h);
}

static void
signing_key(const struct soca_aws_creds *cr, const char *date,
    const struct soca_sigv4 *s, unsigned char key[32])
{
	unsigned char sd[32], k[32];
	char *k0;
	struct keycache *e;

	digest(cr->secret_key, strlen(cr->secret_key), NULL, 0, sd);
	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		e = &cache[i];
		if (e->region && memcmp(e->secret, sd, 32) == 0 &&
		    strcmp(e->date, date) == 0 &&
		    strcmp(e->region, s->region) == 0 &&
		    strcmp(e->service, s->service) == 0) {
			memcpy(key, e->key, 32);
			return;
		}
	}
	k0 = soca_xasprintf("AWS4%s", cr->secret_key);
	hmac(k0, strlen(k0), date, strlen(date), k);
	explicit_bzero(k0, strlen(k0));
	free(k0);
	hmac(k, 32, s->region, strlen(s->region), k);
	hmac(k, 32, s->service, strlen(s->service), k);
	hmac(k, 32, "aws4_request", 12, key);
	e = &cache[cache_next++ % (sizeof(cache) / sizeof(cache[0]))];
	free(e->region);
	free(e->service);
	memcpy(e->secret, sd, 32);
	memcpy(e->date, date, sizeof(e->date));
	e->region = soca_xstrdup(s->region);
	e->service = soca_xstrdup(s->service);
	memcpy(e->key, key, 32);
}

struct signing {
	char amzdate[17], date[9];
	char *scope;
	char payload[65];
	struct soca_buf creq, signed_;
};

static void
presign_params(const struct soca_aws_creds *cr, const struct soca_sigv4 *s,
    struct signing *g, struct param **v, size_t *n)
{
	char *cred = soca_xasprintf("%s/%s", cr->access_key, g->scope);
	char exp[32];

	snprintf(exp, sizeof(exp), "%ld", s->expires > 0 ? s->expires : 3600);
	add_param(v, n, "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
	add_param(v, n, "X-Amz-Credential", cred);
	add_param(v, n, "X-Amz-Date", g->amzdate);
	add_param(v, n, "X-Amz-Expires", exp);
	add_param(v, n, "X-Amz-SignedHeaders", g->signed_.s);
	if (cr->token && !(s->flags & SOCA_SIGV4_OMIT_TOKEN))
		add_param(v, n, "X-Amz-Security-Token", cr->token);
	free(cred);
}

static void
append_query(struct soca_aws_req *r, const char *name, const char *value)
{
	struct soca_buf b = { 0 };

	if (r->query)
		soca_buf_adds(&b, r->query);
	if (b.len > 0)
		soca_buf_addc(&b, '&');
	soca_buf_adds(&b, name);
	soca_buf_addc(&b, '=');
	soca_aws_uri_encode(&b, value, strlen(value), false);
	free(r->query);
	r->query = soca_buf_steal(&b);
}

static void
prepare(struct soca_aws_req *r, const struct soca_aws_creds *cr,
    const struct soca_sigv4 *s, struct signing *g)
{
	struct tm tm;

	static time_t last = (time_t)-1;
	static char lastdate[17];
	struct soca_buf sc = { 0 };

	if (s->when != last) {
		gmtime_r(&s->when, &tm);
		strftime(lastdate, sizeof(lastdate), "%Y%m%dT%H%M%SZ", &tm);
		last = s->when;
	}
	memcpy(g->amzdate, lastdate, sizeof(lastdate));
	memcpy(g->date, g->amzdate, 8);
	g->date[8] = '\0';
	soca_buf_add(&sc, g->date, 8);
	soca_buf_addc(&sc, '/');
	soca_buf_adds(&sc, s->region);
	soca_buf_addc(&sc, '/');
	soca_buf_adds(&sc, s->service);
	soca_buf_adds(&sc, "/aws4_request");
	g->scope = soca_buf_steal(&sc);
	if (s->flags & SOCA_SIGV4_UNSIGNED)
		strcpy(g->payload, "UNSIGNED-PAYLOAD");
	else
		soca_aws_sha256_hex(r->body ? (const void *)r->body : "",
		    r->bodylen, g->payload);
	if (s->flags & SOCA_SIGV4_PRESIGN)
		return;
	soca_aws_req_header(r, "X-Amz-Date", g->amzdate);
	if (cr->token)
		soca_aws_req_header(r, "X-Amz-Security-Token", cr->token);
	if (s->flags & (SOCA_SIGV4_SIGN_BODY | SOCA_SIGV4_S3))
		soca_aws_req_header(r, "x-amz-content-sha256", g->payload);
}

static void
build_creq(struct soca_aws_req *r, const struct soca_aws_creds *cr,
    const struct soca_sigv4 *s, struct signing *g)
{
	struct soca_buf hdrs = { 0 };
	struct param *v = NULL;
	size_t n = 0;

	canon_headers(r, s->flags, &hdrs, &g->signed_);
	parse_query(r->query, &v, &n);
	if (s->flags & SOCA_SIGV4_PRESIGN)
		presign_params(cr, s, g, &v, &n);
	soca_buf_adds(&g->creq, r->method);
	soca_buf_addc(&g->creq, '\n');
	canon_uri(&g->creq, r->path, s->flags);
	soca_buf_addc(&g->creq, '\n');
	canon_query(&g->creq, v, n);
	soca_buf_addc(&g->creq, '\n');
	soca_buf_add(&g->creq, hdrs.s, hdrs.len);
	soca_buf_addc(&g->creq, '\n');
	soca_buf_add(&g->creq, g->signed_.s, g->signed_.len);
	soca_buf_addc(&g->creq, '\n');
	soca_buf_adds(&g->creq, g->payload);
	free_params(v, n);
	soca_buf_free(&hdrs);
}

static void
finish(struct soca_aws_req *r, const struct soca_aws_creds *cr,
    const struct soca_sigv4 *s, struct signing *g, const char *sig)
{
	char *auth, exp[32];

	if (!(s->flags & SOCA_SIGV4_PRESIGN)) {
		auth = soca_xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, "
		    "SignedHeaders=%s, Signature=%s", cr->access_key, g->scope,
		    g->signed_.s, sig);
		soca_aws_req_header(r, "Authorization", auth);
		free(auth);
		return;
	}
	auth = soca_xasprintf("%s/%s", cr->access_key, g->scope);
	snprintf(exp, sizeof(exp), "%ld", s->expires > 0 ? s->expires : 3600);
	append_query(r, "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
	append_query(r, "X-Amz-Credential", auth);
	append_query(r, "X-Amz-Date", g->amzdate);
	append_query(r, "X-Amz-Expires", exp);
	append_query(r, "X-Amz-SignedHeaders", g->signed_.s);
	if (cr->token)
		append_query(r, "X-Amz-Security-Token", cr->token);
	append_query(r, "X-Amz-Signature", sig);
	free(auth);
}

static char *
string_to_sign(const struct signing *g, const char *crhex)
{
	struct soca_buf b = { 0 };

	soca_buf_adds(&b, "AWS4-HMAC-SHA256\n");
	soca_buf_adds(&b, g->amzdate);
	soca_buf_addc(&b, '\n');
	soca_buf_adds(&b, g->scope);
	soca_buf_addc(&b, '\n');
	soca_buf_adds(&b, crhex);
	return soca_buf_steal(&b);
}

void
soca_sigv4_sign(struct soca_aws_req *r, const struct soca_aws_creds *cr,
    const struct soca_sigv4 *s, struct soca_sigv4_debug *dbg)
{
	struct signing g = { 0 };
	unsigned char md[32], key[32];
	char crhex[65], sig[65], *sts;

	prepare(r, cr, s, &g);
	soca_buf_add(&g.signed_, "", 0);
	build_creq(r, cr, s, &g);
	soca_aws_sha256_hex(g.creq.s, g.creq.len, crhex);
	sts = string_to_sign(&g, crhex);
	signing_key(cr, g.date, s, key);
	hmac(key, sizeof(key), sts, strlen(sts), md);
	explicit_bzero(key, sizeof(key));
	hex(md, sizeof(md), sig);
	finish(r, cr, s, &g, sig);
	if (dbg) {
		dbg->creq = soca_buf_steal(&g.creq);
		dbg->sts = sts;
		memcpy(dbg->sig, sig, sizeof(dbg->sig));
	} else
		free(sts);
	soca_buf_free(&g.creq);
	soca_buf_free(&g.signed_);
	free(g.scope);
}

void
soca_sigv4_debug_free(struct soca_sigv4_debug *d)
{
	free(d->creq);
	free(d->sts);
	memset(d, 0, sizeof(*d));
}
