"""pcmphys.testing: the standard-error assertion fails when it should."""
import pytest

from pcmphys.testing import assert_within_se, backend_or_skip


def test_assert_within_se_passes_and_fails():
    assert_within_se(1.04, 1.0, 0.01)            # 4 se
    with pytest.raises(AssertionError, match="6.00 standard errors"):
        assert_within_se(1.06, 1.0, 0.01)
    with pytest.raises(AssertionError):
        assert_within_se(1.025, 1.0, 0.01, z=2)


def test_backend_or_skip_returns_numpy():
    assert backend_or_skip("numpy").name == "numpy"
