/* check_lemmas.c — rigorous checks of the scalar lemmas of docs/reference.md §5 by
 * interval arithmetic (MPFI) with branch-and-bound subdivision.
 *
 *   check_lemmas CHECK VARIANT
 *     CHECK   lemma8 | lemma9 | phi-monotone | lemma10 | lemma10b |
 *             hellinger | hellinger-logit | prop15 | shift |
 *             shift-identity | schulman
 *     VARIANT stated     the inequality as derived in proofs/ (expect TRUE)
 *             tight1pct  its constant made 1 % tighter     (expect FALSE)
 *
 * A box is PROVEN when the interval enclosure of the margin (the inequality
 * rewritten as "margin ≥ 0", in a divided form free of 0/0) is ≥ 0, or
 * when a closure rule applies: near a point where the inequality is tight
 * (equality), a derivative sign is proven strictly on the box and the
 * inequality follows from monotonicity plus equality at the tight point
 * (each rule is derived in the .md of its lemma; a rule is used only for
 * the stated constant, where the tight-point equality is an identity).
 * A box is REFUTED when the ORIGINAL inequality, evaluated at one of its
 * corners or its midpoint (a degenerate interval, off the set where both
 * sides vanish), has an enclosure entirely < 0 — a rigorous counterexample.
 * Otherwise the box is bisected along its widest side.  A box narrower
 * than 1e-13 of the domain that is neither proven nor refuted makes the
 * verdict UNDECIDED.
 *
 * Exit status: 0 if every parameter value gave the expected verdict
 * (TRUE for stated, FALSE for tight1pct), 1 otherwise, 2 on usage error.
 * Derivations and the analytic notes on unbounded domains:
 * proofs/README.md and the .md of each lemma. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpfi.h>
#include <mpfr.h>

#define PREC 256
#define NSERIES 40
#define MAX_BOXES 4000000L
#define STACK_MAX 4096

enum { V_TRUE, V_FALSE, V_UNDECIDED };

typedef struct check check;
struct check {
  const char *name;
  int dim;
  double lo[2], hi[2]; /* domain                                       */
  double B;            /* parameter (B or L), 0 if none                 */
  double factor;       /* 1 for stated; the 1 % tighter multiplier      */
  int tight;           /* 1 for the variant: closure rules are disabled */
  mpfi_t K;            /* the claimed constant (factor already applied) */
  /* enclosure of the divided margin over the box x */
  void (*margin)(const check *c, mpfi_ptr out, mpfi_t *x);
  /* enclosure of the original margin at a point; 0 if the point lies on
   * the set where both sides vanish (no counterexample possible there) */
  int (*point)(const check *c, mpfi_ptr out, mpfi_t *x);
  /* 1 if the box is closed by the lemma's monotone closure rule */
  int (*closure)(const check *c, mpfi_t *x, const double *lo,
                 const double *hi);
};

/* ---- interval helpers -------------------------------------------------- */

/* Σ_{k<N} coef(k) u^k + [−rem, rem] by interval Horner; coef(k) is the
 * rational num(k)/den(k), evaluated as an interval. */
typedef void (*coef_fn)(mpfi_ptr out, int k);

static void series(mpfi_ptr out, mpfi_srcptr u, coef_fn coef, double rem)
{
  mpfi_t a, r;
  mpfi_init2(a, PREC);
  mpfi_init2(r, PREC);
  coef(out, NSERIES - 1);
  for (int k = NSERIES - 2; k >= 0; --k) {
    mpfi_mul(out, out, u);
    coef(a, k);
    mpfi_add(out, out, a);
  }
  mpfi_interv_d(r, -rem, rem);
  mpfi_add(out, out, r);
  mpfi_clear(a);
  mpfi_clear(r);
}

/* num/top! as an interval (divided by 2, 3, ..., top in turn). */
static void coef_ratio(mpfi_ptr out, unsigned long num, int top)
{
  mpfi_set_ui(out, num);
  for (int j = 2; j <= top; ++j)
    mpfi_div_ui(out, out, (unsigned long)j);
}

/* 1/(k+2)!: coefficients of φ(u) = Σ u^k/(k+2)! */
static void coef_phi(mpfi_ptr out, int k) { coef_ratio(out, 1, k + 2); }

/* (k+1)/(k+3)!: φ'(u) = Σ (k+1) u^k/(k+3)! */
static void coef_dphi(mpfi_ptr out, int k)
{
  coef_ratio(out, (unsigned long)(k + 1), k + 3);
}

/* (k+1)(k+2)/(k+4)!: φ''(u) = Σ (k+1)(k+2) u^k/(k+4)! */
static void coef_d2phi(mpfi_ptr out, int k)
{
  coef_ratio(out, (unsigned long)((k + 1) * (k + 2)), k + 4);
}

/* (k+1)/(k+2)!: χ(u) = g(u)/u² = Σ (k+1) u^k/(k+2)! (Prop. 15) */
static void coef_chi(mpfi_ptr out, int k)
{
  coef_ratio(out, (unsigned long)(k + 1), k + 2);
}

/* Tail bound for |u| ≤ 2: every coefficient above is ≤ 1/(k+1)!, and
 * Σ_{k≥N} 2^k/(k+1)! ≤ 2·2^N/(N+1)! (ratio of terms ≤ 2/(N+2) ≤ 1/2);
 * N = 40: about 2e-38. */
static double tail_bound(void)
{
  double t = 2.0;
  for (int j = 1; j <= NSERIES; ++j)
    t *= 2.0;
  for (int j = 2; j <= NSERIES + 1; ++j)
    t /= (double)j;
  return t * 1.0000001; /* slack for the rounding of this double */
}

static int inside_unit(mpfi_srcptr u)
{
  mpfr_t l, r;
  int ok;
  mpfr_init2(l, PREC);
  mpfr_init2(r, PREC);
  mpfi_get_left(l, u);
  mpfi_get_right(r, u);
  ok = mpfr_cmp_si(l, -2) >= 0 && mpfr_cmp_si(r, 2) <= 0;
  mpfr_clear(l);
  mpfr_clear(r);
  return ok;
}

/* f(U) enclosed by its series (coefficients coef) on [−2, 2] and by the
 * closed form direct(U) elsewhere (U then excludes 0, where the closed
 * forms are 0/0). */
