"""Merge two .xlsx packages at the zip level: the source sheets + the standard sheets.

Why: the default ``perfsheet summary`` output keeps the user's sheets as they are (openpyxl
loads and saves them with their formatting, plus helper columns and marks) and adds the
standard sheets, which can hold hundreds of thousands of rows. openpyxl writes those several
times slower than our writer, so the standard sheets are written into a second package
(XlsxWriter plus our spliced data rows, :mod:`perfsheet.io.xlsx_splice`) and the two packages
are merged here, copying the big compressed sheet parts byte for byte (no recompression).

Only packages written in this process are merged: ``base`` comes from ``openpyxl`` (the user's
sheets; the input file itself is never opened here) and ``extra`` from the standard-sheet
writer (inline strings only, so no shared-string table to merge). Styles are merged
with the ``extra`` styles first so that its (large) sheets keep their style indices and are
copied raw; every ``base`` part that refers to a style by index is rewritten instead
(:meth:`StyleMerge.shift_part`), so that each reference resolves to the style it resolved to
before:

* worksheets: ``s=`` (cells, rows), ``style=`` (columns), ``dxfId=`` (conditional formats);
* tables: the ``*DxfId=`` attributes of ``<table>`` and ``<tableColumn>``;
* pivot tables: ``dxfId=`` (``<format>``) and ``numFmtId=`` (fields); pivot cache
  definitions: ``numFmtId=``, since the base's custom number formats get new ids;
* styles.xml itself: the custom table styles' ``<tableStyleElement dxfId=>``.

(Appending our styles after the user's would leave their parts alone, but it needs the
standard sheets written after the source copy with shifted indices, or rewritten here: the
standard sheets are the big parts, so they are the ones copied raw.) XlsxWriter's default font
is set to the base's default font so that unstyled cells look the same as before.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_PREFIX = "perfsheet_"
_COPY_CHUNK = 1 << 20


class MergeError(RuntimeError):
    """An internal inconsistency between the two packages (a bug, not a user error)."""


# --------------------------------------------------------------------------------------------
# A small zip writer that can copy compressed members as they are
# --------------------------------------------------------------------------------------------

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0


class _ZipOut:
    """Write a zip file member by member; members are either new bytes (deflated here) or raw
    copies of another zip's compressed data. Zip64 records are written when needed."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp
        self.entries: list[tuple[bytes, int, int, int, int, int, int]] = []
        self.names: set[str] = set()

    def _local_header(
        self, name: bytes, flags: int, method: int, crc: int, csize: int, usize: int
    ) -> int:
        offset = self.fp.tell()
        zip64 = csize >= 0xFFFFFFFF or usize >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 0x0001, 16, usize, csize) if zip64 else b""
        self.fp.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                45 if zip64 else 20,
                flags,
                method,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                0xFFFFFFFF if zip64 else csize,
                0xFFFFFFFF if zip64 else usize,
                len(name),
                len(extra),
            )
        )
        self.fp.write(name)
        self.fp.write(extra)
        return offset

    def _register(self, name: str) -> tuple[bytes, int]:
        if name in self.names:
            raise MergeError(f"duplicate zip member {name}")
        self.names.add(name)
        try:
            return name.encode("ascii"), 0
        except UnicodeEncodeError:
            return name.encode("utf-8"), 0x800

    def add_bytes(self, name: str, data: bytes, level: int = 6) -> None:
        bname, flags = self._register(name)
        comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        cdata = comp.compress(data) + comp.flush()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = self._local_header(bname, flags, 8, crc, len(cdata), len(data))
        self.fp.write(cdata)
        self.entries.append((bname, flags, 8, crc, len(cdata), len(data), offset))

    def add_raw(self, name: str, src: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Copy ``info``'s compressed bytes from ``src`` without decompressing them."""
        bname, flags = self._register(name)
        fp = src.fp
        if fp is None:
            raise MergeError("source zip is closed")
        fp.seek(info.header_offset)
        head = fp.read(30)
        if head[:4] != b"PK\x03\x04":
            raise MergeError(f"bad local header for {info.filename}")
        n, m = struct.unpack("<HH", head[26:30])
        fp.seek(info.header_offset + 30 + n + m)
        offset = self._local_header(
            bname, flags, info.compress_type, info.CRC, info.compress_size, info.file_size
        )
        left = info.compress_size
        while left:
            chunk = fp.read(min(left, _COPY_CHUNK))
            if not chunk:
                raise MergeError(f"truncated member {info.filename}")
            self.fp.write(chunk)
            left -= len(chunk)
        self.entries.append(
            (
                bname,
                flags,
                info.compress_type,
                info.CRC,
                info.compress_size,
                info.file_size,
                offset,
            )
        )

    def close(self) -> None:
        cd_start = self.fp.tell()
        for bname, flags, method, crc, csize, usize, offset in self.entries:
            big = csize >= 0xFFFFFFFF or usize >= 0xFFFFFFFF or offset >= 0xFFFFFFFF
            extra = b""
            if big:
                fields = struct.pack("<QQQ", usize, csize, offset)
                extra = struct.pack("<HH", 0x0001, len(fields)) + fields
            self.fp.write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    45 if big else 20,
                    45 if big else 20,
                    flags,
                    method,
                    _DOS_TIME,
                    _DOS_DATE,
                    crc,
                    0xFFFFFFFF if big else csize,
                    0xFFFFFFFF if big else usize,
                    len(bname),
                    len(extra),
                    0,
                    0,
                    0,
                    0,
                    0xFFFFFFFF if big else offset,
                )
            )
            self.fp.write(bname)
            self.fp.write(extra)
        cd_end = self.fp.tell()
        count = len(self.entries)
        cd_size = cd_end - cd_start
        if count >= 0xFFFF or cd_start >= 0xFFFFFFFF or cd_size >= 0xFFFFFFFF:
            self.fp.write(
                struct.pack(
                    "<IQHHIIQQQQ",
                    0x06064B50,
                    44,
                    45,
                    45,
                    0,
                    0,
                    count,
                    count,
                    cd_size,
                    cd_start,
                )
            )
            self.fp.write(struct.pack("<IIQI", 0x07064B50, 0, cd_end, 1))
        self.fp.write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                min(count, 0xFFFF),
                min(count, 0xFFFF),
                min(cd_size, 0xFFFFFFFF),
                min(cd_start, 0xFFFFFFFF),
                0,
            )
        )


