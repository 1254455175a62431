"""Pre-checks of untrusted workbook files, before calamine (or anything else) parses them.

python-calamine is fast because it trusts the file. Measured with python-calamine 0.9.1
(calamine 0.37, quick-xml 0.42) while writing this module:

- an .xlsx of 1 KB with values in A1 and XFD1048576: calamine allocates the dense range between
  them (17 billion cells, 550 GB) and the process **aborts** (SIGABRT; nothing to catch);
- ``<sst uniqueCount="4000000000">`` in sharedStrings.xml: calamine reserves that many strings
  up front -> abort;
- an .xls of 5 KB whose directory sector chain points back to itself (one patched integer):
  calamine follows the chain forever, memory grows until the allocator aborts; the same with a
  looping DIFAT chain;
- XML entity bombs (billion laughs) and external entities: quick-xml does *not* expand custom
  entities, calamine fails at once with "unrecognized entity" (tests/test_hostile_inputs.py checks
  this on calamine alone). We reject any DTD anyway, before calamine, with a clear message.

So :func:`inspect_workbook` checks, with nothing but the standard library and defusedxml:

.xlsx / .xlsm (zip)
    the zip directory (entry count, sizes, compression ratio, encryption, method) before
    decompressing anything; then every member is decompressed as a stream (sizes and CRC checked
    by :mod:`zipfile`; a member cannot produce more than it declares); every XML member is
    searched for ``<!DOCTYPE``/``<!ENTITY`` (rejected); shared strings' ``uniqueCount``; every
    worksheet's cell coordinates (the used range calamine will allocate, Excel's row/column
    limits, cell counts), its merged ranges; and the cells calamine returns as empty although
    they are not: error values (``#REF!``, ``#DIV/0!``…) and formulas without a cached result.
.xls (compound file)
    the sector chains calamine follows (DIFAT, FAT, directory, mini stream, the Workbook
    stream), mirrored with loop and bounds detection; then the BIFF records of every sheet:
    ``DIMENSIONS`` and the coordinates of every cell and formula record (the ranges calamine
    allocates), and error values.

Cost (bench/bench_safety.py): one decompression of the package plus a few C-level regex passes
over each sheet's XML (~0.1-0.2 s per million cells); only sheets that do contain error cells or
formulas without cached values get a tag-by-tag pass to find their addresses. For .xls, one pass
over the BIFF records in Python.

Macros are never run: perfsheet reads cell values only (``vbaProject.bin`` is not even parsed).
"""

from __future__ import annotations

import re
import signal
import struct
import sys
import threading
import zipfile
from array import array
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from xml.etree.ElementTree import Element
from xml.sax.saxutils import unescape

import defusedxml.ElementTree as safe_et

from perfsheet import limits as L
from perfsheet.deadline import DeadlinePassed, deadline
from perfsheet.errors import InputError

__all__ = ["Inspection", "SpecialCells", "inspect_workbook", "time_limit"]

#: PDF input (:mod:`perfsheet.io.pdf`): pages of one PDF, and its objects (as its trailers
#: declare them and as its cross-reference tables list them), checked before any page is read.
#: A 部门预算 PDF has a few hundred pages and some tens of thousands of objects. The file size
#: (``MAX_FILE_BYTES``) and the decompressed size of all its streams together
#: (``MAX_UNCOMPRESSED_BYTES``, counted while decompressing) apply as for workbooks.
MAX_PDF_PAGES = 2_000
MAX_PDF_OBJECTS = 500_000

#: (row, column) 1-based -> "#REF!" (an error value) or "=SUM(B5:B9)" (a formula whose result
#: is not stored in the file). calamine reads both as empty cells.
SpecialCells = dict[tuple[int, int], str]

CORRUPT_ZIP = "文件已损坏或不完整（不是有效的 .xlsx 压缩包）"
CORRUPT_XLS = "文件已损坏（.xls 文件结构无效）"
ENCRYPTED = "工作簿已加密（设有打开密码），请先在 Excel 中取消密码后再试"


@dataclass
class Inspection:
    """What the pre-check learned; the reader attaches ``special`` cells to the sheet grids."""

    kind: Literal["zip", "cfb"]
    #: xlsx: by sheet name; xls: by sheet index (order of the BoundSheet records, which is
    #: calamine's ``sheets_metadata`` order).
    special_by_name: dict[str, SpecialCells] = field(default_factory=dict)
    special_by_index: dict[int, SpecialCells] = field(default_factory=dict)

    def special_for(self, name: str, index: int) -> SpecialCells:
        return self.special_by_name.get(name) or self.special_by_index.get(index) or {}


