/* as_kind_two_stage.c — Theorems 6, 7 and 14 (docs/reference.md §5, §6 E7) on finite
 * policy and reward classes with finite m (kind "finite-distill"): the
 * E3 treatment (bounds in every form, violations, slack budget) for the
 * two-stage estimators, where μ' and m matter.
 *
 * Classes (docs/reference.md §3.1 "finite"): the reward class Π_R = π* plus k_R
 * perturbations per distance (class.sizes[0] = 1 + k_R·#distances,
 * as_finite_generate, drawn as `alignsim bounds` draws a class of that
 * size), and the policy class Π = Π_R ∪ L local variants of every member
 * of Π_R (class.sizes[1] = (1 + L)·|Π_R|): variant l of r moves the logit
 * of ONE response per context, y_x = argmax π*(·|x), by −(l + 1) nats and
 * renormalises.  A variant agrees with r on every pair that does not
 * involve y_x, so distillation can tell them apart only through pairs
 * that contain y_x — which μ' draws with probability ≈ 2μ'(y_x): this is
 * where μ' and finite m act (docs/reference.md §6, E7), and E7's poor-coverage μ rarely
 * shows y_x.  Assumption 5 (π* ∈ Π_R ⊆ Π) holds by construction.
 *
 * Cells: μ' (`mu2_sweep`) major, m (`m_sweep`) minor; every n of `n` runs
 * inside a unit (one row pair per n).  Per (unit, n):
 *   - labelled counts (n pairs from μ) from the stream of the n index
 *     (as_experiment_stream(ni, AS_STREAM_DATA)): every (μ', m) of a
 *     replicate fits the same r̂ (paired comparison);
 *   - unlabelled counts (m pairs from μ') from the stream
 *     (cell·#n + ni, AS_STREAM_UNLABELLED);
 *   - r̂ = BT MLE over Π_R (as_finite_reward), π̂ = distillation of r̂ over
 *     Π at λ = 0 (as_finite_distill), and RKL with γ = β, λ = 0 over Π_R
 *     (as_finite_rkl; it returns π_r̂, Theorem 7).
 * results.csv: rows "distill" and "rkl" per (unit, n); aux = the sharp
 * instance-form bound (Theorem 14 for distill, Theorem 7 for rkl).
 *
 * summary.csv: one row per (μ', m, n, theorem): thm14 (distill, any μ'),
 * thm6 (distill, only where μ' = μ) and thm7 (rkl), each with the
 * (1−δ)-quantile of the forward KL, the smallest bound over replicates in
 * four forms (paper theorem, sharp theorem, sharp instance, class-exact:
 * the ball form for 6/14, max KL/h² for 7), slacks, violations, and the
 * slack budget of the sharp instance form at the quantile replicate
 * (proofs/thm6-distill.md "Sharp form", "Slack budget"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_bounds.h"
#include "as_experiment.h"
#include "as_finite.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_quantile.h"
#include "as_tabular.h"
#include "as_theory.h"

static size_t ts_n_cells(const as_config *cfg)
{
  return cfg->n_mu2_sweep * cfg->n_m_sweep;
}

static int ts_check(const as_config *cfg, as_err *err)
{
  const as_config_class *c = &cfg->cls;
  if (c->type != AS_CLASS_FINITE || c->file != NULL || c->n_distances == 0
      || c->n_sizes != 2 || c->sizes[1] % c->sizes[0] != 0)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite-distill' needs "
                      "class = { type = \"finite\"; distances = [...]; "
                      "sizes = [|Pi_R|, |Pi|]; } with |Pi| a multiple of "
                      "|Pi_R| (|Pi| = (1 + L) |Pi_R|: L local variants per "
                      "member of Pi_R)", cfg->path);
  if (cfg->n_methods != 2 || cfg->methods[0] != AS_METHOD_DISTILL
      || cfg->methods[1] != AS_METHOD_RKL)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite-distill' runs "
                      "distillation (Theorems 6, 14) and RKL (Theorem 7) by "
                      "enumeration: set methods = [\"distill\", \"rkl\"]",
                      cfg->path);
  if (cfg->n_lambda != 1 || cfg->lambda[0] != 0.0)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite-distill' checks "
                      "theorems stated at lambda = 0: set lambda = [0.0]",
                      cfg->path);
  if (cfg->n_mu2_sweep == 0 || cfg->n_m_sweep == 0)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite-distill' needs "
                      "mu2_sweep and m_sweep", cfg->path);
  if (cfg->population || cfg->n_beta != 1)
    return as_err_set(err, AS_EINVAL, "%s: kind 'finite-distill' takes one "
                      "beta and finite n (population = false)", cfg->path);
  return AS_OK;
}

static as_mu_kind cell_mu2(const as_config *cfg, size_t cell)
{
  return cfg->mu2_sweep[cell / cfg->n_m_sweep];
}

static double cell_m(const as_config *cfg, size_t cell)
{
  return (double)cfg->m_sweep[cell % cfg->n_m_sweep];
}

/* log μ' := the cell's choice (docs/reference.md §1.1), as in as_kind_mu2.c. */
static void set_mu2(as_instance *inst, as_mu_kind k)
{
  size_t KV = inst->K * inst->V;
  const double *src = k == AS_MU_SAME ? inst->log_mu
                      : k == AS_MU_REF ? inst->log_pi_ref
                      : k == AS_MU_STAR ? inst->log_pi_star : NULL;
  for (size_t i = 0; i < KV; i++)
    inst->log_mu2[i] = src != NULL ? src[i] : -log((double)inst->V);
}

