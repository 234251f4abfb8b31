/*
 * soca-files: list, read, write, make, remove and rename files in the
 * caller's home, refusing any path that would leave it (lib/files.c).
 * The web door's file browser runs it as the user through sudo, so the
 * kernel's permissions are the only ones; scripts may use it too.
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

static const char usage_text[] =
    "usage: soca-files [-C dir] command [options] path ...\n"
    "  ls [-Jn] [--csv] [-o cols] [path]  a directory's entries, or a file's\n"
    "  stat [-Jn] [--csv] [-o cols] path  one entry (a symlink as itself)\n"
    "  cat path                           a regular file's bytes\n"
    "  put [-f] [--max bytes] path        stdin to a file (-f replaces one)\n"
    "  mkdir path                         a directory\n"
    "  rm [-r] path                       a file or empty directory (-r a tree)\n"
    "  mv from to                         rename, never over an existing name\n"
    "  -C dir  paths relative to dir instead of your home\n";

static const struct soca_col cols[] = {
	{ "name", "NAME", SOCA_COL_STR, false, false },
	{ "type", "TYPE", SOCA_COL_STR, false, false },
	{ "size", "SIZE", SOCA_COL_INT, true, false },
	{ "mtime", "MTIME", SOCA_COL_STR, false, false },
	{ "mode", "MODE", SOCA_COL_STR, false, false },
};
#define NCOLS (sizeof(cols) / sizeof(*cols))

enum { O_LIST = 1, O_FORCE = 2, O_MAX = 4, O_REC = 8 };

struct opts {
	int base, set;
	enum soca_out_fmt fmt;
	bool noheads, force, rec;
	const char *sel;
	unsigned long long max;
};

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* soca-files: PATH: why, the path's control characters escaped */
static void __attribute__((noreturn))
refuse(int code, const char *path, const char *why)
{
	struct soca_buf b = { 0 };

	soca_buf_esc(&b, path, strlen(path));
	errx(code, "%s: %s", b.s ? b.s : "", why);
}

static void __attribute__((noreturn))
fail(const char *path, int e)
{
	refuse(soca_files_exit(e), path, soca_files_why(e));
}

static const char *
checked(const char *path, bool self)
{
	const char *bad = soca_files_path_bad(path, strlen(path), self);

	if (bad != NULL)
		refuse(SOCA_EX_USAGE, path, bad);
	return path;
}

static void
entry(struct soca_out *o, const char *name, const struct stat *st)
{
	char t[32], m[8];

	soca_files_mtime(&st->st_mtim, t);
	snprintf(m, sizeof(m), "%04o", (unsigned)(st->st_mode & 07777));
	soca_out_str(o, "name", name);
	soca_out_str(o, "type", soca_files_type(st->st_mode));
	soca_out_int(o, "size", (long long)st->st_size);
	soca_out_str(o, "mtime", t);
	soca_out_str(o, "mode", m);
	soca_out_row(o);
}

/* names of the open directory fd, sorted; fd is closed */
static char **
names(int fd, size_t *n, const char *path)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	char **v = NULL;

	if (d == NULL)
		fail(path, errno);
	for (*n = 0; (errno = 0, e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		v = soca_xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = soca_xstrdup(e->d_name);
	}
	if (errno != 0)
		fail(path, errno);
	qsort(v, *n, sizeof(*v), soca_strv_cmp);
	closedir(d);
	return v;
}

