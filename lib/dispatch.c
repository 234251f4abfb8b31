/*
 * dispatch.c: soca-node-up's pass over the queued jobs and soca-node-down's
 * reaping of jobs whose runner is gone.
 *
 * One dispatcher at a time (dispatch.lock, non-blocking).  A pass reads
 * every active job, counts what each queue and user already holds, then
 * walks the queued jobs in order: by priority (-p, higher first) then id,
 * or, in a queue with policy = fairshare, users holding fewer jobs first,
 * then so.  A job waits (its reason shown by soca-stat) while held
 * (soca-hold), before its -a time, for its dependencies, for its
 * project's budget (lib/cost: live spend at or over the limit), for its
 * queue's max_running_jobs and max_provisioned_instances, and for the
 * provider's capacity; otherwise it moves to provisioning and the
 * provider launches it.  Jobs submitted during a pass are seen because
 * the dispatcher passes again while queued/ keeps changing or a kick
 * (spool.c) is waiting: a submitter, or a runner whose job ended, whose
 * kick found the lock taken is covered by the holder's next pass.  On a
 * provider whose runners live on this host (local) each pass first hands
 * jobs whose runner died to the reaper's logic (reap.c), so no job holds
 * its slots forever where no cron runs soca-node-down.
 * A job array (-J, array.c) is considered as a job; each time it may
 * start, its next subjob's record is made and the subjob considered at
 * once, while fewer than its M are active; once every subjob is made
 * and none is active the pass ends the array.
 * A dispatcher that is not root only launches its own user's jobs.
 * A provider with parallel > 1 gets its launches from a pool of forked
 * workers (pool.c): the pass admits jobs and counts them held as it goes,
 * a worker moves each to provisioning and launches it, and a launch that
 * did not happen gives its count back when its answer comes in.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cost.h"
#include "license.h"
#include "pool.h"
#include "provider.h"

struct qcount {
	char *queue;
	long long jobs, nodes;
};

struct ucount {
	uid_t uid;
	long long jobs, queued;
};

/* a [license "NAME"] as this pass sees it: read once, on first need */
struct lic {
	char *name;
	int state;		/* 0 not read yet, 1 read, -1 unreadable */
	struct soca_lic l;
	char *why;
	long long handed;	/* asked by jobs soca launched that lmstat may
				   not see yet: provisioning, or this pass */
};

struct qjob {
	long long rank;			/* fairshare: lower goes first */
	bool seen;			/* considered already (a new subjob) */
	struct soca_job j;
};

struct alive {
	long long array, n;		/* an array's active subjobs */
};

struct pass {
	const struct soca_conf *c;
	struct soca_spool *sp;
	struct soca_provider *p;
	struct qjob *q;			/* queued jobs */
	size_t nq;
	struct qcount *qc;
	size_t nqc;
	struct ucount *uc;
	size_t nuc;
	int launched;
	struct soca_cost *cost;		/* budget gates, once enabled */
	char **gated;			/* per project: reason or NULL */
	char **gprojects;
	size_t ngated;
	struct soca_pool *pool;		/* parallel launches */
	struct alive *al;
	size_t nal;
	struct lic *lic;		/* licenses, as jobs ask for them */
	size_t nlic;
};

/* a launch worker died with a job this run: soca-node-up exits 3 */
static bool worker_died;

static struct qcount *
qcount(struct pass *ps, const char *queue)
{
	for (size_t i = 0; i < ps->nqc; i++)
		if (strcmp(ps->qc[i].queue, queue) == 0)
			return &ps->qc[i];
	ps->qc = soca_xreallocarray(ps->qc, ps->nqc + 1, sizeof(*ps->qc));
	ps->qc[ps->nqc] = (struct qcount){ soca_xstrdup(queue), 0, 0 };
	return &ps->qc[ps->nqc++];
}

static struct ucount *
ucount(struct pass *ps, uid_t uid)
{
	for (size_t i = 0; i < ps->nuc; i++)
		if (ps->uc[i].uid == uid)
			return &ps->uc[i];
	ps->uc = soca_xreallocarray(ps->uc, ps->nuc + 1, sizeof(*ps->uc));
	ps->uc[ps->nuc] = (struct ucount){ uid, 0, 0 };
	return &ps->uc[ps->nuc++];
}

