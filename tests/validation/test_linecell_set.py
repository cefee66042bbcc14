"""The second shipped device, talukder2024_gst_linecell, against its papers' numbers.

- Talukder et al., ECS J. Solid State Sci. Technol. (2024), abstract: GST line cells
  melt-quenched by 50-100 ns pulses at 0.4-1.1 mA peak RESET current [V]. Checked: the current
  at which a 75 ns pulse (from a SET start, the programming-curve protocol) reaches 90 % of the
  log-resistance window lies in [0.4, 1.1] mA (deterministic cells, so no statistical margin).
- Khan et al., Appl. Phys. Lett. 116 (2020), abstract: drift coefficients about 0.1 at room
  temperature, 0.07-0.11 in the dark from 125 K to 300 K [V]. Checked: the mean drift exponent
  of 300 cells at 300 K (reads 1 s to 3000 s after RESET) lies in [0.07, 0.11] widened by
  3 standard errors of the mean (seed 1).
Evidence tag of the set's calibrated value (heater radius): E (equal-area line cross-section).
"""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys import characterization as ch
from pcmphys.testing import backend_or_skip

pytestmark = pytest.mark.validation
PS = pcm.ParameterSet.load("talukder2024_gst_linecell")


def test_reset_current_of_a_75ns_pulse_is_in_the_published_range():
    backend = backend_or_skip("host")
    currents = np.linspace(100e-6, 1.6e-3, 31)
    res = ch.programming_curve(PS.deterministic(), currents, n_devices=4, seed=0,
                               backend=backend, width=75e-9)
    log_r = np.log10(np.median(res["resistance"], axis=1))
    reset = currents[np.argmax(log_r >= log_r[0] + 0.9 * (log_r.max() - log_r[0]))]
    assert 0.4e-3 <= reset <= 1.1e-3, f"RESET current {reset * 1e3:.3g} mA"


def test_drift_exponent_at_room_temperature():
    backend = backend_or_skip("host")
    d = ch.drift_after_reset(PS, np.logspace(0, 3.5, 8), n_devices=300, seed=1,
                             backend=backend)
    nu = ch.fit_drift_exponent(d["times"], d["resistance"][:, d["healthy"]])
    mean, se = nu.mean(), nu.std(ddof=1) / np.sqrt(nu.size)
    assert 0.07 - 3 * se <= mean <= 0.11 + 3 * se, f"mean nu {mean:.4f} +- {se:.4f}"


def test_the_set_overrides_only_what_the_papers_fix():
    base = pcm.ParameterSet.load("sebastian2017_gst90nm")
    differ = [f"{s}.{i.name}" for (s, i, v), (_, _, w) in zip(PS.items(), base.items())
              if v != w]
    assert differ == ["amorphization.heater_radius"]
    assert PS.source_of("amorphization", "heater_radius")[:2] == ("E", "talukder2024")
    assert {"talukder2024", "khan2020"} <= set(PS.references())
    assert "% missing" not in PS.citations()
