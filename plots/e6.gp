# plots/e6.gp — E6 DPO degeneracy (docs/reference.md §6): DPO run as used (gradient
# steps, no regulariser) on separated finite data, per β:
#   (a) ‖θ‖ (centred, gauge-free) of every replicate's run against the step;
#   (b) median entropy H(π̂) and (c) median forward KL(π*‖π̂) against the
#       step, with PMLE (solved, λ = 0.1) as a flat dashed line per β;
#   (d) PMLE with its KL term: the share of replicates whose solve escaped
#       (status not "ok": no finite minimiser reached) against λ, per β
#       (thicker lines underneath, so coinciding curves stay visible).
# Reads results.csv (per-replicate ‖θ‖) and summary.csv (medians); columns
# are found by header name.  Step 0 (θ = log π_ref) is drawn at x = 0.5 on
# the log axis.
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/common.gp"
res = indir."/results.csv"
sum = indir."/summary.csv"
col(file, name) = int(system("head -1 '".file."' | tr ',' '\\n' | grep -nx '".name."' | cut -d: -f1"))
r_rep = col(res, "replicate"); r_meth = col(res, "method"); r_beta = col(res, "beta")
r_norm = col(res, "theta_norm"); r_step = col(res, "dpo_step")
s_meth = col(sum, "method"); s_beta = col(sum, "beta"); s_lam = col(sum, "lambda")
s_cnt = col(sum, "count"); s_nc = col(sum, "not_converged")
s_kl = col(sum, "fwd_kl_median"); s_ent = col(sum, "entropy_median")
s_step = col(sum, "dpo_step_median")
betas = system("awk -F, 'NR > 1 && $".s_meth." == \"dpo\" {print $".s_beta."}' '".sum."' | sort -g -u | tr '\\n' ' '")
nb = words(betas)
colour(i) = word("#1f77b4 #2ca02c #ff7f0e #d62728 #9467bd #8c564b", (i - 1) % 6 + 1)
xs(s) = s > 0 ? s : 0.5
# per-replicate DPO runs of one β, one gnuplot block per replicate
runs(b) = "< awk -F, 'NR > 1 && $".r_meth." == \"dpo\" && $".r_beta." == ".b." {print $".r_rep.", $".r_step.", $".r_norm."}' '".res."' | sort -k1,1n -k2,2g | awk 'NR > 1 && $1 != p {print \"\"} {print; p = $1}'"
dpo_med(b) = "< awk -F, 'NR > 1 && $".s_meth." == \"dpo\" && $".s_beta." == ".b." {print $".s_step.", $".s_kl.", $".s_ent."}' '".sum."' | sort -g"
pmle_rows(b) = "< awk -F, 'NR > 1 && $".s_meth." == \"pmle\" && $".s_beta." == ".b." {print $".s_lam.", $".s_nc." / $".s_cnt.", $".s_kl.", $".s_ent."}' '".sum."' | sort -g"
# PMLE's median at λ = 0.1 per β, read once ("nan" when absent): a
# function plot samples its function 100 times, and one awk per sample
# made the figure take half a minute
pmle_read(b, c) = system("awk -F, 'NR > 1 && $".s_meth." == \"pmle\" && $".s_beta." == ".b." && $".s_lam." == 0.1 {print $".c."; f = 1; exit} END {if (!f) print \"nan\"}' '".sum."'")
pmle_kl = ""; pmle_ent = ""
do for [i = 1:nb] {
  pmle_kl = pmle_kl." ".pmle_read(word(betas, i), s_kl)
  pmle_ent = pmle_ent." ".pmle_read(word(betas, i), s_ent)
}
pmle_at(i, which) = real(word(which == 1 ? pmle_kl : pmle_ent, i))
set datafile separator whitespace

do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1400,1000 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1400,1000 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  set multiplot layout 2,2 title sprintf("E6 DPO degeneracy on separated data (%d replicates, n = %g): DPO runs away, PMLE with its KL term compared", replicates, n_min)
  set logscale x
  set format x "10^{%T}"
  set xlabel "gradient step (step 0 drawn at 0.5)"
  set key top left
  set logscale y
  set format y "%g"
  set title "(a) ‖θ‖ of DPO along training, every replicate"
  set ylabel "‖θ‖ (centred per context)"
  plot for [i = 1:nb] runs(word(betas, i)) using (xs($2)):3 with lines lw 0.6 lc rgb colour(i) notitle, \
       for [i = 1:nb] 1/0 with lines lw 2 lc rgb colour(i) title sprintf("β = %s", word(betas, i))
  unset logscale y
  set title "(b) entropy H(π̂), median; PMLE (λ = 0.1) dashed"
  set ylabel "entropy"
  set key bottom left
  plot for [i = 1:nb] dpo_med(word(betas, i)) using (xs($1)):3 with linespoints lw 2 pt 7 ps 0.6 lc rgb colour(i) title sprintf("DPO β = %s", word(betas, i)), \
       for [i = 1:nb] pmle_at(i, 2) with lines dt 2 lw 1.5 lc rgb colour(i) title sprintf("PMLE β = %s", word(betas, i))
  set logscale y
  set title "(c) forward KL(π* ‖ π̂), median; PMLE (λ = 0.1) dashed"
  set ylabel "forward KL"
  set key top left
  plot for [i = 1:nb] dpo_med(word(betas, i)) using (xs($1)):2 with linespoints lw 2 pt 7 ps 0.6 lc rgb colour(i) title sprintf("DPO β = %s", word(betas, i)), \
       for [i = 1:nb] pmle_at(i, 1) with lines dt 2 lw 1.5 lc rgb colour(i) title sprintf("PMLE β = %s", word(betas, i))
  unset logscale y
  set title "(d) PMLE with KL term: share of replicates whose solve escaped"
  set xlabel "λ"
  set ylabel "fraction with status ≠ ok"
  set yrange [-0.05:1.05]
  set key center right
  plot for [i = 1:nb] pmle_rows(word(betas, i)) using 1:2 with linespoints lw 1.5 * (nb - i + 1) pt 5 ps 0.5 * (nb - i + 2) lc rgb colour(i) title sprintf("β = %s", word(betas, i))
  set yrange [*:*]
  unset multiplot
  set output
}
