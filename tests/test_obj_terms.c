/* test_obj_terms.c — DPO's gradient steps over all contexts at once
 * (obj_bt_steps, issue 8 E6) against two other routes:
 * (1) the per-context route it replaced — obj_add_bt_grad_sparse on each
 *     context's pair list, then θ_x −= lr·g_x on every response — must give
 *     the same bits over many steps (E6's results depend on it);
 * (2) the gradient written pair by pair from the reference's formula,
 *     c·(w_ba σ(t) − w_ab σ(−t)) on e_a − e_b with σ from as_sigmoid, to
 *     rounding.
 * Random sparse counts (contexts without records, one context with more
 * pairs than responses, which keeps the V-exponential route), random
 * log π_ref and θ with gaps |Δ| > 700, where exp(−|t|) underflows and e^{t}
 * would overflow.  Fixed-seed GSL generator. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "as_math.h"
#include "obj_terms.h"

#define NK 7
#define NVR 9
#define NKV (NK * NVR)

typedef struct {
  double P[NK * NVR * NVR], log_ref[NKV], th[NKV];
} steps_case;

/* Context 0 dense (more pairs than responses), 1 and 4 empty, the rest a
 * few records each; θ and log π_ref with some far-apart entries. */
static void make_case(steps_case *sc, gsl_rng *r)
{
  memset(sc->P, 0, sizeof sc->P);
  for (size_t x = 0; x < NK; x++) {
    double *P = sc->P + x * NVR * NVR;
    size_t records = x == 0 ? 40 : x == 1 || x == 4 ? 0 : 1 + x;
    for (size_t k = 0; k < records; k++) {
      size_t a = gsl_rng_uniform_int(r, NVR), b = gsl_rng_uniform_int(r, NVR);
      P[a * NVR + b] += 1.0 / 30.0; /* a == b: a tie, no gradient */
    }
  }
  for (size_t i = 0; i < NKV; i++) {
    sc->log_ref[i] = -3.0 * gsl_rng_uniform(r);
    double far = gsl_rng_uniform(r) < 0.25 ? 800.0 : 0.0;
    sc->th[i] = 4.0 * gsl_rng_uniform(r) - 2.0 +
                (gsl_rng_uniform(r) < 0.5 ? far : -far);
  }
}

/* The per-context route of the former gradient_steps. */
static void step_per_context(const steps_case *sc, double c, double lr,
                             double *th)
{
  obj_bt_pair pr[NVR * (NVR - 1) / 2];
  double g[NVR];
  for (size_t x = 0; x < NK; x++) {
    size_t np = obj_bt_pairs(NVR, sc->P + x * NVR * NVR, pr);
    if (np == 0)
      continue;
    for (size_t y = 0; y < NVR; y++)
      g[y] = 0.0;
    obj_add_bt_grad_sparse(NVR, pr, np, th + x * NVR, c,
                           sc->log_ref + x * NVR, g);
    for (size_t y = 0; y < NVR; y++)
      th[x * NVR + y] -= lr * g[y];
  }
}

START_TEST(test_steps_same_bits_as_per_context)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 81);
  static const double cs[] = {0.25, 1.0, 2.0}, lrs[] = {1.0, 0.1, 30.0};
  for (int rep = 0; rep < 20; rep++) {
    steps_case sc;
    make_case(&sc, r);
    double c = cs[rep % 3], lr = lrs[(rep / 3) % 3];
    double a[NKV], b[NKV];
    memcpy(a, sc.th, sizeof a);
    memcpy(b, sc.th, sizeof b);
    obj_bt_steps st;
    ck_assert_int_eq(obj_bt_steps_init(&st, NK, NVR, sc.P, sc.log_ref, c),
                     AS_OK);
    ck_assert_uint_eq(st.nw, 1); /* context 0 keeps V exponentials */
    for (int s = 0; s < 200; s++) {
      obj_bt_steps_take(&st, a, lr);
      step_per_context(&sc, c, lr, b);
    }
    for (size_t i = 0; i < NKV; i++)
      ck_assert_msg(memcmp(&a[i], &b[i], sizeof a[i]) == 0,
                    "rep %d, theta[%zu]: %.17g vs %.17g", rep, i, a[i], b[i]);
    for (size_t i = 0; i < NKV; i++)
      ck_assert(st.g[i] == 0.0); /* ready for the next step */
    obj_bt_steps_free(&st);
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_steps_gradient_matches_formula)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 82);
  int far_pairs = 0;
  for (int rep = 0; rep < 20; rep++) {
    steps_case sc;
    make_case(&sc, r);
    double c = rep % 2 ? 0.5 : 2.0, ref[NKV] = {0}, scale[NKV] = {0};
    for (size_t x = 0; x < NK; x++)
      for (size_t a = 0; a < NVR; a++)
        for (size_t b = a + 1; b < NVR; b++) {
          const double *P = sc.P + x * NVR * NVR;
          double wab = P[a * NVR + b], wba = P[b * NVR + a];
          size_t ia = x * NVR + a, ib = x * NVR + b;
          double t = c * (sc.th[ia] - sc.th[ib] -
                          (sc.log_ref[ia] - sc.log_ref[ib]));
          double d = c * (wba * as_sigmoid(t) - wab * as_sigmoid(-t));
          far_pairs += (wab > 0.0 || wba > 0.0) && fabs(t) > 700.0;
          ref[ia] += d;
          ref[ib] -= d;
          scale[ia] += fabs(d);
          scale[ib] += fabs(d);
        }
    obj_bt_steps st;
    ck_assert_int_eq(obj_bt_steps_init(&st, NK, NVR, sc.P, sc.log_ref, c),
                     AS_OK);
    obj_bt_steps_grad(&st, sc.th);
    /* a few ulps per pair: e^{−|t|} (from two exponentials in the wide
     * context), 1/(1 + r), the products and the sums */
    for (size_t i = 0; i < NKV; i++)
      ck_assert_msg(fabs(st.g[i] - ref[i]) <= 2e-15 * scale[i],
                    "rep %d, g[%zu]: %.17g vs %.17g", rep, i, st.g[i],
                    ref[i]);
    obj_bt_steps_free(&st);
  }
  ck_assert_int_gt(far_pairs, 10); /* the large gaps were exercised */
  gsl_rng_free(r);
}
END_TEST

static Suite *obj_terms_suite(void)
{
  Suite *s = suite_create("obj_terms");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_steps_same_bits_as_per_context);
  tcase_add_test(tc, test_steps_gradient_matches_formula);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(obj_terms_suite());
  srunner_run_all(sr, CK_VERBOSE);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
