"""The one entry point every front end calls: a workbook grid in, the full result out."""

from __future__ import annotations

from typing import Any

from perfsheet.core.grid import WorkbookGrid
from perfsheet.core.models import WorkbookResult
from perfsheet.core.table import build_tables


def analyze(wb: WorkbookGrid, *, sheet: str | None = None, rules: Any = None) -> WorkbookResult:
    """Tables (fragments merged, indicators parsed, money and indicator checks) of ``wb``.

    ``rules`` is reserved for the indicator quality audit (issue 7), which adds its findings
    to each table here. Raises :class:`~perfsheet.errors.InputError` when there is no table.
    """
    tables = build_tables(wb, sheet)
    return WorkbookResult(file=wb.path, tables=tables)
