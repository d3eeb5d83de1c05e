/* bench_pairs.c — the arithmetic limit of the pair terms (issue 8).
 *
 * Every BT-type objective of docs/reference.md §3 is a sum over the V² ordered pairs of
 * a context.  The objectives fold (a,b) with (b,a) and get σ(t_ab) from V
 * exponentials per evaluation (obj_terms.h), so one evaluation costs
 * V(V−1)/2 "pair terms" plus O(V) exponentials.  This times one context's
 * evaluation of pmle (λ = 0.1) and distill on population weights for
 * V = 10, 100, 1000: value only (the line search), and value + gradient +
 * Hessian (a Newton step), and reports nanoseconds per unordered pair term,
 * so a reader can compare with the machine (a division and a log1p per
 * pair term for the value, a division per pair for the derivatives).
 * Writes the table to argv[1] (default bench-pairs.txt). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "as_instance.h"
#include "as_objective.h"
#include "as_pref.h"
#include "as_rng.h"
#include "bench_util.h"

typedef struct call {
  const as_objective_type *obj;
  as_ctx_data d;
  const double *th;
  double *g, *H;
} call;

static int one_eval(void *arg)
{
  call *c = arg;
  double f;
  return c->obj->eval(&c->d, c->th, &f, c->g, c->H);
}

/* The prepared form (as the solver uses it from V = AS_SOLVE_LARGE_V on)
 * of c's objective, timed as one_eval; its preparation is not timed (once
 * per solve). */
static int time_prepared(call *c, double *med)
{
  as_obj_prep *pp;
  if (as_obj_prepare(c->obj, &c->d, &pp) != AS_OK || pp == NULL)
    return AS_ENOMEM;
  call cp = *c;
  cp.d.prep = pp;
  int reps, rc = bench_median(one_eval, &cp, 100000, 0.2, med, NULL, &reps);
  as_obj_prep_free(pp);
  return rc;
}

int main(int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : "bench-pairs.txt";
  bench_table tab;
  if (bench_table_open(&tab, path) != 0)
    return 1;
  bench_table_printf(&tab, "# bench_pairs: one context, docs/reference.md §1.1 defaults, "
                           "population weights, beta = 1, lambda = 0.1\n"
                           "per-pair = the per-pair loop (V < 128), "
                           "prepared = obj_btw (the solver's from V = 128)\n"
                           "V\tobjective\twhat\tform\tseconds\t"
                           "ns_per_pair_term\n");
  const size_t Vs[] = {10, 100, 1000};
  int ok = 1;
  for (size_t i = 0; i < sizeof Vs / sizeof Vs[0] && ok; i++) {
    size_t V = Vs[i];
    as_instance_params p;
    as_instance_params_default(&p);
    p.K = 1;
    p.V = V;
    as_instance *inst = as_instance_new(1, V);
    gsl_rng *r = as_rng_new(20261202, 8);
    double *P = malloc(V * V * sizeof *P), *Q = malloc(V * V * sizeof *Q);
    double *g = malloc(V * sizeof *g), *H = malloc(V * V * sizeof *H);
    double *rw = malloc(V * sizeof *rw);
    as_err err;
    if (inst == NULL || r == NULL || P == NULL || Q == NULL || g == NULL ||
        H == NULL || rw == NULL ||
        as_instance_draw(inst, &p, r, &err) != AS_OK ||
        as_pref_cell_probs(inst, 1.0, P, &err) != AS_OK ||
        as_pref_pair_probs(inst, Q, &err) != AS_OK) {
      fprintf(stderr, "bench_pairs: setup failed\n");
      ok = 0;
    }
    for (size_t y = 0; ok && y < V; y++)
      rw[y] = inst->log_pi_star[y]; /* r* = β log π* at β = 1 */
    const as_objective_type *objs[] = {&as_obj_pmle, &as_obj_distill};
    for (size_t k = 0; k < 2 && ok; k++)
      for (int full = 0; full < 2 && ok; full++) {
        call c = {.obj = objs[k],
                  .d = {.V = V, .rho = 1.0, .P = P, .Q = Q,
                        .log_ref = inst->log_pi_ref, .reward = rw,
                        .beta = 1.0, .lambda = 0.1},
                  .th = inst->log_pi_ref,
                  .g = full ? g : NULL,
                  .H = full ? H : NULL};
        double med;
        int reps;
        if (bench_median(one_eval, &c, 100000, 0.2, &med, NULL, &reps)
            != AS_OK) {
          ok = 0;
          break;
        }
        double pairs = 0.5 * (double)V * (double)(V - 1);
        bench_table_printf(&tab, "%zu\t%s\t%s\tper-pair\t%.3g\t%.3g\n", V,
                           objs[k]->name, full ? "f+g+H" : "f", med,
                           med / pairs * 1e9);
        if (time_prepared(&c, &med) != AS_OK) {
          ok = 0;
          break;
        }
        bench_table_printf(&tab, "%zu\t%s\t%s\tprepared\t%.3g\t%.3g\n", V,
                           objs[k]->name, full ? "f+g+H" : "f", med,
                           med / pairs * 1e9);
      }
    free(P);
    free(Q);
    free(g);
    free(H);
    free(rw);
    gsl_rng_free(r);
    as_instance_free(inst);
  }
  return bench_table_close(&tab, ok);
}
