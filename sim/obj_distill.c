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

/* The reward side of the pair {a,b} at gap u = r̂_a − r̂_b: p = σ(u),
 * q = σ(−u) and their logs, from the pair's exponentials.  Both ordered
 * terms have the same KL (swapping a, b maps p ↦ 1 − p and t ↦ −t), so
 * they are weighted together by w = Q_ab + Q_ba. */
static void distill_reward_side(const obj_pair *pu, double u,
                                obj_distill_pair *dp)
{
  dp->p = u >= 0.0 ? pu->s_hi : pu->s_lo;
  dp->q = u >= 0.0 ? pu->s_lo : pu->s_hi;
  dp->lp = -pu->l1p - obj_pos_part(-u);
  dp->lq = -pu->l1p - obj_pos_part(u);
}

/* The pair's KL and its t-derivatives at logit gap t (pt: its
 * exponentials); dp holds the reward side. */
static inline void distill_theta_side(const obj_distill_pair *dp,
                               const obj_pair *pt, double t, double *kl,
                               double *d1, double *d2)
{
  double st = t >= 0.0 ? pt->s_hi : pt->s_lo, sm = t >= 0.0 ? pt->s_lo
                                                          : pt->s_hi;
  double ls = -pt->l1p - obj_pos_part(-t);
  double lsm = -pt->l1p - obj_pos_part(t);
  *kl = 0.0;
  if (dp->p > 0.0)
    *kl += dp->p * (dp->lp - ls);
  if (dp->q > 0.0)
    *kl += dp->q * (dp->lq - lsm);
  /* σ(t) − p written as q − σ(−t) when t > 0 keeps accuracy near 1. */
  *d1 = t > 0.0 ? dp->q - sm : st - dp->p;
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

/* 1 if every cell of the V×V block is a weight ≥ 0 (what the per-pair
 * evaluation checks; NaN fails). */
static int distill_q_ok(size_t V, const double *Q)
{
  int ok = 1;
  for (size_t i = 0; i < V * V; i++)
    ok &= Q[i] >= 0.0;
  return ok;
}

/* The pairs with a weight, in the per-pair evaluation's order (tiles), and
 * their reward side from the reward exponentials er; returns how many. */
static size_t distill_pairs(const as_ctx_data *d, const double *er,
                            obj_distill_pair *out)
{
  size_t V = d->V, n = 0;
  for (obj_tile tl = {0, 0}; obj_tile_more(&tl, V); obj_tile_next(&tl, V))
    for (size_t a = tl.A; a < obj_tile_end(tl.A, V); a++)
      for (size_t b = obj_tile_b0(&tl, a); b < obj_tile_end(tl.B, V); b++) {
        double wab = d->Q[a * V + b], wba = d->Q[b * V + a];
        if (wab == 0.0 && wba == 0.0)
          continue;
        double u = d->reward[a] - d->reward[b];
        obj_pair pu = obj_pair_at(er, a, b, u, 1);
        out[n] = (obj_distill_pair){.a = a, .b = b, .w = wab + wba};
        distill_reward_side(&pu, u, &out[n]);
        n++;
      }
  return n;
}

int as_obj_prepare_exact(const as_objective_type *obj, const as_ctx_data *d,
                         as_obj_prep **out)
{
  *out = NULL;
  size_t V = d->V;
  if (obj != &as_obj_distill || !obj_reward_pairs_ok(d) ||
      !distill_q_ok(V, d->Q))
    return AS_OK; /* no exact form, or eval reports the data */
  double stack[128]; /* small contexts need no heap scratch */
  as_obj_prep *pp = malloc(sizeof *pp);
  obj_distill_pair *dp = malloc((V * (V - 1) / 2 + 1) * sizeof *dp);
  double *zs = V <= 64 ? stack : malloc(2 * V * sizeof *zs);
  if (pp == NULL || dp == NULL || zs == NULL) {
    free(pp);
    free(dp);
    if (zs != stack)
      free(zs);
    return AS_ENOMEM;
  }
  obj_exps(V, d->reward, 1.0, NULL, zs);
  *pp = (as_obj_prep){.V = V, .c = d->beta, .W = NULL, .Wt = NULL,
                      .R = NULL, .cst = 0.0, .dp = dp, .ndp = 0};
  pp->ndp = distill_pairs(d, zs + V, dp);
  if (zs != stack)
    free(zs);
  *out = pp;
  return AS_OK;
}

/* distill_eval on the exact prepared form: the per-pair evaluation's
 * arithmetic term for term, with the reward side read from the pairs. */
static int distill_eval_exact(const as_ctx_data *d, const as_obj_prep *pp,
                              const double *th, double *f, double *g,
                              double *H)
{
  size_t V = d->V;
  double stack[128]; /* small contexts need no heap scratch */
  double *zs = V <= 64 ? stack : malloc(2 * V * sizeof *zs);
  if (zs == NULL)
    return AS_ENOMEM;
  /* β = 1: the KL_ref term's log-normaliser from the same exponentials */
  double lse = d->beta == 1.0 ? obj_exps_lse(V, th, zs + V) : NAN;
  if (isnan(lse))
    obj_exps(V, th, d->beta, NULL, zs);
  const double *et = zs + V;
  obj_zero(V, f, g, H);
  /* f summed in a local (the same additions in the same order): through
   * *f, which may alias g or H, every term would wait on a store */
  double fl = *f;
  for (size_t k = 0; k < pp->ndp; k++) {
    const obj_distill_pair *dp = &pp->dp[k];
    size_t a = dp->a, b = dp->b;
    double t = d->beta * (th[a] - th[b]);
    obj_pair pt = obj_pair_at(et, a, b, t, 1);
    double kl, d1, d2;
    distill_theta_side(dp, &pt, t, &kl, &d1, &d2);
    fl += dp->w * kl;
    obj_pair_accum(V, a, b, dp->w, d->beta, d1, d2, g, H);
  }
  *f = fl;
  if (zs != stack)
    free(zs);
  if (d->lambda > 0.0 && !isnan(lse))
    obj_add_kl_ref_lse(V, th, lse, d->lambda * d->rho, d->log_ref, f, g, H);
  else if (d->lambda > 0.0)
    as_obj_add_kl_ref(V, th, d->lambda * d->rho, d->log_ref, f, g, H);
  return AS_OK;
}

static int distill_eval(const as_ctx_data *d, const double *th, double *f,
                        double *g, double *H)
{
  size_t V = d->V;
  if (d->prep != NULL && d->prep->W == NULL) /* checked when prepared */
    return distill_eval_exact(d, d->prep, th, f, g, H);
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
        obj_distill_pair dp;
        distill_reward_side(&pu, u, &dp);
        double kl, d1, d2;
        distill_theta_side(&dp, &pt, t, &kl, &d1, &d2);
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
