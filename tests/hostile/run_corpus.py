"""Read workbooks in a child process and report, per file, what happened.

Usage (by :func:`run_files`): ``python run_corpus.py LIST.json`` with ``PYTHONPATH`` = ``src``.
For each file it prints ``{"start": path}`` then ``{"file", "status", "detail", "seconds"}``:
``ok`` (read, analysed, and the summary workbook written with and without the source copy),
``rejected`` (one-line :class:`PerfsheetError`, what the CLI shows with exit code 2) or
``crash`` (any other exception: a bug). The parent notices a child that dies (abort, out of
memory under the address-space cap) and records ``died`` for the file it was on, then goes on
with the rest. The parent hashes every input before and after (``modified``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

#: Address-space cap for the child: a reader that tries to allocate absurd memory fails fast
#: (and is reported) instead of exhausting the machine.
MEMORY_CAP = 4 << 30


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _child(list_file: str) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    from perfsheet.core.pipeline import analyze
    from perfsheet.errors import PerfsheetError
    from perfsheet.io.readers import read_workbook
    from perfsheet.io.safety import time_limit
    from perfsheet.summary import summarize

    out_dir = Path(list_file).parent / "summary-out"
    out_dir.mkdir(exist_ok=True)
    for name in json.loads(Path(list_file).read_text(encoding="utf-8")):
        path = Path(name)
        print(json.dumps({"start": name}), flush=True)
        start = time.perf_counter()
        try:
            with time_limit(name, 120):
                result = analyze(read_workbook(path))
                json.loads(result.model_dump_json())
                # the summary workbook too: standard sheets only, and with the source copy
                # (openpyxl or rebuilt from values)
                for with_source in (False, True):
                    summarize(path, out_dir / "summary.xlsx", with_source=with_source)
            status = "ok"
            detail = f"{len(result.tables)} 张表"
        except PerfsheetError as err:
            status, detail = "rejected", str(err)
            if "\n" in detail or not detail:
                status = "crash"  # the CLI promises one line
        except Exception:
            status, detail = "crash", traceback.format_exc()
        print(
            json.dumps(
                {
                    "file": name,
                    "status": status,
                    "detail": detail,
                    "seconds": time.perf_counter() - start,
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


def run_files(files: list[Path], src: Path, work: Path, timeout: float = 1800) -> list[dict]:
    """Run the child over ``files``; restart it after a death. One result per file."""
    results: list[dict] = []
    before = {str(f): _sha(f) for f in files}
    remaining = [str(f) for f in files]
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONIOENCODING": "utf-8"}
    rounds = 0
    while remaining:
        rounds += 1
        list_file = work / f"corpus-list-{rounds}.json"
        list_file.write_text(json.dumps(remaining), encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, __file__, str(list_file)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=timeout,
        )
        started: str | None = None
        done: set[str] = set()
        for line in proc.stdout.splitlines():
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                results.append(record)
                done.add(record["file"])
                started = None
        if started is not None:  # the child died on this file
            results.append(
                {
                    "file": started,
                    "status": "died",
                    "detail": f"exit {proc.returncode}: {proc.stderr[-2000:]}",
                    "seconds": None,
                }
            )
            done.add(started)
        elif proc.returncode != 0:
            raise RuntimeError(f"corpus runner failed: {proc.stderr[-2000:]}")
        remaining = [f for f in remaining if f not in done]
    for record in results:
        record["modified"] = _sha(Path(record["file"])) != before[record["file"]]
    return results


if __name__ == "__main__":
    _child(sys.argv[1])
