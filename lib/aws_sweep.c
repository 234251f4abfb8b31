/*
 * aws_sweep.c: the cluster's instances from one paginated DescribeInstances
 * filtered on tag:soca:ClusterId (soca-node-ls prints them), and the
 * reaper's decisions on them (see provider_aws.c for the rules).  Every
 * decision is made from that one sweep and the spool; TerminateInstances
 * goes out once, in batches of 1,000, at the end.
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsx.h"
#include "provider_aws.h"

static char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? soca_xstrdup(s) : NULL;
}

static time_t
iso_time(const char *s)
{
	struct tm tm = { 0 };

	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

static void
take(struct soca_ec2_inst *x, json_t *in)
{
	json_t *t;
	size_t i;

	memset(x, 0, sizeof(*x));
	x->id = jstr(in, "instanceId");
	x->type = jstr(in, "instanceType");
	x->state = jstr(json_object_get(in, "instanceState"), "name");
	x->az = jstr(json_object_get(in, "placement"), "availabilityZone");
	x->launch = jstr(in, "launchTime");
	x->token = jstr(in, "clientToken");
	x->lifecycle = jstr(in, "instanceLifecycle");
	x->launched = iso_time(x->launch);
	x->why = jstr(json_object_get(in, "stateReason"), "message");
	x->ip = jstr(in, "privateIpAddress");
	x->pubip = jstr(in, "ipAddress");
	x->vpc = jstr(in, "vpcId");
	x->hibernate = json_string_value(json_object_get(json_object_get(in,
	    "hibernationOptions"), "configured")) != NULL &&
	    strcmp(json_string_value(json_object_get(json_object_get(in,
	    "hibernationOptions"), "configured")), "true") == 0;
	json_array_foreach(json_object_get(in, "tagSet"), i, t) {
		const char *k = json_string_value(json_object_get(t, "key"));

		if (k == NULL)
			continue;
		if (strcmp(k, "soca:JobId") == 0)
			x->job = jstr(t, "value");
		else if (strcmp(k, "soca:JobOwner") == 0)
			x->owner = jstr(t, "value");
		else if (strcmp(k, "soca:JobQueue") == 0)
			x->queue = jstr(t, "value");
		else if (strcmp(k, "soca:KeepForever") == 0)
			x->keep = jstr(t, "value");
		else if (strcmp(k, "soca:ResourceHash") == 0)
			x->hash = jstr(t, "value");
		else if (strcmp(k, "soca:SlurmJobId") == 0)
			x->slurm = jstr(t, "value");
		else if (strcmp(k, "soca:NodeType") == 0)
			x->nodetype = jstr(t, "value");
		else if (strcmp(k, "soca:DesktopName") == 0)
			x->dname = jstr(t, "value");
		else if (strcmp(k, "soca:DesktopSession") == 0)
			x->session = jstr(t, "value");
		else if (strcmp(k, "soca:JobProject") == 0)
			x->project = jstr(t, "value");
		else if (strcmp(k, "soca:DesktopImage") == 0)
			x->dimage = jstr(t, "value");
		else if (strcmp(k, "soca:DesktopOS") == 0)
			x->dos = jstr(t, "value");
	}
}

void
soca_ec2_inst_free_one(struct soca_ec2_inst *x)
{
	free(x->id);
	free(x->type);
	free(x->state);
	free(x->az);
	free(x->launch);
	free(x->token);
	free(x->lifecycle);
	free(x->job);
	free(x->owner);
	free(x->queue);
	free(x->keep);
	free(x->hash);
	free(x->slurm);
	free(x->why);
	free(x->nodetype);
	free(x->ip);
	free(x->pubip);
	free(x->dname);
	free(x->project);
	free(x->session);
	free(x->dimage);
	free(x->dos);
	free(x->vpc);
}

void
soca_ec2_inst_free(struct soca_ec2_inst *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		soca_ec2_inst_free_one(&v[i]);
	free(v);
}

/* all: also shutting-down and terminated instances */
int
soca_aws_describe(struct soca_aws *a, const char *cluster, bool all,
    struct soca_ec2_inst **out, size_t *n, struct soca_aws_err *e)
{
	return soca_aws_describe_tag(a, cluster, NULL, NULL, all, out, n, e);
}

/* The same sweep, narrowed to instances whose tag key has value. */
int
soca_aws_describe_tag(struct soca_aws *a, const char *cluster,
    const char *key, const char *value, bool all,
    struct soca_ec2_inst **out, size_t *n, struct soca_aws_err *e)
{
	json_t *p, *r, *rs, *in;
	size_t i, k;

