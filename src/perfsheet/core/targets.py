"""``parse_target``: one 指标值 (target value) -> :class:`~perfsheet.core.models.Target`.

Lexicon: domain notes §3.2 and §7.2. Decisions (also the contract for the summary and audit):

Kinds, tried in this order
    ``empty`` (nothing but whitespace/punctuation), ``placeholder`` (待单位补充..., 待补充, 待定,
    暂无, ``XX``/``**`` number placeholders, a lone ``-``/``/``/``…``), ``deadline``
    (每月5日前, 12月31日前, 2025年6月30日前完成, 在…时间内完成), ``quantitative``, otherwise
    ``qualitative`` (合规, 提升, 是, 完成, 较好及以上, and prose).

Quantitative grammar (after a trailing ``。``/``；`` is dropped)
    ``[subject] [pre-op] number [unit] [post-op] [(note)…] [即达标|达标|即可|为宜|左右]``

    - ``pre-op``: ≥ ``≥ >= ＞＝ ≧ 大于等于 大于或等于 不低于 不少于 不小于 至少``
      and ``不少`` + digit (a typo); ≤ ``≤ <= ＜＝ ≦ 小于等于 小于或等于 不高于 不超过 不多于
      不大于 最多 至多 控制在`` and ``不超`` + digit;
      > ``> ＞ 高于 超过 大于 多于``; < ``< ＜ 低于 小于 少于 不满 不足``; = ``= ＝ 等于``;
      ≥ (ambiguous) ``达到 达(+digit)``; ``±`` -> ≤ on the absolute value (ambiguous).
    - ``post-op``: ``以上 及以上`` -> ≥ and ``以下 及以下`` -> ≤, both **ambiguous** (公文 usage,
      §3.1); ``以内 之内 内`` -> ≤ (not ambiguous, 民法典 §1259 includes the number). A pre-op wins
      over a post-op (``不低于95%以上`` is ≥, not ambiguous).
    - ``高于`` is ``>`` but flagged ambiguous (authors often mean ≥, §3.2); the other
      ``>``/``<`` words are not.
    - No operator at all (a bare number ``78个``, ``100%``): op ``=``, ``implicit_op`` and
      ``ambiguous`` both true.
    - A *subject* before the operator is allowed (``完成率达到100%``, ``每月不少于1次``,
      ``保障办公人员≥4人``, ``采购率大于80%即达标``) but only with an explicit operator (or when it
      ends with ``:``/``：`` as in ``贫困村帮扶户数：≥18户``) and without clause punctuation
      ``，,。；;``. So prose that merely contains a number is qualitative:
      ``实现30个工作在这方面的制度…``, ``按照35人需求，租用宿舍``, ``一个指挥部``, and a
      scoring rule such as ``满意度指标低于90%不得分，大于等于90%得满分``.
    - A note in parentheses after the value is allowed: ``≥3%（含广清、广佛、广德产业园）``.
    - Ranges (``90%-95%``, ``10~20个``, ``2023.07-2024.01``) are qualitative.

Numbers and units
    ``value`` is the number as written (thousands separators removed), ``unit`` the unit as
    written (``万人``, ``元/人``, ``个工作日``, ``个镇``, ``％``, ``百分比``) or None (``≥390``).
    ``base_value`` / ``base_unit`` are normalized: a leading multiplier ``万`` ×10⁴, ``亿`` ×10⁸,
    ``万亿`` ×10¹², ``百万`` ×10⁶, ``千万`` ×10⁷ is applied and dropped (``≥1.4万人`` -> 14000 人,
    ``≥5亿元`` -> 5e8 元, ``250万`` -> 2500000 with base_unit None); ``％``/``百分比`` -> ``%``;
    ``平米``/``㎡`` -> ``平方米``. ``千`` is *not* a multiplier (千米, 千克). Products are
    exact (decimal arithmetic).

Several targets in one value (``保障办公人员≥4人；租用1台公务车辆``)
    The value is split at ``；`` ``;`` ``。`` outside parentheses; the Target describes the
    **first quantitative part** (else the first deadline part), is marked ``ambiguous``, and
    ``raw`` keeps the whole value. :func:`analyze_target` also returns ``multi=True`` so the
    indicator parser attaches the warning "指标值含多个目标，取第一个定量目标". A value whose
    parts are all qualitative is one qualitative target (no warning).

Deadlines
    kind ``deadline``, op ``≤``, value/unit None (the date itself stays in ``raw``).

Caching
    :func:`analyze_target` is an ``lru_cache`` on the cleaned value string (Target is frozen). The
    indicator parser calls it with already-cleaned values; :func:`parse_target` cleans first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel

from .models import Op, Target
from .text import clean_text

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "MULTI_TARGET_WARNING",
    "analyze_target",
    "fast_constructor",
    "parse_target",
]

MULTI_TARGET_WARNING = "指标值含多个目标，取第一个定量目标"

# --- operator lexicon -------------------------------------------------------------------------
# (word, op, ambiguous, needs a digit right after). Longer and more specific words first.
_PRE_OPS: list[tuple[str, Op, bool, bool]] = [
    ("大于或等于", "≥", False, False),
    ("大于等于", "≥", False, False),
    ("不低于", "≥", False, False),
    ("不少于", "≥", False, False),
    ("不小于", "≥", False, False),
    ("不少", "≥", False, True),  # typo seen in the seed: 不少1次
    ("至少", "≥", False, False),
    (">=", "≥", False, False),
    ("＞＝", "≥", False, False),
    (">＝", "≥", False, False),
    ("＞=", "≥", False, False),
    ("≥", "≥", False, False),
    ("≧", "≥", False, False),
    ("小于或等于", "≤", False, False),
    ("小于等于", "≤", False, False),
    ("不高于", "≤", False, False),
    ("不超过", "≤", False, False),
    ("不多于", "≤", False, False),
    ("不大于", "≤", False, False),
    ("不超", "≤", False, True),
    ("最多", "≤", False, False),
    ("至多", "≤", False, False),
    ("控制在", "≤", False, False),
    ("<=", "≤", False, False),
    ("＜＝", "≤", False, False),
    ("<＝", "≤", False, False),
    ("＜=", "≤", False, False),
    ("≤", "≤", False, False),
    ("≦", "≤", False, False),
    ("高于", ">", True, False),  # authors often mean ≥ (domain §3.2)
    ("超过", ">", False, False),
    ("大于", ">", False, False),
    ("多于", ">", False, False),
    (">", ">", False, False),
    ("＞", ">", False, False),
    ("低于", "<", False, False),
    ("小于", "<", False, False),
    ("少于", "<", False, False),
    ("不满", "<", False, False),
    ("不足", "<", False, False),
    ("<", "<", False, False),
    ("＜", "<", False, False),
    ("等于", "=", False, False),
    ("==", "=", False, False),
    ("=", "=", False, False),
    ("＝", "=", False, False),
    ("达到", "≥", True, False),
    ("达", "≥", True, True),
    ("±", "≤", True, False),  # |x| ≤ value
    ("+/-", "≤", True, False),
]
_PRE_OP_INFO: dict[str, tuple[Op, bool]] = {w: (op, amb) for w, op, amb, _ in _PRE_OPS}
_PRE_OP_RE = "|".join(re.escape(w) + (r"(?=\s*\d)" if digit else "") for w, _, _, digit in _PRE_OPS)
_POST_OP_INFO: dict[str, tuple[Op, bool]] = {
    "及以上": ("≥", True),
    "或以上": ("≥", True),
    "以上": ("≥", True),
    "及以下": ("≤", True),
    "或以下": ("≤", True),
    "以下": ("≤", True),
    "以内": ("≤", False),
    "之内": ("≤", False),
    "内": ("≤", False),
}
_POST_OP_RE = "及以上|或以上|以上|及以下|或以下|以下|以内|之内|内"

# possessive digit runs: a 10,000-digit "number" must not make the regexes backtrack
_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})++|\d++)(?:\.\d++)?|[-+]?\.\d++"
_UNIT = (
    r"[%％‰]|百分比|百分点"
    r"|[A-Za-z\u4e00-\u9fff㎡㎞²³]{1,6}?(?:[/／][A-Za-z\u4e00-\u9fff㎡²³·]{1,4}?)?"
)
_NOTE = r"(?:\s*[（(][^（）()]*[）)])*"
_TAIL = r"(?:即达标|即为达标|为达标|达标|即可|为宜|左右)?"

# The number and everything after it up to the end: unit, post-op, notes, tail words.
_CORE_RE = re.compile(
    rf"(?<![\d.])(?P<num>{_NUM})\s*"
    rf"(?P<unit>{_UNIT})?\s*"
    rf"(?P<post>{_POST_OP_RE})?"
    rf"(?P<note>{_NOTE})\s*"
    rf"(?P<tail>{_TAIL})$",
)
# An operator right before the number (searched only in the last few characters before it).
_PRE_OP_END_RE = re.compile("(?:" + "|".join(re.escape(w) for w, _, _, _ in _PRE_OPS) + r")[ \t]*$")
_PRE_OP_WINDOW = 8

_RANGE_RE = re.compile(
    rf"(?<![\d.,])(?:{_NUM})\s*[^\s\d达]{{0,4}}?\s*(?:[-~～—–]|至|到)\s*(?:{_NUM})"
)

_PLACEHOLDER_RE = re.compile(
    r"^(?:待[^，,。；;]{0,8}?(?:补充|填写|填报|完善|确定|明确|核定)|待定|暂无|暂缺|未填写?|"
    r"[-—–/\\_]+|[.。…·]+|[?？]+|[xX×*＊#]+)[.。…·\s]*$"
    r"|[xX×＊*]{2,}|(?<![A-Za-z])[xX]{1,3}(?=\s*[%％个人次万元家篇天项])"
)

_DEADLINE_RE = re.compile(
    r"^(?=[^\d]*\d|每)(?:每(?:个)?(?:日|天|周|星期|月|季度|季|半年|年度?)|\d{4}\s*年)?\s*"
    r"(?:\d{1,2}\s*月(?:份)?)?\s*(?:\d{1,2}\s*(?:日|号)|底|末|中旬|上旬|下旬)?\s*"
    r"(?:之前|以前|前)(?:完成|办结|发放|拨付|到位|支付)?$"
    r"|^\d{4}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}\s*(?:日)?\s*"  # 2025-11-30前, 2025.6.30前
    r"(?:之前|以前|前)(?:完成|办结|发放|拨付|到位|支付)?$"
    r"|^(?:在|于)?[^，,。；;]{0,12}(?:规定|计划|要求|约定|合同)[^，,。；;]{0,6}(?:时间|期限|时限)(?:内|以内)完成$"
)

_DIGIT_RE = re.compile(r"\d")
_SPLIT_RE = re.compile(r"[；;。]")
_SPLIT_TOKENS_RE = re.compile(r"[；;。（()）]")
_STRIP_END = " \t\n。；;，,、.．!！"

_MULTIPLIERS: tuple[tuple[str, int], ...] = (
    ("万亿", 10**12),
    ("百万", 10**6),
    ("千万", 10**7),
    ("亿", 10**8),
    ("万", 10**4),
)
_BASE_UNIT_ALIASES = {
    "％": "%",
    "百分比": "%",
    "平米": "平方米",
    "㎡": "平方米",
    "m²": "平方米",
    "平方": "平方米",
}


def fast_constructor(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """``build(fields) -> cls`` equivalent to ``cls.model_construct(**fields)`` when ``fields``
    holds every field (in declaration order): no validation, our own code built the values.

    ``model_construct`` walks all fields and resolves defaults (~3.4 µs for an Indicator); this
    sets the same four attributes directly (~0.6 µs). Checked once against ``model_construct``
    on a probe object (``__getstate__`` equal); if a pydantic version ever differs, the plain
    ``model_construct`` is used instead.
    """
    names = tuple(cls.model_fields)
    new = object.__new__
    setattr_ = object.__setattr__
    # One "every field set" set shared by all the objects built here: a 13-name set is ~730
    # bytes, more than the rest of an Indicator. Safe because it already holds every field
    # name: pydantic only ever adds names to it (assignment), and copies it in model_copy.
    all_set = set(names)

    def build(fields: dict[str, Any]) -> M:
        m = new(cls)
        setattr_(m, "__dict__", fields)
        setattr_(m, "__pydantic_fields_set__", all_set)
        setattr_(m, "__pydantic_extra__", None)
        setattr_(m, "__pydantic_private__", None)
        return m

    def slow(fields: dict[str, Any]) -> M:
        return cls.model_construct(**fields)

    probe = {n: f"probe-{i}" for i, n in enumerate(names)}
    try:
        same = build(dict(probe)).__getstate__() == slow(dict(probe)).__getstate__()
    except Exception:  # pragma: no cover - depends on the pydantic version
        same = False
    return build if same else slow


_build = fast_constructor(Target)


def _target(
    kind: str,
    raw: str,
    op: Op | None = None,
    value: float | None = None,
    unit: str | None = None,
    base_value: float | None = None,
    base_unit: str | None = None,
    ambiguous: bool = False,
    implicit_op: bool = False,
) -> Target:
    return _build(
        {
            "kind": kind,
            "op": op,
            "value": value,
            "unit": unit,
            "base_value": base_value,
            "base_unit": base_unit,
            "ambiguous": ambiguous,
            "implicit_op": implicit_op,
            "raw": raw,
        }
    )


def _replace(t: Target, **changes: object) -> Target:
    fields = dict(t.__dict__)
    fields.update(changes)
    return _build(fields)


_EMPTY = _target("empty", "")


def _norm_number(num: str) -> str:
    return num.replace(",", "") if "," in num else num


def _quant(text: str) -> Target | None:
    """The quantitative reading of one part, or None when the part is not quantitative."""
    m = _CORE_RE.search(text)
    if m is None:
        return None
    start = m.start()
    pre = None
    prefix = text[:start]
    if start:
        om = _PRE_OP_END_RE.search(text, max(0, start - _PRE_OP_WINDOW), start)
        if om is not None:
            pre = om.group().rstrip(" \t")
            prefix = text[: om.start()]
    post = m.group("post")
    if prefix:
        if "，" in prefix or "," in prefix or "；" in prefix or ";" in prefix or "。" in prefix:
            return None  # a clause before the number: prose
        stripped = prefix.rstrip()
        if not pre and not post and not stripped.endswith((":", "：")):
            return None  # prose with a number in it
        if stripped.endswith(("-", "~", "～", "至", "到")):
            return None  # a range
    unit = m.group("unit") or None
    if pre:
        op, ambiguous = _PRE_OP_INFO.get(pre, ("≥", True))
        implicit = False
    elif post:
        op, ambiguous = _POST_OP_INFO[post]
        implicit = False
    else:
        op, ambiguous, implicit = "=", True, True
    if m.group("tail") == "左右":
        ambiguous = True
    num = _norm_number(m.group("num"))
    try:
        value = float(num)
    except ValueError:  # pragma: no cover - the regex only lets numbers through
        return None
    base_value: float | None = value
    base_unit = unit
    if unit:
        for prefix_word, factor in _MULTIPLIERS:
            if unit.startswith(prefix_word):
                try:
                    base_value = float(Decimal(num) * factor)
                except InvalidOperation:  # pragma: no cover
                    base_value = value * factor
                base_unit = unit[len(prefix_word) :] or None
                break
        if base_unit is not None:
            base_unit = _BASE_UNIT_ALIASES.get(base_unit, base_unit)
    if not (math.isfinite(value) and math.isfinite(base_value or 0.0)):
        return None  # a 400-digit "number" is not a target value (and JSON has no inf)
    return _target(
        "quantitative", text, op, value, unit, base_value, base_unit, ambiguous, implicit
    )


def _split_parts(body: str) -> list[str]:
    """Split at ``；`` ``;`` ``。`` outside parentheses (one linear pass)."""
    if "（" not in body and "(" not in body:
        return _SPLIT_RE.split(body)
    parts: list[str] = []
    depth = last = 0
    for m in _SPLIT_TOKENS_RE.finditer(body):
        c = m.group()
        if c in "（(":
            depth += 1
        elif c in "）)":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(body[last : m.start()])
            last = m.end()
    parts.append(body[last:])
    return parts


def _single(part: str) -> Target:
    """Classify one part (no top-level separators)."""
    if _PLACEHOLDER_RE.search(part):
        return _target("placeholder", part)
    if ("前" in part or "内完成" in part) and _DEADLINE_RE.match(part):
        return _target("deadline", part, "≤")
    if _DIGIT_RE.search(part) is None:
        return _target("qualitative", part)
    if not _RANGE_RE.search(part):
        t = _quant(part)
        if t is not None:
            return t
    return _target("qualitative", part)


@lru_cache(maxsize=8192)
def analyze_target(text: str) -> tuple[Target, bool]:
    """Parse an already-cleaned value; returns ``(target, multi)``.

    ``multi`` is True when the value holds several targets and a quantitative one was picked
    (the caller attaches :data:`MULTI_TARGET_WARNING`). Never raises.
    """
    raw = text.strip()
    body = raw.rstrip(_STRIP_END)
    if not body:
        return (_EMPTY if not raw else _target("empty", raw)), False
    if "\n" in body:
        body = body.replace("\n", "")
    if "；" in body or ";" in body or "。" in body:
        parts = [p.strip() for p in _split_parts(body)]
        parts = [p.rstrip(_STRIP_END) for p in parts if p.strip(_STRIP_END)]
        if len(parts) > 1:
            singles = [_single(p) for p in parts]
            chosen = next((t for t in singles if t.kind == "quantitative"), None)
            if chosen is None:
                chosen = next((t for t in singles if t.kind == "deadline"), None)
            if chosen is not None:
                multi = chosen.kind == "quantitative"
                return _replace(chosen, ambiguous=True, raw=raw), multi
            if all(t.kind == "placeholder" for t in singles):
                return _target("placeholder", raw), False
            return _target("qualitative", raw), False
        if parts:
            body = parts[0]
    t = _single(body)
    if t.raw != raw:
        t = _replace(t, raw=raw)
    return t, False


def parse_target(text: str | None) -> Target:
    """Parse one target value such as ``≥1.4万人``, ``合规``, ``每月5日前``, ``待单位补充...``.

    The text is cleaned first (HTML, entities, full-width digits, spaces). Never raises.
    """
    if text is None:
        return _EMPTY
    try:
        return analyze_target(clean_text(text))[0]
    except Exception:  # defensive: a parser bug must never reach a worksheet cell
        return _target("qualitative", str(text))


# --- targets given as separate columns (budget-system exports) -------------------------------

_OP_WORDS: dict[str, Op] = {w.replace(" ", ""): op for w, op, _, _ in _PRE_OPS if w != "±"}
_OP_WORDS.update({"不小于": "≥", "大于或等于": "≥", "以上": "≥", "以下": "≤", "以内": "≤"})
_OP_NONE = frozenset({"", "定性", "无", "/", "-", "—", "－"})
_NUMBER_ONLY_RE = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")


def operator_of(word: str | None) -> tuple[Op | None, bool]:
    """A 计算符号 / 指标方向 cell (``≥``, ``＞＝``, ``大于等于``, ``不低于``…) -> (op, understood).
    Blank, ``定性`` and dashes give ``(None, True)``; anything else not in the lexicon gives
    ``(None, False)``."""
    w = (word or "").strip().replace(" ", "").replace("\u3000", "")
    if w in _OP_NONE:
        return None, True
    op = _OP_WORDS.get(w)
    return (op, True) if op is not None else (None, False)


def structured_target(
    nature: str | None, op_word: str | None, value: object, unit: str | None
) -> tuple[Target, str, list[str]]:
    """A target built from separate columns (指标性质, 计算符号, 指标值, 计量单位), not re-parsed
    from a joined text. Returns (target, the value as shown, problems).

    Each column says what it says: the kind is the 指标性质 (定量/定性; inferred from the value
    when blank), the operator the 计算符号 (canonical ``≥``…; an operator not in the lexicon is
    kept in the shown value, ``约2000人次``, and ``op`` is None), the number the 指标值 when it
    is one, the unit the 计量单位. The shown value joins them without spaces (``≥390人``).
    Problems are short Chinese texts where the columns are incomplete or disagree."""
    problems: list[str] = []
    nat = (nature or "").strip()
    op, understood = operator_of(op_word)
    if not understood:
        problems.append(f"计算符号「{(op_word or '').strip()}」无法识别")
    if isinstance(value, bool):
        text = ""
    elif isinstance(value, float | int):
        text = repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(value)
    else:
        text = (str(value) if value is not None else "").strip()
    unit_text = (unit or "").strip() or None
    op_shown = op or ("" if understood else (op_word or "").strip())  # nothing lost
    shown = f"{op_shown}{text}{unit_text or ''}" if text else ""
    number = _NUMBER_ONLY_RE.fullmatch(text.replace("，", ",")) if text else None
    if not text:
        problems.append("指标值为空")
        return _target("empty", shown), shown, problems
    if nat == "定量":
        quantitative = True
    elif nat == "定性":
        quantitative = False
    else:
        quantitative = number is not None
    if quantitative:
        if number is None:
            problems.append(f"定量指标的指标值「{text}」不是数值")
        if op is None and understood:
            problems.append("定量指标缺少计算符号")
        if unit_text is None and number is not None:
            problems.append("定量指标缺少计量单位")
    elif op is not None:
        problems.append(f"定性指标却填写了计算符号「{(op_word or '').strip()}」")
    if not quantitative or number is None:
        t = analyze_target(text)[0]
        kind = "placeholder" if t.kind == "placeholder" else (
            "quantitative" if quantitative else "qualitative")  # fmt: skip
        return _target(kind, shown, op), shown, problems
    num = _norm_number(number.group())
    v = float(num)
    base_value: float | None = v
    base_unit = unit_text
    if unit_text:
        for prefix_word, factor in _MULTIPLIERS:
            if unit_text.startswith(prefix_word):
                base_value = float(Decimal(num) * factor)
                base_unit = unit_text[len(prefix_word) :] or None
                break
        if base_unit is not None:
            base_unit = _BASE_UNIT_ALIASES.get(base_unit, base_unit)
    implicit = op is None
    t = _target("quantitative", shown, op if op is not None else ("=" if understood else None),
                v, unit_text, base_value, base_unit, implicit, implicit and understood)  # fmt: skip
    return t, shown, problems
