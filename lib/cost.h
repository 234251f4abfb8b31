/*
 * cost.h: prices, spend and budgets -- what soca-budget, soca-submit and
 * soca-node-up ask about money.
 *
 * AWS's own figures (Budgets' CalculatedSpend, Cost Explorer) lag by
 * hours, and Cost Explorer charges per request, so they are fetched at
 * most once per [budget] refresh into a cache in the spool
 * (cost/budgets.json, cost/prices.json) and read from there.  Live spend
 * closes the lag: AWS's latest actual figure plus soca's own estimate
 * (hourly price x time) of every instance of the project after that
 * figure's time.
 */
#ifndef SOCA_COST_H
#define SOCA_COST_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "aws.h"
#include "soca.h"

#define SOCA_COST_TAG_PROJECT "soca:JobProject"

struct soca_cost;

/* one instance as far as cost goes */
struct soca_cost_inst {
	char *id;
	char *type;
	char *az;
	char *project, *owner, *queue, *job;	/* tags, NULL if absent */
	bool spot;
	time_t launch;
	time_t end;		/* termination, 0 while it runs */
};

/* a project's spend in its budget period */
struct soca_cost_spend {
	const char *project;
	char *budget;		/* AWS Budgets name, NULL if none */
	bool has_limit;
	double limit;		/* USD */
	double actual;		/* AWS's figure */
	time_t actual_at;	/* what that figure covers up to */
	time_t fetched;		/* when it was fetched */
	const char *basis;	/* its cost basis: unblended, blended, amortized */
	double estimate;	/* soca's, after actual_at */
	double live;		/* actual + estimate */
	time_t period_start, period_end;
};

struct soca_cost *soca_cost_new(const struct soca_conf *,
    const struct soca_aws_cfg *);
void soca_cost_free(struct soca_cost *);
time_t soca_cost_now(void);
const char *soca_cost_dir(struct soca_cost *);
struct soca_aws *soca_cost_aws(struct soca_cost *, struct soca_aws_err *);

/* the budgets cache: refresh fetches, cache loads (refreshing when old) */
int soca_cost_refresh(struct soca_cost *, struct soca_aws_err *);
json_t *soca_cost_cache(struct soca_cost *, bool *refreshed,
    struct soca_aws_err *);

/*
 * cost_platform.c: the list price (USD per *unit: "Hrs", "GB-Mo") of the
 * first product of service matching the TERM_MATCH field/value pairs of
 * kv (NULL-terminated) in the region; < 0 on error
 */
double soca_cost_list_price(struct soca_cost *, const char *service,
    const char *const *kv, char **unit, struct soca_aws_err *);
/* cost.c: the price cache's table of those, by key */
double soca_cost_list_cached(struct soca_cost *, const char *key,
    char **unit);
void soca_cost_list_keep(struct soca_cost *, const char *key, double usd,
    const char *unit);
/* a PriceList entry's first On-Demand USD price (and *unit); < 0: none */
double soca_cost_doc_price(const char *doc, char **unit);

/* $/hour of a type, On-Demand or Spot in az (cached); < 0 on error */
double soca_cost_price(struct soca_cost *, const char *type, bool spot,
    const char *az, struct soca_aws_err *);

/*
 * Instances carrying tag key (e.g. soca:JobProject), fetched once per
 * soca_cost (one paged DescribeInstances), with those remembered in
 * instances.json; costing: only pending, running, stopping and
 * shutting-down ones are asked for (the live spend), and the remembered
 * ones that left those states are asked about once to learn when.
 */
int soca_cost_instances(struct soca_cost *, const char *tagkey, bool costing,
    struct soca_cost_inst **, size_t *n, struct soca_aws_err *);
void soca_cost_insts_free(struct soca_cost_inst *, size_t);
double soca_cost_inst_usd(struct soca_cost *, const struct soca_cost_inst *,
    time_t from, time_t to, struct soca_aws_err *);

/* a project's live spend; 0, or -1 with *err set */
int soca_cost_project(struct soca_cost *, const char *project,
    struct soca_cost_spend *, struct soca_aws_err *);
void soca_cost_spend_free(struct soca_cost_spend *);

/* every project known (soca.conf, Cost Explorer, tags), sorted; -1 on error */
ssize_t soca_cost_projects(struct soca_cost *, char ***names,
    struct soca_aws_err *);

/*
 * Gates: enabled once [budget] account_id is set.  gate() gives the
 * reason a project's jobs wait ("budget exceeded: project X at $A of
 * $B"), or NULL when it is under its limit or on error (*err set).
 */
bool soca_cost_enabled(const struct soca_conf *);
char *soca_cost_gate(struct soca_cost *, const char *project,
    struct soca_aws_err *);

/* a job's cost so far from its record (types "a+b": the first counts) */
double soca_cost_job(struct soca_cost *, const char *types, long long nodes,
    bool spot, time_t start, time_t end, double *rate,
    struct soca_aws_err *);

/* time helpers */
int soca_cost_parse_time(const char *, time_t *);
int soca_cost_parse_date(const char *, time_t *);
void soca_cost_fmt_date(time_t, char out[11]);

#endif
