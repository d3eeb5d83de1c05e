/* test_tabular.c — oracle tuning's screened forward KL
 * (as_tab_screen_fwd_kl, sim/as_tabular.h).
 *
 * Independent route: the choice and the chosen value are compared with
 * as_tab_choose on every candidate's exact as_metrics_fwd_kl, on grids
 * built to be hard for a screen: a fine grid whose neighbours differ in
 * the 13th digit, exact ties (the first index must win), unconverged
 * candidates better than every converged one (they must not be chosen), a
 * candidate with KL = +inf, a grid with no converged candidate (the
 * rule's second pass), and candidates held as a closed form's logits.  The screen must also be doing its job: on a grid
 * spread over decades most candidates keep their estimate. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_error.h"
#include "as_math.h"
#include "as_metrics.h"
#include "as_tabular.h"

enum { K = 3, V = 6, NC = 24 };

/* π* random, ρ uniform. */
static as_instance *instance_new(gsl_rng *r)
{
  as_instance *inst = as_instance_new(K, V);
  ck_assert_ptr_nonnull(inst);
  for (size_t i = 0; i < K * V; i++)
    inst->log_pi_star[i] = gsl_ran_gaussian(r, 1.0);
  for (size_t x = 0; x < K; x++)
    inst->log_rho[x] = 0.0;
  return inst;
}

/* Candidate rows log π* + t·ξ (ξ fixed per grid): the forward KL grows
 * like t², so t sets how close two candidates are. */
static void cand_fill(as_tab_cand *c, const as_instance *inst,
                      const double *xi, double t, int status)
{
  memset(c, 0, sizeof *c);
  c->log_pi = malloc(K * V * sizeof(double));
  ck_assert_ptr_nonnull(c->log_pi);
  for (size_t i = 0; i < K * V; i++)
    c->log_pi[i] = inst->log_pi_star[i] + t * xi[i];
  c->status = status;
  c->partial = 1;
  c->met_inst = inst;
  c->met_beta = 1.0;
  c->met.fwd_kl = NAN;
}

/* Screens c, then checks the choice and the chosen value against the
 * exact route; returns how many candidates kept their estimate. */
static size_t check_grid(as_tab_cand *c, size_t k)
{
  double exact[NC];
  for (size_t i = 0; i < k; i++)
    ck_assert_int_eq(as_metrics_fwd_kl(c[i].met_inst, 1.0, c[i].log_pi,
                                       &exact[i], NULL), AS_OK);
  ck_assert_int_eq(as_tab_screen_fwd_kl(c, k, NULL), AS_OK);
  size_t got = as_tab_choose(c, k, AS_TUNING_ORACLE), kept = 0;
  for (size_t i = 0; i < k; i++) {
    kept += memcmp(&exact[i], &c[i].met.fwd_kl, sizeof(double)) != 0;
    c[i].met.fwd_kl = exact[i];
  }
  size_t want = as_tab_choose(c, k, AS_TUNING_ORACLE);
  ck_assert_uint_eq(got, want);
  for (size_t i = 0; i < k; i++)
    free(c[i].log_pi);
  return kept;
}

/* Candidate i of a closed form's grid kept as logits only: ξ = (log π* +
 * t·ξ0)/T with T = 1/scale (rows as_log_softmax(ξ)); exact holds the
 * exact forward KL of those rows. */
static void cand_logits(as_tab_cand *c, const as_instance *inst,
                        const double *xi0, double t, double scale,
                        double *exact)
{
  cand_fill(c, inst, xi0, t, AS_OK);
  double lp[K * V];
  for (size_t i = 0; i < K * V; i++)
    c->log_pi[i] *= scale;
  for (size_t x = 0; x < K; x++)
    as_log_softmax(c->log_pi + x * V, V, lp + x * V);
  ck_assert_int_eq(as_metrics_fwd_kl(inst, 1.0, lp, exact, NULL), AS_OK);
  c->logits = c->log_pi;
  c->log_pi = NULL;
}

static void xi_fill(gsl_rng *r, double *xi)
{
  for (size_t i = 0; i < K * V; i++)
    xi[i] = gsl_ran_gaussian(r, 1.0);
}

START_TEST(test_screen_spread_grid)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 5);
  as_instance *inst = instance_new(r);
  double xi[K * V];
  as_tab_cand c[NC];
  for (int g = 0; g < 5; g++) {
    xi_fill(r, xi);
    for (size_t i = 0; i < NC; i++) /* t − 0.01, t from 1e-6 to 10 */
      cand_fill(&c[i], inst, xi, 1e-6 * pow(10.0, (double)i / 3.3) - 0.01,
                AS_OK);
    ck_assert_uint_ge(check_grid(c, NC), NC / 2);
  }
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* Neighbours 1e-13 apart in t near t = 1e-3 (KL differences ~1e-19 on
 * ~1e-6), exact ties, and a better unconverged candidate. */
