/* as_fit.c — estimators of docs/reference.md §3 on the tabular class; see as_fit.h.
 *
 * Every context is solved on its own (docs/reference.md §3: contexts decouple).  Before
 * a solve, each context's terms are divided by its weight s_x (ρ(x) for
 * objectives with a KL/ρ term, the labelled mass Σ_ab P_xab for DPO and the
 * reward model), which leaves the argmin unchanged and makes f_x O(1), so
 * the solver's tolerance means "nats per context" whatever K is.
 *
 * Choices (documented here and in as_fit.h):
 * - every solve starts at θ = log π_ref (reward model: r = 0);
 * - a direction no term touches (a context without data at λ = 0, or a
 *   response never compared) keeps that start value; such contexts are
 *   counted by the win-graph criterion (reward_unidentified);
 * - where the ridge-free BT-type objective has no finite minimiser (win
 *   graph fails the criterion: DPO, PMLE at λ = 0, the reward model with
 *   ridge 0) the Newton decrement still decays (e^{−margin}) and would
 *   look converged, so those contexts are flagged AS_EDIVERGE from the
 *   graph, with ‖θ‖ reported. */
#include "as_fit.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_atlas.h"
#include "as_graph.h"
#include "as_hparam.h"
#include "as_math.h"
#include "as_objective.h"
#include "as_solve.h"
#include "obj_terms.h"

/* Newton steps spent on a context known to have no finite minimiser. */
#define AS_FIT_DIVERGENT_ITER 50
/* A policy entry below e^-700 is at the edge of double underflow, where
 * gradients vanish exactly: a solve that puts one there is not vouched
 * for (as_solve.h), and one heading there is stopped (logp_floor). */
#define AS_FIT_LOGP_FLOOR (-700.0)

static const char *const method_names[AS_METHOD_COUNT] = {
    "pmle", "dpo", "reward", "distill", "rebel", "rebel-iter", "rlhf", "rkl",
    "cdpo", "rdpo", "ipo", "gpo", "slic", "simpo", "orpo", "chipo", "sppo",
    "nash"};

const char *as_method_name(as_method m)
{
  return (unsigned)m < AS_METHOD_COUNT ? method_names[m] : "unknown";
}

int as_method_parse(const char *name, as_method *m)
{
  for (int i = 0; i < AS_METHOD_COUNT; i++)
    if (name != NULL && strcmp(name, method_names[i]) == 0) {
      *m = (as_method)i;
      return AS_OK;
    }
  return AS_EINVAL;
}

void as_fit_opts_default(as_fit_opts *o)
{
  memset(o, 0, sizeof *o);
  o->method = AS_METHOD_PMLE;
  o->beta = 1.0;
  o->lambda = 0.0;
  o->gamma = NAN;
  o->beta_dpo = NAN;
  o->ridge = NAN;
  o->eta = NAN;
  o->iterations = 0;
  o->dpo_steps = 0;
  o->dpo_lr = 0.1;
  o->tol = 1e-20;
  o->max_iter = 5000;
  o->trace = NULL;
  o->trace_user = NULL;
  /* the atlas hyperparameters: "not given" (as_hparam.h), resolved to the
   * declared defaults by as_fit */
  as_hparam_unset(as_hparam_table_default(), o);
}

void as_fit_result_free(as_fit_result *res)
{
  if (res == NULL)
    return;
  free(res->log_pi);
  free(res->reward);
  res->log_pi = NULL;
  res->reward = NULL;
}

static int result_init(as_fit_result *res, size_t K, size_t V, int want_r,
                       as_err *err)
{
  memset(res, 0, sizeof *res);
  res->K = K;
  res->V = V;
  res->log_pi = malloc(K * V * sizeof *res->log_pi);
  res->reward = want_r ? malloc(K * V * sizeof *res->reward) : NULL;
  if (res->log_pi == NULL || (want_r && res->reward == NULL)) {
    as_fit_result_free(res);
    return as_err_set(err, AS_ENOMEM, "as_fit: out of memory");
  }
  res->status = AS_OK;
  return AS_OK;
}

/* Worst status first: ENONFINITE > EDIVERGE > ENOCONV > OK. */
static int status_merge(int a, int b)
{
  if (a == AS_ENONFINITE || b == AS_ENONFINITE)
    return AS_ENONFINITE;
  if (a == AS_EDIVERGE || b == AS_EDIVERGE)
    return AS_EDIVERGE;
  if (a == AS_ENOCONV || b == AS_ENOCONV)
    return AS_ENOCONV;
  return AS_OK;
}

static void result_note(as_fit_result *res, int status, long it, double crit)
{
  if (status != AS_OK)
    res->contexts_not_converged++;
  res->status = status_merge(res->status, status);
  if (it > res->iterations)
    res->iterations = it;
  if (!(crit <= res->criterion)) /* NaN-propagating max */
    res->criterion = crit;
}

/* Adds context row th's centred sum of squares to *s (the terms of
 * centred_norm, in its order, so a streamed fit carries the same sum). */
static void centred_sq_add(size_t V, const double *th, double *s)
{
  double m = 0.0;
  for (size_t y = 0; y < V; y++)
    m += th[y];
  m /= (double)V;
  for (size_t y = 0; y < V; y++)
    *s += (th[y] - m) * (th[y] - m);
}

/* Frobenius norm of θ centred per context (gauge-free). */
static double centred_norm(size_t K, size_t V, const double *th)
{
  double s = 0.0;
  for (size_t x = 0; x < K; x++)
    centred_sq_add(V, th + x * V, &s);
  return sqrt(s);
}

/* The policy of a reward (eq. 8), one context: π_r = softmax(r/β). */
static void reward_policy_row(size_t V, double beta, const double *r,
                              double *log_pi)
{
  for (size_t y = 0; y < V; y++)
    log_pi[y] = r[y] / beta;
  as_log_softmax(log_pi, V, log_pi);
}

/* Neumaier's compensated sum: a table's mass over K·V² cells — at
 * K = V = 1000 (1e9 cells N/n) a plain running sum drifts by ~2e-9, past
 * the check's 1e-9, while the table sums to 1 within rounding. */
static void sum_add(as_fit_sum *m, double v)
{
  double t = m->s + v;
  m->c += fabs(m->s) >= fabs(v) ? (m->s - t) + v : (v - t) + m->s;
  m->s = t;
}

/* The cells of a block finite and ≥ 0 (off: the index of its first cell
 * in the table, for the message), their mass added to *m. */
static int check_cells(const char *what, size_t off, size_t cells,
                       const double *a, as_fit_sum *m, as_err *err)
{
  for (size_t i = 0; i < cells; i++) {
    if (!(a[i] >= 0.0) || !isfinite(a[i]))
      return as_err_set(err, AS_EINVAL, "as_fit: %s[%zu] = %g is not a "
                        "finite non-negative weight", what, off + i, a[i]);
    sum_add(m, a[i]);
  }
  return AS_OK;
}

static int check_mass(const char *what, const as_fit_sum *m, as_err *err)
{
  double s = m->s + m->c;
  if (fabs(s - 1.0) > 1e-9)
    return as_err_set(err, AS_EINVAL, "as_fit: %s sums to %.17g, not 1",
                      what, s);
  return AS_OK;
}

static int check_block(const char *what, size_t cells, const double *a,
                       as_err *err)
{
  as_fit_sum m = {0.0, 0.0};
  int rc = check_cells(what, 0, cells, a, &m, err);
  return rc == AS_OK ? check_mass(what, &m, err) : rc;
}

static int check_rows(const char *what, size_t K, size_t V, const double *l,
                      as_err *err)
{
  for (size_t x = 0; x < K; x++) {
    double z = as_logsumexp(l + x * V, V);
    if (!(fabs(z) <= 1e-6))
      return as_err_set(err, AS_EINVAL, "as_fit: %s row %zu is not a "
                        "log-distribution (logsumexp = %g)", what, x, z);
  }
  return AS_OK;
}

static double rho_of(const as_data *d, size_t x)
{
  return d->log_rho ? exp(d->log_rho[x]) : 1.0 / (double)d->K;
}

static double mass(const double *blk, size_t V)
{
  double s = 0.0;
  if (blk != NULL)
    for (size_t i = 0; i < V * V; i++)
      s += blk[i];
  return s;
}

/* Copies w·blk into out (V×V); NULL blk gives NULL. */
static const double *scaled(const double *blk, size_t V, double w, double *out)
{
  if (blk == NULL)
    return NULL;
  for (size_t i = 0; i < V * V; i++)
    out[i] = w * blk[i];
  return out;
}

/* Context block P's win-graph verdict counted into res; 1 when its
 * ridge-free BT MLE does not exist. */
static void graph_verdict(size_t V, const double *P, as_graph_bt *gb)
{
  if (as_graph_bt_check(V, P, gb, NULL) != AS_OK)
    gb->mle_exists = gb->identified = 1; /* ENOMEM: do not claim failure */
}

static int graph_note(const as_graph_bt *gb, as_fit_result *res)
{
  if (!gb->mle_exists)
    res->reward_no_mle++;
  if (!gb->identified)
    res->reward_unidentified++;
  return !gb->mle_exists;
}

static int graph_ctx(size_t V, const double *P, as_fit_result *res)
{
  as_graph_bt gb;
  graph_verdict(V, P, &gb);
  return graph_note(&gb, res);
}

static void fill_graph_counts(const as_data *d, as_fit_result *res,
                              int *no_mle)
{
  res->reward_no_mle = res->reward_unidentified = 0;
  if (d->P == NULL)
    return;
  for (size_t x = 0; x < d->K; x++) {
    int nm = graph_ctx(d->V, d->P + x * d->V * d->V, res);
    if (no_mle != NULL)
      no_mle[x] = nm;
  }
}

