/*
 * soca-stat: list jobs, like qstat.  Without -x only the active states'
 * directories are read; ids given as arguments (or on stdin) are loaded
 * one by one, with no directory scan.  -f prints every field of each
 * record, -J one JSON object per job; -f -J both: every field, typed
 * (numbers, booleans, res as an object, env and afterok as arrays; a key
 * this file does not know, from a newer record, is a string).
 * An array (-J) is one line, ID[], its state "begun" once a subjob began;
 * -t adds its subjobs ID[INDEX], those not begun yet shown from the
 * array's record (lib/array.c).  resources_used.* (a job that ended) are
 * PBS's forms with -f, numbers with -f -J: cput and walltime in seconds,
 * mem in kilobytes.  --since DATE shows finished jobs that ended since
 * DATE, those archived to S3 too ([archive], lib/archive.c), merged by
 * id with the spool's (a job in both is shown once, from the spool).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "cost.h"
#include "job.h"
#include "provider.h"
#include "slurm.h"

static const char usage_text[] =
    "usage: soca-stat [-fJntx] [--csv] [-o columns] [-q queue] [-s state] "
    "[--since date]\n"
    "                 [-u user] [id ...]\n"
    "       soca-stat -O\n";

static const struct soca_col cols[] = {
	{ "id", "ID", SOCA_COL_INT, true, false },
	{ "name", "NAME", SOCA_COL_STR, false, false },
	{ "user", "USER", SOCA_COL_STR, false, false },
	{ "queue", "QUEUE", SOCA_COL_STR, false, false },
	{ "state", "STATE", SOCA_COL_STR, false, false },
	{ "nodes", "NODES", SOCA_COL_INT, true, false },
	{ "instance_type", "INSTANCE TYPE", SOCA_COL_STR, false, false },
	{ "elapsed", "ELAPSED", SOCA_COL_STR, true, false },
	{ "reason", "REASON", SOCA_COL_STR, false, false },
	{ "project", "PROJECT", SOCA_COL_STR, false, true },
	{ "ncpus", "NCPUS", SOCA_COL_INT, true, true },
	{ "submit", "SUBMIT", SOCA_COL_INT, true, true },
	{ "start", "START", SOCA_COL_INT, true, true },
	{ "end", "END", SOCA_COL_INT, true, true },
	{ "exit", "EXIT", SOCA_COL_INT, true, true },
	{ "host", "HOST", SOCA_COL_STR, false, true },
	{ "workdir", "WORKDIR", SOCA_COL_STR, false, true },
	{ "cost", "COST", SOCA_COL_NUM, true, true },
	{ "cost_per_hour", "$/HOUR", SOCA_COL_NUM, true, true },
	{ "estimate", "ESTIMATE", SOCA_COL_NUM, true, true },
	{ "max_cost", "MAX COST", SOCA_COL_NUM, true, true },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

struct opts {
	const char *user, *queue;
	int state;
	bool full, all, json;
	bool expand;			/* -t: an array's subjobs too */
	struct soca_out *o;
	long long now;
	size_t shown;
	struct soca_cost *cost;		/* -f or -o cost: estimates */
	struct soca_spool *sp;
	bool local;			/* runners live here (provider local) */
	long long launch_timeout;
	bool kick;			/* a pass is due: runner gone, news */
	long long since;		/* --since: finished jobs ended since */
	struct soca_job *arch;		/* --since: archived, by id */
	size_t narch, iarch;
	long long last;			/* the last id shown from arch */
};

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void
elapsed(char *b, size_t n, const struct soca_job *j, long long now)
{
	long long s;

	b[0] = '\0';
	if (j->start == 0 || j->state == SOCA_PROVISIONING)
		return;
	s = (j->end ? j->end : now) - j->start;
	if (s < 0)
		s = 0;
	snprintf(b, n, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

/*
 * The job's estimated cost (lib/cost): set *usd and *rate, false when
 * there is none (no instance type, not started, or no price).
 */
static bool
estimate(struct opts *op, const struct soca_job *j, double *usd,
    double *rate)
{
	struct soca_aws_err e = { 0 };
	long long nodes;
	bool spot;

	if (op->cost == NULL || j->start == 0 ||
	    soca_job_res(j, "instance_type") == NULL)
		return false;
	nodes = soca_job_res_int(j, "nodes", 1);
	spot = soca_job_res(j, "spot_price") != NULL && soca_job_res_int(j,
	    "spot_allocation_count", nodes) >= nodes;
	*usd = soca_cost_job(op->cost, soca_job_res(j, "instance_type"),
	    nodes, spot, j->start, j->end, rate, &e);
	if (*usd < 0) {
		char *s = soca_aws_err_str(&e);
		warnx("job %lld: no cost estimate: %s", j->id, s);
		free(s);
	}
	soca_aws_err_free(&e);
	return *usd >= 0;
}

/* The JSON type of a record's key: i integer, b boolean, I and S arrays
 * of integers and strings, R the resources (an object); else a string. */
static char
ftype(const char *k)
{
	static const char *const keys[] = { "afterok", "end", "env", "exit",
	    "gid", "id", "join", "pgid", "res", "rerun", "runner", "start",
	    "submit", "uid", "array_next", "array_id", "array_index" };
	static const char types[] = "IiSiiibiRbiiiiiii";

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i]) == 0)
			return types[i];
	return 's';
}

