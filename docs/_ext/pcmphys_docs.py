"""Sphinx extension of the pcmphys docs: pages and tables generated from the package itself.

- ``.. pcm-parameters:: pcmphys.parameters.ThermalParams`` renders the fields of a
  :class:`~pcmphys.parameters.Mechanism` dataclass (default value, unit, allowed range,
  evidence tag, reference, description) as a table; references link to the references page.
- At ``builder-inited`` it writes, under ``docs/_generated/`` (not tracked by git):
  one page per parameter set (``parameters/<set>.rst``, from the loaded set and its TOML file),
  the references page (from ``CITATIONS.bib``), one API page per module outside
  ``pcmphys.physics`` and a physics page for every mechanism module or parameter section
  that no hand-written chapter covers (so a new mechanism is documented the day it lands).
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import re
from importlib import resources
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx import addnodes

#: hand-written physics chapters: page (= module of pcmphys.physics) -> parameter sections
PHYSICS_PAGES = {
    "thermal": ["thermal"],
    "amorphization": ["amorphization"],
    "crystallization": ["crystallization"],
    "relaxation": ["relaxation"],
    "conduction": ["conduction"],
    "threshold": ["threshold"],
    "noise": ["noise"],
    "variability": ["variability", "faults"],
    "memtransistor": [],
    "cell": [],
}
#: modules left out of the API reference (documented on the physics pages, or not API)
API_SKIP = re.compile(r"^pcmphys\.(physics(\..*)?|__main__|_version)$")
TAGS = {"V": "read in the cited source", "L": "literature value, not re-checked",
        "E": "estimate or calibration", "fit": "fitted to data"}
HEADER = ["parameter", "value", "SI unit", "allowed (SI)", "tag", "reference", "description"]


# ------------------------------------------------------------------ bibliography
def bib_entries():
    """``{key: {"type": ..., field: value}}`` of ``pcmphys/parameters/CITATIONS.bib``."""
    text = resources.files("pcmphys.parameters").joinpath("CITATIONS.bib").read_text("utf-8")
    entries = {}
    for match in re.finditer(r"@\s*(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        fields, pos = {"type": match.group(1).lower()}, match.end()
        while True:
            field = re.compile(r"\s*(\w+)\s*=\s*").match(text, pos)
            if not field:
                break
            pos = field.end()
            if text[pos] == "{":
                depth, start = 0, pos
                for pos in range(start, len(text)):
                    depth += {"{": 1, "}": -1}.get(text[pos], 0)
                    if depth == 0:
                        break
                value, pos = text[start + 1:pos], pos + 1
            else:
                end = re.compile(r"[,}\n]").search(text, pos).start()
                value, pos = text[pos:end].strip().strip('"'), end
            fields[field.group(1).lower()] = re.sub(r"[{}]", "", " ".join(value.split()))
            comma = re.compile(r"\s*,").match(text, pos)
            if not comma:
                break
            pos = comma.end()
        entries[match.group(2)] = fields
    return entries


def citation_text(fields):
    """One line: authors, title, journal volume, pages (year), doi."""
    parts = []
    if fields.get("author"):
        authors = [a.strip() for a in fields["author"].split(" and ")]
        parts.append(", ".join(authors[:3]) + (" et al." if len(authors) > 3 else ""))
    if fields.get("title"):
        parts.append(fields["title"])
    venue = " ".join(fields[k] for k in ("journal", "booktitle", "publisher") if k in fields)
    if fields.get("volume"):
        venue += f" {fields['volume']}"
    if fields.get("pages"):
        venue += f", {fields['pages'].replace('--', '-')}"
    if fields.get("year"):
        venue += f" ({fields['year']})"
    if venue.strip():
        parts.append(venue.strip())
    if fields.get("note"):
        parts.append(fields["note"])
    return ". ".join(p.rstrip(".") for p in parts) + "."


def rst_escape(text):
    return re.sub(r"([\\`*_|<>\[\]])", r"\\\1", str(text))


# ------------------------------------------------------------------ tables
def _ref_node(key, known):
    if not key:
        return nodes.Text("-")
    if key not in known:
        return nodes.literal(text=key)
    xref = addnodes.pending_xref("", refdomain="std", reftype="ref", reftarget=f"ref-{key}",
                                 refexplicit=True, refwarn=True)
    xref += nodes.inline(text=key)
    return xref


def _table(rows, widths):
    table = nodes.table(classes=["pcm-parameters"])
    group = nodes.tgroup(cols=len(HEADER))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for target, cells in [(head, HEADER)] + [(body, r) for r in rows]:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            para += cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
            entry += para
            row += entry
        target += row
    return table


def field_rows(fields_and_values, prefix=""):
    """Table rows of ``(FieldInfo, value)`` pairs."""
    from pcmphys.parameters.core import format_si

    known = bib_entries()
    rows = []
    for info, value in fields_and_values:
        if info.choices:
            shown, unit, allowed = str(value), "-", " | ".join(info.choices)
        else:
            shown, unit = format_si(value, info.unit), info.unit
            allowed = f"[{info.bounds[0]:g}, {info.bounds[1]:g}]"
        doc = info.doc + (" (spread: zero in ParameterSet.deterministic())"
                          if info.stochastic else "")
        rows.append([nodes.literal(text=prefix + info.name), shown, unit, allowed,
                     f"[{info.tag}]", _ref_node(info.ref, known), doc])
    return rows


def mechanism_class(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class ParametersDirective(Directive):
    """``.. pcm-parameters:: <module.Class>``: the defaults table of a Mechanism class."""

    required_arguments = 1

    def run(self):
        try:
            cls = mechanism_class(self.arguments[0])
        except (ImportError, AttributeError) as exc:
            raise self.error(f"pcm-parameters: cannot import {self.arguments[0]!r}: {exc}") from exc
        default = cls()
        rows = field_rows([(i, getattr(default, i.name)) for i in cls.fields_info()])
        return [_table(rows, [18, 9, 6, 10, 4, 12, 41])]


class SetSectionDirective(Directive):
    """``.. pcm-set-section:: <set> <section>``: one section of a named parameter set."""

    required_arguments = 2

    def run(self):
        from pcmphys.parameters import ParameterSet

        ps = ParameterSet.load(self.arguments[0])
        section = self.arguments[1]
        pairs = [(info, value) for sec, info, value in ps.items() if sec == section]
        if not pairs:
            raise self.error(f"pcm-set-section: set {self.arguments[0]!r} has no section "
                             f"{section!r}")
        return [_table(field_rows(pairs), [18, 9, 6, 10, 4, 12, 41])]


# ------------------------------------------------------------------ docstring preprocessing
_NUMPYDOC_SECTIONS = {
    "Parameters", "Returns", "Yields", "Receives", "Raises", "Warns", "Other Parameters",
    "Attributes", "Methods", "See Also", "Notes", "Warnings", "References", "Examples",
    "Summary", "Extended Summary"}
_BARS = re.compile(r"(?<![\\\w`|])\|(?=[^\s|])([^|`\n]*?[^\s|\\])\|(?![\w`|])")
_INLINE_LITERAL = re.compile(r"(``.+?``)")


def _escape_bars(line):
    """``|x|`` (an absolute value in prose) is a substitution reference in rST: escape it,
    leaving inline literals alone."""
    parts = _INLINE_LITERAL.split(line)
    return "".join(p if i % 2 else _BARS.sub(r"\\|\1\\|", p) for i, p in enumerate(parts))


def process_docstring(app, what, name, obj, options, lines):
    """Make the package's docstrings valid for numpydoc + docutils without editing them:
    unknown numpydoc section headers become rubrics (numpydoc drops their text otherwise),
    and ``|x|`` outside literals is escaped."""
    out, literal_indent, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None and stripped and indent <= literal_indent:
            literal_indent = None
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (literal_indent is None and stripped and nxt.strip()
                and set(nxt.strip()) == {"-"} and len(nxt.strip()) >= len(stripped)
                and stripped not in _NUMPYDOC_SECTIONS):
            out += [" " * indent + f".. rubric:: {stripped}", ""]
            i += 2
            continue
        out.append(line if literal_indent is not None else _escape_bars(line))
        if literal_indent is None and stripped.endswith("::"):
            literal_indent = indent
        i += 1
    lines[:] = out


# ------------------------------------------------------------------ generated pages
_WRITTEN = set()


def _write(path, text):
    _WRITTEN.add(path.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text("utf-8") != text:  # unchanged: no rebuild
        path.write_text(text, "utf-8")


def _title(text, char="="):
    return f"{text}\n{char * len(text)}\n"


def parameter_set_pages(out):
    from pcmphys.parameters import ParameterSet, available_sets

    for name in available_sets():
        ps = ParameterSet.load(name)
        refs = ps.references()
        tags = [info.tag for _, info, _ in ps.items()]
        used = sorted(set(tags))
        lines = [f".. _set-{name}:", "", _title(f"Parameter set ``{name}``"),
                 rst_escape(ps.description or "(no description)"), "",
                 f"Loaded with ``pcm.ParameterSet.load(\"{name}\")``. Values are shown with "
                 "a convenient unit (the package stores them in SI); *allowed* is the range "
                 "the loader accepts, in the SI unit; tags: "
                 + "; ".join(f"[{k}] {TAGS.get(k, 'see the set file')}" for k in used) + ".",
                 "", f"{len(tags)} parameters: " + ", ".join(
                     f"{tags.count(k)} [{k}]" for k in used) + ".", ""]
        for section, cls in ps.mechanisms():
            doc = (cls.__doc__ or "").strip().splitlines()[0]
            lines += [_title(f"``[{section}]``", "-"), rst_escape(doc), "",
                      f".. pcm-set-section:: {name} {section}", ""]
        lines += [_title("References", "-")]
        lines += [f"- :ref:`ref-{key}`" for key in refs] or ["(none)"]
        path = _set_file(name)
        if path is not None:
            rel = os.path.relpath(path, out / "parameters")
            lines += ["", _title("The TOML file", "-"), f".. literalinclude:: {rel}",
                      "   :language: toml", ""]
        _write(out / "parameters" / f"{name}.rst", "\n".join(lines) + "\n")


def _set_file(name):
    folder = resources.files("pcmphys.parameters").joinpath("sets")
    candidate = folder.joinpath(f"{name}.toml")
    return Path(str(candidate)).resolve() if candidate.is_file() else None


def references_page(out):
    lines = [".. _references:", "", _title("References"),
             "Every reference key cited by a parameter (``CITATIONS.bib`` in "
             "``pcmphys/parameters``). ``ParameterSet.citations()`` returns the bibtex of "
             "the keys a set cites.", ""]
    for key, fields in sorted(bib_entries().items()):
        doi = fields.get("doi")
        lines += [f".. _ref-{key}:", "", f"``{key}``", f"   {rst_escape(citation_text(fields))}"
                  + (f" `doi:{doi} <https://doi.org/{doi}>`__" if doi else ""), ""]
    _write(out / "references.rst", "\n".join(lines) + "\n")


def api_pages(out):
    import pcmphys

    for mod in sorted(m.name for m in pkgutil.walk_packages(pcmphys.__path__, "pcmphys.")):
        if API_SKIP.match(mod):
            continue
        text = "\n".join([_title(f"``{mod}``"), f".. automodule:: {mod}", "   :members:",
                          "   :show-inheritance:", ""])
        _write(out / "api" / f"{mod}.rst", text)
    lines = [_title("Top-level names", "-"),
             "``import pcmphys as pcm`` gives these names (loaded on first use):", ""]
    for name, (module, attr) in sorted(pcmphys._LAZY_ATTRIBUTES.items()):
        obj = getattr(importlib.import_module(module), attr)
        if attr == "_package":
            target, role = module, "mod"
        else:  # link to where the object is defined (and documented)
            target = f"{getattr(obj, '__module__', module)}.{getattr(obj, '__qualname__', attr)}"
            role = "obj"
        lines.append(f"- ``pcm.{name}``: :{role}:`{target}`")
    _write(out / "api_toplevel.rst", "\n".join(lines) + "\n")


def physics_extra_pages(out, srcdir):
    """A page per pcmphys.physics module without a chapter, plus unlisted sections."""
    import pcmphys.physics
    from pcmphys.parameters import ParameterSet

    covered = {s for sections in PHYSICS_PAGES.values() for s in sections}
    folder = out / "physics"
    for mod in sorted(m.name for m in pkgutil.iter_modules(pcmphys.physics.__path__)):
        if mod in PHYSICS_PAGES and (Path(srcdir) / "physics" / f"{mod}.rst").exists():
            continue
        sections = [s for s, _ in ParameterSet.mechanisms() if s == mod and s not in covered]
        covered.update(sections)
        lines = [_title(f"``{mod}``"), f".. automodule:: pcmphys.physics.{mod}",
                 "   :members:", ""]
        for s in sections:
            cls = dict(ParameterSet.mechanisms())[s]
            lines += [_title(f"Parameters ``[{s}]``", "-"),
                      f".. pcm-parameters:: {cls.__module__}.{cls.__name__}", ""]
        _write(folder / f"{mod}.rst", "\n".join(lines) + "\n")
    rest = [(s, c) for s, c in ParameterSet.mechanisms() if s not in covered]
    for s, cls in rest:
        lines = [_title(f"Parameters ``[{s}]``"), rst_escape((cls.__doc__ or "").strip()), "",
                 f".. pcm-parameters:: {cls.__module__}.{cls.__name__}", ""]
        _write(folder / f"params_{s}.rst", "\n".join(lines) + "\n")
    # physics/index.rst includes this toctree of the generated pages (none: a comment)
    pages = sorted(p.stem for p in folder.glob("*.rst")) if folder.exists() else []
    text = (".. toctree::\n   :maxdepth: 1\n\n" + "".join(
        f"   ../_generated/physics/{p}\n" for p in pages)) if pages else ".. (no more pages)\n"
    _write(out / "physics_extra.rst", text)


def generate(app):
    out = Path(app.srcdir) / "_generated"
    parameter_set_pages(out)
    references_page(out)
    api_pages(out)
    physics_extra_pages(out, app.srcdir)
    for stale in out.rglob("*.rst"):  # pages of modules or sets that no longer exist
        if stale.resolve() not in _WRITTEN:
            stale.unlink()


def setup(app):
    app.add_directive("pcm-parameters", ParametersDirective)
    app.add_directive("pcm-set-section", SetSectionDirective)
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", process_docstring, priority=400)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
