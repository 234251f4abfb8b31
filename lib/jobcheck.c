/*
 * jobcheck.c: what soca-submit checks before anything is stored: #PBS
 * directives in the script header (the command line wins; each is a
 * qsub option, jobopt.c), the queue's
 * policy (enabled, allowed/excluded users and groups, instance types,
 * restricted parameters) and the script itself.  The queue's defaults
 * are merged into the job here.  Each function returns NULL when all is
 * well, else one allocated message: the value, the rule, the fix.
 */
#include "config.h"

#include <err.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "fsx.h"
#include "job.h"

/* "#PBS -N name" lines before the first command; others are ignored. */
char *
soca_job_directives(struct soca_job *j, const char *s, size_t len,
    unsigned long long *seen)
{
	const char *end = s + len;
	char *why = NULL;

	while (s < end && why == NULL) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		char *line, *p, *arg;

		if (nl == NULL)
			nl = end;
		line = soca_xstrndup(s, (size_t)(nl - s));
		s = nl + 1;
		p = line + strspn(line, " \t");
		if (*p != '\0' && *p != '#') {
			free(line);
			break;
		}
		if (strncmp(p, "#PBS", 4) == 0) {
			p += 4 + strspn(p + 4, " \t");
			if (p[0] == '-' && p[1] != '\0') {
				arg = p + 2 + strspn(p + 2, " \t");
				arg[strcspn(arg, "\r")] = '\0';
				while (*arg && strchr(" \t", arg[strlen(arg) - 1]))
					arg[strlen(arg) - 1] = '\0';
				why = soca_job_option(j, (unsigned char)p[1],
				    arg, seen, true);
			}
		}
		free(line);
	}
	return why;
}

/* Is the user, or one of the user's groups, in the list? */
bool
soca_user_in(const char *user, uid_t uid, gid_t gid, char **list, size_t n)
{
	gid_t *gs = NULL;
	int ng = 64;
	bool hit = false;

	(void)uid;
	if (n == 0)
		return false;	/* no group lookup (NSS loads modules) */
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], user) == 0)
			return true;
	gs = soca_xcalloc((size_t)ng, sizeof(*gs));
	if (getgrouplist(user, gid, gs, &ng) < 0) {
		gs = soca_xreallocarray(gs, (size_t)ng, sizeof(*gs));
		if (getgrouplist(user, gid, gs, &ng) < 0)
			ng = 0;
	}
	for (int g = 0; g < ng && !hit; g++) {
		struct group *gr = getgrgid(gs[g]);

		for (size_t i = 0; gr != NULL && i < n && !hit; i++)
			hit = strcmp(list[i], gr->gr_name) == 0;
	}
	free(gs);
	return hit;
}

bool
soca_is_admin(const struct soca_conf *c, uid_t uid)
{
	struct passwd *pw;
	char *g[1];

	if (uid == 0)
		return true;
	if ((pw = getpwuid(uid)) == NULL)
		return false;
	g[0] = (char *)soca_conf_get(c, "cluster", NULL, "admin_group");
	return g[0] != NULL && soca_user_in(pw->pw_name, uid, pw->pw_gid, g, 1);
}

static char *
check_users(const struct soca_conf *c, const struct soca_job *j)
{
	char **l;
	size_t n;
	char *why = NULL;

	n = soca_conf_list(c, "queue", j->queue, "excluded_users", &l);
	if (soca_user_in(j->user, j->uid, j->gid, l, n))
		why = soca_xasprintf("queue \"%s\": user %s is excluded "
		    "(excluded_users: %s); submit to another queue or ask an "
		    "administrator", j->queue, j->user, soca_conf_get(c,
		    "queue", j->queue, "excluded_users"));
	soca_strv_free(l, n);
	if (why != NULL)
		return why;
	n = soca_conf_list(c, "queue", j->queue, "allowed_users", &l);
	if (n > 0 && !soca_user_in(j->user, j->uid, j->gid, l, n))
		why = soca_xasprintf("queue \"%s\": user %s is not allowed "
		    "(allowed_users: %s); submit to another queue or ask an "
		    "administrator", j->queue, j->user, soca_conf_get(c,
		    "queue", j->queue, "allowed_users"));
	soca_strv_free(l, n);
	return why;
}

