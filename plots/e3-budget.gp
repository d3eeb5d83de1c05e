# plots/e3-budget.gp — E3's slack budget (proofs/README.md "Slack budget"):
# where Theorem 4's sharp chain loses its constant.  For every |Π|, the
# cell (n) with the least finite slack of the sharp instance form; one
# stacked bar of log10 factors, one per step of the chain, measured on the
# replicate at the (1−δ)-quantile (their product is that cell's slack):
#   Prop. 12 tail vs realised h² | Hellinger → logit at the realised range
#   | worst-pair ranges of the class (B_σ, B_v) | coverage C_Π vs realised
#   | KL → squared reward (Lemma 9); the replicate factor (the smallest
#   bound over replicates ÷ this replicate's, ≤ 1) is drawn below zero;
#   the black bar marks the total, log10 slack_sharp = stack + replicate.
# Beside it, narrower: the class-exact form (tail × worst KL/h² ratio ×
# replicate factor), its total marked the same way; a light grey cap above
# the instance bar shows how much more the theorem form (R_max only) costs
# at the same replicate.
# Reads DIR/summary.csv of the 'finite' kind (as_kind_finite.c), columns
# by header name.
if (!exists("indir")) indir = "."
if (!exists("outpng")) outpng = indir."/e3-budget.png"
if (!exists("outsvg")) outsvg = indir."/e3-budget.svg"
summ = indir."/summary.csv"
tab = system("mktemp /tmp/e3-budget.XXXXXX")
# awk: per |Π|, the row of least finite slack_sharp; one line per box:
# x_center half_width lo hi colour_index  (colour 0..4 steps, 5 replicate,
# 6 theorem cap, 7 class tail, 8 class ratio, 9 class replicate)
system("awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } \
  { s = $c[\"slack_sharp\"] + 0; if (s > 0 && s < 1e300 && $c[\"budget_tail\"] != \"nan\") { \
      k = $c[\"class_size\"]; if (!(k in best) || s < best[k]) { best[k] = s; row[k] = $0 } } } \
  END { n = 0; for (k in row) ks[++n] = k + 0; \
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ks[j] < ks[i]) { t = ks[i]; ks[i] = ks[j]; ks[j] = t } \
    split(\"budget_tail budget_hellinger_logit budget_ranges budget_coverage budget_kl_square\", st, \" \"); \
    for (i = 1; i <= n; i++) { split(row[ks[i]], f, \",\"); x = i; top = 0; \
      for (j = 1; j <= 5; j++) { v = log(f[c[st[j]]]) / log(10); printf \"%g 0.18 %g %g %d\\n\", x - 0.1, top, top + v, j - 1; top += v } \
      r = log(f[c[\"budget_replicate\"]]) / log(10); printf \"%g 0.18 %g %g 5\\n\", x - 0.1, r, 0; fin = top + r; \
      th = log(f[c[\"theorem_over_instance\"]]) / log(10); printf \"%g 0.18 %g %g 6\\n\", x - 0.1, top, top + th; \
      printf \"%g 0.2 %g %g 10\\n\", x - 0.1, fin, fin; \
      ct = log(f[c[\"budget_tail\"]]) / log(10); cr = log(f[c[\"class_budget_ratio\"]]) / log(10); \
      cp = log(f[c[\"class_budget_replicate\"]]) / log(10); \
      printf \"%g 0.1 %g %g 7\\n\", x + 0.22, 0, ct; printf \"%g 0.1 %g %g 8\\n\", x + 0.22, ct, ct + cr; \
      printf \"%g 0.1 %g %g 9\\n\", x + 0.22, cp, 0; \
      printf \"%g 0.12 %g %g 10\\n\", x + 0.22, ct + cr + cp, ct + cr + cp; \
      printf \"# %d %s %s %s\\n\", ks[i], f[c[\"n\"]], f[c[\"slack_sharp\"]], f[c[\"slack_class\"]] } }' '".summ."' > '".tab."'")
sizes = system("awk '/^#/ { print $2 }' '".tab."' | tr '\\n' ' '")
labels = system("awk '/^#/ { printf \"\\\"|Π| = %d\\\\nn = %d\\\" %d, \", $2, $3, ++i }' '".tab."' | sed 's/, $//'")
info = system("awk '/^#/ { printf \"|Π| = %d: %.0f (class-exact %.2g)   \", $2, $4, $5 }' '".tab."'")
array C[11] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0x9467bd, 0x8c564b, 0xbbbbbb, \
                0xdddddd, 0x17becf, 0xe377c2, 0xf7b6d2, 0x000000]
col(i) = C[int(i) + 1]
set datafile commentschars "#"
set style fill solid 0.9 border rgb "#333333"
set grid ytics
set xrange [0.4:words(sizes) + 0.6]
eval "set xtics (".labels.")"
set ylabel "log10 of the factor (stacked: the sum is log10 of the slack)"
set key outside right top vertical
set bmargin 4
set xzeroaxis lt -1
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1300,650 enhanced font "DejaVu Sans,11"
    set output outpng
  } else {
    set terminal svg size 1300,650 enhanced font "DejaVu Sans,11" background "white"
    set output outsvg
  }
  set title "E3 slack budget, sharp chain (wide bar: instance form; narrow bar: class-exact form), least-slack cell per |Π|\n{/*0.85 least slack: ".info."}"
  plot tab using 1:(($3 + $4) / 2):($1 - $2):($1 + $2):3:4:(col($5)) with boxxyerror lc rgb variable notitle, \
       NaN with boxes lc rgb col(0) title "Prop. 12 tail ÷ realised h²", \
       NaN with boxes lc rgb col(1) title "Hellinger → logit (realised range)", \
       NaN with boxes lc rgb col(2) title "worst-pair ranges B_σ, B_v", \
       NaN with boxes lc rgb col(3) title "coverage C_Π ÷ realised", \
       NaN with boxes lc rgb col(4) title "KL → squared reward (Lemma 9)", \
       NaN with boxes lc rgb col(5) title "replicate factor (< 1: below 0)", \
       NaN with boxes lc rgb col(6) title "theorem form on top (R_{max} only)", \
       NaN with boxes lc rgb col(7) title "class-exact: tail", \
       NaN with boxes lc rgb col(8) title "class-exact: worst KL/h² ÷ realised", \
       NaN with boxes lc rgb col(9) title "class-exact: replicate factor", \
       NaN with lines lw 3 lc rgb "black" title "total (log10 slack)"
  set output
}
system("rm -f '".tab."'")
