"""Helpers for test suites built on pcmphys (ours and users').

* :func:`assert_within_se` states a stochastic assertion in standard errors;
* :func:`backend_or_skip` returns a backend or skips the calling pytest test with the reason
  the backend is unavailable (no compiler, no CuPy, no GPU).
"""
from __future__ import annotations

__all__ = ["assert_within_se", "backend_or_skip"]


def assert_within_se(estimate, expected, se, z=5.0):
    """Assert ``|estimate - expected| <= z se`` (z = 5: false-fail probability ~6e-7)."""
    if not abs(estimate - expected) <= z * se:
        raise AssertionError(f"{estimate!r} differs from {expected!r} by "
                             f"{abs(estimate - expected) / se:.2f} standard errors "
                             f"(se {se!r}, allowed {z})")


def backend_or_skip(name):
    """The backend ``name``, or ``pytest.skip`` with the reason it is unavailable."""
    import pytest

    from pcmphys.backends import BackendUnavailable, get_backend

    try:
        return get_backend(name)
    except BackendUnavailable as exc:
        pytest.skip(f"backend {name} unavailable: {exc}")
