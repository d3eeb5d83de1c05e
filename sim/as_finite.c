/* as_finite.c — finite policy classes, exact estimators by enumeration
 * (docs/reference.md §3.1; see as_finite.h). */
#include "as_finite.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_roots.h>

#include "as_io.h"
#include "as_limits.h"
#include "as_math.h"
#include "as_metrics.h"

/* Accuracy of as_finite_perturb (header: |D(ε) − d| ≤ 1e-12·max(1, d)). */
#define PERTURB_TOL 1e-12
/* Row normalisation tolerance of as_finite_read (header). */
#define READ_NORM_TOL 1e-6

as_finite_class *as_finite_new(size_t M, size_t K, size_t V)
{
  if (M == 0 || K == 0 || V == 0 || K > SIZE_MAX / V
      || M > SIZE_MAX / (K * V) / sizeof(double))
    return NULL;
  as_finite_class *c = malloc(sizeof *c);
  if (c == NULL)
    return NULL;
  c->M = M;
  c->K = K;
  c->V = V;
  c->log_pi = malloc(M * K * V * sizeof(double));
  if (c->log_pi == NULL) {
    free(c);
    return NULL;
  }
  double lv = -log((double)V);
  for (size_t i = 0; i < M * K * V; i++)
    c->log_pi[i] = lv;
  return c;
}

void as_finite_free(as_finite_class *c)
{
  if (c == NULL)
    return;
  free(c->log_pi);
  free(c);
}

const double *as_finite_member(const as_finite_class *c, size_t m)
{
  return c->log_pi + m * c->K * c->V;
}

/* E_ρ KL(p ‖ q) over K rows of length V; with zp not NULL, p's side as
 * as_kl_prepare made it (zp[K], then a and p, K·V each): the same bits. */
static double mean_kl(const double *log_rho, const double *logp,
                      const double *zp, const double *logq, size_t K,
                      size_t V)
{
  const double *a = zp != NULL ? zp + K : NULL;
  const double *p = zp != NULL ? a + K * V : NULL;
  double s = 0.0;
  for (size_t x = 0; x < K; x++) {
    double w = log_rho == NULL ? 1.0 / (double)K : exp(log_rho[x]);
    if (w == 0.0)
      continue;
    s += w * (zp == NULL ? as_kl(logp + x * V, logq + x * V, V)
                         : as_kl_prepared(logp + x * V, zp[x], a + x * V,
                                          p + x * V, logq + x * V, V));
  }
  return s;
}

double as_finite_distance(const as_instance *inst, const as_finite_class *c,
                          size_t m)
{
  return mean_kl(inst->log_rho, inst->log_pi_star, NULL,
                 as_finite_member(c, m), inst->K, inst->V);
}

/* ---- perturbations at a given distance --------------------------------- */

typedef struct ray {
  const as_instance *inst;
  const double *g;
  double d;
  double *out; /* K×V scratch: log_softmax(ℓ* + ε g) */
  double *zp;  /* K, then a and p (K·V each): π*'s side of as_kl, prepared
                * once for the ~60 residuals of a root search */
} ray;

/* R->zp and what follows it from π*; AS_ENOMEM. */
static int ray_prepare(ray *R)
{
  size_t K = R->inst->K, V = R->inst->V;
  if ((R->zp = malloc((K + 2 * K * V) * sizeof(double))) == NULL)
    return AS_ENOMEM;
  double *a = R->zp + K, *p = a + K * V;
  for (size_t x = 0; x < K; x++)
    R->zp[x] = as_kl_prepare(R->inst->log_pi_star + x * V, V, a + x * V,
                             p + x * V);
  return AS_OK;
}

static void ray_point(const ray *R, double eps)
{
  size_t K = R->inst->K, V = R->inst->V;
  for (size_t i = 0; i < K * V; i++)
    R->out[i] = R->inst->log_pi_star[i] + eps * R->g[i];
  for (size_t x = 0; x < K; x++)
    as_log_softmax(R->out + x * V, V, R->out + x * V);
}

/* D(ε) − d, on π*'s prepared side. */
static double ray_residual(double eps, void *vp)
{
  const ray *R = vp;
  ray_point(R, eps);
  return mean_kl(R->inst->log_rho, R->inst->log_pi_star, R->zp, R->out,
                 R->inst->K, R->inst->V)
         - R->d;
}

