"""The rows of the standard sheets (pure core): 绩效指标明细, 项目汇总, 校验结果 and 说明."""

from __future__ import annotations

import pytest

from perfsheet.core.annotations import HELPER_HEADERS
from perfsheet.core.models import WorkbookResult
from perfsheet.core.rules import MONEY_RULES
from perfsheet.core.sheets import (
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    STANDARD_SHEETS,
    default_layout,
)
from perfsheet.core.summary_rows import Link, pick_amount_unit
from perfsheet.core.timestamps import format_timestamp
from summary_helpers import WHEN, plan, rows_as_dicts, sample_result

# ---- 绩效指标明细 ------------------------------------------------------------------------


def test_detail_rows_one_per_indicator_plus_empty_projects() -> None:
    p = plan()
    rows = rows_as_dicts(p, SHEET_DETAIL, p.detail_rows(sample_result()))
    assert len(rows) == 4 + 2 + 1 + 1  # the indicator-less project still gets a row
    first = rows[0]
    assert first == {
        "部门名称": "测试局",
        "资金使用单位": "测试局本级",
        "项目名称": "青年人才培训项目",
        "总计": 121.0,
        "财政拨款": 120.0,
        "财政专户拨款": None,
        "其他资金": None,
        "指标序号": 1,
        "一级指标": "产出指标",
        "二级指标": "数量指标",
        "三级指标": "培训人数",
        "实施周期指标值": "≥390人",
        "年度指标值": "≥390人",
        "比较符": "≥",
        "目标值": 390,
        "计量单位": "人",
        "指标性质": "定量",
        "问题": None,
        "来源位置": "表1!G7",
    }
    natures = [r["指标性质"] for r in rows]
    assert natures == ["定量", "定性", "定量", "定量", "定量", "定性", "待补充", None]
    assert rows[1]["目标值"] == "合规" and rows[1]["比较符"] is None
    assert rows[2]["目标值"] == 1.4 and rows[2]["计量单位"] == "万人"
    assert rows[6]["问题"] == "指标值待补充"
    assert rows[7]["项目名称"] == "零星维修" and rows[7]["问题"] == "未填写绩效指标"
    assert rows[7]["三级指标"] is None
    assert p.detail_count == 8


def test_template_layout_reorders_drops_and_keeps_unknown_columns() -> None:
    layout = {SHEET_DETAIL: ["三级指标", None, "项目名称", "来源文件", "一级代码"]}
    p = plan(layout=layout)
    rows = list(p.detail_rows(sample_result(), "测试局.xlsx"))
    assert rows[0] == ("培训人数", None, "青年人才培训项目", "测试局.xlsx", "1")
    assert all(len(r) == 5 for r in rows)
    one = plan(layout={SHEET_DETAIL: ["项目名称"]})
    assert next(one.detail_rows(sample_result())) == ("青年人才培训项目",)
    none = plan(layout={SHEET_DETAIL: []})
    assert next(none.detail_rows(sample_result())) == ()


def test_amounts_are_converted_to_the_plan_unit_and_headers_show_it() -> None:
    p = plan(amount_unit="万元")
    res = sample_result(unit="元")
    rows = rows_as_dicts(p, SHEET_PROJECTS, p.project_rows(res))
    assert rows[0]["总计"] == pytest.approx(0.0121)
    assert p.header_text(SHEET_PROJECTS, "总计", "总计（元）") == "总计（万元）"
    assert p.header_text(SHEET_DETAIL, "三级指标", "三级指标（原文）") == "三级指标（原文）"
    assert plan(amount_unit=None).header_text(SHEET_DETAIL, "总计") == "总计"
    same = plan(amount_unit="元")
    assert rows_as_dicts(same, SHEET_PROJECTS, same.project_rows(res))[0]["总计"] == 121.0


def test_pick_amount_unit() -> None:
    assert pick_amount_unit([sample_result(unit="元")]) == "元"
    assert pick_amount_unit([WorkbookResult(file="x")]) is None


# ---- 项目汇总 ----------------------------------------------------------------------------


def test_project_rows_counts_and_findings() -> None:
    p = plan(source_in_workbook=True)
    rows = rows_as_dicts(p, SHEET_PROJECTS, p.project_rows(sample_result()))
    assert [r["项目名称"] for r in rows] == [
        "青年人才培训项目",
        "协作交流经费",
        "服务中心运行经费",
        "零星维修",
    ]
    r0 = rows[0]
    assert (
        r0["指标数"],
        r0["产出指标数"],
        r0["效益指标数"],
        r0["满意度指标数"],
        r0["成本指标数"],
    ) == (4, 2, 1, 1, 0)
    assert r0["定量指标占比"] == pytest.approx(0.75)
    assert (r0["错误数"], r0["警告数"]) == (1, 0)
    assert r0["来源位置"] == Link("表1!A7", "表1", "A7")
    assert r0["来源位置"].location == "'表1'!A7"
    assert rows[1]["成本指标数"] == 1
    assert (rows[2]["错误数"], rows[2]["警告数"]) == (0, 1)  # the warning sits on row 11
    assert rows[3]["定量指标占比"] is None and rows[3]["指标数"] == 0
    assert r0["指标质量"] is None  # no scorer given


