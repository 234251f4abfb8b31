/*
 * jobopt.c: qsub's options, as PBS Professional defines them, applied to
 * a job; soca-submit's command line and the #PBS lines of a script both
 * come here, so both take and refuse exactly the same things.  The
 * command line wins: a directive whose option the command line set
 * (seen) is skipped, except -l and -v, which add what is not set yet.
 * An option soca does not do is refused by name, never ignored.  Every
 * refusal is one allocated message: the value, the rule, the fix.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "job.h"

extern char **environ;

/* qsub options soca does not do, and what each is */
static const struct { char opt; const char *what; } refused[] = {
	{ 'c', "checkpointing" }, { 'C', "another directive prefix" },
	{ 'f', "qsub in the foreground" }, { 'G', "GUI interactive jobs" },
	{ 'R', "removing output files" },
	{ 'u', "running as another user" }, { 'X', "X11 forwarding" },
	{ 'z', "not printing the job id" },
};

static char *
refuse(int opt, const char *pre)
{
	if (opt == 'I')
		return soca_xasprintf("%sI: interactive jobs are not supported; "
		    "put the commands in a script and submit that (its output "
		    "lands in NAME.oID)", pre);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (refused[i].opt == opt)
			return soca_xasprintf("%s%c (%s): not supported by "
			    "soca-submit; remove it", pre, opt,
			    refused[i].what);
	return soca_xasprintf("%s%c: not a qsub option soca knows (see "
	    "soca-submit(1)); remove it", pre, opt);
}

/* "VAR" or "VAR=value" items; a bare VAR takes this environment's value */
static char *
add_vars(struct soca_job *j, const char *spec)
{
	char **v, *why = NULL;
	size_t n;

	if (soca_split_list(spec, &v, &n) != 0)
		return soca_xasprintf("-v \"%s\": an empty item (write -v "
		    "VAR=value[,VAR2=value])", spec);
	for (size_t i = 0; i < n && why == NULL; i++) {
		size_t k = strcspn(v[i], "=");
		bool ok = k > 0 && !isdigit((unsigned char)v[i][0]);

		for (size_t c = 0; c < k; c++)
			ok = ok && (isalnum((unsigned char)v[i][c]) ||
			    v[i][c] == '_');
		if (!ok)
			why = soca_xasprintf("-v \"%s\": \"%.*s\" is not a "
			    "variable name (letters, digits, _)", spec, (int)k,
			    v[i]);
		else if (v[i][k] == '=')
			soca_job_add_env(j, v[i]);
		else if (getenv(v[i]) != NULL) {
			char *kv = soca_xasprintf("%s=%s", v[i], getenv(v[i]));
			soca_job_add_env(j, kv);
			free(kv);
		}
	}
	soca_strv_free(v, n);
	return why;
}

/*
 * -V: the whole environment of qsub, as PBS does, but for what the
 * runner sets for the job itself (its identity, PBS_* and SOCA_*) and
 * names -v set already.
 */
