"""The adapter between a live ``xw.Book`` and the core: read one sheet, write plans back.

One implementation for every runtime: classic xlwings (Windows/macOS Excel through COM or
AppleScript) and the remote engine of xlwings Lite / xlwings Server (Office.js), where the
book is a *snapshot* sent by the client and every write is queued as an action that the
client replays after Python returns. Hence the rules this module follows:

- **read once**: the active sheet's used range is read in one call into a
  :class:`~perfsheet.core.grid.SheetGrid`; nothing written is ever read back (the snapshot
  would return the old values), no recalculation is asked for;
- **write in blocks**: values go out as whole 2-D blocks (one ``setValues`` action each),
  fills as one ``set_colors`` matrix per block (``...`` keeps a cell's fill), number formats
  and fonts per contiguous run of columns;
- **only the portable subset**: values, fills, fonts (name, size, bold, italic, colour),
  number formats, alignment, wrapping, borders, column widths and visibility, row heights,
  merged title cells, freeze panes, gridlines, notes, add / clear / hide sheets. What an
  engine lacks (notes outside Office.js, freeze panes in classic xlwings,
  alignments outside Office.js clients) is skipped, never faked; what xlwings cannot set at
  all (tab colour, zoom, autofilter, print setup, conditional formats, underline) is left out
  (docs/excel-usage.md says so).

Merged ranges: neither engine reports them with the values (the remote payload has none;
classic xlwings would need one call per cell), so live grids have no merged ranges. The core
handles that: a merged header cell then names only its first column, as in a CSV export.

Text that Excel would turn into something else when written as a value (a formula for
``=…``/``+…``/``-…``/``@…``, a number for ``001``, a date, a boolean, an error value) is
written with Excel's text prefix ``'`` (not part of the cell's value), so user text can never
become a formula (issue 8 §3). Formulas of our own are :class:`Formula` instances.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfsheet.core.grid import CellValue, SheetGrid, WorkbookGrid, col_letter
from perfsheet.errors import PerfsheetError

if TYPE_CHECKING:
    from xlwings import Book, Sheet

#: refuse used ranges larger than this (a sheet formatted down to row 1,048,576, say)
MAX_CELLS = 5_000_000
#: Excel's cell text limit
MAX_CELL_TEXT = 32_767
#: xlwings' limit for one ``Range.set_colors`` call
MAX_COLOR_CELLS = 10_000
#: engines whose column widths are in points (Office.js); classic engines use characters
POINT_ENGINES = frozenset({"remote", "officejs"})
TITLE = "绩效指标"


class LiveBookError(PerfsheetError):
    """Something about the open workbook stops an action (one line of Chinese)."""


class Formula(str):
    """A formula written by perfsheet itself (exempt from the text guard)."""

    __slots__ = ()


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _cell_in(value: Any) -> CellValue:
    """A value as xlwings returns it -> a grid value (same conventions as the file readers)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value
    if isinstance(value, int | str | _dt.datetime | _dt.date | _dt.time | _dt.timedelta):
        return value
    return str(value)


def read_sheet(sheet: Sheet) -> SheetGrid:
    """The values of ``sheet``'s used range, in one read, as a grid (no merged ranges)."""
    used = sheet.used_range
    n_rows, n_cols = used.shape
    if n_rows * n_cols > MAX_CELLS:
        raise LiveBookError(
            f"工作表「{sheet.name}」的已用区域过大（{n_rows} 行 × {n_cols} 列），"
            "请删除表格下方或右侧多余的空行、空列后再试"
        )
    raw = used.options(ndim=2, err_to_str=True).value
    rows = [[_cell_in(v) for v in line] for line in (raw or [])]
    for line in rows:  # trailing empty cells carry nothing
        while line and line[-1] is None:
            line.pop()
    while rows and not rows[-1]:
        rows.pop()
    return SheetGrid(name=sheet.name, rows=rows, origin_row=used.row, origin_col=used.column)


def book_path(book: Book) -> Path | None:
    """The workbook's file path when the engine knows one (classic Excel, saved books)."""
    try:
        full = book.fullname
    except Exception:  # an engine without paths
        return None
    if not full or not os.path.isabs(full):
        return None  # unsaved book, or the remote engine (it only knows the name)
    return Path(full)


