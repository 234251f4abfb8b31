/*
 * out.c: the one output module of every listing command.
 *
 * A command declares its columns once and feeds rows; the user picks the
 * form: an aligned table with a header (-n drops it), JSON Lines (-J: one
 * object a row, keys are the column names, typed values), or CSV (RFC
 * 4180).  -o picks and orders columns.  JSON and CSV stream; the table is
 * held until the end to align it (its cells in large blocks, as a lister
 * of 100,000 jobs would otherwise spend its time in malloc).  Text from users is escaped in tables
 * and CSV (control characters never reach a terminal) and JSON-escaped in
 * JSON.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "soca.h"

struct cell {
	char *text;		/* escaped rendering for tables and CSV */
	json_t *json;
	char small[32];		/* text when it fits: no malloc per cell */
};

/* Let go of a cell's text (allocated unless it is the cell's own). */
static void
drop_text(struct cell *c)
{
	if (c->text != c->small)
		free(c->text);
	c->text = NULL;
}

struct soca_out {
	const struct soca_col *cols;
	size_t ncols;
	size_t *sel, nsel;	/* selected column indexes, in order */
	enum soca_out_fmt fmt;
	bool noheadings, wrote_head;
	FILE *fp;
	struct cell *row;	/* one per column */
	char **blocks;		/* table: the rows' cells, NUL-ended, */
	size_t nblocks, used;	/* one row after another in blocks */
	char **rows;		/* where each row starts */
	size_t nrows, caprows;
	size_t *w;		/* table: the widest cell per column */
	size_t hint;		/* where col_index() looks first */
	bool *on;		/* per column: selected, so worth setting */
};

static size_t width(const char *);

static void
bad_column(const struct soca_col *cols, size_t n, const char *name)
{
	struct soca_buf b = { 0 };

	for (size_t i = 0; i < n; i++)
		soca_buf_addf(&b, "%s%s", i ? "," : "", cols[i].name);
	warnx("unknown column \"%s\" for -o (columns: %s)", name, b.s);
	soca_buf_free(&b);
}

/*
 * A -o list naming known columns only; else say what is wrong, false.
 * Commands ask before they hold anything, so that exit 2 leaves nothing
 * allocated behind.
 */
bool
soca_out_select_ok(const struct soca_col *cols, size_t ncols,
    const char *select)
{
	char **names;
	size_t n, j;
	bool ok = true;

	if (select == NULL)
		return true;
	if (soca_split_list(select, &names, &n) != 0) {
		warnx("bad -o list \"%s\" (expected column names separated "
		    "by commas)", select);
		return false;
	}
	for (size_t i = 0; i < n && ok; i++) {
		for (j = 0; j < ncols; j++)
			if (strcmp(names[i], cols[j].name) == 0)
				break;
		if (j == ncols) {
			bad_column(cols, ncols, names[i]);
			ok = false;
		}
	}
	soca_strv_free(names, n);
	return ok;
}

/* select has passed soca_out_select_ok() */
static void
select_columns(struct soca_out *o, const char *select)
{
	char **names;
	size_t n;

	o->sel = soca_xcalloc(o->ncols + 1, sizeof(*o->sel));
	if (select == NULL) {
		for (size_t i = 0; i < o->ncols; i++)
			if (!o->cols[i].hidden || o->fmt == SOCA_OUT_JSON)
				o->sel[o->nsel++] = i;
		return;
	}
	if (soca_split_list(select, &names, &n) != 0)
		n = 0, names = NULL;
	o->sel = soca_xreallocarray(o->sel, n + 1, sizeof(*o->sel));
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < o->ncols; j++)
			if (strcmp(names[i], o->cols[j].name) == 0)
				break;
		if (j < o->ncols)
			o->sel[o->nsel++] = j;
	}
	soca_strv_free(names, n);
}

