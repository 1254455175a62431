"""The source copy keeps every style reference of the user's parts (issue 14, §2 and §3).

``perfsheet summary`` merges the user's sheets (openpyxl) with the standard sheets (XlsxWriter)
at the zip level (:mod:`perfsheet.io.xlsx_merge`); the standard sheets' styles come first in the
merged styles.xml, so every base index moves. The bug: table parts were copied raw, so a
table's ``headerRowDxfId="0"`` pointed at perfsheet's red error style after the merge.

Here each style reference of the input package (cells' ``s=``, columns' ``style=``, conditional
formats' ``dxfId=``, tables' and table columns' ``*DxfId=``, custom table styles' elements) is
resolved to the XML of the style it names, with the ids inside it (font, fill, border, number
format, parent cell style) resolved too, and compared with the same reference in the output.
Pivot tables cannot be made with openpyxl or XlsxWriter: their parts are checked on
hand-written XML through :class:`StyleMerge` directly.

The workbooks and numbers are made up.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from perfsheet.cli import app
from perfsheet.io.xlsx_merge import StyleMerge
from summary_helpers import SOURCE_SHEET, check_package, lo_sheets, write_source_workbook

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
TABLE_SHEET = "成本明细"
TABLE_ROWS = [
    ["科目", "金额", "占比"],
    ["差旅费", 12.5, 0.25],
    ["会议费", 20.0, 0.4],
    ["印刷费", 17.5, 0.35],
]

_BOOLEANS = {"b", "i", "strike", "outline", "shadow", "condense", "extend"}

runner = CliRunner()


# --------------------------------------------------------------------------------------------
# Resolving style references in a package
# --------------------------------------------------------------------------------------------


def _canon(el: ET.Element, drop: tuple[str, ...] = ()) -> str:
    el = ET.fromstring(ET.tostring(el))
    for e in el.iter():
        for a in list(e.attrib):
            if a in drop:
                del e.attrib[a]
        if e.tag[len(M) :] in _BOOLEANS and e.get("val") in ("1", "true"):
            del e.attrib["val"]  # <b/> == <b val="1"/> (openpyxl writes the latter)
    return ET.tostring(el, encoding="unicode")


class Styles:
    """styles.xml with every index resolvable to the XML of what it names."""

    def __init__(self, xml: bytes) -> None:
        root = ET.fromstring(xml)

        def sec(name: str) -> list[ET.Element]:
            s = root.find(M + name)
            return [] if s is None else list(s)

        self.numfmts = {int(n.get("numFmtId", -1)): n.get("formatCode") for n in sec("numFmts")}
        self.fonts, self.fills, self.borders = sec("fonts"), sec("fills"), sec("borders")
        self.csx, self.xfs, self.dxfs = sec("cellStyleXfs"), sec("cellXfs"), sec("dxfs")
        self.table_styles = {t.get("name"): t for t in sec("tableStyles")}

    def numfmt(self, i: int) -> str:
        return f"code:{self.numfmts[i]}" if i in self.numfmts else f"builtin:{i}"

    def _xf(self, xf: ET.Element, parent: bool) -> str:
        out = {
            "font": _canon(self.fonts[int(xf.get("fontId", 0))]),
            "fill": _canon(self.fills[int(xf.get("fillId", 0))]),
            "border": _canon(self.borders[int(xf.get("borderId", 0))]),
            "numFmt": self.numfmt(int(xf.get("numFmtId", 0))),
            "children": "".join(_canon(c) for c in xf),
            "attrs": sorted(
                (k, v)
                for k, v in xf.attrib.items()
                if not k.endswith("Id") and not k.startswith("apply")
            ),
        }
        if parent:
            out["parent"] = self._xf(self.csx[int(xf.get("xfId", 0))], False)
        return repr(out)

    def xf(self, i: int) -> str:
        return self._xf(self.xfs[i], True)

    def dxf(self, i: int) -> str:
        return _canon(self.dxfs[i], drop=("numFmtId",))  # the code is what counts


def _sheets(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part."""
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for s in ET.fromstring(z.read("xl/workbook.xml")).iter(M + "sheet"):
        t = target[s.get(R_ID)]
        out[s.get("name", "")] = t.lstrip("/") if t.startswith("/") else posixpath.join("xl", t)
    return out


def _rel_targets(z: zipfile.ZipFile, part: str) -> list[str]:
    d, f = posixpath.split(part)
    rels = posixpath.join(d, "_rels", f + ".rels")
    if rels not in z.namelist():
        return []
    out = []
    for r in ET.fromstring(z.read(rels)):
        t = r.get("Target", "")
        if r.get("TargetMode") != "External":
            out.append(
                t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join(d, t))
            )
    return out


