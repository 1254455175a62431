"""Which layout a sheet holds, and its tables: the one entry from a workbook grid to tables.

For every sheet (see docs/layouts.md):

1. **Lists** (a header row naming 项目名称, and money or text columns): each header found on
   the sheet starts a table (:func:`~perfsheet.core.table._find_headers`; two tables stacked on
   one sheet are two tables with the same ``sheet``). A header with an indicator grid
   (一级/二级/三级指标, 指标值…) is a row list (``layout="rows"``,
   :mod:`~perfsheet.core.rowlist`), otherwise a packed list (``layout="packed"``,
   :mod:`~perfsheet.core.table`).
2. **Forms** (``项目名称`` followed by its value in the same row, and an indicator grid below):
   one project per form, stacked forms on one sheet are one table
   (:mod:`~perfsheet.core.form`).
3. A sheet that looks like a table but fits no layout is named in the error, with what was
   found and what was missing.

The layout is decided from the content only, never from file or sheet names or positions.
"""

from __future__ import annotations

from perfsheet.core import form, rowlist
from perfsheet.core.grid import WorkbookGrid, relabel_findings
from perfsheet.core.models import Table
from perfsheet.core.table import DeferredTable, _find_headers, _Sheet, build_table
from perfsheet.errors import InputError, TableNotFoundError

#: The layouts' Chinese names (messages, the CLI overview).
LAYOUT_NAMES: dict[str, str] = {"packed": "打包列表", "rows": "逐行列表", "form": "表单"}


def sheet_tables(sh: _Sheet) -> list[DeferredTable]:
    """The tables of one sheet, any layout (none when the sheet holds no table)."""
    out: list[DeferredTable] = []
    for header in _find_headers(sh):
        if header.grid:
            out.append(build_table(sh, header, rowlist.read_rows(sh, header)))
        else:
            out.append(build_table(sh, header))
    if not out:
        out.extend(form.read_forms(sh))
    return out


def build_deferred(wb: WorkbookGrid, sheet: str | None = None) -> list[DeferredTable]:
    """Every table of the workbook (or of ``sheet``) without parsing any packed 绩效指标 yet
    (:class:`~perfsheet.core.table.DeferredTable`): the structures hold no reference to ``wb``,
    whose memory can go before the projects are completed one by one.

    Raises :class:`InputError` when no sheet holds a table (``未找到绩效目标表``, naming what a
    sheet that looks like one lacks) or when ``sheet`` is not in the workbook.
    """
    grids = wb.sheets
    if sheet is not None:
        grids = [g for g in grids if g.name == sheet]
        if not grids:
            names = "、".join(g.name for g in wb.sheets) or "无"
            raise InputError(wb.path, f"找不到工作表「{sheet}」（现有工作表：{names}）")
    tables: list[DeferredTable] = []
    near: list[str] = []
    for grid in grids:
        sh = _Sheet(grid)
        found = sheet_tables(sh)
        if grid.pages:  # read from a PDF: locations name the page (第5页第3行)
            for d in found:
                d.table.pages = grid.pages
                relabel_findings(d.structural, grid.pages)
        tables.extend(found)
        if not found:
            miss = form.near_miss(sh)
            if miss:
                near.append(miss)
    if not tables:
        where = f"工作表「{sheet}」中" if sheet is not None else "任何工作表中都"
        detail = (
            "；".join(near[:3])
            if near
            else "需要含“项目名称”“总计/财政拨款”“绩效目标/绩效指标”等列的表头，"
            "或“一级指标/二级指标/三级指标/指标值”的指标表，或逐项目的绩效目标表（表单）"
        )
        raise TableNotFoundError(wb.path, f"{where}未找到绩效目标表（{detail}）")
    return tables


def build_tables(wb: WorkbookGrid, sheet: str | None = None) -> list[Table]:
    """Every 绩效目标表 of the workbook (or of ``sheet``), as table models with findings
    (indicators parsed, money and indicator checks). Raises like :func:`build_deferred`."""
    return [d.complete() for d in build_deferred(wb, sheet)]
