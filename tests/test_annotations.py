"""The annotation plan (pure core): helper columns and marks on the source sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from perfsheet.core.annotations import (
    HELPER_HEADERS,
    NO_INDICATORS,
    annotation_plan,
    target_helper_runs,
)
from perfsheet.core.grid import MergedRange, SheetGrid
from perfsheet.core.headers import TARGET_HELPERS
from perfsheet.core.models import Finding, WorkbookResult
from perfsheet.core.sheets import SHEET_DETAIL
from summary_helpers import EXAMPLE, plan, rows_as_dicts, sample_grid, sample_table

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
    assert ann.layout == "rows" and ann.headers == list(TARGET_HELPERS)
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
    assert ann.block()[1][0] == list(TARGET_HELPERS)


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
    ours.rows[2].extend([None, *TARGET_HELPERS])
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
    annotated[2] = [*annotated[2], *TARGET_HELPERS]
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


def test_seed_annotation_plan_is_free_and_marks_nothing(seed_result: WorkbookResult) -> None:
    from perfsheet.io.readers import read_workbook

    grids = {g.name: g for g in read_workbook(EXAMPLE).sheets}
    (table,) = seed_result.tables
    ann = annotation_plan(table, grids[table.sheet])
    assert ann.blocked is None and ann.marks == []
    counts = [v[0] for v in ann.values.values() if v[0] is not None]
    assert sum(counts) == 156 and len(counts) == 23


# ---- the builder, project by project --------------------------------------------------------


def _batched_plans(path: Path) -> list[Any]:
    """The plans of ``path``'s tables built as the source copy builds them: the builders made
    from the structures and the grid, then fed each completed project whose indicators are
    dropped right after (as the summary writer drops them)."""
    from perfsheet.core.annotations import AnnotationBuilder
    from perfsheet.core.pipeline import analyze_tables, drop_indicators
    from perfsheet.io.readers import read_workbook

    wb = read_workbook(path)
    grids = {g.name: g for g in wb.sheets}
    analyses = analyze_tables(wb)
    builders = [
        AnnotationBuilder.for_deferred(a.deferred, grids.get(a.table.sheet)) for a in analyses
    ]
    del wb, grids
    for analysis, builder in zip(analyses, builders, strict=True):
        for batch in analysis.batches():
            for done in batch:
                builder.add_project(
                    done.unit, done.project, done.indicator_findings, done.audit_findings
                )
                drop_indicators(done.project)
    return [b.finish() for b in builders]


def _layout_inputs() -> list[str]:
    import layout_workbooks as lw

    return [*lw.LAYOUT_CASES, "seed", "fragments"]


@pytest.mark.parametrize("case", _layout_inputs())
@pytest.mark.parametrize("batch", [None, 1, 3], ids=["batch-default", "batch-1", "batch-3"])
def test_builder_by_batches_gives_the_whole_tables_plan(
    case: str, batch: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AnnotationBuilder fed project by project (structural findings first, each project's
    findings as it is completed, its indicators dropped) = annotation_plan of the whole table,
    for every layout; batches of 1 and 3 cross every boundary."""
    import layout_workbooks as lw
    from perfsheet.core import pipeline
    from perfsheet.core.pipeline import analyze
    from perfsheet.io.readers import read_workbook
    from test_summary_stream import _fragments_and_units

    if batch is not None:
        monkeypatch.setattr(pipeline, "BATCH", batch)
    if case == "seed":
        path = EXAMPLE
    elif case == "fragments":  # statuses on unit, fragment, orphan and total rows; marks
        path = _fragments_and_units(tmp_path / "in.xlsx")
    else:
        path, _expected = lw.LAYOUT_CASES[case](tmp_path)
    wb = read_workbook(path)
    grids = {g.name: g for g in wb.sheets}
    whole = [annotation_plan(t, grids.get(t.sheet)) for t in analyze(wb).tables]
    assert _batched_plans(path) == whole
    if case == "fragments":
        assert whole[0].marks and any("分页碎片" in str(v[-1]) for v in whole[0].values.values())
