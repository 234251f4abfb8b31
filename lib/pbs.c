/*
 * pbs.c: the PBS front-ends' common ground.  A front-end never touches
 * the spool itself: it runs soca's command (soca-submit, soca-stat -f -J,
 * soca-del, ...), found beside it or in BINDIR (soca_libexec), with an
 * argv and no shell, so the setgid path, the owner checks and the
 * validation stay in one place.  Their stderr is passed on with the
 * command's name replaced by the front-end's ("soca-submit: x" becomes
 * "qsub: x"); their stdout is read when the front-end has to reshape it.
 *
 * Job ids are printed ID.SERVER as PBS does, SERVER being [cluster] name;
 * every soca command takes that form.  PBS's state letters: Q queued
 * (and provisioning), H held (soca-hold, -h, or waiting on a
 * dependency, PBS's system hold), W waiting for its -a time, R running,
 * F finished (done, failed, cancelled); a job array B once a subjob
 * began, a subjob X once it ended.  Ids are 42, an array 42[], a subjob
 * 42[7] (soca-stat's own forms), each with .SERVER or not.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pbs.h"
#include "provider.h"

extern char *program_invocation_short_name;

const char *
soca_pbs_server(const struct soca_conf *c)
{
	return soca_conf_get(c, "cluster", NULL, "name");
}

char *
soca_pbs_id(const struct soca_conf *c, json_t *job)
{
	json_t *id = json_object_get(job, "id");

	if (json_is_string(id))
		return soca_xasprintf("%s.%s", json_string_value(id),
		    soca_pbs_server(c));
	return soca_xasprintf("%lld.%s", (long long)json_integer_value(id),
	    soca_pbs_server(c));
}

/* soca's "no such job", "no such subjob (...)", "N is not an array" */
static bool
missing(const char *line, size_t len)
{
	static const char tail[] = ": no such job";
	size_t tl = sizeof(tail) - 1;
	char *l = soca_xstrndup(line, len);
	bool r = (len > tl && memcmp(line + len - tl, tail, tl) == 0) ||
	    strstr(l, ": no such subjob (") || strstr(l, " is not an array (");

	free(l);
	return r;
}

/* the child's stderr, each line's "prog: " now the front-end's */
static void
relay(const char *prog, const struct soca_buf *e, unsigned flags)
{
	size_t pl = strlen(prog);
	const char *s = e->s, *end = e->s + e->len;

	while (s && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);

		if ((flags & SOCA_PBS_QUIET) && missing(s, len))
			;	/* the caller says "Unknown Job Id" */
		else if (len > pl + 1 && strncmp(s, prog, pl) == 0 &&
		    s[pl] == ':')
			fprintf(stderr, "%s%.*s\n",
			    program_invocation_short_name, (int)(len - pl),
			    s + pl);
		else
			fprintf(stderr, "%.*s\n", (int)len, s);
		s += len + 1;
	}
}

static void
drain(int fd[2], struct soca_buf *out, struct soca_buf *errb)
{
	struct pollfd p[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
	char chunk[8192];
	int open = 2;

	while (open > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			if ((n = read(p[i].fd, chunk, sizeof(chunk))) > 0)
				soca_buf_add(i ? errb : out, chunk, (size_t)n);
			else if (n == 0 || errno != EINTR) {
				close(p[i].fd);
				p[i].fd = -1;
				open--;
			}
		}
	}
}

static void __attribute__((noreturn))
child(const char *path, char **argv, int o[2], int e[2], unsigned flags)
{
	int fd;

	if (!(flags & SOCA_PBS_STDIN) && (fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, STDIN_FILENO);	/* ids never come from our stdin */
		close(fd);
	}
	dup2(o[1], STDOUT_FILENO);
	dup2(e[1], STDERR_FILENO);
	close(o[0]), close(o[1]), close(e[0]), close(e[1]);
	execv(path, argv);
	fprintf(stderr, "%s: cannot run %s: %s\n", argv[0], path,
	    strerror(errno));
	_exit(SOCA_EX_TEMP);
}

/*
 * Run soca's prog (argv[0] is its name) and wait: its stdout into out,
 * its stderr passed on.  Its exit status, or SOCA_EX_TEMP.
 */
