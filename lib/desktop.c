/*
 * desktop.c: what soca keeps about a remote desktop, and how it is found.
 *
 * EC2 is the truth for a desktop's existence, state, type and address:
 * every command reads them from one DescribeInstances sweep filtered on
 * tag:soca:ClusterId and tag:soca:NodeType=desktop (with the owner's
 * soca:JobOwner tag when it is about one user).  The spool keeps the
 * rest, in desktop/USER/NAME, one "key value" a line, written whole with
 * soca_write_atomic (temporary file, fsync, rename): the generation (how
 * many times the name was launched: a terminated name is launched again
 * with a new ClientToken, SOCA's name-reuse bug #140), the image, the DCV
 * session id, the project, the schedule and its time zone, when the
 * owner last stopped or started it by hand (the tick does not undo that
 * within the same window), and when soca launched it, last stopped it
 * and terminated it (for soca-index desktops).
 *
 * desktop/USER/.lock serialises one user's launches, so that counting
 * the user's desktops and launching one is atomic: concurrent launches
 * at the limit give exactly the limit.
 */
#include "config.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desktop.h"

/* 1 to 32 of [A-Za-z0-9_-], a letter or digit first */
bool
soca_desk_iid_ok(const char *s)
{
	size_t n = strlen(s);

	if (strncmp(s, "i-", 2) != 0 || (n != 10 && n != 19))
		return false;
	return strspn(s + 2, "0123456789abcdef") == n - 2;
}

