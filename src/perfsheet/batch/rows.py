"""What one input contributes to the consolidated workbook, as row-cache records.

The rows come from the same summary plan as every summary workbook
(:class:`perfsheet.core.summary_rows.SummaryPlan`), with a fixed consolidated layout: the standard
columns plus 来源文件 (after 部门名称), 部门名称 in front of 校验结果, and amounts converted to
one unit (万元) so that departments that report in 元 and in 万元 add up. ``部门汇总`` (one row
per table) is built here. Each sheet's rows are written table by table (:meth:`CacheWriter.table`),
so that the parent can leave a duplicate table out of the merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from perfsheet import __version__
from perfsheet.batch.cache import CacheHeader, CacheWriter
from perfsheet.batch.consolidate import DEPT_SHEET
from perfsheet.core.counts import count_table
from perfsheet.core.models import Table, WorkbookResult
from perfsheet.core.total_row import total_label

if TYPE_CHECKING:
    from perfsheet.core.summary_rows import QualityScorer, SummaryPlan
    from perfsheet.io.template import TemplateSpec

CONSOLIDATED_UNIT = "万元"
SOURCE_KEY = "来源文件"
DEPT_KEY = "部门名称"

DEPT_HEADER = [
    "部门名称",
    "来源文件",
    "工作表",
    "原金额单位",
    f"总计（{CONSOLIDATED_UNIT}）",
    f"财政拨款（{CONSOLIDATED_UNIT}）",
    f"财政专户拨款（{CONSOLIDATED_UNIT}）",
    f"其他资金（{CONSOLIDATED_UNIT}）",
    "项目数",
    "指标数",
    "错误数",
    "警告数",
]
DEPT_KINDS = ["text", "text", "text", "text", "amount", "amount", "amount", "amount"] + ["int"] * 4
DEPT_WIDTHS: list[float | None] = [22, 28, 18, 10, 14, 14, 14, 14, 8, 8, 8, 8]
DEPT_TOTALS: list[tuple[int, str, int | None]] = [(0, "label", None)] + [
    (c, "sum", None) for c in range(4, 12)
]


def _with_source(keys: Sequence[str | None], *, dept: bool) -> list[str | None]:
    """The template's columns with 部门名称 (where the plan knows it) and 来源文件 after it."""
    keys = [k for k in keys if k != SOURCE_KEY]
    if dept and DEPT_KEY not in keys:
        keys.insert(0, DEPT_KEY)
    at = keys.index(DEPT_KEY) + 1 if DEPT_KEY in keys else 0
    return [*keys[:at], SOURCE_KEY, *keys[at:]]


def consolidated_plan(
    spec: TemplateSpec | None = None,
    quality: QualityScorer | None = None,
    quality_doc: str | None = None,
) -> SummaryPlan:
    """A summary plan with the consolidated layout: the template's columns (``spec``; the
    built-in template when None) plus 部门名称 and 来源文件, amounts in 万元."""
    from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_PROJECTS, default_layout
    from perfsheet.core.summary_rows import SummaryPlan

    if spec is not None:
        base = {name: [c.key for c in s.columns] for name, s in spec.sheets.items()}
    else:
        base = {}

    def keys(sheet: str) -> list[str | None]:
        return list(base.get(sheet) or default_layout(sheet))

    layout = {
        SHEET_DETAIL: _with_source(keys(SHEET_DETAIL), dept=True),
        SHEET_PROJECTS: _with_source(keys(SHEET_PROJECTS), dept=True),
        # 校验结果 has no 部门名称 column in the plan: write_rows puts it in front.
        SHEET_FINDINGS: _with_source(keys(SHEET_FINDINGS), dept=False),
    }
    return SummaryPlan(
        layout=layout,
        amount_unit=CONSOLIDATED_UNIT,
        version=__version__,
        quality=quality,
        quality_doc=quality_doc,
    )


def _widths(plan: SummaryPlan, sheet: str) -> list[float | None]:
    from perfsheet.core.sheets import column_def

    out: list[float | None] = []
    for key in plan.layout[sheet]:
        try:
            out.append(column_def(sheet, key).width if key else None)
        except KeyError:
            out.append(None)
    return out


