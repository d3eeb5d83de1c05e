/* obj_rebel.c — REBEL (docs/reference.md §3).
 *
 * Paper form (eq. 10): f_x(θ) = Σ_ab Q_ab (β Δθ_ab − Δr̂_ab)² + λ ρ KL_ref.
 *
 * Iterative step about θ_t (theta_prev):
 *   f_x(θ) = ρ Σ_ab π_t(a)π_t(b) ((Δθ_ab − Δθ_t,ab)/η − Δr̃_ab)²,
 *   r̃ = r̂ − λ (log π_t − log π_ref).
 * Its minimiser is θ_t + η r̃ up to the gauge, so that
 * θ_{t+1} − θ_λ = (1 − ηλ)(θ_t − θ_λ) with θ_λ = log π_ref + r̂/λ. */
#include <math.h>
#include <stdlib.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_terms.h"

static int rebel_eval(const as_ctx_data *d, const double *th, double *f,
                      double *g, double *H)
{
  size_t V = d->V;
  if (!obj_reward_pairs_ok(d))
    return AS_EINVAL;
  obj_zero(V, f, g, H);
  /* (a,b) and (b,a) have the same squared residual: weight Q_ab + Q_ba. */
  for (obj_tile tl = {0, 0}; obj_tile_more(&tl, V); obj_tile_next(&tl, V))
    for (size_t a = tl.A; a < obj_tile_end(tl.A, V); a++) {
      if (tl.A == tl.B && !(d->Q[a * V + a] >= 0.0))
        return AS_EINVAL;
      for (size_t b = obj_tile_b0(&tl, a); b < obj_tile_end(tl.B, V); b++) {
        double wab = d->Q[a * V + b], wba = d->Q[b * V + a];
        if (wab == 0.0 && wba == 0.0)
          continue;
        if (!(wab >= 0.0) || !(wba >= 0.0))
          return AS_EINVAL;
        double w = wab + wba;
        double res = d->beta * (th[a] - th[b]) -
                     (d->reward[a] - d->reward[b]);
        *f += w * res * res;
        obj_pair_accum(V, a, b, w, d->beta, 2.0 * res, 2.0, g, H);
      }
    }
  if (d->lambda > 0.0)
    as_obj_add_kl_ref(V, th, d->lambda * d->rho, d->log_ref, f, g, H);
  return AS_OK;
}

static int rebel_step_eval(const as_ctx_data *d, const double *th, double *f,
                           double *g, double *H)
{
  size_t V = d->V;
  const double *tp = d->theta_prev, *r = d->reward, *lr = d->log_ref;
  if (tp == NULL || r == NULL || !(d->eta > 0.0) || !isfinite(d->eta) ||
      !(d->lambda >= 0.0) || !obj_all_finite(tp, V) || !obj_all_finite(r, V))
    return AS_EINVAL;
  if (!obj_ref_ok(d))
    return AS_EINVAL;
  double lse = as_logsumexp(tp, V), c = 1.0 / d->eta;
  double *pt = malloc(V * sizeof *pt); /* π_t: V exponentials, not V² */
  if (pt == NULL)
    return AS_ENOMEM;
  for (size_t y = 0; y < V; y++)
    pt[y] = exp(tp[y] - lse);
  obj_zero(V, f, g, H);
  /* the pair (b,a) repeats (a,b) with the residual's sign flipped */
  for (size_t a = 0; a < V; a++)
    for (size_t b = a + 1; b < V; b++) {
      double w = 2.0 * d->rho * pt[a] * pt[b];
      if (w == 0.0)
        continue;
      double la = tp[a] - lse, lb = tp[b] - lse;
      /* r̃_a − r̃_b; the normaliser of log π_t cancels, a NULL log_ref
       * (uniform) contributes nothing. */
      double dr = r[a] - r[b] - d->lambda * (la - lb);
      if (lr != NULL)
        dr += d->lambda * (lr[a] - lr[b]);
      double res = c * ((th[a] - th[b]) - (tp[a] - tp[b])) - dr;
      *f += w * res * res;
      obj_pair_accum(V, a, b, w, c, 2.0 * res, 2.0, g, H);
    }
  free(pt);
  return AS_OK;
}

const as_objective_type as_obj_rebel = {"rebel", rebel_eval};
const as_objective_type as_obj_rebel_step = {"rebel-step", rebel_step_eval};
