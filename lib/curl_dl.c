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
 */
#include "config.h"

#define CURL_DISABLE_TYPECHECK 1	/* no macro wrappers over our names */

#include <curl/curl.h>
#include <dlfcn.h>
#include <err.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#ifndef CURL_SONAME
#define CURL_SONAME "libcurl.so.4"
#endif

static struct {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} fn;

static bool
load(void)
{
	static int state;	/* 0 not tried, 1 loaded, -1 failed */
	void *h;

	if (state != 0)
		return state > 0;
	state = -1;
	if ((h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		warnx("cannot load %s: %s (install the Debian package "
		    "libcurl4)", CURL_SONAME, dlerror());
		return false;
	}
#define SYM(f, name) \
	if ((*(void **)&fn.f = dlsym(h, name)) == NULL) { \
		warnx("%s: no %s in it: %s", CURL_SONAME, name, dlerror()); \
		return false; \
	}
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	state = 1;
	return true;
}

CURL *
curl_easy_init(void)
{
	return load() ? fn.easy_init() : NULL;
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
		rc = fn.easy_setopt(h, o, va_arg(ap, long));
	else if (o >= CURLOPTTYPE_OFF_T && o < CURLOPTTYPE_BLOB)
		rc = fn.easy_setopt(h, o, va_arg(ap, curl_off_t));
	else
		rc = fn.easy_setopt(h, o, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_perform(CURL *h)
{
	return fn.easy_perform(h);
}

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO i, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, i);
	rc = fn.easy_getinfo(h, i, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void
curl_easy_cleanup(CURL *h)
{
	if (h != NULL)
		fn.easy_cleanup(h);
}

const char *
curl_easy_strerror(CURLcode rc)
{
	return load() ? fn.easy_strerror(rc) : "libcurl could not be loaded";
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	return load() ? fn.slist_append(l, s) : NULL;
}

void
curl_slist_free_all(struct curl_slist *l)
{
	if (l != NULL && load())
		fn.slist_free_all(l);
}
