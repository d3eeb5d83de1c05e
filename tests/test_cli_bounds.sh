#!/usr/bin/env bash
# test_cli_bounds.sh ALIGNSIM CONFIG — runs the real `alignsim bounds` on
# the example configuration: the reported quantities obey the invariances
# the mathematics fixes (C_Π, C_Π_R, C' do not depend on β; R_max is
# linear in β; theorem-form bounds are ∝ 1/n at fixed everything else),
# output is reproducible, and bad input gives exit 2 with FILE:LINE.
set -u
A=${1:?usage: test_cli_bounds.sh ALIGNSIM CONFIG}
CFG=${2:?usage: test_cli_bounds.sh ALIGNSIM CONFIG}
T=$(mktemp -d /tmp/test_cli_bounds.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

"$A" bounds "$CFG" --reward-size 3 >"$T/out" 2>"$T/err"
check "example exits 0" test $? -eq 0
check "no stderr" test ! -s "$T/err"
# key → values (one per beta block)
vals() { awk -v k="$1" '$1 == k { print $2 }' "$T/out"; }
check "two beta blocks" test "$(vals beta | wc -l)" -eq 2
c1=$(vals C_Pi | sed -n 1p); c2=$(vals C_Pi | sed -n 2p)
check "C_Pi independent of beta" test "$c1" = "$c2"
check "C_Pi_R independent of beta" test "$(vals C_Pi_R | sort -u | wc -l)" -eq 1
check "C_prime independent of beta" test "$(vals C_prime | sort -u | wc -l)" -eq 1
r1=$(vals R_max | sed -n 1p); r2=$(vals R_max | sed -n 2p)
check "R_max linear in beta (0.5 -> 1)" \
  awk -v a="$r1" -v b="$r2" 'BEGIN { exit !(b > 0 && (b - 2 * a)^2 < 1e-24 * b^2) }'
# Proposition 15's factor against its closed form written out here,
# Gamma(B) = (1 - e^B + B e^B)/(e^B - 1 - B) at B = 4 R_max/beta (awk
# doubles: B is moderate in this example, no cancellation at B >= 1).
g1=$(vals prop15_gamma | sed -n 1p); g2=$(vals prop15_gamma | sed -n 2p)
gam() { awk -v R="$1" -v b="$2" -v g="$3" 'BEGIN { B = 4 * R / b; e = exp(B);
  G = (1 - e + B * e) / (e - 1 - B); exit !(B >= 1 && (g - G)^2 <= 1e-24 * G^2) }'; }
check "prop15_gamma closed form (beta 0.5)" gam "$r1" 0.5 "$g1"
check "prop15_gamma closed form (beta 1)" gam "$r2" 1.0 "$g2"
# thm4 rows of the first block: bound * n constant.
awk -F'\t' '$1 == "thm4" { print $2 * $4 }' "$T/out" | sed -n 1,3p >"$T/bn"
check "thm4 bound proportional to 1/n" \
  awk 'NR == 1 { a = $1 } { if ((($1 - a) / a)^2 > 1e-10) bad = 1 } END { exit bad }' "$T/bn"
check "thm14 and thm6 rows present (finite m)" \
  test "$(awk -F'\t' '$1 == "thm14" || $1 == "thm6"' "$T/out" | wc -l)" -eq 12
"$A" bounds "$CFG" --reward-size 3 >"$T/out2" 2>/dev/null
check "reproducible" cmp -s "$T/out" "$T/out2"
# Assumptions 1 and 5 are reported: the generated class has pi* as member 0,
# and --reward-size keeps the first members, so pi* is in Pi_R.
check "pi* is member 0 (Assumption 1)" test "$(vals pi_star_member)" = 0
check "pi* in Pi_R (Assumption 5)" test "$(vals pi_star_in_Pi_R)" = yes


# The table of forms: five forms per n and beta, ordered as the proofs
# make them for Theorems 4 and 7 (class-exact <= sharp instance <= sharp
# theorem <= paper theorem; sharp instance <= paper instance).
awk -F'\t' '$1 ~ /^(paper|sharp)-|^class-exact$/' "$T/out" >"$T/forms"
check "form table: 5 forms x 3 n x 2 beta" test "$(wc -l <"$T/forms")" -eq 30
check "forms ordered for thm4 and thm7" awk -F'\t' '
  { v[$1] = $0; f[$1, 3] = $3; f[$1, 4] = $4 }
  $1 == "class-exact" { for (c = 3; c <= 4; c++)
      if (!(f["class-exact", c] <= f["sharp-instance", c] &&
            f["sharp-instance", c] <= f["sharp-theorem", c] &&
            f["sharp-theorem", c] <= f["paper-theorem", c] &&
            f["sharp-instance", c] <= f["paper-instance", c])) bad = 1; rows++ }
  END { exit bad || rows != 6 }' "$T/forms"
check "sharp thm6 and thm14 below the paper chain" awk -F'\t' '
  $1 == "paper-theorem" { p6 = $5; p14 = $6 }
  $1 == "sharp-theorem" { if (!($5 < p6 && $6 < p14)) bad = 1; rows++ }
  END { exit bad || rows != 6 }' "$T/forms"

# delta comes from the config unless --delta overrides it, and the
# theorem-form bound moves with log(|Pi|/delta).
check "default delta is the config's (0.05)" test "$(vals delta)" = 0.05
{ cat "$CFG"; echo "delta = 0.01;"; } >"$T/d.cfg"
"$A" bounds "$T/d.cfg" --reward-size 3 >"$T/d.out" 2>/dev/null
check "config delta = 0.01 used" test "$(awk '$1 == "delta" { print $2 }' "$T/d.out")" = 0.01
"$A" bounds "$T/d.cfg" --reward-size 3 --delta 0.2 >"$T/d2.out" 2>/dev/null
check "--delta overrides the config" test "$(awk '$1 == "delta" { print $2 }' "$T/d2.out")" = 0.2

# Bad inputs: exit 2, message names the file and line.
sed 's/type = "finite"/type = "tabular"/' "$CFG" >"$T/tab.cfg"
"$A" bounds "$T/tab.cfg" >/dev/null 2>"$T/err"
rc=$?
check "tabular class rejected with exit 2" test $rc -eq 2
check "tabular message names FILE:LINE" grep -q "tab.cfg:[0-9]*: 'bounds' needs class.type" "$T/err"
sed 's/size = 7/size = 6/' "$CFG" >"$T/size.cfg"
"$A" bounds "$T/size.cfg" >/dev/null 2>"$T/err"
check "size not 1 + k*#distances: exit 2" test $? -eq 2
check "size message names FILE:LINE" grep -q "size.cfg:[0-9]*: class.size = 6" "$T/err"
sed 's/^beta = .*/beta = -1.0;/' "$CFG" >"$T/beta.cfg"
"$A" bounds "$T/beta.cfg" >/dev/null 2>"$T/err"
check "negative beta: exit 2" test $? -eq 2
check "beta message names FILE:LINE" grep -q "beta.cfg:[0-9]*:" "$T/err"
printf '0 0 0 x\n' >"$T/members.tsv"
sed 's|distances = \[0.01, 0.1, 1.0\]; size = 7;|file = "members.tsv";|' "$CFG" >"$T/file.cfg"
"$A" bounds "$T/file.cfg" >/dev/null 2>"$T/err"
check "bad class file: exit 2" test $? -eq 2
check "class file message names FILE:LINE" grep -q "members.tsv:1:" "$T/err"
# A class file member with a zero (log_prob -inf) is legal in the file
# format but has no induced reward: exit 2, the config's FILE:LINE and the
# value, and nothing on stdout (everything is computed before printing).
awk 'BEGIN { OFS = "\t"; OFMT = "%.17g"; print "member", "context", "response", "log_prob";
  for (m = 0; m < 2; m++) for (x = 0; x < 4; x++) for (y = 0; y < 5; y++)
    if (m == 1 && x == 2) print m, x, y, (y == 0 ? "-inf" : log(1 / 4));
    else print m, x, y, log(1 / 5) }' >"$T/members.tsv"