/* A string as JSON: escaped as in tables when it is not UTF-8. */
static json_t *
jstr(const char *v)
{
	struct soca_buf b = { 0 };
	json_t *j = json_string(v);

	if (j == NULL) {
		soca_buf_esc(&b, v, strlen(v));
		j = json_string(b.s ? b.s : "");
		soca_buf_free(&b);
	}
	return j;
}

static void
jappend(json_t *o, const char *k, json_t *v)
{
	json_t *a = json_object_get(o, k);

	if (a == NULL)
		json_object_set_new(o, k, a = json_array());
	json_array_append_new(a, v);
}

static void
jres(json_t *o, const char *k, const char *v)
{
	json_t *res = json_object_get(o, k);
	const char *eq = strchr(v, '=');
	char *rk = soca_xstrndup(v, eq ? (size_t)(eq - v) : strlen(v));

	if (res == NULL)
		json_object_set_new(o, k, res = json_object());
	json_object_set_new(res, rk, jstr(eq ? eq + 1 : ""));
	free(rk);
}

/* A key this file does not know: a string, an array once repeated. */
static void
jother(json_t *o, const char *k, const char *v)
{
	json_t *old = json_object_get(o, k), *a;

	if (old == NULL)
		json_object_set_new(o, k, jstr(v));
	else if (json_is_array(old))
		json_array_append_new(old, jstr(v));
	else {
		a = json_array();
		json_array_append(a, old);
		json_array_append_new(a, jstr(v));
		json_object_set_new(o, k, a);
	}
}

/* resources_used: {"cput":s,"mem":kb,"ncpus":n,"walltime":s} */
static void
jused(json_t *o, const char *k, const char *v)
{
	json_t *u = json_object_get(o, "resources_used");
	long long h = 0, m = 0, sec = 0, n;

	if (u == NULL)
		json_object_set_new(o, "resources_used", u = json_object());
	if (sscanf(v, "%lld:%lld:%lld", &h, &m, &sec) == 3)
		n = h * 3600 + m * 60 + sec;
	else
		n = strtoll(v, NULL, 10);	/* 51200kb, ncpus */
	json_object_set_new(u, k, json_integer(n));
}

static void
jfield(const char *k, const char *v, void *arg)
{
	json_t *o = arg;

	if (strncmp(k, "resources_used.", 15) == 0)
		return jused(o, k + 15, v);
	if (strcmp(k, "id") == 0 && strchr(v, '[') != NULL)
		return jother(o, k, v);		/* 42[] or 42[7] */
	switch (ftype(k)) {
	case 'i':
		json_object_set_new(o, k, json_integer(strtoll(v, NULL, 10)));
		break;
	case 'b':
		json_object_set_new(o, k, json_boolean(strcmp(v, "0") != 0));
		break;
	case 'I':
		jappend(o, k, json_integer(strtoll(v, NULL, 10)));
		break;
	case 'S':
		jappend(o, k, jstr(v));
		break;
	case 'R':
		jres(o, k, v);
		break;
	default:
		jother(o, k, v);
	}
}