# --------------------------------------------------------------------------------------------
# styles.xml
# --------------------------------------------------------------------------------------------

_SECTIONS = (
    ("numFmts", "numFmt"),
    ("fonts", "font"),
    ("fills", "fill"),
    ("borders", "border"),
    ("cellStyleXfs", "xf"),
    ("cellXfs", "xf"),
    ("cellStyles", "cellStyle"),
    ("dxfs", "dxf"),
)


def _section(xml: str, sec: str) -> tuple[str | None, str]:
    """(the section's start tag or None, its inner XML)."""
    m = re.search(rf"<{sec}\b([^>]*?)(/>|>(.*?)</{sec}>)", xml, re.S)
    if not m:
        return None, ""
    return m.group(0), m.group(3) or ""


def _children(inner: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*?/>|<{tag}\b[^>]*?>.*?</{tag}>", inner, re.S)


def _shift_attrs(xml: str, shifts: dict[str, Callable[[int], int]]) -> str:
    def sub(m: re.Match[str]) -> str:
        name, value = m.group(1), int(m.group(2))
        return f' {name}="{shifts[name](value)}"'

    names = "|".join(shifts)
    return re.sub(rf'\s({names})="(\d+)"', sub, xml)


class StyleMerge:
    """The merged styles.xml and how the base package's indices moved."""

    def __init__(self, base_xml: str, extra_xml: str) -> None:
        base = {sec: _children(_section(base_xml, sec)[1], tag) for sec, tag in _SECTIONS}
        extra = {sec: _children(_section(extra_xml, sec)[1], tag) for sec, tag in _SECTIONS}

        # number formats: extra keeps its ids, base's custom ids move above them
        used = {int(x) for x in re.findall(r'numFmtId="(\d+)"', "".join(extra["numFmts"]))}
        next_id = max([163, *used]) + 1
        numfmt_map: dict[int, int] = {}
        base_numfmts = []
        for nf in base["numFmts"]:
            m = re.search(r'numFmtId="(\d+)"', nf)
            if not m:
                continue
            old = int(m.group(1))
            numfmt_map[old] = next_id
            base_numfmts.append(re.sub(r'numFmtId="\d+"', f'numFmtId="{next_id}"', nf))
            next_id += 1

        self.numfmt_map = numfmt_map

        def nf(v: int) -> int:
            return numfmt_map.get(v, v)

        n_font, n_fill, n_border = len(extra["fonts"]), len(extra["fills"]), len(extra["borders"])
        n_csx = len(extra["cellStyleXfs"])
        self.xf_offset = len(extra["cellXfs"])
        self.dxf_offset = len(extra["dxfs"])
        xf_shifts: dict[str, Callable[[int], int]] = {
            "numFmtId": nf,
            "fontId": lambda v: v + n_font,
            "fillId": lambda v: v + n_fill,
            "borderId": lambda v: v + n_border,
            "xfId": lambda v: v + n_csx,
        }
        csx_shifts = {k: f for k, f in xf_shifts.items() if k != "xfId"}
        merged = {
            "numFmts": extra["numFmts"] + base_numfmts,
            "fonts": extra["fonts"] + base["fonts"],
            "fills": extra["fills"] + base["fills"],
            "borders": extra["borders"] + base["borders"],
            "cellStyleXfs": extra["cellStyleXfs"]
            + [_shift_attrs(x, csx_shifts) for x in base["cellStyleXfs"]],
            "cellXfs": extra["cellXfs"] + [_shift_attrs(x, xf_shifts) for x in base["cellXfs"]],
            "dxfs": extra["dxfs"] + [_shift_attrs(x, {"numFmtId": nf}) for x in base["dxfs"]],
        }
        names = set(re.findall(r'name="([^"]*)"', "".join(extra["cellStyles"])))
        styles = list(extra["cellStyles"])
        for cs in base["cellStyles"]:
            m = re.search(r'name="([^"]*)"', cs)
            if m and m.group(1) in names:
                continue
            styles.append(_shift_attrs(cs, {"xfId": lambda v: v + n_csx}))
        merged["cellStyles"] = styles

        root = re.search(r"<styleSheet\b[^>]*>", base_xml)
        parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
        parts.append(root.group(0) if root else f'<styleSheet xmlns="{_MAIN_NS}">')
        for sec, _tag in _SECTIONS:
            items = merged[sec]
            if sec == "numFmts" and not items:
                continue
            parts.append(f'<{sec} count="{len(items)}">' + "".join(items) + f"</{sec}>")
        for extra_sec in ("tableStyles", "colors"):
            tag, _inner = _section(base_xml, extra_sec)
            if tag is not None and extra_sec == "tableStyles":
                # the user's custom table styles point into the (moved) base dxfs
                tag = _shift_attrs(tag, {"dxfId": lambda v: v + self.dxf_offset})
            if tag is None:
                tag, _inner = _section(extra_xml, extra_sec)
            if tag is not None:
                parts.append(tag)
        parts.append("</styleSheet>")
        self.xml = "".join(parts)

    def shift_sheet(self, xml: bytes) -> bytes:
        """Rewrite a base sheet's style references (``s=``, ``style=``, ``dxfId=``)."""
        xo, do = self.xf_offset, self.dxf_offset
        attr = re.compile(rb'\s(s|style|dxfId)="(\d+)"')

        def fix_attr(m: re.Match[bytes]) -> bytes:
            off = do if m.group(1) == b"dxfId" else xo
            return b" " + m.group(1) + b'="' + str(int(m.group(2)) + off).encode() + b'"'

        def fix_tag(m: re.Match[bytes]) -> bytes:
            return attr.sub(fix_attr, m.group(0))

        # only inside start tags of c/row/col/cfRule: cell text can never contain "<"
        return re.sub(rb"<(?:c|row|col|cfRule)\s[^>]*>", fix_tag, xml)

    def _shift_tags(self, xml: bytes, tags: bytes, *, dxf: bool, numfmt: bool) -> bytes:
        """Shift ``dxfId``/``*DxfId`` (``dxf``) and ``numFmtId`` (``numfmt``) attributes inside
        the start tags named by the regex alternation ``tags`` (prefixes allowed)."""
        do, nf = self.dxf_offset, self.numfmt_map

        def fix_attr(m: re.Match[bytes]) -> bytes:
            name, value = m.group(1), int(m.group(2))
            if name == b"numFmtId":
                if not numfmt:
                    return m.group(0)
                new = nf.get(value, value)
            elif dxf:
                new = value + do
            else:
                return m.group(0)
            return b" " + name + b'="' + str(new).encode() + b'"'

        def fix_tag(m: re.Match[bytes]) -> bytes:
            return _REF_ATTR.sub(fix_attr, m.group(0))

        return re.sub(rb"<(?:\w+:)?(?:" + tags + rb")\s[^>]*>", fix_tag, xml)

    def shift_part(self, name: str, content_type: str | None, xml: bytes) -> bytes:
        """A base part other than a worksheet (one :func:`style_refs_kind` names) with its
        style references moved to the merged indices."""
        kind = style_refs_kind(name, content_type)
        if kind == "table":
            return self._shift_tags(xml, rb"table|tableColumn", dxf=True, numfmt=False)
        if kind == "pivotTable":
            return self._shift_tags(xml, rb"format|pivotField|dataField", dxf=True, numfmt=True)
        if kind == "pivotCacheDefinition":
            return self._shift_tags(xml, rb"cacheField", dxf=False, numfmt=True)
        return xml


def style_refs_kind(name: str, content_type: str | None) -> str | None:
    """Which kind of non-worksheet part ``name`` is, when it refers to styles by index
    (``table``, ``pivotTable``, ``pivotCacheDefinition``); None for every other part."""
    ct = content_type or ""
    for kind, folder in (
        ("table", "xl/tables/"),
        ("pivotTable", "xl/pivotTables/"),
        ("pivotCacheDefinition", "xl/pivotCache/pivotCacheDefinition"),
    ):
        if ct.endswith(f".{kind}+xml") or (not ct and name.startswith(folder)):
            return kind
    return None


_REF_ATTR = re.compile(rb'\s(dxfId|\w+DxfId|numFmtId)="(\d+)"')


# --------------------------------------------------------------------------------------------
# The merge
# --------------------------------------------------------------------------------------------


def _rels_targets(rels_xml: str, owner_dir: str) -> list[str]:
    """The parts an .rels file points to (external targets left out)."""
    out = []
    for m in re.finditer(r"<Relationship\b[^>]*>", rels_xml):
        tag = m.group(0)
        t = re.search(r'Target="([^"]*)"', tag)
        if t and 'TargetMode="External"' not in tag:
            out.append(_part(t.group(1), owner_dir))
    return out


def worksheet_parts(rels_xml: str) -> dict[str, str]:
    """Relationship id -> worksheet part, from xl/_rels/workbook.xml.rels."""
    out = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels_xml):
        tag = m.group(0)
        if f'Type="{_REL_WORKSHEET}"' not in tag:
            continue
        rid = re.search(r'Id="([^"]*)"', tag)
        target = re.search(r'Target="([^"]*)"', tag)
        if rid and target:
            out[rid.group(1)] = _part(target.group(1), "xl")
    return out


