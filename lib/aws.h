/*
 * aws.h: libsoca's AWS client -- SigV4, credentials, one reused libcurl
 * handle, the EC2 query, JSON 1.1 and S3 REST protocols, standard-mode
 * retries and pagination.  No SDK: everything follows
 * docs/aws-wire-protocols.md.  Answers come back as jansson JSON; EC2's
 * XML is converted with lists as arrays.
 */
#ifndef SOCA_AWS_H
#define SOCA_AWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "soca.h"

/* aws_sigv4.c: an HTTP request to sign, and the signer */
struct soca_aws_hdr {
	char *name;
	char *value;		/* as sent; folded lines allowed */
};

struct soca_aws_req {
	char *method;
	char *path;		/* the path as on the request line */
	char *query;		/* the query string without '?', or NULL */
	struct soca_aws_hdr *hdrs;
	size_t nhdrs;
	const unsigned char *body;
	size_t bodylen;
};

struct soca_aws_creds {
	char *access_key;
	char *secret_key;
	char *token;		/* session token or NULL */
	time_t expiration;	/* 0: does not expire */
	const char *source;	/* "env", "profile", "process", "imds" */
};

enum {
	SOCA_SIGV4_S3 = 1 << 0,		/* S3 path rules: as sent, one encoding */
	SOCA_SIGV4_NO_NORMALIZE = 1 << 1,
	SOCA_SIGV4_SIGN_BODY = 1 << 2,	/* add and sign x-amz-content-sha256 */
	SOCA_SIGV4_UNSIGNED = 1 << 3,	/* payload hash UNSIGNED-PAYLOAD */
	SOCA_SIGV4_OMIT_TOKEN = 1 << 4,	/* token sent but not signed */
	SOCA_SIGV4_PRESIGN = 1 << 5,	/* sign in the query string */
};

struct soca_sigv4 {
	const char *region;
	const char *service;
	time_t when;
	unsigned flags;
	long expires;		/* SOCA_SIGV4_PRESIGN: X-Amz-Expires */
};

/* intermediate results, for tests and -v traces */
struct soca_sigv4_debug {
	char *creq;
	char *sts;
	char sig[65];
};

void soca_aws_req_init(struct soca_aws_req *, const char *method,
    const char *path, const char *query);
void soca_aws_req_header(struct soca_aws_req *, const char *name,
    const char *value);
const char *soca_aws_req_get(const struct soca_aws_req *, const char *name);
void soca_aws_req_free(struct soca_aws_req *);
void soca_sigv4_sign(struct soca_aws_req *, const struct soca_aws_creds *,
    const struct soca_sigv4 *, struct soca_sigv4_debug *);
void soca_sigv4_debug_free(struct soca_sigv4_debug *);
void soca_aws_uri_encode(struct soca_buf *, const char *, size_t,
    bool keep_slash);
char *soca_aws_uri_decode(const char *, size_t);
void soca_aws_sha256(const void *, size_t, unsigned char out[32]);
void soca_aws_sha256_hex(const void *, size_t, char out[65]);
void soca_aws_creds_free(struct soca_aws_creds *);

/* aws_xml.c: EC2/S3 XML answers to JSON */
json_t *soca_aws_xml_to_json(const char *, size_t, char **root);

/* aws_ini.c: the shared config/credentials files, command lines */
json_t *soca_aws_ini_parse(const char *, size_t);
json_t *soca_aws_ini_load(const char *path, bool secret);
int soca_aws_split_cmdline(const char *, char ***argv, size_t *argc);

/* aws_err.c: one error for every protocol */
enum soca_aws_ekind {
	SOCA_AWS_OK,
	SOCA_AWS_E_SERVICE,	/* AWS answered with an error */
	SOCA_AWS_E_NET,		/* connection failed or timed out */
	SOCA_AWS_E_PARSE,	/* the answer could not be understood */
	SOCA_AWS_E_CREDS,	/* no usable credentials */
	SOCA_AWS_E_INPUT,	/* bad parameters from the caller */
};

struct soca_aws_err {
	enum soca_aws_ekind kind;
	long status;		/* HTTP status, 0 if none */
	char *code;		/* AWS error code */
	char *message;
	char *request_id;
	bool timeout;
	int attempts;
};

