/*
 * soca-node-up: the dispatcher.  Finds queued jobs that may start (queue
 * order and limits, dependencies) and asks the provider for capacity.
 * Run from cron every minute, or kicked by soca-submit; when another
 * dispatcher is at work it exits 0 at once.  -u prints the user data
 * for [aws] launch_template (base64, no job id: a CreateFleet node reads
 * its job from its soca:JobId tag), for the template's UserData.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "provider_aws.h"
#include "slurm.h"

static const char usage_text[] = "usage: soca-node-up [-v]\n"
    "       soca-node-up -u\n"
    "       soca-node-up hostlist\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* -u: the launch template's user data, base64 */
static int
user_data(struct soca_conf *c)
{
	const char *path = soca_conf_get(c, "aws", NULL, "user_data");
	char *why = NULL, *s;

	if (path == NULL) {
		soca_conf_free(c);
		errx(SOCA_EX_USAGE, "[aws] user_data: not set; set it to the "
		    "user-data template (e.g. etc/user-data.sh)");
	}
	if ((s = soca_aws_user_data(c, path, 0, &why)) == NULL) {
		warnx("%s", why);
		free(why);
		soca_conf_free(c);
		return SOCA_EX_USAGE;
	}
	puts(s);
	free(s);
	soca_conf_free(c);
	return SOCA_EX_OK;
}

/* scheduler = slurm: release budget holds, replay dead resume work */
static int
slurm_pass(struct soca_conf *c, bool verbose)
{
	struct soca_spool *sp = soca_spool_open(c, true);
	int n = soca_slurm_release_pass(c, stdout), r;

	if (n < 0)
		warnx("squeue failed: held jobs not looked at (is slurmctld "
		    "up?)");
	r = soca_slurm_replay(c, sp);
	if (verbose)
		printf("%d job%s released, %d resume%s replayed\n", n < 0 ? 0 :
		    n, n == 1 ? "" : "s", r, r == 1 ? "" : "s");
	soca_spool_close(sp);
	soca_conf_free(c);
	return n < 0 ? SOCA_EX_TEMP : SOCA_EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user-data", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	struct soca_spool *sp;
	bool verbose = false, ud = false;
	int ch, n;

	soca_slurm_harden();	/* slurmctld's ResumeProgram: a bare start */
	while ((ch = getopt_long(argc, argv, "huv", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'u': ud = true; break;
		case 'v': verbose = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (argc - optind > 1)
		usage(SOCA_EX_USAGE);
	soca_priv_init();
	soca_priv_lose();
	c = soca_conf_must();
	if (ud)
		return user_data(c);
	if (optind < argc)
		return soca_slurm_command(c, argv[optind], true);
	if (strcmp(soca_conf_get(c, "cluster", NULL, "scheduler"), "slurm") ==
	    0)
		return slurm_pass(c, verbose);
	if ((sp = soca_spool_open(c, false)) == NULL) {
		soca_conf_free(c);
		return SOCA_EX_OK;	/* no spool yet: nothing queued */
	}
	if ((n = soca_dispatch(c, sp)) < 0) {
		if (n != -2)	/* -2: said already (a launch worker died) */
			warn("%s: dispatch", soca_spool_dir(sp));
		soca_spool_close(sp);
		soca_conf_free(c);
		return SOCA_EX_TEMP;
	}
	if (verbose)
		printf("%d job%s launched\n", n, n == 1 ? "" : "s");
	soca_spool_close(sp);
	soca_conf_free(c);
	return SOCA_EX_OK;
}
