/*
 * cost.c: the budgets cache, prices and live spend (see cost.h).
 *
 * Files in <spool>/cost, each replaced whole with soca_write_atomic:
 * budgets.json holds one refresh (DescribeBudgets, all pages, and one
 * month-to-date GetCostAndUsage by soca:JobProject); its mtime is its
 * age.  prices.json holds $/hour per type: On-Demand from the Price List
 * API, kept a week; Spot per AZ from DescribeSpotPriceHistory, kept for
 * [budget] refresh; list prices of anything else (EBS, FSx, EFS: see
 * cost_platform.c), kept a week.  instances.json remembers the
 * instances seen (see remember()).  Readers never call Cost Explorer while budgets.json is
 * younger than [budget] refresh.
 *
 * One fetch serves everyone: a refresh holds refresh.lock (flock) while
 * it fetches, and whoever finds the lock taken waits for it, at most
 * [budget] refresh_wait, then reads what the holder fetched instead of
 * fetching again (budgets.json changed while it waited).  SOCA_NOW
 * (seconds since the epoch) stands in for the clock, for tests.
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

#include "cost.h"

#define OD_TTL (7 * 86400)

struct soca_cost {
	const struct soca_conf *conf;
	struct soca_aws_cfg cfg;
	struct soca_aws *aws;
	char *dir;
	json_t *cache;
	json_t *prices;
	struct soca_cost_inst *insts;
	size_t ninsts;
	char *insts_key;	/* the tag key insts were listed by */
	bool insts_costing;	/* ... in the states that cost only */
};

time_t
soca_cost_now(void)
{
	const char *v = getenv("SOCA_NOW");
	long long t;

	if (v && *v && soca_parse_int(v, 0, INT64_MAX, &t) == 0)
		return (time_t)t;
	return time(NULL);
}

struct soca_cost *
soca_cost_new(const struct soca_conf *conf, const struct soca_aws_cfg *cfg)
{
	struct soca_cost *c = soca_xcalloc(1, sizeof(*c));
	const char *spool = soca_conf_get(conf, "cluster", NULL, "spool");

	c->conf = conf;
	c->cfg = *cfg;
	c->cfg.conf = conf;
	c->dir = soca_path_join(spool ? spool : ".", "cost");
	return c;
}

void
soca_cost_free(struct soca_cost *c)
{
	if (c == NULL)
		return;
	soca_aws_free(c->aws);
	json_decref(c->cache);
	json_decref(c->prices);
	soca_cost_insts_free(c->insts, c->ninsts);
	free(c->insts_key);
	free(c->dir);
	free(c);
}

const char *
soca_cost_dir(struct soca_cost *c)
{
	return c->dir;
}

struct soca_aws *
soca_cost_aws(struct soca_cost *c, struct soca_aws_err *e)
{
	if (c->aws == NULL)
		c->aws = soca_aws_new(&c->cfg, e);
	return c->aws;
}

static long long
budget_secs(const struct soca_cost *c, const char *key, long long s)
{
	const char *v = soca_conf_get(c->conf, "budget", NULL, key);

	if (v)
		soca_parse_duration(v, &s);
	return s;
}

static long long
refresh_secs(const struct soca_cost *c)
{
	return budget_secs(c, "refresh", 3600);
}

/*
 * mkdir -p of the cost directory.  In a shared spool (group bits set,
 * spool.c) the directory and files take the spool's group mode, so every
 * setgid command can replace them whatever its umask.
 */
static mode_t
spool_mode(const struct soca_cost *c)
{
	char *spool = soca_xstrdup(c->dir), *slash = strrchr(spool, '/');
	struct stat st;
	mode_t m = 0755;

	if (slash)
		*slash = '\0';
	if (stat(spool, &st) == 0 && (st.st_mode & 0070))
		m = st.st_mode & 07770;
	free(spool);
	return m;
}

static int
mkdirs(const char *path, mode_t mode)
{
	char *p = soca_xstrdup(path);
	struct stat st;
	int r = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			r = -1;
		*s = '/';
	}
	if (r == 0 && stat(p, &st) == -1) {
		if (mkdir(p, mode) == -1 || chmod(p, mode) == -1)
			r = -1;
	}
	free(p);
	return r;
}

static int
save(struct soca_cost *c, const char *name, json_t *doc,
    struct soca_aws_err *e)
{
	char *path = soca_path_join(c->dir, name);
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	mode_t dm = spool_mode(c), fm = dm & 0070 ? 0660 : 0644;
	int r = 0;

	if (mkdirs(c->dir, dm) == -1 ||
	    soca_write_atomic(path, s, strlen(s), fm) == -1 ||
	    chmod(path, fm) == -1) {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL, "%s: %s", path,
		    strerror(errno));
		r = -1;
	}
	free(s);
	free(path);
	return r;
}

static json_t *
load(struct soca_cost *c, const char *name, time_t *mtime)
{
	char *path = soca_path_join(c->dir, name);
	struct stat st;
	json_t *j = NULL;

	if (stat(path, &st) == 0) {
		j = json_load_file(path, 0, NULL);
		if (mtime)
			*mtime = st.st_mtime;
	}
	free(path);
	return j;
}

