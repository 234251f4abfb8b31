/*
 * spool.c: the job store, a directory tree in the shape of nq and maildir.
 *
 *   seq                 next job id; read and bumped under flock(LOCK_EX)
 *   state.lock          flock held briefly around every state change
 *   dispatch.lock       flock(LOCK_NB) held by the one dispatcher
 *   kick                "pass again": made by whatever changed what the
 *                       dispatcher decides on (a submission, a job that
 *                       ended), taken by the dispatcher before a pass
 *   tmp/ID.PID.KIND     files being written (KIND r: record)
 *   scripts/ID          the job script of a job submitted before records
 *                       held scripts (read still; new jobs have none)
 *   run/ID.lock         flock held by the job's runner while it lives;
 *                       the kernel drops it when the runner dies
 *   queued/ provisioning/ running/ done/ failed/ cancelled/
 *                       one small record per job (job.c), named by id
 *   index, changes      soca-stat's listing cache and the log of ids
 *                       changed since (see "The listing cache" below)
 *   mail.failed         how many job mails could not be sent (mail.c)
 *   index.jobs          soca-index's checkpoint (index.c)
 *   aws/                the aws provider's state (provider_aws.c):
 *     ID                a job's attempt, launched flag, capacity tries
 *                       and instance ids (soca_aws_jobstate_*)
 *     ID.node.N         node N of the job registered: "instance host"
 *     bucket            the client-side launch token buckets
 *     dryrun/KEY        a cached DryRun answer per parameter set
 *     pg/NAME           a placement group to delete once its job ends
 *     ami/AMI           the AMI's root device name (DescribeImages)
 *     inst/INSTANCE     a job-shared instance (scaling_mode =
 *                       multiple_jobs): "idle HASH", "job ID",
 *                       "busy ID" or "gone" (aws_share.c)
 *   archive/HASH.pending  soca-archive's journal of one object being
 *                       uploaded: its key and jobs (lib/archive.c)
 *
 * Naming: a job's state is the directory its record is in.  Writing: a
 * file is written under tmp/, fsynced, renamed into place and the
 * directory fsynced.  A record ends with the job's script (job.c's
 * script line), so submitting is one file: written to tmp/, fsynced,
 * renamed into queued/ (the commit point), queued/ fsynced; two fsyncs.
 * An id is taken from seq first, so concurrent submitters never collide
 * and submit never scans a directory.  seq itself is not fsynced: the
 * id is checked free (no record, no old-style script) under its lock,
 * so a seq that lags after a power cut skips ahead instead of reusing.
 * An array (-J) takes its subjobs' ids with its own, and seq is fsynced
 * then; its subjobs' records are made as they are dispatched (array.c).
 * Old spools are read as they are: a record with no script line takes
 * its script from scripts/ID; nothing is converted.
 * [cluster] fsync = no drops every fsync (crash-safe still, as renames
 * are atomic, but a power cut may lose the latest changes).  A state change
 * writes the new record into the new state's directory (one rename), then
 * unlinks the old one (the new record carries the old one's script
 * line); a crash between the two leaves the job in both,
 * and every reader takes the later state (the order of enum soca_state),
 * which is also what `soca-spool check --repair` keeps.  So a crash at
 * any point leaves each job in its old or its new state, never lost.
 * Leftovers (temporaries of dead processes, old-style scripts with no
 * record, the earlier copy of a job) are reported and removed by
 * soca_spool_check().
 *
 * Locking: state changes serialise on state.lock so that, say, soca-del
 * and the dispatcher never both move one job; a mover reloads the job
 * under the lock and checks its state first.  Submitting needs no lock
 * beyond seq.  A shared spool is a directory of group soca, mode 2770,
 * written only through setgid commands (priv.c).
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

struct soca_spool {
	char *dir;
	int dfd, tmp, scripts, run, sd[SOCA_NSTATES];
	int lockfd;
	mode_t dmode, fmode;
	bool durable;		/* [cluster] fsync */
	bool create;		/* a writer: make what is missing */
	bool lazy;		/* subdirectories opened on first use */
};

static int
dsync(const struct soca_spool *sp, int fd)
{
	return sp->durable ? fsync(fd) : 0;
}

/* A writer makes what is missing and sets modes that differ (no chmod
 * of a right one: it would dirty the inode on every command). */