class _Reject(Exception):
    """A limit or a structural problem: ``reason`` is the Chinese message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def inspect_workbook(path: Path, shown: str, kind: Literal["zip", "cfb"]) -> Inspection:
    """Check ``path`` (already sniffed as ``kind``) against :mod:`perfsheet.limits`.

    Raises :class:`InputError` with one Chinese reason. Never writes anything.
    """
    try:
        size = path.stat().st_size
        if size > L.MAX_FILE_BYTES:
            raise _Reject(
                f"文件大小 {L.human_bytes(size)} 超过上限 {L.human_bytes(L.MAX_FILE_BYTES)}"
            )
        if kind == "zip":
            return _inspect_zip(path, size)
        return _inspect_cfb(path.read_bytes())
    except _Reject as err:
        raise InputError(shown, err.reason) from None
    except OSError as err:
        raise InputError(shown, f"无法读取文件（{err.strerror or err}）") from None
    except RecursionError:  # pragma: no cover - defusedxml on absurdly nested XML
        raise InputError(shown, "工作簿内容嵌套过深，无法读取") from None


# ============================================================================================
# zip packages (.xlsx / .xlsm)

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CHUNK = 1 << 20

# XML prolog markup that can declare entities. XML is case-sensitive; we are not, to be safe.
_DTD = re.compile(rb"<!(?i:doctype|entity|attlist|element|notation)")
_QATTR = rb"[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*')"
_EMPTY_V = rb"(?:</P c\s*>|<P v\s*/>|<P v(?:\s[^>]*)?>\s*</P v\s*>)"


@dataclass(frozen=True)
class _Rx:
    """The sheet-XML patterns, for one way of writing element names."""

    sst_tag: re.Pattern[bytes]
    row_start: re.Pattern[bytes]
    cell_start: re.Pattern[bytes]
    cell_fast: re.Pattern[bytes]  # the common shape: ``r`` first, once -> (ref, "/")
    merge: re.Pattern[bytes]
    uncached: tuple[re.Pattern[bytes], ...]  # gates: a formula followed by no value
    error_cell: re.Pattern[bytes]  # t="e" cells: (ref, code)
    formula_cell: re.Pattern[bytes]  # formula, then no value: (ref, attrs, formula, empty <v>)
    row_or_cell: re.Pattern[bytes]  # the tag-by-tag pass: (/, row|c, attributes, /)
    has_v: re.Pattern[bytes]
    v_text: re.Pattern[bytes]
    has_f: re.Pattern[bytes]
    f_text: re.Pattern[bytes]
    has_is: re.Pattern[bytes]
    sheet_data: re.Pattern[bytes]


def _rx(prefix: bytes) -> _Rx:
    def c(pattern: bytes) -> re.Pattern[bytes]:
        return re.compile(pattern.replace(b"P ", prefix))

    return _Rx(
        sst_tag=c(rb"<P sst((?:\s*" + _QATTR + rb")*)\s*/?>"),
        row_start=c(rb"<P row[\s/>]"),
        cell_start=c(rb"<P c[\s/>]"),
        cell_fast=c(
            rb"<P c\s+r\s*=\s*[\"']([^\"'<>]*)[\"'](?:\s*(?!r\s*=)" + _QATTR + rb")*\s*(/?)>"
        ),
        merge=c(rb"<P mergeCell[\s/>]"),
        uncached=(
            c(rb"</P f\s*>\s*" + _EMPTY_V),
            c(rb"<P f(?:\s[^>]*)?/>\s*" + _EMPTY_V),
        ),
        error_cell=c(
            rb"<P c\s+r\s*=\s*[\"']([^\"'<>]*)[\"'](?=(?:\s*"
            + _QATTR
            + rb")*?\s*t\s*=\s*[\"']e[\"'])"
            rb"(?:\s*" + _QATTR + rb")*\s*>\s*(?:<P f(?:\s[^>]*)?(?:/>|>[^<]*</P f\s*>)\s*)?"
            rb"<P v(?:\s[^>]*)?>([^<]*)<"
        ),
        formula_cell=c(
            rb"<P c\s+r\s*=\s*[\"']([^\"'<>]*)[\"']((?:\s*" + _QATTR + rb")*)\s*>\s*"
            rb"<P f(?:\s[^>]*)?(?:/>|>([^<]*)</P f\s*>)\s*"
            rb"(?:</P c\s*>|(<P v\s*/>|<P v(?:\s[^>]*)?>\s*</P v\s*>))"
        ),
        row_or_cell=c(rb"<(/?)P (row|c)((?:\s*" + _QATTR + rb")*)\s*(/?)>"),
        has_v=c(rb"<P v[\s/>]"),
        v_text=c(rb"<P v(?:\s[^>]*)?>([^<]*)<"),
        has_f=c(rb"<P f[\s/>]"),
        f_text=c(rb"<P f(?:\s[^>]*)?>([^<]*)<"),
        has_is=c(rb"<P is[\s/>]"),
        sheet_data=c(rb"<P sheetData[\s/>]"),
    )


# Element names as Excel and most writers put them (no prefix), and with any namespace prefix:
# quick-xml takes whatever precedes the first ':' (even non-ASCII), so the second set is
# permissive; missing a prefixed cell would under-count the used range.
_PLAIN = _rx(b"")
_PREFIXED = _rx(rb"(?:[^\s<>/:=\"'!?]+:)?")
_PREFIX_HINT = re.compile(rb":(?:c|row|f|v|is|sst|mergeCell|sheetData)[\s/>]")
_ERROR_HINTS = (b'"e"', b"'e'")
_UNIQUE_COUNT = re.compile(rb"(?:^|\s)uniqueCount\s*=\s*[\"']\+?(\d+)")
_BAD_REF_LINE = re.compile(rb"(?m)^(?![A-Za-z]{1,3}[1-9][0-9]{0,6}$)")
_REF_ROW = re.compile(rb"[0-9]+")
_REF_COL = re.compile(rb"(?m)^[A-Za-z]+")
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_WINDOW = 8 * L.MiB


def _rx_for(data: bytes) -> _Rx:
    return _PREFIXED if _PREFIX_HINT.search(data) else _PLAIN


_XML_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<")


def _human_count(n: int) -> str:
    return f"{n:,}"


def _read_eocd(fh, size: int) -> None:  # type: ignore[no-untyped-def]
    """Entry count and directory size from the end records, before zipfile reads anything."""
    tail_len = min(size, 65536 + 22)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    i = tail.rfind(_EOCD)
    if i < 0 or len(tail) - i < 22:
        raise _Reject(CORRUPT_ZIP)
    entries, dir_size = struct.unpack_from("<xxxxxxxxxxHI", tail, i)
    if entries == 0xFFFF or dir_size == 0xFFFFFFFF:  # ZIP64: the real numbers are elsewhere
        j = i - 20
        if j < 0 or tail[j : j + 4] != _EOCD64_LOCATOR:
            raise _Reject(CORRUPT_ZIP)
        (offset,) = struct.unpack_from("<Q", tail, j + 8)
        if offset > size - 56:
            raise _Reject(CORRUPT_ZIP)
        fh.seek(offset)
        rec = fh.read(56)
        if rec[:4] != _EOCD64:
            raise _Reject(CORRUPT_ZIP)
        entries, dir_size = struct.unpack_from("<QQ", rec, 32)
    if entries > L.MAX_ZIP_MEMBERS or dir_size > L.MAX_ZIP_DIRECTORY_BYTES:
        raise _Reject(
            f"压缩包内条目过多（{_human_count(entries)} 个），超过上限 "
            f"{_human_count(L.MAX_ZIP_MEMBERS)} 个，不像是正常的工作簿"
        )


def _is_xml(head: bytes) -> bool:
    return (
        bool(_XML_START.match(head))
        or head[:2] in (b"\xff\xfe", b"\xfe\xff")
        or (head[:2] in (b"<\x00", b"\x00<"))
    )


def _as_utf8(data: bytes) -> bytes:
    """UTF-16 XML (allowed by the standard, decoded by quick-xml) as UTF-8 for the scans."""
    if data[:2] in (b"\xff\xfe", b"<\x00"):
        return data.decode("utf-16-le", "replace").encode("utf-8")
    if data[:2] in (b"\xfe\xff", b"\x00<"):
        return data.decode("utf-16-be", "replace").encode("utf-8")
    return data


def _inspect_zip(path: Path, size: int) -> Inspection:
    with path.open("rb") as fh:
        _read_eocd(fh, size)
        fh.seek(0)
        try:
            zf = zipfile.ZipFile(fh)
        except Exception:  # BadZipFile, NotImplementedError ("zip file version 24.1"), …
            raise _Reject(CORRUPT_ZIP) from None
        with zf:
            infos = zf.infolist()
            names = {_norm(i.filename) for i in infos}
            if "content.xml" in names or any(n.endswith("workbook.bin") for n in names):
                # calamine would try these formats when the package is not an .xlsx; they are
                # not supported (and ODS "repeated" cells can ask for 100 million cells)
                raise _Reject("不支持 .ods / .xlsb 格式，请在 Excel 中另存为 .xlsx 后再试")
            total = 0
            for info in infos:
                if info.flag_bits & 0x1:
                    raise _Reject(ENCRYPTED)
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise _Reject("工作簿使用了不支持的压缩方式，请在 Excel 中另存为 .xlsx 后再试")
                total += info.file_size
                if total > L.MAX_UNCOMPRESSED_BYTES:
                    raise _Reject(
                        f"解压后内容超过 {L.human_bytes(L.MAX_UNCOMPRESSED_BYTES)} 上限"
                        f"（可能是“压缩炸弹”），已拒绝读取"
                    )
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > L.RATIO_MIN_BYTES and ratio > L.MAX_COMPRESSION_RATIO:
                    raise _Reject(
                        f"压缩包成员 {info.filename} 的压缩比 {ratio:,.0f}:1 异常"
                        f"（上限 {L.MAX_COMPRESSION_RATIO}:1，可能是“压缩炸弹”），已拒绝读取"
                    )
            parts = {_norm(part): name for name, part in _sheet_parts(zf).items()}
            sheets: dict[str, _SheetScan] = {}
            cells_total = 0
            for info in infos:
                data = _read_member(zf, info)
                if data is None:
                    continue
                if _DTD.search(data):
                    raise _Reject(
                        f"工作簿内部 XML（{info.filename}）含有 DTD/实体声明"
                        "（正常的 Excel 文件没有，可能是“XML 实体炸弹”），已拒绝读取"
                    )
                rx = _rx_for(data)
                sst = rx.sst_tag.search(data) if b"sst" in data else None
                if sst is not None:
                    _check_shared_strings(sst.group(1))
                if b"sheetData" in data and rx.sheet_data.search(data):
                    name = parts.get(_norm(info.filename))
                    where = f"工作表「{name}」" if name else f"工作表 XML（{info.filename}）"
                    scan = _scan_sheet_xml(data, where, rx)
                    cells_total += scan.cells
                    if cells_total > L.MAX_WORKBOOK_CELLS:
                        raise _Reject(
                            f"工作簿单元格总数超过上限 {_human_count(L.MAX_WORKBOOK_CELLS)} 个"
                        )
                    sheets[_norm(info.filename)] = scan
            out = Inspection(kind="zip")
            for part, scan in sheets.items():
                if scan.special and part in parts:
                    out.special_by_name[parts[part]] = scan.special
            return out


@contextmanager
def _member_errors() -> Iterator[None]:
    """What zipfile raises while decompressing a member, as the user's reason."""
    try:
        yield
    except NotImplementedError:  # a RuntimeError: "zip file version 24.1", unknown methods
        raise _Reject(CORRUPT_ZIP) from None
    except RuntimeError:  # zipfile: "File ... is encrypted, password required"
        raise _Reject(ENCRYPTED) from None
    except Exception:  # BadZipFile (bad CRC, bad header), zlib.error, EOFError, struct errors…
        raise _Reject(CORRUPT_ZIP) from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """Decompress one member as a stream: sizes and CRC are checked by zipfile (a member never
    yields more than its declared size; a lie ends in a CRC error). XML members are returned."""
    keep: list[bytes] | None = None
    got = 0
    with _member_errors(), zf.open(info) as member:
        while True:
            chunk = member.read(_CHUNK)
            if not chunk:
                break
            if keep is None and got == 0:
                keep = [] if _is_xml(chunk[:64]) else None
            got += len(chunk)
            if keep is not None:
                keep.append(chunk)
    if got != info.file_size:
        raise _Reject(CORRUPT_ZIP)
    return _as_utf8(b"".join(keep)) if keep is not None else None


