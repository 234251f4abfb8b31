/*
 * license.c: how many of a license soca may hand out now.  A [license
 * "NAME"] section reads either a FlexLM server (lmutil lmstat -c
 * PORT@HOST[,...] -f FEATURE) or any command that prints a number.
 *
 * lmstat's "Users of FEATURE:  (Total of N licenses issued;  Total of M
 * licenses in use)" lines are matched on the feature name whole (MATLAB
 * is not MATLAB_Distrib_Comp_Engine), summed over the servers lmstat
 * lists; older lmstat's "(Total of N licenses available)" counts as
 * issued; "(Uncounted, node-locked)" is no limit; an "(Error: ...)" line,
 * a feature lmstat does not list, a server it cannot reach, a program
 * that fails or outlives [license] timeout: the license is unreadable,
 * and the dispatcher holds its jobs rather than launch capacity for
 * licenses that may not be there.
 *
 * available = issued - in use - reserved, reserved taken once; what soca
 * itself has handed out but lmstat cannot see yet (jobs provisioning,
 * jobs granted earlier in the same pass) is the caller's to subtract.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "license.h"

#define OUT_MAX (1 << 20)

/* past the deadline: the process group is killed */
static bool
past(const struct timespec *t0, long long secs, pid_t pid)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - t0->tv_sec < secs)
		return false;
	kill(-pid, SIGKILL);
	return true;
}

/*
 * Run argv (or "sh -c cmd" when argv[0] is NULL) with stdin from
 * /dev/null, stdout into *out, stderr to /dev/null, killed after secs.
 * 0 and its exit status in *status; -1 with *why on a failure to run or
 * a timeout.
 */
