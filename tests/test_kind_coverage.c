/* test_kind_coverage.c — E5: closed-form coverage (sim/as_coverage.h) and
 * the coverage experiment kind (sim/as_kind_coverage.c).
 *
 * Independent routes:
 *   - V = 2 closed form C = [p(1−m)² + (1−p)m²] / [m(1−m)] (the same one
 *     test_theory.c derives for Definition 3);
 *   - μ = π* gives C = 1 exactly (numerator and denominator coincide);
 *   - enumeration by as_theory_coverage (ratio of sums over an explicit
 *     finite class, a different code path): random members of the class
 *     never exceed the closed form, and the member built from the returned
 *     maximising direction attains it;
 *   - Π_R ⊂ Π, so C_feat ≤ C_tab;
 *   - docs/reference.md §3.1: in the tabular class PMLE(λ=0), distillation (population
 *     m, λ=0) and RKL(γ=β, λ=0) coincide when the reward is tabular —
 *     which the kind's feature reward is exactly when d = K·V (Φ spans
 *     R^{K·V}) — and RKL differs from PMLE when d is small: the kind really
 *     feeds RKL/distillation the feature-class reward.
 *   - rows identical for --threads 1 and 2. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "as_config.h"
#include "as_coverage.h"
#include "as_experiment.h"
#include "as_features.h"
#include "as_finite.h"
#include "as_math.h"
#include "as_rng.h"
#include "as_theory.h"

static void normalise_rows(double *lp, size_t K, size_t V)
{
  for (size_t x = 0; x < K; x++)
    as_log_softmax(lp + x * V, V, lp + x * V);
}

START_TEST(test_two_response_closed_form)
{
  const double ps[] = {0.3, 0.7, 0.55, 0.9}, ms[] = {0.5, 0.1, 0.8, 0.02};
  for (size_t i = 0; i < 4; i++) {
    as_instance *inst = as_instance_new(1, 2);
    double p = ps[i], m = ms[i];
    inst->log_pi_star[0] = log(p);
    inst->log_pi_star[1] = log1p(-p);
    inst->log_mu[0] = log(m);
    inst->log_mu[1] = log1p(-m);
    double C, g[2];
    as_err e;
    ck_assert_int_eq(as_coverage_tabular(inst, &C, NULL, g, &e), AS_OK);
    double want = (p * (1 - m) * (1 - m) + (1 - p) * m * m) / (m * (1 - m));
    ck_assert_msg(fabs(C - want) <= 1e-12 * want, "p %g m %g: C %.17g, "
                  "closed form %.17g", p, m, C, want);
    /* the direction is μ-centred */
    ck_assert_msg(fabs(m * g[0] + (1 - m) * g[1]) < 1e-12, "E_mu g = %g",
                  m * g[0] + (1 - m) * g[1]);
    as_instance_free(inst);
  }
}
END_TEST

/* A K×V instance with π*, μ drawn at random (Gaussian logits). */
static as_instance *random_instance(gsl_rng *r, size_t K, size_t V,
                                    double mu_scale)
{
  as_instance *inst = as_instance_new(K, V);
  for (size_t i = 0; i < K * V; i++) {
    inst->log_pi_star[i] = gsl_ran_gaussian(r, 1.0);
    inst->log_mu[i] = gsl_ran_gaussian(r, mu_scale);
  }
  normalise_rows(inst->log_pi_star, K, V);
  normalise_rows(inst->log_mu, K, V);
  return inst;
}

