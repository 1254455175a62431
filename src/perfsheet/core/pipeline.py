"""The one entry point every front end calls: a workbook grid in, the full result out."""

from __future__ import annotations

from perfsheet.core.audit import AuditRules, audit_table
from perfsheet.core.grid import WorkbookGrid
from perfsheet.core.models import WorkbookResult
from perfsheet.core.table import build_tables


def analyze(
    wb: WorkbookGrid, *, sheet: str | None = None, rules: AuditRules | None = None
) -> WorkbookResult:
    """Tables (fragments merged, indicators parsed, money and indicator checks) of ``wb``.

    The indicator quality audit (issue 7, ``perfsheet.core.audit``) appends its findings to
    each table's findings; ``rules`` None = the shipped default rules.
    Raises :class:`~perfsheet.errors.InputError` when there is no table.
    """
    tables = build_tables(wb, sheet)
    for table in tables:
        table.findings.extend(audit_table(table, rules))
    return WorkbookResult(file=wb.path, tables=tables)
