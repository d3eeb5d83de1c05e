/* as_solve.c — damped Newton with exact Hessian; see as_solve.h. */
#include "as_solve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_cg.h"

/* Largest change of any logit in one Newton step (nats). */
#define AS_SOLVE_MAX_STEP 30.0

void as_solve_opts_default(as_solve_opts *o)
{
  o->tol = 1e-20;
  o->max_iter = 5000;
  o->gauge = 1;
  o->step_tol = 1e-9;
  o->logp_floor = -INFINITY;
  o->large_v = AS_SOLVE_LARGE_V;
}

/* What f may rise (or fail to fall) by and still count as unchanged: its
 * rounding, 1e-12 relative — the line search's, the final step's and the
 * stall watch's one slack. */
static double f_slack(double f)
{
  return 1e-12 * (1.0 + fabs(f));
}

/* Stall: over AS_SOLVE_STALL_ITER steps f fell by no more than rounding
 * (1e-12 relative, the line search's own slack) while the step, below
 * AS_SOLVE_STALL_STEP nats, shrank but did not halve.  That is a group of
 * responses losing to another by tens of nats: gradient and curvature
 * along the gap both scale like e^-gap, the step decays like 1/t, the gap
 * creeps up like log t, and the solve would run to the iteration cap for
 * the same AS_ENOCONV.  Not a stall: a trap run (as_solve.h: ~1 nat per
 * step), a converging run (its steps halve within the window), and a run
 * leaving a plateau (a saddle of a non-convex objective: f flat, steps
 * GROWING for hundreds of iterations before f drops — distill does this). */
#define AS_SOLVE_STALL_STEP 1e-2
#define AS_SOLVE_STALL_ITER 50

typedef struct stall_watch {
  long since;  /* iteration that opened the window, -1: none */
  double step; /* largest step then                          */
  double f;    /* objective then                             */
} stall_watch;

static int stalled(stall_watch *w, long it, double f, double pmax)
{
  if (!(pmax < AS_SOLVE_STALL_STEP) ||
      (w->since >= 0 && w->f - f > f_slack(f))) {
    w->since = -1;
    return 0;
  }
  if (w->since >= 0 && it - w->since < AS_SOLVE_STALL_ITER)
    return 0;
  if (w->since >= 0 && pmax < w->step && pmax > 0.5 * w->step)
    return 1;
  w->since = it;
  w->step = pmax;
  w->f = f;
  return 0;
}

/* Relative residual of the CG direction (as_solve.h, "Large V"):
 * min(AS_SOLVE_CG_LOOSE, ‖S g‖) but not below AS_SOLVE_CG_RTOL. */
#define AS_SOLVE_CG_RTOL 1e-11
#define AS_SOLVE_CG_LOOSE 1e-2

/* Entries with log π_y below this are in the exponential tail, where the
 * objective's dependence on θ_y is e^θ_y·h(θ_y) with h slowly varying. */
#define AS_SOLVE_TAIL (-30.0)

/* Is an entry of π = softmax(θ) headed below e^floor (as_solve_opts)?
 * Either it is there already and the step p still lowers it (d log π_y =
 * p_y − Σ_z π_z p_z to first order), or it is in the tail while f is flat
 * (0.5λ² ≤ tol: `flat`) and the tail's own root lies below the floor.
 * In the tail g_y = e^θ·h and H_yy = e^θ·(h + h'), so a Newton step moves
 * θ_y by −h/(h + h') ≈ −1 nat while the root of h is −h/h' = −g_y/(H_yy −
 * g_y) away: Newton would take that many steps to get there, the verdict
 * is known now.  With h' ≤ 0 there is no root ahead — the entry runs off
 * (PMLE at β < 1: the BT gain ∝ π^β beats the KL cost ∝ π log π) — and
 * the answer is AS_EDIVERGE; a root beyond the floor is AS_ENOCONV (a
 * minimiser too far out for double precision).  0: neither. */
