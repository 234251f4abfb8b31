/*
 * ingroup.c: a test driver for soca_dir_user_in_group().  Reads lines
 * "USER GROUP" on stdin and answers each with "yes", "no" or "error N",
 * flushing after each, so a test can change the directory between
 * questions and see that answers come from the per-process cache.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "soca.h"
#include "dir.h"

int
main(void)
{
	struct soca_conf *c = soca_conf_open(NULL);
	struct soca_dir *d;
	char line[256], user[128], group[128];
	int rc;

	if ((rc = soca_dir_open(c, &d)) != 0)
		return rc;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "%127s %127s", user, group) != 2)
			continue;
		rc = soca_dir_user_in_group(d, user, group);
		if (rc < 0)
			printf("error %d\n", -rc);
		else
			puts(rc ? "yes" : "no");
		fflush(stdout);
	}
	soca_dir_close(d);
	soca_conf_free(c);
	return 0;
}