typedef void (*iv_fn)(mpfi_ptr out, mpfi_srcptr u);

static void series_or_direct(mpfi_ptr out, mpfi_srcptr u, coef_fn coef,
                             iv_fn direct)
{
  if (inside_unit(u))
    series(out, u, coef, tail_bound());
  else
    direct(out, u);
}

/* φ(u) = (e^u − 1 − u)/u² */
static void phi_direct(mpfi_ptr out, mpfi_srcptr u)
{
  mpfi_t t;
  mpfi_init2(t, PREC);
  mpfi_expm1(out, u);
  mpfi_sub(out, out, u);
  mpfi_sqr(t, u);
  mpfi_div(out, out, t);
  mpfi_clear(t);
}

/* φ'(u) = (e^u (u − 2) + u + 2)/u³ */
static void dphi_direct(mpfi_ptr out, mpfi_srcptr u)
{
  mpfi_t t, s;
  mpfi_init2(t, PREC);
  mpfi_init2(s, PREC);
  mpfi_exp(t, u);
  mpfi_sub_ui(s, u, 2);
  mpfi_mul(out, t, s);
  mpfi_add(out, out, u);
  mpfi_add_ui(out, out, 2);
  mpfi_sqr(t, u);
  mpfi_mul(t, t, u);
  mpfi_div(out, out, t);
  mpfi_clear(t);
  mpfi_clear(s);
}

/* χ(u) = (1 − e^u + u e^u)/u² */
static void chi_direct(mpfi_ptr out, mpfi_srcptr u)
{
  mpfi_t t;
  mpfi_init2(t, PREC);
  mpfi_exp(t, u);
  mpfi_mul(out, t, u);
  mpfi_expm1(t, u);
  mpfi_sub(out, out, t);
  mpfi_sqr(t, u);
  mpfi_div(out, out, t);
  mpfi_clear(t);
}

static void phi_iv(mpfi_ptr out, mpfi_srcptr u)
{
  series_or_direct(out, u, coef_phi, phi_direct);
}

static void dphi_iv(mpfi_ptr out, mpfi_srcptr u)
{
  series_or_direct(out, u, coef_dphi, dphi_direct);
}

static void chi_iv(mpfi_ptr out, mpfi_srcptr u)
{
  series_or_direct(out, u, coef_chi, chi_direct);
}

/* σ'(X) = 1/(2 + 2 cosh X): cosh is exact on intervals (even, monotone in
 * |x|), so this enclosure is tight. */
static void dsigma_iv(mpfi_ptr out, mpfi_srcptr x)
{
  mpfi_cosh(out, x);
  mpfi_mul_ui(out, out, 2);
  mpfi_add_ui(out, out, 2);
  mpfi_inv(out, out);
}

/* σ(X) = 1/(1 + e^{−x}) */
static void sigma_iv(mpfi_ptr out, mpfi_srcptr x)
{
  mpfi_neg(out, x);
  mpfi_exp(out, out);
  mpfi_add_ui(out, out, 1);
  mpfi_inv(out, out);
}

/* Sign test on one end of an enclosure: the left end (right = 0) or the
 * right end, compared with 0 by cmp ∈ {≥, >, <}; a NaN enclosure proves
 * nothing. */
enum { SGN_GE, SGN_GT, SGN_LT };

static int end_sign_is(mpfi_srcptr v, int right, int cmp)
{
  mpfr_t e;
  int s;
  if (mpfi_nan_p(v))
    return 0;
  mpfr_init2(e, PREC);
  if (right)
    mpfi_get_right(e, v);
  else
    mpfi_get_left(e, v);
  s = mpfr_sgn(e);
  mpfr_clear(e);
  return cmp == SGN_GE ? s >= 0 : cmp == SGN_GT ? s > 0 : s < 0;
}

/* v ≥ 0, v > 0, v < 0 for every point of the enclosure. */
static int is_nonneg(mpfi_srcptr v) { return end_sign_is(v, 0, SGN_GE); }
static int is_strict_pos(mpfi_srcptr v) { return end_sign_is(v, 0, SGN_GT); }
static int is_strict_neg(mpfi_srcptr v) { return end_sign_is(v, 1, SGN_LT); }

/* φ'(X) > 0 proven on the box X: the monotonicity behind the closures of
 * Lemma 9 (at u = B) and of the shift bound (at c = −L). */
static int dphi_strict_pos(mpfi_srcptr x)
{
  mpfi_t d;
  int ok;
  mpfi_init2(d, PREC);
  dphi_iv(d, x);
  ok = is_strict_pos(d);
  mpfi_clear(d);
  return ok;
}

/* K e^u − φ(u): Lemma 10's divided margin at u = B (K = 1/2); the lower
 * form 10b's is its negation at u = −B. */
static void kexp_minus_phi(mpfi_ptr out, mpfi_srcptr K, mpfi_srcptr u)
{
  mpfi_t t;
  mpfi_init2(t, PREC);
  mpfi_exp(out, u);
  mpfi_mul(out, out, K);
  phi_iv(t, u);
  mpfi_sub(out, out, t);
  mpfi_clear(t);
}

/* e^u/2 − φ'(u) > 0 proven on the box U: the derivative of e^u/2 − φ(u),
 * behind the closures of Lemma 10 (U = [0, c]) and 10b (U = −[0, c]). */
static int half_exp_minus_dphi_pos(mpfi_srcptr u)
{
  mpfi_t d, t;
  int ok;
  mpfi_init2(d, PREC);
  mpfi_init2(t, PREC);
  mpfi_exp(d, u);
  mpfi_div_ui(d, d, 2);
  dphi_iv(t, u);
  mpfi_sub(d, d, t);
  ok = is_strict_pos(d);
  mpfi_clear(d);
  mpfi_clear(t);
  return ok;
}

/* K u² − (e^u − 1 − u) at u: the original (undivided) margin of Lemma 9;
 * the shift bound's is its negation. */
