/*
 * desktop_sched.c: a desktop's week -- one window a weekday, in the
 * desktop's own time zone.
 *
 * Syntax (soca-desktop schedule): pairs of DAYS WINDOW, e.g.
 * `mon-fri 08:00-19:00 sat off sun all-day`.  DAYS is a day (mon..sun),
 * a range (mon-fri), a comma list of those, or daily, weekdays, weekend;
 * WINDOW is HH:MM-HH:MM (start before end, 24:00 allowed as an end),
 * off, or all-day.  Days not named are off.  Later pairs override
 * earlier ones.
 *
 * Windows are wall-clock times: they are evaluated with localtime_r and
 * mktime under TZ set to the desktop's zone (the TZ database's rules), so
 * 08:00 stays 08:00 across a DST change, a window on the day the clocks
 * go forward or back is as long as the wall clock says, and a start
 * inside the skipped hour happens at the first minute that exists.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "desktop.h"

#ifndef ZONEINFO
#define ZONEINFO "/usr/share/zoneinfo"
#endif

static const char *const days[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncmp(s, days[i], 3) == 0)
			return i;
	return -1;
}

/* DAYS -> a bit per weekday; 0 if not days */
static unsigned
parse_days(const char *s)
{
	unsigned m = 0;

	if (strcmp(s, "daily") == 0 || strcmp(s, "all") == 0)
		return 0x7f;
	if (strcmp(s, "weekdays") == 0)
		return 0x3e;
	if (strcmp(s, "weekend") == 0)
		return 0x41;
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *dash = memchr(s, '-', n);
		int a, b;

		if (dash) {
			a = day_index(s, (size_t)(dash - s));
			b = day_index(dash + 1, n - (size_t)(dash - s) - 1);
		} else
			a = b = day_index(s, n);
		if (a < 0 || b < 0)
			return 0;
		for (int d = a;; d = (d + 1) % 7) {	/* fri-mon wraps */
			m |= 1u << d;
			if (d == b)
				break;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return m;
}

static int
hhmm(const char *s, size_t n)
{
	if (n != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] -
	    '0';

	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* WINDOW -> [start, end); 0 ok, -1 bad */
static int
parse_window(const char *s, short *start, short *end)
{
	const char *dash;
	int a, b;

	if (strcmp(s, "off") == 0) {
		*start = *end = 0;
		return 0;
	}
	if (strcmp(s, "all-day") == 0) {
		*start = 0;
		*end = 1440;
		return 0;
	}
	if ((dash = strchr(s, '-')) == NULL ||
	    (a = hhmm(s, (size_t)(dash - s))) < 0 ||
	    (b = hhmm(dash + 1, strlen(dash + 1))) < 0 || a >= b || a == 1440)
		return -1;
	*start = (short)a;
	*end = (short)b;
	return 0;
}

bool
soca_tz_ok(const char *tz)
{
	struct stat st;
	char *p, magic[4];
	FILE *f;
	bool ok;

	if (*tz == '\0' || *tz == '/' || strlen(tz) > 60 || strstr(tz, ".."))
		return false;
	for (const char *s = tz; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("/_+-", *s) == NULL)
			return false;
	p = soca_xasprintf("%s/%s", ZONEINFO, tz);
	ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	    (f = fopen(p, "r")) != NULL;
	if (ok) {
		ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
		fclose(f);
	}
	free(p);
	return ok;
}

int
soca_sched_parse(char **argv, int argc, const char *tz, struct soca_sched *s,
    char **why)
{
	memset(s, 0, sizeof(*s));
	if (!soca_tz_ok(tz)) {
		*why = soca_xasprintf("time zone \"%s\": not in the TZ database "
		    "(%s); give a name like Europe/Paris or America/New_York",
		    tz, ZONEINFO);
		return -1;
	}
	snprintf(s->tz, sizeof(s->tz), "%s", tz);
	if (argc % 2 != 0) {
		*why = soca_xasprintf("\"%s\": a schedule is pairs of DAYS "
		    "WINDOW; give e.g. mon-fri 08:00-19:00 sat off",
		    argv[argc - 1]);
		return -1;
	}
	for (int i = 0; i < argc; i += 2) {
		unsigned m = parse_days(argv[i]);
		short a, b;

		if (m == 0) {
			*why = soca_xasprintf("days \"%s\": not days (mon..sun, "
			    "a range like mon-fri, a list like mon,wed, daily, "
			    "weekdays, weekend)", argv[i]);
			return -1;
		}
		if (parse_window(argv[i + 1], &a, &b) < 0) {
			*why = soca_xasprintf("window \"%s\": not a window "
			    "(HH:MM-HH:MM with start before end, off, or "
			    "all-day); give e.g. 08:00-19:00", argv[i + 1]);
			return -1;
		}
		for (int d = 0; d < 7; d++)
			if (m & (1u << d)) {
				s->start[d] = a;
				s->end[d] = b;
			}
	}
	s->set = argc > 0;
	return 0;
}

static void
window_str(struct soca_buf *b, int start, int end)
{
	if (start == end)
		soca_buf_adds(b, "off");
	else if (start == 0 && end == 1440)
		soca_buf_adds(b, "all-day");
	else
		soca_buf_addf(b, "%02d:%02d-%02d:%02d", start / 60, start % 60,
		    end / 60, end % 60);
}

/* "mon-fri 08:00-19:00 sat off sun all-day", days grouped, from monday */
void
soca_sched_str(const struct soca_sched *s, struct soca_buf *b)
{
	if (!s->set) {
		soca_buf_adds(b, "none");
		return;
	}
	for (int i = 0; i < 7; ) {
		int d = (i + 1) % 7, k = i + 1;

		while (k < 7 && s->start[(k + 1) % 7] == s->start[d] &&
		    s->end[(k + 1) % 7] == s->end[d])
			k++;
		if (b->len)
			soca_buf_addc(b, ' ');
		soca_buf_adds(b, days[d]);
		if (k - 1 > i)
			soca_buf_addf(b, "-%s", days[k % 7]);
		soca_buf_addc(b, ' ');
		window_str(b, s->start[d], s->end[d]);
		i = k;
	}
}

void
soca_sched_write(const struct soca_sched *s, struct soca_buf *b)
{
	if (!s->set)
		return;
	soca_buf_addf(b, "sched 1\ntz %s\n", s->tz);
	for (int d = 0; d < 7; d++)
		soca_buf_addf(b, "day %d %d %d\n", d, s->start[d], s->end[d]);
}

int
soca_sched_read_line(struct soca_sched *s, const char *line)
{
	int d, a, e;

	if (strncmp(line, "sched ", 6) == 0)
		s->set = atoi(line + 6) != 0;
	else if (strncmp(line, "tz ", 3) == 0)
		snprintf(s->tz, sizeof(s->tz), "%s", line + 3);
	else if (sscanf(line, "day %d %d %d", &d, &a, &e) == 3 && d >= 0 &&
	    d < 7 && a >= 0 && e <= 1440 && a <= e) {
		s->start[d] = (short)a;
		s->end[d] = (short)e;
	} else
		return -1;
	return 0;
}

/* the instant of minute `min` of the local day of tm (day offset back) */
static time_t
local_at(const struct tm *tm, int back, int min)
{
	struct tm t = *tm;

	t.tm_mday -= back;
	t.tm_hour = 0;
	t.tm_min = min;
	t.tm_sec = 0;
	t.tm_isdst = -1;
	return mktime(&t);
}

static char *saved_tz;
static bool had_tz;

static void
tz_push(const char *tz)
{
	const char *old = getenv("TZ");

	had_tz = old != NULL;
	free(saved_tz);
	saved_tz = old ? soca_xstrdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void
tz_pop(void)
{
	if (had_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
}

/*
 * Where now falls: *inside its window or not; *wstart the start of
 * today's window (0 if none today), *last_end the latest window end at
 * or before now (0 if none in a week).  *why says it in words.
 */
int
soca_sched_eval(const struct soca_sched *s, time_t now, bool *inside,
    time_t *wstart, time_t *last_end, char **why)
{
	struct tm tm;
	struct soca_buf b = { 0 };
	int d;

	*inside = false;
	*wstart = *last_end = 0;
	if (!s->set)
		return -1;
	tz_push(s->tz);
	localtime_r(&now, &tm);
	d = tm.tm_wday;
	/* a skipped hour: mktime moves a start inside it to the first minute */
	if (s->start[d] != s->end[d]) {
		*wstart = local_at(&tm, 0, s->start[d]);
		*inside = now >= *wstart && now < local_at(&tm, 0, s->end[d]);
	}
	for (int back = 0; back <= 7 && *last_end == 0; back++) {
		int wd = ((d - back) % 7 + 7) % 7;
		time_t e;

		if (s->start[wd] == s->end[wd])
			continue;
		e = local_at(&tm, back, s->end[wd]);
		if (e <= now)
			*last_end = e;
	}
	soca_buf_addf(&b, "%s ", days[d]);
	window_str(&b, s->start[d], s->end[d]);
	soca_buf_addf(&b, " %s, %s at %02d:%02d", s->tz, *inside ? "inside" :
	    "outside", tm.tm_hour, tm.tm_min);
	*why = soca_buf_steal(&b);
	tz_pop();
	return 0;
}
