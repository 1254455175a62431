"""What every part of the copy reads and edits markup with: :class:`SourceCopyError` and the
small helpers (regular expressions on markup we know, never an XML parser on user input; never on
a whole big part: worksheets are streamed, :mod:`perfsheet.io.source_copy.sheet_edit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perfsheet.core.grid import col_number
from perfsheet.io.xlsx_merge import xml_unescape
from perfsheet.io.xlsx_stream import escape_text


class SourceCopyError(Exception):
    """The input package is not one this copy understands (the caller rebuilds the sheets from
    their values); the message is a short Chinese reason for the user's note."""


_ATTRS = r"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
_TAG = re.compile(
    rf"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(/?)([\w.:-]+)({_ATTRS})\s*(/?)>", re.S
)


def _esc_attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def _get(tag: str, name: str) -> str | None:
    """The value of attribute ``name`` (with its prefix, if any) of a start tag."""
    m = re.search(rf"""\s{re.escape(name)}\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag)
    if m is None:
        return None
    return xml_unescape(m.group(1) if m.group(1) is not None else m.group(2))


def _set(tag: str, name: str, value: str) -> str:
    """``tag`` with attribute ``name`` set to ``value`` (replaced in place, or added last)."""
    pat = re.compile(rf"""(\s{re.escape(name)}\s*=\s*)(?:"[^"]*"|'[^']*')""")
    if pat.search(tag):
        return pat.sub(lambda m: f'{m.group(1)}"{value}"', tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


def _drop(tag: str, name: str) -> str:
    return re.sub(rf"""\s{re.escape(name)}\s*=\s*(?:"[^"]*"|'[^']*')""", "", tag)


def _rel_id(tag: str) -> str | None:
    """The ``r:id`` of a start tag, whatever prefix the relationships namespace has."""
    m = re.search(r"""\s[\w.-]+:id\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag)
    return None if m is None else (m.group(1) if m.group(1) is not None else m.group(2))


def _prefix_of(xml: str, root: str) -> str:
    """The prefix (``"x:"`` or ``""``) of the root element ``root``."""
    m = re.search(rf"<([\w.-]+:)?{root}\b", xml)
    if m is None:
        raise SourceCopyError(f"缺少 {root}")
    return m.group(1) or ""


def _prefixed(xml: str, p: str) -> str:
    """Our own markup (unprefixed, no namespaced elements) with prefix ``p`` on every element."""
    if not p:
        return xml
    return re.sub(r"<(/?)([A-Za-z])", rf"<\1{p}\2", xml)


def _children(inner: str, p: str, tag: str) -> list[str]:
    return re.findall(
        rf"<{p}{tag}\b{_ATTRS}\s*/>|<{p}{tag}\b{_ATTRS}\s*>.*?</{p}{tag}>", inner, re.S
    )


@dataclass(slots=True)
class _Span:
    """An element in a text: its start tag [start, open_end), its content, its end tag."""

    start: int
    open_end: int
    close_start: int
    end: int

    @property
    def empty(self) -> bool:
        return self.open_end == self.end


def _element(xml: str, p: str, name: str, start: int = 0, stop: int | None = None) -> _Span | None:
    """The first ``<name>`` element at or after ``start`` (its kind never nests in itself)."""
    stop = len(xml) if stop is None else stop
    m = re.compile(rf"<{p}{name}\b{_ATTRS}\s*(/?)>").search(xml, start, stop)
    if m is None:
        return None
    if m.group(1):
        return _Span(m.start(), m.end(), m.end(), m.end())
    close = xml.find(f"</{p}{name}>", m.end(), stop)
    if close < 0:
        raise SourceCopyError(f"{name} 没有结束")
    return _Span(m.start(), m.end(), close, close + len(f"</{p}{name}>"))


def _top_level(xml: str, start: int, stop: int) -> list[tuple[str, int, int]]:
    """(local name, start, end) of the top-level elements in ``xml[start:stop]``."""
    out: list[tuple[str, int, int]] = []
    depth = 0
    first = 0
    name = ""
    for m in _TAG.finditer(xml, start, stop):
        if m.group(2) is None:
            continue
        closing, tag, empty = m.group(1), m.group(2), m.group(4)
        local = tag.rsplit(":", 1)[-1]
        if closing:
            depth -= 1
            if depth == 0:
                out.append((name, first, m.end()))
            elif depth < 0:
                raise SourceCopyError("XML 结构不完整")
        elif empty:
            if depth == 0:
                out.append((local, m.start(), m.end()))
        else:
            if depth == 0:
                first, name = m.start(), local
            depth += 1
    if depth:
        raise SourceCopyError("XML 结构不完整")
    return out


def _text(data: bytes, what: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SourceCopyError(f"{what} 不是 UTF-8 编码")
    head = data[:200]
    m = re.search(rb'encoding\s*=\s*["\']([\w.-]+)["\']', head)
    if m is not None and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise SourceCopyError(f"{what} 不是 UTF-8 编码")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SourceCopyError(f"{what} 不是 UTF-8 编码") from err


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)$")


def _rc(ref: str | None) -> tuple[int, int] | None:
    m = _REF.match(ref or "")
    return None if m is None else (int(m.group(2)), col_number(m.group(1)))
