/*
 * aws_proto.c: the three AWS protocols soca speaks, and pagination.
 *
 * EC2 query: parameters given as JSON are flattened to the wire names
 * (`Filter.1.Name`, 1-based, RFC 3986 encoded) into a form POST, and the
 * XML answer comes back as JSON.  JSON 1.1 (Cost Explorer, Budgets):
 * X-Amz-Target and a JSON body, `__type` errors.  S3 REST: PutObject,
 * GetObject, ListObjectsV2, path style whenever the endpoint is not AWS's
 * or the bucket has dots.  RunInstances gets a ClientToken once, before
 * the retry loop, so every attempt carries the same one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "aws_int.h"

#define EC2_VERSION "2016-11-15"
#define MAX_PAGES 10000

char *
soca_aws_uuid(void)
{
	unsigned char u[16];

	arc4random_buf(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	return soca_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void
add_pair(struct soca_buf *b, const char *name, const char *value)
{
	soca_buf_addc(b, '&');
	soca_aws_uri_encode(b, name, strlen(name), false);
	soca_buf_addc(b, '=');
	soca_aws_uri_encode(b, value, strlen(value), false);
}

static void
flatten_value(json_t *v, const char *name, struct soca_buf *b)
{
	char num[64];
	size_t i;
	json_t *e;

	switch (json_typeof(v)) {
	case JSON_STRING:
		add_pair(b, name, json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		add_pair(b, name, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		add_pair(b, name, num);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		add_pair(b, name, json_is_true(v) ? "true" : "false");
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			char *n = soca_xasprintf("%s.%zu", name, i + 1);
			flatten_value(e, n, b);
			free(n);
		}
		break;
	case JSON_OBJECT:
		soca_aws_ec2_flatten(v, name, b);
		break;
	case JSON_NULL:
		break;
	}
}

/* Append `&Name=value` pairs for params (nested objects, 1-based lists). */
void
soca_aws_ec2_flatten(json_t *params, const char *prefix, struct soca_buf *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(params, k, v) {
		char *n = prefix ? soca_xasprintf("%s.%s", prefix, k) :
		    soca_xstrdup(k);
		flatten_value(v, n, b);
		free(n);
	}
}

void
soca_aws_http_header(struct soca_aws_http *x, const char *name,
    const char *value)
{
	x->hdrs = soca_xreallocarray(x->hdrs, x->nhdrs + 1, sizeof(*x->hdrs));
	x->hdrs[x->nhdrs].name = soca_xstrdup(name);
	x->hdrs[x->nhdrs].value = soca_xstrdup(value);
	x->nhdrs++;
}

static void
http_init(struct soca_aws *a, struct soca_aws_http *x, const char *svc,
    const char *method, struct soca_buf *out)
{
	memset(x, 0, sizeof(*x));
	x->svc = soca_aws_service(svc);
	x->method = method;
	x->base = soca_aws_endpoint(a, x->svc);
	x->path = soca_xstrdup("/");
	x->out = out;
	soca_buf_add(out, "", 0);
}

static bool
dry_run_ok(struct soca_aws_err *e)
{
	return e->status == 412 && e->code &&
	    strcmp(e->code, "DryRunOperation") == 0;
}

static json_t *
ec2_answer(struct soca_buf *out, struct soca_aws_err *e)
{
	char *root = NULL;
	json_t *j = soca_aws_xml_to_json(out->s, out->len, &root);

	free(root);
	if (j == NULL)
		soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
		    "EC2 answer is not XML (%zu bytes)", out->len);
	return j;
}

json_t *
soca_aws_ec2(struct soca_aws *a, const char *action, json_t *params,
    struct soca_aws_err *e)
{
	struct soca_aws_http x;
	struct soca_buf body = { 0 }, out = { 0 };
	json_t *j = NULL;
	char *tok = NULL;

	soca_buf_addf(&body, "Action=%s&Version=%s", action, EC2_VERSION);
	soca_aws_ec2_flatten(params, NULL, &body);
	if (strcmp(action, "RunInstances") == 0 &&
	    !json_object_get(params, "ClientToken")) {
		tok = soca_aws_uuid();
		add_pair(&body, "ClientToken", tok);
	}
	http_init(a, &x, "ec2", "POST", &out);
	soca_aws_http_header(&x, "Content-Type",
	    "application/x-www-form-urlencoded; charset=utf-8");
	x.body = body.s;
	x.bodylen = body.len;
	if (soca_aws_send(a, &x, e) == 0)
		j = ec2_answer(&out, e);
	else if (dry_run_ok(e)) {
		j = json_pack("{s:b,s:s,s:s?}", "DryRunOperation", 1,
		    "message", e->message ? e->message : "",
		    "requestId", e->request_id);
		soca_aws_err_free(e);
	}
	soca_aws_http_free(&x);
	soca_buf_free(&body);
	soca_buf_free(&out);
	free(tok);
	return j;
}

