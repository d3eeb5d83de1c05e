/* test_objective.c — every objective of docs/reference.md §3 (as_objective.h):
 * (1) its value against a direct transcription of the reference (docs/reference.md) formula from
 *     probabilities (catches a sign, a factor of β, a missing term);
 * (2) its gradient against central differences of the value and its
 *     Hessian against central differences of the gradient, at random
 *     points (catches any inconsistency among f, g, H);
 * (3) gauge invariance: g ⊥ 1 and H·1 = 0 where the reference (docs/reference.md) says f(θ + c1) =
 *     f(θ).
 * Points and data come from a fixed-seed GSL generator. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "as_math.h"
#include "as_objective.h"

#define NV 5


typedef struct {
  double P[NV * NV], Q[NV * NV], log_ref[NV], reward[NV], theta_prev[NV];
  as_ctx_data d;
} fixture;

static void make_fixture(fixture *fx, gsl_rng *r)
{
  double sp = 0.0, sq = 0.0;
  for (int i = 0; i < NV * NV; i++) {
    fx->P[i] = gsl_rng_uniform_pos(r);
    fx->Q[i] = gsl_rng_uniform_pos(r);
    sp += fx->P[i];
    sq += fx->Q[i];
  }
  for (int i = 0; i < NV * NV; i++) {
    fx->P[i] *= 0.3 / sp; /* a context holding 0.3 of the data */
    fx->Q[i] *= 0.3 / sq;
  }
  for (int y = 0; y < NV; y++) {
    fx->log_ref[y] = gsl_ran_gaussian(r, 1.0);
    fx->reward[y] = gsl_ran_gaussian(r, 1.5);
    fx->theta_prev[y] = gsl_ran_gaussian(r, 1.0);
  }
  as_log_softmax(fx->log_ref, NV, fx->log_ref);
  fx->d = (as_ctx_data){.V = NV, .rho = 0.3, .P = fx->P, .Q = fx->Q,
                        .log_ref = fx->log_ref, .reward = fx->reward,
                        .theta_prev = fx->theta_prev, .beta = 1.7,
                        .beta_dpo = 0.6, .lambda = 0.4, .gamma = 0.9,
                        .ridge = 0.25, .eta = 0.8};
}

static double sig(double t) { return 1.0 / (1.0 + exp(-t)); }

/* Direct transcriptions of docs/reference.md §3 from probabilities (small, moderate
 * arguments only, so the naive formulas are accurate). */
static double kl_ref_naive(const as_ctx_data *d, const double *th)
{
  double lp[NV], s = 0.0;
  as_log_softmax(th, NV, lp);
  for (int y = 0; y < NV; y++)
    s += exp(lp[y]) * (lp[y] - d->log_ref[y]);
  return s;
}

static double naive_value(const char *name, const as_ctx_data *d,
                          const double *th)
{
  double f = 0.0;
  if (strcmp(name, "pmle") == 0) {
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++)
        f -= d->P[a * NV + b] * log(sig(d->beta * (th[a] - th[b])));
    return f + d->lambda * d->rho * kl_ref_naive(d, th);
  }
  if (strcmp(name, "dpo") == 0) {
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++)
        f -= d->P[a * NV + b] *
             log(sig(d->beta_dpo * (th[a] - th[b] - d->log_ref[a] +
                                    d->log_ref[b])));
    return f;
  }
  if (strcmp(name, "reward") == 0) {
    for (int a = 0; a < NV; a++) {
      f += 0.5 * d->ridge * th[a] * th[a];
      for (int b = 0; b < NV; b++)
        f -= d->P[a * NV + b] * log(sig(th[a] - th[b]));
    }
    return f;
  }
  if (strcmp(name, "distill") == 0) {
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++) {
        double p = sig(d->reward[a] - d->reward[b]);
        double q = sig(d->beta * (th[a] - th[b]));
        f += d->Q[a * NV + b] *
             (p * log(p / q) + (1 - p) * log((1 - p) / (1 - q)));
      }
    return f + d->lambda * d->rho * kl_ref_naive(d, th);
  }
  if (strcmp(name, "rebel") == 0) {
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++) {
        double e = d->beta * (th[a] - th[b]) - (d->reward[a] - d->reward[b]);
        f += d->Q[a * NV + b] * e * e;
      }
    return f + d->lambda * d->rho * kl_ref_naive(d, th);
  }
  if (strcmp(name, "rebel-step") == 0) {
    double lt[NV], rt[NV];
    as_log_softmax(d->theta_prev, NV, lt);
    for (int y = 0; y < NV; y++)
      rt[y] = d->reward[y] - d->lambda * (lt[y] - d->log_ref[y]);
    for (int a = 0; a < NV; a++)
      for (int b = 0; b < NV; b++) {
        double e = ((th[a] - th[b]) - (d->theta_prev[a] - d->theta_prev[b])) /
                       d->eta - (rt[a] - rt[b]);
        f += d->rho * exp(lt[a]) * exp(lt[b]) * e * e;
      }
    return f;
  }
  if (strcmp(name, "rkl") == 0) {
    double lp[NV], er = 0.0, h = 0.0;
    as_log_softmax(th, NV, lp);
    for (int y = 0; y < NV; y++) {
      er += exp(lp[y]) * d->reward[y];
      h -= exp(lp[y]) * lp[y];
    }
    return d->rho * (-er - d->gamma * h + d->lambda * kl_ref_naive(d, th));
  }
  ck_abort_msg("no naive value for %s", name);
  return NAN;
}

