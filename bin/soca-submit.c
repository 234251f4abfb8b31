/*
 * soca-submit: validate a job against its queue and store it in the
 * spool; print its id.  The script comes from a file, from stdin, or is
 * the command after `--`.  #PBS lines in the script's header are read as
 * options; the command line wins.  An array (-J) prints as ID[].
 * With [cluster] dispatch = immediate
 * the dispatcher is started right away, detached.
 */
#include "config.h"

#include <sys/utsname.h>

#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "estimate.h"
#include "fsx.h"
#include "provider.h"
#include "provider_aws.h"
#include "slurm.h"

static const char usage_text[] =
    "usage: soca-submit [-hV] [-a [[[[CC]YY]MM]DD]hhmm[.SS]] [-A account] "
    "[-e path]\n"
    "                   [-J X-Y[:Z][%M]] [-j oe|n] [-k o|e|oe|n] "
    "[-l key=value[,...]]\n"
    "                   "
    "[-M user[@host][,...]]\n"
    "                   [-m abe|n] [-N name] [-o path] [-P project] "
    "[-p priority]\n"
    "                   [-q queue] [-r y|n] [-S path] [-v VAR[=value][,...]]\n"
    "                   [-W depend=KIND:ID[:ID...][,...]] "
    "[script | -- command [arg ...]]\n"
    "       soca-submit --estimate [--json] [options as above] "
    "[script | -- command ...]\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void __attribute__((noreturn))
refuse(char *why)
{
	warnx("%s", why);
	free(why);
	exit(SOCA_EX_USAGE);
}

/* The script as the user may read it (our setgid rights are dropped). */
static char *
read_script(const char *path, size_t *len, long long max)
{
	struct soca_buf b = { 0 };
	char chunk[8192];
	ssize_t n;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;

	if (fd < 0)
		err(SOCA_EX_USAGE, "script %s: cannot read it (give a readable "
		    "file, or the script on stdin)", path);
	if (path == NULL && isatty(fd))
		errx(SOCA_EX_USAGE, "no script: give a script file, pipe one "
		    "on stdin, or use -- command args");
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		soca_buf_add(&b, chunk, (size_t)n);
		if (max > 0 && (long long)b.len > max + 1)
			break;
	}
	if (n < 0)
		err(SOCA_EX_USAGE, "script %s: cannot read it (give a readable "
		    "file, or the script on stdin)", path ? path : "<stdin>");
	if (path)
		close(fd);
	*len = b.len;
	return b.s ? b.s : soca_xstrdup("");
}

/* "-- cmd args": a script that execs the words, each single-quoted. */
static char *
command_script(int argc, char **argv, size_t *len)
{
	struct soca_buf b = { 0 };

	soca_buf_adds(&b, "#!/bin/sh\nexec");
	for (int i = 0; i < argc; i++) {
		soca_buf_adds(&b, " '");
		for (const char *p = argv[i]; *p; p++)
			if (*p == '\'')
				soca_buf_adds(&b, "'\\''");
			else
				soca_buf_addc(&b, *p);
		soca_buf_addc(&b, '\'');
	}
	soca_buf_addc(&b, '\n');
	*len = b.len;
	return soca_buf_steal(&b);
}

static void
owner(struct soca_job *j, const struct soca_conf *c)
{
	struct passwd *pw = getpwuid(getuid());
	char cwd[PATH_MAX];

	if (pw == NULL)
		errx(SOCA_EX_USAGE, "uid %ld has no user name (add it to the "
		    "directory)", (long)getuid());
	j->uid = getuid();
	j->gid = getgid();
	j->user = soca_xstrdup(pw->pw_name);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		err(SOCA_EX_USAGE, "working directory");
	j->workdir = soca_xstrdup(cwd);
	j->submit = time(NULL);
	j->exit = -1;
	if (j->queue == NULL)
		j->queue = soca_xstrdup(soca_conf_get(c, "cluster", NULL,
		    "default_queue"));
	if (j->name == NULL)
		j->name = soca_xstrdup("STDIN");
	if (j->holder != NULL) {	/* -h: held by the submitter */
		free(j->holder);
		j->holder = soca_xstrdup(j->user);
		j->holduid = j->uid;
	}
	j->reason = soca_job_waits(j, j->submit);
}

/*
 * provider = aws: would AWS launch it?  (cached per parameter set)  NULL,
 * or why not, for the caller to refuse with once it let go of the spool.
 */
