/* test_fit.c — estimators (as_fit.h) against docs/reference.md §3's population
 * solutions.  The population data are built here from log π*, μ, ρ by the
 * formula of docs/reference.md §2 (own helper, cross-checked once against
 * as_pref_cell_probs), so every expected policy below is an independent
 * closed form, never the code's own output:
 *   PMLE, distillation, REBEL (λ = 0) → π*;   DPO → π ∝ π_ref·π*^{β/β_d};
 *   reward → β log π* + c(x);   reward-LM → π*;
 *   iterative REBEL, RLHF → π ∝ π_ref·exp(r̂/λ) with r̂ = β log π*;
 *   RKL → π ∝ π_ref^{λ/(λ+γ)} exp(β log π* /(λ+γ)).
 * β = 2 and β_d = 0.5 (≠ β) so a lost or misplaced β shows. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_fit.h"
#include "as_instance.h"
#include "as_math.h"
#include "as_objective.h"
#include "as_pref.h"

enum { K = 3, NV = 6 };
#define BETA 2.0

typedef struct {
  double lrho[K], lstar[K * NV], lref[K * NV], lmu[K * NV], lmu2[K * NV];
  double P[K * NV * NV], Q[K * NV * NV];
} popu;

static void random_rows(gsl_rng *r, double s, double *l, size_t n)
{
  for (size_t x = 0; x < n; x++) {
    for (int y = 0; y < NV; y++)
      l[x * NV + y] = gsl_ran_gaussian(r, s);
    as_log_softmax(l + x * NV, NV, l + x * NV);
  }
}

/* docs/reference.md §2: p = ρμ_a² (a = b), 2ρμ_aμ_b σ(β(ℓ*_a − ℓ*_b)) (a ≠ b);
 * q = ρ μ'_a μ'_b. */
static void make_popu(popu *pp, gsl_rng *r)
{
  for (int x = 0; x < K; x++)
    pp->lrho[x] = gsl_ran_gaussian(r, 1.0);
  as_log_softmax(pp->lrho, K, pp->lrho);
  random_rows(r, 1.0, pp->lstar, K);
  random_rows(r, 0.7, pp->lref, K);
  random_rows(r, 0.5, pp->lmu, K);
  random_rows(r, 0.5, pp->lmu2, K);
  for (int x = 0; x < K; x++)
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++) {
        double rho = exp(pp->lrho[x]);
        double ma = exp(pp->lmu[x * NV + a]), mb = exp(pp->lmu[x * NV + b]);
        double t = BETA * (pp->lstar[x * NV + a] - pp->lstar[x * NV + b]);
        pp->P[(x * NV + a) * NV + b] =
            a == b ? rho * ma * ma : 2 * rho * ma * mb / (1 + exp(-t));
        pp->Q[(x * NV + a) * NV + b] =
            rho * exp(pp->lmu2[x * NV + a] + pp->lmu2[x * NV + b]);
      }
}

static void assert_policy(const char *what, const double *got,
                          const double *want_unnorm, double tol)
{
  for (int x = 0; x < K; x++) {
    double w[NV];
    as_log_softmax(want_unnorm + x * NV, NV, w);
    for (int y = 0; y < NV; y++)
      ck_assert_msg(fabs(got[x * NV + y] - w[y]) <= tol,
                    "%s: x %d y %d: log π = %.15g, population solution %.15g",
                    what, x, y, got[x * NV + y], w[y]);
  }
}

static as_data data_of(const popu *pp)
{
  return (as_data){.K = K, .V = NV, .n = INFINITY, .P = pp->P, .Q = pp->Q,
                   .log_rho = pp->lrho, .log_ref = pp->lref};
}

static void fit_ok(as_fit_opts *o, const as_data *d, as_fit_result *res)
{
  as_err e;
  as_err_clear(&e);
  int rc = as_fit(o, d, res, &e);
  ck_assert_msg(rc == AS_OK && res->status == AS_OK &&
                    res->contexts_not_converged == 0,
                "%s: rc %d status %d (%s)", as_method_name(o->method), rc,
                res->status, e.msg);
}

/* Tolerance: every solve stops with its last Newton step ≤ 1e-9 nats and
 * converges quadratically; 1e-7 nats leaves room for the reward fit that
 * feeds two-stage methods. */
#define TOL 1e-7

