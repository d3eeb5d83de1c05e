#!/usr/bin/env bash
# test_cli_fit.sh ALIGNSIM — runs the real `alignsim fit` binary: every
# method on sampled data (exit 0, a full table, metrics and status lines),
# hand-computable answers (PMLE and the reward model on a 2-response file:
# σ(Δθ) = 3/4 ⇒ Δθ = log 3), rebel-iter = rlhf, the divergence report and
# --strict, and bad input (exit 2, one line on stderr, no output file, an
# existing output untouched), and the FILE.manifest written with a table.
set -u
A=${1:?usage: test_cli_fit.sh ALIGNSIM}
T=$(mktemp -d /tmp/test_cli_fit.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# value NAME FILE: the value of a `name value` line
value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# close A B TOL: |A − B| ≤ TOL
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

"$A" sample --K 4 --V 5 --n 200000 --seed 11 --out "$T/s" >/dev/null 2>&1
check "sample for the fit tests" test -s "$T/s/comparisons.tsv"
I="$T/s/instance.tsv"
C="$T/s/comparisons.tsv"

# 1. Every method on sampled data.
for m in pmle dpo reward distill rebel rebel-iter rlhf rkl; do
  extra=""
  case $m in rebel-iter|rlhf|rkl) extra="--lambda 0.5" ;; esac
  "$A" fit --method $m --comparisons "$C" --instance "$I" $extra \
    --out "$T/$m.tsv" >"$T/$m.out" 2>"$T/$m.err"
  check "$m exits 0" test $? -eq 0
  check "$m writes 1 + K*V rows" test "$(wc -l <"$T/$m.tsv")" -eq 21
  check "$m converged" test "$(value converged "$T/$m.out")" = 1
  check "$m prints fwd_kl" test -n "$(value fwd_kl "$T/$m.out")"
  check "$m silent on stderr" test ! -s "$T/$m.err"
done
check "reward table is named reward" test "$(head -1 "$T/reward.tsv" | cut -f3)" = reward
check "policy table is named log_prob" test "$(head -1 "$T/pmle.tsv" | cut -f3)" = log_prob
check "no temp files left" test "$(ls "$T" | grep -c tmp)" -eq 0
# iterative REBEL converges to the RLHF solution (SPEC §3)
maxdiff=$(paste "$T/rebel-iter.tsv" "$T/rlhf.tsv" | awk 'NR > 1 { d = $3 - $6; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.3g", m + 0 }')
check "rebel-iter = rlhf (max diff $maxdiff)" close "$maxdiff" 0 1e-8
# the sampled fit is close to π* (n = 2e5: forward KL ~ K·V/n ≈ 1e-4;
# 0.01 is far above its spread and far below a wrong fit, ~0.2)
check "pmle fwd_kl small" close "$(value fwd_kl "$T/pmle.out")" 0 0.01

# 2. Known answers: one context, V = 2, "0 beats 1" 3 times, "1 beats 0"
#    once.  PMLE (β = 1, λ = 0): π = (3/4, 1/4).  Reward with ridge 0:
#    r = ±log(3)/2.  With β = 2: log π(0) − log π(1) = log(3)/2.
printf '# hand\n0\t0\t1\t3\n0\t1\t0\n' >"$T/h.tsv"
"$A" fit --method pmle --comparisons "$T/h.tsv" --out "$T/h1.tsv" >/dev/null
check "pmle 2x2 exits 0" test $? -eq 0
check "pmle log π(0) = log 3/4" close "$(awk 'NR == 2 { print $3 }' "$T/h1.tsv")" -0.28768207245178093 1e-10
check "pmle log π(1) = log 1/4" close "$(awk 'NR == 3 { print $3 }' "$T/h1.tsv")" -1.3862943611198906 1e-10
"$A" fit --method pmle --beta 2 --comparisons "$T/h.tsv" --out "$T/h2.tsv" >/dev/null
check "pmle β=2 halves the log-ratio" close "$(awk 'NR == 2 { a = $3 } NR == 3 { printf "%.17g", a - $3 }' "$T/h2.tsv")" 0.54930614433405489 1e-10
"$A" fit --method reward --ridge 0 --comparisons "$T/h.tsv" --out "$T/h3.tsv" >/dev/null
check "reward r(0) = log(3)/2" close "$(awk 'NR == 2 { print $3 }' "$T/h3.tsv")" 0.54930614433405489 1e-10
# default ridge 1/n = 1/4: a N(0,1) prior shrinks the gap
"$A" fit --method reward --comparisons "$T/h.tsv" --out "$T/h4.tsv" >/dev/null
check "default ridge shrinks the reward" awk 'NR == 2 { exit !($3 > 0.1 && $3 < 0.5493) }' "$T/h4.tsv"

