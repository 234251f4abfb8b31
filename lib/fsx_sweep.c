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
 *                                  -> delete; FAILED/CANCELED -> keep it
 *                                  (the results are there), say so
 *   anything else                  DeleteFileSystem
 * Every mutating call carries a ClientRequestToken made of the file
 * system's id, so a crash and a rerun ask for the same thing again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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

/* the export: 1 exported, 0 not yet (or kept), -1 an error */
static int
export(struct soca_aws *a, const char *id, FILE *log)
{
	struct soca_aws_err e = { 0 };
	json_t *p = json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name",
	    "file-system-id", "Values", id), *r, *t, *task = NULL;
	const char *st;
	size_t i;
	char *tok;

	r = soca_aws_paginate(a, "fsx", "DescribeDataRepositoryTasks", p, &e);
	json_decref(p);
	if (r == NULL) {
		say(log, id, "export not checked", NULL, &e);
		soca_aws_err_free(&e);
		return -1;
	}
	json_array_foreach(json_object_get(r, "DataRepositoryTasks"), i, t)
		if (jstr(t, "Type") && strcmp(jstr(t, "Type"),
		    "EXPORT_TO_REPOSITORY") == 0)
			task = t;
	if (task == NULL) {
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
	st = jstr(task, "Lifecycle") ? jstr(task, "Lifecycle") : "";
	if (strcmp(st, "FAILED") == 0 || strcmp(st, "CANCELED") == 0)
		say(log, id, strcmp(st, "FAILED") == 0 ? "export FAILED" :
		    "export CANCELED", "the file system is kept, the job's "
		    "results are only there; copy them out, then delete it "
		    "with aws fsx delete-file-system", NULL);
	i = strcmp(st, "SUCCEEDED") == 0;
	json_decref(r);
	return (int)i;
}

static void
one(struct soca_aws *a, struct soca_spool *sp, json_t *fs, FILE *log)
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
	    export(a, id, log) != 1)
		return;
	delete_fs(a, id, what, log);
}

int
soca_fsx_sweep(const struct soca_conf *c, struct soca_spool *sp,
    struct soca_aws *a, FILE *log)
{
	const char *cluster = soca_conf_get(c, "cluster", NULL, "name");
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
		if (tag(fs, "soca:ClusterId") && strcmp(tag(fs,
		    "soca:ClusterId"), cluster) == 0 && tag(fs, "soca:JobId"))
			one(a, sp, fs, log);
	json_decref(r);
	return 0;
}
