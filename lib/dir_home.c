/*
 * dir_home.c: home directories on the shared filesystem.
 *
 * A new home is HOMES/NAME, copied from the skeleton, mode 0700, owned by
 * the user, with an SSH key pair made by ssh-keygen(1) (run with execvp,
 * no shell) and the public key in authorized_keys.  A deleted user's home
 * is renamed to HOMES/NAME.deleted-YYYYMMDDTHHMMSSZ: data is never
 * removed.  `soca-user key` hands the private key out once, as SOCA's
 * portal does: a marker file .ssh/.soca-key-downloaded records when.
 *
 * Only root can give a home to its user.  soca-user run by anyone else
 * (the directory service account the web door acts through) leaves a
 * request instead: a file named after the user in [ldap] home_queue,
 * holding "add" or "del" and who asked, written with soca_write_atomic
 * so a crash leaves the old request or the new one, never half of it.
 * `soca-user home --pending`, as root, carries them out
 * (soca_home_pending), checking each against the directory again.
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "soca.h"
#include "dir.h"

#define MARKER ".soca-key-downloaded"

static char *
home_of(const struct soca_conf *c, const char *name)
{
	return soca_path_join(soca_conf_get(c, "ldap", NULL, "homes"), name);
}

int
soca_home_check(const struct soca_conf *c, const char *name)
{
	const char *homes = soca_conf_get(c, "ldap", NULL, "homes");
	char *h = home_of(c, name);
	struct stat st;
	int rc = 0;

	if (stat(homes, &st) == -1 || !S_ISDIR(st.st_mode)) {
		warnx("[ldap] homes %s: not a directory (create it, or mount "
		    "the shared filesystem)", homes);
		rc = SOCA_EX_USAGE;
	} else if (lstat(h, &st) == 0) {
		warnx("home %s already exists (move it aside first)", h);
		rc = SOCA_EX_FALSE;
	}
	free(h);
	return rc;
}

static int copy_tree(int, int);

static int
copy_file(int sfd, int dfd, const char *name, mode_t mode)
{
	char buf[8192];
	ssize_t n;
	int in, out, rc = 0;

	if ((in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode & 0777);
	if (out == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			rc = -1;
			break;
		}
	if (n < 0 || close(out) == -1)
		rc = -1;
	close(in);
	return rc;
}

static int
copy_entry(int sfd, int dfd, const char *name)
{
	struct stat st;
	char link[4096];
	ssize_t n;
	int s2, d2, rc;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (S_ISREG(st.st_mode))
		return copy_file(sfd, dfd, name, st.st_mode);
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(sfd, name, link, sizeof(link) - 1)) < 0)
			return -1;
		link[n] = '\0';
		return symlinkat(link, dfd, name);
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (mkdirat(dfd, name, st.st_mode & 0777) == -1)
		return -1;
	s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rc = s2 == -1 || d2 == -1 ? -1 : copy_tree(s2, d2);
	if (s2 != -1)
		close(s2);
	if (d2 != -1)
		close(d2);
	return rc;
}

/* Copy the skeleton's contents; takes sfd (closed by closedir). */
static int
copy_tree(int sfd, int dfd)
{
	DIR *dp = fdopendir(dup(sfd));
	struct dirent *de;
	int rc = 0;

	if (dp == NULL)
		return -1;
	while (rc == 0 && (de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			rc = copy_entry(sfd, dfd, de->d_name);
	closedir(dp);
	return rc;
}

static int
chown_tree(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;
	struct dirent *de;
	DIR *dp;
	char *p;
	int rc = 0;

	if (lchown(path, uid, gid) == -1)
		return -1;
	if (lstat(path, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if ((dp = opendir(path)) == NULL)
		return -1;
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = soca_path_join(path, de->d_name);
		rc = chown_tree(p, uid, gid);
		free(p);
	}
	closedir(dp);
	return rc;
}

static int
keygen(const char *type, const char *key, const char *comment)
{
	char *argv[] = { "ssh-keygen", "-q", "-t", (char *)type, "-N", "",
	    "-C", (char *)comment, "-f", (char *)key, NULL };
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		execvp(argv[0], argv);
		warn("ssh-keygen");
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	struct soca_buf b = { 0 };
	char chunk[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		soca_buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return soca_buf_steal(&b);
}

static int
ssh_keys(const struct soca_conf *c, const char *home, const char *name)
{
	const char *type = soca_conf_get(c, "ldap", NULL, "ssh_key_type");
	char *ssh = soca_xasprintf("%s/.ssh", home);
	char *key = soca_xasprintf("%s/id_%s", ssh, type);
	char *pub = soca_xasprintf("%s.pub", key);
	char *ak = soca_xasprintf("%s/authorized_keys", ssh);
	char *cm = soca_xasprintf("%s@%s", name,
	    soca_conf_get(c, "cluster", NULL, "name"));
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if ((mkdir(ssh, 0700) == -1 && errno != EEXIST) || chmod(ssh, 0700) ||
	    keygen(type, key, cm) == -1)
		warnx("ssh-keygen -t %s -f %s failed", type, key);
	else if ((text = slurp(pub, &len)) == NULL ||
	    soca_write_atomic(ak, text, len, 0600) == -1)
		warn("%s", ak);
	else
		rc = 0;
	free(text);
	free(ssh), free(key), free(pub), free(ak), free(cm);
	return rc;
}

int
soca_home_create(const struct soca_conf *c, const char *name, uid_t uid,
    gid_t gid, char **path)
{
	const char *skel = soca_conf_get(c, "ldap", NULL, "skel");
	char *h = home_of(c, name);
	int sfd, dfd = -1, rc = -1;

	*path = h;
	if (mkdir(h, 0700) == -1) {
		warn("home %s", h);
		return SOCA_EX_FALSE;
	}
	if ((sfd = open(skel, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if ((dfd = open(h, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
		    copy_tree(sfd, dfd) == -1)
			warn("copy %s to %s", skel, h);
		else
			rc = 0;
		close(sfd);
		if (dfd != -1)
			close(dfd);
	} else if (errno == ENOENT) {
		rc = 0;
	} else {
		warn("[ldap] skel %s", skel);
	}
	if (rc == 0 && ((rc = ssh_keys(c, h, name)) == -1 ||
	    (rc = chmod(h, 0700)) == -1))
		warn("%s", h);
	else if (rc == 0 && geteuid() != 0)
		/* only root can give files away: tests, single-user setups */
		warnx("not root: home %s stays owned by uid %lu", h,
		    (unsigned long)geteuid());
	else if (rc == 0 && chown_tree(h, uid, gid) == -1) {
		warn("chown %s to %lu:%lu", h, (unsigned long)uid,
		    (unsigned long)gid);
		rc = -1;
	}
	return rc == 0 ? 0 : SOCA_EX_FALSE;
}

int
soca_home_retire(const struct soca_conf *c, const char *name, char **moved)
{
	char *h = home_of(c, name), stamp[32];
	time_t now = time(NULL);
	struct stat st;
	int i;

	*moved = NULL;
	if (lstat(h, &st) == -1 && errno == ENOENT) {
		free(h);
		return 0;
	}
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	for (i = 0; i < 100; i++) {
		*moved = i == 0 ? soca_xasprintf("%s.deleted-%s", h, stamp) :
		    soca_xasprintf("%s.deleted-%s-%d", h, stamp, i);
		if (lstat(*moved, &st) == -1 && errno == ENOENT)
			break;
		free(*moved);
		*moved = NULL;
	}
	if (*moved == NULL || rename(h, *moved) == -1) {
		warn("rename %s aside", h);
		free(h);
		return SOCA_EX_FALSE;
	}
	free(h);
	return 0;
}

/* Open DIR/.ssh without following symlinks a user may have planted. */
static int
open_ssh(const char *home)
{
	int hfd, sfd;

	if ((hfd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	sfd = openat(hfd, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(hfd);
	return sfd;
}

/* The private key: a regular file of the user's, read through sfd. */
static char *
read_key(int sfd, const char *name, uid_t uid, size_t *len)
{
	struct soca_buf b = { 0 };
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != uid && (geteuid() == 0 || st.st_uid != geteuid())) ||
	    st.st_size > 65536) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		soca_buf_add(&b, chunk, n);
	close(fd);
	*len = b.len;
	return soca_buf_steal(&b);
}

static int
mark(int sfd, uid_t uid, gid_t gid)
{
	char stamp[32];
	time_t now = time(NULL);
	int fd, rc = 0;

	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ\n", gmtime(&now));
	if ((fd = openat(sfd, MARKER, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (write(fd, stamp, strlen(stamp)) != (ssize_t)strlen(stamp))
		rc = -1;
	if (fchown(fd, uid, gid) == -1 && geteuid() == 0)
		rc = -1;
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

static bool
marked(int sfd, char *when, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = openat(sfd, MARKER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, when, size - 1);
	close(fd);
	when[n > 0 ? n : 0] = '\0';
	when[strcspn(when, "\n")] = '\0';
	return true;
}

int
soca_home_key(const struct soca_conf *c, const char *name, uid_t uid,
    gid_t gid, bool again, FILE *out)
{
	const char *type = soca_conf_get(c, "ldap", NULL, "ssh_key_type");
	char *h = home_of(c, name), *key = soca_xasprintf("id_%s", type);
	char when[64] = "", *text = NULL;
	size_t len = 0;
	int sfd, rc = SOCA_EX_FALSE;

	if ((sfd = open_ssh(h)) == -1)
		warn("%s/.ssh", h);
	else if (!again && marked(sfd, when, sizeof(when)))
		warnx("the private key of \"%s\" was already downloaded (%s): "
		    "use --again to print it once more", name, when);
	else if ((text = read_key(sfd, key, uid, &len)) == NULL)
		warn("%s/.ssh/%s (a regular file of uid %lu)", h, key,
		    (unsigned long)uid);
	else if (mark(sfd, uid, gid) == -1)
		warn("%s/.ssh/" MARKER, h);
	else if (fwrite(text, 1, len, out) != len || fflush(out) != 0)
		rc = SOCA_EX_TEMP;
	else
		rc = 0;
	if (text != NULL)
		explicit_bzero(text, len);
	if (sfd != -1)
		close(sfd);
	free(text), free(h), free(key);
	return rc;
}

const char *
soca_home_queue_dir(const struct soca_conf *c)
{
	const char *q = soca_conf_get(c, "ldap", NULL, "home_queue");

	return q != NULL && *q != '\0' ? q : NULL;
}

/* who asked: the sudo chain's caller, else this process's user */
static const char *
actor(void)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s != NULL && soca_dir_name_ok_quiet(s))
		return s;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : "-";
}

int
soca_home_queue(const struct soca_conf *c, const char *name, const char *what)
{
	const char *q = soca_home_queue_dir(c);
	char *path, *text;
	int rc = 0;

	if (q == NULL)
		return SOCA_EX_USAGE;
	path = soca_path_join(q, name);
	text = soca_xasprintf("%s by %s\n", what, actor());
	if (soca_write_atomic(path, text, strlen(text), 0640) == -1) {
		warn("[ldap] home_queue: cannot write %s (the queue must be "
		    "writable by the user soca-user runs as)", path);
		rc = SOCA_EX_TEMP;
	}
	free(path);
	free(text);
	return rc;
}

/* The request for NAME: 0 with "add" or "del" in what; 1: none or junk */
int
soca_home_request(const struct soca_conf *c, const char *name, char *what,
    size_t size)
{
	const char *q = soca_home_queue_dir(c);
	char buf[256];
	struct stat st;
	ssize_t n;
	int dfd, fd;

	if (q == NULL || size < 4)
		return SOCA_EX_FALSE;
	if ((dfd = open(q, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return SOCA_EX_FALSE;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd == -1)
		return SOCA_EX_FALSE;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (n = read(fd, buf, sizeof(buf) - 1)) < 3) {
		close(fd);
		return SOCA_EX_FALSE;
	}
	close(fd);
	buf[n] = '\0';
	if (strncmp(buf, "add", 3) != 0 && strncmp(buf, "del", 3) != 0)
		return SOCA_EX_FALSE;
	memcpy(what, buf, 3);
	what[3] = '\0';
	return 0;
}

int
soca_home_done(const struct soca_conf *c, const char *name)
{
	const char *q = soca_home_queue_dir(c);
	char *path;
	int rc = 0;

	if (q == NULL)
		return 0;
	path = soca_path_join(q, name);
	if (unlink(path) == -1 && errno != ENOENT) {
		warn("%s", path);
		rc = SOCA_EX_TEMP;
	} else {
		soca_fsync_dir(q);
	}
	free(path);
	return rc;
}

/* one request; 0 done (or moot: dropped), else it stays */
static int
pending_one(struct soca_dir *d, const struct soca_conf *c, const char *name)
{
	struct soca_dir_user u;
	char what[8], *home = NULL;
	int rc;

	if (soca_home_request(c, name, what, sizeof(what)) != 0) {
		warnx("home request \"%s\": not add or del: left alone", name);
		return SOCA_EX_FALSE;
	}
	rc = soca_dir_user_get(d, name, &u);
	if (rc != 0 && rc != SOCA_EX_FALSE)
		return rc;
	if (strcmp(what, "del") == 0) {
		if (rc == 0) {
			printf("%s: in the directory again; home left in "
			    "place\n", name);
			soca_dir_user_free(&u);
		} else if ((rc = soca_home_retire(c, name, &home)) != 0) {
			return rc;
		} else {
			printf("%s: home moved to %s\n", name,
			    home ? home : "(none)");
			free(home);
		}
		return soca_home_done(c, name);
	}
	if (rc == SOCA_EX_FALSE) {
		printf("%s: no longer in the directory; no home made\n", name);
		return soca_home_done(c, name);
	}
	if (u.uid <= 0 || u.gid <= 0) {
		warnx("user \"%s\" has uid %lld gid %lld: no home made for "
		    "root's numbers", name, u.uid, u.gid);
		soca_dir_user_free(&u);
		return SOCA_EX_FALSE;
	}
	if ((rc = soca_home_check(c, name)) == SOCA_EX_FALSE) {
		printf("%s: home exists; left as it is\n", name);
		soca_dir_user_free(&u);
		return soca_home_done(c, name);
	}
	if (rc == 0 && (rc = soca_home_create(c, name, (uid_t)u.uid,
	    (gid_t)u.gid, &home)) == 0)
		printf("%s home=%s\n", name, home);
	free(home);
	soca_dir_user_free(&u);
	return rc == 0 ? soca_home_done(c, name) : rc;
}

/*
 * Carry out every request of the queue, in name order, under a lock on
 * the queue (two runs take turns): the worst exit code of them.
 */
int
soca_home_pending(struct soca_dir *d, const struct soca_conf *c)
{
	const char *q = soca_home_queue_dir(c);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	int rc, worst = 0, lock;
	DIR *dp;

	if (q == NULL) {
		warnx("[ldap] home_queue is not set: there is no queue to "
		    "read (set it in soca.conf)");
		return SOCA_EX_USAGE;
	}
	if ((lock = open(q, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    flock(lock, LOCK_EX) == -1 || (dp = fdopendir(dup(lock))) ==
	    NULL) {
		warn("[ldap] home_queue %s", q);
		if (lock != -1)
			close(lock);
		return errno == ENOENT ? SOCA_EX_USAGE : SOCA_EX_TEMP;
	}
	while ((de = readdir(dp)) != NULL)
		if (soca_dir_name_ok_quiet(de->d_name)) {
			v = soca_xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = soca_xstrdup(de->d_name);
		}
	closedir(dp);
	if (n > 1)
		qsort(v, n, sizeof(*v), soca_strv_cmp);
	for (size_t i = 0; i < n; i++) {
		rc = pending_one(d, c, v[i]);
		if (rc > worst)
			worst = rc;
		free(v[i]);
	}
	free(v);
	close(lock);
	return worst;
}
