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

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from perfsheet.core.grid import col_number
from perfsheet.errors import PerfsheetError
from perfsheet.io.xlsx_merge import worksheet_parts, xml_unescape
from perfsheet.io.xlsx_stream import EXCEL_MAX_ROWS, col_letter, escape_text

_ROW_START = re.compile(r'<row\b[^>]*?\sr="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')
_AFTER_HYPERLINKS = re.compile(
    r"<(printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|"
    r"cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|"
    r"oleObjects|controls|webPublishItems|tableParts|extLst)\b"
)


class TooManyRowsError(PerfsheetError):
    """A standard sheet would need more rows than a worksheet holds."""


@dataclass(slots=True)
class RowSpool:
    """The data rows of one worksheet, as XML on disk until the package is rewritten."""

    sheet: str
    path: Path
    links_path: Path
    fh: IO[str]
    links_fh: IO[str] | None = None
    first_row: int = 0  # 1-based; 0 = nothing written
    last_row: int = 0
    max_col: int = -1  # 0-based
    links: int = 0

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
        if height is None:
            self.fh.write(f'<row r="{row}">{cells}</row>')
        else:
            self.fh.write(f'<row r="{row}" ht="{height:g}" customHeight="1">{cells}</row>')

    def add_link(self, ref: str, location: str, display: str) -> None:
        """An internal hyperlink (to ``'Sheet'!A1``) on the cell ``ref`` of a spooled row."""
        if self.links_fh is None:
            self.links_fh = open(self.links_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.links_fh.write(
            f'<hyperlink ref="{ref}" location="{_attr(location)}" display="{_attr(display)}"/>'
        )
        self.links += 1

    def close(self) -> None:
        for fh in (self.fh, self.links_fh):
            if fh is not None and not fh.closed:
                fh.close()


def _attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


@dataclass(slots=True)
class RowSpools:
    """The spools of one package, in a scratch folder the caller owns (and removes)."""

    folder: Path
    by_sheet: dict[str, RowSpool] = field(default_factory=dict)

    def open(self, sheet: str) -> RowSpool:
        i = len(self.by_sheet) + 1
        path = self.folder / f"rows{i}.xml"
        fh = open(path, "w", encoding="utf-8", newline="", buffering=1 << 18)  # noqa: SIM115
        spool = RowSpool(sheet=sheet, path=path, links_path=self.folder / f"links{i}.xml", fh=fh)
        self.by_sheet[sheet] = spool
        return spool

    def close(self) -> None:
        for spool in self.by_sheet.values():
            spool.close()

    def splice(self, package: Path, out: Path, *, compresslevel: int = 6) -> None:
        """Write ``out``: ``package`` (from XlsxWriter) with the spooled rows inserted."""
        self.close()
        with zipfile.ZipFile(package) as src:
            parts = _sheet_parts(src)
            targets = {}
            for name, spool in self.by_sheet.items():
                if spool.first_row:
                    if name not in parts:
                        raise RuntimeError(f"no worksheet part for {name!r}")
                    targets[parts[name]] = spool
            with zipfile.ZipFile(
                out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel, allowZip64=True
            ) as dst:
                for info in src.infolist():
                    data = src.read(info.filename)
                    spool = targets.get(info.filename)
                    if spool is None:
                        dst.writestr(info.filename, data)
                    else:
                        _write_spliced(dst, info.filename, data.decode("utf-8"), spool)


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


def _write_spliced(dst: zipfile.ZipFile, part: str, xml: str, spool: RowSpool) -> None:
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
    with dst.open(part, "w", force_zip64=True) as fh:
        fh.write(head.encode("utf-8"))
        with open(spool.path, "rb") as rows:
            shutil.copyfileobj(rows, fh, 1 << 20)
        if links_at is None:
            fh.write(tail.encode("utf-8"))
        else:
            fh.write((tail[:links_at] + open_tag).encode("utf-8"))
            with open(spool.links_path, "rb") as links:
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
