"""Forms: the 财政部-style 项目支出绩效目标表 / 绩效目标申报表, one project per block.

A form is found by its ``项目名称`` label with the project's name to its right; it runs to the
next form's label (or the end of the sheet). Inside it, label cells with their values to the
right: ``主管部门(及代码)`` (the table's department), ``实施单位`` (the project's unit), the money
block (``年度资金总额``, ``其中：财政拨款``, ``财政专户管理资金``, ``其他资金``…, any header the
catalogue names as money), ``年度绩效目标`` (the goal) and ``中长期目标``/``实施周期目标``
(kept under ``extra``); then the indicator grid (``一级指标 | 二级指标 | 三级指标 | 指标值``, or
two value columns), read like a row list (:mod:`~perfsheet.core.rowlist`).

When the money block has a ``中期资金总额`` column beside the ``年度资金总额`` one, the annual
column is the project's amounts and the mid-term one is kept under ``extra``. Forms stacked on
one sheet (blank rows and page lines such as ``第3页`` between them) are one table with one
project per form; forms one per sheet are one table per sheet. The money check of a form is
年度资金总额 = the sum of its sources (``row-total`` on the 年度资金总额 cell).
"""

from __future__ import annotations

from perfsheet.core import checks, headers, rules
from perfsheet.core.amounts import Amount, parse_amount
from perfsheet.core.grid import CellValue, cell_ref, col_letter
from perfsheet.core.models import Finding
from perfsheet.core.rowlist import CELL_ROLES, _add_grid_row, _indicators, _Proj
from perfsheet.core.table import (
    _AMOUNT_UNIT,
    _NOTE_ROW,
    _UNIT_IN_HEADER,
    AMOUNT_ROLES,
    DeferredTable,
    GridProject,
    GridRead,
    _display,
    _Header,
    _header_key,
    _plain,
    _roles_of,
    _Row,
    _Sheet,
    _text,
    _TitleBlock,
    build_table,
    skip_row,
)

_NAME_LABELS = headers.FORM_LABELS["name"]
_DEPT_LABELS = headers.FORM_LABELS["department"]
_UNIT_LABELS = headers.FORM_LABELS["unit"]
_GOAL_LABELS = headers.FORM_LABELS["goal"]
_LONG_LABELS = headers.FORM_LABELS["long_goal"]
_MID_MONEY = headers.FORM_MID_MONEY
_YEAR_MONEY = headers.FORM_YEAR_MONEY


def _key(v: CellValue) -> str:
    return _header_key(v).replace(":", "")


def _is_label(v: CellValue) -> bool:
    k = _key(v)
    return bool(k) and (
        k in _NAME_LABELS or k in _DEPT_LABELS or k in _UNIT_LABELS or k in _GOAL_LABELS
        or k in _LONG_LABELS or _MID_MONEY.match(k) is not None
        or (len(k) <= 20 and (e := headers.classify(v)) is not None and e.kind in ("money",))
    )  # fmt: skip


def _anchors(sh: _Sheet) -> list[tuple[int, int]]:
    """(row, column) of every ``项目名称`` label with a value to its right."""
    out: list[tuple[int, int]] = []
    g = sh.grid
    for i, line in enumerate(g.rows):
        for j, v in enumerate(line):
            # cheap test first: this runs over every cell of a sheet without a list table
            if (
                not isinstance(v, str)
                or len(v) > 20
                or "名称" not in v
                or _key(v) not in (_NAME_LABELS)
            ):
                continue
            r, col = i + g.origin_row, j + g.origin_col
            value = _right_value(sh, r, col)
            if value is not None and not _is_label(value[1]) and headers.classify(value[1]) is None:
                out.append((r, col))
            break
    return out


def _right_value(sh: _Sheet, r: int, col: int) -> tuple[int, CellValue] | None:
    """The first non-empty cell right of (r, col) outside the label's own merge."""
    anchor = sh.anchor_of(r, col) or (r, col)
    for c in range(col + 1, sh.n_cols + 1):
        if (sh.anchor_of(r, c) or (r, c)) == anchor:
            continue
        v = sh.value(r, c)
        if v is not None and (not isinstance(v, str) or _plain(v)):
            return c, v
    return None


def _grid_header(sh: _Sheet, first: int, last: int) -> tuple[int, dict[str, int]] | None:
    for r in range(first, last + 1):
        texts = sh.row_texts(r)
        if len(texts) < 2:
            continue
        found = _roles_of(texts)
        if found.grid:
            cols = {k: c for k, c in found.roles.items() if k in ("level1", "level2", *CELL_ROLES)}
            return r, cols
    return None


def _grid_header_row(sh: _Sheet, r: int) -> bool:
    texts = sh.row_texts(r)
    return len(texts) >= 2 and _roles_of(texts).grid


def _grid_resumes(sh: _Sheet, r: int, end: int, title: str | None) -> bool:
    """The form's grid goes on after row ``r - 1``: past blank rows and page furniture, the
    next row repeats the grid's header (a page top)."""
    for k in range(r, end + 1):
        cells = sh.row_texts(k, resolved=False)
        if not cells or skip_row(cells.values(), title):
            continue
        return _grid_header_row(sh, k)
    return False