/* budgets.json's modification time; zero when there is none */
static struct timespec
cache_mtime(struct soca_cost *c)
{
	char *path = soca_path_join(c->dir, "budgets.json");
	struct stat st;
	struct timespec t = { 0, 0 };

	if (stat(path, &st) == 0)
		t = st.st_mtim;
	free(path);
	return t;
}

/*
 * Take refresh.lock, waiting at most [budget] refresh_wait: the
 * descriptor (closing it lets go), -1 when there is no lock to take
 * (the cost directory cannot be made: fetch unlocked), -2 when another
 * process held it all that time.
 */
static int
refresh_lock(struct soca_cost *c)
{
	mode_t dm = spool_mode(c), fm = dm & 0070 ? 0660 : 0644;
	long long wait = budget_secs(c, "refresh_wait", 30);
	struct timespec t0, t, nap = { 0, 50 * 1000 * 1000 };
	struct stat st;
	char *path;
	int fd;

	if (mkdirs(c->dir, dm) == -1)
		return -1;
	path = soca_path_join(c->dir, "refresh.lock");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, fm)) == -1)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 07777) != fm && fchmod(fd, fm) == -1)
		warn("%s/refresh.lock", c->dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    t.tv_sec - t0.tv_sec >= wait) {
			close(fd);
			return errno == EWOULDBLOCK ? -2 : -1;
		}
		nanosleep(&nap, NULL);
	}
	return fd;
}

int
soca_cost_parse_time(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	const char *end;

	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	*t = timegm(&tm);
	return 0;
}

int
soca_cost_parse_date(const char *s, time_t *t)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);

	if (end == NULL || *end != '\0' || strlen(s) != 10)
		return -1;
	*t = timegm(&tm);
	return 0;
}

void
soca_cost_fmt_date(time_t t, char out[11])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static double
jnum(json_t *j)
{
	if (json_is_number(j))
		return json_number_value(j);
	if (json_is_string(j))
		return strtod(json_string_value(j), NULL);
	return 0;
}

static double
amount(json_t *obj, const char *k1, const char *k2)
{
	return jnum(json_object_get(json_object_get(json_object_get(obj, k1),
	    k2), "Amount"));
}

static time_t
month_start(time_t now, int add)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon += add;
	return timegm(&tm);
}

/* Month-to-date Cost Explorer figures per soca:JobProject value. */
static json_t *
ce_by_project(struct soca_cost *c, time_t now, struct soca_aws_err *e)
{
	char a[11], b[11];
	json_t *p, *r, *out, *res, *grp;
	size_t i, j;

	soca_cost_fmt_date(month_start(now, 0), a);
	soca_cost_fmt_date(now + 86400, b);
	p = json_pack("{s:{s:s,s:s},s:s,s:[s],s:[{s:s,s:s}]}",
	    "TimePeriod", "Start", a, "End", b, "Granularity", "MONTHLY",
	    "Metrics", "UnblendedCost", "GroupBy", "Type", "TAG", "Key",
	    SOCA_COST_TAG_PROJECT);
	r = soca_aws_paginate(c->aws, "ce", "GetCostAndUsage", p, e);
	json_decref(p);
	if (r == NULL)
		return NULL;
	out = json_object();
	json_array_foreach(json_object_get(r, "ResultsByTime"), i, res) {
		json_array_foreach(json_object_get(res, "Groups"), j, grp) {
			const char *k = json_string_value(json_array_get(
			    json_object_get(grp, "Keys"), 0));
			const char *d = k ? strchr(k, '$') : NULL;
			double v = amount(grp, "Metrics", "UnblendedCost");

			if (d == NULL)
				continue;
			v += jnum(json_object_get(out, d + 1));
			json_object_set_new(out, d + 1, json_real(v));
		}
	}
	json_decref(r);
	return out;
}

static json_t *
budget_entry(json_t *b)
{
	json_t *tp = json_object_get(b, "TimePeriod");
	const char *unit = json_string_value(json_object_get(b, "TimeUnit"));

	json_t *ct = json_object_get(b, "CostTypes");

	return json_pack("{s:O,s:s,s:s,s:f,s:f,s:f,s:I,s:I}",
	    "name", json_object_get(b, "BudgetName"),
	    "basis", json_is_true(json_object_get(ct, "UseAmortized")) ?
	    "amortized" : json_is_true(json_object_get(ct, "UseBlended")) ?
	    "blended" : "unblended",
	    "period", unit ? unit : "MONTHLY",
	    "limit", jnum(json_object_get(json_object_get(b, "BudgetLimit"),
	    "Amount")),
	    "actual", amount(b, "CalculatedSpend", "ActualSpend"),
	    "forecast", amount(b, "CalculatedSpend", "ForecastedSpend"),
	    "start", (json_int_t)jnum(json_object_get(tp, "Start")),
	    "end", (json_int_t)jnum(json_object_get(tp, "End")));
}

/* [budget] account_id, checked */
static int
account(struct soca_cost *c, struct soca_aws_err *e)
{
	const char *acct = soca_conf_get(c->conf, "budget", NULL,
	    "account_id");

	if (acct == NULL) {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL, "[budget] "
		    "account_id is not set: set it to the AWS account that "
		    "holds the budgets (soca.conf(5))");
		return -1;
	}
	if (strlen(acct) != 12 || strspn(acct, "0123456789") != 12) {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL, "[budget] "
		    "account_id \"%s\": an AWS account id is 12 digits "
		    "(aws sts get-caller-identity shows it)", acct);
		return -1;
	}
	return 0;
}

