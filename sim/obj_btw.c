/* obj_btw.c — Bradley–Terry cross-entropy on prepared weights; see
 * obj_btw.h.  The `omp simd` pragmas (compiled with -fopenmp-simd, no
 * OpenMP runtime) let the compiler vectorise the row sums; they reorder
 * only these sums. */
#include "obj_btw.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_objective.h"
#include "obj_log.h"
#include "obj_terms.h"

as_obj_prep *obj_btw_alloc(size_t V, double c)
{
  as_obj_prep *p = malloc(sizeof *p);
  double *buf = malloc((2 * V * V + V) * sizeof *buf);
  if (p == NULL || buf == NULL) {
    free(p);
    free(buf);
    return NULL;
  }
  *p = (as_obj_prep){.V = V, .c = c, .W = buf, .Wt = buf + V * V,
                     .R = buf + 2 * V * V, .cst = 0.0, .dp = NULL,
                     .ndp = 0};
  return p;
}

void obj_btw_finish(as_obj_prep *p, double cst)
{
  size_t V = p->V;
  const double *W = p->W;
  /* Wᵀ by square tiles (row by row, the writes would walk a column) */
  for (size_t A = 0; A < V; A += OBJ_TILE)
    for (size_t B = 0; B < V; B += OBJ_TILE)
      for (size_t a = A; a < obj_tile_end(A, V); a++)
        for (size_t b = B; b < obj_tile_end(B, V); b++)
          p->Wt[b * V + a] = W[a * V + b];
  p->cst = cst;
  for (size_t a = 0; a < V; a++) {
    double r = 0.0;
    for (size_t b = 0; b < V; b++)
      r += W[a * V + b];
    p->R[a] = r - W[a * V + a];
    p->cst += W[a * V + a] * M_LN2; /* −log σ(0): a tie */
  }
}

void as_obj_prep_free(as_obj_prep *p)
{
  if (p == NULL)
    return;
  free(p->W); /* one block: W, Wt, R */
  free(p->dp);
  free(p);
}

/* The pairs (a, b), b < n, of row a (w = W_a·, wt = Wᵀ_a·): adds
 * Σ_b (W_ba σ_ab − W_ab σ_ba) to *sg and, with hrow, sets hrow[b] to
 * −c2·h_ab and adds Σ_b h_ab to *sh, h_ab = (W_ab + W_ba) σ_ab σ_ba (the
 * product σ_ab σ_ba in one order, so H is exactly symmetric). */
static void btw_row(size_t n, double ea, const double *restrict e,
                    const double *restrict w, const double *restrict wt,
                    double c2, double *restrict hrow, double *sg,
                    double *sh)
{
  double g = 0.0, h = 0.0;
  if (hrow != NULL) {
#pragma omp simd reduction(+ : g, h)
    for (size_t b = 0; b < n; b++) {
      double inv = 1.0 / (ea + e[b]);
      double sab = ea * inv, sba = e[b] * inv;
      double hb = (w[b] + wt[b]) * (sab * sba);
      g += wt[b] * sab - w[b] * sba;
      h += hb;
      hrow[b] = -c2 * hb;
    }
  } else {
#pragma omp simd reduction(+ : g)
    for (size_t b = 0; b < n; b++) {
      double inv = 1.0 / (ea + e[b]);
      g += wt[b] * (ea * inv) - w[b] * (e[b] * inv);
    }
  }
  *sg += g;
  *sh += h;
}

/* Σ_{a<b} (W_ab + W_ba) log(e_a + e_b) − Σ_a R_a z_a: the value without
 * its constant (obj_btw.h).  Every e_a + e_b is a normal number here, so
 * the log is obj_log_normal's (vectorised, within 6u of log: obj_log.h);
 * a pair without weight adds 0·(finite log) = 0, so no branch. */
static double btw_value(const as_obj_prep *pp, const double *z,
                        const double *e)
{
  size_t V = pp->V;
  double f = 0.0;
  for (size_t a = 0; a < V; a++) {
    const double *restrict w = pp->W + a * V, *restrict wt = pp->Wt + a * V;
    const double *restrict ee = e;
    double s = 0.0, ea = e[a];
#pragma omp simd reduction(+ : s)
    for (size_t b = a + 1; b < V; b++)
      s += (w[b] + wt[b]) * obj_log_normal(ea + ee[b]);
    f += s - pp->R[a] * z[a];
  }
  return f;
}

int obj_btw_eval(const as_obj_prep *pp, const double *th, double *f,
                 double *g, double *H)
{
  size_t V = pp->V;
  double *zs = malloc(2 * V * sizeof *zs);
  if (zs == NULL)
    return -1;
  obj_exps(V, th, pp->c, NULL, zs);
  const double *z = zs, *e = zs + V;
  for (size_t y = 0; y < V; y++)
    if (!(e[y] >= DBL_MIN)) {
      free(zs);
      return 0; /* spread beyond ~708 nats: the per-pair form */
    }
  if (f != NULL)
    *f = pp->cst + btw_value(pp, z, e);
  double c = pp->c, c2 = c * c;
  for (size_t a = 0; a < V && (g != NULL || H != NULL); a++) {
    const double *w = pp->W + a * V, *wt = pp->Wt + a * V;
    double *hr = H != NULL ? H + a * V : NULL;
    double sg = 0.0, sh = 0.0;
    /* b < a and b > a: the diagonal (a tie) has no derivative */
    btw_row(a, e[a], e, w, wt, c2, hr, &sg, &sh);
    btw_row(V - a - 1, e[a], e + a + 1, w + a + 1, wt + a + 1, c2,
            hr != NULL ? hr + a + 1 : NULL, &sg, &sh);
    if (g != NULL)
      g[a] = c * sg;
    if (H != NULL)
      hr[a] = c2 * sh;
  }
  free(zs);
  return 1;
}

/* Copies the V×V block P into W; 1 if every entry is a finite weight ≥ 0. */
static int btw_copy_weights(size_t V, const double *P, double *W)
{
  int ok = 1;
  for (size_t i = 0; i < V * V; i++) {
    W[i] = P[i];
    ok &= P[i] >= 0.0 && P[i] < INFINITY;
  }
  return ok;
}

/* 1 if every entry of the V×V block is a finite weight ≥ 0. */
static int btw_weights_ok(size_t V, const double *W)
{
  int ok = 1;
  for (size_t i = 0; i < V * V; i++)
    ok &= W[i] >= 0.0 && W[i] < INFINITY;
  return ok;
}

int as_obj_prepare(const as_objective_type *obj, const as_ctx_data *d,
                   as_obj_prep **out)
{
  *out = NULL;
  size_t V = d->V;
  int bt = obj == &as_obj_pmle || obj == &as_obj_reward;
  double c = obj == &as_obj_pmle || obj == &as_obj_distill ? d->beta : 1.0;
  if (bt ? d->P == NULL || !(c > 0.0)
         : obj != &as_obj_distill || !obj_reward_pairs_ok(d) ||
               !btw_weights_ok(V, d->Q))
    return AS_OK; /* no prepared form, or eval reports the data */
  as_obj_prep *pp = obj_btw_alloc(V, c);
  if (pp == NULL)
    return AS_ENOMEM;
  double cst = 0.0;
  int ok = bt ? btw_copy_weights(V, d->P, pp->W)
              : obj_distill_weights(d, pp->W, &cst) == AS_OK;
  if (!ok) {
    as_obj_prep_free(pp);
    return bt ? AS_OK : AS_ENOMEM; /* a bad P: eval reports it */
  }
  obj_btw_finish(pp, cst);
  *out = pp;
  return AS_OK;
}
