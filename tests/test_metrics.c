/* test_metrics.c — as_metrics (docs/reference.md §4) checked by identities and closed
 * forms computed here independently of the code under test: two-point and
 * hand-written three-point formulas, Pinsker and Le Cam inequalities, the
 * cumulant expansion of a tiny KL, the symmetry of the win-rate, and the
 * identity E_π̂[log π*] = −H(π̂) − KL(π̂‖π*).  Random cases use GSL's
 * mt19937 with fixed seeds (not the project's PCG, to stay independent). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_instance.h"
#include "as_math.h"
#include "as_metrics.h"

/* |a − b| ≤ tol·max(1, |a|, |b|) */
#define ck_close(a, b, tol, what)                                             \
  do {                                                                        \
    double a_ = (a), b_ = (b);                                                \
    double s_ = fmax(1.0, fmax(fabs(a_), fabs(b_)));                          \
    ck_assert_msg(fabs(a_ - b_) <= (tol) * s_,                                \
                  "%s: %.17g vs %.17g (diff %.3g, tol %.3g)", (what), a_, b_, \
                  a_ - b_, (double)(tol));                                    \
  } while (0)

/* A random log-distribution of length V; with skew > 1 the probabilities
 * span many orders of magnitude. */
static void random_logp(gsl_rng *r, size_t V, double skew, double *out)
{
  double z = -INFINITY;
  for (size_t i = 0; i < V; i++) {
    out[i] = skew * gsl_ran_gaussian(r, 1.0);
    z = fmax(z, out[i]);
  }
  double s = 0.0;
  for (size_t i = 0; i < V; i++)
    s += exp(out[i] - z);
  for (size_t i = 0; i < V; i++)
    out[i] -= z + log(s);
}

START_TEST(test_kl_self_zero)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 11);
  double p[12];
  for (int rep = 0; rep < 200; rep++) {
    random_logp(r, 12, 0.2 + rep * 0.05, p);
    ck_assert_msg(as_kl(p, p, 12) == 0.0, "KL(p||p) = %g", as_kl(p, p, 12));
    ck_assert_msg(as_tv(p, p, 12) == 0.0, "TV(p,p) = %g", as_tv(p, p, 12));
    ck_assert_msg(as_hellinger2(p, p, 12) == 0.0, "H2(p,p) = %g",
                  as_hellinger2(p, p, 12));
  }
  gsl_rng_free(r);
}
END_TEST

/* Two points p = (a, 1−a), q = (b, 1−b): every metric in closed form. */
START_TEST(test_two_point_closed_forms)
{
  const double grid[] = {1e-12, 1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.99,
                         1 - 1e-6};
  size_t ng = sizeof grid / sizeof grid[0];
  for (size_t i = 0; i < ng; i++)
    for (size_t j = 0; j < ng; j++) {
      double a = grid[i], b = grid[j];
      double lp[2] = {log(a), log1p(-a)}, lq[2] = {log(b), log1p(-b)};
      double kl = a * log(a / b) + (1 - a) * log((1 - a) / (1 - b));
      double tv = fabs(a - b);
      double h2 = 1 - sqrt(a * b) - sqrt((1 - a) * (1 - b));
      double h = -a * log(a) - (1 - a) * log1p(-a);
      /* The closed forms themselves cancel for nearby a, b: allow their
       * own rounding, relative to the size of the terms summed. */
      ck_close(as_kl(lp, lq, 2), kl, 1e-12 * (1 + fabs(log(a / b)) +
                                              fabs(log((1 - a) / (1 - b)))),
               "two-point KL");
      ck_close(as_tv(lp, lq, 2), tv, 1e-12, "two-point TV");
      ck_close(as_hellinger2(lp, lq, 2), h2, 1e-12, "two-point H2");
      ck_close(as_entropy(lp, 2), h, 1e-12, "two-point entropy");
    }
}
END_TEST

/* p = (1/2, 1/3, 1/6), q uniform on 3, by hand:
 *   KL(p‖q) = ½ log(3/2) + ⅓ log 1 + ⅙ log(1/2)
 *   KL(q‖p) = ⅓ log(2/3) + ⅓ log 1 + ⅓ log 2
 *   TV = ½ (1/6 + 0 + 1/6) = 1/6
 *   H² = 1 − (√(1/6) + 1/3 + √(1/18))
 *   H(p) = ½ log 2 + ⅓ log 3 + ⅙ log 6 */
START_TEST(test_three_point_by_hand)
{
  double lp[3] = {log(0.5), log(1.0 / 3), log(1.0 / 6)};
  double lq[3] = {-log(3.0), -log(3.0), -log(3.0)};
  ck_close(as_kl(lp, lq, 3), 0.5 * log(1.5) - log(2.0) / 6, 1e-15, "KL(p||q)");
  ck_close(as_kl(lq, lp, 3), (log(2.0 / 3) + log(2.0)) / 3, 1e-15,
           "KL(q||p)");
  ck_close(as_tv(lp, lq, 3), 1.0 / 6, 1e-15, "TV");
  ck_close(as_hellinger2(lp, lq, 3),
           1 - (sqrt(1.0 / 6) + 1.0 / 3 + sqrt(1.0 / 18)), 1e-15, "H2");
  ck_close(as_entropy(lp, 3), log(2.0) / 2 + log(3.0) / 3 + log(6.0) / 6,
           1e-15, "entropy");
}
END_TEST