void soca_aws_err_set(struct soca_aws_err *, enum soca_aws_ekind, long,
    const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void soca_aws_err_free(struct soca_aws_err *);
char *soca_aws_err_str(const struct soca_aws_err *);
int soca_aws_err_exit(const struct soca_aws_err *);
bool soca_aws_err_json(struct soca_aws_err *, long status, const char *body,
    size_t len, const char *request_id);
bool soca_aws_err_xml(struct soca_aws_err *, long status, const char *body,
    size_t len, const char *request_id);

/* aws_retry.c: the "standard" retry mode */
struct soca_aws_retry {
	int max_attempts;
	int quota;		/* starts at 500 */
	int last_cost;
	double scale;		/* SOCA_AWS_BACKOFF_SCALE (tests only) */
};

void soca_aws_retry_init(struct soca_aws_retry *, int max_attempts);
bool soca_aws_retryable(const struct soca_aws_err *);
bool soca_aws_retry_take(struct soca_aws_retry *, const struct soca_aws_err *);
void soca_aws_retry_success(struct soca_aws_retry *, int attempts);
double soca_aws_retry_delay(const struct soca_aws_retry *, int attempt);

/* aws_creds.c: the default credential chain and region */
struct soca_aws_cfg {
	const char *profile;	/* --profile (beats env credentials) */
	const char *region;
	const char *endpoint_url;
	const struct soca_conf *conf;
	int verbose;
};

int soca_aws_resolve_creds(const struct soca_aws_cfg *,
    struct soca_aws_creds *, struct soca_aws_err *);
char *soca_aws_resolve_region(const struct soca_aws_cfg *);
json_t *soca_aws_profile(const char *profile, bool config_file);
int soca_aws_process_creds(const char *cmdline, struct soca_aws_creds *,
    struct soca_aws_err *);
int soca_aws_creds_from_json(json_t *, struct soca_aws_creds *);
int soca_aws_imds_creds(struct soca_aws_creds *, struct soca_aws_err *);
char *soca_aws_imds_base(void);
long soca_aws_imds_req(void *curl, const char *base, const char *method,
    const char *path, const char *hdr, long timeout_ms, struct soca_buf *);

/*
 * aws.c, aws_proto.c: the client, endpoints and the three protocols.
 * Calls return a new JSON reference (NULL on error, with *err set; free
 * it with soca_aws_err_free) and borrow params.  EC2 params are flattened
 * as given (wire names; nested objects and 1-based lists allowed); JSON
 * services send params as the body; s3 takes Bucket, Key, Body, Prefix,
 * ContinuationToken.  Values in EC2/S3 answers are strings, as in XML.
 */
struct soca_aws;

struct soca_aws_service {
	const char *name;	/* soca-aws name: ec2, ce, budgets, s3 */
	const char *signing;	/* SigV4 service name */
	const char *env_id;	/* AWS_ENDPOINT_URL_<env_id> */
	const char *target;	/* JSON 1.1 X-Amz-Target prefix */
	const char *global_region;	/* fixed signing region, or NULL */
	const char *host;	/* "%s" is the region */
};

const struct soca_aws_service *soca_aws_service(const char *name);
struct soca_aws *soca_aws_new(const struct soca_aws_cfg *,
    struct soca_aws_err *);
void soca_aws_free(struct soca_aws *);
const char *soca_aws_region(const struct soca_aws *);
char *soca_aws_endpoint(const struct soca_aws *,
    const struct soca_aws_service *);
json_t *soca_aws_ec2(struct soca_aws *, const char *action, json_t *params,
    struct soca_aws_err *);
json_t *soca_aws_query(struct soca_aws *, const char *service,
    const char *version, const char *action, json_t *params,
    struct soca_aws_err *);
json_t *soca_aws_json(struct soca_aws *, const char *service, const char *op,
    json_t *body, struct soca_aws_err *);
int soca_aws_s3(struct soca_aws *, const char *method, const char *bucket,
    const char *key, const char *query, const void *body, size_t len,
    struct soca_buf *out, struct soca_aws_err *);
int soca_aws_rest(struct soca_aws *, const char *service, const char *base,
    const char *basic, const char *method, const char *path,
    const char *ctype, const void *body, size_t len, struct soca_buf *out,
    long *status, struct soca_aws_err *);
json_t *soca_aws_call(struct soca_aws *, const char *service, const char *op,
    json_t *params, struct soca_aws_err *);
json_t *soca_aws_paginate(struct soca_aws *, const char *service,
    const char *op, json_t *params, struct soca_aws_err *);
/* aws_s3.c: objects with SHA-256 checksums, multipart above part_size */
struct soca_s3_put {
	const char *bucket, *key, *content_type;
	const void *body;
	size_t len;
	size_t part_size;	/* parts of this size above it; 0: one PUT */
	char checksum[80];	/* set: what S3 reports (base64, "-N" parts) */
	int parts;		/* set: 0 for one PUT */
};

void soca_s3_sum(struct soca_s3_put *);
int soca_s3_put(struct soca_aws *, struct soca_s3_put *,
    struct soca_aws_err *);
int soca_s3_head(struct soca_aws *, const char *bucket, const char *key,
    char **checksum, long long *size, struct soca_aws_err *);
int soca_s3_get(struct soca_aws *, const char *bucket, const char *key,
    struct soca_buf *, struct soca_aws_err *);
json_t *soca_s3_keys(struct soca_aws *, const char *bucket,
    const char *prefix, const char *start_after, struct soca_aws_err *);
void soca_aws_ec2_flatten(json_t *params, const char *prefix,
    struct soca_buf *body);
char *soca_aws_uuid(void);

#endif