/*
 * One fetch: DescribeBudgets (every page) and one month-to-date
 * GetCostAndUsage by soca:JobProject (every page), saved whole.
 */
static int
fetch(struct soca_cost *c, struct soca_aws_err *e)
{
	const char *acct = soca_conf_get(c->conf, "budget", NULL,
	    "account_id");
	time_t now = soca_cost_now();
	json_t *p, *r, *list, *b, *ce, *doc;
	size_t i;
	int rc;

	if (soca_cost_aws(c, e) == NULL)
		return -1;
	p = json_pack("{s:s,s:i}", "AccountId", acct, "MaxResults", 100);
	r = soca_aws_paginate(c->aws, "budgets", "DescribeBudgets", p, e);
	json_decref(p);
	if (r == NULL)
		return -1;
	list = json_array();
	json_array_foreach(json_object_get(r, "Budgets"), i, b)
		json_array_append_new(list, budget_entry(b));
	json_decref(r);
	if ((ce = ce_by_project(c, now, e)) == NULL) {
		json_decref(list);
		return -1;
	}
	doc = json_pack("{s:I,s:o,s:o,s:I}", "fetched", (json_int_t)now,
	    "budgets", list, "ce", ce, "ce_start",
	    (json_int_t)month_start(now, 0));
	rc = save(c, "budgets.json", doc, e);
	json_decref(c->cache);
	c->cache = doc;
	return rc;
}

/*
 * Fetch under refresh.lock, unless budgets.json changed since it was
 * seen at *before: then another process fetched while this one waited,
 * and its answer is taken.
 */
static int
refresh_from(struct soca_cost *c, struct timespec before,
    struct soca_aws_err *e)
{
	struct timespec now;
	json_t *j;
	int fd, rc;

	if (account(c, e) == -1)
		return -1;
	if ((fd = refresh_lock(c)) == -2) {
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, 0, "RefreshBusy",
		    "another soca command kept %s/refresh.lock for %llds while "
		    "fetching the budgets: try again later ([budget] "
		    "refresh_wait)", c->dir, budget_secs(c, "refresh_wait",
		    30));
		return -1;
	}
	now = cache_mtime(c);
	if ((now.tv_sec != before.tv_sec || now.tv_nsec != before.tv_nsec) &&
	    (j = load(c, "budgets.json", NULL)) != NULL) {
		json_decref(c->cache);
		c->cache = j;
		rc = 0;
	} else
		rc = fetch(c, e);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
soca_cost_refresh(struct soca_cost *c, struct soca_aws_err *e)
{
	return refresh_from(c, cache_mtime(c), e);
}

json_t *
soca_cost_cache(struct soca_cost *c, bool *refreshed, struct soca_aws_err *e)
{
	time_t mtime = 0;
	struct timespec seen;
	json_t *old;

	if (refreshed)
		*refreshed = false;
	if (c->cache)
		return c->cache;
	seen = cache_mtime(c);
	old = load(c, "budgets.json", &mtime);
	if (old && mtime + refresh_secs(c) > soca_cost_now())
		return c->cache = old;
	if (refresh_from(c, seen, e) == -1) {
		/* AWS is down or refuses: an old figure beats none */
		if (old && e->kind != SOCA_AWS_E_INPUT) {
			char *s = soca_aws_err_str(e), when[32];
			struct tm tm;

			gmtime_r(&mtime, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			warnx("budgets not refreshed, using the cache of %s: %s",
			    when, s);
			free(s);
			soca_aws_err_free(e);
			memset(e, 0, sizeof(*e));
			return c->cache = old;
		}
		json_decref(old);
		return NULL;
	}
	json_decref(old);
	if (refreshed)
		*refreshed = true;
	return c->cache;
}

/* ---- prices ---- */

/* j is a JSON string equal to s (no temporary JSON value to leak) */
static bool
str_is(json_t *j, const char *s)
{
	const char *v = json_string_value(j);

	return v != NULL && strcmp(v, s) == 0;
}

static json_t *
prices(struct soca_cost *c)
{
	const char *region;

	if (c->prices)
		return c->prices;
	c->prices = load(c, "prices.json", NULL);
	region = c->aws ? soca_aws_region(c->aws) : NULL;
	if (c->prices == NULL || (region && !str_is(json_object_get(
	    c->prices, "region"), region))) {
		json_decref(c->prices);
		c->prices = json_pack("{s:s?,s:{},s:{}}", "region", region,
		    "ondemand", "spot");
	}
	return c->prices;
}

static json_t *
od_filters(const char *type, const char *region)
{
	static const char *const fix[][2] = {
		{ "operatingSystem", "Linux" }, { "tenancy", "Shared" },
		{ "preInstalledSw", "NA" }, { "capacitystatus", "Used" },
	};
	json_t *f = json_array();

	json_array_append_new(f, json_pack("{s:s,s:s,s:s}", "Type",
	    "TERM_MATCH", "Field", "instanceType", "Value", type));
	json_array_append_new(f, json_pack("{s:s,s:s,s:s}", "Type",
	    "TERM_MATCH", "Field", "regionCode", "Value", region));
	for (size_t i = 0; i < sizeof(fix) / sizeof(fix[0]); i++)
		json_array_append_new(f, json_pack("{s:s,s:s,s:s}", "Type",
		    "TERM_MATCH", "Field", fix[i][0], "Value", fix[i][1]));
	return f;
}

/* the first USD pricePerUnit in a PriceList entry's OnDemand terms */
double
soca_cost_doc_price(const char *doc, char **unit)
{
	json_t *j = doc ? json_loads(doc, 0, NULL) : NULL, *term, *dim;
	const char *k1, *k2;
	double v = -1;

	if (unit)
		*unit = NULL;
	json_object_foreach(json_object_get(json_object_get(j, "terms"),
	    "OnDemand"), k1, term) {
		json_object_foreach(json_object_get(term, "priceDimensions"),
		    k2, dim) {
			json_t *usd = json_object_get(json_object_get(dim,
			    "pricePerUnit"), "USD");
			const char *u = json_string_value(json_object_get(dim,
			    "unit"));

			if (json_is_string(usd) && v < 0) {
				v = strtod(json_string_value(usd), NULL);
				if (unit)
					*unit = soca_xstrdup(u ? u : "");
			}
		}
	}
	json_decref(j);
	return v;
}

static double
fetch_od(struct soca_cost *c, const char *type, struct soca_aws_err *e)
{
	json_t *p, *r;
	double v;

	p = json_pack("{s:s,s:s,s:o,s:i}", "ServiceCode", "AmazonEC2",
	    "FormatVersion", "aws_v1", "Filters",
	    od_filters(type, soca_aws_region(c->aws)), "MaxResults", 10);
	r = soca_aws_paginate(c->aws, "pricing", "GetProducts", p, e);
	json_decref(p);
	if (r == NULL)
		return -1;
	v = soca_cost_doc_price(json_string_value(json_array_get(json_object_get(r,
	    "PriceList"), 0)), NULL);
	json_decref(r);
	if (v < 0)
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, 0, "NoPrice", "%s: the "
		    "Price List API has no On-Demand Linux price for it in %s",
		    type, soca_aws_region(c->aws));
	return v;
}

