/*
 * run.c: soca-node-run's work, running one job as its owner.
 *
 * The runner takes the job's run lock first (held until it exits, so
 * soca-node-down knows a runner is alive), moves the job to running,
 * then forks the job into its own process group: as root it becomes the
 * owner (initgroups, setgid, setuid) before touching any user path; it
 * changes to the working directory, opens NAME.oID/NAME.eID (a subjob's
 * NAME.oID.INDEX, as PBS names them; or -o/-e),
 * and execs the script from a private copy (through /bin/sh when it has
 * no #! line; through -S's interpreter when one was given).  No shell
 * command line is ever built from user data.  A close-on-exec pipe
 * carries the reason back if the exec never happens.
 * The runner waits, enforces walltime, and records exit status and times.
 * It sends the job's mail (mail.c): begin once the script is exec'd, end
 * when it exited by itself, abort when it was killed, ran past its
 * walltime, was cancelled or could not start.
 * On this host (the local provider) a runner whose job ended kicks the
 * dispatcher (dispatch.c) for the jobs waiting on its slots, queue limit
 * or dependency; an EC2 node leaves that to the head node's timer.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "estimate.h"
#include "provider.h"
#include "provider_aws.h"

extern char **environ;

struct files {
	char script[64], nodes[64], tmpdir[64];
};

static int timed_out;
static char *stop_why;		/* the reaper's reason to stop the job */
static bool booted;		/* provider aws: a job ran on this node */
static const char *node_name;	/* provider aws: from IMDS */
static char *node_list;		/* provider aws: every node's hostname */
static int node_index;

static void
on_alarm(int sig)
{
	(void)sig;	/* only interrupts waitpid */
}

static int
private_file(char path[64], const char *tmpl, const char *data, size_t len,
    const struct soca_job *j, mode_t mode)
{
	int fd;

	snprintf(path, 64, "%s", tmpl);
	if ((fd = mkstemp(path)) < 0)
		return -1;
	if (getuid() == 0 && fchown(fd, j->uid, j->gid) < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len)
		goto fail;
	return close(fd);
fail:
	close(fd);
	unlink(path);
	return -1;
}

static void
addenv(char ***v, size_t *n, const char *k, const char *val)
{
	*v = soca_xreallocarray(*v, *n + 2, sizeof(**v));
	(*v)[(*n)++] = val ? soca_xasprintf("%s=%s", k, val) : soca_xstrdup(k);
	(*v)[*n] = NULL;
}

/* the job's own VAR=value (-v, -V) replaces one set above */
static void
putenv_job(char ***v, size_t *n, const char *kv)
{
	size_t kl = strcspn(kv, "=") + 1;

	for (size_t i = 0; i < *n; i++)
		if (strncmp((*v)[i], kv, kl) == 0) {
			free((*v)[i]);
			(*v)[i] = soca_xstrdup(kv);
			return;
		}
	addenv(v, n, kv, NULL);
}

/* set k to the job's -v value, else to val */
static void
addenv_job(char ***v, size_t *n, const struct soca_job *j, const char *k,
    const char *val)
{
	size_t kl = strlen(k);

	for (size_t i = 0; i < j->nenv; i++)
		if (strncmp(j->env[i], k, kl) == 0 && j->env[i][kl] == '=')
			return;
	addenv(v, n, k, val);
}

/*
 * PBS Professional's job environment (its reference guide, "Job
 * Environment Variables"), SOCA's, then the job's own (-v, and the
 * PBS_O_* soca-submit recorded from the submitter's environment).
 */
