/* as_cg.c — conjugate gradients on the scaled reduced Newton system; see
 * as_cg.h. */
#include "as_cg.h"

#include <math.h>

/* out = S H_II S v: u = S v scattered to V coordinates, Hu = H u from the
 * upper triangle of the symmetric H (why: a product is memory-bound, and
 * half the matrix is half the traffic; each row gives a dot product for
 * Hu_i and an axpy into Hu_k, k > i, from one read, vectorised by the
 * `omp simd` reduction, see obj_btw.c). */
static void cg_matvec(size_t V, const double *H, size_t n,
                      const size_t *idx, const double *s, const double *v,
                      double *out, double *u, double *Hu)
{
  for (size_t i = 0; i < V; i++)
    u[i] = Hu[i] = 0.0;
  for (size_t a = 0; a < n; a++)
    u[idx[a]] = s[a] * v[a];
  for (size_t i = 0; i < V; i++) {
    const double *restrict row = H + i * V;
    const double *restrict uu = u;
    double *restrict acc = Hu;
    double ui = u[i], dot = row[i] * ui;
#pragma omp simd reduction(+ : dot)
    for (size_t k = i + 1; k < V; k++) {
      dot += row[k] * uu[k];
      acc[k] += row[k] * ui;
    }
    Hu[i] += dot;
  }
  for (size_t a = 0; a < n; a++)
    out[a] = s[a] * Hu[idx[a]];
}

static double cg_dot(size_t n, const double *x, const double *y)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += x[i] * y[i];
  return s;
}

int as_cg_solve(size_t V, const double *H, size_t n, const size_t *idx,
                const double *s, const double *b, double rtol, long maxit,
                double *y, double *work, long *iters)
{
  double *u = work, *Hu = u + V, *r = Hu + V, *p = r + n, *Ap = p + n;
  for (size_t a = 0; a < n; a++) {
    y[a] = 0.0;
    r[a] = p[a] = b[a];
  }
  double rr = cg_dot(n, r, r), stop = rtol * rtol * rr;
  *iters = 0;
  while (rr > stop) {
    if (*iters >= maxit)
      return -1;
    cg_matvec(V, H, n, idx, s, p, Ap, u, Hu);
    ++*iters;
    double pAp = cg_dot(n, p, Ap);
    if (!(pAp > 1e-13 * cg_dot(n, p, p)))
      return -1; /* not clearly positive definite: the dense path */
    double alpha = rr / pAp, rr1 = 0.0;
    for (size_t a = 0; a < n; a++) {
      y[a] += alpha * p[a];
      r[a] -= alpha * Ap[a];
      rr1 += r[a] * r[a];
    }
    double beta = rr1 / rr;
    rr = rr1;
    for (size_t a = 0; a < n; a++)
      p[a] = r[a] + beta * p[a];
  }
  return cg_dot(n, b, y) > 0.0 || rr == 0.0 ? 0 : -1;
}
