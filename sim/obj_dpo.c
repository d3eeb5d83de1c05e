/* obj_dpo.c — direct preference optimisation (docs/reference.md §3, eq. 6):
 * f_x(θ) = −Σ_ab P_ab log σ(β_d (Δθ_ab − Δℓref_ab)).  A NULL log_ref is
 * the uniform reference (Δℓref = 0). */
#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_terms.h"

static int dpo_eval(const as_ctx_data *d, const double *th, double *f,
                    double *g, double *H)
{
  size_t V = d->V;
  if (d->P == NULL || !(d->beta_dpo > 0.0))
    return AS_EINVAL;
  if (d->log_ref != NULL && !obj_all_finite(d->log_ref, V))
    return AS_EINVAL;
  obj_zero(V, f, g, H);
  return obj_add_bt_nll(V, d->P, th, d->beta_dpo, d->log_ref, f, g, H);
}

const as_objective_type as_obj_dpo = {"dpo", dpo_eval};
