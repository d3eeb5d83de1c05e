/* as_kind_mu2.c — experiment E7 (docs/reference.md §6, paper Theorem 14): preference
 * distillation whose m unlabelled pairs come from μ' instead of μ.
 *
 * Where μ' can matter (docs/reference.md §6 E7 row): in the tabular class with m → ∞
 * and λ → 0 distillation returns π_r̂ whatever μ' is.  Here m is finite
 * and λ > 0: a response that never enters the m pairs is pinned only by
 * the KL_ref term (it stays near π_ref), so the error depends on how well
 * μ' covers where π* puts its mass.
 *
 * Cells: μ' (`mu2_sweep`: "same" = μ, "ref", "uniform", "star") major, m
 * (`m_sweep`) minor; n is one labelled sample size.  Per unit
 * (cell, replicate):
 *   - instance from as_rng_derive(seed, 0, replicate) (as every kind), then
 *     log μ' replaced by the cell's choice;
 *   - labelled counts from the stream as_experiment_stream(0,
 *     AS_STREAM_DATA) — the same in every cell, so every (μ', m) of a
 *     replicate distils the same fitted reward r̂ (paired comparison);
 *   - unlabelled counts M ~ Multinomial(m, ρμ'μ') from the cell's
 *     AS_STREAM_UNLABELLED stream;
 *   - distillation by Newton (as_fit_with_reward_checked: the data are
 *     checked, and each context's objective prepared, once per unit) at
 *     every λ of the grid,
 *     λ chosen by the configured tuning (as_tab_run_grid, oracle: least
 *     forward KL among converged fits; fixed: one row per λ).
 * A replicate's cells are one unit group (as_experiment.h run_group): the
 * instance, labelled counts and r̂ are made once for all of them; a unit
 * run alone (MPI, a resumed run, shards, fewer replicates than threads)
 * makes the same ones again.
 * aux = the Proposition 15 ratio of the fitted policy,
 *   max( KL(π̂‖π*) / (Γ(B) KL(π*‖π̂)),  KL(π*‖π̂) / (Γ(B) KL(π̂‖π*)) ),
 * B = max over x (ρ > 0), y of |log π̂ − log π*|, Γ = as_bounds_prop15_gamma:
 * Proposition 15 says it is ≤ 1 (per context with B_x ≤ B, Γ increasing,
 * then averaged over ρ).
 *
 * summary.csv (own writer): per (μ', m) the forward-KL statistics and
 * Theorem 14's coefficient C'_Π = C(Π, Π_R; μ') (as_theory_coverage) for
 * the finite class Π = Π_R = {π*} ∪ perturbations given by `class`
 * (distances, size), drawn as `alignsim bounds` draws it (continuing on the
 * instance's generator), with C_Π (μ) beside it for comparison. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>

#include "as_bounds.h"
#include "as_experiment.h"
#include "as_finite.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_tabular.h"
#include "as_theory.h"

static const char *mu2_name(as_mu_kind k)
{
  switch (k) {
  case AS_MU_SAME: return "mu";
  case AS_MU_REF: return "ref";
  case AS_MU_UNIFORM: return "uniform";
  case AS_MU_STAR: return "star";
  default: return "unknown";
  }
}

/* Method names per μ' (static strings for the rows). */
static const char *method_name(as_mu_kind k)
{
  switch (k) {
  case AS_MU_SAME: return "distill-mu";
  case AS_MU_REF: return "distill-ref";
  case AS_MU_UNIFORM: return "distill-uniform";
  case AS_MU_STAR: return "distill-star";
  default: return "distill";
  }
}

static size_t mu2_n_cells(const as_config *cfg)
{
  return cfg->n_mu2_sweep * cfg->n_m_sweep;
}

