"""Static GPU resources of every entry kernel: registers, spills, stack, theoretical occupancy.

Needs only nvcc (no GPU): each ``kernels/*.cu`` is compiled to a cubin for ``--arch`` (default
sm_90, the H100/H200) with ``--resource-usage``, and ptxas' report is parsed. Theoretical
occupancy follows the CUDA occupancy rules for the launch geometry of the cupy backend
(``THREADS_PER_BLOCK`` threads per block): registers are allocated per warp in units of 256,
an SM has 65536 registers, at most 64 resident warps and 32 resident blocks. These are
compile-time facts, not timings; whether an occupancy is enough depends on the kernel (the
population kernels are FP64 compute-bound) and is only settled by ``bench_population.py`` on a
GPU.

``--define NAME=VALUE`` compiles with a macro, to compare the register cost of a variant.

Usage::

    python bench/kernel_resources.py [--arch sm_90] [--define NAME=VALUE ...] [--json PATH]
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from pcmphys.backends.cupy_backend import NVRTC_OPTIONS, THREADS_PER_BLOCK  # noqa: E402
from pcmphys.backends.nvrtc import CUPY_ADDED_OPTIONS, compile_ptx  # noqa: E402
from pcmphys.backends.source import inline_source, kernel_dir  # noqa: E402

#: per-SM limits of compute capability 9.0 (CUDA C Programming Guide, compute capabilities)
SM90_LIMITS = {"registers": 65536, "warps": 64, "blocks": 32, "register_unit": 256,
               "max_registers_per_thread": 255}

_ENTRY = re.compile(r"Compiling entry function '(\w+)' for '(\w+)'")
_PROPS = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_USED = re.compile(r"Used (\d+) registers(?:.*?(\d+) bytes smem)?")


def parse_ptxas(text):
    """Per entry function: registers, stack, spill stores/loads and static shared memory [B].

    Parameters
    ----------
    text : str
        ptxas' ``--resource-usage`` (``-Xptxas -v``) report.

    Returns
    -------
    dict of str -> dict
    """
    out, current, props_for = {}, None, None
    for line in text.splitlines():
        m = _ENTRY.search(line)
        if m:
            current = m.group(1)
            out[current] = {"arch": m.group(2), "registers": None, "stack_bytes": 0,
                            "spill_store_bytes": 0, "spill_load_bytes": 0, "smem_bytes": 0}
            continue
        if current is None:
            continue
        if "Function properties for" in line:   # the next line holds that function's frame
            props_for = line.rsplit(" ", 1)[-1].strip()
            continue
        m = _PROPS.search(line)
        if m and props_for == current:
            out[current].update(stack_bytes=int(m.group(1)), spill_store_bytes=int(m.group(2)),
                                spill_load_bytes=int(m.group(3)))
        m = _USED.search(line)
        if m and out[current]["registers"] is None:
            out[current]["registers"] = int(m.group(1))
            out[current]["smem_bytes"] = int(m.group(2) or 0)
    return out


def occupancy(registers, threads_per_block=THREADS_PER_BLOCK, smem_bytes=0, limits=SM90_LIMITS,
              smem_per_sm=228 * 1024):
    """Theoretical occupancy (resident warps / max warps) and its limiting resource.

    Parameters
    ----------
    registers : int
        Registers per thread.
    threads_per_block : int
    smem_bytes : int
        Static shared memory per block [B].

    Returns
    -------
    (float, int, str)
        Occupancy in [0, 1], resident blocks per SM, limiting resource.
    """
    if not 1 <= registers <= limits["max_registers_per_thread"]:
        raise ValueError(f"registers must be in 1..{limits['max_registers_per_thread']}, "
                         f"got {registers}")
    warps_per_block = -(-threads_per_block // 32)
    unit = limits["register_unit"]
    regs_per_warp = -(-registers * 32 // unit) * unit
    by = {   # on a tie the first is named: warps, blocks, then registers
        "warps": limits["warps"] // warps_per_block,
        "blocks": limits["blocks"],
        "registers": (limits["registers"] // regs_per_warp) // warps_per_block,
    }
    if smem_bytes:
        by["shared memory"] = smem_per_sm // smem_bytes
    limiter = min(by, key=by.get)
    blocks = by[limiter]
    return blocks * warps_per_block / limits["warps"], blocks, limiter


def kernel_resources(arch="sm_90", defines=(), compiler="nvcc"):
    """Resources of every entry kernel in ``kernels/*.cu`` for `arch` (needs nvcc).

    ``compiler="nvrtc"`` builds the PTX with NVRTC and the cupy backend's options (what the
    cupy backend runs; :mod:`pcmphys.backends.nvrtc`), then assembles it with nvcc/ptxas,
    which must be at least as new as the NVRTC (ptxas of CUDA 13.0 cannot read the PTX 9.5
    of NVRTC 13.5: ``pip install "nvidia-cuda-nvrtc==13.0.*"`` to match a 13.0 toolkit).
    """
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        raise RuntimeError("nvcc not found on PATH: the static GPU resource report needs it")
    if compiler not in ("nvcc", "nvrtc"):
        raise ValueError(f"compiler must be 'nvcc' or 'nvrtc', got {compiler!r}")
    kdir = kernel_dir()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted(kdir.glob("*.cu")):
            out = str(Path(tmp) / (src.stem + ".cubin"))
            if compiler == "nvrtc":
                ptx = Path(tmp) / (src.stem + ".ptx")
                res = compile_ptx(inline_source(src), src.name,
                                  [*NVRTC_OPTIONS, *CUPY_ADDED_OPTIONS,
                                   f"--gpu-architecture=compute_{arch.split('_')[1]}",
                                   *[f"-D{d}" for d in defines]])
                if not res.ok:
                    raise RuntimeError(f"NVRTC failed on {src.name}:\n{res.log}")
                ptx.write_text(res.ptx)
                cmd = [nvcc, "--cubin", f"-arch={arch}", "--resource-usage", "-o", out, str(ptx)]
            else:
                cmd = [nvcc, "-std=c++17", f"-I{kdir}", "--cubin", f"-arch={arch}",
                       "--resource-usage", *[f"-D{d}" for d in defines], "-o", out, str(src)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"nvcc failed on {src.name}:\n{proc.stderr}")
            for name, info in parse_ptxas(proc.stdout + proc.stderr).items():
                occ, blocks, limiter = occupancy(info["registers"], smem_bytes=info["smem_bytes"])
                result[name] = {"file": src.name, **info, "occupancy": occ,
                                "blocks_per_sm": blocks, "occupancy_limiter": limiter}
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--define", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--compiler", choices=("nvcc", "nvrtc"), default="nvcc",
                    help="nvrtc: the cupy backend's compiler and options (needs libnvrtc)")
    ap.add_argument("--json", help="write the report to this JSON file")
    args = ap.parse_args(argv)
    res = kernel_resources(args.arch, args.define, args.compiler)
    print(f"static resources, {args.compiler} -> cubin for {args.arch} "
          f"{' '.join('-D' + d for d in args.define)}; {THREADS_PER_BLOCK} threads/block")
    print(f"  {'kernel':24s} {'file':22s} {'regs':>5s} {'spill st/ld [B]':>16s} "
          f"{'stack [B]':>9s} {'occupancy':>9s}  limited by")
    for name, r in res.items():
        print(f"  {name:24s} {r['file']:22s} {r['registers']:5d} "
              f"{r['spill_store_bytes']:7d}/{r['spill_load_bytes']:<8d} {r['stack_bytes']:9d} "
              f"{r['occupancy']:9.1%}  {r['occupancy_limiter']}")
    if args.json:
        doc = {"benchmark": "kernel_resources", "date": datetime.date.today().isoformat(),
               "arch": args.arch, "compiler": args.compiler, "defines": args.define,
               "threads_per_block": THREADS_PER_BLOCK, "limits": SM90_LIMITS, "kernels": res}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(doc, indent=2))
        print(f"wrote {args.json}")
    return res


if __name__ == "__main__":
    main()
