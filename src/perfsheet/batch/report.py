"""The report document ``convert-report.json``, written by streaming the per-file entries.

The layout is :class:`~perfsheet.batch.models.ConvertReport`; writing it entry by entry means no
second, whole-batch copy of the entries is ever built in the parent.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from perfsheet.batch.models import FileEntry, Summary
from perfsheet.batch.naming import temp_path_for


def dump_report(
    fh: IO[str], entries: Iterable[FileEntry], consolidated: str | None, summary: Summary
) -> None:
    """Write the report document to ``fh`` (UTF-8 text, one file entry per line)."""
    fh.write('{\n  "files": [')
    sep = "\n    "
    for entry in entries:
        fh.write(sep)
        fh.write(json.dumps(dataclasses.asdict(entry), ensure_ascii=False))
        sep = ",\n    "
    fh.write("\n  ],\n" if sep != "\n    " else "],\n")
    fh.write(f'  "consolidated": {json.dumps(consolidated, ensure_ascii=False)},\n')
    fh.write(f'  "summary": {summary.model_dump_json()}\n}}\n')


def write_report(
    path: Path, entries: Iterable[FileEntry], consolidated: str | None, summary: Summary
) -> None:
    """Write the report to ``path`` atomically (temporary file, then rename)."""
    tmp = temp_path_for(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            dump_report(fh, entries, consolidated, summary)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
