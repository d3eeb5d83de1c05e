/* test_bounds.c — as_bounds (docs/reference.md §5, proofs/README.md) pinned by routes
 * independent of the code under test:
 *   - closed forms written out here (κ(B) = e^B/(1+e^B)², Γ(B) from g/h),
 *     φ by GSL quadrature of its integral form ∫₀¹ (1−t) e^{tB} dt and by
 *     a hand-written Taylor polynomial near 0;
 *   - literal values of every theorem at fixed inputs, computed with
 *     Python's decimal module (50 digits) from the formulas of proofs/
 *     (the script is in proofs/README.md, "Pinned values");
 *   - scaling laws (∝ 1/n, ∝ log(|Π|/δ), ∝ coverage) and limits
 *     (φ(0) = 1/2, κ(0) = 1/4, Γ(0) = 1);
 *   - the chain's inequalities evaluated on random policy pairs (GSL
 *     mt19937, fixed seed): each step's bound holds for the actual
 *     quantities, so a wrong factor of β, 2 or κ shows up as a violation.
 * Changing any constant, exponent or factor of β in as_bounds.c breaks a
 * named test below. */
#include <check.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_bounds.h"
#include "as_error.h"

/* |a − b| ≤ tol·max(1e-300, |b|) (relative to the expected value b) */
#define ck_rel(a, b, tol, what)                                               \
  do {                                                                        \
    double a_ = (a), b_ = (b);                                                \
    ck_assert_msg(fabs(a_ - b_) <= (tol) * fmax(1e-300, fabs(b_)),            \
                  "%s: got %.17g, expected %.17g (rel diff %.3g, tol %.3g)",  \
                  (what), a_, b_, (a_ - b_) / b_, (double)(tol));             \
  } while (0)

/* ---- constants ---------------------------------------------------------- */

START_TEST(test_kappa_closed_form)
{
  /* κ(B) = σ'(B) = e^B/(1+e^B)² — the textbook form, fine for |B| ≤ 30 */
  static const double Bs[] = {0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0};
  for (size_t i = 0; i < sizeof Bs / sizeof *Bs; ++i) {
    double B = Bs[i], e = exp(B);
    double want = e / ((1.0 + e) * (1.0 + e));
    ck_rel(as_bounds_kappa(B), want, 1e-14, "kappa(B)");
    ck_rel(as_bounds_kappa(-B), want, 1e-14, "kappa(-B) (even)");
  }
  ck_rel(as_bounds_kappa(0.0), 0.25, 1e-16, "kappa(0) = 1/4");
  /* Python decimal, 50 digits */
  ck_rel(as_bounds_kappa(2.0), 0.10499358540350651734862418476, 1e-15,
         "kappa(2) pinned");
  ck_rel(as_bounds_kappa(10.0), 4.5395807735951671032442043171e-05, 1e-14,
         "kappa(10) pinned");
  /* far tail: κ(B) ~ e^{-B} */
  ck_rel(as_bounds_kappa(500.0) / exp(-500.0), 1.0, 1e-12,
         "kappa(500) ~ e^-500");
}
END_TEST

static double phi_integrand(double t, void *p)
{
  double B = *(const double *)p;
  return (1.0 - t) * exp(t * B);
}

/* φ(B) = ∫₀¹ (1 − t) e^{tB} dt (Taylor remainder in integral form). */
static double phi_by_quadrature(double B)
{
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
  gsl_function F = {phi_integrand, &B};
  double res, err;
  gsl_integration_qag(&F, 0.0, 1.0, 0.0, 1e-13, 200, GSL_INTEG_GAUSS61, w,
                      &res, &err);
  gsl_integration_workspace_free(w);
  return res;
}

START_TEST(test_phi_quadrature)
{
  static const double Bs[] = {-40.0, -8.0, -3.0, -1.0, -1e-3, 1e-9, 0.3,
                              0.999, 1.0, 1.001, 2.0, 4.0, 10.0, 40.0};
  for (size_t i = 0; i < sizeof Bs / sizeof *Bs; ++i)
    ck_rel(as_bounds_phi(Bs[i]), phi_by_quadrature(Bs[i]), 1e-12,
           "phi(B) vs quadrature");
  ck_rel(as_bounds_phi(1.0), 0.71828182845904523536028747135, 1e-15,
         "phi(1) = e - 2");
  ck_rel(as_bounds_phi(4.0), 3.0998843770715149423818913252, 1e-14,
         "phi(4) pinned");
  ck_rel(as_bounds_phi(-3.0), 0.22775411870754043810881582396, 1e-14,
         "phi(-3) pinned");
}
END_TEST

