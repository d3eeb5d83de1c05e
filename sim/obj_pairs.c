/* obj_pairs.c — see obj_pairs.h. */
#include "obj_pairs.h"

#include <math.h>
#include <stdlib.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_terms.h"

/* −log σ(s) and its derivatives. */
static double nls(double s, double *d1, double *d2)
{
  *d1 = -as_sigmoid(-s);
  *d2 = as_sigmoid(s) * as_sigmoid(-s);
  return -as_log_sigmoid(s);
}

double obj_phi_eval(const obj_phi *phi, double s, double *d1, double *d2)
{
  double p1, p2, m1, m2, v, e = phi->a;
  switch (phi->kind) {
  case OBJ_PHI_LOGISTIC:
    return nls(s, d1, d2);
  case OBJ_PHI_CDPO:
  case OBJ_PHI_RDPO: {
    double fp = nls(s, &p1, &p2), fm = nls(-s, &m1, &m2);
    /* d/ds of φ(−s) is −φ'(−s); the second derivative keeps its sign. */
    double wp = 1.0 - e, wm = phi->kind == OBJ_PHI_CDPO ? e : -e;
    double z = phi->kind == OBJ_PHI_CDPO ? 1.0 : 1.0 - 2.0 * e;
    *d1 = (wp * p1 - wm * m1) / z;
    *d2 = (wp * p2 + wm * m2) / z;
    return (wp * fp + wm * fm) / z;
  }
  case OBJ_PHI_SQUARE:
    *d1 = 2.0 * (s - e);
    *d2 = 2.0;
    return (s - e) * (s - e);
  case OBJ_PHI_EXP:
    v = exp(-s);
    *d1 = -v;
    *d2 = v;
    return v;
  case OBJ_PHI_TQUAD:
    v = s < 1.0 ? 1.0 - s : 0.0;
    *d1 = -2.0 * v;
    *d2 = s < 1.0 ? 2.0 : 0.0;
    return v * v;
  case OBJ_PHI_HINGE:
  default:
    *d1 = s < 1.0 ? -1.0 : 0.0;
    *d2 = 0.0;
    return s < 1.0 ? 1.0 - s : 0.0;
  }
}

void obj_add_softmax_cov(size_t V, const double *pi, double w, double *H)
{
  for (size_t i = 0; i < V; i++) {
    H[i * V + i] += w * pi[i];
    for (size_t j = 0; j < V; j++)
      H[i * V + j] -= w * pi[i] * pi[j];
  }
}

void obj_add_outer(size_t V, const double *v, double w, double *H)
{
  for (size_t i = 0; i < V; i++)
    for (size_t j = 0; j < V; j++)
      H[i * V + j] += w * v[i] * v[j];
}

int obj_add_pairs(const obj_pairs *pp, double *f, double *g, double *H,
                  double *c)
{
  size_t V = pp->V;
  const double *P = pp->P, *u = pp->u, *Du = pp->Du;
  double *cy = c, local[64];
  double *own = NULL;
  if (cy == NULL) {
    cy = V <= 64 ? local : (own = malloc(V * sizeof *own));
    if (cy == NULL)
      return AS_ENOMEM;
  }
  for (size_t y = 0; y < V; y++)
    cy[y] = 0.0;
  int rc = AS_OK;
  for (size_t a = 0; a < V && rc == AS_OK; a++)
    for (size_t b = 0; b < V; b++) {
      double w = P[a * V + b];
      if (w == 0.0)
        continue;
      if (!(w > 0.0)) {
        rc = AS_EINVAL;
        break;
      }
      w *= pp->weight;
      double d1, d2, s = u[a] - u[b] - pp->shift;
      *f += w * obj_phi_eval(&pp->phi, s, &d1, &d2);
      if (a == b)
        continue; /* a tie: a constant */
      cy[a] += w * d1;
      cy[b] -= w * d1;
      if (H == NULL)
        continue;
      if (Du == NULL) {
        obj_pair_accum(V, a, b, w, pp->scale, 0.0, d2, NULL, H);
      } else {
        for (size_t i = 0; i < V; i++) {
          double vi = Du[a * V + i] - Du[b * V + i];
          for (size_t j = 0; j < V; j++)
            H[i * V + j] += w * d2 * vi * (Du[a * V + j] - Du[b * V + j]);
        }
      }
    }
  if (rc == AS_OK && g != NULL)
    for (size_t y = 0; y < V; y++) {
      if (Du == NULL) {
        g[y] += pp->scale * cy[y];
        continue;
      }
      for (size_t i = 0; i < V; i++)
        g[i] += cy[y] * Du[y * V + i];
    }
  free(own);
  return rc;
}

int obj_eval_linear(const as_ctx_data *d, const obj_phi *phi, double c,
                    double shift, int use_ref, const double *th, double *f,
                    double *g, double *H)
{
  size_t V = d->V;
  const double *ref = use_ref ? d->log_ref : NULL;
  if (d->P == NULL || !(c > 0.0) || !isfinite(c) || !isfinite(shift))
    return AS_EINVAL;
  if (ref != NULL && !obj_all_finite(ref, V))
    return AS_EINVAL;
  double local[64], *u = V <= 64 ? local : malloc(V * sizeof *u);
  if (u == NULL)
    return AS_ENOMEM;
  for (size_t y = 0; y < V; y++)
    u[y] = c * (th[y] - (ref ? ref[y] : 0.0));
  obj_zero(V, f, g, H);
  obj_pairs pp = {.V = V, .P = d->P, .phi = *phi, .weight = 1.0,
                  .shift = shift, .u = u, .scale = c};
  int rc = obj_add_pairs(&pp, f, g, H, NULL);
  if (u != local)
    free(u);
  return rc;
}
