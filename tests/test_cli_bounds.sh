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
# thm4 rows of the first block: bound * n constant.
awk -F'\t' '$1 == "thm4" { print $2 * $4 }' "$T/out" | sed -n 1,3p >"$T/bn"
check "thm4 bound proportional to 1/n" \
  awk 'NR == 1 { a = $1 } { if ((($1 - a) / a)^2 > 1e-10) bad = 1 } END { exit bad }' "$T/bn"
check "thm14 and thm6 rows present (finite m)" \
  test "$(awk -F'\t' '$1 == "thm14" || $1 == "thm6"' "$T/out" | wc -l)" -eq 12
"$A" bounds "$CFG" --reward-size 3 >"$T/out2" 2>/dev/null
check "reproducible" cmp -s "$T/out" "$T/out2"

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
