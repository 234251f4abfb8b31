/*
 * t_fsx.c: FSx for Lustre's submission rules (lib/fsx.c): sizes per
 * deployment type, throughput and its default, S3 bucket names and
 * prefixes, and each of SOCA's known failures (trailing slash, valid
 * sizes refused, the inverted size check, PERSISTENT_2 without an
 * explicit throughput).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "tap.h"

static struct soca_conf *conf;

/* -l spec through soca_job_resources, then FSx's check: NULL or why */
static char *
run(const char *spec, struct soca_job *j)
{
	char *why;

	memset(j, 0, sizeof(*j));
	j->user = soca_xstrdup("root");
	j->queue = soca_xstrdup("normal");
	if ((why = soca_job_resources(j, spec)) != NULL)
		return why;
	return soca_fsx_check(conf, j);
}

static void
accepted(const char *spec, const char *key, const char *want)
{
	struct soca_job j;
	char *why = run(spec, &j);

	ok(why == NULL, "accepted: %s%s%s", spec, why ? ": " : "",
	    why ? why : "");
	if (key)
		is_str(soca_job_res(&j, key), want, "%s: %s=%s", spec, key,
		    want);
	free(why);
	soca_job_free(&j);
}

static void
refused(const char *spec, const char *a, const char *b)
{
	struct soca_job j;
	char *why = run(spec, &j);

	ok(why && strstr(why, a) && (b == NULL || strstr(why, b)),
	    "refused: %s: %s", spec, why ? why : "(taken)");
	free(why);
	soca_job_free(&j);
}

static void
sizes(void)
{
	ok(soca_fsx_size_ok("SCRATCH_1", 1200), "SCRATCH_1 1200");
	ok(soca_fsx_size_ok("SCRATCH_1", 2400), "SCRATCH_1 2400");
	ok(soca_fsx_size_ok("SCRATCH_1", 3600), "SCRATCH_1 3600");
	ok(soca_fsx_size_ok("SCRATCH_1", 7200), "SCRATCH_1 7200");
	ok(!soca_fsx_size_ok("SCRATCH_1", 4800), "SCRATCH_1 not 4800");
	ok(soca_fsx_size_ok("SCRATCH_2", 1200), "SCRATCH_2 1200");
	ok(soca_fsx_size_ok("SCRATCH_2", 2400), "SCRATCH_2 2400");
	ok(soca_fsx_size_ok("SCRATCH_2", 4800), "SCRATCH_2 4800");
	ok(!soca_fsx_size_ok("SCRATCH_2", 3600), "SCRATCH_2 not 3600");
	ok(soca_fsx_size_ok("PERSISTENT_1", 9600), "PERSISTENT_1 9600");
	ok(soca_fsx_size_ok("PERSISTENT_2", 2400), "PERSISTENT_2 2400");
	ok(!soca_fsx_size_ok("PERSISTENT_2", 1000), "PERSISTENT_2 not 1000");
	ok(!soca_fsx_size_ok("PERSISTENT_1", 0), "not 0");
	ok(!soca_fsx_size_ok("SCRATCH_2", 1800), "SCRATCH_2 not 1800");
	/* SOCA #9: 2400 and multiples of 2400 refused; and its inverted
	 * check took what FSx refuses: both directions checked here */
	accepted("fsx_lustre=yes,fsx_lustre_size=2400", "fsx_lustre_size",
	    "2400");
	accepted("fsx_lustre=yes,fsx_lustre_size=4800", "fsx_lustre_size",
	    "4800");
	accepted("fsx_lustre=yes,fsx_lustre_size=1200", NULL, NULL);
	accepted("fsx_lustre=yes,fsx_lustre_deployment_type=SCRATCH_1,"
	    "fsx_lustre_size=10800", "fsx_lustre_size", "10800");
	refused("fsx_lustre=yes,fsx_lustre_size=1000", "fsx_lustre_size=1000",
	    "fsx_lustre_size=1200");
	refused("fsx_lustre=yes,fsx_lustre_size=3000", "multiple of 2400",
	    "fsx_lustre_size=4800");
	refused("fsx_lustre=yes,fsx_lustre_deployment_type=SCRATCH_1,"
	    "fsx_lustre_size=4800", "SCRATCH_1", "fsx_lustre_size=7200");
	refused("fsx_lustre=yes,fsx_lustre_size=3600", "SCRATCH_2", "4800");
	accepted("fsx_lustre=yes", "fsx_lustre_size", "1200");
}