static int
stat_one(struct opts *op, const char *path)
{
	struct soca_out *o;
	const char *name;
	struct stat st;
	int dir = soca_files_parent(op->base, path, &name);

	if (dir < 0 || fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fail(path, errno);
	close(dir);
	o = soca_out_new(cols, NCOLS, op->fmt, op->noheads, op->sel, stdout);
	entry(o, path, &st);
	if (soca_out_end(o) < 0)
		err(SOCA_EX_TEMP, "stdout");
	return 0;
}

static int
ls(struct opts *op, const char *path)
{
	int fd = soca_files_open(op->base, path, O_RDONLY | O_DIRECTORY);
	struct soca_out *o;
	struct stat st;
	char **v;
	size_t n;
	int dir;

	if (fd < 0 && (errno == ENOTDIR || errno == ENOENT))
		return stat_one(op, path);	/* a file, or a dangling link */
	if (fd < 0)
		fail(path, errno);
	/* entries are looked at in the directory that was read */
	if ((dir = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		fail(path, errno);
	v = names(fd, &n, path);
	o = soca_out_new(cols, NCOLS, op->fmt, op->noheads, op->sel, stdout);
	for (size_t i = 0; i < n; i++)
		if (fstatat(dir, v[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			entry(o, v[i], &st);	/* else gone meanwhile */
	if (soca_out_end(o) < 0)
		err(SOCA_EX_TEMP, "stdout");
	close(dir);
	soca_strv_free(v, n);
	return 0;
}

static int
cat(struct opts *op, const char *path)
{
	static char buf[128 * 1024];
	int fd = soca_files_open(op->base, path,
	    O_RDONLY | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		fail(path, errno);
	if (S_ISDIR(st.st_mode))
		fail(path, EISDIR);
	if (!S_ISREG(st.st_mode))
		refuse(SOCA_EX_USAGE, path, "not a regular file");
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(path, errno);
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			err(SOCA_EX_TEMP, "stdout");
	}
	if (fflush(stdout) != 0)
		err(SOCA_EX_TEMP, "stdout");
	close(fd);
	return 0;
}

static int
put(struct opts *op, const char *path)
{
	const char *name;
	int dir = soca_files_parent(op->base, path, &name);

	if (dir < 0)
		fail(path, errno);
	if (soca_files_put(dir, name, STDIN_FILENO, op->max, op->force) < 0) {
		if (errno == EFBIG)
			refuse(SOCA_EX_USAGE, path, "more than --max bytes; "
			    "nothing written");
		if (errno == EEXIST)
			refuse(SOCA_EX_FALSE, path, "exists (-f replaces it)");
		fail(path, errno);
	}
	close(dir);
	return 0;
}

static int
mkdir_(struct opts *op, const char *path)
{
	const char *name;
	int dir = soca_files_parent(op->base, path, &name);

	if (dir < 0 || mkdirat(dir, name, 0777) < 0)
		fail(path, errno);
	close(dir);
	return 0;
}

static int
rm(struct opts *op, const char *path)
{
	const char *name;
	char *where = NULL;
	struct stat st;
	int dir = soca_files_parent(op->base, path, &name);

	if (dir < 0 || fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fail(path, errno);
	if (S_ISDIR(st.st_mode) && op->rec) {
		if (soca_files_rmtree(dir, name, path, &where) < 0)
			fail(where ? where : path, errno);
	} else if (unlinkat(dir, name, S_ISDIR(st.st_mode) ?
	    AT_REMOVEDIR : 0) < 0)
		fail(path, errno == EEXIST ? ENOTEMPTY : errno);
	close(dir);
	return 0;
}

static int
mv(struct opts *op, const char *from, const char *to)
{
	const char *n1, *n2;
	int d1 = soca_files_parent(op->base, from, &n1), d2;

	if (d1 < 0)
		fail(from, errno);
	if ((d2 = soca_files_parent(op->base, to, &n2)) < 0)
		fail(to, errno);
	if (soca_files_rename_new(d1, n1, d2, n2) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			refuse(SOCA_EX_FALSE, to, "exists (mv never replaces)");
		if (errno == EXDEV)
			refuse(SOCA_EX_FALSE, to, "on another file system "
			    "(copy it, then remove the original)");
		fail(errno == ENOENT ? from : to, errno);
	}
	close(d1);
	close(d2);
	return 0;
}

static int
open_base(const char *dir)
{
	struct passwd *pw;
	int fd;

	if (dir == NULL) {
		if ((pw = getpwuid(getuid())) == NULL)
			errx(SOCA_EX_USAGE, "uid %u has no passwd entry, so no "
			    "home (give one with -C)", (unsigned)getuid());
		dir = pw->pw_dir;
	}
	if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		err(errno == ENOENT ? SOCA_EX_FALSE : SOCA_EX_USAGE, "%s", dir);
	return fd;
}

static const struct {
	const char *name;
	int nargs, opts;	/* nargs -1: zero or one */
} cmds[] = {
	{ "cat", 1, 0 }, { "ls", -1, O_LIST }, { "mkdir", 1, 0 },
	{ "mv", 2, 0 }, { "put", 1, O_FORCE | O_MAX }, { "rm", 1, O_REC },
	{ "stat", 1, O_LIST },
};

static const struct option lo[] = {
	{ "csv", no_argument, NULL, 'c' },
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'J' },
	{ "max", required_argument, NULL, 'm' },
	{ "noheadings", no_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "recursive", no_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 } };

static void
options(int argc, char **argv, const char *spec, struct opts *op,
    const char **base)
{
	int ch;

	while ((ch = getopt_long(argc, argv, spec, lo, NULL)) != -1)
		switch (ch) {
		case 'C': *base = optarg; break;
		case 'c': op->fmt = SOCA_OUT_CSV; op->set |= O_LIST; break;
		case 'f': op->force = true; op->set |= O_FORCE; break;
		case 'h': usage(0);
		case 'J': op->fmt = SOCA_OUT_JSON; op->set |= O_LIST; break;
		case 'm':
			if (soca_parse_size(optarg, &op->max) != 0 ||
			    op->max == 0)
				errx(SOCA_EX_USAGE, "--max %s: not a size (bytes, "
				    "or with K, M, G: 100M)", optarg);
			op->set |= O_MAX;
			break;
		case 'n': op->noheads = true; op->set |= O_LIST; break;
		case 'o': op->sel = optarg; op->set |= O_LIST; break;
		case 'r': op->rec = true; op->set |= O_REC; break;
		default: usage(SOCA_EX_USAGE);
		}
}

static int
run(struct opts *op, const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "ls") == 0)
		return ls(op, argc ? checked(argv[0], true) : ".");
	if (strcmp(cmd, "stat") == 0)
		return stat_one(op, checked(argv[0], true));
	if (strcmp(cmd, "cat") == 0)
		return cat(op, checked(argv[0], false));
	if (strcmp(cmd, "put") == 0)
		return put(op, checked(argv[0], false));
	if (strcmp(cmd, "mkdir") == 0)
		return mkdir_(op, checked(argv[0], false));
	if (strcmp(cmd, "rm") == 0)
		return rm(op, checked(argv[0], false));
	return mv(op, checked(argv[0], false), checked(argv[1], false));
}

int
main(int argc, char **argv)
{
	struct opts op = { .fmt = SOCA_OUT_TABLE };
	const char *base = NULL, *cmd;
	size_t i;
	int n;

	options(argc, argv, "+C:hJno:", &op, &base);
	if (optind == argc)
		usage(SOCA_EX_USAGE);
	cmd = argv[optind];
	for (i = 0; i < sizeof(cmds) / sizeof(*cmds); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(*cmds))
		errx(SOCA_EX_USAGE, "%s: not a command (ls, stat, cat, put, "
		    "mkdir, rm, mv)", cmd);
	argv[optind] = (char *)"soca-files";	/* getopt's messages */
	argc -= optind;
	argv += optind;
	optind = 1;
	options(argc, argv, "C:fhJno:r", &op, &base);
	n = argc - optind;
	if ((op.set & ~cmds[i].opts) != 0 ||
	    (cmds[i].nargs < 0 ? n > 1 : n != cmds[i].nargs))
		usage(SOCA_EX_USAGE);
	if (!soca_out_select_ok(cols, NCOLS, op.sel))
		return SOCA_EX_USAGE;
	op.base = open_base(base);
	return run(&op, cmd, n, argv + optind);
}
