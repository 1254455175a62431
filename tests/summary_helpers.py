"""Shared helpers of the summary tests: a hand-made table, its grid, LibreOffice as an
independent reader, and a structural check of .xlsx packages.

The departments, projects and numbers here are made up.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.colors import Color

from perfsheet.core.grid import SheetGrid, col_number
from perfsheet.core.models import (
    Amounts,
    Finding,
    GrandTotal,
    Indicator,
    Project,
    Table,
    Target,
    Unit,
    WorkbookResult,
)
from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_PROJECTS, STANDARD_SHEETS
from perfsheet.core.summary_rows import SummaryPlan
from workbooks import STD_HEADER

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"
TEMPLATE = ROOT / "templates" / "标准汇总模板.xlsx"
WHEN = dt.datetime(2025, 3, 1, 9, 30, 0)


def plan(**kw: Any) -> SummaryPlan:
    """A summary plan generated at :data:`WHEN` by version 9.9.9, amounts in 万元 (unless
    ``kw`` says otherwise)."""
    kw.setdefault("generated_at", WHEN)
    kw.setdefault("version", "9.9.9")
    kw.setdefault("amount_unit", "万元")
    return SummaryPlan(**kw)


def rows_as_dicts(p: SummaryPlan, sheet: str, rows: Any) -> list[dict]:
    """Rows of ``sheet`` as column key -> value."""
    return [dict(zip(p.layout[sheet], r, strict=True)) for r in rows]


COLUMNS = {
    "name": "A",
    "total": "B",
    "fiscal": "C",
    "special": "D",
    "other": "E",
    "goal": "F",
    "indicators": "G",
}
HEADER = STD_HEADER  # the seed's header row


def q(op: str, value: float, unit: str | None, raw: str) -> Target:
    return Target(kind="quantitative", op=op, value=value, unit=unit, raw=raw)  # type: ignore[arg-type]


def ind(
    seq: int,
    level1: str,
    level2: str,
    name: str,
    annual: str,
    target: Target | None,
    period: str | None = None,
    warnings: list[str] | None = None,
) -> Indicator:
    return Indicator(
        seq=seq,
        level1=level1,
        level1_code={"产出指标": "1", "效益指标": "2", "满意度指标": "3", "成本指标": "4"}[level1],
        level2=level2,
        name=name,
        period_value=period if period is not None else annual,
        annual_value=annual,
        period_target=target,
        annual_target=target,
        warnings=warnings or [],
        raw=f"{seq}、{level1}；{level2}；{name}；年度指标值:{annual}",
    )


def sample_table(sheet: str = "表1", unit: str = "万元") -> Table:
    """Two units, four projects (one with a head fragment, one without indicators), a wrong
    row total (error on B7), a placeholder warning and a fragment note."""
    p1 = Project(
        name="青年人才培训项目",
        row=7,
        rows=[7],
        amounts=Amounts(total=121.0, fiscal=120.0),
        goal="完成培训。",
        indicators=[
            ind(1, "产出指标", "数量指标", "培训人数", "≥390人", q("≥", 390, "人", "≥390人")),
            ind(
                2,
                "产出指标",
                "质量指标",
                "资金支出合规性",
                "合规",
                Target(kind="qualitative", raw="合规"),
            ),
            ind(
                3,
                "效益指标",
                "社会效益指标",
                "覆盖人群",
                "≥1.4万人",
                q("≥", 1.4, "万人", "≥1.4万人"),
            ),
            ind(
                4, "满意度指标", "服务对象满意度指标", "学员满意度", "≥90%", q("≥", 90, "%", "≥90%")
            ),
        ],
    )
    p2 = Project(
        name="协作交流经费",
        row=9,
        rows=[8, 9],
        amounts=Amounts(total=30.5, fiscal=30.5),
        goal="保障交流。",
        indicators=[
            ind(1, "产出指标", "时效指标", "资金拨付及时率", "100%", q("=", 100, "%", "100%")),
            ind(
                2,
                "成本指标",
                "社会成本指标",
                "可持续影响指标",
                "合规",
                Target(kind="qualitative", raw="合规"),
            ),
        ],
    )
    p3 = Project(
        name="服务中心运行经费",
        row=11,
        rows=[11, 12],
        amounts=Amounts(total=50.0, other=50.0),
        indicators=[
            ind(
                1,
                "产出指标",
                "数量指标",
                "待单位补充...",
                "待单位补充...",
                Target(kind="placeholder", raw="待单位补充..."),
                warnings=["指标值待补充"],
            ),
        ],
    )
    p4 = Project(name="零星维修", row=13, rows=[13], amounts=Amounts(total=2.0, other=2.0))
    units = [
        Unit(
            name="测试局本级", row=6, amounts=Amounts(total=151.5, fiscal=150.5), projects=[p1, p2]
        ),
        Unit(
            name="测试服务中心", row=10, amounts=Amounts(total=52.0, other=52.0), projects=[p3, p4]
        ),
    ]
    findings = [
        Finding(
            rule="row-total",
            severity="error",
            sheet=sheet,
            cell="B7",
            row=7,
            message="总计 121.00 ≠ 各项之和 120.00（差 1.00）",
            project=p1.name,
            unit="测试局本级",
            expected=120.0,
            actual=121.0,
            difference=1.0,
        ),
        Finding(
            rule="fragment-merged",
            severity="info",
            sheet=sheet,
            cell="G8",
            row=8,
            message="第8行为分页碎片，已并入第9行",
            project=p2.name,
        ),
        Finding(
            rule="indicator-placeholder",
            severity="warning",
            sheet=sheet,
            cell="G11",
            row=11,
            message="指标值待单位补充",
            project=p3.name,
        ),
    ]
    return Table(
        sheet=sheet,
        title="项目支出绩效目标表",
        department="测试局",
        amount_unit=unit,
        header_rows=[4],
        columns=dict(COLUMNS),
        grand_total=GrandTotal(row=5, amounts=Amounts(total=203.5, fiscal=150.5, other=52.0)),
        units=units,
        findings=findings,
    )


def sample_result(sheet: str = "表1", unit: str = "万元") -> WorkbookResult:
    return WorkbookResult(file="测试局.xlsx", tables=[sample_table(sheet, unit)])


def sample_rows() -> list[list[Any]]:
    """The sheet values that :func:`sample_table` describes (rows 1..13)."""
    rows: list[list[Any]] = [
        ["项目支出绩效目标表"],
        ["部门名称：测试局"],
        ["单位：万元"],
        list(HEADER),
        ["合计", 203.5, 150.5, None, 52.0],
        ["测试局本级", 151.5, 150.5],
        ["青年人才培训项目", 121.0, 120.0, None, None, "完成培训。", "1、…"],
        [None, None, None, None, None, None, "1、1-产出指标；…"],
        ["协作交流经费", 30.5, 30.5, None, None, "保障交流。", "…"],
        ["测试服务中心", 52.0, None, None, 52.0],
        ["服务中心运行经费", 50.0, None, None, 50.0, None, "1、…"],
        [None, None, None, None, None, None, "…尾部"],
        ["零星维修", 2.0, None, None, 2.0],
    ]
    return rows


def sample_grid(extra: dict[str, Any] | None = None) -> SheetGrid:
    """The grid of :func:`sample_rows`, plus ``extra`` cells (``{"H7": "备注"}``)."""
    rows = [list(r) for r in sample_rows()]
    for ref, value in (extra or {}).items():
        m = re.match(r"([A-Z]+)(\d+)$", ref)
        assert m
        r, c = int(m.group(2)), col_number(m.group(1))
        while len(rows) < r:
            rows.append([])
        line = rows[r - 1]
        line.extend([None] * (c - len(line)))
        line[c - 1] = value
    return SheetGrid(name="表1", rows=rows)


# --------------------------------------------------------------------------------------------
# LibreOffice headless as an independent reader
# --------------------------------------------------------------------------------------------

_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
# CSV export: comma, double quotes, UTF-8, from line 1, values not as shown, every sheet (-1)
_CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def soffice() -> str:
    """The LibreOffice binary; fails (not skips) under CI=true when it is missing."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice (soffice) is required for the summary tests under CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


