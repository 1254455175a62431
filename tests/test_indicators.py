"""parse_indicators on made-up text: formats, separators, malformed items."""

from __future__ import annotations

from perfsheet.core import parse_indicators


def test_basic_item():
    [ind] = parse_indicators(
        "1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390。"
    )
    assert (ind.seq, ind.level1, ind.level1_code, ind.level2, ind.level2_code) == (
        1,
        "产出指标",
        "1",
        "数量指标",
        "11",
    )
    assert (ind.name, ind.period_value, ind.annual_value) == ("培训人数", "≥390", "≥390")
    assert ind.annual_target.op == "≥" and ind.annual_target.value == 390
    assert ind.warnings == []


def test_empty_inputs():
    assert parse_indicators(None) == []
    assert parse_indicators("") == []
    assert parse_indicators("  <p></p> &nbsp; ") == []
