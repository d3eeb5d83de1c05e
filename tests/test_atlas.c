/* test_atlas.c — the atlas methods through as_fit (docs/reference.md §3.2) against
 * their population solutions, each computed here independently in linear
 * space from π*, π_ref, μ (never from the library's cell probabilities):
 *   DPO / GPO-logistic  π ∝ π_ref π*^{β/β_d}
 *   GPO-exp             π ∝ π_ref π*^{β/(2β_d)}   (per pair e^{−β_d t}: the
 *                       optimum t = β Δℓ* / (2β_d) is consistent over pairs)
 *   IPO                 h = (P(y ≻ μ) − ½)/τ + c;  GPO-square = IPO, τ = β_d/2
 *   SimPO γ_s = 0       π ∝ π*^{β/β_d};  β_d = β: PMLE at λ = 0
 *   χPO                 π = π_ref W₀(exp((βℓ* + c)/β_d)), Σπ = 1
 *   ORPO α = 0          the winners' law q(y) = 2μ(y) P(y ≻ μ)
 *   rDPO(ε) on labels flipped at ε  =  DPO on clean labels
 *   cDPO(ε) on clean labels         =  DPO on labels flipped at ε
 * Each uses two values of the hyperparameter, so a wrong factor of β, β_d,
 * τ or ε fails.  Then the statuses: rDPO unbounded (NaN, counted), the
 * hinge LP (value against its own objective, non-uniqueness reported),
 * SPPO's rounds against an explicit loop and its collapse, and Nash's
 * equilibrium equation. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_lambert.h>

#include "as_atlas.h"
#include "as_fit.h"
#include "as_math.h"
#include "as_objective.h"

enum { K = 3, NV = 5 };
#define BETA 1.5
#define TOL 1e-7

typedef struct {
  double lrho[K], lstar[K * NV], lref[K * NV], lmu[K * NV];
  double P[K * NV * NV];
} popu;

static void random_rows(gsl_rng *r, double s, double *l, size_t n)
{
  for (size_t x = 0; x < n; x++) {
    for (int y = 0; y < NV; y++)
      l[x * NV + y] = gsl_ran_gaussian(r, s);
    as_log_softmax(l + x * NV, NV, l + x * NV);
  }
}

static double star_win(const popu *pp, int x, int a, int b)
{
  double sa = pow(exp(pp->lstar[x * NV + a]), BETA);
  double sb = pow(exp(pp->lstar[x * NV + b]), BETA);
  return sa / (sa + sb);
}

/* docs/reference.md §2 with label noise eps, in linear space. */
static void fill_P(popu *pp, double eps)
{
  for (int x = 0; x < K; x++)
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++) {
        double rho = exp(pp->lrho[x]);
        double ma = exp(pp->lmu[x * NV + a]), mb = exp(pp->lmu[x * NV + b]);
        double w = (1 - eps) * star_win(pp, x, a, b) +
                   eps * star_win(pp, x, b, a);
        pp->P[(x * NV + a) * NV + b] =
            a == b ? rho * ma * ma : 2 * rho * ma * mb * w;
      }
}

static void make_popu(popu *pp, gsl_rng *r, double eps)
{
  for (int x = 0; x < K; x++)
    pp->lrho[x] = gsl_ran_gaussian(r, 1.0);
  as_log_softmax(pp->lrho, K, pp->lrho);
  random_rows(r, 1.0, pp->lstar, K);
  random_rows(r, 0.7, pp->lref, K);
  random_rows(r, 0.5, pp->lmu, K);
  fill_P(pp, eps);
}

static as_data data_of(const popu *pp)
{
  return (as_data){.K = K, .V = NV, .n = INFINITY, .P = pp->P,
                   .log_rho = pp->lrho, .log_ref = pp->lref};
}