def lo_convert(files: list[Path], outdir: Path, target: str = _CSV_FILTER) -> None:
    """Convert ``files`` with LibreOffice headless (formulas recalculated on load)."""
    exe = soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
        proc = subprocess.run(
            [
                exe,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    if proc.returncode != 0:
        raise AssertionError(f"soffice failed: {proc.stdout}\n{proc.stderr}")


def lo_sheets(xlsx: Path, workdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``xlsx`` as LibreOffice reads it: sheet name -> CSV rows."""
    out = workdir / (xlsx.stem + "_csv")
    lo_convert([xlsx], out)
    sheets: dict[str, list[list[str]]] = {}
    prefix = xlsx.stem + "-"
    for f in sorted(out.glob("*.csv")):
        assert f.name.startswith(prefix), f.name
        with f.open(encoding="utf-8", newline="") as fh:
            sheets[f.name[len(prefix) : -4]] = list(csv.reader(fh))
    assert sheets, f"LibreOffice produced no CSV for {xlsx}"
    return sheets


def lo_number(text: str) -> float | None:
    """A number as LibreOffice's CSV shows it ("1,234.50", "62.5%", "") -> float."""
    t = text.strip().replace(",", "")
    if not t:
        return None
    if t.endswith("%"):
        return float(t[:-1]) / 100
    return float(t)


# --------------------------------------------------------------------------------------------
# Package structure
# --------------------------------------------------------------------------------------------


def check_package(path: Path) -> list[str]:
    """Structural problems of an .xlsx package (empty when fine): every internal relationship
    target exists, every part has a content type, sheet names/ids/relationship ids are unique,
    exactly one sheet is selected."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        if z.testzip() is not None:
            problems.append("corrupt member")
        ct = z.read("[Content_Types].xml").decode()
        defaults = set(re.findall(r'Extension="([^"]+)"', ct))
        overrides = set(re.findall(r'PartName="/([^"]+)"', ct))
        for n in names:
            if n.endswith("/") or n == "[Content_Types].xml":
                continue
            if n not in overrides and n.rsplit(".", 1)[-1] not in defaults:
                problems.append(f"no content type: {n}")
        for o in overrides:
            if o not in names:
                problems.append(f"content type for a missing part: {o}")
        for rels in (n for n in names if n.endswith(".rels")):
            owner = posixpath.dirname(posixpath.dirname(rels))
            text = z.read(rels).decode()
            ids = re.findall(r'Id="([^"]+)"', text)
            if len(ids) != len(set(ids)):
                problems.append(f"duplicate relationship ids in {rels}")
            for tag in re.findall(r"<Relationship\b[^>]*>", text):
                if 'TargetMode="External"' in tag:
                    continue
                target = re.search(r'Target="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
                part = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(owner, target))
                )
                if part not in names:
                    problems.append(f"{rels} -> missing {part}")
        wb = z.read("xl/workbook.xml").decode()
        sheet_names = re.findall(r'<sheet\b[^>]*?\bname="([^"]+)"', wb)
        if len(sheet_names) != len(set(sheet_names)):
            problems.append("duplicate sheet names")
        sheet_ids = re.findall(r'sheetId="(\d+)"', wb)
        if len(sheet_ids) != len(set(sheet_ids)):
            problems.append("duplicate sheet ids")
        selected = 0
        for n in names:
            if n.startswith("xl/worksheets/") and n.endswith(".xml"):
                head = z.open(n).read(4096).decode("utf-8", "replace")
                if re.search(r'tabSelected="(1|true)"', head):
                    selected += 1
        if selected != 1:
            problems.append(f"{selected} selected sheets")
    return problems


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------


def write_user_template(path: Path, *, drop: str | None = None) -> Path:
    """A template made in "Excel": title rows, reordered/dropped/unknown columns, theme colours."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    layouts = {
        SHEET_DETAIL: ["三级指标", "年度指标值", "项目名称", "审核意见", "总计（元）", "指标性质"],
        SHEET_PROJECTS: ["项目名称", "总计", "指标数", "产出指标数", "效益指标数"],
        SHEET_FINDINGS: ["说明", "级别", "位置"],
    }
    for name in STANDARD_SHEETS:
        if name == drop or name not in layouts:
            continue
        ws = wb.create_sheet(name)
        ws["A1"] = "{部门名称} 绩效指标汇总"
        ws["A1"].font = Font(name="黑体", size=16, bold=True)
        ws.merge_cells("A1:D1")
        ws["A2"] = "来源：{来源文件}，生成于 {生成时间}"
        ws.row_dimensions[1].height = 28
        for i, h in enumerate(layouts[name], start=1):
            c = ws.cell(3, i, h)
            c.font = Font(bold=True, color=Color(theme=0))
            c.fill = PatternFill("solid", fgColor=Color(theme=4, tint=0.3999755851924192))
            c.alignment = Alignment(horizontal="center")
            body = ws.cell(4, i)
            body.number_format = "#,##0" if h.startswith("总计") else "General"
        ws.column_dimensions["A"].width = 40
        ws.freeze_panes = "B4"
        ws.auto_filter.ref = f"A3:{chr(64 + len(layouts[name]))}3"
    wb.save(path)
    return path


SOURCE_SHEET = "绩效目标表"
IND_TRAINING = (
    "1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390人；年度指标值:≥390人。"
    "2、1-产出指标；12-质量指标；资金支出合规性；实施周期指标值:合规；年度指标值:合规。"
    "3、2-效益指标；22-社会效益；覆盖人群；实施周期指标值:≥1.4万人；年度指标值:≥1.4万人。"
    "4、3-满意度指标；31-服务对象满意度；学员满意度；实施周期指标值:≥90%；年度指标值:≥90%。"
)
IND_EXCHANGE = (
    "1、1-产出指标；13-时效指标；资金拨付及时率；实施周期指标值:100%；年度指标值:100%。"
    "2、2-效益指标；21-经济效益；带动投资；实施周期指标值:≥5000万元；年度指标值:≥1000万元。"
)
IND_CENTER = "1、1-产出指标；11-数量指标；服务场次；实施周期指标值:≥12场；年度指标值:≥12场。"


def write_source_workbook(path: Path, *, wrong_total: bool = True) -> Path:
    """A small, formatted 项目支出绩效目标表 as a user would have it (openpyxl): title block,
    styled header, widths, a merged title, a user's note, a custom number format, a
    conditional format, a cover sheet and a defined name. With ``wrong_total`` the first
    project's 总计 (B7) is 1 more than its parts, and the unit and grand totals add it up:
    three row-total errors (B5, B6, B7)."""
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Border, Side
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "封面"
    cover["A1"] = "2025 年部门预算"
    cover["A1"].font = Font(name="宋体", size=20, bold=True)
    ws = wb.create_sheet(SOURCE_SHEET)
    rows: list[list[Any]] = [
        ["项目支出绩效目标表"],
        ["部门名称：测试局"],
        ["单位：万元"],
        list(HEADER),
        ["合计", 203.5 if wrong_total else 202.5, 150.5, None, 52.0],
        ["测试局本级", 151.5 if wrong_total else 150.5, 150.5],
        [
            "青年人才培训项目",
            121.0 if wrong_total else 120.0,
            120.0,
            None,
            None,
            "完成培训。",
            IND_TRAINING,
        ],
        ["协作交流经费", 30.5, 30.5, None, None, "保障交流。", IND_EXCHANGE],
        ["测试服务中心", 52.0, None, None, 52.0],
        ["服务中心运行经费", 52.0, None, None, 52.0, "保障运行。", IND_CENTER],
    ]
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(r, c, v)
    ws.merge_cells("A1:G1")
    ws["A1"].font = Font(name="黑体", size=18, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin", color="FF000000")
    for c in range(1, 8):
        h = ws.cell(4, c)
        h.font = Font(name="宋体", size=12, bold=True, color="FF1F3864")
        h.fill = PatternFill("solid", fgColor="FFFCE4D6")
        h.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        for r in range(5, 11):
            ws.cell(r, c).border = Border(left=thin, right=thin, top=thin, bottom=thin)
            ws.cell(r, c).font = Font(name="宋体", size=10)
    for r in range(5, 11):
        for c in range(2, 6):
            ws.cell(r, c).number_format = "#,##0.000"
    ws["G7"].alignment = Alignment(wrap_text=True, vertical="top")
    ws["A7"].comment = Comment("请核对本项目的预算", "审核人")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["G"].width = 80
    ws.row_dimensions[7].height = 60
    ws.conditional_formatting.add(
        "B5:E10",
        CellIsRule(
            operator="greaterThan", formula=["100"], fill=PatternFill("solid", bgColor="FFE2EFDA")
        ),
    )
    wb.defined_names["项目区域"] = DefinedName("项目区域", attr_text=f"'{SOURCE_SHEET}'!$A$5:$G$10")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
