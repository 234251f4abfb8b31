/*
 * reap.c: soca-node-down's work.  A running job whose runner no longer
 * holds its run lock lost its node: it fails with reason "node lost", or
 * goes back to the queue when it is rerunnable (-r y).  A job left in
 * provisioning with no runner for longer than [cluster] launch_timeout
 * goes back to the queue.  Finished jobs' capacity is released and the
 * provider sweeps what no job owns.  Every change is printed.  With a
 * remote provider (aws) provisioning jobs are the sweep's to judge (its
 * boot_timeout) and a lost runner's process group is not ours to kill.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "provider.h"

struct reap {
	const struct soca_conf *c;
	struct soca_provider *p;
	struct soca_spool *sp;
	long long *ids;
	size_t n;
};

static int
collect(struct soca_job *j, void *arg)
{
	struct reap *r = arg;

	r->ids = soca_xreallocarray(r->ids, r->n + 1, sizeof(*r->ids));
	r->ids[r->n++] = j->id;
	return 0;
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
	struct reap r = { c, p, sp, NULL, 0 };
	int n = 0;

	soca_spool_list(sp, (1u << SOCA_PROVISIONING) | (1u << SOCA_RUNNING),
	    collect, &r);
	if (r.n == 0)
		return 0;
	if (soca_spool_lock(sp) < 0) {
		free(r.ids);
		return -1;
	}
	for (size_t i = 0; i < r.n; i++)
		n += reap_one(&r, r.ids[i], f);
	soca_spool_unlock(sp);
	free(r.ids);
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
