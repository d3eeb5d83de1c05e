/* bench_class.c — cost of the class estimators (docs/reference.md §3.1).
 *
 * Times exact PMLE by enumeration over a finite class (as_finite_pmle) for
 * |Π| = 7, 31, 127 at n = 10^3 and 10^12 labelled records (K = V = 10):
 * the cost must grow with |Π| and not with n, since only the normalised
 * counts enter.  Also times a population PMLE fit over the log-linear
 * feature class (as_features_fit) for d = 5, 20, 80.  Prints a table and
 * writes it to argv[1] (default bench-class.txt) via a temporary file and
 * rename.  Each figure is the median of repeated calls (at least 5, until
 * 0.2 s). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_features.h"
#include "as_finite.h"
#include "as_instance.h"
#include "as_pref.h"
#include "as_rng.h"
#include "bench_util.h"

enum { MAX_REPS = 501 };

/* Median seconds per call, NAN if a call failed. */
static double median_time(int (*fn)(void *), void *arg, int *reps)
{
  double t;
  return bench_median(fn, arg, MAX_REPS, 0.2, &t, NULL, reps) == AS_OK ? t
                                                                      : NAN;
}

typedef struct pmle_job {
  const as_finite_class *c;
  const as_data *d;
} pmle_job;

static int run_pmle(void *a)
{
  pmle_job *j = a;
  size_t am;
  return as_finite_pmle(j->c, j->d, 1.0, 0.1, NULL, &am, NULL);
}

typedef struct feat_job {
  const as_features *f;
  const as_data *d;
} feat_job;

static int run_feat(void *a)
{
  feat_job *j = a;
  as_fit_opts o;
  memset(&o, 0, sizeof o);
  o.method = AS_METHOD_PMLE;
  o.beta = 1.0;
  o.gamma = o.beta_dpo = o.ridge = o.eta = NAN;
  double *w = calloc(j->f->d, sizeof(double));
  int rc = as_features_fit(j->f, &o, j->d, NULL, w, NULL, NULL);
  free(w);
  return rc;
}

int main(int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : "bench-class.txt";
  as_instance_params p;
  as_instance_params_default(&p);
  size_t K = p.K, V = p.V;
  as_instance *inst = as_instance_new(K, V);
  as_counts *N = as_counts_new(K, V);
  gsl_rng *r = as_rng_new(20260102, 1);
  double *P = malloc(K * V * V * sizeof(double));
  as_err err;
  if (inst == NULL || N == NULL || r == NULL || P == NULL
      || as_instance_draw(inst, &p, r, &err) != AS_OK) {
    fprintf(stderr, "bench_class: setup failed\n");
    return 1;
  }
  bench_table tab;
  if (bench_table_open(&tab, path) != 0)
    return 1;
  bench_table_printf(&tab, "# bench_class: K = V = 10, beta = 1; seconds "
                           "per call\nwhat\tsize\tn\treps\tmedian_s\n");
  int ok = 1;
  const size_t per[] = {2, 10, 42}; /* |Π| = 1 + 3·per */
  const double dist[] = {0.01, 0.1, 1.0};
  const uint64_t ns[] = {1000ULL, 1000000000000ULL};
  for (int i = 0; i < 3 && ok; i++) {
    as_finite_class *c = NULL;
    if (as_finite_generate(inst, dist, 3, per[i], r, &c, &err) != AS_OK) {
      fprintf(stderr, "bench_class: %s\n", err.msg);
      ok = 0;
      break;
    }
    for (int k = 0; k < 2 && ok; k++) {
      if (as_pref_sample_counts(inst, 1.0, ns[k], r, N, &err) != AS_OK) {
        ok = 0;
        break;
      }
      for (size_t q = 0; q < K * V * V; q++)
        P[q] = (double)N->N[q] / (double)N->n;
      as_data d = {K, V, (double)ns[k], P, NULL, inst->log_rho,
                   inst->log_pi_ref};
      pmle_job j = {c, &d};
      int reps;
      double t = median_time(run_pmle, &j, &reps);
      bench_table_printf(&tab, "finite-pmle\t%zu\t%llu\t%d\t%.3e\n", c->M,
                         (unsigned long long)ns[k], reps, t);
      ok = isfinite(t);
    }
    as_finite_free(c);
  }
  if (ok && as_pref_cell_probs(inst, 1.0, P, &err) != AS_OK)
    ok = 0;
  const size_t dims[] = {5, 20, 80};
  for (int i = 0; i < 3 && ok; i++) {
    as_features *ft = as_features_new(K, V, dims[i]);
    if (ft == NULL || as_features_draw(ft, r, &err) != AS_OK) {
      as_features_free(ft);
      ok = 0;
      break;
    }
    as_data d = {K, V, INFINITY, P, NULL, inst->log_rho, inst->log_pi_ref};
    feat_job j = {ft, &d};
    int reps;
    double t = median_time(run_feat, &j, &reps);
    bench_table_printf(&tab, "features-pmle\t%zu\tinf\t%d\t%.3e\n",
                       dims[i], reps, t);
    ok = isfinite(t);
    as_features_free(ft);
  }
  if (bench_table_close(&tab, ok) != 0)
    ok = 0;
  free(P);
  gsl_rng_free(r);
  as_counts_free(N);
  as_instance_free(inst);
  return ok ? 0 : 1;
}
