/* obj_ipo.c — identity preference optimisation (Azar et al. 2023; docs/reference.md
 * §3.2): Σ P_ab (t_ab − 1/(2τ))², τ > 0. */
#include <math.h>

#include "as_error.h"
#include "as_objective.h"
#include "obj_pairs.h"

static int ipo_eval(const as_ctx_data *d, const double *th, double *f,
                    double *g, double *H)
{
  if (!(d->tau > 0.0) || !isfinite(d->tau))
    return AS_EINVAL;
  obj_phi phi = {OBJ_PHI_SQUARE, 1.0 / (2.0 * d->tau)};
  return obj_eval_dpo_family(d, &phi, 1.0, th, f, g, H);
}

const as_objective_type as_obj_ipo = {"ipo", ipo_eval};
