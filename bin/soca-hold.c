/*
 * soca-hold: hold queued jobs, like qhold: a held job stays queued and is
 * never dispatched until soca-release; soca-stat's reason says who held
 * it.  Ids from the arguments or stdin; owners hold their own jobs,
 * administrators any (jobctl.c).  Prints each id it held.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "slurm.h"

static const char usage_text[] = "usage: soca-hold [-J] [id ...]\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* A held job stays held by whoever held it first. */
static int
hold(const struct soca_conf *c, struct soca_spool *sp, struct soca_job *j,
    void *arg, char **why)
{
	const char *me = arg;

	(void)c, (void)sp, (void)why;
	if (j->holder == NULL) {
		j->holder = soca_xstrdup(me);
		j->holduid = getuid();
	}
	free(j->reason);
	j->reason = soca_job_waits(j, 0);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	struct passwd *pw;
	bool json = false;
	int ch, rc;

	soca_priv_init();
	while ((ch = getopt_long(argc, argv, "hJ", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'J': json = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	if ((pw = getpwuid(getuid())) == NULL)
		errx(SOCA_EX_USAGE, "uid %ld has no user name (add it to the "
		    "directory)", (long)getuid());
	c = soca_conf_must();
	if (soca_slurm_on(c)) {	/* scontrol hold on Slurm's jobs */
		soca_conf_free(c);
		return soca_slurm_jobctl("hold", argc - optind, argv + optind,
		    json);
	}
	rc = soca_jobctl(c, "hold", argc - optind, argv + optind, json, hold,
	    pw->pw_name);
	if (rc < 0)
		usage(SOCA_EX_USAGE);
	soca_conf_free(c);
	return rc;
}
