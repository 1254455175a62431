"""The rows of the standard sheets of a streaming run, produced in their final order.

:func:`stream_tables` walks the tables of an input analysed project by project
(:class:`~perfsheet.core.pipeline.TableAnalysis`) and yields ``(sheet, rows)`` pieces in the
order they are written: per batch of projects their 绩效指标明细 rows, their 项目汇总 rows,
the 校验结果 rows due so far (the structural findings merged with the projects' own, in sheet
order); per table, at its end, the rest of the structural findings and then its audit
findings that stand (the speculative ``indicator-legacy`` ones are dropped when the table is
not new-scheme, which is only known at its end). A writer only sinks each piece into its
sheet; it decides nothing.

The audit rows wait in an :class:`AuditSpool` the caller gives (the file writer spools them to
disk: a table's audit rows are the largest part of 校验结果). Counts go to the
:class:`~perfsheet.core.summary_rows.SummaryPlan` as the rows are produced. The parsed
indicators of each project are dropped once its rows are out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from perfsheet.core.checks import FindingMerge
from perfsheet.core.models import Finding
from perfsheet.core.pipeline import ProjectAnalysis, TableAnalysis, drop_indicators
from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_PROJECTS
from perfsheet.core.summary_rows import SummaryPlan, TableRows

#: An audit row waiting for its table's end: (severity, rule, the 校验结果 row).
AuditRecord = tuple[str, str, tuple]


class AuditSpool(Protocol):
    """Where a table's audit rows wait, batch by batch, until the table ends."""

    def put(self, records: list[AuditRecord]) -> None: ...

    def batches(self) -> Iterator[list[AuditRecord]]: ...


class ListSpool:
    """An :class:`AuditSpool` in memory."""

    def __init__(self) -> None:
        self._batches: list[list[AuditRecord]] = []

    def put(self, records: list[AuditRecord]) -> None:
        self._batches.append(records)

    def batches(self) -> Iterator[list[AuditRecord]]:
        return iter(self._batches)

    def __enter__(self) -> ListSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._batches = []


def stream_tables(
    plan: SummaryPlan,
    analyses: Sequence[TableAnalysis],
    source_file: str | None,
    *,
    spool: Callable[[int], AbstractContextManager[AuditSpool]] = lambda _k: ListSpool(),
    each: Callable[[int, ProjectAnalysis], None] | None = None,
) -> Iterator[tuple[str, Iterable[tuple]]]:
    """``(sheet, rows)`` in the order they are written (module docstring). ``spool(k)`` gives
    the audit spool of ``analyses[k]``; ``each(k, done)`` sees every completed project of
    ``analyses[k]`` before its indicators are dropped (the source copy's helper columns are
    built from them). Each piece must be consumed before the next is asked for."""
    for k, analysis in enumerate(analyses):
        table = analysis.table
        plan.start_table(table)
        rows = plan.table_rows(table, source_file, analysis.structural)
        merge = FindingMerge(analysis.structural)
        with spool(k) as waiting:
            for batch in analysis.batches():
                own = [d.indicator_findings + d.audit_findings for d in batch]
                for found in own:
                    rows.add(found)
                yield (
                    SHEET_DETAIL,
                    (r for d in batch for r in rows.detail_rows(d.unit.name, d.project)),
                )
                yield (
                    SHEET_PROJECTS,
                    [
                        rows.project_row(d.unit.name, d.project, found)
                        for d, found in zip(batch, own, strict=True)
                    ],
                )
                due: list[Finding] = []
                audited: list[AuditRecord] = []
                for d in batch:
                    due += merge.take(d.indicator_findings)
                    audited += [(f.severity, f.rule, rows.finding_row(f)) for f in d.audit_findings]
                    rows.done(d.project)
                    if each is not None:
                        each(k, d)
                    drop_indicators(d.project)  # its rows are out: the parsed indicators go
                yield SHEET_FINDINGS, _counted(plan, rows, due)
                if audited:
                    waiting.put(audited)
            yield SHEET_FINDINGS, _counted(plan, rows, merge.rest())
            yield SHEET_FINDINGS, _standing(plan, waiting, analysis)


def _counted(plan: SummaryPlan, rows: TableRows, found: Sequence[Finding]) -> list[tuple]:
    for f in found:
        plan.count_finding(f.severity)
    return [rows.finding_row(f) for f in found]


def _standing(plan: SummaryPlan, waiting: AuditSpool, analysis: TableAnalysis) -> Iterator[tuple]:
    """The spooled audit rows of one table that stand (counted as they are produced)."""
    keep = analysis.keep_audit_rule
    for records in waiting.batches():
        for severity, rule, row in records:
            if keep(rule):
                plan.count_finding(severity)
                yield row
