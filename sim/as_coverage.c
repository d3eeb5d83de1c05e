/* as_coverage.c — closed-form coverage of the tabular and log-linear
 * classes (see as_coverage.h for the derivation). */
#include "as_coverage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "as_math.h"

static int check_mu(const as_instance *inst, as_err *err)
{
  for (size_t i = 0; i < inst->K * inst->V; i++)
    if (!isfinite(inst->log_mu[i]) || !isfinite(inst->log_pi_star[i]))
      return as_err_set(err, AS_EINVAL, "coverage: mu and pi* need full "
                        "support (entry %zu: log mu = %g, log pi* = %g)", i,
                        inst->log_mu[i], inst->log_pi_star[i]);
  return AS_OK;
}

/* Largest eigenvalue of the symmetric matrix m (destroyed) and its
 * eigenvector (vec may be NULL). */
static int top_eigen(gsl_matrix *m, double *val, gsl_vector *vec)
{
  size_t n = m->size1;
  gsl_vector *ev = gsl_vector_alloc(n);
  gsl_matrix *evec = gsl_matrix_alloc(n, n);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(n);
  if (ev == NULL || evec == NULL || w == NULL) {
    gsl_vector_free(ev);
    gsl_matrix_free(evec);
    gsl_eigen_symmv_free(w);
    return AS_ENOMEM;
  }
  gsl_eigen_symmv(m, ev, evec, w);
  size_t best = gsl_vector_max_index(ev);
  *val = gsl_vector_get(ev, best);
  if (vec != NULL)
    gsl_matrix_get_col(vec, evec, best);
  gsl_vector_free(ev);
  gsl_matrix_free(evec);
  gsl_eigen_symmv_free(w);
  return AS_OK;
}

