"""Kernel sources: where they live and how an entry ``.cu`` becomes one self-contained text.

NVRTC (cupy backend) compiles a single string and CuPy keys its cache on that string, so
local headers are inlined by this loader rather than found through ``-I``; the host backend
compiles the same inlined text, so both backends build exactly the same code.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["kernel_dir", "entry_path", "inline_source"]

_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"[^\n]*$')
_PRAGMA_ONCE = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+once\b")


def kernel_dir():
    """Directory holding the kernel sources.

    Returns
    -------
    pathlib.Path
        ``<package>/kernels`` in an installed wheel (hatch force-include), else
        ``<repo>/kernels`` (editable install / source checkout).

    Raises
    ------
    FileNotFoundError
        When neither exists.
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "kernels", package.parent / "kernels"):
        if (candidate / "pcm_common.cuh").is_file():
            return candidate
    raise FileNotFoundError(
        f"pcmphys kernel sources not found in {package / 'kernels'} or "
        f"{package.parent / 'kernels'}; reinstall pcmphys"
    )


def entry_path(name, directory=None):
    """Resolve an entry ``.cu`` file name (relative to `directory`, default the kernel dir)."""
    base = Path(directory) if directory is not None else kernel_dir()
    path = (base / name).resolve()
    if not path.is_file():
        available = sorted(p.name for p in base.glob("*.cu"))
        raise FileNotFoundError(
            f"kernel source {name!r} not found in {base}; entry files there: "
            f"{', '.join(available) or 'none'}"
        )
    return path


def inline_source(path):
    """Return the text of `path` with its local ``#include "x.cuh"`` lines inlined.

    Parameters
    ----------
    path : str or pathlib.Path
        Entry ``.cu`` file.

    Returns
    -------
    str
        Self-contained source. Each header is inlined once (the first time it is included),
        searched next to the including file and then in :func:`kernel_dir`; ``#pragma once``
        lines are dropped (they would apply to the whole text) and ``#line`` markers keep
        compiler messages pointing at the original files. ``#include <...>`` lines are left
        alone (kernels must not use them: NVRTC has no standard headers).

    Raises
    ------
    FileNotFoundError
        When an included header cannot be found.
    """
    path = Path(path).resolve()
    out = []
    _inline(path, out, seen=set(), stack=())
    return "".join(out)


def _inline(path, out, seen, stack):
    seen.add(path)
    out.append(f'#line 1 "{path.name}"\n')
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        match = _INCLUDE.match(line)
        if match:
            header = _find_header(match.group(1), path, stack)
            if header not in seen:
                _inline(header, out, seen, stack + (path.name,))
            out.append(f'#line {number + 1} "{path.name}"\n')
        elif _PRAGMA_ONCE.match(line):
            out.append("\n")
        else:
            out.append(line if line.endswith("\n") else line + "\n")


def _find_header(name, including, stack):
    candidates = [including.parent / name]
    try:
        candidates.append(kernel_dir() / name)
    except FileNotFoundError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    chain = " -> ".join(stack + (including.name,))
    raise FileNotFoundError(
        f'#include "{name}" in {including} ({chain}) not found; looked in '
        f"{', '.join(str(c.parent) for c in candidates)}"
    )