static int headed_below(size_t V, const double *th, const double *p,
                        const double *g, const double *H, int flat,
                        double floor)
{
  if (!(floor > -INFINITY))
    return 0;
  double mx = -INFINITY, mn = INFINITY;
  for (size_t i = 0; i < V; i++) {
    mx = th[i] > mx ? th[i] : mx; /* fmax, NaN skipped, inline */
    mn = th[i] < mn ? th[i] : mn;
  }
  /* No entry in the tail: log π_y = θ_y − lse ≥ θ_y − max θ − log V (the
   * normaliser sums V terms ≤ 1), so every entry passes the test below
   * (1 nat of margin for rounding) and its V exponentials are not needed. */
  if (mn - mx > AS_SOLVE_TAIL + log((double)V) + 1.0)
    return 0;
  double z = 0.0, mean = 0.0;
  for (size_t i = 0; i < V; i++) {
    double e = exp(th[i] - mx);
    z += e;
    mean += e * p[i];
  }
  double lse = mx + log(z);
  mean /= z;
  for (size_t i = 0; i < V; i++) {
    double lp = th[i] - lse;
    if (!(p[i] - mean < 0.0) || lp >= AS_SOLVE_TAIL)
      continue;
    double curv = H[i * V + i] - g[i];
    int runaway = g[i] > 0.0 && !(curv > 0.0);
    if (lp < floor ||
        (flat && g[i] > 0.0 && (runaway || lp - g[i] / curv < floor)))
      return runaway ? AS_EDIVERGE : AS_ENOCONV;
  }
  return 0;
}

/* In-place Cholesky A = LLᵀ (lower triangle); 0 on success, -1 when a pivot
 * is not clearly positive (relative to the largest diagonal).
 * Written by hand rather than gsl_linalg_cholesky_decomp1 because (a) the
 * solver needs a *relative* pivot threshold to detect a numerically
 * singular reduced Hessian and fall back, and (b) GSL reports a failed
 * factorisation through its process-global error handler (abort by
 * default), which a library must not reconfigure; the systems are V×V. */
#define CHOL_PIVOT_MIN 1e-13 /* a pivot must exceed this times dmax */

static int cholesky(size_t V, double *A, double dmax)
{
  for (size_t j = 0; j < V; j++) {
    double s = A[j * V + j];
    for (size_t k = 0; k < j; k++)
      s -= A[j * V + k] * A[j * V + k];
    if (!(s > CHOL_PIVOT_MIN * dmax))
      return -1;
    double l = sqrt(s);
    A[j * V + j] = l;
    for (size_t i = j + 1; i < V; i++) {
      double t = A[i * V + j];
      for (size_t k = 0; k < j; k++)
        t -= A[i * V + k] * A[j * V + k];
      A[i * V + j] = t / l;
    }
  }
  return 0;
}

/* The least diagonal entry of the scaled system before its shift, as the
 * ladder below writes it ((s_a s_a) H_aa); NaN when one is NaN.  Why: a
 * pivot is its diagonal entry minus rounded squares, and rounding is
 * monotone, so no pivot exceeds its entry — a shift τ with
 * fl(dlo + τ) ≤ CHOL_PIVOT_MIN fails for certain and is passed over
 * without factorising (the same τ is found, so the same direction, bit
 * for bit).  E2's PMLE fits with a negative curvature of −1 (scaled) used
 * to factorise 15 times per step, from τ = 0 up the ladder to τ = 10. */
static double scaled_diag_min(size_t V, const double *H, size_t n,
                              const size_t *idx, const double *s)
{
  double dlo = INFINITY;
  for (size_t a = 0; a < n; a++) {
    double d = s[a] * s[a] * H[idx[a] * V + idx[a]];
    if (isnan(d))
      return NAN;
    dlo = d < dlo ? d : dlo; /* fmin, inline (d is not NaN) */
  }
  return dlo;
}

/* The shift after τ on the ladder: 0, 1e-12, 1e-11, … (scaled units). */
static double ladder_next(double tau)
{
  return tau == 0.0 ? 1e-12 : 10.0 * tau;
}

static void cholesky_solve(size_t V, const double *L, double *x)
{
  for (size_t i = 0; i < V; i++) {
    double s = x[i];
    for (size_t k = 0; k < i; k++)
      s -= L[i * V + k] * x[k];
    x[i] = s / L[i * V + i];
  }
  for (size_t i = V; i-- > 0;) {
    double s = x[i];
    for (size_t k = i + 1; k < V; k++)
      s -= L[k * V + i] * x[k];
    x[i] = s / L[i * V + i];
  }
}

static void project_out_ones(size_t V, double *v)
{
  double m = 0.0;
  for (size_t i = 0; i < V; i++)
    m += v[i];
  m /= (double)V;
  for (size_t i = 0; i < V; i++)
    v[i] -= m;
}

/* The reduced system by conjugate gradients (as_cg.h): 0 with p and *dec
 * set, −1 when the dense path must decide.  cgw: 7V scratch. */
