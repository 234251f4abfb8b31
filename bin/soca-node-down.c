/*
 * soca-node-down: the reaper, for cron.  Jobs whose runner vanished fail
 * with "node lost" (or are requeued when rerunnable), jobs stuck in
 * provisioning are requeued, and the provider releases capacity no job
 * owns.  Prints one line per job it changed: id, new state, reason.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "slurm.h"

static const char usage_text[] = "usage: soca-node-down [hostlist]\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	struct soca_spool *sp;
	int ch, n, rc = SOCA_EX_OK;

	soca_slurm_harden();	/* Slurm's SuspendProgram: a bare start */
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		default: usage(SOCA_EX_USAGE);
		}
	if (argc - optind > 1)
		usage(SOCA_EX_USAGE);
	soca_priv_init();
	soca_priv_lose();
	c = soca_conf_must();
	if (optind < argc)
		return soca_slurm_command(c, argv[optind], false);
	if ((sp = soca_spool_open(c, false)) == NULL) {
		soca_conf_free(c);
		return SOCA_EX_OK;	/* no spool yet: nothing to reap */
	}
	if ((n = soca_reap(c, sp, stdout)) < 0)
		err(SOCA_EX_TEMP, "%s", soca_spool_dir(sp));
	if (strcmp(soca_conf_get(c, "cluster", NULL, "scheduler"), "slurm") ==
	    0 && (soca_slurm_reap(c, sp, stdout) < 0 ||
	    soca_slurm_return_pass(sp, stdout) < 0 ||
	    soca_slurm_cap_pass(c, stdout) < 0))
		rc = SOCA_EX_TEMP;
	if (n > 0) {	/* slots freed, jobs requeued: a dispatcher pass */
		fflush(stdout);
		soca_kick(c, sp);
	}
	soca_spool_close(sp);
	soca_conf_free(c);
	return rc;
}
