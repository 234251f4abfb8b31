/*
 * spawn.c: running a soca command as the authenticated user.
 *
 * Owns the only way soca-api acts: sudo -n -u USER -- BINDIR/soca-x
 * ARGV..., started with posix_spawn from an argv array (no shell
 * anywhere), with a request body fed through a pipe to its stdin, its
 * stdout and stderr captured up to [web] max_output bytes each, and
 * [web] timeout to finish (then SIGTERM, then SIGKILL).  Before sudo is
 * asked, the user must exist, be no root and have a uid of at least
 * [web] min_uid; the command must be a plain name.  The shipped sudoers
 * drop-in (etc/web/sudoers) is the second lock on the same door.
 *
 * An administrator's action on the directory (api_admin.c) goes one step
 * further: sudo -n -u ADMIN -- sudo -n -u DIRUSER -- BINDIR/soca-user
 * ARGV..., where DIRUSER ([web] directory_user) owns [ldap]
 * bind_password_file; the second sudo runs as the administrator, so its
 * rule (%ADMINS ALL=(DIRUSER) ...) has sudo itself check the admin group
 * once more, and soca-user sees who acted in SUDO_USER.
 *
 * The exit code of the command becomes the HTTP status by one table
 * (soca_web_answer_run): 1 no match (404), 2 bad input (400, with the
 * command's first stderr line, written for users, as the message),
 * 3 temporary (503); stderr in full goes to the audit line only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

extern char **environ;

#ifndef SUDO_PATH
#define SUDO_PATH "/usr/bin/sudo"
#endif

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the user may be acted as: exists, not root, uid >= min_uid */
int
soca_web_user_ok(struct soca_web *w, const char *user)
{
	long long min = soca_conf_int(w->conf, "web", NULL, "min_uid");
	struct passwd *pw;

	if (user == NULL || (pw = getpwnam(user)) == NULL)
		return -1;
	if (pw->pw_uid == 0 || (long long)pw->pw_uid < min)
		return -1;
	return 0;
}

/* the directory service account of soca_web_run_admin, else NULL */
static const char *via;

static char **
make_argv(struct soca_web *w, const char *cmd, const char *const *argv)
{
	size_t n = 0, i = 0;
	char **v;

	while (argv[n])
		n++;
	v = soca_xcalloc(n + 12, sizeof(*v));
	v[i++] = soca_xstrdup(SUDO_PATH);
	v[i++] = soca_xstrdup("-n");
	v[i++] = soca_xstrdup("-u");
	v[i++] = soca_xstrdup(w->user);
	v[i++] = soca_xstrdup("--");
	if (via != NULL) {
		v[i++] = soca_xstrdup(SUDO_PATH);
		v[i++] = soca_xstrdup("-n");
		v[i++] = soca_xstrdup("-u");
		v[i++] = soca_xstrdup(via);
		v[i++] = soca_xstrdup("--");
	}
	v[i++] = soca_xasprintf("%s/%s", w->bindir, cmd);
	for (size_t k = 0; k < n; k++)
		v[i++] = soca_xstrdup(argv[k]);
	return v;
}

static char **
make_env(void)
{
	const char *conf = getenv("SOCA_CONF");
	char **e = soca_xcalloc(4, sizeof(*e));
	size_t i = 0;

	e[i++] = soca_xstrdup("PATH=/usr/bin:/bin");
	e[i++] = soca_xstrdup("LANG=C.UTF-8");
	if (conf != NULL)
		e[i++] = soca_xasprintf("SOCA_CONF=%s", conf);
	return e;
}

struct pipes {
	int in[2], out[2], err[2];
};

/* where stdin comes from and stdout goes when they are streamed */
struct stream {
	int in_fd;		/* -1: the buffer below */
	long long in_left;	/* bytes still to come from in_fd */
	int out_fd;		/* -1: captured */
	char buf[65536];
	size_t have, off;
};

static int
start(char **argv, char **envp, struct pipes *p, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc;

	if (pipe2(p->in, O_CLOEXEC) < 0 || pipe2(p->out, O_CLOEXEC) < 0 ||
	    pipe2(p->err, O_CLOEXEC) < 0)
		return errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p->in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, p->out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p->err[1], 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p->in[0]);
	close(p->out[1]);
	close(p->err[1]);
	return rc;
}

static void
take(int fd, struct soca_buf *b, size_t cap, bool *trunc, bool *open_)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		*open_ = false;
		return;
	}
	if (b->len + (size_t)n > cap) {
		*trunc = true;
		n = (ssize_t)(cap - b->len);
	}
	soca_buf_add(b, buf, (size_t)n);
}

