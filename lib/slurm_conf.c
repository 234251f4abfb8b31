/*
 * slurm_conf.c: `soca-config slurm`, the slurm.conf lines that make soca
 * Slurm's cloud capacity, so an administrator never writes them by hand:
 * the power-saving programs and parameters, then per soca queue one
 * partition and, per instance type of the queue, a State=CLOUD node set
 * whose Feature is the type (the ResumeProgram reads it back) and whose
 * CPUs and RealMemory come from DescribeInstanceTypes (one call): cores
 * when the queue launches without hyper-threading (ht_support = no, the
 * default, ThreadsPerCore 1), else vCPUs.  A set has the queue's
 * max_provisioned_instances nodes, or 10 when the queue sets no limit.
 * ResumeTimeout is [aws] boot_timeout; SuspendTime 10 minutes.  Each
 * counted [license] becomes one of Licenses=NAME:ISSUED (FlexLM's issued
 * count, read now), for soca-license --slurm's reservations.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "license.h"
#include "provider.h"
#include "provider_aws.h"
#include "slurm.h"

#define SLURM_DEFAULT_NODES 10
#define SLURM_SUSPEND_TIME 600	/* idle nodes power down after 10 min */

/* Licenses=NAME:ISSUED,... of the counted [license] sections */
static void
licenses(const struct soca_conf *c, FILE *f)
{
	struct soca_buf b = { 0 };
	char **v;
	size_t n = soca_conf_names(c, "license", &v);

	for (size_t i = 0; i < n; i++) {
		struct soca_lic l;
		char *why = NULL;

		if (soca_license_read(c, v[i], &l, &why) < 0) {
			fprintf(f, "# license %s: unreadable (%s): add %s:ISSUED "
			    "to Licenses= by hand\n", v[i], why, v[i]);
			free(why);
		} else if (l.uncounted)
			fprintf(f, "# license %s: uncounted, not for Slurm\n",
			    v[i]);
		else
			soca_buf_addf(&b, "%s%s:%lld", b.len ? "," : "", v[i],
			    l.issued);
	}
	if (b.len)
		fprintf(f, "Licenses=%s\n", b.s);
	soca_buf_free(&b);
	soca_strv_free(v, n);
}

/* c5.large -> c5large: a Slurm node name part */
static char *
slug(const char *type)
{
	char *s = soca_xstrdup(type), *o = s;

	for (const char *p = type; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			*o++ = *p;
	*o = '\0';
	return s;
}

/* every distinct type of the enabled queues ("a+b" is two) */
static size_t
types(const struct soca_conf *c, char **queues, size_t nq, char ***out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < nq; i++) {
		const char *t = soca_conf_get(c, "queue", queues[i],
		    "instance_type");
		char *copy, *tok, *save = NULL;

		if (t == NULL || !soca_conf_bool(c, "queue", queues[i],
		    "enabled"))
			continue;
		copy = soca_xstrdup(t);
		for (tok = strtok_r(copy, "+", &save); tok;
		    tok = strtok_r(NULL, "+", &save)) {
			size_t k;

			for (k = 0; k < n && strcmp((*out)[k], tok) != 0; k++)
				;
			if (k == n) {
				*out = soca_xreallocarray(*out, n + 1,
				    sizeof(**out));
				(*out)[n++] = soca_xstrdup(tok);
			}
		}
		free(copy);
	}
	return n;
}

static json_t *
describe(const struct soca_conf *c, char **t, size_t n, char **why)
{
	struct soca_aws_err e = { 0 };
	struct soca_aws *a = soca_aws_open(c, &e);
	json_t *p = json_object(), *l = json_array(), *r = NULL;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(l, json_string(t[i]));
	json_object_set_new(p, "InstanceType", l);
	if (a == NULL || (r = soca_aws_ec2(a, "DescribeInstanceTypes", p,
	    &e)) == NULL) {
		char *s = soca_aws_err_str(&e);

		*why = soca_xasprintf("DescribeInstanceTypes: %s", s);
		free(s);
	}
	soca_aws_err_free(&e);
	soca_aws_free(a);
	json_decref(p);
	return r;
}