static struct alive *
alive(struct pass *ps, long long array)
{
	for (size_t i = 0; i < ps->nal; i++)
		if (ps->al[i].array == array)
			return &ps->al[i];
	ps->al = soca_xreallocarray(ps->al, ps->nal + 1, sizeof(*ps->al));
	ps->al[ps->nal] = (struct alive){ array, 0 };
	return &ps->al[ps->nal++];
}

static struct lic *
lic(struct pass *ps, const char *name)
{
	for (size_t i = 0; i < ps->nlic; i++)
		if (strcmp(ps->lic[i].name, name) == 0)
			return &ps->lic[i];
	ps->lic = soca_xreallocarray(ps->lic, ps->nlic + 1, sizeof(*ps->lic));
	memset(&ps->lic[ps->nlic], 0, sizeof(*ps->lic));
	ps->lic[ps->nlic].name = soca_xstrdup(name);
	return &ps->lic[ps->nlic++];
}

/* each license the job asks for (-l NAME=N): fn(ps, its entry, N) */
static char *
lic_each(struct pass *ps, const struct soca_job *j,
    char *(*fn)(struct pass *, struct lic *, long long, int), int arg)
{
	char *why = NULL;

	for (size_t i = 0; i < j->nres && why == NULL; i++) {
		size_t kl = strcspn(j->res[i], "=");
		char *k = soca_xstrndup(j->res[i], kl);

		if (soca_conf_has_section(ps->c, "license", k))
			why = fn(ps, lic(ps, k), strtoll(j->res[i] + kl + 1,
			    NULL, 10), arg);
		free(k);
	}
	return why;
}

static char *
lic_hand(struct pass *ps, struct lic *l, long long n, int sign)
{
	(void)ps;
	l->handed += sign * n;
	return NULL;
}

/*
 * The license gate: the job waits while any license it asks for has
 * fewer free than it needs (issued - in use - reserved - handed out by
 * soca and not yet seen by the server) or cannot be read (then nothing
 * is launched for it).  The reason's figures change only when the
 * server's or soca's do, so it stays put from pass to pass.
 */
static char *
lic_check(struct pass *ps, struct lic *l, long long n, int unused)
{
	long long free_now;

	(void)unused;
	if (l->state == 0) {
		l->state = soca_license_read(ps->c, l->name, &l->l, &l->why) ==
		    0 ? 1 : -1;
	}
	if (l->state < 0)
		return soca_xasprintf("license %s unreadable: %s (nothing "
		    "launched for it; soca-license shows it)", l->name, l->why);
	if (l->l.uncounted)
		return NULL;
	free_now = l->l.available - l->handed;
	if (free_now >= n)
		return NULL;
	return soca_xasprintf("waiting for license %s: needs %lld, %lld free "
	    "(issued %lld, in use %lld, reserved %lld, handed out by soca "
	    "%lld)", l->name, n, free_now > 0 ? free_now : 0, l->l.issued,
	    l->l.in_use, l->l.reserved, l->handed);
}

/*
 * A job soca launched holds its licenses in soca's count until the server
 * can be expected to see them: while provisioning, and for the license's
 * checkout_grace once running (jobs check out as they start).  Counting
 * such a job twice for that while wastes a moment, never a license.
 */
static void
hold(struct pass *ps, struct soca_job *j, long long nodes)
{
	struct qcount *qc = qcount(ps, j->queue);

	qc->jobs++;
	qc->nodes += nodes;
	ucount(ps, j->uid)->jobs++;
	if (j->state != SOCA_RUNNING) {
		lic_each(ps, j, lic_hand, 1);
		return;
	}
	for (size_t i = 0; i < j->nres; i++) {
		size_t kl = strcspn(j->res[i], "=");
		char *k = soca_xstrndup(j->res[i], kl);
		const char *g;
		long long grace = 60;

		if (soca_conf_has_section(ps->c, "license", k)) {
			if ((g = soca_conf_get(ps->c, "license", k,
			    "checkout_grace")) != NULL)
				soca_parse_duration(g, &grace);
			if ((long long)time(NULL) - j->start < grace)
				lic(ps, k)->handed += strtoll(j->res[i] + kl + 1,
				    NULL, 10);
		}
		free(k);
	}
}

static void
unhold(struct pass *ps, const struct soca_job *j)
{
	struct qcount *qc = qcount(ps, j->queue);

	qc->jobs--;
	qc->nodes -= soca_job_res_int(j, "nodes", 1);
	ucount(ps, j->uid)->jobs--;
	lic_each(ps, j, lic_hand, -1);
}

