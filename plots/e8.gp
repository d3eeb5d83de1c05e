# plots/e8.gp — E8 (Appendix B): the largest difference, over contexts and
# responses, between the RKL solution and the RLHF solution with prior
# π_ref^{λ/(λ+γ)} and temperature λ+γ, against λ, one curve per β.  The
# identity is exact, so the curve must sit at rounding level (a few ulps of
# the log-probabilities), far below any statistical quantity.
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
# one data block per β (blocks are separated by two blank lines)
stats curve("rkl") using 1 nooutput
nb = STATS_blocks
array betas[nb]
do for [i = 1:nb] {
  stats curve("rkl") index (i - 1) using 20 nooutput
  betas[i] = STATS_min
}
set logscale x
set logscale y
set format x "10^{%T}"
set format y "10^{%T}"
set yrange [1e-17:1e-3]
set xlabel "KL weight λ   (γ = β)"
set ylabel "max_{x,y} |log π_{RKL} − log π_{RLHF, smoothed prior}|  (median)"
set title sprintf("E8: RKL = RLHF with prior π_{ref}^{λ/(λ+γ)} and temperature λ+γ (n = %.0e, %d replicates)", n_min, replicates)
set key top right
eps(x) = 2.220446049250313e-16
colors = "#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e"
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1000,680 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1000,680 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  # a difference of exactly 0 is drawn at the bottom edge (log axis)
  plot for [i = 1:nb] curve("rkl") index (i - 1) using 1:($18 > 0 ? $18 : 1e-17) \
         with linespoints lw 2 pt 7 lc rgb word(colors, (i - 1) % 5 + 1) \
         title sprintf("β = %g", betas[i]), \
       eps(x) with lines dt 2 lw 1.5 lc rgb "black" title "machine epsilon 2.2·10^{-16}"
  set output
}
