#!/usr/bin/env bash
# test_cli_fit.sh ALIGNSIM — runs the real `alignsim fit` binary: every
# method on sampled data (exit 0, a full table, metrics and status lines),
# hand-computable answers (PMLE and the reward model on a 2-response file:
# σ(Δθ) = 3/4 ⇒ Δθ = log 3), rebel-iter = rlhf, the divergence report and
# --strict, and bad input (exit 2, one line on stderr, no output file, an
# existing output untouched), and the FILE.manifest written with a table.
# Classes (docs/reference.md §3.1, section 7 below): every class on sampled data; a
# finite class containing π* returns π* exactly; a realizable feature class
# reaches a small forward KL, recovers π* from population counts, and its
# reward class gives the E5 configuration; --mu2 / --unlabelled; bad class,
# feature and pair files (exit 2, one line, FILE:LINE, no output); the
# feature class on separated data (status diverged) and on data whose
# contexts all fail the win graph but are pinned through w (closed form).
# CLASS_DATA is tests/class_data.c (realizable instance, feature file,
# finite class file, sampled comparisons).
set -u
A=${1:?usage: test_cli_fit.sh ALIGNSIM CLASS_DATA}
CD=${2:?usage: test_cli_fit.sh ALIGNSIM CLASS_DATA}
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
# iterative REBEL converges to the RLHF solution (docs/reference.md §3)
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
# the reference's (docs/reference.md) counter-example in context 1 (0<->1, 2<->3, 0 beats 2), a full
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
check "dpo --steps on separated data: run-away warned" grep -q "runs away along the steps" "$T/sep3.stdout"

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
badcase "lr without steps" --method dpo --lr 0.1 --comparisons "$C"
badcase "steps 0 (the default: solve) with lr" --method dpo --steps 0 --lr 0.1 --comparisons "$C"
badcase "gamma above its declared range" --method rkl --gamma 1e13 --comparisons "$C"
badcase "beta-dpo not a number" --method dpo --beta-dpo beta2 --comparisons "$C"
"$A" fit --method rkl --gamma -1 --comparisons "$C" --out "$T/x.tsv" 2>"$T/b.err"
check "declared range message" grep -qx "alignsim: --gamma: gamma = -1 must be in \[0, 1e+12\]: beyond it the closed forms and KL terms overflow" "$T/b.err"
"$A" fit --method pmle --comparisons "$T/bad1.tsv" --out "$T/x.tsv" 2>"$T/b.err"
check "error names FILE:LINE" grep -q "bad1.tsv:1" "$T/b.err"

# An option the method does not use is noted on stderr and changes nothing,
# so one command line serves every method.
"$A" fit --method pmle --lambda 0.1 --comparisons "$C" --out "$T/g0.tsv" >/dev/null 2>&1
"$A" fit --method pmle --lambda 0.1 --gamma 1 --beta-dpo 3 --comparisons "$C" \
  --out "$T/g1.tsv" >/dev/null 2>"$T/g1.err"
check "unused option: same fit" cmp -s "$T/g0.tsv" "$T/g1.tsv"
check "unused option: noted on stderr" grep -q "gamma is not used by method pmle" "$T/g1.err"
# a shared option's declared word stands for its default (gamma = beta)
"$A" fit --method rkl --lambda 0.5 --comparisons "$C" --out "$T/w0.tsv" >/dev/null 2>&1
"$A" fit --method rkl --lambda 0.5 --gamma beta --comparisons "$C" --out "$T/w1.tsv" >/dev/null 2>&1
check "--gamma beta: the default fit" cmp -s "$T/w0.tsv" "$T/w1.tsv"
check "--gamma beta: manifest says beta" grep -qx "gamma = beta" "$T/w1.tsv.manifest"

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

