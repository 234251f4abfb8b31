/*
 * pbs_print.c: the forms qstat -f and -F json share for jobs, queues and
 * the server: PBS's attribute blocks, folded as PBS folds them, and its
 * JSON envelope {"timestamp", "pbs_version", "pbs_server", WHAT: {...}}.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "pbs.h"

/*
 * "    key = value", folded as PBS folds it: a line that would pass 78
 * columns goes on after a newline and a tab, at a comma of the value
 * (never inside a piece); -w does not fold.
 */
static void
attr_line(const char *k, const char *k2, const char *v, bool fold)
{
	int col = printf("    %s%s%s = ", k, k2 ? "." : "", k2 ? k2 : "");
	bool first = true;

	while (*v) {
		size_t n = 0;

		while (v[n] && (v[n] != ',' || (n > 0 && v[n - 1] == '\\')))
			n++;	/* a value's own comma is "\," */
		n += v[n] == ',';
		if (fold && !first && col + (int)n > 78) {
			fputs("\n\t", stdout);
			col = 8;
		}
		col += printf("%.*s", (int)n, v);
		v += n;
		first = false;
	}
	putchar('\n');
}

static void
attr_val(const char *k, const char *k2, json_t *v, bool fold)
{
	char num[32];

	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		attr_line(k, k2, num, fold);
	} else
		attr_line(k, k2, json_string_value(v) ? json_string_value(v) :
		    "", fold);
}

/*
 * A "Job Id: ID" (or "Queue: NAME", "Server: NAME") block: nested
 * objects as key.sub, Variable_List joined by commas (a value's own
 * escaped, "\,", as PBS does), then a blank line.
 */
void
soca_pbs_block(const char *what, const char *id, json_t *a, bool fold)
{
	const char *k, *k2;
	json_t *v, *v2;

	printf("%s: %s\n", what, id);
	json_object_foreach(a, k, v) {
		if (strcmp(k, "Variable_List") == 0) {
			struct soca_buf b = { 0 };

			json_object_foreach(v, k2, v2) {
				soca_buf_addf(&b, "%s%s=", b.len ? "," : "",
				    k2);
				for (const char *p = json_string_value(v2);
				    p && *p; p++) {
					if (*p == ',')
						soca_buf_addc(&b, '\\');
					soca_buf_addc(&b, *p);
				}
			}
			attr_line(k, NULL, b.s ? b.s : "", fold);
			soca_buf_free(&b);
		} else if (json_is_object(v)) {
			json_object_foreach(v, k2, v2)
				attr_val(k, k2, v2, fold);
		} else
			attr_val(k, NULL, v, fold);
	}
	putchar('\n');
}

/* PBS's JSON envelope around body (not consumed), printed */
void
soca_pbs_json(const struct soca_conf *c, long long now, const char *what,
    json_t *body)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "timestamp", json_integer(now));
	json_object_set_new(o, "pbs_version", json_string(SOCA_PBS_VERSION));
	json_object_set_new(o, "pbs_server", json_string(soca_pbs_server(c)));
	json_object_set(o, what, body);
	if ((s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER)) == NULL)
		errx(SOCA_EX_TEMP, "out of memory");
	puts(s);
	free(s);
	json_decref(o);
}
