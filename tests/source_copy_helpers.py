"""Shared helpers of the source-copy tests: every style reference of a package resolved to the
style it names, part-by-part comparison of an input package with the summary's copy of it, and
rich source workbooks made the way a department would (openpyxl, XlsxWriter, LibreOffice).

The departments, projects and numbers here are made up.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from perfsheet.core.grid import col_number
from summary_helpers import SOURCE_SHEET, write_source_workbook

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
EP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
VT = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
TABLE_SHEET = "成本明细"
TABLE_ROWS = [
    ["科目", "金额", "占比"],
    ["差旅费", 12.5, 0.25],
    ["会议费", 20.0, 0.4],
    ["印刷费", 17.5, 0.35],
]
ERROR_RGB = "FFFFC7CE"
_BOOLEANS = {"b", "i", "strike", "outline", "shadow", "condense", "extend"}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --------------------------------------------------------------------------------------------
# Resolving style references
# --------------------------------------------------------------------------------------------


def canon(el: ET.Element, drop: tuple[str, ...] = ()) -> str:
    """An element as text, attributes sorted, ``drop`` left out; ``<b val="1"/>`` == ``<b/>``."""
    el = ET.fromstring(ET.tostring(el))
    for e in el.iter():
        for a in list(e.attrib):
            if a in drop:
                del e.attrib[a]
        if local(e.tag) in _BOOLEANS and e.get("val") in ("1", "true"):
            del e.attrib["val"]
        items = sorted(e.attrib.items())
        e.attrib.clear()
        e.attrib.update(items)
    return ET.tostring(el, encoding="unicode")


class Styles:
    """styles.xml with every index resolvable to the XML of what it names."""

    def __init__(self, xml: bytes) -> None:
        root = ET.fromstring(xml)

        def sec(name: str) -> list[ET.Element]:
            s = root.find(M + name)
            return [] if s is None else list(s)

        self.numfmts = {int(n.get("numFmtId", -1)): n.get("formatCode") for n in sec("numFmts")}
        self.fonts, self.fills, self.borders = sec("fonts"), sec("fills"), sec("borders")
        self.csx, self.xfs, self.dxfs = sec("cellStyleXfs"), sec("cellXfs"), sec("dxfs")
        self.cell_styles = sec("cellStyles")
        self.table_styles = {t.get("name"): t for t in sec("tableStyles")}

    def numfmt(self, i: int) -> str:
        return f"code:{self.numfmts[i]}" if i in self.numfmts else f"builtin:{i}"

    def xf_parts(self, i: int, *, cell_xf: bool = True) -> dict[str, Any]:
        xf = (self.xfs if cell_xf else self.csx)[i]
        out: dict[str, Any] = {
            "font": canon(self.fonts[int(xf.get("fontId", 0))]),
            "fill": canon(self.fills[int(xf.get("fillId", 0))]),
            "border": canon(self.borders[int(xf.get("borderId", 0))]),
            "numFmt": self.numfmt(int(xf.get("numFmtId", 0))),
            "children": "".join(canon(c) for c in xf),
            "attrs": sorted(
                (k, v)
                for k, v in xf.attrib.items()
                if not k.endswith("Id") and not k.startswith("apply")
            ),
        }
        if cell_xf:
            out["parent"] = self.xf_parts(int(xf.get("xfId", 0)), cell_xf=False)
        return out

    def xf(self, i: int) -> str:
        return repr(self.xf_parts(i))

    def dxf(self, i: int) -> str:
        return canon(self.dxfs[i], drop=("numFmtId",))  # the code is what counts


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> sheet part (worksheets and chartsheets)."""
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for s in ET.fromstring(z.read("xl/workbook.xml")).iter(M + "sheet"):
        t = target[s.get(R_ID)]
        out[s.get("name", "")] = t.lstrip("/") if t.startswith("/") else posixpath.join("xl", t)
    return out


def rels_name(part: str) -> str:
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def rel_targets(z: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(relationship type, target part) of ``part``'s internal relationships."""
    rels = rels_name(part)
    if rels not in z.namelist():
        return []
    d = posixpath.dirname(part)
    out = []
    for r in ET.fromstring(z.read(rels)):
        t = r.get("Target", "")
        if r.get("TargetMode") != "External":
            p = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join(d, t))
            out.append((r.get("Type", "").rsplit("/", 1)[-1], p))
    return out


