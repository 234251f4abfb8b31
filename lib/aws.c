/*
 * aws.c: the AWS client -- one libcurl easy handle per process, endpoints,
 * signing every attempt, and the standard-mode retry loop.
 *
 * The handle is kept for the life of the client so connections are
 * reused (keep-alive).  TLS is always verified (a CA bundle may be set in
 * soca.conf [aws] ca_file); proxies come from libcurl's own reading of
 * http_proxy/https_proxy/no_proxy.  Every header we sign is handed to
 * libcurl explicitly and `Expect:` is suppressed, so what goes on the
 * wire is what was signed.  Redirects are not followed.  -v traces go to
 * stderr with Authorization, X-Amz-Security-Token and secrets redacted.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "aws_int.h"

#define MAX_ANSWER ((size_t)1 << 30)

static const struct soca_aws_service services[] = {
	{ "ec2", "ec2", "EC2", NULL, NULL, "ec2.%s.amazonaws.com" },
	{ "ce", "ce", "COST_EXPLORER", "AWSInsightsIndexService", "us-east-1",
	    "ce.us-east-1.amazonaws.com" },
	{ "budgets", "budgets", "BUDGETS", "AWSBudgetServiceGateway",
	    "us-east-1", "budgets.amazonaws.com" },
	{ "s3", "s3", "S3", NULL, NULL, "s3.%s.amazonaws.com" },
	{ "pricing", "pricing", "PRICING", "AWSPriceListService", "us-east-1",
	    "api.pricing.us-east-1.amazonaws.com" },
	{ "servicequotas", "servicequotas", "SERVICE_QUOTAS",
	    "ServiceQuotasV20190624", NULL, "servicequotas.%s.amazonaws.com" },
	{ "fsx", "fsx", "FSX", "AWSSimbaAPIService_v20180301", NULL,
	    "fsx.%s.amazonaws.com" },
	{ "es", "es", "OPENSEARCH", NULL, NULL, "es.%s.amazonaws.com" },
	{ "sesv2", "ses", "SESV2", NULL, NULL, "email.%s.amazonaws.com" },
	{ "elbv2", "elasticloadbalancing", "ELASTIC_LOAD_BALANCING_V2", NULL,
	    NULL, "elasticloadbalancing.%s.amazonaws.com" },
	{ "iam", "iam", "IAM", NULL, "us-east-1", "iam.amazonaws.com" },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct soca_aws_service *
soca_aws_service(const char *name)
{
	for (const struct soca_aws_service *s = services; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static long
conf_secs(const struct soca_conf *c, const char *key, long def)
{
	long long v = c ? soca_conf_int(c, "aws", NULL, key) : -1;

	return v > 0 ? (long)v : def;
}

struct soca_aws *
soca_aws_new(const struct soca_aws_cfg *cfg, struct soca_aws_err *e)
{
	struct soca_aws *a = soca_xcalloc(1, sizeof(*a));
	const char *v;

	a->cfg = *cfg;
	a->region = soca_aws_resolve_region(cfg);
	if (a->region == NULL || *a->region == '\0') {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL, "no region: "
		    "use --region, AWS_REGION, the profile's region or "
		    "soca.conf [aws] region");
		soca_aws_free(a);
		return NULL;
	}
	if ((a->h = curl_easy_init()) == NULL)
		errx(SOCA_EX_TEMP, "curl_easy_init failed");
	a->connect_timeout = conf_secs(cfg->conf, "connect_timeout", 10);
	a->timeout = conf_secs(cfg->conf, "timeout", 60);
	if (cfg->conf && (v = soca_conf_get(cfg->conf, "aws", NULL,
	    "ca_file")) != NULL && *v)
		a->ca_file = soca_xstrdup(v);
	soca_aws_retry_init(&a->retry, (int)conf_secs(cfg->conf,
	    "max_attempts", 3));
	return a;
}

void
soca_aws_free(struct soca_aws *a)
{
	if (a == NULL)
		return;
	if (a->h)
		curl_easy_cleanup(a->h);
	soca_aws_creds_free(&a->creds);
	free(a->region);
	free(a->ca_file);
	free(a);
}

const char *
soca_aws_region(const struct soca_aws *a)
{
	return a->region;
}

static bool
env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcasecmp(v, "true") == 0;
}

static char *
strip_slash(const char *u)
{
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '/')
		n--;
	return soca_xstrndup(u, n);
}

/* The configured endpoint for a service, or NULL for the AWS one. */
char *
soca_aws_endpoint_override(const struct soca_aws *a,
    const struct soca_aws_service *s)
{
	char *name;
	const char *v;

	if (a->cfg.endpoint_url && *a->cfg.endpoint_url)
		return strip_slash(a->cfg.endpoint_url);
	if (env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
		return NULL;
	name = soca_xasprintf("AWS_ENDPOINT_URL_%s", s->env_id);
	v = getenv(name);
	free(name);
	if ((v && *v) || ((v = getenv("AWS_ENDPOINT_URL")) && *v))
		return strip_slash(v);
	if (a->cfg.conf && (v = soca_conf_get(a->cfg.conf, "aws", NULL,
	    "endpoint_url")) != NULL && *v)
		return strip_slash(v);
	return NULL;
}

char *
soca_aws_endpoint(const struct soca_aws *a, const struct soca_aws_service *s)
{
	char *o = soca_aws_endpoint_override(a, s), *host;

	if (o)
		return o;
	host = strstr(s->host, "%s");
	if (host == NULL)
		return soca_xasprintf("https://%s", s->host);
	return soca_xasprintf("https://%.*s%s%s", (int)(host - s->host),
	    s->host, a->region, host + 2);
}

static int
ensure_creds(struct soca_aws *a, struct soca_aws_err *e)
{
	time_t now = time(NULL);

	if (a->have_creds && (a->creds.expiration == 0 ||
	    a->creds.expiration - 300 > now))
		return 0;
	soca_aws_creds_free(&a->creds);
	a->have_creds = soca_aws_resolve_creds(&a->cfg, &a->creds, e) == 0;
	if (a->have_creds && a->cfg.verbose)
		fprintf(stderr, "* credentials from %s (%s)\n",
		    a->creds.source, a->creds.access_key);
	return a->have_creds ? 0 : -1;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct soca_aws_http *x = ud;

	if (x->out->len + size * n > MAX_ANSWER)
		return 0;
	soca_buf_add(x->out, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct soca_aws_http *x = ud;
	size_t len = size * n, l;
	const char *c = memchr(p, ':', len);
	char **slot = NULL;

	if (c == NULL)
		return len;
	l = (size_t)(c - p);
	if ((l == 16 && strncasecmp(p, "x-amzn-requestid", l) == 0) ||
	    (l == 16 && strncasecmp(p, "x-amz-request-id", l) == 0))
		slot = &x->request_id;
	else if (l == 12 && strncasecmp(p, "content-type", l) == 0)
		slot = &x->content_type;
	else if (l == 8 && strncasecmp(p, "location", l) == 0)
		slot = &x->location;
	else if (l == 4 && strncasecmp(p, "etag", l) == 0)
		slot = &x->etag;
	else if (l == 21 && strncasecmp(p, "x-amz-checksum-sha256", l) == 0)
		slot = &x->checksum;
	if (slot) {
		for (c++; c < p + len && (*c == ' ' || *c == '\t'); c++)
			;
		free(*slot);
		*slot = soca_xstrndup(c, (size_t)(p + len - c));
		(*slot)[strcspn(*slot, "\r\n")] = '\0';
	}
	return len;
}

static size_t
on_read(char *p, size_t size, size_t n, void *ud)
{
	struct soca_aws_http *x = ud;
	size_t left = x->bodylen - x->sent, k = size * n < left ? size * n :
	    left;

	memcpy(p, x->body + x->sent, k);
	x->sent += k;
	return k;
}

static void
trace_request(const struct soca_aws_req *r, const char *url)
{
	fprintf(stderr, "> %s %s\n", r->method, url);
	for (size_t i = 0; i < r->nhdrs; i++) {
		const char *n = r->hdrs[i].name;
		bool secret = strcasecmp(n, "authorization") == 0 ||
		    strcasecmp(n, "x-amz-security-token") == 0;
		fprintf(stderr, "> %s: %s\n", n, secret ? "(redacted)" :
		    r->hdrs[i].value);
	}
}

static void
trace_answer(struct soca_aws *a, const struct soca_aws_http *x, long status)
{
	long fresh = 0;

	curl_easy_getinfo(a->h, CURLINFO_NUM_CONNECTS, &fresh);
	fprintf(stderr, "< %ld (%zu bytes, %s connection)%s%s\n", status,
	    x->out->len, fresh > 0 ? "new" : "reused",
	    x->request_id ? " request id " : "",
	    x->request_id ? x->request_id : "");
}

static struct curl_slist *
header_list(const struct soca_aws_req *r)
{
	struct curl_slist *l = NULL, *t;

	for (size_t i = 0; i <= r->nhdrs; i++) {
		char *h = i < r->nhdrs ? soca_xasprintf("%s: %s",
		    r->hdrs[i].name, r->hdrs[i].value) : soca_xstrdup("Expect:");
		if ((t = curl_slist_append(l, h)) == NULL)
			errx(SOCA_EX_TEMP, "out of memory");
		l = t;
		explicit_bzero(h, strlen(h));
		free(h);
	}
	return l;
}

static void
setup_handle(struct soca_aws *a, struct soca_aws_http *x, const char *url)
{
	CURL *h = a->h;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (a->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, a->ca_file);
	curl_easy_setopt(h, CURLOPT_USERPWD, x->basic);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, a->connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, a->timeout);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "soca/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (strcmp(x->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)x->bodylen);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body ? x->body : "");
	} else if (strcmp(x->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)x->bodylen);
	} else if (strcmp(x->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(x->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x->method);
}

static char *
host_of(const char *base)
{
	const char *p = strstr(base, "://");

	p = p ? p + 3 : base;
	return soca_xstrndup(p, strcspn(p, "/?#"));
}

static void
sign(struct soca_aws *a, struct soca_aws_http *x, struct soca_aws_req *r)
{
	struct soca_sigv4 s = { x->svc->global_region ? x->svc->global_region :
		a->region, x->svc->signing, time(NULL), x->sigflags, 0 };
	char *host = host_of(x->base);

	soca_aws_req_init(r, x->method, x->path, x->query);
	soca_aws_req_header(r, "Host", host);
	for (size_t i = 0; i < x->nhdrs; i++)
		soca_aws_req_header(r, x->hdrs[i].name, x->hdrs[i].value);
	r->body = (const unsigned char *)x->body;
	r->bodylen = x->bodylen;
	if (x->basic == NULL)
		soca_sigv4_sign(r, &a->creds, &s, NULL);
	free(host);
}

static void
answer_error(struct soca_aws_http *x, long status, struct soca_aws_err *e)
{
	const char *ct = x->content_type ? x->content_type : "";
	bool parsed = false;

	if (x->out->len > 0 && (strstr(ct, "json") || x->svc->target))
		parsed = soca_aws_err_json(e, status, x->out->s, x->out->len,
		    x->request_id);
	if (!parsed && x->out->len > 0)
		parsed = soca_aws_err_xml(e, status, x->out->s, x->out->len,
		    x->request_id);
	if (parsed)
		return;
	if (status >= 300 && status < 400)
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, status, NULL,
		    "unexpected redirect (HTTP %ld) to %s", status,
		    x->location ? x->location : "nowhere");
	else
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, status, NULL,
		    "HTTP %ld with %s answer", status, *ct ? ct : "an empty");
	if (x->request_id)
		e->request_id = soca_xstrdup(x->request_id);
}