# 7. Policy and reward classes (docs/reference.md §3.1).
mkdir -p "$T/c"
"$CD" "$T/c" 4 5 3 200000 1 >/dev/null 2>&1
check "class_data writes the class files" test -s "$T/c/class.tsv" -a -s "$T/c/features.tsv"
CI="$T/c/instance.tsv"
CC="$T/c/comparisons.tsv"
CF="$T/c/features.tsv"
CK="$T/c/class.tsv"
# maxdiff A B: max |column 3 of A − column 3 of B| over the data rows
maxdiff() { paste "$1" "$2" | awk 'NR > 1 { d = $3 - $6; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.3g", m + 0 }'; }
# the instance's log π* column as a table
awk -F'\t' 'NR > 1 { print $1 "\t" $2 "\t" $3 }' "$CI" >"$T/c/star.tsv"
sed -i '1i context\tresponse\tlog_prob' "$T/c/star.tsv"
classrun() { # NAME CLASS METHOD ARGS...: exit 0, full table, converged, quiet
  local name=$1 cls=$2 m=$3
  shift 3
  "$A" fit --class $cls --method $m --comparisons "$CC" --instance "$CI" "$@" \
    --out "$T/c/$name.tsv" >"$T/c/$name.out" 2>"$T/c/$name.err"
  check "$name: exits 0" test $? -eq 0
  check "$name: 1 + K*V rows" test "$(wc -l <"$T/c/$name.tsv")" -eq 21
  check "$name: converged" test "$(value converged "$T/c/$name.out")" = 1
  check "$name: silent on stderr" test ! -s "$T/c/$name.err"
  check "$name: class on stdout" test "$(value class "$T/c/$name.out")" = $cls
}
# 7a. finite class containing π* (member 0; the others at KL 0.05 and 0.2):
#     at n = 2e5 the log-likelihood gap between π* and a member at KL 0.05
#     is of order n·0.01 ≈ 2000 nats against fluctuations of order
#     sqrt(n·0.01) ≈ 45, so every enumeration estimator must return π*
#     itself: the table equals log π* to rounding (the class file and the
#     instance hold the same %.17g digits), fwd_kl is 0.
for m in pmle reward distill rkl; do
  l="--lambda 0"
  [ $m = reward ] && l=""
  classrun "fin-$m" finite $m --class-file "$CK" $l
  check "fin-$m: member 0 = pi*" test "$(value class_member "$T/c/fin-$m.out")" = 0
  check "fin-$m: fwd_kl = 0" close "$(value fwd_kl "$T/c/fin-$m.out")" 0 1e-12
  check "fin-$m: class_size 5" test "$(value class_size "$T/c/fin-$m.out")" = 5
done
check "fin-pmle: table = log pi* ($(maxdiff "$T/c/fin-pmle.tsv" "$T/c/star.tsv"))" \
  close "$(maxdiff "$T/c/fin-pmle.tsv" "$T/c/star.tsv")" 0 1e-12
check "fin-rkl: table = log pi*" close "$(maxdiff "$T/c/fin-rkl.tsv" "$T/c/star.tsv")" 0 1e-12
check "fin-distill: table = log pi*" close "$(maxdiff "$T/c/fin-distill.tsv" "$T/c/star.tsv")" 0 1e-12
check "fin-reward: writes beta log pi*" close "$(maxdiff "$T/c/fin-reward.tsv" "$T/c/star.tsv")" 0 1e-12
classrun fin-rlhf finite rlhf --class-file "$CK" --lambda 0.5
# without π* (member 0 dropped, members renumbered) PMLE must return one
# of the two members at KL 0.05 (as_finite_generate solves the distance to
# 1e-12): fwd_kl = 0.05, not 0.2
awk -F'\t' 'NR == 1 { print; next } $1 > 0 { $1 = $1 - 1; print }' OFS='\t' "$CK" >"$T/c/nostar.tsv"
classrun fin-nostar finite pmle --class-file "$T/c/nostar.tsv"
check "fin-nostar: fwd_kl = 0.05 (nearest members)" close "$(value fwd_kl "$T/c/fin-nostar.out")" 0.05 1e-9
# 7b. realizable feature class (π* = π_{w*}, d = 3): forward KL of order
#     d/(2n) ≈ 1e-5 (measured 2e-6 to 4e-5 over seeds 1-6); 1e-3 is far
#     above that spread and far below a wrong fit (≥ 0.05)
for m in pmle reward distill rebel rkl; do
  classrun "feat-$m" features $m --features "$CF"
  check "feat-$m: fwd_kl small" close "$(value fwd_kl "$T/c/feat-$m.out")" 0 1e-3
  check "feat-$m: features_d 3" test "$(value features_d "$T/c/feat-$m.out")" = 3
done
classrun feat-dpo features dpo --features "$CF"
classrun feat-rlhf features rlhf --features "$CF" --lambda 0.5
# multi-start record (as_features.h "Local minima"): pmle at lambda 0 is
# convex in w (one run); rlhf is not: the caller's w = 0, the projection
# of the tabular closed form and 4 seeded random starts (6 runs); at
# lambda 0.5 every start reaches the same minimum, so stderr stays quiet
check "feat-pmle: starts 1, local_minima 1" test "$(value starts "$T/c/feat-pmle.out") $(value local_minima "$T/c/feat-pmle.out")" = "1 1"
check "feat-rlhf: starts 6" test "$(value starts "$T/c/feat-rlhf.out")" = 6
check "feat-rlhf: one local minimum, reached by every start" \
  test "$(value local_minima "$T/c/feat-rlhf.out") $(value best_hits "$T/c/feat-rlhf.out")" = "1 6"
