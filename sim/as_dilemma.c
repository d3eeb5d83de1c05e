/* as_dilemma.c — the RLHF floor F_RLHF (docs/reference.md §3) by 1-D convex
 * minimisation over t = β/λ. */
#include "as_dilemma.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>

#include "as_math.h"

/* f and f' at t with a caller-provided row buffer (length V). */
static double kl_at(const as_instance *inst, double t, double *dfdt,
                    double *row)
{
  size_t K = inst->K, V = inst->V;
  double f = 0, g = 0;
  for (size_t x = 0; x < K; x++) {
    const double *ls = inst->log_pi_star + x * V;
    const double *lr = inst->log_pi_ref + x * V;
    for (size_t y = 0; y < V; y++)
      row[y] = lr[y] + t * ls[y]; /* log π_ref + t log π*, unnormalised */
    as_log_softmax(row, V, row);
    double kl = 0, e_t = 0, e_star = 0;
    for (size_t y = 0; y < V; y++) {
      double ps = exp(ls[y]);
      kl += ps * (ls[y] - row[y]);
      e_star += ps * ls[y];
      if (row[y] > -INFINITY)
        e_t += exp(row[y]) * ls[y];
    }
    double rho = exp(inst->log_rho[x]);
    f += rho * kl;
    g += rho * (e_t - e_star);
  }
  if (dfdt != NULL)
    *dfdt = g;
  return f;
}

double as_dilemma_kl_at(const as_instance *inst, double t, double *dfdt)
{
  if (!(t >= 0) || !isfinite(t))
    return NAN;
  double *row = malloc(inst->V * sizeof(double));
  if (row == NULL)
    return NAN;
  double f = kl_at(inst, t, dfdt, row);
  free(row);
  return f;
}

typedef struct fparams {
  const as_instance *inst;
  double *row;
} fparams;

static double f_gsl(double t, void *vp)
{
  fparams *p = vp;
  return kl_at(p->inst, t, NULL, p->row);
}

static void set_result(as_dilemma *out, double beta, double t, double f,
                       double f0)
{
  out->t = t;
  out->floor = f;
  out->lambda = t > 0 ? beta / t : INFINITY;
  out->f0 = f0;
}

int as_dilemma_floor(const as_instance *inst, double beta, as_dilemma *out,
                     as_err *err)
{
  if (inst == NULL || out == NULL)
    return as_err_set(err, AS_EINVAL, "as_dilemma_floor: NULL argument");
  if (!(beta > 0) || !isfinite(beta))
    return as_err_set(err, AS_EINVAL, "as_dilemma_floor: beta must be > 0 "
                      "(%g)", beta);
  double *row = malloc(inst->V * sizeof(double));
  if (row == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  double g0, f0 = kl_at(inst, 0, &g0, row);
  if (!isfinite(f0) || !(g0 < 0)) {
    /* f' ≥ 0 at 0: by convexity t* = 0, λ* = ∞, the floor is π_ref's KL.
     * (An infinite f0 means π_ref misses part of π*'s support; then every
     * π_t does and the floor is +∞.) */
    set_result(out, beta, 0, f0, f0);
    free(row);
    return AS_OK;
  }
  /* Bracket: f'(t_hi) > 0.  f'(t) → max log π* − E_{π*} log π* > 0 unless
   * π* is uniform in every context, where f' ≡ 0 and g0 < 0 is impossible. */
  double t_hi = 1, g_hi;
  kl_at(inst, t_hi, &g_hi, row);
  while (!(g_hi > 0)) {
    t_hi *= 2;
    if (t_hi > 1e300) {
      free(row);
      return as_err_set(err, AS_EDIVERGE, "as_dilemma_floor: no bracket "
                        "for the minimiser (f' < 0 up to t = 1e300)");
    }
    kl_at(inst, t_hi, &g_hi, row);
  }
  /* Interior point below both ends (needed by gsl_min_fminimizer_set), by
   * bisection on the sign of the monotone derivative. */
  double f_hi = kl_at(inst, t_hi, NULL, row);
  double lo = 0, hi = t_hi, m = 0.5 * t_hi, fm = kl_at(inst, m, NULL, row);
  int found = fm < f0 && fm < f_hi;
  for (int it = 0; it < 200 && !found; it++) {
    double gm;
    kl_at(inst, m, &gm, row);
    if (gm < 0)
      lo = m;
    else
      hi = m;
    m = 0.5 * (lo + hi);
    fm = kl_at(inst, m, NULL, row);
    found = fm < f0 && fm < f_hi;
  }
  if (!found) {
    /* f is flat to rounding over the bracket: the bisection point is t*. */
    set_result(out, beta, m, fm < f0 ? fm : f0, f0);
    free(row);
    return AS_OK;
  }
  fparams fp = {inst, row};
  gsl_function F = {f_gsl, &fp};
  gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
  if (s == NULL) {
    free(row);
    return as_err_set(err, AS_ENOMEM, "out of memory");
  }
  /* The bracket was checked above, so gsl_min_fminimizer_set cannot call
   * GSL's error handler (which is global state: not touched here, so the
   * floor can be computed from many threads at once). */
  int rc = gsl_min_fminimizer_set_with_values(s, &F, m, fm, 0, f0, t_hi, f_hi);
  int status = GSL_CONTINUE;
  for (int it = 0; rc == GSL_SUCCESS && status == GSL_CONTINUE && it < 500;
       it++) {
    rc = gsl_min_fminimizer_iterate(s);
    status = gsl_min_test_interval(gsl_min_fminimizer_x_lower(s),
                                   gsl_min_fminimizer_x_upper(s), 1e-10,
                                   1e-7);
  }
  double t = gsl_min_fminimizer_x_minimum(s);
  double f = gsl_min_fminimizer_f_minimum(s);
  gsl_min_fminimizer_free(s);
  free(row);
  if (rc != GSL_SUCCESS || status != GSL_SUCCESS)
    return as_err_set(err, AS_ENOCONV, "as_dilemma_floor: Brent minimiser "
                      "did not converge (%s)", gsl_strerror(rc ? rc : status));
  set_result(out, beta, t, f, f0);
  return AS_OK;
}
