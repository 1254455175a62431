"""The department named in a table's title (core/department.py): the titles departments write,
texts that are no title (notes, 填报说明, dates), and properties over generated titles."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfsheet.core.department import department_from_title, same_value
from perfsheet.core.grid import SheetGrid, WorkbookGrid
from perfsheet.core.layouts import build_tables
from workbooks import STD_HEADER

PACKED = "1、1-产出指标；11-数量指标；检查次数；实施周期指标值:≥12次；年度指标值:≥12次。"


@pytest.mark.parametrize(
    ("title", "department"),
    [
        ("2025年度市场监督管理局项目支出绩效目标表", "市场监督管理局"),
        ("XX县教育局2024年项目支出绩效目标表", "XX县教育局"),
        ("中共XX市委组织部 2025 年部门项目支出绩效目标表", "中共XX市委组织部"),
        ("2025年XX区卫生健康委员会（本级）项目支出绩效目标申报表", "XX区卫生健康委员会"),
        ("2025年XX区卫生健康委员会(本级)项目支出绩效目标申报表", "XX区卫生健康委员会"),
        ("２０２５年度青禾县林业局项目支出绩效目标表", "青禾县林业局"),
        ("二〇二五年云溪县财政局项目支出绩效目标表", "云溪县财政局"),
        ("2025—2027年柳河县水利局项目支出绩效目标表", "柳河县水利局"),
        ("2025年东湖区民政局本级项目支出绩效目标表", "东湖区民政局"),
        ("2025年东湖区民政局所属单位项目支出绩效目标表", "东湖区民政局"),
        ("2025年南湖区农业农村局部门预算项目支出绩效目标表", "南湖区农业农村局"),
        ("青禾县2025年教育局项目支出绩效目标表", "青禾县教育局"),
        ("附件3：2025年平川县自然资源局项目支出绩效目标表", "平川县自然资源局"),
        ("表3-1 2025年平川县统计局项目支出绩效目标表", "平川县统计局"),
        ("2025年临江市市场监督管理局项目支出绩效目标表（单位：万元）", "临江市市场监督管理局"),
        ("2025年临江市市场监督管理局项目支出绩效目标表    单位：万元", "临江市市场监督管理局"),
        ("2025年临江市文化广电旅游局项目支出绩效目标表（含转移支付项目）", "临江市文化广电旅游局"),
        ("示例市统计局项目支出绩效目标表", "示例市统计局"),
        ("2025年示例县政务服务中心项目支出绩效目标表", "示例县政务服务中心"),
        ("2025年 丰源县 残疾人联合会 项目支出 绩效目标表", "丰源县残疾人联合会"),
        ("<p>2025年丰源县残疾人联合会项目支出绩效目标表</p>", "丰源县残疾人联合会"),
    ],
)
def test_the_department_of_a_title(title: str, department: str) -> None:
    assert department_from_title(title) == department


@pytest.mark.parametrize(
    "text",
    [
        "2025年项目支出绩效目标表",
        "2025年度项目支出绩效目标表",
        "项目支出绩效目标表（2025年度）",
        "项目支出绩效目标表（含转移支付项目）",
        "项目绩效目标表",
        "项目支出绩效目标表",
        "2025年部门预算项目支出绩效目标表",
        "2025年市本级项目支出绩效目标表",
        "广州市2025年市本级项目支出绩效目标表",  # a city, not a department
        "2025年示例市项目支出绩效目标表",
        "2025年1月10日项目支出绩效目标表",
        "注：2025年各部门项目支出绩效目标表由财政局汇总",
        "填报说明：本表为项目支出绩效目标表",
        "说明：示例局项目支出绩效目标表",
        "关于印发2025年示例局项目支出绩效目标表的通知",
        "填报日期：2025年1月10日",
        "单位：万元",
        "示例县教育局",  # no table named: a line, not a title
        "2025年示例县教育局部门预算",
        "",
        "表",
    ],
)
def test_no_department_from_what_is_no_title_of_one(text: str) -> None:
    assert department_from_title(text) is None


def test_none_and_very_long_texts() -> None:
    assert department_from_title(None) is None
    assert department_from_title("示例局" * 500 + "项目支出绩效目标表") is None


def test_same_value() -> None:
    assert same_value(["甲局", None, "甲局", ""]) == "甲局"
    assert same_value(["甲局", "乙局"]) is None
    assert same_value([None, ""]) is None
    assert same_value([]) is None


# --- properties ------------------------------------------------------------------------------

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
ENDINGS = ["局", "委员会", "办公室", "中心", "管理局", "联合会", "委组织部", "院", "大队"]
# a department name as written: CJK only (no digit, no 年 that would read as a year), ending
# like a department
NAME = st.builds(
    lambda head, end: head + end,
    st.text(CJK, min_size=2, max_size=10).filter(lambda s: "年" not in s and "表" not in s),
    st.sampled_from(ENDINGS),
).filter(lambda s: "绩效" not in s and "项目支出" not in s and "本级" not in s)
YEARS = ["2025年", "2025年度", "2025 年", "2025 年度", "二〇二五年", "２０２５年"]
SUFFIXES = ["项目支出绩效目标表", "部门项目支出绩效目标表", "项目支出绩效目标申报表",
            "部门预算项目支出绩效目标表"]  # fmt: skip
SCOPES = ["", "（本级）", "(本级)", "本级"]
TAILS = ["", "（单位：万元）", "    单位：万元", "（含转移支付项目）", "（2025年度）"]


@given(
    name=NAME,
    year=st.sampled_from(YEARS),
    year_first=st.booleans(),
    scope=st.sampled_from(SCOPES),
    suffix=st.sampled_from(SUFFIXES),
    tail=st.sampled_from(TAILS),
    spaces=st.booleans(),
)
def test_generated_titles_give_their_department(
    name: str, year: str, year_first: bool, scope: str, suffix: str, tail: str, spaces: bool
) -> None:
    sep = " " if spaces else ""
    head = f"{year}{sep}{name}{scope}" if year_first else f"{name}{scope}{sep}{year}"
    assert department_from_title(f"{head}{sep}{suffix}{tail}") == name


@given(year=st.sampled_from([*YEARS, ""]), suffix=st.sampled_from(SUFFIXES),
       tail=st.sampled_from(TAILS))  # fmt: skip
def test_a_title_without_a_department_gives_none(year: str, suffix: str, tail: str) -> None:
    assert department_from_title(f"{year}{suffix}{tail}") is None


TITLE_PIECES = ["2025", "年", "年度", "（", "）", "(", ")", "本级", "部门", "项目", "支出",
                "绩效目标", "申报", "表", "单位：万元", "：", "注", "填报说明", " ", "\u3000",
                "示例", "县", "市", "局", "委员会", "附件1", "-", "1月10日", "\n"]  # fmt: skip


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(TITLE_PIECES), max_size=14)
                 .map("".join)))  # fmt: skip
def test_never_raises_nor_returns_what_is_no_department(title: str) -> None:
    got = department_from_title(title)
    if got is None:
        return
    assert 2 <= len(got) <= len(title)
    assert not re.search(r"[0-9０-９]", got), "a year or a date"
    assert "项目支出" not in got and "绩效目标" not in got
    assert not re.match(r"^(?:注|说明|填报说明|填表说明|备注)", got)
    assert "".join(got.split()) == got


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title_dept=NAME, label_dept=NAME, year=st.sampled_from(YEARS),
       label=st.sampled_from(["部门名称：", "部门：", "预算单位：", "编制单位："]))  # fmt: skip
def test_a_label_wins_over_the_title(
    title_dept: str, label_dept: str, year: str, label: str
) -> None:
    rows: list[list[object]] = [
        [f"{year}{title_dept}项目支出绩效目标表"],
        [f"{label}{label_dept}", None, None, None, None, None, "单位：万元"],
        list(STD_HEADER),
        ["监督检查经费", 12, 12, None, None, "完成检查。", PACKED],
    ]
    wb = WorkbookGrid(path="t.xlsx", sheets=[SheetGrid(name="表1", rows=rows)])
    (table,) = build_tables(wb)
    assert table.department == label_dept
    rows[1] = ["填报日期：2025年1月10日"]
    (table,) = build_tables(WorkbookGrid(path="t.xlsx", sheets=[SheetGrid("表1", rows)]))
    assert table.department == title_dept