/* stdout straight to the client (a download) */
static void
pass(int fd, int to, bool *open_)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf)), w, off = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		*open_ = false;
		return;
	}
	while (off < n && (w = write(to, buf + off, (size_t)(n - off))) > 0)
		off += w;
	if (off < n)
		*open_ = false;	/* the client went away */
}

/* the request's body, as it comes, into the command (an upload) */
static bool
refill(struct stream *s)
{
	ssize_t n;

	if (s->have > s->off || s->in_left <= 0)
		return s->have > s->off;
	n = read(s->in_fd, s->buf, s->in_left < (long long)sizeof(s->buf) ?
	    (size_t)s->in_left : sizeof(s->buf));
	if (n <= 0) {
		s->in_left = 0;
		return false;
	}
	s->in_left -= n;
	s->have = (size_t)n;
	s->off = 0;
	return true;
}

static void
pump(struct pipes *p, const char *in, size_t inlen, long long deadline,
    size_t cap, struct soca_web_run *r, struct soca_buf *out,
    struct soca_buf *err, struct stream *st)
{
	bool oo = true, eo = true;
	int infd = p->in[1];
	size_t sent = 0;
	ssize_t n;

	fcntl(infd, F_SETFL, O_NONBLOCK);
	if (st->in_fd < 0 && inlen == 0) {
		close(infd);
		infd = -1;
	}
	while (oo || eo) {
		struct pollfd fds[3] = {
			{ oo ? p->out[0] : -1, POLLIN, 0 },
			{ eo ? p->err[0] : -1, POLLIN, 0 },
			{ infd, POLLOUT, 0 },
		};
		long long left = deadline - now_ms();

		if (left <= 0) {
			r->timedout = true;
			break;
		}
		if (poll(fds, 3, (int)(left > 1000 ? 1000 : left)) < 0 &&
		    errno != EINTR)
			break;
		if (fds[0].revents && st->out_fd >= 0)
			pass(p->out[0], st->out_fd, &oo);
		else if (fds[0].revents)
			take(p->out[0], out, cap, &r->truncated, &oo);
		if (fds[1].revents)
			take(p->err[0], err, cap, &r->truncated, &eo);
		if (infd >= 0 && fds[2].revents && st->in_fd >= 0) {
			if (!refill(st)) {
				close(infd);
				infd = -1;
				continue;
			}
			n = write(infd, st->buf + st->off, st->have - st->off);
			if (n > 0)
				st->off += (size_t)n;
			else if (errno != EAGAIN && errno != EINTR) {
				close(infd);
				infd = -1;
			}
		} else if (infd >= 0 && fds[2].revents) {
			n = write(infd, in + sent, inlen - sent);
			if (n > 0)
				sent += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    sent == inlen) {
				close(infd);
				infd = -1;
			}
		}
	}
	if (infd >= 0)
		close(infd);
	close(p->out[0]);
	close(p->err[0]);
}

