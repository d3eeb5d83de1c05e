#!/usr/bin/env bash
# test_kind_finite.sh ALIGNSIM — the E3 ('finite') and E7 ('distill-mu2')
# experiment kinds end to end through the real `alignsim run`:
#   E3: summary.csv has the n,class_size,delta,kl_quantile,bound,slack
#       columns; bound ≥ quantile on every row; the quantile and the
#       violation counts are recomputed independently (awk) from
#       results.csv; `alignsim bounds` on the same config reports the same
#       instance-form bound for the same replicate (same seeding);
#       --threads 1 and 2 give identical files; the manifest re-runs to the
#       same results.csv (as_config_write of delta, sizes, m_sweep,
#       mu2_sweep).
#   E7: the Proposition 15 ratio is ≤ 1 on every fitted policy (a theorem,
#       not a tolerance); the ordering μ' = uniform < μ' = μ holds in EVERY
#       replicate at m = 300 (paired: same instance and reward) — by
#       construction: μ is anti-aligned with a peaked π*, so 300 pairs
#       from μ leave π*'s mode almost unseen, while uniform pairs see every
#       response; in e7.cfg the medians differ ~1000x and the 90 % quantile
#       of the uniform run is below the 10 % quantile of the μ run.
#   Bad input: exit 2 and FILE:LINE for the new keys.
set -u
A=${1:?usage: test_kind_finite.sh ALIGNSIM}
T=$(mktemp -d /tmp/test_kind_finite.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# ---- E3, small
cat >"$T/e3.cfg" <<'EOF'
experiment = "e3t";
kind = "finite";
instance = { K = 4; V = 5; };
beta = 1.0;
n = [30, 300, 3000];
lambda = [0.0];
methods = ["pmle"];
replicates = 20;
seed = 11;
delta = 0.1;
class = { type = "finite"; distances = [0.01, 0.1, 1.0]; size = 7;
          sizes = [4, 7]; };
EOF
"$A" run "$T/e3.cfg" --out "$T/a" --threads 1 --quiet --no-plots >/dev/null 2>"$T/err"
check "e3 run exits 0" test $? -eq 0
check "e3 run: no stderr" test ! -s "$T/err"
"$A" run "$T/e3.cfg" --out "$T/b" --threads 2 --quiet --no-plots >/dev/null 2>&1
check "e3 results.csv identical for --threads 1 and 2" cmp -s "$T/a/results.csv" "$T/b/results.csv"
check "e3 summary.csv identical for --threads 1 and 2" cmp -s "$T/a/summary.csv" "$T/b/summary.csv"
S="$T/a/summary.csv"
check "summary header starts n,class_size,delta,kl_quantile,bound,slack" \
  test "$(head -1 "$S" | cut -d, -f1-8)" = "n,class_size,delta,kl_quantile,bound,slack,bound_instance,slack_instance"
check "one summary row per (n, |Pi|)" test "$(($(wc -l <"$S") - 1))" -eq 6
check "bound >= kl_quantile and bound_instance >= kl_quantile on every row" \
  awk -F, 'NR > 1 { if (!($5 >= $4 && $7 >= $4 && $4 >= 0)) bad = 1; rows++ } END { exit bad || rows != 6 }' "$S"
check "slack = bound / kl_quantile" \
  awk -F, 'NR > 1 && $4 > 0 { if ((($6 - $5 / $4) / $6)^2 > 1e-24) bad = 1 } END { exit bad }' "$S"
# Independent recomputation from results.csv: per (n, |Pi| = iterations
# column, the members enumerated) the ceil((1-delta) R)-th smallest KL, and
# the replicates whose KL exceeds their own instance-form bound (aux).
R="$T/a/results.csv"
col() { head -1 "$R" | tr ',' '\n' | grep -n -x "$1" | cut -d: -f1; }
cn=$(col n); ck=$(col fwd_kl); ci=$(col iterations); ca=$(col bound_instance)
awk -F, -v cn="$cn" -v ck="$ck" -v ci="$ci" -v ca="$ca" 'NR > 1 {
    print $cn "," $ci "," $ck "," ($ck > $ca) }' "$R" |
  sort -t, -k1,1g -k2,2g -k3,3g |
  awk -F, '{ key = $1 "," $2; k[key]++; v[key, k[key]] = $3; viol[key] += $4 }
    END { for (key in k) { j = int(0.9 * k[key] + 0.999999); if (j < 1) j = 1
            printf "%s,%.17g,%d\n", key, v[key, j], viol[key] } }' |
  sort -t, -k1,1g -k2,2g >"$T/recomputed"
