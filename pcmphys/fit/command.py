"""``pcmphys fit``: fit free parameters of a set to a measured-data file, write a TOML set.

Importing this module is cheap (argparse setup only); the fit machinery loads in :func:`run`.
"""
from __future__ import annotations

import pathlib


def setup(parser):
    """Add the arguments of ``pcmphys fit``."""
    parser.add_argument("measured", help="measured data: .zarr, .nc or .csv long table "
                                         "(schema: python -c 'help(\"pcmphys.fit\")')")
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


def _number_or_text(text):
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text


def run(args):
    """Fit parameters to a measured-data file and write the fitted set as TOML."""
    import warnings

    from pcmphys.cli import UsageError, _user_errors
    from pcmphys.fit import FitError, FitWarning, fit, read_measured

    try:
        measured = read_measured(args.measured,
                                 nan="drop-devices" if args.drop_nan_devices else "raise")
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
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"pcmphys fit: {message}") from None
    out = pathlib.Path(args.out)
    out.write_text(result.to_toml())
    print(result.summary())  # includes the identifiability warnings
    del caught
    print(f"wrote {out}")
    if args.figure:
        result.plot(args.figure)
        print(f"wrote {args.figure}")
    return 0
