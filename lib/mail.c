/*
 * mail.c: a job's mail (qsub -m abe, -M), as PBS sends it.
 *
 * At begin (its runner started it), end (it exited by itself) and abort
 * (killed, past walltime, cancelled while running, failed to start or to
 * launch, node lost) a job whose -m names the event gets one message, to
 * its -M addresses or else its owner, through the system's sendmail
 * interface ([mail] sendmail, argv "-oi -f FROM -- RCPT...", no shell).
 * The job never waits on it: the message is made and handed over in a
 * grandchild detached from the caller (the runner, the dispatcher, the
 * reaper), and a failure is logged to syslog (LOG_MAIL) and counted in
 * the spool's mail.failed, never passed on.  Subjobs of an array send
 * none.
 *
 * Header injection: every address is checked when the job is submitted
 * (soca_mail_users_check) and again here before it is used; the subject
 * and every header value are cut to printable ASCII (CR, LF and other
 * control characters become spaces), and addresses only ever reach the
 * mailer after "--", so none can be taken for an option.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "job.h"
#include "provider_aws.h"

#define MAIL_TIMEOUT 60	/* seconds the mailer may take */

/* user[@host]: letters, digits, ._+- and one @, no leading - */
bool
soca_mail_addr_ok(const char *a)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-@";
	const char *at = strchr(a, '@');

	return a[0] != '\0' && a[0] != '-' && strlen(a) <= 254 &&
	    strspn(a, ok) == strlen(a) && at != a &&
	    (at == NULL || (strchr(at + 1, '@') == NULL && at[1] != '\0' &&
	    at[1] != '-' && at[1] != '.'));
}

/* -M's list: NULL when every address passes, else why (to free) */
char *
soca_mail_users_check(const char *spec)
{
	char **v, *why = NULL;
	size_t n;

	if (strlen(spec) > 1024 || soca_split_list(spec, &v, &n) != 0)
		return soca_xasprintf("-M \"%s\": an empty item or too long "
		    "(write -M user[@host][,user@host...])", spec);
	for (size_t i = 0; i < n && why == NULL; i++)
		if (!soca_mail_addr_ok(v[i]))
			why = soca_xasprintf("-M \"%s\": \"%s\" is not a mail "
			    "address (user or user@host, of letters, digits "
			    "and ._+-, not starting with -)", spec, v[i]);
	soca_strv_free(v, n);
	return why;
}

/* printable ASCII only: no CR, LF or other control to split a header on */
static void
add_clean(struct soca_buf *b, const char *s, size_t max)
{
	for (size_t i = 0; s && s[i] && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		soca_buf_addc(b, ch < ' ' || ch == 127 ? ' ' :
		    ch > 127 ? '?' : (char)ch);
	}
}

/* the body may hold UTF-8, never control characters but LF */
static void
add_text(struct soca_buf *b, const char *s)
{
	for (; s && *s; s++)
		soca_buf_addc(b, (unsigned char)*s < ' ' || *s == 127 ?
		    ' ' : *s);
}

static void
add_time(struct soca_buf *b, const char *label, long long t)
{
	char s[32];

	if (t <= 0)
		return;
	soca_time_utc((time_t)t, s);
	soca_buf_addf(b, "%-15s%s\n", label, s);
}

static const char *
verb(char ev)
{
	return ev == 'b' ? "begun" : ev == 'e' ? "ended" : "aborted";
}

static void
headers(struct soca_buf *b, const struct soca_job *j, char ev,
    const char *from, char **to, size_t nto)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	soca_buf_addf(b, "From: %s\nTo: ", from);
	for (size_t i = 0; i < nto; i++)
		soca_buf_addf(b, "%s%s", i ? ", " : "", to[i]);
	soca_buf_addf(b, "\nSubject: soca job %lld (", j->id);
	add_clean(b, j->name ? j->name : "", 200);
	soca_buf_addf(b, "): %s\nDate: %s\nAuto-Submitted: auto-generated\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n", verb(ev), date);
}