"$A" fit --class features --features "$CF" --method rlhf --lambda 0.01 --starts 0 \
  --comparisons "$CC" --instance "$CI" --out "$T/c/feat-rlhf0.tsv" >"$T/c/feat-rlhf0.out" 2>"$T/c/feat-rlhf0.err"
check "feat-rlhf --starts 0: exit 0, 2 starts" test $? -eq 0 -a "$(value starts "$T/c/feat-rlhf0.out")" = 2
check "feat-rlhf --starts 0: manifest says starts = 0" grep -qx "starts = 0" "$T/c/feat-rlhf0.tsv.manifest"
"$A" fit --class features --features "$CF" --method rlhf --lambda 0.01 \
  --comparisons "$CC" --instance "$CI" --out "$T/c/feat-rlhf1.tsv" >"$T/c/feat-rlhf1.out" 2>"$T/c/feat-rlhf1.err"
lm=$(value local_minima "$T/c/feat-rlhf1.out"); bh=$(value best_hits "$T/c/feat-rlhf1.out"); sf=$(value starts_failed "$T/c/feat-rlhf1.out")
check "feat-rlhf lambda 0.01: local_minima printed ($lm)" test -n "$lm"
# the note appears exactly when the starts disagree, failed, or reached the
# kept minimum once (here starts fail: logits of tiny probability)
uncertain=0
[ "$lm" -gt 1 ] || [ "$sf" -gt 0 ] || [ "$bh" -lt 2 ] && uncertain=1
check "feat-rlhf lambda 0.01: the case is uncertain (failed $sf, hits $bh)" test $uncertain -eq 1
check "feat-rlhf lambda 0.01: stderr note, no global claim" grep -q "not a certified global minimum" "$T/c/feat-rlhf1.err"
check "feat-rlhf lambda 0.5: no note" test ! -s "$T/c/feat-rlhf.err"
# a typo in the first row of a feature file is an error, not a header
{ printf 'x0\t0\t0.5\t1\t2\n'; tail -n +2 "$CF"; } >"$T/c/ftypo.tsv"
"$A" fit --class features --features "$T/c/ftypo.tsv" --method pmle --comparisons "$CC" \
  --out "$T/c/ftypo.out.tsv" >/dev/null 2>"$T/c/ftypo.err"
check "feature file with a typo in row 1: exit 2, FILE:1, no output" \
  test $? -eq 2 -a ! -e "$T/c/ftypo.out.tsv"
check "feature file with a typo in row 1: names line 1" grep -q "ftypo.tsv:1:" "$T/c/ftypo.err"
# 3 parameters instead of K(V−1) = 16: the class fit beats the tabular one
# (expected ratio ≈ 3/16; seeds 1-6 all show it)
"$A" fit --method pmle --comparisons "$CC" --instance "$CI" --out "$T/c/tab-pmle.tsv" >"$T/c/tab-pmle.out" 2>&1
check "feat-pmle fwd_kl < tabular pmle fwd_kl" awk -v a="$(value fwd_kl "$T/c/feat-pmle.out")" \
  -v b="$(value fwd_kl "$T/c/tab-pmle.out")" 'BEGIN { exit !(a < b) }'
# population route: counts round(1e12 · p(x,a,b)) of docs/reference.md §2 written from
# the instance (ρ uniform, β = 1) — the feature PMLE and reward model must
# then recover π* to the rounding of the counts (fwd_kl < 1e-10)
awk -F'\t' 'NR > 1 { x = $1; y = $2; ls[x, y] = $3; lm[x, y] = $5; if (x + 1 > K) K = x + 1; if (y + 1 > V) V = y + 1 }
  END { print "context\twinner\tloser\tcount";
        for (x = 0; x < K; x++) for (a = 0; a < V; a++) for (b = 0; b < V; b++) {
          p = exp(lm[x, a] + lm[x, b]) / K
          if (a != b) p = 2 * p / (1 + exp(-(ls[x, a] - ls[x, b])))
          printf "%d\t%d\t%d\t%.0f\n", x, a, b, 1e12 * p } }' "$CI" >"$T/c/pop.tsv"