static int
subdir(struct soca_spool *sp, const char *name, bool create)
{
	struct stat st;
	int fd = openat(sp->dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && create && errno == ENOENT) {
		if (mkdirat(sp->dfd, name, sp->dmode) < 0 && errno != EEXIST)
			return -1;
		fd = openat(sp->dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd >= 0 && create && (fstat(fd, &st) < 0 ||
	    (st.st_mode & 07777) != sp->dmode))
		fchmod(fd, sp->dmode);
	return fd;
}

/*
 * A subdirectory's fd; a lazily opened spool (soca_spool_open_lazy) opens
 * (and as a writer makes, or sets the mode of) it on first use, so that a
 * submission opens the two it writes in, not all nine.
 */
static int
lazy_dir(struct soca_spool *sp, int *fd, const char *name)
{
	if (*fd < 0 && sp->lazy)
		*fd = subdir(sp, name, sp->create);
	return *fd;
}

#define SD(sp, s) lazy_dir((sp), &(sp)->sd[(s)], soca_state_name(s))
#define TMP(sp) lazy_dir((sp), &(sp)->tmp, "tmp")
#define SCRIPTS(sp) lazy_dir((sp), &(sp)->scripts, "scripts")
#define RUN(sp) lazy_dir((sp), &(sp)->run, "run")

static int
mkdirs(const char *path, mode_t mode)
{
	char *p = soca_xstrdup(path);

	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return free(p), -1;
			*s = '/';
		}
	free(p);
	return mkdir(path, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static int open_shared(int, const char *, int, mode_t);

/*
 * Open the spool; with create, make it (mode 0700) on first use.  Writers
 * also make state.lock, so that a reader (soca-spool check, soca-stat)
 * never has to create it, even once the disk is full.
 */
static struct soca_spool *
spool_open(const struct soca_conf *c, bool create, bool lazy)
{
	const char *dir = soca_conf_get(c, "cluster", NULL, "spool");
	struct soca_spool *sp = soca_xcalloc(1, sizeof(*sp));
	struct stat st;
	bool ok = true;

	sp->dir = soca_xstrdup(dir);
	sp->lockfd = -1;
	sp->durable = soca_conf_bool(c, "cluster", NULL, "fsync");
	sp->create = create;
	sp->lazy = lazy;
	sp->tmp = sp->scripts = sp->run = -1;
	for (int s = 0; s < SOCA_NSTATES; s++)
		sp->sd[s] = -1;
	/* made on first use: a spool that opens needs no mkdir of its path */
	if ((sp->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 &&
	    create && errno == ENOENT) {
		if (mkdirs(dir, 0700) < 0)
			err(SOCA_EX_TEMP, "spool %s", dir);
		sp->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (sp->dfd < 0 || fstat(sp->dfd, &st) < 0) {
		if (!create && errno == ENOENT) {
			soca_spool_close(sp);
			return NULL;
		}
		err(SOCA_EX_TEMP, "spool %s", dir);
	}
	sp->dmode = st.st_mode & 07770;
	sp->fmode = st.st_mode & 0070 ? 0660 : 0600;
	/* state.lock is made after every subdirectory: with it, a lazy
	   writer finds them made (a spool it starts, it makes whole) */
	if (lazy && faccessat(sp->dfd, "state.lock", F_OK, 0) < 0)
		sp->lazy = lazy = false;
	if (lazy)
		;
	else if ((sp->tmp = subdir(sp, "tmp", create)) < 0 ||
	    (sp->scripts = subdir(sp, "scripts", create)) < 0 ||
	    (sp->run = subdir(sp, "run", create)) < 0)
		ok = false;
	for (int s = 0; s < SOCA_NSTATES && ok && !lazy; s++)
		if ((sp->sd[s] = subdir(sp, soca_state_name(s), create)) < 0)
			ok = false;
	if (ok && create) {
		int fd = open_shared(sp->dfd, "state.lock", O_RDONLY,
		    sp->fmode);

		if (fd < 0)
			ok = false;
		else
			close(fd);
	}
	if (!ok && (create || errno != ENOENT))
		err(SOCA_EX_TEMP, "spool %s", dir);
	if (!ok) {
		soca_spool_close(sp);
		return NULL;
	}
	return sp;
}

struct soca_spool *
soca_spool_open(const struct soca_conf *c, bool create)
{
	return spool_open(c, create, false);
}

/*
 * A writer's spool whose subdirectories are opened, made or set to the
 * spool's mode as they are first used (soca-submit's, which writes in two
 * of them).
 */
struct soca_spool *
soca_spool_open_lazy(const struct soca_conf *c)
{
	return spool_open(c, true, true);
}

void
soca_spool_close(struct soca_spool *sp)
{
	if (sp == NULL)
		return;
	free(sp->dir);
	close(sp->dfd);
	free(sp);
}

const char *
soca_spool_dir(const struct soca_spool *sp)
{
	return sp->dir;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static bool id_taken(struct soca_spool *, long long);
static void log_change(struct soca_spool *, long long);
static int write_tmp_nosync(struct soca_spool *, const char *,
    const char *, size_t);

/* Write tmp/ID.PID.KIND, fsynced; its name in name[]. */
static int
write_tmp(struct soca_spool *sp, long long id, char kind, const char *data,
    size_t len, mode_t mode, char name[64])
{
	int fd;

	snprintf(name, 64, "%lld.%ld.%c", id, (long)getpid(), kind);
	fd = openat(TMP(sp), name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0 || dsync(sp, fd) < 0) {
		close(fd);
		unlinkat(TMP(sp), name, 0);
		return -1;
	}
	return close(fd);
}

/* Created files must be group-writable in a shared spool, umask or not. */
static int
open_shared(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd = openat(dirfd, name, flags | O_CREAT | O_CLOEXEC, mode);
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 0777) != mode)
		fchmod(fd, mode);
	return fd;
}

/* A cache file: no fsync, whatever the setting. */
static int
write_tmp_nosync(struct soca_spool *sp, const char *name, const char *data,
    size_t len)
{
	int fd = openat(TMP(sp), name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, sp->fmode);

	if (fd < 0)
		return -1;
	if (fchmod(fd, sp->fmode) < 0 || write_all(fd, data, len) < 0) {
		close(fd);
		unlinkat(TMP(sp), name, 0);
		return -1;
	}
	return close(fd);
}

/* Is any of id..id+n-1 taken?  The first free id at or after it. */
static long long
free_from(struct soca_spool *sp, long long id, long long n)
{
	for (long long k = 0; k < n; k++)
		if (id_taken(sp, id + k)) {
			id += k + 1;
			k = -1;
		}
	return id;
}

/*
 * The next id, and with n > 1 the n - 1 after it for an array's subjobs
 * (array.c): seq is then fsynced, so that no job can take one of them
 * after a power cut, when no record holds them yet.
 */
static long long
next_id(struct soca_spool *sp, long long n)
{
	char b[32] = { 0 };
	long long id = 0;
	int fd = open_shared(sp->dfd, "seq", O_RDWR, sp->fmode);
	ssize_t w;

	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return -1;
	if ((w = pread(fd, b, sizeof(b) - 1, 0)) > 0)
		id = strtoll(b, NULL, 10);
	if (id < 1)
		id = 1;
	/* seq is not fsynced: after a power cut it may lag the records */
	id = free_from(sp, id, n);
	w = snprintf(b, sizeof(b), "%lld\n", id + n);
	if (pwrite(fd, b, (size_t)w, 0) != w || (n > 1 && dsync(sp, fd) < 0))
		id = -1;
	close(fd);
	return id;
}

static int
publish(struct soca_spool *sp, const char *tmpname, int dirfd, long long id)
{
	char name[32];

	snprintf(name, sizeof(name), "%lld", id);
	if (renameat(TMP(sp), tmpname, dirfd, name) < 0)
		return -1;
	return dsync(sp, dirfd);
}

/* Store a new job in queued/ and set its id; -1 with errno on failure. */
int
soca_spool_submit(struct soca_spool *sp, struct soca_job *j,
    const char *script, size_t len)
{
	struct soca_buf b = { 0 };
	struct soca_range rg;
	char rname[64];
	int r = -1;

	if ((j->id = next_id(sp, soca_array_range(j, &rg) ?
	    soca_range_count(&rg) + 1 : 1)) < 0)
		return -1;
	soca_crashpoint("submit-id");
	j->state = SOCA_QUEUED;
	soca_job_format(j, &b);
	soca_job_format_script(&b, script, len);
	if (write_tmp(sp, j->id, 'r', b.s, b.len, sp->fmode, rname) < 0)
		goto out;
	soca_crashpoint("submit-tmp");
	if (publish(sp, rname, SD(sp, SOCA_QUEUED), j->id) < 0) {
		unlinkat(TMP(sp), rname, 0);
		goto out;
	}
	soca_crashpoint("submit-published");
	r = 0;
out:
	soca_buf_free(&b);
	return r;
}

/*
 * A record of a given id in its state (an array's subjob, array.c),
 * under the state lock; -1 (EEXIST) when the id is taken.
 */
int
soca_spool_create(struct soca_spool *sp, struct soca_job *j,
    const char *script, size_t len)
{
	struct soca_buf b = { 0 };
	char rname[64];
	int r = -1;

	if (id_taken(sp, j->id)) {
		errno = EEXIST;
		return -1;
	}
	soca_job_format(j, &b);
	soca_job_format_script(&b, script, len);
	if (write_tmp(sp, j->id, 'r', b.s, b.len, sp->fmode, rname) == 0) {
		log_change(sp, j->id);
		if (publish(sp, rname, SD(sp, j->state), j->id) == 0)
			r = 0;
		else
			unlinkat(TMP(sp), rname, 0);
	}
	soca_buf_free(&b);
	return r;
}

bool
soca_spool_taken(struct soca_spool *sp, long long id)
{
	return id_taken(sp, id);
}

static int
read_at(int dirfd, const char *name, struct soca_buf *b)
{
	char chunk[4096];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	soca_buf_reset(b);
	/* records are written whole and renamed: a short read is the end */
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		soca_buf_add(b, chunk, (size_t)n);
		if ((size_t)n < sizeof(chunk))
			break;
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

static int
load_in(struct soca_spool *sp, int s, const char *name, struct soca_job *j,
    struct soca_buf *b)
{
	if (read_at(SD(sp, s), name, b) < 0)
		return -1;
	if (soca_job_parse(b->s ? b->s : "", b->len, j) < 0) {
		soca_job_free(j);
		errno = EINVAL;
		return -1;
	}
	j->state = s;
	return 0;
}

/* Load a job by id: the latest state it is in; -1 (ENOENT) if none. */
int
soca_spool_load(struct soca_spool *sp, long long id, struct soca_job *j)
{
	struct soca_buf b = { 0 };
	char name[32];

	snprintf(name, sizeof(name), "%lld", id);
	for (int s = SOCA_NSTATES - 1; s >= 0; s--)
		if (load_in(sp, s, name, j, &b) == 0) {
			soca_buf_free(&b);
			return 0;
		} else if (errno != ENOENT) {
			soca_buf_free(&b);
			return -1;
		}
	soca_buf_free(&b);
	errno = ENOENT;
	return -1;
}

/* Append the script line of the job's record in state s, if it has one. */
static int
carry_script(struct soca_spool *sp, long long id, int s, struct soca_buf *b)
{
	struct soca_buf old = { 0 };
	char name[32];
	size_t at;

	snprintf(name, sizeof(name), "%lld", id);
	if (read_at(SD(sp, s), name, &old) < 0) {
		soca_buf_free(&old);
		return -1;
	}
	if ((at = soca_job_script_at(old.s, old.len)) < old.len)
		soca_buf_add(b, old.s + at, old.len - at);
	soca_buf_free(&old);
	return 0;
}

/*
 * Move a job (as loaded, under soca_spool_lock) to another state: one
 * rename into the new directory, then the old record goes.
 */
int
soca_spool_move(struct soca_spool *sp, struct soca_job *j,
    enum soca_state to)
{
	struct soca_buf b = { 0 };
	enum soca_state from = j->state;
	char tname[64], name[32];
	int r;

	j->state = to;
	soca_job_format(j, &b);
	r = carry_script(sp, j->id, from, &b);
	if (r == 0)
		r = write_tmp(sp, j->id, 'r', b.s, b.len, sp->fmode, tname);
	soca_buf_free(&b);
	if (r < 0)
		return j->state = from, -1;
	soca_crashpoint("move-tmp");
	log_change(sp, j->id);
	if (publish(sp, tname, SD(sp, to), j->id) < 0) {
		unlinkat(TMP(sp), tname, 0);
		return j->state = from, -1;
	}
	soca_crashpoint("move-renamed");
	if (from != to) {
		snprintf(name, sizeof(name), "%lld", j->id);
		if (unlinkat(SD(sp, from), name, 0) < 0 && errno != ENOENT)
			return -1;
		dsync(sp, SD(sp, from));
	}
	soca_crashpoint("move-done");
	return 0;
}

/*
 * Remove finished jobs for good (soca-archive, once their upload is
 * verified), under soca_spool_lock: each is logged as changed, its record
 * and any old-style script unlinked, then each directory fsynced once.
 * Gone already is fine: a rerun after a crash removes the rest.
 */
int
soca_spool_remove(struct soca_spool *sp, const long long *ids,
    const int *states, size_t n)
{
	unsigned touched = 0;
	char name[32];

	for (size_t i = 0; i < n; i++) {
		if (states[i] < SOCA_DONE || states[i] >= SOCA_NSTATES)
			return errno = EINVAL, -1;
		snprintf(name, sizeof(name), "%lld", ids[i]);
		log_change(sp, ids[i]);
		if (unlinkat(SD(sp, states[i]), name, 0) < 0 &&
		    errno != ENOENT)
			return -1;
		if (SCRIPTS(sp) >= 0)
			unlinkat(SCRIPTS(sp), name, 0);
		touched |= 1u << states[i];
	}
	for (int s = SOCA_DONE; s < SOCA_NSTATES; s++)
		if (touched & (1u << s))
			dsync(sp, SD(sp, s));
	return 0;
}

/* Rewrite a job's record in its own state (reason, pid, times). */
int
soca_spool_update(struct soca_spool *sp, struct soca_job *j)
{
	return soca_spool_move(sp, j, j->state);
}

static int
lockfile(struct soca_spool *sp, const char *name, int how)
{
	int fd = open_shared(sp->dfd, name, O_RDONLY, sp->fmode);

	if (fd < 0)
		return -1;
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return -1;
	}
	return fd;
}

int
soca_spool_lock(struct soca_spool *sp)
{
	if ((sp->lockfd = lockfile(sp, "state.lock", LOCK_EX)) < 0)
		return -1;
	return 0;
}

void
soca_spool_unlock(struct soca_spool *sp)
{
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	sp->lockfd = -1;
}

/* The dispatcher's lock: its fd, or -1 (EWOULDBLOCK when another has it). */
int
soca_spool_dispatcher(struct soca_spool *sp)
{
	return lockfile(sp, "dispatch.lock", LOCK_EX | LOCK_NB);
}

/*
 * Ask for a dispatcher pass: the kick file says something changed since
 * the last one.  Whoever changes a job first changes it, then kicks; the
 * dispatcher takes the kick before it reads the jobs, so a change is
 * either seen by a pass under way or leaves a kick for the next one.
 */
int
soca_spool_kick(struct soca_spool *sp)
{
	int fd = open_shared(sp->dfd, "kick", O_WRONLY, sp->fmode);

	return fd < 0 ? -1 : close(fd);
}

/* Was there a kick?  take: remove it (the dispatcher, before a pass). */
bool
soca_spool_kicked(struct soca_spool *sp, bool take)
{
	if (take)
		return unlinkat(sp->dfd, "kick", 0) == 0;
	return faccessat(sp->dfd, "kick", F_OK, 0) == 0;
}

/* The runner's lock on run/ID.lock, held until the runner exits. */
int
soca_spool_runlock(struct soca_spool *sp, long long id, bool wait)
{
	char name[48];
	int fd;

	snprintf(name, sizeof(name), "%lld.lock", id);
	fd = openat(RUN(sp), name, O_RDONLY | O_CREAT | O_CLOEXEC, sp->fmode);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The runner is done: its lock file goes while still held. */
void
soca_spool_runlock_drop(struct soca_spool *sp, long long id, int fd)
{
	char name[48];

	snprintf(name, sizeof(name), "%lld.lock", id);
	unlinkat(RUN(sp), name, 0);
	close(fd);
}

bool
soca_spool_runner_alive(struct soca_spool *sp, long long id)
{
	char name[48];
	int fd;
	bool alive;

	snprintf(name, sizeof(name), "%lld.lock", id);
	if ((fd = openat(RUN(sp), name, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

/* The job's script: its record's script line, else scripts/ID (old). */
int
soca_spool_script(struct soca_spool *sp, long long id, char **s, size_t *n)
{
	struct soca_buf b = { 0 };
	char name[32];
	int st = SOCA_NSTATES - 1;

	snprintf(name, sizeof(name), "%lld", id);
	while (st >= 0 && read_at(SD(sp, st), name, &b) < 0 && errno == ENOENT)
		st--;
	if (st >= 0 && soca_job_script(b.s ? b.s : "", b.len, s, n) == 0) {
		soca_buf_free(&b);
		return 0;
	}
	if (read_at(SCRIPTS(sp), name, &b) < 0) {
		soca_buf_free(&b);
		return -1;
	}
	*n = b.len;
	*s = b.s ? b.s : soca_xstrdup("");
	return 0;
}

/* A listing's first capacity: big enough that malloc maps it, so that
 * growing it is an mremap, not a copy (each new page is a fault). */
#define BIG_START(x) ((size_t)(256 << 10) / sizeof(x))

struct ent {
	long long id;
	int state;
	ino_t ino;
	const char *rec;	/* listed: in the old index, else NULL: */
	size_t off, len;	/* in cache.fresh; len 0: not listed */
};

static int
cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return x->state - y->state;
}

/*
 * Sort by id, keeping the state order the entries came in: a counting
 * sort when the ids are dense (they are: ids are given out in order),
 * as qsort took a tenth of a listing.
 */
static void
sort_ents(struct ent *v, size_t n)
{
	long long lo = LLONG_MAX, hi = 0;
	size_t range, *next, *end;

	for (size_t i = 0; i < n; i++) {
		lo = v[i].id < lo ? v[i].id : lo;
		hi = v[i].id > hi ? v[i].id : hi;
	}
	if (n < 2 || (unsigned long long)(hi - lo) >= 4 * (unsigned long long)n +
	    4096) {
		if (n > 1)
			qsort(v, n, sizeof(*v), cmp_ent);
		return;
	}
	/* counting sort in place (each entry swapped into its id's slot, no
	   second array of entries to fault in), then the rare equal ids (a
	   job in two states after a crash) by state */
	range = (size_t)(hi - lo) + 1;
	next = soca_xcalloc(range + 1, sizeof(*next));
	end = soca_xreallocarray(NULL, range, sizeof(*end));
	for (size_t i = 0; i < n; i++)
		next[v[i].id - lo + 1]++;
	for (size_t k = 1; k <= range; k++)
		next[k] += next[k - 1];
	for (size_t k = 0; k < range; k++)
		end[k] = next[k + 1];
	for (size_t k = 0; k < range; k++)
		while (next[k] < end[k]) {
			struct ent e = v[next[k]], t;
			size_t b;

			while ((b = (size_t)(e.id - lo)) != k) {
				t = v[next[b]];
				v[next[b]++] = e;
				e = t;
			}
			v[next[k]++] = e;
		}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && v[k - 1].id == v[k].id &&
		    v[k - 1].state > v[k].state; k--) {
			struct ent t = v[k - 1];

			v[k - 1] = v[k];
			v[k] = t;
		}
	free(end);
	free(next);
}

/*
 * strtoll / strtoull (base 10) for what the spool writes: spaces, then up
 * to 18 digits, at a fraction of their cost (a listing parses four
 * numbers a job); anything else is theirs to read.
 */
static long long
dec_ll(const char *s, char **e)
{
	const char *p = s, *d;
	long long x = 0;

	while (*p == ' ')
		p++;
	for (d = p; *p >= '0' && *p <= '9' && p - d < 18; p++)
		x = x * 10 + (*p - '0');
	if (p == d || (*p >= '0' && *p <= '9'))
		return strtoll(s, e, 10);
	*e = (char *)p;
	return x;
}

static unsigned long long
dec_ull(const char *s, char **e)
{
	const char *p = s, *d;
	unsigned long long x = 0;

	while (*p == ' ')
		p++;
	for (d = p; *p >= '0' && *p <= '9' && p - d < 18; p++)
		x = x * 10 + (unsigned)(*p - '0');
	if (p == d || (*p >= '0' && *p <= '9'))
		return strtoull(s, e, 10);
	*e = (char *)p;
	return x;
}

/* Every (id, state) in the given states, sorted by id then state. */
static struct ent *
scan(struct soca_spool *sp, unsigned states, size_t *np)
{
	struct ent *v = NULL;
	size_t n = 0, cap = 0;

	for (int s = 0; s < SOCA_NSTATES; s++) {
		DIR *d;
		struct dirent *de;
		int fd;

		if (!(states & (1u << s)))
			continue;
		if ((fd = dup(SD(sp, s))) < 0 || (d = fdopendir(fd)) == NULL)
			err(SOCA_EX_TEMP, "%s/%s", sp->dir, soca_state_name(s));
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			char *e;
			long long id = dec_ll(de->d_name, &e);

			if (de->d_name[0] == '.' || *e != '\0' || id <= 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : BIG_START(*v);
				v = soca_xreallocarray(v, cap, sizeof(*v));
			}
			v[n] = (struct ent){ .id = id, .state = s,
			    .ino = de->d_ino };
			n++;
		}
		closedir(d);
	}
	sort_ents(v, n);
	*np = n;
	return v;
}

/*
 * The listing cache.  Reading 100,000 records costs 300,000 system
 * calls; `index` keeps a copy of each record (without its script line)
 * with its state and inode, and `changes` logs the id of every job moved or rewritten since (a
 * mover appends before its rename, under the state lock).  A cached copy
 * is used only when the job is still in the same state under the same
 * inode and is not in the log after the index's offset: a rename always
 * brings a new inode (the temporary exists beside the old file), and any
 * later rewrite, which might reuse an old inode, is in the log.  The
 * index is rebuilt by the lister when it missed many, with the inodes
 * its directory scan saw (a file replaced after the scan is in the log
 * after the offset taken before it); it is a cache, so it is not
 * fsynced, and one from another boot is ignored.  It is mapped, not
 * read: it is only ever replaced by a rename.
 */
struct idx {
	long long id;
	int state;
	ino_t ino;
	const char *rec;
	size_t len;
};

struct cache {
	char head[256];		/* "soca-index 1 BOOT TOKEN " */
	char *map;		/* the index, mapped */
	size_t maplen;
	struct soca_buf fresh;
	struct idx *v;
	size_t n, cap;
	long long *dirty;
	size_t nd;
};

/* A new log starts with a token of its own, which the index names. */
static void
log_new(struct soca_spool *sp, bool replace)
{
	char b[64], tname[64];
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(b, sizeof(b), "soca-changes %lld.%ld.%ld\n",
	    (long long)ts.tv_sec, ts.tv_nsec, (long)getpid());
	snprintf(tname, sizeof(tname), "changes.%ld.c", (long)getpid());
	if (write_tmp_nosync(sp, tname, b, (size_t)n) == 0 &&
	    renameat2(TMP(sp), tname, sp->dfd, "changes",
	    replace ? 0 : RENAME_NOREPLACE) < 0)
		unlinkat(TMP(sp), tname, 0);
}

static void
log_change(struct soca_spool *sp, long long id)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%lld\n", id);
	int fd;

	if (faccessat(sp->dfd, "changes", F_OK, 0) < 0)
		log_new(sp, false);
	fd = open_shared(sp->dfd, "changes", O_WRONLY | O_APPEND, sp->fmode);
	if (fd < 0 || write(fd, b, (size_t)n) != n)
		unlinkat(sp->dfd, "index", 0);
	if (fd >= 0)
		close(fd);
}

/* The log's token (its first line) into tok[]; "" if none. */
static void
log_token(struct soca_spool *sp, char tok[64])
{
	int fd = openat(sp->dfd, "changes", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, tok, 63, 0) : 0;

	if (fd >= 0)
		close(fd);
	tok[n > 0 ? n : 0] = '\0';
	tok[strcspn(tok, "\n")] = '\0';
	if (strncmp(tok, "soca-changes ", 13) != 0)
		tok[0] = '\0';
	else
		memmove(tok, tok + 13, strlen(tok + 13) + 1);
}

static long long
log_size(struct soca_spool *sp)
{
	struct stat st;

	return fstatat(sp->dfd, "changes", &st, 0) == 0 ? st.st_size : 0;
}

static void
boot_id(char b[40])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	strcpy(b, "-");
	if (f != NULL) {
		if (fgets(b, 40, f) == NULL)
			strcpy(b, "-");
		b[strcspn(b, "\n")] = '\0';
		fclose(f);
	}
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void
load_dirty(struct soca_spool *sp, struct cache *c, long long from,
    long long to)
{
	char *buf, *p, *e;
	int fd = openat(sp->dfd, "changes", O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0 || to <= from) {
		if (fd >= 0)
			close(fd);
		return;
	}
	buf = soca_xmalloc((size_t)(to - from) + 1);
	n = pread(fd, buf, (size_t)(to - from), from);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; *p; p = e + (*e != '\0')) {
		long long id = strtoll(p, &e, 10);

		if (e == p)
			break;
		c->dirty = soca_xreallocarray(c->dirty, c->nd + 1,
		    sizeof(*c->dirty));
		c->dirty[c->nd++] = id;
	}
	free(buf);
	if (c->nd > 1)
		qsort(c->dirty, c->nd, sizeof(*c->dirty), cmp_ll);
}

/* Map the index: it is replaced by rename, never written in place. */
static int
map_index(struct soca_spool *sp, struct cache *c)
{
	struct stat st;
	int fd = openat(sp->dfd, "index", O_RDONLY | O_CLOEXEC);
	void *m;

	if (fd < 0)
		return -1;
	/* it ends with a record's newline: no number runs off its end */
	if (fstat(fd, &st) < 0 || st.st_size == 0 ||
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE |
	    MAP_POPULATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	close(fd);
	c->map = m;
	c->maplen = (size_t)st.st_size;
	if (c->map[c->maplen - 1] != '\n') {
		munmap(c->map, c->maplen);
		c->map = NULL;
		return -1;
	}
	return 0;
}

/* Parse index (header, then "id state ino len\n" and len bytes each). */
static void
cache_load(struct soca_spool *sp, struct cache *c, long long now)
{
	char want[128], tok[64], *p, *end;
	long long off;

	boot_id(want);
	log_token(sp, tok);
	if (tok[0] == '\0' || map_index(sp, c) < 0)
		return;
	p = c->map;
	end = p + c->maplen;
	snprintf(c->head, sizeof(c->head), "soca-index 1 %s %s ", want, tok);
	if (strncmp(p, c->head, strlen(c->head)) != 0)
		return;
	off = strtoll(p + strlen(c->head), &p, 10);
	if (*p++ != '\n' || off > now)
		return;
	while (p < end) {
		struct idx x;
		char *e;

		/* strtoull, not sscanf: sscanf measures the whole buffer */
		x.id = dec_ll(p, &e);
		x.state = (int)dec_ll(e, &e);
		x.ino = (ino_t)dec_ull(e, &e);
		x.len = (size_t)dec_ull(e, &e);
		if (*e != '\n' || x.state < 0 || x.state >= SOCA_NSTATES ||
		    x.len > (size_t)(end - e - 1))
			break;
		x.rec = e + 1;
		p = e + 1 + x.len;
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : BIG_START(*c->v);
			c->v = soca_xreallocarray(c->v, c->cap, sizeof(*c->v));
		}
		c->v[c->n++] = x;
	}
	load_dirty(sp, c, off, now);
}

static const struct idx *
cache_find(const struct cache *c, long long id)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n || c->v[lo].id != id)
		return NULL;
	if (c->nd > 0 &&
	    bsearch(&id, c->dirty, c->nd, sizeof(*c->dirty), cmp_ll))
		return NULL;
	return &c->v[lo];
}

static void
idx_add(struct soca_buf *b, long long id, int state, ino_t ino,
    const char *rec, size_t len)
{
	char h[96];
	int n = snprintf(h, sizeof(h), "%lld %d %llu %zu\n", id, state,
	    (unsigned long long)ino, len);

	soca_buf_add(b, h, (size_t)n);
	soca_buf_add(b, rec, len);
}

static void
cache_write(struct soca_spool *sp, struct cache *c, struct ent *f,
    size_t nf, unsigned states, const char *tok0, long long off)
{
	struct soca_buf b = { 0 };
	char boot[40], tok[64], tname[64];
	size_t i = 0, k = 0;

	boot_id(boot);
	if (tok0[0] == '\0') {
		/* no log when the listing began: every move since is in it */
		log_new(sp, false);
		log_token(sp, tok);
		off = 13 + (long long)strlen(tok) + 1;
	} else {
		log_token(sp, tok);
		if (strcmp(tok, tok0) != 0)
			return;		/* replaced meanwhile by a repair */
	}
	if (tok[0] == '\0')
		return;
	soca_buf_addf(&b, "soca-index 1 %s %s %lld\n", boot, tok, off);
	while (i < nf || k < c->n) {
		const struct idx *o = k < c->n ? &c->v[k] : NULL;

		if (i < nf && f[i].len == 0) {
			i++;		/* not listed: superseded or unreadable */
			continue;
		}
		if (o && (i == nf || o->id < f[i].id)) {
			k++;
			if ((states & (1u << o->state)) ||
			    cache_find(c, o->id) == NULL)
				continue;	/* listed again, or stale */
			idx_add(&b, o->id, o->state, o->ino, o->rec, o->len);
			continue;
		}
		if (o && o->id == f[i].id)
			k++;
		idx_add(&b, f[i].id, f[i].state, f[i].ino,
		    f[i].rec ? f[i].rec : c->fresh.s + f[i].off, f[i].len);
		i++;
	}
	snprintf(tname, sizeof(tname), "index.%ld.i", (long)getpid());
	if (write_tmp_nosync(sp, tname, b.s, b.len) == 0 &&
	    renameat(TMP(sp), tname, sp->dfd, "index") < 0)
		unlinkat(TMP(sp), tname, 0);
	soca_buf_free(&b);
}

/* Remember a record for the next index: a pointer if cached, else a copy
 * without its script. */
static void
keep(struct cache *c, struct ent *e, const char *rec, size_t len,
    bool cached)
{
	if (cached) {
		e->rec = rec;
		e->len = len;
		return;
	}
	e->off = c->fresh.len;
	e->len = soca_job_script_at(rec, len);
	soca_buf_add(&c->fresh, rec, e->len);
}

/* Call fn for each job in the given states, in id order, latest state. */
int
soca_spool_list(struct soca_spool *sp, unsigned states, soca_job_fn fn,
    void *arg)
{
	struct soca_buf b = { 0 };
	struct cache c = { 0 };
	size_t n, misses = 0;
	char tok0[64];
	long long off;
	struct ent *v;
	int r = 0;

	log_token(sp, tok0);
	off = log_size(sp);
	v = scan(sp, states, &n);
	cache_load(sp, &c, off);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct soca_job j;
		const struct idx *x;
		char name[32];

		if (i + 1 < n && v[i + 1].id == v[i].id)
			continue;
		x = cache_find(&c, v[i].id);
		if (x && x->state == v[i].state && x->ino == v[i].ino &&
		    soca_job_parse(x->rec, x->len, &j) == 0) {
			j.state = v[i].state;
			keep(&c, &v[i], x->rec, x->len, true);
		} else {
			snprintf(name, sizeof(name), "%lld", v[i].id);
			/* the inode readdir saw: were the file replaced
			 * since, the new one is in the log after off */
			if (read_at(SD(sp, v[i].state), name, &b) < 0 ||
			    soca_job_parse(b.s ? b.s : "", b.len, &j) < 0)
				continue;
			j.state = v[i].state;
			keep(&c, &v[i], b.s, b.len, false);
			misses++;
		}
		r = fn(&j, arg);
		soca_job_free(&j);
	}
	if (r == 0 && misses > 256)
		cache_write(sp, &c, v, n, states, tok0, off);
	free(c.v);
	free(c.dirty);
	if (c.map != NULL)
		munmap(c.map, c.maplen);
	soca_buf_free(&c.fresh);
	free(v);
	soca_buf_free(&b);
	return r;
}