/* The root ε of D(ε) = d along R, leaving its member in R->out. */
static int ray_solve(ray *R, double *eps, as_err *err)
{
  double d = R->d;
  /* D is convex and increasing on ε > 0 (header), so doubling brackets the
   * root; 2^1100 overflows long before an honest direction needs it. */
  double lo = 0.0, hi = 1.0, fhi = ray_residual(hi, R);
  int doublings = 0;
  while (fhi < 0.0) {
    if (++doublings > 1100)
      return as_err_set(err, AS_EINVAL,
                        "finite class: distance %g not reached along the "
                        "direction (it is constant over responses in every "
                        "context, or d is beyond any reachable KL)", d);
    lo = hi;
    hi *= 2.0;
    fhi = ray_residual(hi, R);
  }
  if (isnan(fhi))
    return as_err_set(err, AS_EINVAL,
                      "finite class: KL along the direction is NaN at eps = %g",
                      hi);
  double root = hi;
  if (fhi != 0.0) {
    gsl_function F = {ray_residual, R};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL)
      return as_err_set(err, AS_ENOMEM, "finite class: out of memory");
    /* [lo, hi] brackets the root (f(lo) < 0 < f(hi)), so the set-up cannot
     * signal; failures of an iteration come back as codes.  The library
     * leaves GSL's process-global error handler alone (the tool turns it
     * off once in main; a library flipping it would race between threads). */
    int st = gsl_root_fsolver_set(s, &F, lo, hi);
    for (int it = 0; st == GSL_SUCCESS && it < 500; it++) {
      st = gsl_root_fsolver_iterate(s);
      root = gsl_root_fsolver_root(s);
      double a = gsl_root_fsolver_x_lower(s), b = gsl_root_fsolver_x_upper(s);
      if (st != GSL_SUCCESS
          || gsl_root_test_interval(a, b, 0.0, 4.0 * DBL_EPSILON) == GSL_SUCCESS)
        break;
    }
    gsl_root_fsolver_free(s);
    if (st != GSL_SUCCESS)
      return as_err_set(err, AS_ENOCONV,
                        "finite class: Brent solve for distance %g failed (%s)",
                        d, gsl_strerror(st));
  }
  double res = ray_residual(root, R); /* leaves the member in log_pi */
  if (!(fabs(res) <= PERTURB_TOL * fmax(1.0, d)))
    return as_err_set(err, AS_ENOCONV,
                      "finite class: distance %g reached only to %.3g "
                      "(eps = %.17g)", d, res, root);
  if (eps != NULL)
    *eps = root;
  return AS_OK;
}

int as_finite_perturb(const as_instance *inst, const double *g, double d,
                      double *log_pi, double *eps, as_err *err)
{
  if (!(isfinite(d) && d > 0.0))
    return as_err_set(err, AS_EINVAL,
                      "finite class: distance %g must be finite and > 0", d);
  size_t K = inst->K, V = inst->V;
  for (size_t i = 0; i < K * V; i++)
    if (!isfinite(g[i]) || !isfinite(inst->log_pi_star[i]))
      return as_err_set(err, AS_EINVAL,
                        "finite class: direction or log pi* entry %zu is not "
                        "finite (pi* needs full support)", i);
  ray R = {inst, g, d, log_pi, NULL};
  if (ray_prepare(&R) != AS_OK)
    return as_err_set(err, AS_ENOMEM, "finite class: out of memory");
  int rc = ray_solve(&R, eps, err);
  free(R.zp);
  return rc;
}