static as_fit_result fit(as_fit_opts *o, const as_data *d)
{
  as_fit_result res;
  as_err e;
  as_err_clear(&e);
  int rc = as_fit(o, d, &res, &e);
  ck_assert_msg(rc == AS_OK && res.status == AS_OK,
                "%s: rc %d status %d (%s)", as_method_name(o->method), rc,
                res.status, e.msg);
  return res;
}

/* got (log π) against the normalisation of want (unnormalised log). */
static void assert_policy(const char *what, const double *got,
                          const double *want, double tol)
{
  for (int x = 0; x < K; x++) {
    double w[NV];
    as_log_softmax(want + x * NV, NV, w);
    for (int y = 0; y < NV; y++)
      ck_assert_msg(fabs(got[x * NV + y] - w[y]) <= tol,
                    "%s: x %d y %d: %.15g vs %.15g", what, x, y,
                    got[x * NV + y], w[y]);
  }
}

static as_fit_opts opts(as_method m, double beta_dpo)
{
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = m;
  o.beta = BETA;
  o.beta_dpo = beta_dpo;
  return o;
}

START_TEST(test_power_laws)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 41);
  popu pp;
  make_popu(&pp, r, 0.0);
  as_data d = data_of(&pp);
  for (int k = 0; k < 2; k++) {
    double bd = k ? 0.6 : 2.5, want[K * NV];
    /* GPO logistic = DPO's closed form */
    as_fit_opts o = opts(AS_METHOD_GPO, bd);
    o.gpo_loss = AS_GPO_LOGISTIC;
    as_fit_result res = fit(&o, &d);
    for (int i = 0; i < K * NV; i++)
      want[i] = pp.lref[i] + BETA / bd * pp.lstar[i];
    assert_policy("gpo logistic", res.log_pi, want, TOL);
    as_fit_result_free(&res);
    /* GPO exp */
    o.gpo_loss = AS_GPO_EXP;
    res = fit(&o, &d);
    for (int i = 0; i < K * NV; i++)
      want[i] = pp.lref[i] + BETA / (2 * bd) * pp.lstar[i];
    assert_policy("gpo exp", res.log_pi, want, TOL);
    as_fit_result_free(&res);
    /* SimPO, γ_s = 0 */
    o = opts(AS_METHOD_SIMPO, bd);
    o.margin = 0.0;
    res = fit(&o, &d);
    for (int i = 0; i < K * NV; i++)
      want[i] = BETA / bd * pp.lstar[i];
    assert_policy("simpo", res.log_pi, want, TOL);
    as_fit_result_free(&res);
    /* cDPO at ε = 0 is DPO */
    o = opts(AS_METHOD_CDPO, bd);
    o.smoothing = 0.0;
    res = fit(&o, &d);
    for (int i = 0; i < K * NV; i++)
      want[i] = pp.lref[i] + BETA / bd * pp.lstar[i];
    assert_policy("cdpo eps 0", res.log_pi, want, TOL);
    as_fit_result_free(&res);
  }
  /* SimPO at β_d = β against PMLE at λ = 0 (a second route: as_fit's pmle) */
  as_fit_opts o = opts(AS_METHOD_SIMPO, BETA), q = opts(AS_METHOD_PMLE, NAN);
  as_fit_result a = fit(&o, &d), b = fit(&q, &d);
  assert_policy("simpo = pmle", a.log_pi, b.log_pi, TOL);
  assert_policy("simpo = pi*", a.log_pi, pp.lstar, TOL);
  as_fit_result_free(&a);
  as_fit_result_free(&b);
  gsl_rng_free(r);
}
END_TEST

/* P(y ≻ μ) = Σ_b μ_b P*(y ≻ b) (P*(y ≻ y) = ½). */
static double pref_vs_mu(const popu *pp, int x, int y)
{
  double s = 0;
  for (int b = 0; b < NV; b++)
    s += exp(pp->lmu[x * NV + b]) * (b == y ? 0.5 : star_win(pp, x, y, b));
  return s;
}