# 3. Divergence is reported, and --strict turns it into exit 1.
printf '0\t0\t1\t5\n' >"$T/sep.tsv"
"$A" fit --method dpo --comparisons "$T/sep.tsv" --out "$T/sep.out" >"$T/sep.stdout" 2>"$T/sep.err"
check "separated dpo exits 0 with a warning" test $? -eq 0 -a -s "$T/sep.err"
check "separated dpo status diverged" test "$(value status "$T/sep.stdout")" = diverged
check "separated dpo counts the win graph" test "$(value reward_no_mle "$T/sep.stdout")" = 1
check "separated dpo lists the context" test "$(value no_mle_contexts "$T/sep.stdout")" = 0
# SPEC's counter-example in context 1 (0<->1, 2<->3, 0 beats 2), a full
# cycle in context 0: only context 1 is listed
printf '0\t0\t1\n0\t1\t2\n0\t2\t3\n0\t3\t0\n1\t0\t1\n1\t1\t0\n1\t2\t3\n1\t3\t2\n1\t0\t2\n' >"$T/ce.tsv"
"$A" fit --method reward --comparisons "$T/ce.tsv" --out "$T/ce.out" >"$T/ce.stdout" 2>&1
check "counter-example: exit 0 with ridge" test $? -eq 0
check "counter-example: no_mle_contexts = 1" test "$(value no_mle_contexts "$T/ce.stdout")" = 1
check "counter-example: ridge fit converged" test "$(value converged "$T/ce.stdout")" = 1
"$A" fit --method dpo --strict --comparisons "$T/sep.tsv" --out "$T/sep2.out" >/dev/null 2>&1
check "--strict exits 1" test $? -eq 1
check "--strict writes nothing" test ! -e "$T/sep2.out"
"$A" fit --method dpo --steps 20 --lr 0.5 --comparisons "$T/sep.tsv" --out "$T/sep3.out" >"$T/sep3.stdout" 2>&1
check "dpo --steps runs" test $? -eq 0 -a "$(value iterations "$T/sep3.stdout")" = 20

# 4. Bad input: exit 2, one line on stderr, no output, old output kept.
echo "keep" >"$T/keep.tsv"
badcase() { # NAME ARGS...
  local name=$1
  shift
  "$A" fit "$@" --out "$T/keep.tsv" >"$T/b.out" 2>"$T/b.err"
  local rc=$?
  check "$name: exit 2" test $rc -eq 2
  check "$name: one line on stderr" test "$(wc -l <"$T/b.err")" -eq 1
  check "$name: output untouched" test "$(cat "$T/keep.tsv")" = keep
  check "$name: no stdout" test ! -s "$T/b.out"
}
printf '0\t0\tx\n' >"$T/bad1.tsv"
printf '0\t0\t1\t-3\n' >"$T/bad2.tsv"
printf '9\t0\t1\n' >"$T/bad3.tsv"
badcase "unknown method" --method foo --comparisons "$C"
badcase "missing method" --comparisons "$C"
badcase "missing file" --method pmle --comparisons "$T/nope.tsv"
badcase "malformed row" --method pmle --comparisons "$T/bad1.tsv"
badcase "negative count" --method pmle --comparisons "$T/bad2.tsv"
badcase "context outside instance" --method pmle --comparisons "$T/bad3.tsv" --instance "$I"
badcase "rebel-iter eta*lambda >= 2" --method rebel-iter --lambda 1 --eta 3 --comparisons "$C"
badcase "negative lambda" --method pmle --lambda -1 --comparisons "$C"
badcase "instance and ref" --method pmle --comparisons "$C" --instance "$I" --ref "$I"
badcase "steps without lr" --method dpo --steps 3 --comparisons "$C"
"$A" fit --method pmle --comparisons "$T/bad1.tsv" --out "$T/x.tsv" 2>"$T/b.err"
check "error names FILE:LINE" grep -q "bad1.tsv:1" "$T/b.err"