def style_refs(path: Path, sheets: list[str] | None = None) -> dict[tuple[Any, ...], str]:
    """Every style reference of the package (or of ``sheets`` and their tables), as a location
    -> the resolved style it names: cells', rows' and columns' cell formats, conditional
    formats', tables' and table columns' differential styles, pivot tables' and pivot caches'
    number formats and differential styles, custom table styles' and cell styles' ids."""
    out: dict[tuple[Any, ...], str] = {}
    with zipfile.ZipFile(path) as z:
        st = Styles(z.read("xl/styles.xml"))
        parts = sheet_parts(z)
        names = sheets if sheets is not None else list(parts)
        for name in names:
            part = parts[name]
            ws = ET.fromstring(z.read(part))
            if local(ws.tag) != "worksheet":
                continue
            for c in ws.iter(M + "c"):
                if c.get("s") is not None:
                    out[(name, "cell", c.get("r"))] = st.xf(int(c.get("s", 0)))
            for r in ws.iter(M + "row"):
                if r.get("s") is not None:
                    out[(name, "row", r.get("r"))] = st.xf(int(r.get("s", 0)))
            for col in ws.iter(M + "col"):
                if col.get("style") is not None:
                    key = (name, "col", col.get("min"), col.get("max"))
                    out[key] = st.xf(int(col.get("style", 0)))
            n = 0
            for cf in ws.iter(M + "conditionalFormatting"):
                for rule in cf.iter(M + "cfRule"):
                    if rule.get("dxfId") is not None:
                        key = (name, "cf", cf.get("sqref"), n)
                        out[key] = st.dxf(int(rule.get("dxfId", 0)))
                        n += 1
            for kind, t in rel_targets(z, part):
                if kind == "table":
                    table = ET.fromstring(z.read(t))
                    tname = table.get("displayName")
                    for el in [table, *table.iter(M + "tableColumn")]:
                        for a, v in el.attrib.items():
                            if a.lower().endswith("dxfid"):
                                out[("table", tname, el.get("name", ""), a)] = st.dxf(int(v))
                elif kind == "pivotTable":
                    pivot = ET.fromstring(z.read(t))
                    pname = pivot.get("name")
                    for i, el in enumerate(pivot.iter()):
                        if el.get("dxfId") is not None:
                            out[("pivot", pname, i, "dxf")] = st.dxf(int(el.get("dxfId", 0)))
                        if el.get("numFmtId") is not None:
                            out[("pivot", pname, i, "numFmt")] = st.numfmt(
                                int(el.get("numFmtId", 0))
                            )
        if sheets is None:
            for n in z.namelist():
                if n.startswith("xl/pivotCache/pivotCacheDefinition") and n.endswith(".xml"):
                    cache = ET.fromstring(z.read(n))
                    for f in cache.iter(M + "cacheField"):
                        if f.get("numFmtId") is not None:
                            out[("pivotCache", n, f.get("name"))] = st.numfmt(
                                int(f.get("numFmtId", 0))
                            )
            for cs in st.cell_styles:
                out[("cellStyle", cs.get("name"))] = repr(
                    st.xf_parts(int(cs.get("xfId", 0)), cell_xf=False)
                )
            for sname, ts in st.table_styles.items():
                for e in ts:
                    if e.get("dxfId") is not None:
                        key = ("tableStyle", sname, e.get("type"))
                        out[key] = st.dxf(int(e.get("dxfId", 0)))
    return out


_RESOLVED_KINDS = ("worksheet", "table", "pivotTableDefinition", "pivotCacheDefinition")


def assert_every_style_reference_is_checked(path: Path) -> None:
    """Style indices appear only in the parts :func:`style_refs` resolves (worksheets, tables,
    pivot tables and caches, styles.xml): a part of another kind with one would go unchecked."""
    ref = re.compile(rb'\s(?:\w*[dD]xfId|xfId|s|style|numFmtId)="\d+"')
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if not n.endswith(".xml") or n == "xl/styles.xml":
                continue
            data = z.read(n)
            if not ref.search(data):
                continue
            assert local(ET.fromstring(data).tag) in _RESOLVED_KINDS, n


# --------------------------------------------------------------------------------------------
# Comparing an input package with the summary's copy of it
# --------------------------------------------------------------------------------------------


