/*
 * slurm.c: what the Slurm bridge ([cluster] scheduler = slurm) reads from
 * Slurm: hostlists ("cloud-c5-[1-3,7],gpu01") and the resume file
 * slurmctld hands its ResumeProgram in SLURM_RESUME_FILE, in both of its
 * schemas: 22.05 (Debian 12) writes "all_nodes" and jobs[].nodes, 23.02
 * and later "all_nodes_resume" and jobs[].nodes_resume, beside
 * nodes_alloc, features and partition.  Either file may have no jobs
 * (nodes resumed for a reservation, or by hand): then the hostlist
 * argument is all there is.  Nothing here talks to Slurm or AWS.
 */
#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "slurm.h"

#define SOCA_HOSTLIST_MAX 100000	/* names one list may expand to */

static void
add_name(char ***v, size_t *n, const char *s, size_t len)
{
	*v = soca_xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = soca_xstrndup(s, len);
}

/* one range "7", "1-3" or "01-10" (width kept) into prefix + number */
static int
range(const char *r, size_t len, long long *lo, long long *hi, int *width)
{
	char *end;
	const char *dash = memchr(r, '-', len);

	if (len == 0 || !isdigit((unsigned char)r[0]))
		return -1;
	*width = (r[0] == '0' && (dash ? (size_t)(dash - r) : len) > 1) ?
	    (int)(dash ? (size_t)(dash - r) : len) : 0;
	*lo = strtoll(r, &end, 10);
	if (dash == NULL)
		*hi = *lo;
	else if (end != dash || !isdigit((unsigned char)dash[1]) ||
	    (*hi = strtoll(dash + 1, &end, 10)) < *lo)
		return -1;
	return end == r + len && *hi - *lo < SOCA_HOSTLIST_MAX ? 0 : -1;
}

/*
 * Expand head + "[ranges]" + tail, where tail may hold further brackets
 * (rack[1-2]-n[1-4]): each name of the product, in order.
 */
static int
expand(const char *s, size_t len, struct soca_buf *pre, char ***v, size_t *n)
{
	const char *open = memchr(s, '[', len), *close, *r;
	size_t plen = pre->len;

	if (open == NULL) {
		soca_buf_add(pre, s, len);
		if (pre->len == 0)
			return -1;
		add_name(v, n, pre->s, pre->len);
		pre->len = plen;
		return *n > SOCA_HOSTLIST_MAX ? -1 : 0;
	}
	if ((close = memchr(open, ']', len - (size_t)(open - s))) == NULL)
		return -1;
	for (r = open + 1; r < close;) {
		const char *comma = memchr(r, ',', (size_t)(close - r));
		size_t rl = comma ? (size_t)(comma - r) : (size_t)(close - r);
		long long lo, hi;
		int w;

		if (range(r, rl, &lo, &hi, &w) < 0)
			return -1;
		for (long long i = lo; i <= hi; i++) {
			soca_buf_add(pre, s, (size_t)(open - s));
			soca_buf_addf(pre, "%0*lld", w, i);
			if (expand(close + 1, len - (size_t)(close + 1 - s), pre,
			    v, n) < 0)
				return -1;
			pre->len = plen;
		}
		r += rl + (comma != NULL);
	}
	return 0;
}

