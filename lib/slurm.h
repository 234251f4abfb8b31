/*
 * slurm.h: the Slurm bridge (slurm.c): hostlists and the resume file.
 */
#ifndef SOCA_SLURM_H
#define SOCA_SLURM_H

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

/* slurm_conf.c */
int soca_slurm_conf(const struct soca_conf *, FILE *, char **why);

#endif
