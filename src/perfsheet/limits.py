"""Every hard limit perfsheet applies to untrusted input, in one place.

Inputs come by e-mail and USB stick, from many hands: a file may be broken, or built to hurt
(a zip bomb, an entity bomb, a sheet whose two cells span 17 billion). The readers check these
limits *before* a parser sees the file (:mod:`perfsheet.io.safety`) and the core applies the
ones about values. Each limit, when exceeded, gives one Chinese message naming the limit and the
value found (``InputError`` -> exit code 2, a ``failed`` entry in a batch).

The values are generous for real 绩效目标表 workbooks (a province's consolidated table is a few
thousand rows × ~15 columns, a few MB) and small enough that one file cannot exhaust a
machine: worst case, a file that passes every check costs a few GB of memory and a few minutes.
This module is pure (no imports): the core and the adapters both read it.
"""

from __future__ import annotations

MiB = 1024 * 1024

#: Size of the file itself, as stored on disk.
MAX_FILE_BYTES = 100 * MiB

#: Sum of the decompressed sizes of all members of an .xlsx/.xlsm package (zip bomb guard;
#: checked from the zip directory, then again while decompressing, before calamine opens it).
MAX_UNCOMPRESSED_BYTES = 256 * MiB

#: Decompressed / compressed size of one member, for members above ``RATIO_MIN_BYTES``.
#: Real sheet XML compresses 5-40 times; deflate bombs reach ~1,000.
MAX_COMPRESSION_RATIO = 200
RATIO_MIN_BYTES = 1 * MiB

#: Members in a zip package, and the size of its central directory (read before anything else).
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_DIRECTORY_BYTES = 4 * MiB

#: Worksheets per workbook.
MAX_SHEETS = 1_000

#: Cells of one sheet's used range counted from A1 (rows × columns). Readers materialize the
#: range densely (calamine in Rust, then Python lists), so this bounds memory: ~5 million cells
#: are ~1 GB of Python objects. 1,048,576 rows × 4 columns still pass.
MAX_SHEET_CELLS = 5_000_000

#: Cells of all sheets of one workbook together.
MAX_WORKBOOK_CELLS = 10_000_000

#: Excel's own limits: a cell holds at most 32,767 characters; a sheet has 1,048,576 rows and
#: 16,384 columns (XFD). A file beyond them was not written by Excel.
MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

#: Shared strings an .xlsx may announce (calamine reserves memory for ``uniqueCount`` up front).
MAX_SHARED_STRINGS = MAX_WORKBOOK_CELLS

#: Merged ranges per sheet, and the cells they cover that table detection resolves (each
#: covered cell shows its range's value; overlapping ranges in a crafted file stop counting).
MAX_MERGED_RANGES = 100_000
MAX_MERGED_CELLS = 1_000_000

#: Finding messages quote cell text in 「…」: each quote is cut to this many characters, the
#: whole (one-line) message to ``MAX_MESSAGE_CHARS``. The JSON keeps the full values elsewhere.
MAX_QUOTED_CHARS = 60
MAX_MESSAGE_CHARS = 1_000

#: Wall-clock time for reading and analysing one workbook in ``parse`` / ``check`` / ``summary``,
#: and for the analysis of the Excel actions (batch conversion has its own per-file
#: ``--timeout``). Enforced on every platform and thread (``perfsheet.io.safety.time_limit``);
#: a long call into native code ends first, which the size limits above keep short.
TIME_LIMIT_SECONDS = 300

#: Amount cells: significant digits and magnitude of a believable amount (national budgets are
#: ~10^13 元). Larger numbers are reported as ``amount-format``, not summed.
MAX_AMOUNT_DIGITS = 18
MAX_AMOUNT_ABS = 10**15


def human_bytes(n: int) -> str:
    """``268435456`` -> ``"256 MB"`` (for messages)."""
    if n >= MiB:
        return f"{n / MiB:,.0f} MB"
    if n >= 1024:
        return f"{n / 1024:,.0f} KB"
    return f"{n} 字节"