static char **
job_env(const struct soca_job *j, const struct passwd *pw,
    const struct files *f)
{
	static const char *keep[] = { "PATH", "LANG", "LC_ALL", "TZ", "TERM",
	    NULL };
	char **v = NULL, id[48], num[32];
	long long ncpus = soca_job_res_int(j, "ncpus", 1);
	size_t n = 0;

	soca_job_idstr(j, id, sizeof(id));
	for (const char **k = keep; *k; k++)
		if (getenv(*k))
			addenv(&v, &n, *k, getenv(*k));
	if (getenv("PATH") == NULL)
		addenv(&v, &n, "PATH", "/usr/local/bin:/usr/bin:/bin");
	addenv(&v, &n, "HOME", pw->pw_dir);
	addenv(&v, &n, "USER", pw->pw_name);
	addenv(&v, &n, "LOGNAME", pw->pw_name);
	addenv(&v, &n, "SHELL", pw->pw_shell);
	addenv(&v, &n, "PBS_JOBID", id);
	addenv(&v, &n, "PBS_JOBNAME", j->name);
	addenv(&v, &n, "PBS_QUEUE", j->queue);
	addenv(&v, &n, "PBS_O_WORKDIR", j->workdir);
	addenv(&v, &n, "PBS_O_QUEUE", j->queue);
	addenv(&v, &n, "PBS_ENVIRONMENT", "PBS_BATCH");
	addenv(&v, &n, "PBS_JOBDIR", pw->pw_dir);
	addenv(&v, &n, "PBS_NODEFILE", f->nodes);
	if (j->aparent) {	/* a subjob of an array (-J) */
		snprintf(num, sizeof(num), "%lld[]", j->aparent);
		addenv(&v, &n, "PBS_ARRAY_ID", num);
		snprintf(num, sizeof(num), "%lld", j->aidx);
		addenv(&v, &n, "PBS_ARRAY_INDEX", num);
	}
	addenv(&v, &n, "TMPDIR", f->tmpdir[0] ? f->tmpdir : "/tmp");
	snprintf(num, sizeof(num), "%lld", ncpus);
	addenv(&v, &n, "NCPUS", num);
	snprintf(num, sizeof(num), "%lld", soca_job_res_int(j, "ompthreads",
	    ncpus));
	addenv_job(&v, &n, j, "OMP_NUM_THREADS", num);
	addenv(&v, &n, "SOCA_JOB_ID", id);
	addenv(&v, &n, "SOCA_JOB_NAME", j->name);
	addenv(&v, &n, "SOCA_JOB_QUEUE", j->queue);
	addenv(&v, &n, "SOCA_JOB_OWNER", j->user);
	if (j->project)
		addenv(&v, &n, "SOCA_JOB_PROJECT", j->project);
	snprintf(num, sizeof(num), "%lld", soca_job_res_int(j, "nodes", 1));
	addenv(&v, &n, "SOCA_NODES", num);
	snprintf(num, sizeof(num), "%lld", ncpus);
	addenv(&v, &n, "SOCA_NCPUS", num);
	for (size_t i = 0; i < j->nenv; i++)
		putenv_job(&v, &n, j->env[i]);
	return v;
}

static void __attribute__((noreturn))
fail(int pfd, const char *what)
{
	char *m = soca_xasprintf("cannot start: %s: %s", what,
	    strerror(errno));

	if (write(pfd, m, strlen(m)) < 0)
		_exit(127);
	_exit(127);
}

