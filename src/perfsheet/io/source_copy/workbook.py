"""The output's ``workbook.xml`` (the standard sheets added, 项目汇总 the active tab, defined
names following their sheets), relationships parts and ``[Content_Types].xml``."""

from __future__ import annotations

import re

from perfsheet.io.source_copy.markup import (
    _ATTRS,
    SourceCopyError,
    _drop,
    _element,
    _get,
    _prefix_of,
    _prefixed,
    _set,
    _top_level,
)
from perfsheet.io.source_copy.package import _OFFICE_REL, _Package, _SheetRef
from perfsheet.io.source_copy.standard import _Standard

_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_CT_MAIN = _CT + "sheet.main+xml"
_CT_COMMENTS = _CT + "comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"


def _rel_prefix(root_tag: str) -> str | None:
    m = re.search(rf'xmlns:([\w.-]+)\s*=\s*"{re.escape(_OFFICE_REL)}"', root_tag)
    return m.group(1) if m else None


def _workbook_xml(
    pkg: _Package, kept: list[_SheetRef], std: _Standard, rids: list[str], active: str
) -> str:
    xml, wp = pkg.wb, pkg.wp
    root = re.search(rf"<{wp}workbook\b{_ATTRS}\s*>", xml)
    if root is None:
        raise SourceCopyError("工作簿部件无法解析")
    rp = _rel_prefix(root.group(0))
    old_index = {s.tag: i for i, s in enumerate(pkg.sheets)}
    kept_tags = {s.tag for s in kept}
    new_index = {old_index[s.tag]: i for i, s in enumerate(kept)}
    max_id = max([0, *(int(x) for x in re.findall(r'sheetId="(\d+)"', xml))])

    # sheets: the user's (without ours of an earlier run), then the standard ones
    span = _element(xml, wp, "sheets")
    assert span is not None
    inner = xml[span.open_end : span.close_start]
    for s in pkg.sheets:
        if s.tag not in kept_tags:
            inner = inner.replace(s.tag, "", 1)
    for i, ((_name, tag, _part), rid) in enumerate(zip(std.sheets, rids, strict=True), start=1):
        t = _set(_drop(_drop(tag, "r:id"), "sheetId"), "sheetId", str(max_id + i))
        t = t[:-2].rstrip()
        t += f' {rp}:id="{rid}"/>' if rp else f' xmlns:r="{_OFFICE_REL}" r:id="{rid}"/>'
        inner += _prefixed(t, wp)
    xml = xml[: span.open_end] + inner + xml[span.close_start :]

    # defined names: ours of an earlier run go, the others follow their sheet, ours are added
    n_kept = len(kept)
    span = _element(xml, wp, "definedNames")
    names = []
    if span is not None and not span.empty:
        for m in re.finditer(
            rf"<{wp}definedName\b{_ATTRS}\s*(?:/>|>.*?</{wp}definedName>)",
            xml[span.open_end : span.close_start],
            re.S,
        ):
            el = m.group(0)
            tag = el[: el.index(">") + 1]
            local = _get(tag, "localSheetId")
            if local is not None and local.isdigit():
                if int(local) not in new_index:
                    continue
                el = _set(tag, "localSheetId", str(new_index[int(local)])) + el[len(tag) :]
            names.append(el)
    for el in std.names:
        tag = el[: el.index(">") + 1]
        local = _get(tag, "localSheetId")
        if local is not None and local.isdigit():
            el = _set(tag, "localSheetId", str(int(local) + n_kept)) + el[len(tag) :]
        names.append(_prefixed(el, wp))
    block = f"<{wp}definedNames>{''.join(names)}</{wp}definedNames>" if names else ""
    if span is not None:
        xml = xml[: span.start] + block + xml[span.end :]
    elif block:
        body = _element(xml, wp, "workbook")
        assert body is not None
        at = None
        for name, _start, end in _top_level(xml, body.open_end, body.close_start):
            if name in ("sheets", "functionGroups", "externalReferences"):
                at = end
        if at is None:
            raise SourceCopyError("工作簿部件无法解析")
        xml = xml[:at] + block + xml[at:]

    # the active tab: 项目汇总 (its index among the output's sheets)
    active_index = n_kept + [n for n, _, _ in std.sheets].index(active)
    removed = sorted(set(range(len(pkg.sheets))) - set(new_index))

    def view(m: re.Match[str]) -> str:
        tag = _set(m.group(0), "activeTab", str(active_index))
        first = _get(tag, "firstSheet")
        if first is not None and first.isdigit():
            f = int(first)
            f = new_index.get(f, 0) if f in new_index or f in removed else f
            tag = _set(tag, "firstSheet", str(min(f, max(n_kept - 1, 0))))
        return tag

    views = _element(xml, wp, "bookViews")
    if views is None:
        at = _element(xml, wp, "sheets")
        assert at is not None
        block = f'<{wp}bookViews><{wp}workbookView activeTab="{active_index}"/></{wp}bookViews>'
        xml = xml[: at.start] + block + xml[at.start :]
    else:
        inner = re.sub(
            rf"<{wp}workbookView\b{_ATTRS}\s*/?>", view, xml[views.open_end : views.close_start]
        )
        if not re.search(rf"<{wp}workbookView\b", inner):
            inner += f'<{wp}workbookView activeTab="{active_index}"/>'
        if views.empty:
            tag = xml[views.start : views.open_end][:-2].rstrip() + ">"
            xml = xml[: views.start] + tag + inner + f"</{wp}bookViews>" + xml[views.end :]
        else:
            xml = xml[: views.open_end] + inner + xml[views.close_start :]
    return xml


