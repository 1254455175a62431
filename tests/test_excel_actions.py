"""The ribbon actions against xlwings' remote engine (the engine of xlwings Lite / Server).

Each test builds ``xw.Book(json=payload)`` from the seed example's real values (read with the
project's reader) and asserts the queued actions (``book.json()["actions"]``): which cells get
which values and fills, which sheets are added, cleared or deleted. ``live_payload.replay``
applies the actions to the snapshot to get the payload of the next click (re-runs).
Expected values come from the core run on the *file* (``read_workbook`` + ``analyze``) and
from the file writer, so the live path is checked against the one source of truth.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import shutil
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from live_payload import (
    SEED_SHEET,
    SEED_XLSX,
    Workbook,
    address_key,
    alerts,
    book_of,
    cell_value,
    file_rows,
    of,
    payload,
    run,
    same_cells,
    seed_payload,
    seed_values,
    sheet_json,
    shown,
)
from perfsheet.core.annotations import (
    ERROR_FILL,
    HELPER_FILL,
    HELPER_HEADERS,
    AnnotationPlan,
    annotation_plan,
)
from perfsheet.core.pipeline import analyze
from perfsheet.core.sheets import (
    OWN_SUFFIX,
    RATIO_FORMAT,
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    SHEETS_FACT,
)
from perfsheet.errors import PerfsheetError
from perfsheet.excel import actions, ribbon
from perfsheet.excel.live_book import book_path, fill_rectangles, needs_text_prefix, read_active
from perfsheet.io.readers import read_workbook
from perfsheet.io.rules_file import find_rules_file

N_HELPERS = len(HELPER_HEADERS)
B12 = (12, 2)  # 总计 of the first project (东部城市支持西部地区人才培训费)


pytestmark = pytest.mark.usefixtures("live_engine")


def file_plan(values: list[list[Any]] | None = None) -> tuple[Any, AnnotationPlan]:
    """The core's annotation plan for the seed table, computed from the file (or from the
    given values through the same grid type), independently of the live read path."""
    if values is None:
        wb = read_workbook(SEED_XLSX)
    else:
        from perfsheet.core.grid import SheetGrid, WorkbookGrid

        rows = [[None if v == "" else v for v in r] for r in values]
        wb = WorkbookGrid(path="x", sheets=[SheetGrid(name=SEED_SHEET, rows=rows)])
    result = analyze(wb)
    return result, annotation_plan(result.tables[0], wb.sheets[0])


def facts(state: Workbook, notes: str = SHEET_NOTES) -> dict[str, Any]:
    """The 文件 facts of a 说明 sheet (名称 -> 内容)."""
    return {r[1]: r[2] for r in state.rows(notes)[1:] if r and r[0] == "文件"}


def broken_values() -> list[list[Any]]:
    """The seed with one wrong 总计 (B12: 121.00 instead of 120.00)."""
    values = seed_values()
    assert values[11][0] == "东部城市支持西部地区人才培训费" and values[11][1] == "120.00"
    values[11][1] = "121.00"
    return values


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_live_grid_equals_the_file_grid_and_gives_the_same_tables() -> None:
    book = book_of(seed_payload())
    sheet, wb = read_active(book)
    file_grid = read_workbook(SEED_XLSX).sheets[0]
    assert sheet.name == SEED_SHEET

    def trimmed(rows: list[list[Any]]) -> list[list[Any]]:
        out = [list(r) for r in rows]
        for r in out:
            while r and r[-1] is None:
                r.pop()
        return out

    assert wb.sheets[0].rows == trimmed(file_grid.rows)
    assert (wb.sheets[0].origin_row, wb.sheets[0].origin_col) == (1, 1)
    live_json = analyze(wb).model_dump(exclude={"file"})
    file_json = analyze(read_workbook(SEED_XLSX)).model_dump(exclude={"file"})
    assert live_json == file_json
    assert book.json()["actions"] == []  # reading queues nothing


def test_a_used_range_that_does_not_start_at_a1() -> None:
    """Office.js reports the used range's address; values are anchored at A1. The table
    moved to B3 gives the same plan two rows down and one column right."""
    seed = seed_values()
    width = len(seed[0]) + 1
    values = [[""] * width, [""] * width] + [["", *r] for r in seed]
    sheet = sheet_json(SEED_SHEET, values)
    sheet["used_range_address"] = f"B3:H{len(values)}"
    _live, wb = read_active(book_of(payload([sheet])))
    assert (wb.sheets[0].origin_row, wb.sheets[0].origin_col) == (3, 2)
    _r, queued, _after = run("parse", payload([sheet]))
    (block,) = of(queued, "setValues", 0)
    assert (block["start_row"] + 1, block["start_column"] + 1) == (11, 9)  # I11
    _res, plan = file_plan(values)  # the same cells, read as a grid anchored at A1
    assert plan.block()[0] == "I11"
    assert [[shown(v) for v in line] for line in block["values"]] == [
        ["" if v is None else v for v in line] for line in plan.block()[1]
    ]
    assert shown(block["values"][4][6]).startswith("分页碎片，已并入第17行")


# --------------------------------------------------------------------------------------------
# 解析指标
# --------------------------------------------------------------------------------------------


def test_parse_writes_exactly_the_annotation_plan_in_one_block() -> None:
    result, queued, after = run("parse", seed_payload())
    _res, plan = file_plan()
    assert plan.blocked is None and plan.start_col == 8  # H, right of 绩效指标 (G)
    writes = of(queued, "setValues", 0)
    assert len(writes) == 1
    (block,) = writes
    address, rows = plan.block()
    assert address == "H9"
    assert (block["start_row"] + 1, block["start_column"] + 1) == (9, 8)
    assert (block["row_count"], block["column_count"]) == (len(rows), N_HELPERS)
    assert [[shown(v) for v in line] for line in block["values"]] == [
        ["" if v is None else v for v in line] for line in rows
    ]
    written = {
        f"{chr(64 + 8 + j)}{9 + i}": shown(v)
        for i, line in enumerate(block["values"])
        for j, v in enumerate(line)
        if v != ""
    }
    assert written == plan.cell_values()
    # spot checks against the seed: header, first project (8 indicators, 5 产出), a fragment
    assert [after.value(SEED_SHEET, 9, c) for c in range(8, 15)] == list(HELPER_HEADERS)
    assert [after.value(SEED_SHEET, 12, c) for c in range(8, 14)] == [8, 5, 2, 1, 0, 0.875]
    assert after.value(SEED_SHEET, 13, 14).startswith("分页碎片，已并入第15行")
    # header fill and bold, ratio format on the 定量占比 column body
    fill = of(queued, "setRangeColor", 0)
    assert [
        (a["args"], a["start_row"] + 1, a["start_column"] + 1, a["column_count"]) for a in fill
    ] == [(["#" + HELPER_FILL], 9, 8, N_HELPERS)]
    assert of(queued, "setFontProperty", 0)[0]["args"] == ["bold", True]
    assert after.formats[(SEED_SHEET, 12, 13)] == RATIO_FORMAT
    assert (SEED_SHEET, 12, 12) not in after.formats
    # nothing else is touched: no sheets added, no marks
    assert of(queued, "addSheet") == [] and of(queued, "sheetDelete") == []
    assert of(queued, "addNote") == [] and of(queued, "setRangeColors") == []
    assert result.helper_columns == ["H–N"]
    assert (result.counts.projects, result.counts.indicators) == (23, 156)
    (message,) = alerts(queued)
    assert "23 个项目、156 条指标" in message and "H–N" in message


def test_parse_again_replaces_the_helper_columns() -> None:
    _r, first, once = run("parse", seed_payload())
    _r, second, twice = run("parse", once)
    # the same block, at the same place, with the same values: no new columns
    assert of(second, "setValues", 0) == of(first, "setValues", 0)
    assert twice.sheet(SEED_SHEET)["values"] == once.sheet(SEED_SHEET)["values"]
    width = max(len(r) for r in twice.sheet(SEED_SHEET)["values"])
    assert width == 7 + N_HELPERS


def test_parse_finds_its_columns_by_header_after_they_moved() -> None:
    """The user inserted an empty column between the table and the helper columns: the old
    helper columns (now I–O) are recognized by their headers; the new ones go to H–N and the
    column left over (O) is cleared."""
    _r, _q, once = run("parse", seed_payload())
    moved = [[*r[:7], "", *r[7:]] for r in once.sheet(SEED_SHEET)["values"]]
    state = payload([sheet_json(SEED_SHEET, moved)])
    _r, queued, after = run("parse", state)
    cleared = of(queued, "rangeClearContents", 0)
    assert [(a["start_column"] + 1, a["column_count"]) for a in cleared] == [(15, 1)]
    assert [after.value(SEED_SHEET, 9, c) for c in range(8, 16)] == [*HELPER_HEADERS, None]
    assert after.rows(SEED_SHEET) == once.rows(SEED_SHEET)


def test_occupied_helper_area_stops_with_a_message_and_writes_nothing() -> None:
    values = seed_values()
    for line in values:
        line.extend([""] * 3)
    values[19][9] = "请勿删除：审核意见"  # J20, user content where 效益 would go
    state = payload([sheet_json(SEED_SHEET, values)])
    result, queued, _after = run("parse", state)
    assert result is None
    assert [a["func"] for a in queued] == ["alert"]
    (message,) = alerts(queued)
    assert message.startswith("解析指标：")
    assert "J20" in message and "无法写入辅助列" in message and "未写入任何内容" in message
    with pytest.raises(PerfsheetError, match="J20"):
        actions.parse_indicators(book_of(state))


# --------------------------------------------------------------------------------------------
# 校验合计
# --------------------------------------------------------------------------------------------


def test_check_marks_error_cells_and_writes_the_findings_sheet() -> None:
    values = broken_values()
    result, queued, after = run("check", payload([sheet_json(SEED_SHEET, values)]))
    res, plan = file_plan(values)
    marks = {(m.row, m.col): m for m in plan.marks}
    assert set(marks) == {(11, 2), B12}  # the unit subtotal and the row total
    # fills: exactly the marked cells, in ERROR_FILL; notes: the plan's note texts
    source_fills = {(r, c): v for (s, r, c), v in after.fills.items() if s == SEED_SHEET}
    assert source_fills == {k: "#" + ERROR_FILL for k in marks}
    source_notes = {(r, c): v for (s, r, c), v in after.notes.items() if s == SEED_SHEET}
    assert source_notes == {k: m.note for k, m in marks.items()}
    assert "实为 121.00" in source_notes[B12]
    # no value on the source sheet is written
    assert of(queued, "setValues", 0) == []
    # 校验结果 (with its 说明) added once, with the plan's finding rows
    assert [a["args"] for a in of(queued, "addSheet")] == [
        [1, SHEET_FINDINGS],
        [2, SHEET_NOTES],
        [3, actions.MARKS_SHEET],
    ]
    rows = after.rows(SHEET_FINDINGS)
    assert rows[0] == ["级别", "规则", "位置", "项目/单位", "说明", "期望值", "实际值", "差额"]
    assert len(rows) - 1 == len(res.tables[0].findings) == result.rows[SHEET_FINDINGS]
    errors = [r for r in rows[1:] if r[0] == "错误"]
    assert [r[1:3] for r in errors] == [
        ["单位小计", f"{SEED_SHEET}!B11"],
        ["行合计", f"{SEED_SHEET}!B12"],
    ]
    assert errors[1][5:] == [120.0, 121.0, 1.0]
    # the error rows of 校验结果 are red, like the template's conditional format
    first_error = 2 + [r[0] for r in rows[1:]].index("错误")
    assert after.fills[(SHEET_FINDINGS, first_error, 1)] == "#FFC7CE"
    # 说明 names the sheets perfsheet generated here: the next run recognizes them
    assert facts(after)[SHEETS_FACT] == f"{SHEET_FINDINGS}、{SHEET_NOTES}"
    # the list of marks is a hidden sheet; the source sheet is active again
    assert after.sheet(actions.MARKS_SHEET)["visibility"] == "Hidden"
    assert after.payload["book"]["active_sheet_index"] == 0
    assert (result.marks, result.money_errors, result.notes_added) == (2, 2, 2)
    (message,) = alerts(queued)
    assert "金额合计有 2 处错误" in message and "2 个有错误的单元格" in message


def test_check_again_after_the_fix_removes_only_its_own_marks() -> None:
    values = broken_values()
    # the user has a note of their own on B12 and a fill elsewhere
    state = payload([sheet_json(SEED_SHEET, values, notes=["B12"])])
    _r, first, once = run("check", state)
    assert [a["args"][0] for a in of(first, "addNote", 0)] == ["$B$11"]  # B12: user's note kept
    assert of(first, "deleteNote") == [] and of(first, "setNoteText") == []
    assert once.fills[(SEED_SHEET, *B12)] == "#" + ERROR_FILL
    # run again unchanged: same marks, note text replaced in place, 校验结果 replaced
    _r, second, twice = run("check", once)
    assert of(second, "addSheet") == []
    assert len(of(second, "sheetClear")) == 3  # 校验结果, 说明 and the hidden list, reused
    assert [a["args"][0] for a in of(second, "setNoteText", 0)] == ["$B$11"]
    assert of(second, "addNote") == []
    assert twice.names() == once.names()
    assert twice.rows(SHEET_FINDINGS) == once.rows(SHEET_FINDINGS)
    # the user fixes B12: our marks go away, the user's note stays
    fixed = twice.payload
    fixed["sheets"][0]["values"][11][1] = "120.00"
    result, third, thrice = run("check", fixed)
    source_fills = {k: v for k, v in thrice.fills.items() if k[0] == SEED_SHEET}
    assert source_fills == {}
    assert [a["args"][0] for a in of(third, "deleteNote", 0)] == ["$B$11"]
    notes = [address_key(n["address"]) for n in thrice.sheet(SEED_SHEET)["notes"]]
    assert notes == [B12]
    assert actions.MARKS_SHEET not in thrice.names()  # nothing marked any more
    assert [r[0] for r in thrice.rows(SHEET_FINDINGS)[1:]].count("错误") == 0
    assert result.marks_cleared == 2 and result.marks == 0
    assert "金额合计全部正确" in alerts(third)[0]


def test_check_without_notes_support_still_fills() -> None:
    """Office Scripts / Google clients have no notes: fills only, and the message says so."""
    data = payload([sheet_json(SEED_SHEET, broken_values())], client="Microsoft Office Scripts")
    for s in data["sheets"]:
        del s["notes"]
    result, queued, after = run("check", data)
    assert of(queued, "addNote") == []
    assert {(r, c) for (s, r, c) in after.fills if s == SEED_SHEET} == {(11, 2), B12}
    assert result.notes_skipped == 2
    assert "未加批注" in alerts(queued)[0]


# --------------------------------------------------------------------------------------------
# 生成汇总
# --------------------------------------------------------------------------------------------


def test_summary_sheets_hold_the_file_writers_rows(tmp_path: Path) -> None:
    """One source of truth: the live sheets and the --no-source file have the same cells."""
    from perfsheet.summary import summarize

    result, queued, after = run("summary", seed_payload(name=SEED_XLSX.name))
    out = tmp_path / "out.xlsx"
    summarize(SEED_XLSX, out, with_source=False)
    assert [a["args"] for a in of(queued, "addSheet")] == [
        [1, SHEET_DETAIL],
        [2, SHEET_PROJECTS],
        [3, SHEET_FINDINGS],
        [4, SHEET_NOTES],
    ]
    for name in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, SHEET_NOTES):
        live = after.rows(name)
        written = file_rows(out, name)
        if name == SHEET_PROJECTS:
            written = written[: len(live)]  # the file has a chart data block below the total
        if name == SHEET_NOTES:  # generated at a different second
            live = [r for r in live if r[1] != "生成时间"]
            written = [r for r in written if r[1] != "生成时间"]
        assert same_cells(live, written), name
    # one block write per sheet, never on the source sheet
    assert of(queued, "setValues", 0) == []
    assert [len(of(queued, "setValues", i)) for i in (1, 2, 3, 4)] == [1, 1, 1, 1]
    assert len(after.rows(SHEET_DETAIL)) == 1 + 156
    assert len(after.rows(SHEET_PROJECTS)) == 1 + 23 + 1
    total = after.rows(SHEET_PROJECTS)[-1]
    assert total[2] == "合计（23 个项目）" and total[3] == "=SUBTOTAL(109,D2:D24)"
    assert total[12] == '=IFERROR(SUMPRODUCT(H2:H24,M2:M24)/SUM(H2:H24),"")'
    # locations link to the source cells
    link = of(queued, "setValues", 2)[0]["values"][1][-1]
    assert link == f'=HYPERLINK("#\'{SEED_SHEET}\'!A12","{SEED_SHEET}!A12")'
    assert after.formats[(SHEET_PROJECTS, 2, 4)] == "#,##0.00"
    assert after.payload["book"]["active_sheet_index"] == 2  # 项目汇总
    assert facts(after)[SHEETS_FACT] == "、".join(
        (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, SHEET_NOTES)
    )
    assert result.rows == {SHEET_DETAIL: 156, SHEET_PROJECTS: 23, SHEET_FINDINGS: 81}
    (message,) = alerts(queued)
    assert "156 行" in message and "23 个项目" in message and "新建" in message


def test_summary_again_replaces_the_sheets_in_place() -> None:
    _r, _q, once = run("summary", seed_payload())
    assert once.payload["book"]["active_sheet_index"] == 2  # 项目汇总
    once.payload["book"]["active_sheet_index"] = 0  # the user goes back to the table
    result, queued, twice = run("summary", once)
    assert of(queued, "addSheet") == [] and of(queued, "sheetDelete") == []
    assert sorted(a["sheet_position"] for a in of(queued, "sheetClear")) == [1, 2, 3, 4]
    assert twice.names() == once.names()
    for name in (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS):
        assert twice.rows(name) == once.rows(name)
    assert result.replaced_sheets == [SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, SHEET_NOTES]
    assert "已替换原有的" in alerts(queued)[0]


def test_check_then_summary_then_check_keep_one_set_of_sheets() -> None:
    state: dict[str, Any] | Workbook = seed_payload()
    _r, _q, state = run("check", state)
    assert state.names() == [SEED_SHEET, SHEET_FINDINGS, SHEET_NOTES]
    _r, queued, state = run("summary", state)
    assert [a["args"][1] for a in of(queued, "addSheet")] == [SHEET_DETAIL, SHEET_PROJECTS]
    assert state.names() == [SEED_SHEET, SHEET_FINDINGS, SHEET_NOTES, SHEET_DETAIL, SHEET_PROJECTS]
    state.payload["book"]["active_sheet_index"] = 0
    _r, queued, state = run("check", state)
    assert of(queued, "addSheet") == [] and of(queued, "sheetDelete") == []
    assert facts(state)[SHEETS_FACT] == "、".join(
        (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, SHEET_NOTES)
    )


def test_user_sheets_named_like_ours_are_never_touched() -> None:
    """The user's table is on a sheet called 项目汇总, next to their own 说明: perfsheet's
    sheets get the suffix （perfsheet）, the user's two sheets receive no action, and the
    next run recognizes perfsheet's sheets by their 说明 and replaces them."""
    user_notes = [["填表说明"], ["1. 金额单位为万元"], ["2. 绩效指标按财预〔2021〕101号填写"]]
    data = payload([sheet_json(SHEET_PROJECTS, seed_values()), sheet_json(SHEET_NOTES, user_notes)])
    result, queued, after = run("summary", data)
    ours = [SHEET_DETAIL, SHEET_PROJECTS + OWN_SUFFIX, SHEET_FINDINGS, SHEET_NOTES + OWN_SUFFIX]
    assert [a["args"][1] for a in of(queued, "addSheet")] == ours
    assert all(a["sheet_position"] not in (0, 1) for a in queued if a["func"] != "alert")
    assert after.rows(SHEET_NOTES) == user_notes
    assert result.rows[SHEET_PROJECTS + OWN_SUFFIX] == 23
    assert "（perfsheet）" in alerts(queued)[0]
    after.payload["book"]["active_sheet_index"] = 0
    _r, again, twice = run("summary", after)
    assert of(again, "addSheet") == [] and of(again, "sheetDelete") == []
    assert twice.names() == after.names()
    assert all(a["sheet_position"] not in (0, 1) for a in again if a["func"] != "alert")


