/*
 * conf.c: reading soca.conf(5).
 *
 * The format is git-config-like: `[section]` or `[section "name"]`
 * headers, `key = value` lines, `#` or `;` comments, double-quoted values
 * with C escapes.  Parsing never stops at the first problem: every
 * problem becomes a diagnostic with file and line, so `soca-config check`
 * can report them all at once and every other command can refuse to run
 * on a broken file.  Values are kept as text and typed on lookup; the
 * schema (conf_schema.c) has already vouched for them.
 *
 * When the file configures no queue, the queues SOCA ships with exist,
 * read from a built-in text through this same parser.
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soca.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

struct entry {
	char *key, *value;
	int line;
};

struct section {
	char *type, *name;	/* name is NULL for unnamed sections */
	const char *file;
	int line;
	struct entry *e;
	size_t n, cap;
};

struct soca_conf {
	char *file;
	struct section *s;
	size_t n, cap;
	size_t *slot, nslot;	/* open hash of c->s: index + 1, 0 free */
	struct soca_diag *d;
	size_t nd, capd;
};

static const char builtin_queues[] =
    "[queue \"normal\"]\n"
    "description = default queue\n"
    "[queue \"high\"]\n"
    "description = high priority\n"
    "[queue \"low\"]\n"
    "description = low priority\n"
    "[queue \"job-shared\"]\n"
    "description = capacity shared by jobs with the same resources\n"
    "scaling_mode = multiple_jobs\n"
    "terminate_when_idle = 3\n"
    "[queue \"test\"]\n"
    "description = short test jobs\n";

static void
diag(struct soca_conf *c, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
diag(struct soca_conf *c, const char *file, int line, const char *fmt, ...)
{
	struct soca_buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	soca_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (c->nd == c->capd) {
		c->capd = c->capd ? c->capd * 2 : 8;
		c->d = soca_xreallocarray(c->d, c->capd, sizeof(*c->d));
	}
	c->d[c->nd].file = soca_xstrdup(file);
	c->d[c->nd].line = line;
	c->d[c->nd].msg = soca_buf_steal(&b);
	c->nd++;
}

/* A printable rendering of untrusted text for messages. */
static char *
shown(const char *s, size_t n)
{
	struct soca_buf b = { 0 };

	soca_buf_esc(&b, s, n > 80 ? 80 : n);
	if (n > 80)
		soca_buf_adds(&b, "...");
	return soca_buf_steal(&b);
}

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t x = prev[j] + 1, y = cur[j - 1] + 1,
			    z = prev[j - 1] + (a[i - 1] != b[j - 1]);
			cur[j] = x < y ? (x < z ? x : z) : (y < z ? y : z);
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

static const char *
suggest_key(const struct soca_section_schema *ss, const char *key)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (const struct soca_key *k = ss->keys; k->name; k++) {
		size_t d = edit_distance(key, k->name);
		if (d < bestd)
			bestd = d, best = k->name;
	}
	return best;
}

static const char *
suggest_section(const char *name)
{
	for (const struct soca_section_schema *s = soca_schema; s->name; s++)
		if (edit_distance(name, s->name) <= 2)
			return s->name;
	return NULL;
}

/* FNV-1a over "type\0name": a config with thousands of queues stays linear */
static size_t
section_hash(const char *type, const char *name)
{
	size_t h = 2166136261u;

	for (const char *p = type; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = name ? name : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return name ? h : h ^ 0x5bd1e995u;
}

static bool
section_is(const struct section *s, const char *type, const char *name)
{
	return strcmp(s->type, type) == 0 && (name == NULL ? s->name == NULL :
	    s->name && strcmp(s->name, name) == 0);
}

/* The slot holding the section, or the free slot where it would go. */
static size_t *
section_slot(const struct soca_conf *c, const char *type, const char *name)
{
	size_t i = section_hash(type, name) & (c->nslot - 1);

	while (c->slot[i] != 0 && !section_is(&c->s[c->slot[i] - 1], type,
	    name))
		i = (i + 1) & (c->nslot - 1);
	return &c->slot[i];
}

static void
section_index(struct soca_conf *c)
{
	free(c->slot);
	c->nslot = c->nslot ? c->nslot * 2 : 64;
	c->slot = soca_xcalloc(c->nslot, sizeof(*c->slot));
	for (size_t i = 0; i < c->n; i++)
		*section_slot(c, c->s[i].type, c->s[i].name) = i + 1;
}

static struct section *
find_section(const struct soca_conf *c, const char *type, const char *name)
{
	size_t *slot;

	if (c->nslot == 0)
		return NULL;
	slot = section_slot(c, type, name);
	return *slot ? &c->s[*slot - 1] : NULL;
}

static struct entry *
find_entry(const struct section *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)	/* first byte first: no call */
		if (s->e[i].key[0] == key[0] && strcmp(s->e[i].key, key) == 0)
			return &s->e[i];
	return NULL;
}

