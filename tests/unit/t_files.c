/* t_files.c: the path rules and the confinement of lib/files.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "tap.h"

static bool
bad(const char *p, size_t len, bool self, const char *rule)
{
	const char *why = soca_files_path_bad(p, len, self);

	return why != NULL && strstr(why, rule) != NULL;
}

static void
rules(void)
{
	char *longp = soca_xmalloc(5000), comp[300];

	ok(soca_files_path_bad("a", 1, false) == NULL, "a name is good");
	ok(soca_files_path_bad("a/b c/d.txt", 11, false) == NULL,
	    "a path with a space is good");
	ok(soca_files_path_bad("..a/b..", 7, false) == NULL,
	    "dots inside names are good");
	ok(soca_files_path_bad(".", 1, true) == NULL, ". is the base with self");
	ok(bad(".", 1, false, "home itself"), ". refused without self");
	ok(bad("", 0, true, "empty path"), "empty path refused");
	ok(bad("/etc", 4, false, "absolute"), "absolute path refused");
	ok(bad("..", 2, false, ".. component"), ".. refused");
	ok(bad("a/../b", 6, false, ".. component"), "a/../b refused");
	ok(bad("a/..", 4, false, ".. component"), "trailing .. refused");
	ok(bad("a//b", 4, false, "empty component"), "a//b refused");
	ok(bad("a/", 2, false, "empty component"), "trailing / refused");
	ok(bad("a/./b", 5, false, ". component"), "a/./b refused");
	ok(bad("a\0b", 3, false, "NUL"), "NUL refused");
	ok(bad("a\nb", 3, false, "control"), "newline refused");
	ok(bad("a\x7f", 2, false, "control"), "DEL refused");
	memset(longp, 'a', 5000);
	for (size_t i = 100; i < 5000; i += 101)
		longp[i] = '/';
	ok(bad(longp, 4096, false, "4095"), "4096 bytes refused");
	ok(soca_files_path_bad(longp, 4095, false) == NULL,
	    "4095 bytes in short components are good");
	memset(comp, 'x', sizeof(comp));
	ok(bad(comp, 256, false, "255"), "256-byte component refused");
	ok(soca_files_path_bad(comp, 255, false) == NULL,
	    "255-byte component good");
	free(longp);
}

static void
confined(bool walking)
{
	char tmpl[] = "/tmp/t_files.XXXXXX", *d = mkdtemp(tmpl), *p;
	const char *name;
	int base, fd, e;

	soca_files_walking = walking;
	p = soca_xasprintf("%s/home", d);
	mkdir(p, 0700);
	base = open(p, O_PATH | O_DIRECTORY);
	free(p);
	mkdirat(base, "sub", 0700);
	close(openat(base, "sub/f", O_WRONLY | O_CREAT, 0600));
	symlinkat("/etc", base, "etc");
	symlinkat("../..", base, "sub/up");
	symlinkat("f", base, "sub/in");
	fd = soca_files_open(base, "sub/f", O_RDONLY);
	ok(fd >= 0, "%s: a file beneath opens", walking ? "walk" : "openat2");
	close(fd);
	/* no openat2 here (an old kernel, or valgrind, which answers ENOSYS):
	 * the library walks instead, and so the walk's answers are expected */
	if (!walking && soca_files_walking)
		walking = true;
	fd = soca_files_open(base, "etc/passwd", O_RDONLY);
	e = errno;
	ok(fd < 0 && e == (walking ? ELOOP : EXDEV),
	    "%s: through a symlink to /etc refused (errno %d)",
	    walking ? "walk" : "openat2", e);
	fd = soca_files_open(base, "sub/up", O_RDONLY | O_DIRECTORY);
	e = errno;
	ok(fd < 0 && e == (walking ? ELOOP : EXDEV),
	    "%s: a relative symlink climbing out refused (errno %d)",
	    walking ? "walk" : "openat2", e);
	fd = soca_files_open(base, "sub/in", O_RDONLY);
	ok(walking ? fd < 0 && errno == ELOOP : fd >= 0,
	    "%s: a symlink staying beneath %s", walking ? "walk" : "openat2",
	    walking ? "is not followed" : "is followed");
	if (fd >= 0)
		close(fd);
	fd = soca_files_parent(base, "sub/new", &name);
	ok(fd >= 0 && strcmp(name, "new") == 0, "parent of sub/new is sub");
	if (fd >= 0) {
		ok(mkdirat(fd, name, 0700) == 0, "mkdir under the parent fd");
		ok(soca_files_rename_new(fd, "f", fd, "new") < 0 &&
		    errno == EEXIST, "rename onto an existing name refused");
		close(fd);
	}
	ok(soca_files_rmtree(base, "sub", "sub", NULL) == 0,
	    "rmtree removes the tree");
	ok(faccessat(AT_FDCWD, "/etc/passwd", F_OK, 0) == 0,
	    "and /etc is still there");
	unlinkat(base, "etc", 0);
	close(base);
	p = soca_xasprintf("%s/home", d);
	rmdir(p);
	free(p);
	rmdir(d);
	soca_files_walking = false;
}

void
t_files(void)
{
	rules();
	confined(false);
	confined(true);
}