int
soca_pbs_run(const char *prog, char **argv, struct soca_buf *out,
    unsigned flags)
{
	char *path = soca_libexec(prog);
	struct soca_buf errb = { 0 };
	int o[2], e[2], st, fds[2];
	pid_t pid;

	fflush(stdout);
	if (pipe(o) < 0 || pipe(e) < 0)
		err(SOCA_EX_TEMP, "pipe");
	if ((pid = fork()) < 0)
		err(SOCA_EX_TEMP, "fork");
	if (pid == 0)
		child(path, argv, o, e, flags);
	free(path);
	close(o[1]);
	close(e[1]);
	fds[0] = o[0];
	fds[1] = e[0];
	drain(fds, out, &errb);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	relay(prog, &errb, flags);
	soca_buf_free(&errb);
	return WIFEXITED(st) ? WEXITSTATUS(st) : SOCA_EX_TEMP;
}

/*
 * soca-stat -f -J [-x] [ids]: an array of job objects; ids it does not
 * know are left out (the caller says "Unknown Job Id"), their
 * "no such job" lines with them.  *rc: soca-stat's other failures.
 */
json_t *
soca_pbs_jobs(char **ids, size_t n, bool history, bool subjobs, int *rc)
{
	char **argv = soca_xcalloc(n + 6, sizeof(*argv));
	struct soca_buf out = { 0 };
	json_t *jobs = json_array(), *seen = json_object();
	size_t k = 0;
	const char *s, *end;

	argv[k++] = "soca-stat";
	argv[k++] = "-fJ";
	if (history)
		argv[k++] = "-x";
	if (subjobs)
		argv[k++] = "-t";	/* job arrays' subjobs (soca-stat -t) */
	if (n > 0)
		argv[k++] = "--";
	for (size_t i = 0; i < n; i++)
		argv[k++] = ids[i];
	*rc = soca_pbs_run("soca-stat", argv, &out, SOCA_PBS_QUIET);
	if (*rc == SOCA_EX_FALSE)
		*rc = SOCA_EX_OK;	/* unknown ids: the caller's to say */
	free(argv);
	for (s = out.s, end = out.s + out.len; s && s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		json_t *o = json_loadb(s, len, 0, NULL);
		char *key = json_dumps(json_object_get(o, "id"),
		    JSON_ENCODE_ANY);

		/* once each, though named twice (42[] -t and 42[7]) */
		if (json_is_object(o) && key && !json_object_get(seen, key)) {
			json_object_set_new(seen, key, json_true());
			json_array_append_new(jobs, o);
		} else
			json_decref(o);
		free(key);
		s += len + 1;
	}
	json_decref(seen);
	soca_buf_free(&out);
	return jobs;
}

/*
 * A job id as the front-ends take it: 42, an array 42[], a subjob 42[7],
 * each with .server or not.  -1 not an id, 0 a job or an array, 1 a
 * subjob; *arr: written with [] (an array and nothing else, as in PBS).
 */
int
soca_pbs_ref(const char *id, long long *num, long long *idx, bool *arr)
{
	int r = soca_job_ref(id, num, idx);

	*arr = r == 0 && strstr(id, "[]") != NULL;
	return r;
}

/*
 * The job of jobs that id names: 42 (a job, or leniently the array
 * 42[]), 42[] (an array), 42[7] (a subjob), with .server or not.
 */
json_t *
soca_pbs_find(json_t *jobs, const char *id)
{
	long long want, idx;
	size_t i;
	bool arr;
	int r;
	char key[64];
	json_t *j;

	if ((r = soca_pbs_ref(id, &want, &idx, &arr)) < 0)
		return NULL;
	if (r == 1)
		snprintf(key, sizeof(key), "%lld[%lld]", want, idx);
	else
		snprintf(key, sizeof(key), "%lld[]", want);
	json_array_foreach(jobs, i, j) {
		json_t *v = json_object_get(j, "id");

		if (json_is_string(v) && strcmp(json_string_value(v), key) == 0)
			return j;
		if (r == 0 && !arr && json_is_integer(v) &&
		    json_integer_value(v) == want)
			return j;
	}
	return NULL;
}

/* PBS's range of subjobs, 42[1-5]: where its '-' is, or NULL */
static const char *
range(const char *id)
{
	const char *b = strchr(id, '['), *d;

	if (b == NULL || (d = strchr(b, '-')) == NULL ||
	    d > b + strcspn(b, "]"))
		return NULL;
	return d;
}

