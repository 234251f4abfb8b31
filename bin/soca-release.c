/*
 * soca-release: release held jobs, like qrls: the hold goes and the
 * dispatcher is kicked, so on the embedded default the job starts at
 * once when it can.  Owners release their own holds; a hold an
 * administrator put on another's job only an administrator releases
 * (PBS's operator hold).  Prints each id it released.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "slurm.h"

static const char usage_text[] = "usage: soca-release [-J] [id ...]\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static int
release(const struct soca_conf *c, struct soca_spool *sp, struct soca_job *j,
    void *arg, char **why)
{
	(void)sp, (void)arg;
	if (j->holder == NULL) {
		*why = soca_xstrdup("is not held (soca-stat shows its reason)");
		return SOCA_EX_FALSE;
	}
	if (j->holduid != j->uid && !soca_is_admin(c, getuid())) {
		*why = soca_xasprintf("held by %s, an administrator; only an "
		    "administrator may release it", j->holder);
		return SOCA_EX_FALSE;
	}
	free(j->holder);
	j->holder = NULL;
	j->holduid = 0;
	free(j->reason);
	j->reason = soca_job_waits(j, time(NULL));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	bool json = false;
	int ch, rc;

	soca_priv_init();
	while ((ch = getopt_long(argc, argv, "hJ", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'J': json = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	c = soca_conf_must();
	if (soca_slurm_on(c)) {	/* scontrol release on Slurm's jobs */
		soca_conf_free(c);
		return soca_slurm_jobctl("release", argc - optind, argv + optind,
		    json);
	}
	rc = soca_jobctl(c, "release", argc - optind, argv + optind, json,
	    release, NULL);
	if (rc < 0)
		usage(SOCA_EX_USAGE);
	soca_conf_free(c);
	return rc;
}