int as_finite_generate(const as_instance *inst, const double *distances,
                       size_t n_dist, size_t per_distance, gsl_rng *r,
                       as_finite_class **out, as_err *err)
{
  *out = NULL;
  int rc = as_instance_check(inst, err);
  if (rc != AS_OK)
    return rc;
  if (n_dist > 0 && per_distance == 0)
    return as_err_set(err, AS_EINVAL,
                      "finite class: per_distance = 0 with %zu distances",
                      n_dist);
  for (size_t j = 0; j < n_dist; j++)
    if (!(isfinite(distances[j]) && distances[j] > 0.0))
      return as_err_set(err, AS_EINVAL,
                        "finite class: distance[%zu] = %g must be finite and "
                        "> 0 (0 would duplicate pi*)", j, distances[j]);
  if (n_dist > 0 && per_distance > (SIZE_MAX - 1) / n_dist)
    return as_err_set(err, AS_EINVAL, "finite class: too many members");
  size_t K = inst->K, V = inst->V, M = 1 + n_dist * per_distance;
  as_finite_class *c = as_finite_new(M, K, V);
  double *g = malloc(K * V * sizeof(double));
  if (c == NULL || g == NULL) {
    as_finite_free(c);
    free(g);
    return as_err_set(err, AS_ENOMEM, "finite class: out of memory "
                                      "(%zu members of %zu x %zu)", M, K, V);
  }
  memcpy(c->log_pi, inst->log_pi_star, K * V * sizeof(double));
  for (size_t j = 0; j < n_dist; j++)
    for (size_t i = 0; i < per_distance; i++) {
      for (size_t k = 0; k < K * V; k++)
        g[k] = gsl_ran_gaussian(r, 1.0);
      size_t m = 1 + j * per_distance + i;
      rc = as_finite_perturb(inst, g, distances[j], c->log_pi + m * K * V,
                             NULL, err);
      if (rc != AS_OK) {
        as_finite_free(c);
        free(g);
        return rc;
      }
    }
  free(g);
  *out = c;
  return AS_OK;
}

size_t as_finite_find_star(const as_instance *inst, const as_finite_class *c,
                           double tol)
{
  size_t KV = c->K * c->V;
  if (inst->K != c->K || inst->V != c->V)
    return c->M;
  for (size_t m = 0; m < c->M; m++) {
    const double *t = as_finite_member(c, m);
    size_t i = 0;
    while (i < KV && fabs(t[i] - inst->log_pi_star[i]) <= tol)
      i++;
    if (i == KV)
      return m;
  }
  return c->M;
}

/* ---- file I/O ------------------------------------------------------------ */

/* Parses a 0-based index; 0 on success. */
static int parse_index(const char *s, size_t *out)
{
  char *end;
  if (s[0] < '0' || s[0] > '9')
    return 1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || errno == ERANGE || v > (unsigned long long)(SIZE_MAX / 4))
    return 1;
  *out = (size_t)v;
  return 0;
}

/* strtod that also accepts "-inf"; 0 on success. */
static int parse_logp(const char *s, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (s[0] == '\0' || *end != '\0' || isnan(v) || v == INFINITY)
    return 1;
  if (errno == ERANGE && isfinite(v) && v != 0.0)
    return 1;
  *out = v;
  return 0;
}

typedef struct rec {
  size_t m, x, y;
  double v;
  long line;
} rec;

static int rec_cmp(const void *pa, const void *pb)
{
  const rec *a = pa, *b = pb;
  if (a->m != b->m)
    return a->m < b->m ? -1 : 1;
  if (a->x != b->x)
    return a->x < b->x ? -1 : 1;
  if (a->y != b->y)
    return a->y < b->y ? -1 : 1;
  return (a->line > b->line) - (a->line < b->line);
}

/* One data line into *r: AS_OK, or AS_EPARSE naming the line. */
static int read_rec(const char *path, long lineno, char **tok, int nt,
                    size_t Kfix, size_t Vfix, rec *r, as_err *err)
{
  if (nt != 4)
    return as_err_set(err, AS_EPARSE, "%s:%ld: expected 4 fields 'member "
                      "context response log_prob', found %s", path, lineno,
                      nt > 4 ? "more" : "fewer");
  r->line = lineno;
  if (parse_index(tok[0], &r->m) || parse_index(tok[1], &r->x)
      || parse_index(tok[2], &r->y))
    return as_err_set(err, AS_EPARSE, "%s:%ld: member, context and response "
                      "must be non-negative integers ('%s %s %s')", path,
                      lineno, tok[0], tok[1], tok[2]);
  if (parse_logp(tok[3], &r->v))
    return as_err_set(err, AS_EPARSE, "%s:%ld: log_prob '%s' is not a number "
                      "<= 0 or -inf", path, lineno, tok[3]);
  if (r->v > READ_NORM_TOL)
    return as_err_set(err, AS_EPARSE, "%s:%ld: log_prob %g is > 0", path,
                      lineno, r->v);
  if ((Kfix > 0 && r->x >= Kfix) || (Vfix > 0 && r->y >= Vfix))
    return as_err_set(err, AS_EPARSE, "%s:%ld: context %zu / response %zu out "
                      "of range (K = %zu, V = %zu)", path, lineno, r->x, r->y,
                      Kfix, Vfix);
  return AS_OK;
}

