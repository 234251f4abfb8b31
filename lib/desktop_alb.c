/*
 * desktop_alb.c: one target group and one path rule per running desktop
 * on the ALB listener [desktop] alb_listener_arn, as SOCA does.
 *
 * A desktop's target group is named from its DCV session id (which
 * changes with each launch of the name): "soca-" and 27 hex digits of
 * sha256(cluster/session), so a rerun finds or recreates the same group
 * (CreateTargetGroup of an existing name with the same settings returns
 * it).  Its rule forwards /SESSION and /SESSION/ (and below) to that group, at the
 * lowest free priority.  Both carry the cluster, owner and desktop tags
 * (given in the create call itself, so nothing soca made is ever
 * untagged).
 *
 * The tick reconciles, from one DescribeRules and one DescribeTargetGroups
 * walk (both paginated with Marker) and DescribeTags over the groups named
 * soca-*: a running desktop with no rule gets its group (created if
 * missing), its instance registered and a rule; a stopping or stopped
 * desktop with a group loses its rules, its registration and the group;
 * a group of this cluster whose desktop is gone (terminated, or a crash
 * between CreateTargetGroup and CreateRule of a desktop since stopped)
 * is swept the same way.  Pending desktops are left for the next tick.
 * When the listener holds alb_max_rules rules (ALB's quota: 100 besides
 * the default rule), no rule is added and the tick says so.  A desktop
 * already served costs no call beyond the three Describe walks.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "desktop.h"

#define ELBV2_VERSION "2015-12-01"
#define MAX_PRIORITY 50000

struct alb {
	struct soca_desk_ctx *x;
	const char *listener;
	json_t *rules;		/* every rule of the listener */
	json_t *tgs;		/* this cluster's desktop target groups */
	long long max;
	size_t nrules;		/* not counting the default rule */
};

static json_t *
call(struct alb *b, const char *op, json_t *p, struct soca_aws_err *e)
{
	json_t *r = soca_aws_query(b->x->a, "elbv2", ELBV2_VERSION, op, p, e);

	json_decref(p);
	return r;
}

static json_t *
members(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_array(v) ? v : NULL;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* every page of op's key, NULL on error (said) */
static json_t *
walk(struct alb *b, const char *op, const char *key, json_t *p)
{
	struct soca_aws_err e = { 0 };
	json_t *all = json_array(), *r, *v;
	const char *m;
	size_t i;

	for (int page = 0; page < 10000; page++) {
		if ((r = call(b, op, json_deep_copy(p), &e)) == NULL) {
			char *s = soca_aws_err_str(&e);

			fprintf(b->x->log, "alb: %s: %s\n", op, s);
			warnx("alb: %s: %s", op, s);
			free(s);
			soca_aws_err_free(&e);
			json_decref(all);
			json_decref(p);
			return NULL;
		}
		json_array_foreach(members(r, key), i, v)
			json_array_append(all, v);
		m = str(r, "NextMarker");
		if (m == NULL || *m == '\0') {
			json_decref(r);
			break;
		}
		json_object_set_new(p, "Marker", json_string(m));
		json_decref(r);
	}
	json_decref(p);
	return all;
}

static const char *
tag_of(json_t *tags, const char *key)
{
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t)
		if (str(t, "Key") && strcmp(str(t, "Key"), key) == 0)
			return str(t, "Value");
	return NULL;
}

/* the cluster's desktop groups: groups named soca-* with its tags */
static json_t *
our_groups(struct alb *b)
{
	struct soca_aws_err e = { 0 };
	json_t *all = walk(b, "DescribeTargetGroups", "TargetGroups",
	    json_object()), *ours = json_array(), *cand = json_array(), *g;
	size_t i;

	if (all == NULL) {
		json_decref(ours);
		json_decref(cand);
		return NULL;
	}
	json_array_foreach(all, i, g)
		if (str(g, "TargetGroupName") &&
		    strncmp(str(g, "TargetGroupName"), "soca-", 5) == 0)
			json_array_append(cand, g);
	json_decref(all);
	for (i = 0; i < json_array_size(cand); i += 20) {
		json_t *arns = json_array(), *r, *d, *p;
		size_t k;

		for (k = i; k < i + 20 && k < json_array_size(cand); k++)
			json_array_append_new(arns, json_string(str(
			    json_array_get(cand, k), "TargetGroupArn")));
		p = json_pack("{s:{s:o}}", "ResourceArns", "member", arns);
		r = soca_aws_query(b->x->a, "elbv2", ELBV2_VERSION,
		    "DescribeTags", p, &e);	/* "elbv2" */
		json_decref(p);
		if (r == NULL) {
			char *s = soca_aws_err_str(&e);

			warnx("alb: DescribeTags: %s", s);
			free(s);
			soca_aws_err_free(&e);
			json_decref(cand);
			json_decref(ours);
			return NULL;
		}
		json_array_foreach(members(r, "TagDescriptions"), k, d) {
			json_t *tags = members(d, "Tags"), *gg = NULL, *c1;
			const char *c = tag_of(tags, "soca:ClusterId");
			const char *t = tag_of(tags, "soca:NodeType");
			const char *ra = str(d, "ResourceArn");
			size_t m;

			json_array_foreach(cand, m, c1)
				if (ra && strcmp(str(c1, "TargetGroupArn"), ra) ==
				    0)
					gg = c1;

			if (c && t && strcmp(c, b->x->cluster) == 0 &&
			    strcmp(t, "desktop") == 0 && gg) {
				json_t *o = json_deep_copy(gg);

				json_object_set_new(o, "session", json_string(
				    tag_of(tags, "soca:DesktopSession") ?
				    tag_of(tags, "soca:DesktopSession") : ""));
				json_array_append_new(ours, o);
			}
		}
		json_decref(r);
	}
	json_decref(cand);
	return ours;
}

char *
soca_desk_alb_group(const char *cluster, const char *session)
{
	char *k = soca_xasprintf("%s/%s", cluster, session), h[65];

	soca_aws_sha256_hex(k, strlen(k), h);
	free(k);
	h[27] = '\0';
	return soca_xasprintf("soca-%s", h);
}

static json_t *
group_named(struct alb *b, const char *name)
{
	size_t i;
	json_t *g;

	json_array_foreach(b->tgs, i, g)
		if (strcmp(str(g, "TargetGroupName"), name) == 0)
			return g;
	return NULL;
}

/* the rules forwarding to arn */
static json_t *
rules_to(struct alb *b, const char *arn)
{
	json_t *out = json_array(), *r, *a;
	size_t i, k;

	json_array_foreach(b->rules, i, r) {
		bool to = false;

		json_array_foreach(members(r, "Actions"), k, a)
			to = to || (str(a, "TargetGroupArn") &&
			    strcmp(str(a, "TargetGroupArn"), arn) == 0);
		if (to)
			json_array_append(out, r);
	}
	return out;
}

static json_t *
tags(struct alb *b, struct soca_ec2_inst *i)
{
	json_t *t = json_array();

	soca_aws_tag(t, "soca:ClusterId", b->x->cluster);
	soca_aws_tag(t, "soca:NodeType", "desktop");
	soca_aws_tag(t, "soca:JobOwner", i->owner);
	soca_aws_tag(t, "soca:DesktopName", i->dname);
	soca_aws_tag(t, "soca:DesktopSession", i->session);
	/* soca_aws_tag makes EC2's {Key, Value}: the query wire's too */
	return json_pack("{s:o}", "member", t);
}

static int
fail(struct alb *b, const char *what, const char *who,
    struct soca_aws_err *e)
{
	char *s = soca_aws_err_str(e);

