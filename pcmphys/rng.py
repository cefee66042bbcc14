"""Counter-based random numbers: Philox4x32-10, the NumPy twin of ``kernels/philox.cuh``.

Every random word is a pure function of ``(seed, device, event, stream, block)``,
so results do not depend on chunking, ordering or backend::

    key     = (seed & 0xFFFFFFFF, seed >> 32)
    counter = (device & 0xFFFFFFFF, device >> 32, event, stream << 16 | block)

so results do not depend on chunking, worker count or backend, and no generator state is
kept anywhere. One draw gives four 32-bit words. Raw words and the uniforms
(:func:`uniform_f32`, :func:`uniform_f64`) are bit-identical to the CUDA/C++ header; normals
(:func:`normal2`, Box-Muller with library ``log``/``cos``/``sin``) agree to a few ulp.
:func:`uniform_f64` forces the lowest of its 53 bits to 1 (``(v | 1) * 2**-53``) rather than
adding one half, which in double precision would round up to exactly 1.0 for the top value.

Philox4x32-10 is the generator of Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as
easy as 1, 2, 3" (SC'11), implemented here from the published algorithm and checked against
the Random123 known-answer vectors. It is *not* :class:`numpy.random.Philox` (the 4x64
variant).

Streams
-------
The 16-bit ``stream`` separates purposes; ``block`` (16 bit) numbers successive draws of one
purpose for the same (device, event). The ids below are mirrored as ``PCM_STREAM_*`` in
``kernels/philox.cuh``. Noise octave ``k`` uses ``STREAM_NOISE_BASE + k``; studies use
``STREAM_USER + n``.

Examples
--------
>>> import numpy as np
>>> from pcmphys import rng
>>> x, y, z, w = rng.draw(seed=42, device=np.arange(3), event=0, stream=rng.STREAM_READ)
>>> x.dtype, x.shape
(dtype('uint32'), (3,))
>>> u0, u1 = rng.uniform(42, np.arange(3), 0, rng.STREAM_READ)
>>> bool(((u0 > 0) & (u0 < 1)).all())
True
"""

from __future__ import annotations

import enum
import numbers

import numpy as np

__all__ = [
    "BLOCK_DEVICES",
    "STREAM_CYCLE",
    "STREAM_FAULT",
    "STREAM_GATE",
    "STREAM_MEMTRANSISTOR",
    "STREAM_NOISE_BASE",
    "STREAM_NOISE_PHASE",
    "STREAM_NUCLEATION",
    "STREAM_PULSE",
    "STREAM_READ",
    "STREAM_STAT_PROGRAM",
    "STREAM_STAT_PULSE",
    "STREAM_STAT_READ",
    "STREAM_THRESHOLD",
    "STREAM_USER",
    "STREAM_VARIABILITY",
    "Stream",
    "box_muller_f32",
    "draw",
    "normal2",
    "normal2_f32",
    "normal4_f32",
    "philox4x32_10",
    "uniform",
    "uniform_f32",
    "uniform_f64",
]

STREAM_VARIABILITY = 1  #: device-to-device variability factors
STREAM_CYCLE = 2  #: cycle-to-cycle variability
STREAM_PULSE = 3  #: programming-pulse fluctuations
STREAM_READ = 4  #: read noise
STREAM_NOISE_PHASE = 5  #: phases of the 1/f noise octaves
STREAM_NUCLEATION = 6  #: nucleation events
STREAM_THRESHOLD = 7  #: threshold-switching fluctuations
STREAM_FAULT = 8  #: stuck-at faults
STREAM_STAT_PROGRAM = 9  #: statistical mode: programming noise and drift exponent
STREAM_STAT_READ = 10  #: statistical mode: read noise
STREAM_STAT_PULSE = 11  #: statistical mode: SET/RESET pulse increments (accumulation)
STREAM_MEMTRANSISTOR = 24  #: memtransistive cell-to-cell factors (tau_F, A)
STREAM_GATE = 25  #: memtransistive gate-pulse (cycle-to-cycle) factors
STREAM_NOISE_BASE = 64  #: 1/f noise octave k uses STREAM_NOISE_BASE + k
STREAM_USER = 1024  #: studies use STREAM_USER + n