START_TEST(test_phi_small_series)
{
  ck_rel(as_bounds_phi(0.0), 0.5, 1e-16, "phi(0) = 1/2");
  /* 1/2 + B/6 + B²/24 + B³/120 + B⁴/720: error < B⁵/5040 */
  static const double Bs[] = {1e-8, -1e-6, 1e-4, -3e-3, 0.01, -0.05};
  for (size_t i = 0; i < sizeof Bs / sizeof *Bs; ++i) {
    double B = Bs[i];
    double want = 0.5 + B / 6 + B * B / 24 + B * B * B / 120 +
                  B * B * B * B / 720;
    ck_rel(as_bounds_phi(B), want, 1e-15 + fabs(B * B * B * B * B) / 2000,
           "phi near 0 vs Taylor");
  }
  ck_rel(as_bounds_phi(1e-3), 0.50016670834166805575399305831, 1e-15,
         "phi(1e-3) pinned");
  /* continuity across the series/direct switch at |B| = 1 */
  ck_rel(as_bounds_phi(nextafter(1.0, 0.0)), as_bounds_phi(1.0), 1e-14,
         "phi continuous at 1");
  /* nondecreasing (Lemma 9's monotone φ, proofs/lemma9-quadratic.md) */
  double prev = as_bounds_phi(-50.0);
  for (double B = -50.0 + 0.01; B < 50.0; B += 0.01) {
    double v = as_bounds_phi(B);
    ck_assert_msg(v >= prev, "phi not nondecreasing at B = %.17g", B);
    prev = v;
  }
  /* no overflow short of the double range: φ(710) = e^710/710² is finite */
  ck_assert(isfinite(as_bounds_phi(710.0)));
}
END_TEST

START_TEST(test_c1_and_lemma10)
{
  ck_rel(as_bounds_c1(), 2.0, 0.0, "c1 = 2");
  ck_rel(as_bounds_hellinger_const(), 1.0, 0.0, "Prop 12 constant = 1");
  for (double B = 0.0; B <= 20.0; B += 0.125) {
    ck_rel(as_bounds_phi_exp(B), 0.5 * exp(B), 1e-15, "phi_exp = e^B/2");
    ck_assert_msg(as_bounds_phi(B) <= as_bounds_phi_exp(B),
                  "Lemma 10 phi(B) <= e^B/2 fails at B = %g", B);
  }
}
END_TEST

/* Γ(B) written from g, h directly (no series): g/h at u = B. */
static double gamma_direct(double B)
{
  double e = exp(B);
  return (1.0 - e + B * e) / (e - 1.0 - B);
}

START_TEST(test_prop15_gamma)
{
  static const double Bs[] = {0.5, 1.0, 2.0, 4.0, 8.0, 16.0};
  for (size_t i = 0; i < sizeof Bs / sizeof *Bs; ++i) {
    ck_rel(as_bounds_prop15_gamma(Bs[i]), gamma_direct(Bs[i]), 1e-12,
           "Gamma(B) vs g/h");
    ck_assert_msg(as_bounds_prop15_gamma(Bs[i]) <=
                      as_bounds_prop15_gamma_exp(Bs[i]),
                  "sharp Gamma exceeds exponential form at B = %g", Bs[i]);
    /* supremum of g/h over [−B, B] is at u = B: grid check */
    for (double u = -Bs[i]; u <= Bs[i]; u += Bs[i] / 512) {
      if (fabs(u) < 1e-3)
        continue;
      ck_assert_msg(gamma_direct(u) <= as_bounds_prop15_gamma(Bs[i]) * (1 + 1e-12),
                    "g/h(%g) above Gamma(%g)", u, Bs[i]);
    }
  }
  ck_rel(as_bounds_prop15_gamma(0.5), 1.1809969335461345378376626866, 1e-14,
         "Gamma(0.5) pinned");
  ck_rel(as_bounds_prop15_gamma(4.0), 3.3225926771322702799253682034, 1e-14,
         "Gamma(4) pinned");
  ck_rel(as_bounds_prop15_gamma(0.0), 1.0, 1e-15, "Gamma(0) = 1");
  ck_rel(as_bounds_prop15_gamma(1e-6), 1.0 + 1e-6 / 3, 1e-11,
         "Gamma(B) = 1 + B/3 + O(B²)");
  ck_rel(as_bounds_prop15_gamma(800.0), 799.0, 1e-12, "Gamma(B) ~ B - 1");
  ck_rel(as_bounds_prop15_gamma(-2.0), as_bounds_prop15_gamma(2.0), 0.0,
         "Gamma even");
}
END_TEST

