"""``import pcmphys`` is cheap: no cupy, dask or matplotlib (even when they are installed),
no eager scipy/xarray, well under a second."""

import json
import subprocess
import sys
import textwrap

BLOCKED = ("cupy", "dask", "matplotlib")
NOT_EAGER = ("scipy", "xarray", "zarr")

PROBE = textwrap.dedent("""
    import importlib.abc, json, sys, time

    BLOCKED = {blocked!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"{{name}} is hidden by tests/test_import.py", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    start = time.perf_counter()
    import pcmphys
    elapsed = time.perf_counter() - start
    {extra}
    print(json.dumps({{"elapsed": elapsed, "modules": sorted(sys.modules)}}))
""")


def _run(extra=""):
    code = PROBE.format(blocked=BLOCKED, extra=extra)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _top_level(modules):
    return {m.split(".")[0] for m in modules}


def test_import_is_light_and_fast():
    result = _run()
    loaded = _top_level(result["modules"])
    assert not loaded & set(BLOCKED), f"import pcmphys imported {loaded & set(BLOCKED)}"
    assert not loaded & set(NOT_EAGER), f"import pcmphys eagerly imported {loaded & set(NOT_EAGER)}"
    assert result["elapsed"] < 1.0, f"import pcmphys took {result['elapsed']:.2f} s"


def test_version_and_lazy_attributes():
    result = _run(extra="assert pcmphys.__version__; pcmphys.backends; pcmphys.get_backend")
    assert "pcmphys.backends" in result["modules"]
    assert not _top_level(result["modules"]) & set(BLOCKED)


def test_backend_selection_with_cupy_hidden():
    """With cupy blocked, "auto" still works and cupy reports itself not installed."""
    extra = textwrap.dedent("""
        from pcmphys.backends import available_backends, get_backend
        ok, reason = available_backends()["cupy"]
        assert not ok and "not installed" in reason, reason
        assert get_backend("auto").name in ("host", "numpy")
    """)
    result = _run(extra=extra)
    assert not _top_level(result["modules"]) & set(BLOCKED)
