/* obj_terms.h — private helpers shared by the obj_*.c files. */
#ifndef OBJ_TERMS_H
#define OBJ_TERMS_H

#include <math.h>
#include <stddef.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"

/* A pairwise term w·φ(c·(θ_a − θ_b) − s): given φ'(t) = d1 and φ''(t) = d2
 * at the current point, adds its gradient w·c·d1·(e_a − e_b) and Hessian
 * w·c²·d2·(e_a − e_b)(e_a − e_b)ᵀ. */
static inline void obj_pair_accum(size_t V, size_t a, size_t b, double w,
                                  double c, double d1, double d2, double *g,
                                  double *H)
{
  if (a == b)
    return;
  if (g != NULL) {
    g[a] += w * c * d1;
    g[b] -= w * c * d1;
  }
  if (H != NULL) {
    double h = w * c * c * d2;
    H[a * V + a] += h;
    H[b * V + b] += h;
    H[a * V + b] -= h;
    H[b * V + a] -= h;
  }
}

/* Zeroes the outputs an eval fills. */
static inline void obj_zero(size_t V, double *f, double *g, double *H)
{
  *f = 0.0;
  if (g != NULL)
    for (size_t i = 0; i < V; i++)
      g[i] = 0.0;
  if (H != NULL)
    for (size_t i = 0; i < V * V; i++)
      H[i] = 0.0;
}

/* 1 if every entry of x[V] is finite. */
static inline int obj_all_finite(const double *x, size_t V)
{
  for (size_t i = 0; i < V; i++)
    if (!isfinite(x[i]))
      return 0;
  return 1;
}

/* The KL_ref term (λ > 0) needs π_ref of full support; a NULL log_ref is
 * the uniform reference. */
static inline int obj_ref_ok(const as_ctx_data *d)
{
  return !(d->lambda > 0.0 && d->log_ref != NULL &&
           !obj_all_finite(d->log_ref, d->V));
}

/* What distill and rebel (paper form) need: unlabelled weights Q, a finite
 * reward, β > 0, λ ≥ 0 and, with λ > 0, a usable π_ref. */
static inline int obj_reward_pairs_ok(const as_ctx_data *d)
{
  return d->Q != NULL && d->reward != NULL && d->beta > 0.0 &&
         d->lambda >= 0.0 && obj_all_finite(d->reward, d->V) &&
         obj_ref_ok(d);
}

/* The Bradley–Terry negative log-likelihood −Σ_ab P_ab log σ(c (Δθ_ab −
 * Δℓ_ab)) of pmle (c = β, eq. 4), dpo (c = β_d, ℓ = log π_ref, eq. 6) and
 * the reward model (c = 1, eq. 9); log_ref NULL means Δℓ = 0.  Adds to f,
 * g, H; AS_EINVAL for a negative or NaN weight. */
static inline int obj_add_bt_nll(size_t V, const double *P, const double *th,
                                 double c, const double *log_ref, double *f,
                                 double *g, double *H)
{
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++) {
      double w = P[a * V + b];
      if (w == 0.0)
        continue;
      if (!(w > 0.0))
        return AS_EINVAL;
      double dref = log_ref ? log_ref[a] - log_ref[b] : 0.0;
      double t = c * (th[a] - th[b] - dref);
      *f -= w * as_log_sigmoid(t);
      /* φ(t) = −log σ(t): φ' = −σ(−t), φ'' = σ(t)σ(−t). */
      obj_pair_accum(V, a, b, w, c, -as_sigmoid(-t),
                     as_sigmoid(t) * as_sigmoid(-t), g, H);
    }
  return AS_OK;
}

#endif
