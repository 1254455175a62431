"""perfsheet: parse, check and standardize 项目支出绩效目标表.

(Chinese budget project-expenditure performance target tables.)

The library API (:mod:`perfsheet.api`) is available from here::

    import perfsheet

    result = perfsheet.analyze_file("教育局.xlsx")   # -> WorkbookResult
    report = perfsheet.summarize("教育局.xlsx")      # -> SummaryReport
    batch = perfsheet.convert(["预算表/"], "输出/")  # -> ConvertReport

The names are loaded on first use, so that ``perfsheet --help`` does not import the whole
library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from perfsheet.api import *  # noqa: F403


# The names of perfsheet.api.__all__ (tests/test_api.py keeps the two equal). A fixed list, not
# "whatever perfsheet.api has": ``from perfsheet import limits`` asks this module for
# ``limits`` before importing the submodule, and must not import the whole API to hear no.
_API_NAMES = frozenset(
    {
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
    }
)


def __getattr__(name: str) -> object:
    if name in _API_NAMES:
        return getattr(importlib.import_module("perfsheet.api"), name)
    raise AttributeError(f"module 'perfsheet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API_NAMES})
