/*
 * desktop_ec2.c: a desktop's life on EC2 -- launch, stop, hibernate,
 * start, resize, terminate.
 *
 * Launch is what a job's launch is (provider_aws.c): DryRun first, then
 * one RunInstances, tags in TagSpecifications, a ClientToken made of the
 * cluster, the user, the name and the name's generation.  Under the
 * user's lock the user's live desktops are counted from a DescribeInstances
 * sweep, so the per-user limit holds under concurrent launches.  The
 * record is written only once RunInstances answered; a crash before that
 * leaves a tagged instance and no record: the next launch of the name
 * finds the instance in the sweep and writes the record from its tags
 * (and would get the same reservation back from EC2 anyway: same token).
 *
 * Every other verb reads the desktop's state from the sweep, never from
 * the spool, and acts only when that state allows it.  Hibernation is
 * asked for only on an instance launched for it; when EC2 refuses it
 * (agent not ready, say), the desktop is stopped instead and the output
 * says so.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cost.h"
#include "desktop.h"
#include "job.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

static json_t *
desk_tags(struct soca_desk_ctx *x, const struct soca_desk_launch *l,
    const char *session, int gen)
{
	json_t *t = json_array();
	char *nm = soca_xasprintf("soca-%s-desktop-%s-%s", x->cluster, l->user,
	    l->name), g[16];

	snprintf(g, sizeof(g), "%d", gen);
	soca_aws_tag(t, "Name", nm);
	soca_aws_tag(t, "soca:ClusterId", x->cluster);
	soca_aws_tag(t, "soca:NodeType", "desktop");
	soca_aws_tag(t, "soca:JobOwner", l->user);	/* what soca-budget groups by */
	soca_aws_tag(t, "soca:JobProject", l->project);
	soca_aws_tag(t, "soca:Owner", l->user);
	soca_aws_tag(t, "soca:Project", l->project);
	soca_aws_tag(t, "soca:DesktopName", l->name);
	soca_aws_tag(t, "soca:DesktopSession", session);
	soca_aws_tag(t, "soca:DesktopGeneration", g);
	soca_aws_tag(t, "soca:Hibernate", l->hibernate ? "true" : "false");
	soca_aws_tag(t, "soca:DesktopImage", l->image);
	soca_aws_tag(t, "soca:DesktopOS", soca_desk_image_windows(x->c,
	    l->image) ? "windows" : "linux");
	free(nm);
	return t;
}


/*
 * A PowerShell single-quoted string: nothing in it is expanded; a quote
 * inside is doubled, and PowerShell takes the typographic single quotes
 * (U+2018 to U+201B) for quotes too, so they are doubled as well.
 */
static void
psquote(struct soca_buf *b, const char *v)
{
	soca_buf_addc(b, '\'');
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\'')
			soca_buf_addc(b, '\'');
		else if ((unsigned char)p[0] == 0xe2 &&
		    (unsigned char)p[1] == 0x80 && (unsigned char)p[2] >= 0x98 &&
		    (unsigned char)p[2] <= 0x9b) {
			soca_buf_add(b, p, 3);
			soca_buf_add(b, p, 3);
			p += 2;
			continue;
		}
		soca_buf_addc(b, *p);
	}
	soca_buf_addc(b, '\'');
}

static void
quote(struct soca_buf *b, const char *v, bool ps)
{
	if (ps)
		psquote(b, v);
	else
		soca_buf_shquote(b, v);
}

/*
 * [desktop] user_data (windows_user_data for a Windows image) with its
 * %%NAME%% replaced by quoted values (%%DCV_VERIFIER%%: [web] url's
 * /api/dcv-auth with [desktop] dcv_auth = token, else empty), base64;
 * NULL: *why
 */
