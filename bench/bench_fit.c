/* bench_fit.c — cost of the tabular fits (as_fit.h) for K = V = 100.
 *
 * The data enter only through the normalised counts N/n (docs/reference.md §2:
 * sufficient statistics), so a fit's cost must not grow with n.  This
 * draws counts at n = 10^6 and 10^9 from one instance (docs/reference.md §1.1
 * defaults, K = V = 100) and times as_fit for every method (one call
 * each: a fit is ~0.1–1 s, far above the clock's resolution), printing
 * seconds, the largest per-context Newton iteration count, the status and
 * the forward KL, so the time can be read against the work done.  Writes
 * the table to argv[1] (default bench-fit.txt) via a temp file + rename. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "as_fit.h"
#include "as_instance.h"
#include "as_metrics.h"
#include "as_pref.h"
#include "as_rng.h"
#include "bench_util.h"

int main(int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : "bench-fit.txt";
  enum { KK = 100, VV = 100 };
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = KK;
  p.V = VV;
  as_instance *inst = as_instance_new(KK, VV);
  as_counts *c = as_counts_new(KK, VV);
  gsl_rng *r = as_rng_new(20260102, 1);
  double *P = malloc((size_t)KK * VV * VV * sizeof *P);
  double *Q = malloc((size_t)KK * VV * VV * sizeof *Q);
  as_err err;
  if (inst == NULL || c == NULL || r == NULL || P == NULL || Q == NULL ||
      as_instance_draw(inst, &p, r, &err) != AS_OK ||
      as_pref_pair_probs(inst, Q, &err) != AS_OK) {
    fprintf(stderr, "bench_fit: setup failed\n");
    return 1;
  }
  bench_table tab;
  if (bench_table_open(&tab, path) != 0)
    return 1;
  bench_table_printf(&tab, "# bench_fit: K = V = 100, docs/reference.md §1.1 defaults, "
                           "beta = 1, counts drawn by as_pref_sample_counts\n"
                           "n\tmethod\tlambda\tseconds\tnewton_its\tstatus"
                           "\tfwd_kl\n");
  const uint64_t ns[] = {1000000ULL, 1000000000ULL};
  const struct { as_method m; double lambda; } runs[] = {
      {AS_METHOD_PMLE, 0.0},    {AS_METHOD_PMLE, 0.1},
      {AS_METHOD_DPO, 0.0},     {AS_METHOD_REWARD, 0.0},
      {AS_METHOD_DISTILL, 0.1}, {AS_METHOD_REBEL, 0.0},
      {AS_METHOD_REBEL_ITER, 0.5}, {AS_METHOD_RLHF, 0.5},
      {AS_METHOD_RKL, 0.1}};
  int ok = 1;
  for (int i = 0; i < 2 && ok; i++) {
    if (as_pref_sample_counts(inst, 1.0, ns[i], r, c, &err) != AS_OK) {
      fprintf(stderr, "bench_fit: %s\n", err.msg);
      ok = 0;
      break;
    }
    for (size_t k = 0; k < (size_t)KK * VV * VV; k++)
      P[k] = (double)c->N[k] / (double)c->n;
    as_data d = {.K = KK, .V = VV, .n = (double)ns[i], .P = P, .Q = Q,
                 .log_rho = inst->log_rho, .log_ref = inst->log_pi_ref};
    for (size_t j = 0; j < sizeof runs / sizeof runs[0]; j++) {
      as_fit_opts o;
      as_fit_opts_default(&o);
      o.method = runs[j].m;
      o.lambda = runs[j].lambda;
      as_fit_result res;
      double t0 = bench_now();
      int rc = as_fit(&o, &d, &res, &err);
      double dt = bench_now() - t0;
      if (rc != AS_OK) {
        fprintf(stderr, "bench_fit: %s\n", err.msg);
        ok = 0;
        break;
      }
      as_metrics m;
      if (as_metrics_compute(inst, 1.0, res.log_pi, NULL, &m, &err) != AS_OK)
        m.fwd_kl = NAN;
      bench_table_printf(&tab, "%llu\t%s\t%g\t%.3f\t%ld\t%s\t%.3e\n",
                         (unsigned long long)ns[i], as_method_name(runs[j].m),
                         runs[j].lambda, dt, res.iterations,
                         as_strerror(res.status), m.fwd_kl);
      as_fit_result_free(&res);
    }
  }
  if (bench_table_close(&tab, ok) != 0)
    ok = 0;
  free(P);
  free(Q);
  gsl_rng_free(r);
  as_counts_free(c);
  as_instance_free(inst);
  return ok ? 0 : 1;
}
