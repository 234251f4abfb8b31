/*
 * aws_ini.c: the AWS shared config and credentials files, and the
 * credential_process command line.
 *
 * A file becomes a JSON object of sections, each an object of string
 * values, as botocore reads it: `[name]` headers, `key = value` lines,
 * `#`/`;` comment lines, and indented `key = value` lines after an empty
 * value forming a nested object (the `s3 =` sub-sections).  Later keys
 * win.  A command line is split like a POSIX shell would split words
 * (quotes and backslashes, nothing expanded) so it can be run with
 * execvp and no shell.
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws.h"

#define MAX_FILE (1 << 20)

static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return soca_xstrndup(s, n);
}

struct ini {
	json_t *top, *sect, *nested;
	char *lastkey;
};

static void
ini_line(struct ini *in, const char *p, size_t l)
{
	const char *eq;
	char *k, *v;
	bool indented = l > 0 && (*p == ' ' || *p == '\t');
	char *t = trimmed(p, l);

	if (*t == '\0' || *t == '#' || *t == ';') {
		free(t);
		return;
	}
	if (*t == '[' && t[strlen(t) - 1] == ']') {
		k = trimmed(t + 1, strlen(t) - 2);
		if ((in->sect = json_object_get(in->top, k)) == NULL) {
			in->sect = json_object();
			json_object_set_new(in->top, k, in->sect);
		}
		in->nested = NULL;
		free(k);
		free(t);
		return;
	}
	if (in->sect == NULL || (eq = strchr(t, '=')) == NULL) {
		free(t);
		return;
	}
	k = trimmed(t, (size_t)(eq - t));
	v = trimmed(eq + 1, strlen(eq + 1));
	if (indented && in->nested)
		json_object_set_new(in->nested, k, json_string(v));
	else if (*v == '\0') {
		in->nested = json_object();
		json_object_set_new(in->sect, k, in->nested);
	} else {
		in->nested = NULL;
		json_object_set_new(in->sect, k, json_string(v));
	}
	free(k);
	free(v);
	free(t);
}

json_t *
soca_aws_ini_parse(const char *text, size_t len)
{
	struct ini in = { json_object(), NULL, NULL, NULL };
	const char *end = text + len;

	for (const char *p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		if (memchr(p, '\0', l) == NULL)
			ini_line(&in, p, l);
		p += l + 1;
	}
	return in.top;
}

static char *
read_file(int fd, size_t *len)
{
	struct soca_buf b = { 0 };
	char chunk[8192];
	ssize_t n;

	soca_buf_add(&b, "", 0);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || b.len + (size_t)n > MAX_FILE) {
			soca_buf_free(&b);
			return NULL;
		}
		soca_buf_add(&b, chunk, (size_t)n);
	}
	*len = b.len;
	return soca_buf_steal(&b);
}

json_t *
soca_aws_ini_load(const char *path, bool secret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *text;
	size_t len;
	json_t *j;

	if (fd < 0) {
		if (errno != ENOENT)
			warn("%s", path);
		return NULL;
	}
	if (secret && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077))
		warnx("%s: readable by group or others (mode %03o): "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
	text = read_file(fd, &len);
	close(fd);
	if (text == NULL) {
		warnx("%s: unreadable or larger than %d bytes", path, MAX_FILE);
		return NULL;
	}
	j = soca_aws_ini_parse(text, len);
	explicit_bzero(text, len);
	free(text);
	return j;
}

static void
push_word(char ***argv, size_t *argc, struct soca_buf *w)
{
	*argv = soca_xreallocarray(*argv, *argc + 2, sizeof(**argv));
	(*argv)[(*argc)++] = soca_buf_steal(w);
	(*argv)[*argc] = NULL;
}

/* One shell word from *pp into w; -1 on an unterminated quote. */
static int
word(const char **pp, struct soca_buf *w)
{
	const char *p = *pp;
	char q = 0;

	for (; *p && (q || !isspace((unsigned char)*p)); p++) {
		if (q == '\'' && *p != '\'')
			soca_buf_addc(w, *p);
		else if (*p == '\\' && q != '\'' && p[1] &&
		    (!q || strchr("\"\\$`", p[1])))
			soca_buf_addc(w, *++p);
		else if ((*p == '\'' || *p == '"') && (!q || q == *p))
			q = q ? 0 : *p;
		else
			soca_buf_addc(w, *p);
	}
	*pp = p;
	return q ? -1 : 0;
}

int
soca_aws_split_cmdline(const char *s, char ***argv, size_t *argc)
{
	struct soca_buf w = { 0 };

	*argv = NULL;
	*argc = 0;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		soca_buf_add(&w, "", 0);
		if (word(&s, &w) < 0) {
			soca_buf_free(&w);
			soca_strv_free(*argv, *argc);
			*argv = NULL;
			*argc = 0;
			return -1;
		}
		push_word(argv, argc, &w);
	}
	return *argc > 0 ? 0 : -1;
}