/* Parse a double-quoted string at *p (just past the quote). */
static char *
unquote(const char **p, bool *ok)
{
	struct soca_buf b = { 0 };
	const char *s = *p;

	*ok = false;
	soca_buf_adds(&b, "");
	for (; *s != '\0' && *s != '\n'; s++) {
		if (*s == '"') {
			*p = s + 1;
			*ok = true;
			return soca_buf_steal(&b);
		}
		if (*s == '\\') {
			switch (*++s) {
			case 'n': soca_buf_addc(&b, '\n'); break;
			case 't': soca_buf_addc(&b, '\t'); break;
			case '"': case '\\': soca_buf_addc(&b, *s); break;
			default:
				*p = s;
				soca_buf_free(&b);
				return NULL;
			}
			continue;
		}
		soca_buf_addc(&b, *s);
	}
	*p = s;
	soca_buf_free(&b);
	return NULL;
}

static bool
only_comment(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' || *s == '#' || *s == ';';
}

static struct section *
add_section(struct soca_conf *c, const char *file, int line, const char *type,
    const char *name)
{
	struct section *s;

	if ((s = find_section(c, type, name)) != NULL)
		return s;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->s = soca_xreallocarray(c->s, c->cap, sizeof(*c->s));
	}
	s = &c->s[c->n++];
	memset(s, 0, sizeof(*s));
	s->type = soca_xstrdup(type);
	s->name = name ? soca_xstrdup(name) : NULL;
	s->file = file;
	s->line = line;
	if (2 * c->n > c->nslot)	/* at most half full */
		section_index(c);
	else
		*section_slot(c, type, name) = c->n;
	return s;
}

static struct section *
parse_header(struct soca_conf *c, const char *file, int ln, const char *p)
{
	const struct soca_section_schema *ss;
	char *type, *name = NULL, *sh;
	const char *q = p + 1, *start;
	struct section *s = NULL;
	bool ok;

	while (*q == ' ' || *q == '\t')
		q++;
	start = q;
	while (isalnum((unsigned char)*q) || *q == '_' || *q == '-')
		q++;
	type = soca_xstrndup(start, (size_t)(q - start));
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '"') {
		q++;
		if ((name = unquote(&q, &ok)) == NULL) {
			diag(c, file, ln, "unterminated quote in section header "
			    "(expected a closing \" before the end of the line)");
			goto out;
		}
		while (*q == ' ' || *q == '\t')
			q++;
	}
	if (*q != ']' || !only_comment(q + 1) || type[0] == '\0') {
		sh = shown(p, strlen(p));
		diag(c, file, ln, "bad section header '%s' "
		    "(expected [section] or [section \"name\"])", sh);
		free(sh);
		goto out;
	}
	if ((ss = soca_schema_section(type)) == NULL) {
		const char *hint = suggest_section(type);
		sh = shown(type, strlen(type));
		diag(c, file, ln, "unknown section [%s]%s%s%s", sh,
		    hint ? " (did you mean [" : "", hint ? hint : "",
		    hint ? "]?)" : "");
		free(sh);
	} else if (ss->named && name == NULL) {
		diag(c, file, ln, "section [%s] needs a name "
		    "(expected [%s \"name\"])", type, type);
	} else if (!ss->named && name != NULL) {
		diag(c, file, ln, "section [%s] takes no name "
		    "(expected [%s])", type, type);
	} else if (name != NULL && !soca_name_ok(name)) {
		sh = shown(name, strlen(name));
		diag(c, file, ln, "bad %s name \"%s\" (expected 1-64 letters, "
		    "digits, '.', '_' or '-', not starting with '.' or '-')",
		    type, sh);
		free(sh);
	} else {
		s = add_section(c, file, ln, type, name);
	}
