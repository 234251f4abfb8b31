/*
 * fsx.c: what soca-submit checks of -l fsx_lustre* before a job is stored,
 * from FSx for Lustre's own rules, so that AWS never refuses later what
 * was taken now.  fsx_lustre is "yes" (a new file system), an S3 URL
 * s3://bucket[/prefix] (a new one importing from and exporting to it) or
 * fs-ID (an existing one: mounted, never created nor deleted).  Sizes:
 * SCRATCH_1 1200, 2400 or a multiple of 3600 GiB; SCRATCH_2 and
 * PERSISTENT_1/2 1200 or a multiple of 2400 GiB.  Throughput per unit of
 * storage only for PERSISTENT (1: 50, 100, 200; 2: 125, 250, 500, 1000
 * MB/s/TiB), the lowest when not given.  The job's record keeps the
 * normalised values: the URL without trailing '/', the deployment type
 * in capitals, the size and the throughput that will be asked for.
 * Each refusal is one allocated message: the value, the rule, the fix.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsx.h"

#define FSX_MAX_GIB 2000000LL	/* a sanity bound, far above any quota */

static const char *const types[] = {
	"SCRATCH_1", "SCRATCH_2", "PERSISTENT_1", "PERSISTENT_2", NULL
};

static const long long tp1[] = { 50, 100, 200, 0 };
static const long long tp2[] = { 125, 250, 500, 1000, 0 };

static const long long *
throughputs(const char *type)
{
	if (strcmp(type, "PERSISTENT_1") == 0)
		return tp1;
	if (strcmp(type, "PERSISTENT_2") == 0)
		return tp2;
	return NULL;
}

long long
soca_fsx_throughput_default(const char *type)
{
	const long long *t = throughputs(type);

	return t ? t[0] : 0;
}

bool
soca_fsx_size_ok(const char *type, long long gib)
{
	long long step = strcmp(type, "SCRATCH_1") == 0 ? 3600 : 2400;

	if (gib <= 0 || gib > FSX_MAX_GIB)
		return false;
	if (gib == 1200 || (step == 3600 && gib == 2400))
		return true;
	return gib % step == 0;
}

