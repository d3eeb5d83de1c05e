/* as_theory.h — the theory quantities of docs/reference.md §5, exact by enumeration over
 * a finite class (paper Section 2, Definition 3, Theorems 4, 6, 7, 14).
 *
 * Notation.  r_π = β log π (induced reward); r̄_π(x,y) = r_π(x,y) −
 * E_{y'~μ(·|x)} r_π(x,y') (centred under μ, whatever distribution an
 * expectation is then taken under).  Expectations over x are under ρ;
 * contexts with ρ(x) = 0 and responses outside the support of the
 * distribution an expectation is taken under do not count.
 *
 * Coverage.  For classes A, B, a denominator distribution ν and
 * f = r̄_π − r̄_π' (π ∈ A, π' ∈ B),
 *   C(A, B; ν) = max over pairs of  E_{ρ,π*}[f²] / E_ρ Var_ν(r_π − r_π'),
 * and
 *   Definition 3:   C_Π     = C(Π, {π*}; μ)      (Var_μ(r_π − r_π*) is
 *                                                  E_μ[(r̄_π − r̄_π*)²])
 *   Theorem 7:      C_{Π_R} = C(Π_R, {π*}; μ)    Π_R = {softmax(r/β): r ∈ R}
 *   Theorem 14:     C'_Π    = C(Π, Π_R; μ')      (as_bounds.h,
 *                                                  proofs/thm14-*.md)
 * β cancels in the ratio, so these do not depend on β.  A pair with
 * max_{x,y} |f| ≤ 1e-12·max(1, max|r̄|) (the same policy, up to rounding)
 * is skipped: its ratio is 0/0.  A pair with a positive numerator and a
 * zero denominator (ν does not see where π and π' differ) gives C = +inf,
 * reported as such; a context where f is constant on supp ν to within
 * 1e-12·max(1, max|r̄|) contributes exactly 0 to the denominator (rounding
 * of the centring must not turn +inf into 1e30).  With only skipped pairs C = 0 (nothing to cover).
 *
 * Every policy table used here must be finite where the relevant
 * distribution (μ, ν, π*) has mass: r̄ is undefined otherwise (AS_EINVAL).
 * Cost: O(|A|·|B|·K·V). */
#ifndef AS_THEORY_H
#define AS_THEORY_H

#include <stddef.h>

#include "as_bounds.h"
#include "as_error.h"
#include "as_finite.h"
#include "as_instance.h"

/* rbar[K*V] = β log π − E_μ[β log π] per context.  Entries outside supp μ
 * are centred too (they are defined when log_pi is finite there). */
void as_theory_centred_reward(size_t K, size_t V, const double *log_pi,
                              const double *log_mu, double beta,
                              double *rbar);

/* The reward-induced class {softmax(r_m/β)} of M reward tables
 * (rewards: M*K*V).  *out is a new class. */
int as_theory_reward_class(size_t M, size_t K, size_t V,
                           const double *rewards, double beta,
                           as_finite_class **out, as_err *err);

/* Coverage C(A, B; ν) as defined above; B = NULL means {π*}; log_nu =
 * NULL means μ (inst->log_mu).  argmax_a / argmax_b (may be NULL) receive
 * the maximising pair (B index 0 when B is NULL; (A->M, 0) when every pair
 * was skipped). */
int as_theory_coverage(const as_instance *inst, const as_finite_class *A,
                       const as_finite_class *B, const double *log_nu,
                       double *C, size_t *argmax_a, size_t *argmax_b,
                       as_err *err);

/* The ranges the bounds need, measured on the instance.
 *   R_max   = max over π ∈ Π ∪ {π*}, x (ρ > 0), y of |r̄_π(x,y)|
 *             (Assumption 2; all y, as the assumption states).
 *   B_sigma = max over π ∈ Π ∪ {π*}, x, y, y' ∈ supp μ(·|x) of
 *             |r̄_π(y) − r̄_π(y')|: the range of every preference logit the
 *             Lemma 8 step meets (≤ 2R_max).
 *   B_v     = max over π ∈ Π, x, y ∈ supp π* of |r̄_π − r̄_π*|/β: the range
 *             of v in the Lemma 9 step (≤ 2R_max/β). */