awk -F, 'NR > 1 { printf "%s,%s,%.17g,%d\n", $1, $2, $4, $12 }' "$S" |
  sort -t, -k1,1g -k2,2g >"$T/reported"
check "kl_quantile and violations_instance match an independent recount" \
  cmp -s "$T/recomputed" "$T/reported"
check "bound holds in >= 1-delta of replicates (instance form), every cell" \
  awk -F, 'NR > 1 { if ($12 > 0.1 * $10 || $11 > 0.1 * $10) bad = 1 } END { exit bad }' "$S"
# The sharp chain and the class-exact form (proofs/hellinger-logit.md):
# per cell, minimum bounds ordered class <= sharp instance <= sharp theorem
# <= paper theorem, sharp instance <= paper instance, and the slack budget
# multiplies back to slack_sharp and slack_class.
sc() { head -1 "$S" | tr ',' '\n' | grep -n -x "$1" | cut -d: -f1; }
check "bound_class <= bound_sharp <= bound_thm_sharp <= bound, bound_sharp <= bound_instance" \
  awk -F, -v a="$(sc bound_class)" -v b="$(sc bound_sharp)" -v c="$(sc bound_thm_sharp)" \
    'NR > 1 { if (!($a <= $b && $b <= $c && $c <= $5 && $b <= $7)) bad = 1; rows++ } END { exit bad || rows != 6 }' "$S"
check "no violations in any form" \
  awk -F, -v a="$(sc violations_thm_sharp)" -v b="$(sc violations_sharp)" -v c="$(sc violations_class)" \
    'NR > 1 { if ($a + $b + $c + $11 + $12 > 0) bad = 1 } END { exit bad }' "$S"
bud=$(sc budget_tail)
check "slack budget multiplies to slack_sharp and slack_class" \
  awk -F, -v g="$bud" -v s="$(sc slack_sharp)" -v t="$(sc slack_class)" \
    'NR > 1 && $4 > 0 { p = $g * $(g+1) * $(g+2) * $(g+3) * $(g+4) * $(g+5)
       q = $g * $(g+7) * $(g+8); n++
       if (((p - $s) / $s)^2 > 1e-20 || ((q - $t) / $t)^2 > 1e-20) bad = 1
       for (k = g + 1; k < g + 5; k++) if (!($k >= 1 - 1e-12)) bad = 1 }
     END { exit bad || n == 0 }' "$S"
# `alignsim bounds` on the same config (class.size = 7): replicate 3's
# thm4-instance bound at n = 300 equals results.csv's aux for that unit.
"$A" bounds "$T/e3.cfg" --replicate 3 --delta 0.1 >"$T/bounds" 2>"$T/berr"
check "alignsim bounds accepts the E3 config" test $? -eq 0
bb=$(awk -F'\t' '$1 == "thm4-instance" && $2 == 300 { print $4 }' "$T/bounds")
cr=$(col replicate)
rb=$(awk -F, -v cn="$cn" -v ci="$ci" -v ca="$ca" -v cr="$cr" \
  'NR > 1 && $cn == 300 && $ci == 7 && $cr == 3 { print $ca }' "$R")
check "same instance/class seeding as alignsim bounds ($bb vs $rb)" \
  awk -v a="$bb" -v b="$rb" 'BEGIN { exit !(a > 0 && ((a - b) / b)^2 < 1e-10) }'
# The manifest is a config that redoes the run.
"$A" run "$T/a/manifest" --out "$T/c" --threads 2 --quiet --no-plots >/dev/null 2>&1
check "e3 manifest re-runs to the same results.csv" cmp -s "$T/a/results.csv" "$T/c/results.csv"

# ---- E3-distill (Theorems 6, 7, 14 on finite classes, finite m), small
cat >"$T/e3d.cfg" <<'EOF'
experiment = "e3dt";
kind = "finite-distill";
instance = { K = 3; V = 5; logit_scale = 2.0;
             mu = { sharpness = -0.5; noise = 0.5; }; };
