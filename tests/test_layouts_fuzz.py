"""Property tests of the row-list reader: any list of projects, written one indicator per row in
any of the three ways departments write project cells (merged, repeated, blank below), reads
back as exactly those projects and indicators; nothing is lost or invented. Grids are built in
memory (the core takes a grid, not a file), so hypothesis can try many tables."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfsheet.core.grid import MergedRange, SheetGrid, WorkbookGrid
from perfsheet.core.layouts import build_tables

CATS = [
    ("产出指标", "数量指标"),
    ("产出指标", "质量指标"),
    ("产出指标", "时效指标"),
    ("效益指标", "社会效益指标"),
    ("效益指标", "经济效益指标"),
    ("满意度指标", "服务对象满意度指标"),
    ("成本指标", "经济成本指标"),
]
NAMES = st.text(alphabet="培训人数合格率及时满意度覆盖面积完成宣传场次资金", min_size=4, max_size=9)
VALUES = st.sampled_from(["≥390人", "100%", "≤30天", "合规", "有所提升", "每月5日前", "≥95%"])

indicator = st.tuples(st.sampled_from(CATS), NAMES, VALUES)
project = st.tuples(
    st.integers(min_value=1, max_value=99_999),  # fiscal, in cents
    st.integers(min_value=0, max_value=9_999),  # other, in cents
    st.lists(indicator, min_size=1, max_size=6),
)

HEADER = ["项目名称", "总计", "财政拨款", "其他资金", "绩效目标", "一级指标", "二级指标",
          "三级指标", "指标值"]  # fmt: skip


def _grid(projects: list, style: str, repeat_header_at: int | None) -> SheetGrid:
    rows: list[list] = [["2025年示例局项目支出绩效目标表"], HEADER]
    merged: list[MergedRange] = []
    for k, (fiscal, other, items) in enumerate(projects):
        if repeat_header_at == k:
            rows.append(list(HEADER))  # a page top of a PDF conversion
        name = f"第{k + 1}号项目经费"
        cells = [name, (fiscal + other) / 100, fiscal / 100, other / 100 or None, f"目标{k + 1}。"]
        top = len(rows) + 1
        prev_cat = None
        for j, ((l1, l2), ind_name, value) in enumerate(items):
            first = j == 0
            project_cells = cells if first or style == "repeated" else [None] * 5
            l1_cell = l1 if (prev_cat is None or prev_cat[0] != l1 or style == "repeated") else None
            l2_cell = l2 if (prev_cat != (l1, l2) or style == "repeated") else None
            rows.append([*project_cells, l1_cell, l2_cell, ind_name, value])
            prev_cat = (l1, l2)
        bottom = len(rows)
        if style == "merged" and bottom > top:
            merged.extend(MergedRange(top, c, bottom, c) for c in range(1, 6))
    return SheetGrid(name="表1", rows=rows, merged=merged)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    projects=st.lists(project, min_size=1, max_size=6),
    style=st.sampled_from(["merged", "repeated", "blank"]),
    repeat=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
)
def test_row_lists_read_back_exactly(projects: list, style: str, repeat: int | None) -> None:
    grid = _grid(projects, style, repeat if repeat is not None and repeat < len(projects) else None)
    (t,) = build_tables(WorkbookGrid("内存.xlsx", [grid]))
    assert t.layout == "rows"
    got = [p for u in t.units for p in u.projects]
    assert [p.name for p in got] == [f"第{k + 1}号项目经费" for k in range(len(projects))]
    for p, (fiscal, other, items) in zip(got, projects, strict=True):
        assert p.amounts.fiscal == fiscal / 100
        assert p.amounts.total == (fiscal + other) / 100
        assert p.goal is not None and p.goal.startswith("目标")
        assert [(i.level1, i.level2, i.name, i.annual_value) for i in p.indicators] == [
            (l1, l2, n, v) for (l1, l2), n, v in items
        ]
        assert [i.seq for i in p.indicators] == list(range(1, len(items) + 1))
    assert not [f for f in t.findings if f.severity == "error"]
    rows_seen = sorted(i.row for p in got for i in p.indicators if i.row is not None)
    assert len(rows_seen) == sum(len(items) for _, _, items in projects)
