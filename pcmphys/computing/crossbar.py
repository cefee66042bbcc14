"""Crossbar: a real matrix stored on differential pairs of simulated PCM cells.

A weight ``A[i, j]`` is stored as ``A[i, j] = (G+[i, j] - G-[i, j]) * w_scale / g_max`` with
``w_scale = max |A|``: positive weights on the G+ cell, negative ones on the G- cell, the other
cell of the pair at 0 (Le Gallo et al., Nat. Electron. 2018; Sebastian et al., Nat.
Nanotechnol. 2020 (tutorial), Fig. 5). The cells are either

* ``model="statistical"``: devices of the statistical PCM mode
  (:class:`pcmphys.statistical.StatisticalPopulation`), or
* ``model="physical"``: the physical cells of :class:`pcmphys.Population`.

Programming is one shot (statistical mode only) or iterative program-and-verify (both
models): program, read back, re-program the cells that are off by more than a tolerance, up to
a maximum number of iterations. The physical verify loop is an incremental-step scheme with a
per-cell SET current (``Population.apply(..., where=, scale=)``): current steps proportional
to the remaining error, short trim pulses near the target, RESET and a ramp back below the
overshooting current after an overshoot (see :meth:`Crossbar._verify_physical`).

``mvm(x, t)`` computes ``A x`` and ``mvm_t(x, t)`` computes ``A^T x`` at time `t` [s] after
programming, with per-read conductance noise, drift, optional DAC/ADC quantisation and global
drift compensation. Arrays stay on the backend (NumPy or CuPy); only scalars come back to the
host.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Crossbar", "ProgramReport"]

MODELS = ("statistical", "physical")
ENCODINGS = ("amplitude", "duration")
METHODS = ("statistical", "verify")
#: elements of (reads x cells) conductance buffers per chunk of batched MVMs
_READ_CHUNK = 2 ** 24
#: physical verify: factor on a cell's SET step gain after each overshoot
_OVERSHOOT_GAIN = 0.6
#: physical verify: overshoot (in tolerances) above which a cell is RESET and re-programmed
_OVERSHOOT_RESET = 2.0
#: physical verify: a climbing cell counts as converged from target - _AIM tol on [1]
_AIM = 0.5
#: physical verify: initial current step = gain x error / (the cell's dG/dI) [1]
_STEP_GAIN = 0.35
#: physical verify: smallest / largest current step as a fraction of the current window [1]
_STEP_MIN, _STEP_MAX = 0.002, 0.1
#: physical verify: current ceiling after a melt-quench, as a fraction of that current [1]
_MELT_BACKOFF = 0.93
#: physical verify: a SET pulse leaving G below this fraction of the previous read (less
#: 2 tol) is taken as a melt-quench [1] (read noise alone stays far above it)
_MELT_DROP = 0.5
#: physical verify: iterations at the ceiling below target before a RESET and a new climb
_STUCK_ITERATIONS = 6
#: physical verify: SET ramp after a RESET, as fractions of the cell's current [1]
_RAMP = (0.25, 0.5, 0.75, 1.0)
#: physical verify: trim pulse near target: width [s] (at most set_width) and current factor
_TRIM_WIDTH, _TRIM_FACTOR = 50e-9, 0.8
#: physical verify: error (in tolerances) below which a cell gets trim pulses, and how many
_FINE_BAND, _MAX_TRIMS = 4.0, 4
#: physical verify: a cell's dG/dI estimate stays within these factors of g_max / window [1]
_SLOPE_RANGE = (0.1, 4.0)
#: physical verify: change of a cell's trim current factor after a weak / too large trim [1]
_TRIM_STEP = 0.05
#: physical verify: a converged cell is refreshed below target - this many tolerances
_REFRESH = 0.5
#: physical verify: reads in a row above target + tol before a RESET, and the iterations a new
#: climb needs (no mild-overshoot RESET later than that)
_HIGH_READS, _CLIMB_ITERATIONS = 5, 10
#: physical verify: factor on (current - lowest current) after an overshoot right after a
#: RESET and ramp to that current [1]
_UNDER_BACKOFF = 0.85
#: physical verify: consecutive out-of-tolerance reads before a converged cell is re-touched
_CONFIRM_READS = 2


@dataclass
class ProgramReport:
    """Outcome of :meth:`Crossbar.program`.

    Attributes
    ----------
    iterations : int
        Verify iterations run (0 for one-shot programming).
    converged_fraction : list of float
        Fraction of cells within tolerance after each iteration [1].
    rms_error : list of float
        RMS of (read - target) over all cells after each iteration [S].
    """

    iterations: int = 0
    converged_fraction: list = field(default_factory=list)
    rms_error: list = field(default_factory=list)


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} = {value!r} is not allowed; choose one of {choices}")
    return value


def _check_float(name, value, unit, lo, hi, allow_none=False):
    """A scalar argument in ``unit`` (SI float, unit string or pint Quantity; no bools),
    checked by the API's one quantity check :func:`pcmphys.protocol.check_quantity`."""
    from pcmphys.protocol import check_quantity

    if value is None and allow_none:
        return None
    return check_quantity(name, value, unit, lo, hi, error=ValueError)


