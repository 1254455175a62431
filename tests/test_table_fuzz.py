"""build_tables on generated grids: never raises, and no data row is ever lost."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfsheet.core.grid import SheetGrid, WorkbookGrid
from perfsheet.core.layouts import build_tables
from workbooks import STD_HEADER

NAMES = ["培训经费", "示例中心", "道路维修资金", "信息化运维项目", "示例局机关", "图书购置"]
PIECES = ["1、", "2、", "3、", "1-产出指标；", "11-数量指标；", "年度指标值:", "≥1", "0万人", "。",
          "；", "提升", "<p>", "</p>", "\n", " ", "效益指", "标", "合规", "人数"]  # fmt: skip


def _visible(t: str) -> str:
    return re.sub(r"</?p>|\s", "", t)


text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
amount = st.one_of(
    st.none(),
    st.integers(0, 10**6),
    st.sampled_from(["1,200.50", "-", "—", "约12万", "", "3.14", "０．５"]),
)


@st.composite
def rows(draw: st.DrawFn) -> tuple[list[list[object]], set[int]]:
    out: list[list[object]] = [["示例县项目支出绩效目标表"], ["单位：万元"], list(STD_HEADER)]
    fragments: set[int] = set()
    if draw(st.booleans()):
        out.append(["合计", draw(amount), draw(amount), None, draw(amount), None, None])
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["project", "project", "frag", "unit", "blank"]))
        if kind == "project":
            goal = draw(st.one_of(st.none(), text))
            ind = draw(text)
            out.append([draw(st.sampled_from(NAMES)), draw(amount), draw(amount), None, None,
                        goal, ind])  # fmt: skip
        elif kind == "frag":
            goal, ind = draw(st.one_of(st.none(), text)), draw(st.one_of(st.none(), text))
            if goal is None and ind is None:
                ind = draw(text)
            if any(t is not None and _visible(t) for t in (goal, ind)):
                fragments.add(len(out) + 1)
            out.append([None, None, None, None, None, goal, ind])
        elif kind == "unit":
            out.append([draw(st.sampled_from(NAMES)), draw(amount), draw(amount), None, None,
                        None, None])  # fmt: skip
        else:
            out.append([])
    return out, fragments


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows())
def test_never_raises_and_never_drops_a_fragment(data: tuple[list[list[object]], set[int]]) -> None:
    grid_rows, fragments = data
    wb = WorkbookGrid(path="fuzz.xlsx", sheets=[SheetGrid(name="表1", rows=grid_rows)])
    (table,) = build_tables(wb)
    project_rows: list[int] = []
    for unit in table.units:
        for p in unit.projects:
            assert p.row in p.rows
            project_rows.extend(p.rows)
    assert len(project_rows) == len(set(project_rows)), "a row merged into two projects"
    orphans = {f.row for f in table.findings if f.rule == "fragment-orphan"}
    merged = {f.row for f in table.findings if f.rule == "fragment-merged"}
    assert not orphans & set(project_rows)
    for row in fragments:
        assert (row in project_rows) != (row in orphans), f"row {row} lost or doubled"
        assert (row in merged) == (row in project_rows)
    for f in table.findings:
        assert f.message and "\n" not in f.message
