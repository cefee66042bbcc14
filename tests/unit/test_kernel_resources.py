"""bench/kernel_resources.py: ptxas report parsing, the occupancy rule, and (with nvcc) that no
entry kernel spills registers on sm_90 at its default build."""

import importlib.util
import shutil
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "kernel_resources.py"
_spec = importlib.util.spec_from_file_location("kernel_resources", _PATH)
kr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kr)

SAMPLE = """\
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'pcm_read' for 'sm_90'
ptxas info    : Function properties for pcm_read
    40 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 72 registers, used 0 barriers, 40 bytes cumulative stack size
ptxas info    : Function properties for __internal_accurate_pow
    8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads
ptxas info    : Compiling entry function 'pcm_apply_pulse' for 'sm_90'
ptxas info    : Function properties for pcm_apply_pulse
    288 bytes stack frame, 286 bytes spill stores, 612 bytes spill loads
ptxas info    : Used 255 registers, used 0 barriers, 288 bytes cumulative stack size
ptxas info    : Compiling entry function 'pcm_corr_partial_sums' for 'sm_90'
ptxas info    : Function properties for pcm_corr_partial_sums
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 36 registers, used 1 barriers, 2048 bytes smem
"""


def test_parse_ptxas_attributes_frames_to_their_entry():
    r = kr.parse_ptxas(SAMPLE)
    assert list(r) == ["pcm_read", "pcm_apply_pulse", "pcm_corr_partial_sums"]
    # the helper's frame (__internal_accurate_pow) is not charged to pcm_read
    assert r["pcm_read"] == {"arch": "sm_90", "registers": 72, "stack_bytes": 40,
                             "spill_store_bytes": 0, "spill_load_bytes": 0, "smem_bytes": 0}
    assert (r["pcm_apply_pulse"]["registers"], r["pcm_apply_pulse"]["spill_store_bytes"],
            r["pcm_apply_pulse"]["spill_load_bytes"]) == (255, 286, 612)
    assert r["pcm_corr_partial_sums"]["smem_bytes"] == 2048


@pytest.mark.parametrize("regs, threads, expected, limiter", [
    (32, 256, 1.0, "warps"),        # 8 blocks x 8 warps = 64
    (64, 256, 0.5, "registers"),    # 2048 regs/warp -> 32 warps -> 4 blocks
    (128, 256, 0.25, "registers"),
    (178, 256, 0.125, "registers"), # 5888 regs/warp -> 11 warps -> 1 block of 8
    (178, 64, 10 / 64, "registers"),
    (255, 256, 0.125, "registers"),
])
def test_occupancy_rule(regs, threads, expected, limiter):
    occ, _, lim = kr.occupancy(regs, threads)
    assert occ == pytest.approx(expected) and lim == limiter


def test_occupancy_rejects_impossible_register_counts():
    with pytest.raises(ValueError, match="registers must be in 1..255"):
        kr.occupancy(300)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found on PATH")
def test_no_entry_kernel_spills_registers_on_sm90():
    """Spills put per-thread state in local memory; every default build must avoid them
    (pcm_apply_pulse is the tightest: ~180 of 255 registers)."""
    res = kr.kernel_resources("sm_90")
    assert "pcm_apply_pulse" in res and "pcm_read" in res
    spilling = {k: (v["spill_store_bytes"], v["spill_load_bytes"]) for k, v in res.items()
                if v["spill_store_bytes"] or v["spill_load_bytes"]}
    assert not spilling, spilling
