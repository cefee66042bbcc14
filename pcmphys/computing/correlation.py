"""Temporal correlation detection with PCM cells (Sebastian et al., Nat. Commun. 8, 1115 (2017)).

N binary stochastic processes X_i(k), each firing with probability ``p`` per time step; a set
of them is correlated through a hidden driver X_r(k) (Sebastian et al. 2017, Methods)::

    P(X_r = 1) = p
    P(X_i = 1 | X_r = 1) = p + sqrt(c) (1 - p)      (correlated cells)
    P(X_i = 1 | X_r = 0) = p (1 - sqrt(c))          (correlated cells)
    P(X_i = 1) = p                                  (uncorrelated cells)

so that E[X_i] = p and the pairwise correlation coefficient inside the correlated group is c.
At step k the collective momentum M(k) = sum_i X_i(k) is computed, and every cell whose
process fired receives one SET pulse of current I = rule(M(k)); the conductance then grows
with the row sum of the uncentred covariance matrix and correlated cells end up at high
conductance.

Everything is a pure function of the counter RNG (:mod:`pcmphys.rng`), no N x K array exists:

* ``X_r(k)``: word ``k & 3`` of ``rng.draw(seed, 0, k >> 2, STREAM_CORR_DRIVER)`` below
  ``floor(p 2^32)`` (:func:`driver`, computed once on the host for all backends);
* ``X_i(k)``: word ``k & 3`` of ``rng.draw(seed, i, k >> 2, STREAM_CORR_PROCESS)`` below the
  threshold of the cell's class (:func:`fired_numpy`; kernel twin ``pcm_corr_fired`` in
  ``kernels/pcm_correlation.cu``).

Layers: pure functions (``*_numpy`` references and their kernel twins) -> the data class
:class:`CorrelatedProcesses` (which cells are correlated, p, c, seed, backend) -> the
orchestration :func:`run_physical` / :func:`run_exact`; detection metrics at the end.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from pcmphys import rng
from pcmphys.computing.detection import (
    best_threshold_error,
    detection_report,
    roc_auc,
    two_means_threshold,
)

__all__ = [
    "PUBLISHED",
    "STREAM_CORR_DRIVER",
    "STREAM_CORR_PROCESS",
    "CorrelatedProcesses",
    "LinearRule",
    "best_threshold_error",
    "conditional_probabilities",
    "covariance_row_sums_numpy",
    "detection_report",
    "driver",
    "expected_pulses",
    "fired_numpy",
    "momentum_numpy",
    "process_matrix",
    "pulse_counts",
    "roc_auc",
    "run_exact",
    "run_physical",
    "run_physical_distributed",
    "thresholds",
    "two_means_threshold",
]

STREAM_CORR_DRIVER = rng.STREAM_USER + 16  #: hidden driver X_r(k) (PCM_STREAM_CORR_DRIVER)
STREAM_CORR_PROCESS = rng.STREAM_USER + 17  #: processes X_i(k) (PCM_STREAM_CORR_PROCESS)

#: The published 1 M-process experiment (Sebastian et al. 2017, [V] arXiv:1706.00511 v1).
PUBLISHED = {
    "n_devices": 1_000_000, "n_correlated": 95_525, "p": 0.01, "n_steps": 10_000,
    "gain": 0.002e-6, "skip": 25e-6, "maximum": 80e-6, "set_width": 50e-9,
    "reset_current": 440e-6, "reset_width": 1e-6, "snapshot_steps": (252, 1312, 10_000),
}
_TWO32 = 2 ** 32
#: steps processed per launch of the momentum / covariance kernels (multiple of 4)
STEP_CHUNK = 1024
#: cells summed by one item of pcm_corr_partial_sums
CELLS_PER_BLOCK = 4096


# ----------------------------------------------------------------------------- probabilities
def conditional_probabilities(p, c):
    """Firing probabilities of a correlated cell given the driver.

    Parameters
    ----------
    p : float
        Firing probability of every process per step [1], 0 < p < 1.
    c : float
        Correlation coefficient inside the correlated group [1], 0 <= c <= 1.

    Returns
    -------
    (float, float)
        ``(p_high, p_low) = (p + sqrt(c)(1 - p), p (1 - sqrt(c)))`` [1].
    """
    p = _check_range("p", p, 0.0, 1.0, open_=True)
    c = _check_range("c", c, 0.0, 1.0)
    s = np.sqrt(c)
    return p + s * (1.0 - p), p * (1.0 - s)


def thresholds(p, c):
    """Integer firing thresholds ``floor(P 2^32)`` for (p, p_high, p_low); X = word < threshold.

    The realised probabilities are threshold / 2^32, within 2.3e-10 of the requested ones.
    """
    ph, pl = conditional_probabilities(p, c)
    return tuple(min(int(np.floor(q * _TWO32)), _TWO32) for q in (p, ph, pl))


def _check_range(name, value, lo, hi, open_=False, unit="1"):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in [{lo:g}, {hi:g}] {unit}, "
                        f"got {value!r}") from None
    bad = not np.isfinite(v) or (v <= lo or v >= hi if open_ else v < lo or v > hi)
    if bad:
        br = "()" if open_ else "[]"
        raise ValueError(f"{name} = {value!r} {unit} is outside the allowed range "
                         f"{br[0]}{lo:g}, {hi:g}{br[1]} {unit}")
    return v


# ----------------------------------------------------------------------------- pure functions
def driver(seed, n_steps, p, step0=0):
    """The hidden driver X_r(k) for k = step0 .. step0 + n_steps - 1 (same for every cell).

    Parameters
    ----------
    seed : int
        Seed of the counter RNG.
    n_steps : int
        Number of steps.
    p : float
        P(X_r = 1) [1].
    step0 : int
        First step; must be a multiple of 4.

    Returns
    -------
    numpy.ndarray of uint8, shape (n_steps,)
    """
    if step0 % 4:
        raise ValueError(f"step0 must be a multiple of 4, got {step0}")
    thr = thresholds(p, 0.0)[0]
    n_quads = -(-n_steps // 4)
    quads = np.arange(step0 // 4, step0 // 4 + n_quads, dtype=np.int64)
    words = rng.draw(seed, np.zeros(n_quads, np.int64), quads, STREAM_CORR_DRIVER)
    w = np.stack(words, axis=1).reshape(-1)[:n_steps]
    return (w.astype(np.uint64) < np.uint64(thr)).astype(np.uint8)


def _cell_thresholds(correlated, drv_k, thr):
    """Per-cell uint64 threshold of one step: (p, p_high, p_low) by class and driver."""
    thr_p, thr_h, thr_l = (np.uint64(t) for t in thr)
    return np.where(correlated, thr_h if drv_k else thr_l, thr_p)


def fired_numpy(seed, devices, step, correlated, driver_k, p, c):
    """X_i(step) of the given cells (NumPy reference of ``pcm_corr_fired``).

    Parameters
    ----------
    seed : int
    devices : array of int
        Global cell indices.
    step : int
        Time step k >= 0.
    correlated : array of bool
        Class of each cell (same shape as `devices`).
    driver_k : int
        X_r(step), 0 or 1.
    p, c : float
        Firing probability and correlation coefficient [1].

    Returns
    -------
    numpy.ndarray of uint8
    """
    words = rng.draw(seed, devices, step // 4, STREAM_CORR_PROCESS)[step % 4]
    thr = _cell_thresholds(np.asarray(correlated, bool), driver_k, thresholds(p, c))
    return (words.astype(np.uint64) < thr).astype(np.uint8)


def momentum_numpy(seed, devices, correlated, drv, p, c, step0, n_steps):
    """M(k) = sum_i X_i(k) over the given cells for k = step0 .. step0 + n_steps - 1.

    `drv` holds X_r for those steps; `step0` is a multiple of 4. Returns int64 (n_steps,).
    NumPy reference of ``pcm_corr_partial_sums`` (summed over blocks).
    """
    thr = thresholds(p, c)
    correlated = np.asarray(correlated, bool)
    out = np.zeros(n_steps, np.int64)
    for q in range(-(-n_steps // 4)):
        words = rng.draw(seed, devices, step0 // 4 + q, STREAM_CORR_PROCESS)
        for lane in range(min(4, n_steps - 4 * q)):
            t = _cell_thresholds(correlated, drv[4 * q + lane], thr)
            out[4 * q + lane] = np.count_nonzero(words[lane].astype(np.uint64) < t)
    return out


def covariance_row_sums_numpy(seed, devices, correlated, drv, momentum, p, c, step0):
    """sum_k X_i(k) M(k) over the steps of `momentum` (from `step0`, a multiple of 4).

    ``W_i / K`` is the row sum of the uncentred covariance matrix R_ij = (1/K) sum_k X_i X_j.
    NumPy reference of ``pcm_corr_covariance``. Returns float64 (len(devices),).
    """
    thr = thresholds(p, c)
    correlated = np.asarray(correlated, bool)
    w = np.zeros(len(devices), np.float64)
    n_steps = len(momentum)
    for q in range(-(-n_steps // 4)):
        words = rng.draw(seed, devices, step0 // 4 + q, STREAM_CORR_PROCESS)
        for lane in range(min(4, n_steps - 4 * q)):
            s = 4 * q + lane
            t = _cell_thresholds(correlated, drv[s], thr)
            w += (words[lane].astype(np.uint64) < t) * float(momentum[s])
    return w


def process_matrix(seed, devices, n_steps, correlated, p, c):
    """The full (cells, steps) uint8 matrix X_i(k) -- for tests and small analyses only."""
    drv = driver(seed, n_steps, p)
    return np.stack([fired_numpy(seed, devices, k, correlated, drv[k], p, c)
                     for k in range(n_steps)], axis=1)


# ----------------------------------------------------------------------------- programming rule
@dataclass(frozen=True)
class LinearRule:
    """SET current as a function of the collective momentum M(k).

    ``I = gain * (reference_devices / N) * M``; no pulse when I < ``skip``; I clipped at
    ``maximum``. With the published values (0.002 uA per process at N = 10^6, skip 25 uA,
    maximum 80 uA) the current depends on M/N only, so smaller populations see the same
    currents for the same fractions of firing processes.

    Parameters
    ----------
    gain : float
        Current per firing process at N = reference_devices [A].
    skip : float
        Currents below this are not applied [A].
    maximum : float
        Largest applied current [A].
    reference_devices : int
        Population size the gain refers to.
    """

    gain: float = PUBLISHED["gain"]
    skip: float = PUBLISHED["skip"]
    maximum: float = PUBLISHED["maximum"]
    reference_devices: int = PUBLISHED["n_devices"]

    def __post_init__(self):
        _check_range("gain", self.gain, 0.0, 1e-3, unit="A")
        _check_range("skip", self.skip, 0.0, 1e-3, unit="A")
        _check_range("maximum", self.maximum, 1e-9, 1e-3, unit="A")

    def current(self, momentum, n_devices):
        """Applied current [A] for each M (0 where the pulse is skipped)."""
        raw = self.gain * (self.reference_devices / n_devices) * np.asarray(momentum, float)
        return np.where(raw < self.skip, 0.0, np.minimum(raw, self.maximum))


def _binomial_pmf(n, q):
    """(support start, pmf) of Binomial(n, q), truncated where the pmf < 1e-300."""
    from scipy import stats

    if n == 0 or q == 0.0:
        return 0, np.ones(1)
    mu, sd = n * q, np.sqrt(n * q * (1 - q))
    lo, hi = max(0, int(mu - 40 * sd - 40)), min(n, int(mu + 40 * sd + 40))
    k = np.arange(lo, hi + 1)
    return lo, stats.binom.pmf(k, n, q)


def _p_program(n, fixed, n_c, q_c, n_u, q_u, rule):
    """P(rule(fixed + Bin(n_c, q_c) + Bin(n_u, q_u)) > 0) and E[I | programmed] [A]."""
    a0, a = _binomial_pmf(n_c, q_c)
    b0, b = _binomial_pmf(n_u, q_u)
    pmf = np.convolve(a, b)
    m = fixed + a0 + b0 + np.arange(len(pmf))
    cur = rule.current(m, n)
    prob = pmf[cur > 0].sum()
    return prob, (pmf * cur).sum() / prob if prob > 0 else 0.0


def expected_pulses(n_devices, n_correlated, p, c, rule, n_steps):
    """Expected SET pulses per cell of each class, and the currents at X_r = 1 and 0.

    Exact up to the truncation of the binomial tails (< 1e-300): given X_r and X_i = 1,
    M = 1 + Bin(N_c - 1 or N_c, P_class) + Bin(N_u or N_u - 1, p).

    Returns
    -------
    dict
        ``correlated``, ``uncorrelated`` [pulses per cell over n_steps]; ``current_on``,
        ``current_off`` [A] = rule(E[M | X_r]); ``momentum_on``, ``momentum_off`` = E[M | X_r];
        ``program_fraction`` = fraction of steps in which anything is programmed.
    """
    n_u = n_devices - n_correlated
    ph, pl = conditional_probabilities(p, c)
    out = {"correlated": 0.0, "uncorrelated": 0.0, "program_fraction": 0.0}
    for pr, q in ((p, ph), (1.0 - p, pl)):
        if n_correlated:
            prob, _ = _p_program(n_devices, 1, n_correlated - 1, q, n_u, p, rule)
            out["correlated"] += n_steps * pr * q * prob
        if n_u:
            prob, _ = _p_program(n_devices, 1, n_correlated, q, n_u - 1, p, rule)
            out["uncorrelated"] += n_steps * pr * p * prob
        prob, _ = _p_program(n_devices, 0, n_correlated, q, n_u, p, rule)
        out["program_fraction"] += pr * prob
    m_on, m_off = n_u * p + n_correlated * ph, n_u * p + n_correlated * pl
    scale = rule.gain * rule.reference_devices / n_devices
    out.update(momentum_on=m_on, momentum_off=m_off, current_on=scale * m_on,
               current_off=scale * m_off)
    return out


# ----------------------------------------------------------------------------- data class
class CorrelatedProcesses:
    """The N processes of one experiment on a backend (data + dispatch, no physics).

    Parameters
    ----------
    correlated : array of bool, shape (n_devices,)
        True for the cells of the correlated group.
    p : float
        Firing probability per step [1], 0 < p < 1.
    c : float
        Correlation coefficient of the correlated group [1], 0 <= c <= 1.
    seed : int
        Seed of the counter RNG (same seed as the Population is fine: separate streams).
    backend : str or Backend
        "numpy", "host", "cupy" or "auto".
    device_offset : int
        Global index of cell 0 (chunks of a larger population give the same processes).
    """

    def __init__(self, correlated, p, c, seed, backend="auto", device_offset=0):
        from pcmphys.backends import get_backend

        self.correlated = np.ascontiguousarray(np.asarray(correlated, dtype=bool))
        if self.correlated.ndim != 1 or self.correlated.size == 0:
            raise ValueError("correlated must be a non-empty 1-D boolean array (one per cell)")
        self.p, self.c = _check_range("p", p, 0, 1, open_=True), _check_range("c", c, 0, 1)
        self.thresholds = thresholds(self.p, self.c)
        self.seed = int(seed)
        self.device_offset = int(device_offset)
        self.n_devices = self.correlated.size
        self.n_correlated = int(self.correlated.sum())
        self.backend = get_backend(backend)
        self.devices = np.arange(self.device_offset, self.device_offset + self.n_devices,
                                 dtype=np.int64)
        if self.backend.compiled:
            self._module = self.backend.module("pcm_correlation.cu")
            self._corr = self.backend.asarray(self.correlated.astype(np.uint8))
        self._driver = np.zeros(0, np.uint8)

    def driver(self, n_steps):
        """X_r(k) for k < n_steps (uint8, host array; cached)."""
        if len(self._driver) < n_steps:
            self._driver = driver(self.seed, n_steps, self.p)
        return self._driver[:n_steps]

    def _thr_args(self):
        return tuple(np.uint64(t) for t in self.thresholds)

    def fired(self, step, driver_k=None):
        """X_i(step) of every cell as a backend uint8 array."""
        d = int(self.driver(step + 1)[step]) if driver_k is None else int(driver_k)
        if not self.backend.compiled:
            return fired_numpy(self.seed, self.devices, step, self.correlated, d, self.p,
                               self.c)
        out = self.backend.zeros(self.n_devices, np.uint8)
        self._module.launch("pcm_corr_fired", self.n_devices, np.uint64(self.seed),
                            np.int64(self.device_offset), np.int64(self.n_devices),
                            np.uint64(step), np.uint8(d), *self._thr_args(), self._corr, out)
        return out

    def momentum(self, n_steps, progress=False):
        """M(k) = sum_i X_i(k) for k < n_steps, reduced on the backend; int64 host array."""
        drv = self.driver(n_steps)
        out = np.zeros(n_steps, np.int64)
        for s0 in _chunks(n_steps, progress, "momentum M(k)"):
            n = min(STEP_CHUNK, n_steps - s0)
            out[s0:s0 + n] = self._momentum_chunk(s0, n, drv[s0:s0 + n])
        return out

    def _momentum_chunk(self, s0, n, drv):
        if not self.backend.compiled:
            return momentum_numpy(self.seed, self.devices, self.correlated, drv, self.p,
                                  self.c, s0, n)
        be, n_quads = self.backend, -(-n // 4)
        n_blocks = -(-self.n_devices // CELLS_PER_BLOCK)
        d = np.zeros(4 * n_quads, np.uint8)
        d[:n] = drv
        partial = be.zeros(n_blocks * n_quads * 4, np.int32)
        self._module.launch("pcm_corr_partial_sums", n_blocks * n_quads, np.uint64(self.seed),
                            np.int64(self.device_offset), np.int64(self.n_devices),
                            np.uint64(s0 // 4), np.int64(n_quads), np.int64(CELLS_PER_BLOCK),
                            np.int64(n_blocks * n_quads), *self._thr_args(), self._corr,
                            be.asarray(d), partial)
        sums = partial.reshape(n_blocks, 4 * n_quads).sum(axis=0, dtype=np.int64)
        return np.asarray(be.to_numpy(sums))[:n]

    def covariance_row_sums(self, momentum, progress=False):
        """W_i = sum_k X_i(k) M(k) over the steps of `momentum` (float64 host array)."""
        n_steps = len(momentum)
        drv = self.driver(n_steps)
        if not self.backend.compiled:
            w = np.zeros(self.n_devices)
            for s0 in _chunks(n_steps, progress, "exact W_i"):
                n = min(STEP_CHUNK, n_steps - s0)
                w += covariance_row_sums_numpy(self.seed, self.devices, self.correlated,
                                               drv[s0:s0 + n], momentum[s0:s0 + n], self.p,
                                               self.c, s0)
            return w
        be = self.backend
        w = be.zeros(self.n_devices, np.float64)
        for s0 in _chunks(n_steps, progress, "exact W_i"):
            n = min(STEP_CHUNK, n_steps - s0)
            n_quads = -(-n // 4)
            d = np.zeros(4 * n_quads, np.uint8)
            d[:n] = drv[s0:s0 + n]
            m = np.full(4 * n_quads, -1.0)
            m[:n] = momentum[s0:s0 + n]
            self._module.launch("pcm_corr_covariance", self.n_devices, np.uint64(self.seed),
                                np.int64(self.device_offset), np.int64(self.n_devices),
                                np.uint64(s0 // 4), np.int64(n_quads), *self._thr_args(),
                                self._corr, be.asarray(d), be.asarray(m), w)
        return np.array(be.to_numpy(w))


def _chunks(n_steps, progress, label):
    starts = range(0, n_steps, STEP_CHUNK)
    if progress:
        from tqdm.auto import tqdm

        return tqdm(starts, desc=label, unit="chunk", leave=False)
    return starts


# ----------------------------------------------------------------------------- orchestration
def run_physical(params, processes, n_steps, rule=None, read_steps=(), step_period=1e-3,
                 set_width=PUBLISHED["set_width"], momentum=None, progress=False,
                 n_total=None):
    """The in-memory experiment on simulated cells.

    All cells are RESET (440 uA, 1 us); step k starts at ``t0 + k * step_period``; cells with
    X_i(k) = 1 receive one SET pulse of ``rule.current(M(k))`` (none when skipped); the
    conductance of every cell is read right after the steps in `read_steps` (k = 1 .. n_steps:
    after k steps).

    Parameters
    ----------
    params : ParameterSet
    processes : CorrelatedProcesses
    n_steps : int
        Number of time steps K.
    rule : LinearRule, optional
        Default: the published rule.
    read_steps : sequence of int
        Step counts after which all cells are read (0 = right after the RESET).
    step_period : float
        Duration of one time step [s] (the chip's time per step is not published; it only
        sets how much the cells drift between pulses).
    set_width : float
        SET pulse width [s].
    momentum : array of int, optional
        Precomputed M(k) (the first pass); computed when None. For a chunk of a larger
        population pass the global M(k) (sum of the chunks' :meth:`CorrelatedProcesses.momentum`)
        and `n_total`: the chunk then evolves exactly as the same cells of the whole run.
    progress : bool
        tqdm progress bars.
    n_total : int, optional
        Size N of the whole population, for the rule's scaling (default: this chunk's size).

    Returns
    -------
    dict
        ``momentum`` (K,), ``current`` [A] (K,), ``driver`` (K,), ``conductance`` {k: (N,) [S]},
        ``pulses`` (N,) SET pulses received per cell, ``pulses_correlated`` /
        ``pulses_uncorrelated`` (K,) cells pulsed per class and step, ``fault`` (N,),
        ``time_momentum`` / ``time_programming`` [s] wall clock.
    """
    from pcmphys.population import Population
    from pcmphys.protocol import Pulse

    rule = rule or LinearRule()
    proc, be = processes, processes.backend
    t_a = time.perf_counter()
    if momentum is None:
        momentum = proc.momentum(n_steps, progress)
    t_b = time.perf_counter()
    current = rule.current(momentum, n_total or proc.n_devices)
    drv = proc.driver(n_steps)
    pop = Population(params, proc.n_devices, proc.seed, be, device_offset=proc.device_offset)
    pop.apply(Pulse.reset(PUBLISHED["reset_current"], PUBLISHED["reset_width"]))
    t0 = pop.clock + step_period
    xp = be.xp
    pulses = be.zeros(proc.n_devices, np.int32)
    corr = be.asarray(proc.correlated)
    per_class = np.zeros((2, n_steps), np.int64)
    reads = sorted(set(int(k) for k in read_steps))
    G = {}
    if 0 in reads:
        G[0] = np.array(be.to_numpy(pop.read()))
    events = sorted(set(np.flatnonzero(current > 0).tolist()) | {k - 1 for k in reads if k})
    it = events
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(events, desc="programming steps", unit="step", leave=False)
    for k in it:
        if current[k] > 0:
            _advance(pop, t0 + k * step_period)
            mask = proc.fired(k, drv[k])
            pop.apply(Pulse.set(current=float(current[k]), width=set_width), where=mask,
                      period=step_period)
            pulses += mask
            nc = int(xp.count_nonzero(mask.astype(bool) & corr))
            per_class[:, k] = nc, int(xp.count_nonzero(mask)) - nc
        if k + 1 in reads:
            _advance(pop, t0 + (k + 1) * step_period)
            G[k + 1] = np.array(be.to_numpy(pop.read()))
    be.synchronize()
    t_c = time.perf_counter()
    return {"momentum": momentum, "current": current, "driver": drv, "conductance": G,
            "pulses": np.array(be.to_numpy(pulses)), "pulses_correlated": per_class[0],
            "pulses_uncorrelated": per_class[1], "fault": pop.state()["fault"],
            "time_momentum": t_b - t_a, "time_programming": t_c - t_b}


def pulse_counts(processes, momentum, rule=None):
    """Cells pulsed per class and step by the programming schedule (no device physics).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        int64 (K,) counts of correlated and of uncorrelated cells that receive a SET pulse at
        each step (zero where the rule skips the step).
    """
    rule = rule or LinearRule()
    be = processes.backend
    current = rule.current(momentum, processes.n_devices)
    drv = processes.driver(len(momentum))
    corr = be.asarray(processes.correlated)
    out = np.zeros((2, len(momentum)), np.int64)
    for k in np.flatnonzero(current > 0):
        mask = processes.fired(int(k), drv[k]).astype(bool)
        nc = int(be.xp.count_nonzero(mask & corr))
        out[:, k] = nc, int(be.xp.count_nonzero(mask)) - nc
    return out[0], out[1]


def _advance(pop, t):
    """Let the population rest until time t [s] (nothing when already there)."""
    dt = t - pop.clock
    if dt > 1e-15 * max(1.0, abs(t)):
        pop.wait(dt)


def run_exact(processes, n_steps, momentum=None, progress=False):
    """Exact detection on the processor: W_i = sum_k X_i(k) M(k) (incremental, O(N) memory).

    Returns
    -------
    dict
        ``w`` (N,) covariance row sums times K [1], ``momentum`` (K,), ``time_momentum``,
        ``time_covariance`` [s] wall clock.
    """
    t_a = time.perf_counter()
    if momentum is None:
        momentum = processes.momentum(n_steps, progress)
    t_b = time.perf_counter()
    w = processes.covariance_row_sums(momentum, progress)
    processes.backend.synchronize()
    return {"w": w, "momentum": momentum, "time_momentum": t_b - t_a,
            "time_covariance": time.perf_counter() - t_b}


def run_physical_distributed(params, correlated, p, c, seed, n_steps, client, chunk_devices,
                             backend="auto", rule=None, read_steps=(), step_period=1e-3,
                             set_width=PUBLISHED["set_width"]):
    """:func:`run_physical` over a dask cluster, cell chunks on the workers.

    Pass 1 (map): every chunk of ``chunk_devices`` cells computes its partial M(k);
    reduce: the client sums them into the global M(k); pass 2 (map): every chunk runs
    :func:`run_physical` with the global M(k) and N. The result equals a single-process run
    cell for cell (all draws are keyed on global cell indices).

    Parameters
    ----------
    params : ParameterSet
    correlated : array of bool, shape (N,)
        Ground truth of the whole population.
    p, c, seed, n_steps, rule, read_steps, step_period, set_width
        As for :class:`CorrelatedProcesses` and :func:`run_physical`.
    client : distributed.Client
        The cluster (see :mod:`pcmphys.distributed`).
    chunk_devices : int
        Cells per task (>= 1).
    backend : str
        Backend name on the workers.

    Returns
    -------
    dict
        ``momentum`` (K,), ``current`` [A] (K,), ``driver`` (K,), ``conductance``
        {k: (N,) [S]}, ``pulses`` (N,), ``fault`` (N,), ``time_momentum`` and
        ``time_programming``: wall time [s] of the two passes.
    """
    from pcmphys.distributed import map_reduce_map

    correlated = np.asarray(correlated, dtype=bool)
    n_total = correlated.size
    rule = rule or LinearRule()

    def partial_momentum(a, b):
        return CorrelatedProcesses(correlated[a:b], p, c, seed, backend, a).momentum(n_steps)

    def simulate_chunk(a, b, momentum):
        proc = CorrelatedProcesses(correlated[a:b], p, c, seed, backend, a)
        out = run_physical(params, proc, n_steps, rule, read_steps, step_period, set_width,
                           momentum=momentum, n_total=n_total)
        return {k: out[k] for k in ("momentum", "current", "conductance", "pulses", "fault")}

    def total(parts):
        return np.sum(parts, axis=0)

    timings = {}
    parts = map_reduce_map(client, n_total, chunk_devices, partial_momentum, total,
                           simulate_chunk, timings)
    return {"momentum": parts[0]["momentum"], "current": parts[0]["current"],
            "driver": driver(seed, n_steps, p), "time_momentum": timings["map"],
            "time_programming": timings["then"],
            "conductance": {k: np.concatenate([q["conductance"][k] for q in parts])
                            for k in parts[0]["conductance"]},
            "pulses": np.concatenate([q["pulses"] for q in parts]),
            "fault": np.concatenate([q["fault"] for q in parts])}