static bool
pid_dead(const char *tmpname)
{
	const char *dot = strchr(tmpname, '.');
	long pid = dot ? strtol(dot + 1, NULL, 10) : 0;

	return pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

static int
check_tmp(struct soca_spool *sp, bool repair, FILE *f)
{
	DIR *d = fdopendir(dup(TMP(sp)));
	struct dirent *de;
	int found = 0;

	if (d == NULL)
		return 0;
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !pid_dead(de->d_name))
			continue;
		found++;
		fprintf(f, "%s: tmp/%s: temporary file of a dead process%s\n",
		    sp->dir, de->d_name, repair ? ": removed" : "");
		if (repair)
			unlinkat(TMP(sp), de->d_name, 0);
	}
	closedir(d);
	return found;
}

static int
check_dups(struct soca_spool *sp, struct ent *v, size_t n, bool repair,
    FILE *f)
{
	int found = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		char name[32];

		if (v[i + 1].id != v[i].id)
			continue;
		found++;
		snprintf(name, sizeof(name), "%lld", v[i].id);
		fprintf(f, "%s: job %lld is in both %s and %s: %s wins%s\n",
		    sp->dir, v[i].id, soca_state_name(v[i].state),
		    soca_state_name(v[i + 1].state),
		    soca_state_name(v[i + 1].state),
		    repair ? ", earlier record removed" : "");
		if (repair) {
			unlinkat(SD(sp, v[i].state), name, 0);
			fsync(SD(sp, v[i].state));
		}
	}
	return found;
}

