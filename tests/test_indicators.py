"""parse_indicators on made-up text: formats, separators, malformed items, property tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfsheet.core import indicators as ind_mod
from perfsheet.core import parse_indicators
from perfsheet.core.indicators import (
    INTERNAL_ERROR,
    W_DUP_LABEL,
    W_EMPTY_ANNUAL,
    W_MULTI,
    W_NO_ANNUAL,
    W_NO_LABEL,
    W_NO_LEVEL1,
    W_NO_LEVEL2,
    W_NO_PERIOD,
    W_NO_SEQ,
    W_PLACEHOLDER,
    W_SEP_DOT,
    W_SEP_MISSING,
    W_SWAPPED,
    W_UNPARSED,
)
from perfsheet.core.text import clean_text
from seed_cells import SEED_CELLS

ITEM = "1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390。"


def fields(i):
    return (i.seq, i.level1, i.level1_code, i.level2, i.level2_code, i.name)


def values(i):
    return (i.period_value, i.annual_value)


def reference(text: str):
    """The general path with every item through _parse_item (no fast path)."""
    return ind_mod._parse_general(clean_text(text), fast_items=False)


def test_basic_item():
    [i] = parse_indicators(ITEM)
    assert fields(i) == (1, "产出指标", "1", "数量指标", "11", "培训人数")
    assert values(i) == ("≥390", "≥390")
    assert (i.annual_target.op, i.annual_target.value) == ("≥", 390)
    assert i.warnings == [] and i.legacy is False
    assert i.raw == ITEM


def test_empty_inputs():
    assert parse_indicators(None) == []
    assert parse_indicators("") == []
    assert parse_indicators("  <p></p> &nbsp; ") == []


@pytest.mark.parametrize(
    "text",
    [
        "1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390。",
        "1、1-产出指标;11-数量指标;培训人数;实施周期指标值:≥390;年度指标值:≥390。",
        "1、1-产出指标；11-数量指标；培训人数；实施周期指标值：≥390；年度指标值：≥390。",
        "1、1-产出指标; 11-数量指标; 培训人数; 实施周期指标值: ≥390; 年度指标值: ≥390。",
        "1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390",
        "<p>1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390。</p>",
        "1、1-产出指标；&nbsp;11-数量指标；\u00a0培训人数；实施周期指标值:\u3000≥390；年度指标值:≥390。",
        "１、１-产出指标；１１-数量指标；培训人数；实施周期指标值:≥３９０；年度指标值:≥３９０。",
        "1、1－产出指标；11－数量指标；培训人数；实施周期指标值 : ≥390 ；年度指标值 :≥390。",
        "\n  1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390。\n",
    ],
)
def test_text_styles(text):
    [i] = parse_indicators(text)
    assert fields(i) == (1, "产出指标", "1", "数量指标", "11", "培训人数")
    assert values(i) == ("≥390", "≥390")
    assert i.warnings == []


def test_items_separated_by_newlines_br_or_nothing():
    a = "1、1-产出指标；11-数量指标；a；实施周期指标值:合规；年度指标值:合规"
    b = "2、2-效益指标；22-社会效益；b；实施周期指标值:提升；年度指标值:提升"
    for sep in ["。", "\n", "\r\n", "<br/>", "。\n", "", "。</p><p>", " "]:
        out = parse_indicators(a + sep + b)
        assert [x.seq for x in out] == [1, 2], sep
        assert [x.name for x in out] == ["a", "b"], sep
        assert [x.annual_value for x in out] == ["合规", "提升"], sep
        assert all(x.warnings == [] for x in out), sep


def test_digits_glued_to_the_next_item_number():
    a = "1、1-产出指标；11-数量指标；a；实施周期指标值:≥390；年度指标值:≥390"
    b = "2、1-产出指标；11-数量指标；b；实施周期指标值:≥12；年度指标值:≥12"
    c = "3、1-产出指标；11-数量指标；c；实施周期指标值:≥5；年度指标值:≥5"
    out = parse_indicators(a + b + c)
    assert [x.seq for x in out] == [1, 2, 3]
    assert [x.annual_value for x in out] == ["≥390", "≥12", "≥5"]
    assert all(x.warnings == [] for x in out)


def test_items_without_codes_and_aliases():
    text = (
        "1、产出指标；数量指标；培训人数；实施周期指标值:≥390；年度指标值:≥390。"
        "2、效果指标；环境效益指标；绿化；实施周期指标值:提升；年度指标值:提升。"
        "3、满意度指标；社会公众或服务对象满意度指标；满意率；实施周期指标值:≥90%；年度指标值:≥90%。"
        "4、预期产出指标；时效指标；及时率；实施周期指标值:100%；年度指标值:100%。"
    )
    out = parse_indicators(text)
    assert [fields(x) for x in out] == [
        (1, "产出指标", None, "数量指标", None, "培训人数"),
        (2, "效益指标", None, "生态效益指标", None, "绿化"),
        (3, "满意度指标", None, "服务对象满意度指标", None, "满意率"),
        (4, "产出指标", None, "时效指标", None, "及时率"),
    ]
    assert all(x.warnings == [] for x in out)


def test_codes_normalize_short_names():
    text = (
        "1、2-效益指标；21-经济效益；a；实施周期指标值:提升；年度指标值:提升。"
        "2、3-满意度指标；31-服务对象满意度；b；实施周期指标值:≥90%；年度指标值:≥90%。"
        "3、4-成本指标;42-社会成本指标;c;实施周期指标值:100%;年度指标值:100%。"
    )
    out = parse_indicators(text)
    assert [(x.level1, x.level2, x.level2_code) for x in out] == [
        ("效益指标", "经济效益指标", "21"),
        ("满意度指标", "服务对象满意度指标", "31"),
        ("成本指标", "社会成本指标", "42"),
    ]


def test_legacy_codes_accepted():
    text = (
        "1、1-产出指标；14-成本指标；人均成本；实施周期指标值:≤4000元/人；年度指标值:≤4000元/人。"
        "2、2-效益指标；24-可持续影响指标；长效机制；实施周期指标值:建立；年度指标值:建立。"
        "3、产出指标；成本指标；总成本；实施周期指标值:≤65万元；年度指标值:≤65万元。"
    )
    out = parse_indicators(text)
    assert [(x.level2, x.level2_code, x.legacy) for x in out] == [
        ("成本指标", "14", True),
        ("可持续影响指标", "24", True),
        ("成本指标", None, True),
    ]
    assert all(x.warnings == [] for x in out)


def test_category_problems_are_warnings():
    [a, b, c, d] = parse_indicators(
        "1、1-产出指标；21-经济效益；a；实施周期指标值:1；年度指标值:1。"
        "2、5-其他指标；51-安全指标；b；实施周期指标值:1；年度指标值:1。"
        "3、1-产出指标；11-质量指标；c；实施周期指标值:1；年度指标值:1。"
        "4、11-数量指标；d；实施周期指标值:1；年度指标值:1。"
    )
    assert a.level2 == "经济效益指标" and any("不属于" in w for w in a.warnings)
    assert (b.level1, b.level1_code, b.level2, b.level2_code) == ("其他指标", "5", "安全指标", "51")
    assert any("未知一级指标代码5" in w for w in b.warnings)
    assert c.level2 == "数量指标" and any("不符" in w for w in c.warnings)
    assert (d.level1, d.level1_code, d.level2_code, d.name) == ("产出指标", None, "11", "d")
    assert W_NO_LEVEL1 in d.warnings


def test_values_containing_separators():
    [i] = parse_indicators(
        "1、1-产出指标；11-数量指标；保障人数；实施周期指标值:保障驻镇干部人数不低于85个。；"
        "年度指标值:保障办公人员≥4人；租用1台公务车辆。"
    )
    assert values(i) == ("保障驻镇干部人数不低于85个", "保障办公人员≥4人；租用1台公务车辆")
    assert (i.period_target.op, i.period_target.value) == ("≥", 85)
    assert (i.annual_target.op, i.annual_target.value, i.annual_target.unit) == ("≥", 4, "人")
    assert i.annual_target.ambiguous
    assert i.warnings == [W_MULTI]


def test_value_with_colons_and_semicolons_and_dots():
    [i] = parse_indicators(
        "1、1-产出指标；11-数量指标；x；实施周期指标值:第一：完成；第二：验收。；年度指标值:a；b：c。"
    )
    assert values(i) == ("第一：完成；第二：验收", "a；b：c")


def test_malformed_dot_separators_like_the_seed_wushan_item():
    [i] = parse_indicators(
        "1、2-效益指标；22-社会效益；项目惠及贫困户及低保五保户人数。实施周期指标值:≥10人。"
        "年度指标值:总人数/ 贫困村总数/ 户数；贫困村帮扶户数：≥18户；下区帮扶组：≥10人。"
    )
    assert i.name == "项目惠及贫困户及低保五保户人数"
    assert values(i) == (
        "≥10人",
        "总人数/ 贫困村总数/ 户数；贫困村帮扶户数：≥18户；下区帮扶组：≥10人",
    )
    assert i.warnings == [W_SEP_DOT, W_MULTI]


def test_missing_separator_and_missing_or_swapped_labels():
    [a] = parse_indicators("1、1-产出指标；11-数量指标；a；实施周期指标值:1个年度指标值:1个")
    assert values(a) == ("1个", "1个") and W_SEP_MISSING in a.warnings
    [b] = parse_indicators("1、1-产出指标；11-数量指标；b；年度指标值:≥5")
    assert values(b) == (None, "≥5") and W_NO_PERIOD in b.warnings
    assert b.period_target.kind == "empty"
    [c] = parse_indicators("1、1-产出指标；11-数量指标；c；实施周期指标值:≥5")
    assert values(c) == ("≥5", None) and W_NO_ANNUAL in c.warnings
    [d] = parse_indicators("1、1-产出指标；11-数量指标；d；年度指标值:≥5；实施周期指标值:≥9")
    assert values(d) == ("≥9", "≥5") and W_SWAPPED in d.warnings
    [e] = parse_indicators("1、1-产出指标；11-数量指标；e；实施周期指标值:≥5；年度指标值:")
    assert values(e) == ("≥5", None) and W_EMPTY_ANNUAL in e.warnings
    [f] = parse_indicators("1、1-产出指标；11-数量指标；f；≥5；≥6")
    assert (f.name, *values(f)) == ("f", "≥5", "≥6") and W_NO_LABEL in f.warnings
    [g] = parse_indicators("1、1-产出指标；11-数量指标；g；指标值:≥5")
    assert values(g) == (None, "≥5") and g.warnings == []
    [h] = parse_indicators(
        "1、1-产出指标；11-数量指标；h；实施周期指标值:1；年度指标值:2；年度指标值:3"
    )
    assert W_DUP_LABEL in h.warnings and h.period_value == "1"


def test_numbered_prose_inside_values_stays_in_the_value():
    text = (
        "1、1-产出指标；11-数量指标；x；实施周期指标值:1、通过验收；2、完成结算；"
        "年度指标值:1、通过验收。2、完成结算。"
        "2、1-产出指标；12-质量指标；y；实施周期指标值:合规；年度指标值:合规"
    )
    out = parse_indicators(text)
    assert [x.seq for x in out] == [1, 2]
    assert values(out[0]) == ("1、通过验收；2、完成结算", "1、通过验收。2、完成结算")
    assert out[1].name == "y"
    assert out == reference(text)


def test_an_item_without_categories_between_coded_items():
    text = (
        "1、1-产出指标；11-数量指标；a；实施周期指标值:≥1；年度指标值:≥1。"
        "2、培训期数；实施周期指标值:≥5；年度指标值:≥5。"
        "3、1-产出指标；12-质量指标；c；实施周期指标值:合规；年度指标值:合规。"
    )
    out = parse_indicators(text)
    assert [(x.seq, x.name) for x in out] == [(1, "a"), (2, "培训期数"), (3, "c")]
    assert out[1].warnings == [W_NO_LEVEL1, W_NO_LEVEL2]
    assert out[0].annual_value == "≥1"


def test_numbering_gaps_and_restarts_are_warned():
    text = (
        "1、1-产出指标；11-数量指标；a；实施周期指标值:1；年度指标值:1。"
        "3、1-产出指标；11-数量指标；b；实施周期指标值:1；年度指标值:1。"
        "1、1-产出指标；11-数量指标；c；实施周期指标值:1；年度指标值:1。"
    )
    out = parse_indicators(text)
    assert [x.seq for x in out] == [1, 3, 1]
    assert out[0].warnings == []
    assert out[1].warnings == ["序号不连续（应为2）"]
    assert out[2].warnings == ["序号不连续（应为4）"]


def test_leading_text_is_kept():
    [a, b] = parse_indicators(
        "标；22-社会效益；互联互通；实施周期指标值:正向提升；年度指标值:正向提升。"
        "2、1-产出指标；11-数量指标；b；实施周期指标值:1；年度指标值:1"
    )
    assert a.seq is None and W_NO_SEQ in a.warnings and a.annual_value == "正向提升"
    assert b.seq == 2
    [c] = parse_indicators(
        "绩效指标如下：1、1-产出指标；11-数量指标；c；实施周期指标值:1；年度指标值:1"
    )
    assert c.warnings == ["开头有未解析文字：绩效指标如下："]


@pytest.mark.parametrize("text", ["无", "详见附件", "1、2、3", "———", "12345"])
def test_unstructured_text_is_kept_with_a_warning(text):
    [i] = parse_indicators(text)
    assert i.seq is None and i.name is None
    assert i.raw == text and i.warnings == [W_UNPARSED]


def test_items_without_numbers():
    [i] = parse_indicators("产出指标；数量指标；培训人数；实施周期指标值：≥390；年度指标值：≥390")
    assert fields(i) == (None, "产出指标", None, "数量指标", None, "培训人数")
    assert i.warnings == [W_NO_SEQ]


def test_placeholders_are_warned():
    [i] = parse_indicators(
        "1、1-产出指标; 11-数量指标; 待单位补充...; "
        "实施周期指标值: 待单位补充...; 年度指标值: 待单位补充...。"
    )
    assert i.name == "待单位补充..." and i.period_target.kind == "placeholder"
    assert i.warnings == [W_PLACEHOLDER]


def test_items_without_codes_in_a_plain_list_are_found():
    out = parse_indicators(
        "1、培训人数；实施周期指标值:≥390；年度指标值:≥390。2、培训期数；实施周期指标值:≥5；年度指标值:≥5"
    )
    assert [(x.seq, x.name, x.annual_value) for x in out] == [
        (1, "培训人数", "≥390"),
        (2, "培训期数", "≥5"),
    ]


def test_alt_enter_inside_a_field_becomes_a_space():
    # issue 12 §3: two lines are never joined without a separator character
    [i] = parse_indicators(
        "1、1-产出指标；11-数量指标；名称\n续；实施周期指标值:统筹\r\n  协调；年度指标值:≥5"
    )
    assert i.name == "名称 续" and i.period_value == "统筹 协调"
    assert i.raw.endswith("名称\n续；实施周期指标值:统筹\n  协调；年度指标值:≥5")


def test_a_line_break_between_fields_is_a_separator():
    [i] = parse_indicators(
        "1、1-产出指标\n11-数量指标\n培训人数\n实施周期指标值：≥390人\n年度指标值：≥1\n000人"
    )
    assert (i.level2, i.name, i.period_value) == ("数量指标", "培训人数", "≥390人")
    assert i.annual_value == "≥1 000人"  # never 1000: the digits are on two lines
    assert i.warnings == []
    [j] = parse_indicators(
        "1、1-产出指标；11-数量指标；培训人数实施周期指标值:≥390；年度指标值:≥390"
    )
    assert j.warnings == [W_SEP_MISSING]


def test_fast_path_equals_the_reference_on_the_seed():
    for cell in SEED_CELLS:
        assert parse_indicators(cell["indicators"]) == reference(cell["indicators"])
    # and the fast path is actually taken for the canonical cells
    taken = [ind_mod._parse_fast(clean_text(c["indicators"])) is not None for c in SEED_CELLS]
    assert all(taken)


# --- property tests ------------------------------------------------------------------------

_TRICKY_CHARS = list(
    "、；;:：。，,<p>/&nbsp;１２３0123456789-－实施周期年度指标值产出效益满意度数量\n\r \u00a0"
)


@given(st.text(alphabet=st.sampled_from(_TRICKY_CHARS), max_size=120))
@settings(max_examples=300)
def test_never_raises_on_tricky_text(text):
    out = parse_indicators(text)
    assert all(INTERNAL_ERROR not in i.warnings for i in out)
    assert out == reference(text)


@given(st.text(max_size=200))
def test_never_raises_on_any_text(text):
    out = parse_indicators(text)
    assert all(INTERNAL_ERROR not in i.warnings for i in out)
    # nothing is dropped: every non-blank cleaned cell yields something
    if clean_text(text):
        assert out


L1_WRITTEN = {
    "1": ["产出指标", "产出", "预期产出指标"],
    "2": ["效益指标", "效果指标"],
    "3": ["满意度指标"],
    "4": ["成本指标"],
}
L1_CANON = {"1": "产出指标", "2": "效益指标", "3": "满意度指标", "4": "成本指标"}
L2 = {  # code: (parent, canonical, written forms, legacy)
    "11": ("1", "数量指标", ["数量指标"], False),
    "12": ("1", "质量指标", ["质量指标"], False),
    "13": ("1", "时效指标", ["时效指标"], False),
    "14": ("1", "成本指标", ["成本指标"], True),
    "21": ("2", "经济效益指标", ["经济效益", "经济效益指标"], False),
    "22": ("2", "社会效益指标", ["社会效益", "社会效益指标"], False),
    "23": ("2", "生态效益指标", ["生态效益", "环境效益指标"], False),
    "24": ("2", "可持续影响指标", ["可持续影响指标"], True),
    "31": ("3", "服务对象满意度指标", ["服务对象满意度", "社会公众或服务对象满意度指标"], False),
    "41": ("4", "经济成本指标", ["经济成本指标"], False),
    "42": ("4", "社会成本指标", ["社会成本指标"], False),
    "43": ("4", "生态环境成本指标", ["生态环境成本指标"], False),
}
NAME_WORDS = ["培训", "人数", "资金", "支出", "合规性", "完成率", "项目", "2023年", "园区", "（%）"]
UNITS = ["%", "个", "人", "万人", "元/人", "个工作日", "篇次", "家次", "次", ""]
QUAL = [
    "合规",
    "提升",
    "是",
    "完成",
    "较好及以上",
    "有所提升",
    "每月5日前",
    "待单位补充...",
    "1、通过验收；2、完成结算",  # numbered prose inside a value
    "按照35人需求，租用宿舍",
    "发展绿色生态,带动村集体收入增长",  # the seed's ``;`` + ``,`` pages
    "≥3%（含广清、广佛、广德产业园）",
]


@st.composite
def a_value(draw):
    """(text, expected op, expected value) — op None for non-quantitative values."""
    kind = draw(st.sampled_from(["op", "bare", "qual", "multi"]))
    if kind == "qual":
        text = draw(st.sampled_from(QUAL))
        return (
            text,
            ("≥" if text.startswith("≥") else None),
            (3.0 if text.startswith("≥") else None),
        )
    if kind == "multi":
        return "保障办公人员≥4人；租用1台公务车辆", "≥", 4.0
    num = draw(st.integers(min_value=0, max_value=99999))
    unit = draw(st.sampled_from(UNITS))
    if kind == "bare":
        return f"{num}{unit}", "=", float(num)
    op_text, op = draw(
        st.sampled_from([("≥", "≥"), ("≤", "≤"), ("不低于", "≥"), ("不超过", "≤"), ("低于", "<")])
    )
    return f"{op_text}{num}{unit}", op, float(num)


@st.composite
def an_indicator(draw):
    l2 = draw(st.sampled_from(sorted(L2)))
    parent, l2_canon, l2_forms, legacy = L2[l2]
    name = "".join(draw(st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=3)))
    return {
        "l1": parent,
        "l1_written": draw(st.sampled_from(L1_WRITTEN[parent])),
        "l2": l2,
        "l2_canon": l2_canon,
        "l2_written": draw(st.sampled_from(l2_forms)),
        "legacy": legacy,
        "name": name,
        "period": draw(a_value()),
        "annual": draw(a_value()),
        "period_dot": draw(st.booleans()),  # ``…不低于85个。；年度指标值`` (。 inside the value)
    }


STYLES = st.fixed_dictionaries(
    {
        "sep": st.sampled_from(["；", ";", "；", "; ", "；&nbsp;", ";\u00a0"]),
        "colon": st.sampled_from([":", "：", ": ", "： "]),
        "end": st.sampled_from(["。", ""]),
        "join": st.sampled_from(["", "\n", "\r\n", "<br/>", "</p><p>"]),
        "codes": st.booleans(),
        "wrap": st.booleans(),
        "fullwidth": st.booleans(),
    }
)


def render(items, style):
    out = []
    for n, it in enumerate(items, 1):
        if style["codes"]:
            l1, l2 = f"{it['l1']}-{it['l1_written']}", f"{it['l2']}-{it['l2_written']}"
        else:
            l1, l2 = it["l1_written"], it["l2_written"]
        s, c = style["sep"], style["colon"]
        pv = it["period"][0] + ("。" if it["period_dot"] else "")
        out.append(
            f"{n}、{l1}{s}{l2}{s}{it['name']}{s}实施周期指标值{c}{pv}{s}"
            f"年度指标值{c}{it['annual'][0]}{style['end']}"
        )
    text = style["join"].join(out)
    if style["wrap"]:
        text = f"<p>{text}</p>"
    if style["fullwidth"]:
        text = text.translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})
    return text


@given(st.lists(an_indicator(), min_size=1, max_size=12), STYLES)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_generated_lists_parse_back_in_every_style(items, style):
    text = render(items, style)
    out = parse_indicators(text)
    assert len(out) == len(items), text
    for n, (got, it) in enumerate(zip(out, items, strict=True), 1):
        codes = style["codes"]
        assert got.seq == n
        assert got.level1 == L1_CANON[it["l1"]]
        assert got.level1_code == (it["l1"] if codes else None)
        assert got.level2 == it["l2_canon"]
        assert got.level2_code == (it["l2"] if codes else None)
        assert got.legacy == it["legacy"]
        assert got.name == it["name"]
        assert got.period_value == it["period"][0]
        assert got.annual_value == it["annual"][0]
        for target, (_, op, value) in (
            (got.period_target, it["period"]),
            (got.annual_target, it["annual"]),
        ):
            if op is not None:
                assert (target.kind, target.op, target.value) == ("quantitative", op, value)
            else:
                assert target.kind != "quantitative"
        assert set(got.warnings) <= {W_MULTI, W_PLACEHOLDER}, got.warnings
    assert out == reference(text)


def test_huge_inputs_stay_correct():
    # a 10,000-digit value glued to the next item number (the regexes must not backtrack)
    text = "1、1-产出指标；11-数量指标；a；实施周期指标值:1；年度指标值:1" + "0" * 9999
    text += "2、1-产出指标；11-数量指标；b；实施周期指标值:1；年度指标值:1"
    out = parse_indicators(text)
    assert [x.seq for x in out] == [1, 2]
    assert out[0].annual_value == "1" + "0" * 9999
    # many numbered prose fragments after a complete item stay in its value
    text = "1、1-产出指标；11-数量指标；x；实施周期指标值:1；年度指标值:1。" + "2、x。" * 3000
    [one] = parse_indicators(text)
    assert one.annual_value.endswith("2、x")
