/* test_prep_exact.c — distill's exact prepared form (as_obj_prepare_exact,
 * issue 8, E7): the reward side σ(r̂_a − r̂_b) and its logs made once per
 * solve.  Checks: the prepared evaluation gives the per-pair evaluation's
 * f, g, H bit for bit (any V, the tile order past V = 64, gaps beyond
 * ~708 nats where an exponential underflows, λ = 0 and λ > 0, value
 * only, β = 1 where the KL_ref term's log-normaliser comes from the pair
 * terms' exponentials); both agree with an independent long-double evaluation of
 * docs/reference.md eq. 11 written from the definition; invalid data get
 * no prepared form and the evaluation still reports them. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_error.h"
#include "as_objective.h"

typedef struct ctx {
  size_t V;
  double *Q, *lref, *rw;
  as_ctx_data d;
} ctx;

/* A random context: Q positive except ~1/5 empty cells (the diagonal
 * included), log π_ref normalised, reward ~ N(0, 2²); ρ = 0.3, β = 1.3 or
 * β = 1 (one_beta: the KL_ref term's normaliser shares the exponentials,
 * obj_exps_lse). */
static void ctx_make(ctx *c, size_t V, double lambda, int one_beta,
                     gsl_rng *r)
{
  c->V = V;
  c->Q = malloc(V * V * sizeof *c->Q);
  c->lref = malloc(V * sizeof *c->lref);
  c->rw = malloc(V * sizeof *c->rw);
  ck_assert(c->Q && c->lref && c->rw);
  for (size_t i = 0; i < V * V; i++)
    c->Q[i] = gsl_rng_uniform(r) < 0.2 ? 0.0 : gsl_rng_uniform_pos(r);
  double z = 0.0;
  for (size_t y = 0; y < V; y++) {
    c->lref[y] = gsl_ran_gaussian(r, 1.0);
    z += exp(c->lref[y]);
    c->rw[y] = gsl_ran_gaussian(r, 2.0);
  }
  for (size_t y = 0; y < V; y++)
    c->lref[y] -= log(z);
  c->d = (as_ctx_data){.V = V, .rho = 0.3, .Q = c->Q, .log_ref = c->lref,
                       .reward = c->rw, .beta = one_beta ? 1.0 : 1.3,
                       .lambda = lambda};
}

static void ctx_free(ctx *c)
{
  free(c->Q);
  free(c->lref);
  free(c->rw);
}

/* log σ(x) in long double, from the definition (no shared code). */
static long double log_sig(long double x)
{
  return x >= 0 ? -log1pl(expl(-x)) : x - log1pl(expl(x));
}

/* f of eq. 11 at th: Σ_ab Q_ab KL(Bern(σ(u_ab)) ‖ Bern(σ(βΔθ_ab))) + λρ
 * KL(π_θ‖π_ref), each KL as p (log p − log σ(t)) + q (log q − log σ(−t)),
 * long double. */
static long double f_reference(const as_ctx_data *d, const double *th)
{
  size_t V = d->V;
  long double f = 0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++) {
      long double u = (long double)d->reward[a] - d->reward[b];
      long double t = (long double)d->beta * ((long double)th[a] - th[b]);
      long double lp = log_sig(u), lq = log_sig(-u);
      long double p = expl(lp), q = expl(lq);
      long double kl = 0;
      if (p > 0)
        kl += p * (lp - log_sig(t));
      if (q > 0)
        kl += q * (lq - log_sig(-t));
      f += d->Q[a * V + b] * kl;
    }
  if (d->lambda > 0) {
    long double m = th[0], s = 0, kl = 0;
    for (size_t y = 1; y < V; y++)
      m = th[y] > m ? th[y] : m;
    for (size_t y = 0; y < V; y++)
      s += expl((long double)th[y] - m);
    long double lse = m + logl(s);
    for (size_t y = 0; y < V; y++) {
      long double l = (long double)th[y] - lse;
      kl += expl(l) * (l - d->log_ref[y]);
    }
    f += (long double)d->lambda * d->rho * kl;
  }
  return f;
}

/* f, g, H of distill at th with the exact prepared form or without. */
static void eval_at(const as_ctx_data *d, int prep, const double *th,
                    double *f, double *g, double *H)
{
  as_ctx_data dl = *d;
  as_obj_prep *pp = NULL;
  if (prep) {
    ck_assert_int_eq(as_obj_prepare_exact(&as_obj_distill, d, &pp), AS_OK);
    ck_assert_ptr_nonnull(pp);
    dl.prep = pp;
  }
  ck_assert_int_eq(as_obj_distill.eval(&dl, th, f, g, H), AS_OK);
  as_obj_prep_free(pp);
}

/* Prepared and per-pair evaluation at th: the same bits for f, g, H, and
 * the same f when only the value is asked for. */
