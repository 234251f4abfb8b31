/*
 * qsub: PBS's qsub over soca-submit, which takes qsub's options itself
 * (and refuses, by name, those soca does not do).  What qsub adds: the
 * id printed ID.SERVER, -z (print nothing), --version.  Job arrays (-J)
 * pass through to soca-submit.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pbs.h"

int
main(int argc, char **argv)
{
	struct soca_buf out = { 0 };
	struct soca_conf *c;
	char **av;
	int n = 0, rc;
	bool quiet = false, opts = true;

	if (soca_pbs_version(argc, argv))
		return SOCA_EX_OK;
	c = soca_conf_must();
	av = soca_xcalloc((size_t)argc + 1, sizeof(*av));
	av[n++] = "soca-submit";
	for (int i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0)
			opts = false;
		else if (opts && strcmp(argv[i], "-z") == 0) {
			quiet = true;	/* PBS: do not print the job id */
			continue;
		} else if (opts && argv[i][0] != '-')
			opts = false;	/* the script: the rest is its */
		else if (opts && argv[i][1] && strchr("aAcCejJklmMNopPqrRSuvW",
		    argv[i][1]) && argv[i][2] == '\0' && i + 1 < argc)
			av[n++] = argv[i++];	/* an option and its value */
		av[n++] = argv[i];
	}
	rc = soca_pbs_run("soca-submit", av, &out, SOCA_PBS_STDIN);
	if (rc == SOCA_EX_OK && !quiet && out.len > 0) {
		out.s[strcspn(out.s, "\n")] = '\0';
		printf("%s.%s\n", out.s, soca_pbs_server(c));
	}
	soca_buf_free(&out);
	free(av);
	soca_conf_free(c);
	return rc;
}