/* The records, sorted, must be exactly the M×K×V grid: a duplicate is
 * reported at its second line, a gap at the last line.  Checked before
 * the class is allocated, so a member index of 5e8 in a 3-line file costs
 * nothing (it used to allocate members × K × V first). */
static int check_grid(const char *path, long last, rec *recs, size_t n,
                      size_t M, size_t K, size_t V, as_err *err)
{
  qsort(recs, n, sizeof *recs, rec_cmp);
  for (size_t i = 1; i < n; i++)
    if (rec_cmp(&recs[i], &recs[i - 1]) != 0 && recs[i].m == recs[i - 1].m
        && recs[i].x == recs[i - 1].x && recs[i].y == recs[i - 1].y)
      return as_err_set(err, AS_EPARSE, "%s:%ld: (member %zu, context %zu, "
                        "response %zu) appears twice", path, recs[i].line,
                        recs[i].m, recs[i].x, recs[i].y);
  /* Distinct and in range, so complete iff there are M·K·V of them (the
   * product is compared in double: it can exceed SIZE_MAX). */
  if ((double)M * (double)K * (double)V == (double)n)
    return AS_OK;
  size_t i = 0, KV = K * V;
  while (i < n && recs[i].m == i / KV && recs[i].x == (i / V) % K
         && recs[i].y == i % V)
    i++;
  return as_err_set(err, AS_EPARSE, "%s:%ld: (member %zu, context %zu, "
                    "response %zu) is missing", path, last, i / KV,
                    (i / V) % K, i % V);
}

/* Splits line into at most 5 tokens (a 5th means "too many"). */
static int split_fields(char *line, char **tok)
{
  int nt = 0;
  char *save = NULL;
  char *hash = strchr(line, '#');
  if (hash != NULL)
    *hash = '\0';
  for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && nt < 5;
       t = strtok_r(NULL, " \t\r\n", &save))
    tok[nt++] = t;
  return nt;
}