class Stream(enum.IntEnum):
    """The stream ids as an enum (same values as the module-level ``STREAM_*`` names)."""

    VARIABILITY = STREAM_VARIABILITY
    CYCLE = STREAM_CYCLE
    PULSE = STREAM_PULSE
    READ = STREAM_READ
    NOISE_PHASE = STREAM_NOISE_PHASE
    NUCLEATION = STREAM_NUCLEATION
    THRESHOLD = STREAM_THRESHOLD
    FAULT = STREAM_FAULT
    STAT_PROGRAM = STREAM_STAT_PROGRAM
    STAT_READ = STREAM_STAT_READ
    STAT_PULSE = STREAM_STAT_PULSE
    MEMTRANSISTOR = STREAM_MEMTRANSISTOR
    GATE = STREAM_GATE
    NOISE_BASE = STREAM_NOISE_BASE
    USER = STREAM_USER


#: Devices (counters) processed per block: keeps the uint64 temporaries in L2 cache.
BLOCK_DEVICES = 16384

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_STAGGER = 64  # uint64 elements of padding between work rows (512 bytes)
_TWO_M24 = np.float32(2.0**-24)
_TWO_M53 = 2.0**-53
_TWO_PI = 2.0 * np.pi  # (2.0 * PCM_PI), evaluated first in the header too

# ----------------------------------------------------------------------------- validation


