/* obj_rkl.c — reverse-KL alignment and RLHF (docs/reference.md §3, eq. 1, 14–15):
 * f_x(θ) = ρ [−E_π r̂ − γ H(π_θ) + λ KL(π_θ‖π_ref)]
 *        = ρ [Σ π_y (−r̂_y − λ ℓref_y) + (λ+γ) Σ π_y log π_y];
 * γ = 0 is RLHF.  Its minimiser is π ∝ π_ref^{λ/(λ+γ)} exp(r̂/(λ+γ)). */
#include <math.h>

#include "as_error.h"
#include "as_fit.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_terms.h"

static int rkl_eval(const as_ctx_data *d, const double *th, double *f,
                    double *g, double *H)
{
  size_t V = d->V;
  if (d->reward == NULL || !(d->lambda >= 0.0) || !(d->gamma >= 0.0) ||
      !obj_all_finite(d->reward, V))
    return AS_EINVAL;
  if (!obj_ref_ok(d))
    return AS_EINVAL;
  obj_zero(V, f, g, H);
  if (d->lambda > 0.0 && d->log_ref == NULL) /* uniform: ℓref = −log V */
    *f += d->rho * d->lambda * log((double)V);
  as_obj_add_softmax(V, th, d->rho, d->reward, -1.0,
                     d->lambda > 0.0 ? d->log_ref : NULL, -d->lambda,
                     d->lambda + d->gamma, f, g, H);
  return AS_OK;
}

const as_objective_type as_obj_rkl = {"rkl", rkl_eval};

void as_rkl_closed_logits(size_t K, size_t V, const double *log_ref,
                          const double *r, double lambda, double gamma,
                          double *xi)
{
  double T = lambda + gamma;
  for (size_t x = 0; x < K; x++)
    for (size_t y = 0; y < V; y++)
      xi[x * V + y] = (r[x * V + y] + (log_ref && lambda != 0.0
                                           ? lambda * log_ref[x * V + y]
                                           : 0.0)) / T;
}

void as_rkl_closed_form(size_t K, size_t V, const double *log_ref,
                        const double *r, double lambda, double gamma,
                        double *log_pi)
{
  double T = lambda + gamma;
  for (size_t x = 0; x < K; x++) {
    const double *rx = r + x * V;
    double *out = log_pi + x * V;
    if (T > 0.0) {
      as_rkl_closed_logits(1, V, log_ref ? log_ref + x * V : NULL, rx,
                           lambda, gamma, out);
      as_log_softmax(out, V, out);
    } else {
      /* λ + γ = 0: the limit is uniform over argmax r (docs/reference.md §3 dilemma). */
      double m = -INFINITY;
      size_t cnt = 0;
      for (size_t y = 0; y < V; y++)
        if (rx[y] > m)
          m = rx[y];
      for (size_t y = 0; y < V; y++)
        cnt += rx[y] == m;
      for (size_t y = 0; y < V; y++)
        out[y] = rx[y] == m ? -log((double)cnt) : -INFINITY;
    }
  }
}
