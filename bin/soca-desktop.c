/*
 * soca-desktop: remote desktops (NICE DCV workstations on EC2) -- launch,
 * list, show, connect, stop, hibernate, start, resize, terminate,
 * schedule, and the cron pass (tick) with the node's report.  The verbs
 * live in lib/desktop*.c; this file turns arguments into one of them.
 * A NAME is the caller's desktop; admins may say USER/NAME.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desktop.h"
#include "job.h"

static const char usage_text[] =
    "usage: soca-desktop launch NAME [-t type] [-i image] [--root-size GiB]\n"
    "                    [--hibernate] [--subnet id] [-P project]\n"
    "       soca-desktop list [-aJn] [--csv] [-o cols]\n"
    "       soca-desktop connect NAME [--dcv-file FILE]\n"
    "       soca-desktop show|stop|hibernate|start|terminate NAME\n"
    "       soca-desktop resize NAME TYPE\n"
    "       soca-desktop schedule NAME [--tz zone] [--clear] [DAYS WINDOW]...\n"
    "       soca-desktop tick [-v]\n"
    "       soca-desktop report [--instance id] [--session id]\n";

static const struct soca_col cols[] = {
	{ "name", "NAME", SOCA_COL_STR, false, false },
	{ "owner", "OWNER", SOCA_COL_STR, false, false },
	{ "state", "STATE", SOCA_COL_STR, false, false },
	{ "type", "TYPE", SOCA_COL_STR, false, false },
	{ "id", "INSTANCE", SOCA_COL_STR, false, false },
	{ "ip", "ADDRESS", SOCA_COL_STR, false, false },
	{ "project", "PROJECT", SOCA_COL_STR, false, false },
	{ "schedule", "SCHEDULE", SOCA_COL_STR, false, false },
	{ "tz", "TZ", SOCA_COL_STR, false, true },
	{ "hibernate", "HIBERNATE", SOCA_COL_BOOL, false, true },
	{ "image", "IMAGE", SOCA_COL_STR, false, true },
	{ "session", "SESSION", SOCA_COL_STR, false, true },
	{ "launch", "LAUNCHED", SOCA_COL_STR, false, true },
};
#define NCOLS (sizeof(cols) / sizeof(*cols))

struct opts {
	struct soca_desk_launch l;
	const char *sel, *tz, *iid, *session, *dcvfile;
	enum soca_out_fmt fmt;
	bool all, noheads, clear, verbose;
};

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "clear", no_argument, NULL, 'X' },
		{ "csv", no_argument, NULL, 'C' },
		{ "dcv-file", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "hibernate", no_argument, NULL, 'H' },
		{ "image", required_argument, NULL, 'i' },
		{ "instance", required_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "project", required_argument, NULL, 'P' },
		{ "root-size", required_argument, NULL, 'R' },
		{ "session", required_argument, NULL, 'S' },
		{ "subnet", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "tz", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 } };
	long long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "+aChi:Jno:P:t:v", lo, NULL)) !=
	    -1)
		switch (ch) {
		case 'a': o->all = true; break;
		case 'C': o->fmt = SOCA_OUT_CSV; break;
		case 'D': o->dcvfile = optarg; break;
		case 'h': usage(0);
		case 'H': o->l.hibernate = true; break;
		case 'i': o->l.image = optarg; break;
		case 'I': o->iid = optarg; break;
		case 'J': o->fmt = SOCA_OUT_JSON; break;
		case 'n': o->noheads = true; break;
		case 'o': o->sel = optarg; break;
		case 'P': o->l.project = optarg; break;
		case 'R':
			if (soca_parse_int(optarg, 8, 16384, &v) != 0)
				errx(SOCA_EX_USAGE, "--root-size %s: not a size "
				    "in GiB from 8 to 16384", optarg);
			o->l.root = v;
			break;
		case 'S': o->session = optarg; break;
		case 's': o->l.subnet = optarg; break;
		case 't': o->l.type = optarg; break;
		case 'v': o->verbose = true; break;
		case 'X': o->clear = true; break;
		case 'z': o->tz = optarg; break;
		default: usage(SOCA_EX_USAGE);
		}
}

/* NAME, or USER/NAME for admins: the owner and the name */
static const char *
target(const struct soca_conf *c, const char *me, char *arg, const char **name)
{
	char *slash = strchr(arg, '/');

	*name = arg;
	if (slash == NULL)
		return me;
	*slash = '\0';
	*name = slash + 1;
	if (strcmp(arg, me) != 0 && !soca_is_admin(c, getuid()))
		errx(SOCA_EX_USAGE, "%s/%s: only admins act on another user's "
		    "desktops; give your own NAME", arg, *name);
	if (!soca_name_ok(arg))
		errx(SOCA_EX_USAGE, "%s: not a user name", arg);
	return arg;
}