/*
 * qdel's and qstat's ranges of subjobs (42[1-5]) are not taken: exit 2
 * naming the operand, before anything is done.
 */
void
soca_pbs_no_ranges(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *b = strchr(ids[i], '['), *d = range(ids[i]);
		size_t k;

		if (d == NULL)
			continue;
		k = (size_t)(b - ids[i]);
		errx(SOCA_EX_USAGE, "%s: a range of subjobs is not taken (name "
		    "each subjob, %.*s[%.*s] ..., or the whole array, %.*s[])",
		    ids[i], (int)k, ids[i], (int)(d - b - 1), b + 1, (int)k,
		    ids[i]);
	}
}

/* an array (42[]) or a subjob (42[7]) */
bool
soca_pbs_is_array(json_t *job)
{
	return json_object_get(job, "array") != NULL;
}

bool
soca_pbs_is_subjob(json_t *job)
{
	return json_object_get(job, "array_id") != NULL;
}

/* done, failed or cancelled (PBS's F, a subjob's X) */
bool
soca_pbs_finished(json_t *job)
{
	const char *st = soca_pbs_str(job, "state");

	return st && strcmp(st, "queued") && strcmp(st, "provisioning") &&
	    strcmp(st, "running") && strcmp(st, "begun");
}

const char *
soca_pbs_str(json_t *job, const char *key)
{
	return json_string_value(json_object_get(job, key));
}

/* a number, whether soca-stat typed it or left it a string */
static long long
num(json_t *v)
{
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return json_integer_value(v);
}

long long
soca_pbs_int(json_t *job, const char *key)
{
	return num(json_object_get(job, key));
}

const char *
soca_pbs_res(json_t *job, const char *key)
{
	return json_string_value(json_object_get(json_object_get(job, "res"),
	    key));
}

char
soca_pbs_state(json_t *job, long long now)
{
	const char *st = soca_pbs_str(job, "state"), *why;

	if (st == NULL)
		return 'Q';
	if (strcmp(st, "running") == 0)
		return 'R';
	if (soca_pbs_finished(job))
		return soca_pbs_is_subjob(job) ? 'X' : 'F';
	if (strcmp(st, "begun") == 0)
		return 'B';	/* an array with a subjob begun */
	if (soca_pbs_str(job, "hold") != NULL)
		return 'H';
	why = soca_pbs_str(job, "reason");
	if (why && strncmp(why, "dependency:", 11) == 0)
		return 'H';
	if (why == NULL && (json_object_get(job, "afterok") ||
	    json_object_get(job, "afternotok") ||
	    json_object_get(job, "afterany") || json_object_get(job, "after")))
		return 'H';	/* no dispatcher pass yet: waits, as PBS's */
	if (soca_pbs_int(job, "eligible") > now)
		return 'W';
	return 'Q';
}

/*
 * May verb (qdel, qhold, ...) be done to id?  0 and *job, or PBS's exit
 * status, said, in PBS's order: unknown, another's, finished, and for
 * qhold, qrls and qalter (queued_only) a subjob (they take its array,
 * PBS's "Invalid request") or a job not queued.  An array that began is
 * still queued: its subjobs not begun take the change.
 */
int
soca_pbs_target(const struct soca_conf *c, json_t *jobs, const char *id,
    bool queued_only, json_t **job)
{
	const char *st;

	if (queued_only && range(id)) {
		warnx("Invalid request %s", id);	/* as for a subjob */
		return SOCA_PBS_IVALREQ;
	}
	if ((*job = soca_pbs_find(jobs, id)) == NULL) {
		warnx("Unknown Job Id %s", id);
		return SOCA_PBS_UNKJOB;
	}
	st = soca_pbs_str(*job, "state");
	if ((uid_t)soca_pbs_int(*job, "uid") != getuid() &&
	    !soca_is_admin(c, getuid())) {
		warnx("Unauthorized Request  %s", id);
		return SOCA_PBS_PERM;
	}
	if (soca_pbs_finished(*job)) {
		warnx("Job has finished %s", id);
		return SOCA_PBS_HISTJOB;
	}
	if (queued_only && soca_pbs_is_subjob(*job)) {
		warnx("Invalid request %s", id);
		return SOCA_PBS_IVALREQ;
	}
	if (queued_only && st && strcmp(st, "queued") != 0 &&
	    strcmp(st, "begun") != 0) {
		warnx("Request invalid for state of job %s", id);
		return SOCA_PBS_BADSTATE;
	}
	return 0;
}

