#!/usr/bin/env python3
"""indep_fit.py — an independent implementation of docs/reference.md §3 (tabular class),
written from the reference (docs/reference.md) table and the documented defaults of `alignsim fit`
(sim/cli_fit.c header and --help), reading the docs/reference.md §7 files directly.  It
shares no code with the C library: it is the reference the C fit is checked
against (tests/test_indep_fit.sh).

Routes (deliberately different from the project's exact Newton per context):
- every objective that has no closed form is minimised as written in the
  docs/reference.md table (loss averaged over n, λ·E_ρ KL_ref with ρ uniform), context by
  context (they decouple, docs/reference.md §3), in the gauge θ_x,V−1 = 0, by scipy's
  'trust-exact' on hand-derived gradient and Hessian (themselves checked
  against central finite differences by `selftest`), then polished by plain
  Newton steps; several starting points, the lowest objective is kept;
- convergence is accepted only on a scale-free criterion (docs/reference.md §3): the
  final Newton step in logits, max |H⁻¹g| ≤ 1e-12, and each gradient
  component divided by its probability, never the raw gradient norm;
- RLHF and RKL use the closed forms of the reference (docs/reference.md) table (checked by `selftest`
  against a direct numerical minimisation of their objectives); rebel-iter
  runs the reference (docs/reference.md) recursion literally (each step a weighted least-squares
  solve of the V² pair equations by numpy.linalg.lstsq), from π_ref.

Defaults (same as `alignsim fit --help`): β = 1, λ = 0, β_dpo = β, γ = β,
ridge η_r = 1/n (loss averaged over n), reward gauge Σ_y r = 0, ρ uniform,
π_ref from --instance (log_pi_ref) or --ref, else uniform; distill/rebel use
the unlabelled pairs, first that applies: the counts of --unlabelled FILE
as M/m (docs/reference.md §2: a comparisons-format file, `context a b [count]`); the
population limit ρ μ'μ' with μ' = --mu2 FILE (a policy table); the
population limit with μ' = the instance's log_mu, or π_ref from --ref, or
uniform; rebel-iter η = 1/λ, cap 1000 steps.

usage:
  indep_fit.py fit --method M --comparisons F [--instance F | --ref F]
               [--K K --V V] [--beta B] [--lambda L] [--gamma G]
               [--beta-dpo B] [--ridge R] [--eta E] [--iterations T]
               [--steps S --lr A] [--mu2 F | --unlabelled F] --out F
  indep_fit.py compare --mine F --theirs F --truth INSTANCE
               [--stdout F] [--kl-tol T] [--logp-tol T] [--label S]
  indep_fit.py popcounts --instance F [--beta B] [--flip E] [--scale S] --out F
  indep_fit.py selftest

The objective atlas (docs/reference.md §3.2: cdpo rdpo ipo gpo slic simpo orpo chipo
sppo nash, options --smoothing --flip --tau --loss --margin --alpha, and
--eta/--iterations for sppo, --lambda for nash) is implemented in the
section "objective atlas" below, from the reference's (docs/reference.md) per-record losses.
"""
import argparse
import math
import sys

import numpy as np
import scipy.optimize
from scipy.special import expit, log_expit, logsumexp


# ---------------------------------------------------------------- reading
def _rows(path):
    """Numeric rows of a docs/reference.md §7 table: '#' comments, blank lines and one
    header line (first field not a number) are skipped."""
    out = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            s = line.split('#', 1)[0].strip()
            if not s:
                continue
            fields = s.split('\t') if '\t' in s else s.split()
            try:
                float(fields[0])
            except ValueError:
                if out:
                    raise SystemExit(f"{path}:{ln}: non-numeric row {s!r}")
                continue
            out.append(fields)
    return out


def read_table(path, ncols):
    """context response value... → K, V, array [ncols][K][V]."""
    rows = _rows(path)
    K = 1 + max(int(r[0]) for r in rows)
    V = 1 + max(int(r[1]) for r in rows)
    t = np.full((ncols, K, V), np.nan)
    for r in rows:
        for c in range(ncols):
            t[c, int(r[0]), int(r[1])] = float(r[2 + c])
    if np.isnan(t).any():
        raise SystemExit(f"{path}: incomplete table")
    return K, V, t


def read_comparisons(path, K=0, V=0):
    rows = _rows(path)
    trip = [(int(r[0]), int(r[1]), int(r[2]),
             int(r[3]) if len(r) > 3 else 1) for r in rows]
    K = max(K, 1 + max(x for x, _, _, _ in trip))
    V = max(V, 1 + max(max(a, b) for _, a, b, _ in trip))
    N = np.zeros((K, V, V))
    for x, a, b, c in trip:
        N[x, a, b] += c
    return N


def log_normalise(t):
    return t - logsumexp(t, axis=-1, keepdims=True)