def _split(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    assert m, ref
    return int(m.group(2)), col_number(m.group(1))


def _without(el: ET.Element, *attrs: str) -> str:
    return canon(el, drop=attrs)


def _attrs(el: ET.Element, *drop: str) -> dict[str, str]:
    return {k: v for k, v in el.attrib.items() if k not in drop}


def _box(ref: str) -> tuple[tuple[int, int], tuple[int, int]]:
    first, _, last = ref.partition(":")
    return _split(first), _split(last or first)


def assert_styles_appended(a: bytes, b: bytes) -> None:
    """styles.xml of the copy = the input's, with elements only appended to its lists."""
    ra, rb = ET.fromstring(a), ET.fromstring(b)
    assert ra.attrib == rb.attrib
    kb = {local(el.tag): el for el in rb}
    for sec in ra:
        other = kb.pop(local(sec.tag))
        theirs, ours = list(sec), list(other)
        assert [canon(x) for x in theirs] == [canon(x) for x in ours[: len(theirs)]], sec.tag
        extra = {k: v for k, v in other.attrib.items() if k != "count"}
        assert {k: v for k, v in sec.attrib.items() if k != "count"} == extra, sec.tag
    # sections the input did not have, only ones perfsheet fills
    assert set(kb) <= {"numFmts", "dxfs", "cellStyles", "cellStyleXfs"}, set(kb)


def assert_workbook_kept(a: bytes, b: bytes) -> None:
    """workbook.xml: the input's sheets first and unchanged, its defined names kept, other
    elements unchanged (the views: only which tab is active)."""
    ra, rb = ET.fromstring(a), ET.fromstring(b)
    for el_a, el_b in zip(ra, rb, strict=True):
        tag = local(el_a.tag)
        assert tag == local(el_b.tag)
        if tag == "sheets":
            theirs = [canon(s) for s in el_a]
            assert theirs == [canon(s) for s in el_b][: len(theirs)]
        elif tag == "definedNames":
            names_b = [canon(n) for n in el_b]
            for n in el_a:
                assert canon(n) in names_b, canon(n)
        elif tag == "bookViews":
            assert [_without(v, "activeTab") for v in el_a] == [
                _without(v, "activeTab") for v in el_b
            ]
        else:
            assert canon(el_a) == canon(el_b), tag


def assert_list_kept(a: bytes, b: bytes) -> None:
    """Every child of the input's root (a relationship, a content type) is in the copy's."""
    kb = {canon(el) for el in ET.fromstring(b)}
    for el in ET.fromstring(a):
        assert canon(el) in kb, canon(el)


def _cols(root: ET.Element) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for col in root.iter(M + "col"):
        attrs = {k: v for k, v in col.attrib.items() if k not in ("min", "max")}
        for c in range(int(col.get("min", 1)), min(int(col.get("max", 1)), 200) + 1):
            out[c] = attrs
    return out


def assert_sheet_kept(
    a: bytes, b: bytes, *, helper_cols: range = range(0), marked: frozenset[str] = frozenset()
) -> list[str]:
    """A worksheet of the copy = the input's, except: ``tabSelected``, the helper cells (only
    in ``helper_cols``; their rows may be new), the ``s`` of ``marked`` cells, rows' ``spans``,
    the widths of the helper columns, ``<dimension>`` (covering at least the input's) and a
    ``<legacyDrawing>`` for new notes. Returns the helper cells' references."""
    ra, rb = ET.fromstring(a), ET.fromstring(b)
    skip = ("sheetData", "cols", "dimension", "sheetViews", "legacyDrawing")
    assert [canon(e) for e in ra if local(e.tag) not in skip] == [
        canon(e) for e in rb if local(e.tag) not in skip
    ]
    added = ("legacyDrawing", "cols", "dimension")  # ones the copy may have to add
    assert [local(e.tag) for e in ra if local(e.tag) not in added] == [
        local(e.tag) for e in rb if local(e.tag) not in added
    ]
    for tag in ("sheetViews", "legacyDrawing"):
        ea, eb = ra.find(M + tag), rb.find(M + tag)
        if ea is not None:
            assert eb is not None and canon(ea, drop=("tabSelected",)) == canon(
                eb, drop=("tabSelected",)
            )
    ca, cb = _cols(ra), _cols(rb)
    for c in set(ca) | set(cb):
        if c not in helper_cols:
            assert ca.get(c) == cb.get(c), c
    da, db = ra.find(M + "dimension"), rb.find(M + "dimension")
    if da is not None:
        assert db is not None
        (a1, a2), (b1, b2) = _box(da.get("ref", "A1")), _box(db.get("ref", "A1"))
        assert b1[0] <= a1[0] and b1[1] <= a1[1] and b2[0] >= a2[0] and b2[1] >= a2[1]
    rows_a = {r.get("r"): r for r in ra.iter(M + "row")}
    rows_b = {r.get("r"): r for r in rb.iter(M + "row")}
    helpers = []
    for n, row_b in rows_b.items():
        row_a = rows_a.get(n)
        cells_a = {} if row_a is None else {c.get("r"): c for c in row_a}
        if row_a is not None:
            assert _attrs(row_a, "spans") == _attrs(row_b, "spans"), n
        cells_b = {c.get("r"): c for c in row_b}
        for ref, c in cells_a.items():
            assert ref in cells_b, ref
            if ref in marked:
                assert _without(c, "s") == _without(cells_b[ref], "s"), ref
            else:
                assert canon(c) == canon(cells_b[ref]), ref
        for ref in cells_b.keys() - cells_a.keys():
            assert _split(ref)[1] in helper_cols or ref in marked, ref
            helpers.append(ref)
    assert rows_a.keys() <= rows_b.keys()
    return helpers


_SHAPE = re.compile(rb"<(\w+:)?shape\b.*?</\1shape>", re.S)


def assert_comments_kept(a: bytes, b: bytes, marked: frozenset[str]) -> None:
    """Every comment of the input is in the copy as it was; the copy's others are perfsheet's
    notes on ``marked`` cells."""
    ra, rb = ET.fromstring(a), ET.fromstring(b)
    authors_a = [x.text for x in ra.iter(M + "author")]
    authors_b = [x.text for x in rb.iter(M + "author")]
    assert authors_b[: len(authors_a)] == authors_a
    theirs = [canon(c) for c in ra.iter(M + "comment")]
    ours = {canon(c): c for c in rb.iter(M + "comment")}
    for c in theirs:
        assert c in ours, c
    for text, c in ours.items():
        if text in theirs:
            continue
        assert authors_b[int(c.get("authorId", 0))] == "perfsheet", text
        assert c.get("ref") in marked, text


def assert_vml_kept(a: bytes, b: bytes) -> None:
    """Every shape of the input's VML drawing is in the copy's as it was."""
    ours = {m.group(0) for m in _SHAPE.finditer(b)}
    for m in _SHAPE.finditer(a):
        assert m.group(0) in ours, m.group(0)[:200]


def app_lists(xml: bytes) -> tuple[list[tuple[str, int]], list[str]]:
    """``docProps/app.xml``'s list of sheets: its ``HeadingPairs`` entries (label, count) and
    its ``TitlesOfParts``; empty without them."""
    root = ET.fromstring(xml)
    heads, titles = root.find(EP + "HeadingPairs"), root.find(EP + "TitlesOfParts")
    if heads is None or titles is None:
        return [], []
    values = [v[0].text or "" for v in heads.iter(VT + "variant")]
    pairs = [(values[i], int(values[i + 1])) for i in range(0, len(values), 2)]
    return pairs, [t.text or "" for t in titles.iter(VT + "lpstr")]


_APP_LISTS = re.compile(
    rb"<HeadingPairs>.*?</HeadingPairs>|<TitlesOfParts>.*?</TitlesOfParts>", re.S
)


def assert_app_kept(a: bytes, b: bytes, worksheets: list[str]) -> None:
    """``docProps/app.xml``: the input's bytes but for the list of sheets, whose first entry
    (the worksheets) counts and lists ``worksheets``; the other entries (charts, named ranges)
    and their titles as they were. Without a list of sheets, the input's part."""
    pairs_a, titles_a = app_lists(a)
    if not pairs_a:
        assert a == b
        return
    pairs_b, titles_b = app_lists(b)
    assert _APP_LISTS.sub(b"", a) == _APP_LISTS.sub(b"", b)
    assert [label for label, _ in pairs_b] == [label for label, _ in pairs_a]
    assert pairs_b[0][1] == len(worksheets) and pairs_b[1:] == pairs_a[1:]
    assert titles_b == worksheets + titles_a[pairs_a[0][1] :]
    size = ET.fromstring(b).find(f"{EP}TitlesOfParts/{VT}vector")
    assert size is not None and size.get("size") == str(len(titles_b))


def worksheet_names(z: zipfile.ZipFile) -> list[str]:
    """The package's worksheets (no chart sheets), in workbook order."""
    return [name for name, part in sheet_parts(z).items() if "/worksheets/" in part]


def assert_parts_kept(
    src: Path,
    out: Path,
    *,
    annotated: str = SOURCE_SHEET,
    helper_cols: range = range(8, 15),
    marked: frozenset[str] = frozenset({"B5", "B6", "B7"}),
) -> None:
    """Every part of ``src`` is in ``out``: as the same compressed bytes, or — the parts the
    source copy must touch — with only what it adds (see the ``assert_*`` helpers above)."""
    with zipfile.ZipFile(src) as za, zipfile.ZipFile(out) as zb:
        names_b = set(zb.namelist())
        sheets = sheet_parts(za)
        sheet = sheets[annotated]
        touched = {
            "[Content_Types].xml": assert_list_kept,
            "xl/workbook.xml": assert_workbook_kept,
            "xl/_rels/workbook.xml.rels": assert_list_kept,
            "xl/styles.xml": assert_styles_appended,
            rels_name(sheet): assert_list_kept,
            "docProps/app.xml": lambda x, y: assert_app_kept(x, y, worksheet_names(zb)),
        }
        for kind, t in rel_targets(za, sheet):
            if kind == "comments":
                touched[t] = lambda x, y: assert_comments_kept(x, y, marked)
            elif kind == "vmlDrawing":
                touched[t] = assert_vml_kept
        helpers: list[str] = []
        for info in za.infolist():
            name = info.filename
            assert name in names_b, f"part lost: {name}"
            a, b = za.read(name), zb.read(name)
            if name == sheet:
                helpers = assert_sheet_kept(a, b, helper_cols=helper_cols, marked=marked)
            elif name in touched:
                touched[name](a, b)
            elif name in sheets.values() and a != b:
                # a sheet that was selected when the user saved the workbook
                assert b"tabSelected" in a and canon(
                    ET.fromstring(a), drop=("tabSelected",)
                ) == canon(ET.fromstring(b), drop=("tabSelected",)), name
            else:
                other = zb.getinfo(name)
                assert (info.CRC, info.compress_size, info.compress_type) == (
                    other.CRC,
                    other.compress_size,
                    other.compress_type,
                ), f"part not copied as it was: {name}"
        assert helpers, "no helper cells"
        new = names_b - set(za.namelist())
        for n in new:
            assert re.search(r"(^|/)perfsheet_|comments|vmlDrawing|_rels/", n), n


def cell_style(path: Path, sheet: str, ref: str) -> dict[str, Any]:
    """The resolved cell format of one cell (font, fill, border, number format…)."""
    with zipfile.ZipFile(path) as z:
        st = Styles(z.read("xl/styles.xml"))
        ws = ET.fromstring(z.read(sheet_parts(z)[sheet]))
    s = next((c.get("s", "0") for c in ws.iter(M + "c") if c.get("r") == ref), "0")
    return st.xf_parts(int(s))


def error_fill(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        st = Styles(z.read("xl/styles.xml"))
    return next(
        canon(f) for f in st.fills if f.find(f".//{M}fgColor[@rgb='{ERROR_RGB}']") is not None
    )


def assert_same_styles(
    src: Path,
    out: Path,
    *,
    marked: dict[str, frozenset[str]] | None = None,
    min_dxf_refs: int = 0,
) -> None:
    """Every style reference of ``src`` resolves in ``out`` to the same style; a ``marked`` cell
    (sheet -> references) to its own style with the red error fill instead of its fill."""
    before, after = style_refs(src), style_refs(out)
    dxf_refs = [k for k in before if k[0] in ("table", "tableStyle", "pivot") or k[1] == "cf"]
    assert len(dxf_refs) >= min_dxf_refs, sorted(map(str, before))
    marked = marked or {}
    changed = [
        k
        for k, v in before.items()
        if after.get(k) != v and not (k[1] == "cell" and k[2] in marked.get(k[0], ()))
    ]
    assert not changed, "\n".join(
        f"{k}:\n  before {before[k]}\n  after  {after.get(k)}" for k in changed[:5]
    )
    red = error_fill(out)
    for sheet, refs in marked.items():
        for ref in refs:
            want, got = cell_style(src, sheet, ref), cell_style(out, sheet, ref)
            want["fill"] = red
            assert got == want, (sheet, ref)


# --------------------------------------------------------------------------------------------
# Rich source workbooks
# --------------------------------------------------------------------------------------------


def png(width: int = 4, height: int = 3) -> bytes:
    """A small red PNG (an image for the workbooks; no imaging library needed)."""
    raw = b"".join(b"\x00" + b"\xc0\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def openpyxl_source(path: Path) -> Path:
    """The helper's 项目支出绩效目标表 plus a sheet with an Excel table whose header, data and
    total row have differential styles (header dxf 0, as in the bug report), column dxfs,
    a custom table style, a conditional format, data validation, a defined name, a comment."""
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat
    from openpyxl.styles.table import TableStyle, TableStyleElement
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    write_source_workbook(path, wrong_total=True)
    wb = openpyxl.load_workbook(path)
    dxfs = wb._differential_styles
    head_style = DifferentialStyle(font=Font(bold=True, color="FF00B050"))
    dxfs.dxf = [head_style, *dxfs.dxf]  # first: the helper's conditional format follows it
    header = dxfs.add(head_style)
    data = dxfs.add(DifferentialStyle(fill=PatternFill("solid", bgColor="FFDDEBF7")))
    total = dxfs.add(DifferentialStyle(font=Font(italic=True, color="FF7030A0")))
    money = dxfs.add(DifferentialStyle(numFmt=NumberFormat(numFmtId=170, formatCode="0.00元")))
    assert header == 0  # the id that pointed at perfsheet's red error style

    ws = wb.create_sheet(TABLE_SHEET)
    for row in TABLE_ROWS:
        ws.append(row)
    ws.append(["合计", "=SUBTOTAL(109,[金额])", None])
    ws["B2"].number_format = "#,##0.0"
    ws["A1"].comment = Comment("用户的批注", "用户")
    cols = [
        TableColumn(id=1, name="科目", totalsRowLabel="合计", dataDxfId=data),
        TableColumn(id=2, name="金额", totalsRowFunction="sum", dataDxfId=money),
        TableColumn(id=3, name="占比", headerRowDxfId=total, totalsRowDxfId=total),
    ]
    t = Table(
        displayName="成本表",
        ref="A1:C5",
        headerRowDxfId=header,
        dataDxfId=data,
        totalsRowDxfId=total,
        totalsRowCount=1,
        tableColumns=cols,
    )
    t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(t)
    ws.conditional_formatting.add(
        "B2:B4",
        CellIsRule(operator="greaterThan", formula=["15"], font=Font(color="FFC00000")),
    )
    dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
    ws.add_data_validation(dv)
    dv.add("C2:C4")
    wb.defined_names["成本金额"] = DefinedName("成本金额", attr_text=f"'{TABLE_SHEET}'!$B$2:$B$4")
    style = TableStyle(name="用户表格样式", pivot=False, count=1)
    style.tableStyleElement.append(TableStyleElement(type="headerRow", dxfId=header))
    wb._table_styles.tableStyle.append(style)
    wb.save(path)
    return path


def openpyxl_rich(path: Path) -> Path:
    """:func:`openpyxl_source` plus, as a department would add them with openpyxl: frozen
    panes, print settings (area, titles, orientation, fit, margins, header and footer), data
    validation on the table sheet, a user's note on a cell perfsheet marks (B6), rich text, an
    image and a chart, a hidden sheet; the table sheet is the selected one."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.page import PageMargins

    openpyxl_source(path)
    wb = openpyxl.load_workbook(path, rich_text=True)
    ws = wb[SOURCE_SHEET]
    ws.freeze_panes = "B5"
    ws.print_area = "A1:G10"
    ws.print_title_rows = "4:4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.8, bottom=0.8)
    ws.oddHeader.center.text = "项目支出绩效目标表"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="500")
    dv.promptTitle, dv.prompt = "绩效目标", "不超过 500 字"
    ws.add_data_validation(dv)
    dv.add("F5:F10")
    ws["B6"].comment = Comment("单位小计由财务科填写", "财务科")
    cover = wb["封面"]
    cover["A3"] = CellRichText(
        TextBlock(InlineFont(b=True, color="FFC00000"), "重点："), "请按时报送"
    )
    image = Image(io.BytesIO(png()))
    cover.add_image(image, "C3")
    table = wb[TABLE_SHEET]
    chart = BarChart()
    chart.title = "费用构成"
    chart.add_data(Reference(table, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    chart.set_categories(Reference(table, min_col=1, min_row=2, max_row=4))
    table.add_chart(chart, "E2")
    hidden = wb.create_sheet("隐藏参数")
    hidden["A1"] = "口径：预算数"
    hidden.sheet_state = "hidden"
    for s in wb.worksheets:
        s.sheet_view.tabSelected = s.title == SOURCE_SHEET
    wb.active = wb.sheetnames.index(SOURCE_SHEET)
    wb.save(path)
    return path


def xlsxwriter_rich(path: Path, tmp_path: Path) -> Path:
    """The same 项目支出绩效目标表 written by XlsxWriter, the way a department's export would:
    a cover with rich text, an image and an external link (selected when saved); the table
    with a merged title, styled header, number formats, widths and a row height, frozen panes,
    a conditional format, data validation, notes (one on B6, a cell perfsheet marks), print
    settings, a global and a local defined name; a sheet with an Excel table (header, column
    and total-row formats), its own conditional format, data validation, a note and a chart; a
    hidden and a very hidden sheet."""
    import xlsxwriter

    plain = write_source_workbook(tmp_path / "plain.xlsx", wrong_total=True)
    src = openpyxl.load_workbook(plain)[SOURCE_SHEET]
    wb = xlsxwriter.Workbook(str(path))
    cover = wb.add_worksheet("封面")
    big = wb.add_format({"bold": True, "font_size": 20, "font_name": "宋体"})
    red = wb.add_format({"bold": True, "font_size": 20, "font_color": "#C00000"})
    cover.write_rich_string("A1", big, "2025 年", red, "部门预算")
    cover.insert_image("C3", "logo.png", {"image_data": io.BytesIO(png())})
    cover.write_url("A10", "https://example.com/预算公开", string="预算公开网站")
    cover.hide_gridlines(2)

    ws = wb.add_worksheet(SOURCE_SHEET)
    base = {"font_name": "宋体", "font_size": 10, "border": 1}
    title = wb.add_format({"bold": True, "font_name": "黑体", "font_size": 18, "align": "center"})
    header = wb.add_format(
        {**base, "bold": True, "font_size": 12, "font_color": "#1F3864", "bg_color": "#FCE4D6"}
    )
    text = wb.add_format(base)
    money = wb.add_format({**base, "num_format": "#,##0.000"})
    wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
    for row in src.iter_rows(min_row=2):
        for c in row:
            r, col = c.row - 1, c.column - 1
            if c.row < 4:
                if c.value is not None:
                    ws.write(r, col, c.value)
                continue
            fmt = header if c.row == 4 else money if 1 <= col <= 4 else wrap if col == 6 else text
            if c.value is None:
                ws.write_blank(r, col, None, fmt)
            else:
                ws.write(r, col, c.value, fmt)
    ws.merge_range("A1:G1", src["A1"].value, title)
    ws.set_column("A:A", 30)
    ws.set_column("B:E", 12)
    ws.set_column("G:G", 80)
    ws.set_row(6, 60)
    ws.freeze_panes(4, 1)
    ws.conditional_format(
        "B5:E10",
        {
            "type": "cell",
            "criteria": ">",
            "value": 100,
            "format": wb.add_format({"bg_color": "#E2EFDA"}),
        },
    )
    ws.data_validation(
        "F5:F10",
        {"validate": "length", "criteria": "<=", "value": 500, "input_title": "绩效目标"},
    )
    ws.write_comment("A7", "请核对本项目的预算", {"author": "审核人"})
    ws.write_comment("B6", "单位小计由财务科填写", {"author": "财务科"})
    ws.print_area("A1:G10")
    ws.repeat_rows(3)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.8)
    ws.set_header("&C项目支出绩效目标表")
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.center_horizontally()
    wb.define_name("项目区域", f"='{SOURCE_SHEET}'!$A$5:$G$10")
    wb.define_name(f"'{SOURCE_SHEET}'!本表单位", f"='{SOURCE_SHEET}'!$A$3")

    t = wb.add_worksheet(TABLE_SHEET)
    head = wb.add_format({"bold": True, "font_color": "#00B050"})
    cost = wb.add_format({"num_format": "0.00元", "bg_color": "#DDEBF7"})
    tot = wb.add_format({"italic": True, "font_color": "#7030A0"})
    t.add_table(
        "A1:C5",
        {
            "name": "成本表",
            "total_row": True,
            "data": [list(r) for r in TABLE_ROWS[1:]],
            "columns": [
                {"header": "科目", "total_string": "合计", "header_format": head},
                {"header": "金额", "total_function": "sum", "format": cost, "header_format": head},
                {"header": "占比", "format": tot},
            ],
        },
    )
    t.conditional_format(
        "B2:B4",
        {
            "type": "cell",
            "criteria": ">",
            "value": 15,
            "format": wb.add_format({"font_color": "#C00000"}),
        },
    )
    t.data_validation(
        "C2:C4", {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
    )
    t.write_comment("A1", "用户的批注")
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "金额",
            "categories": f"='{TABLE_SHEET}'!$A$2:$A$4",
            "values": f"='{TABLE_SHEET}'!$B$2:$B$4",
        }
    )
    t.insert_chart("E2", chart)
    wb.define_name("成本金额", f"='{TABLE_SHEET}'!$B$2:$B$4")
    hidden = wb.add_worksheet("隐藏参数")
    hidden.write("A1", "口径：预算数")
    hidden.hide()
    inner = wb.add_worksheet("内部")
    inner.write("A1", "版本 3")
    inner.very_hidden()
    cover.activate()
    wb.close()
    return path


_PIVOT_SCRIPT = textwrap.dedent(
    """
    import os, subprocess, sys, tempfile, time
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.table import CellAddress, CellRangeAddress
    from com.sun.star.sheet.DataPilotFieldOrientation import DATA, ROW
    from com.sun.star.sheet.GeneralFunction import SUM

    def prop(name, value):
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    src, dst, table, soffice = sys.argv[1:5]
    profile = tempfile.mkdtemp(prefix="lo-pivot-")
    pipe = "perfsheet%d" % os.getpid()
    proc = subprocess.Popen(
        [soffice, "--headless", "--norestore", "--invisible",
         "-env:UserInstallation=file://" + profile, "--accept=pipe,name=%s;urp;" % pipe],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(300):
            try:
                ctx = resolver.resolve(
                    "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except Exception:
                time.sleep(0.1)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
        sheets = doc.Sheets
        names = [sheets.getByIndex(i).Name for i in range(sheets.Count)]
        sheets.insertNewByName("透视表", sheets.Count)
        data = CellRangeAddress()
        data.Sheet = names.index(table)
        data.StartColumn, data.StartRow, data.EndColumn, data.EndRow = 0, 0, 2, 3
        pilots = sheets.getByName(table).getDataPilotTables()
        desc = pilots.createDataPilotDescriptor()
        desc.setSourceRange(data)
        fields = desc.getDataPilotFields()
        fields.getByIndex(0).Orientation = ROW
        amount = fields.getByIndex(1)
        amount.Orientation = DATA
        amount.Function = SUM
        at = CellAddress()
        at.Sheet, at.Column, at.Row = sheets.Count - 1, 0, 0
        sheets.getByName("透视表").getDataPilotTables().insertNewByName("用户透视表", at, desc)
        xlsx = (prop("FilterName", "Calc MS Excel 2007 XML"),)
        doc.storeToURL(uno.systemPathToFileUrl(dst), xlsx)
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:
            pass
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    """
)


def uno_python() -> str | None:
    """A Python that can drive LibreOffice (``import uno``), or None."""
    for exe in ("/usr/bin/python3", sys.executable):
        if exe and os.path.exists(exe):
            proc = subprocess.run([exe, "-c", "import uno"], capture_output=True, timeout=60)
            if proc.returncode == 0:
                return exe
    return None


def libreoffice_pivot(path: Path, tmp_path: Path) -> Path:
    """:func:`openpyxl_rich` opened in LibreOffice Calc, a pivot table (sum of 金额 by 科目)
    added on a new sheet, saved as .xlsx: a real pivot table and cache, written by an office
    suite (openpyxl and XlsxWriter cannot make one)."""
    exe = uno_python()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None or soffice is None:
        pytest.skip("LibreOffice with its Python bridge (uno) is needed to make a pivot table")
    base = openpyxl_rich(tmp_path / "openpyxl_rich.xlsx")
    with tempfile.TemporaryDirectory() as d:
        script = Path(d) / "pivot.py"
        script.write_text(_PIVOT_SCRIPT, encoding="utf-8")
        proc = subprocess.run(
            [exe, str(script), str(base.resolve()), str(path.resolve()), TABLE_SHEET, soffice],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0 and path.exists(), proc.stderr
    with zipfile.ZipFile(path) as z:
        assert any(n.startswith("xl/pivotTables/") for n in z.namelist())
    return path
