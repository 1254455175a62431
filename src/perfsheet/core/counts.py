"""What a result holds, counted once: tables, units, projects, indicators, findings by level.

Every entry point's summary (the CLI lines, the add-in's message boxes, the batch report, the
summary workbook) reports these numbers; they come from here so they always agree.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from perfsheet.core.models import Table, WorkbookResult


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tables: int = 0
    units: int = 0
    projects: int = 0
    indicators: int = 0
    errors: int = 0
    warnings: int = 0
    infos: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{k: getattr(self, k) + getattr(other, k) for k in Counts.model_fields})


def count_table(table: Table) -> Counts:
    """The counts of one table (``tables`` is 1)."""
    counts = Counts(tables=1, units=len(table.units))
    for unit in table.units:
        counts.projects += len(unit.projects)
        counts.indicators += sum(len(p.indicators) for p in unit.projects)
    for finding in table.findings:
        if finding.severity == "error":
            counts.errors += 1
        elif finding.severity == "warning":
            counts.warnings += 1
        else:
            counts.infos += 1
    return counts


def count_result(result: WorkbookResult) -> Counts:
    """The counts of every table of a workbook."""
    total = Counts()
    for table in result.tables:
        total += count_table(table)
    return total
