"""The numpy backend: the NumPy reference implementation, no compiled kernels."""

from __future__ import annotations

from .base import Backend

__all__ = ["NumpyBackend"]


class NumpyBackend(Backend):
    """Runs the NumPy reference (``pcmphys.physics``); always available.

    :meth:`module` raises: there are no compiled kernels on this backend.
    """

    name = "numpy"
    compiled = False
