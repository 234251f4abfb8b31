/*
 * soca-index: finished jobs (with "nodes", a snapshot of the cluster's
 * instances; with "desktops", the remote desktop sessions) to OpenSearch
 * (or Elasticsearch) for dashboards, through _bulk with deterministic
 * ids, from cron or a systemd timer.  Each run sends what is new since
 * its checkpoint;
 * --ndjson writes the same bulk body to stdout instead, for any other
 * tool, and leaves the checkpoint alone.  The work is lib/index.c's and
 * lib/index_desk.c's.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

static const char usage_text[] =
    "usage: soca-index [--all] [--ndjson] [jobs | nodes | desktops]\n"
    "  --all     every finished job (desktop session), not only what is "
    "new since\n"
    "            the checkpoint\n"
    "  --ndjson  write the _bulk body to stdout; send nothing\n";

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
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "ndjson", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct soca_spool *sp;
	struct soca_conf *c;
	bool all = false, desk, ndjson = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		switch (ch) {
		case 'a': all = true; break;
		case 'h': usage(0);
		case 'N': ndjson = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (optind < argc && ((strcmp(argv[optind], "jobs") != 0 &&
	    strcmp(argv[optind], "nodes") != 0 && strcmp(argv[optind],
	    "desktops") != 0) || optind + 1 < argc)) {
		warnx("\"%s\": soca-index sends jobs, nodes or desktops (write "
		    "soca-index, soca-index jobs, soca-index nodes or "
		    "soca-index desktops)", argv[optind]);
		return SOCA_EX_USAGE;
	}
	desk = optind < argc && strcmp(argv[optind], "desktops") == 0;
	c = soca_conf_must();
	if (optind < argc && strcmp(argv[optind], "nodes") == 0) {
		rc = soca_index_nodes(c, ndjson, stdout);
		soca_conf_free(c);
		if (fflush(stdout) != 0)
			err(SOCA_EX_TEMP, "stdout");
		return rc;
	}
	sp = soca_spool_open(c, false);	/* NULL: none yet, nothing ended */
	rc = desk ? soca_index_desktops(c, sp, ndjson, all, stdout) :
	    soca_index_jobs(c, sp, ndjson, all, stdout);
	if (sp)
		soca_spool_close(sp);
	soca_conf_free(c);
	if (fflush(stdout) != 0)
		err(SOCA_EX_TEMP, "stdout");
	return rc;
}
