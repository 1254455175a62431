"""Per-output row caches ("sidecars"): the rows one input contributes to the consolidated workbook.

A worker writes, next to nothing the user owns, ``OUTDIR/.perfsheet-cache/<rel output>.rows.jsonl``
— a hidden folder, a name no workbook search matches, and a first line that says what the file is
(``"format": "perfsheet-batch-rows"``). The parent streams these files one at a time into the
consolidated workbook, so its memory does not depend on how many inputs there are, and an input
whose output is up to date still contributes its rows without being parsed again.

File layout, one JSON document per line::

    {"format": "perfsheet-batch-rows", "version": 1, "fingerprint": …, "input_size": …, …}
    {"sheet": "绩效指标明细", "head": {"header": […], "kinds": […], "totals": …}}  # once
    {"sheet": "绩效指标明细", "row": […]}  # one per row, in output order

Both the cache and the output it describes are written to a temporary file and renamed, output
first, so a cache that exists always describes a complete output.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from perfsheet.batch.models import Counts
from perfsheet.batch.naming import temp_path_for

CACHE_FORMAT = "perfsheet-batch-rows"
CACHE_VERSION = 1


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


class CacheHeader(BaseModel):
    """How a sheet of the consolidated workbook looks: header texts, column kinds (``amount``,
    ``ratio``… for number formats), widths, and the columns of its total row as
    ``(column, func, weight column)`` with func ``label`` / ``sum`` / ``average`` / ``count`` /
    ``ratio``."""

    model_config = ConfigDict(extra="ignore")

    header: list[str]
    kinds: list[str | None] = Field(default_factory=list)
    widths: list[float | None] = Field(default_factory=list)
    totals: list[tuple[int, str, int | None]] = Field(default_factory=list)
    total_label: str = "合计（{n} 行）"  # ``{n}``: the number of data rows


def _json_default(value: Any) -> Any:
    # Dates, times, decimals… become their text; nothing in a row may stop the cache.
    return str(value)


class CacheWriter:
    """Writes one sidecar to a temporary file; :meth:`commit` renames it into place."""

    def __init__(self, path: Path, meta: CacheMeta) -> None:
        self.path = path
        self.tmp = temp_path_for(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = open(self.tmp, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._headers: set[str] = set()
        self._line(meta.model_dump(mode="json"))

    def _line(self, doc: dict[str, Any]) -> None:
        assert self._fh is not None
        self._fh.write(json.dumps(doc, ensure_ascii=False, default=_json_default))
        self._fh.write("\n")

    def header(self, sheet: str, head: CacheHeader) -> None:
        if sheet not in self._headers:
            self._headers.add(sheet)
            self._line({"sheet": sheet, "head": head.model_dump(mode="json")})

    def row(self, sheet: str, values: Sequence[Any]) -> None:
        self._line({"sheet": sheet, "row": list(values)})

    def commit(self) -> None:
        assert self._fh is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())
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
            first = fh.readline(1 << 16)
    except (OSError, UnicodeDecodeError):
        return None
    try:
        meta = CacheMeta.model_validate_json(first)
    except ValidationError:
        return None
    if meta.format != CACHE_FORMAT or meta.version != CACHE_VERSION:
        return None
    return meta


def iter_records(path: Path) -> Iterator[tuple[str, CacheHeader | None, list[Any] | None]]:
    """``(sheet, head, row)`` for every line after the first, streamed (one of head/row set)."""
    with open(path, encoding="utf-8") as fh:
        fh.readline()
        for line in fh:
            if not line.strip():
                continue
            doc = json.loads(line)
            head = doc.get("head")
            yield (
                doc["sheet"],
                CacheHeader.model_validate(head) if head is not None else None,
                doc.get("row"),
            )
