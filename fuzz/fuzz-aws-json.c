/*
 * fuzz-aws-json.c: libFuzzer target for JSON 1.1 error answers and the
 * credential JSON of credential_process and IMDS.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws_creds c = { 0 };
	json_t *j;
	char *s;

	if (soca_aws_err_json(&e, 400, (const char *)data, len, NULL)) {
		s = soca_aws_err_str(&e);
		free(s);
		(void)soca_aws_err_exit(&e);
	}
	soca_aws_err_free(&e);
	if ((j = json_loadb((const char *)data, len, 0, NULL)) != NULL) {
		(void)soca_aws_creds_from_json(j, &c);
		soca_aws_creds_free(&c);
		json_decref(j);
	}
	return 0;
}
