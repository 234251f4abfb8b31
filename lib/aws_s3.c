/*
 * aws_s3.c: S3 objects that must arrive whole: PutObject, or a multipart
 * upload above a size, each body with x-amz-checksum-sha256 (S3 checks
 * it and keeps it), the payload signed (x-amz-content-sha256, aws.c);
 * HeadObject with x-amz-checksum-mode: ENABLED to read the checksum
 * back; and the keys under a prefix (ListObjectsV2, paginated).
 *
 * A multipart object's checksum is S3's composite one: the base64 SHA-256
 * of the parts' SHA-256 digests, then "-N".  A failed multipart upload is
 * aborted, so no parts are left to pay for.  The body is the caller's
 * (a mapped file): each part is sent from it as it is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "aws_int.h"
#include "provider_aws.h"

static void
b64_sha256(const void *p, size_t n, unsigned char raw[32], char out[48])
{
	struct soca_buf b = { 0 };

	soca_aws_sha256(p, n, raw);
	soca_aws_b64(&b, raw, 32);
	strlcpy(out, b.s, 48);
	soca_buf_free(&b);
}

/* -v: the S3 operation each request is (the HTTP trace follows) */
static void
trace(struct soca_aws *a, const char *op, const char *bucket,
    const char *key)
{
	if (a->cfg.verbose)
		fprintf(stderr, "* s3 %s s3://%s/%s\n", op, bucket, key);
}

/* One request with a body; the answer's ETag into *etag when asked. */
static int
send_part(struct soca_aws *a, const char *op, const char *method,
    const struct soca_s3_put *p, const char *query, const void *body,
    size_t len, const char *sum, char **etag, struct soca_buf *out,
    struct soca_aws_err *e)
{
	struct soca_aws_http x;
	int rc;

	trace(a, op, p->bucket, p->key);
	soca_aws_s3_init(a, &x, method, p->bucket, p->key, query, out);
	x.body = body;
	x.bodylen = len;
	if (query == NULL || strncmp(query, "partNumber=", 11) != 0)
		soca_aws_http_header(&x, "Content-Type", p->content_type ?
		    p->content_type : "application/octet-stream");
	if (sum)
		soca_aws_http_header(&x, "x-amz-checksum-sha256", sum);
	if (query && strcmp(query, "uploads=") == 0)
		soca_aws_http_header(&x, "x-amz-checksum-algorithm", "SHA256");
	rc = soca_aws_send(a, &x, e);
	if (rc == 0 && etag) {
		free(*etag);
		*etag = x.etag ? soca_xstrdup(x.etag) : NULL;
	}
	soca_aws_http_free(&x);
	return rc;
}

static char *
upload_query(const char *id, int part)
{
	struct soca_buf q = { 0 };

	if (part > 0)
		soca_buf_addf(&q, "partNumber=%d&", part);
	soca_buf_adds(&q, "uploadId=");
	soca_aws_uri_encode(&q, id, strlen(id), false);
	return soca_buf_steal(&q);
}

/* The XML answer's root must be `root` (a 200 may still carry <Error>). */
static json_t *
answer(struct soca_buf *out, const char *root, struct soca_aws_err *e)
{
	char *r = NULL;
	json_t *j = soca_aws_xml_to_json(out->s, out->len, &r);

	if (j == NULL || r == NULL || strcmp(r, root) != 0) {
		if (!soca_aws_err_xml(e, 200, out->s, out->len, NULL))
			soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
			    "S3 answered without %s", root);
		json_decref(j);
		j = NULL;
	}
	free(r);
	return j;
}

static int
start_upload(struct soca_aws *a, const struct soca_s3_put *p, char **id,
    struct soca_aws_err *e)
{
	struct soca_buf out = { 0 };
	json_t *j = NULL;
	const char *v;

	if (send_part(a, "CreateMultipartUpload", "POST", p, "uploads=", "", 0,
	    NULL, NULL, &out, e) == 0)
		j = answer(&out, "InitiateMultipartUploadResult", e);
	if ((v = json_string_value(json_object_get(j, "UploadId"))) != NULL)
		*id = soca_xstrdup(v);
	else if (j != NULL)
		soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
		    "S3 gave no UploadId");
	json_decref(j);
	soca_buf_free(&out);
	return *id ? 0 : -1;
}

/* Send every part; the CompleteMultipartUpload body into *xml. */
static int
send_parts(struct soca_aws *a, struct soca_s3_put *p, const char *id,
    struct soca_buf *xml, struct soca_buf *digests, struct soca_aws_err *e)
{
	struct soca_buf out = { 0 };
	unsigned char raw[32];
	char sum[48], *etag = NULL, *q;
	int rc = 0;

	soca_buf_addf(xml, "<CompleteMultipartUpload xmlns=\"http://s3."
	    "amazonaws.com/doc/2006-03-01/\">");
	for (size_t off = 0; off < p->len && rc == 0; off += p->part_size) {
		size_t n = p->len - off < p->part_size ? p->len - off :
		    p->part_size;

		p->parts++;
		b64_sha256((const char *)p->body + off, n, raw, sum);
		soca_buf_add(digests, (const char *)raw, 32);
		q = upload_query(id, p->parts);
		rc = send_part(a, "UploadPart", "PUT", p, q,
		    (const char *)p->body + off, n, sum, &etag, &out, e);
		free(q);
		if (rc == 0 && etag == NULL) {
			soca_aws_err_set(e, SOCA_AWS_E_PARSE, 200, NULL,
			    "S3 gave part %d no ETag", p->parts);
			rc = -1;
		}
		if (rc == 0)
			soca_buf_addf(xml, "<Part><PartNumber>%d</PartNumber>"
			    "<ETag>%s</ETag><ChecksumSHA256>%s</ChecksumSHA256>"
			    "</Part>", p->parts, etag, sum);
	}
	soca_buf_adds(xml, "</CompleteMultipartUpload>");
	free(etag);
	soca_buf_free(&out);
	return rc;
}

