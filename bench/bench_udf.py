"""Per-cell latency of =PERF_PARSE on the seed's 23 绩效指标 cells (µs), printed.

Also measures the core call alone (parse_indicators) in the same run, so the layer's own
cost shows as a difference. Goal (issue 5): one cell well under a millisecond.

    python bench/bench_udf.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from perfsheet.core.indicators import parse_indicators  # noqa: E402
from perfsheet.excel.functions import perf_count, perf_parse  # noqa: E402

CELLS = ROOT / "tests" / "data" / "seed_cells.json"


def per_call_us(function, cells: list[str], rounds: int) -> list[float]:
    """Median over rounds of the time of one call, for each cell (µs)."""
    results = []
    for text in cells:
        samples = []
        for _ in range(rounds):
            start = time.perf_counter_ns()
            function(text)
            samples.append((time.perf_counter_ns() - start) / 1000)
        results.append(statistics.median(samples))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    cells = [record["indicators"] for record in json.loads(CELLS.read_text(encoding="utf-8"))]
    for text in cells:  # warm-up: imports, regex compilation
        perf_parse(text)
    core = per_call_us(parse_indicators, cells, args.rounds)
    udf = per_call_us(perf_parse, cells, args.rounds)
    count = per_call_us(perf_count, cells, args.rounds)
    indicators = sum(len(parse_indicators(t)) for t in cells)
    print(f"seed cells: {len(cells)}, indicators: {indicators}, rounds per cell: {args.rounds}")
    print(f"{'':22}{'median':>10}{'mean':>10}{'max':>10}   (µs per cell)")
    for label, values in (
        ("parse_indicators", core),
        ("PERF_PARSE", udf),
        ("PERF_COUNT", count),
    ):
        print(
            f"{label:22}{statistics.median(values):10.1f}{statistics.mean(values):10.1f}"
            f"{max(values):10.1f}"
        )
    overhead = statistics.mean(u - c for u, c in zip(udf, core, strict=True))
    print(f"PERF_PARSE layer overhead over the core: {overhead:.1f} µs per cell (mean)")
    print(f"slowest PERF_PARSE cell: {max(udf) / 1000:.3f} ms (goal: well under 1 ms)")


if __name__ == "__main__":
    main()