for m in pmle reward; do
  "$A" fit --class features --features "$CF" --method $m --ridge 0 --comparisons "$T/c/pop.tsv" \
    --instance "$CI" --out "$T/c/pop-$m.tsv" >"$T/c/pop-$m.out" 2>/dev/null
  check "population counts: features $m recovers pi* ($(value fwd_kl "$T/c/pop-$m.out"))" \
    close "$(value fwd_kl "$T/c/pop-$m.out")" 0 1e-10
done
# 7c. E5 (docs/reference.md §3.1): tabular policy, feature reward.  RKL at λ = 0,
#     γ = β is the closed form softmax(r̂/β) of that reward: its table is
#     log_softmax of the reward `fit --method reward --class features` writes
"$A" fit --method rkl --lambda 0 --reward-class features --features "$CF" \
  --comparisons "$CC" --instance "$CI" --out "$T/c/e5-rkl.tsv" >"$T/c/e5-rkl.out" 2>"$T/c/e5-rkl.err"
check "E5 rkl exits 0, quiet" test $? -eq 0 -a ! -s "$T/c/e5-rkl.err"
check "E5 rkl: reward_class features" test "$(value reward_class "$T/c/e5-rkl.out")" = features
check "E5 rkl: policy class tabular" test "$(value class "$T/c/e5-rkl.out")" = tabular
awk -F'\t' 'NR > 1 { r[$1, $2] = $3; if ($1 + 1 > K) K = $1 + 1; if ($2 + 1 > V) V = $2 + 1 }
  END { print "context\tresponse\tlog_prob"
        for (x = 0; x < K; x++) { m = r[x, 0]; for (y = 1; y < V; y++) if (r[x, y] > m) m = r[x, y]
          s = 0; for (y = 0; y < V; y++) s += exp(r[x, y] - m)
          for (y = 0; y < V; y++) printf "%d\t%d\t%.17g\n", x, y, r[x, y] - m - log(s) } }' \
  "$T/c/feat-reward.tsv" >"$T/c/e5-expect.tsv"
check "E5 rkl(lambda=0) = softmax(feature reward) ($(maxdiff "$T/c/e5-rkl.tsv" "$T/c/e5-expect.tsv"))" \
  close "$(maxdiff "$T/c/e5-rkl.tsv" "$T/c/e5-expect.tsv")" 0 1e-12
check "feature reward is centred" awk -F'\t' 'NR > 1 { s[$1] += $3 } END { for (x in s) if (s[x] > 1e-12 || s[x] < -1e-12) exit 1 }' "$T/c/feat-reward.tsv"
"$A" fit --method distill --lambda 0.1 --reward-class features --features "$CF" \
  --comparisons "$CC" --instance "$CI" --out "$T/c/e5-distill.tsv" >"$T/c/e5-distill.out" 2>&1
check "E5 distill runs" test "$(value converged "$T/c/e5-distill.out")" = 1
# iterative REBEL with the feature reward converges to RLHF with it (docs/reference.md §3)
for m in rlhf rebel-iter; do
  "$A" fit --method $m --lambda 0.5 --reward-class features --features "$CF" \
    --comparisons "$CC" --instance "$CI" --out "$T/c/e5-$m.tsv" >/dev/null 2>&1
done
check "E5 rebel-iter = rlhf ($(maxdiff "$T/c/e5-rebel-iter.tsv" "$T/c/e5-rlhf.tsv"))" \
  close "$(maxdiff "$T/c/e5-rebel-iter.tsv" "$T/c/e5-rlhf.tsv")" 0 1e-8
# misspecified: the same features on `alignsim sample` data (π* drawn
# tabular, not in the class) — runs; the error cannot vanish
"$A" fit --class features --features "$CF" --method pmle --comparisons "$C" --instance "$I" \
  --out "$T/c/mis.tsv" >"$T/c/mis.out" 2>&1
check "misspecified features: runs" test "$(value converged "$T/c/mis.out")" = 1
check "misspecified features: fwd_kl far from 0" awk -v a="$(value fwd_kl "$T/c/mis.out")" 'BEGIN { exit !(a > 0.01) }'

# cross-class combinations with known answers: the finite reward class
# containing π* gives r̂ = β log π* (7a), so tabular RKL at λ = 0, γ = β
# (closed form softmax(r̂/β)) returns π* to rounding, and feature-class
# distillation at λ = 0 (its loss is 0 exactly at π_w = π*, which the
# realizable class contains) returns π* to the solver's tolerance
"$A" fit --method rkl --lambda 0 --reward-class finite --class-file "$CK" \
  --comparisons "$CC" --instance "$CI" --out "$T/c/x-rkl.tsv" >"$T/c/x-rkl.out" 2>&1