# ------------------------------------------------- per-context objectives
# A pair term is Σ_ab W_ab h(Δθ_ab); h' and h'' are given as matrices.
def pair_eval(theta, W, kind, c, aux):
    D = theta[:, None] - theta[None, :]
    if kind == 'logsig':          # h = −log σ(c(Δ − aux))
        t = c * (D - aux)
        h = -log_expit(t)
        h1 = -c * expit(-t)
        h2 = c * c * expit(t) * expit(-t)
    elif kind == 'bernkl':        # KL(Bern(aux) ‖ Bern(σ(cΔ)))
        t = c * D
        p = aux
        with np.errstate(divide='ignore', invalid='ignore'):
            ent = np.where(p > 0, p * np.log(p), 0.0) + \
                np.where(p < 1, (1 - p) * np.log1p(-p), 0.0)
        h = ent - p * log_expit(t) - (1 - p) * log_expit(-t)
        h1 = c * (expit(t) - p)
        h2 = c * c * expit(t) * expit(-t)
    elif kind in ('cdpo', 'rdpo'):  # docs/reference.md §3.2, u = c(Δ − off), aux = (off, ε)
        off, e = aux
        t = c * (D - off)
        if kind == 'cdpo':            # −(1−ε) log σ(t) − ε log σ(−t)
            wp, wm, z = 1 - e, e, 1.0
        else:                         # [(1−ε)(−log σ(t)) − ε(−log σ(−t))]/(1−2ε)
            wp, wm, z = 1 - e, -e, 1 - 2 * e
        h = (-wp * log_expit(t) - wm * log_expit(-t)) / z
        h1 = c * (-wp * expit(-t) + wm * expit(t)) / z
        h2 = c * c * (wp + wm) * expit(t) * expit(-t) / z
    elif kind == 'exp':           # e^{−c(Δ − aux)}
        v = np.exp(-c * (D - aux))
        h, h1, h2 = v, -c * v, c * c * v
    elif kind == 'tquad':         # max(0, 1 − c(Δ − aux))²
        m = np.maximum(0.0, 1 - c * (D - aux))
        h, h1, h2 = m * m, -2 * c * m, np.where(m > 0, 2 * c * c, 0.0)
    elif kind == 'sq':            # (cΔ − aux)²
        e = c * D - aux
        h = e * e
        h1 = 2 * c * e
        h2 = np.full_like(D, 2 * c * c)
    else:
        raise ValueError(kind)
    f = float(np.sum(W * h))
    A1 = W * h1
    g = A1.sum(axis=1) - A1.sum(axis=0)
    A2 = W * h2
    H = np.diag(A2.sum(axis=1) + A2.sum(axis=0)) - A2 - A2.T
    return f, g, H


def kl_eval(theta, lref):
    """KL(π_θ ‖ π_ref) with derivatives in θ (derived by hand:
    g_j = π_j (s_j − m), H_jk = δ_jk π_j (1 + s_j − m)
    − π_j π_k (1 + (s_j − m) + (s_k − m)), s = log π_θ − log π_ref,
    m = E_π s)."""
    lp = theta - logsumexp(theta)
    p = np.exp(lp)
    s = lp - lref
    m = float(np.dot(p, s))
    d = s - m
    g = p * d
    H = np.diag(p * (1 + d)) - np.outer(p, p) * (1 + d[:, None] + d[None, :])
    return m, g, H


