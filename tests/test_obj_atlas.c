/* test_obj_atlas.c — the objectives of docs/reference.md §3.2 (as_objective.h, atlas):
 * (1) each value against a direct transcription of the §3.2 per-record
 *     loss written in probabilities (π_θ, π_ref, odds, z in linear space),
 *     so a wrong factor of β_d, τ, ε, γ_s or α, or a wrong sign, fails;
 * (2) gradient against central differences of the value and Hessian
 *     against central differences of the gradient (the hinge has no
 *     Hessian and a kink: its value and subgradient are checked away from
 *     kinks);
 * (3) gauge invariance: f(θ + c1) = f(θ), Σg = 0, H1 = 0.
 * Points and data come from a fixed-seed GSL generator. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_objective.h"

#define NV 5

typedef struct {
  double P[NV * NV], log_ref[NV];
  as_ctx_data d;
} fixture;

static void make_fixture(fixture *fx, gsl_rng *r)
{
  double sp = 0.0, sr = 0.0;
  for (int i = 0; i < NV * NV; i++)
    sp += fx->P[i] = gsl_rng_uniform_pos(r);
  for (int i = 0; i < NV * NV; i++)
    fx->P[i] *= 0.3 / sp;
  for (int y = 0; y < NV; y++)
    sr += exp(fx->log_ref[y] = gsl_ran_gaussian(r, 1.0));
  for (int y = 0; y < NV; y++)
    fx->log_ref[y] -= log(sr);
  memset(&fx->d, 0, sizeof fx->d);
  fx->d.V = NV;
  fx->d.rho = 0.25;
  fx->d.P = fx->P;
  fx->d.log_ref = fx->log_ref;
  fx->d.beta = 1.3;
  fx->d.beta_dpo = 0.7;
  fx->d.eps = 0.15;
  fx->d.tau = 0.4;
  fx->d.margin = 0.6;
  fx->d.alpha = 0.8;
  fx->d.loss = AS_GPO_LOGISTIC;
}

static double sig(double t) { return 1.0 / (1.0 + exp(-t)); }

/* The per-record loss of docs/reference.md §3.2 from probabilities. */
static double record_loss(const as_objective_type *o, const as_ctx_data *d,
                          const double *pi, size_t w, size_t l)
{
  const double *lr = d->log_ref;
  double bd = d->beta_dpo, e = d->eps;
  double t = log(pi[w] / exp(lr[w])) - log(pi[l] / exp(lr[l]));
  if (o == &as_obj_cdpo)
    return -(1 - e) * log(sig(bd * t)) - e * log(sig(-bd * t));
  if (o == &as_obj_rdpo)
    return ((1 - e) * -log(sig(bd * t)) - e * -log(sig(-bd * t))) /
           (1 - 2 * e);
  if (o == &as_obj_ipo)
    return pow(t - 1 / (2 * d->tau), 2);
  if (o == &as_obj_gpo) {
    double s = bd * t;
    switch (d->loss) {
    case AS_GPO_LOGISTIC: return log(1 + exp(-s));
    case AS_GPO_SQUARE: return (1 - s) * (1 - s);
    case AS_GPO_EXP: return exp(-s);
    case AS_GPO_TQUAD: return s < 1 ? (1 - s) * (1 - s) : 0;
    default: return s < 1 ? 1 - s : 0;
    }
  }
  if (o == &as_obj_simpo)
    return -log(sig(bd * (log(pi[w]) - log(pi[l])) - d->margin));
  if (o == &as_obj_orpo) {
    double ow = pi[w] / (1 - pi[w]), ol = pi[l] / (1 - pi[l]);
    return -log(pi[w]) - d->alpha * log(sig(log(ow) - log(ol)));
  }
  /* chipo */
  double zw = pi[w] / exp(lr[w]), zl = pi[l] / exp(lr[l]);
  return -log(sig(bd * ((zw + log(zw)) - (zl + log(zl)))));
}

static const as_objective_type *const atlas[] = {
    &as_obj_cdpo, &as_obj_rdpo, &as_obj_ipo, &as_obj_gpo,
    &as_obj_simpo, &as_obj_orpo, &as_obj_chipo};
#define NOBJ (sizeof atlas / sizeof atlas[0])

/* Variants: GPO runs through its smooth losses; others vary a
 * hyperparameter so that each factor is exercised at two values. */