static int
gather(struct soca_job *j, void *arg)
{
	struct pass *ps = arg;

	if (j->aparent)
		alive(ps, j->aparent)->n++;
	if (j->state == SOCA_QUEUED) {
		ps->q = soca_xreallocarray(ps->q, ps->nq + 1, sizeof(*ps->q));
		ps->q[ps->nq].rank = 0;
		ps->q[ps->nq].seen = false;
		ps->q[ps->nq++].j = *j;
		memset(j, 0, sizeof(*j));
		return 0;
	}
	hold(ps, j, soca_job_res_int(j, "nodes", 1));
	ps->p->busy(ps->p, j);
	return 0;
}

/*
 * Fairshare (SOCA's rule, simplified): a user's k-th queued job ranks
 * k plus the jobs the user already holds, so users take turns and those
 * holding less go first; ties go by id.  FIFO queues rank everything 0.
 */
static void
rank_jobs(struct pass *ps)
{
	for (size_t i = 0; i < ps->nq; i++) {
		struct soca_job *j = &ps->q[i].j;
		const char *pol = soca_conf_get(ps->c, "queue", j->queue,
		    "policy");
		struct ucount *u;

		if (pol == NULL || strcmp(pol, "fairshare") != 0)
			continue;
		u = ucount(ps, j->uid);
		ps->q[i].rank = u->jobs + u->queued++;
	}
}

static int
cmp_job(const void *a, const void *b)
{
	const struct qjob *x = a, *y = b;

	if (x->rank != y->rank)
		return (x->rank > y->rank) - (x->rank < y->rank);
	if (x->j.priority != y->j.priority)	/* -p: higher first */
		return (x->j.priority < y->j.priority) -
		    (x->j.priority > y->j.priority);
	return (x->j.id > y->j.id) - (x->j.id < y->j.id);
}

/*
 * Is a parent in state st (started or not) what kind waits for: 1 met,
 * 0 not yet, -1 never.  "after" is met once the parent started.
 */
static int
dep_met(enum soca_dep kind, int st, bool started)
{
	bool ended = st >= SOCA_DONE;

	switch (kind) {
	case SOCA_AFTEROK:
		return st == SOCA_DONE ? 1 : ended ? -1 : 0;
	case SOCA_AFTERNOTOK:
		return st == SOCA_DONE ? -1 : ended ? 1 : 0;
	case SOCA_AFTERANY:
		return ended ? 1 : 0;
	case SOCA_AFTER:
		return st == SOCA_RUNNING || (ended && started) ? 1 :
		    ended ? -1 : 0;
	}
	return -1;
}

/* Why a dependency keeps the job waiting (NULL: none); *dead: never. */
static char *
dep_wait(struct pass *ps, const struct soca_job *j, bool *dead)
{
	for (size_t i = 0; i < j->ndeps; i++) {
		struct soca_job d;
		char id[48];
		const char *sn;
		int st, met;

		if (soca_spool_load(ps->sp, j->deps[i], &d) < 0) {
			*dead = true;
			return soca_xasprintf("dependency: job %lld does not "
			    "exist", j->deps[i]);
		}
		st = d.state;
		if (d.array && st == SOCA_QUEUED && d.start > 0)
			st = SOCA_RUNNING;	/* an array began (PBS's B) */
		met = dep_met(j->dkind[i], st, d.start > 0 &&
		    st != SOCA_PROVISIONING);
		soca_job_idstr(&d, id, sizeof(id));
		sn = soca_job_state(&d);
		soca_job_free(&d);
		if (met > 0)
			continue;
		*dead = met < 0;
		if (*dead && j->dkind[i] != SOCA_AFTEROK)
			return soca_xasprintf("dependency: job %s is %s "
			    "(%s can never be met)", id, sn,
			    soca_dep_name(j->dkind[i]));
		return soca_xasprintf("dependency: job %s is %s", id, sn);
	}
	return NULL;
}

