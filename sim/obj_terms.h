/* obj_terms.h — private helpers shared by the obj_*.c files (and the
 * pair arithmetic reused by as_metrics.c and as_fit.c). */
#ifndef OBJ_TERMS_H
#define OBJ_TERMS_H

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "as_error.h"
#include "as_math.h"
#include "as_objective.h"

/* A pairwise term w·φ(c·(θ_a − θ_b) − s): given φ'(t) = d1 and φ''(t) = d2
 * at the current point, adds its gradient w·c·d1·(e_a − e_b) and Hessian
 * w·c²·d2·(e_a − e_b)(e_a − e_b)ᵀ. */
static inline void obj_pair_accum(size_t V, size_t a, size_t b, double w,
                                  double c, double d1, double d2, double *g,
                                  double *H)
{
  if (a == b)
    return;
  if (g != NULL) {
    g[a] += w * c * d1;
    g[b] -= w * c * d1;
  }
  if (H != NULL) {
    double h = w * c * c * d2;
    H[a * V + a] += h;
    H[b * V + b] += h;
    H[a * V + b] -= h;
    H[b * V + a] -= h;
  }
}

/* max(x, 0), inline (fmax is a library call).  It differs from
 * fmax(x, 0.0) at most in the sign of a zero result (NaN gives 0 in
 * both), which never reaches a value where it is used: it is added to or
 * subtracted from log1p(e^{−|t|}) = log 2 ≠ 0 at a zero gap t. */
static inline double obj_pos_part(double x)
{
  return x > 0.0 ? x : 0.0;
}

/* Zeroes the outputs an eval fills. */
static inline void obj_zero(size_t V, double *f, double *g, double *H)
{
  *f = 0.0;
  if (g != NULL)
    for (size_t i = 0; i < V; i++)
      g[i] = 0.0;
  if (H != NULL)
    for (size_t i = 0; i < V * V; i++)
      H[i] = 0.0;
}

/* 1 if every entry of x[V] is finite. */
static inline int obj_all_finite(const double *x, size_t V)
{
  for (size_t i = 0; i < V; i++)
    if (!isfinite(x[i]))
      return 0;
  return 1;
}

/* The KL_ref term (λ > 0) needs π_ref of full support; a NULL log_ref is
 * the uniform reference. */
static inline int obj_ref_ok(const as_ctx_data *d)
{
  return !(d->lambda > 0.0 && d->log_ref != NULL &&
           !obj_all_finite(d->log_ref, d->V));
}

/* What distill and rebel (paper form) need: unlabelled weights Q, a finite
 * reward, β > 0, λ ≥ 0 and, with λ > 0, a usable π_ref. */
static inline int obj_reward_pairs_ok(const as_ctx_data *d)
{
  return d->Q != NULL && d->reward != NULL && d->beta > 0.0 &&
         d->lambda >= 0.0 && obj_all_finite(d->reward, d->V) &&
         obj_ref_ok(d);
}

/* Pair arithmetic of a context (why: σ(t_ab) = e_a/(e_a + e_b) with
 * e = exp(u − max u) costs V exponentials per evaluation instead of a few
 * per pair, and the two ordered pairs (a,b), (b,a) share one t).
 *
 * obj_exps fills z_y = u_y − max u and e_y = e^{z_y} for u = c·(θ − ℓ)
 * (ℓ NULL: 0) into zs[2V] (z first, e second). */
void obj_exps(size_t V, const double *th, double c, const double *l,
              double *zs);

/* For c = 1 and l = NULL: obj_exps's e_y = e^{θ_y − max θ} into e[V] (the
 * same values, z not kept) and returns log Σ e^θ as as_logsumexp computes
 * it (the same exponentials summed in the same order), or NAN when max θ
 * is not finite (e not written; use the two separately).  Why: distill at
 * β = 1 needs both, and the sum is then V exponentials fewer. */
double obj_exps_lse(size_t V, const double *th, double *e);

/* as_obj_add_kl_ref with lse = as_logsumexp(theta, V) given. */
void obj_add_kl_ref_lse(size_t V, const double *theta, double lse,
                        double weight, const double *log_ref, double *f,
                        double *g, double *H);

/* The unordered pairs a < b of a V×V block, visited in square tiles
 * (why: the folded loops read P[a][b] and P[b][a] and write H at both;
 * row by row the second walks a column, one cache miss per pair once V×V
 * outgrows the cache — 10× slower per pair at V = 1000).  For
 * V ≤ OBJ_TILE it is plain row order.  Usage:
 *   for (obj_tile t = {0, 0}; obj_tile_more(&t, V); obj_tile_next(&t, V))
 *     for (size_t a = t.A; a < obj_tile_end(t.A, V); a++) {
 *       if (t.A == t.B) ... the diagonal cell (a, a) ...
 *       for (size_t b = obj_tile_b0(&t, a); b < obj_tile_end(t.B, V); b++)
 *         ... the pair (a, b) ... } */
#define OBJ_TILE 64
typedef struct obj_tile {
  size_t A, B; /* first row and first column of the tile */
} obj_tile;

static inline int obj_tile_more(const obj_tile *t, size_t V)
{
  return t->A < V;
}

static inline void obj_tile_next(obj_tile *t, size_t V)
{
  t->B += OBJ_TILE;
  if (t->B >= V) {
    t->A += OBJ_TILE;
    t->B = t->A;
  }
}

static inline size_t obj_tile_end(size_t start, size_t V)
{
  return start + OBJ_TILE < V ? start + OBJ_TILE : V;
}