def _stop_row(sh: _Sheet, r: int, cols: dict[str, int], end: int, title: str | None = None) -> bool:
    """Where the grid of a form ends: a new title (not one repeated at a page top, above the
    grid's header repeated), a note, an opinion box… Page numbers and print stamps between
    the grid's rows do not end it (they are skipped: :func:`~perfsheet.core.table.skip_row`)."""
    cells = sh.row_texts(r, resolved=False)
    if not cells:
        return False
    if len(cells) == 1:
        only = _plain(_text(next(iter(cells.values()))))
        if _NOTE_ROW.match(only):
            return True
        if "绩效目标表" in only or "申报表" in only:
            return not _grid_resumes(sh, r + 1, end, title)
    first_grid = min(cols.values())
    return any(
        c < first_grid and isinstance(v, str) and ("意见" in v or "审核" in v or "备注" in v)
        for c, v in cells.items()
    )


def read_forms(sh: _Sheet) -> list[DeferredTable]:
    """The forms of one sheet as one table (none when the sheet holds no form)."""
    anchors = _anchors(sh)
    if not anchors:
        return []
    records: list[_Row] = []
    read = GridRead("form", records, {})
    block = _TitleBlock()
    titles: list[str] = []
    for r in range(1, anchors[0][0]):
        for v in sh.row_texts(r, resolved=False).values():
            t = _display(v)
            m = _AMOUNT_UNIT.search(t)
            if m and block.amount_unit is None:
                block.amount_unit = m.group(1)
            elif t and not _is_label(v):
                titles.append(t)
    block.title = next((t for t in titles if "表" in t), titles[0] if titles else None)
    columns: dict[str, str] = {}
    kinds: dict[str, str] = {}  # source columns beyond fiscal/special/other -> what they are
    ranges: list[str] = []
    for i, (r0, c0) in enumerate(anchors):
        end = anchors[i + 1][0] - 1 if i + 1 < len(anchors) else sh.n_rows
        if _read_form(sh, r0, c0, end, read, block, columns, kinds):
            ranges.append(f"A{r0}:{col_letter(max(sh.n_cols, 1))}{end}")
    if not ranges:
        return []  # 项目名称 labels without a money block or indicator grid: not a form
    read.block = block
    read.department = block.department
    read.columns = columns
    read.parts = {"forms": ",".join(ranges)}
    read.money_checked = True
    header = _Header([anchors[0][0]], {"name": anchors[0][1]}, {}, {}, {}, None,
                     source_kinds=kinds)  # fmt: skip
    return [build_table(sh, header, read)]