START_TEST(test_ipo_square)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 42);
  popu pp;
  make_popu(&pp, r, 0.0);
  as_data d = data_of(&pp);
  for (int k = 0; k < 2; k++) {
    double tau = k ? 0.05 : 0.7, want[K * NV];
    for (int x = 0; x < K; x++)
      for (int y = 0; y < NV; y++)
        want[x * NV + y] = pp.lref[x * NV + y] + (pref_vs_mu(&pp, x, y) - 0.5) / tau;
    as_fit_opts o = opts(AS_METHOD_IPO, NAN);
    o.tau = tau;
    as_fit_result res = fit(&o, &d);
    assert_policy("ipo", res.log_pi, want, TOL);
    /* GPO square with β_d = 2τ is the same objective up to a factor */
    as_fit_opts g = opts(AS_METHOD_GPO, 2 * tau);
    g.gpo_loss = AS_GPO_SQUARE;
    as_fit_result rg = fit(&g, &d);
    assert_policy("gpo square = ipo(beta_d/2)", rg.log_pi, res.log_pi, TOL);
    as_fit_result_free(&res);
    as_fit_result_free(&rg);
  }
  gsl_rng_free(r);
}
END_TEST

/* χPO: z_y = W₀(exp((β ℓ*_y + c)/β_d)), c by bisection on Σ π_ref z = 1. */
START_TEST(test_chipo_lambert)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 43);
  popu pp;
  make_popu(&pp, r, 0.0);
  as_data d = data_of(&pp);
  for (int k = 0; k < 2; k++) {
    double bd = k ? 0.8 : 3.0, want[K * NV];
    for (int x = 0; x < K; x++) {
      double lo = -60, hi = 60;
      for (int it = 0; it < 200; it++) {
        double c = 0.5 * (lo + hi), s = 0;
        for (int y = 0; y < NV; y++)
          s += exp(pp.lref[x * NV + y]) *
               gsl_sf_lambert_W0(exp((BETA * pp.lstar[x * NV + y] + c) / bd));
        if (s > 1)
          hi = c;
        else
          lo = c;
      }
      double c = 0.5 * (lo + hi);
      for (int y = 0; y < NV; y++)
        want[x * NV + y] =
            pp.lref[x * NV + y] +
            log(gsl_sf_lambert_W0(exp((BETA * pp.lstar[x * NV + y] + c) / bd)));
    }
    as_fit_opts o = opts(AS_METHOD_CHIPO, bd);
    as_fit_result res = fit(&o, &d);
    assert_policy("chipo", res.log_pi, want, 1e-6);
    as_fit_result_free(&res);
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_orpo_winners_law)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 44);
  popu pp;
  make_popu(&pp, r, 0.0);
  as_data d = data_of(&pp);
  double want[K * NV];
  for (int x = 0; x < K; x++)
    for (int y = 0; y < NV; y++)
      want[x * NV + y] = log(2 * exp(pp.lmu[x * NV + y]) * pref_vs_mu(&pp, x, y));
  as_fit_opts o = opts(AS_METHOD_ORPO, NAN);
  o.alpha = 0.0;
  as_fit_result res = fit(&o, &d);
  assert_policy("orpo alpha 0", res.log_pi, want, TOL);
  as_fit_result_free(&res);
  /* α > 0 moves it (the odds term is not idle) */
  o.alpha = 1.0;
  res = fit(&o, &d);
  double dev = 0;
  for (int x = 0; x < K; x++) {
    double w[NV];
    as_log_softmax(want + x * NV, NV, w);
    for (int y = 0; y < NV; y++)
      dev = fmax(dev, fabs(res.log_pi[x * NV + y] - w[y]));
  }
  ck_assert_msg(dev > 1e-3, "orpo alpha 1 equals the winners' law (%g)", dev);
  as_fit_result_free(&res);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_flip_identities)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  for (int k = 0; k < 2; k++) {
    double eps = k ? 0.3 : 0.1;
    gsl_rng_set(r, 45);
    popu clean, noisy;
    make_popu(&clean, r, 0.0);
    noisy = clean;
    fill_P(&noisy, eps);
    as_data dc = data_of(&clean), dn = data_of(&noisy);
    as_fit_opts o = opts(AS_METHOD_RDPO, 0.9);
    o.flip = eps;
    as_fit_result a = fit(&o, &dn);
    as_fit_opts q = opts(AS_METHOD_DPO, 0.9);
    as_fit_result b = fit(&q, &dc);
    assert_policy("rdpo(noisy) = dpo(clean)", a.log_pi, b.log_pi, TOL);
    as_fit_result_free(&a);
    /* and the closed form of DPO on clean data */
    double want[K * NV];
    for (int i = 0; i < K * NV; i++)
      want[i] = clean.lref[i] + BETA / 0.9 * clean.lstar[i];
    assert_policy("dpo clean", b.log_pi, want, TOL);
    as_fit_result_free(&b);
    /* rDPO at a wrong rate does not repair */
    o.flip = eps / 2;
    a = fit(&o, &dn);
    double dev = 0, w[NV];
    for (int x = 0; x < K; x++) {
      as_log_softmax(want + x * NV, NV, w);
      for (int y = 0; y < NV; y++)
        dev = fmax(dev, fabs(a.log_pi[x * NV + y] - w[y]));
    }
    ck_assert_msg(dev > 1e-3, "rdpo at eps/2 repairs too (%g)", dev);
    as_fit_result_free(&a);
    /* cDPO(ε) on clean = DPO on flipped */
    as_fit_opts c = opts(AS_METHOD_CDPO, 0.9);
    c.smoothing = eps;
    a = fit(&c, &dc);
    b = fit(&q, &dn);
    assert_policy("cdpo(clean) = dpo(noisy)", a.log_pi, b.log_pi, TOL);
    as_fit_result_free(&a);
    as_fit_result_free(&b);
  }
  gsl_rng_free(r);
}
END_TEST

