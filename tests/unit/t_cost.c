/*
 * t_cost.c: lib/cost's time helpers and its refusal to fetch without an
 * account (the AWS side is tested against awsim in tests/budget.bats).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "tap.h"

static void
times(void)
{
	time_t t;
	char d[11];

	ok(soca_cost_parse_time("2026-11-25T23:07:37.000Z", &t) == 0 &&
	    t == 1795648057, "ISO 8601 time with milliseconds");
	ok(soca_cost_parse_time("2026-11-25", &t) == -1, "a date is not a "
	    "time");
	ok(soca_cost_parse_time(NULL, &t) == -1, "NULL is not a time");
	ok(soca_cost_parse_date("2026-11-01", &t) == 0 && t == 1793491200,
	    "date");
	ok(soca_cost_parse_date("2026-11-1", &t) == -1, "short date refused");
	ok(soca_cost_parse_date("2026-11-01x", &t) == -1, "trailing junk "
	    "refused");
	ok(soca_cost_parse_date("2026-13-01", &t) == -1, "month 13 refused");
	soca_cost_fmt_date(1795648057, d);
	is_str(d, "2026-11-25", "date of a time");
}

static void
no_account(void)
{
	static const char text[] = "[cluster]\nspool = /nonexistent/x\n";
	struct soca_conf *conf = soca_conf_parse("t", text, strlen(text));
	struct soca_aws_cfg cfg = { 0 };
	struct soca_cost *c = soca_cost_new(conf, &cfg);
	struct soca_aws_err e = { 0 };

	ok(soca_cost_refresh(c, &e) == -1 && e.kind == SOCA_AWS_E_INPUT,
	    "refresh without [budget] account_id fails as bad input");
	ok(e.message && strstr(e.message, "account_id") != NULL,
	    "and names the key");
	is_str(soca_cost_dir(c), "/nonexistent/x/cost", "cache directory");
	soca_aws_err_free(&e);
	soca_cost_free(c);
	soca_conf_free(conf);
}

void
t_cost(void)
{
	times();
	no_account();
}