/* Reads and validates every record; *recs grows within the memory limit. */
static int read_recs(const char *path, FILE *f, size_t Kfix, size_t Vfix,
                     rec **recs, size_t *np, long *lastp, as_err *err)
{
  char *line = NULL;
  size_t lcap = 0, n = 0, cap = 0;
  long lineno = 0;
  int rc = AS_OK, seen_data = 0;
  ssize_t len;
  while (rc == AS_OK && (len = getline(&line, &lcap, f)) != -1) {
    lineno++;
    if ((size_t)len != strlen(line)) {
      rc = as_err_set(err, AS_EPARSE, "%s:%ld: NUL byte in line", path,
                      lineno);
      break;
    }
    char *tok[5];
    int nt = split_fields(line, tok);
    if (nt == 0)
      continue;
    /* The project's header rule (as_io.h): a header has no numeric field
     * at all, so "x1 0 0 -0.5" is a data row with a typo, reported below. */
    if (!seen_data++ && as_io_fields_are_header((const char *const *)tok,
                                                (size_t)nt))
      continue;
    rec r;
    if ((rc = read_rec(path, lineno, tok, nt, Kfix, Vfix, &r, err)) != AS_OK)
      break;
    if (n == cap) {
      size_t nc = cap == 0 ? 256 : 2 * cap;
      char where[4200];
      snprintf(where, sizeof where, "%s:%ld", path, lineno);
      rec *nr = NULL;
      if ((rc = as_limits_check(where, "the class records so far",
                                (double)nc * sizeof *nr, err)) != AS_OK)
        break;
      if ((nr = realloc(*recs, nc * sizeof *nr)) == NULL) {
        rc = as_err_set(err, AS_ENOMEM, "%s:%ld: out of memory", path,
                        lineno);
        break;
      }
      *recs = nr;
      cap = nc;
    }
    (*recs)[n++] = r;
  }
  if (rc == AS_OK && ferror(f))
    rc = as_err_set(err, AS_EIO, "%s:%ld: read error", path, lineno + 1);
  free(line);
  *np = n;
  *lastp = lineno;
  return rc;
}
int as_finite_read(const char *path, size_t *Kp, size_t *Vp,
                   as_finite_class **out, as_err *err)
{
  *out = NULL;
  FILE *f = as_limits_open_input(path, err);
  if (f == NULL)
    return AS_EIO;
  rec *recs = NULL;
  size_t n = 0, M = 0, K = 0, V = 0;
  long last = 0;
  as_finite_class *c = NULL;
  int rc = read_recs(path, f, *Kp, *Vp, &recs, &n, &last, err);
  as_limits_close_input(f);
  if (rc != AS_OK)
    goto done;
  if (n == 0) {
    rc = as_err_set(err, AS_EPARSE, "%s:%ld: no records", path, last);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    M = recs[i].m + 1 > M ? recs[i].m + 1 : M;
    K = recs[i].x + 1 > K ? recs[i].x + 1 : K;
    V = recs[i].y + 1 > V ? recs[i].y + 1 : V;
  }
  K = *Kp > 0 ? *Kp : K;
  V = *Vp > 0 ? *Vp : V;
  if (V < 2) {
    rc = as_err_set(err, AS_EPARSE, "%s:%ld: V = %zu responses, need >= 2",
                    path, last, V);
    goto done;
  }
  if ((rc = check_grid(path, last, recs, n, M, K, V, err)) != AS_OK)
    goto done;
  /* Complete grid: M·K·V = n records already in memory, so this fits. */
  if ((c = as_finite_new(M, K, V)) == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "%s: out of memory (%zu x %zu x %zu)",
                    path, M, K, V);
    goto done;
  }
  for (size_t i = 0; i < n; i++)   /* sorted: i is the row-major index */
    c->log_pi[i] = recs[i].v;
  for (size_t row = 0; rc == AS_OK && row < M * K; row++) {
    double *t = c->log_pi + row * V;
    double lse = as_logsumexp(t, V);
    if (!(fabs(lse) <= READ_NORM_TOL)) {
      rc = as_err_set(err, AS_EPARSE,
                      "%s:%ld: member %zu context %zu is not normalised "
                      "(logsumexp = %.3g, tolerance %g)", path,
                      recs[row * V].line, row / K, row % K, lse,
                      READ_NORM_TOL);
      break;
    }
    as_log_softmax(t, V, t);
  }
  if (rc != AS_OK) {
    as_finite_free(c);
    goto done;
  }
  *Kp = K;
  *Vp = V;
  *out = c;
done:
  free(recs);
  return rc;
}

int as_finite_write(const char *path, const as_finite_class *c, as_err *err)
{
  char tmp[4096];
  FILE *f = as_io_open_tmp(path, tmp, sizeof tmp, err);
  if (f == NULL)
    return err != NULL && err->code != AS_OK ? err->code : AS_EIO;
  int ok = fprintf(f, "member\tcontext\tresponse\tlog_prob\n") > 0;
  for (size_t m = 0; ok && m < c->M; m++)
    for (size_t x = 0; ok && x < c->K; x++)
      for (size_t y = 0; ok && y < c->V; y++)
        ok = fprintf(f, "%zu\t%zu\t%zu\t%.17g\n", m, x, y,
                     c->log_pi[(m * c->K + x) * c->V + y]) > 0;
  return as_io_commit(f, tmp, path, ok, err);
}

/* ---- enumeration --------------------------------------------------------- */

static double rho_of(const as_data *d, size_t x)
{
  return d->log_rho == NULL ? 1.0 / (double)d->K : exp(d->log_rho[x]);
}

/* λ E_ρ KL(π ‖ π_ref); 0 when λ = 0 (so an unused π_ref cannot make ∞·0). */
static double kl_ref_term(const as_data *d, const double *lp, double lambda)
{
  if (lambda == 0.0)
    return 0.0;
  size_t V = d->V;
  double s = 0.0;
  for (size_t x = 0; x < d->K; x++) {
    double w = rho_of(d, x);
    if (w == 0.0)
      continue;
    /* no π_ref means uniform: KL(π‖U) = log V − H(π) */
    s += w * (d->log_ref == NULL ? log((double)V) - as_entropy(lp + x * V, V)
                                 : as_kl(lp + x * V, d->log_ref + x * V, V));
  }
  return lambda * s;
}

