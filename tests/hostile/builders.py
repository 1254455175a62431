"""Malformed workbooks, one kind each, written byte by byte (openpyxl refuses most of them).

A minimal OOXML package is enough for calamine: content types, the root relationships, the
workbook with its relationships, one or more worksheets and the shared strings.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def col_letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_xml(ref: str, value: Any) -> str:
    """One ``<c>``: text as an inline string, numbers and booleans as values, ``None`` -> ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = escape(str(value), {"\r": "&#13;"})  # a raw CR would be read back as LF
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def rows_xml(rows: Sequence[Sequence[Any]], first_row: int = 1) -> str:
    out = []
    for r, row in enumerate(rows, start=first_row):
        cells = "".join(cell_xml(f"{col_letters(c)}{r}", v) for c, v in enumerate(row, start=1))
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


def sheet_xml(body: str, *, prolog: str = "", merges: Iterable[str] = ()) -> str:
    merges = list(merges)
    merge_xml = (
        f'<mergeCells count="{len(merges)}">'
        + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        + "</mergeCells>"
        if merges
        else ""
    )
    return (
        f'{DECL}{prolog}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f"<sheetData>{body}</sheetData>{merge_xml}</worksheet>"
    )


def shared_strings_xml(
    strings: Sequence[str], *, prolog: str = "", unique: str | None = None
) -> str:
    n = str(len(strings)) if unique is None else unique
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)  # callers pass XML-ready text
    return f'{DECL}{prolog}<sst xmlns="{MAIN_NS}" count="{n}" uniqueCount="{n}">{items}</sst>'


def workbook_xml(names: Sequence[str], *, prolog: str = "", raw_names: bool = False) -> str:
    sheets = "".join(
        f'<sheet name="{n if raw_names else escape(n, {chr(34): "&quot;"})}" sheetId="{i}" '
        f'r:id="rId{i}"/>'
        for i, n in enumerate(names, start=1)
    )
    root = f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    return f"{DECL}{prolog}{root}<sheets>{sheets}</sheets></workbook>"


