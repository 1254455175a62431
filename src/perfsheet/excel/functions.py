"""Worksheet functions ``=PERF_PARSE``, ``=PERF_FIELD``, ``=PERF_COUNT``, ``=PERF_TARGET``,
``=PERF_CLEAN``, ``=PERF_ISSUES``.

One module for every runtime: ``from xlwings import func, arg`` gives the classic
UDF decorators on Windows, the xlwings Lite / Server decorators when
``XLWINGS_ON_SERVER=true`` (Lite sets it), and no-ops elsewhere, so the functions stay
plain Python functions that tests and the add-in build can call directly.

Thin layer: every function converts the cell value to text, calls the core
(:func:`perfsheet.core.indicators.parse_indicators`,
:func:`perfsheet.core.targets.parse_target`, :func:`perfsheet.core.text.clean_text`) and
lays the result out as cells. No parsing happens here. Bad input gives a short Chinese
message in the cell (or an empty cell), never a traceback.

``=PERF_PARSE`` and ``=PERF_COUNT`` / ``=PERF_ISSUES`` read a packed 绩效指标 cell (all of a
project's indicators in one cell). Tables with one indicator per row (row lists, budget-system
exports, forms) have a 指标值 cell per indicator: ``=PERF_TARGET`` reads one such cell (``≥390人``,
``100%``, ``合规``) exactly as the row-list reader reads it (the same
:func:`~perfsheet.core.targets.parse_target` of the cell's text, numbers written as Python writes
them: ``390``, ``0.077``), so its four fields are those of the helper columns 解析指标 writes
and of 绩效指标明细. Excel hands a function the cell's value, not its display: ``100%`` typed as
a percentage is the number 1 (and reads as ``=1``); a budget-system export keeps the operator
and the unit in their own cells, which only the helper columns combine.

Which target fills 比较符 / 目标值 / 计量单位 / 指标性质 when 实施周期指标值 and 年度指标值
differ: the **年度** (annual) target, because the budget being reviewed is the year's; the
实施周期 target is used only when the annual value is missing or empty. Both value texts
stay visible in their own columns.

``=PERF_FIELD(G12, "三级指标", 2)`` is the scalar form of ``=PERF_PARSE``: one value, the
cell of row 2 (the second indicator) and that column, empty past the last indicator. Excel
2016/2019 have no dynamic arrays; filled down a column (``ROW(A1)`` as the number) it lists
the indicators one per row without an array formula (docs/excel-functions.md).

Function descriptions and argument docs are user-facing (Excel's function wizard and the
Lite formula tooltip), hence Chinese.
"""

from __future__ import annotations

from typing import Any

from xlwings import arg, func

from perfsheet.core.models import Indicator, Target
from perfsheet.core.project_stats import effective_target, target_fields

__all__ = ["perf_clean", "perf_count", "perf_field", "perf_issues", "perf_parse", "perf_target"]

HEADERS: tuple[str, ...] = (
    "序号",
    "一级指标",
    "二级指标",
    "三级指标",
    "实施周期指标值",
    "年度指标值",
    "比较符",
    "目标值",
    "计量单位",
    "指标性质",
)
TARGET_HEADERS: tuple[str, ...] = HEADERS[6:]

MSG_MULTI_CELL = "请只引用一个单元格"
MSG_NOT_TEXT = "参数应为文本"
MSG_NO_INDICATOR = "未识别到绩效指标"
MSG_FAILED = "解析出错，请检查单元格内容"
MSG_NO_FIELD = "请指定列名，如“三级指标”（或列号 1-10）"
MSG_BAD_POSITION = "第几个指标应为正整数，如 1"


class _BadInput(Exception):
    """Input that gets a Chinese message in the cell instead of a result."""


def _as_text(value: Any) -> str | None:
    """The cell value as text: None for an empty cell, numbers as written."""
    if isinstance(value, list | tuple):
        flat = [v for row in value for v in (row if isinstance(row, list | tuple) else [row])]
        if len(flat) != 1:
            raise _BadInput(MSG_MULTI_CELL)
        value = flat[0]
    if value is None:
        return None
    if isinstance(value, bool):
        raise _BadInput(MSG_NOT_TEXT)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value if value.strip() else None
    raise _BadInput(MSG_NOT_TEXT)


def _parse(text: Any) -> list[Indicator]:
    from perfsheet.core.indicators import parse_indicators

    cell = _as_text(text)
    if cell is None:
        return []
    return parse_indicators(cell)


def _target_cells(target: Target | None) -> list[Any]:
    """比较符, 目标值, 计量单位, 指标性质 — the same fields the summary sheet shows."""
    op, value, unit, nature = target_fields(target)
    return [op or "", "" if value is None else value, unit or "", nature]


def _row(indicator: Indicator) -> list[Any]:
    seq: Any = indicator.seq if indicator.seq is not None else ""
    return [
        seq,
        indicator.level1 or "",
        indicator.level2 or "",
        indicator.name or "",
        indicator.period_value or "",
        indicator.annual_value or "",
        *_target_cells(effective_target(indicator)),
    ]


def _column_index(field: Any) -> int | None:
    if field is None or (isinstance(field, str) and not field.strip()):
        return None
    if isinstance(field, int | float) and not isinstance(field, bool):
        number = int(field)
        if number == field and 1 <= number <= len(HEADERS):
            return number - 1
    elif isinstance(field, str) and field.strip() in HEADERS:
        return HEADERS.index(field.strip())
    raise _BadInput("未知的列：" + str(field) + "（可用：" + "、".join(HEADERS) + "）")