static int
run(char *const *argv, const char *cmd, long long secs, char **out,
    int *status, char **why)
{
	struct soca_buf b = { 0 };
	struct timespec t0;
	int p[2], st = 0, fl;
	char buf[4096];
	bool timedout = false;
	pid_t pid;

	*out = NULL;
	if (pipe(p) < 0) {
		*why = soca_xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		*why = soca_xasprintf("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(null, 2);
		close(p[0]);
		close(p[1]);
		if (argv[0])
			execvp(argv[0], argv);
		else
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	fl = fcntl(p[0], F_GETFL);
	fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n > 0) {
			if (b.len < OUT_MAX)
				soca_buf_add(&b, buf, (size_t)n);
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			break;
		if ((timedout = past(&t0, secs, pid)))
			break;
		usleep(10000);
	}
	close(p[0]);
	/* output closed: give it the rest of its time to exit */
	while (!timedout && waitpid(pid, &st, WNOHANG) == 0 &&
	    !(timedout = past(&t0, secs, pid)))
		usleep(10000);
	if (timedout) {
		waitpid(pid, &st, 0);
		soca_buf_free(&b);
		*why = soca_xasprintf("no answer within %llds", secs);
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		soca_buf_free(&b);
		*why = soca_xasprintf("cannot run %s", argv[0] ? argv[0] : cmd);
		return -1;
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	*out = b.s ? soca_buf_steal(&b) : soca_xstrdup("");
	return 0;
}

static const char *
skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "N license(s) WORD": N, or -1 */
static long long
count_before(const char *s, const char *word)
{
	const char *w = strstr(s, word);
	const char *p;

	if (w == NULL)
		return -1;
	/* back over "licenses " / "license " to the number */
	p = w;
	while (p > s && p[-1] == ' ')
		p--;
	while (p > s && p[-1] != ' ')
		p--;	/* "licenses" */
	while (p > s && p[-1] == ' ')
		p--;
	while (p > s && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	return strtoll(p, NULL, 10);
}

int
soca_lmstat_parse(const char *text, const char *feature,
    struct soca_lic *l, char **why)
{
	size_t flen = strlen(feature);
	const char *line = text;
	bool found = false;

	l->issued = l->in_use = 0;
	l->uncounted = false;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *ln = soca_xstrndup(line, len);
		const char *s = skip_ws(ln);

		line = end ? end + 1 : NULL;
		if (strncmp(s, "Users of ", 9) != 0 ||
		    strncmp(s + 9, feature, flen) != 0 || s[9 + flen] != ':') {
			free(ln);
			continue;
		}
		s = skip_ws(s + 10 + flen);
		found = true;
		if (strncmp(s, "(Uncounted", 10) == 0) {
			l->uncounted = true;
		} else if (strncmp(s, "(Error", 6) == 0) {
			const char *e = s + 1;
			size_t n = strcspn(e, ")");

			*why = soca_xasprintf("lmstat: %s: %.*s", feature,
			    (int)n, e);
			free(ln);
			return -1;
		} else {
			long long iss = count_before(s, "issued");
			long long use = count_before(s, "in use");

			if (iss < 0)
				iss = count_before(s, "available");
			if (iss < 0) {
				*why = soca_xasprintf("lmstat: %s: cannot read "
				    "\"%s\"", feature, s);
				free(ln);
				return -1;
			}
			l->issued += iss;
			l->in_use += use > 0 ? use : 0;
		}
		free(ln);
	}
	if (!found) {
		*why = soca_xasprintf("lmstat lists no feature %s", feature);
		return -1;
	}
	return 0;
}

/* PORT@HOST per server, comma-joined, as lmstat -c takes redundant ones */
static char *
servers(const struct soca_conf *c, const char *name)
{
	long long port = soca_conf_int(c, "license", name, "port");
	struct soca_buf b = { 0 };
	char **v;
	size_t n = soca_conf_list(c, "license", name, "server", &v);

	for (size_t i = 0; i < n; i++) {
		if (strchr(v[i], '@'))
			soca_buf_addf(&b, "%s%s", i ? "," : "", v[i]);
		else
			soca_buf_addf(&b, "%s%lld@%s", i ? "," : "", port, v[i]);
	}
	soca_strv_free(v, n);
	return b.s ? soca_buf_steal(&b) : soca_xstrdup("");
}

const char *
soca_license_feature(const struct soca_conf *c, const char *name)
{
	const char *f = soca_conf_get(c, "license", name, "feature");

	return f ? f : name;
}

int
soca_license_read(const struct soca_conf *c, const char *name,
    struct soca_lic *l, char **why)
{
	long long secs = 10, reserved = soca_conf_int(c, "license", name,
	    "reserved");
	const char *t = soca_conf_get(c, "license", name, "timeout");
	const char *cmd = soca_conf_get(c, "license", name, "command");
	char *out = NULL, *srv = NULL, *end;
	int st = 0, rc = -1;

	*why = NULL;
	memset(l, 0, sizeof(*l));
	l->reserved = reserved;
	if (t)
		soca_parse_duration(t, &secs);
	if (secs < 1)
		secs = 1;
	if (cmd) {
		char *const none[] = { NULL };

		if (run(none, cmd, secs, &out, &st, why) < 0)
			goto done;
		if (st != 0) {
			*why = soca_xasprintf("command exited %d", st);
			goto done;
		}
		errno = 0;
		l->issued = strtoll(skip_ws(out), &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\n')
			end++;
		if (errno || end == out || *end != '\0' || l->issued < 0 ||
		    !(*skip_ws(out) >= '0' && *skip_ws(out) <= '9')) {
			*why = soca_xasprintf("command printed \"%.40s\", not a "
			    "number", out);
			goto done;
		}
		l->available = l->issued - reserved;
		if (l->available < 0)
			l->available = 0;
		rc = 0;
		goto done;
	}
	srv = servers(c, name);
	{
		char *const argv[] = { (char *)soca_conf_get(c, "license", name,
		    "lmutil"), (char *)"lmstat", (char *)"-c", srv,
		    (char *)"-f", (char *)soca_license_feature(c, name), NULL };

		if (run(argv, NULL, secs, &out, &st, why) < 0)
			goto done;
	}
	if (soca_lmstat_parse(out, soca_license_feature(c, name), l, why) < 0) {
		if (st != 0) {	/* say the server's trouble, not ours */
			char *w = *why;

			*why = soca_xasprintf("%s (lmutil exited %d)", w, st);
			free(w);
		}
		goto done;
	}
	l->reserved = reserved;
	l->available = l->uncounted ? SOCA_LIC_UNLIMITED :
	    l->issued - l->in_use - reserved;
	if (l->available < 0)
		l->available = 0;
	rc = 0;
done:
	free(out);
	free(srv);
	return rc;
}
