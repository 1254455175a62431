"""Output plans: what perfsheet writes, as plain data, for every writer.

Two plans live here, both pure (no files, no openpyxl/xlwings):

* the **summary plan** (:class:`SummaryPlan`): the rows of the standard sheets
  ``绩效指标明细`` / ``项目汇总`` / ``校验结果`` / ``说明``. Rows are tuples in the column order
  the caller asks for (a template's header order: columns are matched by header text, so a
  template may reorder or drop columns; unknown headers get ``None``). Rows are produced by
  generators, one :class:`~perfsheet.core.models.WorkbookResult` at a time, so the batch
  converter can stream thousands of files through one plan without keeping them;
* the **annotation plan** (:func:`annotation_plan`): helper columns and error marks on the
  source sheet, as cell address -> value / number format / fill / note, plus the columns to
  clear. The openpyxl file writer and the xlwings live-book adapter both apply it.

Writers add what depends on the output's geometry (row numbers of formulas, chart ranges,
styles from the template); everything that depends on the data is decided here.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from perfsheet.core.grid import (
    SheetGrid,
    cell_ref,
    col_letter,
    col_number,
    page_location,
    quote_sheet,
)
from perfsheet.core.headers import TARGET_HELPERS
from perfsheet.core.models import (
    Amounts,
    Finding,
    Indicator,
    Project,
    Table,
    Target,
    WorkbookResult,
)
from perfsheet.core.rules import RULES
from perfsheet.core.timestamps import format_timestamp
from perfsheet.core.total_row import TotalCell, total_label

# --------------------------------------------------------------------------------------------
# Sheet names and column catalogues
# --------------------------------------------------------------------------------------------

SHEET_DETAIL = "绩效指标明细"
SHEET_PROJECTS = "项目汇总"
SHEET_FINDINGS = "校验结果"
SHEET_NOTES = "说明"
STANDARD_SHEETS: tuple[str, ...] = (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, SHEET_NOTES)
#: a template must have these; ``说明`` falls back to the built-in layout when missing
REQUIRED_SHEETS: tuple[str, ...] = (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS)
#: suffix of a standard sheet's name when the user's workbook already has a sheet so named
OWN_SUFFIX = "（perfsheet）"
#: 说明 facts that identify a workbook written by perfsheet and the sheets it generated
VERSION_FACT = "perfsheet 版本"
SHEETS_FACT = "生成的工作表"

ColumnKind = Literal["text", "amount", "int", "ratio", "score", "number", "link"]


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """One known column of a standard sheet: its header text (the key), kind and meaning."""

    key: str
    kind: ColumnKind
    doc: str
    width: float = 12.0
    default: bool = True  # part of the built-in template


def _c(key: str, kind: ColumnKind, width: float, doc: str, default: bool = True) -> ColumnDef:
    return ColumnDef(key=key, kind=kind, doc=doc, width=width, default=default)


_AMOUNT_DOCS = {
    "总计": "项目总计金额（= 财政拨款 + 财政专户拨款 + 其他资金），单位见表头",
    "财政拨款": "财政拨款金额，单位见表头；原表空白为空，不记作 0",
    "财政专户拨款": "财政专户拨款金额，单位见表头",
    "其他资金": "其他资金金额，单位见表头；原表另有政府性基金、国有资本经营预算、单位资金等来源列时"
    "一并计入（各列见 perfsheet parse --json 的 amounts.sources），使总计 = 三列之和",
}


def standard_amounts(a: Amounts) -> list[float | None]:
    """(总计, 财政拨款, 财政专户拨款, 其他资金) of the standard sheets: the sources beyond the
    three (``amounts.sources``: 政府性基金预算, 单位资金…) are counted in 其他资金, so that the
    standard sheets' 总计 is the sum of their three columns, as the source table's is of its."""
    other = a.other
    if a.sources:
        extra = [v for v in a.sources.values() if v is not None]
        if extra:
            other = round((other or 0.0) + sum(extra), 6)
    return [a.total, a.fiscal, a.special, other]


DETAIL_COLUMNS: tuple[ColumnDef, ...] = (
    _c("部门名称", "text", 18, "表头中的部门名称（「部门名称：…」「预算单位：…」等）"),
    _c("资金使用单位", "text", 22, "项目所属的资金使用单位（单位小计行）；原表没有单位行时为空"),
    _c("项目名称", "text", 30, "项目名称，分页碎片已并入"),
    _c(
        "总计",
        "amount",
        13,
        _AMOUNT_DOCS["总计"] + "；同一项目的每条指标各占一行，金额重复出现，请勿在本表对金额求和",
    ),
    _c("财政拨款", "amount", 13, _AMOUNT_DOCS["财政拨款"]),
    _c("财政专户拨款", "amount", 13, _AMOUNT_DOCS["财政专户拨款"]),
    _c("其他资金", "amount", 13, _AMOUNT_DOCS["其他资金"]),
    _c("指标序号", "int", 8, "指标在原单元格中的编号（「N、」）"),
    _c("一级指标", "text", 11, "一级指标（规范名称：产出指标 / 效益指标 / 满意度指标 / 成本指标）"),
    _c(
        "二级指标",
        "text",
        16,
        "二级指标（规范名称，如 数量指标、社会效益指标、服务对象满意度指标）",
    ),
    _c("三级指标", "text", 26, "三级指标（原文）"),
    _c("实施周期指标值", "text", 20, "实施周期指标值（原文，已去除 HTML 与多余空白）"),
    _c("年度指标值", "text", 20, "年度指标值（原文，已去除 HTML 与多余空白）"),
    _c("比较符", "text", 7, "年度指标值的比较符（≥ ≤ > < =）；年度指标值为空时取实施周期指标值"),
    _c(
        "目标值",
        "number",
        10,
        "定量指标为数值（按原文，如 ≥1.4万人 记 1.4）；定性指标为原文；待补充为空",
    ),
    _c("计量单位", "text", 9, "计量单位（按原文，如 万人、%、元/人）"),
    _c("指标性质", "text", 9, "定量 / 定性 / 待补充（指标值为「待单位补充」之类或未填写）"),
    _c("问题", "text", 32, "解析该条指标时发现的问题（缺少指标值、编号不连续等）"),
    _c("来源位置", "text", 24, "原表中该项目绩效指标所在的单元格，如 Sheet1!G12"),
    _c("来源文件", "text", 24, "来源工作簿的文件名（批量合并时区分来源）", default=False),
    _c("绩效目标", "text", 40, "项目的绩效目标（原文）", default=False),
    _c("一级代码", "text", 8, "一级指标代码（原文中的 1-、2-…；没有则为空）", default=False),
    _c("二级代码", "text", 8, "二级指标代码（原文中的 11-、21-…；没有则为空）", default=False),
    _c("指标原文", "text", 40, "该条指标在原单元格中的文字", default=False),
)

PROJECT_COLUMNS: tuple[ColumnDef, ...] = (
    _c("部门名称", "text", 18, "表头中的部门名称"),
    _c("资金使用单位", "text", 22, "项目所属的资金使用单位；原表没有单位行时为空"),
    _c("项目名称", "text", 36, "项目名称"),
    _c("总计", "amount", 13, _AMOUNT_DOCS["总计"]),
    _c("财政拨款", "amount", 13, _AMOUNT_DOCS["财政拨款"]),
    _c("财政专户拨款", "amount", 13, _AMOUNT_DOCS["财政专户拨款"]),
    _c("其他资金", "amount", 13, _AMOUNT_DOCS["其他资金"]),
    _c("指标数", "int", 8, "该项目的绩效指标条数"),
    _c("产出指标数", "int", 9, "一级指标为「产出指标」的条数（含旧口径 14 成本指标）"),
    _c("效益指标数", "int", 9, "一级指标为「效益指标」的条数"),
    _c("满意度指标数", "int", 10, "一级指标为「满意度指标」的条数"),
    _c("成本指标数", "int", 9, "一级指标为「成本指标」的条数（财预〔2021〕101号口径）"),
    _c(
        "定量指标占比",
        "ratio",
        10,
        "指标性质为「定量」的指标占该项目指标数的比例；合计行为全部项目的加权占比",
    ),
    _c("错误数", "int", 8, "该项目（含其并入的分页碎片行）上「错误」级校验结果的条数"),
    _c("警告数", "int", 8, "该项目上「警告」级校验结果的条数"),
    _c(
        "指标质量",
        "score",
        9,
        "指标质量得分（0–100，算法见本表「说明 · 指标质量」）；未启用质量审查时为空",
    ),
    _c("来源位置", "link", 24, "原表中项目名称所在的单元格；原表在本工作簿中时可点击跳转"),
    _c("来源文件", "text", 24, "来源工作簿的文件名", default=False),
    _c("绩效目标", "text", 40, "项目的绩效目标（原文）", default=False),
)

FINDING_COLUMNS: tuple[ColumnDef, ...] = (
    _c("级别", "text", 7, "错误 / 警告 / 提示"),
    _c("规则", "text", 16, "校验规则名称（规则编号见本表「校验规则」一节）"),
    _c("位置", "link", 24, "问题所在的单元格；原表在本工作簿中时可点击跳转"),
    _c("项目/单位", "text", 28, "问题所属的项目（或资金使用单位）"),
    _c("说明", "text", 60, "问题说明"),
    _c("期望值", "number", 13, "按规则应有的值（金额校验为各项之和）"),
    _c("实际值", "number", 13, "表中填写的值"),
    _c("差额", "number", 11, "实际值 − 期望值"),
    _c("来源文件", "text", 24, "来源工作簿的文件名", default=False),
    _c("规则编号", "text", 18, "规则的稳定编号（与 perfsheet check --json 一致）", default=False),
    _c("依据", "text", 30, "规则依据（指标质量审查规则）", default=False),
)

NOTE_COLUMNS: tuple[ColumnDef, ...] = (
    _c("类别", "text", 10, "说明条目的类别"),
    _c("名称", "text", 26, "工作表、列或信息项的名称"),
    _c("内容", "text", 90, "含义"),
)

COLUMNS: dict[str, tuple[ColumnDef, ...]] = {
    SHEET_DETAIL: DETAIL_COLUMNS,
    SHEET_PROJECTS: PROJECT_COLUMNS,
    SHEET_FINDINGS: FINDING_COLUMNS,
    SHEET_NOTES: NOTE_COLUMNS,
}

SHEET_DOCS: dict[str, str] = {
    SHEET_DETAIL: (
        "每条绩效指标一行：项目信息、一级/二级/三级指标、指标值及其比较符、"
        "目标值、计量单位和指标性质"
    ),
    SHEET_PROJECTS: (
        "每个项目一行：四项金额、各一级指标条数、定量指标占比、错误与警告数；"
        "末行合计为 SUBTOTAL 公式，筛选后自动只合计可见行"
    ),
    SHEET_FINDINGS: (
        "每条校验结果一行：金额合计校验、分页碎片、指标格式与指标质量问题；"
        "按级别着色，位置可点击跳转到原表"
    ),
    SHEET_NOTES: "本说明：各工作表与各列的含义、来源文件、生成时间和 perfsheet 版本",
}

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

SEVERITY_NAMES: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}

#: Rule id -> Chinese name, from the catalogue (:mod:`perfsheet.core.rules`).
RULE_NAMES: dict[str, str] = {r.id: r.name_zh for r in RULES.values()}
MONEY_RULES: frozenset[str] = frozenset(
    {"row-total", "unit-subtotal", "grand-total", "amount-format", "money-columns-misread"}
)

LEVEL1_BUCKETS: dict[str, str] = {
    "产出指标": "产出",
    "效益指标": "效益",
    "满意度指标": "满意度",
    "成本指标": "成本",
}

NATURE_QUANT, NATURE_QUAL, NATURE_TODO = "定量", "定性", "待补充"

#: amount units understood for conversion, in 元
AMOUNT_UNIT_FACTORS: dict[str, float] = {
    "元": 1.0,
    "千元": 1e3,
    "万元": 1e4,
    "百万元": 1e6,
    "亿元": 1e8,
}


def amount_factor(from_unit: str | None, to_unit: str | None) -> float:
    """Multiply amounts in ``from_unit`` by this to express them in ``to_unit`` (元 -> 万元: 1e-4);
    1 when either unit is unknown."""
    src = AMOUNT_UNIT_FACTORS.get(from_unit or "")
    dst = AMOUNT_UNIT_FACTORS.get(to_unit or "")
    if src is None or dst is None or src == dst:
        return 1.0
    return src / dst


AMOUNT_KEYS: tuple[str, ...] = ("总计", "财政拨款", "财政专户拨款", "其他资金")
COUNT_KEYS: tuple[str, ...] = ("产出指标数", "效益指标数", "满意度指标数", "成本指标数")

_HEADER_SUFFIX = re.compile(r"\s*[（(][^（()）]*[)）]\s*$")
_SPACES = re.compile(r"[\s\u3000\xa0]+")


def header_key(text: object) -> str:
    """Normalize a header cell: ``" 总计（万元）"`` -> ``"总计"``.

    Whitespace (incl. full-width and NBSP) is removed and one trailing parenthetical (the unit
    shown in amount headers, or a user's own ``（个）``) is dropped, so templates can relabel.
    """
    if text is None:
        return ""
    s = _SPACES.sub("", str(text))
    return _HEADER_SUFFIX.sub("", s) or s


def match_columns(sheet: str, headers: Sequence[object]) -> list[str | None]:
    """Header texts of a template row -> known column keys (``None`` for unknown headers)."""
    known = {c.key for c in COLUMNS[sheet]}
    out: list[str | None] = []
    for h in headers:
        k = header_key(h)
        out.append(k if k in known else None)
    return out


def default_layout(sheet: str) -> list[str]:
    """The built-in column order of a standard sheet."""
    return [c.key for c in COLUMNS[sheet] if c.default]


def column_def(sheet: str, key: str) -> ColumnDef:
    for c in COLUMNS[sheet]:
        if c.key == key:
            return c
    raise KeyError(key)


# --------------------------------------------------------------------------------------------
# Small value types that writers render specially
# --------------------------------------------------------------------------------------------


def sheet_ref(sheet: str, cell: str) -> str:
    """``Sheet1!G12`` (quoted when needed), the way users type it in the Name Box."""
    return f"{quote_sheet(sheet)}!{cell}"


@dataclass(frozen=True, slots=True)
class Link:
    """A cell that shows ``text`` and links to ``cell`` on ``sheet`` of the same workbook."""

    text: str
    sheet: str
    cell: str

    @property
    def location(self) -> str:
        """The hyperlink location (``'Sheet1'!G12``), always quoted."""
        return f"{quote_sheet(self.sheet, always=True)}!{self.cell}"

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------------------------
# Target and indicator helpers (shared with the Excel functions: 比较符/目标值/计量单位/指标性质)
# --------------------------------------------------------------------------------------------


def effective_target(ind: Indicator) -> Target | None:
    """The target shown in the summary: the annual one, else the implementation-period one."""
    t = ind.annual_target
    if t is not None and t.kind != "empty":
        return t
    p = ind.period_target
    if p is not None and p.kind != "empty":
        return p
    return t or p


def target_nature(t: Target | None) -> str:
    """指标性质: 定量 / 定性 / 待补充."""
    if t is None:
        return NATURE_TODO
    k = t.kind
    if k == "quantitative":
        return NATURE_QUANT
    if k in ("qualitative", "deadline"):
        return NATURE_QUAL
    return NATURE_TODO


def target_fields(t: Target | None) -> tuple[str | None, float | str | None, str | None, str]:
    """(比较符, 目标值, 计量单位, 指标性质) of one target."""
    if t is None:
        return None, None, None, NATURE_TODO
    k = t.kind
    if k == "quantitative":
        return t.op, t.value, t.unit, NATURE_QUANT
    if k in ("qualitative", "deadline"):
        return t.op, (t.raw or None), t.unit, NATURE_QUAL
    return None, None, None, NATURE_TODO


def level1_bucket(level1: str | None) -> str | None:
    """产出 / 效益 / 满意度 / 成本 for a canonical 一级指标 (None when unknown)."""
    if not level1:
        return None
    b = LEVEL1_BUCKETS.get(level1)
    if b is None:
        for name, bucket in LEVEL1_BUCKETS.items():
            if level1.startswith(bucket) or name.startswith(level1):
                return bucket
    return b


@dataclass(slots=True)
class ProjectStats:
    """Counts of one project's indicators."""

    indicators: int = 0
    output: int = 0
    benefit: int = 0
    satisfaction: int = 0
    cost: int = 0
    quantitative: int = 0

    @property
    def quant_ratio(self) -> float | None:
        return self.quantitative / self.indicators if self.indicators else None


_BUCKET_ATTR = {"产出": "output", "效益": "benefit", "满意度": "satisfaction", "成本": "cost"}


def project_stats(project: Project) -> ProjectStats:
    s = ProjectStats()
    for ind in project.indicators:
        s.indicators += 1
        b = level1_bucket(ind.level1)
        if b is not None:
            attr = _BUCKET_ATTR[b]
            setattr(s, attr, getattr(s, attr) + 1)
        if target_nature(effective_target(ind)) == NATURE_QUANT:
            s.quantitative += 1
    return s


def iter_projects(table: Table) -> Iterator[tuple[str | None, Project]]:
    """(unit name, project) for every project of a table, in table order."""
    for unit in table.units:
        for project in unit.projects:
            yield unit.name, project


def _name_col(table: Table) -> str:
    return table.columns.get("name") or "A"


class _FindingIndex:
    """Findings attributed to the projects of one table: a finding belongs to the project
    whose rows (fragments included) hold its row, else to the first project of its name.

    Kept per project: [errors, warnings, infos] (项目汇总's 错误数/警告数) and, per indicator
    序号, the messages of the error/warning findings naming that indicator (``Finding.indicator``,
    set by the quality audit; shown in 绩效指标明细's 问题). Findings can be added at any time
    before the project's rows are produced (:class:`TableRows`)."""

    def __init__(self, table: Table) -> None:
        by_row: dict[int, Project] = {}
        by_name: dict[str, Project] = {}
        for _unit, p in iter_projects(table):
            for r in p.rows or [p.row]:
                by_row[r] = p
            by_row.setdefault(p.row, p)
            by_name.setdefault(p.name, p)
        self._by_row = by_row
        self._by_name = by_name
        self.counts: dict[int, list[int]] = {}  # id(project) -> [errors, warnings, infos]
        self.problems: dict[int, dict[int, list[str]]] = {}  # id(project) -> seq -> messages

    def add(self, findings: Iterable[Finding]) -> None:
        by_row, by_name = self._by_row, self._by_name
        counts, problems = self.counts, self.problems
        for f in findings:
            p = by_row.get(f.row) if f.row is not None else None
            if p is None and f.project:
                p = by_name.get(f.project)
            if p is None:
                continue
            c = counts.get(id(p))
            if c is None:
                c = counts[id(p)] = [0, 0, 0]
            sev = f.severity
            c[_SEVERITY_SLOT.get(sev, 2)] += 1
            if f.indicator is not None and sev in ("error", "warning"):
                problems.setdefault(id(p), {}).setdefault(f.indicator, []).append(f.message)

    def forget(self, project: Project) -> None:
        """Drop what is kept for ``project`` (its rows are written)."""
        self.counts.pop(id(project), None)
        self.problems.pop(id(project), None)


_SEVERITY_SLOT = {"error": 0, "warning": 1}


# --------------------------------------------------------------------------------------------
# The summary plan
# --------------------------------------------------------------------------------------------

#: ``quality(table, project) -> score 0..100 | None``; wired to perfsheet.core.audit when present.
#: A streaming writer calls ``quality(table, project, findings)`` with the project's own
#: (indicator and audit) findings instead, as ``perfsheet.summary.audit_hooks``' scorer allows.
QualityScorer = Callable[..., float | None]


def pick_amount_unit(results: Sequence[WorkbookResult]) -> str | None:
    """The amount unit of a summary: the first table's (None when no table states one)."""
    for res in results:
        for t in res.tables:
            if t.amount_unit:
                return t.amount_unit
    return None


def _picker(full_keys: Sequence[str], wanted: Sequence[str | None]) -> Callable[[tuple], tuple]:
    """A fast function: full row tuple (``full_keys`` order + a trailing None) -> wanted order."""
    pos = {k: i for i, k in enumerate(full_keys)}
    sentinel = len(full_keys)
    idx = [pos.get(k, sentinel) if k is not None else sentinel for k in wanted]
    if not idx:
        return lambda row: ()
    if len(idx) == 1:
        i = idx[0]
        return lambda row: (row[i],)
    return itemgetter(*idx)


_DETAIL_FULL = (
    "部门名称",
    "资金使用单位",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "指标序号",
    "一级指标",
    "二级指标",
    "三级指标",
    "实施周期指标值",
    "年度指标值",
    "比较符",
    "目标值",
    "计量单位",
    "指标性质",
    "问题",
    "来源位置",
    "来源文件",
    "绩效目标",
    "一级代码",
    "二级代码",
    "指标原文",
)
_PROJECT_FULL = (
    "部门名称",
    "资金使用单位",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "指标数",
    "产出指标数",
    "效益指标数",
    "满意度指标数",
    "成本指标数",
    "定量指标占比",
    "错误数",
    "警告数",
    "指标质量",
    "来源位置",
    "来源文件",
    "绩效目标",
)
_FINDING_FULL = (
    "级别",
    "规则",
    "位置",
    "项目/单位",
    "说明",
    "期望值",
    "实际值",
    "差额",
    "来源文件",
    "规则编号",
    "依据",
)
_NOTE_FULL = ("类别", "名称", "内容")
_FULL = {
    SHEET_DETAIL: _DETAIL_FULL,
    SHEET_PROJECTS: _PROJECT_FULL,
    SHEET_FINDINGS: _FINDING_FULL,
    SHEET_NOTES: _NOTE_FULL,
}
assert all(set(_FULL[s]) == {c.key for c in COLUMNS[s]} for s in STANDARD_SHEETS)


@dataclass(slots=True)
class _Totals:
    projects: int = 0
    amounts: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    amount_seen: list[bool] = field(default_factory=lambda: [False, False, False, False])
    indicators: int = 0
    buckets: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    quantitative: int = 0
    errors: int = 0
    warnings: int = 0
    quality_sum: float = 0.0
    quality_n: int = 0


class SummaryPlan:
    """The rows of the standard summary sheets, produced one input result at a time.

    Typical use (a writer)::

        plan = SummaryPlan(layout={sheet: template_keys, ...}, amount_unit="万元", ...)
        header = [plan.header_text(SHEET_DETAIL, k, written) for k, written in ...]
        for res, name in inputs:                     # one or thousands of files
            for row in plan.detail_rows(res, name):  # tuples in layout order
                ...
        ... plan.project_rows / plan.finding_rows likewise (any interleaving) ...
        footer = plan.project_footer()   # after the project rows: the total row's cells
        notes = plan.note_rows()         # after everything: 说明 rows (with the totals)

    ``layout`` maps a sheet name to the column keys in output order (``None`` = a header the
    plan does not know: the column stays empty). Missing sheets use :func:`default_layout`.
    """

    def __init__(
        self,
        *,
        layout: Mapping[str, Sequence[str | None]] | None = None,
        amount_unit: str | None = None,
        generated_at: _dt.datetime | None = None,
        version: str = "",
        source_in_workbook: bool = False,
        quality: QualityScorer | None = None,
        quality_doc: str | None = None,
        sources: Sequence[str] = (),
        template: str | None = None,
        sheet_names: Mapping[str, str] | None = None,
    ) -> None:
        self.layout: dict[str, list[str | None]] = {
            s: list(layout[s]) if layout and s in layout else list(default_layout(s))
            for s in STANDARD_SHEETS
        }
        self.amount_unit = amount_unit
        self.generated_at = generated_at or _dt.datetime.now().replace(microsecond=0)
        self.version = version
        self.source_in_workbook = source_in_workbook
        self.quality = quality
        self.quality_doc = quality_doc
        self.template = template
        self.sources: list[str] = list(sources)
        #: standard sheet -> the name it gets in this workbook (see :func:`standard_sheet_names`)
        self.sheet_names: dict[str, str] = {n: n for n in STANDARD_SHEETS}
        self.sheet_names.update(sheet_names or {})
        self._pick = {s: _picker(_FULL[s], self.layout[s]) for s in STANDARD_SHEETS}
        self._totals = _Totals()
        self.tables = 0
        self.units = 0
        self.detail_count = 0
        self.finding_counts = {"error": 0, "warning": 0, "info": 0}
        self._sheets_seen: list[str] = []

    # -- headers ------------------------------------------------------------------------------

    def header_text(self, sheet: str, key: str | None, written: str | None = None) -> str:
        """The header to show for a column: amounts carry the unit (``总计（万元）``); other
        known columns keep the template's text; unknown columns keep theirs."""
        if key is not None and key in AMOUNT_KEYS and sheet in (SHEET_DETAIL, SHEET_PROJECTS):
            return f"{key}（{self.amount_unit}）" if self.amount_unit else key
        if written:
            return str(written)
        return key or ""

    def headers(self, sheet: str) -> list[str]:
        return [self.header_text(sheet, k) for k in self.layout[sheet]]

    def kinds(self, sheet: str) -> list[ColumnKind | None]:
        """The kind of each output column (None for unknown headers)."""
        defs = {c.key: c.kind for c in COLUMNS[sheet]}
        return [defs.get(k) if k else None for k in self.layout[sheet]]

    # -- helpers ------------------------------------------------------------------------------

    def _factor(self, table: Table) -> float:
        return amount_factor(table.amount_unit, self.amount_unit)

    def _location(self, table: Table, col: str, row: int, link: bool) -> str | Link:
        on_page = page_location(table.pages, row)  # a PDF: 第5页第3行 (no sheet to link to)
        if on_page is not None:
            return on_page
        cell = f"{col}{row}"
        text = sheet_ref(table.sheet, cell)
        if link and self.source_in_workbook:
            return Link(text, table.sheet, cell)
        return text

    def _note_table(self, table: Table) -> None:
        if table.sheet not in self._sheets_seen:
            self._sheets_seen.append(table.sheet)

    # -- rows -----------------------------------------------------------------------------

    def table_rows(
        self, table: Table, source_file: str | None = None, findings: Iterable[Finding] = ()
    ) -> TableRows:
        """The per-project row producer of one table; ``findings`` = those known so far (more
        can be added with :meth:`TableRows.add` before a project's rows are produced)."""
        return TableRows(self, table, source_file, findings)

    def start_table(self, table: Table) -> None:
        """Count a table whose 项目汇总 rows follow (done by :meth:`project_rows`)."""
        self.tables += 1
        self.units += len(table.units)
        self._note_table(table)

    def count_finding(self, severity: str) -> None:
        """Count a 校验结果 row (done by :meth:`finding_rows`)."""
        self.finding_counts[severity] = self.finding_counts.get(severity, 0) + 1

    def detail_rows(
        self, result: WorkbookResult, source_file: str | None = None
    ) -> Iterator[tuple]:
        """绩效指标明细: one row per indicator (a project without indicators gets one row)."""
        for table in result.tables:
            rows = self.table_rows(table, source_file, table.findings)
            for unit_name, p in iter_projects(table):
                yield from rows.detail_rows(unit_name, p)

    def project_rows(
        self, result: WorkbookResult, source_file: str | None = None
    ) -> Iterator[tuple]:
        """项目汇总: one row per project; totals accumulate for :meth:`project_footer`."""
        for table in result.tables:
            self.start_table(table)
            rows = self.table_rows(table, source_file, table.findings)
            for unit_name, p in iter_projects(table):
                yield rows.project_row(unit_name, p)

    def finding_rows(
        self, result: WorkbookResult, source_file: str | None = None
    ) -> Iterator[tuple]:
        """校验结果: one row per finding, in the order the checks reported them."""
        for table in result.tables:
            rows = TableRows(self, table, source_file, index=False)
            for f in table.findings:
                self.count_finding(f.severity)
                yield rows.finding_row(f)

    def _finding_location(self, table: Table, f: Finding, name_col: str) -> str | Link | None:
        sheet = f.sheet or table.sheet
        on_page = page_location(table.pages, f.row)
        if on_page is not None:
            return on_page
        if f.cell:
            cell = f.cell
        elif f.row is not None:
            cell = f"{name_col}{f.row}"
        else:
            return quote_sheet(sheet)
        text = sheet_ref(sheet, cell)
        return Link(text, sheet, cell) if self.source_in_workbook else text

    def project_footer(self) -> list[TotalCell]:
        """The 项目汇总 total row (call after the project rows were consumed)."""
        t = self._totals
        out: list[TotalCell] = []
        keys = [k for k in self.layout[SHEET_PROJECTS] if k]
        label_key = next(
            (k for k in ("项目名称", "资金使用单位", "部门名称") if k in keys),
            None,
        )
        if label_key:
            out.append(TotalCell(label_key, "label", total_label(t.projects)))
        for i, k in enumerate(AMOUNT_KEYS):
            out.append(TotalCell(k, "sum", round(t.amounts[i], 6) if t.amount_seen[i] else 0.0))
        out.append(TotalCell("指标数", "sum", t.indicators))
        for k, v in zip(COUNT_KEYS, t.buckets, strict=True):
            out.append(TotalCell(k, "sum", v))
        ratio = t.quantitative / t.indicators if t.indicators else None
        out.append(TotalCell("定量指标占比", "ratio", ratio, weight="指标数"))
        out.append(TotalCell("错误数", "sum", t.errors))
        out.append(TotalCell("警告数", "sum", t.warnings))
        if self.quality is not None:
            avg = t.quality_sum / t.quality_n if t.quality_n else None
            out.append(TotalCell("指标质量", "average", avg))
        return [c for c in out if c.key in keys]

    @property
    def totals(self) -> dict[str, Any]:
        """Counts over everything emitted so far (for messages and the 说明 sheet)."""
        t = self._totals
        return {
            "tables": self.tables,
            "units": self.units,
            "projects": t.projects,
            "indicators": t.indicators,
            "detail_rows": self.detail_count,
            "errors": self.finding_counts.get("error", 0),
            "warnings": self.finding_counts.get("warning", 0),
            "infos": self.finding_counts.get("info", 0),
        }

    def note_rows(self) -> Iterator[tuple]:
        """说明: file facts, then what each sheet and each column means."""
        pick = self._pick[SHEET_NOTES]
        t = self.totals
        facts: list[tuple[str, str]] = []
        if self.sources:
            facts.append(("来源文件", "、".join(self.sources)))
        if self._sheets_seen:
            facts.append(("来源工作表", "、".join(self._sheets_seen)))
        facts += [
            ("生成时间", format_timestamp(self.generated_at)),
            (VERSION_FACT, self.version),
            ("金额单位", self.amount_unit or "（原表未注明）"),
            ("模板", self.template or "内置标准汇总模板"),
            (SHEETS_FACT, "、".join(self.sheet_names[n] for n in STANDARD_SHEETS)),
            (
                "统计",
                f"{t['tables']} 个表格，{t['projects']} 个项目，{t['indicators']} 条指标；"
                f"错误 {t['errors']} 条，警告 {t['warnings']} 条，提示 {t['infos']} 条",
            ),
        ]
        for name, text in facts:
            yield pick(("文件", name, text, None))
        for sheet in STANDARD_SHEETS:
            yield pick(("工作表", self.sheet_names[sheet], SHEET_DOCS[sheet], None))
        for sheet in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS):
            for key in self.layout[sheet]:
                if key is None:
                    continue
                doc = column_def(sheet, key).doc
                name = f"{self.sheet_names[sheet]} · {self.header_text(sheet, key)}"
                yield pick(("列", name, doc, None))
        for h in HELPER_HEADERS:
            yield pick(("辅助列", h, "保留原表时写在表格右侧：" + HELPER_DOCS[h], None))
        yield pick(
            (
                "说明",
                "指标性质",
                "定量：比较符 + 数值 + 计量单位（如 ≥390、≤4000元/人）；"
                "定性：文字目标（如 合规、提升）；"
                "待补充：指标值为「待单位补充」之类占位或未填写",
                None,
            )
        )
        if self.quality is not None and self.quality_doc:
            yield pick(("说明", "指标质量", self.quality_doc, None))
        for r in RULES.values():
            if r.scope != "batch":  # duplicate tables: only in a consolidated workbook
                yield pick(("校验规则", r.name_zh, r.id, None))


