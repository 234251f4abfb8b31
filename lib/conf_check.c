/*
 * conf_check.c: the rules that span keys and sections, which the line
 * parser cannot see: the default queue exists, a queue's own defaults obey
 * its own policy, restricted parameters are real resources, a queue's
 * efs_mounts are mounts the nodes can make, [desktop]'s defaults are
 * among its lists, [archive] logs names no live log.  soca-submit
 * applies the same instance-type rule to jobs, so it lives here once.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

/* Queue keys from instance_type on are job resources (conf_schema.c). */
bool
soca_is_resource(const char *name)
{
	static const struct soca_key *first;	/* instance_type's entry */

	if (first == NULL) {
		first = soca_schema_section("queue")->keys;
		while (first->name && strcmp(first->name, "instance_type") != 0)
			first++;
	}
	for (const struct soca_key *k = first; k->name; k++)
		if (k->name[0] == name[0] && strcmp(k->name, name) == 0)
			return true;
	return false;
}

/*
 * A key a job's record may hold as res=: the queue's resources, and the
 * PBS forms soca keeps as they were given (select, place, mem).  Any
 * other key of a job is a license's name.
 */
bool
soca_is_job_key(const char *name)
{
	return soca_is_resource(name) || strcmp(name, "select") == 0 ||
	    strcmp(name, "place") == 0 || strcmp(name, "mem") == 0;
}

/* "c5" matches c5.large; "c5.large" matches itself; "c5.*" likewise. */
static bool
type_matches(const char *type, const char *pat)
{
	size_t n = strlen(pat);

	if (strcmp(type, pat) == 0)
		return true;
	if (n > 2 && strcmp(pat + n - 2, ".*") == 0)
		n -= 2;
	else if (strchr(pat, '.') != NULL)
		return false;
	return strncmp(type, pat, n) == 0 && type[n] == '.';
}

static bool
in_patterns(const char *type, char **pats, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (type_matches(type, pats[i]))
			return true;
	return false;
}

/* Why queue q refuses instance type t (one type, no '+'), or NULL. */
char *
soca_instance_type_refused(const struct soca_conf *c, const char *q,
    const char *t)
{
	char **allow, **deny, *why = NULL;
	size_t na = soca_conf_list(c, "queue", q, "allowed_instance_types",
	    &allow);
	size_t nd = soca_conf_list(c, "queue", q, "excluded_instance_types",
	    &deny);

	if (in_patterns(t, deny, nd))
		why = soca_xasprintf("instance type %s is excluded from queue "
		    "\"%s\" (excluded: %s)", t, q, soca_conf_get(c, "queue", q,
		    "excluded_instance_types"));
	else if (na > 0 && !in_patterns(t, allow, na))
		why = soca_xasprintf("instance type %s is not allowed in queue "
		    "\"%s\" (allowed: %s)", t, q, soca_conf_get(c, "queue", q,
		    "allowed_instance_types"));
	soca_strv_free(allow, na);
	soca_strv_free(deny, nd);
	return why;
}

#define add soca_conf_adddiag

static void
check_types(struct soca_conf *c, const char *q)
{
	const char *it = soca_conf_get(c, "queue", q, "instance_type");
	char *copy, *tok, *save, *why;

	if (it == NULL)
		return;
	copy = soca_xstrdup(it);
	for (tok = strtok_r(copy, "+", &save); tok;
	    tok = strtok_r(NULL, "+", &save))
		if ((why = soca_instance_type_refused(c, q, tok)) != NULL) {
			add(c, "queue", q, "instance_type", "queue \"%s\": its default %s (fix "
			    "instance_type or the allowed/excluded lists)", q,
			    why);
			free(why);
		}
	free(copy);
}

static void
check_subset(struct soca_conf *c, const char *q, const char *key,
    const char *allowkey)
{
	char **want, **allow;
	size_t nw = soca_conf_list(c, "queue", q, key, &want);
	size_t na = soca_conf_list(c, "queue", q, allowkey, &allow);

	for (size_t i = 0; i < nw; i++) {
		bool ok = false;
		for (size_t j = 0; j < na; j++)
			ok = ok || strcmp(want[i], allow[j]) == 0;
		if (!ok)
			add(c, "queue", q, key, "queue \"%s\": %s %s is not in %s (add it there "
			    "or remove it)", q, key, want[i], allowkey);
	}
	soca_strv_free(want, nw);
	soca_strv_free(allow, na);
}

