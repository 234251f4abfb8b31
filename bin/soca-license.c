/*
 * soca-license: each [license "NAME"] of soca.conf as the dispatcher sees
 * it: issued, in use, reserved, available (issued - in use - reserved),
 * and what queued jobs ask for (-l NAME=N).  Read from the FlexLM server
 * (lmutil lmstat) or the license's command, each once.  --slurm gives
 * the same counts to Slurm instead (lib/license_slurm.c).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "license.h"

static const char usage_text[] =
    "usage: soca-license [-Jn] [--csv] [-o cols] [license ...]\n"
    "       soca-license --slurm [license ...]\n"
    "  -J        JSON Lines;  --csv  CSV;  -n  no headings;  -o  columns\n"
    "  --slurm   hold back in Slurm what is used outside it (a "
    "license-only\n"
    "            reservation soca-lic-NAME a license)\n";

static const struct soca_col cols[] = {
	{ "license", "LICENSE", SOCA_COL_STR, false, false },
	{ "feature", "FEATURE", SOCA_COL_STR, false, false },
	{ "issued", "ISSUED", SOCA_COL_INT, true, false },
	{ "in_use", "IN USE", SOCA_COL_INT, true, false },
	{ "reserved", "RESERVED", SOCA_COL_INT, true, false },
	{ "available", "AVAILABLE", SOCA_COL_INT, true, false },
	{ "asked", "ASKED", SOCA_COL_INT, true, false },
	{ "source", "SOURCE", SOCA_COL_STR, false, true },
	{ "status", "STATUS", SOCA_COL_STR, false, false },
};
#define NCOLS (sizeof(cols) / sizeof(*cols))

struct asked {
	const struct soca_conf *c;
	char **names;
	long long *n;
	size_t count;
};

static void __attribute__((noreturn))
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* what each queued job asks for, per license */
static int
ask(struct soca_job *j, void *arg)
{
	struct asked *a = arg;

	for (size_t i = 0; i < j->nres; i++) {
		size_t kl = strcspn(j->res[i], "=");

		for (size_t k = 0; k < a->count; k++)
			if (strlen(a->names[k]) == kl &&
			    strncmp(a->names[k], j->res[i], kl) == 0)
				a->n[k] += strtoll(j->res[i] + kl + 1, NULL, 10);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "csv", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "slurm", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 } };
	enum soca_out_fmt fmt = SOCA_OUT_TABLE;
	struct asked a = { 0 };
	const char *sel = NULL;
	struct soca_spool *sp;
	struct soca_conf *c;
	struct soca_out *o;
	bool noheads = false, slurm = false;
	int ch, rc = SOCA_EX_OK;

	while ((ch = getopt_long(argc, argv, "hJno:", lo, NULL)) != -1)
		switch (ch) {
		case 'C': fmt = SOCA_OUT_CSV; break;
		case 'h': usage(0);
		case 'J': fmt = SOCA_OUT_JSON; break;
		case 'n': noheads = true; break;
		case 'o': sel = optarg; break;
		case 'S': slurm = true; break;
		default: usage(SOCA_EX_USAGE);
		}
	if (slurm && (fmt != SOCA_OUT_TABLE || noheads || sel)) {
		warnx("--slurm prints one line a license: it takes no -J, "
		    "--csv, -n or -o");
		return SOCA_EX_USAGE;
	}
	if (!soca_out_select_ok(cols, NCOLS, sel))
		return SOCA_EX_USAGE;
	c = soca_conf_must();
	a.c = c;
	if (optind < argc) {
		for (int i = optind; i < argc; i++)
			if (!soca_conf_has_section(c, "license", argv[i])) {
				warnx("%s: no [license \"%s\"] in %s "
				    "(soca-license alone lists them)", argv[i],
				    argv[i], soca_conf_file(c) ?
				    soca_conf_file(c) : "the configuration");
				soca_conf_free(c);
				return SOCA_EX_USAGE;
			}
		a.count = (size_t)(argc - optind);
		a.names = soca_xcalloc(a.count, sizeof(char *));
		for (size_t i = 0; i < a.count; i++)
			a.names[i] = soca_xstrdup(argv[optind + (int)i]);
	} else
		a.count = soca_conf_names(c, "license", &a.names);
	if (slurm) {
		rc = soca_license_slurm(c, a.names, a.count, stdout);
		soca_strv_free(a.names, a.count);
		soca_conf_free(c);
		return rc;
	}
	a.n = soca_xcalloc(a.count ? a.count : 1, sizeof(*a.n));
	if ((sp = soca_spool_open(c, false)) != NULL) {
		soca_spool_list(sp, 1u << SOCA_QUEUED, ask, &a);
		soca_spool_close(sp);
	}
	o = soca_out_new(cols, NCOLS, fmt, noheads, sel, stdout);
	for (size_t i = 0; i < a.count; i++) {
		const char *cmd = soca_conf_get(c, "license", a.names[i],
		    "command");
		struct soca_lic l;
		char *why = NULL, *src;

		if (cmd)
			src = soca_xasprintf("command: %s", cmd);
		else {
			char **v;
			size_t n = soca_conf_list(c, "license", a.names[i],
			    "server", &v);
			struct soca_buf b = { 0 };

			for (size_t k = 0; k < n; k++)
				soca_buf_addf(&b, "%s%s", k ? "," : "", v[k]);
			soca_strv_free(v, n);
			src = b.s ? soca_buf_steal(&b) : soca_xstrdup("");
		}
		soca_out_str(o, "license", a.names[i]);
		soca_out_str(o, "feature", cmd ? "-" :
		    soca_license_feature(c, a.names[i]));
		soca_out_str(o, "source", src);
		soca_out_int(o, "asked", a.n[i]);
		if (soca_license_read(c, a.names[i], &l, &why) < 0) {
			char *st = soca_xasprintf("unreadable: %s", why);

			soca_out_str(o, "issued", NULL);
			soca_out_str(o, "in_use", NULL);
			soca_out_str(o, "reserved", NULL);
			soca_out_str(o, "available", NULL);
			soca_out_str(o, "status", st);
			free(st);
			rc = SOCA_EX_TEMP;
		} else if (l.uncounted) {
			soca_out_str(o, "issued", NULL);
			soca_out_int(o, "in_use", l.in_use);
			soca_out_int(o, "reserved", l.reserved);
			soca_out_str(o, "available", NULL);
			soca_out_str(o, "status", "uncounted");
		} else {
			soca_out_int(o, "issued", l.issued);
			soca_out_int(o, "in_use", l.in_use);
			soca_out_int(o, "reserved", l.reserved);
			soca_out_int(o, "available", l.available);
			soca_out_str(o, "status", "ok");
		}
		soca_out_row(o);
		free(why);
		free(src);
	}
	if (soca_out_end(o) < 0)
		err(SOCA_EX_TEMP, "stdout");
	soca_strv_free(a.names, a.count);
	free(a.n);
	soca_conf_free(c);
	return rc;
}
