/*
 * provider_aws.c: capacity is EC2 instances launched for each job.
 *
 * Launching is one mutating call per job: RunInstances with MinCount =
 * MaxCount = nodes (all or nothing), every tag in TagSpecifications, and
 * a ClientToken made of the cluster, the job id and the job's attempt.
 * The attempt lives in the spool, in aws/ID ("attempt N", "launched 0|1",
 * one "instance ID" line per instance), written after the call: a crash
 * between the call and that write leaves "launched 0", so the next
 * launch of the job sends the same token and EC2 hands back the same
 * reservation instead of launching again.  Any launch after a recorded
 * one (the job was requeued) takes attempt + 1.
 *
 * Errors: capacity and limits hold the job (queued, with AWS's reason;
 * the next try takes the next allowed subnet); throttling, 5xx and
 * network failures hold it and stop the cycle so the account is not
 * hammered; anything else AWS refuses fails the job with its message.
 *
 * The reaper's sweep is one paginated DescribeInstances filtered on
 * tag:soca:ClusterId.  From it: instances of ended jobs, of an earlier
 * attempt and orphans past [aws] orphan_grace are terminated (batches of
 * 1,000, never those tagged soca:KeepForever=true); a job provisioning
 * longer than [aws] boot_timeout loses its instances and is requeued; a
 * job whose recorded instances are all gone (Spot interruption) is
 * requeued when rerunnable, else failed with the reason.
 *
 * Queues with scaling_mode = multiple_jobs reuse instances: a job goes to
 * an idle instance of its shape when there is one (aws_share.c).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "fsx.h"
#include "provider.h"
#include "provider_aws.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif
#define TERMINATE_BATCH 1000
#define LAUNCH_MARGIN 0.05	/* seconds */

struct paws {
	const struct soca_conf *c;
	struct soca_spool *sp;
	struct soca_aws *a;
	char *cluster;
};

/* why this run (one cycle) stopped launching; passes share it */
static char *stop;
/* the soca-node-up run (its launch workers share it): see held_here() */
static long runpid;

bool
soca_aws_capacity_code(const char *code)
{
	static const char *const codes[] = {
		"InsufficientInstanceCapacity", "InstanceLimitExceeded",
		"VcpuLimitExceeded", "MaxSpotInstanceCountExceeded",
		"InsufficientCapacity", "SpotMaxPriceTooLow",
		"InsufficientFreeAddressesInSubnet", "InsufficientHostCapacity",
		"InsufficientReservedInstanceCapacity", "Unavailable",
	};

	for (size_t i = 0; code && i < sizeof(codes) / sizeof(*codes); i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* ---- per-job state: aws/ID in the spool ---- */

static char *
state_path(struct soca_spool *sp, long long id)
{
	return soca_xasprintf("%s/aws/%lld", soca_spool_dir(sp), id);
}

void
soca_aws_jobstate_free(struct soca_aws_jobstate *s)
{
	soca_strv_free(s->ids, s->nids);
	memset(s, 0, sizeof(*s));
}

int
soca_aws_jobstate_read(struct soca_spool *sp, long long id,
    struct soca_aws_jobstate *s)
{
	char *p = state_path(sp, id), line[256];
	FILE *f = fopen(p, "r");

	memset(s, 0, sizeof(*s));
	free(p);
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "attempt ", 8) == 0)
			s->attempt = atoi(line + 8);
		else if (strncmp(line, "launched ", 9) == 0)
			s->launched = atoi(line + 9) != 0;
		else if (strncmp(line, "tries ", 6) == 0)
			s->tries = atoi(line + 6);
		else if (strncmp(line, "heldby ", 7) == 0)
			s->heldby = atol(line + 7);
		else if (strncmp(line, "instance ", 9) == 0) {
			s->ids = soca_xreallocarray(s->ids, s->nids + 2,
			    sizeof(*s->ids));
			s->ids[s->nids++] = soca_xstrdup(line + 9);
			s->ids[s->nids] = NULL;
		}
	}
	fclose(f);
	return 0;
}

int
soca_aws_jobstate_write(struct soca_spool *sp, long long id,
    const struct soca_aws_jobstate *s)
{
	char *dir = soca_xasprintf("%s/aws", soca_spool_dir(sp));
	char *p = state_path(sp, id);
	struct soca_buf b = { 0 };
	int r;

	if (mkdir(dir, 02770) < 0 && errno != EEXIST) {
		free(dir);
		free(p);
		return -1;
	}
	soca_buf_addf(&b, "attempt %d\nlaunched %d\ntries %d\n", s->attempt,
	    s->launched ? 1 : 0, s->tries);
	if (s->heldby)
		soca_buf_addf(&b, "heldby %ld\n", s->heldby);
	for (size_t i = 0; i < s->nids; i++)
		soca_buf_addf(&b, "instance %s\n", s->ids[i]);
	r = soca_write_atomic(p, b.s ? b.s : "", b.len, 0660);
	soca_buf_free(&b);
	free(dir);
	free(p);
	return r;
}

/* At most 64 characters, the same for the same cluster, job and attempt. */
char *
soca_aws_token(const char *cluster, long long id, int attempt)
{
	char h[65];

	if (strlen(cluster) <= 32)
		return soca_xasprintf("soca-%s-%lld-%d", cluster, id, attempt);
	soca_aws_sha256_hex(cluster, strlen(cluster), h);
	h[16] = '\0';
	return soca_xasprintf("soca-%s-%lld-%d", h, id, attempt);
}

/* ---- the client ---- */

struct soca_aws *
soca_aws_open(const struct soca_conf *c, struct soca_aws_err *e)
{
	struct soca_aws_cfg cfg = { .conf = c };

	return soca_aws_new(&cfg, e);
}

static const char *
res(const struct soca_job *j, const char *k)
{
	const char *v = soca_job_res(j, k);

	return v && *v ? v : NULL;
}

static bool
res_bool(const struct soca_job *j, const char *k)
{
	const char *v = res(j, k);

	return v && (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0 || strcmp(v, "on") == 0);
}

/* a tag for TagSpecifications; the value cut to EC2's 256 characters */
void
soca_aws_tag(json_t *tags, const char *k, const char *v)
{
	char val[257];

	snprintf(val, sizeof(val), "%s", v ? v : "");
	json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", k,
	    "Value", val));
}