int as_coverage_tabular(const as_instance *inst, double *C, size_t *argmax_x,
                        double *g_out, as_err *err)
{
  int rc = check_mu(inst, err);
  if (rc != AS_OK)
    return rc;
  size_t K = inst->K, V = inst->V;
  gsl_matrix *m = gsl_matrix_alloc(V, V);
  gsl_vector *h = gsl_vector_alloc(V);
  double *s = malloc(V * sizeof *s), *a = malloc(V * sizeof *a);
  if (m == NULL || h == NULL || s == NULL || a == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  double best = -INFINITY;
  size_t bx = 0;
  for (size_t x = 0; x < K; x++) {
    if (inst->log_rho[x] == -INFINITY)
      continue;
    const double *lm = inst->log_mu + x * V, *ls = inst->log_pi_star + x * V;
    for (size_t y = 0; y < V; y++) {
      s[y] = exp(0.5 * lm[y]);   /* √μ */
      a[y] = exp(ls[y] - lm[y]); /* ratio pi*(y)/mu(y) */
    }
    /* (P A P)_ij with P = I − s sᵀ (‖s‖ = 1):
     * A_ij δ_ij − s_i s_j (a_i + a_j) + s_i s_j Σ_k a_k s_k² */
    double c = 0;
    for (size_t k = 0; k < V; k++)
      c += a[k] * s[k] * s[k];
    for (size_t i = 0; i < V; i++)
      for (size_t j = 0; j < V; j++)
        gsl_matrix_set(m, i, j, (i == j ? a[i] : 0.0)
                                    - s[i] * s[j] * (a[i] + a[j] - c));
    double val;
    if ((rc = top_eigen(m, &val, h)) != AS_OK) {
      as_err_set(err, rc, "out of memory");
      goto done;
    }
    if (val > best) {
      best = val;
      bx = x;
      if (g_out != NULL)
        for (size_t y = 0; y < V; y++)
          g_out[y] = gsl_vector_get(h, y) / s[y];
    }
  }
  if (best == -INFINITY) {
    rc = as_err_set(err, AS_EINVAL, "coverage: rho has no mass");
    goto done;
  }
  *C = best;
  if (argmax_x != NULL)
    *argmax_x = bx;
done:
  gsl_matrix_free(m);
  gsl_vector_free(h);
  free(s);
  free(a);
  return rc;
}

int as_coverage_features(const as_instance *inst, const as_features *f,
                         double *C, double *u_out, as_err *err)
{
  int rc = check_mu(inst, err);
  if (rc != AS_OK)
    return rc;
  size_t K = inst->K, V = inst->V, d = f->d;
  if (f->K != K || f->V != V)
    return as_err_set(err, AS_EINVAL, "coverage: features are %zux%zu, "
                      "instance %zux%zu", f->K, f->V, K, V);
  gsl_matrix *A = gsl_matrix_calloc(d, d), *B = gsl_matrix_calloc(d, d);
  gsl_matrix *U = gsl_matrix_alloc(d, d), *M = NULL, *T = NULL;
  gsl_vector *b = gsl_vector_alloc(d), *top = NULL;
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
  double *mean = malloc(d * sizeof *mean), *pb = malloc(d * sizeof *pb);
  if (A == NULL || B == NULL || U == NULL || b == NULL || w == NULL
      || mean == NULL || pb == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t x = 0; x < K; x++) {
    double rho = exp(inst->log_rho[x]);
    if (rho == 0)
      continue;
    const double *lm = inst->log_mu + x * V, *ls = inst->log_pi_star + x * V;
    for (size_t j = 0; j < d; j++) {
      mean[j] = 0;
      for (size_t y = 0; y < V; y++)
        mean[j] += exp(lm[y]) * f->phi[(x * V + y) * d + j];
    }
    for (size_t y = 0; y < V; y++) {
      for (size_t j = 0; j < d; j++)
        pb[j] = f->phi[(x * V + y) * d + j] - mean[j];
      double wa = rho * exp(ls[y]), wb = rho * exp(lm[y]);
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
          double pp = pb[i] * pb[j];
          *gsl_matrix_ptr(A, i, j) += wa * pp;
          *gsl_matrix_ptr(B, i, j) += wb * pp;
        }
    }
  }
  /* B = U diag(b) Uᵀ; keep the range (b_i > 1e-12 max b), whiten, and take
   * the top eigenvalue of diag(b^-½) Uᵀ A U diag(b^-½). */
  gsl_eigen_symmv(B, b, U, w);
  double bmax = gsl_vector_max(b);
  if (!(bmax > 0)) {
    rc = as_err_set(err, AS_EINVAL, "coverage: features are constant under "
                    "mu in every context (B = 0)");
    goto done;
  }
  size_t r = 0;
  size_t *idx = malloc(d * sizeof *idx);
  if (idx == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < d; i++)
    if (gsl_vector_get(b, i) > 1e-12 * bmax)
      idx[r++] = i;
  T = gsl_matrix_alloc(d, r); /* columns u_i / √b_i */
  M = gsl_matrix_alloc(r, r);
  top = gsl_vector_alloc(r);
  if (T == NULL || M == NULL || top == NULL) {
    free(idx);
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < r; k++) {
    double sc = 1.0 / sqrt(gsl_vector_get(b, idx[k]));
    for (size_t i = 0; i < d; i++)
      gsl_matrix_set(T, i, k, gsl_matrix_get(U, i, idx[k]) * sc);
  }
  free(idx);
  for (size_t k = 0; k < r; k++)
    for (size_t l = 0; l < r; l++) {
      double s = 0;
      for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
          s += gsl_matrix_get(T, i, k) * gsl_matrix_get(A, i, j)
               * gsl_matrix_get(T, j, l);
      gsl_matrix_set(M, k, l, s);
    }
  double val;
  if ((rc = top_eigen(M, &val, top)) != AS_OK) {
    as_err_set(err, rc, "out of memory");
    goto done;
  }
  *C = val;
  if (u_out != NULL)
    for (size_t i = 0; i < d; i++) {
      double s = 0;
      for (size_t k = 0; k < r; k++)
        s += gsl_matrix_get(T, i, k) * gsl_vector_get(top, k);
      u_out[i] = s;
    }
done:
  gsl_matrix_free(A);
  gsl_matrix_free(B);
  gsl_matrix_free(U);
  gsl_matrix_free(M);
  gsl_matrix_free(T);
  gsl_vector_free(b);
  gsl_vector_free(top);
  gsl_eigen_symmv_free(w);
  free(mean);
  free(pb);
  return rc;
}

int as_coverage_temper_mu(as_instance *inst, double t, as_err *err)
{
  if (!isfinite(t))
    return as_err_set(err, AS_EINVAL, "mu_power t = %g must be finite", t);
  size_t K = inst->K, V = inst->V;
  for (size_t x = 0; x < K; x++) {
    double *lm = inst->log_mu + x * V;
    for (size_t y = 0; y < V; y++)
      lm[y] = t * inst->log_pi_star[x * V + y];
    as_log_softmax(lm, V, lm);
    memcpy(inst->log_mu2 + x * V, lm, V * sizeof *lm);
  }
  return AS_OK;
}
