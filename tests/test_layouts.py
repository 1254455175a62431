"""Every layout (issue 12) read into the table model, field by field, against the expectations
written with the test workbooks (tests/layout_workbooks.py) — inputs made the way departments,
their PDF converters and their budget systems make them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import layout_workbooks as lw
from perfsheet.core.layouts import build_tables
from perfsheet.core.models import Indicator, Project, Table
from perfsheet.io.readers import read_workbook

MONEY = ("total", "fiscal", "special", "other")


def _tables(path: Path) -> list[Table]:
    return build_tables(read_workbook(path))


def _ind(i: Indicator, exp: lw.ExpIndicator) -> dict[str, Any]:
    got: dict[str, Any] = {
        "level1": i.level1,
        "level2": i.level2,
        "name": i.name,
        "period_value": i.period_value,
        "annual_value": i.annual_value,
        "row": i.row if i.row is not None else exp.row,
    }
    if exp.kind is not None:
        t = i.annual_target
        assert t is not None
        got.update(op=t.op if not t.implicit_op else None, value=t.value, unit=t.unit, kind=t.kind)
    return got


def _exp_ind(e: lw.ExpIndicator) -> dict[str, Any]:
    out: dict[str, Any] = {
        "level1": e.level1,
        "level2": e.level2,
        "name": e.name,
        "period_value": e.period_value,
        "annual_value": e.annual_value,
        "row": e.row,
    }
    if e.kind is not None:
        out.update(op=e.op, value=e.value, unit=e.unit, kind=e.kind)
    return out


def _project(unit: str | None, p: Project, exp: lw.ExpProject) -> dict[str, Any]:
    a = p.amounts
    got = {
        "name": p.name,
        "row": p.row,
        "unit": unit,
        **{k: getattr(a, k) for k in MONEY},
        "sources": {k: v for k, v in (a.sources or {}).items() if v is not None},
        "goal": p.goal,
        "indicators": [_ind(i, e) for i, e in zip(p.indicators, exp.indicators, strict=False)],
        "n": len(p.indicators),
    }
    return got


def _exp_project(e: lw.ExpProject) -> dict[str, Any]:
    return {
        "name": e.name,
        "row": e.row,
        "unit": e.unit,
        **{k: getattr(e, k) for k in MONEY},
        "sources": e.sources,
        "goal": e.goal,
        "indicators": [_exp_ind(i) for i in e.indicators],
        "n": len(e.indicators),
    }


def _flat(t: Table) -> list[tuple[str | None, Project]]:
    return [(u.name, p) for u in t.units for p in u.projects]


def _merge_forms(expected: list[lw.ExpTable]) -> list[lw.ExpTable]:
    """Forms stacked on one sheet are ONE table with one project per form (issue 12 §1)."""
    out: list[lw.ExpTable] = []
    for t in expected:
        if out and t.layout == "form" and out[-1].layout == "form" and out[-1].sheet == t.sheet:
            prev = out[-1]
            out[-1] = lw.ExpTable(prev.sheet, "form", prev.title, prev.department,
                                  prev.amount_unit, [*prev.projects, *t.projects], None,
                                  money_errors=[*prev.money_errors, *t.money_errors])  # fmt: skip
        else:
            out.append(t)
    return out


def check_case(path: Path, expected: list[lw.ExpTable]) -> list[Table]:
    tables = _tables(path)
    expected = _merge_forms(expected)
    assert [(t.sheet, t.layout) for t in tables] == [(e.sheet, e.layout) for e in expected]
    for t, e in zip(tables, expected, strict=True):
        assert t.department == e.department
        assert t.amount_unit == e.amount_unit
        if e.layout != "form":
            assert t.title == e.title
        flat = _flat(t)
        assert [p.name for _, p in flat] == [p.name for p in e.projects]
        for (unit, p), ep in zip(flat, e.projects, strict=True):
            assert _project(unit, p, ep) == _exp_project(ep)
        if e.grand_total is not None:
            assert t.grand_total is not None and t.grand_total.amounts.total == e.grand_total
        errors = sorted({f.row for f in t.findings if f.rule == "row-total"})
        assert errors == sorted(e.money_errors)
        assert not [f for f in t.findings if f.rule in ("unit-subtotal", "grand-total",
                                                         "money-columns-misread")]  # fmt: skip
    return tables


CASES = [
    "rows_merged",
    "rows_repeated",
    "rows_blank_below",
    "export_rows",
    "forms_per_sheet",
    "forms_stacked",
    "two_tables_one_sheet",
    "vocabulary",
    "line_items",
]


@pytest.mark.parametrize("case", CASES)
def test_layout_case(case: str, tmp_path: Path) -> None:
    build = getattr(lw, f"build_{case}")
    path, expected = build(tmp_path)
    check_case(path, expected)
