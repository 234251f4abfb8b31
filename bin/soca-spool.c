/*
 * soca-spool: look after the spool.  `check` reports what crashes left
 * behind (temporary files of dead processes, scripts of jobs never
 * published, a job recorded in two states); with --repair it removes
 * them, keeping the later state.  Exit 0 when the spool is clean (or was
 * repaired), 1 when check found leftovers it did not repair.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

static const char usage_text[] =
    "usage: soca-spool check [--repair]\n"
    "       soca-spool path\n";

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
		{ "help", no_argument, NULL, 'h' },
		{ "repair", no_argument, NULL, 'r' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	struct soca_spool *sp;
	bool repair = false;
	int ch, found;

	while ((ch = getopt_long(argc, argv, "hr", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'r': repair = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	argc -= optind;
	argv += optind;
	if (argc != 1 || (strcmp(argv[0], "check") != 0 &&
	    strcmp(argv[0], "path") != 0))
		usage(SOCA_EX_USAGE);
	soca_priv_init();
	soca_priv_lose();
	c = soca_conf_must();
	if (strcmp(argv[0], "path") == 0) {
		puts(soca_conf_get(c, "cluster", NULL, "spool"));
		return SOCA_EX_OK;
	}
	if ((sp = soca_spool_open(c, false)) == NULL) {
		printf("%s: no spool yet\n", soca_conf_get(c, "cluster", NULL,
		    "spool"));
		return SOCA_EX_OK;
	}
	if ((found = soca_spool_check(sp, repair, stdout)) < 0)
		err(SOCA_EX_TEMP, "%s", soca_spool_dir(sp));
	if (found == 0)
		printf("%s: clean\n", soca_spool_dir(sp));
	soca_spool_close(sp);
	soca_conf_free(c);
	return found > 0 && !repair ? SOCA_EX_FALSE : SOCA_EX_OK;
}
