"""
Accumulation: conductance rises pulse by pulse
==============================================

A population of cells is melt-quenched (RESET, 440 uA for 1 us) and then receives identical
SET pulses (100 uA, 50 ns). Each pulse grows crystal into the amorphous plug, so the read
conductance climbs gradually, with a spread from cell to cell and from pulse to pulse: the
behaviour that makes PCM cells usable as analog synapses and accumulators.
"""
import matplotlib.pyplot as plt
import numpy as np

import pcmphys as pcm

params = pcm.ParameterSet.load("sebastian2017_gst90nm")
pop = pcm.Population(params, n_devices=2000, seed=1, backend="auto")
pop.apply(pcm.Pulse.reset(current=440e-6, width=1e-6))
pop.wait(1.0)
g = [np.asarray(pop.read())]
for _ in range(20):
    pop.apply(pcm.Pulse.set(current=100e-6, width=50e-9))
    pop.wait(1e-3)                                  # read 1 ms after each pulse
    g.append(np.asarray(pop.read(voltage=0.2)))
g = np.array(g) * 1e6                               # (pulses + 1, cells) in uS

n = np.arange(len(g))
mean, std = g.mean(axis=1), g.std(axis=1)
print("mean G after 0, 5, 10, 20 pulses [uS]:", np.round(mean[[0, 5, 10, 20]], 2))

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(n, g[:, :30], color="0.8", lw=0.6)
ax.plot(n, mean, color="C0", lw=2, label="mean over cells")
ax.fill_between(n, mean - std, mean + std, color="C0", alpha=0.25, label="± 1 std")
ax.set_xlabel("SET pulse number")
ax.set_ylabel("conductance [uS]")
ax.legend()
fig.tight_layout()