START_TEST(test_mu_star_gives_one)
{
  gsl_rng *r = as_rng_new(11, 1);
  as_instance *inst = random_instance(r, 4, 6, 1.0);
  as_err e;
  ck_assert_int_eq(as_coverage_temper_mu(inst, 1.0, &e), AS_OK);
  double C;
  ck_assert_int_eq(as_coverage_tabular(inst, &C, NULL, NULL, &e), AS_OK);
  ck_assert_msg(fabs(C - 1) < 1e-12, "C_tab(mu = pi*) = %.17g", C);
  as_features *f = as_features_new(4, 6, 3);
  ck_assert_int_eq(as_features_draw(f, r, &e), AS_OK);
  ck_assert_int_eq(as_coverage_features(inst, f, &C, NULL, &e), AS_OK);
  ck_assert_msg(fabs(C - 1) < 1e-10, "C_feat(mu = pi*) = %.17g", C);
  /* t = 0 is uniform μ */
  ck_assert_int_eq(as_coverage_temper_mu(inst, 0.0, &e), AS_OK);
  for (size_t i = 0; i < 24; i++)
    ck_assert_msg(fabs(inst->log_mu[i] + log(6.0)) < 1e-14
                  && inst->log_mu2[i] == inst->log_mu[i], "mu[%zu] %g", i,
                  inst->log_mu[i]);
  as_features_free(f);
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* Enumeration check of the tabular closed form: members log π* + g, g
 * random per context (and the argmax member), through as_theory_coverage. */
START_TEST(test_tabular_vs_enumeration)
{
  gsl_rng *r = as_rng_new(12, 3);
  size_t K = 3, V = 5, M = 401;
  for (int trial = 0; trial < 5; trial++) {
    as_instance *inst = random_instance(r, K, V, 2.0);
    double C, g[5];
    size_t bx;
    as_err e;
    ck_assert_int_eq(as_coverage_tabular(inst, &C, &bx, g, &e), AS_OK);
    as_finite_class *A = as_finite_new(M, K, V);
    for (size_t m = 0; m < M; m++) {
      double *lp = A->log_pi + m * K * V;
      for (size_t i = 0; i < K * V; i++)
        lp[i] = inst->log_pi_star[i]
                + (m == 0 ? (i / V == bx ? 0.3 * g[i % V] : 0.0)
                          : gsl_ran_gaussian(r, 0.5));
      normalise_rows(lp, K, V);
    }
    double Cenum;
    size_t am;
    ck_assert_int_eq(as_theory_coverage(inst, A, NULL, NULL, &Cenum, &am,
                                        NULL, &e), AS_OK);
    /* 1e-9: rounding of centred rewards of size O(1) */
    ck_assert_msg(Cenum <= C * (1 + 1e-9), "trial %d: enumerated %.17g > "
                  "closed form %.17g", trial, Cenum, C);
    /* member 0 is the maximising direction: the max is attained (ties,
     * e.g. a one-dimensional class, may name another member) */
    ck_assert_msg(fabs(Cenum - C) <= 1e-9 * C, "trial %d: the maximum "
                  "%.17g (member %zu) is not the closed form %.17g", trial,
                  Cenum, am, C);
    as_finite_free(A);
    as_instance_free(inst);
  }
  gsl_rng_free(r);
}
END_TEST

/* Same for the feature class: members log π* + Φu (normalised); and
 * C_feat ≤ C_tab (Π_R ⊂ Π). */
START_TEST(test_features_vs_enumeration)
{
  gsl_rng *r = as_rng_new(13, 5);
  size_t K = 4, V = 5, M = 301;
  const size_t ds[] = {1, 3, 8, 20}; /* 20 = K·V: range of B only */
  for (size_t di = 0; di < 4; di++) {
    size_t d = ds[di];
    as_instance *inst = random_instance(r, K, V, 1.5);
    as_features *f = as_features_new(K, V, d);
    as_err e;
    ck_assert_int_eq(as_features_draw(f, r, &e), AS_OK);
    double C, Ct, *u = malloc(d * sizeof *u), *w = malloc(d * sizeof *w);
    double *th = malloc(K * V * sizeof *th);
    ck_assert_int_eq(as_coverage_features(inst, f, &C, u, &e), AS_OK);
    ck_assert_int_eq(as_coverage_tabular(inst, &Ct, NULL, NULL, &e), AS_OK);
    ck_assert_msg(C <= Ct * (1 + 1e-9), "d %zu: C_feat %.17g > C_tab %.17g",
                  d, C, Ct);
    as_finite_class *A = as_finite_new(M, K, V);
    for (size_t m = 0; m < M; m++) {
      for (size_t j = 0; j < d; j++)
        w[j] = m == 0 ? u[j] : gsl_ran_gaussian(r, 1.0);
      as_features_logits(f, w, th);
      double sc = 0;
      for (size_t i = 0; i < K * V; i++)
        sc = fmax(sc, fabs(th[i]));
      double *lp = A->log_pi + m * K * V;
      for (size_t i = 0; i < K * V; i++)
        lp[i] = inst->log_pi_star[i] + th[i] / sc; /* |Φw| ≤ 1 */
      normalise_rows(lp, K, V);
    }
    double Cenum;
    size_t am;
    ck_assert_int_eq(as_theory_coverage(inst, A, NULL, NULL, &Cenum, &am,
                                        NULL, &e), AS_OK);
    ck_assert_msg(Cenum <= C * (1 + 1e-9), "d %zu: enumerated %.17g > "
                  "closed form %.17g", d, Cenum, C);
    ck_assert_msg(fabs(Cenum - C) <= 1e-8 * C, "d %zu: the maximum %.17g "
                  "(member %zu) is not the closed form %.17g", d, Cenum, am,
                  C);
    if (d == K * V) /* the feature class is then the whole tabular class */
      ck_assert_msg(fabs(C - Ct) <= 1e-8 * Ct, "d = KV: C_feat %.17g, C_tab "
                    "%.17g", C, Ct);
    as_finite_free(A);
    free(u);
    free(w);
    free(th);
    as_features_free(f);
    as_instance_free(inst);
  }
  gsl_rng_free(r);
}
END_TEST

/* ---- the kind */

static const char *cfg_fmt =
  "experiment = \"e5test\"; kind = \"coverage\";\n"
  "instance = { K = 3; V = 4; };\n"
  "class = { type = \"features\"; d = %d; realizable = true; };\n"
  "mu_power = [1.0, -1.0];\n"
  "beta = 1.0; n = %d; ridge = 0.0;\n"
  "lambda = [0.0]; tuning = \"fixed\"; m = \"population\";\n"
  "methods = [\"pmle\", \"rkl\", \"distill\"%s];\n"
  "dpo_steps = 50; dpo_lr = 1.0;\n"
  "replicates = %d; seed = 3;\n";

static as_config *make_cfg(int d, int n, int reps, const char *extra)
{
  char buf[2048];
  snprintf(buf, sizeof buf, cfg_fmt, d, n, extra, reps);
  as_config *cfg;
  as_err e;
  int rc = as_config_parse_string(buf, "e5test.cfg", &cfg, &e);
  ck_assert_msg(rc == AS_OK, "config: %s", e.msg);
  return cfg;
}

static const as_result_row *find_row(const as_rows *rows, size_t cell,
                                     long rep, const char *method)
{
  for (size_t i = 0; i < rows->count; i++)
    if (rows->row[i].cell == cell && rows->row[i].replicate == rep
        && strcmp(rows->row[i].method, method) == 0)
      return &rows->row[i];
  return NULL;
}

/* docs/reference.md §3.1: with d = K·V the feature reward is the tabular MLE and the
 * three λ = 0 estimators coincide; with d = 2 RKL and distillation use a
 * different (feature-class) reward, so they differ from PMLE.  n = 20000
 * over K·V² = 48 cells: every pair observed, no separation (ridge 0 is
 * then fine for both reward fits). */
START_TEST(test_rkl_reward_is_feature_class)
{
  const int ds[] = {12, 2};
  for (int k = 0; k < 2; k++) {
    as_config *cfg = make_cfg(ds[k], 20000, 3, "");
    as_rows rows;
    as_err e;
    int rc = as_experiment_compute(cfg, 1, 0, &rows, &e);
    ck_assert_msg(rc == AS_OK, "compute: %s", e.msg);
    ck_assert_uint_eq(rows.count, 2 * 3 * 3);
    for (size_t cell = 0; cell < 2; cell++)
      for (long rep = 0; rep < 3; rep++) {
        const as_result_row *p = find_row(&rows, cell, rep, "pmle");
        const as_result_row *q = find_row(&rows, cell, rep, "rkl");
        const as_result_row *s = find_row(&rows, cell, rep, "distill");
        ck_assert(p && q && s);
        ck_assert_msg(p->status == AS_OK && q->status == AS_OK
                      && s->status == AS_OK, "status %d %d %d", p->status,
                      q->status, s->status);
        double kp = p->metrics[0], kq = q->metrics[0], ks = s->metrics[0];
        /* distill(λ=0, m = ∞) = π_r̂ = RKL(λ=0) whatever the reward:
         * Newton (tol 1e-20 on the decrement) vs closed form */
        ck_assert_msg(fabs(ks - kq) <= 1e-7 * kq + 1e-12, "d %d cell %zu "
                      "rep %ld: distill %.12g vs rkl %.12g", ds[k], cell, rep,
                      ks, kq);
        if (ds[k] == 12)
          ck_assert_msg(fabs(kp - kq) <= 1e-6 * kp + 1e-12, "d = KV cell "
                        "%zu rep %ld: pmle %.12g vs rkl %.12g (should be the "
                        "same policy)", cell, rep, kp, kq);
        else
          ck_assert_msg(fabs(kp - kq) > 0.05 * kp, "d = 2 cell %zu rep %ld: "
                        "pmle %.12g vs rkl %.12g — RKL is not using the "
                        "feature reward?", cell, rep, kp, kq);
        /* aux: C_tab on pmle rows, C_feat on rkl rows, C_feat ≤ C_tab;
         * cell 0 is μ = π*: both 1 */
        ck_assert_msg(q->aux <= p->aux * (1 + 1e-9), "C_feat %g > C_tab %g",
                      q->aux, p->aux);
        if (cell == 0)
          ck_assert_msg(fabs(p->aux - 1) < 1e-9 && fabs(q->aux - 1) < 1e-9,
                        "mu = pi*: C %g %g", p->aux, q->aux);
        else
          ck_assert_msg(p->aux > 1.5, "mu = pi*^-1: C_tab %g", p->aux);
      }
    as_rows_clear(&rows);
    as_config_free(cfg);
  }
}
END_TEST

START_TEST(test_threads_identical)
{
  as_config *cfg = make_cfg(2, 300, 4, ", \"dpo\"");
  as_rows a, b;
  as_err e;
  ck_assert_int_eq(as_experiment_compute(cfg, 1, 0, &a, &e), AS_OK);
  ck_assert_int_eq(as_experiment_compute(cfg, 2, 0, &b, &e), AS_OK);
  ck_assert_uint_eq(a.count, b.count);
  ck_assert_uint_eq(a.count, 2 * 4 * 4);
  for (size_t i = 0; i < a.count; i++) {
    as_result_row x = a.row[i], y = b.row[i];
    ck_assert_str_eq(x.method, y.method);
    x.method = y.method = NULL;
    ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "row %zu differs between "
                  "1 and 2 threads", i);
  }
  as_rows_clear(&a);
  as_rows_clear(&b);
  as_config_free(cfg);
}
END_TEST

