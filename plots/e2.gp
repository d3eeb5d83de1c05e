# plots/e2.gp — E2: forward KL vs n for PMLE, distillation, RKL, DPO and
# REBEL (λ oracle-tuned); medians with 10–90 % bands, the fitted slope of
# each method in the key, population limits (n = ∞) printed.
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
set logscale xy
set format x "10^{%T}"
set format y "10^{%T}"
set xlabel "number of comparisons n"
set ylabel "forward KL(π* ‖ π̂)  (median, 10–90 % band)"
set title sprintf("E2: rates on the tabular class (%d replicates; slopes fitted on n ≥ %.0e, 95 %% bootstrap CI)", replicates, rate_fit_min_n)
set xrange [n_min/1.5 : n_max*1.5]
set key bottom left
# a method without a rate fit (n never reaches rate_fit_min_n, or not run)
# has no rate_* variables: they are read only when has_rate_* says so
has_rate(id) = exists("has_rate_".id) ? value("has_rate_".id) : 0
lab(name, id) = has_rate(id) ? sprintf("%s: slope %.3f [%.3f, %.3f]", name, value("rate_".id."_slope"), value("rate_".id."_lo"), value("rate_".id."_hi")) : name
set label 1 sprintf("n = ∞: PMLE %.1g, distill %.1g, RKL %.1g, REBEL %.1g, DPO %.3f", pop_pmle, pop_distill, pop_rkl, pop_rebel, pop_dpo) at graph 0.98, graph 0.96 right font ",9"
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1000,680 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1000,680 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  plot curve("pmle") using 1:4:5 with filledcurves fc rgb "#1f77b4" fs transparent solid 0.12 noborder notitle, \
       curve("pmle") using 1:3 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title lab("PMLE", "pmle"), \
       curve("distill") using 1:3 with linespoints lw 2 pt 5 lc rgb "#2ca02c" title lab("distillation", "distill"), \
       curve("rkl") using 1:3 with linespoints lw 2 pt 9 lc rgb "#9467bd" title lab("RKL", "rkl"), \
       curve("rebel") using 1:3 with linespoints lw 2 pt 11 lc rgb "#ff7f0e" title lab("REBEL", "rebel"), \
       curve("dpo") using 1:4:5 with filledcurves fc rgb "#d62728" fs transparent solid 0.12 noborder notitle, \
       curve("dpo") using 1:3 with linespoints lw 2 pt 13 lc rgb "#d62728" title lab("DPO (β_d = β)", "dpo")
  set output
}