out:
	free(type);
	free(name);
	return s;
}

static const char *
type_rule(const struct soca_key *k)
{
	switch (k->type) {
	case SOCA_T_INT: return "a whole number";
	case SOCA_T_BOOL: return "yes or no";
	case SOCA_T_DURATION: return "a duration such as 90s, 15m, 2h, 1d or 01:30:00";
	case SOCA_T_SIZE: return "a size such as 512K, 20M or 1G";
	case SOCA_T_NUMBER: return "a number";
	case SOCA_T_USD: return "an amount in USD above 0 with at most "
	    "cents, such as 25 or 12.50";
	case SOCA_T_LIST: return "a comma-separated list";
	case SOCA_T_ENUM: return "one of";
	default: return "text";
	}
}

static bool
word_in(const char *w, const char *choices)
{
	size_t n = strlen(w);

	for (const char *p = choices; p && *p; ) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, w, n) == 0)
			return true;
		p = bar ? bar + 1 : p + len;
	}
	return false;
}

/*
 * Check one value against its key.  On failure returns a message naming
 * the rule; the caller names the value and where it came from.
 */
char *
soca_key_check(const struct soca_key *k, const char *v)
{
	long long i;
	unsigned long long sz;
	double d;
	bool b;
	char **items;
	size_t n;

	if (k->type != SOCA_T_ENUM && k->choices && word_in(v, k->choices))
		return NULL;
	switch (k->type) {
	case SOCA_T_INT:
		if (soca_parse_int(v, k->min < k->max ? k->min : LLONG_MIN,
		    k->min < k->max ? k->max : LLONG_MAX, &i) == 0)
			return NULL;
		if (k->min < k->max)
			return soca_xasprintf("expected a whole number from "
			    "%lld to %lld", k->min, k->max);
		break;
	case SOCA_T_BOOL:
		if (soca_parse_bool(v, &b) == 0)
			return NULL;
		break;
	case SOCA_T_DURATION:
		if (soca_parse_duration(v, &i) == 0)
			return NULL;
		break;
	case SOCA_T_SIZE:
		if (soca_parse_size(v, &sz) == 0)
			return NULL;
		break;
	case SOCA_T_NUMBER:
		if (soca_parse_number(v, &d) == 0 && d >= 0)
			return NULL;
		if (k->choices)
			return soca_xasprintf("expected a number of 0 or more, "
			    "or %s", k->choices);
		return soca_xstrdup("expected a number of 0 or more");
	case SOCA_T_USD:
		if (soca_parse_usd(v, &i) == 0)
			return NULL;
		break;
	case SOCA_T_ENUM:
		if (word_in(v, k->choices))
			return NULL;
		return soca_xasprintf("expected one of %s", k->choices);
	case SOCA_T_LIST:
		if (soca_split_list(v, &items, &n) == 0) {
			soca_strv_free(items, n);
			return NULL;
		}
		return soca_xstrdup("expected a comma-separated list "
		    "with no empty items");
	default:
		return NULL;
	}
	return soca_xasprintf("expected %s", type_rule(k));
}

static void
parse_entry(struct soca_conf *c, const char *file, int ln, const char *p,
    struct section *s, bool have_section)
{
	const struct soca_section_schema *ss;
	const struct soca_key *k;
	const char *q = p, *start;
	char *key, *value = NULL, *sh, *why;
	struct entry *e;
	bool ok;