int as_reward_graph_report(const as_data *d, int *mle_exists,
                           int *identified, as_err *err)
{
  if (d->P == NULL || d->V < 2)
    return as_err_set(err, AS_EINVAL, "as_reward_graph_report: needs "
                      "labelled weights P and V >= 2");
  for (size_t x = 0; x < d->K; x++) {
    as_graph_bt gb;
    int rc = as_graph_bt_check(d->V, d->P + x * d->V * d->V, &gb, err);
    if (rc != AS_OK)
      return rc;
    if (mle_exists != NULL)
      mle_exists[x] = gb.mle_exists;
    if (identified != NULL)
      identified[x] = gb.identified;
  }
  return AS_OK;
}

/* The report fields of a result (status and counts), not its arrays. */
static void copy_report(as_fit_result *dst, const as_fit_result *src)
{
  dst->status = src->status;
  dst->iterations = src->iterations;
  dst->criterion = src->criterion;
  dst->contexts_not_converged = src->contexts_not_converged;
  dst->reward_no_mle = src->reward_no_mle;
  dst->reward_unidentified = src->reward_unidentified;
  dst->theta_norm = src->theta_norm;
}

/* One context of the reward model: block P (its labelled mass scaled
 * out), so with the gauge set, no_mle its win-graph verdict; rx gets the
 * centred reward, Px is V² scratch, *bad the context's failure. */
static int reward_one(size_t V, const double *P, double ridge,
                      const as_solve_opts *so, int no_mle, double *rx,
                      double *Px, as_fit_result *loc, unsigned char *bad,
                      as_err *err)
{
  double m = mass(P, V), s = m > 0.0 ? m : 1.0;
  as_ctx_data c = {.V = V, .rho = 1.0, .P = scaled(P, V, 1.0 / s, Px),
                   .ridge = ridge / s, .beta = 1.0};
  for (size_t y = 0; y < V; y++)
    rx[y] = 0.0;
  as_solve_info si;
  as_solve_opts sx = *so;
  if (ridge == 0.0 && no_mle)
    sx.max_iter = AS_FIT_DIVERGENT_ITER; /* see fit_core */
  int rc = as_solve_newton(&as_obj_reward, &c, &sx, rx, &si, err);
  if (rc != AS_OK && rc != AS_ENOCONV && rc != AS_EDIVERGE)
    return rc;
  if (ridge == 0.0 && no_mle)
    si.status = AS_EDIVERGE; /* no finite minimiser (as_graph.h) */
  if (bad != NULL)
    *bad = si.status != AS_OK;
  result_note(loc, si.status, si.iterations, si.criterion);
  /* Gauge of docs/reference.md §3: Σ_y r_xy = 0. */
  double mean = 0.0;
  for (size_t y = 0; y < V; y++)
    mean += rx[y] / (double)V;
  for (size_t y = 0; y < V; y++)
    rx[y] -= mean;
  return AS_OK;
}

static void note_reward_failures(const as_fit_result *loc, size_t K,
                                 as_err *err)
{
  if (loc->status != AS_OK)
    as_err_set(err, loc->status, "reward model: %zu of %zu contexts have no "
               "finite ridge-free MLE (win graph criterion) or did not "
               "converge", loc->contexts_not_converged, K);
}

/* The reward model with the solver's tol/max_iter (as_solve_opts) and,
 * when bad is not NULL, bad[x] = 1 for each context not AS_OK (K entries),
 * so that a two-stage fit can count the union of failing contexts. */
static int reward_fit_core(const as_data *d, double ridge,
                           const as_solve_opts *base, double *r,
                           as_fit_result *info, unsigned char *bad,
                           as_err *err)
{
  size_t K = d->K, V = d->V;
  if (K < 1 || V < 2 || d->P == NULL)
    return as_err_set(err, AS_EINVAL, "as_reward_fit: needs K >= 1, V >= 2 "
                      "and labelled weights P");
  if (!(ridge >= 0.0) || !isfinite(ridge))
    return as_err_set(err, AS_EINVAL, "as_reward_fit: ridge %g must be a "
                      "finite value >= 0", ridge);
  int rc = check_block("P", K * V * V, d->P, err);
  if (rc != AS_OK)
    return rc;
  as_fit_result loc;
  memset(&loc, 0, sizeof loc);
  int *no_mle = calloc(K, sizeof *no_mle);
  double *Px = malloc(V * V * sizeof *Px);
  if (no_mle == NULL || Px == NULL) {
    free(no_mle);
    free(Px);
    return as_err_set(err, AS_ENOMEM, "as_reward_fit: out of memory");
  }
  fill_graph_counts(d, &loc, no_mle);
  as_solve_opts so = *base;
  so.gauge = ridge == 0.0; /* the ridge breaks the gauge invariance */
  for (size_t x = 0; x < K; x++) {
    rc = reward_one(V, d->P + x * V * V, ridge, &so, no_mle[x], r + x * V,
                    Px, &loc, bad != NULL ? bad + x : NULL, err);
    if (rc != AS_OK) {
      free(no_mle);
      free(Px);
      return rc;
    }
  }
  loc.theta_norm = centred_norm(K, V, r);
  free(no_mle);
  free(Px);
  if (info != NULL) {
    copy_report(info, &loc);
  }
  note_reward_failures(&loc, K, err);
  return AS_OK;
}

int as_reward_fit(const as_data *d, double ridge, double *r,
                  as_fit_result *info, as_err *err)
{
  as_solve_opts so;
  as_solve_opts_default(&so);
  return reward_fit_core(d, ridge, &so, r, info, NULL, err);
}

int as_reward_fit_tol(const as_data *d, double ridge, double tol,
                      long max_iter, double *r, as_fit_result *info,
                      as_err *err)
{
  if (!(tol >= 0.0) || max_iter < 1)
    return as_err_set(err, AS_EINVAL, "as_reward_fit: tol = %g, max_iter = "
                      "%ld (need tol >= 0, max_iter >= 1)", tol, max_iter);
  as_solve_opts so;
  as_solve_opts_default(&so);
  so.tol = tol;
  so.max_iter = max_iter;
  return reward_fit_core(d, ridge, &so, r, info, NULL, err);
}

/* 1 iff the undirected graph of the V×V block Q (edge a–b when Q_ab +
 * Q_ba > 0, a ≠ b) is connected (depth-first search from 0, O(V²)); idx:
 * 2V scratch.  The pair terms of distill and rebel fix θ_a − θ_b only
 * along such edges (pairs_unidentified in as_fit.h). */
static int pairs_connected(size_t V, const double *Q, size_t *idx)
{
  size_t *seen = idx, *stack = idx + V, top = 0, reached = 1;
  for (size_t y = 0; y < V; y++)
    seen[y] = 0;
  seen[0] = 1;
  stack[top++] = 0;
  while (top > 0) {
    size_t a = stack[--top];
    for (size_t b = 0; b < V; b++)
      if (!seen[b] && (Q[a * V + b] > 0.0 || Q[b * V + a] > 0.0)) {
        seen[b] = 1;
        stack[top++] = b;
        reached++;
      }
  }
  return reached == V;
}

static int needs_reward(as_method m)
{
  return m == AS_METHOD_DISTILL || m == AS_METHOD_REBEL ||
         m == AS_METHOD_REBEL_ITER || m == AS_METHOD_RLHF ||
         m == AS_METHOD_RKL || m == AS_METHOD_SPPO || m == AS_METHOD_NASH;
}

/* The atlas methods solved per context from the labelled weights P alone
 * (docs/reference.md §3.2; scaled by the context's labelled mass, as DPO). */
static int atlas_on_P(as_method m)
{
  return m == AS_METHOD_CDPO || m == AS_METHOD_RDPO || m == AS_METHOD_IPO ||
         m == AS_METHOD_GPO || m == AS_METHOD_SLIC || m == AS_METHOD_SIMPO ||
         m == AS_METHOD_ORPO || m == AS_METHOD_CHIPO;
}

/* Methods whose loss reads log π_ref (it must then have full support). */
static int uses_ref(as_method m)
{
  return m == AS_METHOD_DPO || m == AS_METHOD_CDPO || m == AS_METHOD_RDPO ||
         m == AS_METHOD_IPO || m == AS_METHOD_GPO || m == AS_METHOD_SLIC ||
         m == AS_METHOD_CHIPO;
}

static int is_hinge(const as_fit_opts *o)
{
  return o->method == AS_METHOD_SLIC ||
         (o->method == AS_METHOD_GPO && o->gpo_loss == AS_GPO_HINGE);
}

/* 1 when the context's loss has no finite minimiser by the win-graph
 * criterion (no_mle: as_graph.h) — the logistic-type links that need
 * every pair won both ways in a cycle (DPO, cDPO at ε = 0, GPO logistic
 * and exp, SimPO, χPO) — or, for ORPO, when some response never wins (its
 * SFT term then sends that response to 0). */
static int atlas_no_minimiser(const as_fit_opts *o, const double *P,
                              size_t V, int no_mle)
{
  switch (o->method) {
  case AS_METHOD_CDPO: return o->smoothing == 0.0 && no_mle;
  case AS_METHOD_GPO:
    return (o->gpo_loss == AS_GPO_LOGISTIC || o->gpo_loss == AS_GPO_EXP) &&
           no_mle;
  case AS_METHOD_SIMPO:
  case AS_METHOD_CHIPO: return no_mle;
  case AS_METHOD_ORPO:
    for (size_t a = 0; a < V; a++) {
      double w = 0.0;
      for (size_t b = 0; b < V; b++)
        w += P[a * V + b];
      if (!(w > 0.0))
        return 1;
    }
    return 0;
  default: return 0;
  }
}

