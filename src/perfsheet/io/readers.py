"""Read workbook files into a :class:`~perfsheet.core.grid.WorkbookGrid`.

python-calamine reads the values of .xlsx / .xlsm / .xls (and the merged ranges of
.xlsx / .xls). The file is opened read-only and handed to calamine as a file object, so the
format is taken from the content, not from the extension (a .xlsx renamed .xls still reads).

Conventions of the grid produced here:

- the grid starts at A1 (``origin_row = origin_col = 1``), rows are 1-based sheet rows;
- empty cells are ``None``; numbers that are whole are ``int`` (``120.0`` -> ``120``, as .xls
  files already give them), other numbers ``float``; dates are ``date``/``datetime`` objects;
  text is kept exactly as stored (no stripping: the core decides what whitespace means);
- merged ranges are kept as they are stored (value in the top-left cell only); the core resolves
  them where it needs to (header detection, fragments).

A PDF (``%PDF-`` in its first bytes) is read by :mod:`perfsheet.io.pdf` into the same grid
(one sheet for the whole document; ``SheetGrid.pages`` maps its rows to pages).

Every file is untrusted: before calamine opens it, :func:`perfsheet.io.safety.inspect_workbook`
checks it against the limits of :mod:`perfsheet.limits` (zip and XML bombs, absurd used ranges,
corrupt .xls sector chains: inputs that would otherwise abort or exhaust the process) and finds
the cells calamine reads as empty although they hold an error value or a formula without a
stored result (they reach the core as ``SheetGrid.special``). Cells longer than Excel's
32,767-character limit are refused. Macros in .xlsm/.xls files are never run (values only).

Anything that cannot be read raises :class:`~perfsheet.errors.InputError` with a one-line
Chinese reason. Nothing here writes to the input.
"""

from __future__ import annotations

import mmap
import os
import stat
from pathlib import Path
from typing import Any

import python_calamine as pc

from perfsheet import limits as L
from perfsheet.core.grid import CellValue, MergedRange, SheetGrid, WorkbookGrid, cell_ref
from perfsheet.errors import InputError
from perfsheet.io.pdf import is_pdf, read_pdf
from perfsheet.io.safety import Inspection, SpecialCells, inspect_workbook

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted .xlsx is a compound file holding these streams (names are UTF-16LE).
_ENCRYPTED_STREAMS = tuple(n.encode("utf-16-le") for n in ("EncryptedPackage", "EncryptionInfo"))
_ENCRYPTED = "工作簿已加密（设有打开密码），请先在 Excel 中取消密码后再试"


def _is_encrypted_ooxml(path: Path) -> bool:
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return all(mm.find(name) >= 0 for name in _ENCRYPTED_STREAMS)


def _sniff(path: Path) -> str:
    """Fail early, with a precise reason, on inputs that are not workbooks at all."""
    shown = str(path)
    if not path.exists():
        raise InputError(shown, "文件不存在")
    if path.is_dir():
        raise InputError(shown, "这是一个文件夹，不是工作簿文件")
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read below forever
            raise InputError(shown, "不是普通文件（设备、管道等），不能作为工作簿读取")
        size = st.st_size
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as err:
        raise InputError(shown, f"无法打开文件（{err.strerror or err}）") from None
    if size == 0:
        raise InputError(shown, "文件为空（0 字节），不是有效的工作簿")
    if head.startswith(_CFB_MAGIC):
        try:
            encrypted = _is_encrypted_ooxml(path)
        except (OSError, ValueError):
            encrypted = False
        if encrypted:
            raise InputError(shown, _ENCRYPTED)
        return "cfb"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        raise InputError(
            shown, "文件内容是 HTML/XML 文本而不是 Excel 工作簿，请在 Excel 中另存为 .xlsx 后再试"
        )
    if is_pdf(head):
        return "pdf"
    raise InputError(shown, "不是 Excel 工作簿（文件内容既不是 .xlsx/.xlsm 也不是 .xls 格式）")


def _reason(err: BaseException, kind: str = "") -> str:
    """A Chinese reason for a calamine error."""
    if isinstance(err, pc.PasswordError):
        return _ENCRYPTED
    if isinstance(err, pc.ZipError):
        return "文件已损坏或不完整（不是有效的 .xlsx 压缩包）"
    if isinstance(err, pc.XmlError):
        return "工作簿内容已损坏（XML 无法解析）"
    text = str(err)
    if "password" in text.lower() or "encrypt" in text.lower():
        return _ENCRYPTED
    if "detect file format" in text:
        if kind == "zip":
            return "文件已损坏或不完整（压缩包中没有可识别的工作簿内容）"
        if kind == "cfb":
            return "文件已损坏，或是其他 Office 文档而不是 .xls 工作簿"
        return "不是 Excel 工作簿（无法识别文件格式）"
    if "Cfb" in text or "OLE" in text:
        return "文件已损坏或不是有效的 .xls 工作簿"
    return "文件已损坏或格式无法识别，无法作为工作簿读取"


