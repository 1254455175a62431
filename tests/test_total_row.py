"""The total row of 项目汇总, written once (:mod:`perfsheet.core.total_row`) for three outputs:
the per-file summary (``perfsheet summary``), the consolidated workbook (``perfsheet convert``)
and the live book (生成汇总, through xlwings' remote engine). All three are read back — the
files with openpyxl, the live book from the actions it queued — and their total rows must be
the same formulas over the same columns; LibreOffice recalculates the files' totals."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from live_payload import SEED_XLSX, run, seed_payload
from perfsheet.core.grid import col_number
from perfsheet.core.sheets import SHEET_PROJECTS, TOTAL_ROW_LOOK, header_key
from perfsheet.core.total_row import TotalCell, place_totals, total_formula, total_label
from summary_helpers import lo_number, lo_sheets

ROOT = Path(__file__).resolve().parents[1]
CONSOLIDATED = "绩效汇总_合并.xlsx"


# ---- the formulas ---------------------------------------------------------------------------


def test_total_formula_of_each_function() -> None:
    assert total_formula("sum", 3, 2, 24) == "=SUBTOTAL(109,D2:D24)"
    assert total_formula("count", 0, 5, 9) == "=SUBTOTAL(103,A5:A9)"
    assert total_formula("average", 27, 2, 3) == '=IFERROR(SUBTOTAL(101,AB2:AB3),"")'
    assert total_formula("ratio", 12, 2, 24, weight=7) == (
        '=IFERROR(SUMPRODUCT(H2:H24,M2:M24)/SUM(H2:H24),"")'
    )
    # a value, not a formula: a label, no data rows, a ratio without its weight column
    assert total_formula("label", 2, 2, 24) is None
    assert total_formula("sum", 3, 2, 1) is None
    assert total_formula("ratio", 12, 2, 24) is None


def test_place_totals_left_to_right_without_missing_columns() -> None:
    footer = [
        TotalCell("项目名称", "label", total_label(2)),
        TotalCell("定量指标占比", "ratio", 0.5, weight="指标数"),
        TotalCell("总计", "sum", 3.5),
        TotalCell("错误数", "sum", 1),  # not on this sheet
        TotalCell("指标数", "sum", 4),
    ]
    columns = {"项目名称": 0, "总计": 1, "指标数": 2, "定量指标占比": 3}
    placed = place_totals(footer, columns, 2, 3)
    assert [(p.col, p.formula, p.value) for p in placed] == [
        (0, None, "合计（2 个项目）"),
        (1, "=SUBTOTAL(109,B2:B3)", 3.5),
        (2, "=SUBTOTAL(109,C2:C3)", 4),
        (3, '=IFERROR(SUMPRODUCT(C2:C3,D2:D3)/SUM(C2:C3),"")', 0.5),
    ]
    no_weight = place_totals(footer, {"定量指标占比": 0}, 2, 3)
    assert [(p.formula, p.value) for p in no_weight] == [(None, 0.5)]
    assert all(p.formula is None for p in place_totals(footer, columns, 2, 1))


# ---- the three outputs ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The seed example through ``perfsheet summary --no-source`` and ``perfsheet convert``."""
    return both_files(tmp_path_factory.mktemp("totals"))


