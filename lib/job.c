/*
 * job.c: the job model.  A job record is a few `key=value` lines (values
 * escaped so one never spans lines), small enough that soca-stat reads
 * 100,000 of them quickly.  Resources given with -l or #PBS -l are
 * checked against the schema of queue keys (conf_schema.c) and merged
 * with the queue's defaults at submission, so a later edit of soca.conf
 * does not change a job already queued.  Every refusal is one message
 * naming the value, the rule and the fix.
 *
 * The spool ends a record with one more line, the job's script
 * (soca_job_script_at), which parsing stops before.
 */
#include "config.h"

#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

static const char *const depnames[] = {
	"afterok", "afternotok", "afterany", "after",
};

static const char *const states[SOCA_NSTATES] = {
	"queued", "provisioning", "running", "done", "failed", "cancelled",
};

const char *
soca_state_name(enum soca_state s)
{
	return s < SOCA_NSTATES ? states[s] : "?";
}

/* The state shown: an array that began is "begun" (PBS's B) till it ends. */
const char *
soca_job_state(const struct soca_job *j)
{
	if (j->array && j->state == SOCA_QUEUED && j->start > 0)
		return "begun";
	return soca_state_name(j->state);
}

int
soca_state_parse(const char *s)
{
	for (int i = 0; i < SOCA_NSTATES; i++)
		if (strcmp(s, states[i]) == 0)
			return i;
	return -1;
}

void
soca_job_free(struct soca_job *j)
{
	free(j->user);
	free(j->queue);
	free(j->project);
	free(j->name);
	free(j->reason);
	free(j->workdir);
	free(j->out);
	free(j->err);
	free(j->host);
	soca_strv_free(j->res, j->nres);
	soca_strv_free(j->env, j->nenv);
	free(j->deps);
	free(j->dkind);
	free(j->holder);
	free(j->mailpoints);
	free(j->mailto);
	free(j->keep);
	free(j->shell);
	free(j->estimate);
	free(j->stop);
	free(j->array);
	memset(j, 0, sizeof(*j));
}

static void
put(struct soca_buf *b, const char *k, const char *v)
{
	if (v == NULL)
		return;
	soca_buf_adds(b, k);
	soca_buf_addc(b, '=');
	for (; *v; v++)
		if (*v == '\\')
			soca_buf_adds(b, "\\\\");
		else if (*v == '\n')
			soca_buf_adds(b, "\\n");
		else
			soca_buf_addc(b, *v);
	soca_buf_addc(b, '\n');
}

static void
putn(struct soca_buf *b, const char *k, long long v)
{
	soca_buf_addf(b, "%s=%lld\n", k, v);
}

static void
putclock(struct soca_buf *b, const char *k, long long s)
{
	soca_buf_addf(b, "%s=%02lld:%02lld:%02lld\n", k, s / 3600,
	    s / 60 % 60, s % 60);
}

/* What the job used, in PBS's names and forms (qstat -f). */
static void
put_used(struct soca_buf *b, const struct soca_job *j)
{
	putclock(b, "resources_used.cput", j->cput);
	soca_buf_addf(b, "resources_used.mem=%lldkb\n", j->mem);
	putn(b, "resources_used.ncpus", j->ncpus);
	putclock(b, "resources_used.walltime", j->wall);
}

/* "HH:MM:SS" (as put_used writes it) in seconds */
static long long
clock_secs(const char *v)
{
	long long h = 0, m = 0, s = 0;

	if (sscanf(v, "%lld:%lld:%lld", &h, &m, &s) != 3)
		return 0;
	return h * 3600 + m * 60 + s;
}

