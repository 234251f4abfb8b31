/*
 * provider.h: where capacity comes from.  The dispatcher (dispatch.c)
 * asks a provider to launch each eligible job; the provider answers ok
 * (capacity is coming: the job is now provisioning and a runner will move
 * it to running), hold (not now: the reason is shown by soca-stat and the
 * job stays queued) or fail (never: the job fails with the reason).
 * release() gives back a finished job's capacity and sweep() removes
 * what no job owns (soca-node-down).  "local" runs jobs on this host;
 * "aws" launches EC2 capacity tagged for the job.
 *
 * A provider whose launches wait on the network says how many may be in
 * flight at once (parallel): the dispatcher then hands each admitted job
 * to one of that many forked workers (pool.c); limits shared by the run
 * (a rate) are the provider's to keep across processes.  halted() tells
 * why launching stopped for this run (throttling, say); halt() passes a
 * worker's reason to the dispatcher so that no job after it is tried.
 */
#ifndef SOCA_PROVIDER_H
#define SOCA_PROVIDER_H

#include <stdio.h>

#include "job.h"

enum soca_launch { SOCA_LAUNCH_OK, SOCA_LAUNCH_HOLD, SOCA_LAUNCH_FAIL };

struct soca_provider {
	const char *name;
	void *ctx;
	bool remote;		/* capacity elsewhere: no local pids, no pgid */
	FILE *log;		/* soca-node-down: where changes are printed */
	int parallel;		/* launches in flight at once (<= 1: in turn) */
	/* a job already provisioning or running: count its capacity */
	void (*busy)(struct soca_provider *, const struct soca_job *);
	/* may capacity be had for this job now? (no side effects) */
	enum soca_launch (*admit)(struct soca_provider *,
	    const struct soca_job *, char **reason);
	/* the job is provisioning: start it (its runner, or instances) */
	enum soca_launch (*launch)(struct soca_provider *, struct soca_job *,
	    char **reason);
	/* optional: why no more launches this run (NULL: they go on) */
	const char *(*halted)(struct soca_provider *);
	void (*halt)(struct soca_provider *, const char *why);
	int (*release)(struct soca_provider *, const struct soca_job *);
	int (*sweep)(struct soca_provider *);
	void (*free)(struct soca_provider *);
};

struct soca_provider *soca_provider_open(const struct soca_conf *,
    struct soca_spool *);

/* provider_local.c */
struct soca_provider *soca_provider_local(const struct soca_conf *,
    struct soca_spool *);
struct soca_provider *soca_provider_aws(const struct soca_conf *,
    struct soca_spool *);
int soca_spawn_detached(const char *prog, char *const argv[]);
char *soca_libexec(const char *prog);

/* dispatch.c */
int soca_dispatch(const struct soca_conf *, struct soca_spool *);
void soca_kick(const struct soca_conf *, struct soca_spool *);
int soca_reap(const struct soca_conf *, struct soca_spool *, FILE *);
int soca_reap_jobs(const struct soca_conf *, struct soca_spool *,
    struct soca_provider *, FILE *);

/* run.c */
int soca_run_job(const struct soca_conf *, struct soca_spool *, long long);
int soca_run_fail(struct soca_spool *, long long, const char *why);

#endif
