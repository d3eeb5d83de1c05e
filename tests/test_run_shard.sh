#!/usr/bin/env bash
# test_run_shard.sh — `alignsim run --shard I/N` + `alignsim merge`: for
# N = 1, 2, 3, 7 the merged outputs (results.csv, summary.csv, table.txt,
# plot data, figures) are byte-identical to the unsharded run's, and the
# manifests differ only in date, command line and threads; merging with a missing,
# duplicated, foreign (other seed, other config), unfinished or damaged
# shard exits 2 and writes nothing.
# Usage: test_run_shard.sh PATH/TO/alignsim SOURCE_ROOT
set -u
exe=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass=0
check() { # description, condition result
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else
    echo "FAIL: $1"; fails=$((fails + 1)); fi
}
export ALIGNSIM_PLOTS="$src/plots"
outputs="results.csv summary.csv table.txt curve_pmle.dat curve_rkl.dat
         curve_rlhf.dat population.dat plot_params.gp"
same_outputs() { # dir_a dir_b
  for f in $outputs; do cmp -s "$1/$f" "$2/$f" || { echo "differs: $f" >&2; return 1; }; done
}

# 30 units (5 cells × 6 replicates), with a figure (E1's script)
cat > "$tmp/s.cfg" <<'CFG'
experiment = "shard";
instance = { K = 3; V = 4; };
beta = 1.0;
n = { from = 100; to = 1e5; points = 4; };
population = true;
lambda = { from = 1e-3; to = 1e2; points = 11; };
methods = ["rlhf", "rkl", "pmle"];
replicates = 6;
seed = 11;
figures = ["e1"];
CFG
"$exe" run "$tmp/s.cfg" --out "$tmp/ref" --quiet > /dev/null
check "unsharded run" $?
plots=1
command -v gnuplot > /dev/null || plots=0

for N in 1 2 3 7; do
  dirs=""
  for I in $(seq 1 $N); do
    "$exe" run "$tmp/s.cfg" --out "$tmp/n$N-$I" --shard $I/$N --quiet > /dev/null
    check "N=$N: shard $I runs" $?
    dirs="$dirs $tmp/n$N-$I"
  done
  check "N=$N: a shard writes no results" $([ ! -e "$tmp/n$N-1/results.csv" ]; echo $?)
  # shards given in reverse order: the order must not matter
  "$exe" merge --out "$tmp/m$N" $(echo $dirs | tr ' ' '\n' | tac) > /dev/null
  check "N=$N: merge succeeds" $?
  check "N=$N: merged outputs byte-identical" $(same_outputs "$tmp/ref" "$tmp/m$N"; echo $?)
  if [ $plots -eq 1 ]; then
    check "N=$N: figures byte-identical" \
      $(cmp -s "$tmp/ref/e1.svg" "$tmp/m$N/e1.svg" && cmp -s "$tmp/ref/e1.png" "$tmp/m$N/e1.png"; echo $?)
  fi
  # (threads: how the process ran, which never changes a result; the
  # unsharded run uses all CPUs by default, merge one)
  check "N=$N: manifests differ only in date, command and threads" \
    $(diff <(grep -v '^# date:\|^# command:\|^# threads:' "$tmp/ref/manifest") \
           <(grep -v '^# date:\|^# command:\|^# threads:' "$tmp/m$N/manifest") > /dev/null; echo $?)
done

# Every refusal: exit 2, a message, nothing written.
refuse() { # description, expected message (grep -E), shard dirs...
  local what=$1 msg=$2; shift 2
  rm -rf "$tmp/bad"
  "$exe" merge --out "$tmp/bad" --no-plots "$@" > /dev/null 2> "$tmp/e"
  local rc=$?
  check "$what: exit 2 (got $rc)" $([ $rc -eq 2 ]; echo $?)
  check "$what: message ($(cat "$tmp/e"))" $(grep -Eq "$msg" "$tmp/e"; echo $?)
  check "$what: nothing written" $([ ! -e "$tmp/bad" ]; echo $?)
}
refuse "missing shard" "shard 2/3 is missing" "$tmp/n3-1" "$tmp/n3-3"
refuse "duplicated shard" "shard 3/3 given twice" "$tmp/n3-1" "$tmp/n3-3" "$tmp/n3-2" "$tmp/n3-3"
refuse "shards of two splits" "different splits" "$tmp/n3-1" "$tmp/n2-2" "$tmp/n3-3"
"$exe" run "$tmp/s.cfg" --out "$tmp/seed" --shard 2/3 --seed 99 --quiet > /dev/null
refuse "shard of another seed" "another configuration or seed.*seed = 11" \
  "$tmp/n3-1" "$tmp/seed" "$tmp/n3-3"
