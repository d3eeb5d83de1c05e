/* as_metrics.c — exact metrics of docs/reference.md §4; see as_metrics.h.
 *
 * Every per-row function first normalises its rows (subtracts the row's
 * logsumexp), so a row means the distribution it is proportional to and
 * adding a constant to a row changes nothing.  The forms used are the ones
 * whose terms are all ≥ 0, so a divergence is never negative through
 * cancellation:
 *   KL(p‖q) = Σ_{p>0} p φ(log p − log q) + q(outside supp p),
 *             φ(d) = e^{−d} − 1 + d ≥ 0         (Schulman, docs/reference.md §5 (iii));
 *   H²(p,q) = ½ Σ (√p − √q)²  (= 1 − Σ √(pq) for normalised rows). */
#include "as_metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "as_math.h"
#include "obj_terms.h"

const char *const as_metrics_names[AS_METRICS_COUNT] = {
  "fwd_kl", "rev_kl", "tv", "hellinger2", "entropy",
  "kl_ref", "true_reward", "win_rate", "reward_score",
};

void as_metrics_to_array(const as_metrics *m, double out[AS_METRICS_COUNT])
{
  out[0] = m->fwd_kl;
  out[1] = m->rev_kl;
  out[2] = m->tv;
  out[3] = m->hellinger2;
  out[4] = m->entropy;
  out[5] = m->kl_ref;
  out[6] = m->true_reward;
  out[7] = m->win_rate;
  out[8] = m->reward_score;
}

/* The row's log-normaliser, or NaN when the row is not a (possibly
 * unnormalised) log-distribution: a NaN or +inf entry, or no mass. */
static double row_lse(const double *x, size_t V)
{
  for (size_t i = 0; i < V; i++)
    if (isnan(x[i]) || x[i] == INFINITY)
      return NAN;
  double z = as_logsumexp(x, V);
  return z == -INFINITY ? NAN : z;
}

/* φ(d) = e^{−d} − 1 + d.  For |d| < 1/2 the Taylor series Σ_{k≥2} (−d)^k/k!
 * (Horner, 18 terms: error < 0.5^19/19! ≈ 2e-23 relative to d²/2) avoids
 * the cancellation of expm1(−d) + d. */
static double phi(double d)
{
  if (fabs(d) < 0.5) {
    /* Horner on Σ_{k≥2} (−d)^k/k! = (−d)²/2! (1 + (−d)/3 (1 + (−d)/4 (…))). */
    double h = 1.0;
    for (int k = 19; k >= 3; k--)
      h = 1.0 + (-d) / k * h;
    return d * d / 2.0 * h;
  }
  return expm1(-d) + d;
}

/* KL(p‖q) of rows whose p side is zp = row_lse(logp) and, when pa is
 * not NULL, pa[i] = logp[i] − zp and pp[i] = e^{pa[i]} (as_kl_prepare):
 * the same operations either way, so the same bits. */
static inline double kl_rows(const double *logp, double zp, const double *pa,
                             const double *pp, const double *logq, size_t V)
{
  double zq = row_lse(logq, V);
  if (isnan(zp) || isnan(zq))
    return NAN;
  double sum = 0.0, q_out = 0.0;
  for (size_t i = 0; i < V; i++) {
    double a = pa != NULL ? pa[i] : logp[i] - zp, b = logq[i] - zq;
    if (logp[i] == -INFINITY) {
      q_out += exp(b);              /* 0 · log 0 = 0; q's mass off supp p */
      continue;
    }
    if (logq[i] == -INFINITY)
      return INFINITY;              /* p has mass where q has none */
    double d = a - b, p = pa != NULL ? pp[i] : exp(a);
    /* p φ(d) = q − p + p d for large |d|, written so q = e^b never
     * overflows through p e^{−d}. */
    sum += fabs(d) < 0.5 ? p * phi(d) : exp(b) - p + p * d;
  }
  return sum + q_out;
}

