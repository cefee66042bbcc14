"""Parameter declarations, validation and SI units (data only, no physics).

Every physical parameter of pcmphys is declared once, with :func:`param`, as a field of a
frozen dataclass derived from :class:`Mechanism`. The declaration carries the SI unit, the
bibtex key of its source, its evidence tag ([V] read in the source, [L]
literature value not re-checked, [E] estimate or calibration), the allowed range and a one-line
description; Python, the TOML parameter files and the CUDA struct ``pcm_params`` are all
derived from it.

Values are SI numbers at the API. Strings with a unit ("65 nm", "2.2 K/uW", "1e19 cm^-3",
"85 degC") are converted in one place, :func:`to_si`, with a dimension check; conversions by
powers of ten are exact (rational arithmetic, one rounding at the end), so
``to_si(format_si(x, u), u) == x`` for every finite float64 ``x``.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import re
import sys
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

__all__ = ["ParameterError", "param", "Mechanism", "FieldInfo", "to_si", "format_si",
           "parse_unit", "EVIDENCE_TAGS"]

#: evidence tags: how far each value was checked against its source
EVIDENCE_TAGS = {"V": "read in the cited source", "L": "literature value, not re-checked",
                 "E": "estimate or calibration"}

_META_KEY = "pcmphys"


class ParameterError(ValueError):
    """Invalid parameter value, unit, key or set name.

    Parameters
    ----------
    message : str
        Names the parameter, its unit, the allowed range and the offending value.
    where : str, optional
        ``"<mechanism>.<field>"`` (or a file/key description) the error is about.
    """

    def __init__(self, message, where=None):
        super().__init__(message)
        self.where = where


# --------------------------------------------------------------------------- units
# dimension vector: exponents of (m, kg, s, A, K)
_DIM_NAMES = ("m", "kg", "s", "A", "K")
_E = Fraction("1.602176634e-19")  # elementary charge [C] (exact SI definition)
_UNITS = {  # symbol: (scale to coherent SI, dimension, accepts an SI prefix)
    "1": (Fraction(1), (0, 0, 0, 0, 0), False),
    "%": (Fraction(1, 100), (0, 0, 0, 0, 0), False),
    "ppm": (Fraction(1, 10 ** 6), (0, 0, 0, 0, 0), False),
    "m": (Fraction(1), (1, 0, 0, 0, 0), True),
    "g": (Fraction(1, 1000), (0, 1, 0, 0, 0), True),
    "s": (Fraction(1), (0, 0, 1, 0, 0), True),
    "min": (Fraction(60), (0, 0, 1, 0, 0), False),
    "h": (Fraction(3600), (0, 0, 1, 0, 0), False),
    "A": (Fraction(1), (0, 0, 0, 1, 0), True),
    "K": (Fraction(1), (0, 0, 0, 0, 1), True),
    "degC": (Fraction(1), (0, 0, 0, 0, 1), False),
    "Hz": (Fraction(1), (0, 0, -1, 0, 0), True),
    "N": (Fraction(1), (1, 1, -2, 0, 0), True),
    "Pa": (Fraction(1), (-1, 1, -2, 0, 0), True),
    "J": (Fraction(1), (2, 1, -2, 0, 0), True),
    "eV": (_E, (2, 1, -2, 0, 0), True),
    "W": (Fraction(1), (2, 1, -3, 0, 0), True),
    "C": (Fraction(1), (0, 0, 1, 1, 0), True),
    "V": (Fraction(1), (2, 1, -3, -1, 0), True),
    "F": (Fraction(1), (-2, -1, 4, 2, 0), True),
    "Ohm": (Fraction(1), (2, 1, -3, -2, 0), True),
    "S": (Fraction(1), (-2, -1, 3, 2, 0), True),
}
_ALIASES = {"ohm": "Ohm", "Ω": "Ohm", "\u2126": "Ohm", "°C": "degC"}
_PREFIXES = {"a": -18, "f": -15, "p": -12, "n": -9, "u": -6, "µ": -6, "μ": -6, "m": -3,
             "c": -2, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15}
_SUPERSCRIPTS = str.maketrans({"⁻": "-", "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4",
                               "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"})
_SUPERSCRIPT_RUN = re.compile("[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z%°Ωµμ\u2126]+)"
                    r"|(?P<op>[*/^()+-]))")
_NUMBER = re.compile(r"\s*(?P<num>[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
                     r"|inf(?:inity)?|nan))(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


class _Unit(NamedTuple):
    scale: Fraction          # value in coherent SI per unit
    dims: tuple              # exponents of (m, kg, s, A, K)
    offset: Fraction         # affine offset (degC only): SI = value * scale + offset


def _dims_text(dims):
    parts = [n if e == 1 else f"{n}^{e}" for n, e in zip(_DIM_NAMES, dims) if e]
    return " ".join(parts) or "dimensionless"


def _atom(name):
    """Scale, dimension and prefixability of one unit symbol such as ``uW`` or ``kOhm``."""
    if name == "kg":
        return Fraction(1), (0, 1, 0, 0, 0)
    base = _ALIASES.get(name, name)
    if base in _UNITS:
        scale, dims, _ = _UNITS[base]
        return scale, dims
    prefix, rest = name[:1], _ALIASES.get(name[1:], name[1:])
    if prefix in _PREFIXES and rest in _UNITS and _UNITS[rest][2]:
        scale, dims, _ = _UNITS[rest]
        return scale * Fraction(10) ** _PREFIXES[prefix], dims
    raise ValueError(f"unknown unit symbol {name!r}")


class _UnitParser:
    """Recursive-descent parser of unit expressions: ``K/uW``, ``1/(m^3 s)``, ``m^-3 s^-1``.

    Grammar: product := factor (('*' | '/' | juxtaposition) factor)*;
    factor := primary ('^' ['+'|'-'] integer)?; primary := symbol | '1' | '(' product ')'.
    Division binds to the next factor only (``a/b c`` is ``(a/b) c``), as in SI practice.
    """

    def __init__(self, text):
        self.tokens = self._tokenize(text)
        self.pos = 0

    @staticmethod
    def _tokenize(text):
        text = text.replace("**", "^").replace("·", "*").replace("⋅", "*")
        text = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), text)
        tokens, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match:
                raise ValueError(f"unexpected character {text[pos:].strip()[0]!r}")
            kind = match.lastgroup
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _next(self):
        token = self._peek()
        self.pos += 1
        return token

    def parse(self):
        if not self.tokens:
            raise ValueError("empty unit")
        scale, dims = self._product()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self._peek()[1]!r}")
        return scale, dims

    def _product(self):
        scale, dims = self._factor()
        while True:
            kind, text = self._peek()
            if text in ("*", "/"):
                self._next()
                s2, d2 = self._factor()
                if text == "/":
                    s2, d2 = 1 / s2, tuple(-e for e in d2)
            elif kind in ("name", "num") or text == "(":
                s2, d2 = self._factor()
            else:
                return scale, dims
            scale, dims = scale * s2, tuple(a + b for a, b in zip(dims, d2))

    def _factor(self):
        scale, dims = self._primary()
        if self._peek()[1] != "^":
            return scale, dims
        self._next()
        sign, (kind, text) = 1, self._next()
        if text in ("+", "-"):
            sign, (kind, text) = (-1 if text == "-" else 1), self._next()
        if kind != "num" or not text.isdigit():
            raise ValueError(f"exponent must be an integer, got {text!r}")
        if len(text) > 2 or int(text) > MAX_UNIT_POWER:
            raise ValueError(f"exponent {text} is too large (at most {MAX_UNIT_POWER})")
        power = sign * int(text)
        return scale ** power, tuple(e * power for e in dims)

    def _primary(self):
        kind, text = self._next()
        if kind == "name":
            return _atom(text)
        if kind == "num":
            if Fraction(text) != 1:
                raise ValueError(f"numbers inside a unit must be 1, got {text!r}")
            return Fraction(1), (0, 0, 0, 0, 0)
        if text == "(":
            result = self._product()
            if self._next()[1] != ")":
                raise ValueError("missing ')'")
            return result
        raise ValueError(f"unexpected {text!r}" if text else "unit ends too early")


@functools.lru_cache(maxsize=1024)
def parse_unit(text):
    """Parse a unit expression.

    Parameters
    ----------
    text : str
        For example ``"nm"``, ``"K/uW"``, ``"1/(m^3 s)"``, ``"m^-3 s^-1"``, ``"Pa s"``,
        ``"degC"``. SI prefixes a f p n u/µ m c k M G T P attach to a symbol.

    Returns
    -------
    _Unit
        ``(scale, dims, offset)``: SI value = number * scale + offset; dims are the
        exponents of (m, kg, s, A, K). Only a lone ``degC`` has an offset (273.15 K);
        inside a compound unit ``degC`` is a temperature difference (= K).

    Raises
    ------
    ValueError
        For unknown symbols or malformed expressions.
    """
    stripped = text.strip()
    if stripped in ("degC", "°C"):
        return _Unit(Fraction(1), (0, 0, 0, 0, 1), Fraction("273.15"))
    scale, dims = _UnitParser(stripped).parse()
    return _Unit(scale, dims, Fraction(0))


def _known_units_text():
    return ", ".join(k for k in _UNITS if k != "1") + " (with prefixes a f p n u/µ m c k M G T P)"


def _split_quantity(text):
    """Split ``"65 nm"`` into ``("65", "nm")``; the unit may be empty."""
    match = _NUMBER.match(text)
    if not match:
        raise ValueError("it does not start with a number")
    return match.group("num"), match.group("rest").strip()


#: largest power in a unit expression ("m^-3"); larger ones are refused, not computed
MAX_UNIT_POWER = 12
#: longest number text accepted in a quantity string (more digits than any float holds)
MAX_NUMBER_CHARS = 100


def _overflow(where, value, unit_expected):
    return ParameterError(
        f"{where}: {value!r} is too large: it exceeds the largest float "
        f"({sys.float_info.max:.3g}) in {unit_expected}", where)


def _number_si(number, given, expected, where, value, unit_expected):
    """The number text ``number`` in ``given`` units, in ``expected`` units (exact)."""
    if len(number) > MAX_NUMBER_CHARS:
        shown = value if len(value) <= 60 else value[:40] + "..." + value[-10:]
        raise ParameterError(f"{where}: the number in {shown!r} has {len(number)} characters; "
                             f"write it with at most {MAX_NUMBER_CHARS} (e.g. 1.5e-9)", where)
    mantissa, _, exponent = number.lower().partition("e")
    if exponent and abs(int(exponent)) > 400:   # beyond any float: 0 or infinite, not computed
        if float(mantissa) == 0 or int(exponent) < 0:
            return 0.0 * float(mantissa)
        raise _overflow(where, value, unit_expected)
    si = Fraction(number) * given.scale + given.offset
    try:
        return float((si - expected.offset) / expected.scale)
    except OverflowError:
        raise _overflow(where, value, unit_expected) from None


def to_si(value, unit_expected, where):
    """Convert a parameter value to a float in the field's SI unit.

    Parameters
    ----------
    value : float, int or str
        A number (taken as already in `unit_expected`) or a string ``"<number> <unit>"`` such
        as ``"65 nm"``, ``"2.2 K/uW"``, ``"1e19 cm^-3"``, ``"85 degC"``, ``"10 meV"``. A string
        without unit is accepted only for dimensionless fields.
    unit_expected : str
        Unit of the field, e.g. ``"m"``, ``"K/W"``, ``"1/(m^3 s)"``.
    where : str
        Name used in error messages, ``"<mechanism>.<field>"``.

    Returns
    -------
    float
        The value in `unit_expected`; exact (correctly rounded) for power-of-ten conversions.

    Raises
    ------
    ParameterError
        Unparseable string, unknown unit, wrong dimension or wrong type; the message names
        `where`, the expected unit and the given value.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise ParameterError(
            f"{where}: expected a number in {unit_expected} or a string such as "
            f"'1.5 {_example_unit(unit_expected)}', got {type(value).__name__} {value!r}", where)
    if not isinstance(value, str):
        try:
            return float(value)
        except OverflowError:
            digits = len(str(abs(int(value))))
            sign = "a negative" if value < 0 else "an"
            raise ParameterError(
                f"{where}: the number given ({sign} integer of {digits} digits) is too large: "
                f"it exceeds the largest float ({sys.float_info.max:.3g}) in {unit_expected}",
                where) from None
    expected = parse_unit(unit_expected)
    try:
        number, unit_text = _split_quantity(value)
        given = parse_unit(unit_text) if unit_text else None
    except ValueError as exc:
        raise ParameterError(
            f"{where}: cannot read {value!r} as '<number> <unit>' ({exc}); expected unit "
            f"{unit_expected}; known units: {_known_units_text()}", where) from None
    if given is None:
        if any(expected.dims) or expected.scale != 1:
            raise ParameterError(
                f"{where}: {value!r} has no unit; write e.g. '{number} {unit_expected}' or a "
                f"bare number in {unit_expected}", where)
        given = expected
    if given.dims != expected.dims:
        raise ParameterError(
            f"{where}: {value!r} has unit '{unit_text}' [{_dims_text(given.dims)}] but the "
            f"field is in {unit_expected} [{_dims_text(expected.dims)}]", where)
    if number.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return float(number) * float(given.scale / expected.scale)
    return _number_si(number, given, expected, where, value, unit_expected)