/* One unit's instance, classes and theory summary. */
typedef struct ts_unit {
  as_instance *inst;
  as_finite_class *Pi, *PR;
  as_theory_summary s;
} ts_unit;

static void unit_free(ts_unit *u)
{
  as_finite_free(u->Pi);
  as_finite_free(u->PR);
  as_instance_free(u->inst);
  memset(u, 0, sizeof *u);
}

/* Π = Π_R followed by L local variants of each member (see the top). */
static int build_policy_class(const as_instance *inst,
                              const as_finite_class *PR, size_t L,
                              as_finite_class **out, as_err *err)
{
  size_t K = inst->K, V = inst->V, KV = K * V, MR = PR->M;
  as_finite_class *Pi = as_finite_new(MR * (1 + L), K, V);
  if (Pi == NULL)
    return as_err_set(err, AS_ENOMEM, "out of memory");
  memcpy(Pi->log_pi, PR->log_pi, MR * KV * sizeof(double));
  for (size_t j = 0; j < MR; j++)
    for (size_t l = 0; l < L; l++) {
      double *lp = Pi->log_pi + (MR + j * L + l) * KV;
      memcpy(lp, as_finite_member(PR, j), KV * sizeof(double));
      for (size_t x = 0; x < K; x++) {
        const double *ls = inst->log_pi_star + x * V;
        size_t ym = 0;
        for (size_t y = 1; y < V; y++)
          if (ls[y] > ls[ym])
            ym = y;
        lp[x * V + ym] -= (double)(l + 1);
        as_log_softmax(lp + x * V, V, lp + x * V);
      }
    }
  *out = Pi;
  return AS_OK;
}

static int unit_draw(const as_config *cfg, size_t cell, long rep, ts_unit *u,
                     as_err *err)
{
  memset(u, 0, sizeof *u);
  const as_config_class *c = &cfg->cls;
  size_t L = (size_t)(c->sizes[1] / c->sizes[0]) - 1;
  int rc = as_tab_draw_instance_class(cfg, rep, c->sizes[0], &u->inst, &u->PR,
                                      err);
  if (rc != AS_OK)
    return rc;
  set_mu2(u->inst, cell_mu2(cfg, cell));
  rc = build_policy_class(u->inst, u->PR, L, &u->Pi, err);
  if (rc == AS_OK)
    rc = as_theory_summarise(u->inst, u->Pi, u->PR, cfg->beta[0], &u->s, err);
  if (rc != AS_OK)
    unit_free(u);
  return rc;
}

/* The three estimates of (unit, n index ni): r̂ ∈ Π_R (index *jr), the
 * distilled π̂ ∈ Π (*ih) and RKL's π ∈ Π_R (*jk). */
