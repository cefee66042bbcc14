"""Mixed-precision iterative refinement with an in-memory inner solver.

The algorithm of Le Gallo et al. (Nat. Electron. 1, 246 (2018)):

.. code-block:: text

    x = x0
    loop:
        r = b - A x                      # float64, processor (exact A)
        if ||r|| / ||b|| < tol: stop
        solve A z ~= r approximately     # inner Krylov solver, its products A p on the memory
        x = x + z                        # float64, processor

The inner solver is conjugate gradients (CG, symmetric positive-definite A) or GMRES
(non-symmetric A). Its matrix-vector products go to an *inner operator*: any object with an
``mvm(x)`` method (a :class:`pcmphys.computing.crossbar.Crossbar`, possibly bound to a read time), a
callable ``f(x) -> A x``, or a plain matrix (the exact float64 reference). Since the outer
loop recomputes the residual exactly, the final accuracy is set by the float64 loop, not by
the precision of the memory; the memory's imprecision only sets how many refinements are
needed (the error contracts per refinement by roughly the inner solver's relative error).

Counts reported: outer refinements, inner iterations, inner-operator calls (device MVMs, i.e.
array reads) and the multiply-accumulates (MACs) done in memory and on the processor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "NotConvergedError",
    "NotPositiveDefiniteError",
    "RefinementReport",
    "SolverError",
    "as_operator",
    "check_spd",
    "cg_inner",
    "gmres_inner",
    "mixed_precision_solve",
]

METHODS = ("cg", "gmres")


class SolverError(Exception):
    """Base class of the solver's errors."""


class NotPositiveDefiniteError(SolverError, ValueError):
    """CG was asked to solve a system whose matrix is not symmetric positive definite."""


class NotConvergedError(SolverError, RuntimeError):
    """Raised (with ``raise_on_failure=True``) when refinement stops before the tolerance.

    Attributes
    ----------
    report : RefinementReport
        The full report of the failed run.
    """

    def __init__(self, message, report):
        super().__init__(message)
        self.report = report


@dataclass
class RefinementReport:
    """Outcome of :func:`mixed_precision_solve`.

    Attributes
    ----------
    x : numpy.ndarray
        Final iterate (float64).
    converged : bool
        True when ``||b - A x|| / ||b|| < tol``.
    reason : str
        Why the loop stopped ("converged", "iteration cap", "diverged", "stagnated").
    refinements : int
        Outer refinements done (inner solves plus updates).
    inner_iterations : list of int
        Inner Krylov iterations of each refinement.
    device_mvms : int
        Calls to the inner operator (memory array reads), all refinements together.
    residual_history : list of float
        ``||b - A x|| / ||b||`` [1] before the first refinement and after each one.
    macs_memory, macs_processor : int
        Multiply-accumulates done in memory (inner-operator products) and on the processor
        (exact residuals, Krylov vector operations, updates).
    """

    x: np.ndarray
    converged: bool = False
    reason: str = ""
    refinements: int = 0
    inner_iterations: list = field(default_factory=list)
    device_mvms: int = 0
    residual_history: list = field(default_factory=list)
    macs_memory: int = 0
    macs_processor: int = 0

    @property
    def total_inner_iterations(self):
        """Sum of the inner iterations over all refinements."""
        return int(sum(self.inner_iterations))

    @property
    def fraction_in_memory(self):
        """Fraction of all multiply-accumulates done in memory [1]."""
        total = self.macs_memory + self.macs_processor
        return self.macs_memory / total if total else 0.0

    @property
    def relative_residual(self):
        """Final ``||b - A x|| / ||b||`` [1]."""
        return self.residual_history[-1] if self.residual_history else math.nan


# ------------------------------------------------------------------ checks
def _finite_vector(name, v, n=None):
    try:
        v = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real numeric vector, got {type(v).__name__}") from None
    if v.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {v.shape}")
    if n is not None and v.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) to match A, got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or inf; it must be finite")
    return v


def _matrix(a):
    """A as float64 dense array or scipy sparse matrix, checked square and finite."""
    try:
        import scipy.sparse as sp
        sparse = sp.issparse(a)
    except ImportError:  # pragma: no cover - scipy is a dependency of the studies
        sparse = False
    if sparse:
        a = a.tocsr().astype(np.float64)
        vals = a.data
    else:
        a = np.asarray(a, dtype=np.float64)
        vals = a
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError("A must not be empty")
    if not np.all(np.isfinite(vals)):
        raise ValueError("A contains NaN or inf; it must be finite")
    return a, sparse


