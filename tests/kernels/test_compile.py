"""Every kernel source compiles three ways and follows the conventions of kernels/README.md.

* ``nvcc -ptx`` and ``nvcc --cubin -arch=sm_90`` on the entry file (skipped without nvcc);
* ``nvcc -ptx`` on the loader's inlined single-file source (what NVRTC compiles);
* the host backend (system C++ compiler), and NVRTC through CuPy when a GPU answers;
* conventions: a ``// Mirrors: pcmphys.x.y`` line near the top naming functions that exist,
  ``extern "C" __global__`` entry kernels, no standard-library includes.
"""

import importlib
import re
import shutil
import subprocess

import pytest

from pcmphys.backends import available_backends, get_backend, kernel_dir
from pcmphys.backends.source import inline_source

KERNELS = kernel_dir()
ENTRY_FILES = sorted(p.name for p in KERNELS.glob("*.cu"))
ALL_SOURCES = sorted(p.name for p in KERNELS.iterdir() if p.suffix in (".cu", ".cuh"))
NVCC = shutil.which("nvcc")
MIRRORS_WITHIN_LINES = 10

needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc not found on PATH")


def _nvcc(*args):
    proc = subprocess.run([NVCC, "-std=c++17", f"-I{KERNELS}", *args],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"nvcc {' '.join(args)} failed:\n{proc.stderr}"


def test_kernel_files_found():
    assert "backend_selftest.cu" in ENTRY_FILES


@needs_nvcc
@pytest.mark.parametrize("name", ENTRY_FILES)
def test_nvcc_ptx(name, tmp_path):
    _nvcc("-ptx", "-o", str(tmp_path / "out.ptx"), str(KERNELS / name))


@needs_nvcc
@pytest.mark.parametrize("name", ENTRY_FILES)
def test_nvcc_cubin_sm90(name, tmp_path):
    _nvcc("--cubin", "-arch=sm_90", "-o", str(tmp_path / "out.cubin"), str(KERNELS / name))


@needs_nvcc
@pytest.mark.parametrize("name", ENTRY_FILES)
def test_nvcc_compiles_inlined_source(name, tmp_path):
    inlined = tmp_path / name
    inlined.write_text(inline_source(KERNELS / name))
    proc = subprocess.run([NVCC, "-std=c++17", "-ptx", "-o", str(tmp_path / "out.ptx"),
                           str(inlined)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"inlined {name} failed to compile:\n{proc.stderr}"


@pytest.mark.parametrize("name", ENTRY_FILES)
def test_host_backend_compiles(name):
    ok, reason = available_backends()["host"]
    if not ok:
        pytest.skip(f"host backend unavailable: {reason}")
    assert get_backend("host").module(name).kernel_names()


@pytest.mark.gpu
@pytest.mark.parametrize("name", ENTRY_FILES)
def test_cupy_nvrtc_compiles(name):
    ok, reason = available_backends()["cupy"]
    if not ok:
        pytest.skip(f"cupy backend unavailable: {reason}")
    assert get_backend("cupy").module(name).kernel_names()


def _mirrors_block(lines):
    """The ``// Mirrors:`` header line plus its indented ``//`` continuation lines."""
    for k, line in enumerate(lines[:MIRRORS_WITHIN_LINES]):
        if re.match(r"\s*//\s*Mirrors:", line):
            block = [line]
            for more in lines[k + 1:]:
                if not re.match(r"\s*//\s{2,}\S", more):  # continuation: '//' + indent
                    break
                block.append(more)
            return " ".join(block)
    return None


@pytest.mark.parametrize("name", ENTRY_FILES)
def test_mirrors_header(name):
    """Convention: within the first lines, ``// Mirrors: pcmphys.module.function, ...``."""
    block = _mirrors_block((KERNELS / name).read_text().splitlines())
    assert block is not None, (
        f"{name}: no '// Mirrors: pcmphys.x.y, ...' line in its first {MIRRORS_WITHIN_LINES} "
        "lines naming the Python function(s) the kernels mirror (kernels/README.md)")
    assert re.search(r"\bpcmphys\.\w+", block), f"{name}: Mirrors line names no pcmphys.* name"


@pytest.mark.parametrize("name", ENTRY_FILES)
def test_mirrored_functions_exist(name):
    block = _mirrors_block((KERNELS / name).read_text().splitlines()) or ""
    problems = [p for p in map(_resolve_problem, re.findall(r"\bpcmphys(?:\.\w+)+", block)) if p]
    assert not problems, f"{name}: Mirrors names that do not resolve:\n" + "\n".join(problems)


def _resolve_problem(dotted):
    """None when `dotted` names an importable object, else what went wrong."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
                continue  # this prefix is not a module: try a shorter one
            return f"{dotted}: import failed: {exc}"
        except Exception as exc:
            return f"{dotted}: import failed: {type(exc).__name__}: {exc}"
        for k, attribute in enumerate(parts[cut:], start=cut):
            if not hasattr(obj, attribute):
                return f"{dotted}: {'.'.join(parts[:k])} has no attribute {attribute!r}"
            obj = getattr(obj, attribute)
        return None
    return f"{dotted}: no such module"


@pytest.mark.parametrize("name", ENTRY_FILES)
def test_entry_kernels_are_extern_c(name):
    text = (KERNELS / name).read_text()
    kernels = re.findall(r"__global__", text)
    extern_c = re.findall(r'extern\s+"C"\s+__global__\s+void\s+\w+', text)
    assert extern_c, f"{name}: no extern \"C\" __global__ void entry kernel"
    assert len(kernels) == len(extern_c), f"{name}: a __global__ function lacks extern \"C\""


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_no_standard_headers(name):
    """NVRTC has no standard headers: kernels include only local "x.cuh" files."""
    text = (KERNELS / name).read_text()
    assert not re.search(r"^\s*#\s*include\s*<", text, re.M), (
        f"{name} includes a system header; NVRTC cannot (host_shim.h supplies <cmath>)")


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_host_clones_dispatch_on_features(name):
    """GCC selects a ``target_clones("arch=<cpu>")`` clone by CPU model (``__builtin_cpu_is``):
    an ``arch=haswell`` clone never runs on AMD CPUs, and until 2026-12-02 the host's vector
    blocks ran their SSE2 baseline there. Clones must name ISA features or an x86-64 level
    (``arch=x86-64-v2/v3/v4``, dispatched by features) besides ``default``."""
    text = (KERNELS / name).read_text()
    for options in re.findall(r"target_clones\s*\(([^)]*)\)", text):
        for opt in re.findall(r'"([^"]*)"', options):
            assert opt == "default" or not opt.startswith("arch=") or re.fullmatch(
                r"arch=x86-64-v[234]", opt), (
                f"{name}: target_clones option {opt!r} dispatches on the CPU model; use "
                "features or arch=x86-64-v3/v4")
