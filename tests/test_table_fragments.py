"""Page-break fragments: rows without a name that carry the head or tail of a neighbour's cells."""

from __future__ import annotations

from pathlib import Path

from perfsheet.core.layouts import build_tables
from perfsheet.core.models import Project, Table
from perfsheet.core.table import join_text
from perfsheet.io.readers import read_workbook
from workbooks import STD_HEADER, TRAINING, write_xlsx

TITLE = [["示例县民政局项目支出绩效目标表"], ["部门名称：示例县民政局"], ["单位：万元"], STD_HEADER]
GOAL = "保障困难群众基本生活。"

ROADS_HEAD = "1、1-产出指标；11-数量指标；受益群众人数；实施周期指标值:≥1"
ROADS_TAIL = (
    "0万人；年度指标值:≥10万人。2、2-效益指标；22-社会效益；群众出行条件；"
    "实施周期指标值:明显改善；年度指标值:明显改善。"
)
BOOKS_HEAD = "1、1-产出指标；11-数量指标；新增图书册数；实施周期指标值:≥8000册；年度指标值:≥8000"
BOOKS_TAIL = (
    "册。2、2-效益指标；22-社会效益；年接待读者人次；实施周期指标值:≥6万人次；年度指标值:≥6万人次。"
)


def _table(tmp_path: Path, body: list[list[object]], merges: list[str] | None = None) -> Table:
    path = write_xlsx(tmp_path / "片段.xlsx", [*TITLE, *body], merges)
    tables = build_tables(read_workbook(path))
    assert len(tables) == 1
    return tables[0]


def _projects(t: Table) -> dict[str, Project]:
    return {p.name: p for u in t.units for p in u.projects}


def _frag(goal: str | None = None, indicators: str | None = None) -> list[object]:
    return [None, None, None, None, None, goal, indicators]


def _proj(name: str, total: float, goal: str | None, indicators: str | None) -> list[object]:
    return [name, total, total, None, None, goal, indicators]


def test_join_inserts_nothing() -> None:
    assert join_text("≥1", "0万人") == "≥10万人"
    assert join_text("7、2-效益指</p>", "标; 22-社会效益") == "7、2-效益指标; 22-社会效益"
    assert join_text("年度指标值:</p>", "<p>总人数") == "年度指标值:总人数"
    assert join_text("发展新型农村集\n", "  体经济") == "发展新型农村集体经济"
    assert join_text("", "片段") == "片段" and join_text("文字", "") == "文字"


def test_tail_cut_inside_a_number(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        [
            _proj("城乡低保资金", 500, GOAL, ROADS_HEAD),  # row 5
            _frag(indicators=ROADS_TAIL),  # row 6
            _proj("临时救助资金", 80, GOAL, TRAINING),  # row 7
        ],
    )
    p = _projects(t)
    assert p["城乡低保资金"].rows == [5, 6]
    assert p["临时救助资金"].rows == [7]
    merged = [f for f in t.findings if f.rule == "fragment-merged"]
    assert [(f.row, f.cell, f.project, f.severity) for f in merged] == [
        (6, "G6", "城乡低保资金", "info")
    ]
    assert "末尾" in merged[0].message


def test_head_with_numbering_restart(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        [
            _proj("城乡低保资金", 500, GOAL, TRAINING),  # row 5, complete
            _frag(indicators=BOOKS_HEAD),  # row 6: "1、…" restarts: head of row 7
            _proj("社区图书室建设", 60, GOAL, BOOKS_TAIL),  # row 7
        ],
    )
    p = _projects(t)
    assert p["城乡低保资金"].rows == [5]
    assert p["社区图书室建设"].rows == [6, 7]
    merged = [f for f in t.findings if f.rule == "fragment-merged"]
    assert [(f.row, f.project) for f in merged] == [(6, "社区图书室建设")]
    assert "开头" in merged[0].message


def test_tail_cut_inside_the_goal(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        [
            _proj("农村道路维修", 320, "通过实施农村道路维修，改善群众出行", TRAINING),
            _frag(goal="条件，降低通行成本。"),
            _proj("桥梁安全检测", 45, "完成全县桥梁年度检测。", TRAINING),
        ],
    )
    p = _projects(t)
    assert p["农村道路维修"].goal == "通过实施农村道路维修，改善群众出行条件，降低通行成本。"
    assert p["农村道路维修"].rows == [5, 6]
    assert p["桥梁安全检测"].goal == "完成全县桥梁年度检测。"


