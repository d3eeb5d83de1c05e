/* test_experiment.c — the experiment runner (as_experiment.h), its rate
 * fits (as_rates.h) and its output files (as_results.h).
 *
 * Independent routes: the seed rule is checked by redrawing a unit's
 * instance by hand and recomputing its RLHF floor; tuned rows are checked
 * against the rows of a "fixed" run (the oracle picks their minimum, the
 * held-out rule never beats it); the population RLHF error is checked
 * against the floor (it cannot go below it); the rate fit against synthetic
 * data of known slope; thread independence by comparing whole files. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "as_config.h"
#include "as_dilemma.h"
#include "as_experiment.h"
#include "as_rates.h"
#include "as_rng.h"

static const char *small_cfg =
  "experiment = \"t\";\n"
  "instance = { K = 3; V = 4; };\n"
  "beta = 1.0;\n"
  "n = [100, 1000, 10000];\n"
  "population = true;\n"
  "lambda = { from = 1e-3; to = 1e2; points = 16; };\n"
  "methods = [\"rlhf\", \"rkl\", \"pmle\", \"dpo\"];\n"
  "replicates = 3;\n"
  "seed = 7;\n";

static as_config *parse(const char *txt, const char *extra)
{
  char buf[4096];
  snprintf(buf, sizeof buf, "%s%s", txt, extra ? extra : "");
  as_config *c;
  as_err e;
  int rc = as_config_parse_string(buf, "test.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "config: %s", e.msg);
  return c;
}

static void compute(const as_config *c, int threads, as_rows *rows)
{
  as_err e;
  as_err_clear(&e);
  int rc = as_experiment_compute(c, threads, 0, rows, &e);
  ck_assert_msg(rc == AS_OK, "compute: %s", e.msg);
}

START_TEST(test_rows_and_seed_rule)
{
  as_config *c = parse(small_cfg, NULL);
  as_rows rows;
  compute(c, 2, &rows);
  /* 4 cells (3 n + population) × 3 replicates × 4 methods */
  ck_assert_uint_eq(rows.count, 4 * 3 * 4);
  for (size_t i = 0; i < rows.count; i++) {
    const as_result_row *r = &rows.row[i];
    size_t unit = i / 4;
    ck_assert_uint_eq(r->cell, unit / 3);
    ck_assert_int_eq(r->replicate, (long)(unit % 3));
    ck_assert_str_eq(r->method, as_method_name(c->methods[i % 4]));
    ck_assert(r->n == (r->cell < 3 ? (double)c->n[r->cell] : INFINITY));
    ck_assert_msg(r->metrics[0] >= 0, "fwd_kl %g", r->metrics[0]);
    /* the seed rule: the instance of replicate r is drawn from
     * as_rng_derive(seed, 0, r) — redraw it and recompute the floor */
    uint64_t s, q;
    as_rng_derive(c->seed, 0, (uint64_t)r->replicate, &s, &q);
    gsl_rng *g = as_rng_new(s, q);
    as_instance *inst = as_instance_new(3, 4);
    as_err e;
    ck_assert_int_eq(as_instance_draw(inst, &c->instance, g, &e), AS_OK);
    as_dilemma d;
    ck_assert_int_eq(as_dilemma_floor(inst, 1.0, &d, &e), AS_OK);
    ck_assert_msg(r->rlhf_floor == d.floor, "row %zu: floor %.17g vs %.17g",
                  i, r->rlhf_floor, d.floor);
    as_instance_free(inst);
    gsl_rng_free(g);
    /* λ-free DPO has no λ; the others report one from the grid */
    if (strcmp(r->method, "dpo") == 0)
      ck_assert(isnan(r->lambda));
    else
      ck_assert(r->lambda >= 1e-3 && r->lambda <= 1e2);
  }
  /* Population limit: the reward is exact (ridge 0), so RLHF's policy is
   * π_λ ∝ π_ref π*^{β/λ} and the oracle's error is min over the grid of
   * f(β/λ) = E_ρ KL(π*‖π_λ), computed here by as_dilemma_kl_at; it can never
   * be below F_RLHF. */
  for (size_t i = 0; i < rows.count; i++) {
    const as_result_row *r = &rows.row[i];
    if (!isinf(r->n))
      continue;
    if (strcmp(r->method, "rlhf") == 0) {
      uint64_t s, q;
      as_rng_derive(c->seed, 0, (uint64_t)r->replicate, &s, &q);
      gsl_rng *g = as_rng_new(s, q);
      as_instance *inst = as_instance_new(3, 4);
      as_err e;
      ck_assert_int_eq(as_instance_draw(inst, &c->instance, g, &e), AS_OK);
      double best = INFINITY;
      for (size_t k = 0; k < c->n_lambda; k++)
        best = fmin(best, as_dilemma_kl_at(inst, 1.0 / c->lambda[k], NULL));
      ck_assert_msg(fabs(r->metrics[0] - best) < 1e-8,
                    "population RLHF %.17g, grid minimum of f %.17g",
                    r->metrics[0], best);
      ck_assert_msg(r->metrics[0] >= r->rlhf_floor - 1e-9,
                    "population RLHF %.17g below floor %.17g", r->metrics[0],
                    r->rlhf_floor);
      as_instance_free(inst);
      gsl_rng_free(g);
    }
    if (strcmp(r->method, "rkl") == 0) /* λ = 1e-3: π ∝ π_ref^{λ/(λ+β)} π*^{β/(λ+β)} */
      ck_assert_msg(r->metrics[0] < 1e-5, "population RKL %g", r->metrics[0]);
  }
  as_rows_clear(&rows);
  as_config_free(c);
}
END_TEST

