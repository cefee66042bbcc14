"""Max-cut helpers of the sarwat2022_stp study: random graphs, exact optimum by brute force,
1-flip local search, the spectral upper bound, and the stochastic Hopfield network whose
synapses are memtransistive cells (:mod:`pcmphys.physics.memtransistor`).

Hopfield formulation: spins s_i = +-1, weights W_ij = -A_ij g_ij(t) with
g_ij(t) the normalised channel conductance of the cell of edge ij; asynchronous updates
``s_i <- sign(sum_j W_ij s_j)`` (ties keep s_i). Nodes of one colour class of a proper greedy
colouring share no edge, so updating a class at once is exactly asynchronous.
"""
from __future__ import annotations

import numpy as np


def random_graph(n, p, seed):
    """Erdos-Renyi G(n, p) as an edge list (m, 2) of int64 with i < j (numpy Generator seed)."""
    if n < 2:
        raise ValueError(f"n must be >= 2 nodes, got {n}")
    if not 0.0 < p <= 1.0:
        raise ValueError(f"p must be in (0, 1], got {p}")
    gen = np.random.default_rng(seed)
    iu, ju = np.triu_indices(n, 1)
    keep = gen.random(iu.size) < p
    return np.stack([iu[keep], ju[keep]], axis=1).astype(np.int64)


