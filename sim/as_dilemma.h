/* as_dilemma.h — the RLHF dilemma floor (docs/reference.md §3, "The RLHF dilemma").
 *
 * With the true reward r* = β log π*, RLHF's solution is
 * π_λ ∝ π_ref · π*^{β/λ}.  Writing t = β/λ ∈ [0, ∞) (t = 0 is λ = ∞, i.e.
 * π_ref itself), f(t) = E_ρ KL(π* ‖ π_t) is convex in t — its second
 * derivative is E_ρ Var_{π_t}(log π*) ≥ 0 — so the floor
 *     F_RLHF = inf_{λ ∈ (0, ∞]} E_ρ KL(π* ‖ π_λ) = min_{t ≥ 0} f(t)
 * is a 1-D convex minimisation.  F_RLHF does not depend on β; the argmin
 * λ = β / t* does. */
#ifndef AS_DILEMMA_H
#define AS_DILEMMA_H

#include "as_error.h"
#include "as_instance.h"

typedef struct as_dilemma {
  double floor;   /* F_RLHF = f(t*)                                      */
  double t;       /* t* = β/λ* ≥ 0                                        */
  double lambda;  /* λ* = β/t* (INFINITY when t* = 0: π_ref is optimal)   */
  double f0;      /* f(0) = E_ρ KL(π* ‖ π_ref)                             */
} as_dilemma;

/* f(t) = E_ρ KL(π* ‖ π_t) and, if dfdt is non-NULL, f'(t) =
 * E_ρ[E_{π_t} log π* − E_{π*} log π*].  t ≥ 0; t = INFINITY is rejected
 * (returns NAN). */
double as_dilemma_kl_at(const as_instance *inst, double t, double *dfdt);

/* Computes the floor for inst at temperature beta > 0: t* = 0 when
 * f'(0) ≥ 0, otherwise a bracket [0, t_hi] with f'(t_hi) > 0 (doubling),
 * an interior point below both ends, and GSL's Brent minimiser. */
int as_dilemma_floor(const as_instance *inst, double beta, as_dilemma *out,
                     as_err *err);

#endif
