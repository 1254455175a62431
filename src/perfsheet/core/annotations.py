"""The annotation plan: helper columns and error marks on the source sheet, as plain data.

:func:`annotation_plan` gives, for one table, the helper columns to write right of it (cell
address -> value / number format), the cells to mark (fill and note), the columns of an earlier
run to clear, and the user content in the way. A packed table gets :data:`HELPER_HEADERS` on
its project rows; a row list or a form gets :data:`TARGET_HELPERS` on every indicator
row. The source copy, the rebuilt sheets of an .xls and the xlwings live-book adapter apply it.

One implementation, :class:`AnnotationBuilder`: what needs the sheet's values is decided before
any indicator is parsed, each completed project adds its part, the plan comes at the end — so
the summary builds the plans while it streams the projects (their parsed indicators dropped as
they are written); :func:`annotation_plan` runs the builder over a whole analyzed table.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.core.grid import SheetGrid, cell_ref, col_letter, col_number
from perfsheet.core.headers import TARGET_HELPERS
from perfsheet.core.models import Finding, Indicator, Project, Table, Unit
from perfsheet.core.project_stats import (
    FindingIndex,
    ProjectStats,
    effective_target,
    iter_projects,
    name_column,
    project_stats,
    target_fields,
)
from perfsheet.core.sheets import RATIO_FORMAT, header_key
from perfsheet.core.table import DeferredTable

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
    :data:`TARGET_HELPERS` on every indicator row. ``more_header_rows`` repeat the
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


#: 问题 of a project row of a row list that has no indicator row
NO_INDICATORS = "未填写绩效指标"


def _target_run_at(line: Sequence[object], j: int) -> bool:
    n = len(TARGET_HELPERS)
    if j + n > len(line):
        return False
    return all(header_key(line[j + i]) == h for i, h in enumerate(TARGET_HELPERS))


def target_helper_runs(grid: SheetGrid, rows: Iterable[int] | None = None) -> list[tuple[int, int]]:
    """(row, first column) of every run of :data:`TARGET_HELPERS` (all of them, in
    order, in adjacent cells of one row) on the sheet, or in ``rows``: the header cells of
    target helper columns an earlier 解析指标 wrote. Only the whole run counts, so a user's own
    column called 计量单位 or 问题 is never taken for ours."""
    first = TARGET_HELPERS[0]
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


def table_rows(table: Table, findings: Iterable[Finding] | None = None) -> tuple[int, int]:
    """First and last sheet row of a table (header to its last project, fragment or total;
    the rows of ``findings``, default the table's, count too)."""
    rows = list(table.header_rows)
    if table.grand_total is not None:
        rows.append(table.grand_total.row)
    for unit in table.units:
        if unit.row is not None:
            rows.append(unit.row)
        for p in unit.projects:
            rows.append(p.row)
            rows.extend(p.rows)
    found = table.findings if findings is None else findings
    rows.extend(f.row for f in found if f.row is not None)
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


def _grid_header_rows(
    table: Table,
    grid: SheetGrid | None,
    indicators: Sequence[Sequence[Indicator]],
    first_last: tuple[int, int],
) -> list[int]:
    """The rows that get the target helper headers: a row list's header row and its repeats
    below (page breaks); for forms, the indicator grid's header row of every form
    (``indicators``: each project's indicators, in table order; ``first_last``: the table's
    first and last row)."""
    if table.layout == "form":
        rows: list[int] = []
        for (_unit, p), inds in zip(iter_projects(table), indicators, strict=True):
            ind_rows = [i.row for i in inds if i.row is not None]
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
    header_row = table.header_rows[-1] if table.header_rows else first_last[0]
    rows = [header_row]
    if grid is not None and table.layout == "rows":
        cols = sorted({col_number(x) for x in table.columns.values() if x})
        for r in range(header_row + 1, first_last[1] + 1):
            if _repeats_header(grid, r, header_row, cols):
                rows.append(r)
    return rows


_MARK_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_NO_ROW = 10**9  # a finding without a row sorts last (checks.finding_key)

# The order of a table's findings, as a sort key per finding: (0, row, severity, n) for the
# findings sorted in sheet order (structural and indicator-format ones, merged as
# checks.sort_findings orders them), (1, 0, 0, n) for the audit's, which follow in project order
_Key = tuple[int, int, int, int]


class AnnotationBuilder:
    """The :class:`AnnotationPlan` of one table, built project by project.

    The constructor does everything that needs the sheet's values (``grid``) and the table's
    structure: the table's rows, the helper columns of an earlier run, the user content in the
    way, a row list's or form's header rows. :meth:`add_project` then takes what the plan needs
    from each completed project — its indicator counts (a packed table) or each indicator's
    target fields and warnings (a row list or a form), and its findings — so that its parsed
    indicators can be dropped; :meth:`finish` gives the plan. :func:`annotation_plan` is this
    builder over a whole table.

    ``findings`` are the findings known before any project is added. ``None`` means the
    table's own ``findings``, taken as final and in their order (a whole table). A table
    analyzed project by project (:class:`~perfsheet.core.pipeline.TableAnalysis`) passes its
    structural findings: they are merged in sheet order (row, then severity) with the
    projects' own ``findings`` given to :meth:`add_project`, and its ``audit`` findings follow
    — the order of :func:`~perfsheet.core.pipeline.analyze`. Only ``error`` and ``warning``
    findings count (helper statuses, 问题, marks), so audit findings may be speculative
    ``info`` ones; the others must be final.

    ``indicators`` (each project's indicators, in table order; default their ``indicators``)
    place the header rows of stacked forms: a grid layout builds its indicators with the
    structure, before they are set on the projects.
    """

    def __init__(
        self,
        table: Table,
        grid: SheetGrid | None = None,
        *,
        findings: Sequence[Finding] | None = None,
        indicators: Sequence[Sequence[Indicator]] | None = None,
    ) -> None:
        self.table = table
        self.sheet = table.sheet
        self.packed = table.layout == "packed"
        final = findings is None
        known: Sequence[Finding] = table.findings if findings is None else findings
        self.first_row, self.last_row = table_rows(table, known)
        edge = table_last_col(table)
        self._n = 0  # findings seen (their order)
        self._name_col = col_number(name_column(table))
        self._notes: dict[tuple[int, int], list[tuple[_Key, str]]] = {}  # error marks
        # a packed table: [errors, warnings] per row, fragment-orphan rows, each project's stats
        self._per_row: dict[int, list[int]] = {}
        self._orphans: list[int] = []
        self._stats: dict[int, ProjectStats] = {}
        # a grid layout: each project's (has indicators, [(row, seq, warnings, target
        # fields)]), the error/warning findings naming an indicator and the other ones
        self._rows_of: dict[int, tuple[bool, list[tuple[int, int | None, list[str], tuple]]]] = {}
        self._named: list[tuple[_Key, int | None, str | None, int, str]] = []
        self._others: list[tuple[_Key, int, str]] = []

        old: set[int] = set()
        if self.packed:
            n = len(HELPER_HEADERS)
            header_rows = [table.header_rows[-1] if table.header_rows else self.first_row]
            if grid is not None:  # helper columns of an earlier run: a helper header anywhere
                width = grid.n_cols + grid.origin_col - 1
                for c in range(edge + 1, width + 1):
                    for hr in table.header_rows or header_rows:
                        if header_key(grid.value(hr, c)) in HELPER_HEADERS:
                            old.add(c)
                            break
            top = self.first_row
        else:
            n = len(TARGET_HELPERS)
            if indicators is None:
                indicators = [p.indicators for _unit, p in iter_projects(table)]
            header_rows = _grid_header_rows(
                table, grid, indicators, (self.first_row, self.last_row)
            )
            if grid is not None:  # the whole run of helper headers in a header row
                runs = target_helper_runs(grid, header_rows)
                theirs = {(r, c + i) for r, c in runs for i in range(n)}
                for hr in header_rows:  # the grid's own header cells: a form's can be wider
                    for j, v in enumerate(_line(grid, hr)):
                        c = grid.origin_col + j
                        if not _is_empty(v) and (hr, c) not in theirs:
                            edge = max(edge, c)
                for _r, c in runs:
                    if c > edge:
                        old.update(range(c, c + n))
            top = header_rows[0]
        self.header_rows = header_rows
        self.edge = edge
        self.old = sorted(old)
        area = range(edge + 1, edge + 1 + n)
        self.occupied: list[str] = []
        if grid is not None:
            self.occupied = _occupied(grid, range(top, self.last_row + 1), area, old)
        self.blocked = _blocked(table, area, self.occupied)
        for f in known:
            self._take(f, self._key(f, 0) if not final else (0, 0, 0, self._n))

    @classmethod
    def for_deferred(cls, deferred: DeferredTable, grid: SheetGrid | None) -> AnnotationBuilder:
        """The builder of a table analyzed project by project, before its first project is
        completed (:class:`~perfsheet.core.pipeline.TableAnalysis`: its ``deferred``): its
        structural findings, and a grid layout's indicators built with the structure."""
        return cls(
            deferred.table,
            grid,
            findings=deferred.structural,
            indicators=[t if isinstance(t, list) else [] for t in deferred.texts],
        )

    # -- findings ------------------------------------------------------------------------------

    def _key(self, f: Finding, phase: int) -> _Key:
        if phase:
            return (1, 0, 0, self._n)
        row = f.row if f.row is not None else _NO_ROW
        return (0, row, _SEVERITY_ORDER[f.severity], self._n)

    def _take(self, f: Finding, key: _Key) -> None:
        self._n += 1
        row, severity = f.row, f.severity
        if row is not None:  # table_rows() counts every finding's row
            if row < self.first_row:
                self.first_row = row
            elif row > self.last_row:
                self.last_row = row
        if self.packed and f.rule == "fragment-orphan" and row is not None:
            self._orphans.append(row)
        if severity not in ("error", "warning"):
            return
        if severity == "error":  # a mark on its cell, else on the project name of its row
            if f.cell:
                m = _MARK_CELL.match(f.cell)
                at = (int(m.group(2)), col_number(m.group(1))) if m else None
            else:
                at = (row, self._name_col) if row is not None else None
            if at is not None:
                self._notes.setdefault(at, []).append((key, f.message))
        if self.packed:
            if row is not None:
                c = self._per_row.get(row)
                if c is None:
                    c = self._per_row[row] = [0, 0]
                c[0 if severity == "error" else 1] += 1
        elif f.indicator is not None:
            self._named.append((key, row, f.project, f.indicator, f.message))
        elif row is not None:
            self._others.append((key, row, f.message))

    # -- projects ------------------------------------------------------------------------------

    def add_project(
        self,
        unit: Unit | None,
        project: Project,
        findings: Iterable[Finding] = (),
        audit: Iterable[Finding] = (),
    ) -> None:
        """What the plan needs of one completed project (indicators parsed), in table order:
        ``findings`` its indicator-format findings, ``audit`` its quality-audit findings."""
        del unit  # (the plan needs only the table's structure for units)
        inds = project.indicators
        if self.packed:
            self._stats[id(project)] = project_stats(project)
        else:
            self._rows_of[id(project)] = (
                bool(inds),
                [
                    (ind.row, ind.seq, ind.warnings, target_fields(effective_target(ind)))
                    for ind in inds
                    if ind.row is not None
                ],
            )
        for f in findings:
            self._take(f, self._key(f, 0))
        for f in audit:
            self._take(f, self._key(f, 1))

    # -- the plan ------------------------------------------------------------------------------

    def _marks(self) -> list[CellMark]:
        return [
            CellMark(row=r, col=c, note="\n".join(f"{NOTE_AUTHOR}：{m}" for _k, m in sorted(msgs)))
            for (r, c), msgs in sorted(self._notes.items())
        ]

    def finish(self) -> AnnotationPlan:
        """The plan (after every project was added)."""
        values = self._packed_values() if self.packed else self._grid_values()
        header_row = self.header_rows[0] if not self.packed else self.header_rows[-1]
        headers = HELPER_HEADERS if self.packed else TARGET_HELPERS
        formats: list[str | None] = [None] * len(headers)
        if self.packed:
            formats[5] = RATIO_FORMAT
        return AnnotationPlan(
            sheet=self.sheet,
            layout=self.table.layout,
            header_row=header_row,
            first_row=self.first_row,
            last_row=self.last_row,
            table_last_col=self.edge,
            start_col=self.edge + 1,
            headers=list(headers),
            more_header_rows=[] if self.packed else self.header_rows[1:],
            number_formats=formats,
            header_style_from=cell_ref(header_row, self.edge),
            values=dict(sorted(values.items())),
            marks=self._marks(),
            clear_columns=self.old,
            clear_rows=(self.first_row, self.last_row),
            occupied=self.occupied,
            blocked=self.blocked,
        )

    def _packed_values(self) -> dict[int, list[Any]]:
        """A packed table: HELPER_HEADERS on every project row, statuses on unit, fragment and
        total rows."""
        table = self.table
        n = len(HELPER_HEADERS)
        status = n - 1
        per_row = self._per_row
        values: dict[int, list[Any]] = {}

        def put(row: int, col: int, value: Any) -> None:
            line = values.setdefault(row, [None] * n)
            line[col] = value

        for unit in table.units:
            if unit.row is not None:
                e, w = per_row.get(unit.row, (0, 0))
                st = f"单位小计（{len(unit.projects)} 个项目）"
                if e or w:
                    st += "：" + _status(e, w)
                put(unit.row, status, st)
            for p in unit.projects:
                s = self._stats.get(id(p)) or project_stats(p)
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
        for r in self._orphans:
            if r not in values:
                put(r, status, "分页碎片，无法确定所属项目")
        return values

    def _project_rows(
        self, p: Project
    ) -> tuple[bool, list[tuple[int, int | None, list[str], tuple]]]:
        got = self._rows_of.get(id(p))
        if got is None:  # never added: its indicators as they are
            got = (
                bool(p.indicators),
                [
                    (i.row, i.seq, i.warnings, target_fields(effective_target(i)))
                    for i in p.indicators
                    if i.row is not None
                ],
            )
        return got

    def _problems(self) -> dict[int, list[str]]:
        """Helper row -> the 问题 of that row: each indicator's own warnings, the error/warning
        findings naming it (``Finding.indicator``, attributed to its project as 绩效指标明细
        attributes them), and the other error/warning findings on the rows it covers (its own
        row down to the next indicator: page-break fragments, a row list's project cells)."""
        table = self.table
        index = FindingIndex(table)
        by_seq: dict[int, dict[int, list[tuple[_Key, str]]]] = {}
        for key, row, project, seq, message in self._named:
            p = index.project_of(row, project)
            if p is not None:
                by_seq.setdefault(id(p), {}).setdefault(seq, []).append((key, message))
        out: dict[int, list[str]] = {}
        home: dict[int, int] = {}  # sheet row -> the helper row reporting it
        for _unit, p in iter_projects(table):
            named = by_seq.get(id(p), {})
            starts: list[int] = []
            for row, seq, warnings, _fields in self._project_rows(p)[1]:
                starts.append(row)
                msgs = out.setdefault(row, [])
                msgs.extend(warnings)
                if seq is not None:
                    msgs.extend(m for _k, m in sorted(named.get(seq, ())))
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
        for _key, row, message in sorted(self._others):
            r = home.get(row)
            if r is not None:
                out[r].append(message)
        return out

    def _grid_values(self) -> dict[int, list[Any]]:
        """A row list or a form: on every indicator row, 比较符 / 目标值 / 计量单位 / 定量/定性
        of its target (the very fields of 绩效指标明细) and its 问题."""
        n = len(TARGET_HELPERS)
        values: dict[int, list[Any]] = {r: list(TARGET_HELPERS) for r in self.header_rows[1:]}
        problems = self._problems()
        for _unit, p in iter_projects(self.table):
            has, rows = self._project_rows(p)
            for row, _seq, _warnings, fields in rows:
                text = "；".join(dict.fromkeys(problems.get(row, ())))
                values[row] = [*fields, text or None]
            if not has and p.row in problems and p.row not in values:
                values[p.row] = [None] * (n - 1) + ["；".join(dict.fromkeys(problems[p.row]))]
        return values


def annotation_plan(table: Table, grid: SheetGrid | None = None) -> AnnotationPlan:
    """Helper columns + error marks for ``table`` on its sheet (``grid`` = that sheet's values):
    :class:`AnnotationBuilder` over the whole table.

    A packed table gets :data:`HELPER_HEADERS` right of the table, one line per project row; a
    row list or a form gets :data:`TARGET_HELPERS` right of the table (of the indicator
    grid for forms), one line per indicator row.

    Without ``grid`` the plan cannot see user content or earlier helper columns: it assumes the
    area to the right of the table is free (the xls rebuild and tests use that).
    """
    builder = AnnotationBuilder(table, grid)
    for unit in table.units:
        for project in unit.projects:
            builder.add_project(unit, project)
    return builder.finish()
