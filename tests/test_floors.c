/* test_floors.c — floors and verdicts of the objective atlas (as_floors.h,
 * docs/reference.md §3.2) on an E1 instance (K = V = 10, s = 1, a = 0.5, τ = 0.5):
 *  - DPO's floor over β_d equals F_RLHF (as_dilemma.h: an independent
 *    1-D convex minimisation over t = β/λ) and its argmin is λ* (the
 *    population DPO at β_d is RLHF with the true reward at λ = β_d);
 *  - the verdicts of docs/reference.md §3.2's rule: PMLE, distillation, REBEL, RKL
 *    (λ → 0) and SimPO (β_d = β) are consistent, every other method has a
 *    floor > 1e-4;
 *  - rDPO at the true flip rate on noisy labels has DPO's clean floor;
 *    PMLE on noisy labels is no longer consistent. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "as_dilemma.h"
#include "as_floors.h"
#include "as_instance.h"
#include "as_objective.h"
#include "as_rng.h"

static as_instance *e1_instance(void)
{
  as_instance_params p;
  as_instance_params_default(&p);
  as_instance *inst = as_instance_new(p.K, p.V);
  gsl_rng *r = as_rng_new(11, 3);
  ck_assert_int_eq(as_instance_draw(inst, &p, r, NULL), AS_OK);
  gsl_rng_free(r);
  return inst;
}

static double lam[17];

static as_floor floor_of(const as_instance *inst, as_method m, double flip,
                         double hp_flip)
{
  for (int i = 0; i < 17; i++) /* half decades; Brent refines the best */
    lam[i] = pow(10.0, -4 + 0.5 * i);
  as_fit_opts o;
  as_fit_opts_default(&o);
  o.method = m;
  o.gpo_loss = AS_GPO_EXP;
  o.flip = hp_flip;
  as_floor f;
  as_err e;
  as_err_clear(&e);
  ck_assert_msg(as_floor_method(inst, 1.0, flip, &o, lam, 17, 17, &f, &e) ==
                    AS_OK, "%s: %s", as_method_name(m), e.msg);
  return f;
}

START_TEST(test_dpo_floor_is_rlhf_floor)
{
  as_instance *inst = e1_instance();
  as_dilemma dl;
  ck_assert_int_eq(as_dilemma_floor(inst, 1.0, &dl, NULL), AS_OK);
  as_floor f = floor_of(inst, AS_METHOD_DPO, 0.0, NAN);
  ck_assert_msg(fabs(f.floor - dl.floor) <= 1e-9 * (1 + dl.floor),
                "DPO floor %.15g, F_RLHF %.15g", f.floor, dl.floor);
  ck_assert_msg(fabs(f.argmin - dl.lambda) <= 1e-3 * dl.lambda,
                "argmin beta_d %.9g, lambda* %.9g", f.argmin, dl.lambda);
  ck_assert(!f.consistent);
  as_instance_free(inst);
}
END_TEST

START_TEST(test_verdicts)
{
  as_instance *inst = e1_instance();
  static const as_method good[] = {AS_METHOD_PMLE, AS_METHOD_DISTILL,
                                   AS_METHOD_REBEL, AS_METHOD_RKL,
                                   AS_METHOD_SIMPO};
  static const as_method bad[] = {
      AS_METHOD_DPO, AS_METHOD_RLHF, AS_METHOD_CDPO, AS_METHOD_IPO,
      AS_METHOD_GPO, AS_METHOD_SLIC, AS_METHOD_ORPO, AS_METHOD_CHIPO,
      AS_METHOD_SPPO, AS_METHOD_NASH};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    as_floor f = floor_of(inst, good[i], 0.0, NAN);
    ck_assert_msg(f.consistent && f.floor <= 1e-9, "%s: floor %g",
                  as_method_name(good[i]), f.floor);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    as_floor f = floor_of(inst, bad[i], 0.0, NAN);
    ck_assert_msg(!f.consistent && f.floor > 1e-4, "%s: floor %g at %g",
                  as_method_name(bad[i]), f.floor, f.argmin);
  }
  as_instance_free(inst);
}
END_TEST

START_TEST(test_label_noise)
{
  as_instance *inst = e1_instance();
  as_floor dpo = floor_of(inst, AS_METHOD_DPO, 0.0, NAN);
  as_floor rdpo = floor_of(inst, AS_METHOD_RDPO, 0.1, 0.1);
  ck_assert_msg(fabs(rdpo.floor - dpo.floor) <= 1e-8 * (1 + dpo.floor),
                "rdpo(noisy) %.15g vs dpo(clean) %.15g", rdpo.floor,
                dpo.floor);
  as_floor dpo_noisy = floor_of(inst, AS_METHOD_DPO, 0.1, NAN);
  ck_assert_msg(dpo_noisy.floor > dpo.floor + 1e-4, "noise costs DPO: %g %g",
                dpo_noisy.floor, dpo.floor);
  as_floor pmle = floor_of(inst, AS_METHOD_PMLE, 0.1, NAN);
  ck_assert_msg(!pmle.consistent, "pmle on noisy labels: floor %g",
                pmle.floor);
  as_instance_free(inst);
}
END_TEST

static Suite *floors_suite(void)
{
  Suite *s = suite_create("floors");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_dpo_floor_is_rlhf_floor);
  tcase_add_test(tc, test_verdicts);
  tcase_add_test(tc, test_label_noise);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(floors_suite());
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
