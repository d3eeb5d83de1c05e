/* as_theory.c — theory quantities of docs/reference.md §5 by enumeration (see
 * as_theory.h). */
#include "as_theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_math.h"
#include "as_metrics.h"

/* Relative size below which two centred rewards are the same policy. */
#define SAME_POLICY_TOL 1e-12

static double rho_at(const as_instance *inst, size_t x)
{
  return exp(inst->log_rho[x]);
}

void as_theory_centred_reward(size_t K, size_t V, const double *log_pi,
                              const double *log_mu, double beta, double *rbar)
{
  for (size_t x = 0; x < K; x++) {
    const double *l = log_pi + x * V, *mu = log_mu + x * V;
    double m = 0.0;
    for (size_t y = 0; y < V; y++)
      if (mu[y] > -INFINITY)
        m += exp(mu[y]) * l[y];
    for (size_t y = 0; y < V; y++)
      rbar[x * V + y] = beta * (l[y] - m);
  }
}

int as_theory_reward_class(size_t M, size_t K, size_t V,
                           const double *rewards, double beta,
                           as_finite_class **out, as_err *err)
{
  *out = NULL;
  if (!(beta > 0.0) || !isfinite(beta))
    return as_err_set(err, AS_EINVAL,
                      "reward class: beta = %g must be finite and > 0", beta);
  as_finite_class *c = as_finite_new(M, K, V);
  if (c == NULL)
    return as_err_set(err, AS_ENOMEM, "reward class: out of memory");
  for (size_t i = 0; i < M * K * V; i++) {
    if (!isfinite(rewards[i])) {
      as_finite_free(c);
      return as_err_set(err, AS_EINVAL,
                        "reward class: reward %zu of member %zu is %g", i % (K * V),
                        i / (K * V), rewards[i]);
    }
    c->log_pi[i] = rewards[i] / beta;
  }
  for (size_t row = 0; row < M * K; row++)
    as_log_softmax(c->log_pi + row * V, V, c->log_pi + row * V);
  *out = c;
  return AS_OK;
}

/* Every member finite in every context with ρ > 0 (π* has full support,
 * so r̄ must be finite at every response). */
static int check_class(const as_instance *inst, const as_finite_class *c,
                       const char *name, as_err *err)
{
  if (c == NULL)
    return as_err_set(err, AS_EINVAL, "theory: class %s is NULL", name);
  if (c->K != inst->K || c->V != inst->V)
    return as_err_set(err, AS_EINVAL,
                      "theory: class %s is %zu x %zu, instance %zu x %zu",
                      name, c->K, c->V, inst->K, inst->V);
  size_t K = c->K, V = c->V;
  for (size_t m = 0; m < c->M; m++)
    for (size_t x = 0; x < K; x++) {
      if (inst->log_rho[x] == -INFINITY)
        continue;
      for (size_t y = 0; y < V; y++) {
        double v = c->log_pi[(m * K + x) * V + y];
        if (!isfinite(v))
          return as_err_set(err, AS_EINVAL,
                            "theory: class %s member %zu has log pi(%zu|%zu) "
                            "= %g: its induced reward is undefined",
                            name, m, y, x, v);
      }
    }
  return AS_OK;
}

static int check_instance(const as_instance *inst, double beta, as_err *err)
{
  int rc = as_instance_check(inst, err);
  if (rc != AS_OK)
    return rc;
  if (!(beta > 0.0) || !isfinite(beta))
    return as_err_set(err, AS_EINVAL,
                      "theory: beta = %g must be finite and > 0", beta);
  return AS_OK;
}

/* ---- coverage ------------------------------------------------------------ */

