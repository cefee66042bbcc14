"""Shared helpers of the study tests: import a study's modules, run its CLI in a subprocess."""
import importlib.util
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
STUDIES = ROOT / "studies"


def load(study, module):
    """Import studies/<study>/<module>.py under a unique name (its folder on sys.path)."""
    folder = STUDIES / study
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(f"{study}_{module}", folder / f"{module}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_smoke(study, out, timeout=600):
    """``python studies/<study>/run.py --smoke --out <out>``; returns stdout (asserts rc 0)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(STUDIES / study / "run.py"), "--smoke", "--out",
                           str(out)], capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout
