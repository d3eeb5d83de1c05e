/* test_instance.c — random instances (sim/as_instance.h, docs/reference.md §1.1).
 *
 * Independent routes: the documented order of draws replayed by hand with a
 * twin generator; closed forms (τ = 0, a = 1 gives π_ref = π*; a' = 1/2,
 * τ' = 0 gives softmax(½ log π*)); the Gaussian law of the log-ratios
 * (variance 2(a²s² + τ²), covariance 2as² with π*'s), checked with a fixed
 * seed and tolerances of 5 standard errors of the estimator; the
 * Dirichlet(1) moments of ρ. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_randist.h>

#include "as_instance.h"
#include "as_math.h"
#include "as_rng.h"

static as_instance *drawn(const as_instance_params *p, uint64_t seed)
{
  as_instance *inst = as_instance_new(p->K, p->V);
  gsl_rng *r = as_rng_new(seed, 1);
  as_err e;
  int rc = as_instance_draw(inst, p, r, &e);
  ck_assert_msg(rc == AS_OK, "draw failed: %s", e.msg);
  gsl_rng_free(r);
  return inst;
}

static void assert_rows_normalised(const double *lp, size_t K, size_t V,
                                   const char *name)
{
  for (size_t x = 0; x < K; x++) {
    double s = 0.0;
    for (size_t y = 0; y < V; y++)
      s += exp(lp[x * V + y]);
    ck_assert_msg(fabs(s - 1.0) < 1e-12, "%s row %zu sums to %.17g", name, x,
                  s);
  }
}

START_TEST(test_new_uniform)
{
  as_instance *inst = as_instance_new(3, 4);
  ck_assert_ptr_nonnull(inst);
  as_err e;
  ck_assert_msg(as_instance_check(inst, &e) == AS_OK, "%s", e.msg);
  for (size_t i = 0; i < 12; i++)
    ck_assert_double_eq_tol(inst->log_pi_star[i], -log(4.0), 1e-15);
  ck_assert_double_eq_tol(inst->log_rho[2], -log(3.0), 1e-15);
  as_instance_free(inst);
  ck_assert_ptr_null(as_instance_new(0, 4));
  ck_assert_ptr_null(as_instance_new(3, 0));
  ck_assert_ptr_null(as_instance_new(SIZE_MAX / 2, 4));
  as_instance_free(NULL);
}
END_TEST

START_TEST(test_params_default)
{
  as_instance_params p;
  as_instance_params_default(&p);
  ck_assert_uint_eq(p.K, 10);
  ck_assert_uint_eq(p.V, 10);
  ck_assert_double_eq(p.logit_scale, 1.0);
  ck_assert_double_eq(p.ref_sharpness, 0.5);
  ck_assert_double_eq(p.ref_noise, 0.5);
  ck_assert_int_eq(p.rho_uniform, 1);
  ck_assert_int_eq(p.mu, AS_MU_REF);
  ck_assert_int_eq(p.mu2, AS_MU_SAME);
  as_err e;
  ck_assert_msg(as_instance_params_check(&p, &e) == AS_OK, "%s", e.msg);
}
END_TEST

START_TEST(test_params_check_rejects)
{
  for (int i = 0; i < 12; i++) {
    as_instance_params p;
    as_instance_params_default(&p);
    const char *needle = NULL;
    switch (i) {
    case 0: p.K = 0; needle = "K = 0"; break;
    case 1: p.V = 1; needle = "V = 1"; break;
    case 2: p.logit_scale = -1.0; needle = "logit_scale"; break;
    case 3: p.logit_scale = NAN; needle = "logit_scale"; break;
    case 4: p.ref_noise = -0.1; needle = "ref_noise"; break;
    case 5: p.ref_noise = INFINITY; needle = "ref_noise"; break;
    case 6: p.ref_sharpness = NAN; needle = "ref_sharpness"; break;
    case 7: p.mu = AS_MU_SAME; needle = "mu"; break;
    case 8: p.mu = AS_MU_DRAWN; p.mu_noise = -1.0; needle = "mu_noise"; break;
    case 9: p.mu2 = AS_MU_DRAWN; p.mu2_sharpness = INFINITY;
      needle = "mu2_sharpness"; break;
    case 10: p.mu2 = (as_mu_kind)99; needle = "mu2"; break;
    case 11: p.rho_uniform = 2; needle = "rho_uniform"; break;
    }
    as_err e;
    as_err_clear(&e);
    int rc = as_instance_params_check(&p, &e);
    ck_assert_msg(rc == AS_EINVAL, "case %d accepted (rc %d)", i, rc);
    ck_assert_msg(strstr(e.msg, needle) != NULL,
                  "case %d: message '%s' does not name '%s'", i, e.msg,
                  needle);
    /* as_instance_draw refuses them too, before touching the instance. */
    if (p.K >= 1 && p.V >= 2) {
      as_instance *inst = as_instance_new(p.K, p.V);
      gsl_rng *r = as_rng_new(1, 1);
      ck_assert_int_eq(as_instance_draw(inst, &p, r, NULL), AS_EINVAL);
      ck_assert_double_eq(inst->log_pi_star[0], -log((double)p.V));
      gsl_rng_free(r);
      as_instance_free(inst);
    }
  }
}
END_TEST

