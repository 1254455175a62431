"""Realistic inputs for issue 12 ("Every table departments publish"), with exact expectations.

Each ``build_<case>(dir)`` writes one real workbook the way a department (or its PDF converter,
or its budget system) produces it — not the way a parser would like it — and returns the path
and the tables a reader must find in it (:class:`ExpTable`, in sheet order, then top to bottom).
:data:`LAYOUT_CASES` lists every builder. Departments, projects and numbers are made up; every
case comes from a different department.

Layouts (domain notes §4.1): ``packed`` = L1 (one row per project, all indicators in one
绩效指标 cell), ``rows`` = one row per indicator with project columns, ``form`` = a
single-project 项目支出绩效目标表 (申报表, L2/L3/L4).

Conventions of the expectations
-------------------------------
* ``row`` is the 1-based sheet row. A project's ``row`` is the row holding its name (the top
  row of a merged name cell); an indicator's ``row`` is the row where its 三级指标 text starts.
* ``level1``/``level2`` are perfsheet's canonical names (``src/perfsheet/core/categories.py``)
  even when the cell says ``经济效益``, ``社会公众或服务对象满意度指标`` or ``1-产出指标``;
  ``成本指标`` under 产出指标 is the legacy level 2 (code 14); ``可持续影响指标`` is code 24.
* ``name``/``period_value``/``annual_value`` are the text as written, stripped of surrounding
  whitespace (and, in line-item cells, of the trailing ``；``/``。`` that ends a line). When the
  layout has one value column, ``period_value`` is None and ``annual_value`` holds the value.
  Text split over two rows by a page break is joined without a separator.
* Packed cells: what the existing parser (``perfsheet.core.parse_indicators``) gives for them;
  ``row`` is the project row.
* Amounts: the cell's number (text amounts such as ``"1,280.00"`` read as numbers); None when the
  cell is blank or the column does not exist; 0.0 when 0 is written. ``sources`` holds the money
  columns beyond 总计/财政拨款/财政专户拨款/其他资金, by header text as written, only for
  cells holding a number. All amounts add up (总计 = the sum of the other money columns,
  合计 = the sum of the projects, a unit = the sum of its projects) except the rows listed in
  ``ExpTable.money_errors`` (exactly one row, in :func:`build_vocabulary`).
* Budget-system exports (:func:`build_export_rows`, :func:`build_export_bad`) keep 计算符号,
  指标值 and 计量单位 in separate cells. Expected ``annual_value`` = the operator + the value +
  the unit joined without spaces (``≥`` + ``2400`` + ``批次`` -> ``≥2400批次``), where the
  operator is canonical when it is recognised (``大于等于``/``不低于`` -> ``≥``, ``小于等于``
  -> ``≤``, full-width ``＝`` -> ``=``) and kept as written when it is not (``约2000人次``); a
  numeric 指标值 cell is written as Python writes the number without a trailing ``.0``
  (``2400``, ``0.077``). 定性 rows: the value text alone. ``op``/``value``/``unit``/``kind``
  give the pieces: ``op`` canonical or None (blank or unrecognised), ``value`` a float when the
  指标值 is a number, ``unit`` as written or None, ``kind`` ``quantitative`` (定量) /
  ``qualitative`` (定性).
* Forms: ``department`` is the 主管部门 cell as written (``317-石门县水务局``), the project's
  ``unit`` is the 实施单位 cell; ``goal`` is the 年度绩效目标 (年度目标) text; the mid-term side
  of a two-period form is in ``period_goal`` and ``period_amounts`` (keys ``total``/``fiscal``/
  ``special``/``other``). Rows of the indicator grid with a 二级指标 label but no 三级指标 and no
  value (placeholders printed by the template) are not indicators. Several forms stacked on one
  sheet are several tables.
* Other fields: ``ExpTable.units`` lists unit subtotal rows (packed tables that have them);
  ``inconsistent`` maps export rows to what is wrong in them (``unknown-op``,
  ``quantitative-text-value``, ``qualitative-with-op``, ``quantitative-no-unit``);
  ``orphan_rows`` lists indicator rows that belong to no project (a reader must not invent one);
  ``grand_total_row`` is the 合计 row.
* :func:`example_tables` gives the same expectations for the committed workbooks written by
  ``examples/build_layout_examples.py``.

Page breaks (documented choices)
--------------------------------
* :func:`build_rows_merged` — the PDF had merged project cells running across a page; the
  converter left a ``第1页，共2页`` footer line and the repeated header row between the two
  parts. Rule: **a merged cell that crosses the break keeps its text on the page where it
  starts; after the break it is an empty merged block** (empty, not repeated). So the first
  row after the break has a blank 序号/单位名称/项目名称/amounts/年度绩效目标, and blank
  一级/二级 for the group that continues; the 单位名称 block after the break also covers the
  next project of the same unit, which therefore has no unit text on any of its rows (its unit
  is the one before the break).
* :func:`build_rows_blank_below` — one indicator row is cut by the page break: its 三级指标
  ``参训农民满意度`` reads ``参训农民满意`` on the first row (with its 一级/二级 labels) and
  ``度`` on the next row, which also holds both values (the converter put the vertically centred
  values on the second part). The converter dropped the page footer and no header is repeated,
  so the two parts are adjacent rows. The indicator's ``row`` is the first part's row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "LAYOUT_CASES",
    "ExpIndicator",
    "ExpProject",
    "ExpTable",
    "ExpUnit",
    "build_bad_form_empty_grid",
    "build_bad_rows_no_project",
    "build_export_bad",
    "build_export_rows",
    "build_forms_per_sheet",
    "build_forms_stacked",
    "build_forms_xls",
    "build_line_items",
    "build_rows_blank_below",
    "build_rows_merged",
    "build_rows_repeated",
    "build_two_tables_one_sheet",
    "build_vocabulary",
]

Layout = Literal["packed", "rows", "form"]


# --------------------------------------------------------------------------------------------
# expectations


@dataclass(frozen=True)
class ExpIndicator:
    level1: str | None
    level2: str | None
    name: str
    period_value: str | None
    annual_value: str | None
    row: int
    # budget-system exports only (separate 指标性质 / 计算符号 / 指标值 / 计量单位 cells)
    op: str | None = None
    value: float | None = None
    unit: str | None = None
    kind: Literal["quantitative", "qualitative"] | None = None


@dataclass(frozen=True)
class ExpProject:
    name: str
    row: int
    unit: str | None  # 资金使用单位 / 单位名称 / 实施单位; None when the table has none
    total: float | None
    fiscal: float | None
    special: float | None
    other: float | None
    sources: dict[str, float]
    goal: str | None
    indicators: list[ExpIndicator]
    # two-period forms: 中长期目标 and the 中期资金总额 column (keys total/fiscal/special/other)
    period_goal: str | None = None
    period_amounts: dict[str, float] = field(default_factory=dict)
    # other labelled cells of a form (项目属性, 项目期…), by label as written
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpUnit:
    """A unit subtotal row (packed tables with unit rows)."""

    name: str
    row: int
    total: float | None
    fiscal: float | None
    special: float | None
    other: float | None


@dataclass(frozen=True)
class ExpTable:
    sheet: str
    layout: Layout
    title: str | None
    department: str | None
    amount_unit: str | None
    projects: list[ExpProject]
    grand_total: float | None  # 总计 of the 合计 row; None when the table has no 合计 row
    grand_total_row: int | None = None
    money_errors: list[int] = field(default_factory=list)  # rows whose 总计 is wrong
    units: list[ExpUnit] = field(default_factory=list)
    # export_bad: row -> what is inconsistent (unknown-op, quantitative-text-value,
    # qualitative-with-op, quantitative-no-unit)
    inconsistent: dict[int, str] = field(default_factory=dict)
    # indicator rows that belong to no project (bad_rows_no_project)
    orphan_rows: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# canonical category names (our own table, after domain notes §1.2/§1.4; not perfsheet's code)

_L1 = {
    "产出指标": "产出指标",
    "产出": "产出指标",
    "预期产出指标": "产出指标",
    "效益指标": "效益指标",
    "效益": "效益指标",
    "效果指标": "效益指标",
    "满意度指标": "满意度指标",
    "满意度": "满意度指标",
    "成本指标": "成本指标",
}
_L2 = {
    "数量指标": "数量指标",
    "质量指标": "质量指标",
    "时效指标": "时效指标",
    "成本指标": "成本指标",  # under 产出: legacy code 14
    "经济效益指标": "经济效益指标",
    "经济效益": "经济效益指标",
    "社会效益指标": "社会效益指标",
    "社会效益": "社会效益指标",
    "生态效益指标": "生态效益指标",
    "生态效益": "生态效益指标",
    "可持续影响指标": "可持续影响指标",
    "服务对象满意度指标": "服务对象满意度指标",
    "服务对象满意度": "服务对象满意度指标",
    "社会公众或服务对象满意度指标": "服务对象满意度指标",
    "经济成本指标": "经济成本指标",
    "社会成本指标": "社会成本指标",
    "生态环境成本指标": "生态环境成本指标",
}
_CODE = re.compile(r"^\d+-")


def canon1(written: str) -> str:
    return _L1[_CODE.sub("", written.strip())]


def canon2(written: str) -> str:
    return _L2[_CODE.sub("", written.strip())]


# --------------------------------------------------------------------------------------------
# what departments write


@dataclass(frozen=True)
class I:  # noqa: E742 - an indicator as written in one row
    l1: str
    l2: str
    name: str
    annual: Any
    period: Any = None
    split: tuple[str, str] | None = None  # 三级指标 cut by a page break: (first row, next row)


@dataclass(frozen=True)
class Proj:
    name: str
    money: tuple[Any, ...]  # aligned with the table's money headers; None = blank cell
    goal: str | None
    inds: tuple[Any, ...]
    unit: str | None = None


def IP(l1: str, l2: str, name: str, period: Any, annual: Any, split=None) -> I:
    """An indicator with two values, in sheet order: 实施周期 (中期) then 年度."""
    return I(l1, l2, name, annual, period, split)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return float(value.replace(",", ""))
    return float(value)


def _money(headers: Sequence[str], roles: dict[str, str], values: Sequence[Any]) -> dict[str, Any]:
    """ExpProject money fields from the money headers, their roles and the written cells."""
    out: dict[str, Any] = {"total": None, "fiscal": None, "special": None, "other": None}
    sources: dict[str, float] = {}
    for header, value in zip(headers, values, strict=True):
        role = roles.get(header)
        number = _num(value)
        if role:
            out[role] = number
        elif number is not None:
            sources[header] = number
    out["sources"] = sources
    return out


# --------------------------------------------------------------------------------------------
# sheet writing

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


class _W:
    """Writes rows top to bottom into one worksheet; remembers the current row."""

    def __init__(self, ws: Worksheet, widths: Sequence[float] = ()) -> None:
        self.ws = ws
        self.r = 0
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width

    def put(self, row: int, col: int, value: Any, *, box: bool = True, center: bool = False):
        cell = self.ws.cell(row=row, column=col)
        if value is not None:
            cell.value = value
        cell.alignment = CENTER if center else WRAP
        if box:
            cell.border = BOX
        return cell

    def line(self, *values: Any, start: int = 1, box: bool = True, center: bool = False) -> int:
        """A row of cells from column ``start``; None leaves a cell empty."""
        self.r += 1
        for i, value in enumerate(values):
            if value is not None or box:
                self.put(self.r, start + i, value, box=box, center=center)
        return self.r

    def text(self, text: str, col: int = 1, *, span: int = 1, bold: bool = False) -> int:
        """A free text line (title, 单位：万元, 注：…, 第2页) outside the table grid."""
        self.r += 1
        cell = self.ws.cell(row=self.r, column=col, value=text)
        if bold:
            cell.font = Font(bold=True, size=16)
            cell.alignment = Alignment(horizontal="center", vertical="center")
        if span > 1:
            self.merge(self.r, col, self.r, col + span - 1)
        return self.r

    def blank(self, n: int = 1) -> None:
        self.r += n

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _new_book() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def _save(wb: openpyxl.Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# --------------------------------------------------------------------------------------------
# row lists (one row per indicator)

Mode = Literal["merged", "repeated", "first", "none"]


@dataclass
class _RowsSpec:
    """A row-list table: which column holds what, and how project/level cells are written."""

    header: list[str]
    money: list[str]  # money headers, in column order
    roles: dict[str, str]  # money header -> total/fiscal/special/other (others are sources)
    cols: dict[str, int]  # seq/unit/name/goal/l1/l2/l3/pv/av -> 1-based column
    project_mode: Mode
    level_mode: Mode
    amounts_as_text: bool = False
    # after (project index, indicator index): write these lines (a page break)
    breaks: dict[tuple[int, int], Callable[[_W], None]] = field(default_factory=dict)


def _fmt_amount(value: Any, as_text: bool) -> Any:
    if value is None or not as_text:
        return value
    return f"{value:,.2f}"


def _write_rows(w: _W, spec: _RowsSpec, projects: Sequence[Proj]) -> list[ExpProject]:
    """Write the indicator rows of ``projects`` below the current row; the expectations."""
    # 1. lay out: one record per sheet row (project, indicator, part)
    records: list[tuple[int, int, int, int]] = []  # (row, p, i, part)
    for p, proj in enumerate(projects):
        for i, ind in enumerate(proj.inds):
            for part in range(2 if ind.split else 1):
                records.append((w.line(*([None] * len(spec.header))), p, i, part))
            if (p, i) in spec.breaks:
                spec.breaks[(p, i)](w)

    # 2. keys per column kind, for merged/first/repeated cells
    def l1_key(p: int, i: int) -> tuple[Any, ...]:
        inds = projects[p].inds
        g = 0
        for k in range(1, i + 1):
            if inds[k].l1 != inds[k - 1].l1:
                g += 1
        return (p, g)

    def l2_key(p: int, i: int) -> tuple[Any, ...]:
        inds = projects[p].inds
        g = 0
        for k in range(1, i + 1):
            if inds[k].l1 != inds[k - 1].l1 or inds[k].l2 != inds[k - 1].l2:
                g += 1
        return (p, g)

    def unit_key(p: int, i: int) -> tuple[Any, ...]:
        g = 0
        for k in range(1, p + 1):
            if projects[k].unit != projects[k - 1].unit:
                g += 1
        return (g,)

    def write_keyed(col: int, mode: Mode, key: Callable[[int, int], Any], value: Callable):
        if mode == "none":
            return
        runs: list[tuple[Any, int, int, int, int]] = []  # key, first row, last row, p, i
        for row, p, i, _part in records:
            k = key(p, i)
            if runs and runs[-1][0] == k and runs[-1][2] == row - 1:
                runs[-1] = (k, runs[-1][1], row, runs[-1][3], runs[-1][4])
            else:
                runs.append((k, row, row, p, i))
        seen: set[Any] = set()
        for k, first, last, p, i in runs:
            if mode == "repeated":
                for r in range(first, last + 1):
                    w.put(r, col, value(p, i))
                continue
            if k not in seen:
                w.put(first, col, value(p, i))
            seen.add(k)
            if mode == "merged":
                w.merge(first, col, last, col)

    c = spec.cols
    pm, lm = spec.project_mode, spec.level_mode
    by_project = lambda p, i: (p,)  # noqa: E731
    if "seq" in c:
        write_keyed(c["seq"], pm, by_project, lambda p, i: p + 1)
    if "unit" in c:
        write_keyed(c["unit"], pm, unit_key, lambda p, i: projects[p].unit)
    write_keyed(c["name"], pm, by_project, lambda p, i: projects[p].name)
    for j, header in enumerate(spec.money):
        col = spec.header.index(header) + 1
        write_keyed(
            col,
            pm,
            by_project,
            lambda p, i, j=j: _fmt_amount(projects[p].money[j], spec.amounts_as_text),
        )
    if "goal" in c:
        write_keyed(c["goal"], pm, by_project, lambda p, i: projects[p].goal)
    write_keyed(c["l1"], lm, l1_key, lambda p, i: projects[p].inds[i].l1)
    write_keyed(c["l2"], lm, l2_key, lambda p, i: projects[p].inds[i].l2)
    for row, p, i, part in records:
        ind = projects[p].inds[i]
        if ind.split:
            w.put(row, c["l3"], ind.split[part])
            if part == 0:
                continue
        else:
            w.put(row, c["l3"], ind.name)
        if "pv" in c:
            w.put(row, c["pv"], ind.period)
        w.put(row, c["av"], ind.annual)

    # 3. expectations
    out = []
    for p, proj in enumerate(projects):
        rows = [(row, i) for row, pp, i, part in records if pp == p and part == 0]
        inds = [
            ExpIndicator(
                canon1(ind.l1),
                canon2(ind.l2),
                ind.name,
                _text(ind.period) if "pv" in c else None,
                _text(ind.annual),
                row,
            )
            for (row, _), ind in zip(rows, proj.inds, strict=True)
        ]
        out.append(
            ExpProject(
                name=proj.name,
                row=rows[0][0],
                unit=proj.unit,
                **_money(spec.money, spec.roles, proj.money),
                goal=proj.goal,
                indicators=inds,
            )
        )
    return out


def _header_line(w: _W, header: Sequence[str]) -> int:
    return w.line(*header, center=True)


def _total_line(
    w: _W, spec: _RowsSpec, label_col: int, values: Sequence[Any], label: str = "合计"
) -> int:
    row = w.line(*([None] * len(spec.header)))
    w.put(row, label_col, label, center=True)
    for header, value in zip(spec.money, values, strict=True):
        w.put(row, spec.header.index(header) + 1, _fmt_amount(value, spec.amounts_as_text))
    return row


STD_ROLES = {"总计": "total", "财政拨款": "fiscal", "财政专户拨款": "special", "其他资金": "other"}


# ---- case 1 ---------------------------------------------------------------------------------

ROWS_MERGED_HEADER = [
    "序号",
    "单位名称",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "年度绩效目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值",
]
_UNIT_1A = "青禾县教育局（本级）"
_UNIT_1B = "青禾县第一中学"
ROWS_MERGED_PROJECTS = (
    Proj(
        "学生资助补助经费",
        (356.40, 356.40, None, None),
        "落实国家学生资助政策，按时足额发放各学段家庭经济困难学生资助资金，"
        "保障困难学生顺利完成学业。",
        (
            I("产出指标", "数量指标", "资助家庭经济困难学生人数", "≥1850人"),
            I("产出指标", "数量指标", "营养改善计划覆盖学校数", "32所"),
            I("产出指标", "质量指标", "资助对象认定准确率", "100%"),
            I("产出指标", "时效指标", "资助资金发放时间", "每学期开学后2个月内"),
            I("效益指标", "社会效益指标", "家庭经济困难学生因贫失学辍学人数", "0人"),
            I("满意度指标", "服务对象满意度指标", "受助学生及家长满意度", "≥95%"),
        ),
        _UNIT_1A,
    ),
    Proj(
        "中小学教师培训经费",
        (128.00, 98.00, 30.00, None),
        "开展中小学教师全员培训和骨干教师专项培训，提升教师教育教学能力。",
        (
            I("产出指标", "数量指标", "参训教师人次", "≥1200人次"),
            I("产出指标", "质量指标", "培训考核合格率", "≥95%"),
            I("产出指标", "时效指标", "培训完成时间", "2025年11月30日前"),
            I("效益指标", "社会效益指标", "教师教育教学能力", "有所提升"),
            I("满意度指标", "服务对象满意度指标", "参训教师满意度", "≥90%"),
        ),
        _UNIT_1A,
    ),
    Proj(
        "教学楼维修改造工程",
        (860.00, 800.00, None, 60.00),
        "完成教学楼屋面防水、外墙修缮及消防设施改造，消除校舍安全隐患，改善办学条件。",
        (
            I("产出指标", "数量指标", "屋面防水维修面积", "≥4200平方米"),
            I("产出指标", "数量指标", "外墙修缮面积", "≥6800平方米"),
            I("产出指标", "质量指标", "工程验收合格率", "100%"),
            I("产出指标", "时效指标", "工程完工时间", "2025年8月20日前"),
            I("效益指标", "社会效益指标", "校舍安全隐患消除率", "100%"),
            # ---- page break here ----
            I("效益指标", "社会效益指标", "受益学生人数", "≥2600人"),
            I("效益指标", "可持续影响指标", "校舍使用年限延长", "≥15年"),
            I("满意度指标", "服务对象满意度指标", "师生满意度", "≥90%"),
        ),
        _UNIT_1B,
    ),
    Proj(
        "智慧校园设备购置",
        (245.50, 200.00, 45.50, None),
        "购置交互式智能黑板及录播设备，推进信息技术与教育教学深度融合。",
        (
            I("产出指标", "数量指标", "购置交互式智能黑板数量", "48台"),
            I("产出指标", "数量指标", "建设录播教室数量", "2间"),
            I("产出指标", "质量指标", "设备验收合格率", "100%"),
            I("产出指标", "成本指标", "智能黑板采购单价", "≤1.8万元/台"),
            I("效益指标", "社会效益指标", "信息化教学课时占比", "≥60%"),
            I("满意度指标", "服务对象满意度指标", "教师使用满意度", "≥90%"),
        ),
        _UNIT_1B,
    ),
)
ROWS_MERGED_TOTAL = (1589.90, 1454.40, 75.50, 60.00)


def build_rows_merged(dir: Path) -> tuple[Path, list[ExpTable]]:
    """L-rows, merged: 青禾县教育局, 2 units, 4 projects, a page break inside 教学楼维修改造工程.

    Project cells (序号, 单位名称, 项目名称, amounts, 年度绩效目标) merged vertically over the
    project's indicator rows, 单位名称 over all rows of the unit, 一级/二级 over their groups.
    After the 5th indicator of 教学楼维修改造工程: a ``第1页，共2页`` footer line (in column F)
    and the repeated header; merged cells crossing the break are empty blocks after it (module doc).
    """
    wb = _new_book()
    ws = wb.create_sheet("项目支出绩效目标表")
    w = _W(ws, [6, 18, 22, 10, 10, 10, 10, 36, 12, 16, 26, 18])
    header = ROWS_MERGED_HEADER

    def page_break(w: _W) -> None:
        w.text("第1页，共2页", col=6)
        _header_line(w, header)

    spec = _RowsSpec(
        header=header,
        money=["总计", "财政拨款", "财政专户拨款", "其他资金"],
        roles=STD_ROLES,
        cols={"seq": 1, "unit": 2, "name": 3, "goal": 8, "l1": 9, "l2": 10, "l3": 11, "av": 12},
        project_mode="merged",
        level_mode="merged",
        breaks={(2, 4): page_break},
    )
    title = "2025年青禾县教育局项目支出绩效目标表"
    w.text(title, span=12, bold=True)
    w.text("部门名称：青禾县教育局", span=4)
    ws.cell(row=w.r, column=12, value="单位：万元")
    _header_line(w, header)
    total_row = _total_line(w, spec, 1, ROWS_MERGED_TOTAL)
    w.merge(total_row, 1, total_row, 3)
    projects = _write_rows(w, spec, ROWS_MERGED_PROJECTS)
    w.text("注：本表金额单位为万元，绩效指标按项目逐条填列。", span=8)
    w.blank()
    w.text("第2页，共2页", col=6)
    table = ExpTable(
        sheet=ws.title,
        layout="rows",
        title=title,
        department="青禾县教育局",
        amount_unit="万元",
        projects=projects,
        grand_total=ROWS_MERGED_TOTAL[0],
        grand_total_row=total_row,
    )
    return _save(wb, dir / "青禾县教育局_逐行_合并单元格.xlsx"), [table]


# ---- case 2 ---------------------------------------------------------------------------------

ROWS_REPEATED_HEADER = [
    "单位名称",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "年度绩效目标",
    "一级指标",
    "二级指标",
    "指标名称",
    "实施周期指标值",
    "年度指标值",
]
_UNIT_2A = "云溪县卫生健康委员会（本级）"
_UNIT_2B = "云溪县疾病预防控制中心"
_SAT_2 = "社会公众或服务对象满意度指标"
ROWS_REPEATED_PROJECTS = (
    Proj(
        "基本公共卫生服务补助",
        (4860000.00, 4860000.00, None, None),
        "为城乡居民免费提供基本公共卫生服务，提高居民健康素养水平。",
        (
            IP("产出指标", "数量指标", "居民电子健康档案建档人数", "≥19.5万人", "≥19.5万人"),
            IP("产出指标", "数量指标", "65岁及以上老年人健康管理人数", "≥2.1万人", "≥2.1万人"),
            IP("产出指标", "质量指标", "高血压患者规范管理率", "≥65%", "≥62%"),
            IP("产出指标", "时效指标", "补助资金拨付时间", "按季度拨付", "按季度拨付"),
            IP("效益指标", "社会效益", "居民健康素养水平", "≥28%", "≥26%"),
            IP("满意度指标", _SAT_2, "居民对基本公共卫生服务满意度", "≥85%", "≥85%"),
        ),
        _UNIT_2A,
    ),
    Proj(
        "家庭医生签约服务经费",
        (1250000.00, 1000000.00, None, 250000.00),
        "推进家庭医生签约服务，重点人群签约服务覆盖率稳步提高。",
        (
            IP("产出指标", "数量指标", "重点人群家庭医生签约人数", "≥4.6万人", "≥4.6万人"),
            IP("产出指标", "质量指标", "签约居民续约率", "≥70%", "≥70%"),
            IP("效益指标", "经济效益", "签约居民门诊次均费用", "不高于上年", "不高于上年"),
            IP("满意度指标", _SAT_2, "签约居民满意度", "≥90%", "≥90%"),
        ),
        _UNIT_2A,
    ),
    Proj(
        "重大传染病防控经费",
        (2380000.00, 1980000.00, 400000.00, None),
        "做好免疫规划和重点传染病监测处置，降低传染病发病水平。",
        (
            IP("产出指标", "数量指标", "免疫规划疫苗接种剂次", "≥3.6万剂次", "≥1.2万剂次"),
            IP("产出指标", "质量指标", "适龄儿童免疫规划疫苗接种率", "≥90%", "≥90%"),
            IP("产出指标", "时效指标", "传染病疫情报告及时率", "100%", "100%"),
            IP(
                "效益指标",
                "社会效益",
                "甲乙类传染病报告发病率",
                "低于全省平均水平",
                "低于全省平均水平",
            ),
            IP("满意度指标", _SAT_2, "接种对象家长满意度", "≥90%", "≥90%"),
        ),
        _UNIT_2B,
    ),
    Proj(
        "慢性病及地方病监测",
        (560000.00, 560000.00, None, None),
        "完成慢性病及碘缺乏病等地方病监测任务，掌握重点人群健康状况。",
        (
            IP("产出指标", "数量指标", "碘缺乏病监测户数", "≥600户", "≥600户"),
            IP("产出指标", "时效指标", "监测报告报送时间", "每季度末月25日前", "每季度末月25日前"),
            IP("效益指标", "社会效益", "慢性病危险因素知晓率", "有所提升", "有所提升"),
            IP("满意度指标", _SAT_2, "监测对象满意度", "≥85%", "≥85%"),
        ),
        _UNIT_2B,
    ),
)
ROWS_REPEATED_TOTAL = (9050000.00, 8400000.00, 400000.00, 250000.00)


def build_rows_repeated(dir: Path) -> tuple[Path, list[ExpTable]]:
    """L-rows, repeated: 云溪县卫生健康委员会, 金额单位：元, a budget-system style export.

    Every project cell (单位名称, 项目名称, amounts, 年度绩效目标) and every 一级/二级 label is
    repeated on each indicator row; ``指标名称`` for 三级指标; two value columns
    ``实施周期指标值 | 年度指标值``; 合计 at the bottom; amounts are numbers formatted
    ``#,##0.00``. Short level names (``社会效益``, ``经济效益``) and
    ``社会公众或服务对象满意度指标``.
    """
    wb = _new_book()
    ws = wb.create_sheet("Sheet1")
    w = _W(ws, [24, 22, 14, 14, 14, 14, 34, 12, 16, 28, 16, 16])
    header = ROWS_REPEATED_HEADER
    spec = _RowsSpec(
        header=header,
        money=["总计", "财政拨款", "财政专户拨款", "其他资金"],
        roles=STD_ROLES,
        cols={"unit": 1, "name": 2, "goal": 7, "l1": 8, "l2": 9, "l3": 10, "pv": 11, "av": 12},
        project_mode="repeated",
        level_mode="repeated",
    )
    title = "2025年云溪县卫生健康委员会项目支出绩效目标表"
    w.text(title, span=12, bold=True)
    w.text("预算单位：云溪县卫生健康委员会", span=3)
    ws.cell(row=w.r, column=12, value="金额单位：元")
    _header_line(w, header)
    projects = _write_rows(w, spec, ROWS_REPEATED_PROJECTS)
    total_row = _total_line(w, spec, 1, ROWS_REPEATED_TOTAL)
    w.merge(total_row, 1, total_row, 2)
    for row in ws.iter_rows(min_row=4, min_col=3, max_col=6):
        for cell in row:
            cell.number_format = "#,##0.00"
    w.text("注：本表根据预算管理一体化系统导出数据整理。", span=6)
    table = ExpTable(
        sheet=ws.title,
        layout="rows",
        title=title,
        department="云溪县卫生健康委员会",
        amount_unit="元",
        projects=projects,
        grand_total=ROWS_REPEATED_TOTAL[0],
        grand_total_row=total_row,
    )
    return _save(wb, dir / "云溪县卫生健康委员会_逐行_重复填列.xlsx"), [table]


# ---- case 3 ---------------------------------------------------------------------------------

ROWS_BLANK_HEADER = [
    "序号",
    "项目名称",
    "资金总额",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "绩效目标",
    "一级指标",
    "二级指标",
    "指标内容",
    "中期指标值",
    "年度指标值",
]
ROWS_BLANK_ROLES = {
    "资金总额": "total",
    "财政拨款": "fiscal",
    "财政专户拨款": "special",
    "其他资金": "other",
}
_SAT_3 = "服务对象满意度指标"
ROWS_BLANK_PROJECTS = (
    Proj(
        "高标准农田建设",
        (1280.00, 1150.00, None, 130.00),
        "2025-2027年新建高标准农田2.5万亩，其中2025年建成0.8万亩，"
        "改善项目区农业生产条件，提高粮食综合生产能力。",
        (
            IP("产出指标", "数量指标", "新建高标准农田面积", "≥2.5万亩", "≥0.8万亩"),
            IP("产出指标", "质量指标", "工程验收合格率", "100%", "100%"),
            IP("产出指标", "时效指标", "年度建设任务完成时间", "2027年底前", "2025年12月31日前"),
            IP("效益指标", "经济效益指标", "项目区粮食亩均增产", "≥50公斤", "≥50公斤"),
            IP("效益指标", "生态效益指标", "农田灌溉水有效利用系数", "≥0.6", "≥0.58"),
            IP("满意度指标", _SAT_3, "项目区农户满意度", "≥90%", "≥90%"),
        ),
    ),
    Proj(
        "高素质农民培育",
        (96.00, 96.00, None, None),
        "培育高素质农民，提升农民生产经营能力和专业技能。",
        (
            IP("产出指标", "数量指标", "培训高素质农民人数", "≥1500人", "≥500人"),
            IP("产出指标", "质量指标", "培训结业率", "≥95%", "≥95%"),
            IP("效益指标", "社会效益指标", "参训农民持证上岗比例", "≥60%", "≥60%"),
            IP(
                "满意度指标",
                _SAT_3,
                "参训农民满意度",
                "≥90%",
                "≥90%",
                split=("参训农民满意", "度"),
            ),
        ),
    ),
    Proj(
        "重大动物疫病防控",
        (342.60, 302.60, 40.00, None),
        "做好重大动物疫病强制免疫和疫情处置，确保不发生区域性重大动物疫情。",
        (
            IP("产出指标", "数量指标", "强制免疫畜禽数量", "≥120万头（只）", "≥40万头（只）"),
            IP("产出指标", "质量指标", "免疫抗体合格率", "≥70%", "≥70%"),
            IP("产出指标", "时效指标", "疫情处置响应时间", "≤24小时", "≤24小时"),
            IP(
                "效益指标",
                "经济效益指标",
                "因重大动物疫病造成的直接经济损失",
                "明显降低",
                "明显降低",
            ),
            IP("效益指标", "社会效益指标", "区域性重大动物疫情发生次数", "0次", "0次"),
            IP("满意度指标", _SAT_3, "养殖场户满意度", "≥85%", "≥85%"),
        ),
    ),
)
ROWS_BLANK_TOTAL = (1718.60, 1548.60, 40.00, 130.00)


def build_rows_blank_below(dir: Path) -> tuple[Path, list[ExpTable]]:
    """L-rows, first row only: 南湖区农业农村局, converted from a PDF.

    Project cells (序号, 项目名称, amounts, 绩效目标) only on the project's first row and blank
    below; 一级/二级 only on their group's first row; ``指标内容`` for 三级指标;
    ``中期指标值 | 年度指标值``; amounts are text with thousands separators (``"1,280.00"``);
    the 三级指标 ``参训农民满意度`` is cut by a page break into two adjacent rows (module doc).
    """
    wb = _new_book()
    ws = wb.create_sheet("Table 1")
    w = _W(ws, [6, 22, 12, 12, 12, 12, 34, 12, 16, 28, 16, 16])
    header = ROWS_BLANK_HEADER
    spec = _RowsSpec(
        header=header,
        money=["资金总额", "财政拨款", "财政专户拨款", "其他资金"],
        roles=ROWS_BLANK_ROLES,
        cols={"seq": 1, "name": 2, "goal": 7, "l1": 8, "l2": 9, "l3": 10, "pv": 11, "av": 12},
        project_mode="first",
        level_mode="first",
        amounts_as_text=True,
    )
    title = "2025年南湖区农业农村局项目支出绩效目标表"
    w.text(title, col=4, bold=True)
    w.blank()
    w.text("部门名称：南湖区农业农村局")
    ws.cell(row=w.r, column=11, value="单位：万元")
    _header_line(w, header)
    total_row = _total_line(w, spec, 2, ROWS_BLANK_TOTAL)
    projects = _write_rows(w, spec, ROWS_BLANK_PROJECTS)
    w.text("注：中期指标值为2025-2027年实施周期指标值。", span=7)
    table = ExpTable(
        sheet=ws.title,
        layout="rows",
        title=title,
        department="南湖区农业农村局",
        amount_unit="万元",
        projects=projects,
        grand_total=ROWS_BLANK_TOTAL[0],
        grand_total_row=total_row,
    )
    return _save(wb, dir / "南湖区农业农村局_逐行_首行填列.xlsx"), [table]


# --------------------------------------------------------------------------------------------
# budget-system exports (指标性质 / 计算符号 / 指标值 / 计量单位 in separate cells)

EXPORT_HEADER = [
    "单位名称",
    "项目名称",
    "项目金额",
    "一般公共预算拨款",
    "政府性基金预算拨款",
    "单位自有资金",
    "绩效目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "计算符号",
    "指标值",
    "计量单位",
    "分值",
]
EXPORT_MONEY = ["项目金额", "一般公共预算拨款", "政府性基金预算拨款", "单位自有资金"]
EXPORT_ROLES = {"项目金额": "total", "一般公共预算拨款": "fiscal"}

#: 计算符号 as exports write it -> canonical operator
EXPORT_OPS = {
    "≥": "≥",
    "≤": "≤",
    "=": "=",
    "＝": "=",
    ">": ">",
    "＞": ">",
    "<": "<",
    "＜": "<",
    "大于等于": "≥",
    "不低于": "≥",
    "不少于": "≥",
    "小于等于": "≤",
    "不高于": "≤",
}


@dataclass(frozen=True)
class E:
    """An export row's indicator: 指标性质, 计算符号, 指标值, 计量单位, 分值 as written."""

    l1: str
    l2: str
    name: str
    kind: str | None  # 定量 / 定性
    sym: str | None
    val: Any
    unit: str | None
    score: float | None
    bad: str | None = None  # export_bad: what is inconsistent in this row


