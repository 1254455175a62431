"""Where 部门名称 comes from in real workbooks: the title, a 主管部门 / 预算单位 column, a label.

Each workbook is written the way departments make them (openpyxl or XlsxWriter: a merged, styled
title row, a 单位：万元 line or cell, a header over two rows, page breaks with the header
repeated, a second table on the sheet), read with the real reader through
``perfsheet.analyze_file``, and summarized with ``perfsheet.summarize``: the 部门名称 and
资金使用单位 cells of 项目汇总 and 绩效指标明细 are read back with openpyxl. The departments,
projects and numbers are made up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.pagebreak import Break

import perfsheet
from perfsheet.core.models import Table

MONEY_RULES = {"row-total", "unit-subtotal", "grand-total", "amount-format", "project-unnamed"}

IND_INSPECT = (
    "1、1-产出指标；11-数量指标；抽检批次；实施周期指标值:≥3000批次；年度指标值:≥3000批次。"
    "2、1-产出指标；12-质量指标；抽检合格率；实施周期指标值:≥98%；年度指标值:≥98%。"
    "3、3-满意度指标；31-服务对象满意度；群众满意度；实施周期指标值:≥90%；年度指标值:≥90%。"
)
IND_TRAIN_HEAD = (
    "1、1-产出指标；11-数量指标；培训人次；实施周期指标值:≥600人次；年度指标值:≥600人次。"
    "2、1-产出指标；13-时效指标；完成时间；实施周期指标值:2025年12月前；年度指标值:2025年12"
)
IND_TRAIN_TAIL = (
    "月前。3、2-效益指标；22-社会效益；业务能力；实施周期指标值:有所提升；年度指标值:有所提升。"
)
IND_SHORT = "1、1-产出指标；11-数量指标；设备台数；实施周期指标值:≥20台；年度指标值:≥20台。"

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(name="方正小标宋简体", size=18, bold=True)
HEAD_FILL = PatternFill("solid", fgColor="FFD9E1F2")


def _project_rows(path: Path) -> list[dict[str, Any]]:
    """项目汇总's data rows (header without the unit), total row left out."""
    return _sheet_rows(path, "项目汇总")


def _sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h).split("（")[0] if h is not None else "" for h in rows[0]]
    out = []
    for row in rows[1:]:
        d = dict(zip(header, row, strict=False))
        name = d.get("项目名称")
        if not name or str(name).startswith("合计（"):
            continue
        out.append(d)
    return out


def _summary(path: Path, tmp: Path) -> Path:
    out = tmp / f"{path.stem}_绩效汇总.xlsx"
    perfsheet.summarize(path, out, with_source=False, render_process=False)
    return out


def _money(t: Table) -> list[str]:
    return [f.message for f in t.findings if f.rule in MONEY_RULES]


def _units(t: Table) -> list[tuple[str | None, list[str]]]:
    return [(u.name, [p.name for p in u.projects]) for u in t.units]


# --- openpyxl: two tables of one 卫健委 on one sheet, title-only departments ---------------------


class _Sheet:
    """Rows written top to bottom, boxed like a printed table."""

    def __init__(self, ws: Any, widths: list[float]) -> None:
        self.ws, self.r = ws, 0
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(65 + i)].width = w

    def title(self, text: str, span: int, unit_cell: str | None = None) -> int:
        self.r += 1
        self.ws.row_dimensions[self.r].height = 36
        c = self.ws.cell(self.r, 1, text)
        c.font = TITLE_FONT
        c.alignment = Alignment(horizontal="center", vertical="center")
        self.ws.merge_cells(start_row=self.r, start_column=1, end_row=self.r, end_column=span)
        if unit_cell:
            u = self.ws.cell(self.r, span + 1, unit_cell)
            u.alignment = Alignment(horizontal="right", vertical="bottom")
        return self.r

    def text(self, text: str, col: int = 1) -> int:
        self.r += 1
        self.ws.cell(self.r, col, text)
        return self.r

    def row(self, *values: Any, fill: bool = False) -> int:
        self.r += 1
        for i, v in enumerate(values, start=1):
            c = self.ws.cell(self.r, i, v)
            c.border = BOX
            c.alignment = Alignment(wrap_text=True, vertical="center")
            if fill:
                c.fill = HEAD_FILL
                c.font = Font(bold=True)
            if isinstance(v, int | float):
                c.number_format = "#,##0.00"
        return self.r

    def two_row_header(self) -> tuple[int, int]:
        top = self.row("项目名称", "资金总额", "资金来源", None, None, "绩效目标", "绩效指标",
                       fill=True)  # fmt: skip
        low = self.row(None, None, "财政拨款", "财政专户拨款", "其他资金", None, None, fill=True)
        for col in (1, 2, 6, 7):
            self.ws.merge_cells(start_row=top, start_column=col, end_row=low, end_column=col)
        self.ws.merge_cells(start_row=top, start_column=3, end_row=top, end_column=5)
        return top, low

    def page_break(self) -> None:
        self.ws.row_breaks.append(Break(id=self.r))


