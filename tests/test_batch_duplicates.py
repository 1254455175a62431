"""``perfsheet convert`` without surprises: perfsheet's own outputs are skipped, a table met twice
is counted once (issue 15 §2).

The runs are real batches (``python -m perfsheet convert``: spawned worker processes, files
written and read back). The duplicate key is checked on the committed examples of every layout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from batch_workbooks import write_department
from perfsheet.batch.discovery import classify
from perfsheet.batch.duplicates import table_key
from perfsheet.batch.models import ConvertReport
from perfsheet.batch.naming import CONSOLIDATED_NAME, REPORT_NAME
from perfsheet.batch.worker import FAULTS_ENV
from perfsheet.io.user_files import TEMPLATE_FILE_NAME

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".xlsx", ".xls"))


def perfsheet(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop(FAULTS_ENV, None)
    cmd = [sys.executable, "-m", "perfsheet", *map(str, args)]
    return subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def sheet_rows(path: Path, sheet: str) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    """(header, data rows as dicts, the total row or {}) of a consolidated sheet; header texts
    without the unit or line break (``总计\\n（万元）`` -> ``总计``)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    header = [str(h).split("\n")[0].split("（")[0] for h in rows[0]]
    data, total = [], {}
    for row in rows[1:]:
        d = dict(zip(header, row, strict=False))
        if any(isinstance(v, str) and v.startswith("合计（") for v in row):
            total = d
            break
        data.append(d)
    return header, data, total


def by_name(report: dict) -> dict[str, dict]:
    return {Path(f["input"]).name: f for f in report["files"]}


def _two_sheets(path: Path) -> None:
    """The workbook's table once more, on a second sheet (the same table twice in one file)."""
    wb = openpyxl.load_workbook(path)
    wb.copy_worksheet(wb.worksheets[0]).title = "副本"
    wb.save(path)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("dups")
    inbox = root / "收件"
    n_a = write_department(inbox / "甲局.xlsx", "甲局", 5, seed=1)
    n_b = write_department(inbox / "乙局.xlsx", "乙局", 9, units=2, seed=2, amount_unit="元")
    n_c = write_department(inbox / "丙局.xlsx", "丙局", 3, seed=3)
    _two_sheets(inbox / "丙局.xlsx")
    shutil.copy(inbox / "甲局.xlsx", inbox / "甲局_副本.xlsx")
    # perfsheet's outputs in the inbox: a summary by its default name (with the source copy),
    # and one renamed (standard sheets only: recognised by its sheets)
    assert perfsheet("summary", inbox / "甲局.xlsx").returncode == 0
    assert (inbox / "甲局_绩效汇总.xlsx").is_file()
    assert (
        perfsheet("summary", inbox / "乙局.xlsx", "--no-source", "-o", root / "x.xlsx").returncode
        == 0
    )
    shutil.move(root / "x.xlsx", inbox / "改名的汇总.xlsx")

    out = root / "输出"
    # relative paths: the console tables show whole names
    first = perfsheet("convert", "收件", "-o", "输出", "-j", "2", cwd=root)
    report = json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))
    book = root / "first.xlsx"
    shutil.copy(out / CONSOLIDATED_NAME, book)
    # that consolidated workbook, renamed, back in the inbox; again, with the option (the
    # inputs are up to date: their tables come from the row caches)
    shutil.copy(out / CONSOLIDATED_NAME, inbox / "上次的合并.xlsx")
    kept = perfsheet(
        "convert", "收件", "-o", "输出", "-j", "2", "--keep-duplicates", "--json", cwd=root
    )
    return {
        "inbox": inbox,
        "out": out,
        "first": first,
        "report": report,
        "book": book,
        "kept": kept,
        "projects": {"甲局": n_a, "乙局": n_b, "丙局": n_c},
    }


def test_own_outputs_are_skipped_with_their_reason(runs: dict[str, Any]) -> None:
    first = runs["first"]
    assert first.returncode == 0, first.stderr
    report = runs["report"]
    ConvertReport.model_validate(report)
    files = by_name(report)
    named = files["甲局_绩效汇总.xlsx"]  # by its name: never opened
    assert named["status"] == "skipped" and named["reason_code"] == "own-output"
    assert "perfsheet 生成的汇总表" in named["reason"] and "_绩效汇总.xlsx" in named["reason"]
    renamed = files["改名的汇总.xlsx"]  # by its sheets (说明 names the sheets perfsheet wrote)
    assert renamed["status"] == "skipped" and renamed["reason_code"] == "own-output"
    assert "perfsheet 生成的汇总表" in renamed["reason"]
    assert report["summary"]["skipped"] == 2 and report["summary"]["failed"] == 0
    # no output of an output
    assert not list(runs["out"].rglob("*_绩效汇总_绩效汇总.xlsx"))
    assert not (runs["out"] / "改名的汇总_绩效汇总.xlsx").exists()
    # the console says which and why
    assert "跳过的文件" in first.stdout
    assert "甲局_绩效汇总.xlsx" in first.stdout and "改名的汇总.xlsx" in first.stdout

    # the consolidated workbook, renamed, is recognised by its sheets too
    kept = by_name(json.loads(runs["kept"].stdout))
    merged = kept["上次的合并.xlsx"]
    assert merged["status"] == "skipped" and merged["reason_code"] == "own-output"


