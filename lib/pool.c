/*
 * pool.c: launches in flight at once, as forked workers.
 *
 * A launch mostly waits: on the network, on the remote API and on the
 * spool's fsyncs.  The dispatcher hands admitted jobs (by id) to up to
 * `workers` children, forked when first needed, one job each at a time
 * over a pipe; each answers on its own pipe with the job's result and a
 * note (fixed size, so one write is one read).  How many may be in
 * flight grows like TCP's slow start: one at first, one more after each
 * success (result 0), so a run that meets throttling on its first call
 * has sent only that one; the caller stops giving jobs once told to.
 * A worker that dies while it holds a job reports -1 for it and the pool
 * is marked broken; closing the job pipes ends the others, which finish
 * the job they hold first.  SIGPIPE is ignored while the pool lives.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "soca.h"
#include "pool.h"

struct answer {
	size_t job;
	int rc;
	char note[SOCA_POOL_NOTE];
};

struct worker {
	pid_t pid;
	int cmd, res;		/* job pipe (write end), answer pipe (read) */
	bool busy;
	size_t job;
};

struct soca_pool {
	struct worker *w;
	int max, n, busy, window;
	bool broken;
	soca_pool_work work;
	soca_pool_done done;
	void *arg;
	struct sigaction pipe_was;
};

struct soca_pool *
soca_pool_new(int workers, soca_pool_work work, soca_pool_done done,
    void *arg)
{
	struct soca_pool *pl = soca_xcalloc(1, sizeof(*pl));
	struct sigaction ign = { .sa_handler = SIG_IGN };

	pl->max = workers < 1 ? 1 : workers;
	pl->w = soca_xcalloc((size_t)pl->max, sizeof(*pl->w));
	pl->window = 1;
	pl->work = work;
	pl->done = done;
	pl->arg = arg;
	sigaction(SIGPIPE, &ign, &pl->pipe_was);
	return pl;
}

static ssize_t
full(int fd, void *buf, size_t n, bool wr)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = wr ? write(fd, (char *)buf + off, n - off) :
		    read(fd, (char *)buf + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return off ? (ssize_t)off : r;
		off += (size_t)r;
	}
	return (ssize_t)off;
}

static void __attribute__((noreturn))
worker_main(struct soca_pool *pl, int cmd, int res)
{
	struct answer a;
	size_t job;

	for (;;) {
		if (full(cmd, &job, sizeof(job), false) != sizeof(job))
			_exit(0);
		memset(&a, 0, sizeof(a));
		a.job = job;
		a.rc = pl->work(job, pl->arg, a.note, sizeof(a.note));
		a.note[sizeof(a.note) - 1] = '\0';
		if (full(res, &a, sizeof(a), true) != sizeof(a))
			_exit(0);
	}
}

static struct worker *
spawn(struct soca_pool *pl)
{
	struct worker *w = &pl->w[pl->n];
	int c[2], r[2];

	if (pipe2(c, O_CLOEXEC) < 0)
		return NULL;
	if (pipe2(r, O_CLOEXEC) < 0) {
		close(c[0]);
		close(c[1]);
		return NULL;
	}
	if ((w->pid = fork()) < 0) {
		close(c[0]);
		close(c[1]);
		close(r[0]);
		close(r[1]);
		return NULL;
	}
	if (w->pid == 0) {
		for (int i = 0; i < pl->n; i++) {
			close(pl->w[i].cmd);
			close(pl->w[i].res);
		}
		close(c[1]);
		close(r[0]);
		worker_main(pl, c[0], r[1]);
	}
	close(c[0]);
	close(r[1]);
	w->cmd = c[1];
	w->res = r[0];
	pl->n++;
	return w;
}

/* One answer from w (or its death). */
static void
collect(struct soca_pool *pl, struct worker *w)
{
	struct answer a;
	int st;

	w->busy = false;
	pl->busy--;
	if (full(w->res, &a, sizeof(a), false) == sizeof(a)) {
		if (a.rc == 0 && pl->window < pl->max)
			pl->window++;
		pl->done(a.job, a.rc, a.note, pl->arg);
		return;
	}
	pl->broken = true;
	close(w->cmd);
	close(w->res);
	w->cmd = w->res = -1;
	if (waitpid(w->pid, &st, 0) == w->pid && WIFSIGNALED(st))
		warnx("launch worker %ld: killed by signal %d", (long)w->pid,
		    WTERMSIG(st));
	else
		warnx("launch worker %ld: ended with a job", (long)w->pid);
	w->pid = 0;
	pl->done(w->job, -1, "", pl->arg);
}

/* Wait for answers while `least` or more jobs are in flight. */
static void
drain(struct soca_pool *pl, int least)
{
	struct pollfd *fds = soca_xcalloc((size_t)pl->max, sizeof(*fds));
	struct worker **who = soca_xcalloc((size_t)pl->max, sizeof(*who));

	while (pl->busy > 0 && pl->busy >= least) {
		int k = 0;

		for (int i = 0; i < pl->n; i++)
			if (pl->w[i].busy) {
				fds[k] = (struct pollfd){ pl->w[i].res, POLLIN,
				    0 };
				who[k++] = &pl->w[i];
			}
		if (poll(fds, (nfds_t)k, -1) < 0) {
			if (errno == EINTR)
				continue;
			err(SOCA_EX_TEMP, "poll");
		}
		for (int i = 0; i < k; i++)
			if (fds[i].revents)
				collect(pl, who[i]);
	}
	free(fds);
	free(who);
}

/* Return once another job may be given (answers are handled meanwhile). */
void
soca_pool_ready(struct soca_pool *pl)
{
	drain(pl, pl->window);
}

/* Give job to an idle worker; -1 if none can be had (run it yourself). */
int
soca_pool_give(struct soca_pool *pl, size_t job)
{
	struct worker *w = NULL;

	soca_pool_ready(pl);
	for (int i = 0; i < pl->n && w == NULL; i++)
		if (!pl->w[i].busy && pl->w[i].pid > 0)
			w = &pl->w[i];
	if (w == NULL && (pl->n >= pl->max || (w = spawn(pl)) == NULL))
		return -1;
	if (full(w->cmd, &job, sizeof(job), true) != sizeof(job)) {
		close(w->cmd);
		close(w->res);
		waitpid(w->pid, NULL, 0);
		w->pid = 0;
		return -1;
	}
	w->busy = true;
	w->job = job;
	pl->busy++;
	return 0;
}

/* Every answer in, workers gone: 0, or -1 if one died with a job. */
int
soca_pool_end(struct soca_pool *pl)
{
	int st, rc;

	drain(pl, 1);
	for (int i = 0; i < pl->n; i++) {
		if (pl->w[i].pid <= 0)
			continue;
		close(pl->w[i].cmd);
		close(pl->w[i].res);
		while (waitpid(pl->w[i].pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	sigaction(SIGPIPE, &pl->pipe_was, NULL);
	rc = pl->broken ? -1 : 0;
	free(pl->w);
	free(pl);
	return rc;
}