void
soca_job_format(const struct soca_job *j, struct soca_buf *b)
{
	putn(b, "id", j->id);
	put(b, "state", soca_state_name(j->state));
	putn(b, "uid", j->uid);
	putn(b, "gid", j->gid);
	put(b, "user", j->user);
	put(b, "queue", j->queue);
	put(b, "project", j->project);
	put(b, "name", j->name);
	put(b, "reason", j->reason);
	put(b, "workdir", j->workdir);
	put(b, "out", j->out);
	put(b, "err", j->err);
	put(b, "host", j->host);
	if (j->join)
		putn(b, "join", 1);
	if (j->rerun)
		putn(b, "rerun", 1);
	putn(b, "submit", j->submit);
	if (j->start)
		putn(b, "start", j->start);
	if (j->end)
		putn(b, "end", j->end);
	if (j->exit >= 0)
		putn(b, "exit", j->exit);
	if (j->runner)
		putn(b, "runner", j->runner);
	if (j->pgid)
		putn(b, "pgid", j->pgid);
	for (size_t i = 0; i < j->ndeps; i++)
		putn(b, soca_dep_name(j->dkind[i]), j->deps[i]);
	put(b, "hold", j->holder);
	if (j->holder)
		putn(b, "holduid", j->holduid);
	if (j->eligible)
		putn(b, "eligible", j->eligible);
	if (j->priority)
		putn(b, "priority", j->priority);
	put(b, "mail_points", j->mailpoints);
	put(b, "mail_users", j->mailto);
	put(b, "keep", j->keep);
	put(b, "shell", j->shell);
	put(b, "estimate", j->estimate);
	put(b, "stop", j->stop);
	put(b, "array", j->array);
	if (j->array)
		putn(b, "array_next", j->anext);
	if (j->aparent) {
		putn(b, "array_id", j->aparent);
		putn(b, "array_index", j->aidx);
	}
	if (j->used)
		put_used(b, j);
	for (size_t i = 0; i < j->nres; i++)
		put(b, "res", j->res[i]);
	for (size_t i = 0; i < j->nenv; i++)
		put(b, "env", j->env[i]);
}

static char *
unesc(const char *s, size_t n)
{
	char *o = soca_xmalloc(n + 1), *p = o;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			*p++ = s[i] == 'n' ? '\n' : s[i];
		} else
			*p++ = s[i];
	}
	*p = '\0';
	return o;
}

static void
push(char ***v, size_t *n, char *s)
{
	*v = soca_xreallocarray(*v, *n + 2, sizeof(**v));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static void
setstr(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

/* strtoll(v, NULL, 10) without its cost for what records hold: up to 18
 * digits, maybe a minus; anything else goes to strtoll. */
static long long
num(const char *v)
{
	const char *p = v + (*v == '-');
	long long x = 0;
	int d = 0;

	for (; *p >= '0' && *p <= '9' && d < 18; p++, d++)
		x = x * 10 + (*p - '0');
	if ((d == 18 && *p >= '0' && *p <= '9') || (d == 0 && *v != '-' &&
	    (isspace((unsigned char)*v) || *v == '+')))
		return strtoll(v, NULL, 10);
	return *v == '-' ? -x : x;
}

static int
field(struct soca_job *j, const char *k, size_t kl, char *v)
{
	long long n = num(v);
	int st;

#define K(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
	if (K("id"))
		j->id = n;
	else if (K("state")) {
		if ((st = soca_state_parse(v)) < 0)
			return free(v), -1;
		j->state = st;
	} else if (K("uid"))
		j->uid = (uid_t)n;
	else if (K("gid"))
		j->gid = (gid_t)n;
	else if (K("user"))
		return setstr(&j->user, v), 0;
	else if (K("queue"))
		return setstr(&j->queue, v), 0;
	else if (K("project"))
		return setstr(&j->project, v), 0;
	else if (K("name"))
		return setstr(&j->name, v), 0;
	else if (K("reason"))
		return setstr(&j->reason, v), 0;
	else if (K("workdir"))
		return setstr(&j->workdir, v), 0;
	else if (K("out"))
		return setstr(&j->out, v), 0;
	else if (K("err"))
		return setstr(&j->err, v), 0;
	else if (K("host"))
		return setstr(&j->host, v), 0;
	else if (K("res"))
		return push(&j->res, &j->nres, v), 0;
	else if (K("env"))
		return push(&j->env, &j->nenv, v), 0;
	else if (K("join"))
		j->join = n != 0;
	else if (K("rerun"))
		j->rerun = n != 0;
	else if (K("submit"))
		j->submit = n;
	else if (K("start"))
		j->start = n;
	else if (K("end"))
		j->end = n;
	else if (K("exit"))
		j->exit = (int)n;
	else if (K("runner"))
		j->runner = (pid_t)n;
	else if (K("pgid"))
		j->pgid = (pid_t)n;
	else if (K("hold"))
		return setstr(&j->holder, v), 0;
	else if (K("holduid"))
		j->holduid = (uid_t)n;
	else if (K("eligible"))
		j->eligible = n;
	else if (K("priority"))
		j->priority = (int)n;
	else if (K("mail_points"))
		return setstr(&j->mailpoints, v), 0;
	else if (K("mail_users"))
		return setstr(&j->mailto, v), 0;
	else if (K("keep"))
		return setstr(&j->keep, v), 0;
	else if (K("shell"))
		return setstr(&j->shell, v), 0;
	else if (K("estimate"))
		return setstr(&j->estimate, v), 0;
	else if (K("stop"))
		return setstr(&j->stop, v), 0;
	else if (K("array"))
		return setstr(&j->array, v), 0;
	else if (K("array_next"))
		j->anext = n;
	else if (K("array_id"))
		j->aparent = n;
	else if (K("array_index"))
		j->aidx = n;
	else if (K("resources_used.cput"))
		j->used = true, j->cput = clock_secs(v);
	else if (K("resources_used.walltime"))
		j->wall = clock_secs(v);
	else if (K("resources_used.mem"))
		j->mem = n;
	else if (K("resources_used.ncpus"))
		j->ncpus = n;
	else
		for (int d = SOCA_AFTEROK; d <= SOCA_AFTER; d++)
			if (kl == strlen(depnames[d]) &&
			    memcmp(k, depnames[d], kl) == 0)
				soca_job_add_dep(j, d, n);
#undef K
	free(v);
	return 0;
}

/* Parse a record; unknown keys are skipped (newer writers). */
int
soca_job_parse(const char *s, size_t len, struct soca_job *j)
{
	const char *end = s + soca_job_script_at(s, len);

	memset(j, 0, sizeof(*j));
	j->exit = -1;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eq;

		if (nl == NULL)
			nl = end;
		eq = memchr(s, '=', (size_t)(nl - s));
		if (eq != NULL && field(j, s, (size_t)(eq - s),
		    unesc(eq + 1, (size_t)(nl - eq - 1))) < 0)
			break;
		s = nl + 1;
	}
	if (s >= end && j->id > 0 && j->user != NULL && j->queue != NULL)
		return 0;
	soca_job_free(j);	/* nothing half-parsed survives a failure */
	return -1;
}

static ssize_t
res_index(const struct soca_job *j, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < j->nres; i++)
		if (strncmp(j->res[i], key, kl) == 0 && j->res[i][kl] == '=')
			return (ssize_t)i;
	return -1;
}