def _example_unit(unit):
    return "" if unit == "1" else unit


# --------------------------------------------------------------------------- formatting
_ENGINEERING = ("f", "p", "n", "u", "m", "", "k", "M", "G", "T")
_DISPLAY_UNITS = {  # field unit -> (candidate display units, unit for scientific notation)
    "K/W": (("K/W", "K/mW", "K/uW"), "K/W"),
    "V/m": (("V/m", "V/mm", "V/um", "V/nm"), "V/m"),
    "m/s": (("m/s",), "m/s"),
    "m^2": (("m^2", "mm^2", "um^2", "nm^2"), "m^2"),
    "1/m^3": (("cm^-3",), "cm^-3"),
    "1/(m^3 s)": (("m^-3 s^-1",), "m^-3 s^-1"),
    "K": (("K",), "K"),
}


def _display_candidates(unit):
    if unit in _DISPLAY_UNITS:
        return _DISPLAY_UNITS[unit]
    if unit in _UNITS and _UNITS[unit][2]:
        prefixes = _ENGINEERING[:6] if unit in ("s", "m") else _ENGINEERING  # no km, Gs
        return tuple(p + unit for p in prefixes), unit
    return (unit,), unit


def _power_of_ten(ratio):
    """k when `ratio` == 10**k exactly, else None."""
    num, den = ratio.numerator, ratio.denominator
    for value, sign in ((num, 1), (den, -1)):
        other = den if sign == 1 else num
        if other == 1:
            text = str(value)
            if text == "1" + "0" * (len(text) - 1):
                return sign * (len(text) - 1)
    return None


