/*
 * index.c: soca-index's work, finished jobs sent to OpenSearch (or
 * Elasticsearch) through _bulk, for dashboards of who ran what, where,
 * for how long and at what cost.  Optional by design: nothing else reads
 * what it writes.
 *
 * Documents: one a finished job (done, failed, cancelled), every field
 * of its record (but its script and -v environment) with times as UTC
 * ISO 8601, requested resources (requested.*) apart from used ones
 * (used.*), the cost estimate as a number.  Each has a deterministic
 * _id, CLUSTER.job.ID, and goes with the "index" action, so sending a
 * job again overwrites it: a rerun never duplicates a document.  The
 * index template (PUT _index_template/INDEX) names every field's type
 * ("dynamic": "strict") and is put before the first bulk of each run.
 *
 * Checkpoint (SPOOL/index.jobs): "T when" (the latest end time sent),
 * "S id end" for each job sent that ended within an hour before T (a
 * job whose record reaches a finished state late, after a later one was
 * sent, is still picked up), "R id" for each job OpenSearch refused
 * (sent again next run, alone).  A run sends the finished jobs that
 * ended after T - 1h and are not in S, plus R; the checkpoint is
 * rewritten (atomically) only with what OpenSearch confirmed item by
 * item.  Items refused with 429 or 5xx are retried within the run with
 * the standard backoff, then left in R.
 *
 * Nodes (soca-index nodes): one snapshot of the cluster's instances per
 * run, jobs' nodes and desktops alike, from one DescribeInstances sweep:
 * a document an instance, _id CLUSTER.node.INSTANCE.MINUTE (a rerun in
 * the same minute makes the same documents), no checkpoint (each run is
 * the next snapshot; an item refused is reported, not sent again).
 *
 * Auth: SigV4 with service "es" (Amazon OpenSearch Service, through
 * lib/aws and its credential chain) or HTTP basic auth over TLS (a
 * self-managed cluster; plain http only to a loopback address).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "job.h"
#include "index_int.h"
#include "provider_aws.h"

#define OVERLAP 3600	/* seconds a late record may trail T */

struct pick {
	const struct ckpt *ck;
	struct soca_job *jobs;
	size_t n;
};

