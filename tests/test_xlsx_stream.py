"""The streaming .xlsx writer of the consolidated workbook: well-formed parts, exact text."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from perfsheet.io.xlsx_stream import (
    EXCEL_MAX_TEXT,
    StreamWorkbook,
    StyleBook,
    col_letter,
    escape_text,
    render_cells,
    render_formula,
)


def unescape(text: str) -> str:
    """Excel's reading of _xHHHH_ (ECMA-376 Part 1, 22.4.2.4 ST_Xstring)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def test_col_letters() -> None:
    assert [col_letter(i) for i in (0, 25, 26, 27, 701, 702, 16383)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
        "XFD",
    ]


def _write(path: Path, rows: list[list[object]]) -> None:
    styles = StyleBook({"font_name": "等线", "font_size": 11})
    amount = styles.add({"num_format": "#,##0.00", "valign": "top"})
    total = styles.add({"num_format": "#,##0.00", "bold": True, "top": 6, "bg_color": "#F2F2F2"})
    head = styles.add({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "border": 1})
    book = StreamWorkbook(tmpdir=path.parent / "spool", styles=styles.xml())
    sh = book.add_sheet(
        "数据 'x'", ["文本", "数", "布尔"], [30, 12, None], header_styles=[head] * 3, hidden=[2]
    )
    for row in rows:
        sh.write_fragment(render_cells(row, [0, amount, 0]))
    sh.write_raw_row(render_formula(1, sh.next_row, "=SUBTOTAL(109,B2:B3)", 3.5, total))
    book.add_sheet("空", ["a"])
    book.close(path)