def _check_shared_strings(attrs: bytes) -> None:
    m = _UNIQUE_COUNT.search(attrs)
    if m is not None and int(m.group(1)) > L.MAX_SHARED_STRINGS:
        raise _Reject(
            f"共享字符串表声明了 {_human_count(int(m.group(1)))} 个字符串，超过上限 "
            f"{_human_count(L.MAX_SHARED_STRINGS)} 个（文件可能被篡改），已拒绝读取"
        )


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _parse_ref(ref: bytes, where: str) -> tuple[int, int]:
    """'B12' -> (12, 2), 1-based; anything Excel could not have written is rejected."""
    m = re.fullmatch(rb"([A-Za-z]{1,3})([1-9][0-9]{0,6})", ref)
    if m is None:
        raise _Reject(f"{where}中有无效的单元格地址「{ref[:20].decode('latin-1')}」")
    row, col = int(m.group(2)), _col_number(m.group(1))
    _check_position(row, col, where)
    return row, col


def _check_position(row: int, col: int, where: str) -> None:
    if row > L.MAX_ROWS or col > L.MAX_COLUMNS:
        raise _Reject(
            f"{where}中有超出 Excel 范围的单元格（第 {row:,} 行、第 {col:,} 列），"
            "文件可能被篡改，已拒绝读取"
        )


@dataclass
class _SheetScan:
    cells: int = 0  # cells of the used range counted from A1
    special: SpecialCells = field(default_factory=dict)


def _check_used_range(max_row: int, max_col: int, where: str) -> int:
    cells = max_row * max_col
    if cells > L.MAX_SHEET_CELLS:
        raise _Reject(
            f"{where}使用范围过大（{max_row:,} 行 × {max_col:,} 列 = {cells:,} 个单元格，"
            f"上限 {L.MAX_SHEET_CELLS:,} 个）；请删除表格以外的多余内容后再试"
        )
    return cells


def _windows(data: bytes) -> list[memoryview]:
    """``data`` in slices of ~8 MB cut before a ``<`` (never inside a well-formed tag), so the
    regex passes below never build lists for a whole 200 MB sheet at once."""
    view = memoryview(data)
    out: list[memoryview] = []
    start, n = 0, len(data)
    while start < n:
        end = data.find(b"<", start + _WINDOW) if start + _WINDOW < n else -1
        end = n if end < 0 else end
        out.append(view[start:end])
        start = end
    return out


def _count(pattern: re.Pattern[bytes], windows: list[memoryview]) -> int:
    return sum(len(pattern.findall(w)) for w in windows)


def _scan_sheet_xml(data: bytes, where: str, rx: _Rx) -> _SheetScan:
    windows = _windows(data)
    merges = _count(rx.merge, windows) if b"mergeCell" in data else 0
    if merges > L.MAX_MERGED_RANGES:
        raise _Reject(f"{where}有 {merges:,} 个合并区域，超过上限 {L.MAX_MERGED_RANGES:,} 个")
    starts = _count(rx.cell_start, windows)
    scan = _scan_sheet_fast(windows, starts, where, rx)
    if scan is None:  # some cell without address, or in an unusual shape: tag by tag
        return _scan_sheet_tags(data, windows, starts, where, rx)
    errors = any(h in data for h in _ERROR_HINTS)
    if errors or (b"f" in data and any(p.search(data) for p in rx.uncached)):
        scan.special = _find_specials(data, rx)
    return scan


