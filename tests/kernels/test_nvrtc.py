"""Every entry kernel compiles with NVRTC, the compiler the cupy backend uses, without a GPU.

NVRTC has no standard headers and its own implicit declarations, so ``nvcc -ptx`` passing does
not prove the cupy path compiles. The library is called through ctypes on the loader's inlined
source with the cupy backend's options (plus the ``-ftz=true`` CuPy adds and sm_90's virtual
architecture). libnvrtc comes from the ``nvidia-cuda-nvrtc`` wheel of the test extra, from
``$PCMPHYS_NVRTC_LIB``, the system's library path or a CUDA toolkit; the test is skipped when
none is found.
"""

import ctypes
import ctypes.util
import glob
import importlib.util
import os

import pytest

from pcmphys.backends import kernel_dir
from pcmphys.backends.cupy_backend import NVRTC_OPTIONS
from pcmphys.backends.source import inline_source

ENTRY_FILES = sorted(p.name for p in kernel_dir().glob("*.cu"))
ARCH_OPTIONS = ("--gpu-architecture=compute_90", "-ftz=true")


def _find_libnvrtc():
    env = os.environ.get("PCMPHYS_NVRTC_LIB")
    if env:
        return env
    candidates = []
    spec = importlib.util.find_spec("nvidia")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidates += sorted(glob.glob(os.path.join(root, "cu1*", "lib", "libnvrtc.so*")))
        candidates += sorted(glob.glob(os.path.join(root, "cuda_nvrtc", "lib", "libnvrtc.so*")))
    found = ctypes.util.find_library("nvrtc")
    if found:
        candidates.append(found)
    candidates += sorted(glob.glob("/usr/local/cuda*/lib64/libnvrtc.so*"))
    for path in candidates:
        if "builtins" not in os.path.basename(path):
            return path
    return None


@pytest.fixture(scope="module")
def nvrtc():
    path = _find_libnvrtc()
    if path is None:
        pytest.skip("libnvrtc not found (pip install nvidia-cuda-nvrtc, or set PCMPHYS_NVRTC_LIB)")
    return ctypes.CDLL(path)


def _compile(lib, source, name, options):
    """(NVRTC result code, compile log) of `source`."""
    prog = ctypes.c_void_p()
    rc = lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None,
                                None)
    assert rc == 0, f"nvrtcCreateProgram returned {rc}"
    try:
        opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        rc = lib.nvrtcCompileProgram(prog, len(options), opts)
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(max(size.value, 1))
        lib.nvrtcGetProgramLog(prog, log)
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))
    return rc, log.value.decode(errors="replace")


@pytest.mark.parametrize("name", ENTRY_FILES)
def test_nvrtc_compiles_entry_kernel(nvrtc, name):
    rc, log = _compile(nvrtc, inline_source(kernel_dir() / name), name,
                       [*NVRTC_OPTIONS, *ARCH_OPTIONS])
    assert rc == 0, f"NVRTC failed on {name} (code {rc}):\n{log}"


def test_nvrtc_reports_errors(nvrtc):
    """The check can fail: a source using a standard header (absent under NVRTC) is rejected."""
    rc, log = _compile(nvrtc, '#include <cmath>\nextern "C" __global__ void k() {}\n', "bad.cu",
                       [*NVRTC_OPTIONS, *ARCH_OPTIONS])
    assert rc != 0 and "cmath" in log
