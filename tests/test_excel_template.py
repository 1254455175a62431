"""The Excel buttons use the user's summary template (issue 14 §2: one sheet spec feeds all the
outputs), against xlwings' remote engine as in test_excel_actions.py.

A user makes a template the way docs/summary.md says: a copy of the built-in
``templates/标准汇总模板.xlsx`` changed in Excel (here with openpyxl), saved as
``perfsheet.template.xlsx`` next to the workbooks or in the home folder. The live sheets must
show what the file writer writes with the same template (``perfsheet.summarize(...,
template=...)``, read back with openpyxl), cell by cell: values, number formats, fills (the
template's 错误/警告/提示 rules evaluated), fonts, alignment, borders, and per sheet the column
widths and visibility, title rows, merged title cells and frozen panes.

The remote engine reports its payload's ``name`` as the book's ``fullname``; a payload named by
a saved file's full path stands for that file opened in desktop Excel, whose ``fullname`` is
that path (:func:`saved_payload`). A payload named by the file name alone is xlwings Lite (the
folder is unknown).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

from live_payload import (
    SEED_XLSX,
    Workbook,
    alerts,
    book_of,
    file_rows,
    of,
    run,
    same_cells,
    seed_payload,
)
from perfsheet.core.sheets import SHEET_DETAIL, SHEET_FINDINGS, SHEET_NOTES, SHEET_PROJECTS
from perfsheet.excel import actions, ribbon
from perfsheet.io.user_files import TEMPLATE_FILE_NAME
from summary_helpers import TEMPLATE, write_user_template

pytestmark = pytest.mark.usefixtures("live_engine")

SHEETS = (SHEET_DETAIL, SHEET_PROJECTS, SHEET_FINDINGS, SHEET_NOTES)
TITLE = "{部门名称} 项目汇总（金额单位：{金额单位}）"


def user_template(path: Path) -> Path:
    """The built-in template with a user's changes to 项目汇总: a title row above the header
    (merged A1:F1, 黑体 16 bold), 项目名称 relabelled, the header in red, 总计 without decimals
    in 仿宋 12 bold purple, 成本指标数 hidden, the first two columns frozen as well; and to
    校验结果: 说明 relabelled, the header in green."""
    wb = openpyxl.load_workbook(TEMPLATE)
    ws = wb[SHEET_FINDINGS]
    assert ws["E1"].value == "说明"
    ws["E1"] = "说明（详情）"
    for cell in ws[1]:
        if cell.value:
            cell.fill = PatternFill("solid", fgColor="FF375623")
    ws = wb[SHEET_PROJECTS]
    ws.insert_rows(1)  # the header moves to row 2, its body-style row to row 3
    ws["A1"] = TITLE
    ws["A1"].font = Font(name="黑体", sz=16, b=True)
    ws.merge_cells("A1:F1")
    ws.row_dimensions[1].height = 28
    ws.row_dimensions[2].height = 30
    ws.freeze_panes = "C3"
    ws.print_title_rows = "2:2"
    assert ws["C2"].value == "项目名称" and ws["D2"].value == "总计"
    ws["C2"] = "项目名称（全称）"
    for cell in ws[2]:
        if cell.value:
            cell.fill = PatternFill("solid", fgColor="FFC00000")
    ws["D3"].number_format = "#,##0"
    ws["D3"].font = Font(name="仿宋", sz=12, b=True, color="FF7030A0")
    assert ws["L2"].value == "成本指标数"
    ws.column_dimensions["L"].hidden = True
    wb.save(path)
    return path


def saved_payload(path: Path) -> dict[str, Any]:
    """The seed table in a workbook saved as ``path`` (its fullname is the full path)."""
    return seed_payload(name=str(path))


# --------------------------------------------------------------------------------------------
# What a cell looks like, in the file (openpyxl) and in the replayed live book
# --------------------------------------------------------------------------------------------

#: the workbook's default font (the seed's): cells whose style names no font show it
_DEFAULT = openpyxl.load_workbook(SEED_XLSX).active.cell(999, 99).font
DEFAULT_FONT = (_DEFAULT.name, float(_DEFAULT.sz))
#: xlwings' (line style, weight) -> the border style names of the file format
BORDER_NAMES = {
    ("continuous", "thin"): "thin",
    ("continuous", "medium"): "medium",
    ("continuous", "thick"): "thick",
    ("continuous", "hairline"): "hair",
    ("dash", "thin"): "dashed",
    ("dash", "medium"): "mediumDashed",
    ("dot", "thin"): "dotted",
    ("double", None): "double",
    ("dash_dot", "thin"): "dashDot",
    ("dash_dot", "medium"): "mediumDashDot",
    ("dash_dot_dot", "thin"): "dashDotDot",
    ("dash_dot_dot", "medium"): "mediumDashDotDot",
    ("slant_dash_dot", "medium"): "slantDashDot",
}
#: Office.js alignment names -> the file format's
H_ALIGN = {
    "General": None,
    "Left": "left",
    "Center": "center",
    "Right": "right",
    "Fill": "fill",
    "Justify": "justify",
    "CenterAcrossSelection": "centerContinuous",
    "Distributed": "distributed",
}
V_ALIGN = {
    "Top": "top",
    "Center": "center",
    "Bottom": None,
    "Justify": "justify",
    "Distributed": "distributed",
}


def _rgb(color: Any) -> str | None:
    if color is None or getattr(color, "type", None) != "rgb" or not color.rgb:
        return None  # theme / automatic colours: the default
    return "#" + str(color.rgb)[-6:].upper()


def _conditional_fills(ws: Any) -> list[tuple[str, str, str]]:
    """The template's rules of the form ``=$A2="错误"``: (column, value, fill)."""
    import re

    out = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            m = re.match(r'^\$([A-Z]+)\d+="(.*)"$', str(rule.formula[0]) if rule.formula else "")
            fill = rule.dxf.fill if rule.dxf is not None else None
            color = _rgb(fill.bgColor) or _rgb(fill.fgColor) if fill is not None else None
            if m and color:
                out.append((m.group(1), m.group(2), color))
    return out


