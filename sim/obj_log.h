/* obj_log.h — a natural logarithm of positive normal doubles that a
 * compiler can vectorise (issue 8): obj_btw.c's value takes one log per
 * unordered pair, and glibc's scalar log was a fifth of a V = 1000 fit.
 *
 * Method: x = 2^k·m with m in [√½, √2) read from the bits (k exactly, no
 * integer-to-double conversion the vector units lack: 2^52 + k_biased is
 * built in the bits of a double), then log m = 2 atanh s, s = (m−1)/(m+1),
 * |s| ≤ (√2−1)/(√2+1) < 0.17158, s² < 0.029438, and
 *   log x = k·ln 2 + 2s·(1 + s²/3 + s⁴/5 + … + s¹⁸/19).
 * Error bound, u = 2⁻⁵³ (the unit roundoff):
 * - truncation: the dropped tail 2s·Σ_{j≥10} s^{2j}/(2j+1) is below
 *   |2s|·s²⁰/(21·(1−s²)) < |2s|·2.4e-17 < 0.22u·|log m|;
 * - m−1 is exact (Sterbenz), m+1 and the quotient round: s carries ≤ 2u;
 *   the series after its leading 1 is < 0.0099, so its Horner evaluation
 *   and rounded coefficients add ≤ 1.1u, the product s·P one more u:
 *   |log m| is computed within 4.4u of itself (relative);
 * - k·ln 2 = k·LN2_HI + k·LN2_LO with k·LN2_HI exact (LN2_HI has 11 zero
 *   trailing bits, |k| ≤ 1075); where k ≠ 0, |log m| ≤ ½ ln 2 ≤ |log x|,
 *   so the final sums add ≤ 1.1u·|log x| and the whole error is below
 *   6u·|log x| (where k = 0 the result is log m itself).
 * tests/test_obj_log.c checks the bound against libm's log over many
 * inputs across the whole normal range.  Only for x positive and normal:
 * zero, subnormals, infinities and NaN give meaningless values. */
#ifndef OBJ_LOG_H
#define OBJ_LOG_H

#include <stdint.h>
#include <string.h>

/* The relative error bound proved above: 6u. */
#define OBJ_LOG_REL_BOUND (6.0 * 0x1p-53)

static inline double obj_log_normal(double x)
{
  /* D moves the split point from 1 to √½: x·2^{-k} in [√½, √2). */
  const uint64_t D = UINT64_C(0x3ff0000000000000) -
                     UINT64_C(0x3fe6a09e667f3bcd);
  const double LN2_HI = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
  const double LN2_LO = 1.90821492927058770002e-10; /* ln 2 − LN2_HI */
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  u += D;
  uint64_t kb = (u >> 52) | UINT64_C(0x4330000000000000);
  uint64_t mb = ((u & UINT64_C(0x000fffffffffffff)) |
                 UINT64_C(0x3ff0000000000000)) - D;
  double kd, m;
  memcpy(&kd, &kb, sizeof kd);
  memcpy(&m, &mb, sizeof m);
  double k = kd - 0x1p52 - 1023.0; /* exact: small integers */
  double s = (m - 1.0) / (m + 1.0), z = s * s;
  double p = 2.0 / 19.0;
  p = p * z + 2.0 / 17.0;
  p = p * z + 2.0 / 15.0;
  p = p * z + 2.0 / 13.0;
  p = p * z + 2.0 / 11.0;
  p = p * z + 2.0 / 9.0;
  p = p * z + 2.0 / 7.0;
  p = p * z + 2.0 / 5.0;
  p = p * z + 2.0 / 3.0;
  /* 2s + s·(z·p): the leading term kept exact (2s is exact) */
  double lm = 2.0 * s + s * (z * p);
  return k * LN2_HI + (lm + k * LN2_LO);
}

#endif
