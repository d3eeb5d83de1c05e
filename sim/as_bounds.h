/* as_bounds.h — the explicit constants and high-probability bounds of
 * docs/reference.md §5 (paper Theorems 4, 6, 7, 14, Proposition 15), with every hidden
 * constant written out.  The derivations are in proofs/ (one Markdown file
 * per result, index and constants in proofs/README.md); this header only
 * evaluates them.
 *
 * Notation (docs/reference.md §5): r_π = β log π, r̄_π = r_π − E_μ r_π (centred under
 * μ(·|x)), f = r̄_π̂ − r̄_π*, v = f/β.  R_max bounds |r̄_π| on the class
 * (Assumption 2); C is a coverage coefficient (Definition 3).  δ is the
 * TOTAL failure probability: a bound returned here holds with probability
 * ≥ 1 − δ (two-stage theorems split δ as δ/2 + δ/2, see proofs/).
 *
 * The chain (proofs/README.md, "Chain"), in the order it is applied:
 *   (i)   Prop. 12 + Bernoulli Hellinger/TV:
 *           E_{ρ,μ,μ}[(P_π̂ − P_π*)²] ≤ c₁ log(|Π|/δ)/n,            c₁ = 2
 *   (ii)  Lemma 8 (σ bi-Lipschitz on [−B_σ, B_σ], B_σ = 2R_max) and
 *         E[(f(y) − f(y'))²] = 2 E_μ f² for iid y, y' (f is μ-centred):
 *           E_{ρ,μ}[f²] ≤ E[(ΔP)²] / (2 κ(B_σ)²)                     (17)
 *   (iv)  Definition 3:  E_{ρ,π*}[f²] ≤ C · E_{ρ,μ}[f²]
 *   (iii) Schulman's identity + the per-context shift (normaliser) bound +
 *         Lemma 9 with |v| ≤ B_v = 2R_max/β:
 *           E_ρ KL(π*‖π̂) ≤ φ(B_v) E_{ρ,π*}[v²] = φ(B_v)/β² · E_{ρ,π*}[f²]
 * so Theorem 4 reads
 *   E_ρ KL(π*‖π̂) ≤ C_Π · φ(2R_max/β) · c₁ log(|Π|/δ) / (2 β² κ(2R_max)² n).
 *
 * All functions are pure (no state).  Scalar helpers take any finite real
 * and return +inf only where the exact value overflows a double; the
 * theorem functions validate their inputs and return AS_EINVAL with a
 * message naming the offending value (nothing is clamped). */
#ifndef AS_BOUNDS_H
#define AS_BOUNDS_H

#include "as_error.h"

/* ---- scalar constants (proofs/README.md, "Constants") ------------------ */

/* κ(B) = σ'(B) = σ(B)(1 − σ(B)) = e^{-|B|}/(1 + e^{-|B|})², the Lemma 8
 * constant: |σ(a) − σ(b)| ≥ κ(B)|a − b| for a, b ∈ [−B, B].  Even in B;
 * κ(0) = 1/4. */
double as_bounds_kappa(double B);

/* φ(B) = (e^B − 1 − B)/B², φ(0) = 1/2 (series Σ_k B^k/(k+2)! near 0), the
 * Lemma 9 constant: e^u − 1 − u ≤ φ(B) u² for |u| ≤ B (indeed u ≤ B).
 * Nondecreasing on all of R. */
double as_bounds_phi(double B);

/* Lemma 10 (proofs/lemma10-phi-exp.md): φ(B) ≤ e^B/2 for B ≥ 0.
 * Returns e^B/2, the cruder constant the paper's remark uses. */
double as_bounds_phi_exp(double B);

/* c₁ = 2: E[(P_π̂ − P_π*)²] ≤ c₁ log(|Π|/δ)/n (Prop. 12 with
 * H² = 1 − Σ√(pq), constant 1, times the Bernoulli step (p−q)² ≤ 2H²). */
double as_bounds_c1(void);

/* The constant of Prop. 12 itself: E[H²(P_π̂, P_π*)] ≤ c_H log(|Π|/δ)/n
 * with H² = 1 − Σ√(pq); c_H = 1. */
double as_bounds_hellinger_const(void);

/* Proposition 15: if |log(π̂/π*)| ≤ B pointwise then
 *   KL(π̂‖π*) ≤ Γ(B) KL(π*‖π̂)  and  KL(π*‖π̂) ≤ Γ(B) KL(π̂‖π*),
 * Γ(B) = (1 − e^B + B e^B)/(e^B − 1 − B) (the ratio g/h at u = B, its
 * supremum on [−B, B]); Γ(0) = 1.  Under Assumption 2, B = 4R_max/β. */
