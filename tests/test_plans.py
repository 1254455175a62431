"""The output plans (pure core): summary rows and the source annotation plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfsheet.core.annotations import (
    HELPER_HEADERS,
    NO_INDICATORS,
    TARGET_HELPER_HEADERS,
    annotation_plan,
    target_helper_runs,
)
from perfsheet.core.grid import MergedRange, SheetGrid, quote_sheet
from perfsheet.core.models import Finding, WorkbookResult
from perfsheet.core.rules import MONEY_RULES
from perfsheet.core.sheets import (
    COLUMNS,
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    STANDARD_SHEETS,
    default_layout,
    header_key,
    match_columns,
    own_sheets,
    standard_sheet_names,
)
from perfsheet.core.summary_rows import Link, SummaryPlan, pick_amount_unit
from perfsheet.core.timestamps import format_timestamp
from summary_helpers import EXAMPLE, sample_grid, sample_result, sample_table

WHEN = dt.datetime(2025, 3, 1, 9, 30, 0)


def plan(**kw) -> SummaryPlan:
    kw.setdefault("generated_at", WHEN)
    kw.setdefault("version", "9.9.9")
    kw.setdefault("amount_unit", "万元")
    return SummaryPlan(**kw)


def rows_as_dicts(p: SummaryPlan, sheet: str, rows) -> list[dict]:
    return [dict(zip(p.layout[sheet], r, strict=True)) for r in rows]


# ---- header matching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("总计（万元）", "总计"),
        (" 财政拨款 (元) ", "财政拨款"),
        ("指标数（个）", "指标数"),
        ("三级\u3000指标", "三级指标"),
        ("项目/单位", "项目/单位"),
        (None, ""),
    ],
)
def test_header_key_normalizes_units_and_spaces(text, key) -> None:
    assert header_key(text) == key


@given(
    sheet=st.sampled_from(STANDARD_SHEETS),
    suffix=st.text(alphabet="万元个%人次/", min_size=0, max_size=4),
    paren=st.sampled_from([("（", "）"), ("(", ")")]),
    pad=st.sampled_from(["", " ", "\u3000", "\xa0"]),
)
def test_every_known_header_matches_with_any_unit_suffix(sheet, suffix, paren, pad) -> None:
    for col in COLUMNS[sheet]:
        written = f"{pad}{col.key}{paren[0]}{suffix}{paren[1]}{pad}" if suffix else col.key
        assert match_columns(sheet, [written]) == [col.key]


def test_unknown_headers_stay_none() -> None:
    assert match_columns(SHEET_DETAIL, ["三级指标", "审核意见", "总计（元）"]) == [
        "三级指标",
        None,
        "总计",
    ]


def test_quote_sheet() -> None:
    assert quote_sheet("表1") == "表1"
    assert quote_sheet("Sheet 1") == "'Sheet 1'"
    assert quote_sheet("A1") == "'A1'"  # looks like a cell
    assert quote_sheet("O'Brien") == "'O''Brien'"
    assert quote_sheet("表1", always=True) == "'表1'"


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


# ---- the annotation plan ---------------------------------------------------------------------


def test_annotation_plan_helper_values_statuses_and_marks() -> None:
    ann = annotation_plan(sample_table(), sample_grid())
    assert ann.blocked is None and ann.occupied == []
    assert ann.start_col == 8 and ann.helper_columns == ["H", "I", "J", "K", "L", "M", "N"]
    assert ann.header_row == 4 and ann.header_style_from == "G4"
    assert ann.number_formats[5] == "0.0%"
    cells = ann.cell_values()
    assert [cells[f"{c}4"] for c in "HIJKLMN"] == list(HELPER_HEADERS)
    assert ann.values[7] == [4, 2, 1, 1, 0, 0.75, "错误 1 个"]
    assert cells["N9"] == "正常；已并入分页碎片（第8行）"
    assert cells["N8"] == "分页碎片，已并入第9行（协作交流经费）"
    assert cells["N11"] == "警告 1 个；已并入分页碎片（第12行）"
    assert cells["N12"].startswith("分页碎片，已并入第11行")
    assert cells["N6"] == "单位小计（2 个项目）"
    assert cells["N5"] == "合计"
    assert ann.values[13][5] is None and ann.values[13][0] == 0  # no indicators: no ratio
    (mark,) = ann.marks
    assert (mark.ref, mark.fill) == ("B7", ann.error_fill)
    assert mark.note.startswith("perfsheet：总计 121.00")
    # the whole block, for a live-book adapter: header row down to the last table row
    top_left, block = ann.block()
    assert top_left == "H4" and len(block) == 13 - 4 + 1
    assert block[0] == list(HELPER_HEADERS) and block[3] == ann.values[7]
    assert block[-1] == ann.values[13] and all(len(r) == 7 for r in block)
    again = type(ann).model_validate_json(ann.model_dump_json())  # plain data
    assert again == ann


def test_annotation_plan_refuses_occupied_area() -> None:
    ann = annotation_plan(sample_table(), sample_grid({"J9": "我的备注"}))
    assert ann.blocked and "J9" in ann.blocked and "H–N" in ann.blocked
    assert ann.occupied == ["J9"]
    # content outside the table's rows does not block
    free = annotation_plan(sample_table(), sample_grid({"J20": "表格下方的说明"}))
    assert free.blocked is None


def test_annotation_plan_refuses_merged_range_reaching_into_the_area() -> None:
    grid = sample_grid()
    grid.merged.append(MergedRange(6, 6, 6, 9))  # F6:I6
    ann = annotation_plan(sample_table(), grid)
    assert ann.blocked and "F6:I6" in ann.occupied


def test_annotation_plan_recognizes_its_own_helper_columns() -> None:
    old = {f"{c}4": h for c, h in zip("HIJKLMN", HELPER_HEADERS, strict=True)}
    old.update({"H7": 3, "N7": "正常"})
    ann = annotation_plan(sample_table(), sample_grid(old))
    assert ann.blocked is None
    assert ann.start_col == 8 and ann.clear_columns == list(range(8, 15))
    # the table grew by one column (user inserted one): old helpers one to the right of it
    t = sample_table()
    t.columns["备注"] = "H"
    shifted = {f"{c}4": h for c, h in zip("IJKLMNO", HELPER_HEADERS, strict=True)}
    shifted["H4"] = "备注"
    ann2 = annotation_plan(t, sample_grid(shifted))
    assert ann2.blocked is None and ann2.start_col == 9
    assert ann2.clear_columns == list(range(9, 16))


def test_helper_headers_in_table_columns_do_not_move_the_edge() -> None:
    t = sample_table()
    t.columns.update({h: chr(ord("H") + i) for i, h in enumerate(HELPER_HEADERS)})
    ann = annotation_plan(t, None)
    assert ann.table_last_col == 7 and ann.start_col == 8


# ---- the annotation plan of row lists and forms (target helper columns) ----------------------

SMALL_ROWS = [
    ["2025年某局项目支出绩效目标表"],
    ["部门名称：某局"],
    ["项目名称", "总计", "财政拨款", "一级指标", "二级指标", "三级指标", "指标值"],
    ["甲项目", 10, 10, "产出指标", "数量指标", "培训人数", "≥100人"],
    [None, None, None, "满意度指标", "服务对象满意度指标", "培训满意度", "≥90%"],
    ["乙项目", 5, 5],
    ["丙项目", 3, 3, "产出指标", "数量指标", "培训场次", "合规"],
]


def _analyzed(rows: list[list]) -> tuple[Any, SheetGrid]:
    from perfsheet.core.grid import WorkbookGrid
    from perfsheet.core.pipeline import analyze

    grid = SheetGrid(name="S", rows=[list(r) for r in rows])
    (table,) = analyze(WorkbookGrid(path="x", sheets=[grid])).tables
    return table, grid


def test_row_list_plan_has_one_target_line_per_indicator_row() -> None:
    table, grid = _analyzed(SMALL_ROWS)
    assert table.layout == "rows"
    ann = annotation_plan(table, grid)
    assert ann.layout == "rows" and ann.headers == list(TARGET_HELPER_HEADERS)
    assert (ann.header_row, ann.start_col, ann.helper_columns[0]) == (3, 8, "H")
    assert ann.number_formats == [None] * 5 and ann.more_header_rows == []
    # the first indicator row is the project's row: its project findings are that row's
    assert ann.values[4][:4] == ["≥", 100, "人", "定量"]
    assert (
        ann.values[4][4] == "第4行项目「甲项目」缺少效益指标（现有一级指标：产出指标、满意度指标）"
    )
    assert ann.values[5] == ["≥", 90, "%", "定量", None]
    assert ann.values[7][:4] == [None, "合规", None, "定性"]
    # a project row without indicators
    assert ann.values[6][:4] == [None] * 4
    assert ann.values[6][4].startswith(NO_INDICATORS + "；第6行项目「乙项目」缺少产出指标")
    assert sorted(ann.values) == [4, 5, 6, 7]
    assert ann.block()[1][0] == list(TARGET_HELPER_HEADERS)


def test_target_fields_are_the_detail_sheets() -> None:
    """One implementation: the helper line of an indicator is 绩效指标明细's 比较符 / 目标值 /
    计量单位 / 指标性质 of that indicator."""
    table, grid = _analyzed(SMALL_ROWS)
    ann = annotation_plan(table, grid)
    result = WorkbookResult(file="x", tables=[table])
    p = plan()
    detail = rows_as_dicts(p, SHEET_DETAIL, p.detail_rows(result))
    lines = [ann.values[r] for r in (4, 5, 7)]
    fields = [
        [d["比较符"], d["目标值"], d["计量单位"], d["指标性质"]] for d in detail if d["三级指标"]
    ]
    assert [line[:4] for line in lines] == fields


def test_problems_of_an_indicator_row() -> None:
    """问题 = the indicator's warnings, the findings naming it, and error/warning findings on
    the rows it covers (down to the next indicator); info findings are not problems."""
    table, grid = _analyzed(SMALL_ROWS)
    extra = [
        Finding(rule="x", severity="warning", sheet="S", row=5, message="第5行的警告"),
        Finding(rule="x", severity="info", sheet="S", row=5, message="第5行的提示"),
        Finding(rule="x", severity="warning", sheet="S", row=4, message="第2项的问题",
                project="甲项目", indicator=2),
    ]  # fmt: skip
    table.findings = [*table.findings, *extra]
    ind = table.units[0].projects[0].indicators[1]
    ind.warnings.append("缺少二级指标")
    ann = annotation_plan(table, grid)
    assert ann.values[5][4] == "缺少二级指标；第2项的问题；第5行的警告"


def test_target_helper_runs_need_the_whole_run() -> None:
    _table, grid = _analyzed(SMALL_ROWS)
    assert target_helper_runs(grid) == []
    lone = SheetGrid(name="S", rows=[[*r] for r in SMALL_ROWS])
    lone.rows[2].extend(["问题", "计量单位"])  # the user's own columns: not ours
    assert target_helper_runs(lone) == []
    ours = SheetGrid(name="S", rows=[[*r] for r in SMALL_ROWS], origin_col=2)
    ours.rows[2].extend([None, *TARGET_HELPER_HEADERS])
    ours.rows[3].extend([None, "≥", 100, "人", "定量"])
    assert target_helper_runs(ours) == [(3, 10)]  # J3 (the grid starts in column B)
    assert target_helper_runs(ours, rows=[4, 5]) == []


def test_target_helper_headers_are_not_read_as_table_columns() -> None:
    """比较符 / 计量单位 / 定量/定性 are also headers of budget-system exports: the header
    catalogue knows the whole block as perfsheet's own, so an annotated sheet reads as before
    (every reader: live books, files, the source copy in a summary)."""
    table, grid = _analyzed(SMALL_ROWS)
    annotated = [[*r] for r in SMALL_ROWS]
    for r, line in annotation_plan(table, grid).values.items():
        annotated[r - 1] = [*annotated[r - 1], *[None] * (7 - len(annotated[r - 1])), *line]
    annotated[2] = [*annotated[2], *TARGET_HELPER_HEADERS]
    again, _g = _analyzed(annotated)
    assert "op" not in again.columns and "问题" not in again.columns
    assert again.units == table.units and again.findings == table.findings


def test_forms_plan_without_a_grid_uses_the_row_above_the_indicators(tmp_path: Path) -> None:
    """The xls rebuild passes no grid: the helper header goes above each form's first
    indicator, the block right of the table's columns."""
    import layout_workbooks as lw
    from perfsheet.core.layouts import build_tables
    from perfsheet.io.readers import read_workbook

    path, _expected = lw.build_forms_stacked(tmp_path)
    wb = read_workbook(path)
    (table,) = build_tables(wb)
    ann = annotation_plan(table, None)
    assert (ann.header_row, ann.more_header_rows, ann.start_col) == (8, [29, 47], 7)
    with_grid = annotation_plan(table, wb.sheets[0])
    assert with_grid.values == ann.values and with_grid.start_col == 7


