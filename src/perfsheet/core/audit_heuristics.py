"""What the quality rules look for in one indicator: the heuristics of the audit.

Pure functions of one :class:`~perfsheet.core.models.Indicator` (its names, categories and
values), used by :mod:`perfsheet.core.audit`, which runs them over a table with its settings and
turns their reasons into findings:

* categories: the canonical level-1/level-2 names of an indicator (:func:`canonical_level1`,
  :func:`canonical_level2`), the old (14 成本 / 24 可持续影响) and the 2021 scheme;
* text: names and values normalized, placeholders, rates, counts, units, time words;
* the per-indicator rules: :func:`vague_reasons` (``indicator-vague``),
  :func:`misfiled_reasons` (``indicator-misfiled``), :func:`unit_reasons` (``indicator-unit``),
  :func:`period_reasons` (``indicator-period``), each a :class:`Reasons` (empty: nothing found).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

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
from perfsheet.core.models import Indicator, Target

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


def canonical_category(name: str | None) -> str | None:
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
    return level1_name(code) or canonical_category(name) or name


@lru_cache(maxsize=1024)
def _level2_of(code: str | None, name: str | None) -> str | None:
    return level2_name(code) or canonical_category(name) or name


def canonical_level1(ind: Indicator) -> str | None:
    """The canonical 一级指标 of ``ind`` (from its code, else its written name)."""
    return _level1_of(ind.level1_code, ind.level1)


def canonical_level2(ind: Indicator) -> str | None:
    """The canonical 二级指标 of ``ind`` (from its code, else its written name)."""
    return _level2_of(ind.level2_code, ind.level2)


def is_legacy_category(ind: Indicator) -> bool:
    """Whether ``ind`` is filed under an old-scheme category (14 成本 / 24 可持续影响)."""
    if ind.legacy or is_legacy(ind.level2_code):
        return True
    l2 = canonical_level2(ind)
    return l2 == "可持续影响指标" or (l2 == "成本指标" and canonical_level1(ind) == "产出指标")


def uses_new_scheme(ind: Indicator) -> bool:
    """Whether ``ind`` is filed under the 2021 scheme (成本指标 as level 1)."""
    return (
        canonical_level1(ind) == "成本指标"
        or ind.level2_code in _NEW_SCHEME_LEVEL2
        or canonical_level2(ind) in ("经济成本指标", "社会成本指标", "生态环境成本指标")
    )


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
def norm_text(text: str | None) -> str:
    """Whitespace out, full-width brackets and % unified, trailing punctuation off."""
    if not text:
        return ""
    s = _WS_RE.sub("", text)
    s = s.replace("（", "(").replace("）", ")").replace("％", "%")
    return s.rstrip("。.;；,，")


@lru_cache(maxsize=_CACHE)
def _core_name(name: str | None) -> str:
    """The name without trailing bracket notes: ``人员到位率（%）`` -> ``人员到位率``."""
    s = norm_text(name)
    while True:
        t = _TRAILING_BRACKET_RE.sub("", s)
        if t == s or not t:
            return s
        s = t


@lru_cache(maxsize=_CACHE)
def _name_unit(name: str | None) -> str | None:
    """A unit given in the name: ``受训学员满意度(%)`` -> ``%``; ``人均培训成本(元)`` -> ``元``."""
    m = _TRAILING_BRACKET_RE.search(norm_text(name))
    if m and 0 < len(m.group(1)) <= 8 and not _DIGIT_RE.search(m.group(1)):
        return m.group(1)
    return None


@lru_cache(maxsize=_CACHE)
def is_placeholder_text(text: str | None) -> bool:
    """Whether ``text`` is a placeholder (待单位补充…, or only dots)."""
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


def indicator_label(ind: Indicator) -> str:
    """``第 2 项指标「培训人数」`` (the wording of the table checks' indicator findings)."""
    name = (ind.name or "").strip()
    head = f"第 {ind.seq} 项指标" if ind.seq is not None else "指标"
    return f"{head}「{name}」" if name else head


def _short(text: str, limit: int = 40) -> str:
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass(slots=True)
class IndicatorValue:
    """One value of an indicator: its label, its text and its parsed target."""

    label: str  # 实施周期 / 年度
    text: str
    target: Target | None


def indicator_values(ind: Indicator) -> list[IndicatorValue]:
    """The non-blank values of ``ind``: 实施周期, then 年度."""
    out = []
    for label, text, target in (
        ("实施周期", ind.period_value, ind.period_target),
        ("年度", ind.annual_value, ind.annual_target),
    ):
        raw = (text if text is not None else (target.raw if target else "")) or ""
        if raw.strip():
            out.append(IndicatorValue(label, raw.strip(), target))
    return out


def is_placeholder_value(v: IndicatorValue) -> bool:
    """Whether a value is a placeholder (parsed as one, or by its text)."""
    return (v.target is not None and v.target.kind == "placeholder") or is_placeholder_text(v.text)


class Reasons:
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


def vague_reasons(ind: Indicator, values: list[IndicatorValue], words: Sequence[str]) -> Reasons:
    """``indicator-vague``: values that set no measurable target (``words``: the vague words)."""
    reasons = Reasons()
    name_norm, core = norm_text(ind.name), _core_name(ind.name)
    for v in values:
        if is_placeholder_value(v):
            continue
        text_norm = norm_text(v.text)
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
            _is_rate_name(ind.name)
            or _is_count_name(ind.name)
            or canonical_level2(ind) == "数量指标"
        ):
            reasons.add(
                f"比率或数量类指标应填写可量化的目标值，实际为「{_short(v.text)}」", v.label
            )
    return reasons


def _has_time(ind: Indicator, values: list[IndicatorValue]) -> bool:
    for v in values:
        if v.target is not None and (v.target.kind == "deadline" or _is_time_unit(v.target.unit)):
            return True
        if _TIME_RE.search(v.text):
            return True
    return bool(_TIME_RE.search(ind.name or ""))


def misfiled_reasons(ind: Indicator, values: list[IndicatorValue]) -> Reasons:
    """``indicator-misfiled``: an indicator filed under a category that does not fit it."""
    reasons = Reasons()
    name = norm_text(ind.name)
    if not name or is_placeholder_text(ind.name):
        return reasons
    l1, l2 = canonical_level1(ind), canonical_level2(ind)
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


def unit_reasons(ind: Indicator, values: list[IndicatorValue]) -> Reasons:
    """``indicator-unit``: a unit that does not fit the indicator (rates, counts, above 100%)."""
    reasons = Reasons()
    rate = _is_rate_name(ind.name)
    name_unit = _name_unit(ind.name)
    core = _core_name(ind.name)
    for v in values:
        t = v.target
        if not _quantitative(t) or is_placeholder_value(v):
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


def period_reasons(ind: Indicator) -> Reasons:
    """``indicator-period``: the 实施周期 and 年度 targets disagree (unit, direction, size)."""
    reasons = Reasons()
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


def category_text(ind: Indicator) -> str:
    """The 二级指标 as findings show it: ``code-name`` (canonical name), the name alone without
    a code."""
    code = ind.level2_code or ""
    name = canonical_level2(ind) or ind.level2 or ""
    return f"{code}-{name}" if code else name