def _find_specials(data: bytes, rx: _Rx) -> SpecialCells:
    """Error values and formulas without a stored result, in a sheet whose cells all carry
    their address first (so the address is the one calamine uses). One regex pass each, only
    over the sheets that the cheap gates flagged."""
    out: SpecialCells = {}
    for m in rx.error_cell.finditer(data):
        row, col = _parse_ref(m.group(1), "")
        out[(row, col)] = m.group(2).decode("utf-8", "replace").strip() or "#错误值"
    for m in rx.formula_cell.finditer(data):
        attrs = _attrs(m.group(2), "")
        if attrs.get(b"t") in (b"e", b"str") and m.group(4) is not None:
            continue  # an error (above), or a formula whose cached result is ""
        row, col = _parse_ref(m.group(1), "")
        text = unescape((m.group(3) or b"").decode("utf-8", "replace")).strip()
        out[(row, col)] = "=" + text if text else "=（共享公式）"
    return out


def _scan_sheet_fast(
    windows: list[memoryview], starts: int, where: str, rx: _Rx
) -> _SheetScan | None:
    """Used range from the cells' ``r`` attributes, a few C-level regex passes per window.
    None when some cell tag has another shape (the tag-by-tag pass decides then)."""
    tags = 0
    max_row = max_col = 0
    for w in windows:
        found = rx.cell_fast.findall(w)
        tags += len(found)
        refs = [ref for ref, slash in found if not slash]  # <c r="X1" s="2"/> holds nothing
        if not refs:
            continue
        blob = b"\n".join(refs)
        bad = _BAD_REF_LINE.search(blob)
        if bad is not None:
            _parse_ref(blob[bad.start() :].split(b"\n", 1)[0], where)  # raises, naming it
        rows = _REF_ROW.findall(blob)
        width = max(map(len, rows))  # no leading zeros: the longest is the largest
        max_row = max(max_row, int(max(r for r in rows if len(r) == width)))
        max_col = max(max_col, *(_col_number(c) for c in set(_REF_COL.findall(blob))))
    if tags != starts:
        return None
    if max_row == 0:
        return _SheetScan()
    _check_position(max_row, max_col, where)
    return _SheetScan(cells=_check_used_range(max_row, max_col, where))


def _attrs(raw: bytes, where: str) -> dict[bytes, bytes]:
    """Attributes of one row/cell tag. A repeated ``r`` is rejected (calamine keeps the first
    or the last one depending on the other attributes)."""
    out: dict[bytes, bytes] = {}
    for name, dq, sq in _ATTR.findall(raw):
        if name in out and name == b"r":
            raise _Reject(f"{where}的单元格标记格式异常（地址重复），无法安全读取")
        out.setdefault(name, dq or sq)
    return out


def _scan_sheet_tags(
    data: bytes, windows: list[memoryview], starts: int, where: str, rx: _Rx
) -> _SheetScan:
    """Tag by tag, positions as calamine computes them (cells without ``r`` follow the previous
    cell; rows without ``r`` follow the previous row); error values and formulas without a
    cached value are collected with their address. Every row and cell start tag must be
    understood, else positions could drift from calamine's: the file is rejected."""
    row_index = 0  # 0-based, like calamine
    col_index = 0
    max_row = max_col = 0
    cell_tags = row_tags = 0
    special: SpecialCells = {}
    open_cell: tuple[int, int, dict[bytes, bytes], int] | None = None
    for m in rx.row_or_cell.finditer(data):
        closing, name, raw, slash = m.group(1), m.group(2), m.group(3), m.group(4)
        if name == b"row":
            if closing:
                row_index += 1
                col_index = 0
                continue
            row_tags += 1
            r = _attrs(raw, where).get(b"r")
            if r is not None:
                if not r.isdigit() or not 1 <= int(r) <= L.MAX_ROWS:
                    raise _Reject(f"{where}中有无效的行号「{r[:20].decode('latin-1')}」")
                row_index = int(r) - 1
            if slash:
                row_index += 1
                col_index = 0
            continue
        if closing:
            if open_cell is not None:
                row, col, attrs, start = open_cell
                open_cell = None
                body = data[start : m.start()]
                code = _special_code(attrs, body, rx)
                if code is not None:
                    special[(row, col)] = code
                if body.strip():
                    max_row, max_col = max(max_row, row), max(max_col, col)
            continue
        cell_tags += 1
        attrs = _attrs(raw, where)
        ref = attrs.get(b"r")
        if ref is not None:
            row, col = _parse_ref(ref, where)
            col_index = col - 1
        else:
            row, col = row_index + 1, col_index + 1
            _check_position(row, col, where)
        col_index += 1
        if not slash:
            open_cell = (row, col, attrs, m.end())
    if cell_tags != starts or row_tags != _count(rx.row_start, windows):
        raise _Reject(f"{where}的单元格标记格式异常，无法安全读取")
    if max_row == 0:
        return _SheetScan(special=special)
    return _SheetScan(cells=_check_used_range(max_row, max_col, where), special=special)