/* ---- whole bounds --------------------------------------------------------- */

/* Theorem 4 written out: C φ(2R/β) · 2 log(|Π|/δ) / (2 β² κ(2R)² n). */
static double thm4_formula(double R, double beta, double delta, double C,
                           double size, double n)
{
  double e = exp(2 * R), k = e / ((1 + e) * (1 + e));
  return C * phi_by_quadrature(2 * R / beta) * 2.0 * log(size / delta) /
         (2.0 * beta * beta * k * k * n);
}

START_TEST(test_theorem4_pinned)
{
  as_bounds_chain ch;
  as_err err;
  ck_assert_int_eq(as_bounds_theorem4(1.0, 1.0, 0.05, 2.0, 10.0, 1000.0, &ch,
                                      &err), AS_OK);
  ck_rel(ch.kl, 1.0547598061455783783897728769, 1e-13,
         "theorem4(R=1, beta=1, delta=.05, C=2, |Pi|=10, n=1000) pinned");
  ck_rel(ch.kl, thm4_formula(1.0, 1.0, 0.05, 2.0, 10.0, 1000.0), 1e-12,
         "theorem4 vs written-out formula");
  ck_assert_int_eq(as_bounds_theorem4(0.5, 0.25, 0.1, 3.0, 100.0, 5000.0, &ch,
                                      &err), AS_OK);
  ck_rel(ch.kl, 5.3178235715570195032175857741, 1e-13,
         "theorem4(R=.5, beta=.25, delta=.1, C=3, |Pi|=100, n=5000) pinned");
  /* the factor breakdown multiplies back to the bound, and names the
   * quantities of the chain */
  ck_rel(ch.rate * ch.c1 * ch.lemma8 * ch.coverage * ch.lemma9, ch.kl, 1e-14,
         "factors multiply to the bound");
  ck_rel(ch.B_sigma, 1.0, 0.0, "B_sigma = 2 R_max");
  ck_rel(ch.B_v, 4.0, 0.0, "B_v = 2 R_max / beta");
  ck_rel(ch.pref_sq, 2.0 * log(1000.0) / 5000.0, 1e-15, "step (i) value");
  ck_rel(ch.reward_sq_mu,
         ch.pref_sq / (2 * pow(as_bounds_kappa(1.0), 2)), 1e-15,
         "step (ii) value (17)");
  ck_rel(ch.reward_sq_target, 3.0 * ch.reward_sq_mu, 1e-15, "step (iv)");
  ck_rel(ch.kl, as_bounds_phi(4.0) * ch.reward_sq_target / 0.0625, 1e-15,
         "step (iii)");
  /* the per-step API composes to the same number */
  double s = as_bounds_step_pref(100.0, 0.1, 5000.0);
  s = as_bounds_step_reward(s, 1.0);
  s = as_bounds_step_coverage(s, 3.0);
  s = as_bounds_step_kl(s, 4.0, 0.25);
  ck_rel(s, ch.kl, 1e-15, "step functions compose to theorem4");
}
END_TEST

