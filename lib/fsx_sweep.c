/*
 * fsx_sweep.c: the reaper's pass over FSx for Lustre file systems, from
 * soca_aws_sweep.  One paginated DescribeFileSystems; only those tagged
 * soca:ClusterId with this cluster and carrying a soca:JobId are looked
 * at (an existing fs- a job mounted has neither: never touched).  One is
 * done with when its job ended, is gone from the spool (an orphan, e.g.
 * a crash between CreateFileSystem and anything else), or was requeued
 * to a later attempt (soca:JobAttempt below the spool's).  Then, each
 * pass moves it one step, never waiting:
 *   CREATING, UPDATING, DELETING   wait for a later pass
 *   AVAILABLE with an ExportPath   export task: none yet -> create one;
 *                                  PENDING/EXECUTING -> wait; SUCCEEDED
 *                                  -> delete; FAILED/CANCELED, or still
 *                                  PENDING/EXECUTING [aws]
 *                                  fsx_export_timeout after it was made
 *                                  -> keep it (the results are there),
 *                                  say so on every pass, never wait more
 *   anything else                  DeleteFileSystem
 * Every mutating call carries a ClientRequestToken made of the file
 * system's id, so a crash and a rerun ask for the same thing again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "fsx.h"
#include "provider_aws.h"

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *
tag(json_t *fs, const char *k)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(fs, "Tags"), i, t)
		if (jstr(t, "Key") && strcmp(jstr(t, "Key"), k) == 0)
			return jstr(t, "Value");
	return NULL;
}

/* Is the job done with this file system? *job: why, for the log */
static bool
done_with(struct soca_spool *sp, json_t *fs, const char **what)
{
	struct soca_job j = { 0 };
	struct soca_aws_jobstate s;
	long long id;
	int att = atoi(tag(fs, "soca:JobAttempt") ? tag(fs, "soca:JobAttempt") :
	    "0");
	bool done;

	if (soca_job_id(tag(fs, "soca:JobId"), &id) != 0)
		return false;
	if (soca_spool_load(sp, id, &j) < 0) {
		*what = "orphan: its job is gone";
		return true;
	}
	done = !((1u << j.state) & SOCA_ACTIVE);
	*what = "its job ended";
	soca_job_free(&j);
	if (done || soca_aws_jobstate_read(sp, id, &s) < 0)
		return done;
	done = s.attempt > att;
	if (done)
		*what = "its job was requeued";
	soca_aws_jobstate_free(&s);
	return done;
}

static char *
fs_token(const char *what, const char *id)
{
	return soca_xasprintf("soca-%s-%s", what, id);
}

/* "fsx ID: what[ (why)][: AWS's error]" */
static void
say(FILE *log, const char *id, const char *what, const char *why,
    const struct soca_aws_err *e)
{
	char *s = e ? soca_aws_err_str(e) : NULL;

	fprintf(log, "fsx %s: %s%s%s%s%s%s\n", id, what, why ? " (" : "",
	    why ? why : "", why ? ")" : "", s ? ": " : "", s ? s : "");
	free(s);
}

static int
delete_fs(struct soca_aws *a, const char *id, const char *what, FILE *log)
{
	struct soca_aws_err e = { 0 };
	char *tok = fs_token("delete", id);
	json_t *p = json_pack("{s:s, s:s}", "FileSystemId", id,
	    "ClientRequestToken", tok), *r;

	free(tok);
	soca_crashpoint("fsx-before-delete");
	r = soca_aws_json(a, "fsx", "DeleteFileSystem", p, &e);
	json_decref(p);
	if (r == NULL) {
		say(log, id, "cannot delete it", what, &e);
		soca_aws_err_free(&e);
		return -1;
	}
	json_decref(r);
	say(log, id, "deleted", what, NULL);
	return 0;
}

/* the file system's EXPORT_TO_REPOSITORY task in r, the last one */
static json_t *
export_task(json_t *r)
{
	json_t *t, *task = NULL;
	size_t i;

	json_array_foreach(json_object_get(r, "DataRepositoryTasks"), i, t)
		if (jstr(t, "Type") && strcmp(jstr(t, "Type"),
		    "EXPORT_TO_REPOSITORY") == 0)
			task = t;
	return task;
}

/*
 * Why a file system stays for an administrator, from its export task:
 * FAILED, CANCELED, or still PENDING/EXECUTING [aws] fsx_export_timeout
 * after it was made (SOCA_NOW stands in for the clock); NULL otherwise.
 */
static char *
kept_why(const struct soca_conf *c, json_t *task)
{
	const char *st = jstr(task, "Lifecycle") ? jstr(task, "Lifecycle") :
	    "";
	long long limit = soca_conf_int(c, "aws", NULL, "fsx_export_timeout");
	json_t *ct = json_object_get(task, "CreationTime");
	double made = json_is_number(ct) ? json_number_value(ct) : 0;
	char *why;

	if (strcmp(st, "FAILED") == 0 || strcmp(st, "CANCELED") == 0)
		return soca_xasprintf("export %s", st);
	if ((strcmp(st, "PENDING") != 0 && strcmp(st, "EXECUTING") != 0) ||
	    made <= 0 || (double)soca_cost_now() - made < (double)limit)
		return NULL;
	why = soca_xasprintf("export timed out (task %s still %s after [aws] "
	    "fsx_export_timeout %s)", jstr(task, "TaskId") ? jstr(task,
	    "TaskId") : "?", st, soca_conf_get(c, "aws", NULL,
	    "fsx_export_timeout"));
	return why;
}