class Objective:
    """Sum of pair terms and a weighted KL_ref term, for one context."""

    def __init__(self, V):
        self.V = V
        self.pairs = []
        self.kls = []
        self.ridge = 0.0
        self.lins = []

    def add_lin(self, r):
        """−E_{π_θ} r (the RLHF/RKL reward term)."""
        self.lins.append(np.asarray(r, float))

    def add_pair(self, W, kind, c, aux):
        self.pairs.append((W, kind, c, aux))

    def add_kl(self, weight, lref):
        if weight > 0:
            self.kls.append((weight, lref))

    def full(self, theta):
        f, g, H = 0.0, np.zeros(self.V), np.zeros((self.V, self.V))
        for W, kind, c, aux in self.pairs:
            a, b, C = pair_eval(theta, W, kind, c, aux)
            f, g, H = f + a, g + b, H + C
        for w, lref in self.kls:
            a, b, C = kl_eval(theta, lref)
            f, g, H = f + w * a, g + w * b, H + w * C
        for r in self.lins:
            p = np.exp(theta - logsumexp(theta))
            d = r - float(p @ r)
            f -= float(p @ r)
            g = g - p * d
            H = H - (np.diag(p * d) - np.outer(p * d, p) - np.outer(p, p * d))
        if self.ridge > 0:
            f += 0.5 * self.ridge * float(theta @ theta)
            g = g + self.ridge * theta
            H = H + self.ridge * np.eye(self.V)
        return f, g, H

    # gauge θ_{V−1} = 0 unless a ridge fixes the gauge itself
    def _free(self):
        return self.V if self.ridge > 0 else self.V - 1

    def _embed(self, u):
        if self.ridge > 0:
            return u
        return np.append(u, 0.0)

    def _merit(self, u, g):
        th = self._embed(u)
        p = np.exp(th - logsumexp(th))
        return float(np.max(np.abs(g) / p))

    def minimise(self, starts):
        k = self._free()
        best = None
        for th0 in starts:
            th0 = np.asarray(th0, float)
            u0 = th0[:k] - (0 if self.ridge > 0 else th0[-1])

            def fun(u):
                return self.full(self._embed(u))[0]

            def jac(u):
                return self.full(self._embed(u))[1][:k]

            def hess(u):
                return self.full(self._embed(u))[2][:k, :k]

            r = scipy.optimize.minimize(fun, u0, jac=jac, hess=hess,
                                        method='trust-exact',
                                        options={'gtol': 1e-13,
                                                 'maxiter': 2000})
            u = r.x
            # Newton polish with a backtracking line search whose merit is
            # the objective, or — where the objective is flat to rounding
            # (logits of tiny probability, docs/reference.md §3) — the scale-free gradient
            # max_j |g_j| / π_j
            for _ in range(200):
                f, g, H = self.full(self._embed(u))
                m0 = self._merit(u, g)
                try:
                    step = np.linalg.solve(H[:k, :k], g[:k])
                except np.linalg.LinAlgError:
                    break
                if np.max(np.abs(step)) < 1e-15:
                    break
                t, moved = 1.0, False
                for _ in range(40):
                    un = u - t * step
                    fn, gn, _ = self.full(self._embed(un))
                    # objectives are O(1) (averaged over n): rounding in f
                    # is ~1e-16 (1 + |f|)
                    if fn < f - 1e-13 * (1 + abs(f)) or (
                            fn <= f + 1e-13 * (1 + abs(f))
                            and self._merit(un, gn) < m0):
                        u, moved = un, True
                        break
                    t *= 0.5
                if not moved:
                    break
            f = self.full(self._embed(u))[0]
            if best is None or f < best[0]:
                best = (f, u)
        f, u = best
        theta = self._embed(u)
        return theta, self.stationarity(theta)

    def stationarity(self, theta):
        """Scale-free criteria at θ: the Newton step in logits and
        max_j |g_j| / π_j (docs/reference.md §3: never the raw gradient norm); also the
        smallest Hessian eigenvalue (must be > 0: a minimum)."""
        k = self._free()
        f, g, H = self.full(theta)
        Hk = H[:k, :k]
        ev = float(np.min(np.linalg.eigvalsh(Hk)))
        try:
            step = float(np.max(np.abs(np.linalg.solve(Hk, g[:k]))))
        except np.linalg.LinAlgError:
            step = math.inf
        p = np.exp(theta - logsumexp(theta))
        rel = float(np.max(np.abs(g) / p))
        return {'newton_step': step, 'grad_over_p': rel, 'min_eig': ev}


# ------------------------------------------------------------ estimators
def fit_reward(N, n, ridge):
    """docs/reference.md §3 (paper eq. 9) per context; gauge Σ_y r = 0 (the ridge solution already
    has it: the pair gradient sums to 0)."""
    K, V, _ = N.shape
    r = np.zeros((K, V))
    worst = 0.0
    for x in range(K):
        ob = Objective(V)
        ob.add_pair(N[x] / n, 'logsig', 1.0, 0.0)
        ob.ridge = ridge
        th, st = ob.minimise([np.zeros(V)])
        worst = max(worst, st['newton_step'])
        r[x] = th - th.mean()
    return r, worst


def argmax_policy(r):
    """λ + γ = 0: the objective is −E_π r̂, minimised by the point mass on
    argmax r̂ (docs/reference.md §3: π_λ collapses onto the argmax; ties split evenly)."""
    top = r >= r.max(axis=1, keepdims=True)
    with np.errstate(divide='ignore'):
        return np.log(top / top.sum(axis=1, keepdims=True))


def rlhf_closed(r, lref, lam):
    if lam == 0:
        return argmax_policy(r)
    return log_normalise(lref + r / lam)


def rkl_closed(r, lref, lam, gamma):
    if lam + gamma == 0:
        return argmax_policy(r)
    return log_normalise(lref * (lam / (lam + gamma)) + r / (lam + gamma))


def rebel_iter(r, lref, lam, eta, T, start=None):
    """docs/reference.md §3 REBEL, iterative, literally: θ_{t+1} = argmin Σ_ab π_t(a)π_t(b)
    ((Δθ_ab − Δθ_t,ab)/η − (r̃_a − r̃_b))², r̃ = r̂ − λ(log π_t − log π_ref),
    solved as a least-squares problem in θ_{t+1} (V² weighted equations).
    Starts from π_ref; stops after T steps or when a step moves no
    log-probability by more than 1e-13 (the remaining error is then below
    1e-13 (1 − ηλ)/(ηλ), by the contraction of docs/reference.md §3)."""
    K, V = r.shape
    th = lref.copy() if start is None else start.copy()
    steps = 0
    for t in range(T):
        new = np.empty_like(th)
        for x in range(K):
            lp = th[x] - logsumexp(th[x])
            p = np.exp(lp)
            rt = r[x] - lam * (lp - lref[x])
            a, b = np.nonzero(~np.eye(V, dtype=bool))
            w = np.sqrt(p[a] * p[b])
            E = np.zeros((a.size, V))
            E[np.arange(a.size), a] = w / eta
            E[np.arange(a.size), b] = -w / eta
            rhs = w * ((th[x, a] - th[x, b]) / eta + rt[a] - rt[b])
            new[x] = np.linalg.lstsq(E, rhs, rcond=None)[0]
        steps = t + 1
        moved = np.max(np.abs(log_normalise(new) - log_normalise(th)))
        th = new
        if moved < 1e-13:
            break
    return log_normalise(th), steps


