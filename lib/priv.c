/*
 * priv.c: the narrow setgid path of a shared spool, as crontab(1) does
 * it.  soca-submit, soca-stat and soca-del may be installed setgid to the
 * spool's group; they start by dropping to the caller's real gid and
 * raise the saved group only around spool access, so files named by the
 * user (scripts, soca.conf) are opened with the user's own rights.  The
 * owner of a job is always getuid(), from the kernel.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <unistd.h>

#include "job.h"

static gid_t spool_gid;
static bool setgid_run;

void
soca_priv_init(void)
{
	spool_gid = getegid();
	setgid_run = spool_gid != getgid();
	soca_priv_drop();
}

void
soca_priv_raise(void)
{
	if (setgid_run && setegid(spool_gid) < 0)
		err(SOCA_EX_TEMP, "setegid");
}

void
soca_priv_drop(void)
{
	if (setgid_run && setegid(getgid()) < 0)
		err(SOCA_EX_TEMP, "setegid");
}

/* For good: before running anything on the user's behalf. */
void
soca_priv_lose(void)
{
	if (setgid_run && setregid(getgid(), getgid()) < 0)
		err(SOCA_EX_TEMP, "setregid");
	setgid_run = false;
}

/* soca.conf with the caller's rights; a broken file is exit 2. */
struct soca_conf *
soca_conf_must(void)
{
	const char *path = soca_conf_path(NULL);
	struct soca_conf *c;
	const struct soca_diag *d;

	soca_priv_drop();
	if ((c = soca_conf_load(path)) == NULL)
		err(SOCA_EX_USAGE, "%s", path);
	soca_conf_check(c);
	if (soca_conf_ndiags(c) > 0) {
		d = soca_conf_diag(c, 0);
		errx(SOCA_EX_USAGE, "%s:%d: %s (soca-config check lists every "
		    "problem)", d->file, d->line, d->msg);
	}
	return c;
}
