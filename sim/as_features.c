/* as_features.c — the log-linear feature class (docs/reference.md §3.1; see
 * as_features.h). */
#include "as_features.h"

#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_vector.h>

#include <glpk.h>

#include "as_io.h"
#include "as_limits.h"
#include "as_math.h"

/* Relative size below which a Hessian eigenvalue is a flat direction. */
#define EIG_DROP 1e-12
/* Armijo constant and backtracking cap. */
#define ARMIJO_C 1e-4
#define MAX_HALVINGS 60
/* Below this decrement (λ² in units of F) the quadratic model is exact to
 * rounding: the full Newton step is taken without a line search, since F's
 * own rounding (~1e-16·|F|) would hide the decrease. */
#define FULL_STEP_DECREMENT 1e-10

as_features *as_features_new(size_t K, size_t V, size_t d)
{
  if (K == 0 || V == 0 || d == 0 || K > SIZE_MAX / V
      || K * V > SIZE_MAX / d / sizeof(double))
    return NULL;
  as_features *f = malloc(sizeof *f);
  if (f == NULL)
    return NULL;
  f->K = K;
  f->V = V;
  f->d = d;
  f->phi = calloc(K * V * d, sizeof(double));
  if (f->phi == NULL) {
    free(f);
    return NULL;
  }
  return f;
}

void as_features_free(as_features *f)
{
  if (f == NULL)
    return;
  free(f->phi);
  free(f);
}

int as_features_draw(as_features *f, gsl_rng *r, as_err *err)
{
  if (f == NULL || r == NULL)
    return as_err_set(err, AS_EINVAL, "features: NULL features or generator");
  for (size_t i = 0; i < f->K * f->V * f->d; i++)
    f->phi[i] = gsl_ran_gaussian(r, 1.0);
  return AS_OK;
}

void as_features_logits(const as_features *f, const double *w, double *theta)
{
  size_t d = f->d;
  for (size_t i = 0; i < f->K * f->V; i++) {
    const double *p = f->phi + i * d;
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
      s += p[j] * w[j];
    theta[i] = s;
  }
}

void as_features_log_policy(const as_features *f, const double *w,
                            double *log_pi)
{
  as_features_logits(f, w, log_pi);
  for (size_t x = 0; x < f->K; x++)
    as_log_softmax(log_pi + x * f->V, f->V, log_pi + x * f->V);
}

/* ---- realizable instance ------------------------------------------------ */

int as_features_draw_instance(as_instance *inst, const as_instance_params *p,
                              const as_features *f, gsl_rng *r,
                              double *w_star, as_err *err)
{
  int rc = as_instance_params_check(p, err);
  if (rc != AS_OK)
    return rc;
  if (inst == NULL || f == NULL || r == NULL || w_star == NULL)
    return as_err_set(err, AS_EINVAL, "features instance: NULL argument");
  if (inst->K != f->K || inst->V != f->V || p->K != f->K || p->V != f->V)
    return as_err_set(err, AS_EINVAL,
                      "features instance: features are %zu x %zu, instance "
                      "%zu x %zu, parameters K = %zu, V = %zu",
                      f->K, f->V, inst->K, inst->V, p->K, p->V);
  size_t K = f->K, V = f->V, d = f->d;
  double *z = malloc(K * V * sizeof(double)), *tmp = malloc(V * sizeof(double));
  if (z == NULL || tmp == NULL) {
    free(z);
    free(tmp);
    return as_err_set(err, AS_ENOMEM, "features instance: out of memory");
  }
  /* N(0, s²/d) per coordinate: each logit w*·φ is then N(0, s²). */
  double sd = p->logit_scale / sqrt((double)d);
  for (size_t j = 0; j < d; j++)
    w_star[j] = gsl_ran_gaussian(r, sd);
  as_features_logits(f, w_star, z);
  /* the rest exactly as the tabular draw builds it from z (docs/reference.md §1.1) */
  for (size_t x = 0; x < K; x++)
    as_instance_draw_context(inst, p, x, z + x * V, r, tmp);
  as_instance_draw_rho(inst, p, r);
  free(z);
  free(tmp);
  return AS_OK;
}

/* ---- chain rule ---------------------------------------------------------- */

/* Scratch for one evaluation: θ_x, g_x, H_x, and H_x Φ_x (V×d). */
typedef struct scratch {
  double *theta, *g, *H, *HPhi;
} scratch;

static int scratch_alloc(scratch *s, size_t V, size_t d)
{
  s->theta = malloc(V * sizeof(double));
  s->g = malloc(V * sizeof(double));
  s->H = malloc(V * V * sizeof(double));
  s->HPhi = malloc(V * d * sizeof(double));
  return s->theta && s->g && s->H && s->HPhi ? AS_OK : AS_ENOMEM;
}

static void scratch_free(scratch *s)
{
  free(s->theta);
  free(s->g);
  free(s->H);
  free(s->HPhi);
}

static int eval_with(const as_features *f, const as_objective_type *obj,
                     const as_ctx_data *ctx, const double *w, double *val,
                     double *grad, double *hess, scratch *s, as_err *err)
{
  size_t V = f->V, d = f->d;
  *val = 0.0;
  if (grad != NULL)
    memset(grad, 0, d * sizeof(double));
  if (hess != NULL)
    memset(hess, 0, d * d * sizeof(double));
  for (size_t x = 0; x < f->K; x++) {
    const double *Phi = f->phi + x * V * d; /* V×d block */
    if (ctx[x].V != V)
      return as_err_set(err, AS_EINVAL,
                        "features: context %zu has V = %zu, features V = %zu",
                        x, ctx[x].V, V);
    for (size_t y = 0; y < V; y++) {
      double t = 0.0;
      for (size_t j = 0; j < d; j++)
        t += Phi[y * d + j] * w[j];
      s->theta[y] = t;
    }
    double fx;
    int rc = obj->eval(&ctx[x], s->theta, &fx, grad ? s->g : NULL,
                       hess ? s->H : NULL);
    if (rc != AS_OK)
      return as_err_set(err, rc,
                        "features: objective '%s' rejected the data of "
                        "context %zu", obj->name, x);
    *val += fx;
    if (grad != NULL) /* Φ_xᵀ g_x */
      for (size_t y = 0; y < V; y++) {
        double gy = s->g[y];
        if (gy != 0.0)
          for (size_t j = 0; j < d; j++)
            grad[j] += Phi[y * d + j] * gy;
      }
    if (hess != NULL) { /* Φ_xᵀ (H_x Φ_x) */
      for (size_t a = 0; a < V; a++)
        for (size_t j = 0; j < d; j++) {
          double t = 0.0;
          for (size_t b = 0; b < V; b++)
            t += s->H[a * V + b] * Phi[b * d + j];
          s->HPhi[a * d + j] = t;
        }
      for (size_t a = 0; a < V; a++)
        for (size_t i = 0; i < d; i++) {
          double p = Phi[a * d + i];
          if (p == 0.0)
            continue;
          for (size_t j = 0; j < d; j++)
            hess[i * d + j] += p * s->HPhi[a * d + j];
        }
    }
  }
  return AS_OK;
}

