/*
 * desktop.h: remote desktops (soca-desktop), NICE DCV workstations that
 * are EC2 instances like a job's, tagged soca:NodeType=desktop.
 *
 * desktop.c      the record in the spool, names, checks, the lookup
 * desktop_sched.c  weekly windows in a time zone (schedule, tick)
 * desktop_ec2.c  launch, stop, hibernate, start, resize, terminate
 * desktop_tick.c the cron pass and the node's report
 */
#ifndef SOCA_DESKTOP_H
#define SOCA_DESKTOP_H

#include <stdio.h>
#include <time.h>

#include "provider_aws.h"

/* one window a weekday: [start, end) in minutes; off: start == end == 0 */
struct soca_sched {
	bool set;		/* a schedule was given */
	short start[7], end[7];	/* 0 = Sunday, as tm_wday */
	char tz[64];
};

/*
 * desktop/USER/NAME in the spool: only what EC2 cannot hold.  Written
 * after AWS confirmed (launch, terminate) or for soca's own facts
 * (schedule, user stop/start times).
 */
struct soca_desk {
	char *user, *name;
	int gen;		/* launches of this name: the ClientToken's */
	bool gone;		/* terminated: the next launch is gen + 1 */
	char *image;		/* image name (of [desktop] images) */
	char *session;		/* DCV session id */
	char *project;
	struct soca_sched sched;
	time_t user_stop, user_start;	/* soca-desktop stop/start, by hand */
	time_t created, stopped, ended;	/* launch, last stop, terminate (soca-index) */
};

/* what an EC2 desktop action did, for the caller to print */
struct soca_desk_ctx {
	const struct soca_conf *c;
	struct soca_spool *sp;
	struct soca_aws *a;
	const char *cluster;
	FILE *log;
	time_t now;
	bool verbose;		/* tick: also why a desktop is left alone */
};

/* desktop.c */
bool soca_desk_name_ok(const char *);
bool soca_desk_iid_ok(const char *);
void soca_desk_mkdir(const char *);
char *soca_desk_path(struct soca_spool *, const char *user, const char *name);
int soca_desk_read(struct soca_spool *, const char *user, const char *name,
    struct soca_desk *);
int soca_desk_write(struct soca_spool *, const struct soca_desk *);
void soca_desk_stopped(struct soca_spool *, const char *user,
    const char *name, time_t);
void soca_desk_free(struct soca_desk *);
char *soca_desk_token(const char *cluster, const char *user,
    const char *name, int gen);
char *soca_desk_session(const char *cluster, const char *user,
    const char *name, int gen);
char *soca_desk_type_refused(const struct soca_conf *, const char *type);
char *soca_desk_image(const struct soca_conf *, const char *name,
    const char **ami);
bool soca_desk_image_windows(const struct soca_conf *, const char *name);
const char *soca_desk_default_image(const struct soca_conf *);
int soca_desk_lock(struct soca_spool *, const char *user, bool wait);
time_t soca_desk_now(void);
int soca_desk_sweep(struct soca_desk_ctx *, const char *owner,
    struct soca_ec2_inst **, size_t *, struct soca_aws_err *);
struct soca_ec2_inst *soca_desk_find(struct soca_ec2_inst *, size_t,
    const char *user, const char *name);

/* desktop_sched.c */
int soca_sched_parse(char **argv, int argc, const char *tz,
    struct soca_sched *, char **why);
void soca_sched_str(const struct soca_sched *, struct soca_buf *);
void soca_sched_write(const struct soca_sched *, struct soca_buf *);
int soca_sched_read_line(struct soca_sched *, const char *line);
int soca_sched_eval(const struct soca_sched *, time_t now, bool *inside,
    time_t *wstart, time_t *last_end, char **why);

/* desktop_ec2.c */
struct soca_desk_launch {
	const char *user, *name, *type, *image, *subnet, *project;
	long long root;		/* GiB; 0: [desktop] root_size */
	bool hibernate;
};
int soca_desk_launch(struct soca_desk_ctx *, const struct soca_desk_launch *);
int soca_desk_power(struct soca_desk_ctx *, const char *user,
    const char *name, const char *verb, const char *type);

/* desktop_alb.c: [desktop] alb_listener_arn */
char *soca_desk_alb_group(const char *cluster, const char *session);
int soca_desk_alb_tick(struct soca_desk_ctx *, struct soca_ec2_inst *,
    size_t);
char *soca_desk_alb_url(struct soca_desk_ctx *, struct soca_ec2_inst *);

/* desktop_tick.c */
int soca_desk_tick(struct soca_desk_ctx *);
int soca_desk_report(const struct soca_conf *, struct soca_spool *,
    const char *iid, const char *session);

#endif
