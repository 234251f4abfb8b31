/* t_util.c: parsing helpers, paths, atomic writes, escaping. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soca.h"
#include "tap.h"

static void
ints(void)
{
	long long v = 0;

	ok(soca_parse_int("42", 0, 100, &v) == 0 && v == 42, "int 42");
	ok(soca_parse_int("-1", 0, 100, &v) < 0, "int below range refused");
	ok(soca_parse_int("101", 0, 100, &v) < 0, "int above range refused");
	ok(soca_parse_int("4x", 0, 100, &v) < 0, "int trailing junk refused");
	ok(soca_parse_int("", 0, 100, &v) < 0, "empty int refused");
	ok(soca_parse_int(" 4", 0, 100, &v) < 0, "leading space refused");
	ok(soca_parse_int("99999999999999999999", 0, LLONG_MAX, &v) < 0,
	    "overflow refused");
	/* the digits-only fast path and strtoll agree at its edges */
	ok(soca_parse_int("-", LLONG_MIN, LLONG_MAX, &v) < 0, "a lone - refused");
	ok(soca_parse_int("+7", 0, 100, &v) == 0 && v == 7, "+7 is 7");
	ok(soca_parse_int("-0", -5, 5, &v) == 0 && v == 0, "-0 is 0");
	ok(soca_parse_int("-12", -100, 100, &v) == 0 && v == -12, "int -12");
	ok(soca_parse_int("999999999999999999", 0, LLONG_MAX, &v) == 0 &&
	    v == 999999999999999999LL, "18 digits");
	ok(soca_parse_int("9223372036854775807", 0, LLONG_MAX, &v) == 0 &&
	    v == LLONG_MAX, "19 digits: LLONG_MAX");
	ok(soca_parse_int("-9223372036854775808", LLONG_MIN, 0, &v) == 0 &&
	    v == LLONG_MIN, "LLONG_MIN");
	ok(soca_parse_int("12345678901234567890", 0, LLONG_MAX, &v) < 0,
	    "20 digits: overflow refused");
}

static void
durations_sizes(void)
{
	long long s = 0;
	unsigned long long b = 0;
	bool t;
	double d;

	ok(soca_parse_usd("12.50", &s) == 0 && s == 1250, "usd with cents");
	ok(soca_parse_usd("3.5", &s) == 0 && s == 350, "usd with dimes");
	ok(soca_parse_usd("25", &s) == 0 && s == 2500, "whole usd");
	ok(soca_parse_usd("0.01", &s) == 0 && s == 1, "one cent");
	ok(soca_parse_usd("1.234", &s) < 0, "usd past cents refused");
	ok(soca_parse_usd("0", &s) < 0 && soca_parse_usd("0.00", &s) < 0,
	    "usd 0 refused");
	ok(soca_parse_usd("-1", &s) < 0 && soca_parse_usd("1.", &s) < 0 &&
	    soca_parse_usd(".5", &s) < 0 && soca_parse_usd("1e3", &s) < 0 &&
	    soca_parse_usd("", &s) < 0, "usd forms refused");
	ok(soca_parse_duration("90", &s) == 0 && s == 90, "bare seconds");
	ok(soca_parse_duration("15m", &s) == 0 && s == 900, "minutes");
	ok(soca_parse_duration("1h30m", &s) == 0 && s == 5400, "compound");
	ok(soca_parse_duration("2d", &s) == 0 && s == 172800, "days");
	ok(soca_parse_duration("01:30:00", &s) == 0 && s == 5400,
	    "PBS HH:MM:SS");
	ok(soca_parse_duration("100:00:05", &s) == 0 && s == 360005,
	    "hours past a day");
	ok(soca_parse_duration("2:30", &s) == 0 && s == 150, "PBS MM:SS");
	ok(soca_parse_duration("1:60", &s) < 0, "seconds past 59 refused");
	ok(soca_parse_duration("1:2:3:4", &s) < 0, "four parts refused");
	ok(soca_parse_duration("1::2", &s) < 0, "empty part refused");
	ok(soca_parse_duration("1:30m", &s) < 0, "units and colons refused");
	ok(soca_parse_duration("5x", &s) < 0, "bad unit refused");
	ok(soca_parse_duration("m", &s) < 0, "unit alone refused");
	ok(soca_parse_duration("99999999999999999999d", &s) < 0,
	    "duration overflow refused");
	ok(soca_parse_size("512", &b) == 0 && b == 512, "bytes");
	ok(soca_parse_size("1M", &b) == 0 && b == 1048576, "1M");
	ok(soca_parse_size("20GiB", &b) == 0 && b == 20ULL << 30, "20GiB");
	ok(soca_parse_size("1.5K", &b) == 0 && b == 1536, "1.5K");
	ok(soca_parse_size("-1", &b) < 0, "negative size refused");
	ok(soca_parse_size("1Q", &b) < 0, "unknown size unit refused");
	ok(soca_parse_size("1.5", &b) < 0, "fractional bytes refused");
	ok(soca_parse_bool("Yes", &t) == 0 && t, "bool yes");
	ok(soca_parse_bool("off", &t) == 0 && !t, "bool off");
	ok(soca_parse_bool("maybe", &t) < 0, "bool maybe refused");
	ok(soca_parse_number("0.25", &d) == 0 && d == 0.25, "number");
	ok(soca_parse_number("abc", &d) < 0, "number abc refused");
	ok(soca_parse_number("nan", &d) < 0, "nan refused");
}