	p = json_pack("{s:[{s:s, s:[s]}]}", "Filter", "Name",
	    "tag:soca:ClusterId", "Value", cluster);
	if (key) {
		char *f = soca_xasprintf("tag:%s", key);

		json_array_append_new(json_object_get(p, "Filter"), json_pack(
		    "{s:s, s:[s]}", "Name", f, "Value", value));
		free(f);
	}
	if (!all)
		json_array_append_new(json_object_get(p, "Filter"), json_pack(
		    "{s:s, s:[s,s,s,s]}", "Name", "instance-state-name",
		    "Value", "pending", "running", "stopping", "stopped"));
	json_object_set_new(p, "MaxResults", json_integer(1000));
	r = soca_aws_paginate(a, "ec2", "DescribeInstances", p, e);
	json_decref(p);
	*out = NULL;
	*n = 0;
	if (r == NULL)
		return -1;
	json_array_foreach(json_object_get(r, "reservationSet"), i, rs)
		json_array_foreach(json_object_get(rs, "instancesSet"), k, in) {
			*out = soca_xreallocarray(*out, *n + 1, sizeof(**out));
			take(&(*out)[(*n)++], in);
		}
	json_decref(r);
	return 0;
}

struct sweep {
	const struct soca_conf *c;
	struct soca_spool *sp;
	const char *cluster;
	FILE *log;
	struct soca_ec2_inst *v;	/* pending, running, stopping, stopped */
	size_t n;
	struct soca_ec2_inst *gone;	/* shutting-down, terminated */
	size_t ngone;
	char **kill;		/* ids to terminate */
	size_t nkill;
	time_t now;
	struct timespec t0;	/* when the sweep began */
};

static void
doom(struct sweep *w, struct soca_ec2_inst *x, const char *why)
{
	if (x->keep && strcmp(x->keep, "true") == 0)
		return;
	w->kill = soca_xreallocarray(w->kill, w->nkill + 1, sizeof(*w->kill));
	w->kill[w->nkill++] = x->id;
	fprintf(w->log, "%s terminate job %s: %s\n", x->id, x->job ? x->job :
	    "-", why);
}

static void requeue(struct sweep *, long long, const char *, bool, bool);

/* A job-shared instance whose launch job is over: gone once idle. */
static void
shared(struct sweep *w, struct soca_ec2_inst *x, time_t ended)
{
	char *why = NULL;
	long long lost;

	if (soca_aws_idle(w->c, w->sp, x->id, x->queue, ended, &why, &lost))
		doom(w, x, why);
	if (lost)
		requeue(w, lost, why, false, false);
	free(why);
}

/* Under the state lock: move a provisioning/running job on. */
static void
requeue(struct sweep *w, long long id, const char *why, bool fail_unless_rerun,
    bool same_attempt)
{
	struct soca_job j;
	struct soca_aws_jobstate s;
	int to;

	if (soca_spool_lock(w->sp) < 0)
		return;
	if (soca_spool_load(w->sp, id, &j) == 0 &&
	    (j.state == SOCA_PROVISIONING || j.state == SOCA_RUNNING)) {
		if (soca_aws_jobstate_read(w->sp, id, &s) == 0 && !s.launched &&
		    !same_attempt) {
			s.launched = true;	/* next launch: a new attempt */
			soca_aws_jobstate_write(w->sp, id, &s);
		}
		soca_aws_jobstate_free(&s);
		to = !fail_unless_rerun || j.rerun ? SOCA_QUEUED : SOCA_FAILED;
		free(j.reason);
		j.reason = to == SOCA_QUEUED ? soca_xasprintf("requeued: %s",
		    why) : soca_xstrdup(why);
		if (to == SOCA_QUEUED) {
			j.start = 0;
			j.runner = j.pgid = 0;
		} else
			j.end = time(NULL);
		if (soca_spool_move(w->sp, &j, to) == 0) {
			fprintf(w->log, "%lld %s %s\n", j.id,
			    soca_state_name(to), j.reason);
			if (to == SOCA_FAILED)
				soca_mail_job(w->c, w->sp, &j, 'a', NULL);
		}
	}
	soca_job_free(&j);
	soca_spool_unlock(w->sp);
}

/* The instance is the job's current attempt's, as recorded at launch. */
static bool
recorded(const struct soca_aws_jobstate *s, const char *id)
{
	for (size_t i = 0; i < s->nids; i++)
		if (strcmp(s->ids[i], id) == 0)
			return true;
	return false;
}