typedef struct as_theory_ranges {
  double R_max, B_sigma, B_v;
  /* for the sharp chain (as_bounds.h):
   *   B_v_up      = max over π ∈ Π, x, y ∈ supp π* of (r̄_π − r̄_π*)/β
   *                 (one-sided: Lemma 9 needs only u ≤ B; ≤ B_v);
   *   B_sigma_all = B_sigma over every y, y' (not only supp μ): the logit
   *                 range under any μ' (Theorem 14's m-term). */
  double B_v_up, B_sigma_all;
} as_theory_ranges;

int as_theory_measure_ranges(const as_instance *inst, const as_finite_class *c,
                             double beta, as_theory_ranges *out, as_err *err);

/* Everything `alignsim bounds` reports for one (instance, Π, Π_R, β). */
typedef struct as_theory_summary {
  double beta;
  size_t size_Pi, size_R;
  as_theory_ranges ranges;   /* over Π ∪ Π_R (R_max bounds both classes)   */
  as_theory_ranges ranges_Pi;/* over Π alone (PMLE's instance form)         */
  as_theory_ranges ranges_R; /* over Π_R alone (Theorem 7's instance form) */
  double C_Pi;               /* Definition 3                               */
  size_t C_Pi_argmax;
  double C_R;                /* Theorem 7: coverage of the reward class     */
  size_t C_R_argmax;
  double C_prime;            /* Theorem 14: C(Π, Π_R; μ')                   */
  size_t C_prime_argmax_pi, C_prime_argmax_r;
  double ratio_Pi;           /* class-exact: as_theory_class_ratio over Π   */
  double ratio_R;            /* the same over Π_R (Theorem 7)              */
} as_theory_summary;

/* R may be NULL: the reward class is then Π's own induced class
 * {β log π : π ∈ Π}, whose induced LM class is Π itself (C_R = C_Π). */
int as_theory_summarise(const as_instance *inst, const as_finite_class *Pi,
                        const as_finite_class *R, double beta,
                        as_theory_summary *out, as_err *err);

/* The explicit bounds of as_bounds.h fed from a summary, so every caller
 * (the `bounds` command, the E3 runner) feeds them the same inputs:
 *   THM4           PMLE over Π: R_max over Π ∪ Π_R, C_Π, |Π|
 *   THM4_INSTANCE  same chain with Π's measured B_σ, B_v
 *   THM7           RKL (π̂ ∈ Π_R): R_max over Π_R, C_{Π_R}, |Π_R|
 *   THM7_INSTANCE  same chain with Π_R's measured B_σ, B_v
 *   THM6           distillation: C_Π, |Π|, |Π_R|, n and m
 *   THM14          distillation from μ': C', C_{Π_R}, |Π|, |Π_R|, n and m
 * m is ignored by the single-stage forms and must be finite for 6 and 14. */
typedef enum {
  AS_THEORY_THM4 = 0,
  AS_THEORY_THM4_INSTANCE,
  AS_THEORY_THM7,
  AS_THEORY_THM7_INSTANCE,
  AS_THEORY_THM6,
  AS_THEORY_THM14,
  /* the sharp chain (as_bounds.h "sharp chain"), theorem, instance and
   * class-exact forms; instance forms use the one-sided B_v_up, and the
   * two-stage instance forms B_pair = B_σ(Π) + B_σ(Π_R) (over supp μ for
   * Theorem 6, over all responses for Theorem 14, whose μ' is arbitrary) */
  AS_THEORY_THM4_SHARP,
  AS_THEORY_THM4_INSTANCE_SHARP,
  AS_THEORY_THM4_CLASS,
  AS_THEORY_THM7_SHARP,
  AS_THEORY_THM7_INSTANCE_SHARP,
  AS_THEORY_THM7_CLASS,
  AS_THEORY_THM6_SHARP,
  AS_THEORY_THM6_INSTANCE_SHARP,
  AS_THEORY_THM14_SHARP,
  AS_THEORY_THM14_INSTANCE_SHARP,
  AS_THEORY_BOUND_COUNT
} as_theory_bound_kind;

/* "thm4", "thm4-instance", "thm7", "thm7-instance", "thm6", "thm14",
 * then the sharp kinds "thm4-sharp", "thm4-instance-sharp", "thm4-class",
 * "thm7-sharp", "thm7-instance-sharp", "thm7-class", "thm6-sharp",
 * "thm6-instance-sharp", "thm14-sharp", "thm14-instance-sharp". */
const char *as_theory_bound_name(as_theory_bound_kind k);