def test_duplicates_are_reported_and_counted_once(runs: dict[str, Any]) -> None:
    report = runs["report"]
    files = by_name(report)
    copy = files["甲局_副本.xlsx"]
    assert copy["status"] == "ok"  # converted: its own summary workbook is written
    assert (runs["out"] / "甲局_副本_绩效汇总.xlsx").is_file()
    [dup] = copy["duplicates"]
    assert Path(dup["same_as"]).name == "甲局.xlsx" and dup["department"] == "甲局"
    assert dup["counted"] is False
    assert "甲局_副本.xlsx" in dup["message"] and "甲局.xlsx" in dup["message"]
    # the same table twice in one workbook: the second sheet is the duplicate
    [twice] = files["丙局.xlsx"]["duplicates"]
    assert twice["sheet"] == "副本" and Path(twice["same_as"]).name == "丙局.xlsx"
    assert files["甲局.xlsx"]["duplicates"] == [] and files["乙局.xlsx"]["duplicates"] == []

    s = report["summary"]
    p = runs["projects"]
    assert s["duplicates"] == 2 and s["keep_duplicates"] is False
    assert s["tables"] == 3  # 甲局, 乙局, 丙局: once each
    assert s["projects"] == p["甲局"] + p["乙局"] + p["丙局"]
    first = runs["first"].stdout
    assert "重复的表格" in first and "甲局_副本.xlsx" in first

    book = runs["book"]
    _, depts, total = sheet_rows(book, "部门汇总")
    assert sorted(d["部门名称"] for d in depts) == ["丙局", "乙局", "甲局"]
    assert [d["来源文件"] for d in depts if d["部门名称"] == "甲局"] == ["甲局.xlsx"]
    assert total["总计"] == pytest.approx(sum(d["总计"] for d in depts))
    _, projects, _ = sheet_rows(book, "项目汇总")
    assert len(projects) == p["甲局"] + p["乙局"] + p["丙局"]
    assert not [r for r in projects if r["来源文件"] == "甲局_副本.xlsx"]
    _, detail, _ = sheet_rows(book, "绩效指标明细")
    assert not [r for r in detail if r["来源文件"] == "甲局_副本.xlsx"]
    assert len({r["项目名称"] for r in detail if r["部门名称"] == "丙局"}) == p["丙局"]
    _, findings, _ = sheet_rows(book, "校验结果")
    warned = [r for r in findings if r["规则"] == "重复表格"]
    assert len(warned) == 2 and {r["级别"] for r in warned} == {"警告"}
    row = next(r for r in warned if r["来源文件"] == "甲局_副本.xlsx")
    assert row["部门名称"] == "甲局" and "甲局.xlsx" in row["说明"]


def test_keep_duplicates_counts_them(runs: dict[str, Any]) -> None:
    kept = runs["kept"]
    assert kept.returncode == 0, kept.stderr
    report = json.loads(kept.stdout)  # --json: the report on stdout, the tables on stderr
    assert report == json.loads((runs["out"] / REPORT_NAME).read_text(encoding="utf-8"))
    assert report["summary"]["up_to_date"] == 4  # 甲局, its copy, 乙局, 丙局
    s = report["summary"]
    p = runs["projects"]
    assert s["duplicates"] == 2 and s["keep_duplicates"] is True
    assert s["tables"] == 5
    assert s["projects"] == 2 * p["甲局"] + p["乙局"] + 2 * p["丙局"]
    [dup] = by_name(report)["甲局_副本.xlsx"]["duplicates"]
    assert dup["counted"] is True and "--keep-duplicates" in dup["message"]
    assert "重复的表格" in kept.stderr

    book = runs["out"] / CONSOLIDATED_NAME
    _, depts, total = sheet_rows(book, "部门汇总")
    assert sorted(d["部门名称"] for d in depts) == ["丙局", "丙局", "乙局", "甲局", "甲局"]
    once = {d["部门名称"]: d["总计"] for d in sheet_rows(runs["book"], "部门汇总")[1]}
    assert total["总计"] == pytest.approx(2 * once["甲局"] + once["乙局"] + 2 * once["丙局"])
    assert sheet_rows(runs["book"], "部门汇总")[2]["总计"] == pytest.approx(sum(once.values()))
    _, projects, _ = sheet_rows(book, "项目汇总")
    assert len(projects) == 2 * p["甲局"] + p["乙局"] + 2 * p["丙局"]
    _, findings, _ = sheet_rows(book, "校验结果")
    assert len([r for r in findings if r["规则"] == "重复表格"]) == 2


