# plots/common.gp — shared by the figure scripts: reads the run's
# variables and sets up the two output terminals.
# Invoked as: gnuplot -e "indir='DIR'" plots/eN.gp   (the runner also sets
# outpng/outsvg to temporary names it renames into place).
# Columns of DIR/curve_METHOD.dat (see the file's header):
#  1 x  2 count  3 fwd_kl_median  4 fwd_kl_q10  5 fwd_kl_q90  6 fwd_kl_mean
#  7 fwd_kl_se  8 entropy_median  9 entropy_q10  10 entropy_q90
#  11 kl_ref_median  12 win_rate_mean  13 win_rate_se  14 true_reward_mean
#  15 reward_score_mean  16 rlhf_floor_median  17 lambda_median
#  18 aux_median  19 n  20 beta  21 lambda
if (!exists("indir")) indir = "."
load indir."/plot_params.gp"
if (!exists("outpng")) outpng = indir."/".experiment.".png"
if (!exists("outsvg")) outsvg = indir."/".experiment.".svg"
curve(m) = indir."/curve_".m.".dat"
set datafile missing "nan"
set key top right box opaque
set grid
