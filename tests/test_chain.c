/* test_chain.c — every step of the proof chain of docs/reference.md §5, checked member
 * by member on many random finite classes.
 *
 * For each member π of each class (taken as the estimate π̂), the exact
 * intermediate quantities (as_theory_chain_member) are compared with the
 * bound the proof gives THAT step (as_bounds.h, proofs/README.md):
 *   (i)   E[(P_π − P_π*)²] ≤ (c₁/c_H) E[H²(P_π, P_π*)]  (Bernoulli step of
 *         Prop. 12: (p − q)² ≤ 2H²)
 *   (ii)  E[(f(y) − f(y'))²] = 2 E_μ f² (identity, f μ-centred), and
 *         E_μ f² ≤ E[(ΔP)²]/(2κ(B_σ)²) (Lemma 8, eq. 17), B_σ ≤ 2R_max
 *   (iv)  E_π* f² ≤ C_Π E_μ f² (Definition 3)
 *   (iii) KL(π*‖π) ≤ E_π*[e^v − 1 − v] ≤ φ(B_v) E_π* v² (Schulman with the
 *         normaliser dropped, Lemma 9), B_v ≤ 2R_max/β, and max|v|
 *         recomputed here from the raw log-ratio (so a sup-norm taken on
 *         log(π/π*) instead of the centred v is caught)
 * and the composite of all steps with the instance ranges and with the
 * worst-case ranges of the theorem.  These are deterministic inequalities:
 * the only slack allowed is rounding (1e-12 relative).  Each step's
 * tightest ratio (quantity ÷ its bound) over all members is also required
 * to come close to 1, so a constant that is too generous by a factor 2
 * would be caught as well as one that is too small. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_bounds.h"
#include "as_finite.h"
#include "as_instance.h"
#include "as_rng.h"
#include "as_theory.h"

#define SLACK (1.0 + 1e-12)

/* Largest quantity/bound ratio seen per step (tightness). */
enum { S_HEL, S_L8, S_COV, S_SCH, S_L9, S_ALL, S_HL, S_L9U, S_RATIO,
       S_SHARP, S_N };
static const char *step_name[S_N] = {"hellinger", "lemma8", "coverage",
                                     "schulman", "lemma9", "composite",
                                     "hel-logit", "lemma9-up", "cls-ratio",
                                     "sharp"};

static void le(double q, double bound, const char *what, double *tight,
               const char *ctx)
{
  ck_assert_msg(!isnan(bound), "%s: bound on %s is NaN", ctx, what);
  ck_assert_msg(q <= bound * SLACK + 1e-300,
                "%s: %s = %.17g exceeds its bound %.17g", ctx, what, q, bound);
  if (bound > 0.0 && tight != NULL && q / bound > *tight)
    *tight = q / bound;
}

/* max over x (ρ > 0), y of |v| (one_sided = 0) or of v (one_sided = 1),
 * v = (ℓ_π − ℓ*) − E_μ(ℓ_π − ℓ*). */
static double max_v_side(const as_instance *inst, const double *lp,
                         int one_sided);

static double max_v(const as_instance *inst, const double *lp)
{
  return max_v_side(inst, lp, 0);
}

static double max_v_side(const as_instance *inst, const double *lp,
                         int one_sided)
{
  double best = 0.0;
  size_t V = inst->V;
  for (size_t x = 0; x < inst->K; x++) {
    if (inst->log_rho[x] == -INFINITY)
      continue;
    double mean = 0.0;
    for (size_t y = 0; y < V; y++)
      if (inst->log_mu[x * V + y] > -INFINITY)
        mean += exp(inst->log_mu[x * V + y])
                * (lp[x * V + y] - inst->log_pi_star[x * V + y]);
    for (size_t y = 0; y < V; y++) {
      double v = lp[x * V + y] - inst->log_pi_star[x * V + y] - mean;
      best = fmax(best, one_sided ? v : fabs(v));
    }
  }
  return best;
}

/* E_μ f² ≤ 8(1 + cosh B) h² (Hellinger → logit); 0 at h² = 0 even where
 * cosh B overflows (B ≳ 710). */