def both_files(root: Path, template: Path | None = None) -> dict[str, Path]:
    from perfsheet.summary import summarize

    inbox = root / "in"
    inbox.mkdir()
    src = inbox / SEED_XLSX.name
    src.write_bytes(SEED_XLSX.read_bytes())
    summary = root / "summary.xlsx"
    summarize(src, summary, with_source=False, template=template)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    args = [str(inbox), "-o", str(root / "out")]
    if template is not None:
        args += ["--template", str(template)]
    proc = subprocess.run(
        [sys.executable, "-m", "perfsheet", "convert", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {"summary": summary, "consolidated": root / "out" / CONSOLIDATED}


_RANGE = re.compile(r"\b([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)\b")


def by_header(header: list, total: list) -> dict[str, str]:
    """The non-empty cells of a total row by column name, with each range written as the name
    of its column (``SUBTOTAL(109,[总计]2:24)``): outputs that place the columns differently
    compare equal when they total the same columns of the same rows."""
    keys = [header_key(h) for h in header]

    def name(m: re.Match[str]) -> str:
        assert m[1] == m[3], m[0]
        return f"[{keys[col_number(m[1]) - 1]}]{m[2]}:{m[4]}"

    return {keys[i]: _RANGE.sub(name, str(v)) for i, v in enumerate(total) if v not in (None, "")}


def total_of_file(path: Path) -> dict[str, str]:
    rows = list(openpyxl.load_workbook(path)[SHEET_PROJECTS].iter_rows(values_only=True))
    total = next(r for r in rows if any(str(v).startswith("合计（") for v in r))
    return by_header(list(rows[0]), list(total))


@pytest.mark.usefixtures("live_engine")
def test_the_three_outputs_write_the_same_total_row(files: dict[str, Path]) -> None:
    _result, _queued, after = run("summary", seed_payload(name=SEED_XLSX.name))
    live_rows = after.rows(SHEET_PROJECTS)
    live = by_header(live_rows[0], live_rows[-1])
    summary = total_of_file(files["summary"])
    consolidated = total_of_file(files["consolidated"])
    assert summary == live == consolidated
    assert summary["项目名称"] == "合计（23 个项目）"
    assert summary["总计"] == "=SUBTOTAL(109,[总计]2:24)"
    assert summary["定量指标占比"] == (
        '=IFERROR(SUMPRODUCT([指标数]2:24,[定量指标占比]2:24)/SUM([指标数]2:24),"")'
    )
    assert summary["指标质量"] == '=IFERROR(SUBTOTAL(101,[指标质量]2:24),"")'


def total_look_of_file(path: Path) -> set[tuple[bool, str, str | None]]:
    """(bold, fill colour, top rule) of every cell of 项目汇总's total row."""
    ws = openpyxl.load_workbook(path)[SHEET_PROJECTS]
    at = next(r for r in ws.iter_rows() if any(str(c.value).startswith("合计（") for c in r))
    width = max(c.column for c in ws[1] if c.value is not None)
    return {(bool(c.font.b), str(c.fill.fgColor.rgb)[-6:], c.border.top.style) for c in at[:width]}


@pytest.mark.usefixtures("live_engine")
def test_the_three_outputs_draw_the_total_row_alike(files: dict[str, Path]) -> None:
    """One look (core.sheets.TOTAL_ROW_LOOK): bold on a grey fill under a double rule in both
    files (the consolidated workbook had a thin rule and no fill); the live book draws what
    xlwings can — the fill (bold is not in the actions it queues)."""
    grey = str(TOTAL_ROW_LOOK["bg_color"]).lstrip("#").upper()
    want = {(True, grey, "double")}
    assert total_look_of_file(files["summary"]) == want
    assert total_look_of_file(files["consolidated"]) == want
    _result, _queued, after = run("summary", seed_payload(name=SEED_XLSX.name))
    rows = after.rows(SHEET_PROJECTS)
    total_row = len(rows)
    fills = {after.fills.get((SHEET_PROJECTS, total_row, c)) for c in range(1, len(rows[0]) + 1)}
    assert fills == {"#" + grey}


SUMMED = ("总计", "财政拨款", "财政专户拨款", "其他资金", "指标数", "产出指标数", "错误数")


def lo_columns(path: Path, workdir: Path) -> tuple[dict[str, list[float | None]], dict]:
    """项目汇总 as LibreOffice recalculates it: the data rows' numbers by column name, and
    the total row's."""
    rows = lo_sheets(path, workdir)[SHEET_PROJECTS]
    keys = [header_key(h) for h in rows[0]]
    at = next(i for i, r in enumerate(rows) if r[keys.index("项目名称")].startswith("合计（"))
    numeric = [k for k in keys if k in (*SUMMED, "定量指标占比", "指标质量")]
    data = {k: [lo_number(r[keys.index(k)]) for r in rows[1:at]] for k in numeric}
    total = {k: lo_number(rows[at][keys.index(k)]) for k in numeric}
    return data, total


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_files_totals(files: dict[str, Path], tmp_path: Path) -> None:
    for name, path in files.items():
        data, total = lo_columns(path, tmp_path)
        assert len(data["总计"]) == 23, name
        for key in SUMMED:
            assert total[key] == pytest.approx(sum(v or 0.0 for v in data[key])), (name, key)
        n, ratio = data["指标数"], data["定量指标占比"]
        weighted = sum((a or 0) * (b or 0) for a, b in zip(n, ratio, strict=True))
        assert total["定量指标占比"] == pytest.approx(weighted / sum(a or 0 for a in n)), name
        quality = [v for v in data["指标质量"] if v is not None]
        assert quality, name
        assert total["指标质量"] == pytest.approx(sum(quality) / len(quality)), name


# ---- number formats ---------------------------------------------------------------------------

#: the kinds the consolidated workbook formats (its whole numbers stay General, which shows them
#: as the others' "0" does)
FORMATTED = {"amount", "ratio", "score"}


def formats_of_file(path: Path, sheet: str) -> dict[str, str]:
    """The number format of each column's first number, by column name."""
    ws = openpyxl.load_workbook(path)[sheet]
    rows = ws.iter_rows()
    header = next(r for r in rows if any(c.value == "项目名称" for c in r))
    out: dict[str, str] = {}
    for row in rows:
        for h, c in zip(header, row, strict=False):
            if h.value and isinstance(c.value, int | float):
                out.setdefault(header_key(h.value), c.number_format)
    return out


def kinds(sheet: str) -> dict[str, str]:
    from perfsheet.core.sheets import COLUMNS

    return {c.key: c.kind for c in COLUMNS[sheet]}


@pytest.mark.usefixtures("live_engine")
def test_the_three_outputs_format_numbers_alike(files: dict[str, Path]) -> None:
    _result, _queued, after = run("summary", seed_payload(name=SEED_XLSX.name))
    header = after.rows(SHEET_PROJECTS)[0]
    live = {
        header_key(h): after.formats[(SHEET_PROJECTS, 2, c)]
        for c, h in enumerate(header, start=1)
        if (SHEET_PROJECTS, 2, c) in after.formats
    }
    summary = formats_of_file(files["summary"], SHEET_PROJECTS)
    consolidated = formats_of_file(files["consolidated"], SHEET_PROJECTS)
    numbers = [k for k, kind in kinds(SHEET_PROJECTS).items() if kind in FORMATTED and k in summary]
    assert {"总计", "定量指标占比", "指标质量"} <= set(numbers)
    for key in numbers:
        assert summary[key] == live[key] == consolidated[key], key
    assert (summary["总计"], summary["定量指标占比"], summary["指标质量"]) == (
        "#,##0.00",
        "0.0%",
        "0",
    )


def test_both_files_take_the_users_number_formats(tmp_path: Path) -> None:
    """A user's template formats 总计 as ``#,##0``: the per-file summary and the consolidated
    workbook both show the amounts so (the consolidated one has one format per kind)."""
    from summary_helpers import write_user_template

    template = write_user_template(tmp_path / "模板.xlsx")
    out = both_files(tmp_path, template)
    summary = formats_of_file(out["summary"], "绩效指标明细")
    consolidated = formats_of_file(out["consolidated"], "绩效指标明细")
    assert summary["总计"] == consolidated["总计"] == "#,##0"