@func(name="PERF_PARSE")
@arg("text", doc="含打包绩效指标的单元格，如 G12")
@arg("field", doc='可选：只返回这一列，如 "三级指标"（或列号 1-10）')
@arg("header", doc="可选：TRUE 时第一行为表头")
def perf_parse(text: Any, field: Any = None, header: Any = False) -> Any:
    """拆分一个单元格中的绩效指标，每个指标一行：序号、一级/二级/三级指标、
    实施周期指标值、年度指标值、比较符、目标值、计量单位、指标性质。"""
    try:
        column = _column_index(field)
        indicators = _parse(text)
        if not indicators:
            return "" if _as_text(text) is None else MSG_NO_INDICATOR
        rows = [_row(indicator) for indicator in indicators]
        head = list(HEADERS)
        if column is not None:
            rows = [[row[column]] for row in rows]
            head = [HEADERS[column]]
        return [head, *rows] if bool(header) else rows
    except _BadInput as err:
        return str(err)
    except Exception:
        return MSG_FAILED


def _position(n: Any) -> int:
    """The 1-based position of an indicator: a whole number >= 1 (default 1)."""
    if isinstance(n, list | tuple):
        flat = [v for row in n for v in (row if isinstance(row, list | tuple) else [row])]
        if len(flat) != 1:
            raise _BadInput(MSG_MULTI_CELL)
        n = flat[0]
    if n is None or (isinstance(n, str) and not n.strip()):
        return 1
    if isinstance(n, str) and n.strip().isdigit():
        n = int(n.strip())
    number = isinstance(n, int | float) and not isinstance(n, bool)
    if number and n >= 1 and float(n).is_integer():  # NaN and infinity are not
        return int(n)
    raise _BadInput(MSG_BAD_POSITION)


@func(name="PERF_FIELD")
@arg("text", doc="含打包绩效指标的单元格，如 G12")
@arg("field", doc='要返回的列，如 "三级指标"（或列号 1-10，与 PERF_PARSE 的列相同）')
@arg("n", doc="第几个指标：1 为第一个（即 PERF_PARSE 结果的第几行）；超出指标个数时为空")
def perf_field(text: Any, field: Any = None, n: Any = 1) -> Any:
    """返回第 n 个指标的某一列，只有一个值（PERF_PARSE 的单值形式）。Excel 2016/2019
    没有动态数组：向下填充 =PERF_FIELD($G$12,"三级指标",ROW(A1)) 即逐行列出各指标。"""
    try:
        column = _column_index(field)
        if column is None:
            return MSG_NO_FIELD
        position = _position(n)
        indicators = _parse(text)
        if not indicators:
            return "" if _as_text(text) is None else MSG_NO_INDICATOR
        if position > len(indicators):
            return ""
        return _row(indicators[position - 1])[column]
    except _BadInput as err:
        return str(err)
    except Exception:
        return MSG_FAILED


@func(name="PERF_COUNT")
@arg("text", doc="含打包绩效指标的单元格")
@arg("level1", doc='可选：只数该一级指标，如 "产出指标"、"产出" 或代码 1')
def perf_count(text: Any, level1: Any = None) -> Any:
    """统计一个单元格中的绩效指标个数；可只统计某个一级指标。"""
    try:
        indicators = _parse(text)
        key = _as_text(level1)
        if key is None:
            return len(indicators)
        key = key.strip()
        short = key.removesuffix("指标")
        return sum(
            1
            for ind in indicators
            if key == ind.level1_code
            or (ind.level1 is not None and ind.level1.removesuffix("指标") == short)
        )
    except _BadInput as err:
        return str(err)
    except Exception:
        return MSG_FAILED


@func(name="PERF_TARGET")
@arg("value_text", doc='一个指标值，如 "≥1.4万人"；或逐行指标表、表单中的指标值单元格，如 L5')
@arg("header", doc="可选：TRUE 时第一行为表头")
def perf_target(value_text: Any, header: Any = False) -> Any:
    """解析一个指标值（如逐行指标表中的指标值单元格）：返回比较符、目标值、计量单位、
    指标性质（定量/定性/待补充）。"""
    try:
        from perfsheet.core.targets import parse_target

        cell = _as_text(value_text)
        if cell is None:
            return ""
        row = _target_cells(parse_target(cell))
        return [list(TARGET_HEADERS), row] if bool(header) else [row]
    except _BadInput as err:
        return str(err)
    except Exception:
        return MSG_FAILED


@func(name="PERF_CLEAN")
@arg("text", doc="要清理的文本（HTML 标记、不间断空格、全角空格等）")
def perf_clean(text: Any) -> Any:
    """清理文本：去除 HTML 标记与实体、统一空格与换行，返回规范化后的文本。"""
    try:
        from perfsheet.core.text import clean_text

        cell = _as_text(text)
        return "" if cell is None else clean_text(cell)
    except _BadInput as err:
        return str(err)
    except Exception:
        return MSG_FAILED


@func(name="PERF_ISSUES")
@arg("text", doc="含打包绩效指标的单元格")
def perf_issues(text: Any) -> Any:
    """列出一个单元格中绩效指标的问题（每条一行）；没有问题时为空。"""
    try:
        lines: list[list[str]] = []
        for position, indicator in enumerate(_parse(text), start=1):
            seq = indicator.seq if indicator.seq is not None else position
            lines.extend([[f"第{seq}项：{warning}"] for warning in indicator.warnings])
        return lines or ""
    except _BadInput as err:
        return str(err)
    except Exception:
        return MSG_FAILED