START_TEST(test_threads_identical_rows)
{
  as_config *c = parse(small_cfg, NULL);
  as_rows a, b;
  compute(c, 1, &a);
  compute(c, 3, &b);
  ck_assert_uint_eq(a.count, b.count);
  ck_assert(memcmp(a.row, b.row, a.count * sizeof *a.row) == 0);
  as_rows_clear(&a);
  as_rows_clear(&b);
  as_config_free(c);
}
END_TEST

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
  buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

START_TEST(test_threads_identical_files)
{
  as_config *c = parse(small_cfg, NULL);
  char d1[] = "/tmp/test_experiment_XXXXXX", d2[] = "/tmp/test_experiment_XXXXXX";
  ck_assert(mkdtemp(d1) != NULL && mkdtemp(d2) != NULL);
  as_run_opts o;
  as_run_opts_default(&o);
  o.plots = 0;
  o.progress = 0;
  as_err e;
  o.out_dir = d1;
  o.threads = 1;
  ck_assert_msg(as_experiment_run(c, &o, &e) == AS_OK, "%s", e.msg);
  o.out_dir = d2;
  o.threads = 2;
  ck_assert_msg(as_experiment_run(c, &o, &e) == AS_OK, "%s", e.msg);
  const char *files[] = {"results.csv", "summary.csv", "table.txt",
                         "curve_rlhf.dat", "plot_params.gp"};
  for (size_t i = 0; i < 5; i++) {
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/%s", d1, files[i]);
    snprintf(p2, sizeof p2, "%s/%s", d2, files[i]);
    size_t l1, l2;
    char *b1 = slurp(p1, &l1), *b2 = slurp(p2, &l2);
    ck_assert_msg(l1 == l2 && memcmp(b1, b2, l1) == 0, "%s differs",
                  files[i]);
    if (i == 0) { /* header + one line per row, every row 31 fields */
      size_t lines = 0;
      for (size_t k = 0; k < l1; k++)
        lines += b1[k] == '\n';
      ck_assert_uint_eq(lines, 1 + 4 * 3 * 4);
    }
    free(b1);
    free(b2);
  }
  /* the manifest holds the configuration: it parses back to the same run */
  char pm[256];
  snprintf(pm, sizeof pm, "%s/manifest", d1);
  as_config *back;
  ck_assert_msg(as_config_read(pm, &back, &e) == AS_OK, "%s", e.msg);
  as_rows a, b;
  compute(c, 1, &a);
  compute(back, 1, &b);
  ck_assert(a.count == b.count
            && memcmp(a.row, b.row, a.count * sizeof *a.row) == 0);
  as_rows_clear(&a);
  as_rows_clear(&b);
  as_config_free(back);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", d1, d2);
  ck_assert_int_eq(system(cmd), 0);
  as_config_free(c);
}
END_TEST

