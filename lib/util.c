/*
 * util.c: the small helpers every command shares.
 *
 * Allocation that exits on failure (commands are short-lived and have no
 * better answer to ENOMEM), strict number/size/duration parsing used by
 * both soca.conf and job resources, safe path joining, and the atomic
 * write-then-rename every durable file in soca goes through.
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "soca.h"

void *
soca_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		err(SOCA_EX_TEMP, "malloc");
	return p;
}

void *
soca_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		err(SOCA_EX_TEMP, "calloc");
	return p;
}

void *
soca_xreallocarray(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size ? size : 1);
	if (p == NULL)
		err(SOCA_EX_TEMP, "realloc");
	return p;
}

char *
soca_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		err(SOCA_EX_TEMP, "strdup");
	return p;
}

char *
soca_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		err(SOCA_EX_TEMP, "strndup");
	return p;
}

char *
soca_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		err(SOCA_EX_TEMP, "asprintf");
	return s;
}

/* A whole decimal integer in [min, max]; no sign games, no trailing junk. */
int
soca_parse_int(const char *s, long long min, long long max, long long *out)
{
	const char *p;
	char *end;
	long long v, x = 0;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	/* most values are a few digits: no strtoll (a listing asks twice a job) */
	for (p = s + (*s == '-'); *p >= '0' && *p <= '9' && p - s < 18; p++)
		x = x * 10 + (*p - '0');
	if (*p == '\0' && p > s + (*s == '-')) {
		x = *s == '-' ? -x : x;
		if (x < min || x > max)
			return -1;
		*out = x;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
soca_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "true", "yes", "on", "1" };
	static const char *no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

int
soca_parse_number(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* USD: digits, then at most two after a point; more than 0 (in cents) */
int
soca_parse_usd(const char *s, long long *cents)
{
	size_t n = strspn(s, "0123456789"), f = 0;
	long long v;

	if (n == 0 || n > 12)
		return -1;
	v = strtoll(s, NULL, 10) * 100;
	if (s[n] == '.') {
		f = strspn(s + n + 1, "0123456789");
		if (f == 0 || f > 2)
			return -1;
		v += strtoll(s + n + 1, NULL, 10) * (f == 1 ? 10 : 1);
		n += 1 + f;
	}
	if (s[n] != '\0' || v <= 0)
		return -1;
	*cents = v;
	return 0;
}

/* PBS's walltime form [[HH:]MM:]SS, each part digits, seconds < 60 when a
 * minute part stands before them (likewise minutes before hours). */
static int
clock_duration(const char *s, long long *secs)
{
	long long part[3], total = 0;
	int n = 0;

	for (;;) {
		long long v = 0;
		const char *p = s;

		while (isdigit((unsigned char)*p)) {
			if (v > (LLONG_MAX - 9) / 10)
				return -1;
			v = v * 10 + (*p++ - '0');
		}
		if (p == s || n == 3)
			return -1;
		part[n++] = v;
		if (*p == '\0')
			break;
		if (*p != ':')
			return -1;
		s = p + 1;
	}
	for (int i = 0; i < n; i++) {
		if (i > 0 && part[i] > 59)
			return -1;
		if (total > (LLONG_MAX - part[i]) / 60)
			return -1;
		total = total * 60 + part[i];
	}
	*secs = total;
	return 0;
}

/* "90", "90s", "15m", "2h", "1d", "1h30m": seconds. */
int
soca_parse_duration(const char *s, long long *secs)
{
	long long total = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (strchr(s, ':') != NULL)
		return clock_duration(s, secs);
	while (*s != '\0') {
		long long v = 0, mul;
		const char *p = s;

		while (isdigit((unsigned char)*p)) {
			if (v > (LLONG_MAX - 9) / 10)
				return -1;
			v = v * 10 + (*p++ - '0');
		}
		if (p == s)
			return -1;
		switch (*p) {
		case '\0': mul = 1; break;
		case 's': mul = 1; p++; break;
		case 'm': mul = 60; p++; break;
		case 'h': mul = 3600; p++; break;
		case 'd': mul = 86400; p++; break;
		case 'w': mul = 604800; p++; break;
		default: return -1;
		}
		if (v > (LLONG_MAX - total) / mul)
			return -1;
		total += v * mul;
		s = p;
	}
	*secs = total;
	return 0;
}

/* "512", "10K", "1.5G", "20GiB", "300MB": bytes, binary multiples. */
int
soca_parse_size(const char *s, unsigned long long *bytes)
{
	static const char units[] = "KMGTP";
	const char *u;
	char *end;
	double v, mul = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || v < 0)
		return -1;
	if (*end != '\0') {
		if ((u = strchr(units, toupper((unsigned char)*end))) == NULL ||
		    *end == '\0')
			return -1;
		for (long i = 0; i <= u - units; i++)
			mul *= 1024;
		end++;
		if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0 ||
		    strcmp(end, "b") == 0)
			end += strlen(end);
		if (*end != '\0')
			return -1;
	} else if (v != floor(v))
		return -1;
	v *= mul;
	if (v >= 18446744073709551615.0)
		return -1;
	*bytes = (unsigned long long)v;
	return 0;
}