HEALTH = "临江市卫生健康委员会"


def _health_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目支出绩效目标表"
    w = _Sheet(ws, [30, 12, 12, 12, 12, 36, 70])
    # table 1: 本级, title with (本级), 单位：万元 in the title row, two-row header, a page break
    # cutting a 绩效指标 cell, the header repeated on the new page
    w.title(f"2025年{HEALTH}（本级）项目支出绩效目标申报表", 6, "单位：万元")
    w.two_row_header()
    w.row("合计", 186.0, 176.0, None, 10.0, None, None)
    w.row("公共卫生监督抽检经费", 80.0, 80.0, None, None, "完成抽检任务。", IND_INSPECT)
    w.row("基层医务人员培训经费", 66.0, 56.0, None, 10.0, "培训基层医务人员。", IND_TRAIN_HEAD)
    w.page_break()
    w.text("第1页，共2页", 6)
    w.two_row_header()
    w.row(None, None, None, None, None, None, IND_TRAIN_TAIL)
    w.row("急救设备购置", 40.0, 40.0, None, None, "购置急救设备。", IND_SHORT)
    w.text("第2页，共2页", 6)
    w.r += 2
    # table 2: 所属单位, unit subtotal rows, its own title, 单位 line, one-row header
    w.title(f"2025年{HEALTH}所属单位项目支出绩效目标申报表", 7)
    w.text("金额单位：万元", 7)
    w.row("项目名称（资金使用单位）", "总计", "财政拨款", "财政专户拨款", "其他资金",
          "绩效目标", "绩效指标", fill=True)  # fmt: skip
    w.row("合计", 50.0, 50.0, None, None, None, None)
    w.row("临江市疾病预防控制中心", 30.0, 30.0, None, None, None, None)
    w.row("传染病监测经费", 30.0, 30.0, None, None, "完成监测。", IND_SHORT)
    w.row("临江市妇幼保健院", 20.0, 20.0, None, None, None, None)
    w.row("孕产妇保健经费", 20.0, 20.0, None, None, "完成保健服务。", IND_SHORT)
    w.text("注：本表由各单位填报，部门汇总。")
    wb.save(path)
    return path


def test_department_from_the_titles_of_two_tables_on_one_sheet(tmp_path: Path) -> None:
    path = _health_book(tmp_path / "临江市卫健委_项目支出绩效目标表.xlsx")
    result = perfsheet.analyze_file(path)
    first, second = result.tables
    assert first.title == f"2025年{HEALTH}（本级）项目支出绩效目标申报表"
    assert (first.department, first.amount_unit) == (HEALTH, "万元")
    assert first.header_rows == [2, 3]
    assert _units(first) == [
        (None, ["公共卫生监督抽检经费", "基层医务人员培训经费", "急救设备购置"])
    ]
    training = first.units[0].projects[1]
    assert len(training.indicators) == 3  # the cell cut at the page break is whole again
    assert _money(first) == []
    assert (second.department, second.amount_unit) == (HEALTH, "万元")
    assert _units(second) == [
        ("临江市疾病预防控制中心", ["传染病监测经费"]),
        ("临江市妇幼保健院", ["孕产妇保健经费"]),
    ]
    assert _money(second) == []

    out = _summary(path, tmp_path)
    projects = _project_rows(out)
    assert [(r["部门名称"], r["资金使用单位"], r["项目名称"]) for r in projects] == [
        (HEALTH, None, "公共卫生监督抽检经费"),
        (HEALTH, None, "基层医务人员培训经费"),
        (HEALTH, None, "急救设备购置"),
        (HEALTH, "临江市疾病预防控制中心", "传染病监测经费"),
        (HEALTH, "临江市妇幼保健院", "孕产妇保健经费"),
    ]
    detail = _sheet_rows(out, "绩效指标明细")
    assert len(detail) == 3 + 3 + 1 + 1 + 1
    assert {r["部门名称"] for r in detail} == {HEALTH}