static void
all_vars(struct soca_job *j)
{
	static const char *const own[] = { "HOME=", "USER=", "LOGNAME=",
	    "SHELL=", "TMPDIR=", "PWD=", "OLDPWD=", "SHLVL=", "_=", "PBS_",
	    "SOCA_", "NCPUS=", "OMP_NUM_THREADS=" };
	size_t i, k;

	for (char **e = environ; *e; e++) {
		for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
			if (strncmp(*e, own[i], strlen(own[i])) == 0)
				break;
		k = strcspn(*e, "=");
		if (i < sizeof(own) / sizeof(own[0]) || k == 0 || !(*e)[k])
			continue;
		for (i = 0; i < j->nenv; i++)
			if (strncmp(j->env[i], *e, k + 1) == 0)
				break;
		if (i == j->nenv)
			soca_job_add_env(j, *e);
	}
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int
two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * [[[[CC]YY]MM]DD]hhmm[.SS] in local time.  A date left out is the
 * next one at which the time comes (PBS): 0900 given at 10:00 is
 * tomorrow's; a time given in full and past means now.
 */
char *
soca_job_begin(const char *spec, long long now, long long *when)
{
	size_t n = strcspn(spec, "."), dn;
	const char *sec = spec[n] ? spec + n + 1 : NULL;
	time_t t = (time_t)now;
	struct tm tm, want;
	const char *p = spec;
	int left;

	if (n < 4 || n > 12 || n % 2 || !digits(spec, n) ||
	    (sec && (strlen(sec) != 2 || !digits(sec, 2))))
		goto bad;
	localtime_r(&t, &tm);
	dn = n - 4;
	left = (int)dn / 2;	/* date fields given: 0 hhmm .. 4 CCYY */
	if (dn == 8)
		tm.tm_year = two(p) * 100 + two(p + 2) - 1900, p += 4;
	else if (dn == 6)
		tm.tm_year = (tm.tm_year + 1900) / 100 * 100 + two(p) - 1900,
		    p += 2;
	if (dn >= 4)
		tm.tm_mon = two(p) - 1, p += 2;
	if (dn >= 2)
		tm.tm_mday = two(p), p += 2;
	tm.tm_hour = two(p);
	tm.tm_min = two(p + 2);
	tm.tm_sec = sec ? two(sec) : 0;
	tm.tm_isdst = -1;
	want = tm;
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 ||
	    (t = mktime(&tm)) == -1)
		goto bad;
	/* the next day, month or year at which it comes, and exists */
	for (int i = 0; left < 3 && i < 100 && (t < now || (left > 0 &&
	    tm.tm_mday != want.tm_mday)); i++) {
		want.tm_mday += left == 0;
		want.tm_mon += left == 1;
		want.tm_year += left == 2;
		tm = want;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == -1)
			goto bad;
	}
	if (left > 0 && tm.tm_mday != want.tm_mday)
		goto bad;	/* no such date: 0230, 20270229 */
	*when = t < now ? now : t;
	return NULL;
bad:
	return soca_xasprintf("-a \"%s\": not a date and time (write "
	    "[[[[CC]YY]MM]DD]hhmm[.SS], e.g. -a 1830 or -a 202612241830.00)",
	    spec);
}

/* the option's prefix without its dash: "" or "#PBS " */
static const char *
directive_pre(const char *pre)
{
	return pre[0] == '#' ? "#PBS " : "";
}

/* "oe": each letter of set at most once; "n" alone */
static bool
letters(const char *s, const char *set)
{
	if (strcmp(s, "n") == 0)
		return true;
	if (*s == '\0')
		return false;
	for (const char *p = s; *p; p++)
		if (strchr(set, *p) == NULL || strchr(p + 1, *p) != NULL)
			return false;
	return true;
}

/* the -l of a directive: only what the command line did not set */
static char *
merge_res(struct soca_job *j, const char *arg)
{
	struct soca_job tmp = { 0 };
	char *why = soca_job_resources(&tmp, arg);
	bool jsel = soca_job_res(j, "select") != NULL;
	bool tsel = soca_job_res(&tmp, "select") != NULL;

	for (size_t i = 0; why == NULL && i < tmp.nres; i++) {
		char *eq = strchr(tmp.res[i], '=');
		char *k = soca_xstrndup(tmp.res[i], (size_t)(eq - tmp.res[i]));
		bool owned = soca_select_owns(k) || strcmp(k, "select") == 0;

		/* a select and what it owns go together, or not at all */
		if (owned && tsel && !jsel && strcmp(k, "select") == 0)
			why = soca_job_resources(j, tmp.res[i]);
		else if (owned && (jsel || tsel))
			;
		else if (soca_job_res(j, k) == NULL)
			soca_job_set_res(j, k, eq + 1);
		free(k);
	}
	soca_job_free(&tmp);
	return why;
}

static void
setstr(char **dst, const char *v)
{
	free(*dst);
	*dst = soca_xstrdup(v);
}

/* -J X-Y[:Z][%M]: kept as written once its form is right (array.c) */
static char *
array(struct soca_job *j, const char *arg, const char *pre)
{
	struct soca_range r;
	char *why = soca_range_parse(arg, &r), *m;

	if (why == NULL) {
		setstr(&j->array, arg);
		return NULL;
	}
	m = soca_xasprintf("%s%s", directive_pre(pre), why);
	free(why);
	return m;
}

