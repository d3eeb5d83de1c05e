/* obj_terms.c — softmax building blocks of as_objective.h (docs/reference.md §3:
 * KL_ref, expected reward, entropy), with exact gradient and Hessian. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* A pair's gradient coefficient at gap t with r = e^{−|t|}: as
 * obj_add_bt_nll, c·(w_ba σ(t) − w_ab σ(−t)) on e_a − e_b.  One place, so
 * the two sparse routes below do the same operations. */
static inline double bt_pair_grad(double t, double r, double c, double wab,
                                  double wba)
{
  double s_hi = 1.0 / (1.0 + r), s_lo = r * s_hi;
  double sm = t >= 0.0 ? s_lo : s_hi, sp = t >= 0.0 ? s_hi : s_lo;
  return c * (wba * sp - wab * sm);
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
    double d = bt_pair_grad(t, r, c, pr[i].wab, pr[i].wba);
    g[a] += d;
    g[b] -= d;
  }
  if (zs != stack)
    free(zs);
}

/* Records of context block P (V×V): pairs a < b with a weight. */
static size_t bt_count_pairs(size_t V, const double *P)
{
  size_t k = 0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = a + 1; b < V; b++)
      k += P[a * V + b] != 0.0 || P[b * V + a] != 0.0;
  return k;
}

/* Appends context x's pairs (global indices) and the responses they touch,
 * in increasing order, to st's lists; seen is V bytes of scratch. */
static void steps_list_context(obj_bt_steps *st, size_t x, const double *P,
                               unsigned char *seen)
{
  size_t V = st->V, base = x * V;
  const double *l = st->log_ref ? st->log_ref + base : NULL;
  for (size_t y = 0; y < V; y++)
    seen[y] = 0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = a + 1; b < V; b++) {
      double wab = P[a * V + b], wba = P[b * V + a];
      if (wab == 0.0 && wba == 0.0)
        continue;
      size_t k = st->np++;
      st->ia[k] = base + a;
      st->ib[k] = base + b;
      /* the same dref as obj_add_bt_grad_sparse forms each time */
      st->dref[k] = l ? l[a] - l[b] : 0.0;
      st->wab[k] = wab;
      st->wba[k] = wba;
      seen[a] = seen[b] = 1;
    }
  for (size_t y = 0; y < V; y++)
    if (seen[y])
      st->touched[st->nt++] = base + y;
}

/* Sizes st's lists from P: *np pairs and *nw wide contexts, with *nwp
 * pairs in those. */
static void steps_count(const obj_bt_steps *st, const double *P, size_t *np,
                        size_t *nw, size_t *nwp)
{
  size_t V = st->V;
  *np = *nw = *nwp = 0;
  for (size_t x = 0; x < st->K; x++) {
    size_t k = bt_count_pairs(V, P + x * V * V);
    if (k > V) {
      (*nw)++;
      *nwp += k;
    } else {
      *np += k;
    }
  }
}