static char *
dry_run(const struct soca_conf *c, struct soca_spool *sp,
    const struct soca_job *j)
{
	char *why = NULL, *m;
	int r;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") != 0)
		return NULL;
	if ((why = soca_aws_refuse(c, j)) != NULL ||	/* soca's own rules */
	    (why = soca_aws_chunks(c, j)) != NULL)	/* select vs type */
		return why;
	if (!soca_conf_bool(c, "aws", NULL, "dryrun"))
		return NULL;
	if ((r = soca_aws_dryrun(c, sp, j, &why)) == 1) {
		m = soca_xasprintf("AWS would refuse the launch: %s", why);
		free(why);
		return m;
	}
	if (r == 2)
		return why;
	if (r < 0)
		warnx("cannot ask AWS whether the launch would be allowed: %s "
		    "(the job is queued; soca-node-up will find out)", why);
	free(why);
	return NULL;
}

/*
 * A job naming no project goes to the first project whose default_for
 * lists its user or one of the user's groups; with [budget]
 * require_project, a job still without one is refused.
 */
static void
default_project(const struct soca_conf *c, struct soca_job *j)
{
	char **names, **l;
	size_t n, nl;

	if (j->project != NULL)
		return;
	n = soca_conf_names(c, "project", &names);
	for (size_t i = 0; i < n && j->project == NULL; i++) {
		nl = soca_conf_list(c, "project", names[i], "default_for", &l);
		if (soca_user_in(j->user, j->uid, j->gid, l, nl))
			j->project = soca_xstrdup(names[i]);
		soca_strv_free(l, nl);
	}
	soca_strv_free(names, n);
	if (j->project == NULL &&
	    soca_conf_bool(c, "budget", NULL, "require_project"))
		errx(SOCA_EX_USAGE, "no project: every job is charged to one "
		    "here; give -P project (soca-config show lists them) or "
		    "ask for a default_for entry");
}

/* A project at or over its limit takes no new jobs (jobcheck.c). */
static void
budget_gate(const struct soca_conf *c, const struct soca_job *j)
{
	char *why = soca_job_budget(c, j, true);

	if (why)
		errx(SOCA_EX_USAGE, "%s", why);
}

/*
 * What qsub records of the submitter's environment, as PBS_O_* (PBS
 * Professional's "Job Environment Variables"); the runner adds the rest.
 */
static void
pbs_origin(struct soca_job *j)
{
	static const char *const from[][2] = {
		{ "PBS_O_HOME", "HOME" }, { "PBS_O_LANG", "LANG" },
		{ "PBS_O_LOGNAME", "LOGNAME" }, { "PBS_O_MAIL", "MAIL" },
		{ "PBS_O_PATH", "PATH" }, { "PBS_O_SHELL", "SHELL" },
		{ "PBS_O_TZ", "TZ" },
	};
	struct utsname u;
	char host[256] = "";

	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		const char *v = getenv(from[i][1]);
		char *kv;

		if (v == NULL || strchr(v, '\n') != NULL)
			continue;
		kv = soca_xasprintf("%s=%s", from[i][0], v);
		soca_job_add_env(j, kv);
		free(kv);
	}
	if (uname(&u) == 0) {
		char *kv = soca_xasprintf("PBS_O_SYSTEM=%s", u.sysname);
		soca_job_add_env(j, kv);
		free(kv);
	}
	if (gethostname(host, sizeof(host) - 1) == 0 && host[0]) {
		char *kv = soca_xasprintf("PBS_O_HOST=%s", host);
		soca_job_add_env(j, kv);
		free(kv);
	}
}

/*
 * --estimate: the job's projected cost, item by item, then the total; no
 * job is stored.  0, or 3 when a price cannot be had.
 */
static int
print_estimate(struct soca_conf *c, struct soca_job *j, bool json)
{
	struct soca_estimate e;
	char *why;
	int rc;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") != 0) {
		soca_job_free(j);
		soca_conf_free(c);
		printf("%s\n", json ? "{\"item\":\"total\",\"usd\":0,"
		    "\"why\":\"provider = local: the job runs on this host\"}" :
		    "0 USD: provider = local, the job runs on this host");
		return SOCA_EX_OK;
	}
	if ((rc = soca_job_estimate(c, j, &e, &why)) < 0) {
		warnx("cannot estimate the job's cost: %s%s", why, rc == -2 ?
		    " (check the instance type: -l instance_type=TYPE)" : "");
		free(why);
		soca_job_free(j);
		soca_conf_free(c);
		return rc == -2 ? SOCA_EX_USAGE : SOCA_EX_TEMP;
	}
	rc = soca_estimate_print(&e, json, stdout);
	soca_estimate_free(&e);
	soca_job_free(j);
	soca_conf_free(c);
	return rc;
}