static double hl_step(double h2, double B)
{
  return h2 == 0.0 ? 0.0 : 0.5 * as_bounds_hl_const(B) * h2;
}

static void run_class(size_t K, size_t V, double beta, as_mu_kind mu,
                      double mu_sharp, const double *dist, size_t nd,
                      uint64_t seed, double tight[S_N], size_t *members)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = K;
  p.V = V;
  p.logit_scale = 0.5 + (double)(seed % 4);
  p.rho_uniform = (int)(seed % 2);
  p.mu = mu;
  p.mu_sharpness = mu_sharp;
  p.mu_noise = 0.7;
  as_instance *inst = as_instance_new(K, V);
  gsl_rng *r = as_rng_new(seed, 77);
  as_err e;
  ck_assert_msg(as_instance_draw(inst, &p, r, &e) == AS_OK, "%s", e.msg);
  as_finite_class *c = NULL;
  ck_assert_msg(as_finite_generate(inst, dist, nd, 3, r, &c, &e) == AS_OK, "%s",
                e.msg);
  double C;
  as_theory_ranges rg;
  ck_assert_int_eq(as_theory_coverage(inst, c, NULL, NULL, &C, NULL, NULL, &e),
                   AS_OK);
  ck_assert_int_eq(as_theory_measure_ranges(inst, c, beta, &rg, &e), AS_OK);
  double c1h = as_bounds_c1() / as_bounds_hellinger_const();
  double ratio;
  ck_assert_int_eq(as_theory_class_ratio(inst, c, beta, &ratio, NULL, &e),
                   AS_OK);
  for (size_t m = 0; m < c->M; m++) {
    char ctx[160];
    snprintf(ctx, sizeof ctx, "seed %lu K %zu V %zu beta %g mu %d member %zu",
             (unsigned long)seed, K, V, beta, (int)mu, m);
    const double *lp = as_finite_member(c, m);
    as_theory_chain ch;
    ck_assert_int_eq(as_theory_chain_member(inst, lp, beta, &ch, &e), AS_OK);
    /* (i) */
    le(ch.pref_sq, c1h * ch.hellinger2, "E(dP)^2 vs Hellinger", &tight[S_HEL],
       ctx);
    /* (ii) */
    ck_assert_msg(fabs(ch.pair_sq - 2 * ch.reward_sq_mu)
                      <= 1e-12 * (1 + ch.pair_sq),
                  "%s: pair %.17g vs 2 E_mu f^2 %.17g", ctx, ch.pair_sq,
                  2 * ch.reward_sq_mu);
    le(ch.B_sigma, 2 * rg.R_max, "B_sigma vs 2 R_max", NULL, ctx);
    le(ch.B_sigma, rg.B_sigma, "member B_sigma vs class B_sigma", NULL, ctx);
    le(ch.reward_sq_mu, as_bounds_step_reward(ch.pref_sq, ch.B_sigma),
       "E_mu f^2 (Lemma 8, instance B_sigma)", &tight[S_L8], ctx);
    le(ch.reward_sq_mu, as_bounds_step_reward(ch.pref_sq, 2 * rg.R_max),
       "E_mu f^2 (Lemma 8, 2 R_max)", NULL, ctx);
    /* (iv) */
    le(ch.reward_sq_target, as_bounds_step_coverage(ch.reward_sq_mu, C),
       "E_pi* f^2 (coverage)", &tight[S_COV], ctx);
    /* (iii) */
    double mv = max_v(inst, lp);
    ck_assert_msg(fabs(mv - ch.B_v) <= 1e-12 * (1 + mv),
                  "%s: B_v %.17g, recomputed max|v| %.17g", ctx, ch.B_v, mv);
    le(ch.B_v, 2 * rg.R_max / beta, "B_v vs 2 R_max/beta", NULL, ctx);
    le(ch.B_v, rg.B_v, "member B_v vs class B_v", NULL, ctx);
    le(ch.kl, ch.schulman, "KL vs Schulman (normaliser dropped)",
       &tight[S_SCH], ctx);
    le(ch.schulman, as_bounds_step_kl(ch.reward_sq_target, ch.B_v, beta),
       "Schulman vs Lemma 9", &tight[S_L9], ctx);
    /* the whole chain, from the measured E(dP)^2 */
    double all = as_bounds_step_kl(
        as_bounds_step_coverage(as_bounds_step_reward(ch.pref_sq, ch.B_sigma),
                                C),
        ch.B_v, beta);
    le(ch.kl, all, "KL vs composite chain (instance ranges)", &tight[S_ALL],
       ctx);
    double worst = as_bounds_step_kl(
        as_bounds_step_coverage(
            as_bounds_step_reward(ch.pref_sq, 2 * rg.R_max), C),
        2 * rg.R_max / beta, beta);
    le(ch.kl, worst, "KL vs composite chain (theorem ranges)", NULL, ctx);
    /* the sharp chain (proofs/hellinger-logit.md): Hellinger → logit in
     * one step, one-sided B_v, class-exact ratio, and the composite */
    le(ch.reward_sq_mu, hl_step(ch.hellinger2, ch.B_sigma),
       "E_mu f^2 (Hellinger -> logit, member B_sigma)", &tight[S_HL], ctx);
    double mu_ = max_v_side(inst, lp, 1);
    ck_assert_msg(fabs(mu_ - ch.B_v_up) <= 1e-12 * (1 + fabs(mu_)),
                  "%s: B_v_up %.17g, recomputed max v %.17g", ctx, ch.B_v_up,
                  mu_);
    le(ch.B_v_up, rg.B_v_up, "member B_v_up vs class B_v_up", NULL, ctx);
    le(ch.schulman, as_bounds_step_kl(ch.reward_sq_target, ch.B_v_up, beta),
       "Schulman vs Lemma 9 (one-sided B_v)", &tight[S_L9U], ctx);
    le(ch.kl, ratio * ch.hellinger2, "KL vs class ratio * h^2",
       &tight[S_RATIO], ctx);
    double sharp = as_bounds_step_kl(
        as_bounds_step_coverage(hl_step(ch.hellinger2, rg.B_sigma), C),
        rg.B_v_up, beta);
    le(ch.kl, sharp, "KL vs sharp composite (class ranges)", &tight[S_SHARP],
       ctx);
    (*members)++;
  }
  as_finite_free(c);
  gsl_rng_free(r);
  as_instance_free(inst);
}

