"""The ribbon actions on every table layout (issue 12 §4): row lists, budget-system exports and
forms, against xlwings' remote engine (the engine of xlwings Lite / Server).

As in test_excel_actions.py: each test builds ``xw.Book(json=payload)`` from the values of a
real workbook (tests/layout_workbooks.py, read with the project's reader) and asserts the
queued actions; ``live_payload.replay`` gives the state of the next click. Expected rows come
from the workbooks' own expectations (which row holds which indicator), literal target fields,
and the file writer for the standard sheets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import layout_workbooks as lw
from live_payload import (
    Workbook,
    address_key,
    alerts,
    book_of,
    cell_value,
    file_rows,
    of,
    office_values,
    payload,
    run,
    same_cells,
    sheet_json,
    shown,
    workbook_payload,
)
from perfsheet.core.annotations import (
    ERROR_FILL,
    HELPER_FILL,
    HELPER_HEADERS,
    annotation_plan,
)
from perfsheet.core.grid import SheetGrid, WorkbookGrid
from perfsheet.core.headers import TARGET_HELPERS
from perfsheet.core.pipeline import analyze
from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_NOTES, SHEET_PROJECTS
from perfsheet.errors import PerfsheetError
from perfsheet.excel import actions
from perfsheet.excel.live_book import read_active
from perfsheet.io.readers import read_workbook

TARGETS = list(TARGET_HELPERS)
N = len(TARGETS)


pytestmark = pytest.mark.usefixtures("live_engine")


def build(case: str, tmp_path: Path) -> tuple[Path, list[lw.ExpTable]]:
    return getattr(lw, f"build_{case}")(tmp_path / "in")


def indicators(expected: list[lw.ExpTable]) -> list[lw.ExpIndicator]:
    return [i for t in expected for p in t.projects for i in p.indicators]


def row_of(expected: list[lw.ExpTable], name: str) -> int:
    """The sheet row of the indicator called ``name`` (三级指标)."""
    (row,) = [i.row for i in indicators(expected) if i.name == name]
    return row


def helper_line(state: Workbook, sheet: str, row: int, first_col: int) -> list[Any]:
    return [state.value(sheet, row, c) for c in range(first_col, first_col + N)]


def written(block: dict[str, Any]) -> dict[tuple[int, int], Any]:
    """(row, col) -> value of every non-empty cell of one setValues action."""
    r0, c0 = block["start_row"] + 1, block["start_column"] + 1
    return {
        (r0 + i, c0 + j): shown(v)
        for i, line in enumerate(block["values"])
        for j, v in enumerate(line)
        if v not in ("", None)
    }


def plan_cells(plan: Any) -> dict[tuple[int, int], Any]:
    """(row, col) -> value of every cell the annotation plan fills (headers included)."""
    return {address_key(a): v for a, v in plan.cell_values().items()}


def file_plans(path: Path, sheet: str) -> list[Any]:
    """The core's annotation plans computed from the file (merged cells and all)."""
    wb = read_workbook(path)
    grid = next(g for g in wb.sheets if g.name == sheet)
    result = analyze(WorkbookGrid(path=str(path), sheets=[grid]))
    return [annotation_plan(t, grid) for t in result.tables]


# --------------------------------------------------------------------------------------------
# 解析指标: target helper columns, one line per indicator row
# --------------------------------------------------------------------------------------------

ROWS_SHEET = "项目支出绩效目标表"


