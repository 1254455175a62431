"""Per-output row caches ("sidecars"): the rows one input contributes to the consolidated workbook.

A worker writes ``OUTDIR/.perfsheet-cache/<rel output>.rows.jsonl`` — a hidden folder, a name no
workbook search matches, and a first line that says what the file is (``"format":
"perfsheet-batch-rows"``), so it is never mistaken for a user's file nor picked up as an input.
The parent streams these files one at a time into the consolidated workbook, so its memory does
not depend on how many inputs there are, and an input whose output is up to date still
contributes its rows without being parsed again.

Rows are stored already rendered as SpreadsheetML cells (:mod:`perfsheet.io.xlsx_stream`): the
rendering — most of the cost of writing the consolidated workbook — thus happens in the workers,
in parallel; the parent only numbers rows and copies bytes. A cell's format is an index into the
styles part computed from the template (:class:`perfsheet.batch.layout.ConsolidatedLook`; the
sheet's header line says which, ``styles_id``), so a cache is only ever merged into a workbook
with the same styles part. Totals columns are summed here too, and the widest value of each
column is measured (the parent fits the column widths to it).

File layout, one record per line — JSON documents, except the rows (most of the file), which
are ``R``, the sheet name, the texts that may wrap (:func:`~perfsheet.io.xlsx_stream.wrap_info`,
for the row's height) and the rendered cells separated by tabs (decoding JSON strings full
of escaped quotes was half of the parent's serial work; a line feed inside cell text is
written as the equivalent character reference ``&#10;``)::

    {"format": "perfsheet-batch-rows", "version": 7, "fingerprint": …, "input_size": …, …}
    {"sheet": "绩效指标明细", "head": {"header": […], "kinds": […], "totals": …}}  # once
    R<TAB>绩效指标明细<TAB>12=31/8<TAB><c r="A\x01" …>…</c>…        # one per row, in order
    {"sheet": "项目汇总", "agg": {"rows": 12, "sums": {"4": 1.5}, "widths": …}}  # every sheet

The aggregates come last, so the parent reads them first (:func:`read_aggregates`, from the
end of the file) and fits the column widths before it copies any row.

The rows and aggregates of a workbook with several tables are written table by table: a line
``{"table": 1}`` says that the records after it belong to the input's second table (until the
next such line; before the first one, to the first table), and each table has its own aggregate
line (``"table"`` in it). :func:`copy_without` thus leaves tables out (duplicates, see
:mod:`perfsheet.batch.duplicates`) without decoding any row. The meta line lists the tables
(:class:`TableInfo`: sheet, department, counts, duplicate key).

Both the cache and the output it describes are written to a temporary file and renamed, output
first, so a cache that exists always describes a complete output.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from perfsheet.batch.models import Counts
from perfsheet.batch.naming import temp_path_for
from perfsheet.io.xlsx_stream import (
    MIN_WRAP_WIDTH,
    WIDTH_PADDING,
    measure_row,
    number_shower,
    render_cells,
)

CACHE_FORMAT = "perfsheet-batch-rows"
CACHE_VERSION = 7  # 5: rows and aggregates by table, the tables listed in the meta
# 6: rows note the texts that may wrap; every sheet has aggregates, with the widest value per
# column
# 7: cells carry the template's cell format of their column (indexes into the styles part of
# batch.layout.ConsolidatedLook, named by the sheet header's styles_id), not fixed ones


class TableInfo(BaseModel):
    """One table of the input, as the parent needs it to find duplicates across inputs."""

    model_config = ConfigDict(extra="ignore")

    sheet: str
    department: str | None = None
    key: str | None = None  # perfsheet.batch.duplicates.table_key; None: not compared
    counts: Counts = Field(default_factory=Counts)


class CacheMeta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: str
    version: int
    fingerprint: str
    source: str  # 来源文件 (relative input path)
    input_size: int
    input_mtime_ns: int
    output: str  # output file name, for a sanity check
    counts: Counts
    tables: list[TableInfo] = Field(default_factory=list)  # in the order of the input


class CacheHeader(BaseModel):
    """How a sheet of the consolidated workbook looks, column by column
    (:meth:`perfsheet.batch.layout.ConsolidatedLook.cache_header` makes it from the template):
    header texts, column keys and kinds, the cell formats of the header, data and total-row
    cells (indexes into the styles part named by ``styles_id``), the number formats (widths
    are measured as shown), the widths the template sets (None: fitted to the values), the
    hidden columns, and the columns of its total row as ``(column, func, weight column)``
    with func ``label`` / ``sum`` / ``average`` / ``count`` / ``ratio``."""

    model_config = ConfigDict(extra="ignore")

    header: list[str]
    keys: list[str | None] = Field(default_factory=list)
    kinds: list[str | None] = Field(default_factory=list)
    styles: list[int] = Field(default_factory=list)  # data cells
    header_styles: list[int] = Field(default_factory=list)
    total_styles: list[int] = Field(default_factory=list)
    formats: list[str | None] = Field(default_factory=list)
    widths: list[float | None] = Field(default_factory=list)
    hidden: list[int] = Field(default_factory=list)
    totals: list[tuple[int, str, int | None]] = Field(default_factory=list)
    total_label: str = "合计（{n} 行）"  # ``{n}``: the number of data rows
    styles_id: str = ""  # ConsolidatedLook.digest of the styles part the indexes refer to

    def wrap_at(self) -> list[float]:
        """Per column, the widest text that still fits on one line: the cell of a column the
        template gives a width holds that width less the padding; a fitted one
        :data:`~perfsheet.io.xlsx_stream.MIN_WRAP_WIDTH`."""
        return [
            MIN_WRAP_WIDTH if w is None else min(MIN_WRAP_WIDTH, max(w - WIDTH_PADDING, 0.0))
            for w in self.widths
        ]


class Aggregate(BaseModel):
    """Partial sums of the total-row columns of one sheet (added up by the parent), and the
    display width of the widest value per column (:func:`~perfsheet.io.xlsx_stream.value_width`;
    the parent keeps the maximum)."""

    rows: int = 0
    sums: dict[int, float] = Field(default_factory=dict)  # sum / average columns, weights
    counts: dict[int, int] = Field(default_factory=dict)  # numbers seen (for averages)
    weighted: dict[int, float] = Field(default_factory=dict)  # ratio columns: Σ value × weight
    weights: dict[int, float] = Field(default_factory=dict)  # ratio columns: Σ weight
    widths: dict[int, float] = Field(default_factory=dict)  # widest value per column

    def add(self, other: Aggregate) -> None:
        self.rows += other.rows
        for k, w in other.widths.items():
            if w > self.widths.get(k, 0.0):
                self.widths[k] = w
        for target, source in (
            (self.sums, other.sums),
            (self.counts, other.counts),
            (self.weighted, other.weighted),
            (self.weights, other.weights),
        ):
            for k, v in source.items():
                target[k] = target.get(k, 0) + v  # type: ignore[assignment]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


class _SheetState:
    __slots__ = ("agg", "aggs", "head", "shows", "styles", "wrap_at")

    def __init__(self, head: CacheHeader, table: int = 0) -> None:
        self.head = head
        self.styles = head.styles
        self.shows = [number_shower(f) for f in head.formats]
        self.wrap_at = head.wrap_at()
        self.agg = Aggregate()  # the current table's
        self.aggs = {table: self.agg}  # table -> its aggregate

    def to_table(self, table: int) -> None:
        agg = self.aggs.get(table)
        if agg is None:
            agg = self.aggs[table] = Aggregate()
        self.agg = agg


class CacheWriter:
    """Writes one sidecar to a temporary file; :meth:`commit` renames it into place."""

    def __init__(self, path: Path, meta: CacheMeta) -> None:
        self.path = path
        self.tmp = temp_path_for(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = open(  # noqa: SIM115
            self.tmp, "w", encoding="utf-8", newline="\n", buffering=1 << 16
        )
        self._sheets: dict[str, _SheetState] = {}
        self._table = 0
        self._line(meta.model_dump(mode="json"))

    def _line(self, doc: dict[str, Any]) -> None:
        assert self._fh is not None
        self._fh.write(json.dumps(doc, ensure_ascii=False))
        self._fh.write("\n")

    def table(self, index: int) -> None:
        """The rows written from now on belong to the input's table ``index`` (0-based)."""
        if index != self._table:
            self._table = index
            self._line({"table": index})
            for st in self._sheets.values():
                st.to_table(index)

    def header(self, sheet: str, head: CacheHeader) -> None:
        if sheet not in self._sheets:
            self._sheets[sheet] = _SheetState(head, self._table)
            self._line({"sheet": sheet, "head": head.model_dump(mode="json")})

    def row(self, sheet: str, values: Sequence[Any]) -> None:
        """One data row (after :meth:`header` for its sheet)."""
        st = self._sheets[sheet]
        assert self._fh is not None
        cells = render_cells(values, st.styles)
        seen, wrap = measure_row(values, st.shows, st.wrap_at)
        self._fh.write(f"R\t{sheet}\t{wrap}\t{cells.replace(chr(10), '&#10;')}\n")
        agg = st.agg
        agg.rows += 1
        widths = agg.widths
        for col, w in seen.items():
            if w > widths.get(col, 0.0):
                widths[col] = w
        for col, func, weight in st.head.totals:
            v = values[col] if col < len(values) else None
            if not _is_number(v):
                continue
            if func in ("sum", "average"):
                agg.sums[col] = agg.sums.get(col, 0.0) + v
                agg.counts[col] = agg.counts.get(col, 0) + 1
            elif func == "ratio" and weight is not None:
                w = values[weight] if weight < len(values) else None
                if _is_number(w):
                    agg.weighted[col] = agg.weighted.get(col, 0.0) + v * w
                    agg.weights[col] = agg.weights.get(col, 0.0) + w

    def commit(self) -> None:
        assert self._fh is not None
        for sheet, st in self._sheets.items():
            for table, agg in st.aggs.items():
                self._line({"sheet": sheet, "table": table, "agg": agg.model_dump(mode="json")})
        self._fh.close()
        self._fh = None
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> CacheWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if self._fh is not None:
            self.discard()