START_TEST(test_screen_near_ties)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7);
  as_instance *inst = instance_new(r);
  double xi[K * V];
  as_tab_cand c[NC];
  for (int g = 0; g < 20; g++) {
    xi_fill(r, xi);
    for (size_t i = 0; i < NC; i++) {
      double t = 1e-3 * (1.0 + 1e-13 * (double)(i % 8));
      if (i % 5 == 0)
        t = 1e-3; /* exact ties with i = 0 */
      if (i == 13)
        t = 1e-9; /* the best, but not converged */
      cand_fill(&c[i], inst, xi, g % 2 ? -t : t,
                i == 13 ? AS_ENOCONV : AS_OK);
    }
    check_grid(c, NC);
  }
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* A candidate with a zero (KL = +inf) among finite ones, a grid of only
 * infinite ones, and a grid with no converged candidate. */
START_TEST(test_screen_inf_and_unconverged)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 9);
  as_instance *inst = instance_new(r);
  double xi[K * V];
  as_tab_cand c[NC];
  for (int g = 0; g < 3; g++) {
    xi_fill(r, xi);
    for (size_t i = 0; i < NC; i++) {
      cand_fill(&c[i], inst, xi, 0.1 + 0.01 * (double)i,
                g == 2 ? AS_ENOCONV : AS_OK);
      if (i == 0 || g == 1)
        c[i].log_pi[V + 2] = -INFINITY;
    }
    check_grid(c, NC);
  }
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* Candidates held as logits (a closed form's ξ, at scales 1 and 1e3):
 * the same choice as the exact route, and a candidate the screen keeps
 * gets rows as_log_softmax(ξ) bit for bit (as_tab_cand_policy). */
START_TEST(test_screen_logits)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 13);
  as_instance *inst = instance_new(r);
  double xi[K * V], exact[NC];
  as_tab_cand c[NC];
  for (int g = 0; g < 6; g++) {
    xi_fill(r, xi);
    double scale = g % 2 ? 1e3 : 1.0;
    for (size_t i = 0; i < NC; i++) {
      double t = g < 4 ? 1e-6 * pow(10.0, (double)i / 3.3) - 0.01
                       : 1e-3 * (1.0 + 1e-13 * (double)(i % 8));
      cand_logits(&c[i], inst, xi, t, scale, &exact[i]);
    }
    ck_assert_int_eq(as_tab_screen_fwd_kl(c, NC, NULL), AS_OK);
    size_t got = as_tab_choose(c, NC, AS_TUNING_ORACLE);
    ck_assert_ptr_nonnull(c[got].log_pi); /* the chosen one was kept */
    ck_assert(memcmp(&c[got].met.fwd_kl, &exact[got], sizeof(double)) == 0);
    for (size_t x = 0; x < K; x++) {
      double lp[V];
      as_log_softmax(c[got].logits + x * V, V, lp);
      ck_assert(memcmp(lp, c[got].log_pi + x * V, sizeof lp) == 0);
    }
    for (size_t i = 0; i < NC; i++)
      c[i].met.fwd_kl = exact[i];
    ck_assert_uint_eq(got, as_tab_choose(c, NC, AS_TUNING_ORACLE));
    for (size_t i = 0; i < NC; i++) {
      free(c[i].log_pi);
      free(c[i].logits);
    }
  }
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

/* A policy row with a NaN: the screen fails with as_metrics_fwd_kl's
 * error, as tuning did before it. */
START_TEST(test_screen_refuses_bad_row)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 11);
  as_instance *inst = instance_new(r);
  double xi[K * V];
  xi_fill(r, xi);
  as_tab_cand c[2];
  cand_fill(&c[0], inst, xi, 0.1, AS_OK);
  cand_fill(&c[1], inst, xi, 0.2, AS_OK);
  c[1].log_pi[4] = NAN;
  as_err e;
  ck_assert_int_eq(as_tab_screen_fwd_kl(c, 2, &e), AS_EINVAL);
  ck_assert_ptr_nonnull(strstr(e.msg, "policy row 0"));
  free(c[0].log_pi);
  free(c[1].log_pi);
  as_instance_free(inst);
  gsl_rng_free(r);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tabular");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_screen_spread_grid);
  tcase_add_test(tc, test_screen_near_ties);
  tcase_add_test(tc, test_screen_inf_and_unconverged);
  tcase_add_test(tc, test_screen_logits);
  tcase_add_test(tc, test_screen_refuses_bad_row);
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