static inline size_t obj_tile_b0(const obj_tile *t, size_t a)
{
  return a + 1 > t->B ? a + 1 : t->B;
}

/* One unordered pair at gap t = u_a − u_b (computed directly, so its sign
 * and size are exact): σ(|t|), σ(−|t|) and log1p(e^{−|t|}), with
 * e^{−|t|} = e_lo/e_hi — exact for any gap, because when the smaller
 * exponential is subnormal or 0 the ratio falls back to exp(−|t|). */
typedef struct obj_pair {
  double s_hi; /* σ(|t|)              */
  double s_lo; /* σ(−|t|)             */
  double l1p;  /* log1p(e^{−|t|}) = −log σ(|t|) */
} obj_pair;

/* e^{−|t|} from the pair's exponentials (see obj_pair_at). */
static inline double obj_gap_ratio(const double *e, size_t a, size_t b,
                                   double t)
{
  double ehi = t >= 0.0 ? e[a] : e[b], elo = t >= 0.0 ? e[b] : e[a];
  return elo >= DBL_MIN ? elo / ehi : exp(-fabs(t));
}

static inline obj_pair obj_pair_at(const double *e, size_t a, size_t b,
                                   double t, int want_log)
{
  double r = obj_gap_ratio(e, a, b, t);
  obj_pair p;
  p.s_hi = 1.0 / (1.0 + r);
  p.s_lo = r * p.s_hi;
  p.l1p = want_log ? log1p(r) : NAN;
  return p;
}

/* The Bradley–Terry negative log-likelihood −Σ_ab P_ab log σ(c (Δθ_ab −
 * Δℓ_ab)) of pmle (c = β, eq. 4), dpo (c = β_d, ℓ = log π_ref, eq. 6) and
 * the reward model (c = 1, eq. 9); log_ref NULL means Δℓ = 0.  Adds to f,
 * g, H; AS_EINVAL for a negative or NaN weight, AS_ENOMEM.  Per unordered
 * pair one division and, when f is not NULL, one log1p (obj_pair_at); f
 * NULL gives the gradient alone (DPO's gradient steps). */
int obj_add_bt_nll(size_t V, const double *P, const double *th, double c,
                   const double *log_ref, double *f, double *g, double *H);

/* The records of a context as a list of unordered pairs a < b with their
 * two weights (sparse counts: n ≪ V² leaves most cells empty). */
typedef struct obj_bt_pair {
  size_t a, b;
  double wab, wba;
} obj_bt_pair;

/* Fills out[] (room for V(V−1)/2) with the pairs of the V×V block P that
 * carry a record; returns their number. */
size_t obj_bt_pairs(size_t V, const double *P, obj_bt_pair *out);

/* The gradient of obj_add_bt_nll from such a list, added to g: one
 * exponential e^{−|t|} per listed pair, or V per call (obj_exps) when
 * there are more pairs than responses; exact for any gap either way. */
void obj_add_bt_grad_sparse(size_t V, const obj_bt_pair *pr, size_t np,
                            const double *th, double c,
                            const double *log_ref, double *g);

/* DPO's gradient steps θ ← θ − lr·∇ over all K contexts of a fit at once
 * (E6: 10⁵ steps of a few pairs per context, where the per-context loop's
 * bookkeeping cost more than the pairs): the records of every context in
 * one list of pairs indexed into the K×V θ, so a step is one loop over
 * the pairs and one over the responses they touch — a response never
 * compared has a zero gradient, and θ − lr·0 is θ for a finite lr.  Each
 * pair is computed as in obj_add_bt_grad_sparse (one exp(−|t|)), in the
 * same order within a context; a context with more pairs than responses
 * keeps obj_add_bt_grad_sparse itself (its V exponentials).  So a step
 * gives the same bits as obj_add_bt_grad_sparse context by context
 * followed by θ_x −= lr·g_x. */
typedef struct obj_bt_steps {
  size_t K, V;
  double c;              /* β_d                                             */
  const double *log_ref; /* K×V or NULL; borrowed                           */
  size_t np, nt;         /* listed pairs, touched responses                */
  /* the listed pairs, one array per field (so the per-pair arithmetic
   * runs over arrays): x·V + a, x·V + b, log π_ref,a − log π_ref,b (0
   * without a ref), w_ab, w_ba; t and e^{−|t|} of the current step */
  size_t *ia, *ib;
  double *dref, *wab, *wba, *t, *r;
  size_t *touched;       /* θ indices the listed pairs touch               */
  size_t nw;             /* contexts on the V-exponential route             */
  size_t *wide;          /* their x                                         */
  size_t *woff;          /* offsets of their pairs in wpr (nw + 1)          */
  obj_bt_pair *wpr;
  double *g;             /* K×V, zero between steps                         */
} obj_bt_steps;

/* Lists P's (K blocks V×V, weights already checked) records; AS_ENOMEM. */
int obj_bt_steps_init(obj_bt_steps *st, size_t K, size_t V, const double *P,
                      const double *log_ref, double c);
/* The gradient at th (K×V) into st->g (zero before: a fresh st, or after
 * obj_bt_steps_apply). */
void obj_bt_steps_grad(obj_bt_steps *st, const double *th);
/* θ −= lr·g (lr finite) where g can be non-zero; g is left zero. */
void obj_bt_steps_apply(obj_bt_steps *st, double *th, double lr);
/* One step: grad, then apply. */
void obj_bt_steps_take(obj_bt_steps *st, double *th, double lr);
void obj_bt_steps_free(obj_bt_steps *st);

#endif