static int n_variants(const as_objective_type *o)
{
  return o == &as_obj_gpo ? 4 : 2;
}

static void variant(const as_objective_type *o, as_ctx_data *d, int v)
{
  if (o == &as_obj_gpo)
    d->loss = v; /* logistic, square, exp, tquad */
  else if (v == 1) {
    d->beta_dpo = 2.1;
    d->eps = 0.35;
    d->tau = 1.7;
    d->margin = 0.0;
    d->alpha = 0.0;
  }
}

START_TEST(test_value_matches_spec)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 31);
  for (int rep = 0; rep < 10; rep++) {
    fixture fx;
    make_fixture(&fx, r);
    double th[NV], pi[NV], z = 0;
    for (int y = 0; y < NV; y++)
      z += exp(th[y] = gsl_ran_gaussian(r, 1.0));
    for (int y = 0; y < NV; y++)
      pi[y] = exp(th[y]) / z;
    for (size_t k = 0; k < NOBJ; k++)
      for (int v = 0; v < n_variants(atlas[k]) + (atlas[k] == &as_obj_gpo);
           v++) {
        as_ctx_data d = fx.d;
        variant(atlas[k], &d, v); /* gpo v = 4: the hinge */
        double want = 0, f;
        for (size_t w = 0; w < NV; w++)
          for (size_t l = 0; l < NV; l++)
            want += fx.P[w * NV + l] * record_loss(atlas[k], &d, pi, w, l);
        ck_assert_int_eq(atlas[k]->eval(&d, th, &f, NULL, NULL), 0);
        ck_assert_msg(fabs(f - want) <= 1e-12 * (1 + fabs(want)),
                      "%s v%d: %.17g vs docs/reference.md %.17g", atlas[k]->name, v, f,
                      want);
      }
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_gradient_hessian_fd)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 32);
  /* Central differences, h = 1e-5: truncation h²M3/6 + rounding ε|f|/h ≈
   * 4e-11; tolerance 1e-7·(1 + scale) (as test_objective.c).  The
   * truncated quadratic is C¹ only: its Hessian is checked at points with
   * no s within 1e-3 of the kink (re-drawn otherwise). */
  const double h = 1e-5;
  for (int rep = 0; rep < 20; rep++) {
    fixture fx;
    make_fixture(&fx, r);
    double th[NV];
    for (int y = 0; y < NV; y++)
      th[y] = gsl_ran_gaussian(r, 1.0);
    for (size_t k = 0; k < NOBJ; k++)
      for (int v = 0; v < n_variants(atlas[k]); v++) {
        const as_objective_type *o = atlas[k];
        as_ctx_data d = fx.d;
        variant(o, &d, v);
        if (o == &as_obj_gpo && v == AS_GPO_TQUAD) {
          int near = 0;
          for (int a = 0; a < NV; a++)
            for (int b = 0; b < NV; b++)
              near |= a != b && fabs(d.beta_dpo * ((th[a] - fx.log_ref[a]) -
                                                   (th[b] - fx.log_ref[b])) -
                                     1) < 1e-3;
          if (near)
            continue;
        }
        double f, g[NV], H[NV * NV];
        ck_assert_int_eq(o->eval(&d, th, &f, g, H), 0);
        double gmax = 0, hmax = 0;
        for (int i = 0; i < NV; i++)
          gmax = fmax(gmax, fabs(g[i]));
        for (int i = 0; i < NV * NV; i++)
          hmax = fmax(hmax, fabs(H[i]));
        ck_assert_msg(gmax > 1e-4 && hmax > 1e-4,
                      "%s v%d: degenerate point (|g| %g, |H| %g)", o->name, v,
                      gmax, hmax);
        for (int j = 0; j < NV; j++) {
          double tp[NV], tm[NV], fp, fm, gp[NV], gm[NV];
          memcpy(tp, th, sizeof tp);
          memcpy(tm, th, sizeof tm);
          tp[j] += h;
          tm[j] -= h;
          o->eval(&d, tp, &fp, gp, NULL);
          o->eval(&d, tm, &fm, gm, NULL);
          double fd = (fp - fm) / (2 * h);
          ck_assert_msg(fabs(fd - g[j]) <= 1e-7 * (1 + fabs(f)),
                        "%s v%d: g[%d] = %.12g, central difference %.12g",
                        o->name, v, j, g[j], fd);
          for (int i = 0; i < NV; i++) {
            double hd = (gp[i] - gm[i]) / (2 * h);
            ck_assert_msg(fabs(hd - H[i * NV + j]) <= 1e-7 * (1 + gmax),
                          "%s v%d: H[%d][%d] = %.12g, central difference "
                          "%.12g", o->name, v, i, j, H[i * NV + j], hd);
          }
        }
        for (int i = 0; i < NV; i++)
          for (int j = 0; j < NV; j++)
            ck_assert_msg(fabs(H[i * NV + j] - H[j * NV + i]) <=
                              1e-13 * (1 + hmax),
                          "%s: H not symmetric at %d,%d", o->name, i, j);
        double s1 = 0, fs, ths[NV];
        for (int i = 0; i < NV; i++) {
          s1 += g[i];
          ths[i] = th[i] + 3.0;
        }
        o->eval(&d, ths, &fs, NULL, NULL);
        ck_assert_msg(fabs(s1) <= 1e-12 * (1 + gmax), "%s: Σg = %g", o->name,
                      s1);
        ck_assert_msg(fabs(fs - f) <= 1e-12 * (1 + fabs(f)),
                      "%s: f(θ+3·1) = %.17g != f(θ) = %.17g", o->name, fs, f);
        for (int i = 0; i < NV; i++) {
          double row = 0;
          for (int j = 0; j < NV; j++)
            row += H[i * NV + j];
          ck_assert_msg(fabs(row) <= 1e-12 * (1 + hmax), "%s: (H1)[%d] = %g",
                        o->name, i, row);
        }
      }
  }
  gsl_rng_free(r);
}
END_TEST

