"""Benchmark of ``perfsheet convert``: parallel speedup and the parent's memory.

    python bench/bench_batch.py                 # 200 files for the speedup, 200 vs 1,000 for memory
    python bench/bench_batch.py --quick         # a small run that checks the bench itself works

1. Speedup: the same folder of generated workbooks (varied sizes, real seed texts) converted with
   ``-j 1`` and with ``-j 2`` in the same run, each in a fresh ``perfsheet convert --force``
   process, in ``--repeat`` back-to-back pairs; the median of the pairs' ratios is reported
   (goal ≥ 1.7× on 2 cores).
2. Memory: peak RSS of the *parent* process (``ru_maxrss`` of the process that runs the batch;
   the pool workers are separate processes and not counted) for 200 and for 1,000 files
   (goal: flat — the parent keeps counts and paths, and streams the consolidated workbook from
   the per-file row caches).

The machine's load average is printed with the figures: ratios measured while other programs use
the CPUs are not meaningful. Results are also written to ``bench/results/batch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(ROOT / "tests"))

from batch_workbooks import write_department  # noqa: E402


def generate(folder: Path, n: int, seed: int = 2026) -> dict[str, int]:
    """``n`` department workbooks in ``folder`` (some in subfolders), sizes drawn at random:
    most small (3–15 projects), some medium (20–60), a few large (100–200)."""
    rng = random.Random(seed)
    projects = 0
    for i in range(n):
        roll = rng.random()
        if roll < 0.70:
            size = rng.randint(3, 15)
        elif roll < 0.95:
            size = rng.randint(20, 60)
        else:
            size = rng.randint(100, 200)
        units = rng.choice([1, 1, 2, 3])
        sub = folder / f"区{i % 7}" if i % 3 else folder
        path = sub / f"部门{i:05d}.xlsx"
        projects += write_department(
            path, f"测试部门{i:05d}", size, units=min(units, size), seed=seed + i
        )
    return {"files": n, "projects": projects}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop(WORKER_FAULTS, None)
    return env


WORKER_FAULTS = "PERFSHEET_TESTING_BATCH_FAULTS"


def run_cli(src: Path, out: Path, jobs: int) -> tuple[float, float]:
    """Wall time and CPU time (parent + its workers) of one ``perfsheet convert --force``."""
    import resource

    cmd = [sys.executable, "-m", "perfsheet", "convert", str(src), "-o", str(out)]
    cmd += ["-r", "-j", str(jobs), "--force"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        tail = f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        raise SystemExit(f"convert -j {jobs} exited {proc.returncode}:\n{tail}")
    return elapsed, cpu


def child_run(src: Path, out: Path, jobs: int) -> None:
    """Run the batch in this process and print its peak RSS (the parent of the pool)."""
    import resource

    from perfsheet.batch.command import ConvertOptions, convert_with

    report = convert_with(
        ConvertOptions(paths=[src], outdir=out, jobs=jobs, recursive=True, force=True)
    )
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    summary = report.summary.model_dump()
    print(
        json.dumps(
            {"exit": summary["exit_code"], "peak_rss_mib": rss_kb / 1024, "summary": summary}
        )
    )


def parent_memory(src: Path, out: Path, jobs: int) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child-run", str(src), str(out), str(jobs)]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--files", type=int, default=200, help="files for the speedup and the small memory run"
    )
    ap.add_argument("--big", type=int, default=1000, help="files for the large memory run")
    ap.add_argument("--repeat", type=int, default=5, help="pairs of -j 1 / -j 2 runs")
    ap.add_argument(
        "--quick", action="store_true", help="20 / 50 files, one repeat: checks the bench"
    )
    ap.add_argument("--child-run", nargs=3, metavar=("SRC", "OUT", "JOBS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_run:
        child_run(Path(args.child_run[0]), Path(args.child_run[1]), int(args.child_run[2]))
        return
    if args.quick:
        args.files, args.big, args.repeat = 20, 50, 1

    load_before = os.getloadavg()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="perfsheet-bench-") as tmp:
        base = Path(tmp)
        small, big = base / "small", base / "big"
        t0 = time.perf_counter()
        gen_small = generate(small, args.files)
        gen_big = generate(big, args.big, seed=7)
        gen_s = time.perf_counter() - t0
        print(
            f"generated {args.files} + {args.big} workbooks in {gen_s:.1f} s "
            f"({gen_small['projects']} / {gen_big['projects']} projects)"
        )

        j1: list[float] = []
        j2: list[float] = []
        cpu1: list[float] = []
        cpu2: list[float] = []
        for _ in range(args.repeat):
            for jobs, walls, cpus_used in ((1, j1, cpu1), (2, j2, cpu2)):
                wall, cpu = run_cli(small, base / f"out-j{jobs}", jobs)
                walls.append(wall)
                cpus_used.append(cpu)
        # each repeat is a pair (-j 1 then -j 2, back to back): the median of the pairs'
        # ratios, not the best of each side, which a quiet moment for one side would flatter
        ratios = sorted(a / b for a, b in zip(j1, j2, strict=True))
        speedup = statistics.median(ratios)
        print(
            f"-j 1: median {statistics.median(j1):.2f} s   "
            f"-j 2: median {statistics.median(j2):.2f} s"
            f"   speedup {speedup:.2f}x (median of {len(ratios)} pairs, "
            f"min {ratios[0]:.2f}, max {ratios[-1]:.2f}; "
            f"all runs: j1 {[round(x, 2) for x in j1]}, j2 {[round(x, 2) for x in j2]})"
        )
        # CPU seconds of the batch (parent + workers): the same work in both modes. When the
        # -j 2 wall time is far above CPU / 2, something else was using the CPUs.
        print(
            f"CPU time: -j 1 {[round(x, 2) for x in cpu1]} s, -j 2 {[round(x, 2) for x in cpu2]} s"
        )

        mem_small = parent_memory(small, base / "mem-small", 2)
        mem_big = parent_memory(big, base / "mem-big", 2)
        ratio = mem_big["peak_rss_mib"] / mem_small["peak_rss_mib"]  # type: ignore[operator]
        print(
            f"parent peak RSS: {args.files} files {mem_small['peak_rss_mib']:.1f} MiB, "
            f"{args.big} files {mem_big['peak_rss_mib']:.1f} MiB  (ratio {ratio:.2f})"
        )
        for label, m in (("small", mem_small), ("big", mem_big)):
            s = m["summary"]  # type: ignore[index]
            assert m["exit"] == 0 and s["failed"] == 0, (label, m)  # type: ignore[index]

    load_after = os.getloadavg()
    print(
        f"cpus {cpus}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        "(figures are meaningful only on an otherwise idle machine)"
    )
    results = {
        "files": args.files,
        "big": args.big,
        "cpus": cpus,
        "j1_seconds": j1,
        "j2_seconds": j2,
        "j1_cpu_seconds": cpu1,
        "j2_cpu_seconds": cpu2,
        "speedup": speedup,
        "parent_peak_rss_mib": {
            str(args.files): mem_small["peak_rss_mib"],
            str(args.big): mem_big["peak_rss_mib"],
        },
        "memory_ratio": ratio,
        "load_before": load_before,
        "load_after": load_after,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "batch.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
