#!/usr/bin/env python3
"""Compare two alignsim results.csv files (issue 8's acceptance rule).

Usage: compare_results.py OLD.csv NEW.csv [--rel 1e-12] [--abs 0]

Prints one verdict line:
  identical            the files are byte-identical;
  within-tolerance     same header, same rows, every text column equal, every
                       integer column equal, and every real column within
                       |a - b| <= max(rel * max(|a|, |b|), abs);
  different            anything else (the first offending cells are listed).
For within-tolerance / different it also prints, per real column, the
largest relative difference seen, so a reader sees how far last digits moved.
A "different" verdict says how many offending cells lie in rows whose status
is not "ok" (diverged / not converged: the numbers there are where a solver
was stopped, not a solution, and move with rounding).
Exit status: 0 identical or within tolerance, 1 different, 2 bad input.
"""
import csv
import math
import sys


def parse_args(argv):
    rel, ab, files = 1e-12, 0.0, []
    i = 0
    while i < len(argv):
        if argv[i] == "--rel":
            rel = float(argv[i + 1])
            i += 2
        elif argv[i] == "--abs":
            ab = float(argv[i + 1])
            i += 2
        else:
            files.append(argv[i])
            i += 1
    if len(files) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    return files, rel, ab


def as_float(s):
    try:
        return float(s)
    except ValueError:
        return None


def is_int_text(s):
    return s.lstrip("-").isdigit()


def main():
    (old, new), rel, ab = parse_args(sys.argv[1:])
    with open(old, "rb") as f:
        a_bytes = f.read()
    with open(new, "rb") as f:
        b_bytes = f.read()
    if a_bytes == b_bytes:
        print("identical")
        return 0
    a = list(csv.reader(a_bytes.decode().splitlines()))
    b = list(csv.reader(b_bytes.decode().splitlines()))
    problems = []
    if not a or not b or a[0] != b[0]:
        print("different: headers differ")
        return 1
    head = a[0]
    if len(a) != len(b):
        print(f"different: {len(a) - 1} rows vs {len(b) - 1} rows")
        return 1
    worst = {}
    st = head.index("status") if "status" in head else None
    unconverged = 0  # offending cells in rows not "ok" in both files
    for r, (ra, rb) in enumerate(zip(a[1:], b[1:]), start=2):
        n_before = len(problems)
        for c, (x, y) in enumerate(zip(ra, rb)):
            if x == y:
                continue
            fx, fy = as_float(x), as_float(y)
            name = head[c]
            if fx is None or fy is None or is_int_text(x) and is_int_text(y):
                problems.append(f"line {r} {name}: {x} vs {y}")
                continue
            if math.isnan(fx) or math.isnan(fy) or math.isinf(fx) or math.isinf(fy):
                problems.append(f"line {r} {name}: {x} vs {y}")
                continue
            d = abs(fx - fy)
            scale = max(abs(fx), abs(fy))
            rd = d / scale if scale > 0 else 0.0
            worst[name] = max(worst.get(name, 0.0), rd)
            if d > max(rel * scale, ab):
                problems.append(f"line {r} {name}: {x} vs {y} (rel {rd:.3g})")
        if st is not None and not (ra[st] == "ok" and rb[st] == "ok"):
            unconverged += len(problems) - n_before
    detail = ", ".join(f"{k} {v:.2g}" for k, v in sorted(worst.items()))
    if problems:
        print(f"different: {len(problems)} cells ({unconverged} in rows "
              f"whose status is not ok); worst rel: {detail}")
        for p in problems[:10]:
            print("  " + p)
        return 1
    print(f"within-tolerance (rel {rel:g}); worst rel: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