static int
open_out(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void __attribute__((noreturn))
child(const struct soca_job *j, const struct files *f, bool shebang, int pfd)
{
	struct passwd *pw = getpwuid(j->uid);
	char *out, *err;
	int o, e, nul;

	setpgid(0, 0);
	if (pw == NULL)
		errno = ENOENT, fail(pfd, "no such user");
	if (getuid() == 0) {
		if (initgroups(pw->pw_name, j->gid) < 0 ||
		    setgid(j->gid) < 0 || setuid(j->uid) < 0)
			fail(pfd, "becoming the job's owner");
	} else {
		soca_priv_lose();
		if (j->uid != getuid())
			errno = EPERM, fail(pfd, "the job belongs to another user");
	}
	if (chdir(j->workdir) < 0)
		fail(pfd, j->workdir);
	out = soca_job_outpath(j, false);
	err = soca_job_outpath(j, true);
	if ((o = open_out(out)) < 0)
		fail(pfd, out);
	if ((e = j->join ? dup(o) : open_out(err)) < 0)
		fail(pfd, err);
	if ((nul = open("/dev/null", O_RDONLY)) < 0 || dup2(nul, 0) < 0 ||
	    dup2(o, 1) < 0 || dup2(e, 2) < 0)
		fail(pfd, "stdio");
	signal(SIGPIPE, SIG_DFL);
	if (j->shell != NULL) {	/* -S: the interpreter asked for wins */
		const char *base = strrchr(j->shell, '/') + 1;

		execve(j->shell, (char *[]){ (char *)base, (char *)f->script,
		    NULL }, job_env(j, pw, f));
		fail(pfd, j->shell);
	}
	if (shebang)
		execve(f->script, (char *[]){ (char *)f->script, NULL },
		    job_env(j, pw, f));
	else {	/* as PBS: the owner's login shell reads the script */
		const char *sh = pw->pw_shell && *pw->pw_shell ? pw->pw_shell :
		    "/bin/sh";
		const char *base = strrchr(sh, '/') ? strrchr(sh, '/') + 1 : sh;

		execve(sh, (char *[]){ (char *)base, (char *)f->script, NULL },
		    job_env(j, pw, f));
		fail(pfd, sh);
	}
	fail(pfd, f->script);
}

static int
set_state(struct soca_spool *sp, struct soca_job *j, int from, int to)
{
	struct soca_job cur;
	int r = -1;

	if (soca_spool_lock(sp) < 0)
		return -1;
	if (soca_spool_load(sp, j->id, &cur) == 0) {
		cur.runner = j->runner;
		cur.pgid = j->pgid;
		cur.start = j->start;
		cur.end = j->end;
		cur.exit = j->exit;
		cur.used = j->used;
		cur.cput = j->cput;
		cur.wall = j->wall;
		cur.mem = j->mem;
		cur.ncpus = j->ncpus;
		free(cur.host);
		cur.host = j->host ? soca_xstrdup(j->host) : NULL;
		if ((int)cur.state == from || (from == -1 &&
		    cur.state <= SOCA_PROVISIONING)) {
			if (from == -1) {	/* a new run: a new cap */
				free(cur.stop);
				cur.stop = NULL;
			}
			free(cur.reason);
			cur.reason = j->reason ? soca_xstrdup(j->reason) : NULL;
			r = soca_spool_move(sp, &cur, to) == 0 ? 1 : -1;
		} else
			r = soca_spool_update(sp, &cur) == 0 ? 0 : -1;
		soca_job_free(&cur);
	}
	soca_spool_unlock(sp);
	return r;
}

/*
 * The node could not get ready for the job (soca-node-run --fail: its
 * FSx file system never became available, say): a job not started yet
 * fails with the reason; 0, or -1 (errno) when it was not waiting.
 */
int
soca_run_fail(struct soca_spool *sp, long long id, const char *why)
{
	struct soca_job j = { .id = id, .exit = 127 };
	int r;

	j.end = time(NULL);
	j.reason = soca_xasprintf("node: %s", why);
	r = set_state(sp, &j, -1, SOCA_FAILED);
	free(j.reason);
	if (r == 1)
		return 0;
	errno = r == 0 ? EAGAIN : errno;
	return -1;
}

static int
reason_exit(struct soca_job *j, int st, const char *why)
{
	j->end = time(NULL);
	if (why != NULL && why[0] != '\0') {
		j->exit = 127;
		j->reason = soca_xstrdup(why);
	} else if (stop_why != NULL) {
		j->exit = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		j->reason = soca_xasprintf(WIFEXITED(st) ? "%s (exit %d)" :
		    "%s (killed by signal %d)", stop_why, WIFEXITED(st) ?
		    WEXITSTATUS(st) : WTERMSIG(st));
		return SOCA_FAILED;
	} else if (WIFEXITED(st)) {
		j->exit = WEXITSTATUS(st);
		if (j->exit != 0)
			j->reason = soca_xasprintf("exit %d", j->exit);
	} else {
		j->exit = 128 + WTERMSIG(st);
		j->reason = soca_xasprintf(timed_out ? "walltime exceeded "
		    "(killed by signal %d)" : "killed by signal %d",
		    WTERMSIG(st));
	}
	return j->exit == 0 ? SOCA_DONE : SOCA_FAILED;
}

/* cancelled, or the reaper asks it to stop (its cost cap: stop_why) */
static bool
cancelled(struct soca_spool *sp, long long id)
{
	struct soca_job cur;
	bool c;

	if (soca_spool_load(sp, id, &cur) < 0)
		return false;
	c = cur.state == SOCA_CANCELLED;
	if (!c && cur.stop != NULL) {
		stop_why = cur.stop;
		cur.stop = NULL;
		c = true;
	}
	soca_job_free(&cur);
	return c;
}

/*
 * Wait for the job, waking each second: past walltime, or once the job
 * is cancelled (by soca-del anywhere, which may not be able to signal
 * it) or its record says stop= (soca-node-down: its cost cap), the group
 * gets SIGTERM, then SIGKILL after kill_grace.  wait4's
 * rusage is the job's: its script's process and every descendant it
 * waited for (the shell waits for its commands).
 */
static int
wait_job(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_job *j, pid_t pid, struct rusage *ru)
{
	long long wall = -1, grace = soca_conf_int(c, "cluster", NULL,
	    "kill_grace"), t0 = time(NULL), kill_at = 0, now;
	const char *w = soca_job_res(j, "walltime");
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval tick = { { 1, 0 }, { 1, 0 } }, off = { 0 };
	int st = 0, stopping = 0;

	if (w != NULL && soca_parse_duration(w, &wall) != 0)
		wall = -1;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &tick, NULL);
	while (wait4(pid, &st, 0, ru) < 0) {
		if (errno != EINTR)
			break;
		now = time(NULL);
		if (!stopping && wall > 0 && now - t0 >= wall)
			stopping = timed_out = 1;
		else if (!stopping && cancelled(sp, j->id))
			stopping = 1;
		if (stopping == 1) {
			kill(-pid, SIGTERM);
			kill_at = now + (grace > 0 ? grace : 1);
			stopping = 2;
		} else if (stopping == 2 && now >= kill_at)
			kill(-pid, SIGKILL);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	return st;
}

/* *boot: seconds from its launch (provisioning) to now, else -1 */
static int
start(struct soca_spool *sp, struct soca_job *j, long long id,
    long long *boot)
{
	char host[256] = "localhost";

	int e;

	*boot = -1;
	if (soca_spool_load(sp, id, j) < 0)
		return -1;
	if (j->state == SOCA_PROVISIONING && j->start > 0 &&
	    time(NULL) >= j->start)
		*boot = time(NULL) - j->start;
	if (j->state > SOCA_PROVISIONING) {
		e = EALREADY;
		goto fail;
	}
	if (getuid() != 0 && j->uid != getuid()) {
		e = EPERM;
		goto fail;
	}
	gethostname(host, sizeof(host) - 1);
	j->host = soca_xstrdup(node_name ? node_name : host);
	j->start = time(NULL);
	j->runner = getpid();
	j->reason = NULL;
	if (set_state(sp, j, -1, SOCA_RUNNING) == 1)
		return 0;
	e = errno;
fail:
	soca_job_free(j);
	errno = e;
	return -1;
}

static int
launch(const struct soca_job *j, const struct files *f, bool shebang,
    int p[2])
{
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		child(j, f, shebang, p[1]);
	}
	close(p[1]);
	setpgid(pid, pid);
	return pid;
}

