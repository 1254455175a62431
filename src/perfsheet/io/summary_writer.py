"""Write the summary workbook from the row plans (``perfsheet.core.summary_rows``).

Three ways, chosen by :func:`write_summary`:

* **standard sheets only** (``--no-source``, and the batch converter): XlsxWriter writes
  ``绩效指标明细`` / ``项目汇总`` / ``校验结果`` / ``说明`` with the template's styles, widths,
  number formats, title and header rows, frozen header, autofilter, print setup, conditional
  formats, the total row and the chart, re-created from the :class:`TemplateSpec`; the data
  rows are rendered by us with the same formats and spliced in (:mod:`perfsheet.io.xlsx_splice`:
  XlsxWriter's per-cell cost was most of the run for large tables). From a whole
  :class:`WorkbookResult` (:func:`write_standard_only`) or, for ``perfsheet summary
  --no-source``, project by project from :class:`~perfsheet.core.pipeline.TableAnalysis`
  (:func:`write_standard_stream`: the same cells, without ever holding every parsed indicator
  and finding of a large table);
* **with the source, .xlsx/.xlsm input**: every part of the user's package is copied into
  the output as it is, the sheets with the annotation plans applied (helper columns, fills and
  notes on error cells), and the standard sheets written as above are added to it
  (:mod:`perfsheet.io.source_copy`);
* **with the source, .xls input** (or a package the copy does not understand): the table
  sheets are rebuilt from their values (merged ranges kept) in the same XlsxWriter workbook.

Every output is written to a temporary file in the output's directory and moved into place
with ``os.replace``; the input is only ever read.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import marshal
import pickle
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from perfsheet.core.annotations import ERROR_FILL, HELPER_FILL, NOTE_AUTHOR, AnnotationPlan
from perfsheet.core.grid import SheetGrid, WorkbookGrid, quote_sheet
from perfsheet.core.models import WorkbookResult
from perfsheet.core.pipeline import ProjectAnalysis, TableAnalysis
from perfsheet.core.sheets import (
    RATIO_FORMAT,
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    STANDARD_SHEETS,
    ColumnKind,
)
from perfsheet.core.summary_rows import SummaryPlan
from perfsheet.core.summary_stream import AuditRecord, stream_tables
from perfsheet.core.timestamps import format_timestamp
from perfsheet.core.total_row import TotalCell, place_totals
from perfsheet.io.private_api import close_row_data, xf_index
from perfsheet.io.template import SheetSpec, TemplateSpec, fill_placeholders
from perfsheet.io.xlsx_splice import RowRender, RowSpool, RowSpools
from perfsheet.io.xlsx_stream import col_letter

_MAX_CHART_PROJECTS = 40
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAX_CELL = 32_767


def _clean(s: str) -> str:
    if _ILLEGAL_XML.search(s):
        s = _ILLEGAL_XML.sub("", s)
    if len(s) > _MAX_CELL:
        s = s[: _MAX_CELL - 1] + "…"
    return s


@dataclass(slots=True)
class _Col:
    index: int
    key: str | None
    kind: ColumnKind | None
    fmt: Any
    link_fmt: Any
    total_fmt: Any
    wrap: bool = False
    width: float | None = None


@dataclass(slots=True)
class _Sheet:
    name: str
    ws: Any
    spec: SheetSpec
    cols: list[_Col]
    first_row: int  # 0-based first data row
    next_row: int
    spool: RowSpool
    by_key: dict[str, _Col] = field(default_factory=dict)
    render: RowRender | None = None  # for _write_rows, computed on first use


class _FileSpool:
    """A table's audit rows on disk until the table ends (the largest part of 校验结果)."""

    def __init__(self, path: Path, pickled: bool) -> None:
        self.path = path
        self.dump, self.load = (
            (pickle.dump, pickle.load) if pickled else (marshal.dump, marshal.load)
        )
        self.fh: IO[bytes] | None = None

    def __enter__(self) -> _FileSpool:
        self.fh = open(self.path, "w+b")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()
        self.path.unlink(missing_ok=True)

    def put(self, records: list[AuditRecord]) -> None:
        assert self.fh is not None
        self.dump(records, self.fh)

    def batches(self) -> Iterator[list[AuditRecord]]:
        assert self.fh is not None
        self.fh.seek(0)
        while True:
            try:
                yield self.load(self.fh)
            except EOFError:
                return


