/* as_atlas.c — see as_atlas.h. */
#include "as_atlas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>
#include <gsl/gsl_linalg.h>

#include "as_math.h"

/* ---- linear programmes (GLPK, as as_features_separation) */

static int lp_solve(glp_prob *lp, double *value)
{
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.presolve = GLP_OFF;
  int g = glp_simplex(lp, &parm);
  int st = glp_get_status(lp);
  if (g == 0 && st == GLP_OPT) {
    *value = glp_get_obj_val(lp);
    return 0;
  }
  if (g == 0 && st == GLP_UNBND) {
    *value = -INFINITY;
    return 0;
  }
  return -1;
}

/* A problem and its triplet arrays (1-based, nz entries) for
 * glp_load_matrix; freed by lp_free. */
typedef struct lp_buf {
  glp_prob *lp;
  int *ia, *ja;
  double *ar;
} lp_buf;

static void lp_free(lp_buf *b)
{
  free(b->ia);
  free(b->ja);
  free(b->ar);
  if (b->lp != NULL)
    glp_delete_prob(b->lp);
  /* GLPK keeps a per-thread environment that nothing frees: a worker
   * thread of the experiment runner that exits would leak it (found by
   * the E11 runs of tests/test_report_all.sh under LeakSanitizer), so it
   * is released after every programme, as as_features_separation does.
   * No caller holds GLPK objects of its own across these calls. */
  glp_free_env();
}

static int lp_new(lp_buf *b, size_t nz, const char *who, as_err *err)
{
  b->ia = malloc((nz + 1) * sizeof *b->ia);
  b->ja = malloc((nz + 1) * sizeof *b->ja);
  b->ar = malloc((nz + 1) * sizeof *b->ar);
  b->lp = glp_create_prob();
  if (b->ia == NULL || b->ja == NULL || b->ar == NULL || b->lp == NULL) {
    lp_free(b);
    return as_err_set(err, AS_ENOMEM, "%s: out of memory", who);
  }
  glp_set_obj_dir(b->lp, GLP_MIN);
  return AS_OK;
}

/* Rows: one per ordered pair a ≠ b with P_ab > 0:
 *   ξ_ab + c(h_a − h_b) ≥ 1 (+ c Δℓref cancels: h is the variable).
 * Columns 1..V: h_y (h_0 fixed at 0), then one ξ per row. */
int as_atlas_hinge_lp(size_t V, const double *P, const double *log_ref,
                      double c, double *theta, int *unique, double *value,
                      as_err *err)
{
  size_t R = 0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++)
      R += a != b && P[a * V + b] > 0.0;
  double tie = 0.0;
  for (size_t a = 0; a < V; a++)
    tie += P[a * V + a]; /* ties: s = 0, loss 1 each */
  lp_buf lb;
  /* 3 entries per pair row, 1 per pair in the loss row */
  int rc = lp_new(&lb, 4 * R + 1, "hinge LP", err);
  if (rc != AS_OK)
    return rc;
  glp_prob *lp = lb.lp;
  int *ia = lb.ia, *ja = lb.ja;
  double *ar = lb.ar;
  glp_add_cols(lp, (int)(V + R));
  for (size_t y = 0; y < V; y++)
    glp_set_col_bnds(lp, (int)y + 1, y == 0 ? GLP_FX : GLP_FR, 0.0, 0.0);
  if (R > 0)
    glp_add_rows(lp, (int)R + 1);
  else
    glp_add_rows(lp, 1);
  size_t k = 0, row = 0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++) {
      double w = P[a * V + b];
      if (a == b || !(w > 0.0))
        continue;
      int col = (int)(V + row) + 1, r = (int)row + 1;
      glp_set_col_bnds(lp, col, GLP_LO, 0.0, 0.0);
      glp_set_obj_coef(lp, col, w);
      glp_set_row_bnds(lp, r, GLP_LO, 1.0, 0.0);
      ia[++k] = r, ja[k] = col, ar[k] = 1.0;
      ia[++k] = r, ja[k] = (int)a + 1, ar[k] = c;
      ia[++k] = r, ja[k] = (int)b + 1, ar[k] = -c;
      row++;
    }
  /* The last row bounds the loss (free for the first solve). */
  int lrow = (int)R + 1;
  if (R == 0)
    lrow = 1;
  glp_set_row_bnds(lp, lrow, GLP_FR, 0.0, 0.0);
  for (size_t i = 0; i < R; i++) {
    double w = glp_get_obj_coef(lp, (int)(V + i) + 1);
    ia[++k] = lrow, ja[k] = (int)(V + i) + 1, ar[k] = w;
  }
  glp_load_matrix(lp, (int)k, ia, ja, ar);
  double opt;
  if (lp_solve(lp, &opt) != 0 || !isfinite(opt)) {
    rc = as_err_set(err, AS_ENOCONV, "hinge LP: GLPK found no optimum "
                    "(%zu pairs)", R);
    goto out;
  }
  double mean = 0.0;
  for (size_t y = 0; y < V; y++)
    mean += (theta[y] = glp_get_col_prim(lp, (int)y + 1)) / (double)V;
  for (size_t y = 0; y < V; y++)
    theta[y] += (log_ref ? log_ref[y] : 0.0) - mean;
  *value = opt + tie;
  /* Uniqueness: range of every h_y over the optimal face. */
  *unique = 1;
  glp_set_row_bnds(lp, lrow, GLP_UP, 0.0, opt + 1e-9 * (1.0 + fabs(opt)));
  for (size_t j = 0; j < V + R; j++)
    glp_set_obj_coef(lp, (int)j + 1, 0.0);
  for (size_t y = 1; y < V && *unique; y++) {
    double lo, hi;
    glp_set_obj_coef(lp, (int)y + 1, 1.0);
    glp_set_obj_dir(lp, GLP_MIN);
    int a = lp_solve(lp, &lo);
    glp_set_obj_dir(lp, GLP_MAX);
    int b = lp_solve(lp, &hi);
    if (b == 0 && glp_get_status(lp) == GLP_UNBND)
      hi = INFINITY;
    glp_set_obj_coef(lp, (int)y + 1, 0.0);
    if (a != 0 || b != 0 || !(hi - lo <= 1e-7))
      *unique = 0;
  }