/* SPPO or Nash in one context from the fitted reward's preferences. */
static int selfplay_ctx(const as_fit_opts *o, size_t V, const double *r,
                        const double *log_ref, double *log_pi, double *M,
                        as_solve_info *si, int *collapsed, as_err *err)
{
  as_atlas_pref_of_reward(V, r, M);
  si->criterion = 0.0;
  if (o->method == AS_METHOD_SPPO) {
    as_atlas_sppo(V, M, log_ref, o->eta, o->iterations, log_pi, collapsed);
    si->iterations = o->iterations;
    si->status = *collapsed ? AS_EDIVERGE : AS_OK;
    return AS_OK;
  }
  double resid;
  int rc = as_atlas_nash(V, M, log_ref, o->lambda, 1e-12, 10000, log_pi,
                         &si->iterations, &resid, err);
  si->criterion = resid;
  si->status = rc == AS_OK ? AS_OK : AS_ENOCONV;
  return rc == AS_OK || rc == AS_ENOCONV ? AS_OK : rc;
}

static double resolved_ridge(const as_fit_opts *o, const as_data *d)
{
  if (!isnan(o->ridge))
    return o->ridge;
  return isfinite(d->n) ? 1.0 / d->n : 0.0;
}

/* Iterative REBEL in one context (docs/reference.md §3): exact steps θ_{t+1} =
 * argmin rebel_step(θ_t), each solved by Newton (the step objective is
 * quadratic); stops when the RLHF objective's Newton decrement at θ_t is
 * below tol (λ > 0), or after the cap (λ = 0 drifts to argmax r̂ and is
 * reported as AS_ENOCONV). */
static int rebel_iter_ctx(const as_ctx_data *c, const as_solve_opts *so,
                          long cap, double *th, double *prev, long *steps,
                          double *crit, as_err *err)
{
  size_t V = c->V;
  as_ctx_data rl = *c;
  rl.gamma = 0.0;
  as_solve_opts probe = *so;
  probe.max_iter = 0; /* evaluate the criterion only */
  int status = AS_ENOCONV;
  long t;
  *crit = NAN;
  for (t = 0;; t++) {
    if (c->lambda > 0.0) {
      as_solve_info pi;
      memcpy(prev, th, V * sizeof *prev);
      int rc = as_solve_newton(&as_obj_rkl, &rl, &probe, prev, &pi, NULL);
      if (rc != AS_OK && rc != AS_ENOCONV && rc != AS_EDIVERGE)
        return as_err_set(err, rc, "rebel-iter: criterion failed");
      *crit = pi.criterion;
      if (pi.status == AS_OK) {
        status = AS_OK;
        break;
      }
    }
    if (t >= cap)
      break;
    memcpy(prev, th, V * sizeof *prev);
    as_ctx_data sc = *c;
    sc.theta_prev = prev;
    as_solve_info si;
    int rc = as_solve_newton(&as_obj_rebel_step, &sc, so, th, &si, err);
    if (rc == AS_EDIVERGE) {
      status = AS_EDIVERGE;
      break;
    }
    if (rc != AS_OK && rc != AS_ENOCONV)
      return rc;
    /* Keep the gauge Σθ = 0 so the drift at λ = 0 is visible in θ only. */
    double m = 0.0;
    for (size_t y = 0; y < V; y++)
      m += th[y] / (double)V;
    for (size_t y = 0; y < V; y++)
      th[y] -= m;
  }
  *steps = t;
  return status;
}

/* One gradient step of a dense-evaluated loss on every context (the
 * objective's own eval; g: V scratch). */
static int dense_step(const as_fit_opts *o, const as_data *d,
                      const as_objective_type *obj, const as_ctx_data *tmpl,
                      double *th, double *g, as_err *err)
{
  size_t V = d->V;
  for (size_t x = 0; x < d->K; x++) {
    as_ctx_data c = *tmpl;
    c.V = V;
    c.rho = rho_of(d, x);
    c.P = d->P + x * V * V;
    c.log_ref = d->log_ref ? d->log_ref + x * V : NULL;
    double f;
    int rc = obj->eval(&c, th + x * V, &f, g, NULL);
    if (rc != AS_OK)
      return as_err_set(err, rc, "%s: objective cannot be evaluated",
                        obj->name);
    for (size_t y = 0; y < V; y++)
      th[x * V + y] -= o->dpo_lr * g[y];
  }
  return AS_OK;
}

/* Gradient steps on the total loss of a P-based objective (DPO as run in
 * practice, docs/reference.md §6 (E6); any atlas loss of docs/reference.md §3.2 the same way, e.g. the
 * IPO paper's learning curves); tmpl carries the objective's parameters.
 * Each step is −(1/n) Σ N log σ(...)'s gradient alone (P sums to 1 over all
 * contexts).  DPO steps from the record lists of obj_bt_steps (the counts
 * are sparse at small n; the weights were checked by fit_core, check_block);
 * the other losses evaluate densely. */
static int gradient_steps(const as_fit_opts *o, const as_data *d,
                          const as_objective_type *obj,
                          const as_ctx_data *tmpl, double *th,
                          as_fit_result *res, as_err *err)
{
  size_t K = d->K, V = d->V;
  int sparse = obj == &as_obj_dpo, rc = AS_OK;
  obj_bt_steps st;
  double *g = sparse ? NULL : malloc(V * sizeof *g);
  if (sparse ? obj_bt_steps_init(&st, K, V, d->P, d->log_ref,
                                 tmpl->beta_dpo) != AS_OK
             : g == NULL)
    return as_err_set(err, AS_ENOMEM, "as_fit: out of memory");
  for (long s = 0;; s++) {
    /* log π and ‖θ‖ where someone looks: the trace, and the end. */
    if (o->trace != NULL || s >= o->dpo_steps) {
      for (size_t x = 0; x < K; x++)
        as_log_softmax(th + x * V, V, res->log_pi + x * V);
      res->theta_norm = centred_norm(K, V, th);
    }
    res->iterations = s;
    if (o->trace != NULL &&
        o->trace(s, K, V, res->log_pi, res->theta_norm, o->trace_user) != 0)
      break;
    if (s >= o->dpo_steps)
      break;
    if (sparse)
      obj_bt_steps_take(&st, th, o->dpo_lr);
    else if ((rc = dense_step(o, d, obj, tmpl, th, g, err)) != AS_OK)
      break;
  }
  if (sparse)
    obj_bt_steps_free(&st);
  free(g);
  if (rc != AS_OK)
    return rc;
  res->criterion = NAN; /* a fixed step budget, not a solve */
  for (size_t i = 0; i < K * V; i++)
    if (!isfinite(th[i])) {
      res->status = AS_EDIVERGE;
      res->contexts_not_converged = K;
      as_err_set(err, AS_EDIVERGE, "%s: theta overflowed during the "
                 "gradient steps (lr %g too large?)", obj->name, o->dpo_lr);
      break;
    }
  return AS_OK;
}

/* bad (K entries, may be NULL) receives 1 for each context whose policy
 * solve is not AS_OK (as_fit's union with the reward fit's). */
/* PMLE with λ > 0 is not convex in θ (docs/reference.md §3, E6): Newton can stop at a
 * stationary point while the objective keeps falling as a set S of
 * responses is sent to probability 0.  Only a set that beat nobody outside
 * it can escape (otherwise a BT term grows without bound), so for each y
 * take S = y and everything y beat, transitively, and evaluate the
 * objective along θ_S − T.  A value below f(θ̂) exhibits a better point:
 * θ̂ is then not the minimiser, whatever the limit is.  The test is
 * one-sided (other escaping sets are not tried); it never declares a
 * point optimal.  Sets *found to 1 when a lower point was found. */
static int pmle_escape_check(const as_ctx_data *c, const double *th,
                             int *found)
{
  size_t V = c->V;
  double f0;
  *found = 0;
  /* A strongly connected win graph leaves no set to try (every y reaches
   * all responses): one O(V²) check instead of V searches, O(V³). */
  as_graph_bt gb;
  if (as_graph_bt_check(V, c->P, &gb, NULL) == AS_OK && gb.components == 1)
    return AS_OK;
  if (as_obj_pmle.eval(c, th, &f0, NULL, NULL) != AS_OK || !isfinite(f0))
    return AS_OK;
  double *work = malloc(V * sizeof *work);
  unsigned char *inS = malloc(V);
  size_t *stack = malloc(V * sizeof *stack);
  if (work == NULL || inS == NULL || stack == NULL) {
    free(work);
    free(inS);
    free(stack);
    return AS_ENOMEM;
  }
  double tol = 1e-12 * (1.0 + fabs(f0));
  /* shifts in units of 1/β so that βT spans a useful range */
  static const double T_units[] = {2.0, 8.0, 32.0, 128.0};
  for (size_t y = 0; y < V && !*found; y++) {
    memset(inS, 0, V);
    size_t top = 0, size = 0;
    inS[y] = 1;
    stack[top++] = y;
    while (top > 0) {
      size_t a = stack[--top];
      size++;
      for (size_t b = 0; b < V; b++)
        if (b != a && !inS[b] && c->P[a * V + b] > 0.0) {
          inS[b] = 1;
          stack[top++] = b;
        }
    }
    if (size == V) /* shifting every response is the gauge */
      continue;
    for (size_t k = 0; k < sizeof T_units / sizeof T_units[0]; k++) {
      double T = T_units[k] / fmin(c->beta, 1.0), f;
      for (size_t i = 0; i < V; i++)
        work[i] = th[i] - (inS[i] ? T : 0.0);
      if (as_obj_pmle.eval(c, work, &f, NULL, NULL) == AS_OK &&
          f < f0 - tol) {
        *found = 1;
        break;
      }
    }
  }
  free(work);
  free(inS);
  free(stack);
  return AS_OK;
}

