/* test_theory.c — theory quantities by enumeration (sim/as_theory.h,
 * docs/reference.md §5).
 *
 * Independent routes: a one-context, two-response class where every
 * quantity has a closed form written out below; the identity C_Π = 1 when
 * μ = π* (r̄ is then π*-centred, so numerator and denominator coincide);
 * invariance of r̄ under per-context shifts of log π; an uncovered
 * direction (μ(y) = 0 where π and π* differ) giving C = +inf; the reward
 * class built from shifted rewards equal to the policy class. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "as_finite.h"
#include "as_instance.h"
#include "as_math.h"
#include "as_rng.h"
#include "as_theory.h"

static double sigm(double t) { return 1.0 / (1.0 + exp(-t)); }

/* K = 1, V = 2: π* = (p, 1−p), μ = (m, 1−m), μ' = (m2, 1−m2), one
 * member π = (q, 1−q).  With L_u = log(u/(1−u)) and Δ = L_q − L_p:
 *   r̄_π = β L_q (1−m, −m),   f = r̄_π − r̄_π* = βΔ (1−m, −m),
 *   E_μ f² = β²Δ² m(1−m),    E_π* f² = β²Δ² [p(1−m)² + (1−p)m²],
 *   C_Π = [p(1−m)² + (1−p)m²] / [m(1−m)]   (independent of q and β),
 *   C'  = [p(1−m)² + (1−p)m²] / [m2(1−m2)] (Theorem 14 with Π_R = {π*}),
 *   R_max = β max(m, 1−m) max(|L_p|, |L_q|), B_σ = β max(|L_p|, |L_q|),
 *   B_v = |Δ| max(m, 1−m),
 *   E[(ΔP)²] = 2m(1−m) (σ(βL_q) − σ(βL_p))²,
 *   E[H²]    = 2m(1−m) [1 − √(σ(βL_q)σ(βL_p)) − √(σ(−βL_q)σ(−βL_p))],
 *   KL(π*‖π) = p log(p/q) + (1−p) log((1−p)/(1−q)),
 *   Schulman = p(e^{v1}−1−v1) + (1−p)(e^{v2}−1−v2), v = Δ(1−m, −m). */
