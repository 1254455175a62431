"""Money checks on real workbooks (cells, expected, actual, difference) and indicator checks."""

from __future__ import annotations

from pathlib import Path

from perfsheet.core.checks import indicator_findings, warning_rule
from perfsheet.core.layouts import build_tables
from perfsheet.core.models import Indicator, Project, Table, Target, Unit
from perfsheet.io.readers import read_workbook
from workbooks import P, U, table_rows, write_xlsx

MONEY_RULES = {"row-total", "unit-subtotal", "grand-total", "amount-format"}

# A consistent made-up table (万元). Rows: 1 title, 2 department, 3 unit, 4 header, 5 合计,
# 6 unit 示例区城市管理局, 7-8 its projects, 9 unit 示例区环卫中心, 10 its project.
GRAND_ROW, UNIT_X, P1, P2, UNIT_Y, P3 = 5, 6, 7, 8, 9, 10


def _units(**overrides: tuple[object, object, object, object]) -> list[U]:
    a = {
        "ux": ("238.75", "208.50", None, "30.25"),
        "p1": ("150.75", "120.50", None, "30.25"),
        "p2": (88, 88, None, None),
        "uy": ("50.00", None, "45.10", "4.90"),
        "p3": ("50.00", None, "45.10", "4.90"),
    }
    a.update(overrides)
    return [
        U("示例区城市管理局", a["ux"], [P("占道经营整治", a["p1"]), P("城管执法培训", a["p2"])]),
        U("示例区环卫中心", a["uy"], [P("公厕保洁外包", a["p3"])]),
    ]


GRAND = ("288.75", "208.50", "45.10", "35.15")


def _table(tmp_path: Path, units: list[U], grand: tuple[object, ...] = GRAND) -> Table:
    rows = table_rows(units, grand=grand, department="部门名称：示例区城市管理局")  # type: ignore[arg-type]
    tables = build_tables(read_workbook(write_xlsx(tmp_path / "校验.xlsx", rows)))
    assert len(tables) == 1
    return tables[0]


def _money(t: Table) -> list[tuple[str, str | None, float | None, float | None, float | None]]:
    return sorted(
        (f.rule, f.cell, f.expected, f.actual, f.difference)  # type: ignore[misc]
        for f in t.findings
        if f.rule in MONEY_RULES
    )


def test_consistent_table_has_no_money_findings(tmp_path: Path) -> None:
    t = _table(tmp_path, _units())
    assert [u.row for u in t.units] == [UNIT_X, UNIT_Y]
    assert _money(t) == []


def test_row_total_broken_in_a_project(tmp_path: Path) -> None:
    t = _table(tmp_path, _units(p2=(89, 88, None, None)))
    assert _money(t) == [
        ("row-total", f"B{P2}", 88.0, 89.0, 1.0),
        ("unit-subtotal", f"B{UNIT_X}", 239.75, 238.75, -1.0),
    ]
    f = next(f for f in t.findings if f.rule == "row-total")
    assert (f.severity, f.row, f.project, f.unit) == (
        "error",
        P2,
        "城管执法培训",
        "示例区城市管理局",
    )
    assert "88.00" in f.message and "89.00" in f.message and "1.00" in f.message
    assert "财政拨款+财政专户拨款+其他资金" in f.message


def test_unit_subtotal_broken(tmp_path: Path) -> None:
    t = _table(tmp_path, _units(ux=("238.75", "208.05", None, "30.25")))
    assert _money(t) == [
        ("grand-total", f"C{GRAND_ROW}", 208.05, 208.5, 0.45),
        ("row-total", f"B{UNIT_X}", 238.3, 238.75, 0.45),
        ("unit-subtotal", f"C{UNIT_X}", 208.5, 208.05, -0.45),
    ]
    f = next(f for f in t.findings if f.rule == "unit-subtotal")
    assert "示例区城市管理局" in f.message and "2 个项目之和" in f.message
    assert "208.50" in f.message and "208.05" in f.message and "-0.45" in f.message