static int
slurm_submit(struct soca_conf *c, struct soca_job *j, char *script,
    size_t len)
{
	char *why = strcmp(soca_conf_get(c, "cluster", NULL, "provider"),
	    "aws") == 0 ? soca_aws_refuse(c, j) : NULL;
	int rc;

	if (why == NULL)	/* an estimate already over its max_cost */
		why = soca_job_cost(c, j);
	if (why)
		refuse(why);
	rc = soca_slurm_submit(c, j, script, len);
	free(script);
	soca_job_free(j);
	soca_conf_free(c);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "estimate", no_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'O' }, { NULL, 0, NULL, 0 } };
	bool estimate = false, json = false;
	struct soca_job j = { 0 };
	struct soca_conf *c;
	struct soca_spool *sp;
	unsigned long long seen = 0;
	char *script, *why = NULL;
	size_t len;
	int ch;
	bool from_file;

	soca_priv_init();
	c = soca_conf_must();
	while ((ch = getopt_long(argc, argv,
	    "+a:A:c:C:e:fGhIj:J:k:l:m:M:N:o:p:P:q:r:R:S:u:v:VW:Xz", lo,
	    NULL)) != -1 && why == NULL) {
		if (ch == 'H')
			usage(0);
		if (ch == 'E' || ch == 'O') {
			*(ch == 'E' ? &estimate : &json) = true;
			continue;
		}
		if (ch == '?' || ch == ':')
			usage(SOCA_EX_USAGE);
		why = soca_job_option(&j, ch, optarg ? optarg : "", &seen,
		    false);
	}
	if (why)
		refuse(why);
	argc -= optind;
	argv += optind;
	from_file = argc == 1 && strcmp(argv[-1], "--") != 0;
	if (argc > 1 && strcmp(argv[-1], "--") != 0)
		usage(SOCA_EX_USAGE);
	if (argc > 0 && !from_file)
		script = command_script(argc, argv, &len);
	else
		script = read_script(argc ? argv[0] : NULL, &len,
		    soca_conf_int(c, "cluster", NULL, "max_script_size"));
	if (argc > 0 && !(seen & SOCA_SEEN('N'))) {
		const char *b = strrchr(argv[0], '/');
		b = b ? b + 1 : argv[0];
		j.name = soca_name_ok(b) ? soca_xstrdup(b) : NULL;
	}
	if (soca_is_text(script, len) &&
	    (why = soca_job_directives(&j, script, len, &seen)) != NULL)
		refuse(why);
	owner(&j, c);
	default_project(c, &j);
	pbs_origin(&j);
	if ((why = soca_job_validate(c, &j, script, len)) != NULL)
		refuse(why);
	if (json && !estimate)
		refuse(soca_xstrdup("--json goes with --estimate (soca-stat -J "
		    "lists submitted jobs as JSON)"));
	if (estimate) {
		free(script);
		return print_estimate(c, &j, json);
	}
	soca_priv_raise();
	if (soca_slurm_on(c))	/* Slurm schedules: sbatch, held if over budget */
		return slurm_submit(c, &j, script, len);
	if ((why = soca_job_cost(c, &j)) != NULL)
		refuse(why);
	budget_gate(c, &j);
	if ((ch = soca_fsx_reachable(c, &j, &why)) != 0)	/* bucket, fs- */
		errx(ch < 0 ? SOCA_EX_TEMP : SOCA_EX_USAGE, "%s", why);
	sp = soca_spool_open_lazy(c);
	if ((why = dry_run(c, sp, &j)) != NULL) {
		soca_spool_close(sp);
		free(script);
		soca_job_free(&j);
		soca_conf_free(c);
		refuse(why);
	}
	if (soca_spool_submit(sp, &j, script, len) < 0)
		err(SOCA_EX_TEMP, "%s: cannot store the job", soca_spool_dir(sp));
	printf("%lld%s\n", j.id, j.array ? "[]" : "");
	fflush(stdout);
	soca_kick(c, sp);
	soca_spool_close(sp);
	free(script);
	soca_job_free(&j);
	soca_conf_free(c);
	return SOCA_EX_OK;
}
