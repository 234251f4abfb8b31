/* estimate.h: a job's projected cost before it runs (soca-submit --estimate) */
#ifndef SOCA_ESTIMATE_H
#define SOCA_ESTIMATE_H

#include <stdio.h>

#include "job.h"

struct soca_est_row {
	char *item, *what, *unit;
	double quantity, usd_per_unit, usd;
};

struct soca_estimate {
	struct soca_est_row *rows;
	size_t nrows;
	double hours;		/* walltime, or 1 when there is none */
	bool has_walltime, spot;
	double total;
};

/*
 * 0 with *e filled (free with soca_estimate_free); -1 and *why when a
 * price cannot be had now, -2 when there is none (no such type here)
 */
int soca_job_estimate(const struct soca_conf *, const struct soca_job *,
    struct soca_estimate *, char **why);
char *soca_job_cost(const struct soca_conf *, struct soca_job *);
int soca_estimate_print(const struct soca_estimate *, bool json, FILE *);
void soca_estimate_free(struct soca_estimate *);

/* the spool's moving average of type's boot time: 0, or -1 for none */
int soca_boot_get(const struct soca_conf *, const char *type, double *secs,
    long long *samples);
int soca_boot_record(struct soca_spool *, const char *type, long long secs);

#endif