def style_refs(path: Path, sheets: list[str]) -> dict[tuple[Any, ...], str]:
    """Every style reference of ``sheets`` (and their tables) and of the custom table styles:
    a location -> the resolved style it names."""
    out: dict[tuple[Any, ...], str] = {}
    with zipfile.ZipFile(path) as z:
        st = Styles(z.read("xl/styles.xml"))
        parts = _sheets(z)
        for name in sheets:
            ws = ET.fromstring(z.read(parts[name]))
            for c in ws.iter(M + "c"):
                if c.get("s") is not None:
                    out[(name, "cell", c.get("r"))] = st.xf(int(c.get("s", 0)))
            for r in ws.iter(M + "row"):
                if r.get("s") is not None:
                    out[(name, "row", r.get("r"))] = st.xf(int(r.get("s", 0)))
            for col in ws.iter(M + "col"):
                if col.get("style") is not None:
                    key = (name, "col", col.get("min"), col.get("max"))
                    out[key] = st.xf(int(col.get("style", 0)))
            n = 0
            for cf in ws.iter(M + "conditionalFormatting"):
                for rule in cf.iter(M + "cfRule"):
                    if rule.get("dxfId") is not None:
                        key = (name, "cf", cf.get("sqref"), n)
                        out[key] = st.dxf(int(rule.get("dxfId", 0)))
                        n += 1
            for t in _rel_targets(z, parts[name]):
                if not t.startswith("xl/tables/"):
                    continue
                table = ET.fromstring(z.read(t))
                tname = table.get("displayName")
                for el in [table, *table.iter(M + "tableColumn")]:
                    for a, v in el.attrib.items():
                        if a.lower().endswith("dxfid"):
                            out[("table", tname, el.get("name", ""), a)] = st.dxf(int(v))
        for sname, ts in st.table_styles.items():
            for e in ts:
                if e.get("dxfId") is not None:
                    out[("tableStyle", sname, e.get("type"))] = st.dxf(int(e.get("dxfId", 0)))
    return out


def assert_same_styles(
    src: Path, out: Path, sheets: list[str], min_dxf_refs: int, cells_from: Path | None = None
) -> None:
    """Every reference of ``src`` resolves in ``out`` to the same style; cell formats are
    taken from ``cells_from`` when given (openpyxl's re-save of a workbook it did not write
    spells the same fonts and fills differently: that is openpyxl's copy, not the merge)."""
    before = style_refs(src, sheets)
    if cells_from is not None:
        before.update(
            (k, v)
            for k, v in style_refs(cells_from, sheets).items()
            if k[1] in ("cell", "row", "col")
        )
    after = style_refs(out, sheets)
    dxf_refs = [k for k in before if k[0] in ("table", "tableStyle") or k[1] == "cf"]
    assert len(dxf_refs) >= min_dxf_refs, sorted(map(str, before))
    changed = [k for k, v in before.items() if after.get(k) != v]
    assert not changed, "\n".join(
        f"{k}:\n  before {before[k]}\n  after  {after.get(k)}" for k in changed[:5]
    )


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


def openpyxl_source(path: Path) -> Path:
    """The helper's 项目支出绩效目标表 plus a sheet with an Excel table whose header, data and
    total row have differential styles (header dxf 0, as in the bug report), column dxfs,
    a custom table style, a conditional format, data validation, a defined name, a comment."""
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat
    from openpyxl.styles.table import TableStyle, TableStyleElement
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    write_source_workbook(path, wrong_total=True)
    wb = openpyxl.load_workbook(path)
    dxfs = wb._differential_styles
    head_style = DifferentialStyle(font=Font(bold=True, color="FF00B050"))
    dxfs.dxf = [head_style, *dxfs.dxf]  # first: the helper's conditional format follows it
    header = dxfs.add(head_style)
    data = dxfs.add(DifferentialStyle(fill=PatternFill("solid", bgColor="FFDDEBF7")))
    total = dxfs.add(DifferentialStyle(font=Font(italic=True, color="FF7030A0")))
    money = dxfs.add(DifferentialStyle(numFmt=NumberFormat(numFmtId=170, formatCode="0.00元")))
    assert header == 0  # the id that pointed at perfsheet's red error style

    ws = wb.create_sheet(TABLE_SHEET)
    for row in TABLE_ROWS:
        ws.append(row)
    ws.append(["合计", "=SUBTOTAL(109,[金额])", None])
    ws["B2"].number_format = "#,##0.0"
    ws["A1"].comment = Comment("用户的批注", "用户")
    cols = [
        TableColumn(id=1, name="科目", totalsRowLabel="合计", dataDxfId=data),
        TableColumn(id=2, name="金额", totalsRowFunction="sum", dataDxfId=money),
        TableColumn(id=3, name="占比", headerRowDxfId=total, totalsRowDxfId=total),
    ]
    t = Table(
        displayName="成本表",
        ref="A1:C5",
        headerRowDxfId=header,
        dataDxfId=data,
        totalsRowDxfId=total,
        totalsRowCount=1,
        tableColumns=cols,
    )
    t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(t)
    ws.conditional_formatting.add(
        "B2:B4",
        CellIsRule(operator="greaterThan", formula=["15"], font=Font(color="FFC00000")),
    )
    dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
    ws.add_data_validation(dv)
    dv.add("C2:C4")
    wb.defined_names["成本金额"] = DefinedName("成本金额", attr_text=f"'{TABLE_SHEET}'!$B$2:$B$4")
    style = TableStyle(name="用户表格样式", pivot=False, count=1)
    style.tableStyleElement.append(TableStyleElement(type="headerRow", dxfId=header))
    wb._table_styles.tableStyle.append(style)
    wb.save(path)
    return path


