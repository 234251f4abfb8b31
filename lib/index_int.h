/*
 * index_int.h: what lib/index.c (jobs, nodes) and lib/index_desk.c
 * (desktop sessions) share: one run's connection and counts, documents'
 * fields, bulk lines, the template and the REST call.
 */
#ifndef SOCA_INDEX_INT_H
#define SOCA_INDEX_INT_H

#include <jansson.h>

#include "aws.h"
#include "soca.h"

struct ckpt {
	long long t;
	long long *sid, *send;	/* S: ids sent, their end */
	size_t ns;
	long long *rid;		/* R: ids refused */
	size_t nr;
};

struct index_run {
	const struct soca_conf *c;
	const char *cluster, *index, *endpoint;
	char *basic;
	struct soca_aws *aws;
	long long batch;
	size_t sent, failed, bytes;
	struct ckpt next;	/* jobs only */
	bool temp;
};

void soca_idx_time(json_t *, const char *key, long long t);
void soca_idx_str(json_t *, const char *key, const char *v);
void soca_idx_line(struct soca_buf *, const char *index, char *id,
    json_t *doc);
int soca_idx_setup(struct index_run *, char **why);
int soca_idx_call(struct index_run *, const char *method, const char *path,
    const char *ctype, const struct soca_buf *body, struct soca_buf *out);
int soca_idx_put_template(struct index_run *, json_t *);

#endif
