"""The standard sheets: their names, their column catalogue and which sheets perfsheet wrote.

perfsheet writes four standard sheets (``绩效指标明细`` / ``项目汇总`` / ``校验结果`` / ``说明``):
in the per-file summary, the consolidated workbook and the live book. This module names them and
catalogues their known columns (:class:`ColumnDef`: header text, kind, width, meaning), with
the number format of each kind (:data:`KIND_FORMATS`). A template's columns are matched to the
catalogue by header text (:func:`header_key`, :func:`match_columns`), so a template may reorder,
relabel or drop columns.

A re-run recognizes the sheets an earlier run wrote by the facts of its 说明 sheet
(:func:`own_sheets`) and never takes a user's sheet of the same name for ours
(:func:`standard_sheet_names`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from perfsheet.core.grid import SheetGrid
from perfsheet.core.models import Amounts

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


_DEPARTMENT_DOC = (
    "表格的部门：标题上方的「部门名称：…」「部门：…」「预算单位：…」等；没有时取主管部门（部门名称）列"
    "（各行相同时）、标题中的部门（如「2025年度XX局项目支出绩效目标表」），或各行相同的预算单位列"
)
_UNIT_DOC = (
    "项目所属的资金使用单位：单位小计行、预算单位（单位名称）列或表单的实施单位；都没有时为空"
)

DETAIL_COLUMNS: tuple[ColumnDef, ...] = (
    _c("部门名称", "text", 18, _DEPARTMENT_DOC),
    _c("资金使用单位", "text", 22, _UNIT_DOC),
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
    _c("部门名称", "text", 18, _DEPARTMENT_DOC),
    _c("资金使用单位", "text", 22, _UNIT_DOC),
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


#: the total row of 项目汇总 in every output: bold, on a light grey fill, under a double rule
#: (XlsxWriter-style properties; the live book draws what xlwings can: the fill and bold)
TOTAL_ROW_LOOK: dict[str, object] = {"bold": True, "top": 6, "bg_color": "#F2F2F2"}

# Number formats of the standard columns
RATIO_FORMAT = "0.0%"
AMOUNT_FORMAT = "#,##0.00"
#: a standard column's number format by kind, where the template's column does not give one
KIND_FORMATS: dict[ColumnKind, str] = {
    "amount": AMOUNT_FORMAT,
    "ratio": RATIO_FORMAT,
    "int": "0",
    "score": "0",
}


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
