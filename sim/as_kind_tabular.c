/* as_kind_tabular.c — the tabular experiment kind (E1, E2, E4, E9, E10):
 * every configured method fitted on the unrestricted tabular class over the
 * λ grid, λ chosen per unit by the configured rule (SPEC §6).
 *
 * Per unit the reward model is fitted once (as_reward_fit) and reused over
 * the whole λ grid and by every reward-based method; RLHF and RKL then use
 * their exact closed form π ∝ π_ref^{λ/(λ+γ)} exp(r̂/(λ+γ)) (SPEC §3),
 * distillation and REBEL the Newton solver through as_fit_with_reward. */
#include "as_tabular.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_experiment.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_pref.h"
#include "as_rng.h"

size_t as_tab_n_cells(const as_config *cfg)
{
  return cfg->n_beta * (cfg->n_n + (cfg->population ? 1 : 0));
}

void as_tab_cell(const as_config *cfg, size_t cell, double *beta, double *n)
{
  size_t per = cfg->n_n + (cfg->population ? 1 : 0);
  size_t bi = cell / per, ni = cell % per;
  *beta = cfg->beta[bi];
  *n = ni < cfg->n_n ? (double)cfg->n[ni] : INFINITY;
}

int as_tab_method_has_lambda(as_method m)
{
  return m != AS_METHOD_DPO && m != AS_METHOD_REWARD;
}

int as_tab_method_needs_reward(as_method m)
{
  return m == AS_METHOD_DISTILL || m == AS_METHOD_REBEL
         || m == AS_METHOD_REBEL_ITER || m == AS_METHOD_RLHF
         || m == AS_METHOD_RKL;
}

int as_tab_method_needs_q(as_method m)
{
  return m == AS_METHOD_DISTILL || m == AS_METHOD_REBEL;
}

static gsl_rng *stream(const as_config *cfg, uint64_t cellarg, long rep)
{
  uint64_t s, q;
  as_rng_derive(cfg->seed, cellarg, (uint64_t)rep, &s, &q);
  return as_rng_new(s, q);
}

