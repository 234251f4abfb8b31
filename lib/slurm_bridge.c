/*
 * slurm_bridge.c: soca as Slurm's cloud capacity ([cluster] scheduler =
 * slurm).  soca-node-up is the ResumeProgram, soca-node-down the
 * SuspendProgram and ResumeFailProgram, soca-node-run --slurmd the
 * node's boot.
 *
 * slurmctld starts its programs hostile: fds 0-2 may be closed, no PATH
 * or HOME, signals blocked (and children inherit the mask); harden()
 * repairs all three first.  Its resume file is a memfd that vanishes
 * when slurmctld exits, so it is copied into the spool (slurm/resume/)
 * before anything else, and the program returns at once: the launches
 * are done by a detached worker that logs to slurm/log with its pid.
 *
 * One RunInstances per Slurm job (all its nodes, MinCount = MaxCount),
 * tags in TagSpecifications (owner, account as project, partition, job
 * id and name, read with `scontrol show job -o`, since 22.05's resume
 * file holds only ids and nodes), a ClientToken from cluster + job id + a
 * hash of its node list, so a rerun of the same resume launches nothing
 * twice.  Launch index N is the job's Nth node: the user data carries the
 * list, the node's soca-node-run --slurmd picks its own name and starts
 * slurmd -N NAME; slurmd registers its own address (cloud_reg_addrs).
 * slurm/nodes/NAME records "INSTANCE JOB" for the suspend side.  A
 * launch AWS refuses sets that job's nodes DOWN with AWS's reason; no
 * other job is touched.
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "provider.h"
#include "provider_aws.h"
#include "slurm.h"

static FILE *slog;

/* fds 0-2 open, a PATH and HOME, no blocked signals, default actions */
void
soca_slurm_harden(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM,
	    SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2 };
	sigset_t none;
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);

			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	if (getenv("PATH") == NULL)
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
		    "/usr/bin:/sbin:/bin", 1);
	if (getenv("HOME") == NULL)
		setenv("HOME", "/", 1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
}

static void
logx(const char *fmt, ...)
{
	va_list ap;
	char t[32];
	time_t now = time(NULL);

	if (slog == NULL)
		return;
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(slog, "%s [%ld] ", t, (long)getpid());
	va_start(ap, fmt);
	vfprintf(slog, fmt, ap);
	va_end(ap);
	fputc('\n', slog);
	fflush(slog);
}

static char *
sdir(struct soca_spool *sp, const char *sub)
{
	char *d = soca_xasprintf("%s/slurm", soca_spool_dir(sp)), *p;

	mkdir(d, 0770);
	p = sub ? soca_xasprintf("%s/%s", d, sub) : soca_xstrdup(d);
	if (sub)
		mkdir(p, 0770);
	free(d);
	return p;
}

/* argv's standard output (at most 64 KiB), or NULL when it failed */
char *
soca_slurm_capture(char *const argv[])
{
	struct soca_buf b = { 0 };
	char buf[4096];
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return NULL;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(p[1], 1);
		if (nul >= 0)
			dup2(nul, 0);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0 || (n < 0 &&
	    errno == EINTR))
		if (n > 0 && b.len < 65536)
			soca_buf_add(&b, buf, (size_t)n);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		soca_buf_free(&b);
		return NULL;
	}
	return b.s ? soca_buf_steal(&b) : soca_xstrdup("");
}

/*
 * KEY's value in one line of `scontrol show -o` (KEY=value pairs split
 * by spaces; a value runs to the next " Word=").
 */
char *
soca_slurm_kv(const char *line, const char *key)
{
	size_t kl = strlen(key);
	const char *p = line, *v, *e;

	for (; (p = strstr(p, key)) != NULL; p += kl)
		if ((p == line || p[-1] == ' ') && p[kl] == '=')
			break;
	if (p == NULL)
		return NULL;
	v = p + kl + 1;
	for (e = v; *e && *e != '\n'; e++) {
		const char *w = e + 1;

		if (*e != ' ')
			continue;
		while (*w && *w != ' ' && *w != '=')
			w++;
		if (*w == '=' && w > e + 1)
			break;
	}
	return e > v && strncmp(v, "(null)", 6) != 0 ?
	    soca_xstrndup(v, (size_t)(e - v)) : NULL;
}

