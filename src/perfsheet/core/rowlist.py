"""Row lists: one indicator per row (``一级指标 | 二级指标 | 三级指标 | 指标值``), and the
budget-system exports that split the target into 指标性质 / 计算符号 / 指标值 / 计量单位.

The project-level cells (单位, 项目名称, amounts, 绩效目标) may be merged vertically over the
project's indicator rows, repeated on every row, or written on the project's first row with
blanks below. Decisions:

- **A project starts** at a row whose 项目名称 cell holds a name of its own (not the lower part
  of a merged cell) that differs from the current project's name, or whose unit (or
  department) cell changes.
  A repeated name continues the project (exports repeat it on every row); a blank name (and no
  amounts of its own) continues it too (blank-below). A row with amounts but no name is a
  project without a name (``project-unnamed``).
- **Amounts, goal and other project cells** are read from the project's first row only:
  repeated cells are never added twice.
- **一级/二级指标** merged vertically or left blank below carry down within the project; a
  written 一级 resets the 二级.
- **Page breaks** (a row cut in two by a PDF conversion): a row without a 三级指标 name and
  without category cells of its own continues the previous indicator's cells (joined with
  :func:`~perfsheet.core.table.join_text`, nothing inserted; ``fragment-merged``). A row with
  only a category (``经济效益指标`` and nothing else) is a placeholder row of the form, not an
  indicator.
- **Targets**: from the value text (:func:`~perfsheet.core.targets.analyze_target`); in an
  export, from the separate columns (:func:`~perfsheet.core.targets.structured_target`), with a
  warning where the columns are incomplete or disagree (``indicator-columns``).
- Indicators are numbered 1..n within the project (``seq``) and keep their own sheet ``row``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from perfsheet.core import categories as cat
from perfsheet.core import checks
from perfsheet.core.amounts import BLANK
from perfsheet.core.grid import CellValue, cell_ref
from perfsheet.core.models import Finding, Indicator
from perfsheet.core.table import (
    _GRAND_NAMES,
    _SUBTOTAL_NAMES,
    GridProject,
    GridRead,
    _amount,
    _Header,
    _header_key,
    _name_text,
    _plain,
    _Row,
    _Sheet,
    _text,
    _title_block,
    join_text,
    skip_row,
    unit_columns,
)
from perfsheet.core.targets import (
    MULTI_TARGET_WARNING,
    analyze_target,
    fast_constructor,
    structured_target,
)
from perfsheet.core.text import clean_text

#: Grid columns holding the indicator's own cells (not its categories).
CELL_ROLES = ("level3", "period_value", "value", "nature", "op", "measure")
EXPORT_ROLES = ("nature", "op", "measure")

W_NO_LEVEL1 = "缺少一级指标"
W_NO_LEVEL2 = "缺少二级指标"
W_NO_NAME = "缺少三级指标"


def grid_indicator(
    seq: int,
    row: int,
    level1: str | None,
    level2: str | None,
    name: str | None,
    period_value: str | None,
    annual_value: str | None,
    export: tuple[str | None, str | None, CellValue, str | None] | None = None,
    raw: str = "",
    extra_warnings: list[str] | None = None,
) -> Indicator:
    """One indicator from the cells of one grid row (row lists, exports, forms)."""
    warnings: list[str] = list(extra_warnings or ())
    level1_name, r2, problems = _levels(level1, level2)
    warnings.extend(problems)
    if not name:
        warnings.append(W_NO_NAME)
    multi = False
    if export is not None:
        nature, op_word, value, unit = export
        annual_target, shown, problems = structured_target(nature, op_word, value, unit)
        annual_value = shown or None
        warnings.extend(f"指标列：{p}" for p in problems)
    elif annual_value is not None:
        annual_target, multi = analyze_target(clean_text(annual_value))
    else:
        annual_target = _EMPTY
    if period_value is not None:
        period_target, m = analyze_target(clean_text(period_value))
        multi = multi or m
    else:
        period_target = _EMPTY
    if multi:
        warnings.append(MULTI_TARGET_WARNING)
    if "placeholder" in (period_target.kind, annual_target.kind):
        warnings.append("指标内容待补充")
    return _build(
        {
            "seq": seq,
            "level1": level1_name,
            "level1_code": None,
            "level2": r2.name,
            "level2_code": None,
            "legacy": r2.legacy,
            "name": name or None,
            "period_value": period_value,
            "annual_value": annual_value,
            "period_target": period_target,
            "annual_target": annual_target,
            "warnings": warnings,
            "raw": raw,
            "row": row,
        }
    )


_build = fast_constructor(Indicator)


@lru_cache(maxsize=1024)
def _levels(
    level1: str | None, level2: str | None
) -> tuple[str | None, cat.Resolved, tuple[str, ...]]:
    """(level-1 name, level 2 resolved, problems) of a grid row's category cells: a table has
    few distinct pairs, resolved once each."""
    problems: list[str] = []
    r1 = cat.resolve_level1(None, level1) if level1 else cat.Resolved(None, None)
    l1_code = r1.code or cat.level1_code_of(r1.name)
    r2 = cat.resolve_level2(None, level2, l1_code) if level2 else cat.Resolved(None, None)
    for problem in (r1.problem, r2.problem):
        if problem:
            problems.append(problem)
    level1_name = r1.name
    if level1_name is None:
        problems.append(W_NO_LEVEL1)
        parent = cat.parent_code(cat.level2_code_of(r2.name))
        if parent is not None:
            level1_name = cat.LEVEL1[parent]
    if r2.name is None:
        problems.append(W_NO_LEVEL2)
    return level1_name, r2, tuple(problems)


_EMPTY = analyze_target("")[0]


def _cell_text(v: CellValue) -> str | None:
    """A grid cell as text, whitespace at the ends removed (None when blank)."""
    if v is None:
        return None
    s = v.strip() if isinstance(v, str) else _text(v).strip()
    return s if s and ("<" not in s or _plain(s)) else None


@dataclass
class _Item:
    """An indicator being read: its cells, possibly continued on the next row."""

    row: int
    level1: str | None
    level2: str | None
    cells: dict[str, str]  # CELL_ROLES -> text
    raw_values: dict[str, CellValue]  # the export's 指标值 cell as stored (a number stays one)
    rows: list[int] = field(default_factory=list)
    extras: dict[str, str] = field(default_factory=dict)


@dataclass
class _Proj:
    rec: _Row
    unit: str | None
    rows: list[int]
    items: list[_Item] = field(default_factory=list)
    department: str | None = None
    findings: list[Finding] = field(default_factory=list)
    goal: str | None = None
    categories: tuple[str | None, str | None] = (None, None)  # 一级/二级 carried down


def read_rows(sh: _Sheet, header: _Header) -> GridRead:
    """The projects and indicators of a row list (see the module docstring)."""
    sheet = sh.grid.name
    roles = header.roles
    name_col = roles["name"]
    unit_col, dept_col = unit_columns(header)
    grid_cols = {r: roles[r] for r in ("level1", "level2", *CELL_ROLES) if r in roles}
    is_export = any(r in roles for r in EXPORT_ROLES)
    first_grid = min(grid_cols.values())
    ind_extras = {k: c for k, c in header.extras.items()
                  if c > first_grid and c not in (unit_col, dept_col)}  # fmt: skip
    proj_extras = {k: c for k, c in header.extras.items() if k not in ind_extras and c != unit_col}
    goal_col = roles.get("goal")
    records: list[_Row] = []
    projects: list[_Proj] = []
    cur: _Proj | None = None
    last = header.end or sh.n_rows
    g = sh.grid
    grid_rows, o_row, o_col = g.rows, g.origin_row, g.origin_col
    wanted = sorted({name_col, *grid_cols.values(), *header.money.values(),
                     *header.extras.values(), *((goal_col,) if goal_col else ())})  # fmt: skip
    money_items = list(header.money.items())
    no_amounts = {key: BLANK for key, _ in money_items}
    special = g.special
    title = _title_block(sh, header.rows[0], header.top).title
    for r in range(header.last_row + 1, last + 1):
        i = r - o_row
        line = grid_rows[i] if 0 <= i < len(grid_rows) else ()
        n = len(line)
        vals: dict[int, CellValue] = {}
        for col in wanted:  # the row's cells read straight from the grid (the hot loop)
            c = col - o_col
            v = line[c] if 0 <= c < n else None
            if v is not None and (not isinstance(v, str) or (v.strip() and _plain(v))):
                vals[col] = v
        if not vals:
            continue
        first_col, first_v = next(iter(vals.items()))
        if (
            len(vals) >= 2
            and isinstance(first_v, str)
            and _header_key(first_v) in header.keys.get(first_col, ())
            and all(_header_key(v) in header.keys.get(c, ()) for c, v in vals.items())
        ):
            continue  # the header repeated at a page top
        if skip_row(vals.values(), title):
            continue  # page furniture (第1页，共2页 in any column), a note under the table
        name = _name_text(vals.get(name_col))
        merged_name = sh.anchor_of(r, name_col) is not None
        if any(col in vals or (r, col) in special for _, col in money_items):
            amounts = {
                key: _amount(sh, r, col) if col in vals or (r, col) in special else BLANK
                for key, col in money_items
            }
        else:
            amounts = dict(no_amounts)
        has_amounts = any(not a.is_blank for a in amounts.values())
        cells = {role: t for role, col in grid_cols.items()
                 if col in vals and (t := _cell_text(vals[col])) is not None}  # fmt: skip
        own_grid = any(role in cells for role in CELL_ROLES)
        unit = _name_text(sh.resolved(r, unit_col)) if unit_col else None
        if not unit and cur is not None:
            unit = cur.unit  # an empty unit cell (a merged block cut at a page break)
        dept = _name_text(sh.resolved(r, dept_col)) if dept_col else None
        if not dept and cur is not None:
            dept = cur.department
        total_word = _plain(name) or next(
            (_plain(_text(sh.resolved(r, c))) for c in range(1, name_col + 1)
             if _plain(_text(sh.resolved(r, c)))), "",
        ) if has_amounts and not cells else _plain(name)  # fmt: skip
        if total_word in _GRAND_NAMES or total_word in _SUBTOTAL_NAMES:
            kind = "grand" if total_word in _GRAND_NAMES else "subtotal"
            name = name or total_word
            records.append(_Row(r, kind, name, amounts, {}, {}))
            cur = None
            continue
        new_project = False
        if name and not merged_name:
            new_project = (
                cur is None
                or name != cur.rec.name
                or (unit or None) != cur.unit
                or (dept or None) != cur.department
            )
        elif (
            not name
            and not merged_name
            and has_amounts
            and (
                cur is None
                or any(
                    not a.is_blank and a.value != cur.rec.amounts.get(k, a).value
                    for k, a in amounts.items()
                )
            )
        ) or cur is None:
            new_project = True
        if new_project:
            if not own_grid and not cells and name:
                # a name with amounts and no indicator: a unit row or a project without
                # indicators (decided with the packed list's rule)
                rec = _Row(r, "cand", name, amounts, {}, {})
                records.append(rec)
                cur = _Proj(rec, unit or None, [r], department=dept or None)
                projects.append(cur)
                continue
            rec = _Row(r, "project", name, amounts, {}, {
                k: sh.resolved(r, c) for k, c in proj_extras.items()})  # fmt: skip
            records.append(rec)
            cur = _Proj(rec, unit or None, [r], department=dept or None)
            if goal_col:
                cur.goal = _cell_text(sh.resolved(r, goal_col))
            projects.append(cur)
        else:
            assert cur is not None
            cur.rows.append(r)
            if cur.rec.kind == "cand":
                cur.rec.kind = "project"
            if goal_col and sh.anchor_of(r, goal_col) is None:
                g = _cell_text(sh.value(r, goal_col))
                if g and g != cur.goal and not name:  # a goal cut at a page break
                    prev = cur.rows[-2] if len(cur.rows) > 1 else None
                    p = _cell_text(sh.value(prev, goal_col)) if prev is not None else None
                    # the cut goal repeated on a later row (an export): its rest is known
                    if p is None or p == cur.goal or join_text(p, g) != cur.goal:
                        cur.goal = join_text(cur.goal or "", g)
        if cur.rec.kind == "cand" and (own_grid or cells):
            cur.rec.kind = "project"
        _add_grid_row(sh, r, cur, cells, grid_cols, ind_extras, sheet)
    read = GridRead("rows", records, {})
    for p in projects:
        indicators = _indicators(p, is_export)
        read.projects[p.rec.row] = GridProject(
            p.rows, indicators, p.unit, p.findings, p.goal, p.department
        )
    return read


def _add_grid_row(
    sh: _Sheet, r: int, p: _Proj, cells: dict[str, str], grid_cols: dict[str, int],
    extras: dict[str, int], sheet: str,
) -> None:  # fmt: skip
    level1_own = "level1" in cells and sh.anchor_of(r, grid_cols["level1"]) is None
    level2_own = "level2" in cells and sh.anchor_of(r, grid_cols["level2"]) is None
    prev = p.items[-1] if p.items else None
    # categories carry down from the last row that wrote one, placeholder rows included
    level1 = cells.get("level1") or p.categories[0]
    # a written 一级 starts its own 二级; otherwise the 二级 carries down too
    level2 = cells.get("level2") if level1_own else cells.get("level2") or p.categories[1]
    p.categories = (level1, level2)
    own = {k: v for k, v in cells.items() if k in CELL_ROLES}
    if not own:
        return  # nothing but categories: a placeholder row of the form
    name_merged = "level3" in grid_cols and sh.anchor_of(r, grid_cols["level3"]) is not None
    if (
        prev is not None
        and not level1_own
        and not level2_own
        and ("level3" not in own or name_merged)
        and "level3" in grid_cols
    ):
        # no name of its own: the rest of the previous indicator, cut at a page break
        for k, v in own.items():
            if k == "level3" and name_merged:
                continue
            prev.cells[k] = join_text(prev.cells.get(k, ""), v)
        prev.rows.append(r)
        p.findings.append(checks.fragment_merged(
            sheet, r, cell_ref(r, grid_cols[next(iter(own))]), p.rec.name, prev.row, "tail",
            p.unit))  # fmt: skip
        return
    if (
        prev is not None
        and not level1_own
        and not level2_own
        and set(own) == {"level3"}
        and _starts_page(sh, r)
    ):
        # a PDF page starts with the rest of the previous name (its value came before)
        prev.cells["level3"] = join_text(prev.cells.get("level3", ""), own["level3"])
        prev.rows.append(r)
        p.findings.append(checks.fragment_merged(
            sheet, r, cell_ref(r, grid_cols["level3"]), p.rec.name, prev.row, "tail",
            p.unit))  # fmt: skip
        return
    if (
        prev is not None
        and not level1_own
        and not level2_own
        and "level3" in own
        and not any(k in prev.cells for k in ("value", "period_value"))
        and any(k in own for k in ("value", "period_value"))
        and len(own["level3"]) <= 3
    ):
        # a name cut in two at a page break: 参训学员满意 | 度 ≥90%
        prev.cells["level3"] = join_text(prev.cells.get("level3", ""), own.pop("level3"))
        for k, v in own.items():
            prev.cells[k] = v
        prev.raw_values.update({"value": sh.value(r, grid_cols["value"])} if "value" in
                               grid_cols else {})  # fmt: skip
        prev.rows.append(r)
        p.findings.append(
            checks.fragment_merged(
                sheet, r, cell_ref(r, grid_cols["level3"]), p.rec.name, prev.row, "tail", p.unit
            )
        )
        return  # fmt: skip
    item = _Item(r, level1, level2, own, {}, [r])
    if "value" in grid_cols:
        item.raw_values["value"] = sh.value(r, grid_cols["value"])
    for label, col in extras.items():
        t = _cell_text(sh.resolved(r, col))
        if t:
            item.extras[label] = t
    p.items.append(item)


def _starts_page(sh: _Sheet, r: int) -> bool:
    """Row ``r`` is the first row of a new page (grids read from a PDF only)."""
    pages = sh.grid.pages
    if not pages or r not in pages or r - 1 not in pages:
        return False
    return pages[r][0] != pages[r - 1][0]


def _indicators(p: _Proj, is_export: bool) -> list[Indicator]:
    out: list[Indicator] = []
    for seq, it in enumerate(p.items, start=1):
        c = it.cells
        export = None
        if is_export:
            raw_value = it.raw_values.get("value")
            value: CellValue = raw_value if isinstance(raw_value, int | float) and not \
                isinstance(raw_value, bool) and len(it.rows) == 1 else c.get("value")  # fmt: skip
            export = (c.get("nature"), c.get("op"), value, c.get("measure"))
        parts = [it.level1 or "", it.level2 or "", c.get("level3", "")]
        for k in ("period_value", "nature", "op", "value", "measure"):
            if k in c:
                parts.append(c[k])
        parts.extend(f"{k}：{v}" for k, v in it.extras.items())
        raw = "；".join(x for x in parts if x)
        out.append(
            grid_indicator(
                seq, it.row, it.level1, it.level2, c.get("level3"), c.get("period_value"),
                c.get("value"), export, raw,
            )
        )  # fmt: skip
    return out


__all__ = ["CELL_ROLES", "grid_indicator", "read_rows"]