def _export_expectation(ind: E, row: int) -> ExpIndicator:
    op = EXPORT_OPS.get(ind.sym) if ind.sym else None
    written_op = op if op else (ind.sym or "")
    value: float | None
    if isinstance(ind.val, int | float):
        value = float(ind.val)
    else:
        try:
            value = float(str(ind.val))
        except ValueError:
            value = None
    kind = {"定量": "quantitative", "定性": "qualitative"}.get(ind.kind or "")
    return ExpIndicator(
        canon1(ind.l1),
        canon2(ind.l2),
        ind.name,
        None,
        f"{written_op}{_text(ind.val)}{ind.unit or ''}",
        row,
        op=op,
        value=value,
        unit=ind.unit,
        kind=kind,  # type: ignore[arg-type]
    )


def _write_export(w: _W, projects: Sequence[Proj]) -> tuple[list[ExpProject], dict[int, str]]:
    out: list[ExpProject] = []
    bad: dict[int, str] = {}
    for proj in projects:
        inds = []
        first = None
        for ind in proj.inds:
            row = w.line(
                proj.unit,
                proj.name,
                *proj.money,
                proj.goal,
                ind.l1,
                ind.l2,
                ind.name,
                ind.kind,
                ind.sym,
                ind.val,
                ind.unit,
                ind.score,
            )
            first = first or row
            inds.append(_export_expectation(ind, row))
            if ind.bad:
                bad[row] = ind.bad
        assert first is not None
        out.append(
            ExpProject(
                name=proj.name,
                row=first,
                unit=proj.unit,
                **_money(EXPORT_MONEY, EXPORT_ROLES, proj.money),
                goal=proj.goal,
                indicators=inds,
            )
        )
    return out, bad