def _decimal_text(d):
    d = d.normalize()
    if d == 0:
        return "0"
    if -5 <= d.adjusted() < 6:
        return format(d, "f")
    return re.sub(r"e([+-])(\d)$", r"e\g<1>0\2", format(d, "e"))  # 1e+09 like repr


def format_si(value, unit, precision=None, ascii=False):
    """Human-readable string of an SI value with a sensible prefix.

    Parameters
    ----------
    value : float
        Value in `unit`.
    unit : str
        Field unit, e.g. ``"m"``, ``"K/W"``, ``"1/m^3"``, ``"1"`` (no unit is printed).
    precision : int, optional
        Significant digits. None (default) keeps every digit of ``repr(value)``: the string
        then converts back to exactly `value` with :func:`to_si`.
    ascii : bool
        Write the micro prefix as ``u`` instead of ``µ``.

    Returns
    -------
    str
        For example ``"65 nm"``, ``"440 µA"``, ``"7 K/µW"``, ``"1e+19 cm^-3"``, ``"300 K"``.
    """
    value = float(value)
    expected = parse_unit(unit)
    text = None
    if math.isfinite(value):
        candidates, fallback = _display_candidates(unit)
        shown, mantissa = fallback, None
        for cand in candidates:
            k = _power_of_ten(parse_unit(cand).scale / expected.scale)
            if k is None:
                continue
            m = Decimal(repr(value)).scaleb(-k)
            if cand == fallback:
                mantissa = m
            if 1 <= abs(m) < 1000:
                shown, mantissa = cand, m
                break
        if mantissa is None:  # fallback not a power-of-ten display: keep the field unit
            shown, mantissa = unit, Decimal(repr(value))
        text = (_decimal_text(mantissa) if precision is None
                else f"{float(mantissa):.{precision}g}")
    else:
        shown, text = unit, repr(value)
    if shown == "1":
        return text
    if not ascii:
        shown = re.sub(r"(^|[/ (*])u(?=[A-Za-z])", r"\1µ", shown)
    return f"{text} {shown}"


