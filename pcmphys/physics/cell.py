"""Per-cell state updates that compose the mechanisms: pulse, wait, read.

These are the NumPy reference of the entry kernels in ``kernels/pcm_population.cu``
(``pcm_apply_pulse``, ``pcm_wait``, ``pcm_read``, ``pcm_init``): the same sequence of
physics functions, the same counter-based random draws (keyed on seed, device, event, stream)
and the same float32/float64 storage of the state.

State of the amorphous region: a RESET leaves a melt-quenched cap of thickness ``u_cap``. A SET
pulse crystallises inside the footprint of its ON filament: the crystallised column covers the
fraction ``a_col`` of the heater area, with the amorphous thickness ``u_a`` left inside it
(the thinnest current path: it sets the threshold voltage and the ON-state power). A wider
filament enlarges the column, area-weighting the thickness, ``u_a <- (a u_a + (a_f - a)
u_cap)/a_f``; a narrower one heats the fraction a_f/a of it. A fresh RESET cell has a_col = 0
and u_a = u_cap; an as-fabricated (crystalline) cell a_col = 1, u_a = u_cap = 0.
"""
from __future__ import annotations

import numpy as np

from pcmphys import rng
from pcmphys.physics import amorphization as am
from pcmphys.physics import conduction as co
from pcmphys.physics import crystallization as cr
from pcmphys.physics import noise as nz
from pcmphys.physics import relaxation as rl
from pcmphys.physics import thermal as th
from pcmphys.physics import threshold as vt
from pcmphys.physics import variability as va

#: per-cell state: name -> (dtype, unit, description)
STATE_FIELDS = {
    "u_a": (np.float32, "m", "effective amorphous thickness"),
    "sigma": (np.float32, "1", "structural order parameter of the glass"),
    "t_melt": (np.float64, "s", "time of the last melt-quench"),
    "t_prog": (np.float64, "s", "time of the last programming pulse"),
    "cycles": (np.uint32, "1", "number of melt-quench cycles"),
    "fault": (np.uint8, "1", "fault code: 0 none, 1 stuck-SET, 2 open"),
    "u_cap": (np.float32, "m", "melt-quenched cap thickness outside the crystallised column"),
    "a_col": (np.float32, "1", "crystallised column footprint over the heater area"),
}
MODE_CURRENT, MODE_VOLTAGE = 0, 1
#: growth integration: at most this step [s] and this many RK2 steps per pulse
GROWTH_STEP = 5e-9
MAX_GROWTH_STEPS = 200
READ_QUANTITIES = ("conductance", "resistance", "current", "threshold_voltage")


def initial_state(seed, device, params):
    """As-fabricated cells: crystalline (u_a = u_cap = 0, a_col = 1), fresh order, defects
    drawn (pcm_init)."""
    n = len(device)
    return {
        "u_a": np.zeros(n, np.float32),
        "sigma": np.full(n, params.relaxation.initial_order, np.float32),
        "t_melt": np.zeros(n, np.float64),
        "t_prog": np.zeros(n, np.float64),
        "cycles": np.zeros(n, np.uint32),
        "fault": va.initial_faults(seed, device, params),
        "u_cap": np.zeros(n, np.float32),
        "a_col": np.ones(n, np.float32),
    }


def _power(mode, amplitude, u, thermal):
    """Current [A] and Joule power [W] of a switched cell with plug thickness u."""
    if mode == MODE_CURRENT:
        current = np.broadcast_to(amplitude, np.shape(u)).astype(np.float64)
    else:
        current = th.voltage_mode_current(amplitude, u, thermal)
    return current, th.joule_power(current, th.on_state_voltage(current, u, thermal))


