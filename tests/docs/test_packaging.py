"""Housekeeping a user can rely on (issue 17): every third-party module the package imports is
declared in pyproject.toml (core or an extra), the license file matches the declared license,
and the citation file and changelog exist and agree with the version."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: import name -> distribution name, where they differ
DISTRIBUTION = {"cupy": "cupy-cuda", "distributed": "dask", "sklearn": "scikit-learn",
                "skimage": "scikit-image", "google_crc32c": "google-crc32c"}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _imports(folder):
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "pcmphys"}


def test_every_imported_package_is_declared():
    """pandas (pcmphys.fit) used to be imported without being declared."""
    project = _pyproject()["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    declared = {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in requirements}
    missing = []
    for name in sorted(_imports(ROOT / "pcmphys")):
        dist = DISTRIBUTION.get(name, name).lower()
        if not any(d == dist or d.startswith(dist) for d in declared):
            missing.append(name)
    assert not missing, f"imported by pcmphys but not declared in pyproject.toml: {missing}"
    assert any(r.startswith("pandas") for r in project["dependencies"])


def test_license_citation_and_changelog():
    project = _pyproject()["project"]
    assert project["license"]["text"] == "BSD-3-Clause"
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("BSD 3-Clause License")
    assert "Neither the name of the copyright holder" in license_text
    version = re.search(r'__version__ = "([^"]+)"',
                        (ROOT / "pcmphys" / "_version.py").read_text()).group(1)
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M)
    assert re.search(rf"^version: {re.escape(version)}$", cff, re.M)
    assert re.search(r"^license: BSD-3-Clause$", cff, re.M)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {version}" in changelog and "## Unreleased" in changelog
    assert "docs" in project["optional-dependencies"]
    assert any("pcmphys[docs]" in r for r in project["optional-dependencies"]["test"])