def cut_value(edges, spins):
    """Number of cut edges for spins (..., n) of +-1: sum over edges of (1 - s_a s_b) / 2."""
    s = np.asarray(spins)
    return ((1 - s[..., edges[:, 0]] * s[..., edges[:, 1]]) // 2).sum(axis=-1)


def brute_force_maxcut(n, edges, chunk_bits=20):
    """Exact maximum cut by enumerating the 2**(n-1) cuts with node n-1 fixed (n <= 26).

    Vectorised over assignments: bit i of an integer x is the side of node i; an edge is cut
    when its two bits differ.
    """
    if n > 26:
        raise ValueError(f"brute force is limited to n <= 26 nodes, got {n}")
    total = 1 << (n - 1)
    best = 0
    step = 1 << min(chunk_bits, n - 1)
    for start in range(0, total, step):
        x = np.arange(start, min(start + step, total), dtype=np.uint32)
        cut = np.zeros(x.size, np.int32)
        for a, b in edges:
            cut += ((x >> np.uint32(a)) ^ (x >> np.uint32(b))).astype(np.int32) & 1
        best = max(best, int(cut.max()))
    return best


def spectral_upper_bound(n, edges):
    """Mohar-Poljak bound ``maxcut <= n lambda_max(L) / 4`` (L: graph Laplacian)."""
    L = np.zeros((n, n))
    np.add.at(L, (edges[:, 0], edges[:, 0]), 1.0)
    np.add.at(L, (edges[:, 1], edges[:, 1]), 1.0)
    L[edges[:, 0], edges[:, 1]] -= 1.0
    L[edges[:, 1], edges[:, 0]] -= 1.0
    return n * float(np.linalg.eigvalsh(L)[-1]) / 4.0


def greedy_colouring(n, edges):
    """Colour classes (list of node arrays) of a greedy proper colouring (largest degree first)."""
    nbrs = [[] for _ in range(n)]
    for a, b in edges:
        nbrs[a].append(b)
        nbrs[b].append(a)
    colour = np.full(n, -1)
    for v in sorted(range(n), key=lambda v: -len(nbrs[v])):
        used = {colour[u] for u in nbrs[v]}
        c = 0
        while c in used:
            c += 1
        colour[v] = c
    return [np.nonzero(colour == c)[0] for c in range(colour.max() + 1)]


def local_fields(n, edges, weights, spins):
    """h[r, i] = sum_j W_ij s_j with W_ij = -weights[r, e] for edge e = (i, j)."""
    R = spins.shape[0]
    a, b = edges[:, 0], edges[:, 1]
    rows = np.arange(R)[:, None] * n
    idx = np.concatenate([rows + a, rows + b], axis=1).ravel()
    val = np.concatenate([-weights * spins[:, b], -weights * spins[:, a]], axis=1).ravel()
    return np.bincount(idx, weights=val, minlength=R * n).reshape(R, n)


def hopfield_sweep(n, edges, weights, spins, classes):
    """One asynchronous sweep (colour class by colour class); updates spins in place."""
    for nodes in classes:
        h = local_fields(n, edges, weights, spins)[:, nodes]
        new = np.sign(h)
        spins[:, nodes] = np.where(new == 0, spins[:, nodes], new).astype(spins.dtype)
    return spins


def local_search(n, edges, restarts, seed, max_sweeps=200):
    """Best-of-restarts 1-flip local search (noise-free Hopfield with exact weights).

    Returns
    -------
    cuts : ndarray of int, shape (restarts,)
        Cut of each converged restart.
    """
    gen = np.random.default_rng(seed)
    spins = gen.choice(np.array([-1, 1], np.int8), size=(restarts, n))
    classes = greedy_colouring(n, edges)
    w = np.ones((restarts, edges.shape[0]))
    for _ in range(max_sweeps):
        before = spins.copy()
        hopfield_sweep(n, edges, w, spins, classes)
        if np.array_equal(before, spins):
            break
    return cut_value(edges, spins)


def anneal_schedule(sweeps, v0, hold=3):
    """Gate amplitude per sweep [V]: linear from v0 to 0 over ``sweeps``, then ``hold`` zeros."""
    return np.concatenate([v0 * (1.0 - np.arange(sweeps) / sweeps), np.zeros(hold)])


def memtransistive_hopfield(cells, n, edges, trials, schedule, sweep_time, seed,
                            gate_sign_seed):
    """Run ``trials`` Hopfield networks whose edge synapses are memtransistive cells.

    Parameters
    ----------
    cells : pcmphys.memtransistor.MemtransistivePopulation
        ``trials * m`` programmed cells; cell ``r * m + e`` is edge e of trial r.
    n : int
        Nodes.
    edges : ndarray (m, 2)
    trials : int
    schedule : ndarray
        Gate pulse amplitude of each sweep [V] (random sign per cell and sweep).
    sweep_time : float
        Time between sweeps [s] (the volatile trace relaxes in between).
    seed : int
        Seed of the initial spins (numpy Generator).
    gate_sign_seed : int
        Seed of the gate-pulse signs (numpy Generator).

    Returns
    -------
    dict
        ``final_cut`` (trials,), ``best_cut`` (trials,), ``cut_trace`` (sweeps, trials),
        ``weight_std`` (sweeps,): std of the normalised weights (synaptic noise) per sweep.
    """
    m = edges.shape[0]
    gen = np.random.default_rng(seed)
    signs = np.random.default_rng(gate_sign_seed)
    spins = gen.choice(np.array([-1, 1], np.int8), size=(trials, n))
    classes = greedy_colouring(n, edges)
    g0 = np.asarray(cells.backend.to_numpy(cells.read()))
    g_ref = float(np.mean(g0))       # normalisation: mean programmed conductance
    trace, wstd = [], []
    best = cut_value(edges, spins)
    for v in schedule:
        if v > 0:
            cells.gate(float(v), scale=signs.choice(np.array([-1.0, 1.0]), size=trials * m))
        cells.wait(sweep_time)
        g = np.asarray(cells.backend.to_numpy(cells.read()))
        w = (g / g_ref).reshape(trials, m)
        wstd.append(float(np.std(w)))
        hopfield_sweep(n, edges, w, spins, classes)
        c = cut_value(edges, spins)
        best = np.maximum(best, c)
        trace.append(c)
    return {"final_cut": trace[-1], "best_cut": best, "cut_trace": np.array(trace),
            "weight_std": np.array(wstd)}
