/* as_kind_dpo.c — experiment E6 (docs/reference.md §6, §3 "DPO with finite data"):
 * DPO's degeneracy on finite, separated data, against PMLE with its KL
 * term, in the tabular class.
 *
 * DPO is run as it is used: `dpo_steps` gradient steps of size `dpo_lr`
 * on the total loss from θ = log π_ref (as_fit, dpo_steps mode), no
 * regulariser.  Where a context's win graph fails the criterion of
 * as_graph.h (small n: separated), the loss has no finite minimiser and
 * ‖θ‖ grows without bound (like log(step)), the entropy falls to 0 and the
 * forward KL runs away.  PMLE −(1/n)Σ N log σ(βΔθ) + λ KL_ref(θ) is solved
 * (Newton, as_fit) at every λ of the grid; KL_ref is bounded on the
 * simplex, so PMLE is not convex in θ and for β < 1, small λ and separated
 * data its infimum can also be at infinity (e^{−βt} decays slower than the
 * KL term's corrections): such fits come back with status "not converged"
 * / "diverged" and a large ‖θ‖, and are reported, not hidden.
 *
 * Cells: β-major, then n, then the recorded step s (0, 1, 2, 5, 10, 20,
 * 50, ... ≤ dpo_steps, and dpo_steps itself).  All step cells of one
 * (β, n) share the instance and the data (both streams are those of the
 * (β, n) pair: instance stream of the replicate, data stream
 * as_experiment_stream(bi·n_n + ni, AS_STREAM_DATA)), so a replicate's
 * rows over s are one training run.  A unit of step cell s runs DPO for s
 * steps (row: iterations = s, theta_norm, metrics; aux = s).  PMLE rows
 * (one per λ; tuning must be "fixed") are written once per (β, n, replicate),
 * in the cell of the last step, with aux = NaN (PMLE is solved, not
 * stepped).  The runner computes a (β, n, replicate)'s step cells together
 * when it can (run_group, as_experiment.h): the one training run in pieces
 * between the recorded steps, the same rows as each unit alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_dilemma.h"
#include "as_experiment.h"
#include "as_fit.h"
#include "as_metrics.h"
#include "as_tabular.h"

/* The recorded steps: 0, then 1-2-5 per decade below `total`, then total.
 * steps may be NULL (count only). */
static size_t record_steps(long total, long *steps)
{
  static const long mant[] = {1, 2, 5};
  size_t k = 0;
  if (steps)
    steps[k] = 0;
  k++;
  for (long dec = 1; dec < total; dec *= 10) /* total ≤ 1e8: no overflow */
    for (size_t i = 0; i < 3; i++)
      if (mant[i] * dec < total) {
        if (steps)
          steps[k] = mant[i] * dec;
        k++;
      }
  if (total > 0) {
    if (steps)
      steps[k] = total;
    k++;
  }
  return k;
}

static size_t dpo_n_cells(const as_config *cfg)
{
  return cfg->n_beta * cfg->n_n * record_steps(cfg->hp.dpo_steps, NULL);
}

static int dpo_check(const as_config *cfg, as_err *err)
{
  if (cfg->cls.type != AS_CLASS_TABULAR)
    return as_err_set(err, AS_ENOTSUP, "%s: kind 'dpo-degeneracy' runs the "
                      "tabular class only", cfg->path);
  if (cfg->hp.dpo_steps < 1)
    return as_err_set(err, AS_EINVAL, "%s: kind 'dpo-degeneracy' needs "
                      "dpo_steps >= 1 (DPO run as used: gradient steps)",
                      cfg->path);
  if (isnan(cfg->hp.dpo_lr))
    return as_err_set(err, AS_EINVAL, "%s: kind 'dpo-degeneracy' needs an "
                      "explicit dpo_lr (the learning rate sets the time "
                      "scale of the run-away)", cfg->path);
  if (cfg->population)
    return as_err_set(err, AS_EINVAL, "%s: kind 'dpo-degeneracy' is about "
                      "finite data: set population = false", cfg->path);
  int has_dpo = 0;
  for (size_t i = 0; i < cfg->n_methods; i++) {
    if (cfg->methods[i] == AS_METHOD_DPO)
      has_dpo = 1;
    else if (cfg->methods[i] != AS_METHOD_PMLE)
      return as_err_set(err, AS_EINVAL, "%s: kind 'dpo-degeneracy' runs dpo "
                        "and pmle only (not %s)", cfg->path,
                        as_method_name(cfg->methods[i]));
    else if (cfg->tuning != AS_TUNING_FIXED)
      return as_err_set(err, AS_EINVAL, "%s: kind 'dpo-degeneracy' reports "
                        "PMLE at every lambda (where it escapes): set tuning "
                        "= \"fixed\"", cfg->path);
  }
  if (!has_dpo)
    return as_err_set(err, AS_EINVAL, "%s: kind 'dpo-degeneracy' needs "
                      "method dpo", cfg->path);
  return AS_OK;
}