START_TEST(test_two_member_closed_form)
{
  const double ps[] = {0.3, 0.7, 0.55}, qs[] = {0.6, 0.2, 0.95};
  const double ms[] = {0.5, 0.1, 0.8}, m2s[] = {0.3, 0.5, 0.9};
  const double betas[] = {0.5, 1.0, 2.5};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double p = ps[i], q = qs[j], m = ms[(i + j) % 3], m2 = m2s[j];
      double beta = betas[i];
      as_instance *inst = as_instance_new(1, 2);
      inst->log_pi_star[0] = log(p);
      inst->log_pi_star[1] = log1p(-p);
      inst->log_mu[0] = log(m);
      inst->log_mu[1] = log1p(-m);
      inst->log_mu2[0] = log(m2);
      inst->log_mu2[1] = log1p(-m2);
      as_finite_class *c = as_finite_new(2, 1, 2);
      c->log_pi[0] = log(p);
      c->log_pi[1] = log1p(-p);
      c->log_pi[2] = log(q);
      c->log_pi[3] = log1p(-q);
      double Lp = log(p / (1 - p)), Lq = log(q / (1 - q)), D = Lq - Lp;
      double num = p * (1 - m) * (1 - m) + (1 - p) * m * m;
      double C = num / (m * (1 - m)), Cp = num / (m2 * (1 - m2));
      double Rmax = beta * fmax(m, 1 - m) * fmax(fabs(Lp), fabs(Lq));
      as_err e;
      double Cg;
      size_t am;
      ck_assert_int_eq(as_theory_coverage(inst, c, NULL, NULL, &Cg, &am, NULL, &e),
                       AS_OK);
      ck_assert_msg(fabs(Cg - C) <= 1e-12 * C && am == 1,
                    "p %g q %g m %g: C %.15g, closed form %.15g (argmax %zu)",
                    p, q, m, Cg, C, am);
      as_theory_summary s;
      ck_assert_int_eq(as_theory_summarise(inst, c, NULL, beta, &s, &e), AS_OK);
      ck_assert_double_eq_tol(s.C_Pi, C, 1e-12 * C);
      ck_assert_double_eq_tol(s.C_R, C, 1e-12 * C);
      ck_assert_double_eq_tol(s.ranges.R_max, Rmax, 1e-12 * Rmax);
      ck_assert_double_eq_tol(s.ranges.B_sigma,
                              beta * fmax(fabs(Lp), fabs(Lq)), 1e-12);
      ck_assert_double_eq_tol(s.ranges.B_v, fabs(D) * fmax(m, 1 - m), 1e-12);
      /* Theorem 14 against {π*} alone and μ' = (m2, 1−m2). */
      as_finite_class *star = as_finite_new(1, 1, 2);
      memcpy(star->log_pi, inst->log_pi_star, 2 * sizeof(double));
      ck_assert_int_eq(as_theory_coverage(inst, c, star, inst->log_mu2, &Cg,
                                          NULL, NULL, &e), AS_OK);
      ck_assert_msg(fabs(Cg - Cp) <= 1e-12 * Cp, "C' %.15g, closed form %.15g",
                    Cg, Cp);
      /* The chain quantities of member 1. */
      as_theory_chain ch;
      ck_assert_int_eq(as_theory_chain_member(inst, c->log_pi + 2, beta, &ch, &e),
                       AS_OK);
      double sq = sigm(beta * Lq), sp = sigm(beta * Lp);
      double pref = 2 * m * (1 - m) * (sq - sp) * (sq - sp);
      double hel = 2 * m * (1 - m)
                   * (1 - sqrt(sq * sp) - sqrt((1 - sq) * (1 - sp)));
      double fmu = beta * beta * D * D * m * (1 - m);
      double fst = beta * beta * D * D * num;
      double kl = p * log(p / q) + (1 - p) * log((1 - p) / (1 - q));
      double v1 = D * (1 - m), v2 = -D * m;
      double sch = p * (exp(v1) - 1 - v1) + (1 - p) * (exp(v2) - 1 - v2);
      ck_assert_double_eq_tol(ch.pref_sq, pref, 1e-14);
      ck_assert_double_eq_tol(ch.hellinger2, hel, 1e-13);
      ck_assert_double_eq_tol(ch.reward_sq_mu, fmu, 1e-12 * (1 + fmu));
      ck_assert_double_eq_tol(ch.pair_sq, 2 * fmu, 1e-12 * (1 + fmu));
      ck_assert_double_eq_tol(ch.reward_sq_target, fst, 1e-12 * (1 + fst));
      ck_assert_double_eq_tol(ch.kl, kl, 1e-14);
      ck_assert_double_eq_tol(ch.schulman, sch, 1e-13);
      ck_assert_double_eq_tol(ch.B_v, fabs(D) * fmax(m, 1 - m), 1e-12);
      ck_assert_double_eq_tol(ch.B_sigma, beta * fmax(fabs(Lp), fabs(Lq)),
                              1e-12);
      as_finite_free(star);
      as_finite_free(c);
      as_instance_free(inst);
    }
}
END_TEST

static as_instance *draw_instance(size_t K, size_t V, uint64_t seed)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = K;
  p.V = V;
  p.rho_uniform = 0;
  as_instance *inst = as_instance_new(K, V);
  gsl_rng *r = as_rng_new(seed, 17);
  as_err e;
  ck_assert_msg(as_instance_draw(inst, &p, r, &e) == AS_OK, "%s", e.msg);
  gsl_rng_free(r);
  return inst;
}

static as_finite_class *generate(const as_instance *inst, uint64_t seed)
{
  const double dist[] = {0.01, 0.1, 1.0};
  gsl_rng *r = as_rng_new(seed, 19);
  as_finite_class *c = NULL;
  as_err e;
  ck_assert_msg(as_finite_generate(inst, dist, 3, 3, r, &c, &e) == AS_OK, "%s",
                e.msg);
  gsl_rng_free(r);
  return c;
}

/* μ = π*: r̄ is π*-centred, so E_π*[f²] = Var_π*(f) and C_Π = 1. */
START_TEST(test_coverage_one_when_mu_is_star)
{
  for (uint64_t seed = 1; seed <= 10; seed++) {
    size_t K = 1 + seed % 4, V = 2 + seed % 5;
    as_instance *inst = draw_instance(K, V, seed);
    memcpy(inst->log_mu, inst->log_pi_star, K * V * sizeof(double));
    as_finite_class *c = generate(inst, seed);
    double C;
    as_err e;
    ck_assert_int_eq(as_theory_coverage(inst, c, NULL, NULL, &C, NULL, NULL, &e),
                     AS_OK);
    ck_assert_msg(fabs(C - 1.0) <= 1e-12, "seed %lu: C = %.17g",
                  (unsigned long)seed, C);
    as_finite_free(c);
    as_instance_free(inst);
  }
}
END_TEST