static char *
limit_wait(struct pass *ps, const struct soca_job *j, long long nodes)
{
	struct qcount *qc = qcount(ps, j->queue);
	long long mr = soca_conf_int(ps->c, "queue", j->queue,
	    "max_running_jobs");
	long long mi = soca_conf_int(ps->c, "queue", j->queue,
	    "max_provisioned_instances");

	if (mr >= 0 && qc->jobs >= mr)
		return soca_xasprintf("queue limit: max_running_jobs %lld "
		    "reached in queue %s", mr, j->queue);
	if (mi >= 0 && qc->nodes + nodes > mi)
		return soca_xasprintf("queue limit: max_provisioned_instances "
		    "%lld in queue %s (%lld in use, the job needs %lld)", mi,
		    j->queue, qc->nodes, nodes);
	return NULL;
}

/*
 * Why a project's spend is unknown, in words that stay the same from one
 * pass to the next (no request ids): a changed reason is a change to
 * queued/, which makes the dispatcher pass again.
 */
static char *
unknown(const char *project, const struct soca_aws_err *e)
{
	const char *what;

	switch (e->kind) {
	case SOCA_AWS_E_NET: what = "AWS cannot be reached"; break;
	case SOCA_AWS_E_CREDS: what = "no AWS credentials"; break;
	case SOCA_AWS_E_PARSE: what = "AWS's answer was not understood"; break;
	case SOCA_AWS_E_INPUT: what = e->message; break;
	default: what = e->code ? e->code : "AWS error"; break;
	}
	return soca_xasprintf("budget unknown: project %s: %s (soca-budget "
	    "check %s tells more)", project, what ? what : "error", project);
}

/*
 * The budget gate, once per project and pass: the project's live spend
 * at or over its limit holds its queued jobs (*over; [budget] action =
 * cancel cancels them instead); under it they go on (and lose the
 * reason).  If AWS cannot be asked, the jobs wait for the next
 * pass with the reason why.
 */
static char *
budget_wait(struct pass *ps, const struct soca_job *j, bool *over)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws_cfg cfg = { 0 };
	char *why;
	size_t i;

	if (j->project == NULL || !soca_cost_enabled(ps->c))
		return NULL;
	for (i = 0; i < ps->ngated; i++)
		if (strcmp(ps->gprojects[i], j->project) == 0)
			break;
	if (i < ps->ngated) {
		why = ps->gated[i];
		*over = why && strncmp(why, "budget exceeded", 15) == 0;
		return why ? soca_xstrdup(why) : NULL;
	}
	if (ps->cost == NULL)
		ps->cost = soca_cost_new(ps->c, &cfg);
	why = soca_cost_gate(ps->cost, j->project, &e);
	*over = why != NULL;
	if (why == NULL && e.kind != SOCA_AWS_OK)
		why = unknown(j->project, &e);
	soca_aws_err_free(&e);
	ps->gated = soca_xreallocarray(ps->gated, i + 1, sizeof(char *));
	ps->gprojects = soca_xreallocarray(ps->gprojects, i + 1,
	    sizeof(char *));
	ps->gated[i] = why;
	ps->gprojects[i] = soca_xstrdup(j->project);
	ps->ngated++;
	return why ? soca_xstrdup(why) : NULL;
}

/* Under the state lock: the job is still queued, set reason or move. */
static void
settle(struct pass *ps, struct soca_job *j, int to, char *why)
{
	struct soca_job cur;

	if (to == SOCA_QUEUED && why && j->reason &&
	    strcmp(why, j->reason) == 0)
		goto out;	/* held for the same reason as last time */
	if (soca_spool_lock(ps->sp) < 0)
		goto out;
	if (soca_spool_load(ps->sp, j->id, &cur) == 0) {
		if (cur.holder != NULL && to == SOCA_PROVISIONING)
			;	/* held since this pass read it */
		else if (cur.state == SOCA_QUEUED && (to != SOCA_QUEUED ||
		    !(cur.reason && why && strcmp(cur.reason, why) == 0))) {
			free(cur.reason);
			cur.reason = why ? soca_xstrdup(why) : NULL;
			if (to == SOCA_FAILED || to == SOCA_CANCELLED)
				cur.end = time(NULL);
			if (to == SOCA_PROVISIONING)
				cur.start = time(NULL);
			if (soca_spool_move(ps->sp, &cur, to) == 0 &&
			    to >= SOCA_DONE) {	/* its dependents: pass again */
				soca_spool_kick(ps->sp);
				soca_mail_job(ps->c, ps->sp, &cur, 'a', NULL);
			}
		}
		soca_job_free(&cur);
	}
	soca_spool_unlock(ps->sp);
out:
	free(why);
}

