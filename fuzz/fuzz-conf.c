/* fuzz-conf.c: libFuzzer target for the soca.conf parser and checker. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "soca.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct soca_conf *c = soca_conf_parse("fuzz.conf", (const char *)data,
	    len);
	char **names;
	size_t n = soca_conf_names(c, "queue", &names);

	soca_conf_check(c);
	for (size_t i = 0; i < n; i++) {
		(void)soca_conf_int(c, "queue", names[i], "nodes");
		(void)soca_conf_get(c, "queue", names[i], "instance_type");
	}
	soca_strv_free(names, n);
	soca_conf_free(c);
	return 0;
}
