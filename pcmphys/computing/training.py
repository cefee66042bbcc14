"""Training fully-connected networks whose weights live on simulated PCM cells.

A small, array-native (NumPy or CuPy) multilayer perceptron: every weight matrix sits on a
:class:`~pcmphys.computing.crossbar.Crossbar` of differential cell pairs; the forward pass is
the crossbar's MVM and the backward pass its transposed MVM (read noise, drift, DAC/ADC as the
crossbar models them); activations (tanh hidden layers, softmax output), the cross-entropy loss
and the error vectors are computed in software. Weight updates are the schemes of the PCM
training literature, each a class:

* :class:`PCMPairLayer` (``"pcm_pair"``): crossbar-compatible update by stochastic pulse
  coincidence (Burr et al., IEEE TED 62, 3498 (2015)): row and column pulse trains of
  ``bit_length`` slots fire with probabilities proportional to the error and the input; every
  coincidence is one SET pulse on G+ (weight increase) or G- (decrease). Pairs whose G+ or G-
  exceeds a threshold are RESET and the net weight is reprogrammed onto one cell every
  ``refresh_interval`` examples ("occasional RESET").
* :class:`MultiPCMLayer` (``"multi_pcm"``): the same update with ``n_devices`` cells per
  polarity; a global arbitration counter selects which cell of the N receives the pulses of an
  example (Boybat et al., Nat. Commun. 9, 2514 (2018)). N = 1 is ``pcm_pair``.
* :class:`MixedPrecisionLayer` (``"mixed_precision"``): the updates accumulate in a float
  ``chi``; when ``|chi| >= epsilon`` (the weight change of one SET pulse) ``floor(|chi|/eps)``
  pulses go to G+ or G- and ``chi`` is reduced by what was applied (Nandakumar et al., ISCAS
  2018 / Front. Neurosci. 14, 406 (2020)).
* :class:`TICPCMLayer` (``"tic_pcm"``): the 2T1C + PCM synapse of Ambrogio et al., Nature 558,
  60 (2018): ``W = W_pcm + p (c + b)``, with a linear, leaky capacitor value ``c`` of lower
  significance (range ``w_max / gain``, granularity ``capacitor_step``, leak time constant
  ``capacitor_tau``) updated every example, a fixed per-weight offset ``b`` of the shared bias,
  and a polarity ``p = +-1``; every ``transfer_interval`` examples the capacitor contents are
  added to the PCM pair by program-and-verify and the polarity of the transferred weights is
  inverted, so the bias offset alternates in sign instead of accumulating.
* :class:`SoftwareLayer` (``"software"``): float weights trained identically (the baseline).

Cells (``cells=``): ``"statistical"`` (the statistical mode's accumulation statistics),
``"physical"`` (every update a SET pulse through :class:`pcmphys.Population`) or ``"ideal"``
(a linear, symmetric control: every SET pulse adds the same step, no noise, no drift, stored
in a noise-free statistical crossbar). The nominal step, the RESET conductance and the usable
range of the cells are measured at construction on a small calibration population
(:func:`calibrate_cells`), so the schemes follow any recalibration of the cell models.

Randomness (initial weights, example order, pulse coincidences, stochastic rounding, bias
offsets) comes from the counter RNG of :mod:`pcmphys.rng`, keyed on the seed and global
indices: a run is reproducible and gives the same numbers on every backend (up to the cells'
own documented backend tolerances).

Limitations (stated, not hidden): the statistical cells count time from their last programming
event as one global clock, so drift after training is evaluated as if every cell had been
written at the end of training; the capacitor contribution of ``tic_pcm`` is added in software
(no read noise on it); pulse energies of statistical and ideal cells are the physical model's
mean SET / RESET energies measured during calibration.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pcmphys import rng

__all__ = ["CELL_MODELS", "SCHEMES", "CellCalibration", "MultiPCMLayer", "MixedPrecisionLayer",
           "Network", "PCMPairLayer", "SoftwareLayer", "TICPCMLayer", "calibrate_cells"]

SCHEMES = ("software", "pcm_pair", "tic_pcm", "mixed_precision", "multi_pcm")
CELL_MODELS = ("statistical", "physical", "ideal")

STREAM_TRAIN_INIT = rng.STREAM_USER + 150
STREAM_TRAIN_ORDER = rng.STREAM_USER + 151
STREAM_TRAIN_COINCIDENCE = rng.STREAM_USER + 152
STREAM_TRAIN_ROUND = rng.STREAM_USER + 153
STREAM_TRAIN_BIAS = rng.STREAM_USER + 154

#: global device indices reserved per layer (cells, RNG keys) and for the calibration cells
_LAYER_STRIDE = 2 ** 32
_CALIBRATION_OFFSET = 2 ** 40


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _check_float(name, value, unit, lo, hi):
    v = float(value)
    if not (math.isfinite(v) and lo <= v <= hi):
        raise ValueError(f"{name} = {value!r} [{unit}] is outside the allowed range [{lo}, {hi}]")
    return v


def _check_int(name, value, lo, hi):
    from pcmphys.protocol import check_int

    return check_int(name, value, lo, hi)


# ---------------------------------------------------------------------------- cell drivers
@dataclass
class CellCalibration:
    """Measured response of a cell model to repeated SET pulses from RESET.

    Attributes
    ----------
    g_reset : float
        Mean conductance after RESET [S].
    step : float
        Nominal SET step: mean increase per pulse over the first ``n_step`` pulses [S].
    g_top : float
        Mean conductance after ``n_pulses`` SET pulses (the usable top of the range) [S].
    curve : list of float
        Mean conductance after 0..n_pulses pulses [S].
    energy_set, energy_reset : float
        Mean energy of one SET / RESET pulse on the physical model [J].
    """

    g_reset: float
    step: float
    g_top: float
    curve: list = field(default_factory=list)
    energy_set: float = 0.0
    energy_reset: float = 0.0

    @property
    def g_range(self):
        """Usable conductance range ``g_top - g_reset`` [S]."""
        return self.g_top - self.g_reset


class _StatisticalCells:
    """Statistical cells: SET pulses with the accumulation statistics, reads at `t_read`."""

    def __init__(self, pop, t_read, energy_set, energy_reset):
        self.pop, self.xp, self.t_read = pop, pop.xp, t_read
        self.energy_set, self.energy_reset = energy_set, energy_reset

    def read(self):
        return self.pop.read(self.t_read)

    def set(self, mask):
        n = int(self.xp.count_nonzero(mask))
        if n:
            self.pop.apply_set(where=mask)
        return n, n * self.energy_set

    def reset(self, mask):
        n = int(self.xp.count_nonzero(mask))
        if n:
            self.pop.apply_reset(where=mask)
        return n, n * self.energy_reset


class _PhysicalCells:
    """Physical cells: every pulse a SET / RESET pulse through Population.apply."""

    def __init__(self, pop, set_pulse, reset_pulse, read_voltage):
        self.pop, self.xp = pop, pop.backend.xp
        self.set_pulse, self.reset_pulse, self.read_voltage = set_pulse, reset_pulse, read_voltage

    def read(self):
        return self.pop.read(self.read_voltage)

    def _apply(self, pulse, mask):
        n = int(self.xp.count_nonzero(mask))
        if not n:
            return 0, 0.0
        diag = self.pop.apply(pulse, where=mask, diagnostics=True)
        m = self.pop.backend.to_numpy(mask).astype(bool)
        return n, float(np.sum(diag["energy"][m]))

    def set(self, mask):
        return self._apply(self.set_pulse, mask)

    def reset(self, mask):
        return self._apply(self.reset_pulse, mask)


class _IdealCells:
    """Linear, symmetric control cells: each SET adds `step` (up to `g_top`), RESET gives 0.

    The conductances are stored exactly in a noise-free, drift-free statistical population, so
    the crossbar's MVM reads them without error.
    """

    def __init__(self, pop, step, g_top, energy_set, energy_reset):
        self.pop, self.xp = pop, pop.xp
        self.step, self.g_top = step, g_top
        self.energy_set, self.energy_reset = energy_set, energy_reset
        self.g = self.xp.zeros(pop.n_devices, np.float64)
        pop.program(self.g)

    def read(self):
        return self.g.copy()

    def set(self, mask):
        n = int(self.xp.count_nonzero(mask))
        if n:
            self.g = self.xp.where(mask, self.xp.minimum(self.g + self.step, self.g_top), self.g)
            self.pop.program(self.g, where=mask)
        return n, n * self.energy_set

    def reset(self, mask):
        n = int(self.xp.count_nonzero(mask))
        if n:
            self.g = self.xp.where(mask, 0.0, self.g)
            self.pop.program(self.g, where=mask)
        return n, n * self.energy_reset


def _ideal_params():
    from pcmphys.statistical import StatisticalParams

    return StatisticalParams().deterministic().replace(nu_mean_min=0.0, nu_mean_max=0.0,
                                                       nu_mean_intercept=0.0,
                                                       nu_mean_slope=0.0)


def _physical_pulses(set_current, set_width):
    import pcmphys as pcm

    return pcm.Pulse.set(set_current, set_width), pcm.Pulse.reset()


def calibrate_cells(cells, seed=0, backend="auto", params=None, n_cells=256, n_pulses=40,
                    n_step=5, set_current=100e-6, set_width=50e-9, read_voltage=0.2,
                    physical_params=None):
    """Measure a cell model's SET response from RESET (mean over `n_cells` cells).

    Parameters
    ----------
    cells : {"statistical", "physical", "ideal"}
    seed : int
    backend : str
    params : StatisticalParams or ParameterSet, optional
        Parameters of the cell model (statistical: StatisticalParams; physical: ParameterSet).
    n_cells, n_pulses, n_step : int
        Calibration cells, pulses applied, pulses over which the nominal step is averaged.
    set_current, set_width : float
        Physical SET pulse [A], [s].
    read_voltage : float
        Physical read voltage [V].
    physical_params : ParameterSet, optional
        Physical parameters used for the pulse energies (default sebastian2017_gst90nm).

    Returns
    -------
    CellCalibration
        ``ideal``: the statistical model's step and top, RESET at 0 S.
    """
    import pcmphys as pcm

    _check_choice("cells", cells, CELL_MODELS)
    n_cells = _check_int("n_cells", n_cells, 8, 2 ** 20)
    n_pulses = _check_int("n_pulses", n_pulses, 2, 10 ** 4)
    n_step = _check_int("n_step", n_step, 1, n_pulses)
    set_pulse, reset_pulse = _physical_pulses(set_current, set_width)
    pparams = physical_params
    if pparams is None:
        pparams = params if cells == "physical" and params is not None else \
            pcm.ParameterSet.load("sebastian2017_gst90nm")
    phys = pcm.Population(pparams, n_cells, seed, backend, _CALIBRATION_OFFSET)
    be = phys.backend
    e_reset = float(np.mean(phys.apply(reset_pulse, diagnostics=True)["energy"]))
    curve, e_set = [float(np.mean(be.to_numpy(phys.read(read_voltage))))], []
    for _ in range(n_pulses):
        e_set.append(float(np.mean(phys.apply(set_pulse, diagnostics=True)["energy"])))
        curve.append(float(np.mean(be.to_numpy(phys.read(read_voltage)))))
    energy_set = float(np.mean(e_set))
    if cells != "physical":
        from pcmphys.statistical import StatisticalPopulation

        sp = None if cells == "ideal" else params
        pop = StatisticalPopulation(n_cells, seed, sp, backend, _CALIBRATION_OFFSET)
        pop.apply_reset()
        curve = [float(np.mean(pop.backend.to_numpy(pop.read(0.0, noise=False))))]
        for _ in range(n_pulses):
            pop.apply_set()
            curve.append(float(np.mean(pop.backend.to_numpy(pop.read(0.0, noise=False)))))
    step = (curve[n_step] - curve[0]) / n_step
    if not step > 0:
        raise RuntimeError(f"cell calibration: no mean conductance increase over the first "
                           f"{n_step} SET pulses (curve {curve[:n_step + 1]} S); choose another "
                           "set_current / set_width")
    if cells == "ideal":
        return CellCalibration(0.0, step, curve[-1] - curve[0], curve, energy_set, e_reset)
    return CellCalibration(curve[0], step, curve[-1], curve, energy_set, e_reset)


# ---------------------------------------------------------------------------- layers
def _uniform(seed, n, event, stream, offset=0):
    """n counter-RNG uniforms in (0, 1) (NumPy), keyed on global indices offset..offset+n."""
    u, _ = rng.uniform(seed, np.arange(offset, offset + n, dtype=np.int64), event, stream)
    return u


class SoftwareLayer:
    """Float weights: ``y = W x``; update ``W += dW`` (the software baseline)."""

    scheme = "software"

    def __init__(self, w0, backend):
        self.backend, self.xp = backend, backend.xp
        self.w = backend.asarray(w0, np.float64)
        self.counts = {"set": 0, "reset": 0, "energy": 0.0}

    def forward(self, x):
        return self.w @ x

    def backward(self, d):
        return self.w.T @ d

    def update(self, dw, example):
        self.w = self.w + dw

    def maintain(self, example):
        pass

    def finish(self):
        pass

    def weights(self):
        return self.w

    def set_time(self, t, compensate):
        pass

    def conductances(self):
        return None


class PCMPairLayer:
    """Weights on PCM pairs updated by stochastic pulse coincidence (Burr 2015).

    ``W = sum_k (G+_k - G-_k) w_max / (n_devices g_range)`` over the ``n_devices`` pairs of a
    weight (1 for a plain PCM pair). Expected SET pulses per weight and example
    ``E[n_ij] = bit_length p_i p_j = |dW_ij| / eps`` with ``eps = w_max step / (n_devices
    g_range)`` the weight change of one pulse; ``p_i`` (rows, from the error) and ``p_j``
    (columns, from the input) are balanced and capped at 1, so at most ``bit_length`` pulses
    per weight and example.

    Parameters
    ----------
    w0 : array, shape (n_out, n_in)
        Initial weights; programmed by program-and-verify.
    net : Network
        Owner (cells, calibration, backend, crossbar options).
    index : int
        Layer index (selects global cell indices and RNG keys).
    w_max : float
        Weight of a pair at ``G+ - G- = g_range`` [1].
    bit_length : int
        Pulse slots per example.
    refresh_interval : int
        Examples between checks for saturated pairs (0: never).
    refresh_threshold : float
        A pair is saturated when G+ or G- exceeds ``g_reset + threshold g_range`` [1].
    n_devices : int
        Cells per polarity (multi-PCM).
    """

    scheme = "pcm_pair"

    def __init__(self, w0, net, index, w_max, bit_length=16, refresh_interval=500,
                 refresh_threshold=0.85, n_devices=1):
        from pcmphys.computing.crossbar import Crossbar

        self.net, self.index = net, index
        self.backend, self.xp = net.backend, net.backend.xp
        self.n_out, self.n_in = w0.shape
        self.N = _check_int("n_devices", n_devices, 1, 64)
        self.w_max = _check_float("w_max", w_max, "1", 1e-9, 1e9)
        self.bit_length = _check_int("bit_length", bit_length, 1, 4096)
        self.refresh_interval = _check_int("refresh_interval", refresh_interval, 0, 2 ** 31)
        self.refresh_threshold = _check_float("refresh_threshold", refresh_threshold, "1",
                                              0.05, 1.0)
        cal = net.calibration
        self.cal = cal
        self.eps = w_max * cal.step / (self.N * cal.g_range)
        model = "physical" if net.cells == "physical" else "statistical"
        params = _ideal_params() if net.cells == "ideal" else net.cell_params
        self.offset = (index + 1) * _LAYER_STRIDE
        self.xbar = Crossbar(self.n_out, self.N * self.n_in, model=model, g_max=cal.g_range,
                             params=params, seed=net.seed, backend=net.backend,
                             device_offset=self.offset, dac_bits=net.dac_bits,
                             adc_bits=net.adc_bits, mvm_interval=0.0,
                             read_voltage=net.read_voltage)
        ones = np.ones((self.n_out, self.N * self.n_in))
        if model == "physical":
            self.xbar.program(ones, method="verify", max_iterations=1, verify_time=0.0)
            set_pulse, reset_pulse = _physical_pulses(net.set_current, net.set_width)
            self.cells = _PhysicalCells(self.xbar.cells, set_pulse, reset_pulse,
                                        net.read_voltage)
            self._t_prog = self.xbar.cells.clock
        else:
            self.xbar.program(ones)
            if net.cells == "ideal":
                self.cells = _IdealCells(self.xbar.cells, cal.step, cal.g_top, cal.energy_set,
                                         cal.energy_reset)
            else:
                self.cells = _StatisticalCells(self.xbar.cells, 0.0, cal.energy_set,
                                               cal.energy_reset)
            self._t_prog = 0.0
        self.counts = {"set": 0, "reset": 0, "energy": 0.0, "maintenance_set": 0,
                       "maintenance_reset": 0}
        self.counter = 0  # arbitration counter (multi-PCM)
        self._t_eval, self._scale = None, 1.0
        self._s_ref = None
        self.cells.reset(self.xp.ones(self.xbar.n_cells, bool))
        w0 = self.backend.asarray(w0, np.float64)
        self._program_pairs(self.xp.broadcast_to(w0[:, None, :], (self.n_out, self.N, self.n_in)),
                            self.xp.ones((self.n_out, self.N, self.n_in), bool), "init")

    # -------------------------------------------------------------- cells and time
    def _t(self):
        if self._t_eval is not None:
            return self._t_eval
        if self.net.cells == "physical":
            return self.xbar.cells.clock - self._t_prog
        return 0.0

    def conductances(self):
        """Conductances now, shape (2, n_out, n_devices, n_in) [S]."""
        return self.xbar.conductances(self._t()).reshape(2, self.n_out, self.N, self.n_in)

    def weights(self):
        g = self.conductances()
        return (g[0] - g[1]).sum(axis=1) * (self.w_max / (self.N * self.cal.g_range))

    def _pulse(self, kind, mask, tag):
        n, e = (self.cells.set if kind == "set" else self.cells.reset)(mask.reshape(-1))
        key = kind if tag == "update" else f"maintenance_{kind}"
        if tag != "init":
            self.counts[key] += n
            self.counts["energy"] += e
        return n

    def _program_pairs(self, w_target, sel, tag, tol=0.5, max_iterations=None):
        """RESET the selected pairs (sel: (n_out, N, n_in)) and program `w_target` onto them.

        The cell of the target's sign climbs by SET pulses until its read exceeds
        ``g_reset + |w| g_range / w_max - tol step`` (program-and-verify, at most
        `max_iterations` pulses); the targets are limited to the usable range.
        """
        xp, cal = self.xp, self.cal
        both = xp.stack([sel, sel])
        self._pulse("reset", both, tag)
        mag = xp.minimum(xp.abs(w_target) * (cal.g_range / self.w_max), cal.g_range)
        target = cal.g_reset + mag
        want = xp.stack([sel & (w_target > 0), sel & (w_target < 0)])
        target = xp.stack([target, target])
        limit = target - tol * cal.step
        n_max = max_iterations or int(math.ceil(3 * cal.g_range / cal.step)) + 5
        for _ in range(n_max):
            g = self.cells.read().reshape(want.shape)
            need = want & (g < limit)
            if not bool(xp.any(need)):
                break
            self._pulse("set", need, tag)

    # -------------------------------------------------------------- network interface
    def _tile(self, x):
        return x if self.N == 1 else self.xp.concatenate([x] * self.N, axis=0)

    def forward(self, x):
        y = self.xbar.mvm(self._tile(x), self._t()) * (self.w_max / self.N)
        return y * self._scale

    def backward(self, d):
        v = self.xbar.mvm_t(d, self._t()) * (self.w_max / self.N)
        return v.reshape(self.N, self.n_in).sum(axis=0) * self._scale

    def _coincidences(self, dw, example):
        """Pulse counts (n_out, n_in) and signs of the stochastic coincidence update."""
        xp, bl = self.xp, self.bit_length
        d, x = self._factors
        ad, ax = xp.abs(d), xp.abs(x)
        md, mx = float(xp.max(ad)), float(xp.max(ax))
        if md == 0.0 or mx == 0.0:
            return None, None
        c = self.net.learning_rate / (self.eps * bl)
        s = math.sqrt(mx / md)
        pr = xp.minimum(math.sqrt(c) * ad * s, 1.0)
        pc = xp.minimum(math.sqrt(c) * ax / s, 1.0)
        u = _uniform(self.net.seed, bl * (self.n_out + self.n_in), example,
                     STREAM_TRAIN_COINCIDENCE, self.offset)
        u = self.backend.asarray(u.reshape(bl, self.n_out + self.n_in))
        rows = (u[:, :self.n_out] < pr[None, :]).astype(np.float64)
        cols = (u[:, self.n_out:] < pc[None, :]).astype(np.float64)
        n = xp.rint(rows.T @ cols).astype(np.int64)
        return n, xp.sign(dw)

    def _apply_counts(self, n, sign):
        xp = self.xp
        if n is None:
            return
        n_max = int(xp.max(n))
        k = self.counter % self.N
        for m in range(1, n_max + 1):
            on = n >= m
            mask = xp.zeros((2, self.n_out, self.N, self.n_in), bool)
            mask[0, :, k, :] = on & (sign > 0)
            mask[1, :, k, :] = on & (sign < 0)
            self._pulse("set", mask, "update")

    def update(self, dw, example):
        n, sign = self._coincidences(dw, example)
        self._apply_counts(n, sign)
        self.counter += 1

    def refresh(self):
        """RESET saturated pairs and reprogram their net weight onto one cell."""
        xp, cal = self.xp, self.cal
        g = self.cells.read().reshape(2, self.n_out, self.N, self.n_in)
        top = cal.g_reset + self.refresh_threshold * cal.g_range
        sat = (g[0] > top) | (g[1] > top)
        if bool(xp.any(sat)):
            w = (g[0] - g[1]) * (self.w_max / cal.g_range)
            self._program_pairs(w, sat, "refresh")

    def maintain(self, example):
        if self.refresh_interval and (example + 1) % self.refresh_interval == 0:
            self.refresh()

    def finish(self):
        pass

    def set_time(self, t, compensate):
        """Evaluate `t` [s] after the end of training (None: back to training time), with or
        without global drift compensation (outputs times ``s_ref / s(t)``, ``s`` the summed
        conductance of the array read once)."""
        if t is None:
            self._t_eval, self._scale = None, 1.0
            return
        if self._s_ref is None:
            self._t_end = self._t()
            self._t_eval = self._t_end
            self._s_ref = float(self.xp.sum(self.xbar.conductances(self._t_eval)))
        self._t_eval = self._t_end + float(t)
        self._scale = 1.0
        if compensate:
            s = float(self.xp.sum(self.xbar.conductances(self._t_eval)))
            self._scale = self._s_ref / s if s > 0 else 1.0


class MultiPCMLayer(PCMPairLayer):
    """``n_devices`` cells per polarity with an arbitration counter (Boybat 2018); the update
    of an example goes to cell ``counter mod N`` of the selected polarity."""

    scheme = "multi_pcm"


class MixedPrecisionLayer(PCMPairLayer):
    """Mixed precision: ``chi += dW``; ``p = min(floor(|chi|/eps), max_pulses)`` SET pulses on
    G+ (chi > 0) or G- (chi < 0), ``chi -= sign(chi) p eps`` (Nandakumar 2018)."""

    scheme = "mixed_precision"

    def __init__(self, w0, net, index, w_max, max_pulses=4, **kw):
        super().__init__(w0, net, index, w_max, **kw)
        self.max_pulses = _check_int("max_pulses", max_pulses, 1, 4096)
        self.chi = self.xp.zeros((self.n_out, self.n_in), np.float64)

    def update(self, dw, example):
        xp = self.xp
        self.chi = self.chi + dw
        p = xp.minimum(xp.floor(xp.abs(self.chi) / self.eps), self.max_pulses).astype(np.int64)
        sign = xp.sign(self.chi)
        self.chi = self.chi - sign * p * self.eps
        self._apply_counts(p, sign)


class TICPCMLayer(PCMPairLayer):
    """2T1C + PCM (Ambrogio 2018): ``W = W_pcm + p (c + b)``.

    Takes the arguments of :class:`PCMPairLayer` and the following.

    Parameters
    ----------
    gain : float
        F: the capacitor range is ``w_max / F`` [1].
    capacitor_step : float
        Update granularity of c as a fraction of its range [1]; updates are rounded
        stochastically to it.
    capacitor_tau : float
        Leak time constant of c [s].
    example_time : float
        Time per training example [s] (sets the leak per example).
    transfer_interval : int
        Examples between transfers into the PCM pair.
    transfer_threshold : float
        Transfer weights with ``|c + b| >=`` this many PCM steps [1].
    bias_offset : float
        Std of the fixed per-weight offset b of the shared bias, fraction of the capacitor
        range [1].
    polarity_inversion : bool
        Invert p of the transferred weights at each transfer.
    """

    scheme = "tic_pcm"

    def __init__(self, w0, net, index, w_max, gain=3.0, capacitor_step=1 / 256,
                 capacitor_tau=10.0, example_time=1e-3, transfer_interval=100,
                 transfer_threshold=0.5, bias_offset=0.02, polarity_inversion=True, **kw):
        super().__init__(w0, net, index, w_max, **kw)
        xp = self.xp
        self.gain = _check_float("gain", gain, "1", 1.0, 1e6)
        self.c_range = w_max / self.gain
        self.c_step = _check_float("capacitor_step", capacitor_step, "1", 1e-9, 1.0) * self.c_range
        tau = _check_float("capacitor_tau", capacitor_tau, "s", 1e-9, 1e12)
        dt = _check_float("example_time", example_time, "s", 0.0, 1e6)
        self.leak = math.exp(-dt / tau)
        self.transfer_interval = _check_int("transfer_interval", transfer_interval, 1, 2 ** 31)
        self.transfer_threshold = _check_float("transfer_threshold", transfer_threshold, "1",
                                               0.0, 1e6) * self.eps
        sigma_b = _check_float("bias_offset", bias_offset, "1", 0.0, 10.0) * self.c_range
        n = self.n_out * self.n_in
        z, _ = rng.normal2(net.seed, np.arange(self.offset, self.offset + n, dtype=np.int64), 0,
                           STREAM_TRAIN_BIAS)
        self.b = self.backend.asarray(z.reshape(self.n_out, self.n_in) * sigma_b)
        self.c = xp.zeros((self.n_out, self.n_in), np.float64)
        self.p = xp.ones((self.n_out, self.n_in), np.float64)
        self.polarity_inversion = bool(polarity_inversion)
        self.counts["transfers"] = 0

    def _lsp(self):
        return self.p * (self.c + self.b)

    def forward(self, x):
        return super().forward(x) + self._lsp() @ x

    def backward(self, d):
        return super().backward(d) + self._lsp().T @ d

    def update(self, dw, example):
        xp = self.xp
        q = self.p * dw / self.c_step
        u = _uniform(self.net.seed, self.n_out * self.n_in, example, STREAM_TRAIN_ROUND,
                     self.offset)
        q = xp.floor(q + self.backend.asarray(u.reshape(q.shape)))
        self.c = xp.clip(self.c * self.leak + q * self.c_step, -self.c_range, self.c_range)

    def transfer(self):
        """Add the capacitor contents to the PCM pairs, reset c, invert the polarity.

        Closed-loop (program-and-verify) transfer: for every weight with
        ``|p (c + b)| >= transfer_threshold`` the cell of its sign receives SET pulses until the
        read difference ``G+ - G-`` has risen by ``|p (c + b)| g_range / w_max`` within half a
        step (at most ``3 g_range / step`` pulses). Saturated pairs are refreshed afterwards as
        in :class:`PCMPairLayer`.
        """
        xp, cal = self.xp, self.cal
        lsp = self._lsp()
        sel = xp.abs(lsp) >= self.transfer_threshold
        if not bool(xp.any(sel)):
            return
        g = self.cells.read().reshape(2, self.n_out, self.N, self.n_in)
        net0 = (g[0] - g[1])[:, 0, :]
        goal = net0 + lsp * (cal.g_range / self.w_max)
        up, down = sel & (lsp > 0), sel & (lsp < 0)
        tol = 0.5 * cal.step
        for _ in range(int(math.ceil(3 * cal.g_range / cal.step)) + 5):
            g = self.cells.read().reshape(2, self.n_out, self.N, self.n_in)
            net = (g[0] - g[1])[:, 0, :]
            up = up & (net < goal - tol)
            down = down & (net > goal + tol)
            if not bool(xp.any(up | down)):
                break
            self._pulse("set", xp.stack([up, down])[:, :, None, :], "refresh")
        self.c = xp.where(sel, 0.0, self.c)
        if self.polarity_inversion:
            self.p = xp.where(sel, -self.p, self.p)
        self.counts["transfers"] += 1
        self.refresh()

    def maintain(self, example):
        if (example + 1) % self.transfer_interval == 0:
            self.transfer()

    def finish(self):
        """Final transfer (the capacitor is volatile): only the PCM pair is kept."""
        self.transfer_threshold = 0.5 * self.eps
        self.transfer()
        self.c = self.xp.zeros_like(self.c)
        self.b = self.xp.zeros_like(self.b)

    def weights(self):
        return super().weights() + self._lsp()


_LAYERS = {"software": SoftwareLayer, "pcm_pair": PCMPairLayer, "multi_pcm": MultiPCMLayer,
           "mixed_precision": MixedPrecisionLayer, "tic_pcm": TICPCMLayer}


# ---------------------------------------------------------------------------- network
class Network:
    """Fully-connected network (tanh hidden layers, softmax output) trained example by example.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, e.g. ``(784, 250, 10)``. Each layer has a bias (a constant-1 input).
    scheme : {"software", "pcm_pair", "tic_pcm", "mixed_precision", "multi_pcm"}
    cells : {"statistical", "physical", "ideal"}
        Cell model of the PCM schemes (ignored by ``software``).
    seed : int
        Counter-RNG seed (initial weights, order, coincidences, cells).
    backend : str
        "numpy", "host", "cupy" or "auto".
    learning_rate : float
        SGD step per example [1].
    weight_range : float
        ``w_max = weight_range / sqrt(n_in + 1)`` per layer: the weight of a fully SET pair [1].
    init_scale : float
        Initial weights uniform in ``+-init_scale / sqrt(n_in + 1)`` [1].
    cell_params : StatisticalParams or ParameterSet, optional
    set_current, set_width : float
        Physical SET pulse [A], [s].
    read_voltage : float
        Physical read voltage [V].
    dac_bits, adc_bits : int, optional
        Crossbar DAC / ADC resolution (None: ideal).
    calibration : CellCalibration, optional
        Reuse a measured calibration (else :func:`calibrate_cells` runs).
    **scheme_options
        Passed to the layer class (bit_length, refresh_interval, n_devices, gain, ...).
    """

    def __init__(self, sizes, scheme="pcm_pair", cells="statistical", seed=0, backend="auto",
                 learning_rate=0.01, weight_range=4.0, init_scale=1.0, cell_params=None,
                 set_current=100e-6, set_width=50e-9, read_voltage=0.2, dac_bits=None,
                 adc_bits=None, calibration=None, **scheme_options):
        from pcmphys.backends import get_backend

        self.sizes = [int(_check_int("sizes", s, 1, 2 ** 20)) for s in sizes]
        if len(self.sizes) < 2:
            raise ValueError("sizes needs at least an input and an output width")
        self.scheme = _check_choice("scheme", scheme, SCHEMES)
        self.cells = _check_choice("cells", cells, CELL_MODELS)
        self.seed = _check_int("seed", seed, 0, 2 ** 64 - 1)
        self.backend = get_backend(backend)
        self.xp = self.backend.xp
        self.learning_rate = _check_float("learning_rate", learning_rate, "1", 0.0, 1e3)
        self.weight_range = _check_float("weight_range", weight_range, "1", 1e-6, 1e6)
        init_scale = _check_float("init_scale", init_scale, "1", 0.0, 1e6)
        self.cell_params = cell_params
        self.set_current = _check_float("set_current", set_current, "A", 1e-7, 1e-2)
        self.set_width = _check_float("set_width", set_width, "s", 1e-12, 1.0)
        self.read_voltage = read_voltage
        self.dac_bits, self.adc_bits = dac_bits, adc_bits
        self.calibration = None
        if scheme != "software":
            self.calibration = calibration or calibrate_cells(
                cells, seed, self.backend, cell_params, set_current=set_current,
                set_width=set_width, read_voltage=read_voltage)
        self.layers = []
        self.examples_seen = 0
        for k, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            fan = n_in + 1
            a = init_scale / math.sqrt(fan)
            u = _uniform(self.seed, n_out * fan, 0, STREAM_TRAIN_INIT, (k + 1) * _LAYER_STRIDE)
            w0 = (2.0 * u - 1.0).reshape(n_out, fan) * a
            if scheme == "software":
                self.layers.append(SoftwareLayer(w0, self.backend))
            else:
                opts = dict(scheme_options)
                if scheme == "pcm_pair":
                    opts.pop("n_devices", None)
                self.layers.append(_LAYERS[scheme](w0, self, k, self.weight_range / math.sqrt(fan),
                                                   **opts))

    # -------------------------------------------------------------- passes
    def _with_bias(self, x):
        xp = self.xp
        one = xp.ones((1,) + x.shape[1:], np.float64)
        return xp.concatenate([x, one], axis=0)

    def forward(self, x):
        """Activations of every layer for inputs x (n_in,) or (n_in, batch)."""
        xp = self.xp
        acts = [self._with_bias(self.backend.asarray(x, np.float64))]
        for k, layer in enumerate(self.layers):
            z = layer.forward(acts[-1])
            if k < len(self.layers) - 1:
                acts.append(self._with_bias(xp.tanh(z)))
            else:
                z = z - xp.max(z, axis=0, keepdims=True)
                e = xp.exp(z)
                acts.append(e / xp.sum(e, axis=0, keepdims=True))
        return acts

    def train_example(self, x, label):
        """One SGD step on one example (label an int); returns the cross-entropy loss."""
        xp = self.xp
        acts = self.forward(x)
        p = acts[-1]
        d = p.copy()
        d[int(label)] -= 1.0
        lr = self.learning_rate
        ex = self.examples_seen
        for k in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[k]
            d_prev = None
            if k > 0:
                back = layer.backward(d)[:-1]
                h = acts[k][:-1]
                d_prev = back * (1.0 - h * h)
            dw = -lr * xp.outer(d, acts[k])
            if layer.scheme != "software":
                layer._factors = (d, acts[k])  # coincidence factors: dW = -lr d x^T
            layer.update(dw, ex)
            layer.maintain(ex)
            if d_prev is not None:
                d = d_prev
        self.examples_seen += 1
        return float(-xp.log(xp.maximum(p[int(label)], 1e-300)))

    def predict(self, x, batch=256):
        """Predicted labels for inputs x (n, n_in) (numpy int array)."""
        x = np.asarray(x, np.float64)
        out = []
        for a in range(0, len(x), batch):
            p = self.forward(self.backend.asarray(x[a:a + batch].T))[-1]
            out.append(self.backend.to_numpy(self.xp.argmax(p, axis=0)))
        return np.concatenate(out)

    def accuracy(self, x, y, batch=256):
        """Fraction of correctly classified examples [1]."""
        return float(np.mean(self.predict(x, batch) == np.asarray(y)))

    def order(self, n, epoch):
        """Counter-RNG permutation of n examples for `epoch`."""
        u = _uniform(self.seed, n, epoch + 1, STREAM_TRAIN_ORDER)
        return np.argsort(u, kind="stable")

    def train_epoch(self, x, y, epoch, progress=None):
        """One pass over (x, y) in the epoch's order; returns the mean loss."""
        loss = 0.0
        for i in self.order(len(y), epoch):
            loss += self.train_example(self.backend.asarray(x[i]), int(y[i]))
            if progress is not None:
                progress.update(1)
        return loss / len(y)

    def finish(self):
        """End of training (tic_pcm: final transfer of the volatile capacitors)."""
        for layer in self.layers:
            layer.finish()

    def set_time(self, t, compensate=False):
        """Evaluate `t` [s] after the end of training (call :meth:`finish` first)."""
        for layer in self.layers:
            layer.set_time(t, compensate)

    def pulse_counts(self):
        """Totals over layers: SET / RESET pulses of updates and of refresh/transfer, energy
        [J]."""
        keys = ("set", "reset", "maintenance_set", "maintenance_reset", "energy")
        return {k: sum(layer.counts.get(k, 0) for layer in self.layers) for k in keys}