static void
row(struct soca_out *o, struct soca_desk_ctx *x, struct soca_ec2_inst *i)
{
	struct soca_desk d;
	struct soca_buf b = { 0 };

	soca_desk_read(x->sp, i->owner, i->dname, &d);
	soca_sched_str(&d.sched, &b);
	soca_out_str(o, "name", i->dname);
	soca_out_str(o, "owner", i->owner);
	soca_out_str(o, "state", i->state);
	soca_out_str(o, "type", i->type);
	soca_out_str(o, "id", i->id);
	soca_out_str(o, "ip", i->pubip ? i->pubip : i->ip ? i->ip : "-");
	soca_out_str(o, "project", i->project ? i->project : "-");
	soca_out_str(o, "schedule", b.s);
	soca_out_str(o, "tz", d.sched.set ? d.sched.tz : "-");
	soca_out_bool(o, "hibernate", i->hibernate);
	soca_out_str(o, "image", d.image ? d.image : "-");
	soca_out_str(o, "session", i->session ? i->session : "-");
	soca_out_str(o, "launch", i->launch ? i->launch : "-");
	soca_out_row(o);
	soca_buf_free(&b);
	soca_desk_free(&d);
}

static int
sweep_or_fail(struct soca_desk_ctx *x, const char *owner,
    struct soca_ec2_inst **v, size_t *n)
{
	struct soca_aws_err e = { 0 };
	char *s;
	int rc;

	if (soca_desk_sweep(x, owner, v, n, &e) == 0)
		return 0;
	s = soca_aws_err_str(&e);
	warnx("DescribeInstances: %s", s);
	rc = soca_aws_err_exit(&e);
	free(s);
	soca_aws_err_free(&e);
	exit(rc);
}

static int
list(struct soca_desk_ctx *x, struct opts *op, const char *me,
    const char *one)
{
	struct soca_ec2_inst *v;
	struct soca_out *o;
	size_t n, shown = 0;

	if (op->all && !soca_is_admin(x->c, getuid()))
		errx(SOCA_EX_USAGE, "list -a: only admins list every user's "
		    "desktops; drop -a");
	if (!soca_out_select_ok(cols, NCOLS, op->sel))
		return SOCA_EX_USAGE;
	sweep_or_fail(x, op->all ? NULL : me, &v, &n);
	o = soca_out_new(cols, NCOLS, op->fmt, op->noheads, op->sel, stdout);
	for (size_t i = 0; i < n; i++)
		if (v[i].dname && (one == NULL || strcmp(v[i].dname, one) ==
		    0)) {
			row(o, x, &v[i]);
			shown++;
		}
	if (soca_out_end(o) < 0)
		err(SOCA_EX_TEMP, "stdout");
	soca_ec2_inst_free(v, n);
	if (one && shown == 0)
		warnx("show %s: no such desktop of %s", one, me);
	return one && shown == 0 ? SOCA_EX_FALSE : 0;
}

/*
 * a DCV connection file: the client opens it and asks for the password;
 * webpath is where DCV answers ("/SESSION/" behind an ALB, "" at /)
 */
static int
dcv_file(const char *path, const char *host, long long port,
    const char *webpath, const char *session, const char *user)
{
	char *s = soca_xasprintf("[version]\nformat=1.0\n\n[connect]\n"
	    "host=%s\nport=%lld\nsessionid=%s\nuser=%s\nweburlpath=%s\n",
	    host, port, session, user, webpath);
	int r = soca_write_atomic(path, s, strlen(s), 0644);

	if (r < 0)
		warn("connect: %s", path);
	free(s);
	return r < 0 ? SOCA_EX_TEMP : 0;
}

/*
 * The DCV file for the ALB's URL, https://DNS[:PORT]/SESSION/#SESSION
 * (soca_desk_alb_url): its host, port and path, the session after #.
 */
static int
alb_dcv_file(const char *path, const char *url, const char *user)
{
	const char *h = url + strlen("https://"), *p = h + strcspn(h, ":/"),
	    *hash = strchr(url, '#');
	char *host = soca_xstrndup(h, (size_t)(p - h)), *web;
	long long port = *p == ':' ? atoll(p + 1) : 443;
	int rc;

	p += strcspn(p, "/");
	web = soca_xstrndup(p, hash ? (size_t)(hash - p) : strlen(p));
	rc = dcv_file(path, host, port, web, hash ? hash + 1 : "", user);
	free(host);
	free(web);
	return rc;
}

