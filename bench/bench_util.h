/* bench_util.h — what every benchmark in bench/ shares: a monotonic clock,
 * the median of repeated calls, and a table printed to stdout and written
 * to a file at the same time (through as_io's temp file + rename, so an
 * interrupted run leaves no half-written table). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>

#include "as_error.h"

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* Calls fn(arg) at least 5 times and until min_seconds are spent or
 * max_reps calls were made; *median and *min (either may be NULL) get the
 * seconds per call and *reps the number of calls.  Returns the first
 * nonzero code fn returned (then nothing is set), else AS_OK. */
int bench_median(int (*fn)(void *), void *arg, int max_reps,
                 double min_seconds, double *median, double *min, int *reps);

/* The table: bench_table_open opens PATH's temporary file (NULL and a
 * message on stderr if it cannot); bench_table_printf writes a line to
 * stdout and to the file; bench_table_close renames the file onto PATH
 * when ok (returns 0), or removes it (returns 1, as it does when the
 * write failed). */
typedef struct bench_table {
  FILE *f;
  const char *path;
  char tmp[4200];
} bench_table;

int bench_table_open(bench_table *t, const char *path);
void bench_table_printf(bench_table *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int bench_table_close(bench_table *t, int ok);

#endif