out:
  lp_free(&lb);
  return rc;
}

/* Columns: d_y (y = 0..V−1, d_0 = 0, others in [−1, 1]), then δ⁺, δ⁻
 * per unordered pair a < b with mass; rows δ⁺ − δ⁻ − d_a + d_b = 0.  The
 * recession slope of P_ab φ(cδ) + P_ba φ(−cδ) (φ the rDPO link) is
 * c[(1−ε)P_ba − εP_ab]δ⁺/(1−2ε) + c[(1−ε)P_ab − εP_ba]δ⁻/(1−2ε). */
int as_atlas_rdpo_recession(size_t V, const double *P, double eps, double c,
                            double *slope, as_err *err)
{
  size_t R = 0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = a + 1; b < V; b++)
      R += P[a * V + b] + P[b * V + a] > 0.0;
  if (R == 0) {
    *slope = 0.0;
    return AS_OK;
  }
  lp_buf lb;
  int rc = lp_new(&lb, 4 * R, "rdpo LP", err);
  if (rc != AS_OK)
    return rc;
  glp_prob *lp = lb.lp;
  int *ia = lb.ia, *ja = lb.ja;
  double *ar = lb.ar;
  glp_add_cols(lp, (int)(V + 2 * R));
  glp_add_rows(lp, (int)R);
  for (size_t y = 0; y < V; y++)
    glp_set_col_bnds(lp, (int)y + 1, y == 0 ? GLP_FX : GLP_DB, y ? -1.0 : 0.0,
                     y ? 1.0 : 0.0);
  size_t k = 0, row = 0;
  double z = 1.0 - 2.0 * eps;
  for (size_t a = 0; a < V; a++)
    for (size_t b = a + 1; b < V; b++) {
      double pab = P[a * V + b], pba = P[b * V + a];
      if (!(pab + pba > 0.0))
        continue;
      int r = (int)row + 1, cp = (int)(V + 2 * row) + 1, cm = cp + 1;
      glp_set_col_bnds(lp, cp, GLP_LO, 0.0, 0.0);
      glp_set_col_bnds(lp, cm, GLP_LO, 0.0, 0.0);
      glp_set_obj_coef(lp, cp, c * ((1.0 - eps) * pba - eps * pab) / z);
      glp_set_obj_coef(lp, cm, c * ((1.0 - eps) * pab - eps * pba) / z);
      glp_set_row_bnds(lp, r, GLP_FX, 0.0, 0.0);
      ia[++k] = r, ja[k] = cp, ar[k] = 1.0;
      ia[++k] = r, ja[k] = cm, ar[k] = -1.0;
      ia[++k] = r, ja[k] = (int)a + 1, ar[k] = -1.0;
      ia[++k] = r, ja[k] = (int)b + 1, ar[k] = 1.0;
      row++;
    }
  glp_load_matrix(lp, (int)k, ia, ja, ar);
  if (lp_solve(lp, slope) != 0 || !isfinite(*slope))
    rc = as_err_set(err, AS_ENOCONV, "rdpo LP: GLPK found no optimum");
  lp_free(&lb);
  return rc;
}

void as_atlas_pref_of_reward(size_t V, const double *r, double *M)
{
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++)
      M[a * V + b] = a == b ? 0.5 : as_sigmoid(r[a] - r[b]);
}

/* P(y ≻ π) = Σ_b M_yb π_b. */
static void pref_vs(size_t V, const double *M, const double *pi, double *out)
{
  for (size_t y = 0; y < V; y++) {
    double s = 0.0;
    for (size_t b = 0; b < V; b++)
      s += M[y * V + b] * pi[b];
    out[y] = s;
  }
}