def test_summary_guards_user_text_that_excel_would_turn_into_a_formula() -> None:
    values = seed_values()
    values[11][0] = '=HYPERLINK("http://evil","点我")'  # a project name
    values[13][0] = "-东部城市项目"
    _r, queued, after = run("summary", payload([sheet_json(SEED_SHEET, values)]))
    detail = of(queued, "setValues", 1)[0]["values"]
    names = {line[2] for line in detail[1:]}
    assert '\'=HYPERLINK("http://evil","点我")' in names
    assert not any(isinstance(n, str) and n.startswith("=") for n in names)
    assert after.value(SHEET_DETAIL, 2, 3) == '=HYPERLINK("http://evil","点我")'


# --------------------------------------------------------------------------------------------
# What the actions never do
# --------------------------------------------------------------------------------------------


def test_input_values_are_never_written_over() -> None:
    """Every button, one after the other: no write covers a non-empty input cell, and the
    input values are the same at the end."""
    original = seed_values()
    state: dict[str, Any] | Workbook = payload([sheet_json(SEED_SHEET, broken_values())])
    values0 = broken_values()
    for tag in ("parse", "check", "summary", "parse", "check"):
        _r, queued, state = run(tag, state)
        for a in queued:
            if (
                a["func"] in ("setValues", "rangeClearContents", "rangeClear")
                and a["sheet_position"] == 0
            ):
                r0, c0 = a["start_row"] + 1, a["start_column"] + 1
                for r in range(r0, r0 + a["row_count"]):
                    for c in range(c0, c0 + a["column_count"]):
                        assert cell_value(values0, r, c) is None, (tag, r, c)
            assert a["func"] not in ("sheetDelete",) or a["sheet_position"] != 0
        assert state.names()[0] == SEED_SHEET
        final = state.sheet(SEED_SHEET)["values"]
        for r, line in enumerate(values0, start=1):
            for c, v in enumerate(line, start=1):
                assert cell_value(final, r, c) == (None if v == "" else v)
    assert original[11][1] == "120.00"


