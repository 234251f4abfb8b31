/*
 * dl.c: a shared library's functions, looked up when first needed.
 *
 * Used by curl_dl.c and crypto_dl.c, which keep libcurl (and the thirty
 * libraries it brings) and libcrypto out of every command's start: most
 * runs of soca-submit and soca-stat never sign or send a request.
 */
#include "config.h"

#include <dlfcn.h>
#include <err.h>

#include "dl.h"

/* fns[i] = the function names[i] of soname; false (and one warning) if not */
bool
soca_dl_load(const char *soname, const char *package,
    const char *const *names, void **fns, size_t n)
{
	void *h;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		warnx("cannot load %s: %s (install the Debian package %s)",
		    soname, dlerror(), package);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((fns[i] = dlsym(h, names[i])) == NULL) {
			warnx("%s: no %s in it (install the Debian package %s)",
			    soname, names[i], package);
			return false;
		}
	return true;
}