# --- XlsxWriter: a 组织部 whose title puts the department before the year ------------------------


ORG = "中共临江市委组织部"


def _org_book(path: Path, *, label: str | None = None, title: str | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("绩效目标")
    title_fmt = wb.add_format({"bold": True, "font_size": 18, "align": "center",
                               "valign": "vcenter", "font_name": "黑体"})  # fmt: skip
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2", "text_wrap": True,
                          "align": "center", "valign": "vcenter"})  # fmt: skip
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
    money = wb.add_format({"border": 1, "num_format": "#,##0.00", "valign": "vcenter"})
    ws.set_column(0, 0, 28)
    ws.set_column(1, 4, 12)
    ws.set_column(5, 6, 50)
    ws.merge_range(0, 0, 0, 5, title or f"{ORG} 2025 年部门项目支出绩效目标表", title_fmt)
    ws.write_string(0, 6, "单位：万元")
    r = 1
    if label:
        ws.write_string(r, 0, label)
        r += 1
    ws.write_string(r, 0, "填报日期：2025年1月10日")
    ws.write_string(r + 1, 0, "填报说明：本表由临江市财政局统一印发，各部门按项目逐项填列。")
    r += 2
    header = ["项目名称", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标", "绩效指标"]
    ws.write_row(r, 0, header, head)
    ws.repeat_rows(r)
    projects = [
        ("党员教育培训经费", 60.0, "开展党员教育培训。", IND_SHORT),
        ("干部档案数字化经费", 25.5, "完成干部档案数字化。", IND_INSPECT),
    ]
    ws.write_row(r + 1, 0, ["合计"], cell)
    ws.write_number(r + 1, 1, 85.5, money)
    ws.write_number(r + 1, 2, 85.5, money)
    for i, (name, amount, goal, ind) in enumerate(projects, start=r + 2):
        ws.write_string(i, 0, name, cell)
        ws.write_number(i, 1, amount, money)
        ws.write_number(i, 2, amount, money)
        ws.write_blank(i, 3, None, money)
        ws.write_blank(i, 4, None, money)
        ws.write_string(i, 5, goal, cell)
        ws.write_string(i, 6, ind, cell)
    ws.set_h_pagebreaks([r + 2])
    wb.close()
    return path


def test_department_before_the_year_in_a_title_written_by_xlsxwriter(tmp_path: Path) -> None:
    path = _org_book(tmp_path / "组织部.xlsx")
    (t,) = perfsheet.analyze_file(path).tables
    assert t.title == f"{ORG} 2025 年部门项目支出绩效目标表"
    assert (t.department, t.amount_unit) == (ORG, "万元")
    assert _money(t) == []
    rows = _project_rows(_summary(path, tmp_path))
    assert [(r["部门名称"], r["项目名称"]) for r in rows] == [
        (ORG, "党员教育培训经费"),
        (ORG, "干部档案数字化经费"),
    ]


def test_a_label_wins_over_the_title(tmp_path: Path) -> None:
    path = _org_book(tmp_path / "标签.xlsx", label="部门名称：中共临江市委组织部（本级）")
    (t,) = perfsheet.analyze_file(path).tables
    assert t.department == "中共临江市委组织部（本级）"  # the label as written
    rows = _project_rows(_summary(path, tmp_path))
    assert {r["部门名称"] for r in rows} == {"中共临江市委组织部（本级）"}


@pytest.mark.parametrize(
    "title", ["2025年项目支出绩效目标表", "项目支出绩效目标表（2025年度）", "项目绩效目标表"]
)
def test_no_department_from_a_title_without_one_nor_from_notes_and_dates(
    title: str, tmp_path: Path
) -> None:
    """The title names none; the 填报日期 and 填报说明 lines (which name 临江市财政局) give none."""
    path = _org_book(tmp_path / "无部门.xlsx", title=title)
    (t,) = perfsheet.analyze_file(path).tables
    assert t.title == title and t.department is None
    rows = _project_rows(_summary(path, tmp_path))
    assert len(rows) == 2 and {r["部门名称"] for r in rows} == {None}


# --- columns: 主管部门 / 预算单位 in a list -------------------------------------------------

EDU = "临江市教育局"


def _columns_book(path: Path, title: str, *, department_col: bool = True) -> Path:
    """A packed list with 序号 | 主管部门 | 预算单位 | 项目名称 | money | 绩效目标 | 绩效指标: the
    主管部门 cell merged over every project, each 预算单位 merged over its projects, a 合计 row
    labelled under 序号, no unit subtotal rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目表"
    cols = ["序号", "主管部门", "预算单位", "项目名称", "资金总额", "其中：一般公共预算",
            "单位自筹", "绩效目标", "绩效指标"]  # fmt: skip
    if not department_col:
        cols.remove("主管部门")
    w = _Sheet(ws, [6, 18, 22, 28, 12, 12, 12, 30, 60][: len(cols)])
    w.title(title, len(cols))
    w.text("单位：万元", len(cols))
    w.row(*cols, fill=True)
    w.row("合计", *([None] * (len(cols) - 6)), 200.0, 170.0, 30.0, None, None)
    data = [
        ("临江市教育局（本级）", "教育督导评估经费", 40.0, 40.0, None),
        ("临江市教育局（本级）", "学生资助管理经费", 60.0, 50.0, 10.0),
        ("临江市第一中学", "校舍维修改造经费", 70.0, 60.0, 10.0),
        ("临江市第一中学", "实验室设备购置", 30.0, 20.0, 10.0),
    ]
    first = w.r + 1
    for i, (unit, name, total, fiscal, own) in enumerate(data, start=1):
        lead = [i, EDU, unit] if department_col else [i, unit]
        w.row(*lead, name, total, fiscal, own, "完成年度任务。", IND_SHORT)
    off = 1 if department_col else 0
    if department_col:
        ws.merge_cells(start_row=first, start_column=2, end_row=first + 3, end_column=2)
    for start in (first, first + 2):
        ws.merge_cells(start_row=start, start_column=2 + off, end_row=start + 1,
                       end_column=2 + off)  # fmt: skip
    wb.save(path)
    return path


def test_department_and_units_from_the_columns(tmp_path: Path) -> None:
    path = _columns_book(tmp_path / "教育局_列.xlsx", "项目支出绩效目标表（2025年度）")
    (t,) = perfsheet.analyze_file(path).tables
    assert t.department == EDU
    assert _units(t) == [
        ("临江市教育局（本级）", ["教育督导评估经费", "学生资助管理经费"]),
        ("临江市第一中学", ["校舍维修改造经费", "实验室设备购置"]),
    ]
    assert t.grand_total is not None and t.grand_total.amounts.total == 200.0
    assert _money(t) == []
    assert t.units[0].projects[0].extra["主管部门"] == EDU  # the columns stay in extra
    out = _summary(path, tmp_path)
    rows = _project_rows(out)
    assert [(r["部门名称"], r["资金使用单位"], r["项目名称"]) for r in rows] == [
        (EDU, "临江市教育局（本级）", "教育督导评估经费"),
        (EDU, "临江市教育局（本级）", "学生资助管理经费"),
        (EDU, "临江市第一中学", "校舍维修改造经费"),
        (EDU, "临江市第一中学", "实验室设备购置"),
    ]
    detail = _sheet_rows(out, "绩效指标明细")
    assert [(r["部门名称"], r["资金使用单位"]) for r in detail] == [
        (EDU, u) for u in ["临江市教育局（本级）"] * 2 + ["临江市第一中学"] * 2
    ]


def test_a_unit_column_of_several_units_names_no_department_the_title_does(
    tmp_path: Path,
) -> None:
    path = _columns_book(
        tmp_path / "教育局_单位列.xlsx", f"2025年{EDU}项目支出绩效目标表", department_col=False
    )
    (t,) = perfsheet.analyze_file(path).tables
    assert t.department == EDU  # from the title
    assert [u.name for u in t.units] == ["临江市教育局（本级）", "临江市第一中学"]
    path = _columns_book(
        tmp_path / "教育局_无部门.xlsx", "项目支出绩效目标表", department_col=False
    )
    (t,) = perfsheet.analyze_file(path).tables
    assert t.department is None  # two units, no title department: none is the department
    assert [u.name for u in t.units] == ["临江市教育局（本级）", "临江市第一中学"]


def _market_rows(title: str, unit: str) -> list[list[Any]]:
    ind = "1、1-产出指标；11-数量指标；抽检批次；实施周期指标值:≥3000批次；年度指标值:≥3000批次。"
    return [
        [title],
        ["单位：万元"],
        ["预算单位", "项目名称", "资金总额", "其中：一般公共预算", "单位自筹", "绩效指标"],
        [unit, "食品安全抽检", 120, 100, 20, ind],
        [None, "特种设备检验", 80, 65, 15, ind],  # the unit written on its first project only
        ["合计", None, 200, 165, 35, None],
    ]


@pytest.mark.parametrize(
    ("title", "department"),
    [
        ("项目支出绩效目标表", "临江市市场监督管理局"),  # the one unit stands for the department
        ("2025年度临江市市场监督管理局项目支出绩效目标表", "临江市市场监督管理局"),
        ("2025年临江市人民政府项目支出绩效目标表", "临江市人民政府"),  # the title beats a unit
    ],
)
def test_one_unit_in_the_unit_column(title: str, department: str, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in _market_rows(title, "临江市市场监督管理局"):
        ws.append(row)
    ws.merge_cells("A1:F1")
    ws["A1"].font = TITLE_FONT
    path = tmp_path / "市场监管局.xlsx"
    wb.save(path)
    (t,) = perfsheet.analyze_file(path).tables
    assert t.department == department
    assert _units(t) == [("临江市市场监督管理局", ["食品安全抽检", "特种设备检验"])]
    assert t.grand_total is not None and _money(t) == []
    rows = _project_rows(_summary(path, tmp_path))
    assert [(r["部门名称"], r["资金使用单位"]) for r in rows] == [
        (department, "临江市市场监督管理局")
    ] * 2


def test_a_department_column_of_several_departments_groups_the_projects(tmp_path: Path) -> None:
    """A 财政局's list across departments: 部门名称 differs from row to row, no unit column.
    The projects are grouped by it (as 资金使用单位); the table names no department."""
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [
        ["2025年临江市市级部门项目支出绩效目标表"],
        ["单位：万元"],
        ["部门名称", "项目名称", "总计", "财政拨款", "其他资金", "绩效目标", "绩效指标"],
        ["临江市教育局", "教育督导评估经费", 40, 40, None, "完成督导。", IND_SHORT],
        ["临江市教育局", "学生资助管理经费", 60, 60, None, "足额发放。", IND_SHORT],
        ["临江市民政局", "养老服务补贴", 90, 80, 10, "发放补贴。", IND_SHORT],
    ]
    for row in rows:
        ws.append(row)
    path = tmp_path / "市级部门.xlsx"
    wb.save(path)
    (t,) = perfsheet.analyze_file(path).tables
    assert t.department is None
    assert _units(t) == [
        ("临江市教育局", ["教育督导评估经费", "学生资助管理经费"]),
        ("临江市民政局", ["养老服务补贴"]),
    ]
    rows_out = _project_rows(_summary(path, tmp_path))
    assert [(r["部门名称"], r["资金使用单位"]) for r in rows_out] == [
        (None, "临江市教育局"), (None, "临江市教育局"), (None, "临江市民政局")
    ]  # fmt: skip


def test_row_list_with_department_and_unit_columns(tmp_path: Path) -> None:
    """One indicator per row: 主管部门 and 单位名称 merged over each project's rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "逐行"
    header = ["主管部门", "单位名称", "项目名称", "总计", "财政拨款", "年度绩效目标", "一级指标",
              "二级指标", "三级指标", "指标值"]  # fmt: skip
    w = _Sheet(ws, [18, 22, 26, 10, 10, 30, 12, 14, 20, 12])
    w.title("项目支出绩效目标表", len(header))
    w.text("单位：万元", len(header))
    w.row(*header, fill=True)
    inds = [("产出指标", "数量指标", "资助人数", "≥1200人"),
            ("满意度指标", "服务对象满意度指标", "受助学生满意度", "≥95%")]  # fmt: skip
    first = w.r + 1
    for unit, name, amount in [
        ("临江市教育局（本级）", "学生资助管理经费", 60.0),
        ("临江市第一中学", "校舍维修改造经费", 70.0),
    ]:
        top = w.r + 1
        for i, ind in enumerate(inds):
            lead = [EDU, unit, name, amount, amount, "完成年度任务。"] if i == 0 else [None] * 6
            w.row(*lead, *ind)
        for col in range(2, 7):
            ws.merge_cells(start_row=top, start_column=col, end_row=w.r, end_column=col)
    ws.merge_cells(start_row=first, start_column=1, end_row=w.r, end_column=1)
    path = tmp_path / "逐行_列.xlsx"
    wb.save(path)
    (t,) = perfsheet.analyze_file(path).tables
    assert t.layout == "rows"
    assert t.department == EDU
    assert _units(t) == [
        ("临江市教育局（本级）", ["学生资助管理经费"]),
        ("临江市第一中学", ["校舍维修改造经费"]),
    ]
    assert [len(p.indicators) for u in t.units for p in u.projects] == [2, 2]
    rows = _project_rows(_summary(path, tmp_path))
    assert [(r["部门名称"], r["资金使用单位"]) for r in rows] == [
        (EDU, "临江市教育局（本级）"),
        (EDU, "临江市第一中学"),
    ]


# --- the consolidated workbook's 部门汇总 -------------------------------------------------------


def test_consolidated_department_summary_names_the_departments(tmp_path: Path) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    _org_book(inbox / "组织部.xlsx")
    _columns_book(inbox / "教育局.xlsx", "项目支出绩效目标表（2025年度）")
    report = perfsheet.convert([inbox], tmp_path / "输出", jobs=1)
    assert report.summary.exit_code == 0
    rows = _sheet_rows_dept(tmp_path / "输出" / "绩效汇总_合并.xlsx")
    assert sorted(r["部门名称"] for r in rows) == sorted([ORG, EDU])


def _sheet_rows_dept(path: Path) -> list[dict[str, Any]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb["部门汇总"].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h).split("\n")[0].split("（")[0] if h is not None else "" for h in rows[0]]
    out = []
    for row in rows[1:]:
        d = dict(zip(header, row, strict=False))
        if any(isinstance(v, str) and v.startswith("合计（") for v in row) or not any(row):
            continue
        out.append(d)
    return out