/* Sampled-like data where one pair is won only one way: rDPO's target
 * leaves [0, 1] and the loss is unbounded below (slope < 0); reported. */
START_TEST(test_rdpo_unbounded)
{
  double P[NV * NV] = {0};
  /* a cycle-free set: 0 beats 1 (3x), 1 beats 2, 2 beats 3, 3 beats 4,
   * each also lost once except 0 > 1 */
  P[0 * NV + 1] = 3;
  P[1 * NV + 2] = 2, P[2 * NV + 1] = 1;
  P[2 * NV + 3] = 2, P[3 * NV + 2] = 1;
  P[3 * NV + 4] = 2, P[4 * NV + 3] = 1;
  double s = 0;
  for (int i = 0; i < NV * NV; i++)
    s += P[i];
  for (int i = 0; i < NV * NV; i++)
    P[i] /= s;
  double slope;
  ck_assert_int_eq(as_atlas_rdpo_recession(NV, P, 0.2, 1.0, &slope, NULL), 0);
  ck_assert_msg(slope < 0, "slope %g", slope);
  /* its value decreases along that ray: t_01 → ∞ */
  as_ctx_data c = {.V = NV, .P = P, .beta_dpo = 1.0, .eps = 0.2};
  double th[NV] = {0}, f0, f1;
  as_obj_rdpo.eval(&c, th, &f0, NULL, NULL);
  th[0] = 50;
  as_obj_rdpo.eval(&c, th, &f1, NULL, NULL);
  ck_assert_msg(f1 < f0 - 1, "f %g -> %g", f0, f1);
  /* at ε = 0 (DPO) the slope is 0: no run-away below */
  ck_assert_int_eq(as_atlas_rdpo_recession(NV, P, 0.0, 1.0, &slope, NULL), 0);
  ck_assert_double_eq_tol(slope, 0.0, 1e-12);
  /* through as_fit: status EDIVERGE, NaN policy, counted */
  as_data d = {.K = 1, .V = NV, .n = 9, .P = P};
  as_fit_opts o = opts(AS_METHOD_RDPO, 1.0);
  o.flip = 0.2;
  as_fit_result res;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  ck_assert_int_eq(res.status, AS_EDIVERGE);
  ck_assert_uint_eq(res.unbounded, 1);
  ck_assert(isnan(res.log_pi[0]));
  as_fit_result_free(&res);
}
END_TEST

