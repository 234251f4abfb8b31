/*
 * soca-budget: budgets, cost reports and budget checks.
 *
 * list and check read the budgets cache in the spool (lib/cost), which
 * refresh fills and which is fetched again only when older than [budget]
 * refresh, so cron can run check every minute without paying for Cost
 * Explorer calls.  report asks Cost Explorer directly (one call per page,
 * at most two group-bys, which is all AWS takes in one call); estimate
 * prices the instances soca tagged, per job; platform prices what the
 * cluster costs before any job runs (deploy/soca.yaml's defaults unless
 * told otherwise), from the Price List API, with its arithmetic.
 * Installed setgid to a shared spool's group (priv.c), status and check
 * read the cache for users too, who see the projects they may charge
 * only; every other command gives the group up first.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "job.h"

static const char usage_text[] =
    "usage: soca-budget [-J | --csv] [-n] [-o cols] [-c file] command [args]\n"
    "       soca-budget list\n"
    "       soca-budget report [--by project|owner|queue|instance-type]...\n"
    "                          [--from DATE] [--to DATE] [--daily | --monthly]\n"
    "       soca-budget check project...\n"
    "       soca-budget status [project...]\n"
    "       soca-budget refresh\n"
    "       soca-budget estimate [jobid...]\n"
    "       soca-budget platform [--head-type TYPE] [--head-volume GIB]\n"
    "                            [--volume-type TYPE] [--efs-gib GIB]\n"
    "                            [--public-ipv4 N] [--nat] [--alb]\n"
    "                            [--opensearch TYPE [--opensearch-gib GIB]]\n";

struct opts {
	enum soca_out_fmt fmt;
	bool noheadings;
	bool mine;		/* a user, not an administrator: own projects */
	const char *conf, *cols;
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stderr);
	exit(SOCA_EX_USAGE);
}

/*
 * A user who is not an administrator sees the figures of the projects
 * they may charge only (soca_project_member); another is refused, said
 * on stderr without a figure.
 */
static bool
may_see(const struct soca_conf *conf, const struct opts *o,
    const char *project, bool say)
{
	struct passwd *pw;

	if (!o->mine)
		return true;
	if ((pw = getpwuid(getuid())) != NULL &&
	    soca_project_member(conf, project, pw->pw_name, pw->pw_uid,
	    pw->pw_gid))
		return true;
	if (say)
		warnx("%s: not a project of yours (you see the projects you "
		    "may charge: their allowed_users or allowed_groups)",
		    project);
	return false;
}

static void __attribute__((noreturn))
awsfail(const char *what, struct soca_aws_err *e)
{
	char *s = soca_aws_err_str(e);

	warnx("%s: %s", what, s);
	free(s);
	if (e->kind == SOCA_AWS_E_INPUT)
		exit(SOCA_EX_USAGE);
	exit(soca_aws_err_exit(e) ? soca_aws_err_exit(e) : SOCA_EX_TEMP);
}

static struct soca_out *
out_new(const struct opts *o, const struct soca_col *cols, size_t n)
{
	return soca_out_new(cols, n, o->fmt, o->noheadings, o->cols, stdout);
}

/* ---- list ---- */

static int
cmd_list(struct soca_cost *c, const struct opts *o)
{
	static const struct soca_col cols[] = {
		{ "name", "BUDGET", SOCA_COL_STR, false, false },
		{ "period", "PERIOD", SOCA_COL_STR, false, false },
		{ "limit", "LIMIT", SOCA_COL_NUM, true, false },
		{ "actual", "ACTUAL", SOCA_COL_NUM, true, false },
		{ "forecast", "FORECAST", SOCA_COL_NUM, true, false },
		{ "used", "USED%", SOCA_COL_NUM, true, false },
	};
	struct soca_aws_err e = { 0 };
	json_t *cache = soca_cost_cache(c, NULL, &e), *b;
	struct soca_out *out;
	size_t i;

	if (cache == NULL)
		awsfail("budgets", &e);
	out = out_new(o, cols, sizeof(cols) / sizeof(cols[0]));
	json_array_foreach(json_object_get(cache, "budgets"), i, b) {
		double lim = json_number_value(json_object_get(b, "limit"));
		double act = json_number_value(json_object_get(b, "actual"));

		soca_out_str(out, "name", json_string_value(json_object_get(b,
		    "name")));
		soca_out_str(out, "period", json_string_value(
		    json_object_get(b, "period")));
		soca_out_num(out, "limit", lim);
		soca_out_num(out, "actual", act);
		soca_out_num(out, "forecast", json_number_value(
		    json_object_get(b, "forecast")));
		soca_out_num(out, "used", lim > 0 ? round(act / lim * 1000) /
		    10 : 0);
		soca_out_row(out);
	}
	return soca_out_end(out);
}

