"""Integrity of results stores: checksums, completeness and schema checks on open.

Before, a store marked complete returned wrong data silently: a deleted chunk read as NaN (0
for integer variables), a deleted variable's metadata made the variable vanish, an edited
dtype gave garbage, a truncated chunk could decode to plausible values, and ``pcmphys plot``
drew it. Now open_results raises CorruptResultsError naming the variable and the chunk, and
the CLI prints one line."""
import json
import os
import re
import shutil

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.cli import main
from pcmphys.results import CorruptResultsError, export_results, open_results

zarr = pytest.importorskip("zarr")

N = 300
PROTOCOL = [pcm.Pulse.reset(), pcm.Read(at=1.0), pcm.Read(at=100.0)]
RECORD = ("conductance", "cycles", "fault")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Two complete stores: unsharded (100-cell chunks) and sharded (2 inner chunks per
    100-cell shard), plus the in-memory reference."""
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    root = tmp_path_factory.mktemp("integrity")
    args = dict(backend="numpy", record=RECORD, progress=False, chunk_devices=100)
    plain = root / "plain.zarr"
    sharded = root / "sharded.zarr"
    pcm.simulate(params, PROTOCOL, N, 4, store=plain, **args)
    pcm.simulate(params, PROTOCOL, N, 4, store=sharded, encoding={"inner_devices": 50}, **args)
    return {"plain": plain, "sharded": sharded,
            "memory": pcm.simulate(params, PROTOCOL, N, 4, **args)}


def _copy(src, tmp_path):
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def test_intact_stores_verify_and_read_back(stores):
    """Every chunk is written, fill-value-only ones too (fault is all 0), so an intact store
    passes both checks and equals the in-memory run bit for bit."""
    for kind in ("plain", "sharded"):
        for level in ("cheap", "full"):
            ds = open_results(stores[kind], verify=level)
            for name in RECORD:
                np.testing.assert_array_equal(ds[name].values, stores["memory"][name].values)
    fault = stores["memory"]["fault"].values
    assert not fault[100:300].any() and fault.any()   # seed 4: two fault chunks all 0
    codecs = json.loads((stores["sharded"] / "conductance" / "zarr.json").read_text())["codecs"]
    assert codecs[0]["configuration"]["codecs"][-1]["name"] == "crc32c"


def _truncate(file):
    data = file.read_bytes()
    file.write_bytes(data[: len(data) - 40])


def _flip(file):
    data = bytearray(file.read_bytes())
    data[len(data) // 3] ^= 0xFF
    file.write_bytes(bytes(data))


def _dtype(store, name):
    meta = store / name / "zarr.json"
    meta.write_text(meta.read_text().replace('"uint32"', '"int32"'))


# (store, damage, variable, chunk, what the cheap check catches, message fragment)
CASES = [
    ("plain", lambda s: os.remove(s / "cycles" / "c" / "2" / "0"), "cycles", "c/2/0", True,
     "chunk file is missing"),
    ("plain", lambda s: os.remove(s / "conductance" / "c" / "1" / "0"), "conductance",
     "c/1/0", True, "chunk file is missing"),
    ("plain", lambda s: os.remove(s / "conductance" / "zarr.json"), "conductance", None, True,
     "metadata) is missing"),
    ("plain", lambda s: _dtype(s, "cycles"), "cycles", None, True,
     "dtype <i4 instead of <u4"),
    ("plain", lambda s: _truncate(s / "conductance" / "c" / "0" / "0"), "conductance",
     "c/0/0", False, "checksum"),
    ("plain", lambda s: _flip(s / "cycles" / "c" / "1" / "0"), "cycles", "c/1/0", False,
     "does not decode"),
    ("sharded", lambda s: _truncate(s / "conductance" / "c" / "1" / "0"), "conductance",
     "c/1/0", True, "shard index checksum"),
    ("sharded", lambda s: (s / "cycles" / "c" / "2" / "0").write_bytes(b""), "cycles",
     "c/2/0", True, "shorter than its index"),
    ("sharded", lambda s: _flip(s / "conductance" / "c" / "0" / "0"), "conductance",
     "c/0/0", False, "does not decode"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}-{c[5][:12]}" for c in CASES])
def test_damaged_store_raises_corrupt_results_error(stores, tmp_path, case):
    """Issue 18 item 2: each kind of damage raises CorruptResultsError naming the variable
    and the chunk: with the cheap default check where it looks (metadata, chunk files, shard
    indexes), otherwise with verify='full' (crc32c of every chunk)."""
    kind, damage, variable, chunk, cheap, fragment = case
    store = _copy(stores[kind], tmp_path)
    damage(store)
    levels = ["cheap", "full"] if cheap else ["full"]
    for level in levels:
        with pytest.raises(CorruptResultsError, match=re.escape(fragment)) as info:
            open_results(store, verify=level)
        assert info.value.variable == variable and info.value.chunk == chunk
        assert f"variable {variable!r}" in str(info.value)
    if not cheap:
        # the cheap check misses it, but reading the damaged chunk fails; never wrong values
        ds = open_results(store)
        with pytest.raises(ValueError, match="checksum"):
            ds[variable].load()


def test_cli_plot_on_damaged_store_prints_one_line(stores, tmp_path, capsys):
    """Issue 18 items 2 and 5: ``pcmphys plot`` on a damaged chunk (a flipped byte, which
    blosc used to report as a raw RuntimeError traceback) exits 2 with one line naming the
    variable and chunk."""
    store = _copy(stores["plain"], tmp_path)
    _flip(store / "conductance" / "c" / "0" / "0")
    code = main(["plot", str(store), "--out", str(tmp_path / "fig.png")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "variable 'conductance', chunk 'c/0/0'" in err
    assert not (tmp_path / "fig.png").exists()


def test_export_refuses_damaged_source(stores, tmp_path):
    store = _copy(stores["plain"], tmp_path)
    os.remove(store / "fault" / "c" / "0" / "0")
    with pytest.raises(CorruptResultsError, match="'fault'"):
        export_results(store, tmp_path / "copy.zarr")


def test_exported_store_verifies(stores, tmp_path):
    """An export to zarr v2 carries CRC32C filters and its own schema; a deleted chunk of
    it is found."""
    out = export_results(stores["sharded"], tmp_path / "v2.zarr", zarr_format=2)
    ds = open_results(out, verify="full")
    np.testing.assert_array_equal(ds["conductance"].values,
                                  stores["memory"]["conductance"].values)
    meta = json.loads((out / "conductance" / ".zarray").read_text())
    assert meta["filters"] == [{"id": "crc32c"}]
    os.remove(out / "cycles" / "1.0")
    with pytest.raises(CorruptResultsError, match="'cycles', chunk '1.0'"):
        open_results(out)