static void check_same(const as_ctx_data *d, const double *th)
{
  size_t V = d->V;
  double f0, f1, fv0, fv1;
  double *g0 = malloc(V * sizeof *g0), *g1 = malloc(V * sizeof *g1);
  double *H0 = malloc(V * V * sizeof *H0), *H1 = malloc(V * V * sizeof *H1);
  ck_assert(g0 && g1 && H0 && H1);
  eval_at(d, 0, th, &f0, g0, H0);
  eval_at(d, 1, th, &f1, g1, H1);
  ck_assert_msg(memcmp(&f0, &f1, sizeof f0) == 0, "f %.17g vs %.17g", f0,
                f1);
  ck_assert(memcmp(g0, g1, V * sizeof *g0) == 0);
  ck_assert(memcmp(H0, H1, V * V * sizeof *H0) == 0);
  eval_at(d, 0, th, &fv0, NULL, NULL);
  eval_at(d, 1, th, &fv1, NULL, NULL);
  ck_assert(memcmp(&fv0, &f0, sizeof f0) == 0);
  ck_assert(memcmp(&fv1, &f0, sizeof f0) == 0);
  free(g0);
  free(g1);
  free(H0);
  free(H1);
}

/* Random θ of spread ~N(0, 3²); wide: one logit 800 nats down and one
 * reward 750 up (σ's smaller exponential underflows: the exp(−|t|)
 * fallback of obj_pair_at). */
static void random_point(ctx *c, gsl_rng *r, int wide, double *th)
{
  for (size_t y = 0; y < c->V; y++)
    th[y] = gsl_ran_gaussian(r, 3.0);
  if (wide) {
    th[3] = -800.0;
    c->rw[5] = 750.0;
  }
}

START_TEST(test_exact_bits)
{
  static const size_t Vs[] = {2, 10, 65, 130};
  static const double lambdas[] = {0.0, 1e-5, 0.4, 10.0};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 808);
  for (size_t i = 0; i < sizeof Vs / sizeof *Vs; i++)
    for (size_t l = 0; l < sizeof lambdas / sizeof *lambdas; l++)
      for (int wide = 0; wide < 4; wide++) {
        ctx c;
        ctx_make(&c, Vs[i], lambdas[l], wide / 2, r);
        double *th = malloc(c.V * sizeof *th);
        ck_assert_ptr_nonnull(th);
        for (int rep = 0; rep < 3; rep++) {
          random_point(&c, r, wide % 2 && c.V > 5, th);
          check_same(&c.d, th);
        }
        free(th);
        ctx_free(&c);
      }
  gsl_rng_free(r);
}
END_TEST

/* Against the long-double definition: f within 1e-13 relative (plus
 * 1e-15 absolute for an f near 0) at moderate and wide gaps. */
START_TEST(test_exact_vs_definition)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 809);
  for (int k = 0; k < 40; k++) {
    ctx c;
    ctx_make(&c, k % 2 ? 10 : 37, k % 4 < 2 ? 0.0 : 0.7, k % 8 < 4, r);
    double *th = malloc(c.V * sizeof *th);
    ck_assert_ptr_nonnull(th);
    random_point(&c, r, k % 3 == 0, th);
    double f;
    eval_at(&c.d, 1, th, &f, NULL, NULL);
    long double fr = f_reference(&c.d, th);
    double err = (double)fabsl((long double)f - fr);
    ck_assert_msg(err <= 1e-13 * (double)fabsl(fr) + 1e-15,
                  "k = %d: f %.17g vs %.17Lg", k, f, fr);
    free(th);
    ctx_free(&c);
  }
  gsl_rng_free(r);
}
END_TEST

/* Invalid data (a negative or NaN weight, a non-finite reward, β ≤ 0)
 * get no prepared form, and the evaluation reports AS_EINVAL as before. */
START_TEST(test_exact_invalid)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 810);
  for (int bad = 0; bad < 5; bad++) {
    ctx c;
    ctx_make(&c, 6, 0.5, bad % 2, r);
    if (bad == 0)
      c.Q[1 * 6 + 4] = -1e-3;
    else if (bad == 1)
      c.Q[2 * 6 + 2] = NAN; /* a tie's cell */
    else if (bad == 2)
      c.rw[3] = INFINITY;
    else if (bad == 3)
      c.d.beta = 0.0;
    else
      c.d.Q = NULL;
    as_obj_prep *pp = (as_obj_prep *)&c; /* must be overwritten */
    ck_assert_int_eq(as_obj_prepare_exact(&as_obj_distill, &c.d, &pp),
                     AS_OK);
    ck_assert_ptr_null(pp);
    double th[6] = {0.1, -0.2, 0.3, 0.0, 1.0, -1.0}, f;
    ck_assert_int_eq(as_obj_distill.eval(&c.d, th, &f, NULL, NULL),
                     AS_EINVAL);
    ctx_free(&c);
  }
  /* objectives without an exact form */
  ctx c;
  ctx_make(&c, 6, 0.5, 0, r);
  as_obj_prep *pp = NULL;
  ck_assert_int_eq(as_obj_prepare_exact(&as_obj_pmle, &c.d, &pp), AS_OK);
  ck_assert_ptr_null(pp);
  ctx_free(&c);
  gsl_rng_free(r);
}
END_TEST

static Suite *prep_exact_suite(void)
{
  Suite *s = suite_create("prep_exact");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_exact_bits);
  tcase_add_test(tc, test_exact_vs_definition);
  tcase_add_test(tc, test_exact_invalid);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(prep_exact_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