START_TEST(test_draw_normalised_and_reproducible)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.rho_uniform = 0;
  p.mu2 = AS_MU_DRAWN;
  as_instance *a = drawn(&p, 77), *b = drawn(&p, 77), *c = drawn(&p, 78);
  as_err e;
  ck_assert_msg(as_instance_check(a, &e) == AS_OK, "%s", e.msg);
  assert_rows_normalised(a->log_pi_star, 10, 10, "pi_star");
  assert_rows_normalised(a->log_pi_ref, 10, 10, "pi_ref");
  assert_rows_normalised(a->log_mu, 10, 10, "mu");
  assert_rows_normalised(a->log_mu2, 10, 10, "mu2");
  assert_rows_normalised(a->log_rho, 1, 10, "rho");
  size_t kv = 100 * sizeof(double);
  ck_assert(memcmp(a->log_pi_star, b->log_pi_star, kv) == 0);
  ck_assert(memcmp(a->log_pi_ref, b->log_pi_ref, kv) == 0);
  ck_assert(memcmp(a->log_mu2, b->log_mu2, kv) == 0);
  ck_assert(memcmp(a->log_rho, b->log_rho, 10 * sizeof(double)) == 0);
  ck_assert(memcmp(a->log_pi_star, c->log_pi_star, kv) != 0);
  /* Defaults μ = π_ref. */
  ck_assert(memcmp(a->log_mu, a->log_pi_ref, kv) == 0);
  as_instance *d = as_instance_clone(a);
  ck_assert(memcmp(a->log_mu2, d->log_mu2, kv) == 0);
  ck_assert(memcmp(a->log_rho, d->log_rho, 10 * sizeof(double)) == 0);
  as_instance_free(a);
  as_instance_free(b);
  as_instance_free(c);
  as_instance_free(d);
}
END_TEST

/* The header's order of draws, replayed by hand on a twin generator. */
START_TEST(test_draw_order)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 3;
  p.V = 4;
  p.logit_scale = 1.7;
  p.ref_sharpness = 0.3;
  p.ref_noise = 0.9;
  p.rho_uniform = 0;
  p.mu = AS_MU_DRAWN;
  p.mu_sharpness = 1.2;
  p.mu_noise = 0.4;
  p.mu2 = AS_MU_DRAWN;
  p.mu2_sharpness = -0.5;
  p.mu2_noise = 2.0;
  as_instance *inst = drawn(&p, 31);
  gsl_rng *r = as_rng_new(31, 1);
  double z[4], t[4], want[4], e[3];
  for (size_t x = 0; x < 3; x++) {
    for (int y = 0; y < 4; y++)
      z[y] = gsl_ran_gaussian(r, 1.7);
    as_log_softmax(z, 4, want);
    for (int y = 0; y < 4; y++)
      ck_assert_double_eq_tol(inst->log_pi_star[x * 4 + y], want[y], 1e-14);
    double sh[3] = {0.3, 1.2, -0.5}, no[3] = {0.9, 0.4, 2.0};
    const double *got[3] = {inst->log_pi_ref, inst->log_mu, inst->log_mu2};
    for (int k = 0; k < 3; k++) {
      for (int y = 0; y < 4; y++)
        t[y] = sh[k] * z[y] + no[k] * gsl_ran_gaussian(r, 1.0);
      as_log_softmax(t, 4, want);
      for (int y = 0; y < 4; y++)
        ck_assert_msg(fabs(got[k][x * 4 + y] - want[y]) < 1e-14,
                      "table %d, x %zu, y %d: %g vs %g", k, x, y,
                      got[k][x * 4 + y], want[y]);
    }
  }
  double se = 0.0;
  for (int x = 0; x < 3; x++)
    se += e[x] = gsl_ran_exponential(r, 1.0);
  for (int x = 0; x < 3; x++)
    ck_assert_double_eq_tol(inst->log_rho[x], log(e[x] / se), 1e-14);
  gsl_rng_free(r);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_closed_forms)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 50;
  p.ref_sharpness = 1.0;
  p.ref_noise = 0.0;
  p.mu = AS_MU_UNIFORM;
  p.mu2 = AS_MU_DRAWN;
  p.mu2_sharpness = 0.5;
  p.mu2_noise = 0.0;
  as_instance *inst = drawn(&p, 5);
  double want[10];
  for (size_t x = 0; x < 50; x++) {
    const double *ls = inst->log_pi_star + x * 10;
    double half[10];
    for (int y = 0; y < 10; y++)
      half[y] = 0.5 * ls[y];
    as_log_softmax(half, 10, want);
    for (int y = 0; y < 10; y++) {
      /* a = 1, τ = 0: π_ref = softmax(z) = π* (the same arithmetic). */
      ck_assert_double_eq(inst->log_pi_ref[x * 10 + y], ls[y]);
      ck_assert_double_eq_tol(inst->log_mu[x * 10 + y], -log(10.0), 1e-15);
      /* softmax(½ z) = softmax(½ log π*): the normaliser cancels. */
      ck_assert_msg(fabs(inst->log_mu2[x * 10 + y] - want[y]) < 1e-12,
                    "mu2[%zu][%d] = %g, softmax(log pi*/2) = %g", x, y,
                    inst->log_mu2[x * 10 + y], want[y]);
    }
  }
  as_instance_free(inst);
  p.mu = AS_MU_STAR;
  p.mu2 = AS_MU_SAME;
  inst = drawn(&p, 6);
  ck_assert(memcmp(inst->log_mu, inst->log_pi_star, 500 * sizeof(double)) == 0);
  ck_assert(memcmp(inst->log_mu2, inst->log_mu, 500 * sizeof(double)) == 0);
  as_instance_free(inst);
}
END_TEST

