/*
 * files.c: file operations confined beneath a base directory (a user's
 * home), for soca-files(1), which the web door runs as the user through
 * sudo: the kernel's permissions are the only ones, and this file's job
 * is that no path, symlink or race reaches outside the base.
 *
 * A path is checked first (relative, no "." or ".." or empty component,
 * no control character, not too long), then every open goes through
 * openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS relative to an
 * O_PATH fd of the base: a symlink may be followed only while it stays
 * beneath (EXDEV otherwise).  Changes name their last component relative
 * to an fd of its directory with the *at() calls, which never follow a
 * final symlink.  Kernels without openat2 (ENOSYS) get a component-by-
 * component O_NOFOLLOW walk that follows no symlink at all.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "files.h"

bool soca_files_walking;

const char *
soca_files_path_bad(const char *p, size_t len, bool self)
{
	size_t c = 0;

	if (len == 0)
		return "empty path (name a file or directory in your home)";
	if (memchr(p, '\0', len) != NULL)
		return "contains a NUL byte";
	if (len > SOCA_FILES_PATH_MAX)
		return "longer than 4095 bytes";
	if (p[0] == '/')
		return "absolute path (paths are relative to your home)";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return "contains a control character";
	if (len == 1 && p[0] == '.')
		return self ? NULL : "names your home itself";
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i == c)
			return "empty component (a doubled, leading or trailing /)";
		if (i - c == 2 && p[c] == '.' && p[c + 1] == '.')
			return ".. component (paths may not climb out of your home)";
		if (i - c == 1 && p[c] == '.')
			return ". component (write the path without it)";
		if (i - c > SOCA_FILES_NAME_MAX)
			return "component longer than 255 bytes";
		c = i + 1;
	}
	return NULL;
}

/* openat, O_NOFOLLOW: a symlink is ELOOP, whatever the flags made of it */
static int
step(int fd, const char *name, int flags)
{
	struct stat st;
	int next = openat(fd, name, flags | O_NOFOLLOW | O_CLOEXEC), e = errno;

	if (next < 0 && e == ENOTDIR &&
	    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		e = ELOOP;
	close(fd);
	errno = e;
	return next;
}

/* The walk for kernels without openat2: no symlink is followed. */
static int
walk(int base, const char *path, int flags)
{
	char *copy = soca_xstrdup(path), *s = copy, *slash;
	int fd = fcntl(base, F_DUPFD_CLOEXEC, 0);

	while (fd >= 0 && (slash = strchr(s, '/')) != NULL) {
		*slash = '\0';
		fd = step(fd, s, O_PATH | O_DIRECTORY);
		s = slash + 1;
	}
	if (fd >= 0)
		fd = step(fd, s, flags);
	free(copy);
	return fd;
}

int
soca_files_open(int base, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1;

	if (!soca_files_walking) {
		/* EAGAIN: a rename raced with a ".." in a link; try again */
		for (int i = 0; i < 16; i++)
			if ((fd = (int)syscall(SYS_openat2, base, path, &how,
			    sizeof(how))) >= 0 || errno != EAGAIN)
				break;
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		soca_files_walking = true;
	}
	return walk(base, path, flags);
}

int
soca_files_parent(int base, const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL) {
		*name = path;
		return soca_files_open(base, ".", O_PATH | O_DIRECTORY);
	}
	*name = slash + 1;
	dir = soca_xstrndup(path, (size_t)(slash - path));
	fd = soca_files_open(base, dir, O_PATH | O_DIRECTORY);
	free(dir);
	return fd;
}

const char *
soca_files_why(int err)
{
	switch (err) {
	case EXDEV:
		return "leaves your home (a symbolic link on the way points "
		    "outside it, or to an absolute path)";
	case ELOOP:
		return soca_files_walking ? "is or passes a symbolic link "
		    "(not followed: this kernel has no openat2)" :
		    "too many symbolic links, or one that cannot be followed";
	case ENOENT: return "not found";
	case ENOTDIR: return "not a directory";
	case EEXIST: return "exists";
	case ENOTEMPTY: return "not empty (rm -r removes a tree)";
	case EACCES:
	case EPERM:
		return "permission denied (the kernel refused it: the "
		    "file's owner and mode do not allow you)";
	case EISDIR: return "is a directory";
	case ENAMETOOLONG: return "name too long";
	case EINVAL: return "cannot move a directory into itself";
	case EROFS: return "read-only file system";
	default: return strerror(err);
	}
}

int
soca_files_exit(int err)
{
	switch (err) {
	case EXDEV: case ELOOP: case EISDIR: case ENAMETOOLONG: case EINVAL:
		return SOCA_EX_USAGE;
	case EIO: case ENOSPC: case EDQUOT: case EMFILE: case ENFILE:
	case ENOMEM: case EAGAIN: case EINTR: case EBUSY: case ETIMEDOUT:
	case ESTALE: case ETXTBSY:
		return SOCA_EX_TEMP;
	default:
		return SOCA_EX_FALSE;
	}
}

