/*
 * aws_fit.c: does each chunk of a job fit its instance type?  At
 * submission on the aws provider, for jobs that ask for select chunks or
 * mem, one DescribeInstanceTypes call gives each type's cpus (cores when
 * the job runs without hyper-threading, ThreadsPerCore 1, else vCPUs, as
 * the launch does) and memory; a chunk larger than a type it may launch
 * on is refused naming both.  When AWS cannot be asked the job is taken
 * with a warning: the launch will tell.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "provider_aws.h"

static long long
jnum(json_t *o, const char *a, const char *b)
{
	const char *v = json_string_value(json_object_get(json_object_get(o,
	    a), b));

	return v ? strtoll(v, NULL, 10) : 0;
}

static json_t *
describe(const struct soca_conf *c, const char *types, char **why)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws *a = soca_aws_open(c, &e);
	json_t *p = json_object(), *l = json_array(), *r = NULL;
	char *copy = soca_xstrdup(types), *tok, *save = NULL;

	for (tok = strtok_r(copy, "+", &save); tok;
	    tok = strtok_r(NULL, "+", &save))
		json_array_append_new(l, json_string(tok));
	free(copy);
	json_object_set_new(p, "InstanceType", l);
	if (a == NULL || (r = soca_aws_ec2(a, "DescribeInstanceTypes", p,
	    &e)) == NULL)
		*why = soca_aws_err_str(&e);
	soca_aws_err_free(&e);
	soca_aws_free(a);
	json_decref(p);
	return r;
}

/* NULL, or the refusal */
char *
soca_aws_chunks(const struct soca_conf *c, const struct soca_job *j)
{
	const char *types = soca_job_res(j, "instance_type");
	const char *ht = soca_job_res(j, "ht_support");
	json_t *info, *it;
	char *why = NULL, *err = NULL, *what;
	size_t i;

	if (types == NULL || (soca_job_res(j, "select") == NULL &&
	    soca_job_res(j, "mem") == NULL))
		return NULL;
	if ((info = describe(c, types, &err)) == NULL) {
		warnx("cannot ask AWS what instance type %s has: %s (the job "
		    "is queued; the launch will tell)", types, err);
		free(err);
		return NULL;
	}
	json_array_foreach(json_object_get(info, "instanceTypeSet"), i, it) {
		const char *t = json_string_value(json_object_get(it,
		    "instanceType"));
		bool two = ht && (strcmp(ht, "yes") == 0 ||
		    strcmp(ht, "true") == 0);

		if (why != NULL || t == NULL)
			continue;
		what = soca_xasprintf("instance type %s", t);
		why = soca_job_chunks_fit(j, jnum(it, "vCpuInfo", two ?
		    "defaultVCpus" : "defaultCores"), jnum(it, "memoryInfo",
		    "sizeInMiB") << 20, what, " or a larger -l instance_type");
		free(what);
	}
	json_decref(info);
	return why;
}
