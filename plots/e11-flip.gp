# plots/e11-flip.gp — E11 under label noise (experiments/e11-flip.cfg):
# the figure of plots/e11.gp for that run.
scriptdir(p) = (strstrt(p, "/") == 0) ? "." : system("dirname '".p."'")
load scriptdir(ARG0)."/e11.gp"
