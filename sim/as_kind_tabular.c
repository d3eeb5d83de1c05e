/* as_kind_tabular.c — the tabular experiment kind (E1, E2, E4, E9, E10):
 * every configured method fitted on the unrestricted tabular class over the
 * λ grid, λ chosen per unit by the configured rule (docs/reference.md §6).
 *
 * Per unit the reward model is fitted once (as_reward_fit) and reused over
 * the whole λ grid and by every reward-based method; RLHF and RKL then use
 * their exact closed form π ∝ π_ref^{λ/(λ+γ)} exp(r̂/(λ+γ)) (docs/reference.md §3),
 * distillation and REBEL the Newton solver through as_fit_with_reward.
 *
 * With `bounds = "theorem4-constant"` (E9) every row's aux column is the
 * unit's Theorem-4 constant on the tabular class (as_tab_bound_constant:
 * C_tab, R_max({π*}) at the cell's β), headed AS_TAB_BOUND_COLUMN so it is
 * not mistaken for a bound: it multiplies log(|Π|/δ)/n, which is infinite
 * for this class.  Without the key aux stays NaN, headed "aux". */
#include "as_tabular.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_experiment.h"
#include "as_math.h"
#include "as_metrics.h"

/* ---- the kind */

#define AS_TAB_BOUND_COLUMN "thm4_const_Ctab_Rmax_pistar"

/* The unit and what the kind adds to its rows. */
typedef struct tab_ctx {
  as_tab_unit u;
  double bound; /* the Theorem-4 constant, NAN when not asked for */
} tab_ctx;

/* A solve through as_fit.h, reusing the unit's reward where the method
 * needs one (its failures are the policy's too). */
static int fit_tab(const as_tab_unit *u, const as_fit_opts *o,
                   as_fit_result *res, as_err *err)
{
  if (!as_tab_method_needs_reward(o->method))
    return as_fit(o, &u->d, res, err);
  int rc = as_fit_with_reward(o, &u->d, u->reward, res, err);
  if (rc == AS_OK) {
    res->status = as_tab_worst_status(res->status, u->rinfo.status);
    if (u->rinfo.contexts_not_converged > res->contexts_not_converged)
      res->contexts_not_converged = u->rinfo.contexts_not_converged;
  }
  return rc;
}

/* Validation preference log-likelihood per record, docs/reference.md §6 tuning
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

static int fit_candidate(const void *ctx, as_method m, double lambda,
                         as_tab_cand *c, as_err *err)
{
  const as_tab_unit *u = &((const tab_ctx *)ctx)->u;
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
    int rc = as_tab_cand_metrics(u->cfg, m, u->inst, u->beta, c->reward, c,
                                 err);
    if (rc != AS_OK)
      return rc;
  }
scored:
  if (u->Pval != NULL)
    c->score = heldout_score(u, c->log_pi);
  return AS_OK;
}

static void fill_row(const void *ctx, as_method m, const as_tab_cand *c,
                     int has_lambda, as_result_row *row)
{
  const tab_ctx *t = ctx;
  const as_tab_unit *u = &t->u;
  as_tab_cand_row(c, u->cell, u->replicate, as_method_name(m), u->n, u->beta,
                  has_lambda, row);
  if (as_tab_method_needs_q(m))
    row->m = u->m;
  if (m == AS_METHOD_RKL)
    row->gamma = u->gamma;
  else if (m == AS_METHOD_RLHF)
    row->gamma = 0;
  if (m == AS_METHOD_DPO)
    row->beta_dpo = u->beta_dpo;
  row->rlhf_floor = u->floor.floor;
  row->rlhf_floor_lambda = u->floor.lambda;
  if (u->cfg->bounds == AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB)
    row->aux = t->bound;
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
  tab_ctx t;
  int rc = as_tab_unit_setup(cfg, cell, rep, need_of(cfg), &t.u, err);
  if (rc != AS_OK)
    return rc;
  t.bound = NAN;
  if (cfg->bounds == AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB) {
    as_tab_bound b;
    if ((rc = as_tab_bound_constant(t.u.inst, t.u.beta, &b, err)) != AS_OK)
      goto done;
    t.bound = b.constant;
  }
  rc = as_tab_run_grid(cfg, fit_candidate, fill_row, &t, out, err);
done:
  as_tab_unit_free(&t.u);
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

static const char *tabular_aux_label(const as_config *cfg)
{
  return cfg->bounds == AS_CONFIG_BOUNDS_THM4_CONSTANT_TAB
             ? AS_TAB_BOUND_COLUMN : "aux";
}

const as_experiment_kind as_kind_tabular = {
  .name = "tabular",
  .aux_name = "aux",
  .check = tabular_check,
  .n_cells = as_tab_n_cells,
  .run_unit = tabular_run_unit,
  .aux_label = tabular_aux_label,
};
