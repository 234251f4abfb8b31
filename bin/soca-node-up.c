/*
 * soca-node-up: the dispatcher.  Finds queued jobs that may start (queue
 * order and limits, dependencies) and asks the provider for capacity.
 * Run from cron every minute, or kicked by soca-submit; when another
 * dispatcher is at work it exits 0 at once.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>

#include "provider.h"

static const char usage_text[] = "usage: soca-node-up [-v]\n";

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
		{ "verbose", no_argument, NULL, 'v' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	struct soca_spool *sp;
	bool verbose = false;
	int ch, n;

	while ((ch = getopt_long(argc, argv, "hv", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'v': verbose = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (optind != argc)
		usage(SOCA_EX_USAGE);
	soca_priv_init();
	soca_priv_lose();
	c = soca_conf_must();
	if ((sp = soca_spool_open(c, false)) == NULL)
		return SOCA_EX_OK;
	if ((n = soca_dispatch(c, sp)) == -2)
		exit(SOCA_EX_TEMP);
	if (n < 0)
		err(SOCA_EX_TEMP, "%s: dispatch", soca_spool_dir(sp));
	if (verbose)
		printf("%d job%s launched\n", n, n == 1 ? "" : "s");
	soca_spool_close(sp);
	soca_conf_free(c);
	return SOCA_EX_OK;
}
