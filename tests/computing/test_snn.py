"""pcmphys.computing.snn: encoding, STDP rule, WTA/homeostasis, PCM synapses, read-out.

Known-answer and invariant tests of the pieces of the Sidler et al. (ICANN 2017) network; the
learning itself is exercised by tests/studies/test_sidler2017_snn.py.
"""
import numpy as np
import pytest

from pcmphys.computing import snn


def test_poisson_spikes_rate_and_reproducibility():
    """Spike probability per step = x max_rate dt: 400 steps x 500 inputs at p = 0.05 give
    a rate within 5 se; same (seed, presentation) -> same spikes; new presentation differs."""
    x = np.full((1, 500), 0.5)
    s1 = snn.poisson_spikes(x, 400, 0.1, seed=3, presentation=7)
    s2 = snn.poisson_spikes(x, 400, 0.1, seed=3, presentation=7)
    s3 = snn.poisson_spikes(x, 400, 0.1, seed=3, presentation=8)
    assert s1.shape == (1, 400, 500) and s1.dtype == bool
    np.testing.assert_array_equal(s1, s2)
    assert (s1 != s3).any()
    n = s1.size
    se = np.sqrt(0.05 * 0.95 / n)
    assert abs(s1.mean() - 0.05) < 5 * se
    zero = snn.poisson_spikes(np.zeros((2, 10)), 50, 0.5, seed=1, presentation=[0, 1])
    assert not zero.any()
    # a batch equals the images presented one by one with the same presentation indices
    xb = np.array([[0.2] * 30, [0.9] * 30])
    b = snn.poisson_spikes(xb, 20, 0.3, seed=5, presentation=[4, 9])
    np.testing.assert_array_equal(b[1], snn.poisson_spikes(xb[1:], 20, 0.3, 5, 9)[0])


def test_complementary_encoding():
    x = np.array([[0.0, 0.25, 1.0]])
    np.testing.assert_allclose(snn.complementary(x), [[0.0, 0.25, 1.0, 1.0, 0.75, 0.0]])


def test_stdp_masks_known_answer():
    """Fig. 16b rule: last input spike within dt_pot before t_j -> potentiate; older than
    dt_dep (or none in this presentation) -> depress; in between unchanged."""
    steps, dt = 30, 1e-3
    sp = np.zeros((steps, 5), bool)
    sp[20, 0] = True        # age 0 ms at t=20 -> potentiate
    sp[12, 1] = True        # age 8 ms -> potentiate (dt_pot 10 ms)
    sp[5, 2] = True         # age 15 ms -> unchanged (dt_dep 20 ms)
    sp[0, 3] = True         # age 20 ms -> not older than dt_dep: unchanged
    # input 4 never spikes -> depress
    pot, dep = snn.stdp_masks(sp, 20, dt, 0.01, 0.02, rest=0.05)
    np.testing.assert_array_equal(pot, [True, True, False, False, False])
    np.testing.assert_array_equal(dep, [False, False, False, False, True])
    sp[0, 2] = True         # an earlier spike does not matter: the last one counts
    pot2, dep2 = snn.stdp_masks(sp, 20, dt, 0.01, 0.002, rest=0.05)
    np.testing.assert_array_equal(dep2, [False, True, True, True, True])


def test_network_config_rejects_bad_values():
    with pytest.raises(ValueError, match=r"dt_dep must be in \[0.01, 1e\+06\] s"):
        snn.NetworkConfig(dt_pot=0.01, dt_dep=0.005)
    with pytest.raises(ValueError, match="max_rate must be in"):
        snn.NetworkConfig(max_rate=5000.0)
    with pytest.raises(ValueError, match="pixel intensities must be in"):
        snn.poisson_spikes(np.array([[1.5]]), 3, 0.1, 0, 0)


