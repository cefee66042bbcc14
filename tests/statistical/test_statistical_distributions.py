"""Sampled distributions of the statistical PCM mode against its formulas (aihwkit's
PCMLikeNoiseModel coefficients, Joshi et al. 2020), in standard errors: literal seeds,
|estimate - expected| < 5 se. Expected values are closed forms or quadratures of the
formulas, never the sampler itself. Both precisions (float64, float32) are checked."""
import math

import numpy as np
import pytest
from scipy import special, stats

from pcmphys import statistical as st
from pcmphys.testing import assert_within_se

US = 1e-6
N = 200_000
P = st.StatisticalParams()


def _programmed(g_us, seed, params=P, dtype="float64"):
    dev = np.arange(N, dtype=np.int64)
    target = np.full(N, g_us * US, dtype)
    return target, *st.program(target, seed, dev, event=3, params=params, dtype=dtype)


def test_published_worked_values():
    """Worked values of the published formulas: relative programming error 4.2/7.6/17.9 %, relative
    read sigma at 1 h 4.2/6.6/18.7 %, drift factor 0.775 at 1 h for nu = 0.049."""
    g = np.array([1.0, 0.5, 0.1]) * P.g_max
    np.testing.assert_allclose(st.programming_sigma(g) / g, [0.042, 0.076, 0.179], atol=5e-4)
    np.testing.assert_allclose(st.read_noise_sigma(g, 3600.0), [0.042, 0.066, 0.187], atol=5e-4)
    assert st.drift(1.0, 0.049, 3600.0) == pytest.approx(0.775, abs=5e-4)
    # 25 uS -> nu statistics at the clip values
    mu, sd = st.drift_exponent_stats(P.g_max)
    assert (float(mu), float(sd)) == (0.049, 0.008)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("g_us, seed", [(2.5, 11), (12.5, 12), (25.0, 13)])
def test_programming_noise_mean_and_sigma(g_us, seed, dtype):
    target, g_prog, _ = _programmed(g_us, seed, dtype=dtype)
    assert g_prog.dtype == dtype
    sigma = float(st.programming_sigma(g_us * US))
    err = g_prog.astype(np.float64) - target
    assert_within_se(err.mean(), 0.0, sigma / math.sqrt(N))
    assert_within_se(err.std(ddof=1), sigma, sigma / math.sqrt(2 * (N - 1)))


def _expected_drift_factor(g, t):
    """E[((t+t0)/t0)^-|mu + sd Z|] by Gauss-Hermite quadrature."""
    mu, sd = (float(v) for v in st.drift_exponent_stats(g))
    x, w = special.roots_hermitenorm(80)
    f = ((t + P.t0) / P.t0) ** (-np.abs(mu + sd * x))
    mean = np.sum(w * f) / math.sqrt(2 * math.pi)
    var = np.sum(w * f * f) / math.sqrt(2 * math.pi) - mean ** 2
    return mean, math.sqrt(var)


@pytest.mark.parametrize("t", [3600.0, 86400.0])
@pytest.mark.parametrize("g_us, seed", [(2.5, 21), (25.0, 22)])
def test_drift_factor_at_1h_and_1day(t, g_us, seed):
    target, g_prog, nu = _programmed(g_us, seed)
    mu, sd = (float(v) for v in st.drift_exponent_stats(g_us * US))
    assert_within_se(nu.mean(), mu, sd / math.sqrt(N))  # |.| folding negligible: mu > 2 sd
    factor = st.read(g_prog, nu, t, 5, np.arange(N), 9, noise=False) / g_prog
    expected, spread = _expected_drift_factor(g_us * US, t)
    assert_within_se(factor.mean(), expected, spread / math.sqrt(N))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("g_us, seed", [(2.5, 31), (12.5, 32), (25.0, 33)])