class StandardSheets:
    """The four standard sheets inside an XlsxWriter workbook, fed one result at a time.

    ``add(result, source_file)`` may be called any number of times (one plan may stream many
    files through one instance); ``finish()`` writes the total row, the chart, the 说明 sheet
    and the sheet-level settings. Data rows go out to ``spools`` as they are produced; the
    package XlsxWriter writes gets them when :meth:`RowSpools.splice` rewrites it (the
    ``_workbook`` context of this module does both).
    """

    def __init__(
        self,
        wb: Any,
        plan: SummaryPlan,
        spec: TemplateSpec,
        *,
        spools: RowSpools,
        placeholders: dict[str, str] | None = None,
    ) -> None:
        self.wb = wb
        self.plan = plan
        self.spec = spec
        self.spools = spools
        self._formats: dict[str, Any] = {}
        self.placeholders = placeholders or {}
        self.sheets: dict[str, _Sheet] = {}
        for name in STANDARD_SHEETS:
            self.sheets[name] = self._open_sheet(name, spec.sheets[name])
        self.projects_sheet = plan.sheet_names[SHEET_PROJECTS]

    # -- formats ------------------------------------------------------------------------------

    def _fmt(self, props: dict[str, Any]) -> Any:
        key = repr(sorted(props.items()))
        f = self._formats.get(key)
        if f is None:
            f = self.wb.add_format(dict(props))
            self._formats[key] = f
        return f

    def _open_sheet(self, name: str, spec: SheetSpec) -> _Sheet:
        ws = self.wb.add_worksheet(self.plan.sheet_names[name])
        kinds = dict(zip(self.plan.layout[name], self.plan.kinds(name), strict=True))
        # the plan's layout is the spec's column order (see layout_from_spec)
        cols: list[_Col] = []
        for c in spec.columns:
            kind = kinds.get(c.key) if c.key else None
            body = spec.body_style(c)
            cols.append(
                _Col(
                    index=c.index,
                    key=c.key,
                    kind=kind,
                    fmt=self._fmt(body) if body else None,
                    link_fmt=self._fmt(spec.link_style(c)),
                    total_fmt=self._fmt(spec.total_style(c)),
                    wrap=bool(body.get("text_wrap")),
                    width=c.width,
                )
            )
            if c.width is not None or c.hidden:
                ws.set_column(
                    c.index, c.index, c.width, None, {"hidden": c.hidden} if c.hidden else None
                )
        if spec.tab_color:
            ws.set_tab_color(spec.tab_color)
        if spec.zoom:
            ws.set_zoom(spec.zoom)
        if spec.print_gridlines:
            ws.hide_gridlines(0)
        elif not spec.gridlines:
            ws.hide_gridlines(2)
        if spec.default_row_height:
            ws.set_default_row(spec.default_row_height)

        # title rows (user templates), then the header
        merged_first = {(r1, c1): (r1, c1, r2, c2) for r1, c1, r2, c2 in spec.title_merges}
        merged_cells = {
            (r, c)
            for r1, c1, r2, c2 in spec.title_merges
            for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)
        }
        for r, h in sorted(spec.title_heights.items()):
            ws.set_row(r, h)
        for cell in sorted(spec.title_cells, key=lambda x: (x.row, x.col)):
            fmt = self._fmt(cell.style) if cell.style else None
            value = cell.value
            if isinstance(value, str):
                value = fill_placeholders(value, self.placeholders)
            if (cell.row, cell.col) in merged_first:
                r1, c1, r2, c2 = merged_first[(cell.row, cell.col)]
                ws.merge_range(r1, c1, r2, c2, "" if value is None else value, fmt)
            elif (cell.row, cell.col) in merged_cells:
                continue
            elif value is None:
                ws.write_blank(cell.row, cell.col, None, fmt)
            elif isinstance(value, str):
                ws.write_string(cell.row, cell.col, _clean(value), fmt)
            else:
                ws.write(cell.row, cell.col, value, fmt)
        hr = spec.header_row
        if spec.header_height:
            ws.set_row(hr, spec.header_height)
        for c in spec.columns:
            text = self.plan.header_text(name, c.key, c.header)
            ws.write_string(
                hr, c.index, text, self._fmt(c.header_style) if c.header_style else None
            )
        sheet = _Sheet(
            name=self.plan.sheet_names[name],
            ws=ws,
            spec=spec,
            cols=cols,
            first_row=hr + 1,
            next_row=hr + 1,
            spool=self.spools.open(self.plan.sheet_names[name]),
        )
        sheet.by_key = {c.key: c for c in cols if c.key}
        return sheet

    # -- rows ---------------------------------------------------------------------------------

    def _write_rows(self, sheet: _Sheet, rows: Iterable[tuple]) -> None:
        """Data rows, rendered to SpreadsheetML and spooled (see :mod:`perfsheet.io.xlsx_splice`;
        a :class:`Link` becomes the cell's text plus an internal hyperlink)."""
        sheet.next_row += self.spools.write(sheet.spool, self._render(sheet), sheet.next_row, rows)

    def _render(self, sheet: _Sheet) -> RowRender:
        """What :meth:`_write_rows` needs of a sheet's columns (asking XlsxWriter for the
        formats' indexes registers them: the first call per sheet fixes the order)."""
        if sheet.render is None:
            cols = [
                (
                    col_letter(c.index),
                    f' s="{xf_index(c.fmt)}"' if c.fmt is not None else "",
                    f' s="{xf_index(c.link_fmt)}"',
                )
                for c in sheet.cols
            ]
            max_col = max((c.index for c in sheet.cols), default=0)
            wrapped = [(i, c.width) for i, c in enumerate(sheet.cols) if c.wrap and c.width]
            sheet.render = RowRender(cols, max_col, wrapped)
        return sheet.render

    def add(self, result: WorkbookResult, source_file: str | None = None) -> None:
        p = self.plan
        self._write_rows(self.sheets[SHEET_DETAIL], p.detail_rows(result, source_file))
        self._write_rows(self.sheets[SHEET_PROJECTS], p.project_rows(result, source_file))
        self._write_rows(self.sheets[SHEET_FINDINGS], p.finding_rows(result, source_file))

    def add_tables(
        self,
        analyses: Sequence[TableAnalysis],
        source_file: str | None = None,
        *,
        each: Callable[[int, ProjectAnalysis], None] | None = None,
    ) -> None:
        """The same rows as :meth:`add` of the analyzed result, produced project by project
        in their final order by :func:`~perfsheet.core.summary_stream.stream_tables` and
        sunk here sheet by sheet (each project's indicators are dropped once its rows are
        out). ``each(k, done)`` sees every completed project of ``analyses[k]`` first (the
        source copy's helper columns are built from them). A table's audit rows wait in a
        scratch file until its end."""
        for name in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS):  # add()'s format order
            self._render(self.sheets[name])
        # (marshal is fast; a Link, with the source kept, needs pickle)
        pickled = self.plan.source_in_workbook

        def spool(k: int) -> _FileSpool:
            return _FileSpool(self.spools.folder / f"audit{k}.bin", pickled)

        for name, rows in stream_tables(self.plan, analyses, source_file, spool=spool, each=each):
            self._write_rows(self.sheets[name], rows)

    # -- the end ------------------------------------------------------------------------------

    def _write_total(self, sheet: _Sheet, footer: Sequence[TotalCell]) -> int | None:
        """The total row of 项目汇总; returns its 0-based row (None without a label or sum)."""
        if not footer:
            return None
        ws = sheet.ws
        r = sheet.next_row
        for col in sheet.cols:
            ws.write_blank(r, col.index, None, col.total_fmt)
        columns = {key: col.index for key, col in sheet.by_key.items()}
        fmts = {col.index: col.total_fmt for col in sheet.cols}
        for cell in place_totals(footer, columns, sheet.first_row + 1, sheet.next_row):
            fmt = fmts[cell.col]
            if cell.formula is not None:
                cached = cell.value if cell.value is not None else ""
                ws.write_formula(r, cell.col, cell.formula, fmt, cached)
            elif cell.func == "label":
                ws.write_string(r, cell.col, str(cell.value), fmt)
            elif cell.value is not None:
                ws.write_number(r, cell.col, cell.value, fmt)
        sheet.next_row = r + 1
        return r

    def _chart(self, sheet: _Sheet, total_row: int | None) -> None:
        """Indicator mix by 一级指标 (from the total row, so it follows filters), right of the
        table; its data block sits two rows under the total row. For small tables also 总计
        by project, under that block."""
        ws = sheet.ws
        name = quote_sheet(sheet.name, always=True)
        anchor_col = max((c.index for c in sheet.cols), default=0) + 2
        counts = [
            (label, sheet.by_key.get(key))
            for label, key in (
                ("产出指标", "产出指标数"),
                ("效益指标", "效益指标数"),
                ("满意度指标", "满意度指标数"),
                ("成本指标", "成本指标数"),
            )
        ]
        counts = [(label, c) for label, c in counts if c is not None]
        charts = 0
        if total_row is not None and counts:
            r0 = sheet.next_row + 1
            head = self._fmt({"bold": True})
            ws.write_string(r0, 0, "指标构成（按一级指标）", head)
            ws.write_string(r0, 1, "指标数", head)
            tot = self.plan.project_footer()
            cached = {c.key: c.value for c in tot}
            for i, (label, col) in enumerate(counts, start=1):
                ws.write_string(r0 + i, 0, label)
                ref = f"{col_letter(col.index)}{total_row + 1}"
                ws.write_formula(r0 + i, 1, f"={ref}", None, cached.get(col.key or "", 0))
            sheet.next_row = r0 + len(counts) + 1
            chart = self.wb.add_chart({"type": "column"})
            chart.add_series(
                {
                    "name": "指标数",
                    "categories": f"={name}!$A${r0 + 2}:$A${r0 + 1 + len(counts)}",
                    "values": f"={name}!$B${r0 + 2}:$B${r0 + 1 + len(counts)}",
                    "data_labels": {"value": True},
                    "fill": {"color": "#2E75B6"},
                }
            )
            chart.set_title({"name": "指标构成（按一级指标）", "name_font": {"size": 12}})
            chart.set_legend({"none": True})
            chart.set_y_axis({"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
            ws.insert_chart(sheet.first_row, anchor_col, chart, {"x_scale": 1.1, "y_scale": 1.1})
            charts += 1
        n = sheet.next_row
        projects = self.plan.totals["projects"]
        name_col, total_col = sheet.by_key.get("项目名称"), sheet.by_key.get("总计")
        if 0 < projects <= _MAX_CHART_PROJECTS and name_col is not None and total_col is not None:
            first, last = sheet.first_row + 1, sheet.first_row + projects
            nc, tc = col_letter(name_col.index), col_letter(total_col.index)
            chart = self.wb.add_chart({"type": "bar"})
            chart.add_series(
                {
                    "name": self.plan.header_text(SHEET_PROJECTS, "总计"),
                    "categories": f"={name}!${nc}${first}:${nc}${last}",
                    "values": f"={name}!${tc}${first}:${tc}${last}",
                    "fill": {"color": "#1F4E78"},
                }
            )
            chart.set_title({"name": "各项目总计金额", "name_font": {"size": 12}})
            chart.set_legend({"none": True})
            chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
            chart.set_x_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
            chart.set_size({"width": 620, "height": max(300, 22 * projects + 80)})
            # below the table (and the indicator-mix block), left-aligned
            first_col = min((c.index for c in sheet.cols), default=0)
            ws.insert_chart(n + 1, first_col, chart)
        sheet.next_row = n

    def _finish_sheet(self, sheet: _Sheet, data_end: int) -> None:
        """Freeze, autofilter, print setup and conditional formats (data rows: first..end-1)."""
        ws, spec = sheet.ws, sheet.spec
        hr = spec.header_row
        last_col = max((c.index for c in sheet.cols), default=0)
        first_col = min((c.index for c in sheet.cols), default=0)
        fr, fc = spec.freeze if spec.freeze is not None else (hr + 1, 0)
        ws.freeze_panes(fr, fc)
        if spec.autofilter:
            ws.autofilter(hr, first_col, max(hr, data_end - 1), last_col)
        if spec.landscape:
            ws.set_landscape()
        if spec.paper:
            ws.set_paper(spec.paper)
        if spec.fit_width is not None or spec.fit_height is not None:
            ws.fit_to_pages(spec.fit_width or 0, spec.fit_height or 0)
        if spec.repeat_header:
            ws.repeat_rows(hr)
        if spec.center_horizontally:
            ws.center_horizontally()
        if spec.margins:
            ws.set_margins(**spec.margins)
        if spec.print_header:
            ws.set_header(spec.print_header)
        if spec.print_footer:
            ws.set_footer(spec.print_footer)
        if data_end > sheet.first_row:
            for cf in spec.conditional:
                opts = dict(cf.options)
                opts["format"] = self._fmt(cf.style)
                ws.conditional_format(
                    sheet.first_row, cf.first_col, data_end - 1, cf.last_col, opts
                )

    def finish(self) -> None:
        projects = self.sheets[SHEET_PROJECTS]
        data_end = {name: s.next_row for name, s in self.sheets.items()}
        total_row = self._write_total(projects, self.plan.project_footer())
        self._chart(projects, total_row)
        notes = self.sheets[SHEET_NOTES]
        self._write_rows(notes, self.plan.note_rows())
        data_end[SHEET_NOTES] = notes.next_row
        for name, s in self.sheets.items():
            self._finish_sheet(s, data_end[name])
        projects.ws.activate()


def layout_from_spec(spec: TemplateSpec) -> dict[str, list[str | None]]:
    """The plan's column order for each sheet: the template's header order."""
    return {name: [c.key for c in s.columns] for name, s in spec.sheets.items()}


@dataclass(slots=True)
class _Book:
    wb: Any  # the XlsxWriter workbook
    spools: RowSpools  # data rows written by StandardSheets, spliced in at the end


@contextlib.contextmanager
def _workbook(
    path: Path,
    *,
    constant_memory: bool,
    font: dict[str, Any],
    when: _dt.datetime,
    finish: Callable[[Path, RowSpools, Path], None] | None = None,
) -> Iterator[_Book]:
    """An XlsxWriter workbook plus row spools; when the block succeeds the workbook is closed
    and the spooled rows are spliced in, giving ``path`` (``finish(package, spools, path)``
    does that instead when given: the source copy writes XlsxWriter's parts and the spooled
    rows into the user's package). The temporary files (XlsxWriter's row data and package, the
    spools) live in a private scratch folder next to ``path`` that is removed in every case: a
    run that fails half way (an error, a full disk, Ctrl-C) leaves nothing behind in the
    user's folder."""
    scratch = Path(tempfile.mkdtemp(prefix=".perfsheet-tmp-", dir=path.parent))
    try:
        package = scratch / "xlsxwriter.xlsx"
        wb = _new_workbook(
            package, constant_memory=constant_memory, font=font, when=when, tmpdir=scratch
        )
        spools = RowSpools(scratch)
        try:
            yield _Book(wb, spools)
            wb.close()
            spools.finish()
        finally:
            for ws in wb.worksheets():  # open row-data files of an unfinished workbook
                close_row_data(ws)
            spools.close()
        if finish is None:
            spools.splice(package, path)
        else:
            finish(package, spools, path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _new_workbook(
    path: Path,
    *,
    constant_memory: bool,
    font: dict[str, Any],
    when: _dt.datetime,
    tmpdir: Path | None = None,
) -> Any:
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": constant_memory,
            "nan_inf_to_errors": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_format_properties": {
                "font_name": font.get("font_name", "Calibri"),
                "font_size": font.get("font_size", 11),
            },
            "tmpdir": str(tmpdir or path.parent),
        },
    )
    wb.set_properties(
        {
            "title": "绩效汇总",
            "subject": "项目支出绩效目标表标准化汇总",
            "author": "perfsheet",
            "created": when,
        }
    )
    return wb