static void
body(struct soca_buf *b, const struct soca_job *j, char ev, const char *why)
{
	soca_buf_addf(b, "soca job %lld has %s.\n\n%-15s%lld\n%-15s", j->id,
	    verb(ev), "Job:", j->id, "Name:");
	add_text(b, j->name);
	soca_buf_addf(b, "\n%-15s%s\n%-15s%s\n", "Owner:", j->user ? j->user :
	    "", "Queue:", j->queue ? j->queue : "");
	if (j->project) {
		soca_buf_addf(b, "%-15s", "Project:");
		add_text(b, j->project);
		soca_buf_addc(b, '\n');
	}
	if (j->host)
		soca_buf_addf(b, "%-15s%s\n", "Host:", j->host);
	add_time(b, "Submitted:", j->submit);
	add_time(b, "Started:", j->start);
	add_time(b, "Ended:", ev == 'b' ? 0 : j->end);
	if (ev != 'b')
		soca_buf_addf(b, "%-15s%d\n", "Exit status:", j->exit);
	if (why && *why) {
		soca_buf_addf(b, "%-15s", "Reason:");
		add_text(b, why);
		soca_buf_addc(b, '\n');
	}
	if (j->used)
		soca_buf_addf(b, "%-15scput=%02lld:%02lld:%02lld "
		    "walltime=%02lld:%02lld:%02lld mem=%lldkb ncpus=%lld\n",
		    "Used:", j->cput / 3600, j->cput / 60 % 60, j->cput % 60,
		    j->wall / 3600, j->wall / 60 % 60, j->wall % 60, j->mem,
		    j->ncpus);
	if (j->nres) {
		soca_buf_addf(b, "%-15s", "Requested:");
		for (size_t i = 0; i < j->nres; i++) {
			soca_buf_adds(b, i ? " " : "");
			add_text(b, j->res[i]);
		}
		soca_buf_addc(b, '\n');
	}
}

/* the spool's count of mail not sent, bumped under its own flock */
static void
count_failure(const char *spool)
{
	char *p = soca_xasprintf("%s/mail.failed", spool), s[32] = "";
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	ssize_t n;

	free(p);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX) == 0 && (n = pread(fd, s, sizeof(s) - 1,
	    0)) >= 0) {
		s[n] = '\0';
		n = snprintf(s, sizeof(s), "%lld\n", atoll(s) + 1);
		/* a lost count still leaves the syslog line */
		if (ftruncate(fd, 0) == 0 && pwrite(fd, s, (size_t)n, 0) < 0) {
		}
	}
	close(fd);
}

/* mail.failed: how many messages the spool's jobs could not send */
long long
soca_mail_failed(const char *spool)
{
	char *p = soca_xasprintf("%s/mail.failed", spool), s[32] = "";
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, s, sizeof(s) - 1);

	free(p);
	if (fd >= 0)
		close(fd);
	s[n > 0 ? n : 0] = '\0';
	return atoll(s);
}

