/*
 * license_slurm.c: soca-license --slurm, the same license counts given to
 * Slurm ([cluster] scheduler = slurm), from cron.
 *
 * Slurm 22.05 knows licenses as slurm.conf's Licenses=NAME:COUNT (local
 * licenses: no slurmdbd needed; soca-config slurm prints the line with
 * FlexLM's issued count) and schedules a job asking -L NAME:N only when
 * COUNT - used by its running jobs - reserved leaves N.  What it cannot
 * see is FlexLM's other users.  So each license gets a license-only
 * reservation, soca-lic-NAME (Flags=LICENSE_ONLY, Users=root, no nodes;
 * no job runs in it), holding back
 *
 *   hold = min(COUNT, in use outside Slurm + reserved)
 *   in use outside Slurm = max(0, lmstat's in use - checked out by Slurm)
 *
 * where "checked out by Slurm" counts the licenses of Slurm's running
 * jobs that started at least the license's checkout_grace ago (younger
 * ones have not checked out yet: Slurm's own count already holds them).
 * A license that cannot be read holds everything (hold = COUNT), as the
 * dispatcher holds jobs; an uncounted one has no reservation.  The
 * reservation is created when missing, updated only when its count
 * differs (a rerun changes nothing), and kept at 0 rather than deleted.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "license.h"
#include "slurm.h"

struct sl {
	long long total;	/* slurm.conf's count; -1: not a Slurm license */
	long long held;		/* the reservation's; -1: none */
};

/* "[D-][H:]M:S" (squeue %M) in seconds; -1 if not that */
static long long
elapsed(const char *s)
{
	long long d = 0, v[3] = { 0, 0, 0 };
	int n = 0;
	char *e;

	if (strchr(s, '-')) {
		d = strtoll(s, &e, 10);
		s = e + 1;
	}
	while (n < 3) {
		v[n++] = strtoll(s, &e, 10);
		if (e == s)
			return -1;
		if (*e != ':')
			break;
		s = e + 1;
	}
	if (n == 2)
		return d * 86400 + v[0] * 60 + v[1];
	return n == 3 ? d * 86400 + v[0] * 3600 + v[1] * 60 + v[2] : -1;
}

/* NAME's count in a "a:1,b:2" list (a bare name is 1) */
static long long
count_in(const char *list, const char *name)
{
	size_t nl = strlen(name);
	long long t = 0;

	for (const char *p = list; *p; ) {
		size_t k = strcspn(p, ",");

		if (strncmp(p, name, nl) == 0 && (p[nl] == ':' || p[nl] == ',' ||
		    p[nl] == '\0' || p[nl] == '\n' || p[nl] == '|'))
			t += p[nl] == ':' ? strtoll(p + nl + 1, NULL, 10) : 1;
		p += k;
		if (*p == ',')
			p++;
	}
	return t;
}

/* licenses of NAME held by Slurm's running jobs older than grace */
static long long
checked_out(const char *running, const char *name, long long grace)
{
	long long t = 0;

	for (const char *p = running; p && *p; ) {
		size_t k = strcspn(p, "\n");
		char *line = soca_xstrndup(p, k), *bar = strrchr(line, '|');

		if (bar && elapsed(bar + 1) >= grace) {
			*bar = '\0';
			t += count_in(line, name);
		}
		free(line);
		p += k + (p[k] == '\n');
	}
	return t;
}

static char *
res_name(const char *lic)
{
	return soca_xasprintf("soca-lic-%s", lic);
}

/* Slurm's total for lic (from scontrol show lic -o) and its reservation */
static void
slurm_side(const char *lics, const char *lic, struct sl *s)
{
	char *rn = res_name(lic), *out, *v;
	char *argv[] = { "scontrol", "show", "reservation", rn, "-o", NULL };

	s->total = s->held = -1;
	for (const char *p = lics; p && *p; ) {
		size_t k = strcspn(p, "\n");
		char *line = soca_xstrndup(p, k);

		if ((v = soca_slurm_kv(line, "LicenseName")) != NULL &&
		    strcmp(v, lic) == 0) {
			free(v);
			v = soca_slurm_kv(line, "Total");
			s->total = v ? strtoll(v, NULL, 10) : -1;
		}
		free(v);
		free(line);
		p += k + (p[k] == '\n');
	}
	if ((out = soca_slurm_capture(argv)) != NULL &&
	    (v = soca_slurm_kv(out, "Licenses")) != NULL) {
		s->held = count_in(v, lic);
		free(v);
	}
	free(out);
	free(rn);
}

