"""clean_text: HTML, entities, spaces, line breaks, full-width digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfsheet.core.text import clean_text, normalize_chars, strip_html


def test_tags_removed_without_inserting_characters():
    # a page-break join inside a word: nothing may appear between the halves
    assert clean_text("7、2-效益指</p>" + "<p>标；22-社会效益") == "7、2-效益指标；22-社会效益"
    assert clean_text("<p>1、合规</p><p>2、提升</p>") == "1、合规2、提升"
    assert clean_text('<P style="x">a</P><span class=s>b</span><o:p></o:p>') == "ab"
    assert clean_text("<div><font color=red>≥90%</font></div>") == "≥90%"
    assert clean_text("a<!-- note -->b") == "ab"


def test_br_is_a_line_break():
    assert clean_text("1、a<br/>2、b<br>3、c<BR />4、d") == "1、a\n2、b\n3、c\n4、d"


def test_text_that_only_looks_like_markup_is_kept():
    assert clean_text("<5%") == "<5%"
    assert clean_text("a<b且c>d") == "a<b且c>d"
    assert clean_text("实施周期指标值:<90%；年度指标值:>3") == "实施周期指标值:<90%；年度指标值:>3"


def test_entities_decoded_after_tags():
    assert clean_text("合规&nbsp;&amp;&nbsp;及时") == "合规 & 及时"
    assert clean_text("&lt;5%") == "<5%"
    assert clean_text("&lt;p&gt;x&lt;/p&gt;") == "<p>x</p>"  # escaped markup is visible text
    assert clean_text("完成&#12290;") == "完成。"
    assert clean_text("R&D") == "R&D"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\u00a0b", "a b"),
        ("a\u3000b", "a b"),
        ("a\u2002b\u202fc", "a b c"),
        ("a\u200bb\ufeffc\u200d", "abc"),
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a_x000D_\nb", "a\n\nb"),
        ("a\u2028b", "a\nb"),
        ("a\x0bb", "a\nb"),
        ("１２３４５６７８９０", "1234567890"),
        ("≥９０％", "≥90％"),  # full-width digits converted, ％ kept as written
        ("  \n x \t ", "x"),
    ],
)
def test_character_normalization(raw, clean):
    assert clean_text(raw) == clean


def test_none_and_empty():
    assert clean_text(None) == ""
    assert clean_text("") == ""
    assert clean_text("<p></p>&nbsp;") == ""


def test_helpers():
    assert strip_html("<p>a&amp;b</p>") == "a&b"
    assert normalize_chars("１\u00a0２\r\n") == "1 2\n"


_PLAIN = st.text(
    alphabet=st.sampled_from(list("产出指标数量培训人数合规提升0123456789-、；;:：。%≥≤() abcXYZ")),
    max_size=80,
)


@given(_PLAIN)
def test_plain_text_is_unchanged_apart_from_outer_whitespace(s):
    assert clean_text(s) == s.strip()


@given(st.text(max_size=200))
def test_clean_text_never_raises_and_is_stripped(s):
    out = clean_text(s)
    assert out == out.strip()
    assert "\r" not in out
    assert not any("０" <= c <= "９" for c in out)


@given(
    st.text(
        alphabet=st.sampled_from(list("<p>/&nbsp;br 效益指标１２、\u00a0\u3000\r\n")), max_size=60
    )
)
def test_clean_text_on_markup_soup(s):
    out = clean_text(s)
    assert "\u00a0" not in out and "\u3000" not in out