static void
full_json(const struct soca_buf *b, bool cost, double usd, double rate)
{
	json_t *o = json_object();
	char *s;

	soca_job_fields(b->s, b->len, jfield, o);
	if (cost) {
		json_object_set_new(o, "cost", json_real(usd));
		json_object_set_new(o, "cost_per_hour", json_real(rate));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s == NULL)
		errx(SOCA_EX_TEMP, "out of memory");
	puts(s);
	free(s);
	json_decref(o);
}

/* An array's or a subjob's record, its id and state as they are shown */
static void
array_format(const struct soca_job *j, struct soca_buf *b)
{
	struct soca_buf t = { 0 };
	char id[48];
	const char *rest;

	soca_job_idstr(j, id, sizeof(id));
	soca_buf_addf(b, "id=%s\nstate=%s\n", id, soca_job_state(j));
	soca_job_format(j, &t);
	rest = strchr(strchr(t.s, '\n') + 1, '\n') + 1;	/* id=, state= */
	soca_buf_add(b, rest, t.len - (size_t)(rest - t.s));
	soca_buf_free(&t);
}

static void
full(struct opts *op, const struct soca_job *j)
{
	struct soca_buf b = { 0 };
	double usd = 0, rate = 0;
	bool cost;

	if (j->array || j->aparent)
		array_format(j, &b);
	else
		soca_job_format(j, &b);
	cost = estimate(op, j, &usd, &rate);
	if (op->json)
		full_json(&b, cost, usd, rate);
	else {
		if (cost)
			soca_buf_addf(&b, "cost=%.4f\ncost_per_hour=%.4f\n",
			    usd, rate);
		fwrite(b.s, 1, b.len, stdout);
		putchar('\n');
	}
	soca_buf_free(&b);
}

static void
opt_int(struct soca_out *o, const char *col, long long v, bool set)
{
	if (set)
		soca_out_int(o, col, v);
	else
		soca_out_str(o, col, NULL);
}

/*
 * The reason as it is now.  A dependency's names the parent's state now,
 * not at the last dispatcher pass.  A running job whose runner died (its
 * run lock is free: killed, OOM, a reboot) is said to be so, and the
 * listing kicks the dispatcher, whose pass reaps it (dispatch.c): on the
 * embedded default no cron runs soca-node-down.  So does a job whose -a
 * time has come, or whose parent moved on since the last pass (-W
 * depend=after: the parent started).
 */
static void
live_reason(struct opts *op, struct soca_job *j)
{
	static const char pre[] = "dependency: job ";
	struct soca_job d;
	long long id;
	char *end;

	if (j->state == SOCA_RUNNING && op->local && op->sp &&
	    !soca_spool_runner_alive(op->sp, j->id)) {
		free(j->reason);
		j->reason = soca_xstrdup("runner gone: the next dispatcher "
		    "pass reaps it");
		op->kick = true;
		return;
	}
	if (j->state == SOCA_QUEUED && j->eligible && j->eligible <= op->now &&
	    j->holder == NULL && j->reason &&
	    strncmp(j->reason, "not before ", 11) == 0) {
		free(j->reason);	/* -a's time came: a pass starts it */
		j->reason = NULL;
		op->kick = true;
		return;
	}
	if (j->state == SOCA_PROVISIONING && op->local && op->sp &&
	    op->now - j->start >= op->launch_timeout &&
	    !soca_spool_runner_alive(op->sp, j->id)) {
		free(j->reason);
		j->reason = soca_xstrdup("runner did not start: the next "
		    "dispatcher pass requeues it");
		op->kick = true;
		return;
	}
	if (j->state != SOCA_QUEUED || j->reason == NULL || op->sp == NULL ||
	    strncmp(j->reason, pre, sizeof(pre) - 1) != 0)
		return;
	id = strtoll(j->reason + sizeof(pre) - 1, &end, 10);
	if (strncmp(end, " is ", 4) != 0 || soca_spool_load(op->sp, id, &d) < 0)
		return;
	if (strcmp(end + 4, soca_state_name(d.state)) != 0) {
		op->kick = true;	/* news the dispatcher may not have */
		free(j->reason);
		j->reason = soca_xasprintf("%s%lld is %s", pre, id,
		    soca_state_name(d.state));
	}
	soca_job_free(&d);
}

