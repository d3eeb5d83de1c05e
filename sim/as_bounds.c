/* as_bounds.c — explicit constants and bounds of docs/reference.md §5; derivations in
 * proofs/ (README.md lists every constant and the chain). */
#include "as_bounds.h"

#include <math.h>
#include <string.h>

/* κ(B) = σ'(B), written with e^{-|B|} so it neither overflows nor loses
 * digits for large |B| (Lemma 8, proofs/lemma8-sigmoid.md). */
double as_bounds_kappa(double B)
{
  double e = exp(-fabs(B));
  double d = 1.0 + e;
  return e / (d * d);
}

/* φ(B) = Σ_{k≥0} B^k/(k+2)!; below |B| = 1 the series (terms < 1/(k+2)!)
 * is summed to 30 terms (1/32! < 1e-35), avoiding the cancellation of
 * e^B − 1 − B ≈ B²/2.  Above, expm1 is accurate to a few ulp. */
double as_bounds_phi(double B)
{
  if (fabs(B) < 1.0) {
    double term = 0.5, sum = 0.0;
    for (int k = 0; k < 30; ++k) {
      sum += term;
      term *= B / (double)(k + 3);
    }
    return sum;
  }
  if (B > 700.0) /* e^B/B² computed in logs; overflows only for B ≳ 715 */
    return exp(B - 2.0 * log(B));
  return (expm1(B) - B) / (B * B);
}

double as_bounds_phi_exp(double B)
{
  return 0.5 * exp(B);
}

double as_bounds_c1(void)
{
  return 2.0;
}

double as_bounds_hellinger_const(void)
{
  return 1.0;
}

/* g(u) = 1 − e^u + u e^u = u² χ(u), χ(u) = Σ_{k≥0} (k+1) u^k/(k+2)!;
 * h(u) = e^u − 1 − u = u² φ(u); Γ(B) = g(B)/h(B) = χ(B)/φ(B)
 * (proofs/prop15-fwd-rev.md).  Below |B| = 1 the series ratio; above,
 * numerator and denominator divided by e^B: (e^{-B} − 1 + B)/(1 − (1+B)e^{-B}),
 * free of cancellation and overflow. */
double as_bounds_prop15_gamma(double B)
{
  double b = fabs(B);
  if (b < 1.0) {
    double term = 0.5, chi = 0.0; /* term = b^k/(k+2)! */
    for (int k = 0; k < 30; ++k) {
      chi += (double)(k + 1) * term;
      term *= b / (double)(k + 3);
    }
    return chi / as_bounds_phi(b);
  }
  double e = exp(-b);
  return (e - 1.0 + b) / (1.0 - (1.0 + b) * e);
}

double as_bounds_prop15_gamma_exp(double B)
{
  double b = fabs(B);
  return exp(b) * as_bounds_phi(b) / as_bounds_phi(-b);
}

/* ---- per-step expressions --------------------------------------------- */

double as_bounds_step_pref(double class_size, double delta, double n)
{
  return as_bounds_c1() * log(class_size / delta) / n;
}

double as_bounds_step_reward(double pref_sq, double B_sigma)
{
  /* A zero preference error bounds a zero reward error for every B: κ(B)²
   * underflows to 0 for B ≳ 372 and 0/0 must not turn that into NaN. */
  if (pref_sq == 0.0)
    return 0.0;
  double k = as_bounds_kappa(B_sigma);
  return pref_sq / (2.0 * k * k);
}

double as_bounds_step_coverage(double reward_sq_mu, double coverage)
{
  /* zero stays zero even for an uncovered class (C = +inf) */
  if (reward_sq_mu == 0.0)
    return 0.0;
  return coverage * reward_sq_mu;
}

double as_bounds_step_kl(double reward_sq_target, double B_v, double beta)
{
  /* φ(B_v) overflows for B_v ≳ 709; 0·inf must stay 0 */
  if (reward_sq_target == 0.0)
    return 0.0;
  return as_bounds_phi(B_v) * reward_sq_target / (beta * beta);
}

/* ---- input checks ------------------------------------------------------ */

