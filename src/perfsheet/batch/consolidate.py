"""The consolidated workbook ``绩效汇总_合并.xlsx``, streamed from the per-output row caches.

XlsxWriter in ``constant_memory`` mode flushes every row to a temporary file as soon as the next
row starts, so the parent holds one cache line at a time whatever the number of inputs. Each
cache brings, per sheet, a header (texts, column kinds, which columns get a total) and rows;
rows are appended in input order. Sheet order: ``部门汇总`` first, the standard sheets in the
order the first cache lists them, ``说明`` (rows given by the caller) last. A sheet that reaches
Excel's row limit continues on ``<name>（2）``. Sheets with totals end with a total row
(``SUBTOTAL`` formulas with their computed values, so filtering still sums what is visible).
Text is always written as text (``write_string``): a cell starting with ``=`` never becomes a
formula.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfsheet.batch.cache import CacheHeader, iter_records
from perfsheet.batch.naming import temp_path_for

DEPT_SHEET = "部门汇总"
NOTES_SHEET = "说明"
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767

_NUMBER_FORMATS = {"amount": "#,##0.00", "ratio": "0.0%", "score": "0.0"}


def _col_letter(col: int) -> str:  # 0-based
    letters = ""
    col += 1
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(slots=True)
class _Part:
    ws: Any
    name: str
    next_row: int = 1  # 0-based index of the next data row (row 0 is the header)


@dataclass(slots=True)
class _Sheet:
    base: str
    head: CacheHeader
    formats: list[Any]
    parts: list[_Part] = field(default_factory=list)
    rows: int = 0  # data rows over all parts
    sums: dict[int, float] = field(default_factory=dict)
    weighted: dict[int, float] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class ConsolidatedStats:
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # base sheet name -> data rows
    sheets: list[str] = field(default_factory=list)  # worksheet names, in order


class _Writer:
    def __init__(self, path: Path, *, tmpdir: Path | None, max_rows: int) -> None:
        import xlsxwriter

        self.workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": str(tmpdir) if tmpdir else None,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "use_zip64": True,
            },
        )
        self.workbook.set_properties({"title": "绩效汇总（合并）", "author": "perfsheet"})
        # Rows per part, footer included.
        self.max_data_rows = max_rows - 2
        self.header_fmt = self.workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.total_fmt = self.workbook.add_format({"bold": True, "top": 1})
        self.kind_fmts = {
            k: self.workbook.add_format({"num_format": f}) for k, f in _NUMBER_FORMATS.items()
        }
        self.total_kind_fmts = {
            k: self.workbook.add_format({"num_format": f, "bold": True, "top": 1})
            for k, f in _NUMBER_FORMATS.items()
        }
        self.sheets: dict[str, _Sheet] = {}
        self.order: list[str] = []

    def sheet(self, base: str, head: CacheHeader) -> _Sheet:
        sh = self.sheets.get(base)
        if sh is None:
            kinds = list(head.kinds) + [None] * (len(head.header) - len(head.kinds))
            sh = _Sheet(base=base, head=head, formats=[self.kind_fmts.get(k or "") for k in kinds])
            self.sheets[base] = sh
            self.order.append(base)
            self._new_part(sh)
        return sh

    def _new_part(self, sh: _Sheet) -> _Part:
        k = len(sh.parts) + 1
        name = sh.base if k == 1 else f"{sh.base[:26]}（{k}）"
        ws = self.workbook.add_worksheet(name)
        ws.freeze_panes(1, 0)
        widths = sh.head.widths or []
        for col, title in enumerate(sh.head.header):
            width = widths[col] if col < len(widths) and widths[col] else 14
            ws.set_column(col, col, width)
            ws.write_string(0, col, title, self.header_fmt)
        part = _Part(ws=ws, name=name)
        sh.parts.append(part)
        return part

    def append(self, sh: _Sheet, values: Sequence[Any]) -> None:
        part = sh.parts[-1]
        if part.next_row > self.max_data_rows:
            part = self._new_part(sh)
        r = part.next_row
        fmts = sh.formats
        for c, v in enumerate(values):
            _write_cell(part.ws, r, c, v, fmts[c] if c < len(fmts) else None)
        part.next_row += 1
        sh.rows += 1
        if sh.head.totals:
            for col, func, weight in sh.head.totals:
                v = values[col] if col < len(values) else None
                if func in ("sum", "average") and _is_number(v):
                    sh.sums[col] = sh.sums.get(col, 0.0) + v
                    sh.counts[col] = sh.counts.get(col, 0) + 1
                elif func == "ratio" and _is_number(v) and weight is not None:
                    w = values[weight] if weight < len(values) else None
                    if _is_number(w):
                        sh.weighted[col] = sh.weighted.get(col, 0.0) + v * w
                        sh.sums[col] = sh.sums.get(col, 0.0) + w

    def _footer(self, sh: _Sheet) -> None:
        if not sh.head.totals or not sh.rows:
            return
        part = sh.parts[-1]
        r = part.next_row
        first, last = 2, part.next_row  # 1-based data rows of the last part
        with_formulas = len(sh.parts) == 1
        kinds = sh.head.kinds
        for col, func, weight in sh.head.totals:
            kind = kinds[col] if col < len(kinds) else None
            fmt = self.total_kind_fmts.get(kind or "", self.total_fmt)
            letter = _col_letter(col)
            rng = f"{letter}{first}:{letter}{last}"
            if func == "label":
                label = sh.head.total_label.replace("{n}", str(sh.rows))
                part.ws.write_string(r, col, label, self.total_fmt)
                continue
            if func == "sum":
                value: float | None = sh.sums.get(col, 0.0)
                formula = f"=SUBTOTAL(109,{rng})"
            elif func == "average":
                n = sh.counts.get(col, 0)
                value = sh.sums.get(col, 0.0) / n if n else None
                formula = f"=SUBTOTAL(101,{rng})"
            elif func == "count":
                value = float(sh.rows)
                formula = f"=SUBTOTAL(103,{rng})"
            elif func == "ratio" and weight is not None:
                total_w = sh.sums.get(col, 0.0)
                value = sh.weighted.get(col, 0.0) / total_w if total_w else None
                wl = _col_letter(weight)
                wrng = f"{wl}{first}:{wl}{last}"
                formula = f'=IFERROR(SUMPRODUCT({wrng},{rng})/SUM({wrng}),"")'
            else:
                continue
            if with_formulas:
                part.ws.write_formula(r, col, formula, fmt, "" if value is None else value)
            elif value is not None:
                part.ws.write_number(r, col, value, fmt)

    def close(self) -> None:
        for sh in self.sheets.values():
            self._footer(sh)
            for part in sh.parts:
                if part.next_row > 1:
                    part.ws.autofilter(0, 0, part.next_row - 1, max(0, len(sh.head.header) - 1))
        self.workbook.close()


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v


def _write_cell(ws: Any, r: int, c: int, v: Any, fmt: Any) -> None:
    if v is None or v == "":
        return
    if isinstance(v, bool):
        ws.write_boolean(r, c, v)
    elif isinstance(v, int | float):
        if v != v or v in (float("inf"), float("-inf")):  # NaN / inf: keep visible as text
            ws.write_string(r, c, str(v))
        else:
            ws.write_number(r, c, v, fmt)
    elif isinstance(v, _dt.datetime | _dt.date):
        ws.write_string(r, c, v.isoformat())
    else:
        text = str(v)
        if len(text) > EXCEL_MAX_TEXT:
            text = text[: EXCEL_MAX_TEXT - 1] + "…"
        ws.write_string(r, c, text)


def write_consolidated(
    path: Path,
    caches: Iterable[Path],
    notes: Iterable[Sequence[Any]],
    *,
    notes_header: Sequence[str] = ("类别", "名称", "内容"),
    tmpdir: Path | None = None,
    max_rows: int = EXCEL_MAX_ROWS,
) -> ConsolidatedStats:
    """Stream the row caches into ``path`` (written to a temporary file, then renamed).

    ``notes`` are the rows of the ``说明`` sheet (the caches' own 说明 rows describe one file
    and are not copied). Returns the data rows written per sheet — the sum of the per-file rows.
    """
    tmp = temp_path_for(path)
    stats = ConsolidatedStats()
    writer = _Writer(tmp, tmpdir=tmpdir, max_rows=max_rows)
    try:
        for cache in caches:
            stats.files += 1
            current: dict[str, _Sheet] = {}
            for sheet, head, row in iter_records(cache):
                if sheet == NOTES_SHEET:
                    continue
                if head is not None:
                    current[sheet] = writer.sheet(sheet, head)
                elif row is not None:
                    sh = current.get(sheet) or writer.sheets.get(sheet)
                    if sh is None:
                        raise ValueError(f"行缓存 {cache} 中工作表 {sheet} 的行没有表头")
                    writer.append(sh, row)
        notes_sheet = writer.sheet(NOTES_SHEET, CacheHeader(header=list(notes_header), kinds=[]))
        for note in notes:
            writer.append(notes_sheet, list(note))
        writer.close()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(Exception):
            if not writer.workbook.fileclosed:
                writer.workbook.close()
        tmp.unlink(missing_ok=True)
        raise
    for base in writer.order:
        sh = writer.sheets[base]
        stats.sheets.extend(p.name for p in sh.parts)
        if base != NOTES_SHEET:
            stats.rows[base] = sh.rows
    return stats