/*
 * Query protocol (ELBv2, IAM): EC2's form POST with the service's own
 * Version; lists are given as {"member": [...]} (Name.member.N on the
 * wire); the answer is the XML's OpResult element as JSON ({} if none).
 */
json_t *
soca_aws_query(struct soca_aws *a, const char *service, const char *version,
    const char *action, json_t *params, struct soca_aws_err *e)
{
	struct soca_aws_http x;
	struct soca_buf body = { 0 }, out = { 0 };
	json_t *j = NULL, *r;
	char *root = NULL, *rn;

	soca_buf_addf(&body, "Action=%s&Version=%s", action, version);
	if (params)
		soca_aws_ec2_flatten(params, NULL, &body);
	http_init(a, &x, service, "POST", &out);
	soca_aws_http_header(&x, "Content-Type",
	    "application/x-www-form-urlencoded; charset=utf-8");
	x.body = body.s;
	x.bodylen = body.len;
	if (soca_aws_send(a, &x, e) == 0) {
		if ((j = soca_aws_xml_to_json(out.s, out.len, &root)) == NULL)
			soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
			    "%s answer is not XML (%zu bytes)", service,
			    out.len);
		else {
			rn = soca_xasprintf("%sResult", action);
			r = json_object_get(j, rn);
			r = json_is_object(r) ? json_incref(r) : json_object();
			json_decref(j);
			j = r;
			free(rn);
		}
	}
	free(root);
	soca_aws_http_free(&x);
	soca_buf_free(&body);
	soca_buf_free(&out);
	return j;
}

json_t *
soca_aws_json(struct soca_aws *a, const char *service, const char *op,
    json_t *body, struct soca_aws_err *e)
{
	struct soca_aws_http x;
	struct soca_buf out = { 0 };
	char *text = body ? json_dumps(body, JSON_COMPACT) : soca_xstrdup("{}");
	char *target;
	json_t *j = NULL;

	if (text == NULL)
		text = soca_xstrdup("{}");
	http_init(a, &x, service, "POST", &out);
	target = soca_xasprintf("%s.%s", x.svc->target, op);
	soca_aws_http_header(&x, "Content-Type", "application/x-amz-json-1.1");
	soca_aws_http_header(&x, "X-Amz-Target", target);
	x.body = text;
	x.bodylen = strlen(text);
	if (soca_aws_send(a, &x, e) == 0) {
		j = out.len ? json_loadb(out.s, out.len, 0, NULL) : json_object();
		if (j == NULL)
			soca_aws_err_set(e, SOCA_AWS_E_PARSE, x.status, NULL,
			    "%s answer is not JSON (%zu bytes)", service,
			    out.len);
	}
	soca_aws_http_free(&x);
	soca_buf_free(&out);
	free(target);
	free(text);
	return j;
}

static bool
len_slash(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '/';
}

static bool
path_style(struct soca_aws *a, const char *bucket)
{
	const struct soca_aws_service *s = soca_aws_service("s3");
	char *o = soca_aws_endpoint_override(a, s);
	bool custom = o != NULL;

	free(o);
	return custom || strchr(bucket, '.') != NULL;
}

/* x for an S3 request on bucket/key (either NULL), query encoded. */
void
soca_aws_s3_init(struct soca_aws *a, struct soca_aws_http *x,
    const char *method, const char *bucket, const char *key,
    const char *query, struct soca_buf *out)
{
	struct soca_buf p = { 0 };

	http_init(a, x, "s3", method, out);
	if (bucket == NULL)
		soca_buf_addc(&p, '/');
	else if (path_style(a, bucket)) {
		soca_buf_addc(&p, '/');
		soca_aws_uri_encode(&p, bucket, strlen(bucket), false);
		if (key)
			soca_buf_addc(&p, '/');
	} else {
		free(x->base);
		x->base = soca_xasprintf("https://%s.s3.%s.amazonaws.com",
		    bucket, a->region);
		soca_buf_addc(&p, '/');
	}
	if (key)
		soca_aws_uri_encode(&p, key, strlen(key), true);
	free(x->path);
	x->path = soca_buf_steal(&p);
	x->query = query && *query ? soca_xstrdup(query) : NULL;
	x->sigflags = SOCA_SIGV4_S3;
}

