"""
Drift after RESET, from a simulate() run
========================================

After a melt-quench the amorphous plug relaxes structurally and its resistance drifts up as
a power law, ``R(t) = R0 (t / 1 s)^nu``. :func:`pcmphys.simulate` runs a protocol on many
cells and returns an xarray Dataset; its ``ds.pcm`` accessor fits the drift exponent of every
cell.
"""
import matplotlib.pyplot as plt
import numpy as np

import pcmphys as pcm

times = np.logspace(0, 4, 5)                        # 1 s .. 10^4 s after the pulse
protocol = pcm.PulseTrain([pcm.Pulse.reset()] + [pcm.Read(at=t) for t in times])
ds = pcm.simulate("sebastian2017_gst90nm", protocol, n_devices=1000, seed=3,
                  record=("resistance",), progress=False)
nu = np.asarray(ds.pcm.drift_exponent()["drift_exponent"])
print(f"drift exponent: median {np.median(nu):.3f}, "
      f"interquartile range {np.percentile(nu, 25):.3f} .. {np.percentile(nu, 75):.3f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.5))
r = np.asarray(ds["resistance"])
ax1.loglog(times, r[:20].T, color="C0", lw=0.7)
ax1.loglog(times, np.median(r, axis=0), color="k", lw=2, label="median")
ax1.set_xlabel("time since the RESET pulse [s]")
ax1.set_ylabel("resistance [Ohm]")
ax1.legend()
ax2.hist(nu, bins=50, color="C1")
ax2.set_xlabel("drift exponent nu")
ax2.set_ylabel("cells")
fig.tight_layout()