beta = 1.0;
n = [100, 3000];
lambda = [0.0];
methods = ["distill", "rkl"];
mu2_sweep = ["same", "star"];
m_sweep = [3, 30];
replicates = 20;
seed = 5;
delta = 0.1;
class = { type = "finite"; distances = [0.01, 0.1, 1.0]; sizes = [4, 16]; };
EOF
"$A" run "$T/e3d.cfg" --out "$T/d1" --threads 1 --quiet --no-plots >/dev/null 2>"$T/err"
check "e3-distill run exits 0" test $? -eq 0
check "e3-distill: no stderr" test ! -s "$T/err"
"$A" run "$T/e3d.cfg" --out "$T/d2" --threads 2 --quiet --no-plots >/dev/null 2>&1
check "e3-distill summary identical for --threads 1 and 2" cmp -s "$T/d1/summary.csv" "$T/d2/summary.csv"
D="$T/d1/summary.csv"
dc() { head -1 "$D" | tr ',' '\n' | grep -n -x "$1" | cut -d: -f1; }
# rows: (mu', m, n) = 2 x 2 x 2 cells, thm14 and thm7 each, thm6 where mu' = mu
check "e3-distill: 20 summary rows" test "$(($(wc -l <"$D") - 1))" -eq 20
check "e3-distill: no violations in any form" \
  awk -F, -v a="$(dc violations_paper)" -v b="$(dc violations_thm_sharp)" \
    -v c="$(dc violations_sharp)" -v d="$(dc violations_class)" \
    'NR > 1 { if ($a + $b + $c + $d > 0) bad = 1 } END { exit bad }' "$D"
check "e3-distill: sharp instance <= sharp theorem <= paper; class <= sharp instance for thm7" \
  awk -F, -v p="$(dc bound_paper)" -v t="$(dc bound_thm_sharp)" -v s="$(dc bound_sharp)" \
    -v c="$(dc bound_class)" -v th="$(dc theorem)" \
    'NR > 1 { if (!($s <= $t && $t <= $p)) bad = 1
              if ($th == "thm7" && !($c <= $s)) bad = 1 } END { exit bad }' "$D"
g=$(dc budget_tail)
check "e3-distill: slack budget multiplies to slack_sharp" \
  awk -F, -v g="$g" -v s="$(dc slack_sharp)" \
    'NR > 1 && $g != "nan" { p = 1; for (k = g; k < g + 7; k++) p *= $k; n++
       if (((p - $s) / $s)^2 > 1e-18) bad = 1
       for (k = g + 1; k < g + 6; k++) if (!($k >= 1 - 1e-12)) bad = 1 }
     END { exit bad || n == 0 }' "$D"
sed 's/sizes = \[4, 16\]/sizes = [4, 7]/' "$T/e3d.cfg" >"$T/e3d-bad.cfg"
"$A" run "$T/e3d-bad.cfg" --out "$T/dbad" --quiet --no-plots >/dev/null 2>"$T/err"
check "e3-distill: |Pi| not a multiple of |Pi_R| is exit 2" test $? -eq 2
check "e3-distill: the message names the file and the rule" \
  grep -q "e3d-bad.cfg: kind 'finite-distill' needs .*multiple of" "$T/err"
check "e3-distill: no output left behind on bad input" test ! -e "$T/dbad/summary.csv"
# RKL returns the fitted reward's policy: its KL per (replicate, n) does not
# depend on (mu', m) (the labelled data are shared by every cell)
R2="$T/d1/results.csv"
rc2() { head -1 "$R2" | tr ',' '\n' | grep -n -x "$1" | cut -d: -f1; }
check "e3-distill: rkl KL independent of (mu', m) per (replicate, n)" \
  awk -F, -v me="$(rc2 method)" -v re="$(rc2 replicate)" -v nn="$(rc2 n)" -v k="$(rc2 fwd_kl)" \
    'NR > 1 && $me == "rkl" { key = $re "," $nn; if (key in v && v[key] != $k) bad = 1; v[key] = $k }
     END { exit bad }' "$R2"

# ---- E7, small
cat >"$T/e7.cfg" <<'EOF'
experiment = "e7t";
kind = "distill-mu2";
instance = { K = 10; V = 10; logit_scale = 2.0; mu2 = "uniform";
             mu = { sharpness = -0.5; noise = 0.5; }; };
