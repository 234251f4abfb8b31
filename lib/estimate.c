/*
 * estimate.c: what a job will cost before it runs.  Its nodes x the
 * hourly price of its instance type (On-Demand from the Price List API,
 * Spot from the Spot price history when the job asks for Spot: the
 * highest price of the region's AZs, as soca cannot know which AZ it
 * gets), plus each node's root and scratch EBS volumes by their GB-month
 * price and its FSx for Lustre file system (-l fsx_lustre) by its
 * deployment type's, for its walltime (the job's, else its queue's).  Prices come
 * through lib/cost's cache, as soca-budget estimate gets them.  Without a
 * walltime the figures are per hour and say so.
 *
 * Boot time: the nodes are paid for from launch, before the job runs.
 * soca-node-run measures, on the first job an instance runs, how long it
 * took from the job's launch (provisioning) to the start; the spool keeps
 * a moving average per instance type in its file "boot", one line
 * "TYPE SECONDS SAMPLES" a type, rewritten whole (soca_write_atomic)
 * under the state lock.  The estimate adds nodes x price x that time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "estimate.h"

#define MONTH_HOURS 730.0
#define BOOT_WINDOW 8	/* samples the moving average spans */
#define BOOT_LINE 160

/* the spool's boot figures, whole; NULL when there are none yet */
static char *
boot_read(const char *path)
{
	struct soca_buf b = { 0 };
	char line[BOOT_LINE];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f))
		soca_buf_add(&b, line, strlen(line));
	fclose(f);
	return b.s ? soca_buf_steal(&b) : NULL;
}

/* TYPE's figure in the file's text: 0 and *secs, *n; -1 when none */
static int
boot_find(const char *text, const char *type, double *secs, long long *n)
{
	char t[BOOT_LINE];

	for (const char *p = text; p && *p; p = strchr(p, '\n'),
	    p = p ? p + 1 : NULL)
		if (sscanf(p, "%127s %lf %lld", t, secs, n) == 3 &&
		    strcmp(t, type) == 0 && *secs >= 0 && *n > 0)
			return 0;
	return -1;
}

int
soca_boot_get(const struct soca_conf *c, const char *type, double *secs,
    long long *n)
{
	char *path = soca_path_join(soca_conf_get(c, "cluster", NULL,
	    "spool"), "boot");
	char *text = boot_read(path);
	int rc = text ? boot_find(text, type, secs, n) : -1;

	free(text);
	free(path);
	return rc;
}

/* the spool's figure for type takes in one more boot of secs */
int
soca_boot_record(struct soca_spool *sp, const char *type, long long secs)
{
	char *path = soca_path_join(soca_spool_dir(sp), "boot"), *text;
	struct soca_buf b = { 0 };
	char t[BOOT_LINE];
	double avg = 0, v;
	long long n = 0, k;
	int rc;

	if (*type == '\0' || strlen(type) >= 128 ||
	    type[strcspn(type, " \t\n")] != '\0' ||
	    soca_spool_lock(sp) < 0) {
		free(path);
		return -1;
	}
	text = boot_read(path);
	for (const char *p = text; p && *p; p = strchr(p, '\n'),
	    p = p ? p + 1 : NULL)
		if (sscanf(p, "%127s %lf %lld", t, &v, &k) == 3) {
			if (strcmp(t, type) == 0)
				avg = v, n = k;
			else
				soca_buf_addf(&b, "%s %.1f %lld\n", t, v, k);
		}
	n = n < BOOT_WINDOW ? n + 1 : BOOT_WINDOW;
	avg += ((double)secs - avg) / (double)n;
	soca_buf_addf(&b, "%s %.1f %lld\n", type, avg, n);
	rc = soca_write_atomic(path, b.s, b.len, 0664);
	soca_spool_unlock(sp);
	soca_buf_free(&b);
	free(text);
	free(path);
	return rc;
}

static void
row(struct soca_estimate *e, const char *item, const char *what,
    double qty, const char *unit, double usd)
{
	struct soca_est_row *r;

	e->rows = soca_xreallocarray(e->rows, e->nrows + 1, sizeof(*e->rows));
	r = &e->rows[e->nrows++];
	r->item = soca_xstrdup(item);
	r->what = soca_xstrdup(what);
	r->quantity = qty;
	r->unit = soca_xstrdup(unit);
	r->usd_per_unit = usd;
	r->usd = qty * usd;
	e->total += r->usd;
}

