#!/usr/bin/env bash
# experiments/ipo-example.sh ALIGNSIM OUTDIR — the illustrative example of
# the IPO paper (Azar et al. 2023, "A General Theoretical Paradigm to
# Understand Learning from Human Preferences", Section 5): three responses
# y1, y2, y3, uniform pi_ref, a data set holding each of the three
# orderings once (y1 > y2, y2 > y3, y1 > y3), and the variant without
# y1 > y3.  DPO and IPO are run as in that paper, by plain gradient steps
# from pi_ref (`alignsim fit --steps S --lr 0.1`), and the probabilities
# after S steps are written, S log-spaced to 10^5, to OUTDIR/curve_*.dat
# ("steps p1 p2 p3"), for plots/ipo_example.gp.
set -euo pipefail
A=${1:?usage: ipo-example.sh ALIGNSIM OUTDIR}
OUT=${2:?usage: ipo-example.sh ALIGNSIM OUTDIR}
mkdir -p "$OUT"
printf 'context\twinner\tloser\tcount\n0\t0\t1\t1\n0\t1\t2\t1\n0\t0\t2\t1\n' \
  >"$OUT/full.tsv"
printf 'context\twinner\tloser\tcount\n0\t0\t1\t1\n0\t1\t2\t1\n' \
  >"$OUT/missing.tsv"
steps="1 2 5 10 20 50 100 200 500 1000 2000 5000 10000 20000 50000 100000"
for data in full missing; do
  for setting in "dpo --beta-dpo 0.1" "dpo --beta-dpo 1" "ipo --tau 0.1" \
                 "ipo --tau 1"; do
    set -- $setting
    name="${data}_$1_$3"
    : >"$OUT/curve_$name.dat"
    echo "# $data data, $setting: steps p1 p2 p3" >>"$OUT/curve_$name.dat"
    for S in $steps; do
      "$A" fit --method "$@" --V 3 --steps "$S" --lr 0.1 \
        --comparisons "$OUT/$data.tsv" --out "$OUT/tmp.tsv" >/dev/null \
        2>>"$OUT/fit.log"  # DPO warns that θ runs away: the point
      awk -v s="$S" 'NR > 1 { p[NR - 1] = exp($3) }
        END { printf "%d %.17g %.17g %.17g\n", s, p[1], p[2], p[3] }' \
        "$OUT/tmp.tsv" >>"$OUT/curve_$name.dat"
    done
  done
done
rm -f "$OUT/tmp.tsv" "$OUT/tmp.tsv.manifest"
