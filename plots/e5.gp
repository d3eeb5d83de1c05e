# plots/e5.gp — E5 coverage (docs/reference.md §6, §3.1): median forward KL(π*‖π̂)
# (10–90 % band) per cell, μ ∝ π*^t moved away from π*.
# Left: against C_tab, the coverage of the tabular class (Definition 3; the
# median over replicates of the pmle rows' coverage_C column), the same x
# for every method.  Right: each method against the coverage of the class
# its bound depends on — C_tab for PMLE/DPO (tabular), C_{Π_R} of the
# feature reward class for RKL/distillation (aux column of its own rows).
# Each curve_METHOD.dat has one line per cell in cell order (one n, one β),
# so `paste` lines the methods up cell by cell; needs pmle, dpo, rkl,
# distill in `methods`.
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
pasted(m) = "< paste '".curve("pmle")."' '".curve(m)."'"
# columns of the second file in a pasted line are offset by 21
o = 21
set logscale xy
set format x "10^{%T}"
set key top left
set ylabel "forward KL(π* ‖ π̂)  (median, 10–90 % band)"

do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1400,620 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1400,620 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  set multiplot layout 1,2 title sprintf("E5 coverage (%d replicates, K = V = 10, π* realizable in a d-dim log-linear class): μ ∝ π*^t, t from 1 down", replicates)
  set xlabel "C_{tab}: coverage of the tabular policy class (median per cell)"
  set title "all methods against the tabular coverage C_{tab}"
  plot pasted("pmle") using 18:(column(o+4)):(column(o+5)) with filledcurves fc rgb "#d62728" fs transparent solid 0.15 noborder notitle, \
       pasted("pmle") using 18:(column(o+3)) with linespoints lw 2 pt 7 lc rgb "#d62728" title "PMLE (tabular)", \
       pasted("dpo") using 18:(column(o+4)):(column(o+5)) with filledcurves fc rgb "#9467bd" fs transparent solid 0.15 noborder notitle, \
       pasted("dpo") using 18:(column(o+3)) with linespoints lw 2 pt 9 lc rgb "#9467bd" title "DPO (tabular, gradient steps)", \
       pasted("rkl") using 18:(column(o+4)):(column(o+5)) with filledcurves fc rgb "#1f77b4" fs transparent solid 0.15 noborder notitle, \
       pasted("rkl") using 18:(column(o+3)) with linespoints lw 2 pt 5 lc rgb "#1f77b4" title "RKL (feature reward, γ = β)", \
       pasted("distill") using 18:(column(o+3)) with linespoints lw 2 dt 2 pt 4 lc rgb "#2ca02c" title "distillation (feature reward)"
  set xlabel "coverage coefficient of the method's class: C_{tab} (PMLE, DPO) or C_{Π_R} (RKL, distillation)"
  set title "each method against the coverage its bound depends on"
  plot curve("pmle") using 18:3 with linespoints lw 2 pt 7 lc rgb "#d62728" title "PMLE vs C_{tab}", \
       curve("dpo") using 18:3 with linespoints lw 2 pt 9 lc rgb "#9467bd" title "DPO vs C_{tab}", \
       curve("rkl") using 18:3 with linespoints lw 2 pt 5 lc rgb "#1f77b4" title "RKL vs C_{Π_R}", \
       curve("distill") using 18:3 with linespoints lw 2 dt 2 pt 4 lc rgb "#2ca02c" title "distillation vs C_{Π_R}"
  unset multiplot
  set output
}