double as_kl(const double *logp, const double *logq, size_t V)
{
  return kl_rows(logp, row_lse(logp, V), NULL, NULL, logq, V);
}

double as_kl_prepare(const double *logp, size_t V, double *a, double *p)
{
  double zp = row_lse(logp, V);
  for (size_t i = 0; i < V; i++) {
    a[i] = logp[i] - zp;
    p[i] = logp[i] == -INFINITY ? 0.0 : exp(a[i]);
  }
  return zp;
}

double as_kl_prepared(const double *logp, double zp, const double *a,
                      const double *p, const double *logq, size_t V)
{
  return kl_rows(logp, zp, a, p, logq, V);
}

double as_tv(const double *logp, const double *logq, size_t V)
{
  double zp = row_lse(logp, V), zq = row_lse(logq, V);
  if (isnan(zp) || isnan(zq))
    return NAN;
  double s = 0.0;
  for (size_t i = 0; i < V; i++)
    s += fabs(exp(logp[i] - zp) - exp(logq[i] - zq));
  return 0.5 * s;
}

double as_hellinger2(const double *logp, const double *logq, size_t V)
{
  double zp = row_lse(logp, V), zq = row_lse(logq, V);
  if (isnan(zp) || isnan(zq))
    return NAN;
  double s = 0.0;
  for (size_t i = 0; i < V; i++) {
    double r = exp(0.5 * (logp[i] - zp)) - exp(0.5 * (logq[i] - zq));
    s += r * r;
  }
  return 0.5 * s;
}

double as_entropy(const double *logp, size_t V)
{
  double z = row_lse(logp, V);
  if (isnan(z))
    return NAN;
  double h = 0.0;
  for (size_t i = 0; i < V; i++) {
    if (logp[i] == -INFINITY)
      continue;                     /* 0 · log 0 = 0 */
    double a = logp[i] - z;
    h -= exp(a) * a;
  }
  return h;
}

static int check_beta(double beta, as_err *err)
{
  if (beta > 0.0 && isfinite(beta))
    return AS_OK;
  return as_err_set(err, AS_EINVAL, "metrics: beta must be finite and > 0 "
                    "(%g)", beta);
}

static int check_rows(const char *what, const double *t, size_t K, size_t V,
                      as_err *err)
{
  for (size_t x = 0; x < K; x++)
    if (isnan(row_lse(t + x * V, V)))
      return as_err_set(err, AS_EINVAL,
                        "metrics: %s row %zu is not a log-distribution "
                        "(NaN or +inf entry, or no mass)", what, x);
  return AS_OK;
}

/* The checks of as_metrics_compute that do not involve the reward; the
 * instance's rows only when `instance_rows` (as_metrics_fwd_kl skips them:
 * it runs once per λ of a grid on one instance, and the chosen candidate
 * goes through as_metrics_compute, which checks them). */
static int check_inputs(const as_instance *inst, double beta,
                        const double *log_pi, int instance_rows, as_err *err)
{
  if (inst == NULL || log_pi == NULL)
    return as_err_set(err, AS_EINVAL, "metrics: NULL argument");
  int rc = check_beta(beta, err);
  if (rc != AS_OK)
    return rc;
  size_t K = inst->K, V = inst->V;
  if ((rc = check_rows("policy", log_pi, K, V, err)) != AS_OK)
    return rc;
  if (!instance_rows)
    return AS_OK;
  if ((rc = check_rows("pi_star", inst->log_pi_star, K, V, err)) != AS_OK ||
      (rc = check_rows("pi_ref", inst->log_pi_ref, K, V, err)) != AS_OK ||
      (rc = check_rows("rho", inst->log_rho, 1, K, err)) != AS_OK)
    return rc;
  /* The win-rate and the true reward use ℓ*_y − ℓ*_y', so π* must have full
   * support (docs/reference.md §1: it always has). */
  for (size_t i = 0; i < K * V; i++)
    if (!isfinite(inst->log_pi_star[i]))
      return as_err_set(err, AS_EINVAL, "metrics: pi_star has a zero at "
                        "(x=%zu, y=%zu)", i / V, i % V);
  return AS_OK;
}