int as_theory_coverage(const as_instance *inst, const as_finite_class *A,
                       const as_finite_class *B, const double *log_nu,
                       double *C, size_t *argmax_a, size_t *argmax_b,
                       as_err *err)
{
  int rc = check_instance(inst, 1.0, err);
  if (rc != AS_OK || (rc = check_class(inst, A, "A", err)) != AS_OK
      || (B != NULL && (rc = check_class(inst, B, "B", err)) != AS_OK))
    return rc;
  size_t K = inst->K, V = inst->V, KV = K * V;
  size_t MB = B == NULL ? 1 : B->M;
  if (log_nu == NULL)
    log_nu = inst->log_mu;
  /* β cancels in the ratio: work with β = 1. */
  double *ra = malloc(A->M * KV * sizeof(double));
  double *rb = malloc(MB * KV * sizeof(double));
  double *f = malloc(V * sizeof(double));
  if (ra == NULL || rb == NULL || f == NULL) {
    free(ra);
    free(rb);
    free(f);
    return as_err_set(err, AS_ENOMEM, "coverage: out of memory");
  }
  for (size_t m = 0; m < A->M; m++)
    as_theory_centred_reward(K, V, as_finite_member(A, m), inst->log_mu, 1.0,
                             ra + m * KV);
  for (size_t m = 0; m < MB; m++)
    as_theory_centred_reward(K, V,
                             B == NULL ? inst->log_pi_star
                                       : as_finite_member(B, m),
                             inst->log_mu, 1.0, rb + m * KV);
  double best = 0.0;
  size_t ba = A->M, bb = 0;
  for (size_t i = 0; i < A->M && best < INFINITY; i++)
    for (size_t j = 0; j < MB; j++) {
      const double *a = ra + i * KV, *b = rb + j * KV;
      double fbig = 0.0, scale = 1.0;
      for (size_t x = 0; x < K; x++) {
        if (inst->log_rho[x] == -INFINITY)
          continue;
        for (size_t y = 0; y < V; y++) {
          fbig = fmax(fbig, fabs(a[x * V + y] - b[x * V + y]));
          scale = fmax(scale, fmax(fabs(a[x * V + y]), fabs(b[x * V + y])));
        }
      }
      if (fbig <= SAME_POLICY_TOL * scale)
        continue; /* the same policy: 0/0 */
      double num = 0.0, den = 0.0;
      for (size_t x = 0; x < K; x++) {
        double w = rho_at(inst, x);
        if (w == 0.0)
          continue;
        const double *ls = inst->log_pi_star + x * V, *nu = log_nu + x * V;
        double mean = 0.0, e = 0.0, var = 0.0, dev = 0.0;
        for (size_t y = 0; y < V; y++) {
          f[y] = a[x * V + y] - b[x * V + y];
          e += exp(ls[y]) * f[y] * f[y];
          if (nu[y] > -INFINITY)
            mean += exp(nu[y]) * f[y];
        }
        for (size_t y = 0; y < V; y++)
          if (nu[y] > -INFINITY) {
            double c = f[y] - mean;
            var += exp(nu[y]) * c * c; /* two-pass: no cancellation */
            dev = fmax(dev, fabs(c));
          }
        /* f constant on supp ν up to rounding: ν sees no difference here,
         * and a rounding-sized variance must not turn ∞ into 1e30. */
        if (dev <= SAME_POLICY_TOL * scale)
          var = 0.0;
        num += w * e;
        den += w * var;
      }
      double ratio = den > 0.0 ? num / den : (num > 0.0 ? INFINITY : 0.0);
      if (ratio > best || ba == A->M) {
        best = ratio;
        ba = i;
        bb = j;
      }
    }
  free(ra);
  free(rb);
  free(f);
  *C = best;
  if (argmax_a != NULL)
    *argmax_a = ba;
  if (argmax_b != NULL)
    *argmax_b = bb;
  return AS_OK;
}

/* ---- ranges -------------------------------------------------------------- */

/* Folds one policy (log table l) into the range maxima; with_v adds its
 * |r̄ − r̄*|/β to B_v. */