START_TEST(test_chain_all_members)
{
  const double d_small[] = {1e-6, 1e-4}, d_mid[] = {0.01, 0.1, 0.5},
               d_big[] = {1.0, 3.0};
  const double *dists[] = {d_small, d_mid, d_big};
  const size_t nds[] = {2, 3, 2};
  const double betas[] = {0.1, 0.5, 1.0, 3.0};
  const as_mu_kind mus[] = {AS_MU_REF, AS_MU_UNIFORM, AS_MU_DRAWN, AS_MU_STAR};
  double tight[S_N] = {0};
  size_t members = 0;
  uint64_t seed = 1;
  for (size_t K = 1; K <= 4; K += 3)
    for (size_t V = 2; V <= 8; V += 3)
      for (int b = 0; b < 4; b++)
        for (int u = 0; u < 4; u++)
          for (int j = 0; j < 3; j++)
            run_class(K, V, betas[b], mus[u], u == 2 ? -0.5 : 0.5, dists[j],
                      nds[j], seed++, tight, &members);
  /* Tightness: every step is attained (to rounding / second order) by some
   * member — small perturbations at small β make Hellinger, Lemma 8 and
   * Lemma 9 exact to first order, the coverage maximiser attains C_Π, and
   * Schulman is exact for a perturbation orthogonal to the normaliser. */
  for (int s = 0; s < S_N; s++)
    fprintf(stderr, "chain: %-9s tightest ratio %.6f over %zu members\n",
            step_name[s], tight[s], members);
  ck_assert_msg(tight[S_HEL] > 0.99, "Hellinger step never tight: %g",
                tight[S_HEL]);
  ck_assert_msg(tight[S_L8] > 0.99, "Lemma 8 never tight: %g", tight[S_L8]);
  ck_assert_msg(tight[S_COV] > 1.0 - 1e-9, "coverage never attained: %g",
                tight[S_COV]);
  ck_assert_msg(tight[S_L9] > 0.99, "Lemma 9 never tight: %g", tight[S_L9]);
  ck_assert_msg(tight[S_ALL] > 0.5, "composite never within 2x: %g",
                tight[S_ALL]);
  ck_assert_msg(tight[S_HL] > 0.99, "Hellinger->logit never tight: %g",
                tight[S_HL]);
  ck_assert_msg(tight[S_L9U] > 0.99, "Lemma 9 (one-sided) never tight: %g",
                tight[S_L9U]);
  ck_assert_msg(tight[S_RATIO] > 1.0 - 1e-9, "class ratio not attained: %g",
                tight[S_RATIO]);
  ck_assert_msg(tight[S_SHARP] > 0.5, "sharp composite never within 2x: %g",
                tight[S_SHARP]);
}
END_TEST