START_TEST(test_theorem4_scaling)
{
  as_bounds_chain a, b;
  as_err err;
  as_bounds_theorem4(1.5, 0.7, 0.01, 1.3, 50.0, 800.0, &a, &err);
  as_bounds_theorem4(1.5, 0.7, 0.01, 1.3, 50.0, 3200.0, &b, &err);
  ck_rel(a.kl / b.kl, 4.0, 1e-14, "bound proportional to 1/n");
  as_bounds_theorem4(1.5, 0.7, 0.01, 5.2, 50.0, 800.0, &b, &err);
  ck_rel(b.kl / a.kl, 4.0, 1e-14, "bound proportional to coverage");
  as_bounds_theorem4(1.5, 0.7, 0.0001, 1.3, 50.0 * 50.0, 800.0, &b, &err);
  ck_rel(b.kl / a.kl, log(2500.0 / 1e-4) / log(50.0 / 0.01), 1e-14,
         "bound proportional to log(|Pi|/delta)");
  /* β enters through φ(2R/β)/β² only (κ uses 2R_max, not 2R/β) */
  as_bounds_theorem4(1.5, 1.4, 0.01, 1.3, 50.0, 800.0, &b, &err);
  ck_rel(b.kl / a.kl,
         (phi_by_quadrature(3.0 / 1.4) / (1.4 * 1.4)) /
             (phi_by_quadrature(3.0 / 0.7) / (0.7 * 0.7)),
         1e-12, "beta dependence phi(2R/beta)/beta^2");
  /* R_max = 0: κ(0) = 1/4, φ(0) = 1/2 → C · (1/2) · c1 L / (2 β² n / 16) */
  as_bounds_theorem4(0.0, 1.0, 0.5, 1.0, 2.0, 1.0, &b, &err);
  ck_rel(b.kl, 0.5 * 2.0 * log(4.0) * 16.0 / 2.0, 1e-15, "R_max = 0 limit");
}
END_TEST

START_TEST(test_theorem6_7_14_pinned)
{
  as_bounds_chain ch, c4;
  as_err err;
  ck_assert_int_eq(as_bounds_theorem6(1.0, 1.0, 0.05, 2.0, 100.0, 10.0,
                                      1000.0, 4000.0, &ch, &err), AS_OK);
  ck_rel(ch.kl, 2.7982788667433019379524256223, 1e-13, "theorem6 pinned");
  ck_assert_int_eq(as_bounds_theorem14(1.0, 1.0, 0.05, 1.5, 3.0, 100.0, 10.0,
                                       1000.0, 4000.0, &ch, &err), AS_OK);
  ck_rel(ch.kl, 3.8878307372623522252443067953, 1e-13, "theorem14 pinned");
  /* Theorem 7 is Theorem 4 over Π_R */
  as_bounds_theorem7(0.8, 0.5, 0.02, 1.7, 12.0, 700.0, &ch, &err);
  as_bounds_theorem4(0.8, 0.5, 0.02, 1.7, 12.0, 700.0, &c4, &err);
  ck_rel(ch.kl, c4.kl, 0.0, "theorem7 = theorem4 over Pi_R");
  /* Theorem 6 as m → ∞ with |Π| = |Π_R|: 2× Theorem 4 at δ/2 (the factor 2
   * is the (a+b)² ≤ 2a² + 2b² step, proofs/thm6-distill.md) */
  as_bounds_theorem6(0.8, 0.5, 0.02, 1.7, 12.0, 12.0, 700.0, 1e300, &ch,
                     &err);
  as_bounds_theorem4(0.8, 0.5, 0.01, 1.7, 12.0, 700.0, &c4, &err);
  ck_rel(ch.kl, 2.0 * c4.kl, 1e-14, "theorem6, m -> inf");
  /* Theorem 14 with n → ∞: only the distillation term, C' log(2|Π|/δ)/m */
  as_bounds_theorem14(0.8, 0.5, 0.02, 2.5, 1.7, 30.0, 12.0, 1e300, 900.0,
                      &ch, &err);
  double e = exp(1.6), k = e / ((1 + e) * (1 + e));
  ck_rel(ch.kl, phi_by_quadrature(3.2) / (0.25 * k * k) * 2.5 *
                    log(60.0 / 0.02) / 900.0,
         1e-12, "theorem14, n -> inf");
}
END_TEST

