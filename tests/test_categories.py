"""The level-1/level-2 code tables, aliases, legacy flags and the parent relation."""

from __future__ import annotations

import pytest

from perfsheet.core import categories as cat


def test_code_tables():
    assert cat.level1_name("1") == "产出指标"
    assert cat.level1_name("4") == "成本指标"
    assert cat.level2_name("21") == "经济效益指标"
    assert cat.level2_name("31") == "服务对象满意度指标"
    assert cat.level2_name("43") == "生态环境成本指标"
    assert cat.level1_name("9") is None and cat.level2_name("99") is None
    assert cat.level2_codes_under("1") == ["11", "12", "13", "14"]
    assert cat.level2_codes_under("4") == ["41", "42", "43"]


def test_parent_relation_and_legacy():
    assert cat.parent_code("42") == "4"
    assert cat.is_child("42", "4") and not cat.is_child("42", "2")
    assert not cat.is_child("99", "9")
    assert cat.is_legacy("14") and cat.is_legacy("24")
    assert not cat.is_legacy("11") and not cat.is_legacy(None)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("产出指标", "1"),
        ("预期产出指标", "1"),
        ("效果指标", "2"),
        ("效益", "2"),
        ("满意度指标", "3"),
        ("成本指标", "4"),
        (" 产出指标 ", "1"),
    ],
)
def test_level1_aliases(written, code):
    assert cat.level1_code_of(written) == code


@pytest.mark.parametrize(
    ("written", "level1", "code"),
    [
        ("经济效益", None, "21"),
        ("环境效益指标", None, "23"),
        ("社会公众或服务对象满意度指标", None, "31"),
        ("服务对象满意度", None, "31"),
        ("数量指标(或建筑规模指标)", None, "11"),
        ("时效指标（工期指标、形象进度指标）", None, "13"),
        ("成本指标", "1", "14"),  # the old placement under 产出
        ("成本指标", "4", None),  # 成本指标 is not a level 2 under 成本指标
        ("满意度指标", "3", "31"),
        ("可持续影响指标", None, "24"),
        ("社会成本指标", None, "42"),
    ],
)
def test_level2_aliases(written, level1, code):
    assert cat.level2_code_of(written, level1) == code


def test_resolve_by_code_first():
    r = cat.resolve_level2("21", "经济效益", "2")
    assert (r.name, r.code, r.legacy, r.problem) == ("经济效益指标", "21", False, None)
    r = cat.resolve_level2("11", "质量指标", "1")
    assert (r.name, r.code) == ("数量指标", "11") and "不符" in r.problem
    r = cat.resolve_level2("21", "经济效益", "1")
    assert r.name == "经济效益指标" and "不属于" in r.problem
    r = cat.resolve_level2("14", "成本指标", "1")
    assert r.legacy and r.problem is None
    r = cat.resolve_level2("15", "安全指标", "1")
    assert (r.name, r.code) == ("安全指标", "15") and "未知" in r.problem
    r = cat.resolve_level1("5", "其他指标")
    assert (r.name, r.code) == ("其他指标", "5") and "未知" in r.problem
    r = cat.resolve_level1("1", "效益指标")
    assert r.name == "产出指标" and "不符" in r.problem


def test_resolve_by_name():
    assert cat.resolve_level1(None, "效果指标") == cat.Resolved("效益指标", None)
    r = cat.resolve_level2(None, "环境效益指标", "2")
    assert (r.name, r.code, r.problem) == ("生态效益指标", None, None)
    r = cat.resolve_level2(None, "经济效益", "1")
    assert "不属于" in r.problem
    r = cat.resolve_level2(None, "安全指标", "1")
    assert r.name == "安全指标" and "未知" in r.problem
