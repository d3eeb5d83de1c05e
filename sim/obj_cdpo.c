/* obj_cdpo.c — conservative DPO, label smoothing ε ∈ [0, ½) (docs/reference.md §3.2):
 * Σ P_ab [−(1−ε) log σ(β_d t_ab) − ε log σ(−β_d t_ab)].  ε = 0 is DPO. */
#include "as_error.h"
#include "as_objective.h"
#include "obj_pairs.h"

static int cdpo_eval(const as_ctx_data *d, const double *th, double *f,
                     double *g, double *H)
{
  if (!(d->eps >= 0.0 && d->eps < 0.5))
    return AS_EINVAL;
  obj_phi phi = {OBJ_PHI_CDPO, d->eps};
  return obj_eval_dpo_family(d, &phi, d->beta_dpo, th, f, g, H);
}

const as_objective_type as_obj_cdpo = {"cdpo", cdpo_eval};