static bool
has_id(struct ent *v, size_t n, long long id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].id == id;
}

static bool
tmp_live(struct soca_spool *sp, long long id)
{
	DIR *d = fdopendir(dup(TMP(sp)));
	struct dirent *de;
	char pre[32];
	bool live = false;

	if (d == NULL)
		return false;
	rewinddir(d);
	snprintf(pre, sizeof(pre), "%lld.", id);
	while (!live && (de = readdir(d)) != NULL)
		live = strncmp(de->d_name, pre, strlen(pre)) == 0 &&
		    !pid_dead(de->d_name);
	closedir(d);
	return live;
}

/* Is there dir/ID?  Through dir's fd when open, else by path from the
 * spool (a lazy spool opens no directory to ask). */
static bool
taken_in(struct soca_spool *sp, int fd, const char *dir, long long id)
{
	char name[96];

	if (fd >= 0) {
		snprintf(name, sizeof(name), "%lld", id);
		return faccessat(fd, name, F_OK, 0) == 0;
	}
	snprintf(name, sizeof(name), "%s/%lld", dir, id);
	return faccessat(sp->dfd, name, F_OK, 0) == 0;
}

/* Published since the scan (a submitter racing with check)? */
static bool
exists_any(struct soca_spool *sp, long long id)
{
	for (int s = 0; s < SOCA_NSTATES; s++)
		if (taken_in(sp, sp->sd[s], soca_state_name(s), id))
			return true;
	return false;
}