sed 's/^beta = 1.0;/beta = 2.0;/' "$tmp/s.cfg" > "$tmp/b.cfg"
"$exe" run "$tmp/b.cfg" --out "$tmp/beta" --shard 3/3 --quiet > /dev/null
refuse "shard of another config" "another configuration or seed" \
  "$tmp/n3-1" "$tmp/n3-2" "$tmp/beta"
refuse "an unsharded run's directory" "not the manifest of a shard" "$tmp/ref"
cp -r "$tmp/n3-2" "$tmp/unfinished"; rm "$tmp/unfinished/manifest"
refuse "an unfinished shard" "gets its manifest when its run finishes" \
  "$tmp/n3-1" "$tmp/unfinished" "$tmp/n3-3"
cp -r "$tmp/n3-2" "$tmp/torn"
len=$(stat -c %s "$tmp/torn/journal")
truncate -s $((len - 5)) "$tmp/torn/journal"
refuse "a shard with a torn journal" "record at byte [0-9]+: cut short" \
  "$tmp/n3-1" "$tmp/torn" "$tmp/n3-3"
cp "$tmp/n3-2/journal" "$tmp/torn/journal"
cp "$tmp/n3-1/journal" "$tmp/torn/journal"
refuse "a shard whose journal is another shard's" "journal of shard 1/3 in the directory of shard 2/3" \
  "$tmp/n3-1" "$tmp/torn" "$tmp/n3-3"

# A shard can be resumed like a run (its journal is the run's journal).
"$exe" run "$tmp/s.cfg" --out "$tmp/n3-2" --shard 2/3 --resume --quiet > /dev/null 2>&1
check "a finished shard resumes to the same manifest" $?
rm -rf "$tmp/m3"
"$exe" merge --out "$tmp/m3" --no-plots "$tmp/n3-1" "$tmp/n3-2" "$tmp/n3-3" > /dev/null
check "... and still merges byte-identical" $(same_outputs "$tmp/ref" "$tmp/m3"; echo $?)

"$exe" run "$tmp/s.cfg" --out "$tmp/x" --shard 4/3 --quiet > /dev/null 2> "$tmp/e"
check "--shard 4/3 is a usage error" $([ $? -eq 2 ]; echo $?)
"$exe" run "$tmp/s.cfg" --out "$tmp/x" --shard 1/37 --quiet > /dev/null 2> "$tmp/e"
rc=$?
check "more shards than units is refused ($(cat "$tmp/e"))" $([ $rc -eq 2 ] && [ ! -e "$tmp/x" ]; echo $?)

# The Slurm scripts of docs/cluster.md, with the variables sbatch sets.
for I in 1 2 3; do
  SLURM_ARRAY_TASK_ID=$I SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=2 \
    ALIGNSIM="$exe" bash "$src/scripts/slurm/array.sbatch" "$tmp/s.cfg" \
    "$tmp/slurm" > /dev/null 2>&1
  check "array.sbatch task $I" $?
done
ALIGNSIM="$exe" bash "$src/scripts/slurm/merge.sbatch" "$tmp/s.cfg" \
  "$tmp/slurm" 3 > /dev/null
check "merge.sbatch" $?
check "Slurm scripts: outputs byte-identical" $(same_outputs "$tmp/ref" "$tmp/slurm"; echo $?)

echo "shard: $pass passed, $fails failed"
[ $fails -eq 0 ]
