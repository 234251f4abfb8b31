/*
 * fsx_aws.c: a job's FSx for Lustre file system on AWS.
 *
 * soca-submit asks S3 whether the bucket is there (HeadBucket) and FSx
 * whether an existing fs- is, before the job is stored.  The dispatcher
 * creates the job's file system just before it launches the nodes, and
 * does not wait for it: CreateFileSystem carries a ClientRequestToken
 * made of the cluster, the job and its attempt (a retry or a crash after
 * the call gets the same file system back, never a second one), the
 * instances' tags with soca:NodeType=fsx_lustre and soca:JobAttempt, and
 * the subnet and security groups of the job's launch.  Its id, DNS name
 * and mount name go into the nodes' user data, which waits for AVAILABLE.
 *
 * Nothing about it is kept in the spool: the reaper's sweep lists the
 * file systems (DescribeFileSystems, paginated) and acts on those tagged
 * with this cluster whose job has ended, is gone, or was requeued to a
 * later attempt.  One with an export path is exported first
 * (CreateDataRepositoryTask EXPORT_TO_REPOSITORY, found again on later
 * passes with DescribeDataRepositoryTasks: no pass waits), then deleted.
 * A failed export, or one still running [aws] fsx_export_timeout after it
 * began, keeps the file system (the results are only there) and says so
 * on every pass, and soca-doctor shows it.  An existing fs- carries no cluster tag: it is
 * never deleted.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "provider.h"
#include "provider_aws.h"

void
soca_fsx_free(struct soca_fsx *f)
{
	free(f->id);
	free(f->dns);
	free(f->mount);
	free(f->lifecycle);
	memset(f, 0, sizeof(*f));
}

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool
aws_provider(const struct soca_conf *c)
{
	return strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") == 0;
}

/* FSx's own tokens: [A-Za-z0-9_.-], at most 63 characters */
static char *
token(const char *what, const char *cluster, long long id, int attempt)
{
	char *t = soca_xasprintf("soca-%s-%s-%lld-%d", what, cluster, id,
	    attempt), h[65];

	for (char *p = t; *p; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.-", *p) == NULL)
			*p = '_';
	if (strlen(t) <= 63)
		return t;
	soca_aws_sha256_hex(t, strlen(t), h);
	free(t);
	h[40] = '\0';
	return soca_xasprintf("soca-%s-%s", what, h);
}

static void
from_json(json_t *fs, struct soca_fsx *out)
{
	json_t *lc = json_object_get(fs, "LustreConfiguration");

	out->id = soca_xstrdup(jstr(fs, "FileSystemId") ?
	    jstr(fs, "FileSystemId") : "");
	out->dns = soca_xstrdup(jstr(fs, "DNSName") ? jstr(fs, "DNSName") : "");
	out->mount = soca_xstrdup(jstr(lc, "MountName") ?
	    jstr(lc, "MountName") : "");
	out->lifecycle = soca_xstrdup(jstr(fs, "Lifecycle") ?
	    jstr(fs, "Lifecycle") : "");
}

/* an existing fs-: 0 found (out set), 1 not there, -1 AWS not reachable */
static int
describe_one(struct soca_aws *a, const char *id, struct soca_fsx *out,
    char **why)
{
	struct soca_aws_err e = { 0 };
	json_t *p = json_pack("{s:[s]}", "FileSystemIds", id), *r;
	int rc = 0;

	r = soca_aws_json(a, "fsx", "DescribeFileSystems", p, &e);
	json_decref(p);
	if (r == NULL) {
		char *s = soca_aws_err_str(&e);

		rc = e.code && strcmp(e.code, "FileSystemNotFound") == 0 ? 1 : -1;
		*why = rc == 1 ? soca_xasprintf("fsx_lustre=%s: no such file "
		    "system in this region (%s); give an id aws fsx "
		    "describe-file-systems lists, or fsx_lustre=yes", id, s) :
		    soca_xasprintf("fsx_lustre=%s: FSx cannot be asked: %s",
		    id, s);
		free(s);
		soca_aws_err_free(&e);
		return rc;
	}
	p = json_array_get(json_object_get(r, "FileSystems"), 0);
	if (p == NULL || strcmp(jstr(p, "FileSystemType") ?
	    jstr(p, "FileSystemType") : "", "LUSTRE") != 0) {
		*why = soca_xasprintf("fsx_lustre=%s: not an FSx for Lustre file "
		    "system; give a Lustre one's id", id);
		rc = 1;
	} else if (out)
		from_json(p, out);
	json_decref(r);
	return rc;
}

static int
head_bucket(struct soca_aws *a, const char *url, char **why)
{
	struct soca_aws_err e = { 0 };
	struct soca_buf out = { 0 };
	char *bucket = NULL, *s;
	int rc = 0;

	free(soca_fsx_s3(url, &bucket));
	if (bucket == NULL)
		return 1;
	if (soca_aws_s3(a, "HEAD", bucket, NULL, NULL, NULL, 0, &out, &e) < 0) {
		s = soca_aws_err_str(&e);
		rc = e.status == 404 || e.status == 403 || e.status == 301 ||
		    e.status == 400 ? 1 : -1;
		*why = e.status == 404 ? soca_xasprintf("fsx_lustre=%s: bucket "
		    "%s does not exist; create it (or fix the name) first",
		    url, bucket) : e.status == 301 ? soca_xasprintf(
		    "fsx_lustre=%s: bucket %s is in another region; FSx needs "
		    "a bucket in the cluster's region %s", url, bucket,
		    soca_aws_region(a)) : rc == 1 ? soca_xasprintf(
		    "fsx_lustre=%s: bucket %s cannot be read (%s); allow "
		    "s3:ListBucket to soca's role in the bucket policy", url,
		    bucket, s) : soca_xasprintf("fsx_lustre=%s: S3 cannot be "
		    "asked about bucket %s (%s): %s; try again", url, bucket,
		    "HeadBucket", s);
		free(s);
		soca_aws_err_free(&e);
	}
	soca_buf_free(&out);
	free(bucket);
	return rc;
}

/*
 * Before the job is stored (provider aws): the bucket answers HeadBucket,
 * an existing fs- is a Lustre file system here.  0 yes, 1 no (refuse),
 * -1 AWS cannot be asked now (refuse, temporarily); *why in both.
 */
int
soca_fsx_reachable(const struct soca_conf *c, const struct soca_job *j,
    char **why)
{
	const char *fs = soca_job_res(j, "fsx_lustre");
	struct soca_aws_err e = { 0 };
	struct soca_aws *a;
	int rc;

	if (fs == NULL || !aws_provider(c) || strcmp(fs, "yes") == 0)
		return 0;
	if ((a = soca_aws_open(c, &e)) == NULL) {
		char *s = soca_aws_err_str(&e);

		*why = soca_xasprintf("fsx_lustre=%s: AWS cannot be asked: %s",
		    fs, s);
		free(s);
		soca_aws_err_free(&e);
		return -1;
	}
	rc = strncmp(fs, "fs-", 3) == 0 ? describe_one(a, fs, NULL, why) :
	    head_bucket(a, fs, why);
	soca_aws_free(a);
	return rc;
}

/* ---- the dispatcher: create, then let the nodes wait ---- */

/* the instances' tags (RunInstances' TagSpecification), as FSx takes them */
static json_t *
fs_tags(json_t *run, int attempt)
{
	json_t *spec = json_object_get(run, "TagSpecification"), *out =
	    json_array(), *t, *tags = NULL;
	size_t i;
	char a[16];

	json_array_foreach(spec, i, t)
		if (tags == NULL)
			tags = json_object_get(t, "Tag");
	json_array_foreach(tags, i, t) {
		const char *k = jstr(t, "Key");

		if (k && strcmp(k, "soca:NodeType") != 0)
			json_array_append(out, t);
	}
	snprintf(a, sizeof(a), "%d", attempt);
	soca_aws_tag(out, "soca:NodeType", "fsx_lustre");
	soca_aws_tag(out, "soca:JobAttempt", a);
	return out;
}

static json_t *
create_params(const struct soca_job *j, json_t *run, const char *tok,
    int attempt)
{
	json_t *ni = json_array_get(json_object_get(run, "NetworkInterface"), 0);
	json_t *sub = json_object_get(run, "SubnetId"), *sgs, *lc, *p;
	const char *fs = soca_job_res(j, "fsx_lustre");
	const char *tp = soca_job_res(j, "fsx_lustre_per_unit_throughput");

	if (sub == NULL && ni)
		sub = json_object_get(ni, "SubnetId");
	sgs = json_object_get(ni ? ni : run, "SecurityGroupId");
	lc = json_pack("{s:s}", "DeploymentType",
	    soca_job_res(j, "fsx_lustre_deployment_type"));
	if (tp)
		json_object_set_new(lc, "PerUnitStorageThroughput",
		    json_integer(atoll(tp)));
	if (strncmp(fs, "s3://", 5) == 0) {
		json_object_set_new(lc, "ImportPath", json_string(fs));
		json_object_set_new(lc, "ExportPath", json_string(fs));
	}
	p = json_pack("{s:s, s:s, s:I, s:[], s:o, s:o}", "ClientRequestToken",
	    tok, "FileSystemType", "LUSTRE", "StorageCapacity",
	    (json_int_t)soca_job_res_int(j, "fsx_lustre_size", 1200),
	    "SubnetIds", "Tags", fs_tags(run, attempt),
	    "LustreConfiguration", lc);
	if (json_is_string(sub))
		json_array_append(json_object_get(p, "SubnetIds"), sub);
	if (json_array_size(sgs))
		json_object_set(p, "SecurityGroupIds", sgs);
	return p;
}

static enum soca_launch
create(const struct soca_conf *c, struct soca_aws *a,
    const struct soca_job *j, int attempt, json_t *run, struct soca_fsx *out,
    char **why)
{
	struct soca_aws_err e = { 0 };
	char *tok = token("fsx", soca_conf_get(c, "cluster", NULL, "name"),
	    j->id, attempt);
	json_t *p = create_params(j, run, tok, attempt), *r;
	enum soca_launch rc = SOCA_LAUNCH_OK;

	free(tok);
	soca_crashpoint("fsx-before-create");
	r = soca_aws_json(a, "fsx", "CreateFileSystem", p, &e);
	json_decref(p);
	soca_crashpoint("fsx-after-create");
	if (r == NULL) {
		char *s = soca_aws_err_str(&e);

		rc = soca_aws_retryable(&e) || e.kind != SOCA_AWS_E_SERVICE ||
		    (e.code && strcmp(e.code, "ServiceLimitExceeded") == 0) ?
		    SOCA_LAUNCH_HOLD : SOCA_LAUNCH_FAIL;
		*why = soca_xasprintf("FSx for Lustre: CreateFileSystem: %s", s);
		free(s);
		soca_aws_err_free(&e);
		return rc;
	}
	from_json(json_object_get(r, "FileSystem"), out);
	out->ours = true;
	json_decref(r);
	return rc;
}

/* the file system the user data being rendered is for (NULL: none) */
static const struct soca_fsx *current;

void
soca_fsx_use(const struct soca_fsx *f)
{
	current = f;
}

/*
 * %%FSX_ID%%, %%FSX_DNS%%, %%FSX_MOUNTNAME%% (empty without a file
 * system), %%FSX_MOUNT%% and %%FSX_WAIT%% (seconds) in the user-data
 * template (provider_aws.c renders it).
 */
bool
soca_fsx_subst(struct soca_buf *r, const struct soca_conf *c, const char *k,
    size_t kl)
{
	static const char *const keys[] = { "FSX_ID", "FSX_DNS",
	    "FSX_MOUNTNAME", "FSX_MOUNT", "FSX_WAIT", NULL };
	char wait[32];
	const char *v[5] = { current ? current->id : "", current ?
	    current->dns : "", current ? current->mount : "",
	    soca_conf_get(c, "aws", NULL, "fsx_mount"), wait };

	snprintf(wait, sizeof(wait), "%lld", soca_conf_int(c, "aws", NULL,
	    "fsx_wait"));
	for (int i = 0; keys[i]; i++)
		if (kl == strlen(keys[i]) && strncmp(k, keys[i], kl) == 0) {
			soca_buf_shquote(r, v[i] ? v[i] : "");
			return true;
		}
	return false;
}

/*
 * The job's file system, made or found, its details put into the launch's
 * user data (run: RunInstances' parameters).  Call before the launch.
 */
int
soca_fsx_create(const struct soca_conf *c, struct soca_aws *a,
    const struct soca_job *j, int attempt, json_t *run, char **why)
{
	const char *fs = soca_job_res(j, "fsx_lustre"), *ud;
	struct soca_fsx f = { 0 };
	enum soca_launch rc = SOCA_LAUNCH_OK;
	char *data;
	int r;

	if (fs == NULL || *fs == '\0')
		return SOCA_LAUNCH_OK;
	if (strncmp(fs, "fs-", 3) == 0) {
		if ((r = describe_one(a, fs, &f, why)) != 0)
			return r == 1 ? SOCA_LAUNCH_FAIL : SOCA_LAUNCH_HOLD;
	} else if ((rc = create(c, a, j, attempt, run, &f, why)) !=
	    SOCA_LAUNCH_OK)
		return rc;
	if ((ud = soca_conf_get(c, "aws", NULL, "user_data")) != NULL &&
	    json_object_get(run, "UserData") != NULL) {
		soca_fsx_use(&f);
		data = soca_aws_user_data(c, ud, j->id, why);
		soca_fsx_use(NULL);
		if (data == NULL)
			rc = SOCA_LAUNCH_FAIL;
		else
			json_object_set_new(run, "UserData", json_string(data));
		free(data);
	}
	soca_fsx_free(&f);
	return rc;
}