int as_metrics_fwd_kl(const as_instance *inst, double beta,
                      const double *log_pi, double *fwd_kl, as_err *err)
{
  int rc = check_inputs(inst, beta, log_pi, 0, err);
  if (rc != AS_OK)
    return rc;
  double zrho = as_logsumexp(inst->log_rho, inst->K), s = 0.0;
  for (size_t x = 0; x < inst->K; x++)
    s = as_metrics_fwd_kl_add(inst, zrho, x, log_pi + x * inst->V, s);
  *fwd_kl = s;
  return AS_OK;
}

double as_metrics_fwd_kl_add(const as_instance *inst, double zrho, size_t x,
                             const double *row, double sum)
{
  size_t V = inst->V;
  double rho = exp(inst->log_rho[x] - zrho);
  if (rho != 0.0) /* ρ(x)·(+inf) would be NaN */
    sum += rho * as_kl(inst->log_pi_star + x * V, row, V);
  return sum;
}

/* E_{y'~π_ref} P*(y ≻ y') for every y into w[V] (the win-rate's inner
 * sum, which does not depend on π̂): with e_y = exp(β(ℓ*_y − max ℓ*)),
 * σ(β(ℓ*_y − ℓ*_y')) = e_y/(e_y + e_y') — V exponentials, not V²
 * (obj_pair_at, exact for large gaps).  zs: 2V scratch. */
static void win_vs_ref(size_t V, double beta, const double *ls,
                       const double *lr, double zr, double *zs, double *w)
{
  obj_exps(V, ls, beta, NULL, zs);
  const double *e = zs + V;
  for (size_t y = 0; y < V; y++)
    w[y] = 0.0;
  for (size_t y2 = 0; y2 < V; y2++) {
    double q = exp(lr[y2] - zr);
    if (q == 0.0)
      continue;
    for (size_t y = 0; y < V; y++) {
      double t = beta * (ls[y] - ls[y2]);
      obj_pair pr = obj_pair_at(e, y, y2, t, 0);
      w[y] += q * (t >= 0.0 ? pr.s_hi : pr.s_lo);   /* docs/reference.md §2 P* */
    }
  }
}

int as_metrics_win_ref(const as_instance *inst, double beta, double *w,
                       as_err *err)
{
  if (inst == NULL || w == NULL)
    return as_err_set(err, AS_EINVAL, "metrics: NULL argument");
  if (check_beta(beta, err) != AS_OK)
    return AS_EINVAL;
  size_t K = inst->K, V = inst->V;
  double *zs = malloc(2 * V * sizeof *zs);
  if (zs == NULL)
    return as_err_set(err, AS_ENOMEM, "metrics: out of memory");
  for (size_t x = 0; x < K; x++) {
    const double *lr = inst->log_pi_ref + x * V;
    win_vs_ref(V, beta, inst->log_pi_star + x * V, lr, as_logsumexp(lr, V),
               zs, w + x * V);
  }
  free(zs);
  return AS_OK;
}

int as_metrics_compute(const as_instance *inst, double beta,
                       const double *log_pi, const double *reward,
                       as_metrics *out, as_err *err)
{
  return as_metrics_compute_win(inst, beta, log_pi, reward, NULL, out, err);
}

