/*
 * pbs_array.c: what qstat -f and -F json say of a job array beyond a
 * job's attributes, in PBS Professional's names and forms: array = True,
 * array_indices_submitted (-J's X-Y[:Z]; its %M is max_run_subjobs),
 * array_indices_remaining (the subjobs not begun, "-" when none) and
 * array_state_count, all from the array's subjobs as soca-stat -t lists
 * them.  A subjob's own (array_id, array_index) are in pbs.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pbs.h"

/* one run of indices: a, a-b, or a-b:z */
static void
run(struct soca_buf *b, long long a, long long e, long long z)
{
	if (b->len > 0)
		soca_buf_addc(b, ',');
	if (a == e)
		soca_buf_addf(b, "%lld", a);
	else if (z == 1)
		soca_buf_addf(b, "%lld-%lld", a, e);
	else
		soca_buf_addf(b, "%lld-%lld:%lld", a, e, z);
}

static bool
queued(json_t *s)
{
	const char *st = soca_pbs_str(s, "state");

	return st && strcmp(st, "queued") == 0;
}

/* the queued subjobs' indices, runs of consecutive ones folded */
static char *
remaining(json_t *subs, long long z)
{
	struct soca_buf b = { 0 };
	long long a = -1, e = -1;
	size_t i;
	json_t *s;

	json_array_foreach(subs, i, s) {
		long long x = soca_pbs_int(s, "array_index");

		if (!queued(s))
			continue;
		if (a >= 0 && x == e + z) {
			e = x;
			continue;
		}
		if (a >= 0)
			run(&b, a, e, z);
		a = e = x;
	}
	if (a >= 0)
		run(&b, a, e, z);
	if (b.len == 0)
		soca_buf_adds(&b, "-");
	return soca_buf_steal(&b);
}

void
soca_pbs_array_attrs(json_t *o, json_t *array, json_t *jobs)
{
	const char *spec = soca_pbs_str(array, "array");
	long long id = soca_pbs_int(array, "id"), z = 1, n[4] = { 0 };
	json_t *subs = json_array(), *j;
	const char *colon, *pct;
	char *s;
	size_t i;

	if (spec == NULL)
		return;
	json_array_foreach(jobs, i, j) {
		if (!soca_pbs_is_subjob(j) || soca_pbs_int(j, "array_id") != id)
			continue;
		json_array_append(subs, j);
		n[soca_pbs_finished(j) ? 3 : queued(j) ? 0 : 1]++;
	}
	pct = strchr(spec, '%');
	if ((colon = strchr(spec, ':')) != NULL)
		z = strtoll(colon + 1, NULL, 10);
	json_object_set_new(o, "array", json_string("True"));
	s = soca_xstrndup(spec, pct ? (size_t)(pct - spec) : strlen(spec));
	json_object_set_new(o, "array_indices_submitted", json_string(s));
	free(s);
	s = remaining(subs, z > 0 ? z : 1);
	json_object_set_new(o, "array_indices_remaining", json_string(s));
	free(s);
	s = soca_xasprintf("Queued:%lld Running:%lld Exiting:%lld "
	    "Expired:%lld ", n[0], n[1], n[2], n[3]);
	json_object_set_new(o, "array_state_count", json_string(s));
	free(s);
	if (pct)
		json_object_set_new(o, "max_run_subjobs", json_integer(
		    strtoll(pct + 1, NULL, 10)));
	json_decref(subs);
}