/* Spot: the latest price per AZ into spot["type az"]; highest AZ in "type" */
static int
fetch_spot(struct soca_cost *c, const char *type, json_t *spot, time_t now,
    struct soca_aws_err *e)
{
	json_t *p, *r, *h;
	size_t i;
	double hi = -1;

	p = json_pack("{s:s,s:s}", "InstanceType.1", type,
	    "ProductDescription.1", "Linux/UNIX");
	r = soca_aws_paginate(c->aws, "ec2", "DescribeSpotPriceHistory", p, e);
	json_decref(p);
	if (r == NULL)
		return -1;
	json_array_foreach(json_object_get(r, "spotPriceHistorySet"), i, h) {
		const char *az = json_string_value(json_object_get(h,
		    "availabilityZone"));
		double v = jnum(json_object_get(h, "spotPrice"));
		char *k;

		if (az == NULL)
			continue;
		k = soca_xasprintf("%s %s", type, az);
		if (json_object_get(spot, k) == NULL)	/* newest first */
			json_object_set_new(spot, k, json_pack("{s:f,s:I}",
			    "usd", v, "at", (json_int_t)now));
		free(k);
		if (v > hi)
			hi = v;
	}
	json_decref(r);
	if (hi < 0) {
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, 0, "NoPrice", "%s: no "
		    "Spot price history for it", type);
		return -1;
	}
	json_object_set_new(spot, type, json_pack("{s:f,s:I}", "usd", hi,
	    "at", (json_int_t)now));
	return 0;
}

static double
cached(json_t *tab, const char *key, time_t now, long long ttl)
{
	json_t *v = json_object_get(tab, key);

	if (v == NULL || json_integer_value(json_object_get(v, "at")) + ttl
	    <= now)
		return -1;
	return jnum(json_object_get(v, "usd"));
}

double
soca_cost_price(struct soca_cost *c, const char *type, bool spot,
    const char *az, struct soca_aws_err *e)
{
	time_t now = soca_cost_now();
	json_t *tab;
	char *key;
	double v;

	if (soca_cost_aws(c, e) == NULL)
		return -1;
	tab = json_object_get(prices(c), spot ? "spot" : "ondemand");
	key = spot && az ? soca_xasprintf("%s %s", type, az) :
	    soca_xstrdup(type);
	v = cached(tab, key, now, spot ? refresh_secs(c) : OD_TTL);
	if (v < 0) {
		if (spot) {
			if (fetch_spot(c, type, tab, now, e) == 0) {
				v = cached(tab, key, now, refresh_secs(c));
				if (v < 0)
					v = cached(tab, type, now, 1);
			}
		} else if ((v = fetch_od(c, type, e)) >= 0)
			json_object_set_new(tab, key, json_pack("{s:f,s:I}",
			    "usd", v, "at", (json_int_t)now));
		if (v >= 0 && save(c, "prices.json", c->prices, e) == -1)
			v = -1;
	}
	free(key);
	return v;
}

/*
 * The "list" table: soca_cost_list_price's answers by service and
 * filters, kept a week as On-Demand prices are.  < 0: none cached.
 */
double
soca_cost_list_cached(struct soca_cost *c, const char *key, char **unit)
{
	json_t *v = json_object_get(json_object_get(prices(c), "list"), key);
	double usd = cached(json_object_get(prices(c), "list"), key,
	    soca_cost_now(), OD_TTL);

	if (usd >= 0 && unit)
		*unit = soca_xstrdup(json_string_value(json_object_get(v,
		    "unit")) ? json_string_value(json_object_get(v, "unit")) :
		    "");
	return usd;
}