static void quad_minus_h(mpfi_ptr out, mpfi_srcptr K, mpfi_srcptr u)
{
  mpfi_t t;
  mpfi_init2(t, PREC);
  mpfi_sqr(t, u);
  mpfi_mul(t, t, K);
  mpfi_expm1(out, u);
  mpfi_sub(out, out, u);
  mpfi_sub(out, t, out);
  mpfi_clear(t);
}

/* ---- Lemma 8: |σ(a) − σ(b)| ≥ κ(B)|a − b| on [−B, B]², κ = σ'(B) -------- */

static void l8_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  /* D(a,b) = (σ(a) − σ(b))/(a − b) = σ'(ξ), ξ ∈ hull(A ∪ B) (mean value
   * theorem; on the diagonal D is σ'(a) by continuity) */
  mpfi_t h, d, s, t;
  mpfi_init2(h, PREC);
  mpfi_init2(d, PREC);
  mpfi_init2(s, PREC);
  mpfi_init2(t, PREC);
  mpfi_union(h, x[0], x[1]);
  dsigma_iv(out, h);
  mpfi_sub(d, x[0], x[1]);
  if (!mpfi_has_zero(d)) { /* disjoint: intersect with the direct quotient */
    sigma_iv(s, x[0]);
    sigma_iv(t, x[1]);
    mpfi_sub(s, s, t);
    mpfi_div(s, s, d);
    mpfi_intersect(t, out, s);
    if (!mpfi_is_empty(t))
      mpfi_set(out, t);
  }
  mpfi_sub(out, out, c->K);
  mpfi_clear(h);
  mpfi_clear(d);
  mpfi_clear(s);
  mpfi_clear(t);
}

static int l8_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mpfi_t s, t;
  mpfi_init2(s, PREC);
  mpfi_init2(t, PREC);
  mpfi_sub(s, x[0], x[1]);
  if (mpfi_is_zero(s)) { /* a = b: both sides are 0 */
    mpfi_clear(s);
    mpfi_clear(t);
    return 0;
  }
  sigma_iv(s, x[0]);
  sigma_iv(t, x[1]);
  mpfi_sub(out, s, t);
  mpfi_abs(out, out);
  mpfi_sub(t, x[0], x[1]);
  mpfi_abs(t, t);
  mpfi_mul(t, t, c->K);
  mpfi_sub(out, out, t);
  mpfi_clear(s);
  mpfi_clear(t);
  return 1;
}

/* Closure at the corners (±B, ±B), where the inequality is tight: if the
 * hull H of the box touches +B (resp. −B) and σ'' = −σ' tanh(ξ/2) is
 * proven < 0 (resp. > 0) on H, then min_H σ' = σ'(±B) = κ(B) by
 * definition of κ, and D ∈ σ'(H) ≥ κ(B). */
static int l8_closure(const check *c, mpfi_t *x, const double *lo,
                      const double *hi)
{
  (void)x;
  double hl = fmin(lo[0], lo[1]), hh = fmax(hi[0], hi[1]);
  int top = (hh == c->B), bot = (hl == -c->B);
  if (!top && !bot)
    return 0;
  mpfi_t h, t;
  int ok;
  mpfi_init2(h, PREC);
  mpfi_init2(t, PREC);
  mpfi_interv_d(h, hl, hh);
  mpfi_div_ui(t, h, 2);
  mpfi_tanh(t, t);
  ok = top ? is_strict_pos(t) : is_strict_neg(t);
  mpfi_clear(h);
  mpfi_clear(t);
  return ok;
}

/* ---- Lemma 9: e^u − 1 − u ≤ φ(B) u² on [−B, B] ---------------------------- */

static void l9_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  phi_iv(out, x[0]);
  mpfi_sub(out, c->K, out); /* K − φ(u) ≥ 0 */
}

static int l9_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  if (mpfi_is_zero(x[0]))
    return 0; /* u = 0: both sides are 0 */
  quad_minus_h(out, c->K, x[0]); /* φ(B) u² − (e^u − 1 − u) ≥ 0 */
  return 1;
}

/* Closure at u = B (tight): φ' > 0 proven on the box [c, B] gives
 * φ(u) ≤ φ(B) = K there. */
static int l9_closure(const check *c, mpfi_t *x, const double *lo,
                      const double *hi)
{
  (void)lo;
  if (hi[0] != c->B)
    return 0;
  return dphi_strict_pos(x[0]);
}

/* ---- φ increasing on R: φ'(u) ≥ φ'(−2) = e^{-2}/2 > 0 on [−2, 2]
 * (|u| ≥ 2 analytic, phi-monotone in lemma9-quadratic.md) ------------- */

static void mono_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  dphi_iv(out, x[0]);
  mpfi_sub(out, out, c->K);
}

static int mono_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mono_margin(c, out, x);
  return 1;
}

/* Closure at u = −2 (tight): φ'' > 0 proven on the box (series, |u| ≤ 2)
 * gives φ'(u) ≥ φ'(−2) there. */
static int mono_closure(const check *c, mpfi_t *x, const double *lo,
                        const double *hi)
{
  (void)hi;
  if (lo[0] != c->lo[0])
    return 0;
  mpfi_t d;
  int ok;
  mpfi_init2(d, PREC);
  series(d, x[0], coef_d2phi, tail_bound());
  ok = is_strict_pos(d);
  mpfi_clear(d);
  return ok;
}

/* ---- Lemma 10: φ(B) ≤ e^B/2 for B ∈ [0, 2] (B ≥ √2 analytic) ------------ */

static void l10_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  kexp_minus_phi(out, c->K, x[0]); /* K e^B − φ(B) ≥ 0, K = factor/2 */
}

static int l10_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  if (mpfi_is_zero(x[0]))
    return 0; /* B = 0: e^B − 1 − B = 0 = (e^B/2)·B² */
  mpfi_t t;
  mpfi_init2(t, PREC);
  mpfi_exp(t, x[0]);
  mpfi_mul(t, t, c->K);
  mpfi_sqr(out, x[0]);
  mpfi_mul(t, t, out);
  mpfi_expm1(out, x[0]);
  mpfi_sub(out, out, x[0]);
  mpfi_sub(out, t, out);
  mpfi_clear(t);
  return 1;
}

/* Closure at B = 0 (tight, ψ(0) = e^0/2 − φ(0) = 0): ψ' = e^B/2 − φ'(B)
 * proven > 0 on [0, c] gives ψ ≥ 0 there. */