def test_parts_are_well_formed_and_read_back(tmp_path: Path) -> None:
    out = tmp_path / "book.xlsx"
    rows: list[list[object]] = [
        ["=1+1", 1.5, True],
        ["  前后空格 \n", 2, False],
        ["a\x00b\x1fc _x0041_ & < > \" '", None, None],
    ]
    _write(out, rows)
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            ElementTree.fromstring(zf.read(name))  # every part is well-formed XML
        assert "xl/worksheets/sheet2.xml" in zf.namelist()
    assert not (tmp_path / "spool").exists() or not any((tmp_path / "spool").iterdir())
    wb = openpyxl.load_workbook(out)
    ws = wb["数据 'x'"]
    assert [c.value for c in ws[1]] == ["文本", "数", "布尔"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 1.5 and ws["B2"].number_format == "#,##0.00"
    assert ws["B2"].alignment.vertical == "top" and not ws["A2"].has_style
    assert ws["A1"].font.b and ws["A1"].font.color.rgb == "FFFFFFFF"
    assert ws["A1"].fill.fgColor.rgb == "FF1F4E78" and ws["C1"].border.left.style == "thin"
    assert ws["B5"].font.b and ws["B5"].border.top.style == "double"
    assert ws["B5"].number_format == "#,##0.00"
    assert ws.column_dimensions["C"].hidden and not ws.column_dimensions["B"].hidden
    assert ws["C2"].value is True and ws["C3"].value is False
    assert ws["A3"].value == "  前后空格 \n"
    # Characters XML cannot carry are stored in Excel's _xHHHH_ notation (Excel decodes it;
    # openpyxl shows it as stored), and a literal "_x0041_" is protected as "_x005F_x0041_".
    assert ws["A4"].value == "a_x0000_b_x001F_c _x005F_x0041_ & < > \" '"
    assert unescape(ws["A4"].value) == rows[2][0]
    assert ws["B5"].value == "=SUBTOTAL(109,B2:B3)"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C5"
    assert ws.column_dimensions["A"].width > 30
    assert wb.sheetnames == ["数据 'x'", "空"]
    wb.close()


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_any_text_round_trips(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.xlsx"
        book = StreamWorkbook()
        book.add_sheet("s", ["h"]).write_values([text])
        book.close(out)
        wb = openpyxl.load_workbook(out, read_only=True)
        row = next(wb["s"].iter_rows(min_row=2, values_only=True), ())
        got = row[0] if row else None
        wb.close()
    # Lone surrogates cannot be stored in UTF-8: they become U+FFFD.
    expected = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    if expected == "":
        assert got is None
    else:
        assert unescape(got) == expected


def test_long_text_is_capped_at_excel_limit() -> None:
    assert len(escape_text("x" * (EXCEL_MAX_TEXT + 10))) == EXCEL_MAX_TEXT


def test_display_widths() -> None:
    """Column units: 2 per CJK character, 1 per ASCII one; the longest line; numbers as their
    number format shows them."""
    from perfsheet.io.xlsx_stream import text_width, value_width

    assert text_width("示例县教育局_逐行.xlsx") == 2 * 8 + 6
    assert text_width("第一行\n第二行更长") == 10
    assert text_width("\ud800") == 2  # a lone surrogate does not raise
    assert value_width(273101.18, "#,##0.00") == len("273,101.18")
    assert value_width(0.5, "0.0%") == len("50.0%")
    assert value_width(86.7, "0") == len("87")  # 指标质量 is shown as "0"
    assert value_width(12) == value_width(12, "General") == 2
    assert value_width(1 / 3) == 11  # General shows at most 11 characters
    assert value_width(True) == 5


def test_numbers_are_measured_as_their_format_shows_them() -> None:
    """A template's own number formats: literal text (CJK counts double), thousands,
    decimals, percent, scaling, sections for negatives and zero, dates."""
    from perfsheet.io.xlsx_stream import number_shower, value_width

    shown = {
        ("#,##0.0000", 1234.5): "1,234.5000",
        ('0.00"万元"', 1234.5): "1234.50万元",
        ("#,##0.00;[Red]-#,##0.00", -5.5): "-5.50",
        ("0.00_);(0.00)", -3.0): "(3.00)",
        ("0.00E+00", 12345.0): "1.23E+04",
        ("#,##0,", 1234567): "1,235",
        ("0.0\\%", 5.0): "5.0%",  # an escaped % is text: no scaling
        ("[$-804]#,##0.00", 3.0): "3.00",
        ('#,##0.00;-#,##0.00;"-"', 0.0): "-",
    }
    for (code, value), text in shown.items():
        show = number_shower(code)
        assert show is not None and show(value) == text, code
    assert number_shower("General") is None and number_shower(None) is None
    assert value_width(1234.5, '0.00"万元"') == len("1234.50") + 4
    assert value_width(45000, "yyyy-mm-dd") == 10


def test_wrap_info_and_lines() -> None:
    from perfsheet.io.xlsx_stream import (
        MIN_WRAP_WIDTH,
        parse_wrap_info,
        wrap_info,
        wrapped_lines,
    )

    short = "甲" * int(MIN_WRAP_WIDTH // 2)  # never wraps: no column is narrower
    long = "乙" * 30
    info = wrap_info([short, 3.5, long, "第一行\n第二行", None])
    assert parse_wrap_info(info) == {2: [60.0], 3: [6.0, 6.0]}
    assert wrap_info([short, 1, None]) == ""
    assert wrapped_lines([60.0], 61.0) == 1  # fits: the column was fitted to it
    assert wrapped_lines([60.0], 21.0) == 3  # 10 characters a line
    assert wrapped_lines([6.0, 6.0], 21.0) == 2  # one line per line feed
    assert wrapped_lines([0.0], 21.0) == 1


def test_rows_with_a_height_and_wrapping_text_style() -> None:
    styles = StyleBook()
    wrap = styles.add({"text_wrap": True, "valign": "top"})
    assert styles.add({"valign": "top", "text_wrap": True}) == wrap  # one format per look
    big = styles.add({"font_size": 16, "text_wrap": True})
    assert styles.font_size(big) == 16 and styles.font_size(0) == styles.font_size(wrap) == 11
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "h.xlsx"
        book = StreamWorkbook(styles=styles.xml())
        sh = book.add_sheet("s", ["文本"], [10])
        sh.write_values(["很长的文本" * 5], [wrap], height=45)
        sh.write_values(["短"], [big])
        book.close(out)
        wb = openpyxl.load_workbook(out)
        ws = wb["s"]
        assert ws.row_dimensions[2].height == 45 and ws.row_dimensions[3].height is None
        assert ws["A2"].alignment.wrap_text and ws["A2"].alignment.vertical == "top"
        assert ws["A3"].font.sz == 16
        wb.close()