/* Taken: a record in any state, or a script. */
static bool
id_taken(struct soca_spool *sp, long long id)
{
	return exists_any(sp, id) ||
	    taken_in(sp, sp->scripts, "scripts", id);
}

static int
check_scripts(struct soca_spool *sp, struct ent *v, size_t n, bool repair,
    FILE *f)
{
	DIR *d = fdopendir(dup(SCRIPTS(sp)));
	struct dirent *de;
	int found = 0;

	if (d == NULL)
		return 0;
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		char *e;
		long long id = strtoll(de->d_name, &e, 10);

		if (de->d_name[0] == '.' || *e != '\0' || has_id(v, n, id) ||
		    tmp_live(sp, id) || exists_any(sp, id))
			continue;
		found++;
		fprintf(f, "%s: scripts/%s: script of a job never "
		    "published%s\n", sp->dir, de->d_name,
		    repair ? ": removed" : "");
		if (repair)
			unlinkat(SCRIPTS(sp), de->d_name, 0);
	}
	closedir(d);
	return found;
}

/*
 * Find (and with repair, remove) leftovers of crashes; returns how many
 * were found.  Jobs whose runner died are soca-node-down's (reap.c).
 */
int
soca_spool_check(struct soca_spool *sp, bool repair, FILE *f)
{
	size_t n;
	struct ent *v;
	int found;

	if (soca_spool_lock(sp) < 0)
		return -1;
	v = scan(sp, SOCA_ALLSTATES, &n);
	found = check_tmp(sp, repair, f) + check_dups(sp, v, n, repair, f) +
	    check_scripts(sp, v, n, repair, f);
	if (repair) {
		/* the listing cache starts again (and its log with it) */
		unlinkat(sp->dfd, "index", 0);
		log_new(sp, true);
	}
	free(v);
	soca_spool_unlock(sp);
	return found;
}
