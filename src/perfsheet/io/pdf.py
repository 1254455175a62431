"""Read the tables of a published PDF into a :class:`~perfsheet.core.grid.WorkbookGrid`.

Departments publish their 部门预算 as PDF; the 项目支出绩效目标表 is an appendix of it. This
reader turns the ruled tables of such a PDF into the grid the workbook readers produce, so the
core (layouts, page-break fragments, checks) reads it exactly as it reads a workbook.

pdfplumber (MIT, on pdfminer.six) finds the ruled tables of each page (``find_tables``, the
``lines`` strategy) and gives every character with its position; everything else is done here:

- **One sheet for the whole document**, named after the pages that hold table rows
  (``第1-8页``). Each table cell is a grid cell; cells spanning rows or columns become merged
  ranges (value in the top-left cell). Text outside the tables (title, ``部门名称：``,
  ``单位：万元``) becomes rows of its own, in page order, so the core finds the title block.
  ``SheetGrid.pages`` gives, for every grid row, the page and the row of that page's tables
  (``(5, 3)``: page 5, third table row from the top, header included); text rows have row 0.
- **Rows from consecutive pages are one table** when the next page's table repeats the header
  or its columns line up with the previous one (and no text of its own stands between them):
  the repeated header rows are dropped and the columns keep their letters.
- **Page furniture is dropped**: page numbers (``第 3 页``, ``- 3 -``, ``3/12``) and lines
  repeated on several pages outside the tables (running titles; the first one is kept).
- **Cells cut by a page break** stay two rows, as in a workbook converted from the PDF: the
  continuation at the top of the next page is a row without name and amounts, and the core's
  fragment logic joins it (:func:`perfsheet.core.table.join_text`; row lists: the rules of
  :mod:`perfsheet.core.rowlist`). One case the core cannot see is decided here: when the
  continuation row has text in a name column (项目名称, 单位名称) but no amounts while the row
  before the break has amounts (a name cut in two, ``广东粤`` | ``黔工作队…经费``), the two name
  parts are joined and the name cell is merged over both rows, exactly as a workbook whose name
  cell is merged over the fragment row.
- **Wrapped lines are not line breaks.** Text in a PDF cell is wrapped to the cell's width
  (its width less the padding, measured on the table). Between two lines of a cell, from the
  characters' positions: when the start of the next line up to its first break opportunity
  (``值:≥6%。``, ``家。4、2-``; at least its first character with the punctuation that may not
  start a line) would have fitted after the line, the line ended short of the edge and the
  break is real (``\\n``). Otherwise the line was wrapped: with nothing inserted when it ran to
  the edge, even inside a word or a number; with a space when one was drawn at the line end or
  the break fell between two Latin words; after ``,;:`` as the cell does elsewhere (``; `` or
  ``;``), since a space at the end of a full line is not drawn.

- **Tables without rules** (text aligned in columns): on a page without a ruled table, a
  header row is looked for: a band of lines whose phrases side by side (a header cell wrapped
  to two lines is one phrase) name at least three columns of the header catalogue
  (:func:`perfsheet.core.headers.classify`: 项目名称, 总计, 财政拨款, 绩效指标, 一级指标,
  指标值…). Between two header phrases the column edge is the middle of the widest gap the
  characters below leave there (else the midpoint of the two phrases); a run of text goes to
  the column of its centre (character by character when it crosses an edge). A row is a band
  of lines closer than half a line to each other (rows are apart by the cells' padding, and
  a vertically centred cell stays inside its row); a cell's lines are joined by the rules
  below, the cell width being the column's widest line in the document. The table continues
  on the next pages with the same columns: under the repeated header (dropped as for ruled
  tables), or, without one, from the first band whose texts each stay inside a column. The
  cells then go through the same assembly as ruled cells. A page whose header cannot be
  located is not read as a table; a PDF with no table at all is refused.

Every file is untrusted (see :mod:`perfsheet.io.safety` for the limits): the file size, the
declared and actual objects and pages, and the decompressed size of every stream are checked
before pdfminer interprets any page (a stream is decompressed incrementally and abandoned at
the limit). Encrypted PDFs (an open password), truncated or broken files, scans without a text
layer, and PDFs without a table each get one Chinese line (:class:`~perfsheet.errors.InputError`,
exit code 2). pdfplumber is an optional dependency (the extra ``pdf``); without it a PDF gets one
line telling how to install it.
"""

from __future__ import annotations

import bisect
import itertools
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfsheet import limits as L
from perfsheet.core.furniture import is_page_line
from perfsheet.core.grid import CellValue, MergedRange, SheetGrid, WorkbookGrid
from perfsheet.core.headers import classify
from perfsheet.core.table import join_text
from perfsheet.errors import InputError, PerfsheetError
from perfsheet.io import safety

PDF_MAGIC = b"%PDF-"

_NEEDS_PDFPLUMBER = (
    '读取 PDF 需要 pdfplumber，请先安装：python -m pip install "pdfplumber>=0.11,<0.12"'
    "（即 perfsheet 的 [pdf] 附加依赖）"
)
_ENCRYPTED = "PDF 已加密（设有打开密码），请先用 PDF 阅读器取消密码后再试"
_BROKEN = "PDF 文件已损坏，无法读取"
_TRUNCATED = "PDF 文件不完整（文件末尾缺少 %%EOF，可能在下载或复制时被截断）"
_SCAN = (
    "PDF 没有文字层（可能是扫描件或图片），无法读取表格；perfsheet 不做文字识别（OCR），"
    "请使用带文字的 PDF 或原始 Excel 表"
)
_NO_TABLE = (
    "PDF 中没有找到带表格线的表格，也没有找到按列对齐的表格的表头行（如 项目名称、总计、"
    "财政拨款、绩效指标，或 一级指标、三级指标、指标值）；请使用原始 Excel 表或带表格线的 PDF"
)