/* S3's bucket naming rules (general purpose buckets) */
bool
soca_fsx_bucket_ok(const char *b)
{
	static const char *const pre[] = { "xn--", "sthree-", "amzn-s3-demo-",
	    NULL };
	static const char *const suf[] = { "-s3alias", "--ol-s3", ".mrap",
	    "--x-s3", "--table-s3", NULL };
	size_t n = strlen(b);
	int dots = 0;
	bool digits = true;

	if (n < 3 || n > 63 || strspn(b, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789.-") != n || !isalnum((unsigned char)b[0]) ||
	    !isalnum((unsigned char)b[n - 1]) || strstr(b, "..") != NULL)
		return false;
	for (int i = 0; pre[i]; i++)
		if (strncmp(b, pre[i], strlen(pre[i])) == 0)
			return false;
	for (int i = 0; suf[i]; i++)
		if (n >= strlen(suf[i]) && strcmp(b + n - strlen(suf[i]),
		    suf[i]) == 0)
			return false;
	for (const char *p = b; *p; p++) {	/* not an IPv4 address */
		dots += *p == '.';
		digits = digits && (isdigit((unsigned char)*p) || *p == '.');
	}
	return !(digits && dots == 3);
}

static char *
prefix_why(const char *url, const char *pfx)
{
	const char *p = pfx;

	if (strlen(pfx) > 1024)
		return soca_xasprintf("fsx_lustre=%s: the prefix is longer than "
		    "S3's 1024 bytes; use a shorter one", url);
	for (const unsigned char *c = (const unsigned char *)pfx; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '\\')
			return soca_xasprintf("fsx_lustre=%s: the prefix holds a "
			    "control character or '\\'; use letters, digits and "
			    "!-_.*'()/", url);
	while (*p) {
		size_t l = strcspn(p, "/");

		if (l == 0 || (l == 1 && p[0] == '.') ||
		    (l == 2 && p[0] == '.' && p[1] == '.'))
			return soca_xasprintf("fsx_lustre=%s: the prefix has an "
			    "empty, \".\" or \"..\" part; write "
			    "s3://bucket/dir/subdir", url);
		p += l;
		p += *p == '/';
	}
	return NULL;
}

/*
 * s3://bucket[/prefix][/]: NULL and *bucket set (the caller frees it), or
 * why not.  The normalised URL (no trailing '/') is soca_fsx_s3's job's
 * value: the caller builds it from bucket and what follows.
 */
char *
soca_fsx_s3(const char *url, char **bucket)
{
	const char *b = url + 5;
	size_t bl = strcspn(b, "/");
	char *why;

	*bucket = NULL;
	if (strncmp(url, "s3://", 5) != 0)
		return soca_xasprintf("fsx_lustre=%s: not an S3 URL; write "
		    "s3://bucket[/prefix]", url);
	*bucket = soca_xstrndup(b, bl);
	if (!soca_fsx_bucket_ok(*bucket)) {
		why = soca_xasprintf("fsx_lustre=%s: \"%s\" is not an S3 bucket "
		    "name (3-63 lowercase letters, digits, '.' and '-', "
		    "starting and ending with a letter or digit, no \"..\", "
		    "not an IP address); give the bucket's name as S3 shows it",
		    url, *bucket);
		free(*bucket);
		*bucket = NULL;
		return why;
	}
	return NULL;
}

/* s3://bucket/prefix///: the same without the trailing slashes */
static char *
s3_normal(const char *url, char **norm)
{
	char *bucket, *why, *pfx;
	size_t n;

	*norm = NULL;
	if ((why = soca_fsx_s3(url, &bucket)) != NULL)
		return why;
	pfx = soca_xstrdup(url + 5 + strlen(bucket));
	n = strlen(pfx);
	while (n > 0 && pfx[n - 1] == '/')
		pfx[--n] = '\0';
	if (n > 0 && (why = prefix_why(url, pfx + 1)) == NULL)
		*norm = soca_xasprintf("s3://%s%s", bucket, pfx);
	else if (n == 0)
		*norm = soca_xasprintf("s3://%s", bucket);
	free(pfx);
	free(bucket);
	return why;
}

/* set by the job itself (not the queue's default, merged before) */
static const char *
own(const struct soca_conf *c, const struct soca_job *j, const char *k)
{
	const char *v = soca_job_res(j, k), *q;

	if (v == NULL)
		return NULL;
	if (soca_conf_isset(c, "queue", j->queue, k) &&
	    (q = soca_conf_get(c, "queue", j->queue, k)) != NULL &&
	    strcmp(q, v) == 0)
		return NULL;
	return v;
}

static const char *const extras[] = { "fsx_lustre_size",
	"fsx_lustre_deployment_type", "fsx_lustre_per_unit_throughput", NULL };

static char *
check_form(const struct soca_conf *c, struct soca_job *j, const char *fs)
{
	const char *v;
	char *norm, *why;
	size_t n;

	for (int i = 0; fs == NULL && extras[i]; i++)
		if ((v = own(c, j, extras[i])) != NULL)
			return soca_xasprintf("resource %s=%s without "
			    "fsx_lustre: it describes a file system the job "
			    "does not ask for; add -l fsx_lustre=yes (or "
			    "s3://bucket[/prefix]) or drop %s", extras[i], v,
			    extras[i]);
	if (fs == NULL || strcmp(fs, "yes") == 0)
		return NULL;
	if (strncmp(fs, "fs-", 3) == 0) {
		n = strspn(fs + 3, "0123456789abcdef");
		if (n != 17 || fs[3 + n] != '\0')
			return soca_xasprintf("resource fsx_lustre=%s: not an "
			    "FSx file system id (fs- followed by 17 lowercase "
			    "hex digits, e.g. fs-0123456789abcdef0, as "
			    "aws fsx describe-file-systems shows)", fs);
		for (int i = 0; extras[i]; i++)
			if ((v = own(c, j, extras[i])) != NULL)
				return soca_xasprintf("resource %s=%s with "
				    "fsx_lustre=%s: an existing file system "
				    "keeps its own settings; drop %s, or ask "
				    "for a new one with fsx_lustre=yes",
				    extras[i], v, fs, extras[i]);
		return NULL;
	}
	if (strncmp(fs, "s3://", 5) != 0)
		return soca_xasprintf("resource fsx_lustre=%s: not yes, an S3 "
		    "URL or a file system id; write fsx_lustre=yes, "
		    "fsx_lustre=s3://bucket[/prefix] or fsx_lustre=fs-ID", fs);
	if ((why = s3_normal(fs, &norm)) != NULL)
		return why;
	soca_job_set_res(j, "fsx_lustre", norm);
	free(norm);
	return NULL;
}

static char *
check_type(struct soca_job *j, char **type)
{
	const char *v = soca_job_res(j, "fsx_lustre_deployment_type");
	char *t = soca_xstrdup(v ? v : "SCRATCH_2");

	for (char *p = t; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (int i = 0; types[i]; i++)
		if (strcmp(t, types[i]) == 0) {
			soca_job_set_res(j, "fsx_lustre_deployment_type", t);
			*type = t;
			return NULL;
		}
	free(t);
	return soca_xasprintf("resource fsx_lustre_deployment_type=%s: not an "
	    "FSx for Lustre deployment type; give SCRATCH_1, SCRATCH_2 (the "
	    "default), PERSISTENT_1 or PERSISTENT_2", v);
}

static char *
check_size(struct soca_job *j, const char *type)
{
	const char *v = soca_job_res(j, "fsx_lustre_size");
	long long gib = 1200, step = strcmp(type, "SCRATCH_1") == 0 ? 3600 :
	    2400, up;

	if (v != NULL && soca_parse_int(v, 1, FSX_MAX_GIB, &gib) != 0)
		gib = -1;
	if (gib > 0 && soca_fsx_size_ok(type, gib)) {
		char s[32];

		snprintf(s, sizeof(s), "%lld", gib);
		soca_job_set_res(j, "fsx_lustre_size", s);
		return NULL;
	}
	up = gib <= 1200 ? 1200 : (gib + step - 1) / step * step;
	if (gib > 0 && gib <= 2400 && step == 3600)
		up = gib <= 1200 ? 1200 : 2400;
	if (gib <= 0)
		up = 1200;
	return soca_xasprintf("resource fsx_lustre_size=%s: %s file systems "
	    "are 1200%s or a multiple of %lld GiB; give -l fsx_lustre_size=%lld "
	    "(the next size up)", v, type, step == 3600 ? ", 2400" : "",
	    step, up);
}

static char *
check_throughput(struct soca_job *j, const char *type)
{
	const char *v = soca_job_res(j, "fsx_lustre_per_unit_throughput");
	const long long *t = throughputs(type);
	long long n = 0;
	struct soca_buf b = { 0 };
	char s[32], *why;

	if (t == NULL && v == NULL)
		return NULL;
	if (t == NULL)
		return soca_xasprintf("resource fsx_lustre_per_unit_throughput="
		    "%s: %s file systems have no per-unit throughput (FSx "
		    "fixes it); drop it, or ask for PERSISTENT_1 or "
		    "PERSISTENT_2 with fsx_lustre_deployment_type", v, type);
	if (v == NULL) {
		snprintf(s, sizeof(s), "%lld", t[0]);
		soca_job_set_res(j, "fsx_lustre_per_unit_throughput", s);
		return NULL;
	}
	soca_parse_int(v, 1, 100000, &n);
	for (int i = 0; t[i]; i++)
		if (t[i] == n)
			return NULL;
	for (int i = 0; t[i]; i++)
		soca_buf_addf(&b, "%s%lld", i ? ", " : "", t[i]);
	why = soca_xasprintf("resource fsx_lustre_per_unit_throughput=%s: %s "
	    "takes %s MB/s/TiB; give one of them (or none for %lld)", v, type,
	    b.s, t[0]);
	soca_buf_free(&b);
	return why;
}

char *
soca_fsx_check(const struct soca_conf *c, struct soca_job *j)
{
	const char *fs = soca_job_res(j, "fsx_lustre");
	char *why, *type = NULL;

	if (fs != NULL && *fs == '\0')
		fs = NULL;
	if ((why = check_form(c, j, fs)) != NULL || fs == NULL)
		return why;
	if (!soca_conf_bool(c, "aws", NULL, "fsx"))
		return soca_xasprintf("resource fsx_lustre=%s: FSx for Lustre "
		    "is off at this site ([aws] fsx = no); ask an admin to "
		    "enable it, or drop fsx_lustre", fs);
	fs = soca_job_res(j, "fsx_lustre");	/* normalised */
	if (strncmp(fs, "fs-", 3) == 0)
		return NULL;
	if ((why = check_type(j, &type)) == NULL &&
	    (why = check_size(j, type)) == NULL &&
	    (why = check_throughput(j, type)) == NULL &&
	    strncmp(fs, "s3://", 5) == 0 && strcmp(type, "PERSISTENT_2") == 0)
		why = soca_xasprintf("resource fsx_lustre=%s with PERSISTENT_2: "
		    "PERSISTENT_2 file systems link buckets through data "
		    "repository associations, which soca does not make; use "
		    "SCRATCH_2 or PERSISTENT_1 with a bucket, or "
		    "fsx_lustre=yes", fs);
	free(type);
	return why;
}
