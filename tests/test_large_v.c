/* test_large_v.c — the large-V path of the per-context solve (issue 8):
 * the prepared Bradley–Terry form of pmle, reward and distill (obj_btw.h)
 * and the Newton direction by conjugate gradients (as_cg.h).
 * Independent routes: the per-pair evaluation (a different formula for the
 * same numbers), central differences, a dense Cholesky factorisation from
 * GSL, the dense solver path (as_solve_opts.large_v = SIZE_MAX), and the
 * closed form of PMLE at λ = 0 on population data (π*, docs/reference.md
 * §3).  No timing here (bench/bench_solve.c). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_cg.h"
#include "as_fit.h"
#include "as_instance.h"
#include "as_math.h"
#include "as_objective.h"
#include "as_pref.h"
#include "as_rng.h"
#include "as_solve.h"

/* A random context of V responses: P, Q positive except a few empty
 * cells, summing to 0.3; log π_ref, reward; β = 1.3, λ = 0.4. */
typedef struct ctx {
  size_t V;
  double *P, *Q, *lref, *rw;
  as_ctx_data d;
} ctx;

static void ctx_make(ctx *c, size_t V, gsl_rng *r)
{
  c->V = V;
  c->P = malloc(V * V * sizeof *c->P);
  c->Q = malloc(V * V * sizeof *c->Q);
  c->lref = malloc(V * sizeof *c->lref);
  c->rw = malloc(V * sizeof *c->rw);
  ck_assert(c->P && c->Q && c->lref && c->rw);
  double sp = 0.0, sq = 0.0;
  for (size_t i = 0; i < V * V; i++) {
    c->P[i] = gsl_rng_uniform(r) < 0.05 ? 0.0 : gsl_rng_uniform_pos(r);
    c->Q[i] = gsl_rng_uniform(r) < 0.05 ? 0.0 : gsl_rng_uniform_pos(r);
    sp += c->P[i];
    sq += c->Q[i];
  }
  for (size_t i = 0; i < V * V; i++) {
    c->P[i] *= 0.3 / sp;
    c->Q[i] *= 0.3 / sq;
  }
  for (size_t y = 0; y < V; y++) {
    c->lref[y] = gsl_ran_gaussian(r, 1.0);
    c->rw[y] = gsl_ran_gaussian(r, 1.5);
  }
  as_log_softmax(c->lref, V, c->lref);
  c->d = (as_ctx_data){.V = V, .rho = 0.3, .P = c->P, .Q = c->Q,
                       .log_ref = c->lref, .reward = c->rw, .beta = 1.3,
                       .lambda = 0.4, .ridge = 0.25};
}

static void ctx_free(ctx *c)
{
  free(c->P);
  free(c->Q);
  free(c->lref);
  free(c->rw);
}

static const as_objective_type *const prep_obj[] = {
    &as_obj_pmle, &as_obj_reward, &as_obj_distill};

static double max_abs(const double *x, size_t n)
{
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    m = fmax(m, fabs(x[i]));
  return m;
}

/* f, g, H of obj at th with the prepared form (prep = 1) or without. */
static void eval_at(const as_objective_type *obj, const as_ctx_data *d,
                    int prep, const double *th, double *f, double *g,
                    double *H)
{
  as_ctx_data dl = *d;
  as_obj_prep *pp = NULL;
  if (prep) {
    ck_assert_int_eq(as_obj_prepare(obj, d, &pp), AS_OK);
    ck_assert_ptr_nonnull(pp);
    dl.prep = pp;
  }
  ck_assert_int_eq(obj->eval(&dl, th, f, g, H), AS_OK);
  as_obj_prep_free(pp);
}