static int
multipart(struct soca_aws *a, struct soca_s3_put *p, struct soca_aws_err *e)
{
	struct soca_buf xml = { 0 }, dg = { 0 }, out = { 0 };
	struct soca_aws_err ae = { 0 };
	unsigned char raw[32];
	char *id = NULL, *q = NULL, sum[48];
	json_t *j = NULL;
	int rc;

	if (start_upload(a, p, &id, e) < 0)
		return -1;
	q = upload_query(id, 0);
	rc = send_parts(a, p, id, &xml, &dg, e);
	if (rc == 0) {
		struct soca_s3_put c = *p;

		c.content_type = "application/xml";
		rc = send_part(a, "CompleteMultipartUpload", "POST", &c, q,
		    xml.s, xml.len, NULL, NULL, &out, e);
		if (rc == 0 && (j = answer(&out,
		    "CompleteMultipartUploadResult", e)) == NULL)
			rc = -1;
	}
	if (rc < 0) {	/* leave no parts behind; the first error stands */
		soca_buf_reset(&out);
		trace(a, "AbortMultipartUpload", p->bucket, p->key);
		soca_aws_s3(a, "DELETE", p->bucket, p->key, q, NULL, 0, &out,
		    &ae);
		soca_aws_err_free(&ae);
	} else {
		b64_sha256(dg.s, dg.len, raw, sum);
		snprintf(p->checksum, sizeof(p->checksum), "%.44s-%d", sum,
		    p->parts);
	}
	json_decref(j);
	soca_buf_free(&xml);
	soca_buf_free(&dg);
	soca_buf_free(&out);
	free(q);
	free(id);
	return rc;
}

/* p->checksum and p->parts as S3 will report them once p is put. */
void
soca_s3_sum(struct soca_s3_put *p)
{
	struct soca_buf dg = { 0 };
	unsigned char raw[32];
	char sum[48];

	p->parts = 0;
	if (p->part_size == 0 || p->len <= p->part_size) {
		b64_sha256(p->body, p->len, raw, p->checksum);
		return;
	}
	for (size_t off = 0; off < p->len; off += p->part_size) {
		size_t n = p->len - off < p->part_size ? p->len - off :
		    p->part_size;

		b64_sha256((const char *)p->body + off, n, raw, sum);
		soca_buf_add(&dg, (const char *)raw, 32);
		p->parts++;
	}
	b64_sha256(dg.s, dg.len, raw, sum);
	snprintf(p->checksum, sizeof(p->checksum), "%.44s-%d", sum, p->parts);
	soca_buf_free(&dg);
}

/* Put p->body at p->key; p->checksum is then what S3 should report. */
int
soca_s3_put(struct soca_aws *a, struct soca_s3_put *p, struct soca_aws_err *e)
{
	struct soca_buf out = { 0 };
	unsigned char raw[32];
	int rc;

	p->parts = 0;
	p->checksum[0] = '\0';
	if (p->part_size > 0 && p->len > p->part_size)
		return multipart(a, p, e);
	b64_sha256(p->body, p->len, raw, p->checksum);
	rc = send_part(a, "PutObject", "PUT", p, NULL, p->body, p->len,
	    p->checksum, NULL, &out, e);
	soca_buf_free(&out);
	return rc;
}

/* 0: the object is there (its checksum, size); 1: no such key; -1. */
int
soca_s3_head(struct soca_aws *a, const char *bucket, const char *key,
    char **checksum, long long *size, struct soca_aws_err *e)
{
	struct soca_aws_http x;
	struct soca_buf out = { 0 };
	curl_off_t len = -1;
	int rc;

	trace(a, "HeadObject", bucket, key);
	soca_aws_s3_init(a, &x, "HEAD", bucket, key, NULL, &out);
	soca_aws_http_header(&x, "x-amz-checksum-mode", "ENABLED");
	rc = soca_aws_send(a, &x, e);
	if (rc == 0) {
		*checksum = x.checksum ? soca_xstrdup(x.checksum) : NULL;
		curl_easy_getinfo(a->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
		    &len);
		*size = (long long)len;
	} else if (e->status == 404) {
		soca_aws_err_free(e);
		rc = 1;
	}
	soca_aws_http_free(&x);
	soca_buf_free(&out);
	return rc;
}

/* The object at key, as it is. */
int
soca_s3_get(struct soca_aws *a, const char *bucket, const char *key,
    struct soca_buf *out, struct soca_aws_err *e)
{
	trace(a, "GetObject", bucket, key);
	return soca_aws_s3(a, "GET", bucket, key, NULL, NULL, 0, out, e);
}

/* The keys under prefix after start_after (may be NULL), in order. */
json_t *
soca_s3_keys(struct soca_aws *a, const char *bucket, const char *prefix,
    const char *start_after, struct soca_aws_err *e)
{
	json_t *p = json_pack("{s:s, s:s}", "Bucket", bucket, "Prefix",
	    prefix), *r, *keys = NULL, *c, *v;
	size_t i;

	if (start_after)
		json_object_set_new(p, "StartAfter", json_string(start_after));
	r = soca_aws_paginate(a, "s3", "ListObjectsV2", p, e);
	if (r != NULL) {
		keys = json_array();
		c = json_object_get(r, "Contents");
		if (json_is_object(c))
			json_array_append(keys, json_object_get(c, "Key"));
		json_array_foreach(c, i, v)
			json_array_append(keys, json_object_get(v, "Key"));
	}
	json_decref(r);
	json_decref(p);
	return keys;
}