/*
 * The admitted job moves to provisioning and the provider launches it; a
 * launch that fails moves it back to queued (hold) or on to failed.  Runs
 * in the dispatcher or in a launch worker.
 */
static enum soca_launch
provision(struct pass *ps, struct soca_job *j)
{
	long long id = j->id;
	enum soca_launch r;
	char *why = NULL;

	settle(ps, j, SOCA_PROVISIONING, NULL);
	soca_job_free(j);	/* reloaded below: what settle() wrote */
	if (soca_spool_load(ps->sp, id, j) < 0 ||
	    j->state != SOCA_PROVISIONING)
		return SOCA_LAUNCH_HOLD;
	if ((r = ps->p->launch(ps->p, j, &why)) != SOCA_LAUNCH_OK) {
		soca_spool_lock(ps->sp);
		free(j->reason);
		j->reason = why;
		if (soca_spool_move(ps->sp, j, r == SOCA_LAUNCH_FAIL ?
		    SOCA_FAILED : SOCA_QUEUED) == 0 && r == SOCA_LAUNCH_FAIL)
			soca_mail_job(ps->c, ps->sp, j, 'a', NULL);
		soca_spool_unlock(ps->sp);
	}
	return r;
}

/*
 * pool.c, in a worker: launch queued job id, say if launching stopped.
 * The pool carries ids, not indices: a worker forked before a subjob
 * was made (array.c) has no copy of it; provision() reloads the job.
 */
static int
work(size_t id, void *arg, char *note, size_t len)
{
	struct pass *ps = arg;
	struct soca_job j = { .id = (long long)id };
	enum soca_launch r = provision(ps, &j);
	const char *h = ps->p->halted ? ps->p->halted(ps->p) : NULL;

	soca_job_free(&j);
	snprintf(note, len, "%s", h ? h : "");
	return (int)r;
}

/* A launch's answer: count it, or give back what consider() held. */
static void
done(size_t id, int rc, const char *note, void *arg)
{
	struct pass *ps = arg;
	size_t i = 0;

	while (i < ps->nq && ps->q[i].j.id != (long long)id)
		i++;
	if (i == ps->nq)	/* gone from the spool meanwhile */
		return;

	if (rc == SOCA_LAUNCH_OK)
		ps->launched++;
	else
		unhold(ps, &ps->q[i].j);
	if (rc < 0) {
		warnx("job %lld: its launch worker died; soca-node-down "
		    "queues it again after launch_timeout", ps->q[i].j.id);
		worker_died = true;
		note = "launching stopped: a launch worker died";
	}
	if (note && *note && ps->p->halt)
		ps->p->halt(ps->p, note);
}

/* Does the job wait (its reason settled)?  Else it may be launched. */
static bool
waits(struct pass *ps, struct soca_job *j, long long nodes)
{
	bool dead = false, over = false;
	char *why, *held;
	enum soca_launch r;

	why = dep_wait(ps, j, &dead);
	if (!dead && (held = soca_job_waits(j, time(NULL))) != NULL) {
		free(why);	/* held or -a: that is the reason shown */
		why = held;
	}
	if (why != NULL)
		return settle(ps, j, dead ? SOCA_FAILED : SOCA_QUEUED, why),
		    true;
	if ((why = budget_wait(ps, j, &over)) != NULL)
		return settle(ps, j, over && strcmp(soca_conf_get(ps->c,
		    "budget", NULL, "action"), "cancel") == 0 ?
		    SOCA_CANCELLED : SOCA_QUEUED, why), true;
	if ((why = limit_wait(ps, j, nodes)) != NULL ||
	    (why = lic_each(ps, j, lic_check, 0)) != NULL)
		return settle(ps, j, SOCA_QUEUED, why), true;
	if ((r = ps->p->admit(ps->p, j, &why)) != SOCA_LAUNCH_OK)
		return settle(ps, j, r == SOCA_LAUNCH_FAIL ? SOCA_FAILED :
		    SOCA_QUEUED, why), true;
	return false;
}

static void consider(struct pass *, size_t);

/*
 * Make the array's next subjob (array.c) and add it to the pass; its
 * index in ps->q, or -1 when none was made.  The array's copy in the
 * pass is refreshed.
 */
