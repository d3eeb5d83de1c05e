/* as_kind_finite.c — experiment E3 (docs/reference.md §6): PMLE by enumeration over a
 * finite class Π = {π*} ∪ {perturbations of π* at the configured
 * distances} (as_finite.h), |Π| and n swept, against the explicit bound of
 * Theorem 4 (as_theory_bound: the theorem form and the instance-dependent
 * form).
 *
 * Cells: β-major, then |Π| (class.sizes, or the single class.size); a
 * unit (cell, replicate) runs every n of the configuration on one
 * instance and class (one row per n, in the order of `n`), so the class
 * quantities (C_Π, ranges: O(|Π|·K·V²)) are computed once per unit.
 * Seeds: unit (cell, replicate) draws its instance from
 * as_rng_derive(seed, 0, replicate) and its class by continuing on the
 * same generator — exactly what `alignsim bounds --replicate R` does on a
 * config whose class.size is that |Π|, so both report the same C_Π and
 * bounds.  The labelled counts come from the stream of the (β, n) pair
 * (as_experiment_stream(β index · #n + n index, AS_STREAM_DATA)), not of
 * the cell: every |Π| sees the same data at a given (β, n, replicate), so
 * the comparison across |Π| is paired.
 *
 * results.csv: one row per unit, method "pmle", λ = 0, aux =
 * bound_instance (the replicate's own instance-form bound).
 * summary.csv (own writer): one row per (β, n, |Π|) with kl_quantile, the
 * (1−δ)-quantile of E_ρ KL(π*‖π̂) over replicates — the inverse-CDF
 * quantile, i.e. the ⌈(1−δ)R⌉-th smallest value, so that "KL ≤
 * kl_quantile" holds in at least a 1−δ fraction of replicates — and
 * bound = the smallest Theorem 4 bound over the replicates (each replicate
 * has its own instance, hence its own C_Π and R_max).  kl_quantile ≤ bound
 * therefore implies that at least a 1−δ fraction of replicates satisfy
 * their own bound; `violations` counts the replicates that do not.
 * After those (the paper chain, unchanged) come the sharp chain's theorem
 * and instance forms and the class-exact form (as_theory.h kinds
 * THM4_SHARP, THM4_INSTANCE_SHARP, THM4_CLASS) with their slacks and
 * violations, and the slack budget of the sharp instance form: the
 * replicate at the quantile (as_quantile.h) is refitted from the same
 * data and its exact chain quantities (as_theory_chain_member) split the
 * cell's slack into one factor per proof step (proofs/README.md "Slack
 * budget"; figure e3-budget). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>

#include "as_experiment.h"
#include "as_finite.h"
#include "as_metrics.h"
#include "as_quantile.h"
#include "as_tabular.h"
#include "as_theory.h"

static size_t n_sizes(const as_config *cfg)
{
  return cfg->cls.n_sizes > 0 ? cfg->cls.n_sizes : 1;
}

static long size_at(const as_config *cfg, size_t si)
{
  return cfg->cls.n_sizes > 0 ? cfg->cls.sizes[si] : cfg->cls.size;
}

static size_t fin_n_cells(const as_config *cfg)
{
  return cfg->n_beta * n_sizes(cfg);
}

/* cell → (β index, size index), size fastest */
static void fin_cell(const as_config *cfg, size_t cell, size_t *bi,
                     size_t *si)
{
  *si = cell % n_sizes(cfg);
  *bi = cell / n_sizes(cfg);
}

static int fin_check(const as_config *cfg, as_err *err)
{
  const as_config_class *c = &cfg->cls;
  if (c->type != AS_CLASS_FINITE || c->file != NULL || c->n_distances == 0)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite' needs class = { "
                      "type = \"finite\"; distances = [...]; size or sizes "
                      "}", cfg->path);
  if (c->n_sizes == 0 && c->size < 2)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite' needs class.size "
                      "or class.sizes (1 + k * %zu)", cfg->path,
                      c->n_distances);
  if (cfg->n_methods != 1 || cfg->methods[0] != AS_METHOD_PMLE)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite' runs PMLE by "
                      "enumeration (Theorem 4): set methods = [\"pmle\"]",
                      cfg->path);
  if (cfg->n_lambda != 1 || cfg->lambda[0] != 0.0)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite' checks Theorem 4, "
                      "which is at lambda = 0: set lambda = [0.0]",
                      cfg->path);
  if (cfg->population)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite' needs finite n "
                      "(population = false)", cfg->path);
  return AS_OK;
}

