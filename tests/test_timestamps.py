"""生成时间 has one form in every workbook: local time with its UTC offset."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from perfsheet.core.timestamps import format_timestamp

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "示例县教育局_项目支出绩效目标表_逐行.xlsx"
FORM = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d")


def test_aware_times_keep_their_zone() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    when = dt.datetime(2026, 12, 4, 19, 30, 0, 999, tzinfo=beijing)
    assert format_timestamp(when) == "2026-12-04 19:30:00 +08:00"
    assert format_timestamp(when.astimezone(dt.UTC)) == "2026-12-04 11:30:00 +00:00"
    newfoundland = dt.timezone(-dt.timedelta(hours=3, minutes=30))
    assert format_timestamp(dt.datetime(2026, 1, 1, tzinfo=newfoundland)).endswith(" -03:30")


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX only")
def test_naive_times_are_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert format_timestamp(dt.datetime(2026, 12, 4, 19, 30)) == "2026-12-04 19:30:00 +08:00"
        assert FORM.fullmatch(format_timestamp())
    finally:
        monkeypatch.undo()
        time.tzset()


def _generated(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb["说明"].iter_rows(values_only=True))
    wb.close()
    return next(r[2] for r in rows if r[1] == "生成时间")


def test_the_summary_and_the_consolidated_workbook_say_it_alike(tmp_path: Path) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copy(EXAMPLE, inbox / EXAMPLE.name)
    env = dict(
        os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    proc = subprocess.run(
        [sys.executable, "-m", "perfsheet", "convert", str(inbox), "-o", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    summary = next((tmp_path / "out").glob("*_绩效汇总.xlsx"))
    stamps = [_generated(summary), _generated(tmp_path / "out" / "绩效汇总_合并.xlsx")]
    assert all(FORM.fullmatch(s) for s in stamps), stamps