def test_float_synapses_bounds():
    syn = snn.FloatSynapses(2, 4, dw_pot=0.4, dw_dep=0.3, w_init=0.0, seed=1)
    pot = np.array([True, True, False, False])
    dep = np.array([False, False, True, False])
    for _ in range(3):
        syn.update(0, pot, dep, 0.0)
    np.testing.assert_allclose(syn.weights()[0], [1.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(syn.weights()[1], 0.0)


def _tiny_net(synapses, threshold=2.0, steps=40, n_out=3, **kw):
    cfg = snn.NetworkConfig(n_outputs=n_out, steps=steps, threshold=threshold, theta_plus=1.0,
                            tau_theta=1e9, **kw)
    return snn.SpikingNetwork(synapses.n_inputs, cfg, synapses, seed=2)


def test_wta_one_winner_per_step_and_homeostasis():
    """At most one output spike per step (WTA with membrane reset); each spike raises the
    winner's threshold by theta_plus; the neuron with the largest weights wins first."""
    syn = snn.FloatSynapses(3, 20, dw_pot=0.0, dw_dep=0.0, w_init=0.0, seed=0)
    syn.w[:] = [[0.2] * 20, [0.5] * 20, [0.1] * 20]
    net = _tiny_net(syn)
    sp = snn.poisson_spikes(np.ones((1, 20)), 40, 0.3, 2, 0)[0]
    fired = net._present(sp, learn=False)
    assert fired == net.spike_counts.sum() >= 1
    np.testing.assert_allclose(net.theta - 2.0, net.spike_counts)
    assert net.spike_counts[1] == net.spike_counts.max()
    # batched evaluation: with the trained thresholds, no image gets more spikes than steps
    counts = net.respond(np.ones((4, 20)), batch=3)
    assert counts.shape == (4, 3) and (counts.sum(1) <= 40).all() and (counts.sum(1) > 0).all()


def test_learning_moves_weights_toward_the_pattern():
    """STDP on float synapses: after presentations of one pattern the winner's weights on
    the pattern's pixels exceed those off it (the prototype forms)."""
    syn = snn.FloatSynapses(2, 16, dw_pot=0.1, dw_dep=0.05, w_init=0.3, seed=4)
    net = _tiny_net(syn, threshold=1.0, n_out=2)
    x = np.zeros(16)
    x[:8] = 1.0
    for _ in range(15):
        net.train_image(x)
    j = int(np.argmax(net.spike_counts))
    assert syn.w[j, :8].mean() > syn.w[j, 8:].mean() + 0.3


def test_labels_and_prediction_known_answer():
    counts = np.array([[5, 0, 0], [4, 1, 0], [0, 3, 0], [0, 0, 0]])
    labels = np.array([1, 1, 2, 0])
    asg = snn.assign_labels(counts, labels, n_classes=3)
    np.testing.assert_array_equal(asg, [1, 2, -1])
    np.testing.assert_array_equal(snn.predict(counts, asg, 3), [1, 1, 2, -1])


@pytest.mark.parametrize("cell_model", ["statistical", "physical"])
def test_pcm_pair_weight_is_difference_and_refresh(cell_model):
    """Differential pair (tutorial Fig. 14c): w = (G+ - G-)/g_ref; SET pulses on the LTP
    cells raise w, on the LTD cells lower it; pushing cells over g_saturation triggers a
    refresh that RESETs both cells and keeps the sign of the weight. Means over 100
    synapses per group (single SET steps are noisy in both cell models)."""
    n = 200
    syn = snn.PCMSynapses(2, n, cell_model=cell_model, pair=True, depression="ltd",
                          init_pulses=0, seed=11, backend="auto")
    w0 = syn.read_all(0.0)
    assert abs(w0.mean()) < 0.05
    pot = np.arange(n) < n // 2
    for k in range(4):
        syn.update(0, pot, ~pot, 1.0 + k)
    w = syn.weights()
    assert w[0, pot].mean() > 0.2 and w[0, ~pot].mean() < -0.2
    assert abs(w[1].mean()) < 0.05                       # the other row is untouched
    g = syn.conductances(5.0)
    assert set(g) == {"g_plus", "g_minus"} and g["g_plus"].shape == (2, n)
    np.testing.assert_allclose(syn.read_all(5.0), (g["g_plus"] - g["g_minus"]) / syn.g_ref,
                               atol=0.5)                 # new reads: only noise differs
    for k in range(30):
        syn.update(0, pot, ~pot, 6.0 + k)
    assert syn.refreshes > 0 and syn.pulses["reset"] > 0
    g = syn.conductances(40.0)
    assert np.median(g["g_plus"][0, pot]) <= syn.g_sat * 1.2
    w = syn.weights()
    assert w[0, pot].mean() > 0.2 and w[0, ~pot].mean() < -0.2


def test_pcm_single_cell_reset_depression():
    """Single cell: potentiation by SET raises G (mean over 100 cells after 5 pulses within
    a factor 2 of the noise-free accumulation curve, pcmphys.statistical); depression by
    RESET returns it to the RESET level (abrupt)."""
    from pcmphys.statistical import accumulation_mean_curve

    n = 200
    syn = snn.PCMSynapses(1, n, cell_model="statistical", init_pulses=0, seed=3,
                          backend="auto")
    pot = np.arange(n) < n // 2
    for k in range(5):
        syn.update(0, pot, np.zeros(n, bool), float(k))
    expected = accumulation_mean_curve(5)[-1] / syn.g_ref
    g = syn.cells.pop.backend.to_numpy(syn.cells.pop.g_prog) / syn.g_ref
    assert 0.5 * expected < g[pot].mean() < 2 * expected
    assert g[~pot].mean() < 0.03
    dep = pot & (np.arange(n) < n // 4)
    syn.update(0, np.zeros(n, bool), dep, 6.0)
    g = syn.cells.pop.backend.to_numpy(syn.cells.pop.g_prog) / syn.g_ref
    assert g[dep].max() < 0.05 and g[pot & ~dep].mean() > 0.5 * expected


def test_pcm_synapses_bad_input():
    with pytest.raises(ValueError, match="depression='ltd' needs pair=True"):
        snn.PCMSynapses(1, 2, depression="ltd", pair=False)
    with pytest.raises(ValueError, match="cell_model must be"):
        snn.PCMSynapses(1, 2, cell_model="float")
    with pytest.raises(ValueError, match=r"depression_probability must be in \[0, 1\] 1"):
        snn.PCMSynapses(1, 2, depression_probability=2.0)


def test_training_is_reproducible_with_the_counter_rng():
    """Same seeds -> identical weights after training on PCM (statistical) synapses."""
    def train():
        syn = snn.PCMSynapses(3, 16, cell_model="statistical", seed=5, backend="auto",
                              depression_probability=0.5)
        net = _tiny_net(syn, threshold=1.0)
        x = np.zeros(16)
        x[::2] = 1.0
        for _ in range(5):
            net.train_image(x)
        return syn.read_all(net.time), net.spike_counts.copy()
    (w1, c1), (w2, c2) = train(), train()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(c1, c2)
    assert c1.sum() > 0


@pytest.mark.parametrize("cell_model", ["physical", "statistical"])
def test_phase_change_output_neurons(cell_model):
    """All-PCM network: output neurons integrate by SET pulses on their cell (one pulse per
    input quantum) and fire when the read conductance reaches g_fire; every spike RESETs the
    neuron cells. The neuron with the strongest weights fires most; thresholds adapt."""
    syn = snn.FloatSynapses(3, 20, dw_pot=0.0, dw_dep=0.0, w_init=0.0, seed=0)
    syn.w[:] = [[0.1] * 20, [0.6] * 20, [0.2] * 20]
    neurons = snn.PCMNeurons(3, cell_model, quantum=1.0, g_fire=3e-6, seed=3,
                             backend="auto")
    cfg = snn.NetworkConfig(n_outputs=3, steps=60, threshold=2.0, theta_plus=0.5,
                            tau_theta=1e9)
    net = snn.SpikingNetwork(20, cfg, syn, seed=2, neurons=neurons)
    sp = snn.poisson_spikes(np.ones((1, 20)), 60, 0.3, 2, 0)[0]
    fired = net._present(sp, learn=False)
    assert fired >= 1 and neurons.pulses > 0
    assert net.spike_counts[1] == net.spike_counts.max()
    np.testing.assert_allclose(net.theta - 2.0, 0.5 * net.spike_counts)