def _rels_name(part: str) -> str:
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def _add_defined_names(wb_xml: str, names: list[str]) -> str:
    if not names:
        return wb_xml
    block = "".join(names)
    if "</definedNames>" in wb_xml:
        return wb_xml.replace("</definedNames>", block + "</definedNames>", 1)
    full = "<definedNames>" + block + "</definedNames>"
    if re.search(r"<definedNames\s*/>", wb_xml):
        return re.sub(r"<definedNames\s*/>", full, wb_xml, count=1)
    return wb_xml.replace("</sheets>", "</sheets>" + full, 1)


def _set_active(wb_xml: str, active: str) -> str:
    names = [xml_unescape(n) for n in re.findall(r'<sheet\b[^>]*?\bname="([^"]*)"', wb_xml)]
    if active not in names:
        return wb_xml
    idx = names.index(active)

    def set_tab(m: re.Match[str]) -> str:
        tag = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", m.group(0))
        return tag.replace("<workbookView", f'<workbookView activeTab="{idx}"', 1)

    return re.sub(r"<workbookView\b[^>]*>", set_tab, wb_xml, count=1)


def merge_packages(
    base_path: Path, extra_path: Path, out_path: Path, *, active: str | None
) -> None:
    """Write ``out_path``: every part of ``base`` + the worksheets (and their drawings and
    charts) of ``extra``, appended after the base's sheets. ``active`` names the sheet that
    is selected when the workbook opens."""
    with (
        zipfile.ZipFile(base_path) as base,
        zipfile.ZipFile(extra_path) as extra,
        open(out_path, "wb") as fp,
    ):
        bnames = set(base.namelist())
        enames = set(extra.namelist())
        if "xl/sharedStrings.xml" in enames:
            raise MergeError("the extra package must use inline strings (constant_memory)")

        def text(z: zipfile.ZipFile, name: str) -> str:
            return z.read(name).decode("utf-8")

        wb_x, wb_e = text(base, "xl/workbook.xml"), text(extra, "xl/workbook.xml")
        rels_x = text(base, "xl/_rels/workbook.xml.rels")
        rels_e = text(extra, "xl/_rels/workbook.xml.rels")
        ct_x, ct_e = text(base, "[Content_Types].xml"), text(extra, "[Content_Types].xml")
        styles = StyleMerge(text(base, "xl/styles.xml"), text(extra, "xl/styles.xml"))

        # ---- the extra worksheets and everything they reference, renamed
        ext_parts = worksheet_parts(rels_e)
        sheet_parts: list[tuple[str, str]] = []  # (<sheet .../> tag, part)
        for tag in re.findall(r"<sheet\b[^>]*/>", wb_e):
            rid = re.search(r'r:id="([^"]*)"', tag)
            if rid is None or rid.group(1) not in ext_parts:
                raise MergeError(f"unresolved sheet {tag}")
            sheet_parts.append((tag, ext_parts[rid.group(1)]))
        rename: dict[str, str] = {}
        todo = [part for _tag, part in sheet_parts]
        while todo:
            part = todo.pop()
            if part in rename:
                continue
            d, f = posixpath.split(part)
            new = posixpath.join(d, _PREFIX + f)
            while new in bnames:
                new = posixpath.join(d, _PREFIX + posixpath.basename(new))
            rename[part] = new
            rels = _rels_name(part)
            if rels in enames:
                todo.extend(p for p in _rels_targets(text(extra, rels), d) if p in enames)

        # ---- workbook.xml, its rels and the content types
        n_base = len(re.findall(r"<sheet\b", wb_x))
        max_id = max([0, *map(int, re.findall(r'sheetId="(\d+)"', wb_x))])
        new_tags, new_rels = [], []
        for i, (tag, part) in enumerate(sheet_parts, start=1):
            rid = f"rIdPerfsheet{i}"
            t = re.sub(r'sheetId="\d+"', f'sheetId="{max_id + i}"', tag)
            new_tags.append(re.sub(r'r:id="[^"]*"', f'r:id="{rid}"', t))
            new_rels.append(
                f'<Relationship Id="{rid}" Type="{_REL_WORKSHEET}" Target="/{rename[part]}"/>'
            )
        wb_out = wb_x.replace("</sheets>", "".join(new_tags) + "</sheets>", 1)
        shifted = [
            re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{int(m[1]) + n_base}"', n)
            for n in re.findall(r"<definedName\b[^>]*>.*?</definedName>", wb_e, re.S)
        ]
        wb_out = _add_defined_names(wb_out, shifted)
        if active is not None:
            wb_out = _set_active(wb_out, active)
        rels_out = rels_x.replace("</Relationships>", "".join(new_rels) + "</Relationships>", 1)

        types = []
        for part, new in rename.items():
            ctype = _override_type(ct_e, part)
            if ctype is None:
                raise MergeError(f"no content type for {part}")
            types.append(f'<Override PartName="/{new}" ContentType="{ctype}"/>')
        for m in re.finditer(r"<Default\b[^>]*>", ct_e):
            ext = re.search(r'Extension="([^"]*)"', m.group(0))
            if ext and f'Extension="{ext.group(1)}"' not in ct_x:
                types.append(m.group(0))
        ct_out = ct_x.replace("</Types>", "".join(types) + "</Types>", 1)

        # ---- write: base parts (sheets restyled), then the extra parts (raw copies)
        out = _ZipOut(fp)
        replaced = {
            "xl/workbook.xml": wb_out,
            "xl/_rels/workbook.xml.rels": rels_out,
            "[Content_Types].xml": ct_out,
            "xl/styles.xml": styles.xml,
        }
        base_sheets = set(worksheet_parts(rels_x).values())
        for info in base.infolist():
            name = info.filename
            if name in replaced:
                out.add_bytes(name, replaced[name].encode("utf-8"))
            elif name in base_sheets:
                out.add_bytes(name, styles.shift_sheet(base.read(name)))
            else:
                ctype = _override_type(ct_x, name)
                if style_refs_kind(name, ctype) is None:
                    out.add_raw(name, base, info)
                else:
                    out.add_bytes(name, styles.shift_part(name, ctype, base.read(name)))
        for part, new in rename.items():
            out.add_raw(new, extra, extra.getinfo(part))
            rels = _rels_name(part)
            if rels in enames:
                d = posixpath.dirname(part)

                def retarget(m: re.Match[str], d: str = d) -> str:
                    p = _part(m.group(1), d)
                    return f'Target="/{rename[p]}"' if p in rename else m.group(0)

                body = re.sub(r'Target="([^"]*)"', retarget, text(extra, rels))
                out.add_bytes(_rels_name(new), body.encode("utf-8"))
        out.close()


def _part(target: str, owner_dir: str) -> str:
    """A relationship target -> the part name it points to (``xl/worksheets/sheet1.xml``)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(owner_dir, target))


def _override_type(content_types: str, part: str) -> str | None:
    for m in re.finditer(r"<Override\b[^>]*>", content_types):
        tag = m.group(0)
        if f'PartName="/{part}"' in tag:
            t = re.search(r'ContentType="([^"]*)"', tag)
            return t.group(1) if t else None
    return None


def xml_unescape(s: str) -> str:
    return (
        s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )
