/*
 * fuzz-aws-ini.c: libFuzzer target for the shared config/credentials
 * file parser and the credential_process command-line splitter.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	json_t *j = soca_aws_ini_parse((const char *)data, len);
	char *text = soca_xstrndup((const char *)data, len), **v;
	size_t n;

	json_decref(j);
	if (soca_aws_split_cmdline(text, &v, &n) == 0)
		soca_strv_free(v, n);
	free(text);
	return 0;
}