START_TEST(test_cell_probs_cross_check)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 31);
  popu pp;
  make_popu(&pp, r);
  as_instance *inst = as_instance_new(K, NV);
  ck_assert_ptr_nonnull(inst);
  memcpy(inst->log_rho, pp.lrho, sizeof pp.lrho);
  memcpy(inst->log_pi_star, pp.lstar, sizeof pp.lstar);
  memcpy(inst->log_pi_ref, pp.lref, sizeof pp.lref);
  memcpy(inst->log_mu, pp.lmu, sizeof pp.lmu);
  memcpy(inst->log_mu2, pp.lmu2, sizeof pp.lmu2);
  double p[K * NV * NV], q[K * NV * NV];
  ck_assert_int_eq(as_pref_cell_probs(inst, BETA, p, NULL), 0);
  ck_assert_int_eq(as_pref_pair_probs(inst, q, NULL), 0);
  for (int i = 0; i < K * NV * NV; i++) {
    ck_assert_msg(fabs(p[i] - pp.P[i]) <= 1e-15, "p[%d] %g vs %g", i, p[i],
                  pp.P[i]);
    ck_assert_msg(fabs(q[i] - pp.Q[i]) <= 1e-15, "q[%d] %g vs %g", i, q[i],
                  pp.Q[i]);
  }
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_population_solutions)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 32);
  popu pp;
  make_popu(&pp, r);
  as_data d = data_of(&pp);
  as_fit_opts o;
  as_fit_result res;
  double want[K * NV];

  /* PMLE, distill, REBEL at λ = 0 → π*. */
  const as_method to_star[] = {AS_METHOD_PMLE, AS_METHOD_DISTILL,
                               AS_METHOD_REBEL, AS_METHOD_REWARD};
  for (int i = 0; i < 4; i++) {
    as_fit_opts_default(&o);
    o.method = to_star[i];
    o.beta = BETA;
    fit_ok(&o, &d, &res);
    assert_policy(as_method_name(o.method), res.log_pi, pp.lstar, TOL);
    if (to_star[i] == AS_METHOD_REWARD) {
      /* r = β log π* + c(x), reported with Σ_y r = 0. */
      for (int x = 0; x < K; x++) {
        double m = 0;
        for (int y = 0; y < NV; y++)
          m += BETA * pp.lstar[x * NV + y] / NV;
        for (int y = 0; y < NV; y++)
          ck_assert_msg(fabs(res.reward[x * NV + y] -
                             (BETA * pp.lstar[x * NV + y] - m)) <= TOL,
                        "reward x %d y %d: %.15g vs β log π* − mean %.15g", x,
                        y, res.reward[x * NV + y],
                        BETA * pp.lstar[x * NV + y] - m);
      }
      ck_assert_int_eq(res.reward_no_mle, 0);
      ck_assert_int_eq(res.reward_unidentified, 0);
    }
    as_fit_result_free(&res);
  }

  /* DPO with β_d ≠ β → π ∝ π_ref · π*^{β/β_d}. */
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DPO;
  o.beta = BETA;
  o.beta_dpo = 0.5;
  fit_ok(&o, &d, &res);
  for (int i = 0; i < K * NV; i++)
    want[i] = pp.lref[i] + BETA / 0.5 * pp.lstar[i];
  assert_policy("dpo", res.log_pi, want, TOL);
  as_fit_result_free(&res);

  /* RLHF and iterative REBEL → π ∝ π_ref exp(β log π* /λ). */
  const double lam = 0.7;
  for (int i = 0; i < K * NV; i++)
    want[i] = pp.lref[i] + BETA * pp.lstar[i] / lam;
  const double etas[] = {NAN, 0.5 / lam, 1.6 / lam};
  for (int k = 0; k < 3; k++) {
    as_fit_opts_default(&o);
    o.method = AS_METHOD_REBEL_ITER;
    o.beta = BETA;
    o.lambda = lam;
    o.eta = etas[k];
    fit_ok(&o, &d, &res);
    assert_policy("rebel-iter", res.log_pi, want, TOL);
    as_fit_result_free(&res);
  }
  as_fit_opts_default(&o);
  o.method = AS_METHOD_RLHF;
  o.beta = BETA;
  o.lambda = lam;
  fit_ok(&o, &d, &res);
  assert_policy("rlhf", res.log_pi, want, TOL);
  as_fit_result_free(&res);

  /* RKL, γ = β (default) and γ = 0.3. */
  const double gams[] = {NAN, 0.3};
  for (int k = 0; k < 2; k++) {
    double g = isnan(gams[k]) ? BETA : gams[k];
    for (int i = 0; i < K * NV; i++)
      want[i] = (lam * pp.lref[i] + BETA * pp.lstar[i]) / (lam + g);
    as_fit_opts_default(&o);
    o.method = AS_METHOD_RKL;
    o.beta = BETA;
    o.lambda = lam;
    o.gamma = gams[k];
    fit_ok(&o, &d, &res);
    assert_policy("rkl", res.log_pi, want, TOL);
    as_fit_result_free(&res);
  }
  gsl_rng_free(r);
}
END_TEST

/* PMLE and distillation with λ > 0 have no closed form; check the
 * optimality condition independently of the solver: the exact gradient of
 * the reference (docs/reference.md) objective, by central differences of a direct transcription,
 * vanishes at the returned policy. */
static double pmle_total(const popu *pp, const double *th, double lam)
{
  double f = 0;
  for (int x = 0; x < K; x++) {
    double lp[NV], kl = 0;
    as_log_softmax(th + x * NV, NV, lp);
    for (int y = 0; y < NV; y++)
      kl += exp(lp[y]) * (lp[y] - pp->lref[x * NV + y]);
    f += lam * exp(pp->lrho[x]) * kl;
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++)
        f -= pp->P[(x * NV + a) * NV + b] *
             log(1 / (1 + exp(-BETA * (lp[a] - lp[b]))));
  }
  return f;
}

START_TEST(test_pmle_kl_stationary)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 33);
  popu pp;
  make_popu(&pp, r);
  as_data d = data_of(&pp);
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.beta = BETA;
  o.lambda = 0.3;
  as_fit_result res;
  fit_ok(&o, &d, &res);
  /* Central difference, h = 1e-5: error ~1e-10; a non-stationary point
   * has gradient O(ρ·λ) ≈ 1e-2 here. */
  double th[K * NV], h = 1e-5, gmax = 0;
  memcpy(th, res.log_pi, sizeof th);
  for (int i = 0; i < K * NV; i++) {
    th[i] += h;
    double fp = pmle_total(&pp, th, 0.3);
    th[i] -= 2 * h;
    double fm = pmle_total(&pp, th, 0.3);
    th[i] += h;
    gmax = fmax(gmax, fabs(fp - fm) / (2 * h));
  }
  ck_assert_msg(gmax < 1e-8, "PMLE λ = 0.3: gradient %g at the returned "
                "policy", gmax);
  /* and it is not π* (the KL term pulls toward π_ref) */
  double dev = 0;
  for (int i = 0; i < K * NV; i++)
    dev = fmax(dev, fabs(res.log_pi[i] - pp.lstar[i]));
  ck_assert_msg(dev > 1e-3, "PMLE λ > 0 returned π* (dev %g)", dev);
  as_fit_result_free(&res);
  gsl_rng_free(r);
}
END_TEST

/* Scale-free stopping: a context carrying 1e-12 of the mass must be
 * solved as accurately as the others.  Rebuild the population with ρ =
 * (1 − 2e-12, 1e-12, 1e-12): the per-context argmin does not depend on ρ
 * (p and the KL term both scale with ρ(x)), so the fit must agree with the
 * fit under the original ρ.  A criterion in the units of the total
 * objective (decrement ∝ ρ(x)) would stop the light contexts at once. */
START_TEST(test_scale_free_contexts)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 36);
  popu a, b;
  make_popu(&a, r);
  b = a;
  double lr[K] = {log1p(-2e-12), log(1e-12), log(1e-12)};
  for (int x = 0; x < K; x++) {
    double f = exp(lr[x] - a.lrho[x]);
    b.lrho[x] = lr[x];
    for (int i = 0; i < NV * NV; i++) {
      b.P[x * NV * NV + i] = a.P[x * NV * NV + i] * f;
      b.Q[x * NV * NV + i] = a.Q[x * NV * NV + i] * f;
    }
  }
  const as_method ms[] = {AS_METHOD_PMLE, AS_METHOD_DISTILL, AS_METHOD_DPO,
                          AS_METHOD_REBEL_ITER};
  for (int k = 0; k < 4; k++) {
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = ms[k];
    o.beta = BETA;
    o.lambda = 0.05;
    as_data da = data_of(&a), db = data_of(&b);
    as_fit_result ra, rb;
    fit_ok(&o, &da, &ra);
    fit_ok(&o, &db, &rb);
    for (int i = 0; i < K * NV; i++)
      ck_assert_msg(fabs(ra.log_pi[i] - rb.log_pi[i]) <= TOL,
                    "%s: cell %d: %.15g with ρ as drawn, %.15g with ρ(x) = "
                    "1e-12", as_method_name(ms[k]), i, ra.log_pi[i],
                    rb.log_pi[i]);
    as_fit_result_free(&ra);
    as_fit_result_free(&rb);
  }
  gsl_rng_free(r);
}
END_TEST

