#!/usr/bin/python3
"""e1_numpy.py — the E1 computation (experiments/e1.cfg) written as a
vectorised NumPy/SciPy program, for the CPU-time comparison of
bench/README.md (issue 8: "C vs a vectorised NumPy implementation of E1").

The same work as `alignsim run experiments/e1.cfg --no-plots`, by the
same mathematics (docs/reference.md §1.1, §2, §3, §6), vectorised the way a careful
NumPy user would write it:
- per replicate the instance (π*, π_ref = μ; K = V = 10, s = 1, a = τ = 0.5);
- per cell n the counts N ~ Multinomial(n, p) over the K·V² cells (one
  numpy multinomial call; the population limit uses p itself);
- the reward model (ridge 1/n, 0 in the population), one Bradley–Terry fit
  per context, all contexts at once: batched damped Newton (np.linalg.solve
  on a K×(V−1)×(V−1) stack), gauge r_{V−1} = 0 when there is no ridge,
  stopped on the Newton step (1e-9 nats) and decrement (1e-20), like C;
- RLHF (γ = 0) and RKL (γ = β) at all 81 λ by their closed forms, the
  forward KL of all of them in one broadcast, the oracle λ, then every
  docs/reference.md §4 metric for the chosen λ;
- the RLHF floor F_RLHF by a bounded 1-D minimisation over t = β/λ.
Its random numbers are NumPy's (PCG64), not the C code's, so the numbers
differ by sampling noise; the operation count is the same.  Prints the
median forward KL per (method, n) so a reader can see it computes E1.

usage: e1_numpy.py [--replicates R]   (default 20, as e1.cfg)
"""
import sys

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, logsumexp

K, V = 10, 10
S, A, TAU, BETA = 1.0, 0.5, 0.5, 1.0
NS = [int(round(v)) for v in np.logspace(2, 7, 11)] + [np.inf]
LAMBDAS = np.logspace(-4, 4, 81)


def log_softmax(z):
    return z - logsumexp(z, axis=-1, keepdims=True)


def instance(rng):
    z = rng.normal(0.0, S, (K, V))
    xi = rng.normal(0.0, 1.0, (K, V))
    return log_softmax(z), log_softmax(A * z + TAU * xi)


def cell_probs(ls, lmu):
    """p(x,a,b) of docs/reference.md §2 (ρ uniform), K×V×V."""
    d = BETA * (ls[:, :, None] - ls[:, None, :])
    p = np.exp(lmu[:, :, None] + lmu[:, None, :]) * 2.0 * expit(d) / K
    idx = np.arange(V)
    p[:, idx, idx] = np.exp(2.0 * lmu) / K
    return p


def reward_fit(P, ridge):
    """Batched BT fit with ridge: min −Σ P log σ(r_a − r_b) + ridge/2 ‖r‖²
    per context (each context's P scaled to mass 1, as as_fit does)."""
    m = P.sum(axis=(1, 2))
    W = P / np.where(m > 0, m, 1.0)[:, None, None]
    lam = ridge / np.where(m > 0, m, 1.0)
    r = np.zeros((K, V))
    Ws = W + W.transpose(0, 2, 1)
    free = slice(0, V - 1) if ridge == 0 else slice(0, V)
    for _ in range(200):
        d = r[:, :, None] - r[:, None, :]
        s = expit(-d)                       # σ(−(r_a − r_b))
        g = -(W * s).sum(2) + (W.transpose(0, 2, 1) * s.transpose(0, 2, 1)).sum(2)
        g += lam[:, None] * r
        h = Ws * expit(d) * s
        H = -h
        idx = np.arange(V)
        H[:, idx, idx] = h.sum(2) + lam[:, None]
        Hf = H[:, free, free] + 1e-300 * np.eye(H[:, free, free].shape[1])
        step = np.zeros((K, V))
        step[:, free] = -np.linalg.solve(Hf, g[:, free][:, :, None])[:, :, 0]
        dec = -(g * step).sum(1)
        r += step
        if np.all(np.abs(step).max(1) <= 1e-9) and np.all(dec <= 2e-20):
            break
    return r - r.mean(1, keepdims=True)


def metrics(ls, lref, lp, r):
    p, q, ref = np.exp(ls), np.exp(lp), np.exp(lref)
    win = (ref[:, None, :] * expit(BETA * (ls[:, :, None] - ls[:, None, :]))).sum(2)
    return np.array([
        (p * (ls - lp)).sum(1).mean(),                       # fwd KL
        (q * (lp - ls)).sum(1).mean(),                       # rev KL
        0.5 * np.abs(p - q).sum(1).mean(),                   # TV
        1.0 - np.sqrt(p * q).sum(1).mean(),                  # Hellinger²
        -(q * lp).sum(1).mean(),                             # entropy
        (q * (lp - lref)).sum(1).mean(),                     # KL ref
        (q * BETA * ls).sum(1).mean(),                       # true reward
        (q * win).sum(1).mean(),                             # win rate
        (q * r).sum(1).mean()])                              # reward score


def floor(ls, lref):
    def f(t):
        return (np.exp(ls) * (ls - log_softmax(lref + t * ls))).sum(1).mean()
    res = minimize_scalar(f, bounds=(0.0, 1e3), method="bounded",
                          options={"xatol": 1e-12})
    return min(res.fun, f(0.0))


def main():
    reps = 20
    if len(sys.argv) == 3 and sys.argv[1] == "--replicates":
        reps = int(sys.argv[2])
    rng = np.random.default_rng(1)
    out = {}
    for _ in range(reps):
        ls, lref = instance(rng)
        p = cell_probs(ls, lref)
        floor(ls, lref)
        for n in NS:
            if np.isinf(n):
                P, ridge = p, 0.0
            else:
                N = rng.multinomial(n, p.ravel() / p.sum()).reshape(K, V, V)
                P, ridge = N / n, 1.0 / n
            r = reward_fit(P, ridge)
            for name, gamma in (("rlhf", 0.0), ("rkl", BETA)):
                T = LAMBDAS + gamma                            # 81
                lp = log_softmax((r[None] + LAMBDAS[:, None, None] * lref[None])
                                 / T[:, None, None])           # 81×K×V
                fwd = (np.exp(ls)[None] * (ls[None] - lp)).sum(2).mean(1)
                best = int(np.argmin(fwd))
                met = metrics(ls, lref, lp[best], r)
                out.setdefault((name, n), []).append(met[0])
    for (name, n), v in sorted(out.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        print(f"{name}\t{n}\t{np.median(v):.4g}")


if __name__ == "__main__":
    main()