bool
soca_desk_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !isalnum((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/*
 * A directory of the spool's desktop/ tree, 2770 whatever the umask: on
 * a shared spool every user's setgid soca-desktop must be able to add
 * its own directory and records.
 */
void
soca_desk_mkdir(const char *path)
{
	struct stat st;

	if (mkdir(path, 02770) < 0 && errno != EEXIST) {
		warn("%s", path);
		return;
	}
	if (stat(path, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 07777) != 02770)
		chmod(path, 02770);
}

static char *
user_dir(struct soca_spool *sp, const char *user, bool create)
{
	char *d = soca_xasprintf("%s/desktop", soca_spool_dir(sp)), *u;

	if (create)
		soca_desk_mkdir(d);
	u = soca_xasprintf("%s/%s", d, user);
	free(d);
	if (create)
		soca_desk_mkdir(u);
	return u;
}

char *
soca_desk_path(struct soca_spool *sp, const char *user, const char *name)
{
	char *d = user_dir(sp, user, false), *p;

	p = soca_xasprintf("%s/%s", d, name);
	free(d);
	return p;
}

void
soca_desk_free(struct soca_desk *d)
{
	free(d->user);
	free(d->name);
	free(d->image);
	free(d->session);
	free(d->project);
	memset(d, 0, sizeof(*d));
}

static void
field(struct soca_desk *d, char *k, char *v)
{
	if (strcmp(k, "gen") == 0)
		d->gen = atoi(v);
	else if (strcmp(k, "gone") == 0)
		d->gone = atoi(v) != 0;
	else if (strcmp(k, "image") == 0)
		d->image = soca_xstrdup(v);
	else if (strcmp(k, "session") == 0)
		d->session = soca_xstrdup(v);
	else if (strcmp(k, "project") == 0)
		d->project = soca_xstrdup(v);
	else if (strcmp(k, "user_stop") == 0)
		d->user_stop = (time_t)atoll(v);
	else if (strcmp(k, "user_start") == 0)
		d->user_start = (time_t)atoll(v);
	else if (strcmp(k, "created") == 0)
		d->created = (time_t)atoll(v);
	else if (strcmp(k, "stopped") == 0)
		d->stopped = (time_t)atoll(v);
	else if (strcmp(k, "ended") == 0)
		d->ended = (time_t)atoll(v);
}

/* 0 and *d filled; 1: no record (*d empty but named); -1: error */
int
soca_desk_read(struct soca_spool *sp, const char *user, const char *name,
    struct soca_desk *d)
{
	char *p = soca_desk_path(sp, user, name), line[512];
	FILE *f = fopen(p, "r");

	memset(d, 0, sizeof(*d));
	d->user = soca_xstrdup(user);
	d->name = soca_xstrdup(name);
	free(p);
	if (f == NULL)
		return errno == ENOENT ? 1 : -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp1;

		line[strcspn(line, "\n")] = '\0';
		if ((sp1 = strchr(line, ' ')) == NULL)
			continue;
		if (strncmp(line, "tz ", 3) == 0 || strncmp(line, "day ", 4) ==
		    0 || strncmp(line, "sched ", 6) == 0) {
			soca_sched_read_line(&d->sched, line);
			continue;
		}
		*sp1 = '\0';
		field(d, line, sp1 + 1);
	}
	fclose(f);
	return 0;
}

int
soca_desk_write(struct soca_spool *sp, const struct soca_desk *d)
{
	char *dir = user_dir(sp, d->user, true), *p;
	struct soca_buf b = { 0 };
	int r;

	free(dir);
	p = soca_desk_path(sp, d->user, d->name);
	soca_buf_addf(&b, "gen %d\ngone %d\n", d->gen, d->gone ? 1 : 0);
	if (d->image)
		soca_buf_addf(&b, "image %s\n", d->image);
	if (d->session)
		soca_buf_addf(&b, "session %s\n", d->session);
	if (d->project)
		soca_buf_addf(&b, "project %s\n", d->project);
	if (d->user_stop)
		soca_buf_addf(&b, "user_stop %lld\n", (long long)d->user_stop);
	if (d->user_start)
		soca_buf_addf(&b, "user_start %lld\n",
		    (long long)d->user_start);
	if (d->created)
		soca_buf_addf(&b, "created %lld\n", (long long)d->created);
	if (d->stopped)
		soca_buf_addf(&b, "stopped %lld\n", (long long)d->stopped);
	if (d->ended)
		soca_buf_addf(&b, "ended %lld\n", (long long)d->ended);
	soca_sched_write(&d->sched, &b);
	r = soca_write_atomic(p, b.s ? b.s : "", b.len, 0660);
	soca_buf_free(&b);
	free(p);
	return r;
}

/* when soca last stopped it (by hand or the tick), for soca-index */
void
soca_desk_stopped(struct soca_spool *sp, const char *user, const char *name,
    time_t when)
{
	struct soca_desk d;

	if (soca_desk_read(sp, user, name, &d) == 0) {
		d.stopped = when;
		if (soca_desk_write(sp, &d) < 0)
			warn("%s: spool record", name);
	}
	soca_desk_free(&d);
}

/* At most 64 characters: the same for the same cluster, user, name, gen. */
char *
soca_desk_token(const char *cluster, const char *user, const char *name,
    int gen)
{
	char *k = soca_xasprintf("%s/%s/%s", cluster, user, name), h[65];

	soca_aws_sha256_hex(k, strlen(k), h);
	free(k);
	h[40] = '\0';
	return soca_xasprintf("soca-desk-%s-%d", h, gen);
}

/* The DCV session id: a UUID made from the same, stable across a rerun. */
char *
soca_desk_session(const char *cluster, const char *user, const char *name,
    int gen)
{
	char *k = soca_xasprintf("session/%s/%s/%s/%d", cluster, user, name,
	    gen), h[65];

	soca_aws_sha256_hex(k, strlen(k), h);
	free(k);
	return soca_xasprintf("%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 13,
	    h + 17, h + 20);
}

static bool
type_syntax_ok(const char *t)
{
	const char *dot = strchr(t, '.');

	if (dot == NULL || dot == t || dot[1] == '\0' || strlen(t) > 32)
		return false;
	for (; *t; t++)
		if (!islower((unsigned char)*t) && !isdigit((unsigned char)*t) &&
		    *t != '.' && *t != '-')
			return false;
	return true;
}

/* NULL when the admins allow the type (itself or its family) */
char *
soca_desk_type_refused(const struct soca_conf *c, const char *type)
{
	char **v = NULL, *why = NULL;
	size_t n = soca_conf_list(c, "desktop", NULL, "allowed_types", &v);
	size_t fl = strcspn(type, ".");
	struct soca_buf b = { 0 };
	bool ok = false;

	for (size_t i = 0; i < n && !ok; i++)
		ok = strcmp(v[i], type) == 0 || (strchr(v[i], '.') == NULL &&
		    strlen(v[i]) == fl && strncmp(v[i], type, fl) == 0);
	for (size_t i = 0; i < n; i++)
		soca_buf_addf(&b, "%s%s", i ? ", " : "", v[i]);
	if (!type_syntax_ok(type))
		why = soca_xasprintf("instance type \"%s\": not an EC2 instance "
		    "type (family.size, e.g. t3.large); allowed: %s", type,
		    b.s ? b.s : "none");
	else if (!ok)
		why = soca_xasprintf("instance type %s: not allowed for "
		    "desktops (allowed: %s); pick one of those or ask an admin "
		    "to add it to [desktop] allowed_types", type,
		    b.s ? b.s : "none");
	soca_buf_free(&b);
	soca_strv_free(v, n);
	return why;
}

/*
 * The AMI of image NAME (of [desktop] images, then of the [desktop_image
 * "NAME"] sections with an ami; NULL: default_image, else the first).
 * NULL and the reason when there is none.
 */
char *
soca_desk_image(const struct soca_conf *c, const char *name,
    const char **ami)
{
	static char found[80];
	char **v = NULL, **s = NULL, *why = NULL;
	size_t n = soca_conf_list(c, "desktop", NULL, "images", &v);
	size_t ns = soca_conf_names(c, "desktop_image", &s);
	struct soca_buf b = { 0 };

	if (name == NULL)
		name = soca_conf_get(c, "desktop", NULL, "default_image");
	*ami = NULL;
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(v[i], '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (*ami == NULL && (name == NULL || strcmp(v[i], name) == 0)) {
			snprintf(found, sizeof(found), "%s", eq + 1);
			*ami = found;
		}
		soca_buf_addf(&b, "%s%s", b.len ? ", " : "", v[i]);
	}
	for (size_t i = 0; i < ns; i++) {
		const char *a = soca_conf_get(c, "desktop_image", s[i], "ami");

		if (a == NULL)
			continue;
		if (*ami == NULL && (name == NULL || strcmp(s[i], name) == 0)) {
			snprintf(found, sizeof(found), "%s", a);
			*ami = found;
		}
		soca_buf_addf(&b, "%s%s", b.len ? ", " : "", s[i]);
	}
	if (*ami == NULL && b.len == 0)
		why = soca_xstrdup("no desktop images: an admin must register "
		    "one in [desktop] images (NAME=ami-...) or a "
		    "[desktop_image \"NAME\"] section with an ami");
	else if (*ami == NULL)
		why = soca_xasprintf("image \"%s\": not registered (images: "
		    "%s); pick one of those or ask an admin to add it to "
		    "[desktop] images", name, b.s);
	soca_buf_free(&b);
	soca_strv_free(v, n);
	soca_strv_free(s, ns);
	return why;
}

