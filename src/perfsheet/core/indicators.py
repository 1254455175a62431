"""``parse_indicators``: a packed 绩效指标 cell -> a list of ``Indicator``.

The cell looks like (domain notes §6)::

    1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390。2、…

Design (single pass, no per-character Python loop over the text):

1. :func:`~perfsheet.core.text.clean_text` (HTML removed without inserting characters, entities,
   spaces, line breaks, full-width digits).
2. **Fast path** (canonical cells, the common case): item boundaries by a literal-first regex
   (``、`` followed by ``d-``) with the numbers 1, 2, 3… from the start of the text, labels by
   ``str.find``, the two category fields by one anchored regex (resolved once per distinct
   prefix). Taken only when no line of the cell may start an unnumbered item (a ``\n`` followed
   by a line head: one regex search, only in cells that contain a ``\n``). An item that is not
   canonical is handed to the general item parser when the boundaries are certain (a category
   head at its start, no other ``N、`` inside), else the whole cell goes to the general path.
   Tests assert that the fast path and the general path give identical results (the seed, and
   hypothesis-generated cells).
3. **General path** (the reference): one compiled regex finds every ``N、`` candidate and, in
   the same match, whether a *category head* follows (``1-产出指标；`` / ``产出指标；`` /
   ``11-数量指标；``…: a "strong" start). Candidates are accepted in order, tracking the
   expected next number:

   - strong and the expected number -> a new item (separator before it: ``。``, newline, or
     nothing at all; ``≥3902、1-产出指标`` is value ``≥390`` + item 2: digits glued to the previous
     value are split off when their tail is the expected number);
   - strong with another number -> a new item only at a boundary (``。；;，,`` or a newline
     before it, blanks skipped, or the start) or after a complete item (one that has its
     年度指标值 label), with a numbering warning;
   - weak (no category follows, e.g. ``2、通过…`` prose inside a value) -> a new item only when it
     is the expected number, at a boundary, the current item is complete, and a value label
     follows before the next candidate. So ``N、`` lists inside values stay in the value.

   **Unnumbered items, one per line** (Alt+Enter in one Excel cell, issue 12 §3): a line (blank
   lines skipped) starts an item when it begins, after an optional number other than ``N、``
   (``1.`` ``1．`` ``1）`` ``（1）`` ``①``), with a *line head* — a coded category
   (``1-产出指标；``), a level label (``一级指标：``), a category name with a separator
   (``产出指标；``, ``产出指标，``), a level-1 name alone on its line, or a *category path*
   (``产出指标-数量指标-``, ``产出指标/成本指标/``: two known names, which always starts an
   item) — and the item before it is finished (its 年度/``指标值:`` label, or no label and the
   fields of a label-less item: three separators, or two and a colon). Otherwise the line is a
   wrapped continuation of the current item. The exact rule is in :func:`_line_starts`; it
   keeps ``1、1-产出指标；⏎11-数量指标；…`` and a value wrapped at a category word
   (``…经济⏎效益，带动就业``) in one item.
   A cell with neither numbering nor line heads whose lines (two or more, the first one too)
   are ``名称：值`` (optionally numbered ``N、``/``1.``/``（1）``…) is a list of those: name and
   annual value, no categories (with warnings).

   Per item: the value labels (``实施周期指标值`` / ``年度指标值`` with ``:``/``：`` or none; a
   single ``指标值:`` also accepted) are located with ``str.find``; the head before them gives
   level 1, level 2 (``code-name`` or a known name/alias, normalized by code, see
   :mod:`~perfsheet.core.categories`) and the 三级指标 name; each value runs to the next label, so
   values may contain ``；`` ``。`` ``:`` (``保障办公人员≥4人；租用1台公务车辆`` is one value).
   Label-style heads (``一级指标：产出指标；二级指标：11-数量指标；三级指标：培训人数；``, also
   ``三级指标名称``/``指标名称``, ``:``/``：``, ``；;，,`` or line breaks between fields) are read
   by their labels. Path heads give level 1 and 2; the name runs to the first colon, else to
   the next path separator (``产出指标/成本指标/单个监测成本/≤0.35万元/处``: the value keeps its
   ``/``). Without value labels the head is split by position: ``；``/``;``, else ``，``/``,``
   outside parentheses, else ``名称：值`` at the first colon outside parentheses.

Decisions:

- Values and names are stripped of surrounding whitespace and of trailing ``；;，,。``
  (``不低于85个。；年度指标值`` gives ``不低于85个``).
- **Two lines are never joined without a separator** (issue 12 §3): a line break inside a field
  (an Alt+Enter wrap), with the blanks around it, becomes one space (``统筹⏎协调`` ->
  ``统筹 协调``, ``≥1⏎000人`` -> ``≥1 000人``, never 1000). A space cannot change what the text
  says, unlike deleting the break (which glued words and digits) or a ``；`` (which would split
  a value into several targets). ``raw`` keeps the line breaks as written: it is the item's
  slice of the *cleaned* text, ``N、`` and terminator included.
- A line break counts as a field separator (no "missing separator" warning before a label).
- ``seq``: the written ``N、`` (or a line's ``1.``/``（1）``/``①``, with the same numbering
  warning for a gap). Unnumbered line items of a cell with no ``N、`` at all are
  numbered 1..n by position when there are at least two (a list of lines is a numbering;
  downstream sorts and attributes findings by seq), without a warning. A single unnumbered
  item, and an unnumbered line item in a cell that numbers the others, keep ``seq`` None with
  the warning "缺少序号" (the numbering check then reports it).
- A single ``指标值:`` label fills ``annual_value`` (period_value stays None, no warning).
- Level codes are None when the text has none (names are still canonical). A missing level 1 is
  inferred from a known level 2 (with a warning).
- Targets are always set (``kind="empty"`` when a value is missing).
- Text before the first item (numbered or line) is parsed as an item without ``seq`` when it
  looks like one (has a value label, a category or a level label), otherwise it is reported in
  a warning of the first item. A cell with no item structure gives one Indicator (seq None)
  carrying the text in ``raw`` and a warning. Nothing is dropped silently.
- Never raises: an unexpected internal error gives one Indicator with the warning
  :data:`INTERNAL_ERROR` (tests assert it never appears).

Warnings (short Chinese texts, see the ``W_*`` constants): separators (``。`` used as a field
separator, a missing separator), missing/empty values, missing labels, duplicated or swapped
labels, missing categories, unknown codes, code/name conflicts, a level 2 not under its level 1,
numbering gaps, several targets in one value, placeholders, unparsed text.
"""