def _int_scalar(name, value, bits):
    """`value` as a Python int in [0, 2**bits), else TypeError / ValueError naming `name`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if not 0 <= value < 2**bits:
        raise ValueError(f"{name} must be in [0, 2**{bits}), got {value}")
    return value


def _as_array(name, value):
    """np.asarray(value); integers outside the int64/uint64 range raise ValueError."""
    try:
        arr = np.asarray(value)
    except OverflowError as exc:
        raise ValueError(f"{name} has a value out of range: {exc}") from None
    if arr.dtype == object and all(isinstance(v, numbers.Integral) for v in arr.flat):
        raise ValueError(f"{name} has integers outside the int64/uint64 range")
    return arr


def _int_array(name, value, bits):
    """`value` as an integer ndarray with values in [0, 2**bits) (checked, not copied)."""
    arr = _as_array(name, value)
    if arr.dtype.kind not in "iu":
        if arr.size == 0:
            return arr.astype(np.uint64)
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if arr.size and not (arr.dtype.kind == "u" and arr.dtype.itemsize * 8 <= bits):
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0:
            raise ValueError(f"{name} must be >= 0, got minimum {lo}")
        if hi >= 2**bits:
            raise ValueError(f"{name} must be < 2**{bits}, got maximum {hi}")
    return arr


# ----------------------------------------------------------------------------- Philox core


def _round_keys(k0, k1):
    """The ten round keys; ints give np.uint64 scalars, arrays give uint64 arrays.

    High bits above 32 are harmless: keys are only XORed into lanes that are truncated
    to 32 bits before they are used again.
    """
    keys = []
    for r in range(10):
        if isinstance(k0, int):
            keys.append((np.uint64((k0 + r * _W0) & 0xFFFFFFFF),
                         np.uint64((k1 + r * _W1) & 0xFFFFFFFF)))
        else:
            keys.append((k0 + np.uint64(r * _W0), k1 + np.uint64(r * _W1)))
    return keys


def _rounds(work, m, keys):
    """Ten Philox4x32 rounds in place on the first `m` entries of ``work = [c0..c3, p0, p1]``.

    `work` holds six uint64 buffers. On entry c0 and c2 hold values < 2**32 (the
    multiplicands); c1, c3 may carry garbage above bit 31. On return ``work[:4]`` hold the
    output words in their low 32 bits (the caller truncates). The list is permuted in place:
    products are recycled as lanes instead of being copied.
    """
    c0, c1, c2, c3, p0, p1 = (w[:m] for w in work)
    i0, i1, i2, i3, j0, j1 = range(6)
    last = len(keys) - 1
    for r, (k0, k1) in enumerate(keys):
        np.multiply(c0, _M0, out=p0)
        np.multiply(c2, _M1, out=p1)
        np.right_shift(p1, _SHIFT32, out=c0)  # hi1 ^ c1 ^ k0
        np.bitwise_xor(c0, c1, out=c0)
        np.bitwise_xor(c0, k0, out=c0)
        np.right_shift(p0, _SHIFT32, out=c2)  # hi0 ^ c3 ^ k1
        np.bitwise_xor(c2, c3, out=c2)
        np.bitwise_xor(c2, k1, out=c2)
        c1, p1, i1, j1 = p1, c1, j1, i1  # lo1: the full product, truncated lazily
        c3, p0, i3, j0 = p0, c3, j0, i3  # lo0
        if r != last:
            np.bitwise_and(c0, _MASK32, out=c0)
            np.bitwise_and(c2, _MASK32, out=c2)
    work[:] = [work[i] for i in (i0, i1, i2, i3, j0, j1)]


def _work_buffers(m):
    """Six uint64 work buffers of length `m`, rows of one allocation.

    For a full block the rows are staggered by 512 bytes modulo 4 KiB, so that passes over
    several buffers do not alias in the L1 cache (measured 0-15 % faster than separately
    allocated buffers, whose placement is up to the allocator).
    """
    rows = np.empty((6, m + _STAGGER), np.uint64)
    return [rows[i, :m] for i in range(6)]


def _blocks(total):
    """(start, stop) of the blocks of BLOCK_DEVICES covering range(total)."""
    return [(s, min(s + BLOCK_DEVICES, total)) for s in range(0, total, BLOCK_DEVICES)]


def _store(out, start, stop, work):
    """Truncate the four uint64 lanes into the uint32 outputs (wraps modulo 2**32)."""
    m = stop - start
    for k in range(4):
        np.copyto(out[k][start:stop], work[k][:m], casting="unsafe")


def philox4x32_10(counter, key):
    """Philox4x32-10 block function on arrays of counters.

    Parameters
    ----------
    counter : sequence of 4 array_like of int
        The counter words ``(c0, c1, c2, c3)``, each in [0, 2**32); broadcastable to a
        common shape.
    key : sequence of 2 int or array_like of int
        The key words ``(k0, k1)``, each in [0, 2**32); scalars or arrays broadcastable with
        the counters.

    Returns
    -------
    tuple of 4 numpy.ndarray of uint32
        The output words, with the broadcast shape of counter and key.

    Raises
    ------
    ValueError
        When `counter` does not have 4 words or `key` 2, or a word is outside [0, 2**32).
    TypeError
        For non-integer input.

    Notes
    -----
    Processed in blocks of :data:`BLOCK_DEVICES` counters with uint64 intermediates and
    in-place ufuncs. Same function as ``pcm_philox4x32_10`` in ``kernels/philox.cuh``.

    Examples
    --------
    >>> [hex(int(v)) for v in philox4x32_10((0, 0, 0, 0), (0, 0))]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    if len(counter) != 4:
        raise ValueError(f"counter must have 4 words, got {len(counter)}")
    if len(key) != 2:
        raise ValueError(f"key must have 2 words, got {len(key)}")
    words = [_int_array(f"counter[{i}]", c, 32) for i, c in enumerate(counter)]
    keys = [_int_array(f"key[{i}]", k, 32) for i, k in enumerate(key)]
    shape = np.broadcast_shapes(*(a.shape for a in words + keys))
    total = int(np.prod(shape, dtype=np.int64))
    flat = [_flat_source(a, shape) for a in words + keys]
    out = np.empty((4, total), np.uint32)  # one allocation: huge pages when large
    work = _work_buffers(min(total, BLOCK_DEVICES))
    scalar_key = all(isinstance(k, int) for k in flat[4:])
    fixed_keys = _round_keys(*flat[4:]) if scalar_key else None
    for start, stop in _blocks(total):
        m = stop - start
        for k in range(4):
            _fill(work[k][:m], flat[k], start, stop)
        if scalar_key:
            keys_r = fixed_keys
        else:
            k0, k1 = (np.asarray(_slice(f, start, stop), np.uint64) for f in flat[4:])
            keys_r = _round_keys(k0, k1)
        _rounds(work, m, keys_r)
        _store(out, start, stop, work)
    return tuple(o.reshape(shape) for o in out)


