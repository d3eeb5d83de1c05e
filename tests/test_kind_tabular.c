/* test_kind_tabular.c — E9's bound quantity: Theorem 4's constant on the
 * tabular class (as_tab_bound_constant, sim/as_tabular.h) and the config
 * key `bounds = "theorem4-constant"` of the tabular kind
 * (sim/as_kind_tabular.c).
 *
 * Independent routes:
 *   - the constant recomputed from the instance with this file's own
 *     R_max({π*}) loop (probabilities, not the library's centring) and the
 *     scalar functions of as_bounds.h, assembled by hand;
 *   - constant · log(|Π|/δ)/n equals the whole Theorem-4 bound of
 *     as_bounds_theorem4 at any (|Π|, δ, n): it is the bound per unit of
 *     log(|Π|/δ)/n;
 *   - β-scaling derived in proofs/README.md ("E9"): R_max = βD, so R_max
 *     doubles with β and C_tab does not move; with κ(B) = 1/(4cosh²(B/2))
 *     and c₁ = 2 the constant is exactly 16 C φ(2D) cosh⁴(βD)/β², so
 *     β² · constant → 16 C φ(2D) as β → 0 and log constant − 4βD + 2 log β
 *     → log(C φ(2D)) as β → ∞; the β-derivative of log constant is
 *     −2/β + 4D tanh(βD) (finite differences), so the constant falls below
 *     β* and rises above it, β* the root of 2Dβ tanh(βD) = 1;
 *   - the kind: with the key, every row's aux is the constant of its own
 *     replicate's instance at its cell's β, every other field is unchanged,
 *     and results.csv differs from the run without the key only in the last
 *     column; without the key the last column is "aux" and NaN (what the
 *     kind wrote before the key existed); other kinds reject the key. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "as_bounds.h"
#include "as_config.h"
#include "as_coverage.h"
#include "as_experiment.h"
#include "as_math.h"
#include "as_rng.h"
#include "as_tabular.h"

static void normalise_rows(double *lp, size_t K, size_t V)
{
  for (size_t x = 0; x < K; x++)
    as_log_softmax(lp + x * V, V, lp + x * V);
}

/* π*, μ with Gaussian logits; context 0 gets ρ = 0 and a π* far more
 * spread than the others, so a loop that forgot ρ would see it. */
static as_instance *random_instance(gsl_rng *r, size_t K, size_t V)
{
  as_instance *inst = as_instance_new(K, V);
  for (size_t i = 0; i < K * V; i++) {
    inst->log_pi_star[i] = gsl_ran_gaussian(r, i < V ? 6.0 : 1.0);
    inst->log_mu[i] = gsl_ran_gaussian(r, 0.7);
    inst->log_pi_ref[i] = inst->log_mu[i];
    inst->log_mu2[i] = inst->log_mu[i];
  }
  normalise_rows(inst->log_pi_star, K, V);
  normalise_rows(inst->log_mu, K, V);
  normalise_rows(inst->log_pi_ref, K, V);
  normalise_rows(inst->log_mu2, K, V);
  inst->log_rho[0] = -INFINITY;
  for (size_t x = 1; x < K; x++)
    inst->log_rho[x] = -log((double)(K - 1));
  return inst;
}

/* D = R_max({π*})/β: max over x with ρ > 0, y of
 * |log π*(y|x) − Σ_y' μ(y'|x) log π*(y'|x)|. */
static double own_D(const as_instance *inst)
{
  size_t K = inst->K, V = inst->V;
  double D = 0;
  for (size_t x = 0; x < K; x++) {
    if (!(exp(inst->log_rho[x]) > 0))
      continue;
    double mean = 0;
    for (size_t y = 0; y < V; y++)
      mean += exp(inst->log_mu[x * V + y]) * inst->log_pi_star[x * V + y];
    for (size_t y = 0; y < V; y++)
      D = fmax(D, fabs(inst->log_pi_star[x * V + y] - mean));
  }
  return D;
}