def _grow_flat_top(u0, t_eff, gfac, rth, mode, amplitude, ambient, params):
    """Integrate du/dt = -g v_g(T_int(u)) over the flat top with RK2 steps (pcm_grow_flat_top).

    Up to ``MAX_GROWTH_STEPS * GROWTH_STEP`` (1 us) the flat top is cut into equal steps of at
    most ``GROWTH_STEP``; a longer flat top continues with steps that double from
    2 ``GROWTH_STEP`` (the last one trimmed), so a 1 ms pulse costs 17 more steps. Growth
    saturates within the first steps (the front cools as the plug thins), and a step that
    overshoots the saturated thickness stalls (the midpoint is cold) instead of diverging.
    """
    p = params
    Tm = p.amorphization.melting_temperature
    nsteps = np.clip(np.ceil(t_eff / GROWTH_STEP), 1, MAX_GROWTH_STEPS)
    fine_end = MAX_GROWTH_STEPS * GROWTH_STEP
    h = np.where(t_eff > fine_end, GROWTH_STEP, t_eff / nsteps)
    u = u0.copy()

    def rate(uu):
        _, P = _power(mode, amplitude, uu, p.thermal)
        T = th.interface_temperature(P, uu, rth, ambient, p.thermal, p.amorphization)
        return gfac * cr.growth_velocity(T, p.crystallization, Tm)

    def step(uu, hh):
        u_mid = np.maximum(uu - 0.5 * hh * rate(uu), 0.0)
        return np.maximum(uu - hh * rate(u_mid), 0.0)

    for j in range(int(nsteps.max()) if u.size else 0):
        u = np.where(j < nsteps, step(u, h), u)
    rem = np.where(t_eff > fine_end, t_eff - fine_end, 0.0)
    h = np.full(np.shape(u), 2.0 * GROWTH_STEP)
    while u.size and np.any(rem > 0):
        hh = np.minimum(h, rem)
        u = np.where(rem > 0, step(u, hh), u)
        rem = np.where(rem > 0, rem - hh, 0.0)
        h = 2.0 * h
    return u


def _melt(u, cycles, current_liq, f, seed, device, fall, ambient, params):
    """Melt-quench branch: new plug thickness after quench and recrystallisation (pcm_melt)."""
    p = params
    Tm = p.amorphization.melting_temperature
    _, P_liq = _power(MODE_CURRENT, current_liq, np.zeros_like(u), p.thermal)
    u_melt = am.molten_thickness(P_liq, f.rth_factor, f.heater_radius, ambient,
                                 p.thermal, p.amorphization)
    T_top = np.maximum(th.hotspot_temperature(P_liq, f.rth_factor, ambient, p.thermal), Tm)
    g_cyc, q = va.cycle_factors(seed, device, cycles + 1, p)
    du_rc = f.growth_factor * g_cyc * cr.ramp_growth(fall, ambient, T_top, p.crystallization, Tm)
    u_new = (np.maximum(u_melt, u) - du_rc) * q
    return np.clip(u_new, 0.0, p.amorphization.max_amorphous_thickness)