/*
 * qdel, qhold, qrls, qalter: each id checked as PBS would (unknown,
 * another's, finished, not queued), the rest handed to soca's prog
 * (argv: its name and options) in one run.  PBS's exit status: the last
 * failure's.
 */
int
soca_pbs_act(const struct soca_conf *c, char **argv, size_t nargv,
    char **ids, size_t n, bool queued_only)
{
	char **av = soca_xcalloc(nargv + n + 2, sizeof(*av));
	char **look = soca_xcalloc(n + 1, sizeof(*look));
	struct soca_buf out = { 0 };
	size_t k = nargv, todo = 0, nl = 0;
	int rc, r, last = SOCA_EX_OK;
	json_t *jobs, *job;

	if (!queued_only)
		soca_pbs_no_ranges(ids, n);
	memcpy(av, argv, nargv * sizeof(*av));
	av[k++] = "--";
	for (size_t i = 0; i < n; i++)
		if (range(ids[i]) == NULL)	/* a range: 156, below */
			look[nl++] = ids[i];
	jobs = soca_pbs_jobs(look, nl, true, false, &rc);
	free(look);
	if (rc != SOCA_EX_OK) {
		json_decref(jobs);
		free(av);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = soca_pbs_target(c, jobs, ids[i], queued_only,
		    &job)) != 0)
			last = r;
		else
			av[k++] = ids[i], todo++;
	if (todo > 0 && (rc = soca_pbs_run(argv[0], av, &out, 0)) != 0)
		last = rc;
	soca_buf_free(&out);
	json_decref(jobs);
	free(av);
	return last;
}

/* --version, as every PBS command takes it */
bool
soca_pbs_version(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("pbs_version = %s\n", SOCA_PBS_VERSION);
		return true;
	}
	return false;
}

/* PBS's time attributes: ctime(3)'s form, without its newline */
static void
set_time(json_t *o, const char *k, long long t)
{
	time_t tt = (time_t)t;
	char b[64];

	if (t <= 0 || ctime_r(&tt, b) == NULL)
		return;
	b[strcspn(b, "\n")] = '\0';
	json_object_set_new(o, k, json_string(b));
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

/* the submitter's host, from the PBS_O_HOST soca-submit recorded */
static const char *
origin(json_t *job, const char *var)
{
	size_t i, vl = strlen(var);
	json_t *e;

	json_array_foreach(json_object_get(job, "env"), i, e) {
		const char *s = json_string_value(e);

		if (s && strncmp(s, var, vl) == 0 && s[vl] == '=')
			return s + vl + 1;
	}
	return NULL;
}

static void
resources(json_t *o, json_t *job)
{
	json_t *rl = json_object(), *res = json_object_get(job, "res"), *v;
	long long nodes = 1, ncpus = 1, mpi = 1, cpus, ranks, mem = 0;
	const char *k, *sel = soca_pbs_res(job, "select");
	char sz[32];
	struct soca_chunk *c = NULL;
	size_t n = 0;
	char *why = NULL;

	if (soca_pbs_res(job, "nodes"))
		nodes = strtoll(soca_pbs_res(job, "nodes"), NULL, 10);
	if (soca_pbs_res(job, "ncpus"))
		ncpus = strtoll(soca_pbs_res(job, "ncpus"), NULL, 10);
	if (soca_pbs_res(job, "mpiprocs"))
		mpi = strtoll(soca_pbs_res(job, "mpiprocs"), NULL, 10);
	cpus = nodes * ncpus;
	ranks = nodes * mpi;
	if (sel && soca_select_parse(sel, &c, &n, &why) == 0) {
		cpus = ranks = mem = 0;
		for (size_t i = 0; i < n; i++) {
			cpus += c[i].count * c[i].ncpus;
			ranks += c[i].count * c[i].mpiprocs;
			mem += c[i].count * c[i].mem;
		}
		soca_chunks_free(c, n);
	}
	free(why);
	json_object_foreach(res, k, v)
		if (strcmp(k, "nodes") && strcmp(k, "ncpus") &&
		    strcmp(k, "mpiprocs") && strcmp(k, "select"))
			json_object_set(rl, k, v);
	if (mem > 0)	/* PBS: the job's mem is its chunks' */
		json_object_set_new(rl, "mem", json_string(soca_size_str(mem,
		    sz)));
	json_object_set_new(rl, "mpiprocs", json_integer(ranks));
	json_object_set_new(rl, "ncpus", json_integer(cpus));
	json_object_set_new(rl, "nodect", json_integer(nodes));
	if (json_object_get(rl, "place") == NULL)
		json_object_set_new(rl, "place", json_string("scatter"));
	if (sel)
		json_object_set_new(rl, "select", json_string(sel));
	else {
		char *s = soca_xasprintf("%lld:ncpus=%lld:mpiprocs=%lld", nodes,
		    ncpus, mpi);
		json_object_set_new(rl, "select", json_string(s));
		free(s);
	}
	json_object_set_new(o, "Resource_List", rl);
}

static void
variables(json_t *o, json_t *job)
{
	json_t *vl = json_object(), *e;
	size_t i;

	json_array_foreach(json_object_get(job, "env"), i, e) {
		const char *s = json_string_value(e), *eq;
		char *k;

		if (s == NULL || (eq = strchr(s, '=')) == NULL)
			continue;
		k = soca_xstrndup(s, (size_t)(eq - s));
		json_object_set_new(vl, k, json_string(eq + 1));
		free(k);
	}
	json_object_set_new(o, "Variable_List", vl);
}

static void
depend(const struct soca_conf *c, json_t *o, json_t *job)
{
	static const char *const kinds[] = { "afterok", "afternotok",
	    "afterany", "after" };
	struct soca_buf b = { 0 };
	size_t i;
	json_t *d;

	for (size_t k = 0; k < 4; k++) {
		json_t *ids = json_object_get(job, kinds[k]);

		if (ids == NULL)
			continue;
		soca_buf_addf(&b, "%s%s", b.len ? "," : "", kinds[k]);
		if (!json_is_array(ids))
			soca_buf_addf(&b, ":%lld.%s", num(ids),
			    soca_pbs_server(c));
		json_array_foreach(ids, i, d)
			soca_buf_addf(&b, ":%lld.%s", num(d),
			    soca_pbs_server(c));
	}
	set_str(o, "depend", b.s);
	soca_buf_free(&b);
}

/* NAME.oID; an array's NAME.oID.^array_index^, a subjob's NAME.oID.INDEX */
static char *
path_attr(const char *host, const char *wd, const char *p, const char *name,
    char oe, json_t *job)
{
	long long id = soca_pbs_int(job, "id");

	if (p && p[0] == '/')
		return soca_xasprintf("%s:%s", host, p);
	if (p)
		return soca_xasprintf("%s:%s/%s", host, wd, p);
	if (soca_pbs_is_subjob(job))
		return soca_xasprintf("%s:%s/%s.%c%lld.%lld", host, wd, name,
		    oe, id, soca_pbs_int(job, "array_index"));
	return soca_xasprintf("%s:%s/%s.%c%lld%s", host, wd, name, oe, id,
	    soca_pbs_is_array(job) ? ".^array_index^" : "");
}

static void
set_clock(json_t *o, const char *k, long long s)
{
	char *v = soca_xasprintf("%02lld:%02lld:%02lld", s / 3600, s / 60 % 60,
	    s % 60);

	json_object_set_new(o, k, json_string(v));
	free(v);
}

/* PBS's resources_used: cput and walltime HH:MM:SS, mem NNNkb, ncpus */
static void
used(json_t *o, json_t *job)
{
	json_t *u = json_object_get(job, "resources_used"), *ru;
	char *mem;

	if (!json_is_object(u))
		return;
	ru = json_object();
	set_clock(ru, "cput", num(json_object_get(u, "cput")));
	mem = soca_xasprintf("%lldkb", num(json_object_get(u, "mem")));
	json_object_set_new(ru, "mem", json_string(mem));
	free(mem);
	json_object_set_new(ru, "ncpus", json_integer(num(json_object_get(u,
	    "ncpus"))));
	set_clock(ru, "walltime", num(json_object_get(u, "walltime")));
	json_object_set_new(o, "resources_used", ru);
}

/* CPU time used, HH:MM:SS; NULL before the job ran (qstat's "0") */
char *
soca_pbs_cput(json_t *job)
{
	json_t *u = json_object_get(job, "resources_used");
	long long s;

	if (!json_is_object(u))
		return NULL;
	s = num(json_object_get(u, "cput"));
	return soca_xasprintf("%02lld:%02lld:%02lld", s / 3600, s / 60 % 60,
	    s % 60);
}

/*
 * A job as qstat -f and -F json show it: PBS Professional's attribute
 * names and forms, in its order, from soca's record.
 */
json_t *
soca_pbs_attrs(const struct soca_conf *c, json_t *job, long long now)
{
	json_t *o = json_object();
	const char *host = origin(job, "PBS_O_HOST"), *wd;
	const char *user = soca_pbs_str(job, "user"), *name;
	char st[2] = { soca_pbs_state(job, now), '\0' }, *s;
	bool join = json_is_true(json_object_get(job, "join"));

	host = host ? host : soca_pbs_server(c);
	wd = soca_pbs_str(job, "workdir");
	wd = wd ? wd : "";
	name = soca_pbs_str(job, "name");
	name = name ? name : "STDIN";
	set_str(o, "Job_Name", name);
	s = soca_xasprintf("%s@%s", user ? user : "?", host);
	set_str(o, "Job_Owner", s);
	free(s);
	used(o, job);
	set_str(o, "job_state", st);
	set_str(o, "queue", soca_pbs_str(job, "queue"));
	set_str(o, "server", soca_pbs_server(c));
	set_time(o, "ctime", soca_pbs_int(job, "submit"));
	s = path_attr(host, wd, join ? soca_pbs_str(job, "out") :
	    soca_pbs_str(job, "err"), name, join ? 'o' : 'e', job);
	set_str(o, "Error_Path", s);
	free(s);
	if (st[0] == 'R' && soca_pbs_str(job, "host")) {
		s = soca_xasprintf("%s/0", soca_pbs_str(job, "host"));
		set_str(o, "exec_host", s);
		free(s);
	}
	set_str(o, "Hold_Types", soca_pbs_str(job, "hold") ? "u" :
	    st[0] == 'H' ? "s" : "n");
	set_str(o, "Join_Path", join ? "oe" : "n");
	set_str(o, "Keep_Files", soca_pbs_str(job, "keep") ?
	    soca_pbs_str(job, "keep") : "n");
	set_str(o, "Mail_Points", soca_pbs_str(job, "mail_points") ?
	    soca_pbs_str(job, "mail_points") : "n");	/* soca's default */
	set_str(o, "Mail_Users", soca_pbs_str(job, "mail_users"));
	s = path_attr(host, wd, soca_pbs_str(job, "out"), name, 'o', job);
	set_str(o, "Output_Path", s);
	free(s);
	json_object_set_new(o, "Priority", json_integer(soca_pbs_int(job,
	    "priority")));
	set_time(o, "qtime", soca_pbs_int(job, "submit"));
	set_str(o, "Rerunable", json_is_true(json_object_get(job, "rerun")) ?
	    "True" : "False");
	resources(o, job);
	set_time(o, "stime", soca_pbs_int(job, "start"));
	set_time(o, "obittime", soca_pbs_int(job, "end"));
	if (soca_pbs_int(job, "pgid") > 0)
		json_object_set_new(o, "session_id", json_integer(
		    soca_pbs_int(job, "pgid")));
	set_str(o, "Shell_Path_List", soca_pbs_str(job, "shell"));
	variables(o, job);
	set_str(o, "comment", soca_pbs_str(job, "reason"));
	set_time(o, "etime", soca_pbs_int(job, "submit"));
	if (json_is_integer(json_object_get(job, "exit")))
		json_object_set_new(o, "Exit_status", json_integer(
		    soca_pbs_int(job, "exit")));
	set_time(o, "Execution_Time", soca_pbs_int(job, "eligible"));
	depend(c, o, job);
	set_str(o, "project", soca_pbs_str(job, "project"));
	set_str(o, "Submit_Host", host);
	if (soca_pbs_is_subjob(job)) {
		s = soca_xasprintf("%lld[].%s", soca_pbs_int(job, "array_id"),
		    soca_pbs_server(c));
		set_str(o, "array_id", s);
		free(s);
		json_object_set_new(o, "array_index", json_integer(
		    soca_pbs_int(job, "array_index")));
	}
	return o;
}
