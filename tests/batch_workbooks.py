"""Department workbooks for the batch tests and the batch benchmark.

Real project texts (names, 绩效目标, 绩效指标) from the committed seed table
``examples/source/seed_guangzhou_xiezuoban.tsv``, arranged in tables of any size: title block,
header, 合计 row, one or more 资金使用单位 rows with their projects, amounts that add up. Written
with XlsxWriter (text stays text), so a folder of hundreds of varied workbooks is quick to make.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from workbooks import STD_HEADER

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "source" / "seed_guangzhou_xiezuoban.tsv"
HEADER = STD_HEADER  # the seed's header row
# Seed rows touched by page-break fragments: their texts are incomplete on their own.
_FRAGMENT_ROWS = {15, 27, 32, 38}


@dataclass(frozen=True, slots=True)
class SeedProject:
    name: str
    goal: str
    indicators: str


def seed_projects() -> list[SeedProject]:
    out: list[SeedProject] = []
    lines = SEED.read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(lines, start=1):
        cells = line.split("\t")
        if len(cells) != 7 or n in _FRAGMENT_ROWS:
            continue
        name, goal, indicators = cells[0].strip(), cells[5].strip(), cells[6].strip()
        if name and indicators and name != "合计":
            out.append(SeedProject(name, goal, indicators.replace("<p>", "").replace("</p>", "")))
    return out


def write_department(
    path: Path,
    dept: str,
    n_projects: int,
    *,
    units: int = 1,
    seed: int = 0,
    amount_unit: str = "万元",
) -> int:
    """Write one department's table; returns the number of projects written."""
    rng = random.Random(seed)
    pool = seed_projects()
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    ws = wb.add_worksheet("项目支出绩效目标表")
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.write_string(0, 0, "项目支出绩效目标表（含转移支付项目）")
    ws.write_string(1, 0, f"部门名称：{dept}")
    ws.write_string(2, 0, f"单位：{amount_unit}")
    for c, h in enumerate(HEADER):
        ws.write_string(3, c, h)

    per_unit = [n_projects // units + (1 if i < n_projects % units else 0) for i in range(units)]
    rows: list[tuple[str, list[Decimal], str, str]] = []
    grand = [Decimal(0)] * 4
    for u, count in enumerate(per_unit):
        unit_rows: list[tuple[str, list[Decimal], str, str]] = []
        unit_sum = [Decimal(0)] * 4
        for k in range(count):
            p = pool[rng.randrange(len(pool))]
            fiscal = Decimal(rng.randrange(100, 5_000_000)) / 100
            other = Decimal(rng.choice([0, 0, rng.randrange(100, 50_000)])) / 100
            amounts = [fiscal + other, fiscal, Decimal(0), other]
            unit_sum = [a + b for a, b in zip(unit_sum, amounts, strict=True)]
            unit_rows.append((f"{p.name}（{k + 1}）", amounts, p.goal, p.indicators))
        grand = [a + b for a, b in zip(grand, unit_sum, strict=True)]
        if units > 1:
            rows.append((f"{dept}第{u + 1}单位", unit_sum, "", ""))
        else:
            rows.append((dept, unit_sum, "", ""))
        rows.extend(unit_rows)

    def put(r: int, name: str, amounts: list[Decimal], goal: str, indicators: str) -> None:
        ws.write_string(r, 0, name)
        for c, a in enumerate(amounts, start=1):
            if a:
                ws.write_number(r, c, float(a), money)
        if goal:
            ws.write_string(r, 5, goal)
        if indicators:
            ws.write_string(r, 6, indicators)

    put(4, "合计", grand, "", "")
    for i, (name, amounts, goal, indicators) in enumerate(rows):
        put(5 + i, name, amounts, goal, indicators)
    wb.close()
    return n_projects


def write_empty_workbook(path: Path) -> None:
    """A valid workbook without any 绩效目标表 (a cover sheet and notes)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("封面")
    ws.write_string(0, 0, "2026年部门预算公开材料")
    ws.write_string(2, 0, "本工作簿不含项目支出绩效目标表。")
    wb.add_worksheet("说明").write_string(0, 0, "备注")
    wb.close()