static char *
check_restricted(const struct soca_conf *c, const struct soca_job *j)
{
	char **l, *why = NULL;
	size_t n = soca_conf_list(c, "queue", j->queue,
	    "restricted_parameters", &l);

	for (size_t i = 0; i < n && why == NULL; i++)
		if (soca_job_res(j, l[i]) != NULL)
			why = soca_xasprintf("queue \"%s\": resource %s is "
			    "restricted (restricted_parameters: %s); remove "
			    "-l %s, the queue's default applies", j->queue,
			    l[i], soca_conf_get(c, "queue", j->queue,
			    "restricted_parameters"), l[i]);
	soca_strv_free(l, n);
	return why;
}

static char *
check_types(const struct soca_conf *c, const struct soca_job *j)
{
	const char *it = soca_job_res(j, "instance_type");
	char *copy, *tok, *save, *why = NULL, *r;

	if (it == NULL)
		return NULL;
	copy = soca_xstrdup(it);
	for (tok = strtok_r(copy, "+", &save); tok && why == NULL;
	    tok = strtok_r(NULL, "+", &save))
		if ((r = soca_instance_type_refused(c, j->queue, tok))) {
			why = soca_xasprintf("%s; ask for another -l "
			    "instance_type", r);
			free(r);
		}
	free(copy);
	return why;
}

/*
 * A project's members: whoever may charge it, that is everyone when it
 * names no allowed_users and no allowed_groups.  A project that is not
 * a [project] section has no members.
 */
bool
soca_project_member(const struct soca_conf *c, const char *project,
    const char *user, uid_t uid, gid_t gid)
{
	char **u, **g;
	size_t nu, ng;
	bool ok;

	if (!soca_conf_has_section(c, "project", project))
		return false;
	nu = soca_conf_list(c, "project", project, "allowed_users", &u);
	ng = soca_conf_list(c, "project", project, "allowed_groups", &g);
	ok = (nu == 0 && ng == 0) || soca_user_in(user, uid, gid, u, nu) ||
	    soca_user_in(user, uid, gid, g, ng);
	soca_strv_free(u, nu);
	soca_strv_free(g, ng);
	return ok;
}

/* Once projects are configured, a job's project must be one of them. */
static char *
check_project(const struct soca_conf *c, const struct soca_job *j)
{
	char **names;
	size_t n = soca_conf_names(c, "project", &names);

	soca_strv_free(names, n);
	if (n == 0 || j->project == NULL)
		return NULL;
	if (!soca_conf_has_section(c, "project", j->project))
		return soca_xasprintf("unknown project \"%s\" (soca-config "
		    "show lists the projects; give one with -P)", j->project);
	if (soca_project_member(c, j->project, j->user, j->uid, j->gid))
		return NULL;
	return soca_xasprintf("project \"%s\": user %s may not charge it "
	    "(not in its allowed_users or allowed_groups); ask its owner or "
	    "use another -P", j->project, j->user);
}

/* Fill in the queue's defaults for every resource the job did not set. */
static void
merge_defaults(const struct soca_conf *c, struct soca_job *j)
{
	const struct soca_section_schema *qs = soca_schema_section("queue");

	for (const struct soca_key *k = qs->keys; k->name; k++) {
		const char *v;

		if (!soca_is_resource(k->name) || soca_job_res(j, k->name))
			continue;
		if (!soca_conf_isset(c, "queue", j->queue, k->name) &&
		    strcmp(k->name, "nodes") != 0 &&
		    strcmp(k->name, "ncpus") != 0)
			continue;
		if ((v = soca_conf_get(c, "queue", j->queue, k->name)))
			soca_job_set_res(j, k->name, v);
	}
}

