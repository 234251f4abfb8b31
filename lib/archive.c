/*
 * archive.c: finished jobs leave the spool for S3 (soca-archive), and are
 * read back from it (soca-stat --since).
 *
 * A job is archived once it ended (done, failed, cancelled) more than
 * [archive] keep ago.  The jobs of one UTC day of their end make one
 * object of gzip-compressed JSON Lines sorted by id, a line a job: a few
 * fields to query with any tool, and "record", the spool record with its
 * script ("record_b64" when it is not UTF-8), so nothing is lost.  Key:
 * PREFIX/jobs/YYYY/MM/DD/CLUSTER-HASH.jsonl.gz, HASH the start of the
 * object's SHA-256: the same jobs give the same bytes (zlib's gzip header
 * has no name and mtime 0) and so the same key.
 *
 * Order, so that a crash at any point loses and duplicates nothing:
 *   1. the journal archive/HASH.pending in the spool (key, checksum,
 *      size, then "ID STATE" a job), written whole and renamed;
 *   2. HeadObject: the object there with our checksum and size: go to 4;
 *   3. PutObject, or a multipart upload above [archive]
 *      multipart_threshold, every part checksummed (lib/aws_s3.c); then
 *      HeadObject: S3's checksum and size must be ours;
 *   4. under the spool lock, each job still in the state it was archived
 *      in is removed (soca_spool_remove);
 *   5. the journal goes.
 * A run first finishes the journals it finds: when the object is there
 * as step 2 says, its jobs are removed, else the journal is dropped and
 * its jobs, still in the spool, are archived again.  A failed upload
 * removes nothing and keeps its journal: an object that got there all
 * the same (its answer lost) is found by the next run, even if that day
 * has more jobs by then.  Reading back is one ListObjectsV2 from the first day
 * wanted (keys sort by day), then a GetObject an object.  The nodes'
 * bootstrap logs and soca's rotated logs follow the jobs (archive_files.c).
 */
#include "config.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "archive.h"
#include "provider_aws.h"

#define FINISHED ((1u << SOCA_DONE) | (1u << SOCA_FAILED) | \
    (1u << SOCA_CANCELLED))
#define DAY 86400LL

struct cand {
	long long id, day;
	int state;
};

struct cands {
	struct cand *v;
	size_t n, cap;
	long long cutoff;
};

int
soca_archive_conf(struct soca_archive *ar, const struct soca_conf *c,
    char **why)
{
	size_t pl;

	ar->conf = c;
	ar->bucket = soca_conf_get(c, "archive", NULL, "bucket");
	ar->prefix = soca_conf_get(c, "archive", NULL, "prefix");
	ar->cluster = soca_conf_get(c, "cluster", NULL, "name");
	ar->keep = soca_conf_int(c, "archive", NULL, "keep");
	ar->part_size = soca_conf_int(c, "archive", NULL,
	    "multipart_threshold");
	if (ar->prefix == NULL)
		ar->prefix = "";
	pl = strlen(ar->prefix);
	if (ar->bucket == NULL || *ar->bucket == '\0')
		*why = soca_xstrdup("[archive] bucket is not set: name the S3 "
		    "bucket finished jobs go to (soca.conf(5))");
	else if (pl > 0 && (ar->prefix[0] == '/' || ar->prefix[pl - 1] == '/'))
		*why = soca_xasprintf("[archive] prefix \"%s\": no leading or "
		    "trailing '/' (keys are PREFIX/jobs/...)", ar->prefix);
	else
		return 0;
	return -1;
}

