/* as_floors.c — see as_floors.h. */
#include "as_floors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>

#include "as_metrics.h"
#include "as_pref.h"

as_floor_tuning as_floor_tuning_of(as_method m)
{
  switch (m) {
  case AS_METHOD_PMLE:
  case AS_METHOD_DISTILL:
  case AS_METHOD_REBEL:
  case AS_METHOD_RKL:
    return (as_floor_tuning){AS_TUNE_LAMBDA, "lambda", 0, 0, 1, 0};
  case AS_METHOD_RLHF:
  case AS_METHOD_NASH:
  case AS_METHOD_REBEL_ITER:
    return (as_floor_tuning){AS_TUNE_LAMBDA, "lambda", 0, 0, 0, 0};
  case AS_METHOD_DPO:
  case AS_METHOD_CDPO:
  case AS_METHOD_RDPO:
  case AS_METHOD_GPO:
  case AS_METHOD_SLIC:
  case AS_METHOD_CHIPO:
    return (as_floor_tuning){AS_TUNE_BETA_DPO, "beta_dpo", 1e-2, 1e2, 0, 0};
  case AS_METHOD_SIMPO:
    return (as_floor_tuning){AS_TUNE_BETA_DPO, "beta_dpo", 1e-2, 1e2, 0, 1};
  case AS_METHOD_IPO:
    return (as_floor_tuning){AS_TUNE_TAU, "tau", 1e-3, 1e3, 0, 0};
  case AS_METHOD_ORPO:
    return (as_floor_tuning){AS_TUNE_ALPHA, "alpha", 1e-3, 1e3, 1, 0};
  case AS_METHOD_SPPO:
    return (as_floor_tuning){AS_TUNE_ROUNDS, "T", 1, 1e4, 0, 0};
  default:
    return (as_floor_tuning){AS_TUNE_NONE, "-", 0, 0, 0, 0};
  }
}

void as_floor_set(as_fit_opts *o, as_method m, double v)
{
  switch (as_floor_tuning_of(m).param) {
  case AS_TUNE_LAMBDA: o->lambda = v; break;
  case AS_TUNE_BETA_DPO: o->beta_dpo = v; break;
  case AS_TUNE_TAU: o->tau = v; break;
  case AS_TUNE_ALPHA: o->alpha = v; break;
  case AS_TUNE_ROUNDS: o->iterations = v < 1 ? 1 : lround(v); break;
  default: break;
  }
}

int as_floor_grid(as_method m, double beta, const double *lambda_grid,
                  size_t n_lambda, size_t points, double **out,
                  size_t *count, as_err *err)
{
  as_floor_tuning t = as_floor_tuning_of(m);
  size_t n = t.param == AS_TUNE_LAMBDA ? n_lambda
             : t.param == AS_TUNE_NONE ? 1 : points;
  double *g = malloc((n + 2) * sizeof *g);
  if (g == NULL)
    return as_err_set(err, AS_ENOMEM, "floors: out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    double v;
    if (t.param == AS_TUNE_LAMBDA)
      v = lambda_grid[i];
    else if (t.param == AS_TUNE_NONE)
      v = NAN;
    else
      v = exp(log(t.lo) + (log(t.hi) - log(t.lo)) * (double)i /
                              (double)(points > 1 ? points - 1 : 1));
    if (t.param == AS_TUNE_ROUNDS) {
      v = (double)lround(v);
      if (k > 0 && g[k - 1] == v)
        continue; /* small T: rounding repeats values */
    }
    if (t.param == AS_TUNE_LAMBDA && v == 0.0 && !t.with_zero &&
        m != AS_METHOD_RLHF)
      continue;
    g[k++] = v;
  }
  int has0 = 0;
  for (size_t i = 0; i < k; i++)
    has0 |= g[i] == 0.0;
  if (t.with_zero && !has0)
    g[k++] = 0.0;
  if (t.with_beta)
    g[k++] = beta;
  *out = g;
  *count = k;
  return AS_OK;
}

