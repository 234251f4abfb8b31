/*
 * soca-group: add, remove, list and fill posix groups in LDAP.
 *
 * Groups are what queue and project ACLs name; members are memberUid
 * values.  Every name is checked before the directory is contacted.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "soca.h"
#include "dir.h"

static const char usage_text[] =
    "usage: soca-group [-c file] add [--gid N] NAME\n"
    "       soca-group [-c file] del NAME\n"
    "       soca-group [-c file] list [-J | --csv] [-n] [-o cols]\n"
    "       soca-group [-c file] show [-J | --csv] NAME\n"
    "       soca-group [-c file] member add | remove GROUP USER...\n";

static struct {
	const char *conf, *cols;
	long long gid;
	bool csv, json, noheadings, list;
} opt = { .gid = -1 };

static const struct soca_col cols[] = {
	{ "name", "NAME", SOCA_COL_STR, false, false },
	{ "gid", "GID", SOCA_COL_INT, true, false },
	{ "members", "MEMBERS", SOCA_COL_STR, false, false },
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stderr);
	exit(SOCA_EX_USAGE);
}

static void
row(struct soca_out *o, const struct soca_dir_group *g)
{
	struct soca_buf b = { 0 };

	for (size_t i = 0; i < g->nmembers; i++) {
		if (i > 0)
			soca_buf_addc(&b, ',');
		soca_buf_adds(&b, g->members[i]);
	}
	soca_out_str(o, "name", g->name);
	soca_out_int(o, "gid", g->gid);
	soca_out_str(o, "members", b.s ? b.s : "");
	soca_out_row(o);
	soca_buf_free(&b);
}

static int
cmd_add(const char *name)
{
	struct soca_dir_group g;
	struct soca_conf *c;
	struct soca_dir *d;
	int rc;

	if ((rc = soca_dir_name_check("group", name)) != 0)
		return rc;
	d = soca_dir_connect(opt.conf, &c);
	if ((rc = soca_dir_group_add(d, name, opt.gid, &g)) == 0) {
		printf("%s gid=%lld\n", name, g.gid);
		soca_dir_group_free(&g);
	}
	return soca_dir_done(d, c, rc);
}

static int
cmd_del(const char *name)
{
	struct soca_conf *c;
	struct soca_dir *d;
	int rc;

	if ((rc = soca_dir_name_check("group", name)) != 0)
		return rc;
	d = soca_dir_connect(opt.conf, &c);
	if ((rc = soca_dir_group_del(d, name)) == 0)
		printf("%s deleted\n", name);
	return soca_dir_done(d, c, rc);
}

static int
cmd_list(const char *name)
{
	struct soca_dir_group *v = NULL, one;
	struct soca_conf *c;
	struct soca_dir *d;
	struct soca_out *o;
	size_t n = 0;
	int rc;

	if (name && (rc = soca_dir_name_check("group", name)) != 0)
		return rc;
	if (!soca_out_select_ok(cols, sizeof(cols) / sizeof(cols[0]),
	    opt.cols))
		return SOCA_EX_USAGE;
	d = soca_dir_connect(opt.conf, &c);
	if (name == NULL)
		rc = soca_dir_group_list(d, &v, &n);
	else if ((rc = soca_dir_group_get(d, name, &one)) == 0)
		v = soca_xmalloc(sizeof(*v)), v[0] = one, n = 1;
	else if (rc == SOCA_EX_FALSE)
		warnx("no such group \"%s\" (see soca-group list)", name);
	if (rc != 0)
		return soca_dir_done(d, c, rc);
	o = soca_out_new(cols, sizeof(cols) / sizeof(cols[0]), opt.json ?
	    SOCA_OUT_JSON : opt.csv ? SOCA_OUT_CSV : SOCA_OUT_TABLE, opt.noheadings, opt.cols, stdout);
	for (size_t i = 0; i < n; i++) {
		row(o, &v[i]);
		soca_dir_group_free(&v[i]);
	}
	free(v);
	rc = soca_out_end(o);
	return soca_dir_done(d, c, rc);
}

static int
cmd_member(int argc, char **argv)
{
	struct soca_conf *c;
	struct soca_dir *d;
	bool add;
	int rc, worst = 0;

	if (argc < 3 || (strcmp(argv[0], "add") != 0 &&
	    strcmp(argv[0], "remove") != 0))
		usage();
	add = strcmp(argv[0], "add") == 0;
	for (int i = 1; i < argc; i++)
		if ((rc = soca_dir_name_check(i == 1 ? "group" : "user",
		    argv[i])) != 0)
			return rc;
	d = soca_dir_connect(opt.conf, &c);
	for (int i = 2; i < argc; i++) {
		rc = soca_dir_group_member(d, argv[1], argv[i], add);
		if (rc == 0)
			printf("%s %s %s\n", argv[i], add ? "added to" :
			    "removed from", argv[1]);
		if (rc > worst)
			worst = rc;
		if (rc >= SOCA_EX_USAGE)
			break;
	}
	return soca_dir_done(d, c, worst);
}

static int
run(const char *verb, int argc, char **argv)
{
	bool lister = strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0;

	if ((opt.list && !lister) || (opt.gid >= 0 && strcmp(verb, "add")))
		usage();
	if (strcmp(verb, "list") == 0 && argc == 0)
		return cmd_list(NULL);
	if (strcmp(verb, "member") == 0)
		return cmd_member(argc, argv);
	if (argc != 1)
		usage();
	if (strcmp(verb, "add") == 0)
		return cmd_add(argv[0]);
	if (strcmp(verb, "del") == 0)
		return cmd_del(argv[0]);
	if (strcmp(verb, "show") == 0)
		return cmd_list(argv[0]);
	warnx("unknown command \"%s\" (expected add, del, list, show or "
	    "member)", verb);
	usage();
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "csv", no_argument, NULL, 'C' },
		{ "gid", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:hJno:V", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'C': opt.csv = opt.list = true; break;
		case 'c': opt.conf = optarg; break;
		case 'g':
			if (soca_parse_int(optarg, 1, INT_MAX, &opt.gid) != 0)
				errx(SOCA_EX_USAGE, "--gid \"%s\" refused: "
				    "expected a number from 1 to %d", optarg,
				    INT_MAX);
			break;
		case 'h': fputs(usage_text, stdout); return SOCA_EX_OK;
		case 'J': opt.json = opt.list = true; break;
		case 'n': opt.noheadings = opt.list = true; break;
		case 'o': opt.cols = optarg; opt.list = true; break;
		case 'V': puts(PACKAGE_STRING); return SOCA_EX_OK;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	return run(argv[optind], argc - optind - 1, argv + optind + 1);
}
