#!/usr/bin/env bash
# test_cli_atlas.sh ALIGNSIM — `alignsim fit` for the objective atlas
# (docs/reference.md §3.2): every method runs on sampled data and reports its status
# fields; each method's own options come from the hyperparameter
# declarations (as_hparam.c): --help lists them with default and range,
# the manifest writes them as parsed (or "-" when the method does not use
# them), out-of-range values are usage errors naming the option, and an
# option another method declares is accepted with a note.  rDPO's
# unbounded case and the hinge's non-unique LP are reported, never silent.
set -u
A=${1:?usage: test_cli_atlas.sh ALIGNSIM}
T=$(mktemp -d /tmp/test_cli_atlas.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
mval() { awk -v k="$1" '$1 == k && $2 == "=" { sub(/^[^=]*= /, ""); print }' "$2"; }

"$A" sample --K 3 --V 4 --n 100000 --seed 5 --out "$T/s" >/dev/null 2>&1
I="$T/s/instance.tsv"
C="$T/s/comparisons.tsv"

# 1. Every method: exit 0, status ok, the atlas counts printed.
while read -r m opts; do
  "$A" fit --method "$m" $opts --comparisons "$C" --instance "$I" \
    --out "$T/$m.tsv" >"$T/$m.out" 2>"$T/$m.err"
  check "$m exits 0" test $? -eq 0
  check "$m status ok" test "$(value status "$T/$m.out")" = ok
  check "$m prints fwd_kl" test -n "$(value fwd_kl "$T/$m.out")"
  for k in not_unique unbounded collapsed; do
    check "$m prints $k" test -n "$(value $k "$T/$m.out")"
  done
done <<'LIST'
cdpo --smoothing 0.2
rdpo --flip 0.05
ipo --tau 0.25
gpo --loss tquad
slic
simpo --margin 0.3
orpo --alpha 0.5
chipo
sppo --eta 0.5 --iterations 7
nash --lambda 0.4
LIST

# 2. Manifest: the method's own options as parsed, others "-".
M="$T/cdpo.tsv.manifest"
check "manifest: smoothing as parsed" test "$(mval smoothing "$M")" = 0.20000000000000001
check "manifest: tau not used" test "$(mval tau "$M")" = -
check "manifest: sppo rounds" test "$(mval iterations "$T/sppo.tsv.manifest")" = 7
check "manifest: gpo loss name" test "$(mval loss "$T/gpo.tsv.manifest")" = tquad
"$A" fit --method ipo --comparisons "$C" --out "$T/ipo-d.tsv" >/dev/null 2>&1
check "manifest: declared default" test "$(mval tau "$T/ipo-d.tsv.manifest")" = 0.10000000000000001
check "manifest: rebel-iter eta rule" test "$(mval eta "$T/cdpo.tsv.manifest")" = -

# 3. --help from the declarations.
"$A" fit --help >"$T/help"
for f in --smoothing --flip --tau --loss --margin --alpha --eta --iterations; do
  check "help documents $f" grep -q -- "$f " "$T/help"
done
for m in cdpo rdpo ipo gpo slic simpo orpo chipo sppo nash; do
  check "help lists $m" grep -q "^  $m " "$T/help"
done
check "help: smoothing range" grep -q -- "--smoothing X  \[0.1; in \[0, 0.5)\]" "$T/help"

# 4. Bad values: exit 2, one line naming the option, nothing written.
badcase() { # NAME ARGS...
  local name=$1
  shift
  rm -f "$T/bad.tsv"
  "$A" fit "$@" --comparisons "$C" --out "$T/bad.tsv" >"$T/b.out" 2>"$T/b.err"
  local rc=$?
  check "$name: exit 2" test $rc -eq 2
  check "$name: one line" test "$(wc -l <"$T/b.err")" -eq 1
  check "$name: nothing written" test ! -e "$T/bad.tsv"
}
badcase "smoothing 0.5" --method cdpo --smoothing 0.5
check "message names smoothing" grep -q "smoothing = 0.5 must be in \[0, 0.5)" "$T/b.err"
badcase "tau 0" --method ipo --tau 0
badcase "unknown loss" --method gpo --loss cubic
check "message lists the losses" grep -q "logistic,square,exp,tquad,hinge" "$T/b.err"
badcase "iterations 1.5" --method sppo --iterations 1.5
badcase "nash lambda 0" --method nash
badcase "unknown method" --method kto

# 5. An option another method declares: accepted, with a note.
"$A" fit --method ipo --tau 1 --alpha 3 --comparisons "$C" --out "$T/n.tsv" \
  >/dev/null 2>"$T/n.err"
check "unused option: exit 0" test $? -eq 0
check "unused option: note" grep -q -- "--alpha is not used by method ipo" "$T/n.err"

# 6. rDPO unbounded: "0 beats 1" only, V = 2, flip 0.2: the pair's target
# (1 - 0.2)/(1 - 0.4) > 1, no minimiser: exit 1, counted, nothing written.
printf 'context\twinner\tloser\tcount\n0\t0\t1\t5\n' >"$T/one.tsv"
"$A" fit --method rdpo --flip 0.2 --V 2 --comparisons "$T/one.tsv" \
  --out "$T/u.tsv" >"$T/u.out" 2>"$T/u.err"
check "rdpo unbounded: exit 1" test $? -eq 1
check "rdpo unbounded: counted" test "$(value unbounded "$T/u.out")" = 1
check "rdpo unbounded: not converged" test "$(value converged "$T/u.out")" = 0
check "rdpo unbounded: nothing written" test ! -e "$T/u.tsv"
check "rdpo unbounded: message" grep -q "unbounded below" "$T/u.err"
"$A" fit --method slic --V 2 --comparisons "$T/one.tsv" --out "$T/h.tsv" \
  >"$T/h.out" 2>"$T/h.err"
check "slic: not unique reported" test "$(value not_unique "$T/h.out")" = 1
check "slic: note" grep -q "not unique" "$T/h.err"

echo "$pass passed, $fail failed"
test "$fail" -eq 0
