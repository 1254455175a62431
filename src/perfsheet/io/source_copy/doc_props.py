"""The output's ``docProps/app.xml``: its list of sheets names the output's worksheets, the
standard sheets included. Excel ignores that list, but other readers and the file properties
dialog show it.

The list is ``TitlesOfParts``, grouped by the ``HeadingPairs`` entries (a label and a count
each: worksheets, charts, named ranges…). The labels are in the language of the application
that saved the file, so the worksheets' entry is known by its place: the first, as Excel,
WPS and XlsxWriter write it. Only that entry's count and titles change; every other byte of
the part stays, the other entries (a chart sheet, the named ranges) with their titles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from perfsheet.io.source_copy.markup import (
    _ATTRS,
    SourceCopyError,
    _element,
    _get,
    _prefix_of,
    _set,
    _text,
)
from perfsheet.io.source_copy.package import _Package
from perfsheet.io.xlsx_merge import xml_unescape
from perfsheet.io.xlsx_stream import escape_text

_APP_RELS = ("extended-properties", "extendedProperties")  # transitional, strict
_STRINGS = ("lpstr", "lpwstr", "bstr")
_INTS = ("i1", "i2", "i4", "i8", "int", "ui1", "ui2", "ui4", "ui8", "uint")


def _app_props(pkg: _Package, worksheets: Sequence[str]) -> tuple[str, bytes] | None:
    """(part, content) of the output's ``docProps/app.xml``, listing ``worksheets`` (the
    output's, in workbook order) as its worksheets. None: the input's part, if it has one, is
    copied as it is — it lists no sheets, already lists these, or is not one this code reads
    (a list of sheets is not worth giving up the copy for)."""
    parts = [r.part for r in pkg.rels("") if r.type in _APP_RELS and r.part in pkg.infos]
    if len(parts) != 1:
        return None
    others = {s.name for s in pkg.sheets if s.kind != "worksheet"}
    try:
        xml = _text(pkg.read(parts[0]), parts[0])
        new = _listing(xml, worksheets, others)
    except SourceCopyError:
        return None
    return None if new is None else (parts[0], new.encode("utf-8"))


def _listing(xml: str, worksheets: Sequence[str], others: set[str]) -> str | None:
    """``xml`` with the first ``HeadingPairs`` entry counting ``worksheets`` and the titles it
    counts replaced by them; None when unchanged, or when the lists do not read as Excel
    writes them (counts that do not add up, the first entry not the worksheets')."""
    p = _prefix_of(xml, "Properties")
    heads, titles = _element(xml, p, "HeadingPairs"), _element(xml, p, "TitlesOfParts")
    if heads is None or titles is None:
        return None
    m = re.search(r"<([\w.-]+:)?vector\b", xml[heads.open_end : heads.close_start])
    vt = (m.group(1) or "") if m else ""
    pairs_vec = _element(xml, vt, "vector", heads.open_end, heads.close_start)
    titles_vec = _element(xml, vt, "vector", titles.open_end, titles.close_start)
    if pairs_vec is None or titles_vec is None or pairs_vec.empty or titles_vec.empty:
        return None
    variant = re.compile(
        rf"<{vt}variant\b{_ATTRS}\s*>\s*<{vt}(\w+)\b{_ATTRS}\s*>([^<]*)</{vt}\1>\s*</{vt}variant>"
    )
    variants = _tiling(variant, xml, pairs_vec.open_end, pairs_vec.close_start)
    if not variants or len(variants) % 2:
        return None
    counts = variants[1::2]
    if any(v.group(1) not in _STRINGS for v in variants[::2]) or any(
        c.group(1) not in _INTS or not c.group(2).strip().isdigit() for c in counts
    ):
        return None
    kind = _get(xml[titles_vec.start : titles_vec.open_end], "baseType")
    if kind not in _STRINGS:
        return None
    title = re.compile(rf"<{vt}{kind}\b{_ATTRS}\s*(?:/>|>([^<]*)</{vt}{kind}>)")
    entries = _tiling(title, xml, titles_vec.open_end, titles_vec.close_start)
    n = int(counts[0].group(2))
    if entries is None or sum(int(c.group(2)) for c in counts) != len(entries):
        return None
    old = [xml_unescape(e.group(1) or "") for e in entries[:n]]
    if old == list(worksheets):
        return None
    if others & set(old):  # a chart sheet among them: not the worksheets' entry
        return None
    body = "".join(f"<{vt}{kind}>{escape_text(name)}</{vt}{kind}>" for name in worksheets)
    start = entries[0].start() if n else titles_vec.open_end
    end = entries[n - 1].end() if n else titles_vec.open_end
    size = len(entries) - n + len(worksheets)
    vec_tag = _set(xml[titles_vec.start : titles_vec.open_end], "size", str(size))
    count = counts[0]
    edits = [  # (start, end, text), applied from the end so that offsets hold
        (count.start(2), count.end(2), str(len(worksheets))),
        (titles_vec.start, titles_vec.open_end, vec_tag),
        (start, end, body),
    ]
    for a, b, text in sorted(edits, reverse=True):
        xml = xml[:a] + text + xml[b:]
    return xml


def _tiling(
    pattern: re.Pattern[str], xml: str, start: int, stop: int
) -> list[re.Match[str]] | None:
    """The matches of ``pattern`` that fill ``xml[start:stop]`` (white space between them);
    None when anything else stands there."""
    out = []
    pos = start
    for m in pattern.finditer(xml, start, stop):
        if xml[pos : m.start()].strip():
            return None
        out.append(m)
        pos = m.end()
    return out if not xml[pos:stop].strip() else None