int as_features_eval(const as_features *f, const as_objective_type *obj,
                     const as_ctx_data *ctx, const double *w, double *val,
                     double *grad, double *hess, as_err *err)
{
  scratch s;
  if (scratch_alloc(&s, f->V, f->d) != AS_OK) {
    scratch_free(&s);
    return as_err_set(err, AS_ENOMEM, "features: out of memory");
  }
  int rc = eval_with(f, obj, ctx, w, val, grad, hess, &s, err);
  scratch_free(&s);
  return rc;
}

/* ---- damped Newton ------------------------------------------------------- */

void as_features_opts_default(as_features_opts *o)
{
  o->tol = 1e-20;
  o->max_iter = 200;
}

static int all_zero(const double *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0.0)
      return 0;
  return 1;
}

static int all_finite(const double *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return 0;
  return 1;
}

/* 1 iff some eigenvector of ∇²F dropped as flat (|λ_i| ≤ EIG_DROP·lmax)
 * moves a logit relative to its context: max_{x,y} |(Φ_x v)_y − mean_y| >
 * BLIND_MOVE · max_{x,y} Σ_j |φ_xyj v_j|.  A gauge direction (Φ_x v ∝ 1
 * in every context, or v ∈ null Φ) gives 0 up to rounding; eigenvectors of
 * a near-zero cluster can carry ~ε/EIG_DROP = 1e-4 of a neighbouring
 * direction, hence the threshold 1e-3, while the directions of the trap
 * move a logit by O(1) per unit of v. */
#define BLIND_MOVE 1e-3
static int blind_direction(const as_features *f, const gsl_vector *eval,
                           const gsl_matrix *evec, double lmax)
{
  size_t K = f->K, V = f->V, d = f->d;
  for (size_t i = 0; i < d; i++) {
    if (fabs(gsl_vector_get(eval, i)) > EIG_DROP * lmax)
      continue;
    double move = 0.0, scale = 0.0;
    for (size_t x = 0; x < K; x++) {
      double lo = INFINITY, hi = -INFINITY;
      for (size_t y = 0; y < V; y++) {
        const double *phi = f->phi + (x * V + y) * d;
        double t = 0.0, a = 0.0;
        for (size_t j = 0; j < d; j++) {
          double v = gsl_matrix_get(evec, j, i);
          t += phi[j] * v;
          a += fabs(phi[j] * v);
        }
        lo = fmin(lo, t);
        hi = fmax(hi, t);
        scale = fmax(scale, a);
      }
      move = fmax(move, hi - lo);
    }
    if (move > BLIND_MOVE * scale)
      return 1;
  }
  return 0;
}

int as_features_minimize(const as_features *f, const as_objective_type *obj,
                         const as_ctx_data *ctx, const as_features_opts *o,
                         double *w, as_features_info *info, as_err *err)
{
  as_features_opts def;
  if (o == NULL) {
    as_features_opts_default(&def);
    o = &def;
  }
  if (!(o->tol > 0.0) || o->max_iter < 1)
    return as_err_set(err, AS_EINVAL,
                      "features: tol = %g must be > 0 and max_iter = %ld >= 1",
                      o->tol, o->max_iter);
  size_t d = f->d;
  scratch s;
  double *g = malloc(d * sizeof(double)), *H = malloc(d * d * sizeof(double));
  double *p = malloc(d * sizeof(double)), *wt = malloc(d * sizeof(double));
  double *w0 = malloc(d * sizeof(double));
  gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d);
  gsl_vector *eval = gsl_vector_alloc(d);
  gsl_matrix *evec = gsl_matrix_alloc(d, d);
  as_features_info inf = {AS_ENOCONV, 0, INFINITY, NAN, 0, 0, 0.0, 0,
                          1, 1, 0, 0, 0.0};
  int rc = scratch_alloc(&s, f->V, d);
  if (rc != AS_OK || !g || !H || !p || !wt || !w0 || !ws || !eval || !evec) {
    rc = as_err_set(err, AS_ENOMEM, "features: out of memory (d = %zu)", d);
    goto out;
  }
  memcpy(w0, w, d * sizeof(double));
  double F;
  if ((rc = eval_with(f, obj, ctx, w, &F, g, H, &s, err)) != AS_OK)
    goto out;
  if (!isfinite(F)) {
    rc = as_err_set(err, AS_EINVAL,
                    "features: objective '%s' is not finite at the start "
                    "(%g)", obj->name, F);
    goto out;
  }
  for (long it = 0;; it++) {
    /* Modified Newton step from H = Σ λ_i v_i v_iᵀ. */
    gsl_matrix_view Hv = gsl_matrix_view_array(H, d, d);
    gsl_eigen_symmv(&Hv.matrix, eval, evec, ws); /* destroys H */
    double lmax = 0.0;
    for (size_t i = 0; i < d; i++)
      lmax = fmax(lmax, fabs(gsl_vector_get(eval, i)));
    memset(p, 0, d * sizeof(double));
    size_t dropped = 0;
    double flat = 0.0; /* decrement hidden in the dropped directions */
    for (size_t i = 0; i < d; i++) {
      double li = fabs(gsl_vector_get(eval, i));
      double c = 0.0;
      for (size_t j = 0; j < d; j++)
        c += gsl_matrix_get(evec, j, i) * g[j];
      if (!(li > EIG_DROP * lmax)) {
        /* A gauge direction has c = 0 up to rounding; a real gradient
         * along a flat direction (F linear there: no minimiser) must not
         * pass for convergence, so it is charged as if the curvature were
         * at the drop threshold (or infinitely cheap when H = 0). */
        dropped++;
        flat += lmax > 0.0 ? c * c / (EIG_DROP * lmax)
                           : (c != 0.0 ? INFINITY : 0.0);
        continue;
      }
      c /= li;
      for (size_t j = 0; j < d; j++)
        p[j] -= c * gsl_matrix_get(evec, j, i);
    }
    double gp = 0.0;
    for (size_t j = 0; j < d; j++)
      gp += g[j] * p[j];
    inf.criterion = (-gp + flat) / 2.0;
    inf.dropped = dropped;
    inf.f = F;
    inf.iterations = it;
    if (inf.criterion <= o->tol) {
      /* docs/reference.md §3 trap: a logit of tiny probability has curvature and
       * gradient ∝ π, so its direction falls below the drop threshold and
       * the decrement cannot see it however far off it is.  Converged only
       * if every dropped direction is a gauge one (changes no policy). */
      inf.status = blind_direction(f, eval, evec, lmax) ? AS_ENOCONV : AS_OK;
      inf.blind = inf.status != AS_OK;
      break;
    }
    if (it >= o->max_iter) {
      inf.status = AS_ENOCONV;
      break;
    }
    double t = 1.0, Ft = NAN;
    int accepted = 0;
    for (int h = 0; h <= MAX_HALVINGS; h++, t *= 0.5) {
      for (size_t j = 0; j < d; j++)
        wt[j] = w[j] + t * p[j];
      rc = eval_with(f, obj, ctx, wt, &Ft, NULL, NULL, &s, err);
      if (rc != AS_OK)
        goto restore;
      if (-gp <= FULL_STEP_DECREMENT * fmax(1.0, fabs(F)) && t == 1.0
          && isfinite(Ft)) {
        accepted = 1;
        break;
      }
      if (isfinite(Ft) && Ft <= F + ARMIJO_C * t * gp) {
        accepted = 1;
        break;
      }
    }
    if (!accepted) {
      inf.status = AS_ENOCONV; /* line search failed: reported, not hidden */
      break;
    }
    memcpy(w, wt, d * sizeof(double));
    if ((rc = eval_with(f, obj, ctx, w, &F, g, H, &s, err)) != AS_OK)
      goto restore;
    if (!isfinite(F) || !all_finite(w, d) || !all_finite(g, d)) {
      inf.status = AS_EDIVERGE;
      inf.f = F;
      inf.iterations = it + 1;
      break;
    }
  }
  inf.starts = 1;
  inf.starts_failed = inf.status != AS_OK;
  inf.local_minima = inf.best_hits = inf.status == AS_OK;
  inf.minima_gap = 0.0;
  if (info != NULL)
    *info = inf;
  rc = inf.status;
  if (rc == AS_ENOCONV && inf.blind)
    as_err_set(err, rc,
               "features: '%s': decrement %.3g <= tol after %ld Newton "
               "steps, but a direction that changes the policy has "
               "curvature below 1e-12 of the largest (logits of tiny "
               "probability, docs/reference.md §3): not vouched for", obj->name,
               inf.criterion, inf.iterations);
  else if (rc == AS_ENOCONV)
    as_err_set(err, rc,
               "features: '%s' stopped after %ld Newton steps with "
               "decrement %.3g > tol %.3g", obj->name, inf.iterations,
               inf.criterion, o->tol);
  else if (rc == AS_EDIVERGE)
    as_err_set(err, rc, "features: '%s' diverged (F = %g)", obj->name, inf.f);
  goto out;
