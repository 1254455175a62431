"""Benchmark of PDF input (issue 16 §3): ``parse`` of a 50-page table PDF against pdfplumber's
own ``extract_tables`` over the same pages, measured in the same run.

    python bench/bench_pdf.py                       # makes the PDF with Writer, 5 pairs
    python bench/bench_pdf.py --pages 50 --pairs 7
    python bench/bench_pdf.py --pdf some.pdf        # an existing PDF

The PDF is made like the test PDFs (``tests/pdf_fixtures/make_pdfs.py``): a generated packed
table (the projects of ``bench_summary.py``: 6–10 indicators each, units of 40 projects, a 合计)
as HTML with borders, converted by LibreOffice Writer, A4 landscape, the header repeated on every
page, a running title and page numbers; Writer cuts long rows at the page breaks. The number of
projects is adjusted until the PDF has ``--pages`` pages.

Two measurements, in pairs (A B A B …); reported: the **median of the per-pair ratios**, with
the minimum and maximum (the machine is shared: a ratio taken within a pair survives drift):

* **in process** — A: ``read_workbook(pdf)`` + ``analyze`` (what ``perfsheet parse`` does: the
  PDF read into the grid, tables, fragments, indicators, checks, the audit); B:
  ``pdfplumber.open(pdf)`` and ``page.extract_tables()`` for every page. Goal: A/B ≤ 1.3.
* **command** — A: ``python -m perfsheet parse PDF --json`` in a child process; B: a child
  process running the same ``extract_tables`` loop (both pay their interpreter start and
  imports).
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests" / "pdf_fixtures"))

import make_pdfs  # noqa: E402

from bench_summary import GOAL, POOL  # noqa: E402

HEADER = make_pdfs.STD_HEADER


def _rows(projects: int, seed: int = 4) -> list[list[object]]:
    rng = random.Random(seed)
    body: list[list[object]] = []
    grand = 0
    for u in range(0, projects, 40):
        unit_rows: list[list[object]] = []
        unit_total = 0
        for k in range(u, min(u + 40, projects)):
            cents = rng.randint(100, 500_000)
            unit_total += cents
            items = []
            for i in range(1, rng.choice((6, 7, 8, 8, 8, 9, 10)) + 1):
                l1, l2, name, value = rng.choice(POOL)
                v = value.format(
                    n=rng.randint(1, 5000), p=rng.randint(80, 100), x=rng.randint(1, 30) / 10
                )
                items.append(f"{i}、{l1}；{l2}；{name}；实施周期指标值:{v}；年度指标值:{v}。")
            money = f"{cents / 100:,.2f}"
            name = f"第{k + 1}号项目专项经费"
            unit_rows.append(
                [name, money, money, None, None, GOAL.format(name=name), "".join(items)]
            )
        grand += unit_total
        t = f"{unit_total / 100:,.2f}"
        body.append([f"第{len(body) // 41 + 1}资金使用单位", t, t, None, None, None, None])
        body.extend(unit_rows)
    g = f"{grand / 100:,.2f}"
    return [
        ["项目支出绩效目标表（含转移支付项目）"],
        ["部门名称：基准测试局"],
        ["单位：万元"],
        list(HEADER),
        ["合计", g, g, None, None, None, None],
        *body,
    ]


def _pages(pdf: Path) -> int:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return len(doc.pages)


def make_pdf(workdir: Path, pages: int) -> tuple[Path, int]:
    """A table PDF of ``pages`` pages (± 1); returns it and its number of projects."""
    widths = (80, 40, 40, 40, 40, 140, 320)
    projects = pages * 4
    for _ in range(6):
        doc = make_pdfs.document(
            make_pdfs.grid_blocks(_rows(projects), widths), running_title="基准测试局2025年部门预算"
        )
        make_pdfs.to_pdf({"bench": doc}, workdir)
        pdf = workdir / "bench.pdf"
        got = _pages(pdf)
        if abs(got - pages) <= 1:
            return pdf, projects
        projects = max(1, round(projects * pages / got))
    return pdf, projects


def _ours(pdf: Path) -> float:
    from perfsheet.core.pipeline import analyze
    from perfsheet.io.readers import read_workbook

    t = time.perf_counter()
    analyze(read_workbook(pdf))
    return time.perf_counter() - t


def _plumber(pdf: Path) -> float:
    import pdfplumber

    t = time.perf_counter()
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            page.extract_tables()
            page.close()
    return time.perf_counter() - t


PLUMBER_SCRIPT = (
    "import sys, pdfplumber\n"
    "with pdfplumber.open(sys.argv[1]) as doc:\n"
    "    for page in doc.pages:\n"
    "        page.extract_tables(); page.close()\n"
)


def _child(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    t = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env)
    return time.perf_counter() - t


def paired(a: Callable[[], float], b: Callable[[], float], pairs: int) -> dict[str, float]:
    ratios, ta, tb = [], [], []
    for _ in range(pairs):
        x, y = a(), b()
        ta.append(x)
        tb.append(y)
        ratios.append(x / y)
    return {
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
        "perfsheet_median_s": round(statistics.median(ta), 3),
        "pdfplumber_median_s": round(statistics.median(tb), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--pdf", type=Path, help="an existing PDF instead of a generated one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perfsheet-bench-pdf-") as tmp:
        if args.pdf:
            pdf, projects = args.pdf, None
        else:
            pdf, projects = make_pdf(Path(tmp), args.pages)
        _ours(pdf), _plumber(pdf)  # warm up (imports, font caches)
        in_process = paired(lambda: _ours(pdf), lambda: _plumber(pdf), args.pairs)
        command = paired(
            lambda: _child(["-m", "perfsheet", "parse", str(pdf), "--json"]),
            lambda: _child(["-c", PLUMBER_SCRIPT, str(pdf)]),
            args.pairs,
        )
        from perfsheet.core.pipeline import analyze
        from perfsheet.io.readers import read_workbook

        result = analyze(read_workbook(pdf))
        report = {
            "pages": _pages(pdf),
            "projects": projects,
            "indicators": sum(
                len(p.indicators) for t in result.tables for u in t.units for p in u.projects
            ),
            "fragments": sum(
                f.rule == "fragment-merged" for t in result.tables for f in t.findings
            ),
            "pairs": args.pairs,
            "in_process": in_process,
            "command": command,
        }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