def test_grand_total_broken(tmp_path: Path) -> None:
    t = _table(tmp_path, _units(), grand=("288.75", "208.50", "45.10", "53.15"))
    assert _money(t) == [
        ("grand-total", f"E{GRAND_ROW}", 35.15, 53.15, 18.0),
        ("row-total", f"B{GRAND_ROW}", 306.75, 288.75, -18.0),
    ]
    f = next(f for f in t.findings if f.rule == "grand-total")
    assert f.row == GRAND_ROW and "2 个单位之和" in f.message and "18.00" in f.message


def test_float_noise_is_never_a_finding(tmp_path: Path) -> None:
    # 0.1 + 0.2 != 0.3 in binary floats; the check compares exact decimals.
    units = [U("示例单位", (0.3, 0.1, 0.2, None), [P("项目甲", (0.3, 0.1, 0.2, None))])]
    t = _table(tmp_path, units, grand=(0.30000000000000004, 0.1, 0.2, None))
    assert _money(t) == []


def test_tolerance_is_half_a_unit_of_the_last_decimal(tmp_path: Path) -> None:
    # one cent off at 2 decimals is a finding ...
    project = P("项目甲", ("100.00", "60.00", None, "40.00"))
    units = [U("示例单位", ("100.01", "60.00", None, "40.00"), [project])]
    t = _table(tmp_path, units, grand=("100.00", "60.00", None, "40.00"))
    rules = {(r, c) for r, c, *_ in _money(t)}
    assert ("row-total", f"B{UNIT_X}") in rules and ("unit-subtotal", f"B{UNIT_X}") in rules
    # ... but a total shown without decimals is checked at ±0.5
    project = P("项目甲", ("100", "60.4", None, "39.9"))
    units = [U("示例单位", ("100", "60.4", None, "39.9"), [project])]
    assert _money(_table(tmp_path, units, grand=("100", "60.4", None, "39.9"))) == []


def test_amount_format_and_dash(tmp_path: Path) -> None:
    units = _units(p1=("150.75", "约120万", None, "30.25"), uy=("50.00", "-", "45.10", "4.90"))
    t = _table(tmp_path, units)
    fmt = [f for f in t.findings if f.rule == "amount-format"]
    assert [(f.cell, f.severity, f.row, f.actual) for f in fmt] == [
        (f"C{P1}", "error", P1, "约120万")
    ]
    assert "约120万" in fmt[0].message
    dash = [f for f in t.findings if f.rule == "amount-dash"]
    assert [(f.cell, f.severity) for f in dash] == [(f"C{UNIT_Y}", "info")]
    # the unreadable cell is not summed into bogus findings; the dash counts as 0
    assert _money(t) == [("amount-format", f"C{P1}", None, "约120万", None)]
    p1 = t.units[0].projects[0]
    assert p1.amounts.fiscal is None and t.units[1].amounts is not None
    assert t.units[1].amounts.fiscal == 0


def test_blank_total_with_amounts_is_a_row_total_finding(tmp_path: Path) -> None:
    units = [U("示例单位", (10, 10, None, None), [P("项目甲", (None, 10, None, None))])]
    t = _table(tmp_path, units, grand=(10, 10, None, None))
    assert ("row-total", f"B{P1}", 10.0, 0.0, -10.0) in _money(t)
    assert t.units[0].projects[0].amounts.total is None  # blank stays null in the model


# --- indicator checks (on the model) ---------------------------------------------------------


def _ind(seq: int | None, **kw: object) -> Indicator:
    base: dict[str, object] = {
        "seq": seq,
        "level1": "产出指标",
        "level1_code": "1",
        "level2": "数量指标",
        "level2_code": "11",
        "name": f"指标{seq}",
        "period_value": "≥10个",
        "annual_value": "≥10个",
        "period_target": Target(kind="quantitative", op="≥", value=10, unit="个"),
        "annual_target": Target(kind="quantitative", op="≥", value=10, unit="个"),
    }
    base.update(kw)
    return Indicator(**base)  # type: ignore[arg-type]


