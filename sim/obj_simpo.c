/* obj_simpo.c — SimPO without lengths (docs/reference.md §3.2), reference-free:
 * Σ P_ab −log σ(β_d (θ_a − θ_b) − γ_s), γ_s ≥ 0. */
#include <math.h>

#include "as_error.h"
#include "as_objective.h"
#include "obj_pairs.h"

static int simpo_eval(const as_ctx_data *d, const double *th, double *f,
                      double *g, double *H)
{
  if (!(d->margin >= 0.0))
    return AS_EINVAL;
  obj_phi phi = {OBJ_PHI_LOGISTIC, 0.0};
  return obj_eval_linear(d, &phi, d->beta_dpo, d->margin, 0, th, f, g, H);
}

const as_objective_type as_obj_simpo = {"simpo", simpo_eval};