/* keep it; a cache that cannot be written costs a fetch next time only */
void
soca_cost_list_keep(struct soca_cost *c, const char *key, double usd,
    const char *unit)
{
	struct soca_aws_err e = { 0 };
	json_t *p = prices(c), *tab = json_object_get(p, "list");

	if (tab == NULL) {
		tab = json_object();
		json_object_set_new(p, "list", tab);
	}
	json_object_set_new(tab, key, json_pack("{s:f,s:I,s:s}", "usd", usd,
	    "at", (json_int_t)soca_cost_now(), "unit", unit ? unit : ""));
	save(c, "prices.json", p, &e);
	soca_aws_err_free(&e);
}

/* ---- instances ---- */

void
soca_cost_insts_free(struct soca_cost_inst *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].type);
		free(v[i].az);
		free(v[i].project);
		free(v[i].owner);
		free(v[i].queue);
		free(v[i].job);
	}
	free(v);
}

static char *
sdup(json_t *j)
{
	return json_is_string(j) ? soca_xstrdup(json_string_value(j)) : NULL;
}

/* "User initiated (2026-11-25 23:07:37 GMT)" -> the time in it */
static time_t
ended(json_t *inst, time_t now)
{
	const char *r = json_string_value(json_object_get(inst, "reason"));
	const char *p = r ? strchr(r, '(') : NULL;
	struct tm tm = { 0 };

	if (p && strptime(p + 1, "%Y-%m-%d %H:%M:%S", &tm))
		return timegm(&tm);
	return now;
}

static void
inst_from(struct soca_cost_inst *ci, json_t *inst, time_t now)
{
	const char *st = json_string_value(json_object_get(json_object_get(
	    inst, "instanceState"), "name"));
	json_t *t;
	size_t i;

	memset(ci, 0, sizeof(*ci));
	ci->id = sdup(json_object_get(inst, "instanceId"));
	ci->type = sdup(json_object_get(inst, "instanceType"));
	ci->az = sdup(json_object_get(json_object_get(inst, "placement"),
	    "availabilityZone"));
	ci->spot = str_is(json_object_get(inst, "instanceLifecycle"), "spot");
	if (soca_cost_parse_time(json_string_value(json_object_get(inst,
	    "launchTime")), &ci->launch) == -1)
		ci->launch = now;
	if (st && (strcmp(st, "terminated") == 0 ||
	    strcmp(st, "shutting-down") == 0 || strcmp(st, "stopped") == 0))
		ci->end = ended(inst, now);
	json_array_foreach(json_object_get(inst, "tagSet"), i, t) {
		const char *k = json_string_value(json_object_get(t, "key"));
		char **dst = NULL;

		if (k == NULL)
			continue;
		if (strcmp(k, "soca:JobProject") == 0)
			dst = &ci->project;
		else if (strcmp(k, "soca:JobOwner") == 0)
			dst = &ci->owner;
		else if (strcmp(k, "soca:JobQueue") == 0)
			dst = &ci->queue;
		else if (strcmp(k, "soca:JobId") == 0)
			dst = &ci->job;
		if (dst && *dst == NULL)
			*dst = sdup(json_object_get(t, "value"));
	}
}

/*
 * instances.json remembers every instance seen, so one that ended and
 * dropped out of DescribeInstances (about an hour after termination)
 * still counts while AWS's figure does not cover it yet.  One not seen
 * again ended when it was last seen.  Records go 40 days after the end.
 */
#define KEEP_ENDED (40 * 86400)

static json_t *
inst_json(const struct soca_cost_inst *i, time_t seen)
{
	return json_pack("{s:s?,s:s?,s:b,s:s?,s:s?,s:s?,s:s?,s:I,s:I,s:I}",
	    "type", i->type, "az", i->az, "spot", i->spot, "project",
	    i->project, "owner", i->owner, "queue", i->queue, "job", i->job,
	    "launch", (json_int_t)i->launch, "end", (json_int_t)i->end,
	    "seen", (json_int_t)seen);
}

static void
inst_of(struct soca_cost_inst *i, const char *id, json_t *r)
{
	memset(i, 0, sizeof(*i));
	i->id = soca_xstrdup(id);
	i->type = sdup(json_object_get(r, "type"));
	i->az = sdup(json_object_get(r, "az"));
	i->spot = json_is_true(json_object_get(r, "spot"));
	i->project = sdup(json_object_get(r, "project"));
	i->owner = sdup(json_object_get(r, "owner"));
	i->queue = sdup(json_object_get(r, "queue"));
	i->job = sdup(json_object_get(r, "job"));
	i->launch = json_integer_value(json_object_get(r, "launch"));
	i->end = json_integer_value(json_object_get(r, "end"));
}

static const char *
tag_field(const char *tagkey)
{
	if (strcmp(tagkey, "soca:JobProject") == 0)
		return "project";
	if (strcmp(tagkey, "soca:JobOwner") == 0)
		return "owner";
	if (strcmp(tagkey, "soca:JobQueue") == 0)
		return "queue";
	if (strcmp(tagkey, "soca:JobId") == 0)
		return "job";
	return NULL;
}