def test_parse_rows_merged_writes_the_target_of_every_indicator_row(tmp_path: Path) -> None:
    path, expected = build("rows_merged", tmp_path)
    result, queued, after = run("parse", workbook_payload(path))
    # one block right of 指标值 (L): M3 down to the last indicator row, in one write
    (block,) = of(queued, "setValues", 0)
    assert (block["start_row"] + 1, block["start_column"] + 1) == (3, 13)
    assert (block["row_count"], block["column_count"]) == (31 - 3 + 1, N)
    assert helper_line(after, ROWS_SHEET, 3, 13) == TARGETS
    # exact target fields on indicator rows (the very fields of 绩效指标明细)
    s = ROWS_SHEET
    assert helper_line(after, s, row_of(expected, "资助家庭经济困难学生人数"), 13) == [
        "≥", 1850, "人", "定量", None,
    ]  # fmt: skip
    assert helper_line(after, s, row_of(expected, "营养改善计划覆盖学校数"), 13) == [
        "=", 32, "所", "定量", None,
    ]  # fmt: skip
    assert helper_line(after, s, row_of(expected, "资助对象认定准确率"), 13) == [
        "=", 100, "%", "定量", None,
    ]  # fmt: skip
    assert helper_line(after, s, row_of(expected, "智能黑板采购单价"), 13) == [
        "≤", 1.8, "万元/台", "定量", None,
    ]  # fmt: skip
    assert helper_line(after, s, row_of(expected, "培训完成时间"), 13) == [
        "≤", "2025年11月30日前", None, "定性", None,
    ]  # fmt: skip
    # a qualitative target, and its problem (the quality audit's finding on that indicator)
    vague = helper_line(after, s, row_of(expected, "教师教育教学能力"), 13)
    assert vague[:4] == [None, "有所提升", None, "定性"]
    assert vague[4].startswith("第11行项目「中小学教师培训经费」第 4 项指标「教师教育教学能力」")
    assert "模糊表述" in vague[4]
    # the header is repeated where the table's header is repeated after the page break
    assert cell_value(after.sheet(s)["values"], 22, 11) == "三级指标"
    assert helper_line(after, s, 22, 13) == TARGETS
    # no line on rows without an indicator: 合计 (4), the page line (21)
    assert helper_line(after, s, 4, 13) == [None] * N
    assert helper_line(after, s, 21, 13) == [None] * N
    # every indicator row has its line, and nothing else is written
    ind_rows = {i.row for i in indicators(expected)}
    assert len(ind_rows) == 25
    assert {r for (r, _c) in written(block)} == ind_rows | {3, 22}
    # the same cells as the core's plan from the file (merged cells and all)
    (plan,) = file_plans(path, s)
    assert plan.layout == "rows" and plan.headers == TARGETS
    assert written(block) == plan_cells(plan)
    # both header rows filled and bold
    fills = [
        (a["start_row"] + 1, a["start_column"] + 1, a["args"]) for a in of(queued, "setRangeColor")
    ]
    assert fills == [(3, 13, ["#" + HELPER_FILL]), (22, 13, ["#" + HELPER_FILL])]
    assert len(of(queued, "setFontProperty", 0)) == 2
    assert of(queued, "addSheet") == [] and of(queued, "addNote") == []
    assert result.helper_columns == ["M–Q"]
    (message,) = alerts(queued)
    assert "4 个项目、25 条指标" in message
    assert "M–Q 列写入辅助列（比较符、目标值、计量单位、定量/定性、问题，每条指标一行）" in message


def test_parse_export_rows_reads_the_separate_columns(tmp_path: Path) -> None:
    """A budget-system export keeps 计算符号 / 指标值 / 计量单位 apart: the helper columns give
    the target read from them (operators written as words made canonical)."""
    path, expected = build("export_rows", tmp_path)
    sheet = expected[0].sheet
    result, queued, after = run("parse", workbook_payload(path))
    (block,) = of(queued, "setValues", 0)
    # right of 分值 (O): P–T
    assert (block["start_row"] + 1, block["start_column"] + 1) == (3, 16)
    assert result.helper_columns == ["P–T"]
    assert helper_line(after, sheet, 3, 16) == TARGETS

    def line(name: str) -> list[Any]:
        return helper_line(after, sheet, row_of(expected, name), 16)

    assert line("食品安全监督抽检批次") == ["≥", 2400, "批次", "定量", None]
    assert line("不合格食品核查处置时限") == ["≤", 30, "天", "定量", None]  # 小于等于
    assert line("抽检样品检验报告合格率") == ["=", 100, "%", "定量", None]  # ＝ and "100"
    assert line("单批次抽检平均成本") == ["≤", 0.077, "万元", "定量", None]
    assert line("公众食品安全满意度") == ["≥", 85, "%", "定量", None]  # 不低于
    assert line("食品安全风险隐患") == [None, "有效防控", None, "定性", None]
    capability = line("检验检测能力")
    assert capability[:4] == [None, "显著提升", None, "定性"] and "模糊表述" in capability[4]
    assert {r for (r, _c) in written(block)} == {3} | {i.row for i in indicators(expected)}
    (plan,) = file_plans(path, sheet)
    assert written(block) == plan_cells(plan)