/* The parts of as_theory_summarise that Theorem 4 reads (R = NULL: Π_R =
 * Π, so ranges = ranges_R = ranges_Pi and C_R = C_Π), by the same calls;
 * C' (Theorem 14) is left NAN: it costs O(|Π|²) and E3 does not use it. */
static int pmle_summary(const as_instance *inst, const as_finite_class *Pi,
                        double beta, as_theory_summary *s, as_err *err)
{
  memset(s, 0, sizeof *s);
  s->beta = beta;
  s->size_Pi = s->size_R = Pi->M;
  int rc = as_theory_measure_ranges(inst, Pi, beta, &s->ranges_Pi, err);
  if (rc != AS_OK)
    return rc;
  s->ranges = s->ranges_R = s->ranges_Pi;
  rc = as_theory_coverage(inst, Pi, NULL, NULL, &s->C_Pi, &s->C_Pi_argmax,
                          NULL, err);
  if (rc == AS_OK)
    rc = as_theory_class_ratio(inst, Pi, beta, &s->ratio_Pi, NULL, err);
  s->ratio_R = s->ratio_Pi;
  s->C_R = s->C_Pi;
  s->C_R_argmax = s->C_Pi_argmax;
  s->C_prime = NAN;
  return rc;
}

/* The five Theorem 4 bounds E3 reports, in this order: paper chain
 * (theorem, instance), sharp chain (theorem, instance), class-exact. */
enum { B_THM, B_INST, B_THM_SHARP, B_INST_SHARP, B_CLASS, B_COUNT };
static const as_theory_bound_kind bound_kinds[B_COUNT] = {
    AS_THEORY_THM4, AS_THEORY_THM4_INSTANCE, AS_THEORY_THM4_SHARP,
    AS_THEORY_THM4_INSTANCE_SHARP, AS_THEORY_THM4_CLASS};

static int bounds_of(const as_theory_summary *s, double delta, double n,
                     double b[B_COUNT], as_err *err)
{
  for (int k = 0; k < B_COUNT; k++) {
    as_bounds_chain ch;
    int rc = as_theory_bound(s, bound_kinds[k], delta, n, NAN, &ch, err);
    if (rc != AS_OK)
      return rc;
    b[k] = ch.kl;
  }
  return AS_OK;
}

/* PMLE by enumeration on the data of (β index bi, n index ni, replicate):
 * the (β, n) pair's stream, so every |Π| sees the same data (paired). */
static int fit_hat(const as_config *cfg, size_t bi, size_t ni, long rep,
                   const as_instance *inst, const as_finite_class *Pi,
                   double *P, size_t *hat, as_err *err)
{
  double n = (double)cfg->n[ni];
  int rc = as_tab_labelled(cfg, as_experiment_stream(bi * cfg->n_n + ni,
                                                     AS_STREAM_DATA),
                           rep, inst, cfg->beta[bi], n, P, err);
  if (rc != AS_OK)
    return rc;
  as_data d;
  as_tab_data_init(&d, inst, n, P, NULL);
  return as_finite_pmle(Pi, &d, cfg->beta[bi], 0.0, NULL, hat, err);
}

static int fin_run_unit(const as_config *cfg, size_t cell, long rep,
                        as_rows *out, as_err *err)
{
  size_t bi, si;
  fin_cell(cfg, cell, &bi, &si);
  double beta = cfg->beta[bi];
  as_instance *inst;
  as_finite_class *Pi;
  int rc = as_tab_draw_instance_class(cfg, rep, size_at(cfg, si), &inst, &Pi,
                                      err);
  if (rc != AS_OK)
    return rc;
  size_t K = inst->K, V = inst->V, cells = K * V * V;
  double *P = malloc(cells * sizeof *P);
  as_theory_summary s;
  if (P == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = pmle_summary(inst, Pi, beta, &s, err)) != AS_OK)
    goto done;
  for (size_t ni = 0; ni < cfg->n_n; ni++) {
    double n = (double)cfg->n[ni];
    size_t hat;
    if ((rc = fit_hat(cfg, bi, ni, rep, inst, Pi, P, &hat, err)) != AS_OK)
      goto done;
    as_metrics met;
    if ((rc = as_metrics_compute(inst, beta, as_finite_member(Pi, hat), NULL,
                                 &met, err)) != AS_OK)
      goto done;
    double b[B_COUNT];
    if ((rc = bounds_of(&s, cfg->delta, n, b, err)) != AS_OK)
      goto done;
    as_result_row row;
    as_result_row_init(&row, cell, rep, "pmle", n, beta);
    row.lambda = 0.0;
    as_metrics_to_array(&met, row.metrics);
    row.iterations = (long)Pi->M; /* members enumerated */
    row.theta_norm = NAN;
    row.status = AS_OK;
    row.aux = b[B_INST];
    if (as_rows_push(out, &row) != AS_OK) {
      rc = as_err_set(err, AS_ENOMEM, "out of memory");
      goto done;
    }
  }