def test_the_generated_sheets_are_refused_as_input() -> None:
    _r, _q, after = run("summary", seed_payload())
    data = after.payload
    data["book"]["active_sheet_index"] = 2  # 项目汇总 active
    result, queued, _ = run("parse", data)
    assert result is None
    assert [a["func"] for a in queued] == ["alert"]
    assert "是 perfsheet 生成的表" in alerts(queued)[0]


def test_a_sheet_without_a_table_gives_a_message() -> None:
    data = payload([sheet_json("封面", [["2025 年部门预算"], ["某某局"]])])
    result, queued, _ = run("check", data)
    assert result is None
    (message,) = alerts(queued)
    assert message.startswith("校验合计：") and "未找到绩效目标表" in message
    assert [a["func"] for a in queued] == ["alert"]


def test_rules_file_in_the_home_directory_is_used(tmp_path: Path) -> None:
    baseline, _q, _s = run("check", seed_payload())
    (tmp_path / "home" / "perfsheet.rules.toml").write_text(
        "[indicator-vague]\nenabled = false\n", encoding="utf-8"
    )
    result, _q, _s = run("check", seed_payload())
    vague = sum(1 for f in file_plan()[0].tables[0].findings if f.rule == "indicator-vague")
    assert vague > 0
    assert result.counts.warnings == baseline.counts.warnings - vague


