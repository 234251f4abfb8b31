/*
 * soca-config: check, show and query soca.conf(5).
 *
 * `check` is what an administrator runs after every edit and what cron
 * wrappers run before anything else; `show` prints the effective
 * configuration with defaults merged in and secrets redacted; `get`
 * prints one value for scripts; `keys` lists what may be set.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "soca.h"
#include "slurm.h"

static const char usage_text[] =
    "usage: soca-config [-c file] check [file]\n"
    "       soca-config [-c file] show [-J] [section[.name]]\n"
    "       soca-config [-c file] get section[.name].key\n"
    "       soca-config keys [-J] [section]\n"
    "       soca-config [-c file] slurm\n";

static const char *conf_opt;
static bool json;

static void __attribute__((noreturn))
usage(void)
{
	fputs(usage_text, stderr);
	exit(SOCA_EX_USAGE);
}

static struct soca_conf *
load(const char *path)
{
	struct soca_conf *c = soca_conf_load(path);

	if (c == NULL) {
		warn("%s", path);
		return NULL;
	}
	soca_conf_check(c);
	return c;
}

/* For show and get: a configuration without problems, else NULL (said). */
static struct soca_conf *
load_sound(void)
{
	struct soca_conf *c = load(soca_conf_path(conf_opt));

	if (c == NULL)
		return NULL;
	if (soca_conf_report(c) == 0)
		return c;
	warnx("the configuration has problems: run soca-config check");
	soca_conf_free(c);
	return NULL;
}

/* scheduler = slurm: slurm.conf must agree (lib/slurm_check.c) */
static int
slurm_agrees(const struct soca_conf *c)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m;
	long n;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "scheduler"), "slurm"))
		return 0;
	if ((m = open_memstream(&text, &len)) == NULL)
		err(SOCA_EX_TEMP, "open_memstream");
	n = soca_slurm_check(c, m);
	fclose(m);
	if (n < 0) {
		warn("%s: cannot read it (set [cluster] slurm_conf to the "
		    "slurm.conf soca serves)", soca_slurm_conf_path(c));
		free(text);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL,
	    "\n", &save))
		warnx("%s", line);
	if (n > 0)
		warnx("%s and soca.conf disagree in %ld place%s",
		    soca_slurm_conf_path(c), n, n == 1 ? "" : "s");
	free(text);
	return n > 0 ? -1 : 1;
}

static int
cmd_check(int argc, char **argv)
{
	const char *path;
	struct soca_conf *c;
	char **q;
	size_t nq, np, nd;
	int agrees;

	if (argc > 1)
		usage();
	path = argc == 1 ? argv[0] : soca_conf_path(conf_opt);
	if ((c = load(path)) == NULL)
		return SOCA_EX_USAGE;
	if ((nd = soca_conf_report(c)) > 0) {
		warnx("%s: %zu problem%s", path ? path : "<built-in>", nd,
		    nd == 1 ? "" : "s");
		soca_conf_free(c);
		return SOCA_EX_USAGE;
	}
	if ((agrees = slurm_agrees(c)) < 0) {
		soca_conf_free(c);
		return SOCA_EX_USAGE;
	}
	nq = soca_conf_names(c, "queue", &q);
	soca_strv_free(q, nq);
	np = soca_conf_names(c, "project", &q);
	soca_strv_free(q, np);
	printf("%s: ok (%zu queue%s, %zu project%s)%s%s%s\n",
	    path ? path : "no configuration file, built-in defaults", nq,
	    nq == 1 ? "" : "s", np, np == 1 ? "" : "s", agrees ? "; " : "",
	    agrees ? soca_slurm_conf_path(c) : "", agrees ? " agrees" : "");
	soca_conf_free(c);
	return SOCA_EX_OK;
}

static bool
needs_quotes(const char *v)
{
	if (*v == '\0' || *v == ' ' || *v == '\t' || *v == '"')
		return true;
	if (v[strlen(v) - 1] == ' ' || v[strlen(v) - 1] == '\t')
		return true;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == '#' || *v == ';' ||
		    *v == '\\')
			return true;
	return false;
}

static void
print_value(const char *v)
{
	if (!needs_quotes(v)) {
		fputs(v, stdout);
		return;
	}
	putchar('"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			printf("\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", stdout);
		else if (*v == '\t')
			fputs("\\t", stdout);
		else if ((unsigned char)*v < 0x20 || *v == 0x7f)
			printf("?");
		else
			putchar(*v);
	}
	putchar('"');
}