restore:
  memcpy(w, w0, d * sizeof(double));
out:
  scratch_free(&s);
  free(g);
  free(H);
  free(p);
  free(wt);
  free(w0);
  if (ws)
    gsl_eigen_symmv_free(ws);
  if (eval)
    gsl_vector_free(eval);
  if (evec)
    gsl_matrix_free(evec);
  return rc;
}

/* ---- existence of a finite minimiser (separation LP) -------------------- */

/* Relative LP optimum above which the data count as separated, and the
 * relative violation a record may show (rounding of the features). */
#define SEP_TOL 1e-9
/* Newton steps spent on a fit known to have no finite minimiser (the
 * tabular fit's AS_FIT_DIVERGENT_ITER): enough to show the run-away. */
#define DIVERGENT_ITER 50

/* Strongly connected components of context x's win graph (edge a → b when
 * P_xab > 0, a ≠ b): comp[a] = smallest response in a's component, by the
 * transitive closure (O(V³), V is small; reach is V×V scratch). */
static void win_components(size_t V, const double *Px, unsigned char *reach,
                           size_t *comp)
{
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++)
      reach[a * V + b] = a == b || Px[a * V + b] > 0.0;
  for (size_t k = 0; k < V; k++)
    for (size_t a = 0; a < V; a++)
      if (reach[a * V + k])
        for (size_t b = 0; b < V; b++)
          reach[a * V + b] |= reach[k * V + b];
  for (size_t a = 0; a < V; a++) {
    size_t c = a;
    for (size_t b = 0; b < a; b++)
      if (reach[a * V + b] && reach[b * V + a]) {
        c = b;
        break;
      }
    comp[a] = c;
  }
}

/* The LP's rows, reduced exactly (as_features.h): per context, an equality
 * φ_a − φ_c (c = comp[a] ≠ a) for each response outside its component's
 * representative, and one inequality φ_a − φ_b per ordered pair of
 * components joined by an edge a → b (the first such edge).  With
 * fill == 0 only counts rows; returns the number of nonzeros. */
static size_t sep_rows(const as_features *f, const double *P,
                       const size_t *comp, unsigned char *seen, int fill,
                       int *ia, int *ja, double *ar, int *type, size_t *rows)
{
  size_t K = f->K, V = f->V, d = f->d, nz = 0, r = 0;
  for (size_t x = 0; x < K; x++) {
    const size_t *cx = comp + x * V;
    const double *Px = P + x * V * V;
    memset(seen, 0, V * V);
    for (size_t a = 0; a < V; a++)
      for (size_t b = 0; b < V + 1; b++) {
        size_t lo; /* the row φ_a − φ_lo, and its kind */
        int eq;
        if (b == V) { /* the equality row of a */
          if (cx[a] == a)
            continue;
          lo = cx[a];
          eq = 1;
        } else {
          if (a == b || !(Px[a * V + b] > 0.0) || cx[a] == cx[b] ||
              seen[cx[a] * V + cx[b]])
            continue;
          seen[cx[a] * V + cx[b]] = 1;
          lo = b;
          eq = 0;
        }
        const double *pa = f->phi + (x * V + a) * d;
        const double *pb = f->phi + (x * V + lo) * d;
        size_t nz0 = nz;
        for (size_t j = 0; j < d; j++) {
          double z = pa[j] - pb[j];
          if (z == 0.0)
            continue;
          nz++;
          if (fill) {
            ia[nz] = (int)r + 1;
            ja[nz] = (int)j + 1;
            ar[nz] = z;
          }
        }
        if (nz > nz0) {
          if (fill)
            type[r] = eq;
          r++;
        }
      }
  }
  *rows = r;
  return nz;
}