def test_a_unit_column_right_of_the_grid_is_a_measure_unit_not_a_unit(tmp_path: Path) -> None:
    """A row list whose 计量单位 column is headed 单位: no project is cut where it changes, and
    no unit or department is named after 人 or %."""
    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [
        ["2025年临江市民政局项目支出绩效目标表"],
        ["项目名称", "总计", "财政拨款", "一级指标", "二级指标", "三级指标", "指标值", "单位"],
        ["养老服务补贴", 90, 90, "产出指标", "数量指标", "补贴人数", "≥1200", "人"],
        [None, None, None, "产出指标", "质量指标", "发放准确率", "100", "%"],
        [None, None, None, "满意度指标", "服务对象满意度指标", "老人满意度", "≥90", "%"],
        ["社区服务经费", 30, 30, "产出指标", "数量指标", "服务社区数", "≥12", "个"],
    ]
    for row in rows:
        ws.append(row)
    path = tmp_path / "单位列.xlsx"
    wb.save(path)
    (t,) = perfsheet.analyze_file(path).tables
    assert t.layout == "rows" and t.department == "临江市民政局"
    assert _units(t) == [(None, ["养老服务补贴", "社区服务经费"])]
    assert [len(p.indicators) for p in t.units[0].projects] == [3, 1]