const char *
soca_job_res(const struct soca_job *j, const char *key)
{
	ssize_t i = res_index(j, key);

	return i < 0 ? NULL : strchr(j->res[i], '=') + 1;
}

long long
soca_job_res_int(const struct soca_job *j, const char *key, long long def)
{
	const char *v = soca_job_res(j, key);
	long long n;

	if (v == NULL || soca_parse_int(v, LLONG_MIN, LLONG_MAX, &n) != 0)
		return def;
	return n;
}

void
soca_job_set_res(struct soca_job *j, const char *key, const char *val)
{
	ssize_t i = res_index(j, key);
	char *kv = soca_xasprintf("%s=%s", key, val);

	if (i >= 0)
		setstr(&j->res[i], kv);
	else
		push(&j->res, &j->nres, kv);
}

void
soca_job_del_res(struct soca_job *j, const char *key)
{
	ssize_t i = res_index(j, key);

	if (i < 0)
		return;
	free(j->res[i]);
	memmove(&j->res[i], &j->res[i + 1], (j->nres - (size_t)i) *
	    sizeof(*j->res));	/* the NULL at the end comes along */
	j->nres--;
}

/* VAR=value; a later value of VAR replaces the earlier one */
void
soca_job_add_env(struct soca_job *j, const char *kv)
{
	size_t kl = strcspn(kv, "=") + 1;

	for (size_t i = 0; i < j->nenv; i++)
		if (strncmp(j->env[i], kv, kl) == 0) {
			setstr(&j->env[i], soca_xstrdup(kv));
			return;
		}
	push(&j->env, &j->nenv, soca_xstrdup(kv));
}

/* PBS's job-wide mem=SIZE (one chunk's), as a select chunk takes it */
static char *
job_mem(struct soca_job *j, const char *val)
{
	unsigned long long b;
	char sz[32];

	if (soca_parse_size(val, &b) != 0 || b == 0 || b > LLONG_MAX)
		return soca_xasprintf("resource mem: bad value \"%s\": not a "
		    "size (a whole number with b, kb, mb, gb or tb; fix: -l "
		    "mem=4gb)", val);
	soca_job_set_res(j, "mem", soca_size_str((long long)b, sz));
	return NULL;
}

