/*
 * t_job.c: the job record's round trip, -l parsing, #PBS directives,
 * queue validation, job ids (arrays too) and -J ranges, without a spool.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "estimate.h"
#include "job.h"
#include "tap.h"

static void
roundtrip(void)
{
	struct soca_job j = { 0 }, k;
	struct soca_buf b = { 0 };

	j.id = 42;
	j.state = SOCA_RUNNING;
	j.user = soca_xstrdup("alice");
	j.queue = soca_xstrdup("normal");
	j.name = soca_xstrdup("x");
	j.reason = soca_xstrdup("two\nlines \\ back");
	j.exit = -1;
	soca_job_set_res(&j, "nodes", "3");
	soca_job_add_env(&j, "A=b=c");
	soca_job_add_dep(&j, SOCA_AFTEROK, 7);
	soca_job_add_dep(&j, SOCA_AFTER, 8);
	soca_job_format(&j, &b);
	ok(strchr(b.s, '\n') != NULL && strstr(b.s, "two\\nlines") != NULL,
	    "record escapes newlines");
	is_int(soca_job_parse(b.s, b.len, &k), 0, "record parses");
	is_int(k.id, 42, "id survives");
	is_int(k.state, SOCA_RUNNING, "state survives");
	is_str(k.reason, "two\nlines \\ back", "escaped text survives");
	is_int(soca_job_res_int(&k, "nodes", 1), 3, "resource survives");
	is_str(k.env[0], "A=b=c", "env survives");
	is_int(k.ndeps == 2 ? k.deps[0] : 0, 7, "dependency survives");
	is_int(k.ndeps == 2 ? k.dkind[1] : 0, SOCA_AFTER, "its kind too");
	is_int(k.exit, -1, "no exit status yet");
	soca_job_free(&k);
	ok(soca_job_parse("junk", 4, &k) < 0, "junk record refused");
	soca_job_free(&k);
	/* numbers as strtoll reads them, fast path or not */
	{
		static const char r[] = "id=123456789012345678901\nuser=u\n"
		    "queue=q\nuid= 12\ngid=+7\nsubmit=-5\nstart=1x\n"
		    "end=x\nexit=-\npriority=000000000000000123\n";

		is_int(soca_job_parse(r, sizeof(r) - 1, &k), 0,
		    "odd numbers parse");
		ok(k.id == LLONG_MAX, "an id past LLONG_MAX clamps as strtoll");
		is_int(k.uid, 12, "a leading space is skipped");
		is_int(k.gid, 7, "a + sign is read");
		ok(k.submit == -5 && k.start == 1 && k.end == 0,
		    "a minus, trailing junk, no digits");
		is_int(k.exit, 0, "a lone minus is 0");
		is_int(k.priority, 123, "18 digits");
		soca_job_free(&k);
	}
	soca_job_free(&j);
	soca_buf_free(&b);
}

static void
resources(void)
{
	struct soca_job j = { 0 };
	char *why;

	why = soca_job_resources(&j, "nodes=2,instance_type=c5.large+c5.xlarge,"
	    "security_groups=sg-1,sg-2");
	ok(why == NULL, "good -l accepted: %s", why ? why : "");
	is_str(soca_job_res(&j, "security_groups"), "sg-1,sg-2",
	    "a list value keeps its commas");
	is_str(soca_job_res(&j, "instance_type"), "c5.large+c5.xlarge",
	    "+ list kept");
	free(why);
	why = soca_job_resources(&j, "nodes=0");
	ok(why && strstr(why, "nodes") && strstr(why, "\"0\""),
	    "nodes=0 refused naming the value: %s", why ? why : "");
	free(why);
	why = soca_job_resources(&j, "spot_price=auto");
	ok(why == NULL, "spot_price=auto accepted");
	free(why);
	why = soca_job_resources(&j, "bogus=red");
	ok(why && strstr(why, "unknown resource \"bogus\""), "unknown key");
	free(why);
	/* NAME=N may name a [license]: soca_job_validate decides */
	why = soca_job_resources(&j, "bogus=1");
	ok(why == NULL && soca_job_res(&j, "bogus") != NULL,
	    "NAME=N kept for the license check");
	free(why);
	soca_job_free(&j);
}