/* Write msg to the mailer's stdin; its exit status, or -1. */
static int
run_mailer(const char *prog, char **argv, const struct soca_buf *msg,
    char *err, size_t errlen)
{
	int in[2], st;
	pid_t pid;
	size_t off = 0;
	time_t t0 = time(NULL);

	if (pipe(in) < 0 || (pid = fork()) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		close(in[0]);
		close(in[1]);
		execv(prog, argv);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	while (off < msg->len) {
		ssize_t w = write(in[1], msg->s + off, msg->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(in[1]);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (time(NULL) - t0 > MAIL_TIMEOUT) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(err, errlen, "%s took over %ds", prog,
			    MAIL_TIMEOUT);
			return -1;
		}
		usleep(20000);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		snprintf(err, errlen, "cannot run %s", prog);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		snprintf(err, errlen, "%s exited with %d", prog,
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	else
		return 0;
	return -1;
}

/*
 * [mail] ses = yes: Amazon SES v2 SendEmail with the message raw (CRLF
 * line ends, as SMTP has them), signed by lib/aws with soca's
 * credentials.  A bare user name is qualified with the sender's domain.
 */
static int
send_ses(const struct soca_conf *c, const char *from, char **to, size_t n,
    const struct soca_buf *msg, char *err, size_t errlen)
{
	struct soca_aws_cfg cfg = { .conf = c };
	struct soca_aws_err e = { 0 };
	struct soca_aws *a = soca_aws_new(&cfg, &e);
	static const char op[] = "SendEmail";	/* sesv2, its IAM action */
	struct soca_buf crlf = { 0 }, b64 = { 0 }, out = { 0 };
	const char *dom = strchr(from, '@');
	json_t *dst = json_array(), *req;
	char *text = NULL, *base = NULL;
	long status = 0;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(dst, strchr(to[i], '@') || dom == NULL ?
		    json_string(to[i]) : json_sprintf("%s%s", to[i], dom));
	for (size_t i = 0; i < msg->len; i++)
		soca_buf_adds(&crlf, msg->s[i] == '\n' ? "\r\n" :
		    (char[2]){ msg->s[i], '\0' });
	soca_aws_b64(&b64, (const unsigned char *)crlf.s, crlf.len);
	req = json_pack("{s:s,s:{s:o},s:{s:{s:s}}}", "FromEmailAddress", from,
	    "Destination", "ToAddresses", dst, "Content", "Raw", "Data", b64.s);
	if (a != NULL && (text = json_dumps(req, JSON_COMPACT)) != NULL) {
		base = soca_aws_endpoint(a, soca_aws_service("sesv2"));
		rc = soca_aws_rest(a, "sesv2", base, NULL, "POST",
		    "/v2/email/outbound-emails", "application/json", text,
		    strlen(text), &out, &status, &e);
	}
	if (rc != 0) {
		char *m = soca_aws_err_str(&e);

		snprintf(err, errlen, "SES %s: %s", op, m);
		free(m);
	}
	soca_aws_err_free(&e);
	soca_buf_free(&out);
	free(text);
	free(base);
	soca_aws_free(a);
	json_decref(req);
	soca_buf_free(&crlf);
	soca_buf_free(&b64);
	return rc;
}

/* the sender: [mail] from, else soca@this host */
static char *
sender(const struct soca_conf *c)
{
	const char *f = soca_conf_get(c, "mail", NULL, "from");
	char host[256] = "localhost";

	if (f != NULL && *f != '\0')
		return soca_xstrdup(f);
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	return soca_xasprintf("soca@%s", host);
}

/* -M's addresses, else the owner's name; only those that pass again */
static size_t
recipients(const struct soca_job *j, char ***to, struct soca_buf *bad)
{
	char **v = NULL;
	size_t n = 0, k = 0;

	if (j->mailto && *j->mailto)
		soca_split_list(j->mailto, &v, &n);
	else if (j->user) {
		v = soca_xmalloc(sizeof(*v));
		v[n++] = soca_xstrdup(j->user);
	} else {
		struct passwd *pw = getpwuid(j->uid);

		v = soca_xmalloc(sizeof(*v));
		v[n++] = soca_xstrdup(pw ? pw->pw_name : "root");
	}
	for (size_t i = 0; i < n; i++) {
		if (soca_mail_addr_ok(v[i]))
			v[k++] = v[i];
		else {
			soca_buf_adds(bad, bad->len ? ", " : "");
			add_clean(bad, v[i], 64);
			free(v[i]);
		}
	}
	*to = v;
	return k;
}

static void
fail_log(const char *spool, const struct soca_job *j, char ev,
    const char *why)
{
	openlog("soca", LOG_PID, LOG_MAIL);
	syslog(LOG_WARNING, "job %lld: %s mail not sent: %s", j->id,
	    verb(ev), why);
	closelog();
	count_failure(spool);
}

static void
send_one(const struct soca_conf *c, const char *spool,
    const struct soca_job *j, char ev, const char *why)
{
	const char *prog = soca_conf_get(c, "mail", NULL, "sendmail");
	char *from = sender(c), **to = NULL, **argv, err[300] = "";
	struct soca_buf msg = { 0 }, bad = { 0 };
	size_t n = recipients(j, &to, &bad), a = 0;

	if (bad.len)
		snprintf(err, sizeof(err), "not a mail address: %s", bad.s);
	else if (!soca_mail_addr_ok(from))
		snprintf(err, sizeof(err), "[mail] from \"%.100s\" is not a "
		    "mail address", from);
	if (err[0] != '\0' || n == 0) {
		fail_log(spool, j, ev, err[0] ? err : "no recipient");
		goto out;
	}
	headers(&msg, j, ev, from, to, n);
	body(&msg, j, ev, why);
	argv = soca_xreallocarray(NULL, n + 6, sizeof(*argv));
	argv[a++] = (char *)prog;
	argv[a++] = "-oi";
	argv[a++] = "-f";
	argv[a++] = from;
	argv[a++] = "--";
	for (size_t i = 0; i < n; i++)
		argv[a++] = to[i];
	argv[a] = NULL;
	if (soca_conf_bool(c, "mail", NULL, "ses") ? send_ses(c, from, to, n,
	    &msg, err, sizeof(err)) != 0 : run_mailer(prog, argv, &msg, err,
	    sizeof(err)) != 0)
		fail_log(spool, j, ev, err);
	free(argv);
out:
	soca_strv_free(to, n);
	soca_buf_free(&msg);
	soca_buf_free(&bad);
	free(from);
}

/*
 * Hold nothing of the caller's: not its locks (the run lock, the
 * dispatcher's), nor the pipe a shell waits on for its output.
 */
static void
detach(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	closefrom(3);
}

/* The job's mail for event ev ('a', 'b' or 'e'), if its -m asks for it. */
void
soca_mail_job(const struct soca_conf *c, const struct soca_spool *sp,
    const struct soca_job *j, char ev, const char *why)
{
	pid_t pid, gc;
	int st;

	if (j->mailpoints == NULL || strchr(j->mailpoints, ev) == NULL ||
	    j->aparent != 0)
		return;
	if ((pid = fork()) < 0) {
		fail_log(soca_spool_dir(sp), j, ev, strerror(errno));
		return;
	}
	if (pid == 0) {
		setsid();
		if ((gc = fork()) != 0)
			_exit(gc < 0);
		detach();
		send_one(c, soca_spool_dir(sp), j, ev, why ? why : j->reason);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}