static void
net_error(CURLcode rc, const char *url, struct soca_aws_err *e)
{
	soca_aws_err_set(e, SOCA_AWS_E_NET, 0, NULL, "%s: %s", url,
	    curl_easy_strerror(rc));
	e->timeout = rc == CURLE_OPERATION_TIMEDOUT;
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT ||
	    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM)
		e->kind = SOCA_AWS_E_SERVICE;	/* not worth retrying */
}

/* 0 for a 2xx answer that is not an HTML page (proxies, portals). */
static int
judge(struct soca_aws *a, struct soca_aws_http *x, CURLcode rc, long status,
    struct soca_aws_err *e)
{
	char *url;

	if (rc != CURLE_OK) {
		curl_easy_getinfo(a->h, CURLINFO_EFFECTIVE_URL, &url);
		net_error(rc, url, e);
	} else if (status < 200 || status > 299)
		answer_error(x, status, e);
	else if (x->content_type && strstr(x->content_type, "text/html"))
		soca_aws_err_set(e, SOCA_AWS_E_PARSE, status, NULL,
		    "HTTP %ld with a text/html page, not an AWS answer (a "
		    "proxy or a wrong endpoint?)", status);
	else
		return 0;
	return -1;
}

/* One attempt: sign, send, read; 0 on a 2xx answer. */
static int
attempt(struct soca_aws *a, struct soca_aws_http *x, struct soca_aws_err *e)
{
	struct soca_aws_req r;
	struct curl_slist *hl;
	char *url;
	long status = 0;
	CURLcode rc;

	if (x->basic == NULL && ensure_creds(a, e) < 0)
		return -1;
	sign(a, x, &r);
	url = soca_xasprintf("%s%s%s%s", x->base, r.path, r.query ? "?" : "",
	    r.query ? r.query : "");
	hl = header_list(&r);
	soca_buf_reset(x->out);
	soca_buf_add(x->out, "", 0);
	x->sent = 0;
	setup_handle(a, x, url);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, hl);
	if (a->cfg.verbose)
		trace_request(&r, url);
	rc = curl_easy_perform(a->h);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	soca_aws_req_free(&r);
	if (rc == CURLE_OK)
		curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &status);
	if (a->cfg.verbose)
		trace_answer(a, x, status);
	free(url);
	x->status = status;
	return judge(a, x, rc, status, e);
}

