"""Office.js payloads for xlwings' remote engine, and a replay of the actions it queues.

``seed_payload()`` turns the committed seed example (read with the project's own reader) into
the JSON an xlwings Lite / Office.js client sends when a script runs: ``client``, ``version``,
``book{name, active_sheet_index, selection}``, ``names``, ``sheets[{name, values, pictures,
tables, notes, visibility}]`` — values as Office.js sends them (a rectangle anchored at A1,
empty cells as ``""``).

``replay(payload, actions)`` applies the queued actions the way Excel would to the snapshot and
returns the next payload (what the client sends on the next click) plus what payloads do not
carry: fills, number formats, fonts, alignment, borders (per cell side), note texts, column
widths and visibility, row heights, merged ranges and frozen panes. It models only what the
actions under test use: values (``'`` text prefix, ``HYPERLINK`` shown as its text), those
formats, notes, and adding, clearing, hiding, deleting and activating sheets.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_XLSX = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"
SEED_SHEET = "项目支出绩效目标表"


def register_remote_engine(monkeypatch: pytest.MonkeyPatch) -> Any:
    """xlwings with its remote engine available (licence key set for this test only), on
    copies of xlwings' engine registry that monkeypatch restores afterwards."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    if "remote" not in xw.engines.engines_by_name:
        from xlwings.pro import _xlremote

        monkeypatch.setattr(xw.engines, "engines", list(xw.engines.engines))
        monkeypatch.setattr(xw.engines, "engines_by_name", dict(xw.engines.engines_by_name))
        xw.engines.add(xw.Engine(impl=_xlremote.engine))
        monkeypatch.setattr(xw, "__pro__", True)
    return xw


def office_values(rows: list[list[Any]], width: int | None = None) -> list[list[Any]]:
    """Grid rows -> the rectangle of values Office.js sends ("" for empty cells)."""
    width = width if width is not None else max((len(r) for r in rows), default=0)
    out = []
    for r in rows:
        line = []
        for v in r:
            if v is None:
                line.append("")
            elif isinstance(v, dt.datetime | dt.date):
                line.append(v.isoformat())
            else:
                line.append(v)
        out.append(line + [""] * (width - len(line)))
    return out or [[]]


def sheet_json(name: str, values: list[list[Any]], notes: list[str] = ()) -> dict[str, Any]:
    return {
        "name": name,
        "values": values,
        "pictures": [],
        "tables": [],
        "notes": [{"address": a} for a in notes],
        "visibility": "Visible",
    }