static void fold_ranges(const as_instance *inst, const double *l, double beta,
                        int with_v, double *rbar, const double *rbar_star,
                        as_theory_ranges *r)
{
  size_t K = inst->K, V = inst->V;
  as_theory_centred_reward(K, V, l, inst->log_mu, beta, rbar);
  for (size_t x = 0; x < K; x++) {
    if (inst->log_rho[x] == -INFINITY)
      continue;
    double lo = INFINITY, hi = -INFINITY, lo_all = INFINITY, hi_all = -INFINITY;
    for (size_t y = 0; y < V; y++) {
      double v = rbar[x * V + y];
      r->R_max = fmax(r->R_max, fabs(v));
      if (inst->log_mu[x * V + y] > -INFINITY) {
        lo = fmin(lo, v);
        hi = fmax(hi, v);
      }
      lo_all = fmin(lo_all, v);
      hi_all = fmax(hi_all, v);
      if (with_v) {
        double u = (v - rbar_star[x * V + y]) / beta;
        r->B_v = fmax(r->B_v, fabs(u));
        r->B_v_up = fmax(r->B_v_up, u);
      }
    }
    if (hi >= lo)
      r->B_sigma = fmax(r->B_sigma, hi - lo);
    r->B_sigma_all = fmax(r->B_sigma_all, hi_all - lo_all);
  }
}

int as_theory_measure_ranges(const as_instance *inst, const as_finite_class *c,
                             double beta, as_theory_ranges *out, as_err *err)
{
  int rc = check_instance(inst, beta, err);
  if (rc != AS_OK || (rc = check_class(inst, c, "Pi", err)) != AS_OK)
    return rc;
  size_t KV = inst->K * inst->V;
  double *rs = malloc(KV * sizeof(double)), *rb = malloc(KV * sizeof(double));
  if (rs == NULL || rb == NULL) {
    free(rs);
    free(rb);
    return as_err_set(err, AS_ENOMEM, "ranges: out of memory");
  }
  as_theory_ranges r = {0.0, 0.0, 0.0, 0.0, 0.0};
  fold_ranges(inst, inst->log_pi_star, beta, 0, rs, NULL, &r);
  for (size_t m = 0; m < c->M; m++)
    fold_ranges(inst, as_finite_member(c, m), beta, 1, rb, rs, &r);
  free(rs);
  free(rb);
  *out = r;
  return AS_OK;
}

/* ---- summary ------------------------------------------------------------- */

int as_theory_summarise(const as_instance *inst, const as_finite_class *Pi,
                        const as_finite_class *R, double beta,
                        as_theory_summary *out, as_err *err)
{
  int rc = check_instance(inst, beta, err);
  if (rc != AS_OK)
    return rc;
  const as_finite_class *PR = R == NULL ? Pi : R;
  as_theory_summary s;
  memset(&s, 0, sizeof s);
  s.beta = beta;
  s.size_Pi = Pi->M;
  s.size_R = PR->M;
  if ((rc = as_theory_measure_ranges(inst, Pi, beta, &s.ranges_Pi, err))
          != AS_OK
      || (rc = as_theory_measure_ranges(inst, PR, beta, &s.ranges_R, err))
             != AS_OK)
    return rc;
  as_theory_ranges rp = s.ranges_Pi;
  s.ranges.R_max = fmax(rp.R_max, s.ranges_R.R_max);
  s.ranges.B_sigma = fmax(rp.B_sigma, s.ranges_R.B_sigma);
  s.ranges.B_v = fmax(rp.B_v, s.ranges_R.B_v);
  s.ranges.B_v_up = fmax(rp.B_v_up, s.ranges_R.B_v_up);
  s.ranges.B_sigma_all = fmax(rp.B_sigma_all, s.ranges_R.B_sigma_all);
  if ((rc = as_theory_coverage(inst, Pi, NULL, NULL, &s.C_Pi, &s.C_Pi_argmax,
                               NULL, err)) != AS_OK
      || (rc = as_theory_coverage(inst, PR, NULL, NULL, &s.C_R, &s.C_R_argmax,
                                  NULL, err)) != AS_OK
      || (rc = as_theory_coverage(inst, Pi, PR, inst->log_mu2, &s.C_prime,
                                  &s.C_prime_argmax_pi, &s.C_prime_argmax_r,
                                  err)) != AS_OK
      || (rc = as_theory_class_ratio(inst, Pi, beta, &s.ratio_Pi, NULL, err))
             != AS_OK
      || (rc = as_theory_class_ratio(inst, PR, beta, &s.ratio_R, NULL, err))
             != AS_OK)
    return rc;
  *out = s;
  return AS_OK;
}