/* Theorem 4's constant assembled by hand from the scalar lemmas. */
static double own_constant(double C, double R, double beta)
{
  double k = as_bounds_kappa(2 * R);
  return C * as_bounds_phi(2 * R / beta) * as_bounds_c1()
         / (2 * beta * beta * k * k);
}

static double bound_of(const as_instance *inst, double beta, as_tab_bound *b)
{
  as_err e;
  int rc = as_tab_bound_constant(inst, beta, b, &e);
  ck_assert_msg(rc == AS_OK, "beta %g: rc %d: %s", beta, rc, e.msg);
  return b->constant;
}

START_TEST(test_constant_independent)
{
  gsl_rng *r = as_rng_new(4242, 1);
  const double betas[] = {0.05, 0.125, 0.5, 1, 2.5, 8};
  for (int t = 0; t < 5; t++) {
    as_instance *inst = random_instance(r, 4, 3 + (size_t)t);
    double D = own_D(inst), C;
    as_err e;
    ck_assert_int_eq(as_coverage_tabular(inst, &C, NULL, NULL, &e), AS_OK);
    for (size_t i = 0; i < sizeof betas / sizeof betas[0]; i++) {
      double beta = betas[i];
      as_tab_bound b;
      bound_of(inst, beta, &b);
      /* rounding only: a few ulps of log π* in the centring */
      ck_assert_msg(fabs(b.R_max - beta * D) <= 1e-13 * beta * D,
                    "t %d beta %g: R_max %.17g, own loop %.17g", t, beta,
                    b.R_max, beta * D);
      ck_assert_msg(b.C_tab == C, "C_tab %.17g vs %.17g", b.C_tab, C);
      double want = own_constant(C, beta * D, beta);
      /* the R_max rounding enters through κ(2R)² ~ e^{4R}: 1e-13·4R */
      double tol = 1e-12 * (1 + 4 * beta * D);
      ck_assert_msg(fabs(b.constant / want - 1) <= tol,
                    "t %d beta %g: constant %.17g, by hand %.17g", t, beta,
                    b.constant, want);
      /* the bound per unit of log(|Π|/δ)/n */
      const double sizes[] = {1, 7, 1e6}, deltas[] = {0.05, 0.5, 1e-3},
                   ns[] = {10, 1e4, 3e7};
      for (int j = 0; j < 3; j++) {
        as_bounds_chain ch;
        ck_assert_int_eq(as_bounds_theorem4(b.R_max, beta, deltas[j], C,
                                            sizes[j], ns[j], &ch, &e), AS_OK);
        double per = b.constant * log(sizes[j] / deltas[j]) / ns[j];
        ck_assert_msg(fabs(per / ch.kl - 1) <= 1e-13,
                      "beta %g |Pi| %g delta %g n %g: constant*log/n %.17g, "
                      "Theorem 4 %.17g", beta, sizes[j], deltas[j], ns[j],
                      per, ch.kl);
      }
    }
    as_instance_free(inst);
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_beta_scaling)
{
  gsl_rng *r = as_rng_new(77, 1);
  for (int t = 0; t < 4; t++) {
    as_instance *inst = random_instance(r, 3, 5);
    as_tab_bound b1, b2;
    double D = own_D(inst);
    for (double beta = 0.1; beta < 10; beta *= 1.7) {
      bound_of(inst, beta, &b1);
      bound_of(inst, 2 * beta, &b2);
      /* R_max = βD: doubling β doubles R_max exactly up to rounding */
      ck_assert_msg(fabs(b2.R_max - 2 * b1.R_max) <= 1e-13 * b2.R_max,
                    "beta %g: R_max(2beta) %.17g, 2 R_max(beta) %.17g", beta,
                    b2.R_max, 2 * b1.R_max);
      ck_assert_msg(b1.C_tab == b2.C_tab, "C_tab moved with beta: %.17g "
                    "%.17g", b1.C_tab, b2.C_tab);
    }
    double C = b1.C_tab, lim0 = 16 * C * as_bounds_phi(2 * D);
    /* the closed form c(β) = 16 C φ(2D) cosh⁴(βD)/β² at every β (cosh, not
     * κ: a second route to Lemma 8's constant); rounding of R_max enters
     * through cosh⁴ ~ e^{4βD}, hence the 4βD in the tolerance */
    double beta;
    for (beta = 1e-3; beta < 30 / D; beta *= 1.6) {
      double ch = cosh(beta * D);
      double want = lim0 * ch * ch * ch * ch / (beta * beta);
      double got = bound_of(inst, beta, &b1);
      ck_assert_msg(fabs(got / want - 1) <= 1e-12 * (1 + 4 * beta * D),
                    "beta %g: constant %.17g, 16 C phi(2D) cosh^4/beta^2 "
                    "%.17g", beta, got, want);
    }
    /* β → 0: β²·constant → 16 C φ(2D) from above (cosh⁴ ≥ 1), relative
     * gap cosh⁴(βD) − 1 ≈ 2(βD)² */
    beta = 1e-4;
    double lhs = beta * beta * bound_of(inst, beta, &b1);
    double g0 = lhs / lim0 - 1, x2 = (beta * D) * (beta * D);
    ck_assert_msg(g0 >= 0 && g0 <= 2 * x2 * 1.01 + 1e-12,
                  "beta^2 c(beta) %.17g, limit 16 C phi(2D) %.17g (D %g)",
                  lhs, lim0, D);
    /* β → ∞: log c − 4βD + 2 log β − log(C φ(2D)) = 4 log(1 + e^{−2βD}),
     * below 4e^{−2βD} = 4e^{−40} at 2βD = 40 */
    beta = 20 / D;
    double gap = log(bound_of(inst, beta, &b1)) - 4 * beta * D
                 + 2 * log(beta) - log(C * as_bounds_phi(2 * D));
    ck_assert_msg(fabs(gap) <= 1e-12 * 4 * beta * D + 4 * exp(-40),
                  "large-beta gap %.3g", gap);
    /* d log c / dβ = −2/β + 4D tanh(βD), against central differences
     * (step h = 1e-5 β: truncation ~ h² |third derivative| ≲ 1e-9) */
    for (beta = 0.05; beta < 6; beta *= 1.9) {
      double h = 1e-5 * beta;
      double fd = (log(bound_of(inst, beta + h, &b1))
                   - log(bound_of(inst, beta - h, &b2))) / (2 * h);
      double an = -2 / beta + 4 * D * tanh(beta * D);
      ck_assert_msg(fabs(fd - an) <= 1e-6 * (fabs(an) + 2 / beta),
                    "beta %g: d log c/d beta by differences %.12g, closed "
                    "form %.12g", beta, fd, an);
    }
    /* one minimiser β*: 2Dβ tanh(βD) = 1 (bisection; the left side
     * increases in β); c decreases before it and increases after */
    double lo = 1e-6, hi = 100;
    for (int it = 0; it < 200; it++) {
      double mid = 0.5 * (lo + hi);
      if (2 * D * mid * tanh(mid * D) < 1)
        lo = mid;
      else
        hi = mid;
    }
    double bstar = 0.5 * (lo + hi), prev = INFINITY;
    /* in u = βD the root solves 2u tanh u = 1: u₀ = 0.7717023192091041
     * (bisection in Python, proofs/README.md) for every instance */
    ck_assert_msg(fabs(bstar * D - 0.7717023192091041) <= 1e-12,
                  "beta* D = %.17g", bstar * D);
    for (beta = bstar / 8; beta <= bstar * 1.0001; beta *= 1.25) {
      double c = bound_of(inst, beta, &b1);
      ck_assert_msg(c < prev, "not decreasing below beta* = %g at %g", bstar,
                    beta);
      prev = c;
    }
    prev = bound_of(inst, bstar, &b1);
    for (beta = bstar * 1.25; beta < bstar * 8; beta *= 1.25) {
      double c = bound_of(inst, beta, &b1);
      ck_assert_msg(c > prev, "not increasing above beta* = %g at %g", bstar,
                    beta);
      prev = c;
    }
    as_instance_free(inst);
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_bad_input)
{
  gsl_rng *r = as_rng_new(5, 1);
  as_instance *inst = random_instance(r, 2, 3);
  as_tab_bound b;
  as_err e;
  ck_assert_int_eq(as_tab_bound_constant(inst, 0, &b, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "beta") != NULL, "%s", e.msg);
  ck_assert_int_eq(as_tab_bound_constant(inst, INFINITY, &b, &e), AS_EINVAL);
  inst->log_pi_star[inst->V + 1] = -INFINITY; /* context 1, ρ > 0 */
  ck_assert_int_eq(as_tab_bound_constant(inst, 1, &b, &e), AS_EINVAL);
  /* −∞ in π* makes the whole context's centring infinite */
  ck_assert_msg(strstr(e.msg, "x = 1, y = 0") != NULL, "%s", e.msg);
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* ---- the kind */

#define SMALL_CFG(extra) \
  "experiment = \"t9\"; kind = \"tabular\";\n" \
  "instance = { K = 3; V = 4; };\n" \
  "beta = [0.25, 1.0, 4.0]; n = [300]; population = true;\n" \
  "lambda = { from = 1e-3; to = 1e2; points = 6; };\n" \
  "methods = [\"pmle\", \"rkl\", \"rlhf\"]; replicates = 3; seed = 11;\n" \
  extra

static as_config *parse(const char *txt)
{
  as_config *c;
  as_err e;
  int rc = as_config_parse_string(txt, "t9.cfg", &c, &e);
  ck_assert_msg(rc == AS_OK, "%s", e.msg);
  return c;
}

START_TEST(test_rows_carry_the_constant)
{
  as_config *off = parse(SMALL_CFG(""));
  as_config *on = parse(SMALL_CFG("bounds = \"theorem4-constant\";\n"));
  as_rows a = {0}, b = {0};
  as_err e;
  ck_assert_msg(as_experiment_compute(off, 1, 0, &a, &e) == AS_OK, "%s",
                e.msg);
  ck_assert_msg(as_experiment_compute(on, 2, 0, &b, &e) == AS_OK, "%s",
                e.msg);
  ck_assert_uint_eq(a.count, b.count);
  ck_assert_uint_eq(a.count, 3 * 2 * 3 * 3); /* β × (n, ∞) × reps × methods */
  for (size_t i = 0; i < a.count; i++) {
    as_result_row ra = a.row[i], rb = b.row[i];
    ck_assert_msg(isnan(ra.aux), "row %zu: aux %g without the key", i,
                  ra.aux);
    /* the constant of this row's own instance and β */
    as_instance *inst;
    ck_assert_int_eq(as_tab_draw_instance(on, rb.replicate, &inst, NULL, &e),
                     AS_OK);
    as_tab_bound bd;
    double want = bound_of(inst, rb.beta, &bd);
    as_instance_free(inst);
    ck_assert_msg(rb.aux == want, "row %zu (beta %g rep %ld): aux %.17g, "
                  "constant %.17g", i, rb.beta, rb.replicate, rb.aux, want);
    ra.aux = rb.aux = 0; /* everything else unchanged */
    ck_assert_msg(memcmp(&ra, &rb, sizeof ra) == 0, "row %zu differs beyond "
                  "aux", i);
  }
  as_rows_clear(&a);
  as_rows_clear(&b);
  as_config_free(off);
  as_config_free(on);
}
END_TEST

static char *slurp(const char *dir, const char *name)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", p);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void remove_run(const char *dir)
{
  static const char *const files[] = {
    "results.csv", "summary.csv", "table.txt", "curve_pmle.dat",
    "curve_rkl.dat", "curve_rlhf.dat", "population.dat", "plot_params.gp",
    "manifest"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  ck_assert_msg(rmdir(dir) == 0, "%s not empty after the run's files", dir);
}

/* Each line of results.csv without its last field. */
static void drop_last_field(char *s)
{
  char *w = s;
  for (char *line = s; *line;) {
    char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
    char *comma = end;
    while (comma > line && *comma != ',')
      comma--;
    size_t keep = (size_t)(comma - line);
    memmove(w, line, keep);
    w += keep;
    if (nl)
      *w++ = '\n';
    line = nl ? nl + 1 : end;
  }
  *w = '\0';
}

START_TEST(test_results_csv_off_unchanged)
{
  as_config *off = parse(SMALL_CFG(""));
  as_config *on = parse(SMALL_CFG("bounds = \"theorem4-constant\";\n"));
  char d1[] = "/tmp/test_kind_tabular_XXXXXX";
  char d2[] = "/tmp/test_kind_tabular_XXXXXX";
  ck_assert(mkdtemp(d1) != NULL && mkdtemp(d2) != NULL);
  as_run_opts o;
  as_run_opts_default(&o);
  o.plots = 0;
  o.progress = 0;
  o.threads = 1;
  as_err e;
  o.out_dir = d1;
  ck_assert_msg(as_experiment_run(off, &o, &e) == AS_OK, "%s", e.msg);
  o.out_dir = d2;
  ck_assert_msg(as_experiment_run(on, &o, &e) == AS_OK, "%s", e.msg);
  char *ra = slurp(d1, "results.csv"), *rb = slurp(d2, "results.csv");
  /* without the key: the header and values the kind wrote before it */
  char *nl = strchr(ra, '\n');
  ck_assert(nl != NULL);
  ck_assert_msg(strncmp(nl - 11, ",status,aux", 11) == 0,
                "header ends '%.20s'", nl - 20);
  for (char *p = nl + 1; *p; p = strchr(p, '\n') + 1) {
    char *e2 = strchr(p, '\n');
    ck_assert_msg(e2 - p > 4 && strncmp(e2 - 4, ",nan", 4) == 0,
                  "aux not NaN: %.60s", e2 - 60);
  }
  nl = strchr(rb, '\n');
  ck_assert_msg(strncmp(nl - 35, ",status,thm4_const_Ctab_Rmax_pistar",
                        35) == 0, "header ends '%.40s'", nl - 40);
  drop_last_field(ra);
  drop_last_field(rb);
  ck_assert_msg(strcmp(ra, rb) == 0, "results.csv differs beyond the last "
                "column");
  char *sb = slurp(d2, "summary.csv"), *pb = slurp(d2, "plot_params.gp");
  ck_assert(strstr(sb, ",thm4_const_Ctab_Rmax_pistar_median,") != NULL);
  ck_assert(strstr(pb, "aux_name = \"thm4_const_Ctab_Rmax_pistar\"") != NULL);
  free(sb);
  free(pb);
  free(ra);
  free(rb);
  remove_run(d1);
  remove_run(d2);
  as_config_free(off);
  as_config_free(on);
}
END_TEST

START_TEST(test_other_kinds_reject_the_key)
{
  as_config *c = parse("experiment = \"t8\"; kind = \"prior-smoothing\";\n"
                       "instance = { K = 2; V = 3; };\n"
                       "beta = 1.0; n = [100]; lambda = [0.5];\n"
                       "methods = [\"rkl\"]; replicates = 1; "
                       "tuning = \"fixed\";\n"
                       "bounds = \"theorem4-constant\";\n");
  as_rows rows = {0};
  as_err e;
  ck_assert_int_eq(as_experiment_compute(c, 1, 0, &rows, &e), AS_ENOTSUP);
  ck_assert_msg(strstr(e.msg, "bounds") != NULL
                && strstr(e.msg, "prior-smoothing") != NULL, "%s", e.msg);
  ck_assert_uint_eq(rows.count, 0);
  as_config_free(c);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("kind_tabular");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_constant_independent);
  tcase_add_test(tc, test_beta_scaling);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_rows_carry_the_constant);
  tcase_add_test(tc, test_results_csv_off_unchanged);
  tcase_add_test(tc, test_other_kinds_reject_the_key);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