static int mu2_check(const as_config *cfg, as_err *err)
{
  if (cfg->cls.type != AS_CLASS_TABULAR)
    return as_err_set(err, AS_EINVAL, "%s: kind 'distill-mu2' fits the "
                      "tabular class (class.type = \"tabular\"; its "
                      "distances/size only define the finite class of "
                      "Theorem 14's coefficient)", cfg->path);
  if (cfg->n_methods != 1 || cfg->methods[0] != AS_METHOD_DISTILL)
    return as_err_set(err, AS_EINVAL, "%s: kind 'distill-mu2' needs methods "
                      "= [\"distill\"]", cfg->path);
  if (cfg->n_mu2_sweep == 0 || cfg->n_m_sweep == 0)
    return as_err_set(err, AS_EINVAL, "%s: kind 'distill-mu2' needs "
                      "mu2_sweep and m_sweep", cfg->path);
  if (cfg->n_n != 1 || cfg->population || cfg->n_beta != 1)
    return as_err_set(err, AS_EINVAL, "%s: kind 'distill-mu2' takes one "
                      "finite n and one beta (population = false)",
                      cfg->path);
  for (size_t i = 0; i < cfg->n_lambda; i++)
    if (!(cfg->lambda[i] > 0))
      return as_err_set(err, AS_EINVAL, "%s: kind 'distill-mu2' needs "
                        "lambda > 0 (%g): with finite m and lambda = 0 a "
                        "response outside the pairs has no minimiser",
                        cfg->path, cfg->lambda[i]);
  if (cfg->tuning == AS_TUNING_HELDOUT)
    return as_err_set(err, AS_ENOTSUP, "%s: kind 'distill-mu2' supports "
                      "tuning \"oracle\" or \"fixed\"", cfg->path);
  if (cfg->cls.n_distances > 0 && cfg->cls.size < 2)
    return as_err_set(err, AS_EINVAL, "%s: class.distances given without "
                      "class.size", cfg->path);
  return AS_OK;
}

/* log μ' := the cell's choice (docs/reference.md §1.1). */
static void set_mu2(as_instance *inst, as_mu_kind k)
{
  size_t KV = inst->K * inst->V;
  const double *src = k == AS_MU_SAME ? inst->log_mu
                      : k == AS_MU_REF ? inst->log_pi_ref
                      : k == AS_MU_STAR ? inst->log_pi_star : NULL;
  for (size_t i = 0; i < KV; i++)
    inst->log_mu2[i] = src != NULL ? src[i] : -log((double)inst->V);
}

/* Proposition 15 ratio (see the top of the file); NAN when both KLs are 0. */
static double prop15_ratio(const as_instance *inst, const double *log_pi,
                           double fwd, double rev)
{
  size_t K = inst->K, V = inst->V;
  double B = 0;
  for (size_t x = 0; x < K; x++) {
    if (inst->log_rho[x] == -INFINITY)
      continue;
    double lz = as_logsumexp(log_pi + x * V, V); /* rows may be logits */
    for (size_t y = 0; y < V; y++)
      B = fmax(B, fabs(log_pi[x * V + y] - lz
                       - inst->log_pi_star[x * V + y]));
  }
  double G = as_bounds_prop15_gamma(B);
  if (fwd == 0 && rev == 0)
    return NAN;
  return fmax(rev / (G * fwd), fwd / (G * rev));
}

/* ---- one unit: (μ', m) at the replicate's instance */

/* Oracle tuning over the λ grid gives candidates up as soon as they
 * cannot be chosen (issue 8), context by context (as_fit_opts.ctx_done):
 * once a context has not converged (the fit cannot be ok), or once the
 * forward KL summed over the contexts fitted so far exceeds that of a
 * whole, converged candidate.  That sum is as_metrics_fwd_kl's own
 * (as_metrics_fwd_kl_add), which only grows once above
 * AS_METRICS_FWD_KL_GROWS: a candidate given up is worse than one kept,
 * or not ok.  Where no candidate is ok, as_tab_run_grid says AS_ERETRY
 * and the grid is fitted again in full (the rule then compares them
 * all). */
typedef struct lazy {
  int on;
  const as_instance *inst;
  double zrho;    /* as_metrics_fwd_kl's normaliser of ρ                */
  double best;    /* least forward KL of a whole, converged candidate   */
  double sum;     /* the candidate being fitted: its sum so far         */
  int gave_up;
} lazy;

static int lazy_ctx_done(size_t x, const double *row, int status, void *user)
{
  lazy *lz = user;
  lz->sum = as_metrics_fwd_kl_add(lz->inst, lz->zrho, x, row, lz->sum);
  lz->gave_up = status != AS_OK ||
                (lz->best >= AS_METRICS_FWD_KL_GROWS && lz->sum > lz->best);
  return lz->gave_up;
}

typedef struct unit {
  const as_config *cfg;
  size_t cell;
  long rep;
  as_mu_kind k;
  uint64_t m;
  double beta, n;
  as_instance *inst;
  const double *reward;
  const as_fit_result *info; /* the reward fit's status and counts */
  double *Q;
  as_data d;
  as_fit_checked chk; /* d checked once for the whole λ grid */
  lazy *lz;           /* the grid's giving up (its state changes)    */
} unit;

