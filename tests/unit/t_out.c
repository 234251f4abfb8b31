/* t_out.c: table, JSON Lines and CSV from the same rows. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "soca.h"
#include "tap.h"

static const struct soca_col cols[] = {
	{ "id", "ID", SOCA_COL_INT, true, false },
	{ "name", "NAME", SOCA_COL_STR, false, false },
	{ "secret", "SECRET", SOCA_COL_STR, false, true },
};

static char *
render(enum soca_out_fmt fmt, bool nohead, const char *sel)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct soca_out *o = soca_out_new(cols, 3, fmt, nohead, sel, f);

	soca_out_int(o, "id", 7);
	soca_out_str(o, "name", "a,\"b\"");
	soca_out_str(o, "secret", "s");
	soca_out_row(o);
	soca_out_int(o, "id", 1234);
	soca_out_str(o, "name", "evil\x1b[31m\n");
	soca_out_row(o);
	soca_out_end(o);
	fclose(f);
	return text;
}

void
t_out(void)
{
	char *s;

	s = render(SOCA_OUT_TABLE, false, NULL);
	is_str(s, "  ID  NAME\n   7  a,\"b\"\n1234  evil\\x1b[31m\\n\n",
	    "table: aligned, hidden column left out, controls escaped");
	free(s);
	s = render(SOCA_OUT_TABLE, true, "name,id");
	is_str(s, "a,\"b\"              7\nevil\\x1b[31m\\n  1234\n",
	    "table: -n and -o order");
	free(s);
	s = render(SOCA_OUT_TABLE, true, "id,name,id");
	is_str(s, "   7  a,\"b\"              7\n1234  evil\\x1b[31m\\n  1234\n",
	    "table: a column named twice by -o");
	free(s);
	s = render(SOCA_OUT_JSON, false, NULL);
	is_str(s, "{\"id\":7,\"name\":\"a,\\\"b\\\"\",\"secret\":\"s\"}\n"
	    "{\"id\":1234,\"name\":\"evil\\u001B[31m\\n\",\"secret\":null}\n",
	    "JSON Lines: typed values, every column, null when unset");
	free(s);
	s = render(SOCA_OUT_CSV, false, "id,name");
	is_str(s, "id,name\n7,\"a,\"\"b\"\"\"\n1234,evil\\x1b[31m\\n\n",
	    "CSV: RFC 4180 quoting");
	free(s);
}
