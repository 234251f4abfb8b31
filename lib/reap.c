/*
 * reap.c: soca-node-down's work.  A running job whose runner no longer
 * holds its run lock lost its node: it fails with reason "node lost", or
 * goes back to the queue when it is rerunnable (-r y).  A job left in
 * provisioning with no runner for longer than [cluster] launch_timeout
 * goes back to the queue.  Finished jobs' capacity is released and the
 * provider sweeps what no job owns.  Every change is printed.  With a
 * remote provider (aws) provisioning jobs are the sweep's to judge (its
 * boot_timeout) and a lost runner's process group is not ours to kill.
 *
 * A running job with -l max_cost whose cost so far (its nodes x the
 * hourly price of its first instance type, from lib/cost's cache as its
 * estimate's, x the time since it started; with provider = local the
 * same, by its type's AWS price) has reached the cap gets stop= in its
 * record: its runner, which reads the record each second wherever it
 * runs, stops it as it stops a job past its walltime.
 */
#include "config.h"

#include <err.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cost.h"
#include "provider.h"

#define COST_CAP "cost cap reached"

struct reap {
	const struct soca_conf *c;
	struct soca_provider *p;
	struct soca_spool *sp;
	long long *ids;
	size_t n;
	long long *capped;	/* running jobs at or over their max_cost */
	size_t ncapped;
	struct soca_cost *cost;
};

/* the job's cost so far has reached its max_cost (false: no price) */
static bool
over_cap(struct reap *r, const struct soca_job *j)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws_cfg cfg = { 0 };
	const char *cap = soca_job_res(j, "max_cost");
	long long cents, nodes = soca_job_res_int(j, "nodes", 1);
	bool spot = soca_job_res(j, "spot_price") != NULL &&
	    soca_job_res_int(j, "spot_allocation_count", nodes) >= nodes;
	double usd, rate;

	if (cap == NULL || j->stop != NULL || j->start == 0 ||
	    soca_parse_usd(cap, &cents) != 0)
		return false;
	if (r->cost == NULL)
		r->cost = soca_cost_new(r->c, &cfg);
	usd = soca_cost_job(r->cost, soca_job_res(j, "instance_type"), nodes,
	    spot, j->start, 0, &rate, &e);
	if (usd < 0) {
		char *s = soca_aws_err_str(&e);
		warnx("job %lld: max_cost not checked: %s", j->id, s);
		free(s);
	}
	soca_aws_err_free(&e);
	return usd * 100 >= (double)cents;
}

static int
collect(struct soca_job *j, void *arg)
{
	struct reap *r = arg;

	r->ids = soca_xreallocarray(r->ids, r->n + 1, sizeof(*r->ids));
	r->ids[r->n++] = j->id;
	if (j->state == SOCA_RUNNING && over_cap(r, j)) {
		r->capped = soca_xreallocarray(r->capped, r->ncapped + 1,
		    sizeof(*r->capped));
		r->capped[r->ncapped++] = j->id;
	}
	return 0;
}

/* 1 when the running job id was asked to stop at its cost cap */
static int
cap_one(struct reap *r, long long id, FILE *f)
{
	struct soca_job j;
	int changed = 0;

	if (soca_spool_load(r->sp, id, &j) < 0)
		return 0;
	if (j.state == SOCA_RUNNING && j.stop == NULL) {
		j.stop = soca_xstrdup(COST_CAP);
		free(j.reason);
		j.reason = soca_xasprintf("%s: stopping (max_cost %s)",
		    COST_CAP, soca_job_res(&j, "max_cost"));
		if (soca_spool_update(r->sp, &j) == 0) {
			changed = 1;
			if (f)
				fprintf(f, "%lld %s %s\n", j.id,
				    soca_state_name(j.state), j.reason);
		}
	}
	soca_job_free(&j);
	return changed;
}

/* 1 when job id was requeued or failed, else 0 */
static int
reap_one(struct reap *r, long long id, FILE *f)
{
	struct soca_job j;
	long long grace = soca_conf_int(r->c, "cluster", NULL,
	    "launch_timeout");
	int to;

	int changed = 0;

	if (soca_spool_runner_alive(r->sp, id) ||
	    soca_spool_load(r->sp, id, &j) < 0)
		return 0;
	if (j.state != SOCA_PROVISIONING && j.state != SOCA_RUNNING) {
		soca_job_free(&j);
		return 0;
	}
	if (j.state == SOCA_PROVISIONING && (r->p->remote ||
	    time(NULL) - j.start < grace)) {
		soca_job_free(&j);
		return 0;
	}
	if (j.state == SOCA_RUNNING && j.pgid > 0 && !r->p->remote)
		kill(-j.pgid, SIGKILL);
	to = j.state == SOCA_PROVISIONING || j.rerun ? SOCA_QUEUED :
	    SOCA_FAILED;
	free(j.reason);
	j.reason = soca_xstrdup(j.state == SOCA_PROVISIONING ?
	    "requeued: its runner did not start" : to == SOCA_QUEUED ?
	    "requeued: node lost" : "node lost");
	if (to == SOCA_QUEUED) {
		j.start = 0;
		j.runner = j.pgid = 0;
	} else
		j.end = time(NULL);
	if (soca_spool_move(r->sp, &j, to) == 0) {
		changed = 1;
		if (to == SOCA_FAILED)
			soca_mail_job(r->c, r->sp, &j, 'a', NULL);
		if (f)
			fprintf(f, "%lld %s %s\n", j.id, soca_state_name(to),
			    j.reason);
	}
	soca_job_free(&j);
	return changed;
}

/*
 * The jobs part of a reaper pass, also run by the dispatcher before each
 * of its passes on a provider whose runners live here (so the embedded
 * default needs no cron): how many jobs changed, or -1.  f: where each
 * change is said, or NULL.
 */
int
soca_reap_jobs(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_provider *p, FILE *f)
{
	struct reap r = { .c = c, .p = p, .sp = sp };
	int n = 0;

	soca_spool_list(sp, (1u << SOCA_PROVISIONING) | (1u << SOCA_RUNNING),
	    collect, &r);
	soca_cost_free(r.cost);
	if (r.n == 0)
		return 0;
	if (soca_spool_lock(sp) < 0) {
		free(r.ids);
		free(r.capped);
		return -1;
	}
	for (size_t i = 0; i < r.ncapped; i++)
		n += cap_one(&r, r.capped[i], f);
	for (size_t i = 0; i < r.n; i++)
		n += reap_one(&r, r.ids[i], f);
	soca_spool_unlock(sp);
	free(r.ids);
	free(r.capped);
	return n;
}

/* soca-node-down: jobs, then capacity; what changed is said on f. */
int
soca_reap(const struct soca_conf *c, struct soca_spool *sp, FILE *f)
{
	struct soca_provider *p = soca_provider_open(c, sp);
	int n = soca_reap_jobs(c, sp, p, f);

	if (n < 0) {
		p->free(p);
		return -1;
	}
	p->log = f;
	p->sweep(p);
	p->free(p);
	return n;
}
