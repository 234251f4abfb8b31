/*
 * soca-del: cancel jobs, ids from the arguments or on stdin (one a line,
 * or soca-stat's table, CSV or JSON Lines: see soca_ids_or_stdin).
 * A queued or provisioning job moves to cancelled; a running one moves to
 * cancelled and its process group gets SIGTERM, then SIGKILL after
 * [cluster] kill_grace.  Users cancel their own jobs; root and members of
 * admin_group cancel any.  Prints each id it cancelled.  An array, ID[]
 * (or ID), is cancelled whole: the array and each subjob still active;
 * one subjob, ID[INDEX], alone: one not begun yet gets a cancelled
 * record, which the dispatcher then skips (lib/array.c).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "provider.h"
#include "slurm.h"

static const char usage_text[] = "usage: soca-del [-J] [id ...]\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* process groups to signal once the spool is let go of */
struct groups {
	pid_t *g;
	size_t n;
};

static void
add_group(struct groups *gs, pid_t g)
{
	if (g <= 0)
		return;
	gs->g = soca_xreallocarray(gs->g, gs->n + 1, sizeof(*gs->g));
	gs->g[gs->n++] = g;
}

static bool
may(const struct soca_conf *c, const struct soca_job *j, const char *id)
{
	if (j->uid == getuid() || soca_is_admin(c, getuid()))
		return true;
	warnx("job %s: belongs to %s; only its owner or an administrator "
	    "(root, group %s) may cancel it", id, j->user,
	    soca_conf_get(c, "cluster", NULL, "admin_group"));
	return false;
}

/* Under the lock, j as loaded and active: it moves to cancelled. */
static void
cancel_one(struct soca_spool *sp, struct soca_job *j, struct groups *gs)
{
	if (j->state == SOCA_RUNNING)
		add_group(gs, j->pgid);
	free(j->reason);
	j->reason = soca_xasprintf("cancelled by uid %ld", (long)getuid());
	j->end = time(NULL);
	if (soca_spool_move(sp, j, SOCA_CANCELLED) < 0)
		err(SOCA_EX_TEMP, "job %lld", j->id);
}

/* A whole array (ID[]): the array, then each subjob begun and active. */
static void
cancel_array(struct soca_spool *sp, struct soca_job *a, struct groups *gs)
{
	struct soca_range r;
	long long n = soca_array_range(a, &r) ? soca_range_count(&r) : 0;

	cancel_one(sp, a, gs);
	for (long long k = 0; k < n && k <= a->anext; k++) {
		struct soca_job s;

		if (soca_spool_load(sp, a->id + 1 + k, &s) < 0)
			continue;
		if (s.state < SOCA_DONE)
			cancel_one(sp, &s, gs);
		soca_job_free(&s);
	}
}

/* ID[INDEX] of array a: its record, or, not begun, one made cancelled */
static int
cancel_sub(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_job *a, long long sid, const char *ref, struct groups *gs)
{
	struct soca_job s;
	int rc = SOCA_EX_OK;

	if (!may(c, a, ref))
		return SOCA_EX_FALSE;
	if (soca_spool_load(sp, sid, &s) == 0) {
		if (s.state >= SOCA_DONE) {
			warnx("job %s: already %s", ref,
			    soca_state_name(s.state));
			rc = SOCA_EX_FALSE;
		} else
			cancel_one(sp, &s, gs);
		soca_job_free(&s);
		return rc;
	}
	if (a->state != SOCA_QUEUED) {
		warnx("job %s: its array is already %s", ref,
		    soca_state_name(a->state));
		return SOCA_EX_FALSE;
	}
	if (soca_array_make(sp, a, sid - a->id - 1, SOCA_CANCELLED, &s) < 0)
		err(SOCA_EX_TEMP, "job %s", ref);
	soca_job_free(&s);
	return rc;
}

/* The id as it is printed: 42, 42[] for an array, 42[7] */
static void
array_ref(struct soca_spool *sp, long long id, long long idx, char *b,
    size_t n)
{
	struct soca_job j;

	if (idx >= 0)
		snprintf(b, n, "%lld[%lld]", id, idx);
	else if (soca_spool_load(sp, id, &j) == 0) {
		soca_job_idstr(&j, b, n);
		soca_job_free(&j);
	} else
		snprintf(b, n, "%lld", id);
}