/* ---- bounds -------------------------------------------------------------- */

const char *as_theory_bound_name(as_theory_bound_kind k)
{
  static const char *const names[AS_THEORY_BOUND_COUNT] = {
      "thm4", "thm4-instance", "thm7", "thm7-instance", "thm6", "thm14",
      "thm4-sharp", "thm4-instance-sharp", "thm4-class", "thm7-sharp",
      "thm7-instance-sharp", "thm7-class", "thm6-sharp",
      "thm6-instance-sharp", "thm14-sharp", "thm14-instance-sharp"};
  return (unsigned)k < AS_THEORY_BOUND_COUNT ? names[k] : "unknown";
}

int as_theory_bound(const as_theory_summary *s, as_theory_bound_kind k,
                    double delta, double n, double m, as_bounds_chain *out,
                    as_err *err)
{
  double b = s->beta, P = (double)s->size_Pi, PR = (double)s->size_R;
  switch (k) {
  case AS_THEORY_THM4:
    return as_bounds_theorem4(s->ranges.R_max, b, delta, s->C_Pi, P, n, out,
                              err);
  case AS_THEORY_THM4_INSTANCE:
    return as_bounds_instance(s->ranges_Pi.B_sigma, s->ranges_Pi.B_v, b,
                              delta, s->C_Pi, P, n, out, err);
  case AS_THEORY_THM7:
    return as_bounds_theorem7(s->ranges_R.R_max, b, delta, s->C_R, PR, n,
                              out, err);
  case AS_THEORY_THM7_INSTANCE:
    return as_bounds_instance(s->ranges_R.B_sigma, s->ranges_R.B_v, b, delta,
                              s->C_R, PR, n, out, err);
  case AS_THEORY_THM6:
    return as_bounds_theorem6(s->ranges.R_max, b, delta, s->C_Pi, P, PR, n,
                              m, out, err);
  case AS_THEORY_THM14:
    return as_bounds_theorem14(s->ranges.R_max, b, delta, s->C_prime, s->C_R,
                               P, PR, n, m, out, err);
  case AS_THEORY_THM4_SHARP:
    return as_bounds_theorem4_sharp(s->ranges.R_max, b, delta, s->C_Pi, P, n,
                                    out, err);
  case AS_THEORY_THM4_INSTANCE_SHARP:
    return as_bounds_instance_sharp(s->ranges_Pi.B_sigma, s->ranges_Pi.B_v_up,
                                    b, delta, s->C_Pi, P, n, out, err);
  case AS_THEORY_THM4_CLASS:
    return as_bounds_class_exact(s->ratio_Pi, P, delta, n, out, err);
  case AS_THEORY_THM7_SHARP:
    return as_bounds_theorem4_sharp(s->ranges_R.R_max, b, delta, s->C_R, PR,
                                    n, out, err);
  case AS_THEORY_THM7_INSTANCE_SHARP:
    return as_bounds_instance_sharp(s->ranges_R.B_sigma, s->ranges_R.B_v_up,
                                    b, delta, s->C_R, PR, n, out, err);
  case AS_THEORY_THM7_CLASS:
    return as_bounds_class_exact(s->ratio_R, PR, delta, n, out, err);
  case AS_THEORY_THM6_SHARP:
    return as_bounds_theorem6_sharp(s->ranges.R_max, b, delta, s->C_Pi, P, PR,
                                    n, m, out, err);
  case AS_THEORY_THM6_INSTANCE_SHARP:
    return as_bounds_two_stage_sharp(
        s->ranges_R.B_sigma, s->ranges_Pi.B_sigma + s->ranges_R.B_sigma,
        s->ranges_Pi.B_v_up, b, delta, s->C_Pi, s->C_Pi, P, PR, n, m, out,
        err);
  case AS_THEORY_THM14_SHARP:
    return as_bounds_theorem14_sharp(s->ranges.R_max, b, delta, s->C_prime,
                                     s->C_R, P, PR, n, m, out, err);
  case AS_THEORY_THM14_INSTANCE_SHARP:
    return as_bounds_two_stage_sharp(
        s->ranges_R.B_sigma, s->ranges_Pi.B_sigma_all + s->ranges_R.B_sigma_all,
        s->ranges_Pi.B_v_up, b, delta, s->C_prime, s->C_R, P, PR, n, m, out,
        err);
  default:
    return as_err_set(err, AS_EINVAL, "theory: bound kind %d unknown",
                      (int)k);
  }
}

