/* dl.h: functions of a shared library looked up on first use (dl.c). */
#ifndef SOCA_DL_H
#define SOCA_DL_H

#include <stdbool.h>
#include <stddef.h>

bool soca_dl_load(const char *, const char *, const char *const *, void **,
    size_t);

#endif