/* What fit_core settles once for all contexts. */
typedef struct fit_plan {
  as_fit_opts o;  /* with the declared hyperparameters resolved */
  as_method m;
  size_t K, V;
  double beta, lambda, gamma, beta_dpo, eta, ridge;
  long cap;
  int need_P, need_Q, mle_type;
  const as_objective_type *obj;
  as_solve_opts so;
} fit_plan;

/* The options, and which inputs a method needs (have_*: given or not). */
static int plan_args(const as_fit_opts *o, size_t K, size_t V, int have_P,
                     int have_Q, int have_r, fit_plan *p, as_err *err)
{
  as_method m = o->method;
  double beta = o->beta, lambda = o->lambda;
  double gamma = m == AS_METHOD_RLHF ? 0.0 : (isnan(o->gamma) ? beta : o->gamma);
  double beta_dpo = isnan(o->beta_dpo) ? beta : o->beta_dpo;
  int rc;
  if (!(beta > 0.0) || !isfinite(beta))
    return as_err_set(err, AS_EINVAL, "as_fit: beta = %g must be > 0", beta);
  if (!(lambda >= 0.0) || !isfinite(lambda))
    return as_err_set(err, AS_EINVAL, "as_fit: lambda = %g must be >= 0",
                      lambda);
  if (!(gamma >= 0.0) || !isfinite(gamma))
    return as_err_set(err, AS_EINVAL, "as_fit: gamma = %g must be >= 0",
                      gamma);
  if (!(beta_dpo > 0.0) || !isfinite(beta_dpo))
    return as_err_set(err, AS_EINVAL, "as_fit: beta_dpo = %g must be > 0",
                      beta_dpo);
  if (!(o->tol >= 0.0) || o->max_iter < 1)
    return as_err_set(err, AS_EINVAL, "as_fit: tol = %g, max_iter = %ld",
                      o->tol, o->max_iter);
  /* Declared hyperparameters (as_hparam.h): defaults and ranges. */
  memset(p, 0, sizeof *p);
  p->o = *o;
  const as_method_decl *decl =
      as_hparam_find(as_hparam_table_default(), as_method_name(m));
  if (decl != NULL &&
      (rc = as_hparam_resolve_check(decl, &p->o, err)) != AS_OK)
    return rc;
  if (m == AS_METHOD_NASH && !(lambda > 0.0))
    return as_err_set(err, AS_EINVAL, "as_fit: nash needs lambda > 0 (the "
                      "KL weight of the regularised game), got %g", lambda);
  if (K < 1 || V < 2)
    return as_err_set(err, AS_EINVAL, "as_fit: K = %zu, V = %zu (need K >= 1"
                      ", V >= 2)", K, V);
  p->need_P = !(m == AS_METHOD_RLHF || m == AS_METHOD_RKL ||
                m == AS_METHOD_REBEL_ITER || m == AS_METHOD_SPPO ||
                m == AS_METHOD_NASH);
  p->need_Q = m == AS_METHOD_DISTILL || m == AS_METHOD_REBEL;
  if (p->need_P && !have_P)
    return as_err_set(err, AS_EINVAL, "as_fit: %s needs labelled weights P",
                      as_method_name(m));
  if (p->need_Q && !have_Q)
    return as_err_set(err, AS_EINVAL, "as_fit: %s needs unlabelled pair "
                      "weights Q", as_method_name(m));
  if (needs_reward(m) && !have_r)
    return as_err_set(err, AS_EINVAL, "as_fit: %s needs a reward",
                      as_method_name(m));
  p->m = m;
  p->K = K;
  p->V = V;
  p->beta = beta;
  p->lambda = lambda;
  p->gamma = gamma;
  p->beta_dpo = beta_dpo;
  return AS_OK;
}

static const as_objective_type *objective_of(as_method m)
{
  switch (m) {
  case AS_METHOD_PMLE: return &as_obj_pmle;
  case AS_METHOD_DPO: return &as_obj_dpo;
  case AS_METHOD_DISTILL: return &as_obj_distill;
  case AS_METHOD_REBEL: return &as_obj_rebel;
  case AS_METHOD_CDPO: return &as_obj_cdpo;
  case AS_METHOD_RDPO: return &as_obj_rdpo;
  case AS_METHOD_IPO: return &as_obj_ipo;
  case AS_METHOD_GPO: return &as_obj_gpo;
  case AS_METHOD_SIMPO: return &as_obj_simpo;
  case AS_METHOD_ORPO: return &as_obj_orpo;
  case AS_METHOD_CHIPO: return &as_obj_chipo;
  default: return &as_obj_rkl;
  }
}

/* The rows of log ρ and log π_ref normalised (K contexts of V). */
static int check_ref_rows(const as_data *d, size_t K, size_t V, as_err *err)
{
  int rc;
  if (d->log_rho != NULL && (rc = check_rows("log_rho", 1, K, d->log_rho,
                                             err)) != AS_OK)
    return rc;
  if (d->log_ref != NULL &&
      (rc = check_rows("log_ref", K, V, d->log_ref, err)) != AS_OK)
    return rc;
  return AS_OK;
}

/* The checks of ρ, π_ref (rows: 0 when as_fit_check made them) and the
 * reward (K·V, may be NULL: the streamed fit checks its rows as they
 * come), then the method's own options. */
static int plan_refs(fit_plan *p, const as_data *d, const double *reward,
                     int rows, as_err *err)
{
  size_t K = p->K, V = p->V;
  as_method m = p->m;
  double lambda = p->lambda;
  int rc;
  if (rows && (rc = check_ref_rows(d, K, V, err)) != AS_OK)
    return rc;
  if (d->log_ref != NULL && (lambda > 0.0 || uses_ref(m)))
    for (size_t i = 0; i < K * V; i++)
      if (!isfinite(d->log_ref[i]))
        return as_err_set(err, AS_EINVAL, "as_fit: %s with lambda = %g needs "
                          "pi_ref of full support (log_ref[%zu] = %g)",
                          as_method_name(m), lambda, i, d->log_ref[i]);
  if (reward != NULL)
    for (size_t i = 0; i < K * V; i++)
      if (!isfinite(reward[i]))
        return as_err_set(err, AS_EINVAL, "as_fit: reward[%zu] = %g is not "
                          "finite", i, reward[i]);
  const as_fit_opts *o = &p->o;
  double ridge = resolved_ridge(o, d);
  if (m == AS_METHOD_REWARD && (!(ridge >= 0.0) || !isfinite(ridge)))
    return as_err_set(err, AS_EINVAL, "as_fit: ridge = %g must be >= 0",
                      ridge);
  double eta = o->eta;
  long cap = o->iterations > 0 ? o->iterations : 1000;
  if (m == AS_METHOD_REBEL_ITER) {
    if (isnan(eta)) {
      if (lambda == 0.0)
        return as_err_set(err, AS_EINVAL, "as_fit: rebel-iter at lambda = 0 "
                          "needs an explicit eta (default eta = 1/lambda)");
      eta = 1.0 / lambda;
    }
    if (!(eta > 0.0) || !isfinite(eta))
      return as_err_set(err, AS_EINVAL, "as_fit: rebel-iter: eta = %g must "
                        "be > 0", eta);
    if (!(eta * lambda < 2.0))
      return as_err_set(err, AS_EINVAL, "as_fit: rebel-iter converges only "
                        "for 0 < eta*lambda < 2 (docs/reference.md §3: each step scales "
                        "the error by 1 - eta*lambda); got eta = %g, lambda "
                        "= %g, eta*lambda = %g", eta, lambda, eta * lambda);
  }
  if ((m == AS_METHOD_DPO || atlas_on_P(m)) && o->dpo_steps > 0 &&
      !(o->dpo_lr > 0.0))
    return as_err_set(err, AS_EINVAL, "as_fit: dpo_lr = %g must be > 0",
                      o->dpo_lr);
  p->ridge = ridge;
  p->eta = eta;
  p->cap = cap;
  p->obj = objective_of(m);
  /* An MLE-type objective without regulariser has no finite minimiser
   * where the win graph fails the criterion. */
  p->mle_type = m == AS_METHOD_DPO || (m == AS_METHOD_PMLE && lambda == 0.0);
  as_solve_opts_default(&p->so);
  p->so.tol = o->tol;
  p->so.max_iter = o->max_iter;
  p->so.logp_floor = AS_FIT_LOGP_FLOOR;
  return AS_OK;
}

/* Context x's data as fit_one's solves see them: weights scaled to mass
 * 1 (ρ with them), Pb, Qb scaled into buf (2V² scratch). */
