"""The annotation plan: helper columns and error marks on the source sheet, as plain data.

:func:`annotation_plan` gives, for one table, the helper columns to write right of it (cell
address -> value / number format), the cells to mark (fill and note), the columns of an earlier
run to clear, and the user content in the way. A packed table gets :data:`HELPER_HEADERS` on
its project rows; a row list or a form gets :data:`TARGET_HELPER_HEADERS` on every indicator
row. The openpyxl file writer and the xlwings live-book adapter both apply it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.core.grid import SheetGrid, cell_ref, col_letter, col_number
from perfsheet.core.headers import TARGET_HELPERS
from perfsheet.core.models import Table
from perfsheet.core.project_stats import (
    FindingIndex,
    effective_target,
    iter_projects,
    name_column,
    project_stats,
    target_fields,
)
from perfsheet.core.sheets import RATIO_FORMAT, header_key

NOTE_AUTHOR = "perfsheet"
ERROR_FILL = "FFC7CE"  # light red, Excel's "bad" style
HELPER_FILL = "DDEBF7"  # light blue, the helper headers

#: headers of the helper columns written to the right of the source table
HELPER_HEADERS: tuple[str, ...] = (
    "指标数",
    "产出",
    "效益",
    "满意度",
    "成本",
    "定量占比",
    "解析状态",
)
HELPER_DOCS: dict[str, str] = {
    "指标数": "该项目的绩效指标条数",
    "产出": "产出指标条数",
    "效益": "效益指标条数",
    "满意度": "满意度指标条数",
    "成本": "成本指标条数",
    "定量占比": "定量指标占比",
    "解析状态": "正常 / 错误与警告数 / 分页碎片并入哪一行",
}


class _Plain(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CellMark(_Plain):
    """A cell with an ``error`` finding: keep its value, set ``fill`` and a ``note``."""

    row: int
    col: int
    fill: str = ERROR_FILL  # "RRGGBB"
    note: str

    @property
    def ref(self) -> str:
        return cell_ref(self.row, self.col)


class AnnotationPlan(_Plain):
    """Helper columns and error marks for one table's sheet, as plain data.

    The helper block is ``headers`` in row ``header_row``, columns ``start_col`` onwards, and
    ``values[row]`` (one value per helper column, ``None`` = leave empty) on the table's rows;
    :meth:`block` gives it as one 2-D array (what a live-book adapter writes in one call).
    Which helper columns depend on the table's layout: a packed table gets
    :data:`HELPER_HEADERS` on its project rows, a row list or a form gets
    :data:`TARGET_HELPER_HEADERS` on every indicator row. ``more_header_rows`` repeat the
    headers further down (a row list's header repeated after a page break, the indicator grid of
    every further form stacked on the sheet): their ``values`` are the headers themselves, so
    writers that only know ``values`` still write them.

    Applying it (``perfsheet.io`` for files, ``perfsheet.excel.actions`` for live books):

    1. if ``blocked``: do not write anything, show ``blocked`` (user content is in the way);
    2. clear values, fills and notes of ``clear_columns`` over rows ``clear_rows`` (helper
       columns of an earlier run, recognized by their header text), and remove the notes
       written by ``note_author`` in the table area (rows ``first_row``..``last_row``, columns
       1..``start_col``-1), resetting their fill when it is ``error_fill``;
    3. write the headers (styled like the cell ``header_style_from``, fill ``header_fill``; the
       same for ``more_header_rows``), the values (``number_formats[i]`` per helper column), and
       the ``marks``.
    """

    sheet: str
    layout: str = "packed"
    header_row: int
    first_row: int
    last_row: int
    table_last_col: int
    start_col: int
    headers: list[str] = Field(default_factory=lambda: list(HELPER_HEADERS))
    more_header_rows: list[int] = Field(default_factory=list)
    number_formats: list[str | None] = Field(default_factory=list)
    header_style_from: str | None = None
    header_fill: str = HELPER_FILL
    values: dict[int, list[str | int | float | None]] = Field(default_factory=dict)
    marks: list[CellMark] = Field(default_factory=list)
    clear_columns: list[int] = Field(default_factory=list)
    clear_rows: tuple[int, int] = (1, 1)
    occupied: list[str] = Field(default_factory=list)
    blocked: str | None = None
    note_author: str = NOTE_AUTHOR
    error_fill: str = ERROR_FILL

    @property
    def helper_columns(self) -> list[str]:
        return [col_letter(self.start_col + i) for i in range(len(self.headers))]

    def block(self) -> tuple[str, list[list[Any]]]:
        """(top-left address, rows): the header row and every table row down to
        ``last_row`` (rows without helper values are ``None``s)."""
        n = len(self.headers)
        rows: list[list[Any]] = [list(self.headers)]
        empty = [None] * n
        for r in range(self.header_row + 1, self.last_row + 1):
            rows.append(list(self.values.get(r, empty)))
        return cell_ref(self.header_row, self.start_col), rows

    def cell_values(self) -> dict[str, Any]:
        """Address -> value of every helper cell the plan fills (headers included)."""
        out: dict[str, Any] = {
            cell_ref(self.header_row, self.start_col + i): h for i, h in enumerate(self.headers)
        }
        for r, vals in self.values.items():
            for i, v in enumerate(vals):
                if v is not None:
                    out[cell_ref(r, self.start_col + i)] = v
        return out


#: headers of the helper columns of a row list or a form: the target of each indicator row,
#: read as 绩效指标明细 reads it (:func:`target_fields` of :func:`effective_target`), and the
#: indicator's problems
TARGET_HELPER_HEADERS: tuple[str, ...] = TARGET_HELPERS
#: 问题 of a project row of a row list that has no indicator row
NO_INDICATORS = "未填写绩效指标"


def _target_run_at(line: Sequence[object], j: int) -> bool:
    n = len(TARGET_HELPER_HEADERS)
    if j + n > len(line):
        return False
    return all(header_key(line[j + i]) == h for i, h in enumerate(TARGET_HELPER_HEADERS))


def target_helper_runs(grid: SheetGrid, rows: Iterable[int] | None = None) -> list[tuple[int, int]]:
    """(row, first column) of every run of :data:`TARGET_HELPER_HEADERS` (all of them, in
    order, in adjacent cells of one row) on the sheet, or in ``rows``: the header cells of
    target helper columns an earlier 解析指标 wrote. Only the whole run counts, so a user's own
    column called 计量单位 or 问题 is never taken for ours."""
    first = TARGET_HELPER_HEADERS[0]
    out: list[tuple[int, int]] = []
    if rows is None:
        numbered: Iterable[tuple[int, Sequence[object]]] = enumerate(grid.rows, grid.origin_row)
    else:
        numbered = (
            (r, grid.rows[r - grid.origin_row])
            for r in sorted(set(rows))
            if 0 <= r - grid.origin_row < len(grid.rows)
        )
    for r, line in numbered:
        for j, v in enumerate(line):
            if isinstance(v, str) and first in v and _target_run_at(line, j):
                out.append((r, grid.origin_col + j))
    return out


def _is_empty(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def table_rows(table: Table) -> tuple[int, int]:
    """First and last sheet row of a table (header to its last project, fragment or total)."""
    rows = list(table.header_rows)
    if table.grand_total is not None:
        rows.append(table.grand_total.row)
    for unit in table.units:
        if unit.row is not None:
            rows.append(unit.row)
        for p in unit.projects:
            rows.append(p.row)
            rows.extend(p.rows)
    rows.extend(f.row for f in table.findings if f.row is not None)
    return min(rows), max(rows)


def table_last_col(table: Table) -> int:
    """The rightmost column of the table proper (helper columns of earlier runs excluded)."""
    cols = [
        col_number(letter)
        for key, letter in table.columns.items()
        if header_key(key) not in HELPER_HEADERS and letter
    ]
    return max(cols) if cols else 1


def _status(errors: int, warnings: int) -> str:
    if not errors and not warnings:
        return "正常"
    parts = []
    if errors:
        parts.append(f"错误 {errors} 个")
    if warnings:
        parts.append(f"警告 {warnings} 个")
    return "，".join(parts)


def _rows_text(rows: Sequence[int]) -> str:
    return "、".join(f"第{r}行" for r in rows)


def _marks(table: Table) -> list[CellMark]:
    """A mark on every cell with an ``error`` finding (the finding's cell, else the project
    name cell of its row); several errors on one cell share one note."""
    notes: dict[tuple[int, int], list[str]] = {}
    name_col = col_number(name_column(table))
    for f in table.findings:
        if f.severity != "error":
            continue
        if f.cell:
            m = re.match(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$", f.cell)
            if not m:
                continue
            key = (int(m.group(2)), col_number(m.group(1)))
        elif f.row is not None:
            key = (f.row, name_col)
        else:
            continue
        notes.setdefault(key, []).append(f.message)
    return [
        CellMark(row=r, col=c, note="\n".join(f"{NOTE_AUTHOR}：{m}" for m in msgs))
        for (r, c), msgs in sorted(notes.items())
    ]


def _occupied(grid: SheetGrid, rows: range, area: range, old: Collection[int]) -> list[str]:
    """Cells (and merged ranges) with content in the helper area, earlier helper columns
    excepted."""
    out: list[str] = []
    for r in rows:
        for c in area:
            if c in old:
                continue
            if not _is_empty(grid.value(r, c)):
                out.append(cell_ref(r, c))
    for m in grid.merged:
        overlaps_rows = m.first_row <= rows[-1] and m.last_row >= rows[0]
        overlaps_cols = m.first_col <= area[-1] and m.last_col >= area[0]
        if overlaps_rows and overlaps_cols and not (m.first_col in old and m.last_col in old):
            out.append(f"{cell_ref(m.first_row, m.first_col)}:{cell_ref(m.last_row, m.last_col)}")
    return out


def _blocked(table: Table, area: range, occupied: Sequence[str]) -> str | None:
    if not occupied:
        return None
    shown = "、".join(occupied[:5]) + ("等" if len(occupied) > 5 else "")
    return (
        f"工作表「{table.sheet}」表格右侧的 {col_letter(area[0])}–{col_letter(area[-1])} 列"
        f"已有内容（{shown}），无法写入辅助列；请先移开这些内容"
    )


def annotation_plan(table: Table, grid: SheetGrid | None = None) -> AnnotationPlan:
    """Helper columns + error marks for ``table`` on its sheet (``grid`` = that sheet's values).

    A packed table gets :data:`HELPER_HEADERS` right of the table, one line per project row; a
    row list or a form gets :data:`TARGET_HELPER_HEADERS` right of the table (of the indicator
    grid for forms), one line per indicator row (:func:`_grid_annotation_plan`).

    Without ``grid`` the plan cannot see user content or earlier helper columns: it assumes the
    area to the right of the table is free (the xls rebuild and tests use that).
    """
    if table.layout != "packed":
        return _grid_annotation_plan(table, grid)
    first_row, last_row = table_rows(table)
    header_row = table.header_rows[-1] if table.header_rows else first_row
    edge = table_last_col(table)
    n = len(HELPER_HEADERS)

    # Helper columns of an earlier run: a helper header anywhere right of the table.
    old: list[int] = []
    if grid is not None:
        width = grid.n_cols + grid.origin_col - 1
        for c in range(edge + 1, width + 1):
            for hr in table.header_rows or [header_row]:
                if header_key(grid.value(hr, c)) in HELPER_HEADERS:
                    old.append(c)
                    break
    start = edge + 1
    area = range(start, start + n)

    occupied: list[str] = []
    if grid is not None:
        occupied = _occupied(grid, range(first_row, last_row + 1), area, set(old))
    blocked = _blocked(table, area, occupied)

    n_helpers = len(HELPER_HEADERS)
    values: dict[int, list[Any]] = {}

    def put(row: int, col: int, value: Any) -> None:
        line = values.setdefault(row, [None] * n_helpers)
        line[col] = value

    # error/warning counts per row
    per_row: dict[int, list[int]] = {}
    for f in table.findings:
        if f.row is not None:
            c = per_row.setdefault(f.row, [0, 0])
            if f.severity == "error":
                c[0] += 1
            elif f.severity == "warning":
                c[1] += 1

    status = n_helpers - 1
    for unit in table.units:
        if unit.row is not None:
            e, w = per_row.get(unit.row, (0, 0))
            st = f"单位小计（{len(unit.projects)} 个项目）"
            if e or w:
                st += "：" + _status(e, w)
            put(unit.row, status, st)
        for p in unit.projects:
            s = project_stats(p)
            e = w = 0
            for r in p.rows or [p.row]:
                ce, cw = per_row.get(r, (0, 0))
                e += ce
                w += cw
            st = _status(e, w)
            frags = [r for r in p.rows if r != p.row]
            if frags:
                st += f"；已并入分页碎片（{_rows_text(frags)}）"
            values[p.row] = [
                s.indicators,
                s.output,
                s.benefit,
                s.satisfaction,
                s.cost,
                s.quant_ratio,
                st,
            ]
            for r in frags:
                put(r, status, f"分页碎片，已并入第{p.row}行（{p.name}）")
    if table.grand_total is not None:
        e, w = per_row.get(table.grand_total.row, (0, 0))
        put(table.grand_total.row, status, "合计" + ("：" + _status(e, w) if e or w else ""))
    for f in table.findings:
        if f.rule == "fragment-orphan" and f.row is not None and f.row not in values:
            put(f.row, status, "分页碎片，无法确定所属项目")

    formats: list[str | None] = [None] * n_helpers
    formats[5] = RATIO_FORMAT
    return AnnotationPlan(
        sheet=table.sheet,
        layout=table.layout,
        header_row=header_row,
        first_row=first_row,
        last_row=last_row,
        table_last_col=edge,
        start_col=start,
        number_formats=formats,
        header_style_from=cell_ref(header_row, edge),
        values=dict(sorted(values.items())),
        marks=_marks(table),
        clear_columns=sorted(set(old)),
        clear_rows=(first_row, last_row),
        occupied=occupied,
        blocked=blocked,
    )


def _line(grid: SheetGrid, row: int) -> Sequence[object]:
    """The cells of sheet row ``row`` (from the grid's first column)."""
    i = row - grid.origin_row
    return grid.rows[i] if 0 <= i < len(grid.rows) else ()


def _is_grid_header_row(grid: SheetGrid, row: int) -> bool:
    """Two or more cells of ``row`` name indicator-grid columns (一级指标, 三级指标, 指标值…)."""
    from perfsheet.core.headers import classify

    found = 0
    for v in _line(grid, row):
        if isinstance(v, str) and len(v) <= 30 and v.strip():
            entry = classify(v)
            if entry is not None and entry.kind == "grid":
                found += 1
                if found >= 2:
                    return True
    return False


def _repeats_header(grid: SheetGrid, row: int, header_row: int, cols: Sequence[int]) -> bool:
    """Row ``row`` repeats the header row (after a page break): most of the header's
    cells in the table's columns, and at least two, are there again."""
    written = matched = 0
    for c in cols:
        h = header_key(grid.value(header_row, c))
        if not h:
            continue
        written += 1
        if header_key(grid.value(row, c)) == h:
            matched += 1
    return matched >= 2 and matched * 2 > written


def _grid_header_rows(table: Table, grid: SheetGrid | None) -> list[int]:
    """The rows that get the target helper headers: a row list's header row and its repeats
    below (page breaks); for forms, the indicator grid's header row of every form."""
    if table.layout == "form":
        rows: list[int] = []
        for _unit, p in iter_projects(table):
            ind_rows = [i.row for i in p.indicators if i.row is not None]
            if not ind_rows:
                continue
            first = min(ind_rows)
            found = first - 1
            if grid is not None:
                for r in range(first - 1, p.row, -1):
                    if _is_grid_header_row(grid, r):
                        found = r
                        break
            rows.append(found)
        if rows:
            return sorted(set(rows))
    header_row = table.header_rows[-1] if table.header_rows else table_rows(table)[0]
    rows = [header_row]
    if grid is not None and table.layout == "rows":
        cols = sorted({col_number(x) for x in table.columns.values() if x})
        last = table_rows(table)[1]
        for r in range(header_row + 1, last + 1):
            if _repeats_header(grid, r, header_row, cols):
                rows.append(r)
    return rows


def _indicator_problems(table: Table) -> dict[int, list[str]]:
    """Helper row -> the 问题 of that row: each indicator's own warnings, the error/warning
    findings naming it (``Finding.indicator``, attributed to its project as 绩效指标明细
    attributes them), and the other error/warning findings on the rows it covers (its own
    row down to the next indicator: page-break fragments, a row list's project cells)."""
    index = FindingIndex(table)
    index.add(table.findings)
    out: dict[int, list[str]] = {}
    home: dict[int, int] = {}  # sheet row -> the helper row reporting it
    for _unit, p in iter_projects(table):
        by_seq = index.problems.get(id(p), {})
        starts: list[int] = []
        for ind in p.indicators:
            if ind.row is None:
                continue
            starts.append(ind.row)
            msgs = out.setdefault(ind.row, [])
            msgs.extend(ind.warnings)
            if ind.seq is not None:
                msgs.extend(by_seq.get(ind.seq, ()))
        if not starts:
            if table.layout == "rows":
                out.setdefault(p.row, []).append(NO_INDICATORS)
                home[p.row] = p.row
            continue
        starts.sort()
        for r in sorted({*p.rows, p.row}):
            below = [s for s in starts if s <= r]
            if below:
                home.setdefault(r, below[-1])
    for f in table.findings:
        if f.indicator is not None or f.row is None or f.severity not in ("error", "warning"):
            continue
        r = home.get(f.row)
        if r is not None:
            out[r].append(f.message)
    return out


def _grid_annotation_plan(table: Table, grid: SheetGrid | None) -> AnnotationPlan:
    """Target helper columns of a row list or a form: on every indicator row, 比较符 / 目标值 /
    计量单位 / 定量/定性 of its target (the very fields of 绩效指标明细) and its 问题."""
    headers = TARGET_HELPER_HEADERS
    n = len(headers)
    first_row, last_row = table_rows(table)
    header_rows = _grid_header_rows(table, grid)
    header_row = header_rows[0]
    edge = table_last_col(table)

    # Earlier runs: the whole run of helper headers in a header row, right of the table.
    old: set[int] = set()
    runs: list[tuple[int, int]] = []
    if grid is not None:
        runs = target_helper_runs(grid, header_rows)
        theirs = {(r, c + i) for r, c in runs for i in range(n)}
        for hr in header_rows:  # the grid's own header cells: a form's grid can be wider
            for j, v in enumerate(_line(grid, hr)):
                c = grid.origin_col + j
                if not _is_empty(v) and (hr, c) not in theirs:
                    edge = max(edge, c)
        for _r, c in runs:
            if c > edge:
                old.update(range(c, c + n))
    start = edge + 1
    area = range(start, start + n)

    occupied: list[str] = []
    if grid is not None:
        occupied = _occupied(grid, range(header_row, last_row + 1), area, old)
    blocked = _blocked(table, area, occupied)

    values: dict[int, list[Any]] = {r: list(headers) for r in header_rows[1:]}
    problems = _indicator_problems(table)
    for _unit, p in iter_projects(table):
        for ind in p.indicators:
            if ind.row is None:
                continue
            op, value, unit, nature = target_fields(effective_target(ind))
            text = "；".join(dict.fromkeys(problems.get(ind.row, ())))
            values[ind.row] = [op, value, unit, nature, text or None]
        if not p.indicators and p.row in problems and p.row not in values:
            values[p.row] = [None] * (n - 1) + ["；".join(dict.fromkeys(problems[p.row]))]

    return AnnotationPlan(
        sheet=table.sheet,
        layout=table.layout,
        header_row=header_row,
        first_row=first_row,
        last_row=last_row,
        table_last_col=edge,
        start_col=start,
        headers=list(headers),
        more_header_rows=header_rows[1:],
        number_formats=[None] * n,
        header_style_from=cell_ref(header_row, edge),
        values=dict(sorted(values.items())),
        marks=_marks(table),
        clear_columns=sorted(old),
        clear_rows=(first_row, last_row),
        occupied=occupied,
        blocked=blocked,
    )