static void
check_max_cost(struct soca_conf *c, const char *q)
{
	const char *d = soca_conf_get(c, "queue", q, "max_cost");
	const char *l = soca_conf_get(c, "queue", q, "max_cost_limit");
	long long dv, lv;

	if (d && l && soca_parse_usd(d, &dv) == 0 &&
	    soca_parse_usd(l, &lv) == 0 && dv > lv)
		add(c, "queue", q, "max_cost", "queue \"%s\": max_cost %s is "
		    "more than max_cost_limit %s (lower it, or raise the "
		    "limit)", q, d, l);
}

/* an EFS id (fs- and 8 or 17 lowercase hex digits) */
static bool
efs_id(const char *s, size_t n)
{
	size_t h = n > 3 ? strspn(s + 3, "0123456789abcdef") : 0;

	return n > 3 && strncmp(s, "fs-", 3) == 0 && (h == 8 || h == 17) &&
	    h == n - 3;
}

/* a DNS name or an IPv4 address, as mount.nfs4 takes a host */
static bool
host_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || (s[i] == '.' && s[i + 1] != '.')))
			return false;
	return true;
}

/* an absolute path, no "." or ".." part, nothing a mount line splits on */
static bool
abs_ok(const char *p)
{
	if (*p != '/' || strpbrk(p, " \t\n\\:,=\"'") != NULL)
		return false;
	for (const char *s = p; *s; ) {
		size_t l;

		s += strspn(s, "/");
		l = strcspn(s, "/");
		if ((l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' &&
		    s[1] == '.'))
			return false;
		s += l;
	}
	return true;
}

/* a and b are one path, or one holds the other */
static bool
nested(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	if (la > lb)
		return nested(b, a);
	return strncmp(a, b, la) == 0 && (la == lb || b[la] == '/' ||
	    la == 1);
}

/* SOURCE is fs-ID[:/path], an EFS or NFS host's DNS name or address:/path */
static const char *
source_why(const char *src)
{
	const char *colon = strchr(src, ':');
	size_t hl = colon ? (size_t)(colon - src) : strlen(src);

	if (efs_id(src, hl))
		return colon == NULL || abs_ok(colon + 1) ? NULL :
		    "the path after an EFS id is absolute (fs-ID:/path)";
	if (strncmp(src, "fs-", 3) == 0 && memchr(src, '.', hl) == NULL)
		return "an EFS id is fs- and 8 or 17 lowercase hex digits, "
		    "as aws efs describe-file-systems shows";
	if (colon == NULL || !host_ok(src, hl) || !abs_ok(colon + 1))
		return "the source is fs-ID[:/path] or HOST:/path (a DNS name "
		    "or address, then an absolute path)";
	return NULL;
}

/* the mount points soca's user data uses itself */
static const char *
clash(const struct soca_conf *c, const char *mnt, const char **key)
{
	static const char *const keys[] = { "shared_fs_mount", "fsx_mount",
	    NULL };

	if (nested(mnt, "/scratch")) {
		*key = "the scratch mount";
		return "/scratch";
	}
	for (int i = 0; keys[i]; i++)
		if (nested(mnt, soca_conf_get(c, "aws", NULL, keys[i]))) {
			*key = keys[i];
			return soca_conf_get(c, "aws", NULL, keys[i]);
		}
	return NULL;
}

/*
 * [queue] efs_mounts: each SOURCE=MOUNTPOINT[:ro] as the user data takes
 * it, each mount point once and apart from the ones soca mounts itself
 */
