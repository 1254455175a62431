"""What one input contributes to the consolidated workbook, as row-cache records.

The rows come from the same summary plan as every summary workbook
(:class:`perfsheet.core.summary_rows.SummaryPlan`), with the consolidated layout of
:mod:`perfsheet.batch.layout`: the template's columns plus 部门名称 and 来源文件, and amounts
converted to one unit (万元) so that departments that report in 元 and in 万元 add up.
``部门汇总`` (one row per table) is built here. Each sheet's rows are written table by table
(:meth:`CacheWriter.table`), so that the parent can leave a duplicate table out of the merge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perfsheet import __version__
from perfsheet.batch.cache import CacheHeader, CacheWriter
from perfsheet.batch.layout import (
    CONSOLIDATED_UNIT,
    DEPT_HEADER,
    DEPT_SHEET,
    DEPT_TOTALS,
    ConsolidatedLook,
)
from perfsheet.core.counts import count_table
from perfsheet.core.models import Table, WorkbookResult
from perfsheet.core.total_row import total_label

if TYPE_CHECKING:
    from perfsheet.core.summary_rows import QualityScorer, SummaryPlan


def consolidated_plan(
    look: ConsolidatedLook | None = None,
    quality: QualityScorer | None = None,
    quality_doc: str | None = None,
) -> SummaryPlan:
    """A summary plan with the consolidated layout (``look``'s columns; the built-in
    template's when None), amounts in 万元."""
    from perfsheet.core.summary_rows import SummaryPlan

    look = look if look is not None else ConsolidatedLook()
    return SummaryPlan(
        layout=look.plan_layout(),
        amount_unit=CONSOLIDATED_UNIT,
        version=__version__,
        quality=quality,
        quality_doc=quality_doc,
    )


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


def head(plan: SummaryPlan, sheet: str, look: ConsolidatedLook) -> CacheHeader:
    """The cache header of a standard sheet: ``look``'s columns, headed as in the summary
    workbook (:meth:`SummaryPlan.header_text` of the template's text)."""
    columns = look.sheets[sheet]
    header = [plan.header_text(sheet, c.key, c.text) for c in columns]
    front = len(columns) - len(plan.layout[sheet])  # 部门名称 before 校验结果's plan columns
    totals = [(c + front, f, None if w is None else w + front) for c, f, w in _totals(plan, sheet)]
    label = total_label("{n}", "个项目" if totals else "行")  # {n}: filled in by the merge
    return look.cache_header(columns, header, totals, label)


def dept_head(look: ConsolidatedLook) -> CacheHeader:
    """The cache header of 部门汇总."""
    return look.cache_header(
        look.sheets[DEPT_SHEET], DEPT_HEADER, DEPT_TOTALS, total_label("{n}", "个表格")
    )


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
    result: WorkbookResult,
    source: str,
    cache: CacheWriter,
    plan: SummaryPlan,
    look: ConsolidatedLook,
) -> dict[str, int]:
    """Append the consolidated rows of ``result`` to ``cache`` (``plan``: made by
    :func:`consolidated_plan` of ``look``); returns rows per sheet."""
    from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_PROJECTS

    counts: dict[str, int] = {}
    cache.header(DEPT_SHEET, dept_head(look))
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
        cache.header(sheet, head(plan, sheet, look))
        n = 0
        for t, one in enumerate(ones):
            cache.table(t)
            for row in rows_of(one, source):
                cache.row(sheet, row)
                n += 1
        counts[sheet] = n

    cache.header(SHEET_FINDINGS, head(plan, SHEET_FINDINGS, look))
    n = 0
    for t, one in enumerate(ones):
        cache.table(t)
        dept = one.tables[0].department
        for row in plan.finding_rows(one, source):
            cache.row(SHEET_FINDINGS, [dept, *row])
            n += 1
    counts[SHEET_FINDINGS] = n
    return counts
