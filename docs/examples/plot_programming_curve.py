"""
Programming curve: resistance against RESET current
===================================================

Cells are first crystallised, then receive pulses of increasing current. Below the melting
threshold nothing changes; above it a growing molten dome is quenched into an amorphous plug
and the resistance rises by orders of magnitude. :mod:`pcmphys.characterization` runs this and
the other standard measurement protocols.
"""
import matplotlib.pyplot as plt
import numpy as np

import pcmphys as pcm
from pcmphys import characterization

params = pcm.ParameterSet.load("sebastian2017_gst90nm")
currents = np.linspace(100e-6, 600e-6, 11)
out = characterization.programming_curve(params, currents, n_devices=500, seed=2)
r = out["resistance"][:, out["healthy"]]            # (currents, healthy cells)
median = np.median(r, axis=1)
print(f"median R: {median[0]:.3g} Ohm at {currents[0] * 1e6:.0f} uA, "
      f"{median[-1]:.3g} Ohm at {currents[-1] * 1e6:.0f} uA")

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogy(currents * 1e6, np.percentile(r, [10, 90], axis=1).T, color="C0", ls=":")
ax.semilogy(currents * 1e6, median, "o-", color="C0", label="median (dotted: 10 % / 90 %)")
ax.set_xlabel("pulse current [uA]")
ax.set_ylabel("resistance [Ohm]")
ax.legend()
fig.tight_layout()
