/*
 * index_desk.c: soca-index desktops, one OpenSearch document per remote
 * desktop session (a name's launch: owner, name, generation) in its own
 * index ([index] desktops_index, default soca-desktops).
 *
 * A session is put together from the spool's record (desktop/USER/NAME:
 * generation, image, project, DCV session, when soca launched, last
 * stopped and terminated it) and EC2's instance (one DescribeInstances
 * sweep of tag soca:NodeType=desktop, terminated ones included while EC2
 * still shows them: state, type, zone, LaunchTime, the generation from
 * its ClientToken).  Its _id is CLUSTER.desktop.USER.NAME.GEN, sent with
 * the "index" action: a session whose state changed overwrites its own
 * document (version + 1), never a second one.
 *
 * hours_running is the session's last run: from LaunchTime (EC2's, the
 * latest start) to now while it runs, to soca's stop when stopped, to
 * its termination; estimate_usd is that times the type's hourly price
 * when [budget] is set up (lib/cost.c's price cache).
 *
 * Checkpoint (SPOOL/index.desktops): "D ID SHA IID TYPE AZ STARTED STATE"
 * for each session OpenSearch confirmed, SHA the sha256 of the document
 * sent.  A run sends only the sessions whose document differs (a running
 * desktop's hours grow, so it is sent each run); a refused item keeps
 * its old line and goes again next run.  Once EC2 forgets a terminated
 * instance, its id, type, zone and start come from that line.  A past
 * generation (the name launched again: the record is the new one's) is
 * sent from EC2's terminated instance and that line until it has been
 * sent as terminated once; its document is final then.
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cost.h"
#include "desktop.h"
#include "index_int.h"
#include "job.h"

struct dline {			/* a checkpoint line */
	char id[256], sha[65], iid[32], type[64], az[64], state[32];
	long long started;
};

struct dsess {
	char *id;		/* the document's _id */
	char *user, *name;
	int gen;
	bool have;		/* rec read (the name's current generation) */
	struct soca_desk rec;
	struct soca_ec2_inst *inst;
	char *text, sha[65];	/* the document, its sha256 */
	json_t *doc;
};

struct dset {
	struct dsess *v;
	size_t n;
	struct dline *ck;
	size_t nck;
};

static struct dsess *
find(struct dset *s, const char *user, const char *name, int gen)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].gen == gen && strcmp(s->v[i].user, user) == 0 &&
		    strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

static struct dsess *
add(struct dset *s, const char *cluster, const char *user, const char *name,
    int gen)
{
	struct dsess *d;

	s->v = soca_xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	d = &s->v[s->n++];
	memset(d, 0, sizeof(*d));
	d->user = soca_xstrdup(user);
	d->name = soca_xstrdup(name);
	d->gen = gen;
	d->id = soca_xasprintf("%s.desktop.%s.%s.%d", cluster, user, name,
	    gen);
	return d;
}

static void
dset_free(struct dset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].id);
		free(s->v[i].user);
		free(s->v[i].name);
		free(s->v[i].text);
		json_decref(s->v[i].doc);
		soca_desk_free(&s->v[i].rec);
	}
	free(s->v);
	free(s->ck);
}

/* every desktop/USER/NAME record of the spool */
static int
records(struct dset *s, struct soca_spool *sp, const char *cluster)
{
	char *top = soca_xasprintf("%s/desktop", soca_spool_dir(sp));
	DIR *d = opendir(top), *u;
	struct dirent *de, *fe;

	if (d == NULL) {
		free(top);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *ud;

		if (!soca_name_ok(de->d_name))
			continue;
		ud = soca_xasprintf("%s/%s", top, de->d_name);
		if ((u = opendir(ud)) != NULL) {
			while ((fe = readdir(u)) != NULL) {
				struct soca_desk r;
				struct dsess *x;

				if (!soca_desk_name_ok(fe->d_name) ||
				    soca_desk_read(sp, de->d_name, fe->d_name,
				    &r) != 0) {
					continue;
				}
				x = add(s, cluster, r.user, r.name, r.gen);
				x->rec = r;
				x->have = true;
			}
			closedir(u);
		}
		free(ud);
	}
	closedir(d);
	free(top);
	return 0;
}

static int
token_gen(const char *token)
{
	const char *g = token ? strrchr(token, '-') : NULL;

	return g ? atoi(g + 1) : 0;
}

