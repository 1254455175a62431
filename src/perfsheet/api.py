"""The library API: every job perfsheet does, as functions that return models.

Nothing here prints, exits or reads back a file it wrote; ``perfsheet`` on the command line
(:mod:`perfsheet.cli`) and the Excel add-in (:mod:`perfsheet.excel`) only call these and render
what they return. The names are re-exported by :mod:`perfsheet` itself::

    import perfsheet

    result = perfsheet.analyze_file("预算表/教育局.xlsx")
    report = perfsheet.summarize("预算表/教育局.xlsx", "输出/教育局_绩效汇总.xlsx")
    batch = perfsheet.convert(["预算表/"], "输出/")

Errors are :class:`~perfsheet.errors.PerfsheetError` subclasses with a Chinese message:
:class:`~perfsheet.errors.InputError` (a file that cannot be read as a table),
:class:`~perfsheet.errors.OutputError` (an output that cannot be written),
:class:`~perfsheet.errors.UsageError` (bad arguments; :class:`~perfsheet.errors.TemplateError`
for a summary template without a standard sheet),
:class:`~perfsheet.io.rules_file.RulesFileError` (a rules file with a mistake, file and line).
"""

from __future__ import annotations

from perfsheet.analysis import analyze_file
from perfsheet.batch.command import ConvertProgress, convert
from perfsheet.batch.models import ConvertReport, FileEntry, Summary
from perfsheet.core.audit import AuditRules, default_rules
from perfsheet.core.counts import Counts, count_result, count_table
from perfsheet.core.grid import WorkbookGrid
from perfsheet.core.models import (
    Amounts,
    Finding,
    Indicator,
    Project,
    Table,
    Target,
    Unit,
    WorkbookResult,
)
from perfsheet.core.pipeline import analyze
from perfsheet.errors import InputError, OutputError, PerfsheetError, UsageError
from perfsheet.io.readers import read_workbook
from perfsheet.io.rules_file import RulesFileError, find_rules_file, load_rules
from perfsheet.io.template import export_template, find_template_file
from perfsheet.summary import SummaryReport, summarize

__all__ = [
    "Amounts",
    "AuditRules",
    "ConvertProgress",
    "ConvertReport",
    "Counts",
    "FileEntry",
    "Finding",
    "Indicator",
    "InputError",
    "OutputError",
    "PerfsheetError",
    "Project",
    "RulesFileError",
    "Summary",
    "SummaryReport",
    "Table",
    "Target",
    "Unit",
    "UsageError",
    "WorkbookGrid",
    "WorkbookResult",
    "analyze",
    "analyze_file",
    "convert",
    "count_result",
    "count_table",
    "default_rules",
    "export_template",
    "find_rules_file",
    "find_template_file",
    "load_rules",
    "read_workbook",
    "summarize",
]
