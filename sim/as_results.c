/* as_results.c — results.csv, summary.csv (statistics and rate fits),
 * table.txt and plot data files (see as_results.h). */
#include "as_results.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "as_io.h"
#include "as_rates.h"

/* Bootstrap resamples for the slope CI (docs/reference.md §6: ≥ 1000). */
#define AS_RATE_BOOT 2000
/* Stream of the bootstrap generator: as_rng_derive's cell argument is never
 * this large for a data stream. */
#define AS_RATE_BOOT_SEED_XOR 0xb0075712a9ULL

/* ------------------------------------------------------------ formatting */

static void put_d(FILE *f, double v)
{
  fprintf(f, "%.17g", v);
}

static const char *tuning_label(const as_config *cfg, const as_result_row *r)
{
  return isnan(r->lambda) ? "none" : as_tuning_name(cfg->tuning);
}

static int write_results_csv(FILE *f, const as_config *cfg,
                             const as_experiment_kind *kind,
                             const as_rows *rows)
{
  fputs("experiment,kind,cell,replicate,seed,method,n,m,beta,lambda,gamma,"
        "beta_dpo,tuning", f);
  for (size_t k = 0; k < AS_METRICS_COUNT; k++)
    fprintf(f, ",%s", as_metrics_names[k]);
  fprintf(f, ",rlhf_floor,rlhf_floor_lambda,heldout_score,reward_no_mle,"
          "contexts_not_converged,iterations,theta_norm,status,%s\n",
          as_experiment_aux_name(kind, cfg));
  for (size_t i = 0; i < rows->count; i++) {
    const as_result_row *r = &rows->row[i];
    fprintf(f, "%s,%s,%zu,%ld,%llu,%s,", cfg->experiment, kind->name, r->cell,
            r->replicate, (unsigned long long)cfg->seed, r->method);
    const double v[] = {r->n, r->m, r->beta, r->lambda, r->gamma,
                        r->beta_dpo};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
      put_d(f, v[k]);
      fputc(',', f);
    }
    fputs(tuning_label(cfg, r), f);
    for (size_t k = 0; k < AS_METRICS_COUNT; k++) {
      fputc(',', f);
      put_d(f, r->metrics[k]);
    }
    fputc(',', f);
    put_d(f, r->rlhf_floor);
    fputc(',', f);
    put_d(f, r->rlhf_floor_lambda);
    fputc(',', f);
    put_d(f, r->heldout_score);
    fprintf(f, ",%ld,%ld,%ld,", r->reward_no_mle, r->not_converged,
            r->iterations);
    put_d(f, r->theta_norm);
    fprintf(f, ",%s,", as_strerror(r->status));
    put_d(f, r->aux);
    fputc('\n', f);
  }
  return ferror(f) ? AS_EIO : AS_OK;
}

/* ---------------------------------------------------------------- groups */

/* The statistics of one value over a group's rows. */
typedef struct stat5 {
  double median, mean, se, q10, q90;
} stat5;

typedef struct group {
  const char *method;
  size_t cell;
  double n, m, beta, lambda; /* lambda: NAN unless tuning is fixed */
  size_t *idx, count, cap;
  long not_converged;
  long non_finite;     /* rows with status non-finite (issue 12) */
  stat5 s[AS_METRICS_COUNT];
  stat5 floor, lam, aux;
} group;

static int same_d(double a, double b)
{
  return a == b || (isnan(a) && isnan(b));
}

static double group_lambda(const as_config *cfg, const as_result_row *r)
{
  return cfg->tuning == AS_TUNING_FIXED ? r->lambda : NAN;
}

static stat5 stats(double *v, size_t k)
{
  stat5 s = {NAN, NAN, NAN, NAN, NAN};
  size_t m = 0;
  for (size_t i = 0; i < k; i++)
    if (!isnan(v[i]))
      v[m++] = v[i];
  if (m == 0)
    return s;
  gsl_sort(v, 1, m);
  s.median = gsl_stats_median_from_sorted_data(v, 1, m);
  s.q10 = gsl_stats_quantile_from_sorted_data(v, 1, m, 0.1);
  s.q90 = gsl_stats_quantile_from_sorted_data(v, 1, m, 0.9);
  double sum = 0;
  for (size_t i = 0; i < m; i++)
    sum += v[i];
  s.mean = sum / (double)m;
  if (m > 1 && isfinite(s.mean)) {
    double ss = 0;
    for (size_t i = 0; i < m; i++)
      ss += (v[i] - s.mean) * (v[i] - s.mean);
    s.se = sqrt(ss / (double)(m - 1) / (double)m);
  }
  return s;
}

