"""The source copy loses nothing (issue 14 §3).

A source workbook made the way a department would make it — a real 项目支出绩效目标表 that
perfsheet reads, plus Excel tables with header/data/total-row styles, conditional formats, data
validation, defined names (global and local), notes, rich text, an image, a chart, hidden
sheets, print settings, frozen panes, merged cells and (made by LibreOffice) a pivot table —
goes through ``perfsheet summary``. Then:

* every part of the input is in the output: the same compressed bytes, or — for the parts the
  copy must touch — the input's content with only what the summary adds (helper cells, the
  style of marked cells, widths of the helper columns, ``<dimension>``, perfsheet's notes;
  styles, sheets, names, relationships and content types only appended to);
* every style reference of every part (cells, rows, columns, conditional formats, tables,
  custom table styles, pivot tables and caches, cell styles) resolves to the same style as in
  the input; a marked cell's to its own style with the red fill;
* the standard sheets' styles are those of the ``--no-source`` output;
* LibreOffice opens the output and shows the helper columns, the red fill and the notes;
* a summary of the summary leaves the user's sheets as they are.

The departments, projects and numbers are made up.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from perfsheet.cli import app
from perfsheet.core.annotations import HELPER_HEADERS
from perfsheet.core.sheets import STANDARD_SHEETS
from source_copy_helpers import (
    TABLE_ROWS,
    TABLE_SHEET,
    M,
    assert_every_style_reference_is_checked,
    assert_parts_kept,
    assert_same_styles,
    assert_styles_appended,
    libreoffice_pivot,
    openpyxl_rich,
    sheet_parts,
    style_refs,
    xlsxwriter_rich,
)
from summary_helpers import SOURCE_SHEET, check_package, lo_convert, lo_sheets

runner = CliRunner()
MARKED = frozenset({"B5", "B6", "B7"})  # the three wrong totals


def summarize(src: Path, out: Path, *extra: str) -> Path:
    res = runner.invoke(app, ["summary", str(src), "-o", str(out), *extra])
    assert res.exit_code == 0, res.output
    assert check_package(out) == []
    return out


@pytest.fixture(scope="module", params=["xlsxwriter", "openpyxl", "libreoffice"])
def rich(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(request.param)
    src = tmp / "部门绩效目标表.xlsx"
    if request.param == "xlsxwriter":
        return xlsxwriter_rich(src, tmp)
    if request.param == "openpyxl":
        return openpyxl_rich(src)
    return libreoffice_pivot(src, tmp)


@pytest.fixture(scope="module")
def summary(rich: Path) -> Path:
    return summarize(rich, rich.with_name("汇总.xlsx"))


def test_the_source_is_rich(rich: Path) -> None:
    """The fixture holds what the issue lists (so the round trip below is meaningful)."""
    with zipfile.ZipFile(rich) as z:
        names = z.namelist()
        wb = z.read("xl/workbook.xml").decode("utf-8")
    kinds = {n.split("/")[1] for n in names if n.startswith("xl/") and n.count("/") >= 2}
    assert {"worksheets", "tables", "drawings"} <= kinds, kinds
    assert any("comments" in n for n in names) and any(n.endswith(".vml") for n in names)
    assert any(n.startswith("xl/media/") for n in names) or "pivotTables" in kinds
    assert any(n.startswith("xl/charts/") for n in names) or "pivotTables" in kinds
    assert "<definedName" in wb and ('state="hidden"' in wb or "veryHidden" in wb)


def test_every_part_of_the_input_is_kept(rich: Path, summary: Path) -> None:
    assert_parts_kept(rich, summary, marked=MARKED)
    names = openpyxl.load_workbook(summary, read_only=True).sheetnames
    assert names[-len(STANDARD_SHEETS) :] == list(STANDARD_SHEETS)
    with zipfile.ZipFile(rich) as z:
        assert names[: -len(STANDARD_SHEETS)] == list(sheet_parts(z))


def test_every_style_reference_resolves_to_the_same_style(rich: Path, summary: Path) -> None:
    with zipfile.ZipFile(rich) as z:
        table = next(z.read(n) for n in z.namelist() if n.startswith("xl/tables/"))
    bug = b'headerRowDxfId="0"' in table  # the case of the bug report (openpyxl's table)
    assert_same_styles(rich, summary, marked={SOURCE_SHEET: MARKED}, min_dxf_refs=3 + 6 * bug)
    assert_every_style_reference_is_checked(rich)
    assert_every_style_reference_is_checked(summary)


def test_standard_sheets_look_as_without_the_source(rich: Path, summary: Path) -> None:
    """The standard sheets' style indices are shifted past the user's: each resolves to the
    style it has in the ``--no-source`` output."""
    plain = summarize(rich, rich.with_name("无原表.xlsx"), "--no-source")
    want = style_refs(plain, list(STANDARD_SHEETS))
    got = style_refs(summary, list(STANDARD_SHEETS))
    links = _link_cells(summary)  # links to the source's cells exist only with the source
    assert links
    for k in links:
        assert "FF0563C1" in got.pop(k) and want.pop(k)
    assert want and _no_font_name(got) == _no_font_name(want)


def _link_cells(path: Path) -> set[tuple[str, str, str]]:
    out = set()
    with zipfile.ZipFile(path) as z:
        for name, part in sheet_parts(z).items():
            if name in STANDARD_SHEETS:
                root = ET.fromstring(z.read(part))
                out |= {(name, "cell", h.get("ref", "")) for h in root.iter(M + "hyperlink")}
    return out


def _no_font_name(refs: dict[Any, str]) -> dict[Any, str]:
    """With the source, the standard sheets are written in the source's default font (so that
    they look like the user's sheets): font names and schemes left out of the comparison."""
    drop = re.compile(r"<s:(?:name|scheme) val=[^>]*/>")
    return {k: drop.sub("", v) for k, v in refs.items()}


