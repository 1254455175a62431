"""Pydantic models shared by every step of the pipeline.

The flow is one-directional:
grid (io readers) -> table model (core.table) -> indicators (core.indicators)
-> findings (core.checks, core.audit)
-> output plans (core.summary_rows, core.annotations) -> writers.

These models are the boundary types: the CLI's JSON, the summary workbook and the
Excel add-in all read them. Field names are part of the public JSON contract
(see docs/json.md), so rename nothing without updating it.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from perfsheet import limits

Op = Literal["≥", "≤", ">", "<", "="]
TargetKind = Literal["quantitative", "qualitative", "placeholder", "deadline", "empty"]
Severity = Literal["error", "warning", "info"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Model):
    """One target value (指标值) such as ``≥1.4万人``, ``合规`` or ``待单位补充...``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TargetKind
    op: Op | None = None
    value: float | None = None  # the number as written: 1.4 for ``≥1.4万人``
    unit: str | None = None  # the unit as written: ``万人``
    base_value: float | None = None  # normalized: 14000
    base_unit: str | None = None  # normalized: ``人``
    ambiguous: bool = False  # 以上/以下/达到/高于… or an implicit operator
    implicit_op: bool = False  # a bare number: ``=`` assumed
    raw: str = ""


class Indicator(_Model):
    """One indicator: an item of a packed 绩效指标 cell, or one row of an indicator grid (row
    lists, budget-system exports, forms), where ``row`` is its sheet row."""

    seq: int | None = None
    level1: str | None = None  # canonical: 产出指标 / 效益指标 / 满意度指标 / 成本指标
    level1_code: str | None = None
    level2: str | None = None  # canonical: 数量指标, 经济效益指标, 服务对象满意度指标…
    level2_code: str | None = None
    legacy: bool = False  # old-scheme category (14 成本 under 产出, 24 可持续影响)
    name: str | None = None  # 三级指标
    period_value: str | None = None  # 实施周期指标值, cleaned text
    annual_value: str | None = None  # 年度指标值, cleaned text
    period_target: Target | None = None
    annual_target: Target | None = None
    warnings: list[str] = Field(default_factory=list)
    raw: str = ""
    row: int | None = None  # the indicator's own sheet row (grid layouts); None in packed cells


class Amounts(_Model):
    total: float | None = None  # 总计
    fiscal: float | None = None  # 财政拨款
    special: float | None = None  # 财政专户拨款
    other: float | None = None  # 其他资金
    # every other source column of 总计 (政府性基金预算, 单位资金…, a second 财政拨款 column, a
    # numeric column taken as a source), by header text as written; see Table.sources
    sources: dict[str, float | None] | None = None


_M = TypeVar("_M", bound=BaseModel)
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def share_fields_set(model: _M) -> _M:
    """Let ``model`` share one ``__pydantic_fields_set__`` with every model that set the same
    fields: a set is 200–730 bytes, more than the rest of a small model, and a large table
    has hundreds of thousands of models (two per project, one per audit finding). Safe because
    pydantic only ever adds to this set, and only names of fields that are already in it when
    every field was passed at construction; ``model_copy`` copies it."""
    fs = model.__pydantic_fields_set__
    key = frozenset(fs)
    shared = _FIELDS_SETS.get(key)
    if shared is None:
        if len(_FIELDS_SETS) > 256:  # pragma: no cover - only a few combinations exist
            _FIELDS_SETS.clear()
        shared = _FIELDS_SETS[key] = set(fs)
    object.__setattr__(model, "__pydantic_fields_set__", shared)
    return model


_QUOTED = re.compile(r"「([^「」]*)」")


def bounded_message(text: str) -> str:
    """One line, and bounded: cell text quoted in 「…」 is cut to
    :data:`~perfsheet.limits.MAX_QUOTED_CHARS` characters, the whole message to
    :data:`~perfsheet.limits.MAX_MESSAGE_CHARS` (head and tail kept). A 32,767-character
    project name must not make every one of its findings 32 KB long."""
    if "\n" in text or "\r" in text:
        text = " ".join(text.splitlines())
    q = limits.MAX_QUOTED_CHARS
    if len(text) > q:
        text = _QUOTED.sub(
            lambda m: f"「{m.group(1)[:q]}…」" if len(m.group(1)) > q else m.group(0), text
        )
    n = limits.MAX_MESSAGE_CHARS
    if len(text) > n:
        text = text[: n * 2 // 3] + "……" + text[-(n // 3) :]
    return text


class Finding(_Model):
    """A problem (or a note) found by a check. ``rule`` ids are stable. ``message`` is one line
    of bounded length (see :func:`bounded_message`)."""

    rule: str
    severity: Severity
    sheet: str | None = None
    cell: str | None = None  # "B12"
    row: int | None = None  # 1-based sheet row
    message: str  # Chinese, one line
    unit: str | None = None  # 资金使用单位
    project: str | None = None
    expected: float | str | None = None
    actual: float | str | None = None
    difference: float | None = None
    basis: str | None = None  # where the rule comes from (audit rules)
    indicator: int | None = None  # 序号 (seq) of the indicator concerned, when there is one

    @field_validator("message")
    @classmethod
    def _bounded(cls, value: str) -> str:
        return bounded_message(value)


class Project(_Model):
    name: str
    row: int  # the row holding the name
    rows: list[int]  # every row merged into this project (fragments included)
    amounts: Amounts
    goal: str | None = None  # 绩效目标
    indicators: list[Indicator] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)  # other columns, by header text


class Unit(_Model):
    """资金使用单位: a subtotal row followed by its projects, or the implicit unit."""

    name: str | None = None
    row: int | None = None
    amounts: Amounts | None = None
    projects: list[Project] = Field(default_factory=list)


class GrandTotal(_Model):
    row: int
    amounts: Amounts


Layout = Literal["packed", "rows", "form"]


class Table(_Model):
    sheet: str
    layout: Layout = "packed"  # packed list / one indicator per row / one project per form
    title: str | None = None
    department: str | None = None
    amount_unit: str | None = None
    header_rows: list[int]
    columns: dict[str, str]  # role ("name", "total", …) or extra header -> column letter
    # money columns beyond total/fiscal/special/other: header text as written -> what it was
    # read as (政府性基金预算, 国有资本经营预算, 单位资金, 财政拨款…, or 未识别 for a numeric column
    # among the money columns that the catalogue does not name)
    sources: dict[str, str] = Field(default_factory=dict)
    # where the table's parts were found: "header", "data", "forms"… -> ranges such as "A4:L5"
    parts: dict[str, str] = Field(default_factory=dict)
    grand_total: GrandTotal | None = None
    units: list[Unit] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    # a table read from a PDF: sheet row -> (page, row of that page's tables counted from the
    # top, header rows included; 0 for a line of text outside the tables), for locations such
    # as 第5页第3行. None (and absent from the JSON) for workbooks.
    pages: dict[int, tuple[int, int]] | None = None

    @model_serializer(mode="wrap")
    def _pages_only_for_pdf(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if self.pages is None and isinstance(data, dict):
            data.pop("pages", None)
        return data


class WorkbookResult(_Model):
    """The ``perfsheet parse --json`` document."""

    file: str
    tables: list[Table] = Field(default_factory=list)