/* What the step cells of one (β, n, replicate) share: the recorded steps,
 * the instance, the data and the RLHF floor. */
typedef struct dpo_unit {
  size_t ns, base;
  long *steps;
  double beta, n;
  as_instance *inst;
  double *P;
  as_data d;
  as_dilemma fl;
} dpo_unit;

static void dpo_unit_free(dpo_unit *du)
{
  free(du->steps);
  free(du->P);
  as_instance_free(du->inst);
}

/* The shared part of cell's units (any step cell of the group). */
static int dpo_unit_open(const as_config *cfg, size_t cell, long rep,
                         dpo_unit *du, as_err *err)
{
  memset(du, 0, sizeof *du);
  du->ns = record_steps(cfg->hp.dpo_steps, NULL);
  du->base = cell / du->ns;
  size_t bi = du->base / cfg->n_n, ni = du->base % cfg->n_n;
  du->beta = cfg->beta[bi];
  du->n = (double)cfg->n[ni];
  size_t K = cfg->instance.K, V = cfg->instance.V;
  du->steps = malloc(du->ns * sizeof *du->steps);
  du->P = malloc(K * V * V * sizeof *du->P);
  int rc = du->steps == NULL || du->P == NULL
               ? as_err_set(err, AS_ENOMEM, "out of memory") : AS_OK;
  if (rc == AS_OK) {
    record_steps(cfg->hp.dpo_steps, du->steps);
    rc = as_tab_draw_instance(cfg, rep, &du->inst, NULL, err);
  }
  /* the data stream of the (β, n) pair: every step cell sees the same data */
  if (rc == AS_OK)
    rc = as_tab_labelled(cfg, as_experiment_stream(du->base, AS_STREAM_DATA),
                         rep, du->inst, du->beta, du->n, du->P, err);
  if (rc == AS_OK)
    rc = as_dilemma_floor(du->inst, du->beta, &du->fl, err);
  if (rc != AS_OK) {
    dpo_unit_free(du);
    return rc;
  }
  as_tab_data_init(&du->d, du->inst, du->n, du->P, NULL);
  return AS_OK;
}

static int stop_at_start(long step, size_t K, size_t V, const double *lp,
                         double nrm, void *user)
{
  (void)step, (void)K, (void)V, (void)lp, (void)nrm, (void)user;
  return 1;
}

/* DPO's fit for step cell si: steps[si] gradient steps from log π_ref, or,
 * with theta holding θ after steps[si − 1] (resume), the rest of them —
 * the same bits (as_fit_opts.dpo_theta).  theta (K×V, or NULL) receives θ. */
static void dpo_opts(const as_config *cfg, const dpo_unit *du, size_t si,
                     double *theta, int resume, as_fit_opts *o)
{
  long step = du->steps[si];
  o->method = AS_METHOD_DPO;
  o->beta = du->beta;
  o->beta_dpo = as_tab_beta_dpo(cfg, du->beta);
  o->lambda = 0.0;
  o->dpo_steps = resume ? step - du->steps[si - 1] : step;
  o->dpo_lr = cfg->hp.dpo_lr;
  o->dpo_theta = theta;
  o->dpo_resume = resume;
  if (step == 0) {
    /* step 0 is the start θ = log π_ref: one step allowed, stopped by
     * the trace before it is taken (dpo_steps = 0 would mean "solve") */
    o->dpo_steps = 1;
    o->trace = stop_at_start;
  }
}

/* The row of fit res in cell (step cell si); a DPO piece resumed after
 * `done` steps counts its own steps, the row the run's. */
static int dpo_push_row(size_t cell, long rep, const dpo_unit *du,
                        size_t si, long done, const as_fit_opts *o,
                        const as_fit_result *res, as_rows *out, as_err *err)
{
  as_metrics met;
  int rc = as_metrics_compute(du->inst, du->beta, res->log_pi, NULL, &met,
                              err);
  if (rc != AS_OK)
    return rc;
  as_result_row row;
  as_result_row_init(&row, cell, rep, as_method_name(o->method), du->n,
                     du->beta);
  row.rlhf_floor = du->fl.floor;
  row.rlhf_floor_lambda = du->fl.lambda;
  as_metrics_to_array(&met, row.metrics);
  row.reward_no_mle = (long)res->reward_no_mle;
  row.not_converged = (long)res->contexts_not_converged;
  row.iterations = res->iterations;
  row.theta_norm = res->theta_norm;
  row.status = res->status;
  if (o->method == AS_METHOD_DPO) {
    row.iterations += done;
    row.beta_dpo = o->beta_dpo;
    row.aux = (double)du->steps[si];
  } else {
    row.lambda = o->lambda;
  }
  if (as_rows_push(out, &row) != AS_OK)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  return AS_OK;
}