# An option the method does not use is noted on stderr and changes nothing,
# so one command line serves every method.
"$A" fit --method pmle --lambda 0.1 --comparisons "$C" --out "$T/g0.tsv" >/dev/null 2>&1
"$A" fit --method pmle --lambda 0.1 --gamma 1 --beta-dpo 3 --comparisons "$C" \
  --out "$T/g1.tsv" >/dev/null 2>"$T/g1.err"
check "unused option: same fit" cmp -s "$T/g0.tsv" "$T/g1.tsv"
check "unused option: noted on stderr" grep -q "gamma is not used by method pmle" "$T/g1.err"

# 5. FILE.manifest: written with FILE (key = value lines: the method, every
#    option as parsed with its default, the inputs, K, V, n, status), and
#    not at all when the fit fails.
# mval KEY FILE: the value of a `key = value` line
mval() { awk -v k="$1" '$1 == k && $2 == "=" { sub(/^[^=]*= /, ""); print }' "$2"; }
M="$T/rkl.tsv.manifest"
check "manifest next to the table" test -s "$M"
check "manifest: method" test "$(mval method "$M")" = rkl
check "manifest: lambda as parsed" test "$(mval lambda "$M")" = 0.5
check "manifest: beta default" test "$(mval beta "$M")" = 1
check "manifest: gamma default rule" test "$(mval gamma "$M")" = beta
check "manifest: ridge default rule" test "$(mval ridge "$M")" = 1/n
check "manifest: instance path" test "$(mval instance "$M")" = "$I"
check "manifest: comparisons path" test "$(mval comparisons "$M")" = "$C"
check "manifest: K V" test "$(mval K "$M") $(mval V "$M")" = "4 5"
check "manifest: n" test "$(mval n "$M")" = 200000
check "manifest: status ok" test "$(mval status "$M")" = ok
check "manifest: version" test -n "$(mval version "$M")"
check "manifest: UTC date" grep -Eq '^date = [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$M"
check "manifest: command line" grep -q "^command = alignsim fit --method rkl --comparisons " "$M"
check "manifest: ridge as parsed" test "$(mval ridge "$T/h3.tsv.manifest")" = 0
check "manifest: beta as parsed" test "$(mval beta "$T/h2.tsv.manifest")" = 2
check "manifest: no instance" test "$(mval instance "$T/h1.tsv.manifest")" = -
check "manifest: divergence recorded" test "$(mval status "$T/sep.out.manifest")" = diverged
check "manifest: dpo steps" test "$(mval dpo_steps "$T/sep3.out.manifest") $(mval dpo_lr "$T/sep3.out.manifest")" = "20 0.5"
check "--strict: no manifest" test ! -e "$T/sep2.out.manifest"
check "bad input: no manifest" test ! -e "$T/keep.tsv.manifest" -a ! -e "$T/x.tsv.manifest"
"$A" fit --method pmle --comparisons "$T/bad2.tsv" --out "$T/y.tsv" >/dev/null 2>&1
check "bad input: exit 2, neither file" test $? -eq 2 -a ! -e "$T/y.tsv" -a ! -e "$T/y.tsv.manifest"
# an unwritable output: exit 1, and no manifest without its table
"$A" fit --method pmle --comparisons "$C" --out "$T/nodir/z.tsv" >/dev/null 2>&1
check "unwritable output: exit 1, no manifest" test $? -eq 1 -a ! -e "$T/nodir/z.tsv.manifest"
check "no temp files left (manifests)" test "$(ls "$T" | grep -c tmp)" -eq 0

# 6. --help lists every method.
"$A" fit --help >"$T/help" 2>&1
check "--help exits 0" test $? -eq 0
for m in pmle dpo reward distill rebel rebel-iter rlhf rkl; do
  check "--help lists $m" grep -q "^  $m " "$T/help"
done

echo "$pass passed, $fail failed"
test "$fail" -eq 0
