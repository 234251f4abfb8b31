/*
 * files.h: file operations confined beneath a base directory (files.c),
 * for soca-files(1) and the web door's file browser.
 */
#ifndef SOCA_FILES_H
#define SOCA_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "soca.h"

#define SOCA_FILES_PATH_MAX 4095	/* bytes, as PATH_MAX less its NUL */
#define SOCA_FILES_NAME_MAX 255		/* bytes a component */

/* the rule a relative path breaks, NULL when it breaks none; "." (the
 * base itself) is allowed only with self */
const char *soca_files_path_bad(const char *, size_t len, bool self);

/* beneath BASE (an O_PATH directory fd), following symlinks that stay
 * beneath: an fd, or -1 with errno (EXDEV: leaves the base) */
int soca_files_open(int base, const char *path, int flags);
/* PATH's directory, opened O_PATH; *name points at its last component */
int soca_files_parent(int base, const char *path, const char **name);
/* true when symlinks are not followed (no openat2: the O_NOFOLLOW walk) */
extern bool soca_files_walking;

/* the message and exit code for an errno of the calls above */
const char *soca_files_why(int err);
int soca_files_exit(int err);

/* renameat2(RENAME_NOREPLACE), or link + unlink where the file system
 * has no such rename (NFS) */
int soca_files_rename_new(int fd1, const char *n1, int fd2, const char *n2);

/* remove NAME in DIR: a file, or a tree (symlinks removed, never
 * followed); SHOWN is the path as the user wrote it (ending in NAME),
 * *where gets the one that failed */
int soca_files_rmtree(int dir, const char *name, const char *shown,
    char **where);

/* stdin to NAME in DIR through a hidden temporary file, fsynced and
 * renamed into place; max 0 for no cap (EFBIG past it), force to replace
 * an existing file (EEXIST otherwise) */
int soca_files_put(int dir, const char *name, int in, unsigned long long max,
    bool force);

/* one listing entry */
const char *soca_files_type(mode_t);
void soca_files_mtime(const struct timespec *, char out[32]);

#endif