def _export_sheet(wb: openpyxl.Workbook, title: str, department_line: str) -> _W:
    ws = wb.create_sheet("项目绩效目标")
    w = _W(ws, [26, 22, 12, 14, 14, 12, 34, 12, 16, 28, 8, 8, 10, 10, 6])
    w.text(title, span=15, bold=True)
    w.text(department_line, span=4)
    ws.cell(row=w.r, column=15, value="单位：万元")
    _header_line(w, EXPORT_HEADER)
    ws.freeze_panes = "C4"
    return w


_OUT, _BEN, _SAT, _COST = "产出指标", "效益指标", "满意度指标", "成本指标"
_SAT2, _SOC = "服务对象满意度指标", "社会效益指标"
_QN, _QL = "定量", "定性"  # 指标性质
_U4A = "临江市市场监督管理局（本级）"
_U4B = "临江市食品药品检验检测中心"
EXPORT_PROJECTS = (
    Proj(
        "食品安全抽检监测",
        (185.00, 185.00, 0, 0),
        "完成年度食品安全监督抽检和风险监测任务，及时处置不合格食品，守住不发生区域性"
        "食品安全事件的底线。",
        (
            E(_OUT, "数量指标", "食品安全监督抽检批次", _QN, "≥", 2400, "批次", 10),
            E(_OUT, "数量指标", "抽检覆盖食品大类", _QN, "=", 34, "类", 10),
            E(_OUT, "质量指标", "抽检样品检验报告合格率", _QN, "＝", "100", "%", 10),
            E(_OUT, "时效指标", "不合格食品核查处置时限", _QN, "小于等于", 30, "天", 10),
            E(_COST, "经济成本指标", "单批次抽检平均成本", _QN, "≤", 0.077, "万元", 10),
            E(_BEN, _SOC, "食品安全评价性抽检合格率", _QN, "大于等于", 98, "%", 20),
            E(_BEN, _SOC, "食品安全风险隐患", _QL, None, "有效防控", None, 10),
            E(_SAT, _SAT2, "公众食品安全满意度", _QN, "不低于", 85, "%", 10),
        ),
        _U4A,
    ),
    Proj(
        "特种设备安全监察",
        (76.50, 76.50, 0, 0),
        "开展特种设备安全监督检查，督促使用单位落实安全主体责任，防范特种设备事故。",
        (
            E(_OUT, "数量指标", "特种设备监督检查家次", _QN, "≥", 320, "家次", 15),
            E(_OUT, "质量指标", "重大隐患整改率", _QN, "=", 100, "%", 15),
            E(_OUT, "时效指标", "隐患整改复查时限", _QN, "≤", 15, "个工作日", 10),
            E(_BEN, _SOC, "特种设备事故发生起数", _QN, "<", 1, "起", 20),
            E(_BEN, _SOC, "使用单位安全主体责任落实", _QL, None, "进一步压实", None, 10),
            E(_SAT, _SAT2, "使用单位满意度", _QN, ">", 85, "%", 10),
        ),
        _U4A,
    ),
    Proj(
        "检验检测能力建设",
        (310.00, 180.00, 50.00, 80.00),
        "购置食品及药品检验检测设备，新增检测项目参数，提升检验检测能力。",
        (
            E(_COST, "经济成本指标", "设备购置成本", _QN, "小于等于", 310, "万元", 10),
            E(_OUT, "数量指标", "新增检测设备", _QN, "≥", 12, "台（套）", 10),
            E(_OUT, "数量指标", "新增检测项目参数", _QN, "大于等于", 60, "项", 10),
            E(_OUT, "质量指标", "设备验收合格率", _QN, "=", 100, "%", 10),
            E(_OUT, "时效指标", "设备采购完成时间", _QL, None, "2025年9月30日前", None, 10),
            E(_BEN, _SOC, "检验检测能力", _QL, None, "显著提升", None, 20),
            E(_SAT, _SAT2, "委托检验单位满意度", _QN, "≥", 90, "%", 10),
        ),
        _U4B,
    ),
)


