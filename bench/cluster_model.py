#!/usr/bin/env python3
"""cluster_model.py — the makespan of a run on N ranks, simulated from the
measured cost of each of its units (`alignsim run CFG --unit-times FILE`,
the CPU seconds of every unit), for docs/cluster.md.

Three schedules are simulated:
  * dynamic — the MPI runner (sim/as_mpi.h): one master hands units out one
    at a time, in increasing unit order, to whichever rank is free; each
    hand-out costs the master `--dispatch` seconds of its time (requests are
    served one after another) and the rank a round trip `--latency`;
  * shards  — `--shard I/N` job arrays: shard I runs units u ≡ I−1 (mod N)
    on its own, so its makespan is the largest shard's sum;
  * bound   — no schedule can beat max(total / N, largest unit).
Efficiency = (sum of unit costs) / (N × makespan).

With --replicates R the run is modelled at R replicates per cell: each
cell's R costs are drawn (with replacement, fixed seed) from the costs
measured for that cell — replicates of a cell are independent draws of the
same computation, so this is the same sweep with more replicates.

Usage: cluster_model.py UNIT_TIMES [--ranks 1,2,4,...] [--latency S]
                        [--dispatch S] [--replicates R]
Prints a Markdown table of makespan and efficiency per N, then the
distribution of the unit costs and their sum per cell.
"""
import argparse
import heapq
import random
import sys


def read_times(path):
    units = []
    with open(path) as f:
        header = f.readline().split()
        if header[:4] != ["unit", "cell", "replicate", "seconds"]:
            sys.exit(f"{path}: not a --unit-times file (header {header})")
        for line in f:
            u, cell, rep, sec = line.split()
            units.append((int(u), int(cell), float(sec)))
    units.sort()
    return units


def resample(units, r):
    """R costs per cell drawn from the cell's measured costs, unit order
    cell-major as in the runner."""
    rng = random.Random(9)
    cells = {}
    for _, cell, c in units:
        cells.setdefault(cell, []).append(c)
    out = []
    for cell in sorted(cells):
        for _ in range(r):
            out.append((len(out), cell, rng.choice(cells[cell])))
    return out


def dynamic(costs, n, latency, dispatch):
    """List scheduling in unit order with a serial master."""
    free = [(0.0, r) for r in range(n)]  # (time the rank asks, rank)
    heapq.heapify(free)
    master = 0.0
    end = 0.0
    for c in costs:
        ask, r = heapq.heappop(free)
        served = max(ask, master) + dispatch
        master = served
        start = served + latency
        done = start + c
        end = max(end, done)
        heapq.heappush(free, (done, r))
    return end


def shards(costs, n):
    load = [0.0] * n
    for u, c in enumerate(costs):
        load[u % n] += c
    return max(load)


def quantile(sorted_xs, q):
    i = min(len(sorted_xs) - 1, max(0, int(round(q * (len(sorted_xs) - 1)))))
    return sorted_xs[i]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("times")
    ap.add_argument("--ranks", default="1,2,4,8,16,32,64,128,256,512,1024")
    ap.add_argument("--latency", type=float, default=1.5e-4,
                    help="round trip of one request, seconds (default: the "
                    "master's mean polling wait, 125 us, plus transport)")
    ap.add_argument("--dispatch", type=float, default=2e-5,
                    help="master time per hand-out, seconds")
    ap.add_argument("--replicates", type=int, default=0,
                    help="model R replicates per cell (resampled costs)")
    a = ap.parse_args()
    units = read_times(a.times)
    if a.replicates > 0:
        units = resample(units, a.replicates)
    costs = [c for _, _, c in units]
    total = sum(costs)
    big = max(costs)
    print(f"{len(costs)} units, total {total:.2f} CPU s, largest unit "
          f"{big:.3f} s; latency {a.latency:g} s, dispatch {a.dispatch:g} s\n")
    print("| ranks N | dynamic makespan (s) | efficiency | shards makespan (s) "
          "| efficiency | bound (s) | bound efficiency |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in a.ranks.split(",")):
        d = dynamic(costs, n, a.latency, a.dispatch)
        s = shards(costs, n)
        b = max(total / n, big)
        print(f"| {n} | {d:.3f} | {total / (n * d):.3f} | {s:.3f} | "
              f"{total / (n * s):.3f} | {b:.3f} | {total / (n * b):.3f} |")
    xs = sorted(costs)
    print("\nunit costs (CPU s): min {:.4f}, 10% {:.4f}, median {:.4f}, "
          "90% {:.4f}, 99% {:.4f}, max {:.4f}; mean {:.4f}; max/median "
          "{:.1f}".format(xs[0], quantile(xs, .1), quantile(xs, .5),
                          quantile(xs, .9), quantile(xs, .99), xs[-1],
                          total / len(xs), xs[-1] / quantile(xs, .5)))
    top = xs[-max(1, len(xs) // 100):]
    print(f"the costliest 1 % of the units ({len(top)}) hold "
          f"{100 * sum(top) / total:.1f} % of the work")
    cells = {}
    for _, cell, c in units:
        cells.setdefault(cell, []).append(c)
    print("\n| cell | units | sum (s) | largest (s) |\n|---:|---:|---:|---:|")
    for cell in sorted(cells):
        cs = cells[cell]
        print(f"| {cell} | {len(cs)} | {sum(cs):.3f} | {max(cs):.3f} |")


if __name__ == "__main__":
    main()