# ------------------------------------------------ objective atlas (§3.2)
# Written from docs/reference.md §3.2's per-record losses.  The losses that are
# functions of t = Δθ − Δlog π_ref (cDPO, rDPO, IPO, GPO, SimPO with its
# margin folded into the offset) reuse the pair-term minimiser above; ORPO
# and χPO, whose scores are not linear in θ, are written in π (gradient by
# the chain rule through π = softmax θ, Hessian by central differences of
# that gradient — a route the C code does not take); the hinge is solved
# by scipy's HiGHS linear programme; SPPO and Nash are iterated in
# probabilities (Nash: scipy.optimize.root on the equilibrium equation).
def atlas_pairs(m, Wx, lref, bd, a):
    """(kind, c, aux) of method m's pair term in one context."""
    off = lref[:, None] - lref[None, :]
    if m == 'cdpo':
        return 'cdpo', bd, (off, a.smoothing)
    if m == 'rdpo':
        return 'rdpo', bd, (off, a.flip)
    if m == 'ipo':                        # (t − 1/(2τ))²
        return 'sq', 1.0, off + 1 / (2 * a.tau)
    if m == 'gpo':
        if a.loss == 'logistic':
            return 'logsig', bd, off
        if a.loss == 'square':            # (1 − β_d t)² = (β_d Δ − (β_d off + 1))²
            return 'sq', bd, bd * off + 1
        if a.loss == 'exp':
            return 'exp', bd, off
        if a.loss == 'tquad':
            return 'tquad', bd, off
    if m == 'simpo':                      # −log σ(β_d Δθ − γ) = logsig at off γ/β_d
        return 'logsig', bd, np.full_like(off, a.margin / bd)
    raise SystemExit(f"no pair form for {m} {a.loss}")


def pi_objective(m, W, lref, bd, alpha):
    """f(π) and df/dπ for ORPO and χPO (docs/reference.md §3.2 per-record losses)."""
    V = W.shape[0]

    def f_and_dpi(p):
        if m == 'orpo':
            lo = np.log(p) - np.log1p(-p)          # log odds
            dlo = 1 / (p * (1 - p))
            wins = W.sum(axis=1)
            f = -float(wins @ np.log(p))
            d = -wins / p
            S = lo[:, None] - lo[None, :]
            f += alpha * float(np.sum(W * -log_expit(S)))
            A = W * -expit(-S)                      # d/dS of −log σ(S)
            d = d + alpha * (A.sum(axis=1) - A.sum(axis=0)) * dlo
            return f, d
        z = p / np.exp(lref)                       # chipo
        u = bd * (z + np.log(z))
        du = bd * (1 + 1 / z) / np.exp(lref)
        S = u[:, None] - u[None, :]
        f = float(np.sum(W * -log_expit(S)))
        A = W * -expit(-S)
        return f, (A.sum(axis=1) - A.sum(axis=0)) * du

    def fg(theta):
        p = np.exp(theta - logsumexp(theta))
        f, d = f_and_dpi(p)
        J = np.diag(p) - np.outer(p, p)
        return f, J @ d
    return V, fg


def minimise_pi(V, fg, th0):
    """Gauge θ_{V−1} = 0; BFGS, then Newton with a central-difference
    Hessian of the analytic gradient until the step is below 1e-12."""
    def fun(u):
        return fg(np.append(u, 0.0))[0]

    def jac(u):
        return fg(np.append(u, 0.0))[1][:-1]
    u = th0[:-1] - th0[-1]
    u = scipy.optimize.minimize(fun, u, jac=jac, method='BFGS',
                                options={'gtol': 1e-12, 'maxiter': 5000}).x
    step = math.inf
    for _ in range(100):
        g = jac(u)
        h = 1e-6
        H = np.array([(jac(u + h * e) - jac(u - h * e)) / (2 * h)
                      for e in np.eye(V - 1)])
        H = 0.5 * (H + H.T)
        st = np.linalg.solve(H, g)
        t = 1.0
        f0 = fun(u)
        while t > 1e-10 and fun(u - t * st) > f0 + 1e-15 * (1 + abs(f0)):
            t *= 0.5
        u = u - t * st
        step = float(np.max(np.abs(t * st)))
        if step < 1e-12:
            break
    return np.append(u, 0.0), step


