/*
 * soca.h: libsoca's base, shared by every command.
 *
 * Prototypes are grouped by the source file that defines them, as in
 * mblaze's blaze822.h.  Larger areas (aws, spool, dir, cost) keep their
 * own header beside this one and include it.
 */
#ifndef SOCA_H
#define SOCA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* exit codes, one per failure class (soca(7)) */
enum {
	SOCA_EX_OK = 0,		/* success */
	SOCA_EX_FALSE = 1,	/* false, no match, or partly failed */
	SOCA_EX_USAGE = 2,	/* usage or configuration error, bad input */
	SOCA_EX_TEMP = 3,	/* temporary failure: retry later */
};

/* util.c */
void *soca_xmalloc(size_t);
void *soca_xcalloc(size_t, size_t);
void *soca_xreallocarray(void *, size_t, size_t);
char *soca_xstrdup(const char *);
char *soca_xstrndup(const char *, size_t);
char *soca_xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
int soca_parse_int(const char *, long long min, long long max, long long *);
int soca_parse_bool(const char *, bool *);
int soca_parse_duration(const char *, long long *secs);
/* t as UTC ISO 8601, "2026-12-05T23:04:00Z" ("-" if it cannot be) */
void soca_time_utc(time_t t, char out[32]);
int soca_parse_size(const char *, unsigned long long *bytes);
int soca_parse_number(const char *, double *);
int soca_parse_usd(const char *, long long *cents);
char *soca_path_join(const char *dir, const char *name);
int soca_name_ok(const char *);
int soca_write_atomic(const char *path, const void *, size_t, mode_t);
int soca_fsync_dir(const char *path);
void soca_crashpoint(const char *);
int soca_args_or_stdin(int argc, char **argv, char ***items, size_t *n);
int soca_ids_or_stdin(int argc, char **argv, char ***items, size_t *n);
void soca_strv_free(char **, size_t);
int soca_strv_cmp(const void *, const void *);
bool soca_is_text(const void *, size_t);

/* buf.c: a growable string */
struct soca_buf {
	char *s;
	size_t len, cap;
};
void soca_buf_add(struct soca_buf *, const char *, size_t);
void soca_buf_adds(struct soca_buf *, const char *);
void soca_buf_addc(struct soca_buf *, char);
void soca_buf_addf(struct soca_buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void soca_buf_vaddf(struct soca_buf *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));
void soca_buf_reset(struct soca_buf *);
char *soca_buf_steal(struct soca_buf *);
void soca_buf_free(struct soca_buf *);
void soca_buf_esc(struct soca_buf *, const char *, size_t);
void soca_buf_shquote(struct soca_buf *, const char *);

/* conf.c: soca.conf(5) */
enum soca_type {
	SOCA_T_STRING,
	SOCA_T_INT,
	SOCA_T_BOOL,
	SOCA_T_DURATION,
	SOCA_T_SIZE,
	SOCA_T_NUMBER,
	SOCA_T_LIST,
	SOCA_T_ENUM,
	SOCA_T_PATH,
	SOCA_T_SECRET,		/* a path to a secret, or a secret: redacted */
	SOCA_T_USD,		/* a positive amount, at most cents: 12.50 */
};

struct soca_key {
	const char *name;
	enum soca_type type;
	const char *def;	/* built-in default, NULL for none */
	const char *choices;	/* SOCA_T_ENUM: "a|b|c" */
	long long min, max;	/* SOCA_T_INT: inclusive range when min < max */
	const char *doc;
};

struct soca_section_schema {
	const char *name;
	bool named;		/* [name "x"] */
	const struct soca_key *keys;
	const char *doc;
};

struct soca_conf;
struct soca_diag {
	char *file;
	int line;
	char *msg;
};

extern const struct soca_section_schema soca_schema[];
const struct soca_section_schema *soca_schema_section(const char *);
const struct soca_key *soca_schema_key(const struct soca_section_schema *,
    const char *);

const char *soca_conf_path(const char *opt);
struct soca_conf *soca_conf_load(const char *path);
struct soca_conf *soca_conf_parse(const char *name, const char *text, size_t);
void soca_conf_free(struct soca_conf *);
size_t soca_conf_ndiags(const struct soca_conf *);
const struct soca_diag *soca_conf_diag(const struct soca_conf *, size_t);
void soca_conf_check(struct soca_conf *);
const char *soca_conf_file(const struct soca_conf *);
const char *soca_conf_get(const struct soca_conf *, const char *section,
    const char *name, const char *key);
bool soca_conf_isset(const struct soca_conf *, const char *section,
    const char *name, const char *key);
long long soca_conf_int(const struct soca_conf *, const char *section,
    const char *name, const char *key);
bool soca_conf_bool(const struct soca_conf *, const char *section,
    const char *name, const char *key);
double soca_conf_number(const struct soca_conf *, const char *section,
    const char *name, const char *key);
size_t soca_conf_list(const struct soca_conf *, const char *section,
    const char *name, const char *key, char ***items);
size_t soca_conf_names(const struct soca_conf *, const char *section,
    char ***names);
bool soca_conf_has_section(const struct soca_conf *, const char *section,
    const char *name);
struct soca_conf *soca_conf_open(const char *opt);
struct soca_conf *soca_conf_must_be_sound(struct soca_conf *);
size_t soca_conf_report(struct soca_conf *);
int soca_split_list(const char *, char ***items, size_t *n);
char *soca_key_check(const struct soca_key *, const char *value);
void soca_conf_adddiag(struct soca_conf *, const char *section,
    const char *name, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* conf_check.c: cross-references between sections and keys */
bool soca_is_resource(const char *);
bool soca_is_job_key(const char *);
char *soca_instance_type_refused(const struct soca_conf *, const char *queue,
    const char *type);

/* desktop_sched.c: a name of the TZ database (schedules, [desktop]) */
bool soca_tz_ok(const char *tz);

/* out.c: tables, JSON Lines and CSV for every listing command */
enum soca_out_fmt { SOCA_OUT_TABLE, SOCA_OUT_JSON, SOCA_OUT_CSV };
enum soca_col_type { SOCA_COL_STR, SOCA_COL_INT, SOCA_COL_NUM, SOCA_COL_BOOL };

struct soca_col {
	const char *name;	/* JSON key and -o name */
	const char *head;	/* table header */
	enum soca_col_type type;
	bool right;		/* right-aligned in tables */
	bool hidden;		/* only shown when asked for with -o */
};

struct soca_out;
struct soca_out *soca_out_new(const struct soca_col *, size_t ncols,
    enum soca_out_fmt, bool noheadings, const char *select, FILE *);
void soca_out_str(struct soca_out *, const char *col, const char *);
void soca_out_int(struct soca_out *, const char *col, long long);
void soca_out_num(struct soca_out *, const char *col, double);
void soca_out_bool(struct soca_out *, const char *col, bool);
void soca_out_row(struct soca_out *);
int soca_out_end(struct soca_out *);
bool soca_out_select_ok(const struct soca_col *, size_t, const char *);
void soca_out_free(struct soca_out *);
int soca_out_list_columns(const struct soca_col *, size_t, FILE *);

#endif
