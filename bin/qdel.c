/*
 * qdel: PBS's qdel over soca-del.  Each id is checked first, so PBS's
 * messages and exit statuses come out: "Unknown Job Id" 153, a finished
 * job 35, another user's 159 (pbs.c).  An array (42[]) and a single
 * subjob (42[7]) are taken, as PBS takes them.  soca-del always kills a running
 * job's processes, so -W force is taken; -W suppress_email too (and
 * ignored: soca's one abort mail a job is its runner's, mail.c).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pbs.h"

static const char usage_text[] =
    "usage: qdel [-W force | -W suppress_email=N] job_identifier ...\n"
    "       qdel --version\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void
wopt(const char *w)
{
	long long n;

	if (strcmp(w, "force") == 0)
		return;
	if (strncmp(w, "suppress_email=", 15) == 0 &&
	    soca_parse_int(w + 15, -1, 1000000, &n) == 0)
		return;
	errx(SOCA_EX_USAGE, "-W %s: not taken (write -W force or -W "
	    "suppress_email=N)", w);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	char *av[] = { "soca-del" };
	struct soca_conf *c;
	int ch, rc;

	if (soca_pbs_version(argc, argv))
		return SOCA_EX_OK;
	while ((ch = getopt_long(argc, argv, "+hW:x", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(SOCA_EX_OK);
		case 'W': wopt(optarg); break;
		case 'x':
			errx(SOCA_EX_USAGE, "-x (delete job history): soca "
			    "keeps finished jobs' records; remove it");
		default: usage(SOCA_EX_USAGE);
		}
	if (optind == argc)
		usage(SOCA_EX_USAGE);
	c = soca_conf_must();
	rc = soca_pbs_act(c, av, 1, argv + optind, (size_t)(argc - optind),
	    false);
	soca_conf_free(c);
	return rc;
}
