#!/usr/bin/env bash
# shrink_config.sh CFG > SHRUNK — an experiment config cut to run in about a
# second: K = 3, V = 4, 3 replicates, n grids cut at 10^5, λ and β grids cut
# to a few points, DPO gradient runs to 100 steps.  What a config sweeps it
# still sweeps, so every kind, summary layout and figure script runs.  Used
# by test_report_all.sh and test_install.sh (one definition of "shrunk").
exec sed -e 's/K = [0-9]*; V = [0-9]*;/K = 3; V = 4;/' \
  -e 's/^replicates = [0-9]*;/replicates = 3;/' \
  -e 's/^n = { from = \([0-9.e]*\); to = [0-9.e]*; points = [0-9]*; };/n = { from = \1; to = 1e5; points = 4; };/' \
  -e 's/^lambda = { from = \([0-9.e+-]*\); to = \([0-9.e+-]*\); points = [0-9]*; };/lambda = { from = \1; to = \2; points = 5; };/' \
  -e 's/^beta = { from = \([0-9.e+-]*\); to = \([0-9.e+-]*\); points = [0-9]*; };/beta = { from = \1; to = \2; points = 3; };/' \
  -e 's/^dpo_steps = [0-9]*;/dpo_steps = 100;/' "${1:?usage: shrink_config.sh CFG}"
