"""Synthetic frame sequences of moving/morphing shapes (no downloads) for the ST-STDP demo.

Each shape is an implicit function on the unit square; a frame is the binary image of the
shape after an affine transform (rotation, scale, translation). A sequence starts in the
canonical pose and drifts smoothly to a strongly transformed pose, like a tracked object in
video.
"""
from __future__ import annotations

import numpy as np

SHAPES = ("ring", "triangle", "cross", "ell")


def _inside(shape, x, y):
    """Boolean mask of the canonical shape (centred at 0, size ~1) at coordinates x, y."""
    if shape == "ring":
        r = np.hypot(x, y)
        return (r >= 0.45) & (r <= 0.75)
    if shape == "triangle":      # apex up
        return (y >= -0.55) & (y <= 0.65 - 1.8 * np.abs(x))
    if shape == "cross":         # plus sign
        ax, ay = np.abs(x), np.abs(y)
        return ((ax <= 0.15) & (ay <= 0.7)) | ((ay <= 0.15) & (ax <= 0.7))
    if shape == "ell":
        return (((x >= -0.6) & (x <= -0.3)) & (np.abs(y) <= 0.7)) | \
               ((y >= -0.7) & (y <= -0.4) & (x >= -0.6) & (x <= 0.6))
    raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")


def render(shape, size, angle=0.0, scale=1.0, shift=(0.0, 0.0)):
    """Binary frame (size, size) of ``shape`` rotated by ``angle`` [rad], scaled, shifted [px]."""
    c = (np.arange(size) - (size - 1) / 2.0) / (size / 2.0 - 1.0)
    X, Y = np.meshgrid(c, -c)
    px = 2.0 / size
    Xs, Ys = (X - shift[0] * px) / scale, (Y - shift[1] * px) / scale
    ca, sa = np.cos(angle), np.sin(angle)
    return _inside(shape, ca * Xs + sa * Ys, -sa * Xs + ca * Ys).astype(np.float64)


def sequence(shape, size, frames, seed, max_angle=np.pi / 2, max_shift=3.0,
             scale_range=(0.75, 1.2)):
    """A sequence (frames, size*size) drifting from the canonical pose to a random far pose.

    The pose parameters move linearly in time towards a target drawn from a numpy Generator
    seeded with ``seed``: rotation of +-max_angle, shift up to max_shift px, scale in
    scale_range.
    """
    gen = np.random.default_rng(seed)
    angle = gen.choice([-1.0, 1.0]) * gen.uniform(0.7, 1.0) * max_angle
    shift = gen.uniform(-max_shift, max_shift, 2)
    scale = gen.uniform(*scale_range)
    out = np.empty((frames, size * size))
    for k in range(frames):
        a = k / max(frames - 1, 1)
        out[k] = render(shape, size, a * angle, 1.0 + a * (scale - 1.0), a * shift).ravel()
    return out


def templates(size, jitter=1):
    """Long-term training targets: mean of the canonical frames shifted by up to ``jitter`` px.

    Returns (n_shapes, size*size) in [0, 1].
    """
    out = []
    for s in SHAPES:
        imgs = [render(s, size, shift=(dx, dy)) for dx in range(-jitter, jitter + 1)
                for dy in range(-jitter, jitter + 1)]
        out.append(np.mean(imgs, axis=0).ravel())
    return np.array(out)
