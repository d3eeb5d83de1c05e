#!/usr/bin/env bash
# test_cli_sample.sh ALIGNSIM SAMPLE_FIT — runs the real `alignsim sample`
# binary: files and manifest, counts summing to n (awk), n = 10^12, records
# mode (and its progress bar on a terminal), reproducibility by seed, bad input (exit 2, one line, nothing
# written), a write failure (nothing left under a final name), --help and
# --version, and the statistical fit of the written counts to p(x,a,b)
# computed from the written instance (SAMPLE_FIT, see tests/sample_fit.c;
# chi-square at alpha 1e-3, fixed seeds).
set -u
A=${1:?usage: test_cli_sample.sh ALIGNSIM SAMPLE_FIT}
FIT=${2:?usage: test_cli_sample.sh ALIGNSIM SAMPLE_FIT}
T=$(mktemp -d /tmp/test_cli_sample.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
sum_counts() { awk 'NR > 1 { s += $4 } END { printf "%.0f\n", s }' "$1"; }

# 1. The documented command line.
D=$T/run1
"$A" sample --K 10 --V 10 --beta 1 --logit-scale 1 --ref-sharpness 0.5 \
  --ref-noise 0.5 --n 1000000 --seed 7 --out "$D" >"$T/out" 2>"$T/err"
check "basic run exits 0" test $? -eq 0
check "basic run is silent" test ! -s "$T/out" -a ! -s "$T/err"
for f in instance.tsv comparisons.tsv manifest; do
  check "$f exists" test -s "$D/$f"
done
check "no unlabelled.tsv without --m" test ! -e "$D/unlabelled.tsv"
check "no temp files left" test "$(ls -A "$D" | wc -l)" -eq 3
check "counts sum to n" test "$(sum_counts "$D/comparisons.tsv")" = 1000000
check "comparisons header" test "$(head -1 "$D/comparisons.tsv")" = \
  "$(printf 'context\twinner\tloser\tcount')"
check "no zero cells written" test "$(awk 'NR > 1 && $4 == 0' "$D/comparisons.tsv" | wc -l)" -eq 0
check "instance has K*V rows + header" test "$(wc -l <"$D/instance.tsv")" -eq 101
check "instance header" test "$(head -1 "$D/instance.tsv")" = \
  "$(printf 'context\tresponse\tlog_pi_star\tlog_pi_ref\tlog_mu')"
for k in version command K V beta logit_scale ref_sharpness ref_noise mu n \
  mode seed stream date; do
  check "manifest has $k" grep -q "^$k = " "$D/manifest"
done
check "manifest seed" grep -qx "seed = 7" "$D/manifest"
check "manifest default stream" grep -qx "stream = 54" "$D/manifest"
check "manifest n" grep -qx "n = 1000000" "$D/manifest"
check "manifest date is UTC ISO 8601" \
  grep -Eqx "date = [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z" "$D/manifest"
check "fit: basic run" "$FIT" "$D" 1 1000000

# 2. Reproducible by (seed, stream); another stream gives other data.
"$A" sample --n 1000000 --seed 7 --out "$T/run1b"
check "same seed, same instance" cmp -s "$D/instance.tsv" "$T/run1b/instance.tsv"
check "same seed, same counts" cmp -s "$D/comparisons.tsv" "$T/run1b/comparisons.tsv"
"$A" sample --n 1000000 --seed 7 --stream 55 --out "$T/run1c"
check "other stream, other counts" \
  bash -c "! cmp -s '$D/comparisons.tsv' '$T/run1c/comparisons.tsv'"

# 3. n = 10^12: the sampler's cost does not grow with n (sums below 2^53 are
# exact in awk's doubles).
"$A" sample --n 1000000000000 --seed 3 --out "$T/big"
check "n = 1e12 exits 0" test $? -eq 0
check "n = 1e12 counts sum" test "$(sum_counts "$T/big/comparisons.tsv")" = 1000000000000
check "fit: n = 1e12 (exact sum by the library reader)" \
  "$FIT" "$T/big" 1 1000000000000

# 4. Records mode and the statistical fit (fixed seeds), with power.
"$A" sample --K 5 --V 5 --beta 2 --n 200000 --seed 11 --mode records \
  --out "$T/rec"
check "records mode exits 0" test $? -eq 0
check "records counts sum" test "$(sum_counts "$T/rec/comparisons.tsv")" = 200000
check "manifest records" grep -qx "mode = records" "$T/rec/manifest"
check "fit: records mode" "$FIT" "$T/rec" 2 200000 power
"$A" sample --K 5 --V 5 --beta 2 --n 200000 --seed 12 --out "$T/cnt"
check "fit: counts mode" "$FIT" "$T/cnt" 2 200000 power
"$A" sample --K 4 --V 6 --beta 0.5 --n 100000 --seed 13 --mu uniform \
  --m 50000 --out "$T/uni"
check "unlabelled.tsv written with --m" test -s "$T/uni/unlabelled.tsv"

# 4b. Records mode with a large n (>= 2^22) draws a progress bar on stderr
# only when stderr is a terminal (a pty from script(1)); the bar does not
# change the draws.
NP=$(((1 << 22) + 1))
"$A" sample --K 2 --V 3 --n $NP --seed 5 --mode records --out "$T/pb1" \
  >"$T/pb1.out" 2>"$T/pb1.err"
check "records, no tty: exit 0" test $? -eq 0
check "records, no tty: stderr quiet" test ! -s "$T/pb1.err"
if command -v script >/dev/null 2>&1; then
  script -qec "'$A' sample --K 2 --V 3 --n $NP --seed 5 --mode records --out '$T/pb2'" \
    /dev/null >"$T/pb2.tty" 2>&1
  check "records, tty: exit 0" test $? -eq 0
  check "records, tty: bar reaches n" grep -q "] $NP/$NP units" "$T/pb2.tty"
  check "records, tty: bar shows progress" grep -q "] 262144/$NP units" "$T/pb2.tty"
  check "records, tty: same counts as without a bar" \
    cmp -s "$T/pb1/comparisons.tsv" "$T/pb2/comparisons.tsv"
  script -qec "'$A' sample --K 2 --V 3 --n 1000 --mode records --out '$T/pb3'" \
    /dev/null >"$T/pb3.tty" 2>&1
  check "records, tty, small n: no bar" test ! -s "$T/pb3.tty"
else
  echo "SKIP: progress bar on a terminal (script(1), package bsdutils, missing)"
fi
check "unlabelled pairs sum to m" test "$(sum_counts "$T/uni/unlabelled.tsv")" = 50000
check "fit: mu uniform, unlabelled" "$FIT" "$T/uni" 0.5 100000
"$A" sample --K 4 --V 6 --n 100000 --seed 14 --mu star --logit-scale 2 \
  --out "$T/star"
check "fit: mu star" "$FIT" "$T/star" 1 100000

# Label noise (docs/reference.md §2), both modes: the written counts fit the flipped law
# and not the noiseless one; --flip 0 is the noiseless sample exactly.
for mode in counts records; do
  "$A" sample --K 3 --V 5 --n 200000 --seed 21 --flip 0.2 --mode $mode \
    --out "$T/flip-$mode"
  check "fit: flip 0.2 ($mode)" "$FIT" "$T/flip-$mode" 1 200000 power flip=0.2
  check "manifest label_flip ($mode)" grep -qx "label_flip = 0.20000000000000001" \
    "$T/flip-$mode/manifest"
done
"$A" sample --K 3 --V 5 --n 5000 --seed 22 --flip 0 --out "$T/flip0"
"$A" sample --K 3 --V 5 --n 5000 --seed 22 --out "$T/noflip"
check "--flip 0 is the noiseless sample" cmp -s "$T/flip0/comparisons.tsv" \
  "$T/noflip/comparisons.tsv"

# 5. Bad input: exit 2, exactly one line "alignsim: ...", nothing written.
bad_case() { # bad_case NAME ARGS...
  local name=$1
  shift
  rm -rf "$T/bad"
  "$A" sample "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ $rc -eq 2 ] && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q '^alignsim: ' "$T/err" && [ ! -e "$T/bad" ]; then
    ok "bad input: $name"
  else
    bad "bad input: $name (rc $rc, stderr: $(cat "$T/err"))"
  fi
}
bad_case "unknown flag" --out "$T/bad" --bogus 1
bad_case "missing --out" --n 10
bad_case "missing value" --out "$T/bad" --n
bad_case "non-number" --out "$T/bad" --beta abc
bad_case "trailing garbage" --out "$T/bad" --n 10x
bad_case "V < 2" --out "$T/bad" --V 1
bad_case "K = 0" --out "$T/bad" --K 0
bad_case "negative n" --out "$T/bad" --n -5
bad_case "n overflows uint64" --out "$T/bad" --n 18446744073709551616
bad_case "negative seed" --out "$T/bad" --seed -1
bad_case "beta = 0" --out "$T/bad" --beta 0
bad_case "negative ref-noise" --out "$T/bad" --ref-noise -0.5
bad_case "nan logit-scale" --out "$T/bad" --logit-scale nan
bad_case "bad mode" --out "$T/bad" --mode fast
bad_case "bad mu" --out "$T/bad" --mu best
bad_case "flip = 0.5" --out "$T/bad" --flip 0.5
bad_case "negative flip" --out "$T/bad" --flip -0.1
bad_case "extra argument" --out "$T/bad" extra
bad_case "table too large" --out "$T/bad" --K 1000 --V 1000
# pcg32 keeps 63 bits of the stream (inc = 2 S + 1 mod 2^64): S and S + 2^63
# are the same stream, so a value >= 2^63 would silently alias another one.
bad_case "stream >= 2^63 (aliases stream - 2^63)" --out "$T/bad" \
  --stream 9223372036854775808
"$A" sample --n 1000 --seed 7 --stream 9223372036854775807 --out "$T/maxstream"
check "largest stream 2^63 - 1 accepted" test $? -eq 0

# 6. A write failure (file size limit; SIGXFSZ ignored so writes fail with
# EFBIG): exit 1, one line, the directory it created removed again, and in
# an existing directory the old files untouched and no temp file left.
(trap '' XFSZ; ulimit -f 8; "$A" sample --K 50 --V 50 --out "$T/full/d" \
  >"$T/out" 2>"$T/err")
rc=$?
check "write failure exits 1" test $rc -eq 1
check "write failure: one line" test "$(wc -l <"$T/err")" -eq 1
check "write failure: created directories removed" test ! -e "$T/full"
mkdir -p "$T/old"
echo old >"$T/old/instance.tsv"
(trap '' XFSZ; ulimit -f 8; "$A" sample --K 50 --V 50 --out "$T/old" \
  >/dev/null 2>&1)
check "write failure: old file untouched" test "$(cat "$T/old/instance.tsv")" = old
check "write failure: nothing else left" test "$(ls -A "$T/old" | wc -l)" -eq 1

# 7. --help and --version.
"$A" sample --help >"$T/help"
check "sample --help exits 0" test $? -eq 0
for opt in --out --K --V --beta --logit-scale --ref-sharpness --ref-noise \
  --mu --n --mode --m --flip --seed --stream --help --version; do
  check "help documents $opt" grep -q -- "$opt " "$T/help"
done
check "help shows defaults" grep -q -- "--n N .*\[1000\]" "$T/help"
"$A" --version >/dev/null
check "alignsim --version exits 0" test $? -eq 0
"$A" sample --version >/dev/null
check "sample --version exits 0" test $? -eq 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