/* create or update soca-lic-lic to n; 0 or -1 (scontrol said why) */
static int
apply(const char *lic, long long n, bool create)
{
	char *rn = soca_xasprintf("ReservationName=soca-lic-%s", lic);
	char *l = soca_xasprintf("Licenses=%s:%lld", lic, n), *out;
	char *cv[] = { "scontrol", "create", "reservation", rn, l,
	    "Flags=LICENSE_ONLY", "StartTime=now", "Duration=infinite",
	    "Users=root", NULL };
	char *uv[] = { "scontrol", "update", rn, l, NULL };

	out = soca_slurm_capture(create ? cv : uv);
	free(rn);
	free(l);
	if (out == NULL)
		return -1;
	free(out);
	return 0;
}

static long long
grace_of(const struct soca_conf *c, const char *lic)
{
	const char *g = soca_conf_get(c, "license", lic, "checkout_grace");
	long long s = 60;

	if (g)
		soca_parse_duration(g, &s);
	return s;
}

/* hold for a counted license: what is in use outside Slurm, reserved */
static long long
counted(const struct soca_conf *c, const char *lic, const struct soca_lic *l,
    const char *running, long long total, struct soca_buf *b)
{
	long long mine = checked_out(running, lic, grace_of(c, lic)), hold;

	if (mine > l->in_use)
		mine = l->in_use;
	hold = l->in_use - mine + l->reserved;
	if (hold > total)
		hold = total;
	soca_buf_addf(b, "%s: %lld of %lld held back (in use %lld, %lld of "
	    "them by Slurm's jobs; reserved %lld)", lic, hold, total,
	    l->in_use, mine, l->reserved);
	return hold;
}

/* one license: 0, 1 (not in Slurm, counts differ), 3 (unreadable, Slurm) */
static int
one(const struct soca_conf *c, const char *lic, const char *lics,
    const char *running, FILE *out)
{
	struct soca_buf b = { 0 };
	struct soca_lic l;
	struct sl s;
	char *why = NULL;
	long long hold;
	int rc = 0;

	slurm_side(lics, lic, &s);
	if (s.total < 0) {
		warnx("%s: not one of Slurm's licenses: add Licenses=%s:ISSUED "
		    "to slurm.conf (soca-config slurm prints it), then "
		    "scontrol reconfigure", lic, lic);
		return SOCA_EX_FALSE;
	}
	if (soca_license_read(c, lic, &l, &why) < 0) {
		warnx("%s: unreadable: %s", lic, why);
		free(why);
		hold = s.total;
		soca_buf_addf(&b, "%s: unreadable, all %lld held back", lic,
		    hold);
		rc = SOCA_EX_TEMP;
	} else if (l.uncounted) {
		hold = 0;
		soca_buf_addf(&b, "%s: uncounted, nothing held back", lic);
	} else {
		hold = counted(c, lic, &l, running, s.total, &b);
		if (l.issued != s.total) {
			warnx("%s: Slurm counts %lld, FlexLM issues %lld: set "
			    "Licenses=%s:%lld in slurm.conf, then scontrol "
			    "reconfigure", lic, s.total, l.issued, lic,
			    l.issued);
			rc = SOCA_EX_FALSE;
		}
	}
	if (s.held == hold || (s.held < 0 && hold == 0))
		soca_buf_adds(&b, ": unchanged");
	else if (apply(lic, hold, s.held < 0) != 0) {
		warnx("%s: scontrol could not %s reservation soca-lic-%s", lic,
		    s.held < 0 ? "create" : "update", lic);
		soca_buf_adds(&b, ": not applied");
		rc = SOCA_EX_TEMP;
	} else if (s.held < 0)
		soca_buf_addf(&b, ": reservation soca-lic-%s created", lic);
	else
		soca_buf_addf(&b, ": reservation soca-lic-%s updated (was "
		    "%lld)", lic, s.held);
	fprintf(out, "%s\n", b.s);
	soca_buf_free(&b);
	return rc;
}

/*
 * soca-license --slurm: each license of names (all [license] sections
 * when n is 0) given to Slurm.  Exit: 0, 1 (a license not in Slurm or
 * counted differently), 3 (one unreadable, or Slurm unreachable).
 */
int
soca_license_slurm(const struct soca_conf *c, char **names, size_t n,
    FILE *out)
{
	char *lv[] = { "scontrol", "show", "licenses", "-o", NULL };
	char *qv[] = { "squeue", "-h", "-t", "running", "-o", "%W|%M", NULL };
	char *lics = soca_slurm_capture(lv), *running;
	int rc = SOCA_EX_OK;

	if (lics == NULL) {
		warnx("scontrol show licenses failed: is slurmctld up?");
		return SOCA_EX_TEMP;
	}
	if ((running = soca_slurm_capture(qv)) == NULL) {
		warnx("squeue failed: is slurmctld up?");
		free(lics);
		return SOCA_EX_TEMP;
	}
	for (size_t i = 0; i < n; i++) {
		int r = one(c, names[i], lics, running, out);

		if (r > rc)
			rc = r;
	}
	free(lics);
	free(running);
	return rc;
}