from __future__ import annotations

import re
from sys import intern as _intern

from . import categories as cat
from .models import Indicator, Target
from .targets import MULTI_TARGET_WARNING, analyze_target, fast_constructor
from .text import clean_text

__all__ = ["INTERNAL_ERROR", "parse_indicators"]

W_SEP_DOT = "字段间误用“。”分隔"
W_SEP_MISSING = "字段间缺少分隔符"
W_NO_PERIOD = "缺少实施周期指标值"
W_NO_ANNUAL = "缺少年度指标值"
W_EMPTY_PERIOD = "实施周期指标值为空"
W_EMPTY_ANNUAL = "年度指标值为空"
W_NO_LABEL = "缺少指标值标签"
W_NO_VALUE = "缺少指标值"
W_DUP_LABEL = "指标值标签重复"
W_SWAPPED = "实施周期与年度指标值顺序颠倒"
W_NO_LEVEL1 = "缺少一级指标"
W_NO_LEVEL2 = "缺少二级指标"
W_NO_NAME = "缺少三级指标"
W_NO_SEQ = "缺少序号"
W_PLACEHOLDER = "指标内容待补充"
W_UNPARSED = "无法识别的指标格式"
W_MULTI = MULTI_TARGET_WARNING
INTERNAL_ERROR = "解析出错，已保留原文"


def w_numbering(expected: int) -> str:
    return f"序号不连续（应为{expected}）"


def w_leading(text: str) -> str:
    return f"开头有未解析文字：{text}"


# --- regexes -----------------------------------------------------------------------------------
_DASH = "-－—–"
_names = sorted(
    {*cat.LEVEL1_ALIASES, *cat.LEVEL2_ALIASES, *cat.LEVEL1.values()},
    key=len,
    reverse=True,
)
_NAME_ALT = "|".join(re.escape(n) for n in _names)
# ``一级指标：`` / ``二级指标:`` / ``三级指标名称：``: label-style items
_LEVEL_LABEL = r"[一二三]级指标(?:名称)?[ \t]*[:：]"
# a category head after ``N、``: ``1-产出指标；``, ``产出指标；``, ``一级指标：``,
# ``产出指标-数量指标-``
_HEAD = (
    rf"\d{{1,2}}\s*[{_DASH}]\s*[^\d\s；;。\n][^；;。\n]{{0,20}}?(?:[；;，,。\n]|$)"
    rf"|(?:{_NAME_ALT})\s*[；;，,]"
    rf"|{_LEVEL_LABEL}"
    rf"|(?:{_NAME_ALT})[ \t]*(?P<hsep>[{_DASH}/／])[ \t]*(?:{_NAME_ALT})[ \t]*(?P=hsep)"
)
# N、 + optional (empty) group that participates when a category head follows.
_ITEM_RE = re.compile(rf"(?<!\d)(\d++)[ \t]*、\s*(?P<s>(?={_HEAD}))?")

_LABEL_RE = re.compile(
    r"(?:(?P<p>实施周期指标值|实施期指标值|实施周期目标值|中长期指标值|长期指标值)"
    r"|(?P<a>本?年度指标值|年度目标值|当年指标值))\s*[:：]?[ \t]*"
    r"|(?P<s>(?<![期度年])指标值)\s*[:：][ \t]*"
)
_COMPLETE_RE = re.compile(r"年度指标值|年度目标值|当年指标值|(?<![期度年])指标值\s*[:：]")

_CAT_FIELD_RE = re.compile(
    rf"[ \t\n]*(?:(?P<code>\d{{1,2}})[ \t]*[{_DASH}][ \t]*)?"
    rf"(?P<name>[^；;，,。\n\d]*?)[ \t\n]*(?P<sep>[；;，,。\n]|$)"
)
_SEP_RE = re.compile(r"[；;]")
# a line break inside a field, with the blanks around it: becomes one space (never deleted)
_BREAK_RUN_RE = re.compile(r"[ \t]*\n[ \t\n]*")

# Unnumbered items one per line. A line starts an item when it begins with a head: ``c`` a
# coded category (``1-产出指标；``), ``l`` a level label (``一级指标：``), ``n`` a category name
# followed by a separator (``产出指标；``), ``x`` a level-1 name alone on its line (one field per
# line). Whether it really starts an item also depends on the item before it (_line_starts).
_L1_LINE_NAMES = "|".join(
    re.escape(n)
    for n in sorted((n for n in cat.LEVEL1_ALIASES if n.endswith("指标")), key=len)[::-1]
)
# ``产出指标-数量指标-名称：值`` / ``产出指标/数量指标/名称/值``: level 1 and level 2 (known
# names, checked after the match) joined to the name by one of ``-－—/／`` (the same one twice)
_PATH = rf"(?P<l1>{_NAME_ALT})[ \t]*(?P<psep>[{_DASH}/／])[ \t]*(?P<l2>{_NAME_ALT})[ \t]*(?P=psep)"
_PATH_RE = re.compile(rf"[ \t\n]*{_PATH}[ \t]*")
_LINE_HEAD = (
    rf"(?P<p>{_PATH})"
    rf"|(?P<c>\d{{1,2}}[ \t]*[{_DASH}][ \t]*[^\d\s；;。\n][^；;。\n]{{0,20}}?(?:[；;，,。\n]|$))"
    rf"|(?P<l>{_LEVEL_LABEL})"
    rf"|(?P<n>(?:{_NAME_ALT})[ \t]*[；;，,])"
    rf"|(?P<x>(?:{_L1_LINE_NAMES})[ \t]*(?=\n))"
)
_LINE_HEAD_RE = re.compile(_LINE_HEAD)
# a line's own number other than ``N、`` (which _find_starts handles): ``1.`` ``1．`` ``1)``
# ``1）`` ``(1)`` ``（1）`` ``①``…``⑳`` — only when a line head follows
_LINE_NUM = r"(?:\d{1,3}[ \t]*[.．)）]|[（(][ \t]*\d{1,3}[ \t]*[)）]|[①-⑳])[ \t]*"
_LINE_NUM_RE = re.compile(_LINE_NUM)
_DIGITS_RE = re.compile(r"\d+")
# a line that may start an item (blank lines before it: matched at the last ``\n``; a
# ``\n[ \t\n]*`` prefix would rescan a run of blank lines from each of its breaks)
_NL_HEAD_RE = re.compile(rf"\n[ \t]*(?:{_LINE_NUM})?(?:{_LINE_HEAD})")
_LEVEL_LABEL_RE = re.compile(r"(?:(?P<lv>[一二三])级指标(?:名称)?|指标名称)[ \t]*[:：][ \t]*")
# ``[N、|1.|（1）…]名称：值`` lines (a list of such lines is a list of indicators)
_NV_LINE_RE = re.compile(
    rf"[ \t]*(?P<num>\d{{1,3}}[ \t]*、[ \t]*|{_LINE_NUM})?"
    r"(?P<name>[^\s:：；;，,。、][^:：；;\n]{0,39}?)[ \t]*[:：][ \t]*(?P<v>[^ \t\n][^\n]*)"
)
_NV_NOT_NAME = ("指标值", "目标值", "级指标", "指标名称")