# ---- the seed example through the real pipeline --------------------------------------------


@pytest.fixture(scope="module")
def seed_result() -> WorkbookResult:
    from perfsheet.core.pipeline import analyze
    from perfsheet.io.readers import read_workbook

    return analyze(read_workbook(EXAMPLE))


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


def test_seed_annotation_plan_is_free_and_marks_nothing(seed_result: WorkbookResult) -> None:
    from perfsheet.io.readers import read_workbook

    grids = {g.name: g for g in read_workbook(EXAMPLE).sheets}
    (table,) = seed_result.tables
    ann = annotation_plan(table, grids[table.sheet])
    assert ann.blocked is None and ann.marks == []
    counts = [v[0] for v in ann.values.values() if v[0] is not None]
    assert sum(counts) == 156 and len(counts) == 23


# ---- which sheets are ours -------------------------------------------------------------------


def notes_grid(name: str, sheets: str, version: bool = True) -> SheetGrid:
    rows = [["类别", "名称", "内容"], ["文件", "生成的工作表", sheets]]
    if version:
        rows.append(["文件", "perfsheet 版本", "0.1.0"])
    return SheetGrid(name=name, rows=rows)


def test_own_sheets_are_the_ones_listed_in_our_notes() -> None:
    listed = "绩效指标明细、项目汇总（perfsheet）、校验结果、说明"
    grids = [
        SheetGrid(name="表1", rows=[["x"]]),
        SheetGrid(name="项目汇总", rows=[["用户自己的汇总"]]),
        SheetGrid(name="项目汇总（perfsheet）", rows=[[]]),
        SheetGrid(name="绩效指标明细", rows=[[]]),
        SheetGrid(name="校验结果", rows=[[]]),
        notes_grid("说明", listed),
    ]
    own = own_sheets(grids)
    assert own == {"绩效指标明细", "项目汇总（perfsheet）", "校验结果", "说明"}
    # without the version fact, or a 说明 that does not list itself, nothing is ours
    assert own_sheets([*grids[:-1], notes_grid("说明", listed, version=False)]) == set()
    assert own_sheets([*grids[:-1], notes_grid("说明", "绩效指标明细")]) == set()
    user_notes = SheetGrid(name="说明", rows=[["填表说明：金额单位为万元"]])
    assert own_sheets([grids[0], user_notes]) == set()


def test_standard_sheet_names_avoid_the_users_sheets() -> None:
    names = standard_sheet_names(["表1", "说明", "项目汇总"])
    assert names == {
        "绩效指标明细": "绩效指标明细",
        "项目汇总": "项目汇总（perfsheet）",
        "校验结果": "校验结果",
        "说明": "说明（perfsheet）",
    }
    # our own sheets of an earlier run do not block the standard names
    assert standard_sheet_names(["表1", "说明"], {"说明"})["说明"] == "说明"
    p = plan(sheet_names=names)
    notes = list(p.note_rows())
    assert (
        "文件",
        "生成的工作表",
        "绩效指标明细、项目汇总（perfsheet）、校验结果、说明（perfsheet）",
    ) in [tuple(r) for r in notes]
    ours = SheetGrid(name="说明（perfsheet）", rows=[list(r) for r in notes])
    assert own_sheets([ours, SheetGrid(name="说明", rows=[["用户的说明"]])]) == {
        "说明（perfsheet）"
    }
