"""The files a user leaves for the Excel add-in, found next to the workbook or in the home folder.

Two files, each under one fixed name (ASCII, so that it is the same on every system, code page
and keyboard, and the two sort together in a folder):

- ``perfsheet.rules.toml``: the indicator quality rules (:mod:`perfsheet.io.rules_file`);
- ``perfsheet.template.xlsx``: the summary template (:mod:`perfsheet.io.template`).

The command line names its files (``--rules``, ``--template``); the add-in's buttons cannot, so
they look for these names: in the workbook's folder first (an office's files travel with its
workbooks), then in the user's home folder. An engine that does not know the workbook's folder
(xlwings Lite, an unsaved book) only looks in the home folder.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Final

__all__ = ["RULES_FILE_NAME", "TEMPLATE_FILE_NAME", "find_user_file"]

RULES_FILE_NAME: Final = "perfsheet.rules.toml"
TEMPLATE_FILE_NAME: Final = "perfsheet.template.xlsx"


def find_user_file(name: str, workbook_path: Path | None, home: Path | None = None) -> Path | None:
    """``name`` next to the workbook, else in ``home`` (the user's home folder), else None."""
    candidates: list[Path] = []
    if workbook_path is not None:
        candidates.append(Path(workbook_path).parent / name)
    with suppress(RuntimeError):  # no home directory can be determined
        candidates.append((home if home is not None else Path.home()) / name)
    for candidate in candidates:
        with suppress(OSError):  # a folder we may not look into holds nothing for us
            if candidate.is_file():
                return candidate
    return None