/* Field `col` (0-based) of CSV line `line` into out (no quoting in these
 * files); returns 0 when the line has fewer fields. */
static int csv_field(const char *line, size_t col, char *out, size_t size)
{
  for (size_t i = 0; i < col; i++) {
    line = strchr(line, ',');
    if (line == NULL)
      return 0;
    line++;
  }
  size_t len = strcspn(line, ",\n");
  if (len >= size)
    len = size - 1;
  memcpy(out, line, len);
  out[len] = '\0';
  return 1;
}

static size_t csv_col(const char *header, const char *name)
{
  char f[128];
  for (size_t i = 0; csv_field(header, i, f, sizeof f); i++)
    if (strcmp(f, name) == 0)
      return i;
  ck_abort_msg("no column %s", name);
  return 0;
}

/* summary.csv's rate row must say how many of the rows it fitted did not
 * converge (they enter the medians): its not_converged is the sum of the
 * stat rows' not_converged over the fitted points n >= rate_fit_min_n.
 * Independent route: the per-row statuses of the computed rows.  DPO on
 * n = 100..10^4 with its default step budget leaves non-converged rows,
 * so the check is not vacuous (asserted below). */
START_TEST(test_rate_row_counts_not_converged)
{
  as_config *c = parse(small_cfg, "rate_fit_min_n = 100.0;\n");
  char d[] = "/tmp/test_experiment_XXXXXX";
  ck_assert(mkdtemp(d) != NULL);
  as_run_opts o;
  as_run_opts_default(&o);
  o.plots = 0;
  o.progress = 0;
  o.out_dir = d;
  as_err e;
  ck_assert_msg(as_experiment_run(c, &o, &e) == AS_OK, "%s", e.msg);
  as_rows rows;
  compute(c, 1, &rows);
  const char *meth[] = {"rlhf", "rkl", "pmle", "dpo"};
  long expect[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < rows.count; i++)
    for (size_t k = 0; k < 4; k++)
      if (strcmp(rows.row[i].method, meth[k]) == 0 && isfinite(rows.row[i].n)
          && rows.row[i].n >= 100 && rows.row[i].status != AS_OK)
        expect[k]++;
  ck_assert_msg(expect[3] > 0, "no non-converged DPO row: the test checks "
                "nothing");
  char path[256];
  snprintf(path, sizeof path, "%s/summary.csv", d);
  size_t len;
  char *buf = slurp(path, &len);
  size_t c_row = csv_col(buf, "row"), c_meth = csv_col(buf, "method"),
         c_nc = csv_col(buf, "not_converged");
  int seen[4] = {0, 0, 0, 0};
  for (char *line = strchr(buf, '\n'); line && line[1]; line = strchr(line, '\n')) {
    line++;
    char kind[16], m[32], nc[32];
    ck_assert(csv_field(line, c_row, kind, sizeof kind)
              && csv_field(line, c_meth, m, sizeof m)
              && csv_field(line, c_nc, nc, sizeof nc));
    if (strcmp(kind, "rate") != 0)
      continue;
    for (size_t k = 0; k < 4; k++)
      if (strcmp(m, meth[k]) == 0) {
        seen[k] = 1;
        char *end;
        long v = strtol(nc, &end, 10);
        ck_assert_msg(nc[0] != '\0' && *end == '\0' && v == expect[k],
                      "rate row of %s: not_converged '%s', expected %ld",
                      meth[k], nc, expect[k]);
      }
  }
  for (size_t k = 0; k < 4; k++)
    ck_assert_msg(seen[k], "no rate row for %s", meth[k]);
  free(buf);
  as_rows_clear(&rows);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
  ck_assert_int_eq(system(cmd), 0);
  as_config_free(c);
}
END_TEST

