"""Indicator quality audit (issue 7): what a reviewer checks, from the parsed indicators.

Seven rules, each a :class:`~perfsheet.core.models.Finding` with a stable id:

============================  ========  ===================================================
rule                          default   flags
============================  ========  ===================================================
``indicator-vague``           warning   提升/有所提升/提高… as a target (values without a
                                        number), a value repeating the indicator name or being
                                        a name, a scoring rule written as the value, a rate or
                                        count without any number, a vacuous ``≤100%``
``indicator-coverage``        warning   a project without a 产出 / 效益 / 满意度 indicator
                                        (required categories configurable)
``indicator-misfiled``        warning   满意度 outside 满意度指标, 成本 under 经济效益, a
                                        category name used as 三级指标, 时效 without a time,
                                        生态效益 without anything ecological
``indicator-duplicate``       warning   the same 三级指标 twice in one project
``indicator-unit``            warning   a rate not in %, a rate with a count unit, a
                                        percentage above 100 with ≥, a count without a unit
``indicator-period``          info      实施周期 vs 年度: opposite directions, different units,
                                        an annual count larger than the period count
``indicator-legacy``          info      old-scheme 14 成本 / 24 可持续影响 in a table that also
                                        uses the 2021 scheme (成本指标 as level 1)
============================  ========  ===================================================

Placeholders (``待单位补充...``) are reported by the table checks (``indicator-placeholder``);
the rules here skip them.

The audit receives its configuration as an :class:`AuditRules` model (:func:`default_rules`,
or a rules file read by the adapter :mod:`perfsheet.io.rules_file`); nothing here reads a file.

:func:`quality_score` turns a project's indicators and findings into the 0–100 指标质量 score
shown in 项目汇总::

    指标质量 = round(70 × 合格指标数 / 指标数 + 30 × 已覆盖的必备类别数 / 必备类别数)

where an indicator is 合格 unless a ``warning``/``error`` finding of an ``indicator-*`` rule
points at it (``Finding.indicator``) or one of its values is a placeholder or missing; the
coverage term is full when ``indicator-coverage`` is disabled or nothing is required; a project
without indicators scores 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from perfsheet.core.categories import (
    LEVEL1,
    LEVEL1_ALIASES,
    LEVEL2,
    LEVEL2_ALIASES,
    is_legacy,
    level1_code_of,
    level1_name,
    level2_code_of,
    level2_name,
)
from perfsheet.core.models import (
    Finding,
    Indicator,
    Project,
    Severity,
    Table,
    Target,
    Unit,
    share_fields_set,
)
from perfsheet.core.rules import RULES
from perfsheet.core.rules import finding as rule_finding

__all__ = [
    "BASIS",
    "DEFAULT_REQUIRED_CATEGORIES",
    "DEFAULT_VAGUE_WORDS",
    "QUALITY_RULES",
    "AuditRules",
    "RuleSetting",
    "TableAudit",
    "audit_indicators",
    "audit_project",
    "audit_table",
    "canonical_category",
    "default_rules",
    "is_new_scheme",
    "project_findings",
    "quality_counts",
    "quality_score",
]

VAGUE: Final = "indicator-vague"
COVERAGE: Final = "indicator-coverage"
MISFILED: Final = "indicator-misfiled"
DUPLICATE: Final = "indicator-duplicate"
UNIT: Final = "indicator-unit"
PERIOD: Final = "indicator-period"
LEGACY: Final = "indicator-legacy"

#: The audit rule ids, in report order.
QUALITY_RULES: Final[tuple[str, ...]] = (
    VAGUE,
    COVERAGE,
    MISFILED,
    DUPLICATE,
    UNIT,
    PERIOD,
    LEGACY,
)

#: Where each rule comes from (``Finding.basis``), from the catalogue.
BASIS: Final[dict[str, str]] = {rule: RULES[rule].basis for rule in QUALITY_RULES}


_RULE_ORDER: Final = {rule: i for i, rule in enumerate(QUALITY_RULES)}

# --------------------------------------------------------------------------------------------
# Categories (perfsheet.core.categories: codes, canonical names, aliases)
# --------------------------------------------------------------------------------------------

_CATEGORY_NAMES: Final = frozenset(LEVEL1.values()) | frozenset(i.name for i in LEVEL2.values())
_NEW_SCHEME_LEVEL2: Final = frozenset({"41", "42", "43"})
# Category names that, typed as a 三级指标, mean the unit put a category in the name field
# (short aliases such as 数量 / 质量 are left out: they are plausible parts of a real name).
_CATEGORY_AS_NAME: Final = _CATEGORY_NAMES | frozenset(
    k for k in (*LEVEL1_ALIASES, *LEVEL2_ALIASES) if len(k) >= 4
)


def _canon_category(name: str | None) -> str | None:
    """A written category name -> its canonical name (``经济效益`` -> ``经济效益指标``,
    ``产出`` -> ``产出指标``); None when unknown."""
    if not name:
        return None
    n = re.sub(r"\s+", "", name)
    if n in _CATEGORY_NAMES:
        return n
    c1 = level1_code_of(n)
    if c1 is not None:
        return level1_name(c1)
    return level2_name(level2_code_of(n))


@lru_cache(maxsize=1024)
def _level1_of(code: str | None, name: str | None) -> str | None:
    return level1_name(code) or _canon_category(name) or name


@lru_cache(maxsize=1024)
def _level2_of(code: str | None, name: str | None) -> str | None:
    return level2_name(code) or _canon_category(name) or name


def _level1(ind: Indicator) -> str | None:
    return _level1_of(ind.level1_code, ind.level1)


def _level2(ind: Indicator) -> str | None:
    return _level2_of(ind.level2_code, ind.level2)


def _is_legacy(ind: Indicator) -> bool:
    if ind.legacy or is_legacy(ind.level2_code):
        return True
    l2 = _level2(ind)
    return l2 == "可持续影响指标" or (l2 == "成本指标" and _level1(ind) == "产出指标")


def _is_new_scheme(ind: Indicator) -> bool:
    return (
        _level1(ind) == "成本指标"
        or ind.level2_code in _NEW_SCHEME_LEVEL2
        or _level2(ind) in ("经济成本指标", "社会成本指标", "生态环境成本指标")
    )


# --------------------------------------------------------------------------------------------
# Rules configuration
# --------------------------------------------------------------------------------------------


class RuleSetting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    severity: Severity = "warning"


class AuditRules(BaseModel):
    """The effective audit configuration (defaults merged with a rules file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: dict[str, RuleSetting]
    vague_words: tuple[str, ...]
    required_categories: tuple[str, ...]
    source: str | None = None  # the rules file, None for the shipped defaults

    def enabled(self, rule: str) -> bool:
        s = self.settings.get(rule)
        return bool(s and s.enabled)

    def severity(self, rule: str) -> Severity:
        return self.settings[rule].severity


# The shipped defaults, as data (the adapter perfsheet.io.rules_file merges a rules file over
# them; perfsheet/io/default_rules.toml is their commented copy for users, tested equal).
DEFAULT_VAGUE_WORDS: Final[tuple[str, ...]] = (
    "有所提升", "正向提升", "显著提升", "明显提升", "稳步提升", "进一步提升", "提升",
    "有所提高", "显著提高", "明显提高", "逐步提高", "进一步提高", "提高",
    "逐步完善", "不断完善", "进一步完善", "完善",
    "有所改善", "明显改善", "不断改善", "改善",
    "有所增强", "不断增强", "增强",
    "效果明显", "成效明显", "成效显著",
    "促进", "推动", "助力",
)  # fmt: skip
DEFAULT_REQUIRED_CATEGORIES: Final[tuple[str, ...]] = ("产出指标", "效益指标", "满意度指标")


@lru_cache(maxsize=1)
def default_rules() -> AuditRules:
    """The shipped defaults: every rule on, at its catalogue severity."""
    return AuditRules(
        settings={r: RuleSetting(severity=RULES[r].severity) for r in QUALITY_RULES},
        vague_words=DEFAULT_VAGUE_WORDS,
        required_categories=DEFAULT_REQUIRED_CATEGORIES,
    )


def canonical_category(name: str | None) -> str | None:
    """A written category name -> its canonical name (``经济效益`` -> ``经济效益指标``,
    ``产出`` -> ``产出指标``); None when unknown."""
    return _canon_category(name)


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_WS_RE: Final = re.compile(r"[\s\u00a0\u3000]+")
_TRAILING_BRACKET_RE: Final = re.compile(r"\s*[（(]([^（）()]*)[）)]\s*$")
_PLACEHOLDER_RE: Final = re.compile(r"待.{0,6}(补充|填写|填报|完善|确定)|^\s*[.。…]+\s*$")
_DIGIT_RE: Final = re.compile(r"[0-9０-９]")
_SCORING_RE: Final = re.compile(
    r"不得分|得满分|满分|扣分|计分|得分|分值|扣\s*\d+(?:\.\d+)?\s*分|得\s*\d+(?:\.\d+)?\s*分"
)
_NAME_LIKE_RE: Final = re.compile(r"(满意度|满意率|完成率|合格率|率|数量|人数|次数)$")
_RATE_NAME_RE: Final = re.compile(r"(率|比例|占比|比重)$")
_GROWTH_RE: Final = re.compile(r"增长|增幅|增速|同比|环比|提高|提升|增加")
_NO_UNIT_OK_RE: Final = re.compile(r"指数|系数|倍数|得分|评分|分值|等级|星级|排名|名次|比值")
_SATISFACTION_RE: Final = re.compile(r"满意(度|率)")
_SURVEY_RE: Final = re.compile(r"调查|测评|问卷")
_COST_RE: Final = re.compile(r"成本|费用|单价|造价|经费|开支")
# 节约/降低成本 is a benefit (a saving), not a cost figure: 为企业降低物流成本, 节约运维费用.
_SAVING_RE: Final = re.compile(r"节约|节省|降低|减少|下降|压减|减轻|缩减|节支")
# Words that make an indicator ecological (生态效益指标 without any of them is misfiled).
_ECO_RE: Final = re.compile(
    r"生态|环境|环保|绿色|污染|排放|减排|清洁|"
    # air
    r"空气|大气|[PＰ][MＭ]\s*[0-9０-９]|颗粒物|臭氧|二氧化硫|氮氧化物|二氧化氮|挥发性有机物|"
    r"VOCs|AQI|优良天数|重污染天|蓝天|霾|扬尘|降尘|抑尘|粉尘|烟尘|油烟|异味|恶臭|负氧离子|"
    # water
    r"水质|水土|污水|水资源|水源|水体|水域|水环境|水生态|水系|黑臭|断面|饮用水|地下水|地表水|"
    r"化学需氧量|COD|氨氮|总磷|总氮|溶解氧|流域|入河|排污|海绵城市|雨污分流|再生水|中水|"
    r"蓝藻|赤潮|河|湖|湿地|海洋|海域|海岸|滩涂|节水|节约用水|用水量|"
    # soil
    r"土壤|耕地|农用地|污染地块|重金属|复垦|盐碱|沙化|荒漠|石漠化|地力|化肥|农药|地膜|农膜|"
    r"测土配方|有机肥|矿山|尾矿|"
    # carbon
    r"碳|温室气体|甲烷|CO\s*[2₂]|"
    # greening
    r"绿化|绿地|绿道|复绿|覆绿|森林|林|植被|造林|植树|种树|树木|苗木|古树|草地|草原|草坪|草场|"
    r"公园|"
    # energy saving
    r"节能|能耗|节电|节约用电|用电量|电耗|能效|能源|标准煤|标煤|燃煤|散煤|煤改|光伏|太阳能|"
    r"风电|风能|地热|可再生|"
    # waste
    r"垃圾|废|回收利用|资源化|无害化|减量化|循环利用|综合利用|再生资源|再利用|填埋|焚烧|"
    r"渗滤液|粪污|粪便|秸秆|厨余|餐厨|污泥|环卫|保洁|"
    # biodiversity
    r"生物|物种|珍稀|濒危|野生|栖息|保护区|保护地|自然保护|动植物|鸟类|候鸟|鱼类|鱼苗|"
    r"增殖放流|种质资源|外来入侵|禁渔|禁捕|退捕|珊瑚|"
    # noise, radiation
    r"噪声|噪音|声环境|分贝|辐射",
    re.IGNORECASE,
)
_TIME_RE: Final = re.compile(
    r"及时|按时|准时|时间|时限|时效|进度|期限|日前|月前|年前|年底|年末|月底|月末|季度|工作日|"
    r"天内|日内|小时|执行率|到位|当年|当月|每月|每年|每季|每周|每日|周期|截止|之前|以前|"
    r"按期|如期|限期|工期|逾期|时长|当日|当天|次日|即时|实时|年内|月内|上半年|下半年|"
    r"\d+\s*个?(年|月|日|天|周|小时|工作日)"
)
_TIME_UNIT_RE: Final = re.compile(r"^个?(工作日|小时|分钟|天|日|周|月|年|季度|秒)")
_PERCENT_MARKERS: Final = ("%", "％", "百分比", "百分点", "‰")
_COUNT_CHARS: Final = frozenset(
    "个家人次户篇场项件台辆套所座期批名位条份本册处间栋幢张棵头只艘架部"
)
_CACHE: Final = 8192  # memo size of the pure text helpers (names repeat across projects)
_UP: Final = frozenset({"≥", ">"})
_DOWN: Final = frozenset({"≤", "<"})


@lru_cache(maxsize=_CACHE)
def _norm(text: str | None) -> str:
    """Whitespace out, full-width brackets and % unified, trailing punctuation off."""
    if not text:
        return ""
    s = _WS_RE.sub("", text)
    s = s.replace("（", "(").replace("）", ")").replace("％", "%")
    return s.rstrip("。.;；,，")


@lru_cache(maxsize=_CACHE)
def _core_name(name: str | None) -> str:
    """The name without trailing bracket notes: ``人员到位率（%）`` -> ``人员到位率``."""
    s = _norm(name)
    while True:
        t = _TRAILING_BRACKET_RE.sub("", s)
        if t == s or not t:
            return s
        s = t


@lru_cache(maxsize=_CACHE)
def _name_unit(name: str | None) -> str | None:
    """A unit given in the name: ``受训学员满意度(%)`` -> ``%``; ``人均培训成本(元)`` -> ``元``."""
    m = _TRAILING_BRACKET_RE.search(_norm(name))
    if m and 0 < len(m.group(1)) <= 8 and not _DIGIT_RE.search(m.group(1)):
        return m.group(1)
    return None


@lru_cache(maxsize=_CACHE)
def _is_placeholder_text(text: str | None) -> bool:
    return bool(text) and bool(_PLACEHOLDER_RE.search(text or ""))


@lru_cache(maxsize=_CACHE)
def _is_percent(unit: str | None) -> bool:
    return bool(unit) and any(mark in unit for mark in _PERCENT_MARKERS)  # type: ignore[operator]


@lru_cache(maxsize=_CACHE)
def _is_count_unit(unit: str | None) -> bool:
    if not unit or "/" in unit or _is_percent(unit):
        return False
    u = unit.lstrip("十百千万亿")
    return bool(u) and u[0] in _COUNT_CHARS and not _TIME_UNIT_RE.match(u)


@lru_cache(maxsize=_CACHE)
def _is_time_unit(unit: str | None) -> bool:
    return bool(unit) and bool(_TIME_UNIT_RE.match(unit or ""))


@lru_cache(maxsize=_CACHE)
def _is_rate_name(name: str | None) -> bool:
    core = _core_name(name)
    if core.startswith("是否") or core.endswith("效率"):  # a yes/no question; efficiency
        return False
    return bool(_RATE_NAME_RE.search(core)) or _is_percent(_name_unit(name))


@lru_cache(maxsize=_CACHE)
def _is_count_name(name: str | None) -> bool:
    core = _core_name(name)
    if core.startswith("是否") or core.endswith(("质量", "指数", "系数", "分数", "函数")):
        return False
    return core.endswith(("数", "量", "频次", "次数"))


def _quantitative(t: Target | None) -> bool:
    return t is not None and t.kind == "quantitative" and t.value is not None


def _unit_key(t: Target, name: str | None) -> str | None:
    unit = t.base_unit or t.unit or _name_unit(name)
    if unit is None:
        return None
    return "%" if _is_percent(unit) else unit.strip()


def _label(ind: Indicator) -> str:
    """``第 2 项指标「培训人数」`` (the wording of the table checks' indicator findings)."""
    name = (ind.name or "").strip()
    head = f"第 {ind.seq} 项指标" if ind.seq is not None else "指标"
    return f"{head}「{name}」" if name else head


def _short(text: str, limit: int = 40) -> str:
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass(slots=True)
class _Value:
    label: str  # 实施周期 / 年度
    text: str
    target: Target | None


def _values(ind: Indicator) -> list[_Value]:
    out = []
    for label, text, target in (
        ("实施周期", ind.period_value, ind.period_target),
        ("年度", ind.annual_value, ind.annual_target),
    ):
        raw = (text if text is not None else (target.raw if target else "")) or ""
        if raw.strip():
            out.append(_Value(label, raw.strip(), target))
    return out


def _is_placeholder(v: _Value) -> bool:
    return (v.target is not None and v.target.kind == "placeholder") or _is_placeholder_text(v.text)


class _Reasons:
    """Reasons for one finding; the same reason for both values is written once."""

    def __init__(self) -> None:
        self._items: dict[str, list[str]] = {}

    def add(self, reason: str, label: str | None = None) -> None:
        labels = self._items.setdefault(reason, [])
        if label and label not in labels:
            labels.append(label)

    def __bool__(self) -> bool:
        return bool(self._items)

    def text(self) -> str:
        parts = []
        for reason, labels in self._items.items():
            parts.append(f"{reason}（{'、'.join(labels)}）" if labels else reason)
        return "；".join(parts)


# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------


def _vague_reasons(ind: Indicator, values: list[_Value], words: Sequence[str]) -> _Reasons:
    reasons = _Reasons()
    name_norm, core = _norm(ind.name), _core_name(ind.name)
    for v in values:
        if _is_placeholder(v):
            continue
        text_norm = _norm(v.text)
        quantitative = v.target is not None and v.target.kind in ("quantitative", "deadline")
        no_digit = not _DIGIT_RE.search(v.text)
        if _SCORING_RE.search(v.text):
            reasons.add(f"指标值「{_short(v.text)}」是评分规则，不是目标值", v.label)
            continue
        if name_norm and text_norm in (name_norm, core):
            reasons.add("指标值重复了指标名称，没有给出目标", v.label)
            continue
        t = v.target
        if (
            t is not None
            and t.kind == "quantitative"
            and t.value is not None
            and _is_percent(t.unit)
            and not _GROWTH_RE.search(core)
            and ((t.op in ("≤", "<") and t.value >= 100) or (t.op in ("≥", ">") and t.value <= 0))
        ):
            reasons.add(f"指标值「{_short(v.text)}」对百分比恒成立，没有约束力", v.label)
            continue
        if quantitative:
            continue
        if no_digit and len(text_norm) <= 20 and _NAME_LIKE_RE.search(text_norm):
            reasons.add(f"指标值「{_short(v.text)}」是一个指标名称，不是目标值", v.label)
            continue
        hits = [w for w in words if w in v.text] if no_digit else []
        if hits:
            word = max(hits, key=len)
            reasons.add(f"指标值「{_short(v.text)}」为模糊表述（含「{word}」），不可衡量", v.label)
            continue
        if no_digit and (
            _is_rate_name(ind.name) or _is_count_name(ind.name) or _level2(ind) == "数量指标"
        ):
            reasons.add(
                f"比率或数量类指标应填写可量化的目标值，实际为「{_short(v.text)}」", v.label
            )
    return reasons


def _has_time(ind: Indicator, values: list[_Value]) -> bool:
    for v in values:
        if v.target is not None and (v.target.kind == "deadline" or _is_time_unit(v.target.unit)):
            return True
        if _TIME_RE.search(v.text):
            return True
    return bool(_TIME_RE.search(ind.name or ""))


def _misfiled_reasons(ind: Indicator, values: list[_Value]) -> _Reasons:
    reasons = _Reasons()
    name = _norm(ind.name)
    if not name or _is_placeholder_text(ind.name):
        return reasons
    l1, l2 = _level1(ind), _level2(ind)
    if name in _CATEGORY_AS_NAME:
        reasons.add(f"三级指标名称「{ind.name}」是指标类别名称，未写明具体指标")
    if _SATISFACTION_RE.search(name) and not _SURVEY_RE.search(name) and l1 and l1 != "满意度指标":
        where = l2 or l1
        reasons.add(f"满意度类指标归入了「{where}」，应归入满意度指标")
    if l2 == "经济效益指标" and _COST_RE.search(name) and not _SAVING_RE.search(name):
        reasons.add("成本类指标归入了经济效益指标，应归入成本指标")
    if l2 == "时效指标" and not _has_time(ind, values):
        reasons.add("时效指标没有时间要素（期限、时长或及时率、进度等）")
    if l2 == "生态效益指标":
        texts = " ".join([ind.name or "", *(v.text for v in values)])
        if not _ECO_RE.search(texts):
            reasons.add("生态效益指标与生态环境无关")
    return reasons


def _unit_reasons(ind: Indicator, values: list[_Value]) -> _Reasons:
    reasons = _Reasons()
    rate = _is_rate_name(ind.name)
    name_unit = _name_unit(ind.name)
    core = _core_name(ind.name)
    for v in values:
        t = v.target
        if not _quantitative(t) or _is_placeholder(v):
            continue
        assert t is not None and t.value is not None
        unit = t.unit or name_unit
        if rate:
            if unit is None:
                reasons.add(f"比率类指标的指标值「{_short(v.text)}」缺少%", v.label)
                continue
            if _is_count_unit(unit):
                reasons.add(
                    f"比率类指标使用了计数单位「{unit}」（「{_short(v.text)}」），应为%", v.label
                )
                continue
            if not _is_percent(unit):
                reasons.add(f"比率类指标的计量单位应为%，实际为「{unit}」", v.label)
                continue
        if (
            _is_percent(unit)
            and not _GROWTH_RE.search(core)
            and ((t.op == "≥" and t.value > 100) or (t.op == ">" and t.value >= 100))
        ):
            reasons.add(f"百分比目标「{_short(v.text)}」超过100%", v.label)
            continue
        if not rate and unit is None and not _NO_UNIT_OK_RE.search(core):
            reasons.add(f"指标值「{_short(v.text)}」缺少计量单位", v.label)
    return reasons


def _direction(op: str | None) -> str | None:
    if op in _UP:
        return "up"
    if op in _DOWN:
        return "down"
    return "eq" if op == "=" else None


def _period_reasons(ind: Indicator) -> _Reasons:
    reasons = _Reasons()
    p, a = ind.period_target, ind.annual_target
    if not (_quantitative(p) and _quantitative(a)):
        return reasons
    assert p is not None and a is not None
    pu, au = _unit_key(p, ind.name), _unit_key(a, ind.name)
    pd, ad = _direction(p.op), _direction(a.op)
    if pu and au and pu != au:
        reasons.add(
            f"实施周期指标值「{_short(p.raw or str(p.value))}」与年度指标值"
            f"「{_short(a.raw or str(a.value))}」计量单位不一致（{pu} / {au}）"
        )
    elif {pd, ad} == {"up", "down"}:
        reasons.add(f"实施周期指标值为「{p.op}」而年度指标值为「{a.op}」，方向相反")
    elif (
        pd in ("up", "eq")
        and ad in ("up", "eq")
        and not _is_rate_name(ind.name)
        and _is_count_unit(p.unit or a.unit)
    ):
        pv = p.base_value if p.base_value is not None else p.value
        av = a.base_value if a.base_value is not None else a.value
        if pv is not None and av is not None and av > pv:
            reasons.add(
                f"年度目标（{_short(a.raw or str(av))}）大于实施周期目标"
                f"（{_short(p.raw or str(pv))}），年度目标应是实施周期目标的一部分"
            )
    return reasons


def _category_text(ind: Indicator) -> str:
    code = ind.level2_code or ""
    name = _level2(ind) or ind.level2 or ""
    return f"{code}-{name}" if code else name


@dataclass(slots=True)
class _Emitter:
    rules: AuditRules
    out: list[Finding]
    location: dict[str, Any] | None = None  # sheet/cell/row/project/unit (audit_project)

    def emit(
        self,
        rule: str,
        message: str,
        *,
        seq: int | None = None,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        f = rule_finding(
            rule,
            severity=self.rules.severity(rule),
            message=message,
            indicator=seq,
            expected=expected,
            actual=actual,
            **(self.location or {}),
        )
        self.out.append(share_fields_set(f))


# What the per-indicator rules say about one indicator, without its label (序号 and name of
# the project): (rule, message after the label, ``actual``) in rule order.
_IndicatorResult = tuple[tuple[str, str, str | None], ...]


def _indicator_results(
    ind: Indicator, words: Sequence[str], on: dict[str, bool], new_scheme: bool
) -> _IndicatorResult:
    values = _values(ind)
    out: list[tuple[str, str, str | None]] = []
    if on[VAGUE]:
        r = _vague_reasons(ind, values, words)
        if r:
            out.append((VAGUE, f"：{r.text()}", None))
    if on[MISFILED]:
        r = _misfiled_reasons(ind, values)
        if r:
            category = " / ".join(filter(None, [_level1(ind), _category_text(ind)]))
            out.append((MISFILED, f"（{category}）：{r.text()}", category))
    if on[UNIT]:
        r = _unit_reasons(ind, values)
        if r:
            out.append((UNIT, f"：{r.text()}", None))
    if on[PERIOD]:
        r = _period_reasons(ind)
        if r:
            out.append((PERIOD, f"：{r.text()}", None))
    if on[LEGACY] and new_scheme and _is_legacy(ind):
        ct = _category_text(ind)
        out.append(
            (
                LEGACY,
                f"使用了旧体系类别「{ct}」，而本表已采用2021年体系（成本指标单列为一级指标）",
                ct,
            )
        )
    return tuple(out)


#: Entries of one generation of the per-table memo of indicator results (at most two
#: generations are kept: bounded memory when the projects are audited one at a time and
#: dropped, see :class:`TableAudit`).
MEMO_LIMIT: Final = 8192

# memo key -> (results, the targets whose ids are in the key: kept alive with the entry)
_MemoEntry = tuple[_IndicatorResult, tuple[Any, Any]]


class _Memo:
    """Per-indicator results of one table, bounded: a full generation becomes the old one
    (the one before it is dropped); an entry found in the old generation moves to the new."""

    __slots__ = ("limit", "new", "old")

    def __init__(self, limit: int | None = None) -> None:
        self.new: dict[tuple[Any, ...], _MemoEntry] = {}
        self.old: dict[tuple[Any, ...], _MemoEntry] = {}
        self.limit = limit if limit is not None else MEMO_LIMIT

    def get_old(self, key: tuple[Any, ...]) -> _MemoEntry | None:
        """An entry of the old generation (moved to the new one), after ``new.get`` missed."""
        if not self.old:
            return None
        entry = self.old.pop(key, None)
        if entry is not None:
            self.put(key, entry)
        return entry

    def put(self, key: tuple[Any, ...], entry: _MemoEntry) -> None:
        if len(self.new) >= self.limit:
            self.old, self.new = self.new, {}
        self.new[key] = entry

    def __len__(self) -> int:
        return len(self.new) + len(self.old)


def _memo_key(ind: Indicator) -> tuple[Any, ...]:
    """Everything :func:`_indicator_results` reads of ``ind`` (not its 序号 or raw text).

    Targets by identity (hashing a pydantic model is a Python call; the parser's target cache
    hands out one object per value text): valid because each memo entry holds its two targets,
    so their ids cannot be reused by other objects while the entry exists."""
    return (
        ind.name,
        ind.level1,
        ind.level1_code,
        ind.level2,
        ind.level2_code,
        ind.legacy,
        ind.period_value,
        ind.annual_value,
        id(ind.period_target),
        id(ind.annual_target),
    )


def audit_indicators(
    indicators: Sequence[Indicator],
    rules: AuditRules | None = None,
    *,
    new_scheme: bool | None = None,
    project_name: str | None = None,
    project_row: int | None = None,
) -> list[Finding]:
    """Audit one project's indicators. Findings carry no location (see :func:`audit_project`);
    with ``project_name`` (and ``project_row``) the messages start with 第N行项目「…」.

    ``new_scheme``: whether the table uses the 2021 scheme (成本指标 as level 1), for
    ``indicator-legacy``; None = decide from these indicators alone.
    """
    return _audit(indicators, rules, new_scheme, project_name, project_row, None, None)


def _audit(
    indicators: Sequence[Indicator],
    rules: AuditRules | None,
    new_scheme: bool | None,
    project_name: str | None,
    project_row: int | None,
    location: dict[str, Any] | None,
    memo: _Memo | None,
) -> list[Finding]:
    """:func:`audit_indicators`; ``location`` = the fields every finding gets (set at
    construction), ``memo`` = per-indicator results already computed in this table (names and
    values repeat across projects; the key holds every field the rules read)."""
    rules = rules or default_rules()
    em = _Emitter(rules, [], location)
    who = f"项目「{project_name}」" if project_name else ""
    if who and project_row is not None:
        who = f"第{project_row}行{who}"

    def label(ind: Indicator) -> str:
        return who + _label(ind)

    if rules.enabled(COVERAGE) and rules.required_categories:
        present = {c for ind in indicators for c in (_level1(ind), _level2(ind)) if c}
        have = "、".join(sorted({c for ind in indicators if (c := _level1(ind))})) or "无"
        for required in rules.required_categories:
            if required not in present:
                em.emit(
                    COVERAGE,
                    f"{who or '项目'}缺少{required}（现有一级指标：{have}）",
                    expected=required,
                    actual=have,
                )

    if rules.enabled(DUPLICATE):
        first_seen: dict[str, Indicator] = {}
        for ind in indicators:
            key = _norm(ind.name)
            if not key or _is_placeholder_text(ind.name):
                continue
            if key in first_seen:
                first = first_seen[key]
                em.emit(
                    DUPLICATE,
                    f"{label(ind)}与第 {first.seq} 项三级指标名称重复",
                    seq=ind.seq,
                    actual=ind.name,
                )
            else:
                first_seen[key] = ind

    if new_scheme is None:
        new_scheme = any(_is_new_scheme(ind) for ind in indicators)

    on = {rule: rules.enabled(rule) for rule in QUALITY_RULES}
    words = rules.vague_words
    for ind in indicators:
        if memo is None:
            results = _indicator_results(ind, words, on, new_scheme)
        else:
            key = _memo_key(ind)
            entry = memo.new.get(key) or memo.get_old(key)
            if entry is None:
                results = _indicator_results(ind, words, on, new_scheme)
                memo.put(key, (results, (ind.period_target, ind.annual_target)))
            else:
                results = entry[0]
        if results:
            head = label(ind)
            for rule, tail, actual in results:
                em.emit(rule, head + tail, seq=ind.seq, actual=actual)

    em.out.sort(key=lambda f: (f.indicator or 0, _RULE_ORDER[f.rule]))
    return em.out


def audit_project(
    project: Project,
    rules: AuditRules | None = None,
    *,
    table: Table | None = None,
    unit: Unit | None = None,
    new_scheme: bool | None = None,
) -> list[Finding]:
    """Audit one project; findings point at its 绩效指标 cell (``table.columns["indicators"]``
    and ``project.row``) and carry the project and unit names."""
    return _audit_project(project, rules, table, unit, new_scheme, None)


def _audit_project(
    project: Project,
    rules: AuditRules | None,
    table: Table | None,
    unit: Unit | None,
    new_scheme: bool | None,
    memo: _Memo | None,
) -> list[Finding]:
    column = table.columns.get("indicators") if table is not None else None
    grid = table is not None and column is None and table.layout != "packed"
    if grid:
        assert table is not None
        column = table.columns.get("level3")
    location = {
        "sheet": table.sheet if table is not None else None,
        "cell": f"{column}{project.row}" if column else None,
        "row": project.row,
        "project": project.name,
        "unit": unit.name if unit is not None else None,
    }
    found = _audit(project.indicators, rules, new_scheme, project.name, project.row, location,
                   memo)  # fmt: skip
    if grid:  # a grid indicator's finding points at the indicator's own row
        rows = {i.seq: i.row for i in project.indicators if i.row is not None}
        found = [
            f.model_copy(update={"row": rows[f.indicator],
                                 "cell": f"{column}{rows[f.indicator]}" if column else None})
            if f.indicator in rows else f
            for f in found
        ]  # fmt: skip
    return found


def audit_table(table: Table, rules: AuditRules | None = None) -> list[Finding]:
    """The quality findings of every project of ``table`` (does not modify ``table``)."""
    new_scheme = any(
        _is_new_scheme(i) for u in table.units for p in u.projects for i in p.indicators
    )
    audit = TableAudit(table, rules, new_scheme=new_scheme)
    out: list[Finding] = []
    for unit in table.units:
        for project in unit.projects:
            out.extend(audit.project(unit, project))
    return out


def is_new_scheme(indicators: Iterable[Indicator]) -> bool:
    """Whether any of ``indicators`` uses the 2021 scheme (成本指标 as level 1)."""
    return any(_is_new_scheme(ind) for ind in indicators)


class TableAudit:
    """The audit of one table, one project at a time (:meth:`project`), in table order.

    ``indicator-legacy`` depends on the whole table (is any indicator in the 2021 scheme?).
    With ``new_scheme`` given, that is the answer. With ``new_scheme=None`` the findings are
    computed as if the table were new-scheme and :meth:`keep` says, once every project was
    audited, which findings stand: the legacy ones only if some indicator turned out to be
    new-scheme (removing them from a project's findings gives exactly the findings computed
    with ``new_scheme=False``: no other rule reads the flag and the order is a stable sort).
    The memo of per-indicator results is bounded (:data:`MEMO_LIMIT`).
    """

    def __init__(
        self, table: Table, rules: AuditRules | None = None, *, new_scheme: bool | None = None
    ) -> None:
        self.table = table
        self.rules = rules or default_rules()
        self.new_scheme = new_scheme
        self.seen_new_scheme = False
        self._memo = _Memo()

    @property
    def speculative(self) -> bool:
        """Whether :meth:`keep` may drop findings (``indicator-legacy`` computed speculatively)."""
        return self.new_scheme is None and self.rules.enabled(LEGACY)

    def project(self, unit: Unit | None, project: Project) -> list[Finding]:
        """The audit findings of one project (with the speculative legacy ones, see above)."""
        if self.new_scheme is None and not self.seen_new_scheme:
            self.seen_new_scheme = is_new_scheme(project.indicators)
        flag = self.new_scheme if self.new_scheme is not None else True
        return _audit_project(project, self.rules, self.table, unit, flag, self._memo)

    def keep(self, finding: Finding) -> bool:
        """After the last project: whether ``finding`` (from :meth:`project`) stands."""
        return self.keep_rule(finding.rule)

    def keep_rule(self, rule: str) -> bool:
        """:meth:`keep` for a finding of rule ``rule``."""
        return self.new_scheme is not None or self.seen_new_scheme or rule != LEGACY


# --------------------------------------------------------------------------------------------
# Per-project summary: counts and the 指标质量 score
# --------------------------------------------------------------------------------------------


def project_findings(findings: Iterable[Finding], project: Project) -> list[Finding]:
    """The findings that belong to ``project`` (same name and row)."""
    return [
        f for f in findings if f.project == project.name and (f.row is None or f.row == project.row)
    ]


def quality_counts(findings: Iterable[Finding], project: Project | None = None) -> dict[str, int]:
    """Number of findings per audit rule (all seven ids, zeros included), optionally only those
    of ``project``."""
    selected = project_findings(findings, project) if project is not None else list(findings)
    counts = dict.fromkeys(QUALITY_RULES, 0)
    for f in selected:
        if f.rule in counts:
            counts[f.rule] += 1
    return counts


def _indicator_ok(ind: Indicator) -> bool:
    if _is_placeholder_text(ind.name):
        return False
    values = _values(ind)
    if not values:
        return False
    for v in values:
        if _is_placeholder(v) or (v.target is not None and v.target.kind == "empty"):
            return False
    return True


def quality_score(
    project: Project, findings: Iterable[Finding], rules: AuditRules | None = None
) -> int:
    """指标质量 (0–100) of one project, from its indicators and findings.

    ``round(70 × 合格指标数 / 指标数 + 30 × 已覆盖的必备类别数 / 必备类别数)``:

    - an indicator is 合格 unless a ``warning``/``error`` finding of an ``indicator-*`` rule
      names it (``Finding.indicator`` = its 序号) or its name or a value is a placeholder
      (待单位补充…) or missing;
    - 必备类别 are ``rules.required_categories`` (产出/效益/满意度指标 by default); the coverage
      term is 30 when ``indicator-coverage`` is disabled or nothing is required;
    - a project without indicators scores 0.

    ``findings`` may be the project's findings or a whole table's (filtered by project name and
    row); findings of other projects are ignored.
    """
    rules = rules or default_rules()
    indicators = project.indicators
    if not indicators:
        return 0
    flagged = {
        f.indicator
        for f in project_findings(findings, project)
        if f.indicator is not None
        and f.severity in ("error", "warning")
        and f.rule.startswith("indicator-")
    }
    good = sum(1 for ind in indicators if ind.seq not in flagged and _indicator_ok(ind))
    required = rules.required_categories if rules.enabled(COVERAGE) else ()
    if required:
        present = {c for ind in indicators for c in (_level1(ind), _level2(ind)) if c}
        coverage = sum(1 for c in required if c in present) / len(required)
    else:
        coverage = 1.0
    score = 70 * good / len(indicators) + 30 * coverage
    return max(0, min(100, int(score + 0.5)))
