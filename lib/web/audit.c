/*
 * audit.c: one line per request in [web] audit_log.
 *
 * Owns the audit trail: when, from where, who (or -), what (method and
 * path), the status, the process's uid/euid (so anyone can check the CGI
 * never ran as root), and the action's result, with the full stderr of
 * the commands run (which the client never sees).  The file is opened
 * O_APPEND and the line written with one write(2), so lines of
 * concurrent requests never interleave.  Control characters are
 * escaped: a request cannot forge a line.  Without audit_log the line
 * goes to stderr, which fcgiwrap hands to nginx's error log.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

void
soca_web_note(struct soca_web *w, const char *fmt, ...)
{
	va_list ap;

	if (w->result.len > 0)
		soca_buf_adds(&w->result, "; ");
	va_start(ap, fmt);
	soca_buf_vaddf(&w->result, fmt, ap);
	va_end(ap);
}

static void
field(struct soca_buf *b, const char *s)
{
	soca_buf_addc(b, ' ');
	if (s == NULL || *s == '\0') {
		soca_buf_addc(b, '-');
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '\\')
			soca_buf_addf(b, "\\x%02x", c);
		else
			soca_buf_addc(b, (char)c);
	}
}

void
soca_web_audit(struct soca_web *w)
{
	const char *path = w->conf ?
	    soca_conf_get(w->conf, "web", NULL, "audit_log") : NULL;
	struct soca_buf b = { 0 };
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd = STDERR_FILENO;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	soca_buf_adds(&b, ts);
	field(&b, w->remote);
	field(&b, w->user);
	field(&b, w->method);
	field(&b, w->path);
	soca_buf_addf(&b, " %d uid=%ld euid=%ld", w->status, (long)getuid(),
	    (long)geteuid());
	field(&b, w->result.s);
	if (w->detail.len > 0) {
		soca_buf_adds(&b, " stderr:");
		field(&b, w->detail.s);
	}
	soca_buf_addc(&b, '\n');
	if (path != NULL &&
	    (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) < 0)
		fd = STDERR_FILENO;
	if (write(fd, b.s, b.len) < 0) {
		/* nowhere left to say it */
	}
	if (fd != STDERR_FILENO)
		close(fd);
	soca_buf_free(&b);
}
