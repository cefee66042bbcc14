"""Every entry kernel compiles with NVRTC, the compiler the cupy backend uses, without a GPU.

NVRTC has no standard headers and its own implicit declarations, so ``nvcc -ptx`` passing does
not prove the cupy path compiles. :mod:`pcmphys.backends.nvrtc` calls libnvrtc on the loader's
inlined source with the cupy backend's options (plus the ``-ftz=true`` CuPy adds and sm_90's
virtual architecture). libnvrtc comes from the ``nvidia-cuda-nvrtc`` wheel of the test extra,
``$PCMPHYS_NVRTC_LIB``, the system's library path or a CUDA toolkit; skipped when none is found.
"""

import pytest

from pcmphys.backends import kernel_dir
from pcmphys.backends.cupy_backend import NVRTC_OPTIONS
from pcmphys.backends.nvrtc import CUPY_ADDED_OPTIONS, DEFAULT_ARCH, compile_ptx, find_libnvrtc
from pcmphys.backends.source import inline_source

ENTRY_FILES = sorted(p.name for p in kernel_dir().glob("*.cu"))
OPTIONS = (*NVRTC_OPTIONS, *CUPY_ADDED_OPTIONS, f"--gpu-architecture={DEFAULT_ARCH}")


@pytest.fixture(scope="module")
def libnvrtc():
    path = find_libnvrtc()
    if path is None:
        pytest.skip("libnvrtc not found (pip install nvidia-cuda-nvrtc, or set PCMPHYS_NVRTC_LIB)")
    return path


@pytest.mark.parametrize("name", ENTRY_FILES)
def test_nvrtc_compiles_entry_kernel(libnvrtc, name):
    res = compile_ptx(inline_source(kernel_dir() / name), name, OPTIONS, library=libnvrtc)
    assert res.ok, f"NVRTC failed on {name} (code {res.code}):\n{res.log}"
    assert ".entry" in res.ptx   # PTX with at least one kernel came back


def test_nvrtc_reports_errors(libnvrtc):
    """The check can fail: a source using a standard header (absent under NVRTC) is rejected."""
    res = compile_ptx('#include <cmath>\nextern "C" __global__ void k() {}\n', "bad.cu", OPTIONS,
                      library=libnvrtc)
    assert not res.ok and "cmath" in res.log and res.ptx == ""
