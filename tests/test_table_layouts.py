"""Table detection on real workbooks with the layout variants departments actually send."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfsheet.core.layouts import build_tables
from perfsheet.core.models import Table
from perfsheet.errors import InputError
from perfsheet.io.readers import read_workbook
from workbooks import LIBRARY, REPAIR, TRAINING, P, U, table_rows, to_xls, write_xlsx

MONEY_RULES = {"row-total", "unit-subtotal", "grand-total", "amount-format"}


def _tables(path: Path, sheet: str | None = None) -> list[Table]:
    return build_tables(read_workbook(path), sheet=sheet)


def _one(path: Path) -> Table:
    tables = _tables(path)
    assert len(tables) == 1
    return tables[0]


def _money(t: Table) -> list[str]:
    return [f.message for f in t.findings if f.rule in MONEY_RULES]


# --- two-row header --------------------------------------------------------------------------

TWO_ROW = [
    ["2025年示例县教育局项目支出绩效目标表"],
    ["预算单位：示例县教育局", None, None, None, None, None, "金额单位：元"],
    ["项目名称", "资金总额", "资金来源", None, None, "绩效目标", "绩效指标"],
    [None, None, "财政拨款", "财政专户拨款", "其他资金", None, None],
    ["合计", 1830000, 1500000, 300000, 30000, None, None],
    ["乡村学校校舍维修", 1280000, 1000000, 250000, 30000, "完成12所学校维修。", REPAIR],
    ["教师业务培训", 550000, 500000, 50000, None, "培训教师600人次。", TRAINING],
]
TWO_ROW_MERGES = ["A1:G1", "A3:A4", "B3:B4", "C3:E3", "F3:F4", "G3:G4"]


@pytest.fixture(scope="module")
def two_row_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("two_row") / "两行表头.xlsx"
    return write_xlsx(path, TWO_ROW, TWO_ROW_MERGES)


def _check_two_row(t: Table) -> None:
    assert t.header_rows == [3, 4]
    assert t.columns == {
        "name": "A",
        "total": "B",
        "fiscal": "C",
        "special": "D",
        "other": "E",
        "goal": "F",
        "indicators": "G",
    }
    assert t.title == "2025年示例县教育局项目支出绩效目标表"
    assert t.department == "示例县教育局"
    assert t.amount_unit == "元"
    assert t.grand_total is not None and t.grand_total.row == 5
    assert len(t.units) == 1 and t.units[0].name is None and t.units[0].row is None
    projects = t.units[0].projects
    assert [(p.name, p.row) for p in projects] == [("乡村学校校舍维修", 6), ("教师业务培训", 7)]
    assert projects[0].amounts.total == 1280000 and projects[0].amounts.special == 250000
    assert projects[1].amounts.other is None
    assert projects[0].goal == "完成12所学校维修。"
    assert _money(t) == []


def test_two_row_header(two_row_xlsx: Path) -> None:
    _check_two_row(_one(two_row_xlsx))


def test_two_row_header_from_xls(two_row_xlsx: Path, tmp_path: Path) -> None:
    xls = to_xls(two_row_xlsx, tmp_path)
    t = _one(xls)
    _check_two_row(t)
    assert t.model_dump(exclude={"sheet"}) == _one(two_row_xlsx).model_dump(exclude={"sheet"})


# --- column order, extra columns ---------------------------------------------------------------


def test_reordered_and_extra_columns(tmp_path: Path) -> None:
    rows = [
        ["示例市水务局2025年项目支出绩效目标"],
        ["部门：示例市水务局", None, None, "单位:万元"],
        ["项目编码", "主管部门", "绩效指标", "项目(单位)名称", "其他资金", "财政拨款", "合计",
         "绩效目标"],
        [None, None, None, "合计", "12.00", "1,310.40", "1,322.40", None],
        ["440100-2025-0012", "示例市水务局", REPAIR, "城区排水管网清淤", "12.00", "310.40",
         "322.40", "完成管网清淤36公里。"],
        ["440100-2025-0031", "示例市水务局", LIBRARY, "水文化展馆运营", None, "1,000.00",
         "1,000.00", "全年开放展馆。"],
    ]  # fmt: skip
    t = _one(write_xlsx(tmp_path / "列序.xlsx", rows))
    assert t.columns == {
        "name": "D",
        "total": "G",
        "fiscal": "F",
        "other": "E",
        "goal": "H",
        "indicators": "C",
        "项目编码": "A",
        "主管部门": "B",
    }
    assert t.department == "示例市水务局" and t.amount_unit == "万元"
    projects = t.units[0].projects
    assert projects[0].name == "城区排水管网清淤"
    assert projects[0].extra == {"项目编码": "440100-2025-0012", "主管部门": "示例市水务局"}
    assert projects[0].amounts.model_dump() == {
        "total": 322.4,
        "fiscal": 310.4,
        "special": None,
        "other": 12.0,
        "sources": None,
    }
    assert projects[1].amounts.other is None and projects[1].goal == "全年开放展馆。"
    assert _money(t) == []


# --- units ------------------------------------------------------------------------------------


def test_unit_rows_group_their_projects(tmp_path: Path) -> None:
    units = [
        U("示例市图书馆", (880, 880, None, None), [
            P("古籍数字化", (500, 500, None, None), indicators=LIBRARY),
            P("流动图书车", (380, 380, None, None), indicators=REPAIR),
        ]),
        U("示例市文化馆", (95.5, 80, None, 15.5), [
            P("群众文化培训", (95.5, 80, None, 15.5)),
        ]),
    ]  # fmt: skip
    rows = table_rows(units, grand=(975.5, 960, None, 15.5))
    t = _one(write_xlsx(tmp_path / "单位.xlsx", rows))
    assert [(u.name, u.row, len(u.projects)) for u in t.units] == [
        ("示例市图书馆", 6, 2),
        ("示例市文化馆", 9, 1),
    ]
    assert t.units[1].amounts is not None and t.units[1].amounts.other == 15.5
    assert _money(t) == []


def test_without_unit_rows_one_implicit_unit(tmp_path: Path) -> None:
    projects = [
        P("农村公路养护", (640, 600, None, 40), indicators=REPAIR),
        P("驾驶员培训", (60, 60, None, None)),
        P("公路养护站点建设经费", (300, 300, None, None)),
    ]
    rows = table_rows(
        projects=projects, grand=(1000, 960, None, 40), department="部门：示例县交通运输局"
    )
    t = _one(write_xlsx(tmp_path / "无单位.xlsx", rows))
    assert len(t.units) == 1
    unit = t.units[0]
    assert (unit.name, unit.row, unit.amounts) == (None, None, None)
    assert [p.name for p in unit.projects] == ["农村公路养护", "驾驶员培训", "公路养护站点建设经费"]
    assert t.department == "示例县交通运输局"
    assert _money(t) == []


def test_grand_total_without_units_is_checked_against_projects(tmp_path: Path) -> None:
    projects = [P("农村公路养护", (640, 600, None, 40)), P("驾驶员培训", (60, 60, None, None))]
    rows = table_rows(projects=projects, grand=(710, 670, None, 40))
    t = _one(write_xlsx(tmp_path / "无单位合计错.xlsx", rows))
    grand = [f for f in t.findings if f.rule == "grand-total"]
    assert sorted((f.cell, f.expected, f.actual, f.difference) for f in grand) == [
        ("B5", 700.0, 710.0, 10.0),
        ("C5", 660.0, 670.0, 10.0),
    ]
    assert all("2 个项目之和" in f.message for f in grand)


def test_grand_total_labelled_in_the_unit_column(tmp_path: Path) -> None:
    """A 市场监管局 list: 预算单位 first, and its 合计 row says so under 预算单位 with the project
    name cell empty. It is the grand total (checked against the projects), not a nameless
    project."""
    indicators = (
        "1.产出指标-数量指标-抽检批次：≥3000批次；\n2.满意度指标-服务对象满意度指标-满意度：≥90%"
    )
    rows = [
        ["2025年度市场监督管理局项目支出绩效目标表"],
        ["单位：万元"],
        ["预算单位", "项目名称", "资金总额", "其中：一般公共预算", "单位自筹", "绩效指标"],
        ["市场监督管理局", "食品安全抽检", 120, 100, 20, indicators],
        ["市场监督管理局", "特种设备检验", 80, 65, 15, indicators],
        ["合计", None, 200, 165, 35, None],
    ]
    t = _one(write_xlsx(tmp_path / "市场监管局.xlsx", rows, merges=["A1:F1"]))
    assert [p.name for u in t.units for p in u.projects] == ["食品安全抽检", "特种设备检验"]
    assert t.grand_total is not None and t.grand_total.row == 6
    assert t.grand_total.amounts.total == 200
    assert _money(t) == []
    assert not [f for f in t.findings if f.rule == "project-unnamed"]


# --- amount unit ------------------------------------------------------------------------------


def test_yuan_as_amount_unit(tmp_path: Path) -> None:
    projects = [P("示例镇垃圾清运服务", ("2,150,000.00", "2,000,000.00", None, "150,000.00"))]
    rows = table_rows(
        projects=projects, unit_line="金额单位：元", grand=(2150000, 2000000, None, 150000)
    )
    t = _one(write_xlsx(tmp_path / "元.xlsx", rows))
    assert t.amount_unit == "元"
    assert t.units[0].projects[0].amounts.total == 2150000.0
    assert _money(t) == []


def test_unit_in_header_text(tmp_path: Path) -> None:
    header = ["项目名称", "总计（万元）", "财政拨款（万元）", "财政专户拨款（万元）",
              "其他资金（万元）", "绩效目标", "绩效指标"]  # fmt: skip
    rows = table_rows(
        projects=[P("档案数字化", (42.8, 42.8, None, None))],
        unit_line=None,
        department=None,
        header=header,
    )
    t = _one(write_xlsx(tmp_path / "表头单位.xlsx", rows))
    assert t.amount_unit == "万元"
    assert t.columns["total"] == "B" and t.columns["other"] == "E"
    assert t.department is None


# --- sheets -----------------------------------------------------------------------------------


def test_cover_sheet_skipped_and_every_table_sheet_read(tmp_path: Path) -> None:
    cover = [["示例区卫生健康局"], ["2025年部门预算公开"], [], ["目录：一、项目支出绩效目标表"]]
    notes = [["填报说明"], ["1、金额单位为万元。"], ["2、绩效指标按一级、二级、三级填写。"]]
    sheet_a = table_rows(projects=[P("家庭医生签约服务", (300, 300, None, None))])
    sheet_b = table_rows(
        projects=[P("疾病预防宣传", (45, 40, None, 5)), P("健康档案维护", (20, 20, None, None))],
        department="部门名称：示例区疾病预防控制中心",
    )
    path = write_xlsx(
        tmp_path / "多表.xlsx",
        {"封面": cover, "项目表一": sheet_a, "说明": notes, "项目表二": sheet_b},
    )
    tables = _tables(path)
    assert [t.sheet for t in tables] == ["项目表一", "项目表二"]
    assert tables[1].department == "示例区疾病预防控制中心"
    assert [len(t.units[0].projects) for t in tables] == [1, 2]
    only = _tables(path, sheet="项目表二")
    assert [t.sheet for t in only] == ["项目表二"]
    with pytest.raises(InputError, match="封面"):
        _tables(path, sheet="封面")


def test_workbook_without_any_table(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "无表.xlsx", {"封面": [["示例局"], ["预算公开"]], "说明": [["无"]]}
    )
    with pytest.raises(InputError, match="未找到绩效目标表"):
        _tables(path)


def test_repeated_header_on_a_new_page_is_skipped(tmp_path: Path) -> None:
    rows = table_rows(
        projects=[P("项目甲经费", (10, 10, None, None)), P("项目乙经费", (20, 20, None, None))]
    )
    header = rows[3]
    rows.insert(5, list(header))  # a PDF page top between the two projects
    t = _one(write_xlsx(tmp_path / "重复表头.xlsx", rows))
    assert [p.name for p in t.units[0].projects] == ["项目甲经费", "项目乙经费"]
    assert not [f for f in t.findings if f.rule.startswith("fragment")]


def test_note_rows_under_the_table_are_not_projects(tmp_path: Path) -> None:
    rows = table_rows(projects=[P("项目甲经费", (10, 10, None, None))])
    rows.append(["注：本表金额单位为万元。"])
    t = _one(write_xlsx(tmp_path / "表注.xlsx", rows))
    assert [p.name for p in t.units[0].projects] == ["项目甲经费"]


def test_department_and_unit_in_one_cell_and_unit_in_the_title(tmp_path: Path) -> None:
    rows = table_rows(
        projects=[P("项目甲经费", (10, 10, None, None))],
        title="示例市统计局项目支出绩效目标表（单位：万元）",
        department="部门名称：示例市统计局          金额单位：元",
        unit_line=None,
    )
    t = _one(write_xlsx(tmp_path / "同格.xlsx", rows))
    assert t.title == "示例市统计局项目支出绩效目标表"
    assert t.department == "示例市统计局"
    assert t.amount_unit == "万元"  # the first one above the header


def test_page_subtotal_rows_are_skipped_and_reported(tmp_path: Path) -> None:
    rows = table_rows(
        projects=[P("项目甲经费", (10, 10, None, None)), P("项目乙经费", (20, 20, None, None))],
        grand=(30, 30, None, None),
    )
    rows.insert(6, ["本页小计", 10, 10, None, None, None, None])
    t = _one(write_xlsx(tmp_path / "页小计.xlsx", rows))
    assert [p.name for p in t.units[0].projects] == ["项目甲经费", "项目乙经费"]
    skipped = [f for f in t.findings if f.rule == "row-skipped"]
    assert [(f.row, f.severity) for f in skipped] == [(7, "info")]
    assert _money(t) == []
