/* as_rates.c — log-log slope of median error vs n, with a paired
 * bootstrap over replicates (see as_rates.h). */
#include "as_rates.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fit.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "as_rng.h"

/* c[0..m) in increasing order.  Why by hand below 64 values: the
 * bootstrap takes 2000 medians of R replicates per point, and for a few
 * dozen values an insertion sort, with no call per comparison, is several
 * times faster than gsl_sort's heapsort (the same sorted values). */
static void sort_values(double *c, size_t m)
{
  if (m > 64) {
    gsl_sort(c, 1, m);
    return;
  }
  for (size_t i = 1; i < m; i++) {
    double v = c[i];
    size_t j = i;
    for (; j > 0 && c[j - 1] > v; j--)
      c[j] = c[j - 1];
    c[j] = v;
  }
}

double as_rate_median(const double *v, size_t k)
{
  double stack[64]; /* small samples need no heap scratch */
  double *c = k <= 64 ? stack : malloc(k * sizeof *c);
  if (c == NULL)
    return NAN;
  size_t m = 0;
  for (size_t i = 0; i < k; i++)
    if (!isnan(v[i]))
      c[m++] = v[i];
  double med = NAN;
  if (m > 0) {
    sort_values(c, m);
    med = gsl_stats_median_from_sorted_data(c, 1, m);
  }
  if (c != stack)
    free(c);
  return med;
}

/* Least-squares slope through (log n_i, log y_i) for the selected points;
 * returns 0 when a point is unusable (y ≤ 0 or not finite). */
static int fit(const double *x, const double *y, size_t k, double *c0,
               double *c1, double *se)
{
  double *ly = malloc(k * sizeof *ly);
  if (ly == NULL)
    return 0;
  for (size_t i = 0; i < k; i++) {
    if (!(y[i] > 0) || !isfinite(y[i])) {
      free(ly);
      return 0;
    }
    ly[i] = log(y[i]);
  }
  double cov00, cov01, cov11, sumsq;
  int rc = gsl_fit_linear(x, 1, ly, 1, k, c0, c1, &cov00, &cov01, &cov11,
                          &sumsq);
  free(ly);
  if (se != NULL)
    *se = sqrt(cov11);
  return rc == 0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int as_rate_fit_medians(const double *n, size_t npts, const double *vals,
                        size_t R, double min_n, long n_boot, uint64_t seed,
                        as_rate_fit *out, as_err *err)
{
  memset(out, 0, sizeof *out);
  out->slope = out->intercept = out->slope_se = NAN;
  out->ci_lo = out->ci_hi = NAN;
  if (R < 1 || n_boot < 0)
    return as_err_set(err, AS_EINVAL, "rate fit: R = %zu, n_boot = %ld", R,
                      n_boot);
  size_t *sel = malloc((npts ? npts : 1) * sizeof *sel);
  double *lx = malloc((npts ? npts : 1) * sizeof *lx);
  double *med = malloc((npts ? npts : 1) * sizeof *med);
  double *col = malloc(R * sizeof *col);
  double *slopes = malloc(((size_t)n_boot + 1) * sizeof *slopes);
  size_t *idx = malloc(R * sizeof *idx);
  int rc = AS_OK;
  if (!sel || !lx || !med || !col || !slopes || !idx) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  size_t k = 0;
  for (size_t i = 0; i < npts; i++) {
    if (!(n[i] >= min_n) || !isfinite(n[i]))
      continue;
    double m = as_rate_median(vals + i * R, R);
    if (!(m > 0) || !isfinite(m))
      continue;
    sel[k] = i;
    lx[k] = log(n[i]);
    med[k] = m;
    k++;
  }
  out->points = k;
  if (k < 2) {
    rc = as_err_set(err, AS_EINVAL, "rate fit: %zu usable points with n >= "
                    "%g (need 2)", k, min_n);
    goto done;
  }
  if (!fit(lx, med, k, &out->intercept, &out->slope, &out->slope_se)) {
    rc = as_err_set(err, AS_EINVAL, "rate fit: least squares failed");
    goto done;
  }
  if (k == 2)
    out->slope_se = NAN; /* no residual degrees of freedom */
  gsl_rng *r = as_rng_new(seed, AS_RNG_DEFAULT_STREAM);
  if (r == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  long nb = 0;
  for (long b = 0; b < n_boot; b++) {
    for (size_t j = 0; j < R; j++)
      idx[j] = (size_t)gsl_rng_uniform_int(r, R);
    for (size_t p = 0; p < k; p++) {
      for (size_t j = 0; j < R; j++)
        col[j] = vals[sel[p] * R + idx[j]];
      med[p] = as_rate_median(col, R);
    }
    double c0, c1;
    if (fit(lx, med, k, &c0, &c1, NULL) && isfinite(c1))
      slopes[nb++] = c1;
  }
  gsl_rng_free(r);
  out->boot = nb;
  if (nb > 0) {
    qsort(slopes, (size_t)nb, sizeof *slopes, cmp_double);
    out->ci_lo = gsl_stats_quantile_from_sorted_data(slopes, 1, (size_t)nb,
                                                     0.025);
    out->ci_hi = gsl_stats_quantile_from_sorted_data(slopes, 1, (size_t)nb,
                                                     0.975);
  }
done:
  free(sel);
  free(lx);
  free(med);
  free(col);
  free(slopes);
  free(idx);
  return rc;
}
