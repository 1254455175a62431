"""The user's package as the copy sees it before it writes anything: its parts, the workbook
part and its sheets, and the relationships between parts."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from perfsheet.io.source_copy.markup import (
    _ATTRS,
    SourceCopyError,
    _element,
    _get,
    _prefix_of,
    _rel_id,
    _text,
)
from perfsheet.io.xlsx_merge import part_name, rels_name

_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_KINDS = ("worksheet", "chartsheet", "dialogsheet", "xlMacrosheet", "xlIntlMacrosheet")


@dataclass(slots=True)
class _Rel:
    id: str
    type: str  # the last segment of the type URI: "worksheet", "comments", "vmlDrawing"…
    part: str  # the part it points to ("" for an external target)
    tag: str


@dataclass(slots=True)
class _SheetRef:
    name: str
    tag: str  # the <sheet .../> element of workbook.xml
    rid: str
    part: str
    kind: str  # "worksheet", "chartsheet"…


class _Package:
    """What the copy needs to know of the input before it writes anything."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in z.infolist():
            if info.filename in self.infos:
                raise SourceCopyError("压缩包内有重名的部件")
            if info.flag_bits & 0x1:
                raise SourceCopyError("部件已加密")
            self.infos[info.filename] = info
        self.ct = self.text("[Content_Types].xml")
        root = [r for r in self.rels("") if r.type == "officeDocument"]
        if len(root) != 1 or root[0].part not in self.infos:
            raise SourceCopyError("找不到工作簿部件")
        self.workbook = root[0].part
        self.wb = self.text(self.workbook)
        self.wp = _prefix_of(self.wb, "workbook")
        self.wb_rels_part = rels_name(self.workbook)
        self.wb_rels = self.rels(self.workbook)
        by_id = {r.id: r for r in self.wb_rels}
        styles = [r.part for r in self.wb_rels if r.type == "styles"]
        if len(styles) != 1 or styles[0] not in self.infos:
            raise SourceCopyError("找不到样式部件")
        self.styles_part = styles[0]
        self.sheets: list[_SheetRef] = []
        sheets = _element(self.wb, self.wp, "sheets")
        if sheets is None:
            raise SourceCopyError("工作簿没有工作表")
        for m in re.finditer(
            rf"<{self.wp}sheet\b{_ATTRS}\s*/?>", self.wb[sheets.open_end : sheets.close_start]
        ):
            tag = m.group(0)
            rid, name = _rel_id(tag), _get(tag, "name")
            rel = by_id.get(rid or "")
            if rel is None or name is None or rel.part not in self.infos:
                raise SourceCopyError("工作表的关系无法解析")
            self.sheets.append(_SheetRef(name, tag, rel.id, rel.part, rel.type))

    def read(self, name: str) -> bytes:
        try:
            return self.z.read(name)
        except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, EOFError) as err:
            raise SourceCopyError(f"无法读取部件 {name}") from err
        except Exception as err:  # zlib.error and friends: a corrupt member
            raise SourceCopyError(f"无法读取部件 {name}") from err

    def text(self, name: str) -> str:
        if name not in self.infos:
            raise SourceCopyError(f"缺少部件 {name}")
        return _text(self.read(name), name)

    def rels(self, part: str) -> list[_Rel]:
        """The relationships of ``part`` ("" = the package's), [] without a rels part."""
        name = rels_name(part)
        if name not in self.infos:
            return []
        return parse_rels(self.text(name), posixpath.dirname(part))

    def graph(self) -> dict[str, list[str]]:
        """Part -> the parts its relationships point to (the package itself is "")."""
        out: dict[str, list[str]] = {}
        for name in self.infos:
            d, f = posixpath.split(name)
            if posixpath.basename(d) == "_rels" and f.endswith(".rels"):
                # d/_rels/f.rels belongs to d/f; _rels/.rels to the package ("")
                owner = posixpath.join(posixpath.dirname(d), f[: -len(".rels")])
                out[owner] = [r.part for r in self.rels(owner) if r.part]
        return out


def parse_rels(xml: str, owner_dir: str) -> list[_Rel]:
    out = []
    for m in re.finditer(r"<(?:[\w.-]+:)?Relationship\b[^>]*>", xml):
        tag = m.group(0)
        rid, rtype, target = _get(tag, "Id"), _get(tag, "Type"), _get(tag, "Target")
        if rid is None or rtype is None or target is None:
            raise SourceCopyError("关系部件无法解析")
        external = (_get(tag, "TargetMode") or "").lower() == "external"
        part = "" if external else part_name(target, owner_dir)
        out.append(_Rel(rid, rtype.rsplit("/", 1)[-1], part, tag))
    return out


def _reach(graph: dict[str, list[str]], start: Sequence[str], stop: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        p = todo.pop()
        if p in seen or p in stop:
            continue
        seen.add(p)
        todo.extend(graph.get(p, ()))
    return seen
