/*
 * dcvauth.c: DCV desktop tokens, made for GET /api/desktops/{name}/connect
 * and checked by POST /api/dcv-auth, DCV's external authenticator.
 *
 * Owns the token: base64url(PAYLOAD) "." base64url(MAC), PAYLOAD
 * "v1|SESSION|OWNER|INSTANCE|EXPIRY" (unix seconds, now + [web]
 * dcv_token_ttl), MAC its HMAC-SHA256 under K = HMAC-SHA256(hmac.key,
 * "soca dcv token v1"): a key of its own, so no session cookie's MAC is
 * ever a token's.  The verifier is what DCV server's auth-token-verifier
 * calls, unauthenticated: ?instance=ID names the desktop asking, the
 * form body carries sessionId, authenticationToken and clientAddress.
 * It answers DCV's XML, always 200: <auth result="yes"><username>OWNER
 * </username></auth> when the MAC is right (CRYPTO_memcmp), the token
 * not expired, and its session and instance those DCV names; else
 * <auth result="no"><message>REASON</message></auth>.  The token is
 * never echoed nor logged; the audit line says the outcome.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web.h"

#define DCV_BODY_MAX 4096

static const char b64u[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
b64u_enc(struct soca_buf *b, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		soca_buf_addc(b, b64u[(v >> 18) & 63]);
		soca_buf_addc(b, b64u[(v >> 12) & 63]);
		if (i + 1 < n)
			soca_buf_addc(b, b64u[(v >> 6) & 63]);
		if (i + 2 < n)
			soca_buf_addc(b, b64u[v & 63]);
	}
}

/* unpadded base64url of N chars into OUT (room for N*3/4); -1: bad */
static int
b64u_dec(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	unsigned v = 0;
	size_t bits = 0, o = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(b64u, s[i]) : NULL;

		if (p == NULL)
			return -1;
		v = (v << 6) | (unsigned)(p - b64u);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	/* the leftover bits of the last char must be zero (canonical) */
	if (bits > 0 && (v & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

static int
token_mac(struct soca_web *w, const char *p, size_t n, unsigned char m[32])
{
	static const char label[] = "soca dcv token v1";
	unsigned char key[32], k[32];
	unsigned int kl = 0, ml = 0;

	if (soca_web_hmac_key(w, key) < 0)
		return -1;
	HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)label,
	    sizeof(label) - 1, k, &kl);
	explicit_bzero(key, sizeof(key));
	if (kl == 32)
		HMAC(EVP_sha256(), k, sizeof(k), (const unsigned char *)p, n,
		    m, &ml);
	explicit_bzero(k, sizeof(k));
	return ml == 32 ? 0 : -1;
}

/* the token for SESSION of OWNER on INSTANCE, or NULL */
char *
soca_web_dcv_token(struct soca_web *w, const char *session,
    const char *owner, const char *instance)
{
	long long ttl = soca_conf_int(w->conf, "web", NULL, "dcv_token_ttl");
	struct soca_buf b = { 0 };
	unsigned char m[32];
	char *p;

	p = soca_xasprintf("v1|%s|%s|%s|%lld", session, owner, instance,
	    (long long)time(NULL) + ttl);
	if (token_mac(w, p, strlen(p), m) < 0) {
		free(p);
		return NULL;
	}
	b64u_enc(&b, (const unsigned char *)p, strlen(p));
	soca_buf_addc(&b, '.');
	b64u_enc(&b, m, sizeof(m));
	free(p);
	return b.s;
}

/* i- and 8 or 17 lowercase hex digits */
static bool
instance_ok(const char *s)
{
	size_t n;

	if (s == NULL || strncmp(s, "i-", 2) != 0)
		return false;
	n = strspn(s + 2, "0123456789abcdef");
	return s[2 + n] == '\0' && (n == 8 || n == 17);
}

/* DCV session ids soca makes (UUIDs) and any name-like id, at most 64 */
static bool
session_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '.')
		return false;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.");
	return s[n] == '\0' && n <= 64;
}