int
soca_aws_s3(struct soca_aws *a, const char *method, const char *bucket,
    const char *key, const char *query, const void *body, size_t len,
    struct soca_buf *out, struct soca_aws_err *e)
{
	struct soca_aws_http x;
	int rc;

	soca_aws_s3_init(a, &x, method, bucket, key, query, out);
	x.body = body;
	x.bodylen = len;
	if (body && strcmp(method, "PUT") == 0)
		soca_aws_http_header(&x, "Content-Type",
		    "application/octet-stream");
	rc = soca_aws_send(a, &x, e);
	soca_aws_http_free(&x);
	return rc;
}

/*
 * A REST call to base (an OpenSearch domain's endpoint, say): signed for
 * service, or with HTTP basic auth when basic is "user:password".  path
 * is already encoded; the answer's body goes to out, its status to
 * *status (also when it is not 2xx: the caller reads the error).
 */
int
soca_aws_rest(struct soca_aws *a, const char *service, const char *base,
    const char *basic, const char *method, const char *path,
    const char *ctype, const void *body, size_t len, struct soca_buf *out,
    long *status, struct soca_aws_err *e)
{
	struct soca_aws_http x;
	int rc;

	http_init(a, &x, service, method, out);
	free(x.base);
	x.base = soca_xstrndup(base, strlen(base) -
	    (len_slash(base) ? 1 : 0));
	free(x.path);
	x.path = soca_xstrdup(path);
	x.basic = basic;
	x.body = body;
	x.bodylen = len;
	if (ctype)
		soca_aws_http_header(&x, "Content-Type", ctype);
	rc = soca_aws_send(a, &x, e);
	*status = x.status;
	soca_aws_http_free(&x);
	return rc;
}

static const char *
jget(json_t *p, const char *k)
{
	return json_string_value(json_object_get(p, k));
}

static json_t *
s3_list(struct soca_aws *a, json_t *p, struct soca_aws_err *e)
{
	struct soca_buf q = { 0 }, out = { 0 };
	static const char *const keys[][2] = { { "ContinuationToken",
		"continuation-token" }, { "Delimiter", "delimiter" },
		{ "MaxKeys", "max-keys" }, { "Prefix", "prefix" },
		{ "StartAfter", "start-after" } };
	json_t *j = NULL;

	soca_buf_adds(&q, "list-type=2");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(p, keys[i][0]);
		char *s = json_is_integer(v) ? soca_xasprintf("%"
		    JSON_INTEGER_FORMAT, json_integer_value(v)) :
		    json_is_string(v) ? soca_xstrdup(json_string_value(v)) : NULL;
		if (s)
			add_pair(&q, keys[i][1], s);
		free(s);
	}
	if (soca_aws_s3(a, "GET", jget(p, "Bucket"), NULL, q.s, NULL, 0, &out,
	    e) == 0 && (j = soca_aws_xml_to_json(out.s, out.len, NULL)) == NULL)
		soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
		    "S3 answer is not XML");
	soca_buf_free(&q);
	soca_buf_free(&out);
	return j;
}

static json_t *
s3_bucket_call(struct soca_aws *a, const char *op, json_t *p,
    struct soca_aws_err *e)
{
	struct soca_buf out = { 0 };
	const char *b = jget(p, "Bucket");
	json_t *j = NULL;
	int rc = -1;

	if (strcmp(op, "ListBuckets") == 0) {
		if (soca_aws_s3(a, "GET", NULL, NULL, NULL, NULL, 0, &out,
		    e) == 0 && (j = soca_aws_xml_to_json(out.s, out.len,
		    NULL)) == NULL)
			soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
			    "S3 answer is not XML");
		soca_buf_free(&out);
		return j;
	}
	if (b == NULL)
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL,
		    "s3 %s needs Bucket=NAME", op);
	else if (strcmp(op, "ListObjectsV2") == 0)
		return s3_list(a, p, e);
	else
		rc = soca_aws_s3(a, strcmp(op, "CreateBucket") == 0 ? "PUT" :
		    "DELETE", b, NULL, NULL, NULL, 0, &out, e);
	soca_buf_free(&out);
	return rc == 0 ? json_pack("{s:s}", "Bucket", b) : NULL;
}

