/*
 * array.c: job arrays, as PBS Professional has them (qsub -J X-Y[:Z][%M]).
 *
 * An array is one record, the array job N (shown as N[]), holding the
 * script and the range (array=X-Y:Z%M) like any job's record, and stored
 * in queued/ like one.  Submitting it takes the ids N..N+COUNT from seq
 * at once (seq is fsynced then, before the record is published, so that
 * no later job can be given one of them after a power cut): subjob k (of
 * index X+k*Z, shown as N[X+k*Z]) is the record N+1+k.  Submitting
 * writes one record whatever the count; a subjob's record is made by the
 * dispatcher when it dispatches it, at most M running at once (%M), so
 * a record exists for every subjob that began and none for those still
 * waiting; soca-stat -t shows those from the array's record.  A subjob's
 * record is a job's record (with array_id and array_index) and takes the
 * usual path through provisioning, running and its end, so the runner,
 * the reaper, soca-del and crash repair need nothing of their own.
 *
 * Making subjob k, under the state lock: its record is written to
 * queued/ (the commit point; a subjob that exists is never made again:
 * its id is taken), then the array's array_next becomes k+1.  A crash
 * between the two leaves array_next behind; the next pass finds k taken
 * and moves on.  soca-del of a subjob not made yet writes its record
 * straight into cancelled/, which the dispatcher skips the same way.
 * The array stays queued (PBS's Q, shown "begun", PBS's B, once a subjob
 * began) until every subjob is made and none is active; the dispatcher
 * then moves it to done (all done), or failed (exit 1: a subjob failed;
 * exit 2: one was cancelled), so -W depend=afterok:N[] waits for them all.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

#define SOCA_MAX_INDEX 999999999LL

static bool
num(const char **p, long long *v)
{
	char *e;

	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*v = strtoll(*p, &e, 10);
	if (errno != 0)
		return false;
	*p = e;
	return true;
}

/* X-Y[:Z][%M]; NULL, or why not (value, rule, fix) */
char *
soca_range_parse(const char *spec, struct soca_range *r)
{
	const char *p = spec;
	const char *rule = NULL;

	*r = (struct soca_range){ 0, 0, 1, 0 };
	if (!num(&p, &r->x) || *p++ != '-' || !num(&p, &r->y) ||
	    (*p == ':' && (p++, !num(&p, &r->z))) ||
	    (*p == '%' && (p++, !num(&p, &r->m))) || *p != '\0')
		return soca_xasprintf("-J \"%s\": not a range (write -J "
		    "X-Y[:Z][%%M], whole numbers, e.g. -J 1-10 or "
		    "-J 0-99:2%%5)", spec);
	if (r->y > SOCA_MAX_INDEX)
		rule = "an index is above 999999999 (number the subjobs from "
		    "0 or 1; PBS_ARRAY_INDEX can be scaled in the script)";
	else if (r->y < r->x)
		rule = "the last index Y is below the first X (write X-Y with "
		    "X <= Y)";
	else if (r->z < 1)
		rule = "the step Z is below 1 (write :1 or more, or leave it "
		    "out)";
	else if (strchr(spec, '%') && r->m < 1)
		rule = "the limit M of subjobs running at once is below 1 "
		    "(write %1 or more, or leave it out)";
	if (rule != NULL)
		return soca_xasprintf("-J \"%s\": %s", spec, rule);
	return NULL;
}

long long
soca_range_count(const struct soca_range *r)
{
	return (r->y - r->x) / r->z + 1;
}

/* The array's range; false for a job that is not an array. */
bool
soca_array_range(const struct soca_job *j, struct soca_range *r)
{
	char *why;

	if (j->array == NULL)
		return false;
	if ((why = soca_range_parse(j->array, r)) != NULL) {
		free(why);
		return false;
	}
	return true;
}

/* The record id of the array's subjob of index idx; -1 if none. */
long long
soca_array_subid(const struct soca_job *a, long long idx)
{
	struct soca_range r;

	if (!soca_array_range(a, &r) || idx < r.x || idx > r.y ||
	    (idx - r.x) % r.z != 0)
		return -1;
	return a->id + 1 + (idx - r.x) / r.z;
}

/* Copy a record (and so every field) through its text form. */
static void
copy(const struct soca_job *a, struct soca_job *b)
{
	struct soca_buf t = { 0 };

	soca_job_format(a, &t);
	if (soca_job_parse(t.s, t.len, b) < 0)
		abort();	/* a record we formatted always parses */
	b->state = a->state;
	soca_buf_free(&t);
}