static void
backoff(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0)
		;
}

/* Send x with standard-mode retries; 0 on success. */
int
soca_aws_send(struct soca_aws *a, struct soca_aws_http *x,
    struct soca_aws_err *e)
{
	for (int n = 1;; n++) {
		free(x->request_id);
		free(x->content_type);
		free(x->location);
		free(x->etag);
		free(x->checksum);
		x->request_id = x->content_type = x->location = NULL;
		x->etag = x->checksum = NULL;
		e->attempts = n;
		if (attempt(a, x, e) == 0) {
			soca_aws_retry_success(&a->retry, n);
			soca_aws_err_free(e);
			e->attempts = n;
			return 0;
		}
		if (x->no_retry || n >= a->retry.max_attempts ||
		    !soca_aws_retry_take(&a->retry, e))
			return -1;
		if (a->cfg.verbose)
			fprintf(stderr, "* attempt %d failed (%s), retrying\n",
			    n, e->code ? e->code : e->message);
		backoff(soca_aws_retry_delay(&a->retry, n));
	}
}

void
soca_aws_http_free(struct soca_aws_http *x)
{
	free(x->request_id);
	free(x->content_type);
	free(x->location);
	free(x->etag);
	free(x->checksum);
	free(x->base);
	free(x->path);
	free(x->query);
	for (size_t i = 0; i < x->nhdrs; i++) {
		free(x->hdrs[i].name);
		free(x->hdrs[i].value);
	}
	free(x->hdrs);
}