	fprintf(b->x->log, "alb: %s %s: %s (retried next tick)\n", what, who,
	    s);
	warnx("alb: %s %s: %s", what, who, s);
	free(s);
	soca_aws_err_free(e);
	return -1;
}

static long
free_priority(struct alb *b)
{
	for (long p = 1; p <= MAX_PRIORITY; p++) {
		bool used = false;
		size_t i;
		json_t *r;

		json_array_foreach(b->rules, i, r)
			used = used || (str(r, "Priority") &&
			    atol(str(r, "Priority")) == p);
		if (!used)
			return p;
	}
	return -1;
}

static json_t *
target(struct alb *b, struct soca_ec2_inst *i)
{
	return json_pack("{s:[{s:s, s:I}]}", "member", "Id", i->id, "Port",
	    (json_int_t)soca_conf_int(b->x->c, "desktop", NULL, "dcv_port"));
}

/* a running desktop: its group, its registration and its rule */
static int
serve(struct alb *b, struct soca_ec2_inst *i, const char *who)
{
	struct soca_aws_err e = { 0 };
	char *name = soca_desk_alb_group(b->x->cluster, i->session);
	json_t *g = group_named(b, name), *r, *rs = NULL, *p;
	const char *arn;
	char *path, *pathall;
	long prio;
	size_t k;
	int rc = 0;

	if (g && json_array_size(rs = rules_to(b, str(g,
	    "TargetGroupArn"))) > 0) {
		json_decref(rs);
		free(name);
		return 0;	/* served: nothing to do */
	}
	if (g)
		json_decref(rs);
	if ((long long)b->nrules >= b->max) {
		fprintf(b->x->log, "alb: %s: not added: the listener has %zu "
		    "rules, [desktop] alb_max_rules is %lld (ALB's quota is 100 "
		    "a listener): stop unused desktops, or raise the quota with "
		    "AWS and then alb_max_rules; it stays reachable through "
		    "soca-desktop connect's ssh line\n", who, b->nrules, b->max);
		warnx("alb: %s: the listener is full (%zu rules of %lld)", who,
		    b->nrules, b->max);
		free(name);
		return -1;
	}
	if (g == NULL) {
		/* DCV's web-url-path there is /SESSION (the user data's) */
		char *hc = soca_xasprintf("/%s/", i->session);

		p = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:o}",
		    "Name", name, "Protocol", "HTTPS", "Port",
		    (json_int_t)soca_conf_int(b->x->c, "desktop", NULL,
		    "dcv_port"), "VpcId", i->vpc ? i->vpc : "", "TargetType",
		    "instance", "HealthCheckProtocol", "HTTPS",
		    "HealthCheckPath", hc, "Tags", tags(b, i));
		free(hc);
		if ((r = call(b, "CreateTargetGroup", p, &e)) == NULL) {
			free(name);
			return fail(b, "CreateTargetGroup", who, &e);
		}
		g = json_array_get(members(r, "TargetGroups"), 0);
		if (g == NULL || str(g, "TargetGroupArn") == NULL) {
			json_decref(r);
			free(name);
			fprintf(b->x->log, "alb: %s: CreateTargetGroup answered "
			    "no group\n", who);
			return -1;
		}
		json_array_append(b->tgs, g);
		json_decref(r);
		fprintf(b->x->log, "alb: %s: target group %s created\n", who,
		    name);
	}
	arn = str(g, "TargetGroupArn");
	soca_crashpoint("alb-after-group");
	p = json_pack("{s:s, s:o}", "TargetGroupArn", arn, "Targets",
	    target(b, i));
	if ((r = call(b, "RegisterTargets", p, &e)) == NULL) {
		free(name);
		return fail(b, "RegisterTargets", who, &e);
	}
	json_decref(r);
	if ((prio = free_priority(b)) < 0) {
		free(name);
		fprintf(b->x->log, "alb: %s: no free rule priority\n", who);
		return -1;
	}
	path = soca_xasprintf("/%s", i->session);
	pathall = soca_xasprintf("/%s/*", i->session);
	p = json_pack("{s:s, s:I, s:{s:[{s:s, s:{s:{s:[s, s]}}}]}, "
	    "s:{s:[{s:s, s:s}]}, s:o}", "ListenerArn", b->listener,
	    "Priority", (json_int_t)prio, "Conditions", "member", "Field",
	    "path-pattern", "PathPatternConfig", "Values", "member", path,
	    pathall, "Actions", "member", "Type", "forward", "TargetGroupArn",
	    arn, "Tags", tags(b, i));
	free(path);
	free(pathall);
	if ((r = call(b, "CreateRule", p, &e)) == NULL) {
		if (e.code && strcmp(e.code, "TooManyRules") == 0)
			fprintf(b->x->log, "alb: %s: the listener is full "
			    "(ELBv2: TooManyRules): raise the quota with AWS or "
			    "stop unused desktops\n", who);
		free(name);
		return fail(b, "CreateRule", who, &e);
	}
	json_array_foreach(members(r, "Rules"), k, g)
		json_array_append(b->rules, g);
	b->nrules++;
	json_decref(r);
	fprintf(b->x->log, "alb: %s: rule at priority %s for /%s\n", who,
	    str(json_array_get(b->rules, json_array_size(b->rules) - 1),
	    "Priority"), i->session);
	free(name);
	return rc;
}