/* A kind whose cells vary in more than (β, n) — E5's μ power — gets one
 * rate row per value of that coordinate, each fitted on its own cells
 * only: before, both μ powers' medians at each n went into one curve (4
 * points for 2 values of n, a slope of neither).  Independent route: the
 * least-squares slope through (log n, log median fwd_kl) of each family's
 * cells, computed here from the rows by the closed form
 * Σ(x−x̄)(y−ȳ)/Σ(x−x̄)². */
START_TEST(test_rate_rows_per_cell_family)
{
  as_config *c = parse(
    "experiment = \"t\";\nkind = \"coverage\";\n"
    "instance = { K = 3; V = 4; };\n"
    "class = { type = \"features\"; d = 3; realizable = true; };\n"
    "mu_power = [1.0, -1.0];\nbeta = 1.0;\n"
    "n = [1000, 10000, 100000];\nlambda = [0.0, 0.01];\n"
    "methods = [\"pmle\"];\nreplicates = 3;\nseed = 5;\n"
    "rate_fit_min_n = 1000.0;\n", NULL);
  char d[] = "/tmp/test_experiment_XXXXXX";
  ck_assert(mkdtemp(d) != NULL);
  as_run_opts o;
  as_run_opts_default(&o);
  o.plots = 0;
  o.progress = 0;
  o.out_dir = d;
  as_err e;
  ck_assert_msg(as_experiment_run(c, &o, &e) == AS_OK, "%s", e.msg);
  as_rows rows;
  compute(c, 1, &rows);
  /* expected slope of family f (cells 3f .. 3f+2) */
  double want[2];
  for (size_t f = 0; f < 2; f++) {
    double x[3], y[3], xm = 0, ym = 0;
    for (size_t i = 0; i < 3; i++) {
      double v[3];
      size_t k = 0;
      for (size_t r = 0; r < rows.count; r++)
        if (rows.row[r].cell == 3 * f + i)
          v[k++] = rows.row[r].metrics[0];
      ck_assert_uint_eq(k, 3);
      x[i] = log(rows.row[0].n * pow(10.0, (double)i));
      y[i] = log(as_rate_median(v, 3));
      xm += x[i] / 3;
      ym += y[i] / 3;
    }
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < 3; i++) {
      sxy += (x[i] - xm) * (y[i] - ym);
      sxx += (x[i] - xm) * (x[i] - xm);
    }
    want[f] = sxy / sxx;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/summary.csv", d);
  size_t len;
  char *buf = slurp(path, &len);
  size_t c_row = csv_col(buf, "row"), c_slope = csv_col(buf, "slope"),
         c_pts = csv_col(buf, "rate_points"), c_cell = csv_col(buf, "cell");
  size_t nrate = 0;
  for (char *line = strchr(buf, '\n'); line && line[1]; line = strchr(line, '\n')) {
    line++;
    char kind[16], sl[64], pts[16], cell[16];
    ck_assert(csv_field(line, c_row, kind, sizeof kind)
              && csv_field(line, c_slope, sl, sizeof sl)
              && csv_field(line, c_pts, pts, sizeof pts)
              && csv_field(line, c_cell, cell, sizeof cell));
    if (strcmp(kind, "rate") != 0)
      continue;
    ck_assert_str_eq(pts, "3");
    size_t f = (size_t)atoi(cell) / 3;
    ck_assert_msg(f < 2, "rate row names cell %s", cell);
    double got = strtod(sl, NULL);
    ck_assert_msg(fabs(got - want[f]) < 1e-9 * fabs(want[f]),
                  "family %zu: slope %.17g, closed form %.17g", f, got,
                  want[f]);
    nrate++;
  }
  ck_assert_uint_eq(nrate, 2);
  ck_assert_msg(fabs(want[0] - want[1]) > 0.05, "the two families have the "
                "same slope (%g, %g): the test would not see a mix", want[0],
                want[1]);
  free(buf);
  as_rows_clear(&rows);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
  ck_assert_int_eq(system(cmd), 0);
  as_config_free(c);
}
END_TEST