def _model(indicators: list[Indicator]) -> Table:
    project = Project(name="示例项目", row=12, rows=[12], amounts={}, indicators=indicators)  # type: ignore[arg-type]
    return Table(
        sheet="表1",
        header_rows=[4],
        columns={"name": "A", "indicators": "G"},
        units=[Unit(name="示例单位", row=11, projects=[project])],
    )


def _rules(findings: list) -> list[tuple[str, str | None]]:  # type: ignore[type-arg]
    return [(f.rule, f.cell) for f in findings]


def test_clean_indicators_give_no_findings() -> None:
    assert indicator_findings(_model([_ind(1), _ind(2), _ind(3)])) == []


def test_numbering_gaps_and_repeats() -> None:
    f = indicator_findings(_model([_ind(1), _ind(2), _ind(4), _ind(4)]))
    assert _rules(f) == [("indicator-numbering", "G12")]
    assert "缺少序号 3" in f[0].message and "序号重复 4" in f[0].message
    f = indicator_findings(_model([_ind(2), _ind(3)]))
    assert _rules(f) == [("indicator-numbering", "G12")] and "缺少序号 1" in f[0].message


def test_category_mismatch() -> None:
    bad = _ind(1, level2="经济效益指标", level2_code="21")
    f = indicator_findings(_model([bad]))
    assert _rules(f) == [("indicator-category", "G12")]
    assert "21-经济效益指标" in f[0].message and "1-产出指标" in f[0].message


def test_missing_value_and_placeholder() -> None:
    empty = Target(kind="empty")
    missing = _ind(1, annual_value=None, annual_target=empty, warnings=["缺少年度指标值"])
    ph = Target(kind="placeholder", raw="待单位补充...")
    text = "待单位补充..."
    placeholder = _ind(
        2, name=text, period_value=text, annual_value=text, period_target=ph, annual_target=ph
    )
    f = indicator_findings(_model([missing, placeholder]))
    assert _rules(f) == [("indicator-missing-value", "G12"), ("indicator-placeholder", "G12")]
    assert "缺少年度指标值" in f[0].message and "待单位补充" in f[1].message


def test_parser_warnings_are_routed_to_rules() -> None:
    assert warning_rule("字段间误用“。”分隔") == "indicator-unparsed"
    assert warning_rule("未知二级指标代码25") == "indicator-category"
    assert warning_rule("年度指标值为空") == "indicator-missing-value"
    assert warning_rule("指标内容待补充") == "indicator-placeholder"
    assert warning_rule("序号不连续（应为3）") == "indicator-numbering"
    assert warning_rule("something new") == "indicator-unparsed"
    odd = _ind(1, warnings=["字段间误用“。”分隔", "未知二级指标代码25"])
    f = indicator_findings(_model([odd]))
    assert sorted(_rules(f)) == [("indicator-category", "G12"), ("indicator-unparsed", "G12")]
    assert all(x.severity == "warning" for x in f)


def test_every_parser_warning_constant_has_a_rule() -> None:
    from perfsheet.core import indicators

    expected = {
        "W_SEP_DOT": "indicator-unparsed",
        "W_NO_PERIOD": "indicator-missing-value",
        "W_NO_ANNUAL": "indicator-missing-value",
        "W_EMPTY_PERIOD": "indicator-missing-value",
        "W_EMPTY_ANNUAL": "indicator-missing-value",
        "W_NO_VALUE": "indicator-missing-value",
        "W_NO_LABEL": "indicator-missing-value",
        "W_NO_LEVEL1": "indicator-category",
        "W_NO_LEVEL2": "indicator-category",
        "W_PLACEHOLDER": "indicator-placeholder",
        "W_NO_SEQ": "indicator-numbering",
        "W_UNPARSED": "indicator-unparsed",
    }
    for const, rule in expected.items():
        assert warning_rule(getattr(indicators, const)) == rule, const
    assert warning_rule(indicators.w_numbering(3)) == "indicator-numbering"