def build_export_rows(dir: Path) -> tuple[Path, list[ExpTable]]:
    """Budget-system export: 临江市市场监督管理局, one row per indicator, everything repeated.

    Columns ``单位名称 | 项目名称 | 项目金额 | 一般公共预算拨款 | 政府性基金预算拨款 |
    单位自有资金 | 绩效目标 | 一级指标 | 二级指标 | 三级指标 | 指标性质 | 计算符号 | 指标值 |
    计量单位 | 分值``; 0 written in empty money cells; 101号 成本指标 rows; 计算符号 as symbols
    (half- and full-width ``=``/``＝``) and words (大于等于, 不低于, 小于等于); 指标值 as numbers
    or numeric text; 定性 rows with blank symbol and unit. No 合计 row. Expected
    ``annual_value``: module doc.
    """
    wb = _new_book()
    title = "2025年临江市市场监督管理局项目支出绩效目标表"
    w = _export_sheet(wb, title, "部门名称：临江市市场监督管理局")
    projects, bad = _write_export(w, EXPORT_PROJECTS)
    assert not bad
    table = ExpTable(
        sheet=w.ws.title,
        layout="rows",
        title=title,
        department="临江市市场监督管理局",
        amount_unit="万元",
        projects=projects,
        grand_total=None,
    )
    return _save(wb, dir / "临江市市场监督管理局_系统导出.xlsx"), [table]


_U5 = "柳河县人力资源和社会保障局"
EXPORT_BAD_PROJECTS = (
    Proj(
        "职业技能提升行动补贴",
        (450.00, 450.00, 0, 0),
        "开展补贴性职业技能培训，提高劳动者就业创业能力。",
        (
            E(
                _OUT,
                "数量指标",
                "补贴性职业技能培训人次",
                _QN,
                "约",
                2000,
                "人次",
                15,
                bad="unknown-op",
            ),
            E(_OUT, "数量指标", "取得职业资格证书人数", _QN, "≥", 1200, "人", 15),
            E(_OUT, "质量指标", "培训合格率", _QN, "≥", 90, None, 10, bad="quantitative-no-unit"),
            E(_OUT, "时效指标", "补贴资金发放时限", _QN, "≤", 30, "天", 10),
            E(
                _BEN,
                _SOC,
                "参训人员就业能力",
                _QN,
                "≥",
                "显著提升",
                None,
                20,
                bad="quantitative-text-value",
            ),
            E(_SAT, _SAT2, "参训人员满意度", _QN, "≥", 90, "%", 10),
        ),
        _U5,
    ),
    Proj(
        "就业见习补贴",
        (120.00, 100.00, 0, 20.00),
        "组织高校毕业生等青年参加就业见习，提升就业能力。",
        (
            E(_OUT, "数量指标", "就业见习岗位数", _QN, "??", 300, "个", 15, bad="unknown-op"),
            E(
                _OUT,
                "质量指标",
                "见习期满留用率",
                _QL,
                "≥",
                "较上年提高",
                None,
                15,
                bad="qualitative-with-op",
            ),
            E(_OUT, "时效指标", "补贴申领审核时限", _QN, "≤", 20, "个工作日", 10),
            E(_BEN, _SOC, "见习人员就业率", _QN, "≥", 85, "%", 20),
            E(_SAT, _SAT2, "见习单位满意度", _QL, None, "满意", None, 10),
        ),
        _U5,
    ),
)


