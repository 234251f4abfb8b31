/*
 * aws_retry.c: the SDKs' "standard" retry mode.
 *
 * What is retried (connection errors, 5xx, 429, the throttling and
 * transient codes), how long to wait (full jitter, capped at 20 s) and
 * the client-wide retry quota (500 tokens, 5 per retry, 10 after a
 * timeout, refunded on success) follow botocore's retries/standard.py and
 * quota.py as described in docs/aws-wire-protocols.md.
 * SOCA_AWS_BACKOFF_SCALE multiplies every delay; it exists for tests only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aws.h"

static const char *const retry_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
	"SlowDown", "EC2ThrottledException", NULL,
};

void
soca_aws_retry_init(struct soca_aws_retry *r, int max_attempts)
{
	const char *s = getenv("AWS_MAX_ATTEMPTS");
	long long n;

	r->max_attempts = max_attempts > 0 ? max_attempts : 3;
	if (s && soca_parse_int(s, 1, 20, &n) == 0)
		r->max_attempts = (int)n;
	r->quota = 500;
	r->last_cost = 0;
	r->scale = 1.0;
	if ((s = getenv("SOCA_AWS_BACKOFF_SCALE")) != NULL &&
	    soca_parse_number(s, &r->scale) != 0)
		r->scale = 1.0;
	if (r->scale < 0)
		r->scale = 0;
}

bool
soca_aws_retryable(const struct soca_aws_err *e)
{
	if (e->kind == SOCA_AWS_E_NET)
		return true;
	if (e->kind != SOCA_AWS_E_SERVICE)
		return false;
	if (e->status == 429 || e->status == 500 || e->status == 502 ||
	    e->status == 503 || e->status == 504)
		return true;
	for (size_t i = 0; e->code && retry_codes[i]; i++)
		if (strcmp(e->code, retry_codes[i]) == 0)
			return true;
	return false;
}

/* May this failure be retried, quota permitting?  Takes the tokens. */
bool
soca_aws_retry_take(struct soca_aws_retry *r, const struct soca_aws_err *e)
{
	int cost = e->timeout ? 10 : 5;

	if (!soca_aws_retryable(e) || r->quota < cost)
		return false;
	r->quota -= cost;
	r->last_cost = cost;
	return true;
}

void
soca_aws_retry_success(struct soca_aws_retry *r, int attempts)
{
	r->quota += attempts <= 1 ? 1 : r->last_cost;
	if (r->quota > 500)
		r->quota = 500;
}

/* Seconds to wait after failed attempt number `attempt` (1-based). */
double
soca_aws_retry_delay(const struct soca_aws_retry *r, int attempt)
{
	double cap = 1.0;

	for (int i = 1; i < attempt && cap < 20; i++)
		cap *= 2;
	if (cap > 20)
		cap = 20;
	return r->scale * cap * (arc4random() / 4294967296.0);
}