/* EC2's desktops matched to their sessions (a live one before a dead) */
static void
instances(struct dset *s, struct soca_ec2_inst *v, size_t n,
    const char *cluster)
{
	for (size_t i = 0; i < n; i++) {
		struct dsess *x;
		int gen = token_gen(v[i].token);

		if (!v[i].owner || !v[i].dname || !soca_name_ok(v[i].owner) ||
		    !soca_desk_name_ok(v[i].dname))
			continue;
		if ((x = find(s, v[i].owner, v[i].dname, gen)) == NULL)
			x = add(s, cluster, v[i].owner, v[i].dname, gen);
		if (x->inst == NULL || strcmp(x->inst->state, "terminated") ==
		    0)
			x->inst = &v[i];
	}
}

static const struct dline *
ck_find(const struct dset *s, const char *id)
{
	for (size_t i = 0; i < s->nck; i++)
		if (strcmp(s->ck[i].id, id) == 0)
			return &s->ck[i];
	return NULL;
}

static void
ck_scan(const char *line, void *arg)
{
	struct dset *s = arg;
	struct dline l;

	memset(&l, 0, sizeof(l));
	if (sscanf(line, "D %255s %64s %31s %63s %63s %lld %31s", l.id, l.sha,
	    l.iid, l.type, l.az, &l.started, l.state) != 7)
		return;
	s->ck = soca_xreallocarray(s->ck, s->nck + 1, sizeof(*s->ck));
	s->ck[s->nck++] = l;
}

static const char *
dash(const char *s)
{
	return s && *s && strcspn(s, " \t\n") == strlen(s) ? s : "-";
}

static const char *
undash(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

static double
cents(double x)
{
	return round(x * 100) / 100;
}

/* the last run's hours: LaunchTime to now, the stop or the end; < 0 none */
static double
hours(const char *state, long long started, const struct dsess *x,
    long long now)
{
	long long end = -1, stop = x->have ? x->rec.stopped : 0;

	if (started <= 0)
		return -1;
	if (strcmp(state, "running") == 0 || strcmp(state, "pending") == 0 ||
	    strcmp(state, "stopping") == 0 || strcmp(state,
	    "shutting-down") == 0)
		end = now;
	else if (strcmp(state, "terminated") == 0 && x->have &&
	    x->rec.ended >= started)
		end = x->rec.ended;
	if (end < 0 && stop >= started)
		end = stop;
	return end >= started ? cents((double)(end - started) / 3600) : -1;
}

static const char *
state_of(const struct dsess *x)
{
	if (x->inst)
		return x->inst->state;
	return x->have && !x->rec.gone ? "unknown" : "terminated";
}

static json_t *
desk_doc(const struct dsess *x, const struct dset *s, const char *cluster,
    struct soca_cost *cost, long long now)
{
	const struct soca_ec2_inst *i = x->inst;
	const struct dline *l = ck_find(s, x->id);
	const char *st = state_of(x), *type = i ? i->type : l ?
	    undash(l->type) : NULL, *az = i ? i->az : l ? undash(l->az) : NULL;
	long long started = i ? i->launched : l ? l->started : 0;
	json_t *o = json_object();
	double h = hours(st, started, x, now);

	soca_idx_str(o, "cluster", cluster);
	soca_idx_str(o, "owner", x->user);
	soca_idx_str(o, "name", x->name);
	json_object_set_new(o, "generation", json_integer(x->gen));
	soca_idx_str(o, "session", x->have && x->rec.session ?
	    x->rec.session : i ? i->session : NULL);
	soca_idx_str(o, "state", st);
	soca_idx_str(o, "instance_id", i ? i->id : l ? undash(l->iid) : NULL);
	soca_idx_str(o, "instance_type", type);
	soca_idx_str(o, "availability_zone", az);
	soca_idx_str(o, "lifecycle", i ? i->lifecycle ? i->lifecycle :
	    "on-demand" : NULL);
	soca_idx_str(o, "image", x->have && x->rec.image ? x->rec.image :
	    i ? i->dimage : NULL);
	soca_idx_str(o, "os", i ? i->dos : NULL);
	soca_idx_str(o, "project", x->have && x->rec.project ?
	    x->rec.project : i ? i->project : NULL);
	if (x->have) {
		soca_idx_time(o, "created_time", x->rec.created);
		if (x->rec.stopped >= started)
			soca_idx_time(o, "stopped_time", x->rec.stopped);
		if (x->rec.gone)
			soca_idx_time(o, "terminated_time", x->rec.ended);
	}
	soca_idx_time(o, "started_time", started);
	if (h >= 0) {
		struct soca_aws_err e = { 0 };
		double p = cost && type ? soca_cost_price(cost, type, i &&
		    i->lifecycle && strcmp(i->lifecycle, "spot") == 0, az, &e) :
		    -1;

		json_object_set_new(o, "hours_running", json_real(h));
		if (p >= 0)
			json_object_set_new(o, "estimate_usd",
			    json_real(cents(p * h)));
		soca_aws_err_free(&e);
	}
	return o;
}

static json_t *
desk_template(const char *index)
{
	static const char *const kw[] = { "cluster", "owner", "name",
	    "session", "state", "instance_id", "instance_type",
	    "availability_zone", "lifecycle", "image", "os", "project", NULL };
	static const char *const dt[] = { "created_time", "started_time",
	    "stopped_time", "terminated_time", NULL };
	json_t *p = json_object();

	soca_idx_fields(p, "keyword", kw);
	soca_idx_fields(p, "date", dt);
	soca_idx_field(p, "generation", "long");
	soca_idx_field(p, "hours_running", "double");
	soca_idx_field(p, "estimate_usd", "double");
	return soca_idx_template(index, p);
}

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const struct dsess *)a)->id,
	    ((const struct dsess *)b)->id);
}