int obj_bt_steps_init(obj_bt_steps *st, size_t K, size_t V, const double *P,
                      const double *log_ref, double c)
{
  memset(st, 0, sizeof *st);
  st->K = K;
  st->V = V;
  st->c = c;
  st->log_ref = log_ref;
  size_t np, nw, nwp;
  steps_count(st, P, &np, &nw, &nwp);
  /* a response is touched by at least one pair: at most 2 per pair */
  size_t nt_max = 2 * np < K * V ? 2 * np : K * V;
  size_t n1 = np > 0 ? np : 1;
  st->ia = malloc(2 * n1 * sizeof *st->ia);
  st->dref = malloc(5 * n1 * sizeof *st->dref);
  st->touched = malloc((nt_max > 0 ? nt_max : 1) * sizeof *st->touched);
  st->wide = malloc((nw > 0 ? nw : 1) * sizeof *st->wide);
  st->woff = malloc((nw + 1) * sizeof *st->woff);
  st->wpr = malloc((nwp > 0 ? nwp : 1) * sizeof *st->wpr);
  st->g = calloc(K * V > 0 ? K * V : 1, sizeof *st->g);
  unsigned char *seen = malloc(V > 0 ? V : 1);
  if (st->ia == NULL || st->dref == NULL || st->touched == NULL ||
      st->wide == NULL || st->woff == NULL || st->wpr == NULL ||
      st->g == NULL || seen == NULL) {
    free(seen);
    obj_bt_steps_free(st);
    return AS_ENOMEM;
  }
  st->ib = st->ia + n1;
  st->wab = st->dref + n1;
  st->wba = st->dref + 2 * n1;
  st->t = st->dref + 3 * n1;
  st->r = st->dref + 4 * n1;
  st->woff[0] = 0;
  for (size_t x = 0; x < K; x++) {
    const double *Px = P + x * V * V;
    if (bt_count_pairs(V, Px) <= V) {
      steps_list_context(st, x, Px, seen);
      continue;
    }
    st->wide[st->nw] = x;
    st->woff[st->nw + 1] =
        st->woff[st->nw] + obj_bt_pairs(V, Px, st->wpr + st->woff[st->nw]);
    st->nw++;
  }
  free(seen);
  return AS_OK;
}

void obj_bt_steps_free(obj_bt_steps *st)
{
  free(st->ia);
  free(st->dref);
  free(st->touched);
  free(st->wide);
  free(st->woff);
  free(st->wpr);
  free(st->g);
  memset(st, 0, sizeof *st);
}

/* The listed pairs' gradient into st->g (zero on entry), in passes over
 * the arrays — gaps, exponentials, coefficients, sums — so that no pass
 * waits on another pair's exp or division (the per-pair chain is long). */
static void steps_grad_listed(obj_bt_steps *st, const double *th)
{
  size_t np = st->np;
  double c = st->c, *t = st->t, *r = st->r, *g = st->g;
  for (size_t i = 0; i < np; i++)
    t[i] = c * (th[st->ia[i]] - th[st->ib[i]] - st->dref[i]);
  for (size_t i = 0; i < np; i++)
    r[i] = exp(-fabs(t[i]));
  /* element by element, so vector lanes round as the scalar code does */
#pragma omp simd
  for (size_t i = 0; i < np; i++)
    r[i] = bt_pair_grad(t[i], r[i], c, st->wab[i], st->wba[i]);
  /* in list order: a context's sums as obj_add_bt_grad_sparse forms them */
  for (size_t i = 0; i < np; i++) {
    g[st->ia[i]] += r[i];
    g[st->ib[i]] -= r[i];
  }
}

/* θ −= lr·g on the touched responses, leaving g zero there. */
static void steps_apply_listed(obj_bt_steps *st, double *th, double lr)
{
  for (size_t i = 0; i < st->nt; i++) {
    size_t j = st->touched[i];
    th[j] -= lr * st->g[j];
    st->g[j] = 0.0;
  }
}

void obj_bt_steps_grad(obj_bt_steps *st, const double *th)
{
  steps_grad_listed(st, th);
  size_t V = st->V;
  for (size_t w = 0; w < st->nw; w++) {
    size_t base = st->wide[w] * V;
    obj_add_bt_grad_sparse(V, st->wpr + st->woff[w],
                           st->woff[w + 1] - st->woff[w], th + base, st->c,
                           st->log_ref ? st->log_ref + base : NULL,
                           st->g + base);
  }
}

void obj_bt_steps_apply(obj_bt_steps *st, double *th, double lr)
{
  steps_apply_listed(st, th, lr);
  /* a wide context: every response, as the per-context route */
  for (size_t w = 0; w < st->nw; w++)
    for (size_t j = st->wide[w] * st->V; j < (st->wide[w] + 1) * st->V;
         j++) {
      th[j] -= lr * st->g[j];
      st->g[j] = 0.0;
    }
}

void obj_bt_steps_take(obj_bt_steps *st, double *th, double lr)
{
  obj_bt_steps_grad(st, th);
  obj_bt_steps_apply(st, th, lr);
}