/*
 * Subjob k of array a as it is before it is made: queued with the
 * array's reason (or cancelled once the array ended), its own ids.
 */
void
soca_array_virtual(const struct soca_job *a, long long k,
    struct soca_job *s)
{
	struct soca_range r;

	copy(a, s);
	soca_array_range(a, &r);
	free(s->array);
	s->array = NULL;
	s->anext = 0;
	s->id = a->id + 1 + k;
	s->aparent = a->id;
	s->aidx = r.x + k * r.z;
	s->state = SOCA_QUEUED;	/* waiting for what its array waits for */
	if (a->state >= SOCA_DONE) {	/* it never began and never will */
		free(s->reason);
		s->state = SOCA_CANCELLED;
		s->reason = soca_xasprintf("never began: its array is %s",
		    soca_state_name(a->state));
	}
	free(s->deps);		/* the array waited for them */
	free(s->dkind);
	s->deps = NULL;
	s->dkind = NULL;
	s->ndeps = 0;
	s->start = s->end = 0;
	s->used = false;
	s->exit = -1;
}

/*
 * Under the state lock: make subjob k of array a (as loaded) in state
 * (queued, or cancelled for soca-del), with the array's script.  0 made,
 * 1 taken already, -1 error (errno).
 */
int
soca_array_make(struct soca_spool *sp, struct soca_job *a, long long k,
    int state, struct soca_job *s)
{
	char *script;
	size_t len;
	int r;

	if (soca_spool_taken(sp, a->id + 1 + k))
		return 1;
	if (soca_spool_script(sp, a->id, &script, &len) < 0)
		return -1;
	soca_array_virtual(a, k, s);
	s->state = state;
	free(s->reason);
	s->reason = NULL;
	if (state == SOCA_CANCELLED) {
		s->end = time(NULL);
		s->reason = soca_xasprintf("cancelled by uid %ld",
		    (long)getuid());
	}
	r = soca_spool_create(sp, s, script, len);
	free(script);
	if (r < 0)
		soca_job_free(s);
	return r;
}

/*
 * The record id of subjob idx of array id, or -1 with *why (a message
 * naming the id, the rule and the fix).
 */
int
soca_array_resolve(struct soca_spool *sp, long long id, long long idx,
    long long *sid, char **why)
{
	struct soca_job a;
	struct soca_range r;

	*why = NULL;
	if (soca_spool_load(sp, id, &a) < 0) {
		*why = soca_xasprintf("job %lld[%lld]: no such job", id, idx);
		return -1;
	}
	if (!soca_array_range(&a, &r))
		*why = soca_xasprintf("job %lld[%lld]: job %lld is not an "
		    "array (name it %lld)", id, idx, id, id);
	else if ((*sid = soca_array_subid(&a, idx)) < 0)
		*why = soca_xasprintf("job %lld[%lld]: no such subjob (the "
		    "array's indices are %s)", id, idx, a.array);
	soca_job_free(&a);
	return *why ? -1 : 0;
}

/*
 * Every subjob made and none active: the array ends (under the state
 * lock, a as loaded).  0 moved, 1 not yet, -1 error.
 */
int
soca_array_finish(struct soca_spool *sp, struct soca_job *a)
{
	struct soca_range r;
	long long n, bad = 0, gone = 0;
	int to;

	if (!soca_array_range(a, &r) || a->state != SOCA_QUEUED)
		return 1;
	n = soca_range_count(&r);
	if (a->anext < n)
		return 1;
	for (long long k = 0; k < n; k++) {
		struct soca_job s;

		if (soca_spool_load(sp, a->id + 1 + k, &s) < 0)
			return 1;	/* not made yet: a pass makes it */
		to = s.state;
		soca_job_free(&s);
		if (to < SOCA_DONE)
			return 1;
		bad += to == SOCA_FAILED;
		gone += to == SOCA_CANCELLED;
	}
	free(a->reason);
	a->reason = gone ? soca_xasprintf("%lld of %lld subjobs cancelled",
	    gone, n) : bad ? soca_xasprintf("%lld of %lld subjobs failed",
	    bad, n) : NULL;
	a->exit = gone ? 2 : bad ? 1 : 0;
	a->end = time(NULL);
	return soca_spool_move(sp, a, bad || gone ? SOCA_FAILED :
	    SOCA_DONE) < 0 ? -1 : 0;
}
