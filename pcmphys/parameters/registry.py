"""Registry of named parameter sets: the shipped ones, entry points of installed packages, and
sets registered at run time.

A lab package adds sets by name without touching pcmphys, with an entry point in the group
``pcmphys.parameter_sets`` of its ``pyproject.toml``::

    [project.entry-points."pcmphys.parameter_sets"]
    mylab_gst_cell = "mylab.pcm:GST_CELL"

where ``mylab.pcm.GST_CELL`` is the path of a TOML parameter file (a str, a
:class:`os.PathLike` or an :mod:`importlib.resources` Traversable), or a function without
arguments returning one. ``ParameterSet.load("mylab_gst_cell")`` then finds it. Only the TOML
file is read as data; loading the entry point imports the lab's module, as installing it allows.
Inside one session, :func:`register_parameter_set` does the same for a file or a TOML text.

A set file may start from another set with ``base = "<name>"`` and override only the fields it
needs (see :meth:`pcmphys.ParameterSet.load`).
"""
from __future__ import annotations

import functools
import os
import re
from importlib import resources

from pcmphys.parameters.core import ParameterError

__all__ = ["ENTRY_POINT_GROUP", "register_parameter_set", "registered_sets", "set_text"]

#: entry-point group that installed packages use to add parameter sets
ENTRY_POINT_GROUP = "pcmphys.parameter_sets"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_USER = {}  # name -> (kind, value): ("file", path) or ("text", toml)


def register_parameter_set(name, source, overwrite=False):
    """Make a parameter set loadable by name for the rest of the session.

    Parameters
    ----------
    name : str
        Letters, digits, ``_ . -``; must not shadow a shipped or installed set.
    source : str or os.PathLike
        Path of a TOML parameter file, or the TOML text itself (a str containing a newline).
    overwrite : bool
        Replace an earlier :func:`register_parameter_set` of the same name.

    Returns
    -------
    str
        ``name``.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(f"parameter set name {name!r} must be letters, digits, '_', '.' "
                             "or '-' (starting with a letter or digit)", str(name))
    if name in _shipped() or name in _entry_points():
        raise ParameterError(f"parameter set {name!r} already exists (shipped or installed); "
                             "choose another name", name)
    if name in _USER and not overwrite:
        raise ParameterError(f"parameter set {name!r} is already registered; pass "
                             "overwrite=True to replace it", name)
    if isinstance(source, str) and "\n" in source:
        _USER[name] = ("text", source)
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise FileNotFoundError(f"parameter file {str(source)!r} not found")
        _USER[name] = ("file", os.fspath(source))
    else:
        raise TypeError(f"source must be a TOML file path or TOML text, got "
                        f"{type(source).__name__}")
    return name


def registered_sets():
    """Every named set and where it comes from.

    Returns
    -------
    dict of str -> str
        ``name -> origin``: ``"shipped"``, ``"entry point <module:attr> (<distribution>)"``
        or ``"registered in this session"``; sorted by name.
    """
    out = {name: "shipped" for name in _shipped()}
    for name, ep in _entry_points().items():
        out.setdefault(name, f"entry point {ep.value}"
                             + (f" ({ep.dist.name})" if getattr(ep, "dist", None) else ""))
    for name in _USER:
        out.setdefault(name, "registered in this session")
    return dict(sorted(out.items()))


def set_text(name):
    """``(toml_text, source_label)`` of the named set; ParameterError for an unknown name."""
    if name in _shipped():
        resource = resources.files("pcmphys.parameters").joinpath("sets", f"{name}.toml")
        return resource.read_text(encoding="utf-8"), f"set {name!r}"
    if name in _entry_points():
        ep = _entry_points()[name]
        try:
            target = ep.load()
            if callable(target):
                target = target()
        except Exception as exc:  # a broken lab package: say which one
            raise ParameterError(f"parameter set {name!r}: loading entry point {ep.value!r} "
                                 f"failed: {type(exc).__name__}: {exc}", name) from None
        return _read(target, f"set {name!r} (entry point {ep.value})"), f"set {name!r}"
    if name in _USER:
        kind, value = _USER[name]
        if kind == "text":
            return value, f"set {name!r} (registered text)"
        return _read(value, f"set {name!r} ({value})"), f"set {name!r} ({value})"
    raise KeyError(name)


def _read(target, label):
    if hasattr(target, "read_text"):
        try:
            return target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError(f"{label}: cannot read the TOML file: {exc}", label) from None
    if isinstance(target, (str, os.PathLike)):
        try:
            with open(target, encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError(f"{label}: cannot read {str(target)!r}: {exc}", label) \
                from None
    raise ParameterError(f"{label}: the entry point must give a TOML file path (or a function "
                         f"returning one), got {type(target).__name__}", label)


def _shipped():
    folder = resources.files("pcmphys.parameters").joinpath("sets")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


@functools.cache
def _entry_points():
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)
            if _NAME.match(ep.name)}


def _refresh():
    """Forget the cached entry points (after installing a package in this process)."""
    _entry_points.cache_clear()