static void
directives(void)
{
	static const char s[] = "#!/bin/sh\n#PBS -N fromscript\n"
	    "#PBS -q high\n#PBS -l nodes=2,ncpus=4\n# comment\n\n"
	    "echo hi\n#PBS -N late\n";
	struct soca_job j = { 0 };
	unsigned long long seen = SOCA_SEEN('q');
	char *why;

	j.queue = soca_xstrdup("low");
	soca_job_set_res(&j, "nodes", "5");
	why = soca_job_directives(&j, s, sizeof(s) - 1, &seen);
	ok(why == NULL, "directives parse");
	is_str(j.name, "fromscript", "#PBS -N read, later lines ignored");
	is_str(j.queue, "low", "command line -q wins");
	is_int(soca_job_res_int(&j, "nodes", 0), 5, "command line -l wins");
	is_int(soca_job_res_int(&j, "ncpus", 0), 4, "#PBS -l fills the rest");
	soca_job_free(&j);
}

static void
validate(void)
{
	static const char conf[] = "[queue \"gpu\"]\n"
	    "allowed_instance_types = g5\n"
	    "restricted_parameters = root_size\n"
	    "excluded_users = nobody-at-all\n"
	    "[queue \"off\"]\nenabled = no\n";
	struct soca_conf *c = soca_conf_parse("t", conf, sizeof(conf) - 1);
	struct soca_job j = { 0 };
	char *why;

	j.user = soca_xstrdup("root");
	j.queue = soca_xstrdup("gpu");
	soca_job_set_res(&j, "instance_type", "c5.large");
	why = soca_job_validate(c, &j, "true\n", 5);
	ok(why && strstr(why, "c5.large") && strstr(why, "allowed"),
	    "instance type outside allowed list: %s", why ? why : "");
	free(why);
	soca_job_set_res(&j, "instance_type", "g5.xlarge");
	why = soca_job_validate(c, &j, "true\n", 5);
	ok(why == NULL, "allowed family accepted");
	free(why);
	is_int(soca_job_res_int(&j, "nodes", 0), 1, "queue default merged");
	soca_job_set_res(&j, "root_size", "20");
	why = soca_job_validate(c, &j, "true\n", 5);
	ok(why && strstr(why, "restricted"), "restricted parameter refused");
	free(why);
	free(j.queue);
	j.queue = soca_xstrdup("off");
	why = soca_job_validate(c, &j, "true\n", 5);
	ok(why && strstr(why, "disabled"), "disabled queue refused");
	free(why);
	free(j.queue);
	j.queue = soca_xstrdup("normal");
	why = soca_job_validate(c, &j, "true\n", 5);
	ok(why && strstr(why, "unknown queue \"normal\""),
	    "queues configured: the built-in ones are gone");
	free(why);
	free(j.queue);
	j.queue = soca_xstrdup("gpu");
	why = soca_job_validate(c, &j, "a\0b", 3);
	ok(why && strstr(why, "binary"), "binary script refused");
	free(why);
	soca_job_free(&j);
	soca_conf_free(c);
}

/* 42, 42.server, 42[], 42[].server, 42[7], 42[7].server */
static void
ids(void)
{
	static const struct { const char *s; int r; long long id, idx; } v[] = {
		{ "42", 0, 42, -1 }, { "42.head", 0, 42, -1 },
		{ "42[]", 0, 42, -1 }, { "42[].head.example.com", 0, 42, -1 },
		{ "42[7]", 1, 42, 7 }, { "42[0].head", 1, 42, 0 },
		{ "42.", -1, 0, 0 }, { "42[", -1, 0, 0 }, { "42[x]", -1, 0, 0 },
		{ "42[-1]", -1, 0, 0 }, { "42[]x", -1, 0, 0 }, { "[3]", -1, 0, 0 },
		{ "42[3]]", -1, 0, 0 }, { "42[].", -1, 0, 0 }, { "0", -1, 0, 0 },
	};
	long long id, idx;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int r = soca_job_ref(v[i].s, &id, &idx);

		is_int(r, v[i].r, "soca_job_ref(\"%s\")", v[i].s);
		if (r >= 0 && v[i].r >= 0) {
			is_int(id, v[i].id, "  its id");
			is_int(idx, v[i].idx, "  its index");
		}
	}
	is_int(soca_job_id("42[7]", &id), -1, "soca_job_id refuses a subjob");
	is_int(soca_job_id("42[]", &id), 0, "soca_job_id takes an array");
}