static int check_common(const as_finite_class *c, const as_data *d,
                        const char *who, as_err *err)
{
  if (c == NULL || d == NULL)
    return as_err_set(err, AS_EINVAL, "%s: NULL class or data", who);
  if (c->K != d->K || c->V != d->V)
    return as_err_set(err, AS_EINVAL,
                      "%s: class is %zu x %zu but data is %zu x %zu", who,
                      c->K, c->V, d->K, d->V);
  return AS_OK;
}

static int check_param(double v, int allow_zero, const char *name,
                       const char *who, as_err *err)
{
  if (!isfinite(v) || v < 0.0 || (!allow_zero && v == 0.0))
    return as_err_set(err, AS_EINVAL, "%s: %s = %g must be finite and %s",
                      who, name, v, allow_zero ? ">= 0" : "> 0");
  return AS_OK;
}

/* A finite reward (K·V values), as the two-stage members need. */
static int check_reward(const double *reward, size_t n, const char *who,
                        as_err *err)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite(reward[i]))
      return as_err_set(err, AS_EINVAL, "%s: reward[%zu] = %g is not finite",
                        who, i, reward[i]);
  return AS_OK;
}

/* Records values[m] and keeps the first strict minimiser. */
static int record(double v, size_t m, double *values, double *best,
                  size_t *argmin, const char *who, as_err *err)
{
  if (isnan(v))
    return as_err_set(err, AS_EINVAL, "%s: objective of member %zu is NaN",
                      who, m);
  if (values != NULL)
    values[m] = v;
  if (m == 0 || v < *best) {
    *best = v;
    *argmin = m;
  }
  return AS_OK;
}

/* −Σ_ab P_ab log σ(β(ℓ_a − ℓ_b)) for one context; cells with P = 0 are
 * skipped so a -inf entry they would touch cannot give 0·∞. */
static double bt_loss_ctx(const double *P, const double *l, double beta,
                          size_t V)
{
  double s = 0.0;
  for (size_t a = 0; a < V; a++)
    for (size_t b = 0; b < V; b++) {
      double p = P[a * V + b];
      if (p == 0.0 || a == b) {
        if (a == b)
          s += p * M_LN2; /* σ(0) = 1/2: draws carry no information */
        continue;
      }
      double t = l[a] - l[b];
      if (isnan(t)) /* both -inf: ratio undefined, treat as a draw */
        t = 0.0;
      s -= p * as_log_sigmoid(beta * t);
    }
  return s;
}

int as_finite_pmle(const as_finite_class *c, const as_data *d, double beta,
                   double lambda, double *values, size_t *argmin,
                   as_err *err)
{
  const char *who = "finite PMLE";
  int rc;
  if ((rc = check_common(c, d, who, err)) != AS_OK
      || (rc = check_param(beta, 0, "beta", who, err)) != AS_OK
      || (rc = check_param(lambda, 1, "lambda", who, err)) != AS_OK)
    return rc;
  if (d->P == NULL)
    return as_err_set(err, AS_EINVAL, "%s: no labelled weights P", who);
  size_t K = c->K, V = c->V;
  double best = INFINITY;
  for (size_t m = 0; m < c->M; m++) {
    const double *lp = as_finite_member(c, m);
    double v = 0.0;
    for (size_t x = 0; x < K; x++)
      v += bt_loss_ctx(d->P + x * V * V, lp + x * V, beta, V);
    v += kl_ref_term(d, lp, lambda);
    if ((rc = record(v, m, values, &best, argmin, who, err)) != AS_OK)
      break;
  }
  return rc;
}

int as_finite_reward(const as_finite_class *c, const as_data *d, double beta,
                     double *values, size_t *argmin, double *reward,
                     as_err *err)
{
  const char *who = "finite reward model";
  int rc;
  if ((rc = check_common(c, d, who, err)) != AS_OK
      || (rc = check_param(beta, 0, "beta", who, err)) != AS_OK)
    return rc;
  if (d->P == NULL)
    return as_err_set(err, AS_EINVAL, "%s: no labelled weights P", who);
  size_t K = c->K, V = c->V;
  double *r = malloc(V * sizeof(double));
  if (r == NULL)
    return as_err_set(err, AS_ENOMEM, "%s: out of memory", who);
  double best = INFINITY;
  for (size_t m = 0; m < c->M; m++) {
    const double *lp = as_finite_member(c, m);
    double v = 0.0;
    /* Eq. 9 on r = β log π with unit BT temperature: written with the
     * reward itself, not through PMLE, so the equality with PMLE(λ=0)
     * that the header promises is a checked fact, not a definition. */
    for (size_t x = 0; x < K; x++) {
      for (size_t y = 0; y < V; y++)
        r[y] = beta * lp[x * V + y];
      v += bt_loss_ctx(d->P + x * V * V, r, 1.0, V);
    }
    if ((rc = record(v, m, values, &best, argmin, who, err)) != AS_OK)
      break;
  }
  free(r);
  if (rc == AS_OK && reward != NULL) {
    const double *lp = as_finite_member(c, *argmin);
    for (size_t i = 0; i < K * V; i++)
      reward[i] = beta * lp[i];
  }
  return rc;
}