def _flat_source(arr, shape):
    """A size-1 array as a Python int, else the array broadcast to `shape`, flattened."""
    if arr.size == 1:
        return int(arr.reshape(-1)[0])
    return np.broadcast_to(arr, shape).reshape(-1)


def _slice(src, start, stop):
    return src if isinstance(src, int) else src[start:stop]


def _fill(dst, src, start, stop):
    if isinstance(src, int):
        dst.fill(src)
    else:
        np.copyto(dst, src[start:stop], casting="unsafe")


# ----------------------------------------------------------------------------- draws


def _draw_inputs(seed, device, event, stream, block):
    """Validate the draw arguments.

    Returns
    -------
    tuple
        ``((k0, k1), device as flat uint64, event source, lane-3 word, shape)``.
    """
    seed = _int_scalar("seed", seed, 64)
    stream = _int_scalar("stream", stream, 16)
    block = _int_scalar("block", block, 16)
    dev = _as_array("device", device)
    if dev.dtype.kind not in "iu" and dev.size:
        raise TypeError(f"device must be an integer array (int64/uint64), got dtype {dev.dtype}")
    if dev.size and dev.dtype.kind == "i":
        lowest = int(dev.min())
        if lowest < 0:
            raise ValueError(f"device index must be >= 0, got minimum {lowest}")
    ev = _int_array("event", event, 32)
    shape = np.broadcast_shapes(dev.shape, ev.shape)
    dev = np.broadcast_to(dev, shape).reshape(-1)
    if dev.dtype == np.int64:
        dev = dev.view(np.uint64)  # checked >= 0 above
    elif dev.dtype != np.uint64:
        dev = dev.astype(np.uint64)
    ev_src = _flat_source(ev, shape)
    return (seed & 0xFFFFFFFF, seed >> 32), dev, ev_src, (stream << 16) | block, shape


def draw(seed, device, event, stream, block=0):
    """Four random 32-bit words per (device, event) for one purpose.

    Parameters
    ----------
    seed : int
        Simulation seed, 0 <= seed < 2**64 (the Philox key).
    device : array_like of int
        Global device indices (int64 or uint64), >= 0. Use the *global* index so that any
        chunking of a population gives the same numbers.
    event : int or array_like of int
        Event index (cycle, read, time step...), 0 <= event < 2**32; broadcast with `device`.
    stream : int
        Purpose id, 0 <= stream < 2**16 (one of the ``STREAM_*`` constants).
    block : int, optional
        Numbers successive draws of one purpose for the same (device, event),
        0 <= block < 2**16. Default 0.

    Returns
    -------
    tuple of 4 numpy.ndarray of uint32
        Words ``(x, y, z, w)`` with the broadcast shape of `device` and `event`; bit-identical
        to ``pcm_rng_draw`` in ``kernels/philox.cuh``.

    Raises
    ------
    ValueError
        For a seed outside [0, 2**64), a negative device index, an event outside [0, 2**32),
        a stream or block outside [0, 2**16).
    TypeError
        For non-integer arguments.

    Notes
    -----
    Long arrays are processed in blocks of :data:`BLOCK_DEVICES` devices, which keeps the
    uint64 temporaries cache resident: about 200 M uint32/s on one core of the 2-core dev
    machine, vs about 90 M/s whole-array (``bench/bench_rng.py``). The four returned arrays
    are rows of one ``(4, ...)`` allocation.
    """
    (k0, k1), dev, ev_src, lane3, shape = _draw_inputs(seed, device, event, stream, block)
    total = dev.shape[0]
    out = np.empty((4, total), np.uint32)  # one allocation: huge pages when large
    work = _work_buffers(min(total, BLOCK_DEVICES))
    keys = _round_keys(k0, k1)
    for start, stop in _blocks(total):
        m = stop - start
        d = dev[start:stop]
        np.bitwise_and(d, _MASK32, out=work[0][:m])
        np.right_shift(d, _SHIFT32, out=work[1][:m])
        _fill(work[2][:m], ev_src, start, stop)
        work[3][:m].fill(lane3)
        _rounds(work, m, keys)
        _store(out, start, stop, work)
    return tuple(o.reshape(shape) for o in out)