int as_theory_bound(const as_theory_summary *s, as_theory_bound_kind k,
                    double delta, double n, double m, as_bounds_chain *out,
                    as_err *err);

/* Per-member quantities of the proof chain (docs/reference.md §5 (i)–(iv), as_bounds.h),
 * taking π as the estimate π̂ and f = r̄_π − r̄_π*, v = f/β:
 *   pref_sq      E_{ρ,μ,μ}[(P_π − P_π*)²],  P_π(y,y') = σ(β(ℓ_π(y) − ℓ_π(y')))
 *   hellinger2   E_{ρ,μ,μ}[H²(Bern(P_π), Bern(P_π*))], H² = 1 − Σ√(pq)
 *   pair_sq      E_{ρ,μ,μ}[(f(y) − f(y'))²]  (= 2 E_{ρ,μ}[f²], f μ-centred)
 *   reward_sq_mu E_{ρ,μ}[f²]
 *   reward_sq_target E_{ρ,π*}[f²]
 *   schulman     E_ρ E_{π*}[e^v − 1 − v]    (≥ KL: normaliser dropped)
 *   kl           E_ρ KL(π*‖π)
 *   B_sigma      max over x, y, y' ∈ supp μ of |r̄(y) − r̄(y')| for π and π*
 *   B_v          max over x, y ∈ supp π* of |v|
 *   B_v_up       max over x, y ∈ supp π* of v (one-sided; ≥ 0) */
typedef struct as_theory_chain {
  double pref_sq, hellinger2, pair_sq, reward_sq_mu, reward_sq_target;
  double schulman, kl, B_sigma, B_v, B_v_up;
} as_theory_chain;

/* Class-exact ratio: max over π ∈ c with E[h²(P_π, P_π*)] > 0 or
 * KL(π*‖π) > 0 of E_ρ KL(π*‖π) / E_{ρ,μ,μ}[h²(P_π, P_π*)] (h² as in
 * as_theory_chain below); +inf for a member with h² = 0 < KL; 0 when
 * every member is π*.  *argmax (may be NULL) gets the maximiser (c->M if
 * none).  O(|c|·K·V²). */
int as_theory_class_ratio(const as_instance *inst, const as_finite_class *c,
                          double beta, double *ratio, size_t *argmax,
                          as_err *err);

/* Class-exact form of Theorems 6 and 14 (proofs/thm6-distill.md, "Sharp
 * form"): on the two events of the proof, r̂ ∈ Π_R has
 * E_{ρ,μ,μ}[h²(P_r̂, P_π*)] ≤ eps_n and π̂ ∈ Π disagrees with P_r̂ on a
 * ν×ν-mass ≤ eps_m of pairs (ν = log_nu, NULL for μ), so
 *   E_ρ KL(π*‖π̂) ≤ max { E_ρ KL(π*‖π) : π ∈ Π, ∃ r ∈ Π_R with
 *                        h²(r) ≤ eps_n and dis_ν(π, r) ≤ eps_m }.
 * Two logits count as equal within 1e-9·max(1, |logit|).
 * O(|Π|·|Π_R|·K·V²). */
int as_theory_two_stage_ball(const as_instance *inst,
                             const as_finite_class *Pi,
                             const as_finite_class *R, const double *log_nu,
                             double beta, double eps_n, double eps_m,
                             double *kl_max, as_err *err);

/* Quantities of the sharp two-stage chain for one pair (a = π̂ ∈ Π,
 * b = π_r̂ ∈ Π_R), g = r̄_a − r̄_b (μ-centred), ν = log_nu (NULL: μ):
 *   var_nu     E_ρ Var_ν(g)        (≤ B_pair² dis/2)
 *   target_sq  E_{ρ,π*}[g²]        (≤ C' var_nu, Theorem 14)
 *   mu_sq      E_{ρ,μ}[g²]
 *   dis        ν×ν-mass of the pairs y ≠ y' whose logits differ (relative
 *              1e-9; counting near-equal logits as equal errs on the safe
 *              side of the ball form). */
typedef struct as_theory_pair {
  double var_nu, target_sq, mu_sq, dis;
} as_theory_pair;

int as_theory_pair_member(const as_instance *inst, const double *log_a,
                          const double *log_b, const double *log_nu,
                          double beta, as_theory_pair *out, as_err *err);

int as_theory_chain_member(const as_instance *inst, const double *log_pi,
                           double beta, as_theory_chain *out, as_err *err);

#endif
