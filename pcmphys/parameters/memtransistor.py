"""Parameters of the phase-change memtransistive synapse (Sarwat et al., Nat. Nanotechnol. 2022).

A separate mechanism class, deliberately **not** part of :class:`ParameterSet` or of the
``sebastian2017_gst90nm`` set: the memtransistive cell is an optional extension of the plain
two-terminal cell and has no published numbers yet.

The size of the gate modulation (dG/G vs V_G), the decay
time constant of the volatile part, the pulse amplitudes and the spreads of the memtransistive
synapse of Sarwat et al. (Nat. Nanotechnol. 2022) are **not verified** here (they need the paper's
figures). Every value below is therefore tagged [E]: a self-consistent default chosen for the
studies, never a paper value. Only the *structure* (volatile trace that decays after each gate
pulse, modulation larger for amorphous than crystalline states) is taken from the paper.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pcmphys.parameters.core import Mechanism, param

__all__ = ["MemtransistorParams", "memtransistor_dtype"]

#: statement attached to every value of this class
NOT_VERIFIED = ("dG/G vs V_G, tau_F and amplitudes of the memtransistive "
                "synapse are NOT verified; [E] default, not a paper value")


@dataclass(frozen=True)
class MemtransistorParams(Mechanism):
    """Gate-controlled volatile modulation of a PCM channel (Sarwat et al. 2022).

    ``G = G_NV (1 + kappa(u_a) (V_G - V_G0) + F)``, ``F <- F exp(-dt/tau_F) + A_k`` at gate
    pulse k. All values are [E] estimates (see the module docstring).
    """

    section = "memtransistor"

    gate_coupling_amorphous: float = param(
        0.2, "1/V", "sarwat2022memtransistive", "E", (0.0, 100.0),
        "kappa of a thick amorphous channel: relative dG/G per volt of static gate bias. "
        + NOT_VERIFIED)
    crystalline_modulation_ratio: float = param(
        0.05, "1", "sarwat2022memtransistive", "E", (0.0, 1.0),
        "kappa and A of a fully crystalline channel relative to a thick amorphous one "
        "(degenerate crystalline GST screens the gate). " + NOT_VERIFIED)
    modulation_thickness: float = param(
        10e-9, "m", "", "E", (1e-11, 1e-6),
        "amorphous thickness over which the modulation reaches the amorphous value: "
        "weight s = r_c + (1 - r_c)(1 - exp(-u_a / this)). " + NOT_VERIFIED)
    gate_reference_voltage: float = param(
        0.0, "V", "", "E", (-100.0, 100.0),
        "V_G0: gate bias with no static modulation. " + NOT_VERIFIED)
    facilitation_amplitude: float = param(
        0.5, "1", "sarwat2022memtransistive", "E", (0.0, 100.0),
        "A: jump of the volatile trace F per gate pulse of the reference amplitude on a "
        "thick amorphous channel. " + NOT_VERIFIED)
    facilitation_reference_voltage: float = param(
        1.0, "V", "", "E", (1e-6, 100.0),
        "gate pulse amplitude (relative to V_G0) that gives A; A scales linearly with it. "
        + NOT_VERIFIED)
    facilitation_time: float = param(
        50e-3, "s", "sarwat2022memtransistive", "E", (1e-12, 1e6),
        "tau_F: median decay time of the volatile trace. " + NOT_VERIFIED)
    facilitation_time_device_sigma: float = param(
        0.2, "1", "", "E", (0.0, 3.0),
        "lognormal sigma of tau_F from cell to cell. " + NOT_VERIFIED, stochastic=True)
    facilitation_time_cycle_sigma: float = param(
        0.1, "1", "", "E", (0.0, 3.0),
        "lognormal sigma of tau_F redrawn at every gate pulse. " + NOT_VERIFIED,
        stochastic=True)
    facilitation_amplitude_device_sigma: float = param(
        0.2, "1", "", "E", (0.0, 3.0),
        "lognormal sigma of A from cell to cell. " + NOT_VERIFIED, stochastic=True)
    facilitation_amplitude_cycle_sigma: float = param(
        0.15, "1", "", "E", (0.0, 3.0),
        "lognormal sigma of A redrawn at every gate pulse. " + NOT_VERIFIED,
        stochastic=True)

    def deterministic(self):
        """Copy with every spread set to 0 (for known-answer tests)."""
        values = {i.name: (0.0 if i.stochastic else getattr(self, i.name))
                  for i in self.fields_info()}
        return type(self)(**values)

    def replace(self, **changes):
        """Copy with some fields changed (validated; unknown names raise TypeError)."""
        values = {n: getattr(self, n) for n in self.field_names()}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"unknown memtransistor parameter(s) {sorted(unknown)}; "
                            f"valid: {', '.join(self.field_names())}")
        values.update(changes)
        return type(self)(**values)

    def to_struct(self):
        """The values as the NumPy structured scalar ``pcm_mt_params`` of the kernel.

        Returns
        -------
        numpy.void
            float64 fields in SI, in declaration order (dtype :func:`memtransistor_dtype`).
        """
        arr = np.zeros(1, dtype=memtransistor_dtype())
        arr[0] = tuple(getattr(self, n) for n in self.field_names())
        return arr[0]


def memtransistor_dtype():
    """NumPy dtype of ``struct pcm_mt_params`` in kernels/pcm_memtransistor.cu (align=True)."""
    return np.dtype([(n, np.float64) for n in MemtransistorParams.field_names()], align=True)
