#!/usr/bin/env bash
# side_by_side.sh — issue 8's speed figures, measured in one run (see
# bench/README.md):
#   (a) this tree against a baseline alignsim (the version at the start of
#       the issue), experiment by experiment, CPU time (user + sys) of the
#       whole process with --threads 2 --no-plots, REPEATS runs each,
#       alternating baseline and new so load drifts hit both; the results
#       of the two are compared by bench/compare_results.py;
#   (b) E1 in C against bench/e1_numpy.py (the same computation in
#       vectorised NumPy/SciPy), CPU time;
#   (c) experiments/scale.cfg at K = V in SCALE_SIZES (default "10 30 100";
#       an entry KxV, e.g. 1x1000, sets K and V apart: one context at
#       V = 1000 gives the per-context figures without K = 1000's tables):
#       seconds, peak RSS, largest per-context Newton iteration count;
#   (d) all ten experiments with figures, wall time, this tree.
# CPU times, not wall: the machine is shared.
#
# usage: bench/side_by_side.sh BASE_ALIGNSIM NEW_ALIGNSIM OUT.md [REPEATS]
#   environment: EXPERIMENTS (default "1 2 3 4 5 6 7 8 9 10"),
#                SCALE_SIZES (default "10 30 100"), SKIP_NUMPY=1, SKIP_ALL=1
# Build the baseline outside the repository, e.g.
#   git archive 91d979c | tar -x -C /tmp/base && meson setup /tmp/base/build
#   /tmp/base && meson compile -C /tmp/base/build
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,22p' "$0" >&2
  exit 2
fi
base=$1
new=$2
out=$3
reps=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
exps=${EXPERIMENTS:-"1 2 3 4 5 6 7 8 9 10"}
sizes=${SCALE_SIZES:-"10 30 100"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=python3

# cpu_run LABEL CMD... : runs CMD, prints "cpu_seconds wall_seconds maxrss_kb"
cpu_run() {
  /usr/bin/time -f "%U %S %e %M" -o "$work/time" "$@" >/dev/null 2>&1
  awk '{printf "%.3f %.2f %d\n", $1 + $2, $3, $4}' "$work/time"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

tmp_out="$out.tmp"
{
  echo "# Side-by-side figures ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, shared machine)"
  echo
  echo "Command: bench/side_by_side.sh BASE NEW OUT $reps (EXPERIMENTS=\"$exps\", SCALE_SIZES=\"$sizes\")"
  echo
  echo "## (a) This tree vs baseline, --threads 2 --no-plots, CPU seconds (user+sys), median of $reps"
  echo
  echo "| experiment | baseline CPU s | this tree CPU s | ratio | runs (base / new) | results.csv |"
  echo "| --- | --- | --- | --- | --- | --- |"
  tot_b=0
  tot_n=0
  for e in $exps; do
    cfg="$root/experiments/e$e.cfg"
    : >"$work/b" ; : >"$work/n"
    for r in $(seq "$reps"); do
      cpu_run "$base" run "$cfg" --out "$work/base-e$e" --threads 2 --no-plots --quiet | awk '{print $1}' >>"$work/b"
      cpu_run "$new" run "$cfg" --out "$work/new-e$e" --threads 2 --no-plots --quiet | awk '{print $1}' >>"$work/n"
    done
    mb=$(median <"$work/b")
    mn=$(median <"$work/n")
    tot_b=$(awk -v a="$tot_b" -v b="$mb" 'BEGIN {print a + b}')
    tot_n=$(awk -v a="$tot_n" -v b="$mn" 'BEGIN {print a + b}')
    verdict=$("$py" "$here/compare_results.py" "$work/base-e$e/results.csv" "$work/new-e$e/results.csv" | head -1 | cut -c1-160 || true)
    echo "| E$e | $mb | $mn | $(awk -v a="$mb" -v b="$mn" 'BEGIN {printf "%.1f", a / b}')× | $(paste -sd/ "$work/b") / $(paste -sd/ "$work/n") | $verdict |"
  done
  echo "| total | $tot_b | $tot_n | $(awk -v a="$tot_b" -v b="$tot_n" 'BEGIN {printf "%.1f", a / b}')× | | |"
  echo

  if [ -z "${SKIP_NUMPY:-}" ]; then
    echo "## (b) E1: C (this tree) vs vectorised NumPy (bench/e1_numpy.py), CPU seconds, median of $reps"
    echo
    : >"$work/c" ; : >"$work/p"
    for r in $(seq "$reps"); do
      cpu_run "$new" run "$root/experiments/e1.cfg" --out "$work/c-e1" --threads 1 --no-plots --quiet | awk '{print $1}' >>"$work/c"
      cpu_run "$py" "$here/e1_numpy.py" | awk '{print $1}' >>"$work/p"
    done
    mc=$(median <"$work/c")
    mp=$(median <"$work/p")
    echo "| C (--threads 1) | NumPy | NumPy / C |"
    echo "| --- | --- | --- |"
    echo "| $mc | $mp | $(awk -v a="$mp" -v b="$mc" 'BEGIN {printf "%.1f", a / b}')× |"
    echo
  fi

  echo "## (c) experiments/scale.cfg at K = V (population and n = 1e9; pmle λ = 0.1, rkl, distill), --threads 2, this tree"
  echo
  echo "| K, V | CPU s | wall s | peak RSS MB | Newton iterations (largest per context: pmle / rkl / distill, population) |"
  echo "| --- | --- | --- | --- | --- |"
  for kv in $sizes; do
    k=${kv%x*}
    v=${kv#*x}
    sed -e "s/K = 1000; V = 1000;/K = $k; V = $v;/" "$root/experiments/scale.cfg" >"$work/s$kv.cfg"
    read -r c w m < <(cpu_run "$new" run "$work/s$kv.cfg" --out "$work/s$kv" --threads 2 --no-plots --quiet)
    its=$(awk -F, 'NR > 1 && $7 == "inf" {printf "%s%s", sep, $28; sep = " / "}' "$work/s$kv/results.csv")
    echo "| $k, $v | $c | $w | $((m / 1024)) | $its |"
  done
  echo

  if [ -z "${SKIP_ALL:-}" ]; then
    echo "## (d) All ten experiments with figures, this tree, --threads 2"
    echo
    start=$(date +%s.%N)
    cpu=0
    for e in 1 2 3 4 5 6 7 8 9 10; do
      read -r c w m < <(cpu_run "$new" run "$root/experiments/e$e.cfg" --out "$work/fig-e$e" --threads 2 --quiet)
      cpu=$(awk -v a="$cpu" -v b="$c" 'BEGIN {print a + b}')
    done
    end=$(date +%s.%N)
    echo "wall $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s, CPU $cpu s"
    echo
  fi
} >"$tmp_out"
mv "$tmp_out" "$out"
cat "$out"