"$A" bounds "$T/file.cfg" >"$T/zero.out" 2>"$T/err"
check "class member with a zero: exit 2" test $? -eq 2
check "zero message names FILE:LINE and the value" \
  grep -q "file.cfg:[0-9]*: class file 'members.tsv': member 1 has log pi(0|2) = -inf" "$T/err"
check "zero: nothing written to stdout" test ! -s "$T/zero.out"
# A class file without pi*: both assumptions reported as failing.
awk 'BEGIN { OFS = "\t"; OFMT = "%.17g"; print "member", "context", "response", "log_prob";
  for (m = 0; m < 2; m++) for (x = 0; x < 4; x++) for (y = 0; y < 5; y++)
    print m, x, y, (m == 0 ? log(1 / 5) : (y == 0 ? log(0.5) : log(1 / 8))) }' >"$T/members.tsv"
"$A" bounds "$T/file.cfg" >"$T/nostar.out" 2>/dev/null
check "class without pi*: exit 0" test $? -eq 0
check "class without pi*: Assumption 1 reported" \
  grep -q "^pi_star_member	none	# Assumption 1 fails" "$T/nostar.out"
check "class without pi*: Assumption 5 reported" \
  grep -q "^pi_star_in_Pi_R	no	# Assumption 5 fails" "$T/nostar.out"
"$A" bounds "$CFG" --delta 1.5 >/dev/null 2>&1
check "--delta outside (0,1): exit 2" test $? -eq 2
"$A" bounds "$CFG" --reward-size 99 >/dev/null 2>&1
check "--reward-size > |Pi|: exit 2" test $? -eq 2
"$A" bounds >/dev/null 2>&1
check "no config: exit 2" test $? -eq 2
"$A" bounds "$T/none.cfg" >/dev/null 2>&1
check "missing config: exit 2" test $? -eq 2
"$A" bounds --help >"$T/help"
check "--help exits 0" test $? -eq 0

echo "cli_bounds: $pass passed, $fail failed"
test "$fail" -eq 0