/*
 * On EC2 the node is the instance: its id, launch index and hostname come
 * from IMDSv2 and are registered in the spool as aws/ID.node.INDEX.  The
 * hostname is the node's name (soca-stat, PBS_NODEFILE).
 */
static const char *
aws_node(struct soca_spool *sp, long long id)
{
	static const char *const keys[] = { "instance-id",
	    "ami-launch-index", "local-hostname" };
	char *v[3], *path, *line;

	if (soca_imds_get(keys, v, 3) < 0) {
		errno = EHOSTUNREACH;
		return NULL;
	}
	path = soca_xasprintf("%s/aws/%lld.node.%s", soca_spool_dir(sp), id,
	    v[1]);
	line = soca_xasprintf("%s %s\n", v[0], v[2]);
	soca_write_atomic(path, line, strlen(line), 0660);
	node_index = atoi(v[1]);
	free(path);
	free(line);
	free(v[0]);
	free(v[1]);
	return v[2];
}

/* Index 0 of a multi-node job: every node's hostname once all registered. */
static char *
aws_nodes(const struct soca_conf *c, struct soca_spool *sp, long long id,
    long long n)
{
	long long wait = soca_conf_int(c, "aws", NULL, "boot_timeout");
	struct soca_buf b = { 0 };
	time_t t0 = time(NULL);

	for (;;) {
		long long got = 0;

		soca_buf_reset(&b);
		for (long long i = 0; i < n; i++) {
			char *p = soca_xasprintf("%s/aws/%lld.node.%lld",
			    soca_spool_dir(sp), id, i), line[512], *h;
			FILE *f = fopen(p, "r");

			free(p);
			if (f == NULL)
				continue;
			if (fgets(line, sizeof(line), f) && (h = strchr(line,
			    ' ')) != NULL) {
				soca_buf_adds(&b, h + 1);
				got++;
			}
			fclose(f);
		}
		if (got == n)
			return soca_buf_steal(&b);
		if (time(NULL) - t0 > wait) {
			soca_buf_free(&b);
			return NULL;
		}
		usleep(200000);
	}
}