#define KEPT "the file system is kept, the job's results are only there; " \
	"finish by hand (soca-node-down(1), FSx exports), then delete " \
	"it with aws fsx delete-file-system"

/* the export: 1 exported, 0 not yet (or kept), -1 an error */
static int
export(const struct soca_conf *c, struct soca_aws *a, const char *id,
    FILE *log)
{
	struct soca_aws_err e = { 0 };
	json_t *p = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name",
	    "file-system-id", "Values", id), *r, *task;
	char *tok, *kept;
	int rc;

	r = soca_aws_paginate(a, "fsx", "DescribeDataRepositoryTasks", p, &e);
	json_decref(p);
	if (r == NULL) {
		say(log, id, "export not checked", NULL, &e);
		soca_aws_err_free(&e);
		return -1;
	}
	if ((task = export_task(r)) == NULL) {
		tok = fs_token("export", id);
		p = json_pack("{s:s, s:s, s:{s:b}, s:s}", "Type",
		    "EXPORT_TO_REPOSITORY", "FileSystemId", id, "Report",
		    "Enabled", 0, "ClientRequestToken", tok);
		free(tok);
		json_decref(r);
		if ((r = soca_aws_json(a, "fsx", "CreateDataRepositoryTask", p,
		    &e)) == NULL) {
			say(log, id, "cannot export it", NULL, &e);
			soca_aws_err_free(&e);
			json_decref(p);
			return -1;
		}
		json_decref(p);
		say(log, id, "exporting to its bucket", jstr(json_object_get(r,
		    "DataRepositoryTask"), "TaskId"), NULL);
		json_decref(r);
		return 0;
	}
	if ((kept = kept_why(c, task)) != NULL) {
		say(log, id, kept, KEPT, NULL);
		free(kept);
	}
	rc = jstr(task, "Lifecycle") && strcmp(jstr(task, "Lifecycle"),
	    "SUCCEEDED") == 0;
	json_decref(r);
	return rc;
}

static void
one(const struct soca_conf *c, struct soca_aws *a, struct soca_spool *sp,
    json_t *fs, FILE *log)
{
	const char *id = jstr(fs, "FileSystemId"), *what = NULL;
	const char *lc = jstr(fs, "Lifecycle") ? jstr(fs, "Lifecycle") : "";
	json_t *dr = json_object_get(json_object_get(fs,
	    "LustreConfiguration"), "DataRepositoryConfiguration");

	if (id == NULL || !done_with(sp, fs, &what))
		return;
	if (strcmp(lc, "CREATING") == 0 || strcmp(lc, "DELETING") == 0 ||
	    strcmp(lc, "UPDATING") == 0)
		return;
	if (strcmp(lc, "AVAILABLE") == 0 && jstr(dr, "ExportPath") != NULL &&
	    export(c, a, id, log) != 1)
		return;
	delete_fs(a, id, what, log);
}

/* tagged with this cluster and a job: the sweep's to judge */
static bool
ours(const struct soca_conf *c, json_t *fs)
{
	const char *cluster = soca_conf_get(c, "cluster", NULL, "name");

	return tag(fs, "soca:ClusterId") && strcmp(tag(fs, "soca:ClusterId"),
	    cluster) == 0 && tag(fs, "soca:JobId") && jstr(fs, "FileSystemId");
}

/*
 * soca-doctor's view: each of this cluster's file systems the reaper
 * keeps for an administrator (its export failed or timed out), to fn
 * with why.  Nothing is changed.  0, or -1 and *e when FSx cannot be
 * asked.
 */
int
soca_fsx_kept(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_aws *a, void (*fn)(void *, const char *, const char *),
    void *arg, struct soca_aws_err *e)
{
	json_t *r, *fs, *p, *t;
	const char *what;
	size_t i;
	char *why;

	if ((r = soca_aws_paginate(a, "fsx", "DescribeFileSystems", NULL,
	    e)) == NULL)
		return -1;
	json_array_foreach(json_object_get(r, "FileSystems"), i, fs) {
		if (!ours(c, fs) || !done_with(sp, fs, &what) ||
		    jstr(json_object_get(json_object_get(fs,
		    "LustreConfiguration"), "DataRepositoryConfiguration"),
		    "ExportPath") == NULL)
			continue;
		p = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name",
		    "file-system-id", "Values", jstr(fs, "FileSystemId"));
		t = soca_aws_paginate(a, "fsx", "DescribeDataRepositoryTasks",
		    p, e);
		json_decref(p);
		if (t == NULL) {
			json_decref(r);
			return -1;
		}
		if ((why = kept_why(c, export_task(t))) != NULL)
			fn(arg, jstr(fs, "FileSystemId"), why);
		free(why);
		json_decref(t);
	}
	json_decref(r);
	return 0;
}

int
soca_fsx_sweep(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_aws *a, FILE *log)
{
	struct soca_aws_err e = { 0 };
	json_t *r, *fs;
	size_t i;

	if (!soca_conf_bool(c, "aws", NULL, "fsx"))
		return 0;
	if ((r = soca_aws_paginate(a, "fsx", "DescribeFileSystems", NULL,
	    &e)) == NULL) {
		char *s = soca_aws_err_str(&e);

		fprintf(log, "fsx: file systems not swept: %s\n", s);
		free(s);
		soca_aws_err_free(&e);
		return -1;
	}
	json_array_foreach(json_object_get(r, "FileSystems"), i, fs)
		if (ours(c, fs))
			one(c, a, sp, fs, log);
	json_decref(r);
	return 0;
}
