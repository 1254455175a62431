"""One file read and analyzed: :func:`analyze_file` (the library's ``parse``/``check``).

Reading (:mod:`perfsheet.io.readers`, PDFs included), the rules file (an adapter,
:mod:`perfsheet.io.rules_file`) and the pure analysis (:func:`perfsheet.core.pipeline.analyze`)
put together once, for the library API, the CLI and the add-in.
"""

from __future__ import annotations

import os
from pathlib import Path

from perfsheet.core.audit import AuditRules
from perfsheet.core.models import WorkbookResult
from perfsheet.core.pipeline import analyze
from perfsheet.io.readers import read_workbook
from perfsheet.io.rules_file import resolve_rules
from perfsheet.io.safety import limited


def analyze_file(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    rules: AuditRules | str | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> WorkbookResult:
    """Read ``path`` (.xlsx/.xlsm/.xls or a published PDF) and analyze every table in it (or
    only ``sheet``): layout, units, projects, indicators, amounts, findings.

    ``rules``: a loaded :class:`AuditRules`, a rules file, or None for the defaults.
    ``timeout`` (seconds) stops a hostile file with :class:`InputError` (None: no limit).
    """
    audit_rules = resolve_rules(rules)
    with limited(str(path), timeout):
        grid = read_workbook(Path(path), sheet=sheet)
        return analyze(grid, sheet=sheet, rules=audit_rules)