static bool
costs(const char *state)
{
	static const char *const live[] = { "pending", "running", "stopping",
	    "shutting-down" };

	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (state && strcmp(state, live[i]) == 0)
			return true;
	return false;
}

/*
 * When the instances in ids, seen costing before and listed no more,
 * ended: {id: time} from EC2's state reason, for those EC2 still lists
 * (about an hour after termination).  One call (200 ids at most, the
 * most one filter takes); NULL when it failed.
 */
#define MAX_FILTER_VALUES 200

static json_t *
ended_at(struct soca_cost *c, json_t *ids, time_t now)
{
	json_t *p = json_pack("{s:s,s:i}", "Filter.1.Name", "instance-id",
	    "MaxResults", 1000), *r, *res, *inst, *out;
	struct soca_aws_err e = { 0 };
	size_t i, j;

	for (i = 0; i < json_array_size(ids) && i < MAX_FILTER_VALUES; i++) {
		char *k = soca_xasprintf("Filter.1.Value.%zu", i + 1);
		json_object_set(p, k, json_array_get(ids, i));
		free(k);
	}
	r = soca_aws_paginate(c->aws, "ec2", "DescribeInstances", p, &e);
	json_decref(p);
	if (r == NULL) {
		char *msg = soca_aws_err_str(&e);
		warnx("instances that stopped costing: when they ended is not "
		    "known, taken as when last seen: %s", msg);
		free(msg);
		soca_aws_err_free(&e);
		return NULL;
	}
	out = json_object();
	json_array_foreach(json_object_get(r, "reservationSet"), i, res) {
		json_array_foreach(json_object_get(res, "instancesSet"), j,
		    inst) {
			const char *id = json_string_value(json_object_get(
			    inst, "instanceId"));
			if (id && !costs(json_string_value(json_object_get(
			    json_object_get(inst, "instanceState"), "name"))))
				json_object_set_new(out, id, json_integer(
				    ended(inst, now)));
		}
	}
	json_decref(r);
	return out;
}

static bool
listed(const struct soca_cost_inst *v, size_t n, const char *id)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].id, id) == 0)
			return true;
	return false;
}

/*
 * The remembered instances carrying field that ran when last seen and
 * are listed no more
 */
static json_t *
vanished(json_t *mem, const char *field, const struct soca_cost_inst *v,
    size_t n)
{
	json_t *ids = json_array(), *r;
	const char *id;

	json_object_foreach(mem, id, r)
		if (field && json_is_string(json_object_get(r, field)) &&
		    json_integer_value(json_object_get(r, "end")) == 0 &&
		    !listed(v, n, id))
			json_array_append_new(ids, json_string(id));
	return ids;
}

/* Merge what AWS listed into instances.json; add the vanished to *v. */
static void
remember(struct soca_cost *c, const char *tagkey, bool costing,
    struct soca_cost_inst **v, size_t *n, size_t *cap, time_t now)
{
	json_t *mem = load(c, "instances.json", NULL), *before, *r;
	const char *id, *field = tag_field(tagkey);
	struct soca_aws_err e = { 0 };
	json_t *gone, *ends;
	size_t nlisted;
	void *tmp;

	if (!json_is_object(mem)) {
		json_decref(mem);
		mem = json_object();
	}
	before = json_deep_copy(mem);
	gone = costing ? vanished(mem, field, *v, *n) : json_array();
	ends = json_array_size(gone) ? ended_at(c, gone, now) : NULL;
	json_decref(gone);
	for (size_t k = 0; k < *n; k++)
		json_object_set_new(mem, (*v)[k].id, inst_json(&(*v)[k], now));
	nlisted = *n;
	json_object_foreach_safe(mem, tmp, id, r) {
		json_int_t end = json_integer_value(json_object_get(r, "end"));
		json_int_t seen = json_integer_value(json_object_get(r,
		    "seen"));

		if (listed(*v, nlisted, id))
			continue;
		/* not listed by this tag: no news of it from this listing */
		if (field == NULL || !json_is_string(json_object_get(r, field)))
			continue;
		if (end == 0 && json_integer_value(json_object_get(ends, id)))
			end = json_integer_value(json_object_get(ends, id));
		if (end == 0)
			end = seen;
		json_object_set_new(r, "end", json_integer(end));
		if (end < now - KEEP_ENDED) {
			json_object_del(mem, id);
			continue;
		}
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*v = soca_xreallocarray(*v, *cap, sizeof(**v));
		}
		inst_of(&(*v)[(*n)++], id, r);
	}
	if (!json_equal(mem, before) &&
	    save(c, "instances.json", mem, &e) == -1) {
		char *msg = soca_aws_err_str(&e);
		warnx("%s", msg);
		free(msg);
	}
	soca_aws_err_free(&e);
	json_decref(ends);
	json_decref(before);
	json_decref(mem);
}

/*
 * The DescribeInstances filters: the tag key, and with costing only the
 * states that cost money now (remember() keeps what ran before).
 */
static json_t *
inst_filters(const char *tagkey, bool costing)
{
	static const char *const states[] = { "pending", "running",
	    "stopping", "shutting-down" };
	json_t *p = json_pack("{s:s,s:s,s:i}", "Filter.1.Name", "tag-key",
	    "Filter.1.Value.1", tagkey, "MaxResults", 1000);

	if (!costing)
		return p;
	json_object_set_new(p, "Filter.2.Name", json_string(
	    "instance-state-name"));
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		char *k = soca_xasprintf("Filter.2.Value.%zu", i + 1);
		json_object_set_new(p, k, json_string(states[i]));
		free(k);
	}
	return p;
}

