"""The source copy keeps every style reference of the user's parts (issue 14, §2 and §3).

``perfsheet summary`` copies the user's package part by part (:mod:`perfsheet.io.source_copy`):
the user's styles stay first in styles.xml and perfsheet's are appended after them, so no
style index of a user part moves. The bug this guards against: when the standard sheets' styles
came first and only worksheet parts were renumbered, a table's ``headerRowDxfId="0"`` pointed at
perfsheet's red error style and the user's table header changed colour.

Here each style reference of the input package (cells' ``s=``, columns' ``style=``, conditional
formats' ``dxfId=``, tables' and table columns' ``*DxfId=``, pivot tables' ``dxfId=`` and
``numFmtId=``, custom table styles' elements, cell styles) is resolved to the XML of the style
it names, with the ids inside it (font, fill, border, number format, parent cell style) resolved
too, and compared with the same reference in the output (the resolver is
``tests/source_copy_helpers.py``; ``tests/test_source_copy_rich.py`` runs it on richer
workbooks, a pivot table made by LibreOffice among them).

The workbooks and numbers are made up.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from perfsheet.cli import app
from source_copy_helpers import (
    TABLE_ROWS,
    TABLE_SHEET,
    Styles,
    assert_every_style_reference_is_checked,
    assert_parts_kept,
    assert_same_styles,
    openpyxl_source,
    style_refs,
)
from summary_helpers import SOURCE_SHEET, check_package, lo_sheets

runner = CliRunner()
MARKED = frozenset({"B5", "B6", "B7"})  # the three wrong totals


def summarize(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / "汇总.xlsx"
    res = runner.invoke(app, ["summary", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert check_package(out) == []
    return out


def assert_libreoffice_reads(out: Path, tmp_path: Path) -> None:
    sheets = lo_sheets(out, tmp_path)
    table = sheets[TABLE_SHEET]
    assert table[0] == TABLE_ROWS[0]
    assert [r[0] for r in table[1:4]] == [r[0] for r in TABLE_ROWS[1:]]


# --------------------------------------------------------------------------------------------
# Source workbooks
# --------------------------------------------------------------------------------------------


def test_openpyxl_source_keeps_every_style_reference(tmp_path: Path) -> None:
    src = openpyxl_source(tmp_path / "源表.xlsx")
    out = summarize(src, tmp_path)
    with zipfile.ZipFile(src) as z:
        table_xml = next(z.read(n) for n in z.namelist() if n.startswith("xl/tables/"))
    assert b'headerRowDxfId="0"' in table_xml  # the case of the bug report
    assert_same_styles(src, out, marked={SOURCE_SHEET: MARKED}, min_dxf_refs=9)
    assert_every_style_reference_is_checked(src)
    assert_every_style_reference_is_checked(out)
    assert_parts_kept(src, out, marked=MARKED)
    assert_libreoffice_reads(out, tmp_path)


def test_table_header_dxf_0_is_still_the_users_style(tmp_path: Path) -> None:
    """The bug report, directly: the table's header dxf 0 is the user's green bold font in the
    output, not perfsheet's red error fill, and the table part is the input's, byte for byte."""
    src = openpyxl_source(tmp_path / "源表.xlsx")
    out = summarize(src, tmp_path)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        tables = [n for n in a.namelist() if n.startswith("xl/tables/")]
        assert tables and all(a.read(n) == b.read(n) for n in tables)
        dxf0 = Styles(b.read("xl/styles.xml")).dxfs[0]
    font = dxf0.find("{*}font")
    assert font is not None and font.find("{*}color").get("rgb") == "FF00B050"  # type: ignore[union-attr]
    assert dxf0.find("{*}fill") is None
    key = ("table", "成本表", "成本表", "headerRowDxfId")
    assert style_refs(out)[key] == style_refs(src)[key]


PIVOT = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<pivotTableDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' name="p" cacheId="9" dataCaption="v"><location ref="E1:F4" firstHeaderRow="1"'
    b' firstDataRow="1" firstDataCol="1"/><pivotFields count="1"><pivotField numFmtId="164"'
    b' showAll="0"/></pivotFields><dataFields count="1"><dataField name="s" fld="0"'
    b' numFmtId="3"/></dataFields><formats count="1"><format dxfId="2"><pivotArea'
    b' type="all"/></format></formats></pivotTableDefinition>'
)
CACHE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<pivotCacheDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + f'<cacheSource type="worksheet"><worksheetSource ref="A1:C4" sheet="{TABLE_SHEET}"/>'.encode()
    + b"</cacheSource>"
    b'<cacheFields count="1"><cacheField name="a" numFmtId="164"><sharedItems/>'
    b"</cacheField></cacheFields></pivotCacheDefinition>"
)


def with_pivot_parts(src: Path, out: Path) -> Path:
    """``src`` with hand-written pivot table parts on the table sheet (no library here writes
    one; ``test_source_copy_rich`` has one made by LibreOffice): a ``<format dxfId>`` and
    fields' ``numFmtId`` pointing at the user's styles."""
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as b:
        sheet = next(n for n in a.namelist() if n.endswith("sheet3.xml"))
        for info in a.infolist():
            data = a.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    f'<Override PartName="/xl/pivotTables/pivotTable1.xml" ContentType="{ct}'
                    f'pivotTable+xml"/><Override PartName="/xl/pivotCache/pivotCacheDefinition1'
                    f'.xml" ContentType="{ct}pivotCacheDefinition+xml"/></Types>'.encode(),
                )
            elif info.filename == "xl/worksheets/_rels/" + sheet.rsplit("/", 1)[1] + ".rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdP" Type="{rel}pivotTable" Target="/xl/pivotTables/'
                    f'pivotTable1.xml"/></Relationships>'.encode(),
                )
            b.writestr(info, data)
        b.writestr("xl/pivotTables/pivotTable1.xml", PIVOT)
        b.writestr(
            "xl/pivotTables/_rels/pivotTable1.xml.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}pivotCacheDefinition" Target="/xl/pivotCache/'
            f'pivotCacheDefinition1.xml"/></Relationships>',
        )
        b.writestr("xl/pivotCache/pivotCacheDefinition1.xml", CACHE)
    return out


def test_pivot_parts_keep_their_bytes_and_their_styles(tmp_path: Path) -> None:
    src = with_pivot_parts(openpyxl_source(tmp_path / "源表.xlsx"), tmp_path / "透视.xlsx")
    out = summarize(src, tmp_path)
    before, after = style_refs(src), style_refs(out)
    pivot = {k: v for k, v in before.items() if k[0] in ("pivot", "pivotCache")}
    assert len(pivot) == 4 and "code:#,##0.000" in pivot.values()
    assert all(after[k] == v for k, v in pivot.items())
    assert_parts_kept(src, out, marked=MARKED)
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[:3] == [
        "封面",
        SOURCE_SHEET,
        TABLE_SHEET,
    ]