/* With H² = ½Σ(√p−√q)² = 1 − BC:  H² ≤ TV ≤ H √(2 − H²) ≤ √2 H  (Le Cam),
 * TV ≤ √(KL/2) (Pinsker), KL ≥ −2 log BC = −2 log(1 − H²) ≥ 2H². Also
 * checks KL against the naive Σ p log(p/q), an independent route. */
START_TEST(test_inequalities)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12);
  double p[20], q[20];
  for (int rep = 0; rep < 2000; rep++) {
    size_t V = 2 + rep % 19;
    double skew = 0.05 + (rep % 37) * 0.1;
    random_logp(r, V, skew, p);
    random_logp(r, V, skew, q);
    double kl = as_kl(p, q, V), tv = as_tv(p, q, V),
           h2 = as_hellinger2(p, q, V);
    double h = sqrt(h2), eps = 1e-14;
    ck_assert_msg(kl >= 0 && tv >= 0 && h2 >= 0, "negative: %g %g %g", kl,
                  tv, h2);
    ck_assert_msg(h2 <= tv + eps, "H2 %.17g > TV %.17g", h2, tv);
    ck_assert_msg(tv <= h * sqrt(2 - h2) + eps, "TV %.17g > H sqrt(2-H2) %.17g",
                  tv, h * sqrt(2 - h2));
    ck_assert_msg(tv <= sqrt(kl / 2) + eps, "Pinsker: TV %.17g > %.17g", tv,
                  sqrt(kl / 2));
    ck_assert_msg(kl >= -2 * log1p(-h2) - eps * (1 + kl),
                  "KL %.17g < -2 log(1-H2) %.17g", kl, -2 * log1p(-h2));
    double naive = 0.0, terms = 0.0;
    for (size_t i = 0; i < V; i++) {
      naive += exp(p[i]) * (p[i] - q[i]);
      terms += exp(p[i]) * fabs(p[i] - q[i]);
    }
    ck_close(kl, naive, 1e-14 * (1 + terms), "KL vs naive sum");
  }
  gsl_rng_free(r);
}
END_TEST

/* q_ε ∝ p e^{εδ}: KL(p‖q_ε) = log E_p e^{εδ} − ε E_p δ = ε²κ₂/2 + ε³κ₃/6
 * + O(ε⁴) (cumulants of δ under p).  At ε = 1e-6 the ε³ term is ~1e-6 of
 * the total: the naive Σ p log(p/q) would lose ~4 of its digits here. */
START_TEST(test_tiny_kl_accuracy)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 13);
  const size_t V = 10;
  double p[10], q[10], d[10];
  for (int rep = 0; rep < 50; rep++) {
    random_logp(r, V, 1.0, p);
    double eps = 1e-6;
    double m1 = 0, m2 = 0, m3 = 0;
    for (size_t i = 0; i < V; i++) {
      d[i] = gsl_ran_gaussian(r, 1.0);
      q[i] = p[i] + eps * d[i];        /* unnormalised: as_kl normalises */
      m1 += exp(p[i]) * d[i];
    }
    for (size_t i = 0; i < V; i++) {
      double c = d[i] - m1;
      m2 += exp(p[i]) * c * c;
      m3 += exp(p[i]) * c * c * c;
    }
    double expect = eps * eps * m2 / 2 + eps * eps * eps * m3 / 6;
    double kl = as_kl(p, q, V);
    ck_assert_msg(fabs(kl - expect) <= 1e-8 * expect,
                  "tiny KL %.17g vs cumulant expansion %.17g (rel %.3g)", kl,
                  expect, (kl - expect) / expect);
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_entropy_uniform_and_point)
{
  for (size_t V = 2; V <= 1000; V = V * 3 + 1) {
    double *u = malloc(V * sizeof *u);
    for (size_t i = 0; i < V; i++)
      u[i] = -log((double)V);
    ck_close(as_entropy(u, V), log((double)V), 1e-14, "entropy of uniform");
    for (size_t i = 0; i < V; i++)
      u[i] = i == V / 2 ? 0.0 : -INFINITY;
    ck_assert_msg(as_entropy(u, V) == 0.0, "entropy of a point mass: %g",
                  as_entropy(u, V));
    free(u);
  }
}
END_TEST