/* NULL: good, *owner set; else the reason */
static const char *
verify(struct soca_web *w, const char *tok, const char *session,
    const char *instance, char **owner)
{
	const char *dot = strchr(tok, '.'), *f[5];
	unsigned char pay[1024], mac[64], want[32];
	size_t pn, mn, nf = 0;
	char *end;
	long long exp;

	*owner = NULL;
	if (dot == NULL || (size_t)(dot - tok) > 1300 || strlen(dot + 1) != 43
	    || b64u_dec(tok, (size_t)(dot - tok), pay, &pn) < 0 ||
	    b64u_dec(dot + 1, 43, mac, &mn) < 0 || mn != 32)
		return "malformed token";
	if (token_mac(w, (const char *)pay, pn, want) < 0)
		return "cannot check tokens now";
	if (CRYPTO_memcmp(want, mac, 32) != 0)
		return "bad signature";
	if (memchr(pay, '\0', pn) != NULL)
		return "malformed token";
	pay[pn] = '\0';
	f[nf++] = (char *)pay;
	for (char *p = (char *)pay; (p = strchr(p, '|')) != NULL && nf < 5; )
		*p++ = '\0', f[nf++] = p;
	if (nf != 5 || strchr(f[4], '|') || strcmp(f[0], "v1") != 0)
		return "malformed token";
	exp = strtoll(f[4], &end, 10);
	if (*f[4] == '\0' || *end != '\0')
		return "malformed token";
	if (exp <= (long long)time(NULL))
		return "token expired";
	if (strcmp(f[1], session) != 0)
		return "token is for another session";
	if (strcmp(f[3], instance) != 0)
		return "token is for another instance";
	if (!soca_name_ok(f[2]))
		return "malformed token";
	*owner = soca_xstrdup(f[2]);
	return NULL;
}

static void
xml(struct soca_web *w, const char *owner, const char *why)
{
	char *s;

	if (owner != NULL)
		s = soca_xasprintf("<auth result=\"yes\"><username>%s"
		    "</username></auth>", owner);
	else
		s = soca_xasprintf("<auth result=\"no\"><message>%s"
		    "</message></auth>", why);
	soca_web_raw(w, 200, "text/xml; charset=utf-8", NULL, s, strlen(s));
	free(s);
}

/* POST /api/dcv-auth?instance=ID: DCV server's question */
void
soca_web_dcv_auth(struct soca_web *w)
{
	static const char *const qkeys[] = { "instance", NULL };
	static const char *const bkeys[] = { "sessionId",
		"authenticationToken", "clientAddress", NULL };
	char *inst = NULL, *ses = NULL, *tok = NULL, *owner = NULL;
	const char *why = NULL, *q = w->query;
	int bad = 0;

	if (!soca_web_query_only(w, qkeys) ||
	    !instance_ok(inst = soca_web_query(w, "instance", &bad)) || bad)
		why = "bad instance id";
	else if (w->bodylen > DCV_BODY_MAX || w->body == NULL ||
	    memchr(w->body, '\0', w->bodylen) != NULL)
		why = "malformed request";
	else {
		/* the form body has the query string's syntax */
		w->query = w->body;
		if (!soca_web_query_only(w, bkeys) ||
		    !session_ok(ses = soca_web_query(w, "sessionId", &bad)) ||
		    bad)
			why = "bad session id";
		else if ((tok = soca_web_query(w, "authenticationToken",
		    &bad)) == NULL || bad)
			why = "malformed token";
		w->query = q;
	}
	if (why == NULL)
		why = verify(w, tok, ses, inst, &owner);
	if (owner != NULL)
		soca_web_note(w, "dcv-auth yes: %s session %s on %s", owner,
		    ses, inst);
	else
		soca_web_note(w, "dcv-auth no: %s%s%s%s%s", why,
		    ses && session_ok(ses) ? " session " : "",
		    ses && session_ok(ses) ? ses : "",
		    instance_ok(inst) ? " on " : "",
		    instance_ok(inst) ? inst : "");
	xml(w, owner, why);
	if (tok != NULL)
		explicit_bzero(tok, strlen(tok));
	free(inst);
	free(ses);
	free(tok);
	free(owner);
}
