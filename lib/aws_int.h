/*
 * aws_int.h: what aws.c shares with aws_proto.c and nothing else: the
 * client's state and one HTTP exchange.
 */
#ifndef SOCA_AWS_INT_H
#define SOCA_AWS_INT_H

#include <curl/curl.h>

#include "aws.h"

struct soca_aws {
	struct soca_aws_cfg cfg;
	CURL *h;
	char *region;
	char *ca_file;
	long connect_timeout, timeout;
	struct soca_aws_creds creds;
	bool have_creds;
	struct soca_aws_retry retry;
};

struct soca_aws_http {
	const struct soca_aws_service *svc;
	const char *method;
	char *base, *path, *query;	/* path and query already encoded */
	struct soca_aws_hdr *hdrs;	/* besides Host and the signature */
	size_t nhdrs;
	const char *body;
	size_t bodylen, sent;
	unsigned sigflags;
	const char *basic;	/* "user:password": HTTP basic, not SigV4 */
	bool no_retry;
	struct soca_buf *out;
	long status;
	char *request_id, *content_type, *location;
	char *etag, *checksum;		/* S3: ETag, x-amz-checksum-sha256 */
};

int soca_aws_send(struct soca_aws *, struct soca_aws_http *,
    struct soca_aws_err *);
void soca_aws_http_free(struct soca_aws_http *);
void soca_aws_http_header(struct soca_aws_http *, const char *name,
    const char *value);
void soca_aws_s3_init(struct soca_aws *, struct soca_aws_http *,
    const char *method, const char *bucket, const char *key,
    const char *query, struct soca_buf *out);
char *soca_aws_endpoint_override(const struct soca_aws *,
    const struct soca_aws_service *);

#endif