double as_bounds_prop15_gamma(double B);

/* The cruder, exponential form of Prop. 15: e^B φ(B)/φ(−B) ≥ Γ(B). */
double as_bounds_prop15_gamma_exp(double B);

/* ---- per-step bound expressions (what the chain checker compares) ------ */

/* (i)  bound on E_{ρ,μ,μ}[(P_π̂ − P_π*)²]: c₁ log(class_size/δ)/n. */
double as_bounds_step_pref(double class_size, double delta, double n);

/* (ii) (17): bound on E_{ρ,μ}[(r̄_π̂ − r̄_π*)²] from a bound pref_sq on
 *      E[(ΔP)²]: pref_sq / (2 κ(B_sigma)²).  B_sigma bounds the preference
 *      logit |r̄_π(y) − r̄_π(y')| of π̂ and π* (2R_max in the worst case). */
double as_bounds_step_reward(double pref_sq, double B_sigma);

/* (iv) bound on E_{ρ,π*}[f²] from a bound reward_sq_mu on E_{ρ,μ}[f²]:
 *      coverage · reward_sq_mu. */
double as_bounds_step_coverage(double reward_sq_mu, double coverage);

/* (iii) bound on E_ρ KL(π*‖π̂) from a bound reward_sq_target on
 *      E_{ρ,π*}[f²]: φ(B_v) · reward_sq_target / β².  B_v bounds
 *      |v| = |f|/β on the support of π* (2R_max/β in the worst case). */
double as_bounds_step_kl(double reward_sq_target, double B_v, double beta);

/* ---- whole bounds ------------------------------------------------------ */

/* A bound broken into its factors, so a report can say which step costs
 * the most.  Fields a theorem does not use are 0. */
typedef struct as_bounds_chain {
  /* inputs as used */
  double beta, delta, n, m;
  double B_sigma;     /* Lemma 8 interval half-width (2R_max)            */
  double B_v;         /* Lemma 9 range of v (2R_max/β)                    */
  double coverage;    /* C multiplying the policy-class term              */
  double coverage_R;  /* C_{Π_R} multiplying the reward-model term (Thm 14) */
  double log_term_n;  /* log(size/δ') used with the n labelled pairs     */
  double log_term_m;  /* log(|Π|/δ') used with the m unlabelled pairs    */
  /* constants */
  double c1, kappa, phi;
  /* step bounds (each an upper bound on the quantity named) */
  double pref_sq;           /* (i)   E_{ρ,μ,μ}[(P_π̂ − P_π*)²]   (Thm 4/6/7) */
  double pref_sq_reward;    /* (i)   E_{ρ,μ,μ}[(P_r̂ − P_π*)²]   (Thm 6/14)  */
  double pref_sq_distill;   /* (i')  E_{ρ,μ',μ'}[(P_π̂ − P_r̂)²] (Thm 6/14)  */
  double reward_sq_mu;      /* (ii)  E_{ρ,μ}[f²]                 (17)      */
  double reward_sq_target;  /* (iv)  E_{ρ,π*}[f²]                          */
  double kl;                /* (iii) E_ρ KL(π*‖π̂): the bound               */
  /* multiplicative factors of kl = rate · c1 · lemma8 · coverage · lemma9
   * (Theorems 4, 7 and the instance form; for 6 and 14 see proofs/). */
  double rate;        /* log_term_n / n                                   */
  double lemma8;      /* 1/(2 κ²)                                         */
  double lemma9;      /* φ(B_v)/β²                                        */
  /* sharp chain only (as_bounds_*_sharp, as_bounds_class_exact; 0 in the
   * paper chain): */
  double hel_sq;      /* Prop. 12 sharp tail: bound on E[h²] (stage 1)    */
  double hel_sq_m;    /* Thm 6/14: bound on the disagreement probability  */
  double B_pair;      /* Thm 6/14: range of |Δ(r̄_π̂ − r̄_r̂)| (m-term)   */
  double reward_sq_m; /* Thm 6/14: bound on Var_ν(r_π̂ − r_r̂), ν = μ or μ' */
} as_bounds_chain;

/* Theorem 4 (PMLE over a finite Π at λ = 0, proofs/thm4-pmle.md): with
 * probability ≥ 1 − δ,
 *   E_ρ KL(π*‖π̂) ≤ C_Π φ(2R_max/β) c₁ log(|Π|/δ) / (2 β² κ(2R_max)² n).
 * Requires R_max ≥ 0, β > 0, 0 < δ < 1, coverage ≥ 0, class_size ≥ 1,
 * n > 0, all finite. */
int as_bounds_theorem4(double R_max, double beta, double delta,
                       double coverage, double class_size, double n,
                       as_bounds_chain *out, as_err *err);

/* The same chain with the instance's measured ranges in place of the
 * worst case (proofs/README.md, "Instance-dependent form"):
 *   B_sigma = max over π ∈ {π̂-candidates, π*}, x, y, y' of |r̄_π(y) − r̄_π(y')|,
 *   B_v     = max over π, x, y ∈ supp π* of (r̄_π − r̄_π*)/β (one-sided
 *             suffices: Lemma 9 holds for all u ≤ B; |·| is also safe),
 *   coverage = sup_π E_{ρ,π*}[f²]/E_{ρ,μ}[f²] computed by enumeration.
 * Requires B_sigma, B_v ≥ 0 and the conditions of theorem4. */
int as_bounds_instance(double B_sigma, double B_v, double beta, double delta,
                       double coverage, double class_size, double n,
                       as_bounds_chain *out, as_err *err);

/* Theorem 6 (preference distillation, proofs/thm6-distill.md): reward
 * model = MLE over the reward class (size_R = |Π_R|) on n labelled pairs
 * from μ, then distillation over Π (size_Pi = |Π| ⊇ Π_R) on m unlabelled
 * pairs from μ.  With probability ≥ 1 − δ (δ/2 per stage),
 *   E_ρ KL(π*‖π̂) ≤ C_Π φ(2R_max/β) / (β² κ(2R_max)²)
 *                  · [ log(2|Π|/δ)/m + c₁ log(2|Π_R|/δ)/n ]. */
int as_bounds_theorem6(double R_max, double beta, double delta,
                       double coverage, double size_Pi, double size_R,
                       double n, double m, as_bounds_chain *out,
                       as_err *err);

/* Theorem 7 (reverse KL with γ = β, λ = 0, proofs/thm7-rkl.md): π̂ = π_r̂,
 * the MLE over Π_R, so Theorem 4 holds over Π_R:
 *   E_ρ KL(π*‖π̂) ≤ C_{Π_R} φ(2R_max/β) c₁ log(|Π_R|/δ) / (2 β² κ(2R_max)² n). */
int as_bounds_theorem7(double R_max, double beta, double delta,
                       double coverage_R, double size_R, double n,
                       as_bounds_chain *out, as_err *err);

/* Theorem 14 (distillation with unlabelled pairs from μ',
 * proofs/thm14-distill-mu-prime.md).  coverage_prime = C'_Π, the smallest C
 * with E_{ρ,π*}[(r̄_π − r̄_π')²] ≤ C · E_ρ Var_{μ'}(r_π − r_π') for all
 * π ∈ Π, π' ∈ Π_R; coverage_R = C_{Π_R}.  With probability ≥ 1 − δ,
 *   E_ρ KL(π*‖π̂) ≤ φ(2R_max/β) / (β² κ(2R_max)²)
 *        · [ C'_Π log(2|Π|/δ)/m + C_{Π_R} c₁ log(2|Π_R|/δ)/n ]. */
int as_bounds_theorem14(double R_max, double beta, double delta,
                        double coverage_prime, double coverage_R,
                        double size_Pi, double size_R, double n, double m,
                        as_bounds_chain *out, as_err *err);

/* ---- the sharp chain (proofs/hellinger-logit.md, proofs/README.md
 * "Sharp chain") --------------------------------------------------------
 * Three changes against the paper chain above, each proved in proofs/:
 *   (i)  Prop. 12 with the exact tail and the union over the |Π| − 1
 *        members other than π*:  E[h²(P_π̂, P_π*)] ≤ ε = 1 − (δ/(|Π|−1))^{1/n}
 *        (≤ log((|Π|−1)/δ)/n; ε = 0 when |Π| = 1);
 *   (ii) Hellinger → logit in one step (replacing Bernoulli TV + Lemma 8):
 *        (a − b)² ≤ 16(1 + cosh B) h²(σ(a), σ(b)) for |a|, |b| ≤ B, hence
 *        E_{ρ,μ}[f²] ≤ 8(1 + cosh B_σ) · E[h²];
 *   (iii) B_v is the one-sided range max (r̄_π − r̄_π*)/β (Lemma 9 needs
 *        only u ≤ B) — a caller's choice, as before.
 * In the chain struct the factors keep their product: kl = rate · c1 ·
 * lemma8 · coverage · lemma9 with rate = ε, c1 = c_H = 1 and lemma8 =
 * 8(1 + cosh B_σ) (the Hellinger→logit factor). */