beta = 1.0;
n = [100000000];
lambda = { from = 1e-5; to = 10.0; points = 19; };
methods = ["distill"];
mu2_sweep = ["same", "uniform"];
m_sweep = [300];
replicates = 8;
seed = 7;
class = { type = "tabular"; distances = [0.1, 1.0]; size = 5; };
EOF
"$A" run "$T/e7.cfg" --out "$T/d" --threads 1 --quiet --no-plots >/dev/null 2>"$T/err"
check "e7 run exits 0" test $? -eq 0
"$A" run "$T/e7.cfg" --out "$T/e" --threads 2 --quiet --no-plots >/dev/null 2>&1
check "e7 results.csv identical for --threads 1 and 2" cmp -s "$T/d/results.csv" "$T/e/results.csv"
R="$T/d/results.csv"
cm=$(col method); ck=$(col fwd_kl); cp=$(col prop15_ratio); cr=$(col replicate)
check "Proposition 15: KL ratio <= Gamma(B) on every fitted policy" \
  awk -F, -v c="$cp" 'NR > 1 { if (!($c <= 1 + 1e-12)) bad = 1; rows++ } END { exit bad || rows != 16 }' "$R"
check "mu' = uniform beats mu' = mu in every replicate (m = 300)" \
  awk -F, -v cm="$cm" -v ck="$ck" -v cr="$cr" 'NR > 1 { kl[$cm, $cr] = $ck }
    END { for (r = 0; r < 8; r++) if (!(kl["distill-uniform", r] < kl["distill-mu", r])) bad = 1; exit bad }' "$R"
# Theorem 14's coefficient: the summary's median over replicates of
# C'(uniform) equals the median of what `alignsim bounds` reports per
# replicate for the same config (instance.mu2 = "uniform" there; the kind
# overwrites mu' itself, so the two routes differ in how mu' is set;
# `bounds` wants class.type = "finite", which draws the same class).
sed 's/type = "tabular"/type = "finite"/' "$T/e7.cfg" >"$T/e7b.cfg"
for r in 0 1 2 3 4 5 6 7; do
  "$A" bounds "$T/e7b.cfg" --replicate $r | awk '$1 == "C_prime" { print $2 }'
done | sort -g | awk '{ v[NR] = $1 } END { printf "%.17g\n", (v[4] + v[5]) / 2 }' >"$T/cp_bounds"
cpb=$(cat "$T/cp_bounds")
cps=$(awk -F, 'NR > 1 && $1 == "uniform" { print $17 }' "$T/d/summary.csv")
check "C'(uniform) median matches alignsim bounds ($cps vs $cpb)" \
  awk -v a="$cps" -v b="$cpb" 'BEGIN { exit !(a > 0 && ((a - b) / b)^2 < 1e-18) }'
"$A" run "$T/d/manifest" --out "$T/f" --quiet --no-plots >/dev/null 2>&1
check "e7 manifest re-runs to the same results.csv" cmp -s "$T/d/results.csv" "$T/f/results.csv"

# ---- bad input: exit 2, FILE:LINE
badcfg() { # name, text, expected message fragment
  printf '%s' "$2" >"$T/bad.cfg"
  "$A" run "$T/bad.cfg" --out "$T/x" --quiet --no-plots >/dev/null 2>"$T/err"
  local rc=$?
  check "$1: exit 2" test $rc -eq 2
  check "$1: names bad.cfg:LINE ($(head -c 160 "$T/err"))" grep -q "bad.cfg:[0-9]*:.*$3" "$T/err"
  check "$1: nothing written" test ! -e "$T/x/results.csv"
}
H='experiment = "b";
beta = 1.0;
n = [100];
lambda = [0.0];
methods = ["pmle"];
replicates = 2;
'
badcfg "delta out of range" "${H}delta = 1.5;
" "delta"
badcfg "class size not 1 + k*#distances" "${H}class = { type = \"finite\"; distances = [0.1, 1.0];
  size = 4; };
" "1 + k"
badcfg "sizes not increasing" "${H}class = { type = \"finite\"; distances = [0.1];
  sizes = [3, 2]; };
" "sizes"
badcfg "unknown mu2_sweep entry" "${H}mu2_sweep = [\"same\",
 \"better\"];
" "better"
badcfg "m_sweep zero" "${H}m_sweep = [0];
" "m_sweep"

echo "$pass passed, $fail failed"
test "$fail" -eq 0
