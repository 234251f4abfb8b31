/*
 * fsx.h: per-job FSx for Lustre -- the submission rules (fsx.c) and the
 * file system's life on AWS: created by the dispatcher, mounted by the
 * nodes, exported and deleted by the reaper (fsx_aws.c).
 */
#ifndef SOCA_FSX_H
#define SOCA_FSX_H

#include <stdbool.h>
#include <stdio.h>

#include "aws.h"
#include "job.h"

/* fsx.c: FSx's rules, no AWS */
char *soca_fsx_check(const struct soca_conf *, struct soca_job *);
bool soca_fsx_size_ok(const char *type, long long gib);
long long soca_fsx_throughput_default(const char *type);
char *soca_fsx_s3(const char *url, char **bucket);
bool soca_fsx_bucket_ok(const char *name);

/* fsx_aws.c: the job's file system on AWS; fsx_sweep.c: the reaper's */
struct soca_fsx {
	char *id, *dns, *mount, *lifecycle;
	bool ours;		/* created for the job: the reaper deletes it */
};

void soca_fsx_free(struct soca_fsx *);
int soca_fsx_reachable(const struct soca_conf *, const struct soca_job *,
    char **why);
int soca_fsx_create(const struct soca_conf *, struct soca_aws *,
    const struct soca_job *, int attempt, json_t *run, char **why);
void soca_fsx_use(const struct soca_fsx *);
bool soca_fsx_subst(struct soca_buf *, const struct soca_conf *,
    const char *key, size_t kl);
int soca_fsx_sweep(const struct soca_conf *, struct soca_spool *,
    struct soca_aws *, FILE *log);
int soca_fsx_kept(const struct soca_conf *, struct soca_spool *,
    struct soca_aws *, void (*)(void *, const char *id, const char *why),
    void *, struct soca_aws_err *);

#endif