/* the checkpoint line of x as sent now */
static void
ck_line(struct soca_buf *b, const struct dsess *x)
{
	json_t *o = x->doc;
	const char *st = json_string_value(json_object_get(o, "started_time"));
	struct tm tm = { 0 };
	long long t = 0;

	if (st && strptime(st, "%Y-%m-%dT%H:%M:%SZ", &tm))
		t = (long long)timegm(&tm);
	soca_buf_addf(b, "D %s %s %s %s %s %lld %s\n", x->id, x->sha,
	    dash(json_string_value(json_object_get(o, "instance_id"))),
	    dash(json_string_value(json_object_get(o, "instance_type"))),
	    dash(json_string_value(json_object_get(o, "availability_zone"))),
	    t, dash(json_string_value(json_object_get(o, "state"))));
}

/* one bulk of the sessions p[0..n): ok[] set for those confirmed */
static int
desk_bulk(struct index_run *r, struct dsess **p, size_t n, bool *ok)
{
	struct soca_buf b = { 0 };
	json_t *ans, *it, *err;
	long long st;
	size_t i;

	for (i = 0; i < n; i++)
		soca_idx_line(&b, r->index, soca_xstrdup(p[i]->id),
		    json_incref(p[i]->doc));
	if (soca_idx_bulk(r, &b, &ans) != 0)
		return -1;
	json_array_foreach(json_object_get(ans, "items"), i, it) {
		if (i >= n)
			break;
		st = soca_idx_item(it, &err);
		if (err == NULL) {
			ok[i] = true;
			r->sent++;
			continue;
		}
		warnx("desktop %s: refused (%lld %s): %s; sent again next run",
		    p[i]->id, st, json_string_value(json_object_get(err,
		    "type")), json_string_value(json_object_get(err,
		    "reason")));
		r->failed++;
	}
	json_decref(ans);
	return 0;
}

/* send p[0..n) in bulks; the new checkpoint: confirmed lines, others old */
static int
desk_send(struct index_run *r, struct dset *s, struct dsess **p, size_t n,
    struct soca_spool *sp)
{
	bool *ok = soca_xcalloc(n ? n : 1, sizeof(*ok));
	struct soca_buf b = { 0 };
	int rc = 0;

	if (n > 0 && soca_idx_put_template(r, desk_template(r->index)) != 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i += (size_t)r->batch)
		rc = desk_bulk(r, p + i, soca_idx_chunk(r, i, n), ok + i);
	for (size_t i = 0, k = 0; i < s->n; i++) {
		const struct dline *l = ck_find(s, s->v[i].id);

		if (k < n && p[k] == &s->v[i] && ok[k++])
			ck_line(&b, &s->v[i]);
		else if (l)
			soca_buf_addf(&b, "D %s %s %s %s %s %lld %s\n",
			    l->id, l->sha, l->iid, l->type, l->az, l->started,
			    l->state);
	}
	free(ok);
	if (r->sent > 0 && soca_idx_ckpt_write(sp, "desktops", &b) != 0)
		rc = -2;
	soca_buf_free(&b);
	return rc;
}

