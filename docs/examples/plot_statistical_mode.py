"""
The statistical mode: programmed conductances drifting and read with noise
==========================================================================

Besides the physical model, pcmphys has the field's empirical PCM model (programming noise,
state-dependent drift exponent and 1/f read noise as functions of the target conductance,
fitted on a million-device chip) on the same backends: :class:`pcmphys.StatisticalPopulation`.
It is much cheaper per cell and is what the crossbar and training code use by default.
"""
import matplotlib.pyplot as plt
import numpy as np

import pcmphys as pcm

levels = np.array([2e-6, 5e-6, 10e-6, 20e-6])       # target conductances [S]
targets = np.repeat(levels, 2000)
cells = pcm.StatisticalPopulation(targets.size, seed=4)
cells.program(targets)
times = np.logspace(0, 6, 7)                        # 1 s .. ~11 days
reads = np.array([np.asarray(cells.read(t)) for t in times])   # (times, cells)

fig, ax = plt.subplots(figsize=(5, 3.5))
for k, level in enumerate(levels):
    g = reads[:, k * 2000:(k + 1) * 2000] * 1e6
    ax.semilogx(times, g.mean(axis=1), "o-", color=f"C{k}", label=f"{level * 1e6:g} uS")
    ax.fill_between(times, *np.percentile(g, [10, 90], axis=1), color=f"C{k}", alpha=0.2)
    print(f"target {level * 1e6:4.0f} uS: mean {g[0].mean():5.2f} uS at 1 s, "
          f"{g[-1].mean():5.2f} uS at {times[-1]:.0e} s")
ax.set_xlabel("time since programming [s]")
ax.set_ylabel("conductance [uS]")
ax.legend(title="target")
fig.tight_layout()