def test_read_noise_sigma(g_us, seed, dtype):
    """With programming noise off, G_read/G_drift - 1 has std read_noise_sigma and mean 0."""
    params = P.replace(prog_c0=0.0, prog_c1=0.0, prog_c2=0.0)
    dev = np.arange(N)
    target, g_prog, nu = _programmed(g_us, seed, params, dtype)
    g_read = st.read(g_prog, nu, 3600.0, seed, dev, 4, params, dtype=dtype)
    assert g_read.dtype == dtype
    rel = (g_read.astype(np.float64)
           / st.drift(g_prog, nu, 3600.0, params).astype(np.float64) - 1.0)
    s = float(st.read_noise_sigma(g_us * US, 3600.0, params))
    assert_within_se(rel.mean(), 0.0, s / math.sqrt(N))
    assert_within_se(rel.std(ddof=1), s, s / math.sqrt(2 * (N - 1)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reads_are_independent_per_event(dtype):
    """Reads of consecutive events (which share one draw: two normals per draw in float64,
    four in float32) and of events in different draws are uncorrelated."""
    dev = np.arange(N)
    g = np.full(N, 10 * US)
    nu = np.full(N, 0.05)
    reads = [st.read(g, nu, 100.0, 1, dev, e, dtype=dtype).astype(np.float64)
             for e in range(4, 10)]
    for i in range(len(reads)):
        for j in range(i + 1, len(reads)):
            r = np.corrcoef(reads[i], reads[j])[0, 1]
            assert_within_se(r, 0.0, 1 / math.sqrt(N))


def test_float32_normals_are_standard_and_independent():
    """rng.normal4_f32: each of the four outputs has mean 0 and std 1 (in se), passes a
    Kolmogorov-Smirnov test against N(0, 1) at alpha = 1e-6 (D < 2.69/sqrt(n)), and the
    six pairs are uncorrelated (in se)."""
    from pcmphys import rng

    z = [a.astype(np.float64) for a in rng.normal4_f32(17, np.arange(N), 5, rng.STREAM_USER)]
    for a in z:
        assert_within_se(a.mean(), 0.0, 1 / math.sqrt(N))
        assert_within_se(a.std(ddof=1), 1.0, 1 / math.sqrt(2 * (N - 1)))
        assert stats.kstest(a, "norm").statistic < 2.69 / math.sqrt(N)
    for i in range(4):
        for j in range(i + 1, 4):
            assert_within_se(np.corrcoef(z[i], z[j])[0, 1], 0.0, 1 / math.sqrt(N))


def test_accumulation_mean_curve_noise_free():
    """The noise-free recursion reproduces the published mean curve 0.98, 3.84, 6.24, 8.8,
    10.3 uS after 1, 5, 10, 20, 40 pulses, to the digits given."""
    curve = st.accumulation_mean_curve(40) / US
    for n, value, half_digit in [(1, 0.98, 0.005), (5, 3.84, 0.005), (10, 6.24, 0.005),
                                 (20, 8.8, 0.05), (40, 10.3, 0.05)]:
        assert abs(curve[n] - value) <= half_digit, (n, curve[n])


def _markov_mean_curve(n_pulses, h_us=0.01):
    """Exact mean curve of the clipped Markov chain, by propagating the distribution of G on
    a grid (mass at each grid point; transition by normal CDF differences)."""
    lo, hi = P.acc_g_min / US, P.acc_g_max / US
    x = np.arange(lo, hi + h_us / 2, h_us)
    edges = np.concatenate([[-np.inf], (x[1:] + x[:-1]) / 2, [np.inf]])
    mu = x + 0.892 - 0.084 * x
    sd = 0.575 + 0.09 * x
    cdf = stats.norm.cdf((edges[None, :] - mu[:, None]) / sd[:, None])
    T = np.diff(cdf, axis=1)  # rows: from x_i, columns: to x_j (clipping = outer bins)
    # RESET: N(0.1, 0.01) clipped at 0.01 uS -> put on a fine local grid, one exact SET step
    z, wz = special.roots_hermitenorm(60)
    wz = wz / wz.sum()
    g0 = np.maximum(0.1 * (1 + 0.1 * z), 0.01)
    first = np.zeros_like(x)
    for g, w in zip(g0, wz):
        m, s = g + 0.892 - 0.084 * g, 0.575 + 0.09 * g
        first += w * np.diff(stats.norm.cdf((edges - m) / s))
    means, p = [float(first @ x)], first
    for _ in range(n_pulses - 1):
        p = p @ T
        means.append(float(p @ x))
    return np.array(means)


@pytest.fixture(scope="module")
def accumulation_mc():
    n = 100_000
    pop = st.StatisticalPopulation(n, seed=2018, backend="numpy")
    pop.apply_reset()
    curve = []
    for _ in range(40):
        pop.apply_set()
        g = pop.g_prog / US
        curve.append((g.mean(), g.std(ddof=1) / math.sqrt(n)))
    return np.array(curve)


def test_accumulation_reset_state():
    pop = st.StatisticalPopulation(N, seed=7, backend="numpy")
    pop.apply_reset()
    g = pop.g_prog / US
    assert_within_se(g.mean(), 0.1, 0.01 / math.sqrt(N))
    assert_within_se(g.std(ddof=1), 0.01, 0.01 / math.sqrt(2 * N))


@pytest.fixture(scope="module")
def markov_curve():
    return _markov_mean_curve(40)


@pytest.mark.parametrize("pulses", [1, 5, 10, 20, 40])
def test_accumulation_mean_matches_markov_chain(accumulation_mc, markov_curve, pulses):
    """With noise and clipping the mean is slightly above the noise-free curve (1.000, 3.851,
    6.255, 8.794, 10.198 uS): the sampler must match the exact chain."""
    mean, se = accumulation_mc[pulses - 1]
    assert_within_se(mean, markov_curve[pulses - 1], se)


def test_markov_reference_converged(markov_curve):
    coarse = _markov_mean_curve(40, 0.02)
    assert np.max(np.abs(coarse - markov_curve)) < 2e-4  # << 5 se of the MC (~3e-3 uS)


def test_one_set_step_statistics():
    """dG ~ N(0.892 - 0.084 G, 0.575 + 0.09 G) uS from G = 5 uS (clips 5 sigma away)."""
    pop = st.StatisticalPopulation(N, seed=41, backend="numpy")
    pop.g_prog[:] = 5 * US
    pop.apply_set()
    dg = pop.g_prog / US - 5.0
    mu, sd = 0.892 - 0.084 * 5, 0.575 + 0.09 * 5
    assert_within_se(dg.mean(), mu, sd / math.sqrt(N))
    assert_within_se(dg.std(ddof=1), sd, sd / math.sqrt(2 * N))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"g_target.*\[S\].*range"):
        st.program([-1e-6], 1, [0])
    with pytest.raises(ValueError, match=r"\bt\b.*\[s\].*range"):
        st.drift(1e-6, 0.05, -1.0)
    with pytest.raises(ValueError, match=r"statistical.g_max.*S.*range"):
        st.StatisticalParams(g_max=-1.0)
    with pytest.raises(ValueError, match="nu_mean_min"):
        st.StatisticalParams(nu_mean_min=0.2, nu_mean_max=0.1)
    pop = st.StatisticalPopulation(3, seed=1, backend="numpy")
    with pytest.raises(ValueError, match="g_target must have shape"):
        pop.program([1e-6, 2e-6])
    assert st.StatisticalParams(g_max="10 uS").g_max == pytest.approx(10e-6)


def test_deterministic_params_remove_noise():
    p = P.deterministic()
    target = np.linspace(0, 25, 11) * US
    g_prog, nu = st.program(target, 3, np.arange(11), params=p)
    np.testing.assert_array_equal(g_prog, target)
    np.testing.assert_array_equal(nu, st.drift_exponent_stats(target, p)[0])
    g = st.read(g_prog, nu, 100.0, 3, np.arange(11), 1, p)
    np.testing.assert_array_equal(g, st.drift(g_prog, nu, 100.0, p))


def test_params_toml_round_trip_and_errors():
    p = P.replace(g_max=10e-6, read_q=0.01)
    assert st.StatisticalParams.from_toml(p.to_toml()) == p
    q = st.StatisticalParams.from_toml('[statistical]\ng_max = "10 uS"\nt0 = "1 min"\n')
    assert (q.g_max, q.t0) == (pytest.approx(10e-6), 60.0)
    with pytest.raises(ValueError, match="did you mean 'g_max'"):
        st.StatisticalParams.from_toml("[statistical]\ng_maxx = 1e-6\n")


def test_params_load(tmp_path):
    assert st.StatisticalParams.load("joshi2020") == P
    f = tmp_path / "mine.toml"
    f.write_text('[statistical]\ng_max = "20 uS"\n')
    assert st.StatisticalParams.load(f).g_max == pytest.approx(20e-6)
    with pytest.raises(ValueError, match="valid names: joshi2020"):
        st.StatisticalParams.load("joshi")