/* "PREFIX/jobs/YYYY/MM/DD/" of a day (days since the epoch) */
static void
day_prefix(const struct soca_archive *ar, long long day, struct soca_buf *b)
{
	time_t t = (time_t)(day * DAY);
	struct tm tm;

	gmtime_r(&t, &tm);
	soca_buf_addf(b, "%s%sjobs/%04d/%02d/%02d/", ar->prefix,
	    *ar->prefix ? "/" : "", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
}

void
soca_archive_key(const struct soca_archive *ar, long long day,
    const char *hash, struct soca_buf *b)
{
	day_prefix(ar, day, b);
	soca_buf_addf(b, "%s-%s.jsonl.gz", ar->cluster, hash);
}

/* ---- gzip, deterministic ---- */

static void
gz_run(z_stream *z, const void *p, size_t n, int flush, struct soca_buf *o)
{
	unsigned char chunk[16384];
	int r;

	z->next_in = (Bytef *)(uintptr_t)p;
	z->avail_in = (uInt)n;
	for (;;) {
		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		r = deflate(z, flush);
		if (r == Z_STREAM_ERROR)
			errx(SOCA_EX_TEMP, "zlib: deflate failed");
		soca_buf_add(o, (const char *)chunk,
		    sizeof(chunk) - z->avail_out);
		if (flush == Z_FINISH ? r == Z_STREAM_END : z->avail_out != 0)
			break;
	}
}

/* The whole of p..n as one gzip member, the same bytes every time. */
void
soca_archive_gzip(const void *p, size_t n, struct soca_buf *gz)
{
	z_stream z = { 0 };

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		errx(SOCA_EX_TEMP, "zlib: deflateInit2 failed");
	gz_run(&z, p, n, Z_FINISH, gz);
	deflateEnd(&z);
}

/* ---- one job a line ---- */

static void
b64(json_t *o, const char *k, const char *p, size_t n)
{
	struct soca_buf b = { 0 };

	soca_aws_b64(&b, (const unsigned char *)p, n);
	json_object_set_new(o, k, json_string(b.s ? b.s : ""));
	soca_buf_free(&b);
}

static void
put_str(json_t *o, const char *k, const char *v)
{
	json_t *s = v ? json_string(v) : NULL;

	if (s)
		json_object_set_new(o, k, s);
}

static void
job_line(const struct soca_archive *ar, const struct soca_job *j,
    const struct soca_buf *rec, struct soca_buf *out)
{
	json_t *o = json_object(), *r;
	char *s;

	put_str(o, "cluster", ar->cluster);
	json_object_set_new(o, "id", json_integer(j->id));
	put_str(o, "state", soca_state_name(j->state));
	put_str(o, "user", j->user);
	put_str(o, "queue", j->queue);
	put_str(o, "project", j->project);
	put_str(o, "name", j->name);
	json_object_set_new(o, "submit", json_integer(j->submit));
	json_object_set_new(o, "start", json_integer(j->start));
	json_object_set_new(o, "end", json_integer(j->end));
	json_object_set_new(o, "exit", json_integer(j->exit));
	if ((r = json_stringn(rec->s, rec->len)) != NULL)
		json_object_set_new(o, "record", r);
	else
		b64(o, "record_b64", rec->s, rec->len);
	if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		errx(SOCA_EX_TEMP, "out of memory");
	soca_buf_adds(out, s);
	soca_buf_addc(out, '\n');
	free(s);
	json_decref(o);
}

/* The day's object: jobs still in the state listed; the rest get id 0. */
static void
day_object(struct soca_archive *ar, struct cand *v, size_t n,
    struct soca_buf *gz, size_t *jobs)
{
	struct soca_buf line = { 0 }, rec = { 0 };
	z_stream z = { 0 };

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		errx(SOCA_EX_TEMP, "zlib: deflateInit2 failed");
	*jobs = 0;
	for (size_t i = 0; i < n; i++) {
		struct soca_job j;
		char *script;
		size_t sn;

		if (soca_spool_load(ar->sp, v[i].id, &j) < 0) {
			v[i].id = 0;	/* gone meanwhile */
			continue;
		}
		if ((int)j.state != v[i].state) {
			soca_job_free(&j);
			v[i].id = 0;
			continue;
		}
		soca_buf_reset(&rec);
		soca_job_format(&j, &rec);
		if (soca_spool_script(ar->sp, j.id, &script, &sn) == 0) {
			soca_job_format_script(&rec, script, sn);
			free(script);
		}
		soca_buf_reset(&line);
		job_line(ar, &j, &rec, &line);
		gz_run(&z, line.s, line.len, Z_NO_FLUSH, gz);
		soca_job_free(&j);
		(*jobs)++;
	}
	gz_run(&z, "", 0, Z_FINISH, gz);
	deflateEnd(&z);
	soca_buf_free(&line);
	soca_buf_free(&rec);
}

/* ---- the journal ---- */

static char *
journal_path(const struct soca_archive *ar, const char *hash)
{
	return soca_xasprintf("%s/archive/%s.pending", soca_spool_dir(ar->sp),
	    hash);
}

static int
journal_write(const struct soca_archive *ar, const char *path,
    const char *key, const char *sum, size_t size, const struct cand *v,
    size_t n)
{
	char *dir = soca_xasprintf("%s/archive", soca_spool_dir(ar->sp));
	struct soca_buf b = { 0 };
	int r;

	if (mkdir(dir, 02770) < 0 && errno != EEXIST) {
		free(dir);
		return -1;
	}
	free(dir);
	soca_buf_addf(&b, "key %s\nchecksum %s\nsize %zu\n", key, sum, size);
	for (size_t i = 0; i < n; i++)
		if (v[i].id > 0)
			soca_buf_addf(&b, "%lld %d\n", v[i].id, v[i].state);
	r = soca_write_atomic(path, b.s, b.len, 0660);
	soca_buf_free(&b);
	return r;
}

/* Remove the jobs still in the state they were archived in. */
static int
remove_jobs(struct soca_archive *ar, const struct cand *v, size_t n)
{
	long long *ids = soca_xreallocarray(NULL, n + 1, sizeof(*ids));
	int *st = soca_xreallocarray(NULL, n + 1, sizeof(*st)), r;
	size_t k = 0;

	if (soca_spool_lock(ar->sp) < 0)
		err(SOCA_EX_TEMP, "%s: state.lock", soca_spool_dir(ar->sp));
	for (size_t i = 0; i < n; i++) {
		struct soca_job j;

		if (v[i].id <= 0 || soca_spool_load(ar->sp, v[i].id, &j) < 0)
			continue;
		if ((int)j.state == v[i].state) {
			ids[k] = v[i].id;
			st[k++] = v[i].state;
		}
		soca_job_free(&j);
	}
	r = soca_spool_remove(ar->sp, ids, st, k);
	soca_spool_unlock(ar->sp);
	if (r == 0)
		ar->removed += (long long)k;
	free(ids);
	free(st);
	return r;
}

/* 1: the object is there as we made it; 0: not; -1: S3 failed. */
static int
object_there(struct soca_archive *ar, const char *key, const char *sum,
    long long size, struct soca_aws_err *e)
{
	char *have = NULL;
	long long hsize = -1;
	int r = soca_s3_head(ar->aws, ar->bucket, key, &have, &hsize, e);

	if (r < 0)
		return -1;
	r = r == 0 && have && strcmp(have, sum) == 0 && hsize == size;
	free(have);
	return r;
}

static void
report(struct soca_archive *ar, const char *what, const char *key,
    size_t jobs, size_t bytes, int parts)
{
	if (ar->out == NULL)
		return;
	fprintf(ar->out, "%s s3://%s/%s %zu job%s %zu bytes", what,
	    ar->bucket, key, jobs, jobs == 1 ? "" : "s", bytes);
	if (parts > 0)
		fprintf(ar->out, " %d parts", parts);
	fputc('\n', ar->out);
}

static int
upload(struct soca_archive *ar, struct soca_s3_put *p,
    struct soca_aws_err *e)
{
	char want[64];
	int r;

	strlcpy(want, p->checksum, sizeof(want));
	if (soca_s3_put(ar->aws, p, e) < 0)
		return -1;
	if (strcmp(want, p->checksum) != 0)
		abort();	/* soca_s3_sum and soca_s3_put disagree */
	if ((r = object_there(ar, p->key, want, (long long)p->len, e)) < 0)
		return -1;
	if (r == 0) {
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, 0, "ChecksumMismatch",
		    "s3://%s/%s: after the upload S3 does not report checksum "
		    "%s and %zu bytes", ar->bucket, p->key, want, p->len);
		return -1;
	}
	ar->uploaded++;
	ar->parts += p->parts;
	return 0;
}

