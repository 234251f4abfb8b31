/*
 * soca-aws: make one signed AWS call and print the answer as JSON.
 *
 * Administrators use it in scripts and the test suites use it to look at
 * AWS state, so it stays a thin shell around lib/aws: arguments become
 * request parameters (EC2 wire names as given; dotted keys build nested
 * JSON for the JSON services, `Key:=JSON` gives a typed value; one JSON
 * document may replace them), the library signs, retries and converts,
 * and the exit code tells a permanent AWS error (1) from a retryable one
 * that outlived its retries (3).
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"

static const char usage_text[] =
    "usage: soca-aws [-v] [-c file] [--region region] [--profile profile]\n"
    "                [--endpoint-url url] [--all] [--dry-run]\n"
    "                service operation [key=value | key:=json ... | json]\n"
    "services: ec2, ce, budgets, pricing, servicequotas, s3, elbv2, iam\n";

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stderr);
	exit(SOCA_EX_USAGE);
}

static bool
key_ok(const char *k, size_t n)
{
	if (n == 0 || k[0] == '.' || k[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((!isalnum((unsigned char)k[i]) && k[i] != '.' &&
		    k[i] != '_' && k[i] != '-' && k[i] != ':') ||
		    (k[i] == '.' && k[i + 1] == '.'))
			return false;
	return true;
}

static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Put v at a dotted path: "TimePeriod.Start", "Metrics.1" (1-based). */
static bool
put_path(json_t *root, const char *path, json_t *v)
{
	json_t *cur = root, *next;
	const char *seg = path;

	for (;;) {
		size_t l = strcspn(seg, ".");
		const char *rest = seg[l] ? seg + l + 1 : NULL;
		char *name = soca_xstrndup(seg, l);
		bool idx = json_is_array(cur);
		size_t i = idx ? strtoul(name, NULL, 10) : 0;

		if (idx && (!all_digits(name, l) || i == 0 ||
		    i > json_array_size(cur) + 1)) {
			free(name);
			json_decref(v);
			return false;
		}
		next = idx ? json_array_get(cur, i - 1) :
		    json_object_get(cur, name);
		if (rest == NULL) {
			if (idx && i > json_array_size(cur))
				json_array_append_new(cur, v);
			else if (idx)
				json_array_set_new(cur, i - 1, v);
			else
				json_object_set_new(cur, name, v);
			free(name);
			return true;
		}
		if (next == NULL) {
			size_t rl = strcspn(rest, ".");
			next = all_digits(rest, rl) ? json_array() : json_object();
			if (idx)
				json_array_append_new(cur, next);
			else
				json_object_set_new(cur, name, next);
		} else if (!json_is_object(next) && !json_is_array(next)) {
			free(name);
			json_decref(v);
			return false;
		}
		free(name);
		cur = next;
		seg = rest;
	}
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct soca_buf b = { 0 };
	char chunk[8192];
	size_t n;

	if (f == NULL)
		err(SOCA_EX_USAGE, "%s", path);
	soca_buf_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		soca_buf_add(&b, chunk, n);
	if (ferror(f))
		err(SOCA_EX_USAGE, "%s", path);
	if (f != stdin)
		fclose(f);
	*len = b.len;
	return soca_buf_steal(&b);
}

static json_t *
value_of(const char *service, const char *key, const char *v)
{
	size_t len;
	char *text;
	json_t *j;

	if (strcmp(service, "s3") == 0 && strcmp(key, "Body") == 0 &&
	    v[0] == '@') {
		text = read_file(v + 1, &len);
		j = json_stringn(text, len);
		free(text);
		if (j == NULL)
			errx(SOCA_EX_USAGE, "%s: not UTF-8 text; soca-aws s3 "
			    "PutObject sends text files only", v + 1);
		return j;
	}
	return json_string(v);
}

static json_t *
parse_params(const char *service, int argc, char **argv)
{
	json_t *p, *v;
	json_error_t je;
	bool typed;

	if (argc == 1 && argv[0][0] == '{') {
		if ((p = json_loads(argv[0], 0, &je)) == NULL ||
		    !json_is_object(p))
			errx(SOCA_EX_USAGE, "parameters: not a JSON object: %s "
			    "(at character %d)", je.text, je.position);
		return p;
	}
	p = json_object();
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char *k;
		if (eq == NULL || !key_ok(argv[i], (size_t)(eq - argv[i]) -
		    (eq > argv[i] && eq[-1] == ':')))
			errx(SOCA_EX_USAGE, "\"%s\": not Key=Value (keys are "
			    "letters, digits, '.', '_', '-'; e.g. "
			    "InstanceId.1=i-0abc, or give one JSON object)",
			    argv[i]);
		typed = eq > argv[i] && eq[-1] == ':';
		k = soca_xstrndup(argv[i], (size_t)(eq - argv[i]) - typed);
		v = typed ? json_loads(eq + 1, JSON_DECODE_ANY, NULL) :
		    value_of(service, k, eq + 1);
		if (v == NULL)
			errx(SOCA_EX_USAGE, "\"%s\": %s", argv[i], typed ?
			    "the value after := is not JSON (e.g. MaxResults:=10)" :
			    "the value is not UTF-8");
		if (strcmp(service, "ec2") == 0 || strcmp(service, "s3") == 0 ||
		    strcmp(service, "elbv2") == 0 || strcmp(service, "iam") == 0)
			json_object_set_new(p, k, v);	/* wire names */
		else if (!put_path(p, k, v))
			errx(SOCA_EX_USAGE, "\"%s\": key clashes with an earlier "
			    "one or skips a list index (lists count from 1)",
			    argv[i]);
		free(k);
	}
	return p;
}

