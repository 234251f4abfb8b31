/*
 * soca-user: add, remove, list and change cluster users in LDAP.
 *
 * main() turns options into a verb and its arguments; each verb is a
 * short function over lib/dir.  Names are checked before the directory
 * is contacted, so bad input exits 2 having changed nothing.  Passwords
 * come from a file, a no-echo prompt or the generator, never from argv.
 * Run by anyone but root (the directory service account the web door
 * goes through), add and del leave the home to `home --pending` (root)
 * through a request in [ldap] home_queue (lib/dir_home.c).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soca.h"
#include "dir.h"

static const char usage_text[] =
    "usage: soca-user [-c file] add [--uid N] [--gid N] [--shell S] "
    "[--email E] [--admin]\n"
    "                 [--password-file F | --generate-password] NAME\n"
    "       soca-user [-c file] del NAME\n"
    "       soca-user [-c file] list [-J | --csv] [-n] [-o cols]\n"
    "       soca-user [-c file] show [-J | --csv] NAME\n"
    "       soca-user [-c file] passwd [--password-file F | "
    "--generate-password] NAME\n"
    "       soca-user [-c file] lock | unlock NAME\n"
    "       soca-user [-c file] admin grant | revoke NAME\n"
    "       soca-user [-c file] key [--again] NAME\n"
    "       soca-user [-c file] home --pending\n";

enum {
	O_UID = 1 << 0, O_GID = 1 << 1, O_SHELL = 1 << 2, O_EMAIL = 1 << 3,
	O_ADMIN = 1 << 4, O_PWFILE = 1 << 5, O_GENPW = 1 << 6,
	O_AGAIN = 1 << 7, O_LIST = 1 << 8, O_PENDING = 1 << 9,
};

static struct {
	const char *conf, *shell, *email, *pwfile, *cols;
	long long uid, gid;
	bool csv, json, noheadings;
	int set;
} opt = { .uid = -1, .gid = -1 };

static const struct soca_col cols[] = {
	{ "name", "NAME", SOCA_COL_STR, false, false },
	{ "uid", "UID", SOCA_COL_INT, true, false },
	{ "gid", "GID", SOCA_COL_INT, true, false },
	{ "admin", "ADMIN", SOCA_COL_BOOL, false, false },
	{ "locked", "LOCKED", SOCA_COL_BOOL, false, false },
	{ "email", "EMAIL", SOCA_COL_STR, false, false },
	{ "home", "HOME", SOCA_COL_STR, false, true },
	{ "shell", "SHELL", SOCA_COL_STR, false, true },
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stderr);
	exit(SOCA_EX_USAGE);
}

/* The new password per the options; NULL with rc 0 when none. */
static int
new_password(const struct soca_conf *c, const char *name, bool prompt,
    char **pw)
{
	*pw = NULL;
	if (opt.set & O_GENPW) {
		*pw = soca_pass_generate(c, name);
		return 0;
	}
	if (opt.set & O_PWFILE)
		return soca_pass_file(opt.pwfile, pw);
	if (prompt)
		return soca_pass_prompt(pw);
	return 0;
}

static void
row(struct soca_out *o, const struct soca_dir_user *u)
{
	soca_out_str(o, "name", u->name);
	soca_out_int(o, "uid", u->uid);
	soca_out_int(o, "gid", u->gid);
	soca_out_bool(o, "admin", u->admin);
	soca_out_bool(o, "locked", u->locked);
	soca_out_str(o, "email", u->mail ? u->mail : "");
	soca_out_str(o, "home", u->home ? u->home : "");
	soca_out_str(o, "shell", u->shell ? u->shell : "");
	soca_out_row(o);
}

/* not root, with a home queue: homes are made by `home --pending` */
static bool queued_mode;

static bool
queued(void)
{
	return queued_mode;
}

static void
set_queued(const struct soca_conf *c)
{
	queued_mode = geteuid() != 0 && soca_home_queue_dir(c) != NULL;
}