def _nnz(a, sparse):
    return int(a.nnz) if sparse else int(np.count_nonzero(a))


def check_spd(a, sparse=False, rtol=1e-12, max_dense=6000):
    """Raise :class:`NotPositiveDefiniteError` unless `a` is symmetric positive definite.

    Symmetry is checked to ``|A - A^T|_max <= rtol max|A|``; definiteness by a float64
    Cholesky factorisation: banded (``scipy.linalg.cholesky_banded``, O(n w^2)) for a sparse
    matrix of half-bandwidth w <= 512, dense (O(n^3)) up to ``max_dense`` rows. Larger
    matrices that are neither skip the factorisation with a warning; the exact-operator CG
    still detects ``p^T A p <= 0``.
    """
    if sparse:
        coo = a.tocoo()
        scale = float(np.max(np.abs(coo.data))) if coo.nnz else 0.0
        asym = float(abs(a - a.T).max()) if coo.nnz else 0.0
        w = int(np.max(np.abs(coo.row - coo.col))) if coo.nnz else 0
    else:
        scale = float(np.max(np.abs(a)))
        asym = float(np.max(np.abs(a - a.T)))
        w = None
    if asym > rtol * scale:
        raise NotPositiveDefiniteError(
            f"A is not symmetric (max |A - A^T| = {asym:.3g} > {rtol:g} max|A|): CG needs a "
            "symmetric positive-definite matrix; use method='gmres'")
    n = a.shape[0]
    if sparse and w <= 512:
        from scipy.linalg import cholesky_banded

        upper = np.zeros((w + 1, n))
        for k in range(w + 1):  # row w - k holds the k-th superdiagonal, right-aligned
            upper[w - k, k:] = a.diagonal(k)
        try:
            cholesky_banded(upper, lower=False)
        except np.linalg.LinAlgError:
            raise NotPositiveDefiniteError(
                "A is symmetric but not positive definite (banded Cholesky failed): CG needs "
                "p^T A p > 0 for all p; use method='gmres'") from None
        return
    if n > max_dense:
        import warnings

        warnings.warn(f"positive-definiteness of the {n} x {n} matrix not checked (too large "
                      "for a dense Cholesky); relying on the CG curvature test", stacklevel=3)
        return
    d = a.toarray() if sparse else a
    try:
        np.linalg.cholesky(d)
    except np.linalg.LinAlgError:
        lam = float(np.linalg.eigvalsh(d)[0])
        raise NotPositiveDefiniteError(
            f"A is symmetric but not positive definite (smallest eigenvalue {lam:.3g}): CG "
            "needs p^T A p > 0 for all p; use method='gmres'") from None


# ------------------------------------------------------------------ inner operator
class _CountingOperator:
    """Wraps the inner operator, counts its calls and checks its output."""

    def __init__(self, op, n):
        self.n = n
        self.calls = 0
        self.exact = False
        self.macs_per_call = n * n
        if hasattr(op, "mvm"):
            self._f = op.mvm
            self.macs_per_call = int(getattr(op, "macs_per_mvm", None)
                                     or getattr(op, "rows", n) * getattr(op, "cols", n))
        elif callable(op):
            self._f = op
            self.macs_per_call = int(getattr(op, "macs_per_mvm", n * n))
        else:
            mat, sparse = _matrix(op)
            if mat.shape != (n, n):
                raise ValueError(f"inner operator matrix must have shape ({n}, {n}), got "
                                 f"{mat.shape}")
            self._f = mat.__matmul__
            self.exact = True
            self.macs_per_call = _nnz(mat, sparse)

    def __call__(self, x):
        self.calls += 1
        y = self._f(x)
        if hasattr(y, "get"):  # CuPy array from a cupy-backend crossbar
            y = y.get()
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (self.n,):
            raise ValueError(f"inner operator returned shape {y.shape}, expected ({self.n},)")
        if not np.all(np.isfinite(y)):
            raise SolverError("inner operator returned NaN or inf")
        return y


def as_operator(op, n):
    """The inner operator as a counting callable ``x -> A x`` (see module docstring)."""
    return _CountingOperator(op, n)


