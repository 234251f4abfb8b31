/* fuzz-aws-xml.c: libFuzzer target for EC2/S3 XML answers and errors. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct soca_aws_err e = { 0 };
	char *root = NULL, *s;
	json_t *j = soca_aws_xml_to_json((const char *)data, len, &root);

	if (j && (s = json_dumps(j, JSON_COMPACT)) != NULL)
		free(s);
	json_decref(j);
	free(root);
	if (soca_aws_err_xml(&e, 400, (const char *)data, len, "rid")) {
		s = soca_aws_err_str(&e);
		free(s);
	}
	soca_aws_err_free(&e);
	return 0;
}