static int check_pos(const char *name, double v, as_err *err)
{
  if (!isfinite(v) || !(v > 0.0))
    return as_err_set(err, AS_EINVAL, "as_bounds: %s = %g must be finite and > 0",
                      name, v);
  return AS_OK;
}

static int check_nonneg(const char *name, double v, as_err *err)
{
  if (!isfinite(v) || !(v >= 0.0))
    return as_err_set(err, AS_EINVAL, "as_bounds: %s = %g must be finite and >= 0",
                      name, v);
  return AS_OK;
}

static int check_delta(double delta, as_err *err)
{
  if (!isfinite(delta) || !(delta > 0.0 && delta < 1.0))
    return as_err_set(err, AS_EINVAL, "as_bounds: delta = %g must lie in (0, 1)",
                      delta);
  return AS_OK;
}

static int check_size(const char *name, double s, as_err *err)
{
  if (!isfinite(s) || !(s >= 1.0))
    return as_err_set(err, AS_EINVAL, "as_bounds: %s = %g must be finite and >= 1",
                      name, s);
  return AS_OK;
}

/* The inputs and constants every single-stage chain records. */
static void chain_inputs(double B_sigma, double B_v, double beta, double delta,
                         double coverage, double class_size, double n,
                         as_bounds_chain *out)
{
  memset(out, 0, sizeof *out);
  out->beta = beta;
  out->delta = delta;
  out->n = n;
  out->B_sigma = B_sigma;
  out->B_v = B_v;
  out->coverage = coverage;
  out->log_term_n = log(class_size / delta);
  out->kappa = as_bounds_kappa(B_sigma);
  out->phi = as_bounds_phi(B_v);
  out->lemma9 = out->phi / (beta * beta);
}

/* The single-stage chain (i) → (ii) → (iv) → (iii) shared by Theorems 4, 7
 * and the instance form. */
static void chain_single(double B_sigma, double B_v, double beta, double delta,
                         double coverage, double class_size, double n,
                         as_bounds_chain *out)
{
  chain_inputs(B_sigma, B_v, beta, delta, coverage, class_size, n, out);
  out->c1 = as_bounds_c1();
  out->pref_sq = as_bounds_step_pref(class_size, delta, n);
  out->reward_sq_mu = as_bounds_step_reward(out->pref_sq, B_sigma);
  out->reward_sq_target = as_bounds_step_coverage(out->reward_sq_mu, coverage);
  out->kl = as_bounds_step_kl(out->reward_sq_target, B_v, beta);
  out->rate = out->log_term_n / n;
  out->lemma8 = 1.0 / (2.0 * out->kappa * out->kappa);
}

static int check_common(double beta, double delta, double coverage, double n,
                        as_err *err)
{
  int rc;
  if ((rc = check_pos("beta", beta, err)) ||
      (rc = check_delta(delta, err)) ||
      (rc = check_nonneg("coverage", coverage, err)) ||
      (rc = check_pos("n", n, err)))
    return rc;
  return AS_OK;
}

typedef void (*chain_fn)(double B_sigma, double B_v, double beta,
                         double delta, double coverage, double class_size,
                         double n, as_bounds_chain *out);

/* Checks the inputs of a single-stage form, then runs chain `f` with the
 * ranges (B_σ, B_v) — the worst case (2R_max, 2R_max/β) when worst. */
static int single_stage(chain_fn f, int worst, double B_sigma, double B_v,
                        double beta, double delta, double coverage,
                        double class_size, double n, as_bounds_chain *out,
                        as_err *err)
{
  int rc;
  if ((rc = worst ? check_nonneg("R_max", B_sigma, err)
                  : check_nonneg("B_sigma", B_sigma, err)) ||
      (!worst && (rc = check_nonneg("B_v", B_v, err))) ||
      (rc = check_common(beta, delta, coverage, n, err)) ||
      (rc = check_size("class_size", class_size, err)))
    return rc;
  if (worst) { /* B_sigma holds R_max here */
    B_v = 2.0 * B_sigma / beta;
    B_sigma = 2.0 * B_sigma;
  }
  f(B_sigma, B_v, beta, delta, coverage, class_size, n, out);
  return AS_OK;
}