/*
 * The reason goes in the node's comment too: a node set DOWN while it
 * powers up still times out on ResumeTimeout, and Slurm then replaces
 * the reason with its own; the comment stays, so soca-node-down's pass
 * knows the node for one of soca's (slurm_cron.c).
 */
void
soca_slurm_down(const char *nodes, const char *why)
{
	char *arg = soca_xasprintf("nodename=%s", nodes);
	char *reason = soca_xasprintf("reason=soca: %s", why);
	char *comment = soca_xasprintf("comment=soca: %s", why);
	char *argv[] = { "scontrol", "update", arg, "state=down", reason,
	    comment, NULL };
	char *out = soca_slurm_capture(argv);

	logx("nodes %s down: %s%s", nodes, why, out ? "" :
	    " (scontrol update failed)");
	free(out);
	free(arg);
	free(reason);
	free(comment);
}

/* the instance type a node set carries as a Feature (c5.large) */
static char *
node_type(const char *node)
{
	char *arg = soca_xasprintf("node=%s", node);
	char *argv[] = { "scontrol", "show", "-o", arg, NULL };
	char *out = soca_slurm_capture(argv), *f, *tok, *save = NULL, *type = NULL;

	free(arg);
	if (out == NULL || (f = soca_slurm_kv(out, "AvailableFeatures")) == NULL) {
		free(out);
		return NULL;
	}
	for (tok = strtok_r(f, ",", &save); tok && !type;
	    tok = strtok_r(NULL, ",", &save))
		if (strchr(tok, '.') != NULL)
			type = soca_xstrdup(tok);
	free(f);
	free(out);
	return type;
}

/* The Slurm job as a soca job: owner, account (project), partition. */
static int
slurm_job(const struct soca_conf *c, const struct soca_slurm_job *sj,
    struct soca_job *j, bool replay, char **why)
{
	char id[32], *argv[] = { "scontrol", "show", "-o", "job", id, NULL };
	char *out, *u, *paren, *part, num[32], *st = NULL;

	snprintf(id, sizeof(id), "%lld", sj->id);
	if ((out = soca_slurm_capture(argv)) == NULL) {
		*why = soca_xasprintf("scontrol show job %lld failed", sj->id);
		return -1;
	}
	memset(j, 0, sizeof(*j));
	j->id = sj->id;
	j->exit = -1;
	if ((u = soca_slurm_kv(out, "UserId")) != NULL) {
		if ((paren = strchr(u, '(')) != NULL) {
			j->uid = (uid_t)strtol(paren + 1, NULL, 10);
			*paren = '\0';
		}
		j->user = u;
	}
	j->name = soca_slurm_kv(out, "JobName");
	if ((j->project = soca_slurm_kv(out, "Account")) == NULL &&
	    (j->project = soca_slurm_kv(out, "WCKey")) == NULL)
		j->project = soca_slurm_kv(out, "Comment");
	if (j->project && strchr(j->project, ' '))	/* "cfd (held: ...)" */
		*strchr(j->project, ' ') = '\0';
	if (j->project && strcmp(j->project, "-") == 0) {	/* soca's none */
		free(j->project);
		j->project = NULL;
	}
	if (replay && (st = soca_slurm_kv(out, "JobState")) != NULL &&
	    strcmp(st, "CONFIGURING") != 0 && strcmp(st, "RUNNING") != 0) {
		*why = soca_xasprintf("job %lld is %s now: nothing to launch",
		    sj->id, st);
		free(st);
		free(out);
		soca_job_free(j);
		return 1;
	}
	free(st);
	part = sj->partition ? soca_xstrdup(sj->partition) : soca_slurm_kv(out,
	    "Partition");
	j->queue = part && soca_conf_has_section(c, "queue", part) ? part :
	    soca_xstrdup(soca_conf_get(c, "cluster", NULL, "default_queue"));
	if (j->queue != part)
		free(part);
	free(out);
	snprintf(num, sizeof(num), "%zu", sj->nnodes);
	soca_job_set_res(j, "nodes", num);
	return 0;
}