def build_export_bad(dir: Path) -> tuple[Path, list[ExpTable]]:
    """A system export with inconsistent indicator rows: 柳河县人力资源和社会保障局.

    ``ExpTable.inconsistent`` lists them: 计算符号 ``约`` and ``??`` (unknown-op), 定量 with a
    text 指标值 (quantitative-text-value), 定性 with a symbol (qualitative-with-op), 定量 without
    a 计量单位 (quantitative-no-unit). The other rows are consistent; amounts add up.
    """
    wb = _new_book()
    title = "2025年柳河县人力资源和社会保障局项目支出绩效目标表"
    w = _export_sheet(wb, title, "单位名称：柳河县人力资源和社会保障局")
    projects, bad = _write_export(w, EXPORT_BAD_PROJECTS)
    table = ExpTable(
        sheet=w.ws.title,
        layout="rows",
        title=title,
        department="柳河县人力资源和社会保障局",
        amount_unit="万元",
        projects=projects,
        grand_total=None,
        inconsistent=bad,
    )
    return _save(wb, dir / "柳河县人力资源和社会保障局_系统导出_有误.xlsx"), [table]


# --------------------------------------------------------------------------------------------
# single-project forms (项目支出绩效目标表 / 申报表)

FORM_MONEY_ROLES = {
    "年度资金总额": "total",
    "资金总额": "total",
    "其中：财政拨款": "fiscal",
    "财政专户管理资金": "special",
    "其他资金": "other",
}


@dataclass(frozen=True)
class Form:
    title: str
    name: str
    department: str  # 主管部门及代码, as written
    unit: str  # 实施单位
    money: tuple[tuple[Any, ...], ...]  # (label, annual) or (label, mid-term, annual)
    goal: str
    inds: tuple[I, ...]  # I(l1, l2, "", "") = a template placeholder row (no indicator)
    extra: tuple[tuple[str, str, str, str], ...] = ()  # label, value, label, value
    period_goal: str | None = None  # two-period form: 中长期目标
    note: str | None = None


def _write_form(w: _W, f: Form) -> ExpTable:
    """One form in columns A–F below the current row; its expectation."""
    two = f.period_goal is not None
    title_row = w.text(f.title, span=6, bold=True)
    w.ws.row_dimensions[title_row].height = 28
    name_row = w.line("项目名称", f.name, None, None, None, None)
    w.merge(name_row, 2, name_row, 6)
    r = w.line("主管部门及代码", f.department, None, "实施单位", f.unit, None)
    w.merge(r, 2, r, 3)
    w.merge(r, 5, r, 6)
    extra: dict[str, str] = {}
    for a, b, c, d in f.extra:
        r = w.line(a, b, None, c, d, None)
        w.merge(r, 2, r, 3)
        w.merge(r, 5, r, 6)
        extra[a], extra[c] = b, d
    # money block
    first = w.r + 1
    if two:
        r = w.line(
            "项目资金（万元）", None, None, "中期资金总额", "年度资金总额", None, center=True
        )
        w.merge(r, 2, r, 3)
        w.merge(r, 5, r, 6)
    amounts: dict[str, Any] = {"total": None, "fiscal": None, "special": None, "other": None}
    period: dict[str, float] = {}
    sources: dict[str, float] = {}
    for label, *values in f.money:
        if two:
            r = w.line(None, label, None, values[0], values[1], None)
            w.merge(r, 5, r, 6)
        else:
            r = w.line(None, label, None, values[0], None, None)
            w.merge(r, 4, r, 6)
        w.merge(r, 2, r, 3)
        role = FORM_MONEY_ROLES.get(label)
        if role:
            amounts[role] = _num(values[-1])
            if two and values[0] is not None:
                period[role] = float(values[0])
        elif values[-1] is not None:
            sources[label] = float(values[-1])
    w.put(first, 1, "项目资金（万元）", center=True)
    w.merge(first, 1, w.r, 1)
    # goal
    if two:
        r = w.line("总体目标", "中长期目标", None, None, "年度目标", None, center=True)
        w.merge(r, 2, r, 4)
        w.merge(r, 5, r, 6)
        r2 = w.line(None, f.period_goal, None, None, f.goal, None)
        w.merge(r2, 2, r2, 4)
        w.merge(r2, 5, r2, 6)
        w.merge(r, 1, r2, 1)
        w.ws.row_dimensions[r2].height = 60
    else:
        r = w.line("年度绩效目标", f.goal, None, None, None, None)
        w.merge(r, 2, r, 6)
        w.ws.row_dimensions[r].height = 48
    # indicator grid
    grid = w.r + 1
    if two:
        w.line(
            "绩效指标", "一级指标", "二级指标", "三级指标", "中期指标值", "年度指标值", center=True
        )
    else:
        r = w.line("绩效指标", "一级指标", "二级指标", "三级指标", None, "指标值", center=True)
        w.merge(r, 4, r, 5)
    inds: list[ExpIndicator] = []
    l1_start = l2_start = None
    prev: I | None = None
    for ind in f.inds:
        if two:
            r = w.line(None, None, None, ind.name or None, ind.period, ind.annual or None)
        else:
            r = w.line(None, None, None, ind.name or None, None, ind.annual or None)
            w.merge(r, 4, r, 5)
        if prev is None or ind.l1 != prev.l1:
            if l1_start is not None:
                w.merge(l1_start, 2, r - 1, 2)
            l1_start = r
            w.put(r, 2, ind.l1, center=True)
        if prev is None or ind.l1 != prev.l1 or ind.l2 != prev.l2:
            if l2_start is not None:
                w.merge(l2_start, 3, r - 1, 3)
            l2_start = r
            w.put(r, 3, ind.l2, center=True)
        prev = ind
        if ind.name:
            inds.append(
                ExpIndicator(
                    canon1(ind.l1),
                    canon2(ind.l2),
                    ind.name,
                    _text(ind.period) if two else None,
                    _text(ind.annual),
                    r,
                )
            )
    if l1_start is not None:
        w.merge(l1_start, 2, w.r, 2)
        w.merge(l2_start, 3, w.r, 3)  # type: ignore[arg-type]
    w.put(grid, 1, "绩效指标", center=True)
    w.merge(grid, 1, w.r, 1)
    if f.note:
        w.text(f.note, span=6)
    project = ExpProject(
        name=f.name,
        row=name_row,
        unit=f.unit,
        **amounts,
        sources=sources,
        goal=f.goal,
        indicators=inds,
        period_goal=f.period_goal,
        period_amounts=period,
        extra=extra,
    )
    return ExpTable(
        sheet=w.ws.title,
        layout="form",
        title=f.title,
        department=f.department,
        amount_unit="万元",
        projects=[project],
        grand_total=None,
    )


FORM_WIDTHS = [14, 14, 18, 22, 14, 16]
_DEPT_6 = "317-石门县水务局"
_FORM_TITLE = "项目支出绩效目标表（2025年度）"
FORMS_PER_SHEET = {
    "防汛物资储备": Form(
        _FORM_TITLE,
        "防汛抗旱物资储备及应急抢险",
        _DEPT_6,
        "石门县防汛抗旱服务中心",
        (("年度资金总额", 120), ("其中：财政拨款", 100), ("其他资金", 20)),
        "按定额储备防汛抗旱物资，汛期应急抢险物资及时调运到位，保障人民群众生命财产安全。",
        (
            I("产出指标", "数量指标", "储备编织袋数量", "≥5万条"),
            I("产出指标", "数量指标", "储备救生衣数量", "≥800件"),
            I("产出指标", "质量指标", "储备物资抽检合格率", "100%"),
            I("产出指标", "时效指标", "应急物资调运到位时间", "≤4小时"),
            I("产出指标", "成本指标", "物资储备总成本", "≤120万元"),
            I("效益指标", "经济效益指标", "", ""),
            I("效益指标", "社会效益指标", "汛期因灾人员伤亡事故", "0起"),
            I("效益指标", "生态效益指标", "", ""),
            I("效益指标", "可持续影响指标", "", ""),
            I("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%"),
        ),
        note="注：绩效指标可根据项目实际情况增减。",
    ),
    "农村供水保障": Form(
        _FORM_TITLE,
        "农村供水工程维修养护",
        _DEPT_6,
        "石门县农村供水管理站",
        (
            ("年度资金总额", 380),
            ("其中：财政拨款", 300),
            ("财政专户管理资金", 50),
            ("其他资金", 30),
        ),
        "完成农村集中供水工程维修养护和老旧管网更换，巩固提升农村供水保障水平。",
        (
            I("产出指标", "数量指标", "维修养护集中供水工程处数", "≥45处"),
            I("产出指标", "数量指标", "更换老旧供水管网长度", "≥26公里"),
            I("产出指标", "质量指标", "农村集中供水水质达标率", "≥92%"),
            I("产出指标", "时效指标", "维修养护任务完成时间", "2025年10月31日前"),
            I("效益指标", "社会效益", "巩固提升受益人口", "≥3.2万人"),
            I("满意度指标", "社会公众或服务对象满意度指标", "受益群众满意度", "≥90%"),
        ),
        extra=(("项目属性", "延续项目", "项目期", "2025年1月-12月"),),
    ),
    "水土保持治理": Form(
        _FORM_TITLE,
        "小流域水土流失综合治理",
        _DEPT_6,
        "石门县水土保持站",
        (("年度资金总额", 85), ("其中：财政拨款", 85), ("其他资金", 0)),
        "综合治理水土流失面积5平方公里，营造水土保持林800亩，改善项目区生态环境。",
        (
            I("成本指标", "经济成本指标", "单位面积治理成本", "≤17万元/平方公里"),
            I("成本指标", "社会成本指标", "施工对周边群众生产生活的影响", "无明显影响"),
            I("成本指标", "生态环境成本指标", "施工扰动地表裸露时间", "≤3个月"),
            I("产出指标", "数量指标", "治理水土流失面积", "≥5平方公里"),
            I("产出指标", "数量指标", "营造水土保持林面积", "≥800亩"),
            I("产出指标", "质量指标", "工程验收合格率", "100%"),
            I("产出指标", "时效指标", "项目完工时间", "2025年11月30日前"),
            I("效益指标", "生态效益指标", "治理区林草覆盖率", "提高5个百分点"),
            I("效益指标", "社会效益指标", "项目区受益人口", "≥4600人"),
            I("满意度指标", "服务对象满意度指标", "项目区群众满意度", "≥90%"),
        ),
    ),
}


def _forms_per_sheet(wb: openpyxl.Workbook) -> list[ExpTable]:
    tables = []
    for sheet, form in FORMS_PER_SHEET.items():
        w = _W(wb.create_sheet(sheet), FORM_WIDTHS)
        tables.append(_write_form(w, form))
    return tables


def build_forms_per_sheet(dir: Path) -> tuple[Path, list[ExpTable]]:
    """财政部-style forms, one project per sheet: 石门县水务局, 3 sheets.

    Label column A (``项目名称``, ``主管部门及代码``, ``项目资金（万元）`` merged over the money
    rows, ``年度绩效目标``, ``绩效指标`` merged over the grid); values merged across; 一级/二级
    merged vertically, 三级指标 merged over D:E. Sheet 1 uses the old scheme with template
    placeholder rows (经济效益指标, 生态效益指标, 可持续影响指标 left empty) and 成本指标 under
    产出指标; sheet 2 has a 财政专户管理资金 row and 项目属性/项目期; sheet 3 is 101号-style
    (成本指标 as level 1, first).
    """
    wb = _new_book()
    tables = _forms_per_sheet(wb)
    return _save(wb, dir / "石门县水务局_绩效目标表_一表一项目.xlsx"), tables


