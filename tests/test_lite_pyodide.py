"""xlwings Lite, proven in a real Pyodide (issue 13 §3).

Lite runs Python in Pyodide (CPython compiled to WebAssembly) inside Excel's browser engine: no
timer signals, no threads, no package but those installed for the workbook. This test runs
perfsheet in that runtime: the npm package ``pyodide`` under Node (tests/pyodide, pinned by its
package-lock.json; ``.ci/run`` installs it with ``npm ci``). The npm package holds the core
runtime only (its other packages, micropip included, come from a CDN), so the Lite path's
dependencies are fetched here as wheels from the package index — the Pyodide (wasm) builds of
pydantic-core and xlwings, the pure wheels as usual — for the Pyodide ABI that the runtime's
lock file names, and unzipped into its site-packages (tests/pyodide/lite_driver.py). Nothing
else is installed there: an import of typer, rich, openpyxl, calamine or XlsxWriter on the Lite
path would fail.

The workbook's main.py is addin/lite/main.py, as shipped. On the example's real cells (read here
on CPython with the project's reader) the ``=PERF_*`` functions run through
``custom_functions_call`` and the task-pane scripts (解析指标 / 校验合计 / 生成汇总 / 批量转换 /
导出模板) through ``custom_scripts_call`` on a payload of the example book (xlwings' remote
engine, as in Lite). The same driver runs the same calls on CPython; the two outputs are compared
cell for cell. Also checked in Pyodide: the time limit degrades to a check between projects (a
limit of 0.01 s stops a 900-project sheet with the Chinese message, and the normal runs are not
stopped), and a defect becomes one Chinese message box with nothing written.

The wheels are downloaded once per test session (``PERFSHEET_PYODIDE_WHEELS``: a folder holding
them instead, for machines without the index). Without Node, the wheels or the index the test
is skipped with the reason; under ``CI=true`` it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from live_payload import SEED_SHEET, SEED_XLSX, payload, run, seed_payload, seed_values, sheet_json

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "pyodide"
RUNTIME = HARNESS / "node_modules" / "pyodide"
LITE = ROOT / "addin" / "lite"

#: the Lite path's third-party imports, besides xlwings (perfsheet.excel.functions / actions /
#: scripts and what they import while running: tests/test_lite.py checks the list on CPython)
LITE_REQUIREMENTS = ("pydantic", "defusedxml")

pytestmark = pytest.mark.pyodide


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the xlwings Lite test must run)")
    pytest.skip(reason)


# --------------------------------------------------------------------------------------------
# The runtime and the wheels
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node() -> str:
    """Node with the pinned pyodide package installed in tests/pyodide (``npm ci`` if needed)."""
    node = shutil.which("node")
    if node is None:
        _unavailable("Node.js not found: apt-get install -y nodejs npm (.ci/run does)")
    if not (RUNTIME / "pyodide.mjs").is_file():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("tests/pyodide/node_modules missing and npm not found")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HARNESS,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0 or not (RUNTIME / "pyodide.mjs").is_file():
            _unavailable(f"npm ci in tests/pyodide failed: {done.stderr.strip()[-500:]}")
    pinned = json.loads((HARNESS / "package.json").read_text(encoding="utf-8"))
    installed = json.loads((RUNTIME / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == pinned["dependencies"]["pyodide"], "run npm ci in tests/pyodide"
    return node


def runtime_info() -> dict[str, str]:
    """Python version and wheel ABI of the installed Pyodide (its lock file's ``info``)."""
    return json.loads((RUNTIME / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]


def lite_requirements() -> list[str]:
    """The Lite path's requirements as pyproject.toml states them; xlwings pinned to the
    version installed here, so that both runtimes run the same xlwings."""
    import xlwings

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = []
    for requirement in declared["project"]["dependencies"]:
        name = requirement.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
        if name in LITE_REQUIREMENTS:
            wanted.append(requirement)
    assert len(wanted) == len(LITE_REQUIREMENTS), wanted
    return [*wanted, f"xlwings=={xlwings.__version__}"]


@pytest.fixture(scope="session")
def wheels(node: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Lite path's wheels for the Pyodide runtime: from ``PERFSHEET_PYODIDE_WHEELS`` or
    downloaded once per session from the package index."""
    given = os.environ.get("PERFSHEET_PYODIDE_WHEELS")
    if given:
        folder = Path(given)
        if not any(folder.glob("*.whl")):
            _unavailable(f"PERFSHEET_PYODIDE_WHEELS={given} holds no wheels")
        return folder
    info = runtime_info()
    major, minor = info["python"].split(".")[:2]
    folder = tmp_path_factory.mktemp("pyodide-wheels")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--platform",
        f"pyemscripten_{info['abi_version']}_{info['arch']}",
        "--python-version",
        f"{major}.{minor}",
        "--implementation",
        "cp",
        "--abi",
        f"cp{major}{minor}",
        "--dest",
        str(folder),
        *lite_requirements(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        _unavailable("downloading the Pyodide wheels timed out (no package index?)")
    if done.returncode != 0:
        tail = " ".join(done.stderr.split()[-40:])
        _unavailable(
            "no Pyodide wheels: PERFSHEET_PYODIDE_WHEELS is not set and pip download failed "
            f"({tail})"
        )
    return folder


# --------------------------------------------------------------------------------------------
# One run of every call in each runtime
# --------------------------------------------------------------------------------------------


def seed_indicator_cells() -> list[str]:
    """The example's 绩效指标 cells (column G under its header), as the reader reads them."""
    from perfsheet.io.readers import read_workbook

    rows = read_workbook(SEED_XLSX).sheets[0].rows
    head = next(i for i, r in enumerate(rows) if "绩效指标" in r)
    col = rows[head].index("绩效指标")
    return [r[col] for r in rows[head + 1 :] if len(r) > col and isinstance(r[col], str)]


def function_calls() -> list[list[Any]]:
    """``=PERF_*`` on every indicator cell, and ``=PERF_TARGET`` on every value text in them."""
    from perfsheet.excel import functions as fx

    calls: list[list[Any]] = []
    values: list[str] = []
    for cell in seed_indicator_cells():
        calls += [
            ["perf_parse", [cell, None, None]],
            ["perf_parse", [cell, "三级指标", True]],
            ["perf_parse", [cell, 8, None]],
            ["perf_count", [cell, None]],
            ["perf_count", [cell, "产出"]],
            ["perf_issues", [cell]],
            ["perf_clean", [cell]],
        ]
        rows = fx.perf_parse(cell)
        if isinstance(rows, list):
            values += [v for row in rows for v in row[4:6] if isinstance(v, str) and v]
    calls += [["perf_target", [v, None]] for v in dict.fromkeys(values)]
    calls += [
        ["perf_target", ["≥1.4万人", True]],
        ["perf_parse", [[["a", "b"]], None, None]],
        ["perf_parse", [1.5, None, None]],
        ["perf_parse", ["没有指标的文字", None, None]],
        ["perf_count", [True, None]],
        ["perf_parse", [seed_indicator_cells()[0], "没有这一列", None]],
    ]
    return calls


def script_runs() -> list[list[Any]]:
    """(label, script, payload): the task-pane scripts on the example book."""
    broken = seed_values()
    assert broken[11][1] == "120.00"
    broken[11][1] = "121.00"  # B12: the first project's 总计 no longer matches its parts
    _r, _q, parsed = run("parse", seed_payload())  # after one click of 解析指标
    return [
        ["解析指标", "perf_parse_sheet", seed_payload()],
        ["解析指标（再次）", "perf_parse_sheet", parsed.payload],
        ["校验合计", "perf_check_totals", payload([sheet_json(SEED_SHEET, broken)])],
        ["校验合计（已解析）", "perf_check_totals", parsed.payload],
        ["生成汇总", "perf_generate_summary", seed_payload(name=SEED_XLSX.name)],
        ["批量转换", "perf_batch_convert", seed_payload()],
        ["导出模板", "perf_export_template", seed_payload()],
    ]


def big_payload() -> dict[str, Any]:
    """The example's project rows 40 times (≈ 900 projects)."""
    values = seed_values()
    head = next(i for i, row in enumerate(values) if str(row[0]).startswith("项目名称")) + 1
    return payload([sheet_json(SEED_SHEET, values[:head] + values[head:] * 40)])


@pytest.fixture(scope="module")
def lite_input(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Path:
    from live_payload import register_remote_engine

    register_remote_engine(monkeypatch_module)
    spec = {
        "main": (LITE / "main.py").read_text(encoding="utf-8"),
        "functions": function_calls(),
        "scripts": script_runs(),
        "time_limit": ["时间上限", "perf_generate_summary", big_payload(), 0.01],
        "failure": ["意外错误", "perf_parse_sheet", seed_payload()],
    }
    folder = tmp_path_factory.mktemp("lite")
    (folder / "input.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def in_pyodide(node: str, wheels: Path, lite_input: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            node,
            str(HARNESS / "run.mjs"),
            "--mount",
            f"/work={lite_input}",
            "--mount",
            f"/wheels={wheels}",
            "--mount",
            f"/repo={ROOT}",
            "/repo/tests/pyodide/lite_driver.py",
            "/work/input.json",
            "/work/pyodide.json",
            "/wheels",  # installed into Pyodide's site-packages, with perfsheet from src/
            "/repo/src",
        ],
        cwd=HARNESS,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    out = json.loads((lite_input / "pyodide.json").read_text(encoding="utf-8"))
    out["seconds"]["node"] = json.loads(done.stdout.strip().splitlines()[-1])
    out["seconds"]["total"] = time.perf_counter() - started
    print("Pyodide:", json.dumps(out["seconds"]))
    return out


@pytest.fixture(scope="module")
def in_cpython(lite_input: Path) -> dict[str, Any]:
    """The same driver on the same input, in a fresh CPython (as Lite: XLWINGS_ON_SERVER)."""
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            str(HARNESS / "lite_driver.py"),
            str(lite_input / "input.json"),
            str(lite_input / "cpython.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    out = json.loads((lite_input / "cpython.json").read_text(encoding="utf-8"))
    out["seconds"]["total"] = time.perf_counter() - started
    print("CPython:", json.dumps(out["seconds"]))
    return out


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def first_difference(a: Any, b: Any, where: str = "") -> str | None:
    """Where two results first differ (a path down to the cell), or None when equal."""
    if type(a) is not type(b):
        return f"{where}: {a!r} ≠ {b!r}"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{where}: keys {sorted(a)} ≠ {sorted(b)}"
        for key in a:
            found = first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None if len(a) == len(b) else f"{where}: {len(a)} ≠ {len(b)} items"
    return None if a == b else f"{where}: {a!r} ≠ {b!r}"


def test_the_runtime_is_pyodide_without_timer_signals_or_threads(
    in_pyodide: dict[str, Any], in_cpython: dict[str, Any]
) -> None:
    import xlwings

    facts = in_pyodide["facts"]
    info = runtime_info()
    assert facts["platform"] == "emscripten"
    assert ".".join(map(str, facts["python"])) == ".".join(info["python"].split(".")[:2])
    assert facts["setitimer"] is False and facts["threads"] is False
    assert facts["xlwings"] == in_cpython["facts"]["xlwings"] == xlwings.__version__
    assert in_cpython["facts"]["platform"] != "emscripten"


def test_functions_give_the_same_cells_as_on_cpython(
    in_pyodide: dict[str, Any], in_cpython: dict[str, Any], lite_input: Path
) -> None:
    calls = json.loads((lite_input / "input.json").read_text(encoding="utf-8"))["functions"]
    ours, theirs = in_pyodide["functions"], in_cpython["functions"]
    assert len(ours) == len(theirs) == len(calls)
    for call, a, b in zip(calls, ours, theirs, strict=True):
        assert first_difference(a, b) is None, (call, first_difference(a, b))
    # and they are real answers: the first project's 8 indicators, 5 of them 产出
    assert calls[0] == ["perf_parse", [seed_indicator_cells()[0], None, None]]
    assert len(ours[0]) == 8 and ours[0][0][3] == "培训人数"
    assert calls[4][0] == "perf_count" and ours[4] == [[5]]
    assert sum(1 for name, _a in calls if name == "perf_target") > 50


@pytest.mark.parametrize(
    "label",
    [
        "解析指标",
        "解析指标（再次）",
        "校验合计",
        "校验合计（已解析）",
        "生成汇总",
        "批量转换",
        "导出模板",
    ],
)
def test_scripts_queue_the_same_actions_as_on_cpython(
    label: str, in_pyodide: dict[str, Any], in_cpython: dict[str, Any]
) -> None:
    ours, theirs = in_pyodide["scripts"][label], in_cpython["scripts"][label]
    assert first_difference(ours, theirs) is None, first_difference(ours, theirs)
    assert ours[-1]["func"] == "alert"


def test_scripts_did_their_work(in_pyodide: dict[str, Any]) -> None:
    from live_payload import alerts, of
    from perfsheet.excel.actions import MSG_NO_FOLDER

    scripts = in_pyodide["scripts"]
    (block,) = of(scripts["解析指标"], "setValues", 0)
    assert (block["start_row"], block["start_column"], block["column_count"]) == (8, 7, 7)
    assert "23 个项目、156 条指标" in alerts(scripts["解析指标"])[0]
    assert "金额合计有 2 处错误" in alerts(scripts["校验合计"])[0]
    added = [a["args"][1] for a in of(scripts["生成汇总"], "addSheet")]
    assert added[:2] == ["绩效指标明细", "项目汇总"]
    assert alerts(scripts["批量转换"])[0].startswith("批量转换需要访问本机文件夹")
    # no folder in Lite: 导出模板 says where a template can go, and writes nothing
    assert alerts(scripts["导出模板"]) == ["导出模板：" + MSG_NO_FOLDER]


def test_time_limit_is_a_check_between_projects_in_pyodide(
    in_pyodide: dict[str, Any], in_cpython: dict[str, Any]
) -> None:
    """No timer signal and no thread: the limit still stops the analysis (before anything
    is written), as the alarm does on CPython; the runs above were not stopped."""
    from live_payload import alerts

    for out in (in_pyodide, in_cpython):
        queued = out["scripts"]["时间上限"]
        assert [a["func"] for a in queued] == ["alert"]
        assert "处理时间超过上限 0.01 秒" in alerts(queued)[0]


def test_a_defect_is_one_chinese_message_and_nothing_is_written(
    in_pyodide: dict[str, Any], in_cpython: dict[str, Any]
) -> None:
    from live_payload import alerts

    for out in (in_pyodide, in_cpython):
        queued = out["scripts"]["意外错误"]
        assert [a["func"] for a in queued] == ["alert"]
        (message,) = alerts(queued)
        assert message.startswith("解析指标：出现意外错误，操作已停止，工作簿未做任何修改。")
        assert "RuntimeError: 注入的缺陷" in message


def test_the_lite_path_imports_nothing_pyodide_lacks(in_pyodide: dict[str, Any]) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("lite_driver", HARNESS / "lite_driver.py")
    assert spec is not None and spec.loader is not None
    driver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(driver)
    FORBIDDEN = driver.FORBIDDEN

    ours = [(name, by) for name, by in in_pyodide["attempts"] if by.startswith("perfsheet")]
    assert ours == []
    assert FORBIDDEN.isdisjoint(in_pyodide["modules"])
    assert {"perfsheet", "pydantic", "xlwings"} <= set(in_pyodide["modules"])