def test_a_broken_rules_file_is_a_message_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "home" / "perfsheet.rules.toml").write_text(
        "[indicator-vague]\nenabled = maybe\n", encoding="utf-8"
    )
    result, queued, _ = run("parse", seed_payload())
    assert result is None
    (message,) = alerts(queued)
    assert message.startswith("解析指标：") and "第 2 行" in message
    assert [a["func"] for a in queued] == ["alert"]


def test_text_prefix_rule() -> None:
    for text in ("=1+1", "+86", "-5", "@x", "001", "3.5", "2025-01-01", "12%", "TRUE", "#REF!"):
        assert needs_text_prefix(text), text
    for text in ("合规", "≥390", "东部城市", "项目支出绩效目标表!G12", "A12"):
        assert not needs_text_prefix(text), text


# --------------------------------------------------------------------------------------------
# The entry points: classic ribbon (Book.caller) and xlwings Lite scripts
# --------------------------------------------------------------------------------------------


def test_classic_ribbon_run_acts_on_the_caller_book() -> None:
    import xlwings as xw

    direct = book_of(seed_payload())
    actions.parse_indicators(direct)
    book = book_of(seed_payload())
    book.set_mock_caller()
    try:
        result = ribbon.run("parse")
    finally:
        del xw.Book._mock_caller
    assert result.helper_columns == ["H–N"]
    assert book.json()["actions"] == direct.json()["actions"]


