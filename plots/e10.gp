# plots/e10.gp — E10, the tabular analogue of the paper's Table 2: for each
# method, forward KL(π*‖π̂) (left) and the win-rate against π_ref (right),
# mean ± standard error over replicates (DIR/table.txt has the numbers).
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
methods = "dpo pmle rebel distill rlhf rkl"
labels = "DPO PMLE REBEL distillation RLHF RKL"
nm = words(methods)
set style fill solid 0.6 border -1
set boxwidth 0.6
set xrange [0.3:nm + 0.7]
set xtics () nomirror
do for [i = 1:nm] { set xtics add (word(labels, i) i) }
set key off
set grid y
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1200,560 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1200,560 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  set multiplot layout 1,2 title sprintf("E10: Table 2, tabular (n = %.0f, %d replicates, λ by held-out likelihood): sharpening wins against π_{ref}, learning π* needs a small forward KL", n_min, replicates)
  set logscale y
  set format y "10^{%T}"
  set ylabel "forward KL(π* ‖ π̂), mean ± s.e."
  set yrange [*:*]
  plot for [i = 1:nm] curve(word(methods, i)) using (i):6:7 with boxerrorbars lc rgb "#1f77b4" notitle
  unset logscale y
  set format y "%g"
  set ylabel "win-rate against π_{ref}, mean ± s.e."
  set yrange [0.45:*]
  plot for [i = 1:nm] curve(word(methods, i)) using (i):12:13 with boxerrorbars lc rgb "#d62728" notitle, \
       0.5 with lines dt 2 lc rgb "black" notitle
  unset multiplot
  set output
}
