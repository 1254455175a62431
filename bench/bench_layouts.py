"""Benchmark of the layouts (issue 12 §6): a row list against the same content as a packed list,
and the packed list against an older perfsheet (layout detection must not slow the common case).

    python bench/bench_layouts.py                          # 2,000 projects, 5 pairs
    python bench/bench_layouts.py --projects 2000 --pairs 7
    python bench/bench_layouts.py --baseline-src /tmp/old/src --projects 20000 --pairs 5

Both measurements time ``perfsheet summary IN --no-source -o OUT`` end to end in a child
process, in pairs (A B A B …), and report the **median of the per-pair ratios** with the
minimum and maximum (the machine is shared: a ratio taken within a pair survives its drift).

* **rows / packed**: the same generated projects (≈ 8 indicators each, 40 projects per unit,
  text amounts) written twice: as a packed list (one row per project, the indicators in one
  绩效指标 cell, the seed's text style) and as a row list (one indicator per row, project cells
  merged vertically over the project's rows, ``一级指标 | 二级指标 | 三级指标 | 实施周期指标值 |
  年度指标值``). Goal: ≤ 1.3×.
* **packed, this tree / baseline** (with ``--baseline-src``, a ``src`` directory of another
  checkout, e.g. ``git worktree add /tmp/old <commit>``): the packed input summarized by both.
  Goal: ≤ 1.05×.
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

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_summary import GOAL, POOL, make_input  # noqa: E402

Item = tuple[str, str, str, str]
Project = tuple[str, float, float, str, list[Item]]


def _projects(n: int, seed: int = 4) -> list[tuple[str, list[Project]]]:
    rng = random.Random(seed)
    units: list[tuple[str, list[Project]]] = []
    for u in range(0, n, 40):
        rows: list[Project] = []
        for k in range(u, min(u + 40, n)):
            fiscal = round(rng.uniform(1, 5000), 2)
            other = round(rng.uniform(0, 100), 2) if k % 7 == 0 else 0.0
            items = []
            for _ in range(rng.choice((6, 7, 8, 8, 8, 9, 10))):
                l1, l2, name, value = rng.choice(POOL)
                v = value.format(
                    n=rng.randint(1, 5000), p=rng.randint(80, 100), x=rng.randint(1, 30) / 10
                )
                items.append((l1, l2, name, v))
            goal = GOAL.format(name=f"第{k + 1}号项目")
            rows.append((f"第{k + 1}号项目专项经费", fiscal, other, goal, items))
        units.append((f"第{len(units) + 1}资金使用单位", rows))
    return units


def _money(c: int) -> str:
    return "" if c == 0 else f"{c / 100:,.2f}"


def write_packed(path: Path, units: list[tuple[str, list[Project]]]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("项目支出绩效目标表")
    ws.write_string(0, 0, "项目支出绩效目标表（含转移支付项目）")
    ws.write_string(2, 0, "部门名称：基准测试局")
    ws.write_string(4, 0, "单位：万元")
    ws.write_row(6, 0, ["项目名称（资金使用单位）", "总计", "财政拨款", "财政专户拨款", "其他资金",
                        "绩效目标", "绩效指标"])  # fmt: skip
    r = 7
    for name, rows in units:
        uf = sum(round(f * 100) for _, f, _, _, _ in rows)
        uo = sum(round(o * 100) for _, _, o, _, _ in rows)
        ws.write_row(r, 0, [name, _money(uf + uo), _money(uf), "", _money(uo)])
        r += 1
        for pname, f, o, goal, items in rows:
            fc, oc = round(f * 100), round(o * 100)
            text = "".join(
                f"{i}、{l1}；{l2}；{n}；实施周期指标值:{v}；年度指标值:{v}。"
                for i, (l1, l2, n, v) in enumerate(items, start=1)
            )
            ws.write_row(r, 0, [pname, _money(fc + oc), _money(fc), "", _money(oc), goal, text])
            r += 1
    wb.close()


def write_rows(path: Path, units: list[tuple[str, list[Project]]]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("项目支出绩效目标表")
    ws.write_string(0, 0, "项目支出绩效目标表（含转移支付项目）")
    ws.write_string(2, 0, "部门名称：基准测试局")
    ws.write_string(4, 0, "单位：万元")
    ws.write_row(6, 0, ["单位名称", "项目名称", "总计", "财政拨款", "财政专户拨款", "其他资金",
                        "绩效目标", "一级指标", "二级指标", "三级指标", "实施周期指标值",
                        "年度指标值"])  # fmt: skip
    r = 7
    for uname, rows in units:
        first = r
        for pname, f, o, goal, items in rows:
            fc, oc = round(f * 100), round(o * 100)
            top = r
            for l1, l2, n, v in items:
                ws.write_row(r, 7, [l1.split("-")[-1], l2.split("-")[-1], n, v, v])
                r += 1
            cells = [pname, _money(fc + oc), _money(fc), "", _money(oc), goal]
            for c, value in enumerate(cells, start=1):
                if r - 1 > top:
                    ws.merge_range(top, c, r - 1, c, value)
                else:
                    ws.write(top, c, value)
        if r - 1 > first:
            ws.merge_range(first, 0, r - 1, 0, uname)
        else:
            ws.write(first, 0, uname)
    wb.close()


def _time(src: Path, inp: Path, out: Path) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, "-m", "perfsheet", "summary", str(inp), "--no-source", "-o", str(out)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"summary failed ({proc.returncode}): {proc.stderr}")
    return wall


def paired(a: tuple[Path, Path], b: tuple[Path, Path], work: Path, pairs: int) -> dict:
    """Median, min, max of A/B over ``pairs`` pairs (one warm-up pair not counted)."""
    ratios, ta, tb = [], [], []
    for i in range(pairs + 1):
        x = _time(a[0], a[1], work / "a.xlsx")
        y = _time(b[0], b[1], work / "b.xlsx")
        if i:
            ratios.append(x / y)
            ta.append(x)
            tb.append(y)
    return {
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
        "a_median_s": round(statistics.median(ta), 2),
        "b_median_s": round(statistics.median(tb), 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--projects", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--baseline-src", type=Path, default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-layouts-") as tmp:
        work = Path(tmp)
        units = _projects(args.projects)
        packed, rows = work / "packed.xlsx", work / "rows.xlsx"
        write_packed(packed, units)
        n_ind = sum(len(p[4]) for _, ps in units for p in ps)
        out: dict = {"projects": args.projects, "indicators": n_ind}
        if args.baseline_src is None:
            write_rows(rows, units)
            out["rows_vs_packed"] = paired((SRC, rows), (SRC, packed), work, args.pairs)
        else:
            out["packed_vs_baseline"] = paired(
                (SRC, packed), (args.baseline_src, packed), work, args.pairs
            )
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["make_input", "write_packed", "write_rows"]