/* One fit and its row. */
static int dpo_fit_row(size_t cell, long rep, const dpo_unit *du, size_t si,
                       long done, const as_fit_opts *o, as_rows *out,
                       as_err *err)
{
  as_fit_result res;
  memset(&res, 0, sizeof res);
  as_err ferr;
  as_err_clear(&ferr);
  int rc = as_fit(o, &du->d, &res, &ferr);
  if (rc != AS_OK) {
    if (err != NULL)
      *err = ferr;
    return rc;
  }
  rc = dpo_push_row(cell, rep, du, si, done, o, &res, out, err);
  as_fit_result_free(&res);
  return rc;
}

/* Step cell si's rows, methods in the configured order: DPO (theta and
 * resume as dpo_opts), and PMLE at every λ in the last step cell only
 * (once per (β, n, replicate)). */
static int dpo_cell_rows(const as_config *cfg, const dpo_unit *du,
                         size_t si, long rep, double *theta, int resume,
                         as_rows *out, as_err *err)
{
  size_t cell = du->base * du->ns + si;
  long done = resume ? du->steps[si - 1] : 0;
  int rc = AS_OK;
  for (size_t mi = 0; mi < cfg->n_methods && rc == AS_OK; mi++) {
    as_fit_opts o;
    as_fit_opts_default(&o);
    if (cfg->methods[mi] == AS_METHOD_DPO) {
      dpo_opts(cfg, du, si, theta, resume, &o);
      rc = dpo_fit_row(cell, rep, du, si, done, &o, out, err);
      continue;
    }
    if (si + 1 != du->ns)
      continue;
    o.method = cfg->methods[mi];
    o.beta = du->beta;
    o.beta_dpo = as_tab_beta_dpo(cfg, du->beta);
    o.dpo_steps = du->steps[si];
    o.dpo_lr = cfg->hp.dpo_lr;
    for (size_t li = 0; li < cfg->n_lambda && rc == AS_OK; li++) {
      o.lambda = cfg->lambda[li];
      rc = dpo_fit_row(cell, rep, du, si, 0, &o, out, err);
    }
  }
  return rc;
}

static int dpo_run_unit(const as_config *cfg, size_t cell, long rep,
                        as_rows *out, as_err *err)
{
  dpo_unit du;
  int rc = dpo_unit_open(cfg, cell, rep, &du, err);
  if (rc != AS_OK)
    return rc;
  rc = dpo_cell_rows(cfg, &du, cell % du.ns, rep, NULL, 0, out, err);
  dpo_unit_free(&du);
  return rc;
}

/* A (β, n) pair's step cells are one group: one training run. */
static size_t dpo_group_of(const as_config *cfg, size_t cell, size_t *first)
{
  size_t ns = record_steps(cfg->hp.dpo_steps, NULL);
  *first = cell - cell % ns;
  return ns;
}

/* The units (first + i, rep) of one group: the data drawn once, and DPO
 * run once, in pieces between the recorded steps (as_fit_opts.dpo_theta:
 * each piece continues the last, the same bits as run_unit's runs from
 * the start).  The instance, data and floor are charged to the first
 * cell, each piece to its own. */
static int dpo_run_group(const as_config *cfg, size_t first, size_t count,
                         long rep, as_rows *outs, double *secs, size_t *done,
                         as_err *err)
{
  double t0 = as_experiment_thread_seconds();
  dpo_unit du;
  *done = 0;
  int rc = dpo_unit_open(cfg, first, rep, &du, err);
  if (rc != AS_OK)
    return rc;
  size_t KV = cfg->instance.K * cfg->instance.V;
  double *theta = count == du.ns ? malloc(KV * sizeof *theta) : NULL;
  if (theta == NULL)
    rc = as_err_set(err, count == du.ns ? AS_ENOMEM : AS_EINVAL,
                    "dpo group: %zu cells of %zu", count, du.ns);
  for (; *done < count && rc == AS_OK; ++*done) {
    size_t si = *done;
    rc = dpo_cell_rows(cfg, &du, si, rep, theta, si > 0, &outs[si], err);
    double t1 = as_experiment_thread_seconds();
    secs[si] = t1 - t0;
    t0 = t1;
    if (rc != AS_OK)
      break;
  }
  free(theta);
  dpo_unit_free(&du);
  return rc;
}
const as_experiment_kind as_kind_dpo = {
  .name = "dpo-degeneracy",
  .aux_name = "dpo_step",
  .check = dpo_check,
  .n_cells = dpo_n_cells,
  .run_unit = dpo_run_unit,
  .group_of = dpo_group_of,
  .run_group = dpo_run_group,
};