START_TEST(test_tuning_rules_against_fixed)
{
  /* The data streams do not depend on the tuning rule, so a "fixed" run
   * holds every candidate the tuned runs chose from. */
  const char *base =
    "experiment = \"t\"; instance = { K = 3; V = 4; }; beta = 1.0;\n"
    "n = [200, 5000]; lambda = { from = 1e-3; to = 1e2; points = 11; };\n"
    "methods = [\"rlhf\", \"rkl\", \"pmle\"]; replicates = 2; seed = 3;\n";
  as_config *cf = parse(base, "tuning = \"fixed\";\n");
  as_config *co = parse(base, "tuning = \"oracle\";\n");
  as_config *ch = parse(base, "tuning = \"heldout\"; heldout_fraction = 0.5;\n");
  as_rows rf, ro, rh;
  compute(cf, 2, &rf);
  compute(co, 2, &ro);
  compute(ch, 2, &rh);
  ck_assert_uint_eq(rf.count, 2 * 2 * 3 * 11);
  ck_assert_uint_eq(ro.count, 2 * 2 * 3);
  ck_assert_uint_eq(rh.count, ro.count);
  for (size_t i = 0; i < ro.count; i++) {
    const as_result_row *o = &ro.row[i], *h = &rh.row[i];
    double best = INFINITY, at = NAN;
    int found_h = 0;
    for (size_t j = 0; j < rf.count; j++) {
      const as_result_row *f = &rf.row[j];
      if (f->cell != o->cell || f->replicate != o->replicate
          || strcmp(f->method, o->method) != 0)
        continue;
      if (f->metrics[0] < best) {
        best = f->metrics[0];
        at = f->lambda;
      }
      if (f->lambda == h->lambda) {
        found_h = 1;
        ck_assert_msg(f->metrics[0] == h->metrics[0], "heldout row differs");
      }
    }
    ck_assert_msg(o->metrics[0] == best && o->lambda == at,
                  "oracle %.17g at %g, fixed minimum %.17g at %g",
                  o->metrics[0], o->lambda, best, at);
    ck_assert_msg(found_h, "heldout lambda %g not in the grid", h->lambda);
    ck_assert(h->metrics[0] >= o->metrics[0]);
    ck_assert(isfinite(h->heldout_score) && h->heldout_score < 0);
  }
  as_rows_clear(&rf);
  as_rows_clear(&ro);
  as_rows_clear(&rh);
  as_config_free(cf);
  as_config_free(co);
  as_config_free(ch);
}
END_TEST

/* The held-out rule picks, per unit, the λ whose validation likelihood is
 * largest.  Independent route: a held-out run whose grid is the single
 * value λ_k reports candidate k's score (the validation sample depends on
 * the cell and replicate only, not on the grid); the full-grid run must
 * choose the λ_k of the largest of those scores, and report that score. */
