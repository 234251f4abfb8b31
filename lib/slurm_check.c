/*
 * slurm_check.c: `soca-config check` with scheduler = slurm: does
 * slurm.conf agree with soca.conf?  Read from [cluster] slurm_conf, else
 * $SLURM_CONF, else /etc/slurm/slurm.conf.  Three things must agree, the
 * ones soca-config slurm writes: the programs (ResumeProgram is
 * soca-node-up, SuspendProgram and ResumeFailProgram soca-node-down),
 * the partitions (one per enabled soca queue, and no partition soca does
 * not know as a queue), and each CLOUD node set's Feature (an instance
 * type, which the queues of its partitions allow and list).  Each
 * disagreement is one line naming both sides and the fix.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slurm.h"

struct nodeset {
	char **names;
	size_t n;
	char *type;		/* the Feature that is an instance type */
	bool cloud;
};

struct sconf {
	char *resume, *suspend, *fail;
	char **parts, **pnodes;	/* partition names, their Nodes= */
	size_t nparts;
	struct nodeset *sets;
	size_t nsets;
};

/* VALUE of KEY= in a line of space-separated KEY=VALUE pairs, or NULL */
static char *
field(const char *line, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = line; *p; ) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1, *e = v;

			while (*e && *e != ' ' && *e != '\t' && *e != '\n')
				e++;
			return soca_xstrndup(v, (size_t)(e - v));
		}
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return NULL;
}

static void
set_line(struct sconf *s, const char *line)
{
	char *names = field(line, "NodeName"), *st = field(line, "State");
	char *feat = field(line, "Feature"), *tok, *save = NULL;
	struct nodeset *ns;

	if (feat == NULL)
		feat = field(line, "Features");
	s->sets = soca_xreallocarray(s->sets, s->nsets + 1, sizeof(*s->sets));
	ns = &s->sets[s->nsets++];
	memset(ns, 0, sizeof(*ns));
	ns->cloud = st && strcasecmp(st, "CLOUD") == 0;
	if (soca_hostlist_expand(names, &ns->names, &ns->n) < 0)
		ns->n = 0;
	for (tok = feat ? strtok_r(feat, ",", &save) : NULL; tok && !ns->type;
	    tok = strtok_r(NULL, ",", &save))
		if (strchr(tok, '.') != NULL)
			ns->type = soca_xstrdup(tok);
	free(names);
	free(st);
	free(feat);
}

static void
line_in(struct sconf *s, char *line)
{
	char *h = strchr(line, '#'), *v;

	if (h)
		*h = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncasecmp(line, "NodeName=", 9) == 0) {
		if (strncasecmp(line + 9, "DEFAULT", 7) != 0)
			set_line(s, line);
	} else if (strncasecmp(line, "PartitionName=", 14) == 0) {
		if ((v = field(line, "PartitionName")) == NULL ||
		    strcasecmp(v, "DEFAULT") == 0) {
			free(v);
			return;
		}
		s->parts = soca_xreallocarray(s->parts, s->nparts + 1,
		    sizeof(char *));
		s->pnodes = soca_xreallocarray(s->pnodes, s->nparts + 1,
		    sizeof(char *));
		s->parts[s->nparts] = v;
		s->pnodes[s->nparts++] = field(line, "Nodes");
	} else if ((v = field(line, "ResumeProgram")) != NULL)
		s->resume = v;
	else if ((v = field(line, "SuspendProgram")) != NULL)
		s->suspend = v;
	else if ((v = field(line, "ResumeFailProgram")) != NULL)
		s->fail = v;
}

static const char *
base(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;

	return b ? b + 1 : p;
}

static size_t
programs(const struct sconf *s, const char *path, FILE *f)
{
	const char *const want[][3] = {
		{ "ResumeProgram", "soca-node-up", s->resume },
		{ "SuspendProgram", "soca-node-down", s->suspend },
		{ "ResumeFailProgram", "soca-node-down", s->fail },
	};
	size_t n = 0;

	for (size_t i = 0; i < 3; i++)
		if (want[i][2] == NULL || strcmp(base(want[i][2]),
		    want[i][1]) != 0) {
			fprintf(f, "%s: %s is %s, not %s: soca launches no "
			    "capacity for Slurm (set %s=/path/to/%s; "
			    "soca-config slurm prints it)\n", path, want[i][0],
			    want[i][2] ? want[i][2] : "not set", want[i][1],
			    want[i][0], want[i][1]);
			n++;
		}
	return n;
}

/* the node set of name, or NULL */
static const struct nodeset *
set_of(const struct sconf *s, const char *name)
{
	for (size_t i = 0; i < s->nsets; i++)
		for (size_t k = 0; k < s->sets[i].n; k++)
			if (strcmp(s->sets[i].names[k], name) == 0)
				return &s->sets[i];
	return NULL;
}