@pytest.fixture()
def lite_scripts(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """perfsheet.excel.scripts as xlwings Lite loads it (xlwings.script = the server one)."""
    import xlwings
    import xlwings.server as server

    monkeypatch.setattr(xlwings, "script", server.script)
    spec = importlib.util.find_spec("perfsheet.excel.scripts")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.perf_generate_summary.__xlscript__["name"] == "生成汇总"
    return module


def test_lite_scripts_run_the_same_actions(
    lite_scripts: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    import xlwings as xw
    from xlwings.server import custom_scripts_call

    from perfsheet.core import summary_rows

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Frozen:
            return cls(2025, 3, 1, 9, 30, 0)

    # 说明 carries the generation time: the two runs compared below must not straddle a minute
    monkeypatch.setattr(summary_rows, "_dt", types.SimpleNamespace(datetime=Frozen))

    for script, tag in (
        ("perf_parse_sheet", "parse"),
        ("perf_check_totals", "check"),
        ("perf_generate_summary", "summary"),
    ):
        book = book_of(payload([sheet_json(SEED_SHEET, broken_values())]))
        returned = asyncio.run(
            custom_scripts_call(lite_scripts, script, typehint_to_value={xw.Book: book})
        )
        assert returned is book
        direct = book_of(payload([sheet_json(SEED_SHEET, broken_values())]))
        ribbon.dispatch(direct, tag)
        assert book.json()["actions"] == direct.json()["actions"], script
    # no local folders in the browser: 批量转换 explains that and writes nothing
    book = book_of(seed_payload())
    asyncio.run(
        custom_scripts_call(lite_scripts, "perf_batch_convert", typehint_to_value={xw.Book: book})
    )
    assert alerts(book.json()["actions"]) == [lite_scripts.MSG_NO_FOLDERS]
    # nor a folder for 导出模板: the ribbon's action says where a template can go
    book = book_of(seed_payload())
    asyncio.run(
        custom_scripts_call(lite_scripts, "perf_export_template", typehint_to_value={xw.Book: book})
    )
    assert alerts(book.json()["actions"]) == [f"导出模板：{actions.MSG_NO_FOLDER}"]


def test_rules_are_looked_up_next_to_a_saved_workbook(tmp_path: Path) -> None:
    """Classic Excel knows the workbook's path; the remote engine only its name."""

    class Saved:
        fullname = str(tmp_path / "预算" / "表.xlsx")

    class Remote:
        fullname = "表.xlsx"

    assert book_path(Saved()) == tmp_path / "预算" / "表.xlsx"
    assert book_path(Remote()) is None
    folder = tmp_path / "预算"
    folder.mkdir()
    (folder / "perfsheet.rules.toml").write_text("", encoding="utf-8")
    assert find_rules_file(book_path(Saved())) == folder / "perfsheet.rules.toml"


# --------------------------------------------------------------------------------------------
# 批量转换
# --------------------------------------------------------------------------------------------


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def test_batch_convert_the_chosen_folder_and_report(tmp_path: Path) -> None:
    folder = tmp_path / "各部门 2025"
    folder.mkdir()
    shutil.copy(SEED_XLSX, folder / "协作办.xlsx")
    shutil.copy(SEED_XLSX, folder / "协作办（重报）.xlsx")  # the same table again
    (folder / "坏文件.xlsx").write_bytes(b"not a workbook")
    (folder / "说明.txt").write_text("不是工作簿", encoding="utf-8")
    before = _digest(folder)
    book = book_of(seed_payload())
    hex_units = str(folder).encode("utf-16-be").hex().upper()
    book.set_mock_caller()
    import xlwings as xw

    try:
        result = ribbon.run("convert:folder", folder_hex=hex_units)
    finally:
        del xw.Book._mock_caller
    out = folder / actions.OUTPUT_FOLDER
    assert (out / "协作办_绩效汇总.xlsx").is_file()
    assert (out / "绩效汇总_合并.xlsx").is_file()
    assert _digest(folder) == before  # inputs untouched, nothing else written beside them
    # the copy is counted once
    assert (result.counts.projects, result.counts.indicators) == (23, 156)
    (message,) = alerts(book.json()["actions"])
    assert "成功 2 个，失败 1 个，跳过 1 个" in message
    assert "重复的表格 1 个：只计一次" in message
    assert "坏文件.xlsx" in message and str(out) in message
    # the book itself is not written
    assert [a["func"] for a in book.json()["actions"]] == ["alert"]


def test_batch_convert_of_a_missing_folder_is_a_message(tmp_path: Path) -> None:
    book = book_of(seed_payload())
    assert ribbon.dispatch(book, "convert:folder", str(tmp_path / "没有这个文件夹")) is None
    (message,) = alerts(book.json()["actions"])
    assert message.startswith("批量转换：找不到文件夹")


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(1, 12), st.integers(1, 6)),
        st.sampled_from(["#FFC7CE", "#ffeb9c", None]),
        max_size=40,
    )
)
def test_fill_rectangles_cover_exactly_the_cells(fills: dict) -> None:
    """Classic engines colour rectangles: together they are exactly the given cells."""
    painted: dict[tuple[int, int], str | None] = {}
    for r1, c1, r2, c2, color in fill_rectangles(fills):
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                assert (r, c) not in painted
                painted[(r, c)] = color
    assert painted == {k: (v.upper() if v else None) for k, v in fills.items()}


