"""Build the standard summary template ``templates/标准汇总模板.xlsx`` (reproducibly).

    python templates/build_template.py            # writes the template and the packaged spec
    python templates/build_template.py --check    # fails when the committed files are stale

The workbook is written with XlsxWriter, which stores every zip member with a fixed timestamp;
the document properties get a fixed creation date, so two runs give the same bytes.

Then the template is read back with ``perfsheet.io.template.read_template`` and the resulting
spec is stored as ``src/perfsheet/io/standard_template.json``: ``perfsheet summary`` uses that
JSON (no openpyxl import on the fast path), ``--template`` reads a user's copy of the workbook.

Layout of every sheet: header in row 1 (title rows above it are allowed in user templates),
row 2 holds the body style of each column (number formats, borders, alignment) and no values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from perfsheet.core.sheets import (  # noqa: E402
    COLUMNS,
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    STANDARD_SHEETS,
)
from perfsheet.io.template import read_template, spec_json  # noqa: E402

TEMPLATE = ROOT / "templates" / "标准汇总模板.xlsx"
SPEC = ROOT / "src" / "perfsheet" / "io" / "standard_template.json"

FONT = "等线"
HEADER_BG = "#1F4E78"
BORDER_COLOR = "#A6A6A6"
WRAPPED = {
    "三级指标",
    "实施周期指标值",
    "年度指标值",
    "问题",
    "说明",
    "内容",
    "项目名称",
    "绩效目标",
}
TAB_COLORS = {
    SHEET_DETAIL: "#1F4E78",
    SHEET_PROJECTS: "#2E75B6",
    SHEET_FINDINGS: "#C00000",
    SHEET_NOTES: "#7F7F7F",
}
# 级别 colours of 校验结果 (Excel's "bad", "neutral" and a light blue)
LEVEL_STYLES = {
    "错误": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "警告": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "提示": {"bg_color": "#DDEBF7", "font_color": "#1F4E78"},
}
NUM_FORMATS = {"amount": "#,##0.00", "ratio": "0.0%", "int": "0", "score": "0"}


def build(path: Path) -> None:
    wb = xlsxwriter.Workbook(
        str(path), {"default_format_properties": {"font_name": FONT, "font_size": 11}}
    )
    wb.set_properties(
        {
            "title": "perfsheet 标准汇总模板",
            "subject": "项目支出绩效目标表标准化汇总",
            "author": "perfsheet",
            "comments": "列按表头文字匹配：可调整列顺序、删除列、修改样式，可在表头上方加标题行。",
            "created": dt.datetime(2024, 1, 1, 0, 0, 0),
        }
    )
    base = {"font_name": FONT, "font_size": 11, "border": 1, "border_color": BORDER_COLOR}
    header = wb.add_format(
        {
            **base,
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": HEADER_BG,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
        }
    )
    for sheet in STANDARD_SHEETS:
        ws = wb.add_worksheet(sheet)
        ws.set_tab_color(TAB_COLORS[sheet])
        cols = [c for c in COLUMNS[sheet] if c.default]
        ws.set_row(0, 30)
        for i, col in enumerate(cols):
            ws.set_column(i, i, col.width)
            ws.write_string(0, i, col.key, header)
            if sheet == SHEET_DETAIL:
                # one row per indicator, often 100,000+ rows: no borders or wrapping (printed
                # gridlines instead), so text cells carry no style; that keeps the writer
                # close to the speed of writing unstyled cells (bench/README.md)
                body = {}
                if col.kind in NUM_FORMATS:
                    body["num_format"] = NUM_FORMATS[col.kind]
                if col.kind == "int":
                    body["align"] = "center"
            else:
                body = {**base, "valign": "top"}
                if col.kind in NUM_FORMATS:
                    body["num_format"] = NUM_FORMATS[col.kind]
                if col.kind in ("int", "ratio", "score") or col.key in ("级别", "指标性质"):
                    body["align"] = "center"
                if col.key in WRAPPED and not (sheet == SHEET_PROJECTS and col.key == "项目名称"):
                    body["text_wrap"] = True
            if body:
                ws.write_blank(1, i, None, wb.add_format(body))
        last = len(cols) - 1
        ws.freeze_panes(1, 0)
        if sheet == SHEET_DETAIL:
            ws.hide_gridlines(0)  # print the gridlines
        if sheet != SHEET_NOTES:
            ws.autofilter(0, 0, 0, last)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.repeat_rows(0)
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.set_header(f"&L{sheet}&R&D")
        if sheet == SHEET_FINDINGS:
            level_col = "A"
            for level, style in LEVEL_STYLES.items():
                ws.conditional_format(
                    1,
                    0,
                    1,
                    last,
                    {
                        "type": "formula",
                        "criteria": f'=${level_col}2="{level}"',
                        "format": wb.add_format(style),
                    },
                )
        if sheet == SHEET_PROJECTS:
            ws.activate()
    wb.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only compare with the committed files")
    ap.add_argument("--out", type=Path, default=None, help="write the template here instead")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / TEMPLATE.name
        build(built)
        spec = read_template(built)
        spec.source = None  # the built-in template
        spec_text = spec_json(spec) + "\n"
        data = built.read_bytes()
    if args.check:
        stale = []
        if not TEMPLATE.is_file() or TEMPLATE.read_bytes() != data:
            stale.append(str(TEMPLATE.relative_to(ROOT)))
        if not SPEC.is_file() or SPEC.read_text(encoding="utf-8") != spec_text:
            stale.append(str(SPEC.relative_to(ROOT)))
        if stale:
            print("stale:", ", ".join(stale), "- run python templates/build_template.py")
            return 1
        print("template and spec are up to date")
        return 0
    out = args.out or TEMPLATE
    out.write_bytes(data)
    if args.out is None:
        SPEC.write_text(spec_text, encoding="utf-8")
    print(f"wrote {out} ({len(data)} bytes)" + ("" if args.out else f" and {SPEC.name}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