def file_look(ws: Any, row: int, col: int, rules: list[tuple[str, str, str]]) -> dict[str, Any]:
    cell = ws.cell(row, col)
    fill = _rgb(cell.fill.fgColor) if cell.fill.fill_type == "solid" else None
    for column, value, color in rules:  # what Excel shows: a matching rule's fill
        if row > 1 and ws[f"{column}{row}"].value == value:
            fill = color
            break
    font = cell.font
    sides = {}
    for side in ("top", "bottom", "left", "right"):
        s = getattr(cell.border, side)
        if s is not None and s.style:
            sides[side] = (s.style, _rgb(s.color))
    return {
        "number_format": None if cell.number_format == "General" else cell.number_format,
        "fill": fill,
        "font": (font.name, float(font.sz), bool(font.b), bool(font.i), _rgb(font.color)),
        "h": cell.alignment.horizontal if cell.alignment.horizontal != "general" else None,
        "v": cell.alignment.vertical if cell.alignment.vertical != "bottom" else None,
        "wrap": bool(cell.alignment.wrap_text),
        "borders": sides,
    }


def live_look(state: Workbook, sheet: str, row: int, col: int) -> dict[str, Any]:
    key = (sheet, row, col)
    font = state.fonts.get(key, {})
    align = state.align.get(key, {})
    sides = {}
    for side, attrs in state.borders.get(key, {}).items():
        style = BORDER_NAMES[(attrs["line_style"], attrs.get("weight"))]
        sides[side] = (style, attrs["color"].upper() if attrs.get("color") else None)
    return {
        "number_format": state.formats.get(key),
        "fill": state.fills.get(key),
        "font": (
            font.get("name", DEFAULT_FONT[0]),
            float(font.get("size", DEFAULT_FONT[1])),
            bool(font.get("bold")),
            bool(font.get("italic")),
            font["color"].upper() if font.get("color") else None,
        ),
        "h": H_ALIGN[align["h"]] if "h" in align else None,
        "v": V_ALIGN[align["v"]] if "v" in align else None,
        "wrap": bool(align.get("wrap")),
        "borders": sides,
    }