static int cg_direction(size_t V, const double *H, const double *g,
                        size_t n, const size_t *idx, const double *s,
                        int gauge, double *p, double *dec, double *cgw,
                        long *hv)
{
  double *b = cgw, *y = b + V, *work = y + V, bb = 0.0;
  for (size_t a = 0; a < n; a++) {
    b[a] = -s[a] * g[idx[a]];
    bb += b[a] * b[a];
  }
  /* Inexact Newton: far from the optimum the step is only a step and a
   * loose solve keeps the quadratic rate (residual ≤ ‖b‖·‖b‖); near it,
   * where the stopping rule reads λ² and the step, the tight floor. */
  double rtol = fmax(AS_SOLVE_CG_RTOL, fmin(AS_SOLVE_CG_LOOSE, sqrt(bb)));
  long iters;
  int rc = as_cg_solve(V, H, n, idx, s, b, rtol, 2 * (long)n + 50, y, work,
                       &iters);
  *hv += iters;
  if (rc != 0)
    return -1;
  *dec = 0.0;
  for (size_t a = 0; a < n; a++) {
    *dec += b[a] * y[a];
    p[idx[a]] = s[a] * y[a];
  }
  if (gauge)
    project_out_ones(V, p);
  return 0;
}

/* Newton direction p = −H⁺g, computed so that logits of tiny probability
 * keep their full step (docs/reference.md §3 trap):
 * - gauge: f(θ + c1) = f(θ) makes H singular along 1; the coordinate k
 *   with the largest logit is pinned (p_k = 0), which loses nothing (any
 *   step can be shifted along 1) and leaves a reduced Hessian that is
 *   nonsingular when 1 was the only null direction.  Not the largest
 *   curvature: when π_k rounds to 1 its softmax curvature π_k(1 − π_k)
 *   rounds to 0 and another, tiny-probability logit would get pinned
 *   (and frozen) instead;
 * - the reduced system is scaled to unit diagonal (Jacobi) before the
 *   Cholesky factorisation, so a pivot is judged relative to its own
 *   curvature: for the softmax Hessian diag π − ππᵀ the scaled matrix is
 *   ≈ I − √π√πᵀ with smallest eigenvalue ≈ π_k ≥ 1/V, whatever the small
 *   π_y are, whereas an absolute threshold or shift would freeze them;
 * - a coordinate with no curvature and no gradient (a response no term
 *   touches) keeps p_y = 0;
 * - an indefinite or singular remainder gets the smallest shift τI (scaled
 *   units) from a geometric ladder that lets the factorisation succeed.
 * idx, s: V scratch each; cgw (7V, or NULL: dense only): the same system by
 * conjugate gradients first (large V). */
static int newton_direction(size_t V, const double *theta, const double *H,
                            const double *g,
                            int gauge, double *L, double *p, size_t *idx,
                            double *s, double *dec, double *cgw,
                            as_solve_info *info)
{
  *dec = 0.0;
  size_t k = V;
  if (gauge) {
    double best = -INFINITY;
    for (size_t i = 0; i < V; i++)
      if (theta[i] > best) {
        best = theta[i];
        k = i;
      }
  }
  double dmax = 0.0; /* fmax without the library call (NaN skipped too) */
  for (size_t i = 0; i < V; i++)
    dmax = fabs(H[i * V + i]) > dmax ? fabs(H[i * V + i]) : dmax;
  size_t n = 0;
  for (size_t i = 0; i < V; i++) {
    p[i] = 0.0;
    if (i == k)
      continue;
    double hii = fabs(H[i * V + i]);
    if (hii == 0.0 && g[i] == 0.0)
      continue;
    idx[n] = i;
    s[n] = 1.0 / sqrt(hii > 0.0 ? hii : (dmax > 0.0 ? dmax : 1.0));
    n++;
  }
  if (n == 0)
    return 0;
  if (cgw != NULL && cg_direction(V, H, g, n, idx, s, gauge, p, dec, cgw,
                                  &info->hv_products) == 0)
    return 0;
  for (size_t a = 0; a < n; a++)
    p[idx[a]] = 0.0; /* a failed CG may have written some */
  double tau = 0.0, dlo = scaled_diag_min(V, H, n, idx, s);
  for (int attempt = 0; attempt < 40; attempt++) {
    if (dlo + tau <= CHOL_PIVOT_MIN) { /* fails for certain (above) */
      tau = ladder_next(tau);
      continue;
    }
    /* the lower triangle: all that cholesky and cholesky_solve read */
    for (size_t a = 0; a < n; a++)
      for (size_t b = 0; b <= a; b++)
        L[a * n + b] = s[a] * s[b] * H[idx[a] * V + idx[b]] +
                       (a == b ? tau : 0.0);
    info->factorisations++;
    if (cholesky(n, L, 1.0) == 0) {
      double *y = s + V; /* second half of the scratch */
      for (size_t a = 0; a < n; a++)
        y[a] = -s[a] * g[idx[a]];
      /* λ² = gᵀH⁻¹g = ‖L⁻¹ S g‖², a sum of squares (no cancellation). */
      cholesky_solve(n, L, y);
      double dl = 0.0; /* a local: *dec may alias p, every term a store */
      for (size_t a = 0; a < n; a++)
        dl -= s[a] * g[idx[a]] * y[a];
      *dec = dl;
      for (size_t a = 0; a < n; a++)
        p[idx[a]] = s[a] * y[a];
      if (gauge)
        project_out_ones(V, p);
      return 0;
    }
    tau = ladder_next(tau);
  }
  return -1;
}