static json_t *
typed(const struct soca_key *k, const char *v)
{
	long long i;
	double d;
	bool b;
	char **items;
	size_t n;
	json_t *a;

	switch (k->type) {
	case SOCA_T_INT:
		if (soca_parse_int(v, LLONG_MIN, LLONG_MAX, &i) == 0)
			return json_integer(i);
		break;
	case SOCA_T_DURATION:
		if (soca_parse_duration(v, &i) == 0)
			return json_integer(i);
		break;
	case SOCA_T_NUMBER:
	case SOCA_T_USD:
		if (soca_parse_number(v, &d) == 0)
			return json_real(d);
		break;
	case SOCA_T_BOOL:
		if (soca_parse_bool(v, &b) == 0)
			return json_boolean(b);
		break;
	case SOCA_T_LIST:
		a = json_array();
		if (soca_split_list(v, &items, &n) == 0) {
			for (size_t j = 0; j < n; j++)
				json_array_append_new(a, json_string(items[j]));
			soca_strv_free(items, n);
		}
		return a;
	default:
		break;
	}
	return json_string(v);
}

static void
show_key(const struct soca_conf *c, const struct soca_section_schema *ss,
    const char *name, const struct soca_key *k)
{
	const char *v = soca_conf_get(c, ss->name, name, k->name);
	bool set = soca_conf_isset(c, ss->name, name, k->name);
	json_t *o;
	char *s;

	if (v == NULL)
		return;
	if (k->type == SOCA_T_SECRET)
		v = "<redacted>";
	if (!json) {
		printf("%s = ", k->name);
		print_value(v);
		puts(set ? "" : "\t# default");
		return;
	}
	o = json_pack("{s:s, s:o, s:s, s:o, s:b}", "section", ss->name, "name",
	    name ? json_string(name) : json_null(), "key", k->name, "value",
	    k->type == SOCA_T_SECRET ? json_string(v) : typed(k, v),
	    "default", !set);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	puts(s);
	free(s);
	json_decref(o);
}

static void
show_section(const struct soca_conf *c, const struct soca_section_schema *ss,
    const char *name)
{
	if (!json) {
		if (name)
			printf("[%s \"%s\"]\n", ss->name, name);
		else
			printf("[%s]\n", ss->name);
	}
	for (const struct soca_key *k = ss->keys; k->name; k++)
		show_key(c, ss, name, k);
	if (!json)
		putchar('\n');
}

static int
cmd_show(int argc, char **argv)
{
	struct soca_conf *c;
	char *want = NULL, *wname = NULL, **names;
	bool found = false;
	size_t n;

	if (argc > 1)
		usage();
	if (argc == 1) {
		want = soca_xstrdup(argv[0]);
		if ((wname = strchr(want, '.')) != NULL)
			*wname++ = '\0';
		if (soca_schema_section(want) == NULL) {
			warnx("unknown section \"%s\" (see soca-config keys)",
			    want);
			free(want);
			return SOCA_EX_USAGE;
		}
	}
	if ((c = load_sound()) == NULL) {
		free(want);
		return SOCA_EX_USAGE;
	}
	for (const struct soca_section_schema *ss = soca_schema; ss->name;
	    ss++) {
		if (want && strcmp(want, ss->name) != 0)
			continue;
		if (!ss->named) {
			show_section(c, ss, NULL);
			found = true;
			continue;
		}
		n = soca_conf_names(c, ss->name, &names);
		for (size_t i = 0; i < n; i++)
			if (wname == NULL || strcmp(wname, names[i]) == 0) {
				show_section(c, ss, names[i]);
				found = true;
			}
		soca_strv_free(names, n);
	}
	soca_conf_free(c);
	free(want);
	if (fflush(stdout) != 0)
		err(SOCA_EX_TEMP, "stdout");
	return found ? SOCA_EX_OK : SOCA_EX_FALSE;
}