/* the queue is a directory this process may write in */
static int
queue_ok(const struct soca_conf *c)
{
	const char *q = soca_home_queue_dir(c);
	struct stat st;

	if (stat(q, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    access(q, W_OK | X_OK) == -1) {
		warnx("[ldap] home_queue %s: not a directory this user (uid "
		    "%lu) may write in (create it, owned by the directory "
		    "service account, mode 0750)", q,
		    (unsigned long)geteuid());
		return SOCA_EX_USAGE;
	}
	return 0;
}

static int
cmd_add(const char *name)
{
	struct soca_dir_newuser nu = { name, opt.shell, opt.email, opt.uid,
	    opt.gid, (opt.set & O_ADMIN) != 0 };
	struct soca_dir_user u;
	struct soca_conf *c;
	struct soca_dir *d;
	char *pw, *home;
	int rc;

	if ((rc = soca_dir_name_check("user", name)) != 0 ||
	    (opt.shell && (rc = soca_dir_shell_check(opt.shell)) != 0) ||
	    (opt.email && (rc = soca_dir_mail_check(opt.email)) != 0))
		return rc;
	d = soca_dir_connect(opt.conf, &c);
	set_queued(c);
	if ((rc = soca_dir_user_get(d, name, &u)) != SOCA_EX_FALSE) {
		if (rc == 0) {
			warnx("user \"%s\" already exists (uid %lld)", name,
			    u.uid);
			soca_dir_user_free(&u);
			rc = SOCA_EX_FALSE;
		}
		return soca_dir_done(d, c, rc);
	}
	if ((rc = new_password(c, name, false, &pw)) != 0 ||
	    (pw && (rc = soca_pass_check(c, name, pw)) != 0) ||
	    (rc = soca_home_check(c, name)) != 0 ||
	    (queued() && (rc = queue_ok(c)) != 0) ||
	    (rc = soca_dir_user_add(d, &nu, &u)) != 0) {
		soca_pass_free(pw);
		return soca_dir_done(d, c, rc);
	}
	if (pw != NULL && (rc = soca_dir_user_passwd(d, name, pw)) != 0)
		warnx("user \"%s\" added without a password", name);
	if (queued()) {
		home = soca_path_join(soca_conf_get(c, "ldap", NULL, "homes"),
		    name);
		if ((rc = soca_home_queue(c, name, "add")) != 0) {
			warnx("user \"%s\" added, but its home is not queued: "
			    "run soca-user home --pending as root after fixing "
			    "[ldap] home_queue", name);
			rc = SOCA_EX_FALSE;
		}
	} else if (soca_home_create(c, name, u.uid, u.gid, &home) != 0) {
		warnx("user \"%s\" added, but home %s is incomplete", name,
		    home);
		rc = SOCA_EX_FALSE;
	}
	printf("%s uid=%lld gid=%lld home=%s%s\n", name, u.uid, u.gid, home,
	    queued() ? " (queued)" : "");
	if (pw != NULL && (opt.set & O_GENPW) && rc == 0)
		printf("password: %s\n", pw);
	free(home);
	soca_pass_free(pw);
	soca_dir_user_free(&u);
	return soca_dir_done(d, c, rc);
}

static int
cmd_del(const char *name)
{
	struct soca_dir_user u;
	struct soca_conf *c;
	struct soca_dir *d;
	char *moved = NULL;
	int rc;

	if ((rc = soca_dir_name_check("user", name)) != 0)
		return rc;
	d = soca_dir_connect(opt.conf, &c);
	set_queued(c);
	if (queued() && (rc = queue_ok(c)) != 0)
		return soca_dir_done(d, c, rc);
	if ((rc = soca_dir_user_del(d, name, &u)) != 0)
		return soca_dir_done(d, c, rc);
	if (queued()) {
		if ((rc = soca_home_queue(c, name, "del")) == 0)
			printf("%s deleted, home move queued\n", name);
		else
			printf("%s deleted\n", name);
		if (rc != 0)
			rc = SOCA_EX_FALSE;
		soca_dir_user_free(&u);
		return soca_dir_done(d, c, rc);
	}
	rc = soca_home_retire(c, name, &moved);
	printf("%s deleted%s%s\n", name, moved ? ", home moved to " : "",
	    moved ? moved : "");
	free(moved);
	soca_dir_user_free(&u);
	return soca_dir_done(d, c, rc);
}

static int
cmd_list(const char *name)
{
	struct soca_dir_user *v = NULL, one;
	struct soca_conf *c;
	struct soca_dir *d;
	struct soca_out *o;
	size_t n = 0;
	int rc;

	if (name && (rc = soca_dir_name_check("user", name)) != 0)
		return rc;
	if (!soca_out_select_ok(cols, sizeof(cols) / sizeof(cols[0]),
	    opt.cols))
		return SOCA_EX_USAGE;
	d = soca_dir_connect(opt.conf, &c);
	if (name == NULL)
		rc = soca_dir_user_list(d, &v, &n);
	else if ((rc = soca_dir_user_get(d, name, &one)) == 0)
		v = soca_xmalloc(sizeof(*v)), v[0] = one, n = 1;
	else if (rc == SOCA_EX_FALSE)
		warnx("no such user \"%s\" (see soca-user list)", name);
	if (rc != 0)
		return soca_dir_done(d, c, rc);
	o = soca_out_new(cols, sizeof(cols) / sizeof(cols[0]), opt.json ?
	    SOCA_OUT_JSON : opt.csv ? SOCA_OUT_CSV : SOCA_OUT_TABLE, opt.noheadings, name && !opt.cols ?
	    "name,uid,gid,admin,locked,email,home,shell" : opt.cols, stdout);
	for (size_t i = 0; i < n; i++) {
		row(o, &v[i]);
		soca_dir_user_free(&v[i]);
	}
	free(v);
	rc = soca_out_end(o);
	return soca_dir_done(d, c, rc);
}

static int
cmd_passwd(const char *name)
{
	struct soca_conf *c;
	struct soca_dir *d;
	char *pw;
	int rc;

	if ((rc = soca_dir_name_check("user", name)) != 0)
		return rc;
	d = soca_dir_connect(opt.conf, &c);
	if ((rc = new_password(c, name, true, &pw)) == 0 &&
	    (rc = soca_dir_user_passwd(d, name, pw)) == 0 &&
	    (opt.set & O_GENPW))
		printf("password: %s\n", pw);
	soca_pass_free(pw);
	return soca_dir_done(d, c, rc);
}

static int
cmd_simple(const char *verb, const char *name)
{
	struct soca_conf *c;
	struct soca_dir *d;
	int rc;

	if ((rc = soca_dir_name_check("user", name)) != 0)
		return rc;
	d = soca_dir_connect(opt.conf, &c);
	if (strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0)
		rc = soca_dir_user_lock(d, name, verb[0] == 'l');
	else if (strcmp(verb, "grant") == 0 || strcmp(verb, "revoke") == 0)
		rc = soca_dir_user_admin(d, name, verb[0] == 'g');
	if (rc == 0)
		printf("%s %s%s\n", name, verb, verb[0] == 'g' ||
		    verb[0] == 'r' ? " admin" : "ed");
	return soca_dir_done(d, c, rc);
}

/*
 * One's own key needs no directory: the kernel says who is asking, and
 * the passwd database gives the ids, so a user (or soca-api(8) acting as
 * one through sudo) fetches it without [ldap] bind_password_file.
 */
static int
own_key(const char *name)
{
	struct passwd *pw = getpwuid(getuid());
	struct soca_conf *c;
	int rc;

	if (getuid() == 0 || pw == NULL || strcmp(pw->pw_name, name) != 0)
		return -1;
	c = soca_conf_open(opt.conf);
	rc = soca_home_key(c, name, pw->pw_uid, pw->pw_gid,
	    (opt.set & O_AGAIN) != 0, stdout);
	soca_conf_free(c);
	if (fflush(stdout) != 0)
		err(SOCA_EX_TEMP, "stdout");
	return rc;
}

static int
cmd_key(const char *name)
{
	struct soca_dir_user u;
	struct soca_conf *c;
	struct soca_dir *d;
	int rc;

	if ((rc = soca_dir_name_check("user", name)) != 0)
		return rc;
	if ((rc = own_key(name)) != -1)
		return rc;
	d = soca_dir_connect(opt.conf, &c);
	if ((rc = soca_dir_user_get(d, name, &u)) == SOCA_EX_FALSE)
		warnx("no such user \"%s\" (see soca-user list)", name);
	if (rc == 0) {
		rc = soca_home_key(c, name, u.uid, u.gid,
		    (opt.set & O_AGAIN) != 0, stdout);
		soca_dir_user_free(&u);
	}
	return soca_dir_done(d, c, rc);
}

static int
cmd_pending(void)
{
	struct soca_conf *c;
	struct soca_dir *d;

	if (geteuid() != 0) {
		warnx("home --pending gives homes to their users: run it as "
		    "root");
		return SOCA_EX_USAGE;
	}
	d = soca_dir_connect(opt.conf, &c);
	return soca_dir_done(d, c, soca_home_pending(d, c));
}

static long long
number(const char *what, const char *s)
{
	long long v;

	if (soca_parse_int(s, 1, INT_MAX, &v) != 0)
		errx(SOCA_EX_USAGE, "--%s \"%s\" refused: expected a number "
		    "from 1 to %d", what, s, INT_MAX);
	return v;
}

static int
verb_opts(const char *verb)
{
	if (strcmp(verb, "add") == 0)
		return O_UID | O_GID | O_SHELL | O_EMAIL | O_ADMIN | O_PWFILE |
		    O_GENPW;
	if (strcmp(verb, "passwd") == 0)
		return O_PWFILE | O_GENPW;
	if (strcmp(verb, "key") == 0)
		return O_AGAIN;
	if (strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0)
		return O_LIST;
	if (strcmp(verb, "home") == 0)
		return O_PENDING;
	return 0;
}

static int
run(const char *verb, int argc, char **argv)
{
	if ((opt.set & ~verb_opts(verb)) != 0 ||
	    ((opt.set & O_PWFILE) && (opt.set & O_GENPW)))
		usage();
	if (strcmp(verb, "list") == 0 && argc == 0)
		return cmd_list(NULL);
	if (strcmp(verb, "admin") == 0 && argc == 2 &&
	    (strcmp(argv[0], "grant") == 0 || strcmp(argv[0], "revoke") == 0))
		return cmd_simple(argv[0], argv[1]);
	if (strcmp(verb, "home") == 0 && argc == 0 && (opt.set & O_PENDING))
		return cmd_pending();
	if (argc != 1 || strcmp(verb, "home") == 0)
		usage();
	if (strcmp(verb, "add") == 0)
		return cmd_add(argv[0]);
	if (strcmp(verb, "del") == 0)
		return cmd_del(argv[0]);
	if (strcmp(verb, "show") == 0)
		return cmd_list(argv[0]);
	if (strcmp(verb, "passwd") == 0)
		return cmd_passwd(argv[0]);
	if (strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0)
		return cmd_simple(verb, argv[0]);
	if (strcmp(verb, "key") == 0)
		return cmd_key(argv[0]);
	warnx("unknown command \"%s\" (expected add, del, list, show, passwd, "
	    "lock, unlock, admin, key or home)", verb);
	usage();
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "admin", no_argument, NULL, 'A' },
		{ "again", no_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "email", required_argument, NULL, 'e' },
		{ "generate-password", no_argument, NULL, 'G' },
		{ "gid", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "pending", no_argument, NULL, 'P' },
		{ "shell", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:hJno:V", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'A': opt.set |= O_ADMIN; break;
		case 'a': opt.set |= O_AGAIN; break;
		case 'C': opt.csv = true; opt.set |= O_LIST; break;
		case 'c': opt.conf = optarg; break;
		case 'e': opt.email = optarg; opt.set |= O_EMAIL; break;
		case 'G': opt.set |= O_GENPW; break;
		case 'g': opt.gid = number("gid", optarg); opt.set |= O_GID;
			break;
		case 'h': fputs(usage_text, stdout); return SOCA_EX_OK;
		case 'J': opt.json = true; opt.set |= O_LIST; break;
		case 'n': opt.noheadings = true; opt.set |= O_LIST; break;
		case 'o': opt.cols = optarg; opt.set |= O_LIST; break;
		case 'p': opt.pwfile = optarg; opt.set |= O_PWFILE; break;
		case 'P': opt.set |= O_PENDING; break;
		case 's': opt.shell = optarg; opt.set |= O_SHELL; break;
		case 'u': opt.uid = number("uid", optarg); opt.set |= O_UID;
			break;
		case 'V': puts(PACKAGE_STRING); return SOCA_EX_OK;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	return run(argv[optind], argc - optind - 1, argv + optind + 1);
}