# ------------------------------------------------------------------ inner solvers
def cg_inner(matvec, r, tol, maxiter, exact=False):
    """Approximate solve of ``A z = r`` by conjugate gradients.

    Parameters
    ----------
    matvec : callable
        ``p -> A p`` (possibly noisy: a memory read per call).
    r : numpy.ndarray
        Right-hand side.
    tol : float
        Stop when the recursive residual ``||r_k|| <= tol ||r||`` [1].
    maxiter : int
        Iteration cap (one operator call per iteration).
    exact : bool
        True when `matvec` is the exact matrix: a curvature ``p^T A p <= 0`` then proves A is
        not positive definite and raises; for a noisy operator it only ends the inner solve.

    Returns
    -------
    z : numpy.ndarray
    iterations : int
    """
    z = np.zeros_like(r)
    res = r.copy()
    p = res.copy()
    rr = float(res @ res)
    stop = (tol * math.sqrt(rr)) ** 2
    k = 0
    while k < maxiter and rr > stop:
        ap = matvec(p)
        k += 1
        curv = float(p @ ap)
        if curv <= 0.0:
            if exact:
                raise NotPositiveDefiniteError(
                    f"CG found p^T A p = {curv:.3g} <= 0 at inner iteration {k}: A is not "
                    "positive definite; use method='gmres'")
            break  # noisy operator: keep what we have, the outer loop corrects it
        alpha = rr / curv
        z += alpha * p
        res -= alpha * ap
        rr_new = float(res @ res)
        p = res + (rr_new / rr) * p
        rr = rr_new
    return z, k


def gmres_inner(matvec, r, tol, maxiter):
    """Approximate solve of ``A z = r`` by (unrestarted) GMRES with ``maxiter`` steps.

    Arnoldi with modified Gram-Schmidt; the small least-squares problem is solved at every
    step to test the residual ``||r - A z_k|| <= tol ||r||`` (as the Arnoldi relation gives it,
    i.e. for the operator as read). Returns ``(z, iterations)``.
    """
    n = r.shape[0]
    beta = float(np.linalg.norm(r))
    m = min(maxiter, n)
    v = np.zeros((m + 1, n))
    h = np.zeros((m + 1, m))
    v[0] = r / beta
    y = np.zeros(0)
    k = 0
    for k in range(1, m + 1):
        w = matvec(v[k - 1])
        for i in range(k):
            h[i, k - 1] = float(v[i] @ w)
            w = w - h[i, k - 1] * v[i]
        h[k, k - 1] = float(np.linalg.norm(w))
        e1 = np.zeros(k + 1)
        e1[0] = beta
        y = np.linalg.lstsq(h[:k + 1, :k], e1, rcond=None)[0]
        res = float(np.linalg.norm(e1 - h[:k + 1, :k] @ y))
        if res <= tol * beta or h[k, k - 1] <= 1e-14 * beta:
            break
        v[k] = w / h[k, k - 1]
    return v[:k].T @ y, k


def _inner_processor_macs(method, n, k):
    """Processor MACs of k inner iterations (vector work besides the operator calls)."""
    if method == "cg":
        return 5 * n * k  # 2 dot products, 3 axpys per iteration
    return n * k * (k + 3)  # Gram-Schmidt (~k^2/2 dots + axpys) and the final combination