static void
ranges(void)
{
	static const struct { const char *s; long long n; const char *why; }
	    v[] = {
		{ "1-10", 10, NULL }, { "0-9:3", 4, NULL }, { "5-5", 1, NULL },
		{ "1-100%5", 100, NULL }, { "0-6:2%2", 4, NULL },
		{ "5-1", 0, "below the first X" }, { "1-9:0", 0, "step Z" },
		{ "1-9%0", 0, "the limit M" }, { "1-", 0, "not a range" },
		{ "x", 0, "not a range" }, { "1-2:", 0, "not a range" },
		{ "1-2%", 0, "not a range" }, { "-1-2", 0, "not a range" },
		{ "1-2 ", 0, "not a range" },
		{ "0-99999999999999999999", 0, "not a range" },
		{ "0-1000000000", 0, "above 999999999" },
	};
	struct soca_range r;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *why = soca_range_parse(v[i].s, &r);

		if (v[i].why == NULL)
			ok(why == NULL && soca_range_count(&r) == v[i].n,
			    "-J %s: %lld subjobs", v[i].s, v[i].n);
		else
			ok(why && strstr(why, v[i].why) && strstr(why, v[i].s),
			    "-J %s refused: %s", v[i].s, why ? why : "");
		free(why);
	}
}

/* the spool's boot figures: a mean of the first 8, then moving */
static void
boot_average(void)
{
	char dir[] = "/tmp/soca-t-boot.XXXXXX", *text, *path;
	struct soca_conf *c;
	struct soca_spool *sp;
	double secs = -1;
	long long n = 0;

	if (mkdtemp(dir) == NULL) {
		ok(false, "mkdtemp");
		return;
	}
	text = soca_xasprintf("[cluster]\nspool = %s\nfsync = no\n", dir);
	c = soca_conf_parse("t", text, strlen(text));
	sp = soca_spool_open(c, true);
	ok(soca_boot_get(c, "c5.large", &secs, &n) < 0, "no boot figure yet");
	soca_boot_record(sp, "c5.large", 100);
	soca_boot_record(sp, "m5.large", 40);
	soca_boot_record(sp, "c5.large", 50);
	ok(soca_boot_get(c, "c5.large", &secs, &n) == 0 && secs == 75 &&
	    n == 2, "boot: mean of two (%g, %lld)", secs, n);
	for (int i = 0; i < 6; i++)
		soca_boot_record(sp, "c5.large", 75);
	soca_boot_record(sp, "c5.large", 155);
	ok(soca_boot_get(c, "c5.large", &secs, &n) == 0 && secs == 85 &&
	    n == 8, "boot: moves by 1/8 past 8 samples (%g, %lld)", secs, n);
	ok(soca_boot_get(c, "m5.large", &secs, &n) == 0 && secs == 40 &&
	    n == 1, "boot: other types kept");
	ok(soca_boot_record(sp, "a b", 1) < 0, "boot: a type with a space "
	    "refused");
	soca_spool_close(sp);
	soca_conf_free(c);
	free(text);
	path = soca_xasprintf("rm -rf '%s'", dir);
	ok(system(path) == 0, "cleanup");
	free(path);
}

void
t_job(void)
{
	roundtrip();
	resources();
	directives();
	validate();
	ids();
	ranges();
	boot_average();
}