check "tabular rkl, finite reward: pi* ($(maxdiff "$T/c/x-rkl.tsv" "$T/c/star.tsv"))" \
  close "$(maxdiff "$T/c/x-rkl.tsv" "$T/c/star.tsv")" 0 1e-12
check "tabular rkl, finite reward: reward_member 0" test "$(value reward_member "$T/c/x-rkl.out")" = 0
"$A" fit --class features --features "$CF" --method distill --lambda 0 --reward-class finite \
  --class-file "$CK" --comparisons "$CC" --instance "$CI" --out "$T/c/x-dist.tsv" >"$T/c/x-dist.out" 2>&1
check "features distill, finite reward: fwd_kl ~ 0 ($(value fwd_kl "$T/c/x-dist.out"))" \
  close "$(value fwd_kl "$T/c/x-dist.out")" 0 1e-12
# separated data in the feature class ("0 beats 1" x5, d = 1, z = 2): no
# finite minimiser (separation LP, as_features_separation), so every
# BT-type fit without regulariser says diverged, on stdout and stderr, and
# still writes its last iterate
printf '0\t0\t1\n0\t1\t-1\n' >"$T/c/f1.tsv"
for m in dpo pmle reward; do
  "$A" fit --class features --features "$T/c/f1.tsv" --method $m --ridge 0 --comparisons "$T/sep.tsv" \
    --out "$T/c/sepf-$m.tsv" >"$T/c/sepf-$m.out" 2>"$T/c/sepf-$m.err"
  check "features $m on separated data: exit 0" test $? -eq 0
  check "features $m on separated data: status diverged" test "$(value status "$T/c/sepf-$m.out")" = diverged
  check "features $m on separated data: stderr names it" grep -q "no finite minimiser: the records are separated" "$T/c/sepf-$m.err"
  check "features $m on separated data: table written" test "$(wc -l <"$T/c/sepf-$m.tsv")" -eq 3
done
"$A" fit --class features --features "$T/c/f1.tsv" --method dpo --strict --comparisons "$T/sep.tsv" \
  --out "$T/c/sepf-strict.tsv" >/dev/null 2>&1
check "features dpo on separated data --strict: exit 1, no table" test $? -eq 1 -a ! -e "$T/c/sepf-strict.tsv"
# every context fails the win graph (one edge each) but w couples them:
# d = 1, φ(0,·) = (1, 0), φ(1,·) = (0, 1); "0 beats 1" 3 times in context 0
# (z = +1) and 2 times in context 1 (z = −1).  The minimiser is finite:
# σ(w) = 3/5, w = log 1.5, so log π(0|0) − log π(1|0) = log 1.5 and the
# reverse in context 1 (PMLE, β = 1, λ = 0)
printf '0\t0\t1\n0\t1\t0\n1\t0\t0\n1\t1\t1\n' >"$T/c/f2.tsv"
printf '0\t0\t1\t3\n1\t0\t1\t2\n' >"$T/c/cpl.tsv"
"$A" fit --class features --features "$T/c/f2.tsv" --method pmle --comparisons "$T/c/cpl.tsv" \
  --out "$T/c/cpl.out.tsv" >"$T/c/cpl.out" 2>"$T/c/cpl.err"
check "coupled contexts: status ok" test "$(value status "$T/c/cpl.out")" = ok
check "coupled contexts: reward_no_mle 2 (tabular criterion)" test "$(value reward_no_mle "$T/c/cpl.out")" = 2
check "coupled contexts: note on stderr" grep -q "its separation test found no separating direction" "$T/c/cpl.err"
gap=$(awk -F'\t' 'NR > 1 { l[$1, $2] = $3 } END { printf "%.17g", l[0, 0] - l[0, 1] }' "$T/c/cpl.out.tsv")
check "coupled contexts: log-ratio log 1.5 ($gap)" close "$gap" 0.4054651081081644 1e-9