def _totals(plan: SummaryPlan, sheet: str) -> list[tuple[int, str, int | None]]:
    from perfsheet.core.sheets import SHEET_PROJECTS

    if sheet != SHEET_PROJECTS:
        return []
    index = {k: i for i, k in enumerate(plan.layout[sheet]) if k}
    out: list[tuple[int, str, int | None]] = []
    for cell in plan.project_footer():
        if cell.key not in index:
            continue
        weight = getattr(cell, "weight", None)
        out.append((index[cell.key], cell.func, index.get(weight) if weight else None))
    return out


def head(plan: SummaryPlan, sheet: str, *, dept_first: bool = False) -> CacheHeader:
    header = list(plan.headers(sheet))
    kinds: list[str | None] = list(plan.kinds(sheet))
    widths = _widths(plan, sheet)
    totals = _totals(plan, sheet)
    if dept_first:
        header.insert(0, DEPT_KEY)
        kinds.insert(0, "text")
        widths.insert(0, 18)
        totals = [(c + 1, f, None if w is None else w + 1) for c, f, w in totals]
    label = total_label("{n}", "个项目" if totals else "行")  # {n}: filled in by the merge
    return CacheHeader(header=header, kinds=kinds, widths=widths, totals=totals, total_label=label)


def _factor(table: Table) -> float:
    from perfsheet.core.amounts import amount_factor

    return amount_factor(table.amount_unit, CONSOLIDATED_UNIT)


def dept_row(table: Table, source: str) -> list[Any]:
    """The 部门汇总 row of one table."""
    from perfsheet.core.sheets import standard_amounts

    if table.grand_total is not None:
        amounts = standard_amounts(table.grand_total.amounts)
    else:  # no 合计 row: the sum of the unit rows, else of the projects
        amounts = [None, None, None, None]
        parts = [u.amounts for u in table.units if u.amounts is not None and u.row is not None]
        if not parts:
            parts = [p.amounts for u in table.units for p in u.projects]
        for a in parts:
            for i, v in enumerate(standard_amounts(a)):
                if v is not None:
                    amounts[i] = (amounts[i] or 0.0) + v
    f = _factor(table)
    amounts = [None if v is None else round(v * f, 6) for v in amounts]
    c = count_table(table)
    return [
        table.department,
        source,
        table.sheet,
        table.amount_unit,
        *amounts,
        c.projects,
        c.indicators,
        c.errors,
        c.warnings,
    ]


def write_rows(
    result: WorkbookResult, source: str, cache: CacheWriter, plan: SummaryPlan
) -> dict[str, int]:
    """Append the consolidated rows of ``result`` to ``cache``; returns rows per sheet."""
    from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_PROJECTS

    counts: dict[str, int] = {}
    cache.header(
        DEPT_SHEET,
        CacheHeader(
            header=DEPT_HEADER,
            kinds=DEPT_KINDS,
            widths=DEPT_WIDTHS,
            totals=DEPT_TOTALS,
            total_label=total_label("{n}", "个表格"),
        ),
    )
    for t, table in enumerate(result.tables):
        cache.table(t)
        cache.row(DEPT_SHEET, dept_row(table, source))
    counts[DEPT_SHEET] = len(result.tables)
    # one table at a time, as the plan would go through the whole result
    ones = [WorkbookResult.model_construct(file=result.file, tables=[t]) for t in result.tables]

    for sheet, rows_of in (
        (SHEET_DETAIL, plan.detail_rows),
        (SHEET_PROJECTS, plan.project_rows),
    ):
        cache.header(sheet, head(plan, sheet))
        n = 0
        for t, one in enumerate(ones):
            cache.table(t)
            for row in rows_of(one, source):
                cache.row(sheet, row)
                n += 1
        counts[sheet] = n

    cache.header(SHEET_FINDINGS, head(plan, SHEET_FINDINGS, dept_first=True))
    n = 0
    for t, one in enumerate(ones):
        cache.table(t)
        dept = one.tables[0].department
        for row in plan.finding_rows(one, source):
            cache.row(SHEET_FINDINGS, [dept, *row])
            n += 1
    counts[SHEET_FINDINGS] = n
    return counts