/* r̄ is invariant to log π ↦ log π + c(x) (an unnormalised table), and the
 * reward class built from shifted rewards β log π + c(x) is Π itself. */
START_TEST(test_centred_reward_shift_invariance)
{
  size_t K = 4, V = 6;
  as_instance *inst = draw_instance(K, V, 31);
  as_finite_class *c = generate(inst, 32);
  gsl_rng *r = as_rng_new(33, 1);
  double beta = 1.7;
  double *a = malloc(K * V * sizeof(double)), *b = malloc(K * V * sizeof(double));
  double *sh = malloc(K * V * sizeof(double));
  double *rw = malloc(c->M * K * V * sizeof(double));
  for (size_t m = 0; m < c->M; m++) {
    const double *lp = as_finite_member(c, m);
    for (size_t x = 0; x < K; x++) {
      double s = 10.0 * gsl_ran_gaussian(r, 1.0);
      for (size_t y = 0; y < V; y++) {
        sh[x * V + y] = lp[x * V + y] + s;
        rw[(m * K + x) * V + y] = beta * lp[x * V + y] + 3.0 * s;
      }
    }
    as_theory_centred_reward(K, V, lp, inst->log_mu, beta, a);
    as_theory_centred_reward(K, V, sh, inst->log_mu, beta, b);
    for (size_t i = 0; i < K * V; i++)
      ck_assert_msg(fabs(a[i] - b[i]) <= 1e-12 * (1 + fabs(a[i])),
                    "member %zu entry %zu: %.17g vs %.17g", m, i, a[i], b[i]);
    /* centred: E_μ r̄ = 0 in every context */
    for (size_t x = 0; x < K; x++) {
      double mean = 0.0;
      for (size_t y = 0; y < V; y++)
        mean += exp(inst->log_mu[x * V + y]) * a[x * V + y];
      ck_assert_double_eq_tol(mean, 0.0, 1e-13);
    }
  }
  as_finite_class *R = NULL;
  as_err e;
  ck_assert_int_eq(as_theory_reward_class(c->M, K, V, rw, beta, &R, &e), AS_OK);
  for (size_t i = 0; i < c->M * K * V; i++)
    ck_assert_double_eq_tol(R->log_pi[i], c->log_pi[i], 1e-12);
  double C1, C2;
  ck_assert_int_eq(as_theory_coverage(inst, c, NULL, NULL, &C1, NULL, NULL, &e),
                   AS_OK);
  ck_assert_int_eq(as_theory_coverage(inst, R, NULL, NULL, &C2, NULL, NULL, &e),
                   AS_OK);
  ck_assert_double_eq_tol(C1, C2, 1e-10 * C1);
  ck_assert(C1 > 0.0 && isfinite(C1));
  free(a);
  free(b);
  free(sh);
  free(rw);
  gsl_rng_free(r);
  as_finite_free(R);
  as_finite_free(c);
  as_instance_free(inst);
}
END_TEST

/* μ gives no mass to the only response where π and π* differ (after
 * centring): C = +inf.  A class of π* alone has nothing to cover: C = 0. */
START_TEST(test_coverage_uncovered_and_trivial)
{
  as_instance *inst = as_instance_new(1, 3);
  const double ls[] = {log(0.5), log(0.3), log(0.2)};
  memcpy(inst->log_pi_star, ls, sizeof ls);
  inst->log_mu[0] = inst->log_mu[1] = log(0.5);
  inst->log_mu[2] = -INFINITY;
  as_finite_class *c = as_finite_new(2, 1, 3);
  memcpy(c->log_pi, ls, sizeof ls);
  double t[3] = {ls[0], ls[1], ls[2] + 1.0};
  as_log_softmax(t, 3, c->log_pi + 3);
  double C;
  size_t am;
  as_err e;
  ck_assert_int_eq(as_theory_coverage(inst, c, NULL, NULL, &C, &am, NULL, &e),
                   AS_OK);
  ck_assert_msg(C == INFINITY && am == 1, "C = %g, argmax %zu", C, am);
  as_finite_class *one = as_finite_new(1, 1, 3);
  memcpy(one->log_pi, ls, sizeof ls);
  ck_assert_int_eq(as_theory_coverage(inst, one, NULL, NULL, &C, &am, NULL, &e),
                   AS_OK);
  ck_assert_msg(C == 0.0 && am == 1, "C = %g, argmax %zu", C, am);
  /* A member with a zero has no induced reward. */
  c->log_pi[3] = -INFINITY;
  ck_assert_int_eq(as_theory_coverage(inst, c, NULL, NULL, &C, &am, NULL, &e),
                   AS_EINVAL);
  as_theory_ranges rg;
  ck_assert_int_eq(as_theory_measure_ranges(inst, one, 0.0, &rg, &e), AS_EINVAL);
  as_finite_free(one);
  as_finite_free(c);
  as_instance_free(inst);
}
END_TEST