/* Other nodes of a multi-node job: wait for the job to end. */
static int
aws_follow(struct soca_spool *sp, long long id)
{
	for (;;) {
		struct soca_job j;
		int st;

		if (soca_spool_load(sp, id, &j) < 0)
			return 0;
		st = j.state;
		soca_job_free(&j);
		if (st > SOCA_RUNNING)
			return 0;
		sleep(1);
	}
}

/*
 * PBS_NODEFILE: one newline-terminated line per MPI rank, each node's
 * host repeated its chunk's mpiprocs times (default 1).  On the local
 * provider every node of the job is this host.
 */
static char *
nodefile(const struct soca_job *j)
{
	long long nodes = soca_job_res_int(j, "nodes", 1), k = 0;
	const char *h = node_list ? node_list : j->host;
	struct soca_buf b = { 0 };

	while (h && *h) {
		size_t len = strcspn(h, "\n");
		long long per = soca_job_node_ranks(j, k++);

		for (long long i = 0; i < per && len > 0; i++) {
			soca_buf_add(&b, h, len);
			soca_buf_addc(&b, '\n');
		}
		if (node_list == NULL && k < nodes)
			continue;	/* this host again, as the next node */
		h += len + (h[len] == '\n');
	}
	return b.s ? b.s : soca_xstrdup("");
}

/* TMPDIR: a private directory of the job's owner, gone when it ends. */
static int
make_tmpdir(char path[64], const struct soca_job *j)
{
	snprintf(path, 64, "/tmp/soca.%lld.XXXXXX", j->id);
	if (mkdtemp(path) == NULL) {
		path[0] = '\0';
		return -1;
	}
	if (getuid() == 0 && chown(path, j->uid, j->gid) < 0) {
		rmdir(path);
		path[0] = '\0';
		return -1;
	}
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path), 0;
}

