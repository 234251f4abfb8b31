/*
 * t_slurm.c: hostlists and the resume file of both Slurm schemas (22.05
 * as Debian 12's slurmctld writes it, tests/slurm.bats records a real
 * one; 23.02 from tests/data/slurm).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "slurm.h"
#include "tap.h"

static void
hostlists(void)
{
	char **v;
	size_t n;

	ok(soca_hostlist_expand("a-[1-3,5],b01", &v, &n) == 0 && n == 5 &&
	    strcmp(v[0], "a-1") == 0 && strcmp(v[3], "a-5") == 0 &&
	    strcmp(v[4], "b01") == 0, "ranges, singles and plain names");
	soca_strv_free(v, n);
	ok(soca_hostlist_expand("n[08-10]", &v, &n) == 0 && n == 3 &&
	    strcmp(v[0], "n08") == 0 && strcmp(v[2], "n10") == 0,
	    "zero padding kept");
	soca_strv_free(v, n);
	ok(soca_hostlist_expand("r[1-2]-n[1-2]x", &v, &n) == 0 && n == 4 &&
	    strcmp(v[1], "r1-n2x") == 0 && strcmp(v[3], "r2-n2x") == 0,
	    "several brackets: the product, in order");
	soca_strv_free(v, n);
	ok(soca_hostlist_expand("a[3-1]", &v, &n) < 0 && v == NULL && n == 0,
	    "a backwards range is refused");
	ok(soca_hostlist_expand("a[1-", &v, &n) < 0, "unclosed bracket");
	ok(soca_hostlist_expand("", &v, &n) < 0, "empty list");
	ok(soca_hostlist_expand("a,,b", &v, &n) < 0, "empty item");
	ok(soca_hostlist_expand("a[x]", &v, &n) < 0, "not a number");
	ok(soca_hostlist_expand("a[1-9999999]", &v, &n) < 0,
	    "a list too long to expand is refused");
}

static void
resume_22(void)
{
	static const char f[] = "{\"all_nodes\":\"c-[1-2]\",\"jobs\":[{"
	    "\"extra\":null,\"features\":null,\"job_id\":7,\"nodes\":\"c-[1-2]\","
	    "\"oversubscribe\":\"OK\",\"partition\":\"normal\","
	    "\"reservation\":null}]}";
	struct soca_slurm_resume r;
	char *why = soca_slurm_resume_parse(f, strlen(f), "c-[1-2]", &r);

	ok(why == NULL && r.nall == 2 && r.njobs == 1 && r.jobs[0].id == 7 &&
	    r.jobs[0].nnodes == 2 && strcmp(r.jobs[0].nodes[1], "c-2") == 0 &&
	    strcmp(r.jobs[0].partition, "normal") == 0 &&
	    r.jobs[0].features == NULL, "22.05: all_nodes, jobs[].nodes");
	soca_slurm_resume_free(&r);
	free(why);
}

static void
resume_23(void)
{
	const char *dir = getenv("SOCA_TESTDATA"), *src = getenv("SOCA_SRCDIR");
	char *path = dir ? soca_xasprintf("%s/slurm/resume-23.02.json", dir) :
	    soca_xasprintf("%s/tests/data/slurm/resume-23.02.json",
	    src ? src : ".");
	FILE *fp = fopen(path, "r");
	char buf[4096];
	size_t len = fp ? fread(buf, 1, sizeof(buf), fp) : 0;
	struct soca_slurm_resume r;
	char *why;

	if (fp)
		fclose(fp);
	free(path);
	why = soca_slurm_resume_parse(buf, len, NULL, &r);
	ok(why == NULL && r.nall == 4 && r.njobs == 2 &&
	    r.jobs[0].id == 140 && r.jobs[0].nnodes == 3 &&
	    strcmp(r.jobs[0].features, "c5.large") == 0 &&
	    r.jobs[1].nnodes == 1 &&
	    strcmp(r.jobs[1].nodes[0], "hpc-c5xlarge-7") == 0 &&
	    strcmp(r.jobs[1].nodes_alloc, "hpc-c5xlarge-[6-7]") == 0,
	    "23.02: all_nodes_resume, nodes_resume, nodes_alloc, features");
	soca_slurm_resume_free(&r);
	free(why);
}

static void
resume_edges(void)
{
	struct soca_slurm_resume r;
	char *why;

	why = soca_slurm_resume_parse(NULL, 0, "c-[1-3]", &r);
	ok(why == NULL && r.nall == 3 && r.njobs == 0,
	    "no file: the hostlist argument");
	soca_slurm_resume_free(&r);
	why = soca_slurm_resume_parse("{\"all_nodes_resume\":\"c-1\","
	    "\"jobs\":[]}", 36, "c-1", &r);
	ok(why == NULL && r.nall == 1 && r.njobs == 0, "an empty jobs list");
	soca_slurm_resume_free(&r);
	why = soca_slurm_resume_parse("{\"jobs\":[{\"job_id\":1}]}", 23,
	    "c-1", &r);
	ok(why != NULL && strstr(why, "job 0") != NULL,
	    "a job without nodes is refused, named");
	free(why);
	why = soca_slurm_resume_parse("[1", 2, "c-1", &r);
	ok(why != NULL && strncmp(why, "resume file: line", 17) == 0,
	    "broken JSON: the line and JSON's word");
	free(why);
	why = soca_slurm_resume_parse(NULL, 0, NULL, &r);
	ok(why != NULL, "no file and no argument: refused");
	free(why);
}

/* tests/slurm.bats: the file a real slurmctld wrote, and its argument */
static void
resume_real(void)
{
	const char *path = getenv("SOCA_RESUME_FILE");
	struct soca_slurm_resume r;
	struct soca_buf b = { 0 };
	char buf[65536], *why;
	size_t len;
	FILE *fp;

	if (path == NULL || (fp = fopen(path, "r")) == NULL)
		return;
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	why = soca_slurm_resume_parse(buf, len, getenv("SOCA_RESUME_ARG"), &r);
	for (size_t i = 0; why == NULL && r.njobs > 0 &&
	    i < r.jobs[0].nnodes; i++)
		soca_buf_addf(&b, " %s", r.jobs[0].nodes[i]);
	ok(why == NULL && r.njobs == 1, "the resume file of this slurmctld: "
	    "job %lld, nodes%s", r.njobs ? r.jobs[0].id : 0, b.s ? b.s : "");
	if (why == NULL)
		soca_slurm_resume_free(&r);
	free(why);
	soca_buf_free(&b);
}

void
t_slurm(void)
{
	hostlists();
	resume_22();
	resume_23();
	resume_edges();
	resume_real();
}
