"""PERF_* worksheet functions: called directly, and the way xlwings Lite/Server call them."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfsheet.core.indicators import parse_indicators
from perfsheet.core.targets import parse_target
from perfsheet.core.text import clean_text
from perfsheet.excel import functions as fx
from seed_cells import SEED_CELLS

ROOT = Path(__file__).resolve().parents[1]
FIRST = SEED_CELLS[0]["indicators"]  # 东部城市支持西部地区人才培训费, 8 indicators

TWO = (
    "1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥1.4万人。"
    "2、2-效益指标；22-社会效益；宣传覆盖面；实施周期指标值:≥10；年度指标值:≥5。"
)


# --------------------------------------------------------------------------- direct calls


def test_first_seed_cell_spills_one_row_per_indicator() -> None:
    rows = fx.perf_parse(FIRST)
    assert len(rows) == 8 and all(len(row) == 10 for row in rows)
    assert rows[0] == [1, "产出指标", "数量指标", "培训人数", "≥390", "≥390", "≥", 390, "", "定量"]
    assert rows[4][3:] == ["资金支出合规性", "合规", "合规", "", "合规", "", "定性"]
    assert rows[5][6:] == ["≤", 4000, "元/人", "定量"]
    assert [row[1] for row in rows].count("产出指标") == 5


def test_every_seed_cell_matches_the_core() -> None:
    """The function is a view over parse_indicators: same items, same fields, same order."""
    total = 0
    for cell in SEED_CELLS:
        text = cell["indicators"]
        indicators = parse_indicators(text)
        rows = fx.perf_parse(text)
        assert len(rows) == len(indicators)
        for row, ind in zip(rows, indicators, strict=True):
            assert row[0] == (ind.seq if ind.seq is not None else "")
            assert row[1:6] == [
                ind.level1 or "",
                ind.level2 or "",
                ind.name or "",
                ind.period_value or "",
                ind.annual_value or "",
            ]
            assert row[9] in ("定量", "定性", "待补充")
        total += len(rows)
        assert fx.perf_count(text) == len(indicators)
    assert total == 156


def test_field_and_header() -> None:
    assert fx.perf_parse(TWO, "三级指标") == [["培训人数"], ["宣传覆盖面"]]
    assert fx.perf_parse(TWO, 4, True) == [["三级指标"], ["培训人数"], ["宣传覆盖面"]]
    assert fx.perf_parse(TWO, None, True)[0] == list(fx.HEADERS)
    assert fx.perf_parse(TWO, " 计量单位 ") == [["万人"], [""]]
    message = fx.perf_parse(TWO, "四级指标")
    assert isinstance(message, str) and message.startswith("未知的列：四级指标")
    assert fx.perf_parse(TWO, 11).startswith("未知的列")


def test_annual_target_is_used_when_the_two_values_differ() -> None:
    rows = fx.perf_parse(TWO)
    assert rows[0][4:] == ["≥390", "≥1.4万人", "≥", 1.4, "万人", "定量"]
    assert rows[1][4:8] == ["≥10", "≥5", "≥", 5]  # 年度 5, not 实施周期 10
    only_period = "1、1-产出指标；11-数量指标；培训期数；实施周期指标值:≥7；年度指标值:"
    assert fx.perf_parse(only_period)[0][6:9] == ["≥", 7, ""]


def test_field_gives_one_cell_of_perf_parse() -> None:
    """The scalar form for Excel without dynamic arrays: row n, one column, of PERF_PARSE."""
    rows = fx.perf_parse(FIRST)
    for n, row in enumerate(rows, start=1):
        for column, header in enumerate(fx.HEADERS):
            assert fx.perf_field(FIRST, header, n) == row[column]
            assert fx.perf_field(FIRST, column + 1, float(n)) == row[column]
    assert fx.perf_field(TWO, "三级指标", 2) == "宣传覆盖面"
    assert fx.perf_field(TWO, "三级指标") == "培训人数"  # n defaults to the first
    assert fx.perf_field(TWO, "三级指标", None) == "培训人数"  # an empty cell as n
    assert fx.perf_field(TWO, "目标值", "2") == 5  # a number typed as text
    # filled down past the last indicator: empty cells, not errors
    assert fx.perf_field(TWO, "三级指标", 3) == ""
    assert fx.perf_field(None, "三级指标", 1) == ""
    for bad in (0, -1, 1.5, True, "二", float("nan"), float("inf"), [[1, 2]]):
        assert fx.perf_field(TWO, "三级指标", bad) in (fx.MSG_BAD_POSITION, fx.MSG_MULTI_CELL)
    assert fx.perf_field(TWO, None, 1) == fx.MSG_NO_FIELD
    assert fx.perf_field(TWO, "四级指标", 1).startswith("未知的列：四级指标")
    assert fx.perf_field([["a", "b"]], "三级指标", 1) == fx.MSG_MULTI_CELL


def test_target_function() -> None:
    assert fx.perf_target("≥1.4万人") == [["≥", 1.4, "万人", "定量"]]
    assert fx.perf_target("≥1.4万人", True) == [list(fx.TARGET_HEADERS), ["≥", 1.4, "万人", "定量"]]
    assert fx.perf_target("合规")[0][3] == "定性"
    assert fx.perf_target("待单位补充")[0][3] == "待补充"
    target = parse_target("390")
    assert fx.perf_target(390.0) == [[target.op or "", target.value, target.unit or "", "定量"]]
    assert fx.perf_target(None) == ""


def test_count_by_level1() -> None:
    assert fx.perf_count(FIRST) == 8
    for key in ("产出指标", "产出", "1", 1.0):
        assert fx.perf_count(FIRST, key) == 5
    assert fx.perf_count(FIRST, "效益") == 2
    assert fx.perf_count(FIRST, "满意度指标") == 1
    assert fx.perf_count(FIRST, "成本指标") == 0
    assert fx.perf_count(None) == 0


def test_clean_and_issues() -> None:
    dirty = "<p>1、产出指标&nbsp;；</p><br/>年度指标值：\u3000≥5"
    assert fx.perf_clean(dirty) == clean_text(dirty)
    assert fx.perf_clean(None) == ""
    assert fx.perf_issues(FIRST) == ""  # a clean cell has no issues
    indicators = parse_indicators(TWO)
    expected = [[f"第{i.seq}项：{w}"] for i in indicators for w in i.warnings]
    assert fx.perf_issues(TWO) == (expected or "")
    with_issues = [
        c["indicators"]
        for c in SEED_CELLS
        if any(i.warnings for i in parse_indicators(c["indicators"]))
    ]
    assert with_issues, "the seed has malformed items (e.g. 巫山县 item 6)"
    issues = fx.perf_issues(with_issues[0])
    assert isinstance(issues, list) and all(row[0].startswith("第") for row in issues)


def test_bad_input_gives_a_short_chinese_message() -> None:
    assert fx.perf_parse(None) == ""
    assert fx.perf_parse("   ") == ""
    assert fx.perf_parse([["a", "b"]]) == fx.MSG_MULTI_CELL
    assert fx.perf_parse([[FIRST]])[0][3] == "培训人数"  # a 1x1 range is one cell
    assert fx.perf_parse(True) == fx.MSG_NOT_TEXT
    assert fx.perf_count(object()) == fx.MSG_NOT_TEXT


def test_core_failure_becomes_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import perfsheet.core.indicators as core

    def boom(text: str | None) -> list:
        raise RuntimeError("internal")

    monkeypatch.setattr(core, "parse_indicators", boom)
    assert fx.perf_parse(FIRST) == fx.MSG_FAILED
    assert fx.perf_issues(FIRST) == fx.MSG_FAILED


cell_values = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.text(
        alphabet="1234567890、；;:：。≥≤<>=%万元人产出效益满意度指标年度实施周期值-\n <p>&nbsp;",
        max_size=300,
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.booleans(),
    st.lists(st.lists(st.text(max_size=20), max_size=3), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(
    cell_values,
    st.one_of(st.none(), st.sampled_from(fx.HEADERS), st.text(max_size=5), st.integers()),
    st.booleans(),
)
def test_functions_never_raise(value: object, field: object, header: bool) -> None:
    for result in (
        fx.perf_parse(value, field, header),
        fx.perf_field(value, field, header),
        fx.perf_field(value, "三级指标", field),
        fx.perf_count(value, field),
        fx.perf_target(value, header),
        fx.perf_clean(value),
        fx.perf_issues(value),
    ):
        assert isinstance(result, str | int | list)
        if isinstance(result, str):
            assert "Traceback" not in result
        if isinstance(result, list):
            assert result and all(isinstance(row, list) and row for row in result)
            assert len({len(row) for row in result}) == 1  # rectangular: it spills


# --------------------------------------------------------------------------- xlwings Lite / Server


@pytest.fixture()
def server_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """perfsheet.excel.functions as xlwings Lite/Server load it (XLWINGS_ON_SERVER=true).

    With the licence key set (noncommercial, for this test only), the Office.js engine is
    registered as ``import xlwings`` does when the key is present, on copies of xlwings'
    engine registry that monkeypatch restores afterwards. ``xlwings.func/arg/ret`` are
    then xlwings.server's decorators, and a private copy of the module is executed with
    them, as importing it in Lite does.
    """
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings

    if "officejs" not in xlwings.engines.engines_by_name:
        from xlwings.pro import _xlofficejs, _xlremote

        monkeypatch.setattr(xlwings.engines, "engines", list(xlwings.engines.engines))
        monkeypatch.setattr(
            xlwings.engines, "engines_by_name", dict(xlwings.engines.engines_by_name)
        )
        xlwings.engines.add(xlwings.Engine(impl=_xlremote.engine))
        xlwings.engines.add(xlwings.Engine(impl=_xlofficejs.engine))
        monkeypatch.setattr(xlwings, "__pro__", True)
    import xlwings.server as server

    monkeypatch.setattr(xlwings, "func", server.func)
    monkeypatch.setattr(xlwings, "arg", server.arg)
    monkeypatch.setattr(xlwings, "ret", server.ret)
    spec = importlib.util.find_spec("perfsheet.excel.functions")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call(module: types.ModuleType, name: str, *args: object) -> object:
    import xlwings
    from xlwings.server import custom_functions_call

    data = {
        "func_name": name,
        "args": [[[a]] if not isinstance(a, list) else a for a in args],
        "version": xlwings.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "culture_info_name": "zh-CN",
    }
    return asyncio.run(custom_functions_call(data, module))


def test_registered_for_lite_with_excel_names(server_module: types.ModuleType) -> None:
    from xlwings.server import custom_functions_meta

    meta = custom_functions_meta(server_module)
    by_name = {f["name"]: f for f in meta["functions"]}
    assert set(by_name) == {
        "PERF_PARSE",
        "PERF_FIELD",
        "PERF_COUNT",
        "PERF_TARGET",
        "PERF_CLEAN",
        "PERF_ISSUES",
    }
    params = [p["name"] for p in by_name["PERF_PARSE"]["parameters"]]
    assert params == ["text", "field", "header"]
    assert [p.get("optional", False) for p in by_name["PERF_PARSE"]["parameters"]] == [
        False,
        True,
        True,
    ]
    assert "三级指标" in json.dumps(by_name["PERF_PARSE"], ensure_ascii=False)


def test_custom_functions_call_returns_the_arrays(server_module: types.ModuleType) -> None:
    rows = _call(server_module, "perf_parse", FIRST, None, None)
    assert rows == fx.perf_parse(FIRST)
    assert _call(server_module, "perf_parse", FIRST, "三级指标", True)[:2] == [
        ["三级指标"],
        ["培训人数"],
    ]
    assert _call(server_module, "perf_count", FIRST, "产出") == [[5]]
    assert _call(server_module, "perf_target", "≥1.4万人", None) == [["≥", 1.4, "万人", "定量"]]
    assert _call(server_module, "perf_clean", "a&nbsp;b") == [[clean_text("a&nbsp;b")]]
    assert _call(server_module, "perf_issues", FIRST) == [[""]]
    assert _call(server_module, "perf_field", TWO, "三级指标", 2) == [["宣传覆盖面"]]
    assert _call(server_module, "perf_parse", [["a", "b"]], None, None) == [[fx.MSG_MULTI_CELL]]


def test_lite_import_path_registers_the_functions() -> None:
    """A fresh interpreter with XLWINGS_ON_SERVER=true, as xlwings Lite runs main.py."""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    env["PYTHONPATH"] = str(ROOT / "src")
    code = (
        "from perfsheet.excel.functions import *\n"
        "from perfsheet.excel.scripts import *\n"
        "print(perf_parse.__xlfunc__['excel_name'], perf_parse_sheet.__xlscript__['name'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["PERF_PARSE", "解析指标"]


def test_perf_parse_equals_the_summary_detail_rows_for_the_same_cell() -> None:
    """One answer per cell: =PERF_PARSE on a cell gives the rows 绩效指标明细 holds for it."""
    from perfsheet.core.grid import col_number
    from perfsheet.core.pipeline import analyze
    from perfsheet.core.sheets import SHEET_DETAIL
    from perfsheet.core.summary_rows import SummaryPlan
    from perfsheet.io.readers import read_workbook

    examples = Path(__file__).resolve().parents[1] / "examples"
    example = examples / "source" / "广州市协作办公室_项目支出绩效目标表_整理版.xlsx"
    wb = read_workbook(example)
    result = analyze(wb)
    plan = SummaryPlan(generated_at=None, version="test")
    keys = plan.layout[SHEET_DETAIL]
    wanted = ["指标序号", "一级指标", "二级指标", "三级指标", "实施周期指标值", "年度指标值",
              "比较符", "目标值", "计量单位", "指标性质"]  # fmt: skip
    by_project: dict[str, list[list[object]]] = {}
    for row in plan.detail_rows(result):
        record = dict(zip(keys, row, strict=True))
        cells = ["" if record[k] is None else record[k] for k in wanted]
        by_project.setdefault(record["项目名称"], []).append(cells)

    table = result.tables[0]
    grid = next(g for g in wb.sheets if g.name == table.sheet)
    col = col_number(table.columns["indicators"])
    checked = 0
    for unit in table.units:
        for project in unit.projects:
            spilled = fx.perf_parse(grid.value(project.row, col))
            assert spilled == by_project[project.name], project.name
            checked += len(spilled)
    assert checked == 156


# --------------------------------------------------------------------------- row lists and forms


@pytest.mark.parametrize(
    "case", ["rows_merged", "rows_repeated", "rows_blank_below", "forms_stacked", "forms_per_sheet"]
)
def test_perf_target_serves_the_value_cell_of_every_indicator_row(
    case: str, tmp_path: Path
) -> None:
    """=PERF_TARGET(L5) on a row list's (or a form's) 指标值 cell gives the four target fields
    解析指标 writes beside that row and 绩效指标明细 shows for that indicator."""
    import layout_workbooks as lw
    from perfsheet.core.annotations import annotation_plan
    from perfsheet.core.grid import WorkbookGrid, col_number
    from perfsheet.core.pipeline import analyze
    from perfsheet.io.readers import read_workbook

    path, _expected = getattr(lw, f"build_{case}")(tmp_path)
    checked = 0
    for grid in read_workbook(path).sheets:
        (table,) = analyze(WorkbookGrid(path=str(path), sheets=[grid])).tables
        assert table.layout in ("rows", "form")
        plan = annotation_plan(table, grid)
        value_col = col_number(table.columns["value"])
        for unit in table.units:
            for project in unit.projects:
                for ind in project.indicators:
                    assert ind.row is not None and ind.annual_value
                    r = ind.row  # a row cut at a page break has its value on the next row
                    while grid.value(r, value_col) is None:
                        r += 1
                    cell = grid.value(r, value_col)
                    helper = plan.values[ind.row][:4]
                    assert fx.perf_target(cell) == [["" if v is None else v for v in helper]]
                    checked += 1
    assert checked >= 16


def test_perf_target_on_row_list_values() -> None:
    assert fx.perf_target("≥390人") == [["≥", 390, "人", "定量"]]
    assert fx.perf_target("100%") == [["=", 100, "%", "定量"]]  # a text cell
    assert fx.perf_target("合规") == [["", "合规", "", "定性"]]
    assert fx.perf_target("≤1.8万元/台") == [["≤", 1.8, "万元/台", "定量"]]
    assert fx.perf_target(32.0) == [["=", 32, "", "定量"]]  # a number cell: no unit to read
    assert fx.perf_target("  ") == ""


def test_perf_target_through_custom_functions_call(server_module: types.ModuleType) -> None:
    """As xlwings Lite calls it with a referenced 指标值 cell (a 1x1 range)."""
    assert _call(server_module, "perf_target", "≥1850人", None) == [["≥", 1850, "人", "定量"]]
    assert _call(server_module, "perf_target", "100%", True) == [
        list(fx.TARGET_HEADERS),
        ["=", 100, "%", "定量"],
    ]
    assert _call(server_module, "perf_target", [["合规", "≥5"]], None) == [[fx.MSG_MULTI_CELL]]


def test_perf_parse_stays_for_packed_cells() -> None:
    """A single 指标值 is no packed cell: PERF_PARSE finds no indicator in it."""
    (row,) = fx.perf_parse("≥1850人")
    assert row[1:4] == ["", "", ""] and row[9] == "待补充"
    assert fx.perf_count(TWO) == 2
