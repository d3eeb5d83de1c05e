/* as_kind_coverage.c — experiment E5 (docs/reference.md §6, §3.1 "Why classes matter"):
 * coverage.  The data distribution μ is moved away from π* (μ ∝ π*^t for
 * each t of `mu_power`, as_coverage_temper_mu), and the REWARD class is
 * smaller than the POLICY class:
 *   - π* is realizable in a d-dimensional log-linear class (class.type =
 *     "features", class.d, class.realizable = true; as_features.h);
 *   - pmle and dpo are fitted over the full tabular class (as_fit);
 *   - rkl, rlhf and distill fit a TABULAR policy to the reward model of the
 *     FEATURE reward class (as_features_fit_reward: r̂ = Φŵ), so at λ = 0
 *     RKL returns softmax(Φŵ/β) ∈ Π_R, not the tabular π_r̂ that PMLE(λ=0)
 *     returns — otherwise E5 would compare an estimator with itself.
 * λ is chosen per unit as in as_kind_tabular.c (as_tab_run_grid, oracle:
 * least forward KL among converged fits; "fixed": every λ is a row); the
 * data, unlabelled pairs and ridge follow the tabular unit (as_tabular.h).
 *
 * Cells: t-major, then n (the population limit last when `population`);
 * one β.  Streams (as_experiment.h): the unit's features, w*, π_ref are
 * drawn from the instance stream of the replicate (features first, then
 * as_features_draw_instance), so a replicate's instance is the same in
 * every cell; μ (and μ' = μ) is then set to π*^t; labelled counts come from
 * the cell's data stream, unlabelled pairs (finite m) from its unlabelled
 * stream.
 *
 * The aux column is the coverage coefficient of the class the method's
 * bound depends on (as_coverage.h): C_tab (Definition 3 over the tabular
 * class) for pmle and dpo, C_feat = C_{Π_R} (Theorem 7) for rkl, rlhf and
 * distill.  Both depend on the instance and μ only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_coverage.h"
#include "as_dilemma.h"
#include "as_experiment.h"
#include "as_features.h"
#include "as_fit.h"
#include "as_metrics.h"
#include "as_tabular.h"

static size_t per_t(const as_config *cfg)
{
  return cfg->n_n + (cfg->population ? 1 : 0);
}

static size_t coverage_n_cells(const as_config *cfg)
{
  return cfg->n_mu_power * per_t(cfg);
}

static int method_is_feature_reward(as_method m)
{
  return m == AS_METHOD_RKL || m == AS_METHOD_RLHF || m == AS_METHOD_DISTILL;
}

static int coverage_check(const as_config *cfg, as_err *err)
{
  if (cfg->cls.type != AS_CLASS_FEATURES || cfg->cls.d < 1)
    return as_err_set(err, AS_EINVAL, "%s:%d: kind 'coverage' needs class = "
                      "{ type = \"features\"; d = ...; realizable = true; } "
                      "(the reward class, docs/reference.md §3.1)", cfg->path,
                      cfg->cls.line);
  if (cfg->cls.realizable == 0)
    return as_err_set(err, AS_EINVAL, "%s:%d: kind 'coverage' needs pi* in "
                      "the feature class (class.realizable = true)",
                      cfg->path, cfg->cls.line);
  size_t K = cfg->instance.K, V = cfg->instance.V;
  if ((size_t)cfg->cls.d > K * V)
    return as_err_set(err, AS_EINVAL, "%s:%d: class.d = %ld exceeds K*V = "
                      "%zu", cfg->path, cfg->cls.line, cfg->cls.d, K * V);
  if (cfg->n_mu_power < 1)
    return as_err_set(err, AS_EINVAL, "%s: kind 'coverage' needs mu_power "
                      "= [t1, t2, ...] (mu proportional to pi*^t per cell)",
                      cfg->path);
  if (cfg->n_beta != 1)
    return as_err_set(err, AS_EINVAL, "%s: kind 'coverage' takes one beta "
                      "(%zu given)", cfg->path, cfg->n_beta);
  if (cfg->tuning == AS_TUNING_HELDOUT)
    return as_err_set(err, AS_ENOTSUP, "%s: kind 'coverage' supports tuning "
                      "\"oracle\" or \"fixed\"", cfg->path);
  for (size_t i = 0; i < cfg->n_methods; i++) {
    as_method m = cfg->methods[i];
    if (m != AS_METHOD_PMLE && m != AS_METHOD_DPO
        && !method_is_feature_reward(m))
      return as_err_set(err, AS_EINVAL, "%s: kind 'coverage' runs pmle, dpo "
                        "(tabular) and rkl, rlhf, distill (feature reward); "
                        "not %s", cfg->path, as_method_name(m));
  }
  return AS_OK;
}

/* ---- one unit's data */

