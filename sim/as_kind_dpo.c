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
 * stepped). */
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

static int stop_at_start(long step, size_t K, size_t V, const double *lp,
                         double nrm, void *user)
{
  (void)step, (void)K, (void)V, (void)lp, (void)nrm, (void)user;
  return 1;
}

static int dpo_run_unit(const as_config *cfg, size_t cell, long rep,
                        as_rows *out, as_err *err)
{
  size_t ns = record_steps(cfg->hp.dpo_steps, NULL);
  long *steps = malloc(ns * sizeof *steps);
  if (steps == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  record_steps(cfg->hp.dpo_steps, steps);
  size_t si = cell % ns, base = cell / ns;
  size_t bi = base / cfg->n_n, ni = base % cfg->n_n;
  long step = steps[si];
  free(steps);
  double beta = cfg->beta[bi], n = (double)cfg->n[ni];
  size_t K = cfg->instance.K, V = cfg->instance.V, cells = K * V * V;
  as_instance *inst = NULL;
  double *P = malloc(cells * sizeof *P);
  as_fit_result res;
  memset(&res, 0, sizeof res);
  int rc = P == NULL ? as_err_set(err, AS_ENOMEM, "out of memory") : AS_OK;
  if (rc == AS_OK)
    rc = as_tab_draw_instance(cfg, rep, &inst, NULL, err);
  /* the data stream of the (β, n) pair: every step cell sees the same data */
  if (rc == AS_OK)
    rc = as_tab_labelled(cfg, as_experiment_stream(base, AS_STREAM_DATA),
                         rep, inst, beta, n, P, err);
  as_dilemma fl;
  if (rc == AS_OK)
    rc = as_dilemma_floor(inst, beta, &fl, err);
  if (rc != AS_OK)
    goto done;
  as_data d;
  as_tab_data_init(&d, inst, n, P, NULL);

  for (size_t mi = 0; mi < cfg->n_methods && rc == AS_OK; mi++) {
    as_method m = cfg->methods[mi];
    if (m == AS_METHOD_PMLE && si + 1 != ns)
      continue; /* PMLE once per (β, n, replicate), in the last step cell */
    size_t k = m == AS_METHOD_DPO ? 1 : cfg->n_lambda;
    for (size_t li = 0; li < k && rc == AS_OK; li++) {
      as_fit_opts o;
      as_fit_opts_default(&o);
      o.method = m;
      o.beta = beta;
      o.beta_dpo = as_tab_beta_dpo(cfg, beta);
      o.lambda = m == AS_METHOD_DPO ? 0.0 : cfg->lambda[li];
      o.dpo_steps = step;
      o.dpo_lr = cfg->hp.dpo_lr;
      as_err ferr;
      as_err_clear(&ferr);
      if (m == AS_METHOD_DPO && step == 0) {
        /* step 0 is the start θ = log π_ref: one step allowed, stopped by
         * the trace before it is taken (dpo_steps = 0 would mean "solve") */
        o.dpo_steps = 1;
        o.trace = stop_at_start;
      }
      rc = as_fit(&o, &d, &res, &ferr);
      if (rc != AS_OK) {
        if (err != NULL)
          *err = ferr;
        break;
      }
      as_metrics met;
      if ((rc = as_metrics_compute(inst, beta, res.log_pi, NULL, &met, err))
          == AS_OK) {
        as_result_row row;
        as_result_row_init(&row, cell, rep, as_method_name(m), n, beta);
        row.rlhf_floor = fl.floor;
        row.rlhf_floor_lambda = fl.lambda;
        as_metrics_to_array(&met, row.metrics);
        row.reward_no_mle = (long)res.reward_no_mle;
        row.not_converged = (long)res.contexts_not_converged;
        row.iterations = res.iterations;
        row.theta_norm = res.theta_norm;
        row.status = res.status;
        if (m == AS_METHOD_DPO) {
          row.beta_dpo = o.beta_dpo;
          row.aux = (double)step;
        } else {
          row.lambda = o.lambda;
        }
        if (as_rows_push(out, &row) != AS_OK)
          rc = as_err_set(err, AS_ENOMEM, "out of memory");
      }
      as_fit_result_free(&res);
    }
  }
done:
  free(P);
  as_instance_free(inst);
  return rc;
}

const as_experiment_kind as_kind_dpo = {
  .name = "dpo-degeneracy",
  .aux_name = "dpo_step",
  .check = dpo_check,
  .n_cells = dpo_n_cells,
  .run_unit = dpo_run_unit,
};
