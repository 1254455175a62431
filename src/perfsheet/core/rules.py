"""The rule catalogue: every ``rule`` id a :class:`~perfsheet.core.models.Finding` can carry.

One :class:`Rule` per id: its default severity, its Chinese name (校验结果's 规则 column and the
说明 sheet) and its basis (where the rule comes from; ``Finding.basis``, empty for the table
checks). Findings are built with :func:`finding`, which looks the id up here, so an id missing
from the catalogue fails loudly (``KeyError``). :data:`RULES` is in the order of the 说明 sheet.

``scope`` says who reports a rule: ``table`` (the table checks: money, fragments, indicator
format, columns, forms; documented in ``docs/json.md``), ``quality`` (the indicator-quality audit,
configurable in ``default_rules.toml``; documented in ``docs/quality-rules.md``) or ``batch``
(``convert``'s duplicate tables, only in the consolidated workbook).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from perfsheet.core.models import Finding, Severity

__all__ = [
    "MONEY_RULES",
    "RULES",
    "RULE_NAMES",
    "SEVERITY_NAMES",
    "Rule",
    "RuleScope",
    "finding",
    "rule_name",
]

RuleScope = Literal["table", "quality", "batch"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: ``id`` (stable, part of the JSON contract), default ``severity``, Chinese
    ``name_zh``, ``basis`` (may be empty) and ``scope``."""

    id: str
    severity: Severity
    name_zh: str
    basis: str = ""
    scope: RuleScope = "table"


_CATALOGUE: Final[tuple[Rule, ...]] = (
    Rule("row-total", "error", "行合计"),
    Rule("unit-subtotal", "error", "单位小计"),
    Rule("grand-total", "error", "总合计"),
    Rule("amount-format", "error", "金额格式"),
    Rule("cell-error", "warning", "单元格错误值"),
    Rule("amount-dash", "info", "金额为横线"),
    Rule("project-unnamed", "warning", "项目缺少名称"),
    Rule("grand-total-duplicate", "warning", "重复的合计行"),
    Rule("row-skipped", "info", "跳过的小计行"),
    Rule("fragment-merged", "info", "分页碎片已合并"),
    Rule("fragment-orphan", "error", "无法归属的分页碎片"),
    Rule("indicator-numbering", "warning", "指标编号"),
    Rule("indicator-category", "warning", "指标类别"),
    Rule("indicator-missing-value", "warning", "缺少指标值"),
    Rule("indicator-placeholder", "warning", "指标值待补充"),
    Rule("indicator-unparsed", "warning", "无法解析的指标"),
    Rule(
        "indicator-vague",
        "warning",
        "指标值不可衡量",
        "绩效目标填报要求：指标值应细化、量化，可衡量（财预〔2021〕101号取值指引；K6 可衡量性）",
        "quality",
    ),
    Rule(
        "indicator-coverage",
        "warning",
        "指标覆盖不全",
        "绩效目标填报要求：应设置产出、效益、满意度指标"
        "（财预〔2021〕101号另设成本指标；K5 完整性）",
        "quality",
    ),
    Rule(
        "indicator-misfiled",
        "warning",
        "指标归类疑误",
        "指标体系：三级指标应归入含义相符的一级、二级指标（财预〔2021〕101号指标体系；K8 归类）",
        "quality",
    ),
    Rule(
        "indicator-duplicate",
        "warning",
        "指标重复",
        "同一项目的三级指标不应重复设置（K11 重复指标）",
        "quality",
    ),
    Rule(
        "indicator-unit",
        "warning",
        "计量单位疑误",
        "计量单位应与指标含义一致：比率用%，计数用计数单位（K9 单位合理性）",
        "quality",
    ),
    Rule(
        "indicator-period",
        "info",
        "周期值与年度值不一致",
        "年度指标值是实施周期指标值的分解，二者应口径一致（K10 实施周期与年度衔接）",
        "quality",
    ),
    Rule(
        "indicator-legacy",
        "info",
        "旧口径类别",
        "财预〔2021〕101号：成本指标单列为一级指标，效益指标下不再设可持续影响指标（K7 体系一致）",
        "quality",
    ),
    Rule("indicator-columns", "warning", "指标各列不一致"),
    Rule("form-no-indicators", "warning", "表单缺少绩效指标"),
    Rule("money-columns-misread", "error", "金额列疑似识别错误"),
    Rule("column-assumed-source", "info", "未识别的金额列按资金来源计"),
    Rule("column-unknown", "warning", "未识别的数值列"),
    Rule("duplicate-table", "warning", "重复表格", scope="batch"),
)

#: Every rule by id, in catalogue (说明 sheet) order.
RULES: Final[dict[str, Rule]] = {r.id: r for r in _CATALOGUE}

#: Severity -> its Chinese name (校验结果's 级别 column).
SEVERITY_NAMES: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}

#: Rule id -> Chinese name (校验结果's 规则 column), as :func:`rule_name` gives it.
RULE_NAMES: dict[str, str] = {r.id: r.name_zh for r in RULES.values()}
#: The rules about amounts (the money errors the add-in reports).
MONEY_RULES: frozenset[str] = frozenset(
    {"row-total", "unit-subtotal", "grand-total", "amount-format", "money-columns-misread"}
)


def rule_name(rule_id: str) -> str:
    """The Chinese name of a catalogued rule (``KeyError`` for an unknown id)."""
    return RULES[rule_id].name_zh


def finding(rule_id: str, *, severity: Severity | None = None, **fields: Any) -> Finding:
    """A :class:`Finding` of a catalogued rule: its default severity (unless ``severity`` is
    given, e.g. from a rules file) and its basis (None when empty). ``KeyError`` for an id that
    is not in the catalogue."""
    rule = RULES[rule_id]
    if rule.basis:
        fields.setdefault("basis", rule.basis)
    return Finding(rule=rule_id, severity=severity or rule.severity, **fields)