int as_metrics_compute_win(const as_instance *inst, double beta,
                           const double *log_pi, const double *reward,
                           const double *win, as_metrics *out, as_err *err)
{
  if (out == NULL)
    return as_err_set(err, AS_EINVAL, "metrics: NULL argument");
  int rc = check_inputs(inst, beta, log_pi, 1, err);
  if (rc != AS_OK)
    return rc;
  size_t K = inst->K, V = inst->V;
  if (reward != NULL)
    for (size_t i = 0; i < K * V; i++)
      if (!isfinite(reward[i]))
        return as_err_set(err, AS_EINVAL, "metrics: reward is not finite at "
                          "(x=%zu, y=%zu): %g", i / V, i % V, reward[i]);
  double *zs = malloc(3 * V * sizeof *zs);
  if (zs == NULL)
    return as_err_set(err, AS_ENOMEM, "metrics: out of memory");
  double *wv = zs + 2 * V;

  double zrho = as_logsumexp(inst->log_rho, K);
  as_metrics m = {0};
  m.reward_score = reward != NULL ? 0.0 : NAN;
  for (size_t x = 0; x < K; x++) {
    double rho = exp(inst->log_rho[x] - zrho);
    if (rho == 0.0)
      continue;                     /* ρ(x)·(+inf) would be NaN */
    const double *lp = log_pi + x * V;
    const double *ls = inst->log_pi_star + x * V;
    const double *lr = inst->log_pi_ref + x * V;
    double zp = as_logsumexp(lp, V), zs_ = as_logsumexp(ls, V);
    m.fwd_kl = as_metrics_fwd_kl_add(inst, zrho, x, lp, m.fwd_kl);
    m.rev_kl += rho * as_kl(lp, ls, V);
    m.tv += rho * as_tv(ls, lp, V);
    m.hellinger2 += rho * as_hellinger2(ls, lp, V);
    m.entropy += rho * as_entropy(lp, V);
    m.kl_ref += rho * as_kl(lp, lr, V);
    const double *w = win != NULL ? win + x * V : wv;
    if (win == NULL)
      win_vs_ref(V, beta, ls, lr, as_logsumexp(lr, V), zs, wv);
    double tr = 0.0, wr = 0.0, rs = 0.0;
    for (size_t y = 0; y < V; y++) {
      double p = exp(lp[y] - zp);
      if (p == 0.0)
        continue;
      tr += p * beta * (ls[y] - zs_);
      if (reward != NULL)
        rs += p * reward[x * V + y];
      wr += p * w[y];
    }
    m.true_reward += rho * tr;
    m.win_rate += rho * wr;
    if (reward != NULL)
      m.reward_score += rho * rs;
  }
  free(zs);
  *out = m;
  return AS_OK;
}

/* ---- Screening by forward KL (see as_metrics.h)
 *
 * Both routes share π*'s side: â = fl(ℓ* − zp), p̂ = fl(e^â) with zp the
 * row's as_logsumexp, and b̂ = fl(log π̂ − zq).  as_kl sums
 * p̂ φ(â − b̂) = e^b̂ − p̂ + p̂(â − b̂) term by term; the screen sums
 * p̂(â − b̂).  With u = 2⁻⁵³ and s = Σ p̂(|â| + |b̂|), the two differ by
 *   |Σ e^b̂ − 1| + |Σ p̂ − 1|  ≤ u(|zp| + |zq| + 4 log V + 2V + 6)
 *       (the error of a computed normaliser, plus Σ q|δ_i| with
 *        |δ_i| ≤ u|b̂_i| and Σ q|log q| ≤ log V),
 *   + the screen's rounding ≤ (V + 2)u s,
 *   + as_kl's rounding ≤ (V + 44)u(s + 3)  (each term to 40u: the Horner
 *       series of φ has 17 steps; the recursive sum of V terms),
 * so at most 2u(2V + 64 + |zp| + |zq|)(s + 4) — screen_bound returns twice
 * that, which only costs an exact evaluation now and then. */
#define SCREEN_U (DBL_EPSILON / 2.0)

struct as_metrics_target {
  const as_instance *inst;
  double beta;
  double *rho; /* K: ρ(x) as as_metrics_fwd_kl computes it (0: skipped)  */
  double *zp;  /* K: as_logsumexp of each row of π*, NaN: not usable     */
  double *a;   /* K·V: ℓ* − zp                                           */
  double *p;   /* K·V: e^a                                               */
};

void as_metrics_target_free(as_metrics_target *t)
{
  if (t == NULL)
    return;
  free(t->rho);
  free(t->zp);
  free(t->a);
  free(t->p);
  free(t);
}

