"""Every layout through the whole flow: bad inputs read into findings (never a crash, never a
lost row), ``summary`` read back by LibreOffice (one 绩效指标明细 row per indicator, 来源位置 at
the indicator's own row), and ``convert`` on a folder mixing every layout."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import layout_workbooks as lw
from perfsheet.core.layouts import build_tables
from perfsheet.core.pipeline import analyze
from perfsheet.errors import TableNotFoundError
from perfsheet.io.readers import read_workbook
from perfsheet.summary import summarize
from summary_helpers import lo_convert
from test_layouts import check_case
from workbooks import write_xlsx

ROOT = Path(__file__).resolve().parents[1]

# --- bad inputs ---------------------------------------------------------------------------------


def test_export_columns_that_disagree_are_reported_on_their_rows(tmp_path: Path) -> None:
    path, expected = lw.build_export_bad(tmp_path)
    (t,) = check_case(path, expected)
    rows = sorted({f.row for f in t.findings if f.rule == "indicator-columns"})
    assert rows == sorted(expected[0].inconsistent)
    for f in t.findings:
        if f.rule == "indicator-columns":
            assert f.cell == f"J{f.row}"  # the 三级指标 cell of the indicator's own row


def test_form_with_an_empty_grid(tmp_path: Path) -> None:
    path, expected = lw.build_bad_form_empty_grid(tmp_path)
    (t,) = check_case(path, expected)
    assert [(f.rule, f.severity) for f in t.findings] == [("form-no-indicators", "warning")]


def test_row_list_without_project_cells_keeps_every_row(tmp_path: Path) -> None:
    path, expected = lw.build_bad_rows_no_project(tmp_path)
    (t,) = build_tables(read_workbook(path))
    (p,) = [p for u in t.units for p in u.projects]
    assert p.name == "" and [i.row for i in p.indicators] == expected[0].orphan_rows
    (f,) = [f for f in t.findings if f.rule == "project-unnamed"]
    assert "第4–8行的 5 行指标没有项目名称" in f.message


def test_grid_without_project_name_says_what_is_missing(tmp_path: Path) -> None:
    rows = [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "巡查次数", "≥12次"],
    ]
    with pytest.raises(TableNotFoundError) as e:
        build_tables(read_workbook(write_xlsx(tmp_path / "无项目.xlsx", rows)))
    msg = str(e.value)
    assert "找到：一级指标、二级指标、三级指标、指标值" in msg and "缺少：项目名称" in msg


def test_garbage_operator_column_never_crashes(tmp_path: Path) -> None:
    rows = [["项目名称", "一级指标", "二级指标", "三级指标", "指标性质", "计算符号", "指标值",
             "计量单位"]]  # fmt: skip
    junk = ["≥≥", "<>", "=<", "约等于", "#N/A", "1", "大约不少于", "≧", "＞＝", "　"]
    for i, op in enumerate(junk):
        rows.append(["档案整理", "产出指标", "数量指标", f"指标{i}", "定量", op, i * 3.5, "卷"])
    result = analyze(read_workbook(write_xlsx(tmp_path / "乱码.xlsx", rows)))
    (p,) = [p for u in result.tables[0].units for p in u.projects]
    assert [i.row for i in p.indicators] == list(range(2, 2 + len(junk)))
    ops = [i.annual_target.op for i in p.indicators if i.annual_target is not None]
    assert ops[7:9] == ["≥", "≥"]  # ≧ and ＞＝ are in the lexicon
    bad = {f.row for f in result.tables[0].findings if f.rule == "indicator-columns"}
    assert {2, 3, 4, 5, 6, 7, 8} <= bad


def test_parts_of_a_row_list(tmp_path: Path) -> None:
    path, expected = lw.build_rows_merged(tmp_path)
    (t,) = build_tables(read_workbook(path))
    last = max(i.row for p in expected[0].projects for i in p.indicators)
    assert t.parts["header"] == "A3:L3" and t.parts["data"] == f"A4:L{last}"


def test_forms_as_xls_equal_the_xlsx(tmp_path: Path) -> None:
    path, expected = lw.build_forms_xls(tmp_path)
    assert path.suffix == ".xls"
    check_case(path, expected)


def test_page_breaks_in_row_lists_are_reported(tmp_path: Path) -> None:
    path, expected = lw.build_rows_blank_below(tmp_path)
    (t,) = check_case(path, expected)
    merged = [f for f in t.findings if f.rule == "fragment-merged"]
    assert len(merged) == 1 and merged[0].message.startswith(f"第{merged[0].row}行")


# --- summary and convert ------------------------------------------------------------------------

SUMMARY_CASES = ("rows_merged", "rows_repeated", "rows_blank_below", "export_rows",
                 "forms_per_sheet", "forms_stacked", "two_tables_one_sheet")  # fmt: skip


def _read_csvs(folder: Path, stem: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for f in sorted(folder.glob(f"{stem}-*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            out[f.name[len(stem) + 1 : -4]] = list(csv.reader(fh))
    return out


@pytest.mark.libreoffice
def test_summary_of_every_layout_read_back_by_libreoffice(tmp_path: Path) -> None:
    outputs: list[tuple[Path, list[lw.ExpTable]]] = []
    for case in SUMMARY_CASES:
        path, expected = getattr(lw, f"build_{case}")(tmp_path / case)
        out = tmp_path / "summary" / f"{case}.xlsx"
        out.parent.mkdir(exist_ok=True)
        summarize(path, out, with_source=False)
        outputs.append((out, expected))
    csv_dir = tmp_path / "csv"
    lo_convert([o for o, _ in outputs], csv_dir)
    for out, expected in outputs:
        sheets = _read_csvs(csv_dir, out.stem)
        detail = sheets["绩效指标明细"]
        head = next(i for i, r in enumerate(detail) if "项目名称" in r)
        cols = detail[head]
        body = [r for r in detail[head + 1 :] if any(r) and not r[0].startswith("合计")]
        want = [(p.name, i.name, i.row) for t in expected for p in t.projects
                for i in p.indicators]  # fmt: skip
        got_names = [(r[cols.index("项目名称")], r[cols.index("三级指标")]) for r in body]
        assert got_names == [(p, n) for p, n, _ in want], out.stem
        where = [r[cols.index("来源位置")] for r in body]
        sheets_of = [t.sheet for t in expected for p in t.projects for _ in p.indicators]
        for loc, (_, _, row), sheet in zip(where, want, sheets_of, strict=True):
            assert loc.endswith(f"{row}") and sheet in loc, (out.stem, loc, row)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


MIXED = ("rows_merged", "rows_repeated", "rows_blank_below", "export_rows", "forms_per_sheet",
         "forms_stacked", "two_tables_one_sheet", "vocabulary")  # fmt: skip


def test_convert_a_folder_mixing_every_layout(tmp_path: Path) -> None:
    inbox = tmp_path / "收件"
    n_indicators = 0
    for case in MIXED:
        _, expected = getattr(lw, f"build_{case}")(inbox / case)
        n_indicators += sum(len(p.indicators) for t in expected for p in t.projects)
    out = tmp_path / "输出"
    proc = subprocess.run(
        [sys.executable, "-m", "perfsheet", "convert", str(inbox), "-o", str(out), "-r"],
        env=_env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    wb = openpyxl.load_workbook(out / "绩效汇总_合并.xlsx", read_only=True)
    ws = wb["绩效指标明细"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if "三级指标" in r)
    body = [r for r in rows[head + 1 :] if any(v is not None for v in r)]
    body = [r for r in body if not any(isinstance(v, str) and v.startswith("合计（") for v in r)]
    assert len(body) == n_indicators
    wb.close()


def test_standard_sheets_add_up_with_sources_beyond_the_three(tmp_path: Path) -> None:
    """An export with 政府性基金预算拨款 and 单位自有资金: in 项目汇总 总计 is still the sum of
    财政拨款 + 财政专户拨款 + 其他资金 (the other sources are counted in 其他资金)."""
    path, expected = lw.build_export_rows(tmp_path)
    assert any(p.sources for t in expected for p in t.projects)
    out = tmp_path / "汇总.xlsx"
    summarize(path, out, with_source=False)
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb["项目汇总"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if "项目名称" in r)
    cols = [str(c).split("（")[0] for c in rows[head]]  # 总计（万元） -> 总计
    checked = 0
    for r in rows[head + 1 :]:
        name = r[cols.index("项目名称")]
        if not isinstance(name, str) or not name or name.startswith("合计"):
            continue
        parts = [r[cols.index(k)] or 0 for k in ("财政拨款", "财政专户拨款", "其他资金")]
        assert r[cols.index("总计")] == pytest.approx(sum(parts)), name
        checked += 1
    assert checked == len(expected[0].projects)
    wb.close()


def test_quality_findings_of_grid_indicators_point_at_their_rows(tmp_path: Path) -> None:
    path, _ = lw.build_export_rows(tmp_path)
    (t,) = analyze(read_workbook(path)).tables
    rows = {(p.row, i.seq): i.row for u in t.units for p in u.projects for i in p.indicators}
    audit = [f for f in t.findings if f.rule.startswith("indicator-") and f.indicator]
    assert audit
    for f in audit:
        project_row = next(p.row for u in t.units for p in u.projects if p.name == f.project)
        assert f.row == rows[(project_row, f.indicator)]
        assert f.cell == f"{t.columns['level3']}{f.row}"


def test_categories_carry_down_past_placeholder_rows_without_merges(tmp_path: Path) -> None:
    """A live book has no merged ranges: the 效益指标 of a placeholder row (一级 and 二级 but no
    indicator) is the 一级 of the rows below it."""
    path, expected = lw.build_forms_per_sheet(tmp_path)
    wb = read_workbook(path)
    for g in wb.sheets:
        g.merged = []
    with_merges = analyze(read_workbook(path))
    without = analyze(wb)
    for a, b in zip(with_merges.tables, without.tables, strict=True):
        ia = [(i.level1, i.level2) for u in a.units for p in u.projects for i in p.indicators]
        ib = [(i.level1, i.level2) for u in b.units for p in u.projects for i in p.indicators]
        assert ia == ib
    assert expected


def test_a_cover_sheet_with_a_project_name_line_is_not_a_form(tmp_path: Path) -> None:
    rows = [["报送说明"], ["项目名称", "2025年部门预算"], ["联系人", "张三"]]
    path = write_xlsx(tmp_path / "封面.xlsx", rows)
    with pytest.raises(TableNotFoundError):
        build_tables(read_workbook(path))


def test_a_forms_sources_are_named_like_a_lists(tmp_path: Path) -> None:
    """A form's money block with 其中：一般公共预算 and 单位自筹 (another department's wording):
    the first is 财政拨款, the second a source listed in ``Table.sources``; 资金总额 adds up."""
    rows = [
        ["2025年度项目支出绩效目标申报表"],
        ["项目支出名称", "老旧小区消防设施改造"],
        ["主管部门", "安平县应急管理局", "实施单位", "安平县消防救援大队"],
        ["项目资金（万元）", "资金总额", 85],
        [None, "其中：一般公共预算", 70],
        [None, "单位自筹", 15],
        ["年度目标", "完成12个老旧小区\n消防设施改造"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"],
        [None, "产出指标", "数量指标", "改造小区数", "12个"],
    ]
    path = write_xlsx(tmp_path / "申报表.xlsx", rows, ["A4:A6", "A8:A9"])
    (t,) = analyze(read_workbook(path)).tables
    assert t.layout == "form" and t.sources == {"单位自筹": "单位资金"}
    (p,) = [p for u in t.units for p in u.projects]
    assert (p.amounts.total, p.amounts.fiscal, p.amounts.sources) == (85, 70, {"单位自筹": 15})
    assert not [f for f in t.findings if f.severity == "error"]