typedef struct {
  long calls;
  double norm[64], ent[64];
} trace_rec;

static int rec_trace(long step, size_t k, size_t v, const double *log_pi,
                     double nrm, void *user)
{
  trace_rec *t = user;
  ck_assert_int_eq(step, t->calls);
  double e = 0;
  for (size_t x = 0; x < k; x++)
    for (size_t y = 0; y < v; y++)
      e -= exp(log_pi[x * v + y]) * log_pi[x * v + y];
  t->norm[t->calls] = nrm;
  t->ent[t->calls] = e;
  t->calls++;
  return 0;
}

/* DPO as run in practice on separated data (0 always beats 1, 1 always
 * beats 2): ‖θ‖ grows and the entropy falls at every step (docs/reference.md §6 (E6)). */
START_TEST(test_dpo_trace_runaway)
{
  double P[9] = {0}, lref[3] = {-1.0, -1.0, -1.0};
  P[0 * 3 + 1] = 0.5;
  P[1 * 3 + 2] = 0.5;
  as_log_softmax(lref, 3, lref);
  as_data d = {.K = 1, .V = 3, .n = 10, .P = P, .log_ref = lref};
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DPO;
  o.dpo_steps = 40;
  o.dpo_lr = 1.0;
  trace_rec t = {0};
  o.trace = rec_trace;
  o.trace_user = &t;
  as_fit_result res;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), 0);
  ck_assert_int_eq(t.calls, 41);
  ck_assert_int_eq(res.iterations, 40);
  ck_assert_int_eq(res.reward_no_mle, 1);
  ck_assert_msg(t.norm[0] < 1e-12, "start is π_ref (uniform): ‖θ‖ %g",
                t.norm[0]);
  for (int s = 1; s <= 40; s++)
    ck_assert_msg(t.norm[s] > t.norm[s - 1] && t.ent[s] < t.ent[s - 1],
                  "step %d: ‖θ‖ %g→%g, H %g→%g", s, t.norm[s - 1], t.norm[s],
                  t.ent[s - 1], t.ent[s]);
  ck_assert_msg(fabs(res.theta_norm - t.norm[40]) < 1e-15, "result norm");
  as_fit_result_free(&res);
}
END_TEST

/* Keeps a few records of pp's P (context 0: 4 pairs, context 1: none,
 * context 2 as it is) and rescales them to mass 1: both routes of
 * obj_bt_steps. */
static void sparsify(popu *pp)
{
  double m = 0.0;
  for (int x = 0; x < K; x++)
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++) {
        double *w = &pp->P[(x * NV + a) * NV + b];
        if ((x == 0 && a != b && (a + b) % 3 != 0) || x == 1)
          *w = 0.0;
        m += *w;
      }
  for (int i = 0; i < K * NV * NV; i++)
    pp->P[i] /= m;
}

/* A gradient-step run continued in pieces (as_fit_opts.dpo_theta, E6's
 * recorded steps): 7 steps, then 13 more from the θ they left, give the
 * bits of one run of 20 steps — θ, log π, ‖θ‖ and status — for DPO on
 * dense and sparse records and for IPO (a dense-evaluated loss);
 * iterations count the piece's steps. */
START_TEST(test_steps_in_pieces)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 35);
  static const as_method ms[] = {AS_METHOD_DPO, AS_METHOD_DPO, AS_METHOD_IPO};
  for (size_t ci = 0; ci < 3; ci++) {
    popu pp;
    make_popu(&pp, r);
    if (ci == 1)
      sparsify(&pp);
    as_data d = data_of(&pp);
    double one[K * NV], two[K * NV];
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = ms[ci];
    o.dpo_lr = 0.5;
    as_fit_result a, b;
    o.dpo_steps = 20;
    o.dpo_theta = one;
    ck_assert_int_eq(as_fit(&o, &d, &a, NULL), AS_OK);
    o.dpo_steps = 7;
    o.dpo_theta = two;
    ck_assert_int_eq(as_fit(&o, &d, &b, NULL), AS_OK);
    as_fit_result_free(&b);
    o.dpo_steps = 13;
    o.dpo_resume = 1;
    ck_assert_int_eq(as_fit(&o, &d, &b, NULL), AS_OK);
    ck_assert_int_eq(b.iterations, 13);
    ck_assert_msg(memcmp(one, two, sizeof one) == 0, "case %zu: theta", ci);
    ck_assert_msg(memcmp(a.log_pi, b.log_pi, sizeof one) == 0 &&
                  memcmp(&a.theta_norm, &b.theta_norm, sizeof(double)) == 0,
                  "case %zu: log pi or norm", ci);
    ck_assert_int_eq(a.status, b.status);
    as_fit_result_free(&a);
    as_fit_result_free(&b);
  }
  gsl_rng_free(r);
}
END_TEST

/* Bad options are rejected with a message; REBEL-iter outside 0 < ηλ < 2
 * in particular (docs/reference.md §3). */
START_TEST(test_invalid_options)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 34);
  popu pp;
  make_popu(&pp, r);
  as_data d = data_of(&pp);
  as_fit_opts o;
  as_fit_result res;
  as_err e;
  const double bad_eta[] = {2.0, 3.0, -1.0};
  for (int k = 0; k < 3; k++) {
    as_fit_opts_default(&o);
    o.method = AS_METHOD_REBEL_ITER;
    o.lambda = 1.0;
    o.eta = bad_eta[k];
    as_err_clear(&e);
    ck_assert_int_eq(as_fit(&o, &d, &res, &e), AS_EINVAL);
    ck_assert_msg(strstr(e.msg, "eta") != NULL, "message: %s", e.msg);
  }
  as_fit_opts_default(&o);
  o.method = AS_METHOD_REBEL_ITER; /* λ = 0 and no η */
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_EINVAL);
  as_fit_opts_default(&o);
  o.beta = 0.0;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_EINVAL);
  as_fit_opts_default(&o);
  o.lambda = -1.0;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_EINVAL);
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DISTILL;
  as_data dq = d;
  dq.Q = NULL;
  ck_assert_int_eq(as_fit(&o, &dq, &res, NULL), AS_EINVAL);
  /* P not summing to 1 */
  as_fit_opts_default(&o);
  pp.P[0] += 0.1;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_EINVAL);
  gsl_rng_free(r);
}
END_TEST

