"""``pcmphys fit``: fit free parameters of a set to a measured-data file, write a TOML set.

Importing this module is cheap (argparse setup only); the fit machinery loads in :func:`run`.
"""
from __future__ import annotations

import pathlib


def setup(parser):
    """Add the arguments of ``pcmphys fit``."""
    parser.add_argument("measured", help="measured data: .zarr, .nc, or a .csv/.tsv lab table "
                                         "(long, wide per pulse number or per device; see "
                                         "pcmphys.read_measurements)")
    parser.add_argument("--columns", default="", metavar="NAME=COLUMN,...",
                        help="schema names of the table's columns, e.g. device=device_id,"
                             "time_since_pulse=read_time_s,resistance=R")
    parser.add_argument("--units", default="", metavar="NAME=UNIT,...",
                        help="units the header does not state, e.g. resistance=kOhm,"
                             "read_temperature=degC")
    parser.add_argument("--event", action="append", default=[], metavar="NAME=VALUE",
                        help="protocol value for every event, e.g. pulse_amplitude='440 uA' "
                             "(repeatable)")
    parser.add_argument("--layout", default="auto",
                        choices=("auto", "long", "wide", "wide-devices"),
                        help="table layout (default: long if a device column is found)")
    parser.add_argument("--params", "-p", required=True,
                        help="parameter set name or TOML path to start from")
    parser.add_argument("--free", required=True,
                        help="comma-separated section.field names to fit")
    parser.add_argument("--bounds", action="append", default=[], metavar="NAME=LO:HI",
                        help="search range, e.g. conduction.activation_energy=0.2eV:0.5eV "
                             "(SI numbers or numbers with units; repeatable)")
    parser.add_argument("--out", "-o", required=True, help="TOML file for the fitted set")
    parser.add_argument("--devices", "-n", type=int, default=None,
                        help="simulated cells per evaluation (default: max(200, measured))")
    parser.add_argument("--seed", "-s", type=int, default=0, help="simulation seed")
    parser.add_argument("--backend", default="auto", help="auto, numpy, host or cupy")
    parser.add_argument("--method", default="nelder-mead",
                        help="local stage: nelder-mead or least_squares")
    parser.add_argument("--global", dest="global_method", default="lhs",
                        help="global stage: lhs, differential_evolution or none")
    parser.add_argument("--max-evaluations", type=int, default=None,
                        help="simulations allowed in the local stage")
    parser.add_argument("--max-cost", type=float, default=4.0,
                        help="largest acceptable mean z^2 (default 4)")
    parser.add_argument("--max-z", type=float, default=5.0,
                        help="largest acceptable |z| of one statistic (default 5)")
    parser.add_argument("--figure", default=None, help="write the comparison figure here")
    parser.add_argument("--drop-nan-devices", action="store_true",
                        help="drop devices with NaN readings instead of failing")


def _bounds(items):
    out = {}
    for item in items:
        name, sep, rng = item.partition("=")
        lo, sep2, hi = rng.partition(":")
        if not (sep and sep2 and name and lo and hi):
            raise ValueError(f"--bounds {item!r}: write NAME=LO:HI, e.g. "
                             "conduction.activation_energy=0.2eV:0.5eV")
        out[name.strip()] = tuple(_number_or_text(v) for v in (lo, hi))
    return out


def _pairs(text, what):
    out = {}
    for item in (i for i in text.split(",") if i.strip()):
        key, sep, value = item.partition("=")
        if not (sep and key.strip() and value.strip()):
            raise ValueError(f"{what} {item!r}: write NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def read_input(args):
    """The measured Dataset of ``pcmphys fit``'s arguments."""
    from pcmphys.fit import read_measured
    from pcmphys.fit.measurements import read_measurements

    nan = "drop-devices" if args.drop_nan_devices else "raise"
    path = pathlib.Path(args.measured)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        events = {}
        for item in args.event:
            events.update(_pairs(item, "--event"))
        events = {k: _number_or_text(v) for k, v in events.items()}
        return read_measurements(path, columns=_pairs(args.columns, "--columns"),
                                 units=_pairs(args.units, "--units"), layout=args.layout,
                                 events=events, nan=nan)
    if args.columns or args.units or args.event:
        raise ValueError("--columns, --units and --event apply to .csv/.tsv tables only")
    return read_measured(path, nan=nan)


def _number_or_text(text):
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text


def run(args):
    """Fit parameters to a measured-data file and write the fitted set as TOML."""
    import sys
    import warnings

    from pcmphys.cli import UsageError, _user_errors
    from pcmphys.fit import FitError, FitWarning, fit

    try:
        measured = read_input(args)
        free = [f.strip() for f in args.free.split(",") if f.strip()]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FitWarning)
            result = fit(measured, args.params, free, bounds=_bounds(args.bounds),
                         n_devices=args.devices, seed=args.seed, backend=args.backend,
                         method=args.method, max_evaluations=args.max_evaluations,
                         global_method=None if args.global_method == "none"
                         else args.global_method, max_cost=args.max_cost,
                         max_z=args.max_z)
    except (FitError, KeyError, *_user_errors()) as exc:
        lines = (str(exc) or type(exc).__name__).splitlines()
        if len(lines) > 1:  # the table of worst statistics: what to free or fix
            print(f"pcmphys fit: {lines[0]}", file=sys.stderr)
            print("\n".join(lines[1:]), file=sys.stderr)
            raise UsageError("pcmphys fit: failed (diagnostics above)") from None
        raise UsageError(f"pcmphys fit: {lines[0]}") from None
    out = pathlib.Path(args.out)
    out.write_text(result.to_toml())
    print(result.summary())  # includes the identifiability warnings
    del caught
    print(f"wrote {out}")
    if args.figure:
        result.plot(args.figure)
        print(f"wrote {args.figure}")
    return 0