static char *
token(const char *cluster, const struct soca_slurm_job *sj)
{
	struct soca_buf b = { 0 };
	char h[65], *t;

	soca_buf_addf(&b, "%s/%lld", cluster, sj->id);
	for (size_t i = 0; i < sj->nnodes; i++)
		soca_buf_addf(&b, "/%s", sj->nodes[i]);
	soca_aws_sha256_hex(b.s, b.len, h);
	h[40] = '\0';
	t = soca_xasprintf("soca-s%lld-%s", sj->id, h);
	if (strlen(t) > 64)	/* EC2's limit */
		t[64] = '\0';
	soca_buf_free(&b);
	return t;
}

/* soca:SlurmJobId instead of soca:JobId: soca's own sweep leaves it be */
static void
slurm_tags(json_t *p, const struct soca_slurm_job *sj)
{
	json_t *spec;
	size_t i;
	char id[32];

	snprintf(id, sizeof(id), "%lld", sj->id);
	json_array_foreach(json_object_get(p, "TagSpecification"), i, spec) {
		json_t *tags = json_object_get(spec, "Tag"), *t;
		size_t k;

		if (i > 0 && tags == json_object_get(json_array_get(
		    json_object_get(p, "TagSpecification"), 0), "Tag"))
			continue;	/* instance and volume share one list */
		json_array_foreach(tags, k, t)
			if (strcmp(json_string_value(json_object_get(t, "Key")),
			    "soca:JobId") == 0) {
				json_object_set_new(t, "Key",
				    json_string("soca:SlurmJobId"));
				json_object_set_new(t, "Value", json_string(id));
			}
		json_array_append_new(tags, json_pack("{s:s, s:s}", "Key",
		    "soca:Scheduler", "Value", "slurm"));
	}
}

static json_t *
params(const struct soca_conf *c, const struct soca_slurm_job *sj,
    struct soca_job *j, char **why)
{
	const char *cluster = soca_conf_get(c, "cluster", NULL, "name");
	const char *ud = soca_conf_get(c, "aws", NULL, "user_data");
	struct soca_buf names = { 0 };
	char *tok, *s;
	json_t *p;

	if ((p = soca_aws_run_params(c, cluster, j, 0, 0, why)) == NULL)
		return NULL;
	tok = token(cluster, sj);
	json_object_set_new(p, "ClientToken", json_string(tok));
	free(tok);
	slurm_tags(p, sj);
	for (size_t i = 0; i < sj->nnodes; i++)
		soca_buf_addf(&names, "%s%s", i ? " " : "", sj->nodes[i]);
	if (ud && (s = soca_aws_user_data_nodes(c, ud, 0, names.s, why)) ==
	    NULL) {
		json_decref(p);
		soca_buf_free(&names);
		return NULL;
	}
	if (ud) {
		json_object_set_new(p, "UserData", json_string(s));
		free(s);
	}
	soca_buf_free(&names);
	return p;
}

static void
record(struct soca_spool *sp, const struct soca_slurm_job *sj, json_t *r)
{
	char *dir = sdir(sp, "nodes");
	json_t *inst;
	size_t i;

	json_array_foreach(json_object_get(r, "instancesSet"), i, inst) {
		const char *iid = json_string_value(json_object_get(inst,
		    "instanceId"));
		const char *li = json_string_value(json_object_get(inst,
		    "amiLaunchIndex"));
		long long n = li ? strtoll(li, NULL, 10) : -1;
		char *path, *line;

		if (iid == NULL || n < 0 || (size_t)n >= sj->nnodes)
			continue;
		path = soca_xasprintf("%s/%s", dir, sj->nodes[n]);
		line = soca_xasprintf("%s %lld\n", iid, sj->id);
		if (soca_write_atomic(path, line, strlen(line), 0660) < 0)
			logx("%s: %s", path, strerror(errno));
		logx("job %lld: node %s is %s", sj->id, sj->nodes[n], iid);
		free(path);
		free(line);
	}
	free(dir);
}

/* a capacity error backs the type off; any error sets the job's nodes DOWN */
static void
refused(const struct soca_conf *c, struct soca_spool *sp, const char *type,
    const char *nodes, struct soca_aws_err *e)
{
	char *s = soca_aws_err_str(e);

	if (e->kind == SOCA_AWS_E_SERVICE && soca_aws_capacity_code(e->code)) {
		char at[32];

		soca_time_utc(soca_slurm_backoff_set(c, sp, type, s), at);
		logx("%s backing off until %s", type, at);
	}
	soca_slurm_down(nodes, s);
	free(s);
	soca_aws_err_free(e);
}

