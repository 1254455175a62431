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
``部门汇总`` as ``项目汇总``), header cells and the default font are the template's, and
校验结果's rows are coloured by 级别.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfsheet.batch.cache import Aggregate, CacheHeader, iter_records
from perfsheet.batch.naming import temp_path_for
from perfsheet.io.xlsx_stream import (
    EXCEL_MAX_ROWS,
    STYLE_DEFAULT,
    TOTAL_STYLE,
    SheetLook,
    StreamSheet,
    StreamWorkbook,
    col_letter,
    render_cell,
    render_formula,
    styles_xml,
)

DEPT_SHEET = "部门汇总"
NOTES_SHEET = "说明"
LEVEL_HEADER = "级别"


def template_styles(spec: Any = None) -> str:
    """The styles part of the consolidated workbook: header cells styled like the template's
    绩效指标明细 header, every cell in the template's default font (``spec``; the built-in
    template when None). Number formats and totals keep the stream writer's fixed set."""
    from perfsheet.core.plans import SHEET_DETAIL
    from perfsheet.io.template import load_template

    spec = spec if spec is not None else load_template(None)
    detail = spec.sheets.get(SHEET_DETAIL)
    header = detail.columns[0].header_style if detail and detail.columns else None
    return styles_xml(header or None, spec.default_font)


def sheet_looks(spec: Any = None) -> dict[str, SheetLook]:
    """Print setup and tab colour per sheet, from the summary template (``spec``; the built-in
    one when None): its sheets by name, and 部门汇总 like 项目汇总 with a page header that names
    the sheet (``&A``)."""
    from perfsheet.core.plans import SHEET_PROJECTS
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
    return looks


@dataclass(slots=True)
class _Sheet:
    base: str
    head: CacheHeader
    parts: list[StreamSheet] = field(default_factory=list)
    agg: Aggregate = field(default_factory=Aggregate)
    rows: int = 0  # data rows over all parts


@dataclass(slots=True)
class ConsolidatedStats:
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # base sheet name -> data rows
    sheets: list[str] = field(default_factory=list)  # worksheet names, in order


class _Builder:
    def __init__(
        self, tmpdir: Path | None, max_rows: int, looks: Mapping[str, SheetLook], styles: str
    ) -> None:
        self.book = StreamWorkbook(tmpdir=tmpdir, title="绩效汇总（合并）", styles=styles)
        self.max_data_rows = max_rows - 2  # header and total row
        self.sheets: dict[str, _Sheet] = {}
        self.looks = looks

    def sheet(self, base: str, head: CacheHeader) -> _Sheet:
        sh = self.sheets.get(base)
        if sh is None:
            sh = _Sheet(base=base, head=head)
            self.sheets[base] = sh
            self._new_part(sh)
        return sh

    def _new_part(self, sh: _Sheet) -> StreamSheet:
        k = len(sh.parts) + 1
        name = sh.base if k == 1 else f"{sh.base[:26]}（{k}）"
        look = self.looks.get(sh.base, SheetLook())
        if LEVEL_HEADER in sh.head.header:
            look = dataclasses.replace(look, level_col=sh.head.header.index(LEVEL_HEADER))
        part = self.book.add_sheet(name, sh.head.header, sh.head.widths, look)
        sh.parts.append(part)
        return part

    def append(self, sh: _Sheet, fragment: str) -> None:
        part = sh.parts[-1]
        if part.next_row - 1 > self.max_data_rows:
            part = self._new_part(sh)
        part.write_fragment(fragment)
        sh.rows += 1

    def footer(self, sh: _Sheet) -> None:
        head, agg = sh.head, sh.agg
        if not head.totals or not sh.rows:
            return
        part = sh.parts[-1]
        r = part.next_row
        first, last = 2, r - 1
        with_formulas = len(sh.parts) == 1  # one sheet: formulas over its rows
        styles = head.styles()
        cells: list[tuple[int, str]] = []
        for col, func, weight in head.totals:
            style = TOTAL_STYLE.get(styles[col] if col < len(styles) else STYLE_DEFAULT)
            style = style if style is not None else TOTAL_STYLE[STYLE_DEFAULT]
            rng = f"{col_letter(col)}{first}:{col_letter(col)}{last}"
            value: Any
            if func == "label":
                label = head.total_label.replace("{n}", str(sh.rows))
                cells.append((col, render_cell(col, label, style, row=str(r))))
                continue
            if func == "sum":
                value, formula = agg.sums.get(col, 0.0), f"SUBTOTAL(109,{rng})"
            elif func == "average":
                n = agg.counts.get(col, 0)
                value = agg.sums.get(col, 0.0) / n if n else None
                formula = f"SUBTOTAL(101,{rng})"
            elif func == "count":
                value, formula = sh.rows, f"SUBTOTAL(103,{rng})"
            elif func == "ratio" and weight is not None:
                total_w = agg.weights.get(col, 0.0)
                value = agg.weighted.get(col, 0.0) / total_w if total_w else None
                w = f"{col_letter(weight)}{first}:{col_letter(weight)}{last}"
                formula = f'IFERROR(SUMPRODUCT({w},{rng})/SUM({w}),"")'
            else:
                continue
            if with_formulas:
                cells.append((col, render_formula(col, r, formula, value, style)))
            elif value is not None:
                cells.append((col, render_cell(col, value, style, row=str(r))))
        cells.sort()
        part.write_raw_row("".join(c for _, c in cells))


def write_consolidated(
    path: Path,
    caches: Iterable[Path],
    notes: Iterable[Sequence[Any]],
    *,
    notes_header: Sequence[str] = ("类别", "名称", "内容"),
    tmpdir: Path | None = None,
    max_rows: int = EXCEL_MAX_ROWS,
    looks: Mapping[str, SheetLook] | None = None,
    styles: str | None = None,
) -> ConsolidatedStats:
    """Stream the row caches into ``path`` (written to a temporary file, then renamed).

    ``notes`` are the rows of the ``说明`` sheet (a cache's own 说明 rows describe one file and
    are not copied). ``looks``: print setup per sheet (:func:`sheet_looks`), ``styles``: the
    styles part (:func:`template_styles`); the built-in template's when None. Returns the data
    rows written per sheet — the sum of the per-file rows.
    """
    tmp = temp_path_for(path)
    stats = ConsolidatedStats()
    b = _Builder(
        tmpdir,
        max_rows,
        sheet_looks() if looks is None else looks,
        template_styles() if styles is None else styles,
    )
    try:
        for cache in caches:
            stats.files += 1
            for sheet, head, fragment, agg in iter_records(cache):
                if sheet == NOTES_SHEET:
                    continue
                if fragment is not None:
                    sh = b.sheets.get(sheet)
                    if sh is None:
                        raise ValueError(f"行缓存 {cache} 中工作表 {sheet} 的行没有表头")
                    b.append(sh, fragment)
                elif head is not None:
                    b.sheet(sheet, head)
                elif agg is not None and sheet in b.sheets:
                    b.sheets[sheet].agg.add(agg)
        notes_head = CacheHeader(header=list(notes_header), widths=[10, 26, 90])
        notes_sheet = b.sheet(NOTES_SHEET, notes_head)
        for note in notes:
            notes_sheet.parts[-1].write_values(list(note))
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