def test_goal_numbering_continues_in_the_fragment(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        [
            _proj("养老服务补贴", 260, "1、发放高龄津贴。 2、资助居家养老服务。", TRAINING),
            _frag(goal="3、开展养老机构等级评定。"),
            _proj("婚姻登记服务", 12, "规范婚姻登记。", TRAINING),
        ],
    )
    p = _projects(t)
    assert (
        p["养老服务补贴"].goal == "1、发放高龄津贴。 2、资助居家养老服务。3、开展养老机构等级评定。"
    )
    assert p["婚姻登记服务"].rows == [7]


def test_a_cell_over_three_pages(tmp_path: Path) -> None:
    first = (
        "1、1-产出指标；11-数量指标；救助人次；实施周期指标值:≥500人次；年度指标值:≥500人次。"
        "2、2-效益指"
    )
    middle = (
        "标；22-社会效益；困难群众生活保障水平；实施周期指标值:稳步提高；年度指标值:稳步提高。"
        "3、3-满意度指标；"
    )
    last = "31-服务对象满意度；受助群众满意度；实施周期指标值:≥90%；年度指标值:≥90%。"
    t = _table(
        tmp_path,
        [
            _proj("困难群众救助", 900, GOAL, first),
            [],
            _frag(indicators=middle),
            [],
            _frag(indicators=last),
            _proj("殡葬惠民补贴", 30, GOAL, TRAINING),
        ],
    )
    p = _projects(t)
    assert p["困难群众救助"].rows == [5, 7, 9]
    assert p["殡葬惠民补贴"].rows == [10]


def test_orphan_is_reported_and_kept(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        [
            ["合计", 580, 580, None, None, None, None],  # row 5
            _frag(indicators="年度指标值:≥95%。"),  # row 6: nothing before it can take it
            _proj("城乡低保资金", 500, GOAL, TRAINING),
            _frag(goal="以上资金按季度拨付。"),  # row 8: complete text between complete cells
            _proj("临时救助资金", 80, GOAL, TRAINING),
        ],
    )
    orphans = [f for f in t.findings if f.rule == "fragment-orphan"]
    assert [(f.row, f.cell, f.severity) for f in orphans] == [
        (6, "G6", "error"),
        (8, "F8", "error"),
    ]
    assert orphans[0].actual == "年度指标值:≥95%。"
    assert orphans[1].actual == "以上资金按季度拨付。"
    assert "以上资金按季度拨付" in orphans[1].message
    p = _projects(t)
    assert p["城乡低保资金"].rows == [7] and p["临时救助资金"].rows == [9]
    assert p["城乡低保资金"].goal == GOAL


def test_merged_name_cell_claims_the_row(tmp_path: Path) -> None:
    # The same ambiguous text as the orphan above, but the project's name cell is merged over
    # both rows: the row belongs to that project.
    t = _table(
        tmp_path,
        [
            _proj("城乡低保资金", 500, GOAL, TRAINING),
            _frag(goal="以上资金按季度拨付。"),
            _proj("临时救助资金", 80, GOAL, TRAINING),
        ],
        merges=["A5:A6"],
    )
    p = _projects(t)
    assert p["城乡低保资金"].rows == [5, 6]
    assert p["城乡低保资金"].goal == GOAL + "以上资金按季度拨付。"
    assert not [f for f in t.findings if f.rule == "fragment-orphan"]


# --- indicators parsed from the joined text ------------------------------------------------


def test_number_cut_in_half_parses_whole(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        [
            _proj("城乡低保资金", 500, GOAL, ROADS_HEAD),
            _frag(indicators=ROADS_TAIL),
            _proj("社区图书室建设", 60, GOAL, BOOKS_TAIL),
        ],
    )
    inds = _projects(t)["城乡低保资金"].indicators
    assert [i.name for i in inds] == ["受益群众人数", "群众出行条件"]
    assert inds[0].period_value == "≥10万人" and inds[0].annual_value == "≥10万人"
    target = inds[0].period_target
    assert target is not None and (target.op, target.value, target.unit) == ("≥", 10, "万人")


def test_head_number_cut_parses_whole(tmp_path: Path) -> None:
    t = _table(
        tmp_path,
        [
            _proj("城乡低保资金", 500, GOAL, TRAINING),
            _frag(indicators=BOOKS_HEAD),
            _proj("社区图书室建设", 60, GOAL, BOOKS_TAIL),
        ],
    )
    inds = _projects(t)["社区图书室建设"].indicators
    assert [i.seq for i in inds] == [1, 2]
    assert inds[0].annual_value == "≥8000册"
