/*
 * floor.c: the floor under a durable submission, for bench/jobs.sh.  One
 * run is one exec of a small static program plus one durable file write
 * (write, fsync, rename, fsync the directory): what any command that
 * stores a job safely must at least pay.  soca-submit is measured against
 * it in the same loop.
 *
 *   floor DIR      writes DIR/PID (a record-sized file), exit 0
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char rec[] = "id=1\nstate=queued\nuid=0\ngid=0\nuser=root\n"
    "queue=normal\nname=bench\nworkdir=/tmp\nsubmit=0\nres=nodes=1\n"
    "res=ncpus=1\nscript=#!/bin/sh\\nexec 'true'\\n\n";

int
main(int argc, char **argv)
{
	char tmp[64], name[64];
	int d, fd;

	if (argc != 2 || (d = open(argv[1], O_RDONLY | O_DIRECTORY)) < 0)
		return 2;
	snprintf(tmp, sizeof(tmp), ".%ld.tmp", (long)getpid());
	snprintf(name, sizeof(name), "%ld", (long)getpid());
	if ((fd = openat(d, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, rec, strlen(rec)) != (ssize_t)strlen(rec) ||
	    fsync(fd) < 0 || close(fd) < 0 ||
	    renameat(d, tmp, d, name) < 0 || fsync(d) < 0)
		return 1;
	return 0;
}