/* The fit options of candidate λ. */
static void candidate_opts(const unit *u, as_method m, double lambda,
                           as_fit_opts *o)
{
  as_fit_opts_default(o);
  o->method = m;
  o->beta = u->beta;
  o->lambda = lambda;
}

static int fit_candidate(const void *ctx, as_method m, double lambda,
                         as_tab_cand *c, as_err *err)
{
  const unit *u = ctx;
  memset(c, 0, sizeof *c);
  c->lambda = lambda;
  c->score = NAN;
  as_fit_opts o;
  candidate_opts(u, m, lambda, &o);
  lazy *lz = u->lz;
  if (lz->on) {
    lz->sum = 0.0;
    lz->gave_up = 0;
    o.ctx_done = lazy_ctx_done;
    o.ctx_user = lz;
  }
  as_fit_result res;
  int rc = as_fit_with_reward_checked(&o, &u->chk, u->reward, &res, err);
  if (rc != AS_OK)
    return rc;
  /* a failed reward fit marks a policy that converged itself */
  c->status = res.status == AS_OK ? u->info->status : res.status;
  c->abandoned = lz->on && lz->gave_up;
  if (lz->on && !lz->gave_up && c->status == AS_OK && lz->sum < lz->best)
    lz->best = lz->sum;
  c->log_pi = res.log_pi;
  res.log_pi = NULL;
  c->not_converged = (long)res.contexts_not_converged;
  c->iterations = res.iterations;
  c->no_mle = (long)u->info->reward_no_mle;
  c->theta_norm = res.theta_norm;
  as_fit_result_free(&res);
  return as_tab_cand_metrics(u->cfg, AS_METHOD_DISTILL, u->inst, u->beta,
                             u->reward, c, err);
}

static void fill_row(const void *ctx, as_method m, const as_tab_cand *c,
                     int has_lambda, as_result_row *row)
{
  const unit *u = ctx;
  (void)m, (void)has_lambda; /* distill, with λ (mu2_check) */

  as_tab_cand_row(c, u->cell, u->rep, method_name(u->k), u->n, u->beta, 1,
                  row);
  row->m = (double)u->m;
  row->aux = prop15_ratio(u->inst, c->log_pi, c->met.fwd_kl, c->met.rev_kl);
}

/* A replicate's part shared by all its cells: the instance, the labelled
 * counts (cell 0's stream) and the reward r̂ fitted on them. */
typedef struct mu2_rep {
  as_instance *inst;
  double *P, *reward;
  as_fit_result info;
} mu2_rep;

static void mu2_rep_free(mu2_rep *s)
{
  as_fit_result_free(&s->info);
  free(s->P);
  free(s->reward);
  as_instance_free(s->inst);
  memset(s, 0, sizeof *s); /* freed twice is freed once */
}