/* 0 cancelled (its groups in gs, to signal), else an exit code. */
static int
cancel(const struct soca_conf *c, struct soca_spool *sp, const char *ref,
    long long id, long long idx, struct groups *gs)
{
	struct soca_job j;
	long long sid = 0;
	char *why;
	int rc = SOCA_EX_OK;

	if (soca_spool_lock(sp) < 0)
		err(SOCA_EX_TEMP, "%s", soca_spool_dir(sp));
	if (idx >= 0 && soca_array_resolve(sp, id, idx, &sid, &why) < 0) {
		soca_spool_unlock(sp);
		warnx("%s", why);
		free(why);
		return SOCA_EX_FALSE;
	}
	if (soca_spool_load(sp, id, &j) < 0) {
		soca_spool_unlock(sp);
		warnx("job %lld: no such job", id);
		return SOCA_EX_FALSE;
	}
	if (idx >= 0)
		rc = cancel_sub(c, sp, &j, sid, ref, gs);
	else if (!may(c, &j, ref))
		rc = SOCA_EX_FALSE;
	else if (j.state >= SOCA_DONE) {
		warnx("job %s: already %s", ref, soca_state_name(j.state));
		rc = SOCA_EX_FALSE;
	} else if (j.array)
		cancel_array(sp, &j, gs);
	else
		cancel_one(sp, &j, gs);
	soca_job_free(&j);
	soca_spool_unlock(sp);
	return rc;
}

/* SIGTERM, then SIGKILL after the grace period if the group lives on. */
static void
stop(pid_t *g, size_t n, long long grace)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	bool any = false;

	for (size_t i = 0; i < n; i++)
		if (g[i] > 0 && kill(-g[i], SIGTERM) == 0)
			any = true;
	for (long long t = 0; any && t < grace * 10; t++) {
		any = false;
		for (size_t i = 0; i < n; i++)
			any = any || (g[i] > 0 && kill(-g[i], 0) == 0);
		if (any)
			nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < n; i++)
		if (g[i] > 0)
			kill(-g[i], SIGKILL);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	struct soca_spool *sp;
	char **ids;
	size_t n;
	struct groups gs = { 0 };
	bool json = false;
	int ch, rc = SOCA_EX_OK, r, cancelled = 0;

	soca_priv_init();
	while ((ch = getopt_long(argc, argv, "hJ", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'J': json = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	c = soca_conf_must();
	if (soca_slurm_on(c)) {	/* scancel on Slurm's jobs */
		soca_conf_free(c);
		return soca_slurm_jobctl("cancel", argc - optind,
		    argv + optind, json);
	}
	if (soca_ids_or_stdin(argc - optind, argv + optind, &ids, &n) < 0)
		err(SOCA_EX_TEMP, "stdin");
	if (n == 0) {
		bool usage_err = optind < argc || isatty(STDIN_FILENO);

		soca_strv_free(ids, n);
		soca_conf_free(c);
		if (usage_err)
			usage(SOCA_EX_USAGE);
		return SOCA_EX_OK;	/* an empty pipe: nothing to cancel */
	}
	soca_priv_raise();
	if ((sp = soca_spool_open(c, false)) == NULL) {
		warnx("no jobs (spool %s does not exist)",
		    soca_conf_get(c, "cluster", NULL, "spool"));
		soca_strv_free(ids, n);
		soca_conf_free(c);
		return SOCA_EX_FALSE;
	}
	for (size_t i = 0; i < n; i++) {
		long long id, idx;
		char ref[48];
		int kind = soca_job_ref(ids[i], &id, &idx);

		if (kind < 0) {
			warnx("%s: not a job id (ids are numbers, e.g. 42 or 42.server)",
			    ids[i]);
			rc = SOCA_EX_USAGE;
			continue;
		}
		array_ref(sp, id, idx, ref, sizeof(ref));
		if ((r = cancel(c, sp, ref, id, idx, &gs)) != 0) {
			rc = rc ? rc : r;
			continue;
		}
		cancelled++;
		if (json && strchr(ref, '[') != NULL)
			printf("{\"id\":\"%s\",\"state\":\"cancelled\"}\n",
			    ref);
		else if (json)
			printf("{\"id\":%s,\"state\":\"cancelled\"}\n", ref);
		else
			printf("%s\n", ref);
		fflush(stdout);
	}
	if (cancelled > 0)	/* dependents fail, slots free: a pass */
		soca_kick(c, sp);
	soca_priv_lose();
	stop(gs.g, gs.n, soca_conf_int(c, "cluster", NULL, "kill_grace"));
	free(gs.g);
	soca_strv_free(ids, n);
	soca_spool_close(sp);
	soca_conf_free(c);
	return rc;
}