/* ---- refresh ---- */

static int
cmd_refresh(struct soca_cost *c)
{
	struct soca_aws_err e = { 0 };

	if (soca_cost_refresh(c, &e) == -1)
		awsfail("refresh", &e);
	return 0;
}

/* ---- check ---- */

static int
cmd_check(struct soca_cost *c, const struct soca_conf *conf,
    const struct opts *o, int argc, char **argv)
{
	static const struct soca_col cols[] = {
		{ "project", "PROJECT", SOCA_COL_STR, false, false },
		{ "spend", "SPEND", SOCA_COL_NUM, true, false },
		{ "limit", "LIMIT", SOCA_COL_NUM, true, false },
		{ "actual", "ACTUAL", SOCA_COL_NUM, true, false },
		{ "estimate", "ESTIMATE", SOCA_COL_NUM, true, false },
	};
	struct soca_out *out = NULL;
	int over = 0, refused = 0;

	if (argc == 0)
		usage();
	for (int i = 0; i < argc; i++)
		if (!soca_name_ok(argv[i]))
			errx(SOCA_EX_USAGE, "\"%s\": not a project name "
			    "(letters, digits, -, _ and .)", argv[i]);
	for (int i = 0; i < argc; i++) {
		struct soca_cost_spend s;
		struct soca_aws_err e = { 0 };

		if (!may_see(conf, o, argv[i], true)) {
			refused++;
			continue;
		}
		if (soca_cost_project(c, argv[i], &s, &e) == -1)
			awsfail(argv[i], &e);
		if (!s.has_limit)
			warnx("%s: no budget and no limit: not checked",
			    argv[i]);
		else if (s.live >= s.limit) {
			if (over++ == 0)
				out = out_new(o, cols, sizeof(cols) /
				    sizeof(cols[0]));
			soca_out_str(out, "project", argv[i]);
			soca_out_num(out, "spend", round(s.live * 100) / 100);
			soca_out_num(out, "limit", s.limit);
			soca_out_num(out, "actual", round(s.actual * 100) / 100);
			soca_out_num(out, "estimate", round(s.estimate * 100) /
			    100);
			soca_out_row(out);
		}
		soca_cost_spend_free(&s);
	}
	if (out && soca_out_end(out) != 0)
		return SOCA_EX_TEMP;
	return over || refused ? SOCA_EX_FALSE : SOCA_EX_OK;
}

/* ---- status ---- */

