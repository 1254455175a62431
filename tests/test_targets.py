"""parse_target: the operator lexicon (domain notes §3.2/§7.2), units, multipliers, kinds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfsheet.core.models import Target
from perfsheet.core.targets import analyze_target, parse_target
from perfsheet.core.text import clean_text

# (text, op, value, unit, ambiguous, implicit)
QUANT = [
    # ≥
    ("≥390", "≥", 390, None, False, False),
    (">=90%", "≥", 90, "%", False, False),
    ("＞＝90%", "≥", 90, "%", False, False),
    ("≧5个", "≥", 5, "个", False, False),
    ("大于等于90%", "≥", 90, "%", False, False),
    ("大于或等于90%", "≥", 90, "%", False, False),
    ("不低于30篇", "≥", 30, "篇", False, False),
    ("不少于1次", "≥", 1, "次", False, False),
    ("不小于3个", "≥", 3, "个", False, False),
    ("全员业务培训不少1次", "≥", 1, "次", False, False),  # the seed's typo
    ("至少2场", "≥", 2, "场", False, False),
    ("每月不少于1次", "≥", 1, "次", False, False),
    # ≤
    ("≤4000元/人", "≤", 4000, "元/人", False, False),
    ("<=3%", "≤", 3, "%", False, False),
    ("＜＝3%", "≤", 3, "%", False, False),
    ("≦3%", "≤", 3, "%", False, False),
    ("小于等于5天", "≤", 5, "天", False, False),
    ("小于或等于5天", "≤", 5, "天", False, False),
    ("不高于5%", "≤", 5, "%", False, False),
    ("不超过65万元", "≤", 65, "万元", False, False),
    ("不多于3次", "≤", 3, "次", False, False),
    ("不大于2%", "≤", 2, "%", False, False),
    ("不超5%", "≤", 5, "%", False, False),
    ("最多3次", "≤", 3, "次", False, False),
    ("至多3次", "≤", 3, "次", False, False),
    ("控制在30天以内", "≤", 30, "天", False, False),
    ("控制在5%", "≤", 5, "%", False, False),
    ("30天以内", "≤", 30, "天", False, False),
    ("5个工作日内", "≤", 5, "个工作日", False, False),
    ("±3%以内", "≤", 3, "%", True, False),
    # >
    ("高于95%", ">", 95, "%", True, False),  # authors often mean ≥ (domain §3.2)
    ("超过10家", ">", 10, "家", False, False),
    ("大于80%", ">", 80, "%", False, False),
    ("多于5个", ">", 5, "个", False, False),
    (">92%", ">", 92, "%", False, False),
    ("＞92%", ">", 92, "%", False, False),
    ("采购率大于80%即达标", ">", 80, "%", False, False),
    # <
    ("小于2小时", "<", 2, "小时", False, False),
    ("低于5%", "<", 5, "%", False, False),
    ("少于3次", "<", 3, "次", False, False),
    ("不满18岁", "<", 18, "岁", False, False),
    ("不足5%", "<", 5, "%", False, False),
    ("<5%", "<", 5, "%", False, False),
    ("＜5%", "<", 5, "%", False, False),
    # =
    ("=100%", "=", 100, "%", False, False),
    ("＝100%", "=", 100, "%", False, False),
    ("等于100%", "=", 100, "%", False, False),
    # ambiguous words
    ("完成率达到100%", "≥", 100, "%", True, False),
    ("达95%", "≥", 95, "%", True, False),
    ("15次以上", "≥", 15, "次", True, False),
    ("5个镇以上", "≥", 5, "个镇", True, False),
    ("95%及以上", "≥", 95, "%", True, False),
    ("5%以下", "≤", 5, "%", True, False),
    ("不低于95%以上", "≥", 95, "%", False, False),  # an explicit operator wins
    # bare numbers: = assumed
    ("78个", "=", 78, "个", True, True),
    ("100%", "=", 100, "%", True, True),
    ("12个月", "=", 12, "个月", True, True),
    ("300家次", "=", 300, "家次", True, True),
    ("≥6篇次", "≥", 6, "篇次", False, False),
    ("90%左右", "=", 90, "%", True, True),
    # spaces, full-width forms, notes, label prefixes
    ("≥ 90 %", "≥", 90, "%", False, False),
    ("≥９０％", "≥", 90, "％", False, False),
    ("≥100百分比", "≥", 100, "百分比", False, False),
    ("≥3%（含广清、广佛、广德产业园）", "≥", 3, "%", False, False),
    ("≥5.5%(含线上)", "≥", 5.5, "%", False, False),
    ("贫困村帮扶户数：≥18户", "≥", 18, "户", False, False),
    ("户数：18户", "=", 18, "户", True, True),
    ("保障驻镇帮镇扶村帮扶地工作和生活条件的干部人数不低于85个", "≥", 85, "个", False, False),
    ("≥1,000人", "≥", 1000, "人", False, False),
    ("≤4000元/人·月", "≤", 4000, "元/人·月", False, False),
    ("≥80M", "≥", 80, "M", False, False),
]


@pytest.mark.parametrize(("text", "op", "value", "unit", "ambiguous", "implicit"), QUANT)
def test_quantitative(text, op, value, unit, ambiguous, implicit):
    t = parse_target(text)
    assert t.kind == "quantitative"
    assert (t.op, t.value, t.unit) == (op, value, unit)
    assert (t.ambiguous, t.implicit_op) == (ambiguous, implicit)
    assert t.raw == clean_text(text)


@pytest.mark.parametrize(
    ("text", "value", "unit", "base_value", "base_unit"),
    [
        ("≥1.4万人", 1.4, "万人", 14000, "人"),
        ("≥10万人", 10, "万人", 100000, "人"),
        ("≥5亿元", 5, "亿元", 500000000, "元"),
        ("2亿元", 2, "亿元", 200000000, "元"),
        ("≥200万人次", 200, "万人次", 2000000, "人次"),
        ("10万平米", 10, "万平米", 100000, "平方米"),
        ("≤65万元", 65, "万元", 650000, "元"),
        ("250万", 250, "万", 2500000, None),
        ("≥0.35亿元", 0.35, "亿元", 35000000, "元"),
        ("1.2万亿元", 1.2, "万亿元", 1.2e12, "元"),
        ("≥3千米", 3, "千米", 3, "千米"),  # 千 is not a multiplier
        ("≥90％", 90, "％", 90, "%"),
        ("≥100百分比", 100, "百分比", 100, "%"),
        ("25.29㎡", 25.29, "㎡", 25.29, "平方米"),
        ("≥390", 390, None, 390, None),
    ],
)
def test_multipliers_and_base_units(text, value, unit, base_value, base_unit):
    t = parse_target(text)
    assert (t.value, t.unit, t.base_value, t.base_unit) == (value, unit, base_value, base_unit)


def test_multiplier_products_are_exact():
    assert parse_target("≥1.4万人").base_value == 14000.0
    assert parse_target("≥0.07万人").base_value == 700.0
    assert parse_target("1.1亿元").base_value == 110000000.0


@pytest.mark.parametrize(
    "text",
    [
        "每月5日前",
        "12月31日前",
        "2025年6月30日前完成",
        "6月底前",
        "每季度10日前",
        "在项目计划完成时间内完成",
        "2025-11-30前",
        "2025.6.30前完成",
        "2025/06/30之前",
    ],
)
def test_deadlines(text):
    t = parse_target(text)
    assert t.kind == "deadline"
    assert t.op == "≤"
    assert t.value is None and t.raw == text


@pytest.mark.parametrize(
    "text",
    [
        "合规",
        "合法合规",
        "提升",
        "有所提升",
        "正向提升",
        "是",
        "否",
        "完成",
        "优良",
        "及时",
        "较好及以上",
        "考核结果达到较好及以上",
        "按时完成",
        "提升（含广清、广佛、广德产业园）",
        # prose that merely contains a number
        "实现30个工作在这方面的制度、方案、措施等建设全覆盖",
        "按照35人需求，租用宿舍。",
        "一个指挥部",
        "租用1台公务车辆",
        "招聘3个人，辅助工作有序开展",
        "≥80%的企业满意",
        # a scoring rule, not a target
        "满意度指标低于90%不得分，大于等于90%得满分",
        # ranges and periods
        "90%-95%",
        "10~20个",
        "2023.07-2024.01",
        "不少人参加",
    ],
)
def test_qualitative(text):
    t = parse_target(text)
    assert t.kind == "qualitative"
    assert t.op is None and t.value is None and t.unit is None
    assert t.raw == text


@pytest.mark.parametrize(
    "text",
    [
        "待单位补充...",
        "待补充",
        "待单位填写",
        "待定",
        "暂无",
        "≥XX%",
        "**月**日前",
        "--",
        "/",
        "…",
        "xx个",
    ],
)
def test_placeholders(text):
    assert parse_target(text).kind == "placeholder"


@pytest.mark.parametrize("text", [None, "", "   ", "。", "；", "<p></p>", "&nbsp;"])
def test_empty(text):
    t = parse_target(text)
    assert t.kind == "empty"
    assert t.op is None and t.value is None


def test_several_targets_take_the_first_quantitative_one():
    t, multi = analyze_target("保障办公人员≥4人；租用1台公务车辆")
    assert (t.kind, t.op, t.value, t.unit) == ("quantitative", "≥", 4, "人")
    assert t.ambiguous and multi
    assert t.raw == "保障办公人员≥4人；租用1台公务车辆"
    t, multi = analyze_target("总人数/ 贫困村总数/ 户数；贫困村帮扶户数：≥18户；下区帮扶组：≥10人")
    assert (t.op, t.value, t.unit, multi) == ("≥", 18, "户", True)
    t, multi = analyze_target("≥10人。≥18户")
    assert (t.value, t.unit, multi) == (10, "人", True)


def test_several_qualitative_parts_are_one_qualitative_value():
    text = "按标准限额管理，保障办公需要；添购办公设施；招聘人员辅助工作有序开展"
    t, multi = analyze_target(text)
    assert t.kind == "qualitative" and not multi and t.raw == text
    t, multi = analyze_target("待单位补充；待补充")
    assert t.kind == "placeholder" and not multi


def test_trailing_punctuation_and_html():
    assert parse_target("不低于6篇。").value == 6
    assert parse_target("<p>≥90%</p>").unit == "%"
    assert parse_target("≥９０％").value == 90


def test_targets_are_frozen_hashable_and_cached():
    a = parse_target("≥90%")
    b = parse_target("≥90%")
    assert a is b  # cached on the cleaned value string
    assert hash(a) == hash(b)
    assert isinstance(a, Target)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its own ValidationError
        a.value = 1  # type: ignore[misc]
    assert a.model_dump() == Target(**a.model_dump()).model_dump()


_TRICKY = st.text(
    alphabet=st.sampled_from(
        list(
            "≥≤<>＝＞＜=0123456789.,%％万亿元人次个以上下内达到"
            "不低于少超过高于；;。，:：（）()待补充-~ "
        )
    ),
    max_size=40,
)


@given(st.one_of(_TRICKY, st.text(max_size=60)))
def test_parse_target_never_raises_and_is_consistent(text):
    t = parse_target(text)
    assert t.kind in ("quantitative", "qualitative", "placeholder", "deadline", "empty")
    if t.kind == "quantitative":
        assert t.op in ("≥", "≤", ">", "<", "=")
        assert t.value is not None and t.base_value is not None
        assert t.implicit_op <= t.ambiguous  # implicit implies ambiguous
    else:
        assert t.value is None
    # validation accepts what the parser built with model_construct
    Target.model_validate(t.model_dump())


def test_fast_constructor_equals_model_construct():
    from perfsheet.core.models import Indicator
    from perfsheet.core.targets import fast_constructor

    t = parse_target("≥90%")
    for cls, fields in (
        (Target, dict(t.__dict__)),
        (
            Indicator,
            {
                "seq": 1,
                "level1": "产出指标",
                "level1_code": "1",
                "level2": "数量指标",
                "level2_code": "11",
                "legacy": False,
                "name": "培训人数",
                "period_value": "≥90%",
                "annual_value": "≥90%",
                "period_target": t,
                "annual_target": t,
                "warnings": [],
                "raw": "1、…",
                "row": None,
            },
        ),
    ):
        fast = fast_constructor(cls)(dict(fields))
        slow = cls.model_construct(**fields)
        assert fast.__getstate__() == slow.__getstate__()
        assert fast == slow and fast.model_dump() == slow.model_dump()
        assert fast.model_fields_set == set(cls.model_fields)
        assert cls.model_validate(fast.model_dump()) == fast