int as_bounds_theorem4(double R_max, double beta, double delta,
                       double coverage, double class_size, double n,
                       as_bounds_chain *out, as_err *err)
{
  return single_stage(chain_single, 1, R_max, NAN, beta, delta, coverage,
                      class_size, n, out, err);
}

int as_bounds_instance(double B_sigma, double B_v, double beta, double delta,
                       double coverage, double class_size, double n,
                       as_bounds_chain *out, as_err *err)
{
  return single_stage(chain_single, 0, B_sigma, B_v, beta, delta, coverage,
                      class_size, n, out, err);
}

int as_bounds_theorem7(double R_max, double beta, double delta,
                       double coverage_R, double size_R, double n,
                       as_bounds_chain *out, as_err *err)
{
  return as_bounds_theorem4(R_max, beta, delta, coverage_R, size_R, n, out,
                            err);
}

/* Shared checks and constants of the two-stage Theorems 6 and 14. */
static int two_stage_setup(double R_max, double beta, double delta,
                           double size_Pi, double size_R, double n, double m,
                           as_bounds_chain *out, as_err *err)
{
  int rc;
  if ((rc = check_nonneg("R_max", R_max, err)) ||
      (rc = check_pos("beta", beta, err)) ||
      (rc = check_delta(delta, err)) ||
      (rc = check_size("size_Pi", size_Pi, err)) ||
      (rc = check_size("size_R", size_R, err)) ||
      (rc = check_pos("n", n, err)) ||
      (rc = check_pos("m", m, err)))
    return rc;
  if (size_R > size_Pi)
    return as_err_set(err, AS_EINVAL,
                      "as_bounds: size_R = %g exceeds size_Pi = %g "
                      "(Assumption 5: Π_R ⊆ Π)", size_R, size_Pi);
  memset(out, 0, sizeof *out);
  out->beta = beta;
  out->delta = delta;
  out->n = n;
  out->m = m;
  out->B_sigma = 2.0 * R_max;
  out->B_v = 2.0 * R_max / beta;
  /* δ/2 for the reward model, δ/2 for the distillation step (union bound) */
  out->log_term_n = log(2.0 * size_R / delta);
  out->log_term_m = log(2.0 * size_Pi / delta);
  out->c1 = as_bounds_c1();
  out->kappa = as_bounds_kappa(out->B_sigma);
  out->phi = as_bounds_phi(out->B_v);
  /* (i) reward model: Prop. 12 over Π_R (c₁); (i') distillation: zero
   * empirical loss ⇒ agreement on m pairs, constant 1 (thm6-distill.md) */
  out->pref_sq_reward = out->c1 * out->log_term_n / n;
  out->pref_sq_distill = out->log_term_m / m;
  out->lemma8 = 1.0 / (2.0 * out->kappa * out->kappa);
  out->lemma9 = out->phi / (beta * beta);
  return AS_OK;
}

int as_bounds_theorem6(double R_max, double beta, double delta,
                       double coverage, double size_Pi, double size_R,
                       double n, double m, as_bounds_chain *out,
                       as_err *err)
{
  int rc;
  if ((rc = check_nonneg("coverage", coverage, err)))
    return rc;
  if ((rc = two_stage_setup(R_max, beta, delta, size_Pi, size_R, n, m, out,
                            err)))
    return rc;
  out->coverage = coverage;
  /* (a + b)² ≤ 2a² + 2b² on P_π̂ − P_r̂ and P_r̂ − P_π* */
  out->pref_sq = 2.0 * out->pref_sq_distill + 2.0 * out->pref_sq_reward;
  out->reward_sq_mu = as_bounds_step_reward(out->pref_sq, out->B_sigma);
  out->reward_sq_target = as_bounds_step_coverage(out->reward_sq_mu, coverage);
  out->kl = as_bounds_step_kl(out->reward_sq_target, out->B_v, beta);
  out->rate = out->pref_sq / out->c1;
  return AS_OK;
}