def placeholders_for(plan: SummaryPlan, results: Sequence[WorkbookResult]) -> dict[str, str]:
    dept = next((t.department for r in results for t in r.tables if t.department), "")
    return {
        "来源文件": "、".join(plan.sources),
        "生成时间": format_timestamp(plan.generated_at),
        "部门名称": dept or "",
        "版本": plan.version,
        "金额单位": plan.amount_unit or "",
    }


def streaming_needs_exact_scheme(rules: Any) -> bool:
    """Whether :meth:`StandardSheets.add_tables` needs the tables analyzed with
    ``exact_scheme`` (``indicator-legacy`` enabled with a severity other than info, so that it
    counts in 错误数/警告数, 指标质量 and 问题 of the project's rows)."""
    from perfsheet.core.audit import LEGACY

    return bool(rules.enabled(LEGACY)) and rules.severity(LEGACY) != "info"


@contextlib.contextmanager
def _standard_book(
    out_tmp: Path,
    plan: SummaryPlan,
    spec: TemplateSpec,
    results: Sequence[WorkbookResult],
    font: dict[str, Any] | None,
) -> Iterator[StandardSheets]:
    """A workbook with only the standard sheets, written to ``out_tmp`` when the block ends
    (``results`` give the title placeholders: 部门名称…)."""
    with _workbook(
        out_tmp, constant_memory=True, font=font or spec.default_font, when=plan.generated_at
    ) as out:
        book = StandardSheets(
            out.wb, plan, spec, spools=out.spools, placeholders=placeholders_for(plan, results)
        )
        yield book
        book.finish()