static as_ctx_data ctx_of(const fit_plan *p, const as_data *d, size_t x,
                          const double *Pb, const double *Qb,
                          const double *rx, double *buf)
{
  size_t V = p->V;
  as_method m = p->m;
  const as_fit_opts *o = &p->o;
  double rho = rho_of(d, x);
  double s = m == AS_METHOD_DPO || atlas_on_P(m) ? mass(Pb, V) : rho;
  if (!(s > 0.0))
    s = 1.0;
  return (as_ctx_data){.V = V, .rho = rho / s,
                       .P = p->need_P ? scaled(Pb, V, 1.0 / s, buf) : NULL,
                       .Q = scaled(Qb, V, 1.0 / s, buf + V * V),
                       .log_ref = d->log_ref ? d->log_ref + x * V : NULL,
                       .reward = rx,
                       .beta = p->beta, .beta_dpo = p->beta_dpo,
                       .lambda = p->lambda, .gamma = p->gamma, .eta = p->eta,
                       .eps = m == AS_METHOD_RDPO ? o->flip : o->smoothing,
                       .tau = o->tau, .margin = o->margin, .alpha = o->alpha,
                       .loss = m == AS_METHOD_SLIC ? AS_GPO_HINGE
                                                   : o->gpo_loss};
}

/* Context x of a policy solve (the per-context loop of fit_core): Pb, Qb
 * its blocks (NULL when absent), rx its reward row (may be NULL), no_mle
 * its win-graph verdict, tx its θ (start value in, solution out); buf:
 * 2V² + V scratch.  Writes log π row x of res and notes the status.
 * prep: context x's prepared objective (as_fit_check_prepare), or NULL. */
static int fit_one(const fit_plan *p, const as_data *d, size_t x,
                   const double *Pb, const double *Qb, const double *rx,
                   int no_mle, const as_obj_prep *prep, double *tx,
                   double *buf, as_fit_result *res, unsigned char *bad,
                   as_err *err)
{
  size_t V = p->V;
  as_method m = p->m;
  const as_fit_opts *o = &p->o;
  double beta_dpo = p->beta_dpo, lambda = p->lambda;
  int rc = AS_OK;
  as_ctx_data c = ctx_of(p, d, x, Pb, Qb, rx, buf);
  as_solve_info si = {0};
  int unbounded = 0;
  if (m == AS_METHOD_RDPO) {
    double slope;
    if ((rc = as_atlas_rdpo_recession(V, c.P, c.eps, beta_dpo, &slope,
                                      err)) != AS_OK)
      return rc;
    unbounded = slope < -1e-12;
  }
  if (unbounded) {
    /* Unbounded below: no point is returned (docs/reference.md §3.2). */
    si.status = AS_EDIVERGE;
    res->unbounded++;
  } else if (m == AS_METHOD_SPPO || m == AS_METHOD_NASH) {
    int col = 0;
    if ((rc = selfplay_ctx(o, V, c.reward, c.log_ref, tx, buf, &si, &col,
                           err)) != AS_OK)
      return rc;
    res->collapsed += (size_t)col;
  } else if (is_hinge(o)) {
    int unique = 1;
    double val;
    if ((rc = as_atlas_hinge_lp(V, c.P, c.log_ref, beta_dpo, tx, &unique,
                                &val, err)) != AS_OK)
      return rc;
    si.status = AS_OK;
    res->not_unique += !unique;
  } else if (m == AS_METHOD_REBEL_ITER) {
    c.rho = 1.0;
    long steps = 0;
    double crit = NAN;
    int st = rebel_iter_ctx(&c, &p->so, p->cap, tx, buf + 2 * V * V, &steps,
                            &crit, err);
    if (st != AS_OK && st != AS_ENOCONV && st != AS_EDIVERGE)
      return st;
    si.status = st;
    si.iterations = steps;
    si.criterion = crit;
  } else {
    /* Known to have no finite minimiser: a bounded run shows the
     * run-away (‖θ‖ grows ~1 nat per Newton step) without spending the
     * full cap on it. */
    as_solve_opts sx = p->so;
    int nomin = (p->mle_type && no_mle) ||
                (atlas_on_P(m) && atlas_no_minimiser(o, c.P, V, no_mle));
    if (nomin && sx.max_iter > AS_FIT_DIVERGENT_ITER)
      sx.max_iter = AS_FIT_DIVERGENT_ITER;
    if (nomin) /* its bounded run shows the run-away in full */
      sx.logp_floor = -INFINITY;
    /* the preparation is the solver's alone: the escape check below
     * evaluates the plain form, as without one */
    as_ctx_data cs = c;
    cs.prep = prep;
    int st = as_solve_newton(p->obj, &cs, &sx, tx, &si, err);
    if (st != AS_OK && st != AS_ENOCONV && st != AS_EDIVERGE)
      return st;
    if (nomin)
      si.status = AS_EDIVERGE;
    if (m == AS_METHOD_PMLE && lambda > 0.0 && si.status == AS_OK) {
      int lower = 0;
      if ((rc = pmle_escape_check(&c, tx, &lower)) != AS_OK)
        return as_err_set(err, rc, "as_fit: out of memory");
      if (lower) {
        si.status = AS_ENOCONV;
        res->pmle_escapes++;
      }
    }
  }
  double *lp = res->log_pi + x * V;
  as_log_softmax(tx, V, lp);
  if (unbounded)
    for (size_t y = 0; y < V; y++)
      lp[y] = NAN;
  for (size_t y = 0; y < V; y++)
    if (si.status == AS_OK && lp[y] < AS_FIT_LOGP_FLOOR)
      si.status = AS_ENOCONV;
  if (bad != NULL)
    *bad = si.status != AS_OK;
  result_note(res, si.status, si.iterations, si.criterion);
  return AS_OK;
}

/* The start θ of context x: log π_ref, or uniform. */
static void start_row(const as_data *d, size_t x, double *tx)
{
  for (size_t y = 0; y < d->V; y++)
    tx[y] = d->log_ref ? d->log_ref[x * d->V + y] : -log((double)d->V);
}

/* The message of a policy fit with failing contexts. */
static void note_failures(const fit_plan *p, const as_fit_result *res,
                          as_err *err)
{
  if (res->status != AS_OK && res->contexts_not_converged > 0)
    as_err_set(err, res->status, "%s: %zu of %zu contexts %s (largest "
               "criterion %.3g, ||theta|| = %.6g)", as_method_name(p->m),
               res->contexts_not_converged, p->K,
               res->status == AS_EDIVERGE ? "have no finite minimiser or "
               "diverged" : "did not converge", res->criterion,
               res->theta_norm);
}

/* The reward model of fit_core (method "reward"): its policy π_r =
 * softmax(r/β), row by row. */
static int fit_reward_method(const fit_plan *p, const as_data *d,
                             as_fit_result *res, unsigned char *bad,
                             as_err *err)
{
  as_fit_result info;
  as_solve_opts rso;
  as_solve_opts_default(&rso);
  rso.tol = p->o.tol; /* the caller's tolerances (validated above) */
  rso.max_iter = p->o.max_iter;
  int rc = reward_fit_core(d, p->ridge, &rso, res->reward, &info, bad, err);
  if (rc != AS_OK) {
    as_fit_result_free(res);
    return rc;
  }
  copy_report(res, &info);
  for (size_t x = 0; x < p->K; x++)
    reward_policy_row(p->V, p->beta, res->reward + x * p->V,
                      res->log_pi + x * p->V);
  return AS_OK;
}

/* The win-graph counts of d->P into res and no_mle[K]: from chk when
 * as_fit_check made them, else computed. */
static void graph_counts(const as_data *d, const as_fit_checked *chk,
                         as_fit_result *res, int *no_mle)
{
  if (chk == NULL) {
    fill_graph_counts(d, res, no_mle);
    return;
  }
  res->reward_no_mle = chk->reward_no_mle;
  res->reward_unidentified = chk->reward_unidentified;
  memcpy(no_mle, chk->no_mle, d->K * sizeof *no_mle);
}

/* chk's prepared objectives (as_fit_check_prepare) when they were made
 * for p's method and β and this reward; else NULL (each solve prepares
 * its own). */
static as_obj_prep *const *chk_prep(const as_fit_checked *chk,
                                    const fit_plan *p, const double *reward)
{
  if (chk == NULL || chk->prep == NULL || chk->prep_method != p->m ||
      chk->prep_beta != p->beta || chk->prep_reward != reward)
    return NULL;
  return chk->prep;
}

/* A context given up (as_fit_opts.ctx_done, as_fit_stream_skip): no
 * policy (NaN row lp), θ row th 0 (out of ‖θ‖), noted on res as not
 * converged. */
static void note_given_up(as_fit_result *res, size_t V, double *lp,
                          double *th)
{
  for (size_t y = 0; y < V; y++) {
    lp[y] = NAN;
    th[y] = 0.0;
  }
  result_note(res, AS_ENOCONV, 0, NAN);
  res->given_up++;
}

/* Contexts from..K−1 given up. */
static void give_up(as_fit_result *res, size_t K, size_t V, size_t from,
                    double *th, unsigned char *bad)
{
  for (size_t x = from; x < K; x++) {
    note_given_up(res, V, res->log_pi + x * V, th + x * V);
    if (bad != NULL)
      bad[x] = 1;
  }
}

