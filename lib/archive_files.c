/*
 * archive_files.c: files that leave the head node for S3 once closed and
 * older than [archive] keep (soca-archive, after the jobs): the nodes'
 * bootstrap logs, which each node writes to the spool's nodelogs/ as
 * INSTANCE-ID.log (etc/user-data.sh), and soca's own rotated logs, the
 * globs of [archive] logs.
 *
 * A file makes one object: its bytes gzip-compressed (as they are when
 * its name ends in .gz) at PREFIX/KIND/YYYY/MM/DD/CLUSTER/NAME-HASH.gz,
 * KIND nodes or logs, the day the file's last change (UTC), NAME its
 * name less .gz, HASH the start of the object's SHA-256: the same file
 * gives the same bytes (zlib's header has no name and mtime 0) and so
 * the same key, and two files of one name never share a key.
 *
 * The file is its own journal: HeadObject, and when S3 holds the key
 * with our checksum and size the file is only removed; else PutObject
 * (multipart above [archive] multipart_threshold), HeadObject again,
 * then unlink.  Killed between the upload and the unlink, the next run
 * makes the same bytes, finds them and removes the file: nothing lost,
 * nothing sent twice.  A failed upload removes nothing.
 *
 * The live log is never touched: [archive] logs may not name *.log
 * (soca.conf checks), [web] audit_log is skipped whatever the globs say,
 * only regular files last changed before keep ago are taken, and one
 * that changes while it is read is left for the next run.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"

struct afile {
	const char *path, *kind;
	struct stat st;
	struct soca_buf body;		/* what goes to S3 */
	struct soca_buf key;
};

void
soca_archive_files_conf(struct soca_archive *ar)
{
	const char *v = soca_conf_get(ar->conf, "archive", NULL, "logs");

	ar->live = soca_conf_get(ar->conf, "web", NULL, "audit_log");
	ar->logs = NULL;
	ar->nlogs = 0;
	if (v != NULL && strcmp(v, "none") != 0)
		ar->nlogs = soca_conf_list(ar->conf, "archive", NULL, "logs",
		    &ar->logs);
}

void
soca_archive_files_free(struct soca_archive *ar)
{
	soca_strv_free(ar->logs, ar->nlogs);
	ar->logs = NULL;
	ar->nlogs = 0;
}

/* The whole file, if it is still what lstat saw; 1: leave it, -1: error */
static int
slurp(struct afile *f, struct soca_buf *raw)
{
	char chunk[65536];
	struct stat now;
	ssize_t n;
	int fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		soca_buf_add(raw, chunk, (size_t)n);
	if (n < 0 || fstat(fd, &now) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (now.st_ino != f->st.st_ino || now.st_size != f->st.st_size ||
	    now.st_mtime != f->st.st_mtime || raw->len != (size_t)now.st_size)
		return 1;	/* written meanwhile: not closed after all */
	return 0;
}

static void
file_key(const struct soca_archive *ar, struct afile *f, const char *hex)
{
	const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 :
	    f->path;
	size_t bl = strlen(base);
	time_t t = f->st.st_mtime;
	struct tm tm;

	if (bl > 3 && strcmp(base + bl - 3, ".gz") == 0)
		bl -= 3;
	gmtime_r(&t, &tm);
	soca_buf_addf(&f->key, "%s%s%s/%04d/%02d/%02d/%s/%.*s-%s.gz",
	    ar->prefix, *ar->prefix ? "/" : "", f->kind, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, ar->cluster, (int)bl, base, hex);
}

/* The object's bytes and key; 1: leave the file for now, -1: error. */
static int
prepare(const struct soca_archive *ar, struct afile *f)
{
	struct soca_buf raw = { 0 };
	size_t pl = strlen(f->path);
	char hex[65];
	int r = slurp(f, &raw);

	if (r != 0) {
		soca_buf_free(&raw);
		return r;
	}
	if (pl > 3 && strcmp(f->path + pl - 3, ".gz") == 0 && raw.len >= 2 &&
	    (unsigned char)raw.s[0] == 0x1f && (unsigned char)raw.s[1] == 0x8b)
		f->body = raw;		/* compressed by logrotate already */
	else {
		soca_archive_gzip(raw.s ? raw.s : "", raw.len, &f->body);
		soca_buf_free(&raw);
	}
	soca_aws_sha256_hex(f->body.s, f->body.len, hex);
	hex[16] = '\0';
	file_key(ar, f, hex);
	return 0;
}

static void
report(const struct soca_archive *ar, const char *what,
    const struct afile *f, int parts)
{
	if (ar->out == NULL)
		return;
	fprintf(ar->out, "%s s3://%s/%s %s %zu bytes", what, ar->bucket,
	    f->key.s, f->path, f->body.len);
	if (parts > 0)
		fprintf(ar->out, " %d parts", parts);
	fputc('\n', ar->out);
}

/* 1: S3 has the key with this checksum and size; 0: not; -1: error */
static int
there(struct soca_archive *ar, const char *key, const char *sum,
    size_t size, struct soca_aws_err *e)
{
	char *have = NULL;
	long long hsize = -1;
	int r = soca_s3_head(ar->aws, ar->bucket, key, &have, &hsize, e);

	if (r < 0)
		return -1;
	r = r == 0 && have && strcmp(have, sum) == 0 &&
	    hsize == (long long)size;
	free(have);
	return r;
}

/* Upload and verify: 0, or -1 with *e. */
static int
put_file(struct soca_archive *ar, struct afile *f, struct soca_s3_put *p,
    struct soca_aws_err *e)
{
	char want[sizeof(p->checksum)];
	int r;

	strlcpy(want, p->checksum, sizeof(want));
	if (soca_s3_put(ar->aws, p, e) < 0)
		return -1;
	if ((r = there(ar, f->key.s, want, f->body.len, e)) < 0)
		return -1;
	if (r == 0) {
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, 0, "ChecksumMismatch",
		    "s3://%s/%s: after the upload S3 does not report checksum "
		    "%s and %zu bytes", ar->bucket, f->key.s, want,
		    f->body.len);
		return -1;
	}
	ar->uploaded++;
	ar->parts += p->parts;
	report(ar, "uploaded", f, p->parts);
	return 0;
}

