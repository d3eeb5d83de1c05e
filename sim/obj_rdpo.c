/* obj_rdpo.c — robust DPO for an assumed flip rate ε ∈ [0, ½) (docs/reference.md §3.2):
 * Σ P_ab [(1−ε)(−log σ(β_d t)) − ε(−log σ(−β_d t))]/(1−2ε).  Per
 * unordered pair it is a cross-entropy with target (f − ε)/(1−2ε): convex
 * for every target (log σ(s) − log σ(−s) = s is linear), but unbounded
 * below when targets leave [0, 1] (as_fit detects it by an LP). */
#include "as_error.h"
#include "as_objective.h"
#include "obj_pairs.h"

static int rdpo_eval(const as_ctx_data *d, const double *th, double *f,
                     double *g, double *H)
{
  if (!(d->eps >= 0.0 && d->eps < 0.5))
    return AS_EINVAL;
  obj_phi phi = {OBJ_PHI_RDPO, d->eps};
  return obj_eval_dpo_family(d, &phi, d->beta_dpo, th, f, g, H);
}

const as_objective_type as_obj_rdpo = {"rdpo", rdpo_eval};