typedef struct unit {
  const as_config *cfg;
  size_t cell;
  long rep;
  double beta, n, m, t;
  as_features *f;
  as_instance *inst;
  double *w_star, *w_hat, *reward, *P, *Q;
  as_features_info rinfo;
  int rstatus;
  double C_tab, C_feat;
  as_dilemma floor;
  as_data d;
} unit;

static void unit_free(unit *u)
{
  as_features_free(u->f);
  as_instance_free(u->inst);
  free(u->w_star);
  free(u->w_hat);
  free(u->reward);
  free(u->P);
  free(u->Q);
  memset(u, 0, sizeof *u);
}

static int need_q(const as_config *cfg)
{
  for (size_t i = 0; i < cfg->n_methods; i++)
    if (cfg->methods[i] == AS_METHOD_DISTILL)
      return 1;
  return 0;
}

static int unit_setup(const as_config *cfg, size_t cell, long rep, unit *u,
                      as_err *err)
{
  memset(u, 0, sizeof *u);
  u->cfg = cfg;
  u->cell = cell;
  u->rep = rep;
  size_t per = per_t(cfg), ni = cell % per;
  u->t = cfg->mu_power[cell / per];
  u->n = ni < cfg->n_n ? (double)cfg->n[ni] : INFINITY;
  u->beta = cfg->beta[0];
  u->m = NAN;
  const as_instance_params *ip = &cfg->instance;
  size_t K = ip->K, V = ip->V, d = (size_t)cfg->cls.d;
  int rc = AS_OK;
  gsl_rng *r = NULL;
  u->f = as_features_new(K, V, d);
  u->inst = as_instance_new(K, V);
  u->w_star = malloc(d * sizeof(double));
  u->w_hat = calloc(d, sizeof(double));
  u->reward = malloc(K * V * sizeof(double));
  if (u->f == NULL || u->inst == NULL || u->w_star == NULL
      || u->w_hat == NULL || u->reward == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto fail;
  }
  /* instance stream: the replicate's, shared by every cell (paired); the
   * features first, then the instance they make realizable */
  if ((r = as_tab_stream(cfg, AS_STREAM_INSTANCE, rep)) == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto fail;
  }
  if ((rc = as_features_draw(u->f, r, err)) != AS_OK
      || (rc = as_features_draw_instance(u->inst, ip, u->f, r, u->w_star,
                                         err)) != AS_OK
      || (rc = as_coverage_temper_mu(u->inst, u->t, err)) != AS_OK)
    goto fail;
  gsl_rng_free(r);
  r = NULL;
  if ((rc = as_tab_cell_data(cfg, cell, rep, u->inst, u->beta, u->n,
                             need_q(cfg), &u->P, &u->Q, &u->m, err))
      != AS_OK)
    goto fail;
  as_tab_data_init(&u->d, u->inst, u->n, u->P, u->Q);

  /* the feature-class reward model (eq. 9 over r_w = w·φ) */
  as_err rerr;
  as_err_clear(&rerr);
  rc = as_features_fit_reward(u->f, &u->d, as_tab_ridge(cfg, u->n), u->w_hat,
                              u->reward, &u->rinfo, &rerr);
  if (rc != AS_OK && rc != AS_ENOCONV && rc != AS_EDIVERGE) {
    if (err != NULL)
      *err = rerr;
    goto fail;
  }
  u->rstatus = u->rinfo.status;
  if ((rc = as_coverage_tabular(u->inst, &u->C_tab, NULL, NULL, err))
          != AS_OK
      || (rc = as_coverage_features(u->inst, u->f, &u->C_feat, NULL, err))
             != AS_OK
      || (rc = as_dilemma_floor(u->inst, u->beta, &u->floor, err)) != AS_OK)
    goto fail;
  return AS_OK;
fail:
  gsl_rng_free(r);
  unit_free(u);
  return rc;
}