static void groups_free(group *g, size_t ng)
{
  for (size_t i = 0; i < ng; i++)
    free(g[i].idx);
  free(g);
}

/* Groups rows by (cell, method[, λ under fixed tuning]) in order of first
 * appearance, and computes their statistics. */
static int make_groups(const as_config *cfg, const as_rows *rows,
                       group **out, size_t *nout, as_err *err)
{
  group *g = NULL;
  size_t ng = 0, cap = 0;
  for (size_t i = 0; i < rows->count; i++) {
    const as_result_row *r = &rows->row[i];
    double lam = group_lambda(cfg, r);
    size_t j;
    for (j = ng; j-- > 0;)
      if (g[j].cell == r->cell && strcmp(g[j].method, r->method) == 0
          && same_d(g[j].lambda, lam))
        break;
    if (j == SIZE_MAX) {
      if (ng == cap) {
        cap = cap ? 2 * cap : 64;
        group *ng2 = realloc(g, cap * sizeof *g);
        if (ng2 == NULL)
          goto oom;
        g = ng2;
      }
      j = ng++;
      memset(&g[j], 0, sizeof g[j]);
      g[j].method = r->method;
      g[j].cell = r->cell;
      g[j].n = r->n;
      g[j].m = r->m;
      g[j].beta = r->beta;
      g[j].lambda = lam;
    }
    if (g[j].count == g[j].cap) {
      size_t c2 = g[j].cap ? 2 * g[j].cap : 16;
      size_t *p = realloc(g[j].idx, c2 * sizeof *p);
      if (p == NULL)
        goto oom;
      g[j].idx = p;
      g[j].cap = c2;
    }
    g[j].idx[g[j].count++] = i;
    if (r->status != AS_OK)
      g[j].not_converged++;
    if (r->status == AS_ENONFINITE)
      g[j].non_finite++;
  }
  double *v = malloc((rows->count ? rows->count : 1) * sizeof *v);
  if (v == NULL)
    goto oom;
  for (size_t j = 0; j < ng; j++) {
    size_t k = g[j].count;
    for (size_t mi = 0; mi < AS_METRICS_COUNT; mi++) {
      for (size_t t = 0; t < k; t++)
        v[t] = rows->row[g[j].idx[t]].metrics[mi];
      g[j].s[mi] = stats(v, k);
    }
    for (size_t t = 0; t < k; t++)
      v[t] = rows->row[g[j].idx[t]].rlhf_floor;
    g[j].floor = stats(v, k);
    for (size_t t = 0; t < k; t++)
      v[t] = rows->row[g[j].idx[t]].lambda;
    g[j].lam = stats(v, k);
    for (size_t t = 0; t < k; t++)
      v[t] = rows->row[g[j].idx[t]].aux;
    g[j].aux = stats(v, k);
  }
  free(v);
  *out = g;
  *nout = ng;
  return AS_OK;
oom:
  groups_free(g, ng);
  return as_err_set(err, AS_ENOMEM, "out of memory");
}

/* ----------------------------------------------------------------- rates */

typedef struct curve {
  const char *method;
  double beta, lambda;
  size_t rank; /* which repetition of (method, β, λ) at each n, see below */
  size_t *grp, count; /* groups in order of n */
  as_rate_fit fit;
  int fitted;
  long not_converged; /* rows with status != ok among the fitted points */
  long non_finite;    /* of which non-finite */
} curve;

/* Curves over n: groups with the same (method, β, λ-key); fitted when two
 * or more finite n ≥ rate_fit_min_n exist.  A kind whose cells vary more
 * than β and n (E5's μ power, E6's recorded step) repeats a (method, β,
 * λ, n) once per value of that other coordinate, in cell order; the k-th
 * repetition at every n belongs to the k-th curve (its `rank`), so a curve
 * never holds two groups at the same n and a slope never mixes cells of
 * different μ or step. */