static ssize_t
make_sub(struct pass *ps, size_t i, long long count)
{
	struct soca_job cur, sub;
	int r = 1;

	if (soca_spool_lock(ps->sp) < 0)
		return -1;
	if (soca_spool_load(ps->sp, ps->q[i].j.id, &cur) < 0) {
		soca_spool_unlock(ps->sp);
		return -1;
	}
	if (cur.state == SOCA_QUEUED && cur.holder == NULL) {
		while (cur.anext < count && (r = soca_array_make(ps->sp, &cur,
		    cur.anext, SOCA_QUEUED, &sub)) == 1)
			cur.anext++;	/* made already, or soca-del'd */
		if (r == 0) {
			soca_crashpoint("array-made");
			cur.anext++;
			cur.start = cur.start ? cur.start : time(NULL);
			free(cur.reason);
			cur.reason = NULL;
		}
		soca_spool_update(ps->sp, &cur);
	}
	soca_spool_unlock(ps->sp);
	soca_job_free(&ps->q[i].j);
	ps->q[i].j = cur;
	if (r != 0)
		return -1;
	ps->q = soca_xreallocarray(ps->q, ps->nq + 1, sizeof(*ps->q));
	ps->q[ps->nq] = (struct qjob){ .rank = 0, .seen = true, .j = sub };
	return (ssize_t)ps->nq++;
}

static void
finish(struct pass *ps, const struct soca_job *a)
{
	struct soca_job cur;

	if (soca_spool_lock(ps->sp) < 0)
		return;
	if (soca_spool_load(ps->sp, a->id, &cur) == 0) {
		if (soca_array_finish(ps->sp, &cur) == 0)
			soca_spool_kick(ps->sp);	/* its dependents */
		soca_job_free(&cur);
	}
	soca_spool_unlock(ps->sp);
}

/*
 * An array: while fewer than M of its subjobs are active and the array
 * itself may start (held, -a, dependencies, budget, limits, capacity,
 * as a job), its next subjob is made and considered at once.
 */
static void
consider_array(struct pass *ps, size_t i)
{
	struct soca_range r;
	long long n, nodes = soca_job_res_int(&ps->q[i].j, "nodes", 1);
	struct alive *al;
	char *why;
	ssize_t k;

	if (!soca_array_range(&ps->q[i].j, &r))
		return settle(ps, &ps->q[i].j, SOCA_FAILED,
		    soca_xstrdup("array: its range cannot be read"));
	n = soca_range_count(&r);
	if ((why = soca_job_waits(&ps->q[i].j, time(NULL))) != NULL)
		return settle(ps, &ps->q[i].j, SOCA_QUEUED, why);
	for (;;) {
		al = alive(ps, ps->q[i].j.id);
		if (ps->q[i].j.anext >= n) {
			if (al->n == 0)
				finish(ps, &ps->q[i].j);
			return;
		}
		if (r.m > 0 && al->n >= r.m)
			return settle(ps, &ps->q[i].j, SOCA_QUEUED,
			    soca_xasprintf("array limit: at most %lld running "
			    "at once (-J ...%%%lld)", r.m, r.m));
		if (waits(ps, &ps->q[i].j, nodes) ||
		    (k = make_sub(ps, i, n)) < 0)
			return;
		alive(ps, ps->q[i].j.id)->n++;
		consider(ps, (size_t)k);
	}
}

/* A subjob left queued (requeued, or a crash) whose array ended or is
 * held: true when it must not start. */
static bool
orphan(struct pass *ps, struct soca_job *j)
{
	struct soca_job a;
	int st;
	bool held;

	if (soca_spool_load(ps->sp, j->aparent, &a) < 0)
		return false;
	st = a.state;
	held = a.holder != NULL;
	soca_job_free(&a);
	if (st != SOCA_QUEUED)
		settle(ps, j, SOCA_CANCELLED, soca_xasprintf("its array "
		    "%lld[] is %s", j->aparent, soca_state_name(st)));
	else if (held)
		settle(ps, j, SOCA_QUEUED, soca_xasprintf("its array %lld[] "
		    "is held", j->aparent));
	return st != SOCA_QUEUED || held;
}

