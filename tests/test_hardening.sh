#!/usr/bin/env bash
# test_hardening.sh ALIGNSIM — regression cases for the findings of issue
# 12's fuzzing campaign, through the real binary.  Each case failed on the
# code before the issue (commit 91d979c); the kill/rename/disk findings are
# in test_outset.sh.
#  F1 bounded memory: a 3-line finite class with member index 5e8 (it
#     allocated members x K x V, ~4 GB, before noticing the file is
#     incomplete), a 3-line file asking for petabytes, a feature file
#     naming context 16383 / response 16383, a config with class size 1e8
#     or K = V = 1000: each refused at once with FILE:LINE and the figure.
#     In the plain build they run under `ulimit -v` (2 GiB), so an
#     allocation first shows as "out of memory" instead.
#  F3 an unusable --out (an existing file) is refused before computing.
#  F4 non-finite results: --lambda 1e308 and --lr 1e308 are range-checked.
#  F5 a NUL byte in a finite-class or feature file: error with its line.
#  F6 errors name FILE:LINE: unknown kind, all counts 0, a NUL byte in a
#     config; `run` errors carry the alignsim: prefix; comparisons on a
#     pipe ("-" and /dev/stdin) are read.
set -u
A=${1:?usage: test_hardening.sh ALIGNSIM}
T=$(mktemp -d /tmp/test_hardening.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# ASan reserves terabytes of address space: no ulimit -v under it.
if ldd "$A" 2>/dev/null | grep -q asan; then vlim=unlimited; else vlim=2097152; fi
# run_limited OUT ERR CMD...: exit status of CMD under the limits
run_limited() {
  local o=$1 e=$2; shift 2
  (ulimit -v "$vlim"; exec timeout 60 "$@") >"$o" 2>"$e"
}
printf '0\t1\t0\t3\n0\t0\t1\t1\n' > "$T/c.tsv"

# ---- F1 bounded memory
printf 'member context response log_prob\n0 0 0 0\n500000000 0 1 0\n' > "$T/m5e8.tsv"
run_limited "$T/o" "$T/e" "$A" fit --comparisons "$T/c.tsv" --method pmle --class finite \
  --class-file "$T/m5e8.tsv" --out "$T/p.tsv"
check "F1 member 5e8: exit 2" test $? -eq 2
check "F1 member 5e8: FILE:LINE, missing row, not out of memory" \
  grep -q "^alignsim: $T/m5e8.tsv:3: (member 0, context 0, response 1) is missing" "$T/e"
printf '0 0 0 -0.6931471805599453\n2000 1000000 999 -0.6931471805599453\n' > "$T/huge.tsv"
run_limited "$T/o" "$T/e" "$A" fit --comparisons "$T/c.tsv" --method pmle --class finite \
  --class-file "$T/huge.tsv" --out "$T/p.tsv"
check "F1 petabyte class: exit 2" test $? -eq 2
check "F1 petabyte class: FILE:LINE, missing row" grep -q "$T/huge.tsv:2: .* is missing" "$T/e"
printf 'context response f1\n0 0 1\n16383 16383 2\n' > "$T/feat.tsv"
run_limited "$T/o" "$T/e" "$A" fit --comparisons "$T/c.tsv" --class features \
  --features "$T/feat.tsv" --method pmle --out "$T/p.tsv"
check "F1 feature grid 2^28: exit 2" test $? -eq 2
check "F1 feature grid 2^28: FILE:LINE, missing pair" grep -q "$T/feat.tsv:3: context 0 response 1 is missing" "$T/e"
cfg() { # cfg NAME EXTRA...: a small valid config plus lines
  local f=$T/$1.cfg; shift
  printf 'experiment = "h";\ninstance = { K = 2; V = 3; };\nbeta = 1.0;\n'\
'n = [100];\nlambda = [1.0];\nmethods = ["rkl"];\nreplicates = 1;\n' > "$f"
  for l in "$@"; do printf '%s\n' "$l" >> "$f"; done
}
# (a config otherwise valid for kind finite: lambda 0, pmle)
printf 'experiment = "h";\ninstance = { K = 2; V = 3; };\nbeta = 1.0;\nn = [100];\nlambda = [0.0];\nmethods = ["pmle"];\nreplicates = 1;\nclass = { type = "finite"; distances = [0.1]; size = 100000000; };\n' > "$T/size.cfg"
ALIGNSIM_MEM_LIMIT=1G run_limited "$T/o" "$T/e" "$A" run "$T/size.cfg" --out "$T/r1" --quiet --no-plots
check "F1 class size 1e8: exit 2" test $? -eq 2
check "F1 class size 1e8: line of the class and the figure" \
  grep -q "^alignsim: $T/size.cfg:8: a finite class of 100000000 members .* memory limit" "$T/e"
# (the tabular kind streams its count tables context by context, issue 8:
# K·V rows are what a K = 10^4, V = 1000 instance asks for first)
printf 'experiment = "h";\ninstance = { K = 10000; V = 1000; };\nbeta = 1.0;\nn = [100];\nlambda = [1.0];\nmethods = ["rkl"];\nreplicates = 1;\n' > "$T/kv.cfg"
ALIGNSIM_MEM_LIMIT=1G run_limited "$T/o" "$T/e" "$A" run "$T/kv.cfg" --out "$T/r2" --quiet --no-plots
check "F1 K = 10^4, V = 1000: exit 2" test $? -eq 2
check "F1 K = 10^4, V = 1000: line of the instance and the figure" \
  grep -q "^alignsim: $T/kv.cfg:2: K = 10000, V = 1000 .* memory limit" "$T/e"
check "F1 nothing written" test ! -e "$T/r1" -a ! -e "$T/r2"
"$A" --mem-limit 1G run "$T/kv.cfg" --out "$T/r2" --quiet --no-plots 2>"$T/e"
check "F1 --mem-limit: same refusal" grep -q "memory limit of 1073741824" "$T/e"
"$A" --mem-limit 12x run "$T/kv.cfg" --out "$T/r2" 2>"$T/e"
check "F1 --mem-limit: a bad size is exit 2" test $? -eq 2

# ---- F3 an unusable --out, before the computation
printf 'experiment = "h";\ninstance = { K = 20; V = 20; };\nbeta = 1.0;\nn = { from = 100; to = 1e6; points = 30; };\nlambda = { from = 1e-3; to = 1e3; points = 60; };\nmethods = ["pmle", "rkl", "rlhf", "distill"];\nreplicates = 200;\n' > "$T/long.cfg"
: > "$T/afile"
timeout 10 "$A" run "$T/long.cfg" --out "$T/afile" --quiet --no-plots 2>"$T/e"
check "F3 --out is a file: exit 2 at once" test $? -eq 2
check "F3 --out is a file: says so" grep -q "not a directory" "$T/e"
timeout 10 "$A" fit --comparisons "$T/c.tsv" --method pmle --out "$T" 2>"$T/e"
check "F3 fit --out is a directory: exit 2" test $? -eq 2

# ---- F4 non-finite results
"$A" fit --comparisons "$T/c.tsv" --method rkl --lambda 1e308 --strict --out "$T/p.tsv" >/dev/null 2>"$T/e"
check "F4 --lambda 1e308: exit 2" test $? -eq 2
check "F4 --lambda 1e308: range message" grep -q "^alignsim: --lambda: lambda = 1e308 must be in \[0, 1e+12\]" "$T/e"
"$A" fit --comparisons "$T/c.tsv" --method dpo --steps 10 --lr 1e308 --out "$T/p.tsv" >/dev/null 2>"$T/e"
check "F4 --lr 1e308: exit 2" test $? -eq 2
check "F4 nothing written" test ! -e "$T/p.tsv"

# ---- F5 NUL bytes
printf 'member context response log_prob\n0 0 0 -0.6931471805599453\n0 0 1 -0.6931471805599453\000 junk\n' > "$T/nul_fin.tsv"
"$A" fit --comparisons "$T/c.tsv" --method pmle --class finite --class-file "$T/nul_fin.tsv" --out "$T/p.tsv" >/dev/null 2>"$T/e"
check "F5 NUL in a finite class: exit 2" test $? -eq 2
check "F5 NUL in a finite class: its line" grep -q "$T/nul_fin.tsv:3: NUL byte" "$T/e"
printf 'context response f1\n0 0 1\n0 1 2\000 3\n' > "$T/nul_feat.tsv"
"$A" fit --comparisons "$T/c.tsv" --class features --features "$T/nul_feat.tsv" --method pmle --out "$T/p.tsv" >/dev/null 2>"$T/e"
check "F5 NUL in a feature file: exit 2" test $? -eq 2
check "F5 NUL in a feature file: its line" grep -q "$T/nul_feat.tsv:3: NUL byte" "$T/e"

# ---- F6 errors with a line, one prefix, pipes
cfg kind 'kind = "nope";'
"$A" run "$T/kind.cfg" --out "$T/r3" --quiet --no-plots 2>"$T/e"
check "F6 unknown kind: exit 2" test $? -eq 2
check "F6 unknown kind: FILE:LINE" grep -q "^alignsim: $T/kind.cfg:8: experiment kind 'nope'" "$T/e"
printf 'context\twinner\tloser\tcount\n0\t1\t0\t0\n' > "$T/zero.tsv"
"$A" fit --comparisons "$T/zero.tsv" --method pmle --K 1 --V 2 --out "$T/p.tsv" >/dev/null 2>"$T/e"
check "F6 all counts 0: exit 2" test $? -eq 2
check "F6 all counts 0: FILE:LINE" grep -q "^alignsim: $T/zero.tsv:2: no comparisons (all counts are 0)" "$T/e"
printf 'experiment = "h";\n\000kind = "tabular";\n' > "$T/nul.cfg"
"$A" run "$T/nul.cfg" --out "$T/r4" --quiet --no-plots 2>"$T/e"
check "F6 NUL in a config: exit 2" test $? -eq 2
check "F6 NUL in a config: FILE:LINE, prefix" grep -q "^alignsim: $T/nul.cfg:2: NUL byte" "$T/e"
cfg neg 'seed = -1;'
"$A" run "$T/neg.cfg" --out "$T/r5" 2>"$T/e"
check "F6 run: config errors carry the prefix" grep -q "^alignsim: $T/neg.cfg:8:" "$T/e"
"$A" fit --comparisons "$T/c.tsv" --method pmle --out "$T/file.tsv" >/dev/null
cat "$T/c.tsv" | "$A" fit --comparisons - --method pmle --out "$T/pipe.tsv" >/dev/null 2>"$T/e"
check "F6 comparisons from a pipe ('-'): exit 0" test $? -eq 0
check "F6 comparisons from a pipe: same fit as from the file" cmp -s "$T/file.tsv" "$T/pipe.tsv"
cat "$T/c.tsv" | "$A" fit --comparisons /dev/stdin --method pmle --out "$T/pipe2.tsv" >/dev/null 2>"$T/e"
check "F6 comparisons from /dev/stdin: same fit" cmp -s "$T/file.tsv" "$T/pipe2.tsv"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