def _read_form(
    sh: _Sheet, r0: int, c0: int, end: int, read: GridRead, block: _TitleBlock,
    columns: dict[str, str],
    kinds: dict[str, str],
) -> bool:  # fmt: skip
    """Read one form into ``read``; False (nothing read) when the block has neither a money
    block nor an indicator grid: a cover sheet's 项目名称 line is not a form."""
    sheet = sh.grid.name
    name_at = _right_value(sh, r0, c0)
    assert name_at is not None
    name = _display(name_at[1])
    grid = _grid_header(sh, r0 + 1, end)
    labels_end = grid[0] - 1 if grid else end
    unit: str | None = None
    goal: str | None = None
    extra: dict[str, object] = {}
    amounts: dict[str, Amount] = {}
    money_cells: dict[str, tuple[int, int]] = {}
    year_col: int | None = None
    mid_col: int | None = None
    year_row = 0
    for r in range(r0, labels_end + 1):
        row = sh.row_texts(r, resolved=False)
        for col, v in row.items():
            k = _key(v)
            if _YEAR_MONEY.match(k) and any(_MID_MONEY.match(_key(w)) for w in row.values()):
                year_col, year_row = col, r
            elif _MID_MONEY.match(k) and any(_YEAR_MONEY.match(_key(w)) for w in row.values()):
                mid_col = col
    for r in range(r0, labels_end + 1):
        row = sh.row_texts(r, resolved=False)
        for col, v in sorted(row.items()):
            t = _display(v)
            m = _AMOUNT_UNIT.search(t) or _UNIT_IN_HEADER.search(_header_key(v))
            if m and block.amount_unit is None:
                block.amount_unit = m.group(1)
            if r == year_row and col in (year_col, mid_col):
                continue
            k = _key(v)
            if not _is_label(v) or k in _NAME_LABELS:
                continue
            entry = headers.classify(v)
            if (
                year_col is not None
                and r > year_row
                and entry is not None
                and (entry.kind == "money")
            ):
                value: tuple[int, CellValue] | None = (year_col, sh.resolved(r, year_col))
                if mid_col is not None:
                    extra[f"中期{_display(v)}"] = sh.resolved(r, mid_col)
            else:
                value = _right_value(sh, r, col)
                if value is not None and _is_label(value[1]):
                    value = None  # a block label (项目资金（万元）) with labels to its right
                if value is None and (k in _GOAL_LABELS or k in _LONG_LABELS):
                    below = sh.value(r + 1, col)  # the label above its text
                    if below is not None and _plain(_text(below)) and not _is_label(below):
                        value = (col, below)
            if value is None:
                continue
            vcol, vv = value
            if k in _DEPT_LABELS:
                dept = _display(vv)
                if block.department is None and dept:
                    block.department = dept
                extra[_display(v)] = _display(vv)
            elif k in _UNIT_LABELS:
                unit = _display(vv) or None
                extra[_display(v)] = _display(vv)
            elif k in _GOAL_LABELS:
                goal = _text(vv).strip() or None
            elif k in _LONG_LABELS:
                extra[_display(v)] = _text(vv).strip()
            else:
                entry = headers.classify(v)
                if entry is None or entry.kind != "money":
                    continue
                key = entry.role if entry.role in AMOUNT_ROLES else _display(v)
                if key in amounts:
                    key = f"{_display(v)}({cell_ref(r, col)})"
                amounts[key] = parse_amount(vv)
                if key not in AMOUNT_ROLES:
                    kinds[key] = entry.label
                money_cells[key] = (r, vcol)
    if grid is None and not amounts:
        return False
    rec = _Row(r0, "project", name, amounts, {}, extra)
    read.records.append(rec)
    proj = _Proj(rec, unit, [r0], goal=goal)
    findings: list[Finding] = []
    if grid is not None:
        gr, cols = grid
        for r in range(gr + 1, end + 1):
            if _stop_row(sh, r, cols, end, block.title):
                break
            raw = sh.row_texts(r, resolved=False)
            if skip_row(raw.values(), block.title) or _grid_header_row(sh, r):
                continue  # page furniture, the grid's header repeated at a page top
            cells: dict[str, str] = {}
            for role, col in cols.items():
                v = sh.value(r, col) if sh.anchor_of(r, col) is None else sh.resolved(r, col)
                if v is not None and _plain(_text(v)):
                    cells[role] = _text(v).strip()
            if not cells:
                continue
            proj.rows.append(r)
            _add_grid_row(sh, r, proj, cells, cols, {}, sheet)
        if not columns:
            columns.update({"name": col_letter(name_at[0])})
            columns.update({role: col_letter(c) for role, c in cols.items()})
    indicators = _indicators(proj, False)
    if not indicators:
        where = (
            f"（第{grid[0]}行起的指标表为空）" if grid else "（未找到一级指标/三级指标/指标值表头）"
        )
        findings.append(rules.finding(
            "form-no-indicators", sheet=sheet,
            cell=cell_ref(r0, name_at[0]), row=r0, project=name or None, unit=unit,
            message=f"第{r0}行项目「{name}」的绩效目标表没有绩效指标{where}",
        ))  # fmt: skip
    # the money block: 年度资金总额 = its sources
    for key, a in amounts.items():
        r, c = money_cells[key]
        findings.extend(checks.amount_findings(sheet, r, name, {key: a}, {key: c}))
    if "total" in amounts:
        r, c = money_cells["total"]
        cols_map = {k: money_cells[k][1] for k in amounts}
        f = checks.row_total(sheet, r, name, amounts, cols_map, unit=unit)
        if f is not None:
            findings.append(f)
    findings.extend(proj.findings)
    read.projects[r0] = GridProject(sorted(proj.rows), indicators, unit, findings, goal)
    return True


def near_miss(sh: _Sheet) -> str | None:
    """For a sheet that looks like a table but fits no layout: what was found and what is
    missing, in one Chinese clause (None when the sheet does not look like a table)."""
    best: tuple[int, int, list[str]] | None = None
    for r in range(1, min(sh.n_rows, 200) + 1):
        texts = sh.row_texts(r)
        if len(texts) < 2:
            continue
        labels = [e.label for v in texts.values() if (e := headers.classify(v)) is not None
                  and e.kind != "other"]  # fmt: skip
        if len(labels) >= 2 and (best is None or len(labels) > len(best[2])):
            best = (r, len(labels), list(dict.fromkeys(labels)))
    if best is None:
        return None
    r, _, found = best
    missing: list[str] = []
    if "项目名称" not in found:
        missing.append("项目名称（列，或表单中的“项目名称”栏）")
    grid = any(x in found for x in ("一级指标", "二级指标", "三级指标", "指标值"))
    if not grid:
        if not any(x in found for x in ("总计", "财政拨款", "财政专户管理资金", "其他资金")):
            missing.append("总计/财政拨款等金额列")
        if not any(x in found for x in ("绩效目标", "绩效指标")):
            missing.append("绩效目标/绩效指标列")
    elif "三级指标" not in found and "指标值" not in found:
        missing.append("三级指标/指标值列")
    if not missing:
        return None
    return (f"工作表「{sh.grid.name}」第{r}行像是表头（找到：{'、'.join(found)}），"
            f"但缺少：{'、'.join(missing)}")  # fmt: skip