def test_parse_stacked_forms_writes_right_of_each_indicator_grid(tmp_path: Path) -> None:
    """Three forms on one sheet are one table: one block right of the indicator grids (F),
    the helper headers on the grid header row of every form."""
    path, expected = build("forms_stacked", tmp_path)
    sheet = expected[0].sheet
    result, queued, after = run("parse", workbook_payload(path))
    (block,) = of(queued, "setValues", 0)
    assert result.helper_columns == ["G–K"]
    grid_headers = [min(i.row for i in t.projects[0].indicators) - 1 for t in expected]
    assert grid_headers == [8, 29, 47]
    assert (block["start_row"] + 1, block["start_column"] + 1) == (8, 7)
    for r in grid_headers:
        assert cell_value(after.sheet(sheet)["values"], r, 4) == "三级指标"
        assert helper_line(after, sheet, r, 7) == TARGETS

    def line(name: str) -> list[Any]:
        return helper_line(after, sheet, row_of(expected, name), 7)

    assert line("开展群众文化活动场次") == ["≥", 120, "场", "定量", None]
    assert line("送戏下乡场次") == ["≥", 60, "场", "定量", None]
    # the two-period form: the annual target (≥30个), not the mid-term one (≥90个)
    assert line("新建社区健身路径") == ["≥", 30, "个", "定量", None]
    assert line("接待游客人次") == ["≥", 8, "%", "定量", None]
    zero = line("文化活动安全事故发生率")
    assert zero[:4] == ["=", 0, None, "定量"] and "缺少%" in zero[4]
    # label rows of the forms (name, money, goal) get nothing
    assert helper_line(after, sheet, 2, 7) == [None] * N
    assert helper_line(after, sheet, 22, 7) == [None] * N
    assert {r for (r, _c) in written(block)} == {*grid_headers} | {
        i.row for i in indicators(expected)
    }
    (plan,) = file_plans(path, sheet)
    assert plan.more_header_rows == [29, 47]
    assert written(block) == plan_cells(plan)
    fills = [a["start_row"] + 1 for a in of(queued, "setRangeColor")]
    assert fills == grid_headers


@pytest.mark.parametrize("case", ["rows_merged", "export_rows", "forms_stacked"])
def test_parse_again_replaces_its_columns_and_reads_the_same_table(
    case: str, tmp_path: Path
) -> None:
    """The helper headers 比较符 / 计量单位 / 定量/定性 are headers of budget-system exports
    too: on the next click the sheet must still read as it did (not as an export whose
    indicator cells are our helper values), and the block is replaced, not added."""
    path, _expected = build(case, tmp_path)
    first_result, first, once = run("parse", workbook_payload(path))
    second_result, second, twice = run("parse", once)
    assert of(second, "setValues", 0) == of(first, "setValues", 0)
    assert of(second, "rangeClearContents") == []
    assert twice.payload["sheets"] == once.payload["sheets"]
    assert second_result.model_dump() == first_result.model_dump()
    # the analysis of the annotated sheet is the analysis of the original one
    before = analyze(read_workbook(path))
    sheet = before.tables[0].sheet
    _book_sheet, live = read_active(book_of(once.payload))
    seen = WorkbookGrid(path="x", sheets=[live.sheets[0]])  # helper columns and all
    after = analyze(seen, sheet=sheet)
    for t_before, t_after in zip(before.tables, after.tables, strict=True):
        assert t_after.units == t_before.units
        assert t_after.findings == t_before.findings