def pulse_update(state, mode, amplitude, width, rise, fall, ambient, t_start, event, seed,
                 device, params, active=None):
    """Apply one write pulse to every cell (pcm_apply_pulse).

    Parameters
    ----------
    state : dict of ndarray
        Cell state (STATE_FIELDS); not modified.
    mode : int
        MODE_CURRENT or MODE_VOLTAGE.
    amplitude : float or ndarray
        Pulse current [A] or voltage [V] per cell (already scaled).
    width, rise, fall : float
        Flat-top width, rise and fall times [s].
    ambient : float
        Ambient temperature [K].
    t_start : float
        Population clock at the start of the pulse [s].
    event : int
        Event index of this pulse (keys the per-pulse random draws).
    seed : int
    device : ndarray of int64
        Global cell indices.
    params : ParameterSet
    active : ndarray of bool, optional
        Cells that receive the pulse; the others only age during its duration.

    Returns
    -------
    new_state : dict of ndarray
    diag : dict of ndarray
        ``power`` [W], ``interface_temperature`` (growth front, filament confined) [K],
        ``hotspot_temperature`` (heater area) [K], ``energy`` [J], ``melted`` (melt-quench)
        [bool] of each cell (zeros where not written).
    """
    p = params
    n = len(device)
    duration = rise + width + fall
    t_end = t_start + duration
    u = state["u_a"].astype(np.float64)
    u_cap = state["u_cap"].astype(np.float64)
    a_col = state["a_col"].astype(np.float64)
    sigma = state["sigma"].astype(np.float64)
    amplitude = np.broadcast_to(np.asarray(amplitude, np.float64), (n,))
    f = va.device_factors(seed, device, p)
    ok = state["fault"] == va.FAULT_NONE
    if active is not None:
        ok = ok & active
    z_growth, z_vth = rng.normal2(seed, device, event, rng.STREAM_PULSE, 0)
    z_delay, z_area = rng.normal2(seed, device, event, rng.STREAM_PULSE, 1)
    Tm = p.amorphization.melting_temperature
    blocked = u > p.conduction.min_conduction_thickness

    t_eff = np.full(n, float(width))
    if mode == MODE_VOLTAGE:
        vth = vt.threshold_voltage(u, sigma, ambient, f.vth0_factor, p.threshold, p.relaxation)
        vth = vth * va.lognormal_factor(z_vth, p.variability.threshold_cycle_sigma)
        vth = np.where(blocked, vth, 0.0)
        switched = amplitude >= vth
        delay = vt.switching_delay(amplitude, vth, p.threshold)
        delay = delay * va.lognormal_factor(z_delay, p.variability.delay_sigma)
        t_eff = np.where(switched, np.maximum(width - delay, 0.0), 0.0)
        current_liq = th.voltage_mode_current(amplitude, 0.0, p.thermal)
    else:
        current_liq = amplitude
    # ON filament of the thinnest path (a crystalline cell conducts over the whole heater) and
    # the column it crystallises: a wider filament enlarges the column
    current0, _ = _power(mode, amplitude, u, p.thermal)
    a_f = th.filament_fraction(current0, f.heater_radius,
                               va.lognormal_factor(z_area, p.variability.filament_area_sigma),
                               p.thermal)
    a_f = np.where(blocked, a_f, a_col)   # a percolated column carries the current ohmically
    wider = a_f > a_col
    u_mix = (a_col * u + (a_f - a_col) * u_cap) / np.where(wider, a_f, 1.0)
    u0 = np.where(wider, u_mix, u)
    a_new = np.maximum(a_col, a_f)
    heated = np.divide(a_f, a_new, out=np.ones(n), where=a_new > 0)
    conf = np.where(blocked, th.filament_confinement(current0, p.thermal, p.amorphization), 1.0)
    rth_front = f.rth_factor * conf

    current, P = _power(mode, amplitude, u0, p.thermal)
    written = ok & (t_eff > 0) & (current > 0)
    T_peak = th.hotspot_temperature(P, f.rth_factor, ambient, p.thermal)
    T_int = th.interface_temperature(P, u0, rth_front, ambient, p.thermal, p.amorphization)
    melted = written & (T_peak >= Tm)
    # a front above T_m while the molten region cannot span the heater melts the column back:
    # it re-vitrifies to the cap thickness (no melt-quench of the cell)
    remelt = written & ~melted & blocked & (T_int >= Tm)
    grown = written & ~melted & ~remelt

    # crystal growth branch (SET / accumulation), inside the heated filament footprint
    g_cyc, _ = va.cycle_factors(seed, device, state["cycles"], p)
    gfac = f.growth_factor * g_cyc * va.lognormal_factor(z_growth, p.variability.growth_pulse_sigma)
    u_g = np.maximum(u0 - gfac * cr.ramp_growth(rise, ambient, T_int, p.crystallization, Tm), 0.0)
    u_g = _grow_flat_top(u_g, t_eff, gfac, rth_front, mode, amplitude, ambient, p)
    _, P_end = _power(mode, amplitude, u_g, p.thermal)
    T_end = th.interface_temperature(P_end, u_g, rth_front, ambient, p.thermal, p.amorphization)
    u_g = np.maximum(u_g - gfac * cr.ramp_growth(fall, ambient, T_end, p.crystallization, Tm), 0.0)
    u_g = _nucleate(u_g, T_int, t_eff, f, seed, device, event, p)
    u_g = u0 - (u0 - u_g) * heated
    sigma_g = rl.pulse_order(sigma, T_int, duration, p.relaxation, p.crystallization)

    # melt-quench branch (RESET)
    u_m = _melt(u0, state["cycles"], current_liq, f, seed, device, fall, ambient, p)

    # cells not written only age at ambient during the pulse
    idle = _wait_cells(u, u_cap, sigma, state["cycles"], duration, ambient, event, seed, device,
                       f, p)

    new = {k: v.copy() for k, v in state.items()}
    faulty = state["fault"] != va.FAULT_NONE
    touched = grown | remelt
    u_new = np.where(melted, u_m, np.where(grown, u_g, np.where(remelt, u_cap,
                                                                np.where(faulty, u, idle[0]))))
    cap_new = np.where(melted, u_m, np.where(touched | faulty, u_cap, idle[1]))
    a_out = np.where(melted, 0.0, np.where(touched, a_new, a_col))
    s_new = np.where(melted | remelt, p.relaxation.initial_order,
                     np.where(grown, sigma_g, np.where(faulty, sigma, idle[2])))
    new["u_a"] = u_new.astype(np.float32)
    new["u_cap"] = cap_new.astype(np.float32)
    new["a_col"] = a_out.astype(np.float32)
    new["sigma"] = s_new.astype(np.float32)
    new["t_melt"] = np.where(melted, t_end, state["t_melt"])
    new["t_prog"] = np.where(written, t_end, state["t_prog"])
    new["cycles"] = (state["cycles"] + melted).astype(np.uint32)
    _apply_endurance(new, melted, f, seed, device, p)
    diag = {
        "power": np.where(written, P, 0.0),
        "interface_temperature": np.where(written, T_int, ambient),
        "hotspot_temperature": np.where(written, T_peak, ambient),
        "energy": np.where(written, P * (t_eff + 0.5 * (rise + fall)), 0.0),
        "melted": melted,
    }
    return new, diag