def _special_code(attrs: dict[bytes, bytes], body: bytes, rx: _Rx) -> str | None:
    """The error code or the formula of a cell calamine will read as empty, else None.

    A formula is uncached when it has no ``<v>``, or an empty one and is not of string type
    (openpyxl writes ``<f>A1+1</f><v />``; Excel writes ``t="str"`` + empty ``<v>`` for a
    formula whose result is the empty string, which is a real, cached result)."""
    if attrs.get(b"t") == b"e":
        m = rx.v_text.search(body)
        code = m.group(1).decode("utf-8", "replace").strip() if m else ""
        return code or "#错误值"
    if not rx.has_f.search(body) or rx.has_is.search(body):
        return None
    m = rx.v_text.search(body)
    if rx.has_v.search(body) and (attrs.get(b"t") == b"str" or (m and m.group(1).strip())):
        return None
    m = rx.f_text.search(body)
    text = unescape(m.group(1).decode("utf-8", "replace")).strip() if m else ""
    return "=" + text if text else "=（共享公式）"


def _norm(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").lower()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(zf: zipfile.ZipFile, name: str) -> Element | None:
    """A small package part parsed with defusedxml (DTDs and entities forbidden)."""
    by_norm = {_norm(i.filename): i for i in zf.infolist()}
    info = by_norm.get(_norm(name))
    if info is None or info.file_size > 16 * L.MiB:
        return None
    with _member_errors():
        data = zf.read(info)
    try:
        return safe_et.fromstring(data, forbid_dtd=True)
    except Exception:  # a DTD (reported by the scan that follows) or malformed XML (calamine's
        return None  # to report): we only lose the names in messages


def _rel_targets(root: Element | None) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for el in root.iter() if root is not None else ():
        if _local(el.tag) == "Relationship":
            out[el.get("Id", "")] = (el.get("Type", ""), el.get("Target", ""))
    return out


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> package part, resolved as calamine does (root rels -> workbook -> rels)."""
    doc = next(
        (t for typ, t in _rel_targets(_parse_xml(zf, "_rels/.rels")).values()
         if typ.endswith("/relationships/officeDocument")),
        "xl/workbook.xml",
    )  # fmt: skip
    base = doc[: doc.rfind("/") + 1].lstrip("/") if "/" in doc else ""
    rels = _rel_targets(_parse_xml(zf, f"{base}_rels/workbook.xml.rels"))
    wb = _parse_xml(zf, f"{base}workbook.xml")
    out: dict[str, str] = {}
    for el in wb.iter() if wb is not None else ():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        target = rels.get(rid or "", ("", ""))[1]
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else f"{base}{target}"
        out[el.get("name", "")] = str(PurePosixPath(part))
    return out


# ============================================================================================
# compound files (.xls)

_ENDOFCHAIN = 0xFFFFFFFE
_RESERVED = 0xFFFFFFFA
_DIFSECT = 0xFFFFFFFC
_WORKBOOK_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")
_LOOP = "文件已损坏（.xls 内部扇区链循环引用，可能被篡改），已拒绝读取"

# BIFF record types calamine turns into cells (row u16 at 0, column u16 at 2)
_CELL_RECORDS = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD})
_FORMULA, _MULRK, _DIMENSIONS, _BOF, _EOF = 0x0006, 0x00BD, 0x0200, 0x0809, 0x000A
_BOOLERR, _BOUNDSHEET, _FILEPASS, _CODEPAGE, _CONTINUE = 0x0205, 0x0085, 0x002F, 0x0042, 0x003C
_ERROR_CODES = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}


def _u32s(b: bytes) -> array[int]:
    a = array("I")
    a.frombytes(b[: len(b) - len(b) % 4])
    if sys.byteorder == "big":  # pragma: no cover
        a.byteswap()
    return a


class _Cfb:
    """The sector chains of a compound file, walked exactly as calamine walks them, but with
    every chain checked for loops and every index for bounds."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise _Reject(CORRUPT_XLS)
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12) or struct.unpack_from("<H", data, 32)[0] != 6:
            raise _Reject(CORRUPT_XLS)
        self.data = data
        self.size = 1 << shift
        self.maxid = len(data) // self.size
        fat_len, dir_start, _, _, mini_start, mini_len, difat_start = struct.unpack_from(
            "<7I", data, 44
        )
        if fat_len > self.maxid + 1 or mini_len > self.maxid + 1:
            raise _Reject(CORRUPT_XLS)
        difat = list(_u32s(data[76:512]))
        seen: set[int] = set()
        sid = difat_start
        while sid < _RESERVED:
            if sid in seen:
                raise _Reject(_LOOP)
            seen.add(sid)
            difat.extend(_u32s(self.sector(sid)))
            sid = difat.pop()
        fat_ids = [i for i in difat if i < _DIFSECT]
        if len(fat_ids) > self.maxid + 1:
            raise _Reject(CORRUPT_XLS)
        self.fats = _u32s(b"".join(bytes(self.sector(i)) for i in fat_ids))
        directory = self.chain(dir_start, self.fats, None)
        self.entries: list[tuple[str, int, int]] = []
        for k in range(0, len(directory), 128):
            entry = directory[k : k + 128]
            if len(entry) < 128:
                raise _Reject(CORRUPT_XLS)
            name = entry[:64].decode("utf-16-le", "replace").split("\x00", 1)[0]
            start = struct.unpack_from("<I", entry, 116)[0]
            length = struct.unpack_from("<I" if self.size == 512 else "<Q", entry, 120)[0]
            self.entries.append((name, start, length))
        if not self.entries:
            raise _Reject(CORRUPT_XLS)
        self.mini_stream = b""
        self.mini_fats = array("I")
        if mini_len > 0:
            _, root_start, root_len = self.entries[0]
            self.mini_stream = self.chain(root_start, self.fats, root_len)
            self.mini_fats = _u32s(self.chain(mini_start, self.fats, mini_len * self.size))

    def sector(self, sid: int) -> memoryview:
        if sid > self.maxid:
            raise _Reject(CORRUPT_XLS)
        start = self.size * (sid + 1)
        return memoryview(self.data)[start : start + self.size]

    def mini_sector(self, sid: int) -> memoryview:
        start = sid * 64
        if start + 64 > len(self.mini_stream):  # calamine would read past the mini stream
            raise _Reject(CORRUPT_XLS)
        return memoryview(self.mini_stream)[start : start + 64]

    def chain(self, sid: int, fats: array[int], length: int | None, mini: bool = False) -> bytes:
        out = bytearray()
        seen: set[int] = set()
        get = self.mini_sector if mini else self.sector
        while sid != _ENDOFCHAIN:
            if sid in seen:
                raise _Reject(_LOOP)
            seen.add(sid)
            piece = get(sid)
            if length is not None:
                piece = piece[: max(0, length - len(out))]
            out += piece
            if length is not None and len(out) >= length:
                break
            if sid >= len(fats):
                raise _Reject(CORRUPT_XLS)
            sid = fats[sid]
        return bytes(out)

    def stream(self, names: tuple[str, ...]) -> bytes | None:
        for wanted in names:
            for name, start, length in self.entries:
                if name == wanted:
                    if length < 4096:
                        return self.chain(start, self.mini_fats, length, mini=True)
                    return self.chain(start, self.fats, length)
        return None


