/*
 * cost_platform.c: what a cluster costs before any job runs.  The list
 * price of anything the Price List API sells by the hour or the GB-month
 * (an EBS volume type, EFS storage, a public IPv4 address, a NAT gateway
 * hour), found with TERM_MATCH filters as soca-budget platform and job
 * estimates ask for them; instance hours come from soca_cost_price.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cost.h"

/* the first USD price of the first product's On-Demand terms, and unit */
static double
first_price(json_t *list, char **unit)
{
	const char *doc = json_string_value(json_array_get(list, 0)), *k1, *k2;
	json_t *j = doc ? json_loads(doc, 0, NULL) : NULL, *term, *dim;
	double v = -1;

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

double
soca_cost_list_price(struct soca_cost *c, const char *service,
    const char *const *kv, char **unit, struct soca_aws_err *e)
{
	struct soca_aws *a = soca_cost_aws(c, e);
	json_t *f, *p, *r;
	double v;

	if (unit)
		*unit = NULL;
	if (a == NULL)
		return -1;
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
	v = first_price(json_object_get(r, "PriceList"), unit);
	json_decref(r);
	if (v < 0)
		soca_aws_err_set(e, SOCA_AWS_E_SERVICE, 0, "NoPrice", "the Price "
		    "List API has no %s price for %s=%s in %s", service,
		    kv[0] ? kv[0] : "", kv[0] && kv[1] ? kv[1] : "",
		    soca_aws_region(a));
	return v;
}