/*
 * select= replaces one select by another (soca-alter), but not -l of a
 * resource a select owns given beside it, before it or after it.
 */
static char *
select_place(struct soca_job *j, const char *key, const char *val)
{
	if (strcmp(key, "place") == 0)
		return soca_job_place(j, val);
	if (soca_job_res(j, "select") == NULL)
		for (size_t i = 0; i < j->nres; i++) {
			size_t kl = strcspn(j->res[i], "=");
			char *k = soca_xstrndup(j->res[i], kl), *why = NULL;

			if (soca_select_owns(k))
				why = soca_xasprintf("resource select=%s "
				    "beside %s: a select sets %s for each "
				    "chunk; put it in the chunks (e.g. "
				    "select=N:%s) or drop one of them", val,
				    j->res[i], k, j->res[i]);
			free(k);
			if (why)
				return why;
		}
	return soca_job_select(j, val);
}

/*
 * "-l a=1,b=x+y": a piece without '=' continues the previous value, so
 * list values such as security_groups=sg-1,sg-2 work too.  Unknown keys
 * and bad values are refused here; queue rules come in validate().
 */
static char *
set_checked(struct soca_job *j, const char *key, const char *val)
{
	const struct soca_section_schema *qs = soca_schema_section("queue");
	const char *sel = soca_job_res(j, "select");
	char *bad, *why = NULL;

	if (strcmp(key, "select") == 0 || strcmp(key, "place") == 0)
		return select_place(j, key, val);
	if (sel != NULL && soca_select_owns(key))
		return soca_xasprintf("resource %s=%s beside select=%s: a "
		    "select sets %s for each chunk; put it in the chunks "
		    "(e.g. select=N:%s=%s) or drop one of them", key, val, sel,
		    key, key, val);
	if (strcmp(key, "mem") == 0)
		return job_mem(j, val);
	if (!soca_is_resource(key)) {
		long long n;

		/* NAME=N may be a [license "NAME"]: validation decides */
		if (soca_name_ok(key) && soca_parse_int(val, 1, 1000000,
		    &n) == 0) {
			soca_job_set_res(j, key, val);
			return NULL;
		}
		return soca_xasprintf("unknown resource \"%s\" (see "
		    "soca.conf(5) for resource names, e.g. nodes, "
		    "instance_type, ncpus)", key);
	}
	if ((bad = soca_key_check(soca_schema_key(qs, key), val)) != NULL)
		why = soca_xasprintf("resource %s: bad value \"%s\": %s (fix: "
		    "-l %s=VALUE)", key, val, bad, key);
	else
		soca_job_set_res(j, key, val);
	free(bad);
	return why;
}

char *
soca_job_resources(struct soca_job *j, const char *spec)
{
	char **items, *why = NULL, *key = NULL;
	size_t n;
	struct soca_buf v = { 0 };

	if (soca_split_list(spec, &items, &n) != 0)
		return soca_xasprintf("resource list \"%s\" has an empty item "
		    "(write -l key=value[,key=value...])", spec);
	for (size_t i = 0; i <= n && why == NULL; i++) {
		char *eq = i < n ? strchr(items[i], '=') : NULL;

		if (i < n && eq == NULL && key != NULL) {
			soca_buf_addf(&v, ",%s", items[i]);
			continue;
		}
		if (key != NULL && (why = set_checked(j, key, v.s)) != NULL)
			break;
		free(key);
		key = NULL;
		if (i == n)
			break;
		if (eq == NULL || eq == items[i] || eq[1] == '\0') {
			why = soca_xasprintf("resource \"%s\" is not key=value "
			    "(write -l key=value, e.g. -l nodes=2)", items[i]);
			break;
		}
		key = soca_xstrndup(items[i], (size_t)(eq - items[i]));
		soca_buf_reset(&v);
		soca_buf_adds(&v, eq + 1);
	}
	free(key);
	soca_buf_free(&v);
	soca_strv_free(items, n);
	return why;
}

const char *
soca_dep_name(enum soca_dep d)
{
	return d <= SOCA_AFTER ? depnames[d] : "?";
}