/* Hinge LP: the LP optimum is no worse than a dense random search around
 * it and equals the objective's own value there; a two-response context
 * with one comparison has a flat optimal ray (t ≥ 1/β_d): not unique. */
START_TEST(test_hinge_lp)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 46);
  popu pp;
  make_popu(&pp, r, 0.0);
  double th[NV], val;
  int unique;
  const double *P = pp.P, *lref = pp.lref;
  double m = 0;
  for (int i = 0; i < NV * NV; i++)
    m += P[i];
  double Ps[NV * NV];
  for (int i = 0; i < NV * NV; i++)
    Ps[i] = P[i] / m;
  ck_assert_int_eq(as_atlas_hinge_lp(NV, Ps, lref, 1.3, th, &unique, &val,
                                     NULL), 0);
  as_ctx_data c = {.V = NV, .P = Ps, .log_ref = lref, .beta_dpo = 1.3,
                   .loss = AS_GPO_HINGE};
  double f;
  as_obj_gpo.eval(&c, th, &f, NULL, NULL);
  ck_assert_msg(fabs(f - val) <= 1e-9, "LP value %.12g, objective %.12g", val,
                f);
  for (int k = 0; k < 2000; k++) {
    double t2[NV], f2;
    for (int y = 0; y < NV; y++)
      t2[y] = th[y] + gsl_ran_gaussian(r, k < 1000 ? 0.01 : 0.5);
    as_obj_gpo.eval(&c, t2, &f2, NULL, NULL);
    ck_assert_msg(f2 >= f - 1e-12, "random point beats the LP: %g < %g", f2,
                  f);
  }
  double P2[4] = {0, 1, 0, 0};
  double t2[2];
  ck_assert_int_eq(as_atlas_hinge_lp(2, P2, NULL, 1.0, t2, &unique, &val,
                                     NULL), 0);
  ck_assert_int_eq(unique, 0);
  ck_assert_double_eq_tol(val, 0.0, 1e-12);
  ck_assert_msg(t2[0] - t2[1] >= 1 - 1e-9, "t = %g", t2[0] - t2[1]);
  /* slic through as_fit counts it */
  as_data d = {.K = 1, .V = 2, .n = 1, .P = P2};
  as_fit_opts o = opts(AS_METHOD_SLIC, 1.0);
  as_fit_result res;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  ck_assert_uint_eq(res.not_unique, 1);
  as_fit_result_free(&res);
  gsl_rng_free(r);
}
END_TEST

/* SPPO: the library's rounds against an explicit loop in linear space on
 * the same preference matrix; T large collapses (reported). */