/* The prepared form gives the per-pair form's f, g, H to rounding. */
START_TEST(test_prepared_matches_pairwise)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 801);
  ctx c;
  ctx_make(&c, 150, r);
  size_t V = c.V;
  double *th = malloc(V * sizeof *th), *g0 = malloc(V * sizeof *g0),
         *g1 = malloc(V * sizeof *g1), *H0 = malloc(V * V * sizeof *H0),
         *H1 = malloc(V * V * sizeof *H1);
  ck_assert(th && g0 && g1 && H0 && H1);
  for (size_t k = 0; k < 3; k++) {
    for (size_t y = 0; y < V; y++)
      th[y] = gsl_ran_gaussian(r, 3.0);
    double f0, f1;
    eval_at(prep_obj[k], &c.d, 0, th, &f0, g0, H0);
    eval_at(prep_obj[k], &c.d, 1, th, &f1, g1, H1);
    ck_assert_msg(fabs(f1 - f0) <= 1e-13 * (1.0 + fabs(f0)), "%s f %g %g",
                  prep_obj[k]->name, f0, f1);
    double gs = max_abs(g0, V), hs = max_abs(H0, V * V);
    for (size_t i = 0; i < V; i++)
      ck_assert_msg(fabs(g1[i] - g0[i]) <= 1e-12 * gs, "%s g[%zu]",
                    prep_obj[k]->name, i);
    for (size_t i = 0; i < V * V; i++)
      ck_assert_msg(fabs(H1[i] - H0[i]) <= 1e-12 * hs, "%s H[%zu]",
                    prep_obj[k]->name, i);
    /* symmetric (CG relies on it): the BT part exactly, the KL_ref
     * block to rounding */
    for (size_t a = 0; a < V; a++)
      for (size_t b = 0; b < a; b++)
        ck_assert(fabs(H1[a * V + b] - H1[b * V + a]) <= 1e-15 * hs);
  }
  free(th);
  free(g0);
  free(g1);
  free(H0);
  free(H1);
  ctx_free(&c);
  gsl_rng_free(r);
}
END_TEST

/* The prepared form's gradient against central differences of its value,
 * its Hessian against central differences of its gradient. */
START_TEST(test_prepared_fd)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 802);
  ctx c;
  ctx_make(&c, 130, r);
  size_t V = c.V;
  double *th = malloc(V * sizeof *th), *g = malloc(V * sizeof *g),
         *gp = malloc(V * sizeof *gp), *gm = malloc(V * sizeof *gm),
         *H = malloc(V * V * sizeof *H);
  ck_assert(th && g && gp && gm && H);
  const double h = 1e-5;
  for (size_t k = 0; k < 3; k++) {
    const as_objective_type *obj = prep_obj[k];
    as_obj_prep *pp;
    ck_assert_int_eq(as_obj_prepare(obj, &c.d, &pp), AS_OK);
    as_ctx_data d = c.d;
    d.prep = pp;
    for (size_t y = 0; y < V; y++)
      th[y] = gsl_ran_gaussian(r, 2.0);
    double f, fp, fm;
    ck_assert_int_eq(obj->eval(&d, th, &f, g, H), AS_OK);
    double gs = max_abs(g, V), hs = max_abs(H, V * V);
    for (size_t i = 0; i < V; i++) {
      double t = th[i];
      th[i] = t + h;
      ck_assert_int_eq(obj->eval(&d, th, &fp, gp, NULL), AS_OK);
      th[i] = t - h;
      ck_assert_int_eq(obj->eval(&d, th, &fm, gm, NULL), AS_OK);
      th[i] = t;
      ck_assert_msg(fabs((fp - fm) / (2 * h) - g[i]) <= 1e-6 * gs + 1e-10,
                    "%s g[%zu]", obj->name, i);
      for (size_t j = 0; j < V; j++)
        ck_assert_msg(fabs((gp[j] - gm[j]) / (2 * h) - H[j * V + i]) <=
                          1e-6 * hs + 1e-10,
                      "%s H[%zu,%zu]", obj->name, j, i);
    }
    as_obj_prep_free(pp);
  }
  free(th);
  free(g);
  free(gp);
  free(gm);
  free(H);
  ctx_free(&c);
  gsl_rng_free(r);
}
END_TEST

/* A logit spread beyond ~708 nats leaves the fast form (subnormal
 * exponentials): the evaluation is then the per-pair one, bit for bit. */
