/*
 * soca-spool: look after the spool.  `check` reports what crashes left
 * behind (temporary files of dead processes, scripts of jobs never
 * published, a job recorded in two states); with --repair it removes
 * them, keeping the later state.  Exit 0 when the spool is clean (or was
 * repaired), 1 when check found leftovers it did not repair.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

static const char usage_text[] =
    "usage: soca-spool check [--repair]\n"
    "       soca-spool init [group]\n"
    "       soca-spool path\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* A shared spool: root:group, mode 2770, written through setgid tools. */
static int
init(const struct soca_conf *c, const char *group)
{
	const char *dir = soca_conf_get(c, "cluster", NULL, "spool");
	struct group *gr = NULL;
	struct soca_spool *sp;

	if (group != NULL && (gr = getgrnam(group)) == NULL)
		errx(SOCA_EX_USAGE, "group %s: no such group (create it, e.g. "
		    "groupadd %s)", group, group);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		err(SOCA_EX_TEMP, "%s", dir);
	if (gr != NULL && (chown(dir, 0, gr->gr_gid) < 0 ||
	    chmod(dir, 02770) < 0))
		err(SOCA_EX_TEMP, "%s", dir);
	sp = soca_spool_open(c, true);
	printf("%s: ready%s%s\n", dir, gr ? " for group " : "",
	    gr ? group : "");
	soca_spool_close(sp);
	return SOCA_EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "repair", no_argument, NULL, 'r' }, { NULL, 0, NULL, 0 } };
	struct soca_conf *c;
	struct soca_spool *sp;
	bool repair = false;
	int ch, found;

	while ((ch = getopt_long(argc, argv, "hr", lo, NULL)) != -1)
		switch (ch) {
		case 'h': usage(0);
		case 'r': repair = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (strcmp(argv[0], "init") == 0 ? argc > 2 : argc != 1) ||
	    (strcmp(argv[0], "check") != 0 && strcmp(argv[0], "path") != 0 &&
	    strcmp(argv[0], "init") != 0))
		usage(SOCA_EX_USAGE);
	soca_priv_init();
	soca_priv_lose();
	c = soca_conf_must();
	if (strcmp(argv[0], "init") == 0) {
		found = init(c, argc == 2 ? argv[1] : NULL);
		soca_conf_free(c);
		return found;
	}
	if (strcmp(argv[0], "path") == 0) {
		puts(soca_conf_get(c, "cluster", NULL, "spool"));
		soca_conf_free(c);
		return SOCA_EX_OK;
	}
	if ((sp = soca_spool_open(c, false)) == NULL) {
		printf("%s: no spool yet\n", soca_conf_get(c, "cluster", NULL,
		    "spool"));
		soca_conf_free(c);
		return SOCA_EX_OK;
	}
	if ((found = soca_spool_check(sp, repair, stdout)) < 0)
		err(SOCA_EX_TEMP, "%s", soca_spool_dir(sp));
	if (found == 0)
		printf("%s: clean\n", soca_spool_dir(sp));
	soca_spool_close(sp);
	soca_conf_free(c);
	return found > 0 && !repair ? SOCA_EX_FALSE : SOCA_EX_OK;
}