def read_active(book: Book) -> tuple[Sheet, WorkbookGrid]:
    """(the active sheet, a workbook grid holding just its values)."""
    sheet = book.sheets.active
    grid = read_sheet(sheet)
    path = book_path(book)
    return sheet, WorkbookGrid(path=str(path) if path else book.name, sheets=[grid])


def engine_name(book: Book) -> str:
    try:
        return str(book.app.engine.name)
    except Exception:
        return ""


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

# Text Excel would interpret: formulas, numbers/currency/percent/fractions, dates, booleans,
# error values, and Excel's own text prefix.
_INTERPRETED = re.compile(
    r"""^\s*(?:
        [=+\-@'\t\r\n#]            # formula, sign, text prefix, error value, control chars
      | [0-9０-９.,$¥￥€£(]         # numbers, currency, accounting negatives, dates, times
    )""",
    re.VERBOSE,
)
_BOOLEANS = frozenset({"TRUE", "FALSE", "真", "假"})


def needs_text_prefix(text: str) -> bool:
    """Would Excel store ``text`` as something other than this text?"""
    return bool(_INTERPRETED.match(text)) or text.strip().upper() in _BOOLEANS


def cell_out(value: Any) -> Any:
    """A plan value -> what to hand to ``Range.value`` (text guarded, limits applied)."""
    if value is None:
        return None
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, str):
        if not value:
            return None
        if len(value) > MAX_CELL_TEXT - 1:
            value = value[: MAX_CELL_TEXT - 2] + "…"
        return "'" + value if needs_text_prefix(value) else value
    if isinstance(value, bool | int | float | _dt.datetime | _dt.date):
        return value
    return cell_out(str(value))


def write_block(sheet: Sheet, row: int, col: int, rows: Sequence[Sequence[Any]]) -> None:
    """Write a rectangular block of plan values at (row, col) in one action."""
    if not rows:
        return
    width = max(len(r) for r in rows)
    if width == 0:
        return
    block = [[cell_out(v) for v in r] + [None] * (width - len(r)) for r in rows]
    sheet.range((row, col), (row + len(block) - 1, col + width - 1)).value = block


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------


def _hex(color: str | None) -> str | None:
    if color is None:
        return None
    c = color.lstrip("#")
    if len(c) == 8:  # ARGB
        c = c[2:]
    return "#" + c.upper()


def fill_rectangles(
    fills: Mapping[tuple[int, int], str | None],
) -> list[tuple[int, int, int, int, str | None]]:
    """Cells -> rectangles (first row, first col, last row, last col, colour) of one colour:
    runs along each row, merged with identical runs of the rows below."""
    by_row: dict[int, list[tuple[int, str | None]]] = {}
    for (r, c), color in fills.items():
        by_row.setdefault(r, []).append((c, _hex(color)))
    runs: dict[int, list[tuple[int, int, str | None]]] = {}
    for r, cells in by_row.items():
        cells.sort(key=lambda x: x[0])
        line: list[tuple[int, int, str | None]] = []
        for c, color in cells:
            if line and line[-1][1] == c - 1 and line[-1][2] == color:
                line[-1] = (line[-1][0], c, color)
            else:
                line.append((c, c, color))
        runs[r] = line
    out: list[tuple[int, int, int, int, str | None]] = []
    open_rects: dict[tuple[int, int, str | None], int] = {}  # run -> index in out
    for r in sorted(runs):
        still: dict[tuple[int, int, str | None], int] = {}
        for run in runs[r]:
            i = open_rects.get(run)
            if i is not None and out[i][2] == r - 1:
                r1, c1, _r2, c2, color = out[i]
                out[i] = (r1, c1, r, c2, color)
            else:
                out.append((r, run[0], r, run[1], run[2]))
                i = len(out) - 1
            still[run] = i
        open_rects = still
    return out


