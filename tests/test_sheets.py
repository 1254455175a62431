"""The standard sheets (pure core): header matching, and which sheets an earlier run wrote."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfsheet.core.grid import SheetGrid
from perfsheet.core.sheets import (
    COLUMNS,
    SHEET_DETAIL,
    STANDARD_SHEETS,
    header_key,
    match_columns,
    own_sheets,
    standard_sheet_names,
)
from summary_helpers import plan

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
