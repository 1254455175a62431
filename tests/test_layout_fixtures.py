"""Sanity checks of the layout fixtures (tests/layout_workbooks.py) and the layout examples
(examples/build_layout_examples.py): the workbooks open, the merges are there, the amounts add
up except where an error is meant, every expected row holds what the expectation says.

These test the inputs only; no perfsheet reader is involved (except the existing packed-cell
parser, against which the packed expectations are checked).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine as pc

from layout_workbooks import (
    EXAMPLES,
    EXPORT_OPS,
    LAYOUT_CASES,
    ExpTable,
    build_forms_xls,
    example_builder,
    example_tables,
)

Case = tuple[Path, list[ExpTable]]
XLSX_CASES = [name for name in LAYOUT_CASES if name != "forms_xls"]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    out = tmp_path_factory.mktemp("layouts")
    return {name: LAYOUT_CASES[name](out) for name in XLSX_CASES}


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    expected = example_tables(tmp_path_factory.mktemp("example-manifest"))
    return {name: (EXAMPLES / name, tables) for name, tables in expected.items()}


@pytest.fixture(scope="module")
def xls_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    return build_forms_xls(tmp_path_factory.mktemp("forms-xls"))


def everything(cases: dict[str, Case], examples: dict[str, Case]) -> Iterator[tuple[str, Case]]:
    yield from cases.items()
    yield from examples.items()


# --------------------------------------------------------------------------------------------
# reading helpers (python-calamine, 1-based rows and columns)


class Grid:
    def __init__(self, path: Path, sheet: str) -> None:
        s = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
        r0, c0 = s.start
        self.rows = [[""] * c0 + list(r) for r in [[]] * r0 + s.to_python()]
        self.merged = {
            (a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (s.merged_cell_ranges or [])
        }

    def row(self, r: int) -> list[Any]:
        return self.rows[r - 1] if 0 < r <= len(self.rows) else []

    def texts(self, r: int) -> list[str]:
        return [t for t in (_str(v) for v in self.row(r)) if t]

    def numbers(self, r: int) -> list[float]:
        return [n for n in (_number(v) for v in self.row(r)) if n is not None]

    def cell(self, r: int, c: int) -> Any:
        row = self.row(r)
        return row[c - 1] if 0 < c <= len(row) else ""


def _str(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v).replace(",", ""))
    except ValueError:
        return None


def _sum(*values: float | None) -> float:
    return math.fsum(v or 0.0 for v in values)


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.005


# --------------------------------------------------------------------------------------------


def test_every_case_is_listed_and_documented() -> None:
    assert list(LAYOUT_CASES) == [
        "rows_merged",
        "rows_repeated",
        "rows_blank_below",
        "export_rows",
        "export_bad",
        "forms_per_sheet",
        "forms_stacked",
        "forms_xls",
        "two_tables_one_sheet",
        "vocabulary",
        "line_items",
        "bad_form_empty_grid",
        "bad_rows_no_project",
    ]
    assert all(builder.__doc__ for builder in LAYOUT_CASES.values())


def test_every_case_comes_from_another_department(
    cases: dict[str, Case], examples: dict[str, Case]
) -> None:
    first = [tables[0].department for _, (_, tables) in everything(cases, examples)]
    stems = [d.split("-")[-1] for d in first if d]
    assert len(stems) == len(set(stems)) == len(cases) + len(examples)


@pytest.mark.parametrize("name", XLSX_CASES)
def test_workbooks_open_with_openpyxl_and_calamine(cases: dict[str, Case], name: str) -> None:
    path, tables = cases[name]
    assert path.suffix == ".xlsx"
    names = openpyxl.load_workbook(path).sheetnames
    assert pc.CalamineWorkbook.from_path(str(path)).sheet_names == names
    assert {t.sheet for t in tables} <= set(names)


def test_amounts_add_up_except_the_one_deliberate_error(
    cases: dict[str, Case], examples: dict[str, Case]
) -> None:
    errors = []
    for name, (_, tables) in everything(cases, examples):
        for t in tables:
            for p in t.projects:
                parts = _sum(p.fiscal, p.special, p.other, *p.sources.values())
                if p.row in t.money_errors:
                    errors.append((name, p.row))
                    assert round(abs((p.total or 0) - parts), 6) == 0.01, (name, p.name)
                else:
                    assert _close(p.total or 0, parts), (name, p.name, p.total, parts)
                if p.period_amounts:
                    pa = p.period_amounts
                    assert _close(pa["total"], _sum(pa.get("fiscal"), pa.get("special"),
                                                    pa.get("other")))  # fmt: skip
            if t.grand_total is not None:
                assert _close(t.grand_total, _sum(*(p.total for p in t.projects))), name
            for u in t.units:
                mine = [p for p in t.projects if p.unit == u.name]
                assert mine, (name, u.name)
                assert _close(u.total or 0, _sum(*(p.total for p in mine))), (name, u.name)
                assert _close(u.total or 0, _sum(u.fiscal, u.special, u.other)), (name, u.name)
    assert errors == [("vocabulary", cases["vocabulary"][1][0].money_errors[0])]


def test_amounts_are_where_the_expectation_says(
    cases: dict[str, Case], examples: dict[str, Case]
) -> None:
    for name, (path, tables) in everything(cases, examples):
        for t in tables:
            g = Grid(path, t.sheet)
            if t.grand_total_row is not None:
                assert t.grand_total in g.numbers(t.grand_total_row), name
                assert "合计" in g.texts(t.grand_total_row), name
            for u in t.units:
                assert g.texts(u.row)[0] == u.name and u.total in g.numbers(u.row), name
            for p in t.projects:
                assert p.name in g.texts(p.row), (name, p.name)
                if t.layout == "form":
                    first = min((i.row for i in p.indicators), default=p.row + 12)
                    found = [n for r in range(p.row, first) for n in g.numbers(r)]
                    assert p.total in found and p.fiscal in found, (name, p.name)
                    for k, v in p.period_amounts.items():
                        assert v in found, (name, p.name, k)
                else:
                    numbers = g.numbers(p.row)
                    assert p.total in numbers, (name, p.name)
                    for v in (p.fiscal, p.special, p.other, *p.sources.values()):
                        assert v is None or v in numbers, (name, p.name, v)
                if p.goal is not None:
                    assert any(p.goal in g.texts(r) for r in range(p.row, p.row + 10)), name


def test_indicator_rows_hold_their_texts(cases: dict[str, Case], examples: dict[str, Case]):
    count = 0
    for name, (path, tables) in everything(cases, examples):
        for t in tables:
            g = Grid(path, t.sheet)
            for p in t.projects:
                rows = [i.row for i in p.indicators]
                if t.layout == "packed":
                    assert set(rows) <= {p.row}, name
                else:
                    assert rows == sorted(set(rows)), (name, p.name)
                for i in p.indicators:
                    count += 1
                    texts, below = g.texts(i.row), g.texts(i.row + 1)
                    if t.layout == "packed":
                        cell = texts[-1]
                        assert i.name in cell and str(i.annual_value) in cell, (name, i)
                        continue
                    if i.name in texts:
                        values = texts
                    else:  # cut by a page break: head here, tail (and values) on the next row
                        head = next(x for x in texts if i.name.startswith(x))
                        assert head + below[0] == i.name, (name, i)
                        values = below
                    if i.kind is None:  # one value cell (exports: the pieces, tested below)
                        assert i.annual_value in values, (name, i)
                        if i.period_value is not None:
                            assert i.period_value in values, (name, i)
            for r in t.orphan_rows:
                # project cells (序号 … 绩效目标) empty, 三级指标 and 指标值 written
                assert [_str(g.cell(r, c)) for c in range(1, 7)] == [""] * 6, (name, r)
                assert _str(g.cell(r, 9)) and _str(g.cell(r, 10)), (name, r)
                count += 1
    assert count > 250


def test_packed_expectations_are_what_the_existing_parser_gives(cases: dict[str, Case]):
    from perfsheet.core import parse_indicators

    for name in ("two_tables_one_sheet", "vocabulary"):
        path, tables = cases[name]
        for t in tables:
            g = Grid(path, t.sheet)
            for p in t.projects:
                got = parse_indicators(g.texts(p.row)[-1])
                assert [
                    (i.level1, i.level2, i.name, i.period_value, i.annual_value) for i in got
                ] == [
                    (i.level1, i.level2, i.name, i.period_value, i.annual_value)
                    for i in p.indicators
                ], (name, p.name)
                assert all(not i.warnings for i in got), (name, p.name)


def _export_cells(g: Grid, header_row: int, r: int) -> dict[str, Any]:
    header = [_str(v) for v in g.row(header_row)]
    return {
        h: g.cell(r, header.index(h) + 1) for h in ("指标性质", "计算符号", "指标值", "计量单位")
    }


def test_export_expectations_join_the_written_pieces(
    cases: dict[str, Case], examples: dict[str, Case]
) -> None:
    export_cases = {
        "export_rows": cases["export_rows"],
        "export_bad": cases["export_bad"],
        "example": examples["示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx"],
    }
    for name, (path, [t]) in export_cases.items():
        g = Grid(path, t.sheet)
        header_row = next(r for r in range(1, 10) if "计算符号" in g.texts(r))
        rows = [i for p in t.projects for i in p.indicators]
        for i in rows:
            c = _export_cells(g, header_row, i.row)
            kind, sym, val, unit = (
                _str(c[k]) for k in ("指标性质", "计算符号", "指标值", "计量单位")
            )
            assert i.kind == {"定量": "quantitative", "定性": "qualitative"}[kind]
            assert i.op == EXPORT_OPS.get(sym)
            assert i.annual_value == (i.op or sym) + val + unit, (name, i)
            assert i.unit == (unit or None) and i.value == _number(c["指标值"]), (name, i)
            problems = {
                "unknown-op": bool(sym) and sym not in EXPORT_OPS,
                "quantitative-text-value": kind == "定量" and _number(c["指标值"]) is None,
                "qualitative-with-op": kind == "定性" and bool(sym),
                "quantitative-no-unit": kind == "定量" and not unit and _number(val) is not None,
            }
            found = [k for k, v in problems.items() if v]
            assert found == ([t.inconsistent[i.row]] if i.row in t.inconsistent else []), (name, i)
    assert len(cases["export_bad"][1][0].inconsistent) == 5


def _merged(path: Path, sheet: str) -> set[tuple[int, int, int, int]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges}


def test_merges_are_where_real_files_have_them(cases: dict[str, Case]) -> None:
    # rows_merged: project cells merged over each page part; the part after the break is empty
    path, [t] = cases["rows_merged"]
    merged, g = _merged(path, t.sheet), Grid(path, t.sheet)
    assert Grid(path, t.sheet).merged == merged
    for p in t.projects:
        block = next(m for m in merged if m[:2] == (p.row, 3))
        assert block[2] > block[0] and block[1] == block[3] == 3
    repeated = [r for r in range(6, len(g.rows) + 1) if g.texts(r)[:2] == ["序号", "单位名称"]]
    assert len(repeated) == 1 and g.texts(repeated[0] - 1) == ["第1页，共2页"]
    after = repeated[0] + 1
    project = next(p for p in t.projects if p.row < after <= p.indicators[-1].row)
    for col in (1, 2, 3, 4, 8, 9, 10):  # 序号 单位 名称 总计 目标 一级 二级: empty after the break
        assert _str(g.cell(after, col)) == ""
        assert any(m[0] == after and m[1] == col for m in merged) or col == 10
    assert [i.level1 for i in project.indicators if i.row == after] == ["效益指标"]
    unit_block = next(m for m in merged if m[:2] == (after, 2))
    assert unit_block[2] == t.projects[-1].indicators[-1].row  # covers the next project too
    # rows_repeated and exports: no vertical merges
    for name in ("rows_repeated", "export_rows", "export_bad", "rows_blank_below"):
        path, [t] = cases[name]
        assert all(m[0] == m[2] for m in _merged(path, t.sheet)), name
    # forms: the name merged across, 项目资金 and 绩效指标 labels merged down, 三级指标 over D:E
    path, tables = cases["forms_per_sheet"]
    for t in tables:
        merged, g = _merged(path, t.sheet), Grid(path, t.sheet)
        p = t.projects[0]
        assert (p.row, 2, p.row, 6) in merged
        label = next(m for m in merged if _str(g.cell(m[0], 1)) == "绩效指标" and m[1] == 1)
        assert label[2] == p.indicators[-1].row
        assert any(_str(g.cell(m[0], 1)) == "项目资金（万元）" and m[2] > m[0] for m in merged)
        assert all((i.row, 4, i.row, 5) in merged for i in p.indicators)


def test_rows_blank_below_splits_one_indicator_as_documented(cases: dict[str, Case]) -> None:
    path, [t] = cases["rows_blank_below"]
    g = Grid(path, t.sheet)
    [split] = [i for p in t.projects for i in p.indicators if i.name not in g.texts(i.row)]
    assert split.name == "参训农民满意度"
    assert g.texts(split.row) == ["满意度指标", "服务对象满意度指标", "参训农民满意"]
    assert g.texts(split.row + 1) == ["度", "≥90%", "≥90%"]
    assert isinstance(g.cell(t.projects[0].row, 3), str)  # amounts as text: "1,280.00"


@pytest.mark.libreoffice
def test_forms_xls_has_the_cells_and_merges_of_its_source(xls_case: Case) -> None:
    path, tables = xls_case
    assert path.suffix == ".xls"
    src = path.parent / "xls-source" / (path.stem + ".xlsx")
    names = pc.CalamineWorkbook.from_path(str(path)).sheet_names
    assert names == pc.CalamineWorkbook.from_path(str(src)).sheet_names
    assert sorted({t.sheet for t in tables}) == sorted(names)
    for sheet in names:
        a, b = Grid(path, sheet), Grid(src, sheet)
        assert _cells(a) == _cells(b), sheet
        assert a.merged == b.merged, sheet
    for t in tables:
        g = Grid(path, t.sheet)
        for i in t.projects[0].indicators:
            assert i.name in g.texts(i.row) and i.annual_value in g.texts(i.row)


def _cells(g: Grid) -> dict[tuple[int, int], Any]:
    return {
        (r, c): (_number(v) if isinstance(v, int | float) else _str(v))
        for r, row in enumerate(g.rows, start=1)
        for c, v in enumerate(row, start=1)
        if _str(v)
    }


def test_layout_examples_are_reproducible_and_up_to_date(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    builder = example_builder()
    first, _ = builder.build_xlsx_with_manifest(tmp_path_factory.mktemp("ex-a"))
    second, _ = builder.build_xlsx_with_manifest(tmp_path_factory.mktemp("ex-b"))
    for a, b in zip(first, second, strict=True):
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    stacked, _ = builder.build_stacked_source(tmp_path_factory.mktemp("ex-c"))
    fresh = {p.name: p for p in first} | {builder.STACKED_NAME: stacked}
    assert sorted(fresh) == sorted(p.name for p in EXAMPLES.glob("示例县*"))
    for name, new in fresh.items():
        old = EXAMPLES / name
        sheets = pc.CalamineWorkbook.from_path(str(new)).sheet_names
        assert pc.CalamineWorkbook.from_path(str(old)).sheet_names == sheets, name
        for sheet in sheets:
            a, b = Grid(old, sheet), Grid(new, sheet)
            assert _cells(a) == _cells(b) and a.merged == b.merged, (
                f"{name} is stale: run python examples/build_layout_examples.py"
            )
