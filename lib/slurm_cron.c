/*
 * slurm_cron.c: the cron passes of the Slurm bridge.  soca-node-up (the
 * dispatcher pass) releases the jobs soca held for their budget once the
 * project is within it again, and replays resume work whose worker died;
 * soca-node-down (the reaper pass) returns the nodes soca set DOWN once
 * their instance type may launch again (slurm_backoff.c), with
 * power_down_force, so a failed launch never keeps a node out for good,
 * and stops the running jobs whose cost so far reached their max_cost.
 *
 * A job soca holds carries its project and why in its comment:
 * "PROJECT[ max_cost=USD] (held by soca: WHY)", one it stopped at its
 * cap "PROJECT max_cost=USD (stopped by soca: cost cap reached)"; the
 * project is the comment's first word
 * (slurm_bridge.c reads it so for the tags), and the marker tells soca's
 * holds from a user's own, which soca never releases.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cost.h"
#include "job.h"
#include "slurm.h"

#define MARK " (held by soca: "
#define STOP " (stopped by soca: "
#define CAP "cost cap reached"

/* --comment=PROJECT[ max_cost=USD][ (held by soca: WHY)] */
char *
soca_slurm_comment(const char *project, const char *cap, const char *held)
{
	return soca_xasprintf("--comment=%s%s%s%s%s%s", project ? project :
	    "-", cap ? " max_cost=" : "", cap ? cap : "", held ? MARK : "",
	    held ? held : "", held ? ")" : "");
}

/*
 * A comment's soca mark, " (held by soca: WHY)" or " (stopped by soca:
 * WHY)": cut off, WHY returned (within the comment), or NULL
 */
char *
soca_slurm_mark(char *comment)
{
	char *m = strstr(comment, MARK), *why;

	if (m == NULL && (m = strstr(comment, STOP)) == NULL)
		return NULL;
	why = strstr(m, ": ") + 2;
	*m = '\0';
	if (*why && why[strlen(why) - 1] == ')')
		why[strlen(why) - 1] = '\0';
	return why;
}

/* the job's comment now, without a soca mark, or NULL */
static char *
comment_of(const char *id)
{
	char *q[] = { "squeue", "-h", "-t", "all", "-j", (char *)id, "-o", "%k",
	    NULL };
	char *out = soca_slurm_capture(q);

	if (out != NULL)
		soca_slurm_mark(out);
	if (out != NULL && (*out == '\0' || strcmp(out, "(null)") == 0)) {
		free(out);
		out = NULL;
	}
	return out;
}

/* "... max_cost=USD ...": USD, within the comment's copy, or NULL */
static const char *
cap_of(char *comment, long long *cents)
{
	char *c = strstr(comment, " max_cost=");

	if (c == NULL)
		return NULL;
	c += strlen(" max_cost=");
	c[strcspn(c, " ")] = '\0';
	return soca_parse_usd(c, cents) == 0 ? c : NULL;
}

/*
 * ID gets "PROJECT[ max_cost=USD] (held by soca: WHY)" (the cap its
 * comment had kept) and a hold.  0, or -1.
 */
