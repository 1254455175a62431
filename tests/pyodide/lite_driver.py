"""perfsheet's xlwings Lite entry points, run the way xlwings Lite runs them, in whichever
runtime runs this file: CPython (``python lite_driver.py IN OUT``) or Pyodide under Node
(``node run.mjs … lite_driver.py IN OUT WHEELS SRC``). tests/test_lite_pyodide.py runs both on
the same input and compares the outputs cell for cell.

WHEELS and SRC (Pyodide): the wheels in folder WHEELS are unzipped into site-packages, in
Pyodide's in-memory file system, and the perfsheet package in folder SRC is copied next to them.
No network, no micropip.

Input (JSON):

``main``
    the text of addin/lite/main.py, executed as the workbook's main.py with
    ``XLWINGS_ON_SERVER=true``, as Lite executes it.
``functions``
    ``[[python name, [arg, ...]], ...]``, each called through
    ``xlwings.server.custom_functions_call`` (how Lite computes ``=PERF_*``).
``scripts``
    ``[[label, script name, payload], ...]``, each run through ``custom_scripts_call`` on
    ``xw.Book(json=payload)`` (xlwings' remote engine); the result is the queued actions.
``time_limit``
    ``[label, script name, payload, seconds]``: a script run with that time limit.
``failure``
    ``[label, script name, payload]``: a script run with a defect injected after its first
    writes were queued (the helper columns' widths raise).

Output (JSON): ``functions`` (results, in order), ``scripts`` (label -> actions), ``facts``
(platform, Python, whether ``signal.setitimer`` exists and threads start), ``attempts``
(modules outside the Lite path that perfsheet tried to import, with the importer),
``modules`` (top-level modules loaded) and ``seconds`` (timings).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import sys
import time
import types
from pathlib import Path
from typing import Any

#: packages the Lite path must never import (the CLI's, the file readers' and writers')
FORBIDDEN = frozenset(
    {"typer", "rich", "click", "openpyxl", "python_calamine", "xlsxwriter", "shellingham"}
)


class _Watch:
    """A meta-path finder that only records who tries to import a forbidden package."""

    def __init__(self) -> None:
        self.attempts: list[list[str]] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.partition(".")[0]
        if top in FORBIDDEN:
            frame = sys._getframe(1)
            while frame is not None and frame.f_globals.get("__name__", "").startswith(
                ("importlib", "_frozen_importlib")
            ):
                frame = frame.f_back
            importer = frame.f_globals.get("__name__", "?") if frame is not None else "?"
            self.attempts.append([name, importer])
        return None


def _install(wheels: str, src: str) -> None:
    """Unzip the wheels into site-packages and copy perfsheet next to them."""
    import importlib
    import shutil
    import sysconfig
    import zipfile

    site = Path(sysconfig.get_paths()["purelib"])
    site.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(Path(wheels).glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
    shutil.copytree(
        Path(src) / "perfsheet",
        site / "perfsheet",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    importlib.invalidate_caches()


def _threads_start() -> bool:
    import threading

    try:
        worker = threading.Thread(target=lambda: None)
        worker.start()
    except RuntimeError:
        return False
    worker.join()
    return True


class _Frozen(dt.datetime):
    """说明 carries the time it was generated: both runtimes generate it at the same time."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _Frozen:
        return cls(2025, 3, 1, 9, 30, 0)


async def _script(module: Any, name: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    import xlwings as xw
    from xlwings.server import custom_scripts_call

    book = xw.Book(json=copy.deepcopy(payload))
    await custom_scripts_call(module, name, typehint_to_value={xw.Book: book})
    return book.json()["actions"]


async def entry(argv: list[str]) -> None:
    source, target, *install = argv
    spec = json.loads(Path(source).read_text(encoding="utf-8"))
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if install:
        _install(*install)
    seconds["install"] = time.perf_counter() - started

    watch = _Watch()
    sys.meta_path.insert(0, watch)
    os.environ["XLWINGS_ON_SERVER"] = "true"  # as xlwings Lite sets it
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    mark = time.perf_counter()
    main = types.ModuleType("main")
    main.__file__ = "main.py"
    exec(compile(spec["main"], "main.py", "exec"), main.__dict__)
    seconds["import"] = time.perf_counter() - mark

    import signal

    import xlwings as xw
    from xlwings.server import custom_functions_call

    from perfsheet import limits
    from perfsheet.core import summary_rows
    from perfsheet.excel import actions

    summary_rows._dt = types.SimpleNamespace(datetime=_Frozen)  # type: ignore[attr-defined]

    mark = time.perf_counter()
    results = []
    for name, args in spec["functions"]:
        data = {
            "func_name": name,
            "args": [a if isinstance(a, list) else [[a]] for a in args],
            "version": xw.__version__,
            "client": "Office.js",
            "runtime": "1.4",
            "culture_info_name": "zh-CN",
        }
        results.append(await custom_functions_call(data, main))
    seconds["functions"] = time.perf_counter() - mark

    mark = time.perf_counter()
    scripts: dict[str, Any] = {}
    for label, name, payload in spec["scripts"]:
        scripts[label] = await _script(main, name, payload)
    seconds["scripts"] = time.perf_counter() - mark

    if spec.get("time_limit"):
        label, name, payload, limit = spec["time_limit"]
        saved = limits.TIME_LIMIT_SECONDS
        limits.TIME_LIMIT_SECONDS = limit
        try:
            scripts[label] = await _script(main, name, payload)
        finally:
            limits.TIME_LIMIT_SECONDS = saved

    if spec.get("failure"):
        label, name, payload = spec["failure"]

        def broken(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("注入的缺陷")

        saved_widths = actions.set_column_widths
        actions.set_column_widths = broken  # type: ignore[assignment]
        try:
            scripts[label] = await _script(main, name, payload)
        finally:
            actions.set_column_widths = saved_widths  # type: ignore[assignment]

    sys.meta_path.remove(watch)
    out = {
        "functions": results,
        "scripts": scripts,
        "facts": {
            "platform": sys.platform,
            "python": list(sys.version_info[:2]),
            "xlwings": xw.__version__,
            "setitimer": hasattr(signal, "setitimer"),
            "threads": _threads_start(),
        },
        "attempts": watch.attempts,
        "modules": sorted({m.partition(".")[0] for m in sys.modules}),
        "seconds": seconds,
    }
    Path(target).write_text(json.dumps(out, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    import asyncio

    asyncio.run(entry(sys.argv[1:]))
