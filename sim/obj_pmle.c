/* obj_pmle.c — preference maximum likelihood with KL anchor (docs/reference.md §3,
 * eq. 4–5): f_x(θ) = −Σ_ab P_ab log σ(β Δθ_ab) + λ ρ KL(π_θ‖π_ref). */
#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_btw.h"
#include "obj_terms.h"

static int pmle_eval(const as_ctx_data *d, const double *th, double *f,
                     double *g, double *H)
{
  size_t V = d->V;
  if (d->P == NULL || !(d->beta > 0.0) || !(d->lambda >= 0.0))
    return AS_EINVAL;
  if (!obj_ref_ok(d))
    return AS_EINVAL;
  int done = d->prep != NULL ? obj_btw_eval(d->prep, th, f, g, H) : 0;
  if (done < 0)
    return AS_ENOMEM;
  if (!done) {
    obj_zero(V, f, g, H);
    int rc = obj_add_bt_nll(V, d->P, th, d->beta, NULL, f, g, H);
    if (rc != AS_OK)
      return rc;
  }
  if (d->lambda > 0.0)
    as_obj_add_kl_ref(V, th, d->lambda * d->rho, d->log_ref, f, g, H);
  return AS_OK;
}

const as_objective_type as_obj_pmle = {"pmle", pmle_eval};
