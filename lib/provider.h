/*
 * provider.h: where capacity comes from.  The dispatcher (dispatch.c)
 * asks a provider to launch each eligible job; the provider answers ok
 * (capacity is coming: the job is now provisioning and a runner will move
 * it to running), hold (not now: the reason is shown by soca-stat and the
 * job stays queued) or fail (never: the job fails with the reason).
 * release() gives back a finished job's capacity and sweep() removes
 * what no job owns (soca-node-down).  "local" runs jobs on this host;
 * "aws" launches EC2 capacity tagged for the job.
 */
#ifndef SOCA_PROVIDER_H
#define SOCA_PROVIDER_H

#include "job.h"

enum soca_launch { SOCA_LAUNCH_OK, SOCA_LAUNCH_HOLD, SOCA_LAUNCH_FAIL };

struct soca_provider {
	const char *name;
	void *ctx;
	/* a job already provisioning or running: count its capacity */
	void (*busy)(struct soca_provider *, const struct soca_job *);
	/* may capacity be had for this job now? (no side effects) */
	enum soca_launch (*admit)(struct soca_provider *,
	    const struct soca_job *, char **reason);
	/* the job is provisioning: start it (its runner, or instances) */
	enum soca_launch (*launch)(struct soca_provider *, struct soca_job *,
	    char **reason);
	int (*release)(struct soca_provider *, const struct soca_job *);
	int (*sweep)(struct soca_provider *);
	void (*free)(struct soca_provider *);
};

struct soca_provider *soca_provider_open(const struct soca_conf *,
    struct soca_spool *);

/* provider_local.c */
struct soca_provider *soca_provider_local(const struct soca_conf *,
    struct soca_spool *);
int soca_spawn_detached(const char *prog, char *const argv[]);
char *soca_libexec(const char *prog);

/* dispatch.c */
int soca_dispatch(const struct soca_conf *, struct soca_spool *);
int soca_reap(const struct soca_conf *, struct soca_spool *, FILE *);

/* run.c */
int soca_run_job(const struct soca_conf *, struct soca_spool *, long long);

#endif
