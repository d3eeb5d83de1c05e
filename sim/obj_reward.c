/* obj_reward.c — Bradley–Terry reward model with ridge (docs/reference.md §3, eq. 9):
 * f_x(r) = −Σ_ab P_ab log σ(r_a − r_b) + (η_r/2)‖r‖².
 *
 * Why (η_r/2)‖r_x‖² per context: P sums to 1 over all contexts, so the
 * total Σ_x f_x = −(1/n) Σ N log σ + (η_r/2)‖r‖²; times n with η_r = 1/n
 * it is −Σ N log σ + ½‖r‖², the negative log posterior under an N(0,1)
 * prior on each reward — the reference's (docs/reference.md) scaling.  With η_r > 0 the objective is
 * not gauge invariant (its minimiser has Σ_y r_y = 0). */
#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_btw.h"
#include "obj_terms.h"

static int reward_eval(const as_ctx_data *d, const double *r, double *f,
                       double *g, double *H)
{
  size_t V = d->V;
  if (d->P == NULL || !(d->ridge >= 0.0))
    return AS_EINVAL;
  int done = d->prep != NULL ? obj_btw_eval(d->prep, r, f, g, H) : 0;
  if (done < 0)
    return AS_ENOMEM;
  if (!done) {
    obj_zero(V, f, g, H);
    int rc = obj_add_bt_nll(V, d->P, r, 1.0, NULL, f, g, H);
    if (rc != AS_OK)
      return rc;
  }
  if (d->ridge > 0.0)
    for (size_t y = 0; y < V; y++) {
      *f += 0.5 * d->ridge * r[y] * r[y];
      if (g != NULL)
        g[y] += d->ridge * r[y];
      if (H != NULL)
        H[y * V + y] += d->ridge;
    }
  return AS_OK;
}

const as_objective_type as_obj_reward = {"reward", reward_eval};