int
soca_cost_instances(struct soca_cost *c, const char *tagkey, bool costing,
    struct soca_cost_inst **out, size_t *n, struct soca_aws_err *e)
{
	time_t now = soca_cost_now();
	json_t *p, *r, *res, *inst;
	size_t i, j, k = 0, cap = 0;
	struct soca_cost_inst *v = NULL;

	if (c->insts_key && strcmp(c->insts_key, tagkey) == 0 &&
	    c->insts_costing == costing) {
		*out = c->insts;
		*n = c->ninsts;
		return 0;
	}
	if (soca_cost_aws(c, e) == NULL)
		return -1;
	p = inst_filters(tagkey, costing);
	r = soca_aws_paginate(c->aws, "ec2", "DescribeInstances", p, e);
	json_decref(p);
	if (r == NULL)
		return -1;
	soca_cost_insts_free(c->insts, c->ninsts);
	free(c->insts_key);
	json_array_foreach(json_object_get(r, "reservationSet"), i, res) {
		json_array_foreach(json_object_get(res, "instancesSet"), j,
		    inst) {
			if (k == cap) {
				cap = cap ? cap * 2 : 16;
				v = soca_xreallocarray(v, cap, sizeof(*v));
			}
			inst_from(&v[k++], inst, now);
		}
	}
	json_decref(r);
	remember(c, tagkey, costing, &v, &k, &cap, now);
	c->insts = *out = v;
	c->ninsts = *n = k;
	c->insts_key = soca_xstrdup(tagkey);
	c->insts_costing = costing;
	return 0;
}

double
soca_cost_inst_usd(struct soca_cost *c, const struct soca_cost_inst *i,
    time_t from, time_t to, struct soca_aws_err *e)
{
	time_t lo = i->launch > from ? i->launch : from;
	time_t hi = i->end && i->end < to ? i->end : to;
	double h;

	if (hi <= lo || i->type == NULL)
		return 0;
	if ((h = soca_cost_price(c, i->type, i->spot, i->az, e)) < 0)
		return -1;
	return h * (double)(hi - lo) / 3600.0;
}

/* ---- live spend ---- */

static json_t *
find_budget(json_t *cache, const char *name)
{
	json_t *b;
	size_t i;

	json_array_foreach(json_object_get(cache, "budgets"), i, b) {
		const char *n = json_string_value(json_object_get(b, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return b;
	}
	return NULL;
}

void
soca_cost_spend_free(struct soca_cost_spend *s)
{
	free(s->budget);
	memset(s, 0, sizeof(*s));
}

/*
 * The budget period holding t for a TimeUnit (UTC, as AWS Budgets): a
 * budget's TimePeriod is its whole life (2087 by default), not this
 * period, so the period comes from the unit.
 */
static void
unit_period(time_t t, const char *unit, time_t *a, time_t *z)
{
	struct tm tm;
	int months = 1, days = 0;

	gmtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (unit && strcmp(unit, "DAILY") == 0) {
		months = 0;
		days = 1;
	} else {
		tm.tm_mday = 1;
		if (unit && strcmp(unit, "QUARTERLY") == 0) {
			tm.tm_mon -= tm.tm_mon % 3;
			months = 3;
		} else if (unit && strcmp(unit, "ANNUALLY") == 0) {
			tm.tm_mon = 0;
			months = 12;
		}
	}
	*a = timegm(&tm);
	tm.tm_mon += months;
	tm.tm_mday += days;
	*z = timegm(&tm);
}

/*
 * AWS's figure for the project: its budget's, else Cost Explorer's.
 * Neither says up to when it counts (Budgets' LastUpdatedTime is when
 * the budget was edited), so it is taken to cover up to [budget] lag
 * before the fetch: soca's estimate starts there, erring high.  A figure
 * fetched in an earlier period, or of a budget not running now, is 0,
 * and the estimate never starts before the period: early in a month no
 * hour of the last one counts.
 */
static void
aws_figure(struct soca_cost *c, json_t *cache, struct soca_cost_spend *s,
    time_t now)
{
	json_t *b = s->budget ? find_budget(cache, s->budget) : NULL;
	time_t fetched = json_integer_value(json_object_get(cache, "fetched"));
	long long lag = budget_secs(c, "lag", 86400);

	s->period_start = month_start(now, 0);
	s->period_end = month_start(now, 1);
	s->basis = "unblended";
	s->fetched = fetched;
	if (b) {
		json_int_t bs = json_integer_value(json_object_get(b, "start"));
		json_int_t be = json_integer_value(json_object_get(b, "end"));

		unit_period(now, json_string_value(json_object_get(b,
		    "period")), &s->period_start, &s->period_end);
		s->basis = json_is_string(json_object_get(b, "basis")) ?
		    json_string_value(json_object_get(b, "basis")) : "unblended";
		s->limit = jnum(json_object_get(b, "limit"));
		s->has_limit = true;
		s->actual_at = fetched - lag;
		if (bs <= now && (be == 0 || be > now) &&
		    fetched >= s->period_start)
			s->actual = jnum(json_object_get(b, "actual"));
	} else if (json_integer_value(json_object_get(cache, "ce_start")) ==
	    s->period_start) {
		s->actual = jnum(json_object_get(json_object_get(cache, "ce"),
		    s->project));
		s->actual_at = fetched - lag;
	}
	if (s->actual_at < s->period_start || s->actual_at > now)
		s->actual_at = s->period_start;
}

int
soca_cost_project(struct soca_cost *c, const char *project,
    struct soca_cost_spend *s, struct soca_aws_err *e)
{
	json_t *cache;
	struct soca_cost_inst *v;
	size_t n;
	time_t now = soca_cost_now();
	const char *bname;

	memset(s, 0, sizeof(*s));
	s->project = project;
	if ((cache = soca_cost_cache(c, NULL, e)) == NULL)
		return -1;
	bname = soca_conf_get(c->conf, "project", project, "budget");
	if (bname && find_budget(cache, bname) == NULL) {
		soca_aws_err_set(e, SOCA_AWS_E_INPUT, 0, NULL, "[project \"%s\"] "
		    "budget \"%s\": account %s has no budget of that name "
		    "(soca-budget list shows them; fix the name, or soca-budget "
		    "refresh if it was just made)", project, bname,
		    soca_conf_get(c->conf, "budget", NULL, "account_id"));
		return -1;
	}
	if (bname || find_budget(cache, project))
		s->budget = soca_xstrdup(bname ? bname : project);
	aws_figure(c, cache, s, now);
	if (soca_conf_isset(c->conf, "project", project, "limit")) {
		s->limit = soca_conf_number(c->conf, "project", project,
		    "limit");
		s->has_limit = true;
	}
	if (soca_cost_instances(c, SOCA_COST_TAG_PROJECT, true, &v, &n,
	    e) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		double u;

		if (v[i].project == NULL || strcmp(v[i].project, project))
			continue;
		if ((u = soca_cost_inst_usd(c, &v[i], s->actual_at, now, e)) < 0)
			return -1;
		s->estimate += u;
	}
	s->live = s->actual + s->estimate;
	return 0;
}

static void
add_name(char ***v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], name) == 0)
			return;
	*v = soca_xreallocarray(*v, *n + 2, sizeof(**v));
	(*v)[(*n)++] = soca_xstrdup(name);
	(*v)[*n] = NULL;
}