/* a group to remove: its rules, its target (if known), itself */
static int
unserve(struct alb *b, json_t *g, struct soca_ec2_inst *i, const char *who,
    const char *why)
{
	struct soca_aws_err e = { 0 };
	const char *arn = str(g, "TargetGroupArn");
	json_t *rs = rules_to(b, arn), *r, *p;
	size_t k;

	json_array_foreach(rs, k, r) {
		p = json_pack("{s:s}", "RuleArn", str(r, "RuleArn"));
		if ((p = call(b, "DeleteRule", p, &e)) == NULL) {
			json_decref(rs);
			return fail(b, "DeleteRule", who, &e);
		}
		json_decref(p);
		b->nrules--;
	}
	json_decref(rs);
	if (i) {
		p = json_pack("{s:s, s:o}", "TargetGroupArn", arn, "Targets",
		    target(b, i));
		if ((p = call(b, "DeregisterTargets", p, &e)) == NULL)
			return fail(b, "DeregisterTargets", who, &e);
		json_decref(p);
	}
	p = json_pack("{s:s}", "TargetGroupArn", arn);
	if ((p = call(b, "DeleteTargetGroup", p, &e)) == NULL)
		return fail(b, "DeleteTargetGroup", who, &e);
	json_decref(p);
	fprintf(b->x->log, "alb: %s: rule and target group %s removed (%s)\n",
	    who, str(g, "TargetGroupName"), why);
	return 0;
}

static bool
rules_of_listener(struct alb *b)
{
	json_t *r;
	size_t i;

	b->rules = walk(b, "DescribeRules", "Rules", json_pack("{s:s}",
	    "ListenerArn", b->listener));
	if (b->rules == NULL)
		return false;
	json_array_foreach(b->rules, i, r)
		if (!(str(r, "IsDefault") && strcmp(str(r, "IsDefault"),
		    "true") == 0))
			b->nrules++;
	return true;
}

