"""Rows rendered by us, spliced into a package XlsxWriter wrote (perfsheet.io.xlsx_splice)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from perfsheet.io.private_api import xf_index
from perfsheet.io.xlsx_splice import RowSpools, TooManyRowsError
from perfsheet.io.xlsx_splice import wrapped_row_lines as _lines
from perfsheet.io.xlsx_stream import EXCEL_MAX_ROWS, cell_xml, text_cell
from summary_helpers import check_package


def _book(tmp_path: Path, *, xlsxwriter_link: bool) -> tuple[Path, RowSpools]:
    """A sheet with a header (row 1) and a total row (row 5) from XlsxWriter, rows 2–4 spooled."""
    raw = tmp_path / "raw.xlsx"
    wb = xlsxwriter.Workbook(str(raw), {"constant_memory": True})
    ws = wb.add_worksheet("明细")
    wb.add_worksheet("目标")
    bold = wb.add_format({"bold": True, "num_format": "#,##0.00"})
    link = wb.add_format({"font_color": "#0563C1", "underline": 1})
    ws.write_string(0, 0, "名称")
    ws.write_string(0, 1, "金额")
    spools = RowSpools(tmp_path)
    spool = spools.open("明细")
    s, ls = f' s="{xf_index(bold)}"', f' s="{xf_index(link)}"'
    spool.add_row(2, cell_xml("A2", "甲 & <乙>") + cell_xml("B2", 1.5, s), 1)
    spool.add_row(3, cell_xml("A3", "") + cell_xml("B3", float("nan"), s), 1, height=47)
    spool.add_row(4, text_cell("A4", "去目标", ls) + cell_xml("C4", True), 2)
    spool.add_link("A4", "'目标'!B2", "去目标")
    if xlsxwriter_link:
        ws.write_url(4, 0, "internal:'目标'!A1", None, "合计行链接")
    else:
        ws.write_string(4, 0, "合计")
    ws.write_formula(4, 1, "=SUBTOTAL(109,B2:B4)", None, 1.5)
    ws.autofilter(0, 0, 3, 1)
    wb.close()
    out = tmp_path / "out.xlsx"
    spools.splice(raw, out)
    return out, spools


@pytest.mark.parametrize("xlsxwriter_link", [False, True])
def test_spliced_rows_sit_between_header_and_total(tmp_path: Path, xlsxwriter_link: bool) -> None:
    out, _ = _book(tmp_path, xlsxwriter_link=xlsxwriter_link)
    assert check_package(out) == []
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    ElementTree.fromstring(xml)  # well-formed
    assert '<dimension ref="A1:C5"/>' in xml
    rows = [int(r) for r in re.findall(r"<row r=\"(\d+)\"", xml)]
    assert rows == [1, 2, 3, 4, 5]
    # <hyperlinks> in its schema position: after autoFilter, before pageMargins
    assert xml.index("<autoFilter") < xml.index("<hyperlinks>") < xml.index("<pageMargins")
    assert xml.count("<hyperlinks>") == 1

    ws = openpyxl.load_workbook(out)["明细"]
    assert [c.value for c in ws[1]][:2] == ["名称", "金额"]
    assert ws["A2"].value == "甲 & <乙>" and ws["B2"].value == 1.5
    assert ws["B2"].font.b and ws["B2"].number_format == "#,##0.00"  # format only we used
    assert ws["A3"].value is None and ws["B3"].value == "#NUM!"
    assert ws.row_dimensions[3].height == 47
    assert ws["C4"].value is True
    assert ws["A4"].hyperlink.location == "'目标'!B2"
    assert ws["A4"].font.color.rgb.endswith("0563C1")
    assert ws["B5"].value == "=SUBTOTAL(109,B2:B4)"
    links = {c.coordinate for row in ws.iter_rows() for c in row if c.hyperlink}
    assert links == ({"A4", "A5"} if xlsxwriter_link else {"A4"})


def test_rows_must_grow_and_fit_a_worksheet(tmp_path: Path) -> None:
    spools = RowSpools(tmp_path)
    spool = spools.open("明细")
    spool.add_row(5, "", 0)
    with pytest.raises(ValueError):
        spool.add_row(5, "", 0)
    with pytest.raises(TooManyRowsError, match="超出 Excel 工作表的行数上限"):
        spool.add_row(EXCEL_MAX_ROWS + 1, "", 0)
    spools.close()


def _lines_by_definition(value: object, width: float) -> int:
    if not isinstance(value, str) or not value:
        return 1
    units = len(value) + sum(1 for ch in value if ord(ch) >= 0x2E80)
    lines = -(-units // max(int(width) - 1, 1)) + value.count("\n")
    return min(max(lines, 1), 8)


@given(
    st.one_of(st.none(), st.integers(), st.text(alphabet="ab1 ≥，。中文\n⺀⹿😀")),
    st.floats(min_value=1, max_value=80),
)
def test_row_height_estimate_counts_wide_characters_twice(value: object, width: float) -> None:
    assert _lines(value, width) == _lines_by_definition(value, width)