# Fast path for canonical cells (every item ``N、d-名称；dd-名称；名称；实施周期指标值:…；``
# ``年度指标值:…``, numbered 1, 2, 3… from the start): str.find for the boundaries and labels,
# one anchored regex for the two category fields. Anything unusual -> the general path, which
# is the reference
# (tests check both paths give identical results).
_FAST_CAT = rf"[{_DASH}][^\d\s；;，,。\n][^；;，,。\n\d]{{0,14}}[；;][ \t]*"
_FAST_CATS_RE = re.compile(rf"\d{_FAST_CAT}\d\d{_FAST_CAT}")
_STRONG_IN_RE = re.compile(rf"\d[ \t]*、\s*(?:{_HEAD})")
_FAST_BOUND_RE = re.compile(rf"、[ \t]*(?=\d[{_DASH}])")  # literal first: fast scan
_COLON_RE = re.compile(r"[ \t\n]*[:：][ \t]*")
_HEAD_RE = re.compile(_HEAD)
_DIGIT_DUN_RE = re.compile(r"\d[ \t]*、")
_CATS_CACHE: dict[str, tuple] = {}

_BOUNDARY = frozenset("。；;，,\n")
_WS = " \t\n"
_VALUE_STRIP = " \t\n；;，,。"
_VALUE_LSTRIP = " \t\n：:；;"

_build = fast_constructor(Indicator)
_EMPTY_TARGET: Target = analyze_target("")[0]


# --- item boundaries ---------------------------------------------------------------------------
def _find_starts(t: str) -> list[tuple[int, int, int, str | None]]:
    """Item starts as (number start, body start, seq, numbering warning)."""
    cands = list(_ITEM_RE.finditer(t))
    if not cands:
        return []
    starts: list[tuple[int, int, int, str | None]] = []
    expected = 1
    n = len(t)
    # end of the first 年度 label of the current item (-1: none, -2: not looked up yet);
    # one search per item keeps many ``N、`` candidates linear
    complete_end = -2

    def complete_before(pos: int) -> bool:
        nonlocal complete_end
        if complete_end == -2:
            cm = _COMPLETE_RE.search(t, starts[-1][1])
            complete_end = cm.end() if cm else -1
        return 0 <= complete_end <= pos

    for i, m in enumerate(cands):
        d = m.group(1)
        s = m.start(1)
        strong = m.group("s") is not None
        exp = str(expected)
        k = s - 1
        while k >= 0 and t[k] in " \t":
            k -= 1
        # a boundary: start, or 。；;，, or a newline before (blanks skipped); not ``: 1000``
        at_boundary = k < 0 or t[k] in _BOUNDARY
        warn: str | None = None
        if d != exp and len(d) > len(exp) and d.endswith(exp) and not at_boundary:
            s += len(d) - len(exp)  # ``≥3902、`` = value ``≥390`` + item 2
            d = exp
        if d == exp or (at_boundary and d.lstrip("0") == exp):  # ``01、`` numbering too
            if not strong:
                if starts:
                    if not at_boundary or not complete_before(s):
                        continue
                elif not at_boundary:
                    continue
                nxt = cands[i + 1].start() if i + 1 < len(cands) else n
                if not _LABEL_RE.search(t, m.end(), nxt):
                    continue
            seq = expected
        else:
            if not strong:
                continue
            if at_boundary:
                if len(d) > 4:
                    continue
            else:
                if starts and not complete_before(s):
                    continue
                # glued to the previous value: take the shortest tail without a leading zero
                j = len(d) - 1
                while j > 0 and d[j] == "0":
                    j -= 1
                s += j
                d = d[j:]
            seq = int(d)
            warn = w_numbering(expected)
        starts.append((s, m.end(), seq, warn))
        expected = seq + 1
        complete_end = -2
    return starts


# --- one item ----------------------------------------------------------------------------------
def _clean_field(s: str) -> str | None:
    s = s.strip(_WS).rstrip(_VALUE_STRIP).lstrip(_VALUE_LSTRIP)
    if "\n" in s:
        s = _BREAK_RUN_RE.sub(" ", s)  # two lines are never joined without a separator
    return s or None


def _sep_warning(before: str, warnings: list[str]) -> None:
    """Check the separator that ends ``before`` (the text before a value label)."""
    b = before.rstrip(" \t")
    if not b or b[-1] == "\n":
        return  # a line break separates two fields
    last = b[-1]
    if last in "；;，,":
        return
    if last == "。":
        if W_SEP_DOT not in warnings and not b.endswith(("。；", "。;")):
            warnings.append(W_SEP_DOT)
    elif W_SEP_MISSING not in warnings:
        warnings.append(W_SEP_MISSING)