static long long
jnum(json_t *o, const char *a, const char *b)
{
	const char *v = json_string_value(json_object_get(json_object_get(o,
	    a), b));

	return v ? strtoll(v, NULL, 10) : 0;
}

/* one queue's partition and its node sets */
static void
queue(const struct soca_conf *c, const char *q, json_t *info, FILE *f)
{
	const char *t = soca_conf_get(c, "queue", q, "instance_type");
	const char *wall = soca_conf_get(c, "queue", q, "walltime");
	long long max = soca_conf_int(c, "queue", q,
	    "max_provisioned_instances"), secs;
	bool ht = soca_conf_bool(c, "queue", q, "ht_support");
	struct soca_buf nodes = { 0 };
	char *copy, *tok, *save = NULL;

	if (t == NULL || !soca_conf_bool(c, "queue", q, "enabled")) {
		fprintf(f, "# queue %s: %s, no partition\n", q, t ? "disabled" :
		    "no instance_type");
		return;
	}
	copy = soca_xstrdup(t);
	for (tok = strtok_r(copy, "+", &save); tok;
	    tok = strtok_r(NULL, "+", &save)) {
		json_t *it;
		size_t i;
		char *s = slug(tok);

		json_array_foreach(json_object_get(info, "instanceTypeSet"), i,
		    it) {
			if (strcmp(json_string_value(json_object_get(it,
			    "instanceType")), tok) != 0)
				continue;
			fprintf(f, "NodeName=%s-%s-[1-%lld] CPUs=%lld "
			    "RealMemory=%lld State=CLOUD Feature=%s\n", q, s,
			    max > 0 ? max : SLURM_DEFAULT_NODES,
			    jnum(it, "vCpuInfo", ht ? "defaultVCpus" :
			    "defaultCores"), jnum(it, "memoryInfo",
			    "sizeInMiB") * 9 / 10, tok);
		}
		soca_buf_addf(&nodes, "%s%s-%s-[1-%lld]", nodes.len ? "," : "",
		    q, s, max > 0 ? max : SLURM_DEFAULT_NODES);
		free(s);
	}
	free(copy);
	fprintf(f, "PartitionName=%s Nodes=%s%s MaxTime=", q, nodes.s,
	    strcmp(q, soca_conf_get(c, "cluster", NULL, "default_queue")) ?
	    "" : " Default=YES");
	if (wall && soca_parse_duration(wall, &secs) == 0 && secs > 0)
		fprintf(f, "%lld State=UP\n", (secs + 59) / 60);
	else
		fputs("INFINITE State=UP\n", f);
	soca_buf_free(&nodes);
}

/* 0, or -1 and *why (AWS could not say what the types are) */
int
soca_slurm_conf(const struct soca_conf *c, FILE *f, char **why)
{
	char **q, **t;
	size_t nq = soca_conf_names(c, "queue", &q), nt = types(c, q, nq, &t);
	json_t *info = nt ? describe(c, t, nt, why) : json_object();

	soca_strv_free(t, nt);
	if (info == NULL) {
		soca_strv_free(q, nq);
		return -1;
	}
	fprintf(f, "# soca-config slurm: soca as Slurm's cloud capacity "
	    "(soca-node-up(1), The Slurm bridge)\n"
	    "ResumeProgram=%s/soca-node-up\n"
	    "SuspendProgram=%s/soca-node-down\n"
	    "ResumeFailProgram=%s/soca-node-down\n"
	    "ResumeRate=0\nSuspendRate=0\nTreeWidth=65533\n"
	    "ResumeTimeout=%lld\nSuspendTime=%d\n"
	    "SlurmctldParameters=idle_on_node_suspend,cloud_reg_addrs\n"
	    "CommunicationParameters=NoAddrCache\nPrivateData=cloud\n",
	    BINDIR, BINDIR, BINDIR, soca_conf_int(c, "aws", NULL,
	    "boot_timeout"), SLURM_SUSPEND_TIME);
	licenses(c, f);
	for (size_t i = 0; i < nq; i++)
		queue(c, q[i], info, f);
	json_decref(info);
	soca_strv_free(q, nq);
	return 0;
}