def _u32(name, x):
    arr = np.asarray(x)
    if arr.dtype == np.uint32:
        return arr
    return _int_array(name, arr, 32).astype(np.uint32)


def uniform_f32(x):
    """float32 uniforms in (0, 1) from 32-bit words: ``((x >> 8) | 1) * 2**-24``.

    Parameters
    ----------
    x : array_like of uint32
        Random words, each in [0, 2**32).

    Returns
    -------
    numpy.ndarray of float32
        Values in [2**-24, 1 - 2**-24] (never 0 or 1); exact, bit-identical to
        ``pcm_uniform_f32``. 23 random bits.

    Raises
    ------
    ValueError
        When a word is outside [0, 2**32).
    """
    t = np.right_shift(_u32("x", x), np.uint32(8))
    np.bitwise_or(t, np.uint32(1), out=t)
    out = t.astype(np.float32)
    np.multiply(out, _TWO_M24, out=out)
    return out


def uniform_f64(a, b):
    """float64 uniforms in (0, 1) from two 32-bit words.

    ``v = (a >> 5) << 26 | (b >> 6)`` (53 random bits), result ``(v | 1) * 2**-53``.

    Parameters
    ----------
    a, b : array_like of uint32
        Random words, each in [0, 2**32); broadcastable.

    Returns
    -------
    numpy.ndarray of float64
        Values in [2**-53, 1 - 2**-53] (never 0 or 1); exact (no rounding), bit-identical to
        ``pcm_uniform_f64``.

    Raises
    ------
    ValueError
        When a word is outside [0, 2**32).

    Notes
    -----
    The lowest bit is forced to 1 (as in :func:`uniform_f32`) instead of adding 0.5: in
    double precision ``v + 0.5`` rounds for ``v >= 2**52``, and ``v = 2**53 - 1`` would give
    exactly 1.0.
    """
    v = _u32("a", a).astype(np.uint64)
    np.right_shift(v, np.uint64(5), out=v)
    np.left_shift(v, np.uint64(26), out=v)
    v = np.bitwise_or(v, np.right_shift(_u32("b", b), np.uint32(6)), dtype=np.uint64)
    np.bitwise_or(v, np.uint64(1), out=v)
    out = v.astype(np.float64)
    np.multiply(out, _TWO_M53, out=out)
    return out


def uniform(seed, device, event, stream, block=0):
    """Two float64 uniforms in (0, 1) per (device, event): ``uniform_f64(x, y)``, ``(z, w)``.

    Parameters
    ----------
    seed, device, event, stream, block
        As for :func:`draw`.

    Returns
    -------
    u0, u1 : numpy.ndarray of float64
        Independent uniforms in [2**-53, 1 - 2**-53], shape as for :func:`draw`.

    Raises
    ------
    ValueError, TypeError
        As for :func:`draw`.
    """
    x, y, z, w = draw(seed, device, event, stream, block)
    return uniform_f64(x, y), uniform_f64(z, w)


