"""The source copy's ``docProps/app.xml``: its list of sheets (``TitlesOfParts``, counted under
``HeadingPairs``) names the output's worksheets, the standard sheets included. Excel ignores the
list; other readers and the file properties dialog show it. The rest of the part stays: the
chart sheets' and named ranges' entries with their titles, every other byte.

The workbooks and numbers are made up.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from perfsheet.core.sheets import STANDARD_SHEETS
from perfsheet.io.source_copy.doc_props import _listing
from perfsheet.summary import summarize
from source_copy_helpers import app_lists, assert_app_kept, assert_parts_kept
from summary_helpers import SOURCE_SHEET, check_package, lo_sheets, write_source_workbook

CHART_SHEET = "资金图"


def xlsxwriter_source(path: Path, tmp_path: Path) -> Path:
    """The 项目支出绩效目标表 of :func:`write_source_workbook`, written by XlsxWriter (which
    lists the sheets in ``docProps/app.xml``): a cover, the table with a print area and a local
    name, a chart sheet and a global name."""
    import xlsxwriter

    plain = openpyxl.load_workbook(write_source_workbook(tmp_path / "plain.xlsx"))
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("封面").write("A1", "2025 年部门预算")
    ws = wb.add_worksheet(SOURCE_SHEET)
    for row in plain[SOURCE_SHEET].iter_rows():
        for c in row:
            if c.value is not None:
                ws.write(c.row - 1, c.column - 1, c.value)
    ws.print_area("A1:G10")
    wb.define_name(f"'{SOURCE_SHEET}'!本表单位", f"='{SOURCE_SHEET}'!$A$3")
    wb.define_name("项目区域", f"='{SOURCE_SHEET}'!$A$5:$G$10")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": f"='{SOURCE_SHEET}'!$B$5:$B$7"})
    wb.add_chartsheet(CHART_SHEET).set_chart(chart)
    wb.close()
    return path


def app_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("docProps/app.xml")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("app")
    return xlsxwriter_source(tmp / "部门绩效目标表.xlsx", tmp)


@pytest.fixture(scope="module")
def summary(source: Path) -> Path:
    rep = summarize(source, source.with_name("汇总.xlsx"))
    assert rep.mode == "copy", rep.notes
    return Path(rep.output)


def test_the_standard_sheets_are_listed(source: Path, summary: Path) -> None:
    pairs, titles = app_lists(app_xml(source))
    assert [n for _, n in pairs] == [2, 1, 3] and titles[:3] == ["封面", SOURCE_SHEET, CHART_SHEET]
    worksheets = ["封面", SOURCE_SHEET, *STANDARD_SHEETS]
    assert_app_kept(app_xml(source), app_xml(summary), worksheets)
    out_pairs, out_titles = app_lists(app_xml(summary))
    assert [n for _, n in out_pairs] == [6, 1, 3]
    assert out_titles == [*worksheets, CHART_SHEET, *titles[3:]]
    # the list agrees with the workbook as a reader sees it
    book = openpyxl.load_workbook(summary)
    assert [ws.title for ws in book.worksheets] == worksheets
    assert [cs.title for cs in book.chartsheets] == [CHART_SHEET]
    assert check_package(summary) == []
    assert_parts_kept(source, summary)


def test_a_summary_of_the_summary_lists_the_same_sheets(summary: Path) -> None:
    """The standard sheets of the earlier run are replaced by this run's: the list stays (its
    bytes too). An output of an earlier perfsheet, whose list still names only the user's
    sheets, gets the full list."""
    again = summarize(summary, summary.with_name("再汇总.xlsx"))
    assert again.mode == "copy" and app_xml(Path(again.output)) == app_xml(summary)

    pairs, titles = app_lists(app_xml(summary))
    stale = summary.with_name("旧版汇总.xlsx")
    with zipfile.ZipFile(summary) as a, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            data = a.read(info)
            if info.filename == "docProps/app.xml":
                data = data.replace(b"<vt:i4>6</vt:i4>", b"<vt:i4>2</vt:i4>", 1)
                data = data.replace(b'<vt:vector size="10"', b'<vt:vector size="6"', 1)
                for name in STANDARD_SHEETS:
                    data = data.replace(f"<vt:lpstr>{name}</vt:lpstr>".encode(), b"", 1)
            b.writestr(info, data)
    assert app_lists(app_xml(stale))[1] == [t for t in titles if t not in STANDARD_SHEETS]
    fixed = summarize(stale, summary.with_name("旧版再汇总.xlsx"))
    assert app_lists(app_xml(Path(fixed.output))) == (pairs, titles)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_copy(summary: Path, tmp_path: Path) -> None:
    sheets = lo_sheets(summary, tmp_path)
    assert {"封面", SOURCE_SHEET, *STANDARD_SHEETS} <= set(sheets), list(sheets)


def test_an_app_xml_without_a_list_of_sheets_is_copied_as_it_is(tmp_path: Path) -> None:
    """openpyxl writes no list of sheets: nothing to keep up to date, the part's bytes stay.
    Without the part, the copy adds none."""
    src = write_source_workbook(tmp_path / "测试局.xlsx")
    assert app_lists(app_xml(src)) == ([], [])
    out = Path(summarize(src, tmp_path / "汇总.xlsx").output)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        x, y = a.getinfo("docProps/app.xml"), b.getinfo("docProps/app.xml")
        assert (x.CRC, x.compress_size) == (y.CRC, y.compress_size)

    bare = tmp_path / "无属性.xlsx"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            data = a.read(info)
            if info.filename == "docProps/app.xml":
                continue
            if info.filename in ("_rels/.rels", "[Content_Types].xml"):
                text = data.decode("utf-8")
                for tag in ("Relationship", "Override"):
                    text = _without_app(text, tag)
                data = text.encode("utf-8")
            b.writestr(info, data)
    rep = summarize(bare, tmp_path / "无属性_汇总.xlsx")
    assert rep.mode == "copy"
    with zipfile.ZipFile(rep.output) as z:
        assert not [n for n in z.namelist() if n.startswith("docProps/app")]
    assert check_package(Path(rep.output)) == []


def _without_app(xml: str, tag: str) -> str:
    return re.sub(rf"<{tag}\b[^>]*app\.xml[^>]*/>", "", xml)


APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<{p}Properties xmlns{x}="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties" xmlns:{v}="http://schemas.openxmlformats.org/officeDocument/2006/'
    'docPropsVTypes"><{p}Application>WPS 表格</{p}Application><{p}HeadingPairs>'
    '<{v}:vector size="4" baseType="variant"><{v}:variant><{v}:lpstr>工作表</{v}:lpstr>'
    "</{v}:variant><{v}:variant><{v}:i4>{n}</{v}:i4></{v}:variant><{v}:variant>"
    "<{v}:lpstr>命名范围</{v}:lpstr></{v}:variant><{v}:variant><{v}:i4>1</{v}:i4></{v}:variant>"
    '</{v}:vector></{p}HeadingPairs><{p}TitlesOfParts><{v}:vector size="{size}" '
    'baseType="lpstr"><{v}:lpstr>表&amp;1</{v}:lpstr><{v}:lpstr>表1!Print_Titles</{v}:lpstr>'
    "</{v}:vector></{p}TitlesOfParts><{p}Company>测试局</{p}Company></{p}Properties>"
)


@pytest.mark.parametrize(("p", "x", "v"), [("", "", "vt"), ("ep:", ":ep", "v")])
def test_labels_in_any_language_and_prefixes(p: str, x: str, v: str) -> None:
    """WPS and a Chinese Excel label the entries 工作表 and 命名范围; the worksheets' entry is
    the first whatever its label, and the prefixes are the part's own."""
    xml = APP.format(p=p, x=x, v=v, n=1, size=2)
    new = _listing(xml, ["表&1", "项目汇总", "说明"], set())
    assert new == APP.format(p=p, x=x, v=v, n=3, size=4).replace(
        f"<{v}:lpstr>表&amp;1</{v}:lpstr>",
        f"<{v}:lpstr>表&amp;1</{v}:lpstr><{v}:lpstr>项目汇总</{v}:lpstr>"
        f"<{v}:lpstr>说明</{v}:lpstr>",
    )
    assert _listing(xml, ["表&1"], set()) is None  # already listed


def test_a_list_that_does_not_read_as_excel_writes_it_is_left_alone() -> None:
    """Counts that do not add up to the titles, or a first entry that names a chart sheet (a
    writer that lists every sheet under one entry, or charts first): the part stays."""
    assert _listing(APP.format(p="", x="", v="vt", n=2, size=2), ["表1", "说明"], set()) is None
    xml = APP.format(p="", x="", v="vt", n=1, size=2)
    assert _listing(xml, ["表1", "说明"], {"表&1"}) is None