def read_meta(path: Path) -> CacheMeta | None:
    """The first line of a sidecar, or ``None`` when missing, foreign or of another version."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline(1 << 24)  # the table list of a workbook with many tables
    except (OSError, UnicodeDecodeError):
        return None
    return _current(first)


def _current(first: str) -> CacheMeta | None:
    """The meta of a sidecar's first line, or ``None`` when foreign or of another version."""
    try:
        meta = CacheMeta.model_validate_json(first)
    except ValidationError:
        return None
    if meta.format != CACHE_FORMAT or meta.version != CACHE_VERSION:
        return None
    return meta


Record = tuple[str, CacheHeader | None, str | None, Aggregate | None, str]


def copy_without(src: Path, dst: Path, tables: Collection[int]) -> None:
    """Copy the sidecar ``src`` to ``dst`` without the rows and aggregates of ``tables``
    (indexes into its meta's table list); lines are copied as they are, never decoded."""
    skip = set(tables)
    current = 0
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8", newline="\n") as out:
        out.write(fin.readline())
        for line in fin:
            if line.startswith("R\t"):
                if current not in skip:
                    out.write(line)
                continue
            doc = json.loads(line) if line.strip() else {}
            if "table" in doc and "sheet" not in doc:
                current = doc["table"]
            elif not ("agg" in doc and doc.get("table", 0) in skip):
                out.write(line)