/* ---- the two-stage proofs: Theorems 6, 14 and Proposition 15 ----------- *
 * For every pair (π ∈ Π as the distilled π̂, π' ∈ Π_R as π_r̂) of many random
 * classes, the quantities of thm6-distill.md, thm14-distill-mu-prime.md and
 * prop15-fwd-rev.md are recomputed HERE from the log tables by plain loops
 * (no as_theory call), and each step is compared with the bound the proof
 * gives it; only C_Π, C_{Π_R}, C' and R_max come from as_theory_summarise,
 * and C' must be attained by some pair (so a C' computed under the wrong
 * distribution, or too generous, fails either the inequality or the
 * tightness check). */

/* E_{ρ,ν,ν}[(P_a − P_b)²] with P_π(y,z) = σ(β(ℓ_π(y) − ℓ_π(z))). */
static double pref_gap(const as_instance *inst, const double *la,
                       const double *lb, const double *lnu, double beta)
{
  size_t K = inst->K, V = inst->V;
  double s = 0.0;
  for (size_t x = 0; x < K; x++) {
    double w = exp(inst->log_rho[x]), t = 0.0;
    for (size_t y = 0; y < V; y++)
      for (size_t z = 0; z < V; z++) {
        size_t iy = x * V + y, iz = x * V + z;
        double pa = 1.0 / (1.0 + exp(-beta * (la[iy] - la[iz])));
        double pb = 1.0 / (1.0 + exp(-beta * (lb[iy] - lb[iz])));
        t += exp(lnu[iy] + lnu[iz]) * (pa - pb) * (pa - pb);
      }
    s += w * t;
  }
  return s;
}

/* E_ρ E_{y~w}[(g − E_{c} g)²], g = β(ℓ_a − ℓ_b): the μ-centred squared
 * gap under w when lc = μ, the variance under ν when lc = lw = ν. */
static double centred_sq(const as_instance *inst, const double *la,
                         const double *lb, const double *lc,
                         const double *lw, double beta)
{
  size_t K = inst->K, V = inst->V;
  double s = 0.0;
  for (size_t x = 0; x < K; x++) {
    double m = 0.0, t = 0.0;
    for (size_t y = 0; y < V; y++)
      m += exp(lc[x * V + y]) * beta * (la[x * V + y] - lb[x * V + y]);
    for (size_t y = 0; y < V; y++) {
      double g = beta * (la[x * V + y] - lb[x * V + y]) - m;
      t += exp(lw[x * V + y]) * g * g;
    }
    s += exp(inst->log_rho[x]) * t;
  }
  return s;
}

/* E_ρ KL(p‖q) and max over x of (max − min) of log(q/p) (Prop. 15's B). */
static double kl_direct(const as_instance *inst, const double *lp,
                        const double *lq, double *range)
{
  size_t K = inst->K, V = inst->V;
  double s = 0.0;
  *range = 0.0;
  for (size_t x = 0; x < K; x++) {
    double t = 0.0, lo = INFINITY, hi = -INFINITY;
    for (size_t y = 0; y < V; y++) {
      double a = lp[x * V + y], b = lq[x * V + y];
      t += exp(a) * (a - b);
      lo = fmin(lo, b - a);
      hi = fmax(hi, b - a);
    }
    s += exp(inst->log_rho[x]) * t;
    *range = fmax(*range, hi - lo);
  }
  return s;
}

