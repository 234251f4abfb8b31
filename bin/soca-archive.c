/*
 * soca-archive: finished jobs older than [archive] keep leave the spool
 * for S3, one gzip-compressed JSON Lines object per day (lib/archive.c),
 * removed from the spool only once S3 reports the object's checksum;
 * then the nodes' bootstrap logs and soca's rotated logs, an object a
 * file (lib/archive_files.c).  For cron.  Prints one line per object:
 * uploaded, present (there from an earlier run), finished (a run's
 * journal completed) or, with --dry-run, would upload; -J one JSON
 * summary instead.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "desktop.h"

static const char usage_text[] = "usage: soca-archive [-Jv] [--dry-run]\n";

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void
summary(const struct soca_archive *ar, int rc)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:i}", "bucket", ar->bucket, "prefix",
	    ar->prefix, "dry_run", ar->dry_run, "jobs", (json_int_t)ar->jobs,
	    "objects", (json_int_t)ar->objects, "uploaded",
	    (json_int_t)ar->uploaded, "present", (json_int_t)ar->present,
	    "bytes", (json_int_t)ar->bytes, "parts", (json_int_t)ar->parts,
	    "removed", (json_int_t)ar->removed, "recovered",
	    (json_int_t)ar->recovered, "files", (json_int_t)ar->files,
	    "files_removed", (json_int_t)ar->files_removed, "exit", rc);

	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
}

static int
run(struct soca_archive *ar, bool json)
{
	struct soca_aws_cfg cfg = { .conf = ar->conf,
	    .verbose = ar->verbose > 1 };
	struct soca_aws_err e = { 0 };
	int rc = SOCA_EX_OK;
	char *s;

	if (!ar->dry_run && (ar->aws = soca_aws_new(&cfg, &e)) == NULL)
		rc = soca_aws_err_exit(&e);
	else if (soca_archive_run(ar, &e) < 0)
		rc = soca_aws_err_exit(&e);
	if (rc != SOCA_EX_OK) {
		s = soca_aws_err_str(&e);
		warnx("%s", s);
		free(s);
	} else if (ar->partial)
		rc = SOCA_EX_FALSE;	/* a file could not be read or removed */
	if (json)
		summary(ar, rc);
	else if (ar->verbose)
		fprintf(stderr, "soca-archive: %lld jobs and %lld files in %lld "
		    "objects, %lld uploaded, %lld present, %lld jobs and %lld "
		    "files removed\n", ar->jobs, ar->files, ar->objects,
		    ar->uploaded, ar->present, ar->removed, ar->files_removed);
	soca_aws_err_free(&e);
	soca_aws_free(ar->aws);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dry-run", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 } };
	struct soca_archive ar = { 0 };
	struct soca_conf *c;
	bool json = false;
	char *why = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "hJv", lo, NULL)) != -1)
		switch (ch) {
		case 'D': ar.dry_run = true; break;
		case 'h': usage(0);
		case 'J': json = true; break;
		case 'v': ar.verbose++; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (optind < argc)
		usage(SOCA_EX_USAGE);
	soca_priv_init();
	soca_priv_lose();
	c = soca_conf_must();
	if (soca_archive_conf(&ar, c, &why) < 0)
		errx(SOCA_EX_USAGE, "%s", why);
	soca_archive_files_conf(&ar);
	ar.now = soca_desk_now();	/* SOCA_NOW in tests */
	ar.out = json ? NULL : stdout;
	ar.sp = soca_spool_open(c, false);	/* NULL: no spool, no jobs */
	rc = run(&ar, json);
	soca_archive_files_free(&ar);
	if (ar.sp != NULL)
		soca_spool_close(ar.sp);
	soca_conf_free(c);
	return rc;
}