static void
consider(struct pass *ps, size_t i)
{
	struct soca_job *j = &ps->q[i].j;
	long long nodes = soca_job_res_int(j, "nodes", 1);

	if (getuid() != 0 && j->uid != getuid())
		return;
	if (j->array != NULL)
		return consider_array(ps, i);
	if (j->aparent && orphan(ps, j))
		return;
	if (waits(ps, j, nodes))
		return;
	j = &ps->q[i].j;
	hold(ps, j, nodes);
	if (ps->p->parallel > 1 && ps->pool == NULL)
		ps->pool = soca_pool_new(ps->p->parallel, work, done, ps);
	if (ps->pool == NULL || soca_pool_give(ps->pool, (size_t)j->id) < 0)
		done((size_t)j->id, (int)provision(ps, j), "", ps);
}

static int
one_pass(const struct soca_conf *c, struct soca_spool *sp)
{
	struct pass ps = { .c = c, .sp = sp };

	ps.p = soca_provider_open(c, sp);
	if (!ps.p->remote)
		soca_reap_jobs(c, sp, ps.p, NULL);
	soca_spool_list(sp, SOCA_ACTIVE, gather, &ps);
	rank_jobs(&ps);
	if (ps.nq > 1)
		qsort(ps.q, ps.nq, sizeof(*ps.q), cmp_job);
	for (size_t i = 0; i < ps.nq; i++) {
		if (ps.q[i].seen)
			continue;
		if (ps.pool)	/* wait for a free launch slot first */
			soca_pool_ready(ps.pool);
		consider(&ps, i);
	}
	if (ps.pool && soca_pool_end(ps.pool) < 0)
		worker_died = true;
	for (size_t i = 0; i < ps.nq; i++)
		soca_job_free(&ps.q[i].j);
	free(ps.q);
	for (size_t i = 0; i < ps.nqc; i++)
		free(ps.qc[i].queue);
	free(ps.qc);
	free(ps.uc);
	free(ps.al);
	for (size_t i = 0; i < ps.ngated; i++) {
		free(ps.gated[i]);
		free(ps.gprojects[i]);
	}
	free(ps.gated);
	free(ps.gprojects);
	for (size_t i = 0; i < ps.nlic; i++) {
		free(ps.lic[i].name);
		free(ps.lic[i].why);
	}
	free(ps.lic);
	soca_cost_free(ps.cost);
	ps.p->free(ps.p);
	return ps.launched;
}

/* queued/'s mtime: a submission or a changed reason since the last look */
static struct timespec
queued_mtime(const struct soca_spool *sp)
{
	char *p = soca_xasprintf("%s/queued", soca_spool_dir(sp));
	struct stat st = { 0 };

	stat(p, &st);
	free(p);
	return st.st_mtim;
}

static bool
same(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * Passes until queued/ is still and no kick waits: the number launched
 * (0 when another dispatcher holds the lock), -1 on error, -2 when a
 * launch worker died (said already; its job is left to the reaper's
 * launch_timeout).
 */
int
soca_dispatch(const struct soca_conf *c, struct soca_spool *sp)
{
	struct timespec before, after;
	int fd, n = 0, passes;

	for (;;) {
		passes = 0;
		if ((fd = soca_spool_dispatcher(sp)) < 0)
			return errno == EWOULDBLOCK ? n : -1;
		do {
			soca_spool_kicked(sp, true);
			before = queued_mtime(sp);
			n += one_pass(c, sp);
			if (worker_died) {
				close(fd);
				return -2;
			}
			after = queued_mtime(sp);
		} while ((!same(before, after) || soca_spool_kicked(sp,
		    false)) && ++passes < 10);
		close(fd);
		after = queued_mtime(sp);
		if (same(before, after) && !soca_spool_kicked(sp, false))
			return n;
	}
}

/*
 * Something the dispatcher decides on changed (a job was submitted, or
 * ended and freed its slots, its dependents and its queue's limits): a
 * kick for the running or next dispatcher, and with dispatch = immediate
 * a dispatcher started now, detached.  A setgid caller (a user's command
 * on a shared spool) only kicks: the site's timer or path unit
 * dispatches (soca-node-up(1)).
 */
void
soca_kick(const struct soca_conf *c, struct soca_spool *sp)
{
	char *prog, *argv[] = { "soca-node-up", NULL };

	soca_spool_kick(sp);
	if (strcmp(soca_conf_get(c, "cluster", NULL, "dispatch"),
	    "immediate") != 0 || getegid() != getgid())
		return;
	prog = soca_libexec("soca-node-up");
	soca_spawn_detached(prog, argv);
	free(prog);
}