/* A name that is safe as one path component and one word in a shell. */
int
soca_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	if (s[0] == '-' || s[0] == '.')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

/* dir + "/" + name, where name must be a single harmless component. */
char *
soca_path_join(const char *dir, const char *name)
{
	if (name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errno = EINVAL;
		return NULL;
	}
	return soca_xasprintf("%s%s%s", dir,
	    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

int
soca_fsync_dir(const char *path)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/*
 * Tests set SOCA_CRASH_AT=name to die at a named point, as a power cut
 * would; production never sets it.
 */
void
soca_crashpoint(const char *name)
{
	const char *at = getenv("SOCA_CRASH_AT");

	if (at != NULL && strcmp(at, name) == 0) {
		signal(SIGKILL, SIG_DFL);
		raise(SIGKILL);
	}
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Write a file so that a crash leaves either the old content or the new
 * one: a hidden temporary in the same directory, fsync, rename, fsync
 * the directory.
 */
int
soca_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *dir, *tmp, *slash;
	int fd, saved;

	dir = soca_xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash == dir ? (void)(slash[1] = '\0') : (void)(*slash = '\0');
	else
		strcpy(dir, ".");
	slash = strrchr(path, '/');
	tmp = soca_xasprintf("%s/.tmp.%ld.%s", dir, (long)getpid(),
	    slash ? slash + 1 : path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	if (close(fd) < 0 || (soca_crashpoint("atomic-before-rename"), 0) ||
	    rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	soca_fsync_dir(dir);
	free(tmp);
	free(dir);
	return 0;
fail:
	free(tmp);
	free(dir);
	return -1;
}

static void
push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = soca_xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = s;
}

/*
 * Items from the arguments, else one per line on stdin when stdin is not
 * a terminal (mblaze's rule).  Blank lines are skipped.
 */
int
soca_args_or_stdin(int argc, char **argv, char ***items, size_t *n)
{
	size_t cap = 0, linecap = 0;
	char *line = NULL;
	ssize_t len;

	*items = NULL;
	*n = 0;
	if (argc > 0) {
		for (int i = 0; i < argc; i++)
			push(items, n, &cap, soca_xstrdup(argv[i]));
		return 0;
	}
	if (isatty(STDIN_FILENO))
		return 0;
	while ((len = getline(&line, &linecap, stdin)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		    line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len > 0)
			push(items, n, &cap, soca_xstrdup(line));
	}
	free(line);
	return ferror(stdin) ? -1 : 0;
}

/* The first field of a line: up to a blank or a comma (tables and CSV),
 * or the "id" of a JSON object (-J); NULL for a line with none. */
static char *
first_field(const char *line)
{
	json_t *j, *v;
	char *s = NULL;
	size_t len;

	line += strspn(line, " \t");
	if (*line != '{') {
		len = strcspn(line, " \t,\r\n");
		return len ? soca_xstrndup(line, len) : NULL;
	}
	if ((j = json_loads(line, 0, NULL)) == NULL)
		return soca_xstrdup(line);
	v = json_object_get(j, "id");
	if (json_is_integer(v))
		s = soca_xasprintf("%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		s = soca_xstrdup(json_string_value(v));
	json_decref(j);
	return s ? s : soca_xstrdup(line);
}

/* A header's first field is a word (ID, id, JOBID); an id starts with a
 * digit, and anything else is left for the caller to refuse. */
static bool
is_header(const char *field)
{
	for (const char *p = field; *p; p++)
		if (!isalpha((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

/*
 * Job ids from the arguments, else from stdin when it is not a terminal:
 * one a line, or the first column of a table or CSV (what soca-stat
 * prints), or the "id" of JSON Lines; a first line that is a header is
 * skipped.
 */
int
soca_ids_or_stdin(int argc, char **argv, char ***items, size_t *n)
{
	size_t cap = 0, linecap = 0;
	char *line = NULL, *f;
	bool first = true;

	if (argc > 0 || isatty(STDIN_FILENO))
		return soca_args_or_stdin(argc, argv, items, n);
	*items = NULL;
	*n = 0;
	while (getline(&line, &linecap, stdin) >= 0) {
		if ((f = first_field(line)) == NULL)
			continue;
		if (first && (first = false, is_header(f)))
			free(f);
		else
			push(items, n, &cap, f);
	}
	free(line);
	return ferror(stdin) ? -1 : 0;
}

void
soca_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* qsort(3)'s comparison of two char * elements, by strcmp */
int
soca_strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Text: no NUL bytes and valid enough to be a script or a config. */
bool
soca_is_text(const void *data, size_t len)
{
	return memchr(data, '\0', len) == NULL;
}

void
soca_time_utc(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(out, "-");
}