static void
check_efs(struct soca_conf *c, const char *q)
{
	char **v, *src, *mnt, *at;
	size_t n = soca_conf_list(c, "queue", q, "efs_mounts", &v);
	const char *why, *other, *key;

	for (size_t i = 0; i < n; i++) {
		src = soca_xstrdup(v[i]);
		mnt = (at = strchr(src, '=')) ? at + 1 : NULL;
		if (at)
			*at = '\0';
		if (mnt && strlen(mnt) > 3 && strcmp(mnt + strlen(mnt) - 3,
		    ":ro") == 0)
			mnt[strlen(mnt) - 3] = '\0';
		why = mnt == NULL ? "not SOURCE=MOUNTPOINT[:ro]" :
		    source_why(src);
		if (why == NULL && (!abs_ok(mnt) || strcmp(mnt, "/") == 0))
			why = "the mount point is an absolute path below /, "
			    "with no \".\" or \"..\" part, and only :ro may "
			    "follow it";
		for (size_t k = 0; why == NULL && k < i; k++)
			if ((at = strchr(v[k], '=')) && (strcmp(at + 1, mnt) ==
			    0 || (strncmp(at + 1, mnt, strlen(mnt)) == 0 &&
			    strcmp(at + 1 + strlen(mnt), ":ro") == 0)))
				why = "its mount point is named twice";
		if (why == NULL && (other = clash(c, mnt, &key)) != NULL) {
			add(c, "queue", q, "efs_mounts", "queue \"%s\": "
			    "efs_mounts \"%s\": %s is %s (%s, which soca "
			    "mounts itself) or lies inside it or around it; "
			    "mount it elsewhere, e.g. /apps", q, v[i], mnt,
			    other, key);
		} else if (why)
			add(c, "queue", q, "efs_mounts", "queue \"%s\": "
			    "efs_mounts \"%s\": %s; write SOURCE=MOUNTPOINT[:ro], "
			    "e.g. fs-0123abcd:/=/apps:ro or nfs1:/data=/data",
			    q, v[i], why);
		free(src);
	}
	soca_strv_free(v, n);
}

static void
check_queue(struct soca_conf *c, const char *q)
{
	char **rp;
	size_t n = soca_conf_list(c, "queue", q, "restricted_parameters", &rp);
	long long nodes, spot;

	for (size_t i = 0; i < n; i++)
		if (!soca_is_resource(rp[i]))
			add(c, "queue", q, "restricted_parameters", "queue \"%s\": restricted_parameters names %s, "
			    "which is not a job resource (see soca.conf(5))",
			    q, rp[i]);
	soca_strv_free(rp, n);
	check_types(c, q);
	check_subset(c, q, "security_groups", "allowed_security_groups");
	check_subset(c, q, "instance_profile", "allowed_instance_profiles");
	check_max_cost(c, q);
	check_efs(c, q);
	nodes = soca_conf_int(c, "queue", q, "nodes");
	spot = soca_conf_int(c, "queue", q, "spot_allocation_count");
	if (spot > nodes)
		add(c, "queue", q, "spot_allocation_count", "queue \"%s\": spot_allocation_count %lld is more than "
		    "nodes %lld (lower it to at most %lld)", q, spot, nodes,
		    nodes);
}

static void
check_license(struct soca_conf *c, const char *l)
{
	bool cmd = soca_conf_isset(c, "license", l, "command");
	bool srv = soca_conf_isset(c, "license", l, "server");

	if (soca_is_job_key(l))
		add(c, "license", l, NULL, "[license \"%s\"]: %s is a job "
		    "resource already; name the license otherwise (e.g. "
		    "%s_lic)", l, l, l);
	if (cmd == srv)
		add(c, "license", l, NULL, "[license \"%s\"]: give either "
		    "server (FlexLM) or command, %s", l, cmd ? "not both" :
		    "one of them");
}

