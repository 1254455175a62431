"""The default ``perfsheet summary`` output: the user's package, part by part, plus the
standard sheets (issue 14 §3: the source copy loses nothing).

Every part of the input is copied as its compressed bytes (:meth:`ZipOut.add_raw`), except:

* the worksheets that get helper columns and marks
  (:class:`~perfsheet.core.annotations.AnnotationPlan`): their XML is streamed row by row; the
  helper cells (numbers, inline strings) are added in column order, marked cells get a style
  derived from their own (their cell format plus the red error fill), ``<cols>`` gets the
  helper columns' widths and ``<dimension>`` covers them. Every other byte of the part stays;
* their notes (comments part and VML drawing) when notes are added or perfsheet's own notes of
  an earlier run are removed; a cell that already has a note of the user's keeps it (the
  fill marks it; 校验结果 says why), as the live-book action does;
* a sheet that was selected when the user saved the workbook: ``tabSelected`` is removed, so
  that only 项目汇总 is selected (two selected tabs are grouped sheets in Excel);
* the sheets of an earlier perfsheet run (``own``): removed with the parts only they use, their
  relationships, content types and defined names, and ``calcChain.xml`` (it lists their cells;
  Excel rebuilds it);
* ``styles.xml``: the user's styles first and unchanged, ours appended after theirs, so that no
  style reference of a user part (cells, conditional formats, tables, pivot tables, custom
  table styles…) ever moves;
* ``workbook.xml``, its relationships and ``[Content_Types].xml``: the standard sheets added,
  项目汇总 the active tab. A macro-enabled workbook keeps ``vbaProject.bin`` and its
  relationship and content type; only the workbook part's own content type becomes the
  .xlsx one, because the output is an .xlsx and Excel refuses to open an .xlsx whose workbook
  part says it is macro-enabled.

The standard sheets are written by :class:`~perfsheet.io.summary_writer.StandardSheets` into
XlsxWriter's package and row spools, and copied in here with every style index moved past the
user's: the spooled rows are rendered with the moved indices (:class:`_ShiftedSheets`), the few
cells XlsxWriter writes itself (titles, headers, the total row) are moved when its small sheet
XML is copied. Moving ``s="N"`` while copying the finished standard package instead would cost
an inflate, a regex pass and a deflate of every cell: 6.5 s more (measured on the 160,000-row
detail sheet of 20,000 projects, a 16 s run); rendering the rows with moved indices is free.

The rows of the standard sheets come from the whole analyzed result, or project by project
(``analyses``: the default ``perfsheet summary`` path, which never holds every parsed indicator);
then the helper columns and marks come from
:class:`~perfsheet.core.annotations.AnnotationBuilder` fed the same projects, and the sheet edits
that depend on them (values, marks, notes) are prepared once the rows are written, just before
the package is assembled.

Nothing here loads a whole user worksheet: the big parts are streamed (regular expressions on
bounded chunks, as the rest of the package code does); the small ones (workbook, relationships,
styles, notes) are read whole, with regular expressions, never an XML parser on user input.
Anything unexpected raises :class:`SourceCopyError`; the caller then rebuilds the sheets from
their values (:func:`perfsheet.io.summary_writer.write_with_source_rebuilt`).
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from perfsheet.core.annotations import ERROR_FILL, HELPER_FILL, NOTE_AUTHOR, AnnotationPlan
from perfsheet.core.grid import cell_ref, col_number
from perfsheet.core.sheets import SHEET_PROJECTS
from perfsheet.errors import PerfsheetError
from perfsheet.io.xlsx_merge import ZipOut, part_name, rels_name, xml_unescape
from perfsheet.io.xlsx_stream import escape_text

if TYPE_CHECKING:
    from perfsheet.core.annotations import AnnotationBuilder
    from perfsheet.core.models import WorkbookResult
    from perfsheet.core.pipeline import ProjectAnalysis, TableAnalysis
    from perfsheet.core.summary_rows import SummaryPlan

_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_CT_MAIN = _CT + "sheet.main+xml"
_CT_COMMENTS = _CT + "comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_PREFIX = "perfsheet_"
_CHUNK = 1 << 20
_HEAD_LIMIT = 16 << 20  # bytes of a worksheet before <sheetData>: more is not a real sheet
_SHEET_KINDS = ("worksheet", "chartsheet", "dialogsheet", "xlMacrosheet", "xlIntlMacrosheet")


class SourceCopyError(Exception):
    """The input package is not one this copy understands (the caller rebuilds the sheets from
    their values); the message is a short Chinese reason for the user's note."""


# --------------------------------------------------------------------------------------------
# Small XML helpers (regular expressions on markup we know; never on whole big parts)
# --------------------------------------------------------------------------------------------

_ATTRS = r"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
_TAG = re.compile(
    rf"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(/?)([\w.:-]+)({_ATTRS})\s*(/?)>", re.S
)


