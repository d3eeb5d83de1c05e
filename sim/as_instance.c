/* as_instance.c — tabular alignment problems (docs/reference.md §1, §1.1). */
#include "as_instance.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "as_math.h"

/* Row tolerance of as_instance_check (header: "normalised to 1e-9"). */
#define AS_INSTANCE_NORM_TOL 1e-9

static void fill(double *v, size_t n, double value)
{
  for (size_t i = 0; i < n; i++)
    v[i] = value;
}

as_instance *as_instance_new(size_t K, size_t V)
{
  if (K == 0 || V == 0 || K > SIZE_MAX / V
      || K * V > SIZE_MAX / sizeof(double))
    return NULL;
  as_instance *inst = calloc(1, sizeof *inst);
  if (inst == NULL)
    return NULL;
  inst->K = K;
  inst->V = V;
  size_t kv = K * V;
  inst->log_rho = malloc(K * sizeof(double));
  inst->log_pi_star = malloc(kv * sizeof(double));
  inst->log_pi_ref = malloc(kv * sizeof(double));
  inst->log_mu = malloc(kv * sizeof(double));
  inst->log_mu2 = malloc(kv * sizeof(double));
  if (inst->log_rho == NULL || inst->log_pi_star == NULL
      || inst->log_pi_ref == NULL || inst->log_mu == NULL
      || inst->log_mu2 == NULL) {
    as_instance_free(inst);
    return NULL;
  }
  fill(inst->log_rho, K, -log((double)K));
  double lv = -log((double)V);
  fill(inst->log_pi_star, kv, lv);
  fill(inst->log_pi_ref, kv, lv);
  fill(inst->log_mu, kv, lv);
  fill(inst->log_mu2, kv, lv);
  return inst;
}

void as_instance_free(as_instance *inst)
{
  if (inst == NULL)
    return;
  free(inst->log_rho);
  free(inst->log_pi_star);
  free(inst->log_pi_ref);
  free(inst->log_mu);
  free(inst->log_mu2);
  free(inst);
}

as_instance *as_instance_clone(const as_instance *inst)
{
  if (inst == NULL)
    return NULL;
  as_instance *c = as_instance_new(inst->K, inst->V);
  if (c == NULL)
    return NULL;
  size_t kv = inst->K * inst->V;
  memcpy(c->log_rho, inst->log_rho, inst->K * sizeof(double));
  memcpy(c->log_pi_star, inst->log_pi_star, kv * sizeof(double));
  memcpy(c->log_pi_ref, inst->log_pi_ref, kv * sizeof(double));
  memcpy(c->log_mu, inst->log_mu, kv * sizeof(double));
  memcpy(c->log_mu2, inst->log_mu2, kv * sizeof(double));
  return c;
}

void as_instance_params_default(as_instance_params *p)
{
  /* docs/reference.md §1.1: the E1 defaults (median KL(π*‖π_ref) ≈ 0.19). */
  memset(p, 0, sizeof *p);
  p->K = 10;
  p->V = 10;
  p->logit_scale = 1.0;
  p->ref_sharpness = 0.5;
  p->ref_noise = 0.5;
  p->rho_uniform = 1;
  p->mu = AS_MU_REF;
  p->mu_sharpness = 0.5;
  p->mu_noise = 0.5;
  p->mu2 = AS_MU_SAME;
  p->mu2_sharpness = 0.5;
  p->mu2_noise = 0.5;
}

static int check_nonneg(double v, const char *name, as_err *err)
{
  if (!isfinite(v) || v < 0.0)
    return as_err_set(err, AS_EINVAL,
                      "instance parameters: %s = %g must be finite and >= 0",
                      name, v);
  return AS_OK;
}

static int check_finite(double v, const char *name, as_err *err)
{
  if (!isfinite(v))
    return as_err_set(err, AS_EINVAL,
                      "instance parameters: %s = %g must be finite", name, v);
  return AS_OK;
}

static int check_mu(as_mu_kind kind, int is_mu2, double sharp, double noise,
                    as_err *err)
{
  const char *who = is_mu2 ? "mu2" : "mu";
  int rc;
  switch (kind) {
  case AS_MU_REF:
  case AS_MU_UNIFORM:
  case AS_MU_STAR:
    return AS_OK;
  case AS_MU_SAME:
    if (!is_mu2)
      return as_err_set(err, AS_EINVAL,
                        "instance parameters: mu = 'same' is only valid for "
                        "mu2 (mu' = mu)");
    return AS_OK;
  case AS_MU_DRAWN:
    if ((rc = check_finite(sharp, is_mu2 ? "mu2_sharpness" : "mu_sharpness",
                           err)) != AS_OK)
      return rc;
    return check_nonneg(noise, is_mu2 ? "mu2_noise" : "mu_noise", err);
  }
  return as_err_set(err, AS_EINVAL, "instance parameters: %s kind %d unknown",
                    who, (int)kind);
}