static int l10_closure(const check *c, mpfi_t *x, const double *lo,
                       const double *hi)
{
  (void)hi;
  (void)c;
  if (lo[0] != 0.0)
    return 0;
  return half_exp_minus_dphi_pos(x[0]);
}

/* ---- Lemma 10, lower form (10b): φ(−B) ≥ e^{−B}/2 for B ∈ [0, 2]
 * (B ≥ 2 analytic: (B−1)/B² ≥ 1/(2B) ≥ e^{−B}/2, lemma10-phi-exp.md) -- */

static void l10b_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mpfi_t t;
  mpfi_init2(t, PREC);
  mpfi_neg(t, x[0]);
  kexp_minus_phi(out, c->K, t); /* K = factor/2 */
  mpfi_neg(out, out);           /* φ(−B) − K e^{−B} ≥ 0 (exact negation) */
  mpfi_clear(t);
}

static int l10b_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  if (mpfi_is_zero(x[0]))
    return 0; /* B = 0: both sides 0 */
  mpfi_t t, e;
  mpfi_init2(t, PREC);
  mpfi_init2(e, PREC);
  mpfi_neg(t, x[0]);
  mpfi_expm1(out, t);
  mpfi_sub(out, out, t); /* e^{−B} − 1 + B */
  mpfi_exp(e, t);
  mpfi_mul(e, e, c->K);
  mpfi_sqr(t, x[0]);
  mpfi_mul(e, e, t);
  mpfi_sub(out, out, e);
  mpfi_clear(t);
  mpfi_clear(e);
  return 1;
}

/* Closure at B = 0 (tight: φ(0) = 1/2 = e^0/2): the derivative of the
 * margin, −φ'(−B) + e^{−B}/2, proven > 0 on [0, c]. */
static int l10b_closure(const check *c, mpfi_t *x, const double *lo,
                        const double *hi)
{
  (void)hi;
  (void)c;
  if (lo[0] != 0.0)
    return 0;
  mpfi_t t;
  int ok;
  mpfi_init2(t, PREC);
  mpfi_neg(t, x[0]);
  ok = half_exp_minus_dphi_pos(t); /* at −B */
  mpfi_clear(t);
  return ok;
}

/* ---- Bernoulli: (p − q)² ≤ 2 H², H² = 1 − √(pq) − √((1−p)(1−q)) -------- */

/* Divided: with s = √p + √q, t = √(1−p) + √(1−q),
 * 2H² = (p − q)² (1/s² + 1/t²), so the claim (p−q)² ≤ K·2H² is
 * 1/s² + 1/t² − 1/K ≥ 0 (hellinger-tv.md). */
static void hel_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mpfi_t s, t, u;
  mpfi_init2(s, PREC);
  mpfi_init2(t, PREC);
  mpfi_init2(u, PREC);
  mpfi_sqrt(s, x[0]);
  mpfi_sqrt(t, x[1]);
  mpfi_add(s, s, t);
  mpfi_sqr(s, s);
  mpfi_inv(out, s);
  mpfi_ui_sub(t, 1, x[0]);
  mpfi_sqrt(t, t);
  mpfi_ui_sub(u, 1, x[1]);
  mpfi_sqrt(u, u);
  mpfi_add(t, t, u);
  mpfi_sqr(t, t);
  mpfi_inv(t, t);
  mpfi_add(out, out, t);
  mpfi_ui_div(t, 1, c->K);
  mpfi_sub(out, out, t);
  mpfi_clear(s);
  mpfi_clear(t);
  mpfi_clear(u);
}

static int hel_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mpfi_t h, t, u;
  mpfi_init2(h, PREC);
  mpfi_init2(t, PREC);
  mpfi_init2(u, PREC);
  mpfi_sub(h, x[0], x[1]);
  if (mpfi_is_zero(h)) { /* p = q: both sides 0 */
    mpfi_clear(h);
    mpfi_clear(t);
    mpfi_clear(u);
    return 0;
  }
  mpfi_mul(h, x[0], x[1]);
  mpfi_sqrt(h, h);
  mpfi_ui_sub(t, 1, x[0]);
  mpfi_ui_sub(u, 1, x[1]);
  mpfi_mul(t, t, u);
  mpfi_sqrt(t, t);
  mpfi_add(h, h, t);
  mpfi_ui_sub(h, 1, h); /* H² */
  mpfi_mul_ui(h, h, 2);
  mpfi_mul(h, h, c->K);
  mpfi_sub(t, x[0], x[1]);
  mpfi_sqr(t, t);
  mpfi_sub(out, h, t);
  mpfi_clear(h);
  mpfi_clear(t);
  mpfi_clear(u);
  return 1;
}

/* Closure at (1/2, 1/2) (tight): analytic, by AM–HM,
 * 1/s² + 1/t² ≥ 4/(s² + t²) = 4/(2 + 2 BC) ≥ 1 since BC ≤ 1.  Used only
 * inside [1/2 − 2^-6, 1/2 + 2^-6]² (hellinger-tv.md). */
static int hel_closure(const check *c, mpfi_t *x, const double *lo,
                       const double *hi)
{
  (void)c;
  (void)x;
  const double e = 1.0 / 64.0;
  return lo[0] >= 0.5 - e && hi[0] <= 0.5 + e && lo[1] >= 0.5 - e &&
         hi[1] <= 0.5 + e;
}

/* ---- Hellinger → logit: (a − b)² ≤ 16(1 + cosh B) h²(σ(a), σ(b)) on
 * [−B, B]², h² = 1 − √(σ(a)σ(b)) − √(σ(−a)σ(−b)) (hellinger-logit.md) --- */

/* sinh(t)/t over T, t ≥ 0 after |·|: even and increasing in |t|, so the
 * enclosure is [f(min|T|), f(max|T|)] with f(0) = 1, each end a rigorous
 * point enclosure rounded outwards. */
