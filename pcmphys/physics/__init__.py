"""NumPy reference of the device physics, one module per mechanism.

thermal, amorphization, crystallization, relaxation, conduction, threshold, noise and
variability hold pure, vectorised functions in SI units; ``cell`` composes them into the
per-cell pulse, wait and read updates that the kernels mirror.
"""
