# plots/e9.gp — E9: forward KL (median over replicates, oracle λ) of every
# method against the Bradley–Terry temperature β at fixed n; F_RLHF (which
# does not depend on β) as a line.
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
set logscale xy
set format y "10^{%T}"
set xlabel "preference temperature β"
set ylabel "forward KL(π* ‖ π̂)  (median)"
set title sprintf("E9: error vs β at n = %.0e (%d replicates, oracle λ)", n_min, replicates)
set key outside right
floor_line(x) = floor_median
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1100,650 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1100,650 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  plot curve("pmle") using 1:3 with linespoints lw 2 pt 7 title "PMLE", \
       curve("distill") using 1:3 with linespoints lw 2 pt 5 title "distillation", \
       curve("rkl") using 1:3 with linespoints lw 2 pt 9 title "RKL", \
       curve("rebel") using 1:3 with linespoints lw 2 pt 11 title "REBEL", \
       curve("rlhf") using 1:3 with linespoints lw 2 pt 13 title "RLHF", \
       curve("dpo") using 1:3 with linespoints lw 2 pt 3 title "DPO", \
       floor_line(x) with lines lw 2 dt 2 lc rgb "black" title "F_{RLHF}"
  set output
}