static bool
in(const long long *v, size_t n, long long id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

static void
ckpt_free(struct ckpt *k)
{
	free(k->sid);
	free(k->send);
	free(k->rid);
	memset(k, 0, sizeof(*k));
}

static void
add_s(struct ckpt *k, long long id, long long end)
{
	k->sid = soca_xreallocarray(k->sid, k->ns + 1, sizeof(*k->sid));
	k->send = soca_xreallocarray(k->send, k->ns + 1, sizeof(*k->send));
	k->sid[k->ns] = id;
	k->send[k->ns++] = end;
}

static void
add_r(struct ckpt *k, long long id)
{
	k->rid = soca_xreallocarray(k->rid, k->nr + 1, sizeof(*k->rid));
	k->rid[k->nr++] = id;
}

static char *
ckpt_path(struct soca_spool *sp, const char *name)
{
	return soca_xasprintf("%s/index.%s", soca_spool_dir(sp), name);
}

/* each line of SPOOL/index.NAME to line(); none when there is no file */
void
soca_idx_ckpt_read(struct soca_spool *sp, const char *name,
    void (*line)(const char *, void *), void *arg)
{
	char *p = ckpt_path(sp, name), l[1024];
	FILE *f = fopen(p, "r");

	free(p);
	if (f == NULL)
		return;
	while (fgets(l, sizeof(l), f))
		line(l, arg);
	fclose(f);
}

/* SPOOL/index.NAME replaced by b, atomically; -1 (said) when it fails */
int
soca_idx_ckpt_write(struct soca_spool *sp, const char *name,
    const struct soca_buf *b)
{
	char *p = ckpt_path(sp, name);
	int rc = soca_write_atomic(p, b->s ? b->s : "", b->len, 0660);

	if (rc != 0)
		warn("%s", p);
	free(p);
	return rc;
}

static void
ckpt_line(const char *line, void *arg)
{
	struct ckpt *k = arg;
	long long a, b;

	if (sscanf(line, "T %lld", &a) == 1)
		k->t = a;
	else if (sscanf(line, "S %lld %lld", &a, &b) == 2)
		add_s(k, a, b);
	else if (sscanf(line, "R %lld", &a) == 1)
		add_r(k, a);
}

static int
ckpt_write(struct soca_spool *sp, const struct ckpt *k)
{
	struct soca_buf b = { 0 };
	int rc;

	soca_buf_addf(&b, "T %lld\n", k->t);
	for (size_t i = 0; i < k->ns; i++)
		if (k->send[i] > k->t - OVERLAP)
			soca_buf_addf(&b, "S %lld %lld\n", k->sid[i],
			    k->send[i]);
	for (size_t i = 0; i < k->nr; i++)
		soca_buf_addf(&b, "R %lld\n", k->rid[i]);
	rc = soca_idx_ckpt_write(sp, "jobs", &b);
	soca_buf_free(&b);
	return rc;
}

static long long
ended(const struct soca_job *j)
{
	return j->end > 0 ? j->end : j->submit;
}

static int
pick(struct soca_job *j, void *arg)
{
	struct pick *pk = arg;
	const struct ckpt *k = pk->ck;

	if (!in(k->rid, k->nr, j->id) && (ended(j) <= k->t - OVERLAP ||
	    in(k->sid, k->ns, j->id)))
		return 0;
	pk->jobs = soca_xreallocarray(pk->jobs, pk->n + 1, sizeof(*pk->jobs));
	pk->jobs[pk->n++] = *j;
	memset(j, 0, sizeof(*j));	/* kept: the lister must not free it */
	return 0;
}

static int
by_end(const void *a, const void *b)
{
	const struct soca_job *x = a, *y = b;

	if (ended(x) != ended(y))
		return ended(x) < ended(y) ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void
soca_idx_time(json_t *o, const char *k, long long t)
{
	char s[32];

	if (t <= 0)
		return;
	soca_time_utc((time_t)t, s);
	json_object_set_new(o, k, json_string(s));
}

void
soca_idx_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_stringn(v, strlen(v)));
}

static json_t *
requested(const struct soca_job *j)
{
	json_t *r = json_object();

	for (size_t i = 0; i < j->nres; i++) {
		char *eq = strchr(j->res[i], '='), *k;

		if (eq == NULL)
			continue;
		k = soca_xstrndup(j->res[i], (size_t)(eq - j->res[i]));
		json_object_set_new(r, k, json_string(eq + 1));
		free(k);
	}
	return r;
}

static json_t *
deps(const struct soca_job *j)
{
	json_t *d = json_array();

	for (size_t i = 0; i < j->ndeps; i++)
		json_array_append_new(d, json_sprintf("%s:%lld",
		    soca_dep_name(j->dkind[i]), j->deps[i]));
	return d;
}