/* log π*(y)/π*(y') = z_y − z_y' ~ N(0, 2s²); the π_ref log-ratio is
 * a(z_y − z_y') + τ(ξ_y − ξ_y') ~ N(0, 2(a²s² + τ²)); their covariance is
 * 2as².  Disjoint pairs (0,1), (2,3), ... in 2000 contexts give 10^4 iid
 * pairs.  Tolerances: 5 standard errors, se(var) = σ²√(2/n) and
 * se(cov) = √((σ_x²σ_y² + c²)/n) for bivariate normal data. */
START_TEST(test_log_ratio_law)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 2000;
  p.logit_scale = 2.0;
  p.ref_sharpness = 0.5;
  p.ref_noise = 0.7;
  as_instance *inst = drawn(&p, 2718);
  double sxx = 0, syy = 0, sxy = 0;
  size_t n = 0;
  for (size_t x = 0; x < p.K; x++)
    for (size_t y = 0; y < 10; y += 2, n++) {
      double u = inst->log_pi_star[x * 10 + y] - inst->log_pi_star[x * 10 + y + 1];
      double v = inst->log_pi_ref[x * 10 + y] - inst->log_pi_ref[x * 10 + y + 1];
      sxx += u * u;
      syy += v * v;
      sxy += u * v;
    }
  /* Means are known (0), so second moments are the estimators. */
  double vx = 2 * 4.0, vy = 2 * (0.25 * 4.0 + 0.49), c = 2 * 0.5 * 4.0;
  double ex = sxx / n, ey = syy / n, ec = sxy / n;
  double sex = vx * sqrt(2.0 / n), sey = vy * sqrt(2.0 / n);
  double sec = sqrt((vx * vy + c * c) / n);
  ck_assert_msg(fabs(ex - vx) < 5 * sex, "var log-ratio pi*: %g, want %g ± %g",
                ex, vx, 5 * sex);
  ck_assert_msg(fabs(ey - vy) < 5 * sey,
                "var log-ratio pi_ref: %g, want %g ± %g", ey, vy, 5 * sey);
  ck_assert_msg(fabs(ec - c) < 5 * sec, "covariance: %g, want %g ± %g", ec, c,
                5 * sec);
  as_instance_free(inst);
}
END_TEST

/* ρ ~ Dirichlet(1,...,1): ρ_0 ~ Beta(1, K−1), mean 1/K, variance
 * (K−1)/(K²(K+1)); 4000 draws, 5 standard errors. */
