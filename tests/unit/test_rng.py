"""The counter RNG (pcmphys.rng, kernels/philox.cuh): known answers, chunking independence,
distributions, stream separation, input checks, and bit parity with the compiled header.

Known-answer vectors: the three ``philox4x32 10`` lines of ``tests/kat_vectors`` in
Random123 (github.com/DEShawResearch/random123, commit 9545ff6413f258be2f04c1d319d99aaef7521150);
columns are counter (4 words), key (2 words), expected output (4 words).
"""

import re
from pathlib import Path

import numpy as np
import pytest

from pcmphys import rng

KAT_PHILOX4X32_10 = [
    # (counter, key, expected)
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]

SEED = 0x0123456789ABCDEF
N_DEVICES = 100_000


def _philox_scalar(counter, key):
    """Plain-integer Philox4x32-10, written from the published algorithm (test oracle)."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & 0xFFFFFFFF,
                          (p0 >> 32) ^ c3 ^ k1, p0 & 0xFFFFFFFF)
    return c0, c1, c2, c3


def _interleave(words):
    """(x, y, z, w) arrays -> x0 y0 z0 w0 x1 ... (the kernel's raw layout)."""
    return np.stack(words, axis=-1).reshape(-1)


# ---------------------------------------------------------------- (a) known answers


@pytest.mark.parametrize("counter, key, expected", KAT_PHILOX4X32_10)
def test_random123_known_answers(counter, key, expected):
    got = rng.philox4x32_10(counter, key)
    assert [int(v) for v in got] == list(expected)
    assert all(v.dtype == np.uint32 for v in got)
    assert _philox_scalar(counter, key) == expected


def test_known_answers_vectorised_with_array_keys():
    counters = np.array([kat[0] for kat in KAT_PHILOX4X32_10], dtype=np.uint32).T
    keys = np.array([kat[1] for kat in KAT_PHILOX4X32_10], dtype=np.int64).T
    got = np.stack(rng.philox4x32_10(tuple(counters), tuple(keys)))
    np.testing.assert_array_equal(got.T, [kat[2] for kat in KAT_PHILOX4X32_10])


def test_philox_matches_scalar_oracle_across_blocks():
    gen = np.random.default_rng(7)  # input data only
    n = rng.BLOCK_DEVICES + 300
    counter = tuple(gen.integers(0, 2**32, n, dtype=np.uint64) for _ in range(4))
    got = np.stack(rng.philox4x32_10(counter, (0x9ABCDEF0, 0x12345678)))
    for i in (0, 1, n // 2, rng.BLOCK_DEVICES - 1, rng.BLOCK_DEVICES, n - 1):
        ctr = tuple(int(c[i]) for c in counter)
        assert tuple(int(v) for v in got[:, i]) == _philox_scalar(ctr, (0x9ABCDEF0, 0x12345678))


def test_draw_counter_and_key_layout():
    device = np.array([0, 1, 2**32 - 1, 2**32, 2**40 + 12345, 2**63 - 1], dtype=np.uint64)
    event, stream, block = 0xDEADBEEF, rng.STREAM_USER + 3, 0xFFFF
    got = np.stack(rng.draw(SEED, device, event, stream, block))
    for i, d in enumerate(device.tolist()):
        ctr = (d & 0xFFFFFFFF, d >> 32, event, (stream << 16) | block)
        key = (SEED & 0xFFFFFFFF, SEED >> 32)
        assert tuple(int(v) for v in got[:, i]) == _philox_scalar(ctr, key)


# ---------------------------------------------------------------- (b) chunking independence


def test_draw_is_deterministic_and_independent_of_splits():
    device = np.arange(N_DEVICES, dtype=np.int64)
    event = np.arange(N_DEVICES, dtype=np.uint32) % 977
    whole = rng.draw(SEED, device, event, rng.STREAM_READ, block=2)
    again = rng.draw(SEED, device, event, rng.STREAM_READ, block=2)
    for a, b in zip(whole, again):
        np.testing.assert_array_equal(a, b)
    cuts = [0, 1234, 70_000, N_DEVICES]
    parts = [rng.draw(SEED, device[a:b], event[a:b], rng.STREAM_READ, block=2)
             for a, b in zip(cuts[:-1], cuts[1:])]
    for k in range(4):
        np.testing.assert_array_equal(whole[k], np.concatenate([p[k] for p in parts]))


def test_draw_independent_of_order_dtype_and_shape():
    device = np.arange(N_DEVICES, dtype=np.int64)
    whole = np.stack(rng.draw(SEED, device, 5, rng.STREAM_CYCLE))
    perm = np.random.default_rng(3).permutation(N_DEVICES)  # input data only
    shuffled = np.stack(rng.draw(SEED, device[perm].astype(np.uint64), 5, rng.STREAM_CYCLE))
    np.testing.assert_array_equal(shuffled, whole[:, perm])
    grid = np.stack(rng.draw(SEED, device.reshape(250, 400), 5, rng.STREAM_CYCLE))
    np.testing.assert_array_equal(grid.reshape(4, -1), whole)
    single = rng.draw(SEED, 4321, 5, rng.STREAM_CYCLE)
    assert [int(v) for v in single] == whole[:, 4321].tolist()


def test_event_array_broadcasts_against_devices():
    device = np.arange(50, dtype=np.int64)
    events = np.arange(3, dtype=np.uint32)[:, None]
    got = np.stack(rng.draw(SEED, device, events, rng.STREAM_PULSE))
    assert got.shape == (4, 3, 50)
    for e in range(3):
        np.testing.assert_array_equal(got[:, e], np.stack(rng.draw(SEED, device, e,
                                                                     rng.STREAM_PULSE)))


# ---------------------------------------------------------------- (c) ranges and statistics


def test_uniform_extremes_are_strictly_inside_unit_interval():
    lo, hi = np.uint32(0), np.uint32(0xFFFFFFFF)
    assert rng.uniform_f32(np.array([lo, hi])).tolist() == [2.0**-24, 1 - 2.0**-24]
    assert rng.uniform_f64(np.array([lo, hi]), np.array([lo, hi])).tolist() == [
        2.0**-53, 1 - 2.0**-53]
    assert rng.uniform_f32(np.array([hi])).dtype == np.float32


def test_uniform_formulas_exact():
    words = np.random.default_rng(11).integers(0, 2**32, 5000, dtype=np.uint64)
    a, b = words.astype(np.uint32), words[::-1].astype(np.uint32)
    f32 = rng.uniform_f32(a)
    expected32 = [((int(x) >> 8) | 1) * 2.0**-24 for x in a]
    np.testing.assert_array_equal(f32.astype(np.float64), expected32)
    f64 = rng.uniform_f64(a, b)
    expected64 = [((((int(x) >> 5) << 26) | (int(y) >> 6)) | 1) * 2.0**-53
                  for x, y in zip(a, b)]
    np.testing.assert_array_equal(f64, expected64)


def _assert_within(estimate, expected, se, what):
    assert abs(estimate - expected) < 5 * se, (
        f"{what}: {estimate:.6g} vs {expected:.6g} "
        f"(|diff| = {abs(estimate - expected) / se:.2f} se)")


def test_uniform_statistics():
    device = np.arange(400_000, dtype=np.int64)
    u0, u1 = rng.uniform(20240917, device, 11, rng.STREAM_USER)
    words = rng.draw(20240917, device, 11, rng.STREAM_USER + 1)
    f32 = rng.uniform_f32(_interleave(words)).astype(np.float64)
    for name, u in (("u0", u0), ("u1", u1), ("f32", f32)):
        n = u.size
        assert u.min() > 0.0 and u.max() < 1.0, name
        _assert_within(u.mean(), 0.5, np.sqrt(1 / 12 / n), f"{name} mean")
        _assert_within(u.var(), 1 / 12, np.sqrt((1 / 80 - 1 / 144) / n), f"{name} variance")
    _assert_within(np.corrcoef(u0, u1)[0, 1], 0.0, 1 / np.sqrt(u0.size), "corr(u0, u1)")


def test_normal_statistics():
    n = 400_000
    z0, z1 = rng.normal2(20240917, np.arange(n, dtype=np.int64), 3, rng.STREAM_READ)
    assert z0.dtype == np.float64 and z0.shape == (n,)
    assert np.isfinite(z0).all() and np.isfinite(z1).all()
    for name, z in (("z0", z0), ("z1", z1)):
        _assert_within(z.mean(), 0.0, 1 / np.sqrt(n), f"{name} mean")
        _assert_within(z.std(), 1.0, 1 / np.sqrt(2 * n), f"{name} std")
        _assert_within(np.mean(z**4), 3.0, np.sqrt(96 / n), f"{name} 4th moment")
    _assert_within(np.mean(z0 * z1), 0.0, 1 / np.sqrt(n), "E[z0 z1]")


def test_normal2_is_box_muller_of_uniform():
    device = np.arange(1000, dtype=np.int64)
    u1, u2 = rng.uniform(SEED, device, 9, rng.STREAM_NUCLEATION)
    z0, z1 = rng.normal2(SEED, device, 9, rng.STREAM_NUCLEATION)
    rad = np.sqrt(-2.0 * np.log(u1))
    np.testing.assert_array_equal(z0, rad * np.cos(2.0 * np.pi * u2))
    np.testing.assert_array_equal(z1, rad * np.sin(2.0 * np.pi * u2))


# ---------------------------------------------------------------- (d) stream separation


@pytest.mark.parametrize("change", ["seed", "seed_high", "event", "stream", "block", "device_high"])
def test_different_inputs_give_different_words(change):
    device = np.arange(20_000, dtype=np.uint64)
    base = dict(seed=SEED, device=device, event=42, stream=rng.STREAM_THRESHOLD, block=0)
    other = dict(base)
    if change == "seed":
        other["seed"] = SEED + 1
    elif change == "seed_high":
        other["seed"] = SEED ^ (1 << 32)
    elif change == "event":
        other["event"] = 43
    elif change == "stream":
        other["stream"] = rng.STREAM_FAULT
    elif change == "block":
        other["block"] = 1
    else:
        other["device"] = device + np.uint64(2**32)
    a = _interleave(rng.draw(**base))
    b = _interleave(rng.draw(**other))
    assert not np.any(a == b), f"changing {change} left identical words in place"
    # ~0.37 coincidences expected between two sets of 80000 random 32-bit words
    assert np.intersect1d(a, b).size <= 5


def test_stream_constants_and_header_twins():
    expected = dict(VARIABILITY=1, CYCLE=2, PULSE=3, READ=4, NOISE_PHASE=5, NUCLEATION=6,
                    THRESHOLD=7, FAULT=8, STAT_PROGRAM=9, STAT_READ=10, STAT_PULSE=11,
                    MEMTRANSISTOR=24, GATE=25, NOISE_BASE=64, USER=1024)
    for name, value in expected.items():
        assert getattr(rng, f"STREAM_{name}") == value
        assert rng.Stream[name] == value
    header = (_kernel_dir() / "philox.cuh").read_text()
    defined = {m[0]: int(m[1]) for m in re.findall(r"#define\s+PCM_STREAM_(\w+)\s+(\d+)u", header)}
    assert defined == expected


def _kernel_dir():
    try:
        from pcmphys.backends import kernel_dir
    except ImportError:
        return Path(__file__).resolve().parents[2] / "kernels"
    return kernel_dir()


# ---------------------------------------------------------------- (e) bad input


@pytest.mark.parametrize("kwargs, match", [
    (dict(seed=-1), "seed"),
    (dict(seed=2**64), "seed"),
    (dict(device=np.array([3, -1])), "device"),
    (dict(device=[2**64]), "device"),
    (dict(event=-1), "event"),
    (dict(event=2**32), "event"),
    (dict(event=np.array([0, 2**32])), "event"),
    (dict(stream=2**16), "stream"),
    (dict(stream=-2), "stream"),
    (dict(block=2**16), "block"),
])
def test_bad_input_raises_value_error_naming_parameter(kwargs, match):
    args = dict(seed=1, device=np.arange(4), event=0, stream=rng.STREAM_READ, block=0)
    args.update(kwargs)
    for func in (rng.draw, rng.uniform, rng.normal2):
        with pytest.raises(ValueError, match=match):
            func(**args)


def test_bad_types_and_words():
    with pytest.raises(TypeError, match="seed"):
        rng.draw(1.5, np.arange(3), 0, 1)
    with pytest.raises(TypeError, match="device"):
        rng.draw(1, np.linspace(0, 1, 3), 0, 1)
    with pytest.raises(ValueError, match="counter"):
        rng.philox4x32_10((0, 0, 0), (0, 0))
    with pytest.raises(ValueError, match="key"):
        rng.philox4x32_10((0, 0, 0, 0), (0,))
    with pytest.raises(ValueError, match=r"counter\[2\]"):
        rng.philox4x32_10((0, 0, 2**32, 0), (0, 0))
    with pytest.raises(ValueError, match=r"key\[1\]"):
        rng.philox4x32_10((0, 0, 0, 0), (0, -1))
    with pytest.raises(ValueError, match="x"):
        rng.uniform_f32(np.array([-1]))
    with pytest.raises(ValueError, match="b"):
        rng.uniform_f64(np.array([1]), np.array([2**32]))


def test_empty_device_array():
    words = rng.draw(1, np.array([], dtype=np.int64), 0, rng.STREAM_READ)
    assert all(w.shape == (0,) and w.dtype == np.uint32 for w in words)


# ---------------------------------------------------------------- (f) parity with the header


def _compiled_backend(name):
    backends = pytest.importorskip("pcmphys.backends")
    try:
        return backends.get_backend(name)
    except backends.BackendUnavailable as exc:
        pytest.skip(f"backend {name!r} unavailable: {exc}")


def _check_parity(be):
    n, offset = 50_000, 2**32 - 20_000  # crosses device-index high word and block edges
    event, stream, block = 77, rng.STREAM_USER + 5, 3
    mod = be.module("rng_check.cu")
    raw = be.zeros(4 * n, np.uint32)
    uf32 = be.zeros(4 * n, np.float32)
    normals = be.zeros(2 * n, np.float64)
    mod.launch("pcm_rng_fill", n, np.uint64(SEED), np.int64(offset), np.uint32(event),
               np.uint32(stream), np.uint32(block), np.int64(n), raw, uf32, normals)
    be.synchronize()
    device = offset + np.arange(n, dtype=np.int64)
    words = _interleave(rng.draw(SEED, device, event, stream, block))
    np.testing.assert_array_equal(be.to_numpy(raw), words)
    np.testing.assert_array_equal(be.to_numpy(uf32).view(np.uint32),
                                  rng.uniform_f32(words).view(np.uint32))
    z = _interleave(rng.normal2(SEED, device, event, stream, block))
    np.testing.assert_allclose(be.to_numpy(normals), z, rtol=1e-12, atol=1e-14)
    # NULL outputs are skipped
    only_raw = be.zeros(4 * n, np.uint32)
    mod.launch("pcm_rng_fill", n, np.uint64(SEED), np.int64(offset), np.uint32(event),
               np.uint32(stream), np.uint32(block), np.int64(n), only_raw, None, None)
    be.synchronize()
    np.testing.assert_array_equal(be.to_numpy(only_raw), words)


def test_host_kernel_matches_numpy():
    _check_parity(_compiled_backend("host"))


@pytest.mark.gpu
def test_cupy_kernel_matches_numpy():
    _check_parity(_compiled_backend("cupy"))