# --------------------------------------------------------------------------- declarations
class FieldInfo(NamedTuple):
    """Declaration of one parameter, as returned by :meth:`Mechanism.fields_info`."""

    name: str
    unit: str
    ref: str
    tag: str
    bounds: tuple
    doc: str
    choices: tuple
    stochastic: bool
    default: object


def param(default, unit, ref, tag, bounds, doc, *, choices=None, stochastic=False):
    """Declare a parameter field of a :class:`Mechanism` dataclass.

    Parameters
    ----------
    default : float or str
        Default value in `unit` (a choice string for enumerated options).
    unit : str
        SI unit of the value, e.g. ``"m"``, ``"K/W"``, ``"1/(m^3 s)"``; ``"1"`` if none.
    ref : str
        Bibtex key in ``CITATIONS.bib``; ``""`` for derived or estimated values.
    tag : {"V", "L", "E"}
        Evidence tag (see :data:`EVIDENCE_TAGS`).
    bounds : tuple of float
        Inclusive range ``(lo, hi)``; ``-inf``/``inf`` allow infinite values.
    doc : str
        One-line description.
    choices : tuple of str, optional
        Allowed values of an enumerated option (Python: the string; C: its int32 index).
    stochastic : bool
        Marks a spread, noise or fault rate set to 0 by ``ParameterSet.deterministic()``.

    Returns
    -------
    dataclasses.Field
    """
    try:
        parse_unit(unit)
    except ValueError as exc:
        raise ValueError(f"param(): unsupported unit {unit!r} ({exc})") from None
    if tag not in EVIDENCE_TAGS:
        raise ValueError(f"param(): evidence tag must be one of V, L, E, got {tag!r}")
    lo, hi = (float(b) for b in bounds)
    if not lo <= hi:
        raise ValueError(f"param(): bounds must satisfy lo <= hi, got {bounds!r}")
    if choices is not None:
        choices = tuple(choices)
        if not choices or not all(isinstance(c, str) and c.isidentifier() for c in choices):
            raise ValueError(f"param(): choices must be identifiers, got {choices!r}")
        if default not in choices:
            raise ValueError(f"param(): default {default!r} not among choices {choices!r}")
    meta = {"unit": unit, "ref": ref, "tag": tag, "bounds": (lo, hi), "doc": doc,
            "choices": choices, "stochastic": bool(stochastic)}
    return dataclasses.field(default=default, metadata={_META_KEY: meta})