/* Zeros: 0·log 0 = 0, and KL = +inf when q misses mass of p. */
START_TEST(test_zeros)
{
  double half[2] = {log(0.5), log(0.5)}, point[2] = {0.0, -INFINITY};
  ck_assert_msg(as_kl(half, point, 2) == INFINITY, "KL(p||q) with q zero: %g",
                as_kl(half, point, 2));
  ck_close(as_kl(point, half, 2), log(2.0), 1e-15, "KL(point || half)");
  ck_close(as_tv(point, half, 2), 0.5, 1e-15, "TV(point, half)");
  ck_close(as_hellinger2(point, half, 2), 1 - sqrt(0.5), 1e-15,
           "H2(point, half)");
  /* Disjoint supports: TV = H² = 1, KL infinite both ways. */
  double other[2] = {-INFINITY, 0.0};
  ck_assert(as_kl(point, other, 2) == INFINITY);
  ck_close(as_tv(point, other, 2), 1.0, 1e-15, "TV disjoint");
  ck_close(as_hellinger2(point, other, 2), 1.0, 1e-15, "H2 disjoint");
  /* Not distributions: NaN entry, +inf entry, no mass. */
  double bad1[2] = {NAN, 0.0}, bad2[2] = {INFINITY, 0.0},
         bad3[2] = {-INFINITY, -INFINITY};
  ck_assert(isnan(as_kl(bad1, half, 2)) && isnan(as_kl(half, bad1, 2)));
  ck_assert(isnan(as_tv(bad2, half, 2)) && isnan(as_entropy(bad2, 2)));
  ck_assert(isnan(as_hellinger2(bad3, half, 2)) && isnan(as_entropy(bad3, 2)));
}
END_TEST

/* Rows are normalised inside: adding a constant to either row changes
 * nothing (up to the rounding of the shifted logs). */
START_TEST(test_shift_invariance)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 14);
  double p[8], q[8], ps[8], qs[8];
  for (int rep = 0; rep < 100; rep++) {
    random_logp(r, 8, 1.5, p);
    random_logp(r, 8, 1.5, q);
    q[rep % 8] = -INFINITY;
    double cp = gsl_ran_flat(r, -50, 50), cq = gsl_ran_flat(r, -50, 50);
    for (int i = 0; i < 8; i++) {
      ps[i] = p[i] + cp;
      qs[i] = q[i] + cq;
    }
    ck_close(as_kl(qs, ps, 8), as_kl(q, p, 8), 1e-12, "KL shifted");
    ck_close(as_tv(ps, qs, 8), as_tv(p, q, 8), 1e-12, "TV shifted");
    ck_close(as_hellinger2(ps, qs, 8), as_hellinger2(p, q, 8), 1e-12,
             "H2 shifted");
    ck_close(as_entropy(qs, 8), as_entropy(q, 8), 1e-12, "entropy shifted");
    ck_assert(as_kl(ps, qs, 8) == INFINITY);
  }
  gsl_rng_free(r);
}
END_TEST

/* K = 3, V = 5 instance with random rows and ρ = (0.2, 0.3, 0.5). */
static as_instance *random_instance(gsl_rng *r)
{
  as_instance *inst = as_instance_new(3, 5);
  ck_assert_ptr_nonnull(inst);
  const double rho[3] = {0.2, 0.3, 0.5};
  for (size_t x = 0; x < 3; x++) {
    inst->log_rho[x] = log(rho[x]);
    random_logp(r, 5, 1.0, inst->log_pi_star + 5 * x);
    random_logp(r, 5, 1.0, inst->log_pi_ref + 5 * x);
  }
  return inst;
}

/* π̂ = π*: the divergences to π* vanish; E[β log π*] = −β H(π*); win-rate
 * and KL to π_ref by direct sums written here. */
/* as_metrics_fwd_kl (what oracle tuning computes per λ) is the forward KL
 * of as_metrics_compute bit for bit, so the tuned choice and the reported
 * row cannot disagree; it rejects a policy row that is not a
 * distribution just as as_metrics_compute does. */
START_TEST(test_fwd_kl_alone_is_identical)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 23);
  as_instance *inst = random_instance(r);
  double lp[15];
  for (int rep = 0; rep < 10; rep++) {
    for (size_t x = 0; x < 3; x++)
      random_logp(r, 5, 3.0, lp + 5 * x);
    as_metrics m;
    double f;
    ck_assert_int_eq(as_metrics_compute(inst, 0.7, lp, NULL, &m, NULL), 0);
    ck_assert_int_eq(as_metrics_fwd_kl(inst, 0.7, lp, &f, NULL), 0);
    ck_assert_msg(memcmp(&f, &m.fwd_kl, sizeof f) == 0, "%.17g vs %.17g", f,
                  m.fwd_kl);
  }
  lp[3] = NAN;
  double f;
  ck_assert_int_eq(as_metrics_fwd_kl(inst, 0.7, lp, &f, NULL), AS_EINVAL);
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* as_kl_prepared is as_kl bit for bit: rows near and far, peaked, with
 * zeros in p (q's mass off p's support), in q (+inf) and a NaN row. */
