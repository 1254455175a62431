"""The standard sheets, embedded in the copy.

They are written by :class:`~perfsheet.io.summary_writer.StandardSheets` into XlsxWriter's
package and row spools, and copied in here with every style index moved past the user's: the
spooled rows are rendered with the moved indices (:class:`_ShiftedSheets`), the few cells
XlsxWriter writes itself (titles, headers, the total row) are moved when its small sheet XML is
copied. Moving ``s="N"`` while copying the finished standard package instead would cost an
inflate, a regex pass and a deflate of every cell: 6.5 s more (measured on the 160,000-row
detail sheet of 20,000 projects, a 16 s run); rendering the rows with moved indices is free.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from perfsheet.io.source_copy.markup import SourceCopyError, _get, _rel_id
from perfsheet.io.source_copy.package import parse_rels
from perfsheet.io.source_copy.styles import _Styles
from perfsheet.io.xlsx_merge import ZipOut, part_name, rels_name, xml_unescape

_PREFIX = "perfsheet_"


def _shifted_sheets_class() -> type:
    from perfsheet.io.summary_writer import StandardSheets
    from perfsheet.io.xlsx_splice import RowRender

    class _ShiftedSheets(StandardSheets):  # type: ignore[misc, valid-type]
        """:class:`StandardSheets` whose spooled rows name their cell formats by their index in
        the output's styles.xml (XlsxWriter's index + the user's cell-format count)."""

        def __init__(self, *args: Any, xf_offset: int, **kwargs: Any) -> None:
            self.xf_offset = xf_offset
            super().__init__(*args, **kwargs)

        def _render(self, sheet: Any) -> Any:
            if sheet.render is None:
                cols, max_col, wrapped = super()._render(sheet)
                off = self.xf_offset

                def shift(attr: str) -> str:
                    m = re.fullmatch(r' s="(\d+)"', attr)
                    return f' s="{int(m.group(1)) + off}"' if m else attr

                sheet.render = RowRender(
                    [(a, shift(s), shift(ls)) for a, s, ls in cols], max_col, wrapped
                )
            return sheet.render

    return _ShiftedSheets


_STD_REF = re.compile(r'\s(s|style|dxfId)="(\d+)"')


def _shift_std_sheet(xml: str, xf_offset: int, dxf_offset: int) -> str:
    """XlsxWriter's own cells, rows, columns and conditional formats of a standard sheet with
    their style indices moved past the user's (the sheet XML before the rows are spliced in:
    titles, headers, the total row — small)."""

    def fix_attr(m: re.Match[str]) -> str:
        off = dxf_offset if m.group(1) == "dxfId" else xf_offset
        return f' {m.group(1)}="{int(m.group(2)) + off}"'

    return re.sub(
        r"<(?:c|row|col|cfRule)\s[^>]*>", lambda m: _STD_REF.sub(fix_attr, m.group(0)), xml
    )


@dataclass
class _Standard:
    """The standard sheets' package (XlsxWriter's, rows not spliced in yet)."""

    z: zipfile.ZipFile
    sheets: list[tuple[str, str, str]]  # (sheet name, <sheet/> tag, part)
    rename: dict[str, str]  # its part -> the output's part name
    names: list[str]  # its <definedName> elements
    styles: str
    ct: str

    @classmethod
    def read(cls, z: zipfile.ZipFile, taken: set[str]) -> _Standard:
        wb = z.read("xl/workbook.xml").decode("utf-8")
        rels = {r.id: r for r in parse_rels(z.read("xl/_rels/workbook.xml.rels").decode(), "xl")}
        sheets = []
        for tag in re.findall(r"<sheet\b[^>]*/>", wb):
            rel = rels[_rel_id(tag) or ""]
            sheets.append((_get(tag, "name") or "", tag, rel.part))
        names = set(z.namelist())
        rename: dict[str, str] = {}
        todo = [part for _, _, part in sheets]
        while todo:
            part = todo.pop()
            if part in rename:
                continue
            d, f = posixpath.split(part)
            new = posixpath.join(d, _PREFIX + f)
            while new in taken:
                new = posixpath.join(d, _PREFIX + posixpath.basename(new))
            rename[part] = new
            taken.add(new)
            rp = rels_name(part)
            if rp in names:
                todo += [r.part for r in parse_rels(z.read(rp).decode(), d) if r.part in names]
        return cls(
            z=z,
            sheets=sheets,
            rename=rename,
            names=re.findall(r"<definedName\b[^>]*>.*?</definedName>", wb, re.S),
            styles=z.read("xl/styles.xml").decode("utf-8"),
            ct=z.read("[Content_Types].xml").decode("utf-8"),
        )

    def content_type(self, part: str) -> str:
        for m in re.finditer(r"<Override\b[^>]*>", self.ct):
            if _get(m.group(0), "PartName") == "/" + part:
                return _get(m.group(0), "ContentType") or ""
        raise SourceCopyError(f"no content type for {part}")

    def write(self, out: ZipOut, spools: Any, styles: _Styles) -> None:
        from perfsheet.io.xlsx_splice import _write_spliced

        parts = {part: name for name, _, part in self.sheets}
        for part, new in self.rename.items():
            info = self.z.getinfo(part)
            if part in parts:
                xml = _shift_std_sheet(
                    self.z.read(part).decode("utf-8"), styles.xf_offset, styles.dxf_offset
                )
                spool = spools.by_sheet.get(parts[part])
                if spool is not None and spool.first_row:
                    _write_spliced(out, new, xml, spool)
                else:
                    out.add_bytes(new, xml.encode("utf-8"))
            else:
                out.add_raw(new, self.z, info)
            rp = rels_name(part)
            if rp in self.z.namelist():
                d = posixpath.dirname(part)

                def retarget(m: re.Match[str], d: str = d) -> str:
                    p = part_name(xml_unescape(m.group(1)), d)
                    return f'Target="/{self.rename[p]}"' if p in self.rename else m.group(0)

                body = re.sub(r'Target="([^"]*)"', retarget, self.z.read(rp).decode("utf-8"))
                out.add_bytes(rels_name(new), body.encode("utf-8"))