static void
paths(void)
{
	char *p;

	p = soca_path_join("/spool", "job");
	is_str(p, "/spool/job", "path join");
	free(p);
	p = soca_path_join("/spool/", "job");
	is_str(p, "/spool/job", "path join, trailing slash");
	free(p);
	errno = 0;
	ok(soca_path_join("/spool", "../etc") == NULL && errno == EINVAL,
	    "path join refuses ..");
	ok(soca_path_join("/spool", "a/b") == NULL, "path join refuses /");
	ok(soca_path_join("/spool", "") == NULL, "path join refuses empty");
	ok(soca_name_ok("job-shared"), "name job-shared");
	ok(!soca_name_ok("-rf"), "name -rf refused");
	ok(!soca_name_ok("a b"), "name with space refused");
	ok(!soca_name_ok("$(id)"), "name with $( refused");
	ok(!soca_name_ok(".."), "name .. refused");
}

static void
atomic(void)
{
	char dir[] = "/tmp/soca-unit-XXXXXX", *path, buf[64] = { 0 };
	struct stat st;
	FILE *f;

	ok(mkdtemp(dir) != NULL, "mkdtemp");
	path = soca_path_join(dir, "file");
	ok(soca_write_atomic(path, "one\n", 4, 0640) == 0, "atomic write");
	ok(soca_write_atomic(path, "two\n", 4, 0640) == 0, "atomic replace");
	f = fopen(path, "r");
	ok(f && fread(buf, 1, sizeof(buf) - 1, f) == 4, "read back");
	if (f)
		fclose(f);
	is_str(buf, "two\n", "content replaced whole");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "mode 0640");
	unlink(path);
	ok(rmdir(dir) == 0, "no temporary left behind");
	free(path);
	ok(soca_write_atomic("/nonexistent-dir/x", "x", 1, 0600) < 0,
	    "write into a missing directory fails");
}

static void
escaping(void)
{
	struct soca_buf b = { 0 };

	soca_buf_esc(&b, "a\x1b[2Jb\n\\", 8);
	is_str(b.s, "a\\x1b[2Jb\\n\\\\", "control characters escaped");
	soca_buf_reset(&b);
	soca_buf_esc(&b, "caf\xc3\xa9", 5);
	is_str(b.s, "caf\xc3\xa9", "valid UTF-8 kept");
	soca_buf_reset(&b);
	soca_buf_esc(&b, "\xc2\x9b" "31m", 5);
	is_str(b.s, "\\xc2\\x9b31m", "C1 control (CSI) escaped");
	soca_buf_reset(&b);
	soca_buf_esc(&b, "\xff\xc3", 2);
	is_str(b.s, "\\xff\\xc3", "invalid UTF-8 escaped");
	soca_buf_free(&b);
}

void
t_util(void)
{
	ints();
	durations_sizes();
	paths();
	atomic();
	escaping();
}
