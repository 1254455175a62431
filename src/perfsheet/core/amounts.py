"""Amount cells (总计 / 财政拨款 / 财政专户拨款 / 其他资金) -> exact decimal numbers.

Budget tables hold amounts as numbers, or as text copied from PDF or a budget system:
``273,101.18``, full-width ``２７３，１０１．１８``, ``1 234.50``, ``-``/``—`` for zero, blanks.
:func:`parse_amount` turns one cell into an :class:`Amount`:

- numbers and numeric text -> ``Decimal`` (exact: sums are checked without float noise);
- blank -> ``value=None`` (*not* 0: the checks count a blank as 0, the JSON keeps ``null``);
- a dash (``-`` ``—`` ``－`` …) -> 0, ``status="dash"`` (the table builder notes it);
- anything else -> ``status="invalid"`` with a Chinese note (an ``amount-format`` finding):
  text that is not a number, dates, booleans, numbers beyond a believable amount
  (:data:`perfsheet.limits.MAX_AMOUNT_ABS`, :data:`~perfsheet.limits.MAX_AMOUNT_DIGITS`), and
  cells the reader found to hold an error value or a formula without a stored result
  (:func:`special_amount`, from ``SheetGrid.special``).

``decimals`` is the number of decimals *shown*, which sets the check tolerance (half a unit of
the last decimal shown): for text it is what is written (``120.00`` -> 2); for numeric cells,
whose display format the reader does not see, it is the decimals the value needs but at least 2
(the usual 0.00 of budget tables), at most 6 (beyond that a binary float is noise, not data).

Amounts are stated in a unit (元, 万元…); :func:`amount_factor` converts between the units of
:data:`AMOUNT_UNIT_FACTORS` (a summary shows every table's amounts in one unit).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from perfsheet import limits
from perfsheet.core.grid import CellValue

AmountStatus = Literal["blank", "number", "text", "dash", "invalid"]

#: Decimals assumed for numeric cells (the reader does not see number formats).
MIN_NUMERIC_DECIMALS = 2
MAX_DECIMALS = 6

_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "，": ",",
        "．": ".",
        "－": "-",
        "＋": "+",
        "（": "(",
        "）": ")",
        "\u2212": "-",  # minus sign
    }
)
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_DASHES = frozenset({"-", "--", "—", "——", "–", "―", "－", "－－", "─"})
_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+|)(?:\.(?P<frac>\d+))?")


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal | None
    decimals: int
    status: AmountStatus
    raw: CellValue = None
    note: str | None = None  # Chinese: why a text is not an amount, or that a dash counts as 0

    @property
    def is_blank(self) -> bool:
        return self.status == "blank"

    @property
    def is_invalid(self) -> bool:
        return self.status == "invalid"

    def as_float(self) -> float | None:
        return None if self.value is None else float(self.value)


BLANK = Amount(value=None, decimals=0, status="blank")


_TOO_LARGE = f"数值过大（绝对值超过 {limits.MAX_AMOUNT_ABS:,}），不是有效金额"


def _from_number(value: float | int, raw: CellValue) -> Amount:
    if isinstance(value, int):
        if abs(value) > limits.MAX_AMOUNT_ABS:
            return Amount(None, 0, "invalid", raw, _TOO_LARGE)
        return Amount(Decimal(value), MIN_NUMERIC_DECIMALS, "number", raw)
    if math.isnan(value) or math.isinf(value):
        return Amount(None, 0, "invalid", raw, "不是有效数字")
    if abs(value) > limits.MAX_AMOUNT_ABS:
        return Amount(None, 0, "invalid", raw, _TOO_LARGE)
    scale = max(1.0, abs(value))
    for k in range(MAX_DECIMALS + 1):
        if abs(value - round(value, k)) <= 1e-9 * scale:
            d = Decimal(repr(round(value, k)))
            return Amount(d, max(MIN_NUMERIC_DECIMALS, k), "number", raw)
    d = Decimal(repr(value)).quantize(Decimal(1).scaleb(-MAX_DECIMALS))
    return Amount(d, MAX_DECIMALS, "number", raw)


def _short(text: str, limit: int = 20) -> str:
    """Cell text for a one-line note: whitespace runs (line breaks) collapsed, cut at ``limit``."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _from_text(text: str, raw: CellValue) -> Amount:
    s = _SPACES.sub("", text.translate(_WIDTH))
    if not s:
        return Amount(None, 0, "blank", raw)
    if s in _DASHES:
        return Amount(Decimal(0), 0, "dash", raw, f"「{text.strip()}」按 0 计")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s[:1] in ("¥", "￥"):
        s = s[1:]
    m = _NUMBER.fullmatch(s)
    if not m or not (m.group("int") or m.group("frac")):
        return Amount(None, 0, "invalid", raw, f"「{_short(text.strip())}」不是数字")
    digits = (m.group("int") or "0").replace(",", "")
    frac = m.group("frac") or ""
    if len(digits.lstrip("0")) + len(frac) > limits.MAX_AMOUNT_DIGITS:
        return Amount(None, 0, "invalid", raw, f"「{_short(text.strip())}」位数过多，不是有效金额")
    try:
        d = Decimal(f"{digits}.{frac}" if frac else digits)
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return Amount(None, 0, "invalid", raw, f"「{_short(text.strip())}」不是数字")
    if negative != (m.group("sign") == "-"):
        d = -d
    if abs(d) > limits.MAX_AMOUNT_ABS:
        return Amount(None, 0, "invalid", raw, _TOO_LARGE)
    return Amount(d, len(frac), "text", raw)


