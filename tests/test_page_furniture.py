"""Page furniture inside the grid (a PDF converted by another tool, some system exports):
page numbers, print stamps, a repeated title or 单位：万元 are skipped in every layout, never a
project, an amount or a fragment; real projects whose name holds 页 or whose amount is 1 or 2
stay. Workbooks are written for real and read back through :func:`perfsheet.analyze_file`."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

import perfsheet
from perfsheet.core.furniture import is_furniture_row, is_furniture_text, is_page_line
from perfsheet.core.models import Project, Table
from workbooks import LIBRARY, REPAIR, STD_HEADER, TRAINING, write_xlsx

TITLE_TEXT = "示例县民政局项目支出绩效目标表"
TITLE = [[TITLE_TEXT], ["部门名称：示例县民政局"], ["单位：万元"], STD_HEADER]  # rows 1-4
GOAL = "保障困难群众基本生活。"
PAGE_LINES = ["第1页，共2页", "第 1 页 共 3 页", "- 2 -", "1/3", "共3页 第2页",
              "打印时间：2025-01-08 10:32", "第2页（续表）"]  # fmt: skip
# 培训 / 维修 / 图书: 4, 3 and 2 indicators
COUNTS = {"城乡低保资金": 4, "道路维修资金": 3, "社区图书室建设": 2}

HEAD = "1、1-产出指标；11-数量指标；受益群众人数；实施周期指标值:≥1"
MIDDLE = "0万人；年度指标值:≥10万人。2、2-效益指标；22-社会效益；群众出"
TAIL = "行条件；实施周期指标值:明显改善；年度指标值:明显改善。"


def _proj(name: str, total: float, indicators: str = TRAINING) -> list[object]:
    return [name, total, total, None, None, GOAL, indicators]


def _analyze(path: Path) -> list[Table]:
    return perfsheet.analyze_file(path).tables


def _one(tmp_path: Path, body: list[list[object]], merges: list[str] | None = None) -> Table:
    tables = _analyze(write_xlsx(tmp_path / "分页.xlsx", [*TITLE, *body], merges))
    assert len(tables) == 1
    return tables[0]


def _projects(t: Table) -> list[Project]:
    return [p for u in t.units for p in u.projects]


def _rules(t: Table) -> set[str]:
    return {f.rule for f in t.findings}


def _standard(t: Table) -> None:
    """Three projects with their amounts and indicators, no spurious project or amount."""
    ps = _projects(t)
    assert [u.name for u in t.units] == [None]  # no title or page line taken as a unit
    assert [p.name for p in ps] == ["城乡低保资金", "道路维修资金", "社区图书室建设"]
    assert [p.amounts.total for p in ps] == [500.0, 120.0, 60.0]
    assert [len(p.indicators) for p in ps] == [4, 3, 2]
    assert not _rules(t) & {"project-unnamed", "amount-format", "grand-total", "fragment-orphan"}
    assert not any(f.rule == "fragment-merged" for f in t.findings)


def _body(page_row: list[object]) -> list[list[object]]:
    return [
        _proj("合计", 680),  # row 5
        _proj("城乡低保资金", 500),  # row 6
        page_row,  # row 7
        _proj("道路维修资金", 120, REPAIR),  # row 8
        _proj("社区图书室建设", 60, LIBRARY),  # row 9
    ]


@pytest.mark.parametrize("line", PAGE_LINES)
def test_page_line_in_a_money_column(tmp_path: Path, line: str) -> None:
    _standard(_one(tmp_path, _body([None, line])))
    _standard(_one(tmp_path, _body([None, None, None, None, line])))


@pytest.mark.parametrize("line", PAGE_LINES)
def test_page_line_in_the_first_column(tmp_path: Path, line: str) -> None:
    _standard(_one(tmp_path, _body([line])))


def test_page_line_merged_across_the_row(tmp_path: Path) -> None:
    _standard(_one(tmp_path, _body(["共3页 第2页"]), ["A7:G7"]))


def test_page_line_in_text_columns(tmp_path: Path) -> None:
    """In the 绩效目标 or 绩效指标 column the line is not a fragment of a neighbour."""
    t = _one(tmp_path, _body([None, None, None, None, None, "打印时间：2025-01-08 10:32"]))
    _standard(t)
    assert {p.goal for p in _projects(t)} == {GOAL}
    _standard(_one(tmp_path, _body([None, None, None, None, None, None, "第1页，共2页"])))


def test_page_line_between_two_fragments_of_a_split_cell(tmp_path: Path) -> None:
    t = _one(
        tmp_path,
        [
            _proj("合计", 680),  # row 5
            _proj("城乡低保资金", 500, HEAD),  # row 6
            [None, None, None, None, None, None, MIDDLE],  # row 7: end of page 1
            [None, "- 1 -"],  # row 8: footer in the 总计 column
            [None, None, None, None, None, None, TAIL],  # row 9: top of page 2
            _proj("道路维修资金", 120, REPAIR),  # row 10
            _proj("社区图书室建设", 60, LIBRARY),  # row 11
        ],
    )
    ps = _projects(t)
    assert [p.name for p in ps] == ["城乡低保资金", "道路维修资金", "社区图书室建设"]
    assert ps[0].rows == [6, 7, 9]
    assert [i.name for i in ps[0].indicators] == ["受益群众人数", "群众出行条件"]
    assert ps[0].indicators[0].annual_value == "≥10万人"
    assert all("1 -" not in i.raw for i in ps[0].indicators)
    merged = sorted(f.row for f in t.findings if f.rule == "fragment-merged")
    assert merged == [7, 9]
    assert not _rules(t) & {"project-unnamed", "amount-format", "fragment-orphan"}


def test_page_lines_at_the_bottom_after_the_total(tmp_path: Path) -> None:
    t = _one(
        tmp_path,
        [
            _proj("城乡低保资金", 500),
            _proj("道路维修资金", 120, REPAIR),
            _proj("社区图书室建设", 60, LIBRARY),
            _proj("合计", 680),
            [None, "- 2 -"],
            [None, None, None, None, None, "打印时间：2025-01-08 10:32"],
            ["第2页，共2页"],
        ],
    )
    _standard(t)
    assert t.grand_total is not None and t.grand_total.amounts.total == 680.0


def test_title_and_unit_repeated_at_a_page_top(tmp_path: Path) -> None:
    """A page top repeating the title, 单位：万元 and the header: the same table goes on."""
    t = _one(
        tmp_path,
        [
            *_body([None, "- 1 -"])[:3],
            ["单位：万元"],  # a footer line
            [TITLE_TEXT],  # the next page's top
            ["单位：万元"],
            STD_HEADER,
            *_body([])[3:],
        ],
    )
    _standard(t)


def test_title_repeated_without_the_header(tmp_path: Path) -> None:
    _standard(_one(tmp_path, _body([TITLE_TEXT])))
    _standard(_one(tmp_path, _body(["（单位：万元）"])))


def test_real_projects_with_page_in_the_name_or_small_amounts_stay(tmp_path: Path) -> None:
    t = _one(
        tmp_path,
        [
            _proj("合计", 5),
            _proj("网页维护项目", 2),
            _proj("第一页面改版", 1),
            ["第1页面改版项目", 2, 2, None, None, None, None],  # no text: still a project
        ],
    )
    ps = _projects(t)
    assert [p.name for p in ps] == ["网页维护项目", "第一页面改版", "第1页面改版项目"]
    assert [p.amounts.total for p in ps] == [2.0, 1.0, 2.0]
    assert [len(p.indicators) for p in ps] == [4, 4, 0]
    assert "grand-total" not in _rules(t)


def test_a_bare_number_row_is_not_dropped(tmp_path: Path) -> None:
    """A lone ``2`` in a money column may be an amount: reported, never silently dropped."""
    t = _one(tmp_path, [_proj("城乡低保资金", 500), [None, 2]])
    assert [p.amounts.total for p in _projects(t)] == [500.0, 2.0]
    assert "project-unnamed" in _rules(t)


# --------------------------------------------------------------------------------------------
# a row list (one indicator per row) and forms, written with XlsxWriter

ROWS_HEADER = ["项目名称", "总计", "财政拨款", "一级指标", "二级指标", "三级指标", "指标值"]


def test_row_list_with_page_lines(tmp_path: Path) -> None:
    path = tmp_path / "逐行.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("表1")
    rows: list[list[object]] = [
        [TITLE_TEXT],
        ["单位：万元"],
        ROWS_HEADER,
        ["城乡低保资金", 500, 500, "产出指标", "数量指标", "保障人数", "≥1200人"],  # row 4
        [None, None, None, "产出指标", "质量指标", "发放准确率", "100%"],
        [None, "第1页，共2页"],  # row 6: footer in the 总计 column
        [None, None, None, None, None, "打印时间：2025-01-08 10:32"],  # row 7
        [TITLE_TEXT],  # row 8
        ROWS_HEADER,  # row 9
        [None, None, None, "满意度指标", "服务对象满意度指标", "群众满意度", "≥90%"],
        ["网页维护项目", 2, 2, "产出指标", "时效指标", "故障修复时间", "≤2小时"],  # row 11
        [None, None, None, None, None, None, "- 2 -"],  # row 12
    ]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)
    wb.close()
    (t,) = _analyze(path)
    assert t.layout == "rows"
    ps = _projects(t)
    assert [p.name for p in ps] == ["城乡低保资金", "网页维护项目"]
    assert [p.amounts.total for p in ps] == [500.0, 2.0]
    assert [[i.name for i in p.indicators] for p in ps] == [
        ["保障人数", "发放准确率", "群众满意度"],
        ["故障修复时间"],
    ]
    assert ps[1].indicators[0].annual_value == "≤2小时"
    assert not _rules(t) & {"project-unnamed", "amount-format", "fragment-merged"}


def _form(ws: xlsxwriter.worksheet.Worksheet, r: int, name: str, page_break: bool) -> int:
    ws.merge_range(r, 0, r, 3, "项目支出绩效目标表")
    lines: list[list[object]] = [
        ["项目名称", name],
        ["主管部门", "示例县民政局", "实施单位", "示例县社会救助中心"],
        ["年度资金总额", 300],
        ["其中：财政拨款", 300],
        ["年度绩效目标", GOAL],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "救助人次", "≥500人次"],
        ["产出指标", "质量指标", "救助准确率", "100%"],
    ]
    if page_break:
        lines += [[None, "第1页，共2页"], ["项目支出绩效目标表"],
                  ["一级指标", "二级指标", "三级指标", "指标值"]]  # fmt: skip
    lines += [
        ["效益指标", "社会效益指标", "困难群众生活改善", "有所改善"],
        ["满意度指标", "服务对象满意度指标", "救助对象满意度", "≥90%"],
        [None, None, "- 2 -"],
    ]
    for k, line in enumerate(lines, start=r + 1):
        for c, v in enumerate(line):
            if v is not None:
                ws.write(k, c, v)
    return r + len(lines) + 2


def test_forms_with_page_lines_inside_the_grid(tmp_path: Path) -> None:
    path = tmp_path / "表单.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("表单")
    r = _form(ws, 0, "城乡低保资金", page_break=True)
    _form(ws, r, "临时救助资金", page_break=False)
    wb.close()
    (t,) = _analyze(path)
    assert t.layout == "form"
    ps = _projects(t)
    assert [p.name for p in ps] == ["城乡低保资金", "临时救助资金"]
    assert [p.amounts.total for p in ps] == [300.0, 300.0]
    names = ["救助人次", "救助准确率", "困难群众生活改善", "救助对象满意度"]
    assert [[i.name for i in p.indicators] for p in ps] == [names, names]
    assert not _rules(t) & {"project-unnamed", "amount-format", "form-no-indicators"}


# --------------------------------------------------------------------------------------------
# the recogniser

_N = st.integers(1, 999)
_SP = st.sampled_from(["", " ", "  ", "\u3000"])


@st.composite
def page_lines(draw: st.DrawFn) -> str:
    n = draw(_N)
    m = n + draw(st.integers(0, 50))
    s = draw(_SP)
    form = draw(st.sampled_from(["第页共", "第页", "共第", "dash", "slash", "page"]))
    sep = draw(st.sampled_from(["", "，", ",", " ", "/", "、"]))
    if form == "第页共":
        return f"第{s}{n}{s}页{sep}共{s}{m}{s}页"
    if form == "第页":
        return f"{s}第{s}{n}{s}页{s}"
    if form == "共第":
        return f"共{s}{m}{s}页{sep}第{s}{n}{s}页"
    if form == "dash":
        d = draw(st.sampled_from(["-", "－", "—", "–"]))
        return f"{d}{s}{n}{s}{d}"
    if form == "slash":
        return f"{n}{s}/{s}{m}"
    return f"Page {n} of {m}"


@given(page_lines())
def test_generated_page_lines_are_furniture(line: str) -> None:
    assert is_page_line(line)
    assert is_furniture_text(line)
    assert is_furniture_row([None, line, " "])
    assert is_furniture_row([line, "单位：万元"])


_HAN = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=8)


@st.composite
def names_with_page(draw: st.DrawFn) -> str:
    """Project-like names holding 页 (and page-line words) around real text."""
    core = draw(st.sampled_from(["网页维护", "第一页面改版", "第1页面改版", "页岩气勘探",
                                 "主页", "共享页面建设", "门户网站第2页改版"]))  # fmt: skip
    suffix = draw(st.sampled_from(["项目", "经费", "资金", "工程", ""]))
    prefix = draw(st.one_of(st.just(""), _HAN))
    return prefix + core + suffix


@given(names_with_page())
def test_names_with_page_are_not_furniture(name: str) -> None:
    assert not is_page_line(name)
    assert not is_furniture_text(name)
    assert not is_furniture_row([name])
    assert not is_furniture_row([name, "- 2 -"])


_NUMBERS = st.one_of(
    st.integers(0, 10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 10**6).map(str),
    st.decimals(0, 10**6, places=2).map(str),
)


@given(_NUMBERS)
def test_plain_numbers_are_not_furniture(value: object) -> None:
    assert not is_furniture_row([value])
    if isinstance(value, str):
        assert not is_page_line(value) and not is_furniture_text(value)


def test_inconsistent_page_numbers_are_not_furniture() -> None:
    for text in ("3/2", "0/3", "第0页", "第3页，共2页", "- 0 -", "1,200", "≥2", "2页"):
        assert not is_page_line(text), text