static void
iso(char out[21], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
status_row(struct soca_out *out, const struct soca_cost_spend *s)
{
	char covers[21], fetched[21], a[11], b[11];

	iso(covers, s->actual_at);
	iso(fetched, s->fetched);
	soca_cost_fmt_date(s->period_start, a);
	soca_cost_fmt_date(s->period_end, b);
	soca_out_str(out, "project", s->project);
	soca_out_str(out, "budget", s->budget);
	soca_out_num(out, "spend", round(s->live * 10000) / 10000);
	if (s->has_limit) {
		soca_out_num(out, "limit", s->limit);
		soca_out_num(out, "used", s->limit > 0 ? round(s->live /
		    s->limit * 1000) / 10 : 100);
	} else {
		soca_out_str(out, "limit", NULL);
		soca_out_str(out, "used", NULL);
	}
	soca_out_num(out, "actual", round(s->actual * 10000) / 10000);
	soca_out_num(out, "estimate", round(s->estimate * 10000) / 10000);
	soca_out_str(out, "covers", covers);
	soca_out_str(out, "fetched", fetched);
	soca_out_str(out, "basis", s->basis);
	soca_out_str(out, "period_start", a);
	soca_out_str(out, "period_end", b);
	soca_out_row(out);
}

/*
 * Every project's live spend, over its limit or not, for monitoring; a
 * project whose [project] budget names no budget is said on stderr and
 * makes the exit 2.
 */
static int
cmd_status(struct soca_cost *c, const struct soca_conf *conf,
    const struct opts *o, int argc, char **argv)
{
	static const struct soca_col cols[] = {
		{ "project", "PROJECT", SOCA_COL_STR, false, false },
		{ "budget", "BUDGET", SOCA_COL_STR, false, false },
		{ "spend", "SPEND", SOCA_COL_NUM, true, false },
		{ "limit", "LIMIT", SOCA_COL_NUM, true, false },
		{ "used", "USED%", SOCA_COL_NUM, true, false },
		{ "actual", "ACTUAL", SOCA_COL_NUM, true, false },
		{ "estimate", "ESTIMATE", SOCA_COL_NUM, true, false },
		{ "covers", "COVERS", SOCA_COL_STR, false, false },
		{ "fetched", "FETCHED", SOCA_COL_STR, false, true },
		{ "basis", "BASIS", SOCA_COL_STR, false, true },
		{ "period_start", "START", SOCA_COL_STR, false, true },
		{ "period_end", "END", SOCA_COL_STR, false, true },
	};
	struct soca_aws_err e = { 0 };
	struct soca_out *out;
	char **names = argv;
	ssize_t n = argc;
	int rc = SOCA_EX_OK;

	for (int i = 0; i < argc; i++)
		if (!soca_name_ok(argv[i]))
			errx(SOCA_EX_USAGE, "\"%s\": not a project name "
			    "(letters, digits, -, _ and .)", argv[i]);
	if (argc == 0 && (n = soca_cost_projects(c, &names, &e)) == -1)
		awsfail("projects", &e);
	out = out_new(o, cols, sizeof(cols) / sizeof(cols[0]));
	for (ssize_t i = 0; i < n; i++) {
		struct soca_cost_spend s;

		if (!may_see(conf, o, names[i], argc > 0)) {
			if (argc > 0 && rc == SOCA_EX_OK)
				rc = SOCA_EX_FALSE;
			continue;
		}
		if (soca_cost_project(c, names[i], &s, &e) == -1) {
			if (e.kind != SOCA_AWS_E_INPUT)
				awsfail(names[i], &e);
			char *m = soca_aws_err_str(&e);
			warnx("%s: %s", names[i], m);
			free(m);
			soca_aws_err_free(&e);
			memset(&e, 0, sizeof(e));
			rc = SOCA_EX_USAGE;
			continue;
		}
		status_row(out, &s);
		soca_cost_spend_free(&s);
	}
	for (ssize_t i = 0; argc == 0 && i < n; i++)
		free(names[i]);
	if (argc == 0)
		free(names);
	if (soca_out_end(out) != 0)
		return SOCA_EX_TEMP;
	return rc;
}

/* ---- report ---- */

static const struct by {
	const char *name;
	const char *head;
	const char *type;
	const char *key;
} bys[] = {
	{ "project", "PROJECT", "TAG", "soca:JobProject" },
	{ "owner", "OWNER", "TAG", "soca:JobOwner" },
	{ "queue", "QUEUE", "TAG", "soca:JobQueue" },
	{ "instance-type", "INSTANCE-TYPE", "DIMENSION", "INSTANCE_TYPE" },
};

static const struct by *
by_find(const char *s)
{
	for (size_t i = 0; i < sizeof(bys) / sizeof(bys[0]); i++)
		if (strcmp(bys[i].name, s) == 0)
			return &bys[i];
	errx(SOCA_EX_USAGE, "--by %s: not a grouping (project, owner, queue, "
	    "instance-type)", s);
}

static time_t
date_arg(const char *opt, const char *s)
{
	time_t t;

	if (soca_cost_parse_date(s, &t) == -1)
		errx(SOCA_EX_USAGE, "%s %s: not a date (YYYY-MM-DD)", opt, s);
	return t;
}

/* "soca:JobProject$cfd" -> "cfd"; "soca:JobProject$" -> "(untagged)" */
static const char *
group_value(const char *k)
{
	const char *d = strchr(k, '$');

	if (d == NULL)
		return k;
	return d[1] ? d + 1 : "(untagged)";
}

static int
cmd_report(struct soca_cost *c, const struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "daily", no_argument, NULL, 'd' },
		{ "monthly", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const struct by *by[2] = { NULL, NULL };
	size_t nby = 0;
	const char *gran = "MONTHLY";
	time_t now = soca_cost_now(), from = 0, to = 0;
	char a[11], b[11];
	struct soca_col cols[5];
	size_t ncols = 0;
	int ch;

	argv[0] = (char *)"soca-budget";	/* getopt's messages */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+b:f:t:dm", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'b':
			if (nby == 2)
				errx(SOCA_EX_USAGE, "--by %s: at most two "
				    "groupings (Cost Explorer groups by two "
				    "keys per call)", optarg);
			by[nby++] = by_find(optarg);
			break;
		case 'f': from = date_arg("--from", optarg); break;
		case 't': to = date_arg("--to", optarg); break;
		case 'd': gran = "DAILY"; break;
		case 'm': gran = "MONTHLY"; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (nby == 0)
		by[nby++] = &bys[0];
	if (nby == 2 && by[0] == by[1])
		errx(SOCA_EX_USAGE, "--by %s twice: give two different "
		    "groupings", by[0]->name);
	if (from == 0) {
		struct tm tm;
		gmtime_r(&now, &tm);
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		from = timegm(&tm);
	}
	if (to == 0)
		to = now;
	if (to < from)
		errx(SOCA_EX_USAGE, "--to is before --from: give a --to on or "
		    "after the --from day");
	soca_cost_fmt_date(from, a);
	soca_cost_fmt_date(to + 86400, b);	/* --to is included */

	json_t *gb = json_array();
	for (size_t i = 0; i < nby; i++)
		json_array_append_new(gb, json_pack("{s:s,s:s}", "Type",
		    by[i]->type, "Key", by[i]->key));
	json_t *p = json_pack("{s:{s:s,s:s},s:s,s:[s],s:o}", "TimePeriod",
	    "Start", a, "End", b, "Granularity", gran, "Metrics",
	    "UnblendedCost", "GroupBy", gb);
	struct soca_aws_err e = { 0 };
	struct soca_aws *aws = soca_cost_aws(c, &e);
	json_t *r = aws ? soca_aws_paginate(aws, "ce", "GetCostAndUsage", p,
	    &e) : NULL;
	json_decref(p);
	if (r == NULL)
		awsfail("GetCostAndUsage", &e);

	cols[ncols++] = (struct soca_col){ "start", "START", SOCA_COL_STR,
	    false, false };
	for (size_t i = 0; i < nby; i++)
		cols[ncols++] = (struct soca_col){ by[i]->name, by[i]->head,
		    SOCA_COL_STR, false, false };
	cols[ncols++] = (struct soca_col){ "cost", "COST", SOCA_COL_NUM, true,
	    false };
	cols[ncols++] = (struct soca_col){ "estimated", "ESTIMATED",
	    SOCA_COL_BOOL, false, true };
	struct soca_out *out = out_new(o, cols, ncols);
	json_t *res, *g;
	size_t i, j;
	json_array_foreach(json_object_get(r, "ResultsByTime"), i, res) {
		const char *start = json_string_value(json_object_get(
		    json_object_get(res, "TimePeriod"), "Start"));
		json_array_foreach(json_object_get(res, "Groups"), j, g) {
			json_t *keys = json_object_get(g, "Keys");
			const char *amt = json_string_value(json_object_get(
			    json_object_get(json_object_get(g, "Metrics"),
			    "UnblendedCost"), "Amount"));

			soca_out_str(out, "start", start);
			for (size_t k = 0; k < nby; k++) {
				const char *kv = json_string_value(
				    json_array_get(keys, k));
				soca_out_str(out, by[k]->name,
				    kv ? group_value(kv) : "");
			}
			/* unrounded: sums over days must not lose cents */
			soca_out_num(out, "cost", amt ? strtod(amt, NULL) : 0);
			soca_out_bool(out, "estimated", json_is_true(
			    json_object_get(res, "Estimated")));
			soca_out_row(out);
		}
	}
	json_decref(r);
	return soca_out_end(out);
}

/* ---- estimate ---- */

struct jobsum {
	const char *job, *project, *owner, *type;
	size_t nodes;
	double rate, cost;
	time_t start;
};

/*
 * Projected: the cost so far plus the running rate until the job's
 * walltime (from its spool record), or -1 when it has none.
 */
static double
projected(const struct soca_conf *conf, const struct jobsum *js, time_t now)
{
	struct soca_spool *sp;
	struct soca_job j;
	long long id, wall;
	const char *w;
	double v = -1;

	if (js->rate == 0)
		return js->cost;
	if (soca_parse_int(js->job, 1, INT64_MAX, &id) != 0 ||
	    (sp = soca_spool_open(conf, false)) == NULL)
		return -1;
	if (soca_spool_load(sp, id, &j) == 0) {
		w = soca_job_res(&j, "walltime");
		if (w && j.start > 0 && soca_parse_duration(w, &wall) == 0) {
			long long left = j.start + wall - now;
			v = js->cost + js->rate * (double)(left > 0 ? left : 0) /
			    3600.0;
		}
		soca_job_free(&j);
	}
	soca_spool_close(sp);
	return v;
}

static int
cmd_estimate(struct soca_cost *c, const struct soca_conf *conf,
    const struct opts *o, int argc, char **argv)
{
	static const struct soca_col cols[] = {
		{ "job", "JOB", SOCA_COL_STR, false, false },
		{ "project", "PROJECT", SOCA_COL_STR, false, false },
		{ "owner", "OWNER", SOCA_COL_STR, false, false },
		{ "nodes", "NODES", SOCA_COL_INT, true, false },
		{ "instance_type", "TYPE", SOCA_COL_STR, false, false },
		{ "usd_per_hour", "$/H", SOCA_COL_NUM, true, false },
		{ "hours", "HOURS", SOCA_COL_NUM, true, false },
		{ "cost", "COST", SOCA_COL_NUM, true, false },
		{ "projected", "PROJECTED", SOCA_COL_NUM, true, false },
	};
	struct soca_aws_err e = { 0 };
	struct soca_cost_inst *v;
	struct jobsum *js = NULL;
	size_t n, nj = 0;
	time_t now = soca_cost_now();

	for (int a = 0; a < argc; a++) {	/* 42.server is job 42 */
		long long id;

		if (soca_job_id(argv[a], &id) == 0)
			argv[a][strcspn(argv[a], ".")] = '\0';
	}
	if (soca_cost_instances(c, "soca:JobId", false, &v, &n, &e) == -1)
		awsfail("instances", &e);
	js = soca_xcalloc(n + 1, sizeof(*js));
	for (size_t i = 0; i < n; i++) {
		struct jobsum *s = NULL;
		double u, h;
		bool want = argc == 0;

		for (int a = 0; a < argc; a++)
			if (strcmp(argv[a], v[i].job) == 0)
				want = true;
		if (!want)
			continue;
		for (size_t k = 0; k < nj; k++)
			if (strcmp(js[k].job, v[i].job) == 0)
				s = &js[k];
		if (s == NULL) {
			s = &js[nj++];
			s->job = v[i].job;
			s->project = v[i].project;
			s->owner = v[i].owner;
			s->type = v[i].type;
			s->start = v[i].launch;
		}
		if ((u = soca_cost_inst_usd(c, &v[i], 0, now, &e)) < 0 ||
		    (h = soca_cost_price(c, v[i].type, v[i].spot, v[i].az,
		    &e)) < 0)
			awsfail(v[i].type, &e);
		s->cost += u;
		if (v[i].end == 0) {
			s->rate += h;
			s->nodes++;
		}
		if (v[i].launch < s->start)
			s->start = v[i].launch;
		if (strcmp(s->type, v[i].type) != 0)
			s->type = "mixed";
	}
	for (int a = 0; a < argc; a++) {
		bool seen = false;
		for (size_t k = 0; k < nj; k++)
			seen |= strcmp(js[k].job, argv[a]) == 0;
		if (!seen)
			warnx("%s: no instances tagged with this job", argv[a]);
	}
	struct soca_out *out = out_new(o, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t k = 0; k < nj; k++) {
		soca_out_str(out, "job", js[k].job);
		soca_out_str(out, "project", js[k].project ? js[k].project : "");
		soca_out_str(out, "owner", js[k].owner ? js[k].owner : "");
		soca_out_int(out, "nodes", (long long)js[k].nodes);
		soca_out_str(out, "instance_type", js[k].type);
		soca_out_num(out, "usd_per_hour", round(js[k].rate * 10000) /
		    10000);
		soca_out_num(out, "hours", round((double)(now - js[k].start) /
		    36) / 100);
		soca_out_num(out, "cost", round(js[k].cost * 10000) / 10000);
		double pj = projected(conf, &js[k], now);
		if (pj >= 0)
			soca_out_num(out, "projected", round(pj * 10000) /
			    10000);
		else
			soca_out_str(out, "projected", NULL);
		soca_out_row(out);
	}
	free(js);
	int rc = soca_out_end(out);
	if (rc == 0 && argc > 0 && nj < (size_t)argc)
		rc = SOCA_EX_FALSE;
	return rc;
}

/*
 * platform: the always-on footprint a month (730 hours), item by item
 * with quantity x list price, and the total: the head node's instance
 * hours, its root volume, EFS storage, public IPv4 addresses, and when
 * asked a NAT gateway's hours, the desktops' ALB (its hours and a nominal
 * one LCU all month) and an OpenSearch domain (one node's hours and its
 * gp3 volume).  Defaults are deploy/soca.yaml's.
 */
#define MONTH_HOURS 730.0

/* FAMILY.SIZE as EC2 spells instance types: c5.large, u-6tb1.metal */
static bool
type_ok(const char *t)
{
	const char *dot = strchr(t, '.');

	if (dot == NULL || dot == t || dot[1] == '\0' || strlen(t) > 64 ||
	    !(*t >= 'a' && *t <= 'z'))
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    (*p == '-' && p < dot) || p == dot))
			return false;
	return true;
}

