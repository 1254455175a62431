"""The rule catalogue (``perfsheet.core.rules``): every finding any command or action emits
carries a catalogued id; RULE_NAMES, the audit's basis and default severities, the 说明 sheet
and the rules tables of the docs all come from (or agree with) the catalogue."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

import layout_workbooks as LW
from hostile import builders as hostile
from perfsheet.cli import app
from perfsheet.core import audit, pipeline
from perfsheet.core.rules import MONEY_RULES, RULE_NAMES, RULES, finding, rule_name
from perfsheet.core.sheets import SHEET_FINDINGS, SHEET_NOTES
from perfsheet.io.readers import read_workbook
from workbooks import P, U, table_rows, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".xlsx", ".xls"))
PDFS = sorted(
    p
    for p in (ROOT / "tests" / "pdf_fixtures").glob("*.pdf")
    if p.stem not in ("encrypted", "scan", "permissions", "unruled_unknown")  # unreadable
)
BUILDERS = sorted((name for name in dir(LW) if name.startswith("build_")), key=lambda n: n)

runner = CliRunner()
NAME_TO_ID = {r.name_zh: r.id for r in RULES.values()}


def _rule_rows() -> list[list[Any]]:
    """A table that trips many table rules at once: wrong sums, a text amount, a dash, an
    error value in a name cell, an unnamed project, a second 合计, indicators with problems."""
    bad = "1、产出指标-数量指标-培训人数：≥390人；≥100人\n3、效益指标-社会效益：待单位补充"
    units = [
        U(
            "示例县科技局",
            (100, 90, None, 10),
            [
                P("科普宣传活动", (100, 90, "-", 12), indicators=bad),
                P("#REF!", ("约120万", 50, None, None)),
                P(None, (5, 5, None, None)),
            ],
        )
    ]
    rows = table_rows(units, grand=(100, 90, None, 10))
    rows.append(["总计", 100, 90, None, 10, None, None])
    return rows


_RULE_ROWS = _rule_rows()


def _rules_workbook(path: Path) -> Path:
    return write_xlsx(path, _RULE_ROWS)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("rules_corpus")
    files = [*EXAMPLES, *PDFS, _rules_workbook(d / "规则.xlsx")]
    # hand-written packages (tests/hostile): a plain one and a macro-enabled one
    files.append(hostile.simple(d / "hostile_simple.xlsx", _RULE_ROWS))
    files.append(hostile.macro_workbook(d / "hostile_macro.xlsm", _RULE_ROWS))
    for name in BUILDERS:
        sub = d / name
        sub.mkdir()
        files.append(getattr(LW, name)(sub)[0])
    return files


def _unknown(ids: Iterable[str]) -> set[str]:
    return set(ids) - set(RULES)


def _sheet_rule_ids(path: Path) -> set[str]:
    """The rule ids of a workbook's 校验结果 sheet (from the Chinese names; strict)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        ids: set[str] = set()
        for ws in wb.worksheets:
            if ws.title != SHEET_FINDINGS:
                continue
            rows = ws.iter_rows(values_only=True)
            header = list(next(rows))
            col = header.index("规则")
            for row in rows:
                name = row[col]
                if name:
                    assert name in NAME_TO_ID, f"{path.name}: 规则「{name}」不在规则目录中"
                    ids.add(NAME_TO_ID[name])
        return ids
    finally:
        wb.close()


def test_catalogue_shape() -> None:
    assert len(NAME_TO_ID) == len(RULES), "Chinese names are unique"
    for rid, r in RULES.items():
        assert r.id == rid and re.fullmatch(r"[a-z]+(-[a-z]+)*", rid)
        assert r.severity in ("error", "warning", "info") and r.name_zh
        assert bool(r.basis) == (r.scope == "quality")
    assert {r.id: r.name_zh for r in RULES.values()} == RULE_NAMES
    assert RULE_NAMES["cell-error"] == "单元格错误值"
    assert set(RULES) >= MONEY_RULES


def test_finding_fails_loudly_on_unknown_ids() -> None:
    with pytest.raises(KeyError):
        finding("no-such-rule", message="x")
    with pytest.raises(KeyError):
        rule_name("no-such-rule")
    f = finding("amount-dash", sheet="S", message="m")
    assert (f.rule, f.severity, f.basis) == ("amount-dash", "info", None)
    q = finding("indicator-unit", severity="error", message="m")
    assert q.severity == "error" and q.basis == RULES["indicator-unit"].basis