/* Iterative REBEL at λ = 0 drifts to argmax r̂: reported, bounded time. */
START_TEST(test_rebel_iter_lambda0_drift)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 35);
  popu pp;
  make_popu(&pp, r);
  as_data d = data_of(&pp);
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_REBEL_ITER;
  o.beta = BETA;
  o.eta = 1.0;
  o.iterations = 200;
  as_fit_result res;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  /* no fixed point: reported as not converged, or as diverged once π_t
   * has collapsed so far that the step weights π_t(a)π_t(b) underflow */
  ck_assert_msg(res.status == AS_ENOCONV || res.status == AS_EDIVERGE,
                "status %d", res.status);
  ck_assert_int_eq(res.contexts_not_converged, K);
  for (int x = 0; x < K; x++) {
    int am = 0;
    for (int y = 1; y < NV; y++)
      if (pp.lstar[x * NV + y] > pp.lstar[x * NV + am])
        am = y;
    /* θ_200 = θ_0 + 200 r̂ up to gauge (η = 1): the argmax holds all but
     * e^{−200·gap} of the mass; the smallest gap here is ≈ 0.09·β. */
    ck_assert_msg(res.log_pi[x * NV + am] > -1e-3, "x %d: log π(argmax) %g",
                  x, res.log_pi[x * NV + am]);
  }
  as_fit_result_free(&res);
  gsl_rng_free(r);
}
END_TEST

/* Finite data: a context with no data keeps π_ref (documented choice) and
 * is counted unidentified; default ridge 1/n keeps the reward finite
 * where the MLE does not exist, and the count says so. */
START_TEST(test_finite_data_edge_cases)
{
  double P[2 * 9] = {0}, lref[6] = {-0.2, -1.0, -2.0, -0.5, -0.6, -3.0};
  as_log_softmax(lref, 3, lref);
  as_log_softmax(lref + 3, 3, lref + 3);
  /* context 0: 0>1 twice, 1>0 once, 1>2 once (no MLE: 2 never wins) */
  P[0 * 3 + 1] = 2.0 / 4;
  P[1 * 3 + 0] = 1.0 / 4;
  P[1 * 3 + 2] = 1.0 / 4;
  as_data d = {.K = 2, .V = 3, .n = 4, .P = P, .log_ref = lref};
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_REWARD;
  as_fit_result res;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  ck_assert_int_eq(res.status, AS_OK);
  ck_assert_int_eq(res.reward_no_mle, 1);
  ck_assert_int_eq(res.reward_unidentified, 2);
  for (int i = 0; i < 6; i++)
    ck_assert(isfinite(res.reward[i]));
  ck_assert(res.reward[0] > res.reward[1] && res.reward[1] > res.reward[2]);
  /* ridge η = 1/n = 1/4 with loss averaged over n: stationarity of
   * −Σ N log σ + ½‖r‖² (times n), checked by hand for context 0. */
  double *rr = res.reward;
  double g0 = -2 * (1 - 1 / (1 + exp(-(rr[0] - rr[1])))) +
              1 * (1 / (1 + exp(-(rr[0] - rr[1])))) + rr[0];
  ck_assert_msg(fabs(g0) < 1e-9, "N(0,1)-prior stationarity: %g", g0);
  for (int y = 0; y < 3; y++) /* no data, ridge: r = 0 */
    ck_assert(fabs(rr[3 + y]) < 1e-12);
  as_fit_result_free(&res);
  /* PMLE at λ = 0: context 0 has no finite minimiser, context 1 no data. */
  o.method = AS_METHOD_PMLE;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  ck_assert_int_eq(res.status, AS_EDIVERGE);
  ck_assert_int_eq(res.contexts_not_converged, 1);
  for (int y = 0; y < 3; y++)
    ck_assert_msg(fabs(res.log_pi[3 + y] - lref[3 + y]) < 1e-12,
                  "empty context moved: %g vs %g", res.log_pi[3 + y],
                  lref[3 + y]);
  as_fit_result_free(&res);
  /* PMLE with λ > 0 is finite everywhere. */
  o.lambda = 0.1;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  ck_assert_int_eq(res.status, AS_OK);
  as_fit_result_free(&res);
}
END_TEST

/* Review finding: a two-stage fit must count the contexts where EITHER
 * stage failed (a union), not the larger of the two counts.  K = 2, V = 2
 * in the population (ridge 0): context 0 has only "0 beats 1" (no finite
 * reward MLE: the reward stage fails there, its capped run leaves a gap
 * ≈ 25.6), context 1 has odds e^60 (reward gap 60, converges).  REBEL at
 * λ = 0 puts β Δθ = Δr̂, so with β = 0.08 context 1's loser gets log π ≈
 * −750 < −700 (policy AS_ENOCONV, as_fit.h) while context 0's ≈ −640
 * passes.  Both stages' per-context outcomes are checked on their own
 * first (as_reward_graph_report, as_fit_with_reward), so the union 2 is
 * not taken from the code under test; the old max gave 1. */
START_TEST(test_not_converged_union)
{
  double eps = exp(-60.0);
  double P[8] = {0, 0.5, 0, 0, 0, 0.5 * (1 - eps), 0.5 * eps, 0};
  double Q[8] = {0, 0.25, 0.25, 0, 0, 0.25, 0.25, 0};
  as_data d = {2, 2, INFINITY, P, Q, NULL, NULL};
  int mle[2];
  as_err e;
  ck_assert_int_eq(as_reward_graph_report(&d, mle, NULL, &e), AS_OK);
  ck_assert_msg(!mle[0] && mle[1], "win graph: mle %d %d", mle[0], mle[1]);
  double r[4];
  as_fit_result info, res;
  memset(&info, 0, sizeof info);
  ck_assert_int_eq(as_reward_fit(&d, 0.0, r, &info, &e), AS_OK);
  ck_assert_msg(info.contexts_not_converged == 1, "reward stage: %zu",
                info.contexts_not_converged);
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_REBEL;
  o.beta = 0.08;
  ck_assert_int_eq(as_fit_with_reward(&o, &d, r, &res, &e), AS_OK);
  ck_assert_msg(res.contexts_not_converged == 1 && res.log_pi[1] > -700.0
                    && res.log_pi[3] < -700.0,
                "policy stage: %zu not converged, log pi %g %g | %g %g",
                res.contexts_not_converged, res.log_pi[0], res.log_pi[1],
                res.log_pi[2], res.log_pi[3]);
  as_fit_result_free(&res);
  ck_assert_int_eq(as_fit(&o, &d, &res, &e), AS_OK);
  ck_assert_msg(res.contexts_not_converged == 2 && res.status == AS_EDIVERGE,
                "as_fit: %zu contexts not converged (expected the union, 2), "
                "status %d", res.contexts_not_converged, res.status);
  as_fit_result_free(&res);
}
END_TEST

/* Review finding: the reward stage ignored o->tol / o->max_iter.  With
 * max_iter = 1 Newton cannot meet tol = 1e-20 from r = 0 on a BT fit with
 * unequal win rates (one step of a non-quadratic loss), so the reward
 * method and a two-stage method must both say AS_ENOCONV; with the
 * defaults the same data converge (the control). */