# ------------------------------------------------------------------ outer loop
def mixed_precision_solve(a, b, inner=None, method="cg", tol=1e-12, inner_tol=1e-2,
                          inner_maxiter=50, max_refinements=100, x0=None, check=True,
                          raise_on_failure=False, stagnation=8, progress=False, callback=None):
    """Solve ``A x = b`` by float64 iterative refinement with an inexact inner solver.

    Parameters
    ----------
    a : array_like or scipy.sparse matrix, shape (n, n)
        The exact matrix (float64, used for the residuals on the processor).
    b : array_like, shape (n,)
        Right-hand side (finite).
    inner : object with ``mvm(x)``, callable or matrix, optional
        Operator for the inner products ``A p`` (the computational memory). Default: `a`
        itself (exact float64 inner solve).
    method : {"cg", "gmres"}
        Inner solver; CG needs symmetric positive-definite `a`.
    tol : float
        Target relative residual ``||b - A x|| / ||b||`` [1], > 0.
    inner_tol : float
        Relative residual at which an inner solve stops [1], in (0, 1).
    inner_maxiter : int
        Cap on inner iterations per refinement.
    max_refinements : int
        Cap on outer refinements; the loop always ends.
    x0 : array_like, optional
        Initial guess (default zeros).
    check : bool
        For CG, verify symmetry and positive definiteness of `a` first (Cholesky).
    raise_on_failure : bool
        Raise :class:`NotConvergedError` (carrying the report) instead of returning a report
        with ``converged=False``.
    stagnation : int
        Stop when the best residual has not improved for this many refinements: "diverged"
        if the residual has by then grown above 10x the best one, else "stagnated". (A
        residual that grows 1e6-fold or turns non-finite stops at once as "diverged".)
    progress : bool
        Show a tqdm progress bar over refinements.
    callback : callable, optional
        ``callback(x, refinement)`` after each refinement (refinement 0: the initial guess),
        e.g. to record the error norm against a reference solution.

    Returns
    -------
    RefinementReport

    Raises
    ------
    ValueError
        Bad shapes, NaN/inf in `a`, `b` or `x0`, bad options.
    NotPositiveDefiniteError
        ``method="cg"`` with a matrix that is not symmetric positive definite.
    NotConvergedError
        Only with ``raise_on_failure=True``.

    Notes
    -----
    With inner relative error eta (the memory's imprecision folded through the inner solve)
    the residual contracts by about eta per refinement, so about ``log(tol)/log(eta)``
    refinements are needed; divergence (eta >= 1) is detected and reported.
    """
    if method not in METHODS:
        raise ValueError(f"method = {method!r} is not allowed; choose one of {METHODS}")
    a, sparse = _matrix(a)
    n = a.shape[0]
    b = _finite_vector("b", b, n)
    x = np.zeros(n) if x0 is None else _finite_vector("x0", x0, n).copy()
    if not (0.0 < float(tol) < 1.0):
        raise ValueError(f"tol = {tol!r} must lie in (0, 1)")
    if not (0.0 < float(inner_tol) < 1.0):
        raise ValueError(f"inner_tol = {inner_tol!r} must lie in (0, 1)")
    for name, v in (("inner_maxiter", inner_maxiter), ("max_refinements", max_refinements),
                    ("stagnation", stagnation)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} = {v!r} must be a positive integer")
    if method == "cg" and check:
        check_spd(a, sparse)
    op = as_operator(a if inner is None else inner, n)
    nnz = _nnz(a, sparse)
    report = RefinementReport(x=x)
    bnorm = float(np.linalg.norm(b))
    if bnorm == 0.0:
        report.x, report.converged, report.reason = np.zeros(n), True, "converged"
        report.residual_history.append(0.0)
        return report
    r = b - a @ x
    report.macs_processor += nnz
    rel = float(np.linalg.norm(r)) / bnorm
    report.residual_history.append(rel)
    best, since_best = rel, 0
    if callback is not None:
        callback(x, 0)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=max_refinements, desc=f"refinement n={n}", leave=False)
    try:
        while rel >= tol:
            if report.refinements >= max_refinements:
                report.reason = "iteration cap"
                break
            if method == "cg":
                z, k = cg_inner(op, r, inner_tol, inner_maxiter, exact=op.exact)
            else:
                z, k = gmres_inner(op, r, inner_tol, inner_maxiter)
            report.inner_iterations.append(k)
            report.macs_processor += _inner_processor_macs(method, n, k) + n
            x = x + z
            r = b - a @ x
            report.macs_processor += nnz
            report.refinements += 1
            rel = float(np.linalg.norm(r)) / bnorm
            report.residual_history.append(rel)
            if callback is not None:
                callback(x, report.refinements)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(residual=f"{rel:.2e}")
            if not math.isfinite(rel) or rel > 1e6 * max(best, tol):
                report.reason = "diverged"
                break
            if rel < best:
                best, since_best = rel, 0
            else:
                since_best += 1
                if since_best >= stagnation:  # no progress: growing (diverged) or flat
                    report.reason = "diverged" if rel > 10.0 * best else "stagnated"
                    break
    finally:
        if bar is not None:
            bar.close()
    report.x = x
    report.converged = rel < tol
    if report.converged:
        report.reason = "converged"
    report.device_mvms = op.calls
    report.macs_memory = op.calls * op.macs_per_call
    if not report.converged and raise_on_failure:
        raise NotConvergedError(
            f"refinement stopped ({report.reason}) after {report.refinements} refinements at "
            f"relative residual {rel:.3g} > tol {tol:g}", report)
    return report