def _file_columns(ws: Any) -> dict[int, tuple[float | None, bool]]:
    """Column -> (width as Excel shows it, hidden), from the file's column ranges."""
    out = {}
    for dim in ws.column_dimensions.values():
        if dim.min is None:
            continue
        shown = None
        if dim.width:
            pixels = round(dim.width * 7)  # the file stores (width * 7 + 5) / 7
            shown = (pixels - 5) / 7
        for c in range(dim.min, (dim.max or dim.min) + 1):
            out[c] = (shown, bool(dim.hidden))
    return out


def _frozen_cell(address: str) -> str:
    """freezePaneAtRange's address (the frozen rows and columns) -> the first unfrozen cell."""
    from openpyxl.utils.cell import get_column_letter, range_boundaries

    if ":" in address and address.split(":")[0].isdigit():  # "1:2": rows only
        return f"A{int(address.split(':')[1]) + 1}"
    _c1, _r1, c2, r2 = range_boundaries(address)
    return f"{get_column_letter((c2 or 0) + 1)}{(r2 or 0) + 1}"


def assert_same_sheets(
    state: Workbook, out: Path, template: Path, sheets: tuple[str, ...] = SHEETS
) -> None:
    """The live sheets look as the file writer's (with ``template``), cell by cell and sheet
    by sheet."""
    from openpyxl.cell.cell import MergedCell

    from perfsheet.io.template import read_template

    spec = read_template(template)
    wb = openpyxl.load_workbook(out)
    for name in sheets:
        ws = wb[name]
        live = state.rows(name)
        written = file_rows(out, name)[: len(live)]  # 项目汇总: the chart's data block below
        if name == SHEET_NOTES:  # generated at another second; the book's path vs file name
            live = [r for r in live if len(r) < 2 or r[1] not in ("生成时间", "来源文件")]
            written = [r for r in written if len(r) < 2 or r[1] not in ("生成时间", "来源文件")]
        assert same_cells(live, written), name
        rules = _conditional_fills(ws)
        width = max(len(r) for r in state.sheet(name)["values"])
        rows = len(state.sheet(name)["values"])
        assert width == ws.max_column, name
        for r in range(1, rows + 1):
            for c in range(1, width + 1):
                cell = ws.cell(r, c)
                if isinstance(cell, MergedCell):
                    continue  # a merged title's other cells: the file keeps no style there
                if cell.value is None and not cell.has_style:
                    continue  # an empty data cell: no cell in the file (the live book
                    # formats whole column ranges, empty cells too)
                expected = file_look(ws, r, c, rules)
                assert live_look(state, name, r, c) == expected, (name, r, c)
        columns = _file_columns(ws)
        for c in range(1, width + 1):
            shown, hidden = columns.get(c, (None, False))
            points = state.widths.get((name, c))
            assert (points is None) == (shown is None), (name, c)
            if points is not None:
                assert (points / 0.75 - 5) / 7 == pytest.approx(shown, abs=0.02), (name, c)
            assert state.hidden.get((name, c), False) == hidden, (name, c)
        assert _frozen_cell(state.frozen[name]) == ws.freeze_panes, name
        header = spec.sheets[name].header_row + 1  # title rows and header: data rows autofit
        for r in range(1, header + 1):  # the file's heights are whole pixels (0.75 pt)
            height = state.heights.get((name, r))
            assert height == pytest.approx(ws.row_dimensions[r].height, abs=0.75), (name, r)
        assert sorted(state.merged.get(name, [])) == sorted(
            (m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges
        ), name


# --------------------------------------------------------------------------------------------
# 生成汇总 with a template next to the workbook
# --------------------------------------------------------------------------------------------


def test_summary_follows_the_template_next_to_the_workbook_as_the_file_writer(
    tmp_path: Path,
) -> None:
    from perfsheet import summarize

    folder = tmp_path / "预算 2025"
    folder.mkdir()
    book_file = folder / "协作办.xlsx"
    shutil.copy(SEED_XLSX, book_file)
    template = user_template(folder / TEMPLATE_FILE_NAME)

    result, queued, after = run("summary", saved_payload(book_file))
    assert result is not None and result.rows[SHEET_PROJECTS] == 23
    out = tmp_path / "文件" / "协作办_绩效汇总.xlsx"
    out.parent.mkdir()
    summarize(book_file, out, template=template)  # with the source: the same location links
    assert_same_sheets(after, out, template)

    # the user's changes, as the user sees them
    projects = after.rows(SHEET_PROJECTS)
    assert projects[0] == ["广州市协作办公室 项目汇总（金额单位：万元）"]
    assert projects[1][2] == "项目名称（全称）" and projects[1][3] == "总计（万元）"
    assert after.fills[(SHEET_PROJECTS, 2, 1)] == "#C00000"
    assert after.formats[(SHEET_PROJECTS, 3, 4)] == "#,##0"
    assert after.fonts[(SHEET_PROJECTS, 3, 4)] == {
        "name": "仿宋",
        "size": 12.0,
        "bold": True,
        "color": "#7030A0",
    }
    total = 2 + 23 + 1  # title, header, 23 projects, the total row
    assert projects[-1][3] == "=SUBTOTAL(109,D3:D25)"
    assert after.formats[(SHEET_PROJECTS, total, 4)] == "#,##0"
    assert after.fills[(SHEET_PROJECTS, total, 4)] == "#F2F2F2"
    assert after.borders[(SHEET_PROJECTS, total, 4)]["top"]["line_style"] == "double"
    assert after.hidden[(SHEET_PROJECTS, 12)] is True
    assert after.frozen[SHEET_PROJECTS] == "A1:B2"
    assert after.merged[SHEET_PROJECTS] == [(1, 1, 1, 6)]
    # rows as high as their wrapped text where the template wraps the body (说明 and 校验结果)
    assert set(after.autofit) == {SHEET_FINDINGS, SHEET_NOTES}
    assert after.autofit[SHEET_FINDINGS] == [(2, 1 + result.rows[SHEET_FINDINGS])]
    # the other sheets keep the built-in look; 说明 names the template used
    assert after.rows(SHEET_DETAIL)[0][2] == "项目名称"
    assert after.fills[(SHEET_DETAIL, 1, 1)] == "#1F4E78"
    notes = {r[1]: r[2] for r in after.rows(SHEET_NOTES)[1:] if r and r[0] == "文件"}
    assert notes["模板"] == TEMPLATE_FILE_NAME
    # the rows are the template's: one block write per sheet, never on the source sheet
    assert of(queued, "setValues", 0) == []
    assert [len(of(queued, "setValues", i)) for i in (1, 2, 3, 4)] == [1, 1, 1, 1]


def test_check_writes_its_findings_sheet_with_the_template(tmp_path: Path) -> None:
    """校验合计 writes 校验结果 (and 说明) too: with the template next to the workbook."""
    from perfsheet import summarize

    book_file = tmp_path / "协作办.xlsx"
    shutil.copy(SEED_XLSX, book_file)
    template = user_template(tmp_path / TEMPLATE_FILE_NAME)
    _r, _q, after = run("check", saved_payload(book_file))
    assert after.rows(SHEET_FINDINGS)[0][4] == "说明（详情）"
    assert after.fills[(SHEET_FINDINGS, 1, 1)] == "#375623"
    out = tmp_path / "文件.xlsx"
    summarize(book_file, out, template=template)
    assert_same_sheets(after, out, template, (SHEET_FINDINGS,))


# --------------------------------------------------------------------------------------------
# Where the template is found, and a template that cannot be used
# --------------------------------------------------------------------------------------------


def test_without_a_workbook_folder_the_home_template_is_used(tmp_path: Path) -> None:
    """xlwings Lite (the payload names no folder): the template in the home folder, and the
    built-in one, silently, when there is none."""
    _r, _q, builtin = run("summary", seed_payload())
    assert builtin.rows(SHEET_PROJECTS)[0][2] == "项目名称"
    user_template(tmp_path / "home" / TEMPLATE_FILE_NAME)  # the live_engine fixture's HOME
    result, queued, after = run("summary", seed_payload())
    assert result is not None
    assert after.rows(SHEET_PROJECTS)[1][2] == "项目名称（全称）"
    assert after.fills[(SHEET_PROJECTS, 2, 1)] == "#C00000"
    (message,) = alerts(queued)
    assert "模板" not in message  # nothing to say: the template is simply used


def test_the_template_next_to_the_workbook_wins_over_home(tmp_path: Path) -> None:
    shutil.copy(TEMPLATE, tmp_path / "home" / TEMPLATE_FILE_NAME)
    folder = tmp_path / "处室"
    folder.mkdir()
    user_template(folder / TEMPLATE_FILE_NAME)
    _r, _q, after = run("summary", saved_payload(folder / "表.xlsx"))
    assert after.rows(SHEET_PROJECTS)[1][2] == "项目名称（全称）"


@pytest.mark.parametrize("tag", ["summary", "check"])
def test_a_bad_template_is_one_message_naming_it_and_nothing_is_written(
    tmp_path: Path, tag: str
) -> None:
    folder = tmp_path / "预算"
    folder.mkdir()
    template = write_user_template(folder / TEMPLATE_FILE_NAME, drop=SHEET_PROJECTS)
    label = ribbon.LABELS[tag]
    result, queued, _after = run(tag, saved_payload(folder / "表.xlsx"))
    assert result is None
    assert [a["func"] for a in queued] == ["alert"]
    (message,) = alerts(queued)
    assert message.startswith(f"{label}：模板 {template}：缺少工作表「项目汇总」")
    assert "Traceback" not in message and "\n" not in message

    template.write_bytes(b"not a workbook")  # e.g. a download cut short
    result, queued, _after = run(tag, saved_payload(folder / "表.xlsx"))
    assert result is None and [a["func"] for a in queued] == ["alert"]
    assert alerts(queued) == [
        f"{label}：无法读取 {template}：不是可读取的 .xlsx 模板（BadZipFile）"
    ]


def test_parse_does_not_read_the_template(tmp_path: Path) -> None:
    """解析指标 writes no standard sheet: a broken template does not stop it."""
    (tmp_path / "home" / TEMPLATE_FILE_NAME).write_bytes(b"not a workbook")
    result, _q, _after = run("parse", seed_payload())
    assert result is not None and result.helper_columns == ["H–N"]


# --------------------------------------------------------------------------------------------
# 批量转换
# --------------------------------------------------------------------------------------------


def test_batch_convert_passes_the_template_to_convert(tmp_path: Path) -> None:
    """The folder of a department's workbooks holds their template: every output has its
    look, and the template itself is skipped, not a failed input."""
    folder = tmp_path / "各部门"
    folder.mkdir()
    shutil.copy(SEED_XLSX, folder / "协作办.xlsx")
    template = user_template(folder / TEMPLATE_FILE_NAME)
    book = book_of(saved_payload(folder / "协作办.xlsx"))
    result = ribbon.dispatch(book, "convert:folder", str(folder))
    assert result is not None
    (message,) = alerts(book.json()["actions"])
    assert "成功 1 个，失败 0 个，跳过 1 个" in message
    out = folder / actions.OUTPUT_FOLDER / "协作办_绩效汇总.xlsx"
    ws = openpyxl.load_workbook(out)[SHEET_PROJECTS]
    assert ws["A1"].value == "广州市协作办公室 项目汇总（金额单位：万元）"
    assert ws["C2"].value == "项目名称（全称）" and ws["D3"].number_format == "#,##0"
    assert ws["A2"].fill.fgColor.rgb == "FFC00000"
    # the same workbook as `perfsheet convert <folder> --template <template>` writes
    from perfsheet import convert

    direct = convert([folder], tmp_path / "命令行", template=template, jobs=1)
    skipped = [f for f in direct.files if f.status == "skipped"]
    assert [(Path(f.input).name, f.reason_code) for f in skipped] == [
        (TEMPLATE_FILE_NAME, "template")
    ]
    again = openpyxl.load_workbook(tmp_path / "命令行" / "协作办_绩效汇总.xlsx")[SHEET_PROJECTS]
    assert [[c.value for c in r] for r in again.iter_rows(max_row=26)] == [
        [c.value for c in r] for r in ws.iter_rows(max_row=26)
    ]


def test_batch_convert_with_a_bad_template_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "各部门"
    folder.mkdir()
    shutil.copy(SEED_XLSX, folder / "协作办.xlsx")
    template = write_user_template(folder / TEMPLATE_FILE_NAME, drop=SHEET_FINDINGS)
    book = book_of(saved_payload(folder / "协作办.xlsx"))
    assert ribbon.dispatch(book, "convert:folder", str(folder)) is None
    (message,) = alerts(book.json()["actions"])
    assert message.startswith(f"批量转换：模板 {template}：缺少工作表「校验结果」")
    assert not (folder / actions.OUTPUT_FOLDER).exists()


# --------------------------------------------------------------------------------------------
# 导出模板
# --------------------------------------------------------------------------------------------


def test_export_template_writes_the_built_in_one_next_to_the_workbook_once(
    tmp_path: Path,
) -> None:
    """The loop the button starts: export, change the copy in Excel, 生成汇总 uses it; a
    second click keeps the changed copy. The workbook itself is never written to."""
    folder = tmp_path / "处室 预算"
    folder.mkdir()
    target = folder / TEMPLATE_FILE_NAME
    result, queued, _after = run("template", saved_payload(folder / "表.xlsx"))
    assert result is not None and result.output == str(target)
    assert [a["func"] for a in queued] == ["alert"]
    (message,) = alerts(queued)
    assert message.splitlines()[0] == f"已导出汇总模板：{target}"
    assert "“生成汇总”“校验合计”“批量转换”" in message
    assert target.read_bytes() == TEMPLATE.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == [TEMPLATE_FILE_NAME]  # no temp left

    wb = openpyxl.load_workbook(target)  # the user changes a header in Excel
    assert wb[SHEET_PROJECTS]["C1"].value == "项目名称"
    wb[SHEET_PROJECTS]["C1"] = "项目名称（全称）"
    wb.save(target)
    edited = target.read_bytes()

    result, queued, _after = run("template", saved_payload(folder / "表.xlsx"))
    assert result is not None and result.output == str(target)
    assert [a["func"] for a in queued] == ["alert"]
    (message,) = alerts(queued)
    assert message.startswith(f"{target} 已经存在，没有覆盖。") and "\n" not in message
    assert target.read_bytes() == edited

    _r, _q, summary = run("summary", saved_payload(folder / "表.xlsx"))
    assert summary.rows(SHEET_PROJECTS)[0][2] == "项目名称（全称）"


def test_export_template_without_a_folder_says_where_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unsaved book, or xlwings Lite: the payload names no folder."""
    monkeypatch.chdir(tmp_path)
    result, queued, _after = run("template", seed_payload())
    assert result is None
    assert [a["func"] for a in queued] == ["alert"]
    assert alerts(queued) == [f"导出模板：{actions.MSG_NO_FOLDER}"]
    assert (
        "请先保存工作簿" in actions.MSG_NO_FOLDER and "perfsheet template" in actions.MSG_NO_FOLDER
    )
    assert not list(tmp_path.rglob("*.xlsx"))  # neither here nor in the (test) home folder
