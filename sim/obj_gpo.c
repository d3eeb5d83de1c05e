/* obj_gpo.c — generalised preference optimisation (docs/reference.md §3.2):
 * Σ P_ab f(β_d t_ab) for the convex f of d->loss.  The hinge (SLiC-HF) is
 * piecewise linear: its eval gives the value and a subgradient (H = 0) and
 * as_fit solves it as a linear programme instead. */
#include "as_error.h"
#include "as_objective.h"
#include "obj_pairs.h"

static int gpo_eval(const as_ctx_data *d, const double *th, double *f,
                    double *g, double *H)
{
  static const obj_phi phis[AS_GPO_COUNT] = {
      [AS_GPO_LOGISTIC] = {OBJ_PHI_LOGISTIC, 0.0},
      [AS_GPO_SQUARE] = {OBJ_PHI_SQUARE, 1.0},
      [AS_GPO_EXP] = {OBJ_PHI_EXP, 0.0},
      [AS_GPO_TQUAD] = {OBJ_PHI_TQUAD, 0.0},
      [AS_GPO_HINGE] = {OBJ_PHI_HINGE, 0.0}};
  if (d->loss < 0 || d->loss >= AS_GPO_COUNT)
    return AS_EINVAL;
  return obj_eval_dpo_family(d, &phis[d->loss], d->beta_dpo, th, f, g, H);
}

const as_objective_type as_obj_gpo = {"gpo", gpo_eval};