static int
sweep(const struct soca_conf *c, const char *cluster,
    struct soca_ec2_inst **v, size_t *n)
{
	struct soca_aws_cfg cfg = { .conf = c };
	struct soca_aws_err e = { 0 };
	struct soca_aws *a;
	int rc = 0;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") != 0)
		return 0;
	if ((a = soca_aws_new(&cfg, &e)) == NULL ||
	    soca_aws_describe_tag(a, cluster, "soca:NodeType", "desktop", true,
	    v, n, &e) != 0) {
		char *m = soca_aws_err_str(&e);

		warnx("DescribeInstances: %s", m);
		free(m);
		rc = soca_aws_err_exit(&e);
	}
	soca_aws_err_free(&e);
	soca_aws_free(a);
	return rc;
}

/* documents made, the changed ones (all: every one) listed in p */
static size_t
make_docs(const struct soca_conf *c, struct dset *s, const char *cluster,
    bool all, struct dsess **p)
{
	struct soca_aws_cfg cfg = { .conf = c };
	struct soca_cost *cost = soca_cost_enabled(c) ?
	    soca_cost_new(c, &cfg) : NULL;
	long long now = (long long)soca_desk_now();
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct dsess *x = &s->v[i];
		const struct dline *l;

		x->doc = desk_doc(x, s, cluster, cost, now);
		x->text = json_dumps(x->doc, JSON_COMPACT | JSON_SORT_KEYS);
		if (x->text == NULL)
			errx(SOCA_EX_TEMP, "out of memory");
		soca_aws_sha256_hex(x->text, strlen(x->text), x->sha);
		l = ck_find(s, x->id);
		/* a past generation (its record gone), sent as terminated:
		 * final, whatever EC2 still shows */
		if (!x->have && l && strcmp(l->state, "terminated") == 0)
			continue;
		if (all || l == NULL || strcmp(l->sha, x->sha) != 0)
			p[k++] = x;
	}
	soca_cost_free(cost);
	return k;
}

/*
 * soca-index desktops: the sessions whose document changed since the
 * checkpoint (all: every one), sent or (ndjson) written to out.
 */
int
soca_index_desktops(const struct soca_conf *c, struct soca_spool *sp,
    bool ndjson, bool all, FILE *out)
{
	struct index_run r;
	struct dset s = { 0 };
	struct soca_ec2_inst *v = NULL;
	struct dsess **p = NULL;
	size_t n = 0, k;
	int rc;

	if ((rc = soca_idx_begin(&r, c, "desktops_index", ndjson)) !=
	    SOCA_EX_OK)
		return rc;
	if ((rc = sweep(c, r.cluster, &v, &n)) != 0)
		goto out;
	if (sp != NULL) {
		if (records(&s, sp, r.cluster) != 0) {
			warn("%s/desktop", soca_spool_dir(sp));
			rc = SOCA_EX_TEMP;
			goto out;
		}
		soca_idx_ckpt_read(sp, "desktops", ck_scan, &s);
	}
	instances(&s, v, n, r.cluster);
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), by_id);
	p = soca_xcalloc(s.n ? s.n : 1, sizeof(*p));
	k = make_docs(c, &s, r.cluster, all, p);
	if (ndjson) {
		struct soca_buf b = { 0 };

		for (size_t i = 0; i < k; i++)
			soca_idx_line(&b, r.index, soca_xstrdup(p[i]->id),
			    json_incref(p[i]->doc));
		if (b.len)
			fwrite(b.s, 1, b.len, out);
		soca_buf_free(&b);
		goto out;
	}
	if (sp == NULL && k > 0) {
		warnx("desktops: no spool to keep the checkpoint in");
		rc = SOCA_EX_USAGE;
		goto out;
	}
	rc = desk_send(&r, &s, p, k, sp);
	rc = rc == -1 ? (r.temp ? SOCA_EX_TEMP : SOCA_EX_FALSE) : rc == -2 ?
	    SOCA_EX_TEMP : r.failed ? SOCA_EX_FALSE : SOCA_EX_OK;
	fprintf(out, "desktops: %zu sent, %zu refused, %zu bytes\n", r.sent,
	    r.failed, r.bytes);
out:
	free(p);
	dset_free(&s);
	soca_ec2_inst_free(v, n);
	soca_idx_end(&r);
	return rc;
}