static json_t *
job_tags(struct paws *pa, const struct soca_job *j)
{
	json_t *t = json_array();
	char id[32], *name, **extra = NULL;
	size_t n;

	snprintf(id, sizeof(id), "%lld", j->id);
	name = soca_xasprintf("soca-%s-job%lld", pa->cluster, j->id);
	soca_aws_tag(t, "Name", name);
	soca_aws_tag(t, "soca:ClusterId", pa->cluster);
	soca_aws_tag(t, "soca:JobId", id);
	soca_aws_tag(t, "soca:JobName", j->name);
	soca_aws_tag(t, "soca:JobOwner", j->user);
	soca_aws_tag(t, "soca:JobProject", j->project ? j->project : "default");
	soca_aws_tag(t, "soca:JobQueue", j->queue);
	soca_aws_tag(t, "soca:NodeType", "compute_node");
	soca_aws_tag(t, "soca:KeepForever", soca_conf_bool(pa->c, "queue", j->queue,
	    "keep_forever") ? "true" : "false");
	soca_aws_tag(t, "soca:TerminateWhenIdle", soca_conf_get(pa->c, "queue",
	    j->queue, "terminate_when_idle"));
	if (soca_aws_shared(pa->c, j)) {	/* later jobs may reuse it */
		char *h = soca_aws_res_hash(pa->c, j);

		soca_aws_tag(t, "soca:ResourceHash", h);
		free(h);
	}
	free(name);
	n = soca_conf_list(pa->c, "aws", NULL, "extra_tags", &extra);
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(extra[i], '=');

		if (eq == NULL || eq == extra[i])
			continue;
		*eq = '\0';
		soca_aws_tag(t, extra[i], eq + 1);
	}
	soca_strv_free(extra, n);
	return t;
}

/*
 * The job's subnets: its subnet_id list; for a count N, N of [aws]
 * subnet_ids picked at random, the draw seeded by the cluster and job id
 * so that every cycle (and a rerun after a crash, same ClientToken) sees
 * the same picks; without subnet_id, every allowed subnet.
 */
static size_t
job_subnets(const struct soca_conf *c, const struct soca_job *j, char ***out)
{
	const char *js = res(j, "subnet_id");
	char **v = NULL, *seed, h[65];
	size_t n = 0;
	long long want;

	if (js && strspn(js, "0123456789") != strlen(js)) {
		soca_split_list(js, out, &n);
		return n;
	}
	n = soca_conf_list(c, "aws", NULL, "subnet_ids", &v);
	if (js == NULL || (want = atoll(js)) <= 0 || n == 0) {
		*out = v;
		return n;
	}
	seed = soca_xasprintf("%s/%lld", soca_conf_get(c, "cluster", NULL,
	    "name"), j->id);
	soca_aws_sha256_hex(seed, strlen(seed), h);
	free(seed);
	for (size_t i = n - 1; i > 0; i--) {	/* Fisher-Yates on the hash */
		char b[5] = { h[(i * 4) % 60], h[(i * 4 + 1) % 60],
		    h[(i * 4 + 2) % 60], h[(i * 4 + 3) % 60], '\0' };
		size_t k = strtoul(b, NULL, 16) % (i + 1);
		char *t = v[i];

		v[i] = v[k];
		v[k] = t;
	}
	for (size_t i = (size_t)want; i < n; i++)
		free(v[i]);
	if ((size_t)want < n) {
		n = (size_t)want;
		v[n] = NULL;
	}
	*out = v;
	return n;
}

/* The job's subnets, its first; try `tries` takes the next. */
static char *
pick_subnet(struct paws *pa, const struct soca_job *j, int tries)
{
	char **v = NULL, *s = NULL;
	size_t n = job_subnets(pa->c, j, &v);

	if (n > 0)
		s = soca_xstrdup(v[(size_t)tries % n]);
	soca_strv_free(v, n);
	return s;
}

static const char *
pick_ami(struct paws *pa, const struct soca_job *j)
{
	const char *os = res(j, "base_os"), *ami = res(j, "instance_ami");
	static char found[64];
	char **v = NULL;
	size_t n;

	if (ami)
		return ami;
	if (os) {
		n = soca_conf_list(pa->c, "aws", NULL, "base_os_amis", &v);
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(os);

			if (strncmp(v[i], os, l) == 0 && v[i][l] == '=') {
				snprintf(found, sizeof(found), "%s", v[i] + l + 1);
				soca_strv_free(v, n);
				return found;
			}
		}
		soca_strv_free(v, n);
	}
	return soca_conf_get(pa->c, "aws", NULL, "ami");
}

static json_t *
sg_list(struct paws *pa, const struct soca_job *j)
{
	json_t *a = json_array();
	char **v = NULL;
	size_t n = soca_conf_list(pa->c, "aws", NULL, "security_group_ids", &v);
	const char *js = res(j, "security_groups");

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	soca_strv_free(v, n);
	if (js) {
		soca_split_list(js, &v, &n);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_string(v[i]));
		soca_strv_free(v, n);
	}
	return a;
}

/* run_params failed for a moment (AWS unreachable): hold, not fail */
static bool params_temp;

/* root_size resizes the AMI's own root device (DescribeImages, cached) */
static json_t *
block_devices(const struct soca_conf *c, const struct soca_job *j,
    const char *ami, char **why)
{
	json_t *a = json_array(), *ebs;
	bool del = !res_bool(j, "keep_ebs");
	long long root = soca_job_res_int(j, "root_size", 0);
	long long scratch = soca_job_res_int(j, "scratch_size", 0);
	long long iops = soca_job_res_int(j, "scratch_iops", 0);
	char *dev;

	if (root > 0) {
		if ((dev = soca_aws_root_device(c, ami, why, &params_temp)) ==
		    NULL) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_pack("{s:s, s:{s:I, s:s, s:b}}",
		    "DeviceName", dev, "Ebs", "VolumeSize",
		    (json_int_t)root, "VolumeType", "gp3",
		    "DeleteOnTermination", del));
		free(dev);
	}
	if (scratch > 0) {
		ebs = json_pack("{s:I, s:s, s:b}", "VolumeSize",
		    (json_int_t)scratch, "VolumeType", iops > 0 ? "io2" : "gp3",
		    "DeleteOnTermination", del);
		if (iops > 0)
			json_object_set_new(ebs, "Iops", json_integer(iops));
		json_array_append_new(a, json_pack("{s:s, s:o}", "DeviceName",
		    "/dev/xvdbx", "Ebs", ebs));
	}
	return a;
}

static char *
slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *s;

	if (f == NULL)
		return NULL;
	s = soca_xmalloc(max + 1);
	*len = fread(s, 1, max, f);
	s[*len] = '\0';
	fclose(f);
	return s;
}


