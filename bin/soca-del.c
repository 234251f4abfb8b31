/*
 * soca-del: cancel jobs, ids from the arguments or on stdin (one a line,
 * or soca-stat's table, CSV or JSON Lines: see soca_ids_or_stdin).
 * A queued or provisioning job moves to cancelled; a running one moves to
 * cancelled and its process group gets SIGTERM, then SIGKILL after
 * [cluster] kill_grace.  Users cancel their own jobs; root and members of
 * admin_group cancel any.  Prints each id it cancelled.
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

/* 0 cancelled (*pgid: a group to signal), else an exit code. */
static int
cancel(const struct soca_conf *c, struct soca_spool *sp, long long id,
    pid_t *pgid)
{
	struct soca_job j;
	int rc = SOCA_EX_OK;

	*pgid = 0;
	if (soca_spool_lock(sp) < 0)
		err(SOCA_EX_TEMP, "%s", soca_spool_dir(sp));
	if (soca_spool_load(sp, id, &j) < 0) {
		soca_spool_unlock(sp);
		warnx("job %lld: no such job", id);
		return SOCA_EX_FALSE;
	}
	if (j.uid != getuid() && !soca_is_admin(c, getuid())) {
		warnx("job %lld: belongs to %s; only its owner or an "
		    "administrator (root, group %s) may cancel it", id, j.user,
		    soca_conf_get(c, "cluster", NULL, "admin_group"));
		rc = SOCA_EX_FALSE;
	} else if (j.state >= SOCA_DONE) {
		warnx("job %lld: already %s", id, soca_state_name(j.state));
		rc = SOCA_EX_FALSE;
	} else {
		*pgid = j.state == SOCA_RUNNING ? j.pgid : 0;
		free(j.reason);
		j.reason = soca_xasprintf("cancelled by uid %ld",
		    (long)getuid());
		j.end = time(NULL);
		if (soca_spool_move(sp, &j, SOCA_CANCELLED) < 0)
			err(SOCA_EX_TEMP, "job %lld", id);
	}
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
	pid_t *groups;
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
	groups = soca_xcalloc(n, sizeof(*groups));
	for (size_t i = 0; i < n; i++) {
		long long id;

		if (soca_job_id(ids[i], &id) != 0) {
			warnx("%s: not a job id (ids are numbers, e.g. 42 or 42.server)",
			    ids[i]);
			rc = SOCA_EX_USAGE;
			continue;
		}
		if ((r = cancel(c, sp, id, &groups[i])) != 0) {
			rc = rc ? rc : r;
			continue;
		}
		cancelled++;
		if (json)
			printf("{\"id\":%lld,\"state\":\"cancelled\"}\n", id);
		else
			printf("%lld\n", id);
		fflush(stdout);
	}
	if (cancelled > 0)	/* dependents fail, slots free: a pass */
		soca_kick(c, sp);
	soca_priv_lose();
	stop(groups, n, soca_conf_int(c, "cluster", NULL, "kill_grace"));
	free(groups);
	soca_strv_free(ids, n);
	soca_spool_close(sp);
	soca_conf_free(c);
	return rc;
}
