/*
 * desktop_tick.c: the cron pass over every desktop, and the node's report
 * it reads.
 *
 * The tick makes one DescribeInstances sweep (tag:soca:NodeType=desktop)
 * and decides each desktop from its EC2 state, its record and its node's
 * report, all as of now (SOCA_NOW in tests):
 *   - inside its window and stopped: start, unless its owner stopped it
 *     by hand since the window began;
 *   - outside its window (or with no schedule) and running: stop when
 *     [desktop] stop_at_window_end is set and a window ended since it was
 *     last started, or when it is idle: its node's report (fresh, see
 *     report_max_age) shows no DCV connection for idle_hours, the load
 *     below idle_cpu and every GPU below idle_gpu.
 * pending and stopping desktops are left alone, so a second tick right
 * after the first takes no action: the state it acted on has moved.
 * Each action is one call for one desktop; a failure is logged and the
 * other desktops go on (the next tick retries: the state is still true).
 * Every action is logged with its reason.  With [desktop]
 * alb_listener_arn, the ALB's rules follow the same sweep first
 * (desktop_alb.c).  One tick at a time
 * (desktop/.tick, non-blocking: a second one exits quietly).
 *
 * The report (soca-desktop report, on the desktop, from a systemd timer)
 * is desktop/report/INSTANCE-ID in the shared spool: the DCV session's
 * connection count and last disconnection (dcv describe-session -j), the
 * 1-minute load (/proc/loadavg) and the busiest GPU's utilisation
 * (nvidia-smi, when there is one).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "desktop.h"

extern char **environ;

struct report {
	time_t at, last_disc, created;
	long conns;
	double load, gpu;	/* gpu < 0: none */
	bool ok;		/* DCV answered */
};

static char *
report_path(const char *spool, const char *iid)
{
	return soca_xasprintf("%s/desktop/report/%s", spool, iid);
}

static int
report_read(struct soca_spool *sp, const char *iid, struct report *r)
{
	char *p = report_path(soca_spool_dir(sp), iid), line[256];
	FILE *f = fopen(p, "r");

	memset(r, 0, sizeof(*r));
	r->gpu = -1;
	free(p);
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char k[32];
		double v;

		if (sscanf(line, "%31s %lf", k, &v) != 2 || !isfinite(v))
			continue;
		if (strcmp(k, "time") == 0)
			r->at = (time_t)v;
		else if (strcmp(k, "connections") == 0)
			r->conns = (long)v;
		else if (strcmp(k, "last_disconnect") == 0)
			r->last_disc = (time_t)v;
		else if (strcmp(k, "created") == 0)
			r->created = (time_t)v;
		else if (strcmp(k, "load") == 0)
			r->load = v;
		else if (strcmp(k, "gpu") == 0)
			r->gpu = v;
		else if (strcmp(k, "dcv") == 0)
			r->ok = v != 0;
	}
	fclose(f);
	return 0;
}

/* idle: *why is the reason either way */
static bool
idle(struct soca_desk_ctx *x, const char *iid, char **why)
{
	struct report r;
	double hours = soca_conf_number(x->c, "desktop", NULL, "idle_hours");
	double cpu = soca_conf_number(x->c, "desktop", NULL, "idle_cpu");
	double gpu = soca_conf_number(x->c, "desktop", NULL, "idle_gpu");
	long long age = soca_conf_int(x->c, "desktop", NULL, "report_max_age");
	time_t since;

	if (report_read(x->sp, iid, &r) < 0) {
		*why = soca_xstrdup("no report from the node");
		return false;
	}
	if (x->now - r.at > age) {
		*why = soca_xasprintf("report %lld s old (report_max_age %lld)",
		    (long long)(x->now - r.at), age);
		return false;
	}
	since = r.last_disc ? r.last_disc : r.created;
	if (!r.ok)
		*why = soca_xstrdup("DCV did not describe the session");
	else if (r.conns > 0)
		*why = soca_xasprintf("%ld DCV connection(s)", r.conns);
	else if (since == 0 || x->now - since < hours * 3600)
		*why = soca_xasprintf("no connection for %.1f h only "
		    "(idle_hours %g)", since ? (x->now - since) / 3600.0 : 0.0,
		    hours);
	else if (r.load >= cpu)
		*why = soca_xasprintf("load %.2f (idle_cpu %g)", r.load, cpu);
	else if (r.gpu >= gpu)
		*why = soca_xasprintf("GPU %.0f%% (idle_gpu %g)", r.gpu, gpu);
	else {
		*why = soca_xasprintf("idle: no DCV connection for %.1f h, load "
		    "%.2f, GPU %s", (x->now - since) / 3600.0, r.load,
		    r.gpu < 0 ? "none" : "idle");
		return true;
	}
	return false;
}