_RESAVE = "（请用 Excel 打开并保存后再试）"


def describe_special(code: str) -> str:
    """Chinese description of a ``SheetGrid.special`` cell: ``"是错误值 #REF!"``."""
    if code.startswith("="):
        return f"是公式「{_short(code, 30)}」，但文件中没有保存计算结果{_RESAVE}"
    return f"是错误值 {code}"


def special_amount(code: str) -> Amount:
    """An amount cell holding an error value or a formula without a stored result."""
    return Amount(None, 0, "invalid", code, describe_special(code))


def parse_amount(value: CellValue) -> Amount:
    """One amount cell -> :class:`Amount` (never raises)."""
    if value is None:
        return BLANK
    if isinstance(value, bool):
        return Amount(None, 0, "invalid", value, "是逻辑值（TRUE/FALSE），不是金额")
    if isinstance(value, int | float):
        return _from_number(value, value)
    if isinstance(value, _dt.date | _dt.datetime | _dt.time | _dt.timedelta):
        return Amount(None, 0, "invalid", value, "是日期/时间，不是金额")
    if isinstance(value, str):
        return _from_text(value, value)
    return Amount(None, 0, "invalid", value, "无法识别的单元格内容")  # pragma: no cover


def format_amount(value: Decimal, decimals: int) -> str:
    """``Decimal('273101.18'), 2`` -> ``"273,101.18"`` (for messages)."""
    decimals = max(0, min(decimals, MAX_DECIMALS))
    q = value.quantize(Decimal(1).scaleb(-decimals)) if decimals else value.quantize(Decimal(1))
    return f"{q:,}"


def tolerance(decimals: int) -> Decimal:
    """Half a unit of the last decimal shown: 2 -> 0.005."""
    return Decimal(5).scaleb(-(decimals + 1))


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------

#: amount units understood for conversion, in 元
AMOUNT_UNIT_FACTORS: dict[str, float] = {
    "元": 1.0,
    "千元": 1e3,
    "万元": 1e4,
    "百万元": 1e6,
    "亿元": 1e8,
}


def amount_factor(from_unit: str | None, to_unit: str | None) -> float:
    """Multiply amounts in ``from_unit`` by this to express them in ``to_unit`` (元 -> 万元: 1e-4);
    1 when either unit is unknown."""
    src = AMOUNT_UNIT_FACTORS.get(from_unit or "")
    dst = AMOUNT_UNIT_FACTORS.get(to_unit or "")
    if src is None or dst is None or src == dst:
        return 1.0
    return src / dst
