# plots/e3-distill.gp — Theorems 6, 7 and 14 on finite classes with finite
# m (kind 'finite-distill', as_kind_two_stage.c; experiments/e3-distill.cfg).
# Left: Theorem 14 at the largest n — the (1−δ)-quantile of KL(π*‖π̂) of
# the distilled policy against m, one colour per μ' (solid), and the
# class-exact (ball) bound, smallest over replicates (dashed).
# Middle: per (theorem, μ'; Theorem 7 once: RKL does not see μ'), the least slack over (m, n) of each form:
# paper chain (theorem form), sharp theorem form, sharp instance form,
# class-exact form (log scale; a slack below 1 is the smallest bound over
# replicates below a quantile, not a violation: see `violations_*`).
# Right: the slack budget of the sharp instance form at that least-slack
# cell, stacked log10 factors (tail, conversion, coverage, Minkowski,
# ranges, KL → square; replicate factor below zero), black bar = total.
# Reads DIR/summary.csv, columns by header name.
if (!exists("indir")) indir = "."
if (!exists("outpng")) outpng = indir."/e3-distill.png"
if (!exists("outsvg")) outsvg = indir."/e3-distill.svg"
summ = indir."/summary.csv"
set datafile separator ","
set datafile missing "nan"
hdr(name) = int(system("head -1 '".summ."' | tr ',' '\\n' | grep -n -x '".name."' | cut -d: -f1"))
cMU = hdr("mu2"); cM = hdr("m"); cN = hdr("n"); cT = hdr("theorem")
cQ = hdr("kl_quantile"); cBC = hdr("bound_class")
nmax = system("awk -F, 'NR > 1 { print $".cN." }' '".summ."' | sort -n | tail -1")
mus = system("awk -F, 'NR > 1 { print $".cMU." }' '".summ."' | awk '!s[$0]++' | tr '\\n' ' '")
delta = real(system("awk -F, 'NR == 2 { print $8 }' '".summ."'"))
reps = int(system("awk -F, 'NR == 2 { print $9 }' '".summ."'"))
viol = int(system("awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^violations/) v[i] = 1; next } { for (i in v) s += $i } END { print s + 0 }' '".summ."'"))
array C[11] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0x9467bd, 0x8c564b, 0x7f7f7f, \
                0xbbbbbb, 0x17becf, 0xe377c2, 0xd62728, 0x000000]
col(i) = C[int(i) + 1]
sel(mu) = "< awk -F, -v n=".nmax." -v mu=".mu." 'NR > 1 && $".cT." == \"thm14\" && $".cN." == n && $".cMU." == mu' '".summ."'"
# per (theorem, μ'): least slack per form and the budget of the least
# sharp-instance-slack cell -> a temp table: idx label s_paper s_thm s_inst s_class g1..g7
tab = system("mktemp /tmp/e3-distill.XXXXXX")
system("awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } \
  $c[\"theorem\"] == \"thm7\" && $c[\"mu2\"] != \"mu\" { next } \
  { k = $c[\"theorem\"] \" \" $c[\"mu2\"]; if (!(k in seen)) { seen[k] = 1; ord[++n] = k } \
    split(\"paper thm_sharp sharp class\", F, \" \"); \
    for (j = 1; j <= 4; j++) { s = $c[\"slack_\" F[j]] + 0; if (s > 0 && s < 1e300 && (!((k, j) in best) || s < best[k, j])) best[k, j] = s } \
    s = $c[\"slack_sharp\"] + 0; if (s > 0 && s < 1e300 && $c[\"budget_tail\"] != \"nan\" && (!(k in bs) || s < bs[k])) { bs[k] = s; \
      split(\"budget_tail budget_conversion budget_coverage budget_minkowski budget_ranges budget_kl_square budget_replicate\", G, \" \"); \
      b[k] = \"\"; for (j = 1; j <= 7; j++) b[k] = b[k] \" \" $c[G[j]] } } \
  END { m = 0; split(\"thm14 thm6 thm7\", T, \" \"); \
    for (t = 1; t <= 3; t++) for (i = 1; i <= n; i++) if (index(ord[i], T[t] \" \") == 1) o2[++m] = ord[i]; \
    for (i = 1; i <= m; i++) { k = o2[i]; split(k, kk, \" \"); \
      printf \"%d %s:%s\", i, kk[1], kk[2]; for (j = 1; j <= 4; j++) printf \" %s\", ((k, j) in best) ? best[k, j] : \"nan\"; \
      print (k in b) ? b[k] : \" nan nan nan nan nan nan nan\" } }' '".summ."' > '".tab."'")