/* The per-context solves of fit_core over all K contexts. */
static int fit_contexts(const fit_plan *p, const as_data *d,
                        const as_fit_checked *chk, const double *reward,
                        as_fit_result *res, unsigned char *bad, as_err *err)
{
  size_t K = p->K, V = p->V;
  int *no_mle = calloc(K, sizeof *no_mle);
  double *th = malloc(K * V * sizeof *th);
  double *buf = malloc((2 * V * V + V) * sizeof *buf);
  size_t *mark = malloc(2 * V * sizeof *mark);
  int rc = AS_OK;
  if (no_mle == NULL || th == NULL || buf == NULL || mark == NULL)
    rc = as_err_set(err, AS_ENOMEM, "as_fit: out of memory");
  if (rc == AS_OK) {
    graph_counts(d, chk, res, no_mle);
    if (p->need_Q && p->lambda == 0.0)
      for (size_t x = 0; x < K; x++)
        res->pairs_unidentified += !pairs_connected(V, d->Q + x * V * V,
                                                    mark);
    for (size_t x = 0; x < K; x++)
      start_row(d, x, th + x * V);
  }
  if (rc == AS_OK && (p->m == AS_METHOD_DPO ||
                      (atlas_on_P(p->m) && !is_hinge(&p->o))) &&
      p->o.dpo_steps > 0) {
    as_ctx_data t = {.beta = p->beta, .beta_dpo = p->beta_dpo,
                     .eps = p->m == AS_METHOD_RDPO ? p->o.flip
                                                   : p->o.smoothing,
                     .tau = p->o.tau, .margin = p->o.margin,
                     .alpha = p->o.alpha,
                     .loss = p->m == AS_METHOD_SLIC ? AS_GPO_HINGE
                                                    : p->o.gpo_loss};
    if (p->o.dpo_theta != NULL && p->o.dpo_resume)
      memcpy(th, p->o.dpo_theta, K * V * sizeof *th);
    rc = gradient_steps(&p->o, d, p->obj, &t, th, res, err);
    if (rc == AS_OK && p->o.dpo_theta != NULL)
      memcpy(p->o.dpo_theta, th, K * V * sizeof *th);
  } else if (rc == AS_OK && (p->m == AS_METHOD_RLHF ||
                             p->m == AS_METHOD_RKL) &&
             p->lambda + p->gamma > 0.0) {
    /* Tabular RLHF/RKL: the exact closed form (docs/reference.md §3).  Newton reaches
     * it too (tests/test_solve.c), but only while log π_λ stays above the
     * double underflow (≈ −745), which small λ exceeds (log π_λ ∝ r̂/λ). */
    as_rkl_closed_form(K, V, d->log_ref, reward, p->lambda, p->gamma,
                       res->log_pi);
    for (size_t i = 0; i < K * V; i++)
      th[i] = res->log_pi[i];
    res->theta_norm = centred_norm(K, V, th);
    res->criterion = 0.0;
  } else if (rc == AS_OK && (p->m == AS_METHOD_RLHF ||
                             p->m == AS_METHOD_RKL)) {
    /* RLHF at λ = 0: no minimiser; return the limit, flagged. */
    as_rkl_closed_form(K, V, d->log_ref, reward, 0.0, 0.0, res->log_pi);
    res->status = AS_EDIVERGE;
    res->contexts_not_converged = K;
    if (bad != NULL)
      memset(bad, 1, K);
    res->theta_norm = INFINITY;
    as_err_set(err, AS_EDIVERGE, "%s at lambda + gamma = 0 has no finite "
               "minimiser; returned its limit, uniform on argmax r",
               as_method_name(p->m));
  } else if (rc == AS_OK) {
    as_obj_prep *const *prep = chk_prep(chk, p, reward);
    size_t x;
    for (x = 0; x < K && rc == AS_OK; x++) {
      size_t nc = res->contexts_not_converged;
      rc = fit_one(p, d, x, d->P ? d->P + x * V * V : NULL,
                   p->need_Q ? d->Q + x * V * V : NULL,
                   reward ? reward + x * V : NULL, no_mle[x],
                   prep != NULL ? prep[x] : NULL, th + x * V, buf, res,
                   bad != NULL ? bad + x : NULL, err);
      if (rc == AS_OK && p->o.ctx_done != NULL &&
          p->o.ctx_done(x, res->log_pi + x * V,
                        res->contexts_not_converged > nc ? AS_ENOCONV : AS_OK,
                        p->o.ctx_user)) {
        give_up(res, K, V, x + 1, th, bad);
        break;
      }
    }
    res->theta_norm = centred_norm(K, V, th);
  }
  free(no_mle);
  free(th);
  free(buf);
  free(mark);
  return rc;
}

/* The fit of d; chk: d's checks made by as_fit_check (chk->d == d), or
 * NULL to make them here. */
static int fit_core(const as_fit_opts *o, const as_data *d,
                    const as_fit_checked *chk, const double *reward,
                    as_fit_result *res, unsigned char *bad, as_err *err)
{
  size_t K = d->K, V = d->V;
  fit_plan p;
  int rc = plan_args(o, K, V, d->P != NULL, d->Q != NULL, reward != NULL, &p,
                     err);
  if (rc != AS_OK)
    return rc;
  if (chk == NULL && d->P != NULL &&
      (rc = check_block("P", K * V * V, d->P, err)) != AS_OK)
    return rc;
  if (chk == NULL && p.need_Q &&
      (rc = check_block("Q", K * V * V, d->Q, err)) != AS_OK)
    return rc;
  if ((rc = plan_refs(&p, d, reward, chk == NULL, err)) != AS_OK)
    return rc;
  as_method m = p.m;
  rc = result_init(res, K, V, m == AS_METHOD_REWARD || reward != NULL, err);
  if (rc != AS_OK)
    return rc;
  if (reward != NULL && m != AS_METHOD_REWARD)
    memcpy(res->reward, reward, K * V * sizeof *reward);

  if (bad != NULL)
    memset(bad, 0, K);
  if (m == AS_METHOD_REWARD)
    return fit_reward_method(&p, d, res, bad, err);
  rc = fit_contexts(&p, d, chk, reward, res, bad, err);
  if (rc != AS_OK) {
    as_fit_result_free(res);
    return rc;
  }
  note_failures(&p, res, err);
  as_fit_finite_status(res, d->log_ref, err);
  return AS_OK;
}

int as_fit_finite_status(as_fit_result *res, const double *log_ref,
                         as_err *err)
{
  /* a fit given up has contexts without rows (NaN): not ok already */
  if (res->given_up > 0)
    return res->status;
  size_t KV = res->K * res->V;
  const char *what = NULL;
  size_t at = 0;
  double v = 0.0;
  /* A declared divergence (AS_EDIVERGE: e.g. RLHF at λ = 0 returns its
   * limit, uniform on argmax r̂, with ‖θ‖ = ∞) keeps its zeros and its
   * infinite norm; a NaN or +inf is non-finite whatever the status. */
  int declared = res->status == AS_EDIVERGE;
  /* rdpo's unbounded contexts have no point at all: their NaN log pi is
   * the declared absence (fit writes nothing), not an overflow */
  int no_point = declared && res->unbounded > 0;
  for (size_t i = 0; what == NULL && res->log_pi != NULL && i < KV; i++) {
    v = res->log_pi[i];
    int ref_zero = declared || (log_ref != NULL && log_ref[i] == -INFINITY);
    if ((isnan(v) && !no_point) || v == INFINITY ||
        (v == -INFINITY && !ref_zero)) {
      what = "log pi";
      at = i;
    }
  }
  for (size_t i = 0; what == NULL && res->reward != NULL && i < KV; i++)
    if (isnan(v = res->reward[i]) || (!declared && isinf(v))) {
      what = "reward";
      at = i;
    }
  if (what == NULL && !declared && isinf(res->theta_norm)) {
    what = "||theta||";
    v = res->theta_norm;
  }
  if (what == NULL)
    return res->status;
  res->status = AS_ENONFINITE;
  if (what[0] == '|')
    as_err_set(err, AS_ENONFINITE, "non-finite result: %s = %g", what, v);
  else
    as_err_set(err, AS_ENONFINITE, "non-finite result: %s = %g at context "
               "%zu, response %zu", what, v, at / res->V, at % res->V);
  return res->status;
}

int as_fit_with_reward(const as_fit_opts *o, const as_data *d,
                       const double *reward, as_fit_result *res,
                       as_err *err)
{
  return fit_core(o, d, NULL, needs_reward(o->method) ? reward : NULL, res,
                  NULL, err);
}

int as_fit_check(const as_data *d, as_fit_checked *chk, as_err *err)
{
  size_t K = d->K, V = d->V;
  memset(chk, 0, sizeof *chk);
  int rc;
  if (d->P != NULL && (rc = check_block("P", K * V * V, d->P, err)) != AS_OK)
    return rc;
  if (d->Q != NULL && (rc = check_block("Q", K * V * V, d->Q, err)) != AS_OK)
    return rc;
  if ((rc = check_ref_rows(d, K, V, err)) != AS_OK)
    return rc;
  chk->no_mle = calloc(K > 0 ? K : 1, sizeof *chk->no_mle);
  if (chk->no_mle == NULL)
    return as_err_set(err, AS_ENOMEM, "as_fit_check: out of memory");
  as_fit_result counts = {0};
  fill_graph_counts(d, &counts, chk->no_mle);
  chk->reward_no_mle = counts.reward_no_mle;
  chk->reward_unidentified = counts.reward_unidentified;
  chk->d = d;
  return AS_OK;
}

static void free_preps(as_fit_checked *chk)
{
  for (size_t x = 0; chk->prep != NULL && x < chk->d->K; x++)
    as_obj_prep_free(chk->prep[x]);
  free(chk->prep);
  chk->prep = NULL;
}

void as_fit_checked_free(as_fit_checked *chk)
{
  free(chk->no_mle);
  chk->no_mle = NULL;
  free_preps(chk);
}