def normal2(seed, device, event, stream, block=0):
    """Two standard normals per (device, event) by Box-Muller in double precision.

    ``u1 = uniform_f64(x, y)``, ``u2 = uniform_f64(z, w)``, ``rad = sqrt(-2 log u1)``,
    ``z0 = rad cos(2 pi u2)``, ``z1 = rad sin(2 pi u2)``.

    Parameters
    ----------
    seed, device, event, stream, block
        As for :func:`draw`.

    Returns
    -------
    z0, z1 : numpy.ndarray of float64
        Independent N(0, 1) samples (|z| <= 8.6), shape as for :func:`draw`. They match
        ``pcm_normal2`` to a few ulp (library log/cos/sin differ between backends).

    Raises
    ------
    ValueError, TypeError
        As for :func:`draw`.
    """
    x, y, z, w = draw(seed, device, event, stream, block)
    rad = np.log(uniform_f64(x, y))
    np.multiply(rad, -2.0, out=rad)
    np.sqrt(rad, out=rad)
    theta = uniform_f64(z, w)
    np.multiply(theta, _TWO_PI, out=theta)
    z0 = np.cos(theta)
    np.sin(theta, out=theta)
    np.multiply(z0, rad, out=z0)
    np.multiply(theta, rad, out=theta)
    return z0, theta


def box_muller_f32(u_rad, u_angle):
    """float32 Box-Muller pair: ``sqrt(-2 ln u_rad) (cos 2 pi u_angle, sin 2 pi u_angle)``.

    Parameters
    ----------
    u_rad, u_angle : numpy.ndarray of float32
        Uniforms in (0, 1) (from :func:`uniform_f32`), same shape.

    Returns
    -------
    z_cos, z_sin : numpy.ndarray of float32

    The angle is reduced exactly on the uniform (``u = j/4 + r``, ``j = round(4u)``,
    ``|r| <= 1/8``), then ``theta = 2 pi r`` is rotated by the quarter turn ``j``, as in
    ``pcm_sincos_2pi_polyf``: both twins then agree to a few float32 ulp even where cos or sin
    is near 0.
    """
    rad = np.log(u_rad)
    np.multiply(rad, np.float32(-2.0), out=rad)
    np.sqrt(rad, out=rad)
    j = (u_angle * np.float32(4.0) + np.float32(0.5)).astype(np.int32)
    theta = u_angle - np.float32(0.25) * j.astype(np.float32)
    np.multiply(theta, np.float32(6.28318531), out=theta)
    sn, cs = np.sin(theta), np.cos(theta)
    q = j & 3
    odd = (q & 1).astype(bool)
    c0 = np.where(odd, sn, cs)
    s0 = np.where(odd, cs, sn)
    np.negative(c0, out=c0, where=(q == 1) | (q == 2))
    np.negative(s0, out=s0, where=q >= 2)
    np.multiply(c0, rad, out=c0)
    np.multiply(s0, rad, out=s0)
    return c0, s0


def normal4_f32(seed, device, event, stream, block=0):
    """Four float32 standard normals per (device, event) by float32 Box-Muller.

    ``(z0, z1)`` from the uniforms ``uniform_f32(x)`` (radius) and ``uniform_f32(y)`` (angle),
    ``(z2, z3)`` from ``uniform_f32(z)`` and ``uniform_f32(w)``: every draw gives four normals
    (23-bit uniforms, aihwkit's float32 precision), against two of :func:`normal2`.

    Parameters
    ----------
    seed, device, event, stream, block
        As for :func:`draw`.

    Returns
    -------
    z0, z1, z2, z3 : numpy.ndarray of float32
        Independent N(0, 1) samples (|z| <= 5.64), shape as for :func:`draw`. They match
        ``pcm_normal4_f32`` in ``kernels/philox.cuh`` to a few float32 ulp (the kernel uses its
        own polynomial log/sin/cos, NumPy the library's).

    Raises
    ------
    ValueError, TypeError
        As for :func:`draw`.
    """
    x, y, z, w = draw(seed, device, event, stream, block)
    return (*box_muller_f32(uniform_f32(x), uniform_f32(y)),
            *box_muller_f32(uniform_f32(z), uniform_f32(w)))


def normal2_f32(seed, device, event, stream, block=0):
    """The first pair ``(z0, z1)`` of :func:`normal4_f32` (words x, y), float32."""
    x, y, _, _ = draw(seed, device, event, stream, block)
    return box_muller_f32(uniform_f32(x), uniform_f32(y))
