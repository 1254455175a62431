"""The consolidated workbook ``绩效汇总_合并.xlsx``, streamed from the per-output row caches.

The caches hold rows already rendered as SpreadsheetML cells (by the workers, in parallel), so
the parent's work is to number rows and copy bytes into a :class:`StreamWorkbook`, one cache
line at a time — memory stays flat whatever the number of inputs, and the serial part of a batch
stays small. Sheet order: ``部门汇总`` first, the standard sheets in the order the first cache
lists them, ``说明`` (rows given by the caller) last. A sheet that reaches Excel's row limit
continues on ``<name>（2）``. Sheets with totals end with a total row: ``SUBTOTAL`` formulas (so
filtering sums what is visible) with their values, computed from the caches' partial sums.
Each sheet is set up for printing as the summary template's sheet of the same name (A4
landscape, one page wide, header row repeated, page header and footer, tab colour;
``部门汇总`` as ``项目汇总``; ``绩效指标明细`` on A3, see :func:`sheet_looks`), its columns are
headed and formatted as the template's (header texts, header, data and total-row cells, number
formats, default font: :mod:`perfsheet.batch.layout`; the cache header of each sheet carries
them), and 校验结果's rows are coloured by 级别.

Column widths fit the longest value of the column (measured by the workers as its number
format shows it, :class:`Aggregate` ``widths``) and the header, up to a cap (:data:`WIDTH_CAP`,
:data:`WIDTH_CAPS`), unless the template gives the column a width of its own (kept; see
:mod:`perfsheet.batch.layout`): a longer text wraps (body cells wrap) rather than being cut
off, and its row is as high as the lines it takes, in its column's font size (the workers
note which texts may wrap, :func:`~perfsheet.io.xlsx_stream.wrap_info`).
Headers break before a unit in brackets (``财政专户拨款（万元）`` shows as ``财政专户拨款``
over ``（万元）``, :func:`display_header`), and a column is at least as wide as the longest
line of its header. Widths and totals are known before the first row is copied: the
aggregates are read first, from the end of each cache.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfsheet.batch.cache import Aggregate, CacheHeader, iter_records, read_aggregates
from perfsheet.batch.layout import DEPT_SHEET, NOTES_SHEET, ConsolidatedLook
from perfsheet.batch.naming import temp_path_for
from perfsheet.core.total_row import total_formula
from perfsheet.io.xlsx_stream import (
    EXCEL_MAX_ROWS,
    STYLE_DEFAULT,
    WIDTH_PADDING,
    SheetLook,
    StreamSheet,
    StreamWorkbook,
    col_letter,
    measure_row,
    number_shower,
    parse_wrap_info,
    render_cell,
    render_formula,
    text_width,
    value_width,
    wrap_info,
    wrapped_lines,
)

if TYPE_CHECKING:
    from perfsheet.io.template import TemplateSpec

LEVEL_KEY = "级别"

PAPER_A3 = 8  # Excel's paperSize codes: 8 = A3, 9 = A4
PAPER_A4 = 9

#: The widest a column gets, in display units (:func:`~perfsheet.io.xlsx_stream.text_width`:
#: a CJK character is 2), padding included: a longer value wraps onto more lines. 12 CJK
#: characters; 10 in 绩效指标明细, so that its 20 columns print one page wide on A3 at a
#: readable scale.
WIDTH_CAP = 25.0
SHEET_WIDTH_CAP = {"绩效指标明细": 21.0}
#: Columns that may be wider (per sheet, by column key): the file name and department of
#: 部门汇总 are shown whole on one line; findings and notes are sentences.
WIDTH_CAPS: dict[str, dict[str, float]] = {
    DEPT_SHEET: {"部门名称": 60.0, "来源文件": 100.0, "工作表": 40.0},
    "绩效指标明细": {"问题": 31.0},
    "校验结果": {"说明": 61.0},
    NOTES_SHEET: {"名称": 40.0, "内容": 90.0},
}
MIN_WIDTH = 4.0
HEADER_PADDING = 2.0  # the header cell also holds the autofilter button
BOLD_FACTOR = 1.1  # bold digits of a total row are a little wider


def display_header(text: str) -> str:
    """A header as its cell shows it: broken before a bracketed unit or note
    (``财政专户拨款（万元）`` -> ``财政专户拨款\n（万元）``), so that the bracket is never split
    from its content and a closing ``）`` never stands alone on a line."""
    at = text.find("（")
    if at <= 0 or "\n" in text:
        return text
    return f"{text[:at]}\n{text[at:]}"


def fit_widths(
    header: Sequence[str],
    widest: Mapping[int, float],
    caps: Mapping[int, float] | None = None,
    cap: float = WIDTH_CAP,
    fixed: Sequence[float | None] = (),
) -> list[float]:
    """Column widths: ``fixed[col]`` where given (the template's); else the widest value plus
    padding, at most the cap of the column (``caps[col]``, else ``cap``), and at least the
    longest line of the header as displayed (:func:`display_header`) — headers break only
    where they are meant to."""
    caps = caps or {}
    out: list[float] = []
    for c, h in enumerate(header):
        own = fixed[c] if c < len(fixed) else None
        if own is not None:
            out.append(float(own))
            continue
        head = max(text_width(line) for line in display_header(h).split("\n")) + HEADER_PADDING
        body = widest.get(c)
        fit = 0.0 if body is None else min(body + WIDTH_PADDING, caps.get(c, cap))
        out.append(round(max(head, fit, MIN_WIDTH), 1))
    return out


def sheet_looks(spec: TemplateSpec | None = None) -> dict[str, SheetLook]:
    """Print setup and tab colour per sheet, from the summary template (``spec``; the built-in
    one when None): its sheets by name, and 部门汇总 like 项目汇总 with a page header that names
    the sheet (``&A``)."""
    from perfsheet.core.sheets import SHEET_DETAIL, SHEET_PROJECTS
    from perfsheet.io.template import SheetSpec, load_template

    spec = spec if spec is not None else load_template(None)
    # every setting the template's sheet spec has under the same name (all but level_col)
    shared = [f.name for f in dataclasses.fields(SheetLook) if f.name in SheetSpec.model_fields]
    looks = {
        name: SheetLook(**{k: getattr(s, k) for k in shared}) for name, s in spec.sheets.items()
    }
    if SHEET_PROJECTS in looks:
        looks[DEPT_SHEET] = dataclasses.replace(
            looks[SHEET_PROJECTS], tab_color=None, print_header="&L&A&R&D"
        )
    # 绩效指标明细 prints on A3 landscape, one page wide. It has 20 columns, and a row is read
    # across all of them (project, indicator, its values, the problem found): on A4 one page
    # wide the text shrank to unreadable, and splitting the columns into a second print area
    # would print each indicator on two sheets of paper, the second without its project and
    # indicator name. Wide budget tables are commonly printed on A3. A template that asks for
    # a paper other than A4 keeps it.
    detail = looks.get(SHEET_DETAIL)
    if detail is not None and detail.paper in (None, PAPER_A4):
        looks[SHEET_DETAIL] = dataclasses.replace(detail, paper=PAPER_A3)
    return looks


_HEIGHTS_KEPT = 20_000  # row heights remembered per sheet (bounded: the parent stays flat)


@dataclass(slots=True)
class _Sheet:
    base: str
    head: CacheHeader
    parts: list[StreamSheet] = field(default_factory=list)
    agg: Aggregate = field(default_factory=Aggregate)  # of every input (read beforehand)
    rows: int = 0  # data rows over all parts
    widths: list[float] = field(default_factory=list)  # of every part
    line_heights: list[float] = field(default_factory=list)  # points per line, per column
    heights: dict[str, float | None] = field(default_factory=dict)  # wrap info -> row height


@dataclass(slots=True)
class ConsolidatedStats:
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # base sheet name -> data rows
    sheets: list[str] = field(default_factory=list)  # worksheet names, in order


def _total_values(head: CacheHeader, agg: Aggregate, n: int) -> list[tuple[int, str, Any]]:
    """``(column, func, value)`` of the total row of a sheet with ``n`` data rows."""
    out: list[tuple[int, str, Any]] = []
    for col, func, weight in head.totals:
        value: Any
        if func == "label":
            value = head.total_label.replace("{n}", str(n))
        elif func == "sum":
            value = agg.sums.get(col, 0.0)
        elif func == "average":
            k = agg.counts.get(col, 0)
            value = agg.sums.get(col, 0.0) / k if k else None
        elif func == "count":
            value = n
        elif func == "ratio" and weight is not None:
            total_w = agg.weights.get(col, 0.0)
            value = agg.weighted.get(col, 0.0) / total_w if total_w else None
        else:
            continue
        out.append((col, func, value))
    return out


def _total_style(head: CacheHeader, col: int) -> int:
    styles = head.total_styles
    return styles[col] if col < len(styles) else STYLE_DEFAULT


def _line_height(size: float) -> float:
    """Points per line of wrapped text in a font of ``size`` points: 15 for 11 pt, as Excel's
    default row."""
    return round(size * 15 / 11, 2)


class _Builder:
    def __init__(
        self,
        tmpdir: Path | None,
        max_rows: int,
        looks: Mapping[str, SheetLook],
        styles: ConsolidatedLook,
        aggs: Mapping[str, Aggregate],
    ) -> None:
        self.book = StreamWorkbook(tmpdir=tmpdir, title="绩效汇总（合并）", styles=styles.xml)
        self.max_data_rows = max_rows - 2  # header and total row
        self.sheets: dict[str, _Sheet] = {}
        self.looks = looks
        self.styles = styles
        self.aggs = aggs

    def sheet(
        self, base: str, head: CacheHeader, widest: Mapping[int, float] | None = None
    ) -> _Sheet:
        """The sheet ``base``, created on first use with its column widths fitted to the values
        of every input (their aggregates, read beforehand), the total row, and ``widest``."""
        if head.styles_id != self.styles.digest:
            # its cells name formats of another styles part (another template or version)
            raise ValueError(f"行缓存中工作表 {base} 的单元格格式与本次合并的模板不一致")
        sh = self.sheets.get(base)
        if sh is None:
            sh = _Sheet(base=base, head=head, agg=self.aggs.get(base) or Aggregate())
            seen = dict(sh.agg.widths)
            for col, w in (widest or {}).items():
                seen[col] = max(w, seen.get(col, 0.0))
            if head.totals and sh.agg.rows:
                formats = head.formats
                for col, _func, value in _total_values(head, sh.agg, sh.agg.rows):
                    fmt = formats[col] if col < len(formats) else None
                    w = value_width(value, fmt) * BOLD_FACTOR
                    seen[col] = max(w, seen.get(col, 0.0))
            named = WIDTH_CAPS.get(base, {})
            caps = {c: named[k] for c, k in enumerate(head.keys) if k in named}
            cap = SHEET_WIDTH_CAP.get(base, WIDTH_CAP)
            sh.widths = fit_widths(head.header, seen, caps, cap, head.widths)
            font_size = self.styles.book.font_size
            hidden = set(head.hidden)  # its text takes no room
            sh.line_heights = [
                0.0 if c in hidden else _line_height(font_size(s))
                for c, s in enumerate(head.styles)
            ]
            self.sheets[base] = sh
            self._new_part(sh)
        return sh

    def _new_part(self, sh: _Sheet) -> StreamSheet:
        k = len(sh.parts) + 1
        name = sh.base if k == 1 else f"{sh.base[:26]}（{k}）"
        look = self.looks.get(sh.base, SheetLook())
        head = sh.head
        if LEVEL_KEY in head.keys:
            look = dataclasses.replace(look, level_col=head.keys.index(LEVEL_KEY))
        header = [display_header(h) for h in head.header]
        part = self.book.add_sheet(
            name, header, sh.widths, look, header_styles=head.header_styles, hidden=head.hidden
        )
        sh.parts.append(part)
        return part

    def height(self, sh: _Sheet, wrap: str) -> float | None:
        """The height of a row whose texts wrap as ``wrap`` says (:func:`wrap_info`); None for
        one line. Set explicitly: not every reader grows a row to fit its wrapped text
        (LibreOffice 7.4 converting headless to PDF stopped at two lines)."""
        if not wrap:
            return None
        known = sh.heights.get(wrap, False)
        if known is not False:  # the same texts (an indicator name, a rule) recur in many rows
            return known
        if len(sh.heights) >= _HEIGHTS_KEPT:  # the parent's memory stays flat
            sh.heights.clear()
        height = sh.heights[wrap] = self._height(sh, wrap)
        return height

    def _height(self, sh: _Sheet, wrap: str) -> float | None:
        widths, heights = sh.widths, sh.line_heights
        tallest, wrapped = 0.0, False
        for c, ws in parse_wrap_info(wrap).items():
            if c < len(widths):
                line = heights[c] if c < len(heights) else _line_height(11)
                lines = wrapped_lines(ws, widths[c])
                wrapped = wrapped or (lines > 1 and line > 0)
                tallest = max(tallest, lines * line)
        return tallest if wrapped else None

    def append(self, sh: _Sheet, fragment: str, wrap: str = "") -> None:
        part = sh.parts[-1]
        if part.next_row - 1 > self.max_data_rows:
            part = self._new_part(sh)
        part.write_fragment(fragment, self.height(sh, wrap))
        sh.rows += 1

    def footer(self, sh: _Sheet) -> None:
        head, agg = sh.head, sh.agg
        if not head.totals or not sh.rows:
            return
        part = sh.parts[-1]
        r = part.next_row
        first, last = 2, r - 1
        with_formulas = len(sh.parts) == 1  # one sheet: formulas over its rows
        weights = {col: weight for col, _func, weight in head.totals}
        cells: dict[int, str] = {}
        for col, func, value in _total_values(head, agg, sh.rows):
            style = _total_style(head, col)
            formula = total_formula(func, col, first, last, weights[col]) if with_formulas else None
            if formula is not None:
                cells[col] = render_formula(col, r, formula, value, style)
            elif value is not None:
                cells[col] = render_cell(col, value, style, row=str(r))
        # the row's empty cells drawn like its totals (fill, rule), as in every output
        for col in range(len(head.header)):
            if col not in cells:
                cells[col] = f'<c r="{col_letter(col)}{r}" s="{_total_style(head, col)}"/>'
        cells = dict(sorted(cells.items()))
        part.write_raw_row("".join(cells.values()))


def write_consolidated(
    path: Path,
    caches: Iterable[Path],
    notes: Iterable[Sequence[Any]],
    *,
    tmpdir: Path | None = None,
    max_rows: int = EXCEL_MAX_ROWS,
    looks: Mapping[str, SheetLook] | None = None,
    styles: ConsolidatedLook | None = None,
) -> ConsolidatedStats:
    """Stream the row caches into ``path`` (written to a temporary file, then renamed).

    ``notes`` are the rows of the ``说明`` sheet, (类别, 名称, 内容) each (a cache's own 说明 rows
    describe one file and are not copied). ``looks``: print setup per sheet
    (:func:`sheet_looks`), ``styles``: the columns' look (the template's, the one the caches
    were written with; the caches' cell formats must be its: ``ValueError`` otherwise); the
    built-in template's when None. Returns the data rows written per sheet — the sum of the
    per-file rows.

    Two passes over the caches: their aggregates first (read from the end of each file), so
    that the column widths and the totals are known before the first row is copied; then
    their rows.
    """
    tmp = temp_path_for(path)
    stats = ConsolidatedStats()
    caches = list(caches)
    aggs: dict[str, Aggregate] = {}
    for cache in caches:
        for sheet, agg in read_aggregates(cache).items():
            aggs.setdefault(sheet, Aggregate()).add(agg)
    b = _Builder(
        tmpdir,
        max_rows,
        sheet_looks() if looks is None else looks,
        ConsolidatedLook() if styles is None else styles,
        aggs,
    )
    try:
        for cache in caches:
            stats.files += 1
            for sheet, head, fragment, _agg, wrap in iter_records(cache):
                if sheet == NOTES_SHEET:
                    continue
                if fragment is not None:
                    sh = b.sheets.get(sheet)
                    if sh is None:
                        raise ValueError(f"行缓存 {cache} 中工作表 {sheet} 的行没有表头")
                    b.append(sh, fragment, wrap)
                elif head is not None:
                    b.sheet(sheet, head)
        columns = b.styles.sheets[NOTES_SHEET]
        notes_head = b.styles.cache_header(columns, [c.text for c in columns])
        shows = [number_shower(f) for f in notes_head.formats]
        wrap_at = notes_head.wrap_at()
        notes_rows = [list(note) for note in notes]
        widest: dict[int, float] = {}
        for note in notes_rows:
            for col, w in measure_row(note, shows, wrap_at)[0].items():
                widest[col] = max(w, widest.get(col, 0.0))
        notes_sheet = b.sheet(NOTES_SHEET, notes_head, widest)
        for note in notes_rows:
            height = b.height(notes_sheet, wrap_info(note, wrap_at))
            notes_sheet.parts[-1].write_values(note, notes_head.styles, height)
            notes_sheet.rows += 1
        for sh in b.sheets.values():
            b.footer(sh)
        b.book.close(tmp)
        tmp.replace(path)
    except BaseException:
        b.book.discard()
        tmp.unlink(missing_ok=True)
        raise
    for base, sh in b.sheets.items():
        stats.sheets.extend(p.name for p in sh.parts)
        if base != NOTES_SHEET:
            stats.rows[base] = sh.rows
    return stats