static void
show(struct opts *op, struct soca_job *j)
{
	struct soca_out *o = op->o;
	char el[32], id[48];
	double usd, rate;

	if ((op->user && strcmp(op->user, j->user) != 0) ||
	    (op->queue && strcmp(op->queue, j->queue) != 0) ||
	    (op->state >= 0 && (int)j->state != op->state) ||
	    (op->since > 0 && j->state >= SOCA_DONE &&
	    (j->end > 0 ? j->end : j->submit) < op->since))
		return;
	op->shown++;
	live_reason(op, j);
	if (op->full)
		return full(op, j);
	elapsed(el, sizeof(el), j, op->now);
	if (j->array || j->aparent) {
		soca_job_idstr(j, id, sizeof(id));
		soca_out_str(o, "id", id);
	} else
		soca_out_int(o, "id", j->id);
	soca_out_str(o, "name", j->name);
	soca_out_str(o, "user", j->user);
	soca_out_str(o, "queue", j->queue);
	soca_out_str(o, "state", soca_job_state(j));
	soca_out_int(o, "nodes", soca_job_res_int(j, "nodes", 1));
	soca_out_str(o, "instance_type", soca_job_res(j, "instance_type"));
	soca_out_str(o, "elapsed", el[0] ? el : NULL);
	soca_out_str(o, "reason", j->reason);
	soca_out_str(o, "project", j->project);
	soca_out_int(o, "ncpus", soca_job_res_int(j, "ncpus", 1));
	soca_out_int(o, "submit", j->submit);
	opt_int(o, "start", j->start, j->start > 0);
	opt_int(o, "end", j->end, j->end > 0);
	opt_int(o, "exit", j->exit, j->exit >= 0);
	soca_out_str(o, "host", j->host);
	soca_out_str(o, "workdir", j->workdir);
	if (estimate(op, j, &usd, &rate)) {
		soca_out_num(o, "cost", usd);
		soca_out_num(o, "cost_per_hour", rate);
	} else {
		soca_out_str(o, "cost", NULL);
		soca_out_str(o, "cost_per_hour", NULL);
	}
	if (j->estimate)
		soca_out_num(o, "estimate", strtod(j->estimate, NULL));
	else
		soca_out_str(o, "estimate", NULL);
	if (soca_job_res(j, "max_cost"))
		soca_out_num(o, "max_cost", strtod(soca_job_res(j, "max_cost"),
		    NULL));
	else
		soca_out_str(o, "max_cost", NULL);
	soca_out_row(o);
}

/* -t: each subjob of array a, from its record or, not begun, a's */
static void
subjobs(struct opts *op, const struct soca_job *a)
{
	struct soca_range r;
	long long n;

	if (!soca_array_range(a, &r) || op->sp == NULL)
		return;
	n = soca_range_count(&r);
	for (long long k = 0; k < n; k++) {
		struct soca_job s;

		if (soca_spool_load(op->sp, a->id + 1 + k, &s) < 0)
			soca_array_virtual(a, k, &s);
		show(op, &s);
		soca_job_free(&s);
	}
}

/* Archived jobs before id `before` (one in the spool too: from there). */
static void
archived(struct opts *op, long long before)
{
	while (op->iarch < op->narch && op->arch[op->iarch].id <= before) {
		struct soca_job *a = &op->arch[op->iarch++];

		if (a->id < before && a->id != op->last && !a->aparent)
			show(op, a);
		op->last = a->id;
		soca_job_free(a);
	}
}

/* A listed record: a subjob is shown with its array (-t), not alone. */
static int
row(struct soca_job *j, void *arg)
{
	struct opts *op = arg;

	archived(op, j->id);
	if (j->aparent)
		return 0;
	show(op, j);
	if (op->expand && j->array)
		subjobs(op, j);
	return 0;
}

