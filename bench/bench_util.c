/* bench_util.c — see bench_util.h. */
#include "bench_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "as_io.h"

double bench_now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int bench_median(int (*fn)(void *), void *arg, int max_reps,
                 double min_seconds, double *median, double *min, int *reps)
{
  double *t = malloc((size_t)(max_reps > 5 ? max_reps : 5) * sizeof *t);
  if (t == NULL)
    return AS_ENOMEM;
  double spent = 0.0;
  int k = 0;
  while (k < 5 || (k < max_reps && spent < min_seconds)) {
    double t0 = bench_now();
    int rc = fn(arg);
    t[k] = bench_now() - t0;
    if (rc != AS_OK) {
      free(t);
      return rc;
    }
    spent += t[k++];
  }
  qsort(t, (size_t)k, sizeof t[0], cmp_double);
  if (median != NULL)
    *median = t[k / 2];
  if (min != NULL)
    *min = t[0];
  *reps = k;
  free(t);
  return AS_OK;
}

int bench_table_open(bench_table *t, const char *path)
{
  as_err e;
  t->path = path;
  t->f = as_io_open_tmp(path, t->tmp, sizeof t->tmp, &e);
  if (t->f == NULL)
    fprintf(stderr, "%s\n", e.msg);
  return t->f != NULL ? 0 : 1;
}

void bench_table_printf(bench_table *t, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  va_start(ap, fmt);
  vfprintf(t->f, fmt, ap);
  va_end(ap);
}

int bench_table_close(bench_table *t, int ok)
{
  as_err e;
  int rc = as_io_commit(t->f, t->tmp, t->path, ok, ok ? &e : NULL);
  t->f = NULL;
  if (rc != AS_OK && ok)
    fprintf(stderr, "%s\n", e.msg);
  return rc == AS_OK ? 0 : 1;
}