int as_fit_check_prepare(as_fit_checked *chk, const as_fit_opts *o,
                         const double *reward, as_err *err)
{
  const as_data *d = chk->d;
  size_t K = d->K, V = d->V;
  if (chk->prep != NULL)
    return as_err_set(err, AS_EINVAL, "as_fit_check_prepare: prepared "
                      "already");
  reward = needs_reward(o->method) ? reward : NULL; /* as the fit does */
  fit_plan p;
  int rc = plan_args(o, K, V, d->P != NULL, d->Q != NULL, reward != NULL, &p,
                     err);
  if (rc != AS_OK || (rc = plan_refs(&p, d, reward, 0, err)) != AS_OK)
    return rc;
  chk->prep = calloc(K, sizeof *chk->prep);
  double *buf = malloc(2 * V * V * sizeof *buf);
  for (size_t x = 0; x < K && chk->prep != NULL && buf != NULL &&
                     rc == AS_OK; x++) {
    as_ctx_data c = ctx_of(&p, d, x, d->P ? d->P + x * V * V : NULL,
                           p.need_Q ? d->Q + x * V * V : NULL,
                           reward ? reward + x * V : NULL, buf);
    rc = as_solve_prepare(p.obj, &c, &p.so, &chk->prep[x]);
  }
  free(buf);
  if (chk->prep == NULL || buf == NULL || rc != AS_OK) {
    free_preps(chk);
    return as_err_set(err, AS_ENOMEM, "as_fit_check_prepare: out of memory");
  }
  chk->prep_method = p.m;
  chk->prep_beta = p.beta;
  chk->prep_reward = reward;
  return AS_OK;
}

int as_fit_with_reward_checked(const as_fit_opts *o,
                               const as_fit_checked *chk,
                               const double *reward, as_fit_result *res,
                               as_err *err)
{
  return fit_core(o, chk->d, chk, needs_reward(o->method) ? reward : NULL,
                  res, NULL, err);
}

int as_fit(const as_fit_opts *o, const as_data *d, as_fit_result *res,
           as_err *err)
{
  if (!needs_reward(o->method))
    return fit_core(o, d, NULL, NULL, res, NULL, err);
  if (d->P == NULL || d->K < 1 || d->V < 2)
    return as_err_set(err, AS_EINVAL, "as_fit: %s fits a reward from "
                      "labelled weights P first; none given",
                      as_method_name(o->method));
  if (!(o->tol >= 0.0) || o->max_iter < 1)
    return as_err_set(err, AS_EINVAL, "as_fit: tol = %g, max_iter = %ld",
                      o->tol, o->max_iter);
  double ridge = resolved_ridge(o, d);
  size_t K = d->K;
  double *r = malloc(K * d->V * sizeof *r);
  unsigned char *bad_r = calloc(K, 1), *bad_p = calloc(K, 1);
  if (r == NULL || bad_r == NULL || bad_p == NULL) {
    free(r);
    free(bad_r);
    free(bad_p);
    return as_err_set(err, AS_ENOMEM, "as_fit: out of memory");
  }
  as_fit_result info;
  memset(&info, 0, sizeof info);
  as_err rerr;
  as_err_clear(&rerr);
  /* The caller's tolerances hold for the reward stage too. */
  as_solve_opts rso;
  as_solve_opts_default(&rso);
  rso.tol = o->tol;
  rso.max_iter = o->max_iter;
  int rc = reward_fit_core(d, ridge, &rso, r, &info, bad_r, &rerr);
  if (rc != AS_OK) {
    if (err != NULL)
      *err = rerr;
    free(r);
    free(bad_r);
    free(bad_p);
    return rc;
  }
  rc = fit_core(o, d, NULL, r, res, bad_p, err);
  free(r);
  if (rc != AS_OK) {
    free(bad_r);
    free(bad_p);
    return rc;
  }
  /* The reward fit's failures are the policy's too (never silent); a
   * context counts once whichever stage (or both) failed there. */
  res->status = status_merge(res->status, info.status);
  size_t nbad = 0;
  for (size_t x = 0; x < K; x++)
    nbad += bad_r[x] || bad_p[x];
  res->contexts_not_converged = nbad;
  free(bad_r);
  free(bad_p);
  if (info.status != AS_OK && err != NULL && err->code == AS_OK)
    *err = rerr;
  as_fit_finite_status(res, d->log_ref, err);
  return AS_OK;
}

/* ---- the same fits context by context (issue 8) */

/* One context's solve apart from a stream's running state (issue 8): its
 * report (status, counts) and θ row, merged in context order by
 * as_fit_stream_merge; buf: fit_one's scratch, its own or the caller's
 * (lent = 1), mark: pairs_connected's. */
struct as_fit_part {
  size_t x;           /* the context solved                        */
  as_fit_result loc;  /* the context's report; arrays: the stream's */
  double *th, *buf;   /* V and 2V² + V                             */
  size_t *mark;       /* 2V                                        */
  int lent;           /* buf is the caller's                       */
};

struct as_fit_stream {
  fit_plan p;
  as_data d;          /* K, V, n, ρ and π_ref; no P, Q            */
  int reward_only;    /* as_reward_fit's stream                   */
  as_solve_opts rso;  /* the reward model's solver options        */
  size_t x;           /* next context                             */
  as_fit_result res;  /* filled row by row                        */
  double sq;          /* running ‖θ‖²                            */
  as_fit_sum mass_P, mass_Q; /* running Σ P, Σ Q                  */
  as_fit_part *own;   /* as_fit_stream_block's part               */
};

void as_fit_part_free(as_fit_part *pt)
{
  if (pt == NULL)
    return;
  free(pt->th);
  free(pt->mark);
  if (!pt->lent)
    free(pt->buf);
  free(pt);
}

as_fit_part *as_fit_part_new(size_t V, double *scratch)
{
  as_fit_part *pt = calloc(1, sizeof *pt);
  if (pt == NULL)
    return NULL;
  pt->th = malloc(V * sizeof *pt->th);
  pt->mark = malloc(2 * V * sizeof *pt->mark);
  pt->lent = scratch != NULL;
  pt->buf = scratch != NULL ? scratch
                            : malloc((2 * V * V + V) * sizeof *pt->buf);
  if (pt->th == NULL || pt->buf == NULL || pt->mark == NULL) {
    as_fit_part_free(pt);
    return NULL;
  }
  return pt;
}

void as_fit_stream_free(as_fit_stream *s)
{
  if (s == NULL)
    return;
  as_fit_result_free(&s->res);
  as_fit_part_free(s->own);
  free(s);
}

static int stream_alloc(as_fit_stream *s, int want_pi, int want_r,
                        as_err *err)
{
  size_t K = s->d.K, V = s->d.V;
  s->res.K = K;
  s->res.V = V;
  s->res.log_pi = want_pi ? malloc(K * V * sizeof(double)) : NULL;
  s->res.reward = want_r ? malloc(K * V * sizeof(double)) : NULL;
  if ((want_pi && s->res.log_pi == NULL) || (want_r && s->res.reward == NULL))
    return as_err_set(err, AS_ENOMEM, "as_fit: out of memory");
  return AS_OK;
}

static as_fit_stream *stream_new(const as_data *d, as_err *err)
{
  as_fit_stream *s = calloc(1, sizeof *s);
  if (s == NULL) {
    as_err_set(err, AS_ENOMEM, "as_fit: out of memory");
    return NULL;
  }
  s->d = *d;
  s->d.P = s->d.Q = NULL;
  s->res.status = AS_OK;
  return s;
}

int as_fit_stream_new(const as_fit_opts *o, const as_data *d,
                      int with_reward, as_fit_stream **out, as_err *err)
{
  *out = NULL;
  as_method m = o->method;
  as_fit_stream *s = stream_new(d, err);
  if (s == NULL)
    return AS_ENOMEM;
  int with_r = needs_reward(m) && with_reward;
  int rc = plan_args(o, d->K, d->V, 1, 1, with_r, &s->p, err);
  /* fit_contexts' whole-K paths: the closed forms, total-loss steps */
  if (rc == AS_OK && (m == AS_METHOD_RLHF || m == AS_METHOD_RKL ||
                      ((m == AS_METHOD_DPO || atlas_on_P(m)) &&
                       !is_hinge(&s->p.o) && s->p.o.dpo_steps > 0)))
    rc = as_err_set(err, AS_ENOTSUP, "as_fit: %s is not fitted context by "
                    "context here (closed form or total-loss steps)",
                    as_method_name(m));
  if (rc == AS_OK)
    rc = plan_refs(&s->p, d, NULL, 1, err);
  if (rc == AS_OK)
    rc = stream_alloc(s, 1, m == AS_METHOD_REWARD || with_r, err);
  as_solve_opts_default(&s->rso);
  s->rso.tol = s->p.o.tol;
  s->rso.max_iter = s->p.o.max_iter;
  s->rso.gauge = s->p.ridge == 0.0;
  if (rc != AS_OK) {
    as_fit_stream_free(s);
    return rc;
  }
  *out = s;
  return AS_OK;
}

int as_fit_stream_new_reward(const as_data *d, double ridge,
                             as_fit_stream **out, as_err *err)
{
  *out = NULL;
  if (d->K < 1 || d->V < 2)
    return as_err_set(err, AS_EINVAL, "as_reward_fit: needs K >= 1, V >= 2 "
                      "and labelled weights P");
  if (!(ridge >= 0.0) || !isfinite(ridge))
    return as_err_set(err, AS_EINVAL, "as_reward_fit: ridge %g must be a "
                      "finite value >= 0", ridge);
  as_fit_stream *s = stream_new(d, err);
  if (s == NULL)
    return AS_ENOMEM;
  s->reward_only = 1;
  s->p.m = AS_METHOD_REWARD;
  s->p.K = d->K;
  s->p.V = d->V;
  s->p.ridge = ridge;
  as_solve_opts_default(&s->rso);
  s->rso.gauge = ridge == 0.0;
  int rc = stream_alloc(s, 0, 1, err);
  if (rc != AS_OK) {
    as_fit_stream_free(s);
    return rc;
  }
  *out = s;
  return AS_OK;
}