def _check_bits(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not 1 <= int(value) <= 32:
        raise ValueError(f"{name} = {value!r} [bits] is outside the allowed range [1, 32] "
                         "(integer) or None")
    return int(value)


def _quantize(xp, u, bits, full_scale):
    """Symmetric uniform quantiser with 2**(bits-1) - 1 levels per sign, saturating."""
    levels = 2 ** (bits - 1) - 1 if bits > 1 else 1
    step = full_scale / levels
    return xp.clip(xp.rint(u / step), -levels, levels) * step


class Crossbar:
    """A ``rows x cols`` crossbar of differential PCM cell pairs.

    Parameters
    ----------
    rows, cols : int
        Matrix shape (>= 1 each).
    model : {"statistical", "physical"}
        Cell model: the statistical PCM mode or the physical Monte Carlo.
    g_max : float, optional
        Conductance of the largest |weight| [S]; default ``params.g_max`` (25 uS) for the
        statistical model and 5 uS for the physical one (reachable by 100 uA SET pulses).
    params : StatisticalParams or ParameterSet, optional
        Cell parameters (default: published statistical values / ``sebastian2017_gst90nm``).
    seed : int
        Counter-RNG seed.
    backend : str or Backend
        "numpy", "host", "cupy" or "auto".
    device_offset : int
        Global index of the first cell (cells ``offset .. offset + 2 rows cols``).
    input_encoding : {"amplitude", "duration"}
        Amplitude: inputs as read-voltage amplitudes, one read of the array per MVM.
        Duration: inputs as pulse durations; positive and negative parts are applied in two
        phases, each a separate (independently noisy) read. Every cell takes part in one
        phase per input, so in the statistical mode (read noise i.i.d. per read) both
        encodings have the same error statistics; the physical model reads every cell at
        `read_voltage` in both encodings (the I-V nonlinearity that penalises amplitude
        encoding on real arrays is not modelled yet).
    dac_bits, adc_bits : int, optional
        Input / output quantisation (None: ideal). Inputs are scaled per vector to max |x| = 1
        before the DAC; the ADC quantises the normalised column output over
        [-adc_range, adc_range].
    adc_range : float, optional
        ADC full scale in units of the normalised output ``sum_j W_ij x_j`` with |W|, |x| <= 1
        [1]; default ``cols`` (never saturates).
    drift_compensation : bool
        Scale outputs by the global factor ``s(0) / s(t)``, where ``s`` is the summed
        conductance of the array read with all-ones inputs (one extra read per MVM call);
        ``s(0)`` is measured right after programming.
    read_voltage : float
        Read voltage of the physical model [V].
    mvm_interval : float
        Time one MVM takes on the physical model [s]; the cells age by it per read.
    """

    def __init__(self, rows, cols, model="statistical", g_max=None, params=None, seed=0,
                 backend="auto", device_offset=0, input_encoding="amplitude", dac_bits=None,
                 adc_bits=None, adc_range=None, drift_compensation=False, read_voltage=0.2,
                 mvm_interval=1e-6):
        from pcmphys.population import _check_int

        self.rows = _check_int("rows", rows, 1, 2 ** 20)
        self.cols = _check_int("cols", cols, 1, 2 ** 20)
        self.model = _check_choice("model", model, MODELS)
        self.input_encoding = _check_choice("input_encoding", input_encoding, ENCODINGS)
        self.dac_bits = _check_bits("dac_bits", dac_bits)
        self.adc_bits = _check_bits("adc_bits", adc_bits)
        self.adc_range = _check_float("adc_range", self.cols if adc_range is None else adc_range,
                                      "1", 1e-12, 1e12)
        self.drift_compensation = bool(drift_compensation)
        self.read_voltage = _check_float("read_voltage", read_voltage, "V", 1e-3, 2.0)
        self.mvm_interval = _check_float("mvm_interval", mvm_interval, "s", 0.0, 1e3)
        self.n_cells = 2 * self.rows * self.cols
        if self.model == "statistical":
            from pcmphys.statistical import StatisticalPopulation

            self.cells = StatisticalPopulation(self.n_cells, seed, params, backend, device_offset)
            default_gmax = self.cells.params.g_max
        else:
            import pcmphys as pcm

            params = pcm.ParameterSet.load("sebastian2017_gst90nm") if params is None else params
            self.cells = pcm.Population(params, self.n_cells, seed, backend, device_offset)
            default_gmax = 5e-6
        self.g_max = _check_float("g_max", default_gmax if g_max is None else g_max, "S",
                                  1e-9, 1e-2)
        self.backend = self.cells.backend
        self.xp = self.backend.xp
        self.w_scale = None
        self.target = None
        self._t_prog = None  # physical model: population clock at the end of programming
        self._s0 = None
        self._last_t = 0.0

    # ------------------------------------------------------------------ mapping
    def targets(self, matrix):
        """Target conductances of the differential pairs [S], shape (2, rows, cols).

        Parameters
        ----------
        matrix : array_like, shape (rows, cols)
            Real, finite weights; not all zero.

        Returns
        -------
        targets : backend array
            ``[G+, G-]`` with ``G+ = g_max max(A, 0)/w``, ``G- = g_max max(-A, 0)/w``.
        w_scale : float
            ``w = max |A|``.
        """
        xp = self.xp
        a = self.backend.asarray(matrix, np.float64)
        if a.shape != (self.rows, self.cols):
            raise ValueError(f"matrix must have shape ({self.rows}, {self.cols}), got {a.shape}")
        if not bool(xp.all(xp.isfinite(a))):
            raise ValueError("matrix must be finite (no NaN or inf)")
        w = float(xp.max(xp.abs(a)))
        if w == 0.0:
            raise ValueError("matrix must have at least one non-zero entry")
        g = xp.stack([xp.maximum(a, 0.0), xp.maximum(-a, 0.0)]) * (self.g_max / w)
        return g, w

    # ------------------------------------------------------------------ programming
    def program(self, matrix, method="statistical", tolerance=0.02, max_iterations=20,
                verify_time=1.0, set_current=100e-6, scale_range=(0.4, 1.0), set_width=200e-9,
                verify_reads=1):
        """Store `matrix` on the crossbar.

        Parameters
        ----------
        matrix : array_like, shape (rows, cols)
        method : {"statistical", "verify"}
            "statistical": one-shot programming with the statistical model's programming noise
            (statistical model only). "verify": iterative program-and-verify.
        tolerance : float
            Accepted |read - target| as a fraction of g_max [1], in (0, 1].
        max_iterations : int
            Verify iterations (>= 1).
        verify_time : float
            Delay between the last pulse and the verify read [s] (>= 0); the statistical model
            reads at this time after programming.
        set_current : float
            Physical model: SET current at scale 1 [A].
        scale_range : (float, float)
            Physical model: the window of per-cell SET currents, as factors on `set_current`
            [1] (0 <= low <= high <= 10; low == high: one fixed current). Each cell climbs from the low end in current steps
            proportional to its remaining error (the window is taken to span conductances 0
            to g_max): a SET pulse crystallises the footprint its current reaches, so the
            current sets the level; the high end should reach g_max but stay below the
            melting current of most cells (a cell that melt-quenches gets a lower ceiling).
        set_width : float
            Physical model: width of the SET pulses of the climb [s] (1 ns to 1 ms); near the
            target, trim pulses of at most 50 ns at 0.8 x the cell's current take the fine
            steps.
        verify_reads : int
            Physical model: reads averaged per verify (1 to 1000), spaced by
            ``verify_time / verify_reads`` after the first (averages the fast part of the 1/f
            read noise out of the decisions).

        Returns
        -------
        ProgramReport
        """
        _check_choice("method", method, METHODS)
        tol = _check_float("tolerance", tolerance, "1", 1e-9, 1.0) * self.g_max
        from pcmphys.population import _check_int

        max_iterations = _check_int("max_iterations", max_iterations, 1, 10 ** 6)
        verify_time = _check_float("verify_time", verify_time, "s", 0.0, 1e9)
        g, self.w_scale = self.targets(matrix)
        self.target = g
        flat = g.reshape(-1)
        report = ProgramReport()
        if self.model == "statistical":
            self.cells.program(flat)
            if method == "verify":
                self._verify_statistical(flat, tol, max_iterations, verify_time, report)
        elif method == "statistical":
            raise ValueError("method='statistical' needs model='statistical'; use "
                             "method='verify' for the physical model")
        else:
            lo, hi = (_check_float("scale_range", s, "1", 0.0, 10.0) for s in scale_range)
            amp = _check_float("set_current", set_current, "A", 1e-7, 1e-2)
            if lo > hi:
                raise ValueError(f"scale_range = {tuple(scale_range)!r} [1] needs low <= high "
                                 "(each in [0, 10])")
            width = _check_float("set_width", set_width, "s", 1e-9, 1e-3)
            reads = _check_int("verify_reads", verify_reads, 1, 1000)
            self._verify_physical(flat, tol, max_iterations, verify_time, amp, lo, hi, report,
                                  width, reads)
            self._t_prog = self.cells.clock
            self._last_t = 0.0
        self._s0 = self._reference_sum(0.0) if self.drift_compensation else None
        return report

    def _record(self, report, g_read, flat, tol):
        xp = self.xp
        err = g_read - flat
        report.iterations += 1
        report.converged_fraction.append(float(xp.mean(xp.abs(err) <= tol)))
        report.rms_error.append(float(xp.sqrt(xp.mean(err * err))))
        return err

    def _verify_statistical(self, flat, tol, max_iterations, verify_time, report):
        xp = self.xp
        for _ in range(max_iterations):
            err = self._record(report, self.cells.read(verify_time), flat, tol)
            bad = xp.abs(err) > tol
            if not bool(xp.any(bad)) or report.iterations == max_iterations:
                break
            self.cells.program(flat, where=bad)

    def _verify_read(self, verify_time, reads):
        """Mean of `reads` reads: the first `verify_time` after the last pulse, the others
        spaced by ``verify_time / reads`` (1/f noise: spaced reads average the fast part)."""
        pop = self.cells
        if verify_time > 0:
            pop.wait(verify_time)
        g = pop.read(self.read_voltage)
        for _ in range(reads - 1):
            if verify_time > 0:
                pop.wait(verify_time / reads)
            g = g + pop.read(self.read_voltage)
        return g / reads

    def _verify_physical(self, flat, tol, max_iterations, verify_time, amp, lo, hi, report,
                         width=200e-9, reads=1):
        """Incremental-step program-and-verify of the physical cells.

        The cells start from a full RESET. Every iteration reads the array (the mean of
        `reads` spaced reads) and then, per cell:

        * below ``target - tol/2`` and not converged yet, far from target: a SET pulse
          (``width``) at the cell's own current, raised by ``0.35 x error / (dG/dI)``, where
          dG/dI starts from the window (``[lo, hi] set_current`` taken to span ``[0, g_max]``)
          and is learnt from the cell's response to each step. A pulse crystallises the
          footprint its current reaches, so the current, not the pulse count, sets the level,
          and a lower current leaves a wider footprint alone;
        * within 4 tol below target: trim pulses (at most 50 ns, at first 0.8 x the cell's
          current: small positive steps); the factor rises after a trim that moved G by less
          than tol/5 and falls after one that moved it by more than tol; after 4 weak trims
          the current steps up again;
        * converged (once read within ``[target - tol/2, target + tol]``): left alone, and
          trimmed again only when two reads in a row are below ``target - tol/2`` (drift is
          monotonic, the 1/f read noise mostly is not);
        * above ``target + 2 tol``, or above ``target + tol`` for 5 reads in a row (drift did
          not bring it back): RESET and a ramp of SET pulses back up to the last current that
          left the cell below target (lowered if the cell overshoots straight after), with a
          smaller step gain from then on. SET pulses cannot lower G and a partial RESET of
          this cell gives a plug of ~1 uS at best, so there is no finer step down;
        * a SET pulse that leaves G below half the previous read (an amorphous plug: a
          melt-quench, the current was above this cell's melting current) puts the cell's
          current ceiling below that current; below target at its ceiling for 6 iterations:
          RESET and climb again (a new crystal column; cycle-to-cycle variation gives it
          another chance);
        * no RESET in the last 10 iterations (no time left to climb back), and before the
          last read only the cells out of tolerance are touched.
        """
        import pcmphys as pcm

        xp, pop = self.xp, self.cells
        reset_pulse = pcm.Pulse.reset()
        set_pulse = pcm.Pulse.set(amp, width)
        trim_pulse = pcm.Pulse.set(amp, min(width, _TRIM_WIDTH))
        pop.apply(reset_pulse)
        i_lo, i_hi = lo * amp, hi * amp
        span = i_hi - i_lo
        n = flat.shape[0]
        cur = xp.full(n, i_lo, np.float64)     # the cell's present SET current [A]
        under = xp.full(n, i_lo, np.float64)   # largest current that left it below target [A]
        cap = xp.full(n, i_hi, np.float64)     # its ceiling, lowered after a melt-quench [A]
        gain = xp.full(n, _STEP_GAIN, np.float64)
        # nominal dG/dI: the window spans 0..g_max (a fixed current, lo == hi, takes no steps)
        s0 = self.g_max / (span if span > 0 else amp)
        slope = xp.full(n, s0, np.float64)     # the cell's observed dG/dI [S/A]
        stuck = xp.zeros(n, np.int64)
        miss_lo = xp.zeros(n, np.int64)        # consecutive reads below / above the band
        miss_hi = xp.zeros(n, np.int64)
        trims = xp.zeros(n, np.int64)          # trims that moved G by less than tol / 5
        trim_f = xp.full(n, _TRIM_FACTOR, np.float64)   # the cell's trim current factor [1]
        trim_last = xp.zeros(n, bool)
        d_cur = xp.zeros(n, np.float64)        # current step of the last coarse pulse [A]
        g_prev = None
        set_last = xp.zeros(n, bool)
        coarse_last = xp.zeros(n, bool)
        restarted = xp.zeros(n, bool)
        was_ok = xp.zeros(n, bool)             # converged at some earlier read
        for _ in range(max_iterations):
            g = self._verify_read(verify_time, reads)
            err = self._record(report, g, flat, tol)
            miss_lo = xp.where(err < -_REFRESH * tol, miss_lo + 1, 0)
            miss_hi = xp.where(err > tol, miss_hi + 1, 0)
            # a converged cell is re-touched only when consecutive reads confirm it left
            # (drift is monotonic, read noise mostly is not); a climbing cell goes on to the
            # upper part of the band (drift pulls it down)
            low = xp.where(was_ok, miss_lo >= _CONFIRM_READS, err < -_AIM * tol)
            left = max_iterations - report.iterations
            if left <= 1:   # the next read is the last: touch only the cells out of tolerance
                low = low & (err < -tol)
            # above the band: RESET at once beyond 2 tol, between tol and 2 tol only when drift
            # has not brought it back for several reads; either only while a climb still fits
            high = (~was_ok | (miss_hi >= _CONFIRM_READS)) & (left >= _CLIMB_ITERATIONS) & (
                (err > _OVERSHOOT_RESET * tol) | (miss_hi >= _HIGH_READS))
            if g_prev is not None:
                # a SET pulse that left G far lower (an amorphous plug: melt-quench, the current
                # was above this cell's melting current) -> ceiling below it
                drop = set_last & (g < _MELT_DROP * g_prev - _OVERSHOOT_RESET * tol)
                cap = xp.where(drop, xp.maximum(_MELT_BACKOFF * cur, i_lo), cap)
                cur = xp.minimum(cur, cap)
                under = xp.minimum(xp.where(set_last & (err < -tol), cur, under), cap)
                # the cell's response to its last current step -> its own dG/dI
                seen = coarse_last & ~drop & (d_cur > 0)
                ratio = (g - g_prev) / xp.where(seen, d_cur * slope, 1.0)
                slope = xp.where(seen, slope * xp.sqrt(xp.clip(ratio, 0.5, 2.0)), slope)
                slope = xp.clip(slope, _SLOPE_RANGE[0] * s0, _SLOPE_RANGE[1] * s0)
                # the cell's trim: no response -> closer to its current, too much -> lower
                dg = g - g_prev
                weak = trim_last & (dg < 0.2 * tol)
                trims = xp.where(weak, trims + 1, trims)
                trim_f = xp.where(weak, xp.minimum(trim_f + _TRIM_STEP, 1.0), trim_f)
                trim_f = xp.where(trim_last & (dg > tol),
                                  xp.maximum(trim_f - _TRIM_STEP, _TRIM_FACTOR - 0.2), trim_f)
            # converged once in the band [target - aim tol, target + tol]
            was_ok = was_ok | ((err >= -_AIM * tol) & (err <= tol))
            if report.iterations == max_iterations or not bool(xp.any(low | high)):
                break
            at_cap = low & (cur >= cap * (1.0 - 1e-9))
            stuck = xp.where(at_cap, stuck + 1, 0)
            retry = (stuck >= _STUCK_ITERATIONS) & (left >= _CLIMB_ITERATIONS)
            restart = high | retry
            # overshoot: RESET, ramp back to the last current that stayed below target and
            # go on from there with a smaller step gain
            # (a second overshoot straight after a restart: that current is too high too)
            under = xp.where(high & restarted, i_lo + _UNDER_BACKOFF * (under - i_lo), under)
            cur = xp.where(high, under, cur)
            gain = xp.where(high, gain * _OVERSHOOT_GAIN, gain)
            stuck = xp.where(restart, 0, stuck)
            # a new climb: not converged any more, fresh counters
            was_ok = was_ok & ~restart
            trims = xp.where(restart, 0, trims)
            miss_lo = xp.where(restart, 0, miss_lo)
            miss_hi = xp.where(restart, 0, miss_hi)
            if bool(xp.any(restart)):
                pop.apply(reset_pulse, where=restart)
                # ramp from the RESET state (no current jump) up to the cell's current; none
                # for a cell never seen below target above the lowest current (a RESET target)
                ramped = restart & (cur > i_lo * (1.0 + 1e-9))
                if bool(xp.any(ramped)):
                    for f in _RAMP:
                        pop.apply(set_pulse, where=ramped, scale=(i_lo + f * (cur - i_lo)) / amp)
            # close to target (or drifted out after being within): a short trim pulse below
            # the cell's current (small, positive steps), a few times before stepping up
            near = was_ok | (err > -_FINE_BAND * tol)
            fine = low & ~restart & near & (was_ok | (trims < _MAX_TRIMS)) \
                & (cur > i_lo * (1.0 + 1e-9))
            coarse = low & ~restart & ~fine
            d_cur = xp.clip(gain * (-err) / slope, _STEP_MIN * span, _STEP_MAX * span)
            d_cur = xp.where(coarse, xp.minimum(cur + d_cur, cap) - cur, 0.0)
            cur = cur + d_cur
            trims = xp.where(coarse | restart, 0, trims)
            pop.apply(set_pulse, where=coarse, scale=cur / amp)
            if bool(xp.any(fine)):
                trim_i = xp.maximum(trim_f * cur, i_lo)
                pop.apply(trim_pulse, where=fine, scale=trim_i / amp)
            set_last, coarse_last, trim_last, restarted = coarse | fine, coarse, fine, restart
            g_prev = g

    # ------------------------------------------------------------------ reading
    def _read_pairs(self, t, n_reads):
        """(n_reads, 2, rows, cols) conductances [S] at time t after programming."""
        if self.model == "statistical":
            g = self.cells.read(t, repeats=n_reads)
            return g.reshape(n_reads, 2, self.rows, self.cols)
        pop = self.cells
        if t < self._last_t:
            raise ValueError(f"t = {t!r} s lies before the previous read of this physical "
                             f"crossbar (t >= {self._last_t!r} s needed): cells age "
                             "monotonically")
        self._last_t = t
        target = self._t_prog + t
        if target > pop.clock:
            pop.wait(target - pop.clock)
        reads = []
        for _ in range(n_reads):
            reads.append(pop.read(self.read_voltage))
            if self.mvm_interval > 0:
                pop.wait(self.mvm_interval)
        return self.xp.stack(reads).reshape(n_reads, 2, self.rows, self.cols)

    def _reference_sum(self, t):
        """Summed conductance of all cells read once with unit inputs [S] (0-d backend array)."""
        return self.xp.sum(self._read_pairs(t, 1))

    def conductances(self, t, noise=True):
        """Conductances of the pairs [S] at `t` [s] after programming, shape (2, rows, cols).

        ``noise=False`` (statistical model only) gives the drifted values without read noise.
        """
        self._require_programmed()
        t = _check_float("t", t, "s", 0.0, 1e12)
        if not noise:
            if self.model != "statistical":
                raise ValueError("noise=False is only available for model='statistical'")
            return self.cells.read(t, noise=False).reshape(2, self.rows, self.cols)
        return self._read_pairs(t, 1)[0]

    def _require_programmed(self):
        if self.w_scale is None:
            raise RuntimeError("the crossbar is not programmed yet: call program(matrix) first")

    def _inputs(self, x, n):
        xp = self.xp
        x = self.backend.asarray(x, np.float64)
        if x.ndim not in (1, 2) or x.shape[0] != n:
            raise ValueError(f"x must have shape ({n},) or ({n}, batch), got {x.shape}")
        if not bool(xp.all(xp.isfinite(x))):
            raise ValueError("x must be finite (no NaN or inf)")
        return x

    def mvm(self, x, t=0.0):
        """``A x`` computed on the crossbar at time `t` [s] after programming.

        Parameters
        ----------
        x : array_like, shape (cols,) or (cols, batch)
            Input vector(s); each column of a batch is a separate MVM (its own read).
        t : float
            Time since programming [s], >= 0 (physical model: not before the previous MVM).

        Returns
        -------
        backend array, shape (rows,) or (rows, batch)
        """
        return self._mvm(x, t, transpose=False)

    def mvm_t(self, x, t=0.0):
        """``A^T x`` on the same cells (inputs on the rows, outputs sensed on the columns).

        Parameters
        ----------
        x : array_like, shape (rows,) or (rows, batch)
        t : float
            Time since programming [s], >= 0.

        Returns
        -------
        backend array, shape (cols,) or (cols, batch)
        """
        return self._mvm(x, t, transpose=True)

    def _mvm(self, x, t, transpose):
        xp = self.xp
        self._require_programmed()
        t = _check_float("t", t, "s", 0.0, 1e12)
        n_in = self.rows if transpose else self.cols
        x = self._inputs(x, n_in)
        single = x.ndim == 1
        xb = x[:, None] if single else x
        batch = xb.shape[1]
        x_max = xp.max(xp.abs(xb), axis=0)  # per vector
        xn = xb / xp.where(x_max > 0, x_max, 1.0)
        if self.dac_bits is not None:
            xn = _quantize(xp, xn, self.dac_bits, 1.0)
        phases = 2 if self.input_encoding == "duration" else 1
        if phases == 2:
            parts = [xp.maximum(xn, 0.0), -xp.maximum(-xn, 0.0)]
        else:
            parts = [xn]
        out = xp.empty((self.cols if transpose else self.rows, batch), np.float64)
        chunk = max(1, _READ_CHUNK // self.n_cells)
        for a in range(0, batch, chunk):
            b = min(a + chunk, batch)
            u = 0.0
            for part in parts:
                g = self._read_pairs(t, b - a)
                w = (g[:, 0] - g[:, 1]) / self.g_max  # (n, rows, cols), |w| <= ~1
                sub = part[:, a:b]
                if transpose:
                    u = u + xp.einsum("kij,ik->jk", w, sub)
                else:
                    u = u + xp.einsum("kij,jk->ik", w, sub)
            out[:, a:b] = u
        if self.adc_bits is not None:
            out = _quantize(xp, out, self.adc_bits, self.adc_range)
        y = out * (x_max[None, :] * self.w_scale)
        if self.drift_compensation:
            y = y * (self._s0 / self._reference_sum(t))
        return y[:, 0] if single else y

    def exact(self, x, transpose=False):
        """The ideal product with the stored (target) matrix: ``A x`` or ``A^T x``."""
        self._require_programmed()
        a = (self.target[0] - self.target[1]) * (self.w_scale / self.g_max)
        x = self._inputs(x, self.rows if transpose else self.cols)
        return (a.T if transpose else a) @ x

    def __repr__(self):
        state = "programmed" if self.w_scale is not None else "empty"
        return (f"Crossbar({self.rows}x{self.cols}, model={self.model!r}, "
                f"g_max={self.g_max:.3g} S, backend={self.backend.name!r}, {state})")