START_TEST(test_bad_configs)
{
  as_config *cfg;
  as_err e;
  as_rows rows;
  /* tabular class: the reward would be tabular, E5 would compare an
   * estimator with itself */
  const char *t1 = "experiment = \"x\"; kind = \"coverage\"; beta = 1.0; "
                   "n = 100; lambda = [0.1]; methods = [\"rkl\"]; "
                   "replicates = 1; mu_power = [1.0];";
  ck_assert_int_eq(as_config_parse_string(t1, "t1.cfg", &cfg, &e), AS_OK);
  ck_assert_int_eq(as_experiment_compute(cfg, 1, 0, &rows, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "t1.cfg") != NULL, "message: %s", e.msg);
  as_config_free(cfg);
  /* no mu_power */
  const char *t2 = "experiment = \"x\"; kind = \"coverage\"; beta = 1.0; "
                   "n = 100; lambda = [0.1]; methods = [\"rkl\"]; "
                   "replicates = 1; class = { type = \"features\"; d = 2; "
                   "realizable = true; };";
  ck_assert_int_eq(as_config_parse_string(t2, "t2.cfg", &cfg, &e), AS_OK);
  ck_assert_int_eq(as_experiment_compute(cfg, 1, 0, &rows, &e), AS_EINVAL);
  ck_assert_msg(strstr(e.msg, "mu_power") != NULL, "message: %s", e.msg);
  as_config_free(cfg);
  /* mu_power must be numbers */
  const char *t3 = "experiment = \"x\"; beta = 1.0; n = 100; lambda = 0.1; "
                   "methods = [\"rkl\"]; replicates = 1;\nmu_power = "
                   "[\"a\"];";
  ck_assert_int_eq(as_config_parse_string(t3, "t3.cfg", &cfg, &e),
                   AS_EPARSE);
  ck_assert_msg(strstr(e.msg, "t3.cfg:2") != NULL, "message: %s", e.msg);
}
END_TEST

static Suite *kind_coverage_suite(void)
{
  Suite *s = suite_create("kind_coverage");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_two_response_closed_form);
  tcase_add_test(tc, test_mu_star_gives_one);
  tcase_add_test(tc, test_tabular_vs_enumeration);
  tcase_add_test(tc, test_features_vs_enumeration);
  tcase_add_test(tc, test_rkl_reward_is_feature_class);
  tcase_add_test(tc, test_threads_identical);
  tcase_add_test(tc, test_bad_configs);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(kind_coverage_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