/* the ssh line for a private address, the URL, the DCV file if asked */
static int
reach(struct soca_desk_ctx *x, const struct soca_ec2_inst *i,
    const char *user, const char *file)
{
	long long port = soca_conf_int(x->c, "desktop", NULL, "dcv_port");
	const char *gw = soca_conf_get(x->c, "desktop", NULL, "gateway");
	char host[256] = "localhost";
	/* Windows: DCV's console session (etc/desktop-user-data.ps1) */
	const char *ses = i->dos && strcmp(i->dos, "windows") == 0 ?
	    "console" : i->session;
	/* launched for an ALB: DCV answers under /SESSION (the user data) */
	char *up = soca_conf_get(x->c, "desktop", NULL, "alb_listener_arn") ?
	    soca_xasprintf("/%s/", i->session) : soca_xstrdup("/");

	if (file && dcv_file(file, i->pubip ? i->pubip : "localhost", port,
	    strcmp(up, "/") == 0 ? "" : up, ses, user) != 0) {
		free(up);
		return SOCA_EX_TEMP;
	}
	if (i->pubip) {
		printf("https://%s:%lld%s#%s\n", i->pubip, port, up, ses);
		free(up);
		return 0;
	}
	if (gw == NULL && gethostname(host, sizeof(host) - 1) == 0)
		gw = host;
	printf("ssh -N -L %lld:%s:%lld %s@%s\n", port, i->ip, port, user,
	    gw ? gw : "localhost");
	printf("https://localhost:%lld%s#%s\n", port, up, ses);
	free(up);
	return 0;
}

static int
connect_to(struct soca_desk_ctx *x, const char *user, const char *name,
    const char *file)
{
	struct soca_ec2_inst *v, *i;
	size_t n;
	int rc = SOCA_EX_FALSE;
	char *url;

	sweep_or_fail(x, user, &v, &n);
	if ((i = soca_desk_find(v, n, user, name)) == NULL)
		warnx("connect %s: no such desktop of %s", name, user);
	else if (strcmp(i->state, "running") != 0)
		warnx("connect %s: %s is %s; soca-desktop start %s first", name,
		    i->id, i->state, name);
	else if ((url = soca_desk_alb_url(x, i)) != NULL) {
		printf("%s\n", url);	/* through the ALB's rule */
		rc = file ? alb_dcv_file(file, url, user) : 0;
		free(url);
	} else
		rc = reach(x, i, user, file);
	soca_ec2_inst_free(v, n);
	return rc;
}

static int
schedule(struct soca_desk_ctx *x, struct opts *o, const char *user,
    const char *name, int argc, char **argv)
{
	struct soca_sched s;
	struct soca_desk d;
	struct soca_buf b = { 0 };
	char *why = NULL;
	int have = soca_desk_read(x->sp, user, name, &d), rc = 0;
	const char *tz = o->tz ? o->tz : d.sched.set ? d.sched.tz :
	    soca_conf_get(x->c, "desktop", NULL, "timezone");

	if (have != 0 || d.gone) {
		warnx("schedule %s: no such desktop of %s (launch it first)",
		    name, user);
		soca_desk_free(&d);
		return have < 0 ? SOCA_EX_TEMP : SOCA_EX_FALSE;
	}
	if (argc == 0 && o->tz && !d.sched.set && !o->clear) {
		warnx("schedule %s: --tz %s: no schedule to set the zone of; "
		    "give DAYS WINDOW pairs too", name, o->tz);
		soca_desk_free(&d);
		return SOCA_EX_USAGE;
	}
	if (argc == 0 && o->tz && d.sched.set) {	/* a new zone only */
		s = d.sched;
		if (!soca_tz_ok(o->tz))
			rc = soca_sched_parse(NULL, 0, o->tz, &s, &why);
		snprintf(s.tz, sizeof(s.tz), "%s", o->tz);
	} else if (argc || o->clear)
		rc = soca_sched_parse(argv, argc, tz, &s, &why);
	else
		s = d.sched;
	if (rc < 0) {
		warnx("schedule %s: %s", name, why);
		free(why);
		soca_desk_free(&d);
		return SOCA_EX_USAGE;
	}
	if (argc || o->clear || o->tz) {
		d.sched = s;
		if (soca_desk_write(x->sp, &d) < 0) {
			warn("schedule %s: spool record", name);
			rc = SOCA_EX_TEMP;
		}
	}
	soca_sched_str(&d.sched, &b);
	printf("%s: %s%s%s\n", name, b.s, d.sched.set ? " " : "",
	    d.sched.set ? d.sched.tz : "");
	soca_buf_free(&b);
	soca_desk_free(&d);
	return rc;
}