int as_features_separation(const as_features *f, const double *P,
                           int *separated, double *margin, double *dir,
                           as_err *err)
{
  if (f == NULL || P == NULL || separated == NULL || margin == NULL)
    return as_err_set(err, AS_EINVAL, "separation: NULL argument");
  size_t K = f->K, V = f->V, d = f->d;
  *separated = 0;
  *margin = 0.0;
  if (dir != NULL)
    memset(dir, 0, d * sizeof *dir);
  for (size_t i = 0; i < K * V * V; i++)
    if (!(P[i] >= 0.0) || !isfinite(P[i]))
      return as_err_set(err, AS_EINVAL, "separation: weight P[%zu] = %g is "
                        "not a finite value >= 0", i, P[i]);
  size_t *comp = malloc(K * V * sizeof *comp);
  unsigned char *scr = malloc(V * V);
  int *ia = NULL, *ja = NULL, *type = NULL;
  double *ar = NULL, *u = calloc(d, sizeof *u);
  int rc = AS_OK;
  if (comp == NULL || scr == NULL || u == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "separation: out of memory");
    goto out;
  }
  for (size_t x = 0; x < K; x++)
    win_components(V, P + x * V * V, scr, comp + x * V);
  size_t rows, nz = sep_rows(f, P, comp, scr, 0, NULL, NULL, NULL, NULL,
                             &rows);
  if (rows > (size_t)INT_MAX - 1 || nz > (size_t)INT_MAX - 1 ||
      d > (size_t)INT_MAX - 1) {
    rc = as_err_set(err, AS_EINVAL, "separation: %zu rows, %zu nonzeros, "
                    "d = %zu: too large for the LP", rows, nz, d);
    goto out;
  }
  ia = malloc((nz + 1) * sizeof *ia);
  ja = malloc((nz + 1) * sizeof *ja);
  ar = malloc((nz + 1) * sizeof *ar);
  type = malloc((rows + 1) * sizeof *type);
  if (ia == NULL || ja == NULL || ar == NULL || type == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "separation: out of memory");
    goto out;
  }
  sep_rows(f, P, comp, scr, 1, ia, ja, ar, type, &rows);
  /* Objective Σ z over the inequality rows; nothing to gain without one
   * (every record lies on a cycle of its context: z·u = 0 is forced). */
  double *c = u; /* u doubles as the objective until the LP has run */
  double l1 = 0.0;
  for (size_t k = 1; k <= nz; k++)
    if (!type[ia[k] - 1]) {
      c[ja[k] - 1] += ar[k];
      l1 += fabs(ar[k]);
    }
  if (l1 == 0.0)
    goto out;
  glp_prob *lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MAX);
  glp_add_rows(lp, (int)rows);
  for (size_t i = 0; i < rows; i++)
    glp_set_row_bnds(lp, (int)i + 1, type[i] ? GLP_FX : GLP_LO, 0.0, 0.0);
  glp_add_cols(lp, (int)d);
  for (size_t j = 0; j < d; j++) {
    glp_set_col_bnds(lp, (int)j + 1, GLP_DB, -1.0, 1.0);
    glp_set_obj_coef(lp, (int)j + 1, c[j]);
  }
  glp_load_matrix(lp, (int)nz, ia, ja, ar);
  /* Silence through the per-problem msg_lev, not glp_term_out: that switch
   * is process-global (per thread) state shared with any other GLPK user in
   * the program, which a library must not flip. */
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  /* Tolerances below GLPK's defaults (1e-7): d is small, so the basic
   * solution is accurate to rounding, and a borderline basis must not pass
   * for optimal.  (glp_exact, the rational simplex, was tried and is not
   * used: with GLPK 5.0 it returned row activities 0 where its own stored
   * rows times its own solution gave -1e-10, i.e. not an exact answer.) */
  parm.tol_bnd = 1e-10;
  parm.tol_dj = 1e-10;
  int g = glp_simplex(lp, &parm);
  if (g != 0 || glp_get_status(lp) != GLP_OPT) {
    rc = as_err_set(err, AS_ENOCONV, "separation: GLPK found no optimum "
                    "(glp_simplex %d, status %d; %zu rows, d = %zu)", g,
                    glp_get_status(lp), rows, d);
  } else {
    /* The answer is recomputed from the data in long double, not taken
     * from the LP: every row within SEP_TOL·‖z‖₁ of its bound (rounding of
     * φ leaves ~1e-16 on cycles) and Σ_ineq z·u > SEP_TOL·Σ_ineq ‖z‖₁ (a
     * real separation has a margin ≫ 1e-9). */
    for (size_t j = 0; j < d; j++)
      u[j] = glp_get_col_prim(lp, (int)j + 1);
    long double tot = 0.0L, worst = 0.0L;
    size_t k = 1;
    for (size_t i = 1; i <= rows; i++) {
      long double v = 0.0L, s1 = 0.0L;
      for (; k <= nz && (size_t)ia[k] == i; k++) {
        v += (long double)ar[k] * u[ja[k] - 1];
        s1 += fabsl((long double)ar[k]);
      }
      long double viol = type[i - 1] ? fabsl(v) / s1 : -v / s1;
      if (viol > worst)
        worst = viol;
      if (!type[i - 1])
        tot += v;
    }
    double mg = (double)(tot / (long double)l1);
    if (mg > SEP_TOL && worst > SEP_TOL) {
      rc = as_err_set(err, AS_ENOCONV, "separation: GLPK's direction "
                      "violates a row by %.3g (relative), margin %.3g: "
                      "inconclusive", (double)worst, mg);
    } else if (mg > SEP_TOL) {
      *separated = 1;
      *margin = mg;
      if (dir != NULL)
        memcpy(dir, u, d * sizeof *u);
    }
  }
  glp_delete_prob(lp);
  /* GLPK keeps a per-thread environment that nothing frees: a worker
   * thread that exits would leak it (the experiment runner's threads do),
   * so it is released here (as_features.h: no caller GLPK objects). */
  glp_free_env();
out:
  free(comp);
  free(scr);
  free(ia);
  free(ja);
  free(ar);
  free(type);
  free(u);
  return rc;
}

/* ---- fitting the methods of docs/reference.md §3 ------------------------------------- */

/* Two converged end points are the same local minimum when their F agree
 * to this relative tolerance or their policies to MS_POLICY_TOL in
 * max |Δ log π| (as_features.h: local_minima). */
#define MS_F_TOL 1e-9
#define MS_POLICY_TOL 1e-6

/* 1 when F(w) is not convex in w for this method (as_features.h, "Local
 * minima"): KL_ref and −E_π r̂ are not convex in the logits. */
static int nonconvex_in_w(const as_fit_opts *o)
{
  switch (o->method) {
  case AS_METHOD_RLHF:
  case AS_METHOD_RKL:
    return 1;
  case AS_METHOD_PMLE:
  case AS_METHOD_DISTILL:
  case AS_METHOD_REBEL:
    return o->lambda > 0.0;
  default:
    return 0;
  }
}

/* The tabular solution's log-policy (K×V) for o on d: the start whose
 * projection onto span(Φ) seeds the feature fit.  Returns 1 when target
 * holds finite values, 0 when there is none (λ + γ = 0, or the tabular
 * fit refused the input); tabular errors are not the feature fit's. */