def test_own_output_names(tmp_path: Path) -> None:
    for name in ("a_绩效汇总.xlsx", "a(xls)_绩效汇总.xlsx", CONSOLIDATED_NAME, "A_绩效汇总.XLSX"):
        (tmp_path / name).write_bytes(b"PK")
        entry = classify(tmp_path / name)
        assert entry is not None and entry.reason_code == "own-output", name
        assert entry.reason and "perfsheet" in entry.reason
    for name in ("绩效汇总.xlsx", "2025年绩效汇总表.xlsx", "a_绩效汇总.xls"):
        (tmp_path / name).write_bytes(b"PK")
        assert classify(tmp_path / name) is None, name


def test_the_add_in_template_is_skipped_not_converted(tmp_path: Path) -> None:
    """perfsheet.template.xlsx sits with the workbooks it formats: it is not an input."""
    for name in (TEMPLATE_FILE_NAME, "PerfSheet.Template.xlsx"):
        (tmp_path / name).write_bytes(b"PK")
        entry = classify(tmp_path / name)
        assert entry is not None and entry.reason_code == "template", name
        assert entry.reason and TEMPLATE_FILE_NAME in entry.reason
    for name in ("perfsheet.template (2).xlsx", "汇总模板.xlsx"):
        (tmp_path / name).write_bytes(b"PK")
        assert classify(tmp_path / name) is None, name


# ---- the key ---------------------------------------------------------------------------------


def _packed(path: Path, dept: str | None, unit: str, projects: list[tuple[Any, ...]]) -> Path:
    """One packed list: title, department and unit line, header, 合计 row, project rows
    (``(name, 总计, 财政拨款, 财政专户拨款, 其他资金)``), one indicator each."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["项目支出绩效目标表"])
    ws.append([f"部门名称：{dept or ''}", None, None, None, None, None, f"单位：{unit}"])
    ws.append(["项目名称", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标", "绩效指标"])
    total = [None] * 4
    for _, *amounts in projects:
        for i, v in enumerate(amounts):
            if v is not None:
                total[i] = (total[i] or 0) + v
    ws.append(["合计", *total, None, None])
    ind = "1、1-产出指标；11-数量指标；完成数量；实施周期指标值:≥1个；年度指标值:≥1个。"
    for name, *amounts in projects:
        ws.append([name, *amounts, "按时完成项目。", ind])
    wb.save(path)
    return path


def _tables(path: Path) -> list[Any]:
    from perfsheet.summary import read_and_analyze

    return read_and_analyze(path).result.tables


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_layout_does_not_change_the_key(example: Path, tmp_path: Path) -> None:
    """Every table of the committed examples (packed lists, row lists, forms, a budget-system
    export), written again as a plain packed list with the same
    department, projects and amounts, has the same key; a changed amount does not."""
    from perfsheet.core.project_stats import iter_projects
    from perfsheet.core.sheets import standard_amounts

    tables = _tables(example)
    assert tables
    for i, t in enumerate(tables):
        projects = [(p.name, *standard_amounts(p.amounts)) for _, p in iter_projects(t)]
        again = _tables(_packed(tmp_path / f"{i}.xlsx", t.department, t.amount_unit, projects))
        assert len(again) == 1 and again[0].layout == "packed"
        assert table_key(again[0]) == table_key(t) is not None, (t.sheet, t.layout)

        # the projects in another order, the amounts in 元: still the same table
        f = 10_000 if t.amount_unit == "万元" else 1
        unit = "元" if f != 1 else t.amount_unit
        scaled = [(n, *(None if v is None else v * f for v in a)) for n, *a in projects[::-1]]
        again = _tables(_packed(tmp_path / f"{i}-yuan.xlsx", t.department, unit, scaled))
        assert table_key(again[0]) == table_key(t)

        # one amount changed: another table
        name, total, fiscal, *rest = projects[0]
        changed = [(name, (total or 0) + 1, (fiscal or 0) + 1, *rest), *projects[1:]]
        again = _tables(
            _packed(tmp_path / f"{i}-changed.xlsx", t.department, t.amount_unit, changed)
        )
        assert table_key(again[0]) != table_key(t)


def test_key_ignores_text_noise_but_not_the_department(tmp_path: Path) -> None:
    projects = [("道路养护", 120.0, 100.0, None, 20.0), ("桥梁检测", 30.5, 30.5, None, None)]
    base = table_key(_tables(_packed(tmp_path / "a.xlsx", "示例县交通运输局", "万元", projects))[0])
    noisy = [("道路 养护", 120.0, 100.0, None, 20.0), ("桥梁检测\u3000", 30.5, 30.5, None, None)]
    same = _tables(_packed(tmp_path / "b.xlsx", "示例县 交通运输局", "万元", noisy))[0]
    assert table_key(same) == base
    other = _tables(_packed(tmp_path / "c.xlsx", "示例县水利局", "万元", projects))[0]
    assert table_key(other) != base
    fewer = _tables(_packed(tmp_path / "d.xlsx", "示例县交通运输局", "万元", projects[:1]))[0]
    assert table_key(fewer) != base