struct soca_out *
soca_out_new(const struct soca_col *cols, size_t ncols, enum soca_out_fmt fmt,
    bool noheadings, const char *select, FILE *fp)
{
	struct soca_out *o;

	if (!soca_out_select_ok(cols, ncols, select))
		exit(SOCA_EX_USAGE);
	o = soca_xcalloc(1, sizeof(*o));
	o->cols = cols;
	o->ncols = ncols;
	o->fmt = fmt;
	o->noheadings = noheadings;
	o->fp = fp;
	o->row = soca_xcalloc(ncols, sizeof(*o->row));
	select_columns(o, select);
	o->on = soca_xcalloc(ncols + 1, sizeof(*o->on));
	o->w = soca_xcalloc(o->nsel + 1, sizeof(*o->w));
	for (size_t i = 0; i < o->nsel; i++) {
		o->on[o->sel[i]] = true;
		o->w[i] = noheadings ? 0 : width(cols[o->sel[i]].head);
	}
	return o;
}

static size_t
col_index(struct soca_out *o, const char *name)
{
	/* rows set their columns in the same order: try the next one first */
	for (size_t k = 0, i; k < o->ncols; k++) {
		i = (o->hint + k) % o->ncols;
		if (o->cols[i].name == name ||	/* the same literal: no call */
		    strcmp(o->cols[i].name, name) == 0) {
			o->hint = i + 1;
			return i;
		}
	}
	errx(SOCA_EX_TEMP, "internal error: no column %s", name);
}

/* Tables and CSV print text only: build JSON values for -J alone. */
#define JSON_ONLY(o, expr) ((o)->fmt == SOCA_OUT_JSON ? (expr) : NULL)

static void
set(struct soca_out *o, size_t i, char *text, json_t *json)
{
	struct cell *c = &o->row[i];

	drop_text(c);
	json_decref(c->json);
	c->text = text;
	c->json = json;
}

/* set() with a copy of v, in the cell itself when it fits */
static void
set_copy(struct soca_out *o, size_t i, const char *v, json_t *json)
{
	struct cell *c = &o->row[i];
	size_t n = strlen(v);

	if (n >= sizeof(c->small)) {
		set(o, i, soca_xstrdup(v), json);
		return;
	}
	set(o, i, NULL, json);
	c->text = memcpy(c->small, v, n + 1);
}

/* The column's index if it is printed (*i); values of the others are not
 * even formatted. */
static bool
wanted(struct soca_out *o, const char *col, size_t *i)
{
	*i = col_index(o, col);
	return o->on[*i];
}

/* Printable ASCII without a backslash: soca_buf_esc() would copy it. */
static bool
plain(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			return false;
	return true;
}

void
soca_out_str(struct soca_out *o, const char *col, const char *v)
{
	struct soca_buf b = { 0 };
	json_t *j;
	size_t i;

	if (!wanted(o, col, &i))
		return;
	if (v == NULL) {
		set(o, i, NULL, JSON_ONLY(o, json_null()));
		return;
	}
	if (plain(v)) {		/* most values: nothing to escape */
		set_copy(o, i, v, JSON_ONLY(o, json_string(v)));
		return;
	}
	soca_buf_esc(&b, v, strlen(v));
	/* JSON needs valid UTF-8: fall back to the escaped form if not */
	j = JSON_ONLY(o, json_string(v));
	if (j == NULL && o->fmt == SOCA_OUT_JSON)
		j = json_string(b.s ? b.s : "");
	set(o, i, soca_buf_steal(&b), j);
}

void
soca_out_int(struct soca_out *o, const char *col, long long v)
{
	char b[24], *p = b + sizeof(b) - 1;
	unsigned long long u = v < 0 ? -(unsigned long long)v :
	    (unsigned long long)v;
	size_t i;

	if (!wanted(o, col, &i))
		return;
	*p = '\0';	/* "%lld" by hand: a listing prints one per cell */
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	set_copy(o, i, p, JSON_ONLY(o, json_integer(v)));
}

void
soca_out_num(struct soca_out *o, const char *col, double v)
{
	size_t i;

	if (wanted(o, col, &i))
		set(o, i, soca_xasprintf("%.4g", v),
		    JSON_ONLY(o, json_real(v)));
}

void
soca_out_bool(struct soca_out *o, const char *col, bool v)
{
	size_t i;

	if (wanted(o, col, &i))
		set(o, i, soca_xstrdup(v ? "yes" : "no"),
		    JSON_ONLY(o, json_boolean(v)));
}

