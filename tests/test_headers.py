"""The one catalogue of header names: README in step with it, every alias read as its role in a
real workbook, and money columns the catalogue does not name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perfsheet.core import headers
from perfsheet.core.layouts import build_tables
from perfsheet.io.readers import read_workbook
from workbooks import write_xlsx

ROOT = Path(__file__).resolve().parents[1]
PACKED = "1、1-产出指标；11-数量指标；办证件数；实施周期指标值:≥300件；年度指标值:≥300件。"


def test_readme_lists_the_catalogue() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- headers:begin -->\n(.*?)\n<!-- headers:end -->", text, re.S)
    assert m is not None
    assert m.group(1) == headers.catalogue_markdown()


def _exact_aliases(kind: str) -> list[tuple[str, str]]:
    return [(t, e.role) for e in headers.CATALOGUE if e.kind == kind for t in e.exact
            if headers.classify(t) is e]  # fmt: skip


@pytest.mark.parametrize(("text", "role"), _exact_aliases("money"))
def test_every_money_alias_is_read_in_a_table(text: str, role: str, tmp_path: Path) -> None:
    """A packed table whose one source column has this header: the row check holds, the value
    lands in the role's field (or in amounts.sources by header text)."""
    total = "项目金额" if role != "total" else text
    source = text if role != "total" else "一般公共预算拨款"
    rows = [
        ["2025年示例县政务服务中心项目支出绩效目标表"],
        ["单位：万元"],
        ["项目名称", total, source, "绩效目标", "绩效指标"],
        ["政务大厅运行经费", "85.50", "85.50", "保障大厅运行。", PACKED],
        ["网上办事平台维护", "14.20", "14.20", "平台全年可用。", PACKED],
    ]
    (t,) = build_tables(read_workbook(write_xlsx(tmp_path / "表.xlsx", rows)))
    assert not [f for f in t.findings if f.severity == "error"], t.findings
    p = t.units[0].projects[0]
    assert p.amounts.total == 85.5
    got_role = headers.classify(source)
    assert got_role is not None
    if got_role.role in ("fiscal", "special", "other"):
        assert getattr(p.amounts, got_role.role) == 85.5
    else:
        assert p.amounts.sources == {source: 85.5}
        assert t.sources == {source: got_role.label}


@pytest.mark.parametrize(("text", "role"), _exact_aliases("text") + _exact_aliases("name"))
def test_every_name_and_text_alias(text: str, role: str, tmp_path: Path) -> None:
    cols = {"name": "项目名称", "goal": "绩效目标", "indicators": "绩效指标"}
    cols[role] = text
    rows = [
        [cols["name"], "总计", "财政拨款", cols["goal"], cols["indicators"]],
        ["政务大厅运行经费", 10, 10, "保障大厅运行。", PACKED],
    ]
    (t,) = build_tables(read_workbook(write_xlsx(tmp_path / "表.xlsx", rows)))
    assert t.columns[role] == {"name": "A", "goal": "D", "indicators": "E"}[role]
    p = t.units[0].projects[0]
    assert p.goal == "保障大厅运行。" and len(p.indicators) == 1


def test_general_public_budget_is_fiscal_and_one_real_error_stands_out(tmp_path: Path) -> None:
    """The issue's first report: 一般公共预算拨款 fell into ``extra`` and every row got a false
    row-total error, hiding the one real 0.01 error."""
    rows = [
        ["项目名称", "总计", "一般公共预算拨款", "单位自筹", "绩效目标", "绩效指标"],
        ["政务大厅运行经费", "85.50", "80.00", "5.50", "保障。", PACKED],
        ["网上办事平台维护", "14.21", "14.20", None, "可用。", PACKED],
        ["窗口人员培训", "6.00", "6.00", None, "培训。", PACKED],
        ["档案数字化", "30.00", "20.00", "10.00", "完成。", PACKED],
    ]
    (t,) = build_tables(read_workbook(write_xlsx(tmp_path / "表.xlsx", rows)))
    assert t.columns["fiscal"] == "C" and t.sources == {"单位自筹": "单位资金"}
    errors = [f for f in t.findings if f.severity == "error"]
    assert [(f.rule, f.cell, f.difference) for f in errors] == [("row-total", "B3", 0.01)]
    assert "（财政拨款+单位自筹）" in errors[0].message


def test_unnamed_numeric_column_among_money_is_a_source(tmp_path: Path) -> None:
    rows = [
        ["项目名称", "总计", "财政拨款", "捐赠收入", "绩效目标", "绩效指标"],
        ["助残服务", "50.00", "45.00", "5.00", "保障。", PACKED],
        ["康复训练", "20.00", "20.00", None, "开展。", PACKED],
    ]
    (t,) = build_tables(read_workbook(write_xlsx(tmp_path / "表.xlsx", rows)))
    assert t.sources == {"捐赠收入": "未识别"}
    assert t.units[0].projects[0].amounts.sources == {"捐赠收入": 5.0}
    assert [(f.rule, f.severity) for f in t.findings] == [("column-assumed-source", "info")]
    assert "捐赠收入" in t.findings[0].message


def test_unnamed_numeric_column_elsewhere_is_reported(tmp_path: Path) -> None:
    rows = [
        ["项目名称", "总计", "财政拨款", "绩效目标", "绩效指标", "受益人数"],
        ["助残服务", "50.00", "50.00", "保障。", PACKED, 1200],
        ["康复训练", "20.00", "20.00", "开展。", PACKED, 300],
    ]
    (t,) = build_tables(read_workbook(write_xlsx(tmp_path / "表.xlsx", rows)))
    assert [(f.rule, f.cell) for f in t.findings] == [("column-unknown", "F1")]
    assert t.units[0].projects[0].extra == {"受益人数": 1200}


def test_misread_money_columns_give_one_finding(tmp_path: Path) -> None:
    """总计 is really a 上年预算 column here: every row fails the same way."""
    rows = [["项目名称", "总计", "财政拨款", "其他资金", "绩效目标", "绩效指标"]]
    for i in range(6):
        rows.append([f"项目{i + 1}", 100 + i, 40, 30, "目标。", PACKED])
    (t,) = build_tables(read_workbook(write_xlsx(tmp_path / "表.xlsx", rows)))
    errors = [f for f in t.findings if f.severity == "error"]
    assert [f.rule for f in errors] == ["money-columns-misread"]
    assert "6/6 行" in errors[0].message and "总计=B列" in errors[0].message


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("其中：一般公共预算", "fiscal"),
        ("其中:单位自筹", "unit_funds"),
        ("其中 政府性基金", "fund"),
    ],
)
def test_of_which_headers_name_their_source(text: str, role: str) -> None:
    """A sub-column written 其中：X is the source X (a department's wording, not in the list)."""
    entry = headers.classify(text)
    assert entry is not None and entry.role == role
