/*
 * reap.c: soca-node-down's work.  A running job whose runner no longer
 * holds its run lock lost its node: it fails with reason "node lost", or
 * goes back to the queue when it is rerunnable (-r y).  A job left in
 * provisioning with no runner for longer than [cluster] launch_timeout
 * goes back to the queue.  Finished jobs' capacity is released and the
 * provider sweeps what no job owns.  Every change is printed.
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

static void
reap_one(struct reap *r, long long id, FILE *f)
{
	struct soca_job j;
	long long grace = soca_conf_int(r->c, "cluster", NULL,
	    "launch_timeout");
	int to;

	if (soca_spool_runner_alive(r->sp, id) ||
	    soca_spool_load(r->sp, id, &j) < 0)
		return;
	if (j.state != SOCA_PROVISIONING && j.state != SOCA_RUNNING) {
		soca_job_free(&j);
		return;
	}
	if (j.state == SOCA_PROVISIONING && time(NULL) - j.start < grace) {
		soca_job_free(&j);
		return;
	}
	if (j.state == SOCA_RUNNING && j.pgid > 0)
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
	if (soca_spool_move(r->sp, &j, to) == 0)
		fprintf(f, "%lld %s %s\n", j.id, soca_state_name(to), j.reason);
	soca_job_free(&j);
}

int
soca_reap(const struct soca_conf *c, struct soca_spool *sp, FILE *f)
{
	struct reap r = { c, sp, NULL, 0 };
	struct soca_provider *p = soca_provider_open(c, sp);

	soca_spool_list(sp, (1u << SOCA_PROVISIONING) | (1u << SOCA_RUNNING),
	    collect, &r);
	if (soca_spool_lock(sp) < 0)
		return -1;
	for (size_t i = 0; i < r.n; i++)
		reap_one(&r, r.ids[i], f);
	soca_spool_unlock(sp);
	free(r.ids);
	p->sweep(p);
	p->free(p);
	return 0;
}
