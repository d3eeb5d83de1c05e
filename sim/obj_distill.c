/* obj_distill.c — preference distillation (docs/reference.md §3, eq. 11–12):
 * f_x(θ) = Σ_ab Q_ab KL(Bern(p_ab) ‖ Bern(σ(β Δθ_ab))) + λ ρ KL_ref,
 * p_ab = σ(r̂_a − r̂_b).  With t = βΔθ the term is
 * p log(p/σ(t)) + (1−p) log((1−p)/σ(−t)); its t-derivatives are
 * σ(t) − p and σ(t)σ(−t). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"
#include "obj_btw.h"
#include "obj_terms.h"

/* The pair {a,b} at reward gap u = r̂_a − r̂_b and logit gap t: both
 * ordered terms have the same KL (swapping a, b maps p ↦ 1 − p and
 * t ↦ −t), so they are weighted together by w = Q_ab + Q_ba. */
static void distill_pair(const obj_pair *pu, double u, const obj_pair *pt,
                         double t, double *kl, double *d1, double *d2)
{
  /* p = σ(u), q = σ(−u) and their logs, from the pair's exponentials */
  double p = u >= 0.0 ? pu->s_hi : pu->s_lo, q = u >= 0.0 ? pu->s_lo
                                                         : pu->s_hi;
  double lp = -pu->l1p - fmax(-u, 0.0), lq = -pu->l1p - fmax(u, 0.0);
  double st = t >= 0.0 ? pt->s_hi : pt->s_lo, sm = t >= 0.0 ? pt->s_lo
                                                          : pt->s_hi;
  double ls = -pt->l1p - fmax(-t, 0.0), lsm = -pt->l1p - fmax(t, 0.0);
  *kl = 0.0;
  if (p > 0.0)
    *kl += p * (lp - ls);
  if (q > 0.0)
    *kl += q * (lq - lsm);
  /* σ(t) − p written as q − σ(−t) when t > 0 keeps accuracy near 1. */
  *d1 = t > 0.0 ? q - sm : st - p;
  *d2 = st * sm;
}

/* Row a of distill's weights from the reward exponentials er (all normal
 * numbers): p_ab = er_a/(er_a + er_b) and p log p + q log q = p z_a +
 * q z_b − log(er_a + er_b) (one log per pair; why not obj_pair_at: its
 * log1p costs 4× a log and is only needed for gaps beyond ~708). */
static double distill_row_fast(size_t V, size_t a, const double *Q,
                               const double *z, const double *er, double *W)
{
  double c = 0.0;
  for (size_t b = a + 1; b < V; b++) {
    double w = Q[a * V + b] + Q[b * V + a];
    double s = er[a] + er[b], p = er[a] / s, q = er[b] / s;
    W[a * V + b] = w * p;
    W[b * V + a] = w * q;
    if (w > 0.0)
      c += w * (p * z[a] + q * z[b] - log(s));
  }
  return c;
}

/* The same for any gap (obj_pair_at). */
static double distill_row_exact(size_t V, size_t a, const double *Q,
                                const double *r, const double *er,
                                double *W)
{
  double c = 0.0;
  for (size_t b = a + 1; b < V; b++) {
    double w = Q[a * V + b] + Q[b * V + a];
    double u = r[a] - r[b];
    obj_pair pu = obj_pair_at(er, a, b, u, 1);
    double p = u >= 0.0 ? pu.s_hi : pu.s_lo, q = u >= 0.0 ? pu.s_lo
                                                         : pu.s_hi;
    double lp = -pu.l1p - fmax(-u, 0.0), lq = -pu.l1p - fmax(u, 0.0);
    W[a * V + b] = w * p;
    W[b * V + a] = w * q;
    if (w > 0.0)
      c += w * ((p > 0.0 ? p * lp : 0.0) + (q > 0.0 ? q * lq : 0.0));
  }
  return c;
}

int obj_distill_weights(const as_ctx_data *d, double *W, double *cst)
{
  size_t V = d->V;
  double *zs = malloc(2 * V * sizeof *zs);
  if (zs == NULL)
    return AS_ENOMEM;
  obj_exps(V, d->reward, 1.0, NULL, zs);
  const double *z = zs, *er = zs + V;
  int fast = 1;
  for (size_t y = 0; y < V; y++)
    fast = fast && er[y] >= DBL_MIN;
  *cst = 0.0;
  for (size_t a = 0; a < V; a++) {
    W[a * V + a] = 0.0; /* a tie: KL(Bern(½)‖Bern(σ(0))) = 0 */
    *cst += fast ? distill_row_fast(V, a, d->Q, z, er, W)
                 : distill_row_exact(V, a, d->Q, d->reward, er, W);
  }
  free(zs);
  return AS_OK;
}

static int distill_eval(const as_ctx_data *d, const double *th, double *f,
                        double *g, double *H)
{
  size_t V = d->V;
  if (!obj_reward_pairs_ok(d))
    return AS_EINVAL;
  if (d->prep != NULL) {
    int done = obj_btw_eval(d->prep, th, f, g, H);
    if (done < 0)
      return AS_ENOMEM;
    if (done && d->lambda > 0.0)
      as_obj_add_kl_ref(V, th, d->lambda * d->rho, d->log_ref, f, g, H);
    if (done)
      return AS_OK;
  }
  double *zs = malloc(4 * V * sizeof *zs);
  if (zs == NULL)
    return AS_ENOMEM;
  obj_exps(V, th, d->beta, NULL, zs);
  obj_exps(V, d->reward, 1.0, NULL, zs + 2 * V);
  const double *et = zs + V, *er = zs + 3 * V;
  obj_zero(V, f, g, H);
  int rc = AS_OK;
  for (obj_tile tl = {0, 0}; obj_tile_more(&tl, V) && rc == AS_OK;
       obj_tile_next(&tl, V))
    for (size_t a = tl.A; a < obj_tile_end(tl.A, V) && rc == AS_OK; a++) {
      if (tl.A == tl.B && !(d->Q[a * V + a] >= 0.0))
        rc = AS_EINVAL; /* a tie: KL(Bern(½)‖Bern(½)) = 0 */
      for (size_t b = obj_tile_b0(&tl, a); b < obj_tile_end(tl.B, V); b++) {
        double wab = d->Q[a * V + b], wba = d->Q[b * V + a];
        if (wab == 0.0 && wba == 0.0)
          continue;
        if (!(wab >= 0.0) || !(wba >= 0.0)) {
          rc = AS_EINVAL;
          break;
        }
        double u = d->reward[a] - d->reward[b];
        double t = d->beta * (th[a] - th[b]);
        obj_pair pu = obj_pair_at(er, a, b, u, 1),
                 pt = obj_pair_at(et, a, b, t, 1);
        double kl, d1, d2;
        distill_pair(&pu, u, &pt, t, &kl, &d1, &d2);
        *f += (wab + wba) * kl;
        obj_pair_accum(V, a, b, wab + wba, d->beta, d1, d2, g, H);
      }
    }
  free(zs);
  if (rc == AS_OK && d->lambda > 0.0)
    as_obj_add_kl_ref(V, th, d->lambda * d->rho, d->log_ref, f, g, H);
  return rc;
}

const as_objective_type as_obj_distill = {"distill", distill_eval};