def is_pdf(head: bytes) -> bool:
    """True when the first bytes of a file are a PDF's (``%PDF-`` within the first 1 KB, as
    PDF readers accept)."""
    return PDF_MAGIC in head[:1024]


def is_pdf_file(path: str | Path) -> bool:
    """True when the file at ``path`` is a PDF by its content (False when it cannot be read)."""
    try:
        with Path(path).open("rb") as fh:
            return is_pdf(fh.read(1024))
    except OSError:
        return False


def _pdfplumber(shown: str) -> Any:
    try:
        import pdfplumber
    except ImportError:
        raise InputError(shown, _NEEDS_PDFPLUMBER) from None
    return pdfplumber


# --------------------------------------------------------------------------------------------
# checks before pdfminer interprets anything


def _check_file(path: Path, shown: str) -> None:
    """Size, the end-of-file marker, and the object counts the trailers declare."""
    size = path.stat().st_size
    if size > L.MAX_FILE_BYTES:
        raise InputError(
            shown,
            f"文件过大（{L.human_bytes(size)}），超过上限 {L.human_bytes(L.MAX_FILE_BYTES)}",
        )
    with path.open("rb") as fh:
        fh.seek(max(0, size - 32768))  # some writers append a few KB after %%EOF
        tail = fh.read()
        if b"%%EOF" not in tail:
            raise InputError(shown, _TRUNCATED)
        fh.seek(0)
        data = fh.read()
    declared = max((int(m.group(1)) for m in _SIZE.finditer(data)), default=0)
    if declared > safety.MAX_PDF_OBJECTS:
        raise InputError(
            shown,
            f"PDF 声明有 {declared:,} 个对象，超过上限 {safety.MAX_PDF_OBJECTS:,} 个",
        )


_SIZE = re.compile(rb"/Size\s+(\d{1,12})")


def _check_document(doc: Any, shown: str) -> None:
    """Objects, pages and the decompressed size of every stream, before any page is read."""
    from pdfminer.pdftypes import PDFStream, resolve1

    direct: set[int] = set()
    packed: set[int] = set()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            try:
                strmid = xref.get_pos(objid)[0]
            except (KeyError, IndexError, TypeError, ValueError):
                continue
            (packed if strmid is not None else direct).add(objid)
    n_objects = len(direct | packed)
    if n_objects > safety.MAX_PDF_OBJECTS:
        raise InputError(
            shown, f"PDF 有 {n_objects:,} 个对象，超过上限 {safety.MAX_PDF_OBJECTS:,} 个"
        )
    budget = [L.MAX_UNCOMPRESSED_BYTES]
    # direct objects first: object streams are checked before anything is read out of them
    for objid in sorted(direct) + sorted(packed - direct):
        try:
            obj = doc.getobj(objid)
        except PerfsheetError:
            raise
        except Exception:
            continue  # a broken object: pdfminer skips it as well
        if isinstance(obj, PDFStream):
            _check_stream(obj, budget, shown)
    pages = resolve1(resolve1(doc.catalog.get("Pages")) or {})
    count = resolve1(pages.get("Count")) if isinstance(pages, dict) else None
    if isinstance(count, int) and count > safety.MAX_PDF_PAGES:
        raise InputError(shown, _too_many_pages(count))


def _too_many_pages(n: int) -> str:
    return f"PDF 有 {n:,} 页，超过上限 {safety.MAX_PDF_PAGES:,} 页"


def _check_stream(stream: Any, budget: list[int], shown: str) -> None:
    """Decode ``stream`` as pdfminer would, counting the output against ``budget`` and stopping
    at the limit (flate and LZW incrementally: a 1 KB stream cannot make 1 GB here)."""
    from pdfminer.ascii85 import ascii85decode, asciihexdecode
    from pdfminer.lzw import LZWDecoder
    from pdfminer.pdftypes import (
        LITERALS_ASCII85_DECODE,
        LITERALS_ASCIIHEX_DECODE,
        LITERALS_FLATE_DECODE,
        LITERALS_LZW_DECODE,
        LITERALS_RUNLENGTH_DECODE,
    )
    from pdfminer.runlength import rldecode

    data = stream.rawdata
    if data is None:
        return
    try:
        if stream.decipher:
            data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
        filters = stream.get_filters()
    except Exception:
        return
    for f, _params in filters:
        if f in LITERALS_FLATE_DECODE:
            out = 0
            d = zlib.decompressobj()
            chunk = data
            try:
                while chunk:
                    part = d.decompress(chunk, 1 << 20)
                    out += len(part)
                    _spend(budget, len(part), shown)
                    chunk = d.unconsumed_tail
                rest = d.flush()
                _spend(budget, len(rest), shown)
                data = b""  # the size is what matters; later filters on it are rare
            except zlib.error:
                return  # pdfminer falls back to a partial decompression: bounded by the input
            return
        if f in LITERALS_LZW_DECODE:
            import io

            for part in LZWDecoder(io.BytesIO(data)).run():
                _spend(budget, len(part), shown)
            return
        try:
            if f in LITERALS_ASCII85_DECODE:
                data = ascii85decode(data)
            elif f in LITERALS_ASCIIHEX_DECODE:
                data = asciihexdecode(data)
            elif f in LITERALS_RUNLENGTH_DECODE:
                if len(data) * 64 > budget[0]:
                    _spend(budget, len(data) * 64, shown)
                data = rldecode(data)
            else:
                return  # images: pdfminer does not decode them
        except Exception:
            return
    _spend(budget, len(data), shown)