static int make_curves(const as_config *cfg, const as_rows *rows,
                       const group *g, size_t ng, curve **out, size_t *nout,
                       as_err *err)
{
  curve *c = calloc(ng ? ng : 1, sizeof *c);
  if (c == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  size_t nc = 0;
  for (size_t j = 0; j < ng; j++) {
    size_t rank = 0;
    for (size_t i = 0; i < j; i++)
      rank += strcmp(g[i].method, g[j].method) == 0 && g[i].beta == g[j].beta
              && same_d(g[i].lambda, g[j].lambda) && same_d(g[i].n, g[j].n);
    size_t k;
    for (k = 0; k < nc; k++)
      if (strcmp(c[k].method, g[j].method) == 0 && c[k].beta == g[j].beta
          && same_d(c[k].lambda, g[j].lambda) && c[k].rank == rank)
        break;
    if (k == nc) {
      c[nc].method = g[j].method;
      c[nc].beta = g[j].beta;
      c[nc].lambda = g[j].lambda;
      c[nc].rank = rank;
      if ((c[nc].grp = malloc(ng * sizeof(size_t))) == NULL)
        goto oom;
      nc++;
    }
    c[k].grp[c[k].count++] = j;
  }
  size_t R = (size_t)cfg->replicates;
  for (size_t k = 0; k < nc; k++) {
    size_t np = c[k].count;
    double *nv = malloc(np * sizeof *nv);
    double *vals = malloc(np * R * sizeof *vals);
    if (nv == NULL || vals == NULL) {
      free(nv);
      free(vals);
      goto oom;
    }
    for (size_t p = 0; p < np; p++) {
      const group *gp = &g[c[k].grp[p]];
      nv[p] = gp->n;
      for (size_t r = 0; r < R; r++)
        vals[p * R + r] = NAN;
      for (size_t t = 0; t < gp->count; t++) {
        const as_result_row *row = &rows->row[gp->idx[t]];
        if (row->replicate >= 0 && (size_t)row->replicate < R)
          vals[p * R + (size_t)row->replicate] = row->metrics[0]; /* fwd_kl */
      }
    }
    size_t usable = 0;
    for (size_t p = 0; p < np; p++)
      if (isfinite(nv[p]) && nv[p] >= cfg->rate_fit_min_n) {
        usable++;
        /* the fit uses every row of these points, converged or not: say
         * how many were not (summary.csv's not_converged of the rate row) */
        c[k].not_converged += g[c[k].grp[p]].not_converged;
        c[k].non_finite += g[c[k].grp[p]].non_finite;
      }
    if (usable >= 2) {
      as_err e2;
      c[k].fitted = as_rate_fit_medians(nv, np, vals, R, cfg->rate_fit_min_n,
                                        AS_RATE_BOOT,
                                        cfg->seed ^ AS_RATE_BOOT_SEED_XOR
                                            ^ (uint64_t)k,
                                        &c[k].fit, &e2) == AS_OK;
    }
    free(nv);
    free(vals);
  }
  *out = c;
  *nout = nc;
  return AS_OK;
oom:
  for (size_t k = 0; k < nc; k++)
    free(c[k].grp);
  free(c);
  return as_err_set(err, AS_ENOMEM, "out of memory");
}

static void curves_free(curve *c, size_t nc)
{
  for (size_t k = 0; k < nc; k++)
    free(c[k].grp);
  free(c);
}

/* --------------------------------------------------------------- summary */

static void put_stat(FILE *f, const stat5 *s)
{
  const double v[] = {s->median, s->mean, s->se, s->q10, s->q90};
  for (size_t i = 0; i < 5; i++) {
    fputc(',', f);
    put_d(f, v[i]);
  }
}

static int write_summary(FILE *f, const as_config *cfg, const group *g,
                         size_t ng, const curve *c, size_t nc,
                         const as_experiment_kind *kind)
{
  static const char *const sfx[] = {"median", "mean", "se", "q10", "q90"};
  fputs("row,experiment,method,n,m,beta,lambda,tuning,count,not_converged",
        f);
  for (size_t mi = 0; mi < AS_METRICS_COUNT; mi++) {
    if (!as_config_wants_metric(cfg, as_metrics_names[mi]))
      continue;
    for (size_t s = 0; s < 5; s++)
      fprintf(f, ",%s_%s", as_metrics_names[mi], sfx[s]);
  }
  const char *extra[] = {"rlhf_floor", "lambda_chosen",
                         as_experiment_aux_name(kind, cfg)};
  for (size_t e = 0; e < 3; e++)
    for (size_t s = 0; s < 5; s++)
      fprintf(f, ",%s_%s", extra[e], sfx[s]);
  /* cell: the group's cell (results.csv's `cell`); for a rate row the
   * cell of the curve's first point, which names its cell family */
  /* non_finite: rows whose status is non-finite (also in not_converged) */
  fputs(",slope,slope_se,slope_ci_lo,slope_ci_hi,intercept,rate_points,"
        "rate_boot,cell,non_finite\n", f);
  size_t ncols = 0;
  for (size_t mi = 0; mi < AS_METRICS_COUNT; mi++)
    ncols += as_config_wants_metric(cfg, as_metrics_names[mi]) ? 5 : 0;
  ncols += 15;
  for (size_t j = 0; j < ng; j++) {
    const group *gp = &g[j];
    fprintf(f, "stat,%s,%s,", cfg->experiment, gp->method);
    put_d(f, gp->n);
    fputc(',', f);
    put_d(f, gp->m);
    fputc(',', f);
    put_d(f, gp->beta);
    fputc(',', f);
    put_d(f, gp->lambda);
    fprintf(f, ",%s,%zu,%ld",
            isnan(gp->lam.median) ? "none" : as_tuning_name(cfg->tuning),
            gp->count, gp->not_converged);
    for (size_t mi = 0; mi < AS_METRICS_COUNT; mi++)
      if (as_config_wants_metric(cfg, as_metrics_names[mi]))
        put_stat(f, &gp->s[mi]);
    put_stat(f, &gp->floor);
    put_stat(f, &gp->lam);
    put_stat(f, &gp->aux);
    fprintf(f, ",,,,,,,,%zu,%ld\n", gp->cell, gp->non_finite);
  }
  for (size_t k = 0; k < nc; k++) {
    if (!c[k].fitted)
      continue;
    const as_rate_fit *r = &c[k].fit;
    fprintf(f, "rate,%s,%s,", cfg->experiment, c[k].method);
    put_d(f, cfg->rate_fit_min_n);
    fputs(",,", f);
    put_d(f, c[k].beta);
    fputc(',', f);
    put_d(f, c[k].lambda);
    fprintf(f, ",%s,%ld,%ld", as_tuning_name(cfg->tuning), cfg->replicates,
            c[k].not_converged);
    for (size_t i = 0; i < ncols; i++) /* statistics */
      fputc(',', f);
    const double v[] = {r->slope, r->slope_se, r->ci_lo, r->ci_hi,
                        r->intercept};
    for (size_t i = 0; i < 5; i++) {
      fputc(',', f);
      put_d(f, v[i]);
    }
    fprintf(f, ",%zu,%ld,%zu,%ld\n", r->points, r->boot, g[c[k].grp[0]].cell,
            c[k].non_finite);
  }
  return ferror(f) ? AS_EIO : AS_OK;
}

/* ------------------------------------------------------------ table.txt */

/* mean ± s.e. per (cell, method): the layout of the paper's Table 2. */
static int write_table(FILE *f, const as_config *cfg, const group *g,
                       size_t ng)
{
  static const struct { size_t mi; const char *head; } cols[] = {
    {7, "win-rate vs ref"}, {8, "reward score"}, {5, "KL(pi||ref)"},
    {0, "KL(pi*||pi)"}, {6, "true reward"}, {4, "entropy"}};
  fprintf(f, "# %s: %s\n# mean ± s.e. over %ld replicates; lambda: tuning "
          "\"%s\"\n", cfg->experiment, cfg->description, cfg->replicates,
          as_tuning_name(cfg->tuning));
  fprintf(f, "%-11s %10s %6s %10s", "method", "n", "beta", "lambda");
  for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
    fprintf(f, " %23s", cols[c].head);
  fputc('\n', f);
  for (size_t j = 0; j < ng; j++) {
    const group *gp = &g[j];
    double lam = isnan(gp->lambda) ? gp->lam.median : gp->lambda;
    fprintf(f, "%-11s %10.4g %6.3g %10.4g", gp->method, gp->n, gp->beta, lam);
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
      char cell[64];
      if (isnan(gp->s[cols[c].mi].mean)) /* e.g. no reward model: na */
        snprintf(cell, sizeof cell, "na");
      else
        snprintf(cell, sizeof cell, "%.4g ± %.2g", gp->s[cols[c].mi].mean,
                 gp->s[cols[c].mi].se);
      fprintf(f, " %24s", cell);
    }
    fputc('\n', f);
  }
  return ferror(f) ? AS_EIO : AS_OK;
}