static void sinhc_iv(mpfi_ptr out, mpfi_srcptr t)
{
  mpfi_t a, p;
  mpfr_t lo, hi, e;
  mpfi_init2(a, PREC);
  mpfi_init2(p, PREC);
  mpfr_init2(lo, PREC);
  mpfr_init2(hi, PREC);
  mpfr_init2(e, PREC);
  mpfi_abs(a, t);
  mpfi_get_left(e, a);
  if (mpfr_zero_p(e)) {
    mpfr_set_ui(lo, 1, MPFR_RNDD);
  } else {
    mpfi_set_fr(p, e);
    mpfi_sinh(p, p);
    mpfi_div_fr(p, p, e);
    mpfi_get_left(lo, p);
  }
  mpfi_get_right(e, a);
  if (mpfr_zero_p(e)) {
    mpfr_set_ui(hi, 1, MPFR_RNDU);
  } else {
    mpfi_set_fr(p, e);
    mpfi_sinh(p, p);
    mpfi_div_fr(p, p, e);
    mpfi_get_right(hi, p);
  }
  mpfi_interv_fr(out, lo, hi);
  mpfi_clear(a);
  mpfi_clear(p);
  mpfr_clear(lo);
  mpfr_clear(hi);
  mpfr_clear(e);
}

/* Divided form, from the identity (hellinger-logit.md step 1)
 *   h² = sinh²(d/2) / (cosh(a/2) cosh(b/2) (1 + BC)),  d = (a − b)/2,
 *   BC = cosh((a+b)/4)/√(cosh(a/2) cosh(b/2)) ∈ (0, 1]:
 * (a − b)² ≤ K h²  ⇔  (K/16) sinhc²(d/2) / (cosh(a/2)cosh(b/2)(1 + BC)) ≥ 1.
 * BC's enclosure is intersected with [0, 1] (Cauchy–Schwarz). */
static void hl_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mpfi_t ch, t, bc, one;
  mpfi_init2(ch, PREC);
  mpfi_init2(t, PREC);
  mpfi_init2(bc, PREC);
  mpfi_init2(one, PREC);
  mpfi_div_ui(t, x[0], 2);
  mpfi_cosh(ch, t);
  mpfi_div_ui(t, x[1], 2);
  mpfi_cosh(t, t);
  mpfi_mul(ch, ch, t); /* cosh(a/2) cosh(b/2) */
  mpfi_add(t, x[0], x[1]);
  mpfi_div_ui(t, t, 4);
  mpfi_cosh(bc, t);
  mpfi_sqrt(t, ch);
  mpfi_div(bc, bc, t);
  mpfi_interv_si(one, 0, 1);
  mpfi_intersect(t, bc, one);
  if (!mpfi_is_empty(t))
    mpfi_set(bc, t);
  mpfi_add_ui(bc, bc, 1);
  mpfi_mul(ch, ch, bc); /* cosh cosh (1 + BC) */
  mpfi_sub(t, x[0], x[1]);
  mpfi_div_ui(t, t, 4); /* d/2 */
  sinhc_iv(out, t);
  mpfi_sqr(out, out);
  mpfi_mul(out, out, c->K);
  mpfi_div_ui(out, out, 16);
  mpfi_div(out, out, ch);
  mpfi_sub_ui(out, out, 1);
  mpfi_clear(ch);
  mpfi_clear(t);
  mpfi_clear(bc);
  mpfi_clear(one);
}

/* Original form K h² − (a − b)² at a point, h² from σ directly. */
static int hl_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mpfi_t p, q, t, u;
  mpfi_init2(p, PREC);
  mpfi_init2(q, PREC);
  mpfi_init2(t, PREC);
  mpfi_init2(u, PREC);
  mpfi_sub(t, x[0], x[1]);
  int off = !mpfi_is_zero(t);
  if (off) {
    sigma_iv(p, x[0]);
    sigma_iv(q, x[1]);
    mpfi_mul(t, p, q);
    mpfi_sqrt(t, t);
    mpfi_ui_sub(p, 1, p);
    mpfi_ui_sub(q, 1, q);
    mpfi_mul(u, p, q);
    mpfi_sqrt(u, u);
    mpfi_add(t, t, u);
    mpfi_ui_sub(t, 1, t); /* h² */
    mpfi_mul(out, t, c->K);
    mpfi_sub(t, x[0], x[1]);
    mpfi_sqr(t, t);
    mpfi_sub(out, out, t);
  }
  mpfi_clear(p);
  mpfi_clear(q);
  mpfi_clear(t);
  mpfi_clear(u);
  return off;
}

/* Closure at the corners (B, B) and (−B, −B), where the inequality is
 * tight: on a box inside the open quadrant of the corner (proven: both
 * coordinates of one sign), cosh(a/2) cosh(b/2) is largest at the corner,
 * = cosh²(B/2) = (1 + cosh B)/2, while sinhc ≥ 1 and BC ≤ 1; so the
 * divided margin is ≥ (1 + cosh B)/((1 + cosh B)/2 · 2) − 1 = 0
 * (hellinger-logit.md step 4, verified locally). */
static int hl_closure(const check *c, mpfi_t *x, const double *lo,
                      const double *hi)
{
  (void)x;
  /* only boxes within 2^-20 of the corner: enclosures do the rest */
  if (hi[0] - lo[0] > ldexp(c->B, -20) || hi[1] - lo[1] > ldexp(c->B, -20))
    return 0;
  if (hi[0] == c->B && hi[1] == c->B)
    return lo[0] > 0.0 && lo[1] > 0.0;
  if (lo[0] == -c->B && lo[1] == -c->B)
    return hi[0] < 0.0 && hi[1] < 0.0;
  return 0;
}

/* ---- Prop. 15: g(u) ≤ Γ(B) h(u) on [−B, B] --------------------------------- */

static void p15_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  mpfi_t t;
  mpfi_init2(t, PREC);
  chi_iv(out, x[0]);
  phi_iv(t, x[0]);
  mpfi_div(out, out, t); /* g/h = χ/φ */
  mpfi_sub(out, c->K, out);
  mpfi_clear(t);
}

static int p15_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  if (mpfi_is_zero(x[0]))
    return 0;
  mpfi_t e, t;
  mpfi_init2(e, PREC);
  mpfi_init2(t, PREC);
  mpfi_expm1(t, x[0]);
  mpfi_sub(t, t, x[0]); /* h */
  mpfi_mul(t, t, c->K);
  mpfi_exp(e, x[0]);
  mpfi_mul(e, e, x[0]);
  mpfi_expm1(out, x[0]);
  mpfi_sub(out, e, out); /* g = u e^u − (e^u − 1) */
  mpfi_sub(out, t, out);
  mpfi_clear(e);
  mpfi_clear(t);
  return 1;
}