START_TEST(test_reward_honours_max_iter)
{
  double P[4] = {0, 0.7, 0.3, 0}; /* K = 1, V = 2 */
  as_data d = {1, 2, 100.0, P, NULL, NULL, NULL};
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_REWARD;
  as_fit_result res;
  as_err e;
  ck_assert_int_eq(as_fit(&o, &d, &res, &e), AS_OK);
  ck_assert_msg(res.status == AS_OK, "control: status %d", res.status);
  as_fit_result_free(&res);
  o.max_iter = 1;
  ck_assert_int_eq(as_fit(&o, &d, &res, &e), AS_OK);
  ck_assert_msg(res.status == AS_ENOCONV && res.contexts_not_converged == 1,
                "reward, max_iter 1: status %d, %zu", res.status,
                res.contexts_not_converged);
  as_fit_result_free(&res);
  o.method = AS_METHOD_RLHF; /* closed form: only the reward stage iterates */
  o.lambda = 0.5;
  ck_assert_int_eq(as_fit(&o, &d, &res, &e), AS_OK);
  ck_assert_msg(res.status == AS_ENOCONV, "rlhf, max_iter 1: status %d",
                res.status);
  as_fit_result_free(&res);
  double r[2];
  as_fit_result info;
  ck_assert_int_eq(as_reward_fit_tol(&d, 0.01, 1e-20, 1, r, &info, &e),
                   AS_OK);
  ck_assert_int_eq(info.status, AS_ENOCONV);
  ck_assert_int_eq(as_reward_fit_tol(&d, 0.01, 1e-20, 0, r, &info, &e),
                   AS_EINVAL);
  ck_assert_int_eq(as_reward_fit_tol(&d, 0.01, 1e-20, 5000, r, &info, &e),
                   AS_OK);
  ck_assert_int_eq(info.status, AS_OK);
}
END_TEST

/* Distill and rebel at λ = 0 from finite unlabelled pairs: the pair terms
 * fix θ_a − θ_b only along edges of the Q graph, so with Q touching only
 * {0,1} and {2,3} the offset between the two blocks is free (the fit keeps
 * π_ref's) — independent route: the objective's value is unchanged when
 * that block is shifted, so the policy is not identified and must be
 * counted, not returned as an unremarked "ok".  λ > 0 (KL_ref pins every
 * logit) and a connected Q count 0. */
/* PMLE at λ > 0 is not convex (docs/reference.md §3, E6).  V = 2, one "0 beats 1",
 * uniform π_ref, ρ = 1: F(t) = −log σ(βt) + λ KL(softmax(t, 0) ‖ U) with
 * t = θ_0 − θ_1, written out here independently of the library.  At
 * β = 0.5, λ = 0.8 Newton stops at a stationary point, but F keeps falling
 * towards its limit λ log 2 as t → ∞; the fit must not say "ok".  At
 * β = 2 the stationary point is the minimiser and must stay "ok". */
static double esc_F(double t, double beta, double lambda)
{
  double p0 = 1.0 / (1.0 + exp(-t)), p1 = 1.0 - p0;
  double kl = 0.0;
  if (p0 > 0.0)
    kl += p0 * log(2.0 * p0);
  if (p1 > 0.0)
    kl += p1 * log(2.0 * p1);
  return log1p(exp(-beta * t)) + lambda * kl;
}

START_TEST(test_pmle_escape_reported)
{
  double P[4] = {0.0, 1.0, 0.0, 0.0}; /* P[0][1]: 0 beats 1 */
  double lref[2] = {-M_LN2, -M_LN2};
  as_data d = {.K = 1, .V = 2, .n = 1, .P = P, .log_ref = lref};
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_PMLE;
  o.lambda = 0.8;
  o.beta = 0.5;
  as_fit_result res;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  double t = res.log_pi[0] - res.log_pi[1];
  /* the independent route: a far point is lower than the returned one */
  ck_assert_msg(esc_F(60.0, 0.5, 0.8) < esc_F(t, 0.5, 0.8),
                "premise: F(60) = %.17g not below F(t = %g) = %.17g",
                esc_F(60.0, 0.5, 0.8), t, esc_F(t, 0.5, 0.8));
  ck_assert_msg(res.status == AS_ENOCONV && res.pmle_escapes == 1 &&
                    res.contexts_not_converged == 1,
                "beta 0.5: status %d, pmle_escapes %zu (t = %g)", res.status,
                res.pmle_escapes, t);
  as_fit_result_free(&res);

  o.beta = 2.0;
  ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
  t = res.log_pi[0] - res.log_pi[1];
  ck_assert_msg(res.status == AS_OK && res.pmle_escapes == 0,
                "beta 2: status %d, pmle_escapes %zu", res.status,
                res.pmle_escapes);
  /* and it is the global minimiser on a fine grid out to t = 200 */
  double ft = esc_F(t, 2.0, 0.8);
  for (double u = -20.0; u <= 200.0; u += 0.01)
    ck_assert_msg(esc_F(u, 2.0, 0.8) >= ft - 1e-12,
                  "beta 2: F(%g) = %.17g below F(t = %g) = %.17g", u,
                  esc_F(u, 2.0, 0.8), t, ft);
  as_fit_result_free(&res);
}
END_TEST

START_TEST(test_pairs_unidentified)
{
  enum { V4 = 4 };
  double P[V4 * V4] = {0}, Q[V4 * V4] = {0}, Qc[V4 * V4] = {0};
  /* labelled: a 4-cycle both ways, so the reward MLE exists */
  for (int a = 0; a < V4; a++) {
    P[a * V4 + (a + 1) % V4] = 0.15;
    P[((a + 1) % V4) * V4 + a] = 0.1;
  }
  Q[0 * V4 + 1] = 0.4; Q[1 * V4 + 0] = 0.1;
  Q[2 * V4 + 3] = 0.3; Q[3 * V4 + 2] = 0.2;
  memcpy(Qc, Q, sizeof Q);
  Qc[3 * V4 + 2] = 0.1;
  Qc[1 * V4 + 2] = 0.1; /* joins the two blocks */
  as_data d = {.K = 1, .V = V4, .n = 100, .P = P, .Q = Q};
  const as_method ms[] = {AS_METHOD_DISTILL, AS_METHOD_REBEL};
  for (int i = 0; i < 2; i++) {
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = ms[i];
    as_fit_result res;
    d.Q = Q;
    ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
    ck_assert_msg(res.pairs_unidentified == 1, "%s: pairs_unidentified = "
                  "%zu, expected 1", as_method_name(ms[i]),
                  res.pairs_unidentified);
    /* the value does not see the offset between {0,1} and {2,3} */
    as_ctx_data c = {.V = V4, .rho = 1.0, .Q = Q, .reward = res.reward,
                     .beta = o.beta};
    double th[V4], f0, f1;
    memcpy(th, res.log_pi, sizeof th);
    const as_objective_type *obj = i == 0 ? &as_obj_distill : &as_obj_rebel;
    ck_assert_int_eq(obj->eval(&c, th, &f0, NULL, NULL), AS_OK);
    th[2] += 3.0;
    th[3] += 3.0;
    ck_assert_int_eq(obj->eval(&c, th, &f1, NULL, NULL), AS_OK);
    ck_assert_msg(fabs(f1 - f0) <= 1e-14 * (1 + fabs(f0)),
                  "offset changes f: %.17g vs %.17g", f0, f1);
    as_fit_result_free(&res);
    d.Q = Qc;
    ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
    ck_assert_int_eq(res.pairs_unidentified, 0);
    as_fit_result_free(&res);
    d.Q = Q;
    o.lambda = 0.3;
    ck_assert_int_eq(as_fit(&o, &d, &res, NULL), AS_OK);
    ck_assert_int_eq(res.pairs_unidentified, 0);
    as_fit_result_free(&res);
  }
}
END_TEST