def _records(stream: bytes, pos: int):  # type: ignore[no-untyped-def]
    """(type, data, end offset) of the BIFF records from ``pos``, CONTINUE records skipped."""
    n = len(stream)
    while pos + 4 <= n:
        typ, length = struct.unpack_from("<HH", stream, pos)
        end = pos + 4 + length
        if end > n:
            return
        if typ != _CONTINUE:
            yield typ, stream[pos + 4 : end]
        pos = end


def _sheet_name(data: bytes, biff8: bool, codepage: str) -> str:
    try:
        cch = data[6]
        if biff8:
            wide = data[7] & 1
            raw = data[8 : 8 + cch * (2 if wide else 1)]
            return raw.decode("utf-16-le" if wide else "latin-1")
        return data[7 : 7 + cch].decode(codepage)
    except (IndexError, LookupError, UnicodeDecodeError):
        return "?"


def _inspect_cfb(data: bytes) -> Inspection:
    cfb = _Cfb(data)
    stream = cfb.stream(_WORKBOOK_STREAMS)
    out = Inspection(kind="cfb")
    if stream is None:
        return out  # not an .xls workbook: calamine reports it
    sheets: list[tuple[int, str]] = []
    biff8 = True
    codepage = "cp1252"
    for typ, rec in _records(stream, 0):
        if typ == _FILEPASS and rec[:2] != b"\x00\x00":
            raise _Reject(ENCRYPTED)
        if typ == _BOF and len(rec) >= 2:
            biff8 = struct.unpack_from("<H", rec)[0] == 0x0600
        elif typ == _CODEPAGE and len(rec) >= 2:
            codepage = f"cp{struct.unpack_from('<H', rec)[0]}"
        elif typ == _BOUNDSHEET and len(rec) >= 4:
            sheets.append((struct.unpack_from("<I", rec)[0], _sheet_name(rec, biff8, codepage)))
        elif typ == _EOF:
            break
    if len(sheets) > L.MAX_SHEETS:
        raise _Reject(f"工作簿有 {len(sheets):,} 个工作表，超过上限 {L.MAX_SHEETS:,} 个")
    total = 0
    for index, (pos, name) in enumerate(sheets):
        if pos > len(stream):
            raise _Reject(CORRUPT_XLS)
        cells, special = _scan_biff_sheet(stream, pos, f"工作表「{name}」")
        total += cells
        if total > L.MAX_WORKBOOK_CELLS:
            raise _Reject(f"工作簿单元格总数超过上限 {L.MAX_WORKBOOK_CELLS:,} 个")
        if special:
            out.special_by_index[index] = special
    return out