void
soca_job_add_dep(struct soca_job *j, enum soca_dep d, long long id)
{
	j->deps = soca_xreallocarray(j->deps, j->ndeps + 1, sizeof(*j->deps));
	j->dkind = soca_xreallocarray(j->dkind, j->ndeps + 1, 1);
	j->deps[j->ndeps] = id;
	j->dkind[j->ndeps++] = (unsigned char)d;
}

/*
 * A job id as PBS prints them too: "42" or "42.server", an array "42[]"
 * or "42[].server", one of its subjobs "42[7]" or "42[7].server".  0 for
 * a job or an array (*idx -1), 1 for a subjob, -1 for no id.
 */
int
soca_job_ref(const char *s, long long *id, long long *idx)
{
	size_t n = strcspn(s, ".["), e;
	char *num;
	int r;

	*idx = -1;
	e = n;
	if (s[n] == '[') {
		e = n + 1 + strcspn(s + n + 1, "]");
		if (s[e] != ']')
			return -1;
		if (e > n + 1) {
			num = soca_xstrndup(s + n + 1, e - n - 1);
			r = soca_parse_int(num, 0, LLONG_MAX, idx);
			free(num);
			if (r != 0)
				return -1;
		}
		e++;
	}
	if ((s[e] != '.' && s[e] != '\0') || (s[e] == '.' &&
	    s[e + 1] == '\0'))
		return -1;
	num = soca_xstrndup(s, n);
	r = soca_parse_int(num, 1, LLONG_MAX, id);
	free(num);
	return r != 0 ? -1 : *idx >= 0;
}

/* A job or an array by id ("42", "42[]", "42.server"); not a subjob. */
int
soca_job_id(const char *s, long long *id)
{
	long long idx;

	return soca_job_ref(s, id, &idx) == 0 ? 0 : -1;
}

/* The id as users write it: 42, 42[] (an array), 42[7] (a subjob). */
void
soca_job_idstr(const struct soca_job *j, char *b, size_t n)
{
	if (j->aparent)
		snprintf(b, n, "%lld[%lld]", j->aparent, j->aidx);
	else if (j->array)
		snprintf(b, n, "%lld[]", j->id);
	else
		snprintf(b, n, "%lld", j->id);
}

static int
dep_kind(const char *s, size_t n)
{
	for (int d = SOCA_AFTEROK; d <= SOCA_AFTER; d++)
		if (strlen(depnames[d]) == n && strncmp(s, depnames[d], n) == 0)
			return d;
	return -1;
}

/* "afterok:1:2": one kind and its ids, into j */
static char *
dep_one(struct soca_job *j, const char *spec, const char *item)
{
	size_t kl = strcspn(item, ":");
	int kind = dep_kind(item, kl);
	char *copy, *tok, *save, *why = NULL;
	long long id, idx;
	size_t before = j->ndeps;
	int r;

	if (kind < 0)
		return soca_xasprintf("dependency \"%.*s\" in \"%s\" is not "
		    "supported (kinds: after, afterok, afternotok, afterany; "
		    "write -W depend=afterok:ID[:ID...])", (int)kl, item, spec);
	copy = soca_xstrdup(item + kl);
	for (tok = strtok_r(copy, ":", &save); tok && why == NULL;
	    tok = strtok_r(NULL, ":", &save))
		if ((r = soca_job_ref(tok, &id, &idx)) == 1)
			why = soca_xasprintf("dependency \"%s\": \"%s\" is a "
			    "subjob; a job waits for a whole array (write "
			    "%s:%lld[])", spec, tok, depnames[kind], id);
		else if (r != 0)
			why = soca_xasprintf("dependency \"%s\": \"%s\" is not "
			    "a job id (write %s:ID[:ID...], e.g. %s:42, or an "
			    "array, %s:42[])", spec, tok, depnames[kind],
			    depnames[kind], depnames[kind]);
		else
			soca_job_add_dep(j, kind, id);
	free(copy);
	if (why == NULL && j->ndeps == before)
		why = soca_xasprintf("dependency \"%s\" names no job (write "
		    "-W depend=%s:ID)", spec, depnames[kind]);
	return why;
}

/* "depend=afterok:1:2,afterany:3", replacing what the job had */
char *
soca_job_depend(struct soca_job *j, const char *spec)
{
	const char *p = spec;
	char **items, *why = NULL;
	size_t n;

	if (strncmp(p, "depend=", 7) == 0)
		p += 7;
	j->ndeps = 0;
	if (soca_split_list(p, &items, &n) != 0 || n == 0)
		return soca_xasprintf("dependency \"%s\" has an empty item "
		    "(write -W depend=afterok:ID[:ID...][,afterany:ID...])",
		    spec);
	for (size_t i = 0; i < n && why == NULL; i++)
		why = dep_one(j, spec, items[i]);
	soca_strv_free(items, n);
	return why;
}

