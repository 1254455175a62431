"""The ribbon actions on a live workbook: 解析指标, 校验合计, 生成汇总, 批量转换 (and
导出模板, which only writes the built-in summary template next to the workbook:
:func:`export_template`).

Plain functions taking an ``xw.Book`` — the same code for the classic add-in
(:mod:`perfsheet.excel.ribbon`, through ``xw.Book.caller()``) and for xlwings Lite / Server
(:mod:`perfsheet.excel.scripts`, the book of the ``@script``). Each one

1. reads the active sheet's values once (:func:`perfsheet.excel.live_book.read_active`),
2. calls the core (:func:`perfsheet.core.pipeline.analyze`, with ``perfsheet.rules.toml``
   found next to the workbook or in the user's home),
3. writes the core's output plan back — the very plans the file writers apply:
   :func:`perfsheet.core.annotations.annotation_plan` (helper columns, marks) and
   :class:`perfsheet.core.summary_rows.SummaryPlan` (the rows of the standard sheets), the
   standard sheets laid out and formatted by the summary template as the file writer does
   (``perfsheet.template.xlsx`` next to the workbook or in the user's home, else the built-in
   one: :func:`perfsheet.io.template.find_template_file`; the file writer's
   :class:`~perfsheet.io.template.TemplateSpec`, applied with what xlwings can set),
4. ends with a short Chinese message box and returns an :class:`ActionResult`.

No parsing or checking happens here. Problems that stop an action are
:class:`~perfsheet.errors.PerfsheetError` s (the ribbon/script dispatcher shows them in a
message box); an action that stops has written nothing.

What the actions own, and therefore the only things they change (issue 8 §2):

- the helper columns right of the table, recognized by their header text (解析指标): on a
  packed table 指标数…解析状态 per project row, on a row list or a form 比较符 / 目标值 /
  计量单位 / 定量/定性 / 问题 per indicator row (right of the indicator grid for forms; see
  :func:`perfsheet.core.annotations.annotation_plan`). Those target headers are also headers of
  budget-system exports; the header catalogue knows their block as ours
  (:data:`perfsheet.core.headers.TARGET_HELPERS`), so a second click reads the table the
  first one read;
- the fills and notes they put on cells with ``error`` findings (校验合计), listed in the
  hidden sheet :data:`MARKS_SHEET` so that the next run removes exactly those marks — a note
  that was already on a cell (the user's) is never replaced or removed;
- the standard sheets, recognized as the file writer recognizes them
  (:func:`perfsheet.core.sheets.own_sheets`: the facts ``perfsheet 版本`` / ``生成的工作表`` of
  their ``说明`` sheet). An own sheet is cleared and refilled (formulas elsewhere that point at
  it keep working); a missing one is added after the last sheet; where the user has a sheet
  of the same name, ours is called ``…（perfsheet）``
  (:func:`perfsheet.core.sheets.standard_sheet_names`), so a user's 说明 or 项目汇总 is never
  touched. Own sheets left under an outdated name are deleted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.core.annotations import AnnotationPlan, CellMark, annotation_plan
from perfsheet.core.counts import Counts, count_result
from perfsheet.core.grid import SheetGrid, WorkbookGrid, cell_ref, col_number
from perfsheet.core.models import WorkbookResult
from perfsheet.core.rules import MONEY_RULES
from perfsheet.core.sheets import (
    OWN_SUFFIX,
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    SHEETS_FACT,
    STANDARD_SHEETS,
    own_sheets,
    standard_sheet_names,
)
from perfsheet.core.summary_rows import Link, SummaryPlan, pick_amount_unit
from perfsheet.core.total_row import TotalCell, place_totals
from perfsheet.errors import InputError
from perfsheet.excel.live_book import (
    Formula,
    LiveBookError,
    add_note,
    alert,
    apply_styles,
    autofit_rows,
    book_path,
    delete_note,
    find_sheet,
    freeze_panes,
    fresh_sheet,
    has_note,
    hide_columns,
    letters,
    merge_cells,
    read_active,
    read_sheet,
    replace_note,
    set_column_widths,
    set_fills,
    set_font_colors,
    set_number_formats,
    set_row_heights,
    show_gridlines,
    write_block,
)

if TYPE_CHECKING:
    from xlwings import Book, Sheet

    from perfsheet.core.summary_rows import QualityScorer
    from perfsheet.io.template import ColumnSpec, SheetSpec, Style, TemplateSpec

#: the hidden sheet listing the cells 校验合计 marked (sheet, cell, whether we added the note)
MARKS_SHEET = "perfsheet标记"
MARKS_HEADERS = ("工作表", "单元格", "批注由本工具添加")
MARKS_NOTE = (
    "本表由 perfsheet「校验合计」自动维护，记录它标出（填充颜色、批注）的单元格，"
    "以便再次校验时只清除自己的标记。请勿修改。"
)
#: where 批量转换 writes, inside the chosen folder (the batch engine never reads it back)
OUTPUT_FOLDER = "绩效汇总输出"

HELPER_WIDTH, STATUS_WIDTH = 8.0, 30.0
#: helper columns wider than HELPER_WIDTH (a qualitative 目标值 is text)
HELPER_WIDTHS: dict[str, float] = {"目标值": 14.0, "计量单位": 9.0, "定量/定性": 9.0}


class ActionResult(BaseModel):
    """What an action did (also the text of its message box)."""

    model_config = ConfigDict(extra="forbid")

    action: str
    message: str
    sheet: str | None = None
    counts: Counts = Field(default_factory=Counts)  # what the analysis (or the batch) found
    money_errors: int = 0
    helper_columns: list[str] = Field(default_factory=list)  # "H–N" per table
    marks: int = 0
    marks_cleared: int = 0
    notes_added: int = 0
    notes_skipped: int = 0  # cells that keep the user's own note, or engines without notes
    added_sheets: list[str] = Field(default_factory=list)
    replaced_sheets: list[str] = Field(default_factory=list)
    deleted_sheets: list[str] = Field(default_factory=list)  # own sheets under an old name
    rows: dict[str, int] = Field(default_factory=dict)  # standard sheet -> data rows
    output: str | None = None  # 批量转换: the output folder; 导出模板: the template file


# --------------------------------------------------------------------------------------------
# Reading and analysing the active sheet
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Live:
    book: Book
    sheet: Sheet
    grid: SheetGrid
    result: WorkbookResult
    own: set[str]  # sheets an earlier perfsheet run generated in this workbook
    names: dict[str, str]  # standard sheet -> the name it has (or gets) in this workbook
    scorer: QualityScorer
    quality_doc: str | None
    spec: TemplateSpec  # the summary template (the built-in one for 解析指标, which needs none)

    @property
    def counts(self) -> Counts:
        return count_result(self.result)

    @property
    def money_errors(self) -> int:
        return sum(
            1
            for t in self.result.tables
            for f in t.findings
            if f.severity == "error" and f.rule in MONEY_RULES
        )


def _ownership(book: Book) -> tuple[set[str], dict[str, str]]:
    """(own sheets, standard sheet -> name to use), decided as the file writer decides:
    only the 说明 sheets are read (their facts name the sheets perfsheet generated)."""
    notes_names = (SHEET_NOTES, SHEET_NOTES + OWN_SUFFIX)
    grids = [
        read_sheet(s) if s.name in notes_names else SheetGrid(name=s.name, rows=[])
        for s in book.sheets
    ]
    own = own_sheets(grids)
    return own, standard_sheet_names([g.name for g in grids], own)


def _template(book: Book) -> TemplateSpec:
    """The summary template of the buttons: ``perfsheet.template.xlsx`` next to the workbook
    or in the user's home, else the built-in one (also where the workbook's folder is unknown:
    xlwings Lite, an unsaved book). A template that cannot be used raises the reader's error,
    which names the file (:class:`~perfsheet.errors.TemplateError`,
    :class:`~perfsheet.errors.InputError`)."""
    from perfsheet.io.template import find_template_file, load_template

    return load_template(find_template_file(book_path(book)))


def _analyze(book: Book, *, template: bool = False) -> _Live:
    """Read the active sheet once (and the 说明 sheets, for ownership); find the rules file
    (and, with ``template``, read the user's summary template: a bad one stops the action
    before anything is written); run the core."""
    from perfsheet.core.pipeline import analyze
    from perfsheet.io.rules_file import find_rules_file
    from perfsheet.io.safety import time_limit
    from perfsheet.io.template import builtin_template
    from perfsheet.summary import audit_hooks

    sheet, wb = read_active(book)
    grid = wb.sheets[0]
    own, names = _ownership(book)
    if sheet.name in own or sheet.name == MARKS_SHEET:
        raise LiveBookError(
            f"当前工作表「{sheet.name}」是 perfsheet 生成的表，请先切换到原始的绩效目标表"
        )
    rules, scorer, doc = audit_hooks(find_rules_file(book_path(book)))
    spec = _template(book) if template else builtin_template()
    try:
        # the same time limit as the commands (Excel calls us from its own threads: the
        # limit's watchdog works there); nothing has been written yet when it stops
        with time_limit(f"工作表「{sheet.name}」"):
            seen = WorkbookGrid(path=wb.path, sheets=[grid])
            result = analyze(seen, sheet=sheet.name, rules=rules)
    except InputError as err:
        raise LiveBookError(err.reason) from None
    return _Live(
        book=book,
        sheet=sheet,
        grid=grid,
        result=result,
        own=own,
        names=names,
        scorer=scorer,
        quality_doc=doc,
        spec=spec,
    )


def _summary_plan(live: _Live) -> tuple[SummaryPlan, TemplateSpec]:
    """The summary plan the file writer would use for this input and template."""
    from perfsheet import __version__
    from perfsheet.io.summary_writer import layout_from_spec

    spec = live.spec
    plan = SummaryPlan(
        layout=layout_from_spec(spec),
        amount_unit=pick_amount_unit([live.result]),
        version=__version__,
        source_in_workbook=True,
        quality=live.scorer,
        quality_doc=live.quality_doc,
        sources=[live.book.name],
        template=spec.source,
        sheet_names=live.names,
    )
    return plan, spec


def _result(action: str, live: _Live, message: str, **extra: Any) -> ActionResult:
    return ActionResult(
        action=action,
        message=message,
        sheet=live.sheet.name,
        counts=live.counts,
        money_errors=live.money_errors,
        **extra,
    )


def _findings_text(c: Counts) -> str:
    return f"错误 {c.errors} 条、警告 {c.warnings} 条、提示 {c.infos} 条"


# --------------------------------------------------------------------------------------------
# 解析指标: helper columns
# --------------------------------------------------------------------------------------------


def _runs(cols: list[int]) -> list[tuple[int, int]]:
    """Consecutive column numbers -> (first, last) runs."""
    out: list[tuple[int, int]] = []
    for c in sorted(set(cols)):
        if out and c == out[-1][1] + 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def apply_helper_columns(book: Book, sheet: Sheet, plan: AnnotationPlan) -> None:
    """Write the helper columns of ``plan`` (header and values; the marks are
    :func:`apply_marks`' job). The caller has checked ``plan.blocked``."""
    n = len(plan.headers)
    start = plan.start_col
    area = range(start, start + n)

    # 1. helper columns of an earlier run that lie outside the new area (the table moved)
    r1, r2 = plan.clear_rows
    for a, b in _runs([c for c in plan.clear_columns if c not in area]):
        old = sheet.range((r1, a), (r2, b))
        old.clear_contents()
        old.color = None

    # 2. the plan's block (header row down to the table's last row) in one write: every
    #    cell of the area gets a value or is emptied, so an earlier run's values are replaced
    _address, rows = plan.block()
    write_block(sheet, plan.header_row, start, rows)

    # 3. header fill and bold (the header repeated below too), number formats, widths
    for hr in (plan.header_row, *plan.more_header_rows):
        header = sheet.range((hr, start), (hr, start + n - 1))
        header.color = "#" + plan.header_fill
        header.font.bold = True
    if plan.header_row < plan.last_row:
        formats = list(plan.number_formats) + [None] * (n - len(plan.number_formats))
        set_number_formats(sheet, plan.header_row + 1, plan.last_row, start, formats[:n])
    widths = {start + i: HELPER_WIDTHS.get(h, HELPER_WIDTH) for i, h in enumerate(plan.headers)}
    widths[start + n - 1] = STATUS_WIDTH
    set_column_widths(book, sheet, widths)


def _helper_text(plans: list[AnnotationPlan], spans: list[str]) -> str:
    """``H–N 列写入辅助列（指标数、…）``; per table when the tables' helper columns differ
    (a packed table and a row list on one sheet)."""

    def what(plan: AnnotationPlan) -> str:
        per_row = "" if plan.layout == "packed" else "，每条指标一行"
        return f"（{'、'.join(plan.headers)}{per_row}）"

    if len({(tuple(p.headers), p.layout == "packed") for p in plans}) == 1:
        return f"{'、'.join(spans)} 列写入辅助列{what(plans[0])}"
    parts = [f"{span} 列{what(plan)}" for plan, span in zip(plans, spans, strict=True)]
    return "、".join(parts) + "写入辅助列"


def parse_indicators(book: Book) -> ActionResult:
    """解析指标: helper columns right of each table of the active sheet — 指标数…解析状态 per
    project row of a packed table, 比较符…问题 per indicator row of a row list or a form."""
    live = _analyze(book)
    plans = [annotation_plan(t, live.grid) for t in live.result.tables]
    blocked = [p.blocked for p in plans if p.blocked]
    if blocked:
        raise LiveBookError(f"{blocked[0]}。本次未写入任何内容")
    for plan in plans:
        apply_helper_columns(book, live.sheet, plan)
    c = live.counts
    spans = [letters(p.start_col, p.start_col + len(p.headers) - 1) for p in plans]
    message = (
        f"解析完成：工作表「{live.sheet.name}」共 {c.projects} 个项目、"
        f"{c.indicators} 条指标。\n"
        f"已在 {_helper_text(plans, spans)}；"
        "再次运行会替换这些列，不会重复添加。\n"
        f"发现{_findings_text(c)}，点击“校验合计”可标出错误并列出明细。"
    )
    alert(book, message)
    return _result("parse", live, message, helper_columns=spans)


# --------------------------------------------------------------------------------------------
# 校验合计: marks on cells with errors + 校验结果
# --------------------------------------------------------------------------------------------

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


@dataclass(slots=True)
class _MarkRecord:
    sheet: str
    cell: str
    noted: bool  # the note on the cell was added by perfsheet

    @property
    def key(self) -> tuple[int, int] | None:
        m = _REF.match(self.cell.strip())
        if not m:
            return None
        return int(m.group(2)), col_number(m.group(1).upper())


def _read_mark_records(book: Book) -> tuple[Sheet | None, list[_MarkRecord]]:
    rec_sheet = find_sheet(book, MARKS_SHEET)
    if rec_sheet is None:
        return None, []
    grid = read_sheet(rec_sheet)
    out: list[_MarkRecord] = []
    for r in range(grid.origin_row, grid.origin_row + grid.n_rows):
        if r == 1:
            continue  # the header row
        name, cell, noted = (grid.value(r, c) for c in (1, 2, 3))
        if isinstance(name, str) and isinstance(cell, str):
            out.append(_MarkRecord(name, cell, noted == "是"))
    return rec_sheet, out


def _write_mark_records(book: Book, existing: Sheet | None, records: list[_MarkRecord]) -> None:
    if not records:
        if existing is not None:
            existing.delete()
        return
    sheet, _created = fresh_sheet(book, MARKS_SHEET)
    rows: list[list[Any]] = [[*MARKS_HEADERS, MARKS_NOTE]]
    rows += [[r.sheet, r.cell, "是" if r.noted else "否", None] for r in records]
    write_block(sheet, 1, 1, rows)
    sheet.visible = False


@dataclass(slots=True)
class _MarkOutcome:
    marks: int = 0
    cleared: int = 0
    notes_added: int = 0
    notes_skipped: int = 0


def apply_marks(book: Book, sheet: Sheet, marks: list[CellMark]) -> _MarkOutcome:
    """Put the plan's marks (fill + note) on ``sheet`` and remove perfsheet's earlier marks
    there that are no longer errors. Notes that perfsheet did not add are kept as they are."""
    rec_sheet, records = _read_mark_records(book)
    here = {r.key: r for r in records if r.sheet == sheet.name and r.key is not None}
    kept = [r for r in records if r.sheet != sheet.name]
    new = {(m.row, m.col): m for m in marks}
    out = _MarkOutcome(marks=len(new))
    fills: dict[tuple[int, int], str | None] = {}
    for key, old in here.items():
        if key in new:
            continue
        fills[key] = None
        if old.noted:
            delete_note(sheet, *key)
        out.cleared += 1
    for key, m in sorted(new.items()):
        fills[key] = "#" + m.fill
        old = here.get(key)
        if old is not None and old.noted:
            noted = replace_note(sheet, *key, m.note)
        elif has_note(sheet, *key):
            noted = False  # the user's own note stays
        else:
            noted = add_note(sheet, *key, m.note)
        if noted:
            out.notes_added += 1
        else:
            out.notes_skipped += 1
        kept.append(_MarkRecord(sheet.name, cell_ref(*key), noted))
    set_fills(book, sheet, fills)
    _write_mark_records(book, rec_sheet, kept)
    return out


def check_totals(book: Book) -> ActionResult:
    """校验合计: fill + note on every cell with an error finding, and the 校验结果 sheet
    (with the 说明 sheet that explains it and marks it as perfsheet's)."""
    live = _analyze(book, template=True)
    marks = [m for t in live.result.tables for m in annotation_plan(t, live.grid).marks]
    plan, spec = _summary_plan(live)
    source = live.book.name
    for _row in plan.detail_rows(live.result, source):  # totals for 说明
        pass
    for _row in plan.project_rows(live.result, source):
        pass
    findings = list(plan.finding_rows(live.result, source))
    sheets = _write_sheets(book, live, plan, spec, {SHEET_FINDINGS: (findings, None)})
    outcome = apply_marks(book, live.sheet, marks)
    live.sheet.activate()

    c, money_errors = live.counts, live.money_errors
    money = f"金额合计有 {money_errors} 处错误" if money_errors else "金额合计全部正确"
    lines = [
        f"校验完成：工作表「{live.sheet.name}」共 {c.projects} 个项目、"
        f"{c.indicators} 条指标，{money}；共{_findings_text(c)}。"
    ]
    if outcome.marks:
        lines.append(f"已将 {outcome.marks} 个有错误的单元格标为红色并附批注说明。")
    if outcome.cleared:
        lines.append(f"已清除上次标出、现已更正的 {outcome.cleared} 个单元格的标记。")
    if outcome.notes_skipped:
        lines.append(
            f"有 {outcome.notes_skipped} 个单元格未加批注（已有批注或当前环境不支持批注），"
            "说明见校验结果表。"
        )
    findings_name = live.names[SHEET_FINDINGS]
    lines.append(f"明细见「{findings_name}」工作表（{len(findings)} 条）。")
    message = "\n".join(lines)
    alert(book, message)
    return _result(
        "check",
        live,
        message,
        marks=outcome.marks,
        marks_cleared=outcome.cleared,
        notes_added=outcome.notes_added,
        notes_skipped=outcome.notes_skipped,
        added_sheets=sheets.added,
        replaced_sheets=sheets.replaced,
        deleted_sheets=sheets.deleted,
        rows={findings_name: len(findings)},
    )


# --------------------------------------------------------------------------------------------
# The standard sheets
# --------------------------------------------------------------------------------------------


def _hyperlink(link: Link) -> Formula:
    """A Link as a HYPERLINK formula (works in every runtime, unlike hyperlink objects)."""
    target = ("#" + link.location).replace('"', '""')
    text = link.text.replace('"', '""')
    return Formula(f'=HYPERLINK("{target}","{text}")')


def _out(value: Any) -> Any:
    return _hyperlink(value) if isinstance(value, Link) else value


def _total_row(
    footer: list[TotalCell], positions: dict[str, int], first: int, last: int
) -> dict[int, Any]:
    """The 项目汇总 total row over data rows first..last (0-based column -> value): the
    core's formulas (:func:`~perfsheet.core.total_row.place_totals`), as the file writers
    write them; the plan's value where a cell has no formula (a label, no rows)."""
    return {
        cell.col: Formula(cell.formula) if cell.formula is not None else cell.value
        for cell in place_totals(footer, positions, first, last)
    }


_CRITERIA = re.compile(r'^=\$([A-Z]{1,3})\$?\d+\s*=\s*"([^"]*)"$')


def _row_fills(
    spec_sheet: SheetSpec, rows: list[list[Any]], first_row: int
) -> dict[tuple[int, int], str | None]:
    """The template's conditional formats of the form ``=$A2="错误"`` as direct fills
    (conditional formats are outside the portable API subset)."""
    fills: dict[tuple[int, int], str | None] = {}
    for cf in spec_sheet.conditional:
        m = _CRITERIA.match(str(cf.options.get("criteria", "")))
        color = cf.style.get("bg_color")
        if cf.options.get("type") != "formula" or not m or not color:
            continue
        ci = col_number(m.group(1)) - 1
        for i, row in enumerate(rows):
            if ci < len(row) and row[ci] == m.group(2):
                for c in range(cf.first_col, cf.last_col + 1):
                    fills.setdefault((first_row + i, c + 1), color)
    return fills


def _title_cells(sheet_spec: SheetSpec, placeholders: dict[str, str]) -> dict[tuple[int, int], Any]:
    """The template's title rows above the header (1-based cell -> value, ``{部门名称}`` etc.
    filled in); a merged range's value is in its first cell, as the file writer writes it."""
    from perfsheet.io.template import fill_placeholders

    covered = {
        (r, c)
        for r1, c1, r2, c2 in sheet_spec.title_merges
        for r in range(r1, r2 + 1)
        for c in range(c1, c2 + 1)
        if (r, c) != (r1, c1)
    }
    out: dict[tuple[int, int], Any] = {}
    for cell in sheet_spec.title_cells:
        if (cell.row, cell.col) in covered:
            continue
        value = cell.value
        if isinstance(value, str):
            value = fill_placeholders(value, placeholders)
        out[(cell.row + 1, cell.col + 1)] = value
    return out


def _title_styles(sheet_spec: SheetSpec) -> dict[tuple[int, int], Style]:
    """The title cells' styles (1-based); every cell of a merged range has its first cell's."""
    styles = {(c.row + 1, c.col + 1): c.style for c in sheet_spec.title_cells}
    for r1, c1, r2, c2 in sheet_spec.title_merges:
        style = styles.get((r1 + 1, c1 + 1), {})
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                styles[(r + 1, c + 1)] = style
    return styles


def _write_standard_sheet(
    book: Book,
    name: str,
    key: str,
    spec: TemplateSpec,
    plan: SummaryPlan,
    rows: list[tuple],
    placeholders: dict[str, str],
    footer: list[TotalCell] | None = None,
) -> bool:
    """Fill the standard sheet ``key`` (called ``name`` here) from the plan's rows, laid out
    and formatted by the template as the file writer does
    (:class:`~perfsheet.io.summary_writer.StandardSheets`), with what xlwings can set: title
    rows, header text and style, the data cells' styles (link cells in the link colour), the
    template's error/warning rows as fills, the total row, widths, hidden columns, row
    heights, frozen panes, gridlines. Returns whether the sheet was added."""
    from perfsheet.io.template import LINK_COLOR

    sheet_spec = spec.sheets[key]
    columns = sorted(sheet_spec.columns, key=lambda c: c.index)
    width = max((c.index for c in columns), default=-1) + 1
    order = [c.index for c in sheet_spec.columns]  # plan tuples follow the spec's order
    header_row = sheet_spec.header_row + 1
    first, last = header_row + 1, header_row + len(rows)
    bottom = last + (1 if footer else 0)
    titles = _title_cells(sheet_spec, placeholders)
    span = max([width, *(c for _r, c in titles)])

    # one block: title rows, header, data rows, total row
    block: list[list[Any]] = [[None] * span for _ in range(header_row)]
    for (r, c), value in titles.items():
        block[r - 1][c - 1] = value
    for c in sheet_spec.columns:
        block[header_row - 1][c.index] = plan.header_text(key, c.key, c.header)
    links: dict[tuple[int, int], str] = {}
    for n, row in enumerate(rows):
        line: list[Any] = [None] * span
        for i, v in zip(order, row, strict=False):
            line[i] = _out(v)
            if isinstance(v, Link):
                links[(first + n, i + 1)] = LINK_COLOR
        block.append(line)
    if footer:
        positions = {c.key: c.index for c in sheet_spec.columns if c.key}
        total: list[Any] = [None] * span
        for i, v in _total_row(footer, positions, first, last).items():
            total[i] = v
        block.append(total)

    sheet, created = fresh_sheet(book, name)
    write_block(sheet, 1, 1, block)

    # styles; a cell whose style names no font keeps the workbook's default font, as the
    # standard sheets the file writer adds to a copy of the user's workbook do
    by_index = {c.index: c for c in columns}

    def per_column(style_of: Callable[[ColumnSpec], Style]) -> list[Style]:
        return [style_of(by_index[i]) if i in by_index else {} for i in range(width)]

    title_styles = _title_styles(sheet_spec)
    for r in sorted({r for r, _c in title_styles}):
        line_styles = [title_styles.get((r, c), {}) for c in range(1, span + 1)]
        apply_styles(sheet, r, r, 1, line_styles)
    for r1, c1, r2, c2 in sheet_spec.title_merges:
        merge_cells(sheet, r1 + 1, c1 + 1, r2 + 1, c2 + 1)
    heights = {r + 1: h for r, h in sheet_spec.title_heights.items()}
    if sheet_spec.header_height:
        heights[header_row] = sheet_spec.header_height
    set_row_heights(sheet, heights)

    apply_styles(sheet, header_row, header_row, 1, per_column(lambda c: c.header_style))
    apply_styles(sheet, first, last, 1, per_column(sheet_spec.body_style))
    set_font_colors(sheet, links)
    data = block[header_row : header_row + len(rows)]
    set_fills(book, sheet, _row_fills(sheet_spec, data, first))
    if footer:
        apply_styles(sheet, bottom, bottom, 1, per_column(sheet_spec.total_style))
    if any(sheet_spec.body_style(c).get("text_wrap") for c in columns):
        autofit_rows(sheet, first, last, width)

    set_column_widths(book, sheet, {c.index + 1: c.width for c in columns if c.width is not None})
    # a replaced sheet may have columns an earlier template hid
    hide_columns(sheet, {c.index + 1: c.hidden for c in columns if c.hidden or not created})
    frozen_rows, frozen_cols = (
        sheet_spec.freeze if sheet_spec.freeze is not None else (header_row, 0)
    )
    freeze_panes(sheet, frozen_rows, frozen_cols)
    if not sheet_spec.gridlines or not created:
        show_gridlines(sheet, sheet_spec.gridlines)
    return created


_VARIANT = re.compile(r"^(.+?)（perfsheet\d*）$")


def _family(name: str) -> str | None:
    """The standard sheet a sheet name stands for (``项目汇总（perfsheet）`` -> 项目汇总)."""
    if name in STANDARD_SHEETS:
        return name
    m = _VARIANT.match(name)
    return m.group(1) if m and m.group(1) in STANDARD_SHEETS else None


@dataclass(slots=True)
class _SheetsWritten:
    added: list[str]
    replaced: list[str]
    deleted: list[str]


def _write_sheets(
    book: Book,
    live: _Live,
    plan: SummaryPlan,
    spec: TemplateSpec,
    content: dict[str, tuple[list[tuple], list[TotalCell] | None]],
) -> _SheetsWritten:
    """Write the standard sheets in ``content`` and the 说明 sheet (whose facts list every
    sheet perfsheet generated here: that is how the next run — live or file — knows them).
    Own sheets of those kinds left under another name are deleted."""
    from perfsheet.io.summary_writer import placeholders_for

    done = _SheetsWritten([], [], [])
    placeholders = placeholders_for(plan, [live.result])
    kinds = [*content, SHEET_NOTES]
    for name in sorted(live.own):
        kind = _family(name)
        if kind in kinds and name != live.names[kind]:
            sheet = find_sheet(book, name)
            if sheet is not None:
                sheet.delete()
                done.deleted.append(name)
    for key, (rows, footer) in content.items():
        created = _write_standard_sheet(
            book, live.names[key], key, spec, plan, rows, placeholders, footer
        )
        (done.added if created else done.replaced).append(live.names[key])

    generated: list[str] = []
    for std in STANDARD_SHEETS:
        if std in kinds:
            generated.append(live.names[std])
        for name in sorted(live.own):
            if _family(name) == std and name not in done.deleted and name not in generated:
                generated.append(name)
    notes = _note_rows(plan, generated)
    created = _write_standard_sheet(
        book, live.names[SHEET_NOTES], SHEET_NOTES, spec, plan, notes, placeholders
    )
    (done.added if created else done.replaced).append(live.names[SHEET_NOTES])
    return done


def _note_rows(plan: SummaryPlan, generated: list[str]) -> list[tuple]:
    """The plan's 说明 rows; the ``生成的工作表`` fact lists the sheets that exist here (all
    four after 生成汇总, as in a summary file; fewer after 校验合计 alone)."""
    layout = plan.layout[SHEET_NOTES]
    name_i = layout.index("名称") if "名称" in layout else None
    text_i = layout.index("内容") if "内容" in layout else None
    rows = []
    for row in plan.note_rows():
        if name_i is not None and text_i is not None and row[name_i] == SHEETS_FACT:
            line = list(row)
            line[text_i] = "、".join(generated)
            row = tuple(line)
        rows.append(row)
    return rows


def generate_summary(book: Book) -> ActionResult:
    """生成汇总: the standard sheets added to (or replaced in) the active workbook."""
    live = _analyze(book, template=True)
    plan, spec = _summary_plan(live)
    source = live.book.name
    detail = list(plan.detail_rows(live.result, source))
    projects = list(plan.project_rows(live.result, source))
    findings = list(plan.finding_rows(live.result, source))
    footer = plan.project_footer()
    sheets = _write_sheets(
        book,
        live,
        plan,
        spec,
        {
            SHEET_DETAIL: (detail, None),
            SHEET_PROJECTS: (projects, footer),
            SHEET_FINDINGS: (findings, None),
        },
    )
    summary_sheet = find_sheet(book, live.names[SHEET_PROJECTS])
    if summary_sheet is not None:
        summary_sheet.activate()

    n = live.names
    c = live.counts
    lines = [
        f"已根据工作表「{live.sheet.name}」生成汇总表：",
        f"「{n[SHEET_DETAIL]}」{len(detail)} 行（每条指标一行），"
        f"「{n[SHEET_PROJECTS]}」{len(projects)} 个项目（含合计行），"
        f"「{n[SHEET_FINDINGS]}」{len(findings)} 条，「{n[SHEET_NOTES]}」说明各表各列。",
        f"共{_findings_text(c)}。",
    ]
    if sheets.added:
        lines.append("新建：" + "、".join(f"「{x}」" for x in sheets.added) + "。")
    if sheets.replaced:
        lines.append("已替换原有的：" + "、".join(f"「{x}」" for x in sheets.replaced) + "。")
    if any(n[k] != k for k in STANDARD_SHEETS):
        lines.append(f"工作簿中已有同名的工作表，perfsheet 的表名后加了「{OWN_SUFFIX}」。")
    message = "\n".join(lines)
    alert(book, message)
    return _result(
        "summary",
        live,
        message,
        added_sheets=sheets.added,
        replaced_sheets=sheets.replaced,
        deleted_sheets=sheets.deleted,
        rows={
            n[SHEET_DETAIL]: len(detail),
            n[SHEET_PROJECTS]: len(projects),
            n[SHEET_FINDINGS]: len(findings),
        },
    )


# --------------------------------------------------------------------------------------------
# 批量转换
# --------------------------------------------------------------------------------------------


def batch_convert(book: Book, folder: str | Path) -> ActionResult:
    """批量转换: every workbook directly in ``folder`` -> ``<folder>/绩效汇总输出``.

    :func:`perfsheet.batch.command.convert` does the work, exactly as
    ``perfsheet convert <folder> -o <folder>/绩效汇总输出 [--rules …] [--template …]`` would,
    with the rules file and the summary template the other buttons use (found next to this
    workbook or in the user's home); the report it returns is summarized in the message box.
    """
    from perfsheet.batch.command import convert
    from perfsheet.batch.naming import CONSOLIDATED_NAME, REPORT_NAME
    from perfsheet.io.rules_file import find_rules_file
    from perfsheet.io.template import find_template_file

    root = Path(folder)
    if not root.is_dir():
        raise LiveBookError(f"找不到文件夹：{root}")
    outdir = root / OUTPUT_FOLDER
    here = book_path(book)
    report = convert([root], outdir, rules=find_rules_file(here), template=find_template_file(here))
    s = report.summary
    lines = [
        f"批量转换完成：{root}",
        f"共 {s.total} 个文件：成功 {s.ok} 个，失败 {s.failed} 个，跳过 {s.skipped} 个"
        + (f"（其中 {s.up_to_date} 个已是最新）" if s.up_to_date else "")
        + "。",
        f"合计 {s.projects} 个项目、{s.indicators} 条指标；"
        f"错误 {s.errors} 条，警告 {s.warnings} 条。",
    ]
    if s.duplicates:
        counted = "仍计入合计" if s.keep_duplicates else "只计一次"
        lines.append(f"重复的表格 {s.duplicates} 个：{counted}（见合并汇总的「校验结果」）。")
    failures = [f for f in report.files if f.status == "failed"]
    for f in failures[:5]:
        lines.append(f"失败：{Path(f.input).name}（{f.error}）")
    if len(failures) > 5:
        lines.append(f"……另有 {len(failures) - 5} 个失败，详见 {REPORT_NAME}")
    lines.append(f"输出文件夹：{outdir}")
    if report.report_error:
        lines.append(f"未能写入 {REPORT_NAME}：{report.report_error}")
    if report.consolidated:
        lines.append(f"合并汇总：{CONSOLIDATED_NAME}")
    message = "\n".join(lines)
    alert(book, message)
    return ActionResult(
        action="convert",
        message=message,
        counts=Counts(
            tables=s.tables,
            projects=s.projects,
            indicators=s.indicators,
            errors=s.errors,
            warnings=s.warnings,
        ),
        output=str(outdir),
    )


# --------------------------------------------------------------------------------------------
# 导出模板
# --------------------------------------------------------------------------------------------

#: why 导出模板 cannot place the template: the engine does not know the workbook's folder
MSG_NO_FOLDER = (
    "不知道当前工作簿所在的文件夹（工作簿尚未保存，或在 xlwings Lite 中），无法放置模板："
    "请先保存工作簿，再点击“导出模板”；xlwings Lite 中汇总表总是使用内置模板，"
    "要自定义格式请使用桌面版 Excel 或命令行 perfsheet template"
)


def export_template(book: Book) -> ActionResult:
    """导出模板: the built-in summary template as ``perfsheet.template.xlsx`` next to the
    workbook, where the other buttons look for it first (:func:`perfsheet.export_template`).

    A file of that name is never replaced: the message says it is there (it is the template
    the buttons use already). The workbook itself is not touched. Without a folder (an unsaved
    book, xlwings Lite) nothing is written and the message says where a template can go.
    """
    from perfsheet.io.template import export_template as write_template
    from perfsheet.io.user_files import TEMPLATE_FILE_NAME

    here = book_path(book)
    if here is None:
        raise LiveBookError(MSG_NO_FOLDER)
    target = here.parent / TEMPLATE_FILE_NAME
    if os.path.lexists(target):
        message = (
            f"{target} 已经存在，没有覆盖。“生成汇总”“校验合计”“批量转换”已在使用它，"
            "在 Excel 中打开它修改即可；要从内置模板重新开始，请先删除或改名该文件，"
            "再点击“导出模板”。"
        )
    else:
        target = write_template(target)  # force=False: a file that appeared meanwhile stays
        message = "\n".join(
            [
                f"已导出汇总模板：{target}",
                "在 Excel 中打开并按需修改（列按表头文字匹配：可调整列顺序、删除列、修改样式，"
                "可在表头上方加标题行）并保存；这个文件夹中工作簿的“生成汇总”“校验合计”"
                "“批量转换”随后都按它生成汇总表。要对所有工作簿生效，把它移到用户主目录。",
            ]
        )
    alert(book, message)
    return ActionResult(action="template", message=message, output=str(target))
