/*
 * soca-alter: change queued or held jobs, like qalter: resources (-l),
 * name, queue, project, priority and dependencies, each checked exactly
 * as soca-submit checks it (jobopt.c, soca_job_validate) against the job
 * as it is now, reloaded under the state lock (jobctl.c).  A refusal
 * changes nothing.  Moving a job to another queue drops the old queue's
 * defaults from its resources, so the new queue's apply.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "estimate.h"
#include "job.h"
#include "provider.h"
#include "provider_aws.h"

static const char usage_text[] =
    "usage: soca-alter [-J] [-l key=value[,...]] [-N name] [-P project] "
    "[-p priority]\n"
    "                  [-q queue] [-W depend=KIND:ID[:ID...][,...]] "
    "[id ...]\n";

struct alter {
	int opt[32];
	const char *arg[32];
	size_t n;
	struct soca_job given;	/* the options alone: what -l set */
};

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* A resource equal to the old queue's default came from it: drop it. */
static void
drop_defaults(const struct soca_conf *c, struct soca_job *j, const char *oldq,
    const struct soca_job *given)
{
	for (size_t i = j->nres; i-- > 0;) {
		char *k = soca_xstrndup(j->res[i], strcspn(j->res[i], "="));
		const char *def = soca_conf_get(c, "queue", oldq, k);

		if (soca_job_res(given, k) == NULL && def != NULL &&
		    strcmp(def, soca_job_res(j, k)) == 0)
			soca_job_del_res(j, k);
		free(k);
	}
}

static char *
self_dep(const struct soca_job *j)
{
	for (size_t i = 0; i < j->ndeps; i++)
		if (j->deps[i] == j->id)
			return soca_xasprintf("-W depend: job %lld cannot wait "
			    "for itself (name another job)", j->id);
	return NULL;
}

static int
alter(const struct soca_conf *c, struct soca_spool *sp, struct soca_job *j,
    void *arg, char **why)
{
	struct alter *a = arg;
	unsigned long long seen = 0;
	char *oldq = soca_xstrdup(j->queue);
	char *oldp = j->project ? soca_xstrdup(j->project) : NULL;

	(void)sp;
	if (soca_job_res(&a->given, "select") != NULL)	/* a new select */
		for (size_t i = j->nres; i-- > 0;) {
			char *k = soca_xstrndup(j->res[i], strcspn(j->res[i],
			    "="));

			if (soca_select_owns(k) || strcmp(k, "select") == 0)
				soca_job_del_res(j, k);
			free(k);
		}
	for (size_t i = 0; i < a->n && *why == NULL; i++)
		*why = soca_job_option(j, a->opt[i], a->arg[i], &seen, false);
	if (*why == NULL && strcmp(oldq, j->queue) != 0)
		drop_defaults(c, j, oldq, &a->given);
	/* the script does not change: it was checked at submission */
	if (*why == NULL && (*why = soca_job_validate(c, j, NULL, 0)) ==
	    NULL && (*why = self_dep(j)) == NULL &&
	    strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") == 0 &&
	    (*why = soca_aws_refuse(c, j)) == NULL)
		*why = soca_job_cost(c, j);	/* its estimate anew */
	if (*why == NULL && j->project && (oldp == NULL ||
	    strcmp(oldp, j->project) != 0))	/* a new project: its budget */
		*why = soca_job_budget(c, j, false);
	free(oldq);
	free(oldp);
	if (*why != NULL)
		return SOCA_EX_USAGE;
	free(j->reason);	/* the dispatcher's next pass says anew */
	j->reason = soca_job_waits(j, time(NULL));
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' }, { NULL, 0, NULL, 0 } };
	struct alter a = { 0 };
	struct soca_conf *c;
	unsigned long long seen = 0;
	bool json = false;
	char *why = NULL;
	int ch, rc;

	soca_priv_init();
	while ((ch = getopt_long(argc, argv, "hJl:N:p:P:q:W:", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'J': json = true; break;
		case '?': usage(SOCA_EX_USAGE);
		default:
			if (a.n == sizeof(a.opt) / sizeof(a.opt[0]))
				errx(SOCA_EX_USAGE, "too many options (at most "
				    "32; give several values in one -l)");
			if (why == NULL)	/* the values alone first */
				why = soca_job_option(&a.given, ch, optarg,
				    &seen, false);
			a.opt[a.n] = ch;
			a.arg[a.n++] = optarg;
		}
	if (why != NULL)
		errx(SOCA_EX_USAGE, "%s", why);
	if (a.n == 0)
		errx(SOCA_EX_USAGE, "nothing to change: give -l, -N, -P, -p, "
		    "-q or -W (see soca-alter(1))");
	c = soca_conf_must();
	rc = soca_jobctl(c, "alter", argc - optind, argv + optind, json, alter,
	    &a);
	if (rc < 0)
		usage(SOCA_EX_USAGE);
	soca_job_free(&a.given);
	soca_conf_free(c);
	return rc;
}
