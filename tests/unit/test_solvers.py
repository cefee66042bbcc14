"""Mixed-precision iterative refinement (pcmphys.computing.solvers)."""
import numpy as np
import pytest
import scipy.sparse as sp

from pcmphys.computing.solvers import (
    NotConvergedError,
    NotPositiveDefiniteError,
    mixed_precision_solve,
)


def covariance(n, length=1.0, half_bandwidth=5):
    """Banded model covariance exp(-|i-j|/length), zero beyond the half-bandwidth."""
    i = np.arange(n)
    d = np.abs(i[:, None] - i[None, :])
    a = np.exp(-d / length)
    a[d > half_bandwidth] = 0.0
    return a


class NoisyMatrix:
    """A with independent multiplicative noise on every entry at every call (a noisy memory)."""

    def __init__(self, a, rel_sigma, seed):
        self.a, self.s = a, rel_sigma
        self.rng = np.random.default_rng(seed)
        self.calls = 0

    def mvm(self, x):
        self.calls += 1
        return (self.a * (1.0 + self.s * self.rng.standard_normal(self.a.shape))) @ x


@pytest.fixture
def system():
    a = covariance(96)
    b = np.random.default_rng(11).standard_normal(96)
    return a, b


def true_rel_residual(a, b, x):
    return np.linalg.norm(b - a @ x) / np.linalg.norm(b)


def test_exact_inner_converges_in_two_refinements(system):
    a, b = system
    rep = mixed_precision_solve(a, b, inner_tol=1e-10, tol=1e-12)
    assert rep.converged and rep.reason == "converged"
    assert rep.refinements <= 2
    assert true_rel_residual(a, b, rep.x) < 1e-12
    assert np.allclose(rep.x, np.linalg.solve(a, b), rtol=0, atol=1e-10)
    assert rep.device_mvms == rep.total_inner_iterations  # CG: one product per iteration
    assert len(rep.residual_history) == rep.refinements + 1


def test_noisy_memory_reaches_1e12(system):
    a, b = system
    op = NoisyMatrix(a, 0.05, seed=5)
    rep = mixed_precision_solve(a, b, inner=op, tol=1e-12, inner_tol=0.1)
    assert rep.converged
    assert true_rel_residual(a, b, rep.x) < 1e-12
    assert rep.device_mvms == op.calls
    assert rep.refinements > 2  # the noise does cost refinements
    assert 0.5 < rep.fraction_in_memory < 1.0


def test_gmres_noisy_nonsymmetric():
    n = 80
    a = covariance(n) + 0.3 * np.diag(np.ones(n - 1), 1)  # non-symmetric, well conditioned
    b = np.random.default_rng(12).standard_normal(n)
    with pytest.raises(NotPositiveDefiniteError, match="not symmetric"):
        mixed_precision_solve(a, b, method="cg")
    rep = mixed_precision_solve(a, b, inner=NoisyMatrix(a, 0.05, seed=6), method="gmres",
                                tol=1e-12, inner_tol=0.1)
    assert rep.converged and true_rel_residual(a, b, rep.x) < 1e-12


def test_refinements_grow_with_noise(system):
    a, b = system
    counts = [mixed_precision_solve(a, b, inner=NoisyMatrix(a, s, seed=7), inner_tol=0.01)
              .refinements for s in (0.01, 0.1, 0.3)]
    assert counts[0] < counts[1] < counts[2], counts


def test_sparse_matrix_and_callable_operator(system):
    a, b = system
    a_sp = sp.csr_matrix(a)
    rep = mixed_precision_solve(a_sp, b, inner=lambda x: a_sp @ x, inner_tol=1e-10)
    assert rep.converged and true_rel_residual(a, b, rep.x) < 1e-12


def test_not_positive_definite_is_reported():
    a = covariance(40)
    a[0, 0] = -1.0  # symmetric, indefinite
    b = np.ones(40)
    with pytest.raises(NotPositiveDefiniteError, match="not positive definite"):
        mixed_precision_solve(a, b)
    with pytest.raises(NotPositiveDefiniteError, match="not positive definite"):
        mixed_precision_solve(sp.csr_matrix(a), b)  # banded Cholesky path
    # without the up-front check, exact-operator CG meets p^T A p <= 0 and says so
    a2 = np.diag(np.r_[np.ones(20), -np.ones(20)])
    with pytest.raises(NotPositiveDefiniteError, match="p\\^T A p"):
        mixed_precision_solve(a2, np.ones(40), check=False)


def test_iteration_cap_reports_not_converged(system):
    a, b = system
    rep = mixed_precision_solve(a, b, inner=NoisyMatrix(a, 0.05, seed=8), inner_tol=0.5,
                                max_refinements=3)
    assert not rep.converged and rep.reason == "iteration cap"
    assert rep.refinements == 3 and rep.relative_residual > 1e-12
    with pytest.raises(NotConvergedError) as err:
        mixed_precision_solve(a, b, inner=NoisyMatrix(a, 0.05, seed=8), inner_tol=0.5,
                              max_refinements=3, raise_on_failure=True)
    assert err.value.report.refinements == 3


def test_hopeless_memory_stops(system):
    a, b = system
    rep = mixed_precision_solve(a, b, inner=NoisyMatrix(a, 3.0, seed=9), max_refinements=500)
    assert not rep.converged
    assert rep.reason in ("diverged", "stagnated")
    assert rep.refinements < 500


@pytest.mark.parametrize("arg", ["b", "x0", "A"])
def test_nan_input_names_argument(system, arg):
    a, b = system
    a, b, x0 = a.copy(), b.copy(), np.zeros(96)
    {"A": a, "b": b, "x0": x0}[arg][3 if arg != "A" else (3, 3)] = np.nan
    with pytest.raises(ValueError, match=f"{arg} contains NaN"):
        mixed_precision_solve(a, b, x0=x0)


def test_shape_mismatch(system):
    a, b = system
    with pytest.raises(ValueError, match="b must have shape \\(96,\\)"):
        mixed_precision_solve(a, b[:-1])
    with pytest.raises(ValueError, match="square"):
        mixed_precision_solve(a[:, :-1], b)
    with pytest.raises(ValueError, match="inner operator returned shape"):
        mixed_precision_solve(a, b, inner=lambda x: x[:-1])
    with pytest.raises(ValueError, match="method"):
        mixed_precision_solve(a, b, method="lu")


def test_crossbar_inner_operator_reaches_1e12():
    """A statistical-mode Crossbar (dense, 32 x 32) as the inner operator."""
    from pcmphys.computing.crossbar import Crossbar

    a = covariance(32, length=1.0, half_bandwidth=31)
    b = np.random.default_rng(13).standard_normal(32)
    xb = Crossbar(32, 32, seed=21, backend="numpy")
    xb.program(a)
    rep = mixed_precision_solve(a, b, inner=xb, inner_tol=0.1)
    assert rep.converged and true_rel_residual(a, b, rep.x) < 1e-12
    assert rep.macs_memory == rep.device_mvms * 32 * 32
