/* as_kind_atlas.c — the objective-atlas kind (E11, docs/reference.md §3.2 and §6):
 * every configured method of docs/reference.md §3 and §3.2 on the tabular class, its
 * one tuned hyperparameter (as_floors.h: λ, β_d, τ, α or T) chosen per
 * unit by the oracle rule from its grid — the config's `lambda` list for
 * λ, `grid_points` log-spaced values over the declared range otherwise —
 * and the other hyperparameters at the configuration's values (declared
 * keys, as_hparam.h) or their declared defaults.  In the population cell
 * (n = ∞) the tuned value is refined by Brent's method (as_floor_method),
 * so that row's forward KL is the method's floor F_method and its aux
 * column the argmin.  aux holds the tuned value in every row.  Labelled
 * data carry the configuration's `label_flip` (docs/reference.md §2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_experiment.h"
#include "as_floors.h"
#include "as_metrics.h"
#include "as_tabular.h"

/* Points of a non-λ grid: 4 a decade over β_d's 10^-2..10^2 (17), τ's
 * 10^-3..10^3 (25 would be 4 a decade; 17 keep the run short; the
 * population cell refines the best). */
#define ATLAS_GRID_POINTS 17

static int atlas_fit(const as_tab_unit *u, as_method m, double v,
                     as_tab_cand *c, as_err *err)
{
  as_fit_opts o;
  as_tab_fit_opts(u, m, NAN, &o);
  as_floor_set(&o, m, v);
  as_fit_result res;
  as_err ferr;
  as_err_clear(&ferr);
  int rc = as_tab_method_needs_reward(m)
               ? as_fit_with_reward(&o, &u->d, u->reward, &res, &ferr)
               : as_fit(&o, &u->d, &res, &ferr);
  memset(c, 0, sizeof *c);
  c->lambda = v;
  c->score = NAN;
  if (rc != AS_OK) {
    if (err != NULL)
      *err = ferr;
    return rc;
  }
  c->status = res.status;
  c->not_converged = (long)res.contexts_not_converged;
  c->iterations = res.iterations;
  c->no_mle = (long)res.reward_no_mle;
  c->theta_norm = res.theta_norm;
  if (as_tab_method_needs_reward(m)) {
    c->status = as_tab_worst_status(c->status, u->rinfo.status);
    c->reward = u->reward;
  }
  c->log_pi = res.log_pi;
  res.log_pi = NULL;
  as_fit_result_free(&res);
  int nan_row = 0;
  for (size_t i = 0; i < u->d.K * u->d.V; i++)
    nan_row |= isnan(c->log_pi[i]);
  if (nan_row) {
    /* rDPO unbounded: no point; metrics NaN, never chosen */
    c->met = (as_metrics){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    return AS_OK;
  }
  return as_metrics_compute(u->inst, u->beta, c->log_pi, c->reward, &c->met,
                            err);
}

/* The method's row: oracle over its grid; in the population its floor. */
static int atlas_method(const as_tab_unit *u, as_method m, as_rows *out,
                        as_err *err)
{
  const as_config *cfg = u->cfg;
  double *g = NULL, vbest;
  size_t k = 0;
  int rc = as_floor_grid(m, u->beta, cfg->lambda, cfg->n_lambda,
                         ATLAS_GRID_POINTS, &g, &k, err);
  if (rc != AS_OK)
    return rc;
  if (isinf(u->n)) { /* floor: grid + Brent on the population */
    as_fit_opts o;
    as_tab_fit_opts(u, m, NAN, &o);
    as_floor f;
    rc = as_floor_method(u->inst, u->beta, cfg->label_flip, &o, cfg->lambda,
                         cfg->n_lambda, ATLAS_GRID_POINTS, &f, err);
    g[0] = f.argmin;
    k = 1;
  }
  as_tab_cand *c = calloc(k, sizeof *c);
  size_t done = 0;
  if (c == NULL && rc == AS_OK)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  for (; done < k && rc == AS_OK; done++)
    rc = atlas_fit(u, m, g[done], &c[done], err);
  if (rc == AS_OK) {
    size_t b = as_tab_choose(c, k, AS_TUNING_ORACLE);
    vbest = g[b];
    as_result_row row;
    as_floor_tuning t = as_floor_tuning_of(m);
    as_tab_cand_row(&c[b], u->cell, u->replicate, as_method_name(m), u->n,
                    u->beta, t.param == AS_TUNE_LAMBDA, &row);
    if (t.param == AS_TUNE_BETA_DPO)
      row.beta_dpo = vbest;
    if (as_tab_method_needs_q(m))
      row.m = u->m;
    if (m == AS_METHOD_RKL)
      row.gamma = u->gamma;
    row.rlhf_floor = u->floor.floor;
    row.rlhf_floor_lambda = u->floor.lambda;
    row.aux = vbest;
    if ((rc = as_rows_push(out, &row)) != AS_OK)
      as_err_set(err, rc, "out of memory");
  }
  for (size_t i = 0; i < done && c != NULL; i++)
    free(c[i].log_pi);
  free(c);
  free(g);
  return rc;
}

static int atlas_run_unit(const as_config *cfg, size_t cell, long rep,
                          as_rows *out, as_err *err)
{
  int need = AS_TAB_NEED_REWARD;
  for (size_t i = 0; i < cfg->n_methods; i++)
    if (as_tab_method_needs_q(cfg->methods[i]))
      need |= AS_TAB_NEED_Q;
  as_tab_unit u;
  int rc = as_tab_unit_setup(cfg, cell, rep, need, &u, err);
  if (rc != AS_OK)
    return rc;
  for (size_t i = 0; i < cfg->n_methods && rc == AS_OK; i++)
    rc = atlas_method(&u, cfg->methods[i], out, err);
  as_tab_unit_free(&u);
  return rc;
}

static int atlas_check(const as_config *cfg, as_err *err)
{
  if (cfg->cls.type != AS_CLASS_TABULAR)
    return as_err_set(err, AS_ENOTSUP, "%s:%d: kind 'atlas' runs the "
                      "tabular class only (class.type = \"%s\")", cfg->path,
                      cfg->cls.line, as_class_type_name(cfg->cls.type));
  if (cfg->tuning != AS_TUNING_ORACLE)
    return as_err_set(err, AS_ENOTSUP, "%s: kind 'atlas' tunes by the "
                      "oracle rule only (tuning = \"%s\")", cfg->path,
                      as_tuning_name(cfg->tuning));
  for (size_t i = 0; i < cfg->n_methods; i++)
    if (cfg->methods[i] == AS_METHOD_REBEL_ITER ||
        cfg->methods[i] == AS_METHOD_REWARD)
      return as_err_set(err, AS_ENOTSUP, "%s: kind 'atlas' has no tuned "
                        "hyperparameter for method %s", cfg->path,
                        as_method_name(cfg->methods[i]));
  return AS_OK;
}

const as_experiment_kind as_kind_atlas = {
  .name = "atlas",
  .aux_name = "tuned",
  .check = atlas_check,
  .n_cells = as_tab_n_cells,
  .run_unit = atlas_run_unit,
};