/* a budget that is spent: the job waits held, its nodes go back */
static bool
over_budget(const struct soca_conf *c, const struct soca_job *j,
    const char *nodes)
{
	char *why = soca_job_budget(c, j, false), id[32];

	if (why == NULL)
		return false;
	snprintf(id, sizeof(id), "%lld", j->id);
	soca_slurm_down(nodes, why);
	soca_slurm_hold_why(id, j->project, why);
	logx("job %s: held: %s", id, why);
	free(why);
	return true;
}

static void
launch(const struct soca_conf *c, struct soca_spool *sp, struct soca_aws *a,
    const struct soca_slurm_job *sj, const char *nodes, bool replay)
{
	struct soca_aws_err e = { 0 };
	struct soca_job j;
	char *why = NULL, *type, at[32];
	json_t *p = NULL, *r;
	time_t until;
	int rc;

	if ((type = node_type(sj->nodes[0])) == NULL) {
		soca_slurm_down(nodes, "no instance type: give the node set "
		    "Feature=TYPE (soca-config slurm prints it)");
		return;
	}
	if (soca_slurm_backoff_get(sp, type, &until, NULL)) {
		soca_time_utc(until, at);
		why = soca_xasprintf("%s backing off until %s", type, at);
		soca_slurm_down(nodes, why);
		free(why);
		free(type);
		return;
	}
	if ((rc = slurm_job(c, sj, &j, replay, &why)) != 0) {
		if (rc < 0)
			soca_slurm_down(nodes, why);
		else
			logx("%s", why);
		free(type);
		free(why);
		return;
	}
	soca_job_set_res(&j, "instance_type", type);
	if (over_budget(c, &j, nodes))
		;
	else if ((p = params(c, sj, &j, &why)) == NULL) {
		soca_slurm_down(nodes, why);
	} else if ((r = soca_aws_ec2(a, "RunInstances", p, &e)) == NULL) {
		refused(c, sp, type, nodes, &e);
	} else {
		soca_crashpoint("slurm-after-run");
		record(sp, sj, r);
		json_decref(r);
	}
	json_decref(p);
	free(type);
	free(why);
	soca_job_free(&j);
}

/* the detached worker: one launch per job of the resume file */
static void
work(const struct soca_conf *c, struct soca_spool *sp, const char *text,
    size_t len, const char *arg, bool replay)
{
	struct soca_slurm_resume r;
	struct soca_aws_err e = { 0 };
	struct soca_aws *a;
	char *why;

	if ((why = soca_slurm_resume_parse(text, len, arg, &r)) != NULL) {
		logx("resume %s: %s", arg ? arg : "", why);
		free(why);
		return;
	}
	if ((a = soca_aws_open(c, &e)) == NULL) {
		char *s = soca_aws_err_str(&e);

		soca_slurm_down(arg, s);
		free(s);
		soca_aws_err_free(&e);
	}
	for (size_t i = 0; a && i < r.njobs; i++) {
		struct soca_buf b = { 0 };

		for (size_t k = 0; k < r.jobs[i].nnodes; k++)
			soca_buf_addf(&b, "%s%s", k ? "," : "",
			    r.jobs[i].nodes[k]);
		logx("job %lld: resume %s", r.jobs[i].id, b.s);
		launch(c, sp, a, &r.jobs[i], b.s, replay);
		soca_buf_free(&b);
	}
	if (a && r.njobs == 0 && !replay)
		soca_slurm_down(arg, "no job asked for these nodes (resumed by "
		    "hand?); soca launches capacity for jobs only");
	soca_aws_free(a);
	soca_slurm_resume_free(&r);
}

/* the instance id recorded for node in dir, or NULL */
char *
soca_slurm_node_iid(const char *dir, const char *node)
{
	char *path = soca_xasprintf("%s/%s", dir, node), line[128], *sp;
	FILE *f = fopen(path, "r");
	char *id = NULL;

	free(path);
	if (f == NULL)
		return NULL;
	if (fgets(line, sizeof(line), f) && (sp = strchr(line, ' ')) != NULL)
		id = soca_xstrndup(line, (size_t)(sp - line));
	fclose(f);
	return id;
}