/* One day's jobs: steps 1 to 5 above. */
static int
archive_day(struct soca_archive *ar, struct cand *v, size_t n,
    struct soca_aws_err *e)
{
	struct soca_buf gz = { 0 }, key = { 0 };
	struct soca_s3_put p = { 0 };
	char hex[65], *jpath;
	size_t jobs;
	int r = 0;

	day_object(ar, v, n, &gz, &jobs);
	if (jobs == 0) {
		soca_buf_free(&gz);
		return 0;
	}
	soca_aws_sha256_hex(gz.s, gz.len, hex);
	hex[16] = '\0';
	soca_archive_key(ar, v[0].day, hex, &key);
	p = (struct soca_s3_put){ .bucket = ar->bucket, .key = key.s,
	    .content_type = "application/gzip", .body = gz.s, .len = gz.len,
	    .part_size = (size_t)ar->part_size };
	soca_s3_sum(&p);
	ar->objects++;
	ar->jobs += (long long)jobs;
	ar->bytes += (long long)gz.len;
	jpath = journal_path(ar, hex);
	if (ar->dry_run)
		report(ar, "would upload", key.s, jobs, gz.len, p.parts);
	else if (journal_write(ar, jpath, key.s, p.checksum, gz.len, v, n) < 0)
		err(SOCA_EX_TEMP, "%s", jpath);
	else if ((r = object_there(ar, key.s, p.checksum, (long long)gz.len,
	    e)) == 1) {
		ar->present++;
		report(ar, "present", key.s, jobs, gz.len, p.parts);
	} else if (r == 0 && (r = upload(ar, &p, e)) == 0)
		report(ar, "uploaded", key.s, jobs, gz.len, p.parts);
	if (!ar->dry_run && r >= 0) {
		soca_crashpoint("archive-uploaded");
		if (remove_jobs(ar, v, n) < 0)
			err(SOCA_EX_TEMP, "%s", soca_spool_dir(ar->sp));
		soca_crashpoint("archive-removed");
		unlink(jpath);
	}
	free(jpath);
	soca_buf_free(&gz);
	soca_buf_free(&key);
	return r < 0 ? -1 : 0;
}

