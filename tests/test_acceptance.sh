#!/usr/bin/env bash
# test_acceptance.sh — runs experiments/e1.cfg (Figure 1, ~2 s) and checks
# the acceptance criteria of the E1 issue on its summary.csv:
#   RKL median at the largest n < 1/50 of its value at the smallest n;
#   RKL slope on n >= 1e4 in [-1.2, -0.8];
#   RLHF median at the largest n < 0.8 x its value at the smallest n,
#   within 10 % of the median F_RLHF, and > 5 x RKL's.
# Usage: test_acceptance.sh PATH/TO/alignsim PATH/TO/experiments/e1.cfg
set -u
exe=$1
cfg=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$exe" run "$cfg" --out "$tmp/e1" --threads 2 --no-plots --quiet \
     > /dev/null; then
  echo "0 passed, 1 failed"
  exit 1
fi
python3 - "$tmp/e1/summary.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
stat = [r for r in rows if r["row"] == "stat" and r["n"] != "inf"]
def med(method, n):
    return float(next(r["fwd_kl_median"] for r in stat
                      if r["method"] == method and float(r["n"]) == n))
ns = sorted({float(r["n"]) for r in stat})
lo, hi = ns[0], ns[-1]
floor = float(stat[0]["rlhf_floor_median"])
slope = float(next(r["slope"] for r in rows
                   if r["row"] == "rate" and r["method"] == "rkl"))
checks = [
    ("RKL falls 50x", med("rkl", hi) < med("rkl", lo) / 50),
    ("RKL slope in [-1.2, -0.8]", -1.2 <= slope <= -0.8),
    ("RLHF falls below 0.8x", med("rlhf", hi) < 0.8 * med("rlhf", lo)),
    ("RLHF within 10% of F_RLHF", abs(med("rlhf", hi) - floor) < 0.1 * floor),
    ("RLHF > 5x RKL", med("rlhf", hi) > 5 * med("rkl", hi)),
]
print("E1: RKL %.4g -> %.4g (slope %.4f); RLHF %.4g -> %.4g; F_RLHF %.4g"
      % (med("rkl", lo), med("rkl", hi), slope, med("rlhf", lo),
         med("rlhf", hi), floor))
bad = [name for name, ok in checks if not ok]
for name in bad:
    print("FAIL:", name)
print("%d passed, %d failed" % (len(checks) - len(bad), len(bad)))
sys.exit(1 if bad else 0)
PY