START_TEST(test_prepared_wide_spread)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 803);
  ctx c;
  ctx_make(&c, 140, r);
  size_t V = c.V;
  double *th = malloc(V * sizeof *th), *g0 = malloc(V * sizeof *g0),
         *g1 = malloc(V * sizeof *g1), *H0 = malloc(V * V * sizeof *H0),
         *H1 = malloc(V * V * sizeof *H1);
  ck_assert(th && g0 && g1 && H0 && H1);
  for (size_t y = 0; y < V; y++)
    th[y] = gsl_ran_gaussian(r, 1.0);
  th[7] = -800.0;
  for (size_t k = 0; k < 3; k++) {
    double f0, f1;
    eval_at(prep_obj[k], &c.d, 0, th, &f0, g0, H0);
    eval_at(prep_obj[k], &c.d, 1, th, &f1, g1, H1);
    ck_assert(f0 == f1);
    ck_assert(memcmp(g0, g1, V * sizeof *g0) == 0);
    ck_assert(memcmp(H0, H1, V * V * sizeof *H0) == 0);
  }
  free(th);
  free(g0);
  free(g1);
  free(H0);
  free(H1);
  ctx_free(&c);
  gsl_rng_free(r);
}
END_TEST

/* The CG direction against GSL's Cholesky on the same reduced, unit-
 * diagonal system (the largest logit pinned), random contexts at
 * V = 100, 200, 300: agree to 1e-9 relative. */
START_TEST(test_cg_matches_dense)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 804);
  const size_t Vs[] = {100, 200, 300};
  for (size_t t = 0; t < 3; t++) {
    ctx c;
    ctx_make(&c, Vs[t], r);
    size_t V = c.V, n = V - 1;
    double *th = malloc(V * sizeof *th), *g = malloc(V * sizeof *g),
           *H = malloc(V * V * sizeof *H), *s = malloc(V * sizeof *s),
           *b = malloc(V * sizeof *b), *y = malloc(V * sizeof *y),
           *work = malloc(5 * V * sizeof *work);
    size_t *idx = malloc(V * sizeof *idx);
    gsl_matrix *A = gsl_matrix_alloc(n, n);
    gsl_vector *x = gsl_vector_alloc(n);
    ck_assert(th && g && H && s && b && y && work && idx && A && x);
    for (size_t y0 = 0; y0 < V; y0++)
      th[y0] = gsl_ran_gaussian(r, 1.0);
    const as_objective_type *obj = prep_obj[t];
    double f;
    c.d.lambda = 0.05; /* KL_ref is not convex in θ: keep H definite */
    eval_at(obj, &c.d, 1, th, &f, g, H);
    size_t k = 0;
    for (size_t i = 1; i < V; i++)
      if (th[i] > th[k])
        k = i;
    for (size_t i = 0, a = 0; i < V; i++)
      if (i != k) {
        idx[a] = i;
        s[a] = 1.0 / sqrt(fabs(H[i * V + i]));
        b[a] = -s[a] * g[i];
        a++;
      }
    for (size_t a = 0; a < n; a++)
      for (size_t bb = 0; bb < n; bb++)
        gsl_matrix_set(A, a, bb, s[a] * s[bb] * H[idx[a] * V + idx[bb]]);
    gsl_vector_view bv = gsl_vector_view_array(b, n);
    ck_assert_int_eq(gsl_linalg_cholesky_decomp1(A), 0);
    ck_assert_int_eq(gsl_linalg_cholesky_solve(A, &bv.vector, x), 0);
    long iters;
    int cgr = as_cg_solve(V, H, n, idx, s, b, 1e-12, 2 * (long)n, y, work,
                          &iters);
    ck_assert_msg(cgr == 0, "V = %zu: CG failed after %ld", V, iters);
    ck_assert(iters > 0 && iters < (long)n);
    double xs = 0.0;
    for (size_t a = 0; a < n; a++)
      xs = fmax(xs, fabs(gsl_vector_get(x, a)));
    for (size_t a = 0; a < n; a++)
      ck_assert_msg(fabs(y[a] - gsl_vector_get(x, a)) <= 1e-9 * xs,
                    "V = %zu, %s: y[%zu] = %.17g vs %.17g", V, obj->name, a,
                    y[a], gsl_vector_get(x, a));
    free(th);
    free(g);
    free(H);
    free(s);
    free(b);
    free(y);
    free(work);
    free(idx);
    gsl_matrix_free(A);
    gsl_vector_free(x);
    ctx_free(&c);
  }
  gsl_rng_free(r);
}
END_TEST

