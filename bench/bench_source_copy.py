"""Paired benchmark of the default ``perfsheet summary`` path (the source copy) against
``--no-source`` and, with ``--baseline-src``, against the default path of another checkout.

    python bench/bench_source_copy.py --projects 20000 --pairs 5
    git archive <commit> src | tar -x -C /tmp/base          # the code before, as a src folder
    python bench/bench_source_copy.py --projects 20000 --pairs 5 --baseline-src /tmp/base/src

Each round runs, as separate child processes and in an order that alternates from round to
round, ``summary IN -o OUT`` (this tree), ``summary IN --no-source -o OUT`` (this tree) and, when
given, ``summary IN -o OUT`` with the baseline's ``src``: wall time and peak RSS of each (the
launcher of ``bench_summary.py``: ``os.wait4`` of a freshly spawned process). A shared machine
slows a round as a whole, so the figures are the medians of the per-round ratios (with their
minimum and maximum), not ratios of best times. One warm-up round is not counted.

Input: ``bench_summary.make_input`` (the seed's layout, ≈ 8 indicators per project).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_summary import SRC, make_input, run_child  # noqa: E402


def _run(src: Path, inp: Path, out: Path, *extra: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "perfsheet", "summary", str(inp), "-o", str(out), *extra]
    wall, peak, _ = run_child(cmd, env)
    return wall, peak


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--projects", type=int, default=20000)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--baseline-src", type=Path, default=None)
    ap.add_argument("--src", type=Path, default=SRC, help="the src folder to measure")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-source-copy-") as d:
        work = Path(d)
        inp = work / f"bench_{args.projects}.xlsx"
        make_input(inp, args.projects)
        runs = {
            "copy": lambda: _run(args.src, inp, work / "copy.xlsx"),
            "no_source": lambda: _run(args.src, inp, work / "fast.xlsx", "--no-source"),
        }
        if args.baseline_src is not None:
            runs["before"] = lambda: _run(args.baseline_src, inp, work / "before.xlsx")
        order = list(runs)
        rounds: list[dict[str, tuple[float, float]]] = []
        for i in range(args.pairs + 1):
            seq = order if i % 2 == 0 else order[::-1]
            got = {name: runs[name]() for name in seq}
            if i:
                rounds.append(got)
            print(
                f"round {i}{' (warm-up)' if not i else ''}: "
                + ", ".join(f"{k} {w:.2f} s {m:.0f} MiB" for k, (w, m) in got.items()),
                flush=True,
            )
    out: dict[str, object] = {"projects": args.projects, "pairs": args.pairs}
    for name in runs:
        out[f"{name}_s"] = _stats([r[name][0] for r in rounds])
        out[f"{name}_mib"] = _stats([r[name][1] for r in rounds])
    out["peak_copy_vs_no_source"] = _stats([r["copy"][1] / r["no_source"][1] for r in rounds])
    out["time_copy_vs_no_source"] = _stats([r["copy"][0] / r["no_source"][0] for r in rounds])
    if "before" in runs:
        out["time_copy_vs_before"] = _stats([r["copy"][0] / r["before"][0] for r in rounds])
        out["peak_copy_vs_before"] = _stats([r["copy"][1] / r["before"][1] for r in rounds])
    print(json.dumps(out, indent=1, ensure_ascii=False))
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
