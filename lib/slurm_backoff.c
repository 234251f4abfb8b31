/*
 * slurm_backoff.c: capacity back-off per instance type for the Slurm
 * bridge.  When EC2 answers a launch with a capacity error
 * (InsufficientInstanceCapacity, a limit), slurm/backoff/TYPE in the
 * spool gets "EXPIRY CODE: message" ([aws] capacity_backoff from now);
 * until then a resume for that type sets its nodes DOWN at once with
 * "soca: TYPE backing off until ..." and asks AWS nothing, so Slurm
 * places jobs on other types meanwhile.  Other types are never touched,
 * and the back-off ends by itself: the file only says until when, and
 * soca-node-down's pass returns the nodes it set DOWN once their type
 * may launch again (slurm_cron.c).  soca-node-ls lists what backs off.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "job.h"
#include "slurm.h"

static char *
bpath(struct soca_spool *sp, const char *type)
{
	char *d = soca_xasprintf("%s/slurm", soca_spool_dir(sp)), *p;

	mkdir(d, 0770);
	p = soca_xasprintf("%s/backoff", d);
	mkdir(p, 0770);
	free(d);
	if (type == NULL)
		return p;
	d = soca_xasprintf("%s/%s", p, type);
	free(p);
	return d;
}

/*
 * Is type backing off?  1 with *until and *why (when wanted) set, 0 when
 * it may launch.
 */
int
soca_slurm_backoff_get(struct soca_spool *sp, const char *type,
    time_t *until, char **why)
{
	char *path, line[1024], *sp1, *nl;
	long long t;
	FILE *f;

	if (type == NULL || !soca_name_ok(type))
		return 0;
	path = bpath(sp, type);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	t = strtoll(line, &sp1, 10);
	if (t <= time(NULL))
		return 0;
	if (until)
		*until = (time_t)t;
	if (why) {
		if ((nl = strchr(sp1, '\n')) != NULL)
			*nl = '\0';
		*why = soca_xstrdup(*sp1 == ' ' ? sp1 + 1 : sp1);
	}
	return 1;
}

/* type backs off for [aws] capacity_backoff from now, because of why */
time_t
soca_slurm_backoff_set(const struct soca_conf *c, struct soca_spool *sp,
    const char *type, const char *why)
{
	time_t until = time(NULL) + (time_t)soca_conf_int(c, "aws", NULL,
	    "capacity_backoff");
	char *path, *line;

	if (!soca_name_ok(type))
		return 0;
	path = bpath(sp, type);
	line = soca_xasprintf("%lld %s\n", (long long)until, why);
	for (char *p = line; p[1]; p++)
		if (*p == '\n')
			*p = ' ';
	if (soca_write_atomic(path, line, strlen(line), 0660) < 0)
		until = 0;
	free(line);
	free(path);
	return until;
}

/*
 * Every type backing off now: one "TYPE UNTIL why" line each on f.  The
 * number of types.
 */
size_t
soca_slurm_backoff_list(struct soca_spool *sp, FILE *f, const char *prefix)
{
	char *dir = bpath(sp, NULL), *why, at[32];
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	time_t until;

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !soca_slurm_backoff_get(sp,
		    de->d_name, &until, &why))
			continue;
		soca_time_utc(until, at);
		fprintf(f, "%s%s backing off until %s: %s\n", prefix,
		    de->d_name, at, why);
		free(why);
		n++;
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}