static int tabular_target(const as_fit_opts *o, const as_data *d,
                          const double *reward, double gamma, double *target)
{
  size_t n = d->K * d->V;
  if (o->method == AS_METHOD_RLHF || o->method == AS_METHOD_RKL) {
    if (!(o->lambda + gamma > 0.0))
      return 0;
    as_rkl_closed_form(d->K, d->V, d->log_ref, reward, o->lambda, gamma,
                       target);
  } else {
    /* Default tolerances (the caller's may be 0 = "feature defaults"). */
    as_fit_opts to;
    as_fit_opts_default(&to);
    to.method = o->method;
    to.beta = o->beta;
    to.lambda = o->lambda;
    to.gamma = o->gamma;
    to.beta_dpo = o->beta_dpo;
    as_fit_result res;
    memset(&res, 0, sizeof res);
    int rc = reward != NULL ? as_fit_with_reward(&to, d, reward, &res, NULL)
                            : as_fit(&to, d, &res, NULL);
    if (rc != AS_OK)
      return 0;
    memcpy(target, res.log_pi, n * sizeof *target);
    as_fit_result_free(&res);
  }
  for (size_t i = 0; i < n; i++)
    if (!isfinite(target[i]))
      return 0;
  return 1;
}

/* w0 = argmin Σ_x ‖C(Φ_x w − t_x)‖² with C the per-context centring (log
 * π is defined up to a constant per context), by the normal equations
 * with a 1e-10·tr/d ridge (d may exceed the rank).  *scale gets the RMS
 * centred target logit.  0 on success, -1 when Cholesky fails or
 * allocation does. */
static int project_logits(const as_features *f, const double *t, double *w0,
                          double *scale)
{
  size_t K = f->K, V = f->V, d = f->d;
  gsl_matrix *M = gsl_matrix_calloc(d, d);
  gsl_vector *b = gsl_vector_calloc(d), *x = gsl_vector_alloc(d);
  double *row = malloc(d * sizeof *row), *mean = malloc(d * sizeof *mean);
  int ok = M && b && x && row && mean;
  double ss = 0.0;
  for (size_t c = 0; ok && c < K; c++) {
    double tm = 0.0;
    for (size_t j = 0; j < d; j++)
      mean[j] = 0.0;
    for (size_t y = 0; y < V; y++) {
      tm += t[c * V + y] / (double)V;
      for (size_t j = 0; j < d; j++)
        mean[j] += f->phi[(c * V + y) * d + j] / (double)V;
    }
    for (size_t y = 0; y < V; y++) {
      double ty = t[c * V + y] - tm;
      ss += ty * ty;
      for (size_t j = 0; j < d; j++)
        row[j] = f->phi[(c * V + y) * d + j] - mean[j];
      for (size_t i = 0; i < d; i++) {
        *gsl_vector_ptr(b, i) += row[i] * ty;
        for (size_t j = 0; j <= i; j++)
          *gsl_matrix_ptr(M, i, j) += row[i] * row[j];
      }
    }
  }
  if (ok) {
    double tr = 0.0;
    for (size_t i = 0; i < d; i++)
      tr += gsl_matrix_get(M, i, i);
    double eps = 1e-10 * (tr > 0.0 ? tr / (double)d : 1.0);
    for (size_t i = 0; i < d; i++) {
      *gsl_matrix_ptr(M, i, i) += eps;
      for (size_t j = 0; j < i; j++)
        gsl_matrix_set(M, j, i, gsl_matrix_get(M, i, j));
    }
    /* Cholesky by hand rather than gsl_linalg_cholesky_decomp1: GSL
     * reports a non-positive pivot through its process-global error
     * handler (abort by default), which a library must not flip. */
    for (size_t j = 0; ok && j < d; j++) {
      double djj = gsl_matrix_get(M, j, j);
      for (size_t k = 0; k < j; k++)
        djj -= gsl_matrix_get(M, j, k) * gsl_matrix_get(M, j, k);
      if (!(djj > 0.0)) {
        ok = 0;
        break;
      }
      double ljj = sqrt(djj);
      gsl_matrix_set(M, j, j, ljj);
      for (size_t i = j + 1; i < d; i++) {
        double v = gsl_matrix_get(M, i, j);
        for (size_t k = 0; k < j; k++)
          v -= gsl_matrix_get(M, i, k) * gsl_matrix_get(M, j, k);
        gsl_matrix_set(M, i, j, v / ljj);
      }
    }
    for (size_t i = 0; ok && i < d; i++) { /* L y = b */
      double v = gsl_vector_get(b, i);
      for (size_t k = 0; k < i; k++)
        v -= gsl_matrix_get(M, i, k) * gsl_vector_get(x, k);
      gsl_vector_set(x, i, v / gsl_matrix_get(M, i, i));
    }
    for (size_t i = d; ok && i-- > 0;) { /* Lᵀ w = y */
      double v = gsl_vector_get(x, i);
      for (size_t k = i + 1; k < d; k++)
        v -= gsl_matrix_get(M, k, i) * gsl_vector_get(x, k);
      gsl_vector_set(x, i, v / gsl_matrix_get(M, i, i));
    }
  }
  if (ok) {
    for (size_t j = 0; j < d; j++)
      w0[j] = gsl_vector_get(x, j);
    ok = all_finite(w0, d);
    *scale = sqrt(ss / (double)(K * V));
  }
  gsl_matrix_free(M);
  gsl_vector_free(b);
  gsl_vector_free(x);
  free(row);
  free(mean);
  return ok ? 0 : -1;
}

/* Deterministic multi-start for an F not convex in w (as_features.h,
 * "Local minima"): runs every start, keeps the lowest F in w and *info,
 * and the kept run's message in err.  AS_ENOMEM, or the caller's start's
 * own error (AS_EINVAL), are returned as errors; a later start that
 * fails to run counts in starts_failed. */
