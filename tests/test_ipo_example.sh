#!/usr/bin/env bash
# test_ipo_example.sh ALIGNSIM — the IPO paper's Section 5 example
# (experiments/ipo-example.sh): after 10^5 gradient steps DPO's pi(y1)
# exceeds 0.999 for beta_d = 0.1 and 1 on both data sets and grows along
# the steps (a deterministic policy in the limit, whatever beta), while
# IPO's probabilities equal the minimiser of its loss, computed here by
# hand: with each ordering once, least squares on h1 - h2 = h2 - h3 =
# h1 - h3 = 1/(2 tau) gives h1 - h2 = h2 - h3 = 1/(3 tau); without y1 > y3
# it gives 1/(2 tau) for both gaps.  A factor of tau changed fails it.
set -u
A=${1:?usage: test_ipo_example.sh ALIGNSIM}
HERE=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/test_ipo_example.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() { local name=$1; shift; if "$@"; then pass=$((pass + 1)); echo "PASS: $name"; else fail=$((fail + 1)); echo "FAIL: $name"; fi; }
"$HERE/experiments/ipo-example.sh" "$A" "$T"
check "example runs" test $? -eq 0
last() { tail -1 "$T/curve_$1.dat"; }
for d in full missing; do
  for b in 0.1 1; do
    c="$T/curve_${d}_dpo_$b.dat"
    check "$d dpo beta $b: pi(y1) > 0.999" awk 'END { exit !($2 > 0.999) }' "$c"
    check "$d dpo beta $b: pi(y1) grows" awk '!/^#/ { if (NR > 2 && $2 < p - 1e-12) bad = 1; p = $2 } END { exit bad }' "$c"
  done
  for tau in 0.1 1; do
    gap=$(awk -v d=$d -v t=$tau 'BEGIN { printf "%.17g\n", (d == "full") ? 1 / (3 * t) : 1 / (2 * t) }')
    check "$d ipo tau $tau: closed form" awk -v a="$gap" 'END {
        z = exp(2 * a) + exp(a) + 1
        e = 0; w[1] = exp(2 * a) / z; w[2] = exp(a) / z; w[3] = 1 / z
        for (i = 1; i <= 3; i++) { d = $(i + 1) - w[i]; if (d < 0) d = -d; if (d > e) e = d }
        exit !(e < 1e-9) }' "$T/curve_${d}_ipo_$tau.dat"
  done
done
echo "$pass passed, $fail failed"
test "$fail" -eq 0