/* The job's document; deterministic: the same record, the same text. */
static json_t *
job_doc(const struct soca_job *j, const char *cluster)
{
	char id[64];
	json_t *o = json_object();

	soca_job_idstr(j, id, sizeof(id));
	soca_idx_str(o, "cluster", cluster);
	json_object_set_new(o, "id", json_integer(j->id));
	soca_idx_str(o, "job_id", id);
	if (j->aparent) {
		json_object_set_new(o, "array_id", json_integer(j->aparent));
		json_object_set_new(o, "array_index", json_integer(j->aidx));
	}
	soca_idx_str(o, "array", j->array);
	soca_idx_str(o, "state", soca_state_name(j->state));
	soca_idx_str(o, "user", j->user);
	json_object_set_new(o, "uid", json_integer(j->uid));
	json_object_set_new(o, "gid", json_integer(j->gid));
	soca_idx_str(o, "queue", j->queue);
	soca_idx_str(o, "project", j->project);
	soca_idx_str(o, "name", j->name);
	soca_idx_str(o, "reason", j->reason);
	soca_idx_str(o, "host", j->host);
	soca_idx_str(o, "workdir", j->workdir);
	soca_idx_str(o, "out", j->out);
	soca_idx_str(o, "err", j->err);
	if (j->exit >= 0)
		json_object_set_new(o, "exit_status", json_integer(j->exit));
	soca_idx_time(o, "submit_time", j->submit);
	soca_idx_time(o, "start_time", j->start);
	soca_idx_time(o, "end_time", j->end);
	soca_idx_time(o, "eligible_time", j->eligible);
	if (j->start > 0 && j->start >= j->submit)
		json_object_set_new(o, "queued_seconds",
		    json_integer(j->start - j->submit));
	json_object_set_new(o, "priority", json_integer(j->priority));
	json_object_set_new(o, "rerun", json_boolean(j->rerun));
	json_object_set_new(o, "join", json_boolean(j->join));
	soca_idx_str(o, "held_by", j->holder);
	soca_idx_str(o, "mail_points", j->mailpoints);
	soca_idx_str(o, "mail_users", j->mailto);
	soca_idx_str(o, "keep", j->keep);
	soca_idx_str(o, "shell", j->shell);
	if (j->ndeps)
		json_object_set_new(o, "depend", deps(j));
	if (j->estimate)
		json_object_set_new(o, "estimate_usd",
		    json_real(strtod(j->estimate, NULL)));
	json_object_set_new(o, "requested", requested(j));
	if (j->used)
		json_object_set_new(o, "used", json_pack("{s:I,s:I,s:I,s:I}",
		    "cput_seconds", (json_int_t)j->cput, "walltime_seconds",
		    (json_int_t)j->wall, "mem_kb", (json_int_t)j->mem,
		    "ncpus", (json_int_t)j->ncpus));
	return o;
}

/* a field of an index template: its type (a date's format: UTC to the
 * second, as soca_idx_time writes it) */
void
soca_idx_field(json_t *p, const char *name, const char *type)
{
	json_object_set_new(p, name, strcmp(type, "date") == 0 ?
	    json_pack("{s:s,s:s}", "type", "date", "format",
	    "strict_date_time_no_millis") : json_pack("{s:s}", "type", type));
}

/* the fields names[] (NULL-terminated), all of one type */
void
soca_idx_fields(json_t *p, const char *type, const char *const *names)
{
	for (; *names != NULL; names++)
		soca_idx_field(p, *names, type);
}

/* the index template of index: its properties p (taken), nothing else */
json_t *
soca_idx_template(const char *index, json_t *p)
{
	return json_pack("{s:[s+],s:i,s:{s:{s:s,s:o}}}", "index_patterns",
	    index, "*", "priority", 100, "template", "mappings", "dynamic",
	    "strict", "properties", p);
}

/* The index template: every field of job_doc, typed. */
static json_t *
template(const char *index)
{
	static const char *const kw[] = { "cluster", "job_id", "array",
	    "state", "user", "queue", "project", "name", "host", "held_by",
	    "mail_points", "mail_users", "keep", "shell", "depend", NULL };
	static const char *const txt[] = { "reason", "workdir", "out",
	    "err" };
	static const char *const lng[] = { "id", "array_id", "array_index",
	    "uid", "gid", "exit_status", "queued_seconds", "priority", NULL };
	static const char *const dt[] = { "submit_time", "start_time",
	    "end_time", "eligible_time", NULL };
	json_t *p = json_object();

	soca_idx_fields(p, "keyword", kw);
	for (size_t i = 0; i < sizeof(txt) / sizeof(*txt); i++)
		json_object_set_new(p, txt[i], json_pack("{s:s,s:{s:{s:s,s:i}}}",
		    "type", "text", "fields", "raw", "type", "keyword",
		    "ignore_above", 1024));
	soca_idx_fields(p, "long", lng);
	soca_idx_fields(p, "date", dt);
	soca_idx_field(p, "rerun", "boolean");
	soca_idx_field(p, "join", "boolean");
	soca_idx_field(p, "estimate_usd", "double");
	json_object_set_new(p, "requested", json_pack("{s:s,s:b}", "type",
	    "object", "dynamic", 1));
	json_object_set_new(p, "used", json_pack("{s:s,s:s,s:{s:{s:s},"
	    "s:{s:s},s:{s:s},s:{s:s}}}", "type", "object", "dynamic", "strict",
	    "properties", "cput_seconds", "type", "long", "walltime_seconds",
	    "type", "long", "mem_kb", "type", "long", "ncpus", "type", "long"));
	return json_pack("{s:[s+],s:i,s:{s:{s:s,s:[{s:{s:s,s:{s:s}}}],s:o}}}",
	    "index_patterns", index, "*", "priority", 100, "template",
	    "mappings", "dynamic", "strict", "dynamic_templates",
	    "requested_as_keywords", "path_match", "requested.*", "mapping",
	    "type", "keyword", "properties", p);
}

