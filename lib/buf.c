/*
 * buf.c: a growable NUL-terminated string, and the one place that turns
 * untrusted bytes into something safe to print on a terminal.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "soca.h"

static void
grow(struct soca_buf *b, size_t more)
{
	size_t need = b->len + more + 1;

	if (need <= b->cap)
		return;
	if (need < b->len)
		abort();
	b->cap = b->cap ? b->cap : 64;
	while (b->cap < need)
		b->cap *= 2;
	b->s = soca_xreallocarray(b->s, b->cap, 1);
}

void
soca_buf_add(struct soca_buf *b, const char *s, size_t n)
{
	grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
soca_buf_adds(struct soca_buf *b, const char *s)
{
	soca_buf_add(b, s, strlen(s));
}

void
soca_buf_addc(struct soca_buf *b, char c)
{
	soca_buf_add(b, &c, 1);
}

void
soca_buf_vaddf(struct soca_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	grow(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
soca_buf_addf(struct soca_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	soca_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
soca_buf_reset(struct soca_buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

char *
soca_buf_steal(struct soca_buf *b)
{
	char *s = b->s ? b->s : soca_xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
soca_buf_free(struct soca_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp < 0xa0))
		return 0;
	return len;
}

/*
 * Append s with control characters, DEL and invalid UTF-8 escaped the C
 * way, so a job name can never move the cursor of whoever lists it.
 */
void
soca_buf_esc(struct soca_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		size_t u, run = i;

		while (run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '\\')
			run++;
		if (run > i) {
			soca_buf_add(b, s + i, run - i);
			i = run - 1;
		} else if (p[i] >= 0x80 && (u = utf8_len(p + i, n - i)) > 0) {
			soca_buf_add(b, s + i, u);
			i += u - 1;
		} else if (p[i] == '\\') {
			soca_buf_adds(b, "\\\\");
		} else if (p[i] == '\n') {
			soca_buf_adds(b, "\\n");
		} else if (p[i] == '\t') {
			soca_buf_adds(b, "\\t");
		} else if (p[i] == '\r') {
			soca_buf_adds(b, "\\r");
		} else {
			soca_buf_addf(b, "\\x%02x", p[i]);
		}
	}
}

/* 'v' for sh, every ' as '\'' (NULL as '') */
void
soca_buf_shquote(struct soca_buf *b, const char *v)
{
	soca_buf_addc(b, '\'');
	for (; v && *v; v++)
		if (*v == '\'')
			soca_buf_adds(b, "'\\''");
		else
			soca_buf_addc(b, *v);
	soca_buf_addc(b, '\'');
}