def hinge_lp(Wx, lref, bd):
    """min Σ W_ab max(0, 1 − β_d (h_a − h_b)) over h (h_0 = 0), HiGHS."""
    V = Wx.shape[0]
    pairs = [(a, b) for a in range(V) for b in range(V)
             if a != b and Wx[a, b] > 0]
    nv = V + len(pairs)
    c = np.concatenate([np.zeros(V), [Wx[a, b] for a, b in pairs]])
    A = np.zeros((len(pairs), nv))
    for i, (a, b) in enumerate(pairs):     # −ξ − β_d(h_a − h_b) ≤ −1
        A[i, V + i] = -1
        A[i, a] -= bd
        A[i, b] += bd
    bounds = [(0, 0)] + [(None, None)] * (V - 1) + [(0, None)] * len(pairs)
    r = scipy.optimize.linprog(c, A_ub=A, b_ub=-np.ones(len(pairs)),
                               bounds=bounds, method='highs')
    if r.status != 0:
        raise SystemExit("hinge LP failed: " + r.message)
    return lref + r.x[:V]


def pref_of_reward(r):
    P = expit(r[:, None] - r[None, :])
    np.fill_diagonal(P, 0.5)
    return P


def sppo(P, lref, eta, T):
    p = np.exp(lref)
    for _ in range(T):
        q = p * np.exp(eta * (P @ p - 0.5))
        p = q / q.sum()
    return np.log(p)


def nash(P, lref, lam):
    """π = π_ref exp(P π/λ)/Z: scipy.optimize.root on the V equations in
    log π (the last one replaced by Σ π = 1)."""
    def F(lp):
        p = np.exp(lp)
        w = lref + (P @ p) / lam
        res = lp - (w - logsumexp(w))
        res[-1] = p.sum() - 1
        return res
    r = scipy.optimize.root(F, lref.copy(), method='hybr', tol=1e-15)
    lp = r.x
    if np.max(np.abs(F(lp))) > 1e-12:
        raise SystemExit(f"nash: residual {np.max(np.abs(F(lp))):g}")
    return lp


def fit_atlas(m, N, n, lref, beta, bd, ridge, args):
    K, V = lref.shape
    lp = np.empty((K, V))
    worst = 0.0
    if m in ('sppo', 'nash'):
        rhat, worst = fit_reward(N, n, ridge)
        for x in range(K):
            P = pref_of_reward(rhat[x])
            lp[x] = sppo(P, lref[x], args.eta if args.eta else 1.0,
                         args.iterations or 10) \
                if m == 'sppo' else nash(P, lref[x], args.lam)
        return log_normalise(lp), worst
    for x in range(K):
        Wx = N[x] / N[x].sum()        # any positive scale: same argmin
        if m == 'slic' or (m == 'gpo' and args.loss == 'hinge'):
            lp[x] = hinge_lp(Wx, lref[x], bd)
        elif m in ('orpo', 'chipo'):
            Vx, fg = pi_objective(m, Wx, lref[x], bd, args.alpha)
            th, st = minimise_pi(Vx, fg, lref[x].copy())
            worst = max(worst, st)
            lp[x] = th
        else:
            ob = Objective(V)
            kind, c, aux = atlas_pairs(m, Wx, lref[x], bd, args)
            ob.add_pair(Wx, kind, c, aux)
            th, st = ob.minimise([lref[x].copy(), np.zeros(V)])
            worst = max(worst, st['newton_step'])
            lp[x] = th
    return log_normalise(lp), worst


ATLAS = ('cdpo', 'rdpo', 'ipo', 'gpo', 'slic', 'simpo', 'orpo', 'chipo',
         'sppo', 'nash')