# 7d. Unlabelled pairs: --mu2 equal to the instance's log_mu column gives
#     the default bit for bit (precedence); --unlabelled uses M/m (differs
#     from the population fit, and is recorded in the manifest).
"$A" sample --K 4 --V 5 --n 200000 --m 50000 --seed 11 --out "$T/su" >/dev/null 2>&1
check "sample --m writes unlabelled.tsv" test -s "$T/su/unlabelled.tsv"
awk -F'\t' 'NR == 1 { print "context\tresponse\tlog_prob"; next } { print $1 "\t" $2 "\t" $5 }' "$T/su/instance.tsv" >"$T/su/mu.tsv"
for m in distill rebel; do
  "$A" fit --method $m --lambda 0.1 --comparisons "$T/su/comparisons.tsv" --instance "$T/su/instance.tsv" \
    --out "$T/su/$m-pop.tsv" >/dev/null 2>&1
  "$A" fit --method $m --lambda 0.1 --comparisons "$T/su/comparisons.tsv" --instance "$T/su/instance.tsv" \
    --mu2 "$T/su/mu.tsv" --out "$T/su/$m-mu2.tsv" >/dev/null 2>&1
  check "$m: --mu2 = log_mu column gives the default" cmp -s "$T/su/$m-pop.tsv" "$T/su/$m-mu2.tsv"
  "$A" fit --method $m --lambda 0.1 --comparisons "$T/su/comparisons.tsv" --instance "$T/su/instance.tsv" \
    --unlabelled "$T/su/unlabelled.tsv" --out "$T/su/$m-unl.tsv" >"$T/su/$m-unl.out" 2>&1
  check "$m --unlabelled: converged" test "$(value converged "$T/su/$m-unl.out")" = 1
  d=$(maxdiff "$T/su/$m-pop.tsv" "$T/su/$m-unl.tsv")
  # M/m differs from ρμ'μ' by O(1/sqrt(m)) per cell: the fits differ, but
  # only slightly (measured: see the PASS line)
  check "$m --unlabelled differs from the population fit (max |d logp| $d)" \
    awk -v d="$d" 'BEGIN { exit !(d > 1e-6 && d < 0.5) }'
done
"$A" fit --method rebel --comparisons "$T/su/comparisons.tsv" --unlabelled "$T/su/unlabelled.tsv" \
  --class features --features "$CF" --out "$T/su/feat-unl.tsv" >"$T/su/feat-unl.out" 2>&1
check "features rebel --unlabelled runs" test $? -eq 0
"$A" fit --method pmle --comparisons "$T/su/comparisons.tsv" --unlabelled "$T/su/unlabelled.tsv" \
  --out "$T/su/pmle-unl.tsv" >/dev/null 2>"$T/su/pmle-unl.err"
check "--unlabelled noted as unused by pmle" grep -q "mu2/--unlabelled is not used by method pmle" "$T/su/pmle-unl.err"
M="$T/su/distill-unl.tsv.manifest"
check "manifest: unlabelled path" test "$(mval unlabelled "$M")" = "$T/su/unlabelled.tsv"
check "manifest: m" test "$(mval m "$M")" = 50000
check "manifest: unlabelled_pairs counts" grep -q "^unlabelled_pairs = counts M/m" "$M"
check "manifest: mu2 path" test "$(mval mu2 "$T/su/distill-mu2.tsv.manifest")" = "$T/su/mu.tsv"
check "manifest: mu2 pairs" grep -q "^unlabelled_pairs = population rho mu' mu', mu' = --mu2" "$T/su/distill-mu2.tsv.manifest"
check "manifest: default pairs" grep -q "^unlabelled_pairs = population rho mu' mu', mu' = instance log_mu" "$T/su/distill-pop.tsv.manifest"
M="$T/c/fin-distill.tsv.manifest"
check "manifest: class finite" test "$(mval class "$M") $(mval reward_class "$M")" = "finite finite"
check "manifest: class file" test "$(mval class_file "$M")" = "$CK"
check "manifest: class size, member" test "$(mval class_size "$M") $(mval class_member "$M") $(mval reward_member "$M")" = "5 0 0"
M="$T/c/e5-rkl.tsv.manifest"
check "manifest: E5 classes" test "$(mval class "$M") $(mval reward_class "$M") $(mval features_d "$M")" = "tabular features 3"
check "manifest: features path" test "$(mval features "$M")" = "$CF"
check "manifest: tabular defaults" test "$(mval class "$T/pmle.tsv.manifest") $(mval reward_class "$T/pmle.tsv.manifest") $(mval unlabelled_pairs "$T/pmle.tsv.manifest")" = "tabular - -"