/* As its owner (no root walk of a user's tree): the job's TMPDIR goes. */
static void
drop_tmpdir(const char *path, const struct soca_job *j)
{
	pid_t pid;

	if (path[0] == '\0' || (pid = fork()) < 0)
		return;
	if (pid == 0) {
		if (getuid() == 0 && (setgid(j->gid) < 0 ||
		    setuid(j->uid) < 0))
			_exit(1);
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		_exit(0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * resources_used (PBS's qstat -f): CPU time (user + system) and peak
 * resident memory (ru_maxrss, kB on Linux) of the job's processes as
 * wait4 saw them, wall time from start to end, the cpus it was given.
 */
static void
used(struct soca_job *j, const struct rusage *ru)
{
	j->used = true;
	j->cput = ru->ru_utime.tv_sec + ru->ru_stime.tv_sec +
	    (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000000;
	j->mem = ru->ru_maxrss;
	j->wall = j->end > j->start ? j->end - j->start : 0;
	j->ncpus = soca_job_res_int(j, "nodes", 1) *
	    soca_job_res_int(j, "ncpus", 1);
}

/*
 * On EC2, the first job an instance runs (its first node's) measures how
 * long its type took to boot, for the estimate (estimate.c); later jobs
 * of a shared instance (aws_share.c) did not wait for a boot.
 */
static void
record_boot(struct soca_spool *sp, const struct soca_job *j, long long boot)
{
	const char *types = soca_job_res(j, "instance_type");
	char *type;

	if (node_name == NULL || node_index != 0 || booted || boot < 0 ||
	    types == NULL)
		return;
	booted = true;
	type = soca_xstrndup(types, strcspn(types, "+"));
	if (soca_boot_record(sp, type, boot) < 0)
		warn("%s/boot", soca_spool_dir(sp));
	free(type);
}

/* Run job id to completion; 0 when it ran (whatever its exit), else -1. */
int
soca_run_job(const struct soca_conf *c, struct soca_spool *sp, long long id)
{
	struct soca_job j = { 0 };
	struct rusage ru = { 0 };
	struct files f = { "", "", "" };
	char *script = NULL, *nodes = NULL, why[512] = "";
	size_t len;
	int lk, p[2], st, to;
	long long boot;
	pid_t pid;
	ssize_t n;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") == 0) {
		if ((node_name = aws_node(sp, id)) == NULL)
			return -1;
		if (node_index > 0)
			return aws_follow(sp, id);
		if (soca_spool_load(sp, id, &j) == 0) {
			long long nn = soca_job_res_int(&j, "nodes", 1);

			soca_job_free(&j);
			if (nn > 1 && (node_list = aws_nodes(c, sp, id, nn)) ==
			    NULL) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
	}
	if ((lk = soca_spool_runlock(sp, id, false)) < 0 ||
	    start(sp, &j, id, &boot) < 0)
		return -1;
	soca_crashpoint("run-started");
	record_boot(sp, &j, boot);
	nodes = nodefile(&j);
	if (soca_spool_script(sp, id, &script, &len) < 0 ||
	    private_file(f.script, "/tmp/soca-job.XXXXXX", script, len, &j,
	    0700) < 0 || private_file(f.nodes, "/tmp/soca-nodes.XXXXXX",
	    nodes, strlen(nodes), &j, 0644) < 0 ||
	    make_tmpdir(f.tmpdir, &j) < 0 || (pid = launch(&j, &f,
	    len > 2 && script[0] == '#' && script[1] == '!', p)) < 0) {
		snprintf(why, sizeof(why), "cannot start: %s", strerror(errno));
		pid = 0;
	}
	if (pid > 0) {
		j.pgid = pid;
		if (set_state(sp, &j, SOCA_RUNNING, SOCA_RUNNING) == 0)
			kill(-pid, SIGTERM);	/* cancelled meanwhile */
		n = read(p[0], why, sizeof(why) - 1);
		why[n > 0 ? n : 0] = '\0';
		close(p[0]);
		if (why[0] == '\0')
			soca_mail_job(c, sp, &j, 'b', NULL);
	}
	st = pid > 0 ? wait_job(c, sp, &j, pid, &ru) : 0;
	soca_crashpoint("run-exited");
	to = reason_exit(&j, st, why);
	used(&j, &ru);
	if (set_state(sp, &j, SOCA_RUNNING, to) == 0 && cancelled(sp, id))
		soca_mail_job(c, sp, &j, 'a', "cancelled while running");
	else
		soca_mail_job(c, sp, &j, why[0] == '\0' && WIFEXITED(st) ?
		    'e' : 'a', NULL);
	if (f.script[0] != '\0')
		unlink(f.script);
	if (f.nodes[0] != '\0')
		unlink(f.nodes);
	drop_tmpdir(f.tmpdir, &j);
	free(nodes);
	free(script);
	soca_job_free(&j);
	soca_spool_runlock_drop(sp, id, lk);
	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "local") == 0)
		soca_kick(c, sp);
	return 0;
}
