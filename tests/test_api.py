"""The library API (issue 14 §1): ``import perfsheet`` does every job and returns models.

Each function is called as a Python user would, on the README's example workbooks: it returns
the documented model, prints nothing, and gives the same numbers as the command line (which only
renders what these functions return). The README's «在 Python 中使用» example is executed.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import perfsheet
from perfsheet import api
from perfsheet.batch.naming import CONSOLIDATED_NAME, REPORT_NAME

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PACKED = EXAMPLES / "广州市协作办公室_项目支出绩效目标表.xlsx"
ROWS = EXAMPLES / "示例县教育局_项目支出绩效目标表_逐行.xlsx"


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


def test_the_package_exports_exactly_the_api() -> None:
    assert set(api.__all__) == perfsheet._API_NAMES
    for name in api.__all__:
        assert getattr(perfsheet, name) is getattr(api, name)
    assert set(api.__all__) <= set(dir(perfsheet))
    with pytest.raises(AttributeError):
        perfsheet.no_such_name  # noqa: B018


def test_import_perfsheet_loads_the_api_only_when_used() -> None:
    code = (
        "import sys, perfsheet\n"
        "before = 'perfsheet.api' in sys.modules\n"
        "from perfsheet import limits\n"  # a submodule is not mistaken for an API name
        "f = perfsheet.analyze_file\n"
        "print(before, 'perfsheet.api' in sys.modules, limits.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "True", "perfsheet.limits"]


def test_signatures_are_typed_without_any() -> None:
    names = ("analyze_file", "summarize", "convert", "read_workbook", "analyze", "load_rules")
    for name in (*names, "export_template"):
        sig = inspect.signature(getattr(perfsheet, name))
        texts = [str(p.annotation) for p in sig.parameters.values()] + [str(sig.return_annotation)]
        assert all(t != inspect.Parameter.empty for t in texts), name
        assert not any(re.search(r"\bAny\b", t) for t in texts), (name, texts)


def test_analyze_file_returns_the_result_and_prints_nothing(capfd: pytest.CaptureFixture) -> None:
    result = perfsheet.analyze_file(ROWS)
    assert isinstance(result, perfsheet.WorkbookResult)
    assert capfd.readouterr() == ("", "")
    # the same as reading and analysing in two steps, and as `perfsheet parse --json`
    again = perfsheet.analyze(perfsheet.read_workbook(ROWS))
    assert again.model_dump() == result.model_dump()
    cli = subprocess.run(
        [sys.executable, "-m", "perfsheet", "parse", "--json", str(ROWS)],
        env=_env(),
        capture_output=True,
        check=True,
    )
    assert json.loads(cli.stdout.decode("utf-8")) == json.loads(result.model_dump_json())
    counts = perfsheet.count_result(result)
    assert counts.projects == sum(len(u.projects) for t in result.tables for u in t.units) > 0


def test_rules_as_a_model_or_a_file_are_the_same(tmp_path: Path) -> None:
    file = tmp_path / "perfsheet.rules.toml"
    file.write_text("[indicator-vague]\nenabled = false\n", encoding="utf-8")
    loaded = perfsheet.load_rules(file)
    by_model = perfsheet.analyze_file(PACKED, rules=loaded)
    by_path = perfsheet.analyze_file(PACKED, rules=file)
    by_text = perfsheet.analyze_file(PACKED, rules=str(file))
    assert by_model == by_path == by_text
    default = perfsheet.analyze_file(PACKED)
    vague = [f for t in default.tables for f in t.findings if f.rule == "indicator-vague"]
    assert vague, "the example has vague targets: the rules file must change something"
    assert not [f for t in by_model.tables for f in t.findings if f.rule == "indicator-vague"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[indicator-vague]\nenabled = 1\n", encoding="utf-8")
    with pytest.raises(perfsheet.RulesFileError, match="第 2 行"):
        perfsheet.analyze_file(PACKED, rules=bad)
    with pytest.raises(perfsheet.InputError):
        perfsheet.analyze_file(tmp_path / "没有这个文件.xlsx")


def test_summarize_returns_its_report(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    out = tmp_path / "汇总.xlsx"
    report = perfsheet.summarize(PACKED, out, with_source=False)
    assert capfd.readouterr() == ("", "")
    assert isinstance(report, perfsheet.SummaryReport) and Path(report.output) == out
    assert out.is_file()
    expected = perfsheet.count_result(perfsheet.analyze_file(PACKED))
    assert report.counts == expected  # one Counts model, the same numbers as the analysis
    assert report.detail_rows >= report.counts.indicators
    with pytest.raises(perfsheet.UsageError):
        perfsheet.summarize(PACKED, PACKED)  # never over the input


def test_convert_returns_the_report_it_writes(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    inbox = tmp_path / "预算表"
    inbox.mkdir()
    for src in (PACKED, ROWS):
        shutil.copy(src, inbox / src.name)
    events: list[perfsheet.ConvertProgress] = []
    report = perfsheet.convert([inbox], tmp_path / "输出", jobs=1, progress=events.append)
    assert capfd.readouterr() == ("", "")
    assert isinstance(report, perfsheet.ConvertReport)
    # the add-in and scripts get the object; the file on disk says the same
    on_disk = json.loads((tmp_path / "输出" / REPORT_NAME).read_text(encoding="utf-8"))
    assert json.loads(report.model_dump_json()) == on_disk
    s = report.summary
    assert (s.ok, s.failed, s.exit_code) == (2, 0, 0)
    assert report.consolidated == str((tmp_path / "输出" / CONSOLIDATED_NAME).resolve())
    kinds = [e.kind for e in events]
    assert kinds == ["start", "file", "file", "merge"]
    assert [e.done for e in events if e.kind == "file"] == [1, 2]
    assert {Path(e.entry.input).name for e in events if e.entry} == {PACKED.name, ROWS.name}
    total = perfsheet.count_result(perfsheet.analyze_file(PACKED)) + perfsheet.count_result(
        perfsheet.analyze_file(ROWS)
    )
    assert (s.projects, s.indicators, s.errors) == (
        total.projects,
        total.indicators,
        total.errors,
    )
    with pytest.raises(perfsheet.UsageError):
        perfsheet.convert([tmp_path / "空文件夹"], tmp_path / "输出2")


def test_readme_python_example_runs(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"## 在 Python 中使用\n.*?```python\n(.*?)```", text, re.S)
    assert m is not None, "README has no «在 Python 中使用» example"
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    done = subprocess.run(
        [sys.executable, "-c", m.group(1)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        timeout=600,
    )
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr[-3000:]
    assert (tmp_path / "汇总.xlsx").is_file()
    assert (tmp_path / "输出" / CONSOLIDATED_NAME).is_file()
    lines = done.stdout.decode("utf-8").splitlines()
    assert any("ConvertProgress(kind='merge'" in line for line in lines)
