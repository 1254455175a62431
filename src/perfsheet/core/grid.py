"""The grid: cell values with their coordinates, as every reader hands them to the core.

Readers (``perfsheet.io.readers`` for files, ``perfsheet.excel.actions`` for live books)
produce a :class:`SheetGrid`; the core never sees a file or an Excel object.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

CellValue = str | float | int | bool | _dt.datetime | _dt.date | _dt.time | _dt.timedelta | None


def col_letter(col: int) -> str:
    """1-based column number -> Excel letters (1 -> "A", 27 -> "AA")."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_number(letters: str) -> int:
    """Excel letters -> 1-based column number ("AA" -> 27)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def cell_ref(row: int, col: int) -> str:
    """1-based row and column -> "B12"."""
    return f"{col_letter(col)}{row}"


_PLAIN_SHEET = re.compile(r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_.\u4e00-\u9fff]*$")
_LOOKS_LIKE_REF = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[Rr][0-9]*[Cc][0-9]*$")


def quote_sheet(name: str, *, always: bool = False) -> str:
    """A sheet name as written in a reference: ``Sheet1`` or ``'My sheet'`` (quotes doubled)."""
    if not always and _PLAIN_SHEET.match(name) and not _LOOKS_LIKE_REF.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class MergedRange:
    """A merged range, 1-based and inclusive."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(slots=True)
class SheetGrid:
    """The values of one sheet. ``rows[r - 1][c - 1]`` is the cell at row r, column c.

    Rows may be ragged (shorter than the widest row); missing cells are ``None``.
    ``origin_row``/``origin_col`` shift the grid when a reader hands over only a used
    range that does not start at A1.

    ``special`` lists cells whose value is ``None`` in ``rows`` although they are not empty: an
    Excel error value (``"#REF!"``, ``"#DIV/0!"``…) or a formula whose result is not stored in
    the file (``"=SUM(B5:B9)"``), keyed by 1-based sheet (row, column). The core reports them
    instead of treating them as blanks.
    """

    name: str
    rows: list[list[CellValue]]
    merged: list[MergedRange] = field(default_factory=list)
    origin_row: int = 1
    origin_col: int = 1
    special: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> CellValue:
        """The value at 1-based sheet coordinates (``None`` outside the grid)."""
        r = row - self.origin_row
        c = col - self.origin_col
        if r < 0 or c < 0 or r >= len(self.rows):
            return None
        line = self.rows[r]
        return line[c] if c < len(line) else None


@dataclass(slots=True)
class WorkbookGrid:
    path: str
    sheets: list[SheetGrid]
