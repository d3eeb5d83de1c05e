# plots/e3.gp — E3, Theorem 4 on a finite class (docs/reference.md §6): PMLE by
# enumeration over Π = {π*} ∪ perturbations, |Π| and n swept.
# Left: the (1−δ)-quantile of KL(π*‖π̂) over replicates (solid, points;
# a quantile of exactly 0 — π̂ = π* in ≥ 1−δ of replicates — is not drawn
# on the log axis) against the explicit bounds, the smallest over
# replicates: class-exact form (dash-dot), sharp instance form (dashed),
# the paper chain's instance form (dotted); thin: the mean KL.  The
# theorem forms are in summary.csv (bound, bound_thm_sharp).
# Right: how the error moves with |Π| — mean KL against |Π|, one line per
# n (every other n of the config), dots: the (1−δ)-quantile.
# Reads DIR/summary.csv written by the 'finite' kind (as_kind_finite.c):
#  1 n  2 class_size  3 delta  4 kl_quantile  5 bound  6 slack
#  7 bound_instance  8 slack_instance  9 beta  10 replicates  11 violations
#  12 violations_instance  13 kl_median  14 kl_mean  15 kl_max
#  16 frac_pi_star  17 bound_median  18 bound_instance_median  19 C_Pi_median
#  20 R_max_median  21 bound_thm_sharp  22 slack_thm_sharp  23 bound_sharp
#  24 slack_sharp  25 bound_class  26 slack_class  27-29 violations_thm_sharp,
#  _sharp, _class  30- the slack budget (plots/e3-budget.gp)
# common.gp is not loaded: plot_params.gp of this kind carries no RLHF
# floor (NaN), and everything needed is in summary.csv.
if (!exists("indir")) indir = "."
if (!exists("outpng")) outpng = indir."/e3.png"
if (!exists("outsvg")) outsvg = indir."/e3.svg"
set datafile separator ","
set datafile missing "nan"
set grid
summ = indir."/summary.csv"
replicates = int(system("awk -F, 'NR == 2 { print $10 }' '".summ."'"))
sizes = system("awk -F, 'NR > 1 { print $2 }' '".summ."' | sort -n -u | tr '\\n' ' '")
ns = system("awk -F, 'NR > 1 { print $1 }' '".summ."' | sort -n -u | awk 'NR % 2 == 1' | tr '\\n' ' '")
delta = real(system("awk -F, 'NR == 2 { print $3 }' '".summ."'"))
viol = int(system("awk -F, 'NR > 1 { v += $11 + $12 + $27 + $28 + $29 } END { print v + 0 }' '".summ."'"))
pos(v) = v > 0 ? v : 1/0
col(i) = word("#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e #8c564b #e377c2 #7f7f7f", (i - 1) % 8 + 1)
set logscale xy
set format x "10^{%T}"
set format y "10^{%T}"

do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1500,650 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1500,650 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  set multiplot layout 1,2 title sprintf("E3: PMLE over a finite class (%d replicates, δ = %g): (1−δ)-quantile of KL vs Theorem 4; replicates above their own bound (all forms): %d", replicates, delta, viol)
  set xlabel "number of comparisons n"
  set ylabel "KL(π* ‖ π̂)"
  set title "solid: (1−δ)-quantile (thin: mean); bounds: dot-dash class-exact, dashed sharp, dotted paper (instance)"
  set key bottom left
  set xrange [*:*]
  set yrange [1e-5:*]
  plot for [i = 1:words(sizes)] summ using 1:($2 == real(word(sizes, i)) ? pos($4) : 1/0) with linespoints lw 2 pt 7 lc rgb col(i) title sprintf("|Π| = %s", word(sizes, i)), \
       for [i = 1:words(sizes)] summ using 1:($2 == real(word(sizes, i)) ? pos($14) : 1/0) with linespoints lw 1 pt 1 ps 0.6 dt 4 lc rgb col(i) notitle, \
       for [i = 1:words(sizes)] summ using 1:($2 == real(word(sizes, i)) ? $25 : 1/0) with lines lw 1.5 dt ".-_" lc rgb col(i) notitle, \
       for [i = 1:words(sizes)] summ using 1:($2 == real(word(sizes, i)) ? $23 : 1/0) with lines lw 1.5 dt 2 lc rgb col(i) notitle, \
       for [i = 1:words(sizes)] summ using 1:($2 == real(word(sizes, i)) ? $7 : 1/0) with lines lw 1 dt 3 lc rgb col(i) notitle
  set xlabel "class size |Π|"
  set ylabel "mean KL(π* ‖ π̂) over replicates"
  set title "how the error moves with |Π| (same data for every |Π| at a given n)"
  set key top left
  set format x "%g"
  set yrange [*:*]
  rows_n(v) = "< awk -F, 'NR > 1 && $1 == ".v."' '".summ."'"
  plot for [i = 1:words(ns)] rows_n(word(ns, i)) using 2:(pos($14)) with linespoints lw 2 pt 5 lc rgb col(i) title sprintf("n = %s: mean", word(ns, i)), \
       for [i = 1:words(ns)] rows_n(word(ns, i)) using 2:(pos($4)) with points pt 7 ps 1.2 lc rgb col(i) notitle
  set format x "10^{%T}"
  unset multiplot
  set output
}