static char *
check_script(const struct soca_conf *c, const char *s, size_t len)
{
	long long max = soca_conf_int(c, "cluster", NULL, "max_script_size");
	const char *cr;

	if (len == 0)
		return soca_xstrdup("the job script is empty (give a script "
		    "file, a script on stdin, or -- command args)");
	if (!soca_is_text(s, len))
		return soca_xstrdup("the job script is binary (it holds a NUL "
		    "byte); submit a text script, or run the program with "
		    "-- program args");
	if ((cr = memchr(s, '\r', len)) != NULL && (size_t)(cr - s) + 1 < len &&
	    cr[1] == '\n') {
		size_t line = 1;

		for (const char *p = s; p < cr; p++)
			line += *p == '\n';
		return soca_xasprintf("the job script has DOS line endings "
		    "(\\r\\n, first on line %zu), which the shell would take "
		    "as part of each command; convert it first: dos2unix FILE, "
		    "or sed -i 's/\\r$//' FILE", line);
	}
	if (max > 0 && (long long)len > max)
		return soca_xasprintf("the job script is %zu bytes, over "
		    "max_script_size %s; keep large data in files the script "
		    "reads", len, soca_conf_get(c, "cluster", NULL,
		    "max_script_size"));
	return NULL;
}

/* prefix, then 8 or 17 lowercase hex digits (EC2's id forms) */
static bool
aws_id(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix), n;

	if (strncmp(s, prefix, pl) != 0)
		return false;
	n = strspn(s + pl, "0123456789abcdef");
	return s[pl + n] == '\0' && (n == 8 || n == 17);
}

/* IAM: a name of [A-Za-z0-9+=,.@_-], 1-128, or an instance profile ARN */
static bool
profile_ok(const char *s)
{
	static const char name[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-";
	const char *p;
	size_t n;

	if (strncmp(s, "arn:", 4) != 0)
		return (n = strspn(s, name)) > 0 && n <= 128 && s[n] == '\0';
	if ((p = strstr(s, ":iam::")) == NULL || strncmp(s, "arn:aws", 7) != 0)
		return false;
	p += 6;
	if (strspn(p, "0123456789") != 12 || strncmp(p + 12,
	    ":instance-profile/", 18) != 0)
		return false;
	p += 30;
	if ((s = strrchr(p, '/')) != NULL)
		p = s + 1;
	return (n = strspn(p, name)) > 0 && n <= 128 && p[n] == '\0';
}

/*
 * AWS ids are checked by their form whatever the provider, so a script
 * that passes here passes on the aws provider too.
 */
static char *
check_aws_ids(const struct soca_job *j)
{
	static const struct { const char *key, *prefix; } ids[] = {
		{ "instance_ami", "ami-" }, { "subnet_id", "subnet-" },
		{ "security_groups", "sg-" },
	};
	const char *v;
	char **items;
	size_t n;

	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		char *why = NULL;

		if ((v = soca_job_res(j, ids[k].key)) == NULL)
			continue;
		if (strcmp(ids[k].key, "subnet_id") == 0 &&
		    strspn(v, "0123456789") == strlen(v))
			continue;	/* N: pick N allowed subnets */
		if (soca_split_list(v, &items, &n) != 0)
			n = 0, items = NULL;
		for (size_t i = 0; i < n && why == NULL; i++)
			if (!aws_id(items[i], ids[k].prefix))
				why = soca_xasprintf("resource %s=%s: \"%s\" is "
				    "not an AWS id (%s followed by 8 or 17 "
				    "lowercase hex digits, e.g. %s0123456789abcdef0)",
				    ids[k].key, v, items[i], ids[k].prefix,
				    ids[k].prefix);
		soca_strv_free(items, n);
		if (why)
			return why;
	}
	if ((v = soca_job_res(j, "instance_profile")) != NULL && !profile_ok(v))
		return soca_xasprintf("resource instance_profile=%s: not an IAM "
		    "instance profile name (1-128 of letters, digits and "
		    "+=,.@_-) or ARN (arn:aws:iam::ACCOUNT:instance-profile/"
		    "NAME)", v);
	return NULL;
}