int as_floor_kl_at(const as_instance *inst, double beta, double flip,
                   const as_fit_opts *base, double v, double *kl,
                   as_err *err)
{
  size_t K = inst->K, V = inst->V, C = K * V * V;
  double *P = malloc(C * sizeof *P), *Q = malloc(C * sizeof *Q);
  if (P == NULL || Q == NULL) {
    free(P);
    free(Q);
    return as_err_set(err, AS_ENOMEM, "floors: out of memory");
  }
  int rc = as_pref_cell_probs_flip(inst, beta, flip, P, err);
  if (rc == AS_OK)
    rc = as_pref_pair_probs(inst, Q, err);
  as_fit_opts o = *base;
  o.beta = beta;
  o.ridge = 0.0;
  as_floor_set(&o, o.method, v);
  as_data d = {.K = K, .V = V, .n = INFINITY, .P = P, .Q = Q,
               .log_rho = inst->log_rho, .log_ref = inst->log_pi_ref};
  as_fit_result res;
  as_err ferr;
  if (rc == AS_OK && (rc = as_fit(&o, &d, &res, &ferr)) != AS_OK && err)
    *err = ferr;
  if (rc == AS_OK) {
    as_metrics met;
    if (res.status == AS_EDIVERGE || res.unbounded > 0)
      *kl = INFINITY; /* no population point: never a floor */
    else if ((rc = as_metrics_compute(inst, beta, res.log_pi, NULL, &met,
                                      err)) == AS_OK)
      *kl = met.fwd_kl;
    as_fit_result_free(&res);
  }
  free(P);
  free(Q);
  return rc;
}

typedef struct brent_ctx {
  const as_instance *inst;
  double beta, flip;
  const as_fit_opts *base;
  int failed;
  size_t evals;
} brent_ctx;

static double kl_of_log(double s, void *p)
{
  brent_ctx *c = p;
  double kl = INFINITY;
  c->evals++;
  if (as_floor_kl_at(c->inst, c->beta, c->flip, c->base, exp(s), &kl,
                     NULL) != AS_OK)
    c->failed = 1;
  return isfinite(kl) ? kl : 1e300;
}

int as_floor_method(const as_instance *inst, double beta, double flip,
                    const as_fit_opts *base, const double *lambda_grid,
                    size_t n_lambda, size_t points, as_floor *out,
                    as_err *err)
{
  as_method m = base->method;
  double *g = NULL;
  size_t k = 0;
  int rc = as_floor_grid(m, beta, lambda_grid, n_lambda, points, &g, &k, err);
  if (rc != AS_OK)
    return rc;
  double *kl = malloc(k * sizeof *kl);
  if (kl == NULL) {
    free(g);
    return as_err_set(err, AS_ENOMEM, "floors: out of memory");
  }
  size_t best = 0;
  for (size_t i = 0; i < k && rc == AS_OK; i++) {
    rc = as_floor_kl_at(inst, beta, flip, base, g[i], &kl[i], err);
    if (rc == AS_OK && kl[i] < kl[best])
      best = i;
  }
  out->evals = k;
  if (rc == AS_OK) {
    out->floor = kl[best];
    out->argmin = g[best];
    /* Refine between the grid neighbours of an interior positive best
     * (grids are increasing apart from the appended 0 / β). */
    size_t lo = best, hi = best;
    if (g[best] > 0 && best > 0 && best + 1 < k && g[best - 1] > 0 &&
        g[best + 1] > g[best] && g[best - 1] < g[best] &&
        kl[best] < kl[best - 1] && kl[best] < kl[best + 1] &&
        as_floor_tuning_of(m).param != AS_TUNE_ROUNDS) {
      lo = best - 1;
      hi = best + 1;
    }
    if (lo < hi && out->floor > 1e-9) {
      brent_ctx bc = {inst, beta, flip, base, 0, 0};
      gsl_function F = {kl_of_log, &bc};
      gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
      if (s != NULL &&
          gsl_min_fminimizer_set_with_values(s, &F, log(g[best]), kl[best],
                                             log(g[lo]), kl[lo], log(g[hi]),
                                             kl[hi]) == GSL_SUCCESS) {
        for (int it = 0; it < 60; it++) {
          if (gsl_min_fminimizer_iterate(s) != GSL_SUCCESS)
            break;
          double a = gsl_min_fminimizer_x_lower(s);
          double b = gsl_min_fminimizer_x_upper(s);
          if (gsl_min_test_interval(a, b, 1e-6, 0.0) == GSL_SUCCESS)
            break;
        }
        double fm = gsl_min_fminimizer_f_minimum(s);
        if (!bc.failed && fm < out->floor) {
          out->floor = fm;
          out->argmin = exp(gsl_min_fminimizer_x_minimum(s));
        }
      }
      if (s != NULL)
        gsl_min_fminimizer_free(s);
      out->evals += bc.evals;
    }
    out->consistent = out->floor <= 1e-9;
  }
  free(g);
  free(kl);
  return rc;
}