/* ---- finishing journals ---- */

static int
finish_journal(struct soca_archive *ar, const char *path,
    struct soca_aws_err *e)
{
	char *line = NULL, *key = NULL, sum[64] = "";
	struct cands c = { 0 };
	long long size = -1, id;
	size_t cap = 0;
	int st, r = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "key ", 4) == 0 && key == NULL)
			key = soca_xstrdup(line + 4);
		else if (strncmp(line, "checksum ", 9) == 0)
			strlcpy(sum, line + 9, sizeof(sum));
		else if (strncmp(line, "size ", 5) == 0)
			size = strtoll(line + 5, NULL, 10);
		else if (sscanf(line, "%lld %d", &id, &st) == 2 &&
		    st >= SOCA_DONE && st < SOCA_NSTATES) {
			c.v = soca_xreallocarray(c.v, c.n + 1, sizeof(*c.v));
			c.v[c.n++] = (struct cand){ id, 0, st };
		}
	}
	fclose(f);
	free(line);
	if (key == NULL)
		key = soca_xstrdup("");
	if (ar->dry_run) {
		if (ar->out)
			fprintf(ar->out, "would finish s3://%s/%s %zu jobs\n",
			    ar->bucket, key, c.n);
	} else if (*key && *sum && size >= 0 &&
	    (r = object_there(ar, key, sum, size, e)) == 1) {
		long long before = ar->removed;

		if (remove_jobs(ar, c.v, c.n) < 0)
			err(SOCA_EX_TEMP, "%s", soca_spool_dir(ar->sp));
		ar->recovered += ar->removed - before;
		if (ar->out)
			fprintf(ar->out, "finished s3://%s/%s %lld jobs "
			    "removed\n", ar->bucket, key, ar->removed - before);
	}
	if (!ar->dry_run && r >= 0)
		unlink(path);
	free(c.v);
	free(key);
	return r < 0 ? -1 : 0;
}

static int
finish_journals(struct soca_archive *ar, struct soca_aws_err *e)
{
	char *dir = soca_xasprintf("%s/archive", soca_spool_dir(ar->sp));
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	while (d && r == 0 && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *p;

		if (l < 9 || strcmp(de->d_name + l - 8, ".pending") != 0)
			continue;
		p = soca_xasprintf("%s/%s", dir, de->d_name);
		r = finish_journal(ar, p, e);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return r;
}

/* ---- the run ---- */

static int
collect(struct soca_job *j, void *arg)
{
	struct cands *c = arg;
	long long t = j->end > 0 ? j->end : j->submit;

	if (t >= c->cutoff)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->v = soca_xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n++] = (struct cand){ j->id, t / DAY, (int)j->state };
	return 0;
}

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Archive what is old enough, jobs then files; 0, or -1 with *e (what is
 * not archived stays).
 */
