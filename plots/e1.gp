# plots/e1.gp — Figure 1: forward KL(π*‖π̂) vs n, RLHF vs RKL (γ = β),
# λ oracle-tuned per unit; medians with 10–90 % bands over replicates,
# the RLHF floor F_RLHF (median over replicates) as a horizontal line, the
# population limits (n = ∞) as dotted lines, and RKL's fitted rate.
# common.gp sits beside this script (ARG0 is this script's path)
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
set logscale xy
set format x "10^{%T}"
set format y "10^{%T}"
set xlabel "number of comparisons n"
set ylabel "forward KL(π* ‖ π̂)  (median, 10–90 % band)"
set title sprintf("Figure 1 (%d replicates, K = V = 10): RLHF saturates at F_{RLHF}, RKL keeps falling", replicates)
set xrange [n_min/1.5 : n_max*1.5]
fit_label = has_rate_rkl ? sprintf("RKL fit n ≥ %.0e: slope %.3f [%.3f, %.3f]", rate_fit_min_n, rate_rkl_slope, rate_rkl_lo, rate_rkl_hi) : "no rate fit"
rkl_line(x) = (x >= rate_fit_min_n) ? exp(rate_rkl_intercept) * x**rate_rkl_slope : 1/0
floor_line(x) = floor_median
# slope −1 reference through RKL's fitted value at rate_fit_min_n
# NaN, not 1/0: an undefined value cannot be assigned (no RKL rate fit)
ref_at = has_rate_rkl ? exp(rate_rkl_intercept) * rate_fit_min_n**rate_rkl_slope : NaN
ref_line(x) = (x >= rate_fit_min_n / 10) ? ref_at * rate_fit_min_n / x : 1/0
pop_rlhf_line(x) = has_pop_rlhf ? pop_rlhf : 1/0
set key bottom left
# RKL's population limit (λ at the grid's smallest value) is far below the
# data, so it is printed rather than drawn.
if (has_pop_rkl) set label 1 sprintf("population limit (n = ∞): RKL %.2g, RLHF %.4f", pop_rkl, pop_rlhf) at graph 0.98, graph 0.95 right

do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1000,680 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1000,680 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  plot curve("rlhf") using 1:4:5 with filledcurves fc rgb "#d62728" fs transparent solid 0.18 noborder title "RLHF 10–90 %", \
       curve("rlhf") using 1:3 with linespoints lw 2 pt 7 lc rgb "#d62728" title "RLHF median", \
       curve("rkl") using 1:4:5 with filledcurves fc rgb "#1f77b4" fs transparent solid 0.18 noborder title "RKL 10–90 %", \
       curve("rkl") using 1:3 with linespoints lw 2 pt 5 lc rgb "#1f77b4" title "RKL median", \
       floor_line(x) with lines lw 2 dt 2 lc rgb "black" title sprintf("F_{RLHF} (median) = %.4f", floor_median), \
       pop_rlhf_line(x) with lines lw 1 dt 3 lc rgb "#d62728" title sprintf("RLHF population limit (n = ∞) = %.4f", pop_rlhf), \
       rkl_line(x) with lines lw 1.5 dt 4 lc rgb "#2ca02c" title fit_label, \
       ref_line(x) with lines lw 1 lc rgb "#888888" title "slope −1 reference"
  set output
}
