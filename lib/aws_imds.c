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

#include "aws.h"
#include "provider_aws.h"

/* a booting node may answer slowly: twice the credential chain's 1 s */
#define NODE_TIMEOUT_MS 2000L

/* Each of n paths under /latest/meta-data/ into out[i]; -1 if any failed. */
int
soca_imds_get(const char *const *paths, char **out, size_t n)
{
	char *base, *tok = NULL;
	struct soca_buf b = { 0 };
	CURL *h = curl_easy_init();
	size_t i;
	int rc = -1;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (h == NULL)
		return -1;
	base = soca_aws_imds_base();
	if (soca_aws_imds_req(h, base, "PUT", "/latest/api/token",
	    "X-aws-ec2-metadata-token-ttl-seconds: 300", NODE_TIMEOUT_MS, &b)
	    != 200)
		goto out;
	tok = soca_xasprintf("X-aws-ec2-metadata-token: %s", b.s);
	for (i = 0; i < n; i++) {
		char *path = soca_xasprintf("/latest/meta-data/%s", paths[i]);
		long st = soca_aws_imds_req(h, base, "GET", path, tok,
		    NODE_TIMEOUT_MS, &b);

		free(path);
		if (st != 200)
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
	free(base);
	curl_easy_cleanup(h);
	return rc;
}
