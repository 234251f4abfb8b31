/*
 * pbs.h: what the PBS front-ends (qsub, qstat, qdel, qhold, qrls,
 * qalter, qselect) share (pbs.c).  They run soca's own commands, which
 * keep every privilege and every rule, and speak PBS around them.
 */
#ifndef SOCA_PBS_H
#define SOCA_PBS_H

#include <jansson.h>

#include "job.h"

/* PBS Professional's exit statuses: its error number (pbs_error.h)
 * modulo 256 */
enum {
	SOCA_PBS_HISTJOB = 35,		/* PBSE_HISTJOBID 15139 */
	SOCA_PBS_BADSTATE = 152,	/* PBSE_BADSTATE 15016 */
	SOCA_PBS_UNKJOB = 153,		/* PBSE_UNKJOBID 15001 */
	SOCA_PBS_UNKQUE = 154,		/* PBSE_UNKQUE 15018 */
	SOCA_PBS_IVALREQ = 156,		/* PBSE_IVALREQ 15004 */
	SOCA_PBS_PERM = 159,		/* PBSE_PERM 15007 */
};

#define SOCA_PBS_VERSION "soca-" PACKAGE_VERSION

const char *soca_pbs_server(const struct soca_conf *);
char *soca_pbs_id(const struct soca_conf *, json_t *job);
#define SOCA_PBS_STDIN 1	/* the command reads our stdin (qsub) */
#define SOCA_PBS_QUIET 2	/* its "no such job" lines are ours to say */
int soca_pbs_run(const char *prog, char **argv, struct soca_buf *out,
    unsigned flags);
json_t *soca_pbs_jobs(char **ids, size_t n, bool history, bool subjobs,
    int *rc);
int soca_pbs_ref(const char *id, long long *num, long long *idx, bool *arr);
json_t *soca_pbs_find(json_t *jobs, const char *id);
void soca_pbs_no_ranges(char **ids, size_t n);
bool soca_pbs_is_array(json_t *job);
bool soca_pbs_is_subjob(json_t *job);
bool soca_pbs_finished(json_t *job);
char soca_pbs_state(json_t *job, long long now);
const char *soca_pbs_str(json_t *job, const char *key);
long long soca_pbs_int(json_t *job, const char *key);
const char *soca_pbs_res(json_t *job, const char *key);
int soca_pbs_target(const struct soca_conf *, json_t *jobs, const char *id,
    bool queued_only, json_t **job);
int soca_pbs_act(const struct soca_conf *, char **argv, size_t nargv,
    char **ids, size_t n, bool queued_only);
bool soca_pbs_version(int argc, char **argv);
json_t *soca_pbs_attrs(const struct soca_conf *, json_t *job, long long now);

/* pbs_array.c: an array's attributes, from its subjobs in jobs */
void soca_pbs_array_attrs(json_t *attrs, json_t *array, json_t *jobs);
char *soca_pbs_cput(json_t *job);

/* pbs_print.c: qstat -f blocks and -F json */
void soca_pbs_block(const char *what, const char *name, json_t *attrs,
    bool fold);
void soca_pbs_json(const struct soca_conf *, long long now, const char *what,
    json_t *body);

/* pbs_queue.c: qstat -Q and -B */
int soca_pbs_status(const struct soca_conf *, json_t *jobs, char **names,
    size_t n, bool full, bool json, bool server, long long now);

#endif