done:
  free(P);
  as_finite_free(Pi);
  as_instance_free(inst);
  return rc;
}

static double median_of(double *v, size_t k)
{
  gsl_sort(v, 1, k);
  return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static void put(FILE *f, double v, int last)
{
  fprintf(f, "%.17g%c", v, last ? '\n' : ',');
}

/* Slack budget of one cell (proofs/README.md "Slack budget"): the factors
 * of the sharp instance form for the replicate at the (1−δ)-quantile
 * (its π̂ refitted from the same data), which multiply to the cell's
 * slack_sharp; and those of the class-exact form, to slack_class. */
enum { G_TAIL, G_HL, G_RANGES, G_COVERAGE, G_KL, G_REPLICATE, G_THEOREM,
       G_RATIO, G_CLASS_REPLICATE, G_COUNT };
static const char *const budget_names[G_COUNT] = {
    "budget_tail", "budget_hellinger_logit", "budget_ranges",
    "budget_coverage", "budget_kl_square", "budget_replicate",
    "theorem_over_instance", "class_budget_ratio", "class_budget_replicate"};

static int cell_budget(const as_config *cfg, size_t cell, size_t ni,
                       long rep, const double bmin[B_COUNT], double kl_q,
                       double g[G_COUNT], as_err *err)
{
  size_t bi, si;
  fin_cell(cfg, cell, &bi, &si);
  double beta = cfg->beta[bi], n = (double)cfg->n[ni];
  for (int k = 0; k < G_COUNT; k++)
    g[k] = NAN;
  if (!(kl_q > 0.0))
    return AS_OK; /* π̂ = π* at the quantile: no slack to explain */
  as_instance *inst;
  as_finite_class *Pi;
  int rc = as_tab_draw_instance_class(cfg, rep, size_at(cfg, si), &inst, &Pi,
                                      err);
  if (rc != AS_OK)
    return rc;
  double *P = malloc(inst->K * inst->V * inst->V * sizeof *P);
  as_theory_summary s;
  as_theory_chain q;
  as_bounds_chain bs, bt, bc;
  size_t hat;
  if (P == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  if (rc == AS_OK)
    rc = pmle_summary(inst, Pi, beta, &s, err);
  if (rc == AS_OK)
    rc = fit_hat(cfg, bi, ni, rep, inst, Pi, P, &hat, err);
  if (rc == AS_OK)
    rc = as_theory_chain_member(inst, as_finite_member(Pi, hat), beta, &q,
                                err);
  if (rc == AS_OK)
    rc = as_theory_bound(&s, AS_THEORY_THM4_INSTANCE_SHARP, cfg->delta, n,
                         NAN, &bs, err);
  if (rc == AS_OK)
    rc = as_theory_bound(&s, AS_THEORY_THM4_SHARP, cfg->delta, n, NAN, &bt,
                         err);
  if (rc == AS_OK)
    rc = as_theory_bound(&s, AS_THEORY_THM4_CLASS, cfg->delta, n, NAN, &bc,
                         err);
  if (rc == AS_OK && q.kl != kl_q)
    rc = as_err_set(err, AS_EINVAL, "finite summary: refitted KL %.17g of "
                    "replicate %ld differs from the run's %.17g", q.kl, rep,
                    kl_q);
  if (rc == AS_OK) {
    double hl_q = 0.5 * as_bounds_hl_const(q.B_sigma);
    double phi_q = as_bounds_phi(q.B_v_up);
    g[G_TAIL] = bs.hel_sq / q.hellinger2;
    g[G_HL] = hl_q * q.hellinger2 / q.reward_sq_mu;
    g[G_RANGES] = (bs.lemma8 / hl_q) * (bs.phi / phi_q);
    g[G_COVERAGE] = bs.coverage * q.reward_sq_mu / q.reward_sq_target;
    g[G_KL] = phi_q * q.reward_sq_target / (beta * beta * q.kl);
    g[G_REPLICATE] = bmin[B_INST_SHARP] / bs.kl;
    g[G_THEOREM] = bt.kl / bs.kl;
    g[G_RATIO] = bc.lemma8 / (q.kl / q.hellinger2);
    g[G_CLASS_REPLICATE] = bmin[B_CLASS] / bc.kl;
  }
  free(P);
  as_finite_free(Pi);
  as_instance_free(inst);
  return rc;
}

/* Per unit (β, |Π|, replicate): recomputes every bound for every n (rows
 * carry the paper-chain instance form in aux; it is checked against it),
 * the unit's C_Π and R_max. */
static int unit_bounds(const as_config *cfg, const as_rows *rows,
                       double *bnd, double *cpi, double *rmx, as_err *err)
{
  size_t R = (size_t)cfg->replicates, nn = cfg->n_n;
  int rc = AS_OK;
  for (size_t cell = 0; cell < fin_n_cells(cfg) && rc == AS_OK; cell++)
    for (size_t rep = 0; rep < R && rc == AS_OK; rep++) {
      size_t bi, si, u = cell * R + rep;
      fin_cell(cfg, cell, &bi, &si);
      as_instance *inst;
      as_finite_class *Pi;
      rc = as_tab_draw_instance_class(cfg, (long)rep, size_at(cfg, si), &inst,
                                      &Pi, err);
      if (rc != AS_OK)
        break;
      as_theory_summary s;
      rc = pmle_summary(inst, Pi, cfg->beta[bi], &s, err);
      if (rc == AS_OK) {
        cpi[u] = s.C_Pi;
        rmx[u] = s.ranges.R_max;
      }
      for (size_t ni = 0; ni < nn && rc == AS_OK; ni++) {
        const as_result_row *row = &rows->row[u * nn + ni];
        double *b = bnd + (u * nn + ni) * B_COUNT;
        rc = bounds_of(&s, cfg->delta, (double)cfg->n[ni], b, err);
        if (rc == AS_OK && (b[B_INST] != row->aux ||
                            row->n != (double)cfg->n[ni]))
          rc = as_err_set(err, AS_EINVAL, "finite summary: cell %zu "
                          "replicate %zu n %g: bound %.17g differs from the "
                          "run's %.17g (n %g)", cell, rep,
                          (double)cfg->n[ni], b[B_INST], row->aux, row->n);
      }
      as_finite_free(Pi);
      as_instance_free(inst);
    }
  return rc;
}

/* summary.csv: today's columns first (paper chain: bound = theorem form,
 * bound_instance), then the sharp chain's theorem and instance forms, the
 * class-exact form, their violations, and the cell's slack budget. */
static int fin_write_summary(FILE *f, const as_config *cfg,
                             const as_rows *rows, as_err *err)
{
  size_t R = (size_t)cfg->replicates, cells = fin_n_cells(cfg);
  size_t nn = cfg->n_n;
  if (rows->count != cells * R * nn)
    return as_err_set(err, AS_EINVAL, "finite summary: %zu rows for %zu "
                      "units of %zu n", rows->count, cells * R, nn);
  double q = 1.0 - cfg->delta;
  fputs("n,class_size,delta,kl_quantile,bound,slack,bound_instance,"
        "slack_instance,beta,replicates,violations,violations_instance,"
        "kl_median,kl_mean,kl_max,frac_pi_star,bound_median,"
        "bound_instance_median,C_Pi_median,R_max_median,"
        "bound_thm_sharp,slack_thm_sharp,bound_sharp,slack_sharp,"
        "bound_class,slack_class,violations_thm_sharp,violations_sharp,"
        "violations_class", f);
  for (int k = 0; k < G_COUNT; k++)
    fprintf(f, ",%s", budget_names[k]);
  fputc('\n', f);
  double *bnd = malloc(cells * R * nn * B_COUNT * sizeof *bnd);
  double *cpi = malloc(cells * R * sizeof *cpi);
  double *rmx = malloc(cells * R * sizeof *rmx);
  double *v = malloc(R * sizeof *v), *w = malloc(R * sizeof *w);
  as_rep_value *order = malloc(R * sizeof *order);
  int rc = AS_OK;
  if (bnd == NULL || cpi == NULL || rmx == NULL || v == NULL || w == NULL ||
      order == NULL) {
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
    goto done;
  }
  rc = unit_bounds(cfg, rows, bnd, cpi, rmx, err);
  for (size_t cell = 0; cell < cells && rc == AS_OK; cell++)
    for (size_t ni = 0; ni < nn && rc == AS_OK; ni++) {
      size_t bi, si;
      fin_cell(cfg, cell, &bi, &si);
      long viol[B_COUNT] = {0}, star = 0;
      double bmin[B_COUNT], sum = 0;
      for (int k = 0; k < B_COUNT; k++)
        bmin[k] = INFINITY;
      for (size_t r = 0; r < R; r++) {
        size_t k = (cell * R + r) * nn + ni;
        double kl = rows->row[k].metrics[0];
        for (int j = 0; j < B_COUNT; j++) {
          viol[j] += !(kl <= bnd[k * B_COUNT + j]);
          bmin[j] = fmin(bmin[j], bnd[k * B_COUNT + j]);
        }
        star += kl == 0.0;
        sum += kl;
        order[r].value = kl;
        order[r].rep = (long)r;
      }
      as_quantile_sort(order, R);
      size_t jq = as_quantile_rank(R, q);
      double klq = order[jq - 1].value, klmax = order[R - 1].value;
      for (size_t r = 0; r < R; r++)
        v[r] = order[r].value;
      double klmed = median_of(v, R);
      double g[G_COUNT];
      rc = cell_budget(cfg, cell, ni, order[jq - 1].rep, bmin, klq, g, err);
      if (rc != AS_OK)
        break;
      fprintf(f, "%llu,%ld,", (unsigned long long)cfg->n[ni],
              size_at(cfg, si));
      put(f, cfg->delta, 0);
      put(f, klq, 0);
      put(f, bmin[B_THM], 0);
      put(f, bmin[B_THM] / klq, 0); /* +inf when π̂ = π* in ≥ 1−δ of reps */
      put(f, bmin[B_INST], 0);
      put(f, bmin[B_INST] / klq, 0);
      put(f, cfg->beta[bi], 0);
      fprintf(f, "%zu,%ld,%ld,", R, viol[B_THM], viol[B_INST]);
      put(f, klmed, 0);
      put(f, sum / (double)R, 0);
      put(f, klmax, 0);
      put(f, (double)star / (double)R, 0);
      for (size_t r = 0; r < R; r++) {
        size_t k = (cell * R + r) * nn + ni;
        v[r] = bnd[k * B_COUNT + B_THM];
        w[r] = bnd[k * B_COUNT + B_INST];
      }
      put(f, median_of(v, R), 0);
      put(f, median_of(w, R), 0);
      memcpy(v, cpi + cell * R, R * sizeof *v);
      memcpy(w, rmx + cell * R, R * sizeof *w);
      put(f, median_of(v, R), 0);
      put(f, median_of(w, R), 0);
      for (int k = B_THM_SHARP; k < B_COUNT; k++) {
        put(f, bmin[k], 0);
        put(f, bmin[k] / klq, 0);
      }
      fprintf(f, "%ld,%ld,%ld,", viol[B_THM_SHARP], viol[B_INST_SHARP],
              viol[B_CLASS]);
      for (int k = 0; k < G_COUNT; k++)
        put(f, g[k], k == G_COUNT - 1);
    }
  if (rc == AS_OK && ferror(f))
    rc = as_err_set(err, AS_EIO, "finite summary: write error");
done:
  free(bnd);
  free(cpi);
  free(rmx);
  free(v);
  free(w);
  free(order);
  return rc;
}

const as_experiment_kind as_kind_finite = {
  .name = "finite",
  .aux_name = "bound_instance",
  .check = fin_check,
  .n_cells = fin_n_cells,
  .run_unit = fin_run_unit,
  .write_summary = fin_write_summary,
};