/* the first n characters of t are an instance type */
static bool
os_type_ok(const char *t, size_t n)
{
	char buf[65];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return type_ok(buf);
}

struct item {
	const char *name, *what;
	double qty, usd, month;
	char *unit;
};

/* it->usd and it->unit from the Price List API, or exit */
static void
list_item(struct soca_cost *c, struct item *it, const char *service,
    const char *const *kv)
{
	struct soca_aws_err e = { 0 };

	if ((it->usd = soca_cost_list_price(c, service, kv, &it->unit,
	    &e)) < 0)
		awsfail(it->name, &e);
}

static int
cmd_platform(struct soca_cost *c, const struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "head-type", required_argument, NULL, 't' },
		{ "head-volume", required_argument, NULL, 'v' },
		{ "volume-type", required_argument, NULL, 'V' },
		{ "efs-gib", required_argument, NULL, 'e' },
		{ "public-ipv4", required_argument, NULL, 'p' },
		{ "nat", no_argument, NULL, 'N' },
		{ "alb", no_argument, NULL, 'A' },
		{ "opensearch", required_argument, NULL, 'O' },
		{ "opensearch-gib", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct soca_col cols[] = {
		{ "item", "ITEM", SOCA_COL_STR, false, false },
		{ "what", "WHAT", SOCA_COL_STR, false, false },
		{ "quantity", "QUANTITY", SOCA_COL_NUM, true, false },
		{ "unit", "UNIT", SOCA_COL_STR, false, false },
		{ "usd_per_unit", "USD/UNIT", SOCA_COL_NUM, true, false },
		{ "usd_per_month", "USD/MONTH", SOCA_COL_NUM, true, false },
	};
	const char *type = "t4g.small", *vtype = "gp3", *ostype = NULL;
	long long vol = 20, efs = 10, ips = 1, osgib = -1;
	bool nat = false, alb = false;
	struct soca_aws_err e = { 0 };
	struct item it[10];
	size_t tl;
	size_t n = 0;
	double total = 0;
	struct soca_out *out;
	int ch, rc;

	argv[0] = (char *)"soca-budget platform";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		switch (ch) {
		case 't':
			if (!type_ok(optarg))
				errx(SOCA_EX_USAGE, "--head-type %s: not an "
				    "instance type (e.g. t4g.small)", optarg);
			type = optarg;
			break;
		case 'v':
			if (soca_parse_int(optarg, 1, 65536, &vol) != 0)
				errx(SOCA_EX_USAGE, "--head-volume %s: not a "
				    "size in GiB from 1 to 65536", optarg);
			break;
		case 'V':
			if (strcmp(optarg, "gp3") != 0 &&
			    strcmp(optarg, "gp2") != 0 &&
			    strcmp(optarg, "io2") != 0)
				errx(SOCA_EX_USAGE, "--volume-type %s: not gp3, "
				    "gp2 or io2", optarg);
			vtype = optarg;
			break;
		case 'e':
			if (soca_parse_int(optarg, 0, 1LL << 40, &efs) != 0)
				errx(SOCA_EX_USAGE, "--efs-gib %s: not a size "
				    "in GiB (0 or more)", optarg);
			break;
		case 'p':
			if (soca_parse_int(optarg, 0, 1000, &ips) != 0)
				errx(SOCA_EX_USAGE, "--public-ipv4 %s: not a "
				    "count from 0 to 1000", optarg);
			break;
		case 'N': nat = true; break;
		case 'A': alb = true; break;
		case 'O':
			/* EC2's FAMILY.SIZE and .search: t3.medium.search */
			tl = strlen(optarg);
			if (tl < 8 || tl > 64 ||
			    strcmp(optarg + tl - 7, ".search") != 0 ||
			    !os_type_ok(optarg, tl - 7))
				errx(SOCA_EX_USAGE, "--opensearch %s: not an "
				    "OpenSearch instance type (e.g. "
				    "t3.medium.search)", optarg);
			ostype = optarg;
			break;
		case 'G':
			if (soca_parse_int(optarg, 10, 65536, &osgib) != 0)
				errx(SOCA_EX_USAGE, "--opensearch-gib %s: not a "
				    "size in GiB from 10 to 65536", optarg);
			break;
		default: usage();
		}
	if (optind != argc)
		usage();
	if (osgib >= 0 && ostype == NULL)
		errx(SOCA_EX_USAGE, "--opensearch-gib %lld: sizes a domain "
		    "that --opensearch TYPE adds; give both", osgib);
	if (osgib < 0)
		osgib = 10;

	it[n] = (struct item){ "head node", type, MONTH_HOURS, 0, 0, NULL };
	if ((it[n].usd = soca_cost_price(c, type, false, NULL, &e)) < 0)
		awsfail(type, &e);
	it[n++].unit = soca_xstrdup("Hrs");
	{
		const char *kv[] = { "volumeApiName", vtype, NULL };

		it[n] = (struct item){ "head volume", vtype, (double)vol, 0, 0,
		    NULL };
		list_item(c, &it[n++], "AmazonEC2", kv);
	}
	if (efs > 0) {
		const char *kv[] = { "storageClass", "General Purpose", NULL };

		it[n] = (struct item){ "efs", "Standard storage", (double)efs,
		    0, 0, NULL };
		list_item(c, &it[n++], "AmazonEFS", kv);
	}
	if (ips > 0) {
		const char *kv[] = { "group", "VPCPublicIPv4Address", NULL };

		it[n] = (struct item){ "public ipv4", "in-use addresses",
		    (double)ips * MONTH_HOURS, 0, 0, NULL };
		list_item(c, &it[n++], "AmazonVPC", kv);
	}
	if (nat) {
		const char *kv[] = { "usagetype", "NatGateway-Hours", NULL };

		it[n] = (struct item){ "nat gateway", "hours (traffic extra)",
		    MONTH_HOURS, 0, 0, NULL };
		list_item(c, &it[n++], "AmazonEC2", kv);
	}
	if (alb) {
		const char *kh[] = { "productFamily", "Load Balancer-Application",
		    "groupDescription", "LoadBalancer hourly usage by "
		    "Application Load Balancer", NULL };
		const char *kl[] = { "productFamily", "Load Balancer-Application",
		    "groupDescription", "Used Application load balancer "
		    "capacity units-hr", NULL };

		it[n] = (struct item){ "alb", "hours", MONTH_HOURS, 0, 0,
		    NULL };
		list_item(c, &it[n++], "AWSELB", kh);
		it[n] = (struct item){ "alb lcu", "1 LCU all month (nominal)",
		    MONTH_HOURS, 0, 0, NULL };
		list_item(c, &it[n++], "AWSELB", kl);
	}
	if (ostype) {
		const char *ki[] = { "instanceType", ostype, "productFamily",
		    "Amazon OpenSearch Service Instance", NULL };
		const char *kv[] = { "productFamily", "Amazon OpenSearch "
		    "Service Volume", "storageMedia", "GP3", NULL };

		it[n] = (struct item){ "opensearch", ostype, MONTH_HOURS, 0, 0,
		    NULL };
		list_item(c, &it[n++], "AmazonES", ki);
		it[n] = (struct item){ "opensearch volume", "gp3",
		    (double)osgib, 0, 0, NULL };
		list_item(c, &it[n++], "AmazonES", kv);
	}
	out = out_new(o, cols, sizeof(cols) / sizeof(*cols));
	for (size_t i = 0; i < n; i++) {
		it[i].month = it[i].qty * it[i].usd;
		total += it[i].month;
		soca_out_str(out, "item", it[i].name);
		soca_out_str(out, "what", it[i].what);
		soca_out_num(out, "quantity", it[i].qty);
		soca_out_str(out, "unit", it[i].unit);
		soca_out_num(out, "usd_per_unit", it[i].usd);
		soca_out_num(out, "usd_per_month", round(it[i].month * 100) /
		    100);
		soca_out_row(out);
		free(it[i].unit);
	}
	soca_out_str(out, "item", "total");
	soca_out_str(out, "what", "a month of 730 hours");
	soca_out_str(out, "quantity", NULL);
	soca_out_str(out, "unit", NULL);
	soca_out_str(out, "usd_per_unit", NULL);
	soca_out_num(out, "usd_per_month", round(total * 100) / 100);
	soca_out_row(out);
	rc = soca_out_end(out);
	soca_aws_err_free(&e);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { SOCA_OUT_TABLE, false, false, NULL, NULL };
	struct soca_aws_cfg cfg = { 0 };
	struct soca_conf *conf;
	struct soca_cost *c;
	const char *cmd;
	int ch, rc;

	soca_priv_init();
	while ((ch = getopt_long(argc, argv, "+c:hJno:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.conf = optarg; break;
		case 'C': o.fmt = SOCA_OUT_CSV; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'J': o.fmt = SOCA_OUT_JSON; break;
		case 'n': o.noheadings = true; break;
		case 'o': o.cols = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	cmd = argv[0];
	/*
	 * Installed setgid to a shared spool's group, status and check read
	 * the spool's cost cache with the group (the configuration must then
	 * be root's, priv.c); every other command, and any run given -c,
	 * has the caller's own rights only.
	 */
	if (o.conf != NULL || (strcmp(cmd, "status") != 0 &&
	    strcmp(cmd, "check") != 0))
		soca_priv_lose();
	conf = o.conf ? soca_conf_open(o.conf) : soca_conf_must();
	o.mine = !soca_is_admin(conf, getuid());
	soca_priv_raise();
	c = soca_cost_new(conf, &cfg);
	if (strcmp(cmd, "list") == 0 && argc == 1)
		rc = cmd_list(c, &o);
	else if (strcmp(cmd, "refresh") == 0 && argc == 1)
		rc = cmd_refresh(c);
	else if (strcmp(cmd, "check") == 0)
		rc = cmd_check(c, conf, &o, argc - 1, argv + 1);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(c, conf, &o, argc - 1, argv + 1);
	else if (strcmp(cmd, "report") == 0)
		rc = cmd_report(c, &o, argc, argv);
	else if (strcmp(cmd, "estimate") == 0)
		rc = cmd_estimate(c, conf, &o, argc - 1, argv + 1);
	else if (strcmp(cmd, "platform") == 0)
		rc = cmd_platform(c, &o, argc, argv);
	else
		usage();
	soca_cost_free(c);
	soca_conf_free(conf);
	return rc;
}
