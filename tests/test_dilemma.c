/* test_dilemma.c — the RLHF floor F_RLHF (docs/reference.md §3) against independent
 * routes: the closed-form case π_ref ∝ π*^α (floor 0 at λ = β/(1−α)), the
 * t = 0 case (π_ref sharper than π*), a dense grid over t with KLs from
 * as_metrics' as_kl, finite differences and convexity. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "as_dilemma.h"
#include "as_instance.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_rng.h"

/* Deterministic logits z[x][y] (no generator needed). */
static void logits(size_t K, size_t V, double *z)
{
  for (size_t x = 0; x < K; x++)
    for (size_t y = 0; y < V; y++)
      z[x * V + y] = 1.3 * sin(0.7 * (double)(x + 1) * (double)(y + 2))
                     + 0.2 * (double)y;
}

/* π* = softmax(z), π_ref = softmax(alpha z). */
static as_instance *power_instance(size_t K, size_t V, double alpha)
{
  as_instance *inst = as_instance_new(K, V);
  double *z = malloc(K * V * sizeof(double));
  logits(K, V, z);
  for (size_t x = 0; x < K; x++) {
    double *ls = inst->log_pi_star + x * V, *lr = inst->log_pi_ref + x * V;
    for (size_t y = 0; y < V; y++) {
      ls[y] = z[x * V + y];
      lr[y] = alpha * z[x * V + y];
    }
    as_log_softmax(ls, V, ls);
    as_log_softmax(lr, V, lr);
  }
  free(z);
  return inst;
}

/* f(t) through as_kl (as_metrics.c), an implementation independent of
 * as_dilemma's own loop. */
static double f_via_metrics(const as_instance *inst, double t)
{
  size_t V = inst->V;
  double *row = malloc(V * sizeof(double)), f = 0;
  for (size_t x = 0; x < inst->K; x++) {
    for (size_t y = 0; y < V; y++)
      row[y] = inst->log_pi_ref[x * V + y] + t * inst->log_pi_star[x * V + y];
    as_log_softmax(row, V, row);
    f += exp(inst->log_rho[x]) * as_kl(inst->log_pi_star + x * V, row, V);
  }
  free(row);
  return f;
}

START_TEST(test_power_family_floor_zero)
{
  /* π_ref ∝ π*^α, α < 1: π_t ∝ π*^{α+t}, so t* = 1 − α, F = 0 and
   * λ* = β/(1 − α) (docs/reference.md §3). */
  const double alphas[] = {0.0, 0.3, 0.5, 0.9, -0.5};
  const double betas[] = {1.0, 0.25, 3.0};
  for (size_t i = 0; i < sizeof alphas / sizeof alphas[0]; i++)
    for (size_t j = 0; j < sizeof betas / sizeof betas[0]; j++) {
      as_instance *inst = power_instance(6, 8, alphas[i]);
      as_dilemma d;
      as_err e;
      ck_assert_int_eq(as_dilemma_floor(inst, betas[j], &d, &e), AS_OK);
      ck_assert_msg(fabs(d.floor) < 1e-10, "alpha %g: floor %.3e, want 0",
                    alphas[i], d.floor);
      ck_assert_msg(fabs(d.t - (1 - alphas[i])) < 1e-6,
                    "alpha %g: t* %.12g, want %.12g", alphas[i], d.t,
                    1 - alphas[i]);
      double want = betas[j] / (1 - alphas[i]);
      ck_assert_msg(fabs(d.lambda - want) < 1e-6 * want,
                    "alpha %g beta %g: lambda* %.12g, want %.12g", alphas[i],
                    betas[j], d.lambda, want);
      ck_assert_msg(fabs(d.f0 - f_via_metrics(inst, 0)) < 1e-13,
                    "f0 %.17g vs %.17g", d.f0, f_via_metrics(inst, 0));
      as_instance_free(inst);
    }
}
END_TEST