/* 42[7]: the subjob's record, or as it waits in its array's */
static int
by_index(struct soca_spool *sp, long long id, long long idx,
    struct opts *op, int rc)
{
	struct soca_job a, s;
	long long sid;
	char *why = NULL;

	if (sp == NULL || soca_array_resolve(sp, id, idx, &sid, &why) < 0) {
		warnx("%s", why ? why : "no jobs");
		free(why);
		return rc ? rc : SOCA_EX_FALSE;
	}
	if (soca_spool_load(sp, sid, &s) < 0) {
		if (soca_spool_load(sp, id, &a) < 0)
			return rc ? rc : SOCA_EX_FALSE;
		soca_array_virtual(&a, sid - id - 1, &s);
		soca_job_free(&a);
	}
	show(op, &s);
	soca_job_free(&s);
	return rc;
}

static int
by_id(struct soca_spool *sp, char **ids, size_t n, struct opts *op)
{
	int rc = SOCA_EX_OK;

	for (size_t i = 0; i < n; i++) {
		struct soca_job j;
		long long id, idx;
		int ref = soca_job_ref(ids[i], &id, &idx);

		if (ref < 0) {
			warnx("%s: not a job id (ids are numbers, e.g. 42 or 42.server)",
			    ids[i]);
			rc = SOCA_EX_USAGE;
		} else if (ref == 1)
			rc = by_index(sp, id, idx, op, rc);
		else if (sp == NULL || soca_spool_load(sp, id, &j) < 0) {
			warnx("job %lld: no such job", id);
			rc = rc ? rc : SOCA_EX_FALSE;
		} else {
			show(op, &j);
			if (op->expand && j.array)
				subjobs(op, &j);
			soca_job_free(&j);
		}
	}
	return rc;
}

/* What to read: -s's state, but with -t the arrays its subjobs are in */
static unsigned
list_states(const struct opts *op)
{
	if (op->state >= 0 && !op->expand)
		return 1u << op->state;
	if (op->all || op->state >= SOCA_DONE)
		return SOCA_ALLSTATES;
	return SOCA_ACTIVE;
}

static void
keep_archived(struct soca_job *j, void *arg)
{
	struct opts *op = arg;

	op->arch = soca_xreallocarray(op->arch, op->narch + 1,
	    sizeof(*op->arch));
	op->arch[op->narch++] = *j;
}

