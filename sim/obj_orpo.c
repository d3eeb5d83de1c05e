/* obj_orpo.c — ORPO (docs/reference.md §3.2): Σ P_ab [−log π_a − α log σ(lo_a − lo_b)],
 * lo_y = log odds_θ(y) = log π_y − log(1 − π_y), α ≥ 0.  With v_y = e_y − π
 * and q_y = 1 − π_y (summed as Σ_{z≠y} π_z, no cancellation near π_y = 1):
 * ∇lo_y = v_y/q_y, ∇²lo_y = −(diag π − ππᵀ)/q_y + π_y v_y v_yᵀ/q_y². */
#include <math.h>
#include <stdlib.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_pairs.h"
#include "obj_terms.h"

static int orpo_eval(const as_ctx_data *d, const double *th, double *f,
                     double *g, double *H)
{
  size_t V = d->V;
  if (d->P == NULL || !(d->alpha >= 0.0) || !isfinite(d->alpha))
    return AS_EINVAL;
  double *buf = malloc((V * V + 5 * V) * sizeof *buf);
  if (buf == NULL)
    return AS_ENOMEM;
  double *Du = buf, *pi = Du + V * V, *q = pi + V, *u = q + V, *cy = u + V,
         *v = cy + V;
  double lse = as_logsumexp(th, V);
  for (size_t y = 0; y < V; y++)
    pi[y] = exp(th[y] - lse);
  obj_zero(V, f, g, H);
  /* SFT on winners: −Σ_a w_a log π_a, w_a = Σ_b P_ab. */
  double W = 0.0;
  int rc = AS_OK;
  for (size_t a = 0; a < V; a++) {
    double w = 0.0;
    for (size_t b = 0; b < V; b++)
      w += d->P[a * V + b];
    if (!(w >= 0.0))
      rc = AS_EINVAL;
    if (w > 0.0)
      *f -= w * (th[a] - lse);
    if (g != NULL)
      g[a] -= w;
    W += w;
  }
  if (g != NULL)
    for (size_t y = 0; y < V; y++)
      g[y] += W * pi[y];
  if (H != NULL)
    obj_add_softmax_cov(V, pi, W, H);
  if (rc == AS_OK && d->alpha > 0.0) {
    for (size_t y = 0; y < V; y++) {
      double s = 0.0;
      for (size_t z = 0; z < V; z++)
        if (z != y)
          s += pi[z];
      q[y] = s;
      /* log(1 − π_y) = lse_{z≠y} θ_z − lse, exact where q_y underflows */
      double m = -INFINITY;
      for (size_t z = 0; z < V; z++)
        if (z != y && th[z] > m)
          m = th[z];
      double acc = 0.0;
      for (size_t z = 0; z < V; z++)
        if (z != y)
          acc += exp(th[z] - m);
      u[y] = th[y] - (m + log(acc));
      for (size_t i = 0; i < V; i++)
        Du[y * V + i] = ((i == y) - pi[i]) / q[y];
    }
    obj_pairs pp = {.V = V, .P = d->P, .phi = {OBJ_PHI_LOGISTIC, 0.0},
                    .weight = d->alpha, .u = u, .Du = Du};
    rc = obj_add_pairs(&pp, f, g, H, cy);
    if (rc == AS_OK && H != NULL) {
      double s = 0.0;
      for (size_t y = 0; y < V; y++) {
        s += cy[y] / q[y];
        for (size_t i = 0; i < V; i++)
          v[i] = (i == y) - pi[i];
        obj_add_outer(V, v, cy[y] * pi[y] / (q[y] * q[y]), H);
      }
      obj_add_softmax_cov(V, pi, -s, H);
    }
  }
  free(buf);
  return rc;
}

const as_objective_type as_obj_orpo = {"orpo", orpo_eval};