def write_standard_stream(
    out_tmp: Path,
    plan: SummaryPlan,
    spec: TemplateSpec,
    file: str,
    analyses: Sequence[TableAnalysis],
    source_file: str | None,
    *,
    font: dict[str, Any] | None = None,
) -> None:
    """:func:`write_standard_only` of one input analyzed as :class:`TableAnalysis` (the
    same workbook, without ever holding every parsed indicator and finding)."""
    shell = WorkbookResult(file=file, tables=[a.table for a in analyses])
    with _standard_book(out_tmp, plan, spec, [shell], font) as book:
        book.add_tables(analyses, source_file)


def write_standard_only(
    out_tmp: Path,
    plan: SummaryPlan,
    spec: TemplateSpec,
    inputs: Sequence[tuple[WorkbookResult, str | None]],
    *,
    font: dict[str, Any] | None = None,
) -> None:
    """Write a workbook with only the standard sheets to ``out_tmp``."""
    with _standard_book(out_tmp, plan, spec, [r for r, _ in inputs], font) as book:
        for result, name in inputs:
            book.add(result, name)


@dataclass(slots=True)
class WriteReport:
    mode: str  # "standard" | "copy" (the source copy) | "rebuilt"
    annotated: list[str] = field(default_factory=list)  # sheets with helper columns
    skipped: list[str] = field(default_factory=list)  # Chinese reasons (blocked areas, fallbacks)