void
soca_aws_b64(struct soca_buf *out, const unsigned char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ?
		    (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);

		soca_buf_addc(out, t[v >> 18 & 63]);
		soca_buf_addc(out, t[v >> 12 & 63]);
		soca_buf_addc(out, i + 1 < n ? t[v >> 6 & 63] : '=');
		soca_buf_addc(out, i + 2 < n ? t[v & 63] : '=');
	}
}

/*
 * %%NODE_LOGS%%: where the node leaves its bootstrap log for soca-archive
 * (archive_files.c), the spool's nodelogs/; empty without [archive]
 * bucket, where nothing would ever take them away.
 */
static void
node_logs(const struct soca_conf *c, struct soca_buf *r)
{
	const char *b = soca_conf_get(c, "archive", NULL, "bucket");
	char *d;

	if (b == NULL || *b == '\0') {
		soca_buf_shquote(r, "");
		return;
	}
	d = soca_xasprintf("%s/nodelogs", soca_conf_get(c, "cluster", NULL,
	    "spool"));
	soca_buf_shquote(r, d);
	free(d);
}

/*
 * The user-data template at path, its %%NAME%% replaced (single-quoted
 * admin values, the numeric job id), base64 for RunInstances.  EC2 takes
 * 16 KB before encoding.  Id 0 renders the job id empty: the user data
 * of [aws] launch_template, the same for every job (CreateFleet cannot
 * carry any), whose node reads its soca:JobId tag from IMDS.
 */
char *
soca_aws_user_data(const struct soca_conf *c, const char *path, long long id,
    char **why)
{
	return soca_aws_user_data_nodes(c, path, id, NULL, why);
}