/* One document's bulk lines: the index action with its _id, then doc
 * (both taken). */
void
soca_idx_line(struct soca_buf *b, const char *index, char *id, json_t *doc)
{
	json_t *act = json_pack("{s:{s:s,s:s}}", "index", "_index", index,
	    "_id", id);
	char *a = json_dumps(act, JSON_COMPACT | JSON_SORT_KEYS);
	char *d = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	if (a == NULL || d == NULL)
		errx(SOCA_EX_TEMP, "out of memory");
	soca_buf_addf(b, "%s\n%s\n", a, d);
	free(id);
	free(a);
	free(d);
	json_decref(act);
	json_decref(doc);
}

/* The bulk lines of one job: action and metadata, then the document. */
static void
bulk_job(struct soca_buf *b, const struct soca_job *j,
    const char *cluster, const char *index)
{
	soca_idx_line(b, index, soca_xasprintf("%s.job.%lld", cluster, j->id),
	    job_doc(j, cluster));
}

/* HTTP basic's "user:password": [index] user and password_file */
static char *
basic_auth(const struct soca_conf *c, char **why)
{
	const char *u = soca_conf_get(c, "index", NULL, "user");
	const char *pf = soca_conf_get(c, "index", NULL, "password_file");
	char line[512] = "", *r;
	FILE *f;

	if (u == NULL || pf == NULL) {
		*why = soca_xstrdup("[index] auth = basic needs user and "
		    "password_file");
		return NULL;
	}
	if ((f = fopen(pf, "r")) == NULL) {
		*why = soca_xasprintf("[index] password_file %s: %s", pf,
		    strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	r = soca_xasprintf("%s:%s", u, line);
	explicit_bzero(line, sizeof(line));
	return r;
}

/* basic auth goes over TLS, or to this host only */
static bool
plain_ok(const char *ep)
{
	static const char *const local[] = { "http://127.", "http://localhost:",
	    "http://localhost/", "http://[::1]" };

	if (strncmp(ep, "https://", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof(local) / sizeof(*local); i++)
		if (strncmp(ep, local[i], strlen(local[i])) == 0)
			return true;
	return strcmp(ep, "http://localhost") == 0;
}

static int
setup(struct index_run *r, char **why)
{
	const char *auth = soca_conf_get(r->c, "index", NULL, "auth");
	struct soca_aws_cfg cfg = { .conf = r->c };
	struct soca_aws_err e = { 0 };

	r->endpoint = soca_conf_get(r->c, "index", NULL, "endpoint");
	if (r->endpoint == NULL || (strncmp(r->endpoint, "https://", 8) != 0 &&
	    strncmp(r->endpoint, "http://", 7) != 0)) {
		*why = soca_xasprintf("[index] endpoint \"%s\": give the "
		    "cluster's URL (e.g. https://search-x.eu-west-1.es."
		    "amazonaws.com)", r->endpoint ? r->endpoint : "");
		return -1;
	}
	if (strcmp(auth, "basic") == 0) {
		if (!plain_ok(r->endpoint)) {
			*why = soca_xasprintf("[index] endpoint %s: basic auth "
			    "goes over https only (or to a loopback address)",
			    r->endpoint);
			return -1;
		}
		if ((r->basic = basic_auth(r->c, why)) == NULL)
			return -1;
		cfg.region = "us-east-1";	/* unused: nothing is signed */
	} else
		cfg.region = soca_conf_get(r->c, "index", NULL, "region");
	if ((r->aws = soca_aws_new(&cfg, &e)) == NULL) {
		*why = soca_aws_err_str(&e);
		soca_aws_err_free(&e);
		return -1;
	}
	return 0;
}

/*
 * r for the index named by [index] key; but for ndjson (nothing sent),
 * its endpoint and auth too: SOCA_EX_USAGE, said, when they are wrong.
 */
int
soca_idx_begin(struct index_run *r, const struct soca_conf *c,
    const char *key, bool ndjson)
{
	char *why = NULL;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->cluster = soca_conf_get(c, "cluster", NULL, "name");
	r->index = soca_conf_get(c, "index", NULL, key);
	r->batch = soca_conf_int(c, "index", NULL, "batch");
	if (ndjson || setup(r, &why) == 0)
		return SOCA_EX_OK;
	warnx("%s", why);
	free(why);
	soca_idx_end(r);
	return SOCA_EX_USAGE;
}

void
soca_idx_end(struct index_run *r)
{
	soca_aws_free(r->aws);
	free(r->basic);
	r->aws = NULL;
	r->basic = NULL;
}

int
soca_idx_call(struct index_run *r, const char *method, const char *path,
    const char *ctype, const struct soca_buf *body, struct soca_buf *out)
{
	struct soca_aws_err e = { 0 };
	long status = 0;
	int rc = soca_aws_rest(r->aws, "es", r->endpoint, r->basic, method,
	    path, ctype, body->s, body->len, out, &status, &e);

	if (rc != 0) {
		json_t *a = json_loadb(out->s, out->len, 0, NULL);
		json_t *x = json_object_get(a, "error");
		const char *t = json_string_value(json_object_get(x, "type"));
		const char *why = json_string_value(json_object_get(x,
		    "reason"));
		char *m = soca_aws_err_str(&e);

		if (t && why)	/* OpenSearch's own error */
			warnx("%s %s%s: HTTP %ld %s: %s", method, r->endpoint,
			    path, status, t, why);
		else
			warnx("%s %s%s: %s", method, r->endpoint, path, m);
		json_decref(a);
		free(m);
		r->temp = e.kind == SOCA_AWS_E_NET || status == 429 ||
		    status >= 500;
		soca_aws_err_free(&e);
	}
	return rc;
}

/* PUT the index template t (taken) for r's index */
int
soca_idx_put_template(struct index_run *r, json_t *t)
{
	char *text = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
	struct soca_buf b = { 0 }, out = { 0 };
	char *path = soca_xasprintf("/_index_template/%s", r->index);
	int rc;

	soca_buf_adds(&b, text);
	rc = soca_idx_call(r, "PUT", path, "application/json", &b, &out);
	free(text);
	free(path);
	json_decref(t);
	soca_buf_free(&b);
	soca_buf_free(&out);
	return rc;
}

/*
 * POST the bulk lines b (taken) to _bulk: 0 and OpenSearch's answer in
 * *ans (NULL when it is not JSON), or -1 (said) when the request failed.
 */
int
soca_idx_bulk(struct index_run *r, struct soca_buf *b, json_t **ans)
{
	struct soca_buf out = { 0 };
	int rc = soca_idx_call(r, "POST", "/_bulk", "application/x-ndjson", b,
	    &out);

	*ans = NULL;
	if (rc == 0) {
		r->bytes += b->len;
		*ans = json_loadb(out.s, out.len, 0, NULL);
	}
	soca_buf_free(b);
	soca_buf_free(&out);
	return rc;
}

/* one item of a bulk's answer: its status, its error (NULL: none) */
long long
soca_idx_item(json_t *it, json_t **err)
{
	json_t *x = json_object_get(it, "index");

	*err = json_object_get(x, "error");
	return json_integer_value(json_object_get(x, "status"));
}

/* how many of the n - i items from i go in one bulk */
size_t
soca_idx_chunk(const struct index_run *r, size_t i, size_t n)
{
	return n - i < (size_t)r->batch ? n - i : (size_t)r->batch;
}

/*
 * One bulk of jobs [0, n): each item's answer read in order; a job
 * confirmed goes to S, one refused for good to R, one refused with 429
 * or 5xx (retryable) is marked in again[].  -1 when the request failed.
 */
static int
bulk(struct index_run *r, struct soca_job *v, size_t n, bool *again)
{
	struct soca_buf b = { 0 };
	json_t *ans, *items, *it;
	size_t i;
	int rc = -1;

	for (i = 0; i < n; i++)
		bulk_job(&b, &v[i], r->cluster, r->index);
	if (soca_idx_bulk(r, &b, &ans) != 0)
		return -1;
	items = json_object_get(ans, "items");
	if (json_array_size(items) != n) {
		warnx("POST %s/_bulk: an answer of %zu items for %zu sent",
		    r->endpoint, json_array_size(items), n);
		r->temp = true;
		goto out;
	}
	json_array_foreach(items, i, it) {
		json_t *err;
		long long st = soca_idx_item(it, &err);

		again[i] = false;
		if (st >= 200 && st < 300 && err == NULL) {
			add_s(&r->next, v[i].id, ended(&v[i]));
			r->sent++;
		} else if (st == 429 || st >= 500)
			again[i] = true;
		else {
			warnx("job %lld: refused (%lld %s): %s", v[i].id, st,
			    json_string_value(json_object_get(err, "type")),
			    json_string_value(json_object_get(err, "reason")));
			add_r(&r->next, v[i].id);
			r->failed++;
		}
	}
	rc = 0;
out:
	json_decref(ans);
	return rc;
}

/*
 * jobs [0, n) in bulks of batch; retryable items again, alone.  v and
 * left hold shallow copies of the caller's jobs, never freed here.
 */
static int
send_all(struct index_run *r, const struct soca_job *jobs, size_t n)
{
	struct soca_aws_retry rt;
	bool *again = soca_xcalloc(n ? n : 1, sizeof(*again));
	struct soca_job *left = soca_xcalloc(n ? n : 1, sizeof(*left));
	struct soca_job *v = soca_xcalloc(n ? n : 1, sizeof(*v));
	int rc = 0;

	if (n)
		memcpy(v, jobs, n * sizeof(*v));

	soca_aws_retry_init(&rt, (int)soca_conf_int(r->c, "aws", NULL,
	    "max_attempts"));
	for (int attempt = 1; n > 0; attempt++) {
		size_t k = 0;

		for (size_t i = 0; i < n && rc == 0; i += (size_t)r->batch) {
			size_t m = soca_idx_chunk(r, i, n);

			if ((rc = bulk(r, v + i, m, again + i)) != 0)
				break;
			for (size_t x = 0; x < m; x++)
				if (again[i + x])
					left[k++] = v[i + x];
		}
		if (rc != 0 || k == 0)
			break;
		if (attempt >= rt.max_attempts) {
			for (size_t x = 0; x < k; x++) {
				warnx("job %lld: refused with 429/5xx %d "
				    "times; sent again next run", left[x].id,
				    attempt);
				add_r(&r->next, left[x].id);
				r->failed++;
			}
			break;
		}
		usleep((useconds_t)(soca_aws_retry_delay(&rt, attempt) * 1e6));
		memcpy(v, left, k * sizeof(*v));
		n = k;
	}
	free(again);
	free(left);
	free(v);
	return rc;
}

/* the checkpoint after a run: S and R as confirmed, T the latest end */
static void
advance(struct index_run *r, const struct ckpt *old)
{
	r->next.t = old->t;
	for (size_t i = 0; i < r->next.ns; i++)
		if (r->next.send[i] > r->next.t)
			r->next.t = r->next.send[i];
	for (size_t i = 0; i < old->ns; i++)
		if (!in(r->next.sid, r->next.ns, old->sid[i]))
			add_s(&r->next, old->sid[i], old->send[i]);
	for (size_t i = 0; i < old->nr; i++)	/* not reached this run */
		if (!in(r->next.sid, r->next.ns, old->rid[i]) &&
		    !in(r->next.rid, r->next.nr, old->rid[i]))
			add_r(&r->next, old->rid[i]);
}

/*
 * soca-index for jobs: what is new since the checkpoint (everything with
 * all), as a bulk body on out (ndjson: nothing sent, the checkpoint
 * untouched) or sent.  Exit status: 0, 1 (some refused), 2, 3.
 */
int
soca_index_jobs(const struct soca_conf *c, struct soca_spool *sp,
    bool ndjson, bool all, FILE *out)
{
	struct index_run r;
	struct ckpt old;
	struct pick pk = { &old, NULL, 0 };
	int rc;

	if ((rc = soca_idx_begin(&r, c, "jobs_index", ndjson)) != SOCA_EX_OK)
		return rc;
	if (sp == NULL) {	/* no spool yet: nothing has finished */
		fprintf(ndjson ? stderr : out, "jobs: 0 sent, 0 refused, "
		    "0 bytes\n");
		soca_idx_end(&r);
		return SOCA_EX_OK;
	}
	memset(&old, 0, sizeof(old));
	soca_idx_ckpt_read(sp, "jobs", ckpt_line, &old);
	if (all) {
		ckpt_free(&old);
		old.t = 0;
	}
	if (soca_spool_list(sp, (1u << SOCA_DONE) | (1u << SOCA_FAILED) |
	    (1u << SOCA_CANCELLED), pick, &pk) < 0) {
		warn("%s", soca_spool_dir(sp));
		ckpt_free(&old);
		soca_idx_end(&r);
		return SOCA_EX_TEMP;
	}
	if (pk.n)
		qsort(pk.jobs, pk.n, sizeof(*pk.jobs), by_end);
	if (ndjson) {
		struct soca_buf b = { 0 };

		for (size_t i = 0; i < pk.n; i++) {
			bulk_job(&b, &pk.jobs[i], r.cluster,
			    r.index);
			if (b.len > 1 << 20 || i + 1 == pk.n) {
				fwrite(b.s, 1, b.len, out);
				soca_buf_reset(&b);
			}
		}
		soca_buf_free(&b);
		goto done;
	}
	if (pk.n > 0 && (soca_idx_put_template(&r, template(r.index)) != 0 ||
	    send_all(&r, pk.jobs, pk.n) != 0))
		rc = r.temp ? SOCA_EX_TEMP : SOCA_EX_FALSE;
	if (r.sent + r.failed > 0) {
		advance(&r, &old);
		if (ckpt_write(sp, &r.next) != 0)
			rc = SOCA_EX_TEMP;
	}
	if (rc == SOCA_EX_OK && r.failed)
		rc = SOCA_EX_FALSE;
	fprintf(out, "jobs: %zu sent, %zu refused, %zu bytes\n", r.sent,
	    r.failed, r.bytes);
done:
	for (size_t i = 0; i < pk.n; i++)
		soca_job_free(&pk.jobs[i]);
	free(pk.jobs);
	soca_idx_end(&r);
	ckpt_free(&r.next);
	ckpt_free(&old);
	return rc;
}

static json_t *
node_doc(const struct soca_ec2_inst *x, const char *cluster, long long at)
{
	json_t *o = json_object();

	soca_idx_str(o, "cluster", cluster);
	soca_idx_str(o, "instance_id", x->id);
	soca_idx_time(o, "snapshot_time", at);
	soca_idx_str(o, "instance_type", x->type);
	soca_idx_str(o, "state", x->state);
	soca_idx_str(o, "availability_zone", x->az);
	soca_idx_str(o, "lifecycle", x->lifecycle ? x->lifecycle : "on-demand");
	soca_idx_str(o, "node_type", x->nodetype ? x->nodetype : x->dname ?
	    "desktop" : "compute");
	soca_idx_time(o, "launch_time", x->launched);
	if (x->launched > 0 && at >= x->launched)
		json_object_set_new(o, "uptime_seconds",
		    json_integer(at - x->launched));
	soca_idx_str(o, "job_id", x->job);
	soca_idx_str(o, "slurm_job_id", x->slurm);
	soca_idx_str(o, "owner", x->owner);
	soca_idx_str(o, "queue", x->queue);
	soca_idx_str(o, "project", x->project);
	soca_idx_str(o, "desktop", x->dname);
	soca_idx_str(o, "desktop_session", x->session);
	soca_idx_str(o, "private_ip", x->ip);
	json_object_set_new(o, "keep_forever", json_boolean(x->keep &&
	    strcmp(x->keep, "true") == 0));
	return o;
}

static json_t *
node_template(const char *index)
{
	static const char *const kw[] = { "cluster", "instance_id",
	    "instance_type", "state", "availability_zone", "lifecycle",
	    "node_type", "job_id", "slurm_job_id", "owner", "queue", "project",
	    "desktop", "desktop_session", NULL };
	json_t *p = json_object();

	soca_idx_fields(p, "keyword", kw);
	soca_idx_field(p, "snapshot_time", "date");
	soca_idx_field(p, "launch_time", "date");
	soca_idx_field(p, "uptime_seconds", "long");
	soca_idx_field(p, "private_ip", "ip");
	soca_idx_field(p, "keep_forever", "boolean");
	return soca_idx_template(index, p);
}

static void
node_line(struct soca_buf *b, const struct soca_ec2_inst *x,
    const char *cluster, const char *index, long long at)
{
	soca_idx_line(b, index, soca_xasprintf("%s.node.%s.%lld", cluster, x->id,
	    at / 60), node_doc(x, cluster, at));
}

/* one bulk of nodes: the items refused, each named; -1: not sent */
static int
node_bulk(struct index_run *r, const struct soca_ec2_inst *v, size_t n,
    long long at)
{
	struct soca_buf b = { 0 };
	json_t *ans, *it, *err;
	size_t i;

	for (i = 0; i < n; i++)
		node_line(&b, &v[i], r->cluster, r->index, at);
	if (soca_idx_bulk(r, &b, &ans) != 0)
		return -1;
	json_array_foreach(json_object_get(ans, "items"), i, it) {
		soca_idx_item(it, &err);
		if (err == NULL && i < n) {
			r->sent++;
			continue;
		}
		warnx("node %s: refused: %s", i < n ? v[i].id : "?",
		    json_string_value(json_object_get(err, "reason")));
		r->failed++;
	}
	json_decref(ans);
	return 0;
}

/*
 * soca-index nodes: a snapshot of the cluster's instances (provider aws;
 * the local provider has none).  Exit status as for jobs.
 */
int
soca_index_nodes(const struct soca_conf *c, bool ndjson, FILE *out)
{
	struct index_run r;
	struct soca_aws_cfg cfg = { .conf = c };
	struct soca_aws_err e = { 0 };
	struct soca_ec2_inst *v = NULL;
	struct soca_aws *ec2 = NULL;
	long long at = (long long)time(NULL) / 60 * 60;
	size_t n = 0;
	int rc;

	if ((rc = soca_idx_begin(&r, c, "nodes_index", ndjson)) != SOCA_EX_OK)
		return rc;
	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") == 0) {
		if ((ec2 = soca_aws_new(&cfg, &e)) == NULL ||
		    soca_aws_describe(ec2, r.cluster, false, &v, &n, &e) != 0) {
			char *m = soca_aws_err_str(&e);

			warnx("DescribeInstances: %s", m);
			free(m);
			rc = soca_aws_err_exit(&e);
			goto out;
		}
	}
	if (ndjson) {
		struct soca_buf b = { 0 };

		for (size_t i = 0; i < n; i++)
			node_line(&b, &v[i], r.cluster, r.index, at);
		if (b.len)
			fwrite(b.s, 1, b.len, out);
		soca_buf_free(&b);
		goto out;
	}
	if (n > 0 && soca_idx_put_template(&r, node_template(r.index)) != 0)
		rc = r.temp ? SOCA_EX_TEMP : SOCA_EX_FALSE;
	for (size_t i = 0; i < n && rc == SOCA_EX_OK; i += (size_t)r.batch)
		if (node_bulk(&r, v + i, soca_idx_chunk(&r, i, n), at) != 0)
			rc = r.temp ? SOCA_EX_TEMP : SOCA_EX_FALSE;
	if (rc == SOCA_EX_OK && r.failed)
		rc = SOCA_EX_FALSE;
	fprintf(out, "nodes: %zu sent, %zu refused, %zu bytes\n", r.sent,
	    r.failed, r.bytes);
out:
	soca_aws_err_free(&e);
	soca_ec2_inst_free(v, n);
	soca_aws_free(ec2);
	soca_idx_end(&r);
	return rc;
}