/* Row x of π*: zp, â and p̂ as as_kl computes them; NaN zp for a row the
 * screen's form cannot take (a zero of π*: 0·log 0 needs as_kl's care). */
static void target_row(const double *ls, size_t V, double *zp, double *a,
                       double *p)
{
  *zp = row_lse(ls, V);
  for (size_t i = 0; i < V && !isnan(*zp); i++) {
    if (!isfinite(ls[i]))
      *zp = NAN;
    a[i] = ls[i] - *zp;
    p[i] = exp(a[i]);
  }
}

int as_metrics_target_new(const as_instance *inst, double beta,
                          as_metrics_target **out, as_err *err)
{
  *out = NULL;
  if (inst == NULL)
    return as_err_set(err, AS_EINVAL, "metrics: NULL argument");
  if (check_beta(beta, err) != AS_OK)
    return AS_EINVAL;
  size_t K = inst->K, V = inst->V;
  as_metrics_target *t = calloc(1, sizeof *t);
  if (t == NULL || (t->rho = malloc(K * sizeof(double))) == NULL ||
      (t->zp = malloc(K * sizeof(double))) == NULL ||
      (t->a = malloc(K * V * sizeof(double))) == NULL ||
      (t->p = malloc(K * V * sizeof(double))) == NULL) {
    as_metrics_target_free(t);
    return as_err_set(err, AS_ENOMEM, "metrics: out of memory");
  }
  t->inst = inst;
  t->beta = beta;
  double zrho = as_logsumexp(inst->log_rho, K);
  for (size_t x = 0; x < K; x++) {
    t->rho[x] = exp(inst->log_rho[x] - zrho);
    target_row(inst->log_pi_star + x * V, V, &t->zp[x], t->a + x * V,
               t->p + x * V);
  }
  *out = t;
  return AS_OK;
}

int as_metrics_target_is(const as_metrics_target *t, const as_instance *inst,
                         double beta)
{
  return t != NULL && t->inst == inst && t->beta == beta;
}

/* Row x's estimate Σ p̂(â − b̂) with b̂ = row − z, z = row_lse(row), and
 * in *s its Σ p̂(|â| + |b̂|); +inf when π̂ has a zero (as_kl: +inf). */
static double screen_sum(const double *a, const double *p, const double *row,
                         double z, size_t V, double *s)
{
  double e = 0.0;
  *s = 0.0;
  for (size_t i = 0; i < V; i++) {
    double b = row[i] - z;
    if (b == -INFINITY)
      return INFINITY;
    e += p[i] * (a[i] - b);
    *s += p[i] * (fabs(a[i]) + fabs(b));
  }
  return e;
}

/* The bound on |e − as_kl| for screen_sum's e and s (the comment above). */
static double screen_bound(double zp, double zq, double s, size_t V)
{
  return 4.0 * SCREEN_U * (2.0 * (double)V + 64.0 + fabs(zp) + fabs(zq)) *
         (s + 4.0);
}

/* The same when row holds logits ξ, z = L = as_logsumexp(ξ): b̂ = ξ − L
 * is the row as_log_softmax forms, bit for bit, so the estimate differs
 * from the one on that row only by as_kl's normaliser zq of it, which is
 * not computed (that is the saving) but bounded: |zq| ≤ zqb =
 * 2u(|L| + 2V + 7 log V + 8) (twice the error of L plus that of zq itself,
 * each u(|·| + V + 3 log V + 2), and u log V from rounding ξ − L).  The
 * bound is screen_bound's with zqb for |zq| and s + zqb for s, plus twice
 * zqb(1 + |Σ p̂ − 1|) + u s, the terms zq leaves in the estimate. */
static double screen_bound_logits(double zp, double L, double s, size_t V)
{
  double v = (double)V, lv = log(v);
  double zqb = 2.0 * SCREEN_U * (fabs(L) + 2.0 * v + 7.0 * lv + 8.0);
  double dp = SCREEN_U * (fabs(zp) + v + 4.0 * lv + 4.0); /* |Σ p̂ − 1| */
  return screen_bound(zp, zqb, s + zqb, V) +
         2.0 * (zqb * (1.0 + dp + SCREEN_U) + SCREEN_U * s);
}

