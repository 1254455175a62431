"""Amount cells: numbers, text with separators, blanks, dashes, and non-numeric text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfsheet.core.amounts import format_amount, parse_amount, tolerance

FULL = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@pytest.mark.parametrize(
    ("cell", "value", "decimals", "status"),
    [
        ("273,101.18", "273101.18", 2, "text"),
        ("２７３，１０１．１８", "273101.18", 2, "text"),
        (" 1 234.50 ", "1234.50", 2, "text"),
        ("1,234,567", "1234567", 0, "text"),
        ("\u00a012.5\u3000", "12.5", 1, "text"),
        ("0.00", "0", 2, "text"),
        ("-12.00", "-12", 2, "text"),
        ("(12.00)", "-12", 2, "text"),
        ("￥1,000.00", "1000", 2, "text"),
        (120, "120", 2, "number"),
        (0.1 + 0.2, "0.3", 2, "number"),  # float noise is not data
        (273101.18, "273101.18", 2, "number"),
        (3.14159, "3.14159", 5, "number"),
    ],
)
def test_numbers(cell: object, value: str, decimals: int, status: str) -> None:
    a = parse_amount(cell)  # type: ignore[arg-type]
    assert a.status == status
    assert a.value == Decimal(value)
    assert a.decimals == decimals


@pytest.mark.parametrize("cell", [None, "", "   ", "\u3000"])
def test_blank_is_none_not_zero(cell: object) -> None:
    a = parse_amount(cell)  # type: ignore[arg-type]
    assert a.value is None and a.is_blank and a.as_float() is None


@pytest.mark.parametrize("cell", ["-", "—", "－", "——", " - "])
def test_dash_is_zero_with_a_note(cell: str) -> None:
    a = parse_amount(cell)
    assert a.value == 0 and a.status == "dash"
    assert a.note and "按 0 计" in a.note


@pytest.mark.parametrize(
    "cell",
    ["约120万", "12.5%", "1,23.4", "12,34", "1.2.3", "待定", "120元/人", True, dt.date(2025, 1, 1)],
)
def test_non_numeric_is_invalid(cell: object) -> None:
    a = parse_amount(cell)  # type: ignore[arg-type]
    assert a.status == "invalid" and a.value is None
    assert a.note  # Chinese reason for the amount-format finding


def test_tolerance_is_half_a_unit_of_the_last_decimal() -> None:
    assert tolerance(2) == Decimal("0.005")
    assert tolerance(0) == Decimal("0.5")
    assert tolerance(4) == Decimal("0.00005")


def test_format_amount() -> None:
    assert format_amount(Decimal("273101.18"), 2) == "273,101.18"
    assert format_amount(Decimal("-5"), 2) == "-5.00"
    assert format_amount(Decimal("1234567"), 0) == "1,234,567"


cents = st.integers(min_value=0, max_value=10**13).map(lambda n: Decimal(n).scaleb(-2))


@given(cents, st.booleans(), st.booleans())
def test_written_amounts_parse_back(value: Decimal, full_width: bool, spaced: bool) -> None:
    text = f"{value:,.2f}"
    if full_width:
        text = text.translate(FULL)
    if spaced:
        text = f" {text}\u00a0"
    a = parse_amount(text)
    assert a.value == value and a.decimals == 2


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_numbers_never_fail(x: float) -> None:
    a = parse_amount(x)
    assert a.status == "number"
    assert a.value is not None and abs(float(a.value) - x) <= 1e-6 * max(1.0, abs(x))


@given(st.text(max_size=30))
def test_any_text_gives_a_status(text: str) -> None:
    a = parse_amount(text)
    assert a.status in ("blank", "text", "dash", "invalid")
    assert (a.value is None) == (a.status in ("blank", "invalid"))