/* Non-finite is never ok (as_fit_finite_status): a -inf log-probability
 * where π_ref has support, a NaN, a +inf or an infinite ‖θ‖ make the status
 * non-finite; a -inf where π_ref is 0, and a declared divergence's limit,
 * do not. */
START_TEST(test_non_finite_status)
{
  double lp[4] = {log(0.5), log(0.5), 0.0, -INFINITY};
  double ref[4] = {log(0.5), log(0.5), 0.0, -INFINITY};
  as_fit_result r;
  memset(&r, 0, sizeof r);
  r.K = 2;
  r.V = 2;
  r.log_pi = lp;
  r.theta_norm = 1.0;
  as_err e;
  ck_assert_int_eq(as_fit_finite_status(&r, ref, &e), AS_OK);
  ck_assert_int_eq(as_fit_finite_status(&r, NULL, &e), AS_ENONFINITE);
  ck_assert_str_eq(as_strerror(r.status), "non-finite");
  r.status = AS_EDIVERGE;                /* a declared limit keeps its zero */
  ck_assert_int_eq(as_fit_finite_status(&r, NULL, &e), AS_EDIVERGE);
  lp[0] = NAN;
  ck_assert_int_eq(as_fit_finite_status(&r, ref, &e), AS_ENONFINITE);
  lp[0] = log(0.5);
  r.status = AS_OK;
  r.theta_norm = INFINITY;
  ck_assert_int_eq(as_fit_finite_status(&r, ref, &e), AS_ENONFINITE);
  r.status = AS_OK;
  r.theta_norm = NAN;                    /* "not computed" */
  ck_assert_int_eq(as_fit_finite_status(&r, ref, &e), AS_OK);
}
END_TEST

/* Issue 8: as_fit_stream, fed one context at a time, reproduces as_fit /
 * as_fit_with_reward / as_reward_fit bit for bit: rows, status, counts,
 * the largest criterion and ‖θ‖ (the running sums carried in order). */
static void same_result(const char *what, const as_fit_result *a,
                        const as_fit_result *b)
{
  size_t KV = (size_t)K * NV;
  ck_assert_msg((a->log_pi == NULL) == (b->log_pi == NULL) &&
                    (a->log_pi == NULL ||
                     memcmp(a->log_pi, b->log_pi, KV * sizeof(double)) == 0),
                "%s: log pi differs", what);
  ck_assert_msg((a->reward == NULL) == (b->reward == NULL) &&
                    (a->reward == NULL ||
                     memcmp(a->reward, b->reward, KV * sizeof(double)) == 0),
                "%s: reward differs", what);
  ck_assert_msg(a->status == b->status && a->iterations == b->iterations &&
                    a->contexts_not_converged == b->contexts_not_converged &&
                    a->reward_no_mle == b->reward_no_mle &&
                    a->reward_unidentified == b->reward_unidentified &&
                    a->pairs_unidentified == b->pairs_unidentified &&
                    a->not_unique == b->not_unique &&
                    a->unbounded == b->unbounded &&
                    a->collapsed == b->collapsed &&
                    a->pmle_escapes == b->pmle_escapes,
                "%s: report differs (status %d/%d, it %ld/%ld, nc %zu/%zu)",
                what, a->status, b->status, a->iterations, b->iterations,
                a->contexts_not_converged, b->contexts_not_converged);
  ck_assert_msg(memcmp(&a->theta_norm, &b->theta_norm, sizeof(double)) == 0
                    && memcmp(&a->criterion, &b->criterion,
                              sizeof(double)) == 0,
                "%s: theta_norm %.17g/%.17g criterion %.17g/%.17g", what,
                a->theta_norm, b->theta_norm, a->criterion, b->criterion);
}

static void stream_all(as_fit_stream *s, const as_data *d,
                       const double *reward, as_fit_result *res)
{
  as_err e;
  size_t C = (size_t)NV * NV;
  for (size_t x = 0; x < K; x++)
    ck_assert_msg(as_fit_stream_context(s, d->P + x * C,
                                        d->Q ? d->Q + x * C : NULL,
                                        reward ? reward + x * NV : NULL, &e)
                      == AS_OK, "context %zu: %s", x, e.msg);
  ck_assert_msg(as_fit_stream_finish(s, res, &e) == AS_OK, "%s", e.msg);
}

static void stream_vs_dense(const as_data *d, double n)
{
  static const struct { as_method m; double lambda; } cases[] = {
    {AS_METHOD_PMLE, 0.0}, {AS_METHOD_PMLE, 0.5}, {AS_METHOD_DPO, 0.0},
    {AS_METHOD_REWARD, 0.0}, {AS_METHOD_DISTILL, 0.0},
    {AS_METHOD_DISTILL, 0.3}, {AS_METHOD_REBEL, 0.3},
    {AS_METHOD_REBEL_ITER, 1.0}, {AS_METHOD_IPO, 0.0}, {AS_METHOD_CDPO, 0.0},
    {AS_METHOD_SLIC, 0.0}, {AS_METHOD_RDPO, 0.0}, {AS_METHOD_SPPO, 0.0},
    {AS_METHOD_NASH, 1.0}};
  as_err e;
  double ridge = isfinite(n) ? 1.0 / n : 0.0, r[K * NV];
  as_fit_result rd, rs;
  ck_assert_int_eq(as_reward_fit(d, ridge, r, &rd, &e), AS_OK);
  as_fit_stream *s = NULL;
  ck_assert_int_eq(as_fit_stream_new_reward(d, ridge, &s, &e), AS_OK);
  stream_all(s, d, NULL, &rs);
  as_fit_stream_free(s);
  ck_assert(memcmp(rs.reward, r, sizeof r) == 0);
  ck_assert(rs.status == rd.status && rs.iterations == rd.iterations &&
            rs.reward_no_mle == rd.reward_no_mle &&
            memcmp(&rs.theta_norm, &rd.theta_norm, sizeof(double)) == 0);
  as_fit_result_free(&rs);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = cases[i].m;
    o.lambda = cases[i].lambda;
    o.beta = BETA;
    const char *name = as_method_name(o.method);
    int wr = o.method == AS_METHOD_DISTILL || o.method == AS_METHOD_REBEL ||
             o.method == AS_METHOD_REBEL_ITER || o.method == AS_METHOD_SPPO ||
             o.method == AS_METHOD_NASH;
    as_fit_result a, b;
    int rc = wr ? as_fit_with_reward(&o, d, r, &a, &e) : as_fit(&o, d, &a, &e);
    ck_assert_msg(rc == AS_OK, "%s: %s", name, e.msg);
    ck_assert_int_eq(as_fit_stream_new(&o, d, wr, &s, &e), AS_OK);
    stream_all(s, d, wr ? r : NULL, &b);
    as_fit_stream_free(s);
    same_result(name, &a, &b);
    as_fit_result_free(&a);
    as_fit_result_free(&b);
  }
}

