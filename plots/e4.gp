# plots/e4.gp — E4: the RLHF dilemma in λ at fixed n.  Left axis: forward
# KL (median, 10–90 % band) of RLHF and RKL against λ, F_RLHF as a line;
# right axis: the policies' entropy (median), which collapses as λ → 0.
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
set logscale x
set logscale y
set format x "10^{%T}"
set format y "10^{%T}"
set xlabel "KL weight λ"
set ylabel "forward KL(π* ‖ π̂)  (median, 10–90 % band)"
set y2label "entropy H(π̂)  (median, nats)"
set y2tics
set ytics nomirror
set y2range [0:*]
set title sprintf("E4: RLHF is U-shaped in λ with minimum ≈ F_{RLHF}; entropy → 0 as λ → 0 (n = %.0e, %d replicates)", n_min, replicates)
set key bottom right
floor_line(x) = floor_median
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1000,680 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1000,680 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  plot curve("rlhf") using 1:4:5 with filledcurves fc rgb "#d62728" fs transparent solid 0.18 noborder notitle, \
       curve("rlhf") using 1:3 with lines lw 2 lc rgb "#d62728" title "RLHF forward KL", \
       curve("rkl") using 1:4:5 with filledcurves fc rgb "#1f77b4" fs transparent solid 0.18 noborder notitle, \
       curve("rkl") using 1:3 with lines lw 2 lc rgb "#1f77b4" title "RKL forward KL", \
       floor_line(x) with lines lw 2 dt 2 lc rgb "black" title sprintf("F_{RLHF} (median) = %.4f", floor_median), \
       curve("rlhf") using 1:8 axes x1y2 with lines lw 1.5 dt 4 lc rgb "#d62728" title "RLHF entropy (right axis)", \
       curve("rkl") using 1:8 axes x1y2 with lines lw 1.5 dt 4 lc rgb "#1f77b4" title "RKL entropy (right axis)"
  set output
}