int as_bounds_theorem14(double R_max, double beta, double delta,
                        double coverage_prime, double coverage_R,
                        double size_Pi, double size_R, double n, double m,
                        as_bounds_chain *out, as_err *err)
{
  int rc;
  if ((rc = check_nonneg("coverage_prime", coverage_prime, err)) ||
      (rc = check_nonneg("coverage_R", coverage_R, err)))
    return rc;
  if ((rc = two_stage_setup(R_max, beta, delta, size_Pi, size_R, n, m, out,
                            err)))
    return rc;
  out->coverage = coverage_prime;
  out->coverage_R = coverage_R;
  /* f = (r̄_π̂ − r̄_r̂) + (r̄_r̂ − r̄_π*): E_π* f² ≤ 2 C' Var_μ'(·) + 2 C_R E_μ(·)²,
   * each term by Lemma 8 (as (17)) from its own preference error. */
  double var_distill = as_bounds_step_reward(out->pref_sq_distill,
                                             out->B_sigma);
  double sq_reward = as_bounds_step_reward(out->pref_sq_reward, out->B_sigma);
  out->reward_sq_mu = sq_reward;
  out->reward_sq_target = 2.0 * coverage_prime * var_distill +
                          2.0 * coverage_R * sq_reward;
  out->kl = as_bounds_step_kl(out->reward_sq_target, out->B_v, beta);
  return AS_OK;
}

/* ---- the sharp chain (proofs/hellinger-logit.md) ------------------------ */

double as_bounds_hl_const(double B)
{
  return 16.0 * (1.0 + cosh(B));
}

double as_bounds_tail_sharp(double class_size, double delta, double n)
{
  double N = class_size - 1.0;
  if (!(N >= 1.0) || delta >= N)
    return 0.0;
  return -expm1(log(delta / N) / n);
}

/* E_{ρ,μ}[f²] ≤ E_{μ,μ}[(f(y) − f(y'))²]/2 ≤ c_HL(B_σ)·E[h²]/2. */
static double hl_factor(double B_sigma)
{
  return 0.5 * as_bounds_hl_const(B_sigma);
}

static void chain_sharp(double B_sigma, double B_v, double beta, double delta,
                        double coverage, double class_size, double n,
                        as_bounds_chain *out)
{
  chain_inputs(B_sigma, B_v, beta, delta, coverage, class_size, n, out);
  out->c1 = as_bounds_hellinger_const();
  out->rate = as_bounds_tail_sharp(class_size, delta, n);
  out->hel_sq = out->rate;
  out->lemma8 = hl_factor(B_sigma);
  out->reward_sq_mu = out->hel_sq == 0.0 ? 0.0 : out->lemma8 * out->hel_sq;
  out->reward_sq_target = as_bounds_step_coverage(out->reward_sq_mu, coverage);
  out->kl = as_bounds_step_kl(out->reward_sq_target, B_v, beta);
}

int as_bounds_theorem4_sharp(double R_max, double beta, double delta,
                             double coverage, double class_size, double n,
                             as_bounds_chain *out, as_err *err)
{
  return single_stage(chain_sharp, 1, R_max, NAN, beta, delta, coverage,
                      class_size, n, out, err);
}

int as_bounds_instance_sharp(double B_sigma, double B_v, double beta,
                             double delta, double coverage, double class_size,
                             double n, as_bounds_chain *out, as_err *err)
{
  return single_stage(chain_sharp, 0, B_sigma, B_v, beta, delta, coverage,
                      class_size, n, out, err);
}

int as_bounds_class_exact(double ratio, double class_size, double delta,
                          double n, as_bounds_chain *out, as_err *err)
{
  int rc;
  if ((rc = check_delta(delta, err)) || (rc = check_pos("n", n, err)) ||
      (rc = check_size("class_size", class_size, err)))
    return rc;
  if (isnan(ratio) || !(ratio >= 0.0))
    return as_err_set(err, AS_EINVAL, "as_bounds: ratio = %g must be >= 0",
                      ratio);
  memset(out, 0, sizeof *out);
  out->delta = delta;
  out->n = n;
  out->log_term_n = log(class_size / delta);
  out->c1 = as_bounds_hellinger_const();
  out->rate = out->hel_sq = as_bounds_tail_sharp(class_size, delta, n);
  out->lemma8 = ratio; /* KL/h² of the worst member replaces steps (ii)–(iii) */
  out->coverage = 1.0;
  out->lemma9 = 1.0;
  out->kl = out->hel_sq == 0.0 ? 0.0 : ratio * out->hel_sq;
  return AS_OK;
}