/* ------------------------------------------------------------ plot data */

const char *as_results_plot_axis(const as_config *cfg)
{
  if (cfg->n_n >= 2)
    return "n";
  if (cfg->tuning == AS_TUNING_FIXED && cfg->n_lambda >= 2)
    return "lambda";
  if (cfg->n_beta >= 2)
    return "beta";
  return "n";
}

static double axis_value(const char *axis, const group *gp)
{
  return axis[0] == 'l' ? gp->lambda : axis[0] == 'b' ? gp->beta : gp->n;
}

/* Same curve unless a key other than the axis changed. */
static int same_curve(const char *axis, const group *a, const group *b)
{
  return (axis[0] == 'n' || same_d(a->n, b->n))
         && (axis[0] == 'b' || same_d(a->beta, b->beta))
         && (axis[0] == 'l' || same_d(a->lambda, b->lambda));
}

static void ident(char *out, size_t size, const char *s)
{
  size_t i = 0;
  for (; s[i] && i + 1 < size; i++)
    out[i] = (s[i] == '-') ? '_' : s[i];
  out[i] = '\0';
}

static const char *const curve_cols =
  "# x count fwd_kl_median fwd_kl_q10 fwd_kl_q90 fwd_kl_mean fwd_kl_se "
  "entropy_median entropy_q10 entropy_q90 kl_ref_median win_rate_mean "
  "win_rate_se true_reward_mean reward_score_mean rlhf_floor_median "
  "lambda_median aux_median n beta lambda\n";