# 7e. Bad class / feature / pair files and unsupported combinations: exit
#     2, one line on stderr, no output, and FILE:LINE where there is a line.
# badfile NAME PATTERN ARGS...: badcase, and PATTERN in the message
badfile() {
  local name=$1 pat=$2
  shift 2
  badcase "$name" "$@"
  check "$name: message has '$pat'" grep -qF -- "$pat" "$T/b.err"
}
printf 'member\tcontext\tresponse\tlog_prob\n0\t0\t0\t-0.5\n0\t0\tx\t-0.9\n' >"$T/c/badc1.tsv"
awk 'NR != 7' "$CK" >"$T/c/badc2.tsv"                 # one row missing
awk 'NR == 4 { $4 = $4 + 1 } { print }' OFS='\t' "$CK" >"$T/c/badc3.tsv" # row not normalised
printf 'context\tresponse\tf_1\tf_2\n0\t0\t1\t2\n0\t1\t3\n' >"$T/c/badf1.tsv"
printf '0\t0\t1\t2\n0\t1\t3\tzz\n' >"$T/c/badf2.tsv"
printf '0\t0\t1\n0\t1\t2\n0\t1\t3\n' >"$T/c/badf3.tsv"
printf '0\t0\t1\n0\t1\tnan\n' >"$T/c/badf4.tsv"
awk 'NR != 5' "$CF" >"$T/c/badf5.tsv"                 # one pair missing
awk '{ print } END { print "9\t0\t1\t2\t3" }' "$CF" >"$T/c/badf6.tsv"  # context 9 with K = 4
printf '0\t0\n' >"$T/c/badf7.tsv"
printf -- '-1\t0\t1\n0\t1\t2\n' >"$T/c/badf8.tsv"
P0=(--comparisons "$CC" --instance "$CI")
badfile "class file: malformed row" "badc1.tsv:3" --method pmle --class finite --class-file "$T/c/badc1.tsv" "${P0[@]}"
badfile "class file: missing row" "badc2.tsv:" --method pmle --class finite --class-file "$T/c/badc2.tsv" "${P0[@]}"
badfile "class file: row not normalised" "badc3.tsv:" --method pmle --class finite --class-file "$T/c/badc3.tsv" "${P0[@]}"
badfile "class file: missing" "nope.tsv" --method pmle --class finite --class-file "$T/c/nope.tsv" "${P0[@]}"
badfile "features: wrong field count" "badf1.tsv:3" --method pmle --class features --features "$T/c/badf1.tsv" --comparisons "$CC"
badfile "features: not a number" "badf2.tsv:2" --method pmle --class features --features "$T/c/badf2.tsv" --comparisons "$CC"
badfile "features: duplicate pair" "badf3.tsv:3" --method pmle --class features --features "$T/c/badf3.tsv" --comparisons "$CC"
badfile "features: nan" "badf4.tsv:2" --method pmle --class features --features "$T/c/badf4.tsv" --comparisons "$CC"
badfile "features: missing pair" "badf5.tsv:" --method pmle --class features --features "$T/c/badf5.tsv" "${P0[@]}"
badfile "features: context out of range" "badf6.tsv:22" --method pmle --class features --features "$T/c/badf6.tsv" "${P0[@]}"
badfile "features: no feature column" "badf7.tsv:1" --method pmle --class features --features "$T/c/badf7.tsv" --comparisons "$CC"
badfile "features: negative context" "badf8.tsv:1" --method pmle --class features --features "$T/c/badf8.tsv" --comparisons "$CC"
badfile "reward-class features: bad file" "badf2.tsv:2" --method rkl --reward-class features --features "$T/c/badf2.tsv" --comparisons "$CC"
badfile "finite dpo" "supports: pmle reward distill rlhf rkl" --method dpo --class finite --class-file "$CK" "${P0[@]}"
badfile "finite rebel" "does not exist in class finite" --method rebel --class finite --class-file "$CK" "${P0[@]}"
badfile "finite rebel-iter" "does not exist in class finite" --method rebel-iter --class finite --class-file "$CK" "${P0[@]}"
badfile "features rebel-iter" "supports: pmle dpo reward distill rebel rlhf rkl" --method rebel-iter --class features --features "$CF" "${P0[@]}"
badfile "features dpo --steps" "only in class tabular" --method dpo --steps 3 --lr 1 --class features --features "$CF" "${P0[@]}"
badfile "unknown class" "--class: 'foo'" --method pmle --class foo "${P0[@]}"
badfile "finite without --class-file" "--class-file FILE" --method pmle --class finite "${P0[@]}"
badfile "features without --features" "--features FILE" --method pmle --class features "${P0[@]}"
badfile "reward-class features without --features" "--features FILE" --method rkl --reward-class features "${P0[@]}"
badfile "--mu2 with --unlabelled" "not both" --method distill --mu2 "$T/c/star.tsv" --unlabelled "$T/su/unlabelled.tsv" "${P0[@]}"
printf 'context\tresponse\tlog_prob\n0\t0\t-0.1\n' >"$T/c/badmu.tsv"
badfile "--mu2 incomplete" "badmu.tsv:" --method distill --mu2 "$T/c/badmu.tsv" "${P0[@]}"
badfile "--mu2 not normalised" "feat-reward.tsv:" --method rebel --mu2 "$T/c/feat-reward.tsv" "${P0[@]}"
printf '0\t0\t1\t5\n0\t1\t-2\n' >"$T/c/badu.tsv"
badfile "--unlabelled malformed" "badu.tsv:2" --method distill --unlabelled "$T/c/badu.tsv" "${P0[@]}"
printf '0\t0\t9\t5\n' >"$T/c/badu2.tsv"
badfile "--unlabelled out of range" "badu2.tsv:1" --method distill --unlabelled "$T/c/badu2.tsv" "${P0[@]}"
printf '0\t0\t1\t0\n' >"$T/c/badu3.tsv"
badfile "--unlabelled all zero" "no unlabelled pairs" --method rebel --unlabelled "$T/c/badu3.tsv" "${P0[@]}"
awk -F'\t' 'NR == 1 || $2 < 3' OFS='\t' "$CK" >"$T/c/k3.tsv"    # K = 3, instance K = 4
badfile "class file K != instance K" "k3.tsv:" --method pmle --class finite --class-file "$T/c/k3.tsv" "${P0[@]}"
check "bad class input: no manifest" test ! -e "$T/keep.tsv.manifest"
check "no temp files left (classes)" test "$(find "$T" -name '*.tmp.*' | wc -l)" -eq 0