/* An array no larger than [cluster] max_array_size (PBS's attribute). */
static char *
check_array(const struct soca_conf *c, const struct soca_job *j)
{
	struct soca_range r;
	long long max;

	if (!soca_array_range(j, &r))
		return NULL;
	max = soca_conf_int(c, "cluster", NULL, "max_array_size");
	if (soca_range_count(&r) <= max)
		return NULL;
	return soca_xasprintf("-J \"%s\": %lld subjobs, more than "
	    "max_array_size %lld (split the array, use a step :Z, or ask "
	    "for a larger [cluster] max_array_size)", j->array,
	    soca_range_count(&r), max);
}

/* a resource that is no queue key must name a [license] section */
static char *
check_licenses(const struct soca_conf *c, const struct soca_job *j)
{
	for (size_t i = 0; i < j->nres; i++) {
		size_t kl = strcspn(j->res[i], "=");
		char *k = soca_xstrndup(j->res[i], kl);

		if (!soca_is_job_key(k) &&
		    !soca_conf_has_section(c, "license", k)) {
			char *why = soca_xasprintf("unknown resource \"%s\" "
			    "(see soca.conf(5) for resource names, e.g. nodes, "
			    "instance_type, ncpus; soca-license lists the "
			    "licenses)", k);

			free(k);
			return why;
		}
		free(k);
	}
	return NULL;
}

/*
 * -l max_cost no higher than the queue's max_cost_limit, which is the
 * cap of a job that asks none.
 */
static char *
check_max_cost(const struct soca_conf *c, struct soca_job *j)
{
	const char *lim = soca_conf_get(c, "queue", j->queue,
	    "max_cost_limit");
	const char *v = soca_job_res(j, "max_cost");
	long long cap, max;

	if (lim == NULL || soca_parse_usd(lim, &max) != 0)
		return NULL;
	if (v == NULL) {
		soca_job_set_res(j, "max_cost", lim);
		return NULL;
	}
	if (soca_parse_usd(v, &cap) == 0 && cap <= max)
		return NULL;
	return soca_xasprintf("resource max_cost=%s: more than queue \"%s\"'s "
	    "max_cost_limit %s (ask for at most -l max_cost=%s, or submit to "
	    "another queue)", v, j->queue, lim, lim);
}

char *
soca_job_validate(const struct soca_conf *c, struct soca_job *j,
    const char *script, size_t len)
{
	char *why;
	long long nodes, spot;

	if (!soca_name_ok(j->queue) ||
	    !soca_conf_has_section(c, "queue", j->queue))
		return soca_xasprintf("unknown queue \"%s\" (soca-config show "
		    "lists the queues; the default is %s)", j->queue,
		    soca_conf_get(c, "cluster", NULL, "default_queue"));
	if (!soca_conf_bool(c, "queue", j->queue, "enabled"))
		return soca_xasprintf("queue \"%s\" is disabled (enabled = "
		    "no); submit to another queue", j->queue);
	if (j->name != NULL && !soca_name_ok(j->name))
		return soca_xasprintf("job name \"%s\" is not allowed (use up "
		    "to 64 letters, digits, '.', '_', '-', not starting with "
		    "'-' or '.')", j->name);
	if (j->project != NULL && !soca_name_ok(j->project))
		return soca_xasprintf("project name \"%s\" is not allowed (use "
		    "letters, digits, '.', '_', '-')", j->project);
	if ((why = check_licenses(c, j)) != NULL)
		return why;
	if ((script != NULL && (why = check_script(c, script, len))) ||
	    (why = check_users(c, j)) || (why = check_project(c, j)) ||
	    (why = check_restricted(c, j)) ||
	    (why = check_types(c, j)) || (why = check_aws_ids(j)))
		return why;
	if ((why = check_array(c, j)) != NULL)
		return why;
	merge_defaults(c, j);
	if ((why = soca_fsx_check(c, j)) != NULL)	/* fsx.c */
		return why;
	if ((why = check_max_cost(c, j)) != NULL ||
	    (why = soca_job_chunks_check(c, j)) != NULL)
		return why;
	nodes = soca_job_res_int(j, "nodes", 1);
	spot = soca_job_res_int(j, "spot_allocation_count", 0);
	if (spot > nodes)
		return soca_xasprintf("resource spot_allocation_count=%lld is "
		    "more than nodes=%lld (lower it to at most %lld)", spot,
		    nodes, nodes);
	return NULL;
}

