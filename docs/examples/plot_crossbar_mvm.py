"""
A matrix-vector product on a PCM crossbar, with and without drift compensation
===============================================================================

:class:`pcmphys.Crossbar` stores a matrix on differential pairs of cells (``G+ - G-``) and
computes ``A x`` from the summed read currents. Drift lowers every conductance over time;
drift compensation rescales the outputs by a global factor measured on the array itself.
"""
import matplotlib.pyplot as plt
import numpy as np

import pcmphys as pcm

rng = np.random.default_rng(0)
a = rng.uniform(-1, 1, size=(64, 64))
x = rng.uniform(-1, 1, size=(64, 8))               # a batch of 8 input vectors
exact = a @ x
times = np.logspace(0, 6, 4)
for comp in (False, True):
    xb = pcm.Crossbar(64, 64, seed=5, drift_compensation=comp)
    xb.program(a, method="verify")
    err = [np.linalg.norm(np.asarray(xb.mvm(x, t=t)) - exact) / np.linalg.norm(exact)
           for t in times]
    label = "with drift compensation" if comp else "without"
    plt.semilogx(times, err, "o-", label=label)
    print(f"{label:>24}: relative error {err[0]:.3f} at 1 s, {err[-1]:.3f} at 1e6 s")
plt.xlabel("time since programming [s]")
plt.ylabel("relative error of A x")
plt.legend()
plt.tight_layout()