/* ν×ν-mass (averaged over ρ) of the pairs y ≠ z on which the logits of a
 * and b differ (relative 1e-9): the disagreement probability of stage 2. */
static double disagree(const as_instance *inst, const double *la,
                       const double *lb, const double *lnu)
{
  size_t K = inst->K, V = inst->V;
  double s = 0.0;
  for (size_t x = 0; x < K; x++)
    for (size_t y = 0; y < V; y++)
      for (size_t z = 0; z < V; z++) {
        size_t iy = x * V + y, iz = x * V + z;
        double ta = la[iy] - la[iz], tb = lb[iy] - lb[iz];
        if (y != z &&
            fabs(ta - tb) > 1e-9 * fmax(1.0, fmax(fabs(ta), fabs(tb))))
          s += exp(inst->log_rho[x] + lnu[iy] + lnu[iz]);
      }
  return s;
}

/* E_{ρ,μ,μ}[h²(P_a, P_b)], h² = ½[(√p − √q)² + (√(1−p) − √(1−q))²]. */
static double hel_gap(const as_instance *inst, const double *la,
                      const double *lb, double beta)
{
  size_t K = inst->K, V = inst->V;
  double s = 0.0;
  for (size_t x = 0; x < K; x++)
    for (size_t y = 0; y < V; y++)
      for (size_t z = 0; z < V; z++) {
        size_t iy = x * V + y, iz = x * V + z;
        double pa = 1.0 / (1.0 + exp(-beta * (la[iy] - la[iz])));
        double pb = 1.0 / (1.0 + exp(-beta * (lb[iy] - lb[iz])));
        double u = sqrt(pa) - sqrt(pb), v = sqrt(1 - pa) - sqrt(1 - pb);
        s += exp(inst->log_rho[x] + inst->log_mu[iy] + inst->log_mu[iz]) *
             0.5 * (u * u + v * v);
      }
  return s;
}

/* The sharp two-stage steps of thm6-distill.md "Sharp form" for one pair
 * (π = la ∈ Π, π_r̂ = lb ∈ Π_R), all deterministic given the realised
 * disagreement and h². */
static void sharp_two_stage_pair(const as_instance *inst,
                                 const as_theory_summary *s, const double *la,
                                 const double *lb, double beta, double kl,
                                 const char *ctx)
{
  const double *ls = inst->log_pi_star, *lmu = inst->log_mu,
               *lmu2 = inst->log_mu2;
  double Bp6 = s->ranges_Pi.B_sigma + s->ranges_R.B_sigma;
  double Bp14 = s->ranges_Pi.B_sigma_all + s->ranges_R.B_sigma_all;
  double R = s->ranges.R_max;
  le(Bp6, 4 * R, "B_pair (mu) vs 4 R_max", NULL, ctx);
  le(Bp14, 4 * R, "B_pair (all y) vs 4 R_max", NULL, ctx);
  /* stage 2: Var_ν g ≤ B_pair² dis_ν / 2 */
  double var6 = centred_sq(inst, la, lb, lmu, lmu, beta);
  double var14 = centred_sq(inst, la, lb, lmu2, lmu2, beta);
  double dis6 = disagree(inst, la, lb, lmu), dis14 = disagree(inst, la, lb, lmu2);
  /* logits equal within 1e-9 relative count as agreeing (disagree()):
   * allow that much variance on top */
  double tol = 1e-16 * (1 + Bp14 * Bp14);
  le(var6, 0.5 * Bp6 * Bp6 * dis6 + tol, "Var_mu g vs B_pair^2 dis/2", NULL,
     ctx);
  le(var14, 0.5 * Bp14 * Bp14 * dis14 + tol, "Var_mu' g vs B_pair^2 dis/2",
     NULL, ctx);
  /* stage 1: E_μ e² ≤ 8(1 + cosh B_σ(Π_R)) h²(r) */
  double h2 = hel_gap(inst, lb, ls, beta);
  double e2 = centred_sq(inst, lb, ls, lmu, lmu, beta);
  double st1 = hl_step(h2, s->ranges_R.B_sigma);
  le(e2, st1, "E_mu e^2 vs Hellinger -> logit over Pi_R", NULL, ctx);
  /* Minkowski + coverage + Lemma 9 (one-sided B_v over Π) */
  double a6 = sqrt(s->C_Pi * 0.5 * Bp6 * Bp6 * dis6) + sqrt(s->C_Pi * st1);
  double a14 = sqrt(s->C_prime * 0.5 * Bp14 * Bp14 * dis14) +
               sqrt(s->C_R * st1);
  le(kl, as_bounds_step_kl(a6 * a6, s->ranges_Pi.B_v_up, beta),
     "KL vs sharp Theorem 6 chain", NULL, ctx);
  le(kl, as_bounds_step_kl(a14 * a14, s->ranges_Pi.B_v_up, beta),
     "KL vs sharp Theorem 14 chain", NULL, ctx);
}

