/* as_tabular.c — the work unit shared by the experiment kinds (see
 * as_tabular.h): streams, instance and data draws, the reward fit, and the
 * λ-grid loop with its tuning rule. */
#include "as_tabular.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_bounds.h"
#include "as_coverage.h"
#include "as_hparam.h"
#include "as_math.h"
#include "as_pref.h"
#include "as_rng.h"
#include "as_theory.h"

/* ---- E9: Theorem 4's constant on the tabular class (as_tabular.h) */

int as_tab_bound_constant(const as_instance *inst, double beta,
                          as_tab_bound *out, as_err *err)
{
  size_t K = inst->K, V = inst->V;
  if (!(beta > 0) || !isfinite(beta))
    return as_err_set(err, AS_EINVAL, "bound constant: beta = %.17g must be "
                      "positive and finite", beta);
  double *rbar = malloc(K * V * sizeof *rbar);
  if (rbar == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  as_theory_centred_reward(K, V, inst->log_pi_star, inst->log_mu, beta, rbar);
  /* Assumption 2 over {π*}: every y of every context with ρ(x) > 0 */
  double R = 0;
  for (size_t x = 0; x < K; x++) {
    if (inst->log_rho[x] == -INFINITY)
      continue;
    for (size_t y = 0; y < V; y++) {
      double a = fabs(rbar[x * V + y]);
      if (!isfinite(a)) {
        free(rbar);
        return as_err_set(err, AS_EINVAL, "bound constant: the centred "
                          "reward of pi* is not finite at x = %zu, y = %zu "
                          "(%.17g): R_max is undefined", x, y, a);
      }
      R = fmax(R, a);
    }
  }
  free(rbar);
  double C;
  int rc = as_coverage_tabular(inst, &C, NULL, NULL, err);
  if (rc != AS_OK)
    return rc;
  /* Theorem 4's factors (as_bounds.h): δ, |Π| and n only enter `rate` */
  as_bounds_chain ch;
  if ((rc = as_bounds_theorem4(R, beta, 0.5, C, 1.0, 1.0, &ch, err)) != AS_OK)
    return rc;
  out->R_max = R;
  out->C_tab = C;
  out->constant = ch.c1 * ch.lemma8 * ch.coverage * ch.lemma9;
  return AS_OK;
}

/* ---- cells and methods of the tabular kinds */

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
         || m == AS_METHOD_RKL || m == AS_METHOD_SPPO
         || m == AS_METHOD_NASH;
}

int as_tab_method_needs_q(as_method m)
{
  return m == AS_METHOD_DISTILL || m == AS_METHOD_REBEL;
}

int as_tab_worst_status(int a, int b)
{
  if (a == AS_ENONFINITE || b == AS_ENONFINITE)   /* issue 12 */
    return AS_ENONFINITE;
  if (a == AS_EDIVERGE || b == AS_EDIVERGE)
    return AS_EDIVERGE;
  if (a == AS_ENOCONV || b == AS_ENOCONV)
    return AS_ENOCONV;
  return a != AS_OK ? a : b;
}

/* ---- streams and data */

gsl_rng *as_tab_stream(const as_config *cfg, uint64_t stream, long rep)
{
  uint64_t s, q;
  as_rng_derive(cfg->seed, stream, (uint64_t)rep, &s, &q);
  return as_rng_new(s, q);
}