/* the tick's pass: -1 when something failed (logged), else 0 */
int
soca_desk_alb_tick(struct soca_desk_ctx *x, struct soca_ec2_inst *v,
    size_t n)
{
	struct alb b = { .x = x };
	size_t failed = 0, k;
	json_t *g;

	b.listener = soca_conf_get(x->c, "desktop", NULL, "alb_listener_arn");
	if (b.listener == NULL)
		return 0;
	b.max = soca_conf_int(x->c, "desktop", NULL, "alb_max_rules");
	if (!rules_of_listener(&b) || (b.tgs = our_groups(&b)) == NULL) {
		json_decref(b.rules);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *who, *name;

		if (!v[i].owner || !v[i].dname || !v[i].state || !v[i].session)
			continue;
		who = soca_xasprintf("%s/%s", v[i].owner, v[i].dname);
		name = soca_desk_alb_group(x->cluster, v[i].session);
		g = group_named(&b, name);
		if (strcmp(v[i].state, "running") == 0)
			failed += serve(&b, &v[i], who) < 0;
		else if (g && (strcmp(v[i].state, "stopping") == 0 ||
		    strcmp(v[i].state, "stopped") == 0))
			failed += unserve(&b, g, &v[i], who, v[i].state) < 0;
		if ((g = group_named(&b, name)) != NULL)
			json_object_set_new(g, "claimed", json_true());
		free(who);
		free(name);
	}
	json_array_foreach(b.tgs, k, g)
		if (!json_is_true(json_object_get(g, "claimed"))) {
			char *who = soca_xasprintf("session %s", str(g,
			    "session"));

			failed += unserve(&b, g, NULL, who, "no live desktop") <
			    0;
			free(who);
		}
	json_decref(b.rules);
	json_decref(b.tgs);
	return failed ? -1 : 0;
}

/*
 * The ALB URL of desktop i when its rule exists: https://DNS/SESSION/
 * (the load balancer's name from DescribeListeners and
 * DescribeLoadBalancers); NULL when there is no ALB or no rule yet.
 */
char *
soca_desk_alb_url(struct soca_desk_ctx *x, struct soca_ec2_inst *i)
{
	struct soca_aws_err e = { 0 };
	struct alb b = { .x = x };
	char *name, *url = NULL;
	json_t *r, *g, *rs, *lb;
	const char *lba, *dns, *arn = NULL, *ses;
	long long port;

	b.listener = soca_conf_get(x->c, "desktop", NULL, "alb_listener_arn");
	if (b.listener == NULL || i->session == NULL)
		return NULL;
	name = soca_desk_alb_group(x->cluster, i->session);
	r = call(&b, "DescribeTargetGroups", json_pack("{s:{s:[s]}}", "Names",
	    "member", name), &e);
	free(name);
	if (r == NULL) {	/* TargetGroupNotFound: no rule yet */
		soca_aws_err_free(&e);
		return NULL;
	}
	g = json_array_get(members(r, "TargetGroups"), 0);
	if (g && rules_of_listener(&b)) {
		arn = str(g, "TargetGroupArn");
		rs = rules_to(&b, arn);
		arn = json_array_size(rs) ? arn : NULL;
		json_decref(rs);
	}
	json_decref(b.rules);
	json_decref(r);
	if (arn == NULL)
		return NULL;
	r = call(&b, "DescribeListeners", json_pack("{s:{s:[s]}}",
	    "ListenerArns", "member", b.listener), &e);
	lb = json_array_get(members(r, "Listeners"), 0);
	lba = str(lb, "LoadBalancerArn");
	port = str(lb, "Port") ? atoll(str(lb, "Port")) : 443;
	if (lba)
		lb = call(&b, "DescribeLoadBalancers", json_pack("{s:{s:[s]}}",
		    "LoadBalancerArns", "member", lba), &e);
	else
		lb = NULL;
	dns = str(json_array_get(members(lb, "LoadBalancers"), 0), "DNSName");
	ses = i->dos && strcmp(i->dos, "windows") == 0 ? "console" :
	    i->session;		/* Windows: DCV's console session */
	if (dns)
		url = port == 443 ? soca_xasprintf("https://%s/%s/#%s", dns,
		    i->session, ses) : soca_xasprintf("https://%s:%lld/%s/#%s",
		    dns, port, i->session, ses);
	soca_aws_err_free(&e);
	json_decref(lb);
	json_decref(r);
	return url;
}
