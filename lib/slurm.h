/*
 * slurm.h: the Slurm bridge (slurm.c): hostlists and the resume file.
 */
#ifndef SOCA_SLURM_H
#define SOCA_SLURM_H

#include <time.h>

#include "soca.h"

struct soca_slurm_job {
	long long id;
	char **nodes;		/* the nodes to resume for it, expanded */
	size_t nnodes;
	char *partition, *features, *nodes_alloc;	/* NULL when absent */
};

struct soca_slurm_resume {
	char **all;		/* every node to resume, expanded */
	size_t nall;
	struct soca_slurm_job *jobs;
	size_t njobs;
};

int soca_hostlist_expand(const char *, char ***names, size_t *n);
char *soca_slurm_resume_parse(const char *text, size_t len, const char *arg,
    struct soca_slurm_resume *);
void soca_slurm_resume_free(struct soca_slurm_resume *);
char *soca_slurm_all_nodes(const char *text, size_t len);

/* slurm_bridge.c */
struct soca_spool;
void soca_slurm_harden(void);
int soca_slurm_resume(const struct soca_conf *, struct soca_spool *,
    const char *hostlist);
int soca_slurm_suspend(const struct soca_conf *, struct soca_spool *,
    const char *hostlist);
void soca_slurm_boot(void) __attribute__((noreturn));
int soca_slurm_command(struct soca_conf *, const char *hostlist, bool resume);
int soca_slurm_reap(const struct soca_conf *, struct soca_spool *, FILE *);
char *soca_slurm_node_iid(const char *dir, const char *node);
int soca_slurm_replay(const struct soca_conf *, struct soca_spool *);
char *soca_slurm_capture(char *const argv[]);
char *soca_slurm_kv(const char *line, const char *key);
void soca_slurm_down(const char *nodes, const char *why);

/* slurm_backoff.c */
int soca_slurm_backoff_get(struct soca_spool *, const char *type,
    time_t *until, char **why);
time_t soca_slurm_backoff_set(const struct soca_conf *, struct soca_spool *,
    const char *type, const char *why);
size_t soca_slurm_backoff_list(struct soca_spool *, FILE *, const char *);

/* slurm_submit.c */
struct soca_job;
struct soca_slurm_filter {
	const char *user, *queue, *state;	/* NULL: any */
	bool all;				/* ended jobs too */
	struct soca_spool *sp;			/* back-offs, or NULL */
};
bool soca_slurm_on(const struct soca_conf *);
int soca_slurm_submit(const struct soca_conf *, const struct soca_job *,
    const char *script, size_t);
int soca_slurm_jobctl(const char *verb, int argc, char **argv, bool json);
int soca_slurm_stat(struct soca_out *, const struct soca_slurm_filter *,
    char **ids, size_t n);

/* slurm_check.c */
const char *soca_slurm_conf_path(const struct soca_conf *);
long soca_slurm_check(const struct soca_conf *, FILE *);

/* slurm_cron.c */
char *soca_slurm_comment(const char *project, const char *cap,
    const char *held);
char *soca_slurm_mark(char *comment);
int soca_slurm_hold_why(const char *id, const char *project, const char *why);
int soca_slurm_cap_pass(const struct soca_conf *, FILE *);
int soca_slurm_release_pass(const struct soca_conf *, FILE *);
int soca_slurm_return_pass(struct soca_spool *, FILE *);

/* slurm_conf.c */
int soca_slurm_conf(const struct soca_conf *, FILE *, char **why);

#endif