def test_parse_finds_its_columns_after_they_moved(tmp_path: Path) -> None:
    """An empty column inserted between the table and the helper columns: the old block (now
    N–R) is recognized by its run of headers, the new one goes to M–Q, R is cleared."""
    path, _expected = build("rows_merged", tmp_path)
    _r, _q, once = run("parse", workbook_payload(path))
    moved = [[*r[:12], "", *r[12:]] for r in once.sheet(ROWS_SHEET)["values"]]
    _r, queued, after = run("parse", payload([sheet_json(ROWS_SHEET, moved)]))
    cleared = of(queued, "rangeClearContents", 0)
    assert [(a["start_column"] + 1, a["column_count"]) for a in cleared] == [(18, 1)]
    assert helper_line(after, ROWS_SHEET, 3, 13) == TARGETS
    assert after.rows(ROWS_SHEET) == once.rows(ROWS_SHEET)


def test_user_content_in_the_helper_area_stops_parse(tmp_path: Path) -> None:
    path, _expected = build("rows_merged", tmp_path)
    data = workbook_payload(path)
    values = data["sheets"][0]["values"]
    for line in values:
        line.extend([""] * 4)
    values[9][14] = "已核实"  # O10, where 计量单位 would go
    result, queued, _after = run("parse", data)
    assert result is None and [a["func"] for a in queued] == ["alert"]
    (message,) = alerts(queued)
    assert "M–Q 列已有内容（O10）" in message and "未写入任何内容" in message
    with pytest.raises(PerfsheetError, match="O10"):
        actions.parse_indicators(book_of(data))


def test_a_users_own_problem_column_is_not_taken_for_ours(tmp_path: Path) -> None:
    """A column headed 问题 right of the table (the reviewer's) is not ours: only the whole
    run of helper headers is. With its header in the table's header row it is a column of the
    table, so the helper columns go right of it and it keeps its content."""
    path, _expected = build("rows_merged", tmp_path)
    data = workbook_payload(path)
    values = data["sheets"][0]["values"]
    for line in values:
        line.append("")
    values[2][12] = "问题"  # M3
    values[4][12] = "请核实人数"  # M5
    result, queued, after = run("parse", data)
    assert result.helper_columns == ["N–R"]
    assert (after.value(ROWS_SHEET, 3, 13), after.value(ROWS_SHEET, 5, 13)) == (
        "问题",
        "请核实人数",
    )
    assert helper_line(after, ROWS_SHEET, 3, 14) == TARGETS
    (block,) = of(queued, "setValues", 0)
    assert block["start_column"] + 1 == 14
    # a second run recognizes our block and leaves the user's column alone
    _r, again, _twice = run("parse", after)
    assert of(again, "setValues", 0) == [block] and of(again, "rangeClearContents") == []


def test_two_tables_on_one_sheet_get_their_own_blocks(tmp_path: Path) -> None:
    """A row list above a budget-system export, on one sheet: each gets its helper block at
    its own edge and header row, covering only its own rows."""
    merged, _ = build("rows_merged", tmp_path)
    export, exp_export = build("export_rows", tmp_path)
    a = read_workbook(merged).sheets[0].rows
    b = read_workbook(export).sheets[0].rows
    rows = [list(r) for r in a] + [[], [], []] + [list(r) for r in b]
    data = payload([sheet_json("汇总", office_values(rows))])
    result, queued, after = run("parse", data)
    blocks = of(queued, "setValues", 0)
    assert [(x["start_row"] + 1, x["start_column"] + 1) for x in blocks] == [(3, 13), (40, 16)]
    assert blocks[0]["start_row"] + blocks[0]["row_count"] == 31  # ends at the first table
    assert result.helper_columns == ["M–Q", "P–T"]
    shift = 40 - 3
    first = row_of(exp_export, "食品安全监督抽检批次") + shift
    assert helper_line(after, "汇总", first, 16) == ["≥", 2400, "批次", "定量", None]
    assert blocks[1]["start_row"] + blocks[1]["row_count"] == 61  # its own rows only
    assert "M–Q、P–T 列写入辅助列" in alerts(queued)[0]


