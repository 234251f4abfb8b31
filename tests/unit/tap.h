/*
 * tap.h: a minimal TAP producer for libsoca's unit tests.  Each t_*.c
 * file defines one function named in unit.c; checks print `ok N - what`
 * or `not ok N - what` with the values that differed.
 */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int tap_n, tap_failed;

bool tap_ok(bool, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool tap_is_int(long long got, long long want, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tap_skip(const char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ok(c, ...) tap_ok((c), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(g, w, ...) tap_is_str((g), (w), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(g, w, ...) tap_is_int((g), (w), __FILE__, __LINE__, __VA_ARGS__)

/* the test groups, one per t_*.c */
void t_util(void);
void t_cost(void);
void t_slurm(void);
void t_conf(void);
void t_out(void);
void t_dir(void);
void t_sigv4(void);
void t_aws(void);
void t_job(void);
void t_files(void);
void t_fsx(void);

#endif