def fit(args):
    N = read_comparisons(args.comparisons, args.K or 0, args.V or 0)
    lref = lmu = None
    if args.instance:
        K, V, t = read_table(args.instance, 3)
        lref, lmu = t[1], t[2]
    elif args.ref:
        K, V, t = read_table(args.ref, 1)
        lref = lmu = t[0]
    if lref is not None:
        Kd, Vd, _ = N.shape
        if Kd > K or Vd > V:
            raise SystemExit("comparisons outside the instance")
        N2 = np.zeros((K, V, V))
        N2[:Kd, :Vd, :Vd] = N
        N = N2
    K, V, _ = N.shape
    if lref is None:
        lref = np.full((K, V), -math.log(V))
        lmu = lref
    if args.mu2:
        Km, Vm, t = read_table(args.mu2, 1)
        if (Km, Vm) != (K, V):
            raise SystemExit("--mu2 table is not K x V")
        lmu = t[0]
    Wu = None           # unlabelled pair weights M/m, per context
    if args.unlabelled:
        Mc = read_comparisons(args.unlabelled, K, V)
        if Mc.shape != (K, V, V):
            raise SystemExit("unlabelled pairs outside K x V")
        Wu = Mc / Mc.sum()
    n = N.sum()
    beta = args.beta
    lam = args.lam
    gamma = beta if args.gamma is None else args.gamma
    bdpo = beta if args.beta_dpo is None else args.beta_dpo
    ridge = 1.0 / n if args.ridge is None else args.ridge
    rho = 1.0 / K
    m = args.method
    worst = 0.0
    out_reward = None

    rhat = None
    if m in ('reward', 'distill', 'rebel', 'rebel-iter', 'rlhf', 'rkl'):
        rhat, worst = fit_reward(N, n, ridge)

    if m == 'reward':
        out_reward = rhat
        lp = log_normalise(rhat / beta)
    elif m in ('pmle', 'dpo', 'distill', 'rebel'):
        lp = np.empty((K, V))
        for x in range(K):
            ob = Objective(V)
            if m == 'pmle':
                ob.add_pair(N[x] / n, 'logsig', beta, 0.0)
                ob.add_kl(lam * rho, lref[x])
            elif m == 'dpo':
                if args.steps:
                    continue
                off = lref[x][:, None] - lref[x][None, :]
                ob.add_pair(N[x] / n, 'logsig', bdpo, off)
            else:
                mu = np.exp(lmu[x])
                W = rho * np.outer(mu, mu) if Wu is None else Wu[x]
                dr = rhat[x][:, None] - rhat[x][None, :]
                if m == 'distill':
                    ob.add_pair(W, 'bernkl', beta, expit(dr))
                else:
                    ob.add_pair(W, 'sq', beta, dr)
                ob.add_kl(lam * rho, lref[x])
            starts = [lref[x].copy(), np.zeros(V)]
            if m == 'pmle' and lam > 0:
                # the λ = 0 solution is a third start (the objective is not
                # convex in θ for λ > 0, docs/reference.md §6 (E6))
                ob0 = Objective(V)
                ob0.add_pair(N[x] / n, 'logsig', beta, 0.0)
                starts.append(ob0.minimise([lref[x]])[0])
            th, st = ob.minimise(starts)
            worst = max(worst, st['newton_step'])
            if st['min_eig'] <= 1e-12:
                # a (near-)singular Hessian: a response no term touches, or
                # a disconnected win graph (docs/reference.md §3): θ is not identified
                raise SystemExit(f"context {x}: minimiser not identified or "
                                 f"not a minimum (min eig {st['min_eig']:g})")
            lp[x] = th - logsumexp(th)
        if m == 'dpo' and args.steps:
            lp = dpo_steps(N, n, lref, bdpo, args.steps, args.lr)
    elif m in ATLAS:
        lp, worst = fit_atlas(m, N, n, lref, beta, bdpo, ridge, args)
    elif m == 'rlhf':
        lp = rlhf_closed(rhat, lref, lam)
    elif m == 'rkl':
        lp = rkl_closed(rhat, lref, lam, gamma)
    elif m == 'rebel-iter':
        eta = 1.0 / lam if args.eta is None else args.eta
        lp, _ = rebel_iter(rhat, lref, lam, eta, args.iterations or 1000)
    else:
        raise SystemExit(f"unknown method {m}")
    if worst > 1e-10:
        raise SystemExit(f"indep_fit: not converged (Newton step {worst:g})")
    if args.out is None:
        return worst
    with open(args.out, 'w') as f:
        val = out_reward if out_reward is not None else lp
        f.write("context\tresponse\t%s\n"
                % ('reward' if out_reward is not None else 'log_prob'))
        for x in range(K):
            for y in range(V):
                f.write("%d\t%d\t%.17g\n" % (x, y, val[x, y]))
    return worst


def dpo_steps(N, n, lref, bd, S, lr):
    """S plain gradient steps on the full DPO objective from θ = log π_ref."""
    th = lref.copy()
    K, V = lref.shape
    for _ in range(S):
        g = np.zeros_like(th)
        for x in range(K):
            off = lref[x][:, None] - lref[x][None, :]
            g[x] = pair_eval(th[x], N[x] / n, 'logsig', bd, off)[1]
        th = th - lr * g
    return log_normalise(th)


# ------------------------------------------------------------- comparing
def fwd_kl(lstar, lp):
    p = np.exp(lstar)
    with np.errstate(invalid='ignore'):
        terms = np.where(p > 0, p * (lstar - lp), 0.0)
    return float(np.mean(terms.sum(axis=1)))