/* "a-[1-3,5],b01": *names (caller frees with soca_strv_free) or -1 */
int
soca_hostlist_expand(const char *list, char ***names, size_t *n)
{
	struct soca_buf pre = { 0 };
	const char *s = list;
	int r = 0;

	*names = NULL;
	*n = 0;
	while (*s != '\0' && r == 0) {
		size_t len = 0;
		int depth = 0;

		for (; s[len] != '\0' && (depth > 0 || s[len] != ','); len++)
			depth += s[len] == '[' ? 1 : s[len] == ']' ? -1 : 0;
		if (len == 0 || depth != 0 || memchr(s, ' ', len))
			r = -1;
		else
			r = expand(s, len, &pre, names, n);
		s += len + (s[len] == ',');
	}
	soca_buf_free(&pre);
	if (r < 0 || *n == 0) {
		soca_strv_free(*names, *n);
		*names = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

static char *
jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? soca_xstrdup(v) : NULL;
}

/* jobs[i]: 23.02's names first, then 22.05's */
static int
resume_job(json_t *o, struct soca_slurm_job *j)
{
	json_t *id = json_object_get(o, "job_id");
	const char *nodes = json_string_value(json_object_get(o,
	    "nodes_resume"));

	if (nodes == NULL)
		nodes = json_string_value(json_object_get(o, "nodes"));
	if (!json_is_integer(id) || json_integer_value(id) < 1 ||
	    nodes == NULL || soca_hostlist_expand(nodes, &j->nodes,
	    &j->nnodes) < 0)
		return -1;
	j->id = json_integer_value(id);
	j->partition = jstr(o, "partition");
	j->features = jstr(o, "features");
	j->nodes_alloc = jstr(o, "nodes_alloc");
	return 0;
}

/*
 * Parse a resume file (either schema) into *r; its all-nodes list falls
 * back to the hostlist slurmctld gave as argv[1].  NULL, or why not.
 */
char *
soca_slurm_resume_parse(const char *text, size_t len, const char *arg,
    struct soca_slurm_resume *r)
{
	json_error_t e;
	json_t *root = NULL, *jobs;
	const char *all = NULL;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (text != NULL && (root = json_loadb(text, len, 0, &e)) == NULL)
		return soca_xasprintf("resume file: line %d: %s", e.line,
		    e.text);
	if (root && !json_is_object(root)) {
		json_decref(root);
		return soca_xstrdup("resume file: not a JSON object");
	}
	if (root && (all = json_string_value(json_object_get(root,
	    "all_nodes_resume"))) == NULL)
		all = json_string_value(json_object_get(root, "all_nodes"));
	if (all == NULL)
		all = arg;
	if (all == NULL || soca_hostlist_expand(all, &r->all, &r->nall) < 0) {
		json_decref(root);
		return soca_xasprintf("resume: no nodes, or a bad hostlist "
		    "\"%s\"", all ? all : "");
	}
	jobs = root ? json_object_get(root, "jobs") : NULL;
	if (jobs && !json_is_array(jobs)) {
		json_decref(root);
		soca_slurm_resume_free(r);
		return soca_xstrdup("resume file: \"jobs\" is not a list");
	}
	r->jobs = soca_xcalloc(json_array_size(jobs) + 1, sizeof(*r->jobs));
	for (i = 0; jobs && i < json_array_size(jobs); i++)
		if (resume_job(json_array_get(jobs, i), &r->jobs[r->njobs++]) <
		    0) {
			json_decref(root);
			soca_slurm_resume_free(r);
			return soca_xasprintf("resume file: job %zu has no job_id "
			    "or a bad node list", i);
		}
	json_decref(root);
	return NULL;
}

void
soca_slurm_resume_free(struct soca_slurm_resume *r)
{
	for (size_t i = 0; i < r->njobs; i++) {
		soca_strv_free(r->jobs[i].nodes, r->jobs[i].nnodes);
		free(r->jobs[i].partition);
		free(r->jobs[i].features);
		free(r->jobs[i].nodes_alloc);
	}
	free(r->jobs);
	soca_strv_free(r->all, r->nall);
	memset(r, 0, sizeof(*r));
}

/* the resume file's all-nodes hostlist ("" when it has none) */
char *
soca_slurm_all_nodes(const char *text, size_t len)
{
	json_t *root = text ? json_loadb(text, len, 0, NULL) : NULL;
	const char *all = json_string_value(json_object_get(root,
	    "all_nodes_resume"));
	char *s;

	if (all == NULL)
		all = json_string_value(json_object_get(root, "all_nodes"));
	s = soca_xstrdup(all ? all : "");
	json_decref(root);
	return s;
}
