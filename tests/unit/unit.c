/*
 * unit.c: runs every group of libsoca unit tests and prints TAP.
 * `unit NAME...` runs only the named groups.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "tap.h"

int tap_n, tap_failed;

static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{ "util", t_util },
	{ "conf", t_conf },
	{ "out", t_out },
	{ "dir", t_dir },
	{ "sigv4", t_sigv4 },
	{ "aws", t_aws },
	{ "job", t_job },
	{ "cost", t_cost },
	{ "slurm", t_slurm },
	{ "files", t_files },
	{ "fsx", t_fsx },
};

static void
vline(bool pass, const char *fmt, va_list ap)
{
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	if (!pass)
		tap_failed++;
}

bool
tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("# at %s:%d\n", file, line);
	return pass;
}

bool
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	bool pass = (got == NULL && want == NULL) ||
	    (got && want && strcmp(got, want) == 0);
	va_list ap;

	va_start(ap, fmt);
	vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("# at %s:%d\n#   got: %s\n#  want: %s\n", file, line,
		    got ? got : "(null)", want ? want : "(null)");
	return pass;
}

bool
tap_is_int(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("# at %s:%d\n#   got: %lld\n#  want: %lld\n", file, line,
		    got, want);
	return got == want;
}

void
tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		bool run = argc < 2;
		for (int j = 1; j < argc; j++)
			run = run || strcmp(argv[j], groups[i].name) == 0;
		if (run) {
			tap_diag("group %s", groups[i].name);
			groups[i].fn();
		}
	}
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
