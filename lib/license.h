/* license.h: license counts for the dispatcher and soca-license */
#ifndef SOCA_LICENSE_H
#define SOCA_LICENSE_H

#include <stdio.h>

#include "soca.h"

#define SOCA_LIC_UNLIMITED (1LL << 50)

struct soca_lic {
	long long issued, in_use, reserved, available;
	bool uncounted;		/* no limit: available is SOCA_LIC_UNLIMITED */
};

/* 0 with *l filled, or -1 and *why (the license is unreadable) */
int soca_license_read(const struct soca_conf *, const char *name,
    struct soca_lic *, char **why);
/* lmstat's text for one feature (matched whole); 0, or -1 and *why */
int soca_lmstat_parse(const char *text, const char *feature,
    struct soca_lic *, char **why);
const char *soca_license_feature(const struct soca_conf *, const char *name);
/* license_slurm.c: soca-license --slurm, the counts given to Slurm */
int soca_license_slurm(const struct soca_conf *, char **names, size_t n,
    FILE *out);

#endif
