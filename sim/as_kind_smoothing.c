/* as_kind_smoothing.c — experiment E8, Appendix B (docs/reference.md §3, "prior
 * smoothing"): the RKL solution at (λ, γ) equals the RLHF solution with the
 * prior π_ref replaced by π_ref^{λ/(λ+γ)} (normalised) and temperature
 * λ + γ.  Each side is computed by the Newton solver on its own objective
 * (as_fit_with_reward: RKL with π_ref; RLHF with the smoothed prior), so
 * the two routes share only the fitted reward; the aux column reports
 * max_{x,y} |log π_RKL − log π_RLHF,smoothed|, and fwd_kl etc. are those
 * of the RKL solution.  Every λ of the grid is a row. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_experiment.h"
#include "as_math.h"
#include "as_tabular.h"

static int smoothing_check(const as_config *cfg, as_err *err)
{
  if (cfg->cls.type != AS_CLASS_TABULAR)
    return as_err_set(err, AS_ENOTSUP, "%s: kind 'prior-smoothing' runs the "
                      "tabular class only", cfg->path);
  if (cfg->n_methods != 1 || cfg->methods[0] != AS_METHOD_RKL)
    return as_err_set(err, AS_EINVAL, "%s: kind 'prior-smoothing' compares "
                      "RKL with smoothed-prior RLHF: set methods = "
                      "[\"rkl\"]", cfg->path);
  if (cfg->tuning != AS_TUNING_FIXED)
    return as_err_set(err, AS_EINVAL, "%s: kind 'prior-smoothing' reports "
                      "every lambda: set tuning = \"fixed\"", cfg->path);
  return AS_OK;
}

static int smoothing_run_unit(const as_config *cfg, size_t cell, long rep,
                              as_rows *out, as_err *err)
{
  as_tab_unit u;
  int rc = as_tab_unit_setup(cfg, cell, rep, AS_TAB_NEED_REWARD, &u, err);
  if (rc != AS_OK)
    return rc;
  size_t K = u.d.K, V = u.d.V;
  double *prior = malloc(K * V * sizeof *prior);
  if (prior == NULL) {
    as_tab_unit_free(&u);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  for (size_t li = 0; li < cfg->n_lambda && rc == AS_OK; li++) {
    double lambda = cfg->lambda[li], g = u.gamma, T = lambda + g;
    if (!(T > 0)) {
      rc = as_err_set(err, AS_EINVAL, "%s: prior smoothing needs lambda + "
                      "gamma > 0 (lambda = %g, gamma = %g)", cfg->path,
                      lambda, g);
      break;
    }
    for (size_t x = 0; x < K; x++) {
      for (size_t y = 0; y < V; y++)
        prior[x * V + y] = (lambda / T) * u.inst->log_pi_ref[x * V + y];
      as_log_softmax(prior + x * V, V, prior + x * V);
    }
    as_fit_opts o;
    as_fit_result a, b;
    as_tab_fit_opts(&u, AS_METHOD_RKL, lambda, &o);
    as_err e1;
    as_err_clear(&e1);
    if ((rc = as_fit_with_reward(&o, &u.d, u.reward, &a, &e1)) != AS_OK) {
      if (err != NULL)
        *err = e1;
      break;
    }
    as_tab_fit_opts(&u, AS_METHOD_RLHF, T, &o);
    as_data ds = u.d;
    ds.log_ref = prior;
    if ((rc = as_fit_with_reward(&o, &ds, u.reward, &b, &e1)) != AS_OK) {
      if (err != NULL)
        *err = e1;
      as_fit_result_free(&a);
      break;
    }
    double dmax = 0;
    for (size_t i = 0; i < K * V; i++) {
      double dlt = fabs(a.log_pi[i] - b.log_pi[i]);
      if (!(dlt <= dmax)) /* NaN-propagating max */
        dmax = dlt;
    }
    as_metrics met;
    rc = as_metrics_compute(u.inst, u.beta, a.log_pi, u.reward, &met, err);
    if (rc == AS_OK) {
      as_result_row row;
      as_result_row_init(&row, cell, rep, "rkl", u.n, u.beta);
      row.lambda = lambda;
      row.gamma = g;
      as_metrics_to_array(&met, row.metrics);
      row.rlhf_floor = u.floor.floor;
      row.rlhf_floor_lambda = u.floor.lambda;
      row.reward_no_mle = (long)u.rinfo.reward_no_mle;
      row.not_converged = (long)(a.contexts_not_converged
                                 + b.contexts_not_converged);
      row.iterations = a.iterations > b.iterations ? a.iterations
                                                   : b.iterations;
      row.theta_norm = a.theta_norm;
      row.status = a.status != AS_OK ? a.status : b.status;
      row.aux = dmax;
      if (as_rows_push(out, &row) != AS_OK)
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
    }
    as_fit_result_free(&a);
    as_fit_result_free(&b);
  }
  free(prior);
  as_tab_unit_free(&u);
  return rc;
}

const as_experiment_kind as_kind_smoothing = {
  .name = "prior-smoothing",
  .aux_name = "max_abs_logpi_diff",
  .check = smoothing_check,
  .n_cells = as_tab_n_cells,
  .run_unit = smoothing_run_unit,
};