_FONT_RE = re.compile(rb"<fonts\b[^>]*>\s*<font\b[^>]*>(.*?)</font>", re.S)


def source_default_font(path: Path) -> dict[str, Any] | None:
    """The default font (first ``<font>`` of styles.xml) of an .xlsx, read with a bounded
    regex (no XML parser on the user's file), so the standard sheets can share it."""
    try:
        with zipfile.ZipFile(path) as z, z.open("xl/styles.xml") as fh:
            head = fh.read(1 << 20)
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError):
        return None
    m = _FONT_RE.search(head)
    if not m:
        return None
    name = re.search(rb'<name\b[^>]*val="([^"]*)"', m.group(1))
    size = re.search(rb'<sz\b[^>]*val="([0-9.]+)"', m.group(1))
    font: dict[str, Any] = {}
    if name:
        font["font_name"] = name.group(1).decode("utf-8", "replace")
    if size:
        font["font_size"] = float(size.group(1))
    return font or None


_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def safe_sheet_name(name: str, taken: set[str]) -> str:
    r"""A name Excel (and XlsxWriter) accepts for a rebuilt sheet: no ``[]:*?/\``, no leading
    or trailing apostrophe, at most 31 characters, not empty, unique ignoring case among
    ``taken`` (lower-cased; the new name is added). A crafted .xls can carry any of these."""
    base = _SHEET_NAME_BAD.sub("_", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, k = base, 2
    while candidate.lower() in taken or candidate.lower() == "history":
        tag = f"({k})"
        candidate = base[: 31 - len(tag)] + tag
        k += 1
    taken.add(candidate.lower())
    return candidate


def _write_grid_sheet(
    wb: Any,
    grid: SheetGrid,
    ann: AnnotationPlan | None,
    formats: dict[str, Any],
    title: str | None = None,
) -> None:
    """Rebuild one sheet from its values (.xls input): values, merged ranges, helper columns
    and marks. Not constant_memory: merged ranges write several rows at once."""
    ws = wb.add_worksheet(title if title is not None else grid.name[:31])
    marks: dict[tuple[int, int], str] = {}
    if ann is not None and not ann.blocked:
        marks = {(m.row, m.col): m.note for m in ann.marks}
    merged_first = {}
    merged_rest = set()
    for m in grid.merged:
        merged_first[(m.first_row, m.first_col)] = m
        for r in range(m.first_row, m.last_row + 1):
            for c in range(m.first_col, m.last_col + 1):
                if (r, c) != (m.first_row, m.first_col):
                    merged_rest.add((r, c))
    wrap = formats["wrap"]
    for i, line in enumerate(grid.rows):
        r = grid.origin_row + i
        for j, v in enumerate(line):
            c = grid.origin_col + j
            if (r, c) in merged_rest:
                continue
            note = marks.pop((r, c), None)
            fmt = wrap
            if note is not None:
                fmt = formats["mark"]
                opts = {"author": NOTE_AUTHOR, "x_scale": 2, "y_scale": 2}
                ws.write_comment(r - 1, c - 1, note, opts)
            m = merged_first.get((r, c))
            value: Any = v
            if isinstance(value, str):
                value = _clean(value)
            if m is not None:
                ws.merge_range(
                    m.first_row - 1,
                    m.first_col - 1,
                    m.last_row - 1,
                    m.last_col - 1,
                    value if value is not None else "",
                    fmt,
                )
                continue
            if value is None or value == "":
                if fmt is not wrap:
                    ws.write_blank(r - 1, c - 1, None, fmt)
                continue
            if isinstance(value, bool):
                ws.write_boolean(r - 1, c - 1, value, fmt)
            elif isinstance(value, int | float):
                ws.write_number(r - 1, c - 1, value, fmt)
            elif isinstance(value, _dt.datetime | _dt.date):
                ws.write_datetime(r - 1, c - 1, value, formats["date"])
            elif isinstance(value, str):
                ws.write_string(r - 1, c - 1, value, fmt)
            else:
                ws.write_string(r - 1, c - 1, str(value), fmt)
    for (r, c), note in marks.items():  # marks on cells the grid has no value for
        ws.write_blank(r - 1, c - 1, None, formats["mark"])
        ws.write_comment(r - 1, c - 1, note, {"author": NOTE_AUTHOR, "x_scale": 2, "y_scale": 2})
    if ann is not None and not ann.blocked:
        hr, c0 = ann.header_row - 1, ann.start_col - 1
        for i, text in enumerate(ann.headers):
            ws.write_string(hr, c0 + i, text, formats["helper_header"])
        for r, vals in ann.values.items():
            for i, v in enumerate(vals):
                fmt = (
                    formats["ratio"] if ann.number_formats[i] == RATIO_FORMAT else formats["helper"]
                )
                if v is None:
                    ws.write_blank(r - 1, c0 + i, None, fmt)
                elif isinstance(v, str):
                    ws.write_string(r - 1, c0 + i, v, fmt)
                else:
                    ws.write_number(r - 1, c0 + i, v, fmt)
        for i in range(len(ann.headers)):
            ws.set_column(
                ann.start_col - 1 + i, ann.start_col - 1 + i, 30 if i == len(ann.headers) - 1 else 8
            )
    widths = [0] * (grid.n_cols + grid.origin_col)
    for line in grid.rows[:200]:
        for j, v in enumerate(line):
            if isinstance(v, str):
                widths[grid.origin_col - 1 + j] = max(
                    widths[grid.origin_col - 1 + j], min(len(v), 60)
                )
    for c, w in enumerate(widths):
        if w and (
            ann is None
            or ann.blocked
            or not (ann.start_col - 1 <= c < ann.start_col - 1 + len(ann.headers))
        ):
            ws.set_column(c, c, max(8, min(w * 1.6, 60)))


def write_with_source_rebuilt(
    out_tmp: Path,
    grid: WorkbookGrid,
    plan: SummaryPlan,
    spec: TemplateSpec,
    result: WorkbookResult,
    annotations: Sequence[AnnotationPlan],
    report: WriteReport,
) -> None:
    """.xls input (or an .xlsx the source copy does not understand): the sheets rebuilt from
    their values."""
    with _workbook(
        out_tmp, constant_memory=False, font=spec.default_font, when=plan.generated_at
    ) as out:
        wb = out.wb
        formats = {
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "mark": wb.add_format(
                {"text_wrap": True, "valign": "top", "bg_color": "#" + ERROR_FILL}
            ),
            "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
            "helper_header": wb.add_format(
                {"bold": True, "bg_color": "#" + HELPER_FILL, "border": 1, "align": "center"}
            ),
            "helper": wb.add_format({"border": 1, "valign": "top", "text_wrap": True}),
            "ratio": wb.add_format({"border": 1, "valign": "top", "num_format": RATIO_FORMAT}),
        }
        by_sheet = {a.sheet: a for a in annotations}
        for ann in annotations:
            if ann.blocked:
                report.skipped.append(ann.blocked)
        taken = {n.lower() for n in plan.sheet_names.values()}  # the standard sheets come after
        for g in grid.sheets:
            ann = by_sheet.get(g.name)
            _write_grid_sheet(wb, g, ann, formats, title=safe_sheet_name(g.name, taken))
            if ann is not None and not ann.blocked:
                report.annotated.append(g.name)
        book = StandardSheets(
            wb, plan, spec, spools=out.spools, placeholders=placeholders_for(plan, [result])
        )
        book.add(result, plan.sources[0] if plan.sources else None)
        book.finish()