/*
 * Every project there is to say something about, sorted: those of
 * soca.conf, those Cost Explorer has spend for this month, and those
 * tagged on instances.  The count, or -1 with *err set.
 */
ssize_t
soca_cost_projects(struct soca_cost *c, char ***out, struct soca_aws_err *e)
{
	struct soca_cost_inst *v;
	char **conf = NULL, **names = NULL;
	size_t n = 0, nc, ni;
	json_t *cache, *val;
	const char *k;

	*out = NULL;
	if ((cache = soca_cost_cache(c, NULL, e)) == NULL ||
	    soca_cost_instances(c, SOCA_COST_TAG_PROJECT, true, &v, &ni, e) == -1)
		return -1;
	nc = soca_conf_names(c->conf, "project", &conf);
	for (size_t i = 0; i < nc; i++) {
		add_name(&names, &n, conf[i]);
		free(conf[i]);
	}
	free(conf);
	json_object_foreach(json_object_get(cache, "ce"), k, val)
		if (*k)
			add_name(&names, &n, k);
	for (size_t i = 0; i < ni; i++)
		if (v[i].project && *v[i].project)
			add_name(&names, &n, v[i].project);
	if (n > 1)
		qsort(names, n, sizeof(*names), soca_strv_cmp);
	*out = names;
	return (ssize_t)n;
}

/* ---- gates ---- */

bool
soca_cost_enabled(const struct soca_conf *conf)
{
	return soca_conf_get(conf, "budget", NULL, "account_id") != NULL;
}

char *
soca_cost_gate(struct soca_cost *c, const char *project,
    struct soca_aws_err *e)
{
	struct soca_cost_spend s;
	char *why = NULL;

	if (project == NULL)
		return NULL;
	if (soca_cost_project(c, project, &s, e) == -1)
		return NULL;
	if (s.has_limit && s.live >= s.limit)
		why = soca_xasprintf("budget exceeded: project %s at $%.2f of "
		    "$%.2f", project, s.live, s.limit);
	soca_cost_spend_free(&s);
	return why;
}

/*
 * soca's estimate for a job from its own record: nodes x $/hour of its
 * first instance type (Spot when it asked for Spot on every node) x the
 * hours since it started.  *rate gets $/hour while it runs.
 */
double
soca_cost_job(struct soca_cost *c, const char *types, long long nodes,
    bool spot, time_t start, time_t end, double *rate,
    struct soca_aws_err *e)
{
	char *type;
	double h;
	time_t now = soca_cost_now();

	*rate = 0;
	if (types == NULL || start == 0)
		return 0;
	type = soca_xstrndup(types, strcspn(types, "+"));
	h = soca_cost_price(c, type, spot, NULL, e);
	free(type);
	if (h < 0)
		return -1;
	if (end == 0)
		*rate = h * (double)nodes;
	if (end == 0 || end > now)
		end = now;
	return end > start ? h * (double)nodes * (double)(end - start) /
	    3600.0 : 0;
}