START_TEST(test_kl_prepared_is_identical)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 53);
  double p[12], q[12], a[12], pp[12];
  for (int rep = 0; rep < 400; rep++) {
    double skew = 0.1 * (1 + rep % 40);
    random_logp(r, 12, skew, p);
    random_logp(r, 12, skew, q);
    for (size_t i = 0; i < 12 && rep % 4 == 1; i++) /* near: |d| < 1/2 */
      q[i] = p[i] + 1e-3 * gsl_ran_gaussian(r, 1.0);
    if (rep % 5 == 2)
      p[rep % 12] = -INFINITY;
    if (rep % 7 == 3)
      q[(rep + 5) % 12] = -INFINITY;
    if (rep == 399)
      p[3] = NAN;
    double zp = as_kl_prepare(p, 12, a, pp);
    double x = as_kl(p, q, 12), y = as_kl_prepared(p, zp, a, pp, q, 12);
    ck_assert_msg(memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y)),
                  "rep %d: %.17g vs %.17g", rep, x, y);
  }
  gsl_rng_free(r);
}
END_TEST

/* A K×V instance for the screen's tests: π* rows random at `skew`,
 * ρ uniform except context 1, which has ρ = 0 (the screen must skip it as
 * as_metrics_fwd_kl does). */
static as_instance *screen_instance(gsl_rng *r, size_t K, size_t V,
                                    double skew)
{
  as_instance *inst = as_instance_new(K, V);
  ck_assert_ptr_nonnull(inst);
  for (size_t x = 0; x < K; x++) {
    inst->log_rho[x] = x == 1 ? -INFINITY : 0.0;
    random_logp(r, V, skew, inst->log_pi_star + V * x);
    random_logp(r, V, 1.0, inst->log_pi_ref + V * x);
  }
  return inst;
}

/* Candidate `kind` for the screen: 0 a random row, 1–3 π* perturbed by
 * 1e-9, 1e-4, 0.3 (the Taylor branch of φ and beyond), 4 π* itself, 5 a
 * random row shifted by +40 (unnormalised: zq ≠ 0), 6 a row with a zero
 * (KL = +inf). */
static void screen_candidate(gsl_rng *r, const double *ls, size_t V,
                             double skew, int kind, double *lq)
{
  static const double eps[] = {0.0, 1e-9, 1e-4, 0.3};
  if (kind == 0 || kind >= 5)
    random_logp(r, V, skew, lq);
  for (size_t i = 0; i < V && kind >= 1 && kind <= 4; i++)
    lq[i] = ls[i] + (kind == 4 ? 0.0 : eps[kind] * gsl_ran_gaussian(r, 1.0));
  for (size_t i = 0; i < V && kind == 5; i++)
    lq[i] += 40.0;
  if (kind == 6)
    lq[V / 2] = -INFINITY;
}

/* est ± bound against the exact forward KL of rows lp: it must hold, be
 * small enough to screen with (≤ 1e-9 (1 + KL)), and +inf be exact;
 * *worst keeps the largest |est − exact| / bound seen. */
static void screen_verdict(const as_instance *inst, const double *lp,
                           double est, double bound, const char *what,
                           double *worst)
{
  double exact;
  ck_assert_int_eq(as_metrics_fwd_kl(inst, 1.0, lp, &exact, NULL), 0);
  if (isinf(exact)) {
    ck_assert(isinf(est) && bound == 0.0);
    return;
  }
  ck_assert_msg(fabs(est - exact) <= bound, "%s: est %.17g exact %.17g "
                "bound %g", what, est, exact, bound);
  ck_assert_msg(bound <= 1e-9 * (1.0 + exact), "%s: bound %g at KL %g", what,
                bound, exact);
  if (bound > 0.0)
    *worst = fmax(*worst, fabs(est - exact) / bound);
}

/* The screen stopped at a cap (as_metrics_fwd_kl_screen_above), at caps
 * around the exact value: stopped only when the exact value is above the
 * cap, with a floor above the cap and not above the exact value; not
 * stopped, the plain screen's estimate and bound bit for bit. */
static void capped_verdict(const as_metrics_target *t,
                           const as_instance *inst, const double *lq,
                           double est, double bound, const char *what)
{
  double exact;
  ck_assert_int_eq(as_metrics_fwd_kl(inst, 1.0, lq, &exact, NULL), 0);
  if (isnan(est))
    return;
  static const double f[] = {0.0, 0.3, 0.9, 0.999999, 1.0, 1.000001, 2.0};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    double cap = isinf(exact) ? 1.0 : f[i] * exact, e2, b2;
    int above;
    ck_assert_int_eq(as_metrics_fwd_kl_screen_above(t, lq, 0, cap, &e2, &b2,
                                                    &above, NULL), AS_OK);
    /* below the screen's interval, the whole sum at the latest proves it */
    if (est - bound > cap && cap >= 0x1p-900)
      ck_assert_msg(above, "%s: not stopped at %g of %.17g", what, f[i],
                    exact);
    if (above) {
      ck_assert_msg(e2 > cap && exact > cap && (e2 <= exact || isinf(exact)),
                    "%s: floor %.17g cap %.17g exact %.17g", what, e2, cap,
                    exact);
    } else {
      ck_assert(memcmp(&e2, &est, sizeof e2) == 0);
      ck_assert(memcmp(&b2, &bound, sizeof b2) == 0);
    }
  }
}