def _parse_head(
    head: str, warnings: list[str]
) -> tuple[cat.Resolved, cat.Resolved, str | None, bool]:
    """Level 1, level 2, name, and whether any category field was found."""
    if "级指标" in head or "指标名称" in head:
        k = len(head) - len(head.lstrip(_WS))
        if _LEVEL_LABEL_RE.match(head, k):
            return _parse_labelled_head(head, warnings)
    pm = _PATH_RE.match(head)
    if pm is not None:
        levels = _path_levels(pm)
        if levels is not None:
            rest = head[pm.end() :]
            return levels[0], levels[1], _clean_field(rest) if rest else None, True
    pos = 0
    l1_code = l1_name = l2_code = l2_name = None
    have_l1 = have_l2 = False
    for _ in range(2):
        m = _CAT_FIELD_RE.match(head, pos)
        if m is None or m.end() == pos:
            break
        code, name = m.group("code"), m.group("name")
        if code is not None:
            level = 1 if len(code) == 1 else 2
        elif name and not have_l1 and cat.level1_code_of(name) is not None:
            level = 1
        elif name and cat.level2_code_of(name, l1_code or cat.level1_code_of(l1_name)):
            level = 2
        else:
            break
        if level == 1 and not have_l1 and not have_l2:
            l1_code, l1_name, have_l1 = code, name, True
        elif level == 2 and not have_l2:
            l2_code, l2_name, have_l2 = code, name, True
        else:
            break
        if m.group("sep") == "。" and W_SEP_DOT not in warnings:
            warnings.append(W_SEP_DOT)
        pos = m.end()
    name_text = _clean_field(head[pos:]) if pos < len(head) else None
    r1 = cat.resolve_level1(l1_code, l1_name) if have_l1 else cat.Resolved(None, None)
    r2 = (
        cat.resolve_level2(l2_code, l2_name, r1.code or cat.level1_code_of(r1.name))
        if have_l2
        else cat.Resolved(None, None)
    )
    return r1, r2, name_text, have_l1 or have_l2


def _parse_labelled_head(
    head: str, warnings: list[str]
) -> tuple[cat.Resolved, cat.Resolved, str | None, bool]:
    """``一级指标：产出指标；二级指标：11-数量指标；三级指标：培训人数；``: fields by label.

    A level field is ``[code-]name`` up to its separator; text after that separator (when there
    is no ``三级指标`` label) is the name. Anything else (a repeated label, text after a level
    field when the name has its own label) is reported with :data:`W_UNPARSED`.
    """
    labs = list(_LEVEL_LABEL_RE.finditer(head))
    fields: dict[int, tuple[str | None, str | None]] = {}
    name: str | None = None
    has_name_label = any(m.group("lv") in (None, "三") for m in labs)
    spare: list[str] = []
    for k, m in enumerate(labs):
        end = labs[k + 1].start() if k + 1 < len(labs) else len(head)
        content = head[m.end() : end]
        lv = m.group("lv")
        level = 1 if lv == "一" else 2 if lv == "二" else 3
        if level in fields:
            spare.append(content)
            continue
        if level == 3:
            fields[3] = (None, None)
            name = _clean_field(content)
            continue
        cm = _CAT_FIELD_RE.match(content)
        if cm is not None:
            code, written = cm.group("code"), cm.group("name").strip(_WS) or None
            rest = content[cm.end() :]
        else:
            code, written, rest = None, _clean_field(content), ""
        fields[level] = (code, written)
        if _clean_field(rest) is not None:
            if has_name_label or name is not None:
                spare.append(rest)
            else:
                name = _clean_field(rest)
    if any(_clean_field(x) for x in spare) and W_UNPARSED not in warnings:
        warnings.append(W_UNPARSED)
    c1, w1 = fields.get(1, (None, None))
    c2, w2 = fields.get(2, (None, None))
    r1 = cat.resolve_level1(c1, w1) if (c1 or w1) else cat.Resolved(None, None)
    r2 = (
        cat.resolve_level2(c2, w2, r1.code or cat.level1_code_of(r1.name))
        if (c2 or w2)
        else cat.Resolved(None, None)
    )
    return r1, r2, name, True


def _outside_parens(s: str, seps: str, limit: int) -> list[int]:
    """Positions of the first ``limit`` characters of ``seps`` outside parentheses (one scan;
    unbalanced parentheses as counted: depth 0 means as many closing as opening before)."""
    out: list[int] = []
    depth = 0
    for i, c in enumerate(s):
        if c in "（(":
            depth += 1
        elif c in "）)":
            depth -= 1
        elif depth == 0 and c in seps:
            out.append(i)
            if len(out) == limit:
                break
    return out


def _split_at(rest: str, seps: str) -> tuple[str, str] | None:
    """``rest`` cut at the first of ``seps`` outside parentheses, both sides non-empty."""
    at = _outside_parens(rest, seps, 1)
    if not at:
        return None
    name, value = _clean_field(rest[: at[0]]), _clean_field(rest[at[0] + 1 :])
    return (name, value) if name is not None and value is not None else None


def _split_positional(
    rest: str, path_sep: str | None = None
) -> tuple[str | None, str | None, str | None, bool]:
    """No labels: name；period；annual by the first two ``；``/``;`` separators.

    Without ``；``/``;``: the ``，``/``,`` separators outside parentheses, else ``名称：值`` at
    the first colon outside parentheses (the last item is True then: the colon is the label).
    After a path head (``产出指标/数量指标/``, ``path_sep`` ``/``) the name ends at the first
    colon, else at the first ``path_sep``; the value is the rest (it may contain ``/`` ``，``).
    """
    if path_sep is not None:
        nv = _split_at(rest, ":：") or _split_at(rest, path_sep)
        if nv is not None:
            return nv[0], None, nv[1], True
    seps = [m.start() for m in _SEP_RE.finditer(rest)]
    if not seps and ("，" in rest or "," in rest):
        seps = _outside_parens(rest, "，,", 2)
    if not seps:
        nv = _split_at(rest, ":：")
        if nv is not None:
            return nv[0], None, nv[1], True
        return _clean_field(rest), None, None, False
    if len(seps) == 1:
        return _clean_field(rest[: seps[0]]), None, _clean_field(rest[seps[0] + 1 :]), False
    a, b = seps[0], seps[1]
    return (
        _clean_field(rest[:a]),
        _clean_field(rest[a + 1 : b]),
        _clean_field(rest[b + 1 :]),
        False,
    )


