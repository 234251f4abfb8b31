/*
 * jobctl.c: what soca-hold, soca-release and soca-alter share (qhold,
 * qrls, qalter).  Ids come from the arguments or stdin
 * (soca_ids_or_stdin); each job is reloaded under the spool's state lock,
 * changed only by its owner or an administrator and only while queued (a
 * held job is a queued one), and rewritten in place: a change that is
 * refused writes nothing.  Each changed id is printed, then one kick
 * tells the dispatcher something it decides on changed.  An array, ID[],
 * is changed as one job while it is queued (its subjobs not begun yet
 * take the change, running ones keep theirs); a subjob alone is refused,
 * as qhold, qrls and qalter refuse it.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "provider.h"

/* 0 changed, else an exit code (said already) */
static int
change(const struct soca_conf *c, struct soca_spool *sp, const char *verb,
    long long id, soca_ctl_fn fn, void *arg)
{
	struct soca_job j;
	char *why = NULL;
	int rc;

	if (soca_spool_load(sp, id, &j) < 0) {
		warnx("job %lld: no such job", id);
		return SOCA_EX_FALSE;
	}
	if (j.uid != getuid() && !soca_is_admin(c, getuid())) {
		why = soca_xasprintf("belongs to %s; only its owner or an "
		    "administrator (root, group %s) may %s it", j.user,
		    soca_conf_get(c, "cluster", NULL, "admin_group"), verb);
		rc = SOCA_EX_FALSE;
	} else if (j.state != SOCA_QUEUED) {
		why = soca_xasprintf("is %s; only a queued or held job can be "
		    "changed (%s)", soca_state_name(j.state), verb);
		rc = SOCA_EX_FALSE;
	} else if ((rc = fn(c, sp, &j, arg, &why)) == 0 &&
	    soca_spool_update(sp, &j) < 0)
		err(SOCA_EX_TEMP, "job %lld", id);
	if (why) {
		char ref[48];

		soca_job_idstr(&j, ref, sizeof(ref));	/* an array: 42[] */
		warnx("job %s: %s", ref, why);
	}
	free(why);
	soca_job_free(&j);
	return rc;
}

static void
say(long long id, bool json, struct soca_spool *sp)
{
	struct soca_job j;
	bool held = false, arr = false;
	char ref[48];

	snprintf(ref, sizeof(ref), "%lld", id);
	if (soca_spool_load(sp, id, &j) == 0) {
		held = j.holder != NULL;
		arr = j.array != NULL;
		soca_job_idstr(&j, ref, sizeof(ref));	/* an array: 42[] */
		soca_job_free(&j);
	}
	if (json)
		printf("{\"id\":%s%s%s,\"state\":\"queued\",\"held\":%s}\n",
		    arr ? "\"" : "", ref, arr ? "\"" : "",
		    held ? "true" : "false");
	else
		printf("%s\n", ref);
	fflush(stdout);
}

/* -1: no ids and nothing to read (a usage error), else an exit code */
int
soca_jobctl(const struct soca_conf *c, const char *verb, int argc,
    char **argv, bool json, soca_ctl_fn fn, void *arg)
{
	struct soca_spool *sp;
	char **ids;
	size_t n, changed = 0;
	int rc = SOCA_EX_OK, r;
	long long id, idx;

	if (soca_ids_or_stdin(argc, argv, &ids, &n) < 0)
		err(SOCA_EX_TEMP, "stdin");
	if (n == 0)
		return argc > 0 || isatty(STDIN_FILENO) ? -1 : SOCA_EX_OK;
	soca_priv_raise();
	if ((sp = soca_spool_open(c, false)) == NULL)
		errx(SOCA_EX_FALSE, "no jobs (spool %s does not exist)",
		    soca_conf_get(c, "cluster", NULL, "spool"));
	for (size_t i = 0; i < n; i++) {
		if ((r = soca_job_ref(ids[i], &id, &idx)) != 0) {
			if (r < 0)
				warnx("%s: not a job id (ids are numbers, e.g. "
				    "42 or 42.server; arrays 42[])", ids[i]);
			else
				warnx("%s: a subjob cannot be changed alone "
				    "(%s), as in PBS; give its array, %lld[]",
				    ids[i], verb, id);
			rc = SOCA_EX_USAGE;
			continue;
		}
		if (soca_spool_lock(sp) < 0)
			err(SOCA_EX_TEMP, "%s", soca_spool_dir(sp));
		r = change(c, sp, verb, id, fn, arg);
		soca_spool_unlock(sp);
		if (r == 0) {
			changed++;
			say(id, json, sp);
		} else if (rc != SOCA_EX_USAGE)
			rc = r;
	}
	if (changed > 0)
		soca_kick(c, sp);
	soca_spool_close(sp);
	soca_strv_free(ids, n);
	return rc;
}
