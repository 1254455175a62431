"""``perfsheet summary`` end to end: the seed example, the parse --json document as the one
source of truth, refusals in Chinese, inputs never modified."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from perfsheet.cli import app
from perfsheet.core.models import Indicator
from perfsheet.core.project_stats import effective_target
from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_PROJECTS, STANDARD_SHEETS
from summary_helpers import EXAMPLE, ROOT, write_user_template

runner = CliRunner()
NATURE = {
    "quantitative": "定量",
    "qualitative": "定性",
    "deadline": "定性",
    "placeholder": "待补充",
}
VALUE_OF = {
    "quantitative": lambda t: t.value,
    "qualitative": lambda t: t.raw,
    "deadline": lambda t: t.raw,
    "placeholder": lambda t: None,
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def example(tmp_path: Path):
    """A copy of the seed example; asserts after the test that it was never modified."""
    src = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, src)
    before = sha(src)
    yield src
    assert sha(src) == before, "the input file was modified"


def invoke(*args: str):
    return runner.invoke(app, list(args))


def rows(path: Path, sheet: str) -> list[dict]:
    data = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    header = [str(h) for h in data[0]]
    return [dict(zip(header, r, strict=False)) for r in data[1:]]


def blank(v):
    return None if v == "" else v


def test_summary_default_output_and_message(example: Path) -> None:
    res = invoke("summary", str(example))
    assert res.exit_code == 0, res.output
    out = example.with_name(example.stem + "_绩效汇总.xlsx")
    assert out.is_file()
    assert f"已生成：{out}" in res.output
    assert "1 个表格，23 个项目，156 条指标" in res.output
    assert "错误 0 条" in res.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames[-4:] == list(STANDARD_SHEETS) and len(wb.sheetnames) == 5
    assert not [f for f in example.parent.iterdir() if f.name.startswith(".")]  # no temp left


def test_values_equal_the_parse_json_document(example: Path, tmp_path: Path) -> None:
    res = invoke("parse", str(example), "--json")
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    out = tmp_path / "汇总.xlsx"
    assert invoke("summary", str(example), "-o", str(out), "--no-source").exit_code == 0

    (table,) = doc["tables"]
    unit_word = table["amount_unit"]
    detail = rows(out, SHEET_DETAIL)
    projects = rows(out, SHEET_PROJECTS)
    assert len(detail) == 156
    expected_detail = []
    expected_projects = []
    for unit in table["units"]:
        for p in unit["projects"]:
            a = p["amounts"]
            expected_projects.append((unit["name"], p["name"], a["total"], len(p["indicators"])))
            for ind in p["indicators"]:
                t = effective_target(Indicator.model_validate(ind))
                expected_detail.append(
                    {
                        "部门名称": table["department"],
                        "资金使用单位": unit["name"],
                        "项目名称": p["name"],
                        f"总计（{unit_word}）": a["total"],
                        f"财政拨款（{unit_word}）": a["fiscal"],
                        f"财政专户拨款（{unit_word}）": a["special"],
                        f"其他资金（{unit_word}）": a["other"],
                        "指标序号": ind["seq"],
                        "一级指标": ind["level1"],
                        "二级指标": ind["level2"],
                        "三级指标": ind["name"],
                        "实施周期指标值": ind["period_value"],
                        "年度指标值": ind["annual_value"],
                        "比较符": t.op if t and t.kind != "placeholder" else None,
                        "目标值": VALUE_OF[t.kind](t) if t else None,
                        "计量单位": t.unit if t and t.kind != "placeholder" else None,
                        "指标性质": NATURE[t.kind] if t else "待补充",
                        "来源位置": f"{table['sheet']}!{table['columns']['indicators']}{p['row']}",
                    }
                )
    assert len(expected_detail) == 156
    for got, want in zip(detail, expected_detail, strict=True):
        for key, value in want.items():
            assert blank(got[key]) == value, (key, got, want)
    assert [
        (r["资金使用单位"], r["项目名称"], r[f"总计（{unit_word}）"], r["指标数"])
        for r in projects[:23]
    ] == expected_projects
    assert str(projects[23]["项目名称"]).startswith("合计（23 个项目）")
    findings = rows(out, SHEET_FINDINGS)
    assert [f["说明"] for f in findings] == [f["message"] for f in table["findings"]]
    assert not [
        f for f in table["findings"] if f["rule"] in ("row-total", "unit-subtotal", "grand-total")
    ]


def test_no_source_writes_only_the_standard_sheets(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "仅汇总.xlsx"
    res = invoke("summary", str(example), "--no-source", "-o", str(out))
    assert res.exit_code == 0
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == list(STANDARD_SHEETS)


def test_template_option(example: Path, tmp_path: Path) -> None:
    tpl = write_user_template(tmp_path / "模板.xlsx")
    out = tmp_path / "按模板.xlsx"
    res = invoke("summary", str(example), "--template", str(tpl), "-o", str(out))
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out)[SHEET_DETAIL]
    assert ws["A1"].value == "广州市协作办公室 绩效指标汇总"
    assert [c.value for c in ws[3]][:3] == ["三级指标", "年度指标值", "项目名称"]
    assert ws.max_row == 3 + 156

    broken = write_user_template(tmp_path / "缺表模板.xlsx", drop=SHEET_PROJECTS)
    res = invoke("summary", str(example), "--template", str(broken), "-o", str(tmp_path / "x.xlsx"))
    assert res.exit_code == 2
    assert "缺少工作表「项目汇总」" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "x.xlsx").exists()


def test_output_equal_to_input_is_refused(example: Path) -> None:
    for same in (str(example), str(example.parent / "." / example.name)):
        res = invoke("summary", str(example), "-o", same)
        assert res.exit_code == 2
        assert "输出文件不能与输入文件相同" in res.output
    link = example.parent / "链接.xlsx"
    os.symlink(example, link)
    res = invoke("summary", str(example), "-o", str(link))
    assert res.exit_code == 2 and "不能与输入文件相同" in res.output


def test_bad_arguments_are_refused_in_chinese(example: Path, tmp_path: Path) -> None:
    res = invoke("summary", str(example), "-o", str(tmp_path / "out.xls"))
    assert res.exit_code == 2 and "输出文件须为 .xlsx" in res.output
    res = invoke("summary", str(tmp_path / "不存在.xlsx"))
    assert res.exit_code == 2 and "无法读取" in res.output
    fake = tmp_path / "假的.xlsx"
    fake.write_text("这不是工作簿", encoding="utf-8")
    before = sha(fake)
    res = invoke("summary", str(fake))
    assert res.exit_code == 2 and "无法读取" in res.output
    assert sha(fake) == before
    assert not (tmp_path / "假的_绩效汇总.xlsx").exists()


def test_sheet_option(example: Path, tmp_path: Path) -> None:
    name = openpyxl.load_workbook(example, read_only=True).sheetnames[0]
    out = tmp_path / "s.xlsx"
    assert invoke("summary", str(example), "--sheet", name, "-o", str(out)).exit_code == 0
    assert len(rows(out, SHEET_DETAIL)) == 156
    res = invoke("summary", str(example), "--sheet", "没有这张表", "-o", str(tmp_path / "t.xlsx"))
    assert res.exit_code == 2


def test_help_is_chinese_and_lists_summary() -> None:
    res = invoke("--help")
    assert res.exit_code == 0 and "summary" in res.output
    res = invoke("summary", "--help")
    assert "生成标准化汇总工作簿" in res.output and "--no-source" in res.output


def test_real_process_and_lazy_imports(example: Path, tmp_path: Path) -> None:
    """``python -m perfsheet summary --no-source`` in a fresh process: works, prints Chinese,
    and never imports openpyxl (the fast path reads the packaged template spec)."""
    out = tmp_path / "p.xlsx"
    code = (
        "import sys, runpy\n"
        "sys.argv = ['perfsheet', 'summary', sys.argv[1], '--no-source', '-o', sys.argv[2]]\n"
        "try:\n"
        "    runpy.run_module('perfsheet', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    print('openpyxl' in sys.modules, e.code)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(example), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "已生成" in proc.stdout
    assert proc.stdout.strip().endswith("False 0")
    assert out.is_file()


def test_quality_scores_and_audit_problems_come_from_the_audit(
    example: Path, tmp_path: Path
) -> None:
    from perfsheet import analyze_file
    from perfsheet.core.quality_score import quality_score

    out = tmp_path / "质量.xlsx"
    assert invoke("summary", str(example), "-o", str(out), "--no-source").exit_code == 0
    (table,) = analyze_file(example).tables
    projects = {r["项目名称"]: r for r in rows(out, SHEET_PROJECTS)[:23]}
    for unit in table.units:
        for p in unit.projects:
            assert projects[p.name]["指标质量"] == quality_score(p, table.findings)
    # an indicator named by an audit finding carries its message in 问题
    named = [f for f in table.findings if f.indicator is not None and f.severity == "warning"]
    assert named
    detail = rows(out, SHEET_DETAIL)
    for f in named:
        row = next(r for r in detail if r["项目名称"] == f.project and r["指标序号"] == f.indicator)
        assert f.message in row["问题"]
    notes = rows(out, "说明")
    assert any(r["名称"] == "指标质量" and "70 ×" in r["内容"] for r in notes)


def test_rules_option_reaches_the_audit(example: Path, tmp_path: Path) -> None:
    rules = tmp_path / "规则.toml"
    rules.write_text("[indicator-coverage]\nenabled = false\n", encoding="utf-8")
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert invoke("summary", str(example), "-o", str(a), "--no-source").exit_code == 0
    res = invoke("summary", str(example), "-o", str(b), "--no-source", "--rules", str(rules))
    assert res.exit_code == 0
    rule_ids = lambda p: [r["规则"] for r in rows(p, SHEET_FINDINGS)]  # noqa: E731
    assert "指标覆盖不全" in rule_ids(a) and "指标覆盖不全" not in rule_ids(b)
    bad = tmp_path / "坏规则.toml"
    bad.write_text('[indicator-unit]\nseverity = "fatal"\n', encoding="utf-8")
    res = invoke("summary", str(example), "-o", str(tmp_path / "c.xlsx"), "--rules", str(bad))
    assert res.exit_code == 2 and "坏规则.toml" in res.output and "Traceback" not in res.output