def _spend(budget: list[int], n: int, shown: str) -> None:
    budget[0] -= n
    if budget[0] < 0:
        raise InputError(
            shown,
            f"PDF 解压后的内容超过上限 {L.human_bytes(L.MAX_UNCOMPRESSED_BYTES)}（可能是压缩炸弹）",
        )


# --------------------------------------------------------------------------------------------
# characters -> text


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


#: May not start a line (Writer, Word and WPS keep them with the character before).
_NO_START = frozenset("，。；：、？！）》」』】〕…—%‰·,.;:!?)]}”’")
_SPACE = frozenset(" \u00a0\u3000\t")
#: A line may break after these before an ideograph.
_BREAK_AFTER = frozenset("-/，。；：、？！）》」』】〕…")


@dataclass(slots=True)
class _Line:
    chars: list[dict[str, Any]]
    mid: float
    size: float
    lead: bool = False  # a space was drawn at its start
    trail: bool = False  # … at its end (the line broke at a space)

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return self.chars[-1]["x1"]


def _lines(chars: Iterable[dict[str, Any]]) -> list[_Line]:
    """Characters grouped into lines (top to bottom), each line left to right, without
    spaces at its ends and without duplicated characters (overprinted bold)."""
    out: list[_Line] = []
    for ch in sorted(chars, key=lambda c: c["top"]):
        size = ch["size"] or (ch["bottom"] - ch["top"]) or 1.0
        mid = (ch["top"] + ch["bottom"]) / 2
        for line in reversed(out[-3:]):
            if abs(mid - line.mid) <= 0.5 * min(size, line.size):
                line.chars.append(ch)
                break
        else:
            out.append(_Line([ch], mid, size))
    for line in out:
        line.chars.sort(key=lambda c: c["x0"])
        kept: list[dict[str, Any]] = []
        for ch in line.chars:
            if kept and ch["text"] == kept[-1]["text"] and abs(ch["x0"] - kept[-1]["x0"]) < 0.5:
                continue
            kept.append(ch)
        n = len(kept)
        while kept and kept[0]["text"] in _SPACE:
            kept.pop(0)
        start = n - len(kept)
        while kept and kept[-1]["text"] in _SPACE:
            kept.pop()
        line.lead, line.trail = start > 0, len(kept) + start < n
        line.chars = kept
    out = [line for line in out if line.chars]
    out.sort(key=lambda line: line.mid)
    return out


def _line_text(line: _Line) -> str:
    parts: list[str] = []
    prev: dict[str, Any] | None = None
    for ch in line.chars:
        t = ch["text"]
        if prev is not None:
            p = prev["text"]
            gap = ch["x0"] - prev["x1"]
            if (
                gap > 0.3 * line.size
                and t not in _SPACE
                and p not in _SPACE
                and not (_is_cjk(t[0]) and _is_cjk(p[-1]))
            ):
                parts.append(" ")
        if t in _SPACE:
            if parts and parts[-1] == " ":
                continue
            t = " "
        parts.append(t)
        prev = ch
    return "".join(parts)


