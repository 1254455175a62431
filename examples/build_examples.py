"""Build the example workbooks from the committed seed table.

    python examples/build_examples.py            # writes into examples/
    python examples/build_examples.py -o OUTDIR

Source: ``examples/source/seed_guangzhou_xiezuoban.tsv`` — the 项目支出绩效目标表 published by
广州市协作办公室, as text converted from the PDF (tab-separated, one line per sheet row).

Outputs:

- ``广州市协作办公室_项目支出绩效目标表.xlsx`` — the table as users receive it: sheet row *n*
  holds seed line *n* (title block, blank lines, header, 合计, unit rows), amounts as text with
  thousands separators, the four page-break fragment rows (13, 29, 34, 40) exactly as in the
  seed, ``<p>`` tags kept.
- ``source/广州市协作办公室_项目支出绩效目标表_整理版.xlsx`` — the same table tidied: numeric
  amounts (format ``#,##0.00``), no blank lines, fragments joined into their projects (by the
  seed anatomy in the domain notes §6, not by perfsheet), no HTML tags.

The bytes are reproducible: fixed document properties and creation time (XlsxWriter then writes
fixed zip timestamps), so rebuilding gives identical files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
SEED = HERE / "source" / "seed_guangzhou_xiezuoban.tsv"
RAW_NAME = "广州市协作办公室_项目支出绩效目标表.xlsx"
CLEAN_NAME = "广州市协作办公室_项目支出绩效目标表_整理版.xlsx"
SHEET = "项目支出绩效目标表"
CREATED = dt.datetime(2025, 1, 1, 0, 0, 0)

#: Page-break fragments of the seed (sheet row -> (project row, "head" | "tail")).
FRAGMENTS = {13: (15, "head"), 29: (27, "tail"), 34: (32, "tail"), 40: (38, "tail")}
HEADER_LINE = 9
WIDTHS = [34, 13, 13, 13, 13, 50, 90]
_TAGS = re.compile(r"</?p>")


def read_seed(path: Path = SEED) -> list[list[str]]:
    """Seed lines as cells (line n -> index n - 1), 7 columns where the line has cells."""
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]


def _book(path: Path) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties(
        {
            "title": "项目支出绩效目标表（含转移支付项目）",
            "subject": "广州市协作办公室 部门预算 项目支出绩效目标表",
            "author": "perfsheet examples",
            "company": "",
            "comments": "Built by examples/build_examples.py from the published table.",
            "created": CREATED,
        }
    )
    return wb


def _formats(wb: xlsxwriter.Workbook) -> dict[str, object]:
    border = {"border": 1, "valign": "top", "font_size": 10}
    return {
        "title": wb.add_format({"bold": True, "font_size": 16, "align": "center"}),
        "meta": wb.add_format({"font_size": 11}),
        "header": wb.add_format(
            {
                **border,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#DDEBF7",
            }
        ),
        "text": wb.add_format({**border, "text_wrap": True}),
        "amount_text": wb.add_format({**border, "align": "right"}),
        "amount": wb.add_format({**border, "num_format": "#,##0.00"}),
    }


def _setup(ws: object, widths: list[int]) -> None:
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)  # type: ignore[attr-defined]


def build_raw(out: Path, lines: list[list[str]]) -> Path:
    """The workbook as received: row n = seed line n, amounts as text, fragments kept."""
    path = out / RAW_NAME
    wb = _book(path)
    fm = _formats(wb)
    ws = wb.add_worksheet(SHEET)
    _setup(ws, WIDTHS)
    for i, cells in enumerate(lines):
        r = i  # 0-based row index: sheet row i + 1 = seed line i + 1
        if len(cells) == 1:
            text = cells[0]
            if not text:
                continue
            if r == 2:
                ws.merge_range(r, 0, r, len(WIDTHS) - 1, text, fm["title"])
            else:
                ws.write_string(r, 0, text, fm["meta"])
            continue
        line_no = i + 1
        for c, text in enumerate(cells):
            if line_no == HEADER_LINE:
                ws.write_string(r, c, text, fm["header"])
            elif 1 <= c <= 4:
                if text:
                    ws.write_string(r, c, text, fm["amount_text"])
                else:
                    ws.write_blank(r, c, None, fm["amount_text"])
            elif text:
                ws.write_string(r, c, text, fm["text"])
            else:
                ws.write_blank(r, c, None, fm["text"])
    wb.close()
    return path


def _join(first: str, second: str) -> str:
    return first.rstrip() + second.lstrip()


def tidy_rows(lines: list[list[str]]) -> list[list[str]]:
    """The data rows (header .. last), fragments joined by hand, HTML tags removed."""
    rows = {i + 1: list(cells) for i, cells in enumerate(lines) if len(cells) > 1}
    for frag_row, (project_row, where) in FRAGMENTS.items():
        frag = rows.pop(frag_row)
        project = rows[project_row]
        for c in (5, 6):
            a, b = _TAGS.sub("", project[c]), _TAGS.sub("", frag[c])
            project[c] = _join(b, a) if where == "head" else _join(a, b)
    tidy = []
    for line_no in sorted(rows):
        cells = rows[line_no]
        tidy.append([_TAGS.sub("", c) for c in cells])
    return tidy


def build_clean(out: Path, lines: list[list[str]]) -> Path:
    """The tidied workbook: compact title block, numeric amounts, no fragments, no tags. It is
    the same table as the raw one, so it lives in ``source/``: ``perfsheet convert examples/``
    must not count the department twice."""
    (out / "source").mkdir(parents=True, exist_ok=True)
    path = out / "source" / CLEAN_NAME
    wb = _book(path)
    fm = _formats(wb)
    ws = wb.add_worksheet(SHEET)
    _setup(ws, WIDTHS)
    title = next(c[0] for c in lines if len(c) == 1 and c[0].startswith("项目支出"))
    department = next(c[0] for c in lines if len(c) == 1 and c[0].startswith("部门名称"))
    unit = next(c[0] for c in lines if len(c) == 1 and c[0].startswith("单位"))
    ws.merge_range(0, 0, 0, len(WIDTHS) - 1, title, fm["title"])
    ws.write_string(1, 0, department, fm["meta"])
    ws.write_string(1, len(WIDTHS) - 1, unit, fm["meta"])
    for i, cells in enumerate(tidy_rows(lines)):
        r = i + 3
        for c, text in enumerate(cells):
            if i == 0:
                ws.write_string(r, c, text, fm["header"])
            elif 1 <= c <= 4:
                if text:
                    ws.write_number(r, c, float(Decimal(text.replace(",", ""))), fm["amount"])
                else:
                    ws.write_blank(r, c, None, fm["amount"])
            elif text:
                ws.write_string(r, c, text, fm["text"])
            else:
                ws.write_blank(r, c, None, fm["text"])
    ws.freeze_panes(4, 1)
    wb.close()
    return path


def build(out: Path = HERE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    lines = read_seed()
    return [build_raw(out, lines), build_clean(out, lines)]


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the perfsheet example workbooks.")
    parser.add_argument("-o", "--outdir", type=Path, default=HERE)
    args = parser.parse_args()
    for path in build(args.outdir):
        print(path)


if __name__ == "__main__":
    main()
