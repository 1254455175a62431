"""``perfsheet parse`` / ``perfsheet check``: JSON document, overview, exit codes, errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfsheet.cli import app
from workbooks import P, U, table_rows, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"

runner = CliRunner()

TABLE_KEYS = {
    "sheet",
    "layout",
    "title",
    "department",
    "amount_unit",
    "header_rows",
    "columns",
    "sources",
    "parts",
    "grand_total",
    "units",
    "findings",
}
PROJECT_KEYS = {"name", "row", "rows", "amounts", "goal", "indicators", "extra"}
AMOUNT_KEYS = {"total", "fiscal", "special", "other", "sources"}
FINDING_KEYS = {"rule", "severity", "sheet", "cell", "row", "message"}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    units = [U("示例县科技局", (100, 90, None, 10), [P("科普宣传活动", (100, 90, None, 12))])]
    rows = table_rows(units, grand=(100, 90, None, 10))
    return write_xlsx(tmp_path_factory.mktemp("cli") / "合计错误.xlsx", rows)


def test_parse_json_document_shape() -> None:
    result = runner.invoke(app, ["parse", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"file", "tables"}
    assert doc["file"] == str(EXAMPLE)
    (table,) = doc["tables"]
    assert set(table) == TABLE_KEYS
    assert table["header_rows"] == [9]
    assert table["layout"] == "packed" and table["sources"] == {}
    assert table["parts"] == {"title": "A1:G8", "header": "A9:G9", "data": "A10:G45"}
    assert table["columns"]["name"] == "A" and table["columns"]["indicators"] == "G"
    assert set(table["grand_total"]) == {"row", "amounts"}
    assert set(table["grand_total"]["amounts"]) == AMOUNT_KEYS
    assert table["grand_total"]["amounts"]["special"] is None
    units = table["units"]
    assert [(u["name"], u["row"], len(u["projects"])) for u in units] == [
        ("广州市协作办公室", 11, 19),
        ("广州市国内合作服务中心", 41, 4),
    ]
    project = units[0]["projects"][1]
    assert set(project) == PROJECT_KEYS
    assert project["row"] == 15 and project["rows"] == [13, 15]
    assert set(project["amounts"]) == AMOUNT_KEYS
    indicator = project["indicators"][0]
    assert {"seq", "level1", "level1_code", "level2", "level2_code", "name"} <= set(indicator)
    assert {"kind", "op", "value", "unit"} <= set(indicator["period_target"])
    assert sum(len(p["indicators"]) for u in units for p in u["projects"]) == 156
    for f in table["findings"]:
        assert set(f) >= FINDING_KEYS
        assert f["severity"] in ("error", "warning", "info")


def test_check_json_has_the_same_shape_and_exit_0() -> None:
    result = runner.invoke(app, ["check", str(EXAMPLE), "--json"])
    assert result.exit_code == 0  # the seed has warnings and notes, no error
    doc = json.loads(result.stdout)
    assert set(doc) == {"file", "tables"} and set(doc["tables"][0]) == TABLE_KEYS
    rules = {f["rule"] for f in doc["tables"][0]["findings"]}
    assert "fragment-merged" in rules
    assert not rules & {"row-total", "unit-subtotal", "grand-total", "amount-format"}


def test_check_exit_1_on_an_error(broken: Path) -> None:
    result = runner.invoke(app, ["check", str(broken), "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["tables"][0]["findings"]
    row_total = [f for f in findings if f["rule"] == "row-total"]
    assert [(f["cell"], f["expected"], f["actual"], f["difference"]) for f in row_total] == [
        ("B7", 102.0, 100.0, -2.0)
    ]
    text = runner.invoke(app, ["check", str(broken)])
    assert text.exit_code == 1
    assert "B7" in text.stdout and "row-total" in text.stdout and "校验未通过" in text.stdout


def test_parse_overview_in_chinese() -> None:
    result = runner.invoke(app, ["parse", str(EXAMPLE)])
    assert result.exit_code == 0
    out = result.stdout
    assert "广州市协作办公室" in out and "广州市国内合作服务中心" in out
    assert "2 个单位、23 个项目、156 条绩效指标" in out
    assert "错误 0" in out


def test_check_overview_passes_on_the_example() -> None:
    result = runner.invoke(app, ["check", str(EXAMPLE)])
    assert result.exit_code == 0
    assert "校验通过" in result.stdout and "fragment-merged" in result.stdout


def _one_line_error(args: list[str], *fragments: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_zero_byte_file_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "空.xlsx"
    p.write_bytes(b"")
    _one_line_error(["parse", str(p)], str(p), "0 字节")
    _one_line_error(["check", str(p), "--json"], str(p), "0 字节")


def test_text_renamed_xlsx_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "其实是文本.xlsx"
    p.write_text("这不是工作簿", encoding="utf-8")
    _one_line_error(["check", str(p)], str(p), "不是 Excel 工作簿")


def test_no_table_and_unknown_sheet_exit_2(tmp_path: Path) -> None:
    p = write_xlsx(tmp_path / "封面.xlsx", {"封面": [["示例局2025年预算"]]})
    _one_line_error(["parse", str(p)], "未找到绩效目标表")
    _one_line_error(["parse", str(EXAMPLE), "--sheet", "不存在"], "不存在")


def test_real_process_exit_codes_and_inputs_untouched(broken: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONIOENCODING": "utf-8"}
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (EXAMPLE, broken)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "perfsheet", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
        )

    ok = run("parse", str(EXAMPLE), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["tables"][0]["sheet"]
    assert run("check", str(broken)).returncode == 1
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    bad = run("check", str(empty))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "0 字节" in bad.stderr
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before} == before