/* One job's instances (v[from..to)), all tagged with its id. */
static void
judge(struct sweep *w, size_t from, size_t to)
{
	long long id = strtoll(w->v[from].job, NULL, 10);
	long long boot = soca_conf_int(w->c, "aws", NULL, "boot_timeout");
	struct soca_aws_jobstate s;
	struct soca_job j;
	char *tok, *why;
	bool old = true;

	if (soca_spool_load(w->sp, id, &j) < 0) {
		long long grace = soca_conf_int(w->c, "aws", NULL,
		    "orphan_grace");

		for (size_t i = from; i < to; i++)
			if (w->v[i].hash)
				shared(w, &w->v[i], w->v[i].launched);
			else if (w->now - w->v[i].launched >= grace)
				doom(w, &w->v[i], "orphan: no such job");
		return;
	}
	if (j.state != SOCA_QUEUED && j.state != SOCA_PROVISIONING &&
	    j.state != SOCA_RUNNING) {
		for (size_t i = from; i < to; i++)
			if (w->v[i].hash)
				shared(w, &w->v[i], j.end);
			else
				doom(w, &w->v[i], soca_state_name(j.state));
		soca_job_free(&j);
		return;
	}
	soca_aws_jobstate_read(w->sp, id, &s);
	tok = soca_aws_token(w->cluster, id, s.attempt);
	for (size_t i = from; i < to; i++)
		if ((!recorded(&s, w->v[i].id) && (w->v[i].token == NULL ||
		    strcmp(w->v[i].token, tok) != 0)) ||
		    (j.state == SOCA_QUEUED && s.launched))
			doom(w, &w->v[i], "an earlier attempt");
		else
			old = false;
	if (!old && j.state == SOCA_PROVISIONING &&
	    w->now - w->v[from].launched >= boot) {
		why = soca_xasprintf("instances did not register within "
		    "boot_timeout (%llds)", boot);
		for (size_t i = from; i < to; i++)
			if (recorded(&s, w->v[i].id) || strcmp(w->v[i].token ?
			    w->v[i].token : "", tok) == 0)
				doom(w, &w->v[i], "boot_timeout");
		requeue(w, id, why, false, false);
		free(why);
	}
	free(tok);
	soca_aws_jobstate_free(&s);
	soca_job_free(&j);
}

static bool
seen(struct sweep *w, const char *id)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i].id, id) == 0)
			return true;
	return false;
}

static struct soca_ec2_inst *
ended(struct sweep *w, const char *id)
{
	for (size_t i = 0; i < w->ngone; i++)
		if (strcmp(w->gone[i].id, id) == 0)
			return &w->gone[i];
	return NULL;
}

/*
 * Why a launched job lost its capacity, or NULL: one of its instances
 * was seen shutting down or terminated (its StateReason says why: a Spot
 * interruption, or a termination outside soca), or none of them is
 * listed at all any more.
 */
static char *
lost_why(struct sweep *w, const struct soca_aws_jobstate *s)
{
	struct soca_ec2_inst *x;
	size_t missing = 0;

	for (size_t i = 0; i < s->nids; i++) {
		if (seen(w, s->ids[i]))
			continue;
		missing++;
		if ((x = ended(w, s->ids[i])) == NULL)
			continue;
		if (x->why && strstr(x->why, "Server.SpotInstanceTermination"))
			return soca_xasprintf("Spot interruption: instance %s "
			    "is %s (%s)", x->id, x->state, x->why);
		return soca_xasprintf("node lost: instance %s is %s (%s)",
		    x->id, x->state ? x->state : "gone", x->why ? x->why :
		    "no reason given");
	}
	if (missing < s->nids)
		return NULL;
	return soca_xasprintf("node lost: instance %s%s is gone (Spot "
	    "interruption or terminated outside soca)", s->ids[0],
	    s->nids > 1 ? " and the others" : "");
}

static bool
tagged(struct sweep *w, long long id)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", id);
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].job && strcmp(w->v[i].job, s) == 0)
			return true;
	return false;
}

/*
 * Active jobs that lost an instance (lost_why(); their others go too),
 * and jobs left provisioning by a dispatcher that died before its launch
 * was recorded and with nothing tagged for them after launch_timeout.
 */
static int
lost(struct soca_job *j, void *arg)
{
	struct sweep *w = arg;
	struct soca_aws_jobstate s;
	char *why;

	char *path = soca_xasprintf("%s/aws/%lld", soca_spool_dir(w->sp),
	    j->id);
	struct stat st;
	int fresh = stat(path, &st) == 0 &&
	    (st.st_mtim.tv_sec > w->t0.tv_sec ||
	    (st.st_mtim.tv_sec == w->t0.tv_sec &&
	    st.st_mtim.tv_nsec >= w->t0.tv_nsec));

	free(path);
	if (fresh)	/* launched after the sweep began: not in it */
		return 0;
	if (soca_aws_jobstate_read(w->sp, j->id, &s) < 0) {
		soca_aws_jobstate_free(&s);
		return 0;
	}
	if (!s.launched && j->state == SOCA_PROVISIONING &&
	    !tagged(w, j->id) && w->now - j->start >= soca_conf_int(w->c,
	    "cluster", NULL, "launch_timeout")) {
		/* the dispatcher died before or during its call: same token */
		requeue(w, j->id, "the launch was interrupted", false, true);
		soca_aws_jobstate_free(&s);
		return 0;
	}
	if (!s.launched || s.nids == 0) {
		soca_aws_jobstate_free(&s);
		return 0;
	}
	if ((why = lost_why(w, &s)) != NULL) {
		for (size_t i = 0; i < w->n; i++)
			if (recorded(&s, w->v[i].id))
				doom(w, &w->v[i], "its job lost a node");
		requeue(w, j->id, why, true, false);
		free(why);
	}
	soca_aws_jobstate_free(&s);
	return 0;
}