/* The screen's estimate lies within its bound of the exact forward KL, on
 * rows from near-identical to far apart, peaked (skew 30: probabilities
 * down to ~e^-100) or flat, V from 2 to 200; and the bound is small
 * enough to screen with (≤ 1e-9 (1 + KL)). */
START_TEST(test_fwd_kl_screen_bound)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 41);
  static const size_t Vs[] = {2, 10, 200};
  static const double skews[] = {0.3, 1.0, 3.0, 30.0};
  double worst = 0.0; /* largest |est − exact| / bound seen */
  for (size_t iv = 0; iv < 3; iv++)
    for (size_t is = 0; is < 4; is++) {
      size_t K = 4, V = Vs[iv];
      as_instance *inst = screen_instance(r, K, V, skews[is]);
      as_metrics_target *t;
      ck_assert_int_eq(as_metrics_target_new(inst, 1.0, &t, NULL), AS_OK);
      ck_assert(as_metrics_target_is(t, inst, 1.0));
      ck_assert(!as_metrics_target_is(t, inst, 2.0));
      double *lq = malloc(K * V * sizeof *lq);
      for (int rep = 0; rep < 20; rep++) {
        int kind = rep % 7;
        for (size_t x = 0; x < K; x++)
          screen_candidate(r, inst->log_pi_star + x * V, V, skews[is],
                           x == 1 ? 0 : kind, lq + x * V);
        double est, bound;
        char what[64];
        snprintf(what, sizeof what, "V=%zu skew=%g kind=%d", V, skews[is],
                 kind);
        ck_assert_int_eq(as_metrics_fwd_kl_screen(t, lq, &est, &bound, NULL),
                         AS_OK);
        screen_verdict(inst, lq, est, bound, what, &worst);
        capped_verdict(t, inst, lq, est, bound, what);
      }
      free(lq);
      as_metrics_target_free(t);
      as_instance_free(inst);
    }
  /* Not vacuous: the routes do differ, by a visible part of the bound. */
  ck_assert_msg(worst > 1e-4, "largest |est - exact| / bound = %g", worst);
  gsl_rng_free(r);
}
END_TEST

/* The logits form: for ξ = a closed form's logits at any scale (large
 * |ξ| as at λ = 1e-4, shifted, a −inf entry), the estimate lies within
 * its bound of the exact forward KL of as_log_softmax(ξ), and the bound
 * stays small enough to screen with. */
START_TEST(test_fwd_kl_screen_logits_bound)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 47);
  static const size_t Vs[] = {2, 10, 200};
  static const double scales[] = {1e-3, 1.0, 30.0, 1e4};
  double worst = 0.0;
  for (size_t iv = 0; iv < 3; iv++)
    for (size_t is = 0; is < 4; is++) {
      size_t K = 4, V = Vs[iv];
      as_instance *inst = screen_instance(r, K, V, 1.0 + (double)is);
      as_metrics_target *t;
      ck_assert_int_eq(as_metrics_target_new(inst, 1.0, &t, NULL), AS_OK);
      double *xi = malloc(2 * K * V * sizeof *xi), *lp = xi + K * V;
      for (int rep = 0; rep < 21; rep++) {
        int kind = rep % 7;
        for (size_t x = 0; x < K; x++) {
          screen_candidate(r, inst->log_pi_star + x * V, V, 1.0,
                           x == 1 ? 0 : kind, xi + x * V);
          for (size_t y = 0; y < V; y++) /* logits: scaled, shifted */
            xi[x * V + y] = scales[is] * xi[x * V + y] + 3.0 * (double)rep;
          as_log_softmax(xi + x * V, V, lp + x * V);
        }
        double est, bound;
        char what[64];
        snprintf(what, sizeof what, "V=%zu scale=%g kind=%d", V, scales[is],
                 kind);
        ck_assert_int_eq(as_metrics_fwd_kl_screen_logits(t, xi, &est, &bound,
                                                         NULL), AS_OK);
        screen_verdict(inst, lp, est, bound, what, &worst);
      }
      free(xi);
      as_metrics_target_free(t);
      as_instance_free(inst);
    }
  ck_assert_msg(worst > 1e-4, "largest |est - exact| / bound = %g", worst);
  gsl_rng_free(r);
}
END_TEST

/* A policy row that is not a distribution is refused with
 * as_metrics_fwd_kl's message; a zero of π* makes the screen decline
 * (NaN: the caller computes exactly). */
START_TEST(test_fwd_kl_screen_refuses)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 43);
  as_instance *inst = random_instance(r);
  as_metrics_target *t;
  ck_assert_int_eq(as_metrics_target_new(inst, 0.0, &t, NULL), AS_EINVAL);
  ck_assert_int_eq(as_metrics_target_new(inst, 0.7, &t, NULL), AS_OK);
  double lp[15], est, bound, f;
  for (size_t x = 0; x < 3; x++)
    random_logp(r, 5, 1.0, lp + 5 * x);
  lp[7] = NAN;
  as_err e1, e2;
  ck_assert_int_eq(as_metrics_fwd_kl(inst, 0.7, lp, &f, &e1), AS_EINVAL);
  ck_assert_int_eq(as_metrics_fwd_kl_screen(t, lp, &est, &bound, &e2),
                   AS_EINVAL);
  ck_assert_str_eq(e1.msg, e2.msg);
  as_metrics_target_free(t);
  lp[7] = 0.0;
  inst->log_pi_star[3] = -INFINITY;
  ck_assert_int_eq(as_metrics_target_new(inst, 0.7, &t, NULL), AS_OK);
  ck_assert_int_eq(as_metrics_fwd_kl_screen(t, lp, &est, &bound, NULL),
                   AS_OK);
  ck_assert(isnan(est) && isnan(bound));
  as_metrics_target_free(t);
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* The win rate's inner sum computed once per unit (as_metrics_win_ref,
 * issue 8) gives as_metrics_compute's metrics bit for bit. */