def _range_text(info):
    if info.choices:
        return "allowed choices: " + ", ".join(repr(c) for c in info.choices)
    unit = "(dimensionless)" if info.unit == "1" else info.unit
    return f"allowed range [{info.bounds[0]:g}, {info.bounds[1]:g}] {unit}"


class Mechanism:
    """Base of the frozen parameter dataclasses, one per physical mechanism.

    Subclasses are ``@dataclasses.dataclass(frozen=True)`` with only :func:`param` fields.
    Construction validates and normalises every field: numbers become float, strings with a
    unit are converted to SI (:func:`to_si`), NaN is rejected, values must lie in the bounds
    (inclusive) and choices must be one of the allowed strings. Errors are
    :class:`ParameterError` naming ``<section>.<field>``, the unit, the range and the value.

    Attributes
    ----------
    section : str
        Name of the mechanism in a ParameterSet and in TOML files (``"thermal"``); defaults
        to the class name without ``Params``, lower-case; ParameterSet sets its own names.
    """

    section = "mechanism"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__name__
        if "section" not in cls.__dict__:
                cls.section = (name[:-6] if name.endswith("Params") else name).lower()

    def __post_init__(self):
        for info in self.fields_info():
            value = self._check(info, getattr(self, info.name))
            object.__setattr__(self, info.name, value)

    def _check(self, info, value):
        where = f"{self.section}.{info.name}"
        if info.choices:
            if isinstance(value, str) and value in info.choices:
                return value
            raise ParameterError(f"{where} = {value!r} is not a valid option; "
                                 f"{_range_text(info)}", where)
        try:
            value = to_si(value, info.unit, where)
        except ParameterError as exc:
            raise ParameterError(f"{exc}; {_range_text(info)}", where) from None
        lo, hi = info.bounds
        if math.isnan(value):
            raise ParameterError(f"{where} = nan [{info.unit}] is not a number; "
                                 f"{_range_text(info)}", where)
        if not lo <= value <= hi:
            raise ParameterError(f"{where} = {value!r} [{info.unit}] is out of range; "
                                 f"{_range_text(info)}", where)
        return value

    @classmethod
    def fields_info(cls):
        """Declarations of all fields, in order.

        Returns
        -------
        tuple of FieldInfo
            ``(name, unit, ref, tag, bounds, doc, choices, stochastic, default)`` per field.
        """
        return _fields_info(cls)

    @classmethod
    def field_names(cls):
        """Names of the fields, in declaration order."""
        return tuple(info.name for info in _fields_info(cls))


@functools.lru_cache(maxsize=None)
def _fields_info(cls):
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} must be a @dataclass(frozen=True)")
    infos = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get(_META_KEY)
        if meta is None:
            raise TypeError(f"{cls.__name__}.{f.name} must be declared with param()")
        infos.append(FieldInfo(f.name, meta["unit"], meta["ref"], meta["tag"], meta["bounds"],
                               meta["doc"], meta["choices"] or (), meta["stochastic"],
                               f.default))
    return tuple(infos)