static int
cmp_job(const void *a, const void *b)
{
	const struct soca_job *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* --since: the archived jobs, with the user's own AWS credentials */
static int
read_archive(const struct soca_conf *c, struct opts *op)
{
	struct soca_archive ar = { 0 };
	struct soca_aws_cfg cfg = { .conf = c };
	struct soca_aws_err e = { 0 };
	char *why = NULL, *s;
	int rc = SOCA_EX_OK;

	if (soca_conf_get(c, "archive", NULL, "bucket") == NULL)
		return rc;	/* nothing is archived */
	if (soca_archive_conf(&ar, c, &why) < 0)
		errx(SOCA_EX_USAGE, "%s", why);
	if ((ar.aws = soca_aws_new(&cfg, &e)) == NULL ||
	    soca_archive_read(&ar, op->since, keep_archived, op, &e) < 0) {
		s = soca_aws_err_str(&e);
		warnx("archived jobs: %s", s);
		free(s);
		rc = soca_aws_err_exit(&e);
	}
	if (op->narch > 1)
		qsort(op->arch, op->narch, sizeof(*op->arch), cmp_job);
	soca_aws_err_free(&e);
	soca_aws_free(ar.aws);
	return rc;
}

static long long
parse_since(const char *s)
{
	struct tm tm = { 0 };
	char *e = strptime(s, "%Y-%m-%d", &tm);

	if (e != NULL && *e == 'T')
		e = strptime(e, "T%H:%M:%S", &tm);
	if (e == NULL || (*e != '\0' && strcmp(e, "Z") != 0))
		errx(SOCA_EX_USAGE, "--since %s: not a date (YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ, in UTC)", s);
	return (long long)timegm(&tm);
}

static int
slurm_stat(struct soca_conf *c, const struct opts *op, struct soca_out *o,
    char **ids, size_t n)
{
	struct soca_slurm_filter f = { op->user, op->queue, op->state >= 0 ?
	    soca_state_name(op->state) : NULL, op->all, NULL };
	int rc;

	soca_priv_raise();	/* the spool's back-offs, then squeue as us */
	f.sp = soca_spool_open(c, false);
	rc = soca_slurm_stat(o, &f, ids, n);
	if (f.sp)
		soca_spool_close(f.sp);

	if (soca_out_end(o) != 0)
		rc = SOCA_EX_TEMP;
	soca_strv_free(ids, n);
	soca_conf_free(c);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "csv", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "since", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 } };
	struct opts op = { .state = -1 };
	enum soca_out_fmt fmt = SOCA_OUT_TABLE;
	const char *sel = NULL;
	bool noheads = false, list_cols = false;
	struct soca_conf *c;
	struct soca_spool *sp;
	char **ids;
	size_t n;
	int ch, rc = SOCA_EX_OK;

	soca_priv_init();
	while ((ch = getopt_long(argc, argv, "fhJno:Oq:s:tu:x", lo, NULL)) != -1)
		switch (ch) {
		case 'C': fmt = SOCA_OUT_CSV; break;
		case 'f': op.full = true; break;
		case 'h': usage(0);
		case 'J': fmt = SOCA_OUT_JSON; break;
		case 'n': noheads = true; break;
		case 'o': sel = optarg; break;
		case 'O': list_cols = true; break;
		case 'q': op.queue = optarg; break;
		case 's':
			if ((op.state = soca_state_parse(optarg)) < 0)
				errx(SOCA_EX_USAGE, "-s %s: not a state (queued, "
				    "provisioning, running, done, failed, "
				    "cancelled)", optarg);
			break;
		case 'S': op.since = parse_since(optarg); op.all = true; break;
		case 't': op.expand = true; break;
		case 'u': op.user = optarg; break;
		case 'x': op.all = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (list_cols)
		return soca_out_list_columns(cols, NCOLS, stdout);
	if (!op.full && !soca_out_select_ok(cols, NCOLS, sel))
		return SOCA_EX_USAGE;
	op.json = fmt == SOCA_OUT_JSON;
	argc -= optind;
	argv += optind;
	c = soca_conf_must();
	if (soca_ids_or_stdin(argc, argv, &ids, &n) < 0)
		err(SOCA_EX_TEMP, "stdin");
	op.now = time(NULL);
	if (soca_slurm_on(c) && op.full)
		errx(SOCA_EX_USAGE, "-f: Slurm keeps the full record with "
		    "scheduler = slurm (use scontrol show job ID)");
	if (soca_slurm_on(c))	/* squeue, in soca-stat's columns */
		return slurm_stat(c, &op, soca_out_new(cols, NCOLS, fmt,
		    noheads, sel, stdout), ids, n);
	op.o = op.full ? NULL : soca_out_new(cols, NCOLS, fmt, noheads, sel,
	    stdout);
	if ((op.full || (sel && strstr(sel, "cost"))) &&
	    (soca_cost_enabled(c) || strcmp(soca_conf_get(c, "cluster", NULL,
	    "provider"), "aws") == 0)) {
		struct soca_aws_cfg cfg = { 0 };
		op.cost = soca_cost_new(c, &cfg);
	}
	if (op.since > 0 && n == 0)
		rc = read_archive(c, &op);
	soca_priv_raise();
	op.sp = sp = soca_spool_open(c, false);
	op.local = strcmp(soca_conf_get(c, "cluster", NULL, "provider"),
	    "local") == 0;
	op.launch_timeout = soca_conf_int(c, "cluster", NULL,
	    "launch_timeout");
	if (n > 0)
		rc = by_id(sp, ids, n, &op);
	else if (sp != NULL)
		soca_spool_list(sp, list_states(&op), row, &op);
	archived(&op, LLONG_MAX);
	free(op.arch);
	if (op.kick)
		soca_kick(c, sp);
	if (!op.full && soca_out_end(op.o) != 0)
		rc = SOCA_EX_TEMP;
	soca_spool_close(sp);
	soca_cost_free(op.cost);
	soca_strv_free(ids, n);
	soca_conf_free(c);
	return rc;
}