/* A non-positive-definite system is refused (the dense path decides). */
START_TEST(test_cg_refuses_indefinite)
{
  enum { V = 3 };
  double H[V * V] = {1, 2, 0, 2, 1, 0, 0, 0, 1};
  size_t idx[V] = {0, 1, 2};
  double s[V] = {1, 1, 1}, b[V] = {1, -1, 0}, y[V], work[5 * V];
  long iters;
  ck_assert_int_eq(as_cg_solve(V, H, V, idx, s, b, 1e-12, 10, y, work,
                               &iters), -1);
}
END_TEST

/* Whole solves: the large-V path (large_v = 0) and the dense path reach
 * the same θ, with the same status; the large-V path with the caller's
 * prepared form is the same solve. */
START_TEST(test_solve_paths_agree)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 805);
  ctx c;
  ctx_make(&c, 160, r);
  size_t V = c.V;
  double *t0 = malloc(V * sizeof *t0), *t1 = malloc(V * sizeof *t1),
         *t2 = malloc(V * sizeof *t2);
  ck_assert(t0 && t1 && t2);
  for (size_t k = 0; k < 3; k++) {
    as_solve_opts o;
    as_solve_opts_default(&o);
    o.gauge = prep_obj[k] != &as_obj_reward; /* the ridge breaks it */
    as_solve_info i0, i1;
    memcpy(t0, c.lref, V * sizeof *t0);
    memcpy(t1, c.lref, V * sizeof *t1);
    o.large_v = SIZE_MAX;
    int r0 = as_solve_newton(prep_obj[k], &c.d, &o, t0, &i0, NULL);
    o.large_v = 0;
    int r1 = as_solve_newton(prep_obj[k], &c.d, &o, t1, &i1, NULL);
    ck_assert_int_eq(r0, AS_OK);
    ck_assert_int_eq(r1, AS_OK);
    ck_assert_int_eq(i0.hv_products, 0);
    ck_assert(i1.hv_products > 0);
    double ts = max_abs(t0, V);
    for (size_t y = 0; y < V; y++)
      ck_assert_msg(fabs(t1[y] - t0[y]) <= 1e-10 * (1.0 + ts),
                    "%s theta[%zu] %.17g vs %.17g", prep_obj[k]->name, y,
                    t0[y], t1[y]);
    /* the caller's prepared form (as_solve_prepare): the same solve, bit
     * for bit */
    as_ctx_data d = c.d;
    as_obj_prep *pp = NULL;
    ck_assert_int_eq(as_solve_prepare(prep_obj[k], &d, &o, &pp), AS_OK);
    ck_assert_ptr_nonnull(pp);
    d.prep = pp;
    as_solve_info i2;
    memcpy(t2, c.lref, V * sizeof *t2);
    ck_assert_int_eq(as_solve_newton(prep_obj[k], &d, &o, t2, &i2, NULL),
                     AS_OK);
    ck_assert(memcmp(t1, t2, V * sizeof *t1) == 0);
    ck_assert_int_eq(i1.iterations, i2.iterations);
    ck_assert_int_eq(i1.evals, i2.evals);
    as_obj_prep_free(pp);
  }
  free(t0);
  free(t1);
  free(t2);
  ctx_free(&c);
  gsl_rng_free(r);
}
END_TEST

/* as_fit_check_prepare at V ≥ 128, where the prepared form keeps β (its
 * temperature) and the reward's weights: a fit at the prepared method, β
 * and reward uses it and gives the plain fit's result bit for bit; a fit
 * at another β, with another reward or of another method must not be
 * served it (each again equals its plain fit — a β or reward key dropped
 * from the match makes the first two differ). */