static void ref_or_uniform(size_t V, const double *log_ref, double *out)
{
  for (size_t y = 0; y < V; y++)
    out[y] = log_ref ? log_ref[y] : -log((double)V);
}

void as_atlas_sppo(size_t V, const double *M, const double *log_ref,
                   double eta, long T, double *log_pi, int *collapsed)
{
  double *pi = malloc(2 * V * sizeof *pi), *pv = pi + V;
  ref_or_uniform(V, log_ref, log_pi);
  for (long t = 0; t < T && pi != NULL; t++) {
    for (size_t y = 0; y < V; y++)
      pi[y] = exp(log_pi[y]);
    pref_vs(V, M, pi, pv);
    for (size_t y = 0; y < V; y++)
      log_pi[y] += eta * (pv[y] - 0.5);
    as_log_softmax(log_pi, V, log_pi);
  }
  double mx = -INFINITY;
  for (size_t y = 0; y < V; y++)
    mx = fmax(mx, log_pi[y]);
  *collapsed = mx >= log1p(-1e-12);
  free(pi);
}

/* R(ℓ) = ℓ − log softmax(ℓref + M e^ℓ/λ); returns max|R|; q (V) gets
 * softmax(...). */
static double nash_residual(size_t V, const double *M, const double *lref,
                            double lambda, const double *l, double *R,
                            double *q, double *pi)
{
  for (size_t y = 0; y < V; y++)
    pi[y] = exp(l[y]);
  pref_vs(V, M, pi, q);
  for (size_t y = 0; y < V; y++)
    q[y] = lref[y] + q[y] / lambda;
  as_log_softmax(q, V, q);
  double mx = 0.0;
  for (size_t y = 0; y < V; y++) {
    R[y] = l[y] - q[y];
    mx = fmax(mx, fabs(R[y]));
    q[y] = exp(q[y]);
  }
  return mx;
}

int as_atlas_nash(size_t V, const double *M, const double *log_ref,
                  double lambda, double tol, long max_iter, double *log_pi,
                  long *iters, double *resid, as_err *err)
{
  if (!(lambda > 0.0) || !isfinite(lambda))
    return as_err_set(err, AS_EINVAL, "nash: lambda = %g must be > 0",
                      lambda);
  double *w = malloc((7 * V + V * V) * sizeof *w);
  gsl_permutation *perm = gsl_permutation_alloc(V);
  if (w == NULL || perm == NULL) {
    free(w);
    if (perm != NULL)
      gsl_permutation_free(perm);
    return as_err_set(err, AS_ENOMEM, "nash: out of memory");
  }
  double *lref = w, *R = lref + V, *q = R + V, *pi = q + V, *dl = pi + V,
         *lt = dl + V, *Rt = lt + V, *J = Rt + V;
  ref_or_uniform(V, log_ref, lref);
  /* start at the reference's own fixed-point image */
  memcpy(log_pi, lref, V * sizeof *lref);
  double r = nash_residual(V, M, lref, lambda, log_pi, R, q, pi);
  long it = 0;
  while (r > tol && it < max_iter) {
    it++;
    /* J = I − (I − 1qᵀ) M diag(π)/λ. */
    for (size_t i = 0; i < V; i++)
      for (size_t j = 0; j < V; j++) {
        double s = M[i * V + j];
        for (size_t k = 0; k < V; k++)
          s -= q[k] * M[k * V + j];
        J[i * V + j] = (i == j) - s * pi[j] / lambda;
      }
    gsl_matrix_view Jm = gsl_matrix_view_array(J, V, V);
    gsl_vector_view b = gsl_vector_view_array(R, V);
    gsl_vector_view x = gsl_vector_view_array(dl, V);
    int sg, ok = gsl_linalg_LU_decomp(&Jm.matrix, perm, &sg) == 0 &&
                 gsl_linalg_LU_solve(&Jm.matrix, perm, &b.vector,
                                     &x.vector) == 0;
    double step = 1.0, rt = INFINITY;
    for (int ls = 0; ok && ls < 40; ls++, step *= 0.5) {
      for (size_t y = 0; y < V; y++)
        lt[y] = log_pi[y] - step * dl[y];
      as_log_softmax(lt, V, lt);
      rt = nash_residual(V, M, lref, lambda, lt, Rt, q, pi);
      if (rt < r)
        break;
    }
    if (!(rt < r)) {
      /* Newton stalled: a damped fixed-point step ℓ ← ℓ − R/2. */
      for (size_t y = 0; y < V; y++)
        lt[y] = log_pi[y] - 0.5 * R[y];
      as_log_softmax(lt, V, lt);
    }
    memcpy(log_pi, lt, V * sizeof *lt);
    r = nash_residual(V, M, lref, lambda, log_pi, R, q, pi);
  }
  *iters = it;
  *resid = r;
  free(w);
  gsl_permutation_free(perm);
  if (r > tol)
    return as_err_set(err, AS_ENOCONV, "nash: residual %.3g > %.3g after %ld "
                      "iterations", r, tol, it);
  return AS_OK;
}
