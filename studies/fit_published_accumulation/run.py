"""Fit the physical model to the published accumulation statistics (issue 9, item (b)).

Target: data/published/nandakumar2018/accumulation_100uA (mean and sigma of G after 1..50
SET pulses of 100 uA / 50 ns after a 440 uA / 1 us RESET; Nandakumar et al. JAP 2018 as
re-fitted per pulse by Demirag; 10 % [E] weighting). Free: the growth-velocity peak and
width, the amorphous ON-state field (part of the T_int(u_a, I) calibration) and
the device-to-device spread of R_th. Writes out/fit.toml, out/fit.png and out/deviation.csv.
Also writes out/fit_published_accumulation.zarr (the compared statistics). Takes ~20 s on a
quiet 2-core machine with the host backend (--devices 300); --smoke: 100 cells, 15 evaluations.

Usage: python studies/fit_published_accumulation/run.py [--devices 300] [--evals 120] [--smoke]
"""
from __future__ import annotations

import argparse
import pathlib
import warnings

import pcmphys as pcm
from pcmphys import fit as F
from pcmphys.fit.published import ACCUMULATION_FIT_BOUNDS
from pcmphys.storage import save_dataset

BOUNDS = ACCUMULATION_FIT_BOUNDS
FREE = list(BOUNDS)


def _to_dataset(table, result, args):
    """The compared statistics as an xarray Dataset (dim ``statistic``), with provenance."""
    import numpy as np
    import xarray as xr

    names = np.array([str(n) for n in table["name"]])
    units = np.array([n.split("[", 1)[1].split("]", 1)[0] if "[" in n else "1" for n in names])
    data = {"measured": ("statistic", table["measured"].to_numpy(float),
                         {"long_name": "published value", "units": "see coordinate unit"}),
            "simulated": ("statistic", table["simulated"].to_numpy(float),
                          {"long_name": "fitted model", "units": "see coordinate unit"}),
            "z": ("statistic", table["z"].to_numpy(float),
                  {"long_name": "(simulated - measured) / standard error", "units": "1"}),
            "deviation_percent": ("statistic", table["deviation_percent"].to_numpy(float),
                                  {"long_name": "simulated / measured - 1", "units": "%"})}
    return xr.Dataset(data, coords={"statistic": names, "unit": ("statistic", units)},
                      attrs={"study": "fit_published_accumulation", "devices": args.devices,
                             "evaluations": args.evals, "fitted_parameters": result.to_toml(),
                             "pcmphys_version": pcm.__version__})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=300)
    ap.add_argument("--evals", type=int, default=120)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--smoke", action="store_true", help="small run for CI (100 cells, 15 "
                    "evaluations)")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(pathlib.Path(__file__).parent / ("out-smoke" if args.smoke else "out"))
    if args.smoke:
        args.devices, args.evals = 100, 15
    if args.devices < 10 or args.evals < 1:
        ap.error(f"--devices must be >= 10 cells (got {args.devices}) and --evals >= 1 "
                 f"(got {args.evals})")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    measured = F.load_published("nandakumar2018/accumulation_100uA", as_measured=True)
    base = pcm.ParameterSet.load("sebastian2017_gst90nm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", F.FitWarning)
        result = F.fit(measured, base, FREE, bounds=BOUNDS, n_devices=args.devices, seed=5,
                       backend=args.backend, global_method=None,
                       max_evaluations=args.evals)
    print(result.summary())
    (out / "fit.toml").write_text(result.to_toml())
    result.plot(out / "fit.png")
    table = result.statistics
    table["deviation_percent"] = 100 * (table["simulated"] / table["measured"] - 1)
    table.to_csv(out / "deviation.csv", index=False)
    save_dataset(_to_dataset(table, result, args), out / "fit_published_accumulation.zarr")
    for kind in ("mean", "std"):
        rows = table[table["kind"] == kind]
        for _, row in rows.iterrows():
            if int(row["name"].rsplit(" ", 1)[1]) in (1, 2, 5, 10, 20, 30, 40, 50):
                print(f"  {row['name']:<24} published {row['measured']:7.3f}  fitted "
                      f"{row['simulated']:7.3f}  ({row['deviation_percent']:+5.1f} %)")
    print(f"wrote {out / 'fit.toml'}, {out / 'fit.png'}, {out / 'deviation.csv'}")


if __name__ == "__main__":
    main()