static void
csv_field(FILE *fp, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* A JSON string as jansson's compact dump writes it. */
static void
json_quote(struct soca_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s, *end = s + n;
	char u[7] = "\\u00";

	soca_buf_addc(b, '"');
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" :
		    c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" :
		    c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;

		if (e == NULL && c >= 0x20)
			continue;
		soca_buf_add(b, run, (size_t)(s - run));
		if (e == NULL) {
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			e = u;
		}
		soca_buf_adds(b, e);
		run = s + 1;
	}
	soca_buf_add(b, run, (size_t)(end - run));
	soca_buf_addc(b, '"');
}

static void
json_value(struct soca_buf *b, json_t *v)
{
	char *s, n[24];

	switch (json_typeof(v)) {
	case JSON_STRING:
		json_quote(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		soca_buf_adds(b, n);
		break;
	case JSON_TRUE:
		soca_buf_adds(b, "true");
		break;
	case JSON_FALSE:
		soca_buf_adds(b, "false");
		break;
	case JSON_NULL:
		soca_buf_adds(b, "null");
		break;
	default:
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		soca_buf_adds(b, s ? s : "null");
		free(s);
	}
}

/* One object a row, written directly: building a jansson object and
 * dumping it took half of soca-stat -J. */
static void
emit_json(struct soca_out *o)
{
	struct soca_buf b = { 0 };

	soca_buf_addc(&b, '{');
	for (size_t i = 0; i < o->nsel; i++) {
		struct cell *c = &o->row[o->sel[i]];
		const char *name = o->cols[o->sel[i]].name;
		bool again = false;

		for (size_t k = 0; k < i; k++)
			again = again || o->sel[k] == o->sel[i];
		if (again)
			continue;	/* -o named it twice: one key */
		if (i > 0)
			soca_buf_addc(&b, ',');
		json_quote(&b, name, strlen(name));
		soca_buf_addc(&b, ':');
		json_value(&b, c->json ? c->json : json_null());
	}
	soca_buf_adds(&b, "}\n");
	fwrite_unlocked(b.s, 1, b.len, o->fp);
	soca_buf_free(&b);
}

static void
emit_csv(struct soca_out *o)
{
	if (!o->wrote_head && !o->noheadings) {
		for (size_t i = 0; i < o->nsel; i++) {
			if (i)
				fputc(',', o->fp);
			csv_field(o->fp, o->cols[o->sel[i]].name);
		}
		fputc('\n', o->fp);
	}
	o->wrote_head = true;
	for (size_t i = 0; i < o->nsel; i++) {
		struct cell *c = &o->row[o->sel[i]];
		if (i)
			fputc(',', o->fp);
		csv_field(o->fp, c->text ? c->text : "");
	}
	fputc('\n', o->fp);
}

#define BLOCK (256 * 1024)

/* Room for n bytes in the last block (a new one when full). */
static char *
room(struct soca_out *o, size_t n)
{
	if (o->nblocks == 0 || o->used + n > BLOCK) {
		o->blocks = soca_xreallocarray(o->blocks, o->nblocks + 1,
		    sizeof(*o->blocks));
		o->blocks[o->nblocks++] = soca_xmalloc(n > BLOCK ? n : BLOCK);
		o->used = 0;
	}
	o->used += n;
	return o->blocks[o->nblocks - 1] + o->used - n;
}

/* Table: copy the row's cells into the held ones. */
static void
keep_row(struct soca_out *o)
{
	size_t n = 0;
	char *p;

	for (size_t i = 0; i < o->nsel; i++) {
		const char *t = o->row[o->sel[i]].text;

		n += strlen(t ? t : "-") + 1;
	}
	if (o->nrows == o->caprows) {
		/* from 256 KiB on malloc maps it: growing is an mremap,
		   not a copy whose every new page is a fault */
		o->caprows = o->caprows ? o->caprows * 2 :
		    (256 << 10) / sizeof(*o->rows);
		o->rows = soca_xreallocarray(o->rows, o->caprows,
		    sizeof(*o->rows));
	}
	o->rows[o->nrows++] = p = room(o, n);
	for (size_t i = 0; i < o->nsel; i++) {
		const char *t = o->row[o->sel[i]].text;
		size_t w = width(t ? t : "-");

		if (w > o->w[i])
			o->w[i] = w;
		p = stpcpy(p, t ? t : "-") + 1;
	}
}

void
soca_out_row(struct soca_out *o)
{
	if (o->fmt == SOCA_OUT_JSON)
		emit_json(o);
	else if (o->fmt == SOCA_OUT_CSV)
		emit_csv(o);
	else
		keep_row(o);
	for (size_t i = 0; i < o->ncols; i++) {
		drop_text(&o->row[i]);
		json_decref(o->row[i].json);
		o->row[i].json = NULL;
	}
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void
spaces(struct soca_buf *l, size_t n)
{
	static const char sp[] = "                                ";

	for (; n > sizeof(sp) - 1; n -= sizeof(sp) - 1)
		soca_buf_add(l, sp, sizeof(sp) - 1);
	soca_buf_add(l, sp, n);
}

/* One cell of s (len bytes, wid columns) onto the line being built. */
static void
cell_add(struct soca_out *o, struct soca_buf *l, size_t i, const char *s,
    size_t len, size_t wid, bool last)
{
	const struct soca_col *c = &o->cols[o->sel[i]];
	size_t pad = o->w[i] - wid;

	if (c->right)
		spaces(l, pad);
	soca_buf_add(l, s, len);
	if (last)
		soca_buf_addc(l, '\n');
	else
		spaces(l, (c->right ? 0 : pad) + 2);
}

/* Each line built whole, then one fwrite: not three stdio calls a cell. */
static void
emit_table(struct soca_out *o)
{
	struct soca_buf l = { 0 };

	if (!o->noheadings) {
		for (size_t i = 0; i < o->nsel; i++) {
			const char *h = o->cols[o->sel[i]].head;

			cell_add(o, &l, i, h, strlen(h), width(h),
			    i + 1 == o->nsel);
		}
		if (l.len)
			fwrite_unlocked(l.s, 1, l.len, o->fp);
	}
	for (size_t r = 0; r < o->nrows; r++) {
		const char *p = o->rows[r];

		soca_buf_reset(&l);
		for (size_t i = 0; i < o->nsel; i++) {
			size_t n = 0, w = 0;

			for (; p[n]; n++)	/* its length and its width */
				w += ((unsigned char)p[n] & 0xc0) != 0x80;
			cell_add(o, &l, i, p, n, w, i + 1 == o->nsel);
			p += n + 1;
		}
		if (l.len)
			fwrite_unlocked(l.s, 1, l.len, o->fp);
	}
	soca_buf_free(&l);
}

/* Free everything without printing: a listing given up on an error. */
void
soca_out_free(struct soca_out *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->ncols; i++) {
		drop_text(&o->row[i]);
		json_decref(o->row[i].json);
	}
	for (size_t i = 0; i < o->nblocks; i++)
		free(o->blocks[i]);
	free(o->blocks);
	free(o->rows);
	free(o->w);
	free(o->row);
	free(o->sel);
	free(o->on);
	free(o);
}

/* Print what is held, free everything; -1 (errno set) on a write error. */
int
soca_out_end(struct soca_out *o)
{
	int r;

	if (o->fmt == SOCA_OUT_TABLE)
		emit_table(o);
	else if (o->fmt == SOCA_OUT_CSV && !o->wrote_head && !o->noheadings &&
	    o->nrows == 0) {
		for (size_t i = 0; i < o->nsel; i++)
			fprintf(o->fp, "%s%s", i ? "," : "",
			    o->cols[o->sel[i]].name);
		fputc('\n', o->fp);
	}
	r = fflush(o->fp) == 0 && !ferror(o->fp) ? 0 : -1;
	soca_out_free(o);
	if (r < 0 && errno == 0)
		errno = EIO;
	return r;
}

int
soca_out_list_columns(const struct soca_col *cols, size_t n, FILE *fp)
{
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%-16s %s%s\n", cols[i].name, cols[i].head,
		    cols[i].hidden ? " (only with -o)" : "");
	return fflush(fp);
}