/* Why the job may not start yet by its own record: held, or -a. */
char *
soca_job_waits(const struct soca_job *j, long long now)
{
	time_t t = (time_t)j->eligible;
	struct tm tm;
	char when[64];

	if (j->holder != NULL)
		return soca_xasprintf("held by %s", j->holder);
	if (j->eligible <= now)
		return NULL;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
	return soca_xasprintf("not before %s (-a)", when);
}

/* -o/-e of a subjob: PBS's ^array_index^ becomes its index */
static char *
subst_index(const struct soca_job *j, const char *p)
{
	static const char tag[] = "^array_index^";
	struct soca_buf b = { 0 };
	const char *t;

	while (j->aparent && (t = strstr(p, tag)) != NULL) {
		soca_buf_add(&b, p, (size_t)(t - p));
		soca_buf_addf(&b, "%lld", j->aidx);
		p = t + sizeof(tag) - 1;
	}
	soca_buf_adds(&b, p);
	return soca_buf_steal(&b);
}

/* NAME.oID, a subjob's NAME.oID.INDEX (PBS), or -o/-e's path */
char *
soca_job_outpath(const struct soca_job *j, bool err)
{
	const char *p = err ? j->err : j->out;
	char *s, *r;

	if (err && j->join)
		p = j->out;
	if (p != NULL) {
		s = subst_index(j, p);
		if (s[0] == '/')
			return s;
		r = soca_xasprintf("%s/%s", j->workdir, s);
		free(s);
		return r;
	}
	if (j->aparent)
		return soca_xasprintf("%s/%s.%c%lld.%lld", j->workdir, j->name,
		    err && !j->join ? 'e' : 'o', j->aparent, j->aidx);
	return soca_xasprintf("%s/%s.%c%lld", j->workdir, j->name,
	    err && !j->join ? 'e' : 'o', j->id);
}

/* Each key=value line of a formatted record, its value unescaped. */
void
soca_job_fields(const char *s, size_t len, soca_field_fn fn, void *arg)
{
	const char *end = s + len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eq;

		if (nl == NULL)
			nl = end;
		if ((eq = memchr(s, '=', (size_t)(nl - s))) != NULL) {
			char *k = soca_xstrndup(s, (size_t)(eq - s));
			char *v = unesc(eq + 1, (size_t)(nl - eq - 1));

			fn(k, v, arg);
			free(k);
			free(v);
		}
		s = nl + 1;
	}
}

/*
 * The script line.  A record written since the spool kept scripts in
 * their records ends with "script=", the job script escaped like any
 * value, so a reader that does not know the key skips it and the record
 * stays one line a field.  Its offset, or len when there is none.
 */
size_t
soca_job_script_at(const char *s, size_t len)
{
	const char *end = s + len, *p;

	if (len > 0 && end[-1] == '\n')
		end--;
	p = memrchr(s, '\n', (size_t)(end - s));
	p = p ? p + 1 : s;
	if ((size_t)(end - p) >= 7 && memcmp(p, "script=", 7) == 0)
		return (size_t)(p - s);
	return len;
}

/* Append the script line (last, after soca_job_format's). */
void
soca_job_format_script(struct soca_buf *b, const char *s, size_t len)
{
	const char *end = s + len, *run = s;

	soca_buf_adds(b, "script=");
	for (; s < end; s++)
		if (*s == '\\' || *s == '\n') {
			soca_buf_add(b, run, (size_t)(s - run));
			soca_buf_adds(b, *s == '\\' ? "\\\\" : "\\n");
			run = s + 1;
		}
	soca_buf_add(b, run, (size_t)(end - run));
	soca_buf_addc(b, '\n');
}

/* The script of a record, unescaped; -1 when the record has none. */
int
soca_job_script(const char *rec, size_t len, char **script, size_t *n)
{
	size_t at = soca_job_script_at(rec, len), vl;

	if (at == len)
		return -1;
	vl = len - at - 7 - (rec[len - 1] == '\n');
	*script = unesc(rec + at + 7, vl);
	*n = strlen(*script);
	return 0;
}
