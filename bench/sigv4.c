/*
 * sigv4.c: signatures per second of libsoca's SigV4 signer, for
 * bench/sigv4 (which sets it beside botocore and awscrt).  Each round
 * builds the same EC2 DescribeInstances POST and signs it in the
 * Authorization header, as soca-aws does for every attempt.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "aws.h"

static const char body[] = "Action=DescribeInstances&Version=2016-11-15"
    "&Filter.1.Name=instance-state-name&Filter.1.Value.1=running";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sign_one(const struct soca_aws_creds *c, const struct soca_sigv4 *s)
{
	struct soca_aws_req r;

	soca_aws_req_init(&r, "POST", "/", NULL);
	soca_aws_req_header(&r, "Host", "ec2.us-east-1.amazonaws.com");
	soca_aws_req_header(&r, "Content-Type",
	    "application/x-www-form-urlencoded; charset=utf-8");
	r.body = (const unsigned char *)body;
	r.bodylen = sizeof(body) - 1;
	soca_sigv4_sign(&r, c, s, NULL);
	soca_aws_req_free(&r);
}

int
main(int argc, char **argv)
{
	struct soca_aws_creds c = { "AKIDEXAMPLE",
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0, "bench" };
	struct soca_sigv4 s = { "us-east-1", "ec2", 1440938160, 0, 0 };
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t0 = now(), t;
	long n = 0;

	do {
		for (int i = 0; i < 1000; i++)
			sign_one(&c, &s);
		n += 1000;
	} while ((t = now() - t0) < secs);
	printf("%.0f\n", n / t);
	return 0;
}
