/* obj_distill.c — preference distillation (SPEC §3, eq. 11–12):
 * f_x(θ) = Σ_ab Q_ab KL(Bern(p_ab) ‖ Bern(σ(β Δθ_ab))) + λ ρ KL_ref,
 * p_ab = σ(r̂_a − r̂_b).  With t = βΔθ the term is
 * p log(p/σ(t)) + (1−p) log((1−p)/σ(−t)); its t-derivatives are
 * σ(t) − p and σ(t)σ(−t). */
#include <math.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_terms.h"

static int distill_eval(const as_ctx_data *d, const double *th, double *f,
                        double *g, double *H)
{
  size_t V = d->V;
  if (!obj_reward_pairs_ok(d))
    return AS_EINVAL;
  obj_zero(V, f, g, H);
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++) {
      double w = d->Q[a * V + b];
      if (w == 0.0)
        continue;
      if (!(w > 0.0))
        return AS_EINVAL;
      double u = d->reward[a] - d->reward[b];
      double p = as_sigmoid(u), q = as_sigmoid(-u); /* q = 1 − p */
      double t = d->beta * (th[a] - th[b]);
      double kl = 0.0;
      if (p > 0.0)
        kl += p * (as_log_sigmoid(u) - as_log_sigmoid(t));
      if (q > 0.0)
        kl += q * (as_log_sigmoid(-u) - as_log_sigmoid(-t));
      *f += w * kl;
      /* σ(t) − p written as q − σ(−t) when t > 0 keeps accuracy near 1. */
      double d1 = t > 0.0 ? q - as_sigmoid(-t) : as_sigmoid(t) - p;
      obj_pair_accum(V, a, b, w, d->beta, d1,
                     as_sigmoid(t) * as_sigmoid(-t), g, H);
    }
  if (d->lambda > 0.0)
    as_obj_add_kl_ref(V, th, d->lambda * d->rho, d->log_ref, f, g, H);
  return AS_OK;
}

const as_objective_type as_obj_distill = {"distill", distill_eval};