/* the image's OS: true for [desktop_image "NAME"] os = windows */
bool
soca_desk_image_windows(const struct soca_conf *c, const char *name)
{
	const char *os = name && soca_conf_has_section(c, "desktop_image",
	    name) ? soca_conf_get(c, "desktop_image", name, "os") : NULL;

	return os && strcmp(os, "windows") == 0;
}

/* the name of the image launch uses without -i */
const char *
soca_desk_default_image(const struct soca_conf *c)
{
	static char nm[80];
	const char *dn = soca_conf_get(c, "desktop", NULL, "default_image");
	char **v = NULL, **s = NULL;
	size_t n = soca_conf_list(c, "desktop", NULL, "images", &v);
	size_t ns = dn || n ? 0 : soca_conf_names(c, "desktop_image", &s);

	nm[0] = '\0';
	if (dn || n)
		snprintf(nm, sizeof(nm), "%s", dn ? dn : v[0]);
	for (size_t i = 0; i < ns && nm[0] == '\0'; i++)
		if (soca_conf_get(c, "desktop_image", s[i], "ami"))
			snprintf(nm, sizeof(nm), "%s", s[i]);
	nm[strcspn(nm, "=")] = '\0';
	soca_strv_free(v, n);
	soca_strv_free(s, ns);
	return nm;
}

/*
 * The user's launch lock (fd, closed to release); -1 if busy or error.
 * user NULL: the lock of every user's launches, taken after the user's
 * one by a launch an image's max_total applies to.
 */
int
soca_desk_lock(struct soca_spool *sp, const char *user, bool wait)
{
	char *d, *p;
	int fd;

	if (user == NULL) {
		d = soca_xasprintf("%s/desktop", soca_spool_dir(sp));
		soca_desk_mkdir(d);
	} else
		d = user_dir(sp, user, true);
	p = soca_xasprintf("%s/.lock", d);
	free(d);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	free(p);
	if (fd < 0)
		return -1;
	fchmod(fd, 0660);	/* an admin's setgid run may take it too */
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* SOCA_NOW (epoch seconds or YYYY-MM-DDTHH:MM[:SS]Z) for tests, else now */
time_t
soca_desk_now(void)
{
	const char *s = getenv("SOCA_NOW");
	struct tm tm = { 0 };
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return time(NULL);
	v = strtoll(s, &end, 10);
	if (*end == '\0')
		return (time_t)v;
	if ((end = strptime(s, "%Y-%m-%dT%H:%M", &tm)) != NULL) {
		if (*end == ':')
			end = strptime(end, ":%S", &tm);
		if (end && (*end == 'Z' || *end == '\0'))
			return timegm(&tm);
	}
	errx(SOCA_EX_USAGE, "SOCA_NOW=%s: not a time (epoch seconds or "
	    "YYYY-MM-DDTHH:MM:SSZ)", s);
}

/*
 * The live desktops (not terminated), of owner or of everyone; an
 * instance whose owner or name tag could not be a spool path is left out.
 */
int
soca_desk_sweep(struct soca_desk_ctx *x, const char *owner,
    struct soca_ec2_inst **v, size_t *n, struct soca_aws_err *e)
{
	struct soca_ec2_inst *all;
	size_t na, k = 0;

	if (soca_aws_describe_tag(x->a, x->cluster, "soca:NodeType",
	    "desktop", false, &all, &na, e) < 0)
		return -1;
	for (size_t i = 0; i < na; i++) {
		/* tags anyone with EC2 access may write: names in spool paths */
		bool sane = all[i].owner && all[i].dname &&
		    soca_name_ok(all[i].owner) && soca_desk_name_ok(all[i].dname);

		if (!sane || (owner && strcmp(all[i].owner, owner) != 0)) {
			soca_ec2_inst_free_one(&all[i]);
			continue;
		}
		all[k++] = all[i];
	}
	*v = all;
	*n = k;
	return 0;
}

struct soca_ec2_inst *
soca_desk_find(struct soca_ec2_inst *v, size_t n, const char *user,
    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].owner && v[i].dname && strcmp(v[i].owner, user) == 0 &&
		    strcmp(v[i].dname, name) == 0)
			return &v[i];
	return NULL;
}