/* Theorem 14's coefficient at μ' = μ with Π_R = {π*} is Definition 3's;
 * the measured ranges respect B_σ ≤ 2R_max and B_v ≤ 2R_max/β
 * (triangle inequality on centred rewards). */
START_TEST(test_thm14_reduces_and_ranges)
{
  for (uint64_t seed = 1; seed <= 6; seed++) {
    size_t K = 2 + seed % 3, V = 3 + seed % 4;
    as_instance *inst = draw_instance(K, V, 40 + seed);
    as_finite_class *c = generate(inst, 50 + seed);
    as_finite_class *star = as_finite_new(1, K, V);
    memcpy(star->log_pi, inst->log_pi_star, K * V * sizeof(double));
    double C, C14;
    as_err e;
    ck_assert_int_eq(as_theory_coverage(inst, c, NULL, NULL, &C, NULL, NULL, &e),
                     AS_OK);
    ck_assert_int_eq(as_theory_coverage(inst, c, star, inst->log_mu, &C14, NULL,
                                        NULL, &e), AS_OK);
    ck_assert_double_eq_tol(C14, C, 1e-12 * C);
    double beta = 0.5 * (double)seed;
    as_theory_ranges rg;
    ck_assert_int_eq(as_theory_measure_ranges(inst, c, beta, &rg, &e), AS_OK);
    ck_assert(rg.B_sigma <= 2 * rg.R_max * (1 + 1e-15));
    ck_assert(rg.B_v <= 2 * rg.R_max / beta * (1 + 1e-15));
    ck_assert(rg.R_max > 0.0);
    /* sharp-chain ranges: one-sided B_v ≤ |·|, B_σ over supp μ ≤ over all
     * y ≤ 2R_max (μ has full support here, so the two B_σ agree) */
    ck_assert(rg.B_v_up <= rg.B_v && rg.B_v_up >= 0.0);
    ck_assert(rg.B_sigma <= rg.B_sigma_all);
    ck_assert(rg.B_sigma_all <= 2 * rg.R_max * (1 + 1e-15));
    ck_assert_double_eq_tol(rg.B_sigma, rg.B_sigma_all, 1e-12 * rg.B_sigma);
    as_finite_free(star);
    as_finite_free(c);
    as_instance_free(inst);
  }
}
END_TEST

/* The bounds fed from a summary: the instance form is never above the
 * theorem form (B_σ ≤ 2R_max, B_v ≤ 2R_max/β, κ decreasing, φ
 * increasing); with Π_R = Π Theorem 7 is Theorem 4; Theorem 14 with
 * μ' = μ and Π_R = Π has C' ≥ C_Π (the pairs include π' = π*).  Every
 * bound is ∝ 1/n in its single-stage form. */