	while (isalnum((unsigned char)*q) || *q == '_' || *q == '-')
		q++;
	key = soca_xstrndup(p, (size_t)(q - p));
	while (*q == ' ' || *q == '\t')
		q++;
	if (key[0] == '\0' || *q != '=') {
		sh = shown(p, strlen(p));
		diag(c, file, ln, "cannot read '%s' (expected key = value, "
		    "[section] or a # comment)", sh);
		free(sh);
		goto out;
	}
	for (q++; *q == ' ' || *q == '\t'; q++)
		;
	if (*q == '"') {
		q++;
		if ((value = unquote(&q, &ok)) == NULL) {
			diag(c, file, ln, "unterminated quote or bad escape in "
			    "the value of %s (expected a closing \"; escapes "
			    "are \\\" \\\\ \\n \\t)", key);
			goto out;
		}
		if (!only_comment(q)) {
			diag(c, file, ln, "text after the closing quote of %s "
			    "(expected the end of the line or a # comment)",
			    key);
			goto out;
		}
	} else {
		start = q;
		while (*q != '\0' && !((*q == '#' || *q == ';') &&
		    (q == start || q[-1] == ' ' || q[-1] == '\t')))
			q++;
		while (q > start && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		value = soca_xstrndup(start, (size_t)(q - start));
	}
	if (!have_section) {
		diag(c, file, ln, "%s is outside any section (expected a "
		    "[section] header above it)", key);
		goto out;
	}
	if (s == NULL)
		goto out;	/* the header was already reported */
	ss = soca_schema_section(s->type);
	if ((k = soca_schema_key(ss, key)) == NULL) {
		const char *hint = suggest_key(ss, key);
		diag(c, file, ln, "unknown key %s in [%s]%s%s%s", key, s->type,
		    hint ? " (did you mean " : "", hint ? hint : "",
		    hint ? "?)" : "");
		goto out;
	}
	if ((e = find_entry(s, key)) != NULL) {
		diag(c, file, ln, "duplicate key %s (already set on line %d; "
		    "keep one)", key, e->line);
		goto out;
	}
	if ((why = soca_key_check(k, value)) != NULL) {
		sh = shown(value, strlen(value));
		diag(c, file, ln, "bad value \"%s\" for %s: %s", sh, key, why);
		free(sh);
		free(why);
		goto out;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->e = soca_xreallocarray(s->e, s->cap, sizeof(*s->e));
	}
	s->e[s->n].key = key;
	s->e[s->n].value = value;
	s->e[s->n].line = ln;
	s->n++;
	return;
out:
	free(key);
	free(value);
}

static void
parse_into(struct soca_conf *c, const char *file, const char *text, size_t len)
{
	struct section *cur = NULL;
	bool have_section = false;
	const char *p = text, *end = text + len;
	char *line;
	int ln = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q;

		ln++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		line = soca_xstrndup(p, n);
		p = nl ? nl + 1 : end;
		if (strlen(line) != n) {
			diag(c, file, ln, "NUL byte in line (expected text)");
			free(line);
			continue;
		}
		for (q = line; *q == ' ' || *q == '\t'; q++)
			;
		if (*q == '[') {
			cur = parse_header(c, file, ln, q);
			have_section = true;
		} else if (!only_comment(q)) {
			parse_entry(c, file, ln, q, cur, have_section);
		}
		free(line);
	}
}

struct soca_conf *
soca_conf_parse(const char *name, const char *text, size_t len)
{
	struct soca_conf *c = soca_xcalloc(1, sizeof(*c));

	c->file = soca_xstrdup(name ? name : "<built-in>");
	parse_into(c, c->file, text, len);
	if (soca_conf_names(c, "queue", NULL) == 0)
		parse_into(c, "<built-in>", builtin_queues,
		    sizeof(builtin_queues) - 1);
	return c;
}

/* A problem found after parsing, at the line that set the key if any. */
void
soca_conf_adddiag(struct soca_conf *c, const char *section, const char *name,
    const char *key, const char *fmt, ...)
{
	struct section *s = find_section(c, section, name);
	struct entry *e = s && key ? find_entry(s, key) : NULL;
	struct soca_buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	soca_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	diag(c, e ? s->file : s ? s->file : c->file, e ? e->line : s ? s->line : 0,
	    "%s", b.s);
	soca_buf_free(&b);
}

const char *
soca_conf_path(const char *opt)
{
	const char *env = getenv("SOCA_CONF");

	if (opt != NULL)
		return opt;
	if (env != NULL && env[0] != '\0')
		return env;
	if (access(SYSCONFDIR "/soca/soca.conf", F_OK) == 0)
		return SYSCONFDIR "/soca/soca.conf";
	return NULL;
}

