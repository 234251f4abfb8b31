/*
 * curl_dl.c: libcurl, loaded when the first AWS request is made.
 *
 * libcurl brings some thirty libraries with it (TLS, Kerberos, LDAP,
 * IDN, HTTP/2, SSH, ...), and mapping and relocating them costs a
 * command several milliseconds at every start, whether it talks to AWS
 * or not.  Most runs of soca-submit and soca-stat never do (the DryRun
 * cache answers, or the provider is local), so the commands are not
 * linked against libcurl: this file defines the few libcurl functions
 * lib/aws uses, and the first call dlopen()s libcurl and forwards to the
 * real ones.  git keeps curl out of its own start the same way, in its
 * remote helpers.
 *
 * If libcurl cannot be loaded, curl_easy_init() says why once and returns
 * NULL, which its callers treat as any other failure to make a handle.
 * The functions that take a handle only follow a successful
 * curl_easy_init(), so libcurl is loaded by then.
 */
#include "config.h"

#define CURL_DISABLE_TYPECHECK 1	/* no macro wrappers over our names */

#include <curl/curl.h>
#include <stdarg.h>

#include "dl.h"

#ifndef CURL_SONAME
#define CURL_SONAME "libcurl.so.4"
#endif

enum { INIT, SETOPT, PERFORM, GETINFO, CLEANUP, STRERROR, SLIST_APPEND,
	SLIST_FREE, NFN };
static const char *const names[NFN] = {
	"curl_easy_init", "curl_easy_setopt", "curl_easy_perform",
	"curl_easy_getinfo", "curl_easy_cleanup", "curl_easy_strerror",
	"curl_slist_append", "curl_slist_free_all",
};
static void *f[NFN];
#define FN(i, type) ((type)f[i])

static bool
load(void)
{
	static int state;	/* 0 not tried, 1 loaded, -1 failed */

	if (state == 0)
		state = soca_dl_load(CURL_SONAME, "libcurl4", names, f, NFN) ?
		    1 : -1;
	return state > 0;
}

CURL *
curl_easy_init(void)
{
	return load() ? FN(INIT, CURL *(*)(void))() : NULL;
}

/*
 * One argument after the option, of the type its number says (curl.h:
 * CURLOPTTYPE_*): long, a pointer (data, string, slist or function) or
 * curl_off_t.  Handles only exist once libcurl is loaded.
 */
CURLcode
curl_easy_setopt(CURL *h, CURLoption o, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, o);
	if (o < CURLOPTTYPE_OBJECTPOINT)
		rc = FN(SETOPT, CURLcode (*)(CURL *, CURLoption, ...))(h, o, va_arg(ap, long));
	else if (o >= CURLOPTTYPE_OFF_T && o < CURLOPTTYPE_BLOB)
		rc = FN(SETOPT, CURLcode (*)(CURL *, CURLoption, ...))(h, o, va_arg(ap, curl_off_t));
	else
		rc = FN(SETOPT, CURLcode (*)(CURL *, CURLoption, ...))(h, o, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_perform(CURL *h)
{
	return FN(PERFORM, CURLcode (*)(CURL *))(h);
}

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO i, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, i);
	rc = FN(GETINFO, CURLcode (*)(CURL *, CURLINFO, ...))(h, i, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void
curl_easy_cleanup(CURL *h)
{
	if (h != NULL)
		FN(CLEANUP, void (*)(CURL *))(h);
}

const char *
curl_easy_strerror(CURLcode rc)
{
	return load() ? FN(STRERROR, const char *(*)(CURLcode))(rc) : "libcurl could not be loaded";
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	return load() ? FN(SLIST_APPEND, struct curl_slist *(*)(struct curl_slist *,
	    const char *))(l, s) : NULL;
}

void
curl_slist_free_all(struct curl_slist *l)
{
	if (l != NULL && load())
		FN(SLIST_FREE, void (*)(struct curl_slist *))(l);
}