int as_bounds_two_stage_sharp(double B_sigma, double B_pair, double B_v,
                              double beta, double delta, double coverage_m,
                              double coverage_n, double size_Pi,
                              double size_R, double n, double m,
                              as_bounds_chain *out, as_err *err)
{
  int rc;
  if ((rc = check_nonneg("B_sigma", B_sigma, err)) ||
      (rc = check_nonneg("B_pair", B_pair, err)) ||
      (rc = check_nonneg("B_v", B_v, err)) ||
      (rc = check_nonneg("coverage_m", coverage_m, err)) ||
      (rc = check_nonneg("coverage_n", coverage_n, err)))
    return rc;
  if ((rc = two_stage_setup(B_sigma / 2.0, beta, delta, size_Pi, size_R, n,
                            m, out, err)))
    return rc;
  /* two_stage_setup filled the paper chain's worst-case fields: redo */
  out->B_sigma = B_sigma;
  out->B_v = B_v;
  out->B_pair = B_pair;
  out->kappa = as_bounds_kappa(B_sigma);
  out->phi = as_bounds_phi(B_v);
  out->c1 = as_bounds_hellinger_const();
  out->coverage = coverage_m;
  out->coverage_R = coverage_n;
  out->pref_sq_reward = out->pref_sq_distill = 0.0;
  out->hel_sq = as_bounds_tail_sharp(size_R, delta / 2.0, n);
  out->hel_sq_m = as_bounds_tail_sharp(size_Pi, delta / 2.0, m);
  out->lemma8 = hl_factor(B_sigma);
  out->lemma9 = out->phi / (beta * beta);
  /* E_{ν,ν}[(Δg)²] ≤ B_pair²·P(Δg ≠ 0) = 2 Var_ν g */
  out->reward_sq_m = out->hel_sq_m == 0.0 ? 0.0
                                          : 0.5 * B_pair * B_pair * out->hel_sq_m;
  out->reward_sq_mu = out->hel_sq == 0.0 ? 0.0 : out->lemma8 * out->hel_sq;
  double a = out->reward_sq_m == 0.0 ? 0.0 : coverage_m * out->reward_sq_m;
  double b = out->reward_sq_mu == 0.0 ? 0.0 : coverage_n * out->reward_sq_mu;
  double s = sqrt(a) + sqrt(b);
  out->reward_sq_target = s * s;
  out->kl = as_bounds_step_kl(out->reward_sq_target, B_v, beta);
  out->rate = out->hel_sq;
  return AS_OK;
}

int as_bounds_theorem6_sharp(double R_max, double beta, double delta,
                             double coverage, double size_Pi, double size_R,
                             double n, double m, as_bounds_chain *out,
                             as_err *err)
{
  int rc;
  if ((rc = check_nonneg("R_max", R_max, err)) ||
      (rc = check_pos("beta", beta, err)))
    return rc;
  return as_bounds_two_stage_sharp(2.0 * R_max, 4.0 * R_max,
                                   2.0 * R_max / beta, beta, delta, coverage,
                                   coverage, size_Pi, size_R, n, m, out, err);
}

int as_bounds_theorem14_sharp(double R_max, double beta, double delta,
                              double coverage_prime, double coverage_R,
                              double size_Pi, double size_R, double n,
                              double m, as_bounds_chain *out, as_err *err)
{
  int rc;
  if ((rc = check_nonneg("R_max", R_max, err)) ||
      (rc = check_pos("beta", beta, err)))
    return rc;
  return as_bounds_two_stage_sharp(2.0 * R_max, 4.0 * R_max,
                                   2.0 * R_max / beta, beta, delta,
                                   coverage_prime, coverage_R, size_Pi,
                                   size_R, n, m, out, err);
}
