"""``perfsheet convert`` without surprises: perfsheet's own outputs are skipped (issue 15 §2)."""

from __future__ import annotations

from pathlib import Path

from perfsheet.batch.discovery import classify
from perfsheet.batch.naming import CONSOLIDATED_NAME


def test_own_output_names(tmp_path: Path) -> None:
    for name in ("a_绩效汇总.xlsx", "a(xls)_绩效汇总.xlsx", CONSOLIDATED_NAME, "A_绩效汇总.XLSX"):
        (tmp_path / name).write_bytes(b"PK")
        entry = classify(tmp_path / name)
        assert entry is not None and entry.reason_code == "own-output", name
        assert entry.reason and "perfsheet" in entry.reason
    for name in ("绩效汇总.xlsx", "2025年绩效汇总表.xlsx", "a_绩效汇总.xls"):
        (tmp_path / name).write_bytes(b"PK")
        assert classify(tmp_path / name) is None, name