/* Closure at u = B (tight): (g/h)' has the sign of
 * N(u) = (e^u − 1)² − u² e^u = e^u (4 sinh²(u/2) − u²); on a box of
 * positive u, proving sinh(u/2)/(u/2) > 1 proves g/h increasing there. */
static int p15_closure(const check *c, mpfi_t *x, const double *lo,
                       const double *hi)
{
  if (hi[0] != c->B || !(lo[0] > 0.0))
    return 0;
  mpfi_t h, t;
  int ok;
  mpfi_init2(h, PREC);
  mpfi_init2(t, PREC);
  mpfi_div_ui(h, x[0], 2);
  mpfi_sinh(t, h);
  mpfi_div(t, t, h);
  mpfi_sub_ui(t, t, 1);
  ok = is_strict_pos(t);
  mpfi_clear(h);
  mpfi_clear(t);
  return ok;
}

/* ---- shift bound: e^c − 1 − c ≥ φ(−L) c² on [−L, L] ------------------------ */

static void sh_margin(const check *c, mpfi_ptr out, mpfi_t *x)
{
  phi_iv(out, x[0]);
  mpfi_sub(out, out, c->K);
}

static int sh_point(const check *c, mpfi_ptr out, mpfi_t *x)
{
  if (mpfi_is_zero(x[0]))
    return 0;
  quad_minus_h(out, c->K, x[0]);
  mpfi_neg(out, out); /* (e^c − 1 − c) − φ(−L) c² ≥ 0 (exact negation) */
  return 1;
}

/* Closure at c = −L (tight): φ' > 0 on the box gives φ(c) ≥ φ(−L). */
static int sh_closure(const check *c, mpfi_t *x, const double *lo,
                      const double *hi)
{
  (void)hi;
  if (lo[0] != -c->B)
    return 0;
  return dphi_strict_pos(x[0]);
}

/* ---- branch and bound ------------------------------------------------------- */

typedef struct box {
  double lo[2], hi[2];
} box;

typedef struct stats {
  long boxes, proven, closed;
  double cex[2];
  int depth;
} stats;

static void box_to_iv(const check *c, const box *b, mpfi_t *x)
{
  for (int i = 0; i < c->dim; ++i)
    mpfi_interv_d(x[i], b->lo[i], b->hi[i]);
}

/* Tries the corners and the midpoint of b as counterexamples. */
static int try_points(const check *c, const box *b, stats *st)
{
  int ncorner = 1 << c->dim;
  mpfi_t x[2], m;
  int found = 0;
  mpfi_init2(x[0], PREC);
  mpfi_init2(x[1], PREC);
  mpfi_init2(m, PREC);
  for (int k = 0; k <= ncorner && !found; ++k) {
    double p[2];
    for (int i = 0; i < c->dim; ++i) {
      if (k == ncorner)
        p[i] = 0.5 * (b->lo[i] + b->hi[i]);
      else
        p[i] = (k >> i) & 1 ? b->hi[i] : b->lo[i];
      mpfi_set_d(x[i], p[i]);
    }
    if (c->point(c, m, x) && is_strict_neg(m)) {
      found = 1;
      st->cex[0] = p[0];
      st->cex[1] = c->dim > 1 ? p[1] : 0.0;
    }
  }
  mpfi_clear(x[0]);
  mpfi_clear(x[1]);
  mpfi_clear(m);
  return found;
}

/* Closure rules are local arguments at a tight point: they are tried only
 * on boxes at most 1/64 of the domain wide, so the bulk of the domain is
 * proven by enclosures of the inequality itself. */
static int small_box(const check *c, const box *b)
{
  for (int i = 0; i < c->dim; ++i)
    if (b->hi[i] - b->lo[i] > (c->hi[i] - c->lo[i]) / 64.0)
      return 0;
  return 1;
}

static int run(const check *c, stats *st)
{
  box *stack = malloc(STACK_MAX * sizeof *stack);
  int sp = 0, verdict = V_TRUE;
  if (!stack) {
    fprintf(stderr, "check_lemmas: out of memory\n");
    exit(2);
  }
  double minw = 1e-13 * fmax(c->hi[0] - c->lo[0],
                             c->dim > 1 ? c->hi[1] - c->lo[1] : 0.0);
  mpfi_t x[2], m;
  mpfi_init2(x[0], PREC);
  mpfi_init2(x[1], PREC);
  mpfi_init2(m, PREC);
  memset(st, 0, sizeof *st);
  stack[sp].lo[0] = c->lo[0];
  stack[sp].hi[0] = c->hi[0];
  stack[sp].lo[1] = c->lo[1];
  stack[sp].hi[1] = c->hi[1];
  ++sp;
  while (sp > 0) {
    box b = stack[--sp];
    if (++st->boxes > MAX_BOXES) {
      verdict = V_UNDECIDED;
      break;
    }
    box_to_iv(c, &b, x);
    c->margin(c, m, x);
    if (is_nonneg(m)) {
      ++st->proven;
      continue;
    }
    if (try_points(c, &b, st)) {
      verdict = V_FALSE;
      break;
    }
    if (!c->tight && c->closure && small_box(c, &b) &&
        c->closure(c, x, b.lo, b.hi)) {
      ++st->closed;
      continue;
    }
    int w = 0;
    if (c->dim > 1 && b.hi[1] - b.lo[1] > b.hi[0] - b.lo[0])
      w = 1;
    if (b.hi[w] - b.lo[w] < minw || sp + 2 > STACK_MAX) {
      verdict = V_UNDECIDED;
      st->cex[0] = b.lo[0];
      st->cex[1] = b.lo[1];
      break;
    }
    double mid = 0.5 * (b.lo[w] + b.hi[w]);
    box l = b, r = b;
    l.hi[w] = mid;
    r.lo[w] = mid;
    stack[sp++] = r;
    stack[sp++] = l;
    if (sp > st->depth)
      st->depth = sp;
  }
  mpfi_clear(x[0]);
  mpfi_clear(x[1]);
  mpfi_clear(m);
  free(stack);
  return verdict;
}

