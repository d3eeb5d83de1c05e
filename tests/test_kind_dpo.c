/* test_kind_dpo.c — E6: DPO degeneracy kind (sim/as_kind_dpo.c).
 *
 * Independent routes:
 *   - a separated data set built here by hand (each context: one winner,
 *     one loser, no reverse record), uniform π_ref: the DPO loss has no
 *     finite minimiser, every gradient step strictly increases ‖θ‖ and
 *     strictly decreases the entropy — checked at every step through the
 *     as_fit trace the kind relies on;
 *   - the same hand-built data with a reverse record (0 beats 1 and 1
 *     beats 0): a finite minimiser exists and the steps converge to the
 *     closed form Δθ = log(N01/N10)/β_d (BT MLE of one pair);
 *   - the kind's rows: recorded steps 0, 1, 2, 5, 10, 20, 50, 100 (aux and
 *     iterations), step 0 is θ = log π_ref (uniform ref: ‖θ‖ = 0, entropy
 *     log V exactly), PMLE once per λ in the last step cell only;
 *   - rows identical for 1 and 2 threads;
 *   - a group of step cells computed at once (run_group: one training run
 *     in pieces) against each unit alone (run_unit), and a resumed run
 *     (some units present, so some groups split) against a fresh one. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "as_config.h"
#include "as_experiment.h"
#include "as_fit.h"
#include "as_metrics.h"
#include "test_rows.h"

typedef struct trace_log {
  long steps;
  double norm[4001], ent[4001];
} trace_log;

static int record(long step, size_t K, size_t V, const double *log_pi,
                  double nrm, void *user)
{
  trace_log *t = user;
  if (step > 4000)
    return 1;
  double h = 0;
  for (size_t x = 0; x < K; x++)
    h += as_entropy(log_pi + x * V, V) / (double)K;
  t->norm[step] = nrm;
  t->ent[step] = h;
  t->steps = step;
  return 0;
}

START_TEST(test_separated_norm_strictly_increases)
{
  /* K = 2, V = 3: context 0 has 0 ≻ 1 (twice), context 1 has 2 ≻ 0 */
  size_t K = 2, V = 3;
  double P[18] = {0};
  P[0 * 9 + 0 * 3 + 1] = 2.0 / 3;
  P[1 * 9 + 2 * 3 + 0] = 1.0 / 3;
  as_data d = {.K = K, .V = V, .n = 3, .P = P};
  const double betas[] = {0.5, 1.0, 2.0};
  for (int bi = 0; bi < 3; bi++) {
    trace_log *t = calloc(1, sizeof *t);
    as_fit_opts o;
    as_fit_opts_default(&o);
    o.method = AS_METHOD_DPO;
    o.beta = betas[bi];
    o.dpo_steps = 4000;
    o.dpo_lr = 1.0;
    o.trace = record;
    o.trace_user = t;
    as_fit_result res;
    as_err e;
    ck_assert_int_eq(as_fit(&o, &d, &res, &e), AS_OK);
    ck_assert_int_eq(t->steps, 4000);
    ck_assert_msg(t->norm[0] == 0.0, "start norm %g", t->norm[0]);
    for (long s = 1; s <= 4000; s++) {
      ck_assert_msg(t->norm[s] > t->norm[s - 1], "beta %g step %ld: norm "
                    "%.17g after %.17g", betas[bi], s, t->norm[s],
                    t->norm[s - 1]);
      ck_assert_msg(t->ent[s] < t->ent[s - 1], "beta %g step %ld: entropy "
                    "%.17g after %.17g", betas[bi], s, t->ent[s],
                    t->ent[s - 1]);
    }
    /* no finite minimiser: the norm keeps growing like log(step)/β, so it
     * is far beyond the start by the end */
    ck_assert_msg(t->norm[4000] > 3.0 / betas[bi], "beta %g: norm %g",
                  betas[bi], t->norm[4000]);
    as_fit_result_free(&res);
    free(t);
  }
}
END_TEST

START_TEST(test_non_separated_converges)
{
  /* one context, V = 2: 0 ≻ 1 three times, 1 ≻ 0 once; DPO with uniform
   * ref and β_d: σ(β_d Δ) = 3/4 at the minimum, Δ = log 3 / β_d */
  double P[4] = {0, 0.75, 0.25, 0};
  as_data d = {.K = 1, .V = 2, .n = 4, .P = P};
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = AS_METHOD_DPO;
  o.beta = 2.0;
  o.dpo_steps = 20000;
  o.dpo_lr = 1.0;
  as_fit_result res;
  as_err e;
  ck_assert_int_eq(as_fit(&o, &d, &res, &e), AS_OK);
  double delta = res.log_pi[0] - res.log_pi[1];
  ck_assert_msg(fabs(delta - log(3.0) / 2.0) < 1e-9, "delta %.17g, want "
                "%.17g", delta, log(3.0) / 2.0);
  as_fit_result_free(&res);
}
END_TEST

