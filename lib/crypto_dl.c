/*
 * crypto_dl.c: libcrypto, loaded when the first SHA-256 is needed.
 *
 * Only SigV4 and soca's digests (lib/aws_sigv4.c) use OpenSSL, through
 * the five EVP functions below; mapping and relocating libcrypto costs
 * every command about 2 ms at start, so, as with libcurl (curl_dl.c),
 * the commands are not linked against it and the first call loads it.
 * Without libcrypto nothing can be signed or hashed: the command stops
 * with exit 3 and the package to install.
 */
#include "config.h"

#include <err.h>
#include <openssl/evp.h>

#include "dl.h"
#include "soca.h"

#ifndef CRYPTO_SONAME
#define CRYPTO_SONAME "libcrypto.so.3"
#endif

enum { CTX_NEW, MD_FETCH, INIT, UPDATE, FINAL, NFN };
static const char *const names[NFN] = {
	"EVP_MD_CTX_new", "EVP_MD_fetch", "EVP_DigestInit_ex",
	"EVP_DigestUpdate", "EVP_DigestFinal_ex",
};
static void *f[NFN];
#define FN(i, type) ((type)f[i])

static void
load(void)
{
	static bool loaded;

	if (loaded)
		return;
	if (!soca_dl_load(CRYPTO_SONAME, "libssl3", names, f, NFN))
		errx(SOCA_EX_TEMP, "cannot compute SHA-256 without libcrypto");
	loaded = true;
}

EVP_MD_CTX *
EVP_MD_CTX_new(void)
{
	load();
	return FN(CTX_NEW, EVP_MD_CTX *(*)(void))();
}

EVP_MD *
EVP_MD_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props)
{
	load();
	return FN(MD_FETCH, EVP_MD *(*)(OSSL_LIB_CTX *, const char *,
	    const char *))(ctx, alg, props);
}

int
EVP_DigestInit_ex(EVP_MD_CTX *c, const EVP_MD *md, ENGINE *e)
{
	load();
	return FN(INIT, int (*)(EVP_MD_CTX *, const EVP_MD *, ENGINE *))(c,
	    md, e);
}

int
EVP_DigestUpdate(EVP_MD_CTX *c, const void *d, size_t n)
{
	load();
	return FN(UPDATE, int (*)(EVP_MD_CTX *, const void *, size_t))(c, d,
	    n);
}

int
EVP_DigestFinal_ex(EVP_MD_CTX *c, unsigned char *md, unsigned int *n)
{
	load();
	return FN(FINAL, int (*)(EVP_MD_CTX *, unsigned char *,
	    unsigned int *))(c, md, n);
}