class TableRows:
    """The rows of one table for :class:`SummaryPlan`'s sheets, one project at a time.

    The whole-result methods of the plan (:meth:`SummaryPlan.detail_rows` …) loop over these;
    a streaming writer calls them itself, adding each project's findings (:meth:`add`) before
    its rows and calling :meth:`done` after them. 项目汇总's 错误数/警告数 and 绩效指标明细's 问题
    count the findings added so far (attributed as in :class:`_FindingIndex`)."""

    def __init__(
        self,
        plan: SummaryPlan,
        table: Table,
        source_file: str | None,
        findings: Iterable[Finding] = (),
        *,
        index: bool = True,
    ) -> None:
        self.plan = plan
        self.table = table
        self.source_file = source_file
        self.factor = plan._factor(table)
        self.dept = table.department
        self.name_col = _name_col(table)
        cols = table.columns
        self.ind_col = cols.get("indicators") or cols.get("level3") or self.name_col
        self.index = _FindingIndex(table) if index else None
        if self.index is not None:
            self.index.add(findings)

    def add(self, findings: Iterable[Finding]) -> None:
        assert self.index is not None
        self.index.add(findings)

    def done(self, project: Project) -> None:
        """Forget what was kept for ``project`` (its rows are produced)."""
        assert self.index is not None
        self.index.forget(project)

    def _amounts(self, p: Project) -> list[float | None]:
        amounts = standard_amounts(p.amounts)
        if self.factor != 1.0:
            f = self.factor
            amounts = [None if v is None else round(v * f, 6) for v in amounts]
        return amounts

    def detail_rows(self, unit_name: str | None, p: Project) -> Iterator[tuple]:
        """绩效指标明细 rows of one project."""
        plan = self.plan
        pick = plan._pick[SHEET_DETAIL]
        assert self.index is not None
        problems = self.index.problems.get(id(p))
        loc = plan._location(self.table, self.ind_col, p.row, link=False)
        base = (self.dept, unit_name, p.name, *self._amounts(p))
        tail_project = (loc, self.source_file, p.goal)
        if not p.indicators:
            plan.detail_count += 1
            yield pick((*base, *([None] * 10), "未填写绩效指标", *tail_project, *([None] * 4)))
            return
        for ind in p.indicators:
            if ind.row is not None:  # a grid indicator: its own row
                tail_project = (
                    plan._location(self.table, self.ind_col, ind.row, link=False),
                    self.source_file,
                    p.goal,
                )
            op, value, unit, nature = target_fields(effective_target(ind))
            plan.detail_count += 1
            issues = ind.warnings
            if problems:
                extra = problems.get(ind.seq)  # type: ignore[arg-type]
                if extra:
                    issues = [*issues, *extra]
            yield pick(
                (
                    *base,
                    ind.seq,
                    ind.level1,
                    ind.level2,
                    ind.name,
                    ind.period_value,
                    ind.annual_value,
                    op,
                    value,
                    unit,
                    nature,
                    "；".join(issues) if issues else None,
                    *tail_project,
                    ind.level1_code,
                    ind.level2_code,
                    ind.raw or None,
                    None,
                )
            )

    def project_row(
        self, unit_name: str | None, p: Project, own: list[Finding] | None = None
    ) -> tuple:
        """The 项目汇总 row of one project; totals accumulate for the footer. ``own`` = the
        project's indicator and audit findings, for the 指标质量 scorer when the table's
        findings are not all in ``table.findings`` (a streaming writer)."""
        plan = self.plan
        tot = plan._totals
        amounts = self._amounts(p)
        for i, v in enumerate(amounts):
            if v is not None:
                tot.amounts[i] += v
                tot.amount_seen[i] = True
        st = project_stats(p)
        assert self.index is not None
        e, w, _i = self.index.counts.get(id(p), (0, 0, 0))
        q = None
        if plan.quality is not None:
            # with ``own`` the scorer is given the project's findings (audit_hooks' scorer)
            q = plan.quality(self.table, p) if own is None else plan.quality(self.table, p, own)  # type: ignore[call-arg]
        tot.projects += 1
        tot.indicators += st.indicators
        tot.buckets[0] += st.output
        tot.buckets[1] += st.benefit
        tot.buckets[2] += st.satisfaction
        tot.buckets[3] += st.cost
        tot.quantitative += st.quantitative
        tot.errors += e
        tot.warnings += w
        if q is not None:
            tot.quality_sum += q
            tot.quality_n += 1
        return plan._pick[SHEET_PROJECTS](
            (
                self.dept,
                unit_name,
                p.name,
                *amounts,
                st.indicators,
                st.output,
                st.benefit,
                st.satisfaction,
                st.cost,
                st.quant_ratio,
                e,
                w,
                q,
                plan._location(self.table, self.name_col, p.row, link=True),
                self.source_file,
                p.goal,
                None,
            )
        )

    def finding_row(self, f: Finding) -> tuple:
        """The 校验结果 row of one finding (not counted: see :meth:`SummaryPlan.count_finding`)."""
        plan = self.plan
        return plan._pick[SHEET_FINDINGS](
            (
                SEVERITY_NAMES.get(f.severity, f.severity),
                RULE_NAMES[f.rule],
                plan._finding_location(self.table, f, self.name_col),
                f.project or f.unit,
                f.message,
                f.expected,
                f.actual,
                f.difference,
                self.source_file,
                f.rule,
                f.basis,
                None,
            )
        )


