/*
 * qhold and qrls (one program, two names): PBS's qhold and qrls over
 * soca-hold and soca-release.  soca has one kind of hold, the user hold
 * (-h u, the default); an operator's or the system's is refused by name
 * rather than taken as another.  Each id is checked first, for PBS's
 * messages and exit statuses (pbs.c); an array (42[]) is taken, a
 * subjob alone refused, 156, as PBS refuses it.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pbs.h"

extern char *program_invocation_short_name;

static void __attribute__((noreturn))
usage(int code, const char *me)
{
	fprintf(code ? stderr : stdout, "usage: %s [-h u] job_identifier "
	    "...\n       %s --version\n", me, me);
	exit(code);
}

static void
hold_types(const char *h)
{
	if (strcmp(h, "u") == 0)
		return;
	errx(SOCA_EX_USAGE, "-h %s: soca has one kind of hold, the user hold; "
	    "write -h u or leave -h out (an administrator's hold is a user "
	    "hold too)", h);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' }, { NULL, 0, NULL, 0 } };
	const char *me = program_invocation_short_name;
	bool rls = strcmp(me, "qrls") == 0;
	char *av[] = { rls ? "soca-release" : "soca-hold" };
	struct soca_conf *c;
	int ch, rc;

	if (soca_pbs_version(argc, argv))
		return SOCA_EX_OK;
	while ((ch = getopt_long(argc, argv, "+h:", lo, NULL)) != -1)
		switch (ch) {
		case 'h': hold_types(optarg); break;
		case 'H': usage(SOCA_EX_OK, me);
		default: usage(SOCA_EX_USAGE, me);
		}
	if (optind == argc)
		usage(SOCA_EX_USAGE, me);
	c = soca_conf_must();
	rc = soca_pbs_act(c, av, 1, argv + optind, (size_t)(argc - optind),
	    true);
	soca_conf_free(c);
	return rc;
}