START_TEST(test_heldout_chooses_best_score)
{
  const double grid[5] = {1e-3, 1e-2, 1e-1, 1.0, 10.0};
  char extra[512];
  const char *base =
    "experiment = \"t\"; instance = { K = 3; V = 4; }; beta = 1.0;\n"
    "n = [300, 3000]; methods = [\"rlhf\", \"rkl\", \"pmle\"];\n"
    "replicates = 3; seed = 4; tuning = \"heldout\";\n"
    "heldout_fraction = 0.3;\n";
  snprintf(extra, sizeof extra, "lambda = [%.17e, %.17e, %.17e, %.17e, "
           "%.17e];\n", grid[0], grid[1], grid[2], grid[3], grid[4]);
  as_config *cfull = parse(base, extra);
  as_rows full, one[5];
  compute(cfull, 2, &full);
  for (size_t k = 0; k < 5; k++) {
    snprintf(extra, sizeof extra, "lambda = [%.17e];\n", grid[k]);
    as_config *c1 = parse(base, extra);
    compute(c1, 1, &one[k]);
    ck_assert_uint_eq(one[k].count, full.count);
    as_config_free(c1);
  }
  size_t interior = 0;
  for (size_t i = 0; i < full.count; i++) {
    const as_result_row *r = &full.row[i];
    double best = -INFINITY, at = NAN;
    for (size_t k = 0; k < 5; k++) {
      const as_result_row *q = &one[k].row[i];
      ck_assert(q->cell == r->cell && q->replicate == r->replicate
                && strcmp(q->method, r->method) == 0);
      ck_assert_msg(isfinite(q->heldout_score), "score %g", q->heldout_score);
      if (q->heldout_score > best) {
        best = q->heldout_score;
        at = grid[k];
      }
    }
    ck_assert_msg(r->lambda == at && r->heldout_score == best,
                  "%s cell %zu rep %ld: chose lambda %g (score %.17g), best "
                  "single-lambda score %.17g at %g", r->method, r->cell,
                  r->replicate, r->lambda, r->heldout_score, best, at);
    interior += at != grid[0] && at != grid[4];
  }
  /* not only the grid's ends: the rule really compares scores */
  ck_assert_msg(interior > 0, "every choice at an end of the grid");
  for (size_t k = 0; k < 5; k++)
    as_rows_clear(&one[k]);
  as_rows_clear(&full);
  as_config_free(cfull);
}
END_TEST

START_TEST(test_prior_smoothing_kind)
{
  /* Appendix B: two Newton solves of different objectives agree. */
  as_config *c = parse(
    "experiment = \"e8t\"; kind = \"prior-smoothing\";\n"
    "instance = { K = 3; V = 5; }; beta = [0.5, 2.0]; n = [1000];\n"
    "lambda = [0.01, 0.3, 1.0, 10.0]; gamma = 0.7; methods = [\"rkl\"];\n"
    "replicates = 2; tuning = \"fixed\";\n", NULL);
  as_rows rows;
  compute(c, 2, &rows);
  ck_assert_uint_eq(rows.count, 2 * 2 * 4);
  for (size_t i = 0; i < rows.count; i++)
    ck_assert_msg(rows.row[i].aux < 1e-8 && rows.row[i].status == AS_OK,
                  "row %zu: max |diff| %g status %d", i, rows.row[i].aux,
                  rows.row[i].status);
  as_rows_clear(&rows);
  as_config_free(c);
}
END_TEST

START_TEST(test_unsupported_kinds)
{
  /* a kind nobody registered (class.type picks the kind by default; the
   * finite and feature kinds are registered by their own files) */
  as_config *c = parse(small_cfg, "kind = \"no-such-kind\";\n");
  as_rows rows;
  as_err e;
  ck_assert_int_eq(as_experiment_compute(c, 1, 0, &rows, &e), AS_ENOTSUP);
  ck_assert_msg(strstr(e.msg, "is not known") != NULL, "%s", e.msg);
  ck_assert_uint_eq(rows.count, 0);
  as_config_free(c);
  c = parse(small_cfg, "kind = \"prior-smoothing\";\n");
  ck_assert_int_eq(as_experiment_compute(c, 1, 0, &rows, &e), AS_EINVAL);
  as_config_free(c);
}
END_TEST