/* a volume of gib per node for the job's hours, by its type's price */
static int
volume(struct soca_cost *c, struct soca_estimate *e, const char *item,
    long long gib, const char *vtype, long long nodes, char **why)
{
	const char *kv[] = { "volumeApiName", vtype, NULL };
	struct soca_aws_err ae = { 0 };
	char *unit = NULL, *what;
	double gbmo = soca_cost_list_price(c, "AmazonEC2", kv, &unit, &ae);

	free(unit);
	if (gbmo < 0) {
		*why = soca_aws_err_str(&ae);
		soca_aws_err_free(&ae);
		return -1;
	}
	what = soca_xasprintf("%lld x %lld GiB %s", nodes, gib, vtype);
	row(e, item, what, (double)(nodes * gib) * e->hours, "GiB-hours",
	    gbmo / MONTH_HOURS);
	free(what);
	return 0;
}

/*
 * -l fsx_lustre: its size x the GB-month price of its deployment type
 * (and, for PERSISTENT_1/2, its per-unit throughput: FSx prices each
 * tier apart) from the Price List's AmazonFSx products, for the job's
 * hours; an existing fs- is not the job's to pay for: a 0 row says so.
 */
static int
lustre(struct soca_cost *c, struct soca_estimate *e,
    const struct soca_job *j, char **why)
{
	const char *fs = soca_job_res(j, "fsx_lustre");
	const char *type = soca_job_res(j, "fsx_lustre_deployment_type");
	const char *tp = soca_job_res(j, "fsx_lustre_per_unit_throughput");
	long long gib = soca_job_res_int(j, "fsx_lustre_size", 1200);
	const char *kv[] = { "fileSystemType", "Lustre", "deploymentOption",
	    NULL, "storageType", "SSD", NULL, NULL, NULL };
	struct soca_aws_err ae = { 0 };
	char opt[16], *what;
	double gbmo;

	if (fs == NULL || *fs == '\0')
		return 0;
	if (strncmp(fs, "fs-", 3) == 0) {
		what = soca_xasprintf("%s: an existing file system, not the "
		    "job's to pay for", fs);
		row(e, "fsx_lustre", what, 0, "GiB-hours", 0);
		free(what);
		return 0;
	}
	if (type == NULL)
		type = "SCRATCH_2";
	/* the Price List's spelling: SCRATCH_2 is Scratch_2 */
	snprintf(opt, sizeof(opt), "%c%s", type[0], type + 1);
	for (char *p = opt + 1; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	kv[3] = opt;
	if (tp != NULL)
		kv[6] = "throughputCapacity", kv[7] = tp;
	gbmo = soca_cost_list_price(c, "AmazonFSx", kv, NULL, &ae);
	if (gbmo < 0) {
		*why = soca_aws_err_str(&ae);
		soca_aws_err_free(&ae);
		return -1;
	}
	what = tp ? soca_xasprintf("%lld GiB %s, %s MB/s/TiB", gib, type, tp) :
	    soca_xasprintf("%lld GiB %s", gib, type);
	row(e, "fsx_lustre", what, (double)gib * e->hours, "GiB-hours",
	    gbmo / MONTH_HOURS);
	free(what);
	return 0;
}

/* nodes x price x the type's measured boot time, or a 0 row saying so */
static void
boot(const struct soca_conf *c, struct soca_estimate *e, const char *type,
    long long nodes, double h)
{
	double secs = 0;
	long long n = 0;
	char *what;

	if (soca_boot_get(c, type, &secs, &n) == 0)
		what = soca_xasprintf("%lld x %s, %.1f s measured (mean of the "
		    "last %lld)", nodes, type, secs, n);
	else
		what = soca_xasprintf("no boot time measured yet for %s", type);
	row(e, "boot time", what, (double)nodes * secs / 3600.0,
	    "instance-hours", h);
	free(what);
}

int
soca_job_estimate(const struct soca_conf *conf, const struct soca_job *j,
    struct soca_estimate *e, char **why)
{
	struct soca_aws_cfg cfg = { 0 };
	struct soca_aws_err ae = { 0 };
	const char *types = soca_job_res(j, "instance_type");
	const char *spot = soca_job_res(j, "spot_price");
	const char *wall = soca_job_res(j, "walltime");
	long long nodes = soca_job_res_int(j, "nodes", 1);
	long long root = soca_job_res_int(j, "root_size", 0);
	long long scratch = soca_job_res_int(j, "scratch_size", 0);
	long long iops = soca_job_res_int(j, "scratch_iops", 0);
	long long secs = 0;
	struct soca_cost *c;
	char *type, *what;
	double h;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	*why = NULL;
	if (types == NULL) {
		*why = soca_xstrdup("the job has no instance_type (set one "
		    "with -l instance_type=TYPE or in its queue)");
		return -1;
	}
	e->has_walltime = wall && soca_parse_duration(wall, &secs) == 0 &&
	    secs > 0;
	e->hours = e->has_walltime ? (double)secs / 3600.0 : 1.0;
	e->spot = spot != NULL;
	c = soca_cost_new(conf, &cfg);
	type = soca_xstrndup(types, strcspn(types, "+"));
	if ((h = soca_cost_price(c, type, e->spot, NULL, &ae)) < 0) {
		*why = soca_aws_err_str(&ae);
		if (ae.code && strcmp(ae.code, "NoPrice") == 0)
			rc = -2;	/* no such type here: the input */
		goto out;
	}
	what = soca_xasprintf("%lld x %s, %s", nodes, type, e->spot ?
	    "Spot (highest AZ)" : "On-Demand");
	row(e, "instances", what, (double)nodes * e->hours, "instance-hours",
	    h);
	free(what);
	boot(conf, e, type, nodes, h);
	if (root > 0 && volume(c, e, "root volume", root, "gp3", nodes,
	    why) < 0)
		goto out;
	if (scratch > 0 && volume(c, e, "scratch volume", scratch, iops > 0 ?
	    "io2" : "gp3", nodes, why) < 0)
		goto out;
	if (lustre(c, e, j, why) < 0)
		goto out;
	rc = 0;
out:
	soca_aws_err_free(&ae);
	free(type);
	soca_cost_free(c);
	return rc;
}

/*
 * With provider = aws, the projection goes into the record when it can
 * (a price not to be had: no estimate, no harm); a job whose projection
 * is already more than its max_cost is refused: the message, else NULL.
 */
char *
soca_job_cost(const struct soca_conf *c, struct soca_job *j)
{
	const char *cap = soca_job_res(j, "max_cost");
	struct soca_estimate e;
	long long cents;
	char *why = NULL;

	if (strcmp(soca_conf_get(c, "cluster", NULL, "provider"), "aws") != 0)
		return NULL;
	if (soca_job_estimate(c, j, &e, &why) < 0) {
		free(why);
		return NULL;
	}
	free(j->estimate);
	j->estimate = soca_xasprintf("%.4f", e.total);
	if (cap && soca_parse_usd(cap, &cents) == 0 &&
	    e.total * 100 > (double)cents)
		why = soca_xasprintf("the job's estimate $%.4f (%s) is more "
		    "than its max_cost $%s; raise -l max_cost, or ask for "
		    "less (walltime, nodes, instance_type); soca-submit "
		    "--estimate shows the figures", e.total, e.has_walltime ?
		    "for its walltime" : "for one hour: no walltime", cap);
	soca_estimate_free(&e);
	return why;
}

/* to 4 decimals, without libm (soca-submit links this file) */
static double
r4(double x)
{
	return (double)(long long)(x * 1e4 + (x < 0 ? -0.5 : 0.5)) / 1e4;
}

/* the rows, then the total, as a table or JSON Lines; soca_out_end's */
int
soca_estimate_print(const struct soca_estimate *e, bool json, FILE *fp)
{
	static const struct soca_col cols[] = {
		{ "item", "ITEM", SOCA_COL_STR, false, false },
		{ "what", "WHAT", SOCA_COL_STR, false, false },
		{ "quantity", "QUANTITY", SOCA_COL_NUM, true, false },
		{ "unit", "UNIT", SOCA_COL_STR, false, false },
		{ "usd_per_unit", "USD/UNIT", SOCA_COL_NUM, true, false },
		{ "usd", "USD", SOCA_COL_NUM, true, false },
	};
	struct soca_out *o = soca_out_new(cols, sizeof(cols) / sizeof(*cols),
	    json ? SOCA_OUT_JSON : SOCA_OUT_TABLE, false, NULL, fp);
	char *tot;
	int rc;

	for (size_t i = 0; i < e->nrows; i++) {
		soca_out_str(o, "item", e->rows[i].item);
		soca_out_str(o, "what", e->rows[i].what);
		soca_out_num(o, "quantity", r4(e->rows[i].quantity));
		soca_out_str(o, "unit", e->rows[i].unit);
		soca_out_num(o, "usd_per_unit", e->rows[i].usd_per_unit);
		soca_out_num(o, "usd", r4(e->rows[i].usd));
		soca_out_row(o);
	}
	tot = e->has_walltime ? soca_xasprintf("for a walltime of %g h",
	    r4(e->hours)) : soca_xstrdup("per hour: the job "
	    "and its queue set no walltime");
	soca_out_str(o, "item", "total");
	soca_out_str(o, "what", tot);
	soca_out_str(o, "quantity", NULL);
	soca_out_str(o, "unit", NULL);
	soca_out_str(o, "usd_per_unit", NULL);
	soca_out_num(o, "usd", r4(e->total));
	soca_out_row(o);
	rc = soca_out_end(o);
	free(tot);
	return rc;
}

void
soca_estimate_free(struct soca_estimate *e)
{
	for (size_t i = 0; i < e->nrows; i++) {
		free(e->rows[i].item);
		free(e->rows[i].what);
		free(e->rows[i].unit);
	}
	free(e->rows);
	memset(e, 0, sizeof(*e));
}