static as_config *make_cfg(void)
{
  /* a = τ = 0: π_ref uniform, θ starts at 0; n = 6 over K = 3: separated */
  const char *txt =
    "experiment = \"e6test\"; kind = \"dpo-degeneracy\";\n"
    "instance = { K = 3; V = 4; ref_sharpness = 0.0; ref_noise = 0.0; };\n"
    "beta = [0.5, 2.0]; n = 6; lambda = [0.01, 1.0];\n"
    "methods = [\"dpo\", \"pmle\"]; tuning = \"fixed\";\n"
    "dpo_steps = 100; dpo_lr = 1.0; replicates = 3; seed = 9;\n";
  as_config *cfg;
  as_err e;
  ck_assert_msg(as_config_parse_string(txt, "e6test.cfg", &cfg, &e) == AS_OK,
                "config: %s", e.msg);
  return cfg;
}

START_TEST(test_kind_rows)
{
  as_config *cfg = make_cfg();
  as_rows rows;
  as_err e;
  int rc = as_experiment_compute(cfg, 1, 0, &rows, &e);
  ck_assert_msg(rc == AS_OK, "compute: %s", e.msg);
  static const long want[] = {0, 1, 2, 5, 10, 20, 50, 100};
  size_t ns = 8;
  /* 2 β × 8 steps × 3 reps DPO rows + 2 β × 3 reps × 2 λ PMLE rows */
  ck_assert_uint_eq(rows.count, 2 * 8 * 3 + 2 * 3 * 2);
  size_t ndpo = 0, npmle = 0;
  for (size_t i = 0; i < rows.count; i++) {
    const as_result_row *r = &rows.row[i];
    size_t si = r->cell % ns;
    if (strcmp(r->method, "dpo") == 0) {
      ndpo++;
      ck_assert_msg(r->aux == (double)want[si] && r->iterations == want[si],
                    "cell %zu: aux %g iterations %ld, want %ld", r->cell,
                    r->aux, r->iterations, want[si]);
      ck_assert(isnan(r->lambda));
      if (si == 0) {
        ck_assert_msg(fabs(r->theta_norm) < 1e-12, "step 0 norm %g",
                      r->theta_norm);
        ck_assert_msg(fabs(r->metrics[4] - log(4.0)) < 1e-12, "step 0 "
                      "entropy %.17g", r->metrics[4]);
      } else {
        ck_assert_msg(r->theta_norm > 0, "step %ld norm %g", want[si],
                      r->theta_norm);
      }
    } else {
      npmle++;
      ck_assert_str_eq(r->method, "pmle");
      ck_assert_msg(si == ns - 1, "pmle row in step cell %zu", si);
      ck_assert(isnan(r->aux) && (r->lambda == 0.01 || r->lambda == 1.0));
    }
  }
  ck_assert_uint_eq(ndpo, 48);
  ck_assert_uint_eq(npmle, 12);
  /* the step cells of a (β, replicate) share data: the DPO norm at step
   * 100 exceeds the norm at step 10 whenever the data are separated in
   * every context (reward_no_mle = K) */
  for (size_t i = 0; i < rows.count; i++) {
    const as_result_row *a = &rows.row[i];
    if (strcmp(a->method, "dpo") || a->cell % ns != 4 || a->reward_no_mle != 3)
      continue;
    for (size_t j = 0; j < rows.count; j++) {
      const as_result_row *b = &rows.row[j];
      if (strcmp(b->method, "dpo") == 0 && b->cell == a->cell + 3
          && b->replicate == a->replicate) {
        ck_assert_int_eq(b->reward_no_mle, 3);
        ck_assert_msg(b->theta_norm > a->theta_norm, "norm %g at 100 <= %g "
                      "at 10", b->theta_norm, a->theta_norm);
      }
    }
  }
  as_rows_clear(&rows);
  as_config_free(cfg);
}
END_TEST

