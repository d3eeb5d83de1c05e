/* obj_pmle.c — preference maximum likelihood with KL anchor (SPEC §3,
 * eq. 4–5): f_x(θ) = −Σ_ab P_ab log σ(β Δθ_ab) + λ ρ KL(π_θ‖π_ref). */
#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_terms.h"

static int pmle_eval(const as_ctx_data *d, const double *th, double *f,
                     double *g, double *H)
{
  size_t V = d->V;
  if (d->P == NULL || !(d->beta > 0.0) || !(d->lambda >= 0.0))
    return AS_EINVAL;
  if (d->lambda > 0.0 && d->log_ref != NULL && !obj_all_finite(d->log_ref, V))
    return AS_EINVAL;
  obj_zero(V, f, g, H);
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++) {
      double w = d->P[a * V + b];
      if (w == 0.0)
        continue;
      if (!(w > 0.0))
        return AS_EINVAL;
      double t = d->beta * (th[a] - th[b]);
      *f -= w * as_log_sigmoid(t);
      /* φ(t) = −log σ(t): φ' = −σ(−t), φ'' = σ(t)σ(−t). */
      obj_pair_accum(V, a, b, w, d->beta, -as_sigmoid(-t),
                     as_sigmoid(t) * as_sigmoid(-t), g, H);
    }
  if (d->lambda > 0.0)
    as_obj_add_kl_ref(V, th, d->lambda * d->rho, d->log_ref, f, g, H);
  return AS_OK;
}

const as_objective_type as_obj_pmle = {"pmle", pmle_eval};
