"""The source copy on packages made differently from the usual (issue 14 §3): a macro-enabled
workbook, prefixed SpreadsheetML, rows and cells without references, a sheet the copy does
not understand (it falls back to the rebuild from values), perfsheet's own notes removed when
the errors are fixed, more notes than one block of drawing shape ids.

The workbooks and numbers are made up.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from perfsheet.core.annotations import HELPER_HEADERS
from perfsheet.core.sheets import STANDARD_SHEETS
from perfsheet.io.source_copy import _vml
from perfsheet.summary import summarize
from source_copy_helpers import assert_parts_kept, assert_same_styles
from summary_helpers import SOURCE_SHEET, check_package, lo_sheets, write_source_workbook

MARKED = frozenset({"B5", "B6", "B7"})
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rewrite(src: Path, out: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of the package ``src`` with each part passed through ``change`` (None: left out)."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            data = change(info.filename, a.read(info.filename))
            if data is not None:
                b.writestr(info, data)
    return out


def helper_values(path: Path) -> tuple[list, list]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SOURCE_SHEET).to_python()
    return rows[3][7:14], rows[6][7:14]


def assert_annotated(path: Path) -> None:
    head, row7 = helper_values(path)
    assert head == list(HELPER_HEADERS)
    assert row7 == [4.0, 2.0, 1.0, 1.0, 0.0, 0.75, "错误 1 个"]
    s = openpyxl.load_workbook(path)[SOURCE_SHEET]
    for ref in MARKED:
        assert s[ref].fill.fgColor.rgb == "FFFFC7CE", ref
    assert s["B7"].comment.author == "perfsheet" and "121.00" in s["B7"].comment.text
    assert s["A7"].comment.text == "请核对本项目的预算"
    assert check_package(path) == []


def test_macro_enabled_workbook_keeps_its_vba_project(tmp_path: Path) -> None:
    """vbaProject.bin, its relationship and its content type stay; the workbook part's content
    type becomes the .xlsx one (the output is an .xlsx: Excel refuses an .xlsx whose workbook
    part says it is macro-enabled)."""
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b'Attribute VB_Name = "Module1"' * 40
    rel = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"

    def macro(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            data = data.replace(b"spreadsheetml.sheet.main+xml", b"PLACEHOLDER")
            data = data.replace(
                b"application/vnd.openxmlformats-officedocument.PLACEHOLDER",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
            return data.replace(
                b"</Types>",
                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                b"</Types>",
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                f'<Relationship Id="rIdVba" Type="{rel}" Target="vbaProject.bin"/>'.encode()
                + b"</Relationships>",
            )
        return data

    plain = write_source_workbook(tmp_path / "plain.xlsx")
    src = rewrite(plain, tmp_path / "带宏.xlsm", macro)
    with zipfile.ZipFile(src, "a") as z:
        z.writestr("xl/vbaProject.bin", vba)
    rep = summarize(src, tmp_path / "带宏_汇总.xlsx")
    out = Path(rep.output)
    assert rep.mode == "copy" and rep.annotated == [SOURCE_SHEET]
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/vbaProject.bin") == vba
        ct = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    assert "application/vnd.ms-office.vbaProject" in ct and "macroEnabled" not in ct
    assert "spreadsheetml.sheet.main+xml" in ct and 'Target="vbaProject.bin"' in rels
    assert_annotated(out)


def test_prefixed_spreadsheetml(tmp_path: Path) -> None:
    """Workbook, styles and sheets written with an ``x:`` prefix (as some .NET libraries do):
    what the copy adds carries the prefix too."""

    def prefix(name: str, data: bytes) -> bytes:
        if name.startswith("xl/") and name.endswith(".xml") and b'xmlns="' + MAIN in data:
            if "comments" in name:
                return data
            data = data.replace(b'xmlns="' + MAIN + b'"', b'xmlns:x="' + MAIN + b'"')
            data = re.sub(rb"<(/?)([A-Za-z]\w*)([\s/>])", rb"<\1x:\2\3", data)
        return data

    src = rewrite(write_source_workbook(tmp_path / "plain.xlsx"), tmp_path / "前缀.xlsx", prefix)
    out = Path(summarize(src, tmp_path / "前缀_汇总.xlsx").output)
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet2.xml")
        assert b'<x:c r="H7"' in sheet and b"<c " not in sheet
        assert re.search(rb"<styleSheet\b|<cellXfs\b", z.read("xl/styles.xml")) is None
    assert_annotated(out)


def test_rows_and_cells_without_references(tmp_path: Path) -> None:
    """``r`` is optional on rows and cells; an edited row gets them, the others stay as they
    were."""

    def strip(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet2.xml":
            data = re.sub(rb'(<(?:row|c)\b[^>]*?)\sr="[A-Z]*\d+"', rb"\1", data)
        return data

    src = rewrite(write_source_workbook(tmp_path / "plain.xlsx"), tmp_path / "无引用.xlsx", strip)
    out = Path(summarize(src, tmp_path / "无引用_汇总.xlsx").output)
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    assert re.search(r'<row\b[^>]*\sr="7"', sheet) and '<c r="B7"' in sheet
    assert "<row><c" in sheet  # rows 1-3 (no helper cells) as they were
    assert_annotated(out)


def test_a_sheet_the_copy_does_not_understand_is_rebuilt(tmp_path: Path) -> None:
    """Markup the copy cannot place a helper cell in (a row with something else than cells):
    the summary still comes out, rebuilt from the values, and says why."""

    def odd(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet2.xml":
            data = data.replace(b'<row r="7"', b'<row r="7"', 1)
            data = re.sub(rb"(<row r=\"7\"[^>]*>)", rb"\1<extLst/>", data)
        return data

    src = rewrite(write_source_workbook(tmp_path / "plain.xlsx"), tmp_path / "怪.xlsx", odd)
    rep = summarize(src, tmp_path / "怪_汇总.xlsx")
    assert rep.mode == "rebuilt" and rep.annotated == [SOURCE_SHEET]
    assert any("无法按原格式复制输入" in n for n in rep.notes), rep.notes
    names = openpyxl.load_workbook(rep.output, read_only=True).sheetnames
    assert names[-len(STANDARD_SHEETS) :] == list(STANDARD_SHEETS)
    assert check_package(Path(rep.output)) == []


def _set_values(path: Path, out: Path, values: dict[str, str]) -> Path:
    def fix(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet2.xml":
            for ref, v in values.items():
                data = re.sub(
                    rb'(<c r="' + ref.encode() + rb'"[^>]*><v>)[^<]*(</v>)',
                    rb"\g<1>" + v.encode() + rb"\g<2>",
                    data,
                )
        return data

    return rewrite(path, out, fix)


@pytest.mark.libreoffice
def test_fixed_errors_lose_perfsheets_notes_and_fills(tmp_path: Path) -> None:
    """A table sheet with no note of the user's: the first summary adds a comments part and a
    drawing for its notes; once the totals are fixed, the next summary of that output removes
    its notes (the comments part goes, nothing else of the user's does) and the red fills."""

    def no_notes(name: str, data: bytes) -> bytes | None:
        if name == "xl/worksheets/sheet2.xml":
            return re.sub(rb"<legacyDrawing\b[^>]*/>", b"", data)
        if name == "xl/worksheets/_rels/sheet2.xml.rels" or "comment" in name.lower():
            return None
        if name == "[Content_Types].xml":
            return re.sub(rb'<Override PartName="/xl/comments/[^>]*>', b"", data)
        return data

    src = rewrite(
        write_source_workbook(tmp_path / "plain.xlsx"), tmp_path / "无批注.xlsx", no_notes
    )
    first = Path(summarize(src, tmp_path / "第一次.xlsx").output)
    with zipfile.ZipFile(first) as z:
        assert any(n.startswith("xl/comments") for n in z.namelist())
    assert_parts_kept(src, first, marked=MARKED)
    assert_same_styles(src, first, marked={SOURCE_SHEET: MARKED})
    fixed = _set_values(first, tmp_path / "改正.xlsx", {"B5": "202.5", "B6": "150.5", "B7": "120"})
    rep = summarize(fixed, tmp_path / "第二次.xlsx")
    assert rep.counts.errors == 0
    again = Path(rep.output)
    with zipfile.ZipFile(again) as z:
        assert not any(n.startswith("xl/comments") for n in z.namelist())
        assert b"comments" not in z.read("[Content_Types].xml")
    s = openpyxl.load_workbook(again)[SOURCE_SHEET]
    for ref in MARKED:
        assert s[ref].comment is None and s[ref].fill.fill_type is None, ref
    assert s["N7"].value == "正常" and check_package(again) == []
    assert lo_sheets(again, tmp_path)[SOURCE_SHEET][6][13] == "正常"


def test_more_notes_than_one_block_of_shape_ids() -> None:
    """Shape ids come in blocks of 1024 that the drawing's idmap lists; a block of another
    drawing is never taken."""
    cells = [(r, 2) for r in range(5, 2500)]
    data = _vml(None, set(), cells, taken := {1, 2})
    ids = [int(i) for i in re.findall(rb'id="_x0000_s(\d+)"', data)]
    assert len(ids) == len(set(ids)) == len(cells)
    blocks = {i // 1024 for i in ids}
    assert not blocks & {0, 1, 2} and all(i % 1024 for i in ids)
    listed = re.search(rb'idmap v:ext="edit" data="([^"]*)"', data)
    assert listed is not None and {int(b) for b in listed.group(1).split(b",")} == blocks
    assert blocks <= taken  # the next drawing will not take them
    # a drawing with notes: ours removed, the user's kept, new ones after its ids
    again = _vml(data, {(5, 2), (6, 2)}, [(3, 1)], set(taken))
    assert b"<x:Row>4</x:Row>" not in again and b"<x:Row>6</x:Row>" in again
    assert again.count(b"<v:shape ") == len(cells) - 2 + 1


def test_the_source_copy_does_not_load_openpyxl(tmp_path: Path) -> None:
    """The default path copies the package itself: no openpyxl (the built-in template)."""
    src = write_source_workbook(tmp_path / "测试局.xlsx")
    out = tmp_path / "汇总.xlsx"
    code = (
        "import sys, runpy\n"
        "sys.argv = ['perfsheet', 'summary', sys.argv[1], '-o', sys.argv[2]]\n"
        "try:\n"
        "    runpy.run_module('perfsheet', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    print('openpyxl' in sys.modules, e.code)\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "已在原表「绩效目标表」右侧写入辅助列" in proc.stdout
    assert proc.stdout.strip().endswith("False 0")