static void
say(struct soca_desk_ctx *x, const struct soca_ec2_inst *i,
    const char *what, const char *why)
{
	struct tm tm;
	char ts[32];

	gmtime_r(&x->now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%MZ", &tm);
	fprintf(x->log, "%s %s/%s %s %s: %s\n", ts, i->owner, i->dname, i->id,
	    what, why);
}

static int
act(struct soca_desk_ctx *x, const struct soca_ec2_inst *i, const char *op,
    const char *what, const char *why)
{
	struct soca_aws_err e = { 0 };
	json_t *p = json_pack("{s:[s]}", "InstanceId", i->id), *r;
	char *s, *m;

	r = soca_aws_ec2(x->a, op, p, &e);
	json_decref(p);
	if (r != NULL) {
		json_decref(r);
		say(x, i, what, why);
		if (strcmp(op, "StopInstances") == 0)
			soca_desk_stopped(x->sp, i->owner, i->dname, x->now);
		return 0;
	}
	s = e.message ? soca_xstrdup(e.message) : soca_aws_err_str(&e);
	m = soca_xasprintf("%s (failed: %s%s%s; retried next tick)", why,
	    e.code ? e.code : "", e.code ? ": " : "", s);
	say(x, i, what, m);
	free(s);
	free(m);
	soca_aws_err_free(&e);
	return -1;
}

static int
one(struct soca_desk_ctx *x, const struct soca_ec2_inst *i, bool verbose)
{
	struct soca_desk d;
	bool inside = false, run = strcmp(i->state, "running") == 0;
	time_t ws = 0, le = 0;
	char *why = NULL;
	int rc = 0;

	if (soca_desk_read(x->sp, i->owner, i->dname, &d) < 0) {
		say(x, i, "skip", "its spool record cannot be read");
		soca_desk_free(&d);
		return -1;
	}
	if (d.sched.set)
		soca_sched_eval(&d.sched, x->now, &inside, &ws, &le, &why);
	if (inside && strcmp(i->state, "stopped") == 0) {
		if (d.user_stop < ws)
			rc = act(x, i, "StartInstances", "start", why);
		else if (verbose)
			say(x, i, "keep", "stopped by its owner in this window");
	} else if (!inside && run) {
		time_t started = d.user_start > i->launched ? d.user_start :
		    i->launched;
		char *iw = NULL;

		if (d.sched.set && le > started && soca_conf_bool(x->c,
		    "desktop", NULL, "stop_at_window_end")) {
			char *m = soca_xasprintf("%s; window ended "
			    "(stop_at_window_end)", why);

			rc = act(x, i, "StopInstances", "stop", m);
			free(m);
		} else if (idle(x, i->id, &iw)) {
			char *m = soca_xasprintf("%s; %s", why ? why :
			    "no schedule", iw);

			rc = act(x, i, "StopInstances", "stop", m);
			free(m);
		} else if (verbose)
			say(x, i, "keep", iw);
		free(iw);
	} else if (verbose)
		say(x, i, "keep", why ? why : i->state);
	free(why);
	soca_desk_free(&d);
	return rc;
}

int
soca_desk_tick(struct soca_desk_ctx *x)
{
	struct soca_aws_err e = { 0 };
	struct soca_ec2_inst *v;
	char *lp = soca_xasprintf("%s/desktop", soca_spool_dir(x->sp));
	size_t n, failed = 0;
	int fd;

	soca_desk_mkdir(lp);
	free(lp);
	lp = soca_xasprintf("%s/desktop/.tick", soca_spool_dir(x->sp));
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	free(lp);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (fd >= 0)
			close(fd);
		return fd < 0 ? SOCA_EX_TEMP : 0;	/* another tick runs */
	}
	if (soca_desk_sweep(x, NULL, &v, &n, &e) < 0) {
		char *s = soca_aws_err_str(&e);
		int rc = soca_aws_err_exit(&e);

		warnx("tick: DescribeInstances: %s", s);
		free(s);
		soca_aws_err_free(&e);
		close(fd);
		return rc;
	}
	/* the ALB as of the sweep: this tick's stops and starts show next */
	if (soca_desk_alb_tick(x, v, n) < 0)
		failed++;
	for (size_t k = 0; k < n; k++)
		if (v[k].owner && v[k].dname && v[k].state &&
		    one(x, &v[k], x->verbose) < 0)
			failed++;
	soca_ec2_inst_free(v, n);
	fflush(x->log);
	close(fd);
	return failed ? SOCA_EX_FALSE : 0;
}