/* ---- proof chain, one member --------------------------------------------- */

/* σ(t), √σ(t) and √σ(−t) = √(1 − σ(t)) from one exponential, each with
 * full relative accuracy in both tails (1 − σ(t) is never formed by
 * subtraction): with u = e^{−|t|}, σ(|t|) = 1/(1+u) and σ(−|t|) = u/(1+u).
 * The chain's pair loop is V² of these per member; log-sigmoids cost it
 * four exp and four log1p per pair. */
static void sigmoid_roots(double t, double *p, double *sp, double *sq)
{
  double u = exp(-fabs(t)), big = 1.0 / (1.0 + u), rbig = sqrt(big);
  double rsmall = sqrt(u) * rbig;
  if (t >= 0.0) {
    *p = big;
    *sp = rbig;
    *sq = rsmall;
  } else {
    *p = u * big;
    *sp = rsmall;
    *sq = rbig;
  }
}

int as_theory_chain_member(const as_instance *inst, const double *log_pi,
                           double beta, as_theory_chain *out, as_err *err)
{
  int rc = check_instance(inst, beta, err);
  if (rc != AS_OK)
    return rc;
  size_t K = inst->K, V = inst->V;
  for (size_t i = 0; i < K * V; i++)
    if (!isfinite(log_pi[i]) && inst->log_rho[i / V] > -INFINITY)
      return as_err_set(err, AS_EINVAL,
                        "chain: log pi(%zu|%zu) = %g: induced reward undefined",
                        i % V, i / V, log_pi[i]);
  double *rb = malloc(K * V * sizeof(double)), *rs = malloc(K * V * sizeof(double));
  double *emu = malloc(V * sizeof(double));
  if (rb == NULL || rs == NULL || emu == NULL) {
    free(rb);
    free(rs);
    free(emu);
    return as_err_set(err, AS_ENOMEM, "chain: out of memory");
  }
  as_theory_centred_reward(K, V, log_pi, inst->log_mu, beta, rb);
  as_theory_centred_reward(K, V, inst->log_pi_star, inst->log_mu, beta, rs);
  as_theory_chain c;
  memset(&c, 0, sizeof c);
  for (size_t x = 0; x < K; x++) {
    double w = rho_at(inst, x);
    if (w == 0.0)
      continue;
    const double *l = log_pi + x * V, *ls = inst->log_pi_star + x * V;
    const double *lmu = inst->log_mu + x * V;
    const double *a = rb + x * V, *s = rs + x * V;
    for (size_t z = 0; z < V; z++)
      emu[z] = exp(lmu[z]);
    double pref = 0.0, hel = 0.0, pair = 0.0, fmu = 0.0, fst = 0.0, sch = 0.0;
    double lo = INFINITY, hi = -INFINITY, los = INFINITY, his = -INFINITY;
    for (size_t y = 0; y < V; y++) {
      double f = a[y] - s[y], v = f / beta, ps = exp(ls[y]);
      fst += ps * f * f;
      sch += ps * as_bounds_phi(v) * v * v; /* e^v − 1 − v, no cancellation */
      c.B_v = fmax(c.B_v, fabs(v));
      c.B_v_up = fmax(c.B_v_up, v);
      if (lmu[y] == -INFINITY)
        continue;
      double my = exp(lmu[y]);
      fmu += my * f * f;
      lo = fmin(lo, a[y]);
      hi = fmax(hi, a[y]);
      los = fmin(los, s[y]);
      his = fmax(his, s[y]);
      for (size_t z = 0; z < V; z++) {
        if (lmu[z] == -INFINITY)
          continue;
        double mm = my * emu[z];
        double p, sp, sq, q, sps, sqs;
        sigmoid_roots(beta * (l[y] - l[z]), &p, &sp, &sq);
        sigmoid_roots(beta * (ls[y] - ls[z]), &q, &sps, &sqs);
        double dp = p - q;
        pref += mm * dp * dp;
        /* H² = ½[(√p − √q)² + (√(1−p) − √(1−q))²] = 1 − Σ√(pq). */
        double h1 = sp - sps, h0 = sq - sqs;
        hel += mm * 0.5 * (h1 * h1 + h0 * h0);
        double df = f - (a[z] - s[z]);
        pair += mm * df * df;
      }
    }
    c.pref_sq += w * pref;
    c.hellinger2 += w * hel;
    c.pair_sq += w * pair;
    c.reward_sq_mu += w * fmu;
    c.reward_sq_target += w * fst;
    c.schulman += w * sch;
    c.kl += w * as_kl(ls, l, V);
    if (hi >= lo)
      c.B_sigma = fmax(c.B_sigma, fmax(hi - lo, his - los));
  }
  free(rb);
  free(rs);
  free(emu);
  *out = c;
  return AS_OK;
}

