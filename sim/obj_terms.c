/* obj_terms.c — softmax building blocks of as_objective.h (docs/reference.md §3:
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

/* Row i of the softmax term's Hessian, the off-diagonal form for every k:
 * hr[k] −= weight·(π_i pd_k + pd_i π_k + α π_i π_k), pd = π⊙d.  Element
 * by element (no sum is reordered), so `omp simd` (-fopenmp-simd) changes
 * no bit; restrict: hr is a row of H, p and pd the caller's scratch. */
static void softmax_hess_row(size_t V, double *restrict hr,
                             const double *restrict p,
                             const double *restrict pd, double pi,
                             double pdi, double alpha, double weight)
{
#pragma omp simd
  for (size_t k = 0; k < V; k++)
    hr[k] -= weight * (pi * pd[k] + pdi * p[k] + alpha * pi * p[k]);
}

/* as_obj_add_softmax with lse = as_logsumexp(theta, V) given. */
static void add_softmax_lse(size_t V, const double *theta, double lse,
                            double weight, const double *h1, double c1,
                            const double *h2, double c2, double alpha,
                            double *f, double *g, double *H)
{
  /* π_y once per y (V exponentials); small V needs no heap scratch.
   * Without memory the π_y are recomputed where used (same values). */
  double stack[128];
  double *pp = V <= 64 ? stack : malloc(2 * V * sizeof *pp);
  /* E_π[w] with w = h + α log π; π_y ℓ_y → 0 where π_y underflows. */
  double ew = 0.0;
  for (size_t y = 0; y < V; y++) {
    double l = theta[y] - lse, p = exp(l);
    if (pp != NULL)
      pp[y] = p;
    if (p > 0.0)
      ew += p * softmax_w(y, l, h1, c1, h2, c2, alpha);
  }
  *f += weight * ew;
  if (g == NULL && H == NULL) {
    if (pp != stack)
      free(pp);
    return;
  }
  /* π_y d_y, d_y = w_y − E_π w (0 where π_y underflows) */
  for (size_t i = 0; i < V; i++) {
    double l = theta[i] - lse, pi = pp != NULL ? pp[i] : exp(l);
    double pdi = pi > 0.0
                     ? pi * (softmax_w(i, l, h1, c1, h2, c2, alpha) - ew)
                     : 0.0;
    if (g != NULL)
      g[i] += weight * pdi;
    if (pp != NULL)
      pp[V + i] = pdi;
  }
  if (H != NULL && pp != NULL)
    for (size_t i = 0; i < V; i++) {
      double pi = pp[i], pdi = pp[V + i];
      /* H_ik = δ_ik(π_i d_i + α π_i) − π_i π_k (d_i + d_k + α). */
      H[i * V + i] += weight * (pdi + alpha * pi);
      softmax_hess_row(V, H + i * V, pp, pp + V, pi, pdi, alpha, weight);
    }
  else if (H != NULL)
    for (size_t i = 0; i < V; i++) {
      double li = theta[i] - lse, pi = exp(li);
      double pdi = pi > 0.0 ? pi * (softmax_w(i, li, h1, c1, h2, c2, alpha)
                                    - ew) : 0.0;
      H[i * V + i] += weight * (pdi + alpha * pi);
      for (size_t k = 0; k < V; k++) {
        double lk = theta[k] - lse, pk = exp(lk);
        double pdk = pk > 0.0 ? pk * (softmax_w(k, lk, h1, c1, h2, c2,
                                                alpha) - ew) : 0.0;
        H[i * V + k] -= weight * (pi * pdk + pdi * pk + alpha * pi * pk);
      }
    }
  if (pp != stack)
    free(pp);
}

void as_obj_add_softmax(size_t V, const double *theta, double weight,
                        const double *h1, double c1, const double *h2,
                        double c2, double alpha, double *f, double *g,
                        double *H)
{
  add_softmax_lse(V, theta, as_logsumexp(theta, V), weight, h1, c1, h2, c2,
                  alpha, f, g, H);
}

void obj_add_kl_ref_lse(size_t V, const double *theta, double lse,
                        double weight, const double *log_ref, double *f,
                        double *g, double *H)
{
  /* A NULL log_ref is the uniform reference: KL(π‖U) = Σ π log π + log V. */
  if (log_ref == NULL)
    *f += weight * log((double)V);
  add_softmax_lse(V, theta, lse, weight, log_ref, -1.0, NULL, 0.0, 1.0, f,
                  g, H);
}