/*
 * Load from a path (NULL: built-in defaults only); NULL on I/O error.
 * Read with read(2) into one buffer of the file's size: every command
 * loads it, and stdio's buffer and a copy through a stack chunk would cost
 * pages a short-lived process has to fault in.
 */
struct soca_conf *
soca_conf_load(const char *path)
{
	struct soca_buf b = { 0 };
	struct soca_conf *c;
	struct stat st;
	ssize_t n;
	int fd, e;

	if (path == NULL)
		return soca_conf_parse(NULL, "", 0);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size <= 4 << 20)
		b.cap = (size_t)st.st_size + 2;	/* + 1 to see the end */
	b.s = soca_xmalloc(b.cap ? b.cap : 4096);
	b.cap = b.cap ? b.cap : 4096;
	for (;;) {
		if (b.len + 1 >= b.cap)
			b.s = soca_xreallocarray(b.s, b.cap *= 2, 1);
		if ((n = read(fd, b.s + b.len, b.cap - b.len - 1)) == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (b.len += (size_t)n) > 4 << 20) {
			e = n < 0 ? errno : EFBIG;
			close(fd);
			soca_buf_free(&b);
			errno = e;
			return NULL;
		}
	}
	close(fd);
	b.s[b.len] = '\0';
	c = soca_conf_parse(path, b.s, b.len);
	soca_buf_free(&b);
	return c;
}

static int
cmp_diag(const void *a, const void *b)
{
	const struct soca_diag *x = a, *y = b;
	int r = strcmp(x->file, y->file);

	return r ? r : (x->line > y->line) - (x->line < y->line);
}

/* Print every problem as file:line: message, in file order; the count. */
size_t
soca_conf_report(struct soca_conf *c)
{
	if (c->nd > 1)
		qsort(c->d, c->nd, sizeof(*c->d), cmp_diag);
	for (size_t i = 0; i < c->nd; i++)
		if (c->d[i].line > 0)
			warnx("%s:%d: %s", c->d[i].file, c->d[i].line,
			    c->d[i].msg);
		else
			warnx("%s: %s", c->d[i].file, c->d[i].msg);
	return c->nd;
}

/*
 * What every command but soca-config does: take a loaded configuration,
 * check it, and refuse to go on, exit 2, when it has any problem.
 */
struct soca_conf *
soca_conf_must_be_sound(struct soca_conf *c)
{
	size_t n;

	soca_conf_check(c);
	if ((n = soca_conf_report(c)) == 0)
		return c;
	warnx("%s: %zu problem%s: fix the configuration "
	    "(soca-config check %s)", c->file, n, n == 1 ? "" : "s", c->file);
	soca_conf_free(c);	/* exit clean: nothing held for LSan to report */
	exit(SOCA_EX_USAGE);
}

struct soca_conf *
soca_conf_open(const char *opt)
{
	const char *path = soca_conf_path(opt);
	struct soca_conf *c = soca_conf_load(path);

	if (c == NULL)
		err(SOCA_EX_USAGE, "%s", path);
	return soca_conf_must_be_sound(c);
}

void
soca_conf_free(struct soca_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		for (size_t j = 0; j < c->s[i].n; j++) {
			free(c->s[i].e[j].key);
			free(c->s[i].e[j].value);
		}
		free(c->s[i].e);
		free(c->s[i].type);
		free(c->s[i].name);
	}
	for (size_t i = 0; i < c->nd; i++) {
		free(c->d[i].file);
		free(c->d[i].msg);
	}
	free(c->s);
	free(c->slot);
	free(c->d);
	free(c->file);
	free(c);
}

size_t
soca_conf_ndiags(const struct soca_conf *c)
{
	return c->nd;
}

const struct soca_diag *
soca_conf_diag(const struct soca_conf *c, size_t i)
{
	return i < c->nd ? &c->d[i] : NULL;
}

const char *
soca_conf_file(const struct soca_conf *c)
{
	return c->file;
}