static int
report(struct soca_desk_ctx *x, struct opts *o)
{
	const char *const paths[] = { "instance-id",
		"tags/instance/soca:DesktopSession" };
	char *got[2] = { NULL, NULL };
	int rc;

	if ((o->iid == NULL || o->session == NULL) &&
	    soca_imds_get(paths, got, 2) < 0)
		errx(SOCA_EX_TEMP, "report: instance metadata: no instance id "
		    "or soca:DesktopSession tag; give --instance and --session");
	if (!soca_desk_iid_ok(o->iid ? o->iid : got[0]))
		errx(SOCA_EX_USAGE, "report: instance \"%s\": not an instance "
		    "id (i- and 8 or 17 hex digits)", o->iid ? o->iid : got[0]);
	rc = soca_desk_report(x->c, x->sp, o->iid ? o->iid : got[0],
	    o->session ? o->session : got[1]);
	free(got[0]);
	free(got[1]);
	return rc;
}

static const char *const verbs[] = { "launch", "list", "show", "connect",
	"stop", "hibernate", "start", "resize", "terminate", "schedule",
	"tick", "report", NULL };

static int
run(struct soca_desk_ctx *x, struct opts *o, const char *verb, int argc,
    char **argv, const char *me)
{
	const char *user = me, *name = NULL;

	if (strcmp(verb, "list") == 0 || strcmp(verb, "tick") == 0 ||
	    strcmp(verb, "report") == 0) {
		if (argc != 0)
			usage(SOCA_EX_USAGE);
		if (strcmp(verb, "list") == 0)
			return list(x, o, me, NULL);
		return strcmp(verb, "tick") == 0 ? soca_desk_tick(x) :
		    report(x, o);
	}
	if (argc < 1 || (strcmp(verb, "resize") == 0 && argc != 2) ||
	    (strcmp(verb, "resize") != 0 && strcmp(verb, "schedule") != 0 &&
	    argc != 1))
		usage(SOCA_EX_USAGE);
	user = target(x->c, me, argv[0], &name);
	if (strcmp(verb, "launch") != 0 && !soca_desk_name_ok(name))
		errx(SOCA_EX_USAGE, "%s: name \"%s\": 1 to 32 letters, digits, "
		    "'-' or '_'", verb, name);
	if (strcmp(verb, "launch") == 0) {
		o->l.user = user;
		o->l.name = name;
		return soca_desk_launch(x, &o->l);
	}
	if (strcmp(verb, "show") == 0)
		return list(x, o, user, name);
	if (strcmp(verb, "connect") == 0)
		return connect_to(x, user, name, o->dcvfile);
	if (strcmp(verb, "schedule") == 0)
		return schedule(x, o, user, name, argc - 1, argv + 1);
	return soca_desk_power(x, user, name, verb, argc == 2 ? argv[1] :
	    NULL);
}

int
main(int argc, char **argv)
{
	struct opts o = { .fmt = SOCA_OUT_TABLE };
	struct soca_desk_ctx x = { .log = stdout };
	struct soca_aws_err e = { 0 };
	struct passwd *pw;
	struct soca_conf *c;
	const char *verb;
	char *me;
	size_t k;
	int rc;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		usage(0);
	optind = 1;
	if (argc > 1 && argv[1][0] == '-')	/* soca(7)'s listing flags */
		parse(argc, argv, &o);		/* may come before the verb */
	if (optind >= argc)
		usage(SOCA_EX_USAGE);
	verb = argv[optind++];
	for (k = 0; verbs[k] && strcmp(verbs[k], verb) != 0; k++)
		;
	if (verbs[k] == NULL)
		errx(SOCA_EX_USAGE, "%s: not a verb (launch, list, show, "
		    "connect, stop, hibernate, start, resize, terminate, "
		    "schedule, tick, report)", verb);
	/* options may follow NAME: parse until done, gathering operands */
	char **ops = soca_xcalloc((size_t)argc, sizeof(*ops));
	int nops = 0;

	while (optind < argc) {
		parse(argc, argv, &o);
		if (optind < argc)
			ops[nops++] = argv[optind++];
	}
	if ((pw = getpwuid(getuid())) == NULL)
		errx(SOCA_EX_USAGE, "uid %ld has no user name", (long)getuid());
	me = soca_xstrdup(pw->pw_name);
	x.c = c = soca_conf_must();
	x.cluster = soca_conf_get(x.c, "cluster", NULL, "name");
	x.now = soca_desk_now();
	if ((x.sp = soca_spool_open(x.c, true)) == NULL)
		err(SOCA_EX_TEMP, "spool");
	if ((x.a = soca_aws_open(x.c, &e)) == NULL) {
		char *s = soca_aws_err_str(&e);

		errx(soca_aws_err_exit(&e), "aws: %s", s);
	}
	x.verbose = o.verbose;
	rc = run(&x, &o, verb, nops, ops, me);
	soca_aws_free(x.a);
	soca_spool_close(x.sp);
	soca_conf_free(c);
	free(ops);
	free(me);
	return rc;
}