def _label_end(body: str, j: int) -> int:
    """Position after ``[ \\t\\n]*[:：][ \\t]*`` at ``j``, or -1 when there is no colon."""
    n = len(body)
    while j < n and body[j] in " \t\n":
        j += 1
    if j < n and body[j] in ":：":
        j += 1
        while j < n and body[j] in " \t":
            j += 1
        return j
    return -1


def _find_labels(body: str) -> list[tuple[str, int, int]]:
    """Value labels as (kind, start, end): kind ``p`` (实施周期), ``a`` (年度), ``s`` (指标值).

    ``str.find`` on ``指标值``/``目标值`` and a look at the few characters before: much faster
    than a regex alternation scanned over the whole item. ``end`` is after ``:``/``：`` and
    blanks. A bare ``指标值`` counts only when a colon follows (as in ``_LABEL_RE``).
    """
    out: list[tuple[str, int, int]] = []
    for word in ("指标值", "目标值"):
        i = body.find(word)
        while i != -1:
            kind = ""
            start = i
            if i >= 4 and body.startswith("实施周期", i - 4):
                kind, start = "p", i - 4
            elif i >= 3 and body.startswith("实施期", i - 3):
                kind, start = "p", i - 3
            elif i >= 2 and body.startswith("长期", i - 2):
                kind = "p"
                start = i - 3 if i >= 3 and body[i - 3] == "中" else i - 2
            elif i >= 2 and body.startswith("年度", i - 2):
                kind = "a"
                start = i - 3 if i >= 3 and body[i - 3] == "本" else i - 2
            elif i >= 2 and body.startswith("当年", i - 2) and word == "指标值":
                kind, start = "a", i - 2
            elif word == "指标值" and (i == 0 or body[i - 1] not in "期度年"):
                kind = "s"
            if kind and (kind != "p" or word == "指标值" or start == i - 4):
                j = _label_end(body, i + 3)
                if j < 0:
                    if kind == "s":
                        kind = ""
                    j = i + 3
                if kind:
                    out.append((kind, start, j))
            i = body.find(word, i + 3)
        if word == "指标值" and "目标值" not in body:
            break
    if len(out) > 1:
        out.sort(key=lambda x: x[1])
    return out


def _parse_item(body: str, seq: int | None, raw: str, warnings: list[str]) -> Indicator:
    labels = _find_labels(body)
    p = a = s = None
    dup = False
    for lab in labels:
        g = lab[0]
        if g == "p":
            if p is None:
                p = lab
            else:
                dup = True
        elif g == "a":
            if a is None:
                a = lab
            else:
                dup = True
        elif s is None:
            s = lab
    if p is not None or a is not None:
        s = None  # a bare 指标值 inside a labelled item is text
    period_value = annual_value = None
    has_period = has_annual = False
    if p is not None and a is not None:
        has_period = has_annual = True
        if p[1] < a[1]:
            head = body[: p[1]]
            _sep_warning(head, warnings)
            pv_text = body[p[2] : a[1]]
            _sep_warning(pv_text, warnings)
            period_value = _clean_field(pv_text)
            annual_value = _clean_field(body[a[2] :])
        else:
            head = body[: a[1]]
            _sep_warning(head, warnings)
            av_text = body[a[2] : p[1]]
            _sep_warning(av_text, warnings)
            annual_value = _clean_field(av_text)
            period_value = _clean_field(body[p[2] :])
            warnings.append(W_SWAPPED)
    elif p is not None:
        has_period = True
        head = body[: p[1]]
        _sep_warning(head, warnings)
        period_value = _clean_field(body[p[2] :])
        warnings.append(W_NO_ANNUAL)
    elif a is not None:
        has_annual = True
        head = body[: a[1]]
        _sep_warning(head, warnings)
        annual_value = _clean_field(body[a[2] :])
        warnings.append(W_NO_PERIOD)
    elif s is not None:
        has_annual = True
        head = body[: s[1]]
        _sep_warning(head, warnings)
        annual_value = _clean_field(body[s[2] :])
    else:
        head = body
    if dup:
        warnings.append(W_DUP_LABEL)

    r1, r2, name, found_cat = _parse_head(head, warnings)
    if not labels and not (p or a or s):
        if not found_cat:
            # no label and no category: nothing we can trust
            name = None
            warnings.append(W_UNPARSED)
        elif name is not None:
            pm = _PATH_RE.match(head)
            name, period_value, annual_value, by_colon = _split_positional(
                name, pm.group("psep") if pm is not None else None
            )
            if annual_value is None and period_value is None:
                warnings.append(W_NO_VALUE)
            else:
                if not by_colon:
                    warnings.append(W_NO_LABEL)
                has_period = period_value is not None
                has_annual = annual_value is not None
        else:
            warnings.append(W_NO_VALUE)

    if has_period and period_value is None:
        warnings.append(W_EMPTY_PERIOD)
    if has_annual and annual_value is None:
        warnings.append(W_EMPTY_ANNUAL)

    return _finish(
        seq, r1, r2, name, period_value, annual_value, warnings, raw, found_cat or labels
    )