START_TEST(test_win_ref_cached_is_identical)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 31);
  as_instance *inst = random_instance(r);
  double lp[15], rw[15], win[15];
  ck_assert_int_eq(as_metrics_win_ref(inst, 1.3, win, NULL), 0);
  for (int rep = 0; rep < 10; rep++) {
    for (size_t x = 0; x < 3; x++) {
      random_logp(r, 5, 3.0, lp + 5 * x);
      random_logp(r, 5, 1.0, rw + 5 * x);
    }
    as_metrics a, b;
    ck_assert_int_eq(as_metrics_compute(inst, 1.3, lp, rw, &a, NULL), 0);
    ck_assert_int_eq(as_metrics_compute_win(inst, 1.3, lp, rw, win, &b, NULL),
                     0);
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
  }
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_compute_at_target)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 15);
  as_instance *inst = random_instance(r);
  double beta = 0.7;
  as_metrics m;
  as_err e;
  ck_assert_int_eq(as_metrics_compute(inst, beta, inst->log_pi_star, NULL, &m,
                                      &e), AS_OK);
  ck_assert_msg(m.fwd_kl == 0 && m.rev_kl == 0 && m.tv == 0 &&
                m.hellinger2 == 0, "self divergences: %g %g %g %g", m.fwd_kl,
                m.rev_kl, m.tv, m.hellinger2);
  ck_assert_msg(isnan(m.reward_score), "reward_score without reward: %g",
                m.reward_score);
  double H = 0, klref = 0, win = 0;
  for (size_t x = 0; x < 3; x++) {
    double rho = exp(inst->log_rho[x]);
    for (size_t y = 0; y < 5; y++) {
      double ls = inst->log_pi_star[5 * x + y], lr = inst->log_pi_ref[5 * x + y];
      H -= rho * exp(ls) * ls;
      klref += rho * exp(ls) * (ls - lr);
      for (size_t y2 = 0; y2 < 5; y2++) {
        double ls2 = inst->log_pi_star[5 * x + y2];
        /* P*(y ≻ y') = π*(y)^β / (π*(y)^β + π*(y')^β), docs/reference.md §2 */
        double pw = pow(exp(ls), beta) /
                    (pow(exp(ls), beta) + pow(exp(ls2), beta));
        win += rho * exp(ls) * exp(inst->log_pi_ref[5 * x + y2]) * pw;
      }
    }
  }
  ck_close(m.entropy, H, 1e-14, "entropy of pi*");
  ck_close(m.true_reward, -beta * H, 1e-14, "true reward at pi*");
  ck_close(m.kl_ref, klref, 1e-14, "KL(pi*||pi_ref)");
  ck_close(m.win_rate, win, 1e-14, "win-rate of pi*");
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* Win-rate: π_ref against itself is ½ by the symmetry σ(t) + σ(−t) = 1;
 * win(A vs B) + win(B vs A) = 1; the tilt π_t ∝ π_ref π*^t (RLHF's
 * solution, t = β/λ) has win-rate ≥ ½, non-decreasing in t (d/dt =
 * Cov_{π_t}(w, ℓ*) ≥ 0, both increasing in ℓ*); a point mass on argmax π*
 * beats every policy.  NOT asserted: "π* beats π_ref" — false in general:
 * π* = (2/3, 1/3), π_ref = (10/11, 1/11), β = 1 gives
 *   ½·(2/3)(10/11) + ½·(1/3)(1/11) + (2/3)(1/11)·σ(log 2) + (1/3)(10/11)·σ(−log 2)
 *   = 60/198 + 3/198 + 8/198 + 20/198 = 91/198 < ½
 * (π_ref is already sharper than π*), checked below. */