START_TEST(test_threads_identical)
{
  as_config *cfg = make_cfg();
  as_rows a, b;
  as_err e;
  ck_assert_int_eq(as_experiment_compute(cfg, 1, 0, &a, &e), AS_OK);
  ck_assert_int_eq(as_experiment_compute(cfg, 2, 0, &b, &e), AS_OK);
  ck_assert_uint_eq(a.count, b.count);
  for (size_t i = 0; i < a.count; i++) {
    as_result_row x = a.row[i], y = b.row[i];
    ck_assert_str_eq(x.method, y.method);
    x.method = y.method = NULL;
    ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "row %zu differs", i);
  }
  as_rows_clear(&a);
  as_rows_clear(&b);
  as_config_free(cfg);
}
END_TEST

/* A group of step cells computed at once (one training run in pieces)
 * gives each unit the rows run_unit gives it alone — with a non-uniform
 * π_ref, PMLE listed first, and λ small enough at β < 1 for PMLE rows that
 * do not converge. */
START_TEST(test_group_equals_units)
{
  const char *txt =
    "experiment = \"e6g\"; kind = \"dpo-degeneracy\";\n"
    "instance = { K = 4; V = 5; ref_sharpness = 0.5; ref_noise = 0.5; };\n"
    "beta = [0.25, 2.0]; n = [8, 40]; lambda = [1e-3, 1.0];\n"
    "methods = [\"pmle\", \"dpo\"]; tuning = \"fixed\";\n"
    "dpo_steps = 50; dpo_lr = 1.0; replicates = 2; seed = 4;\n";
  as_config *cfg;
  as_err e;
  ck_assert_int_eq(as_config_parse_string(txt, "e6g.cfg", &cfg, &e), AS_OK);
  const as_experiment_kind *k = as_experiment_kind_find("dpo-degeneracy");
  size_t cells = k->n_cells(cfg), first, ns = k->group_of(cfg, 0, &first);
  ck_assert_uint_eq(ns, 7); /* 0 1 2 5 10 20 50 */
  for (size_t g = 0; g < cells; g += ns)
    for (long rep = 0; rep < 2; rep++) {
      ck_assert_uint_eq(k->group_of(cfg, g + 3, &first), ns);
      ck_assert_uint_eq(first, g);
      as_rows r0 = group_equals_units(k, cfg, g, ns, rep);
      as_rows_clear(&r0);
    }
  as_config_free(cfg);
}
END_TEST

/* The runner groups only whole groups that are due: with some units
 * already present (a resumed run) the rest, grouped or alone, complete the
 * same rows as a fresh run. */
START_TEST(test_partial_groups)
{
  as_config *cfg = make_cfg();
  resumed_same(cfg, 3);
  as_config_free(cfg);
}
END_TEST

START_TEST(test_bad_configs)
{
  const char *bad[] = {
    /* no dpo_lr */
    "experiment = \"x\"; kind = \"dpo-degeneracy\"; beta = 1.0; n = 5; "
    "lambda = [0.1]; methods = [\"dpo\"]; dpo_steps = 10; replicates = 1;",
    /* no steps */
    "experiment = \"x\"; kind = \"dpo-degeneracy\"; beta = 1.0; n = 5; "
    "lambda = [0.1]; methods = [\"dpo\"]; dpo_lr = 1.0; replicates = 1;",
    /* pmle needs fixed tuning */
    "experiment = \"x\"; kind = \"dpo-degeneracy\"; beta = 1.0; n = 5; "
    "lambda = [0.1]; methods = [\"dpo\", \"pmle\"]; dpo_steps = 10; "
    "dpo_lr = 1.0; replicates = 1;",
  };
  for (int i = 0; i < 3; i++) {
    as_config *cfg;
    as_err e;
    as_rows rows;
    ck_assert_int_eq(as_config_parse_string(bad[i], "bad.cfg", &cfg, &e),
                     AS_OK);
    ck_assert_int_eq(as_experiment_compute(cfg, 1, 0, &rows, &e), AS_EINVAL);
    ck_assert_msg(strstr(e.msg, "bad.cfg") != NULL, "message: %s", e.msg);
    as_config_free(cfg);
  }
}
END_TEST

static Suite *kind_dpo_suite(void)
{
  Suite *s = suite_create("kind_dpo");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_separated_norm_strictly_increases);
  tcase_add_test(tc, test_non_separated_converges);
  tcase_add_test(tc, test_kind_rows);
  tcase_add_test(tc, test_threads_identical);
  tcase_add_test(tc, test_group_equals_units);
  tcase_add_test(tc, test_partial_groups);
  tcase_add_test(tc, test_bad_configs);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(kind_dpo_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