def _esc_attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def _get(tag: str, name: str) -> str | None:
    """The value of attribute ``name`` (with its prefix, if any) of a start tag."""
    m = re.search(rf"""\s{re.escape(name)}\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag)
    if m is None:
        return None
    return xml_unescape(m.group(1) if m.group(1) is not None else m.group(2))


def _set(tag: str, name: str, value: str) -> str:
    """``tag`` with attribute ``name`` set to ``value`` (replaced in place, or added last)."""
    pat = re.compile(rf"""(\s{re.escape(name)}\s*=\s*)(?:"[^"]*"|'[^']*')""")
    if pat.search(tag):
        return pat.sub(lambda m: f'{m.group(1)}"{value}"', tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


def _drop(tag: str, name: str) -> str:
    return re.sub(rf"""\s{re.escape(name)}\s*=\s*(?:"[^"]*"|'[^']*')""", "", tag)


def _rel_id(tag: str) -> str | None:
    """The ``r:id`` of a start tag, whatever prefix the relationships namespace has."""
    m = re.search(r"""\s[\w.-]+:id\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag)
    return None if m is None else (m.group(1) if m.group(1) is not None else m.group(2))


def _prefix_of(xml: str, root: str) -> str:
    """The prefix (``"x:"`` or ``""``) of the root element ``root``."""
    m = re.search(rf"<([\w.-]+:)?{root}\b", xml)
    if m is None:
        raise SourceCopyError(f"缺少 {root}")
    return m.group(1) or ""


def _prefixed(xml: str, p: str) -> str:
    """Our own markup (unprefixed, no namespaced elements) with prefix ``p`` on every element."""
    if not p:
        return xml
    return re.sub(r"<(/?)([A-Za-z])", rf"<\1{p}\2", xml)


def _children(inner: str, p: str, tag: str) -> list[str]:
    return re.findall(
        rf"<{p}{tag}\b{_ATTRS}\s*/>|<{p}{tag}\b{_ATTRS}\s*>.*?</{p}{tag}>", inner, re.S
    )


@dataclass(slots=True)
class _Span:
    """An element in a text: its start tag [start, open_end), its content, its end tag."""

    start: int
    open_end: int
    close_start: int
    end: int

    @property
    def empty(self) -> bool:
        return self.open_end == self.end


def _element(xml: str, p: str, name: str, start: int = 0, stop: int | None = None) -> _Span | None:
    """The first ``<name>`` element at or after ``start`` (its kind never nests in itself)."""
    stop = len(xml) if stop is None else stop
    m = re.compile(rf"<{p}{name}\b{_ATTRS}\s*(/?)>").search(xml, start, stop)
    if m is None:
        return None
    if m.group(1):
        return _Span(m.start(), m.end(), m.end(), m.end())
    close = xml.find(f"</{p}{name}>", m.end(), stop)
    if close < 0:
        raise SourceCopyError(f"{name} 没有结束")
    return _Span(m.start(), m.end(), close, close + len(f"</{p}{name}>"))


def _top_level(xml: str, start: int, stop: int) -> list[tuple[str, int, int]]:
    """(local name, start, end) of the top-level elements in ``xml[start:stop]``."""
    out: list[tuple[str, int, int]] = []
    depth = 0
    first = 0
    name = ""
    for m in _TAG.finditer(xml, start, stop):
        if m.group(2) is None:
            continue
        closing, tag, empty = m.group(1), m.group(2), m.group(4)
        local = tag.rsplit(":", 1)[-1]
        if closing:
            depth -= 1
            if depth == 0:
                out.append((name, first, m.end()))
            elif depth < 0:
                raise SourceCopyError("XML 结构不完整")
        elif empty:
            if depth == 0:
                out.append((local, m.start(), m.end()))
        else:
            if depth == 0:
                first, name = m.start(), local
            depth += 1
    if depth:
        raise SourceCopyError("XML 结构不完整")
    return out


def _text(data: bytes, what: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SourceCopyError(f"{what} 不是 UTF-8 编码")
    head = data[:200]
    m = re.search(rb'encoding\s*=\s*["\']([\w.-]+)["\']', head)
    if m is not None and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise SourceCopyError(f"{what} 不是 UTF-8 编码")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SourceCopyError(f"{what} 不是 UTF-8 编码") from err


# --------------------------------------------------------------------------------------------
# The user's package
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rel:
    id: str
    type: str  # the last segment of the type URI: "worksheet", "comments", "vmlDrawing"…
    part: str  # the part it points to ("" for an external target)
    tag: str


@dataclass(slots=True)
class _SheetRef:
    name: str
    tag: str  # the <sheet .../> element of workbook.xml
    rid: str
    part: str
    kind: str  # "worksheet", "chartsheet"…


class _Package:
    """What the copy needs to know of the input before it writes anything."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in z.infolist():
            if info.filename in self.infos:
                raise SourceCopyError("压缩包内有重名的部件")
            if info.flag_bits & 0x1:
                raise SourceCopyError("部件已加密")
            self.infos[info.filename] = info
        self.ct = self.text("[Content_Types].xml")
        root = [r for r in self.rels("") if r.type == "officeDocument"]
        if len(root) != 1 or root[0].part not in self.infos:
            raise SourceCopyError("找不到工作簿部件")
        self.workbook = root[0].part
        self.wb = self.text(self.workbook)
        self.wp = _prefix_of(self.wb, "workbook")
        self.wb_rels_part = rels_name(self.workbook)
        self.wb_rels = self.rels(self.workbook)
        by_id = {r.id: r for r in self.wb_rels}
        styles = [r.part for r in self.wb_rels if r.type == "styles"]
        if len(styles) != 1 or styles[0] not in self.infos:
            raise SourceCopyError("找不到样式部件")
        self.styles_part = styles[0]
        self.sheets: list[_SheetRef] = []
        sheets = _element(self.wb, self.wp, "sheets")
        if sheets is None:
            raise SourceCopyError("工作簿没有工作表")
        for m in re.finditer(
            rf"<{self.wp}sheet\b{_ATTRS}\s*/?>", self.wb[sheets.open_end : sheets.close_start]
        ):
            tag = m.group(0)
            rid, name = _rel_id(tag), _get(tag, "name")
            rel = by_id.get(rid or "")
            if rel is None or name is None or rel.part not in self.infos:
                raise SourceCopyError("工作表的关系无法解析")
            self.sheets.append(_SheetRef(name, tag, rel.id, rel.part, rel.type))

    def read(self, name: str) -> bytes:
        try:
            return self.z.read(name)
        except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, EOFError) as err:
            raise SourceCopyError(f"无法读取部件 {name}") from err
        except Exception as err:  # zlib.error and friends: a corrupt member
            raise SourceCopyError(f"无法读取部件 {name}") from err

    def text(self, name: str) -> str:
        if name not in self.infos:
            raise SourceCopyError(f"缺少部件 {name}")
        return _text(self.read(name), name)

    def rels(self, part: str) -> list[_Rel]:
        """The relationships of ``part`` ("" = the package's), [] without a rels part."""
        name = rels_name(part)
        if name not in self.infos:
            return []
        return parse_rels(self.text(name), posixpath.dirname(part))

    def graph(self) -> dict[str, list[str]]:
        """Part -> the parts its relationships point to (the package itself is "")."""
        out: dict[str, list[str]] = {}
        for name in self.infos:
            d, f = posixpath.split(name)
            if posixpath.basename(d) == "_rels" and f.endswith(".rels"):
                # d/_rels/f.rels belongs to d/f; _rels/.rels to the package ("")
                owner = posixpath.join(posixpath.dirname(d), f[: -len(".rels")])
                out[owner] = [r.part for r in self.rels(owner) if r.part]
        return out


def parse_rels(xml: str, owner_dir: str) -> list[_Rel]:
    out = []
    for m in re.finditer(r"<(?:[\w.-]+:)?Relationship\b[^>]*>", xml):
        tag = m.group(0)
        rid, rtype, target = _get(tag, "Id"), _get(tag, "Type"), _get(tag, "Target")
        if rid is None or rtype is None or target is None:
            raise SourceCopyError("关系部件无法解析")
        external = (_get(tag, "TargetMode") or "").lower() == "external"
        part = "" if external else part_name(target, owner_dir)
        out.append(_Rel(rid, rtype.rsplit("/", 1)[-1], part, tag))
    return out


def _reach(graph: dict[str, list[str]], start: Sequence[str], stop: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        p = todo.pop()
        if p in seen or p in stop:
            continue
        seen.add(p)
        todo.extend(graph.get(p, ()))
    return seen


# --------------------------------------------------------------------------------------------
# styles.xml: the user's first, ours appended
# --------------------------------------------------------------------------------------------

_SECTIONS = (
    ("numFmts", "numFmt"),
    ("fonts", "font"),
    ("fills", "fill"),
    ("borders", "border"),
    ("cellStyleXfs", "xf"),
    ("cellXfs", "xf"),
    ("cellStyles", "cellStyle"),
    ("dxfs", "dxf"),
)
_LATER = ("tableStyles", "colors", "extLst")
_FIRST_CUSTOM_NUMFMT = 164
_THIN = '<border><left style="thin"><color rgb="FFA6A6A6"/></left><right style="thin"><color rgb="FFA6A6A6"/></right><top style="thin"><color rgb="FFA6A6A6"/></top><bottom style="thin"><color rgb="FFA6A6A6"/></bottom><diagonal/></border>'  # noqa: E501


def _solid(rgb: str) -> str:
    return (
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
    )


def _shift(xml: str, shifts: dict[str, Any]) -> str:
    """``xml`` with the listed integer attributes mapped (``{"fontId": f}``)."""
    names = "|".join(shifts)

    def sub(m: re.Match[str]) -> str:
        return f' {m.group(1)}="{shifts[m.group(1)](int(m.group(2)))}"'

    return re.sub(rf'\s({names})="(\d+)"', sub, xml)


class _Styles:
    """The output's styles.xml: the user's, then the standard sheets' (one block, at known
    offsets: :attr:`xf_offset`, :attr:`dxf_offset`), then the styles the source copy derives
    (helper cells, marks), deduplicated against the user's own — so that a summary of a summary
    finds its derived styles already there and writes the sheet as it was."""

    def __init__(self, user_xml: str) -> None:
        self.xml = user_xml
        self.p = p = _prefix_of(user_xml, "styleSheet")
        self.user = {sec: self._list(user_xml, p, sec, tag) for sec, tag in _SECTIONS}
        user_ids = set()
        codes: dict[str, int] = {}
        for nf in self.user["numFmts"]:
            i, code = _get(nf, "numFmtId"), _get(nf, "formatCode")
            if i is not None and i.isdigit():
                user_ids.add(int(i))
                if code is not None:
                    codes.setdefault(code, int(i))
        self._numfmt_codes = codes
        self._next_numfmt = max([_FIRST_CUSTOM_NUMFMT - 1, *user_ids]) + 1
        #: where the standard sheets' cell formats and differential styles start
        self.xf_offset = len(self.user["cellXfs"])
        self.dxf_offset = len(self.user["dxfs"])
        self.added: dict[str, list[str]] = {sec: [] for sec, _ in _SECTIONS}
        self._index: dict[str, dict[str, int]] = {}
        self._mark: dict[int, int] = {}
        self._unfill: dict[int, int] = {}
        self._header: dict[int, int] = {}
        self._value: dict[tuple[int, int | None, bool], int] = {}
        self._error_fills = {
            i
            for i, f in enumerate(self.user["fills"])
            if re.search(rf'<{p}fgColor\b[^>]*\srgb="[0-9A-Fa-f]{{2}}{ERROR_FILL}"', f, re.I)
        }

    def add_standard(self, std_xml: str) -> None:
        """Append the standard sheets' styles (XlsxWriter's styles.xml) as one block: their
        cell formats at :attr:`xf_offset`, differential styles at :attr:`dxf_offset`, fonts,
        fills, borders and cell-style formats after the user's, custom number formats renumbered
        above the user's (or the user's own id for the same code)."""
        counts = {sec: len(items) for sec, items in self.user.items()}
        n_font, n_fill, n_border = counts["fonts"], counts["fills"], counts["borders"]
        n_csx = counts["cellStyleXfs"]
        std = {sec: self._list(std_xml, "", sec, tag) for sec, tag in _SECTIONS}
        numfmt_map: dict[int, int] = {}
        for nf in std["numFmts"]:
            i, code = _get(nf, "numFmtId"), _get(nf, "formatCode")
            if i is None or not i.isdigit() or code is None:
                continue
            numfmt_map[int(i)] = self._numfmt(code, self.added)

        def nf_id(v: int) -> int:
            return numfmt_map.get(v, v)

        xf_shifts = {
            "numFmtId": nf_id,
            "fontId": lambda v: v + n_font,
            "fillId": lambda v: v + n_fill,
            "borderId": lambda v: v + n_border,
            "xfId": lambda v: v + n_csx,
        }
        csx_shifts = {k: f for k, f in xf_shifts.items() if k != "xfId"}
        block: dict[str, list[str]] = {
            "fonts": std["fonts"],
            "fills": std["fills"],
            "borders": std["borders"],
            "cellStyleXfs": [_shift(x, csx_shifts) for x in std["cellStyleXfs"]],
            "cellXfs": [_shift(x, xf_shifts) for x in std["cellXfs"]],
            "dxfs": [_shift(x, {"numFmtId": nf_id}) for x in std["dxfs"]],
            "cellStyles": [],
        }
        names = {_get(cs, "name") for cs in self.user["cellStyles"]}
        builtins = {_get(cs, "builtinId") for cs in self.user["cellStyles"]} - {None}
        for cs in std["cellStyles"]:
            if _get(cs, "name") in names or _get(cs, "builtinId") in builtins:
                continue  # the user's Normal (and other built-in styles) stay the ones
            block["cellStyles"].append(_shift(cs, {"xfId": lambda v: v + n_csx}))
        for sec, items in block.items():
            self.added[sec] += [_prefixed(x, self.p) for x in items]
        # what the source copy derives next is deduplicated against everything before it
        for sec in ("fills", "borders", "cellXfs"):
            index: dict[str, int] = {}
            for i, x in enumerate(self.user[sec] + self.added[sec]):
                index.setdefault(x, i)
            self._index[sec] = index

    @staticmethod
    def _list(xml: str, p: str, sec: str, tag: str) -> list[str]:
        span = _element(xml, p, sec)
        if span is None or span.empty:
            return []
        return _children(xml[span.open_end : span.close_start], p, tag)

    def _numfmt(self, code: str, added: dict[str, list[str]]) -> int:
        """The id of number format ``code``: the user's own, or a new one appended."""
        known = self._numfmt_codes.get(code)
        if known is not None:
            return known
        i = self._next_numfmt
        self._next_numfmt += 1
        self._numfmt_codes[code] = i
        item = f'<numFmt numFmtId="{i}" formatCode="{_esc_attr(code)}"/>'
        added["numFmts"].append(_prefixed(item, self.p))
        return i

    def _add(self, sec: str, xml: str) -> int:
        index = self._index[sec]
        i = index.get(xml)
        if i is None:
            self.added[sec].append(xml)
            i = index[xml] = len(self.user[sec]) + len(self.added[sec]) - 1
        return i

    def _xf(self, s: int) -> str:
        xfs = self.user["cellXfs"]
        if 0 <= s < len(xfs):
            return xfs[s]
        if xfs:
            return xfs[0]
        return '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'

    def _derive(self, s: int, **attrs: str) -> int:
        xf = self._xf(s)
        m = re.match(rf"<{self.p}xf\b{_ATTRS}\s*/?>", xf)
        if m is None:
            raise SourceCopyError("单元格样式无法解析")
        tag = m.group(0)
        for k, v in attrs.items():
            tag = _set(tag, k, v)
        return self._add("cellXfs", tag + xf[m.end() :])

    def mark(self, s: int) -> int:
        """Cell format ``s`` with the red error fill."""
        out = self._mark.get(s)
        if out is None:
            fill = self._add("fills", _prefixed(_solid(ERROR_FILL), self.p))
            out = self._mark[s] = self._derive(s, fillId=str(fill), applyFill="1")
        return out

    def has_error_fill(self, s: int) -> bool:
        fill = _get(self._xf(s), "fillId")
        return fill is not None and fill.isdigit() and int(fill) in self._error_fills

    def unfill(self, s: int) -> int:
        """Cell format ``s`` without a fill (a mark of an earlier run that no longer stands)."""
        out = self._unfill.get(s)
        if out is None:
            out = self._unfill[s] = self._derive(s, fillId="0")
        return out

    def header(self, s: int) -> int:
        """A helper header: the table's header format ``s`` with the helper fill."""
        out = self._header.get(s)
        if out is None:
            fill = self._add("fills", _prefixed(_solid(HELPER_FILL), self.p))
            out = self._header[s] = self._derive(s, fillId=str(fill), applyFill="1")
        return out

    def font(self, s: int) -> int:
        f = _get(self._xf(s), "fontId") if s else None
        return int(f) if f is not None and f.isdigit() else 0

    def value(self, font: int, number_format: str | None, wrap: bool) -> int:
        """A helper value: thin grey borders, top-aligned, the row's font, the column's format."""
        key = (font, None if number_format is None else self._numfmt_id(number_format), wrap)
        out = self._value.get(key)
        if out is None:
            border = self._add("borders", _prefixed(_THIN, self.p))
            nf = key[1] or 0
            wrap_attr = ' wrapText="1"' if wrap else ""
            apply_nf = ' applyNumberFormat="1"' if nf else ""
            xf = (
                f'<xf numFmtId="{nf}" fontId="{font}" fillId="0" borderId="{border}" xfId="0"'
                f'{apply_nf} applyFont="1" applyBorder="1" applyAlignment="1">'
                f'<alignment vertical="top"{wrap_attr}/></xf>'
            )
            out = self._value[key] = self._add("cellXfs", _prefixed(xf, self.p))
        return out

    def _numfmt_id(self, code: str) -> int:
        return self._numfmt(code, self.added)

    def render(self) -> str:
        """styles.xml: the user's with every list appended to (counts updated)."""
        xml, p = self.xml, self.p
        for sec, _tag in reversed(_SECTIONS):
            items = self.added[sec]
            if not items:
                continue
            body = "".join(items)
            span = _element(xml, p, sec)
            count = len(self.user[sec]) + len(items)
            if span is None:
                at = self._insert_at(xml, sec)
                xml = f'{xml[:at]}<{p}{sec} count="{count}">{body}</{p}{sec}>{xml[at:]}'
                continue
            tag = xml[span.start : span.open_end]
            if span.empty:
                tag = tag[:-2].rstrip() + ">"
                inner_end, close = span.end, f"</{p}{sec}>"
            else:
                inner_end, close = span.close_start, ""
            if _get(tag, "count") is not None:
                tag = _set(tag, "count", str(count))
            xml = (
                xml[: span.start]
                + tag
                + xml[span.open_end : inner_end]
                + body
                + close
                + xml[inner_end:]
            )
        return xml

    def _insert_at(self, xml: str, sec: str) -> int:
        names = [s for s, _ in _SECTIONS]
        for later in (*names[names.index(sec) + 1 :], *_LATER):
            span = _element(xml, self.p, later)
            if span is not None:
                return span.start
        end = xml.rfind(f"</{self.p}styleSheet>")
        if end < 0:
            raise SourceCopyError("样式部件不完整")
        return end


# --------------------------------------------------------------------------------------------
# Notes (comments part + VML drawing) of an annotated sheet
# --------------------------------------------------------------------------------------------

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)$")


def _rc(ref: str | None) -> tuple[int, int] | None:
    m = _REF.match(ref or "")
    return None if m is None else (int(m.group(2)), col_number(m.group(1)))


@dataclass
class _Notes:
    """The notes of one annotated sheet: which of perfsheet's earlier notes go, which new ones
    come (a cell with a note of the user's keeps it)."""

    part: str | None  # the comments part, None when the sheet has none
    created: bool = False  # the part is new (the sheet had no notes)
    xml: str = ""
    p: str = ""
    authors: list[str] = field(default_factory=list)
    kept: list[tuple[tuple[int, int], str]] = field(default_factory=list)  # (cell, <comment>)
    removed: set[tuple[int, int]] = field(default_factory=set)
    new: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> note text

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.new)

    def render(self) -> str | None:
        """The comments part, or None when no comment is left."""
        if not self.kept and not self.new:
            return None
        p = self.p
        authors = list(self.authors)
        if self.new and NOTE_AUTHOR not in authors:
            authors.append(NOTE_AUTHOR)
        ours = authors.index(NOTE_AUTHOR) if self.new else -1
        items = list(self.kept)  # the user's notes in their order; ours in cell order among them
        for (r, c), note in sorted(self.new.items()):
            text = escape_text(note)
            el = (
                f'<{p}comment ref="{cell_ref(r, c)}" authorId="{ours}"><{p}text>'
                f'<{p}t xml:space="preserve">{text}</{p}t></{p}text></{p}comment>'
            )
            at = next((i for i, (cell, _) in enumerate(items) if cell > (r, c)), len(items))
            items.insert(at, ((r, c), el))
        body = "".join(x for _, x in items)
        if self.part is None or self.created:
            names = "".join(f"<author>{escape_text(a)}</author>" for a in authors)
            return (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"<authors>{names}</authors><commentList>{body}</commentList></comments>"
            )
        xml = self.xml
        span = _element(xml, p, "commentList")
        if span is None:
            raise SourceCopyError("批注部件无法解析")
        xml = xml[: span.start] + f"<{p}commentList>{body}</{p}commentList>" + xml[span.end :]
        if len(authors) > len(self.authors):
            add = f"<{p}author>{escape_text(NOTE_AUTHOR)}</{p}author>"
            a = _element(xml, p, "authors")
            if a is None:
                raise SourceCopyError("批注部件无法解析")
            if a.empty:
                xml = xml[: a.start] + f"<{p}authors>{add}</{p}authors>" + xml[a.end :]
            else:
                xml = xml[: a.close_start] + add + xml[a.close_start :]
        return xml


