# plots/e11.gp — E11, the objective atlas (docs/reference.md §3.2): median forward KL
# against n for every method, its one hyperparameter oracle-tuned per
# replicate (sim/as_floors.h); each method's floor F_method (its n = ∞
# value, refined over the hyperparameter) is a dotted line in its colour
# where it is above 1e-9 (a consistent method's floor is 0), F_RLHF dashed
# black.  Also drawn for E11 with label noise (plots/e11-flip.gp).
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
methods = "pmle distill rebel rkl simpo rlhf dpo cdpo rdpo ipo gpo slic orpo chipo sppo nash"
colours = "#1f77b4 #2ca02c #17becf #9467bd #000080 #d62728 #ff7f0e #8c564b #e377c2 #7f7f7f #bcbd22 #8B0000 #006400 #FF1493 #4B0082 #DAA520"
col(i) = word(colours, i)
m(i) = word(methods, i)
has(v) = exists(v) ? value(v) : 0
popv(name) = has("has_pop_".name) ? value("pop_".name) : 1/0
floorv(name) = (popv(name) > 1e-9) ? popv(name) : 1/0
rate(name) = has("has_rate_".name) ? sprintf(" slope %.2f", value("rate_".name."_slope")) : ""
set logscale xy
set format x "10^{%T}"
set format y "10^{%T}"
set xrange [n_min/1.5 : n_max*1.5]
set yrange [1e-6 : 2]
set xlabel "number of comparisons n"
set ylabel "forward KL(π* ‖ π̂)  (median over replicates)"
set title sprintf("%s: which preference losses learn π*? (%d replicates, K = V = 10, oracle-tuned; dotted: floor F_{method})", experiment, replicates)
set key outside right top font ",9" spacing 0.9
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1250,720 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1250,720 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  plot for [i = 1:words(methods)] curve(m(i)) using 1:3 with linespoints lw 2 pt (i % 13) + 1 ps 0.8 lc rgb col(i) title m(i).rate(m(i)), \
       for [i = 1:words(methods)] floorv(m(i)) with lines lw 1 dt 3 lc rgb col(i) notitle, \
       floor_median with lines lw 2 dt 2 lc rgb "black" title sprintf("F_{RLHF} = %.4f", floor_median)
  set output
}