void as_obj_add_kl_ref(size_t V, const double *theta, double weight,
                       const double *log_ref, double *f, double *g,
                       double *H)
{
  obj_add_kl_ref_lse(V, theta, as_logsumexp(theta, V), weight, log_ref, f,
                     g, H);
}

double obj_exps_lse(size_t V, const double *th, double *e)
{
  double m = -INFINITY, s = 0.0;
  for (size_t y = 0; y < V; y++)
    if (th[y] > m)
      m = th[y];
  if (!isfinite(m))
    return NAN;
  for (size_t y = 0; y < V; y++) {
    e[y] = exp(th[y] - m);
    s += e[y];
  }
  return m + log(s);
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
  /* small contexts (the gallery's V = 10) need no heap scratch */
  double stack[128];
  double *zs = V <= 64 ? stack : malloc(2 * V * sizeof *zs);
  if (zs == NULL)
    return AS_ENOMEM;
  obj_exps(V, th, c, log_ref, zs);
  const double *e = zs + V;
  int rc = AS_OK;
  for (obj_tile tl = {0, 0}; obj_tile_more(&tl, V) && rc == AS_OK;
       obj_tile_next(&tl, V))
    for (size_t a = tl.A; a < obj_tile_end(tl.A, V) && rc == AS_OK; a++) {
      if (tl.A == tl.B) {
        double waa = P[a * V + a];
        if (!(waa >= 0.0))
          rc = AS_EINVAL;
        if (f != NULL)
          *f += waa * M_LN2; /* −log σ(0): a tie carries no gradient */
      }
      for (size_t b = obj_tile_b0(&tl, a); b < obj_tile_end(tl.B, V); b++) {
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
        double sm = t >= 0.0 ? p.s_lo : p.s_hi;
        double sp = t >= 0.0 ? p.s_hi : p.s_lo;
        if (f != NULL)
          *f += wab * (p.l1p + obj_pos_part(-t)) +
                wba * (p.l1p + obj_pos_part(t));
        /* φ(t) = −log σ(t): φ' = −σ(−t), φ'' = σ(t)σ(−t); the reversed
         * record (b,a) has the opposite sign of t. */
        obj_pair_accum(V, a, b, 1.0, c, wba * sp - wab * sm,
                       (wab + wba) * sp * sm, g, H);
      }
    }
  if (zs != stack)
    free(zs);
  return rc;
}

size_t obj_bt_pairs(size_t V, const double *P, obj_bt_pair *out)
{
  size_t k = 0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = a + 1; b < V; b++)
      if (P[a * V + b] != 0.0 || P[b * V + a] != 0.0)
        out[k++] = (obj_bt_pair){a, b, P[a * V + b], P[b * V + a]};
  return k;
}

void obj_add_bt_grad_sparse(size_t V, const obj_bt_pair *pr, size_t np,
                            const double *th, double c,
                            const double *log_ref, double *g)
{
  /* More pairs than responses: V exponentials beat one per pair. */
  double stack[128];
  double *zs = np > V ? (V <= 64 ? stack : malloc(2 * V * sizeof *zs))
                      : NULL;
  if (zs != NULL)
    obj_exps(V, th, c, log_ref, zs);
  for (size_t i = 0; i < np; i++) {
    size_t a = pr[i].a, b = pr[i].b;
    double dref = log_ref ? log_ref[a] - log_ref[b] : 0.0;
    double t = c * (th[a] - th[b] - dref);
    double r = zs != NULL ? obj_gap_ratio(zs + V, a, b, t) : exp(-fabs(t));
    double s_hi = 1.0 / (1.0 + r), s_lo = r * s_hi;
    double sm = t >= 0.0 ? s_lo : s_hi, sp = t >= 0.0 ? s_hi : s_lo;
    /* as obj_add_bt_nll: c·(w_ba σ(t) − w_ab σ(−t)) on e_a − e_b */
    double d = c * (pr[i].wba * sp - pr[i].wab * sm);
    g[a] += d;
    g[b] -= d;
  }
  if (zs != stack)
    free(zs);
}
