#!/usr/bin/env bash
# test_run_resume.sh — `alignsim run --resume` (sim/as_journal.h): a run
# killed with SIGKILL at several moments and resumed gives results.csv,
# summary.csv, table.txt and the plot data byte-identical to an
# uninterrupted run; a resume against a changed config or seed is refused
# (exit 2, journal untouched); a torn or corrupted last record is detected
# by its checksum and its unit recomputed; a finished run leaves no journal.
# Usage: test_run_resume.sh PATH/TO/alignsim
set -u
exe=$1
tmp=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT; echo "tmp=$tmp"
fails=0
pass=0
check() { # description, condition result
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else
    echo "FAIL: $1"; fails=$((fails + 1)); fi
}
outputs="results.csv summary.csv table.txt curve_pmle.dat curve_rkl.dat
         population.dat plot_params.gp"
same_outputs() { # dir_a dir_b
  for f in $outputs; do cmp -s "$1/$f" "$2/$f" || { echo "differs: $f" >&2; return 1; }; done
}

# 300 units of 1 ms to 0.1 s: long enough to be killed mid-way
cat > "$tmp/k.cfg" <<'CFG'
experiment = "resume";
instance = { K = 3; V = 4; };
beta = 1.0;
n = { from = 100; to = 1e6; points = 5; };
lambda = { from = 1e-3; to = 1e2; points = 11; };
methods = ["rlhf", "rkl", "pmle"];
replicates = 60;
seed = 11;
CFG
run() { "$exe" run "$tmp/k.cfg" --quiet --no-plots "$@"; }

run --out "$tmp/ref" > /dev/null
check "reference run" $?
check "a finished run leaves no journal" $([ ! -e "$tmp/ref/journal" ]; echo $?)
# the size of a whole journal: a one-shard run keeps its journal
run --out "$tmp/whole" --shard 1/1 > /dev/null
full=$(stat -c %s "$tmp/whole/journal")

size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# Starts a run (resuming when a journal exists) and kills it with SIGKILL
# once its journal has grown past $1 bytes.
run_and_kill() {
  # the binary itself in the background, so $! is the process to kill
  "$exe" run "$tmp/k.cfg" --quiet --no-plots --out "$tmp/k" --resume \
    --threads 2 > /dev/null 2>> "$tmp/log" &
  local pid=$! t=0
  while [ "$(size "$tmp/k/journal")" -le "$1" ] && [ $t -lt 3000 ] \
        && kill -0 $pid 2> /dev/null; do
    sleep 0.005; t=$((t + 1))
  done
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
}
# Kill at several moments: before the journal has any unit, then with
# about 5 %, 25 %, 50 % and 70 % of the units done (each resume continues
# the last one; two threads, so records are not in unit order).
for pc in 0 5 25 50 70; do
  run_and_kill $((full * pc / 100))
done
check "killed runs wrote no results" $([ ! -e "$tmp/k/results.csv" ]; echo $?)
units_before=$(size "$tmp/k/journal")
run --out "$tmp/k" --resume > /dev/null 2>> "$tmp/log"
check "final resume succeeds" $?
check "resumed run byte-identical to the uninterrupted one" \
  $(same_outputs "$tmp/ref" "$tmp/k"; echo $?)
check "resume said what it reused" $(grep -q "resuming: .* units from" "$tmp/log"; echo $?)
check "journal grew before the final resume ($units_before of $full bytes)" \
  $([ "$units_before" -gt $((full * 70 / 100)) ]; echo $?)

# A journal of part of the run, for the refusal and damage checks.
rm -rf "$tmp/k"
run_and_kill $((full / 5))
cp "$tmp/k/journal" "$tmp/journal.part"
j_sum=$(md5sum < "$tmp/k/journal")
sed 's/seed = 11;/seed = 12;/' "$tmp/k.cfg" > "$tmp/k2.cfg"
"$exe" run "$tmp/k2.cfg" --out "$tmp/k" --resume --quiet --no-plots \
  > /dev/null 2> "$tmp/e"
check "resume with another seed in the config exits 2" $([ $? -eq 2 ]; echo $?)
check "the refusal names the seed line ($(cat "$tmp/e"))" \
  $(grep -q "another configuration or seed.*seed = 12" "$tmp/e"; echo $?)
run --out "$tmp/k" --resume --seed 5 > /dev/null 2> "$tmp/e"
check "resume with --seed changed exits 2" $([ $? -eq 2 ]; echo $?)
sed 's/replicates = 60;/replicates = 61;/' "$tmp/k.cfg" > "$tmp/k3.cfg"
"$exe" run "$tmp/k3.cfg" --out "$tmp/k" --resume --quiet --no-plots \
  > /dev/null 2> "$tmp/e"
check "resume with replicates changed exits 2" $([ $? -eq 2 ]; echo $?)
check "refused resumes leave the journal untouched" \
  $([ "$(md5sum < "$tmp/k/journal")" = "$j_sum" ]; echo $?)
check "refused resumes write no results" $([ ! -e "$tmp/k/results.csv" ]; echo $?)
run --out "$tmp/k" --resume --shard 1/2 > /dev/null 2> "$tmp/e"
check "resume as a shard of an unsharded journal exits 2" $([ $? -eq 2 ]; echo $?)

# A torn last record (cut mid-record) and a corrupted one (a flipped byte
# in its payload): detected by length/checksum, the unit recomputed.
len=$(size "$tmp/journal.part")
head -c $((len - 7)) "$tmp/journal.part" > "$tmp/k/journal"
run --out "$tmp/k" --resume > /dev/null 2> "$tmp/e"
check "resume after a torn record succeeds" $?
check "the torn record is reported ($(cat "$tmp/e"))" \
  $(grep -q "damaged record" "$tmp/e"; echo $?)
check "torn record: outputs byte-identical" $(same_outputs "$tmp/ref" "$tmp/k"; echo $?)
rm -rf "$tmp/k"; mkdir "$tmp/k"
cp "$tmp/journal.part" "$tmp/k/journal"
python3 - "$tmp/k/journal" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[-40] ^= 0x01          # inside the last record's rows
open(p, 'wb').write(b)
PY
run --out "$tmp/k" --resume > /dev/null 2> "$tmp/e"
check "resume after a corrupted record succeeds" $?
check "the corruption is reported as a checksum failure" \
  $(grep -q "damaged record" "$tmp/e"; echo $?)
check "corrupted record: outputs byte-identical" $(same_outputs "$tmp/ref" "$tmp/k"; echo $?)

# Not a journal at all: refused, file kept.
mkdir -p "$tmp/n"; echo "hello" > "$tmp/n/journal"
run --out "$tmp/n" --resume > /dev/null 2> "$tmp/e"
check "a file that is not a journal is refused with exit 2" $([ $? -eq 2 ]; echo $?)
check "... and kept" $(grep -q hello "$tmp/n/journal"; echo $?)

# --resume without a journal computes everything.
run --out "$tmp/f" --resume > /dev/null 2> "$tmp/e"
check "--resume with no journal runs the whole experiment" \
  $(same_outputs "$tmp/ref" "$tmp/f"; echo $?)

echo "resume: $pass passed, $fails failed"
[ $fails -eq 0 ]
