"""Benchmark of ``perfsheet summary`` against the I/O floor, measured in the same run.

    python bench/bench_summary.py                 # 1,000 and 20,000 projects, 3 repeats
    python bench/bench_summary.py --quick         # 1,000 projects, 1 repeat
    python bench/bench_summary.py --sizes 5000 --repeats 2

What is measured (every figure comes from a separate child process: wall time, and peak RSS
from ``os.wait4``; times are the minimum over the repeats, peaks the maximum):

* **no-source**: ``perfsheet summary IN --no-source -o OUT`` end to end, against the **I/O
  floor**: a child that reads every sheet of IN with python-calamine (as the reader does) and
  writes exactly the cells of our output's standard sheets, unstyled, with XlsxWriter in
  ``constant_memory`` mode. The cells are streamed to the floor from a marshal file made from
  our output beforehand; the time spent loading them is measured inside the floor and
  subtracted. Goals (issue 4 §4): time ≤ 1.3×, peak memory ≤ 1.2×.
* **default** (source copy): ``perfsheet summary IN -o OUT`` against openpyxl load + save of IN
  (another child) + the no-source time. Goal: ≤ 1.3× that sum.
* **start-up**: ``perfsheet --help`` against ``python -c "import openpyxl"`` (median of 7).

Inputs are generated: ≈ 8 indicators per project in the seed's text style, 40 projects per
资金使用单位, amounts as text with thousands separators, consistent subtotals.
"""

from __future__ import annotations

import argparse
import json
import marshal
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

POOL = [
    ("1-产出指标", "11-数量指标", "培训人数", "≥{n}人"),
    ("1-产出指标", "11-数量指标", "服务场次", "≥{n}场"),
    ("1-产出指标", "11-数量指标", "采购设备数量", "{n}台"),
    ("1-产出指标", "12-质量指标", "资金支出合规性", "合规"),
    ("1-产出指标", "12-质量指标", "验收合格率", "≥{p}%"),
    ("1-产出指标", "13-时效指标", "资金拨付及时率", "100%"),
    ("1-产出指标", "13-时效指标", "项目完成时间", "12月31日前"),
    ("2-效益指标", "21-经济效益", "带动社会投资", "≥{n}万元"),
    ("2-效益指标", "22-社会效益", "受益群众人数", "≥{x}万人"),
    ("2-效益指标", "22-社会效益", "工作效率", "有所提升"),
    ("2-效益指标", "23-生态效益", "新增绿化面积", "≥{n}平方米"),
    ("3-满意度指标", "31-服务对象满意度", "服务对象满意度", "≥{p}%"),
    ("4-成本指标", "41-经济成本指标", "人均培训成本", "≤{n}元/人"),
]
GOAL = "通过开展{name}，保障相关工作顺利推进，进一步提升服务质量和群众满意度，完成年度工作任务。"


def _item(rng: random.Random, i: int) -> str:
    l1, l2, name, value = rng.choice(POOL)
    v = value.format(n=rng.randint(1, 5000), p=rng.randint(80, 100), x=rng.randint(1, 30) / 10)
    return f"{i}、{l1}；{l2}；{name}；实施周期指标值:{v}；年度指标值:{v}。"


