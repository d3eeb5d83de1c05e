# plots/e9.gp — E9: forward KL (median over replicates, oracle λ) of every
# method against the Bradley–Terry temperature β at fixed n; F_RLHF (which
# does not depend on β) as a line.  When the run was made with
# `bounds = "theorem4-constant"` (aux column thm4_const_Ctab_Rmax_pistar), a
# second panel draws the median over replicates of Theorem 4's constant on
# the tabular class, C_tab·φ(2R_max/β)·c₁/(2β²κ(2R_max)²) with
# R_max = R_max({π*}): the factor of log(|Π|/δ)/n, not a bound (the tabular
# class is infinite; proofs/README.md, "E9").
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
if (!exists("aux_name")) aux_name = "aux"
has_bound = (aux_name eq "thm4_const_Ctab_Rmax_pistar")
floor_line(x) = floor_median
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size (has_bound ? 1500 : 1100),650 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size (has_bound ? 1500 : 1100),650 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  if (has_bound) {
    set multiplot layout 1,2 title sprintf("E9: error and Theorem 4's constant vs β at n = %.0e (%d replicates, oracle λ).  Right: the factor multiplying log(|Π|/δ)/n in Theorem 4 with C = C_{tab}, R_{max} = R_{max}(\\{π*\\}) —\nnot a bound (the tabular class is infinite: log|Π| = ∞).  With R_{max} = βD it equals 16 C_{tab} φ(2D) cosh^4(βD)/β^2: ∝ 1/β^2 for small β, ∝ e^{4βD}/β^2 for large β, least at β = 0.772/D", n_min, replicates) font ",10"
    set title "forward KL of every method"
  } else {
    set title sprintf("E9: error vs β at n = %.0e (%d replicates, oracle λ)", n_min, replicates)
  }
  set logscale xy
  set format y "10^{%T}"
  set xlabel "preference temperature β"
  set ylabel "forward KL(π* ‖ π̂)  (median)"
  set key bottom left box opaque
  plot curve("pmle") using 1:3 with linespoints lw 2 pt 7 title "PMLE", \
       curve("distill") using 1:3 with linespoints lw 2 pt 5 title "distillation", \
       curve("rkl") using 1:3 with linespoints lw 2 pt 9 title "RKL", \
       curve("rebel") using 1:3 with linespoints lw 2 pt 11 title "REBEL", \
       curve("rlhf") using 1:3 with linespoints lw 2 pt 13 title "RLHF", \
       curve("dpo") using 1:3 with linespoints lw 2 pt 3 title "DPO", \
       floor_line(x) with lines lw 2 dt 2 lc rgb "black" title "F_{RLHF}"
  if (has_bound) {
    # the constant depends on the instance and β only: every method's rows
    # carry the same value, PMLE's curve file is read
    set title "Theorem 4's constant on the tabular class (median over instances)"
    set ylabel "C_{tab} φ(2R_{max}/β) c_1 / (2 β^2 κ(2R_{max})^2)   (multiplies log(|Π|/δ)/n)"
    set format y "10^{%T}"
    set offsets 0, 0, graph 0.05, graph 0.05
    set key top left box opaque
    plot curve("pmle") using 1:18 with linespoints lw 2 pt 7 lc rgb "black" title "Thm-4 constant, R_{max} = R_{max}(\\{π*\\})"
    unset multiplot
    set offsets 0, 0, 0, 0
  }
  set output
}