def compare(args):
    K, V, t = read_table(args.truth, 3)
    lstar = t[0]
    _, _, mine = read_table(args.mine, 1)
    _, _, theirs = read_table(args.theirs, 1)
    mine, theirs = mine[0], theirs[0]
    is_reward = open(args.mine).readline().split()[2] == 'reward'
    if is_reward:
        dval = float(np.max(np.abs(mine - theirs)))
        # reward-LM softmax(r/β) gives the forward KL of a reward
        mine = log_normalise(mine / args.beta)
        theirs = log_normalise(theirs / args.beta)
    a, b = log_normalise(mine), log_normalise(theirs)
    fin = np.isfinite(a) & np.isfinite(b)
    same_inf = np.array_equal(np.isfinite(a), np.isfinite(b))
    dlogp = float(np.max(np.abs(a[fin] - b[fin]))) if same_inf else math.inf
    if not is_reward:
        dval = dlogp
    kl_m, kl_t = fwd_kl(lstar, a), fwd_kl(lstar, b)
    dkl = abs(kl_m - kl_t) if math.isfinite(kl_m) else \
        (0.0 if kl_m == kl_t else math.inf)
    dkl_out = 0.0
    if args.stdout:
        vals = {}
        for line in open(args.stdout):
            s = line.split()
            if len(s) == 2:
                vals[s[0]] = s[1]
        if 'fwd_kl' in vals:
            reported = float(vals['fwd_kl'])
            dkl_out = abs(reported - kl_m) if math.isfinite(kl_m) else \
                (0.0 if reported == kl_m else math.inf)
        else:
            dkl_out = math.inf
    ok = dkl <= args.kl_tol and dkl_out <= args.kl_tol and \
        dval <= args.logp_tol
    print("%s %s fwd_kl indep %.12g alignsim %.12g |d|=%.3g "
          "|d_stdout|=%.3g max|dlogp%s|=%.3g"
          % ('PASS' if ok else 'FAIL', args.label, kl_m, kl_t, dkl, dkl_out,
             '|dreward' if is_reward else '', dval))
    return 0 if ok else 1


# -------------------------------------------------------------- selftest
def selftest():
    """Hand-derived derivatives against central differences; closed forms
    of RLHF/RKL against a direct minimisation of the reference (docs/reference.md) objectives;
    rebel-iter against the RLHF closed form."""
    rng = np.random.default_rng(7)
    V = 5
    fails = 0

    def check(name, ok, detail):
        nonlocal fails
        print(("ok   " if ok else "FAIL ") + name + " " + detail)
        fails += not ok

    th = rng.normal(size=V)
    lref = log_normalise(rng.normal(size=V))
    W = rng.random((V, V))
    for kind, aux in (('logsig', rng.normal(size=(V, V))),
                      ('bernkl', rng.random((V, V))),
                      ('sq', rng.normal(size=(V, V)))):
        ob = Objective(V)
        ob.add_pair(W, kind, 1.7, aux)
        ob.add_kl(0.3, lref)
        f, g, H = ob.full(th)
        h = 1e-5
        gn = np.array([(ob.full(th + h * e)[0] - ob.full(th - h * e)[0])
                       / (2 * h) for e in np.eye(V)])
        Hn = np.array([(ob.full(th + h * e)[1] - ob.full(th - h * e)[1])
                       / (2 * h) for e in np.eye(V)])
        eg = np.max(np.abs(g - gn))
        eh = np.max(np.abs(H - Hn))
        check(f"derivatives {kind}+KL", eg < 1e-8 and eh < 1e-7,
              f"|dg|={eg:.2g} |dH|={eh:.2g}")

    # the reward term's derivatives, then RLHF / RKL minimised directly
    ob = Objective(V)
    ob.add_lin(rng.normal(size=V))
    ob.add_kl(0.4, lref)
    f, g, H = ob.full(th)
    h = 1e-5
    gn = np.array([(ob.full(th + h * e)[0] - ob.full(th - h * e)[0])
                   / (2 * h) for e in np.eye(V)])
    Hn = np.array([(ob.full(th + h * e)[1] - ob.full(th - h * e)[1])
                   / (2 * h) for e in np.eye(V)])
    eg, eh = np.max(np.abs(g - gn)), np.max(np.abs(H - Hn))
    check("derivatives reward+KL", eg < 1e-8 and eh < 1e-7,
          f"|dg|={eg:.2g} |dH|={eh:.2g}")
    r = 3 * rng.normal(size=V)
    for lam, gamma in ((0.05, 0.0), (0.3, 0.0), (1.0, 0.0), (0.3, 1.0),
                       (2.0, 0.5), (0.0, 1.0)):
        ob = Objective(V)
        ob.add_lin(r)
        ob.add_kl(lam, lref)                       # λ KL_ref
        ob.add_kl(gamma, np.full(V, -math.log(V)))  # −γH = γ KL(π‖unif) + c
        thn, st = ob.minimise([lref.copy(), np.zeros(V)])
        lpn = log_normalise(thn)
        lpc = rkl_closed(r[None], lref[None], lam, gamma)[0]
        e = np.max(np.abs(lpn - lpc))
        check(f"closed form rkl lam={lam} gamma={gamma}",
              e < 1e-10 and st['newton_step'] < 1e-12,
              f"max|dlogp|={e:.2g} newton step {st['newton_step']:.2g}")
    K = 2
    r2 = rng.normal(size=(K, V))
    lr2 = log_normalise(rng.normal(size=(K, V)))
    for lam, eta in ((0.5, 2.0), (0.5, 1.0), (2.0, 0.9)):
        lp, steps = rebel_iter(r2, lr2, lam, eta, 5000)
        e = np.max(np.abs(lp - rlhf_closed(r2, lr2, lam)))
        check(f"rebel-iter -> rlhf lam={lam} eta={eta}", e < 1e-12,
              f"max|dlogp|={e:.2g} after {steps} steps")
    return 1 if fails else 0