/* get SECTION[.NAME].KEY, the argument copied into sec to be cut up */
static int
get_key(const char *arg, char *sec)
{
	const struct soca_section_schema *ss;
	const struct soca_key *k;
	struct soca_conf *c;
	char *key, *name;
	const char *v;
	int rc = SOCA_EX_OK;

	if ((key = strrchr(sec, '.')) == NULL) {
		warnx("\"%s\": expected section.key or section.name.key",
		    arg);
		return SOCA_EX_USAGE;
	}
	*key++ = '\0';
	if ((name = strchr(sec, '.')) != NULL)
		*name++ = '\0';
	if ((ss = soca_schema_section(sec)) == NULL) {
		warnx("unknown section \"%s\" (see soca-config keys)", sec);
		return SOCA_EX_USAGE;
	}
	if (ss->named != (name != NULL)) {
		warnx(ss->named ? "[%s] sections are named: expected "
		    "%s.NAME.%s" : "[%s] takes no name: expected %s.%s",
		    sec, sec, key);
		return SOCA_EX_USAGE;
	}
	if ((k = soca_schema_key(ss, key)) == NULL) {
		warnx("unknown key \"%s\" in [%s] (see soca-config keys %s)",
		    key, sec, sec);
		return SOCA_EX_USAGE;
	}
	if ((c = load_sound()) == NULL)
		return SOCA_EX_USAGE;
	if (name != NULL && !soca_conf_has_section(c, sec, name))
		rc = SOCA_EX_FALSE;
	else if ((v = soca_conf_get(c, sec, name, key)) == NULL)
		rc = SOCA_EX_FALSE;
	else
		puts(k->type == SOCA_T_SECRET ? "<redacted>" : v);
	soca_conf_free(c);
	return rc;
}

static int
cmd_get(int argc, char **argv)
{
	char *sec;
	int rc;

	if (argc != 1)
		usage();
	sec = soca_xstrdup(argv[0]);
	rc = get_key(argv[0], sec);
	free(sec);
	return rc;
}

static const char *
type_name(enum soca_type t)
{
	static const char *names[] = { "string", "integer", "boolean",
	    "duration", "size", "number", "list", "enum", "path", "secret",
	    "usd" };

	return names[t];
}

/* slurm: the slurm.conf lines for soca's queues (lib/slurm_conf.c) */
static int
cmd_slurm(int argc, char **argv)
{
	struct soca_conf *c;
	char *why = NULL;
	int rc = SOCA_EX_OK;

	(void)argv;
	if (argc > 0)
		usage();
	if ((c = load_sound()) == NULL)
		return SOCA_EX_USAGE;
	if (soca_slurm_conf(c, stdout, &why) < 0) {
		warnx("%s (the node sets' CPUs and memory come from it)", why);
		free(why);
		rc = SOCA_EX_TEMP;
	}
	soca_conf_free(c);
	return rc;
}

static int
cmd_keys(int argc, char **argv)
{
	if (argc > 1)
		usage();
	if (argc == 1 && soca_schema_section(argv[0]) == NULL)
		errx(SOCA_EX_USAGE, "unknown section \"%s\" (sections: cluster, "
		    "aws, ldap, queue, project)", argv[0]);
	for (const struct soca_section_schema *ss = soca_schema; ss->name;
	    ss++) {
		if (argc == 1 && strcmp(argv[0], ss->name) != 0)
			continue;
		for (const struct soca_key *k = ss->keys; k->name; k++) {
			if (json) {
				json_t *o = json_pack("{s:s, s:b, s:s, s:s, "
				    "s:s?, s:s?, s:s}", "section", ss->name,
				    "named", ss->named, "key", k->name, "type",
				    type_name(k->type), "default", k->def,
				    "choices", k->choices, "doc", k->doc);
				char *s = json_dumps(o, JSON_COMPACT |
				    JSON_PRESERVE_ORDER);
				puts(s);
				free(s);
				json_decref(o);
			} else {
				printf("%s.%s%s\t%s\t%s\t%s\n", ss->name,
				    ss->named ? "NAME." : "", k->name,
				    k->type == SOCA_T_ENUM ? k->choices :
				    type_name(k->type), k->def ? k->def : "-",
				    k->doc);
			}
		}
	}
	return fflush(stdout) == 0 ? SOCA_EX_OK : SOCA_EX_TEMP;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb;
	int ch;

	while ((ch = getopt_long(argc, argv, "+c:hJV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_opt = optarg; break;
		case 'h': fputs(usage_text, stdout); return SOCA_EX_OK;
		case 'J': json = true; break;
		case 'V': puts(PACKAGE_STRING); return SOCA_EX_OK;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	verb = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	/* options may also follow the verb: soca-config show -J */
	optind = 0;
	while ((ch = getopt_long(argc + 1, argv - 1, "+hJ", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'h': fputs(usage_text, stdout); return SOCA_EX_OK;
		case 'J': json = true; break;
		default: usage();
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (strcmp(verb, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(verb, "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(verb, "get") == 0)
		return cmd_get(argc, argv);
	if (strcmp(verb, "keys") == 0)
		return cmd_keys(argc, argv);
	if (strcmp(verb, "slurm") == 0)
		return cmd_slurm(argc, argv);
	warnx("unknown command \"%s\" (expected check, show, get, keys or "
	    "slurm)", verb);
	usage();
}
