/*
 * slurm_cron.c: the cron passes of the Slurm bridge.  soca-node-up (the
 * dispatcher pass) releases the jobs soca held for their budget once the
 * project is within it again, and replays resume work whose worker died;
 * soca-node-down (the reaper pass) returns the nodes soca set DOWN once
 * their instance type may launch again (slurm_backoff.c), with
 * power_down_force, so a failed launch never keeps a node out for good.
 *
 * A job soca holds carries its project and why in its comment:
 * "PROJECT (held by soca: WHY)"; the project is the comment's first word
 * (slurm_bridge.c reads it so for the tags), and the marker tells soca's
 * holds from a user's own, which soca never releases.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "slurm.h"

#define MARK " (held by soca: "

/* ID gets "PROJECT (held by soca: WHY)" and a hold.  0, or -1. */
int
soca_slurm_hold_why(const char *id, const char *project, const char *why)
{
	char *jarg = soca_xasprintf("jobid=%s", id);
	char *carg = soca_xasprintf("comment=%s%s%s)", project ? project :
	    "-", MARK, why);
	char *u[] = { "scontrol", "update", jarg, carg, NULL };
	char *h[] = { "scontrol", "hold", (char *)id, NULL };
	char *o1 = soca_slurm_capture(u), *o2 = soca_slurm_capture(h);
	int rc = o1 && o2 ? 0 : -1;

	free(o1);
	free(o2);
	free(jarg);
	free(carg);
	return rc;
}

/* one line of squeue -o "%i|%r|%k": release it when its project may spend */
static int
release_one(const struct soca_conf *c, char *line, FILE *f)
{
	char *id = line, *reason, *comment, *m, *why, *out;
	struct soca_job j = { 0 };

	if ((reason = strchr(id, '|')) == NULL ||
	    (comment = strchr(reason + 1, '|')) == NULL)
		return 0;
	*reason++ = '\0';
	*comment++ = '\0';
	if (strncmp(reason, "JobHeld", 7) != 0 ||
	    (m = strstr(comment, MARK)) == NULL)
		return 0;
	*m = '\0';
	j.project = comment;
	if ((why = soca_job_budget(c, &j, false)) != NULL) {
		free(why);
		return 0;
	}
	{
		char *jarg = soca_xasprintf("jobid=%s", id);
		char *carg = soca_xasprintf("comment=%s", comment);
		char *u[] = { "scontrol", "update", jarg, carg, NULL };
		char *r[] = { "scontrol", "release", id, NULL };

		free(soca_slurm_capture(u));
		out = soca_slurm_capture(r);
		free(jarg);
		free(carg);
	}
	if (out == NULL)
		return 0;
	fprintf(f, "%s released: project %s is within its budget\n", id,
	    comment);
	free(out);
	return 1;
}

/* soca-node-up's pass: the held jobs whose project may spend again */
int
soca_slurm_release_pass(const struct soca_conf *c, FILE *f)
{
	char *argv[] = { "squeue", "-h", "-t", "PD", "-o", "%i|%r|%k", NULL };
	char *out = soca_slurm_capture(argv), *line, *save = NULL;
	int n = 0;

	if (out == NULL)
		return -1;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL,
	    "\n", &save))
		n += release_one(c, line, f);
	free(out);
	return n;
}

/* the instance type among a node's features (c5.large), or NULL */
static char *
feature_type(const char *features)
{
	char *f = soca_xstrdup(features), *tok, *save = NULL, *t = NULL;

	for (tok = strtok_r(f, ",", &save); tok && !t; tok = strtok_r(NULL,
	    ",", &save))
		if (strchr(tok, '.') != NULL)
			t = soca_xstrdup(tok);
	free(f);
	return t;
}

/* soca-node-down's pass: soca's DOWN nodes whose type may launch again */
int
soca_slurm_return_pass(struct soca_spool *sp, FILE *f)
{
	char *argv[] = { "sinfo", "-h", "-N", "-t", "down", "-o", "%N|%f|%E",
	    NULL };
	char *out = soca_slurm_capture(argv), *line, *save = NULL;
	int n = 0;

	if (out == NULL)
		return -1;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL,
	    "\n", &save)) {
		char *feat = strchr(line, '|'), *why, *type, *arg;

		if (feat == NULL || (why = strchr(feat + 1, '|')) == NULL)
			continue;
		*feat++ = '\0';
		*why++ = '\0';
		if (strncmp(why, "soca: ", 6) != 0)
			continue;	/* an administrator's DOWN stays */
		type = feature_type(feat);
		if (soca_slurm_backoff_get(sp, type, NULL, NULL)) {
			free(type);
			continue;
		}
		arg = soca_xasprintf("nodename=%s", line);
		{
			char *u[] = { "scontrol", "update", arg,
			    "state=power_down_force", NULL };
			char *o = soca_slurm_capture(u);

			if (o)
				fprintf(f, "%s returned to service: %s may "
				    "launch again (it was down: %s)\n", line,
				    type ? type : "its type", why + 6);
			n += o != NULL;
			free(o);
		}
		free(arg);
		free(type);
	}
	free(out);
	return n;
}