/* Labelled weights: N/n drawn from r, or the population p when n = ∞. */
static int weights(const as_instance *inst, double beta, double n,
                   gsl_rng *r, double *P, as_err *err)
{
  int rc = as_pref_cell_probs(inst, beta, P, err);
  if (rc != AS_OK || isinf(n))
    return rc;
  as_counts *c = as_counts_new(inst->K, inst->V);
  if (c == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  rc = as_pref_sample_counts(inst, beta, (uint64_t)n, r, c, err);
  if (rc == AS_OK) {
    size_t cells = inst->K * inst->V * inst->V;
    for (size_t i = 0; i < cells; i++)
      P[i] = (double)c->N[i] / n;
  }
  as_counts_free(c);
  return rc;
}

int as_tab_unit_setup(const as_config *cfg, size_t cell, long rep, int need,
                      as_tab_unit *u, as_err *err)
{
  memset(u, 0, sizeof *u);
  u->cfg = cfg;
  u->cell = cell;
  u->replicate = rep;
  as_tab_cell(cfg, cell, &u->beta, &u->n);
  u->gamma = cfg->gamma_is_beta ? u->beta : cfg->gamma;
  u->beta_dpo = cfg->beta_dpo_is_beta ? u->beta : cfg->beta_dpo;
  u->m = NAN;
  const as_instance_params *ip = &cfg->instance;
  size_t K = ip->K, V = ip->V, cells = K * V * V;
  int rc = AS_OK;
  gsl_rng *r = NULL;

  u->inst = as_instance_new(K, V);
  u->P = malloc(cells * sizeof(double));
  if (u->inst == NULL || u->P == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto fail;
  }
  /* the instance stream depends on the replicate only (paired curves) */
  if ((r = stream(cfg, AS_STREAM_INSTANCE, rep)) == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto fail;
  }
  if ((rc = as_instance_draw(u->inst, ip, r, err)) != AS_OK)
    goto fail;
  gsl_rng_free(r);
  r = stream(cfg, as_experiment_stream(cell, AS_STREAM_DATA), rep);
  if (r == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto fail;
  }
  if ((rc = weights(u->inst, u->beta, u->n, r, u->P, err)) != AS_OK)
    goto fail;
  gsl_rng_free(r);
  r = NULL;

  if (need & AS_TAB_NEED_Q) {
    if ((u->Q = malloc(cells * sizeof(double))) == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
      goto fail;
    }
    if ((rc = as_pref_pair_probs(u->inst, u->Q, err)) != AS_OK)
      goto fail;
    u->m = INFINITY;
    if (!cfg->m_population && isfinite(u->n)) {
      r = stream(cfg, as_experiment_stream(cell, AS_STREAM_UNLABELLED), rep);
      as_counts *c = as_counts_new(K, V);
      if (r == NULL || c == NULL) {
        as_counts_free(c);
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
        goto fail;
      }
      rc = as_pref_sample_unlabelled(u->inst, cfg->m, r, c, err);
      for (size_t i = 0; rc == AS_OK && i < cells; i++)
        u->Q[i] = (double)c->N[i] / (double)cfg->m;
      as_counts_free(c);
      if (rc != AS_OK)
        goto fail;
      gsl_rng_free(r);
      r = NULL;
      u->m = (double)cfg->m;
    }
  }
  if (need & AS_TAB_NEED_HELDOUT) {
    if ((u->Pval = malloc(cells * sizeof(double))) == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
      goto fail;
    }
    double nval = isinf(u->n) ? INFINITY
                              : ceil(cfg->heldout_fraction * u->n);
    r = stream(cfg, as_experiment_stream(cell, AS_STREAM_HELDOUT), rep);
    if (r == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
      goto fail;
    }
    if ((rc = weights(u->inst, u->beta, nval, r, u->Pval, err)) != AS_OK)
      goto fail;
    gsl_rng_free(r);
    r = NULL;
  }
  u->d.K = K;
  u->d.V = V;
  u->d.n = u->n;
  u->d.P = u->P;
  u->d.Q = u->Q;
  u->d.log_rho = u->inst->log_rho;
  u->d.log_ref = u->inst->log_pi_ref;

  if (need & AS_TAB_NEED_REWARD) {
    if ((u->reward = malloc(K * V * sizeof(double))) == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
      goto fail;
    }
    double ridge = !isnan(cfg->ridge) ? cfg->ridge
                   : isfinite(u->n)   ? 1.0 / u->n
                                      : 0.0; /* as_fit.h's default */
    as_err rerr;
    if ((rc = as_reward_fit(&u->d, ridge, u->reward, &u->rinfo, &rerr))
        != AS_OK) {
      if (err != NULL)
        *err = rerr;
      goto fail;
    }
  }
  if ((rc = as_dilemma_floor(u->inst, u->beta, &u->floor, err)) != AS_OK)
    goto fail;
  return AS_OK;
fail:
  gsl_rng_free(r);
  as_tab_unit_free(u);
  return rc;
}

void as_tab_unit_free(as_tab_unit *u)
{
  as_instance_free(u->inst);
  free(u->P);
  free(u->Q);
  free(u->Pval);
  free(u->reward);
  memset(u, 0, sizeof *u);
}

void as_tab_fit_opts(const as_tab_unit *u, as_method m, double lambda,
                     as_fit_opts *o)
{
  const as_config *cfg = u->cfg;
  as_fit_opts_default(o);
  o->method = m;
  o->beta = u->beta;
  o->lambda = isnan(lambda) ? 0.0 : lambda; /* DPO, reward: no λ */
  o->gamma = u->gamma;
  o->beta_dpo = u->beta_dpo;
  o->ridge = cfg->ridge;
  o->dpo_steps = cfg->dpo_steps;
  if (!isnan(cfg->dpo_lr))
    o->dpo_lr = cfg->dpo_lr;
}

/* ---- the kind */

/* One fitted candidate (a method at one λ). */
typedef struct cand {
  double lambda;
  double *log_pi;       /* owned */
  const double *reward; /* borrowed, for the reward score */
  int status;
  long not_converged, iterations, no_mle;
  double theta_norm;
  as_metrics met;
  double score;         /* held-out log-likelihood per record */
} cand;

/* Worst status first: EDIVERGE > ENOCONV > OK. */
static int worst(int a, int b)
{
  if (a == AS_EDIVERGE || b == AS_EDIVERGE)
    return AS_EDIVERGE;
  if (a == AS_ENOCONV || b == AS_ENOCONV)
    return AS_ENOCONV;
  return a != AS_OK ? a : b;
}

/* A solve through as_fit.h, reusing the unit's reward where the method
 * needs one (its failures are the policy's too). */
static int fit_tab(const as_tab_unit *u, const as_fit_opts *o,
                   as_fit_result *res, as_err *err)
{
  if (!as_tab_method_needs_reward(o->method))
    return as_fit(o, &u->d, res, err);
  int rc = as_fit_with_reward(o, &u->d, u->reward, res, err);
  if (rc == AS_OK) {
    res->status = worst(res->status, u->rinfo.status);
    if (u->rinfo.contexts_not_converged > res->contexts_not_converged)
      res->contexts_not_converged = u->rinfo.contexts_not_converged;
  }
  return rc;
}

/* Validation preference log-likelihood per record, SPEC §6 tuning
 * "heldout": Σ_xab Pval_xab log σ(β (log π̂_a − log π̂_b)). */
static double heldout_score(const as_tab_unit *u, const double *log_pi)
{
  size_t K = u->d.K, V = u->d.V;
  double s = 0;
  for (size_t x = 0; x < K; x++)
    for (size_t a = 0; a < V; a++)
      for (size_t b = 0; b < V; b++) {
        double w = u->Pval[(x * V + a) * V + b];
        if (w > 0)
          s += w * as_log_sigmoid(u->beta * (log_pi[x * V + a]
                                             - log_pi[x * V + b]));
      }
  return s;
}

static int fit_candidate(const as_tab_unit *u, as_method m, double lambda,
                         cand *c, as_err *err)
{
  size_t K = u->d.K, V = u->d.V;
  memset(c, 0, sizeof *c);
  c->lambda = lambda;
  c->score = NAN;
  if (m == AS_METHOD_RLHF || m == AS_METHOD_RKL) {
    double gamma = m == AS_METHOD_RLHF ? 0.0 : u->gamma;
    if ((c->log_pi = malloc(K * V * sizeof(double))) == NULL)
      return as_err_set(err, AS_ENOMEM, "out of memory");
    as_rkl_closed_form(K, V, u->inst->log_pi_ref, u->reward, lambda, gamma,
                       c->log_pi);
    c->reward = u->reward;
    c->status = u->rinfo.status;
    c->not_converged = (long)u->rinfo.contexts_not_converged;
    c->iterations = u->rinfo.iterations;
    c->no_mle = (long)u->rinfo.reward_no_mle;
    c->theta_norm = NAN;
    if (lambda + gamma == 0.0) { /* no minimiser: the argmax limit */
      c->status = AS_EDIVERGE;
      c->not_converged = (long)K;
    }
  } else {
    as_fit_opts o;
    as_tab_fit_opts(u, m, lambda, &o);
    as_fit_result res;
    as_err ferr;
    as_err_clear(&ferr);
    int rc = fit_tab(u, &o, &res, &ferr);
    if (rc != AS_OK) {
      if (err != NULL)
        *err = ferr;
      return rc;
    }
    c->log_pi = res.log_pi;
    res.log_pi = NULL;
    c->reward = as_tab_method_needs_reward(m) ? u->reward : NULL;
    c->status = res.status;
    c->not_converged = (long)res.contexts_not_converged;
    c->iterations = res.iterations;
    c->no_mle = (long)(as_tab_method_needs_reward(m) ? u->rinfo.reward_no_mle
                                                     : res.reward_no_mle);
    c->theta_norm = res.theta_norm;
    if (m == AS_METHOD_REWARD) {
      /* its own reward lives in res; keep the score of that reward */
      as_metrics tmp;
      int r2 = as_metrics_compute(u->inst, u->beta, c->log_pi, res.reward,
                                  &tmp, err);
      as_fit_result_free(&res);
      if (r2 != AS_OK)
        return r2;
      c->met = tmp;
      goto scored;
    }
    as_fit_result_free(&res);
  }
  {
    int rc = as_metrics_compute(u->inst, u->beta, c->log_pi, c->reward,
                                &c->met, err);
    if (rc != AS_OK)
      return rc;
  }
scored:
  if (u->Pval != NULL)
    c->score = heldout_score(u, c->log_pi);
  return AS_OK;
}

static void cand_free(cand *c, size_t k)
{
  for (size_t i = 0; i < k; i++)
    free(c[i].log_pi);
}

static void fill_row(const as_tab_unit *u, as_method m, const cand *c,
                     int has_lambda, as_result_row *row)
{
  memset(row, 0, sizeof *row);
  row->cell = u->cell;
  row->replicate = u->replicate;
  row->method = as_method_name(m);
  row->n = u->n;
  row->m = as_tab_method_needs_q(m) ? u->m : NAN;
  row->beta = u->beta;
  row->lambda = has_lambda ? c->lambda : NAN;
  row->gamma = m == AS_METHOD_RKL ? u->gamma : m == AS_METHOD_RLHF ? 0 : NAN;
  row->beta_dpo = m == AS_METHOD_DPO ? u->beta_dpo : NAN;
  as_metrics_to_array(&c->met, row->metrics);
  row->rlhf_floor = u->floor.floor;
  row->rlhf_floor_lambda = u->floor.lambda;
  row->heldout_score = c->score;
  row->reward_no_mle = c->no_mle;
  row->not_converged = c->not_converged;
  row->iterations = c->iterations;
  row->theta_norm = c->theta_norm;
  row->status = c->status;
  row->aux = NAN;
}

/* The tuned candidate: oracle = least forward KL, heldout = largest
 * validation likelihood; among converged fits when there is one. */
static size_t choose(const cand *c, size_t k, as_tuning t)
{
  size_t best = SIZE_MAX;
  for (int pass = 0; pass < 2 && best == SIZE_MAX; pass++)
    for (size_t i = 0; i < k; i++) {
      if (pass == 0 && c[i].status != AS_OK)
        continue;
      double v = t == AS_TUNING_HELDOUT ? -c[i].score : c[i].met.fwd_kl;
      if (isnan(v))
        continue;
      double bv = best == SIZE_MAX ? INFINITY
                  : t == AS_TUNING_HELDOUT ? -c[best].score
                                           : c[best].met.fwd_kl;
      if (best == SIZE_MAX || v < bv)
        best = i;
    }
  return best == SIZE_MAX ? 0 : best;
}

static int need_of(const as_config *cfg)
{
  int need = 0;
  for (size_t i = 0; i < cfg->n_methods; i++) {
    if (as_tab_method_needs_reward(cfg->methods[i]))
      need |= AS_TAB_NEED_REWARD;
    if (as_tab_method_needs_q(cfg->methods[i]))
      need |= AS_TAB_NEED_Q;
  }
  if (cfg->tuning == AS_TUNING_HELDOUT)
    need |= AS_TAB_NEED_HELDOUT;
  return need;
}

static int tabular_run_unit(const as_config *cfg, size_t cell, long rep,
                            as_rows *out, as_err *err)
{
  as_tab_unit u;
  int rc = as_tab_unit_setup(cfg, cell, rep, need_of(cfg), &u, err);
  if (rc != AS_OK)
    return rc;
  cand *c = calloc(cfg->n_lambda, sizeof *c);
  if (c == NULL) {
    as_tab_unit_free(&u);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  for (size_t mi = 0; mi < cfg->n_methods && rc == AS_OK; mi++) {
    as_method m = cfg->methods[mi];
    int has_lambda = as_tab_method_has_lambda(m);
    size_t k = has_lambda ? cfg->n_lambda : 1;
    size_t done = 0;
    for (; done < k && rc == AS_OK; done++)
      rc = fit_candidate(&u, m, has_lambda ? cfg->lambda[done] : NAN,
                         &c[done], err);
    if (rc != AS_OK) {
      cand_free(c, done);
      break;
    }
    as_result_row row;
    if (cfg->tuning == AS_TUNING_FIXED || !has_lambda) {
      for (size_t i = 0; i < k && rc == AS_OK; i++) {
        fill_row(&u, m, &c[i], has_lambda, &row);
        rc = as_rows_push(out, &row);
      }
    } else {
      fill_row(&u, m, &c[choose(c, k, cfg->tuning)], 1, &row);
      rc = as_rows_push(out, &row);
    }
    if (rc != AS_OK)
      as_err_set(err, rc, "out of memory");
    cand_free(c, k);
  }
  free(c);
  as_tab_unit_free(&u);
  return rc;
}

static int tabular_check(const as_config *cfg, as_err *err)
{
  if (cfg->cls.type != AS_CLASS_TABULAR)
    return as_err_set(err, AS_ENOTSUP, "%s:%d: kind 'tabular' runs the "
                      "tabular class only (class.type = \"%s\")", cfg->path,
                      cfg->cls.line, as_class_type_name(cfg->cls.type));
  for (size_t i = 0; i < cfg->n_methods; i++)
    if (cfg->methods[i] == AS_METHOD_REBEL_ITER && cfg->lambda[0] == 0.0)
      return as_err_set(err, AS_EINVAL, "%s: method rebel-iter needs every "
                        "lambda > 0 (it converges only for 0 < eta*lambda "
                        "< 2, eta = 1/lambda); the grid starts at 0",
                        cfg->path);
  return AS_OK;
}

const as_experiment_kind as_kind_tabular = {
  .name = "tabular",
  .aux_name = "aux",
  .check = tabular_check,
  .n_cells = as_tab_n_cells,
  .run_unit = tabular_run_unit,
};