int
soca_files_rename_new(int fd1, const char *n1, int fd2, const char *n2)
{
	struct stat st;

	if (renameat2(fd1, n1, fd2, n2, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* no RENAME_NOREPLACE here (NFS): link fails on an existing name */
	if (fstatat(fd1, n1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		if (linkat(fd1, n1, fd2, n2, 0) < 0)
			return -1;
		return unlinkat(fd1, n1, 0);
	}
	/* a directory cannot be linked: check, then rename (a window) */
	if (fstatat(fd2, n2, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(fd1, n1, fd2, n2);
}

/* NAME in DIR and what is under it; w holds its path as shown, kept on
 * a failure */
static int
rm_at(int dir, const char *name, struct soca_buf *w)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS,
	};
	size_t len = w->len;
	struct dirent *e;
	DIR *d;
	int fd, r = 0, err;

	soca_buf_addf(w, "%s%s", len ? "/" : "", name);
	fd = soca_files_walking ? -1 : (int)syscall(SYS_openat2, dir, name,
	    &how, sizeof(how));
	if (fd < 0 && (soca_files_walking || errno == ENOSYS))
		fd = openat(dir, name, (int)how.flags);
	if (fd < 0) {
		/* a file or a symlink: the link goes, its target stays */
		if (errno != ENOTDIR && errno != ELOOP)
			return -1;
		if (unlinkat(dir, name, 0) < 0)
			return -1;
		goto done;
	}
	if ((d = fdopendir(fd)) == NULL) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	while (r == 0 && (errno = 0, e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			r = rm_at(dirfd(d), e->d_name, w);
	if (r == 0 && errno != 0)
		r = -1;
	err = errno;
	closedir(d);
	errno = err;
	if (r < 0 || unlinkat(dir, name, AT_REMOVEDIR) < 0)
		return -1;
done:
	w->len = len;
	if (w->s)
		w->s[len] = '\0';
	return 0;
}

int
soca_files_rmtree(int dir, const char *name, const char *shown, char **where)
{
	struct soca_buf w = { 0 };
	int r, e;

	soca_buf_adds(&w, shown);
	w.len -= strlen(name);		/* shown ends with name */
	if (w.len > 0)
		w.len--;		/* and its slash */
	w.s[w.len] = '\0';
	r = rm_at(dir, name, &w);
	e = errno;
	if (where && r < 0)
		*where = soca_buf_steal(&w);
	soca_buf_free(&w);
	errno = e;
	return r;
}

/* put: the temporary file goes on a signal too */
static volatile int tmp_dir = -1;
static char tmp_name[40];

static void
on_signal(int sig)
{
	if (tmp_dir >= 0)
		unlinkat(tmp_dir, tmp_name, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(bool on)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGPIPE, SIGTERM };
	struct sigaction sa = { .sa_handler = on ? on_signal : SIG_DFL };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int
tmp_open(int dir, mode_t mode)
{
	unsigned char r[8];
	int fd;

	for (int tries = 0; tries < 8; tries++) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		snprintf(tmp_name, sizeof(tmp_name),
		    ".soca-put.%02x%02x%02x%02x%02x%02x%02x%02x",
		    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
		fd = openat(dir, tmp_name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			tmp_dir = dir;	/* ours now: a signal removes it */
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* in to fd, at most max bytes (0: any) */
static int
copy_in(int in, int fd, unsigned long long max)
{
	static char buf[128 * 1024];
	unsigned long long total = 0;
	ssize_t n, w;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		total += (unsigned long long)n;
		if (max && total > max) {
			errno = EFBIG;
			return -1;
		}
		for (ssize_t off = 0; off < n; off += w)
			if ((w = write(fd, buf + off, (size_t)(n - off))) < 0) {
				if (errno != EINTR)
					return -1;
				w = 0;
			}
	}
	return 0;
}

/* the directory's entry made durable; a directory we may not read
 * (mode -wx) keeps what the file system gives */
static void
sync_dir(int dir)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int
soca_files_put(int dir, const char *name, int in, unsigned long long max,
    bool force)
{
	struct stat st;
	bool old = fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	int fd, e, r;

	if (old && (!force || S_ISDIR(st.st_mode))) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EEXIST;
		return -1;
	}
	catch_signals(true);
	if ((fd = tmp_open(dir, 0666)) < 0) {
		e = errno;
		catch_signals(false);
		errno = e;
		return -1;
	}
	r = copy_in(in, fd, max);
	if (r == 0 && old && S_ISREG(st.st_mode))	/* -f keeps the mode */
		r = fchmod(fd, st.st_mode & 07777);
	if (r == 0)
		r = fsync(fd);
	r = close(fd) < 0 ? -1 : r;
	if (r == 0)
		r = force ? renameat(dir, tmp_name, dir, name) :
		    soca_files_rename_new(dir, tmp_name, dir, name);
	e = errno;
	if (r < 0)
		unlinkat(dir, tmp_name, 0);
	tmp_dir = -1;
	catch_signals(false);
	if (r == 0)
		sync_dir(dir);
	errno = e;
	return r;
}

const char *
soca_files_type(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ?
	    "link" : "other";
}

void
soca_files_mtime(const struct timespec *t, char out[32])
{
	soca_time_utc(t->tv_sec, out);
}
