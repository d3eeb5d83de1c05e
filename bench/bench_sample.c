/* bench_sample.c — cost of drawing preference counts (docs/reference.md §2).
 *
 * Times as_pref_sample_counts (conditional binomials) for K = V = 10 at
 * n = 10^3, 10^6, 10^9, 10^12, and, for contrast, the O(n) record-by-record
 * sampler at n = 10^3, 10^6.  Prints a table and writes it to argv[1]
 * (default bench-sample.txt in the working directory) via a temporary file
 * and rename.  Each figure is the median over repetitions of one call,
 * repeating until 0.2 s or 2001 calls have been spent (at least 5). */
#include <stdio.h>

#include "as_instance.h"
#include "as_pref.h"
#include "as_rng.h"
#include "bench_util.h"

typedef struct sample_job {
  int records;
  const as_instance *inst;
  uint64_t n;
  gsl_rng *r;
  as_counts *c;
  as_err *err;
} sample_job;

static int run_sample(void *a)
{
  sample_job *j = a;
  return j->records
             ? as_pref_sample_records(j->inst, 1.0, j->n, j->r, j->c, j->err)
             : as_pref_sample_counts(j->inst, 1.0, j->n, j->r, j->c, j->err);
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
  bench_table tab;
  if (bench_table_open(&tab, path) != 0)
    return 1;
  bench_table_printf(&tab, "# bench_sample: K = V = 10 (1000 cells), "
                           "beta = 1, pcg32; seconds per call\n"
                           "mode\tn\treps\tmedian_s\tmin_s\n");
  const uint64_t ns[] = {1000ULL, 1000000ULL, 1000000000ULL,
                         1000000000000ULL};
  int ok = 1;
  for (int records = 0; records < 2 && ok; records++)
    for (int i = 0; i < (records ? 2 : 4) && ok; i++) {
      double med, mn;
      int reps;
      sample_job j = {records, inst, ns[i], r, c, &err};
      if (bench_median(run_sample, &j, 2001, 0.2, &med, &mn, &reps) != AS_OK) {
        fprintf(stderr, "bench_sample: %s\n", err.msg);
        ok = 0;
        break;
      }
      bench_table_printf(&tab, "%s\t%llu\t%d\t%.3e\t%.3e\n",
                         records ? "records" : "counts",
                         (unsigned long long)ns[i], reps, med, mn);
    }
  if (bench_table_close(&tab, ok) != 0)
    ok = 0;
  gsl_rng_free(r);
  as_counts_free(c);
  as_instance_free(inst);
  return ok ? 0 : 1;
}