ngroups = int(system("wc -l < '".tab."'"))
labels = system("awk '{ printf \"\\\"%s\\\" %d, \", $2, $1 }' '".tab."' | sed 's/, $//'")
set grid
do for [term = 1:2] {
  if (term == 1) {
    set terminal pngcairo size 1800,620 enhanced font "DejaVu Sans,10"
    set output outpng
  } else {
    set terminal svg size 1800,620 enhanced font "DejaVu Sans,10" background "white"
    set output outsvg
  }
  set multiplot layout 1,3 title sprintf("Theorems 6, 7, 14 on finite classes (%d replicates, δ = %g); replicates above their own bound, every form: %d", reps, delta, viol)
  # left
  set logscale x
  unset logscale y
  set xlabel "unlabelled pairs m"
  set ylabel "KL(π* ‖ π̂)"
  set title sprintf("Theorem 14, n = %s: (1−δ)-quantile (solid), class-exact bound (dashed)", nmax)
  set key top right
  set xtics auto
  set format x "10^{%T}"
  set yrange [0:*]
  set xrange [*:*]
  plot for [i = 1:words(mus)] sel(word(mus, i)) using cM:cQ with linespoints lw 2 pt 7 lc rgb col(i - 1) title "μ' = ".word(mus, i), \
       for [i = 1:words(mus)] sel(word(mus, i)) using cM:cBC with lines lw 1.5 dt 2 lc rgb col(i - 1) notitle
  # middle
  unset logscale x
  set logscale y
  set format x "%g"
  set format y "10^{%T}"
  set xrange [0.5:ngroups + 0.5]
  set yrange [*:*]
  eval "set xtics rotate by -35 (".labels.")"
  set xlabel ""
  set ylabel "least slack (bound ÷ (1−δ)-quantile)"
  set title "least slack per form (thm7 does not depend on μ')"
  set yrange [0.1:1e22]
  set key top right
  set datafile separator whitespace
  plot tab using 1:3 with points pt 5 ps 1.4 lc rgb col(9) title "paper, theorem form", \
       tab using 1:4 with points pt 7 ps 1.4 lc rgb col(1) title "sharp, theorem form", \
       tab using 1:5 with points pt 9 ps 1.6 lc rgb col(0) title "sharp, instance form", \
       tab using 1:6 with points pt 13 ps 1.6 lc rgb col(2) title "class-exact"
  # right: stacked budget
  unset logscale y
  set format y "%g"
  set yrange [*:*]
  set ylabel "log10 of the factor (stacked; the sum is log10 of the slack)"
  set title "slack budget, sharp instance form (least-slack cell)"
  set style fill solid 0.9 border rgb "#333333"
  set key outside right top vertical
  lg(v) = log10(v)
  cum(k) = (k == 0) ? 0 : sum [j = 7:(6 + k)] lg(column(j))
  plot for [k = 1:6] tab using 1:((cum(k - 1) + cum(k)) / 2):($1 - 0.3):($1 + 0.3):(cum(k - 1)):(cum(k)) with boxxyerror lc rgb col(k - 1) \
         title word("tail conversion coverage Minkowski ranges KL→square", k), \
       tab using 1:(lg($13) / 2):($1 - 0.3):($1 + 0.3):(lg($13)):(0) with boxxyerror lc rgb col(6) title "replicate (< 1)", \
       tab using 1:(cum(6) + lg($13)):($1 - 0.33):($1 + 0.33):(cum(6) + lg($13)):(cum(6) + lg($13)) with boxxyerror lw 3 lc rgb col(10) title "total"
  unset multiplot
  set output
  set datafile separator ","
  unset logscale
  unset xtics
  set xtics
}
system("rm -f '".tab."'")