/* pp's P and Q replaced by 40 and 30 draws from them (sparse counts:
 * contexts without an MLE, pairs never drawn); d.n = 40. */
static void sparse_counts(gsl_rng *r, popu *pp, as_data *d)
{
  unsigned int N[K * NV * NV], M[K * NV * NV];
  gsl_ran_multinomial(r, K * NV * NV, 40, pp->P, N);
  gsl_ran_multinomial(r, K * NV * NV, 30, pp->Q, M);
  for (size_t i = 0; i < K * NV * NV; i++) {
    pp->P[i] = N[i] / 40.0;
    pp->Q[i] = M[i] / 30.0;
  }
  d->n = 40;
}

START_TEST(test_stream_same_fit)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 808);
  popu pp;
  make_popu(&pp, r);
  as_data d = data_of(&pp);
  stream_vs_dense(&d, INFINITY);
  sparse_counts(r, &pp, &d);
  stream_vs_dense(&d, 40);
  /* not streamed: the closed forms and DPO's total-loss steps */
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DPO;
  o.dpo_steps = 3;
  as_fit_stream *s = NULL;
  as_err e;
  ck_assert_int_eq(as_fit_stream_new(&o, &d, 0, &s, &e), AS_ENOTSUP);
  o.method = AS_METHOD_RKL;
  ck_assert_int_eq(as_fit_stream_new(&o, &d, 1, &s, &e), AS_ENOTSUP);
  ck_assert(s == NULL);
  gsl_rng_free(r);
}
END_TEST

/* chk prepared for distill at β = BETA and reward r: a distill fit at
 * another β, or with another reward of the same values' neighbourhood,
 * must not use those objectives (each is compared with the plain fit). */
static void prepared_not_misused(const as_data *d, const as_fit_checked *chk,
                                 const double *r)
{
  double r2[K * NV];
  for (size_t i = 0; i < K * NV; i++)
    r2[i] = r[i] * 1.25;
  as_err e;
  for (int c = 0; c < 2; c++) {
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = AS_METHOD_DISTILL;
    o.lambda = 0.3;
    o.beta = c == 0 ? 2.0 * BETA : BETA;
    const double *rw = c == 0 ? r : r2;
    as_fit_result a, b;
    ck_assert_int_eq(as_fit_with_reward(&o, d, rw, &a, &e), AS_OK);
    ck_assert_int_eq(as_fit_with_reward_checked(&o, chk, rw, &b, &e), AS_OK);
    same_result(c == 0 ? "distill, another beta" : "distill, another reward",
                &a, &b);
    as_fit_result_free(&a);
    as_fit_result_free(&b);
  }
}

/* Issue 8 (E7): as_fit_with_reward_checked — the data checked once by
 * as_fit_check — gives as_fit_with_reward's result bit for bit (rows,
 * status, counts with contexts without an MLE, ‖θ‖), for each method that
 * takes a reward and for pmle, dpo (which read the win-graph verdicts);
 * with prepare, distill's objectives prepared once (as_fit_check_prepare)
 * and used by the distill cases, ignored by the others. */
static void checked_vs_plain(const as_data *d, double n, int prepare)
{
  static const struct { as_method m; double lambda; } cases[] = {
    {AS_METHOD_DISTILL, 0.0}, {AS_METHOD_DISTILL, 1e-5},
    {AS_METHOD_DISTILL, 0.3}, {AS_METHOD_REBEL, 0.3},
    {AS_METHOD_REBEL_ITER, 1.0}, {AS_METHOD_RLHF, 0.5},
    {AS_METHOD_PMLE, 0.0}, {AS_METHOD_PMLE, 0.5}, {AS_METHOD_DPO, 0.0}};
  as_err e;
  double r[K * NV];
  as_fit_result info;
  memset(&info, 0, sizeof info);
  ck_assert_int_eq(as_reward_fit(d, isfinite(n) ? 1.0 / n : 0.0, r, &info,
                                 &e), AS_OK);
  as_fit_result_free(&info);
  as_fit_checked chk;
  ck_assert_msg(as_fit_check(d, &chk, &e) == AS_OK, "%s", e.msg);
  if (prepare) { /* distill's objectives, for this reward at β = BETA */
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = AS_METHOD_DISTILL;
    o.beta = BETA;
    ck_assert_msg(as_fit_check_prepare(&chk, &o, r, &e) == AS_OK, "%s",
                  e.msg);
    ck_assert_ptr_nonnull(chk.prep);
    ck_assert_int_eq(as_fit_check_prepare(&chk, &o, r, &e), AS_EINVAL);
  }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = cases[i].m;
    o.lambda = cases[i].lambda;
    o.beta = BETA;
    as_fit_result a, b;
    ck_assert_int_eq(as_fit_with_reward(&o, d, r, &a, &e), AS_OK);
    ck_assert_int_eq(as_fit_with_reward_checked(&o, &chk, r, &b, &e), AS_OK);
    same_result(as_method_name(o.method), &a, &b);
    as_fit_result_free(&a);
    as_fit_result_free(&b);
  }
  if (prepare)
    prepared_not_misused(d, &chk, r);
  as_fit_checked_free(&chk);
}

