"""The notes of an annotated sheet: which comments stay, go or come (:class:`_Notes`,
:func:`_read_notes`) and the VML drawing that shows them (:func:`_vml`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from perfsheet.core.annotations import NOTE_AUTHOR, AnnotationPlan
from perfsheet.core.grid import cell_ref
from perfsheet.io.source_copy.markup import (
    _ATTRS,
    SourceCopyError,
    _children,
    _element,
    _get,
    _prefix_of,
    _rc,
)
from perfsheet.io.source_copy.package import _Package
from perfsheet.io.xlsx_merge import xml_unescape
from perfsheet.io.xlsx_stream import escape_text


@dataclass
class _Notes:
    """The notes of one annotated sheet: which of perfsheet's earlier notes go, which new ones
    come (a cell with a note of the user's keeps it)."""

    part: str | None  # the comments part, None when the sheet has none
    created: bool = False  # the part is new (the sheet had no notes)
    xml: str = ""
    p: str = ""
    authors: list[str] = field(default_factory=list)
    kept: list[tuple[tuple[int, int], str]] = field(default_factory=list)  # (cell, <comment>)
    removed: set[tuple[int, int]] = field(default_factory=set)
    new: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> note text

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.new)

    def render(self) -> str | None:
        """The comments part, or None when no comment is left."""
        if not self.kept and not self.new:
            return None
        p = self.p
        authors = list(self.authors)
        if self.new and NOTE_AUTHOR not in authors:
            authors.append(NOTE_AUTHOR)
        ours = authors.index(NOTE_AUTHOR) if self.new else -1
        items = list(self.kept)  # the user's notes in their order; ours in cell order among them
        for (r, c), note in sorted(self.new.items()):
            text = escape_text(note)
            el = (
                f'<{p}comment ref="{cell_ref(r, c)}" authorId="{ours}"><{p}text>'
                f'<{p}t xml:space="preserve">{text}</{p}t></{p}text></{p}comment>'
            )
            at = next((i for i, (cell, _) in enumerate(items) if cell > (r, c)), len(items))
            items.insert(at, ((r, c), el))
        body = "".join(x for _, x in items)
        if self.part is None or self.created:
            names = "".join(f"<author>{escape_text(a)}</author>" for a in authors)
            return (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"<authors>{names}</authors><commentList>{body}</commentList></comments>"
            )
        xml = self.xml
        span = _element(xml, p, "commentList")
        if span is None:
            raise SourceCopyError("批注部件无法解析")
        xml = xml[: span.start] + f"<{p}commentList>{body}</{p}commentList>" + xml[span.end :]
        if len(authors) > len(self.authors):
            add = f"<{p}author>{escape_text(NOTE_AUTHOR)}</{p}author>"
            a = _element(xml, p, "authors")
            if a is None:
                raise SourceCopyError("批注部件无法解析")
            if a.empty:
                xml = xml[: a.start] + f"<{p}authors>{add}</{p}authors>" + xml[a.end :]
            else:
                xml = xml[: a.close_start] + add + xml[a.close_start :]
        return xml


def _comment_text(xml: str, p: str) -> str:
    parts = re.findall(rf"<{p}t\b{_ATTRS}\s*>(.*?)</{p}t>", xml, re.S)
    return xml_unescape("".join(parts))


def _read_notes(pkg: _Package, part: str | None, plans: Sequence[AnnotationPlan]) -> _Notes:
    notes = _Notes(part)
    if part is not None:
        xml = pkg.text(part)
        notes.xml, notes.p = xml, _prefix_of(xml, "comments")
        p = notes.p
        a = _element(xml, p, "authors")
        if a is not None and not a.empty:
            notes.authors = [
                xml_unescape(re.sub(r"<[^>]*>", "", x))
                for x in _children(xml[a.open_end : a.close_start], p, "author")
            ]
        span = _element(xml, p, "commentList")
        body = "" if span is None or span.empty else xml[span.open_end : span.close_start]
        for c in _children(body, p, "comment"):
            tag = c[: c.index(">") + 1]
            at = _rc(_get(tag, "ref"))
            if at is None:
                raise SourceCopyError("批注的位置无法解析")
            aid = _get(tag, "authorId") or ""
            author = (
                notes.authors[int(aid)] if aid.isdigit() and int(aid) < len(notes.authors) else ""
            )
            ours = author == NOTE_AUTHOR or _comment_text(c, p).startswith(f"{NOTE_AUTHOR}：")
            if _goes(at, ours, plans):
                notes.removed.add(at)
            else:
                notes.kept.append((at, c))
    noted = {at for at, _ in notes.kept}
    for plan in plans:
        for m in plan.marks:
            if (m.row, m.col) not in noted:
                notes.new[(m.row, m.col)] = m.note
    return notes


def _goes(at: tuple[int, int], ours: bool, plans: Sequence[AnnotationPlan]) -> bool:
    """Whether a note goes: perfsheet's in a table (it is written again if it still stands),
    anyone's in the helper columns of an earlier run (they are cleared)."""
    r, c = at
    for plan in plans:
        if ours and plan.first_row <= r <= plan.last_row and c < plan.start_col:
            return True
        r1, r2 = plan.clear_rows
        if c in plan.clear_columns and r1 <= r <= r2:
            return True
    return False


_VML_NS = {
    "v": b"urn:schemas-microsoft-com:vml",
    "o": b"urn:schemas-microsoft-com:office:office",
    "x": b"urn:schemas-microsoft-com:office:excel",
}
_VML_ID = re.compile(rb"_x0000_s(\d+)")
_IDMAP = re.compile(rb'<(\w+:)?idmap\b[^>]*\sdata="([^"]*)"')


