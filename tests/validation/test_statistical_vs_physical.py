"""The physical and the statistical PCM modes on the same protocol.

A physical-mode population programmed with the protocol of the
Nandakumar et al. (JAP 124, 152135 (2018)) accumulation statistics (RESET 440 uA / 1 us, then
50 ns SET pulses at 100 uA) should land in the same range as the statistical mode's
accumulation (Demirag's per-pulse re-fit [V third-party]). Tolerance: mean conductance within
30 % after 1, 5, 10, 20, 40 pulses (the +-30 % of studies/device_characterization) [E].
The physical cells are read 1 s after the pulse (as in the accumulation protocol of
pcmphys.characterization): a SET pulse heats the glass above T_g and leaves it fresh, so a
read right after the pulse sees the state before its drift.
"""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.statistical import StatisticalPopulation

pytestmark = pytest.mark.validation
N = 3000


def test_physical_accumulation_in_statistical_range():
    try:
        be = pcm.get_backend("host")
    except pcm.BackendUnavailable:
        be = pcm.get_backend("numpy")
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    phys = pcm.Population(ps, N, 11, be)
    phys.apply(pcm.Pulse.reset(current=440e-6, width=1e-6))
    stat = StatisticalPopulation(N, 11, backend=be)
    stat.apply_reset()
    ratios = {}
    for k in range(1, 41):
        phys.apply(pcm.Pulse.set(100e-6, 50e-9))
        stat.apply_set()
        if k in (1, 5, 10, 20, 40):
            phys.wait(1.0)
            g_phys = np.asarray(be.to_numpy(phys.read())).mean()
            g_stat = np.asarray(be.to_numpy(stat.g_prog)).mean()
            ratios[k] = g_phys / g_stat
    for k in (1, 5, 10, 20, 40):
        assert abs(ratios[k] - 1) <= 0.3, ratios