int as_instance_params_check(const as_instance_params *p, as_err *err)
{
  int rc;
  if (p->K < 1)
    return as_err_set(err, AS_EINVAL,
                      "instance parameters: K = %zu contexts, need K >= 1",
                      p->K);
  if (p->V < 2)
    return as_err_set(err, AS_EINVAL,
                      "instance parameters: V = %zu responses, need V >= 2",
                      p->V);
  if (p->K > SIZE_MAX / p->V / p->V / sizeof(double))
    return as_err_set(err, AS_EINVAL,
                      "instance parameters: K = %zu, V = %zu too large "
                      "(K*V*V cells overflow)", p->K, p->V);
  if ((rc = check_nonneg(p->logit_scale, "logit_scale s", err)) != AS_OK)
    return rc;
  if ((rc = check_finite(p->ref_sharpness, "ref_sharpness a", err)) != AS_OK)
    return rc;
  if ((rc = check_nonneg(p->ref_noise, "ref_noise tau", err)) != AS_OK)
    return rc;
  if (p->rho_uniform != 0 && p->rho_uniform != 1)
    return as_err_set(err, AS_EINVAL,
                      "instance parameters: rho_uniform = %d must be 0 or 1",
                      p->rho_uniform);
  if ((rc = check_mu(p->mu, 0, p->mu_sharpness, p->mu_noise, err)) != AS_OK)
    return rc;
  return check_mu(p->mu2, 1, p->mu2_sharpness, p->mu2_noise, err);
}

/* out = log_softmax(a z + t ξ) for one row, ξ drawn fresh from r. */
static void draw_perturbed_row(gsl_rng *r, const double *z, double a, double t,
                               size_t V, double *tmp, double *out)
{
  for (size_t y = 0; y < V; y++)
    tmp[y] = a * z[y] + t * gsl_ran_gaussian(r, 1.0);
  as_log_softmax(tmp, V, out);
}

/* Fills one μ row; draws from r only when kind == AS_MU_DRAWN. */
static void draw_mu_row(gsl_rng *r, as_mu_kind kind, double sharp,
                        double noise, const double *z, const double *star,
                        const double *ref, const double *mu, size_t V,
                        double *tmp, double *out)
{
  switch (kind) {
  case AS_MU_REF:
    memcpy(out, ref, V * sizeof(double));
    break;
  case AS_MU_UNIFORM:
    fill(out, V, -log((double)V));
    break;
  case AS_MU_STAR:
    memcpy(out, star, V * sizeof(double));
    break;
  case AS_MU_SAME:
    memcpy(out, mu, V * sizeof(double));
    break;
  case AS_MU_DRAWN:
    draw_perturbed_row(r, z, sharp, noise, V, tmp, out);
    break;
  }
}

/* Order of draws (fixed, part of the contract that a seed names an
 * instance):
 *   for x = 0..K-1:
 *     z_x   : V draws gsl_ran_gaussian(r, s)       (y = 0..V-1)
 *     ξ_x   : V draws gsl_ran_gaussian(r, 1)
 *     ξ'_x  : V draws N(0,1), only if mu  == AS_MU_DRAWN
 *     ξ''_x : V draws N(0,1), only if mu2 == AS_MU_DRAWN
 *   then, only if rho_uniform == 0: K draws E_x ~ Exp(1), ρ = E/ΣE, which is
 *   Dirichlet(1,...,1) (normalised iid Gamma(1) variables), kept in logs. */
int as_instance_draw(as_instance *inst, const as_instance_params *p,
                     gsl_rng *r, as_err *err)
{
  int rc = as_instance_params_check(p, err);
  if (rc != AS_OK)
    return rc;
  if (inst == NULL || r == NULL)
    return as_err_set(err, AS_EINVAL, "as_instance_draw: NULL %s",
                      inst == NULL ? "instance" : "generator");
  if (inst->K != p->K || inst->V != p->V)
    return as_err_set(err, AS_EINVAL,
                      "as_instance_draw: instance is %zu x %zu but parameters "
                      "ask for K = %zu, V = %zu",
                      inst->K, inst->V, p->K, p->V);
  size_t K = p->K, V = p->V;
  double *z = malloc(2 * V * sizeof(double));
  if (z == NULL)
    return as_err_set(err, AS_ENOMEM, "as_instance_draw: out of memory");
  double *tmp = z + V;

  for (size_t x = 0; x < K; x++) {
    for (size_t y = 0; y < V; y++)
      z[y] = gsl_ran_gaussian(r, p->logit_scale);
    as_instance_draw_context(inst, p, x, z, r, tmp);
  }
  as_instance_draw_rho(inst, p, r);
  free(z);
  return AS_OK;
}