def _finish(
    seq: int | None,
    r1: cat.Resolved,
    r2: cat.Resolved,
    name: str | None,
    period_value: str | None,
    annual_value: str | None,
    warnings: list[str],
    raw: str,
    structured: bool | list,
) -> Indicator:
    """Category warnings, targets, placeholder/multi warnings, and the model (both paths)."""
    if structured:
        level1, level1_code = r1.name, r1.code
        if r1.problem:
            warnings.append(r1.problem)
        if r2.problem:
            warnings.append(r2.problem)
        if level1 is None:
            warnings.append(W_NO_LEVEL1)
            parent = cat.parent_code(r2.code) or cat.parent_code(cat.level2_code_of(r2.name))
            if parent is not None:
                level1 = cat.LEVEL1[parent]
        if r2.name is None:
            warnings.append(W_NO_LEVEL2)
        if name is None:
            warnings.append(W_NO_NAME)
    else:
        level1 = level1_code = None

    multi = False
    if period_value is not None:
        period_target, m1 = analyze_target(period_value)
        multi = m1
    else:
        period_target = _EMPTY_TARGET
    if annual_value is not None:
        annual_target, m2 = analyze_target(annual_value)
        multi = multi or m2
    else:
        annual_target = _EMPTY_TARGET
    if multi:
        warnings.append(W_MULTI)
    if (
        period_target.kind == "placeholder"
        or annual_target.kind == "placeholder"
        or (name is not None and name[:1] == "待" and analyze_target(name)[0].kind == "placeholder")
    ):
        warnings.append(W_PLACEHOLDER)

    return _build(
        {
            "seq": seq,
            "level1": level1,
            "level1_code": level1_code,
            "level2": r2.name,
            "level2_code": r2.code,
            "legacy": r2.legacy,
            "name": name,
            "period_value": period_value,
            "annual_value": annual_value,
            "period_target": period_target,
            "annual_target": annual_target,
            "warnings": warnings,
            "raw": raw,
            "row": None,
        }
    )


def _unparsed(raw: str, warning: str) -> Indicator:
    return _build(
        {
            "seq": None,
            "level1": None,
            "level1_code": None,
            "level2": None,
            "level2_code": None,
            "legacy": False,
            "name": None,
            "period_value": None,
            "annual_value": None,
            "period_target": _EMPTY_TARGET,
            "annual_target": _EMPTY_TARGET,
            "warnings": [warning],
            "raw": raw,
            "row": None,
        }
    )


def _looks_like_item(text: str) -> bool:
    if _LABEL_RE.search(text) or _LEVEL_LABEL_RE.match(text):
        return True
    m = _CAT_FIELD_RE.match(text)
    if m is None:
        return False
    if m.group("code") is not None:
        return True
    name = m.group("name")
    return bool(name) and (
        cat.level1_code_of(name) is not None or cat.level2_code_of(name) is not None
    )


def _parse_fast(t: str) -> list[Indicator] | None:
    """All items canonical -> the indicators; anything unusual -> None (general path)."""
    n = len(t)
    starts: list[tuple[int, int]] = []
    expected = 1
    for m in _FAST_BOUND_RE.finditer(t):
        i = m.start()
        j = i
        while j > 0 and "0" <= t[j - 1] <= "9":
            j -= 1
        if j == i:
            continue
        if (j > 0 and t[j - 1].isdigit()) or t[j:i] != str(expected):
            return None
        starts.append((j, m.end()))
        expected += 1
    if not starts or starts[0][0] != 0:
        return None
    out: list[Indicator] = []
    last = len(starts) - 1
    for idx, (s, b) in enumerate(starts):
        end = starts[idx + 1][0] if idx < last else n
        ind = _fast_item(t, s, b, end, idx + 1, [], True)
        if ind is None:
            # not canonical: the general item parser, but only when the general path would
            # cut this item exactly here (a strong head at b, no other ``N、`` inside)
            if _HEAD_RE.match(t, b) is None or _DIGIT_DUN_RE.search(t, b, end) is not None:
                return None
            ind = _parse_item(t[b:end], idx + 1, t[s:end].strip(_WS), [])
        out.append(ind)
    return out


def _fast_item(
    t: str, s: int, b: int, end: int, seq: int, warnings: list[str], check_heads: bool
) -> Indicator | None:
    """One canonical item ``t[s:end]`` (body from ``b``) -> Indicator, else None.

    Canonical: ``d-名称；dd-名称；名称；实施周期指标值:…；年度指标值:…`` with exactly these two
    labels, every separator a ``；``/``;``/``，``/``,``. The result equals ``_parse_item`` on the
    same body (tests compare them); ``check_heads`` also refuses an item head inside the item
    (needed when the caller's boundaries were not found by the general path).
    """
    # exactly two labels, 实施周期指标值 then 年度指标值 (what _find_labels would return)
    i1 = t.find("指标值", b, end)
    if i1 < b + 4 or not t.startswith("实施周期", i1 - 4):
        return None
    i2 = t.find("指标值", i1 + 3, end)
    if i2 < 0 or not t.startswith("年度", i2 - 2) or t[i2 - 3] == "本":
        return None
    if t.find("指标值", i2 + 3, end) >= 0 or t.find("目标值", b, end) >= 0:
        return None
    p0 = i1 - 4
    cm = _FAST_CATS_RE.match(t, b, p0)
    if cm is None:
        return None
    k = p0 - 1
    while t[k] in _WS:
        k -= 1
    if t[k] not in "；;，,":
        return None  # head not ended by a separator: the general path warns
    m = _COLON_RE.match(t, i1 + 3, end)
    pv_text = t[m.end() if m else i1 + 3 : i2 - 2]
    ps = pv_text.rstrip(_WS)
    if ps and ps[-1] not in "；;，,":
        return None
    ce = cm.end()
    if check_heads and t.find("、", ce, end) >= 0 and _STRONG_IN_RE.search(t, ce, end):
        return None
    m = _COLON_RE.match(t, i2 + 3, end)
    av = _clean_field(t[m.end() if m else i2 + 3 : end])
    pv = _clean_field(pv_text)
    if av is not None and av == pv:
        av = pv  # one str object for both values (memory: 160,000 indicators in a table)
    name = _clean_field(t[ce:p0])
    if name is not None and len(name) <= 32:
        name = _intern(name)  # 三级指标 names repeat across projects
    cats = cm.group()
    cc = _CATS_CACHE.get(cats)
    if cc is None:
        cc = _fast_cats(cats)
    # the same fields and warnings, in the same order, as _parse_item/_finish
    if pv is None:
        warnings.append(W_EMPTY_PERIOD)
    if av is None:
        warnings.append(W_EMPTY_ANNUAL)
    if cc[5]:
        warnings.extend(cc[5])
    if name is None:
        warnings.append(W_NO_NAME)
    if pv is not None:
        pt, multi = analyze_target(pv)
    else:
        pt, multi = _EMPTY_TARGET, False
    if av is not None:
        at, m2 = analyze_target(av)
        multi = multi or m2
    else:
        at = _EMPTY_TARGET
    if multi:
        warnings.append(W_MULTI)
    if (
        pt.kind == "placeholder"
        or at.kind == "placeholder"
        or (name is not None and name[:1] == "待" and analyze_target(name)[0].kind == "placeholder")
    ):
        warnings.append(W_PLACEHOLDER)
    return _build(
        {
            "seq": seq,
            "level1": cc[0],
            "level1_code": cc[1],
            "level2": cc[2],
            "level2_code": cc[3],
            "legacy": cc[4],
            "name": name,
            "period_value": pv,
            "annual_value": av,
            "period_target": pt,
            "annual_target": at,
            "warnings": warnings,
            "raw": t[s:end].strip(_WS),
            "row": None,
        }
    )


