"""Read workbook files into a :class:`~perfsheet.core.grid.WorkbookGrid`.

python-calamine reads the values of .xlsx / .xlsm / .xls / .ods (and the merged ranges of
.xlsx / .xls). The file is opened read-only and handed to calamine as a file object, so the
format is taken from the content, not from the extension (a .xlsx renamed .xls still reads).

Conventions of the grid produced here:

- the grid starts at A1 (``origin_row = origin_col = 1``), rows are 1-based sheet rows;
- empty cells are ``None``; numbers that are whole are ``int`` (``120.0`` -> ``120``, as .xls
  files already give them), other numbers ``float``; dates are ``date``/``datetime`` objects;
  text is kept exactly as stored (no stripping: the core decides what whitespace means);
- merged ranges are kept as they are stored (value in the top-left cell only); the core resolves
  them where it needs to (header detection, fragments).

Anything that cannot be read raises :class:`~perfsheet.errors.InputError` with a one-line
Chinese reason. Nothing here writes to the input.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from typing import Any

import python_calamine as pc

from perfsheet.core.grid import CellValue, MergedRange, SheetGrid, WorkbookGrid
from perfsheet.errors import InputError

#: Refuse sheets whose used range exceeds this many cells (a guard against absurd files).
MAX_CELLS = 20_000_000

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")
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
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(512)
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


def _convert(value: Any) -> CellValue:
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _read_sheet(book: pc.CalamineWorkbook, name: str, shown: str) -> SheetGrid:
    try:
        sheet = book.get_sheet_by_name(name)
        height, width = sheet.total_height, sheet.total_width
        if height * width > MAX_CELLS:
            raise InputError(
                shown, f"工作表「{name}」过大（约 {height} 行 × {width} 列），超出读取上限"
            )
        raw_rows = sheet.to_python(skip_empty_area=False)
        raw_merged = sheet.merged_cell_ranges or []
    except InputError:
        raise
    except Exception as err:  # calamine raises its own errors and, rarely, others
        raise InputError(shown, f"工作表「{name}」{_reason(err)}") from None
    rows = [[_convert(v) for v in line] for line in raw_rows]
    # Drop trailing rows that are entirely empty (calamine may report formatted-only rows).
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    merged = [
        MergedRange(first_row=r0 + 1, first_col=c0 + 1, last_row=r1 + 1, last_col=c1 + 1)
        for (r0, c0), (r1, c1) in raw_merged
    ]
    return SheetGrid(name=name, rows=rows, merged=merged)


def read_workbook(path: str | os.PathLike[str], sheet: str | None = None) -> WorkbookGrid:
    """Read every worksheet of ``path`` (or only ``sheet``) into a grid.

    Raises :class:`InputError` for a missing, empty, encrypted, corrupt or non-workbook file,
    and for a ``sheet`` name the workbook does not have.
    """
    p = Path(path)
    shown = str(path)
    kind = _sniff(p)
    try:
        with p.open("rb") as fh:
            book = pc.CalamineWorkbook.from_filelike(fh)
            try:
                names = [
                    meta.name
                    for meta in book.sheets_metadata
                    if meta.typ == pc.SheetTypeEnum.WorkSheet
                ]
                if sheet is not None:
                    if sheet not in names:
                        listed = "、".join(names) or "无"
                        raise InputError(shown, f"找不到工作表「{sheet}」（现有工作表：{listed}）")
                    names = [sheet]
                sheets = [_read_sheet(book, name, shown) for name in names]
            finally:
                book.close()
    except InputError:
        raise
    except OSError as err:
        raise InputError(shown, f"无法打开文件（{err.strerror or err}）") from None
    except Exception as err:
        raise InputError(shown, _reason(err, kind)) from None
    return WorkbookGrid(path=shown, sheets=sheets)


def is_workbook_name(path: str | os.PathLike[str]) -> bool:
    """True when the file name has a workbook extension (for folder scans)."""
    return str(path).lower().endswith(_WORKBOOK_SUFFIXES)