static char *
flags(struct soca_job *j, int opt, const char *arg, const char *pre)
{
	long long n;

	switch (opt) {
	case 'j':
		if (strcmp(arg, "oe") != 0 && strcmp(arg, "n") != 0)
			break;
		j->join = strcmp(arg, "oe") == 0;
		return NULL;
	case 'k':
		if (!letters(arg, "oed"))
			break;
		setstr(&j->keep, arg);
		return NULL;
	case 'm':
		if (!letters(arg, "abe"))
			break;
		setstr(&j->mailpoints, arg);
		return NULL;
	case 'p':
		if (soca_parse_int(arg, -1024, 1023, &n) != 0)
			break;
		j->priority = (int)n;
		return NULL;
	case 'r':
		if (strcmp(arg, "y") != 0 && strcmp(arg, "n") != 0)
			break;
		j->rerun = arg[0] == 'y';
		return NULL;
	}
	return soca_xasprintf("%s%c \"%s\": %s", pre, opt, arg,
	    opt == 'j' ? "write -j oe (join stderr to stdout) or -j n" :
	    opt == 'k' ? "write -k o, e, oe (keep output files) or -k n" :
	    opt == 'm' ? "write -m with any of a (abort), b (begin), e (end), "
	    "or -m n (no mail)" :
	    opt == 'p' ? "the priority is a whole number from -1024 to 1023 "
	    "(higher goes first), e.g. -p 10" : "write -r y or -r n");
}

static char *
strings(struct soca_job *j, int opt, const char *arg, const char *pre)
{
	switch (opt) {
	case 'e': setstr(&j->err, arg); return NULL;
	case 'N': setstr(&j->name, arg); return NULL;
	case 'o': setstr(&j->out, arg); return NULL;
	case 'P': setstr(&j->project, arg); return NULL;
	case 'q': setstr(&j->queue, arg); return NULL;
	case 'M':
		setstr(&j->mailto, arg);
		return soca_mail_users_check(arg);	/* refused: not stored */
	case 'S':
		if (arg[0] != '/' || strpbrk(arg, "@, \t\n") != NULL)
			return soca_xasprintf("%sS \"%s\": the interpreter is "
			    "one absolute path (e.g. -S /bin/bash)", pre, arg);
		setstr(&j->shell, arg);
		return NULL;
	case 'W':
		if (strncmp(arg, "depend=", 7) != 0)
			return soca_xasprintf("%sW \"%s\": only -W depend=... "
			    "is supported (e.g. -W depend=afterok:42)", pre,
			    arg);
		return soca_job_depend(j, arg);
	}
	return flags(j, opt, arg, pre);
}

char *
soca_job_option(struct soca_job *j, int opt, const char *arg,
    unsigned long long *seen, bool directive)
{
	const char *pre = directive ? "#PBS -" : "-";
	unsigned long long bit;

	if (!isalpha(opt) || strchr("AaehJjklmMNopPqrSvVW", opt) == NULL)
		return refuse(opt, pre);
	bit = SOCA_SEEN(opt);
	if (strchr("AaeMJjklmNopPqrSvW", opt) && *arg == '\0')
		return soca_xasprintf("%s%c needs a value (see soca-submit(1))",
		    pre, opt);
	if (opt == 'l')
		return directive ? merge_res(j, arg) :
		    soca_job_resources(j, arg);
	if (opt == 'v')
		return add_vars(j, arg);
	if (directive && (*seen & bit))
		return NULL;
	*seen |= bit;
	switch (opt) {
	case 'A':
		if (!(*seen & SOCA_SEEN('P')))
			setstr(&j->project, arg);
		return NULL;
	case 'a':
		return soca_job_begin(arg, time(NULL), &j->eligible);
	case 'h':
		setstr(&j->holder, "");
		return NULL;
	case 'J':
		return array(j, arg, pre);
	case 'V':
		all_vars(j);
		return NULL;
	}
	return strings(j, opt, arg, pre);
}