static int mu2_rep_open(const as_config *cfg, long rep, mu2_rep *s,
                        as_err *err)
{
  memset(s, 0, sizeof *s);
  int rc = as_tab_draw_instance(cfg, rep, &s->inst, NULL, err);
  if (rc != AS_OK)
    return rc;
  size_t K = s->inst->K, V = s->inst->V;
  double n = (double)cfg->n[0];
  s->P = malloc(K * V * V * sizeof *s->P);
  s->reward = malloc(K * V * sizeof *s->reward);
  if (s->P == NULL || s->reward == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  as_data d;
  if (rc == AS_OK)
    rc = as_tab_labelled(cfg, as_experiment_stream(0, AS_STREAM_DATA), rep,
                         s->inst, cfg->beta[0], n, s->P, err);
  if (rc == AS_OK) {
    as_tab_data_init(&d, s->inst, n, s->P, NULL);
    rc = as_reward_fit(&d, as_tab_ridge(cfg, n), s->reward, &s->info, err);
  }
  if (rc != AS_OK)
    mu2_rep_free(s);
  return rc;
}

/* Cell cell's rows of replicate rep, from the replicate's shared part. */
static int mu2_cell_rows(const as_config *cfg, mu2_rep *s, size_t cell,
                         long rep, as_rows *out, as_err *err)
{
  unit u;
  memset(&u, 0, sizeof u);
  u.cfg = cfg;
  u.cell = cell;
  u.rep = rep;
  u.k = cfg->mu2_sweep[cell / cfg->n_m_sweep];
  u.m = cfg->m_sweep[cell % cfg->n_m_sweep];
  u.beta = cfg->beta[0];
  u.n = (double)cfg->n[0];
  u.inst = s->inst;
  u.reward = s->reward;
  u.info = &s->info;
  set_mu2(u.inst, u.k);
  size_t K = u.inst->K, V = u.inst->V;
  u.Q = malloc(K * V * V * sizeof *u.Q);
  int rc = u.Q == NULL ? as_err_set(err, AS_ENOMEM, "out of memory")
                       : as_tab_unlabelled(cfg, as_experiment_stream(
                                               cell, AS_STREAM_UNLABELLED),
                                           rep, u.inst, u.m, u.Q, err);
  if (rc == AS_OK) {
    as_tab_data_init(&u.d, u.inst, u.n, s->P, u.Q);
    rc = as_fit_check(&u.d, &u.chk, err);
  }
  as_fit_opts o; /* the objectives prepared once for the whole grid */
  candidate_opts(&u, AS_METHOD_DISTILL, cfg->lambda[0], &o);
  if (rc == AS_OK)
    rc = as_fit_check_prepare(&u.chk, &o, u.reward, err);
  lazy lz = {.on = as_tab_cand_defers(cfg, AS_METHOD_DISTILL) &&
                   s->info.status == AS_OK,
             .inst = u.inst, .best = INFINITY,
             .zrho = as_logsumexp(u.inst->log_rho, K)};
  u.lz = &lz;
  size_t n0 = out->count;
  if (rc == AS_OK)
    rc = as_tab_run_grid(cfg, fit_candidate, fill_row, &u, out, err);
  if (rc == AS_ERETRY) { /* no candidate ok: the whole grid, in full */
    out->count = n0;
    lz.on = 0;
    rc = as_tab_run_grid(cfg, fit_candidate, fill_row, &u, out, err);
  }
  as_fit_checked_free(&u.chk);
  free(u.Q);
  return rc;
}

static int mu2_run_unit(const as_config *cfg, size_t cell, long rep,
                        as_rows *out, as_err *err)
{
  mu2_rep s;
  int rc = mu2_rep_open(cfg, rep, &s, err);
  if (rc != AS_OK)
    return rc;
  rc = mu2_cell_rows(cfg, &s, cell, rep, out, err);
  mu2_rep_free(&s);
  return rc;
}

/* A replicate's cells are one group: r̂ is fitted once for all of them
 * (its instance and labelled counts are the same in every cell). */
static size_t mu2_group_of(const as_config *cfg, size_t cell, size_t *first)
{
  (void)cell;
  *first = 0;
  return mu2_n_cells(cfg);
}

/* The units (first + i, rep) of one group; the shared part is charged to
 * the first cell. */
static int mu2_run_group(const as_config *cfg, size_t first, size_t count,
                         long rep, as_rows *outs, double *secs, size_t *done,
                         as_err *err)
{
  double t0 = as_experiment_thread_seconds();
  mu2_rep s;
  int rc = mu2_rep_open(cfg, rep, &s, err);
  for (*done = 0; *done < count && rc == AS_OK; ++*done) {
    rc = mu2_cell_rows(cfg, &s, first + *done, rep, &outs[*done], err);
    double t1 = as_experiment_thread_seconds();
    secs[*done] = t1 - t0;
    t0 = t1;
    if (rc != AS_OK)
      break;
  }
  mu2_rep_free(&s);
  return rc;
}

/* Theorem 14's C'_Π(μ') of replicate rep for every μ' of the sweep
 * (cp[i * stride], i over mu2_sweep) and C_Π (*Cpi), NAN without a class.
 * The instance and class are drawn once per replicate: they do not
 * depend on μ' (set_mu2 only replaces log μ'), nor does C_Π (ν = μ). */
static int coefficients(const as_config *cfg, long rep, double *cp,
                        size_t stride, double *Cpi, as_err *err)
{
  *Cpi = NAN;
  for (size_t i = 0; i < cfg->n_mu2_sweep; i++)
    cp[i * stride] = NAN;
  if (cfg->cls.n_distances == 0)
    return AS_OK;
  as_instance *inst;
  as_finite_class *Pi;
  int rc = as_tab_draw_instance_class(cfg, rep, cfg->cls.size, &inst, &Pi,
                                      err);
  if (rc != AS_OK)
    return rc;
  for (size_t i = 0; i < cfg->n_mu2_sweep && rc == AS_OK; i++) {
    set_mu2(inst, cfg->mu2_sweep[i]);
    rc = as_theory_coverage(inst, Pi, Pi, inst->log_mu2, &cp[i * stride],
                            NULL, NULL, err);
  }
  if (rc == AS_OK)
    rc = as_theory_coverage(inst, Pi, NULL, NULL, Cpi, NULL, NULL, err);
  as_finite_free(Pi);
  as_instance_free(inst);
  return rc;
}

static double median_of(double *v, size_t k)
{
  size_t j = 0;
  for (size_t i = 0; i < k; i++)
    if (!isnan(v[i]))
      v[j++] = v[i];
  if (j == 0)
    return NAN;
  gsl_sort(v, 1, j);
  return j % 2 ? v[j / 2] : 0.5 * (v[j / 2 - 1] + v[j / 2]);
}

static double q_of(double *v, size_t k, double q) /* v sorted, no NaN */
{
  double h = q * (double)(k - 1);
  size_t i = (size_t)floor(h);
  return i + 1 < k ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[k - 1];
}

static int mu2_write_summary(FILE *f, const as_config *cfg,
                             const as_rows *rows, as_err *err)
{
  size_t R = (size_t)cfg->replicates, nm = cfg->n_m_sweep;
  size_t per = cfg->tuning == AS_TUNING_FIXED ? cfg->n_lambda : 1;
  if (rows->count != mu2_n_cells(cfg) * R * per)
    return as_err_set(err, AS_EINVAL, "distill-mu2 summary: %zu rows",
                      rows->count);
  fputs("mu2,method,n,m,beta,lambda,replicates,not_converged,fwd_kl_median,"
        "fwd_kl_q10,fwd_kl_q90,fwd_kl_mean,fwd_kl_se,rev_kl_median,"
        "lambda_median,prop15_ratio_max,C_prime_median,C_Pi_median\n", f);
  size_t nmu = cfg->n_mu2_sweep;
  double *v = malloc(R * sizeof *v), *cp = malloc(nmu * R * sizeof *cp);
  double *cpi = malloc(R * sizeof *cpi);
  int rc = AS_OK;
  if (v == NULL || cp == NULL || cpi == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t rep = 0; rep < R && rc == AS_OK; rep++)
    rc = coefficients(cfg, (long)rep, &cp[rep], R, &cpi[rep], err);
  double Cpi = rc == AS_OK ? median_of(cpi, R) : NAN;
  for (size_t mi = 0; mi < nmu && rc == AS_OK; mi++) {
    as_mu_kind k = cfg->mu2_sweep[mi];
    double Cp = median_of(&cp[mi * R], R);
    for (size_t j = 0; j < nm; j++)
      for (size_t l = 0; l < per; l++) {
        size_t cell = mi * nm + j;
        long nc = 0;
        double ratio = -INFINITY, sum = 0, ss = 0;
        for (size_t r = 0; r < R; r++) {
          const as_result_row *row = &rows->row[(cell * R + r) * per + l];
          nc += row->status != AS_OK;
          if (!isnan(row->aux))
            ratio = fmax(ratio, row->aux);
          v[r] = row->metrics[0];
          sum += v[r];
        }
        double mean = sum / (double)R;
        for (size_t r = 0; r < R; r++)
          ss += (v[r] - mean) * (v[r] - mean);
        double se = R > 1 ? sqrt(ss / (double)(R - 1) / (double)R) : NAN;
        gsl_sort(v, 1, R);
        double med = median_of(v, R), q10 = q_of(v, R, 0.1);
        double q90 = q_of(v, R, 0.9);
        for (size_t r = 0; r < R; r++)
          v[r] = rows->row[(cell * R + r) * per + l].metrics[1]; /* rev */
        double rmed = median_of(v, R);
        for (size_t r = 0; r < R; r++)
          v[r] = rows->row[(cell * R + r) * per + l].lambda;
        double lmed = median_of(v, R);
        const as_result_row *r0 = &rows->row[cell * R * per + l];
        fprintf(f, "%s,%s,%.17g,%.17g,%.17g,%.17g,%zu,%ld,%.17g,%.17g,"
                "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
                mu2_name(k), r0->method, r0->n, r0->m, r0->beta,
                cfg->tuning == AS_TUNING_FIXED ? r0->lambda : NAN, R, nc,
                med, q10, q90, mean, se, rmed, lmed, ratio, Cp, Cpi);
      }
  }
  if (rc == AS_OK && ferror(f))
    rc = as_err_set(err, AS_EIO, "distill-mu2 summary: write error");
done:
  free(v);
  free(cp);
  free(cpi);
  return rc;
}

const as_experiment_kind as_kind_mu2 = {
  .name = "distill-mu2",
  .aux_name = "prop15_ratio",
  .check = mu2_check,
  .n_cells = mu2_n_cells,
  .run_unit = mu2_run_unit,
  .group_of = mu2_group_of,
  .run_group = mu2_run_group,
  .write_summary = mu2_write_summary,
};