/* Placement groups (aws/pg/NAME) of jobs no longer provisioning/running. */
static void
placement_groups(struct sweep *w, struct soca_aws *a)
{
	char *dir = soca_xasprintf("%s/aws/pg", soca_spool_dir(w->sp));
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		char *path, buf[32] = "";
		struct soca_aws_err e = { 0 };
		struct soca_job j;
		json_t *p, *r;
		FILE *f;
		bool live = false;

		if (de->d_name[0] == '.')
			continue;
		path = soca_xasprintf("%s/%s", dir, de->d_name);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) && soca_spool_load(w->sp,
			    strtoll(buf, NULL, 10), &j) == 0) {
				live = j.state == SOCA_PROVISIONING ||
				    j.state == SOCA_RUNNING;
				soca_job_free(&j);
			}
			fclose(f);
		}
		p = json_pack("{s:s}", "GroupName", de->d_name);
		r = live ? NULL : soca_aws_ec2(a, "DeletePlacementGroup", p, &e);
		if (!live && (r || (e.code && strcmp(e.code,
		    "InvalidPlacementGroup.Unknown") == 0))) {
			unlink(path);
			fprintf(w->log, "%s deleted\n", de->d_name);
		}
		json_decref(r);
		json_decref(p);
		soca_aws_err_free(&e);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

static int
by_job(const void *a, const void *b)
{
	const struct soca_ec2_inst *x = a, *y = b;

	return strcmp(x->job ? x->job : "", y->job ? y->job : "");
}

static bool
is_gone(const struct soca_ec2_inst *x)
{
	return x->state && (strcmp(x->state, "shutting-down") == 0 ||
	    strcmp(x->state, "terminated") == 0);
}

/* Move shutting-down and terminated instances from v to gone. */
static void
split_gone(struct sweep *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (!is_gone(&w->v[i])) {
			w->v[k++] = w->v[i];
			continue;
		}
		w->gone = soca_xreallocarray(w->gone, w->ngone + 1,
		    sizeof(*w->gone));
		w->gone[w->ngone++] = w->v[i];
	}
	w->n = k;
}

int
soca_aws_sweep(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_aws *a, FILE *log)
{
	struct sweep w = { .c = c, .sp = sp, .log = log, .now = time(NULL) };
	struct soca_aws_err e = { 0 };
	size_t i, k;
	int rc;

	w.cluster = soca_conf_get(c, "cluster", NULL, "name");
	clock_gettime(CLOCK_REALTIME, &w.t0);
	if (soca_aws_describe(a, w.cluster, true, &w.v, &w.n, &e) < 0) {
		char *s = soca_aws_err_str(&e);

		warnx("DescribeInstances: %s", s);
		free(s);
		soca_aws_err_free(&e);
		return -1;
	}
	split_gone(&w);
	if (w.n > 1)
		qsort(w.v, w.n, sizeof(*w.v), by_job);
	for (i = 0; i < w.n; i = k) {
		for (k = i + 1; k < w.n && by_job(&w.v[i], &w.v[k]) == 0; k++)
			;
		if (w.v[i].job == NULL) {
			long long grace = soca_conf_int(c, "aws", NULL,
			    "orphan_grace");

			for (size_t m = i; m < k; m++)
				if (w.v[m].slurm == NULL &&	/* Slurm's: its own */
				    !(w.v[m].nodetype &&	/* soca-desktop's */
				    strcmp(w.v[m].nodetype, "desktop") == 0) &&
				    w.now - w.v[m].launched >= grace)
					doom(&w, &w.v[m], "orphan: no job tag");
			continue;
		}
		judge(&w, i, k);
	}
	soca_spool_list(sp, (1u << SOCA_PROVISIONING) | (1u << SOCA_RUNNING),
	    lost, &w);
	rc = w.nkill ? soca_aws_terminate(a, w.kill, w.nkill, log) : 0;
	placement_groups(&w, a);
	soca_fsx_sweep(c, sp, a, log);	/* fsx_sweep.c */
	free(w.kill);
	soca_ec2_inst_free(w.v, w.n);
	soca_ec2_inst_free(w.gone, w.ngone);
	return rc;
}