/* [desktop]: images are NAME=ami-..., the defaults are among them */
static void
check_desktop(struct soca_conf *c)
{
	const char *dt = soca_conf_get(c, "desktop", NULL, "default_type");
	const char *di = soca_conf_get(c, "desktop", NULL, "default_image");
	const char *tz = soca_conf_get(c, "desktop", NULL, "timezone");
	char **v = NULL, **s = NULL;
	size_t n = soca_conf_list(c, "desktop", NULL, "allowed_types", &v);
	size_t ns = soca_conf_names(c, "desktop_image", &s);
	bool found = false;

	if (dt && !in_patterns(dt, v, n))
		add(c, "desktop", NULL, "default_type", "default_type %s is not "
		    "in allowed_types (add it there or pick one of them)", dt);
	soca_strv_free(v, n);
	n = soca_conf_list(c, "desktop", NULL, "images", &v);
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(v[i], '=');

		if (eq == NULL || eq == v[i] || strncmp(eq + 1, "ami-", 4) != 0)
			add(c, "desktop", NULL, "images", "images: \"%s\" is not "
			    "NAME=ami-... (e.g. al2023=ami-0a1b2c3d4e5f60002)", v[i]);
		else if (di && (size_t)(eq - v[i]) == strlen(di) &&
		    strncmp(v[i], di, strlen(di)) == 0)
			found = true;
	}
	found = found || (di && soca_conf_isset(c, "desktop_image", di, "ami"));
	for (size_t i = 0; i < ns; i++) {
		const char *a = soca_conf_get(c, "desktop_image", s[i], "ami");
		bool listed = false;

		for (size_t k = 0; k < n; k++)
			listed = listed || (strncmp(v[k], s[i], strlen(s[i])) ==
			    0 && v[k][strlen(s[i])] == '=');
		if (a && strncmp(a, "ami-", 4) != 0)
			add(c, "desktop_image", s[i], "ami", "[desktop_image "
			    "\"%s\"]: ami \"%s\" is not ami-... (e.g. "
			    "ami-0a1b2c3d4e5f60002)", s[i], a);
		else if (a == NULL && !listed)
			add(c, "desktop_image", s[i], NULL, "[desktop_image "
			    "\"%s\"]: no ami, and [desktop] images does not name "
			    "%s (give ami = ami-...)", s[i], s[i]);
	}
	soca_strv_free(s, ns);
	soca_strv_free(v, n);
	if (di && !found)
		add(c, "desktop", NULL, "default_image", "default_image \"%s\" "
		    "is not one of images (add it there or name one of them)",
		    di);
	/* only a zone someone wrote: every command checks the configuration,
	   and the built-in default needs no trip to the TZ database */
	if (tz && soca_conf_isset(c, "desktop", NULL, "timezone") &&
	    !soca_tz_ok(tz))
		add(c, "desktop", NULL, "timezone", "timezone \"%s\": not in "
		    "the TZ database (e.g. Europe/Paris, UTC)", tz);
}

/* [mail] from reaches a mail header and the mailer's -f */
static void
check_mail(struct soca_conf *c)
{
	const char *f = soca_conf_get(c, "mail", NULL, "from");

	if (f != NULL && !soca_mail_addr_ok(f))
		add(c, "mail", NULL, "from", "from \"%s\": not a mail address "
		    "(user or user@host, of letters, digits and ._+-, not "
		    "starting with -; e.g. soca@example.com)", f);
}

/*
 * [archive] logs: rotated files only.  A glob that could name a live log
 * (NAME.log, the name soca's logs are written under) would have
 * soca-archive remove it: its last part may not end in .log, nor match
 * its own literal start then "x.log".
 */
static bool
names_live_log(const char *glob)
{
	const char *base = strrchr(glob, '/') ? strrchr(glob, '/') + 1 : glob;
	size_t lit = strcspn(base, "*?[\\"), l = strlen(base);
	char *probe = soca_xasprintf("%.*sx.log", (int)lit, base);
	bool r = fnmatch(base, probe, FNM_PERIOD) == 0 ||
	    (l >= 4 && strcmp(base + l - 4, ".log") == 0);

	free(probe);
	return r;
}

static void
check_archive(struct soca_conf *c)
{
	const char *v = soca_conf_get(c, "archive", NULL, "logs");
	char **g;
	size_t n;

	if (v == NULL || strcmp(v, "none") == 0 ||
	    soca_split_list(v, &g, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (g[i][0] != '/')
			add(c, "archive", NULL, "logs", "logs \"%s\": not an "
			    "absolute path (e.g. /var/log/soca/*.log-*)", g[i]);
		else if (names_live_log(g[i]))
			add(c, "archive", NULL, "logs", "logs \"%s\": would "
			    "match a log still written (NAME.log); name the "
			    "rotated files, e.g. /var/log/soca/*.log-*, or none",
			    g[i]);
	soca_strv_free(g, n);
}

/* Add a diagnostic for every cross-reference problem. */
void
soca_conf_check(struct soca_conf *c)
{
	const char *dq = soca_conf_get(c, "cluster", NULL, "default_queue");
	char **qs;
	size_t n = soca_conf_names(c, "queue", &qs);

	if (!soca_conf_has_section(c, "queue", dq))
		add(c, "cluster", NULL, "default_queue", "default_queue \"%s\" names no [queue \"%s\"] section "
		    "(add one or set default_queue to an existing queue)",
		    dq, dq);
	for (size_t i = 0; i < n; i++)
		check_queue(c, qs[i]);
	soca_strv_free(qs, n);
	n = soca_conf_names(c, "license", &qs);
	for (size_t i = 0; i < n; i++)
		check_license(c, qs[i]);
	soca_strv_free(qs, n);
	check_desktop(c);
	check_mail(c);
	check_archive(c);
}