# --------------------------------------------------------------------------------------------
# Which sheets of a workbook perfsheet wrote (so that a re-run replaces them, and only them)
# --------------------------------------------------------------------------------------------


def own_sheets(grids: Sequence[SheetGrid]) -> set[str]:
    """The sheets an earlier perfsheet run generated in this workbook.

    Its 说明 sheet (``说明`` or ``说明（perfsheet）``) holds the facts ``perfsheet 版本`` and
    ``生成的工作表`` (the names it used). Only sheets named there count: a user's own sheet
    called 说明 or 项目汇总 is never taken for ours.
    """
    out: set[str] = set()
    names = {g.name for g in grids}
    for g in grids:
        if g.name not in (SHEET_NOTES, SHEET_NOTES + OWN_SUFFIX):
            continue
        facts: dict[str, str] = {}
        for line in g.rows[:200]:
            texts = [str(v).strip() for v in line if isinstance(v, str) and v.strip()]
            for i, t in enumerate(texts[:-1]):
                if t in (VERSION_FACT, SHEETS_FACT):
                    facts[t] = texts[i + 1]
        if VERSION_FACT in facts and SHEETS_FACT in facts:
            listed = set(facts[SHEETS_FACT].split("、"))
            if g.name in listed:
                out |= listed & names
    return out