static char *
slurp_fd(int fd, size_t *len)
{
	struct soca_buf b = { 0 };
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 &&
	    errno == EINTR))
		if (n > 0)
			soca_buf_add(&b, buf, (size_t)n);
	*len = b.len;
	return b.s;
}

/* the worker holds its resume copy locked; done, the copy goes */
static void
detach(const struct soca_conf *c, struct soca_spool *sp, const char *copy,
    int fd, const char *text, size_t len, const char *arg, bool replay)
{
	char *lp = sdir(sp, NULL), *logp = soca_xasprintf("%s/log", lp);

	free(lp);
	setsid();
	if (fork() != 0)
		_exit(0);
	slog = fopen(logp, "a");
	free(logp);
	if (slog)	/* warnings and crash reports land in the log too */
		dup2(fileno(slog), STDERR_FILENO);
	logx("resume %s: worker started%s", arg, replay ? " (a replay: its "
	    "first worker died)" : "");
	work(c, sp, text, len, arg, replay);
	if (copy)
		unlink(copy);
	if (fd >= 0)
		close(fd);
	logx("resume %s: worker done", arg);
	_exit(0);
}

/*
 * The copy, written under a temporary name and renamed into place while
 * locked: a copy without a lock is always a dead worker's.  The locked
 * fd, or -1.
 */
static int
locked_copy(const char *path, const char *text, size_t len)
{
	char *tmp = soca_xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	size_t off = 0;
	ssize_t n;

	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		free(tmp);
		return -1;
	}
	while (off < len && ((n = write(fd, text + off, len - off)) > 0 ||
	    (n < 0 && errno == EINTR)))
		off += n > 0 ? (size_t)n : 0;
	if (off < len || fsync(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		close(fd);
		free(tmp);
		return -1;
	}
	free(tmp);
	return fd;
}

/*
 * ResumeProgram: copy the resume file, start the worker, return.  0, or
 * -1 with errno when not even the copy could be made.  The copy stays
 * locked by the worker until it is done: a copy left unlocked is a worker
 * that died, which soca-node-up's pass replays (soca_slurm_replay).
 */
int
soca_slurm_resume(const struct soca_conf *c, struct soca_spool *sp,
    const char *arg)
{
	const char *file = getenv("SLURM_RESUME_FILE");
	char *dir = sdir(sp, "resume"), *copy, *text = NULL;
	size_t len = 0;
	pid_t pid;
	int fd, lk = -1;

	if (file && (fd = open(file, O_RDONLY | O_CLOEXEC)) >= 0) {
		text = slurp_fd(fd, &len);
		close(fd);
	}
	copy = soca_xasprintf("%s/%lld.%ld.json", dir, (long long)time(NULL),
	    (long)getpid());
	free(dir);
	if (text && (lk = locked_copy(copy, text, len)) < 0)
		warn("%s", copy);
	if ((pid = fork()) < 0) {
		free(copy);
		free(text);
		return -1;
	}
	if (pid == 0)
		detach(c, sp, lk >= 0 ? copy : NULL, lk, text, len, arg,
		    false);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (lk >= 0)
		close(lk);
	free(copy);
	free(text);
	return 0;
}

/*
 * soca-node-up's pass: replay each resume copy that no worker holds (its
 * worker died, e.g. killed after RunInstances).  The same ClientTokens
 * make EC2 answer with the instances it launched, which get recorded;
 * jobs neither CONFIGURING nor RUNNING are left alone.  The number
 * replayed.
 */