def make_input(path: Path, projects: int, seed: int = 4) -> None:
    """A generated 项目支出绩效目标表 with ``projects`` projects (XlsxWriter, text amounts)."""
    import xlsxwriter

    rng = random.Random(seed)
    per_unit = 40
    units = []
    for u in range(0, projects, per_unit):
        rows = []
        for k in range(u, min(u + per_unit, projects)):
            fiscal = round(rng.uniform(1, 5000), 2)
            other = round(rng.uniform(0, 100), 2) if k % 7 == 0 else 0.0
            n = rng.choice((6, 7, 8, 8, 8, 9, 10))
            rows.append(
                (
                    f"第{k + 1}号项目专项经费",
                    fiscal,
                    other,
                    GOAL.format(name=f"第{k + 1}号项目"),
                    "".join(_item(rng, i) for i in range(1, n + 1)),
                )
            )
        units.append((f"第{len(units) + 1}资金使用单位", rows))

    def cents(x: float) -> int:
        return round(x * 100)

    def money(c: int) -> str:
        return "" if c == 0 else f"{c / 100:,.2f}"

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("项目支出绩效目标表")
    ws.write_string(0, 0, "项目支出绩效目标表（含转移支付项目）")
    ws.write_string(2, 0, "部门名称：基准测试局")
    ws.write_string(4, 0, "单位：万元")
    for c, h in enumerate(
        [
            "项目名称（资金使用单位）",
            "总计",
            "财政拨款",
            "财政专户拨款",
            "其他资金",
            "绩效目标",
            "绩效指标",
        ]
    ):
        ws.write_string(6, c, h)
    grand_f = sum(cents(f) for _, rows in units for _, f, _, _, _ in rows)
    grand_o = sum(cents(o) for _, rows in units for _, _, o, _, _ in rows)
    r = 7
    ws.write_row(r, 0, ["合计", money(grand_f + grand_o), money(grand_f), "", money(grand_o)])
    r += 1
    for name, rows in units:
        uf = sum(cents(f) for _, f, _, _, _ in rows)
        uo = sum(cents(o) for _, _, o, _, _ in rows)
        ws.write_row(r, 0, [name, money(uf + uo), money(uf), "", money(uo)])
        r += 1
        for pname, f, o, goal, inds in rows:
            fc, oc = cents(f), cents(o)
            ws.write_row(r, 0, [pname, money(fc + oc), money(fc), "", money(oc), goal, inds])
            r += 1
    wb.close()


# --------------------------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------------------------


LAUNCH = r"""
import json, os, sys, time
report, args = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
pid = os.posix_spawnp(args[0], args, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t
with open(report, "w") as fh:
    cpu = usage.ru_utime + usage.ru_stime  # with the processes it waited for (render process)
    json.dump([os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss, cpu], fh)
"""


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MiB, stdout) of one child process (:func:`run_child_cpu`)."""
    wall, peak, _cpu, out = run_child_cpu(args, env)
    return wall, peak, out


def run_child_cpu(
    args: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, float, str]:
    """(wall seconds, peak RSS in MiB, CPU seconds, stdout) of one child process. The CPU time
    includes the processes the child waited for (the render process of a large summary); the
    peak is the largest single process's, not their sum.

    The child is started by a tiny launcher process: ``ru_maxrss`` of a process counts the
    memory it had before ``exec``, so children forked straight from this (large) bench process
    would report the bench's own size.
    """
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        report = fh.name
    try:
        proc = subprocess.run(
            [sys.executable, "-c", LAUNCH, report, *args],
            capture_output=True,
            env=env,
            timeout=3600,
        )
        code, wall, maxrss, cpu = json.loads(Path(report).read_text())
    finally:
        os.unlink(report)
    out = proc.stdout.decode("utf-8", "replace")
    if code != 0 or proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        raise SystemExit(f"child failed ({code}): {' '.join(args)}\n{out}\n{err}")
    return wall, maxrss / 1024, cpu, out


# The steps of ``summary --no-source`` (the streaming path) in one process, with the peak RSS
# after each; then, for reference, analyze() of a fresh read alone (the parse + checks + audit
# work that the stream interleaves with writing).
PHASES = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from perfsheet.core.pipeline import analyze, analyze_tables
from perfsheet.core.models import WorkbookResult
from perfsheet.io.readers import read_workbook
from perfsheet.io.summary_writer import write_standard_stream
from perfsheet.io.template import load_template
from perfsheet.summary import audit_hooks, gc_paused, summary_plan
def rss():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
out = {"import_s": time.perf_counter() - t0, "import_mb": rss()}
gc_paused().__enter__()  # as perfsheet summary does
rules, scorer, doc = audit_hooks(None)
t = time.perf_counter(); grid = read_workbook(Path(sys.argv[1]))
out["read_s"] = time.perf_counter() - t; out["read_mb"] = rss()
t = time.perf_counter(); analyses = analyze_tables(grid, rules=rules)
out["structure_s"] = time.perf_counter() - t; out["structure_mb"] = rss()
del grid
spec = load_template(None)
shell = WorkbookResult(file="x", tables=[a.table for a in analyses])
plan = summary_plan(spec, shell, "x", with_source=False, scorer=scorer, quality_doc=doc)
del shell
# the render process's peak, sampled from /proc (its ru_maxrss would count this process's
# pages it had between fork and exec)
import os, threading
peak, stop, me = [0], threading.Event(), os.getpid()
def sample():
    while not stop.wait(0.02):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/status") as fh:
                    status = dict(l.split(":", 1) for l in fh if ":" in l)
                if int(status["PPid"]) == me:  # our child: the render process
                    peak[0] = max(peak[0], int(status["VmRSS"].split()[0]))
            except (OSError, KeyError, ValueError):
                pass
sampler = threading.Thread(target=sample, daemon=True); sampler.start()
t = time.perf_counter()
from perfsheet.io.xlsx_splice import render_process
with render_process(True):  # as perfsheet summary does
    write_standard_stream(Path(sys.argv[2]), plan, spec, "x", analyses, "x")
out["stream_s"] = time.perf_counter() - t; out["stream_mb"] = rss()
stop.set(); sampler.join()
out["render_process_mb"] = round(peak[0] / 1024, 1)
del analyses
grid = read_workbook(Path(sys.argv[1]))
t = time.perf_counter(); result = analyze(grid, rules=rules)
out["analyze_s"] = time.perf_counter() - t
print(json.dumps({k: round(v, 2) for k, v in out.items()}))
"""