START_TEST(test_rho_dirichlet)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 5;
  p.V = 2;
  p.rho_uniform = 0;
  as_instance *inst = as_instance_new(5, 2);
  gsl_rng *r = as_rng_new(11, 2);
  enum { R = 4000 };
  double s = 0.0;
  for (int i = 0; i < R; i++) {
    ck_assert_int_eq(as_instance_draw(inst, &p, r, NULL), AS_OK);
    s += exp(inst->log_rho[0]);
  }
  double var = 4.0 / (25.0 * 6.0), se = sqrt(var / R);
  ck_assert_msg(fabs(s / R - 0.2) < 5 * se, "mean rho_0 = %g, want 0.2 ± %g",
                s / R, 5 * se);
  gsl_rng_free(r);
  as_instance_free(inst);
}
END_TEST

/* Dirichlet ρ has every ρ(x) > 0 almost surely, but GSL's
 * gsl_ran_exponential is −log1p(−u) with u = gsl_rng_uniform ∈ [0, 1), so
 * u = 0 (probability 2^-32 per draw under pcg32) gave E_x = 0, ρ(x) = 0 and
 * log ρ(x) = −inf.  A pcg32 state of 0 outputs 0 first; as_rng_seed sets
 * state = (initstate + inc)·M + inc with inc = 2·initseq + 1, so initstate =
 * −inc·M⁻¹ − inc (mod 2^64) makes the first uniform exactly 0.  Failed
 * before the fix (log_rho[0] = -inf); an exact zero is now redrawn. */
START_TEST(test_rho_dirichlet_no_zero)
{
  const uint64_t M = 6364136223846793005ULL, seq = 9, inc = 2 * seq + 1;
  uint64_t minv = M;                 /* Newton: M·minv ≡ 1 (mod 2^64) */
  for (int i = 0; i < 6; i++)
    minv *= 2 - M * minv;
  ck_assert_msg(M * minv == 1, "inverse of the multiplier");
  uint64_t initstate = (uint64_t)0 - inc * minv - inc;
  gsl_rng *r = as_rng_new(initstate, seq);
  gsl_rng *twin = as_rng_new(initstate, seq);
  ck_assert_msg(gsl_rng_uniform(twin) == 0.0, "crafted seed: first u != 0");
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = 3;
  p.rho_uniform = 0;
  as_instance *inst = as_instance_new(3, p.V);
  as_instance_draw_rho(inst, &p, r);
  for (size_t x = 0; x < 3; x++)
    ck_assert_msg(isfinite(inst->log_rho[x]), "log rho[%zu] = %g", x,
                  inst->log_rho[x]);
  as_err e;
  ck_assert_msg(as_instance_check(inst, &e) == AS_OK, "%s", e.msg);
  gsl_rng_free(r);
  gsl_rng_free(twin);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_check_rejects)
{
  as_instance *inst = as_instance_new(2, 3);
  as_err e;
  inst->log_pi_ref[4] = NAN;
  ck_assert_int_eq(as_instance_check(inst, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "log_pi_ref[1][1]") != NULL, "%s", e.msg);
  inst->log_pi_ref[4] = -log(3.0);
  inst->log_mu[0] = -log(2.0); /* row 0 of μ now sums to 1/2 + 2/3 */
  ck_assert_int_eq(as_instance_check(inst, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "log_mu row 0") != NULL, "%s", e.msg);
  /* a zero is allowed in μ when the row is normalised ... */
  inst->log_mu[0] = -INFINITY;
  inst->log_mu[1] = inst->log_mu[2] = -log(2.0);
  ck_assert_msg(as_instance_check(inst, &e) == AS_OK, "%s", e.msg);
  /* ... but not in π* (full support). */
  memcpy(inst->log_pi_star, inst->log_mu, 3 * sizeof(double));
  ck_assert_int_eq(as_instance_check(inst, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "log_pi_star[0][0]") != NULL, "%s", e.msg);
  as_instance_free(inst);

  as_instance_params p;
  as_instance_params_default(&p);
  inst = as_instance_new(3, 10);
  gsl_rng *r = as_rng_new(1, 1);
  ck_assert_int_eq(as_instance_draw(inst, &p, r, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "K = 10") != NULL, "%s", e.msg);
  gsl_rng_free(r);
  as_instance_free(inst);
}
END_TEST

static Suite *instance_suite(void)
{
  Suite *s = suite_create("instance");
  TCase *tc = tcase_create("instance");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_new_uniform);
  tcase_add_test(tc, test_params_default);
  tcase_add_test(tc, test_params_check_rejects);
  tcase_add_test(tc, test_draw_normalised_and_reproducible);
  tcase_add_test(tc, test_draw_order);
  tcase_add_test(tc, test_closed_forms);
  tcase_add_test(tc, test_log_ratio_law);
  tcase_add_test(tc, test_rho_dirichlet);
  tcase_add_test(tc, test_rho_dirichlet_no_zero);
  tcase_add_test(tc, test_check_rejects);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(instance_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
