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
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
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

/*
 * A setgid run must not let the caller choose the spool: the file must be
 * root's and writable by root alone, read from the descriptor that was
 * checked, and it must name the spool (no per-user default).
 */
static struct soca_conf *
trusted_conf(const char *path)
{
	struct soca_buf b = { 0 };
	struct soca_conf *c;
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd;

	if (path == NULL)
		errx(SOCA_EX_USAGE, "a setgid %s needs %s naming the shared "
		    "spool ([cluster] spool)", getprogname(),
		    SYSCONFDIR "/soca/soca.conf");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		err(SOCA_EX_USAGE, "%s", path);
	if (st.st_uid != 0 || (st.st_mode & 022) != 0 || !S_ISREG(st.st_mode))
		errx(SOCA_EX_USAGE, "%s: a shared spool's configuration must be "
		    "a file owned by root and writable by root only (chown "
		    "root %s; chmod 644 %s)", path, path, path);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < 4 << 20)
		soca_buf_add(&b, chunk, (size_t)n);
	if (n < 0)
		err(SOCA_EX_USAGE, "%s", path);
	close(fd);
	c = soca_conf_parse(path, b.s ? b.s : "", b.len);
	soca_buf_free(&b);
	soca_conf_must_be_sound(c);
	if (!soca_conf_isset(c, "cluster", NULL, "spool")) {
		soca_conf_free(c);
		errx(SOCA_EX_USAGE, "%s: a shared spool needs [cluster] spool "
		    "set (setgid commands never use a per-user spool)", path);
	}
	return c;
}

/* soca.conf with the caller's rights; a broken file is exit 2. */
struct soca_conf *
soca_conf_must(void)
{
	soca_priv_drop();
	if (setgid_run)
		return trusted_conf(soca_conf_path(NULL));
	return soca_conf_open(NULL);
}