static void
throughput(void)
{
	is_int(soca_fsx_throughput_default("PERSISTENT_1"), 50, "P1 default");
	is_int(soca_fsx_throughput_default("PERSISTENT_2"), 125, "P2 default");
	is_int(soca_fsx_throughput_default("SCRATCH_2"), 0, "scratch none");
	/* SOCA refuses PERSISTENT_2 without an explicit throughput */
	accepted("fsx_lustre=yes,fsx_lustre_deployment_type=PERSISTENT_2",
	    "fsx_lustre_per_unit_throughput", "125");
	accepted("fsx_lustre=yes,fsx_lustre_deployment_type=persistent_1",
	    "fsx_lustre_per_unit_throughput", "50");
	accepted("fsx_lustre=yes,fsx_lustre_deployment_type=persistent_1",
	    "fsx_lustre_deployment_type", "PERSISTENT_1");
	accepted("fsx_lustre=yes,fsx_lustre_deployment_type=PERSISTENT_2,"
	    "fsx_lustre_per_unit_throughput=1000",
	    "fsx_lustre_per_unit_throughput", "1000");
	refused("fsx_lustre=yes,fsx_lustre_deployment_type=PERSISTENT_2,"
	    "fsx_lustre_per_unit_throughput=200", "125, 250, 500, 1000", NULL);
	refused("fsx_lustre=yes,fsx_lustre_deployment_type=PERSISTENT_1,"
	    "fsx_lustre_per_unit_throughput=125", "50, 100, 200", NULL);
	refused("fsx_lustre=yes,fsx_lustre_per_unit_throughput=200",
	    "SCRATCH_2 file systems have no per-unit throughput", "drop it");
	refused("fsx_lustre=yes,fsx_lustre_deployment_type=SCRATCH_3",
	    "SCRATCH_3", "PERSISTENT_2");
}

static void
buckets(void)
{
	ok(soca_fsx_bucket_ok("my-bucket"), "my-bucket");
	ok(soca_fsx_bucket_ok("my.bucket.1"), "dots");
	ok(!soca_fsx_bucket_ok("My-Bucket"), "capitals");
	ok(!soca_fsx_bucket_ok("ab"), "too short");
	ok(!soca_fsx_bucket_ok("-ab"), "leading dash");
	ok(!soca_fsx_bucket_ok("ab-"), "trailing dash");
	ok(!soca_fsx_bucket_ok("a..b"), "two dots");
	ok(!soca_fsx_bucket_ok("192.168.5.4"), "an IP address");
	ok(!soca_fsx_bucket_ok("xn--abc"), "xn-- prefix");
	ok(!soca_fsx_bucket_ok("abc-s3alias"), "-s3alias suffix");
	ok(!soca_fsx_bucket_ok("a_b"), "underscore");
	ok(!soca_fsx_bucket_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaa"), "64 characters");
	/* SOCA #130: a trailing slash crashed its dispatcher */
	accepted("fsx_lustre=s3://bucket-1/", "fsx_lustre", "s3://bucket-1");
	accepted("fsx_lustre=s3://bucket-1/run/42/", "fsx_lustre",
	    "s3://bucket-1/run/42");
	accepted("fsx_lustre=s3://bucket-1/run//", "fsx_lustre",
	    "s3://bucket-1/run");
	accepted("fsx_lustre=s3://bucket-1", "fsx_lustre", "s3://bucket-1");
	refused("fsx_lustre=s3://Bucket", "not an S3 bucket name", "Bucket");
	refused("fsx_lustre=s3://b", "not an S3 bucket name", NULL);
	refused("fsx_lustre=s3://bucket-1/a//b", "empty", "s3://bucket/dir");
	refused("fsx_lustre=s3://bucket-1/a/../b", "\"..\"", NULL);
	refused("fsx_lustre=s3:/bucket", "not yes, an S3 URL", NULL);
	refused("fsx_lustre=s3://bucket-1,fsx_lustre_deployment_type="
	    "PERSISTENT_2", "data repository associations", "SCRATCH_2");
}

static void
forms(void)
{
	accepted("fsx_lustre=fs-0123456789abcdef0", "fsx_lustre",
	    "fs-0123456789abcdef0");
	refused("fsx_lustre=fs-1", "not an FSx file system id",
	    "fs-0123456789abcdef0");
	refused("fsx_lustre=fs-0123456789ABCDEF0", "not an FSx", NULL);
	refused("fsx_lustre=fs-0123456789abcdef0,fsx_lustre_size=2400",
	    "existing file system", "drop fsx_lustre_size");
	refused("fsx_lustre=no-such", "fsx_lustre=no-such", "fsx_lustre=yes");
	refused("fsx_lustre_size=2400", "without fsx_lustre",
	    "fsx_lustre=yes");
	accepted("nodes=1", "fsx_lustre_size", NULL);
}

static void
queue_defaults(void)
{
	static const char qc[] = "[queue \"normal\"]\n"
	    "fsx_lustre_deployment_type = PERSISTENT_1\n";
	struct soca_conf *q = soca_conf_parse("t", qc, sizeof(qc) - 1);
	struct soca_job j = { 0 };
	char *why;

	j.user = soca_xstrdup("root");
	j.queue = soca_xstrdup("normal");
	soca_job_set_res(&j, "fsx_lustre_deployment_type", "PERSISTENT_1");
	why = soca_fsx_check(q, &j);
	ok(why == NULL, "a queue's default without fsx_lustre is no refusal");
	free(why);
	soca_job_free(&j);
	soca_conf_free(q);
}

void
t_fsx(void)
{
	conf = soca_conf_parse("t", "", 0);
	sizes();
	throughput();
	buckets();
	forms();
	queue_defaults();
	soca_conf_free(conf);
}