/* KL(Bern(σ(u)) ‖ Bern(σ(t))) in log space; u finite. */
static double bern_kl(double u, double t)
{
  double lpu = as_log_sigmoid(u), lqu = as_log_sigmoid(-u);
  double lpt = as_log_sigmoid(t), lqt = as_log_sigmoid(-t);
  double s = 0.0;
  if (lpu > -INFINITY)
    s += exp(lpu) * (lpu - lpt);
  if (lqu > -INFINITY)
    s += exp(lqu) * (lqu - lqt);
  return s;
}

int as_finite_distill(const as_finite_class *c, const as_data *d,
                      const double *reward, double beta, double lambda,
                      double *values, size_t *argmin, as_err *err)
{
  const char *who = "finite distillation";
  int rc;
  if ((rc = check_common(c, d, who, err)) != AS_OK
      || (rc = check_param(beta, 0, "beta", who, err)) != AS_OK
      || (rc = check_param(lambda, 1, "lambda", who, err)) != AS_OK)
    return rc;
  if (d->Q == NULL || reward == NULL)
    return as_err_set(err, AS_EINVAL, "%s: no unlabelled weights Q or no "
                                      "reward", who);
  size_t K = c->K, V = c->V;
  if ((rc = check_reward(reward, K * V, who, err)) != AS_OK)
    return rc;
  double best = INFINITY;
  for (size_t m = 0; m < c->M; m++) {
    const double *lp = as_finite_member(c, m);
    double v = 0.0;
    for (size_t x = 0; x < K; x++) {
      const double *Q = d->Q + x * V * V, *l = lp + x * V, *r = reward + x * V;
      for (size_t a = 0; a < V; a++)
        for (size_t b = 0; b < V; b++) {
          double q = Q[a * V + b];
          if (q == 0.0 || a == b) /* a = b: both Bernoullis are 1/2 */
            continue;
          double t = l[a] - l[b];
          v += q * bern_kl(r[a] - r[b], isnan(t) ? 0.0 : beta * t);
        }
    }
    v += kl_ref_term(d, lp, lambda);
    if ((rc = record(v, m, values, &best, argmin, who, err)) != AS_OK)
      break;
  }
  return rc;
}

int as_finite_rkl(const as_finite_class *c, const as_data *d,
                  const double *reward, double lambda, double gamma,
                  double *values, size_t *argmin, as_err *err)
{
  const char *who = "finite reverse KL";
  int rc;
  if ((rc = check_common(c, d, who, err)) != AS_OK
      || (rc = check_param(lambda, 1, "lambda", who, err)) != AS_OK
      || (rc = check_param(gamma, 1, "gamma", who, err)) != AS_OK)
    return rc;
  if (reward == NULL)
    return as_err_set(err, AS_EINVAL, "%s: no reward", who);
  size_t K = c->K, V = c->V;
  if ((rc = check_reward(reward, K * V, who, err)) != AS_OK)
    return rc;
  double best = INFINITY;
  for (size_t m = 0; m < c->M; m++) {
    const double *lp = as_finite_member(c, m);
    double v = 0.0;
    for (size_t x = 0; x < K; x++) {
      double w = rho_of(d, x), e = 0.0;
      if (w == 0.0)
        continue;
      for (size_t y = 0; y < V; y++) {
        double l = lp[x * V + y];
        if (l == -INFINITY)
          continue;
        e += exp(l) * (reward[x * V + y] - gamma * l);
      }
      v -= w * e; /* −E_π r − γH(π) = −Σ π (r − γ log π) */
    }
    v += kl_ref_term(d, lp, lambda);
    if ((rc = record(v, m, values, &best, argmin, who, err)) != AS_OK)
      break;
  }
  return rc;
}