/* ---- class-exact forms ----------------------------------------------------- */

int as_theory_class_ratio(const as_instance *inst, const as_finite_class *c,
                          double beta, double *ratio, size_t *argmax,
                          as_err *err)
{
  int rc = check_instance(inst, beta, err);
  if (rc != AS_OK || (rc = check_class(inst, c, "Pi", err)) != AS_OK)
    return rc;
  double best = 0.0;
  size_t arg = c->M;
  for (size_t m = 0; m < c->M; m++) {
    as_theory_chain ch;
    if ((rc = as_theory_chain_member(inst, as_finite_member(c, m), beta, &ch,
                                     err)) != AS_OK)
      return rc;
    if (ch.kl <= 0.0)
      continue; /* π* itself (KL = 0 up to rounding: nothing to bound) */
    double r = ch.hellinger2 > 0.0 ? ch.kl / ch.hellinger2 : INFINITY;
    if (r > best || arg == c->M) {
      best = r;
      arg = m;
    }
  }
  *ratio = best;
  if (argmax != NULL)
    *argmax = arg;
  return AS_OK;
}

/* ν×ν-mass of the pairs (y, y') on which the logits of a and b differ,
 * averaged over ρ (a, b: log tables). */
static double disagreement(const as_instance *inst, const double *a,
                           const double *b, const double *log_nu)
{
  size_t K = inst->K, V = inst->V;
  double dis = 0.0;
  for (size_t x = 0; x < K; x++) {
    double w = rho_at(inst, x), s = 0.0;
    if (w == 0.0)
      continue;
    const double *la = a + x * V, *lb = b + x * V, *nu = log_nu + x * V;
    for (size_t y = 0; y < V; y++)
      for (size_t z = 0; z < V; z++) {
        if (nu[y] == -INFINITY || nu[z] == -INFINITY || y == z)
          continue;
        double ta = la[y] - la[z], tb = lb[y] - lb[z];
        if (fabs(ta - tb) > 1e-9 * fmax(1.0, fmax(fabs(ta), fabs(tb))))
          s += exp(nu[y] + nu[z]);
      }
    dis += w * s;
  }
  return dis;
}