def dump_cells(xlsx: Path, cells: Path) -> None:
    """Our output's standard sheets -> a marshal stream: (sheet name, [rows…]) records."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(xlsx))
    with cells.open("wb") as fh:
        for name in wb.sheet_names:
            rows = wb.get_sheet_by_name(name).to_python()
            for i in range(0, len(rows), 2000):
                marshal.dump((name, rows[i : i + 2000]), fh)


# ``perfsheet summary --no-source`` with every step in one process (no render process)
SINGLE = r"""
import sys
import perfsheet
perfsheet.summarize(sys.argv[1], sys.argv[2], with_source=False, render_process=False)
"""


# The I/O floor: read IN with calamine, write the reference cells without styles. argv[4]
# picks the writer: "xlsxwriter" (the floor, constant_memory) or "own" (our row
# writer, perfsheet.io.xlsx_stream, which renders the summary's data rows; reported beside it).
FLOOR = r"""
import marshal, sys, time
from pathlib import Path
from python_calamine import CalamineWorkbook
src, cells, out, writer = sys.argv[1:5]
wb = CalamineWorkbook.from_path(src)
grids = [wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names]
if writer == "own":
    from perfsheet.io.xlsx_stream import StreamWorkbook
    book = StreamWorkbook(tmpdir=Path(out).parent / "floor-spool")
    def add_sheet(name, first_row):
        sheet = book.add_sheet(name, first_row)
        return sheet, 1
    def write(sheet, r, row):
        sheet.write_values(row)
    def close():
        book.close(Path(out), compresslevel=6)
else:
    import xlsxwriter
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    def add_sheet(name, first_row):
        return book.add_worksheet(name), 0
    def write(sheet, r, row):
        sheet.write_row(r, 0, row)
    close = book.close
sheets, rows_done, loading = {}, {}, 0.0
with open(cells, "rb") as fh:
    while True:
        t = time.perf_counter()
        try:
            name, rows = marshal.load(fh)
        except EOFError:
            break
        loading += time.perf_counter() - t
        if name not in sheets:
            sheets[name], skip = add_sheet(name, rows[0])
            rows = rows[skip:]
            rows_done[name] = skip
        ws, r = sheets[name], rows_done[name]
        for row in rows:
            write(ws, r, row)
            r += 1
        rows_done[name] = r