static int
reap(pid_t pid, bool kill_it)
{
	int st = 0;

	if (kill_it) {
		kill(-pid, SIGTERM);
		kill(pid, SIGTERM);
		for (int i = 0; i < 50; i++) {
			if (waitpid(pid, &st, WNOHANG) == pid)
				goto done;
			usleep(20000);
		}
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
done:
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
soca_web_run(struct soca_web *w, const char *cmd, const char *const *argv,
    const void *in, size_t inlen, struct soca_web_run *r)
{
	return soca_web_run_io(w, cmd, argv, in, inlen, -1, 0, -1, r);
}

/*
 * As soca_web_run, with stdin read from in_fd (in_len bytes of it) and
 * stdout written to out_fd when they are not -1: uploads and downloads
 * go through without being held in memory.
 */
int
soca_web_run_io(struct soca_web *w, const char *cmd, const char *const *argv,
    const void *in, size_t inlen, int in_fd, long long in_len, int out_fd,
    struct soca_web_run *r)
{
	struct stream *st = soca_xcalloc(1, sizeof(*st));
	long long to = soca_conf_int(w->conf, "web", NULL, "timeout");
	long long cap = soca_conf_int(w->conf, "web", NULL, "max_output");
	struct soca_buf out = { 0 }, err = { 0 };
	struct pipes p;
	char **av, **ev;
	pid_t pid;
	int rc;

	memset(r, 0, sizeof(*r));
	r->status = 126;
	if (!soca_name_ok(cmd) || soca_web_user_ok(w, w->user) < 0) {
		soca_web_note(w, "refused to run %s as %s", cmd,
		    w->user ? w->user : "-");
		free(st);
		return -1;
	}
	av = make_argv(w, cmd, argv);
	ev = make_env();
	signal(SIGPIPE, SIG_IGN);
	if ((rc = start(av, ev, &p, &pid)) != 0) {
		soca_web_note(w, "cannot start sudo: %s", strerror(rc));
		free(st);
		for (size_t i = 0; av[i]; i++)
			free(av[i]);
		free(av);
		return -1;
	}
	st->in_fd = in_fd;
	st->in_left = in_len;
	st->out_fd = out_fd;
	pump(&p, in, inlen, now_ms() + (to > 0 ? to : 30) * 1000,
	    (size_t)(cap > 0 ? cap : 16 << 20), r, &out, &err, st);
	free(st);
	r->status = reap(pid, r->timedout);
	r->outlen = out.len;
	r->errlen = err.len;
	r->out = out.s ? soca_buf_steal(&out) : soca_xstrdup("");
	r->err = err.s ? soca_buf_steal(&err) : soca_xstrdup("");
	soca_web_note(w, "%s exit %d%s%s", cmd, r->status,
	    r->timedout ? " (timed out)" : "",
	    r->truncated ? " (output cut)" : "");
	if (r->errlen > 0) {
		if (w->detail.len > 0)
			soca_buf_adds(&w->detail, " | ");
		soca_buf_add(&w->detail, r->err, r->errlen);
	}
	for (size_t i = 0; av[i]; i++)
		free(av[i]);
	free(av);
	for (size_t i = 0; ev[i]; i++)
		free(ev[i]);
	free(ev);
	return 0;
}

/*
 * As soca_web_run, as the directory service account through the
 * administrator: only for a request whose user is an administrator
 * (looked up for this request), and only soca-user and soca-group.
 */
int
soca_web_run_admin(struct soca_web *w, const char *cmd,
    const char *const *argv, const void *in, size_t inlen,
    struct soca_web_run *r)
{
	const char *du = soca_conf_get(w->conf, "web", NULL,
	    "directory_user");
	struct passwd *pw;
	int rc;

	memset(r, 0, sizeof(*r));
	r->status = 126;
	if (!w->admin || (strcmp(cmd, "soca-user") != 0 &&
	    strcmp(cmd, "soca-group") != 0) || du == NULL ||
	    !soca_name_ok(du) || (pw = getpwnam(du)) == NULL ||
	    pw->pw_uid == 0) {
		soca_web_note(w, "refused to run %s as the directory account "
		    "%s for %s", cmd, du ? du : "-", w->user ? w->user : "-");
		return -1;
	}
	via = du;
	rc = soca_web_run(w, cmd, argv, in, inlen, r);
	via = NULL;
	return rc;
}

void
soca_web_run_free(struct soca_web_run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* the first line of stderr, without "soca-x: "; for users, not paths */
char *
soca_web_first_err(const struct soca_web_run *r)
{
	const char *s = r->err ? r->err : "";
	size_t n = strcspn(s, "\n");
	const char *colon;
	char *line;

	if (strncmp(s, "soca-", 5) == 0 && (colon = strstr(s, ": ")) &&
	    (size_t)(colon - s) < n && memchr(s, ' ', (size_t)(colon - s))
	    == NULL) {
		n -= (size_t)(colon + 2 - s);
		s = colon + 2;
	}
	line = soca_xstrndup(s, n);
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return line;
}

/* a message naming the server's own files is not for the client */
static bool
internal(struct soca_web *w, const char *msg)
{
	const char *dirs[] = {
		soca_conf_get(w->conf, "cluster", NULL, "spool"),
		soca_conf_get(w->conf, "web", NULL, "state"),
		soca_conf_file(w->conf), w->bindir, "/etc/", "/var/",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i] != NULL && *dirs[i] != '\0' && strstr(msg, dirs[i]))
			return true;
	return false;
}

/* any exit but 0 answered here; 0 left to the caller (returns true) */
void
soca_web_answer_run(struct soca_web *w, const char *what,
    struct soca_web_run *r, int okstatus)
{
	char *msg;

	switch (r->status) {
	case 0:
		if (okstatus)
			soca_web_nocontent(w, okstatus);
		return;
	case 1:
		soca_web_error(w, 404, "%s", what);
		return;
	case 2:
		msg = soca_web_first_err(r);
		soca_web_error(w, 400, "%s", *msg && !internal(w, msg) ? msg :
		    "bad request (the reason is in the server's audit log)");
		free(msg);
		return;
	case 3:
		soca_web_error(w, 503, "temporarily unavailable: try again "
		    "later");
		return;
	default:
		soca_web_error(w, r->timedout ? 503 : 500, "%s",
		    r->timedout ? "the command took too long: try again later"
		    : "the server could not run the command");
	}
}