static void run_two_stage(size_t K, size_t V, double beta, size_t kR,
                          uint64_t seed, double *tight_cp, size_t *pairs)
{
  as_instance_params p;
  as_instance_params_default(&p);
  p.K = K;
  p.V = V;
  p.logit_scale = 0.5 + (double)(seed % 3);
  p.rho_uniform = (int)(seed % 2);
  p.mu2 = AS_MU_DRAWN;
  p.mu2_sharpness = seed % 2 ? 0.8 : -0.3;
  p.mu2_noise = 0.6;
  as_instance *inst = as_instance_new(K, V);
  gsl_rng *r = as_rng_new(seed, 91);
  as_err e;
  ck_assert_msg(as_instance_draw(inst, &p, r, &e) == AS_OK, "%s", e.msg);
  const double dist[] = {0.001, 0.05, 0.5, 2.0};
  as_finite_class *Pi = NULL;
  ck_assert_msg(as_finite_generate(inst, dist, 4, 2, r, &Pi, &e) == AS_OK,
                "%s", e.msg);
  ck_assert_msg(kR <= Pi->M, "kR %zu > |Pi| %zu", kR, Pi->M);
  as_finite_class *PR = as_finite_new(kR, K, V); /* Π_R: first kR, π* = 0 */
  memcpy(PR->log_pi, Pi->log_pi, kR * K * V * sizeof(double));
  as_theory_summary s;
  ck_assert_msg(as_theory_summarise(inst, Pi, PR, beta, &s, &e) == AS_OK,
                "%s", e.msg);
  double R = s.ranges.R_max, Bs = 2 * R, Bv = 2 * R / beta;
  const double *ls = inst->log_pi_star, *lmu = inst->log_mu,
               *lmu2 = inst->log_mu2;
  double G = as_bounds_prop15_gamma(4 * R / beta);
  for (size_t i = 0; i < Pi->M; i++) {
    const double *la = as_finite_member(Pi, i);
    char ctx[160];
    snprintf(ctx, sizeof ctx, "two-stage seed %lu K %zu V %zu beta %g pi %zu",
             (unsigned long)seed, K, V, beta, i);
    double q1 = pref_gap(inst, la, ls, lmu, beta);
    double fst = centred_sq(inst, la, ls, lmu, ls, beta);
    double rng, kl = kl_direct(inst, ls, la, &rng);
    double rng2, klrev = kl_direct(inst, la, ls, &rng2);
    /* Prop. 15 with the theorem's B = 4 R_max/β and the instance B */
    le(rng, 4 * R / beta, "max-min log(pi/pi*) vs 4 R_max/beta", NULL, ctx);
    le(klrev, G * kl, "KL(pi||pi*) vs Gamma(4R/beta) KL(pi*||pi)", NULL, ctx);
    le(kl, G * klrev, "KL(pi*||pi) vs Gamma(4R/beta) KL(pi||pi*)", NULL, ctx);
    double Gi = as_bounds_prop15_gamma(rng);
    le(klrev, Gi * kl, "KL(pi||pi*) vs Gamma(instance B) KL", NULL, ctx);
    le(kl, Gi * klrev, "KL(pi*||pi) vs Gamma(instance B) KL rev", NULL, ctx);
    for (size_t j = 0; j < kR; j++) {
      const double *lb = as_finite_member(PR, j);
      /* Theorem 14, step 2: Lemma 8 under μ' */
      double d2 = pref_gap(inst, la, lb, lmu2, beta);
      double var2 = centred_sq(inst, la, lb, lmu2, lmu2, beta);
      le(var2, as_bounds_step_reward(d2, Bs), "Var_mu'(r_pi - r_pi') vs "
         "Lemma 8 under mu'", NULL, ctx);
      /* Definition of C' (pairs Π × Π_R), and its tightness */
      double a = centred_sq(inst, la, lb, lmu, ls, beta);
      le(a, as_bounds_step_coverage(var2, s.C_prime),
         "E_pi*(rbar_pi - rbar_pi')^2 vs C' Var_mu'", tight_cp, ctx);
      /* Theorem 14, step 3 (split under π*) with Def. 3 on Π_R */
      double qr = centred_sq(inst, lb, ls, lmu, lmu, beta);
      double rst = centred_sq(inst, lb, ls, lmu, ls, beta);
      le(rst, as_bounds_step_coverage(qr, s.C_R), "Def. 3 on Pi_R", NULL, ctx);
      double split = 2 * s.C_prime * var2 + 2 * s.C_R * qr;
      le(fst, 2 * a + 2 * rst, "E_pi* f^2 vs (a+b)^2 <= 2a^2 + 2b^2", NULL,
         ctx);
      le(fst, split, "E_pi* f^2 vs Theorem 14 step 3", NULL, ctx);
      /* Theorem 14 composite from the two preference errors (steps 1-5) */
      double q1r = pref_gap(inst, lb, ls, lmu, beta);
      double t14 = 2 * s.C_prime * as_bounds_step_reward(d2, Bs) +
                   2 * s.C_R * as_bounds_step_reward(q1r, Bs);
      le(kl, as_bounds_step_kl(t14, Bv, beta), "KL vs Theorem 14 chain", NULL,
         ctx);
      sharp_two_stage_pair(inst, &s, la, lb, beta, kl, ctx);
      /* the class-exact (ball) form contains every realisable pair */
      double ball;
      ck_assert_int_eq(as_theory_two_stage_ball(
                           inst, Pi, PR, lmu2, beta,
                           hel_gap(inst, lb, ls, beta) * (1 + 1e-9),
                           disagree(inst, la, lb, lmu2) * (1 + 1e-9), &ball,
                           &e), AS_OK);
      le(kl, ball, "KL vs two-stage ball form", NULL, ctx);
      /* Theorem 6, step 5 (triangle on P) and its composite */
      double d1 = pref_gap(inst, la, lb, lmu, beta);
      le(q1, 2 * d1 + 2 * q1r, "Q1 vs Theorem 6 step 5", NULL, ctx);
      le(kl, as_bounds_step_kl(as_bounds_step_coverage(
                 as_bounds_step_reward(2 * d1 + 2 * q1r, Bs), s.C_Pi),
             Bv, beta), "KL vs Theorem 6 chain", NULL, ctx);
      (*pairs)++;
    }
  }
  as_finite_free(PR);
  as_finite_free(Pi);
  gsl_rng_free(r);
  as_instance_free(inst);
}

START_TEST(test_chain_two_stage)
{
  const double betas[] = {0.2, 1.0, 2.5};
  double tight_cp = 0.0;
  size_t pairs = 0;
  uint64_t seed = 1000;
  for (size_t K = 1; K <= 3; K += 2)
    for (size_t V = 2; V <= 6; V += 4)
      for (int b = 0; b < 3; b++)
        for (size_t kR = 1; kR <= 9; kR += 4)
          run_two_stage(K, V, betas[b], kR, seed++, &tight_cp, &pairs);
  fprintf(stderr, "chain: two-stage C' tightest ratio %.12f over %zu pairs\n",
          tight_cp, pairs);
  /* C' is a maximum over exactly these pairs: some pair attains it */
  ck_assert_msg(tight_cp > 1.0 - 1e-9, "C' never attained: %.17g", tight_cp);
}
END_TEST

static Suite *chain_suite(void)
{
  Suite *s = suite_create("chain");
  TCase *tc = tcase_create("chain");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_chain_all_members);
  tcase_add_test(tc, test_chain_two_stage);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(chain_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
