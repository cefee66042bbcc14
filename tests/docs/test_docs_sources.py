"""Checks of the documentation sources that need no docs toolchain (fast)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import pcmphys_docs  # noqa: E402


def test_every_cited_reference_is_in_the_bibliography():
    """Each reference key of every parameter (sets, statistical mode, memtransistor) has a
    CITATIONS.bib entry with a title, so the docs' reference links resolve."""
    from pcmphys.parameters import ParameterSet, available_sets
    from pcmphys.parameters.memtransistor import MemtransistorParams
    from pcmphys.statistical import StatisticalParams

    bib = pcmphys_docs.bib_entries()
    keys = {info.ref for cls in (StatisticalParams, MemtransistorParams)
            for info in cls.fields_info() if info.ref}
    for name in available_sets():
        keys |= set(ParameterSet.load(name).references())
    missing = sorted(k for k in keys if k not in bib)
    assert not missing, f"reference keys without a CITATIONS.bib entry: {missing}"
    assert all(bib[k].get("title") for k in keys)
    text = pcmphys_docs.citation_text(bib["sebastian2017correlation"])
    assert "Temporal correlation detection" in text and "(2017)" in text


def test_docstring_preprocessing():
    """|x| in prose is escaped (docutils reads it as a substitution), literals are left
    alone, and unknown numpydoc headers become rubrics instead of being dropped."""
    lines = ["max |A| maps to g_max, ``|x|`` stays", "", "Fitting", "-------", "text",
             "", "Example::", "", "    |a| literal", "Parameters", "----------"]
    pcmphys_docs.process_docstring(None, "function", "f", None, {}, lines)
    assert lines[0] == r"max \|A\| maps to g_max, ``|x|`` stays"
    assert ".. rubric:: Fitting" in lines and "text" in lines
    assert "    |a| literal" in lines
    assert lines[-2:] == ["Parameters", "----------"]