/* c_HL(B) = 16(1 + cosh B) = 32 cosh²(B/2): (a − b)² ≤ c_HL(B)·h² for
 * |a|, |b| ≤ B, h² = 1 − √(σ(a)σ(b)) − √(σ(−a)σ(−b)); tight as a, b → B.
 * The paper chain's Bernoulli step + Lemma 8 give c₁/κ(B)² = 2(2 + 2 cosh B)²
 * = 32 cosh⁴(B/2) in its place: the sharp step gains cosh²(B/2). */
double as_bounds_hl_const(double B);

/* ε(size, δ, n) = 1 − (δ/(size − 1))^{1/n} = −expm1(log(δ/(size−1))/n),
 * Prop. 12's sharp tail (proofs/prop12-mle.md): the union runs over the
 * size − 1 competitors of π*.  0 for size < 2 (no competitor) and for
 * δ ≥ size − 1 (the union bound then holds at ε = 0). */
double as_bounds_tail_sharp(double class_size, double delta, double n);

/* Theorem 4, sharp chain, worst-case ranges (B_σ = 2R_max,
 * B_v = 2R_max/β):
 *   E_ρ KL(π*‖π̂) ≤ C_Π φ(2R_max/β) 8(1 + cosh 2R_max) ε(|Π|, δ, n) / β²
 *                = 16 cosh²(R_max) φ(2R_max/β) C_Π ε / β². */
int as_bounds_theorem4_sharp(double R_max, double beta, double delta,
                             double coverage, double class_size, double n,
                             as_bounds_chain *out, as_err *err);

/* The same with measured ranges (instance form): B_σ as in
 * as_bounds_instance, B_v one-sided. */
int as_bounds_instance_sharp(double B_sigma, double B_v, double beta,
                             double delta, double coverage, double class_size,
                             double n, as_bounds_chain *out, as_err *err);

/* Class-exact form (proofs/README.md "Class-exact form"): on Prop. 12's
 * sharp event E[h²(π̂)] ≤ ε, so for a finite class
 *   E_ρ KL(π*‖π̂) ≤ ratio · ε,  ratio = max_{π ∈ Π, π ≠ π*} E_ρ KL(π*‖π) / E[h²(P_π, P_π*)]
 * (as_theory_class_ratio).  ratio may be +inf (a member with the same
 * preferences as π* but another policy); the bound is then +inf. */
int as_bounds_class_exact(double ratio, double class_size, double delta,
                          double n, as_bounds_chain *out, as_err *err);

/* Theorems 6 and 14, sharp chain (proofs/thm6-distill.md "Sharp form"):
 * stage 1 (δ/2): E_μ[(r̄_r̂ − r̄_π*)²] ≤ 8(1 + cosh B_σ) ε(|Π_R|, δ/2, n);
 * stage 2 (δ/2): π̂ agrees with P_r̂ on all m pairs drawn from ν (μ for
 *   Thm 6, μ' for Thm 14), so with g = r̄_π̂ − r̄_r̂ and |Δg| ≤ B_pair:
 *   Var_ν g ≤ B_pair² ε(|Π|, δ/2, m) / 2;
 * then Minkowski in L²(ρ×π*):
 *   E_{ρ,π*}[f²] ≤ (√(coverage_m · Var_ν g) + √(coverage_n · stage 1))²,
 * with (coverage_m, coverage_n) = (C_Π, C_Π) for Thm 6 and (C'_Π, C_{Π_R})
 * for Thm 14; then Lemma 9: KL ≤ φ(B_v)/β² · E_{ρ,π*}[f²].
 * Worst case: B_σ = 2R_max, B_pair = 4R_max, B_v = 2R_max/β. */
int as_bounds_two_stage_sharp(double B_sigma, double B_pair, double B_v,
                              double beta, double delta, double coverage_m,
                              double coverage_n, double size_Pi,
                              double size_R, double n, double m,
                              as_bounds_chain *out, as_err *err);

/* Worst-case (theorem-form) wrappers of the above. */
int as_bounds_theorem6_sharp(double R_max, double beta, double delta,
                             double coverage, double size_Pi, double size_R,
                             double n, double m, as_bounds_chain *out,
                             as_err *err);
int as_bounds_theorem14_sharp(double R_max, double beta, double delta,
                              double coverage_prime, double coverage_R,
                              double size_Pi, double size_R, double n,
                              double m, as_bounds_chain *out, as_err *err);

#endif