void as_instance_draw_context(as_instance *inst, const as_instance_params *p,
                              size_t x, const double *z, gsl_rng *r,
                              double *tmp)
{
  size_t V = inst->V;
  double *star = inst->log_pi_star + x * V;
  double *ref = inst->log_pi_ref + x * V;
  double *mu = inst->log_mu + x * V;
  double *mu2 = inst->log_mu2 + x * V;
  as_log_softmax(z, V, star);
  draw_perturbed_row(r, z, p->ref_sharpness, p->ref_noise, V, tmp, ref);
  draw_mu_row(r, p->mu, p->mu_sharpness, p->mu_noise, z, star, ref, NULL, V,
              tmp, mu);
  draw_mu_row(r, p->mu2, p->mu2_sharpness, p->mu2_noise, z, star, ref, mu, V,
              tmp, mu2);
}

void as_instance_draw_rho(as_instance *inst, const as_instance_params *p,
                          gsl_rng *r)
{
  size_t K = inst->K;
  if (p->rho_uniform) {
    fill(inst->log_rho, K, -log((double)K));
  } else {
    for (size_t x = 0; x < K; x++) {
      /* gsl_ran_exponential is −log1p(−u), u ∈ [0, 1): u = 0 would give
       * ρ(x) = 0, which Dirichlet(1) never does; redraw it (only that
       * draw changes, every other value is as before). */
      double E;
      do
        E = gsl_ran_exponential(r, 1.0);
      while (E == 0.0);
      inst->log_rho[x] = log(E);
    }
    as_log_softmax(inst->log_rho, K, inst->log_rho);
  }
}

/* One log-distribution of length n: no NaN / +inf, logsumexp within tol of
 * 0; with full_support, no -inf either. */
static int check_row(const double *v, size_t n, const char *name, size_t row,
                     int full_support, as_err *err)
{
  for (size_t i = 0; i < n; i++) {
    if (isnan(v[i]) || v[i] == INFINITY || (full_support && !isfinite(v[i])))
      return as_err_set(err, AS_EINVAL,
                        "instance: %s[%zu][%zu] = %g is not %s", name, row, i,
                        v[i],
                        full_support ? "a finite log-probability (full "
                                       "support required)"
                                     : "a log-probability");
    if (v[i] > AS_INSTANCE_NORM_TOL)
      return as_err_set(err, AS_EINVAL,
                        "instance: %s[%zu][%zu] = %g is a log-probability > 0",
                        name, row, i, v[i]);
  }
  double lse = as_logsumexp(v, n);
  if (!(fabs(lse) <= AS_INSTANCE_NORM_TOL))
    return as_err_set(err, AS_EINVAL,
                      "instance: %s row %zu is not normalised "
                      "(logsumexp = %.3g, tolerance %g)",
                      name, row, lse, AS_INSTANCE_NORM_TOL);
  return AS_OK;
}

int as_instance_check(const as_instance *inst, as_err *err)
{
  if (inst == NULL)
    return as_err_set(err, AS_EINVAL, "instance: NULL");
  if (inst->K < 1 || inst->V < 1)
    return as_err_set(err, AS_EINVAL, "instance: K = %zu, V = %zu (need >= 1)",
                      inst->K, inst->V);
  if (inst->log_rho == NULL || inst->log_pi_star == NULL
      || inst->log_pi_ref == NULL || inst->log_mu == NULL
      || inst->log_mu2 == NULL)
    return as_err_set(err, AS_EINVAL, "instance: a table is missing (NULL)");
  int rc = check_row(inst->log_rho, inst->K, "log_rho", 0, 0, err);
  if (rc != AS_OK)
    return rc;
  size_t V = inst->V;
  for (size_t x = 0; x < inst->K; x++) {
    if ((rc = check_row(inst->log_pi_star + x * V, V, "log_pi_star", x, 1,
                        err)) != AS_OK
        || (rc = check_row(inst->log_pi_ref + x * V, V, "log_pi_ref", x, 0,
                           err)) != AS_OK
        || (rc = check_row(inst->log_mu + x * V, V, "log_mu", x, 0, err))
               != AS_OK
        || (rc = check_row(inst->log_mu2 + x * V, V, "log_mu2", x, 0, err))
               != AS_OK)
      return rc;
  }
  return AS_OK;
}