def package(
    path: Path,
    sheets: dict[str, str | bytes],
    *,
    shared: str | bytes | None = None,
    workbook: str | None = None,
    extra: dict[str, bytes | str] | None = None,
    content_types_extra: str = "",
) -> Path:
    """Write an .xlsx package: ``sheets`` is sheet name -> worksheet XML."""
    names = list(sheets)
    ct = (
        f'{DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        )
        + content_types_extra
        + "</Types>"
    )
    root_rels = (
        f'{DECL}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    wb_rels = (
        f'{DECL}<Relationships xmlns="{PKG_REL_NS}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        + f'<Relationship Id="rId{len(names) + 1}" Type="{REL_NS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook if workbook is not None else workbook_xml(names))
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        for i, name in enumerate(names, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheets[name])
        z.writestr("xl/sharedStrings.xml", shared if shared is not None else shared_strings_xml([]))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def simple(path: Path, rows: Sequence[Sequence[Any]], *, merges: Iterable[str] = ()) -> Path:
    """One sheet 表1 with ``rows`` from A1."""
    return package(path, {"表1": sheet_xml(rows_xml(rows), merges=merges)})


# --------------------------------------------------------------------------------------------
# bombs


def lol_dtd(levels: int = 10) -> str:
    """The classic billion laughs: 10 levels of 10 references = 10^9 "lol"s if expanded."""
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return f"<!DOCTYPE lolz [{''.join(ents)}]>"


def billion_laughs(path: Path, where: str) -> Path:
    """The bomb in the shared strings, a worksheet, or the workbook (a sheet name)."""
    top = f"&lol{9};"
    if where == "sst":
        return package(
            path,
            {"表1": sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')},
            shared=shared_strings_xml([top], prolog=lol_dtd()),
        )
    if where == "sheet":
        body = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{top}</t></is></c></row>'
        return package(path, {"表1": sheet_xml(body, prolog=lol_dtd())})
    if where == "workbook":
        return package(
            path,
            {"表1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')},
            workbook=workbook_xml([top], prolog=lol_dtd(), raw_names=True),
        )
    raise ValueError(where)


def external_entity(path: Path, target: Path) -> Path:
    """XXE: an entity that would pull ``target`` into a cell if it were resolved."""
    prolog = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{target.as_uri()}">]>'
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    return package(path, {"表1": sheet_xml(body, prolog=prolog)})


def _big_member(z: zipfile.ZipFile, name: str, head: bytes, size: int, fill: bytes) -> None:
    chunk = fill * (1 << 20)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w") as out:
        out.write(head)
        written = len(head)
        while written < size:
            piece = chunk[: size - written]
            out.write(piece)
            written += len(piece)


def zip_bomb(path: Path, member: str, size: int) -> Path:
    """A package whose ``member`` (``xl/sharedStrings.xml`` or ``xl/worksheets/sheet1.xml``)
    decompresses to ``size`` bytes of repeated text, at ~1,000:1."""
    package(path, {"表1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename != member:
                z.writestr(info.filename, src.read(info))
        head = f'{DECL}<sst xmlns="{MAIN_NS}"><si><t>'.encode()
        _big_member(z, member, head, size, b"A")
    return path


def lying_sizes(path: Path, real: int = 8 << 20, claimed: int = 4096) -> Path:
    """A member whose directory entries claim ``claimed`` bytes but whose deflate stream holds
    ``real`` bytes (a reader trusting the stream would inflate far more than declared)."""
    package(path, {"表1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    data = bytearray(path.read_bytes())
    name = b"xl/sharedStrings.xml"
    # rewrite the member with a big payload first
    src = zipfile.ZipFile(io.BytesIO(bytes(data)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename.encode() == name:
                z.writestr(info.filename, b"<sst>" + b" " * real + b"</sst>")
            else:
                z.writestr(info.filename, src.read(info))
    data = bytearray(buf.getvalue())
    # local header: signature PK\3\4, uncompressed size at +22; central: PK\1\2, size at +24
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = 0
        while (pos := data.find(sig, pos)) >= 0:
            name_len = struct.unpack_from("<H", data, pos + (26 if sig == b"PK\x03\x04" else 28))[0]
            start = pos + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[start : start + name_len]) == name:
                struct.pack_into("<I", data, pos + offset, claimed)
            pos += 4
    path.write_bytes(bytes(data))
    return path


# --------------------------------------------------------------------------------------------
# structure


def far_cells(path: Path, far: str = "XFD1048576") -> Path:
    """Two values: A1 and ``far``. calamine would allocate the dense range between them."""
    body = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>项目名称</t></is></c></row>'
        f'<row r="{re.sub(r"[A-Z]", "", far)}"><c r="{far}"><v>1</v></c></row>'
    )
    return package(path, {"表1": sheet_xml(body)})


def huge_unique_count(path: Path) -> Path:
    return package(
        path,
        {"表1": sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')},
        shared=shared_strings_xml(["培训费"], unique="4000000000"),
    )


def rows_without_table(path: Path, rows: int = 1_048_576) -> Path:
    """A sheet whose every row is used (a number in column A) and that holds no table."""
    body = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, rows + 1))
    return package(path, {"数据": sheet_xml(body)})


def many_merges(path: Path, n: int) -> Path:
    merges = [f"A{2 * i + 1}:B{2 * i + 2}" for i in range(n)]
    return package(
        path, {"表1": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>', merges=merges)}
    )


def macro_workbook(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    """An .xlsm-shaped package with a ``vbaProject.bin`` whose text would run on open if it
    were ever executed (it is garbage as a compound file: it must not even be parsed)."""
    vba = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b'Sub Workbook_Open(): Shell "rm -rf ~": End Sub' * 20
    )
    return package(
        path,
        {"表1": sheet_xml(rows_xml(rows))},
        extra={"xl/vbaProject.bin": vba},
        content_types_extra=(
            '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        ),
    )


# --------------------------------------------------------------------------------------------
# .xls (compound file) patches, applied to a LibreOffice-written workbook


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def xls_fat_offset(data: bytes) -> int:
    """File offset of the first FAT sector (512-byte sectors)."""
    return 512 + _u32(data, 76) * 512


def xls_directory_loop(data: bytes) -> bytes:
    """The directory's sector chain points back to its first sector."""
    out = bytearray(data)
    first = _u32(data, 48)
    struct.pack_into("<I", out, xls_fat_offset(data) + first * 4, first)
    return bytes(out)


def xls_difat_loop(data: bytes) -> bytes:
    """A DIFAT sector whose "next" pointer is itself."""
    out = bytearray(data)
    sid = 3
    struct.pack_into("<I", out, 68, sid)
    struct.pack_into("<I", out, 512 + sid * 512 + 508, sid)
    return bytes(out)


def xls_no_fat(data: bytes) -> bytes:
    """No FAT sector at all (calamine would index an empty FAT)."""
    out = bytearray(data)
    struct.pack_into("<I", out, 76, 0xFFFFFFFF)
    return bytes(out)


def find_record(data: bytes, typ: int, row: int, col: int) -> int:
    """File offset of a cell record (type, row, column) of the Workbook stream."""
    pattern = re.compile(re.escape(struct.pack("<H", typ)) + b"..", re.S)
    for m in pattern.finditer(data):
        if m.start() + 8 <= len(data) and struct.unpack_from("<HH", data, m.start() + 4) == (
            row,
            col,
        ):
            return m.start()
    raise LookupError(f"record {typ:#06x} at ({row}, {col}) not found")


def xls_move_cell(data: bytes, typ: int, row: int, col: int, new_row: int, new_col: int) -> bytes:
    out = bytearray(data)
    pos = find_record(data, typ, row, col)
    struct.pack_into("<HH", out, pos + 4, new_row, new_col)
    return bytes(out)


def xls_boundsheet_past_end(data: bytes) -> bytes:
    """The sheet's BOF offset points past the end of the Workbook stream."""
    out = bytearray(data)
    pos = data.find(b"\x85\x00")
    while pos >= 0:
        length = struct.unpack_from("<H", data, pos + 2)[0]
        hs, dt, cch, high = data[pos + 8], data[pos + 9], data[pos + 10], data[pos + 11]
        if 8 <= length < 300 and hs <= 2 and dt in (0, 1, 2, 6) and cch and high <= 1:
            struct.pack_into("<I", out, pos + 4, 0x7FFFFFF0)
            return bytes(out)
        pos = data.find(b"\x85\x00", pos + 1)
    raise LookupError("BoundSheet record not found")


def ods_repeated_cells(path: Path, rows: int = 2000, cols: int = 2000) -> Path:
    """An OpenDocument spreadsheet of a few hundred bytes whose one cell is repeated
    ``rows`` × ``cols`` times (calamine would materialize every repetition)."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'{DECL}<office:document-content {ns} office:version="1.2"><office:body>'
        '<office:spreadsheet><table:table table:name="表1">'
        f'<table:table-row table:number-rows-repeated="{rows}">'
        f'<table:table-cell table:number-columns-repeated="{cols}" office:value-type="float" '
        'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    return path
