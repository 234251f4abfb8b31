/*
 * slurm_submit.c: soca's user commands on Slurm jobs ([cluster]
 * scheduler = slurm), so users keep one set of commands.  soca-submit
 * validates a job as always (queue policy, project, budget) and then hands
 * it to sbatch, run as the user, with the script on its standard input:
 * nodes, ncpus, mpiprocs, walltime, instance_type and queue become
 * --nodes, --cpus-per-task, --ntasks, --time, --constraint and
 * --partition, the project and -l max_cost the comment ("PROJECT
 * max_cost=USD": slurm_cron.c reads it back), the name -J, -l LICENSE=N
 * of a [license] section --licenses=LICENSE:N (soca-license --slurm
 * keeps Slurm's counts).  A project over its budget is submitted held (--hold) with the
 * reason in the comment; soca-node-up's pass releases it.  soca-stat,
 * soca-del, soca-hold and soca-release read squeue and run scancel and
 * scontrol.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job.h"
#include "slurm.h"

bool
soca_slurm_on(const struct soca_conf *c)
{
	return strcmp(soca_conf_get(c, "cluster", NULL, "scheduler"),
	    "slurm") == 0;
}

static void
add(char ***v, size_t *n, char *s)
{
	*v = soca_xreallocarray(*v, *n + 2, sizeof(**v));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* -l NAME=N of [license] sections as sbatch's --licenses=NAME:N,... */
static char *
licenses(const struct soca_conf *c, const struct soca_job *j)
{
	struct soca_buf b = { 0 };

	for (size_t i = 0; i < j->nres; i++) {
		size_t kl = strcspn(j->res[i], "=");
		char *k = soca_xstrndup(j->res[i], kl);

		if (j->res[i][kl] == '=' && soca_conf_has_section(c, "license",
		    k))
			soca_buf_addf(&b, "%s%s:%s", b.len ? "," :
			    "--licenses=", k, j->res[i] + kl + 1);
		free(k);
	}
	return b.s ? soca_buf_steal(&b) : NULL;
}

/* sbatch's arguments for the job (each allocated) */
static char **
sbatch_args(const struct soca_conf *c, const struct soca_job *j,
    const char *held, size_t *n)
{
	const char *t = soca_job_res(j, "instance_type"), *w;
	char **v = NULL, *cons, *lic;
	long long secs;

	*n = 0;
	add(&v, n, soca_xstrdup("sbatch"));
	add(&v, n, soca_xstrdup("--parsable"));
	add(&v, n, soca_xstrdup("--ignore-pbs"));	/* soca read them */
	add(&v, n, soca_xasprintf("--job-name=%s", j->name));
	add(&v, n, soca_xasprintf("--partition=%s", j->queue));
	add(&v, n, soca_xasprintf("--nodes=%lld", soca_job_res_int(j,
	    "nodes", 1)));
	add(&v, n, soca_xasprintf("--cpus-per-task=%lld", soca_job_res_int(j,
	    "ncpus", 1)));
	if (soca_job_res(j, "mpiprocs"))
		add(&v, n, soca_xasprintf("--ntasks=%lld", soca_job_res_int(j,
		    "mpiprocs", 1) * soca_job_res_int(j, "nodes", 1)));
	if ((w = soca_job_res(j, "walltime")) != NULL &&
	    soca_parse_duration(w, &secs) == 0 && secs > 0)
		add(&v, n, soca_xasprintf("--time=%lld:%02lld:%02lld",
		    secs / 3600, secs / 60 % 60, secs % 60));
	if (t != NULL) {	/* c5.large+m5.large: either, as Slurm's OR */
		cons = soca_xasprintf("--constraint=%s", t);
		for (char *p = cons; *p; p++)
			if (*p == '+')
				*p = '|';
		add(&v, n, cons);
	}
	if ((lic = licenses(c, j)) != NULL)
		add(&v, n, lic);
	if (held || j->project || soca_job_res(j, "max_cost"))
		add(&v, n, soca_slurm_comment(j->project, soca_job_res(j,
		    "max_cost"), held));
	if (held || j->holder)
		add(&v, n, soca_xstrdup("--hold"));
	if (j->out)
		add(&v, n, soca_xasprintf("--output=%s", j->out));
	if (j->err && !j->join)
		add(&v, n, soca_xasprintf("--error=%s", j->err));
	add(&v, n, soca_xasprintf("--chdir=%s", j->workdir));
	return v;
}

/*
 * run argv with text on its stdin; its stdout (trimmed), or NULL.  Started
 * with vfork and execvp: submission speed through Slurm is mostly process
 * creation, a fork would copy soca-submit's page tables for an exec that
 * follows at once, and posix_spawnp's child resets all 64 signal
 * dispositions one system call at a time (soca-submit sets no handler, so
 * there is nothing to reset).
 */
/* The child on in/out, or -1 with *err (errno) when it did not exec. */
static pid_t
start(char *const argv[], int in, int out, int *err)
{
	volatile int e = 0;	/* the child's exec errno (memory is shared) */
	pid_t pid;

	if ((pid = vfork()) == 0) {
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
			e = errno;
		else
			execvp(argv[0], argv);
		e = e ? e : errno;
		_exit(127);
	}
	if (pid < 0) {
		*err = errno;
		return -1;
	}
	if (e != 0) {	/* it could not exec: reap it */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		*err = e;
		return -1;
	}
	return pid;
}

static char *
feed(char *const argv[], const char *text, size_t len, int *status)
{
	int in[2], out[2], e = 0;
	struct soca_buf b = { 0 };
	char buf[512];
	ssize_t r;
	size_t off = 0;
	pid_t pid;

	*status = -1;
	if (pipe2(in, O_CLOEXEC) < 0)
		return NULL;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return NULL;
	}
	pid = start(argv, in[0], out[1], &e);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		warnc(e, "%s", argv[0]);
		close(in[1]), close(out[0]);
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	while (off < len && ((r = write(in[1], text + off, len - off)) > 0 ||
	    (r < 0 && errno == EINTR)))
		off += r > 0 ? (size_t)r : 0;
	close(in[1]);
	while ((r = read(out[0], buf, sizeof(buf))) > 0 || (r < 0 &&
	    errno == EINTR))
		if (r > 0)
			soca_buf_add(&b, buf, (size_t)r);
	close(out[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	while (b.len > 0 && (b.s[b.len - 1] == '\n' || b.s[b.len - 1] == ' '))
		b.s[--b.len] = '\0';
	return b.s ? soca_buf_steal(&b) : soca_xstrdup("");
}

/*
 * soca-submit's hand-over: the validated job to sbatch, as the user; its
 * Slurm job id printed.  The exit status.
 */
int
soca_slurm_submit(const struct soca_conf *c, const struct soca_job *j,
    const char *script, size_t len)
{
	char *held = soca_job_budget(c, j, true), **v, *out, *semi;
	size_t n;
	int st, rc = SOCA_EX_OK;

	soca_priv_lose();	/* sbatch runs as the user, nothing more */
	v = sbatch_args(c, j, held, &n);
	out = feed(v, script, len, &st);
	if (out == NULL || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		warnx("sbatch refused the job%s", out == NULL ? ": cannot run "
		    "it (is slurm-client installed?)" : " (its message is "
		    "above)");
		rc = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1 ?
		    SOCA_EX_USAGE : SOCA_EX_TEMP;
	} else {
		if ((semi = strchr(out, ';')) != NULL)	/* id;cluster */
			*semi = '\0';
		puts(out);
		fflush(stdout);
		if (held)
			warnx("job %s submitted held: %s (soca-node-up releases "
			    "it when the project is within its budget)", out,
			    held);
	}
	free(out);
	soca_strv_free(v, n);
	free(held);
	return rc;
}

/* soca-del, soca-hold, soca-release: scancel / scontrol hold|release */
int
soca_slurm_jobctl(const char *verb, int argc, char **argv, bool json)
{
	char **ids, *out;
	size_t n;
	long long id;
	int rc = SOCA_EX_OK;

	if (soca_ids_or_stdin(argc, argv, &ids, &n) < 0)
		err(SOCA_EX_TEMP, "stdin");
	soca_priv_lose();
	for (size_t i = 0; i < n; i++) {
		char num[32];
		char *del[] = { "scancel", num, NULL };
		char *ctl[] = { "scontrol", (char *)verb, num, NULL };

		if (soca_job_id(ids[i], &id) != 0) {
			warnx("%s: not a job id (ids are numbers, e.g. 42 or "
			    "42.server)", ids[i]);
			rc = SOCA_EX_USAGE;
			continue;
		}
		snprintf(num, sizeof(num), "%lld", id);
		if ((out = soca_slurm_capture(strcmp(verb, "cancel") == 0 ?
		    del : ctl)) == NULL) {
			warnx("job %s: %s failed (Slurm's message is above)",
			    num, strcmp(verb, "cancel") == 0 ? "scancel" :
			    verb);
			rc = rc ? rc : SOCA_EX_FALSE;
			continue;
		}
		free(out);
		if (json)
			printf("{\"id\":%s,\"action\":\"%s\"}\n", num, verb);
		else
			printf("%s\n", num);
		fflush(stdout);
	}
	soca_strv_free(ids, n);
	return rc;
}

/* Slurm's job state as soca's (soca-stat's STATE column) */
static const char *
state(const char *s)
{
	static const char *const map[][2] = {
		{ "PENDING", "queued" }, { "CONFIGURING", "provisioning" },
		{ "RUNNING", "running" }, { "COMPLETING", "running" },
		{ "SUSPENDED", "running" }, { "COMPLETED", "done" },
		{ "CANCELLED", "cancelled" }, { "REQUEUED", "queued" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(s, map[i][0]) == 0)
			return map[i][1];
	return "failed";	/* FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY... */
}

/* one squeue line: id|name|user|partition|state|nodes|features|time|reason|comment|cpus */
static bool
stat_row(struct soca_out *o, char *line, const struct soca_slurm_filter *f)
{
	char *x[11], *p = line, *m, at[32], bo[128];
	const char *st, *why;
	time_t until;
	size_t k;

	for (k = 0; k < 11 && p; k++) {
		x[k] = p;
		if ((p = strchr(p, '|')) != NULL && k < 10)
			*p++ = '\0';
	}
	if (k < 11)
		return false;
	st = state(x[4]);
	if ((f->state && strcmp(f->state, st) != 0) ||
	    (f->queue && strcmp(f->queue, x[3]) != 0))
		return false;
	why = strcmp(x[8], "None") == 0 ? "" : x[8];
	if ((m = soca_slurm_mark(x[9])) != NULL)	/* soca's hold, stop */
		why = m;
	if ((m = strchr(x[9], ' ')) != NULL)	/* the project: a word */
		*m = '\0';
	if (f->sp && strcmp(st, "queued") == 0 && soca_slurm_backoff_get(f->sp,
	    x[6], &until, NULL)) {	/* its type backs off: say until when */
		soca_time_utc(until, at);
		snprintf(bo, sizeof(bo), "%s backing off until %s", x[6], at);
		why = bo;
	}
	soca_out_int(o, "id", strtoll(x[0], NULL, 10));
	soca_out_str(o, "name", x[1]);
	soca_out_str(o, "user", x[2]);
	soca_out_str(o, "queue", x[3]);
	soca_out_str(o, "state", st);
	soca_out_int(o, "nodes", strtoll(x[5], NULL, 10));
	soca_out_str(o, "instance_type", strcmp(x[6], "(null)") ? x[6] : "");
	soca_out_str(o, "elapsed", strcmp(st, "queued") ? x[7] : "");
	soca_out_str(o, "reason", why);
	soca_out_str(o, "project", strcmp(x[9], "(null)") ? x[9] : "");
	soca_out_int(o, "ncpus", strtoll(x[10], NULL, 10));
	soca_out_row(o);
	return true;
}

/*
 * soca-stat: Slurm's jobs from squeue -h -o (no --json in 22.05) in
 * soca-stat's columns.  0, 1 when ids were given and none is known, 3
 * when squeue failed.
 */
int
soca_slurm_stat(struct soca_out *o, const struct soca_slurm_filter *f,
    char **ids, size_t n)
{
	struct soca_buf jl = { 0 };
	char *argv[12], *out, *line, *save = NULL;
	size_t a = 0, shown = 0;

	argv[a++] = "squeue";
	argv[a++] = "-h";
	argv[a++] = "-o";
	argv[a++] = "%i|%j|%u|%P|%T|%D|%f|%M|%r|%k|%C";
	if (f->all || f->state || n > 0) {
		argv[a++] = "-t";
		argv[a++] = "all";
	}
	if (f->user) {
		argv[a++] = "-u";
		argv[a++] = (char *)f->user;
	}
	for (size_t i = 0; i < n; i++) {
		long long id;

		if (soca_job_id(ids[i], &id) == 0)
			soca_buf_addf(&jl, "%s%lld", jl.len ? "," : "", id);
	}
	if (jl.len) {
		argv[a++] = "-j";
		argv[a++] = jl.s;
	}
	argv[a] = NULL;
	soca_priv_drop();	/* squeue as the user; the rows read back-offs */
	out = soca_slurm_capture(argv);
	soca_priv_raise();
	if (out == NULL) {
		soca_buf_free(&jl);
		if (n > 0) {	/* squeue -j refuses ids it does not know */
			warnx("squeue -j: no such job, or slurmctld is down");
			return SOCA_EX_FALSE;
		}
		warnx("squeue failed (is slurmctld up?)");
		return SOCA_EX_TEMP;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL,
	    "\n", &save))
		shown += stat_row(o, line, f);
	free(out);
	soca_buf_free(&jl);
	return n > 0 && shown == 0 ? SOCA_EX_FALSE : SOCA_EX_OK;
}