/* The hinge: away from kinks its subgradient is the gradient (central
 * differences), and H stays 0. */
START_TEST(test_hinge_subgradient)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 33);
  const double h = 1e-6;
  fixture fx;
  make_fixture(&fx, r);
  fx.d.loss = AS_GPO_HINGE;
  for (int rep = 0; rep < 20; rep++) {
    double th[NV], f, g[NV];
    for (int y = 0; y < NV; y++)
      th[y] = gsl_ran_gaussian(r, 1.0);
    ck_assert_int_eq(as_obj_gpo.eval(&fx.d, th, &f, g, NULL), 0);
    for (int j = 0; j < NV; j++) {
      double tp[NV], tm[NV], fp, fm;
      memcpy(tp, th, sizeof tp);
      memcpy(tm, th, sizeof tm);
      tp[j] += h;
      tm[j] -= h;
      as_obj_gpo.eval(&fx.d, tp, &fp, NULL, NULL);
      as_obj_gpo.eval(&fx.d, tm, &fm, NULL, NULL);
      ck_assert_msg(fabs((fp - fm) / (2 * h) - g[j]) <= 1e-8,
                    "hinge g[%d] = %g vs %g", j, g[j], (fp - fm) / (2 * h));
    }
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_bad_hyperparameters)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 34);
  fixture fx;
  make_fixture(&fx, r);
  double th[NV] = {0}, f;
  as_ctx_data d = fx.d;
  d.eps = 0.5;
  ck_assert_int_ne(as_obj_cdpo.eval(&d, th, &f, NULL, NULL), 0);
  ck_assert_int_ne(as_obj_rdpo.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  d.tau = 0;
  ck_assert_int_ne(as_obj_ipo.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  d.margin = -1;
  ck_assert_int_ne(as_obj_simpo.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  d.alpha = NAN;
  ck_assert_int_ne(as_obj_orpo.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  d.loss = AS_GPO_COUNT;
  ck_assert_int_ne(as_obj_gpo.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  d.P = NULL;
  for (size_t k = 0; k < NOBJ; k++)
    ck_assert_int_ne(atlas[k]->eval(&d, th, &f, NULL, NULL), 0);
  gsl_rng_free(r);
}
END_TEST

static Suite *atlas_suite(void)
{
  Suite *s = suite_create("obj_atlas");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_value_matches_spec);
  tcase_add_test(tc, test_gradient_hessian_fd);
  tcase_add_test(tc, test_hinge_subgradient);
  tcase_add_test(tc, test_bad_hyperparameters);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(atlas_suite());
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
