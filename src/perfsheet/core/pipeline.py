"""The one entry point every front end calls: a workbook grid in, the full result out.

:func:`analyze` returns the whole :class:`~perfsheet.core.models.WorkbookResult`.
:func:`analyze_tables` is the same analysis one project at a time (:class:`TableAnalysis`):
the summary writes each project's rows and drops its indicators, so the parsed indicators and
findings of a large table never all exist at once. :func:`analyze` is built from the same
per-project steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from perfsheet.core.audit import AuditRules, TableAudit, default_rules, is_new_scheme
from perfsheet.core.checks import sort_findings
from perfsheet.core.grid import WorkbookGrid, relabel_findings
from perfsheet.core.indicators import parse_indicators
from perfsheet.core.layouts import build_deferred
from perfsheet.core.models import Finding, Project, Table, Unit, WorkbookResult
from perfsheet.core.table import DeferredTable, set_indicators
from perfsheet.deadline import check as check_deadline

#: Projects completed at a time by :meth:`TableAnalysis.projects`.
BATCH = 256


@dataclass(slots=True)
class ProjectAnalysis:
    """One project completed: its indicators are parsed (``project.indicators``)."""

    unit: Unit
    project: Project
    indicator_findings: list[Finding]  # indicator-format findings, all on the project's row
    audit_findings: list[Finding]  # quality audit; see TableAnalysis.keep_audit


class TableAnalysis:
    """One table, analyzed project by project.

    ``table`` is the structure (projects without indicators until :meth:`projects` reaches
    them), ``structural`` its findings that need no parsing (sorted). The table's findings as
    :func:`analyze` returns them are ``sort_findings(structural + every indicator finding)``
    followed by every kept audit finding (:meth:`keep_audit`) in project order.

    ``exact_scheme``: decide ``indicator-legacy`` before the first project (by parsing the
    projects until one uses the 2021 scheme) instead of speculatively (see
    :class:`~perfsheet.core.audit.TableAudit`); needed when a caller must know a project's final
    findings as soon as it is completed and those findings could include legacy ones that count
    (a warning/error severity configured for ``indicator-legacy``).
    """

    def __init__(
        self,
        deferred: DeferredTable,
        rules: AuditRules | None = None,
        *,
        exact_scheme: bool = False,
    ) -> None:
        self.deferred = deferred
        self.table: Table = deferred.table
        self.structural: list[Finding] = deferred.structural
        new_scheme = None
        if exact_scheme:
            new_scheme = any(
                text is not None and is_new_scheme(parse_indicators(text))
                for _, _, text in deferred.projects()
            )
        self.audit = TableAudit(self.table, rules, new_scheme=new_scheme)

    def projects(self) -> Iterator[ProjectAnalysis]:
        """Every project in table order, completed (indicators parsed, findings computed).
        Once only: the joined texts are released as the projects are parsed."""
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[ProjectAnalysis]]:
        """:meth:`projects` in lists of at most :data:`BATCH` (parse the batch, check it,
        audit it, hand it out): alternating the parser, the audit and the caller's writer
        project by project was measurably slower (CPU caches); a batch costs only ~BATCH
        projects' indicators of memory."""
        texts = self.deferred.texts
        audit = self.audit.project
        pages = self.table.pages
        if pages:  # a PDF: the audit's messages name pages too (第5页第3行)

            def audit(u: Unit, p: Project, _audit: Any = self.audit.project) -> list[Finding]:
                found = _audit(u, p)
                relabel_findings(found, pages)
                return found

        batch: list[tuple[Unit, Project, list[Finding]]] = []
        for i, (unit, project, text) in enumerate(self.deferred.projects()):
            check_deadline()  # the time limit where nothing can interrupt us (Pyodide)
            texts[i] = None  # parsed now: the text is not needed any more
            batch.append((unit, project, self.deferred.complete_project(unit, project, text)))
            if len(batch) >= BATCH:
                yield [ProjectAnalysis(u, p, found, audit(u, p)) for u, p, found in batch]
                batch = []
        if batch:
            yield [ProjectAnalysis(u, p, found, audit(u, p)) for u, p, found in batch]

    @property
    def final_audit(self) -> bool:
        """Whether every audit finding of :meth:`projects` stands (no legacy speculation)."""
        return not self.audit.speculative

    def keep_audit(self, finding: Finding) -> bool:
        """After :meth:`projects` was exhausted: whether an audit finding stands."""
        return self.audit.keep(finding)

    def keep_audit_rule(self, rule: str) -> bool:
        """:meth:`keep_audit` for an audit finding of rule ``rule``."""
        return self.audit.keep_rule(rule)


def drop_indicators(project: Project) -> None:
    """Release a completed project's parsed indicators (its rows are written)."""
    set_indicators(project, [])


def analyze_tables(
    wb: WorkbookGrid,
    *,
    sheet: str | None = None,
    rules: AuditRules | None = None,
    exact_scheme: bool = False,
) -> list[TableAnalysis]:
    """The tables of ``wb`` as :class:`TableAnalysis` (structures built, nothing parsed): ``wb``
    is not referenced by them. Raises like :func:`analyze`."""
    rules = rules or default_rules()
    return [TableAnalysis(d, rules, exact_scheme=exact_scheme) for d in build_deferred(wb, sheet)]


def complete_table(analysis: TableAnalysis) -> Table:
    """The whole table of one analysis (every project completed, all findings in order)."""
    table = analysis.table
    found: list[Finding] = []
    audited: list[Finding] = []
    for done in analysis.projects():
        found.extend(done.indicator_findings)
        audited.extend(done.audit_findings)
    table.findings = sort_findings(analysis.structural + found)
    table.findings.extend(f for f in audited if analysis.keep_audit(f))
    return table


def analyze(
    wb: WorkbookGrid, *, sheet: str | None = None, rules: AuditRules | None = None
) -> WorkbookResult:
    """Tables (fragments merged, indicators parsed, money and indicator checks) of ``wb``.

    The indicator quality audit (issue 7, ``perfsheet.core.audit``) appends its findings to
    each table's findings; ``rules`` None = the shipped default rules.
    Raises :class:`~perfsheet.errors.InputError` when there is no table.
    """
    tables = [complete_table(a) for a in analyze_tables(wb, sheet=sheet, rules=rules)]
    return WorkbookResult(file=wb.path, tables=tables)
