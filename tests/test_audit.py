"""Indicator quality rules (issue 7), one rule at a time, on hand-made indicators."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_helpers import complete, dl, ind, ph, qt
from perfsheet.core.audit import (
    BASIS,
    QUALITY_RULES,
    audit_indicators,
    audit_project,
    audit_table,
    default_rules,
)
from perfsheet.core.indicators import parse_indicators
from perfsheet.core.models import Amounts, Finding, Project, Table, Unit
from perfsheet.core.quality_score import quality_counts, quality_score
from perfsheet.io.rules_file import rules_from_toml


def rules_of(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def flagged(findings: list[Finding], rule: str) -> dict[int | None, str]:
    return {f.indicator: f.message for f in findings if f.rule == rule}


# ------------------------------------------------------------------------------------------
# A clean project raises nothing
# ------------------------------------------------------------------------------------------


def test_clean_project_has_no_findings():
    assert audit_indicators(complete()) == []


# ------------------------------------------------------------------------------------------
# indicator-vague
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("提升", "提升"),
        ("有所提升", "有所提升"),
        ("正向提升", "正向提升"),
        ("提高", "提高"),
        ("逐步完善", "逐步完善"),
        ("提升（含广清、广佛、广德产业园）", "提升"),
        ("对当地生产生活条件不断改善有促进作用。", "不断改善"),
    ],
)
def test_vague_words_are_flagged(value, word):
    findings = audit_indicators(complete(ind(0, "22", "园区知名度", value)))
    got = flagged(findings, "indicator-vague")
    assert list(got) == [6]
    msg = got[6]
    assert "第 6 项指标「园区知名度」" in msg
    assert f"含「{word}」" in msg
    assert "（实施周期、年度）" in msg  # same value in both fields: said once
    f = rules_of(findings, "indicator-vague")[0]
    assert f.severity == "warning"
    assert f.basis == BASIS["indicator-vague"]


def test_vague_only_the_vague_field_is_named():
    findings = audit_indicators(
        complete(ind(0, "22", "社会影响力", "社会影响力较好并形成示范", "提升"))
    )
    msg = flagged(findings, "indicator-vague")[6]
    assert "「提升」" in msg and "（年度）" in msg and "实施周期" not in msg


@pytest.mark.parametrize(
    "value",
    [
        "合规",
        "是",
        "完成",
        "优良",
        "考核结果为较好以上",
        "工作经费支出符合国家财经法规和财务管理制度",
    ],
)
def test_accepted_qualitative_grades_are_not_vague(value):
    findings = audit_indicators(complete(ind(0, "12", "资金使用合规性", value)))
    assert rules_of(findings, "indicator-vague") == []


def test_quantitative_value_with_a_direction_word_is_not_vague():
    t = qt("≥", 5, "%", raw="较上年提升5%")
    findings = audit_indicators(complete(ind(0, "21", "村集体收入增长率", t)))
    assert rules_of(findings, "indicator-vague") == []


def test_value_repeating_the_name_is_vague():
    findings = audit_indicators(
        complete(ind(0, "13", "采购工作完成率", "采购工作完成率", qt(">", 80, "%")))
    )
    msg = flagged(findings, "indicator-vague")[6]
    assert "重复了指标名称" in msg and "（实施周期）" in msg


def test_scoring_rule_as_value_is_vague():
    findings = audit_indicators(
        complete(
            ind(
                0,
                "31",
                "服务对象满意率(%)",
                "公务活动工作人员满意度",
                "满意度指标低于90%不得分，大于等于90%得满分",
            )
        )
    )
    msg = flagged(findings, "indicator-vague")[6]
    assert "评分规则" in msg and "（年度）" in msg
    assert "「公务活动工作人员满意度」是一个指标名称" in msg and "（实施周期）" in msg


def test_rate_without_any_number_is_vague_but_with_number_is_not():
    bad = audit_indicators(
        complete(ind(0, "12", "交办任务完成率", "统筹协调各工作队完成上级交办任务"))
    )
    assert "可量化" in flagged(bad, "indicator-vague")[6]
    good = audit_indicators(complete(ind(0, "12", "交办任务完成率", qt("≥", 100, "%"))))
    assert rules_of(good, "indicator-vague") == []


def test_placeholder_is_not_reported_as_vague():
    findings = audit_indicators(complete(ind(0, "11", "待单位补充...", ph())))
    assert rules_of(findings, "indicator-vague") == []
    assert findings == []  # the table checks report placeholders (indicator-placeholder)


# ------------------------------------------------------------------------------------------
# indicator-coverage
# ------------------------------------------------------------------------------------------


def test_coverage_missing_categories_one_finding_each():
    only_output = [
        ind(1, "11", "培训人数", qt("≥", 390, "人")),
        ind(2, "12", "资金支出合规性", "合规"),
    ]
    findings = audit_indicators(only_output)
    cov = rules_of(findings, "indicator-coverage")
    assert [f.expected for f in cov] == ["效益指标", "满意度指标"]
    assert all(f.indicator is None for f in cov)
    assert "项目缺少效益指标" in cov[0].message and "产出指标" in cov[0].message


def test_coverage_counts_level1_not_names():
    # a 满意度 name filed under 社会效益 does not cover 满意度指标
    items = [
        ind(1, "11", "推介活动场次", qt("≥", 1, "场")),
        ind(2, "22", "被接待人员满意度", qt(None, 100, "%")),
    ]
    cov = rules_of(audit_indicators(items), "indicator-coverage")
    assert [f.expected for f in cov] == ["满意度指标"]


def test_coverage_negative_and_empty_project():
    assert rules_of(audit_indicators(complete()), "indicator-coverage") == []
    cov = rules_of(audit_indicators([]), "indicator-coverage")
    assert [f.expected for f in cov] == ["产出指标", "效益指标", "满意度指标"]


def test_coverage_required_categories_configurable():
    rules = rules_from_toml('[indicator-coverage]\nrequired = ["产出", "成本指标"]\n')
    cov = rules_of(audit_indicators(complete(), rules), "indicator-coverage")
    assert [f.expected for f in cov] == ["成本指标"]
    with_cost = complete(ind(0, "41", "项目建设成本", qt("≤", 65, "万元")))
    assert rules_of(audit_indicators(with_cost, rules), "indicator-coverage") == []


# ------------------------------------------------------------------------------------------
# indicator-misfiled
# ------------------------------------------------------------------------------------------


def test_satisfaction_under_social_benefit_is_misfiled():
    findings = audit_indicators(complete(ind(0, "22", "对援藏工作满意度", qt(None, 100, "%"))))
    msg = flagged(findings, "indicator-misfiled")[6]
    assert "满意度类指标归入了「社会效益指标」" in msg


def test_satisfaction_survey_count_is_not_misfiled():
    findings = audit_indicators(complete(ind(0, "11", "满意度调查次数", qt("≥", 2, "次"))))
    assert rules_of(findings, "indicator-misfiled") == []


def test_cost_under_economic_benefit_is_misfiled():
    findings = audit_indicators(complete(ind(0, "21", "人均培训成本", qt("≤", 4000, "元/人"))))
    assert "成本类指标归入了经济效益指标" in flagged(findings, "indicator-misfiled")[6]
    ok = audit_indicators(complete(ind(0, "21", "带动村集体收入", qt("≥", 5, "万元"))))
    assert rules_of(ok, "indicator-misfiled") == []


def test_level2_name_used_as_level3_is_misfiled():
    findings = audit_indicators(complete(ind(0, "42", "可持续影响指标", qt(None, 100, "%"))))
    f = rules_of(findings, "indicator-misfiled")[0]
    assert "「可持续影响指标」是指标类别名称" in f.message
    assert f.actual == "成本指标 / 42-社会成本指标"


def test_timeliness_without_time_is_misfiled():
    bad = audit_indicators(complete(ind(0, "13", "任务考核情况", "考核结果为较好以上")))
    assert "时效指标没有时间要素" in flagged(bad, "indicator-misfiled")[6]
    for good in (
        ind(0, "13", "发放补贴时间", dl("每月5日前")),
        ind(0, "13", "及时拨付帮扶资金", qt("≤", 30, "天")),
        ind(0, "13", "资金拨付及时率", qt(None, 100, "%")),
        ind(0, "13", "资金支出进度(%)", qt("≥", 80, "%")),
        ind(0, "13", "项目报告", qt(None, 12, "个月")),
    ):
        assert rules_of(audit_indicators(complete(good)), "indicator-misfiled") == [], good.name


def test_ecological_benefit_without_ecology_is_misfiled():
    bad = audit_indicators(complete(ind(0, "23", "提升援藏工作知名度", "有所提升")))
    assert "生态效益指标与生态环境无关" in flagged(bad, "indicator-misfiled")[6]
    good = audit_indicators(complete(ind(0, "23", "绿化覆盖率", qt("≥", 40, "%"))))
    assert rules_of(good, "indicator-misfiled") == []


# ------------------------------------------------------------------------------------------
# indicator-duplicate
# ------------------------------------------------------------------------------------------


def test_duplicate_names_in_one_project():
    findings = audit_indicators(
        complete(
            ind(0, "11", "媒体宣传报道", qt("≥", 30, "篇", "不低于30篇")),
            ind(0, "11", "媒体宣传报道", qt("≥", 6, "篇", "不低于6篇")),
        )
    )
    dup = rules_of(findings, "indicator-duplicate")
    assert len(dup) == 1
    assert dup[0].indicator == 7
    assert dup[0].message == "第 7 项指标「媒体宣传报道」与第 6 项三级指标名称重复"


def test_duplicate_ignores_bracket_width_but_not_different_names():
    same = audit_indicators(
        complete(
            ind(0, "11", "人员到位率（%）", qt(None, 100, "%")),
            ind(0, "11", "人员到位率(%)", qt(None, 100, "%")),
        )
    )
    assert len(rules_of(same, "indicator-duplicate")) == 1
    different = audit_indicators(
        complete(
            ind(0, "11", "媒体宣传报道", qt("≥", 30, "篇")),
            ind(0, "22", "媒体正面报道或转载次数", qt("≥", 6, "篇次")),
        )
    )
    assert rules_of(different, "indicator-duplicate") == []


# ------------------------------------------------------------------------------------------
# indicator-unit
# ------------------------------------------------------------------------------------------


def test_rate_with_count_unit():
    findings = audit_indicators(
        complete(ind(0, "13", "广梅产业园招商目标达成率", qt("≥", 10, "家")))
    )
    msg = flagged(findings, "indicator-unit")[6]
    assert "比率类指标使用了计数单位「家」" in msg and "（实施周期、年度）" in msg


def test_rate_without_percent():
    findings = audit_indicators(complete(ind(0, "12", "项目验收合格率", qt("≥", 90, None))))
    assert "缺少%" in flagged(findings, "indicator-unit")[6]
    # a unit in the name covers the value: 受训学员满意度(%) ≥90
    ok = audit_indicators(complete(ind(0, "31", "受训学员满意度(%)", qt("≥", 90, None))))
    assert rules_of(ok, "indicator-unit") == []


def test_percentage_above_100_with_at_least():
    bad = audit_indicators(complete(ind(0, "12", "项目完成率", qt("≥", 120, "%"))))
    assert "超过100%" in flagged(bad, "indicator-unit")[6]
    for good in (
        ind(0, "12", "帮扶各对口单位完成率", qt("≥", 100, "%")),
        ind(0, "21", "工业总产值增长率", qt("≥", 150, "%")),  # growth can exceed 100 %
        ind(0, "13", "年度预算执行率", qt("≤", 100, "%")),
    ):
        assert rules_of(audit_indicators(complete(good)), "indicator-unit") == [], good.name


def test_count_without_unit():
    findings = audit_indicators(complete(ind(0, "11", "培训期数", qt("≥", 5, None))))
    assert "指标值「≥5」缺少计量单位" in flagged(findings, "indicator-unit")[6]
    for good in (
        ind(0, "11", "培训人数", qt("≥", 390, "人")),
        ind(0, "12", "综合评分", qt("≥", 90, None)),
        ind(0, "22", "带动就业人数", qt("≥", 1.4, "万人")),
    ):
        assert rules_of(audit_indicators(complete(good)), "indicator-unit") == [], good.name


# ------------------------------------------------------------------------------------------
# indicator-period
# ------------------------------------------------------------------------------------------


def test_period_opposite_directions():
    f = audit_indicators(
        complete(ind(0, "13", "设备修复时间", qt("≤", 2, "小时"), qt("≥", 2, "小时")))
    )
    got = rules_of(f, "indicator-period")
    assert len(got) == 1 and got[0].severity == "info" and "方向相反" in got[0].message


def test_period_annual_larger_than_period_for_a_count():
    f = audit_indicators(
        complete(ind(0, "11", "媒体发稿数量", qt("≥", 100, "篇"), qt("≥", 150, "篇")))
    )
    assert "年度目标（≥150篇）大于实施周期目标（≥100篇）" in flagged(f, "indicator-period")[6]
    # a rate may be the same or higher in one year: not a cumulative count
    g = audit_indicators(complete(ind(0, "12", "验收合格率", qt("≥", 90, "%"), qt("≥", 95, "%"))))
    assert rules_of(g, "indicator-period") == []
    # annual smaller than the period: fine
    h = audit_indicators(
        complete(ind(0, "11", "媒体发稿数量", qt("≥", 150, "篇"), qt("≥", 50, "篇")))
    )
    assert rules_of(h, "indicator-period") == []


def test_period_units_differ():
    f = audit_indicators(
        complete(ind(0, "11", "保障干部人数", qt("≥", 85, "个"), qt("≥", 4, "人")))
    )
    assert "计量单位不一致" in flagged(f, "indicator-period")[6]


def test_period_same_values_or_qualitative_are_quiet():
    f = audit_indicators(
        complete(
            ind(0, "11", "培训人次", qt("≥", 390, "人次")),
            ind(0, "12", "x", "合规", qt("≥", 1, "次")),
        )
    )
    assert rules_of(f, "indicator-period") == []


# ------------------------------------------------------------------------------------------
# indicator-legacy
# ------------------------------------------------------------------------------------------


def test_legacy_in_a_table_using_the_2021_scheme():
    items = complete(
        ind(0, "14", "人均培训成本", qt("≤", 4000, "元/人")),
        ind(0, "41", "项目建设成本", qt("≤", 65, "万元")),
    )
    got = rules_of(audit_indicators(items), "indicator-legacy")
    assert [f.indicator for f in got] == [6]
    assert got[0].severity == "info" and "14-成本指标" in got[0].message


def test_legacy_alone_is_not_flagged():
    items = complete(ind(0, "24", "项目可持续运行年限", qt("≥", 5, "年")))
    assert rules_of(audit_indicators(items), "indicator-legacy") == []
    # …unless the table elsewhere uses the 2021 scheme
    got = rules_of(audit_indicators(items, new_scheme=True), "indicator-legacy")
    assert [f.indicator for f in got] == [6]


# ------------------------------------------------------------------------------------------
# Location, table, counts, score
# ------------------------------------------------------------------------------------------


def _table(*projects: Project) -> Table:
    return Table(
        sheet="Sheet1",
        header_rows=[9],
        columns={"name": "A", "total": "B", "goal": "F", "indicators": "G"},
        units=[Unit(name="广州市协作办公室", row=11, projects=list(projects))],
    )


def _project(name: str, row: int, indicators) -> Project:
    return Project(
        name=name, row=row, rows=[row], amounts=Amounts(total=1.0), indicators=indicators
    )


def test_audit_table_locates_findings_on_the_indicator_cell():
    a = _project("甲项目", 12, complete(ind(0, "22", "园区知名度", "提升")))
    b = _project(
        "乙项目",
        14,
        [ind(1, "14", "人均成本", qt("≤", 10, "元")), ind(2, "41", "建设成本", qt("≤", 5, "万元"))],
    )
    findings = audit_table(_table(a, b))
    vague = rules_of(findings, "indicator-vague")[0]
    assert (vague.sheet, vague.cell, vague.row) == ("Sheet1", "G12", 12)
    assert (vague.project, vague.unit) == ("甲项目", "广州市协作办公室")
    legacy = rules_of(findings, "indicator-legacy")
    assert [(f.cell, f.indicator) for f in legacy] == [("G14", 1)]
    assert all(f.basis for f in findings)
    # audit_project with the same context gives the same findings for that project
    assert audit_project(a, table=_table(a, b), unit=_table(a).units[0]) == [
        f for f in findings if f.project == "甲项目"
    ]


def test_quality_counts_and_score():
    clean = _project("甲", 12, complete())
    messy = _project(
        "乙",
        13,
        [
            ind(1, "11", "培训期数", qt("≥", 5, None)),  # unit
            ind(2, "11", "培训期数", qt("≥", 5, "期")),  # duplicate
            ind(3, "22", "园区知名度", "提升"),  # vague
            ind(4, "12", "资金支出合规性", "合规"),  # clean
        ],
    )
    findings = audit_table(_table(clean, messy))
    assert quality_score(clean, findings) == 100
    counts = quality_counts(findings, messy)
    assert set(counts) == set(QUALITY_RULES)
    assert counts["indicator-unit"] == 1 and counts["indicator-duplicate"] == 1
    assert counts["indicator-vague"] == 1 and counts["indicator-coverage"] == 1
    # 1 of 4 indicators clean, 2 of 3 categories: 70/4 + 30·2/3 = 17.5 + 20 = 37.5 -> 38
    assert quality_score(messy, findings) == 38
    # findings of another project do not count
    assert (
        quality_score(
            clean,
            [
                f.model_copy(update={"project": "甲", "row": 12, "indicator": 1})
                for f in findings
                if f.project == "乙"
            ],
        )
        < 100
    )
    assert quality_score(clean, [f for f in findings if f.project == "乙"]) == 100


def test_score_placeholders_info_and_empty():
    placeholder = _project("丙", 15, [ind(1, "11", "待单位补充...", ph())])
    findings = audit_table(_table(placeholder))
    # no clean indicator, 1 of 3 categories: 0 + 10
    assert quality_score(placeholder, findings) == 10
    assert quality_score(_project("丁", 16, []), []) == 0
    # info findings do not lower the score
    p = _project(
        "戊", 17, complete(ind(0, "11", "媒体发稿数量", qt("≥", 100, "篇"), qt("≥", 150, "篇")))
    )
    f = audit_table(_table(p))
    assert [x.rule for x in f] == ["indicator-period"]
    assert quality_score(p, f) == 100
    # disabling coverage makes the coverage term full
    rules = rules_from_toml("[indicator-coverage]\nenabled = false\n")
    assert quality_score(placeholder, audit_table(_table(placeholder), rules), rules) == 30


def test_default_rules_cover_every_rule_with_documented_severity():
    rules = default_rules()
    assert {r: rules.severity(r) for r in QUALITY_RULES} == {
        "indicator-vague": "warning",
        "indicator-coverage": "warning",
        "indicator-misfiled": "warning",
        "indicator-duplicate": "warning",
        "indicator-unit": "warning",
        "indicator-period": "info",
        "indicator-legacy": "info",
    }
    assert all(rules.enabled(r) for r in QUALITY_RULES)
    assert set(BASIS) == set(QUALITY_RULES)


# ------------------------------------------------------------------------------------------
# The same rules on made-up packed 绩效指标 text, through the real parser
# ------------------------------------------------------------------------------------------

CLEAN_ITEMS = [
    ("1-产出指标", "11-数量指标", "培训人数", "≥390人", "≥390人"),
    ("1-产出指标", "12-质量指标", "资金支出合规性", "合规", "合规"),
    ("1-产出指标", "13-时效指标", "资金拨付及时率", "100%", "100%"),
    ("2-效益指标", "22-社会效益", "带动就业人数", "≥1.4万人", "≥1.4万人"),
    ("3-满意度指标", "31-服务对象满意度", "参加培训学员满意度", "≥90%", "≥90%"),
]


def packed(*extra: tuple[str, str, str, str, str], base=CLEAN_ITEMS) -> str:
    """A 绩效指标 cell in the seed's style:
    ``N、一级；二级；三级；实施周期指标值:…；年度指标值:…。``"""
    items = [*base, *extra]
    return "".join(
        f"{n}、{l1}；{l2}；{name}；实施周期指标值:{p}；年度指标值:{a}。"
        for n, (l1, l2, name, p, a) in enumerate(items, start=1)
    )


def audit_text(text: str) -> dict[str, list[int | None]]:
    found = audit_indicators(parse_indicators(text))
    out: dict[str, list[int | None]] = {}
    for f in found:
        out.setdefault(f.rule, []).append(f.indicator)
    return out


def test_parsed_clean_cell_has_no_findings():
    assert audit_text(packed()) == {}


PARSED_CASES = [
    # (rule, extra item, flagged?)
    ("indicator-vague", ("2-效益指标", "22-社会效益", "园区知名度", "提升", "有所提升"), True),
    (
        "indicator-vague",
        ("2-效益指标", "21-经济效益", "龙岩旅游人次", "正向提升", "正向提升"),
        True,
    ),
    ("indicator-vague", ("1-产出指标", "13-时效指标", "年度预算执行率", "≤100%", "≤100%"), True),
    ("indicator-vague", ("1-产出指标", "13-时效指标", "采购完成率", "采购完成率", "≥95%"), True),
    ("indicator-vague", ("2-效益指标", "21-经济效益", "村集体收入", "较上年提升5%", "≥5%"), False),
    ("indicator-vague", ("2-效益指标", "22-社会效益", "是否提高工作效率", "是", "是"), False),
    (
        "indicator-misfiled",
        ("4-成本指标", "42-社会成本指标", "可持续影响指标", "100%", "100%"),
        True,
    ),
    ("indicator-misfiled", ("2-效益指标", "22-社会效益", "被接待人员满意度", "100%", "100%"), True),
    (
        "indicator-misfiled",
        ("2-效益指标", "21-经济效益", "人均培训成本", "≤4000元/人", "≤4000元/人"),
        True,
    ),
    (
        "indicator-misfiled",
        ("1-产出指标", "13-时效指标", "任务考核情况", "较好以上", "较好以上"),
        True,
    ),
    (
        "indicator-misfiled",
        ("1-产出指标", "13-时效指标", "发放补贴时间", "每月5日前", "每月5日前"),
        False,
    ),
    (
        "indicator-misfiled",
        ("4-成本指标", "42-社会成本指标", "施工扰民投诉", "≤2次", "≤2次"),
        False,
    ),
    ("indicator-unit", ("1-产出指标", "13-时效指标", "招商目标达成率", "≥10家", "≥10家"), True),
    ("indicator-unit", ("1-产出指标", "11-数量指标", "培训期数", "≥5", "≥5"), True),
    ("indicator-unit", ("1-产出指标", "12-质量指标", "项目完成率", "≥120%", "≥120%"), True),
    ("indicator-unit", ("1-产出指标", "11-数量指标", "培训期数", "≥5期", "≥5期"), False),
    ("indicator-unit", ("1-产出指标", "12-质量指标", "招商目标达成率", "≥90%", "≥90%"), False),
    ("indicator-period", ("1-产出指标", "13-时效指标", "修复时间", "≤2小时", "≥2小时"), True),
    ("indicator-period", ("1-产出指标", "11-数量指标", "发稿数量", "≥100篇", "≥150篇"), True),
    ("indicator-period", ("1-产出指标", "11-数量指标", "发稿数量", "≥150篇", "≥50篇"), False),
    ("indicator-legacy", ("1-产出指标", "14-成本指标", "人均成本", "≤10元", "≤10元"), False),
]


@pytest.mark.parametrize(("rule", "item", "expected"), PARSED_CASES)
def test_parsed_rule_cases(rule, item, expected):
    got = audit_text(packed(item))
    assert (6 in got.get(rule, [])) is expected, got


def test_parsed_duplicate_and_coverage_and_legacy():
    dup = ("1-产出指标", "11-数量指标", "媒体宣传报道", "不低于30篇", "不低于30篇")
    dup2 = ("1-产出指标", "11-数量指标", "媒体宣传报道", "不低于6篇。", "不低于6篇")
    assert audit_text(packed(dup, dup2)) == {"indicator-duplicate": [7]}
    assert audit_text(packed(dup)) == {}
    only_output = packed(base=CLEAN_ITEMS[:3])
    assert audit_text(only_output) == {"indicator-coverage": [None, None]}
    legacy = packed(
        ("1-产出指标", "14-成本指标", "人均成本", "≤10元", "≤10元"),
        ("4-成本指标", "41-经济成本指标", "项目建设成本", "≤65万元", "≤65万元"),
    )
    assert audit_text(legacy) == {"indicator-legacy": [6]}


# ------------------------------------------------------------------------------------------
# Robustness: any text the parser accepts can be audited and scored
# ------------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "1、",
        "2、",
        "3、",
        "1-产出指标；",
        "2-效益指标；",
        "3-满意度指标；",
        "4-成本指标；",
        "11-数量指标；",
        "13-时效指标；",
        "21-经济效益；",
        "22-社会效益；",
        "24-可持续影响指标；",
        "42-社会成本指标；",
        "实施周期指标值:",
        "年度指标值:",
        "≥",
        "≤",
        "100%",
        "120%",
        "10家",
        "390",
        "提升",
        "待单位补充...",
        "满意度",
        "完成率",
        "成本",
        "。",
        "；",
        "(%)",
        "每月5日前",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=30))
def test_audit_never_raises_and_scores_stay_in_range(parts):
    indicators = parse_indicators("".join(parts))
    project = _project("模糊项目", 20, indicators)
    findings = audit_table(_table(project))
    for f in findings:
        assert f.rule in QUALITY_RULES and f.message and f.cell == "G20"
    assert 0 <= quality_score(project, findings) <= 100
