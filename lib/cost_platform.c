/*
 * cost_platform.c: what a cluster costs before any job runs.  The list
 * price of anything the Price List API sells by the hour or the GB-month
 * (an EBS volume type, EFS storage, a public IPv4 address, a NAT gateway
 * hour), found with TERM_MATCH filters as soca-budget platform and job
 * estimates ask for them; instance hours come from soca_cost_price.
 * Answers go into the price cache (cost.c's prices.json, "list"), kept a
 * week: a job's estimate asks for the same few prices again and again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cost.h"

/* the cache's key: the service and the filters, "AmazonEC2 k=v k=v" */
static char *
list_key(const char *service, const char *const *kv)
{
	struct soca_buf b = { 0 };

	soca_buf_adds(&b, service);
	for (size_t i = 0; kv[i] && kv[i + 1]; i += 2)
		soca_buf_addf(&b, " %s=%s", kv[i], kv[i + 1]);
	return soca_buf_steal(&b);
}

static double
fetch(struct soca_aws *a, const char *service, const char *const *kv,
    char **unit, struct soca_aws_err *e)
{
	json_t *f, *p, *r;
	double v;

	f = json_array();
	json_array_append_new(f, json_pack("{s:s,s:s,s:s}", "Type",
	    "TERM_MATCH", "Field", "regionCode", "Value", soca_aws_region(a)));
	for (size_t i = 0; kv[i] && kv[i + 1]; i += 2)
		json_array_append_new(f, json_pack("{s:s,s:s,s:s}", "Type",
		    "TERM_MATCH", "Field", kv[i], "Value", kv[i + 1]));
	p = json_pack("{s:s,s:s,s:o,s:i}", "ServiceCode", service,
	    "FormatVersion", "aws_v1", "Filters", f, "MaxResults", 10);
	r = soca_aws_paginate(a, "pricing", "GetProducts", p, e);
	json_decref(p);
	if (r == NULL)
		return -1;
	v = soca_cost_doc_price(json_string_value(json_array_get(
	    json_object_get(r, "PriceList"), 0)), unit);
	json_decref(r);
	if (v < 0)
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, 0, "NoPrice", "the Price "
		    "List API has no %s price for %s=%s in %s", service,
		    kv[0] ? kv[0] : "", kv[0] && kv[1] ? kv[1] : "",
		    soca_aws_region(a));
	return v;
}

double
soca_cost_list_price(struct soca_cost *c, const char *service,
    const char *const *kv, char **unit, struct soca_aws_err *e)
{
	struct soca_aws *a = soca_cost_aws(c, e);
	char *key, *u = NULL;
	double v;

	if (unit)
		*unit = NULL;
	if (a == NULL)
		return -1;
	key = list_key(service, kv);
	if ((v = soca_cost_list_cached(c, key, &u)) < 0 &&
	    (v = fetch(a, service, kv, &u, e)) >= 0)
		soca_cost_list_keep(c, key, v, u);
	free(key);
	if (unit)
		*unit = u;
	else
		free(u);
	return v;
}