static int fit_multistart(const as_features *f, const as_objective_type *obj,
                          const as_ctx_data *ctx, const as_features_opts *fo,
                          const as_fit_opts *o, const as_data *dat,
                          const double *reward, double gamma, double *w,
                          as_features_info *info, as_err *err)
{
  size_t d = f->d, KV = f->K * f->V;
  long R = o->random_starts == 0 ? AS_FEATURES_RANDOM_STARTS
                                 : (o->random_starts < 0 ? 0
                                                         : o->random_starts);
  size_t nmax = 3 + (size_t)R;
  double *W = malloc(nmax * d * sizeof *W);       /* the starts          */
  double *E = malloc(nmax * d * sizeof *E);       /* their end points    */
  double *L = malloc(nmax * KV * sizeof *L);      /* end log-policies    */
  double *tg = malloc(KV * sizeof *tg);
  as_features_info *I = malloc(nmax * sizeof *I);
  as_err *Er = malloc(nmax * sizeof *Er);
  int *rcs = malloc(nmax * sizeof *rcs);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  int rc = AS_OK;
  if (!W || !E || !L || !tg || !I || !Er || !rcs || !rng) {
    rc = as_err_set(err, AS_ENOMEM, "features fit: out of memory");
    goto out;
  }
  size_t n = 0;
  memcpy(W, w, d * sizeof *w);
  n++;
  if (!all_zero(w, d)) {
    memset(W + n * d, 0, d * sizeof *W);
    n++;
  }
  double scale = 1.0;
  if (tabular_target(o, dat, reward, gamma, tg) &&
      project_logits(f, tg, W + n * d, &scale) == 0)
    n++;
  if (!(scale > 0.0) || !isfinite(scale))
    scale = 1.0;
  gsl_rng_set(rng, AS_FEATURES_START_SEED);
  for (long k = 0; k < R; k++, n++) {
    double sd = (k % 2 == 0 ? 1.0 : scale) / sqrt((double)d);
    for (size_t j = 0; j < d; j++)
      W[n * d + j] = gsl_ran_gaussian(rng, sd);
  }
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    as_err_clear(&Er[i]);
    memcpy(E + i * d, W + i * d, d * sizeof *W);
    rcs[i] = as_features_minimize(f, obj, ctx, fo, E + i * d, &I[i], &Er[i]);
    if (rcs[i] == AS_ENOMEM || (i == 0 && !(rcs[i] == AS_OK ||
                                            rcs[i] == AS_ENOCONV ||
                                            rcs[i] == AS_EDIVERGE))) {
      if (err != NULL)
        *err = Er[i];
      rc = rcs[i];
      goto out;
    }
    if (!(rcs[i] == AS_OK || rcs[i] == AS_ENOCONV || rcs[i] == AS_EDIVERGE)) {
      rcs[i] = AS_EINVAL; /* did not run (e.g. F not finite at the start) */
      continue;
    }
    as_features_log_policy(f, E + i * d, L + i * KV);
    /* Start 0 always ran (else returned above), so best is set; a
     * non-finite F (a diverged run) never beats a finite one. */
    if (best == SIZE_MAX || (isfinite(I[i].f) && !(I[best].f <= I[i].f)))
      best = i;
  }
  /* Ties (within MS_F_TOL) prefer a converged run. */
  double Fb = I[best].f, tolF = MS_F_TOL * fmax(1.0, fabs(Fb));
  if (rcs[best] != AS_OK)
    for (size_t i = 0; i < n; i++)
      if (rcs[i] == AS_OK && I[i].f <= Fb + tolF) {
        best = i;
        break;
      }
  as_features_info out = I[best];
  out.starts = (int)n;
  out.starts_failed = out.local_minima = out.best_hits = 0;
  out.minima_gap = 0.0;
  double Fmax = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (rcs[i] != AS_OK || !isfinite(I[i].f)) {
      out.starts_failed++;
      continue;
    }
    Fmax = fmax(Fmax, I[i].f);
    out.best_hits += I[i].f <= I[best].f + tolF;
    int fresh = 1; /* a new local minimum unless it matches an earlier one */
    for (size_t j = 0; j < i && fresh; j++) {
      if (rcs[j] != AS_OK)
        continue;
      double dl = 0.0;
      for (size_t k = 0; k < KV; k++)
        dl = fmax(dl, fabs(L[i * KV + k] - L[j * KV + k]));
      if (fabs(I[i].f - I[j].f) <= tolF || dl <= MS_POLICY_TOL)
        fresh = 0;
    }
    out.local_minima += fresh;
  }
  if (out.best_hits > 0)
    out.minima_gap = Fmax - I[best].f;
  memcpy(w, E + best * d, d * sizeof *w);
  *info = out;
  rc = rcs[best];
  if (err != NULL)
    *err = Er[best];
out:
  free(W);
  free(E);
  free(L);
  free(tg);
  free(I);
  free(Er);
  free(rcs);
  gsl_rng_free(rng);
  return rc;
}

int as_features_fit(const as_features *f, const as_fit_opts *o,
                    const as_data *d, const double *reward, double *w,
                    as_features_info *info, as_err *err)
{
  if (f == NULL || o == NULL || d == NULL || w == NULL)
    return as_err_set(err, AS_EINVAL, "features fit: NULL argument");
  if (d->K != f->K || d->V != f->V)
    return as_err_set(err, AS_EINVAL,
                      "features fit: data is %zu x %zu, features %zu x %zu",
                      d->K, d->V, f->K, f->V);
  const as_objective_type *obj = NULL;
  int needs_reward = 0, needs_q = 0;
  double gamma = 0.0;
  switch (o->method) {
  case AS_METHOD_PMLE:
    obj = &as_obj_pmle;
    break;
  case AS_METHOD_DPO:
    if (o->dpo_steps != 0)
      return as_err_set(err, AS_ENOTSUP,
                        "features fit: dpo with dpo_steps = %ld (only the "
                        "solved form is available in the feature class)",
                        o->dpo_steps);
    obj = &as_obj_dpo;
    break;
  case AS_METHOD_REWARD:
    obj = &as_obj_reward;
    break;
  case AS_METHOD_DISTILL:
    obj = &as_obj_distill;
    needs_reward = needs_q = 1;
    break;
  case AS_METHOD_REBEL:
    obj = &as_obj_rebel;
    needs_reward = needs_q = 1;
    break;
  case AS_METHOD_RLHF:
    obj = &as_obj_rkl;
    needs_reward = 1;
    gamma = 0.0;
    break;
  case AS_METHOD_RKL:
    obj = &as_obj_rkl;
    needs_reward = 1;
    gamma = isnan(o->gamma) ? o->beta : o->gamma;
    break;
  default:
    return as_err_set(err, AS_ENOTSUP,
                      "features fit: method %d is not available in the "
                      "feature class", (int)o->method);
  }
  if (d->P == NULL && !needs_reward)
    return as_err_set(err, AS_EINVAL, "features fit: no labelled weights P");
  if (needs_q && d->Q == NULL)
    return as_err_set(err, AS_EINVAL,
                      "features fit: method needs unlabelled weights Q");
  if (needs_reward != (reward != NULL))
    return as_err_set(err, AS_EINVAL,
                      "features fit: this method %s a reward",
                      needs_reward ? "needs" : "does not take");
  double ridge = o->ridge;
  if (isnan(ridge))
    ridge = isfinite(d->n) && d->n > 0 ? 1.0 / d->n : 0.0;
  size_t K = f->K, V = f->V;
  as_ctx_data *ctx = calloc(K, sizeof *ctx);
  double *unif = malloc(V * sizeof(double));
  if (ctx == NULL || unif == NULL) {
    free(ctx);
    free(unif);
    return as_err_set(err, AS_ENOMEM, "features fit: out of memory");
  }
  for (size_t y = 0; y < V; y++)
    unif[y] = -log((double)V);
  for (size_t x = 0; x < K; x++) {
    as_ctx_data *c = &ctx[x];
    c->V = V;
    c->rho = d->log_rho == NULL ? 1.0 / (double)K : exp(d->log_rho[x]);
    c->P = d->P ? d->P + x * V * V : NULL;
    c->Q = d->Q ? d->Q + x * V * V : NULL;
    c->log_ref = d->log_ref ? d->log_ref + x * V : unif;
    c->reward = reward ? reward + x * V : NULL;
    c->beta = o->beta;
    c->beta_dpo = isnan(o->beta_dpo) ? o->beta : o->beta_dpo;
    c->lambda = o->lambda;
    c->gamma = gamma;
    c->ridge = ridge;
  }
  as_features_opts fo;
  as_features_opts_default(&fo);
  if (o->tol > 0.0)
    fo.tol = o->tol;
  if (o->max_iter > 0)
    fo.max_iter = o->max_iter;
  /* docs/reference.md §3: a BT-type objective with no regulariser may have no finite
   * minimiser, and the Newton decrement then decays (e^{-margin}) and would
   * look converged, so existence is decided first (as_features_separation:
   * an LP, exact up to a 1e-9 relative tolerance).  A ridge > 0
   * is (η_r/2)‖Φw‖² on the rewards: strictly convex and coercive in Φw,
   * flat only along null(Φ), which changes no reward (the solver drops
   * those directions), so a minimiser exists.  PMLE at λ > 0 is not
   * tested, as in the tabular fit (as_fit.c flags only λ = 0), but that is
   * not a guarantee: KL_ref ≤ max −log π_ref is bounded, so it does not
   * make F coercive.  With V = 2, one "0 beats 1", uniform π_ref, β = 0.5,
   * λ = 0.1: F(t) − F(∞) = −log σ(t/2) − λ H(σ(t)) > 0 for every t (since
   * −log σ(t/2) ≥ e^{−t/2}/2 > 0.1 (t+1) e^{−t} ≥ λ H), so the infimum is
   * only approached.  With β ≥ 1 the entropy wins in that example and a
   * minimiser exists; no general test is implemented for λ > 0. */
  int mle_type = o->method == AS_METHOD_DPO ||
                 (o->method == AS_METHOD_PMLE && o->lambda == 0.0) ||
                 (o->method == AS_METHOD_REWARD && ridge == 0.0);
  int sep = 0, rc;
  double margin = 0.0, *dir = NULL;
  if (mle_type) {
    dir = malloc(f->d * sizeof *dir);
    if (dir == NULL) {
      rc = as_err_set(err, AS_ENOMEM, "features fit: out of memory");
      goto out;
    }
    if ((rc = as_features_separation(f, d->P, &sep, &margin, dir, err))
        != AS_OK)
      goto out;
    if (sep && fo.max_iter > DIVERGENT_ITER)
      fo.max_iter = DIVERGENT_ITER; /* show the run-away, do not chase it */
  }
  as_features_info inf;
  if (nonconvex_in_w(o))
    rc = fit_multistart(f, obj, ctx, &fo, o, d, reward, gamma, w, &inf, err);
  else
    rc = as_features_minimize(f, obj, ctx, &fo, w, &inf, err);
  if (rc != AS_OK && rc != AS_ENOCONV && rc != AS_EDIVERGE)
    goto out;
  inf.no_mle = sep;
  inf.separation = margin;
  if (sep) {
    inf.status = rc = AS_EDIVERGE;
    double wn = 0.0;
    for (size_t j = 0; j < f->d; j++)
      wn += w[j] * w[j];
    char dbuf[160];
    size_t len = 0;
    for (size_t j = 0; j < f->d && j < 6 && len < sizeof dbuf; j++)
      len += (size_t)snprintf(dbuf + len, sizeof dbuf - len, "%s%.3g",
                              j ? ", " : "", dir[j]);
    as_err_set(err, AS_EDIVERGE, "features: '%s' has no finite minimiser: "
               "the records are separated in w-space along u = (%s%s) "
               "(relative margin %.3g); stopped after %ld Newton steps with "
               "||w|| = %.6g", obj->name, dbuf, f->d > 6 ? ", ..." : "",
               margin, inf.iterations, sqrt(wn));
  }
  if (info != NULL)
    *info = inf;
out:
  free(dir);
  free(ctx);
  free(unif);
  return rc;
}