def _is_panic(err: BaseException) -> bool:
    """A Rust panic inside calamine (pyo3 raises it as a BaseException subclass)."""
    return type(err).__name__ == "PanicException"


def _convert(value: Any) -> CellValue:
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _check_lengths(rows: list[list[CellValue]], name: str, shown: str) -> None:
    limit = L.MAX_CELL_CHARS
    for r, line in enumerate(rows, start=1):
        for c, v in enumerate(line, start=1):
            if isinstance(v, str) and len(v) > limit:
                raise InputError(
                    shown,
                    f"工作表「{name}」单元格 {cell_ref(r, c)} 有 {len(v):,} 个字符，超过 Excel "
                    f"单元格上限 {limit:,} 个字符（文件不是由 Excel 保存的，或已被篡改）",
                )


def _read_sheet(
    book: pc.CalamineWorkbook, name: str, shown: str, special: SpecialCells
) -> SheetGrid:
    try:
        sheet = book.get_sheet_by_name(name)
        end = sheet.end
        height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
        if height * width > L.MAX_SHEET_CELLS:  # the pre-check should have caught it
            raise InputError(
                shown,
                f"工作表「{name}」使用范围过大（{height:,} 行 × {width:,} 列），"
                f"超过上限 {L.MAX_SHEET_CELLS:,} 个单元格",
            )
        raw_rows = sheet.to_python(skip_empty_area=False)
        raw_merged = sheet.merged_cell_ranges or []
    except InputError:
        raise
    except BaseException as err:  # calamine raises its own errors, rarely others, or panics
        if not isinstance(err, Exception) and not _is_panic(err):
            raise
        raise InputError(shown, f"工作表「{name}」{_reason(err)}") from None
    rows = [[_convert(v) for v in line] for line in raw_rows]
    _check_lengths(rows, name, shown)
    # Drop trailing rows that are entirely empty (calamine may report formatted-only rows).
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    merged = [
        MergedRange(first_row=r0 + 1, first_col=c0 + 1, last_row=r1 + 1, last_col=c1 + 1)
        for (r0, c0), (r1, c1) in raw_merged
    ]
    if len(merged) > L.MAX_MERGED_RANGES:
        raise InputError(
            shown,
            f"工作表「{name}」合并区域过多（{len(merged):,} 个，上限 {L.MAX_MERGED_RANGES:,}）",
        )
    return SheetGrid(name=name, rows=rows, merged=merged, special=dict(special))


def read_workbook(path: str | os.PathLike[str], sheet: str | None = None) -> WorkbookGrid:
    """Read every worksheet of ``path`` (or only ``sheet``) into a grid.

    Raises :class:`InputError` for a missing, empty, encrypted, corrupt or non-workbook file,
    and for a ``sheet`` name the workbook does not have.
    """
    p = Path(path)
    shown = str(path)
    kind = _sniff(p)
    if kind == "pdf":
        return read_pdf(p, shown, sheet)  # the tables of a published PDF (perfsheet.io.pdf)
    report = inspect_workbook(p, shown, kind)  # raises InputError; calamine never sees a bomb
    try:
        with p.open("rb") as fh:
            book = pc.CalamineWorkbook.from_filelike(fh)
            try:
                sheets = _read_sheets(book, report, sheet, shown)
            finally:
                book.close()
    except InputError:
        raise
    except OSError as err:
        raise InputError(shown, f"无法打开文件（{err.strerror or err}）") from None
    except BaseException as err:
        if not isinstance(err, Exception) and not _is_panic(err):
            raise  # KeyboardInterrupt, SystemExit, the time limit
        raise InputError(shown, _reason(err, kind)) from None
    return WorkbookGrid(path=shown, sheets=sheets)


def _read_sheets(
    book: pc.CalamineWorkbook, report: Inspection, sheet: str | None, shown: str
) -> list[SheetGrid]:
    metas = book.sheets_metadata
    if len(metas) > L.MAX_SHEETS:
        raise InputError(shown, f"工作簿有 {len(metas):,} 个工作表，超过上限 {L.MAX_SHEETS:,} 个")
    wanted = [
        (index, meta.name)
        for index, meta in enumerate(metas)
        if meta.typ == pc.SheetTypeEnum.WorkSheet
    ]
    if sheet is not None:
        if sheet not in (name for _, name in wanted):
            listed = "、".join(name for _, name in wanted) or "无"
            raise InputError(shown, f"找不到工作表「{sheet}」（现有工作表：{listed}）")
        wanted = [(i, name) for i, name in wanted if name == sheet][:1]
    sheets: list[SheetGrid] = []
    total = 0
    for index, name in wanted:
        grid = _read_sheet(book, name, shown, report.special_for(name, index))
        total += grid.n_rows * grid.n_cols
        if total > L.MAX_WORKBOOK_CELLS:
            raise InputError(
                shown, f"工作簿单元格总数超过上限 {L.MAX_WORKBOOK_CELLS:,} 个，已停止读取"
            )
        sheets.append(grid)
    return sheets