/* ---- identities (Schulman, shift) on fixed distributions -------------------- */

/* Fixed test distributions: p_i ∝ 1 + ((7i + 3j) mod 11), q_i ∝ 1 + ((5i +
 * 2j) mod 13)^2, sizes V = 2..10 (exact rationals, entered as intervals). */
static void test_dist(mpfi_t *p, mpfi_t *q, int V, int j)
{
  unsigned long sp = 0, sq = 0;
  for (int i = 0; i < V; ++i) {
    sp += 1 + (unsigned long)((7 * i + 3 * j) % 11);
    unsigned long r = (unsigned long)((5 * i + 2 * j) % 13);
    sq += 1 + r * r;
  }
  for (int i = 0; i < V; ++i) {
    unsigned long r = (unsigned long)((5 * i + 2 * j) % 13);
    mpfi_set_ui(p[i], 1 + (unsigned long)((7 * i + 3 * j) % 11));
    mpfi_div_ui(p[i], p[i], sp);
    mpfi_set_ui(q[i], 1 + r * r);
    mpfi_div_ui(q[i], q[i], sq);
  }
}

/* Identity holds at a test case when LHS − factor·RHS encloses 0 with
 * width < 2^-200; refuted when the enclosure excludes 0. */
static int identity_case(double factor, int V, int j, double shift,
                         int use_shift)
{
  mpfi_t p[10], q[10], lhs, rhs, u, t;
  int res;
  for (int i = 0; i < 10; ++i) {
    mpfi_init2(p[i], PREC);
    mpfi_init2(q[i], PREC);
  }
  mpfi_init2(lhs, PREC);
  mpfi_init2(rhs, PREC);
  mpfi_init2(u, PREC);
  mpfi_init2(t, PREC);
  test_dist(p, q, V, j);
  mpfi_set_ui(lhs, 0);
  mpfi_set_ui(rhs, 0);
  for (int i = 0; i < V; ++i) {
    mpfi_div(u, q[i], p[i]);
    mpfi_log(u, u); /* u = log(q/p) */
    mpfi_mul(t, p[i], u);
    mpfi_sub(rhs, rhs, t); /* KL(p‖q) = −Σ p u */
    if (use_shift)
      mpfi_add_d(u, u, shift);
    mpfi_expm1(t, u);
    mpfi_sub(t, t, u);
    mpfi_mul(t, t, p[i]);
    mpfi_add(lhs, lhs, t); /* E_p[e^{u+c} − 1 − (u+c)] */
  }
  if (use_shift) { /* RHS = KL + e^c − 1 − c */
    mpfi_set_d(t, shift);
    mpfi_expm1(u, t);
    mpfi_sub(u, u, t);
    mpfi_add(rhs, rhs, u);
  }
  mpfi_mul_d(rhs, rhs, factor);
  mpfi_sub(lhs, lhs, rhs);
  if (!mpfi_has_zero(lhs)) {
    res = V_FALSE;
  } else {
    mpfr_t w;
    mpfr_init2(w, PREC);
    mpfi_diam_abs(w, lhs);
    res = mpfr_cmp_d(w, ldexp(1.0, -200)) < 0 ? V_TRUE : V_UNDECIDED;
    mpfr_clear(w);
  }
  for (int i = 0; i < 10; ++i) {
    mpfi_clear(p[i]);
    mpfi_clear(q[i]);
  }
  mpfi_clear(lhs);
  mpfi_clear(rhs);
  mpfi_clear(u);
  mpfi_clear(t);
  return res;
}

static int identity_check(double factor, int use_shift, int *ncases)
{
  static const double shifts[] = {-3.0, -0.5, 0.0, 0.25, 2.0};
  int verdict = V_TRUE;
  *ncases = 0;
  for (int V = 2; V <= 10; ++V)
    for (int j = 0; j < 4; ++j)
      for (int s = 0; s < (use_shift ? 5 : 1); ++s) {
        int r = identity_case(factor, V, j, shifts[s], use_shift);
        ++*ncases;
        if (r == V_FALSE)
          return V_FALSE;
        if (r == V_UNDECIDED)
          verdict = V_UNDECIDED;
      }
  return verdict;
}

/* ---- driver ---------------------------------------------------------------- */

static const char *vname(int v)
{
  return v == V_TRUE ? "TRUE" : v == V_FALSE ? "FALSE" : "UNDECIDED";
}

