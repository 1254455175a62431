"""Page furniture: the lines a PDF conversion (or a system export) leaves inside the grid.

A table converted from a published PDF carries, between its data rows, what the printer put
on every page: page numbers (``第1页，共2页``, ``第 1 页 共 3 页``, ``共3页 第2页``, ``- 2 -``,
``1/3``, ``Page 2 of 3``), a print stamp (``打印时间：2025-01-08 10:32``), and at a page top
the table's title and its ``单位：万元`` line again. Depending on the converter such a line sits
in the first column, in a money column, in the 绩效指标 column, or merged across the row.

This module is the one recogniser for all layouts (packed lists, row lists, forms) and for the
PDF reader's own page numbers. A **row** is page furniture when every non-empty cell of it is
(:func:`is_furniture_row`); such a row is skipped: never a project, never an amount, never a
fragment joined to a neighbour's text. Decisions:

- The text must be the whole cell (whitespace and HTML tags aside): ``网页维护项目``,
  ``第一页面改版`` or ``第1页面改版项目`` are names, not page lines.
- Page numbers must be consistent: in ``第N页，共M页`` and ``N/M``, 1 <= N <= M.
- A bare number (``2``) is never furniture: it may be an amount, a value or the rest of a
  number cut at a page break.
- A title is furniture when it repeats the table's title, or when it ends with ``绩效目标表``
  (optionally followed by a parenthesised note) and stands alone on its row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from perfsheet.core.grid import CellValue

_WS = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9:]*(?:\s[^<>]*)?/?\s*>")

_SEP = r"[,，/、;；|｜]?"
_DASH = r"[-－—–~～]"
# (the page, the page count) named by a group each; the count is optional
_PAGE_FORMS = (
    re.compile(rf"第(?P<n>\d{{1,4}})页(?:{_SEP}共(?P<m>\d{{1,4}})页)?"),
    re.compile(rf"共(?P<m>\d{{1,4}})页{_SEP}第(?P<n>\d{{1,4}})页"),
    re.compile(rf"{_DASH}+(?P<n>\d{{1,4}}){_DASH}+"),
    re.compile(r"(?P<n>\d{1,4})/(?P<m>\d{1,4})"),
    re.compile(r"page(?P<n>\d{1,4})(?:(?:of|/)(?P<m>\d{1,4}))?", re.IGNORECASE),
)
_DATE = r"\d{4}(?:[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?)?(?:\d{1,2}:\d{2}(?::\d{2})?)?"
_STAMP = re.compile(
    rf"(?:打印|制表|导出|生成|填报|报送)(?:时间|日期)[:：]?{_DATE}"
    r"(?:(?:打印|制表|填报)人[:：]?[\u4e00-\u9fff]{0,6})?"
)
_UNIT_LINE = re.compile(
    r"[(（\[]?(?:金额|货币|计量)?单位[:：]?[(（]?(?:亿元|万元|千元|元)[)）\]]?[)）\]]?"
)
# a page top's 续表 mark, alone or around a page number: 续表 / （续） / 第2页（续表）
_CONTINUED = re.compile(r"[(（]?(?:续表|续上表|接上表|续上页|接上页|续)\d*[)）]?")
_TITLE = re.compile(r".{0,60}绩效目标(?:申报)?表(?:[(（][^()（）]{0,30}[)）])?")


def _plain(text: str) -> str:
    if "<" in text:
        text = _TAG.sub("", text)
    return _WS.sub("", text)


def _as_text(value: CellValue) -> str | None:
    return value if isinstance(value, str) else None


def is_page_number(text: str) -> bool:
    """``text`` is a page number line (``第1页，共2页``, ``- 2 -``, ``1/3``…); a bare number,
    or one whose page is 0 or beyond its page count, is not."""
    s = _plain(text)
    for form in _PAGE_FORMS:
        m = form.fullmatch(s)
        if m is None:
            continue
        n = int(m.group("n"))
        count = m.groupdict().get("m")
        return n >= 1 and (count is None or n <= int(count))
    return False


def is_page_line(text: str) -> bool:
    """``text`` is a page number or a print stamp (furniture wherever it stands)."""
    s = _plain(text)
    if not s:
        return False
    if _CONTINUED.fullmatch(s) or _STAMP.fullmatch(s):
        return True
    m = _CONTINUED.search(s)
    if m is not None and m.group(0) != "续":
        s = s[: m.start()] + s[m.end() :]  # 第2页（续表）
    return is_page_number(s)


def is_furniture_text(text: str, title: str | None = None) -> bool:
    """``text`` is page furniture: a page line, a ``单位：万元`` line, the table's ``title``
    repeated, or a table title (ending with 绩效目标表)."""
    s = _plain(text)
    if not s:
        return False
    if is_page_line(s) or _UNIT_LINE.fullmatch(s):
        return True
    if title and s == _plain(title):
        return True
    return _TITLE.fullmatch(s) is not None


def is_furniture_row(values: Iterable[CellValue], title: str | None = None) -> bool:
    """Every non-empty cell of a row (its values, each merged range counted once) is page
    furniture: a row to skip. A row of only blank cells is not (there is nothing to skip)."""
    seen = False
    for v in values:
        if v is None:
            continue
        t = _as_text(v)
        if t is None:
            return False  # a number is data
        if not _plain(t):
            continue
        if not is_furniture_text(t, title):
            return False
        seen = True
    return seen
