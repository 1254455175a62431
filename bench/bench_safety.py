"""Cost of the hostile-input pre-check (perfsheet.io.safety) next to calamine's own read.

For generated .xlsx workbooks of growing size (a table-shaped sheet: shared strings, numbers,
empty styled cells), measured in the same run, best of ``--repeats``:

- ``inspect``: :func:`perfsheet.io.safety.inspect_workbook` (zip checks, decompression, XML
  scans, used-range bounds);
- ``calamine``: ``CalamineWorkbook`` + ``to_python`` of every sheet (what the reader did before);
- ``read_workbook``: the whole reader (pre-check + calamine + conversion + length checks).

And the same table with error values / formulas without cached values (the tag-by-tag pass).

    PYTHONPATH=src python bench/bench_safety.py [--rows 2000 20000 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import python_calamine as pc

from perfsheet.io.readers import read_workbook
from perfsheet.io.safety import inspect_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from hostile.builders import package, sheet_xml  # noqa: E402

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def build(path: Path, rows: int, odd: bool) -> Path:
    strings = [f"项目{i}的绩效目标：保障工作顺利开展，完成年度任务" for i in range(rows)]
    body = []
    for i in range(1, rows + 1):
        b = (
            f'<c r="B{i}" t="e"><v>#REF!</v></c>'
            if odd and i % 50 == 0
            else f'<c r="B{i}"><f>C{i}+E{i}</f></c>'
            if odd and i % 50 == 1
            else f'<c r="B{i}" s="1"><v>{i * 1.5}</v></c>'
        )
        body.append(
            f'<row r="{i}"><c r="A{i}" t="s"><v>{i - 1}</v></c>{b}<c r="C{i}"><v>{i}</v></c>'
            f'<c r="D{i}" s="2"/><c r="E{i}"><v>0</v></c><c r="F{i}" t="s"><v>{i - 1}</v></c>'
            f'<c r="G{i}" t="s"><v>{i - 1}</v></c></row>'
        )
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    sst = f'<sst xmlns="{MAIN}" count="{rows}" uniqueCount="{rows}">{items}</sst>'
    return package(path, {"表1": sheet_xml("".join(body))}, shared=sst)


def calamine_read(path: Path) -> None:
    with path.open("rb") as fh:
        book = pc.CalamineWorkbook.from_filelike(fh)
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        book.close()


def best(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="*", default=[2_000, 20_000, 200_000])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print("| rows × 7 cols | file | inspect | calamine | read_workbook | inspect / calamine |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for rows in args.rows:
            for odd in (False, True):
                path = build(Path(d) / f"b{rows}{odd}.xlsx", rows, odd)
                size = path.stat().st_size
                with zipfile.ZipFile(path) as z:
                    assert z.testzip() is None
                t_inspect = best(lambda p=path: inspect_workbook(p, str(p), "zip"), args.repeats)
                t_cal = best(lambda p=path: calamine_read(p), args.repeats)
                t_read = best(lambda p=path: read_workbook(p), args.repeats)
                label = f"{rows:,}" + (" (errors + uncached formulas)" if odd else "")
                print(
                    f"| {label} | {size / 1e6:.1f} MB | {t_inspect * 1e3:,.0f} ms | "
                    f"{t_cal * 1e3:,.0f} ms | {t_read * 1e3:,.0f} ms | {t_inspect / t_cal:.2f}× |"
                )


if __name__ == "__main__":
    main()