int as_features_fit_reward(const as_features *f, const as_data *d,
                           double ridge, double *w, double *reward,
                           as_features_info *info, as_err *err)
{
  /* Built by hand rather than from as_fit_opts_default: only the fields
   * the reward model reads matter, and tol/max_iter 0 select our defaults. */
  as_fit_opts o;
  memset(&o, 0, sizeof o);
  o.method = AS_METHOD_REWARD;
  o.beta = 1.0;
  o.gamma = o.beta_dpo = o.eta = NAN;
  o.ridge = ridge;
  int rc = as_features_fit(f, &o, d, NULL, w, info, err);
  if ((rc == AS_OK || rc == AS_ENOCONV || rc == AS_EDIVERGE) &&
      reward != NULL) /* the last iterate, reported with its status */
    as_features_logits(f, w, reward);
  return rc;
}

/* ---- reading a feature table (header) ---------------------------------- */

/* Largest index accepted (keeps K·V·d far from overflow). */
#define READ_MAX_INDEX ((size_t)1 << 24)

static int read_index(const char *s, size_t *v)
{
  if (*s < '0' || *s > '9')
    return -1;
  char *end;
  errno = 0;
  unsigned long long u = strtoull(s, &end, 10);
  if (*end != '\0' || errno != 0 || u >= READ_MAX_INDEX)
    return -1;
  *v = (size_t)u;
  return 0;
}

typedef struct feat_rec {
  size_t x, y, i;   /* i: the row's place in the value array */
  long line;
} feat_rec;

static int feat_rec_cmp(const void *pa, const void *pb)
{
  const feat_rec *a = pa, *b = pb;
  if (a->x != b->x)
    return a->x < b->x ? -1 : 1;
  if (a->y != b->y)
    return a->y < b->y ? -1 : 1;
  return (a->line > b->line) - (a->line < b->line);
}

/* Appends to a growing array of elem-byte items, within the memory limit
 * (as_limits.h; WHERE is "FILE:LINE"); AS_OK, AS_EPARSE or AS_ENOMEM. */
static int grow(void **p, size_t *cap, size_t need, size_t elem,
                const char *where, as_err *err)
{
  if (need <= *cap)
    return AS_OK;
  size_t nc = *cap == 0 ? 256 : *cap;
  while (nc < need)
    nc *= 2;
  int rc = as_limits_check(where, "the feature rows so far",
                           (double)nc * (double)elem, err);
  if (rc != AS_OK)
    return rc;
  void *q = realloc(*p, nc * elem);
  if (q == NULL)
    return as_err_set(err, AS_ENOMEM, "%s: out of memory", where);
  *p = q;
  *cap = nc;
  return AS_OK;
}

typedef struct feat_read {
  const char *path;
  feat_rec *recs;
  double *vals;
  size_t n, rcap, vcap, d;
  long last;
} feat_read;