def _fast_cats(cats: str) -> tuple:
    """(level1, level1_code, level2, level2_code, legacy, category warnings) of a cats prefix,
    computed by the general-path functions and cached."""
    r1, r2, _, _ = _parse_head(cats, [])
    probe = _finish(None, r1, r2, "x", None, None, [], "", True)
    cw = tuple(w for w in probe.warnings if w not in (W_NO_NAME,))
    if len(_CATS_CACHE) > 4096:
        _CATS_CACHE.clear()
    cc = _CATS_CACHE[cats] = (probe.level1, probe.level1_code, r2.name, r2.code, r2.legacy, cw)
    return cc


def _parse(text: str) -> list[Indicator]:
    t = clean_text(text)
    if not t:
        return []
    if "\n" not in t or _NL_HEAD_RE.search(t) is None:  # no line may start an unnumbered item
        fast = _parse_fast(t)
        if fast is not None:
            return fast
    return _parse_general(t)


def _field_seps(t: str, s: int, e: int) -> int:
    return t.count("；", s, e) + t.count(";", s, e) + t.count("，", s, e) + t.count(",", s, e)


def _has_colon(t: str, s: int, e: int) -> bool:
    return t.find(":", s, e) >= 0 or t.find("：", s, e) >= 0


def _path_levels(m: re.Match[str]) -> tuple[cat.Resolved, cat.Resolved] | None:
    """Level 1 and level 2 of a :data:`_PATH` match when both are known names, else None."""
    c1 = cat.level1_code_of(m.group("l1"))
    if c1 is None or cat.level2_code_of(m.group("l2"), c1) is None:
        return None
    r1 = cat.resolve_level1(None, m.group("l1"))
    return r1, cat.resolve_level2(None, m.group("l2"), c1)


def _positional(seps: int, colon: bool) -> bool:
    """The fields of a label-less item: 3 separators, or 2 and a colon (``名称：值``)."""
    return seps >= 3 or (seps == 2 and colon)


def _line_number(prefix: str) -> int:
    """The number written in a line prefix (``1.`` ``（2）`` ``③`` ``4、``)."""
    d = _DIGITS_RE.search(prefix)
    return int(d.group()) if d is not None else ord(prefix.strip(_WS)[0]) - 0x245F


def _line_starts(
    t: str, starts: list[tuple[int, int, int, str | None]]
) -> list[tuple[int, int, int | None]]:
    """Unnumbered items that start at the beginning of a line: (start, body start, written
    number of a ``1.``/``（1）``/``①`` prefix or None).

    A line (blank lines skipped) starts an item when it begins with a line head (after an
    optional number prefix) and:

    - the new item (its text up to the next line with a head) has a value label, and the
      current item is *finished* (it has its 年度 or single ``指标值:`` label, or no label at
      all and the fields of a label-less item, :func:`_positional`) or has a label of the same
      kind as the new item's first one (so a value wrapped after ``实施周期指标值:…`` whose next
      line holds ``年度指标值`` stays in the item);
    - or the new item has no value label (one field per line, positional items) and the current
      item is finished. A head that is only a category *name* (``效益，…``, the likeliest start
      of a wrapped value) also needs the new item to have the fields of a label-less item;
    - a category path (``产出指标-数量指标-``, both names known) always starts an item.

    Before the first item (numbered or not) any head starts one (a name head only when its
    text looks like an item). The current item is scanned incrementally, and each new item's
    text up to the next candidate line once: linear.
    """
    n = len(t)
    out: list[tuple[int, int, int | None]] = []
    nums = [x[0] for x in starts]
    bodies = [x[1] for x in starts]
    si = 0
    cur = -1  # body start of the current item; -1: before the first item
    cur_start = -1
    kinds: set[str] = set()
    seps = 0
    colon = False
    cur_path = new_path = False  # the current / the candidate item starts with a category path
    scanned = 0

    def head_ok(p: int) -> int:
        """The body start of an item starting at ``p``, else -1."""
        nonlocal new_path
        num = _LINE_NUM_RE.match(t, p)
        q = num.end() if num is not None else p
        m = _LINE_HEAD_RE.match(t, q)
        if m is None:
            return -1
        new_path = m.group("p") is not None
        return q if ok(p, m) else -1

    def ok(p: int, m: re.Match[str]) -> bool:
        g = m.lastgroup
        if m.group("p") is not None:
            return _path_levels(m) is not None  # ``产出指标-数量指标-``: never a wrapped value
        # the new item's text: up to the next line that may start an item (it may be wrapped)
        nm = _NL_HEAD_RE.search(t, m.end())
        e = nm.start() if nm is not None else n
        lm = _LABEL_RE.search(t, p, e)
        new_ok = g != "n" or _positional(_field_seps(t, p, e), _has_colon(t, p, e))
        if cur < 0:
            return lm is not None or new_ok
        nonlocal scanned, seps, colon
        if scanned < p:
            for km in _LABEL_RE.finditer(t, scanned, p):
                kinds.add(km.lastgroup)  # type: ignore[arg-type]
            seps += _field_seps(t, scanned, p)
            colon = colon or _has_colon(t, scanned, p)
            scanned = p
        # finished: its 年度 (or single 指标值) label, or no label and label-less fields, or
        # a category path (its value follows the name on the line)
        done = (
            "a" in kinds or "s" in kinds or (not kinds and (cur_path or _positional(seps, colon)))
        )
        if lm is not None:
            return done or lm.lastgroup in kinds
        return done and new_ok

    def reset(body: int) -> None:
        nonlocal cur, scanned, seps, colon, cur_path
        cur = scanned = body
        seps = 0
        colon = False
        pm = _PATH_RE.match(t, body)  # a numbered ``N、产出指标-数量指标-…``
        cur_path = pm is not None and _path_levels(pm) is not None
        kinds.clear()

    def add(p: int, q: int) -> None:
        nonlocal cur_start, cur_path
        out.append((p, q, _line_number(t[p:q]) if q > p else None))
        cur_start = p
        reset(q)
        cur_path = new_path

    if not nums or nums[0] > 0:
        q = head_ok(0)
        if q >= 0:
            add(0, q)
    i = t.find("\n")
    while i >= 0:
        p = i + 1
        while p < n and t[p] in _WS:
            p += 1
        if p >= n:
            break
        while si < len(nums) and nums[si] <= p:  # a numbered item started before this line
            cur_start = nums[si]
            reset(bodies[si])
            si += 1
        if cur_start != p:
            q = head_ok(p)
            if q >= 0:
                add(p, q)
        i = t.find("\n", p)
    return out