def _apply_endurance(state, melted, f, seed, device, params):
    """Cells whose melt-quench count reached their budget fail (stuck-SET or open)."""
    failed = melted & (state["cycles"] >= f.endurance_cycles)
    if failed.any():
        kind = va.endurance_fault(seed, device, params)
        state["fault"] = np.where(failed, kind, state["fault"]).astype(np.uint8)
        stuck = failed & (kind == va.FAULT_STUCK_SET)
        state["u_a"] = np.where(stuck, np.float32(0.0), state["u_a"]).astype(np.float32)
        state["u_cap"] = np.where(stuck, np.float32(0.0), state["u_cap"]).astype(np.float32)
        state["a_col"] = np.where(stuck, np.float32(1.0), state["a_col"]).astype(np.float32)


def _nucleation_factor(u, T, duration, f, seed, device, event, params, block=0):
    """Poisson nucleation in a plug of thickness u: the factor (1 - s U) by which at most one
    nucleus per interval shortens it, 1 without a nucleus [1]."""
    cp = params.crystallization
    Tm = params.amorphization.melting_temperature
    lam = cr.nucleation_rate(T, cp, Tm) * cr.plug_volume(u, f.heater_radius) * duration
    u_hit, u_frac = rng.uniform(seed, device, event, rng.STREAM_NUCLEATION, block)
    hit = u_hit < -np.expm1(-lam)
    return np.where(hit, 1.0 - cp.nucleation_shortening * u_frac, 1.0)


