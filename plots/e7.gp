# plots/e7.gp — E7, Theorem 14 (docs/reference.md §6): tabular distillation whose m
# unlabelled pairs come from μ' ∈ {μ, π_ref, uniform, π*}, λ oracle-tuned.
# Left: median forward KL(π*‖π̂) (10–90 % band) against m, one curve per
# μ', labelled with Theorem 14's coefficient C'(μ') (median over
# replicates, finite class of the config).  Right: the median KL at several
# m against C'(μ') — does the coefficient order the μ'?
# Reads DIR/summary.csv written by the 'distill-mu2' kind (as_kind_mu2.c):
#  1 mu2  2 method  3 n  4 m  5 beta  6 lambda  7 replicates
#  8 not_converged  9 fwd_kl_median  10 fwd_kl_q10  11 fwd_kl_q90
#  12 fwd_kl_mean  13 fwd_kl_se  14 rev_kl_median  15 lambda_median
#  16 prop15_ratio_max  17 C_prime_median  18 C_Pi_median
# common.gp is not loaded: this kind's plot_params.gp has no RLHF floor.
if (!exists("indir")) indir = "."
if (!exists("outpng")) outpng = indir."/e7.png"
if (!exists("outsvg")) outsvg = indir."/e7.svg"
set datafile separator ","
set datafile missing "nan"
set grid
summ = indir."/summary.csv"
replicates = int(system("awk -F, 'NR == 2 { print $7 }' '".summ."'"))
nlab = system("awk -F, 'NR == 2 { print $3 }' '".summ."'")
mus = system("awk -F, 'NR > 1 && !s[$1]++ { print $1 }' '".summ."' | tr '\\n' ' '")
# four values of m for the right panel: the 4th to the 7th smallest, or,
# with fewer than 7 (a short m_sweep), the first four there are
ms = system("awk -F, 'NR > 1 { print $4 }' '".summ."' | sort -g -u | awk '{ v[NR] = $0 } END { lo = NR >= 7 ? 4 : 1; for (i = lo; i <= NR && i < lo + 4; i++) print v[i] }' | tr '\\n' ' '")
p15 = real(system("awk -F, 'NR > 1 && $16 > v { v = $16 } END { print v + 0 }' '".summ."'"))
cp(mu) = real(system("awk -F, 'NR > 1 && $1 == \"".mu."\" { print $17; exit }' '".summ."'"))
label(mu) = mu eq "mu" ? "μ' = μ" : mu eq "ref" ? "μ' = π_{ref}" : mu eq "star" ? "μ' = π*" : "μ' = ".mu
col(i) = word("#d62728 #1f77b4 #2ca02c #9467bd #ff7f0e #8c564b", (i - 1) % 6 + 1)
rows_mu(mu) = "< awk -F, 'NR > 1 && $1 == \"".mu."\"' '".summ."'"
rows_m(m) = "< awk -F, 'NR > 1 && $4 == ".m."' '".summ."' | sort -t, -k17 -g"
set logscale xy
set format y "10^{%T}"

do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1500,650 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1500,650 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  set multiplot layout 1,2 title sprintf("E7: distillation with unlabelled pairs from μ' (Theorem 14), tabular class, n = %s labelled pairs from a poor-coverage μ, λ oracle-tuned, %d replicates; Prop. 15 ratio max = %.3f (≤ 1)", nlab, replicates, p15)
  set xlabel "unlabelled pairs m"
  set ylabel "forward KL(π* ‖ π̂)  (median, 10–90 % band)"
  set format x "10^{%T}"
  set title "error against m, one curve per μ'"
  set key bottom left
  plot for [i = 1:words(mus)] rows_mu(word(mus, i)) using 4:10:11 with filledcurves fc rgb col(i) fs transparent solid 0.12 noborder notitle, \
       for [i = 1:words(mus)] rows_mu(word(mus, i)) using 4:9 with linespoints lw 2 pt 7 lc rgb col(i) title sprintf("%s  (C' = %.2f)", label(word(mus, i)), cp(word(mus, i)))
  set xlabel "Theorem 14 coefficient C'(μ')  (median over replicates)"
  set title "median error at fixed m against C'(μ')"
  set format x "%g"
  unset logscale x
  set autoscale x
  set offsets graph 0.05, graph 0.05, 0, 0
  set key top left
  plot for [j = 1:words(ms)] rows_m(word(ms, j)) using 17:9 with linespoints lw 2 pt 5 lc rgb col(j + 2) title sprintf("m = %s", word(ms, j)), \
       for [j = 1:words(ms)] rows_m(word(ms, j)) using 17:9:1 with labels offset char 0,1 font ",9" notitle
  unset multiplot
  set output
}