def iter_records(path: Path) -> Iterator[Record]:
    """``(sheet, head, rendered row, aggregate, wrap info)`` for every line after the first,
    streamed (exactly one of head, row and aggregate is set; a row comes with its
    :func:`~perfsheet.io.xlsx_stream.wrap_info`, empty otherwise)."""
    with open(path, encoding="utf-8") as fh:
        meta = fh.readline(1 << 24)
        if not _current(meta):
            # rows rendered by another version carry other cell formats: never merge them
            raise ValueError(f"行缓存 {path} 不是本版本的格式，请用 --force 重新转换")
        for line in fh:
            if line.startswith("R\t"):
                _, sheet, wrap, cells = line.rstrip("\n").split("\t", 3)
                yield sheet, None, cells, None, wrap
                continue
            if not line.strip():
                continue
            doc = json.loads(line)
            sheet = doc.get("sheet")
            if sheet is None and "table" in doc:  # rows of another table follow
                continue
            if "head" in doc:
                yield sheet, CacheHeader.model_validate(doc["head"]), None, None, ""
            elif "agg" in doc:
                yield sheet, None, None, Aggregate.model_validate(doc["agg"]), ""
            else:
                raise ValueError(f"行缓存 {path} 含无法识别的行")


def read_aggregates(path: Path) -> dict[str, Aggregate]:
    """The aggregates of a sidecar by sheet (those of its tables added up), read from the end
    of the file, where :meth:`CacheWriter.commit` puts them, without reading its rows."""
    with open(path, "rb") as fh:
        pos = fh.seek(0, os.SEEK_END)
        data = b""
        block = 1 << 16
        while True:
            start = max(0, pos - block)
            fh.seek(start)
            data = fh.read(pos - start) + data
            pos = start
            lines = data.split(b"\n")
            if start > 0:
                lines = lines[1:]  # may begin mid-line
            out: dict[str, Aggregate] = {}
            for line in reversed(lines):
                if not line.strip():
                    continue
                doc = json.loads(line) if line.startswith(b'{"sheet"') else {}
                if "agg" not in doc:
                    return out  # the last line before the aggregates
                out.setdefault(doc["sheet"], Aggregate()).add(Aggregate.model_validate(doc["agg"]))
            if start == 0:
                return out
            block *= 2
