/*
 * archive.h: finished jobs archived to S3 (archive.c), for soca-archive
 * and soca-stat --since; the nodes' bootstrap logs and soca's rotated
 * logs likewise (archive_files.c).
 */
#ifndef SOCA_ARCHIVE_H
#define SOCA_ARCHIVE_H

#include <stdio.h>

#include "aws.h"
#include "job.h"

struct soca_archive {
	const struct soca_conf *conf;
	struct soca_spool *sp;
	struct soca_aws *aws;		/* NULL with dry_run */
	const char *bucket, *prefix, *cluster;
	const char *live;		/* [web] audit_log: never archived */
	char **logs;			/* [archive] logs, globs; NULL: none */
	size_t nlogs;
	long long keep, part_size, now;
	bool dry_run;
	int verbose;
	FILE *out;			/* one line per object, or NULL */
	/* what the run did */
	long long jobs, objects, uploaded, present, bytes, parts, removed,
	    recovered, files, files_removed;
	bool partial;			/* a file could not be read */
};

int soca_archive_conf(struct soca_archive *, const struct soca_conf *,
    char **why);
int soca_archive_run(struct soca_archive *, struct soca_aws_err *);
void soca_archive_gzip(const void *, size_t, struct soca_buf *);
/* archive_files.c: [archive] logs into ar->logs; soca_archive_run calls
 * soca_archive_files after the jobs */
void soca_archive_files_conf(struct soca_archive *);
void soca_archive_files_free(struct soca_archive *);
int soca_archive_files(struct soca_archive *, struct soca_aws_err *);
void soca_archive_key(const struct soca_archive *, long long day,
    const char *hash, struct soca_buf *);
/* each job archived at or after since: fn owns it (soca_job_free) */
int soca_archive_read(struct soca_archive *, long long since,
    void (*fn)(struct soca_job *, void *), void *, struct soca_aws_err *);

#endif