/* ---- candidates */

static int fit_candidate(const void *ctx, as_method m, double lambda,
                         as_tab_cand *c, as_err *err)
{
  const unit *u = ctx;
  const as_config *cfg = u->cfg;
  size_t K = u->d.K, V = u->d.V;
  memset(c, 0, sizeof *c);
  c->lambda = lambda;
  c->score = NAN;
  const double *reward = method_is_feature_reward(m) ? u->reward : NULL;
  if (m == AS_METHOD_RKL || m == AS_METHOD_RLHF) {
    double gamma = m == AS_METHOD_RLHF ? 0.0
                   : as_tab_gamma(cfg, u->beta);
    if ((c->log_pi = malloc(K * V * sizeof(double))) == NULL)
      return as_err_set(err, AS_ENOMEM, "out of memory");
    as_rkl_closed_form(K, V, u->inst->log_pi_ref, u->reward, lambda, gamma,
                       c->log_pi);
    c->status = u->rstatus;
    c->iterations = u->rinfo.iterations;
    c->theta_norm = NAN;
    if (lambda + gamma == 0.0) {
      c->status = AS_EDIVERGE;
      c->not_converged = (long)K;
    }
  } else {
    as_fit_opts o;
    as_tab_fit_opts_cfg(cfg, u->beta, m, lambda, &o);
    as_fit_result res;
    as_err ferr;
    as_err_clear(&ferr);
    int rc = reward != NULL ? as_fit_with_reward(&o, &u->d, reward, &res,
                                                 &ferr)
                            : as_fit(&o, &u->d, &res, &ferr);
    if (rc != AS_OK) {
      if (err != NULL)
        *err = ferr;
      return rc;
    }
    c->log_pi = res.log_pi;
    res.log_pi = NULL;
    c->status = reward != NULL ? as_tab_worst_status(res.status, u->rstatus)
                               : res.status;
    c->not_converged = (long)res.contexts_not_converged;
    c->iterations = res.iterations;
    c->no_mle = (long)res.reward_no_mle;
    c->theta_norm = res.theta_norm;
    as_fit_result_free(&res);
  }
  return as_tab_cand_metrics(cfg, m, u->inst, u->beta, reward, c, err);
}

static void fill_row(const void *ctx, as_method m, const as_tab_cand *c,
                     int has_lambda, as_result_row *row)
{
  const unit *u = ctx;
  const as_config *cfg = u->cfg;
  as_tab_cand_row(c, u->cell, u->rep, as_method_name(m), u->n, u->beta,
                  has_lambda, row);
  if (m == AS_METHOD_DISTILL)
    row->m = u->m;
  if (m == AS_METHOD_RKL)
    row->gamma = as_tab_gamma(cfg, u->beta);
  else if (m == AS_METHOD_RLHF)
    row->gamma = 0.0;
  if (m == AS_METHOD_DPO)
    row->beta_dpo = as_tab_beta_dpo(cfg, u->beta);
  row->rlhf_floor = u->floor.floor;
  row->rlhf_floor_lambda = u->floor.lambda;
  row->aux = method_is_feature_reward(m) ? u->C_feat : u->C_tab;
}

static int coverage_run_unit(const as_config *cfg, size_t cell, long rep,
                             as_rows *out, as_err *err)
{
  unit u;
  int rc = unit_setup(cfg, cell, rep, &u, err);
  if (rc != AS_OK)
    return rc;
  rc = as_tab_run_grid(cfg, fit_candidate, fill_row, &u, out, err);
  unit_free(&u);
  return rc;
}

const as_experiment_kind as_kind_coverage = {
  .name = "coverage",
  .aux_name = "coverage_C",
  .check = coverage_check,
  .n_cells = coverage_n_cells,
  .run_unit = coverage_run_unit,
};