def _scan_biff_sheet(stream: bytes, pos: int, where: str) -> tuple[int, SpecialCells]:
    """Bounds of the cell and formula ranges calamine allocates for one sheet, and the cells
    holding error values. Mirrors calamine's loop (nested substreams skipped)."""
    max_row = max_col = -1
    f_min_row = f_min_col = 1 << 32
    f_max_row = f_max_col = -1
    special: SpecialCells = {}
    seen_bof = False
    depth = 0

    def cell(row: int, col: int) -> None:
        nonlocal max_row, max_col
        _check_position(row + 1, col + 1, where)
        max_row, max_col = max(max_row, row), max(max_col, col)

    for typ, rec in _records(stream, pos):
        if depth > 0:
            depth += typ == _BOF
            depth -= typ == _EOF
            continue
        if typ == _BOF:
            if seen_bof:
                depth += 1
            seen_bof = True
        elif typ == _EOF:
            break
        elif typ == _DIMENSIONS and len(rec) in (10, 14):
            if len(rec) == 14:
                rf, rl, cf, cl = struct.unpack_from("<IIHH", rec)
            else:
                rf, rl, cf, cl = struct.unpack_from("<HHHH", rec)
            if cf > 0xFF or cl < cf:
                cf = 0
            if rl >= 1 and cl >= 1 and (rl - rf) * (cl - cf) > 65536 * 256:
                raise _Reject(f"{where}声明的范围超出 .xls 格式上限，文件可能被篡改，已拒绝读取")
        elif typ in _CELL_RECORDS and len(rec) >= 4:
            row, col = struct.unpack_from("<HH", rec)
            cell(row, col)
            if typ == _BOOLERR and len(rec) >= 8 and rec[7] == 1:
                special[(row + 1, col + 1)] = _ERROR_CODES.get(rec[6], "#错误值")
        elif typ == _MULRK and len(rec) >= 6:
            row, col = struct.unpack_from("<HH", rec)
            cell(row, col + max(0, (len(rec) - 6) // 6 - 1))
        elif typ == _FORMULA and len(rec) >= 20:
            row, col = struct.unpack_from("<HH", rec)
            cell(row, col)
            f_min_row, f_min_col = min(f_min_row, row), min(f_min_col, col)
            f_max_row, f_max_col = max(f_max_row, row), max(f_max_col, col)
            if rec[6] == 2 and rec[12:14] == b"\xff\xff":
                special[(row + 1, col + 1)] = _ERROR_CODES.get(rec[8], "#错误值")
    if f_max_row >= 0:
        _check_used_range(f_max_row - f_min_row + 1, f_max_col - f_min_col + 1, where)
    if max_row < 0:
        return 0, special
    return _check_used_range(max_row + 1, max_col + 1, where), special


# ============================================================================================
# time


class _TimeUp(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` swallows it."""


@contextmanager
def time_limit(shown: str, seconds: float | None = None) -> Iterator[None]:
    """Stop the body with ``InputError`` after ``seconds`` (default
    :data:`perfsheet.limits.TIME_LIMIT_SECONDS`) of wall-clock time.

    In the main thread on POSIX the alarm is ``SIGALRM`` (it also ends a system call that
    hangs, e.g. a read from a stuck network share). Elsewhere — on Windows, and in the threads
    the Excel add-in runs in — a watchdog thread raises the same exception in the calling
    thread (``PyThreadState_SetAsyncExc``). Either way Python code is interrupted between
    bytecodes; a long call into native code (calamine) ends first, which the size limits keep
    short. Where neither exists — Pyodide, the runtime of xlwings Lite, has no timer signal
    and cannot start threads — the limit is a deadline the analysis checks between projects
    (:mod:`perfsheet.deadline`); a limit that cannot be enforced is never an error.
    """
    limit = L.TIME_LIMIT_SECONDS if seconds is None else seconds
    if limit <= 0:
        yield
        return
    use_signal = (
        hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    )
    guard = _alarm_signal(limit) if use_signal else _alarm_watchdog(limit)
    try:
        # the deadline too: an alarm that lands in a callback Python runs for itself (a gc
        # callback, a __del__) is printed and swallowed there, and the alarm fires only once;
        # the check between projects still stops the analysis
        with guard, deadline(limit):
            yield
    except (_TimeUp, DeadlinePassed):
        raise InputError(
            shown, f"处理时间超过上限 {limit:g} 秒，已停止（文件过大或结构异常）"
        ) from None


@contextmanager
def _alarm_signal(limit: float) -> Iterator[None]:
    armed = [True]

    def _alarm(signum: int, frame: object) -> None:
        if armed[0]:
            raise _TimeUp

    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, limit)
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _alarm_watchdog(limit: float) -> Iterator[None]:
    try:
        import ctypes

        set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):  # no way to reach another thread
        set_async_exc = None
    if set_async_exc is None:
        with deadline(limit):
            yield
        return
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    done = threading.Event()
    state = {"armed": True, "fired": False}

    def watchdog() -> None:
        if done.wait(limit):
            return
        with lock:
            if state["armed"]:
                set_async_exc(target, ctypes.py_object(_TimeUp))
                state["fired"] = True

    thread = threading.Thread(target=watchdog, name="perfsheet-time-limit", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # "can't start new thread": Pyodide (xlwings Lite)
        thread = None
    if thread is None:
        with deadline(limit):
            yield
        return
    try:
        yield
    finally:
        done.set()
        with lock:
            state["armed"] = False
            if state["fired"]:  # not delivered yet (the body ended first): withdraw it
                set_async_exc(target, None)
        thread.join()


def limited(shown: str, timeout: float | None) -> AbstractContextManager[None]:
    """:func:`time_limit` for ``timeout`` seconds, or no limit at all (None: the library's
    default; the CLI and the add-in pass :data:`perfsheet.limits.TIME_LIMIT_SECONDS`)."""
    return nullcontext() if timeout is None else time_limit(shown, timeout)