START_TEST(test_checked_same_fit)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 809);
  popu pp;
  make_popu(&pp, r);
  as_data d = data_of(&pp);
  checked_vs_plain(&d, INFINITY, 0);
  checked_vs_plain(&d, INFINITY, 1);
  sparse_counts(r, &pp, &d);
  as_fit_result info;
  memset(&info, 0, sizeof info);
  as_err e;
  double rw[K * NV];
  ck_assert_int_eq(as_reward_fit(&d, 1.0 / 40, rw, &info, &e), AS_OK);
  ck_assert_msg(info.reward_no_mle > 0, "no context without an MLE");
  as_fit_result_free(&info);
  checked_vs_plain(&d, 40, 0);
  checked_vs_plain(&d, 40, 1);
  /* a reward the fit refuses is refused when preparing, with its message */
  as_fit_checked chk0;
  ck_assert_int_eq(as_fit_check(&d, &chk0, &e), AS_OK);
  as_fit_opts od;
  as_fit_opts_default(&od);
  od.method = AS_METHOD_DISTILL;
  rw[3] = NAN;
  as_fit_result a0;
  ck_assert_int_eq(as_fit_with_reward_checked(&od, &chk0, rw, &a0, &e),
                   AS_EINVAL);
  char msg0[sizeof e.msg];
  memcpy(msg0, e.msg, sizeof msg0);
  ck_assert_int_eq(as_fit_check_prepare(&chk0, &od, rw, &e), AS_EINVAL);
  ck_assert_str_eq(e.msg, msg0);
  ck_assert(chk0.prep == NULL && chk0.no_mle != NULL);
  as_fit_checked_free(&chk0);
  /* invalid data: as_fit_check reports what as_fit_with_reward reports */
  pp.Q[7] = -0.1;
  pp.Q[8] += 0.1;
  as_fit_checked chk;
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DISTILL;
  as_fit_result a;
  ck_assert_int_eq(as_fit_with_reward(&o, &d, rw, &a, &e), AS_EINVAL);
  char msg[sizeof e.msg];
  memcpy(msg, e.msg, sizeof msg);
  ck_assert_int_eq(as_fit_check(&d, &chk, &e), AS_EINVAL);
  ck_assert_str_eq(e.msg, msg);
  as_fit_checked_free(&chk);
  gsl_rng_free(r);
}
END_TEST

/* as_fit_opts.ctx_done: a log of the contexts it saw and the one at
 * which it gives the fit up (SIZE_MAX: never). */
typedef struct done_log {
  size_t stop_at, seen;
  int status[K];
  double row[K][NV];
} done_log;

static int log_done(size_t x, const double *row, int status, void *user)
{
  done_log *l = user;
  ck_assert_uint_eq(x, l->seen); /* in context order, each once */
  l->status[x] = status;
  memcpy(l->row[x], row, NV * sizeof *row);
  l->seen++;
  return x == l->stop_at;
}

/* Giving a fit up after a context (issue 8): the contexts fitted before
 * keep the full fit's rows bit for bit, the callback sees each fitted
 * context's row and status, the later ones are not fitted (NaN rows, not
 * converged) and the fit is not ok. */
START_TEST(test_ctx_done_gives_up)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 811);
  popu pp;
  make_popu(&pp, r);
  as_data d = data_of(&pp);
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DISTILL;
  o.beta = BETA;
  o.lambda = 0.3;
  double rw[K * NV];
  as_fit_result info, full, part;
  as_err e;
  memset(&info, 0, sizeof info);
  ck_assert_int_eq(as_reward_fit(&d, 0.0, rw, &info, &e), AS_OK);
  as_fit_result_free(&info);
  done_log all = {.stop_at = SIZE_MAX}, one = {.stop_at = 0};
  o.ctx_done = log_done;
  o.ctx_user = &all;
  ck_assert_int_eq(as_fit_with_reward(&o, &d, rw, &full, &e), AS_OK);
  ck_assert_uint_eq(all.seen, K);
  ck_assert_int_eq(full.status, AS_OK);
  o.ctx_user = &one;
  ck_assert_int_eq(as_fit_with_reward(&o, &d, rw, &part, &e), AS_OK);
  ck_assert_uint_eq(one.seen, 1);
  ck_assert(memcmp(part.log_pi, full.log_pi, NV * sizeof(double)) == 0);
  ck_assert(memcmp(one.row[0], full.log_pi, NV * sizeof(double)) == 0);
  ck_assert_int_eq(one.status[0], AS_OK);
  for (size_t i = NV; i < K * NV; i++)
    ck_assert(isnan(part.log_pi[i]));
  ck_assert_int_eq(part.status, AS_ENOCONV);
  ck_assert_uint_eq(part.contexts_not_converged, K - 1);
  ck_assert_uint_eq(part.given_up, K - 1);
  ck_assert(isfinite(part.theta_norm));
  as_fit_result_free(&part);
  /* given up after the last context: nothing left, the whole fit */
  done_log last = {.stop_at = K - 1};
  o.ctx_user = &last;
  ck_assert_int_eq(as_fit_with_reward(&o, &d, rw, &part, &e), AS_OK);
  ck_assert_int_eq(part.status, AS_OK);
  ck_assert_uint_eq(part.given_up, 0);
  ck_assert(memcmp(part.log_pi, full.log_pi, K * NV * sizeof(double)) == 0);
  as_fit_result_free(&part);
  /* a context that does not converge is reported as such (one Newton
   * step is not enough from log π_ref) */
  done_log cap = {.stop_at = SIZE_MAX};
  o.ctx_user = &cap;
  o.max_iter = 1;
  ck_assert_int_eq(as_fit_with_reward(&o, &d, rw, &part, &e), AS_OK);
  ck_assert_uint_eq(cap.seen, K);
  for (size_t x = 0; x < K; x++)
    ck_assert_int_eq(cap.status[x], AS_ENOCONV);
  ck_assert_uint_eq(part.contexts_not_converged, K);
  as_fit_result_free(&part);
  as_fit_result_free(&full);
  gsl_rng_free(r);
}
END_TEST

static Suite *fit_suite(void)
{
  Suite *s = suite_create("fit");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_cell_probs_cross_check);
  tcase_add_test(tc, test_population_solutions);
  tcase_add_test(tc, test_pmle_kl_stationary);
  tcase_add_test(tc, test_pmle_escape_reported);
  tcase_add_test(tc, test_scale_free_contexts);
  tcase_add_test(tc, test_dpo_trace_runaway);
  tcase_add_test(tc, test_invalid_options);
  tcase_add_test(tc, test_rebel_iter_lambda0_drift);
  tcase_add_test(tc, test_finite_data_edge_cases);
  tcase_add_test(tc, test_pairs_unidentified);
  tcase_add_test(tc, test_not_converged_union);
  tcase_add_test(tc, test_reward_honours_max_iter);
  tcase_add_test(tc, test_non_finite_status);
  tcase_add_test(tc, test_stream_same_fit);
  tcase_add_test(tc, test_steps_in_pieces);
  tcase_add_test(tc, test_checked_same_fit);
  tcase_add_test(tc, test_ctx_done_gives_up);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(fit_suite());
  srunner_run_all(sr, CK_VERBOSE);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