static char *
user_data(struct soca_desk_ctx *x, const char *path,
    const struct soca_desk_launch *l, const char *session, bool ps,
    char **why)
{
	static const char *const keys[][3] = {
		{ "CLUSTER", "cluster", "name" }, { "SHARED_FS", "aws",
		"shared_fs" }, { "SHARED_FS_MOUNT", "aws", "shared_fs_mount" },
		{ "LDAP_URI", "ldap", "uri" }, { "LDAP_BASE", "ldap", "base" },
		{ "DCV_PORT", "desktop", "dcv_port" }, { "SPOOL", "cluster",
		"spool" }, { "WINDOWS_DOMAIN", "desktop", "windows_domain" },
	};
	struct soca_buf r = { 0 }, o = { 0 };
	const char *mode = soca_conf_get(x->c, "desktop", NULL, "dcv_auth");
	const char *url = soca_conf_get(x->c, "web", NULL, "url");
	char *tpl, *p, *q, *verifier = NULL;
	FILE *f;
	size_t len;

	/* token mode: DCV asks soca-api's external authenticator */
	if (mode != NULL && strcmp(mode, "token") == 0) {
		if (url == NULL || strncmp(url, "https://", 8) != 0 ||
		    url[8] == '\0' || strpbrk(url, "?#'\" \t\n") != NULL) {
			*why = soca_xasprintf("[desktop] dcv_auth = token: [web] "
			    "url %s%s%s: must be the site's https://HOST[:PORT] "
			    "URL, where desktops reach soca-api; set it, or "
			    "dcv_auth = system", url ? "\"" : "", url ? url :
			    "is not set", url ? "\"" : "");
			return NULL;
		}
		len = strlen(url);
		while (len > 8 && url[len - 1] == '/')
			len--;
		verifier = soca_xasprintf("%.*s/api/dcv-auth", (int)len, url);
	}
	if ((f = fopen(path, "r")) == NULL) {
		free(verifier);
		*why = soca_xasprintf("[desktop] user_data %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	tpl = soca_xmalloc(65537);
	len = fread(tpl, 1, 65536, f);
	tpl[len] = '\0';
	fclose(f);
	for (p = tpl; (q = strstr(p, "%%")) != NULL; ) {
		char *e = strstr(q + 2, "%%");
		size_t kl = e ? (size_t)(e - q - 2) : 0;
		bool done = false;

		soca_buf_add(&r, p, (size_t)(q - p));
		if (e == NULL) {
			p = q;
			break;
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
			if (strlen(keys[i][0]) == kl &&
			    strncmp(q + 2, keys[i][0], kl) == 0) {
				quote(&r, soca_conf_get(x->c, keys[i][1], NULL,
				    keys[i][2]), ps);
				done = true;
			}
		if (done)
			;
		else if (kl == 5 && strncmp(q + 2, "OWNER", 5) == 0)
			quote(&r, l->user, ps);
		else if (kl == 7 && strncmp(q + 2, "SESSION", 7) == 0)
			quote(&r, session, ps);
		else if (kl == 4 && strncmp(q + 2, "CONF", 4) == 0)
			quote(&r, soca_conf_file(x->c), ps);
		else if (kl == 6 && strncmp(q + 2, "BINDIR", 6) == 0)
			quote(&r, BINDIR, ps);
		else if (kl == 12 && strncmp(q + 2, "DCV_VERIFIER", 12) == 0)
			quote(&r, verifier ? verifier : "", ps);
		else if (kl == 12 && strncmp(q + 2, "DCV_URL_PATH", 12) == 0) {
			/* behind the ALB, DCV answers under its rule's path */
			char *up = soca_xasprintf("/%s", session);

			quote(&r, soca_conf_get(x->c, "desktop", NULL,
			    "alb_listener_arn") ? up : "/", ps);
			free(up);
		}
		else
			soca_buf_add(&r, q, kl + 4);
		p = e + 2;
	}
	soca_buf_adds(&r, p);
	free(tpl);
	free(verifier);
	if (r.len > 16384) {
		*why = soca_xasprintf("[desktop] user_data %s: %zu bytes once "
		    "rendered, EC2 takes 16384", path, r.len);
		soca_buf_free(&r);
		return NULL;
	}
	soca_aws_b64(&o, (const unsigned char *)(r.s ? r.s : ""), r.len);
	soca_buf_add(&o, "", 0);
	soca_buf_free(&r);
	return soca_buf_steal(&o);
}

static const char *
first_of(const struct soca_conf *c, const char *key, char **pick)
{
	char **v = NULL;
	size_t n = soca_conf_list(c, "desktop", NULL, key, &v);

	if (n == 0)
		n = soca_conf_list(c, "aws", NULL, key, &v);
	*pick = n ? soca_xstrdup(v[0]) : NULL;
	soca_strv_free(v, n);
	return *pick;
}

static json_t *
sg_list(const struct soca_conf *c)
{
	json_t *a = json_array();
	char **v = NULL;
	size_t n = soca_conf_list(c, "desktop", NULL, "security_group_ids", &v);

	if (n == 0)
		n = soca_conf_list(c, "aws", NULL, "security_group_ids", &v);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	soca_strv_free(v, n);
	return a;
}

/* RunInstances parameters; NULL and *why (rc 2 bad input, 3 temporary) */
static json_t *
run_params(struct soca_desk_ctx *x, const struct soca_desk_launch *l,
    const char *ami, int gen, char **why, int *rc)
{
	const struct soca_conf *c = x->c;
	char *tok = soca_desk_token(x->cluster, l->user, l->name, gen);
	char *ses = soca_desk_session(x->cluster, l->user, l->name, gen);
	char *subnet = NULL, *dev, *ud;
	const char *v;
	json_t *p, *tags = desk_tags(x, l, ses, gen), *sgs;
	bool temp = false, win;

	p = json_pack("{s:s, s:s, s:i, s:i, s:s, s:[{s:s, s:O}, {s:s, s:O}],"
	    " s:{s:s}}", "ImageId", ami, "InstanceType", l->type, "MinCount", 1,
	    "MaxCount", 1, "ClientToken", tok, "TagSpecification",
	    "ResourceType", "instance", "Tag", tags, "ResourceType", "volume",
	    "Tag", tags, "MetadataOptions", "InstanceMetadataTags", "enabled");
	json_decref(tags);
	free(tok);
	if (l->subnet || first_of(c, "subnet_ids", &subnet))
		json_object_set_new(p, "SubnetId", json_string(l->subnet ?
		    l->subnet : subnet));
	free(subnet);
	if (json_array_size(sgs = sg_list(c)))
		json_object_set(p, "SecurityGroupId", sgs);
	json_decref(sgs);
	if ((dev = soca_aws_root_device(c, ami, why, &temp)) == NULL) {
		*rc = temp ? SOCA_EX_TEMP : SOCA_EX_USAGE;
		free(ses);
		json_decref(p);
		return NULL;
	}
	json_object_set_new(p, "BlockDeviceMapping", json_pack("[{s:s, s:{s:I,"
	    " s:s, s:s, s:s}}]", "DeviceName", dev, "Ebs", "VolumeSize",
	    (json_int_t)l->root, "VolumeType", "gp3", "Encrypted", "true",
	    "DeleteOnTermination", "true"));
	free(dev);
	if (l->hibernate)
		json_object_set_new(p, "HibernationOptions", json_pack("{s:s}",
		    "Configured", "true"));
	if ((v = soca_conf_get(c, "desktop", NULL, "instance_profile")) ||
	    (v = soca_conf_get(c, "aws", NULL, "instance_profile")))
		json_object_set_new(p, "IamInstanceProfile", json_pack("{s:s}",
		    "Name", v));
	if ((v = soca_conf_get(c, "aws", NULL, "key_name")) != NULL)
		json_object_set_new(p, "KeyName", json_string(v));
	win = soca_desk_image_windows(c, l->image);
	if ((v = soca_conf_get(c, "desktop", NULL, win ? "windows_user_data" :
	    "user_data")) != NULL) {
		if ((ud = user_data(x, v, l, ses, win, why)) == NULL) {
			*rc = SOCA_EX_USAGE;
			free(ses);
			json_decref(p);
			return NULL;
		}
		json_object_set_new(p, "UserData", json_string(ud));
		free(ud);
	}
	free(ses);
	return p;
}

static char *
aws_why(struct soca_aws_err *e)
{
	char *s = e->message ? soca_xstrdup(e->message) : soca_aws_err_str(e);
	char *r = soca_xasprintf("%s%s%s", e->code ? e->code : "",
	    e->code ? ": " : "", s);

	free(s);
	return r;
}

static int
aws_fail(const char *what, const char *name, struct soca_aws_err *e)
{
	char *s = aws_why(e);
	int rc = soca_aws_err_exit(e);

	warnx("%s %s: %s", what, name, s);
	free(s);
	soca_aws_err_free(e);
	return rc;
}

/* hibernation: the type must support it and the root volume hold RAM */
static int
hibernate_check(struct soca_desk_ctx *x, const struct soca_desk_launch *l)
{
	struct soca_aws_err e = { 0 };
	json_t *p = json_pack("{s:[s]}", "InstanceType", l->type), *r, *t;
	const char *sup, *mib;
	long long need;

	r = soca_aws_ec2(x->a, "DescribeInstanceTypes", p, &e);
	json_decref(p);
	if (r == NULL)
		return aws_fail("launch", l->name, &e);
	t = json_array_get(json_object_get(r, "instanceTypeSet"), 0);
	sup = json_string_value(json_object_get(t, "hibernationSupported"));
	mib = json_string_value(json_object_get(json_object_get(t,
	    "memoryInfo"), "sizeInMiB"));
	need = mib ? (atoll(mib) + 1023) / 1024 + 8 : 0;
	if (sup == NULL || strcmp(sup, "true") != 0) {
		warnx("launch %s: --hibernate: EC2 cannot hibernate %s "
		    "(DescribeInstanceTypes: HibernationSupported false); "
		    "launch without --hibernate or pick a type that can",
		    l->name, l->type);
		json_decref(r);
		return SOCA_EX_USAGE;
	}
	json_decref(r);
	if (l->root < need) {
		warnx("launch %s: --hibernate: the root volume must hold the "
		    "RAM of %s plus the system: %lld GiB is less than %lld; "
		    "give --root-size %lld", l->name, l->type, l->root, need,
		    need);
		return SOCA_EX_USAGE;
	}
	return 0;
}

/* --subnet: one of the configured subnets, when there are some */
static char *
subnet_refused(const struct soca_conf *c, const char *subnet)
{
	char **v = NULL, *why = NULL;
	size_t n = soca_conf_list(c, "desktop", NULL, "subnet_ids", &v);
	struct soca_buf b = { 0 };
	bool ok = false;

	if (n == 0)
		n = soca_conf_list(c, "aws", NULL, "subnet_ids", &v);
	for (size_t i = 0; i < n; i++) {
		ok = ok || strcmp(v[i], subnet) == 0;
		soca_buf_addf(&b, "%s%s", i ? ", " : "", v[i]);
	}
	if (n && !ok)
		why = soca_xasprintf("subnet %s: not one desktops may use (%s); "
		    "pick one of those or ask an admin to add it to [desktop] "
		    "subnet_ids", subnet, b.s);
	else if (strncmp(subnet, "subnet-", 7) != 0 || strlen(subnet) > 32 ||
	    strspn(subnet + 7, "0123456789abcdef") != strlen(subnet + 7))
		why = soca_xasprintf("subnet \"%s\": not a subnet id "
		    "(subnet- and hex digits)", subnet);
	soca_buf_free(&b);
	soca_strv_free(v, n);
	return why;
}

static char *
project_refused(const struct soca_conf *c, const char *user,
    const char *project)
{
	char **names, **u, **g;
	size_t n = soca_conf_names(c, "project", &names), nu, ng;
	bool ok;

	soca_strv_free(names, n);
	if (!soca_name_ok(project))
		return soca_xasprintf("project \"%s\": not a name (letters, "
		    "digits, '.', '_', '-')", project);
	if (n == 0)
		return NULL;
	if (!soca_conf_has_section(c, "project", project))
		return soca_xasprintf("unknown project \"%s\" (soca-config show "
		    "lists the projects; give one with -P)", project);
	nu = soca_conf_list(c, "project", project, "allowed_users", &u);
	ng = soca_conf_list(c, "project", project, "allowed_groups", &g);
	ok = (nu == 0 && ng == 0) || soca_user_in(user, getuid(), getgid(),
	    u, nu) || soca_user_in(user, getuid(), getgid(), g, ng);
	soca_strv_free(u, nu);
	soca_strv_free(g, ng);
	return ok ? NULL : soca_xasprintf("project \"%s\": user %s may not "
	    "charge it (not in its allowed_users or allowed_groups); use "
	    "another -P", project, user);
}

/* 0: under its limit; SOCA_EX_FALSE: over it (said) */
static int
budget_gate(struct soca_desk_ctx *x, const char *project, const char *name)
{
	struct soca_aws_cfg cfg = { .conf = x->c };
	struct soca_aws_err e = { 0 };
	struct soca_cost *cost;
	char *why;

	if (!soca_cost_enabled(x->c))
		return 0;
	cost = soca_cost_new(x->c, &cfg);
	why = soca_cost_gate(cost, project, &e);
	soca_cost_free(cost);
	if (why) {
		warnx("launch %s: %s: no new desktop for the project until the "
		    "limit is raised or the period ends (soca-budget check %s)",
		    name, why, project);
		free(why);
		return SOCA_EX_FALSE;
	}
	if (e.kind != SOCA_AWS_OK) {
		char *s = soca_aws_err_str(&e);

		warnx("project %s: budget not checked: %s", project, s);
		free(s);
	}
	soca_aws_err_free(&e);
	return 0;
}

static int
record_from(struct soca_desk_ctx *x, const struct soca_desk_launch *l,
    struct soca_desk *d, int gen, const char *session)
{
	d->gen = gen;
	d->gone = false;
	free(d->image);
	d->image = soca_xstrdup(l->image);
	free(d->session);
	d->session = soca_xstrdup(session);
	free(d->project);
	d->project = soca_xstrdup(l->project);
	d->user_stop = d->user_start = 0;
	d->created = x->now;
	d->stopped = d->ended = 0;
	if (soca_desk_write(x->sp, d) < 0) {
		warn("launch %s: spool record", l->name);
		return SOCA_EX_TEMP;
	}
	return 0;
}

/* the name is live: a rerun (nothing to do) or a crash to recover from */
static int
existing(struct soca_desk_ctx *x, const struct soca_desk_launch *l,
    struct soca_desk *d, bool have, struct soca_ec2_inst *i)
{
	const char *g = i->token ? strrchr(i->token, '-') : NULL;
	int rc;

	if (have && !d->gone && d->session && i->session &&
	    strcmp(d->session, i->session) == 0) {
		printf("%s: exists, %s %s (%s)\n", l->name, i->id, i->state,
		    i->type);
		return 0;
	}
	if ((rc = record_from(x, l, d, g ? atoi(g + 1) : 0, i->session)) != 0)
		return rc;
	printf("%s: recovered %s %s (%s): launched before, not recorded\n",
	    l->name, i->id, i->state, i->type);
	return 0;
}

static int
launch_call(struct soca_desk_ctx *x, const struct soca_desk_launch *l,
    const char *ami, struct soca_desk *d, int gen)
{
	struct soca_aws_err e = { 0 };
	json_t *p, *r;
	char *why = NULL;
	int rc = 0;

	if ((p = run_params(x, l, ami, gen, &why, &rc)) == NULL) {
		warnx("launch %s: %s", l->name, why);
		free(why);
		return rc;
	}
	json_object_set_new(p, "DryRun", json_string("true"));
	json_object_del(p, "ClientToken");
	if ((r = soca_aws_ec2(x->a, "RunInstances", p, &e)) == NULL) {
		json_decref(p);
		rc = e.kind == SOCA_AWS_E_SERVICE && !soca_aws_retryable(&e) ?
		    SOCA_EX_USAGE : soca_aws_err_exit(&e);
		aws_fail("launch (DryRun)", l->name, &e);
		return rc;
	}
	json_decref(r);
	soca_aws_err_free(&e);
	json_decref(p);
	p = run_params(x, l, ami, gen, &why, &rc);
	soca_crashpoint("desktop-before-run");
	r = soca_aws_ec2(x->a, "RunInstances", p, &e);
	json_decref(p);
	soca_crashpoint("desktop-after-run");
	if (r == NULL)
		return aws_fail("launch", l->name, &e);
	json_t *in = json_array_get(json_object_get(r, "instancesSet"), 0);
	const char *iid = json_string_value(json_object_get(in, "instanceId"));
	char *ses = soca_desk_session(x->cluster, l->user, l->name, gen);

	if ((rc = record_from(x, l, d, gen, ses)) == 0)
		printf("%s: launched %s (%s, image %s%s)\n", l->name,
		    iid ? iid : "?", l->type, l->image,
		    l->hibernate ? ", hibernation" : "");
	free(ses);
	json_decref(r);
	return rc;
}

/* a live desktop's image and OS: its tags, else its record */
static void
desk_kind(struct soca_desk_ctx *x, struct soca_ec2_inst *i, char **image,
    bool *win)
{
	struct soca_desk d;

	*image = NULL;
	if (i->dimage)
		*image = soca_xstrdup(i->dimage);
	else if (soca_desk_read(x->sp, i->owner, i->dname, &d) == 0 && d.image)
		*image = soca_xstrdup(d.image);
	if (i->dimage == NULL)
		soca_desk_free(&d);
	*win = i->dos ? strcmp(i->dos, "windows") == 0 :
	    soca_desk_image_windows(x->c, *image);
}

/*
 * Under the launch lock(s): SOCA_EX_FALSE and said when one more desktop
 * of image l->image for l->user would break a limit: the user's per-OS
 * one, the user's overall one, the image's per-user one or its total
 * (v: the user's desktops, or everyone's when the image has a total).
 */
static int
over_limit(struct soca_desk_ctx *x, const struct soca_desk_launch *l,
    struct soca_ec2_inst *v, size_t n)
{
	const struct soca_conf *c = x->c;
	bool win = soca_desk_image_windows(c, l->image), w;
	const char *os = win ? "Windows" : "Linux";
	const char *key = win ? "max_windows_per_user" : "max_linux_per_user";
	long long mine = 0, same_os = 0, img_mine = 0, img_all = 0;
	long long max_os = soca_conf_int(c, "desktop", NULL, key);
	long long max = soca_conf_int(c, "desktop", NULL, "max_per_user");
	long long img_max = -1, img_total = -1;
	char *im;

	if (soca_conf_has_section(c, "desktop_image", l->image)) {
		img_max = soca_conf_int(c, "desktop_image", l->image,
		    "max_per_user");
		img_total = soca_conf_int(c, "desktop_image", l->image,
		    "max_total");
	}
	for (size_t k = 0; k < n; k++) {
		bool me = strcmp(v[k].owner, l->user) == 0;

		desk_kind(x, &v[k], &im, &w);
		mine += me;
		same_os += me && w == win;
		img_mine += me && im && strcmp(im, l->image) == 0;
		img_all += im && strcmp(im, l->image) == 0;
		free(im);
	}
	if (max_os >= 0 && same_os >= max_os) {
		warnx("launch %s: user %s has %lld %s desktops, [desktop] %s is "
		    "%lld; terminate one (soca-desktop terminate NAME) or ask an "
		    "admin to raise the limit", l->name, l->user, same_os, os,
		    key, max_os);
		return SOCA_EX_FALSE;
	}
	if (max >= 0 && mine >= max) {
		warnx("launch %s: user %s has %lld desktops, [desktop] "
		    "max_per_user is %lld; terminate one (soca-desktop "
		    "terminate NAME) or ask an admin to raise the limit",
		    l->name, l->user, mine, max);
		return SOCA_EX_FALSE;
	}
	if (img_max >= 0 && img_mine >= img_max) {
		warnx("launch %s: user %s has %lld desktops of image %s, "
		    "[desktop_image \"%s\"] max_per_user is %lld; terminate one "
		    "or pick another image (-i)", l->name, l->user, img_mine,
		    l->image, l->image, img_max);
		return SOCA_EX_FALSE;
	}
	if (img_total >= 0 && img_all >= img_total) {
		warnx("launch %s: %lld desktops of image %s exist, "
		    "[desktop_image \"%s\"] max_total is %lld; pick another "
		    "image (-i) or ask an admin to raise the limit", l->name,
		    img_all, l->image, l->image, img_total);
		return SOCA_EX_FALSE;
	}
	return 0;
}

static int
launch_locked(struct soca_desk_ctx *x, const struct soca_desk_launch *l,
    const char *ami, bool everyone)
{
	struct soca_aws_err e = { 0 };
	struct soca_ec2_inst *v, *i;
	struct soca_desk d;
	size_t n;
	int have, rc, gen;

	if (soca_desk_sweep(x, everyone ? NULL : l->user, &v, &n, &e) < 0)
		return aws_fail("launch", l->name, &e);
	if ((have = soca_desk_read(x->sp, l->user, l->name, &d)) < 0) {
		warn("launch %s: spool record", l->name);
		soca_ec2_inst_free(v, n);
		return SOCA_EX_TEMP;
	}
	if ((i = soca_desk_find(v, n, l->user, l->name)) != NULL)
		rc = existing(x, l, &d, have == 0, i);
	else if ((rc = over_limit(x, l, v, n)) == 0) {
		/* a record with no live instance: the name's next generation */
		gen = have == 0 ? d.gen + 1 : 0;
		rc = launch_call(x, l, ami, &d, gen);
	}
	soca_desk_free(&d);
	soca_ec2_inst_free(v, n);
	return rc;
}

int
soca_desk_launch(struct soca_desk_ctx *x, const struct soca_desk_launch *in)
{
	struct soca_desk_launch l = *in;
	const char *ami;
	char *why;
	int fd, fda = -1, rc;
	bool everyone;

	if (!soca_desk_name_ok(l.name)) {
		warnx("launch: name \"%s\": 1 to 32 letters, digits, '-' or "
		    "'_', a letter or digit first; pick another name", l.name);
		return SOCA_EX_USAGE;
	}
	if (l.type == NULL)
		l.type = soca_conf_get(x->c, "desktop", NULL, "default_type");
	if (l.root == 0)
		l.root = soca_conf_int(x->c, "desktop", NULL, "root_size");
	if ((why = soca_desk_type_refused(x->c, l.type)) ||
	    (why = soca_desk_image(x->c, l.image, &ami)) ||
	    (l.subnet && (why = subnet_refused(x->c, l.subnet))) ||
	    (l.project && (why = project_refused(x->c, l.user, l.project)))) {
		warnx("launch %s: %s", l.name, why);
		free(why);
		return SOCA_EX_USAGE;
	}
	if (l.image == NULL)	/* the image's name, for the record */
		l.image = soca_desk_default_image(x->c);
	if ((l.project && (rc = budget_gate(x, l.project, l.name)) != 0) ||
	    (l.hibernate && (rc = hibernate_check(x, &l)) != 0))
		return rc;
	if (l.project == NULL)	/* as a job naming none: no gate */
		l.project = "default";
	/* an image with a total counts everyone's: every user's lock too */
	everyone = soca_conf_has_section(x->c, "desktop_image", l.image) &&
	    soca_conf_int(x->c, "desktop_image", l.image, "max_total") >= 0;
	if ((fd = soca_desk_lock(x->sp, l.user, true)) < 0 || (everyone &&
	    (fda = soca_desk_lock(x->sp, NULL, true)) < 0)) {
		warn("launch %s: lock", l.name);
		if (fd >= 0)
			close(fd);
		return SOCA_EX_TEMP;
	}
	rc = launch_locked(x, &l, ami, everyone);
	if (fda >= 0)
		close(fda);
	close(fd);
	return rc;
}

/* ---- stop, hibernate, start, resize, terminate ---- */

static json_t *
one_id(const char *iid)
{
	return json_pack("{s:[s]}", "InstanceId", iid);
}

static int
call(struct soca_desk_ctx *x, const char *op, json_t *p,
    struct soca_aws_err *e)
{
	json_t *r = soca_aws_ec2(x->a, op, p, e);

	(void)x;
	json_decref(p);
	json_decref(r);
	return r ? 0 : -1;
}

static void
note_user(struct soca_desk_ctx *x, const char *user, const char *name,
    bool stop)
{
	struct soca_desk d;

	if (soca_desk_read(x->sp, user, name, &d) >= 0) {
		if (stop)
			d.user_stop = d.stopped = x->now;
		else
			d.user_start = x->now;
		if (soca_desk_write(x->sp, &d) < 0)
			warn("%s: spool record", name);
	}
	soca_desk_free(&d);
}

static int
do_stop(struct soca_desk_ctx *x, struct soca_ec2_inst *i, const char *name,
    bool hib)
{
	struct soca_aws_err e = { 0 };
	json_t *p;
	char *s;

	if (strcmp(i->state, "stopping") == 0 || strcmp(i->state,
	    "stopped") == 0) {
		printf("%s: already %s (%s)\n", name, i->state, i->id);
		return 0;
	}
	if (strcmp(i->state, "running") != 0) {
		warnx("%s: %s is %s, not running; try again in a minute", name,
		    i->id, i->state);
		return SOCA_EX_TEMP;
	}
	if (hib && !i->hibernate) {
		printf("%s: not launched for hibernation (launch "
		    "--hibernate): stopping instead\n", name);
		hib = false;
	}
	p = one_id(i->id);
	if (hib)
		json_object_set_new(p, "Hibernate", json_string("true"));
	if (call(x, "StopInstances", p, &e) == 0) {
		printf("%s: %s %s\n", name, hib ? "hibernating" : "stopping",
		    i->id);
		return 0;
	}
	if (!hib || e.kind != SOCA_AWS_E_SERVICE || soca_aws_retryable(&e))
		return aws_fail("stop", name, &e);
	s = aws_why(&e);
	printf("%s: EC2 refused hibernation (%s): stopping instead\n", name, s);
	free(s);
	soca_aws_err_free(&e);
	return do_stop(x, i, name, false);
}

static int
do_start(struct soca_desk_ctx *x, struct soca_ec2_inst *i, const char *name)
{
	struct soca_aws_err e = { 0 };

	if (strcmp(i->state, "running") == 0 || strcmp(i->state,
	    "pending") == 0) {
		printf("%s: already %s (%s)\n", name, i->state, i->id);
		return 0;
	}
	if (strcmp(i->state, "stopped") != 0) {
		warnx("%s: %s is %s; try again in a minute", name, i->id,
		    i->state);
		return SOCA_EX_TEMP;
	}
	if (call(x, "StartInstances", one_id(i->id), &e) < 0)
		return aws_fail("start", name, &e);
	printf("%s: starting %s\n", name, i->id);
	return 0;
}

static int
do_resize(struct soca_desk_ctx *x, struct soca_ec2_inst *i, const char *name,
    const char *type)
{
	struct soca_aws_err e = { 0 };
	json_t *p;

	if (i->hibernate) {
		warnx("resize %s: %s was launched for hibernation, and EC2 does "
		    "not change the type of such an instance; launch a new "
		    "desktop of type %s instead", name, i->id, type);
		return SOCA_EX_USAGE;
	}
	if (strcmp(i->state, "stopped") != 0) {
		warnx("resize %s: %s is %s; EC2 changes the type only while "
		    "stopped: soca-desktop stop %s, then resize", name, i->id,
		    i->state, name);
		return SOCA_EX_FALSE;
	}
	if (strcmp(i->type, type) == 0) {
		printf("%s: already %s\n", name, type);
		return 0;
	}
	p = json_pack("{s:s, s:{s:s}}", "InstanceId", i->id, "InstanceType",
	    "Value", type);
	if (call(x, "ModifyInstanceAttribute", p, &e) < 0)
		return aws_fail("resize", name, &e);
	printf("%s: resized %s from %s to %s\n", name, i->id, i->type, type);
	return 0;
}

static int
do_terminate(struct soca_desk_ctx *x, struct soca_ec2_inst *i,
    const char *user, const char *name)
{
	struct soca_aws_err e = { 0 };
	struct soca_desk d;
	int rc = 0;

	if (i && call(x, "TerminateInstances", one_id(i->id), &e) < 0)
		return aws_fail("terminate", name, &e);
	if (soca_desk_read(x->sp, user, name, &d) == 0) {
		d.gone = true;
		d.ended = x->now;
		d.sched.set = false;
		if (soca_desk_write(x->sp, &d) < 0) {
			warn("terminate %s: spool record", name);
			rc = SOCA_EX_TEMP;
		}
	}
	soca_desk_free(&d);
	if (i)
		printf("%s: terminating %s\n", name, i->id);
	else
		printf("%s: already terminated\n", name);
	return rc;
}

/* verb: stop, hibernate, start, resize (type), terminate */
int
soca_desk_power(struct soca_desk_ctx *x, const char *user, const char *name,
    const char *verb, const char *type)
{
	struct soca_aws_err e = { 0 };
	struct soca_ec2_inst *v, *i;
	struct soca_desk d;
	char *why;
	size_t n;
	int rc, have;

	if (type && (why = soca_desk_type_refused(x->c, type)) != NULL) {
		warnx("resize %s: %s", name, why);
		free(why);
		return SOCA_EX_USAGE;
	}
	if (soca_desk_sweep(x, user, &v, &n, &e) < 0)
		return aws_fail(verb, name, &e);
	i = soca_desk_find(v, n, user, name);
	have = soca_desk_read(x->sp, user, name, &d);
	soca_desk_free(&d);
	if (i == NULL && !(strcmp(verb, "terminate") == 0 && have == 0)) {
		warnx("%s %s: no such desktop of %s (soca-desktop list shows "
		    "them)", verb, name, user);
		soca_ec2_inst_free(v, n);
		return SOCA_EX_FALSE;
	}
	if (strcmp(verb, "stop") == 0 || strcmp(verb, "hibernate") == 0) {
		if ((rc = do_stop(x, i, name, verb[0] == 'h')) == 0)
			note_user(x, user, name, true);
	} else if (strcmp(verb, "start") == 0) {
		if ((rc = do_start(x, i, name)) == 0)
			note_user(x, user, name, false);
	} else if (strcmp(verb, "resize") == 0)
		rc = do_resize(x, i, name, type);
	else
		rc = do_terminate(x, i, user, name);
	soca_ec2_inst_free(v, n);
	return rc;
}
