/* bench_solve.c — one context's solves at large V (issue 8).
 *
 * experiments/scale.cfg spends its time in per-context Newton solves:
 * per context and data mode the reward fit (BT, ridge 0 on population
 * weights), pmle at λ = 0.1 and distill at λ = 0.1 on the fitted reward.
 * This runs the three on one context (K = 1, docs/reference.md §1.1
 * defaults, population weights, β = 1) for V = 100, 300, 1000 with the
 * dense direction (as_solve_opts.large_v = SIZE_MAX: the per-pair
 * evaluation and the O(V³) factorisation, as before issue 8's solver
 * work) and with the large-V path forced (large_v = 0: prepared
 * objective, CG direction; the default from V = 128), and
 * reports seconds, Newton iterations, evaluations, Hessian products,
 * milliseconds per Newton step, nanoseconds per pair term (the fit's
 * seconds over evaluations × V(V−1)/2 unordered pairs: everything the
 * fit does, charged to the pair terms it evaluated) and the largest
 * |θ_dense − θ_cg|.  Fastest of repeated calls until 0.3 s (one call
 * at V = 1000).
 * Writes the table to argv[1] (default bench-solve.txt). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_instance.h"
#include "as_objective.h"
#include "as_pref.h"
#include "as_rng.h"
#include "as_solve.h"
#include "bench_util.h"

typedef struct ctx {
  size_t V;
  as_instance *inst;
  double *P, *Q, *r;
} ctx;

static int ctx_new(ctx *c, size_t V)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 1;
  p.V = V;
  c->V = V;
  c->inst = as_instance_new(1, V);
  gsl_rng *rng = as_rng_new(20261203, 8);
  c->P = malloc(V * V * sizeof *c->P);
  c->Q = malloc(V * V * sizeof *c->Q);
  c->r = calloc(V, sizeof *c->r);
  as_err err;
  int ok = c->inst != NULL && rng != NULL && c->P != NULL && c->Q != NULL &&
           c->r != NULL &&
           as_instance_draw(c->inst, &p, rng, &err) == AS_OK &&
           as_pref_cell_probs(c->inst, 1.0, c->P, &err) == AS_OK &&
           as_pref_pair_probs(c->inst, c->Q, &err) == AS_OK;
  gsl_rng_free(rng);
  return ok ? 0 : -1;
}

static void ctx_free(ctx *c)
{
  as_instance_free(c->inst);
  free(c->P);
  free(c->Q);
  free(c->r);
}

typedef struct run {
  double sec;
  as_solve_info info;
  int rc;
} run;

/* Solves obj on d from start (copied into th) with the given large_v. */
static run solve_one(const as_objective_type *obj, const as_ctx_data *d,
                     const double *start, size_t large_v, double *th)
{
  as_solve_opts o;
  as_solve_opts_default(&o);
  o.large_v = large_v;
  memcpy(th, start, d->V * sizeof *th);
  run r;
  as_err err;
  /* the fastest of calls until 0.3 s (one call at V = 1000) */
  r.sec = INFINITY;
  for (double spent = 0.0; spent < 0.3;) {
    memcpy(th, start, d->V * sizeof *th);
    double t0 = bench_now();
    r.rc = as_solve_newton(obj, d, &o, th, &r.info, &err);
    double t = bench_now() - t0;
    r.sec = fmin(r.sec, t);
    spent += t;
  }
  return r;
}

static double max_diff(size_t V, const double *a, const double *b)
{
  double m = 0.0;
  for (size_t i = 0; i < V; i++)
    m = fmax(m, fabs(a[i] - b[i]));
  return m;
}

static void row(bench_table *tab, size_t V, const char *what,
                const char *mode, const run *r, double diff)
{
  double pairs = 0.5 * (double)V * (double)(V - 1);
  long it = r->info.iterations;
  bench_table_printf(tab, "%zu\t%s\t%s\t%.3g\t%ld\t%ld\t%ld\t%.3g\t%.3g\t"
                     "%.2g\t%s\n", V, what, mode, r->sec, it, r->info.evals,
                     r->info.hv_products,
                     1e3 * r->sec / (double)(it > 0 ? it : 1),
                     1e9 * r->sec / ((double)r->info.evals * pairs), diff,
                     r->rc == AS_OK ? "ok" : "not-ok");
}

/* The three solves in both modes; the fitted reward (default mode) feeds
 * distill in both, so the two distill rows solve the same problem. */
static int bench_v(bench_table *tab, size_t V)
{
  ctx c;
  if (ctx_new(&c, V) != 0) {
    ctx_free(&c);
    return -1;
  }
  double *t1 = malloc(V * sizeof *t1), *t2 = malloc(V * sizeof *t2);
  double *zero = calloc(V, sizeof *zero);
  if (t1 == NULL || t2 == NULL || zero == NULL) {
    free(t1);
    free(t2);
    free(zero);
    ctx_free(&c);
    return -1;
  }
  as_ctx_data rd = {.V = V, .rho = 1.0, .P = c.P, .beta = 1.0};
  run a = solve_one(&as_obj_reward, &rd, zero, SIZE_MAX, t1);
  run b = solve_one(&as_obj_reward, &rd, zero, 0, t2);
  row(tab, V, "reward", "dense", &a, 0.0);
  row(tab, V, "reward", "prepared+cg", &b, max_diff(V, t1, t2));
  memcpy(c.r, t2, V * sizeof *t2);
  const double *lr = c.inst->log_pi_ref;
  as_ctx_data pd = {.V = V, .rho = 1.0, .P = c.P, .log_ref = lr,
                    .beta = 1.0, .lambda = 0.1};
  a = solve_one(&as_obj_pmle, &pd, lr, SIZE_MAX, t1);
  b = solve_one(&as_obj_pmle, &pd, lr, 0, t2);
  row(tab, V, "pmle", "dense", &a, 0.0);
  row(tab, V, "pmle", "prepared+cg", &b, max_diff(V, t1, t2));
  as_ctx_data dd = {.V = V, .rho = 1.0, .Q = c.Q, .log_ref = lr,
                    .reward = c.r, .beta = 1.0, .lambda = 0.1};
  a = solve_one(&as_obj_distill, &dd, lr, SIZE_MAX, t1);
  b = solve_one(&as_obj_distill, &dd, lr, 0, t2);
  row(tab, V, "distill", "dense", &a, 0.0);
  row(tab, V, "distill", "prepared+cg", &b, max_diff(V, t1, t2));
  free(t1);
  free(t2);
  free(zero);
  ctx_free(&c);
  return 0;
}

int main(int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : "bench-solve.txt";
  bench_table tab;
  if (bench_table_open(&tab, path) != 0)
    return 1;
  bench_table_printf(&tab, "# bench_solve: one context (K = 1), population "
                     "weights, beta = 1, lambda = 0.1; dense = per-pair "
                     "eval + O(V^3) Cholesky, prepared+cg = obj_btw + CG\n"
                     "V\tsolve\tmode\tseconds\tnewton_iters\tevals\t"
                     "hv_products\tms_per_step\tns_per_pair_term\t"
                     "max_theta_diff\tstatus\n");
  const size_t Vs[] = {100, 300, 1000};
  int ok = 1;
  for (size_t i = 0; i < sizeof Vs / sizeof Vs[0] && ok; i++)
    ok = bench_v(&tab, Vs[i]) == 0;
  return bench_table_close(&tab, ok);
}