def _comment_text(xml: str, p: str) -> str:
    parts = re.findall(rf"<{p}t\b{_ATTRS}\s*>(.*?)</{p}t>", xml, re.S)
    return xml_unescape("".join(parts))


def _read_notes(pkg: _Package, part: str | None, plans: Sequence[AnnotationPlan]) -> _Notes:
    notes = _Notes(part)
    if part is not None:
        xml = pkg.text(part)
        notes.xml, notes.p = xml, _prefix_of(xml, "comments")
        p = notes.p
        a = _element(xml, p, "authors")
        if a is not None and not a.empty:
            notes.authors = [
                xml_unescape(re.sub(r"<[^>]*>", "", x))
                for x in _children(xml[a.open_end : a.close_start], p, "author")
            ]
        span = _element(xml, p, "commentList")
        body = "" if span is None or span.empty else xml[span.open_end : span.close_start]
        for c in _children(body, p, "comment"):
            tag = c[: c.index(">") + 1]
            at = _rc(_get(tag, "ref"))
            if at is None:
                raise SourceCopyError("批注的位置无法解析")
            aid = _get(tag, "authorId") or ""
            author = (
                notes.authors[int(aid)] if aid.isdigit() and int(aid) < len(notes.authors) else ""
            )
            ours = author == NOTE_AUTHOR or _comment_text(c, p).startswith(f"{NOTE_AUTHOR}：")
            if _goes(at, ours, plans):
                notes.removed.add(at)
            else:
                notes.kept.append((at, c))
    noted = {at for at, _ in notes.kept}
    for plan in plans:
        for m in plan.marks:
            if (m.row, m.col) not in noted:
                notes.new[(m.row, m.col)] = m.note
    return notes


def _goes(at: tuple[int, int], ours: bool, plans: Sequence[AnnotationPlan]) -> bool:
    """Whether a note goes: perfsheet's in a table (it is written again if it still stands),
    anyone's in the helper columns of an earlier run (they are cleared)."""
    r, c = at
    for plan in plans:
        if ours and plan.first_row <= r <= plan.last_row and c < plan.start_col:
            return True
        r1, r2 = plan.clear_rows
        if c in plan.clear_columns and r1 <= r <= r2:
            return True
    return False


_VML_NS = {
    "v": b"urn:schemas-microsoft-com:vml",
    "o": b"urn:schemas-microsoft-com:office:office",
    "x": b"urn:schemas-microsoft-com:office:excel",
}
_VML_ID = re.compile(rb"_x0000_s(\d+)")
_IDMAP = re.compile(rb'<(\w+:)?idmap\b[^>]*\sdata="([^"]*)"')


def _vml_blocks(data: bytes) -> set[int]:
    out: set[int] = set()
    for m in _IDMAP.finditer(data):
        out |= {int(x) for x in re.findall(rb"\d+", m.group(2))}
    return out