static json_t *
s3_call(struct soca_aws *a, const char *op, json_t *p, struct soca_aws_err *e)
{
	struct soca_buf out = { 0 };
	const char *body = jget(p, "Body");
	json_t *j = NULL;

	if (strcmp(op, "ListBuckets") == 0 || strcmp(op, "CreateBucket") == 0 ||
	    strcmp(op, "DeleteBucket") == 0 || strcmp(op, "ListObjectsV2") == 0)
		return s3_bucket_call(a, op, p, e);
	if (jget(p, "Bucket") == NULL || jget(p, "Key") == NULL) {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL,
		    "s3 %s needs Bucket=NAME and Key=KEY", op);
		return NULL;
	}
	if (strcmp(op, "PutObject") == 0) {
		if (soca_aws_s3(a, "PUT", jget(p, "Bucket"), jget(p, "Key"), NULL,
		    body ? body : "", body ? strlen(body) : 0, &out, e) == 0)
			j = json_pack("{s:s}", "Key", jget(p, "Key"));
	} else if (strcmp(op, "GetObject") == 0) {
		if (soca_aws_s3(a, "GET", jget(p, "Bucket"), jget(p, "Key"), NULL,
		    NULL, 0, &out, e) == 0)
			j = json_pack("{s:s%}", "Body", out.s, out.len);
	} else if (strcmp(op, "DeleteObject") == 0) {
		if (soca_aws_s3(a, "DELETE", jget(p, "Bucket"), jget(p, "Key"),
		    NULL, NULL, 0, &out, e) == 0)
			j = json_object();
	} else
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL, "s3 %s: unknown "
		    "operation (CreateBucket, DeleteBucket, ListBuckets, "
		    "PutObject, GetObject, DeleteObject, ListObjectsV2)", op);
	if (j == NULL && e->kind == SOCA_AWS_OK)
		soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
		    "s3 %s: the object is not UTF-8 text", op);
	soca_buf_free(&out);
	return j;
}

json_t *
soca_aws_call(struct soca_aws *a, const char *service, const char *op,
    json_t *params, struct soca_aws_err *e)
{
	const struct soca_aws_service *s = soca_aws_service(service);

	if (s == NULL) {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL, "%s: unknown "
		    "service (ec2, ce, budgets, pricing, s3)", service);
		return NULL;
	}
	if (strcmp(service, "ec2") == 0)
		return soca_aws_ec2(a, op, params, e);
	if (strcmp(service, "s3") == 0)
		return s3_call(a, op, params, e);
	if (strcmp(service, "elbv2") == 0)	/* query protocol */
		return soca_aws_query(a, service, "2015-12-01", op, params, e);
	if (strcmp(service, "iam") == 0)
		return soca_aws_query(a, service, "2010-05-08", op, params, e);
	return soca_aws_json(a, service, op, params, e);
}

static const char *const out_tokens[][2] = {
	{ "nextToken", "NextToken" }, { "NextToken", "NextToken" },
	{ "NextPageToken", "NextPageToken" },
	{ "NextContinuationToken", "ContinuationToken" },
};

static void
merge(json_t *acc, json_t *page)
{
	const char *k;
	json_t *v, *have;

	json_object_foreach(page, k, v) {
		have = json_object_get(acc, k);
		if (json_is_array(v) && json_is_array(have))
			json_array_extend(have, v);
		else if (have == NULL)
			json_object_set(acc, k, v);
	}
}

/* The next page's token, set in params; false on the last page. */
static bool
next_page(json_t *page, json_t *params)
{
	for (size_t i = 0; i < sizeof(out_tokens) / sizeof(out_tokens[0]);
	    i++) {
		const char *t = jget(page, out_tokens[i][0]);
		if (t && *t) {
			json_object_set_new(params, out_tokens[i][1],
			    json_string(t));
			return true;
		}
	}
	return false;
}

json_t *
soca_aws_paginate(struct soca_aws *a, const char *service, const char *op,
    json_t *params, struct soca_aws_err *e)
{
	json_t *p = params ? json_deep_copy(params) : json_object();
	json_t *acc = NULL, *page;

	for (int n = 0; n < MAX_PAGES; n++) {
		if ((page = soca_aws_call(a, service, op, p, e)) == NULL) {
			json_decref(acc);
			acc = NULL;
			break;
		}
		if (acc == NULL)
			acc = json_object();
		merge(acc, page);
		if (!next_page(page, p)) {
			json_decref(page);
			break;
		}
		json_decref(page);
	}
	for (size_t i = 0; acc && i < sizeof(out_tokens) /
	    sizeof(out_tokens[0]); i++)
		json_object_del(acc, out_tokens[i][0]);
	json_decref(p);
	return acc;
}
