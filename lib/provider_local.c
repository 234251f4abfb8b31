/*
 * provider_local.c: capacity is this host.  A job takes nodes x ncpus
 * (with -l select, each chunk's count x ncpus) slots out of [cluster] slots (default: the number of cores); a job
 * that could never fit is held with that reason rather than run.
 * Launching starts soca-node-run for the job, detached (double fork,
 * setsid, stdio on /dev/null), so the dispatcher never waits for a job.
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "provider.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

struct local {
	long long slots, used;
};

static long long
need(const struct soca_job *j)
{
	return soca_job_cpus(j);	/* nodes x ncpus, or each chunk's */
}

static void
local_busy(struct soca_provider *p, const struct soca_job *j)
{
	((struct local *)p->ctx)->used += need(j);
}

static enum soca_launch
local_admit(struct soca_provider *p, const struct soca_job *j, char **why)
{
	struct local *l = p->ctx;
	long long n = need(j);

	if (n > l->slots) {
		*why = soca_xasprintf("capacity: the job needs %lld cpus "
		    "(nodes x ncpus), this host has %lld slots", n, l->slots);
		return SOCA_LAUNCH_HOLD;
	}
	if (l->used + n > l->slots) {
		*why = soca_xasprintf("capacity: %lld of %lld slots in use, "
		    "the job needs %lld", l->used, l->slots, n);
		return SOCA_LAUNCH_HOLD;
	}
	return SOCA_LAUNCH_OK;
}

static enum soca_launch
local_launch(struct soca_provider *p, struct soca_job *j, char **why)
{
	char id[32], *prog = soca_libexec("soca-node-run");
	char *argv[] = { "soca-node-run", id, NULL };
	int r;

	snprintf(id, sizeof(id), "%lld", j->id);
	r = soca_spawn_detached(prog, argv);
	free(prog);
	if (r < 0) {
		*why = soca_xstrdup("capacity: cannot start soca-node-run");
		return SOCA_LAUNCH_HOLD;
	}
	((struct local *)p->ctx)->used += need(j);
	return SOCA_LAUNCH_OK;
}

static int
local_nothing(struct soca_provider *p, const struct soca_job *j)
{
	(void)p;
	(void)j;
	return 0;
}

static int
local_sweep(struct soca_provider *p)
{
	(void)p;
	return 0;
}

static void
local_free(struct soca_provider *p)
{
	free(p->ctx);
	free(p);
}

struct soca_provider *
soca_provider_local(const struct soca_conf *c, struct soca_spool *sp)
{
	struct soca_provider *p = soca_xcalloc(1, sizeof(*p));
	struct local *l = soca_xcalloc(1, sizeof(*l));

	(void)sp;
	l->slots = soca_conf_int(c, "cluster", NULL, "slots");
	if (l->slots < 1)
		l->slots = 1;
	p->name = "local";
	p->ctx = l;
	p->busy = local_busy;
	p->admit = local_admit;
	p->launch = local_launch;
	p->release = local_nothing;
	p->sweep = local_sweep;
	p->free = local_free;
	return p;
}

struct soca_provider *
soca_provider_open(const struct soca_conf *c, struct soca_spool *sp)
{
	const char *name = soca_conf_get(c, "cluster", NULL, "provider");

	if (strcmp(name, "local") == 0)
		return soca_provider_local(c, sp);
	if (strcmp(name, "aws") == 0)
		return soca_provider_aws(c, sp);
	errx(SOCA_EX_USAGE, "provider %s: not available in this build "
	    "(set [cluster] provider = local)", name);
}

/* A sibling of the running binary (the build tree), else BINDIR's. */
char *
soca_libexec(const char *prog)
{
	char self[PATH_MAX], *slash, *p;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			p = soca_xasprintf("%s/%s", self, prog);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return soca_xasprintf("%s/%s", BINDIR, prog);
}

/* Start prog in its own session, not our child, stdio on /dev/null. */
int
soca_spawn_detached(const char *prog, char *const argv[])
{
	pid_t pid = fork(), gc;
	int st, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		setsid();
		if ((gc = fork()) != 0)
			_exit(gc < 0);
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		execv(prog, argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}