int as_tab_draw_instance(const as_config *cfg, long rep, as_instance **inst,
                         gsl_rng **r_out, as_err *err)
{
  gsl_rng *r = as_tab_stream(cfg, AS_STREAM_INSTANCE, rep);
  *inst = as_instance_new(cfg->instance.K, cfg->instance.V);
  int rc = AS_OK;
  if (r == NULL || *inst == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  if (rc == AS_OK)
    rc = as_instance_draw(*inst, &cfg->instance, r, err);
  if (rc != AS_OK || r_out == NULL)
    gsl_rng_free(r);
  else
    *r_out = r;
  if (rc != AS_OK) {
    as_instance_free(*inst);
    *inst = NULL;
  }
  return rc;
}

int as_tab_draw_instance_class(const as_config *cfg, long rep, long size,
                               as_instance **inst, as_finite_class **Pi,
                               as_err *err)
{
  *Pi = NULL;
  gsl_rng *r = NULL;
  int rc = as_tab_draw_instance(cfg, rep, inst, &r, err);
  if (rc != AS_OK)
    return rc;
  size_t nd = cfg->cls.n_distances;
  rc = as_finite_generate(*inst, cfg->cls.distances, nd,
                          (size_t)(size - 1) / nd, r, Pi, err);
  gsl_rng_free(r);
  if (rc != AS_OK) {
    as_instance_free(*inst);
    *inst = NULL;
  }
  return rc;
}

int as_tab_labelled(const as_config *cfg, uint64_t stream, long rep,
                    const as_instance *inst, double beta, double n,
                    double *P, as_err *err)
{
  /* label_flip: docs/reference.md §2's label noise, in both the population and n. */
  int rc = as_pref_cell_probs_flip(inst, beta, cfg->label_flip, P, err);
  if (rc != AS_OK || isinf(n))
    return rc;
  gsl_rng *r = as_tab_stream(cfg, stream, rep);
  as_counts *c = as_counts_new(inst->K, inst->V);
  if (r == NULL || c == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  else
    rc = as_pref_sample_counts_flip(inst, beta, cfg->label_flip,
                                    (uint64_t)n, r, c, err);
  if (rc == AS_OK) {
    size_t cells = inst->K * inst->V * inst->V;
    for (size_t i = 0; i < cells; i++)
      P[i] = (double)c->N[i] / n;
  }
  as_counts_free(c);
  gsl_rng_free(r);
  return rc;
}

int as_tab_unlabelled(const as_config *cfg, uint64_t stream, long rep,
                      const as_instance *inst, uint64_t m, double *Q,
                      as_err *err)
{
  gsl_rng *r = as_tab_stream(cfg, stream, rep);
  as_counts *c = as_counts_new(inst->K, inst->V);
  int rc;
  if (r == NULL || c == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  else
    rc = as_pref_sample_unlabelled(inst, m, r, c, err);
  if (rc == AS_OK) {
    size_t cells = inst->K * inst->V * inst->V;
    for (size_t i = 0; i < cells; i++)
      Q[i] = (double)c->N[i] / (double)m;
  }
  as_counts_free(c);
  gsl_rng_free(r);
  return rc;
}

int as_tab_pairs(const as_config *cfg, size_t cell, long rep,
                 const as_instance *inst, double n, double *Q, double *m,
                 as_err *err)
{
  int rc = as_pref_pair_probs(inst, Q, err);
  if (rc != AS_OK)
    return rc;
  *m = INFINITY;
  if (cfg->m_population || !isfinite(n))
    return AS_OK;
  rc = as_tab_unlabelled(cfg, as_experiment_stream(cell,
                                                   AS_STREAM_UNLABELLED),
                         rep, inst, cfg->m, Q, err);
  if (rc == AS_OK)
    *m = (double)cfg->m;
  return rc;
}

int as_tab_cell_data(const as_config *cfg, size_t cell, long rep,
                     const as_instance *inst, double beta, double n,
                     int want_q, double **P, double **Q, double *m,
                     as_err *err)
{
  size_t cells = inst->K * inst->V * inst->V;
  *m = NAN;
  if ((*P = malloc(cells * sizeof(double))) == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  int rc = as_tab_labelled(cfg, as_experiment_stream(cell, AS_STREAM_DATA),
                           rep, inst, beta, n, *P, err);
  if (rc != AS_OK || !want_q)
    return rc;
  if ((*Q = malloc(cells * sizeof(double))) == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  return as_tab_pairs(cfg, cell, rep, inst, n, *Q, m, err);
}

void as_tab_data_init(as_data *d, const as_instance *inst, double n,
                      const double *P, const double *Q)
{
  d->K = inst->K;
  d->V = inst->V;
  d->n = n;
  d->P = P;
  d->Q = Q;
  d->log_rho = inst->log_rho;
  d->log_ref = inst->log_pi_ref;
}

double as_tab_ridge(const as_config *cfg, double n)
{
  return !isnan(cfg->hp.ridge) ? cfg->hp.ridge
         : isfinite(n)      ? 1.0 / n
                            : 0.0; /* as_fit.h's default */
}

/* ---- the tabular unit */

double as_tab_gamma(const as_config *cfg, double beta)
{
  return isnan(cfg->hp.gamma) ? beta : cfg->hp.gamma;
}

double as_tab_beta_dpo(const as_config *cfg, double beta)
{
  return isnan(cfg->hp.beta_dpo) ? beta : cfg->hp.beta_dpo;
}

int as_tab_unit_begin(const as_config *cfg, size_t cell, long rep,
                      as_tab_unit *u, as_err *err)
{
  memset(u, 0, sizeof *u);
  u->cfg = cfg;
  u->cell = cell;
  u->replicate = rep;
  as_tab_cell(cfg, cell, &u->beta, &u->n);
  u->gamma = as_tab_gamma(cfg, u->beta);
  u->beta_dpo = as_tab_beta_dpo(cfg, u->beta);
  u->m = NAN;
  int rc = as_tab_draw_instance(cfg, rep, &u->inst, NULL, err);
  if (rc == AS_OK)
    as_tab_data_init(&u->d, u->inst, u->n, NULL, NULL);
  return rc;
}

int as_tab_unit_setup(const as_config *cfg, size_t cell, long rep, int need,
                      as_tab_unit *u, as_err *err)
{
  size_t K = cfg->instance.K, V = cfg->instance.V, cells = K * V * V;
  int rc;

  if ((rc = as_tab_unit_begin(cfg, cell, rep, u, err)) != AS_OK)
    goto fail;
  if ((rc = as_tab_cell_data(cfg, cell, rep, u->inst, u->beta, u->n,
                             need & AS_TAB_NEED_Q, &u->P, &u->Q, &u->m, err))
      != AS_OK)
    goto fail;
  if (need & AS_TAB_NEED_HELDOUT) {
    if ((u->Pval = malloc(cells * sizeof(double))) == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
      goto fail;
    }
    double nval = isinf(u->n) ? INFINITY
                              : ceil(cfg->heldout_fraction * u->n);
    if ((rc = as_tab_labelled(cfg, as_experiment_stream(cell,
                                                        AS_STREAM_HELDOUT),
                              rep, u->inst, u->beta, nval, u->Pval, err))
        != AS_OK)
      goto fail;
  }
  as_tab_data_init(&u->d, u->inst, u->n, u->P, u->Q);

  if (need & AS_TAB_NEED_REWARD) {
    if ((u->reward = malloc(K * V * sizeof(double))) == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
      goto fail;
    }
    as_err rerr;
    if ((rc = as_reward_fit(&u->d, as_tab_ridge(cfg, u->n), u->reward,
                            &u->rinfo, &rerr)) != AS_OK) {
      if (err != NULL)
        *err = rerr;
      goto fail;
    }
  }
  if ((rc = as_dilemma_floor(u->inst, u->beta, &u->floor, err)) != AS_OK)
    goto fail;
  return AS_OK;
fail:
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

void as_tab_fit_opts_cfg(const as_config *cfg, double beta, as_method m,
                         double lambda, as_fit_opts *o)
{
  as_fit_opts_default(o);
  o->method = m;
  o->beta = beta;
  o->lambda = isnan(lambda) ? 0.0 : lambda; /* DPO, reward: no λ */
  o->gamma = as_tab_gamma(cfg, beta);
  o->beta_dpo = as_tab_beta_dpo(cfg, beta);
  o->ridge = cfg->hp.ridge;
  o->dpo_steps = cfg->hp.dpo_steps;
  if (!isnan(cfg->hp.dpo_lr))
    o->dpo_lr = cfg->hp.dpo_lr;
  as_hparam_copy_set(cfg->hpt, &cfg->hp, o);
}

void as_tab_fit_opts(const as_tab_unit *u, as_method m, double lambda,
                     as_fit_opts *o)
{
  as_tab_fit_opts_cfg(u->cfg, u->beta, m, lambda, o);
}

/* ---- the λ grid */

void as_tab_cand_row(const as_tab_cand *c, size_t cell, long rep,
                     const char *method, double n, double beta,
                     int has_lambda, as_result_row *row)
{
  as_result_row_init(row, cell, rep, method, n, beta);
  if (has_lambda)
    row->lambda = c->lambda;
  as_metrics_to_array(&c->met, row->metrics);
  row->heldout_score = c->score;
  row->reward_no_mle = c->no_mle;
  row->not_converged = c->not_converged;
  row->iterations = c->iterations;
  row->theta_norm = c->theta_norm;
  row->status = c->status;
}

size_t as_tab_choose(const as_tab_cand *c, size_t k, as_tuning t)
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

/* Whether method m's candidates are tuned over a grid (one row for the
 * chosen λ) rather than each given its row. */
static int grid_tuned(const as_config *cfg, as_method m)
{
  return cfg->tuning != AS_TUNING_FIXED && as_tab_method_has_lambda(m) &&
         cfg->n_lambda > 1;
}

int as_tab_cand_metrics(const as_config *cfg, as_method m,
                        const as_instance *inst, double beta,
                        const double *met_reward, as_tab_cand *c,
                        as_err *err)
{
  return as_tab_cand_metrics_win(cfg, m, inst, beta, met_reward, NULL, c,
                                 err);
}

int as_tab_cand_metrics_win(const as_config *cfg, as_method m,
                            const as_instance *inst, double beta,
                            const double *met_reward, const double *win,
                            as_tab_cand *c, as_err *err)
{
  c->met_inst = inst;
  c->met_beta = beta;
  c->met_reward = met_reward;
  c->met_win = win;
  c->partial = grid_tuned(cfg, m);
  if (!c->partial)
    return as_metrics_compute_win(inst, beta, c->log_pi, met_reward, win,
                                  &c->met, err);
  as_metrics nan = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
  c->met = nan; /* the forward KL comes when the grid is tuned */
  return AS_OK;
}

int as_tab_cand_defers(const as_config *cfg, as_method m)
{
  return cfg->tuning == AS_TUNING_ORACLE && grid_tuned(cfg, m);
}

int as_tab_cand_policy(as_tab_cand *c, as_err *err)
{
  if (c->log_pi != NULL || c->logits == NULL)
    return AS_OK;
  size_t K = c->met_inst->K, V = c->met_inst->V;
  if ((c->log_pi = malloc(K * V * sizeof(double))) == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  for (size_t x = 0; x < K; x++)
    as_log_softmax(c->logits + x * V, V, c->log_pi + x * V);
  return AS_OK;
}

/* Candidate c's estimate and bound (as_metrics_fwd_kl_screen_above, on
 * its rows or its logits while it holds only those) on the target *t,
 * made on first use; NaN for both when c is not on it.  A converged
 * candidate (its rows are distributions) is screened only until its
 * rows prove it above cap: then *above = 1 and *est is that floor. */
static int cand_screen(as_tab_cand *c, as_metrics_target **t, double cap,
                       double *est, double *bound, int *above, as_err *err)
{
  *est = *bound = NAN;
  *above = 0;
  if (*t == NULL) {
    int rc = as_metrics_target_new(c->met_inst, c->met_beta, t, err);
    if (rc != AS_OK)
      return rc;
  }
  if (!as_metrics_target_is(*t, c->met_inst, c->met_beta))
    return AS_OK;
  return as_metrics_fwd_kl_screen_above(
      *t, c->log_pi != NULL ? c->log_pi : c->logits, c->log_pi == NULL,
      c->status == AS_OK ? cap : NAN, est, bound, above, err);
}

/* Why it is exact: a candidate left with its estimate has an exact value
 * above hi, and hi is at least the least exact value kept, so
 * as_tab_choose picks what it would pick from exact values (ties
 * included: every tied minimum is kept).  A converged candidate is
 * screened only while its rows do not prove it above the hi of the
 * candidates before it (as_metrics_fwd_kl_screen_above); hi only falls,
 * so one stopped is above the final hi too, and keeps its floor. */
int as_tab_screen_fwd_kl(as_tab_cand *c, size_t k, as_err *err)
{
  double *est = malloc(2 * k * sizeof *est);
  unsigned char *above = calloc(k, 1);
  if (est == NULL || above == NULL) {
    free(est);
    free(above);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  double *bnd = est + k;
  as_metrics_target *t = NULL;
  int rc = AS_OK;
  double hi = NAN; /* no converged candidate with an estimate: all exact */
  for (size_t i = 0; i < k && rc == AS_OK; i++) {
    if (c[i].abandoned) {
      est[i] = bnd[i] = NAN;
      continue;
    }
    int ab;
    rc = cand_screen(&c[i], &t, hi, &est[i], &bnd[i], &ab, err);
    above[i] = (unsigned char)ab;
    if (rc == AS_OK && !ab && c[i].status == AS_OK && !isnan(est[i]) &&
        !(est[i] + bnd[i] >= hi))
      hi = est[i] + bnd[i];
  }
  for (size_t i = 0; i < k && rc == AS_OK; i++) {
    if (c[i].abandoned)
      c[i].met.fwd_kl = NAN; /* incomplete rows: never chosen */
    else if (above[i])
      c[i].met.fwd_kl = est[i]; /* a floor above hi: never chosen */
    else if (isnan(hi) || isnan(est[i]) || est[i] - bnd[i] <= hi) {
      if ((rc = as_tab_cand_policy(&c[i], err)) == AS_OK)
        rc = as_metrics_fwd_kl(c[i].met_inst, c[i].met_beta, c[i].log_pi,
                               &c[i].met.fwd_kl, err);
    } else
      c[i].met.fwd_kl = est[i];
  }
  as_metrics_target_free(t);
  free(est);
  free(above);
  return rc;
}

/* The full metrics of a candidate that has only what tuning reads. */
static int cand_complete(as_tab_cand *c, as_err *err)
{
  if (!c->partial)
    return AS_OK;
  c->partial = 0;
  int rc = as_tab_cand_policy(c, err);
  if (rc != AS_OK)
    return rc;
  return as_metrics_compute_win(c->met_inst, c->met_beta, c->log_pi,
                                c->met_reward, c->met_win, &c->met, err);
}

static int any_abandoned(const as_tab_cand *c, size_t k)
{
  for (size_t i = 0; i < k; i++)
    if (c[i].abandoned)
      return 1;
  return 0;
}

/* The rows of method m's k fitted candidates: one per λ under tuning
 * "fixed" (or a method without λ), else the tuned one's. */
static int grid_rows(const as_config *cfg, as_tab_row_fn fill,
                     const void *ctx, as_method m, as_tab_cand *c, size_t k,
                     as_rows *out, as_err *err)
{
  int has_lambda = as_tab_method_has_lambda(m);
  as_result_row row;
  if (cfg->tuning == AS_TUNING_FIXED || !has_lambda) {
    for (size_t i = 0; i < k; i++) {
      fill(ctx, m, &c[i], has_lambda, &row);
      if (as_rows_push(out, &row) != AS_OK)
        return as_err_set(err, AS_ENOMEM, "out of memory");
    }
    return AS_OK;
  }
  int rc;
  if (cfg->tuning == AS_TUNING_ORACLE && c[0].partial &&
      (rc = as_tab_screen_fwd_kl(c, k, err)) != AS_OK)
    return rc;
  as_tab_cand *best = &c[as_tab_choose(c, k, cfg->tuning)];
  if (best->status != AS_OK && any_abandoned(c, k))
    return as_err_set(err, AS_ERETRY, "%s: no candidate converged and some "
                      "were given up", as_method_name(m));
  if ((rc = cand_complete(best, err)) != AS_OK)
    return rc;
  fill(ctx, m, best, 1, &row);
  if (as_rows_push(out, &row) != AS_OK)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  return AS_OK;
}

int as_tab_run_grid(const as_config *cfg, as_tab_fit_fn fit,
                    as_tab_row_fn fill, const void *ctx, as_rows *out,
                    as_err *err)
{
  as_tab_cand *c = calloc(cfg->n_lambda, sizeof *c);
  if (c == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  int rc = AS_OK;
  for (size_t mi = 0; mi < cfg->n_methods && rc == AS_OK; mi++) {
    as_method m = cfg->methods[mi];
    int has_lambda = as_tab_method_has_lambda(m);
    size_t k = has_lambda ? cfg->n_lambda : 1, done = 0;
    for (; done < k && rc == AS_OK; done++)
      rc = fit(ctx, m, has_lambda ? cfg->lambda[done] : NAN, &c[done], err);
    if (rc == AS_OK)
      rc = grid_rows(cfg, fill, ctx, m, c, k, out, err);
    for (size_t i = 0; i < done; i++) {
      free(c[i].log_pi);
      free(c[i].logits);
      c[i].log_pi = c[i].logits = NULL;
    }
  }
  free(c);
  return rc;
}