/* Row x of the candidate: logits (ξ) or log-probability rows, checked as
 * as_metrics_fwd_kl checks them.  AS_EINVAL when the row is not a
 * distribution. */
static int screen_one(const as_metrics_target *t, size_t x, const double *row,
                      int logits, double *est, double *bound, as_err *err)
{
  size_t V = t->inst->V;
  double z = row_lse(row, V); /* check_rows' test, in its order */
  if (isnan(z))
    return as_err_set(err, AS_EINVAL,
                      "metrics: policy row %zu is not a log-distribution "
                      "(NaN or +inf entry, or no mass)", x);
  *est = *bound = 0.0;
  if (t->rho[x] == 0.0 || isnan(t->zp[x]))
    return AS_OK;
  double sum;
  *est = screen_sum(t->a + x * V, t->p + x * V, row, z, V, &sum);
  *bound = isinf(*est) ? 0.0
           : logits    ? screen_bound_logits(t->zp[x], z, sum, V)
                       : screen_bound(t->zp[x], z, sum, V);
  return AS_OK;
}

/* The outer sums' bound below, at running sums b and mag. */
static double outer_bound(double b, double mag, size_t K)
{
  return b * (1.0 + 4.0 * SCREEN_U) + 2.0 * ((double)K + 2.0) * SCREEN_U * mag;
}

/* cap (NaN: none): stop, with *above = 1 and *est a floor above cap, as
 * soon as the contexts screened so far prove the forward KL above cap —
 * as_metrics_fwd_kl's sum over them is within outer_bound of theirs, and
 * that sum only grows past AS_METRICS_FWD_KL_GROWS (as_metrics.h). */
static int screen(const as_metrics_target *t, const double *rows, int logits,
                  double cap, double *est, double *bound, int *above,
                  as_err *err)
{
  if (rows == NULL)
    return as_err_set(err, AS_EINVAL, "metrics: NULL argument");
  size_t K = t->inst->K, V = t->inst->V;
  double e = 0.0, b = 0.0, mag = 0.0;
  int usable = 1, capped = cap >= AS_METRICS_FWD_KL_GROWS;
  *above = 0;
  for (size_t x = 0; x < K; x++) {
    double ex, bx;
    int rc = screen_one(t, x, rows + x * V, logits, &ex, &bx, err);
    if (rc != AS_OK)
      return rc;
    usable = usable && !(t->rho[x] != 0.0 && isnan(t->zp[x]));
    e += t->rho[x] * ex;
    b += t->rho[x] * bx;
    mag += t->rho[x] * (fabs(ex) + bx);
    double lo = isinf(e) ? e : e - outer_bound(b, mag, K);
    if (capped && usable && lo > cap) {
      *est = lo;
      *bound = NAN;
      *above = 1;
      return AS_OK;
    }
  }
  *est = usable ? e : NAN;
  /* The outer sums, ρ-weighted in the same order: K roundings each. */
  *bound = !usable ? NAN : isinf(e) ? 0.0 : outer_bound(b, mag, K);
  return AS_OK;
}

int as_metrics_fwd_kl_screen(const as_metrics_target *t,
                             const double *log_pi, double *est,
                             double *bound, as_err *err)
{
  int above;
  return screen(t, log_pi, 0, NAN, est, bound, &above, err);
}

int as_metrics_fwd_kl_screen_logits(const as_metrics_target *t,
                                    const double *xi, double *est,
                                    double *bound, as_err *err)
{
  int above;
  return screen(t, xi, 1, NAN, est, bound, &above, err);
}

int as_metrics_fwd_kl_screen_above(const as_metrics_target *t,
                                   const double *rows, int logits,
                                   double cap, double *est, double *bound,
                                   int *above, as_err *err)
{
  return screen(t, rows, logits, cap, est, bound, above, err);
}