/* ---- the node's report ---- */

static char *
run_cmd(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	struct soca_buf b = { 0 };
	int pfd[2], st;
	char buf[4096];
	ssize_t r;
	pid_t pid;

	if (pipe(pfd) < 0)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while ((r = read(pfd[0], buf, sizeof(buf))) > 0 && b.len < 1 << 20)
		soca_buf_add(&b, buf, (size_t)r);
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		soca_buf_free(&b);
		return NULL;
	}
	soca_buf_add(&b, "", 0);
	return soca_buf_steal(&b);
}

static time_t
iso(json_t *v)
{
	const char *s = json_string_value(v);
	struct tm tm = { 0 };

	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

static double
gpu_busy(void)
{
	char *argv[] = { "nvidia-smi", "--query-gpu=utilization.gpu",
		"--format=csv,noheader,nounits", NULL };
	char *out = run_cmd(argv), *line, *save = NULL;
	double max = -1;

	if (out == NULL)
		return -1;
	for (line = strtok_r(out, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *end;
		double v = strtod(line, &end);

		if (end != line && isfinite(v) && v > max)
			max = v;
	}
	free(out);
	return max;
}

int
soca_desk_report(const struct soca_conf *c, struct soca_spool *sp,
    const char *iid, const char *session)
{
	char *argv[] = { "dcv", "describe-session", "-j", (char *)session,
		NULL };
	const char *la = getenv("SOCA_LOADAVG");
	char *out = run_cmd(argv), *p, *dir;
	struct soca_buf b = { 0 };
	json_t *j = out ? json_loads(out, 0, NULL) : NULL;
	double load = 0;
	FILE *f;
	int rc;

	(void)c;
	if ((f = fopen(la ? la : "/proc/loadavg", "r")) != NULL) {
		if (fscanf(f, "%lf", &load) != 1 || !isfinite(load))
			load = 0;
		fclose(f);
	}
	soca_buf_addf(&b, "time %lld\ndcv %d\n", (long long)soca_desk_now(),
	    json_is_object(j) ? 1 : 0);
	if (json_is_object(j))
		soca_buf_addf(&b, "connections %lld\nlast_disconnect %lld\n"
		    "created %lld\n", (long long)json_integer_value(
		    json_object_get(j, "num-of-connections")), (long long)iso(
		    json_object_get(j, "last-disconnection-time")),
		    (long long)iso(json_object_get(j, "creation-time")));
	soca_buf_addf(&b, "load %.2f\ngpu %.0f\n", load, gpu_busy());
	json_decref(j);
	free(out);
	dir = soca_xasprintf("%s/desktop", soca_spool_dir(sp));
	soca_desk_mkdir(dir);
	free(dir);
	dir = soca_xasprintf("%s/desktop/report", soca_spool_dir(sp));
	soca_desk_mkdir(dir);
	free(dir);
	p = report_path(soca_spool_dir(sp), iid);
	rc = soca_write_atomic(p, b.s, b.len, 0664);
	if (rc < 0)
		warn("report: %s", p);
	free(p);
	soca_buf_free(&b);
	return rc < 0 ? SOCA_EX_TEMP : 0;
}
