"""Validation of crossbar MVM precision on statistical-mode PCM cells.

Sebastian et al., J. Appl. Phys. 124, 111101 (2018) (tutorial), Fig. 5b: a 256 x 256 Gaussian
matrix times Gaussian vectors on the 90 nm PCM chip reaches a precision comparable to 4-bit
fixed point [V tutorial]. Tolerance: +-1 bit ("comparable to").
Equivalent bits: the b at which a b-bit fixed-point A and x give the same error std
(studies/mvm_precision).
"""
import importlib.util
import pathlib

import numpy as np
import pytest

from pcmphys.computing.crossbar import Crossbar

pytestmark = pytest.mark.validation
_RUN = pathlib.Path(__file__).resolve().parents[2] / "studies" / "mvm_precision" / "run.py"
_spec = importlib.util.spec_from_file_location("mvm_precision_run", _RUN)
_study = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_study)
BITS, equivalent_bits, fixed_point_error_std = (_study.BITS, _study.equivalent_bits,
                                                _study.fixed_point_error_std)

N = 128


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(12)
    a = rng.standard_normal((N, N))
    x = rng.standard_normal((N, 40))
    return a, x, fixed_point_error_std(a, x, BITS)


def _bits(a, x, fp, t, **kw):
    xb = Crossbar(N, N, seed=21, backend="numpy", **kw)
    xb.program(a)
    return equivalent_bits(np.std(xb.mvm(x, t=t) - a @ x), fp)


def test_equivalent_bits_about_four(problem):
    """Tutorial Fig. 5b: ~4-bit precision shortly after programming (t = 1 s), 4 +- 1 bit."""
    a, x, fp = problem
    assert 3.0 <= _bits(a, x, fp, 1.0) <= 5.0


def test_drift_lowers_precision_and_compensation_restores_it(problem):
    """Drift lowers the precision over a day; global drift compensation recovers most of it
    (Le Gallo et al., Nat. Electron. 2018: calibration compensates the temporal evolution)."""
    a, x, fp = problem
    b0 = _bits(a, x, fp, 1.0)
    b_day = _bits(a, x, fp, 86400.0)
    b_day_comp = _bits(a, x, fp, 86400.0, drift_compensation=True)
    assert b_day < b0 - 0.5
    assert b_day_comp > b_day + 0.5
    assert b_day_comp > b0 - 0.5


def test_fixed_point_reference_halves_per_bit(problem):
    """Sanity of the yardstick: the fixed-point error std halves per added bit (from 4 bits)."""
    _, _, fp = problem
    ratios = fp[3:-1] / fp[4:]
    assert np.all(np.abs(ratios - 2.0) < 0.3)