/* Sets up check `name` at parameter B; returns 0 if the name is unknown. */
static int setup(check *c, const char *name, double B, int tight)
{
  memset(c, 0, sizeof *c);
  mpfi_init2(c->K, PREC);
  c->name = name;
  c->B = B;
  c->tight = tight;
  c->dim = 1;
  c->lo[0] = -B;
  c->hi[0] = B;
  mpfi_t b;
  mpfi_init2(b, PREC);
  mpfi_set_d(b, B);
  if (!strcmp(name, "lemma8")) {
    c->factor = tight ? 1.01 : 1.0; /* κ made 1 % larger */
    c->dim = 2;
    c->lo[1] = -B;
    c->hi[1] = B;
    dsigma_iv(c->K, b);
    c->margin = l8_margin;
    c->point = l8_point;
    c->closure = l8_closure;
  } else if (!strcmp(name, "lemma9")) {
    c->factor = tight ? 0.99 : 1.0; /* φ(B) made 1 % smaller */
    phi_iv(c->K, b);
    c->margin = l9_margin;
    c->point = l9_point;
    c->closure = l9_closure;
  } else if (!strcmp(name, "phi-monotone")) {
    /* φ'(u) ≥ φ'(−2) on [−2, 2] (tight at −2); variant 1.01 φ'(−2) */
    c->factor = tight ? 1.01 : 1.0;
    c->lo[0] = -2.0;
    c->hi[0] = 2.0;
    mpfi_set_si(b, -2);
    dphi_iv(c->K, b);
    c->margin = mono_margin;
    c->point = mono_point;
    c->closure = mono_closure;
  } else if (!strcmp(name, "lemma10")) {
    c->factor = tight ? 0.99 : 1.0; /* e^B/2 made 1 % smaller */
    c->lo[0] = 0.0;
    c->hi[0] = 2.0;
    mpfi_set_d(c->K, 0.5);
    c->margin = l10_margin;
    c->point = l10_point;
    c->closure = l10_closure;
  } else if (!strcmp(name, "lemma10b")) {
    c->factor = tight ? 1.01 : 1.0; /* e^{−B}/2 made 1 % larger */
    c->lo[0] = 0.0;
    c->hi[0] = 2.0;
    mpfi_set_d(c->K, 0.5);
    c->margin = l10b_margin;
    c->point = l10b_point;
    c->closure = l10b_closure;
  } else if (!strcmp(name, "hellinger")) {
    c->factor = tight ? 0.99 : 1.0; /* c = 2 made 1.98 */
    c->dim = 2;
    c->lo[0] = c->lo[1] = 0.0;
    c->hi[0] = c->hi[1] = 1.0;
    mpfi_set_ui(c->K, 1);
    c->margin = hel_margin;
    c->point = hel_point;
    c->closure = hel_closure;
  } else if (!strcmp(name, "hellinger-logit")) {
    c->factor = tight ? 0.99 : 1.0; /* 16(1 + cosh B) made 1 % smaller */
    c->dim = 2;
    c->lo[1] = -B;
    c->hi[1] = B;
    mpfi_cosh(c->K, b);
    mpfi_add_ui(c->K, c->K, 1);
    mpfi_mul_ui(c->K, c->K, 16);
    c->margin = hl_margin;
    c->point = hl_point;
    c->closure = hl_closure;
  } else if (!strcmp(name, "prop15")) {
    c->factor = tight ? 0.99 : 1.0; /* Γ(B) made 1 % smaller */
    mpfi_t t;
    mpfi_init2(t, PREC);
    chi_iv(c->K, b);
    phi_iv(t, b);
    mpfi_div(c->K, c->K, t);
    mpfi_clear(t);
    c->margin = p15_margin;
    c->point = p15_point;
    c->closure = p15_closure;
  } else if (!strcmp(name, "shift")) {
    c->factor = tight ? 1.01 : 1.0; /* φ(−L) made 1 % larger */
    mpfi_neg(b, b);
    phi_iv(c->K, b);
    c->margin = sh_margin;
    c->point = sh_point;
    c->closure = sh_closure;
  } else {
    mpfi_clear(b);
    mpfi_clear(c->K);
    return 0;
  }
  mpfi_mul_d(c->K, c->K, c->factor);
  mpfi_clear(b);
  return 1;
}

int main(int argc, char **argv)
{
  if (argc != 3 || (strcmp(argv[2], "stated") && strcmp(argv[2], "tight1pct"))) {
    fprintf(stderr, "usage: %s CHECK stated|tight1pct\n"
                    "  CHECK: lemma8 lemma9 phi-monotone lemma10 lemma10b "
                    "hellinger hellinger-logit prop15 shift shift-identity "
                    "schulman\n", argv[0]);
    return 2;
  }
  const char *name = argv[1];
  int tight = !strcmp(argv[2], "tight1pct");
  int expect = tight ? V_FALSE : V_TRUE, all_ok = 1;

  if (!strcmp(name, "schulman") || !strcmp(name, "shift-identity")) {
    int use_shift = !strcmp(name, "shift-identity"), n;
    double f = tight ? 0.99 : 1.0;
    int v = identity_check(f, use_shift, &n);
    printf("%s factor=%.2f: %s (%d exact-rational test cases, "
           "enclosure width < 2^-200)\n", name, f, vname(v), n);
    return v == expect ? 0 : 1;
  }

  /* parameter values covering the project's ranges (README.md) */
  /* on E3 the measured B_σ reaches 8.0 and 2R_max 12.2 (|Π| = 256, 100
   * replicates): 6, 10 and 12 are added around them; every other B is
   * covered by the analytic proofs (lemma8-sigmoid.md, hellinger-logit.md) */
  static const double Bs_l8[] = {0.25, 1, 2, 4, 6, 8, 10, 12, 16, 32};
  static const double Bs_l9[] = {0.1, 0.5, 1, 2, 4, 8, 16, 40, 100};
  static const double Bs_p15[] = {0.1, 0.5, 1, 2, 4, 8, 16, 40};
  static const double Bs_one[] = {0};
  const double *Bs;
  size_t nB;
  if (!strcmp(name, "lemma8") || !strcmp(name, "hellinger-logit")) {
    Bs = Bs_l8;
    nB = sizeof Bs_l8 / sizeof *Bs_l8;
  } else if (!strcmp(name, "lemma9") || !strcmp(name, "shift")) {
    Bs = Bs_l9;
    nB = sizeof Bs_l9 / sizeof *Bs_l9;
  } else if (!strcmp(name, "prop15")) {
    Bs = Bs_p15;
    nB = sizeof Bs_p15 / sizeof *Bs_p15;
  } else {
    Bs = Bs_one;
    nB = 1;
  }
  for (size_t i = 0; i < nB; ++i) {
    check c;
    stats st;
    if (!setup(&c, name, Bs[i], tight)) {
      fprintf(stderr, "%s: unknown check '%s'\n", argv[0], name);
      return 2;
    }
    int v = run(&c, &st);
    printf("%s on [%g, %g]%s factor=%.2f: %s  (boxes %ld, proven by "
           "enclosure %ld, closed at the tight point %ld, max stack %d)",
           name, c.lo[0], c.hi[0], c.dim > 1 ? "^2" : "", c.factor, vname(v),
           st.boxes, st.proven, st.closed, st.depth);
    if (v == V_FALSE && c.dim > 1)
      printf("  counterexample at (%.17g, %.17g)", st.cex[0], st.cex[1]);
    else if (v == V_FALSE)
      printf("  counterexample at %.17g", st.cex[0]);
    if (v == V_UNDECIDED)
      printf("  stuck near (%.17g, %.17g)", st.cex[0], st.cex[1]);
    printf("\n");
    if (v != expect)
      all_ok = 0;
    mpfi_clear(c.K);
  }
  mpfr_free_cache();
  return all_ok ? 0 : 1;
}
