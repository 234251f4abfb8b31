/*
 * job.h: the job model (job.c), the spool that stores jobs (spool.c), the
 * dispatcher and runner (dispatch.c, run.c) shared by soca-submit,
 * soca-stat, soca-del and the soca-node-* commands.
 */
#ifndef SOCA_JOB_H
#define SOCA_JOB_H

#include <stdbool.h>
#include <sys/types.h>

#include "soca.h"

/* States in the order a job passes them; a later state wins (spool.c). */
enum soca_state {
	SOCA_QUEUED,
	SOCA_PROVISIONING,
	SOCA_RUNNING,
	SOCA_DONE,
	SOCA_FAILED,
	SOCA_CANCELLED,
	SOCA_NSTATES
};
#define SOCA_ACTIVE ((1u << SOCA_QUEUED) | (1u << SOCA_PROVISIONING) | \
    (1u << SOCA_RUNNING))
#define SOCA_ALLSTATES ((1u << SOCA_NSTATES) - 1)

struct soca_job {
	long long id;
	enum soca_state state;
	uid_t uid;
	gid_t gid;
	char *user, *queue, *project, *name, *reason, *workdir;
	char *out, *err, *host;
	bool join, rerun;
	long long submit, start, end;
	int exit;		/* -1 until the job ends */
	pid_t runner, pgid;
	char **res;		/* "key=value", merged with the queue's */
	size_t nres;
	char **env;		/* "VAR=value" from -v */
	size_t nenv;
	long long *deps;	/* dependencies: ids, and their kinds */
	unsigned char *dkind;	/* enum soca_dep */
	size_t ndeps;
	char *holder;		/* soca-hold, -h: who held it, else NULL */
	uid_t holduid;
	long long eligible;	/* -a: not before this time (0: now) */
	int priority;		/* -p: -1024..1023, higher goes first */
	char *mailpoints, *mailto, *keep, *shell;	/* -m -M -k -S */
	char *estimate;		/* USD projected at submission ("0.2550") */
	char *stop;		/* why the reaper asks its runner to stop */
	char *array;		/* -J X-Y[:Z][%M]: an array job (array.c) */
	long long anext;	/* array: subjobs made so far */
	long long aparent;	/* subjob: its array's id (0: not one) */
	long long aidx;		/* subjob: its index */
	bool used;		/* resources_used.* recorded (it ended) */
	long long cput, wall, mem, ncpus;	/* seconds, seconds, kb */
};

/* an array's range, from -J X-Y[:Z][%M] (m 0: no limit) */
struct soca_range {
	long long x, y, z, m;
};

/* -W depend=KIND:ID: what of the parent the job waits for */
enum soca_dep { SOCA_AFTEROK, SOCA_AFTERNOTOK, SOCA_AFTERANY, SOCA_AFTER };

/* job.c */
const char *soca_state_name(enum soca_state);
int soca_state_parse(const char *);
const char *soca_job_state(const struct soca_job *);
void soca_job_free(struct soca_job *);
void soca_job_format(const struct soca_job *, struct soca_buf *);
int soca_job_parse(const char *, size_t, struct soca_job *);
const char *soca_job_res(const struct soca_job *, const char *key);
long long soca_job_res_int(const struct soca_job *, const char *, long long);
void soca_job_set_res(struct soca_job *, const char *key, const char *val);
void soca_job_del_res(struct soca_job *, const char *key);
void soca_job_add_env(struct soca_job *, const char *);
char *soca_job_resources(struct soca_job *, const char *spec);
char *soca_job_depend(struct soca_job *, const char *spec);
void soca_job_add_dep(struct soca_job *, enum soca_dep, long long id);
const char *soca_dep_name(enum soca_dep);
int soca_job_id(const char *, long long *);
int soca_job_ref(const char *, long long *id, long long *idx);
void soca_job_idstr(const struct soca_job *, char *, size_t);
char *soca_job_directives(struct soca_job *, const char *script, size_t,
    unsigned long long *seen);
char *soca_job_validate(const struct soca_conf *, struct soca_job *,
    const char *script, size_t);	/* script NULL: not checked */
char *soca_job_budget(const struct soca_conf *, const struct soca_job *,
    bool warn);
bool soca_user_in(const char *user, uid_t, gid_t, char **list, size_t n);
bool soca_is_admin(const struct soca_conf *, uid_t);
bool soca_project_member(const struct soca_conf *, const char *project,
    const char *user, uid_t, gid_t);
char *soca_job_outpath(const struct soca_job *, bool err);
char *soca_job_waits(const struct soca_job *, long long now);
typedef void (*soca_field_fn)(const char *key, const char *val, void *);
void soca_job_fields(const char *, size_t, soca_field_fn, void *);
size_t soca_job_script_at(const char *, size_t);
void soca_job_format_script(struct soca_buf *, const char *, size_t);
int soca_job_script(const char *, size_t, char **, size_t *);

/* which options the command line set, so #PBS lines do not override */
#define SOCA_SEEN(c) (1ull << ((c) >= 'a' ? (c) - 'a' + 26 : (c) - 'A'))