def _vml_shape(v: str, o: str, x: str, sid: int, row: int, col: int, z: int) -> str:
    """A hidden note box for the cell (row, col) (1-based), as Excel draws one."""
    r0, c0 = row - 1, col - 1
    anchor = f"{c0 + 1}, 15, {max(r0 - 1, 0)}, 2, {c0 + 4}, 31, {max(r0 - 1, 0) + 5}, 2"
    return (
        f'<{v}shape id="_x0000_s{sid}" type="#_x0000_t202" style="position:absolute;'
        f"margin-left:{72 * col:.0f}pt;margin-top:{15 * max(r0 - 1, 0):.0f}pt;width:240pt;"
        f'height:90pt;z-index:{z};visibility:hidden" fillcolor="#ffffe1" {o}insetmode="auto">'
        f'<{v}fill color2="#ffffe1"/><{v}shadow on="t" color="black" obscured="t"/>'
        f'<{v}path {o}connecttype="none"/><{v}textbox style="mso-direction-alt:auto">'
        f'<div style="text-align:left"></div></{v}textbox><{x}ClientData ObjectType="Note">'
        f"<{x}MoveWithCells/><{x}SizeWithCells/><{x}Anchor>{anchor}</{x}Anchor>"
        f"<{x}AutoFill>False</{x}AutoFill><{x}Row>{r0}</{x}Row><{x}Column>{c0}</{x}Column>"
        f"</{x}ClientData></{v}shape>"
    )


def _shapetype(v: str, o: str) -> str:
    return (
        f'<{v}shapetype id="_x0000_t202" coordsize="21600,21600" {o}spt="202" '
        f'path="m,l,21600r21600,l21600,xe"><{v}stroke joinstyle="miter"/>'
        f'<{v}path gradientshapeok="t" {o}connecttype="rect"/></{v}shapetype>'
    )


def _vml(
    data: bytes | None,
    removed: set[tuple[int, int]],
    new: Sequence[tuple[int, int]],
    taken: set[int],
) -> bytes:
    """The VML drawing with the note shapes of ``removed`` cells taken out and boxes for the
    ``new`` cells added (a new drawing when ``data`` is None). Bytes, not text: VML written by
    Excel is neither always UTF-8 nor always well-formed XML; only ASCII markup is added."""
    if data is None:
        data = (
            b'<xml xmlns:v="urn:schemas-microsoft-com:vml" '
            b'xmlns:o="urn:schemas-microsoft-com:office:office" '
            b'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data=""/></o:shapelayout></xml>'
        )
    pre: dict[str, str] = {}
    for key, uri in _VML_NS.items():
        m = re.search(rb"xmlns:(\w+)\s*=\s*[\"']" + re.escape(uri) + rb"[\"']", data)
        if m is None:
            root = re.search(rb"<xml\b", data)
            if root is None:
                raise SourceCopyError("批注图形部件无法解析")
            decl = b" xmlns:" + key.encode() + b'="' + uri + b'"'
            data = data[: root.end()] + decl + data[root.end() :]
            pre[key] = key + ":"
        else:
            pre[key] = m.group(1).decode("ascii") + ":"
    v, o, x = pre["v"], pre["o"], pre["x"]
    if removed:
        vb, xb = v.encode(), x.encode()
        shape = re.compile(
            rb"<" + re.escape(vb) + rb"shape\b.*?</" + re.escape(vb) + rb"shape>", re.S
        )
        row_re = re.compile(rb"<" + re.escape(xb) + rb"Row>\s*(\d+)\s*<")
        col_re = re.compile(rb"<" + re.escape(xb) + rb"Column>\s*(\d+)\s*<")

        def drop(m: re.Match[bytes]) -> bytes:
            s = m.group(0)
            if b'ObjectType="Note"' not in s:
                return s
            r, c = row_re.search(s), col_re.search(s)
            if r and c and (int(r.group(1)) + 1, int(c.group(1)) + 1) in removed:
                return b""
            return s

        data = shape.sub(drop, data)
    if not new:
        return data
    blocks = _vml_blocks(data)
    ids = [int(i) for i in _VML_ID.findall(data)]
    sid = max(ids, default=0)
    shapes = []
    z = len(ids) + 1
    for r, c in new:
        # shape ids come in blocks of 1024 (the drawing's idmap lists its blocks); a block of
        # another drawing is never used, nor block 0
        sid += 1
        b = sid // 1024
        if b == 0 or sid % 1024 == 0 or (b in taken and b not in blocks):
            b = max([*taken, *blocks, 0]) + 1
            sid = b * 1024 + 1
        blocks.add(b)
        shapes.append(_vml_shape(v, o, x, sid, r, c, z))
        z += 1
    taken |= blocks
    add = "".join(shapes).encode("ascii")
    if b"_x0000_t202" not in data:
        add = _shapetype(v, o).encode("ascii") + add
    end = data.rfind(b"</xml>")
    if end < 0:
        raise SourceCopyError("批注图形部件无法解析")
    data = data[:end] + add + data[end:]
    listed = ",".join(str(b) for b in sorted(blocks)).encode("ascii")
    if _IDMAP.search(data):
        data = re.sub(
            rb'(<(?:\w+:)?idmap\b[^>]*\sdata=")[^"]*(")',
            rb"\g<1>" + listed + rb"\g<2>",
            data,
            count=1,
        )
    return data


# --------------------------------------------------------------------------------------------
# Rewriting one worksheet as a stream
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Helper:
    value: Any
    header: bool  # styled like the table's header cell (else a helper value)
    src_col: int  # the table's last column: its cell gives the header style / the row's font
    number_format: str | None
    wrap: bool