static const char *
dynamic_default(const char *section, const char *key)
{
	static char spool[4096], slots[32];
	const char *xdg, *home;

	if (strcmp(section, "cluster") != 0)
		return NULL;
	if (strcmp(key, "spool") == 0) {
		xdg = getenv("XDG_STATE_HOME");
		home = getenv("HOME");
		if (xdg != NULL && xdg[0] == '/')
			snprintf(spool, sizeof(spool), "%s/soca", xdg);
		else
			snprintf(spool, sizeof(spool), "%s/.local/state/soca",
			    home && home[0] ? home : "/tmp");
		return spool;
	}
	if (strcmp(key, "slots") == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		snprintf(slots, sizeof(slots), "%ld", n > 0 ? n : 1);
		return slots;
	}
	return NULL;
}

const char *
soca_conf_get(const struct soca_conf *c, const char *section,
    const char *name, const char *key)
{
	struct section *s = find_section(c, section, name);
	struct entry *e = s ? find_entry(s, key) : NULL;
	const struct soca_section_schema *ss;
	const struct soca_key *k;

	if (e != NULL)	/* set: the schema is asked only for a default */
		return e->value;
	ss = soca_schema_section(section);
	if ((k = ss ? soca_schema_key(ss, key) : NULL) == NULL)
		return NULL;
	return k->def ? k->def : dynamic_default(section, key);
}

bool
soca_conf_isset(const struct soca_conf *c, const char *section,
    const char *name, const char *key)
{
	struct section *s = find_section(c, section, name);

	return s != NULL && find_entry(s, key) != NULL;
}

/* Integers, durations (seconds) and sizes (bytes); -1 when unset. */
long long
soca_conf_int(const struct soca_conf *c, const char *section,
    const char *name, const char *key)
{
	const char *v = soca_conf_get(c, section, name, key);
	unsigned long long sz;
	long long i;

	if (v == NULL)
		return -1;
	if (soca_parse_int(v, LLONG_MIN, LLONG_MAX, &i) == 0)
		return i;
	if (soca_parse_duration(v, &i) == 0)
		return i;
	if (soca_parse_size(v, &sz) == 0)
		return sz > LLONG_MAX ? LLONG_MAX : (long long)sz;
	return -1;
}

bool
soca_conf_bool(const struct soca_conf *c, const char *section,
    const char *name, const char *key)
{
	const char *v = soca_conf_get(c, section, name, key);
	bool b = false;

	if (v != NULL)
		soca_parse_bool(v, &b);
	return b;
}

double
soca_conf_number(const struct soca_conf *c, const char *section,
    const char *name, const char *key)
{
	const char *v = soca_conf_get(c, section, name, key);
	double d = -1;

	if (v != NULL)
		soca_parse_number(v, &d);
	return d;
}

size_t
soca_conf_list(const struct soca_conf *c, const char *section,
    const char *name, const char *key, char ***items)
{
	const char *v = soca_conf_get(c, section, name, key);
	size_t n = 0;

	*items = NULL;
	if (v == NULL || soca_split_list(v, items, &n) != 0)
		return 0;
	return n;
}

size_t
soca_conf_names(const struct soca_conf *c, const char *section, char ***names)
{
	size_t n = 0;

	if (names)
		*names = soca_xcalloc(c->n + 1, sizeof(**names));
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->s[i].type, section) == 0 && c->s[i].name) {
			if (names)
				(*names)[n] = soca_xstrdup(c->s[i].name);
			n++;
		}
	return n;
}

bool
soca_conf_has_section(const struct soca_conf *c, const char *section,
    const char *name)
{
	return find_section(c, section, name) != NULL;
}

/* "a, b ,c" -> {"a","b","c"}; an empty item is an error. */
int
soca_split_list(const char *v, char ***items, size_t *n)
{
	size_t cap = 4;
	const char *p = v;

	*n = 0;
	*items = soca_xcalloc(cap, sizeof(**items));
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *e = comma ? comma : p + strlen(p);
		const char *s = p;

		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e == s) {
			soca_strv_free(*items, *n);
			*items = NULL;
			*n = 0;
			return -1;
		}
		if (*n + 1 >= cap) {
			cap *= 2;
			*items = soca_xreallocarray(*items, cap, sizeof(**items));
		}
		(*items)[(*n)++] = soca_xstrndup(s, (size_t)(e - s));
		(*items)[*n] = NULL;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}