static const as_objective_type *const all_obj[] = {
    &as_obj_pmle, &as_obj_distill, &as_obj_dpo, &as_obj_reward,
    &as_obj_rebel, &as_obj_rebel_step, &as_obj_rkl};
#define NOBJ (sizeof all_obj / sizeof all_obj[0])

/* Variants of the parameters so every term is exercised (and switched
 * off): index 0 = fixture as is, 1 = λ = 0 / γ = 0 (RLHF) / ridge = 0. */
static void variant(as_ctx_data *d, int v)
{
  if (v == 1) {
    d->lambda = d->lambda > 0 ? 0.0 : d->lambda;
    d->gamma = 0.0;
    d->ridge = 0.0;
  }
  if (v == 2) { /* RLHF: γ = 0 with λ > 0 */
    d->gamma = 0.0;
  }
}

START_TEST(test_value_matches_spec)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 11);
  for (int rep = 0; rep < 20; rep++) {
    fixture fx;
    make_fixture(&fx, r);
    double th[NV];
    for (int y = 0; y < NV; y++)
      th[y] = gsl_ran_gaussian(r, 1.0);
    for (size_t k = 0; k < NOBJ; k++)
      for (int v = 0; v < 3; v++) {
        as_ctx_data d = fx.d;
        variant(&d, v);
        double f;
        ck_assert_int_eq(all_obj[k]->eval(&d, th, &f, NULL, NULL), 0);
        double fn = naive_value(all_obj[k]->name, &d, th);
        /* both are sums of O(1) terms in double: agreement to 1e-12 */
        ck_assert_msg(fabs(f - fn) <= 1e-12 * (1.0 + fabs(fn)),
                      "%s variant %d: value %.17g, docs/reference.md formula %.17g",
                      all_obj[k]->name, v, f, fn);
      }
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_gradient_hessian_fd)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12);
  /* Central differences with step h have truncation error ≤ h²·M3/6 and
   * rounding error ≈ ε·|f|/h; with h = 1e-5, |f|, M3 = O(1): ≈ 2e-11 +
   * 2e-11.  Tolerance 1e-7·(1 + scale) leaves 3 orders of margin and is
   * still far below any error a wrong factor or sign would produce (the
   * scale of g and H is 1e-2..1). */
  const double h = 1e-5;
  for (int rep = 0; rep < 20; rep++) {
    fixture fx;
    make_fixture(&fx, r);
    double th[NV];
    for (int y = 0; y < NV; y++)
      th[y] = gsl_ran_gaussian(r, 1.5);
    for (size_t k = 0; k < NOBJ; k++)
      for (int v = 0; v < 3; v++) {
        as_ctx_data d = fx.d;
        variant(&d, v);
        const as_objective_type *o = all_obj[k];
        double f, g[NV], H[NV * NV];
        ck_assert_int_eq(o->eval(&d, th, &f, g, H), 0);
        double gmax = 0, hmax = 0;
        for (int i = 0; i < NV; i++)
          gmax = fmax(gmax, fabs(g[i]));
        for (int i = 0; i < NV * NV; i++)
          hmax = fmax(hmax, fabs(H[i]));
        ck_assert_msg(gmax > 1e-4 && hmax > 1e-4,
                      "%s: degenerate test point (|g| %g, |H| %g)", o->name,
                      gmax, hmax);
        for (int j = 0; j < NV; j++) {
          double tp[NV], tm[NV], fp, fm, gp[NV], gm[NV];
          for (int y = 0; y < NV; y++)
            tp[y] = tm[y] = th[y];
          tp[j] += h;
          tm[j] -= h;
          o->eval(&d, tp, &fp, gp, NULL);
          o->eval(&d, tm, &fm, gm, NULL);
          double fd = (fp - fm) / (2 * h);
          ck_assert_msg(fabs(fd - g[j]) <= 1e-7 * (1 + fabs(f)),
                        "%s v%d: g[%d] = %.12g, central difference %.12g",
                        o->name, v, j, g[j], fd);
          for (int i = 0; i < NV; i++) {
            double hd = (gp[i] - gm[i]) / (2 * h);
            ck_assert_msg(fabs(hd - H[i * NV + j]) <= 1e-7 * (1 + gmax),
                          "%s v%d: H[%d][%d] = %.12g, central difference "
                          "%.12g", o->name, v, i, j, H[i * NV + j], hd);
          }
        }
        /* Hessian symmetric (exact formulas are). */
        for (int i = 0; i < NV; i++)
          for (int j = 0; j < NV; j++)
            ck_assert_msg(fabs(H[i * NV + j] - H[j * NV + i]) <= 1e-14 * (1 + hmax),
                          "%s: H not symmetric at %d,%d", o->name, i, j);
        /* Gauge: all but the ridged reward are invariant under θ + c·1. */
        int invariant = !(o == &as_obj_reward && d.ridge > 0);
        double s1 = 0;
        for (int i = 0; i < NV; i++)
          s1 += g[i];
        double fs, ths[NV];
        for (int y = 0; y < NV; y++)
          ths[y] = th[y] + 3.0;
        o->eval(&d, ths, &fs, NULL, NULL);
        if (invariant) {
          ck_assert_msg(fabs(s1) <= 1e-13 * (1 + gmax),
                        "%s: Σg = %g, not gauge invariant", o->name, s1);
          ck_assert_msg(fabs(fs - f) <= 1e-12 * (1 + fabs(f)),
                        "%s: f(θ+3·1) = %.17g != f(θ) = %.17g", o->name, fs, f);
          for (int i = 0; i < NV; i++) {
            double row = 0;
            for (int j = 0; j < NV; j++)
              row += H[i * NV + j];
            ck_assert_msg(fabs(row) <= 1e-13 * (1 + hmax),
                          "%s: (H·1)[%d] = %g", o->name, i, row);
          }
        } else {
          double sr = 0;
          for (int y = 0; y < NV; y++)
            sr += th[y];
          /* ridge part of Σg is η Σr (the pairwise part sums to 0) */
          ck_assert_msg(fabs(s1 - d.ridge * sr) <= 1e-13 * (1 + gmax),
                        "reward: Σg = %g, expected ridge·Σr = %g", s1,
                        d.ridge * sr);
        }
      }
  }
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_missing_data_rejected)
{
  fixture fx;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 13);
  make_fixture(&fx, r);
  gsl_rng_free(r);
  double th[NV] = {0}, f;
  as_ctx_data d = fx.d;
  d.P = NULL;
  ck_assert_int_ne(as_obj_pmle.eval(&d, th, &f, NULL, NULL), 0);
  ck_assert_int_ne(as_obj_dpo.eval(&d, th, &f, NULL, NULL), 0);
  ck_assert_int_ne(as_obj_reward.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  d.reward = NULL;
  ck_assert_int_ne(as_obj_distill.eval(&d, th, &f, NULL, NULL), 0);
  ck_assert_int_ne(as_obj_rkl.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  d.eta = 0.0;
  ck_assert_int_ne(as_obj_rebel_step.eval(&d, th, &f, NULL, NULL), 0);
  d = fx.d;
  double bad[NV * NV];
  for (int i = 0; i < NV * NV; i++)
    bad[i] = fx.P[i];
  bad[3] = -0.01;
  d.P = bad;
  ck_assert_int_ne(as_obj_pmle.eval(&d, th, &f, NULL, NULL), 0);
}
END_TEST

/* KL_ref building block: value at θ = log π_ref is 0, its gradient 0, and
 * with a NULL (uniform) reference it equals log NV − H(π). */
START_TEST(test_kl_ref_block)
{
  double lr[NV] = {-0.3, -1.2, -2.0, -0.7, -3.1}, th[NV];
  as_log_softmax(lr, NV, lr);
  for (int y = 0; y < NV; y++)
    th[y] = lr[y] + 5.0;
  double f = 0, g[NV] = {0};
  as_obj_add_kl_ref(NV, th, 2.0, lr, &f, g, NULL);
  ck_assert_msg(fabs(f) < 1e-15, "KL(π_ref‖π_ref) = %g", f);
  for (int y = 0; y < NV; y++)
    ck_assert_msg(fabs(g[y]) < 1e-15, "g[%d] = %g", y, g[y]);
  f = 0;
  as_obj_add_kl_ref(NV, lr, 1.0, NULL, &f, NULL, NULL);
  double ent = 0;
  for (int y = 0; y < NV; y++)
    ent -= exp(lr[y]) * lr[y];
  ck_assert_msg(fabs(f - (log(NV) - ent)) < 1e-14, "KL(π‖U) = %g, expected %g",
                f, log(NV) - ent);
}
END_TEST

/* Pair arithmetic at large gaps (issue 8): σ(t_ab) = e_a/(e_a + e_b) with
 * e = exp(u − max u) must stay exact when the pair sits far below the
 * context's largest logit, where e_b is subnormal (θ = −720 against a
 * maximum of 0: e^{−720} ≈ 2e-313) and the ratio e_b/e_a would have lost
 * its digits.  Reference: the pair's own gap t = 20 through as_sigmoid /
 * as_log_sigmoid, which never see the context's maximum. */
START_TEST(test_pair_terms_far_below_max)
{
  double th[3] = {0.0, -700.0, -720.0}, P[9] = {0}, Q[9] = {0};
  double rw[3] = {0.0, -650.0, -662.0};
  P[1 * 3 + 2] = 0.7;  /* 1 beat 2 */
  P[2 * 3 + 1] = 0.3;  /* 2 beat 1 */
  Q[1 * 3 + 2] = 0.6;
  Q[2 * 3 + 1] = 0.4;
  as_ctx_data d = {.V = 3, .rho = 1.0, .P = P, .Q = Q, .reward = rw,
                   .beta = 1.0, .lambda = 0.0};
  double f, g[3], H[9], t = 20.0;
  ck_assert_int_eq(as_obj_pmle.eval(&d, th, &f, g, H), 0);
  double fr = -0.7 * as_log_sigmoid(t) - 0.3 * as_log_sigmoid(-t);
  double gr = -0.7 * as_sigmoid(-t) + 0.3 * as_sigmoid(t);
  double hr = as_sigmoid(t) * as_sigmoid(-t);
  ck_assert_msg(fabs(f - fr) <= 1e-14 * fabs(fr), "f %.17g vs %.17g", f, fr);
  ck_assert_msg(fabs(g[1] - gr) <= 1e-13 * fabs(gr) && g[2] == -g[1] &&
                g[0] == 0.0, "g1 %.17g vs %.17g", g[1], gr);
  ck_assert_msg(fabs(H[1 * 3 + 1] - hr) <= 1e-13 * hr, "H11 %.17g vs %.17g",
                H[4], hr);
  /* distillation: p = σ(r̂_1 − r̂_2) = σ(12), logit gap t = 20 */
  double u = 12.0, p = as_sigmoid(u), q = as_sigmoid(-u);
  double kl = p * (as_log_sigmoid(u) - as_log_sigmoid(t)) +
              q * (as_log_sigmoid(-u) - as_log_sigmoid(-t));
  ck_assert_int_eq(as_obj_distill.eval(&d, th, &f, g, NULL), 0);
  ck_assert_msg(fabs(f - kl) <= 1e-13 * kl, "distill f %.17g vs %.17g", f,
                kl);
  double dr = q - as_sigmoid(-t); /* σ(t) − p, both near 1 */
  ck_assert_msg(fabs(g[1] - dr) <= 1e-13 * fabs(dr), "distill g1 %.17g vs "
                "%.17g", g[1], dr);
}
END_TEST

static Suite *objective_suite(void)
{
  Suite *s = suite_create("objective");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_value_matches_spec);
  tcase_add_test(tc, test_gradient_hessian_fd);
  tcase_add_test(tc, test_missing_data_rejected);
  tcase_add_test(tc, test_kl_ref_block);
  tcase_add_test(tc, test_pair_terms_far_below_max);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(objective_suite());
  srunner_run_all(sr, CK_VERBOSE);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
