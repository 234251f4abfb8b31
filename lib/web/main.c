/*
 * main.c: one request of soca-api(8), from start to audit line.
 *
 * Owns the order of things: the configuration (a broken one is a 500
 * "misconfigured", never a guess), the refusal to run as root (uid or
 * euid 0: the web door acts only through sudo as the user, so a root
 * CGI is a setup mistake that would make every check moot), the request,
 * the dispatch, and the audit line, written whatever happened.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web.h"

#ifndef BINDIR
#define BINDIR "/usr/bin"
#endif

static const char usage_text[] =
    "usage: soca-api             (as a CGI program, from fcgiwrap)\n"
    "       soca-api --routes\n"
    "       soca-api --check-applications\n";

static struct soca_conf *
conf(void)
{
	struct soca_conf *c = soca_conf_load(soca_conf_path(NULL));

	if (c == NULL)
		return NULL;
	soca_conf_check(c);
	if (soca_conf_report(c) != 0) {
		soca_conf_free(c);
		return NULL;
	}
	return c;
}

static void
cleanup(struct soca_web *w)
{
	for (size_t i = 0; i < w->nseg; i++)
		free(w->seg[i]);
	free((char *)w->path);
	free(w->body);
	free(w->user);
	free(w->session);
	soca_buf_free(&w->result);
	soca_buf_free(&w->detail);
	soca_conf_free(w->conf);
}

static void
serve(struct soca_web *w)
{
	int rc;

	if ((rc = soca_web_req_read(w)) != 0) {
		soca_web_error(w, rc, "%s", rc == 413 ? "the body is too large" :
		    rc == 404 ? "no such resource" : "bad request: malformed "
		    "path, query or body length");
		return;
	}
	soca_web_dispatch(w);
	if (w->streamed && !w->body_used)
		soca_web_drain(w->clen);
}

int
soca_web_main(int argc, char **argv)
{
	struct soca_web w = { 0 };
	const char *p;

	if (argc == 2 && strcmp(argv[1], "--routes") == 0)
		return soca_web_print_routes(stdout);
	if (argc == 2 && strcmp(argv[1], "--check-applications") == 0) {
		int rc;

		if ((w.conf = conf()) == NULL)
			return SOCA_EX_USAGE;
		rc = soca_web_apps_check(w.conf, stdout, stderr);
		soca_conf_free(w.conf);
		return rc;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 1) {
		fputs(usage_text, stderr);
		return SOCA_EX_USAGE;
	}
	w.conf = conf();
	w.method = getenv("REQUEST_METHOD") ? getenv("REQUEST_METHOD") : "-";
	w.remote = getenv("REMOTE_ADDR") ? getenv("REMOTE_ADDR") : "-";
	p = getenv("REQUEST_URI") ? getenv("REQUEST_URI") : getenv("PATH_INFO");
	w.path = soca_xstrdup(p ? p : "-");
	if (getuid() == 0 || geteuid() == 0 || w.conf == NULL) {
		soca_web_error(&w, 500, "misconfigured");
		soca_web_note(&w, w.conf ? "refused: runs as root (uid %ld, euid "
		    "%ld); run it as its own user" : "the configuration has "
		    "problems: soca-config check", (long)getuid(),
		    (long)geteuid());
		soca_web_audit(&w);
		cleanup(&w);
		return 1;
	}
	free((char *)w.path);
	w.path = NULL;
	w.state = soca_conf_get(w.conf, "web", NULL, "state");
	w.bindir = soca_conf_get(w.conf, "web", NULL, "bindir");
	if (w.bindir == NULL)
		w.bindir = BINDIR;
	serve(&w);
	if (!w.answered)
		soca_web_error(&w, 500, "internal error");
	soca_web_audit(&w);
	cleanup(&w);
	return 0;
}
