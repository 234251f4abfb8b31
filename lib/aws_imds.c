/*
 * aws_imds.c: what a compute node asks its instance metadata (IMDSv2: a
 * token PUT, then GETs with it), for soca-node-run.  The endpoint follows
 * AWS_EC2_METADATA_SERVICE_ENDPOINT like the SDKs (awsim's boot mode
 * points it at the instance's own metadata).
 */
#include "config.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "provider_aws.h"

#define IMDS_MAX 65536

static size_t
put(char *p, size_t size, size_t n, void *ud)
{
	struct soca_buf *b = ud;

	if (b->len + size * n > IMDS_MAX)
		return 0;
	soca_buf_add(b, p, size * n);
	return size * n;
}

static long
req(CURL *h, const char *url, const char *method, const char *hdr,
    struct soca_buf *out)
{
	struct curl_slist *hl = curl_slist_append(NULL, hdr);
	long st = -1;

	soca_buf_reset(out);
	soca_buf_add(out, "", 0);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, put);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	return st;
}

/* Each of n paths under /latest/meta-data/ into out[i]; -1 if any failed. */
int
soca_imds_get(const char *const *paths, char **out, size_t n)
{
	const char *e = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	char *base, *url, *tok = NULL;
	struct soca_buf b = { 0 };
	CURL *h = curl_easy_init();
	size_t l, i;
	int rc = -1;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (h == NULL)
		return -1;
	base = soca_xstrdup(e && *e ? e : "http://169.254.169.254");
	for (l = strlen(base); l > 0 && base[l - 1] == '/'; l--)
		base[l - 1] = '\0';
	url = soca_xasprintf("%s/latest/api/token", base);
	if (req(h, url, "PUT", "X-aws-ec2-metadata-token-ttl-seconds: 300",
	    &b) != 200)
		goto out;
	tok = soca_xasprintf("X-aws-ec2-metadata-token: %s", b.s);
	for (i = 0; i < n; i++) {
		free(url);
		url = soca_xasprintf("%s/latest/meta-data/%s", base, paths[i]);
		if (req(h, url, "GET", tok, &b) != 200)
			goto out;
		out[i] = soca_xstrndup(b.s, strcspn(b.s, "\r\n"));
	}
	rc = 0;
out:
	if (rc < 0)
		for (i = 0; i < n; i++) {
			free(out[i]);
			out[i] = NULL;
		}
	soca_buf_free(&b);
	free(tok);
	free(url);
	free(base);
	curl_easy_cleanup(h);
	return rc;
}
