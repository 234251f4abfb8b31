/*
 * qselect: PBS's qselect over soca-stat -f -J: the ids (ID.SERVER, one
 * a line) of the jobs matching every criterion given: owner (-u),
 * queue (-q), state letters (-s, as qstat shows them), name (-N),
 * project (-P, or -A).  -x takes finished jobs in too.  As PBS's: jobs
 * and job arrays (ID[]) by default, -J arrays alone, -T jobs and
 * subjobs (ID[INDEX], from soca-stat -t), -J -T the subjobs alone.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pbs.h"

static const char usage_text[] =
    "usage: qselect [-JTx] [-A account] [-N name] [-P project] "
    "[-q destination]\n"
    "               [-s states] [-u user_list]\n"
    "       qselect --version\n";

struct sel {
	char **users;
	size_t nusers;
	const char *queue, *states, *name, *project;
	bool history, arrays, subjobs;
};

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static bool
match(const struct sel *s, json_t *j, long long now)
{
	const char *user = soca_pbs_str(j, "user");
	char st = soca_pbs_state(j, now);
	bool ok = soca_pbs_is_subjob(j) ? s->subjobs : soca_pbs_is_array(j) ?
	    !s->subjobs : !s->arrays;

	for (size_t i = 0; i < s->nusers && !ok; i++) {
		size_t k = strcspn(s->users[i], "@");	/* user@host */

		ok = user && strlen(user) == k &&
		    strncmp(s->users[i], user, k) == 0;
	}
	if (ok && s->nusers > 0)
		ok = false;
	for (size_t i = 0; i < s->nusers && !ok; i++) {
		size_t k = strcspn(s->users[i], "@");	/* user@host */

		ok = user && strlen(user) == k &&
		    strncmp(s->users[i], user, k) == 0;
	}
	if (!ok || (soca_pbs_finished(j) && !s->history))
		return false;
	if (s->states && strchr(s->states, st) == NULL)
		return false;
	if (s->queue && (soca_pbs_str(j, "queue") == NULL ||
	    strcmp(s->queue, soca_pbs_str(j, "queue")) != 0))
		return false;
	if (s->name && (soca_pbs_str(j, "name") == NULL ||
	    strcmp(s->name, soca_pbs_str(j, "name")) != 0))
		return false;
	return s->project == NULL || (soca_pbs_str(j, "project") &&
	    strcmp(s->project, soca_pbs_str(j, "project")) == 0);
}

static void
states(struct sel *s, const char *v)
{
	if (*v == '\0' || strspn(v, "BEFHMQRSTUWX") != strlen(v))
		errx(SOCA_EX_USAGE, "-s %s: not job states (letters of "
		    "BEFHMQRSTUWX, e.g. -s QH; soca's jobs are Q, H, W, R or "
		    "F, arrays also B, subjobs X)", v);
	s->states = v;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 1 }, { NULL, 0, NULL, 0 } };
	struct sel s = { 0 };
	struct soca_conf *c;
	json_t *jobs, *j;
	long long now = time(NULL);
	size_t i;
	int ch, rc;

	if (soca_pbs_version(argc, argv))
		return SOCA_EX_OK;
	while ((ch = getopt_long(argc, argv, "a:A:c:h:HJl:N:p:P:q:r:s:t:Tu:x",
	    lo, NULL)) != -1)
		switch (ch) {
		case 'A': case 'P': s.project = optarg; break;
		case 1: usage(SOCA_EX_OK);
		case 'J': s.arrays = true; break;
		case 'N': s.name = optarg; break;
		case 'q': s.queue = optarg; break;
		case 's': states(&s, optarg); break;
		case 't':
			errx(SOCA_EX_USAGE, "-t %s: soca's qselect does not "
			    "select by time; remove it (subjobs are selected "
			    "with -T)", optarg);
		case 'T': s.subjobs = true; break;
		case 'u':
			soca_strv_free(s.users, s.nusers);
			if (soca_split_list(optarg, &s.users, &s.nusers) != 0)
				errx(SOCA_EX_USAGE, "-u %s: an empty name "
				    "(write -u user[,user...])", optarg);
			break;
		case 'x': s.history = true; break;
		case '?': usage(SOCA_EX_USAGE);
		default:
			errx(SOCA_EX_USAGE, "-%c: not a criterion soca's "
			    "qselect takes (it takes -A, -J, -N, -P, -q, -s, "
			    "-T, -u and -x); remove it", ch);
		}
	if (optind != argc)
		usage(SOCA_EX_USAGE);
	c = soca_conf_must();
	jobs = soca_pbs_jobs(NULL, 0, s.history, s.subjobs, &rc);
	json_array_foreach(jobs, i, j)
		if (match(&s, j, now)) {
			char *id = soca_pbs_id(c, j);
			puts(id);
			free(id);
		}
	json_decref(jobs);
	soca_strv_free(s.users, s.nusers);
	soca_conf_free(c);
	return rc;
}