/* the project's other queued and running jobs: what they are yet to cost */
struct pending {
	struct soca_cost *cost;
	const struct soca_job *j;
	double usd;
	size_t n;
};

static int
add_pending(struct soca_job *o, void *arg)
{
	struct pending *p = arg;
	struct soca_aws_err e = { 0 };
	long long nodes = soca_job_res_int(o, "nodes", 1);
	double est, so_far = 0, rate;

	if (o->id == p->j->id || o->estimate == NULL || o->project == NULL ||
	    strcmp(o->project, p->j->project) != 0)
		return 0;
	est = strtod(o->estimate, NULL);
	if (o->state == SOCA_RUNNING)	/* so far: in the spend */
		so_far = soca_cost_job(p->cost, soca_job_res(o,
		    "instance_type"), nodes, soca_job_res(o, "spot_price") &&
		    soca_job_res_int(o, "spot_allocation_count", nodes) >=
		    nodes, o->start, 0, &rate, &e);
	soca_aws_err_free(&e);
	p->usd += est > so_far && so_far >= 0 ? est - so_far : 0;
	p->n++;
	return 0;
}

/*
 * [queue] budget_counts_queued: the spend, the estimates of the
 * project's queued and running jobs (less what the running ones have
 * cost so far) and this job's own may not pass the project's limit.
 */
static char *
budget_queued(const struct soca_conf *c, struct soca_cost *cost,
    const struct soca_job *j, struct soca_aws_err *e)
{
	struct pending p = { cost, j, 0, 0 };
	struct soca_cost_spend s;
	struct soca_spool *sp;
	double mine = strtod(j->estimate, NULL), total;
	char *why = NULL;

	if (soca_cost_project(cost, j->project, &s, e) == -1)
		return NULL;
	if (s.has_limit && (sp = soca_spool_open(c, false)) != NULL) {
		soca_spool_list(sp, SOCA_ACTIVE, add_pending, &p);
		soca_spool_close(sp);
	}
	total = s.live + p.usd + mine;
	if (s.has_limit && total > s.limit)
		why = soca_xasprintf("budget exceeded: project %s: $%.2f spent "
		    "+ $%.2f estimated for its %zu queued and running job%s + "
		    "$%.2f for this one = $%.2f, over its limit $%.2f (queue "
		    "\"%s\" has budget_counts_queued = yes)", j->project,
		    s.live, p.usd, p.n, p.n == 1 ? "" : "s", mine, total,
		    s.limit, j->queue);
	soca_cost_spend_free(&s);
	return why;
}

/*
 * A project at or over its limit (live spend, lib/cost) takes no new
 * jobs, nor jobs moved to it (soca-alter -P); with [queue]
 * budget_counts_queued, nor a job its queued jobs' estimates and its own
 * would take over the limit.  When AWS cannot be asked the job is taken
 * (warn: say so): the dispatcher checks again before it starts.
 */
char *
soca_job_budget(const struct soca_conf *c, const struct soca_job *j,
    bool warn)
{
	struct soca_aws_cfg cfg = { 0 };
	struct soca_aws_err e = { 0 };
	struct soca_cost *cost;
	char *why, *msg = NULL;

	if (j->project == NULL || !soca_cost_enabled(c))
		return NULL;
	cost = soca_cost_new(c, &cfg);
	why = soca_cost_gate(cost, j->project, &e);
	if (why == NULL && e.kind == SOCA_AWS_OK && j->estimate != NULL &&
	    soca_conf_bool(c, "queue", j->queue, "budget_counts_queued"))
		why = budget_queued(c, cost, j, &e);
	soca_cost_free(cost);
	if (why)
		msg = soca_xasprintf("%s: new jobs are refused until the limit "
		    "is raised or the period ends (soca-budget check %s)", why,
		    j->project);
	else if (e.kind != SOCA_AWS_OK && warn) {
		char *s = soca_aws_err_str(&e);
		warnx("project %s: budget not checked: %s", j->project, s);
		free(s);
	}
	free(why);
	soca_aws_err_free(&e);
	return msg;
}
