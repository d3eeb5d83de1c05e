/* obj_chipo.c — χPO without clipping (docs/reference.md §3.2):
 * Σ P_ab −log σ(β_d [ϕ(z_a) − ϕ(z_b)]), z = π_θ/π_ref, ϕ(z) = z + log z.
 * With h = log π_θ − log π_ref, v_y = e_y − π: u_y = β_d(z_y + h_y),
 * ∇u_y = β_d(1 + z_y) v_y, ∇²u_y = β_d[z_y v_y v_yᵀ − (1 + z_y)(diag π −
 * ππᵀ)] (obj_pairs.h does the rest). */
#include <math.h>
#include <stdlib.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_pairs.h"
#include "obj_terms.h"

static int chipo_eval(const as_ctx_data *d, const double *th, double *f,
                      double *g, double *H)
{
  size_t V = d->V;
  double c = d->beta_dpo;
  if (d->P == NULL || !(c > 0.0) || !isfinite(c))
    return AS_EINVAL;
  if (d->log_ref != NULL && !obj_all_finite(d->log_ref, V))
    return AS_EINVAL;
  double *buf = malloc((V * V + 4 * V) * sizeof *buf);
  if (buf == NULL)
    return AS_ENOMEM;
  double *Du = buf, *pi = Du + V * V, *z = pi + V, *u = z + V, *cy = u + V;
  double lse = as_logsumexp(th, V);
  for (size_t y = 0; y < V; y++)
    pi[y] = exp(th[y] - lse);
  for (size_t y = 0; y < V; y++) {
    double h = th[y] - lse - (d->log_ref ? d->log_ref[y] : -log((double)V));
    z[y] = exp(h);
    u[y] = c * (z[y] + h);
    for (size_t i = 0; i < V; i++)
      Du[y * V + i] = c * (1.0 + z[y]) * ((i == y) - pi[i]);
  }
  obj_zero(V, f, g, H);
  obj_pairs pp = {.V = V, .P = d->P, .phi = {OBJ_PHI_LOGISTIC, 0.0},
                  .weight = 1.0, .u = u, .Du = Du};
  int rc = obj_add_pairs(&pp, f, g, H, cy);
  if (rc == AS_OK && H != NULL) {
    double s = 0.0;
    for (size_t y = 0; y < V; y++) {
      s += cy[y] * (1.0 + z[y]);
      /* c_y β_d z_y v_y v_yᵀ, with v_y = e_y − π kept in u as scratch */
      for (size_t i = 0; i < V; i++)
        u[i] = (i == y) - pi[i];
      obj_add_outer(V, u, cy[y] * c * z[y], H);
    }
    obj_add_softmax_cov(V, pi, -c * s, H);
  }
  if (rc == AS_OK && !isfinite(*f))
    rc = AS_EINVAL;
  free(buf);
  return rc;
}

const as_objective_type as_obj_chipo = {"chipo", chipo_eval};
