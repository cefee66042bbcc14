"""The one TOML reader of pcmphys inputs (protocols, parameter files): data only, bounded.

Every failure becomes the caller's error class with the file name in the message: a file that
is too large, not UTF-8 text, not valid TOML (integers with more digits than Python reads
included), or nested more deeply than any pcmphys input needs. Parsing never executes code.
"""
from __future__ import annotations

import pathlib
import tomllib

__all__ = ["read_toml_text", "parse_toml", "MAX_TOML_BYTES", "MAX_TOML_DEPTH"]

#: largest TOML input [bytes]; a protocol with inline scale factors for 10**5 cells fits
MAX_TOML_BYTES = 16 * 2 ** 20
#: deepest nesting of tables and arrays; pcmphys files use at most 3
MAX_TOML_DEPTH = 32


def read_toml_text(path, what, error):
    """The text of the TOML file ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        What the file is, for messages ("protocol file", "parameter file").
    error : callable
        ``error(message)`` returns the exception to raise.

    Raises
    ------
    error(...)
        The file cannot be read, is larger than :data:`MAX_TOML_BYTES` or is not UTF-8.
    """
    path = pathlib.Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_TOML_BYTES:
            raise error(f"{what} {str(path)!r} is {size} bytes; pcmphys reads TOML files of at "
                        f"most {MAX_TOML_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from None
    return decode(data, f"{what} {str(path)!r}", error)


def decode(data, source, error):
    """UTF-8 text of ``data`` (bytes), or ``error`` naming ``source`` and the bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{source} is not UTF-8 text: byte 0x{data[exc.start]:02x} at position "
                    f"{exc.start} ({exc.reason}); save it as UTF-8") from None


def parse_toml(text, source, error):
    """Parse TOML ``text`` (str or bytes) read from ``source`` (a label for messages).

    Returns
    -------
    dict

    Raises
    ------
    error(...)
        Too large, not UTF-8, not valid TOML, or nested deeper than :data:`MAX_TOML_DEPTH`.
    """
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), source, error)
    if len(text) > MAX_TOML_BYTES:
        raise error(f"{source}: {len(text)} characters of TOML; pcmphys reads at most "
                    f"{MAX_TOML_BYTES}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise error(f"{source}: not accepted: arrays or tables are nested too deeply (at most "
                    f"{MAX_TOML_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise error(f"{source}: not valid TOML: {exc}") from None
    _check_depth(data, source, error)
    return data


def _check_depth(data, source, error):
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_TOML_DEPTH:
            raise error(f"{source}: not accepted: arrays or tables are nested more than "
                        f"{MAX_TOML_DEPTH} levels deep")
        children = value.values() if isinstance(value, dict) else value
        stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))