START_TEST(test_rate_fit_known_slope)
{
  /* Noise-free power law: the fit is exact and the bootstrap CI collapses. */
  double n[6] = {1e2, 1e3, 1e4, 1e5, 1e6, INFINITY};
  const size_t R = 40;
  double *v = malloc(6 * R * sizeof *v);
  for (size_t i = 0; i < 6; i++)
    for (size_t r = 0; r < R; r++)
      v[i * R + r] = 3.0 * pow(n[i], -0.7);
  as_rate_fit f;
  as_err e;
  ck_assert_int_eq(as_rate_fit_medians(n, 6, v, R, 1e3, 200, 1, &f, &e),
                   AS_OK);
  ck_assert_uint_eq(f.points, 4); /* 1e3..1e6; ∞ and 1e2 left out */
  ck_assert_msg(fabs(f.slope + 0.7) < 1e-12, "slope %.17g", f.slope);
  ck_assert_msg(fabs(f.intercept - log(3.0)) < 1e-10, "icpt %.17g",
                f.intercept);
  ck_assert_msg(fabs(f.ci_lo + 0.7) < 1e-12 && fabs(f.ci_hi + 0.7) < 1e-12,
                "CI [%g, %g]", f.ci_lo, f.ci_hi);
  /* Log-normal noise σ = 0.3 per replicate: the log-median has s.d.
   * ≈ 1.2533 σ/√R = 0.059 per point; over 4 points spanning 3 decades the
   * slope's s.d. is ≈ 0.059/(ln 10 · √5) ≈ 0.011, so 5 s.d. is 0.06. */
  gsl_rng *g = as_rng_new(99, 1);
  for (size_t i = 0; i < 6; i++)
    for (size_t r = 0; r < R; r++)
      v[i * R + r] = 3.0 * pow(n[i], -0.7) * exp(gsl_ran_gaussian(g, 0.3));
  gsl_rng_free(g);
  ck_assert_int_eq(as_rate_fit_medians(n, 6, v, R, 1e3, 1000, 5, &f, &e),
                   AS_OK);
  ck_assert_msg(fabs(f.slope + 0.7) < 0.06, "slope %g", f.slope);
  ck_assert_msg(f.ci_lo < f.slope && f.slope < f.ci_hi && f.ci_hi - f.ci_lo
                < 0.2, "CI [%g, %g] around %g", f.ci_lo, f.ci_hi, f.slope);
  ck_assert_int_eq(f.boot, 1000);
  as_rate_fit f2;
  ck_assert_int_eq(as_rate_fit_medians(n, 6, v, R, 1e3, 1000, 5, &f2, &e),
                   AS_OK);
  ck_assert(f2.ci_lo == f.ci_lo && f2.ci_hi == f.ci_hi); /* fixed seed */
  ck_assert_int_eq(as_rate_fit_medians(n, 6, v, R, 1e6, 10, 5, &f, &e),
                   AS_EINVAL); /* one usable point */
  free(v);
  double odd[] = {3, 1, NAN, 2};
  ck_assert(as_rate_median(odd, 4) == 2);
}
END_TEST

int main(void)
{
  gsl_set_error_handler_off();
  Suite *s = suite_create("experiment");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_rows_and_seed_rule);
  tcase_add_test(tc, test_threads_identical_rows);
  tcase_add_test(tc, test_threads_identical_files);
  tcase_add_test(tc, test_tuning_rules_against_fixed);
  tcase_add_test(tc, test_heldout_chooses_best_score);
  tcase_add_test(tc, test_prior_smoothing_kind);
  tcase_add_test(tc, test_unsupported_kinds);
  tcase_add_test(tc, test_rate_fit_known_slope);
  tcase_add_test(tc, test_rate_row_counts_not_converged);
  tcase_add_test(tc, test_rate_rows_per_cell_family);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