int
soca_slurm_hold_why(const char *id, const char *project, const char *why)
{
	char *jarg = soca_xasprintf("jobid=%s", id), *was = comment_of(id);
	long long cents;
	const char *cap = was ? cap_of(was, &cents) : NULL;
	char *carg = soca_xasprintf("comment=%s%s%s%s%s)", project ? project :
	    "-", cap ? " max_cost=" : "", cap ? cap : "", MARK, why);
	char *u[] = { "scontrol", "update", jarg, carg, NULL };
	char *h[] = { "scontrol", "hold", (char *)id, NULL };
	char *o1 = soca_slurm_capture(u), *o2 = soca_slurm_capture(h);
	int rc = o1 && o2 ? 0 : -1;

	free(o1);
	free(o2);
	free(jarg);
	free(carg);
	free(was);
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
	j.project = soca_xstrndup(comment, strcspn(comment, " "));
	why = soca_job_budget(c, &j, false);
	free(j.project);
	if (why != NULL) {
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
	fprintf(f, "%s released: project %.*s is within its budget\n", id,
	    (int)strcspn(comment, " "), comment);
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

/* Slurm's reason for a node whose resume timed out */
#define TIMED_OUT "ResumeTimeout reached"

/* the node's comment when soca set it (soca_slurm_down), or NULL */
static char *
node_comment(const char *node)
{
	char *arg = soca_xasprintf("node=%s", node);
	char *argv[] = { "scontrol", "show", "-o", arg, NULL };
	char *out = soca_slurm_capture(argv), *c;

	free(arg);
	c = out ? soca_slurm_kv(out, "Comment") : NULL;
	free(out);
	if (c && strncmp(c, "soca: ", 6) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

/* back to service, soca's comment cleared; 0 when scontrol did it */
static int
return_node(const char *node)
{
	char *arg = soca_xasprintf("nodename=%s", node);
	char *argv[] = { "scontrol", "update", arg, "state=power_down_force",
	    "comment=", NULL };
	char *out = soca_slurm_capture(argv);
	int rc = out ? 0 : -1;

	free(arg);
	free(out);
	return rc;
}

/*
 * soca-node-down's pass: soca's DOWN nodes whose type may launch again.
 * One whose reason Slurm replaced with "ResumeTimeout reached" (soca set
 * it DOWN while it powered up) is still soca's by its comment: while its
 * type backs off, it gets soca's reason back.
 */
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
		char *feat = strchr(line, '|'), *why, *type, *mine = NULL;

		if (feat == NULL || (why = strchr(feat + 1, '|')) == NULL)
			continue;
		*feat++ = '\0';
		*why++ = '\0';
		if (strncmp(why, "soca: ", 6) != 0 &&
		    (strcmp(why, TIMED_OUT) != 0 ||
		    (why = mine = node_comment(line)) == NULL))
			continue;	/* an administrator's DOWN stays */
		type = feature_type(feat);
		if (soca_slurm_backoff_get(sp, type, NULL, NULL)) {
			if (mine)	/* soca's reason back */
				soca_slurm_down(line, mine + 6);
		} else if (return_node(line) == 0) {
			fprintf(f, "%s returned to service: %s may launch "
			    "again (it was down: %s)\n", line, type ? type :
			    "its type", why + 6);
			n++;
		}
		free(type);
		free(mine);
	}
	free(out);
	return n;
}

/* Slurm's local "YYYY-MM-DDTHH:MM:SS"; 0 when not a time */
static time_t
slurm_start(const char *s)
{
	struct tm tm = { 0 };
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	tm.tm_isdst = -1;
	return e && *e == '\0' ? mktime(&tm) : 0;
}

/* the job's comment gets soca's stop mark, then scancel: 0, or -1 */
static int
stop(const char *id, const char *comment)
{
	char *jarg = soca_xasprintf("jobid=%s", id);
	char *carg = soca_xasprintf("comment=%s%s%s)", comment, STOP, CAP);
	char *u[] = { "scontrol", "update", jarg, carg, NULL };
	char *k[] = { "scancel", (char *)id, NULL };
	char *o1 = soca_slurm_capture(u), *o2 = o1 ? soca_slurm_capture(k) :
	    NULL;
	int rc = o1 && o2 ? 0 : -1;

	free(o1);
	free(o2);
	free(jarg);
	free(carg);
	return rc;
}

/*
 * One squeue line "ID|COMMENT|NODES|FEATURES|START" of a running job:
 * stopped when its cost so far (its nodes x the hourly On-Demand price
 * of its first instance type, lib/cost's cache, x the time since it
 * started; SOCA_NOW stands in for the clock) has reached the max_cost in
 * its comment.  1 stopped, 0 not, -1 no price or Slurm refused.
 */
static int
cap_one(struct soca_cost *cost, char *line, FILE *f)
{
	char *id = line, *bar[4], *comment, *copy, *type;
	struct soca_aws_err e = { 0 };
	const char *cap;
	long long cents;
	double usd, rate;
	time_t start;
	int rc = 0;

	for (int i = 3; i >= 1; i--) {	/* from the right: a comment may hold | */
		if ((bar[i] = strrchr(line, '|')) == NULL || bar[i] == line)
			return 0;
		*bar[i] = '\0';
	}
	if ((comment = strchr(id, '|')) == NULL)
		return 0;
	*comment++ = '\0';
	copy = soca_xstrdup(comment);
	if (strstr(comment, STOP) != NULL ||
	    (cap = cap_of(copy, &cents)) == NULL ||
	    (start = slurm_start(bar[3] + 1)) == 0) {
		free(copy);
		return 0;
	}
	type = soca_xstrndup(bar[2] + 1, strcspn(bar[2] + 1, "|&,[]*"));
	usd = soca_cost_job(cost, type, strtoll(bar[1] + 1, NULL, 10), false,
	    start, 0, &rate, &e);
	if (usd < 0) {
		char *s = soca_aws_err_str(&e);

		fprintf(f, "%s running max_cost not checked: %s\n", id, s);
		free(s);
		rc = -1;
	} else if (usd * 100 >= (double)cents) {
		rc = stop(id, comment) == 0 ? 1 : -1;
		fprintf(f, "%s running %s: %s (max_cost %s)\n", id, CAP, rc == 1 ?
		    "stopping" : "scancel failed", cap);
	}
	soca_aws_err_free(&e);
	free(type);
	free(copy);
	return rc;
}

/*
 * soca-node-down's pass: Slurm's running jobs with a max_cost in their
 * comment, each stopped (scancel: SIGTERM, then Slurm's KillWait and
 * SIGKILL) once it has cost that much, with the reason "cost cap
 * reached" in its comment.  The number stopped, or -1.
 */
int
soca_slurm_cap_pass(const struct soca_conf *c, FILE *f)
{
	char *argv[] = { "squeue", "-h", "-t", "R", "-o", "%i|%k|%D|%f|%S",
	    NULL };
	char *out = soca_slurm_capture(argv), *line, *save = NULL;
	struct soca_aws_cfg cfg = { 0 };
	struct soca_cost *cost = NULL;
	int n = 0, r, rc = 0;

	if (out == NULL)
		return -1;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL,
	    "\n", &save)) {
		if (strstr(line, " max_cost=") == NULL)
			continue;
		if (cost == NULL)
			cost = soca_cost_new(c, &cfg);
		if ((r = cap_one(cost, line, f)) < 0)
			rc = -1;
		else
			n += r;
	}
	if (cost)
		soca_cost_free(cost);
	free(out);
	return rc < 0 ? rc : n;
}