int
soca_archive_run(struct soca_archive *ar, struct soca_aws_err *e)
{
	struct cands c = { .cutoff = ar->now - ar->keep };
	int r;

	if (ar->sp == NULL)	/* no spool yet: soca's logs only */
		return soca_archive_files(ar, e);
	if ((r = finish_journals(ar, e)) < 0)
		return -1;
	soca_spool_list(ar->sp, FINISHED, collect, &c);
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), cmp_cand);
	for (size_t i = 0, k; i < c.n && r == 0; i = k) {
		for (k = i + 1; k < c.n && c.v[k].day == c.v[i].day; k++)
			;
		r = archive_day(ar, c.v + i, k - i, e);
	}
	free(c.v);
	if (r == 0)
		r = soca_archive_files(ar, e);	/* archive_files.c */
	return r;
}

/* ---- reading back ---- */

static int
b64val(int ch)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/", *p = ch ? strchr(a, ch) : NULL;

	return p ? (int)(p - a) : -1;
}

static void
unb64(const char *s, struct soca_buf *out)
{
	unsigned acc = 0;
	int bits = 0, v;

	for (; *s && *s != '='; s++) {
		if ((v = b64val((unsigned char)*s)) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			soca_buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

static int
gunzip(const char *p, size_t n, struct soca_buf *out)
{
	unsigned char chunk[65536];
	z_stream z = { 0 };
	int r = Z_OK;

	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	while (z.avail_in > 0 || r == Z_OK) {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		r = inflate(&z, Z_NO_FLUSH);
		soca_buf_add(out, (const char *)chunk,
		    sizeof(chunk) - z.avail_out);
		if (r == Z_STREAM_END && z.avail_in > 0)
			r = inflateReset(&z);	/* another member */
		else if (r == Z_STREAM_END)
			break;
		else if (r != Z_OK)
			break;
	}
	inflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}

static void
read_lines(const struct soca_buf *t, void (*fn)(struct soca_job *, void *),
    void *arg, long long since)
{
	struct soca_buf rec = { 0 };
	const char *s = t->s, *end = t->s + t->len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		json_t *o = json_loadb(s, (size_t)((nl ? nl : end) - s), 0,
		    NULL), *r;
		struct soca_job j;

		s = nl ? nl + 1 : end;
		soca_buf_reset(&rec);
		if ((r = json_object_get(o, "record")) != NULL)
			soca_buf_add(&rec, json_string_value(r),
			    json_string_length(r));
		else if ((r = json_object_get(o, "record_b64")) != NULL)
			unb64(json_string_value(r), &rec);
		if (rec.len > 0 && soca_job_parse(rec.s, rec.len, &j) == 0) {
			int st = soca_state_parse(json_string_value(
			    json_object_get(o, "state")));
			j.state = st >= 0 ? st : SOCA_DONE;
			if ((j.end > 0 ? j.end : j.submit) >= since)
				fn(&j, arg);
			else
				soca_job_free(&j);
		}
		json_decref(o);
	}
	soca_buf_free(&rec);
}

int
soca_archive_read(struct soca_archive *ar, long long since,
    void (*fn)(struct soca_job *, void *), void *arg,
    struct soca_aws_err *e)
{
	struct soca_buf pre = { 0 }, from = { 0 }, obj = { 0 }, text = { 0 };
	json_t *keys, *k;
	size_t i;
	int r = 0;

	soca_buf_addf(&pre, "%s%sjobs/", ar->prefix, *ar->prefix ? "/" : "");
	day_prefix(ar, since / DAY, &from);
	from.s[--from.len] = '\0';	/* before the day's first key */
	keys = soca_s3_keys(ar->aws, ar->bucket, pre.s, from.s, e);
	if (keys == NULL)
		r = -1;
	json_array_foreach(keys, i, k) {
		const char *key = json_string_value(k), *base;
		size_t kl = key ? strlen(key) : 0, cl = strlen(ar->cluster);

		/* this cluster's objects: a bucket may hold others' */
		if (kl < 9 || strcmp(key + kl - 9, ".jsonl.gz") != 0)
			continue;
		base = strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
		if (strncmp(base, ar->cluster, cl) != 0 || base[cl] != '-')
			continue;
		soca_buf_reset(&text);
		if (soca_s3_get(ar->aws, ar->bucket, key, &obj, e) < 0) {
			r = -1;
			break;
		}
		if (gunzip(obj.s, obj.len, &text) < 0)
			warnx("s3://%s/%s: not a gzip-compressed object, "
			    "skipped", ar->bucket, key);
		else
			read_lines(&text, fn, arg, since);
	}
	json_decref(keys);
	soca_buf_free(&pre);
	soca_buf_free(&from);
	soca_buf_free(&obj);
	soca_buf_free(&text);
	return r;
}