_DEPT_7 = "325-白沙县文化广电旅游体育局"
FORMS_STACKED = (
    Form(
        "项目支出绩效目标表",
        "公共文化服务体系建设",
        _DEPT_7,
        "白沙县文化馆",
        (("年度资金总额", 150), ("其中：财政拨款", 150), ("其他资金", 0)),
        "开展群众文化活动和送戏下乡，丰富城乡群众精神文化生活。",
        (
            I("产出指标", "数量指标", "开展群众文化活动场次", "≥120场"),
            I("产出指标", "数量指标", "送戏下乡场次", "≥60场"),
            I("产出指标", "质量指标", "文化活动安全事故发生率", "0"),
            I("产出指标", "时效指标", "活动完成时间", "2025年12月底前"),
            I("效益指标", "社会效益指标", "群众文化活动参与度", "有所提升"),
            I("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%"),
        ),
    ),
    Form(
        "项目支出绩效目标表",
        "全民健身场地设施建设",
        _DEPT_7,
        "白沙县体育事业发展中心",
        (("资金总额", 600, 200), ("其中：财政拨款", 540, 180), ("其他资金", 60, 20)),
        "2025年新建社区健身路径30个、笼式多功能运动场3个。",
        (
            IP("产出指标", "数量指标", "新建社区健身路径", "≥90个", "≥30个"),
            IP("产出指标", "数量指标", "新建笼式多功能运动场", "≥9个", "≥3个"),
            IP("产出指标", "质量指标", "工程验收合格率", "100%", "100%"),
            IP("产出指标", "时效指标", "建设任务完成时间", "2027年12月31日前", "2025年12月31日前"),
            IP("效益指标", "社会效益指标", "经常参加体育锻炼人数比例", "≥42%", "≥40%"),
            IP("满意度指标", "服务对象满意度指标", "健身群众满意度", "≥90%", "≥90%"),
        ),
        extra=(("项目属性", "新增项目", "项目期", "2025-2027年"),),
        period_goal="2025-2027年新建社区健身路径90个、笼式多功能运动场9个，"
        "城乡居民15分钟健身圈基本建成。",
    ),
    Form(
        "项目支出绩效目标表",
        "文化旅游宣传推介",
        _DEPT_7,
        "白沙县旅游服务中心",
        (("年度资金总额", 80), ("其中：财政拨款", 80), ("其他资金", 0)),
        "开展文化旅游宣传推介，提升白沙旅游品牌知名度，带动游客增长。",
        (
            I("产出指标", "数量指标", "参加旅游推介会次数", "≥6次"),
            I("产出指标", "数量指标", "制作宣传短视频", "≥20条"),
            I("产出指标", "质量指标", "宣传品内容审核通过率", "100%"),
            I("效益指标", "经济效益指标", "接待游客人次", "同比增长≥8%"),
            I("效益指标", "社会效益指标", "白沙旅游品牌知名度", "有所提升"),
            I("满意度指标", "服务对象满意度指标", "游客满意度", "≥85%"),
        ),
        note="填报说明：本表金额单位为万元。",
    ),
)


def _forms_stacked(wb: openpyxl.Workbook) -> list[ExpTable]:
    w = _W(wb.create_sheet("绩效目标表"), FORM_WIDTHS)
    tables = []
    for k, form in enumerate(FORMS_STACKED):
        if k:
            w.blank(2)
            w.text("第2页" if k == 1 else "- 3 -", col=4)
            w.blank()
        tables.append(_write_form(w, form))
    return tables


def build_forms_stacked(dir: Path) -> tuple[Path, list[ExpTable]]:
    """Three forms stacked on one sheet: 白沙县文化广电旅游体育局.

    Blank rows and page lines (``第2页``, ``- 3 -``, in column D) between the forms; the second
    form has two periods: ``总体目标`` with ``中长期目标 | 年度目标``, a money block with
    ``中期资金总额 | 年度资金总额`` columns, and ``中期指标值 | 年度指标值``. One table per form.
    """
    wb = _new_book()
    tables = _forms_stacked(wb)
    return _save(wb, dir / "白沙县文化广电旅游体育局_绩效目标表_多表一页.xlsx"), tables


def build_forms_xls(dir: Path) -> tuple[Path, list[ExpTable]]:
    """The forms of :func:`build_forms_per_sheet` and :func:`build_forms_stacked` in one
    workbook (their 4 sheets, same expectations), saved as .xlsx and converted to .xls by
    LibreOffice (``workbooks.to_xls``: skips without soffice, fails under CI)."""
    from workbooks import to_xls

    wb = _new_book()
    tables = _forms_per_sheet(wb) + _forms_stacked(wb)
    src = _save(wb, dir / "xls-source" / "石门县水务局_白沙县文广旅体局_绩效目标表.xlsx")
    return to_xls(src, dir), tables


# --------------------------------------------------------------------------------------------
# packed tables (L1: one row per project, all indicators in one cell)

_PACKED_L1 = {"1": "产出指标", "2": "效益指标", "3": "满意度指标", "4": "成本指标"}
#: level-2 labels as the Guangzhou budget system writes them (21/22/23/31 without 指标)
_PACKED_L2 = {
    "11": "数量指标",
    "12": "质量指标",
    "13": "时效指标",
    "14": "成本指标",
    "21": "经济效益",
    "22": "社会效益",
    "23": "生态效益",
    "24": "可持续影响指标",
    "31": "服务对象满意度",
    "41": "经济成本指标",
    "42": "社会成本指标",
    "43": "生态环境成本指标",
}


@dataclass(frozen=True)
class PI:
    """A packed item: level-2 code (the level-1 code is its first digit), name, values."""

    code: str
    name: str
    period: str
    annual: str


def packed_text(items: Sequence[PI], sep: str = "；", colon: str = ":") -> str:
    """``1、1-产出指标；11-数量指标；名称；实施周期指标值:…；年度指标值:…。2、…``"""
    return "".join(
        f"{n}、{x.code[0]}-{_PACKED_L1[x.code[0]]}{sep}{x.code}-{_PACKED_L2[x.code]}{sep}"
        f"{x.name}{sep}实施周期指标值{colon}{x.period}{sep}年度指标值{colon}{x.annual}。"
        for n, x in enumerate(items, start=1)
    )


def _packed_expectation(items: Sequence[Any], row: int) -> list[ExpIndicator]:
    out = []
    for x in items:
        if isinstance(x, PI):
            l1 = _PACKED_L1[x.code[0]]
            l2 = _PACKED_L2[x.code]
            out.append(ExpIndicator(canon1(l1), canon2(l2), x.name, x.period, x.annual, row))
        else:  # I: a line item, one value
            out.append(ExpIndicator(canon1(x.l1), canon2(x.l2), x.name, None, x.annual, row))
    return out


@dataclass
class _PackedSpec:
    header: list[str]  # name, money…, goal, indicators
    money: list[str]
    roles: dict[str, str]
    cell: Callable[[Proj], str]  # the 绩效指标 cell text of a project


def _write_packed(
    w: _W,
    spec: _PackedSpec,
    projects: Sequence[Proj],
    *,
    units: Sequence[tuple[str, tuple[Any, ...]]] = (),
) -> tuple[list[ExpProject], list[ExpUnit]]:
    """Project rows (and unit subtotal rows before their projects when ``units`` is given)."""
    out: list[ExpProject] = []
    exp_units: list[ExpUnit] = []
    unit_money = dict(units)
    current = None
    for proj in projects:
        if units and proj.unit != current:
            current = proj.unit
            money = unit_money[current]
            r = w.line(current, *money, None, None)
            m = _money(spec.money, spec.roles, money)
            exp_units.append(ExpUnit(current, r, m["total"], m["fiscal"], m["special"], m["other"]))
        row = w.line(proj.name, *proj.money, proj.goal, spec.cell(proj))
        out.append(
            ExpProject(
                name=proj.name,
                row=row,
                unit=proj.unit,
                **_money(spec.money, spec.roles, proj.money),
                goal=proj.goal,
                indicators=_packed_expectation(proj.inds, row),
            )
        )
    return out, exp_units


def _packed_block(
    w: _W,
    spec: _PackedSpec,
    *,
    title: str,
    department_line: str | None,
    unit_line: str,
    projects: Sequence[Proj],
    units: Sequence[tuple[str, tuple[Any, ...]]] = (),
    grand: tuple[Any, ...] | None = None,
) -> tuple[list[ExpProject], list[ExpUnit], int | None]:
    n = len(spec.header)
    w.text(title, span=n, bold=True)
    if department_line:
        w.text(department_line, span=3)
        w.ws.cell(row=w.r, column=n, value=unit_line)
    else:
        w.text(unit_line, col=n)
    _header_line(w, spec.header)
    grand_row = w.line("合计", *grand, None, None) if grand else None
    projects_exp, units_exp = _write_packed(w, spec, projects, units=units)
    return projects_exp, units_exp, grand_row