int as_theory_two_stage_ball(const as_instance *inst,
                             const as_finite_class *Pi,
                             const as_finite_class *R, const double *log_nu,
                             double beta, double eps_n, double eps_m,
                             double *kl_max, as_err *err)
{
  int rc = check_instance(inst, beta, err);
  if (rc != AS_OK || (rc = check_class(inst, Pi, "Pi", err)) != AS_OK
      || (rc = check_class(inst, R, "Pi_R", err)) != AS_OK)
    return rc;
  if (log_nu == NULL)
    log_nu = inst->log_mu;
  double *kl = malloc(Pi->M * sizeof *kl); /* NAN: not computed yet */
  if (kl == NULL)
    return as_err_set(err, AS_ENOMEM, "ball: out of memory");
  for (size_t i = 0; i < Pi->M; i++)
    kl[i] = NAN;
  double best = 0.0;
  for (size_t j = 0; j < R->M && rc == AS_OK; j++) {
    as_theory_chain cr;
    if ((rc = as_theory_chain_member(inst, as_finite_member(R, j), beta, &cr,
                                     err)) != AS_OK)
      break;
    if (cr.hellinger2 > eps_n)
      continue; /* excluded by stage 1's event */
    for (size_t i = 0; i < Pi->M && rc == AS_OK; i++) {
      const double *lp = as_finite_member(Pi, i);
      if (!isnan(kl[i]) && kl[i] <= best)
        continue; /* cannot raise the maximum */
      if (disagreement(inst, lp, as_finite_member(R, j), log_nu) > eps_m)
        continue; /* excluded by stage 2's event */
      if (isnan(kl[i])) {
        as_theory_chain cp;
        if ((rc = as_theory_chain_member(inst, lp, beta, &cp, err)) != AS_OK)
          break;
        kl[i] = cp.kl;
      }
      best = fmax(best, kl[i]);
    }
  }
  free(kl);
  if (rc == AS_OK)
    *kl_max = best;
  return rc;
}

int as_theory_pair_member(const as_instance *inst, const double *log_a,
                          const double *log_b, const double *log_nu,
                          double beta, as_theory_pair *out, as_err *err)
{
  int rc = check_instance(inst, beta, err);
  if (rc != AS_OK)
    return rc;
  if (log_nu == NULL)
    log_nu = inst->log_mu;
  size_t K = inst->K, V = inst->V;
  double *ra = malloc(K * V * sizeof(double)), *rb = malloc(K * V * sizeof(double));
  if (ra == NULL || rb == NULL) {
    free(ra);
    free(rb);
    return as_err_set(err, AS_ENOMEM, "pair: out of memory");
  }
  as_theory_centred_reward(K, V, log_a, inst->log_mu, beta, ra);
  as_theory_centred_reward(K, V, log_b, inst->log_mu, beta, rb);
  as_theory_pair o = {0.0, 0.0, 0.0, 0.0};
  for (size_t x = 0; x < K; x++) {
    double w = rho_at(inst, x);
    if (w == 0.0)
      continue;
    const double *nu = log_nu + x * V, *ls = inst->log_pi_star + x * V;
    const double *lm = inst->log_mu + x * V;
    double mean = 0.0, var = 0.0, tg = 0.0, ms = 0.0;
    for (size_t y = 0; y < V; y++) {
      double g = ra[x * V + y] - rb[x * V + y];
      if (nu[y] > -INFINITY)
        mean += exp(nu[y]) * g;
      tg += exp(ls[y]) * g * g;
      if (lm[y] > -INFINITY)
        ms += exp(lm[y]) * g * g;
    }
    for (size_t y = 0; y < V; y++)
      if (nu[y] > -INFINITY) {
        double c = ra[x * V + y] - rb[x * V + y] - mean;
        var += exp(nu[y]) * c * c;
      }
    o.var_nu += w * var;
    o.target_sq += w * tg;
    o.mu_sq += w * ms;
  }
  o.dis = disagreement(inst, log_a, log_b, log_nu);
  free(ra);
  free(rb);
  *out = o;
  return AS_OK;
}