@dataclass
class _SheetEdit:
    """What changes in one worksheet: combined over the annotation plans of its tables."""

    ref: _SheetRef
    untick: bool = False
    plans: list[AnnotationPlan] = field(default_factory=list)
    helpers: dict[int, dict[int, _Helper]] = field(default_factory=dict)
    marks: dict[int, set[int]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    notes: _Notes | None = None
    vml_rid: str | None = None  # the relationship of a new VML drawing
    notes_rid: str | None = None  # the relationship of a new comments part

    def add_plan(self, plan: AnnotationPlan) -> None:
        self.plans.append(plan)
        n = len(plan.headers)
        edge = plan.table_last_col
        formats = list(plan.number_formats) + [None] * n
        src = _rc(plan.header_style_from)
        header_src = src[1] if src is not None and src[0] == plan.header_row else 0
        row = self.helpers.setdefault(plan.header_row, {})
        for i, h in enumerate(plan.headers):
            row[plan.start_col + i] = _Helper(h, True, header_src, None, False)
        for r, vals in plan.values.items():
            row = self.helpers.setdefault(r, {})
            for i, v in enumerate(vals):
                row[plan.start_col + i] = _Helper(v, False, edge, formats[i], i == n - 1)
        for m in plan.marks:
            self.marks.setdefault(m.row, set()).add(m.col)
        for i in range(n):
            self.widths[plan.start_col + i] = 30 if i == n - 1 else 8

    def clears(self, r: int) -> set[int]:
        out: set[int] = set()
        for plan in self.plans:
            r1, r2 = plan.clear_rows
            if r1 <= r <= r2:
                out.update(plan.clear_columns)
        return out

    def unfills(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        if self.notes is not None:
            for r, c in self.notes.removed:
                out.setdefault(r, set()).add(c)
        return out


_CELL_REF = re.compile(rb'\sr="([A-Za-z]{1,3})(\d+)"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')


class _SheetWriter:
    """Stream one worksheet part from ``src`` to ``dst`` with the edits applied."""

    def __init__(self, edit: _SheetEdit, styles: _Styles, src: IO[bytes], dst: Any) -> None:
        self.edit, self.styles, self.src, self.dst = edit, styles, src, dst
        self.buf = b""
        self.eof = False
        self.col_styles: list[tuple[int, int, int]] = []
        self.pending: list[int] = []  # rows to create (helper cells or marks, no row yet)
        self.next_pending = 0
        self.unfill: dict[int, set[int]] = {}
        self.p = ""
        self.root_tag: str | None = None
        self.cell_re: re.Pattern[bytes] | None = None

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.src.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def run(self) -> str | None:
        """Write the part; returns the relationship id of its ``<legacyDrawing>`` (or None)."""
        edit = self.edit
        while True:
            m = re.search(rb"<([\w.-]+:)?sheetData\b[^>]*?(/?)>", self.buf)
            if m is not None:
                break
            if len(self.buf) > _HEAD_LIMIT or not self._fill():
                raise SourceCopyError("工作表缺少 sheetData")
        p = (m.group(1) or b"").decode("ascii")
        self.p = p
        self.pending = sorted(set(edit.helpers) | set(edit.marks))
        self.unfill = edit.unfills()
        head = _text(self.buf[: m.start()], "工作表")
        head = self._head(head, p)
        self.dst.write(head.encode("utf-8"))
        if not edit.plans:  # only the selection changes: the rest as it is
            self.dst.write(self.buf[m.start() :])
            while self._fill():
                self.dst.write(self.buf)
                self.buf = b""
            return None
        if m.group(2):  # <sheetData/>
            self.dst.write(f"<{p}sheetData>".encode())
            self.buf = self.buf[m.end() :]
            self._rows_done(0)
            self.dst.write(f"</{p}sheetData>".encode())
        else:
            self.dst.write(self.buf[m.start() : m.end()])
            self.buf = self.buf[m.end() :]
            self._rows()
        while self._fill():
            pass
        tail = _text(self.buf, "工作表")
        tail, rid = self._tail(tail, p)
        self.dst.write(tail.encode("utf-8"))
        return rid

    # -- head: selection, columns, dimension -------------------------------------------------

    def _head(self, head: str, p: str) -> str:
        edit = self.edit
        root = re.search(rf"<{p}worksheet\b{_ATTRS}\s*>", head)
        if root is None:
            raise SourceCopyError("不是工作表部件")
        self.root_tag = root.group(0)
        views = _element(head, p, "sheetViews")
        if views is not None and edit.untick:
            inner = re.sub(
                rf"<{p}sheetView\b{_ATTRS}\s*/?>",
                lambda m: _drop(m.group(0), "tabSelected"),
                head[views.open_end : views.close_start],
            )
            head = head[: views.open_end] + inner + head[views.close_start :]
        if not edit.plans:
            return head
        cols = _element(head, p, "cols")
        parsed: list[tuple[int, int, str]] = []
        if cols is not None and not cols.empty:
            for c in re.findall(
                rf"<{p}col\b{_ATTRS}\s*/?>", head[cols.open_end : cols.close_start]
            ):
                lo, hi = _get(c, "min"), _get(c, "max")
                if lo is None or hi is None or not lo.isdigit() or not hi.isdigit():
                    raise SourceCopyError("列宽无法解析")
                parsed.append((int(lo), int(hi), c))
                style = _get(c, "style")
                if style is not None and style.isdigit():
                    self.col_styles.append((int(lo), int(hi), int(style)))
        new_cols = self._cols(parsed, p)
        if cols is not None:
            head = head[: cols.start] + new_cols + head[cols.end :]
        else:
            head = head + new_cols  # <cols> comes right before <sheetData>
        dim = _element(head, p, "dimension")
        if dim is not None:
            ref = _get(head[dim.start : dim.open_end], "ref") or "A1"
            first, _, last = ref.partition(":")
            a, b = _rc(first), _rc(last or first)
            if a is not None and b is not None:
                rows = [*self.edit.helpers, *self.edit.marks]
                cols_used = [c for row in self.edit.helpers.values() for c in row]
                cols_used += [c for row in self.edit.marks.values() for c in row]
                r1, c1 = min(a[0], *rows), min(a[1], *cols_used)
                r2, c2 = max(b[0], *rows), max(b[1], *cols_used)
                tag = _set(
                    head[dim.start : dim.open_end], "ref", f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"
                )
                head = head[: dim.start] + tag + head[dim.open_end :]
        return head

    def _cols(self, parsed: list[tuple[int, int, str]], p: str) -> str:
        """``<cols>`` with the helper columns' widths (a range over them is split)."""
        widths = self.edit.widths
        out: list[tuple[int, str]] = []
        covered: set[int] = set()
        for lo, hi, tag in parsed:
            inside = sorted(c for c in widths if lo <= c <= hi)
            if not inside:
                out.append((lo, tag))
                continue
            start = lo
            for c in inside:
                covered.add(c)
                if start < c:
                    out.append((start, _set(_set(tag, "min", str(start)), "max", str(c - 1))))
                w = widths[c]
                one = _set(_set(tag, "min", str(c)), "max", str(c))
                if _get(one, "width") != f"{w:g}" or _get(one, "customWidth") not in ("1", "true"):
                    one = _set(_set(one, "width", f"{w:g}"), "customWidth", "1")
                out.append((c, one))
                start = c + 1
            if start <= hi:
                out.append((start, _set(_set(tag, "min", str(start)), "max", str(hi))))
        for c, w in widths.items():
            if c not in covered:
                out.append((c, f'<{p}col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'))
        out.sort(key=lambda x: x[0])
        return f"<{p}cols>" + "".join(t for _, t in out) + f"</{p}cols>"

    def _col_style(self, c: int) -> int:
        for lo, hi, s in self.col_styles:
            if lo <= c <= hi:
                return s
        return 0

    # -- rows ---------------------------------------------------------------------------------

    def _rows(self) -> None:
        p = self.p.encode("ascii")
        row_start = re.compile(rb"<" + re.escape(p) + rb"row\b")
        end_tag = b"</" + p + b"sheetData>"
        # (a row's or a cell's attributes are numbers and names: never a ">")
        row_re = re.compile(
            rb"<" + re.escape(p) + rb"row\b[^>]*?(?:/>|>.*?</" + re.escape(p) + rb"row>)", re.S
        )
        last = 0
        pos = 0
        out: list[bytes] = []
        size = 0
        end_at = self.buf.find(end_tag)  # searched again only when the buffer changes
        while True:
            m = row_start.search(self.buf, pos)
            e = end_at if end_at >= pos else -1
            if e >= 0 and (m is None or e < m.start()):
                out.append(self.buf[pos:e])
                self._flush(out)
                self._rows_done(last)
                self.dst.write(end_tag)
                self.buf = self.buf[e + len(end_tag) :]
                return
            if m is None:
                keep = max(pos, len(self.buf) - len(end_tag))
                out.append(self.buf[pos:keep])
                self.buf, pos = self.buf[keep:], 0
                self._flush(out)
                if not self._fill():
                    raise SourceCopyError("工作表不完整")
                end_at = self.buf.find(end_tag)
                continue
            row = row_re.match(self.buf, m.start())
            if row is None:  # the row goes on in the next chunk
                out.append(self.buf[pos : m.start()])
                self.buf, pos = self.buf[m.start() :], 0
                self._flush(out)
                if not self._fill():
                    raise SourceCopyError("工作表不完整")
                end_at = self.buf.find(end_tag)
                continue
            out.append(self.buf[pos : m.start()])
            xml = row.group(0)
            tag_end = xml.index(b">") + 1
            r_attr = re.search(rb'\sr="(\d+)"', xml[:tag_end])
            r = int(r_attr.group(1)) if r_attr else last + 1
            if r <= last:
                raise SourceCopyError("工作表的行顺序不对")
            pending, k = self.pending, self.next_pending
            while k < len(pending) and pending[k] < r:
                out.append(self._new_row(pending[k]))
                k += 1
            if k < len(pending) and pending[k] == r:
                k += 1
            self.next_pending = k
            if (
                r in self.edit.helpers
                or r in self.edit.marks
                or r in self.unfill
                or self.edit.clears(r)
            ):
                xml = self._row(xml, tag_end, r, r_attr is None)
            out.append(xml)
            last = r
            pos = row.end()
            size += len(xml)
            if size > _CHUNK:
                self.buf, pos = self.buf[pos:], 0
                end_at = self.buf.find(end_tag)
                self._flush(out)
                size = 0

    def _flush(self, out: list[bytes]) -> None:
        if out:
            self.dst.write(b"".join(out))
            out.clear()

    def _rows_done(self, last: int) -> None:
        rows = [self._new_row(r) for r in self.pending[self.next_pending :] if r > last]
        self.next_pending = len(self.pending)
        if rows:
            self.dst.write(b"".join(rows))

    def _new_row(self, r: int) -> bytes:
        p = self.p
        return self._row(f'<{p}row r="{r}"/>'.encode(), len(f'<{p}row r="{r}"/>'), r, False)

    def _row(self, xml: bytes, tag_end: int, r: int, add_r: bool) -> bytes:
        p = self.p.encode("ascii")
        styles = self.styles
        tag = xml[:tag_end].decode("utf-8")
        body = b"" if tag.endswith("/>") else xml[tag_end : len(xml) - len(b"</" + p + b"row>")]
        cell_re = self.cell_re
        if cell_re is None:
            cell_re = self.cell_re = re.compile(
                rb"<" + re.escape(p) + rb"c\b[^>]*?(?:/>|>.*?</" + re.escape(p) + rb"c>)", re.S
            )
        cells: list[tuple[int, bytes]] = []
        s_of: dict[int, int] = {}
        col = 0
        pos = 0
        named = True
        for m in cell_re.finditer(body):
            if m.start() != pos and body[pos : m.start()].strip():
                raise SourceCopyError("工作表的行无法解析")
            pos = m.end()
            c = m.group(0)
            end = c.index(b">")
            ref = _CELL_REF.search(c, 0, end)
            if ref is None:
                named = False
                col += 1
            else:
                col = col_number(ref.group(1).decode("ascii"))
                if int(ref.group(2)) != r:
                    raise SourceCopyError("单元格不在所在行")
            s = _S_ATTR.search(c, 0, end)
            s_of[col] = int(s.group(1)) if s else 0
            cells.append((col, c))
        if pos != len(body) and body[pos:].strip():
            raise SourceCopyError("工作表的行无法解析")
        helpers = self.edit.helpers.get(r, {})
        marks = self.edit.marks.get(r, set())
        clears = self.edit.clears(r)
        unfill = self.unfill.get(r, set())
        out: list[tuple[int, bytes]] = []
        for col, c in cells:
            if col in helpers or col in clears:
                continue
            if not named:
                c = _with_ref(c, cell_ref(r, col))
            if col in marks:
                c = _with_s(c, styles.mark(s_of[col]))
            elif col in unfill and styles.has_error_fill(s_of[col]):
                c = _with_s(c, styles.unfill(s_of[col]))
            out.append((col, c))
        row_s = _get(tag, "s") if _get(tag, "customFormat") in ("1", "true") else None
        for col in marks:  # a marked cell the row does not have: styled as the row or column
            if col in s_of or col in helpers:
                continue
            base = int(row_s) if row_s is not None and row_s.isdigit() else self._col_style(col)
            ref = cell_ref(r, col)
            out.append((col, f'<{self.p}c r="{ref}" s="{styles.mark(base)}"/>'.encode()))
        for col, h in helpers.items():
            src = s_of.get(h.src_col, 0)
            if h.header:
                s = styles.header(src)
            else:
                s = styles.value(styles.font(src), h.number_format, h.wrap)
            out.append((col, _cell(self.p, cell_ref(r, col), h.value, s)))
        out.sort(key=lambda x: x[0])
        if add_r:
            tag = _set(tag, "r", str(r))
        spans = _get(tag, "spans")
        if spans is not None and out:
            lo, _, hi = spans.partition(":")
            if lo.isdigit() and hi.isdigit():
                top = max(int(hi), out[-1][0])
                tag = _set(tag, "spans", f"{lo}:{top}")
            else:
                tag = _drop(tag, "spans")
        if tag.endswith("/>"):
            tag = tag[:-2].rstrip() + ">"
        return tag.encode("utf-8") + b"".join(c for _, c in out) + b"</" + p + b"row>"

    # -- tail: the notes' drawing ---------------------------------------------------------------

    def _tail(self, tail: str, p: str) -> tuple[str, str | None]:
        close = tail.rfind(f"</{p}worksheet>")
        if close < 0:
            raise SourceCopyError("工作表不完整")
        found = None
        for name, start, end in _top_level(tail, 0, close):
            if name == "legacyDrawing":
                found = _rel_id(tail[start:end])
        if found is not None or self.edit.vml_rid is None:
            return tail, found
        at = close
        for name, start, _end in _top_level(tail, 0, close):
            if name in (
                "legacyDrawingHF",
                "drawingHF",
                "picture",
                "oleObjects",
                "controls",
                "webPublishItems",
                "tableParts",
                "extLst",
            ):
                at = start
                break
        rp = re.search(rf'xmlns:([\w.-]+)\s*=\s*"{re.escape(_OFFICE_REL)}"', self.root_tag or "")
        if rp is not None:
            el = f'<{p}legacyDrawing {rp.group(1)}:id="{self.edit.vml_rid}"/>'
        else:
            el = f'<{p}legacyDrawing xmlns:r="{_OFFICE_REL}" r:id="{self.edit.vml_rid}"/>'
        return tail[:at] + el + tail[at:], None


def _with_s(cell: bytes, s: int) -> bytes:
    end = cell.index(b">")
    start_tag = cell[:end]
    new = f' s="{s}"'.encode()
    if _S_ATTR.search(start_tag):
        start_tag = _S_ATTR.sub(new, start_tag, count=1)
    else:
        start_tag = start_tag[:-1] + new + b"/" if start_tag.endswith(b"/") else start_tag + new
    return start_tag + cell[end:]


def _with_ref(cell: bytes, ref: str) -> bytes:
    m = re.match(rb"<[\w.:-]+", cell)
    assert m is not None
    return cell[: m.end()] + f' r="{ref}"'.encode() + cell[m.end() :]


def _cell(p: str, ref: str, value: Any, s: int) -> bytes:
    if value is None or value == "":
        return f'<{p}c r="{ref}" s="{s}"/>'.encode()
    if isinstance(value, bool):
        return f'<{p}c r="{ref}" s="{s}" t="b"><{p}v>{int(value)}</{p}v></{p}c>'.encode()
    if isinstance(value, int | float):
        text = repr(value) if isinstance(value, float) else str(value)
        if text.endswith(".0"):
            text = text[:-2]
        if text in ("nan", "inf", "-inf"):
            return f'<{p}c r="{ref}" s="{s}" t="e"><{p}v>#NUM!</{p}v></{p}c>'.encode()
        return f'<{p}c r="{ref}" s="{s}"><{p}v>{text}</{p}v></{p}c>'.encode()
    text = escape_text(str(value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return (
        f'<{p}c r="{ref}" s="{s}" t="inlineStr"><{p}is><{p}t{space}>{text}</{p}t></{p}is></{p}c>'
    ).encode()


# --------------------------------------------------------------------------------------------
# The standard sheets: written by StandardSheets with style indices past the user's
# --------------------------------------------------------------------------------------------


def _shifted_sheets_class() -> type:
    from perfsheet.io.summary_writer import StandardSheets
    from perfsheet.io.xlsx_splice import RowRender

    class _ShiftedSheets(StandardSheets):  # type: ignore[misc, valid-type]
        """:class:`StandardSheets` whose spooled rows name their cell formats by their index in
        the output's styles.xml (XlsxWriter's index + the user's cell-format count)."""

        def __init__(self, *args: Any, xf_offset: int, **kwargs: Any) -> None:
            self.xf_offset = xf_offset
            super().__init__(*args, **kwargs)

        def _render(self, sheet: Any) -> Any:
            if sheet.render is None:
                cols, max_col, wrapped = super()._render(sheet)
                off = self.xf_offset

                def shift(attr: str) -> str:
                    m = re.fullmatch(r' s="(\d+)"', attr)
                    return f' s="{int(m.group(1)) + off}"' if m else attr

                sheet.render = RowRender(
                    [(a, shift(s), shift(ls)) for a, s, ls in cols], max_col, wrapped
                )
            return sheet.render

    return _ShiftedSheets


_STD_REF = re.compile(r'\s(s|style|dxfId)="(\d+)"')


def _shift_std_sheet(xml: str, xf_offset: int, dxf_offset: int) -> str:
    """XlsxWriter's own cells, rows, columns and conditional formats of a standard sheet with
    their style indices moved past the user's (the sheet XML before the rows are spliced in:
    titles, headers, the total row — small)."""

    def fix_attr(m: re.Match[str]) -> str:
        off = dxf_offset if m.group(1) == "dxfId" else xf_offset
        return f' {m.group(1)}="{int(m.group(2)) + off}"'

    return re.sub(
        r"<(?:c|row|col|cfRule)\s[^>]*>", lambda m: _STD_REF.sub(fix_attr, m.group(0)), xml
    )


@dataclass
class _Standard:
    """The standard sheets' package (XlsxWriter's, rows not spliced in yet)."""

    z: zipfile.ZipFile
    sheets: list[tuple[str, str, str]]  # (sheet name, <sheet/> tag, part)
    rename: dict[str, str]  # its part -> the output's part name
    names: list[str]  # its <definedName> elements
    styles: str
    ct: str

    @classmethod
    def read(cls, z: zipfile.ZipFile, taken: set[str]) -> _Standard:
        wb = z.read("xl/workbook.xml").decode("utf-8")
        rels = {r.id: r for r in parse_rels(z.read("xl/_rels/workbook.xml.rels").decode(), "xl")}
        sheets = []
        for tag in re.findall(r"<sheet\b[^>]*/>", wb):
            rel = rels[_rel_id(tag) or ""]
            sheets.append((_get(tag, "name") or "", tag, rel.part))
        names = set(z.namelist())
        rename: dict[str, str] = {}
        todo = [part for _, _, part in sheets]
        while todo:
            part = todo.pop()
            if part in rename:
                continue
            d, f = posixpath.split(part)
            new = posixpath.join(d, _PREFIX + f)
            while new in taken:
                new = posixpath.join(d, _PREFIX + posixpath.basename(new))
            rename[part] = new
            taken.add(new)
            rp = rels_name(part)
            if rp in names:
                todo += [r.part for r in parse_rels(z.read(rp).decode(), d) if r.part in names]
        return cls(
            z=z,
            sheets=sheets,
            rename=rename,
            names=re.findall(r"<definedName\b[^>]*>.*?</definedName>", wb, re.S),
            styles=z.read("xl/styles.xml").decode("utf-8"),
            ct=z.read("[Content_Types].xml").decode("utf-8"),
        )

    def content_type(self, part: str) -> str:
        for m in re.finditer(r"<Override\b[^>]*>", self.ct):
            if _get(m.group(0), "PartName") == "/" + part:
                return _get(m.group(0), "ContentType") or ""
        raise SourceCopyError(f"no content type for {part}")

    def write(self, out: ZipOut, spools: Any, styles: _Styles) -> None:
        from perfsheet.io.xlsx_splice import _write_spliced

        parts = {part: name for name, _, part in self.sheets}
        for part, new in self.rename.items():
            info = self.z.getinfo(part)
            if part in parts:
                xml = _shift_std_sheet(
                    self.z.read(part).decode("utf-8"), styles.xf_offset, styles.dxf_offset
                )
                spool = spools.by_sheet.get(parts[part])
                if spool is not None and spool.first_row:
                    _write_spliced(out, new, xml, spool)
                else:
                    out.add_bytes(new, xml.encode("utf-8"))
            else:
                out.add_raw(new, self.z, info)
            rp = rels_name(part)
            if rp in self.z.namelist():
                d = posixpath.dirname(part)

                def retarget(m: re.Match[str], d: str = d) -> str:
                    p = part_name(xml_unescape(m.group(1)), d)
                    return f'Target="/{self.rename[p]}"' if p in self.rename else m.group(0)

                body = re.sub(r'Target="([^"]*)"', retarget, self.z.read(rp).decode("utf-8"))
                out.add_bytes(rels_name(new), body.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# workbook.xml, its relationships, the content types
# --------------------------------------------------------------------------------------------


def _rel_prefix(root_tag: str) -> str | None:
    m = re.search(rf'xmlns:([\w.-]+)\s*=\s*"{re.escape(_OFFICE_REL)}"', root_tag)
    return m.group(1) if m else None


def _workbook_xml(
    pkg: _Package, kept: list[_SheetRef], std: _Standard, rids: list[str], active: str
) -> str:
    xml, wp = pkg.wb, pkg.wp
    root = re.search(rf"<{wp}workbook\b{_ATTRS}\s*>", xml)
    if root is None:
        raise SourceCopyError("工作簿部件无法解析")
    rp = _rel_prefix(root.group(0))
    old_index = {s.tag: i for i, s in enumerate(pkg.sheets)}
    kept_tags = {s.tag for s in kept}
    new_index = {old_index[s.tag]: i for i, s in enumerate(kept)}
    max_id = max([0, *(int(x) for x in re.findall(r'sheetId="(\d+)"', xml))])

    # sheets: the user's (without ours of an earlier run), then the standard ones
    span = _element(xml, wp, "sheets")
    assert span is not None
    inner = xml[span.open_end : span.close_start]
    for s in pkg.sheets:
        if s.tag not in kept_tags:
            inner = inner.replace(s.tag, "", 1)
    for i, ((_name, tag, _part), rid) in enumerate(zip(std.sheets, rids, strict=True), start=1):
        t = _set(_drop(_drop(tag, "r:id"), "sheetId"), "sheetId", str(max_id + i))
        t = t[:-2].rstrip()
        t += f' {rp}:id="{rid}"/>' if rp else f' xmlns:r="{_OFFICE_REL}" r:id="{rid}"/>'
        inner += _prefixed(t, wp)
    xml = xml[: span.open_end] + inner + xml[span.close_start :]

    # defined names: ours of an earlier run go, the others follow their sheet, ours are added
    n_kept = len(kept)
    span = _element(xml, wp, "definedNames")
    names = []
    if span is not None and not span.empty:
        for m in re.finditer(
            rf"<{wp}definedName\b{_ATTRS}\s*(?:/>|>.*?</{wp}definedName>)",
            xml[span.open_end : span.close_start],
            re.S,
        ):
            el = m.group(0)
            tag = el[: el.index(">") + 1]
            local = _get(tag, "localSheetId")
            if local is not None and local.isdigit():
                if int(local) not in new_index:
                    continue
                el = _set(tag, "localSheetId", str(new_index[int(local)])) + el[len(tag) :]
            names.append(el)
    for el in std.names:
        tag = el[: el.index(">") + 1]
        local = _get(tag, "localSheetId")
        if local is not None and local.isdigit():
            el = _set(tag, "localSheetId", str(int(local) + n_kept)) + el[len(tag) :]
        names.append(_prefixed(el, wp))
    block = f"<{wp}definedNames>{''.join(names)}</{wp}definedNames>" if names else ""
    if span is not None:
        xml = xml[: span.start] + block + xml[span.end :]
    elif block:
        body = _element(xml, wp, "workbook")
        assert body is not None
        at = None
        for name, _start, end in _top_level(xml, body.open_end, body.close_start):
            if name in ("sheets", "functionGroups", "externalReferences"):
                at = end
        if at is None:
            raise SourceCopyError("工作簿部件无法解析")
        xml = xml[:at] + block + xml[at:]

    # the active tab: 项目汇总 (its index among the output's sheets)
    active_index = n_kept + [n for n, _, _ in std.sheets].index(active)
    removed = sorted(set(range(len(pkg.sheets))) - set(new_index))

    def view(m: re.Match[str]) -> str:
        tag = _set(m.group(0), "activeTab", str(active_index))
        first = _get(tag, "firstSheet")
        if first is not None and first.isdigit():
            f = int(first)
            f = new_index.get(f, 0) if f in new_index or f in removed else f
            tag = _set(tag, "firstSheet", str(min(f, max(n_kept - 1, 0))))
        return tag

    views = _element(xml, wp, "bookViews")
    if views is None:
        at = _element(xml, wp, "sheets")
        assert at is not None
        block = f'<{wp}bookViews><{wp}workbookView activeTab="{active_index}"/></{wp}bookViews>'
        xml = xml[: at.start] + block + xml[at.start :]
    else:
        inner = re.sub(
            rf"<{wp}workbookView\b{_ATTRS}\s*/?>", view, xml[views.open_end : views.close_start]
        )
        if not re.search(rf"<{wp}workbookView\b", inner):
            inner += f'<{wp}workbookView activeTab="{active_index}"/>'
        if views.empty:
            tag = xml[views.start : views.open_end][:-2].rstrip() + ">"
            xml = xml[: views.start] + tag + inner + f"</{wp}bookViews>" + xml[views.end :]
        else:
            xml = xml[: views.open_end] + inner + xml[views.close_start :]
    return xml


def _rels_xml(xml: str, drop: set[str], add: list[tuple[str, str, str]]) -> str:
    """A relationships part without the relationships ``drop`` (ids), with ``add`` (id, type
    URI, absolute target) appended."""
    for m in list(re.finditer(r"<(?:[\w.-]+:)?Relationship\b[^>]*>", xml)):
        if _get(m.group(0), "Id") in drop:
            xml = xml.replace(m.group(0), "", 1)
    p = _prefix_of(xml, "Relationships")
    new = "".join(
        f'<{p}Relationship Id="{i}" Type="{t}" Target="/{target}"/>' for i, t, target in add
    )
    end = xml.rfind(f"</{p}Relationships>")
    if end < 0:
        raise SourceCopyError("关系部件无法解析")
    return xml[:end] + new + xml[end:]


def _new_rels(add: list[tuple[str, str, str]]) -> str:
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_REL_NS}"></Relationships>'
    )
    return _rels_xml(xml, set(), add)


def _unique_id(taken: set[str], base: str) -> str:
    i = 1
    while f"{base}{i}" in taken:
        i += 1
    taken.add(f"{base}{i}")
    return f"{base}{i}"


def _unique_part(taken: set[str], pattern: str) -> str:
    i = 1
    while pattern.format(i) in taken:
        i += 1
    taken.add(pattern.format(i))
    return pattern.format(i)


def _content_types(
    pkg: _Package,
    drop: set[str],
    overrides: list[tuple[str, str]],
    defaults: list[tuple[str, str]],
) -> str:
    xml = pkg.ct
    p = _prefix_of(xml, "Types")
    for m in list(re.finditer(rf"<{p}Override\b[^>]*>", xml)):
        tag = m.group(0)
        part = (_get(tag, "PartName") or "").lstrip("/")
        if part in drop:
            xml = xml.replace(tag, "", 1)
        elif part == pkg.workbook and (_get(tag, "ContentType") or "") != _CT_MAIN:
            # the output is an .xlsx: a macro-enabled or template workbook part would make Excel
            # refuse the file (vbaProject.bin and its relationship stay as they are)
            xml = xml.replace(tag, _set(tag, "ContentType", _CT_MAIN), 1)
    have = {
        (_get(m.group(0), "Extension") or "").lower()
        for m in re.finditer(rf"<{p}Default\b[^>]*>", xml)
    }
    add = [
        f'<{p}Default Extension="{ext}" ContentType="{ct}"/>'
        for ext, ct in defaults
        if ext.lower() not in have
    ]
    add += [f'<{p}Override PartName="/{part}" ContentType="{ct}"/>' for part, ct in overrides]
    end = xml.rfind(f"</{p}Types>")
    if end < 0:
        raise SourceCopyError("内容类型部件无法解析")
    return xml[:end] + "".join(add) + xml[end:]


# --------------------------------------------------------------------------------------------
# The whole copy
# --------------------------------------------------------------------------------------------


def _selected(pkg: _Package, part: str) -> bool:
    """Whether a sheet part was selected when saved (``tabSelected`` in its sheet views; read
    from the start of the part only)."""
    head = b""
    try:
        with pkg.z.open(part) as fh:
            while len(head) < _HEAD_LIMIT:
                chunk = fh.read(1 << 16)
                if not chunk:
                    break
                head += chunk
                if re.search(rb"</(?:[\w.-]+:)?sheetViews>|<(?:[\w.-]+:)?sheetData\b", head):
                    break
    except Exception as err:
        raise SourceCopyError(f"无法读取部件 {part}") from err
    views = re.search(rb"<(?:[\w.-]+:)?sheetViews\b.*?(?:</(?:[\w.-]+:)?sheetViews>|$)", head, re.S)
    return (
        views is not None
        and re.search(rb'\stabSelected\s*=\s*["\'](?:1|true)["\']', views.group(0)) is not None
    )


@dataclass
class _Plan:
    """Everything decided before the standard sheets are written (and the plan consumed)."""

    pkg: _Package
    kept: list[_SheetRef]
    drop: set[str]
    drop_wb_rels: set[str]
    edits: dict[str, _SheetEdit]
    styles: _Styles
    ct_drop: set[str] = field(default_factory=set)
    overrides: list[tuple[str, str]] = field(default_factory=list)
    defaults: list[tuple[str, str]] = field(default_factory=list)
    deferred: set[str] = field(default_factory=set)  # parts written after the sheets
    removed: set[str] = field(default_factory=set)  # parts of the input left out on purpose
    vml_blocks: set[int] | None = None  # shape-id blocks used by the package's VML drawings
    taken: set[str] = field(default_factory=set)  # part names in use in the output


def _prepare(
    z: zipfile.ZipFile,
    annotations: Sequence[AnnotationPlan],
    own: set[str],
    report: Any,
) -> _Plan:
    pkg = _Package(z)
    kept = [s for s in pkg.sheets if s.name not in own]
    own_refs = [s for s in pkg.sheets if s.name in own]
    if not kept:
        raise SourceCopyError("没有用户的工作表")
    drop: set[str] = set()
    drop_wb_rels = {s.rid for s in own_refs}
    if own_refs:
        graph = pkg.graph()
        own_parts = {s.part for s in own_refs}
        keep = _reach(graph, [""], own_parts)
        drop = _reach(graph, sorted(own_parts), set()) - keep
        for rel in pkg.wb_rels:
            if rel.type == "calcChain":  # it lists the removed sheets' cells
                drop.add(rel.part)
                drop_wb_rels.add(rel.id)
        drop |= {rels_name(p) for p in drop if rels_name(p) in pkg.infos}
    styles = _Styles(pkg.text(pkg.styles_part))
    plan = _Plan(pkg, kept, drop, drop_wb_rels, {}, styles)
    plan.taken = set(pkg.infos) - drop
    for ann in annotations:
        if ann.blocked:
            report.skipped.append(ann.blocked)
        elif _annotated(plan, ann.sheet) is not None:
            report.annotated.append(ann.sheet)
    return plan


def _annotated(plan: _Plan, sheet: str) -> _SheetRef | None:
    """The worksheet of the copy that gets the helper columns of ``sheet``'s tables."""
    ref = {s.name: s for s in plan.kept}.get(sheet)
    return ref if ref is not None and ref.kind == "worksheet" else None


def _prepare_edits(plan: _Plan, annotations: Sequence[AnnotationPlan]) -> None:
    """The sheet edits of the finished ``annotations`` (the same, in the same order, as
    :func:`_prepare` saw), the selected tabs, and the notes parts they change."""
    pkg, kept = plan.pkg, plan.kept
    for ann in annotations:
        ref = None if ann.blocked else _annotated(plan, ann.sheet)
        if ref is not None:
            plan.edits.setdefault(ref.part, _SheetEdit(ref)).add_plan(ann)
    for ref in kept:
        if ref.kind in _SHEET_KINDS and _selected(pkg, ref.part):
            plan.edits.setdefault(ref.part, _SheetEdit(ref)).untick = True
    for part, edit in plan.edits.items():
        if not edit.plans:
            continue
        rels = pkg.rels(part)
        comments = [r.part for r in rels if r.type == "comments" and r.part in pkg.infos]
        edit.notes = _read_notes(pkg, comments[0] if comments else None, edit.plans)
        if edit.notes.changed:
            plan.deferred.add(rels_name(part))
            plan.deferred |= {r.part for r in rels if r.type in ("comments", "vmlDrawing")}
        if edit.notes.new:
            taken_ids = {r.id for r in rels}
            edit.vml_rid = _unique_id(taken_ids, "rIdPerfsheetVml")
            plan.defaults.append(("vml", _CT_VML))
            if edit.notes.part is None:
                edit.notes.part = _unique_part(plan.taken, "xl/comments{}.xml")
                edit.notes.created = True
                plan.overrides.append((edit.notes.part, _CT_COMMENTS))
                edit.notes_rid = _unique_id(taken_ids, "rIdPerfsheetComments")
        if edit.notes.part is not None and edit.notes.render() is None:
            plan.ct_drop.add(edit.notes.part)  # every note was perfsheet's: the part goes
            plan.removed.add(edit.notes.part)


def write_with_source_copy(
    out: Path,
    source: Path,
    plan: SummaryPlan,
    spec: Any,
    result: WorkbookResult,
    annotations: Sequence[AnnotationPlan] | Sequence[AnnotationBuilder],
    report: Any,
    own: set[str] | frozenset[str] = frozenset(),
    *,
    analyses: Sequence[TableAnalysis] | None = None,
) -> None:
    """Write ``out``: the user's package ``source`` with helper columns and marks, plus the
    standard sheets of ``plan`` (see the module docstring). Raises :class:`SourceCopyError`
    for a package this copy does not understand: before anything is written when it can be
    seen from the package's small parts, else while the sheets are copied.

    ``result`` is the analyzed input and ``annotations`` its plans; or, with ``analyses`` (the
    input analyzed project by project, nothing completed yet), ``result`` holds only their
    tables (the titles' placeholders) and ``annotations`` are their
    :class:`~perfsheet.core.annotations.AnnotationBuilder` (one per analysis, in order): each
    is fed its table's projects as their rows are written, and finished before the user's
    sheets are copied."""
    from perfsheet.io.summary_writer import _workbook, placeholders_for, source_default_font

    try:
        z = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise SourceCopyError("不是 zip 压缩包") from err
    with z:
        with _unexpected():
            prep = _prepare(z, annotations, set(own), report)
            if analyses is None:
                _prepare_edits(prep, cast("Sequence[AnnotationPlan]", annotations))
        font = source_default_font(source) or spec.default_font
        sheets_class = _shifted_sheets_class()
        builders = cast("Sequence[AnnotationBuilder]", annotations if analyses is not None else ())

        def finish(package: Path, spools: Any, path: Path) -> None:
            plans = [b.finish() for b in builders]
            with _unexpected():
                if analyses is not None:
                    _prepare_edits(prep, plans)
                _assemble(prep, package, spools, path, plan.sheet_names[SHEET_PROJECTS])

        def each(k: int, done: ProjectAnalysis) -> None:
            builders[k].add_project(
                done.unit, done.project, done.indicator_findings, done.audit_findings
            )

        with _workbook(
            out, constant_memory=True, font=font, when=plan.generated_at, finish=finish
        ) as book:
            sheets = sheets_class(
                book.wb,
                plan,
                spec,
                spools=book.spools,
                placeholders=placeholders_for(plan, [result]),
                xf_offset=prep.styles.xf_offset,
            )
            if analyses is None:
                sheets.add(result, source.name)
            else:
                sheets.add_tables(analyses, source.name, each=each)
            sheets.finish()


@contextlib.contextmanager
def _unexpected() -> Iterator[None]:
    """Anything a package we do not understand can make this code raise becomes a
    :class:`SourceCopyError` (the caller rebuilds the sheets from their values): the input passed
    the reader's checks, so it is a workbook, only not one this copy can handle. Not the
    failures that must reach the user as they are: a full disk, memory, the time limit."""
    try:
        yield
    except (SourceCopyError, OSError, MemoryError, PerfsheetError):
        raise
    except Exception as err:
        raise SourceCopyError(f"{type(err).__name__}") from err


def _assemble(prep: _Plan, package: Path, spools: Any, path: Path, active: str) -> None:
    pkg = prep.pkg
    with zipfile.ZipFile(package) as sz, open(path, "wb") as fp:
        std = _Standard.read(sz, prep.taken)
        prep.styles.add_standard(std.styles)
        rids: list[str] = []
        taken_ids = {r.id for r in pkg.wb_rels}
        for _ in std.sheets:
            rids.append(_unique_id(taken_ids, "rIdPerfsheet"))
        wb_xml = _workbook_xml(pkg, prep.kept, std, rids, active)
        wb_rels = _rels_xml(
            pkg.text(pkg.wb_rels_part),
            prep.drop_wb_rels,
            [
                (rid, f"{_OFFICE_REL}/worksheet", std.rename[part])
                for rid, (_n, _t, part) in zip(rids, std.sheets, strict=True)
            ],
        )
        overrides = list(prep.overrides)
        overrides += [(new, std.content_type(part)) for part, new in std.rename.items()]
        defaults = list(prep.defaults)
        for m in re.finditer(r"<Default\b[^>]*>", std.ct):
            ext, ct = _get(m.group(0), "Extension"), _get(m.group(0), "ContentType")
            if ext and ct:
                defaults.append((ext, ct))
        ct = _content_types(pkg, prep.drop | prep.ct_drop, overrides, defaults)

        out = ZipOut(fp)
        for info in pkg.z.infolist():
            name = info.filename
            if name in prep.drop or name in prep.deferred or name == pkg.styles_part:
                continue
            if name == "[Content_Types].xml":
                out.add_bytes(name, ct.encode("utf-8"))
            elif name == pkg.workbook:
                out.add_bytes(name, wb_xml.encode("utf-8"))
            elif name == pkg.wb_rels_part:
                out.add_bytes(name, wb_rels.encode("utf-8"))
            elif name in prep.edits:
                _write_sheet(prep, prep.edits[name], out)
            else:
                out.add_raw(name, pkg.z, info)
        written = set(out.names)
        for name in sorted(prep.deferred - written - prep.removed):
            if name in pkg.infos and name not in out.names:
                out.add_raw(name, pkg.z, pkg.infos[name])
        std.write(out, spools, prep.styles)
        out.add_bytes(pkg.styles_part, prep.styles.render().encode("utf-8"))
        out.close()


def _write_sheet(prep: _Plan, edit: _SheetEdit, out: ZipOut) -> None:
    """Stream one sheet part into ``out``, then its notes and relationships when they change."""
    pkg = prep.pkg
    part = edit.ref.part
    try:
        with pkg.z.open(part) as src, out.open(part) as dst:
            if edit.ref.kind != "worksheet":  # a chart sheet: only its selection changes
                xml = _text(src.read(), "工作表")
                xml = re.sub(
                    r"<(?:[\w.-]+:)?sheetView\b" + _ATTRS + r"\s*/?>",
                    lambda m: _drop(m.group(0), "tabSelected"),
                    xml,
                )
                dst.write(xml.encode("utf-8"))
                return
            legacy = _SheetWriter(edit, prep.styles, src, dst).run()
    except SourceCopyError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise SourceCopyError(f"无法读取部件 {part}") from err
    except Exception as err:
        import zlib

        if isinstance(err, zlib.error):
            raise SourceCopyError(f"无法读取部件 {part}") from err
        raise
    notes = edit.notes
    if notes is None or not notes.changed:
        return
    rels = pkg.rels(part)
    by_id = {r.id: r for r in rels}
    drop_ids: set[str] = set()
    add: list[tuple[str, str, str]] = []
    # the comments part
    body = notes.render()
    comment_rels = [r for r in rels if r.type == "comments"]
    if body is None:
        drop_ids |= {r.id for r in comment_rels}
    else:
        assert notes.part is not None
        out.add_bytes(notes.part, body.encode("utf-8"))
        if not comment_rels:
            assert edit.notes_rid is not None
            add.append((edit.notes_rid, f"{_OFFICE_REL}/comments", notes.part))
    # the drawing of the notes
    vml_rel = by_id.get(legacy) if legacy is not None else None
    if notes.new and prep.vml_blocks is None:  # the shape-id blocks of every drawing
        prep.vml_blocks = set()
        for name in pkg.infos:
            if name.lower().endswith(".vml") and name not in prep.drop:
                prep.vml_blocks |= _vml_blocks(pkg.read(name))
    taken_blocks = prep.vml_blocks if prep.vml_blocks is not None else set()
    new_cells = sorted(notes.new)
    if vml_rel is not None and vml_rel.part in pkg.infos:
        data = _vml(pkg.read(vml_rel.part), notes.removed, new_cells, taken_blocks)
        out.add_bytes(vml_rel.part, data)
    elif new_cells:
        assert edit.vml_rid is not None
        name = _unique_part(prep.taken, "xl/drawings/vmlDrawing{}.vml")
        out.add_bytes(name, _vml(None, set(), new_cells, taken_blocks))
        add.append((edit.vml_rid, f"{_OFFICE_REL}/vmlDrawing", name))
    for r in rels:  # other drawings of the sheet (header/footer pictures…) as they are
        other = vml_rel is None or r.part != vml_rel.part
        if r.type == "vmlDrawing" and r.part in pkg.infos and r.part not in out.names and other:
            out.add_raw(r.part, pkg.z, pkg.infos[r.part])
    rp = rels_name(part)
    if rp in pkg.infos:
        out.add_bytes(rp, _rels_xml(pkg.text(rp), drop_ids, add).encode("utf-8"))
    elif add:
        out.add_bytes(rp, _new_rels(add).encode("utf-8"))
