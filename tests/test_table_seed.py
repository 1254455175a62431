"""The committed seed examples (the real 广州市协作办公室 table) through read + build_tables."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from perfsheet.core.layouts import build_tables
from perfsheet.core.models import Table
from perfsheet.io.readers import read_workbook

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"
CLEAN = ROOT / "examples" / "source" / "广州市协作办公室_项目支出绩效目标表_整理版.xlsx"
SEED = ROOT / "examples" / "source" / "seed_guangzhou_xiezuoban.tsv"

MONEY_RULES = {"row-total", "unit-subtotal", "grand-total", "amount-format"}

# seed line numbers (= sheet rows of the raw example) of the project rows, per unit
UNIT_ROWS = {
    11: [12, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 30, 31, 32, 35, 36, 37, 38],
    41: [42, 43, 44, 45],
}
FRAGMENTS = {15: [13, 15], 27: [27, 29], 32: [32, 34], 38: [38, 40]}
# indicators per project, counted by hand from the seed's N、 numbering (sum 156)
INDICATOR_COUNTS = [8, 19, 8, 6, 8, 7, 3, 7, 9, 9, 8, 6, 9, 8, 8, 6, 1, 1, 16, 1, 1, 1, 6]


@cache
def seed_lines() -> list[list[str]]:
    return [line.split("\t") for line in SEED.read_text(encoding="utf-8").split("\n")]


@cache
def raw_table() -> Table:
    tables = build_tables(read_workbook(RAW))
    assert len(tables) == 1
    return tables[0]


@cache
def clean_table() -> Table:
    tables = build_tables(read_workbook(CLEAN))
    assert len(tables) == 1
    return tables[0]


def test_title_block_and_header() -> None:
    t = raw_table()
    assert t.title == "项目支出绩效目标表（含转移支付项目）"
    assert t.department == "广州市协作办公室"
    assert t.amount_unit == "万元"
    assert t.header_rows == [9]
    assert t.columns == {
        "name": "A",
        "total": "B",
        "fiscal": "C",
        "special": "D",
        "other": "E",
        "goal": "F",
        "indicators": "G",
    }


def test_units_projects_and_amounts() -> None:
    t = raw_table()
    assert t.grand_total is not None and t.grand_total.row == 10
    g = t.grand_total.amounts
    assert (g.total, g.fiscal, g.special, g.other) == (273101.18, 270769.27, None, 2331.91)
    assert [(u.name, u.row) for u in t.units] == [
        ("广州市协作办公室", 11),
        ("广州市国内合作服务中心", 41),
    ]
    assert [len(u.projects) for u in t.units] == [19, 4]
    for unit in t.units:
        assert [p.row for p in unit.projects] == UNIT_ROWS[unit.row]
    u1, u2 = t.units
    assert u1.amounts is not None and u1.amounts.total == 270769.27 and u1.amounts.other is None
    assert u2.amounts is not None and u2.amounts.other == 2331.91 and u2.amounts.fiscal is None
    p = {p.row: p for u in t.units for p in u.projects}
    assert p[26].name == "广州市驻镇帮镇扶村资金" and p[26].amounts.total == 165200.0
    assert p[35].amounts.total == 21.39
    assert p[45].amounts.other == 2261.51 and p[45].amounts.fiscal is None


def test_fragments_are_merged_into_the_right_projects() -> None:
    t = raw_table()
    projects = [p for u in t.units for p in u.projects]
    for p in projects:
        assert p.rows == FRAGMENTS.get(p.row, [p.row]), p.name
    merged = sorted((f.row, f.project) for f in t.findings if f.rule == "fragment-merged")
    assert merged == [
        (13, "乡村振兴驻镇帮镇扶村工作经费"),
        (29, "对口支援三峡库区巫山县社会公益项目资金"),
        (34, "广州市与龙岩市对口合作专项经费"),
        (40, "对口支援协作和帮扶合作工作经费"),
    ]
    assert all(f.severity == "info" for f in t.findings if f.rule == "fragment-merged")
    assert not [f for f in t.findings if f.rule == "fragment-orphan"]


def test_goal_fragment_joined_without_inserting_anything() -> None:
    lines = seed_lines()
    p38 = next(p for u in raw_table().units for p in u.projects if p.row == 38)
    assert p38.goal == lines[37][5] + lines[39][5]  # seed lines 38 and 40, column F
    p27 = next(p for u in raw_table().units for p in u.projects if p.row == 27)
    assert p27.goal == lines[26][5]  # the tail fragment of line 29 has no goal text


def test_zero_money_findings_and_no_errors() -> None:
    t = raw_table()
    assert not [f for f in t.findings if f.rule in MONEY_RULES]
    assert not [f for f in t.findings if f.severity == "error"]


def test_clean_variant_has_the_same_table() -> None:
    raw, clean = raw_table(), clean_table()
    assert clean.header_rows == [4]
    assert (clean.title, clean.department, clean.amount_unit) == (
        raw.title,
        raw.department,
        raw.amount_unit,
    )
    assert clean.grand_total is not None and raw.grand_total is not None
    assert clean.grand_total.amounts == raw.grand_total.amounts
    assert [(u.name, u.amounts) for u in clean.units] == [(u.name, u.amounts) for u in raw.units]
    for cu, ru in zip(clean.units, raw.units, strict=True):
        assert [(p.name, p.amounts) for p in cu.projects] == [
            (p.name, p.amounts) for p in ru.projects
        ]
        assert all(len(p.rows) == 1 for p in cu.projects)
    assert not [f for f in clean.findings if f.rule.startswith("fragment")]
    assert not [f for f in clean.findings if f.rule in MONEY_RULES]


# --- indicators ---------------------------------------------------------------------------


def _projects(t: Table):
    return [p for u in t.units for p in u.projects]


def test_156_indicators() -> None:
    counts = [len(p.indicators) for p in _projects(raw_table())]
    assert counts == INDICATOR_COUNTS
    assert sum(counts) == 156
    for p in _projects(raw_table()):
        assert [i.seq for i in p.indicators] == list(range(1, len(p.indicators) + 1)), p.name


def test_indicators_across_the_page_breaks() -> None:
    p = {p.row: p for p in _projects(raw_table())}
    # line 13 | line 15: "…新型农村集" + "体经济…"
    item = p[15].indicators[10]
    assert item.seq == 11 and item.name == "助力提升乡村产业发展水平"
    assert item.period_value is not None and "新型农村集体经济" in item.period_value
    assert p[15].indicators[0].name == "人员到位率（%）"
    # line 32 | line 34: "7、2-效益指</p>" + "标; 22-社会效益; …"
    item = p[32].indicators[6]
    assert (item.level1_code, item.level2_code) == ("2", "22")
    assert item.name == "广龙两地基础设施互联互通程度"
    # line 27 | line 29: "…年度指标值:</p>" + "<p>总人数/ …≥10人。</p>"
    item = p[27].indicators[5]
    assert item.annual_value is not None and "贫困村帮扶户数：≥18户" in item.annual_value
    # line 38 | line 40: "12、2-效益指" + "标；22-社会效益；媒体正面报道或转载次数…"
    item = p[38].indicators[11]
    assert item.name == "媒体正面报道或转载次数" and item.annual_value == "30次"


def test_clean_variant_parses_to_the_same_indicators() -> None:
    for pr, pc in zip(_projects(raw_table()), _projects(clean_table()), strict=True):
        raw_ind = [i.model_dump(exclude={"raw"}) for i in pr.indicators]
        clean_ind = [i.model_dump(exclude={"raw"}) for i in pc.indicators]
        assert raw_ind == clean_ind, pr.name


def test_seed_indicator_findings() -> None:
    t = raw_table()
    placeholders = sorted(f.row for f in t.findings if f.rule == "indicator-placeholder")
    assert placeholders == [36, 37]
    assert all(f.cell == f"G{f.row}" for f in t.findings if f.rule.startswith("indicator-"))
    assert not [f for f in t.findings if f.rule == "indicator-numbering"]
    # 巫山县 item 6: "。" used where "；" belongs (domain notes §6)
    unparsed = [f for f in t.findings if f.rule == "indicator-unparsed" and f.row == 27]
    assert len(unparsed) == 1 and "第 6 项" in unparsed[0].message