def _name_value_items(t: str) -> list[Indicator] | None:
    """A cell whose lines are ``[N、|1.|（1）…]名称：值`` (two or more, the first one too).

    Other lines are wrapped continuations of the value before them. The name must not be a
    category or a label (``数量指标：…`` names the category, not the indicator). ``seq`` is the
    written number, else the position; the value is the annual value (as with ``指标值:``).
    """
    n = len(t)
    found: list[tuple[int, re.Match[str]]] = []
    p = 0
    while p < n:
        e = t.find("\n", p)
        if e < 0:
            e = n
        if t[p:e].strip(_WS):
            m = _NV_LINE_RE.match(t, p, e)
            name = m.group("name") if m is not None else ""
            if (
                m is not None
                and not any(w in name for w in _NV_NOT_NAME)
                and cat.level1_code_of(name) is None
                and cat.level2_code_of(name) is None
            ):
                found.append((p, m))
            elif not found:
                return None
        p = e + 1
    if len(found) < 2:
        return None
    out: list[Indicator] = []
    expected = 1
    none = cat.Resolved(None, None)
    for k, (s, m) in enumerate(found):
        end = found[k + 1][0] if k + 1 < len(found) else n
        warnings: list[str] = []
        num = m.group("num")
        seq = _line_number(num) if num is not None else expected
        if seq != expected:
            warnings.append(w_numbering(expected))
        expected = seq + 1
        value = _clean_field(t[m.start("v") : end])
        if value is None:
            warnings.append(W_EMPTY_ANNUAL)
        out.append(
            _finish(
                seq,
                none,
                none,
                _clean_field(m.group("name")),
                None,
                value,
                warnings,
                t[s:end].strip(_WS),
                True,
            )
        )
    return out


def _parse_general(t: str, fast_items: bool = True) -> list[Indicator]:
    """The general path: boundaries, labels, heads, warnings.

    With ``fast_items=False`` every item goes through ``_parse_item``: that is the reference
    the tests compare :func:`parse_indicators` with.
    """
    starts: list[tuple[int, int, int | None, str | None]] = list(_find_starts(t))
    if "\n" in t or not starts:
        lines = _line_starts(t, starts)  # type: ignore[arg-type]
        if lines:
            # a list of lines (no ``N、`` in the cell, two items or more) is numbered by
            # position; a written ``1.``/``（1）`` prefix gives the number
            listed = not starts and len(lines) >= 2
            line_items: list[tuple[int, int, int | None, str | None]] = []
            expected = 1
            for p, q, num in lines:
                warn: str | None = None
                if num is not None:
                    seq: int | None = num
                    if listed and num != expected:
                        warn = w_numbering(expected)
                elif listed:
                    seq = expected
                else:
                    seq, warn = None, W_NO_SEQ
                if seq is not None:
                    expected = seq + 1
                line_items.append((p, q, seq, warn))
            starts = sorted(starts + line_items, key=lambda x: x[0])
        elif not starts:
            nv = _name_value_items(t)
            if nv is not None:
                return nv
    out: list[Indicator] = []
    lead = t[: starts[0][0]] if starts else t
    lead_s = lead.strip(_WS)
    lead_warning: str | None = None
    if lead_s:
        if _looks_like_item(lead_s):
            out.append(_parse_item(lead_s, None, lead_s, [W_NO_SEQ]))
        elif starts:
            lead_warning = w_leading(lead_s)
        else:
            out.append(_unparsed(lead_s, W_UNPARSED))
    for i, (s, body_start, seq, warn) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(t)
        warnings: list[str] = []
        if warn:
            warnings.append(warn)
        if lead_warning and i == 0:
            warnings.append(lead_warning)
        raw = t[s:end].strip(_WS)
        ind = _fast_item(t, s, body_start, end, seq, warnings, False) if fast_items else None
        if ind is None:
            ind = _parse_item(t[body_start:end], seq, raw, warnings)
        out.append(ind)
    return out


def parse_indicators(text: str | None) -> list[Indicator]:
    """Parse a packed 绩效指标 cell into indicators. Never raises.

    ``None``/empty/whitespace-only text gives ``[]``.
    """
    if not text:
        return []
    try:
        return _parse(text)
    except Exception:  # defensive: a parser bug must never take a batch or a worksheet down
        raw = text if isinstance(text, str) else str(text)
        return [_unparsed(raw, INTERNAL_ERROR)]