def _is_ideograph(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or o >= 0x20000


def _unit_widths(line: _Line) -> tuple[float, float]:
    """Widths of the start of ``line`` that a line break could not have split: (its first
    character with the punctuation that may not start a line; the run up to the first break
    opportunity). Break opportunities are taken sparingly: between two ideographs, before an
    ideograph after CJK punctuation or a hyphen, and at spaces: ``值:≥6%。`` and ``家。4、2-``
    are one unit (Writer breaks neither), so a line is read as full rather than as ended
    short."""
    chars = line.chars
    first = chars[0]
    end = 0
    while end + 1 < len(chars) and chars[end + 1]["text"] in _NO_START:
        end += 1
    unit_char = chars[end]["x1"] - first["x0"]
    end = 0
    while end + 1 < len(chars):
        a, b = chars[end]["text"][-1], chars[end + 1]["text"][0]
        if (
            a in _SPACE
            or b in _SPACE
            or ((_is_ideograph(a) or a in _BREAK_AFTER) and _is_ideograph(b))
        ):
            break
        end += 1
    return unit_char, max(unit_char, chars[end]["x1"] - first["x0"])


#: ASCII punctuation after which writers put a space or not (``; `` and ``;`` both occur): a
#: space there, at a line end, is not drawn, so the cell's own habit decides.
_SPACED_PUNCT = ",;:!?"


def _separator(a: _Line, b: _Line, width: float) -> str:
    """What stood between two lines of a cell ``width`` wide (see the module docstring):
    ``"\n"``, ``""``, ``" "``, or ``"?"`` (a space or nothing after ``,;:!?``: the caller
    decides by the cell's habit)."""
    size = max(a.size, b.size)
    room = width - (a.x1 - a.x0)
    unit_char, unit = _unit_widths(b)
    tol = 0.15 * size + 0.5
    last, nxt = a.chars[-1]["text"][-1], b.chars[0]["text"][0]
    # between Latin text a break needs a space, which is not drawn at the end of the line
    space = 0.0 if _is_cjk(last) or _is_cjk(nxt) else 0.3 * size
    if room >= unit + space + tol:
        return "\n"  # the line ended short of the edge: a real break
    if a.trail or b.lead:
        return " "  # wrapped at a space (drawn at the end of the line)
    before = a.chars[-2]["text"][-1] if len(a.chars) > 1 else ""
    if last in _SPACED_PUNCT and not (before.isdigit() and nxt.isdigit()):
        return "?"  # ``1,000`` cut after the comma has no space
    if room < unit_char + tol:
        return ""  # the line ran to the edge: the next one continues it, even mid-word
    if _is_cjk(last) or _is_cjk(nxt) or last in "-/":
        return ""
    return " "  # wrapped at the space between two Latin words (not drawn)


def _spaced_after(texts: Sequence[str], mark: str) -> bool:
    """Whether ``mark`` is followed by a space more often than not inside these lines."""
    spaced = tight = 0
    for t in texts:
        i = t.find(mark)
        while 0 <= i < len(t) - 1:
            if t[i + 1] == " ":
                spaced += 1
            else:
                tight += 1
            i = t.find(mark, i + 1)
    return spaced > tight


def cell_text(chars: Iterable[dict[str, Any]], width: float) -> str:
    """The text of one table cell whose text area is ``width`` wide (wrapped lines joined)."""
    lines = _lines(chars)
    if not lines:
        return ""
    texts = [_line_text(line) for line in lines]
    out = [texts[0]]
    for i, (a, b) in enumerate(itertools.pairwise(lines)):
        sep = _separator(a, b, width)
        if sep == "?":
            sep = " " if _spaced_after(texts, texts[i][-1]) else ""
        out.append(sep)
        out.append(texts[i + 1])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# one page


def _cluster(values: Iterable[float], tol: float = 1.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(edges: Sequence[float], v: float) -> int:
    i = bisect.bisect_left(edges, v)
    if i == len(edges) or (i > 0 and v - edges[i - 1] < edges[i] - v):
        i -= 1
    return i


@dataclass(slots=True)
class _Cell:
    r0: int
    r1: int
    c0: int
    c1: int
    box: tuple[float, float, float, float]
    chars: list[dict[str, Any]] = field(default_factory=list)
    text: str | None = None


@dataclass
class _PTable:
    """A ruled table of one page: slot edges, cells (spans in slots), texts."""

    box: tuple[float, float, float, float]
    xs: list[float]
    ys: list[float]
    cells: list[_Cell]
    slots: dict[tuple[int, int], _Cell]
    unruled: bool = False  # read from text aligned in columns (texts set after all pages)

    @property
    def top(self) -> float:
        return self.box[1]

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    def row_texts(self, j: int) -> dict[int, str]:
        """Slot column -> text of the cells anchored in slot row ``j``."""
        return {c.c0: c.text for c in self.cells if c.r0 == j and c.text}


def _ptable(cells_boxes: Sequence[tuple[float, float, float, float]]) -> _PTable | None:
    xs = _cluster(v for b in cells_boxes for v in (b[0], b[2]))
    ys = _cluster(v for b in cells_boxes for v in (b[1], b[3]))
    if len(xs) < 2 or len(ys) < 2:
        return None
    cells: list[_Cell] = []
    slots: dict[tuple[int, int], _Cell] = {}
    for b in sorted(cells_boxes, key=lambda b: (b[1], b[0])):
        c0, c1 = _index(xs, b[0]), _index(xs, b[2])
        r0, r1 = _index(ys, b[1]), _index(ys, b[3])
        if c1 <= c0 or r1 <= r0 or (r0, c0) in slots:
            continue
        cell = _Cell(r0, r1, c0, c1, b)
        cells.append(cell)
        for r in range(r0, r1):
            for c in range(c0, c1):
                slots.setdefault((r, c), cell)
    if len(cells) < 2:
        return None  # a framed paragraph, not a table
    box = (xs[0], ys[0], xs[-1], ys[-1])
    return _PTable(box, xs, ys, cells, slots)


@dataclass(slots=True)
class _PLine:
    """A line of text outside the tables: its pieces separated by wide gaps."""

    top: float
    bottom: float
    pieces: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.pieces)


@dataclass
class _Page:
    number: int
    tables: list[_PTable]
    lines: list[_PLine]
    chars: int
    images: int


def _text_lines(chars: list[dict[str, Any]]) -> list[_PLine]:
    out: list[_PLine] = []
    for line in _lines(chars):
        pieces: list[list[dict[str, Any]]] = [[]]
        for ch in line.chars:
            cur = pieces[-1]
            if cur and ch["x0"] - cur[-1]["x1"] > 1.5 * line.size:
                pieces.append([])
            pieces[-1].append(ch)
        texts = [_line_text(_Line(p, line.mid, line.size)).strip() for p in pieces]
        top = min(c["top"] for c in line.chars)
        bottom = max(c["bottom"] for c in line.chars)
        out.append(_PLine(top, bottom, [t for t in texts if t]))
    return [x for x in out if x.pieces]


def _read_page(page: Any, number: int, carry: Sequence[float] | None = None) -> _Page:
    """One page; ``carry``: the columns of an unruled table that ended the page before (used
    when this page has no ruled table and no header of its own)."""
    tables = []
    for t in page.find_tables():
        pt = _ptable(t.cells)
        if pt is not None:
            tables.append(pt)
    chars = page.chars
    if not tables and chars:
        found = _unruled(chars, carry, (page.bbox[0], page.bbox[2]))
        if found is not None:
            table, outside = found
            return _Page(number, [table], _text_lines(outside), len(chars), len(page.images))
    outside: list[dict[str, Any]] = []
    for ch in chars:
        # the left part of the glyph: a space drawn at the end of a line may stick out of the
        # cell (and of the table)
        cx = ch["x0"] + min(1.0, (ch["x1"] - ch["x0"]) / 4)
        cy = (ch["top"] + ch["bottom"]) / 2
        for t in tables:
            x0, top, x1, bottom = t.box
            if x0 <= cx <= x1 and top <= cy <= bottom:
                r = min(max(bisect.bisect_right(t.ys, cy) - 1, 0), t.n_rows - 1)
                c = min(max(bisect.bisect_right(t.xs, cx) - 1, 0), len(t.xs) - 2)
                cell = t.slots.get((r, c))
                if cell is not None:
                    cell.chars.append(ch)
                    break
        else:
            outside.append(ch)
    for t in tables:
        pads = [min(ch["x0"] for ch in c.chars) - c.box[0] for c in t.cells if c.chars]
        pad = max(0.0, min(pads)) if pads else 0.0
        for c in t.cells:
            if c.chars:
                width = (c.box[2] - c.box[0]) - 2 * pad
                c.text = cell_text(c.chars, width) or None
                c.chars = []
    tables.sort(key=lambda t: t.top)
    return _Page(number, tables, _text_lines(outside), len(chars), len(page.images))


# --------------------------------------------------------------------------------------------
# tables without rules: text aligned in columns


@dataclass(slots=True)
class _Band:
    """Lines of text close above each other: one table row (or a text line) when the table
    has no rules. Rows are apart by the cells' padding; the lines inside a cell are not."""

    top: float
    bottom: float
    chars: list[dict[str, Any]]


#: A gap between two lines wider than this (times the font size) separates two rows.
_ROW_GAP = 0.45
#: Within a line, a gap wider than this (times the font size) separates two columns' texts.
_COL_GAP = 0.5
#: … between two header texts (ideographs are drawn without gaps, spaces as characters).
_HEAD_GAP = 0.2


def _bands(chars: Iterable[dict[str, Any]]) -> list[_Band]:
    out: list[_Band] = []
    for ch in sorted(chars, key=lambda c: c["top"]):
        size = ch["size"] or (ch["bottom"] - ch["top"]) or 1.0
        if out and ch["top"] - out[-1].bottom <= _ROW_GAP * size:
            band = out[-1]
            band.chars.append(ch)
            band.bottom = max(band.bottom, ch["bottom"])
        else:
            out.append(_Band(ch["top"], ch["bottom"], [ch]))
    return out


def _pieces(chars: Iterable[dict[str, Any]], gap: float = _COL_GAP) -> list[list[dict[str, Any]]]:
    """Runs of characters on one line without a gap wider than ``gap`` times the font size
    (a run rarely crosses a column)."""
    out: list[list[dict[str, Any]]] = []
    for line in _lines(chars):
        cur: list[dict[str, Any]] = []
        for ch in line.chars:
            if cur and ch["x0"] - cur[-1]["x1"] > gap * line.size:
                out.append(cur)
                cur = []
            cur.append(ch)
        if cur:
            out.append(cur)
    return out


def _phrases(band: _Band) -> list[tuple[float, float, str]]:
    """The texts of a band side by side: runs whose extents overlap (a header cell wrapped to
    two lines) are one phrase. (x0, x1, text), left to right."""
    # header texts are short and centred: two may come as close as their cells' padding
    runs = sorted(_pieces(band.chars, _HEAD_GAP), key=lambda r: r[0]["x0"])
    groups: list[list[list[dict[str, Any]]]] = []
    for run in runs:
        if groups and run[0]["x0"] <= max(r[-1]["x1"] for r in groups[-1]):
            groups[-1].append(run)
        else:
            groups.append([run])
    out = []
    for g in groups:
        g.sort(key=lambda r: r[0]["top"])
        text = "".join(_line_text(_Line(r, 0.0, r[0]["size"] or 1.0)) for r in g)
        out.append((min(r[0]["x0"] for r in g), max(r[-1]["x1"] for r in g), text))
    return out


def _header(band: _Band) -> list[tuple[float, float, str]] | None:
    """The band's phrases when they are a table header: at least three of them, and most of
    the band, name columns of the header catalogue (项目名称, 总计, 绩效指标, 一级指标, 指标值…;
    not only 序号, 备注)."""
    phrases = _phrases(band)
    kinds = [e.kind for p in phrases if (e := classify(p[2])) is not None]
    named = sum(k != "other" for k in kinds)  # not only 序号, 备注…
    if len(kinds) >= 3 and len(kinds) >= 0.6 * len(phrases) and named >= 2:
        return phrases
    return None


def _columns(
    head: Sequence[tuple[float, float, str]], body: Sequence[_Band], edges: tuple[float, float]
) -> list[float]:
    """Column edges: between two header phrases, the middle of the widest gap the body's
    characters leave there (a column's text may be wider than its header, and a right-aligned
    number may come close to the next column's text), else the midpoint."""
    runs = [(c["x0"], c["x1"]) for b in body for c in b.chars if c["text"] not in _SPACE]
    xs = [min(edges[0], head[0][0] - 1.0)]
    for (_, a1, _t), (b0, _b1, _u) in itertools.pairwise(head):
        covered = sorted((max(x0, a1), min(x1, b0)) for x0, x1 in runs if x1 > a1 and x0 < b0)
        best, pos = -1.0, (a1 + b0) / 2
        at = a1
        for x0, x1 in [*covered, (b0, b0)]:
            if x0 - at > best:
                best, pos = x0 - at, (at + x0) / 2
            at = max(at, x1)
        xs.append(pos)
    xs.append(max(edges[1], head[-1][1] + 1.0))
    return xs


def _lined_up(band: _Band, xs: Sequence[float]) -> bool:
    """Whether every run of the band stays inside one column."""
    for run in _pieces(band.chars):
        x0, x1 = run[0]["x0"], run[-1]["x1"]
        k = min(max(bisect.bisect_right(xs, (x0 + x1) / 2) - 1, 0), len(xs) - 2)
        if x0 < xs[k] - _TOL or x1 > xs[k + 1] + _TOL:
            return False
    return True


def _paragraph(band: _Band, xs: Sequence[float]) -> bool:
    """Whether a run of the band's text crosses two column edges (a line of running text)."""
    for run in _pieces(band.chars):
        x0, x1 = run[0]["x0"] + _TOL, run[-1]["x1"] - _TOL
        if sum(x0 < x < x1 for x in xs[1:-1]) >= 2:
            return True
    return False


def _unruled(
    chars: list[dict[str, Any]], carry: Sequence[float] | None, edges: tuple[float, float]
) -> tuple[_PTable, list[dict[str, Any]]] | None:
    """The table of a page without rules, and the characters outside it; None when the page
    has neither a header row nor rows lining up with ``carry`` (the columns of the page
    before)."""
    bands = _bands(_without_page_numbers(chars))
    start = None
    xs: list[float] | None = None
    for i, band in enumerate(bands):
        head = _header(band)
        if head is not None:
            start = i
            body = [b for b in bands[i + 1 :] if not _page_number(_band_text(b))]
            xs = _columns(head, body, edges)
            break
    if start is None and carry is not None:
        for i, band in enumerate(bands):
            if not _page_number(_band_text(band)) and _lined_up(band, carry):
                start, xs = i, list(carry)
                break
    if start is None or xs is None:
        return None
    rows = []
    for k, b in enumerate(bands[start:]):
        if k and _paragraph(b, xs):
            break  # text across the columns below the table (注：…): not a row
        if not _page_number(_band_text(b)):
            rows.append(b)
    inside = {id(ch) for b in rows for ch in b.chars}
    outside = [ch for ch in chars if id(ch) not in inside]
    ys = [rows[0].top]
    ys += [(a.bottom + b.top) / 2 for a, b in itertools.pairwise(rows)]
    ys.append(rows[-1].bottom)
    cells: list[_Cell] = []
    slots: dict[tuple[int, int], _Cell] = {}
    last = len(xs) - 2
    for r, band in enumerate(rows):
        col_of: dict[int, int] = {}
        for run in _pieces(band.chars):
            mid = (run[0]["x0"] + run[-1]["x1"]) / 2
            k = min(max(bisect.bisect_right(xs, mid) - 1, 0), last)
            if run[0]["x0"] < xs[k] - _TOL or run[-1]["x1"] > xs[k + 1] + _TOL:
                # two columns' texts close together: each character by its own position
                for ch in run:
                    m = (ch["x0"] + ch["x1"]) / 2
                    col_of[id(ch)] = min(max(bisect.bisect_right(xs, m) - 1, 0), last)
                continue
            for ch in run:
                col_of[id(ch)] = k
        by_col: dict[int, list[dict[str, Any]]] = {}
        for ch in band.chars:
            k = col_of.get(id(ch))
            if k is None:  # a space at a line end
                mid = (ch["x0"] + ch["x1"]) / 2
                k = min(max(bisect.bisect_right(xs, mid) - 1, 0), last)
            by_col.setdefault(k, []).append(ch)
        for k in sorted(by_col):
            cell = _Cell(r, r + 1, k, k + 1, (xs[k], ys[r], xs[k + 1], ys[r + 1]), by_col[k])
            cells.append(cell)
            slots[(r, k)] = cell
    table = _PTable((xs[0], ys[0], xs[-1], ys[-1]), xs, ys, cells, slots, unruled=True)
    return table, outside


def _without_page_numbers(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``chars`` less the first and the last line of the page when they are page numbers
    (a footer may come closer to the last row than the rows are apart). A bare number on the
    first line is kept: there it may be the end of a cell cut by the page break."""
    lines = _lines(chars)
    drop: set[int] = set()
    for k, line in enumerate(lines[:1] + lines[-1:]):
        text = _line_text(line).strip()
        if not _page_number(text) or (k == 0 and len(lines) > 1 and text.isdigit()):
            continue
        drop.update(id(ch) for ch in line.chars)
        lo, hi = line.chars[0]["top"] - 0.5, line.chars[0]["bottom"] + 0.5
        # the spaces stripped from the line's ends go with it
        drop.update(id(c) for c in chars if c["text"] in _SPACE and lo <= c["top"] <= hi)
    return [c for c in chars if id(c) not in drop] if drop else chars


def _band_text(band: _Band) -> str:
    return " ".join(_line_text(line) for line in _lines(band.chars)).strip()


def _unruled_texts(pages: Sequence[_Page]) -> None:
    """The cell texts of the unruled tables. A column's text width is its widest line in the
    document (over the tables with as many columns): lines that ran to it were wrapped."""
    widths: dict[tuple[int, int], float] = {}
    tables = [t for p in pages for t in p.tables if t.unruled]
    for t in tables:
        n = len(t.xs)
        for c in t.cells:
            for line in _lines(c.chars):
                key = (n, c.c0)
                widths[key] = max(widths.get(key, 0.0), line.x1 - line.x0)
    for t in tables:
        for c in t.cells:
            if c.chars:
                c.text = cell_text(c.chars, widths.get((len(t.xs), c.c0), 0.0)) or None
                c.chars = []


# --------------------------------------------------------------------------------------------
# pages -> one grid

_BARE_PAGE = re.compile(r"\d{1,4}")


def _page_number(text: str) -> bool:
    """A page number line outside the tables: the core's recogniser
    (:func:`~perfsheet.core.furniture.is_page_line`), or a bare number (a footer here)."""
    return is_page_line(text) or _BARE_PAGE.fullmatch(text.strip()) is not None


_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def _norm(text: str | None) -> str:
    return _WS.sub("", text or "")


def _furniture(pages: list[_Page]) -> set[tuple[int, int]]:
    """(page, line index) of the lines to drop: page numbers, and lines repeated on several
    pages outside the tables (running titles; their first occurrence is kept)."""
    keys: dict[tuple[int, int], str] = {}
    seen_on: dict[str, set[int]] = {}
    for p in pages:
        first_top = p.tables[0].top if p.tables else None
        last_bottom = max((t.box[3] for t in p.tables), default=None)
        for i, line in enumerate(p.lines):
            if (
                first_top is not None
                and last_bottom is not None
                and (first_top <= line.top <= last_bottom)
            ):
                continue  # between tables: a title of its own
            key = _DIGITS.sub("#", _norm(line.text))
            keys[(p.number, i)] = key
            seen_on.setdefault(key, set()).add(p.number)
    drop: set[tuple[int, int]] = set()
    for p in pages:
        for i, line in enumerate(p.lines):
            if _page_number(line.text.strip()):
                drop.add((p.number, i))
                continue
            key = keys.get((p.number, i))
            if key is not None and len(seen_on[key]) >= 2 and p.number != min(seen_on[key]):
                drop.add((p.number, i))
    return drop


@dataclass
class _Chain:
    """The table being continued from page to page."""

    xs: list[float]
    head: list[tuple[str, ...]]  # its first rows, whitespace removed (to spot repeats)
    name_cols: list[int]  # 1-based grid columns: project name first, then unit names
    money_cols: list[int]
    last_row: int = 0  # grid row of its last row
    last_page: int = 0


_TOL = 2.0


def _map_columns(xs: Sequence[float], chain: _Chain) -> list[int] | None:
    out: list[int] = []
    for x in xs:
        i = _index(chain.xs, x)
        if abs(chain.xs[i] - x) > _TOL:
            return None
        out.append(i)
    return out


def _roles(head_rows: Sequence[dict[int, str]]) -> tuple[list[int], list[int]]:
    """(name columns, money columns) named by the table's first rows (0-based slots): the
    project name first, then unit names (``单位名称``); a second header row counts where the
    first names the project column but no money."""
    for k, row in enumerate(head_rows):
        named = [(e.rank, col) for col, text in row.items()
                 if (e := classify(text)) is not None and e.kind == "name"]  # fmt: skip
        if not named:
            continue
        names = [col for _, col in sorted(named, key=lambda x: (-x[0], x[1]))]
        name = names[0]
        money = {c for c, t in row.items() if (e := classify(t)) is not None and e.kind == "money"}
        if not money and k + 1 < len(head_rows):
            below = head_rows[k + 1]
            money = {c for c, t in below.items() if c != name and
                     (e := classify(t)) is not None and e.kind == "money"}  # fmt: skip
        if money:
            return names, sorted(money)
    return [], []


class _Assembler:
    def __init__(self) -> None:
        self.rows: list[list[CellValue]] = []
        self.merged: list[MergedRange] = []
        self.pages: dict[int, tuple[int, int]] = {}
        self.chain: _Chain | None = None
        self.broken = True  # text of its own since the chain's last table

    def text(self, page: int, line: _PLine) -> None:
        self.rows.append(list(line.pieces))
        self.pages[len(self.rows)] = (page, 0)
        self.broken = True

    def table(self, page: int, t: _PTable, first_slot_row: int) -> None:
        chain = self.chain
        mapping = _map_columns(t.xs, chain) if chain is not None else None
        skip = 0
        if chain is not None and not self.broken:
            cols = mapping or (list(range(len(t.xs))) if len(t.xs) == len(chain.xs) else None)
            if cols is not None:
                skip = self._repeated_head(t, cols, chain)
                if mapping is None and skip:
                    mapping = cols
        continued = chain is not None and not self.broken and mapping is not None
        if not continued:
            mapping = list(range(len(t.xs)))
            head = [t.row_texts(j) for j in range(min(5, t.n_rows))]
            names, money = _roles(head)
            chain = self.chain = _Chain(
                list(t.xs),
                [self._key(t, j, mapping) for j in range(min(3, t.n_rows))],
                [n + 1 for n in names],
                [m + 1 for m in money],
            )
            skip = 0
        assert chain is not None and mapping is not None
        width = len(chain.xs) - 1
        base = len(self.rows) - skip  # grid row of slot j is base + j + 1
        for j in range(skip, t.n_rows):
            self.rows.append([None] * width)
            self.pages[base + j + 1] = (page, first_slot_row + j + 1)
        for c in t.cells:
            if c.r0 < skip:
                continue
            col0, col1 = mapping[c.c0] + 1, mapping[c.c1]
            row0, row1 = base + c.r0 + 1, base + c.r1
            if c.text:
                self.rows[row0 - 1][col0 - 1] = c.text
            if row1 > row0 or col1 > col0:
                self.merged.append(MergedRange(row0, col0, row1, col1))
        first = base + skip + 1
        if continued and page != chain.last_page and t.n_rows > skip and chain.last_row:
            self._name_across_pages(chain, chain.last_row, first)
        if t.n_rows > skip:
            chain.last_row = len(self.rows)
            chain.last_page = page
        self.broken = False

    def _key(self, t: _PTable, j: int, mapping: Sequence[int]) -> tuple[str, ...]:
        texts = t.row_texts(j)
        return tuple(_norm(texts.get(c)) for c in range(len(mapping) - 1))

    def _repeated_head(self, t: _PTable, cols: Sequence[int], chain: _Chain) -> int:
        k = 0
        while k < min(len(chain.head), t.n_rows):
            texts = t.row_texts(k)
            key = [""] * (len(chain.xs) - 1)
            for c, text in texts.items():
                key[cols[c]] = _norm(text)
            if tuple(key) != chain.head[k] or not any(key):
                break
            k += 1
        return k

    def _covering(self, row: int, col: int) -> MergedRange | None:
        for m in reversed(self.merged):
            if m.first_row <= row <= m.last_row and m.first_col <= col <= m.last_col:
                return m
        return None

    def _name_across_pages(self, chain: _Chain, a: int, b: int) -> None:
        """Names cut by the page break (see the module docstring): the project name, and unit
        names repeated or merged over the rows."""
        if not chain.name_cols or not chain.money_cols:
            return
        row_b = self.rows[b - 1]
        if any(row_b[m - 1] is not None for m in chain.money_cols):
            return
        m_a = self._covering(a, chain.name_cols[0])
        a0 = m_a.first_row if m_a is not None else a
        if all(self.rows[a0 - 1][m - 1] is None for m in chain.money_cols):
            return
        for nc in chain.name_cols:
            b_name = row_b[nc - 1]
            if not isinstance(b_name, str) or not _norm(b_name):
                continue
            m_a = self._covering(a, nc)
            anchor = m_a.first_row if m_a is not None else a
            a_name = self.rows[anchor - 1][nc - 1]
            if not isinstance(a_name, str) or not _norm(a_name):
                continue
            m_b = self._covering(b, nc)
            last = m_b.last_row if m_b is not None and m_b.first_row == b else b
            self.merged = [m for m in self.merged if m is not m_a and m is not m_b]
            self.rows[anchor - 1][nc - 1] = join_text(a_name, b_name)
            row_b[nc - 1] = None
            self.merged.append(MergedRange(anchor, nc, last, nc))


def _assemble(pages: list[_Page]) -> _Assembler:
    drop = _furniture(pages)
    asm = _Assembler()
    for p in pages:
        items: list[tuple[float, int, Any]] = [(t.top, 1, t) for t in p.tables]
        items += [
            (line.top, 0, line) for i, line in enumerate(p.lines) if (p.number, i) not in drop
        ]
        items.sort(key=lambda x: (x[0], x[1]))
        slot_rows = 0
        for _, kind, item in items:
            if kind == 0:
                asm.text(p.number, item)
            else:
                asm.table(p.number, item, slot_rows)
                slot_rows += item.n_rows
    return asm


# --------------------------------------------------------------------------------------------
# the entry point


def read_pdf(path: str | Path, shown: str | None = None, sheet: str | None = None) -> WorkbookGrid:
    """The tables of the PDF ``path`` as one sheet (see the module docstring).

    Raises :class:`InputError` for a PDF that cannot be read (encrypted, broken, truncated, too
    large, a scan, no table) and when pdfplumber is not installed.
    """
    p = Path(path)
    shown = str(path) if shown is None else shown
    pdfplumber = _pdfplumber(shown)
    _check_file(p, shown)
    try:
        pages = _read_pages(pdfplumber, p, shown)
    except PerfsheetError:
        raise
    except Exception as err:
        raise InputError(shown, _reason(err)) from None
    if not any(pg.chars for pg in pages):
        raise InputError(shown, _SCAN)
    if not any(pg.tables for pg in pages):
        raise InputError(shown, _NO_TABLE)
    asm = _assemble(pages)
    rows = asm.rows
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    used = sorted({pg for pg, r in asm.pages.values() if r})
    name = f"第{used[0]}页" if len(used) == 1 else f"第{used[0]}-{used[-1]}页"
    if sheet is not None and sheet != name:
        raise InputError(shown, f"找不到工作表「{sheet}」（PDF 读作一个工作表：{name}）")
    cells = sum(len(r) for r in rows)
    if cells > L.MAX_WORKBOOK_CELLS:
        raise InputError(shown, f"表格单元格总数超过上限 {L.MAX_WORKBOOK_CELLS:,} 个，已停止读取")
    grid = SheetGrid(name=name, rows=rows, merged=asm.merged, pages=asm.pages)
    return WorkbookGrid(path=shown, sheets=[grid])


def _read_pages(pdfplumber: Any, path: Path, shown: str) -> list[_Page]:
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as err:
        raise InputError(shown, _reason(err)) from None
    out: list[_Page] = []
    with pdf:
        _check_document(pdf.doc, shown)
        pages = pdf.pages
        if len(pages) > safety.MAX_PDF_PAGES:
            raise InputError(shown, _too_many_pages(len(pages)))
        carry: list[float] | None = None
        for number, page in enumerate(pages, start=1):
            try:
                read = _read_page(page, number, carry)
            finally:
                page.close()
            out.append(read)
            last = read.tables[-1] if read.tables else None
            carry = last.xs if last is not None and last.unruled else None
    _unruled_texts(out)
    return out


def _reason(err: BaseException) -> str:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    inner = err.args[0] if err.args and isinstance(err.args[0], BaseException) else err
    if isinstance(inner, PDFPasswordIncorrect):
        return _ENCRYPTED
    if isinstance(inner, PDFEncryptionError):
        return "PDF 使用了不支持的加密方式，请先用 PDF 阅读器取消密码或另存后再试"
    return _BROKEN