int as_fit_block_check(size_t V, const as_fit_block *prev, const double *P,
                       const double *Q, as_fit_block *b, as_err *err)
{
  size_t C = V * V;
  *b = (as_fit_block){.P = P, .Q = Q};
  if (prev != NULL) {
    b->x = prev->x + 1;
    b->sum_P = prev->sum_P;
    b->sum_Q = prev->sum_Q;
  }
  int rc = AS_OK;
  if (P != NULL && (rc = check_cells("P", b->x * C, C, P, &b->sum_P, err))
      == AS_OK)
    graph_verdict(V, P, &b->graph);
  if (rc == AS_OK && Q != NULL)
    rc = check_cells("Q", b->x * C, C, Q, &b->sum_Q, err);
  return rc;
}

/* A part's report zeroed, with the stream's arrays (a context writes only
 * its own rows) and the neutral elements of result_note's max so that
 * the context's one note is carried over exactly (merge_part). */
static void part_begin(const as_fit_stream *s, const as_fit_block *b,
                       as_fit_part *pt)
{
  memset(&pt->loc, 0, sizeof pt->loc);
  pt->x = b->x;
  pt->loc.log_pi = s->res.log_pi;
  pt->loc.reward = s->res.reward;
  pt->loc.status = AS_OK;
  pt->loc.iterations = LONG_MIN;
  pt->loc.criterion = -INFINITY;
}

/* The reward model (and method "reward"'s policy) at context x. */
static int stream_reward_ctx(const as_fit_stream *s, const as_fit_block *b,
                             as_fit_part *pt, as_err *err)
{
  size_t V = s->d.V, x = b->x;
  double *rx = s->res.reward + x * V;
  int no_mle = graph_note(&b->graph, &pt->loc);
  int rc = reward_one(V, b->P, s->p.ridge, &s->rso, no_mle, rx, pt->buf,
                      &pt->loc, NULL, err);
  if (rc != AS_OK)
    return rc;
  memcpy(pt->th, rx, V * sizeof *rx); /* ‖θ‖ sums the reward rows */
  if (!s->reward_only)
    reward_policy_row(V, s->p.beta, rx, s->res.log_pi + x * V);
  return AS_OK;
}

/* A policy solve at context x. */
static int stream_policy_ctx(const as_fit_stream *s, const as_fit_block *b,
                             const double *reward, as_fit_part *pt,
                             as_err *err)
{
  size_t V = s->d.V, x = b->x;
  const fit_plan *p = &s->p;
  const double *rx = NULL;
  if (s->res.reward != NULL) {
    for (size_t y = 0; y < V; y++)
      if (!isfinite(reward[y]))
        return as_err_set(err, AS_EINVAL, "as_fit: reward[%zu] = %g is not "
                          "finite", x * V + y, reward[y]);
    rx = memcpy(s->res.reward + x * V, reward, V * sizeof *reward);
  }
  int no_mle = b->P != NULL ? graph_note(&b->graph, &pt->loc) : 0;
  if (p->need_Q && p->lambda == 0.0)
    pt->loc.pairs_unidentified += !pairs_connected(V, b->Q, pt->mark);
  start_row(&s->d, x, pt->th);
  return fit_one(p, &s->d, x, b->P, p->need_Q ? b->Q : NULL, rx, no_mle,
                 NULL, pt->th, pt->buf, &pt->loc, NULL, err);
}

int as_fit_stream_solve(const as_fit_stream *s, const as_fit_block *b,
                        const double *reward, as_fit_part *pt, as_err *err)
{
  size_t x = b->x;
  if (x >= s->d.K)
    return as_err_set(err, AS_EINVAL, "as_fit: context %zu given, %zu "
                      "contexts", x, s->d.K);
  int need_P = s->reward_only || s->p.need_P;
  if ((need_P && b->P == NULL) || (s->p.need_Q && b->Q == NULL) ||
      (s->res.reward != NULL && !s->reward_only &&
       s->p.m != AS_METHOD_REWARD && reward == NULL))
    return as_err_set(err, AS_EINVAL, "as_fit: context %zu lacks a block "
                      "its method needs", x);
  part_begin(s, b, pt);
  return s->reward_only || s->p.m == AS_METHOD_REWARD
             ? stream_reward_ctx(s, b, pt, err)
             : stream_policy_ctx(s, b, reward, pt, err);
}

int as_fit_stream_skip(const as_fit_stream *s, const as_fit_block *b,
                       as_fit_part *pt, as_err *err)
{
  size_t V = s->d.V, x = b->x;
  if (x >= s->d.K || s->reward_only || s->p.m == AS_METHOD_REWARD)
    return as_err_set(err, AS_EINVAL, "as_fit: context %zu of %zu cannot "
                      "be skipped", x, s->d.K);
  part_begin(s, b, pt);
  note_given_up(&pt->loc, V, s->res.log_pi + x * V, pt->th);
  return AS_OK;
}

int as_fit_part_failed(const as_fit_part *pt)
{
  return pt->loc.status != AS_OK;
}

/* The context's one result_note and its counts, as if noted on s->res. */
static void merge_report(as_fit_result *res, const as_fit_result *loc)
{
  res->contexts_not_converged += loc->contexts_not_converged;
  res->status = status_merge(res->status, loc->status);
  if (loc->iterations > res->iterations)
    res->iterations = loc->iterations;
  if (!(loc->criterion <= res->criterion)) /* NaN-propagating max */
    res->criterion = loc->criterion;
  res->reward_no_mle += loc->reward_no_mle;
  res->reward_unidentified += loc->reward_unidentified;
  res->pairs_unidentified += loc->pairs_unidentified;
  res->not_unique += loc->not_unique;
  res->unbounded += loc->unbounded;
  res->collapsed += loc->collapsed;
  res->pmle_escapes += loc->pmle_escapes;
  res->given_up += loc->given_up;
}

int as_fit_stream_merge(as_fit_stream *s, const as_fit_block *b,
                        const as_fit_part *pt, as_err *err)
{
  if (s->x >= s->d.K || b->x != s->x || pt->x != s->x)
    return as_err_set(err, AS_EINVAL, "as_fit: context %zu merged, %zu "
                      "expected (of %zu)", pt->x, s->x, s->d.K);
  /* the running sums of every cell so far, as check_block sums them */
  if (b->P != NULL)
    s->mass_P = b->sum_P;
  if (s->p.need_Q)
    s->mass_Q = b->sum_Q;
  merge_report(&s->res, &pt->loc);
  centred_sq_add(s->d.V, pt->th, &s->sq);
  s->x++;
  return AS_OK;
}

int as_fit_stream_block(as_fit_stream *s, const as_fit_block *b,
                        const double *reward, as_err *err)
{
  if (s->x >= s->d.K || b->x != s->x)
    return as_err_set(err, AS_EINVAL, "as_fit: context %zu given, %zu "
                      "expected (of %zu)", b->x, s->x, s->d.K);
  /* its part on first use: a stream fed by as_fit_stream_solve has none */
  if (s->own == NULL && (s->own = as_fit_part_new(s->d.V, NULL)) == NULL)
    return as_err_set(err, AS_ENOMEM, "as_fit: out of memory");
  int rc = as_fit_stream_solve(s, b, reward, s->own, err);
  return rc == AS_OK ? as_fit_stream_merge(s, b, s->own, err) : rc;
}

int as_fit_stream_context(as_fit_stream *s, const double *P, const double *Q,
                          const double *reward, as_err *err)
{
  as_fit_block prev = {.x = s->x - 1, .sum_P = s->mass_P,
                       .sum_Q = s->mass_Q};
  as_fit_block b;
  int rc = as_fit_block_check(s->d.V, s->x > 0 ? &prev : NULL, P,
                              s->p.need_Q ? Q : NULL, &b, err);
  return rc == AS_OK ? as_fit_stream_block(s, &b, reward, err) : rc;
}

const double *as_fit_stream_log_pi(const as_fit_stream *s, size_t x)
{
  return s->res.log_pi != NULL && x < s->x ? s->res.log_pi + x * s->d.V
                                           : NULL;
}

const double *as_fit_stream_solved_reward(const as_fit_stream *s,
                                          const as_fit_part *pt)
{
  return s->res.reward != NULL ? s->res.reward + pt->x * s->d.V : NULL;
}

const double *as_fit_stream_reward(const as_fit_stream *s, size_t x)
{
  return s->res.reward != NULL && x < s->x ? s->res.reward + x * s->d.V
                                           : NULL;
}

int as_fit_stream_finish(as_fit_stream *s, as_fit_result *res, as_err *err)
{
  if (s->x != s->d.K)
    return as_err_set(err, AS_EINVAL, "as_fit: %zu of %zu contexts fitted",
                      s->x, s->d.K);
  int need_P = s->reward_only || s->p.need_P;
  int rc = AS_OK;
  if (need_P || s->mass_P.s > 0.0)
    rc = check_mass("P", &s->mass_P, err);
  if (rc == AS_OK && s->p.need_Q)
    rc = check_mass("Q", &s->mass_Q, err);
  if (rc != AS_OK)
    return rc;
  *res = s->res;
  memset(&s->res, 0, sizeof s->res);
  res->theta_norm = sqrt(s->sq);
  if (s->reward_only || s->p.m == AS_METHOD_REWARD) {
    note_reward_failures(res, s->d.K, err);
    return AS_OK;
  }
  note_failures(&s->p, res, err);
  as_fit_finite_status(res, s->d.log_ref, err);
  return AS_OK;
}