/* One file: 0 (archived, or left for later), -1 with *e. */
static int
archive_file(struct soca_archive *ar, struct afile *f,
    struct soca_aws_err *e)
{
	struct soca_s3_put p;
	int r;

	if ((r = prepare(ar, f)) != 0) {
		if (r < 0) {
			warn("%s", f->path);
			ar->partial = true;
		}
		return 0;
	}
	p = (struct soca_s3_put){ .bucket = ar->bucket, .key = f->key.s,
	    .content_type = "application/gzip", .body = f->body.s,
	    .len = f->body.len, .part_size = (size_t)ar->part_size };
	soca_s3_sum(&p);
	ar->files++;
	ar->objects++;
	ar->bytes += (long long)f->body.len;
	if (ar->dry_run) {
		report(ar, "would upload", f, p.parts);
		return 0;
	}
	if ((r = there(ar, f->key.s, p.checksum, f->body.len, e)) < 0)
		return -1;
	if (r == 1) {
		ar->present++;
		report(ar, "present", f, 0);
	} else if (put_file(ar, f, &p, e) < 0)
		return -1;
	soca_crashpoint("archive-file-uploaded");
	if (unlink(f->path) < 0 && errno != ENOENT) {
		warn("%s: archived, but cannot be removed", f->path);
		ar->partial = true;
	} else
		ar->files_removed++;
	return 0;
}

/*
 * A file a glob names that may go: regular, unchanged for keep, and not
 * live (no rotated log is named NAME.log; nodes' logs are, and are
 * closed once their bootstrap ends).
 */
static bool
eligible(const struct soca_archive *ar, const struct afile *f,
    struct stat *st)
{
	size_t l = strlen(f->path);

	if (lstat(f->path, st) < 0 || !S_ISREG(st->st_mode))
		return false;
	if (ar->live != NULL && strcmp(f->path, ar->live) == 0)
		return false;
	if (strcmp(f->kind, "logs") == 0 && l > 4 &&
	    strcmp(f->path + l - 4, ".log") == 0)
		return false;
	return (long long)st->st_mtime < ar->now - ar->keep;
}

static int
archive_glob(struct soca_archive *ar, const char *pattern, const char *kind,
    struct soca_aws_err *e)
{
	glob_t g = { 0 };
	int r = 0;

	if (glob(pattern, 0, NULL, &g) != 0) {
		globfree(&g);
		return 0;	/* no match, or a directory we cannot read */
	}
	for (size_t i = 0; i < g.gl_pathc && r == 0; i++) {
		struct afile f = { .path = g.gl_pathv[i], .kind = kind };

		if (!eligible(ar, &f, &f.st))
			continue;
		r = archive_file(ar, &f, e);
		soca_buf_free(&f.body);
		soca_buf_free(&f.key);
	}
	globfree(&g);
	return r;
}

/* The nodes' bootstrap logs, then [archive] logs: 0, or -1 with *e. */
int
soca_archive_files(struct soca_archive *ar, struct soca_aws_err *e)
{
	char *nodes;
	int r = 0;

	if (ar->sp != NULL) {
		nodes = soca_xasprintf("%s/nodelogs/i-*.log",
		    soca_spool_dir(ar->sp));
		r = archive_glob(ar, nodes, "nodes", e);
		free(nodes);
	}
	for (size_t i = 0; i < ar->nlogs && r == 0; i++)
		r = archive_glob(ar, ar->logs[i], "logs", e);
	return r;
}