int as_solve_prepare(const as_objective_type *obj, const as_ctx_data *d,
                     const as_solve_opts *o, as_obj_prep **out)
{
  as_solve_opts def;
  if (o == NULL) {
    as_solve_opts_default(&def);
    o = &def;
  }
  return d->V >= o->large_v ? as_obj_prepare(obj, d, out)
                            : as_obj_prepare_exact(obj, d, out);
}

int as_solve_newton(const as_objective_type *obj, const as_ctx_data *d,
                    const as_solve_opts *o, double *theta,
                    as_solve_info *info, as_err *err)
{
  size_t V = d->V;
  as_solve_opts def;
  if (o == NULL) {
    as_solve_opts_default(&def);
    o = &def;
  }
  as_solve_info tmp;
  if (info == NULL)
    info = &tmp;
  info->status = AS_OK;
  info->iterations = 0;
  info->criterion = INFINITY;
  info->step = INFINITY;
  info->f = NAN;
  info->hv_products = 0;
  info->factorisations = 0;
  info->evals = 0;
  if (V < 1 || !(o->tol >= 0.0) || !(o->step_tol >= 0.0) || o->max_iter < 0)
    return as_err_set(err, AS_EINVAL,
                      "as_solve_newton: V = %zu, tol = %g, max_iter = %ld",
                      V, o->tol, o->max_iter);
  int large = V >= o->large_v;
  as_obj_prep *prep = NULL; /* owned: made here */
  as_ctx_data dl;
  if (d->prep == NULL && as_solve_prepare(obj, d, o, &prep) != AS_OK)
    return as_err_set(err, AS_ENOMEM, "as_solve_newton: out of memory");
  if (prep != NULL) {
    dl = *d;
    dl.prep = prep;
    d = &dl;
  }
  double *buf = malloc((3 * V * V + (large ? 14 : 7) * V) * sizeof *buf);
  size_t *idx = malloc(V * sizeof *idx);
  if (buf == NULL || idx == NULL) {
    free(buf);
    free(idx);
    as_obj_prep_free(prep);
    return as_err_set(err, AS_ENOMEM, "as_solve_newton: out of memory");
  }
  double *H = buf, *L = H + V * V, *g = L + V * V, *p = g + V,
         *th = p + V, *trial = th + V, *sc = trial + V;
  /* the full step's gradient and Hessian, kept when the step is taken */
  double *H1 = sc + 2 * V, *g1 = H1 + V * V;
  double *cgw = large ? g1 + V : NULL;
  memcpy(th, theta, V * sizeof *th);
  /* Gauge: work (and return) centred, Σθ = 0, so that log π = θ − lse(θ)
   * keeps full precision whatever constant the caller's start carried. */
  if (o->gauge)
    project_out_ones(V, th);

  double f;
  int rc = obj->eval(d, th, &f, g, H);
  info->evals++;
  if (rc != AS_OK) {
    free(buf);
    free(idx);
    as_obj_prep_free(prep);
    return as_err_set(err, rc, "%s: objective cannot be evaluated "
                      "(missing or non-finite data, or a parameter out of "
                      "range)", obj->name);
  }
  int status = AS_ENOCONV;
  stall_watch watch = {.since = -1, .step = 0.0, .f = 0.0};
  long it;
  for (it = 0;; it++) {
    if (!isfinite(f)) {
      status = AS_EDIVERGE;
      break;
    }
    /* g is not projected onto 1⊥: it is ⊥ 1 analytically, and removing a
     * rounding-level mean would swamp the components of tiny-probability
     * logits, which are exactly the ones the trap is about. */
    double dec = 0.0;
    if (newton_direction(V, th, H, g, o->gauge, L, p, idx, sc, &dec,
                         cgw, info) != 0) {
      status = AS_EDIVERGE;
      break;
    }
    double pmax = 0.0;
    for (size_t i = 0; i < V; i++)
      pmax = fabs(p[i]) > pmax ? fabs(p[i]) : pmax; /* fmax, inline */
    info->criterion = 0.5 * dec;
    info->step = pmax;
    if (0.5 * dec <= o->tol && pmax <= o->step_tol) {
      /* Converged; the step just computed is still the best correction
       * available.  In the quadratic regime it squares the remaining
       * error (≈ pmax nats) for one evaluation, which matters where a
       * caller amplifies it (RLHF divides the fitted reward by λ).  Taken
       * only if f does not rise beyond rounding. */
      double ft;
      for (size_t i = 0; i < V; i++)
        trial[i] = th[i] + p[i];
      info->evals++;
      if (obj->eval(d, trial, &ft, NULL, NULL) == AS_OK && isfinite(ft) &&
          ft <= f + f_slack(f)) {
        memcpy(th, trial, V * sizeof *th);
        f = ft;
      }
      status = AS_OK;
      break;
    }
    int below = headed_below(V, th, p, g, H, 0.5 * dec <= o->tol,
                             o->logp_floor);
    if (below != 0) {
      status = below; /* see as_solve_opts.logp_floor */
      break;
    }
    if (stalled(&watch, it, f, pmax))
      break; /* AS_ENOCONV: see AS_SOLVE_STALL_STEP */
    /* Trust region in nats: f cannot see a logit of tiny probability, so
     * an oversized step there would pass the line search and could push
     * the logit into underflow (e^-745), where it is lost for good. */
    double slope = -dec;
    if (pmax > AS_SOLVE_MAX_STEP) {
      double c = AS_SOLVE_MAX_STEP / pmax;
      for (size_t i = 0; i < V; i++)
        p[i] *= c;
      slope *= c;
    }
    if (it >= o->max_iter)
      break;
    /* Armijo backtracking; close to the optimum (λ²/2 below 1e-8 of f's
     * scale) the predicted decrease is below f's rounding, so the full
     * Newton step is taken if f does not rise beyond rounding. */
    double fscale = f_slack(f);
    int quad = 0.5 * dec < 1e-8 * (1.0 + fabs(f));
    double t = 1.0, ft = NAN;
    int ok = 0;
    for (int ls = 0; ls < 60; ls++, t *= 0.5) {
      for (size_t i = 0; i < V; i++)
        trial[i] = th[i] + t * p[i];
      /* The full step is usually taken: its derivatives come with its
       * value (an objective's f does not depend on whether g, H are
       * asked for), which saves the re-evaluation below. */
      info->evals++;
      if (obj->eval(d, trial, &ft, ls == 0 ? g1 : NULL,
                    ls == 0 ? H1 : NULL) != AS_OK)
        break;
      if (isfinite(ft) && (ft <= f + 1e-4 * t * slope ||
                           (quad && t == 1.0 && ft <= f + fscale))) {
        ok = 1;
        break;
      }
    }
    if (!ok)
      break; /* no measurable decrease: reported as AS_ENOCONV */
    memcpy(th, trial, V * sizeof *th);
    if (t == 1.0) {
      double *swap = H;
      H = H1;
      H1 = swap;
      swap = g;
      g = g1;
      g1 = swap;
      f = ft;
    } else if (info->evals++, obj->eval(d, th, &f, g, H) != AS_OK)
      break;
  }
  info->iterations = it;
  info->f = f;
  info->status = status;
  for (size_t i = 0; i < V; i++)
    if (!isfinite(th[i]))
      info->status = status = AS_EDIVERGE;
  memcpy(theta, th, V * sizeof *th);
  free(buf);
  free(idx);
  as_obj_prep_free(prep);
  if (status != AS_OK)
    as_err_set(err, status, "%s: Newton %s after %ld iterations (decrement "
               "%.3g, tol %.3g; largest step %.3g nats, tol %.3g)", obj->name,
               status == AS_EDIVERGE ? "diverged" : "did not converge", it,
               info->criterion, o->tol, info->step, o->step_tol);
  return status;
}