def test_two_packed_tables_on_one_sheet_keep_todays_helper_columns(tmp_path: Path) -> None:
    path, expected = build("two_tables_one_sheet", tmp_path)
    result, queued, after = run("parse", workbook_payload(path))
    blocks = of(queued, "setValues", 0)
    assert [(x["start_row"] + 1, x["start_column"] + 1) for x in blocks] == [(3, 8), (13, 8)]
    for x in blocks:
        assert [shown(v) for v in x["values"][0]] == list(HELPER_HEADERS)
    assert result.helper_columns == ["H–N", "H–N"]
    project = expected[1].projects[0]
    assert after.value(expected[1].sheet, project.row, 8) == len(project.indicators)


# --------------------------------------------------------------------------------------------
# 校验合计 on every layout
# --------------------------------------------------------------------------------------------


def test_check_marks_the_one_row_total_error_of_vocabulary(tmp_path: Path) -> None:
    """build_vocabulary: 残疾人职业技能培训 writes 资金总额 64.21 for 40.00 + 24.20."""
    path, expected = build("vocabulary", tmp_path)
    (row,) = expected[0].money_errors
    assert row == 6
    result, queued, after = run("check", workbook_payload(path, active="本级"))
    marks = {(r, c): v for (s, r, c), v in after.fills.items() if s == "本级"}
    assert marks == {(6, 2): "#" + ERROR_FILL}  # B6: 资金总额
    note = after.notes[("本级", 6, 2)]
    assert "应为 64.20" in note and "实为 64.21" in note
    assert (result.marks, result.money_errors) == (1, 1)
    errors = [r for r in after.rows(SHEET_FINDINGS)[1:] if r[0] == "错误"]
    assert [r[1:3] for r in errors] == [["行合计", "本级!B6"]]
    assert "金额合计有 1 处错误" in alerts(queued)[0]
    assert of(queued, "setValues", 0) == []  # 康复中心 (another sheet) untouched


@pytest.mark.parametrize(
    ("case", "cell", "value", "marked"),
    [
        # 学生资助补助经费's 总计 on its (merged) project cells; the 合计 row no longer adds up
        ("rows_merged", (5, 4), 356.41, {(4, 4), (5, 4)}),
        # 项目金额 of 食品安全抽检监测, repeated on every row: read (and marked) on the first
        ("export_rows", (4, 3), 186, {(4, 3)}),
        # 年度资金总额 of the first form
        ("forms_stacked", (4, 4), 151, {(4, 4)}),
    ],
)
def test_check_marks_money_errors_on_every_layout(
    case: str, cell: tuple[int, int], value: Any, marked: set, tmp_path: Path
) -> None:
    path, expected = build(case, tmp_path)
    sheet = expected[0].sheet
    data = workbook_payload(path)
    values = data["sheets"][0]["values"]
    r, c = cell
    assert values[r - 1][c - 1] != value
    values[r - 1][c - 1] = value
    result, queued, after = run("check", data)
    fills = {(rr, cc) for (s, rr, cc) in after.fills if s == sheet}
    assert fills == marked
    assert {(rr, cc) for (s, rr, cc) in after.notes if s == sheet} == marked
    assert result.marks == len(marked) and result.money_errors == len(marked)
    assert of(queued, "setValues", 0) == []
    # fixed: the marks go away
    fixed = after.payload
    fixed["book"]["active_sheet_index"] = 0
    original = workbook_payload(path)["sheets"][0]["values"][r - 1][c - 1]
    fixed["sheets"][0]["values"][r - 1][c - 1] = original
    again, _q, clean = run("check", fixed)
    assert {k for k in clean.fills if k[0] == sheet} == set()
    assert again.marks_cleared == len(marked) and again.marks == 0


def test_money_error_of_a_row_list_shows_in_its_row_problem(tmp_path: Path) -> None:
    """The row-total error sits on the project's first row, which is its first indicator's
    row: 解析指标 names it in that row's 问题."""
    path, expected = build("rows_merged", tmp_path)
    data = workbook_payload(path)
    data["sheets"][0]["values"][4][3] = 356.41  # D5
    _r, _q, after = run("parse", data)
    line = helper_line(after, ROWS_SHEET, row_of(expected, "资助家庭经济困难学生人数"), 13)
    assert line[:4] == ["≥", 1850, "人", "定量"]
    assert line[4] == (
        "第5行「学生资助补助经费」总计应为 356.40（财政拨款+财政专户拨款+其他资金），"
        "实为 356.41，差额 0.01"
    )


