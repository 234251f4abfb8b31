/*
 * t_aws.c: lib/aws without the network -- EC2 parameter flattening and
 * encoding, XML answers to JSON, error parsing for every protocol, the
 * retry table and quota, the shared files and profiles, the credential
 * process, region and endpoint precedence.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws.h"
#include "tap.h"

static void
flatten(void)
{
	json_t *p = json_loads("{\"InstanceId\":[\"i-1\",\"i-2\"],"
	    "\"Filter\":[{\"Name\":\"tag:Name\",\"Value\":[\"a b\",\"c+d/é\"]}],"
	    "\"MaxResults\":5,\"DryRun\":false,\"Empty\":[],\"Null\":null}",
	    0, NULL);
	struct soca_buf b = { 0 };

	soca_buf_add(&b, "", 0);
	soca_aws_ec2_flatten(p, NULL, &b);
	is_str(b.s, "&InstanceId.1=i-1&InstanceId.2=i-2"
	    "&Filter.1.Name=tag%3AName&Filter.1.Value.1=a%20b"
	    "&Filter.1.Value.2=c%2Bd%2F%C3%A9&MaxResults=5&DryRun=false",
	    "ec2 flattening: 1-based lists, RFC 3986, empty lists left out");
	soca_buf_free(&b);
	json_decref(p);
	soca_buf_add(&b, "", 0);
	soca_aws_uri_encode(&b, "-._~ /*", 7, false);
	is_str(b.s, "-._~%20%2F%2A", "unreserved kept, space is %%20");
	soca_buf_free(&b);
}

static const char describe_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
    "    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>\n"
    "    <reservationSet>\n"
    "        <item>\n"
    "            <reservationId>r-1234567890abcdef0</reservationId>\n"
    "            <ownerId>123456789012</ownerId>\n"
    "            <groupSet/>\n"
    "            <instancesSet>\n"
    "                <item>\n"
    "                    <instanceId>i-1234567890abcdef0</instanceId>\n"
    "                    <instanceState><code>16</code><name>running</name></instanceState>\n"
    "                    <instanceType>c5.large</instanceType>\n"
    "                    <tagSet><item><key>Name</key><value>web</value></item></tagSet>\n"
    "                </item>\n"
    "            </instancesSet>\n"
    "        </item>\n"
    "    </reservationSet>\n"
    "    <nextToken>tok2</nextToken>\n"
    "</DescribeInstancesResponse>\n";

static const char list_xml[] = "<ListBucketResult><Name>b</Name>"
    "<Contents><Key>k</Key></Contents></ListBucketResult>";
static const char json_err[] = "{\"__type\":\"com.amazon#"
    "LimitExceededException:http://x\",\"Message\":\"slow\"}";

static void
xml(void)
{
	char *root = NULL, *s;
	json_t *j = soca_aws_xml_to_json(describe_xml, strlen(describe_xml),
	    &root);

	is_str(root, "DescribeInstancesResponse", "root name kept apart");
	s = json_dumps(j, JSON_COMPACT);
	is_str(s, "{\"requestId\":\"8f7724cf-496f-496e-8fe3-example\","
	    "\"reservationSet\":[{\"reservationId\":\"r-1234567890abcdef0\","
	    "\"ownerId\":\"123456789012\",\"groupSet\":[],\"instancesSet\":"
	    "[{\"instanceId\":\"i-1234567890abcdef0\",\"instanceState\":"
	    "{\"code\":\"16\",\"name\":\"running\"},\"instanceType\":"
	    "\"c5.large\",\"tagSet\":[{\"key\":\"Name\",\"value\":\"web\"}]}]}],"
	    "\"nextToken\":\"tok2\"}", "DescribeInstances XML as JSON");
	free(s);
	free(root);
	json_decref(j);
	j = soca_aws_xml_to_json(list_xml, strlen(list_xml), NULL);
	ok(json_is_array(json_object_get(j, "Contents")),
	    "S3 Contents is a list even with one object");
	json_decref(j);
	ok(soca_aws_xml_to_json("<a><b>", 6, NULL) == NULL,
	    "truncated XML refused");
	ok(soca_aws_xml_to_json("<html><body>502</body>", 22, NULL) == NULL,
	    "unbalanced HTML refused");
}

static void
errors(void)
{
	struct soca_aws_err e = { 0 };
	static const char ec2err[] = "<?xml version=\"1.0\"?><Response><Errors>"
	    "<Error><Code>InvalidParameterValue</Code><Message>bad value"
	    "</Message></Error></Errors><RequestID>req-1</RequestID></Response>";
	static const char s3err[] = "<Error><Code>NoSuchKey</Code><Message>"
	    "gone</Message><RequestId>req-3</RequestId></Error>";
	char *s;

	ok(soca_aws_err_xml(&e, 400, ec2err, strlen(ec2err), NULL),
	    "EC2 error parsed");
	s = soca_aws_err_str(&e);
	is_str(s, "InvalidParameterValue: bad value (request id req-1)",
	    "EC2 error line");
	free(s);
	is_int(soca_aws_err_exit(&e), 1, "permanent AWS error exits 1");
	ok(soca_aws_err_json(&e, 400, json_err, strlen(json_err), "req-2"),
	    "JSON 1.1 error parsed");
	is_str(e.code, "LimitExceededException", "__type after # before :");
	is_str(e.message, "slow", "Message with a capital M");
	is_str(e.request_id, "req-2", "request id from x-amzn-RequestId");
	is_int(soca_aws_err_exit(&e), 3, "throttling exits 3");
	ok(soca_aws_err_xml(&e, 404, s3err, strlen(s3err), NULL),
	    "S3 error parsed");
	is_str(e.code, "NoSuchKey", "S3 code");
	is_str(e.request_id, "req-3", "S3 request id");
	ok(!soca_aws_err_json(&e, 502, "<html>", 6, NULL),
	    "HTML is no JSON error");
	soca_aws_err_free(&e);
}

static void
retry(void)
{
	static const struct {
		enum soca_aws_ekind kind;
		long status;
		const char *code;
		bool want;
	} table[] = {
		{ SOCA_AWS_E_NET, 0, NULL, true },
		{ SOCA_AWS_E_SERVICE, 500, NULL, true },
		{ SOCA_AWS_E_SERVICE, 502, NULL, true },
		{ SOCA_AWS_E_SERVICE, 503, "Unavailable", true },
		{ SOCA_AWS_E_SERVICE, 504, NULL, true },
		{ SOCA_AWS_E_SERVICE, 429, NULL, true },
		{ SOCA_AWS_E_SERVICE, 400, "RequestLimitExceeded", true },
		{ SOCA_AWS_E_SERVICE, 400, "ThrottlingException", true },
		{ SOCA_AWS_E_SERVICE, 400, "LimitExceededException", true },
		{ SOCA_AWS_E_SERVICE, 503, "SlowDown", true },
		{ SOCA_AWS_E_SERVICE, 400, "RequestTimeout", true },
		{ SOCA_AWS_E_SERVICE, 400, "PriorRequestNotComplete", true },
		{ SOCA_AWS_E_SERVICE, 400, "InvalidParameterValue", false },
		{ SOCA_AWS_E_SERVICE, 403, "SignatureDoesNotMatch", false },
		{ SOCA_AWS_E_SERVICE, 412, "DryRunOperation", false },
		{ SOCA_AWS_E_PARSE, 200, NULL, false },
		{ SOCA_AWS_E_CREDS, 0, NULL, false },
	};
	struct soca_aws_retry r;
	struct soca_aws_err e = { 0 };
	int n = 0;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		e.kind = table[i].kind;
		e.status = table[i].status;
		e.code = (char *)table[i].code;
		ok(soca_aws_retryable(&e) == table[i].want, "%ld %s: %s",
		    table[i].status, table[i].code ? table[i].code : "-",
		    table[i].want ? "retried" : "not retried");
	}
	unsetenv("AWS_MAX_ATTEMPTS");
	unsetenv("SOCA_AWS_BACKOFF_SCALE");
	soca_aws_retry_init(&r, 0);
	is_int(r.max_attempts, 3, "3 attempts by default");
	e = (struct soca_aws_err){ SOCA_AWS_E_NET, 0, NULL, NULL, NULL, false,
		0 };
	while (soca_aws_retry_take(&r, &e))
		n++;
	is_int(n, 100, "quota of 500 allows 100 retries at 5");
	is_int(r.quota, 0, "quota spent");
	soca_aws_retry_success(&r, 2);
	is_int(r.quota, 5, "success after a retry refunds its cost");
	e.timeout = true;
	ok(!soca_aws_retry_take(&r, &e), "a timeout costs 10");
	soca_aws_retry_init(&r, 0);
	soca_aws_retry_success(&r, 1);
	is_int(r.quota, 500, "quota capped at 500");
	for (int a = 1; a <= 8; a++) {
		double d = soca_aws_retry_delay(&r, a), cap = a >= 6 ? 20 :
		    (double)(1 << (a - 1));
		ok(d >= 0 && d < cap, "delay after attempt %d in [0,%g)", a, cap);
	}
	setenv("AWS_MAX_ATTEMPTS", "5", 1);
	setenv("SOCA_AWS_BACKOFF_SCALE", "0", 1);
	soca_aws_retry_init(&r, 0);
	is_int(r.max_attempts, 5, "AWS_MAX_ATTEMPTS");
	ok(soca_aws_retry_delay(&r, 3) == 0, "SOCA_AWS_BACKOFF_SCALE=0");
	unsetenv("AWS_MAX_ATTEMPTS");
	unsetenv("SOCA_AWS_BACKOFF_SCALE");
}

static char *
tmpfile_with(const char *dir, const char *name, const char *text, mode_t m)
{
	char *p = soca_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	fputs(text, f);
	fclose(f);
	chmod(p, m);
	return p;
}

static void
ini(void)
{
	static const char text[] = "# comment\n[default]\n"
	    "aws_access_key_id = AKID1 \n; other\n"
	    "[profile dev]\nregion=eu-west-1\ns3 =\n  max_concurrent = 4\n"
	    "[broken\nno equals here\n";
	json_t *j = soca_aws_ini_parse(text, strlen(text));
	char **v;
	size_t n;

	is_str(json_string_value(json_object_get(json_object_get(j, "default"),
	    "aws_access_key_id")), "AKID1", "ini: value trimmed");
	is_str(json_string_value(json_object_get(json_object_get(
	    json_object_get(j, "profile dev"), "s3"), "max_concurrent")), "4",
	    "ini: nested sub-section");
	json_decref(j);
	ok(soca_aws_split_cmdline("/bin/echo 'a b' \"c \\\"d\" e\\ f", &v,
	    &n) == 0 && n == 4, "command line split in 4 words");
	if (n == 4) {
		is_str(v[1], "a b", "single quotes");
		is_str(v[2], "c \"d", "double quotes with escape");
		is_str(v[3], "e f", "backslash");
	}
	soca_strv_free(v, n);
	ok(soca_aws_split_cmdline("echo 'open", &v, &n) < 0,
	    "unbalanced quote refused");
}

static void
profiles(void)
{
	char dir[] = "/tmp/t_aws.XXXXXX", *cred, *conf, *proc;
	struct soca_aws_creds c = { 0 };
	struct soca_aws_err e = { 0 };
	struct soca_aws_cfg cfg = { 0 };
	char *r;

	if (mkdtemp(dir) == NULL)
		return;
	cred = tmpfile_with(dir, "credentials", "[default]\n"
	    "aws_access_key_id=AKIDFILE\naws_secret_access_key=s1\n"
	    "[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=s2\n"
	    "aws_session_token=tok\n", 0600);
	proc = tmpfile_with(dir, "proc.sh", "#!/bin/sh\necho '{\"Version\": 1,"
	    " \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"'$1'\","
	    " \"SessionToken\": \"t\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n",
	    0700);
	r = soca_xasprintf("[default]\nregion=eu-north-1\n[profile dev]\n"
	    "region=ap-south-1\n[profile proc]\ncredential_process = %s "
	    "'sec ret'\n[profile bad]\ncredential_process = /bin/false\n"
	    "[profile role]\nrole_arn = arn:aws:iam::1:role/x\n", proc);
	conf = tmpfile_with(dir, "config", r, 0600);
	free(r);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "senv", 1);
	ok(soca_aws_resolve_creds(&cfg, &c, &e) == 0, "env credentials");
	is_str(c.access_key, "AKIDENV", "env beats the files");
	cfg.profile = "dev";
	ok(soca_aws_resolve_creds(&cfg, &c, &e) == 0 &&
	    strcmp(c.access_key, "AKIDDEV") == 0 && c.token &&
	    strcmp(c.token, "tok") == 0,
	    "--profile beats env; [dev] in credentials with a token");
	r = soca_aws_resolve_region(&cfg);
	is_str(r, "ap-south-1", "region from [profile dev]");
	free(r);
	setenv("AWS_REGION", "us-west-2", 1);
	r = soca_aws_resolve_region(&cfg);
	is_str(r, "us-west-2", "AWS_REGION beats the profile");
	free(r);
	unsetenv("AWS_REGION");
	unsetenv("AWS_ACCESS_KEY_ID");
	cfg.profile = NULL;
	ok(soca_aws_resolve_creds(&cfg, &c, &e) == 0 &&
	    strcmp(c.access_key, "AKIDFILE") == 0, "[default] credentials");
	r = soca_aws_resolve_region(&cfg);
	is_str(r, "eu-north-1", "region from [default] in config");
	free(r);
	cfg.profile = "proc";
	ok(soca_aws_resolve_creds(&cfg, &c, &e) == 0 &&
	    strcmp(c.access_key, "AKIDPROC") == 0 &&
	    strcmp(c.secret_key, "sec ret") == 0 && c.expiration == 1893456000,
	    "credential_process run without a shell, Version 1 JSON");
	cfg.profile = "bad";
	ok(soca_aws_resolve_creds(&cfg, &c, &e) < 0 &&
	    e.kind == SOCA_AWS_E_CREDS, "failing credential_process: error");
	cfg.profile = "role";
	ok(soca_aws_resolve_creds(&cfg, &c, &e) < 0 &&
	    strstr(e.message, "not supported") != NULL,
	    "role_arn profile: an error, not a silent fallback to IMDS");
	cfg.profile = "nosuch";
	ok(soca_aws_resolve_creds(&cfg, &c, &e) < 0 &&
	    strstr(e.message, "nosuch") != NULL, "unknown profile named");
	soca_aws_creds_free(&c);
	soca_aws_err_free(&e);
	unlink(cred);
	unlink(conf);
	unlink(proc);
	rmdir(dir);
	free(cred);
	free(conf);
	free(proc);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
}

static void
endpoints(void)
{
	struct soca_aws_cfg cfg = { 0 };
	struct soca_aws_err e = { 0 };
	struct soca_aws *a;
	char *u;

	cfg.region = "eu-west-3";
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	a = soca_aws_new(&cfg, &e);
	u = soca_aws_endpoint(a, soca_aws_service("ec2"));
	is_str(u, "https://ec2.eu-west-3.amazonaws.com", "regional EC2 host");
	free(u);
	u = soca_aws_endpoint(a, soca_aws_service("budgets"));
	is_str(u, "https://budgets.amazonaws.com", "global budgets host");
	free(u);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/", 1);
	setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:2", 1);
	u = soca_aws_endpoint(a, soca_aws_service("ec2"));
	is_str(u, "http://127.0.0.1:2", "AWS_ENDPOINT_URL_EC2 first");
	free(u);
	u = soca_aws_endpoint(a, soca_aws_service("ce"));
	is_str(u, "http://127.0.0.1:1", "then AWS_ENDPOINT_URL");
	free(u);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	u = soca_aws_endpoint(a, soca_aws_service("s3"));
	is_str(u, "https://s3.eu-west-3.amazonaws.com",
	    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	free(u);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	soca_aws_free(a);
	u = soca_aws_uuid();
	ok(strlen(u) == 36 && u[14] == '4', "ClientToken is a v4 UUID");
	free(u);
}

/* S3's checksums: the object's SHA-256, or the parts' composite "-N" */
static void
s3_checksums(void)
{
	struct soca_s3_put p = { .body = "hello", .len = 5 };

	soca_s3_sum(&p);
	is_str(p.checksum, "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
	    "one PUT: base64 SHA-256 of the body");
	is_int(p.parts, 0, "no parts");
	p = (struct soca_s3_put){ .body = "abcdef", .len = 6, .part_size = 6 };
	soca_s3_sum(&p);
	is_int(p.parts, 0, "at the threshold: one PUT");
	p.part_size = 4;
	soca_s3_sum(&p);
	is_int(p.parts, 2, "above it: parts of part_size, the last shorter");
	is_str(p.checksum, "tfpHWTM702pDfiUnGB1sp9ACq1d2tQNXX+d69WCKfHk=-2",
	    "composite: SHA-256 of the parts' SHA-256s, then -N");
}

void
t_aws(void)
{
	flatten();
	xml();
	errors();
	retry();
	ini();
	profiles();
	endpoints();
	s3_checksums();
}