/* a type the queue's instance_type lists ("a+b"), or it lists none */
static bool
queue_lists(const struct soca_conf *c, const char *q, const char *type)
{
	const char *it = soca_conf_get(c, "queue", q, "instance_type");
	char **v;
	size_t n;
	bool in = false;

	if (it == NULL)
		return true;
	n = soca_conf_list(c, "queue", q, "instance_type", &v);
	for (size_t i = 0; i < n && !in; i++)
		in = strcmp(v[i], type) == 0;
	soca_strv_free(v, n);
	if (!in && n == 1 && strchr(it, '+')) {	/* one "a+b" value */
		char *copy = soca_xstrdup(it), *tok, *save = NULL;

		for (tok = strtok_r(copy, "+", &save); tok && !in;
		    tok = strtok_r(NULL, "+", &save))
			in = strcmp(tok, type) == 0;
		free(copy);
	}
	return in;
}

/* partition p (a soca queue): its CLOUD nodes' types */
static size_t
part_types(const struct soca_conf *c, const struct sconf *s, size_t p,
    const char *path, FILE *f)
{
	char **names, *why;
	size_t nn, n = 0;
	const struct nodeset *last = NULL, *ns;

	if (s->pnodes[p] == NULL || soca_hostlist_expand(s->pnodes[p], &names,
	    &nn) < 0)
		return 0;
	for (size_t i = 0; i < nn; i++) {
		if ((ns = set_of(s, names[i])) == NULL || ns == last ||
		    !ns->cloud)
			continue;
		last = ns;
		if (ns->type == NULL) {
			fprintf(f, "%s: node %s (partition %s) has no instance "
			    "type as a Feature: soca cannot launch it (add "
			    "Feature=TYPE, e.g. Feature=c5.large)\n", path,
			    names[i], s->parts[p]);
			n++;
		} else if ((why = soca_instance_type_refused(c, s->parts[p],
		    ns->type)) != NULL) {
			fprintf(f, "%s: node %s (partition %s): %s (move the "
			    "node set, or allow the type in soca.conf)\n",
			    path, names[i], s->parts[p], why);
			free(why);
			n++;
		} else if (!queue_lists(c, s->parts[p], ns->type)) {
			fprintf(f, "%s: node %s (partition %s) is %s, which "
			    "queue \"%s\" does not list in instance_type (%s): "
			    "its jobs never ask for it (add the type to the "
			    "queue, or drop the node set)\n", path, names[i],
			    s->parts[p], ns->type, s->parts[p],
			    soca_conf_get(c, "queue", s->parts[p],
			    "instance_type"));
			n++;
		}
	}
	soca_strv_free(names, nn);
	return n;
}

static size_t
partitions(const struct soca_conf *c, const struct sconf *s,
    const char *path, FILE *f)
{
	char **q;
	size_t nq = soca_conf_names(c, "queue", &q), n = 0, k;

	for (size_t i = 0; i < nq; i++) {
		if (!soca_conf_bool(c, "queue", q[i], "enabled"))
			continue;
		for (k = 0; k < s->nparts && strcmp(s->parts[k], q[i]); k++)
			;
		if (k == s->nparts) {
			fprintf(f, "%s: no partition for queue \"%s\": its jobs "
			    "cannot be submitted (add PartitionName=%s; "
			    "soca-config slurm prints it)\n", path, q[i], q[i]);
			n++;
		}
	}
	for (k = 0; k < s->nparts; k++) {
		if (!soca_conf_has_section(c, "queue", s->parts[k])) {
			fprintf(f, "%s: partition %s is no soca queue: its "
			    "jobs get queue \"%s\"'s policy and tags (add "
			    "[queue \"%s\"] to soca.conf, or remove the "
			    "partition)\n", path, s->parts[k], soca_conf_get(c,
			    "cluster", NULL, "default_queue"), s->parts[k]);
			n++;
			continue;
		}
		n += part_types(c, s, k, path, f);
	}
	soca_strv_free(q, nq);
	return n;
}

static void
sconf_free(struct sconf *s)
{
	free(s->resume);
	free(s->suspend);
	free(s->fail);
	soca_strv_free(s->parts, s->nparts);
	for (size_t i = 0; i < s->nparts; i++)
		free(s->pnodes[i]);
	free(s->pnodes);
	for (size_t i = 0; i < s->nsets; i++) {
		soca_strv_free(s->sets[i].names, s->sets[i].n);
		free(s->sets[i].type);
	}
	free(s->sets);
}

/* slurm.conf's path for this configuration */
const char *
soca_slurm_conf_path(const struct soca_conf *c)
{
	const char *p = soca_conf_get(c, "cluster", NULL, "slurm_conf");

	if (p == NULL)
		p = getenv("SLURM_CONF");
	return p ? p : "/etc/slurm/slurm.conf";
}

/*
 * The disagreements between slurm.conf and c, one line each on f: their
 * number, or -1 (errno) when slurm.conf cannot be read.
 */
long
soca_slurm_check(const struct soca_conf *c, FILE *f)
{
	const char *path = soca_slurm_conf_path(c);
	struct sconf s = { 0 };
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n;

	if (in == NULL)
		return -1;
	while (getline(&line, &cap, in) > 0)
		line_in(&s, line);
	free(line);
	fclose(in);
	n = programs(&s, path, f) + partitions(c, &s, path, f);
	sconf_free(&s);
	return (long)n;
}
