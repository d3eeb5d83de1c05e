/* as_coverage.h — generalised coverage (docs/reference.md §5, Definition 3) of the two
 * infinite classes of docs/reference.md §3.1, in closed form, for experiment E5.
 *
 * Definition 3: C(Π) = sup over π ∈ Π of
 *     E_{x~ρ, y~π*}[(r̄_π − r̄_π*)²] / E_{x~ρ, y~μ}[(r̄_π − r̄_π*)²],
 * r̄ centred under μ(·|x).  With f = r_π − r_π* and g = f − E_μ f:
 *
 * - tabular class (θ free): f_x ranges over all of R^V in every context
 *   (π = π*·e^{f/β}/Z), so a ratio of sums over x is maximised by putting
 *   everything in one context and
 *       C_tab = max_{x: ρ(x)>0} max_{g ≠ 0, μ_xᵀg = 0} Σ π* g² / Σ μ g²
 *             = max_x λ_max( P_x diag(π*_x/μ_x) P_x ),
 *   h = √μ ∘ g, P_x the projector orthogonal to √μ_x.  It lies between 1
 *   (μ = π*) and max_y π*(y|x)/μ(y|x) (the density-ratio coefficient).
 * - log-linear reward class r_w = w·φ with r* = β log π* in it (realizable
 *   instance): f = u·φ, g = u·φ̄ (φ̄ = φ − E_μ φ per context), so
 *       C_feat = λ_max(A, B),  A = Σ_x ρ Σ_y π* φ̄φ̄ᵀ,  B = Σ_x ρ Σ_y μ φ̄φ̄ᵀ,
 *   the largest generalised eigenvalue, taken on the range of B (a u with
 *   Bu = 0 has u·φ̄ = 0 wherever μ > 0, hence Au = 0 when μ has full
 *   support).  This is C_{Π_R} of Theorem 7 for the reward-induced class
 *   Π_R = {softmax(r_w/β)}.  Contexts are pooled, so C_feat ≤ C_tab (Π_R
 *   ⊂ Π) and typically much smaller: the generator–verifier gap of §3.1.
 *
 * β cancels in both ratios.  Both need μ of full support (AS_EINVAL
 * otherwise: an uncovered response makes C infinite, reported as such by
 * as_theory_coverage for finite classes, not here). */
#ifndef AS_COVERAGE_H
#define AS_COVERAGE_H

#include <stddef.h>

#include "as_error.h"
#include "as_features.h"
#include "as_instance.h"

/* C_tab of the instance (its π*, μ, ρ).  argmax_x (may be NULL) receives
 * the context attaining it and g_out (may be NULL, length V) the maximising
 * direction g (μ-centred reward difference) in that context. */
int as_coverage_tabular(const as_instance *inst, double *C, size_t *argmax_x,
                        double *g_out, as_err *err);

/* C_feat of the instance for the feature map f (K, V of inst).  u_out (may
 * be NULL, length f->d) receives the maximising direction u in w-space. */
int as_coverage_features(const as_instance *inst, const as_features *f,
                         double *C, double *u_out, as_err *err);

/* μ ∝ π*^t per context: log μ = log_softmax(t · log π*); μ' is set to the
 * same (E5 moves the data distribution of both stages).  t = 1: μ = π*;
 * t = 0: uniform; t < 0: mass where π* has little.  t must be finite. */
int as_coverage_temper_mu(as_instance *inst, double t, as_err *err);

#endif