int
soca_slurm_replay(const struct soca_conf *c, struct soca_spool *sp)
{
	char *dir = sdir(sp, "resume"), *path, *text, *all;
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t len;
	int n = 0, fd;
	pid_t pid;

	while (d && (de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);

		if (de->d_name[0] == '.' || nl < 6 ||
		    strcmp(de->d_name + nl - 5, ".json") != 0)
			continue;
		path = soca_xasprintf("%s/%s", dir, de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
		    flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (fd >= 0)
				close(fd);
			free(path);
			continue;
		}
		text = slurp_fd(fd, &len);
		all = soca_slurm_all_nodes(text, len);
		if ((pid = fork()) == 0)
			detach(c, sp, path, fd, text, len, all, true);
		while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		n += pid > 0;
		close(fd);
		free(all);
		free(text);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}

/*
 * SuspendProgram and ResumeFailProgram: terminate the instances of
 * these nodes (from slurm/nodes/NAME, which only soca's launches write)
 * and forget them.  0, or -1 when AWS refused.
 */
int
soca_slurm_suspend(const struct soca_conf *c, struct soca_spool *sp,
    const char *arg)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws *a = NULL;
	char **names, **ids = NULL, *dir = sdir(sp, "nodes"), *lp;
	size_t n, nids = 0;
	int rc = 0;

	lp = soca_xasprintf("%s/../log", dir);
	slog = fopen(lp, "a");
	free(lp);
	if (soca_hostlist_expand(arg, &names, &n) < 0) {
		logx("suspend: bad hostlist \"%s\"", arg);
		free(dir);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = soca_xasprintf("%s/%s", dir, names[i]), line[128];
		FILE *f = fopen(path, "r");

		if (f && fgets(line, sizeof(line), f) && strchr(line, ' ')) {
			*strchr(line, ' ') = '\0';
			ids = soca_xreallocarray(ids, nids + 1, sizeof(*ids));
			ids[nids++] = soca_xstrdup(line);
			logx("suspend %s: terminating %s", names[i], line);
		}
		if (f)
			fclose(f);
		free(path);
	}
	if (nids > 0 && ((a = soca_aws_open(c, &e)) == NULL ||
	    soca_aws_terminate(a, ids, nids, slog) < 0)) {
		rc = -1;
		soca_aws_err_free(&e);
	} else {
		for (size_t i = 0; i < n; i++) {
			char *path = soca_xasprintf("%s/%s", dir, names[i]);

			unlink(path);
			free(path);
		}
	}
	if (nids > 0 && a)
		soca_aws_free(a);
	soca_strv_free(ids, nids);
	soca_strv_free(names, n);
	free(dir);
	return rc;
}

/* is node one of the lines of list (sinfo -N -o %N)? */
static bool
listed(const char *list, const char *node)
{
	size_t n = strlen(node);

	for (const char *p = list; (p = strstr(p, node)) != NULL; p += n)
		if ((p == list || p[-1] == '\n') && (p[n] == '\n' ||
		    p[n] == '\0'))
			return true;
	return false;
}

/*
 * Does Slurm still want node's instance?  No when Slurm does not know the
 * node, or has it powered down (or powering down): its SuspendProgram
 * run was lost.  A node Slurm cannot be asked about is kept.
 */
static bool
node_wanted(const char *node, bool *asked)
{
	char *arg = soca_xasprintf("node=%s", node);
	char *argv[] = { "scontrol", "show", "-o", arg, NULL };
	char *out = soca_slurm_capture(argv), *st;
	bool want = true;

	free(arg);
	*asked = out != NULL;
	if (out == NULL) {	/* not known, or slurmctld down: sinfo says */
		char *sargv[] = { "sinfo", "-h", "-N", "-o", "%N", NULL };
		char *all = soca_slurm_capture(sargv);

		*asked = all != NULL;
		want = all == NULL || listed(all, node);
		free(all);
		return want;
	}
	if ((st = soca_slurm_kv(out, "State")) != NULL)
		want = strstr(st, "POWERED_DOWN") == NULL &&
		    strstr(st, "POWERING_DOWN") == NULL;
	free(st);
	free(out);
	return want;
}

