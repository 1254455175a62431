"""The grid: cell values with their coordinates, as every reader hands them to the core.

Readers (``perfsheet.io.readers`` for files, ``perfsheet.excel.actions`` for live books)
produce a :class:`SheetGrid`; the core never sees a file or an Excel object.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


def page_location(pages: dict[int, tuple[int, int]] | None, row: int | None) -> str | None:
    """Where a row of a grid read from a PDF is: ``第5页第3行`` (the third row of the tables on
    page 5, header included), ``第5页`` for a line of text outside the tables; None for a
    workbook (no ``pages``) or a row the map does not hold."""
    if not pages or row is None or row not in pages:
        return None
    page, line = pages[row]
    return f"第{page}页第{line}行" if line else f"第{page}页"


_ROW_IN_TEXT = re.compile(r"(?<!页)第(\d+)行")
_QUOTED = re.compile(r"(「[^「」]*」)")


def relabel_findings(findings: Iterable[Any], pages: dict[int, tuple[int, int]] | None) -> None:
    """For a grid read from a PDF: the rows a finding's message names (``第17行``, outside the
    quoted cell text) said as pages (``第2页第2行``), in place. ``row``/``cell`` keep the grid
    row (the JSON's ``row``; ``Table.pages`` maps it)."""
    if not pages:
        return

    def one(m: re.Match[str]) -> str:
        return page_location(pages, int(m.group(1))) or m.group(0)

    for f in findings:
        if "行" not in f.message:
            continue
        parts = _QUOTED.split(f.message)
        parts[::2] = [_ROW_IN_TEXT.sub(one, x) for x in parts[::2]]
        f.message = "".join(parts)


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

    ``pages`` is set by the PDF reader (``perfsheet.io.pdf``) only: sheet row -> (page, row of
    that page's tables counted from the top, header rows included; 0 for a line of text outside
    the tables), so that locations can say ``第5页第3行``. ``None`` for workbooks.
    """

    name: str
    rows: list[list[CellValue]]
    merged: list[MergedRange] = field(default_factory=list)
    origin_row: int = 1
    origin_col: int = 1
    special: dict[tuple[int, int], str] = field(default_factory=dict)
    pages: dict[int, tuple[int, int]] | None = None

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