START_TEST(test_bad_input)
{
  as_bounds_chain ch;
  as_err err;
  as_err_clear(&err);
  ck_assert_int_eq(as_bounds_theorem4(1, 1, 0.0, 1, 10, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_msg(strstr(err.msg, "delta") != NULL, "message: %s", err.msg);
  ck_assert_int_eq(as_bounds_theorem4(1, 1, 1.0, 1, 10, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_theorem4(1, 0, 0.1, 1, 10, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_msg(strstr(err.msg, "beta") != NULL, "message: %s", err.msg);
  ck_assert_int_eq(as_bounds_theorem4(-1, 1, 0.1, 1, 10, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_theorem4(1, 1, 0.1, NAN, 10, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_theorem4(1, 1, 0.1, 1, 0.5, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_theorem4(1, 1, 0.1, 1, 10, 0, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_theorem6(1, 1, 0.1, 1, 5, 10, 100, 100, &ch,
                                      &err), AS_EINVAL); /* |Π_R| > |Π| */
  ck_assert_int_eq(as_bounds_theorem14(1, 1, 0.1, 1, 1, 10, 5, 100, -1, &ch,
                                       &err), AS_EINVAL);
  ck_assert_int_eq(as_bounds_instance(-0.1, 1, 1, 0.1, 1, 10, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_msg(strstr(err.msg, "B_sigma") != NULL, "message: %s", err.msg);
}
END_TEST

/* ---- the chain on random policy pairs ------------------------------------ */

#define KK 3
#define VV 5

static void rand_policy(gsl_rng *r, double scale, double *lp)
{
  for (int x = 0; x < KK; ++x) {
    double m = -INFINITY, s = 0.0;
    for (int y = 0; y < VV; ++y) {
      lp[x * VV + y] = scale * gsl_ran_gaussian(r, 1.0);
      m = fmax(m, lp[x * VV + y]);
    }
    for (int y = 0; y < VV; ++y)
      s += exp(lp[x * VV + y] - m);
    for (int y = 0; y < VV; ++y)
      lp[x * VV + y] -= m + log(s);
  }
}

static double sig(double t)
{
  return 1.0 / (1.0 + exp(-t));
}

/* Each step of proofs/README.md "Chain" checked on actual quantities of a
 * random (π*, π̂, μ), ρ uniform: the bound each step claims must hold. */
START_TEST(test_chain_steps_hold)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20261126);
  for (int rep = 0; rep < 500; ++rep) {
    double ls[KK * VV], lh[KK * VV], lm[KK * VV];
    double beta = 0.2 + 2.0 * gsl_rng_uniform(r);
    rand_policy(r, 1.0, ls);
    rand_policy(r, 1.0 + gsl_rng_uniform(r), lh);
    rand_policy(r, 0.5, lm);
    double pref_sq = 0, hel = 0, fmu = 0, fstar = 0, kl = 0, klrev = 0;
    double Bs = 0, Bv = 0, Bu = 0;
    for (int x = 0; x < KK; ++x) {
      double ms = 0, mh = 0; /* E_μ log π */
      for (int y = 0; y < VV; ++y) {
        ms += exp(lm[x * VV + y]) * ls[x * VV + y];
        mh += exp(lm[x * VV + y]) * lh[x * VV + y];
      }
      for (int y = 0; y < VV; ++y) {
        double rs = beta * (ls[x * VV + y] - ms); /* r̄_π* */
        double rh = beta * (lh[x * VV + y] - mh); /* r̄_π̂ */
        double f = rh - rs, pm = exp(lm[x * VV + y]), ps = exp(ls[x * VV + y]);
        fmu += pm * f * f / KK;
        fstar += ps * f * f / KK;
        Bv = fmax(Bv, fabs(f) / beta);
        double u = lh[x * VV + y] - ls[x * VV + y]; /* log π̂/π* */
        Bu = fmax(Bu, fabs(u));
        kl += ps * (-u) / KK;
        klrev += exp(lh[x * VV + y]) * u / KK;
        for (int z = 0; z < VV; ++z) {
          double w = pm * exp(lm[x * VV + z]) / KK;
          double ds = beta * (ls[x * VV + y] - ls[x * VV + z]);
          double dh = beta * (lh[x * VV + y] - lh[x * VV + z]);
          double p = sig(dh), q = sig(ds);
          pref_sq += w * (p - q) * (p - q);
          hel += w * (1 - sqrt(p * q) - sqrt((1 - p) * (1 - q)));
          Bs = fmax(Bs, fmax(fabs(ds), fabs(dh)));
        }
      }
    }
    /* Bernoulli step: E(ΔP)² ≤ c₁ E H² */
    ck_assert_msg(pref_sq <= as_bounds_c1() * hel * (1 + 1e-12),
                  "rep %d: E(dP)^2 = %g > 2 E H^2 = %g", rep, pref_sq,
                  2 * hel);
    /* (ii): E_μ f² ≤ E(ΔP)²/(2κ(B_σ)²) */
    ck_assert_msg(fmu <= as_bounds_step_reward(pref_sq, Bs) * (1 + 1e-12),
                  "rep %d: E_mu f^2 = %g > step(ii) %g", rep, fmu,
                  as_bounds_step_reward(pref_sq, Bs));
    /* (iii): KL ≤ φ(B_v) E_π* f²/β² */
    ck_assert_msg(kl <= as_bounds_step_kl(fstar, Bv, beta) * (1 + 1e-12),
                  "rep %d: KL = %g > step(iii) %g", rep, kl,
                  as_bounds_step_kl(fstar, Bv, beta));
    /* sharp (ii): E_μ f² ≤ 8(1 + cosh B_σ) E h² (Hellinger → logit) */
    ck_assert_msg(fmu <= 0.5 * as_bounds_hl_const(Bs) * hel * (1 + 1e-12),
                  "rep %d: E_mu f^2 = %g > sharp step %g", rep, fmu,
                  0.5 * as_bounds_hl_const(Bs) * hel);
    /* (iv) with the exact coverage ratio is an equality */
    ck_rel(as_bounds_step_coverage(fmu, fstar / fmu), fstar, 1e-12,
           "step (iv) with exact ratio");
    /* Prop. 15 both ways with B = max |log π̂/π*| */
    double G = as_bounds_prop15_gamma(Bu);
    ck_assert_msg(klrev <= G * kl * (1 + 1e-12) && kl <= G * klrev * (1 + 1e-12),
                  "rep %d: Prop 15 fails: KL %g, rev %g, Gamma %g", rep, kl,
                  klrev, G);
  }
  gsl_rng_free(r);
}
END_TEST

/* The worst-case ranges of Assumption 2 dominate the measured ones:
 * the instance form at B_σ ≤ 2R_max, B_v ≤ 2R_max/β is never larger. */
/* Step (ii) at a zero preference error is exactly 0 for every B_σ, also
 * where κ(B_σ)² underflows (B_σ ≳ 372): 0/0 must not leak out as NaN. */
START_TEST(test_step_reward_zero)
{
  const double Bs[] = {0.0, 1.0, 371.0, 400.0, 1e4};
  for (size_t i = 0; i < sizeof Bs / sizeof Bs[0]; i++)
    ck_assert_msg(as_bounds_step_reward(0.0, Bs[i]) == 0.0,
                  "step_reward(0, %g) = %g, want 0", Bs[i],
                  as_bounds_step_reward(0.0, Bs[i]));
  ck_assert(as_bounds_step_coverage(0.0, INFINITY) == 0.0);
  ck_assert(as_bounds_step_kl(0.0, 1e4, 1.0) == 0.0);
  /* and a positive error at such B is +inf, not NaN */
  ck_assert_msg(isinf(as_bounds_step_reward(1e-3, 1e4)),
                "step_reward(1e-3, 1e4) = %g, want inf",
                as_bounds_step_reward(1e-3, 1e4));
}
END_TEST

START_TEST(test_instance_le_worst_case)
{
  as_bounds_chain w, in;
  as_err err;
  as_bounds_theorem4(2.0, 0.5, 0.05, 1.5, 20.0, 1000.0, &w, &err);
  as_bounds_instance(4.0, 8.0, 0.5, 0.05, 1.5, 20.0, 1000.0, &in, &err);
  ck_rel(in.kl, w.kl, 1e-15, "instance form at worst-case ranges");
  as_bounds_instance(2.5, 3.0, 0.5, 0.05, 1.5, 20.0, 1000.0, &in, &err);
  ck_assert_msg(in.kl < w.kl, "instance %g >= worst case %g", in.kl, w.kl);
}
END_TEST


/* ---- the sharp chain (proofs/hellinger-logit.md) -------------------------- */

/* h²(σ(a), σ(b)) = 1 − √(σ(a)σ(b)) − √(σ(−a)σ(−b)), written with the
 * halves (√p − √q)² so that tiny values keep their digits. */
static double hel_logit(double a, double b)
{
  double p = 1.0 / (1.0 + exp(-a)), q = 1.0 / (1.0 + exp(-b));
  double s = sqrt(p) - sqrt(q), t = sqrt(1.0 - p) - sqrt(1.0 - q);
  return 0.5 * (s * s + t * t);
}

/* Values from mpmath at 50 digits (the script is in proofs/README.md,
 * "Pinned values"): the sharp constants and every sharp form. */
START_TEST(test_sharp_pinned)
{
  as_bounds_chain ch;
  as_err err;
  ck_rel(as_bounds_hl_const(2.0), 76.195131057338103352995415644, 1e-15,
         "c_HL(2) = 16(1 + cosh 2)");
  ck_rel(as_bounds_tail_sharp(10.0, 0.05, 1000.0),
         0.0051794967597659091459426904248, 1e-14,
         "tail 1 - (delta/(|Pi|-1))^(1/n)");
  ck_assert(as_bounds_tail_sharp(1.0, 0.05, 10.0) == 0.0);
  ck_assert_int_eq(as_bounds_theorem4_sharp(1, 1, 0.05, 2, 10, 1000, &ch,
                                            &err), AS_OK);
  ck_rel(ch.kl, 0.43303791856379212551210050334, 1e-13, "thm4 sharp pinned");
  ck_rel(ch.rate * ch.c1 * ch.lemma8 * ch.coverage * ch.lemma9, ch.kl, 1e-14,
         "sharp factors multiply to the bound");
  as_bounds_theorem4_sharp(0.5, 0.25, 0.1, 3, 100, 5000, &ch, &err);
  ck_rel(ch.kl, 4.1732262463886888682998823371, 1e-13, "thm4 sharp pinned 2");
  as_bounds_instance_sharp(3.0, 1.5, 1.0, 0.05, 1.2, 64, 1000, &ch, &err);
  ck_rel(ch.kl, 0.66567177716315457898891749685, 1e-13,
         "instance sharp pinned");
  as_bounds_class_exact(2.5, 16, 0.05, 300, &ch, &err);
  ck_rel(ch.kl, 0.047082521581939651804227268773, 1e-13,
         "class-exact pinned");
  as_bounds_theorem6_sharp(1, 1, 0.05, 2, 100, 10, 1000, 4000, &ch, &err);
  ck_rel(ch.kl, 0.79398672978791407134906061502, 1e-13, "thm6 sharp pinned");
  as_bounds_theorem14_sharp(1, 1, 0.05, 1.5, 3, 100, 10, 1000, 4000, &ch,
                            &err);
  ck_rel(ch.kl, 1.0464370240197592967310055367, 1e-13, "thm14 sharp pinned");
  as_bounds_two_stage_sharp(2.5, 3.0, 1.2, 0.7, 0.1, 1.3, 2.0, 30, 8, 500,
                            2000, &ch, &err);
  ck_rel(ch.kl, 2.2695985203966955646486435884, 1e-13,
         "two-stage instance sharp pinned");
  /* the headline constant: 16 cosh²(R) φ(2R/β)/β² at R = β = 1 */
  ck_rel(16.0 * pow(cosh(1.0), 2) * as_bounds_phi(2.0),
         41.803088084503750775197835257, 1e-14, "sharp constant R = beta = 1");
}
END_TEST

/* The sharp forms never exceed the paper chain: the Hellinger→logit step
 * gains cosh²(B/2) ≥ 1 and the tail ε ≤ log((|Π|−1)/δ)/n < log(|Π|/δ)/n. */
START_TEST(test_sharp_le_paper)
{
  as_err err;
  static const double Rs[] = {0.0, 0.3, 1.0, 2.5, 5.0};
  static const double ns[] = {1.0, 10.0, 1e3, 1e6};
  for (size_t i = 0; i < 5; i++)
    for (size_t j = 0; j < 4; j++) {
      as_bounds_chain a, b;
      as_bounds_theorem4(Rs[i], 0.8, 0.05, 1.7, 64, ns[j], &a, &err);
      as_bounds_theorem4_sharp(Rs[i], 0.8, 0.05, 1.7, 64, ns[j], &b, &err);
      ck_assert_msg(b.kl < a.kl, "R %g n %g: sharp %g >= paper %g", Rs[i],
                    ns[j], b.kl, a.kl);
      /* the step gain is exactly cosh²(R) (B_σ = 2R), the tail gain ≥ 1 */
      ck_rel(a.lemma8 * a.c1 / b.lemma8, pow(cosh(Rs[i]), 2), 1e-13,
             "Hellinger-logit gain cosh^2(B/2)");
      ck_assert(b.rate <= log(63 / 0.05) / ns[j]);
    }
}
END_TEST

/* The lemma itself on random and near-tight points, in double precision
 * (the rigorous proof is check_lemmas hellinger-logit): (a − b)² ≤
 * c_HL(B) h², and the ratio approaches 1 near the corner a, b → B. */
START_TEST(test_hellinger_logit_lemma)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20261202);
  for (int k = 0; k < 200000; k++) {
    double B = 12.0 * gsl_rng_uniform(r);
    double a = B * (2 * gsl_rng_uniform(r) - 1);
    double b = B * (2 * gsl_rng_uniform(r) - 1);
    double lhs = (a - b) * (a - b), rhs = as_bounds_hl_const(B) * hel_logit(a, b);
    ck_assert_msg(lhs <= rhs * (1 + 1e-9), "a %g b %g B %g: %g > %g", a, b, B,
                  lhs, rhs);
  }
  gsl_rng_free(r);
  static const double Bs[] = {0.5, 2.0, 6.0, 10.0};
  for (int i = 0; i < 4; i++) {
    double B = Bs[i], a = B, b = B - 1e-4;
    double ratio = (a - b) * (a - b) / (as_bounds_hl_const(B) * hel_logit(a, b));
    ck_assert_msg(ratio > 0.999 && ratio <= 1.0, "B %g: ratio %g not tight",
                  B, ratio);
    /* the paper chain's constant c₁/κ² is cosh²(B/2) times looser */
    double kap = as_bounds_kappa(B);
    ck_rel(as_bounds_c1() / (kap * kap) / as_bounds_hl_const(B),
           pow(cosh(B / 2), 2), 1e-12, "paper / sharp = cosh^2(B/2)");
  }
}
END_TEST

START_TEST(test_sharp_bad_input)
{
  as_bounds_chain ch;
  as_err err;
  ck_assert_int_eq(as_bounds_theorem4_sharp(1, 1, 1.5, 1, 10, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_instance_sharp(1, -1, 1, 0.1, 1, 10, 100, &ch,
                                            &err), AS_EINVAL);
  ck_assert_msg(strstr(err.msg, "B_v") != NULL, "message: %s", err.msg);
  ck_assert_int_eq(as_bounds_class_exact(NAN, 10, 0.1, 100, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_class_exact(1, 10, 0.1, 0, &ch, &err),
                   AS_EINVAL);
  ck_assert_int_eq(as_bounds_two_stage_sharp(1, 2, 1, 1, 0.1, 1, 1, 5, 10,
                                             100, 100, &ch, &err),
                   AS_EINVAL); /* |Π_R| > |Π| */
  ck_assert_int_eq(as_bounds_theorem6_sharp(1, 1, 0.1, 1, 10, 5, 100, 0, &ch,
                                            &err), AS_EINVAL);
  /* +inf ratio stays +inf, a one-member class gives 0 */
  ck_assert_int_eq(as_bounds_class_exact(INFINITY, 10, 0.1, 100, &ch, &err),
                   AS_OK);
  ck_assert(isinf(ch.kl));
  as_bounds_class_exact(INFINITY, 1, 0.1, 100, &ch, &err);
  ck_assert(ch.kl == 0.0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("bounds");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_kappa_closed_form);
  tcase_add_test(tc, test_phi_quadrature);
  tcase_add_test(tc, test_phi_small_series);
  tcase_add_test(tc, test_c1_and_lemma10);
  tcase_add_test(tc, test_prop15_gamma);
  tcase_add_test(tc, test_theorem4_pinned);
  tcase_add_test(tc, test_theorem4_scaling);
  tcase_add_test(tc, test_theorem6_7_14_pinned);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_chain_steps_hold);
  tcase_add_test(tc, test_instance_le_worst_case);
  tcase_add_test(tc, test_step_reward_zero);
  tcase_add_test(tc, test_sharp_pinned);
  tcase_add_test(tc, test_sharp_le_paper);
  tcase_add_test(tc, test_hellinger_logit_lemma);
  tcase_add_test(tc, test_sharp_bad_input);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? 0 : 1;
}