def test_fill_rectangles_merge_rows_of_one_colour() -> None:
    fills = {(r, c): "#FFEB9C" for r in range(2, 12) for c in range(1, 9)}
    fills.update({(12, c): "#FFC7CE" for c in range(1, 9)})
    assert fill_rectangles(fills) == [(2, 1, 11, 8, "#FFEB9C"), (12, 1, 12, 8, "#FFC7CE")]


@pytest.mark.parametrize("in_thread", [False, True])
def test_actions_run_under_the_time_limit(in_thread: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' time limit applies to the ribbon actions too — also when Excel calls
    them from another thread; the action stops before writing anything."""
    import threading

    from perfsheet import limits

    # the seed's rows 40 times (≈ 900 projects): analysing them takes far longer than the
    # limit, whichever thread the alarm has to reach
    values = seed_values()
    head = next(i for i, row in enumerate(values) if str(row[0]).startswith("项目名称")) + 1
    big = payload([sheet_json(SEED_SHEET, values[:head] + values[head:] * 40)])
    monkeypatch.setattr(limits, "TIME_LIMIT_SECONDS", 0.01)
    out: dict[str, Any] = {}

    def click() -> None:
        out["run"] = run("summary", big)

    if in_thread:
        t = threading.Thread(target=click, daemon=True)
        t.start()
        t.join(60)
    else:
        click()
    result, queued, _ = out["run"]
    assert result is None
    assert [a["func"] for a in queued] == ["alert"]
    assert "处理时间超过上限" in alerts(queued)[0]