def payload(
    sheets: list[dict[str, Any]],
    *,
    active: int = 0,
    client: str = "Office.js",
    name: str = "绩效目标表.xlsx",
) -> dict[str, Any]:
    import xlwings as xw

    return {
        "client": client,
        "version": xw.__version__,
        "book": {"name": name, "active_sheet_index": active, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


def workbook_payload(path: Path, active: int | str = 0, **kw: Any) -> dict[str, Any]:
    """Every sheet of a workbook file (read with the project's reader) as Office.js sends it;
    ``active`` = the active sheet's index or name."""
    from perfsheet.io.readers import read_workbook

    grids = read_workbook(path).sheets
    if isinstance(active, str):
        active = [g.name for g in grids].index(active)
    kw.setdefault("name", path.name)
    return payload([sheet_json(g.name, office_values(g.rows)) for g in grids], active=active, **kw)


def seed_values() -> list[list[Any]]:
    """The seed example's real values (the project's reader), as Office.js sends them."""
    from perfsheet.io.readers import read_workbook

    grid = read_workbook(SEED_XLSX).sheets[0]
    assert grid.name == SEED_SHEET
    return office_values(grid.rows)


def seed_payload(**kw: Any) -> dict[str, Any]:
    return payload([sheet_json(SEED_SHEET, seed_values())], **kw)


def cell_value(values: list[list[Any]], row: int, col: int) -> Any:
    """1-based; None for empty or outside."""
    if row - 1 >= len(values) or col - 1 >= len(values[row - 1]):
        return None
    v = values[row - 1][col - 1]
    return None if v == "" else v


# --------------------------------------------------------------------------------------------
# Running an action on a snapshot
# --------------------------------------------------------------------------------------------


def book_of(data: dict[str, Any]) -> Any:
    """A remote-engine book of a copy of ``data`` (the engine updates its snapshot in place)."""
    import xlwings as xw

    return xw.Book(json=copy.deepcopy(data))


def run(action: str, state: dict[str, Any] | Workbook) -> tuple[Any, list[dict], Workbook]:
    """Run one action (by ribbon tag) on a snapshot: (result, actions, next state)."""
    from perfsheet.excel import ribbon

    data = state.payload if isinstance(state, Workbook) else state
    book = book_of(data)
    result = ribbon.dispatch(book, action)
    queued = book.json()["actions"]
    return result, queued, replay(state, queued)


def of(queued: list[dict], func: str, sheet: int | None = None) -> list[dict]:
    """The queued actions ``func`` (on the sheet at position ``sheet``)."""
    return [
        a for a in queued if a["func"] == func and (sheet is None or a["sheet_position"] == sheet)
    ]


def alerts(queued: list[dict]) -> list[str]:
    return [a["args"][0] for a in of(queued, "alert")]


def same_cells(a: list[list[Any]], b: list[list[Any]]) -> bool:
    """Equal cell by cell; numbers to 14 significant digits (the file stores what Excel
    keeps, 15-17 digits, so 0.42105263157894735 reads back as 0.4210526315789473)."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b, strict=True):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb, strict=True):
            if isinstance(x, int | float) and isinstance(y, int | float):
                if x != pytest.approx(y, rel=1e-14, abs=0):
                    return False
            elif x != y:
                return False
    return True


def file_rows(path: Path, sheet: str) -> list[list[Any]]:
    """The non-empty rows of a sheet of a written file (trailing empty cells dropped)."""
    import openpyxl

    ws = openpyxl.load_workbook(path)[sheet]
    rows = []
    for line in ws.iter_rows(values_only=True):
        line = list(line)
        while line and line[-1] is None:
            line.pop()
        if line:
            rows.append(line)
    return rows


# --------------------------------------------------------------------------------------------
# Replay
# --------------------------------------------------------------------------------------------

_HYPERLINK = re.compile(r'^=HYPERLINK\("(?:[^"]|"")*","((?:[^"]|"")*)"\)$')
_ADDRESS = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)$")


def address_key(address: str) -> tuple[int, int]:
    m = _ADDRESS.match(address.upper())
    assert m, address
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def shown(value: Any) -> Any:
    """What Excel shows for a value written by setValues."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        m = _HYPERLINK.match(value)
        if m:
            return m.group(1).replace('""', '"')
    return value


@dataclass
class Workbook:
    """The state after replaying actions: the next payload, plus fills and note texts."""

    payload: dict[str, Any]
    fills: dict[tuple[str, int, int], str] = field(default_factory=dict)
    notes: dict[tuple[str, int, int], str] = field(default_factory=dict)
    formats: dict[tuple[str, int, int], str] = field(default_factory=dict)
    fonts: dict[tuple[str, int, int], dict[str, Any]] = field(default_factory=dict)
    #: horizontal / vertical alignment (Office.js names) and wrap_text
    align: dict[tuple[str, int, int], dict[str, Any]] = field(default_factory=dict)
    #: cell -> side (top, bottom, left, right) -> {line_style, weight, color}
    borders: dict[tuple[str, int, int], dict[str, dict[str, Any]]] = field(default_factory=dict)
    widths: dict[tuple[str, int], float] = field(default_factory=dict)  # points
    hidden: dict[tuple[str, int], bool] = field(default_factory=dict)
    heights: dict[tuple[str, int], float] = field(default_factory=dict)
    merged: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    frozen: dict[str, str] = field(default_factory=dict)  # freezePaneAtRange's address
    autofit: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # rows first..last

    def sheet(self, name: str) -> dict[str, Any]:
        for s in self.payload["sheets"]:
            if s["name"] == name:
                return s
        raise KeyError(name)

    def names(self) -> list[str]:
        return [s["name"] for s in self.payload["sheets"]]

    def value(self, sheet: str, row: int, col: int) -> Any:
        return cell_value(self.sheet(sheet)["values"], row, col)

    def rows(self, sheet: str) -> list[list[Any]]:
        """The non-empty rows, empty cells None, trailing empty cells dropped."""
        out = []
        for r in self.sheet(sheet)["values"]:
            line = [None if v == "" else v for v in r]
            while line and line[-1] is None:
                line.pop()
            if line:
                out.append(line)
        return out


def _rect(a: dict[str, Any]) -> list[tuple[int, int]]:
    r0, c0 = a["start_row"] + 1, a["start_column"] + 1
    return [
        (r, c) for r in range(r0, r0 + a["row_count"]) for c in range(c0, c0 + a["column_count"])
    ]


#: a border side of a range -> (the cell side it draws, which cells: edge or inside)
_BORDER_SIDES = {
    "edge_top": [("top", "first_row")],
    "edge_bottom": [("bottom", "last_row")],
    "edge_left": [("left", "first_col")],
    "edge_right": [("right", "last_col")],
    "inside_horizontal": [("top", "not_first_row"), ("bottom", "not_last_row")],
    "inside_vertical": [("left", "not_first_col"), ("right", "not_last_col")],
}


def _border_cells(a: dict[str, Any], which: str) -> list[tuple[int, int]]:
    r0, c0 = a["start_row"] + 1, a["start_column"] + 1
    r1, c1 = r0 + a["row_count"] - 1, c0 + a["column_count"] - 1
    keep = {
        "first_row": lambda r, c: r == r0,
        "last_row": lambda r, c: r == r1,
        "first_col": lambda r, c: c == c0,
        "last_col": lambda r, c: c == c1,
        "not_first_row": lambda r, c: r != r0,
        "not_last_row": lambda r, c: r != r1,
        "not_first_col": lambda r, c: c != c0,
        "not_last_col": lambda r, c: c != c1,
    }[which]
    return [(r, c) for r, c in _rect(a) if keep(r, c)]


def _set(values: list[list[Any]], row: int, col: int, v: Any) -> None:
    while len(values) < row:
        values.append([])
    width = max(col, max((len(r) for r in values), default=0))
    for line in values:
        line.extend([""] * (width - len(line)))
    values[row - 1][col - 1] = v


def replay(state: dict[str, Any] | Workbook, actions: list[dict[str, Any]]) -> Workbook:
    wb = copy.deepcopy(state) if isinstance(state, Workbook) else Workbook(copy.deepcopy(state))
    sheets = wb.payload["sheets"]
    for a in actions:
        func = a["func"]
        sp = a["sheet_position"]
        name = sheets[sp]["name"] if sp is not None and sp < len(sheets) else None
        if func == "setValues":
            r0, c0 = a["start_row"] + 1, a["start_column"] + 1
            for i, line in enumerate(a["values"]):
                for j, v in enumerate(line):
                    _set(sheets[sp]["values"], r0 + i, c0 + j, "" if v is None else shown(v))
        elif func == "rangeClearContents":
            for r, c in _rect(a):
                if cell_value(sheets[sp]["values"], r, c) is not None:
                    _set(sheets[sp]["values"], r, c, "")
        elif func == "setRangeColor":
            for r, c in _rect(a):
                if a["args"][0] is None:
                    wb.fills.pop((name, r, c), None)
                else:
                    wb.fills[(name, r, c)] = a["args"][0].upper()
        elif func == "setRangeColors":
            r0, c0 = a["start_row"] + 1, a["start_column"] + 1
            for i, line in enumerate(a["args"][0]):
                for j, color in enumerate(line):
                    if color == "keep":
                        continue
                    if color is None:
                        wb.fills.pop((name, r0 + i, c0 + j), None)
                    else:
                        wb.fills[(name, r0 + i, c0 + j)] = color.upper()
        elif func == "setNumberFormat":
            for r, c in _rect(a):
                wb.formats[(name, r, c)] = a["args"][0]
        elif func == "setFontProperty":
            attr, value = a["args"]
            for r, c in _rect(a):
                wb.fonts.setdefault((name, r, c), {})[attr] = value
        elif func in ("setHorizontalAlignment", "setVerticalAlignment", "setWrapText"):
            key = {"setHorizontalAlignment": "h", "setVerticalAlignment": "v"}.get(func, "wrap")
            value = a["args"][0] if isinstance(a["args"], list) else a["args"]
            for r, c in _rect(a):
                wb.align.setdefault((name, r, c), {})[key] = value
        elif func == "setBorderProperty":
            side, attr, value = a["args"]
            for cell_side, which in _BORDER_SIDES.get(side, []):
                for r, c in _border_cells(a, which):
                    sides = wb.borders.setdefault((name, r, c), {})
                    sides.setdefault(cell_side, {})[attr] = value
        elif func == "setColumnWidth":
            width = a["args"][0] if isinstance(a["args"], list) else a["args"]
            for c in range(a["start_column"] + 1, a["start_column"] + a["column_count"] + 1):
                wb.widths[(name, c)] = width
        elif func == "setColumnHidden":
            for c in range(a["start_column"] + 1, a["start_column"] + a["column_count"] + 1):
                wb.hidden[(name, c)] = a["args"][0]
        elif func == "setRowHeight":
            height = a["args"][0] if isinstance(a["args"], list) else a["args"]
            for r in range(a["start_row"] + 1, a["start_row"] + a["row_count"] + 1):
                wb.heights[(name, r)] = height
        elif func == "rangeMerge":
            r0, c0 = a["start_row"] + 1, a["start_column"] + 1
            rect = (r0, c0, r0 + a["row_count"] - 1, c0 + a["column_count"] - 1)
            wb.merged.setdefault(name, []).append(rect)
        elif func == "freezePaneAtRange":
            wb.frozen[name] = a["args"][0]
        elif func == "setAutofit" and a["args"] in ("rows", ["rows"]):
            r0 = a["start_row"] + 1
            wb.autofit.setdefault(name, []).append((r0, r0 + a["row_count"] - 1))
        elif func == "addNote":
            r, c = address_key(a["args"][0])
            sheets[sp]["notes"].append({"address": a["args"][0]})
            wb.notes[(name, r, c)] = a["args"][1]
        elif func == "setNoteText":
            wb.notes[(name, *address_key(a["args"][0]))] = a["args"][1]
        elif func == "deleteNote":
            key = address_key(a["args"][0])
            sheets[sp]["notes"] = [
                n for n in sheets[sp]["notes"] if address_key(n["address"]) != key
            ]
            wb.notes.pop((name, *key), None)
        elif func == "addSheet":
            ix, new = a["args"]
            sheets.insert(ix, sheet_json(new, [[]]))
        elif func == "sheetClear":  # contents and formats; widths and heights stay
            sheets[sp]["values"] = [[]]
            sheets[sp]["notes"] = []
            for store in (wb.fills, wb.notes, wb.formats, wb.fonts, wb.align, wb.borders):
                for key in [k for k in store if k[0] == name]:
                    del store[key]
            wb.merged.pop(name, None)
        elif func == "sheetDelete":
            for store in (wb.fills, wb.notes, wb.formats, wb.fonts, wb.align, wb.borders):
                for key in [k for k in store if k[0] == name]:
                    del store[key]
            for per_line in (wb.widths, wb.hidden, wb.heights):
                for key in [k for k in per_line if k[0] == name]:
                    del per_line[key]
            for per_sheet in (wb.merged, wb.frozen, wb.autofit):
                per_sheet.pop(name, None)
            del sheets[sp]
        elif func == "setSheetVisibility":
            sheets[sp]["visibility"] = a["args"][0]
        elif func == "activateSheet":
            wb.payload["book"]["active_sheet_index"] = a["args"][0]
    for s in sheets:  # the client sends a rectangle
        width = max((len(r) for r in s["values"]), default=0)
        for line in s["values"]:
            line.extend([""] * (width - len(line)))
    return wb
