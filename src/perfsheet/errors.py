"""Errors that reach the user. Messages are one line of Chinese; the CLI prints them without a
traceback and the Excel entry points show them in a message box or a cell."""

from __future__ import annotations


class PerfsheetError(Exception):
    """Base class: ``str(error)`` is the user-facing Chinese message."""

    exit_code = 2


class InputError(PerfsheetError):
    """An input file cannot be read as a workbook, or holds no table (exit code 2)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"无法读取 {path}：{reason}")


class TableNotFoundError(InputError):
    """The file was read as a workbook, but no sheet holds a 绩效目标表 (exit code 2)."""


class UsageError(PerfsheetError):
    """Bad arguments or options (exit code 2)."""