START_TEST(test_win_rate)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 16);
  as_err e;
  as_metrics m, m2;
  for (int rep = 0; rep < 50; rep++) {
    as_instance *inst = random_instance(r);
    double beta = 0.2 + 0.1 * rep;
    ck_assert_int_eq(as_metrics_compute(inst, beta, inst->log_pi_ref, NULL,
                                        &m, &e), AS_OK);
    ck_close(m.win_rate, 0.5, 1e-15, "win-rate of pi_ref vs itself");
    ck_assert_msg(m.kl_ref == 0.0, "KL(pi_ref||pi_ref) = %g", m.kl_ref);

    /* Swap roles: evaluate π_ref against an instance whose reference is π̂. */
    double pol[15];
    for (size_t x = 0; x < 3; x++)
      random_logp(r, 5, 1.0, pol + 5 * x);
    ck_assert_int_eq(as_metrics_compute(inst, beta, pol, NULL, &m, &e), AS_OK);
    as_instance *sw = as_instance_clone(inst);
    for (size_t i = 0; i < 15; i++)
      sw->log_pi_ref[i] = pol[i];
    ck_assert_int_eq(as_metrics_compute(sw, beta, inst->log_pi_ref, NULL, &m2,
                                        &e), AS_OK);
    ck_close(m.win_rate + m2.win_rate, 1.0, 1e-14, "win(A,B) + win(B,A)");
    as_instance_free(sw);

    double best[15];
    for (size_t x = 0; x < 3; x++) {
      size_t am = 0;
      for (size_t y = 1; y < 5; y++)
        if (inst->log_pi_star[5 * x + y] > inst->log_pi_star[5 * x + am])
          am = y;
      for (size_t y = 0; y < 5; y++)
        best[5 * x + y] = y == am ? 0.0 : -INFINITY;
    }
    as_metrics mb;
    ck_assert_int_eq(as_metrics_compute(inst, beta, best, NULL, &mb, &e),
                     AS_OK);
    ck_assert_msg(mb.win_rate >= m.win_rate - 1e-15,
                  "argmax point mass %.17g below a random policy %.17g",
                  mb.win_rate, m.win_rate);

    double prev = 0.5 - 1e-15;
    for (double t = 0.0; t <= 8.0; t += 0.5) {
      double tilt[15];
      for (size_t i = 0; i < 15; i++)  /* unnormalised on purpose */
        tilt[i] = inst->log_pi_ref[i] + t * inst->log_pi_star[i];
      ck_assert_int_eq(as_metrics_compute(inst, beta, tilt, NULL, &m, &e),
                       AS_OK);
      ck_assert_msg(m.win_rate >= prev - 1e-15,
                    "tilt t=%g: win-rate %.17g fell below %.17g", t,
                    m.win_rate, prev);
      ck_assert_msg(m.win_rate <= mb.win_rate + 1e-15,
                    "tilt beats the argmax point mass");
      prev = m.win_rate;
    }
    as_instance_free(inst);
  }
  /* The counterexample above, K = 1, V = 2. */
  as_instance *c = as_instance_new(1, 2);
  c->log_pi_star[0] = log(2.0 / 3);
  c->log_pi_star[1] = log(1.0 / 3);
  c->log_pi_ref[0] = log(10.0 / 11);
  c->log_pi_ref[1] = log(1.0 / 11);
  ck_assert_int_eq(as_metrics_compute(c, 1.0, c->log_pi_star, NULL, &m, &e),
                   AS_OK);
  ck_close(m.win_rate, 91.0 / 198, 1e-15, "two-point win-rate");
  as_instance_free(c);
  gsl_rng_free(r);
}
END_TEST

/* E_π̂[β log π*] = −β (H(π̂) + KL(π̂‖π*)) (docs/reference.md §3 notes, γ = β);
 * the learned-reward score with r̂ = β log π* + c(x) equals the true reward
 * plus E_ρ c; unnormalised logits give the same metrics as their softmax. */
START_TEST(test_rewards_and_logits)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 17);
  as_err e;
  for (int rep = 0; rep < 50; rep++) {
    as_instance *inst = random_instance(r);
    double beta = 0.3 + 0.2 * rep;
    double pol[15], logits[15], rew[15];
    const double cx[3] = {1.5, -2.0, 7.25};
    for (size_t x = 0; x < 3; x++)
      random_logp(r, 5, 2.0, pol + 5 * x);
    for (size_t i = 0; i < 15; i++) {
      logits[i] = pol[i] + 100.0 * (double)(i / 5) - 3.0;
      rew[i] = beta * inst->log_pi_star[i] + cx[i / 5];
    }
    as_metrics m, ml;
    ck_assert_int_eq(as_metrics_compute(inst, beta, pol, rew, &m, &e), AS_OK);
    ck_close(m.true_reward, -beta * (m.entropy + m.rev_kl), 1e-13,
             "true reward identity");
    double ec = 0.2 * cx[0] + 0.3 * cx[1] + 0.5 * cx[2];
    ck_close(m.reward_score, m.true_reward + ec, 1e-13, "reward score");
    ck_assert_int_eq(as_metrics_compute(inst, beta, logits, rew, &ml, &e),
                     AS_OK);
    double a[AS_METRICS_COUNT], b[AS_METRICS_COUNT];
    as_metrics_to_array(&m, a);
    as_metrics_to_array(&ml, b);
    for (int k = 0; k < AS_METRICS_COUNT; k++)
      ck_close(a[k], b[k], 1e-12, as_metrics_names[k]);
    as_instance_free(inst);
  }
  gsl_rng_free(r);
}
END_TEST

/* ρ weights: a context with ρ = 0 contributes nothing even when its KL is
 * infinite; a zero of π̂ where π* has mass makes fwd_kl = +inf. */
