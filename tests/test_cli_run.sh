#!/usr/bin/env bash
# test_cli_run.sh — `alignsim run` end to end: bad configs exit 2 with
# FILE:LINE and leave nothing behind; --threads 1 and --threads 2 give a
# byte-identical results.csv.  Usage: test_cli_run.sh PATH/TO/alignsim
set -u
exe=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass=0
check() { # description, condition result
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else
    echo "FAIL: $1"; fails=$((fails + 1)); fi
}

good() {
  cat <<'CFG'
experiment = "cli";
instance = { K = 3; V = 4; };
beta = 1.0;
n = { from = 100; to = 10000; points = 3; };
lambda = { from = 1e-3; to = 1e2; points = 11; };
methods = ["rlhf", "rkl", "pmle"];
replicates = 3;
seed = 11;
CFG
}

# 1. a wrong value: exit 2, FILE:LINE, no output directory
good > "$tmp/bad.cfg"
echo 'replicates2 = 0;' >> "$tmp/bad.cfg"
"$exe" run "$tmp/bad.cfg" --out "$tmp/out1" > "$tmp/o" 2> "$tmp/e"
rc=$?
check "unknown key exits 2 (got $rc)" $([ $rc -eq 2 ]; echo $?)
check "message names FILE:LINE ($(cat "$tmp/e"))" \
  $(grep -q "^alignsim: $tmp/bad.cfg:9: unknown key 'replicates2'" "$tmp/e"; echo $?)
check "nothing written" $([ ! -e "$tmp/out1" ]; echo $?)

good | sed 's/^beta = 1.0;/beta = -1.0;/' > "$tmp/bad2.cfg"
"$exe" run "$tmp/bad2.cfg" --out "$tmp/out2" 2> "$tmp/e"
rc=$?
check "beta <= 0 exits 2" $([ $rc -eq 2 ]; echo $?)
check "beta message has line 3 and value" \
  $(grep -q "bad2.cfg:3: .*-1" "$tmp/e"; echo $?)
check "nothing written (2)" $([ ! -e "$tmp/out2" ]; echo $?)

good | sed '/^methods/d' > "$tmp/bad3.cfg"
"$exe" run "$tmp/bad3.cfg" --out "$tmp/out3" 2> "$tmp/e"
rc=$?
check "missing key exits 2" $([ $rc -eq 2 ]; echo $?)
check "missing key named" \
  $(grep -q "missing required key 'methods'" "$tmp/e"; echo $?)

# 2. a kind the runner does not know: exit 2, nothing written
good > "$tmp/fin.cfg"
echo 'kind = "no-such-kind";' >> "$tmp/fin.cfg"
"$exe" run "$tmp/fin.cfg" --out "$tmp/out4" 2> "$tmp/e"
rc=$?
check "unsupported kind exits 2" $([ $rc -eq 2 ]; echo $?)
check "nothing written (4)" $([ ! -e "$tmp/out4" ]; echo $?)

# 2b. a figure without a script is found before the computation: exit 2,
# FILE:LINE of `figures`, nothing written (it used to run the whole
# experiment, commit the results and only then fail with exit 1)
good > "$tmp/fig.cfg"
echo 'figures = ["no_such_figure"];' >> "$tmp/fig.cfg"
"$exe" run "$tmp/fig.cfg" --out "$tmp/outfig" --quiet > /dev/null 2> "$tmp/e"
rc=$?
check "figure without a script exits 2 (got $rc)" $([ $rc -eq 2 ]; echo $?)
check "figure message names FILE:LINE and the name ($(cat "$tmp/e"))" \
  $(grep -q "$tmp/fig.cfg:9: figure \"no_such_figure\" has no script" \
    "$tmp/e"; echo $?)
check "nothing written (figure)" $([ ! -e "$tmp/outfig" ]; echo $?)

# 3. usage errors
"$exe" run "$tmp/nonexistent.cfg" --out "$tmp/out5" 2> /dev/null
check "missing file exits 2" $([ $? -eq 2 ]; echo $?)
good > "$tmp/good.cfg"
"$exe" run "$tmp/good.cfg" 2> /dev/null
check "missing --out exits 2" $([ $? -eq 2 ]; echo $?)
"$exe" run "$tmp/good.cfg" --out "$tmp/o6" --threads 0 2> /dev/null
check "--threads 0 exits 2" $([ $? -eq 2 ]; echo $?)
"$exe" run "$tmp/good.cfg" --out "$tmp/o6" --frobnicate 2> /dev/null
check "unknown option exits 2" $([ $? -eq 2 ]; echo $?)

# 4. threads do not change the results
"$exe" run "$tmp/good.cfg" --out "$tmp/t1" --threads 1 --no-plots > /dev/null
check "run with 1 thread" $?
"$exe" run "$tmp/good.cfg" --out "$tmp/t2" --threads 2 --no-plots > /dev/null
check "run with 2 threads" $?
cmp -s "$tmp/t1/results.csv" "$tmp/t2/results.csv"
check "results.csv identical for --threads 1 and 2" $?
cmp -s "$tmp/t1/summary.csv" "$tmp/t2/summary.csv"
check "summary.csv identical for --threads 1 and 2" $?
lines=$(wc -l < "$tmp/t1/results.csv")
check "results.csv has 1 + 3*3*3 lines (got $lines)" \
  $([ "$lines" -eq 28 ]; echo $?)
check "no temporary files left" \
  $([ -z "$(ls "$tmp/t1" | grep tmp)" ]; echo $?)
"$exe" run "$tmp/good.cfg" --out "$tmp/t3" --seed 12 --no-plots > /dev/null
check "--seed overrides" $(! cmp -s "$tmp/t1/results.csv" "$tmp/t3/results.csv"; echo $?)
check "manifest records the seed" \
  $(grep -q "^seed = 12L;" "$tmp/t3/manifest"; echo $?)
# The manifest's command line is shell-quoted (cli_command_line_new, shared
# with the other subcommands' manifests): an --out with a blank pasted back
# into a shell must stay one argument.
"$exe" run "$tmp/good.cfg" --out "$tmp/o 7" --no-plots --quiet > /dev/null
check "manifest command line quotes an argument with a blank" \
  $(grep -qF "# command: alignsim run $tmp/good.cfg --out '$tmp/o 7' --no-plots --quiet" \
    "$tmp/o 7/manifest"; echo $?)

echo "$pass passed, $fails failed"
[ $fails -eq 0 ]
