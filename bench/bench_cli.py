"""Start-up of the command line: ``perfsheet --help`` against ``python -c "import openpyxl"``.

    python bench/bench_cli.py                # 21 pairs
    python bench/bench_cli.py --pairs 41 --json startup.json

Every run is a fresh process (wall time around ``subprocess.run``). The runs come in pairs,
one ``perfsheet`` run and one ``import openpyxl`` run, in alternating order (help first in
even pairs, openpyxl first in odd ones), so that a slow moment of the shared machine weighs on
both sides of a pair. The figure is the **median of the per-pair ratios**, with the minimum
and the maximum. Goal (issue 15 §3): ``perfsheet --help`` ≤ 1.1× the median.

``perfsheet`` is the console script next to this interpreter when there is one (``python -m
perfsheet`` otherwise), with ``PYTHONPATH`` set to this checkout's ``src``. Also timed, the
same way: ``perfsheet convert -h`` and ``perfsheet --version``. Before timing, one run checks
that the help path imports neither rich nor markdown_it (typer's help renders through them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
GOAL = 1.1


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def perfsheet_command() -> list[str]:
    script = Path(sys.executable).with_name("perfsheet")
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "perfsheet"]


def run(cmd: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def check_help_path() -> list[str]:
    """The modules of rich / markdown_it / pygments that ``perfsheet --help`` imports."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['perfsheet', '--help']\n"
        "try:\n"
        "    runpy.run_module('perfsheet', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('rich', 'markdown_it', 'pygments'))\n"
        "print('\\n' + ' '.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env(), capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()[-1].split()


def paired(cmd: list[str], base: list[str], pairs: int) -> dict:
    ratios, ours, theirs = [], [], []
    for i in range(pairs):
        if i % 2 == 0:
            a = run(cmd)
            b = run(base)
        else:
            b = run(base)
            a = run(cmd)
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
    return {
        "median_s": round(statistics.median(ours), 4),
        "baseline_median_s": round(statistics.median(theirs), 4),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=21)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)

    leaked = check_help_path()
    if leaked:
        print(f"help imports {', '.join(leaked)}", file=sys.stderr)
    perfsheet = perfsheet_command()
    base = [sys.executable, "-c", "import openpyxl"]
    for _ in range(2):  # warm the file cache (byte code, site-packages) for both sides
        run([*perfsheet, "--help"])
        run(base)

    results: dict = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "pairs": args.pairs,
        "command": " ".join(Path(c).name for c in perfsheet),
        "help_imports_rich": leaked,
    }
    for label, extra in (
        ("--help", ["--help"]),
        ("convert -h", ["convert", "-h"]),
        ("--version", ["--version"]),
    ):
        r = paired([*perfsheet, *extra], base, args.pairs)
        results[label] = r
        verdict = "" if label != "--help" else f" (goal ≤ {GOAL}: "
        if verdict:
            verdict += "met)" if r["ratio_median"] <= GOAL else "NOT met)"
        print(
            f"perfsheet {label:<11} {r['median_s']:.3f} s vs import openpyxl "
            f"{r['baseline_median_s']:.3f} s: ratio median {r['ratio_median']}× "
            f"(min {r['ratio_min']}, max {r['ratio_max']}, {args.pairs} pairs){verdict}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if not leaked and results["--help"]["ratio_median"] <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