def _rels_xml(xml: str, drop: set[str], add: list[tuple[str, str, str]]) -> str:
    """A relationships part without the relationships ``drop`` (ids), with ``add`` (id, type
    URI, absolute target) appended."""
    for m in list(re.finditer(r"<(?:[\w.-]+:)?Relationship\b[^>]*>", xml)):
        if _get(m.group(0), "Id") in drop:
            xml = xml.replace(m.group(0), "", 1)
    p = _prefix_of(xml, "Relationships")
    new = "".join(
        f'<{p}Relationship Id="{i}" Type="{t}" Target="/{target}"/>' for i, t, target in add
    )
    end = xml.rfind(f"</{p}Relationships>")
    if end < 0:
        raise SourceCopyError("关系部件无法解析")
    return xml[:end] + new + xml[end:]


def _new_rels(add: list[tuple[str, str, str]]) -> str:
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_REL_NS}"></Relationships>'
    )
    return _rels_xml(xml, set(), add)


def _unique_id(taken: set[str], base: str) -> str:
    i = 1
    while f"{base}{i}" in taken:
        i += 1
    taken.add(f"{base}{i}")
    return f"{base}{i}"


def _unique_part(taken: set[str], pattern: str) -> str:
    i = 1
    while pattern.format(i) in taken:
        i += 1
    taken.add(pattern.format(i))
    return pattern.format(i)


def _content_types(
    pkg: _Package,
    drop: set[str],
    overrides: list[tuple[str, str]],
    defaults: list[tuple[str, str]],
) -> str:
    xml = pkg.ct
    p = _prefix_of(xml, "Types")
    for m in list(re.finditer(rf"<{p}Override\b[^>]*>", xml)):
        tag = m.group(0)
        part = (_get(tag, "PartName") or "").lstrip("/")
        if part in drop:
            xml = xml.replace(tag, "", 1)
        elif part == pkg.workbook and (_get(tag, "ContentType") or "") != _CT_MAIN:
            # the output is an .xlsx: a macro-enabled or template workbook part would make Excel
            # refuse the file (vbaProject.bin and its relationship stay as they are)
            xml = xml.replace(tag, _set(tag, "ContentType", _CT_MAIN), 1)
    have = {
        (_get(m.group(0), "Extension") or "").lower()
        for m in re.finditer(rf"<{p}Default\b[^>]*>", xml)
    }
    add = [
        f'<{p}Default Extension="{ext}" ContentType="{ct}"/>'
        for ext, ct in defaults
        if ext.lower() not in have
    ]
    add += [f'<{p}Override PartName="/{part}" ContentType="{ct}"/>' for part, ct in overrides]
    end = xml.rfind(f"</{p}Types>")
    if end < 0:
        raise SourceCopyError("内容类型部件无法解析")
    return xml[:end] + "".join(add) + xml[end:]