def _vml_blocks(data: bytes) -> set[int]:
    out: set[int] = set()
    for m in _IDMAP.finditer(data):
        out |= {int(x) for x in re.findall(rb"\d+", m.group(2))}
    return out


def _vml_shape(v: str, o: str, x: str, sid: int, row: int, col: int, z: int) -> str:
    """A hidden note box for the cell (row, col) (1-based), as Excel draws one."""
    r0, c0 = row - 1, col - 1
    anchor = f"{c0 + 1}, 15, {max(r0 - 1, 0)}, 2, {c0 + 4}, 31, {max(r0 - 1, 0) + 5}, 2"
    return (
        f'<{v}shape id="_x0000_s{sid}" type="#_x0000_t202" style="position:absolute;'
        f"margin-left:{72 * col:.0f}pt;margin-top:{15 * max(r0 - 1, 0):.0f}pt;width:240pt;"
        f'height:90pt;z-index:{z};visibility:hidden" fillcolor="#ffffe1" {o}insetmode="auto">'
        f'<{v}fill color2="#ffffe1"/><{v}shadow on="t" color="black" obscured="t"/>'
        f'<{v}path {o}connecttype="none"/><{v}textbox style="mso-direction-alt:auto">'
        f'<div style="text-align:left"></div></{v}textbox><{x}ClientData ObjectType="Note">'
        f"<{x}MoveWithCells/><{x}SizeWithCells/><{x}Anchor>{anchor}</{x}Anchor>"
        f"<{x}AutoFill>False</{x}AutoFill><{x}Row>{r0}</{x}Row><{x}Column>{c0}</{x}Column>"
        f"</{x}ClientData></{v}shape>"
    )


def _shapetype(v: str, o: str) -> str:
    return (
        f'<{v}shapetype id="_x0000_t202" coordsize="21600,21600" {o}spt="202" '
        f'path="m,l,21600r21600,l21600,xe"><{v}stroke joinstyle="miter"/>'
        f'<{v}path gradientshapeok="t" {o}connecttype="rect"/></{v}shapetype>'
    )


def _vml(
    data: bytes | None,
    removed: set[tuple[int, int]],
    new: Sequence[tuple[int, int]],
    taken: set[int],
) -> bytes:
    """The VML drawing with the note shapes of ``removed`` cells taken out and boxes for the
    ``new`` cells added (a new drawing when ``data`` is None). Bytes, not text: VML written by
    Excel is neither always UTF-8 nor always well-formed XML; only ASCII markup is added."""
    if data is None:
        data = (
            b'<xml xmlns:v="urn:schemas-microsoft-com:vml" '
            b'xmlns:o="urn:schemas-microsoft-com:office:office" '
            b'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data=""/></o:shapelayout></xml>'
        )
    pre: dict[str, str] = {}
    for key, uri in _VML_NS.items():
        m = re.search(rb"xmlns:(\w+)\s*=\s*[\"']" + re.escape(uri) + rb"[\"']", data)
        if m is None:
            root = re.search(rb"<xml\b", data)
            if root is None:
                raise SourceCopyError("批注图形部件无法解析")
            decl = b" xmlns:" + key.encode() + b'="' + uri + b'"'
            data = data[: root.end()] + decl + data[root.end() :]
            pre[key] = key + ":"
        else:
            pre[key] = m.group(1).decode("ascii") + ":"
    v, o, x = pre["v"], pre["o"], pre["x"]
    if removed:
        vb, xb = v.encode(), x.encode()
        shape = re.compile(
            rb"<" + re.escape(vb) + rb"shape\b.*?</" + re.escape(vb) + rb"shape>", re.S
        )
        row_re = re.compile(rb"<" + re.escape(xb) + rb"Row>\s*(\d+)\s*<")
        col_re = re.compile(rb"<" + re.escape(xb) + rb"Column>\s*(\d+)\s*<")

        def drop(m: re.Match[bytes]) -> bytes:
            s = m.group(0)
            if b'ObjectType="Note"' not in s:
                return s
            r, c = row_re.search(s), col_re.search(s)
            if r and c and (int(r.group(1)) + 1, int(c.group(1)) + 1) in removed:
                return b""
            return s

        data = shape.sub(drop, data)
    if not new:
        return data
    blocks = _vml_blocks(data)
    ids = [int(i) for i in _VML_ID.findall(data)]
    sid = max(ids, default=0)
    shapes = []
    z = len(ids) + 1
    for r, c in new:
        # shape ids come in blocks of 1024 (the drawing's idmap lists its blocks); a block of
        # another drawing is never used, nor block 0
        sid += 1
        b = sid // 1024
        if b == 0 or sid % 1024 == 0 or (b in taken and b not in blocks):
            b = max([*taken, *blocks, 0]) + 1
            sid = b * 1024 + 1
        blocks.add(b)
        shapes.append(_vml_shape(v, o, x, sid, r, c, z))
        z += 1
    taken |= blocks
    add = "".join(shapes).encode("ascii")
    if b"_x0000_t202" not in data:
        add = _shapetype(v, o).encode("ascii") + add
    end = data.rfind(b"</xml>")
    if end < 0:
        raise SourceCopyError("批注图形部件无法解析")
    data = data[:end] + add + data[end:]
    listed = ",".join(str(b) for b in sorted(blocks)).encode("ascii")
    if _IDMAP.search(data):
        data = re.sub(
            rb'(<(?:\w+:)?idmap\b[^>]*\sdata=")[^"]*(")',
            rb"\g<1>" + listed + rb"\g<2>",
            data,
            count=1,
        )
    return data
