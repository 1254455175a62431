"""Splice rows rendered by us into the worksheets of a package XlsxWriter wrote.

Why: XlsxWriter spends 5–10 µs of Python per cell; at 20,000 projects the summary's data rows
are 3 million cells, ~15 s of the run (bench/README.md). Everything around the rows — styles,
column widths, title and header rows, the total row with its ``SUBTOTAL`` formulas, the chart,
conditional formats, freeze panes, autofilter, print setup — stays XlsxWriter's. Only the data
rows are rendered here (:func:`perfsheet.io.xlsx_stream.cell_xml`, ~0.5 µs per cell), spooled
to a temporary file while they are produced (memory stays flat), and inserted into the
worksheet part when the package is rewritten.

How, per worksheet with a :class:`RowSpool`:

* the spooled ``<row>`` elements go into ``<sheetData>`` before the first row XlsxWriter wrote
  at or below the spool's first row (the rows above — title and header — stay first; the total
  row and the chart's data block, written by XlsxWriter after the data, stay after it);
* internal hyperlinks of the spooled cells are added to ``<hyperlinks>`` (created in its schema
  position, before ``<printOptions>``/``<pageMargins>``, when XlsxWriter wrote none);
* ``<dimension>`` is widened to cover the spooled rows.

Cell styles are XlsxWriter formats: :func:`perfsheet.io.private_api.xf_index` asks XlsxWriter
for a format's cell-format index, which also registers the format so that XlsxWriter writes it
into ``styles.xml`` (the same call XlsxWriter makes when it writes a cell; a test reads the
styles back with openpyxl).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from perfsheet.core.grid import col_number
from perfsheet.core.summary_rows import Link
from perfsheet.errors import PerfsheetError
from perfsheet.io.xlsx_merge import ZipOut, worksheet_parts, xml_unescape
from perfsheet.io.xlsx_stream import EXCEL_MAX_ROWS, cell_xml, col_letter, escape_text, text_cell

if TYPE_CHECKING:
    from perfsheet.io.render_process import RenderProcess

_ROW_START = re.compile(r'<row\b[^>]*?\sr="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')
_AFTER_HYPERLINKS = re.compile(
    r"<(printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|"
    r"cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|"
    r"oleObjects|controls|webPublishItems|tableParts|extLst)\b"
)


class TooManyRowsError(PerfsheetError):
    """A standard sheet would need more rows than a worksheet holds."""


@dataclass(slots=True, frozen=True)
class Segment:
    """A piece of a spool on disk: raw deflate data that ends on a byte boundary (a sync
    flush, not a final block), so pieces can follow each other inside one zip member."""

    path: Path
    crc: int  # CRC-32 of the uncompressed bytes
    size: int  # uncompressed bytes


class _Deflater:
    """Text written to a :class:`Segment`, deflated as it comes (the spool is a few MB on disk
    instead of hundreds of MB of XML, and the package is not deflated again at the end)."""

    _CHUNK = 1 << 18

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = open(path, "wb")  # noqa: SIM115
        self.comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.pending: list[str] = []
        self.buffered = 0

    def write(self, text: str) -> None:
        self.pending.append(text)
        self.buffered += len(text)
        if self.buffered >= self._CHUNK:
            self._flush()

    def _flush(self) -> None:
        data = "".join(self.pending).encode("utf-8")
        self.pending.clear()
        self.buffered = 0
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.fh.write(self.comp.compress(data))

    def close(self) -> Segment:
        self._flush()
        self.fh.write(self.comp.flush(zlib.Z_SYNC_FLUSH))
        self.fh.close()
        return Segment(self.path, self.crc & 0xFFFFFFFF, self.size)

    def discard(self) -> None:
        if not self.fh.closed:
            self.fh.close()


@dataclass(slots=True)
class RowSpool:
    """The data rows of one worksheet, deflated on disk until the package is rewritten.

    The rows may be written by two processes one after the other (:class:`RowSpools` hands a
    large output over to a render process): each writes its own segments and link files, in
    order, and :meth:`state`/:meth:`take` carry the spool from one to the other."""

    sheet: str
    folder: Path
    key: str  # file name stem in ``folder``
    first_row: int = 0  # 1-based; 0 = nothing written
    last_row: int = 0
    max_col: int = -1  # 0-based
    links: int = 0
    segments: list[Segment] = field(default_factory=list)
    link_files: list[Path] = field(default_factory=list)
    out: _Deflater | None = None
    links_fh: IO[str] | None = None

    def add_row(self, row: int, cells: str, max_col: int, height: float | None = None) -> None:
        """One ``<row>``: ``row`` is 1-based and larger than the previous one; ``cells`` are
        complete ``<c>`` elements; ``max_col`` is the 0-based last column they use."""
        if row > EXCEL_MAX_ROWS:
            raise TooManyRowsError(
                f"工作表「{self.sheet}」需要超过 {EXCEL_MAX_ROWS:,} 行，超出 Excel 工作表的行数上限"
            )
        if row <= self.last_row:
            raise ValueError(f"rows must be added in order ({row} after {self.last_row})")
        if not self.first_row:
            self.first_row = row
        self.last_row = row
        if max_col > self.max_col:
            self.max_col = max_col
        out = self.out
        if out is None:
            out = self.out = _Deflater(self.folder / f"{self.key}-{len(self.segments)}.bin")
        if height is None:
            out.write(f'<row r="{row}">{cells}</row>')
        else:
            out.write(f'<row r="{row}" ht="{height:g}" customHeight="1">{cells}</row>')

    def add_link(self, ref: str, location: str, display: str) -> None:
        """An internal hyperlink (to ``'Sheet'!A1``) on the cell ``ref`` of a spooled row."""
        if self.links_fh is None:
            path = self.folder / f"{self.key}-links{len(self.link_files)}.xml"
            self.link_files.append(path)
            self.links_fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.links_fh.write(
            f'<hyperlink ref="{ref}" location="{_attr(location)}" display="{_attr(display)}"/>'
        )
        self.links += 1

    def close(self) -> None:
        """End the open segment and link file (more rows may follow in new ones)."""
        if self.out is not None:
            self.segments.append(self.out.close())
            self.out = None
        if self.links_fh is not None:
            self.links_fh.close()
            self.links_fh = None

    def discard(self) -> None:
        """Close the files of a run that failed (the scratch folder goes with them)."""
        if self.out is not None:
            self.out.discard()
        if self.links_fh is not None and not self.links_fh.closed:
            self.links_fh.close()

    def state(self) -> tuple:
        """What another process needs to go on with this spool (closed first)."""
        self.close()
        return (
            self.sheet,
            str(self.folder),
            self.key,
            self.first_row,
            self.last_row,
            self.max_col,
            self.links,
        )

    @classmethod
    def resume(cls, state: tuple, key: str) -> RowSpool:
        """The spool of :meth:`state`, writing its own files under ``key``."""
        sheet, folder, _key, first, last, max_col, links = state
        return cls(sheet, Path(folder), key, first, last, max_col, links)

    def result(self) -> tuple:
        """What this process wrote (closed first), for :meth:`take`."""
        self.close()
        return (
            self.first_row,
            self.last_row,
            self.max_col,
            self.links,
            [(str(s.path), s.crc, s.size) for s in self.segments],
            [str(p) for p in self.link_files],
        )

    def take(self, result: tuple) -> None:
        """Append what another process wrote after :meth:`state` (see :meth:`result`)."""
        first, last, max_col, links, segments, link_files = result
        self.first_row = self.first_row or first
        self.last_row = max(self.last_row, last)
        self.max_col = max(self.max_col, max_col)
        self.links = links
        self.segments += [Segment(Path(p), crc, size) for p, crc, size in segments]
        self.link_files += [Path(p) for p in link_files]


def _attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


#: Excel's limit is 65,530 hyperlinks per worksheet
MAX_LINKS = 65_000
_MAX_LINES = 8
_NARROW_RUNS = re.compile("[\x00-\u2e7f]+")


def wrapped_row_lines(value: object, width: float) -> int:
    """Estimated wrapped lines of a cell: CJK characters are two width units wide."""
    if not isinstance(value, str) or not value:
        return 1
    if value.isascii():
        units = len(value)
    else:  # wide = every character from U+2E80 on: 2 × length − the narrow runs
        units = 2 * len(value) - sum(map(len, _NARROW_RUNS.findall(value)))
    lines = -(-units // max(int(width) - 1, 1)) + value.count("\n")
    return min(max(lines, 1), _MAX_LINES)


class RowRender(NamedTuple):
    """How a sheet's data rows are rendered: per column (letter, style attribute, style
    attribute of a link cell); the last column; (position, width) of the wrapped columns."""

    cols: list[tuple[str, str, str]]
    max_col: int
    wrapped: list[tuple[int, float]]


def render_rows(spool: RowSpool, render: RowRender, start: int, rows: Iterable[tuple]) -> int:
    """Render ``rows`` (values in the order of ``render.cols``; a value with ``text`` and
    ``location`` is an internal link) from 0-based row ``start`` into ``spool``; returns how
    many rows there were. The one renderer of the summary's data rows, in this process or in
    the render process."""
    cols, max_col, wrapped = render
    r = start
    add_row = spool.add_row
    for row in rows:
        n = str(r + 1)
        cells = []
        for (letter, s, link_s), v in zip(cols, row, strict=False):
            if v is None:
                continue
            if type(v) is Link:
                ref = letter + n
                if spool.links < MAX_LINKS:
                    cells.append(text_cell(ref, v.text, link_s))
                    spool.add_link(ref, v.location, v.text)
                else:
                    cells.append(text_cell(ref, v.text, s))
            else:
                c = cell_xml(letter + n, v, s)
                if c:
                    cells.append(c)
        height = None
        if wrapped:
            # row heights for wrapped text (Excel does not grow rows it reads from a file)
            lines = max(wrapped_row_lines(row[i], w) for i, w in wrapped)
            if lines > 1:
                height = 15 * lines + 2
        add_row(r + 1, "".join(cells), max_col, height)
        r += 1
    return r - start


#: Rows rendered here before a render process is started, and the process's share: a large
#: output's rows are rendered and deflated there while this process goes on analysing.
START_RENDER_PROCESS_ROWS = 20_000
_RENDER_PROCESS: ContextVar[bool] = ContextVar("perfsheet_render_process", default=False)


@contextlib.contextmanager
def render_process(allowed: bool) -> Iterator[None]:
    """Whether the outputs written inside the block may use a render process (off unless
    asked: :func:`perfsheet.summary.summarize` asks; the batch converter's workers do not, the
    files already keep every core busy)."""
    token = _RENDER_PROCESS.set(allowed)
    try:
        yield
    finally:
        _RENDER_PROCESS.reset(token)


@dataclass(slots=True)
class RowSpools:
    """The spools of one package, in a scratch folder the caller owns (and removes).

    Rows go in through :meth:`write`. After :data:`START_RENDER_PROCESS_ROWS` rows a render
    process is started (inside :func:`render_process`, on a machine with more than one
    core); once it is ready it renders every later row, so that rendering and deflating a
    large output overlap with the analysis. :meth:`finish` collects what it wrote."""

    folder: Path
    by_sheet: dict[str, RowSpool] = field(default_factory=dict)
    helper: RenderProcess | None = None
    started: bool = False  # a render process was asked for (it may not have started)
    rendered: int = 0  # rows rendered in this process

    def open(self, sheet: str) -> RowSpool:
        spool = RowSpool(sheet=sheet, folder=self.folder, key=f"rows{len(self.by_sheet) + 1}")
        self.by_sheet[sheet] = spool
        return spool

    def write(self, spool: RowSpool, render: RowRender, start: int, rows: Iterable[tuple]) -> int:
        """Render ``rows`` into ``spool`` from 0-based row ``start``; returns their number."""
        helper = self.helper
        if not self.started and self.rendered >= START_RENDER_PROCESS_ROWS:
            self.started = True
            helper = self.helper = _start_helper()
        if helper is not None and helper.ready():
            return helper.write(spool, render, start, rows)
        n = render_rows(spool, render, start, rows)
        self.rendered += n
        return n

    def finish(self) -> None:
        """Every row on disk and every spool complete (the render process's part taken)."""
        if self.helper is not None:
            helper, self.helper = self.helper, None
            if helper.spools:
                helper.finish()
            else:  # never ready in time, or ready too late: it has nothing of ours
                helper.stop(at_once=True)
        for spool in self.by_sheet.values():
            spool.close()

    def close(self) -> None:
        """Release the files and stop the render process (a run that ends early)."""
        if self.helper is not None:
            self.helper.stop(at_once=True)
            self.helper = None
        for spool in self.by_sheet.values():
            spool.discard()

    def splice(self, package: Path, out: Path) -> None:
        """Write ``out``: ``package`` (from XlsxWriter) with the spooled rows inserted; its
        other parts are copied as they are compressed."""
        self.finish()
        with zipfile.ZipFile(package) as src:
            parts = _sheet_parts(src)
            targets = {}
            for name, spool in self.by_sheet.items():
                if spool.first_row:
                    if name not in parts:
                        raise RuntimeError(f"no worksheet part for {name!r}")
                    targets[parts[name]] = spool
            with open(out, "wb") as fp:
                dst = ZipOut(fp)
                for info in src.infolist():
                    spool = targets.get(info.filename)
                    if spool is None:
                        dst.add_raw(info.filename, src, info)
                    else:
                        xml = src.read(info.filename).decode("utf-8")
                        _write_spliced(dst, info.filename, xml, spool)
                dst.close()


def _start_helper() -> RenderProcess | None:
    if not _RENDER_PROCESS.get() or (os.cpu_count() or 1) < 2 or sys.platform == "emscripten":
        return None
    from perfsheet.io.render_process import RenderProcess

    return RenderProcess.start()


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part of a package."""
    rels = worksheet_parts(z.read("xl/_rels/workbook.xml.rels").decode("utf-8"))
    out = {}
    for tag in re.findall(r"<sheet\b[^>]*/>", z.read("xl/workbook.xml").decode("utf-8")):
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]*)"', tag)
        if name and rid and rid.group(1) in rels:
            out[xml_unescape(name.group(1))] = rels[rid.group(1)]
    return out


def _write_spliced(dst: ZipOut, part: str, xml: str, spool: RowSpool) -> None:
    start = xml.find("<sheetData")
    if start < 0:
        raise RuntimeError(f"{part}: no <sheetData>")
    if xml.startswith("<sheetData/>", start):
        xml = xml[:start] + "<sheetData></sheetData>" + xml[start + len("<sheetData/>") :]
    body = xml.index(">", start) + 1
    end = xml.index("</sheetData>", body)
    at = end
    for m in _ROW_START.finditer(xml, body, end):
        if int(m.group(1)) >= spool.first_row:
            if int(m.group(1)) <= spool.last_row:
                raise RuntimeError(f"{part}: row {m.group(1)} written twice")
            at = m.start()
            break
    head, tail = _widen_dimension(xml[:at], spool), xml[at:]
    links_at = None
    if spool.links:
        m = re.search(r"<hyperlinks>", tail)
        if m is not None:
            links_at, open_tag, close_tag = m.end(), "", ""
        else:
            m2 = _AFTER_HYPERLINKS.search(tail, end - at)
            links_at = m2.start() if m2 else tail.rindex("</worksheet>")
            open_tag, close_tag = "<hyperlinks>", "</hyperlinks>"
    with dst.open(part, "w") as fh:
        fh.write(head.encode("utf-8"))
        for seg in spool.segments:
            fh.write_deflated(seg.path, seg.crc, seg.size)
        if links_at is None:
            fh.write(tail.encode("utf-8"))
        else:
            fh.write((tail[:links_at] + open_tag).encode("utf-8"))
            for path in spool.link_files:
                with open(path, "rb") as links:
                    shutil.copyfileobj(links, fh, 1 << 20)
            fh.write((close_tag + tail[links_at:]).encode("utf-8"))


def _widen_dimension(head: str, spool: RowSpool) -> str:
    m = _DIMENSION.search(head)
    if m is None:
        return head
    c1, r1 = col_number(m.group(1)) - 1, int(m.group(2))
    c2 = col_number(m.group(3)) - 1 if m.group(3) else c1
    r2 = int(m.group(4)) if m.group(4) else r1
    r1 = min(r1, spool.first_row)  # the header row XlsxWriter wrote spans the columns
    c2, r2 = max(c2, spool.max_col), max(r2, spool.last_row)
    ref = f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"
    return head[: m.start()] + f'<dimension ref="{ref}"/>' + head[m.end() :]