def standard_sheet_names(existing: Sequence[str], own: Collection[str] = ()) -> dict[str, str]:
    """Standard sheet -> the name to use: the standard name unless a sheet of the user's
    (one not in ``own``) already has it; then the name with ``（perfsheet）``."""
    taken = {n for n in existing if n not in own}
    out = {}
    for std in STANDARD_SHEETS:
        name = std
        k = 1
        while name in taken:
            name = std + (OWN_SUFFIX if k == 1 else f"（perfsheet{k}）")
            k += 1
        out[std] = name
    return out


# --------------------------------------------------------------------------------------------
# The annotation plan (helper columns and marks on the source sheet)
# --------------------------------------------------------------------------------------------

NOTE_AUTHOR = "perfsheet"
ERROR_FILL = "FFC7CE"  # light red, Excel's "bad" style
HELPER_FILL = "DDEBF7"  # light blue, the helper headers
RATIO_FORMAT = "0.0%"
AMOUNT_FORMAT = "#,##0.00"
#: a standard column's number format by kind, where the template's column does not give one
KIND_FORMATS: dict[ColumnKind, str] = {
    "amount": AMOUNT_FORMAT,
    "ratio": RATIO_FORMAT,
    "int": "0",
    "score": "0",
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
    Which helper columns depend on the table's layout (:func:`helper_headers`): a packed table
    gets :data:`HELPER_HEADERS` on its project rows, a row list or a form gets
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
TARGET_HELPER_DOCS: dict[str, str] = {
    "比较符": "该行指标目标值的比较符（≥ ≤ > < =）；年度指标值为空时取实施周期指标值",
    "目标值": "定量指标为数值（按原文，如 ≥1.4万人 记 1.4）；定性指标为原文；待补充为空",
    "计量单位": "计量单位（按原文，如 万人、%、元/人）",
    "定量/定性": "定量 / 定性 / 待补充（与「绩效指标明细」的指标性质相同）",
    "问题": "该条指标的问题：解析时发现的问题，以及归属于该指标或该行的错误与警告，以「；」分隔",
}
#: 问题 of a project row of a row list that has no indicator row
NO_INDICATORS = "未填写绩效指标"


def helper_headers(table: Table) -> tuple[str, ...]:
    """The helper columns 解析指标 writes for ``table``: per project row for a packed table,
    per indicator row for a row list or a form."""
    return HELPER_HEADERS if table.layout == "packed" else TARGET_HELPER_HEADERS


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
    name_col = col_number(_name_col(table))
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
    index = _FindingIndex(table)
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