PACKED_HEADER = ["项目名称", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标", "绩效指标"]
PACKED_WIDTHS = [30, 12, 12, 12, 12, 40, 80]

# ---- case 9 ---------------------------------------------------------------------------------

TWO_TABLES_A = (
    Proj(
        "困难群众救助补助",
        (2860.00, 2860.00, None, None),
        "保障城乡低保、特困等困难群众基本生活，救助资金按时足额发放。",
        (
            PI("11", "城乡低保保障人数", "≥5200人", "≥5200人"),
            PI("12", "救助资金发放准确率", "100%", "100%"),
            PI("13", "低保金发放时间", "每月10日前", "每月10日前"),
            PI("22", "困难群众基本生活", "得到有效保障", "得到有效保障"),
            PI("31", "救助对象满意度", "≥90%", "≥90%"),
        ),
    ),
    Proj(
        "居家和社区养老服务提升",
        (520.00, 400.00, None, 120.00),
        "2025-2027年新建社区养老服务站12个，2025年建成4个，提升居家养老服务能力。",
        (
            PI("11", "新建社区养老服务站", "≥12个", "≥4个"),
            PI("11", "提供居家上门服务人次", "≥3万人次", "≥1万人次"),
            PI("12", "养老服务站验收合格率", "100%", "100%"),
            PI("22", "社区养老服务覆盖率", "≥90%", "≥60%"),
            PI("31", "服务老人满意度", "≥90%", "≥90%"),
        ),
    ),
    Proj(
        "社会组织培育扶持",
        (45.00, 45.00, None, None),
        "培育孵化社区社会组织，引导社会组织参与基层治理。",
        (
            PI("41", "孵化基地运营成本", "≤45万元", "≤45万元"),
            PI("11", "培育孵化社会组织数量", "≥15家", "≥15家"),
            PI("13", "社会组织年检完成时间", "2025年6月30日前", "2025年6月30日前"),
            PI("22", "社会组织参与社区治理", "有所提升", "有所提升"),
        ),
    ),
)
TWO_TABLES_A_TOTAL = (3425.00, 3305.00, None, 120.00)
_U9A = "东湖区社会福利院"
_U9B = "东湖区救助管理站"
TWO_TABLES_B_UNITS = ((_U9A, (318.00, 268.00, 50.00, None)), (_U9B, (86.40, 86.40, None, None)))
TWO_TABLES_B = (
    Proj(
        "特困人员集中供养",
        (268.00, 268.00, None, None),
        "保障集中供养特困人员基本生活和照料服务。",
        (
            PI("11", "集中供养特困人员人数", "≥150人", "≥150人"),
            PI("12", "供养服务达标率", "100%", "100%"),
            PI("22", "特困人员基本生活", "得到保障", "得到保障"),
            PI("31", "供养对象满意度", "≥90%", "≥90%"),
        ),
        _U9A,
    ),
    Proj(
        "福利院消防设施改造",
        (50.00, None, 50.00, None),
        "完成院区消防喷淋及报警系统改造，消除消防安全隐患。",
        (
            PI("11", "改造消防喷淋面积", "≥3200平方米", "≥3200平方米"),
            PI("13", "改造完成时间", "2025年9月30日前", "2025年9月30日前"),
            PI("22", "消防安全隐患", "全部消除", "全部消除"),
        ),
        _U9A,
    ),
    Proj(
        "流浪乞讨人员救助",
        (86.40, 86.40, None, None),
        "及时救助流浪乞讨人员，帮助受助人员返乡。",
        (
            PI("11", "救助流浪乞讨人员人次", "≥600人次", "≥600人次"),
            PI("13", "受助人员接收时限", "≤2小时", "≤2小时"),
            PI("22", "受助人员返乡率", "≥95%", "≥95%"),
            PI("31", "受助人员满意度", "≥90%", "≥90%"),
        ),
        _U9B,
    ),
)
TWO_TABLES_B_TOTAL = (404.40, 354.40, 50.00, None)


def _std_packed_spec(**kw: Any) -> _PackedSpec:
    base: dict[str, Any] = {
        "header": PACKED_HEADER,
        "money": PACKED_HEADER[1:5],
        "roles": STD_ROLES,
        "cell": lambda p: packed_text(p.inds),
    }
    base.update(kw)
    return _PackedSpec(**base)


def build_two_tables_one_sheet(dir: Path) -> tuple[Path, list[ExpTable]]:
    """Two packed tables on one sheet: 东湖区民政局 本级 (3 projects, 合计) and 所属单位 (2 unit
    subtotal rows with their projects, 合计), each with its own title, 部门名称, 单位：万元,
    header and 合计, three blank rows between them; standard packed cells (with a 101号
    ``4-成本指标；41-经济成本指标`` item)."""
    wb = _new_book()
    w = _W(wb.create_sheet("项目支出绩效目标表"), PACKED_WIDTHS)
    spec = _std_packed_spec()
    title_a = "2025年东湖区民政局本级项目支出绩效目标表"
    pa, _, ga = _packed_block(
        w,
        spec,
        title=title_a,
        department_line="部门名称：东湖区民政局",
        unit_line="单位：万元",
        projects=TWO_TABLES_A,
        grand=TWO_TABLES_A_TOTAL,
    )
    w.blank(3)
    title_b = "2025年东湖区民政局所属单位项目支出绩效目标表"
    pb, ub, gb = _packed_block(
        w,
        spec,
        title=title_b,
        department_line="部门名称：东湖区民政局",
        unit_line="单位：万元",
        projects=TWO_TABLES_B,
        units=TWO_TABLES_B_UNITS,
        grand=TWO_TABLES_B_TOTAL,
    )
    w.text("注：所属单位项目按资金使用单位分列。", span=5)
    sheet = w.ws.title
    tables = [
        ExpTable(sheet, "packed", title_a, "东湖区民政局", "万元", pa, 3425.00, ga),
        ExpTable(sheet, "packed", title_b, "东湖区民政局", "万元", pb, 404.40, gb, units=ub),
    ]
    return _save(wb, dir / "东湖区民政局_本级和所属单位_一页两表.xlsx"), tables


# ---- case 10 --------------------------------------------------------------------------------

VOCAB_A_HEADER = [
    "项目名称",
    "资金总额",
    "一般公共预算拨款",
    "财政专户拨款",
    "单位自筹",
    "事业收入",
    "年度绩效目标",
    "绩效指标内容",
]
VOCAB_A_ROLES = {"资金总额": "total", "一般公共预算拨款": "fiscal", "财政专户拨款": "special"}
VOCAB_A = (
    Proj(
        "残疾人两项补贴",
        (1126.80, 1126.80, None, None, None),
        "按月足额发放困难残疾人生活补贴和重度残疾人护理补贴。",
        (
            PI("11", "困难残疾人生活补贴发放人数", "≥3100人", "≥3100人"),
            PI("11", "重度残疾人护理补贴发放人数", "≥3800人", "≥3800人"),
            PI("13", "补贴发放时间", "每月15日前", "每月15日前"),
            PI("22", "残疾人基本生活", "得到保障", "得到保障"),
            PI("31", "受补贴残疾人满意度", "≥95%", "≥95%"),
        ),
    ),
    Proj(
        "残疾儿童康复救助",
        (238.45, 198.45, None, 10.00, 30.00),
        "为0-6岁残疾儿童提供康复救助，改善残疾儿童功能状况。",
        (
            PI("11", "救助残疾儿童人数", "≥260人", "≥260人"),
            PI("12", "定点康复机构协议签订率", "100%", "100%"),
            PI("22", "残疾儿童康复状况", "有效改善", "有效改善"),
            PI("31", "受助儿童家长满意度", "≥90%", "≥90%"),
        ),
    ),
    Proj(
        "残疾人职业技能培训",
        (64.21, 40.00, 24.20, None, None),  # 40.00 + 24.20 = 64.20: the one 0.01 error
        "开展残疾人职业技能培训，促进残疾人就业增收。",
        (
            PI("11", "培训残疾人人数", "≥300人", "≥300人"),
            PI("12", "培训合格率", "≥85%", "≥85%"),
            PI("21", "培训后实现就业人数", "≥60人", "≥60人"),
            PI("31", "参训残疾人满意度", "≥90%", "≥90%"),
        ),
    ),
    Proj(
        "残疾人辅助器具适配",
        (57.60, 57.60, 0, None, None),
        "为有需求的持证残疾人免费适配基本型辅助器具。",
        (
            PI("11", "适配辅助器具件数", "≥900件", "≥900件"),
            PI("14", "人均适配成本", "≤640元/人", "≤640元/人"),
            PI("31", "适配对象满意度", "≥90%", "≥90%"),
        ),
    ),
)
#: separators per project: the standard; half-width ; and :; full-width ：
_VOCAB_A_STYLE = {
    "残疾儿童康复救助": (";", ":"),
    "残疾人职业技能培训": ("；", "："),
}

VOCAB_B_HEADER = [
    "项目名称",
    "预算数",
    "一般公共预算拨款",
    "上年结转",
    "捐赠收入",
    "其他资金",
    "绩效目标",
    "绩效指标",
]
VOCAB_B_ROLES = {"预算数": "total", "一般公共预算拨款": "fiscal", "其他资金": "other"}
VOCAB_B = (
    Proj(
        "康复训练服务",
        (186.00, 120.00, 16.00, 50.00, None),
        "为辖区残疾人提供机构康复训练服务。",
        (
            PI("11", "提供康复训练服务人次", "≥1.2万人次", "≥1.2万人次"),
            PI("12", "康复训练有效率", "≥85%", "≥85%"),
            PI("22", "受训残疾人生活自理能力", "有所提高", "有所提高"),
            PI("31", "受训残疾人及家属满意度", "≥90%", "≥90%"),
        ),
    ),
    Proj(
        "康复设备购置",
        (95.30, 60.00, None, 35.30, None),
        "购置康复训练设备，提升机构康复服务能力。",
        (
            PI("11", "购置康复训练设备", "≥40台（套）", "≥40台（套）"),
            PI("13", "设备购置完成时间", "2025年8月31日前", "2025年8月31日前"),
            PI("22", "康复服务能力", "明显提升", "明显提升"),
        ),
    ),
    Proj(
        "孤独症儿童托养服务",
        (72.00, 72.00, None, None, 0),
        "为孤独症儿童提供日间托养服务，减轻家庭照护负担。",
        (
            PI("11", "托养孤独症儿童人数", "≥30人", "≥30人"),
            PI("22", "家庭照护负担", "有效减轻", "有效减轻"),
            PI("31", "家长满意度", "≥95%", "≥95%"),
        ),
    ),
)
VOCAB_B_TOTAL = (353.30, 252.00, 16.00, 85.30, 0)


def build_vocabulary(dir: Path) -> tuple[Path, list[ExpTable]]:
    """Packed tables with header aliases: 丰源县残疾人联合会, two sheets.

    ``本级``: ``资金总额 | 一般公共预算拨款 | 财政专户拨款 | 单位自筹 | 事业收入 |
    年度绩效目标 | 绩效指标内容``, ``部门：…``, no 合计 row (a 合计 row would repeat the error),
    packed cells with half-width ``;`` ``:`` and full-width ``：`` separators, and exactly one
    row whose 资金总额 is 0.01 too high (残疾人职业技能培训: 64.21 written, 40.00 + 24.20).
    ``康复中心``: ``预算数 | 一般公共预算拨款 | 上年结转 | 捐赠收入 | 其他资金 | 绩效目标 |
    绩效指标``, ``预算单位：…``, ``金额单位：万元``, 合计 first; ``捐赠收入`` is a money column no
    vocabulary knows, and two rows add up only when it is counted.
    """
    wb = _new_book()
    wa = _W(wb.create_sheet("本级"), [28, 12, 14, 12, 10, 10, 40, 80])

    def cell_a(p: Proj) -> str:
        sep, colon = _VOCAB_A_STYLE.get(p.name, ("；", ":"))
        return packed_text(p.inds, sep, colon)

    spec_a = _PackedSpec(VOCAB_A_HEADER, VOCAB_A_HEADER[1:6], VOCAB_A_ROLES, cell_a)
    title_a = "2025年丰源县残疾人联合会项目支出绩效目标表"
    pa, _, _ = _packed_block(
        wa,
        spec_a,
        title=title_a,
        department_line="部门：丰源县残疾人联合会",
        unit_line="单位：万元",
        projects=VOCAB_A,
    )
    error_row = next(p.row for p in pa if p.name == "残疾人职业技能培训")

    wb_ = _W(wb.create_sheet("康复中心"), [28, 12, 14, 10, 10, 10, 40, 80])
    spec_b = _PackedSpec(
        VOCAB_B_HEADER, VOCAB_B_HEADER[1:6], VOCAB_B_ROLES, lambda p: packed_text(p.inds)
    )
    title_b = "2025年丰源县残疾人康复中心项目支出绩效目标表"
    pb, _, gb = _packed_block(
        wb_,
        spec_b,
        title=title_b,
        department_line="预算单位：丰源县残疾人康复中心",
        unit_line="金额单位：万元",
        projects=VOCAB_B,
        grand=VOCAB_B_TOTAL,
    )
    tables = [
        ExpTable(
            "本级",
            "packed",
            title_a,
            "丰源县残疾人联合会",
            "万元",
            pa,
            None,
            money_errors=[error_row],
        ),
        ExpTable(
            "康复中心", "packed", title_b, "丰源县残疾人康复中心", "万元", pb, VOCAB_B_TOTAL[0], gb
        ),
    ]
    return _save(wb, dir / "丰源县残疾人联合会_表头别名.xlsx"), tables


# ---- case 11 --------------------------------------------------------------------------------

LINE_ITEMS = (
    Proj(
        "历史遗留矿山生态修复",
        (520.00, 520.00, None, None),
        "完成历史遗留废弃矿山生态修复35公顷，恢复矿区生态环境。",
        (
            I("产出指标", "数量指标", "历史遗留矿山修复面积", "≥35公顷"),
            I("产出指标", "质量指标", "修复工程验收合格率", "100%"),
            I("产出指标", "时效指标", "工程完工时间", "2025-11-30前"),
            I("效益指标", "生态效益指标", "修复区植被覆盖率", "≥85%"),
            I("满意度指标", "服务对象满意度指标", "周边群众满意度", "≥90%"),
        ),
    ),
    Proj(
        "不动产登记信息系统运维",
        (68.00, 48.00, None, 20.00),
        "保障不动产登记信息系统全年稳定运行。",
        (
            I("产出指标", "数量指标", "系统运维服务时长", "12个月"),
            I("产出指标", "质量指标", "系统正常运行率", "≥99%"),
            I("产出指标", "时效指标", "故障响应时间", "≤2小时"),
            I("效益指标", "社会效益指标", "一般登记业务办理时限", "压缩至3个工作日内"),
            I("满意度指标", "服务对象满意度指标", "办事群众满意度", "≥95%"),
        ),
    ),
    Proj(
        "地质灾害防治",
        (156.00, 156.00, None, None),
        "开展地质灾害隐患点巡查监测，汛期不发生因地质灾害造成的人员伤亡。",
        (
            I("产出指标", "数量指标", "地质灾害隐患点巡查点位", "126处"),
            I("产出指标", "成本指标", "单个隐患点年均监测成本", "≤0.35万元/处"),
            I("产出指标", "时效指标", "汛期巡查频次", "每月不少于1次"),
            I("效益指标", "社会效益指标", "因地质灾害造成人员伤亡", "0人"),
            I("满意度指标", "服务对象满意度指标", "受威胁群众满意度", "≥90%"),
        ),
    ),
    Proj(
        "耕地保护补偿",
        (230.00, 200.00, 30.00, None),
        "落实耕地保护补偿政策，调动农户保护耕地积极性。",
        (
            I("产出指标", "数量指标", "落实耕地保护补偿面积", "≥12万亩"),
            I("产出指标", "时效指标", "补偿资金兑付时间", "2025年12月20日前"),
            I("效益指标", "经济效益指标", "农户户均增收", "≥180元"),
            I("满意度指标", "服务对象满意度指标", "补偿农户满意度", "≥90%"),
        ),
    ),
)
LINE_ITEMS_TOTAL = (974.00, 924.00, 30.00, 20.00)


def _line_items_a(p: Proj, *, punctuate: bool) -> str:
    lines = [f"{x.l1}-{x.l2}-{x.name}：{x.annual}" for x in p.inds]
    if punctuate:
        lines = [line + "；" for line in lines[:-1]] + [lines[-1] + "。"]
    else:
        lines[1] = "  " + lines[1]  # an indented line, as pasted
    return "\n".join(lines)


def _line_items_b(p: Proj) -> str:
    return "".join(f"{x.l1}/{x.l2}/{x.name}/{x.annual}\n" for x in p.inds)


def build_line_items(dir: Path) -> tuple[Path, list[ExpTable]]:
    """Packed table whose 绩效指标 cells list one indicator per line (Alt+Enter), no ``N、``:
    平川县自然资源局.

    Writing A (first two projects): ``产出指标-数量指标-历史遗留矿山修复面积：≥35公顷`` —
    level 1, level 2 and name joined by ``-``, the value after a full-width colon; the first
    project ends its lines with ``；`` and the last with ``。``, the second has none and one
    line indented by two spaces; a value contains ``-`` (``2025-11-30前``). Writing B (last two
    projects): ``产出指标/成本指标/单个隐患点年均监测成本/≤0.35万元/处`` — four fields split on
    the first three ``/`` (the value itself may contain ``/``), a trailing newline. One value per
    indicator: ``period_value`` None, ``annual_value`` without the line's end punctuation.
    """
    wb = _new_book()
    w = _W(wb.create_sheet("项目支出绩效目标表"), [28, 12, 12, 12, 12, 36, 60])

    def cell(p: Proj) -> str:
        k = LINE_ITEMS.index(p)
        if k < 2:
            return _line_items_a(p, punctuate=k == 0)
        return _line_items_b(p)

    spec = _std_packed_spec(cell=cell)
    title = "2025年平川县自然资源局项目支出绩效目标表"
    projects, _, grand_row = _packed_block(
        w,
        spec,
        title=title,
        department_line="部门名称：平川县自然资源局",
        unit_line="单位：万元",
        projects=LINE_ITEMS,
        grand=LINE_ITEMS_TOTAL,
    )
    table = ExpTable(
        w.ws.title, "packed", title, "平川县自然资源局", "万元", projects, 974.00, grand_row
    )
    return _save(wb, dir / "平川县自然资源局_指标逐行列示.xlsx"), [table]


# ---- case 12 --------------------------------------------------------------------------------

EMPTY_GRID_FORM = Form(
    "项目支出绩效目标表（2025年度）",
    "应急救援队伍建设",
    "331-岭南县应急管理局",
    "岭南县应急救援保障中心",
    (("年度资金总额", 60), ("其中：财政拨款", 60), ("其他资金", 0)),
    "加强综合性应急救援队伍建设，提升突发事件应急处置能力。",
    (
        I("产出指标", "数量指标", "", ""),
        I("产出指标", "质量指标", "", ""),
        I("产出指标", "时效指标", "", ""),
        I("产出指标", "成本指标", "", ""),
        I("效益指标", "经济效益指标", "", ""),
        I("效益指标", "社会效益指标", "", ""),
        I("效益指标", "生态效益指标", "", ""),
        I("满意度指标", "服务对象满意度指标", "", ""),
    ),
)


def build_bad_form_empty_grid(dir: Path) -> tuple[Path, list[ExpTable]]:
    """A form whose indicator grid is the empty template (岭南县应急管理局): 一级/二级 labels
    printed, no 三级指标 and no value. Expected: the project, with no indicators."""
    wb = _new_book()
    w = _W(wb.create_sheet("绩效目标表"), FORM_WIDTHS)
    table = _write_form(w, EMPTY_GRID_FORM)
    assert table.projects[0].indicators == []
    return _save(wb, dir / "岭南县应急管理局_绩效目标表_指标未填.xlsx"), [table]


NO_PROJECT_HEADER = [
    "序号",
    "项目名称",
    "总计",
    "财政拨款",
    "其他资金",
    "绩效目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标值",
]
NO_PROJECT = Proj(
    "",
    (None, None, None),
    None,
    (
        I("产出指标", "数量指标", "完成统计调查专项数", "≥8项"),
        I("产出指标", "质量指标", "统计数据差错率", "≤1%"),
        I("产出指标", "时效指标", "统计数据上报及时率", "100%"),
        I("效益指标", "社会效益指标", "统计数据公信力", "持续提升"),
        I("满意度指标", "服务对象满意度指标", "数据使用部门满意度", "≥90%"),
    ),
)


def build_bad_rows_no_project(dir: Path) -> tuple[Path, list[ExpTable]]:
    """A row list whose project cells are all blank (平安县统计局): header, then indicator rows
    only (一级/二级 merged), no 合计. Expected: no project; every indicator row is listed in
    ``orphan_rows``."""
    wb = _new_book()
    ws = wb.create_sheet("项目支出绩效目标表")
    w = _W(ws, [6, 22, 10, 10, 10, 30, 12, 16, 26, 14])
    spec = _RowsSpec(
        header=NO_PROJECT_HEADER,
        money=["总计", "财政拨款", "其他资金"],
        roles=STD_ROLES,
        cols={"seq": 1, "name": 2, "goal": 6, "l1": 7, "l2": 8, "l3": 9, "av": 10},
        project_mode="none",
        level_mode="merged",
    )
    title = "2025年平安县统计局项目支出绩效目标表"
    w.text(title, span=10, bold=True)
    w.text("部门名称：平安县统计局", span=3)
    ws.cell(row=w.r, column=10, value="单位：万元")
    _header_line(w, NO_PROJECT_HEADER)
    [ghost] = _write_rows(w, spec, [NO_PROJECT])
    table = ExpTable(
        ws.title,
        "rows",
        title,
        "平安县统计局",
        "万元",
        [],
        None,
        orphan_rows=[x.row for x in ghost.indicators],
    )
    return _save(wb, dir / "平安县统计局_逐行_无项目信息.xlsx"), [table]


# --------------------------------------------------------------------------------------------

Builder = Callable[[Path], tuple[Path, list[ExpTable]]]

#: case name -> builder (issue 12 §1 and §5)
LAYOUT_CASES: dict[str, Builder] = {
    "rows_merged": build_rows_merged,
    "rows_repeated": build_rows_repeated,
    "rows_blank_below": build_rows_blank_below,
    "export_rows": build_export_rows,
    "export_bad": build_export_bad,
    "forms_per_sheet": build_forms_per_sheet,
    "forms_stacked": build_forms_stacked,
    "forms_xls": build_forms_xls,
    "two_tables_one_sheet": build_two_tables_one_sheet,
    "vocabulary": build_vocabulary,
    "line_items": build_line_items,
    "bad_form_empty_grid": build_bad_form_empty_grid,
    "bad_rows_no_project": build_bad_rows_no_project,
}


# --------------------------------------------------------------------------------------------
# the committed examples (examples/build_layout_examples.py)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_builder() -> Any:
    """``examples/build_layout_examples.py`` as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_layout_examples", EXAMPLES / "build_layout_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _example_indicator(x: dict[str, Any]) -> ExpIndicator:
    if "kind" in x:  # an export row: the pieces as written
        e = E(x["level1"], x["level2"], x["name"], x["kind"], x["sym"], x["val"], x["unit"], None)
        return _export_expectation(e, x["row"])
    return ExpIndicator(
        canon1(x["level1"]),
        canon2(x["level2"]),
        x["name"],
        x["period_value"],
        x["annual_value"],
        x["row"],
    )


def example_tables(dir: Path) -> dict[str, list[ExpTable]]:
    """Expectations for the committed example workbooks, by file name: the build script's
    manifest of what it wrote where (built into ``dir``; no LibreOffice needed, the .xls has the
    cells of the .xlsx it is converted from)."""
    builder = example_builder()
    _, manifest = builder.build_xlsx_with_manifest(dir)
    _, stacked = builder.build_stacked_source(dir)
    manifest[builder.STACKED_NAME] = stacked
    out: dict[str, list[ExpTable]] = {}
    for name, tables in manifest.items():
        out[name] = [
            ExpTable(
                sheet=t["sheet"],
                layout=t["layout"],
                title=t["title"],
                department=t["department"],
                amount_unit=t["amount_unit"],
                projects=[
                    ExpProject(
                        name=p["name"],
                        row=p["row"],
                        unit=p["unit"],
                        total=p["total"],
                        fiscal=p["fiscal"],
                        special=p["special"],
                        other=p["other"],
                        sources=p["sources"],
                        goal=p["goal"],
                        indicators=[_example_indicator(x) for x in p["indicators"]],
                        period_goal=p.get("period_goal"),
                        period_amounts=p.get("period_amounts", {}),
                        extra=p.get("extra", {}),
                    )
                    for p in t["projects"]
                ],
                grand_total=t["grand_total"],
                grand_total_row=t["grand_total_row"],
            )
            for t in tables
        ]
    return out
