/* obj_terms.c — softmax building blocks of as_objective.h (SPEC §3:
 * KL_ref, expected reward, entropy), with exact gradient and Hessian. */
#include <math.h>
#include <stdlib.h>

#include "as_math.h"
#include "as_objective.h"
#include "obj_terms.h"

/* w_y = c1 h1_y + c2 h2_y + α ℓ_y at ℓ_y = θ_y − lse (a NULL h counts 0). */
static double softmax_w(size_t y, double l, const double *h1, double c1,
                        const double *h2, double c2, double alpha)
{
  return (h1 ? c1 * h1[y] : 0.0) + (h2 ? c2 * h2[y] : 0.0) + alpha * l;
}

/* π_y and π_y d_y (d_y = w_y − E_π w; 0 where π_y underflows). */
static void softmax_terms(size_t y, const double *theta, double lse,
                          const double *h1, double c1, const double *h2,
                          double c2, double alpha, double ew, double *p,
                          double *pd)
{
  double l = theta[y] - lse;
  *p = exp(l);
  *pd = *p > 0.0 ? *p * (softmax_w(y, l, h1, c1, h2, c2, alpha) - ew) : 0.0;
}

void as_obj_add_softmax(size_t V, const double *theta, double weight,
                        const double *h1, double c1, const double *h2,
                        double c2, double alpha, double *f, double *g,
                        double *H)
{
  double lse = as_logsumexp(theta, V);
  /* E_π[w] with w = h + α log π; π_y ℓ_y → 0 where π_y underflows. */
  double ew = 0.0;
  for (size_t y = 0; y < V; y++) {
    double l = theta[y] - lse, p = exp(l);
    if (p > 0.0)
      ew += p * softmax_w(y, l, h1, c1, h2, c2, alpha);
  }
  *f += weight * ew;
  if (g == NULL && H == NULL)
    return;
  /* π_y and π_y d_y once per y (O(V) exps, not O(V²)); without scratch
   * memory they are recomputed per Hessian entry instead. */
  double *pp = H != NULL ? malloc(2 * V * sizeof *pp) : NULL;
  for (size_t i = 0; i < V; i++) {
    double pi, pdi;
    softmax_terms(i, theta, lse, h1, c1, h2, c2, alpha, ew, &pi, &pdi);
    if (g != NULL)
      g[i] += weight * pdi;
    if (pp != NULL) {
      pp[i] = pi;
      pp[V + i] = pdi;
    }
  }
  if (H == NULL)
    return;
  for (size_t i = 0; i < V; i++) {
    double pi, pdi;
    if (pp != NULL) {
      pi = pp[i];
      pdi = pp[V + i];
    } else {
      softmax_terms(i, theta, lse, h1, c1, h2, c2, alpha, ew, &pi, &pdi);
    }
    /* H_ik = δ_ik(π_i d_i + α π_i) − π_i π_k (d_i + d_k + α). */
    H[i * V + i] += weight * (pdi + alpha * pi);
    for (size_t k = 0; k < V; k++) {
      double pk, pdk;
      if (pp != NULL) {
        pk = pp[k];
        pdk = pp[V + k];
      } else {
        softmax_terms(k, theta, lse, h1, c1, h2, c2, alpha, ew, &pk, &pdk);
      }
      H[i * V + k] -= weight * (pi * pdk + pdi * pk + alpha * pi * pk);
    }
  }
  free(pp);
}

void as_obj_add_kl_ref(size_t V, const double *theta, double weight,
                       const double *log_ref, double *f, double *g,
                       double *H)
{
  /* A NULL log_ref is the uniform reference: KL(π‖U) = Σ π log π + log V. */
  if (log_ref == NULL)
    *f += weight * log((double)V);
  as_obj_add_softmax(V, theta, weight, log_ref, -1.0, NULL, 0.0, 1.0, f, g,
                     H);
}

void obj_exps(size_t V, const double *th, double c, const double *l,
              double *zs)
{
  double *z = zs, *e = zs + V, m = -INFINITY;
  for (size_t y = 0; y < V; y++) {
    z[y] = c * (th[y] - (l != NULL ? l[y] : 0.0));
    if (z[y] > m)
      m = z[y];
  }
  for (size_t y = 0; y < V; y++) {
    z[y] -= m;
    e[y] = exp(z[y]);
  }
}

int obj_add_bt_nll(size_t V, const double *P, const double *th, double c,
                   const double *log_ref, double *f, double *g, double *H)
{
  double *zs = malloc(2 * V * sizeof *zs);
  if (zs == NULL)
    return AS_ENOMEM;
  obj_exps(V, th, c, log_ref, zs);
  const double *e = zs + V;
  int rc = AS_OK;
  for (size_t a = 0; a < V && rc == AS_OK; a++) {
    double waa = P[a * V + a];
    if (!(waa >= 0.0))
      rc = AS_EINVAL;
    if (f != NULL)
      *f += waa * M_LN2; /* −log σ(0): a tie carries no gradient */
    for (size_t b = a + 1; b < V; b++) {
      double wab = P[a * V + b], wba = P[b * V + a];
      if (wab == 0.0 && wba == 0.0)
        continue;
      if (!(wab >= 0.0) || !(wba >= 0.0)) {
        rc = AS_EINVAL;
        break;
      }
      double dref = log_ref ? log_ref[a] - log_ref[b] : 0.0;
      double t = c * (th[a] - th[b] - dref);
      obj_pair p = obj_pair_at(e, a, b, t, f != NULL);
      /* −log σ(t) = l1p + max(−t, 0); σ(−t), σ(t) by the sign of t. */
      double sm = t >= 0.0 ? p.s_lo : p.s_hi, sp = t >= 0.0 ? p.s_hi : p.s_lo;
      if (f != NULL)
        *f += wab * (p.l1p + fmax(-t, 0.0)) + wba * (p.l1p + fmax(t, 0.0));
      /* φ(t) = −log σ(t): φ' = −σ(−t), φ'' = σ(t)σ(−t); the reversed
       * record (b,a) has the opposite sign of t. */
      obj_pair_accum(V, a, b, 1.0, c, wba * sp - wab * sm,
                     (wab + wba) * sp * sm, g, H);
    }
  }
  free(zs);
  return rc;
}