struct opts {
	struct soca_aws_cfg cfg;
	const char *conf;
	bool all, dry_run;
};

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "endpoint-url", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "profile", required_argument, NULL, 'p' },
		{ "region", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "+ac:e:hnp:r:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a': o->all = true; break;
		case 'c': o->conf = optarg; break;
		case 'e': o->cfg.endpoint_url = optarg; break;
		case 'h': fputs(usage_text, stdout); exit(SOCA_EX_OK);
		case 'n': o->dry_run = true; break;
		case 'p': o->cfg.profile = optarg; break;
		case 'r': o->cfg.region = optarg; break;
		case 'v': o->cfg.verbose++; break;
		case 'V': puts(PACKAGE_STRING); exit(SOCA_EX_OK);
		default: usage();
		}
	}
}

static int
fail(const char *service, const char *op, struct soca_aws_err *e)
{
	char *s = soca_aws_err_str(e);
	int rc = soca_aws_err_exit(e);

	if (e->attempts > 1)
		warnx("%s %s: %s (after %d attempts)", service, op, s,
		    e->attempts);
	else
		warnx("%s %s: %s", service, op, s);
	free(s);
	return rc;
}

static int
get_object(struct soca_aws *a, json_t *p, struct soca_aws_err *e)
{
	struct soca_buf out = { 0 };
	const char *b = json_string_value(json_object_get(p, "Bucket"));
	const char *k = json_string_value(json_object_get(p, "Key"));
	int rc;

	if (b == NULL || k == NULL) {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL,
		    "needs Bucket=NAME and Key=KEY");
		return -1;
	}
	rc = soca_aws_s3(a, "GET", b, k, NULL, NULL, 0, &out, e);
	if (rc == 0 && fwrite(out.s, 1, out.len, stdout) != out.len)
		err(SOCA_EX_TEMP, "stdout");
	soca_buf_free(&out);
	return rc;
}

static int
run(struct opts *o, const char *service, const char *op, json_t *params)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws *a = soca_aws_new(&o->cfg, &e);
	json_t *res = NULL;
	int rc = SOCA_EX_OK;

	if (a == NULL) {
		rc = fail(service, op, &e);
		soca_aws_err_free(&e);
		return rc;
	}
	if (strcmp(service, "s3") == 0 && strcmp(op, "GetObject") == 0)
		rc = get_object(a, params, &e) == 0 ? SOCA_EX_OK :
		    fail(service, op, &e);
	else {
		res = o->all ? soca_aws_paginate(a, service, op, params, &e) :
		    soca_aws_call(a, service, op, params, &e);
		if (res == NULL)
			rc = fail(service, op, &e);
		else if (json_dumpf(res, stdout, JSON_INDENT(2)) < 0 ||
		    putchar('\n') == EOF)
			err(SOCA_EX_TEMP, "stdout");
	}
	json_decref(res);
	soca_aws_err_free(&e);
	soca_aws_free(a);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct soca_conf *c = NULL;
	const char *service, *op, *path;
	json_t *params;
	int rc;

	parse_opts(argc, argv, &o);
	if (argc - optind < 2)
		usage();
	service = argv[optind];
	op = argv[optind + 1];
	if (soca_aws_service(service) == NULL)
		errx(SOCA_EX_USAGE, "%s: unknown service (ec2, ce, budgets, "
		    "pricing, servicequotas, s3, elbv2, iam)",
		    service);
	if (!isupper((unsigned char)op[0]))
		errx(SOCA_EX_USAGE, "%s: operations are written as in the API "
		    "reference, e.g. DescribeInstances", op);
	params = parse_params(service, argc - optind - 2, argv + optind + 2);
	if (o.dry_run && strcmp(service, "ec2") != 0)
		errx(SOCA_EX_USAGE, "--dry-run: only ec2 has DryRun");
	if (o.dry_run)
		json_object_set_new(params, "DryRun", json_string("true"));
	if ((path = soca_conf_path(o.conf)) != NULL &&
	    (c = soca_conf_load(path)) == NULL)
		err(SOCA_EX_USAGE, "%s", path);
	o.cfg.conf = c;
	rc = run(&o, service, op, params);
	json_decref(params);
	soca_conf_free(c);
	return rc;
}
