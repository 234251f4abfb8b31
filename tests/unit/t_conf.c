/* t_conf.c: the soca.conf parser, typed lookups and cross-checks. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "soca.h"
#include "tap.h"

static struct soca_conf *
parse(const char *text)
{
	return soca_conf_parse("t.conf", text, strlen(text));
}

static bool
has_diag(struct soca_conf *c, int line, const char *needle)
{
	for (size_t i = 0; i < soca_conf_ndiags(c); i++) {
		const struct soca_diag *d = soca_conf_diag(c, i);
		if (d->line == line && strstr(d->msg, needle))
			return true;
	}
	for (size_t i = 0; i < soca_conf_ndiags(c); i++)
		tap_diag("diag %d: %s", soca_conf_diag(c, i)->line,
		    soca_conf_diag(c, i)->msg);
	return false;
}

static void
good(void)
{
	struct soca_conf *c = parse(
	    "# comment\n"
	    "[cluster]\n"
	    "name = prod   # trailing comment\n"
	    "default_queue = gpu\n"
	    "max_script_size = 2M\n"
	    "\n"
	    "[queue \"gpu\"]\n"
	    "  allowed_instance_types = g5, p4d.24xlarge\n"
	    "instance_type = g5.xlarge\n"
	    "description = \"GPU jobs; # not a comment\"\n"
	    "max_running_jobs = 10\n"
	    "[project \"cfd\"]\r\n"
	    "allowed_users = alice,bob\r\n");
	char **v;
	size_t n;

	is_int((long long)soca_conf_ndiags(c), 0, "good config: no problems");
	is_str(soca_conf_get(c, "cluster", NULL, "name"), "prod",
	    "value without its comment");
	is_str(soca_conf_get(c, "cluster", NULL, "provider"), "local",
	    "default applies");
	is_int(soca_conf_int(c, "cluster", NULL, "max_script_size"), 2 << 20,
	    "size in bytes");
	is_str(soca_conf_get(c, "queue", "gpu", "description"),
	    "GPU jobs; # not a comment", "quoted value keeps # and ;");
	is_int(soca_conf_int(c, "queue", "gpu", "max_running_jobs"), 10,
	    "integer");
	n = soca_conf_list(c, "queue", "gpu", "allowed_instance_types", &v);
	ok(n == 2 && strcmp(v[0], "g5") == 0 &&
	    strcmp(v[1], "p4d.24xlarge") == 0, "list split and trimmed");
	soca_strv_free(v, n);
	n = soca_conf_list(c, "project", "cfd", "allowed_users", &v);
	ok(n == 2 && strcmp(v[1], "bob") == 0, "CRLF line endings");
	soca_strv_free(v, n);
	ok(!soca_conf_has_section(c, "queue", "normal"),
	    "configured queues replace the built-in ones");
	soca_conf_check(c);
	is_int((long long)soca_conf_ndiags(c), 0, "cross-checks pass");
	soca_conf_free(c);
}

static void
builtin(void)
{
	struct soca_conf *c = parse("");
	char **v;
	size_t n = soca_conf_names(c, "queue", &v);

	is_int((long long)n, 5, "five built-in queues");
	ok(n == 5 && strcmp(v[0], "normal") == 0 &&
	    strcmp(v[3], "job-shared") == 0, "SOCA's queue names");
	soca_strv_free(v, n);
	is_str(soca_conf_get(c, "queue", "job-shared", "scaling_mode"),
	    "multiple_jobs", "job-shared shares capacity");
	soca_conf_check(c);
	is_int((long long)soca_conf_ndiags(c), 0, "built-in defaults check");
	soca_conf_free(c);
}

static void
bad(void)
{
	struct soca_conf *c = parse(
	    "[cluster]\n"			/* 1 */
	    "nmae = x\n"			/* 2 */
	    "[clutser]\n"			/* 3 */
	    "[queue]\n"				/* 4 */
	    "[queue \"q\"]\n"			/* 5 */
	    "nodes = 3\n"			/* 6 */
	    "nodes = many\n"			/* 7 */
	    "description = \"open\n"		/* 8 */
	    "max_running_jobs = -3\n"		/* 9 */
	    "just words\n"			/* 10 */
	    "ncpus = lots\n"			/* 11 */
	    "scaling_mode = sometimes\n"	/* 12 */
	    "allowed_users = a,,b\n"		/* 13 */
	    "[queue \"a b\"]\n"			/* 14 */
	    "[queue \"q\"\n");			/* 15 */

	ok(has_diag(c, 2, "unknown key nmae in [cluster] (did you mean name?)"),
	    "unknown key with suggestion");
	ok(has_diag(c, 3, "unknown section [clutser] (did you mean [cluster]?)"),
	    "unknown section with suggestion");
	ok(has_diag(c, 4, "needs a name"), "named section without name");
	ok(has_diag(c, 7, "duplicate key nodes (already set on line 6"),
	    "duplicate key names the first line");
	ok(has_diag(c, 8, "unterminated quote"), "unterminated quote");
	ok(has_diag(c, 9, "from 0 to 1000000"), "range named");
	ok(has_diag(c, 10, "expected key = value"), "garbage line");
	ok(has_diag(c, 11, "bad value \"lots\" for ncpus: expected a whole"),
	    "bad integer");
	ok(has_diag(c, 12, "expected one of single_job|multiple_jobs"),
	    "bad enum names the choices");
	ok(has_diag(c, 13, "no empty items"), "empty list item");
	ok(has_diag(c, 14, "bad queue name"), "queue name with a space");
	ok(has_diag(c, 15, "bad section header"), "header without ]");
	is_int((long long)soca_conf_ndiags(c), 12, "one problem a line");
	soca_conf_free(c);
	c = parse("name = x\n");
	ok(has_diag(c, 1, "outside any section"), "key before any section");
	soca_conf_free(c);
}

static void
cross(void)
{
	struct soca_conf *c = parse(
	    "[cluster]\n"
	    "default_queue = nope\n"
	    "[queue \"q\"]\n"
	    "allowed_instance_types = c5, m5.large\n"
	    "instance_type = c6i.large\n"
	    "restricted_parameters = instance_type, colour\n"
	    "nodes = 2\n"
	    "spot_allocation_count = 3\n");
	char *why;

	soca_conf_check(c);
	ok(has_diag(c, 2, "default_queue \"nope\" names no [queue \"nope\"]"),
	    "default queue must exist");
	ok(has_diag(c, 5, "c6i.large is not allowed in queue \"q\""),
	    "queue default type outside its own allowed list");
	ok(has_diag(c, 6, "names colour, which is not a job resource"),
	    "restricted parameter must be a resource");
	ok(has_diag(c, 8, "spot_allocation_count 3 is more than nodes 2"),
	    "spot count above nodes");
	why = soca_instance_type_refused(c, "q", "c5.24xlarge");
	ok(why == NULL, "family c5 allows c5.24xlarge");
	free(why);
	why = soca_instance_type_refused(c, "q", "m5.xlarge");
	ok(why != NULL, "m5.large does not allow m5.xlarge");
	free(why);
	why = soca_instance_type_refused(c, "q", "c5n.large");
	ok(why != NULL, "family c5 does not allow c5n.large");
	free(why);
	soca_conf_free(c);
}

void
t_conf(void)
{
	good();
	builtin();
	bad();
	cross();
}