static void curve_line(FILE *f, double x, const group *gp)
{
  const double v[] = {
    x, (double)gp->count, gp->s[0].median, gp->s[0].q10, gp->s[0].q90,
    gp->s[0].mean, gp->s[0].se, gp->s[4].median, gp->s[4].q10,
    gp->s[4].q90, gp->s[5].median, gp->s[7].mean, gp->s[7].se,
    gp->s[6].mean, gp->s[8].mean, gp->floor.median, gp->lam.median,
    gp->aux.median, gp->n, gp->beta, gp->lambda};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    if (i)
      fputc(' ', f);
    put_d(f, v[i]);
  }
  fputc('\n', f);
}

static int write_curves(as_io_outset *s, const char *dir, const as_config *cfg,
                        const group *g, size_t ng, as_err *err)
{
  const char *axis = as_results_plot_axis(cfg);
  for (size_t mi = 0; mi < cfg->n_methods; mi++) {
    const char *name = as_method_name(cfg->methods[mi]);
    char file[128];
    snprintf(file, sizeof file, "curve_%s.dat", name);
    FILE *f = as_io_outset_open(s, dir, file, err);
    if (f == NULL)
      return err ? err->code : AS_EIO;
    fprintf(f, "# %s, method %s, axis %s (population rows in "
            "population.dat)\n%s", cfg->experiment, name, axis, curve_cols);
    const group *prev = NULL;
    for (size_t j = 0; j < ng; j++) {
      if (strcmp(g[j].method, name) != 0 || isinf(g[j].n))
        continue;
      if (prev != NULL && !same_curve(axis, prev, &g[j]))
        fputs("\n\n", f); /* a new gnuplot data block */
      curve_line(f, axis_value(axis, &g[j]), &g[j]);
      prev = &g[j];
    }
    int rc = as_io_outset_close(s, f, err);
    if (rc != AS_OK)
      return rc;
  }
  FILE *f = as_io_outset_open(s, dir, "population.dat", err);
  if (f == NULL)
    return err ? err->code : AS_EIO;
  fprintf(f, "# population limit (n = inf), method first\n# method %s",
          curve_cols + 2);
  for (size_t j = 0; j < ng; j++)
    if (isinf(g[j].n)) {
      fprintf(f, "%s ", g[j].method);
      curve_line(f, axis_value(axis, &g[j]), &g[j]);
    }
  return as_io_outset_close(s, f, err);
}

