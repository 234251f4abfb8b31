/*
 * index_int.h: what lib/index.c (jobs, nodes) and lib/index_desk.c
 * (desktop sessions) share: one run's connection and counts, documents'
 * fields, templates' field types, bulk lines and their answer, the REST
 * call and the checkpoint file SPOOL/index.NAME (each its own lines).
 */
#ifndef SOCA_INDEX_INT_H
#define SOCA_INDEX_INT_H

#include <jansson.h>

#include "aws.h"
#include "soca.h"

struct soca_spool;

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

int soca_idx_begin(struct index_run *, const struct soca_conf *,
    const char *key, bool ndjson);
void soca_idx_end(struct index_run *);
void soca_idx_time(json_t *, const char *key, long long t);
void soca_idx_str(json_t *, const char *key, const char *v);
void soca_idx_field(json_t *props, const char *name, const char *type);
void soca_idx_fields(json_t *props, const char *type,
    const char *const *names);
json_t *soca_idx_template(const char *index, json_t *props);
void soca_idx_line(struct soca_buf *, const char *index, char *id,
    json_t *doc);
int soca_idx_call(struct index_run *, const char *method, const char *path,
    const char *ctype, const struct soca_buf *body, struct soca_buf *out);
int soca_idx_put_template(struct index_run *, json_t *);
int soca_idx_bulk(struct index_run *, struct soca_buf *, json_t **ans);
long long soca_idx_item(json_t *item, json_t **err);
size_t soca_idx_chunk(const struct index_run *, size_t i, size_t n);
void soca_idx_ckpt_read(struct soca_spool *, const char *name,
    void (*line)(const char *, void *), void *arg);
int soca_idx_ckpt_write(struct soca_spool *, const char *name,
    const struct soca_buf *);

#endif