def xlsxwriter_source(path: Path, tmp_path: Path) -> Path:
    """The same 项目支出绩效目标表 (values) and table sheet, written by XlsxWriter: a table with
    header, column and total-row formats, a conditional format, data validation, a defined
    name and a comment."""
    import xlsxwriter

    plain = write_source_workbook(tmp_path / "plain.xlsx", wrong_total=True)
    src = openpyxl.load_workbook(plain)[SOURCE_SHEET]
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(SOURCE_SHEET)
    bold = wb.add_format({"bold": True, "bg_color": "#FCE4D6"})
    for row in src.iter_rows():
        for c in row:
            if c.value is not None:
                ws.write(c.row - 1, c.column - 1, c.value, bold if c.row == 4 else None)
    ws.conditional_format(
        "B5:E10",
        {
            "type": "cell",
            "criteria": ">",
            "value": 100,
            "format": wb.add_format({"bg_color": "#E2EFDA"}),
        },
    )
    t = wb.add_worksheet(TABLE_SHEET)
    head = wb.add_format({"bold": True, "font_color": "#00B050"})
    money = wb.add_format({"num_format": "0.00元", "bg_color": "#DDEBF7"})
    tot = wb.add_format({"italic": True, "font_color": "#7030A0"})
    t.add_table(
        "A1:C5",
        {
            "name": "成本表",
            "total_row": True,
            "data": [r for r in TABLE_ROWS[1:]],
            "columns": [
                {"header": "科目", "total_string": "合计", "header_format": head},
                {"header": "金额", "total_function": "sum", "format": money, "header_format": head},
                {"header": "占比", "format": tot},
            ],
        },
    )
    t.conditional_format(
        "B2:B4",
        {
            "type": "cell",
            "criteria": ">",
            "value": 15,
            "format": wb.add_format({"font_color": "#C00000"}),
        },
    )
    t.data_validation(
        "C2:C4", {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
    )
    t.write_comment("A1", "用户的批注")
    wb.define_name("成本金额", f"='{TABLE_SHEET}'!$B$2:$B$4")
    wb.close()
    return path


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_openpyxl_source_keeps_every_style_reference(tmp_path: Path) -> None:
    src = openpyxl_source(tmp_path / "源表.xlsx")
    out = summarize(src, tmp_path)
    with zipfile.ZipFile(src) as z:
        table_xml = next(z.read(n) for n in z.namelist() if n.startswith("xl/tables/"))
    assert b'headerRowDxfId="0"' in table_xml  # the case of the bug report
    assert_same_styles(src, out, [TABLE_SHEET, "封面"], min_dxf_refs=9)
    # the user's sheet with marks: its table-free references still resolve (cells the
    # summary marks are the ones with errors, B5:B7, left out)
    before = style_refs(src, [SOURCE_SHEET])
    after = style_refs(out, [SOURCE_SHEET])
    changed = [k for k, v in before.items() if after.get(k) != v]
    assert all(k[1] == "cell" and k[2] in ("B5", "B6", "B7") for k in changed), changed
    assert_every_style_reference_is_checked(src)
    assert_every_style_reference_is_checked(out)
    assert_libreoffice_reads(out, tmp_path)


def assert_every_style_reference_is_checked(path: Path) -> None:
    """Style indices appear only in the parts :func:`style_refs` resolves (worksheets, tables,
    styles.xml): a part of another kind with one would go unchecked here."""
    ref = re.compile(rb'\s(?:\w*[dD]xfId|xfId|s|style|numFmtId)="\d+"')
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if not n.endswith(".xml") or n == "xl/styles.xml":
                continue
            if n.startswith(("xl/worksheets/sheet", "xl/worksheets/perfsheet_", "xl/tables/")):
                continue
            assert not ref.search(z.read(n)), n


def test_xlsxwriter_source_keeps_every_style_reference(tmp_path: Path) -> None:
    src = xlsxwriter_source(tmp_path / "源表.xlsx", tmp_path)
    out = summarize(src, tmp_path)
    resaved = tmp_path / "openpyxl.xlsx"
    openpyxl.load_workbook(src).save(resaved)
    # XlsxWriter does not write headerRowDxfId for a header_format: 3 dxf references
    assert_same_styles(src, out, [TABLE_SHEET], min_dxf_refs=3, cells_from=resaved)
    assert_libreoffice_reads(out, tmp_path)


def _stylesheet(numfmts: str, dxfs: list[str]) -> str:
    """A minimal styles.xml: one font/fill/border/xf, ``numfmts`` and ``dxfs``."""
    return (
        f'<styleSheet xmlns="{M[1:-1]}">'
        f'<numFmts count="{numfmts.count("<numFmt ")}">{numfmts}</numFmts>'
        '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="1"><xf/></cellXfs>'
        f'<dxfs count="{len(dxfs)}">{"".join(dxfs)}</dxfs>'
        "</styleSheet>"
    )


CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."


def test_pivot_parts_are_renumbered_consistently() -> None:
    """No library here writes a pivot table: the pivot parts' references (``<format dxfId>``,
    fields' ``numFmtId``) move with the merged styles, checked on hand-written XML."""
    wan = '<numFmt numFmtId="164" formatCode="0.0万"/>'
    base = _stylesheet(wan, ["<dxf><font><b/></font></dxf>", f"<dxf>{wan}</dxf>"])
    extra = _stylesheet('<numFmt numFmtId="164" formatCode="0.00%"/>', ["<dxf/>"] * 3)
    sm = StyleMerge(base, extra)
    merged, before = Styles(sm.xml.encode()), Styles(base.encode())
    pivot = (
        b'<pivotTableDefinition xmlns="x" name="p" dataCaption="v">'
        b'<pivotFields count="1"><pivotField numFmtId="164" showAll="0"/></pivotFields>'
        b'<dataFields count="1"><dataField name="s" fld="0" numFmtId="3"/></dataFields>'
        b'<formats count="1"><format dxfId="1"><pivotArea type="all"/></format></formats>'
        b"</pivotTableDefinition>"
    )
    got = sm.shift_part("xl/pivotTables/pivotTable1.xml", CT + "pivotTable+xml", pivot)
    nf = int(re.search(rb'pivotField numFmtId="(\d+)"', got).group(1))  # type: ignore[union-attr]
    assert merged.numfmt(nf) == before.numfmt(164) == "code:0.0万"
    assert b'numFmtId="3"' in got  # a built-in format keeps its id
    dxf = int(re.search(rb'dxfId="(\d+)"', got).group(1))  # type: ignore[union-attr]
    assert merged.dxf(dxf) == before.dxf(1)
    cache = (
        b'<pivotCacheDefinition xmlns="x"><cacheFields count="1">'
        b'<cacheField name="a" numFmtId="164"/></cacheFields></pivotCacheDefinition>'
    )
    name = "xl/pivotCache/pivotCacheDefinition1.xml"
    got = sm.shift_part(name, CT + "pivotCacheDefinition+xml", cache)
    nf = int(re.search(rb'numFmtId="(\d+)"', got).group(1))  # type: ignore[union-attr]
    assert merged.numfmt(nf) == "code:0.0万"


@pytest.mark.parametrize(
    "attr", ["headerRowDxfId", "dataDxfId", "totalsRowDxfId", "tableBorderDxfId"]
)
def test_table_part_dxf_ids_move_with_the_merged_dxfs(attr: str) -> None:
    base = _stylesheet("", ["<dxf><font><i/></font></dxf>"])
    sm = StyleMerge(base, _stylesheet("", ["<dxf/>", "<dxf/>"]))
    table = (
        f'<table xmlns="x" id="1" name="T" displayName="T" ref="A1:B2" {attr}="0">'
        f'<tableColumns count="1"><tableColumn id="1" name="a" {attr}="0"/></tableColumns>'
        "</table>"
    ).encode()
    got = sm.shift_part("xl/tables/table1.xml", None, table)  # no content type: by folder
    assert got.count(f'{attr}="2"'.encode()) == 2
    assert Styles(sm.xml.encode()).dxf(2) == Styles(base.encode()).dxf(0)