/* gnuplot variables for the figure scripts. */
static int write_params(as_io_outset *s, const char *dir, const as_config *cfg,
                        const as_experiment_kind *kind, const group *g,
                        size_t ng, const curve *c, size_t nc, as_err *err)
{
  FILE *f = as_io_outset_open(s, dir, "plot_params.gp", err);
  if (f == NULL)
    return err ? err->code : AS_EIO;
  fprintf(f, "# written by alignsim run: variables for plots/%s.gp\n",
          cfg->experiment);
  fprintf(f, "experiment = \"%s\"\naxis = \"%s\"\nreplicates = %ld\n",
          cfg->experiment, as_results_plot_axis(cfg), cfg->replicates);
  fprintf(f, "rate_fit_min_n = %.17g\n", cfg->rate_fit_min_n);
  /* what the aux_median column of the curves holds (E9 draws it only when
   * it is its bound quantity) */
  fprintf(f, "aux_name = \"%s\"\n", as_experiment_aux_name(kind, cfg));
  double nmin = INFINITY, nmax = 0;
  for (size_t i = 0; i < cfg->n_n; i++) {
    nmin = fmin(nmin, (double)cfg->n[i]);
    nmax = fmax(nmax, (double)cfg->n[i]);
  }
  fprintf(f, "n_min = %.17g\nn_max = %.17g\n", nmin, nmax);
  /* F_RLHF per replicate is the same in every group (it depends on the
   * instance only), so the first group's median is the median. */
  /* gnuplot spells a missing value NaN (its predefined variable); printf's
   * "nan" would be an undefined variable there (kinds without a floor). */
  double fm = ng ? g[0].floor.median : NAN;
  if (isnan(fm))
    fputs("floor_median = NaN\n", f);
  else
    fprintf(f, "floor_median = %.17g\n", fm);
  for (size_t mi = 0; mi < cfg->n_methods; mi++) {
    const char *name = as_method_name(cfg->methods[mi]);
    char id[64];
    ident(id, sizeof id, name);
    int done_rate = 0;
    for (size_t k = 0; k < nc && !done_rate; k++)
      if (c[k].fitted && strcmp(c[k].method, name) == 0) {
        const as_rate_fit *r = &c[k].fit;
        fprintf(f, "rate_%s_slope = %.17g\nrate_%s_intercept = %.17g\n"
                "rate_%s_lo = %.17g\nrate_%s_hi = %.17g\n", id, r->slope, id,
                r->intercept, id, r->ci_lo, id, r->ci_hi);
        done_rate = 1;
      }
    fprintf(f, "has_rate_%s = %d\n", id, done_rate);
    double pop = NAN;
    for (size_t j = 0; j < ng; j++)
      if (isinf(g[j].n) && strcmp(g[j].method, name) == 0) {
        pop = g[j].s[0].median;
        break;
      }
    fprintf(f, "pop_%s = %.17g\nhas_pop_%s = %d\n", id, isnan(pop) ? 0 : pop,
            id, !isnan(pop));
  }
  return as_io_outset_close(s, f, err);
}

int as_results_write(as_io_outset *s, const char *dir, const as_config *cfg,
                     const as_experiment_kind *kind, const as_rows *rows,
                     as_err *err)
{
  FILE *f = as_io_outset_open(s, dir, "results.csv", err);
  if (f == NULL)
    return err ? err->code : AS_EIO;
  write_results_csv(f, cfg, kind, rows);
  int rc = as_io_outset_close(s, f, err);
  if (rc != AS_OK)
    return rc;
  group *g = NULL;
  curve *c = NULL;
  size_t ng = 0, nc = 0;
  if ((rc = make_groups(cfg, rows, &g, &ng, err)) != AS_OK)
    return rc;
  if ((rc = make_curves(cfg, rows, g, ng, &c, &nc, err)) != AS_OK)
    goto done;
  if ((f = as_io_outset_open(s, dir, "summary.csv", err)) == NULL) {
    rc = err ? err->code : AS_EIO;
    goto done;
  }
  if (kind->write_summary == NULL)
    write_summary(f, cfg, g, ng, c, nc, kind);
  else if ((rc = kind->write_summary(f, cfg, rows, err)) != AS_OK) {
    as_io_outset_close(s, f, NULL);
    goto done;
  }
  if ((rc = as_io_outset_close(s, f, err)) != AS_OK)
    goto done;
  if ((f = as_io_outset_open(s, dir, "table.txt", err)) == NULL) {
    rc = err ? err->code : AS_EIO;
    goto done;
  }
  write_table(f, cfg, g, ng);
  if ((rc = as_io_outset_close(s, f, err)) != AS_OK)
    goto done;
  if ((rc = write_curves(s, dir, cfg, g, ng, err)) != AS_OK)
    goto done;
  rc = write_params(s, dir, cfg, kind, g, ng, c, nc, err);
done:
  curves_free(c, nc);
  groups_free(g, ng);
  return rc;
}