def popcounts(args):
    """docs/reference.md §2's cell probabilities (label noise ε_flip included) of an
    instance, written as counts round(p · scale): population data for
    `alignsim fit`, to a relative 1/scale."""
    K, V, t = read_table(args.instance, 3)
    ls, lmu = t[0], t[2]
    b, e = args.beta, args.flip
    with open(args.out, 'w') as f:
        f.write("context\twinner\tloser\tcount\n")
        for x in range(K):
            mu = np.exp(lmu[x])
            for a in range(V):
                for c in range(V):
                    if a == c:
                        p = mu[a] ** 2 / K
                    else:
                        w = expit(b * (ls[x, a] - ls[x, c]))
                        p = 2 * mu[a] * mu[c] * ((1 - e) * w + e * (1 - w)) / K
                    f.write("%d\t%d\t%d\t%d\n" % (x, a, c, round(p * args.scale)))
    return 0


def batch(path, fitp, cmpp):
    """One job a line: compare options, '--', fit options (no --out: the
    independent table goes to THEIRS.indep).  Prints one PASS/FAIL line per
    job and 'N passed, N failed'."""
    import shlex
    npass = nfail = 0
    for line in open(path):
        w = shlex.split(line)
        if not w:
            continue
        i = w.index('--')
        c = cmpp.parse_args(w[:i])
        f = fitp.parse_args(w[i + 1:] + ['--out', c.theirs + '.indep'])
        c.mine = f.out
        c.beta = f.beta
        try:
            fit(f)
            rc = compare(c)
        except SystemExit as e:
            print(f"FAIL {c.label}: independent fit failed: {e}")
            rc = 1
        sys.stdout.flush()
        npass += rc == 0
        nfail += rc != 0
    print(f"batch: {npass} passed, {nfail} failed")
    return 1 if nfail else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    f = sub.add_parser('fit')
    fitp = argparse.ArgumentParser(prog='fit')
    cmpp = argparse.ArgumentParser(prog='compare')
    b = sub.add_parser('batch')
    b.add_argument('jobs')
    for f in (f, fitp):
        add_fit_args(f)
    c = sub.add_parser('compare')
    for c in (c, cmpp):
        add_compare_args(c)
    sub.add_parser('selftest')
    pc = sub.add_parser('popcounts')
    pc.add_argument('--instance', required=True)
    pc.add_argument('--beta', type=float, default=1.0)
    pc.add_argument('--flip', type=float, default=0.0)
    pc.add_argument('--scale', type=float, default=1e15)
    pc.add_argument('--out', required=True)
    a = ap.parse_args()
    if a.cmd == 'fit':
        print("newton_step_max %.3g" % fit(a))
        return 0
    if a.cmd == 'compare':
        if a.mine is None:
            ap.error('compare needs --mine')
        return compare(a)
    if a.cmd == 'batch':
        return batch(a.jobs, fitp, cmpp)
    if a.cmd == 'popcounts':
        return popcounts(a)
    return selftest()


def add_fit_args(f):
    f.add_argument('--method', required=True)
    f.add_argument('--comparisons', required=True)
    f.add_argument('--instance')
    f.add_argument('--ref')
    f.add_argument('--K', type=int)
    f.add_argument('--V', type=int)
    f.add_argument('--beta', type=float, default=1.0)
    f.add_argument('--lambda', dest='lam', type=float, default=0.0)
    f.add_argument('--gamma', type=float)
    f.add_argument('--beta-dpo', type=float)
    f.add_argument('--ridge', type=float)
    f.add_argument('--eta', type=float)
    f.add_argument('--iterations', type=int)  # rebel-iter 1000, sppo 10
    # the objective atlas (docs/reference.md §3.2; defaults of `alignsim fit --help`)
    f.add_argument('--smoothing', type=float, default=0.1)
    f.add_argument('--flip', type=float, default=0.1)
    f.add_argument('--tau', type=float, default=0.1)
    f.add_argument('--loss', default='logistic')
    f.add_argument('--margin', type=float, default=0.0)
    f.add_argument('--alpha', type=float, default=0.1)
    f.add_argument('--steps', type=int)
    f.add_argument('--lr', type=float)
    f.add_argument('--mu2')
    f.add_argument('--unlabelled')
    f.add_argument('--out')


def add_compare_args(c):
    c.add_argument('--mine')
    c.add_argument('--theirs', required=True)
    c.add_argument('--truth', required=True)
    c.add_argument('--stdout')
    c.add_argument('--beta', type=float, default=1.0)
    c.add_argument('--kl-tol', type=float, default=1e-6)
    c.add_argument('--logp-tol', type=float, default=1e-6)
    c.add_argument('--label', default='')


if __name__ == '__main__':
    sys.exit(main())