def test_project_footer_sums_and_weighted_ratio() -> None:
    p = plan()
    list(p.project_rows(sample_result()))
    cells = {c.key: c for c in p.project_footer()}
    assert cells["项目名称"].func == "label" and "4 个项目" in cells["项目名称"].value
    assert cells["总计"].func == "sum" and cells["总计"].value == pytest.approx(203.5)
    assert cells["财政专户拨款"].value == 0.0
    assert cells["指标数"].value == 7
    assert cells["定量指标占比"].func == "ratio" and cells["定量指标占比"].weight == "指标数"
    assert cells["定量指标占比"].value == pytest.approx(4 / 7)
    assert cells["错误数"].value == 1 and cells["警告数"].value == 1
    assert "指标质量" not in cells  # no scorer: no average
    # dropped columns are not in the footer
    q = plan(layout={SHEET_PROJECTS: ["总计", "指标数"]})
    list(q.project_rows(sample_result()))
    assert [c.key for c in q.project_footer()] == ["总计", "指标数"]


def test_quality_hook_fills_the_column_and_the_average() -> None:
    scores = {"青年人才培训项目": 90.0, "协作交流经费": 70.0}
    p = plan(quality=lambda table, project: scores.get(project.name), quality_doc="测试公式")
    rows = rows_as_dicts(p, SHEET_PROJECTS, p.project_rows(sample_result()))
    assert [r["指标质量"] for r in rows] == [90.0, 70.0, None, None]
    avg = next(c for c in p.project_footer() if c.key == "指标质量")
    assert avg.func == "average" and avg.value == pytest.approx(80.0)
    notes = [r for r in p.note_rows() if r[1] == "指标质量"]
    assert notes and notes[0][2] == "测试公式"


def test_streaming_two_results_accumulates_totals() -> None:
    p = plan()
    a, b = sample_result(), sample_result(sheet="表2")
    assert len(list(p.project_rows(a, "a.xlsx"))) == 4
    assert len(list(p.project_rows(b, "b.xlsx"))) == 4
    cells = {c.key: c.value for c in p.project_footer()}
    assert cells["总计"] == pytest.approx(407.0)
    assert p.totals["projects"] == 8 and p.totals["tables"] == 2


# ---- 校验结果 and 说明 ----------------------------------------------------------------------


def test_finding_rows() -> None:
    p = plan(source_in_workbook=True)
    rows = rows_as_dicts(p, SHEET_FINDINGS, p.finding_rows(sample_result()))
    assert [r["级别"] for r in rows] == ["错误", "提示", "警告"]
    assert rows[0]["规则"] == "行合计"
    assert rows[0]["位置"] == Link("表1!B7", "表1", "B7")
    assert (rows[0]["期望值"], rows[0]["实际值"], rows[0]["差额"]) == (120.0, 121.0, 1.0)
    assert rows[0]["项目/单位"] == "青年人才培训项目"
    plain = plan(source_in_workbook=False)
    assert next(plain.finding_rows(sample_result()))[2] == "表1!B7"
    assert plain.totals["errors"] == 1


def test_note_rows_document_every_column_and_the_file() -> None:
    p = plan(sources=["测试局.xlsx"], template=None)
    res = sample_result()
    list(p.project_rows(res))
    list(p.finding_rows(res))
    notes = list(p.note_rows())
    assert all(len(r) == 3 for r in notes)
    facts = {r[1]: r[2] for r in notes if r[0] == "文件"}
    assert facts["来源文件"] == "测试局.xlsx"
    assert facts["生成时间"] == format_timestamp(WHEN)  # local time with its UTC offset
    assert facts["生成时间"][:20] == "2025-03-01 09:30:00 "
    assert facts["perfsheet 版本"] == "9.9.9"
    assert facts["金额单位"] == "万元"
    assert "4 个项目" in facts["统计"] and "错误 1 条" in facts["统计"]
    documented = {r[1] for r in notes if r[0] == "列"}
    for sheet in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS):
        for key in default_layout(sheet):
            assert f"{sheet} · {p.header_text(sheet, key)}" in documented
    assert {r[1] for r in notes if r[0] == "工作表"} == set(STANDARD_SHEETS)
    assert {r[1] for r in notes if r[0] == "辅助列"} == set(HELPER_HEADERS)
    assert SHEET_NOTES in STANDARD_SHEETS


# ---- the seed example through the real pipeline --------------------------------------------


def test_seed_plan_counts(seed_result: WorkbookResult) -> None:
    p = plan(amount_unit=pick_amount_unit([seed_result]))
    assert p.amount_unit == "万元"
    assert len(list(p.detail_rows(seed_result))) == 156
    assert len(list(p.project_rows(seed_result))) == 23
    findings = rows_as_dicts(p, SHEET_FINDINGS, p.finding_rows(seed_result))
    assert not [f for f in findings if f["规则"] in {"行合计", "单位小计", "总合计", "金额格式"}]
    assert not {f.rule for t in seed_result.tables for f in t.findings} & MONEY_RULES
    totals = {c.key: c.value for c in p.project_footer()}
    assert totals["总计"] == pytest.approx(273101.18)
    assert totals["指标数"] == 156