START_TEST(test_rho_and_infinite)
{
  as_instance *inst = as_instance_new(2, 2);
  as_err e;
  as_metrics m;
  inst->log_rho[0] = 0.0;
  inst->log_rho[1] = -INFINITY;
  double pol[4] = {log(0.25), log(0.75), 0.0, -INFINITY};
  ck_assert_int_eq(as_metrics_compute(inst, 1.0, pol, NULL, &m, &e), AS_OK);
  /* context 0 only: π* uniform, π̂ = (¼, ¾) */
  ck_close(m.fwd_kl, 0.5 * log(0.5 / 0.25) + 0.5 * log(0.5 / 0.75), 1e-15,
           "fwd KL with rho 0 on the infinite row");
  ck_close(m.tv, 0.25, 1e-15, "TV");
  inst->log_rho[1] = log(1e-3);      /* unnormalised ρ: normalised inside */
  ck_assert_int_eq(as_metrics_compute(inst, 1.0, pol, NULL, &m, &e), AS_OK);
  ck_assert_msg(m.fwd_kl == INFINITY, "fwd KL %g", m.fwd_kl);
  ck_close(m.rev_kl, (0.25 * log(0.5) + 0.75 * log(1.5)) / 1.001 +
           (1e-3 / 1.001) * log(2.0), 1e-15, "rev KL finite");
  ck_close(m.entropy, (-0.25 * log(0.25) - 0.75 * log(0.75)) / 1.001, 1e-15,
           "entropy");
  as_instance_free(inst);
}
END_TEST

START_TEST(test_invalid_input)
{
  as_instance *inst = as_instance_new(2, 3);
  as_err e;
  as_metrics m;
  double pol[6] = {0, 0, 0, 0, 0, 0};
  ck_assert_int_eq(as_metrics_compute(inst, 0.0, pol, NULL, &m, &e), AS_EINVAL);
  ck_assert_int_eq(as_metrics_compute(inst, -1.0, pol, NULL, &m, &e),
                   AS_EINVAL);
  ck_assert_int_eq(as_metrics_compute(inst, NAN, pol, NULL, &m, &e), AS_EINVAL);
  pol[4] = NAN;
  ck_assert_int_eq(as_metrics_compute(inst, 1.0, pol, NULL, &m, &e), AS_EINVAL);
  ck_assert_msg(e.msg[0] != '\0', "no message");
  pol[4] = INFINITY;
  ck_assert_int_eq(as_metrics_compute(inst, 1.0, pol, NULL, &m, &e), AS_EINVAL);
  pol[3] = pol[4] = pol[5] = -INFINITY;
  ck_assert_int_eq(as_metrics_compute(inst, 1.0, pol, NULL, &m, &e), AS_EINVAL);
  pol[3] = pol[4] = pol[5] = 0.0;
  double rew[6] = {0, 0, 0, 0, NAN, 0};
  ck_assert_int_eq(as_metrics_compute(inst, 1.0, pol, rew, &m, &e), AS_EINVAL);
  inst->log_pi_star[2] = -INFINITY;
  ck_assert_int_eq(as_metrics_compute(inst, 1.0, pol, NULL, &m, &e), AS_EINVAL);
  ck_assert_int_eq(as_metrics_compute(NULL, 1.0, pol, NULL, &m, &e), AS_EINVAL);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_names)
{
  as_metrics m = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  double a[AS_METRICS_COUNT];
  as_metrics_to_array(&m, a);
  for (int k = 0; k < AS_METRICS_COUNT; k++)
    ck_assert_msg(a[k] == k + 1, "field %d (%s) out of order", k,
                  as_metrics_names[k]);
  ck_assert_str_eq(as_metrics_names[0], "fwd_kl");
  ck_assert_str_eq(as_metrics_names[7], "win_rate");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_kl_self_zero);
  tcase_add_test(tc, test_two_point_closed_forms);
  tcase_add_test(tc, test_three_point_by_hand);
  tcase_add_test(tc, test_inequalities);
  tcase_add_test(tc, test_tiny_kl_accuracy);
  tcase_add_test(tc, test_entropy_uniform_and_point);
  tcase_add_test(tc, test_zeros);
  tcase_add_test(tc, test_shift_invariance);
  tcase_add_test(tc, test_compute_at_target);
  tcase_add_test(tc, test_fwd_kl_alone_is_identical);
  tcase_add_test(tc, test_win_ref_cached_is_identical);
  tcase_add_test(tc, test_win_rate);
  tcase_add_test(tc, test_rewards_and_logits);
  tcase_add_test(tc, test_rho_and_infinite);
  tcase_add_test(tc, test_invalid_input);
  tcase_add_test(tc, test_names);
  tcase_add_test(tc, test_kl_prepared_is_identical);
  tcase_add_test(tc, test_fwd_kl_screen_bound);
  tcase_add_test(tc, test_fwd_kl_screen_logits_bound);
  tcase_add_test(tc, test_fwd_kl_screen_refuses);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? 0 : 1;
}
