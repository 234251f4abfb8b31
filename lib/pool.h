/*
 * pool.h: a few forked workers that each take one job at a time from the
 * dispatcher and answer how it went (pool.c).
 */
#ifndef SOCA_POOL_H
#define SOCA_POOL_H

#include <stddef.h>

#define SOCA_POOL_NOTE 400

struct soca_pool;

/* In a worker: do job; note (NUL-terminated) goes back with the result. */
typedef int (*soca_pool_work)(size_t job, void *arg, char *note, size_t len);
/* In the dispatcher: job's result (-1: its worker died), its note. */
typedef void (*soca_pool_done)(size_t job, int rc, const char *note,
    void *arg);

struct soca_pool *soca_pool_new(int workers, soca_pool_work, soca_pool_done,
    void *arg);
void soca_pool_ready(struct soca_pool *);
int soca_pool_give(struct soca_pool *, size_t job);
int soca_pool_end(struct soca_pool *);

#endif