START_TEST(test_fit_prepared_keys)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 806);
  ctx c;
  ctx_make(&c, 130, r);
  size_t V = c.V;
  double *rw2 = malloc(V * sizeof *rw2);
  ck_assert_ptr_nonnull(rw2);
  for (size_t y = 0; y < V; y++)
    rw2[y] = 1.25 * c.rw[y];
  for (size_t i = 0; i < V * V; i++) { /* one context: mass 1 each */
    c.P[i] /= 0.3;
    c.Q[i] /= 0.3;
  }
  as_data d = {.K = 1, .V = V, .n = INFINITY, .P = c.P, .Q = c.Q,
               .log_ref = c.lref};
  as_fit_checked chk;
  as_err e;
  ck_assert_msg(as_fit_check(&d, &chk, &e) == AS_OK, "%s", e.msg);
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DISTILL;
  o.beta = 1.3;
  o.lambda = 0.4;
  ck_assert_int_eq(as_fit_check_prepare(&chk, &o, c.rw, &e), AS_OK);
  ck_assert(chk.prep != NULL && chk.prep[0] != NULL);
  static const struct { as_method m; double beta; int other_reward; }
      cases[] = {{AS_METHOD_DISTILL, 1.3, 0}, {AS_METHOD_DISTILL, 2.6, 0},
                 {AS_METHOD_DISTILL, 1.3, 1}, {AS_METHOD_PMLE, 1.3, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    o.method = cases[i].m;
    o.beta = cases[i].beta;
    const double *rw = cases[i].other_reward ? rw2 : c.rw;
    as_fit_result a, b;
    ck_assert_int_eq(as_fit_with_reward(&o, &d, rw, &a, &e), AS_OK);
    ck_assert_int_eq(as_fit_with_reward_checked(&o, &chk, rw, &b, &e),
                     AS_OK);
    ck_assert_msg(memcmp(a.log_pi, b.log_pi, V * sizeof *a.log_pi) == 0,
                  "case %zu: log pi differs", i);
    ck_assert_int_eq(a.status, b.status);
    ck_assert_int_eq(a.iterations, b.iterations);
    as_fit_result_free(&a);
    as_fit_result_free(&b);
  }
  as_fit_checked_free(&chk);
  free(rw2);
  ctx_free(&c);
  gsl_rng_free(r);
}
END_TEST

/* PMLE at λ = 0 on population data recovers π* exactly (docs/reference.md
 * §3): one context at V = 300, the large-V path (the default there). */
START_TEST(test_pmle_population_recovers_pistar)
{
  const size_t V = 300;
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 1;
  p.V = V;
  as_instance *inst = as_instance_new(1, V);
  gsl_rng *r = as_rng_new(806, 1);
  double *P = malloc(V * V * sizeof *P), *th = malloc(V * sizeof *th),
         *lp = malloc(V * sizeof *lp);
  as_err err;
  ck_assert(inst && r && P && th && lp);
  ck_assert_int_eq(as_instance_draw(inst, &p, r, &err), AS_OK);
  const double beta = 0.7;
  ck_assert_int_eq(as_pref_cell_probs(inst, beta, P, &err), AS_OK);
  as_ctx_data d = {.V = V, .rho = 1.0, .P = P, .beta = beta};
  memcpy(th, inst->log_pi_ref, V * sizeof *th);
  as_solve_info info;
  ck_assert_int_eq(as_solve_newton(&as_obj_pmle, &d, NULL, th, &info, &err),
                   AS_OK);
  ck_assert(info.hv_products > 0); /* the CG path ran */
  as_log_softmax(th, V, lp);
  for (size_t y = 0; y < V; y++)
    ck_assert_msg(fabs(lp[y] - inst->log_pi_star[y]) <= 1e-9,
                  "log pi[%zu] = %.17g, log pi* = %.17g", y, lp[y],
                  inst->log_pi_star[y]);
  free(P);
  free(th);
  free(lp);
  gsl_rng_free(r);
  as_instance_free(inst);
}
END_TEST

static Suite *large_v_suite(void)
{
  Suite *s = suite_create("large_v");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_prepared_matches_pairwise);
  tcase_add_test(tc, test_prepared_fd);
  tcase_add_test(tc, test_prepared_wide_spread);
  tcase_add_test(tc, test_cg_matches_dense);
  tcase_add_test(tc, test_cg_refuses_indefinite);
  tcase_add_test(tc, test_solve_paths_agree);
  tcase_add_test(tc, test_fit_prepared_keys);
  tcase_add_test(tc, test_pmle_population_recovers_pistar);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(large_v_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