/* jobopt.c: one qsub option (command line or #PBS) applied to a job */
char *soca_job_option(struct soca_job *, int opt, const char *arg,
    unsigned long long *seen, bool directive);
char *soca_job_begin(const char *spec, long long now, long long *when);

/* jobselect.c: -l select= chunks and -l place= */
struct soca_chunk {
	long long count, ncpus, mpiprocs, ompthreads, mem;	/* mem: bytes */
	char *type;
};
bool soca_select_owns(const char *key);
int soca_select_parse(const char *, struct soca_chunk **, size_t *,
    char **why);
void soca_chunks_free(struct soca_chunk *, size_t);
const char *soca_size_str(long long bytes, char buf[32]);
char *soca_job_select(struct soca_job *, const char *spec);
char *soca_job_place(struct soca_job *, const char *spec);
char *soca_job_chunks_fit(const struct soca_job *, long long cpus,
    long long mem, const char *what, const char *fix);
char *soca_job_chunks_check(const struct soca_conf *,
    const struct soca_job *);
long long soca_job_cpus(const struct soca_job *);
long long soca_job_node_ranks(const struct soca_job *, long long node);

struct soca_spool;

/* array.c: job arrays (-J), subjobs made as they are dispatched */
char *soca_range_parse(const char *spec, struct soca_range *);
long long soca_range_count(const struct soca_range *);
bool soca_array_range(const struct soca_job *, struct soca_range *);
long long soca_array_subid(const struct soca_job *, long long idx);
int soca_array_make(struct soca_spool *, struct soca_job *parent,
    long long k, int state, struct soca_job *sub);
void soca_array_virtual(const struct soca_job *parent, long long k,
    struct soca_job *sub);
int soca_array_resolve(struct soca_spool *, long long id, long long idx,
    long long *sid, char **why);
int soca_array_finish(struct soca_spool *, struct soca_job *parent);

/* jobctl.c: soca-hold, soca-release, soca-alter: one change per job */
typedef int (*soca_ctl_fn)(const struct soca_conf *, struct soca_spool *,
    struct soca_job *, void *, char **why);
int soca_jobctl(const struct soca_conf *, const char *verb, int argc,
    char **argv, bool json, soca_ctl_fn, void *);

/* spool.c */
struct soca_spool *soca_spool_open(const struct soca_conf *, bool create);
struct soca_spool *soca_spool_open_lazy(const struct soca_conf *);
void soca_spool_close(struct soca_spool *);
const char *soca_spool_dir(const struct soca_spool *);
int soca_spool_submit(struct soca_spool *, struct soca_job *,
    const char *script, size_t);
int soca_spool_create(struct soca_spool *, struct soca_job *,
    const char *script, size_t);
bool soca_spool_taken(struct soca_spool *, long long id);
int soca_spool_load(struct soca_spool *, long long id, struct soca_job *);
int soca_spool_move(struct soca_spool *, struct soca_job *, enum soca_state);
int soca_spool_update(struct soca_spool *, struct soca_job *);
int soca_spool_remove(struct soca_spool *, const long long *ids,
    const int *states, size_t n);
int soca_spool_lock(struct soca_spool *);
void soca_spool_unlock(struct soca_spool *);
int soca_spool_dispatcher(struct soca_spool *);
int soca_spool_kick(struct soca_spool *);
bool soca_spool_kicked(struct soca_spool *, bool take);
int soca_spool_runlock(struct soca_spool *, long long id, bool wait);
void soca_spool_runlock_drop(struct soca_spool *, long long, int);
bool soca_spool_runner_alive(struct soca_spool *, long long id);
int soca_spool_script(struct soca_spool *, long long id, char **, size_t *);
typedef int (*soca_job_fn)(struct soca_job *, void *);
int soca_spool_list(struct soca_spool *, unsigned states, soca_job_fn, void *);
int soca_spool_check(struct soca_spool *, bool repair, FILE *);

/* priv.c: the setgid path (crontab(1)-like) */
void soca_priv_init(void);
void soca_priv_raise(void);
void soca_priv_drop(void);
void soca_priv_lose(void);
struct soca_conf *soca_conf_must(void);

/* mail.c: a job's mail at begin, end and abort (-m abe, -M) */
bool soca_mail_addr_ok(const char *);
char *soca_mail_users_check(const char *spec);
void soca_mail_job(const struct soca_conf *, const struct soca_spool *,
    const struct soca_job *, char event, const char *why);
long long soca_mail_failed(const char *spool);

/* index.c: finished jobs and nodes to OpenSearch (soca-index) */
int soca_index_jobs(const struct soca_conf *, struct soca_spool *,
    bool ndjson, bool all, FILE *out);
int soca_index_nodes(const struct soca_conf *, bool ndjson, FILE *out);
/* index_desk.c: desktop sessions (soca-index desktops) */
int soca_index_desktops(const struct soca_conf *, struct soca_spool *,
    bool ndjson, bool all, FILE *out);

#endif
