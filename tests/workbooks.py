"""Write real test workbooks: openpyxl for .xlsx, LibreOffice headless for .xls.

Departments, projects and numbers here are made up (not tuned to the seed table).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest

Rows = Sequence[Sequence[Any]]

STD_HEADER = [
    "项目名称（资金使用单位）",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "绩效目标",
    "绩效指标",
]


def write_xlsx(
    path: Path,
    sheets: dict[str, Rows] | Rows,
    merges: dict[str, list[str]] | list[str] | None = None,
) -> Path:
    """Write ``sheets`` (sheet name -> rows, or the rows of one sheet called 表1) to ``path``.

    Rows start at A1; ``None`` leaves a cell empty. ``merges`` lists ranges like ``"A1:G1"``.
    """
    if not isinstance(sheets, dict):
        sheets = {"表1": sheets}
    if merges is not None and not isinstance(merges, dict):
        merges = {next(iter(sheets)): merges}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The LibreOffice binary; fails (not skips) under CI=true when it is missing."""
    exe = soffice()
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice (soffice) is required for the .xls tests under CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


def to_xls(xlsx: Path, outdir: Path) -> Path:
    """Convert ``xlsx`` to legacy .xls (BIFF8) with LibreOffice headless."""
    exe = require_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        proc = subprocess.run(
            [
                exe,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "xls",
                "--outdir",
                str(outdir),
                str(xlsx),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    out = outdir / (xlsx.stem + ".xls")
    if proc.returncode != 0 or not out.exists():
        pytest.fail(f"soffice could not convert {xlsx.name}: {proc.stdout} {proc.stderr}")
    return out


# --------------------------------------------------------------------------------------------
# a made-up department table in the standard layout


def indicators_text(items: Sequence[tuple[str, str, str, str, str]]) -> str:
    """Packed 绩效指标 text from (level1, level2, name, period value, annual value) items."""
    return "".join(
        f"{i}、{l1}；{l2}；{name}；实施周期指标值:{pv}；年度指标值:{av}。"
        for i, (l1, l2, name, pv, av) in enumerate(items, start=1)
    )


TRAINING = indicators_text(
    [
        ("1-产出指标", "11-数量指标", "举办培训班期数", "≥12期", "≥12期"),
        ("1-产出指标", "12-质量指标", "培训合格率", "≥95%", "≥95%"),
        ("2-效益指标", "22-社会效益", "基层人员业务能力", "有所提升", "有所提升"),
        ("3-满意度指标", "31-服务对象满意度", "学员满意度", "≥90%", "≥90%"),
    ]
)
REPAIR = indicators_text(
    [
        ("1-产出指标", "11-数量指标", "维修道路里程", "≥36公里", "≥36公里"),
        ("1-产出指标", "13-时效指标", "完工时间", "11月30日前", "11月30日前"),
        ("2-效益指标", "21-经济效益", "节约通行成本", "≥150万元", "≥150万元"),
    ]
)
LIBRARY = indicators_text(
    [
        ("1-产出指标", "11-数量指标", "新增图书册数", "≥8000册", "≥8000册"),
        ("2-效益指标", "22-社会效益", "年接待读者人次", "≥6万人次", "≥6万人次"),
    ]
)


@dataclass
class P:
    """A project row: name, amounts (总计, 财政拨款, 财政专户拨款, 其他资金), goal, indicators."""

    name: str
    amounts: tuple[Any, Any, Any, Any]
    goal: str | None = "保障项目顺利实施，完成年度工作任务。"
    indicators: str | None = TRAINING


@dataclass
class U:
    name: str
    amounts: tuple[Any, Any, Any, Any]
    projects: list[P] = field(default_factory=list)


def table_rows(
    units: Sequence[U] | None = None,
    projects: Sequence[P] | None = None,
    *,
    grand: tuple[Any, Any, Any, Any] | None = None,
    title: str | None = "2025年部门预算项目支出绩效目标表",
    department: str | None = "部门名称：示例市文化广电旅游局",
    unit_line: str | None = "单位：万元",
    header: Sequence[str] = STD_HEADER,
) -> list[list[Any]]:
    """Rows of a standard-layout table: title block, header, 合计, units with projects."""
    rows: list[list[Any]] = []
    for line in (title, department, unit_line):
        if line is not None:
            rows.append([line])
    rows.append(list(header))
    if grand is not None:
        rows.append(["合计", *grand, None, None])
    for u in units or []:
        rows.append([u.name, *u.amounts, None, None])
        rows.extend([p.name, *p.amounts, p.goal, p.indicators] for p in u.projects)
    rows.extend([p.name, *p.amounts, p.goal, p.indicators] for p in projects or [])
    return rows