# --------------------------------------------------------------------------------------------
# 生成汇总 on every layout
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "level3"), [("rows_merged", "K"), ("export_rows", "J"), ("forms_stacked", "D")]
)
def test_summary_has_one_detail_row_per_indicator_at_its_own_row(
    case: str, level3: str, tmp_path: Path
) -> None:
    from perfsheet.summary import summarize

    path, expected = build(case, tmp_path)
    sheet = expected[0].sheet
    result, queued, after = run("summary", workbook_payload(path))
    detail = after.rows(SHEET_DETAIL)
    header = detail[0]
    rows = [dict(zip(header, line, strict=False)) for line in detail[1:]]
    inds = indicators(expected)
    assert len(rows) == len(inds) == result.rows[SHEET_DETAIL]
    assert [r["三级指标"] for r in rows] == [i.name for i in inds]
    assert [r["来源位置"] for r in rows] == [f"{sheet}!{level3}{i.row}" for i in inds]
    projects = [p for t in expected for p in t.projects]
    assert result.rows[SHEET_PROJECTS] == len(projects)
    # the same cells as the file writer's summary of the same workbook
    out = tmp_path / "out.xlsx"
    summarize(path, out, with_source=False)
    for name in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS):
        live = after.rows(name)
        written_rows = file_rows(out, name)
        if name == SHEET_PROJECTS:
            written_rows = written_rows[: len(live)]  # the file's chart data block below
        assert same_cells(live, written_rows), name
    assert [a["args"][1] for a in of(queued, "addSheet")] == [
        SHEET_DETAIL,
        SHEET_PROJECTS,
        SHEET_FINDINGS,
        SHEET_NOTES,
    ]
    assert of(queued, "setValues", 0) == []


def test_summary_after_parse_reads_the_table_as_before(tmp_path: Path) -> None:
    """生成汇总 on a sheet that carries target helper columns: the same detail rows."""
    path, _expected = build("export_rows", tmp_path)
    _r, _q, plain = run("summary", workbook_payload(path))
    _r, _q, parsed = run("parse", workbook_payload(path))
    _r, _q, both = run("summary", parsed)
    assert both.rows(SHEET_DETAIL) == plain.rows(SHEET_DETAIL)
    assert both.rows(SHEET_PROJECTS) == plain.rows(SHEET_PROJECTS)


@pytest.mark.parametrize("case", ["rows_merged", "export_rows", "forms_stacked"])
def test_input_values_are_never_written_over(case: str, tmp_path: Path) -> None:
    path, _expected = build(case, tmp_path)
    values0 = workbook_payload(path)["sheets"][0]["values"]
    state: dict[str, Any] | Workbook = workbook_payload(path)
    for tag in ("parse", "check", "summary", "parse", "check"):
        _r, queued, state = run(tag, state)
        for a in queued:
            if a["func"] in ("setValues", "rangeClearContents") and a["sheet_position"] == 0:
                r0, c0 = a["start_row"] + 1, a["start_column"] + 1
                for r in range(r0, r0 + a["row_count"]):
                    for c in range(c0, c0 + a["column_count"]):
                        assert cell_value(values0, r, c) is None, (tag, r, c)
        state.payload["book"]["active_sheet_index"] = 0
        final = state.sheet(state.names()[0])["values"]
        for r, line in enumerate(values0, start=1):
            for c, v in enumerate(line, start=1):
                assert cell_value(final, r, c) == (None if v == "" else v)


def test_live_rows_read_equals_the_file_read(tmp_path: Path) -> None:
    """Live grids have no merged ranges; for these layouts the tables are the same."""
    for case in ("rows_merged", "export_rows", "forms_stacked"):
        path, _ = build(case, tmp_path)
        wb = read_workbook(path)
        g = wb.sheets[0]
        bare = SheetGrid(name=g.name, rows=[list(r) for r in g.rows])
        live = analyze(WorkbookGrid(path="x", sheets=[bare]))
        from_file = analyze(wb)
        for a, b in zip(live.tables, from_file.tables, strict=True):
            assert a.units == b.units and a.findings == b.findings, case