/* The same, with %%SLURM_NODES%%: the Slurm nodes, one a launch index. */
char *
soca_aws_user_data_nodes(const struct soca_conf *c, const char *path,
    long long id, const char *slurm_nodes, char **why)
{
	struct soca_buf r = { 0 }, o = { 0 };
	char *tpl, *p, *q, num[32];
	size_t len;

	if ((tpl = slurp(path, 65536, &len)) == NULL) {
		*why = soca_xasprintf("[aws] user_data %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	for (p = tpl; (q = strstr(p, "%%")) != NULL; ) {
		char *e = strstr(q + 2, "%%");
		const char *k = q + 2;
		size_t kl = e ? (size_t)(e - k) : 0;

		soca_buf_add(&r, p, (size_t)(q - p));
		if (e == NULL) {
			p = q;
			break;
		}
		if (kl == 6 && strncmp(k, "JOB_ID", kl) == 0) {
			snprintf(num, sizeof(num), "%lld", id);
			soca_buf_adds(&r, id > 0 ? num : "");
		} else if (kl == 7 && strncmp(k, "CLUSTER", kl) == 0)
			soca_buf_shquote(&r, soca_conf_get(c, "cluster", NULL, "name"));
		else if (kl == 4 && strncmp(k, "CONF", kl) == 0)
			soca_buf_shquote(&r, soca_conf_file(c));
		else if (kl == 9 && strncmp(k, "SHARED_FS", kl) == 0)
			soca_buf_shquote(&r, soca_conf_get(c, "aws", NULL, "shared_fs"));
		else if (kl == 15 && strncmp(k, "SHARED_FS_MOUNT", kl) == 0)
			soca_buf_shquote(&r, soca_conf_get(c, "aws", NULL,
			    "shared_fs_mount"));
		else if (kl == 6 && strncmp(k, "BINDIR", kl) == 0)
			soca_buf_shquote(&r, BINDIR);
		else if (kl == 11 && strncmp(k, "SLURM_NODES", kl) == 0)
			soca_buf_shquote(&r, slurm_nodes ? slurm_nodes : "");
		else if (kl == 9 && strncmp(k, "NODE_LOGS", kl) == 0)
			node_logs(c, &r);
		else if (soca_fsx_subst(&r, c, k, kl))	/* fsx_aws.c */
			;
		else
			soca_buf_add(&r, q, kl + 4);
		p = e + 2;
	}
	soca_buf_adds(&r, p);
	free(tpl);
	if (r.len > 16384) {
		*why = soca_xasprintf("[aws] user_data %s: %zu bytes once "
		    "rendered, EC2 takes 16384", path, r.len);
		soca_buf_free(&r);
		return NULL;
	}
	soca_aws_b64(&o, (const unsigned char *)(r.s ? r.s : ""), r.len);
	soca_buf_free(&r);
	soca_buf_add(&o, "", 0);
	return soca_buf_steal(&o);
}

/* The job's RunInstances parameters (wire names); NULL and *why if none. */
json_t *
soca_aws_run_params(const struct soca_conf *c, const char *cluster,
    const struct soca_job *j, int attempt, int tries, char **why)
{
	struct paws pa = { .c = c, .cluster = (char *)cluster };
	const char *type = res(j, "instance_type"), *ami, *spot, *v;

	params_temp = false;
	long long nodes = soca_job_res_int(j, "nodes", 1);
	json_t *p, *tags, *sgs, *bdm;
	char *tok, *subnet;

	if (type == NULL) {
		*why = soca_xasprintf("instance_type: not set; give -l "
		    "instance_type=TYPE or set instance_type in [queue %s]",
		    j->queue);
		return NULL;
	}
	if ((ami = pick_ami(&pa, j)) == NULL) {
		*why = soca_xstrdup("instance_ami: not set; give -l "
		    "instance_ami=ami-... or set [aws] ami");
		return NULL;
	}
	tok = soca_aws_token(cluster, j->id, attempt);
	tags = job_tags(&pa, j);
	p = json_pack("{s:s, s:s, s:I, s:I, s:s, s:[{s:s, s:o}, {s:s, s:O}]}",
	    "ImageId", ami, "InstanceType", type, "MinCount", (json_int_t)nodes,
	    "MaxCount", (json_int_t)nodes, "ClientToken", tok,
	    "TagSpecification", "ResourceType", "instance", "Tag", tags,
	    "ResourceType", "volume", "Tag", tags);
	free(tok);
	subnet = pick_subnet(&pa, j, tries);
	sgs = sg_list(&pa, j);
	if (res_bool(j, "efa_support")) {
		json_t *ni = json_pack("{s:I, s:s, s:b}", "DeviceIndex",
		    (json_int_t)0, "InterfaceType", "efa",
		    "DeleteOnTermination", 1);

		if (subnet)
			json_object_set_new(ni, "SubnetId", json_string(subnet));
		if (json_array_size(sgs))
			json_object_set(ni, "SecurityGroupId", sgs);
		json_object_set_new(p, "NetworkInterface", json_pack("[o]",
		    ni));
	} else {
		if (subnet)
			json_object_set_new(p, "SubnetId", json_string(subnet));
		if (json_array_size(sgs))
			json_object_set(p, "SecurityGroupId", sgs);
	}
	json_decref(sgs);
	free(subnet);
	if (!res_bool(j, "ht_support"))
		json_object_set_new(p, "CpuOptions", json_pack("{s:I}",
		    "ThreadsPerCore", (json_int_t)1));
	if ((spot = res(j, "spot_price")) != NULL) {
		json_t *so = json_pack("{s:s, s:s}", "SpotInstanceType",
		    "one-time", "InstanceInterruptionBehavior", "terminate");

		if (strcmp(spot, "auto") != 0)
			json_object_set_new(so, "MaxPrice", json_string(spot));
		json_object_set_new(p, "InstanceMarketOptions", json_pack(
		    "{s:s, s:o}", "MarketType", "spot", "SpotOptions", so));
	}
	if ((bdm = block_devices(c, j, ami, why)) == NULL) {
		json_decref(p);
		return NULL;
	}
	if (json_array_size(bdm))
		json_object_set(p, "BlockDeviceMapping", bdm);
	json_decref(bdm);
	if ((v = res(j, "instance_profile")) != NULL ||
	    (v = soca_conf_get(c, "aws", NULL, "instance_profile")) != NULL)
		json_object_set_new(p, "IamInstanceProfile", json_pack("{s:s}",
		    "Name", v));
	if ((v = soca_conf_get(c, "aws", NULL, "key_name")) != NULL)
		json_object_set_new(p, "KeyName", json_string(v));
	if ((v = soca_conf_get(c, "aws", NULL, "user_data")) != NULL) {
		char *ud = soca_aws_user_data(c, v, j->id, why);

		if (ud == NULL) {
			json_decref(p);
			return NULL;
		}
		json_object_set_new(p, "UserData", json_string(ud));
		free(ud);
	}
	return p;
}

/* Several instance types, or a Spot/On-Demand mix: CreateFleet. */
bool
soca_aws_fleet(const struct soca_job *j)
{
	const char *t = res(j, "instance_type");

	return (t && strchr(t, '+')) || res(j, "spot_allocation_count");
}

/* The job's CreateFleet (instant) parameters, from its RunInstances ones. */
static json_t *
fleet_params(const struct soca_conf *c, const struct soca_job *j,
    json_t *run)
{
	const char *spot = res(j, "spot_price"), *strat;
	long long nodes = soca_job_res_int(j, "nodes", 1);
	long long sac = soca_job_res_int(j, "spot_allocation_count", -1);
	json_t *p, *ovs = json_array(), *tcs;
	char **types = NULL, **subs = NULL;
	size_t n = 0, ns = 0;
	char *all = soca_xstrdup(res(j, "instance_type")), *save = NULL;

	for (char *t = strtok_r(all, "+, ", &save); t;
	    t = strtok_r(NULL, "+, ", &save)) {
		types = soca_xreallocarray(types, n + 1, sizeof(*types));
		types[n++] = soca_xstrdup(t);
	}
	free(all);
	/* with subnet_id, an override per type and subnet, else the one */
	if (res(j, "subnet_id") == NULL || (ns = job_subnets(c, j, &subs)) ==
	    0) {
		const char *one = json_string_value(json_object_get(run,
		    "SubnetId"));

		ns = one ? 1 : 0;
		subs = soca_xcalloc(2, sizeof(*subs));
		subs[0] = one ? soca_xstrdup(one) : NULL;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < (ns ? ns : 1); k++) {
			json_t *o = json_pack("{s:s, s:O, s:I}", "InstanceType",
			    types[i], "ImageId", json_object_get(run, "ImageId"),
			    "Priority", (json_int_t)(i * (ns ? ns : 1) + k));

			if (ns)
				json_object_set_new(o, "SubnetId",
				    json_string(subs[k]));
			if (spot && strcmp(spot, "auto") != 0)
				json_object_set_new(o, "MaxPrice",
				    json_string(spot));
			json_array_append_new(ovs, o);
		}
	soca_strv_free(types, n);
	soca_strv_free(subs, ns);
	tcs = json_pack("{s:I, s:s}", "TotalTargetCapacity", (json_int_t)nodes,
	    "DefaultTargetCapacityType", spot || sac > 0 ? "spot" :
	    "on-demand");
	if (sac >= 0) {
		if (sac > nodes)
			sac = nodes;
		json_object_set_new(tcs, "SpotTargetCapacity", json_integer(sac));
		json_object_set_new(tcs, "OnDemandTargetCapacity",
		    json_integer(nodes - sac));
	}
	p = json_pack("{s:s, s:[{s:{s:s, s:s}, s:o}], s:o, s:o, s:O}",
	    "Type", "instant", "LaunchTemplateConfigs",
	    "LaunchTemplateSpecification", "LaunchTemplateName",
	    soca_conf_get(c, "aws", NULL, "launch_template"), "Version",
	    "$Default", "Overrides", ovs, "TargetCapacitySpecification", tcs,
	    "TagSpecification", json_pack("[O]", json_array_get(
	    json_object_get(run, "TagSpecification"), 0)),
	    "ClientToken", json_object_get(run, "ClientToken"));
	if ((strat = res(j, "spot_allocation_strategy")) != NULL)
		json_object_set_new(p, "SpotOptions", json_pack("{s:s}",
		    "AllocationStrategy", strat));
	return p;
}

/*
 * The client-side token buckets, shaped like EC2's own for RunInstances
 * (requests: [aws] launch_burst, refilled at launch_rate a second;
 * instances: instance_burst, instance_rate), kept in aws/bucket in the
 * spool so cron runs and the launch workers of a run share them.  A
 * launch takes its tokens under the file's lock right before its call,
 * the balance going below zero when they are not there yet: that is a
 * reservation, and the launch sleeps until its turn (plus a margin, as
 * EC2 counts the call a little after us) with the lock released, so
 * launches in flight go out spaced at the rate.  A launch whose turn
 * would come after the run's [aws] launch_wait takes nothing: the job is
 * held and the cycle ends.  A backlog drains at the account's rate, not
 * over it.
 */
static double cycle_start;

static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* aws/bucket, open and locked; -1 if it cannot be */
static int
bucket_open(struct paws *pa)
{
	char *d = soca_xasprintf("%s/aws", soca_spool_dir(pa->sp));
	char *p = soca_xasprintf("%s/bucket", d);
	int fd;

	mkdir(d, 02770);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	while (fd >= 0 && flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			fd = -1;
		}
	free(d);
	free(p);
	return fd;
}

/* Take a request and n instances' tokens, waiting if the cycle allows. */
static bool
bucket_take(struct paws *pa, long long n, char **why)
{
	double rb = (double)soca_conf_int(pa->c, "aws", NULL, "launch_burst");
	double rr = soca_conf_number(pa->c, "aws", NULL, "launch_rate");
	double ib = (double)soca_conf_int(pa->c, "aws", NULL,
	    "instance_burst");
	double ir = soca_conf_number(pa->c, "aws", NULL, "instance_rate");
	double budget = (double)soca_conf_int(pa->c, "aws", NULL,
	    "launch_wait"), need = (double)n, wait = 0, w2, req, inst, at, t;
	char buf[128];
	ssize_t len;
	int fd;

	if (rr <= 0)
		return true;	/* launch_rate = 0: no client-side limit */
	if ((fd = bucket_open(pa)) < 0) {
		*why = soca_xasprintf("spool: aws/bucket: %s", strerror(errno));
		free(stop);
		stop = soca_xstrdup(*why);
		return false;
	}
	t = now_real();
	if (need > ib)
		need = ib;
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = '\0';
	if (sscanf(buf, "%lf %lf %lf", &req, &inst, &at) != 3 || at > t) {
		req = rb;
		inst = ib;
		at = t;
	}
	req = req + (t - at) * rr > rb ? rb : req + (t - at) * rr;
	inst = inst + (t - at) * ir > ib ? ib : inst + (t - at) * ir;
	if (req < 1)
		wait = (1 - req) / rr;
	if (inst < need && ir > 0 && (w2 = (need - inst) / ir) > wait)
		wait = w2;
	if (wait > 0)
		wait += LAUNCH_MARGIN;
	if (wait > 0 && t + wait - cycle_start > budget) {
		close(fd);
		*why = soca_xstrdup("rate: the EC2 launch rate is spent for "
		    "this cycle (launch_burst, launch_rate)");
		free(stop);
		stop = soca_xstrdup(*why);
		return false;
	}
	len = snprintf(buf, sizeof(buf), "%.6f %.6f %.6f\n", req - 1,
	    inst - need, t);
	if (pwrite(fd, buf, (size_t)len, 0) != len || ftruncate(fd, len) < 0)
		warn("aws/bucket");
	close(fd);	/* the lock goes: the next launch counts from here */
	if (wait > 0) {
		struct timespec ts = { (time_t)wait,
		    (long)((wait - (double)(time_t)wait) * 1e9) };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return true;
}

/* ---- provider ---- */

static void
aws_busy(struct soca_provider *p, const struct soca_job *j)
{
	(void)p;
	(void)j;
}

static bool
in_list(const struct soca_conf *c, const char *queue, const char *key,
    const char *v)
{
	char **l = NULL;
	size_t n = soca_conf_list(c, "queue", queue, key, &l);
	bool ok = false;

	for (size_t i = 0; i < n && !ok; i++)
		ok = strcmp(l[i], v) == 0;
	soca_strv_free(l, n);
	return ok;
}

/* subnet_id = N: at least 1, at most the allowed subnets */
static char *
subnet_refuse(const struct soca_conf *c, const struct soca_job *j)
{
	const char *js = res(j, "subnet_id");
	char **v = NULL;
	size_t n;
	long long want;

	if (js == NULL || strspn(js, "0123456789") != strlen(js))
		return NULL;
	want = strlen(js) > 6 ? 1000000 : atoll(js);
	n = soca_conf_list(c, "aws", NULL, "subnet_ids", &v);
	soca_strv_free(v, n);
	if (want >= 1 && (size_t)want <= n)
		return NULL;
	if (n == 0)
		return soca_xasprintf("subnet_id %s: a count picks among [aws] "
		    "subnet_ids, which is not set; name the subnets, or ask an "
		    "admin to set subnet_ids", js);
	if (want < 1)
		return soca_xasprintf("subnet_id %s: a count of subnets must "
		    "be at least 1; give -l subnet_id=1 or name the subnets",
		    js);
	return soca_xasprintf("subnet_id %s: a count may not exceed the %zu "
	    "private subnet%s in [aws] subnet_ids; give -l subnet_id=%zu or "
	    "less, or ask an admin to allow more subnets", js, n,
	    n == 1 ? "" : "s", n);
}

char *
soca_aws_refuse(const struct soca_conf *c, const struct soca_job *j)
{
	const char *v = res(j, "instance_profile"), *sg = res(j,
	    "security_groups");
	char **l = NULL;
	size_t n = 0;
	char *why = NULL;

	if (v && !in_list(c, j->queue, "allowed_instance_profiles", v))
		return soca_xasprintf("instance_profile %s: not in queue %s's "
		    "allowed_instance_profiles; ask an admin to allow it", v,
		    j->queue);
	if (sg)
		soca_split_list(sg, &l, &n);
	for (size_t i = 0; i < n && why == NULL; i++)
		if (!in_list(c, j->queue, "allowed_security_groups", l[i]))
			why = soca_xasprintf("security_groups %s: not in queue "
			    "%s's allowed_security_groups; ask an admin to "
			    "allow it", l[i], j->queue);
	soca_strv_free(l, n);
	if (why == NULL)
		why = subnet_refuse(c, j);
	if (why == NULL && soca_aws_fleet(j) &&
	    soca_conf_get(c, "aws", NULL, "launch_template") == NULL)
		why = soca_xasprintf("instance_type %s: several types or a "
		    "Spot/On-Demand mix launch with CreateFleet, which needs "
		    "[aws] launch_template; ask an admin to set it, or give "
		    "one type", res(j, "instance_type"));
	/*
	 * CreateFleet's nodes boot with the launch template's user data, the
	 * same for every job: it cannot carry the job's file system to
	 * wait for and mount, so nothing is created for a job it would not
	 * reach
	 */
	if (why == NULL && soca_aws_fleet(j) && res(j, "fsx_lustre") &&
	    *res(j, "fsx_lustre") != '\0')
		why = soca_xasprintf("fsx_lustre=%s with %s: such jobs launch "
		    "with CreateFleet from [aws] launch_template, whose user "
		    "data is the same for every job and cannot mount the job's "
		    "file system; give one instance type%s, or drop "
		    "fsx_lustre", res(j, "fsx_lustre"), res(j,
		    "spot_allocation_count") ? "spot_allocation_count (a "
		    "Spot/On-Demand mix)" : "several instance types",
		    res(j, "spot_allocation_count") ? " and all nodes Spot or "
		    "none (no spot_allocation_count)" : "");
	return why;
}

/*
 * A job held after a launch attempt goes back to queued/, which makes the
 * dispatcher pass again; each run tries a job once.
 */
static bool
held_here(struct paws *pa, const struct soca_job *j)
{
	struct soca_aws_jobstate s;
	bool r;

	if (j->reason == NULL || soca_aws_jobstate_read(pa->sp, j->id, &s) < 0)
		return false;
	r = s.heldby == runpid;
	soca_aws_jobstate_free(&s);
	return r;
}

static const char *
aws_halted(struct soca_provider *p)
{
	(void)p;
	return stop;
}

static void
aws_halt(struct soca_provider *p, const char *why)
{
	(void)p;
	if (stop == NULL)
		stop = soca_xstrdup(why);
}

static enum soca_launch
aws_admit(struct soca_provider *p, const struct soca_job *j, char **why)
{
	struct paws *pa = p->ctx;
	json_t *params;

	if (stop) {
		*why = soca_xstrdup(stop);
		return SOCA_LAUNCH_HOLD;
	}
	if ((*why = soca_aws_refuse(pa->c, j)) != NULL)
		return SOCA_LAUNCH_FAIL;
	if (held_here(pa, j)) {	/* tried once this run: same reason */
		*why = soca_xstrdup(j->reason ? j->reason : "capacity");
		return SOCA_LAUNCH_HOLD;
	}
	if ((params = soca_aws_run_params(pa->c, pa->cluster, j, 0, 0,
	    why)) == NULL)
		return params_temp ? SOCA_LAUNCH_HOLD : SOCA_LAUNCH_FAIL;
	json_decref(params);
	return SOCA_LAUNCH_OK;
}

static bool
client(struct paws *pa, char **why)
{
	struct soca_aws_err e = { 0 };

	if (pa->a)
		return true;
	if ((pa->a = soca_aws_open(pa->c, &e)) == NULL) {
		char *s = soca_aws_err_str(&e);

		*why = soca_xasprintf("aws: %s", s);
		stop = soca_xstrdup(*why);
		free(s);
		soca_aws_err_free(&e);
		return false;
	}
	return true;
}

static enum soca_launch
launch_error(struct paws *pa, struct soca_aws_err *e, char **why)
{
	char *s = e->message ? soca_xstrdup(e->message) : soca_aws_err_str(e);

	if (e->kind == SOCA_AWS_E_SERVICE && soca_aws_capacity_code(e->code)) {
		*why = soca_xasprintf("capacity: %s: %s", e->code, s);
		free(s);
		return SOCA_LAUNCH_HOLD;
	}
	if (e->kind != SOCA_AWS_E_SERVICE || e->status >= 500 ||
	    e->status == 429 || soca_aws_retryable(e)) {
		*why = soca_xasprintf("aws: %s%s%s (retried next cycle)",
		    e->code ? e->code : "", e->code ? ": " : "", s);
		free(stop);
		stop = soca_xasprintf("aws: launching stopped this cycle "
		    "after %s", e->code ? e->code : "an error");
		free(s);
		return SOCA_LAUNCH_HOLD;
	}
	*why = soca_xasprintf("aws: %s: %s", e->code ? e->code : "error", s);
	free(s);
	return SOCA_LAUNCH_FAIL;
}

static void
add_id(struct soca_aws_jobstate *s, const char *id)
{
	if (id == NULL)
		return;
	s->ids = soca_xreallocarray(s->ids, s->nids + 2, sizeof(*s->ids));
	s->ids[s->nids++] = soca_xstrdup(id);
	s->ids[s->nids] = NULL;
}

/*
 * CreateFleet gave fewer instances than nodes: all or nothing, so give
 * back what came and hold (capacity) or fail (anything else) with the
 * fleet's first error.  The attempt is spent: the next gets a new token.
 */
static enum soca_launch
fleet_short(struct paws *pa, const struct soca_job *j, json_t *r,
    struct soca_aws_jobstate *s, char **why)
{
	json_t *e0 = json_array_get(json_object_get(r, "errorSet"), 0);
	const char *code = json_string_value(json_object_get(e0, "errorCode"));
	const char *msg = json_string_value(json_object_get(e0,
	    "errorMessage"));
	size_t got = s->nids;

	if (got)
		soca_aws_terminate(pa->a, s->ids, s->nids, NULL);
	soca_strv_free(s->ids, s->nids);
	s->ids = NULL;
	s->nids = 0;
	s->heldby = runpid;
	s->tries++;
	if (code && !soca_aws_capacity_code(code) && got == 0) {
		*why = soca_xasprintf("aws: %s: %s", code, msg ? msg : "");
		return SOCA_LAUNCH_FAIL;
	}
	*why = soca_xasprintf("capacity: CreateFleet gave %zu of %lld "
	    "instances (given back): %s: %s", got, soca_job_res_int(j, "nodes",
	    1), code ? code : "no capacity", msg ? msg : "");
	return SOCA_LAUNCH_HOLD;
}

/*
 * A cluster placement group for a multi-node job, named for the job and
 * attempt, created before its launch (an existing one is fine: a rerun)
 * and listed in aws/pg/NAME so the reaper deletes it once the job ends.
 */
static enum soca_launch
placement_group(struct paws *pa, const struct soca_job *j, int attempt,
    json_t *params, char **why)
{
	struct soca_aws_err e = { 0 };
	char *name = soca_xasprintf("soca-%s-%lld-%d", pa->cluster, j->id,
	    attempt), *dir, *path, id[32];
	json_t *p, *r;
	enum soca_launch rc = SOCA_LAUNCH_OK;

	dir = soca_xasprintf("%s/aws", soca_spool_dir(pa->sp));
	mkdir(dir, 02770);
	free(dir);
	dir = soca_xasprintf("%s/aws/pg", soca_spool_dir(pa->sp));
	mkdir(dir, 02770);
	path = soca_xasprintf("%s/%s", dir, name);
	snprintf(id, sizeof(id), "%lld\n", j->id);
	soca_write_atomic(path, id, strlen(id), 0660);
	p = json_pack("{s:s, s:s}", "GroupName", name, "Strategy", "cluster");
	r = soca_aws_ec2(pa->a, "CreatePlacementGroup", p, &e);
	if (r == NULL && !(e.code && strcmp(e.code,
	    "InvalidPlacementGroup.Duplicate") == 0))
		rc = launch_error(pa, &e, why);
	else
		json_object_set_new(params, "Placement", json_pack("{s:s}",
		    "GroupName", name));
	json_decref(r);
	json_decref(p);
	soca_aws_err_free(&e);
	free(dir);
	free(path);
	free(name);
	return rc;
}

/*
 * scaling_mode = multiple_jobs: the job was handed to an idle instance
 * of its shape (aws_share.c), which picks it up; no AWS call.
 */
static enum soca_launch
shared_start(struct paws *pa, const struct soca_job *j, char *iid)
{
	struct soca_aws_jobstate s;

	if (soca_aws_jobstate_read(pa->sp, j->id, &s) == 0 && s.launched)
		s.attempt++;	/* requeued: earlier instances are not its */
	soca_strv_free(s.ids, s.nids);
	s.ids = NULL;
	s.nids = 0;
	add_id(&s, iid);
	s.launched = true;
	s.heldby = 0;
	if (soca_aws_jobstate_write(pa->sp, j->id, &s) < 0)
		warn("aws/%lld", j->id);
	soca_aws_jobstate_free(&s);
	free(iid);
	return SOCA_LAUNCH_OK;
}

static enum soca_launch
aws_launch(struct soca_provider *p, struct soca_job *j, char **why)
{
	struct paws *pa = p->ctx;
	struct soca_aws_jobstate s;
	struct soca_aws_err e = { 0 };
	json_t *params, *r, *inst, *set;
	enum soca_launch rc;
	size_t i;
	char *iid;

	if ((iid = soca_aws_claim(pa->c, pa->sp, j)) != NULL)
		return shared_start(pa, j, iid);
	if (stop) {
		*why = soca_xstrdup(stop);
		return SOCA_LAUNCH_HOLD;
	}
	if (!client(pa, why))
		return SOCA_LAUNCH_HOLD;
	if (soca_aws_jobstate_read(pa->sp, j->id, &s) < 0) {
		*why = soca_xasprintf("spool: aws/%lld: %s", j->id,
		    strerror(errno));
		return SOCA_LAUNCH_HOLD;
	}
	if (s.launched) {	/* requeued: a new attempt, a new token */
		s.attempt++;
		s.launched = false;
		soca_strv_free(s.ids, s.nids);
		s.ids = NULL;
		s.nids = 0;
	}
	if ((params = soca_aws_run_params(pa->c, pa->cluster, j, s.attempt,
	    s.tries, why)) == NULL) {
		soca_aws_jobstate_free(&s);
		return params_temp ? SOCA_LAUNCH_HOLD : SOCA_LAUNCH_FAIL;
	}
	if ((rc = soca_fsx_create(pa->c, pa->a, j, s.attempt, params, why)) !=
	    SOCA_LAUNCH_OK) {	/* the job's FSx for Lustre: fsx_aws.c */
		json_decref(params);
		if (rc == SOCA_LAUNCH_HOLD) {	/* not again this run */
			s.heldby = runpid;
			soca_aws_jobstate_write(pa->sp, j->id, &s);
		}
		soca_aws_jobstate_free(&s);
		return rc;
	}
	if (soca_aws_fleet(j)) {
		json_t *fp = fleet_params(pa->c, j, params);

		json_decref(params);
		params = fp;
	}
	if (!soca_aws_fleet(j) && res_bool(j, "placement_group") &&
	    soca_job_res_int(j, "nodes", 1) > 1 &&
	    (rc = placement_group(pa, j, s.attempt, params, why)) !=
	    SOCA_LAUNCH_OK) {
		json_decref(params);
		soca_aws_jobstate_free(&s);
		return rc;
	}
	if (!bucket_take(pa, soca_job_res_int(j, "nodes", 1), why)) {
		json_decref(params);
		soca_aws_jobstate_free(&s);
		return SOCA_LAUNCH_HOLD;
	}
	soca_crashpoint("aws-before-run");
	r = soca_aws_ec2(pa->a, soca_aws_fleet(j) ? "CreateFleet" :
	    "RunInstances", params, &e);
	json_decref(params);
	soca_crashpoint("aws-after-run");
	if (r == NULL) {
		rc = launch_error(pa, &e, why);
		soca_aws_err_free(&e);
		if (rc == SOCA_LAUNCH_HOLD) {
			s.tries++;
			s.heldby = runpid;
		}
		soca_aws_jobstate_write(pa->sp, j->id, &s);
		soca_aws_jobstate_free(&s);
		return rc;
	}
	set = json_object_get(r, "instancesSet");
	json_array_foreach(set, i, inst)
		add_id(&s, json_string_value(json_object_get(inst,
		    "instanceId")));
	json_array_foreach(json_object_get(r, "fleetInstanceSet"), i, inst) {
		json_t *id;
		size_t k;

		json_array_foreach(json_object_get(inst, "instanceIds"), k, id)
			add_id(&s, json_string_value(id));
	}
	s.launched = true;
	if ((long long)s.nids < soca_job_res_int(j, "nodes", 1)) {
		rc = fleet_short(pa, j, r, &s, why);
		json_decref(r);
		soca_aws_jobstate_write(pa->sp, j->id, &s);
		soca_aws_jobstate_free(&s);
		return rc;
	}
	json_decref(r);
	s.heldby = 0;
	if (soca_aws_jobstate_write(pa->sp, j->id, &s) < 0)
		warn("aws/%lld", j->id);
	soca_crashpoint("aws-after-record");
	soca_aws_jobstate_free(&s);
	return SOCA_LAUNCH_OK;
}

static int
aws_release(struct soca_provider *p, const struct soca_job *j)
{
	struct paws *pa = p->ctx;
	struct soca_aws_jobstate s;
	char *why = NULL;
	int r;

	if (soca_conf_bool(pa->c, "queue", j->queue, "keep_forever"))
		return 0;
	if (soca_aws_jobstate_read(pa->sp, j->id, &s) < 0 || s.nids == 0 ||
	    !client(pa, &why)) {
		free(why);
		soca_aws_jobstate_free(&s);
		return 0;
	}
	r = soca_aws_terminate(pa->a, s.ids, s.nids, NULL);
	soca_aws_jobstate_free(&s);
	return r;
}

/* TerminateInstances in batches of up to 1,000 ids. */
int
soca_aws_terminate(struct soca_aws *a, char **ids, size_t n, FILE *log)
{
	int rc = 0;

	for (size_t off = 0; off < n; off += TERMINATE_BATCH) {
		size_t m = n - off < TERMINATE_BATCH ? n - off : TERMINATE_BATCH;
		json_t *p = json_object(), *l = json_array(), *r;
		struct soca_aws_err e = { 0 };

		for (size_t i = 0; i < m; i++)
			json_array_append_new(l, json_string(ids[off + i]));
		json_object_set_new(p, "InstanceId", l);
		if ((r = soca_aws_ec2(a, "TerminateInstances", p, &e)) == NULL) {
			char *s = soca_aws_err_str(&e);

			if (log)
				fprintf(log, "terminate: %s\n", s);
			else
				warnx("TerminateInstances: %s", s);
			free(s);
			soca_aws_err_free(&e);
			rc = -1;
		}
		json_decref(r);
		json_decref(p);
	}
	return rc;
}

static void
aws_free(struct soca_provider *p)
{
	struct paws *pa = p->ctx;

	if (pa->a)
		soca_aws_free(pa->a);
	free(pa->cluster);
	free(pa);
	free(p);
}

static int
aws_sweep(struct soca_provider *p)
{
	struct paws *pa = p->ctx;
	char *why = NULL;

	if (!client(pa, &why)) {
		warnx("%s", why);
		free(why);
		return -1;
	}
	return soca_aws_sweep(pa->c, pa->sp, pa->a, p->log ? p->log : stdout);
}

struct soca_provider *
soca_provider_aws(const struct soca_conf *c, struct soca_spool *sp)
{
	struct soca_provider *p = soca_xcalloc(1, sizeof(*p));
	struct paws *pa = soca_xcalloc(1, sizeof(*pa));

	pa->c = c;
	pa->sp = sp;
	pa->cluster = soca_xstrdup(soca_conf_get(c, "cluster", NULL, "name"));
	if (runpid == 0) {
		runpid = (long)getpid();
		cycle_start = now_real();
	}
	p->name = "aws";
	p->remote = true;
	p->ctx = pa;
	p->busy = aws_busy;
	p->admit = aws_admit;
	p->launch = aws_launch;
	p->halted = aws_halted;
	p->halt = aws_halt;
	p->parallel = (int)soca_conf_int(c, "aws", NULL, "launch_workers");
	p->release = aws_release;
	p->sweep = aws_sweep;
	p->free = aws_free;
	return p;
}

/* ---- DryRun at submission ---- */

static char *
dry_key(json_t *params)
{
	json_t *q = json_deep_copy(params);
	char *s, h[65];

	json_object_del(q, "ClientToken");
	json_object_del(q, "TagSpecification");
	json_object_del(q, "UserData");	/* per job (its id); checked here */
	s = json_dumps(q, JSON_SORT_KEYS | JSON_COMPACT);
	soca_aws_sha256_hex(s, strlen(s), h);
	free(s);
	json_decref(q);
	return soca_xstrdup(h);
}

/* The cached answer: 1 allowed, 0 refused (*why), -1 none or stale. */
static int
dry_cached(const char *path, long long ttl, char **why)
{
	struct stat st;
	char buf[4096];
	FILE *f;
	size_t n;

	if (stat(path, &st) < 0 || time(NULL) - st.st_mtime >= ttl ||
	    (f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "ok") == 0)
		return 1;
	if (strncmp(buf, "refused ", 8) != 0)
		return -1;
	*why = soca_xstrdup(buf + 8);
	return 0;
}

/*
 * Would AWS launch this job?  A DryRun RunInstances, its answer cached in
 * aws/dryrun/KEY for [aws] dryrun_cache per distinct set of parameters
 * (tags and token aside).  0: yes; 1: no, *why is AWS's reason; 2: soca
 * itself refuses (*why); -1: AWS could not say (*why), the dispatcher
 * will find out.
 */
static int
dryrun(const struct soca_conf *c, struct soca_spool *sp,
    const struct soca_job *j, bool cached, char **why)
{
	const char *cluster = soca_conf_get(c, "cluster", NULL, "name");
	long long ttl = soca_conf_int(c, "aws", NULL, "dryrun_cache");
	struct soca_aws_err e = { 0 };
	struct soca_aws *a;
	json_t *p, *r;
	char *key, *dir, *path, *s;
	struct soca_buf b = { 0 };
	int rc;

	if ((*why = soca_aws_refuse(c, j)) != NULL)
		return 2;
	if ((p = soca_aws_run_params(c, cluster, j, 0, 0, why)) == NULL)
		return params_temp ? -1 : 2;
	key = dry_key(p);
	dir = soca_xasprintf("%s/aws", soca_spool_dir(sp));
	mkdir(dir, 02770);
	free(dir);
	dir = soca_xasprintf("%s/aws/dryrun", soca_spool_dir(sp));
	mkdir(dir, 02770);
	path = soca_xasprintf("%s/%s", dir, key);
	free(dir);
	free(key);
	if (cached && (rc = dry_cached(path, ttl, why)) >= 0) {
		free(path);
		json_decref(p);
		return rc ? 0 : 1;
	}
	if (soca_aws_fleet(j)) {
		json_t *fp = fleet_params(c, j, p);

		json_decref(p);
		p = fp;
	}
	json_object_del(p, "ClientToken");
	json_object_set_new(p, "DryRun", json_string("true"));
	if ((a = soca_aws_open(c, &e)) != NULL &&
	    (r = soca_aws_ec2(a, soca_aws_fleet(j) ? "CreateFleet" :
	    "RunInstances", p, &e)) != NULL) {
		json_decref(r);
		soca_buf_adds(&b, "ok\n");
		rc = 0;
	} else if (e.kind == SOCA_AWS_E_SERVICE && !soca_aws_retryable(&e) &&
	    !soca_aws_capacity_code(e.code)) {
		s = e.message ? soca_xstrdup(e.message) : soca_aws_err_str(&e);
		*why = soca_xasprintf("%s: %s", e.code ? e.code : "error", s);
		for (char *q = *why; *q; q++)
			if (*q == '\n')
				*q = ' ';
		free(s);
		soca_buf_addf(&b, "refused %s\n", *why);
		rc = 1;
	} else {
		*why = soca_aws_err_str(&e);
		rc = -1;
	}
	if (b.len)
		soca_write_atomic(path, b.s, b.len, 0660);
	soca_buf_free(&b);
	soca_aws_err_free(&e);
	if (a)
		soca_aws_free(a);
	json_decref(p);
	free(path);
	return rc;
}

int
soca_aws_dryrun(const struct soca_conf *c, struct soca_spool *sp,
    const struct soca_job *j, char **why)
{
	return dryrun(c, sp, j, true, why);
}

/* The same, asking AWS now whatever the cache holds (soca-doctor). */
int
soca_aws_dryrun_now(const struct soca_conf *c, struct soca_spool *sp,
    const struct soca_job *j, char **why)
{
	return dryrun(c, sp, j, false, why);
}
