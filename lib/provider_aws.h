/*
 * provider_aws.h: the aws provider's pieces shared by soca-node-up,
 * soca-node-down, soca-node-ls and soca-submit (provider_aws.c,
 * aws_sweep.c).
 */
#ifndef SOCA_PROVIDER_AWS_H
#define SOCA_PROVIDER_AWS_H

#include <stdio.h>

#include "aws.h"
#include "job.h"

/* aws/ID in the spool: the job's attempt and its instances */
struct soca_aws_jobstate {
	int attempt;
	bool launched;		/* RunInstances answered for this attempt */
	int tries;		/* capacity holds: the next subnet */
	long heldby;		/* pid of the soca-node-up that held it */
	char **ids;
	size_t nids;
};

int soca_aws_jobstate_read(struct soca_spool *, long long,
    struct soca_aws_jobstate *);
int soca_aws_jobstate_write(struct soca_spool *, long long,
    const struct soca_aws_jobstate *);
void soca_aws_jobstate_free(struct soca_aws_jobstate *);
char *soca_aws_token(const char *cluster, long long id, int attempt);
struct soca_aws *soca_aws_open(const struct soca_conf *, struct soca_aws_err *);
json_t *soca_aws_run_params(const struct soca_conf *, const char *cluster,
    const struct soca_job *, int attempt, int tries, char **why);
char *soca_aws_user_data(const struct soca_conf *, const char *path,
    long long id, char **why);
char *soca_aws_user_data_nodes(const struct soca_conf *, const char *path,
    long long id, const char *slurm_nodes, char **why);
void soca_aws_b64(struct soca_buf *, const unsigned char *, size_t);
bool soca_aws_fleet(const struct soca_job *);
bool soca_aws_capacity_code(const char *);
char *soca_aws_refuse(const struct soca_conf *, const struct soca_job *);
void soca_aws_tag(json_t *tags, const char *k, const char *v);
int soca_aws_dryrun(const struct soca_conf *, struct soca_spool *,
    const struct soca_job *, char **why);
int soca_aws_dryrun_now(const struct soca_conf *, struct soca_spool *,
    const struct soca_job *, char **why);
int soca_aws_terminate(struct soca_aws *, char **ids, size_t n, FILE *log);

/* aws_fit.c: each select chunk against its instance type */
char *soca_aws_chunks(const struct soca_conf *, const struct soca_job *);

/* aws_ami.c */
char *soca_aws_root_device(const struct soca_conf *, const char *ami,
    char **why, bool *temp);

/* aws_share.c: job-shared instances (scaling_mode = multiple_jobs) */
bool soca_aws_shared(const struct soca_conf *, const struct soca_job *);
char *soca_aws_res_hash(const struct soca_conf *, const struct soca_job *);
char *soca_aws_claim(const struct soca_conf *, struct soca_spool *,
    const struct soca_job *);
int soca_aws_node_serve(const struct soca_conf *, struct soca_spool *,
    long long first);
bool soca_aws_idle(const struct soca_conf *, struct soca_spool *,
    const char *iid, const char *queue, time_t ended, char **why,
    long long *lost);
char *soca_aws_inst_state(struct soca_spool *, const char *iid);

/* aws_imds.c */
int soca_imds_get(const char *const *paths, char **out, size_t n);

/* aws_sweep.c */
struct soca_ec2_inst {
	char *id, *type, *state, *az, *launch, *token, *lifecycle;
	char *job, *owner, *queue, *keep, *hash;
	char *slurm;		/* soca:SlurmJobId: the Slurm bridge's */
	char *why;		/* StateReason: why it stopped or ended */
	time_t launched;
	/* remote desktops (desktop.c) */
	char *nodetype;		/* soca:NodeType */
	char *ip, *pubip;	/* private and public IPv4 addresses */
	char *dname, *project, *session;	/* soca:Desktop*, soca:JobProject */
	char *dimage, *dos;	/* soca:DesktopImage, soca:DesktopOS */
	char *vpc;		/* VpcId */
	bool hibernate;		/* HibernationOptions.Configured */
};

int soca_aws_describe(struct soca_aws *, const char *cluster, bool all,
    struct soca_ec2_inst **, size_t *, struct soca_aws_err *);
int soca_aws_describe_tag(struct soca_aws *, const char *cluster,
    const char *key, const char *value, bool all,
    struct soca_ec2_inst **, size_t *, struct soca_aws_err *);
void soca_ec2_inst_free(struct soca_ec2_inst *, size_t);
void soca_ec2_inst_free_one(struct soca_ec2_inst *);
int soca_aws_sweep(const struct soca_conf *, struct soca_spool *,
    struct soca_aws *, FILE *log);

#endif