/* One data line (nt ≥ 1 tokens) into fr; AS_OK or an error naming it. */
static int feat_line(feat_read *fr, long lineno, char **tok, size_t nt,
                     size_t Kfix, size_t Vfix, as_err *err)
{
  const char *path = fr->path;
  if (fr->d == 0) {
    if (nt < 3)
      return as_err_set(err, AS_EPARSE, "%s:%ld: expected 'context response "
                        "f_1 ... f_d' with d >= 1, found %zu field%s", path,
                        lineno, nt, nt == 1 ? "" : "s");
    fr->d = nt - 2;
  } else if (nt != fr->d + 2) {
    return as_err_set(err, AS_EPARSE, "%s:%ld: expected %zu fields (context "
                      "response and d = %zu features, as on the first row), "
                      "found %zu", path, lineno, fr->d + 2, fr->d, nt);
  }
  size_t d = fr->d;
  feat_rec r = {0, 0, fr->n, lineno};
  if (read_index(tok[0], &r.x) || read_index(tok[1], &r.y))
    return as_err_set(err, AS_EPARSE, "%s:%ld: context and response must be "
                      "integers in [0, 2^24) ('%s %s')", path, lineno,
                      tok[0], tok[1]);
  if ((Kfix > 0 && r.x >= Kfix) || (Vfix > 0 && r.y >= Vfix))
    return as_err_set(err, AS_EPARSE, "%s:%ld: context %zu / response %zu "
                      "out of range (K = %zu, V = %zu)", path, lineno, r.x,
                      r.y, Kfix, Vfix);
  char where[4200];
  snprintf(where, sizeof where, "%s:%ld", path, lineno);
  int rc;
  if ((rc = grow((void **)&fr->recs, &fr->rcap, fr->n + 1, sizeof *fr->recs,
                 where, err)) != AS_OK
      || (rc = grow((void **)&fr->vals, &fr->vcap, (fr->n + 1) * d,
                    sizeof *fr->vals, where, err)) != AS_OK)
    return rc;
  for (size_t j = 0; j < d; j++) {
    char *end;
    double v = strtod(tok[2 + j], &end);
    if (*end != '\0' || end == tok[2 + j] || !isfinite(v))
      return as_err_set(err, AS_EPARSE, "%s:%ld: feature %zu '%s' is not a "
                        "finite number", path, lineno, j + 1, tok[2 + j]);
    fr->vals[fr->n * d + j] = v;
  }
  fr->recs[fr->n++] = r;
  return AS_OK;
}

/* Reads every line of f into fr. */
static int feat_lines(feat_read *fr, FILE *f, size_t Kfix, size_t Vfix,
                      as_err *err)
{
  char *line = NULL, **tok = NULL;
  size_t lcap = 0, tcap = 0;
  long lineno = 0;
  int rc = AS_OK, seen_data = 0;
  ssize_t len;
  while (rc == AS_OK && (len = getline(&line, &lcap, f)) != -1) {
    lineno++;
    if ((size_t)len != strlen(line)) {
      rc = as_err_set(err, AS_EPARSE, "%s:%ld: NUL byte in line", fr->path,
                      lineno);
      break;
    }
    char *hash = strchr(line, '#');
    if (hash != NULL)
      *hash = '\0';
    size_t nt = 0;
    char *save = NULL, where[4200];
    snprintf(where, sizeof where, "%s:%ld", fr->path, lineno);
    for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && rc == AS_OK;
         t = strtok_r(NULL, " \t\r\n", &save))
      if ((rc = grow((void **)&tok, &tcap, nt + 1, sizeof *tok, where,
                     err)) == AS_OK)
        tok[nt++] = t;
    if (rc != AS_OK || nt == 0)
      continue;
    /* The project's header rule (as_io.h): a header has no numeric field
     * at all, so "x1 0 0.5" is a data row with a typo, reported below. */
    if (!seen_data++ && as_io_fields_are_header((const char *const *)tok, nt))
      continue;
    rc = feat_line(fr, lineno, tok, nt, Kfix, Vfix, err);
  }
  if (rc == AS_OK && ferror(f))
    rc = as_err_set(err, AS_EIO, "%s:%ld: read error", fr->path, lineno + 1);
  fr->last = lineno;
  free(line);
  free(tok);
  return rc;
}

/* The sorted rows must be exactly the K×V grid, checked before anything
 * of size K·V is allocated (a 2-line file naming context 16383 and
 * response 16383 used to allocate two 2 GiB tables first). */
static int feat_check_grid(const feat_read *fr, size_t K, size_t V,
                           as_err *err)
{
  const feat_rec *r = fr->recs;
  for (size_t i = 1; i < fr->n; i++)
    if (r[i].x == r[i - 1].x && r[i].y == r[i - 1].y)
      return as_err_set(err, AS_EPARSE, "%s:%ld: context %zu response %zu "
                        "appears twice (first at line %ld)", fr->path,
                        r[i].line, r[i].x, r[i].y, r[i - 1].line);
  if ((double)K * (double)V == (double)fr->n)
    return AS_OK;
  size_t i = 0;
  while (i < fr->n && r[i].x == i / V && r[i].y == i % V)
    i++;
  return as_err_set(err, AS_EPARSE, "%s:%ld: context %zu response %zu is "
                    "missing (every pair of the %zu x %zu grid must appear "
                    "once)", fr->path, fr->last, i / V, i % V, K, V);
}

int as_features_read(const char *path, size_t *Kp, size_t *Vp,
                     as_features **out, as_err *err)
{
  *out = NULL;
  FILE *f = as_limits_open_input(path, err);
  if (f == NULL)
    return AS_EIO;
  feat_read fr = {path, NULL, NULL, 0, 0, 0, 0, 0};
  int rc = feat_lines(&fr, f, *Kp, *Vp, err);
  as_limits_close_input(f);
  size_t K = 0, V = 0, d = fr.d;
  if (rc == AS_OK && fr.n == 0)
    rc = as_err_set(err, AS_EPARSE, "%s:%ld: no feature rows", path, fr.last);
  for (size_t i = 0; rc == AS_OK && i < fr.n; i++) {
    K = fr.recs[i].x + 1 > K ? fr.recs[i].x + 1 : K;
    V = fr.recs[i].y + 1 > V ? fr.recs[i].y + 1 : V;
  }
  K = *Kp > 0 ? *Kp : K;
  V = *Vp > 0 ? *Vp : V;
  if (rc == AS_OK && V < 2)
    rc = as_err_set(err, AS_EPARSE, "%s:%ld: a %zu x %zu table with d = %zu "
                    "needs V >= 2", path, fr.last, K, V, d);
  if (rc == AS_OK) {
    qsort(fr.recs, fr.n, sizeof *fr.recs, feat_rec_cmp);
    rc = feat_check_grid(&fr, K, V, err);
  }
  as_features *F = NULL;
  if (rc == AS_OK && (F = as_features_new(K, V, d)) == NULL)
    rc = as_err_set(err, AS_ENOMEM, "%s: out of memory", path);
  for (size_t c = 0; rc == AS_OK && c < fr.n; c++)  /* sorted: c = x·V + y */
    memcpy(F->phi + c * d, fr.vals + fr.recs[c].i * d, d * sizeof *fr.vals);
  if (rc == AS_OK) {
    *Kp = K;
    *Vp = V;
    *out = F;
  }
  free(fr.recs);
  free(fr.vals);
  return rc;
}
