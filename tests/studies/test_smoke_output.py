"""Every study's --smoke run writes to its own folder (out-smoke/), never over the full run's
output in out/ (friction: "--smoke overwrites the full run's output")."""
import pathlib

import pytest
from _helpers import STUDIES, load

STUDY_NAMES = sorted(p.parent.name for p in STUDIES.glob("*/run.py"))


@pytest.mark.parametrize("study", STUDY_NAMES)
def test_smoke_writes_to_its_own_folder(study):
    source = (STUDIES / study / "run.py").read_text(encoding="utf-8")
    assert '"out-smoke" if args.smoke else "out"' in source, study
    run = load(study, "run")
    parse = getattr(run, "parse", None)
    if parse is None:  # argument parsing inline in main(): the source check above holds
        return
    def parse_args(argv):  # a study's parse may return (args, config)
        parsed = parse(argv)
        return parsed[0] if isinstance(parsed, tuple) else parsed

    smoke, full = parse_args(["--smoke"]), parse_args([])
    assert pathlib.Path(smoke.out) == STUDIES / study / "out-smoke"
    assert pathlib.Path(full.out) == STUDIES / study / "out"
    elsewhere = parse_args(["--smoke", "--out", "elsewhere"]).out
    assert pathlib.Path(elsewhere) == pathlib.Path("elsewhere")
