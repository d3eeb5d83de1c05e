/* bench_sample.c — cost of drawing preference counts (SPEC §2).
 *
 * Times as_pref_sample_counts (conditional binomials) for K = V = 10 at
 * n = 10^3, 10^6, 10^9, 10^12, and, for contrast, the O(n) record-by-record
 * sampler at n = 10^3, 10^6.  Prints a table and writes it to argv[1]
 * (default bench-sample.txt in the working directory) via a temporary file
 * and rename.  Each figure is the median over repetitions of one call,
 * repeating until 0.2 s or 2001 calls have been spent (at least 5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "as_instance.h"
#include "as_pref.h"
#include "as_rng.h"

static double now(void)
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

enum { MAX_REPS = 2001 };

/* Median and minimum seconds per call; returns AS_OK or the sampler's code. */
static int time_mode(int records, const as_instance *inst, uint64_t n,
                     gsl_rng *r, as_counts *c, double *median, double *min,
                     int *reps, as_err *err)
{
  static double t[MAX_REPS];
  double spent = 0.0;
  int k = 0;
  while (k < MAX_REPS && (k < 5 || spent < 0.2)) {
    double t0 = now();
    int rc = records ? as_pref_sample_records(inst, 1.0, n, r, c, err)
                     : as_pref_sample_counts(inst, 1.0, n, r, c, err);
    t[k] = now() - t0;
    if (rc != AS_OK)
      return rc;
    spent += t[k++];
  }
  qsort(t, (size_t)k, sizeof t[0], cmp_double);
  *median = t[k / 2];
  *min = t[0];
  *reps = k;
  return AS_OK;
}

int main(int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : "bench-sample.txt";
  as_instance_params p;
  as_instance_params_default(&p);
  as_instance *inst = as_instance_new(p.K, p.V);
  as_counts *c = as_counts_new(p.K, p.V);
  gsl_rng *r = as_rng_new(20260101, 1);
  as_err err;
  if (inst == NULL || c == NULL || r == NULL
      || as_instance_draw(inst, &p, r, &err) != AS_OK) {
    fprintf(stderr, "bench_sample: setup failed\n");
    return 1;
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (f == NULL) {
    perror(tmp);
    return 1;
  }
  const char *head = "# bench_sample: K = V = 10 (1000 cells), beta = 1, "
                     "pcg32; seconds per call\n"
                     "mode\tn\treps\tmedian_s\tmin_s\n";
  fputs(head, stdout);
  fputs(head, f);
  const uint64_t ns[] = {1000ULL, 1000000ULL, 1000000000ULL,
                         1000000000000ULL};
  int ok = 1;
  for (int records = 0; records < 2 && ok; records++)
    for (int i = 0; i < (records ? 2 : 4) && ok; i++) {
      double med, mn;
      int reps;
      if (time_mode(records, inst, ns[i], r, c, &med, &mn, &reps, &err)
          != AS_OK) {
        fprintf(stderr, "bench_sample: %s\n", err.msg);
        ok = 0;
        break;
      }
      char line[256];
      snprintf(line, sizeof line, "%s\t%llu\t%d\t%.3e\t%.3e\n",
               records ? "records" : "counts", (unsigned long long)ns[i], reps,
               med, mn);
      fputs(line, stdout);
      fputs(line, f);
    }
  if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
    remove(tmp);
    fprintf(stderr, "bench_sample: could not write %s\n", path);
    ok = 0;
  }
  gsl_rng_free(r);
  as_counts_free(c);
  as_instance_free(inst);
  return ok ? 0 : 1;
}
