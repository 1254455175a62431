"""Where a table's department (部门名称) comes from when no label names it.

The title block's label (``部门名称：…``, ``部门：…``, ``预算单位：…``; read in
:mod:`perfsheet.core.table`) always wins. Without one, the department is taken, in this order:

1. from a **department column** of a list (``主管部门``, ``部门名称``…) when every project row
   that fills it gives the same name;
2. from the **title** (:func:`department_from_title`): what stands between the year and
   「（部门）项目支出绩效目标（申报）表」, or before the year
   (「XX县教育局2024年项目支出绩效目标表」);
3. from a **unit column** (``预算单位``, ``单位名称``…) when every project row gives the same
   name: the one unit the table is about stands for its department.

A title without a department («2025年项目支出绩效目标表», «项目支出绩效目标表（2025年度）»,
«2025年部门预算项目支出绩效目标表») gives none, and so does any text that is not a title of this
table (a note, a 填报说明 line, a sentence mentioning the table, a date): the title must *end*
with the table's name, apart from bracketed remarks and an amount unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

__all__ = ["MAX_TITLE_CHARS", "department_from_title", "same_value"]

#: Longer texts are not titles (a note or a pasted paragraph): no department is read from them.
MAX_TITLE_CHARS = 200
#: A department name is at most this long (the longest real ones are about 25 characters).
_MAX_NAME = 40

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9:]*(?:\s[^<>]*)?/?\s*>")
_WS = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
# one character for one character, so that positions in the normalized text are positions in
# the text as written (the department is returned as written)
_NORMAL = str.maketrans(
    {"（": "(", "）": ")", "：": ":", "【": "[", "】": "]", "〔": "[", "〕": "]",
     **{chr(0xFF10 + i): str(i) for i in range(10)}}
)  # fmt: skip

# the table's name at the end of the title: （部门）（预算）项目支出绩效目标（申报）表
_SUFFIX = re.compile(
    r"(?:部门)?(?:预算)?(?:项目|整体)?(?:支出)?绩效目标(?:申报|审核|审批|批复|公开)?"
    r"(?:汇总|情况|明细)?表"
)
# what may follow the table's name: bracketed remarks (（含转移支付项目）, （2025年度）,
# （单位：万元）), an amount unit, a stray separator
_TAIL = re.compile(
    r"(?:\([^()]{0,40}\)|\[[^\[\]]{0,40}\]|(?:金额|货币)?单位:?\(?(?:亿元|万元|千元|元)\)?"
    r"|[-_—－·.。:;；,，、])*\Z"
)
_CN_DIGIT = "〇零一二三四五六七八九"
_YEAR_NUM = rf"(?:[12]\d{{3}}|[{_CN_DIGIT}]{{4}})"
# 2025年, 2025年度, 2025—2027年, 二〇二五年 (a year needs its 年: 2025 alone is not one)
_YEAR = re.compile(rf"{_YEAR_NUM}(?:[-—－~～至到]{_YEAR_NUM})?年度?")
# what heads a title and is not part of it: 附件1：, 附表3-1, 表2
# (matched on the title as written: 「表3-1 2025年…」 must not read as 表3-12025)
_LEAD = re.compile(
    r"\A\s*(?:(?:附件|附表)\s*[\d０-９一二三四五六七八九十]*(?:\s*[-—－.]\s*[\d０-９]+)*"
    r"\s*(?:[:：.、]|\s|\Z)|表\s*[\d０-９]{1,3}(?:[-—－.][\d０-９]{1,3})*(?:\s*[:：.、]|\s))"
)
_EDGE = re.compile(r"\A[-_—－·.:;,、]+|[-_—－·.:;,、]+\Z")
# scope remarks after a department: （本级）, 本级, 所属单位, （含下属单位）, 市级, 市直…
_SCOPE_BRACKET = re.compile(
    r"\([^()]*(?:本级|汇总|含|合并|所属|下属|部门|单位|草案|公开)[^()]*\)\Z"
)
_SCOPE_WORD = re.compile(
    r"(?:部门本级|单位本级|本级|及所属单位|及下属单位|所属单位|下属单位|机关|汇总|合并"
    r"|[省市县区]级|[省市县区][直属])\Z"
)
# words that name no department: 本级 alone, a level of government, the budget itself
_GENERIC = re.compile(
    r"\A(?:[省市县区州旗镇乡]?(?:本级|级)|全[省市县区州旗镇乡]|本?部门|本?单位|各部门|各单位"
    r"|部门预算|预算|年度|政府|财政|项目|省|市|县|区)\Z"
)
# a region alone (XX市, XX县, XX区…) is not a department: its table covers many
_REGION = re.compile(
    r"\A[A-Za-z\u4e00-\u9fff]{1,12}?(?:自治州|自治县|自治区|省|市|县|区|州|盟|旗|镇|乡)\Z"
)
_NOT_A_NAME = re.compile(r"[0-9:;,.。；，、!?！？\"“”'‘’《》<>=%％/\\|]|绩效|项目支出|表\Z")


def _strip_scope(s: str, i: int, j: int) -> tuple[int, int]:
    """``s[i:j]`` without edge separators and trailing scope remarks (``(本级)``, 所属单位)."""
    while True:
        part = s[i:j]
        m = _EDGE.search(part) if part else None
        if m and m.start() == 0:
            i += m.end()
            continue
        if m and m.end() == len(part):
            j = i + m.start()
            continue
        m = _SCOPE_BRACKET.search(part) or _SCOPE_WORD.search(part)
        if m and m.start() > 0:
            j = i + m.start()
            continue
        if m and m.start() == 0:  # the part is a scope remark only
            return i, i
        return i, j


def _valid_name(name: str) -> bool:
    return (
        2 <= len(name) <= _MAX_NAME
        and not _NOT_A_NAME.search(name)
        and not _GENERIC.match(name)
        and not _REGION.match(name)
        and not _YEAR.search(name)
        and any("\u4e00" <= ch <= "\u9fff" for ch in name)
    )


def department_from_title(title: str | None) -> str | None:
    """The department a table's title names, as written (without spaces), or None.

    ``2025年度市场监督管理局项目支出绩效目标表`` -> ``市场监督管理局``;
    ``中共XX市委组织部 2025 年部门项目支出绩效目标表`` -> ``中共XX市委组织部``;
    ``2025年XX区卫生健康委员会（本级）项目支出绩效目标申报表`` -> ``XX区卫生健康委员会``;
    ``2025年项目支出绩效目标表``, ``项目支出绩效目标表（2025年度）``, ``项目绩效目标表`` -> None.
    Never raises; the result is never longer than the title and never holds a year or
    ``项目支出``.
    """
    if not title or not isinstance(title, str) or len(title) > MAX_TITLE_CHARS * 4:
        return None
    text = _TAG.sub("", title) if "<" in title else title
    lead = _LEAD.match(text)
    if lead:
        text = text[lead.end() :]
    text = _WS.sub("", text)
    if not text or len(text) > MAX_TITLE_CHARS:
        return None
    norm = text.translate(_NORMAL)
    suffix = _SUFFIX.search(norm)
    if suffix is None or not _TAIL.match(norm, suffix.end()):
        return None  # not a title ending with the table's name (a note, a sentence)
    start, end = 0, suffix.start()
    years = list(_YEAR.finditer(norm, start, end))
    if not years:
        i, j = _strip_scope(norm, start, end)
        return _pick(text, norm, [(i, j)])
    before = _strip_scope(norm, start, years[0].start())
    after = _strip_scope(norm, years[-1].end(), end)
    if any(norm[a.end() : b.start()].strip("-—－") for a, b in pairwise(years)):
        return None  # text between two years: not a title of the usual shape
    has_before, has_after = before[1] > before[0], after[1] > after[0]
    if has_before and has_after:
        # 「XX县2025年教育局…」: the region before the year belongs to the name after it
        if _REGION.match(norm[before[0] : before[1]]):
            name = text[before[0] : before[1]] + text[after[0] : after[1]]
            return name if _valid_name(name.translate(_NORMAL)) else None
        return None  # two candidates: none is sure
    return _pick(text, norm, [after if has_after else before])


def _pick(text: str, norm: str, spans: list[tuple[int, int]]) -> str | None:
    for i, j in spans:
        if j > i and _valid_name(norm[i:j]):
            return text[i:j]
    return None


def same_value(values: Iterable[str | None]) -> str | None:
    """The one non-blank value every row gives, or None (no value, or two different ones)."""
    found: str | None = None
    for v in values:
        if not v:
            continue
        if found is None:
            found = v
        elif v != found:
            return None
    return found