# 6. --help lists every method.
"$A" fit --help >"$T/help" 2>&1
check "--help exits 0" test $? -eq 0
for m in pmle dpo reward distill rebel rebel-iter rlhf rkl; do
  check "--help lists $m" grep -q "^  $m " "$T/help"
done

check "--help has the class table" grep -q "^  finite       x     -     x       x       -         -        x     x" "$T/help"
check "--help states the pairs precedence" grep -q "first that applies" "$T/help"

# 7. Unlabelled pairs that do not connect every response at lambda = 0:
#    the distill/rebel policy is not identified there; counted and warned
#    (pairs_unidentified), 0 once lambda > 0 pins every logit.
printf '0\t0\t1\t3\n0\t1\t0\t2\n0\t1\t2\t3\n0\t2\t1\t2\n0\t2\t3\t3\n0\t3\t2\t2\n' >"$T/pu-c.tsv"
printf '0\t0\t1\t3\n0\t2\t3\t2\n' >"$T/pu-u.tsv"
for m in distill rebel; do
  "$A" fit --method $m --comparisons "$T/pu-c.tsv" --unlabelled "$T/pu-u.tsv" \
    --out "$T/pu-$m.tsv" >"$T/pu-$m.out" 2>"$T/pu-$m.err"
  check "$m: disconnected pairs counted" test "$(value pairs_unidentified "$T/pu-$m.out")" = 1
  check "$m: disconnected pairs warned" grep -q "not identified" "$T/pu-$m.err"
  "$A" fit --method $m --comparisons "$T/pu-c.tsv" --unlabelled "$T/pu-u.tsv" \
    --lambda 0.2 --out "$T/pu-$m.tsv" >"$T/pu-$m.out" 2>"$T/pu-$m.err"
  check "$m: lambda > 0 pins them" test "$(value pairs_unidentified "$T/pu-$m.out")" = 0
done

# PMLE at lambda > 0 is not convex: with beta < 1 a lone "0 beats 1" has its
# infimum at infinity while Newton stops at a stationary point.  That point
# must not be reported as converged (tests/test_fit.c proves it is not the
# minimiser); at beta = 2 the stationary point is the minimiser.
printf '0\t0\t1\n' >"$T/esc.tsv"
"$A" fit --method pmle --beta 0.5 --lambda 0.8 --V 2 --comparisons "$T/esc.tsv" \
  --out "$T/esc.out" >"$T/esc.txt" 2>"$T/esc.err"
check "pmle escape: counted" test "$(value pmle_escapes "$T/esc.txt")" = 1
check "pmle escape: not reported ok" test "$(value status "$T/esc.txt")" = no-convergence
"$A" fit --method pmle --beta 2 --lambda 0.8 --V 2 --comparisons "$T/esc.tsv" \
  --out "$T/esc.out" >"$T/esc.txt" 2>"$T/esc.err"
check "pmle beta 2: ok, no escape" test "$(value status "$T/esc.txt") $(value pmle_escapes "$T/esc.txt")" = "ok 0"

echo "$pass passed, $fail failed"
test "$fail" -eq 0