static int unit_fit(const as_config *cfg, size_t cell, size_t ni, long rep,
                    const ts_unit *u, size_t *jr, size_t *ih, size_t *jk,
                    as_err *err)
{
  size_t K = u->inst->K, V = u->inst->V;
  double beta = cfg->beta[0], n = (double)cfg->n[ni];
  double *P = malloc(K * V * V * sizeof *P), *Q = malloc(K * V * V * sizeof *Q);
  double *reward = malloc(K * V * sizeof *reward);
  int rc = AS_OK;
  if (P == NULL || Q == NULL || reward == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  if (rc == AS_OK)
    rc = as_tab_labelled(cfg, as_experiment_stream(ni, AS_STREAM_DATA), rep,
                         u->inst, beta, n, P, err);
  if (rc == AS_OK)
    rc = as_tab_unlabelled(cfg, as_experiment_stream(cell * cfg->n_n + ni,
                                                     AS_STREAM_UNLABELLED),
                           rep, u->inst, (uint64_t)cell_m(cfg, cell), Q, err);
  as_data d;
  if (rc == AS_OK) {
    as_tab_data_init(&d, u->inst, n, P, Q);
    rc = as_finite_reward(u->PR, &d, beta, NULL, jr, reward, err);
  }
  if (rc == AS_OK)
    rc = as_finite_distill(u->Pi, &d, reward, beta, 0.0, NULL, ih, err);
  if (rc == AS_OK)
    rc = as_finite_rkl(u->PR, &d, reward, 0.0, beta, NULL, jk, err);
  free(P);
  free(Q);
  free(reward);
  return rc;
}

/* ---- bounds ------------------------------------------------------------- */

/* Theorem rows of a cell: thm14 and thm7 always, thm6 where μ' = μ. */
enum { T14, T6, T7, T_COUNT };
static const char *const thm_names[T_COUNT] = {"thm14", "thm6", "thm7"};
static const char *const thm_method[T_COUNT] = {"distill", "distill", "rkl"};

static int thm_applies(const as_config *cfg, size_t cell, int t)
{
  return t != T6 || cell_mu2(cfg, cell) == AS_MU_SAME;
}

/* Forms: paper theorem, sharp theorem, sharp instance, class-exact. */
enum { F_PAPER, F_SHARP, F_INST, F_CLASS, F_COUNT };
static const char *const form_names[F_COUNT] = {"paper", "thm_sharp",
                                                "sharp", "class"};
static const as_theory_bound_kind form_kinds[T_COUNT][F_COUNT - 1] = {
    {AS_THEORY_THM14, AS_THEORY_THM14_SHARP, AS_THEORY_THM14_INSTANCE_SHARP},
    {AS_THEORY_THM6, AS_THEORY_THM6_SHARP, AS_THEORY_THM6_INSTANCE_SHARP},
    {AS_THEORY_THM7, AS_THEORY_THM7_SHARP, AS_THEORY_THM7_INSTANCE_SHARP}};

static int bounds_of(const as_config *cfg, const ts_unit *u, int t, double n,
                     double m, double b[F_COUNT], as_err *err)
{
  double delta = cfg->delta;
  for (int f = 0; f < F_CLASS; f++) {
    as_bounds_chain ch;
    int rc = as_theory_bound(&u->s, form_kinds[t][f], delta, n, m, &ch, err);
    if (rc != AS_OK)
      return rc;
    b[f] = ch.kl;
  }
  if (t == T7) {
    as_bounds_chain ch;
    int rc = as_theory_bound(&u->s, AS_THEORY_THM7_CLASS, delta, n, m, &ch,
                             err);
    b[F_CLASS] = ch.kl;
    return rc;
  }
  double en = as_bounds_tail_sharp((double)u->PR->M, delta / 2.0, n);
  double em = as_bounds_tail_sharp((double)u->Pi->M, delta / 2.0, m);
  return as_theory_two_stage_ball(u->inst, u->Pi, u->PR,
                                  t == T14 ? u->inst->log_mu2 : u->inst->log_mu,
                                  u->s.beta, en, em, &b[F_CLASS], err);
}

static int ts_run_unit(const as_config *cfg, size_t cell, long rep,
                       as_rows *out, as_err *err)
{
  ts_unit u;
  int rc = unit_draw(cfg, cell, rep, &u, err);
  if (rc != AS_OK)
    return rc;
  double beta = cfg->beta[0], m = cell_m(cfg, cell);
  for (size_t ni = 0; ni < cfg->n_n && rc == AS_OK; ni++) {
    double n = (double)cfg->n[ni];
    size_t jr, ih, jk;
    if ((rc = unit_fit(cfg, cell, ni, rep, &u, &jr, &ih, &jk, err)) != AS_OK)
      break;
    const double *est[2] = {as_finite_member(u.Pi, ih),
                            as_finite_member(u.PR, jk)};
    const int thm[2] = {T14, T7};
    for (int e = 0; e < 2 && rc == AS_OK; e++) {
      as_metrics met;
      as_bounds_chain ch;
      if ((rc = as_metrics_compute(u.inst, beta, est[e], NULL, &met, err))
              != AS_OK
          || (rc = as_theory_bound(&u.s, form_kinds[thm[e]][F_INST],
                                   cfg->delta, n, m, &ch, err)) != AS_OK)
        break;
      as_result_row row;
      as_result_row_init(&row, cell, rep, thm_method[thm[e]], n, beta);
      row.m = m;
      row.lambda = 0.0;
      if (thm[e] == T7)
        row.gamma = beta;
      as_metrics_to_array(&met, row.metrics);
      row.iterations = (long)(e == 0 ? u.Pi->M : u.PR->M);
      row.theta_norm = NAN;
      row.status = AS_OK;
      row.aux = ch.kl;
      if (as_rows_push(out, &row) != AS_OK)
        rc = as_err_set(err, AS_ENOMEM, "out of memory");
    }
  }
  unit_free(&u);
  return rc;
}

/* ---- summary ------------------------------------------------------------ */

/* Slack budget of the sharp instance form at the quantile replicate
 * (thm6-distill.md "Slack budget"): factors that multiply to
 * bound_min / kl_quantile. */
enum { G_TAIL, G_CONV, G_COVERAGE, G_MINKOWSKI, G_RANGES, G_KL, G_REPLICATE,
       G_COUNT };
static const char *const budget_names[G_COUNT] = {
    "budget_tail", "budget_conversion", "budget_coverage", "budget_minkowski",
    "budget_ranges", "budget_kl_square", "budget_replicate"};

static double sq_sum(double ca, double a, double cb, double b)
{
  double s = sqrt(ca * a) + sqrt(cb * b);
  return s * s;
}

static int cell_budget(const as_config *cfg, size_t cell, size_t ni, int t,
                       long rep, double bmin, double kl_q, double g[G_COUNT],
                       as_err *err)
{
  for (int k = 0; k < G_COUNT; k++)
    g[k] = NAN;
  if (!(kl_q > 0.0))
    return AS_OK;
  ts_unit u;
  int rc = unit_draw(cfg, cell, rep, &u, err);
  if (rc != AS_OK)
    return rc;
  double beta = cfg->beta[0], n = (double)cfg->n[ni], m = cell_m(cfg, cell);
  size_t jr, ih, jk;
  as_theory_chain cf, cr;
  as_theory_pair pr;
  as_bounds_chain bs;
  rc = unit_fit(cfg, cell, ni, rep, &u, &jr, &ih, &jk, err);
  const double *lhat = t == T7 ? as_finite_member(u.PR, jk)
                               : as_finite_member(u.Pi, ih);
  const double *lr = as_finite_member(u.PR, jr);
  if (rc == AS_OK)
    rc = as_theory_chain_member(u.inst, lhat, beta, &cf, err);
  if (rc == AS_OK)
    rc = as_theory_chain_member(u.inst, lr, beta, &cr, err);
  if (rc == AS_OK)
    rc = as_theory_pair_member(u.inst, lhat, lr,
                               t == T14 ? u.inst->log_mu2 : u.inst->log_mu,
                               beta, &pr, err);
  if (rc == AS_OK)
    rc = as_theory_bound(&u.s, form_kinds[t][F_INST], cfg->delta, n, m, &bs,
                         err);
  if (rc == AS_OK && cf.kl != kl_q)
    rc = as_err_set(err, AS_EINVAL, "finite-distill summary: refitted KL "
                    "%.17g of replicate %ld differs from the run's %.17g",
                    cf.kl, rep, kl_q);
  if (rc == AS_OK) {
    double phi_q = as_bounds_phi(cf.B_v_up);
    g[G_RANGES] = bs.phi / phi_q;
    g[G_KL] = phi_q * cf.reward_sq_target / (beta * beta * cf.kl);
    g[G_REPLICATE] = bmin / bs.kl;
    if (t == T7) { /* single stage over Π_R */
      double hl_q = 0.5 * as_bounds_hl_const(cf.B_sigma);
      g[G_TAIL] = bs.hel_sq / cf.hellinger2;
      g[G_CONV] = hl_q * cf.hellinger2 / cf.reward_sq_mu;
      g[G_RANGES] *= bs.lemma8 / hl_q;
      g[G_COVERAGE] = bs.coverage * cf.reward_sq_mu / cf.reward_sq_target;
      g[G_MINKOWSKI] = 1.0;
    } else {
      double cm = bs.coverage, cn = bs.coverage_R, Bp2 = bs.B_pair * bs.B_pair;
      double SA = sq_sum(cm, bs.reward_sq_m, cn, bs.reward_sq_mu);
      double SAr = sq_sum(cm, 0.5 * Bp2 * pr.dis, cn,
                          bs.lemma8 * cr.hellinger2);
      double Sa = sq_sum(cm, pr.var_nu, cn, cr.reward_sq_mu);
      g[G_TAIL] = SA / SAr;
      g[G_CONV] = SAr / Sa;
      if (t == T6) { /* Minkowski under μ, then Definition 3 on f */
        double mk = sq_sum(1, pr.var_nu, 1, cr.reward_sq_mu);
        g[G_MINKOWSKI] = mk / cf.reward_sq_mu;
        g[G_COVERAGE] = cm * cf.reward_sq_mu / cf.reward_sq_target;
      } else { /* C' and C_{Π_R} per term, then Minkowski under π* */
        double mk = sq_sum(1, pr.target_sq, 1, cr.reward_sq_target);
        g[G_COVERAGE] = Sa / mk;
        g[G_MINKOWSKI] = mk / cf.reward_sq_target;
      }
    }
  }
  unit_free(&u);
  return rc;
}

static void put(FILE *f, double v, int last)
{
  fprintf(f, "%.17g%c", v, last ? '\n' : ',');
}

/* bnd[((cell·R + rep)·#n + ni)·T_COUNT·F_COUNT + t·F_COUNT + f] */
static int all_bounds(const as_config *cfg, const as_rows *rows, double *bnd,
                      as_err *err)
{
  size_t R = (size_t)cfg->replicates, nn = cfg->n_n;
  int rc = AS_OK;
  for (size_t cell = 0; cell < ts_n_cells(cfg) && rc == AS_OK; cell++)
    for (size_t rep = 0; rep < R && rc == AS_OK; rep++) {
      ts_unit u;
      if ((rc = unit_draw(cfg, cell, (long)rep, &u, err)) != AS_OK)
        break;
      for (size_t ni = 0; ni < nn && rc == AS_OK; ni++) {
        size_t k = (cell * R + rep) * nn + ni;
        for (int t = 0; t < T_COUNT && rc == AS_OK; t++) {
          double *b = bnd + (k * T_COUNT + (size_t)t) * F_COUNT;
          if (!thm_applies(cfg, cell, t)) {
            for (int f = 0; f < F_COUNT; f++)
              b[f] = NAN;
            continue;
          }
          rc = bounds_of(cfg, &u, t, (double)cfg->n[ni], cell_m(cfg, cell),
                         b, err);
          /* the run's aux is this bound (rows: distill, rkl per n) */
          const as_result_row *row = &rows->row[2 * k + (t == T7)];
          if (rc == AS_OK && t != T6 && row->aux != b[F_INST])
            rc = as_err_set(err, AS_EINVAL, "finite-distill summary: cell "
                            "%zu replicate %zu: bound %.17g differs from the "
                            "run's %.17g", cell, rep, b[F_INST], row->aux);
        }
      }
      unit_free(&u);
    }
  return rc;
}

static const char *mu2_label(as_mu_kind k)
{
  switch (k) {
  case AS_MU_SAME: return "mu";
  case AS_MU_REF: return "ref";
  case AS_MU_UNIFORM: return "uniform";
  case AS_MU_STAR: return "star";
  default: return "drawn";
  }
}

static int ts_write_summary(FILE *f, const as_config *cfg,
                            const as_rows *rows, as_err *err)
{
  size_t R = (size_t)cfg->replicates, cells = ts_n_cells(cfg);
  size_t nn = cfg->n_n;
  if (rows->count != cells * R * nn * 2)
    return as_err_set(err, AS_EINVAL, "finite-distill summary: %zu rows",
                      rows->count);
  fputs("mu2,m,n,theorem,method,class_size,reward_class_size,delta,"
        "replicates,kl_quantile,kl_median", f);
  for (int k = 0; k < F_COUNT; k++)
    fprintf(f, ",bound_%s,slack_%s,violations_%s", form_names[k],
            form_names[k], form_names[k]);
  for (int k = 0; k < G_COUNT; k++)
    fprintf(f, ",%s", budget_names[k]);
  fputc('\n', f);
  double *bnd = malloc(cells * R * nn * T_COUNT * F_COUNT * sizeof *bnd);
  as_rep_value *order = malloc(R * sizeof *order);
  int rc = AS_OK;
  if (bnd == NULL || order == NULL)
    rc = as_err_set(err, AS_ENOMEM, "out of memory");
  if (rc == AS_OK)
    rc = all_bounds(cfg, rows, bnd, err);
  double q = 1.0 - cfg->delta;
  for (size_t cell = 0; cell < cells && rc == AS_OK; cell++)
    for (size_t ni = 0; ni < nn && rc == AS_OK; ni++)
      for (int t = 0; t < T_COUNT && rc == AS_OK; t++) {
        if (!thm_applies(cfg, cell, t))
          continue;
        long viol[F_COUNT] = {0};
        double bmin[F_COUNT];
        for (int k = 0; k < F_COUNT; k++)
          bmin[k] = INFINITY;
        for (size_t r = 0; r < R; r++) {
          size_t k = (cell * R + r) * nn + ni;
          double kl = rows->row[2 * k + (t == T7)].metrics[0];
          const double *b = bnd + (k * T_COUNT + (size_t)t) * F_COUNT;
          for (int j = 0; j < F_COUNT; j++) {
            viol[j] += !(kl <= b[j]);
            bmin[j] = fmin(bmin[j], b[j]);
          }
          order[r].value = kl;
          order[r].rep = (long)r;
        }
        as_quantile_sort(order, R);
        size_t jq = as_quantile_rank(R, q);
        double klq = order[jq - 1].value;
        double klmed = R % 2 ? order[R / 2].value
                             : 0.5 * (order[R / 2 - 1].value + order[R / 2].value);
        double g[G_COUNT];
        rc = cell_budget(cfg, cell, ni, t, order[jq - 1].rep, bmin[F_INST],
                         klq, g, err);
        if (rc != AS_OK)
          break;
        fprintf(f, "%s,%.17g,%llu,%s,%s,%ld,%ld,",
                mu2_label(cell_mu2(cfg, cell)), cell_m(cfg, cell),
                (unsigned long long)cfg->n[ni], thm_names[t], thm_method[t],
                cfg->cls.sizes[1], cfg->cls.sizes[0]);
        put(f, cfg->delta, 0);
        fprintf(f, "%zu,", R);
        put(f, klq, 0);
        put(f, klmed, 0);
        for (int k = 0; k < F_COUNT; k++) {
          put(f, bmin[k], 0);
          put(f, bmin[k] / klq, 0);
          fprintf(f, "%ld,", viol[k]);
        }
        for (int k = 0; k < G_COUNT; k++)
          put(f, g[k], k == G_COUNT - 1);
      }
  if (rc == AS_OK && ferror(f))
    rc = as_err_set(err, AS_EIO, "finite-distill summary: write error");
  free(bnd);
  free(order);
  return rc;
}

const as_experiment_kind as_kind_two_stage = {
  .name = "finite-distill",
  .aux_name = "bound_sharp_instance",
  .check = ts_check,
  .n_cells = ts_n_cells,
  .run_unit = ts_run_unit,
  .write_summary = ts_write_summary,
};