START_TEST(test_bounds_from_summary)
{
  for (uint64_t seed = 1; seed <= 4; seed++) {
    as_instance *inst = draw_instance(3, 4, 60 + seed);
    memcpy(inst->log_mu2, inst->log_mu, 12 * sizeof(double));
    as_finite_class *c = generate(inst, 70 + seed);
    as_theory_summary s;
    as_err e;
    double beta = 0.4 * (double)seed;
    ck_assert_int_eq(as_theory_summarise(inst, c, NULL, beta, &s, &e), AS_OK);
    ck_assert(s.C_prime >= s.C_Pi * (1 - 1e-12));
    as_bounds_chain b[AS_THEORY_BOUND_COUNT], b10;
    for (int k = 0; k < AS_THEORY_BOUND_COUNT; k++)
      ck_assert_msg(as_theory_bound(&s, (as_theory_bound_kind)k, 0.05, 1000,
                                    5000, &b[k], &e) == AS_OK,
                    "%s: %s", as_theory_bound_name((as_theory_bound_kind)k),
                    e.msg);
    ck_assert(b[AS_THEORY_THM4_INSTANCE].kl <= b[AS_THEORY_THM4].kl);
    ck_assert(b[AS_THEORY_THM7_INSTANCE].kl <= b[AS_THEORY_THM7].kl);
    ck_assert_double_eq_tol(b[AS_THEORY_THM7].kl, b[AS_THEORY_THM4].kl,
                            1e-12 * b[AS_THEORY_THM4].kl);
    ck_assert(b[AS_THEORY_THM14].kl >= b[AS_THEORY_THM6].kl * (1 - 1e-12));
    ck_assert_int_eq(as_theory_bound(&s, AS_THEORY_THM4, 0.05, 10000, NAN,
                                     &b10, &e), AS_OK);
    ck_assert_double_eq_tol(b10.kl * 10, b[AS_THEORY_THM4].kl,
                            1e-12 * b10.kl);
    ck_assert_int_eq(as_theory_bound(&s, AS_THEORY_THM6, 0.05, 1000, NAN,
                                     &b10, &e), AS_EINVAL);
    ck_assert_int_eq(as_theory_bound(&s, AS_THEORY_THM14_SHARP, 0.05, 1000,
                                     NAN, &b10, &e), AS_EINVAL);
    /* the sharp chain: class-exact ≤ sharp instance ≤ sharp theorem ≤
     * paper theorem, sharp instance ≤ paper instance; Π_R = Π makes 7 = 4;
     * the sharp two-stage forms lie below the paper ones */
    ck_assert(b[AS_THEORY_THM4_CLASS].kl <= b[AS_THEORY_THM4_INSTANCE_SHARP].kl);
    ck_assert(b[AS_THEORY_THM4_INSTANCE_SHARP].kl
              <= b[AS_THEORY_THM4_SHARP].kl);
    ck_assert(b[AS_THEORY_THM4_SHARP].kl < b[AS_THEORY_THM4].kl);
    ck_assert(b[AS_THEORY_THM4_INSTANCE_SHARP].kl
              < b[AS_THEORY_THM4_INSTANCE].kl);
    ck_assert(b[AS_THEORY_THM7_CLASS].kl == b[AS_THEORY_THM4_CLASS].kl);
    ck_assert(b[AS_THEORY_THM7_INSTANCE_SHARP].kl
              == b[AS_THEORY_THM4_INSTANCE_SHARP].kl);
    ck_assert(b[AS_THEORY_THM6_SHARP].kl < b[AS_THEORY_THM6].kl);
    ck_assert(b[AS_THEORY_THM14_SHARP].kl < b[AS_THEORY_THM14].kl);
    ck_assert(b[AS_THEORY_THM6_INSTANCE_SHARP].kl
              <= b[AS_THEORY_THM6_SHARP].kl);
    ck_assert(b[AS_THEORY_THM14_INSTANCE_SHARP].kl
              <= b[AS_THEORY_THM14_SHARP].kl);
    /* the class ratio against its definition, member by member */
    double rmax = 0.0;
    for (size_t m = 0; m < c->M; m++) {
      as_theory_chain ch;
      ck_assert_int_eq(as_theory_chain_member(inst, as_finite_member(c, m),
                                              beta, &ch, &e), AS_OK);
      if (ch.kl > 0.0)
        rmax = fmax(rmax, ch.kl / ch.hellinger2);
    }
    ck_assert_double_eq_tol(s.ratio_Pi, rmax, 1e-15 * rmax);
    as_finite_free(c);
    as_instance_free(inst);
  }
}
END_TEST

static Suite *theory_suite(void)
{
  Suite *s = suite_create("theory");
  TCase *tc = tcase_create("theory");
  tcase_add_test(tc, test_two_member_closed_form);
  tcase_add_test(tc, test_coverage_one_when_mu_is_star);
  tcase_add_test(tc, test_centred_reward_shift_invariance);
  tcase_add_test(tc, test_coverage_uncovered_and_trivial);
  tcase_add_test(tc, test_thm14_reduces_and_ranges);
  tcase_add_test(tc, test_bounds_from_summary);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(theory_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