def test_audit_rules_come_from_the_catalogue() -> None:
    quality = [r.id for r in RULES.values() if r.scope == "quality"]
    assert list(audit.QUALITY_RULES) == quality
    assert {rid: RULES[rid].basis for rid in quality} == audit.BASIS
    shipped = tomllib.loads(
        (resources.files("perfsheet.io") / "default_rules.toml").read_text("utf-8")
    )
    assert set(shipped) == set(quality)
    for rid in quality:
        assert shipped[rid]["severity"] == RULES[rid].severity, rid
        assert audit.default_rules().severity(rid) == RULES[rid].severity


def test_readme_sheet_lists_the_catalogue(tmp_path: Path) -> None:
    out = tmp_path / "说明.xlsx"
    result = runner.invoke(app, ["summary", str(EXAMPLES[0]), "-o", str(out), "--no-source"])
    assert result.exit_code in (0, 1), result.output
    wb = openpyxl.load_workbook(out, read_only=True)
    try:
        ws = next(w for w in wb.worksheets if w.title == SHEET_NOTES)
        listed = [(r[1], r[2]) for r in ws.iter_rows(values_only=True) if r[0] == "校验规则"]
    finally:
        wb.close()
    expected = [(r.name_zh, r.id) for r in RULES.values() if r.scope != "batch"]
    assert listed == expected


def _doc_table(path: Path, heading: str) -> dict[str, tuple[str, str]]:
    """``rule -> (severity, name)`` of the first table under ``heading``."""
    text = path.read_text("utf-8")
    rows: dict[str, tuple[str, str]] = {}
    for line in text[text.index(heading) :].splitlines()[2:]:
        if not line.startswith("|"):
            break
        m = re.match(r"\|\s*`([a-z-]+)`\s*\|\s*(\w+)\s*\|\s*([^|]+?)\s*\|", line)
        assert m, line
        rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def test_docs_rules_tables_match_the_catalogue() -> None:
    """docs/json.md lists the table checks (and convert's duplicate tables), quality-rules.md
    the audit: exactly the catalogue's ids, with their severities and names."""
    table = _doc_table(ROOT / "docs" / "json.md", "| `rule` | 级别 | 名称 |")
    quality = _doc_table(ROOT / "docs" / "quality-rules.md", "| 规则编号 | 默认级别 | 名称 |")
    for scopes, documented in ((("table", "batch"), table), (("quality",), quality)):
        expected = {r.id: (r.severity, r.name_zh) for r in RULES.values() if r.scope in scopes}
        assert documented == expected, scopes


def test_checks_docstring_lists_the_table_rules() -> None:
    """The rules table of ``perfsheet.core.checks``' docstring: the table rules, same severities."""
    from perfsheet.core import checks

    listed = dict(re.findall(r"^``([a-z-]+)``\s+(error|warning|info)", checks.__doc__, re.M))
    table_rules = {r.id: r.severity for r in RULES.values() if r.scope == "table"}
    assert listed == table_rules


def test_every_emitted_rule_is_catalogued(corpus: list[Path], tmp_path: Path) -> None:
    emitted: set[str] = set()
    for path in corpus:
        # the Excel actions' analysis
        result = pipeline.analyze(read_workbook(path))
        ids = {f.rule for t in result.tables for f in t.findings}
        assert not _unknown(ids), (path.name, _unknown(ids))
        emitted |= ids
        for command in ("parse", "check"):
            r = runner.invoke(app, [command, str(path), "--json"])
            assert r.exit_code in (0, 1), (command, path.name, r.output)
            doc = json.loads(r.stdout)
            ids = {f["rule"] for t in doc["tables"] for f in t["findings"]}
            assert not _unknown(ids), (command, path.name, _unknown(ids))
            emitted |= ids
        out = tmp_path / f"{path.stem}_{path.suffix[1:]}_汇总.xlsx"
        r = runner.invoke(app, ["summary", str(path), "-o", str(out)])
        assert r.exit_code in (0, 1), (path.name, r.output)
        emitted |= _sheet_rule_ids(out)
    # convert: every input, twice the first example (a duplicate table)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for i, path in enumerate(corpus):
        shutil.copy(path, inputs / f"{i:02d}_{path.name}")
    shutil.copy(EXAMPLES[0], inputs / f"copy_{EXAMPLES[0].name}")
    outdir = tmp_path / "converted"
    r = runner.invoke(app, ["convert", str(inputs), "-o", str(outdir), "-j", "1", "--json"])
    assert r.exit_code in (0, 1), r.output
    converted = sorted(outdir.rglob("*.xlsx"))
    assert converted
    for out in converted:
        emitted |= _sheet_rule_ids(out)
    assert "duplicate-table" in emitted
    # the corpus exercises most of the catalogue
    for rid in ("row-total", "amount-format", "cell-error", "amount-dash", "fragment-merged"):
        assert rid in emitted, rid