def set_fills(book: Book, sheet: Sheet, fills: Mapping[tuple[int, int], str | None]) -> None:
    """Set (colour) or remove (None) the fill of single cells, other cells untouched.

    Office.js engines: one ``set_colors`` matrix over the cells' bounding box (``...``
    elsewhere: unchanged), in row bands of at most :data:`MAX_COLOR_CELLS` cells — one action
    each. Classic engines apply ``set_colors`` cell by cell (one COM call each), so there the
    cells are grouped into rectangles of one colour, one ``Range.color`` each.
    """
    if not fills:
        return
    if engine_name(book) not in POINT_ENGINES:
        for r1, c1, r2, c2, color in fill_rectangles(fills):
            sheet.range((r1, c1), (r2, c2)).color = color
        return
    rows = [r for r, _c in fills]
    cols = [c for _r, c in fills]
    c1, c2 = min(cols), max(cols)
    width = c2 - c1 + 1
    band = max(1, MAX_COLOR_CELLS // width)
    by_row: dict[int, list[tuple[int, str | None]]] = {}
    for (r, c), color in fills.items():
        by_row.setdefault(r, []).append((c, _hex(color)))
    r = min(rows)
    last = max(rows)
    while r <= last:
        r_end = min(last, r + band - 1)
        present = [x for x in range(r, r_end + 1) if x in by_row]
        if present:
            top, bottom = present[0], present[-1]
            matrix: list[list[Any]] = []
            for x in range(top, bottom + 1):
                line: list[Any] = [...] * width
                for c, color in by_row.get(x, ()):
                    line[c - c1] = color
                matrix.append(line)
            sheet.range((top, c1), (bottom, c2)).set_colors(matrix)
        r = r_end + 1


def column_runs(values: Sequence[Any]) -> list[tuple[int, int, Any]]:
    """Contiguous runs of equal values: (first index, last index, value), None runs dropped."""
    runs: list[tuple[int, int, Any]] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if values[start] is not None:
                runs.append((start, i - 1, values[start]))
            start = i
    return runs


def set_number_formats(
    sheet: Sheet, first_row: int, last_row: int, first_col: int, formats: Sequence[str | None]
) -> None:
    """Number formats per column over rows first..last (one action per run of columns)."""
    if last_row < first_row:
        return
    for a, b, fmt in column_runs(list(formats)):
        sheet.range((first_row, first_col + a), (last_row, first_col + b)).number_format = fmt


#: XlsxWriter's border index -> (xlwings line style, weight): Excel's 13 border styles
BORDER_STYLES: dict[int, tuple[str, str | None]] = {
    1: ("continuous", "thin"),
    2: ("continuous", "medium"),
    3: ("dash", "thin"),
    4: ("dot", "thin"),
    5: ("continuous", "thick"),
    6: ("double", None),
    7: ("continuous", "hairline"),
    8: ("dash", "medium"),
    9: ("dash_dot", "thin"),
    10: ("dash_dot", "medium"),
    11: ("dash_dot_dot", "thin"),
    12: ("dash_dot_dot", "medium"),
    13: ("slant_dash_dot", "medium"),
}
#: XlsxWriter's alignments -> xlwings'
H_ALIGN: dict[str, str] = {
    "left": "left",
    "center": "center",
    "right": "right",
    "fill": "fill",
    "justify": "justify",
    "center_across": "center_across_selection",
    "distributed": "distributed",
}
V_ALIGN: dict[str, str] = {
    "top": "top",
    "vcenter": "center",
    "bottom": "bottom",
    "vjustify": "justify",
    "vdistributed": "distributed",
}
#: a cell's side -> the sides of a range of such cells that draw it
_RANGE_SIDES: dict[str, tuple[str, str]] = {
    "top": ("edge_top", "inside_horizontal"),
    "bottom": ("edge_bottom", "inside_horizontal"),
    "left": ("edge_left", "inside_vertical"),
    "right": ("edge_right", "inside_vertical"),
}
#: format properties the live book cannot set (no xlwings API): left as Excel's default
UNSUPPORTED_STYLE = frozenset({"underline", "font_strikeout", "indent", "rotation", "shrink"})

_Border = tuple[tuple[str, int, str | None], ...]  # (side, XlsxWriter index, colour) per side


def _cell_borders(style: Mapping[str, Any]) -> _Border | None:
    every, every_color = style.get("border"), style.get("border_color")
    sides = []
    for side in _RANGE_SIDES:
        index = style.get(side, every)
        if index in BORDER_STYLES:
            sides.append((side, int(index), _hex(style.get(f"{side}_color", every_color))))
    return tuple(sides) or None


def _draw_borders(rng: Any, borders: _Border, n_rows: int, n_cols: int) -> None:
    """Every cell of ``rng`` gets ``borders``: a cell's top side is the range's top edge and,
    between two rows, the inside horizontal line, which its bottom side is too (where a cell's
    top and bottom differ, the bottom one is drawn between the rows; left/right alike)."""
    sides: dict[str, dict[str, Any]] = {}
    for side, index, color in borders:
        edge, inside = _RANGE_SIDES[side]
        line, weight = BORDER_STYLES[index]
        attrs: dict[str, Any] = {"line_style": line}
        if weight is not None:
            attrs["weight"] = weight
        if color is not None:
            attrs["color"] = color
        sides[edge] = attrs
        if (n_rows if side in ("top", "bottom") else n_cols) > 1:
            sides[inside] = attrs
    for side, attrs in sides.items():
        rng.borders.set([side], **attrs)


def apply_styles(
    sheet: Sheet,
    first_row: int,
    last_row: int,
    first_col: int,
    styles: Sequence[Mapping[str, Any]],
) -> None:
    """XlsxWriter format properties, one dict per column, over rows first..last: number format,
    fill, font (name, size, bold, italic, colour), alignment, wrapping and borders, one action
    per property and run of columns that share it. :data:`UNSUPPORTED_STYLE` are left out; an
    engine without alignments (Office.js-only in xlwings' remote engine) keeps Excel's."""
    if last_row < first_row or not styles:
        return

    def rng(a: int, b: int) -> Any:
        return sheet.range((first_row, first_col + a), (last_row, first_col + b))

    def runs(key: str, convert: Any = None) -> list[tuple[int, int, Any]]:
        values = [s.get(key) for s in styles]
        return column_runs([v if v is None or convert is None else convert(v) for v in values])

    set_number_formats(sheet, first_row, last_row, first_col, [s.get("num_format") for s in styles])
    for a, b, color in runs("bg_color", _hex):
        rng(a, b).color = color
    for a, b, name in runs("font_name", str):
        rng(a, b).font.name = name
    for a, b, size in runs("font_size", float):
        rng(a, b).font.size = size
    for key in ("bold", "italic"):
        for a, b, _on in runs(key, lambda v: True if v else None):
            setattr(rng(a, b).font, key, True)
    for a, b, color in runs("font_color", _hex):
        rng(a, b).font.color = color
    for a, b, wrap in runs("text_wrap", lambda v: True if v else None):
        rng(a, b).wrap_text = wrap
    with contextlib.suppress(NotImplementedError, AttributeError):
        for a, b, align in runs("align", H_ALIGN.get):
            rng(a, b).horizontal_alignment = align
        for a, b, align in runs("valign", V_ALIGN.get):
            rng(a, b).vertical_alignment = align
    n_rows = last_row - first_row + 1
    for a, b, borders in column_runs([_cell_borders(s) for s in styles]):
        _draw_borders(rng(a, b), borders, n_rows, b - a + 1)


def set_font_colors(sheet: Sheet, colors: Mapping[tuple[int, int], str]) -> None:
    """The font colour of single cells (rectangles of one colour, one action each)."""
    for r1, c1, r2, c2, color in fill_rectangles(colors):
        sheet.range((r1, c1), (r2, c2)).font.color = color


def set_row_heights(sheet: Sheet, heights: Mapping[int, float]) -> None:
    """Row heights in points (the same unit in every engine)."""
    for row, height in sorted(heights.items()):
        try:
            sheet.range((row, 1)).row_height = height
        except (NotImplementedError, AttributeError):
            return


def autofit_rows(sheet: Sheet, first_row: int, last_row: int, width: int) -> None:
    """Rows as high as their wrapped text (Excel does not always grow a row written to)."""
    if last_row < first_row or width < 1:
        return
    with contextlib.suppress(NotImplementedError, AttributeError):
        sheet.range((first_row, 1), (last_row, width)).rows.autofit()


def merge_cells(sheet: Sheet, first_row: int, first_col: int, last_row: int, last_col: int) -> bool:
    try:
        sheet.range((first_row, first_col), (last_row, last_col)).merge()
    except (NotImplementedError, AttributeError):
        return False
    return True


def hide_columns(sheet: Sheet, hidden: Mapping[int, bool]) -> None:
    """Hide (True) or show (False) whole columns."""
    if not hidden:
        return
    first = min(hidden)
    values = [hidden.get(c) for c in range(first, max(hidden) + 1)]
    for a, b, hide in column_runs(values):
        try:
            sheet.range((1, first + a), (1, first + b)).columns.hidden = hide
        except (NotImplementedError, AttributeError):
            return


def show_gridlines(sheet: Sheet, show: bool) -> bool:
    """Gridlines on screen (xlwings' remote engine: Office.js clients only)."""
    try:
        sheet.show_gridlines = show
    except (NotImplementedError, AttributeError):
        return False
    return True


def set_column_widths(book: Book, sheet: Sheet, widths: Mapping[int, float]) -> None:
    """Column widths given in characters (converted to points for Office.js engines)."""
    if not widths:
        return
    points = engine_name(book) in POINT_ENGINES
    first = min(widths)
    values = [widths.get(c) for c in range(first, max(widths) + 1)]
    for a, b, width in column_runs(values):
        value = round((width * 7 + 5) * 0.75, 1) if points else width
        try:
            sheet.range((1, first + a), (1, first + b)).column_width = value
        except (NotImplementedError, AttributeError):
            return


def freeze_panes(sheet: Sheet, rows: int, cols: int = 0) -> bool:
    """Freeze the first ``rows`` rows and ``cols`` columns (none: unfreeze) where the engine
    can (classic xlwings cannot)."""
    try:
        if rows and cols:
            sheet.freeze_panes.freeze_at(f"A1:{col_letter(cols)}{rows}")
        elif rows:
            sheet.freeze_panes.freeze_at(f"1:{rows}")
        elif cols:
            sheet.freeze_panes.freeze_at(f"A:{col_letter(cols)}")
        else:
            sheet.freeze_panes.unfreeze()
    except (NotImplementedError, AttributeError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Notes
# --------------------------------------------------------------------------------------------


def has_note(sheet: Sheet, row: int, col: int) -> bool:
    try:
        return sheet.range((row, col)).note is not None
    except (NotImplementedError, AttributeError):
        return False


def add_note(sheet: Sheet, row: int, col: int, text: str) -> bool:
    """Add a note; False when the engine cannot (Office Scripts/Google clients, old Excel)."""
    try:
        sheet.range((row, col)).add_note(text[: MAX_CELL_TEXT - 1])
    except (NotImplementedError, AttributeError):
        return False
    return True


def replace_note(sheet: Sheet, row: int, col: int, text: str) -> bool:
    """Replace the text of a note perfsheet added earlier."""
    try:
        note = sheet.range((row, col)).note
        if note is None:
            return add_note(sheet, row, col, text)
        note.text = text[: MAX_CELL_TEXT - 1]
    except (NotImplementedError, AttributeError):
        return False
    return True


def delete_note(sheet: Sheet, row: int, col: int) -> None:
    try:
        note = sheet.range((row, col)).note
        if note is not None:
            note.delete()
    except (NotImplementedError, AttributeError):
        pass


# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------


def find_sheet(book: Book, name: str) -> Sheet | None:
    """The sheet called ``name`` (Excel compares sheet names case-insensitively)."""
    folded = name.casefold()
    for sheet in book.sheets:
        if sheet.name.casefold() == folded:
            return sheet
    return None


def fresh_sheet(book: Book, name: str) -> tuple[Sheet, bool]:
    """A sheet called ``name`` with nothing on it: the existing one cleared (so formulas
    elsewhere that point at it keep working), or a new one after the last sheet.
    Returns (sheet, created)."""
    existing = find_sheet(book, name)
    if existing is not None:
        existing.clear()
        return existing, False
    last = book.sheets[len(book.sheets) - 1]
    return book.sheets.add(name=name, after=last), True


def alert(book: Book, message: str) -> None:
    """A message box (queued as an ``alert`` action in the remote engine)."""
    try:
        book.app.alert(message, title=TITLE)
    except Exception:  # no UI (tests, scripts): the message still reaches the output
        print(message)


def letters(first_col: int, last_col: int) -> str:
    """``H–N`` (or ``H`` for one column)."""
    a, b = col_letter(first_col), col_letter(last_col)
    return a if a == b else f"{a}–{b}"