/* one record of slurm/nodes: terminate when Slurm no longer wants it */
static void
reap_record(const char *dir, const char *node, char ***ids, size_t *n,
    FILE *f)
{
	char *path = soca_xasprintf("%s/%s", dir, node), line[128];
	FILE *r = fopen(path, "r");
	bool asked;

	if (r && fgets(line, sizeof(line), r) && strchr(line, ' ') &&
	    !node_wanted(node, &asked) && asked) {
		*strchr(line, ' ') = '\0';
		*ids = soca_xreallocarray(*ids, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = soca_xstrdup(line);
		fprintf(f, "%s %s terminated: Slurm has it powered down or "
		    "does not know it\n", node, line);
		unlink(path);
	}
	if (r)
		fclose(r);
	free(path);
}

/*
 * soca-node-down's pass with the Slurm bridge: the instances of recorded
 * nodes Slurm no longer wants, and tagged instances of this cluster's
 * Slurm nodes that no record names (a resume killed before it recorded)
 * once older than [aws] orphan_grace: terminated by instance id.
 */
int
soca_slurm_reap(const struct soca_conf *c, struct soca_spool *sp, FILE *f)
{
	struct soca_aws_err e = { 0 };
	struct soca_ec2_inst *v = NULL;
	struct soca_aws *a;
	char *dir = sdir(sp, "nodes"), **ids = NULL, **rec = NULL;
	size_t n = 0, nv = 0, nrec = 0;
	long long grace = soca_conf_int(c, "aws", NULL, "orphan_grace");
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			reap_record(dir, de->d_name, &ids, &n, f);
			rec = soca_xreallocarray(rec, nrec + 1, sizeof(*rec));
			rec[nrec++] = soca_slurm_node_iid(dir, de->d_name);
		}
	if (d)
		closedir(d);
	if ((a = soca_aws_open(c, &e)) == NULL || soca_aws_describe(a,
	    soca_conf_get(c, "cluster", NULL, "name"), false, &v, &nv, &e) < 0)
		rc = -1;
	for (size_t i = 0; i < nv; i++) {
		bool known = false;

		for (size_t k = 0; k < nrec && !known; k++)
			known = rec[k] && strcmp(rec[k], v[i].id) == 0;
		if (v[i].slurm == NULL || known ||
		    time(NULL) - v[i].launched < grace)
			continue;
		ids = soca_xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = soca_xstrdup(v[i].id);
		fprintf(f, "%s terminated: Slurm job %s's instance, no node "
		    "recorded for it\n", v[i].id, v[i].slurm);
	}
	if (a && n > 0 && soca_aws_terminate(a, ids, n, f) < 0)
		rc = -1;
	if (rc < 0 && e.kind != SOCA_AWS_OK) {
		char *s = soca_aws_err_str(&e);

		warnx("%s", s);
		free(s);
	}
	soca_aws_err_free(&e);
	soca_ec2_inst_free(v, nv);
	soca_aws_free(a);
	for (size_t k = 0; k < nrec; k++)
		free(rec[k]);
	free(rec);
	soca_strv_free(ids, n);
	free(dir);
	return rc;
}

/*
 * soca-node-up HOSTLIST (resume) and soca-node-down HOSTLIST (suspend):
 * the exit status; frees c.
 */
int
soca_slurm_command(struct soca_conf *c, const char *hostlist, bool resume)
{
	struct soca_spool *sp;
	int rc = SOCA_EX_OK;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "scheduler"), "slurm")) {
		warnx("%s: a hostlist is for Slurm's %s; set [cluster] "
		    "scheduler = slurm (or give no arguments)", hostlist,
		    resume ? "ResumeProgram" : "SuspendProgram");
		soca_conf_free(c);
		return SOCA_EX_USAGE;
	}
	sp = soca_spool_open(c, true);
	if (resume && soca_slurm_resume(c, sp, hostlist) < 0) {
		warn("resume %s", hostlist);
		rc = SOCA_EX_TEMP;
	} else if (!resume && soca_slurm_suspend(c, sp, hostlist) < 0)
		rc = SOCA_EX_TEMP;
	soca_spool_close(sp);
	soca_conf_free(c);
	return rc;
}

/* soca-node-run --slurmd: this instance's slurmd, by its launch index */
void
soca_slurm_boot(void)
{
	static const char *const key[] = { "ami-launch-index" };
	const char *list = getenv("SOCA_SLURM_NODES");
	char *idx = NULL, *names, *tok, *save = NULL;
	long i, k = 0;

	soca_slurm_harden();
	if (list == NULL || soca_imds_get(key, &idx, 1) < 0)
		errx(SOCA_EX_TEMP, "--slurmd: no SOCA_SLURM_NODES in the "
		    "environment, or no launch index from IMDS");
	i = strtol(idx, NULL, 10);
	free(idx);
	names = soca_xstrdup(list);
	for (tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ",
	    &save), k++)
		if (k == i) {
			execlp("slurmd", "slurmd", "-b", "-N", tok, (char *)NULL);
			warn("slurmd");
			free(names);
			exit(SOCA_EX_TEMP);
		}
	free(names);
	errx(SOCA_EX_TEMP, "--slurmd: launch index %ld, but only %ld nodes "
	    "in SOCA_SLURM_NODES", i, k);
}