def _nucleate(u, T, duration, f, seed, device, event, params, block=0):
    """Poisson nucleation in the plug: at most one nucleus per interval shortens u_a."""
    return u * _nucleation_factor(u, T, duration, f, seed, device, event, params, block)


def _wait_cells(u, u_cap, sigma, cycles, duration, temperature, event, seed, device, f, params,
                block=0):
    """Growth, nucleation and relaxation of every cell over an isothermal interval.

    Column layer and cap thin at the same velocity; a nucleus (drawn for the cap's volume,
    the larger one) shortens both by the same factor. Returns (u_a, u_cap, sigma).
    """
    p = params
    Tm = p.amorphization.melting_temperature
    g_cyc, _ = va.cycle_factors(seed, device, cycles, p)
    v = f.growth_factor * g_cyc * cr.growth_velocity(temperature, p.crystallization, Tm)
    u_new = np.maximum(u - v * duration, 0.0)
    cap_new = np.maximum(u_cap - v * duration, 0.0)
    k = _nucleation_factor(cap_new, temperature, duration, f, seed, device, event, p, block)
    return u_new * k, cap_new * k, rl.relax_order(sigma, temperature, duration, p.relaxation)


def wait_update(state, duration, temperature, event, seed, device, params, block=0):
    """Let every cell rest for ``duration`` [s] at ``temperature`` [K] (pcm_wait).

    ``block`` separates the nucleation draws of a wait inside a pulse train (1) from those of
    a plain wait (0) at the same event index.
    """
    u = state["u_a"].astype(np.float64)
    u_cap = state["u_cap"].astype(np.float64)
    sigma = state["sigma"].astype(np.float64)
    f = va.device_factors(seed, device, params)
    u_new, cap_new, s_new = _wait_cells(u, u_cap, sigma, state["cycles"], duration, temperature,
                                        event, seed, device, f, params, block)
    ok = state["fault"] == va.FAULT_NONE
    new = {k: v.copy() for k, v in state.items()}
    new["u_a"] = np.where(ok, u_new, u).astype(np.float32)
    new["u_cap"] = np.where(ok, cap_new, u_cap).astype(np.float32)
    new["sigma"] = np.where(ok, s_new, sigma).astype(np.float32)
    return new


def read_cells(state, voltage, temperature, t, seed, device, params, quantity="conductance"):
    """Read every cell at time t [s] (pcm_read).

    Returns conductance [S], resistance [Ohm], current [A] (all with 1/f noise) or the
    noiseless threshold voltage [V].
    """
    p = params
    f = va.device_factors(seed, device, p)
    u = state["u_a"].astype(np.float64)
    sigma = state["sigma"].astype(np.float64)
    if quantity == "threshold_voltage":
        vth = vt.threshold_voltage(u, sigma, temperature, f.vth0_factor, p.threshold, p.relaxation)
        return np.where(u > p.conduction.min_conduction_thickness, vth, 0.0)
    ea = rl.activation_energy(sigma, f.zeta_factor, f.ea_offset, p.conduction, p.relaxation)
    g = co.column_read_conductance(voltage, temperature, u, state["u_cap"].astype(np.float64),
                                   state["a_col"].astype(np.float64), ea, f.heater_radius,
                                   p.conduction)
    fault = state["fault"]
    g = np.where(fault == va.FAULT_STUCK_SET, 1.0 / p.conduction.read_series_resistance, g)
    g = np.where(fault == va.FAULT_OPEN, p.faults.open_conductance, g)
    if p.noise.noise_coefficient > 0:
        n = nz.flicker_sum(seed, device, t, state["t_prog"], p.noise)
        g = nz.noisy_conductance(g, n, p.noise)
    if quantity == "conductance":
        return g
    if quantity == "resistance":
        with np.errstate(divide="ignore"):
            return 1.0 / g
    return g * voltage