close()
print(loading)
"""

OPENPYXL_LOAD_SAVE = r"""
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], rich_text=True)
wb.save(sys.argv[2])
"""


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def bench_size(projects: int, repeats: int, work: Path, do_default: bool) -> dict:
    src = work / f"bench_{projects}.xlsx"
    t0 = time.perf_counter()
    make_input(src, projects)
    gen = time.perf_counter() - t0
    out_fast, out_full = work / f"fast_{projects}.xlsx", work / f"full_{projects}.xlsx"
    cells = work / f"cells_{projects}.marshal"
    py = sys.executable
    summary = [py, "-m", "perfsheet", "summary", str(src)]

    # warm-up run (also produces the reference cells for the floor)
    run_child([*summary, "--no-source", "-o", str(out_fast)], env())
    dump_cells(out_fast, cells)

    fast_t, fast_m, floor_t, floor_m, own_t, own_m = [], [], [], [], [], []
    fast_cpu, own_cpu, single_t, single_m = [], [], [], []
    for _ in range(repeats):
        w, m, _ = run_child(
            [py, "-c", FLOOR, str(src), str(cells), str(work / "floor.xlsx"), "xlsxwriter"]
        )
        # the time spent loading the reference cells is not part of the floor
        loading = float(_.strip().splitlines()[-1]) if _.strip() else 0.0
        floor_t.append(w - loading)
        floor_m.append(m)
        w, m, cpu, _ = run_child_cpu(
            [py, "-c", FLOOR, str(src), str(cells), str(work / "floor_own.xlsx"), "own"], env()
        )
        loading = float(_.strip().splitlines()[-1]) if _.strip() else 0.0
        own_t.append(w - loading)
        own_cpu.append(cpu - loading)
        own_m.append(m)
        w, m, cpu, _ = run_child_cpu([*summary, "--no-source", "-o", str(out_fast)], env())
        fast_t.append(w)
        fast_cpu.append(cpu)
        fast_m.append(m)
        w, m, _ = run_child([py, "-c", SINGLE, str(src), str(work / "single.xlsx")], env())
        single_t.append(w)
        single_m.append(m)
    res = {
        "projects": projects,
        "input_mb": round(src.stat().st_size / 2**20, 1),
        "generate_s": round(gen, 1),
        "floor_s": round(min(floor_t), 2),
        "floor_peak_mb": round(max(floor_m), 1),
        "floor_own_writer_s": round(min(own_t), 2),
        "floor_own_writer_peak_mb": round(max(own_m), 1),
        "no_source_s": round(min(fast_t), 2),
        "no_source_peak_mb": round(max(fast_m), 1),
        "one_process_s": round(min(single_t), 2),
        "one_process_peak_mb": round(max(single_m), 1),
    }
    res["time_ratio"] = round(res["no_source_s"] / res["floor_s"], 3)
    res["time_ratio_own_writer_floor"] = round(res["no_source_s"] / res["floor_own_writer_s"], 3)
    # the same ratios round by round (each round runs its commands back to back): their
    # median, min and max are the figures to quote on a shared machine
    pairs = (
        ("floor", fast_t, floor_t),
        ("own_writer_floor", fast_t, own_t),
        # CPU seconds of both processes against the floor's (one process): the work done
        ("cpu_own_writer_floor", fast_cpu, own_cpu),
        # every step in one process, against the same floor
        ("one_process_own_writer_floor", single_t, own_t),
    )
    for key, ours, base in pairs:
        ratios = sorted(f / b for f, b in zip(ours, base, strict=True))
        res[f"paired_ratio_{key}"] = {
            "median": round(statistics.median(ratios), 3),
            "min": round(ratios[0], 3),
            "max": round(ratios[-1], 3),
        }
    _w, _m, out = run_child([py, "-c", PHASES, str(src), str(work / "phases.xlsx")], env())
    res["phases"] = json.loads(out.strip().splitlines()[-1])
    # what perfsheet summary adds to the floor besides the pipeline (analyze: parser, table
    # checks, quality audit)
    res["time_ratio_without_analyze"] = round(
        (res["no_source_s"] - res["phases"]["analyze_s"]) / res["floor_s"], 3
    )
    res["memory_ratio"] = round(res["no_source_peak_mb"] / res["floor_peak_mb"], 3)
    if do_default:
        ls_t, full_t, full_m = [], [], []
        for _ in range(repeats):
            w, _m, _ = run_child([py, "-c", OPENPYXL_LOAD_SAVE, str(src), str(work / "ls.xlsx")])
            ls_t.append(w)
            w, m, _ = run_child([*summary, "-o", str(out_full)], env())
            full_t.append(w)
            full_m.append(m)
        res["openpyxl_load_save_s"] = round(min(ls_t), 2)
        res["default_s"] = round(min(full_t), 2)
        res["default_peak_mb"] = round(max(full_m), 1)
        budget = res["openpyxl_load_save_s"] + res["no_source_s"]
        res["default_budget_s"] = round(budget, 2)
        res["default_ratio"] = round(res["default_s"] / budget, 3)
    return res


def bench_startup(n: int = 7) -> dict:
    py = sys.executable
    helps, imports = [], []
    for _ in range(n):
        helps.append(run_child([py, "-m", "perfsheet", "--help"], env())[0])
        imports.append(run_child([py, "-c", "import openpyxl"])[0])
    h, i = statistics.median(helps), statistics.median(imports)
    return {"help_s": round(h, 3), "import_openpyxl_s": round(i, 3), "ratio": round(h / i, 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 20000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1,000 projects, one repeat")
    ap.add_argument("--no-default", action="store_true", help="skip the source-copy path")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    sizes, repeats = ([1000], 1) if args.quick else (args.sizes, args.repeats)
    results: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "sizes": []}
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as tmp:
        for n in sizes:
            r = bench_size(n, repeats, Path(tmp), not args.no_default)
            results["sizes"].append(r)
            print(
                f"{n:>6} projects ({r['input_mb']} MB): no-source {r['no_source_s']} s vs floor "
                f"{r['floor_s']} s = {r['time_ratio']}× (goal ≤ 1.3); peak "
                f"{r['no_source_peak_mb']} MB vs {r['floor_peak_mb']} MB = {r['memory_ratio']}× "
                "(goal ≤ 1.2)",
                flush=True,
            )
            print(
                f"{'':>6} floor with our row writer instead of XlsxWriter: "
                f"{r['floor_own_writer_s']} s, peak {r['floor_own_writer_peak_mb']} MB; "
                f"no-source = {r['time_ratio_own_writer_floor']}× that",
                flush=True,
            )
            for key, label in (
                ("own_writer_floor", "no-source (render process) / floor with our row writer"),
                ("cpu_own_writer_floor", "CPU seconds of both processes / the floor's"),
                ("one_process_own_writer_floor", "no-source in one process / the same floor"),
            ):
                q = r[f"paired_ratio_{key}"]
                print(
                    f"{'':>6} {label}: median of {repeats} paired rounds {q['median']}× "
                    f"({q['min']}–{q['max']})",
                    flush=True,
                )
            print(
                f"{'':>6} one process: {r['one_process_s']} s, peak {r['one_process_peak_mb']} "
                f"MB; the render process's own peak {r['phases']['render_process_mb']} MB",
                flush=True,
            )
            ph = r["phases"]
            print(
                f"{'':>6} phases: import {ph['import_s']} s, read {ph['read_s']} s, table "
                f"structure {ph['structure_s']} s, parse+audit+write stream {ph['stream_s']} s; "
                f"peak after read {ph['read_mb']} MB, after the structure {ph['structure_mb']} "
                f"MB, end {ph['stream_mb']} MB; analyze() alone {ph['analyze_s']} s; "
                f"no-source minus analyze vs floor = {r['time_ratio_without_analyze']}×",
                flush=True,
            )
            if "default_s" in r:
                print(
                    f"{'':>6} default {r['default_s']} s vs openpyxl load+save "
                    f"{r['openpyxl_load_save_s']} s + no-source = {r['default_budget_s']} s: "
                    f"{r['default_ratio']}× (goal ≤ 1.3); peak {r['default_peak_mb']} MB",
                    flush=True,
                )
    s = bench_startup()
    results["startup"] = s
    print(
        f"start-up: perfsheet --help {s['help_s']} s vs python -c 'import openpyxl' "
        f"{s['import_openpyxl_s']} s = {s['ratio']}×"
    )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