START_TEST(test_sharper_reference_gives_t_zero)
{
  /* π_ref ∝ π*^2: f'(0) = E_ref log π* − E_* log π* > 0, so the infimum is at
   * λ = ∞ (π_ref itself) and equals KL(π*‖π_ref). */
  as_instance *inst = power_instance(5, 7, 2.0);
  as_dilemma d;
  as_err e;
  double g0;
  as_dilemma_kl_at(inst, 0, &g0);
  ck_assert_msg(g0 > 0, "f'(0) = %g should be > 0 here", g0);
  ck_assert_int_eq(as_dilemma_floor(inst, 1.0, &d, &e), AS_OK);
  ck_assert_msg(d.t == 0 && isinf(d.lambda), "t* %g lambda %g", d.t,
                d.lambda);
  double want = f_via_metrics(inst, 0);
  ck_assert_msg(fabs(d.floor - want) < 1e-13, "floor %.17g want %.17g",
                d.floor, want);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_random_instances_match_dense_grid)
{
  /* Instances of docs/reference.md §1.1 (a = 0.5, τ = 0.5 and a = 1, τ = 0.5).  Grid on
   * [0, 6] with step h = 1e-4: at the grid minimum f exceeds F by at most
   * f''·h²/2 ≲ 1e-7 (f'' = Var log π* ≤ a few); F must never exceed any
   * grid value by more than rounding. */
  const double sharp[] = {0.5, 1.0, 0.2};
  for (size_t c = 0; c < 3; c++)
    for (uint64_t seed = 1; seed <= 3; seed++) {
      as_instance_params p;
      as_instance_params_default(&p);
      p.ref_sharpness = sharp[c];
      gsl_rng *r = as_rng_new(seed, 7);
      as_instance *inst = as_instance_new(p.K, p.V);
      as_err e;
      ck_assert_int_eq(as_instance_draw(inst, &p, r, &e), AS_OK);
      as_dilemma d;
      ck_assert_int_eq(as_dilemma_floor(inst, 1.0, &d, &e), AS_OK);
      double gmin = INFINITY, targ = 0;
      for (int i = 0; i <= 60000; i++) {
        double t = 1e-4 * i, f = f_via_metrics(inst, t);
        if (f < gmin) {
          gmin = f;
          targ = t;
        }
      }
      ck_assert_msg(d.floor <= gmin + 1e-12,
                    "a=%g seed %d: floor %.17g above grid min %.17g",
                    sharp[c], (int)seed, d.floor, gmin);
      ck_assert_msg(gmin - d.floor < 1e-7,
                    "a=%g seed %d: floor %.17g, grid min %.17g", sharp[c],
                    (int)seed, d.floor, gmin);
      ck_assert_msg(fabs(d.t - targ) < 2e-3, "t* %g, grid argmin %g", d.t,
                    targ);
      ck_assert_msg(d.floor > 0 && d.floor <= d.f0, "floor %g f0 %g",
                    d.floor, d.f0);
      if (d.t > 0) { /* interior minimum: f'(t*) = 0 */
        double g;
        as_dilemma_kl_at(inst, d.t, &g);
        ck_assert_msg(fabs(g) < 1e-6, "f'(t*) = %g", g);
      }
      as_instance_free(inst);
      gsl_rng_free(r);
    }
}
END_TEST

START_TEST(test_derivative_and_convexity)
{
  as_instance_params p;
  as_instance_params_default(&p);
  gsl_rng *r = as_rng_new(11, 3);
  as_instance *inst = as_instance_new(p.K, p.V);
  as_err e;
  ck_assert_int_eq(as_instance_draw(inst, &p, r, &e), AS_OK);
  for (int i = 0; i < 40; i++) {
    double t = 0.15 * i + 0.01, h = 1e-5, g;
    double f = as_dilemma_kl_at(inst, t, &g);
    ck_assert_msg(fabs(f - f_via_metrics(inst, t)) < 1e-13, "f(%g)", t);
    double fd = (as_dilemma_kl_at(inst, t + h, NULL)
                 - as_dilemma_kl_at(inst, t - h, NULL)) / (2 * h);
    /* central difference error O(h² f''') plus rounding 1e-16/h */
    ck_assert_msg(fabs(fd - g) < 1e-8, "t %g: f' %.12g vs fd %.12g", t, g, fd);
    double t2 = t * 1.7 + 0.3;
    double mid = as_dilemma_kl_at(inst, 0.5 * (t + t2), NULL);
    double chord = 0.5 * (f + as_dilemma_kl_at(inst, t2, NULL));
    ck_assert_msg(mid <= chord + 1e-14, "not convex: f(mid) %.17g > %.17g",
                  mid, chord);
  }
  ck_assert(isnan(as_dilemma_kl_at(inst, -1, NULL)));
  as_dilemma d;
  ck_assert_int_eq(as_dilemma_floor(inst, 0, &d, &e), AS_EINVAL);
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_floor_independent_of_beta)
{
  as_instance_params p;
  as_instance_params_default(&p);
  gsl_rng *r = as_rng_new(5, 5);
  as_instance *inst = as_instance_new(p.K, p.V);
  as_err e;
  ck_assert_int_eq(as_instance_draw(inst, &p, r, &e), AS_OK);
  as_dilemma d1, d2;
  ck_assert_int_eq(as_dilemma_floor(inst, 1.0, &d1, &e), AS_OK);
  ck_assert_int_eq(as_dilemma_floor(inst, 4.0, &d2, &e), AS_OK);
  ck_assert_msg(fabs(d1.floor - d2.floor) < 1e-12, "%.17g %.17g", d1.floor,
                d2.floor);
  ck_assert_msg(fabs(d2.lambda - 4 * d1.lambda) < 1e-5 * d2.lambda,
                "lambda* scales with beta: %g %g", d1.lambda, d2.lambda);
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("dilemma");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_power_family_floor_zero);
  tcase_add_test(tc, test_sharper_reference_gives_t_zero);
  tcase_add_test(tc, test_random_instances_match_dense_grid);
  tcase_add_test(tc, test_derivative_and_convexity);
  tcase_add_test(tc, test_floor_independent_of_beta);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