START_TEST(test_sppo)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 47);
  popu pp;
  make_popu(&pp, r, 0.0);
  double M[NV * NV], lp[NV], pi[NV];
  for (int a = 0; a < NV; a++)
    for (int b = 0; b < NV; b++)
      M[a * NV + b] = a == b ? 0.5 : star_win(&pp, 0, a, b);
  const double eta = 0.7;
  int col;
  as_atlas_sppo(NV, M, pp.lref, eta, 25, lp, &col);
  ck_assert_int_eq(col, 0);
  for (int y = 0; y < NV; y++)
    pi[y] = exp(pp.lref[y]);
  for (int t = 0; t < 25; t++) {
    double nw[NV], z = 0;
    for (int y = 0; y < NV; y++) {
      double pv = 0;
      for (int b = 0; b < NV; b++)
        pv += M[y * NV + b] * pi[b];
      z += nw[y] = pi[y] * exp(eta * (pv - 0.5));
    }
    for (int y = 0; y < NV; y++)
      pi[y] = nw[y] / z;
  }
  for (int y = 0; y < NV; y++)
    ck_assert_double_eq_tol(lp[y], log(pi[y]), 1e-12);
  as_atlas_sppo(NV, M, pp.lref, eta, 2000000, lp, &col);
  ck_assert_int_eq(col, 1);
  int best = 0;
  for (int y = 1; y < NV; y++)
    if (pp.lstar[y] > pp.lstar[best])
      best = y;
  ck_assert_msg(lp[best] > -1e-9, "collapsed onto %d? log pi = %g", best,
                lp[best]);
  gsl_rng_free(r);
}
END_TEST

/* Nash: the returned π satisfies π ∝ π_ref exp(P(y ≻ π)/λ) to 1e-12 for a
 * large and a small λ; and through as_fit on the population (the reward
 * fitted without ridge is β log π* + c, so its preferences are P*). */
START_TEST(test_nash)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 48);
  popu pp;
  make_popu(&pp, r, 0.0);
  double M[NV * NV];
  for (int a = 0; a < NV; a++)
    for (int b = 0; b < NV; b++)
      M[a * NV + b] = a == b ? 0.5 : star_win(&pp, 0, a, b);
  static const double lams[] = {2.0, 0.02};
  for (int k = 0; k < 2; k++) {
    double lp[NV], resid, w[NV];
    long it;
    ck_assert_int_eq(as_atlas_nash(NV, M, pp.lref, lams[k], 1e-12, 10000, lp,
                                   &it, &resid, NULL), 0);
    for (int y = 0; y < NV; y++) {
      double pv = 0;
      for (int b = 0; b < NV; b++)
        pv += M[y * NV + b] * exp(lp[b]);
      w[y] = pp.lref[y] + pv / lams[k];
    }
    as_log_softmax(w, NV, w);
    for (int y = 0; y < NV; y++)
      ck_assert_msg(fabs(w[y] - lp[y]) <= 1e-11, "lambda %g: y %d %.15g vs "
                    "%.15g", lams[k], y, lp[y], w[y]);
  }
  as_data d = data_of(&pp);
  as_fit_opts o = opts(AS_METHOD_NASH, NAN);
  o.lambda = 0.3;
  o.ridge = 0.0;
  as_fit_result res = fit(&o, &d);
  for (int x = 0; x < K; x++) {
    double w[NV];
    for (int y = 0; y < NV; y++) {
      double pv = 0;
      for (int b = 0; b < NV; b++)
        pv += (b == y ? 0.5 : star_win(&pp, x, y, b)) *
              exp(res.log_pi[x * NV + b]);
      w[y] = pp.lref[x * NV + y] + pv / 0.3;
    }
    as_log_softmax(w, NV, w);
    for (int y = 0; y < NV; y++)
      ck_assert_double_eq_tol(res.log_pi[x * NV + y], w[y], 1e-8);
  }
  as_fit_result_free(&res);
  gsl_rng_free(r);
}
END_TEST

static Suite *atlas_suite(void)
{
  Suite *s = suite_create("atlas");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_power_laws);
  tcase_add_test(tc, test_ipo_square);
  tcase_add_test(tc, test_chipo_lambert);
  tcase_add_test(tc, test_orpo_winners_law);
  tcase_add_test(tc, test_flip_identities);
  tcase_add_test(tc, test_rdpo_unbounded);
  tcase_add_test(tc, test_hinge_lp);
  tcase_add_test(tc, test_sppo);
  tcase_add_test(tc, test_nash);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(atlas_suite());
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