@pytest.mark.libreoffice
def test_libreoffice_shows_the_helper_columns_and_marks(
    rich: Path, summary: Path, tmp_path: Path
) -> None:
    sheets = lo_sheets(summary, tmp_path)
    assert set(STANDARD_SHEETS) <= set(sheets)
    table = sheets[SOURCE_SHEET]
    assert table[3][7:14] == list(HELPER_HEADERS)
    assert table[6][7:12] == ["4", "2", "1", "1", "0"] and table[6][13] == "错误 1 个"
    assert table[6][1] == "121"  # the marked cell keeps its value
    if TABLE_SHEET in sheets:
        assert [r[0] for r in sheets[TABLE_SHEET][:4]] == [r[0] for r in TABLE_ROWS]
    # fills and notes as LibreOffice understood them: its own .xlsx of the output
    lo_convert([summary], tmp_path / "lo", target="xlsx")
    ws = openpyxl.load_workbook(tmp_path / "lo" / summary.name)[SOURCE_SHEET]
    for ref in MARKED:
        assert ws[ref].fill.fgColor.rgb.endswith("FFC7CE"), ref
    assert "perfsheet：" in ws["B7"].comment.text and "121.00" in ws["B7"].comment.text
    assert ws["B6"].comment.text.startswith("单位小计由财务科填写")  # the user's own note stays
    assert ws["A7"].comment.text.startswith("请核对本项目的预算")
    assert ws["H4"].fill.fgColor.rgb.endswith("DDEBF7") and ws["H4"].font.b
    assert ws["M7"].number_format == "0.0%"


def test_a_summary_of_the_summary_leaves_the_users_parts_alone(rich: Path, summary: Path) -> None:
    """Run on its own output, the summary replaces its sheets and finds its helper columns and
    notes in place: every user part of the first output is in the second unchanged (the
    notes' drawing gets fresh shape ids)."""
    again = summarize(summary, summary.with_name("再次汇总.xlsx"))
    with zipfile.ZipFile(summary) as a, zipfile.ZipFile(again) as b:
        first, second = sheet_parts(a), sheet_parts(b)
        assert list(first) == list(second)
        ours = {first[n] for n in STANDARD_SHEETS}
        for info in a.infolist():
            name = info.filename
            if name in ours or "perfsheet_" in name or name.endswith(".vml"):
                continue
            x, y = a.read(name), b.read(name)
            if name == "xl/styles.xml":
                assert_styles_appended(x, y)
            elif name not in ("[Content_Types].xml", "xl/workbook.xml") and not name.endswith(
                "workbook.xml.rels"
            ):
                assert x == y, name
