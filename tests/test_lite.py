"""The xlwings Lite files shipped with perfsheet (addin/lite; issue 13 §3), and what the Lite
path imports, on CPython. The same in a real Pyodide: tests/test_lite_pyodide.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from live_payload import seed_payload
from perfsheet import __version__

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "addin" / "lite"

#: what the Lite path must not import: the CLI's packages, the file readers' and writers'
NOT_ON_THE_LITE_PATH = ("typer", "rich", "click", "openpyxl", "python_calamine", "xlsxwriter")


pytestmark = pytest.mark.usefixtures("live_engine")


def test_requirements_pin_this_version_of_perfsheet() -> None:
    lines = (LITE / "requirements.txt").read_text(encoding="utf-8").splitlines()
    wanted = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert wanted == [f"perfsheet=={__version__}"]
    # the wheel URL shown for the case without a package index names the same version
    assert f"perfsheet-{__version__}-py3-none-any.whl" in (LITE / "requirements.txt").read_text(
        encoding="utf-8"
    )


def test_main_imports_the_functions_and_the_scripts_only() -> None:
    code = [
        line
        for line in (LITE / "main.py").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert code == [
        "from perfsheet.excel.functions import *  # noqa: F403",
        "from perfsheet.excel.scripts import *  # noqa: F403",
    ]


def test_the_lite_files_ship_in_the_wheel() -> None:
    """addin/ is packaged whole (perfsheet/excel/_assets/addin), so addin/lite is versioned
    with the package."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["addin"] == "perfsheet/excel/_assets/addin"


def test_the_lite_path_imports_no_cli_and_no_file_library(tmp_path: Path) -> None:
    """A fresh interpreter runs main.py as Lite does, then every script: none of the CLI's
    or the file readers'/writers' packages is imported (Pyodide need not have them)."""
    data = tmp_path / "payload.json"
    data.write_text(json.dumps(seed_payload(), ensure_ascii=False), encoding="utf-8")
    code = f"""
import asyncio, json, sys
exec(open({str(LITE / "main.py")!r}, encoding="utf-8").read())
import xlwings as xw
from xlwings.server import custom_scripts_call
import __main__
for name in ("perf_parse_sheet", "perf_check_totals", "perf_generate_summary",
             "perf_export_template"):
    book = xw.Book(json=json.load(open({str(data)!r}, encoding="utf-8")))
    asyncio.run(custom_scripts_call(__main__, name, typehint_to_value={{xw.Book: book}}))
    assert book.json()["actions"][-1]["func"] == "alert"
print(json.dumps(sorted({{m.partition(".")[0] for m in sys.modules}})))
"""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "perfsheet" in loaded and "pydantic" in loaded
    assert loaded.isdisjoint(NOT_ON_THE_LITE_PATH), loaded & set(NOT_ON_THE_LITE_PATH)
