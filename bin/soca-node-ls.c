/*
 * soca-node-ls: the cluster's EC2 instances, from one paginated
 * DescribeInstances filtered on tag:soca:ClusterId (the reaper's sweep).
 * Filters by job, state and queue are applied here, on that one answer.
 * The hidden column "shared" adds, for an instance of a multiple_jobs
 * queue, what its node is doing (aws/inst/ID in the spool).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider_aws.h"
#include "slurm.h"

static const char usage_text[] =
    "usage: soca-node-ls [-aJn] [--csv] [-j job] [-s state] [-q queue] [-o cols]\n"
    "  -a        also shutting-down and terminated instances\n"
    "  -j job    only the instances of this job\n"
    "  -s state  only instances in this state (pending, running, ...)\n"
    "  -q queue  only instances of this queue\n"
    "  -J        JSON Lines;  --csv  CSV;  -n  no headings;  -o  columns\n";

static const struct soca_col cols[] = {
	{ "id", "INSTANCE", SOCA_COL_STR, false, false },
	{ "type", "TYPE", SOCA_COL_STR, false, false },
	{ "state", "STATE", SOCA_COL_STR, false, false },
	{ "job", "JOB", SOCA_COL_STR, true, false },
	{ "owner", "OWNER", SOCA_COL_STR, false, false },
	{ "queue", "QUEUE", SOCA_COL_STR, false, false },
	{ "az", "AZ", SOCA_COL_STR, false, false },
	{ "launch", "LAUNCHED", SOCA_COL_STR, false, false },
	{ "uptime", "UPTIME", SOCA_COL_STR, true, false },
	{ "market", "MARKET", SOCA_COL_STR, false, false },
	{ "shared", "SHARED", SOCA_COL_STR, false, true },
};
#define NCOLS (sizeof(cols) / sizeof(*cols))

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static bool
want(const struct soca_ec2_inst *x, const char *job, const char *state,
    const char *queue)
{
	if (job && (x->job == NULL || strcmp(x->job, job) != 0))
		return false;
	if (state && (x->state == NULL || strcmp(x->state, state) != 0))
		return false;
	if (queue && (x->queue == NULL || strcmp(x->queue, queue) != 0))
		return false;
	return true;
}

static void
row(struct soca_out *o, const struct soca_ec2_inst *x, time_t now,
    struct soca_spool *sp)
{
	char up[32], *sh = x->hash ? soca_aws_inst_state(sp, x->id) : NULL;
	long long s = x->launched ? (long long)(now - x->launched) : 0;

	if (s < 0)
		s = 0;
	snprintf(up, sizeof(up), "%lld:%02lld:%02lld", s / 3600,
	    s / 60 % 60, s % 60);
	soca_out_str(o, "id", x->id);
	soca_out_str(o, "type", x->type);
	soca_out_str(o, "state", x->state);
	soca_out_str(o, "job", x->job ? x->job : "-");
	soca_out_str(o, "owner", x->owner ? x->owner : "-");
	soca_out_str(o, "queue", x->queue ? x->queue : "-");
	soca_out_str(o, "az", x->az);
	soca_out_str(o, "launch", x->launch);
	soca_out_str(o, "uptime", up);
	soca_out_str(o, "market", x->lifecycle &&
	    strcmp(x->lifecycle, "spot") == 0 ? "spot" : "on-demand");
	/* multiple_jobs: what its node does (idle HASH, job N, busy N) */
	soca_out_str(o, "shared", x->hash ? (sh ? sh : "unknown") : "-");
	free(sh);
	soca_out_row(o);
}

static const char *const states[] = { "pending", "running", "stopping",
	"stopped", "shutting-down", "terminated", NULL };

static void
check_state(const char *s)
{
	for (size_t i = 0; states[i]; i++)
		if (strcmp(s, states[i]) == 0)
			return;
	errx(SOCA_EX_USAGE, "-s %s: not an instance state (pending, running, "
	    "stopping, stopped, shutting-down, terminated)", s);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "csv", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "job", required_argument, NULL, 'j' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "queue", required_argument, NULL, 'q' },
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 } };
	const char *job = NULL, *state = NULL, *queue = NULL, *sel = NULL;
	char *jobnum = NULL;
	long long jid;
	int rc;
	enum soca_out_fmt fmt = SOCA_OUT_TABLE;
	struct soca_aws_err e = { 0 };
	struct soca_ec2_inst *v;
	struct soca_conf *c;
	struct soca_aws *a;
	struct soca_out *o;
	struct soca_spool *sp;
	bool all = false, noheads = false;
	size_t n, shown = 0;
	time_t now = time(NULL);
	int ch;

	while ((ch = getopt_long(argc, argv, "ahJj:no:q:s:", lo, NULL)) != -1)
		switch (ch) {
		case 'a': all = true; break;
		case 'C': fmt = SOCA_OUT_CSV; break;
		case 'h': usage(0);
		case 'J': fmt = SOCA_OUT_JSON; break;
		case 'j': job = optarg; break;
		case 'n': noheads = true; break;
		case 'o': sel = optarg; break;
		case 'q': queue = optarg; break;
		case 's': check_state(optarg); state = optarg; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (optind != argc)
		usage(SOCA_EX_USAGE);
	if (job && soca_job_id(job, &jid) != 0)
		errx(SOCA_EX_USAGE, "-j %s: not a job id (a number, e.g. 42 or "
		    "42.server)", job);
	if (job)	/* the tag holds the bare number */
		job = jobnum = soca_xasprintf("%lld", jid);
	if (state && (strcmp(state, "shutting-down") == 0 ||
	    strcmp(state, "terminated") == 0))
		all = true;
	if (!soca_out_select_ok(cols, NCOLS, sel))
		return SOCA_EX_USAGE;
	c = soca_conf_must();
	sp = soca_spool_open(c, false);
	o = soca_out_new(cols, NCOLS, fmt, noheads, sel, stdout);
	if ((a = soca_aws_open(c, &e)) == NULL ||
	    soca_aws_describe(a, soca_conf_get(c, "cluster", NULL, "name"),
	    all, &v, &n, &e) < 0) {
		char *s = soca_aws_err_str(&e);

		warnx("DescribeInstances: %s", s);
		free(s);
		soca_out_free(o);
		soca_aws_free(a);
		if (sp)
			soca_spool_close(sp);
		soca_conf_free(c);
		exit(soca_aws_err_exit(&e));
	}
	for (size_t i = 0; i < n; i++)
		if (want(&v[i], job, state, queue)) {
			row(o, &v[i], now, sp);
			shown++;
		}
	if (soca_out_end(o) < 0)
		err(SOCA_EX_TEMP, "stdout");
	if (sp && strcmp(soca_conf_get(c, "cluster", NULL, "scheduler"),
	    "slurm") == 0)	/* on stderr: stdout stays the listing */
		soca_slurm_backoff_list(sp, stderr, "soca-node-ls: ");
	soca_ec2_inst_free(v, n);
	soca_aws_free(a);
	if (sp)
		soca_spool_close(sp);
	soca_conf_free(c);
	rc = shown || (!job && !state && !queue) ? SOCA_EX_OK : 1;
	free(jobnum);
	return rc;
}
