# plots/ipo_example.gp — the IPO paper's Section 5 example (data from
# experiments/ipo-example.sh): pi(y1), pi(y2), pi(y3) against gradient
# steps, DPO (beta_d = 0.1, 1) and IPO (tau = 0.1, 1), left: each ordering
# once; right: y1 > y3 missing.
# gnuplot -e "indir='DIR'; outpng='FILE.png'" plots/ipo_example.gp
if (!exists("indir")) indir = "."
if (!exists("outpng")) outpng = indir."/ipo_example.png"
c(n) = indir."/curve_".n.".dat"
set terminal pngcairo size 1200,520 enhanced font "DejaVu Sans,10"
set output outpng
set multiplot layout 1,2 title "IPO paper, Section 5: DPO drives pi(y1) to 1 for every beta; IPO settles where tau says"
set logscale x
set format x "10^{%T}"
set xlabel "gradient steps (lr 0.1, from uniform π_{ref})"
set ylabel "probability"
set yrange [0:1.02]
set grid
set key top left font ",9"
do for [d in "full missing"] {
  set title (d eq "full" ? "y1>y2, y2>y3, y1>y3 (each once)" : "y1>y2, y2>y3 (y1>y3 missing)")
  plot c(d."_dpo_0.1") u 1:2 w l lw 2 lc rgb "#d62728" t "DPO β=0.1: π(y1)", \
       c(d."_dpo_0.1") u 1:4 w l lw 2 dt 2 lc rgb "#d62728" t "DPO β=0.1: π(y3)", \
       c(d."_dpo_1") u 1:2 w l lw 2 lc rgb "#ff7f0e" t "DPO β=1: π(y1)", \
       c(d."_dpo_1") u 1:4 w l lw 2 dt 2 lc rgb "#ff7f0e" t "DPO β=1: π(y3)", \
       c(d."_ipo_0.1") u 1:2 w l lw 2 lc rgb "#1f77b4" t "IPO τ=0.1: π(y1)", \
       c(d."_ipo_0.1") u 1:4 w l lw 2 dt 2 lc rgb "#1f77b4" t "IPO τ=0.1: π(y3)", \
       c(d."_ipo_1") u 1:2 w l lw 2 lc rgb "#2ca02c" t "IPO τ=1: π(y1)", \
       c(d."_ipo_1") u 1:4 w l lw 2 dt 2 lc rgb "#2ca02c" t "IPO τ=1: π(y3)"
}
unset multiplot
set output
