/*
 * qalter: PBS's qalter over soca-alter, which changes a queued or held
 * job with exactly soca-submit's validation.  What soca-alter changes is
 * taken (-l -N -p -P -W, and -A as the project when no -P is given);
 * every other qalter option is refused by name.  Each id is checked
 * first, for PBS's messages and exit statuses (pbs.c); an array (42[])
 * is taken, a subjob alone refused, 156, as PBS refuses it.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pbs.h"

static const char usage_text[] =
    "usage: qalter [-A account] [-l resource=value[,...]] [-N name] "
    "[-P project]\n"
    "              [-p priority] [-W depend=KIND:ID[:ID...]] "
    "job_identifier ...\n"
    "       qalter --version\n";

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
		{ "help", no_argument, NULL, 'H' }, { NULL, 0, NULL, 0 } };
	char **av;
	const char *account = NULL;
	struct soca_conf *c;
	size_t n = 0;
	bool project = false;
	int ch, rc;

	if (soca_pbs_version(argc, argv))
		return SOCA_EX_OK;
	av = soca_xcalloc((size_t)argc * 2 + 2, sizeof(*av));
	av[n++] = "soca-alter";
	while ((ch = getopt_long(argc, argv, "+a:A:c:e:h:j:k:l:m:M:N:o:p:P:r:"
	    "R:S:u:W:", lo, NULL)) != -1)
		switch (ch) {
		case 'A': account = optarg; break;
		case 'H': usage(SOCA_EX_OK);
		case 'l': case 'N': case 'p': case 'P': case 'W':
			av[n++] = ch == 'l' ? "-l" : ch == 'N' ? "-N" :
			    ch == 'p' ? "-p" : ch == 'P' ? "-P" : "-W";
			av[n++] = optarg;
			project = project || ch == 'P';
			break;
		case '?': usage(SOCA_EX_USAGE);
		default:
			errx(SOCA_EX_USAGE, "-%c: soca-alter does not change "
			    "that (qalter takes -A, -l, -N, -P, -p and -W "
			    "here); remove it, or delete the job and submit it "
			    "again", ch);
		}
	if (account && !project) {
		av[n++] = "-P";		/* PBS's account is soca's project */
		av[n++] = (char *)account;
	}
	if (optind == argc || n == 1)
		usage(SOCA_EX_USAGE);
	c = soca_conf_must();
	rc = soca_pbs_act(c, av, n, argv + optind, (size_t)(argc - optind),
	    true);
	soca_conf_free(c);
	free(av);
	return rc;
}
