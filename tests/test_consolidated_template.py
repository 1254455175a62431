"""One sheet spec feeds both outputs of ``perfsheet convert --template``: the consolidated
workbook heads and formats its columns as each per-file summary does.

A user template is made the way a user would make one: the built-in template
(``templates/标准汇总模板.xlsx``) opened in openpyxl, two headers renamed (one still names its
column, one becomes the user's own empty column), 项目汇总's header restyled, the 资金 columns
given another number format and font colour, a fill on one column's data cells, a width of
its own and a hidden column. Three example inputs are converted with it, and both outputs are
read back with openpyxl (and the consolidated one also through LibreOffice): for each
standard sheet, every column of the per-file summary stands in the consolidated workbook
under the same header text (amounts in 万元 there), its header, data and total-row cells
formatted alike. The consolidated workbook adds to the template's data cells only what its
fitted layout needs: text wraps, and cells the template does not align vertically are
top-aligned.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill

import perfsheet
from perfsheet.batch.cache import CACHE_VERSION, read_meta
from perfsheet.batch.consolidate import write_consolidated
from perfsheet.batch.layout import ConsolidatedLook
from perfsheet.batch.naming import CACHE_DIR, CONSOLIDATED_NAME
from perfsheet.core.sheets import AMOUNT_KEYS, header_key
from perfsheet.io.template import read_template
from summary_helpers import TEMPLATE, lo_convert, soffice

ROOT = Path(__file__).resolve().parents[1]
INPUTS = (
    "广州市协作办公室_项目支出绩效目标表.xlsx",
    "示例县教育局_项目支出绩效目标表_逐行.xlsx",
    "示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx",
)
SHEETS = ("绩效指标明细", "项目汇总", "校验结果")
# what the user's template changes
PROJECT_HEAD_FILL, PROJECT_HEAD_FONT, PROJECT_HEAD_COLOR = "FFFCE4D6", "黑体", "FF833C0B"
MONEY_FORMAT, MONEY_COLOR = "#,##0.000", "FFC00000"
COUNT_FILL = "FFFFF2CC"
LOCATION_WIDTH = 40


def _header_cells(ws: Any) -> dict[str, Cell]:
    return {str(c.value).strip(): c for c in ws[1] if c.value is not None}


def write_user_template(path: Path) -> Path:
    """The built-in template with a user's changes (see the module docstring)."""
    wb = openpyxl.load_workbook(TEMPLATE)
    projects = _header_cells(wb["项目汇总"])
    projects["项目名称"].value = "项目名称（全称）"  # still 项目名称, shown with the note
    for cell in projects.values():
        cell.fill = PatternFill("solid", fgColor=PROJECT_HEAD_FILL)
        cell.font = Font(name=PROJECT_HEAD_FONT, size=12, bold=True, color=PROJECT_HEAD_COLOR)
    body = wb["项目汇总"].cell(2, projects["指标数"].column)
    body.fill = PatternFill("solid", fgColor=COUNT_FILL)
    location = projects["来源位置"].column_letter
    wb["项目汇总"].column_dimensions[location].width = LOCATION_WIDTH
    detail = _header_cells(wb["绩效指标明细"])
    detail["问题"].value = "审核意见"  # no column of perfsheet's: the user's own, left empty
    wb["绩效指标明细"].column_dimensions[detail["指标序号"].column_letter].hidden = True
    for name in ("绩效指标明细", "项目汇总"):
        ws = wb[name]
        for key, cell in _header_cells(ws).items():
            if key in AMOUNT_KEYS:
                money = ws.cell(2, cell.column)
                money.number_format = MONEY_FORMAT
                money.font = Font(name="等线", size=11, color=MONEY_COLOR)
    wb.save(path)
    return path


def _inbox(root: Path) -> Path:
    inbox = root / "收件"
    inbox.mkdir()
    for name in INPUTS:
        shutil.copy(ROOT / "examples" / name, inbox / name)
    return inbox


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tpl")
    template = write_user_template(root / "我的模板.xlsx")
    out = root / "输出"
    report = perfsheet.convert(_inbox(root), out, template=template, jobs=2)
    assert report.summary.ok == len(INPUTS), report.summary
    return {"root": root, "template": template, "out": out}


def _color(c: Any) -> str | None:
    """A font or fill colour; the default (automatic, theme 1 as XlsxWriter writes the
    default font, black) as None."""
    if c is None or c.type == "theme" or c.rgb in ("FF000000", "00000000"):
        return None
    return str(c.rgb)


def look(cell: Cell) -> dict[str, Any]:
    """What a reader shows of a cell's format."""
    fill = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
    return {
        "font": (cell.font.name, float(cell.font.sz or 11), bool(cell.font.b)),
        "color": _color(cell.font.color),
        "fill": fill,
        "format": cell.number_format,
        "align": cell.alignment.horizontal,
        "border": (cell.border.left.style, cell.border.top.style),
    }


def _name(text: Any) -> str:
    """A header as compared: without the line break the merge puts before a unit; amounts
    without their unit (a file's own there, 万元 in the merge)."""
    text = str(text).replace("\n", "")
    return header_key(text) if header_key(text) in AMOUNT_KEYS else text


def _data_rows(ws: Any) -> list[tuple[Cell, ...]]:
    """The data rows: below the header, up to the total row or the first empty row."""
    out = []
    for row in ws.iter_rows(min_row=2):
        values = [c.value for c in row]
        if all(v is None for v in values):
            break
        if any(isinstance(v, str) and v.startswith("合计（") for v in values):
            break
        out.append(row)
    return out


def _total_row(ws: Any) -> tuple[Cell, ...]:
    for row in ws.iter_rows(min_row=2):
        if any(isinstance(c.value, str) and c.value.startswith("合计（") for c in row):
            return row
    raise AssertionError(f"no total row in {ws.title}")


def _first_value(rows: list[tuple[Cell, ...]], col: int) -> Cell | None:
    return next((r[col] for r in rows if col < len(r) and r[col].value not in (None, "")), None)


def compare(summary: Path, merged: Path) -> dict[str, list[str]]:
    """Assert that every column of the summary's standard sheets stands in the merged
    workbook under the same header text, formatted alike (header, data and total-row cells);
    returns the compared headers per sheet."""
    a = openpyxl.load_workbook(summary)
    b = openpyxl.load_workbook(merged)
    compared: dict[str, list[str]] = {}
    for sheet in SHEETS:
        ws, wm = a[sheet], b[sheet]
        columns = [(c.column - 1, _name(c.value)) for c in ws[1] if c.value is not None]
        heads = [h for _col, h in columns]
        merged_heads = [_name(c.value) for c in wm[1]]
        # the summary's columns, in its order, among the merge's (which adds 部门名称, 来源文件)
        assert [h for h in merged_heads if h in heads] == heads, (sheet, heads, merged_heads)
        rows_s, rows_m = _data_rows(ws), _data_rows(wm)
        assert rows_s and rows_m, sheet
        for col, head in columns:
            mcol = merged_heads.index(head)
            sh, mh = ws.cell(1, col + 1), wm.cell(1, mcol + 1)
            assert look(mh) == look(sh), (sheet, head, "header")
            assert mh.alignment.wrap_text  # broken before its unit
            if header_key(head) in AMOUNT_KEYS:
                assert str(mh.value).endswith("（万元）"), mh.value
            if ws.column_dimensions[sh.column_letter].hidden:
                assert wm.column_dimensions[mh.column_letter].hidden, (sheet, head)
            sb, mb = _first_value(rows_s, col), _first_value(rows_m, mcol)
            if sb is None:  # empty in this file (the user's own column, 问题…)
                continue
            assert mb is not None, (sheet, head)
            assert look(mb) == look(sb), (sheet, head, "data")
            assert mb.alignment.vertical == (sb.alignment.vertical or "top"), (sheet, head)
            assert mb.alignment.wrap_text, (sheet, head)
        compared[sheet] = heads
    # the total row of 项目汇总: label, money and counts alike
    ts, tm = _total_row(a["项目汇总"]), _total_row(b["项目汇总"])
    heads_s = [_name(c.value) for c in a["项目汇总"][1]]
    heads_m = [_name(c.value) for c in b["项目汇总"][1]]
    label = "项目名称（全称）" if "项目名称（全称）" in heads_s else "项目名称"
    for head in (label, "总计", "指标数"):
        cs, cm = ts[heads_s.index(head)], tm[heads_m.index(head)]
        assert look(cm) == look(cs), ("total", head)
    a.close()
    b.close()
    return compared


def test_consolidated_heads_and_formats_columns_as_each_summary(converted: dict) -> None:
    out: Path = converted["out"]
    merged = out / CONSOLIDATED_NAME
    for name in INPUTS:
        summary = out / name.replace(".xlsx", "_绩效汇总.xlsx")
        compared = compare(summary, merged)
        assert "项目名称（全称）" in compared["项目汇总"]
        assert "审核意见" in compared["绩效指标明细"]

    # the user's changes themselves, not only their agreement
    wb = openpyxl.load_workbook(merged)
    projects = wb["项目汇总"]
    heads = {_name(c.value): c for c in projects[1]}
    head = heads["项目名称（全称）"]
    assert head.fill.fgColor.rgb == PROJECT_HEAD_FILL
    assert (head.font.name, head.font.color.rgb) == (PROJECT_HEAD_FONT, PROJECT_HEAD_COLOR)
    # each sheet its own header: 绩效指标明细 keeps the built-in one
    assert wb["绩效指标明细"]["C1"].fill.fgColor.rgb == "FF1F4E78"
    # 部门汇总 is formatted like 项目汇总 (its columns of the same name)
    assert wb["部门汇总"]["A1"].fill.fgColor.rgb == PROJECT_HEAD_FILL
    total = projects.cell(2, heads["总计"].column)
    assert total.number_format == MONEY_FORMAT and total.font.color.rgb == MONEY_COLOR
    assert projects.cell(2, heads["指标数"].column).fill.fgColor.rgb == COUNT_FILL
    dept = {_name(c.value): c.column for c in wb["部门汇总"][1]}
    assert wb["部门汇总"].cell(2, dept["总计"]).number_format == MONEY_FORMAT
    # the width the user gave 来源位置 (the built-in one is 24) is the summary's; the others
    # stay fitted (项目名称: 36 in the template, as wide as the longest name here)
    summary = openpyxl.load_workbook(out / INPUTS[0].replace(".xlsx", "_绩效汇总.xlsx"))
    own = {_name(c.value): c.column_letter for c in summary["项目汇总"][1]}
    width = summary["项目汇总"].column_dimensions[own["来源位置"]].width
    summary.close()
    assert width == pytest.approx(LOCATION_WIDTH, abs=0.01)  # as the file stores it
    location = heads["来源位置"].column_letter
    assert projects.column_dimensions[location].width == pytest.approx(width, abs=0.01)
    name_width = projects.column_dimensions[heads["项目名称（全称）"].column_letter].width
    assert name_width != pytest.approx(36.71, abs=0.01)
    detail = wb["绩效指标明细"]
    detail_heads = {_name(c.value): c for c in detail[1]}
    assert detail.column_dimensions[detail_heads["指标序号"].column_letter].hidden
    problems = detail_heads["审核意见"].column
    assert all(detail.cell(r, problems).value is None for r in range(2, detail.max_row + 1))
    wb.close()


def test_level_colours_follow_the_renamed_column(converted: dict, tmp_path: Path) -> None:
    """校验结果's 级别 column renamed by a template (级别（严重程度）) still colours its rows."""
    saved = tmp_path / "级别模板.xlsx"
    wb = openpyxl.load_workbook(converted["template"])
    _header_cells(wb["校验结果"])["级别"].value = "级别（严重程度）"
    wb.save(saved)
    out = tmp_path / "out"
    perfsheet.convert(converted["root"] / "收件", out, template=saved, jobs=1)
    wb = openpyxl.load_workbook(out / CONSOLIDATED_NAME)
    ws = wb["校验结果"]
    heads = [str(c.value).replace("\n", "") for c in ws[1]]
    col = ws.cell(1, heads.index("级别（严重程度）") + 1).column_letter
    formulas = [r.formula[0] for cf in ws.conditional_formatting for r in cf.rules]
    assert formulas == [f'${col}2="错误"', f'${col}2="警告"', f'${col}2="提示"']
    wb.close()


def test_without_a_template_the_built_in_one_feeds_both(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = perfsheet.convert(_inbox(tmp_path), out, jobs=2)
    assert report.summary.ok == len(INPUTS)
    merged = out / CONSOLIDATED_NAME
    for name in INPUTS:
        compare(out / name.replace(".xlsx", "_绩效汇总.xlsx"), merged)
    wb = openpyxl.load_workbook(merged)
    heads = [c.value for c in wb["项目汇总"][1]]
    assert heads[:4] == [
        "部门名称",
        "来源文件",
        "资金使用单位",
        "项目名称",
    ]
    assert wb["项目汇总"]["A1"].fill.fgColor.rgb == "FF1F4E78"
    wb.close()


@pytest.mark.libreoffice
def test_libreoffice_reads_the_template_formats(converted: dict, tmp_path: Path) -> None:
    """LibreOffice as an independent reader: it opens the consolidated workbook and saves it
    again (its own styles part); the user's formats are what it read."""
    soffice()
    merged = converted["out"] / CONSOLIDATED_NAME
    lo_convert([merged], tmp_path / "lo", target="xlsx")
    back = tmp_path / "lo" / merged.name
    wb = openpyxl.load_workbook(back)
    projects = wb["项目汇总"]
    heads = {_name(c.value): c for c in projects[1]}
    head = heads["项目名称（全称）"]
    assert head.fill.fgColor.rgb == PROJECT_HEAD_FILL
    # (the font's name is the one LibreOffice substituted when 黑体 is not installed)
    assert (head.font.sz, head.font.b) == (12, True)
    assert _color(head.font.color) == PROJECT_HEAD_COLOR
    money = projects.cell(2, heads["总计"].column)
    assert money.number_format == MONEY_FORMAT and _color(money.font.color) == MONEY_COLOR
    assert projects.cell(2, heads["指标数"].column).fill.fgColor.rgb == COUNT_FILL
    assert "审核意见" in [_name(c.value) for c in wb["绩效指标明细"][1]]
    detail_heads = {_name(c.value): c for c in wb["绩效指标明细"][1]}
    assert wb["绩效指标明细"].column_dimensions[detail_heads["指标序号"].column_letter].hidden
    wb.close()


def test_an_old_cache_is_rebuilt_not_misread(converted: dict, tmp_path: Path) -> None:
    """Row caches of the previous format (fixed cell formats) are converted again: their
    version no longer matches, so the input is not "up to date"; and a merge never copies
    the rows of a cache of another version or another template."""
    out = tmp_path / "out"
    shutil.copytree(converted["out"], out)
    caches = sorted((out / CACHE_DIR).rglob("*.rows.jsonl"))
    assert len(caches) == len(INPUTS)
    old = caches[0]
    lines = old.read_text(encoding="utf-8").split("\n")
    meta = json.loads(lines[0])
    meta["version"] = 6
    lines[0] = json.dumps(meta, ensure_ascii=False)
    old.write_text("\n".join(lines), encoding="utf-8")
    assert read_meta(old) is None

    look = ConsolidatedLook(read_template(converted["template"]))
    with pytest.raises(ValueError, match="不是本版本"):
        write_consolidated(tmp_path / "x.xlsx", [old], [], styles=look)
    # a current cache, merged with the formats of another template (the built-in one)
    with pytest.raises(ValueError, match="单元格格式"):
        write_consolidated(tmp_path / "y.xlsx", caches[1:2], [], styles=ConsolidatedLook())
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.xlsx").exists()

    report = perfsheet.convert(converted["root"] / "收件", out, template=converted["template"])
    status = {Path(f.input).name: f.status for f in report.files}
    rebuilt = json.loads(old.read_text(encoding="utf-8").split("\n", 1)[0])
    assert rebuilt["version"] == CACHE_VERSION
    assert sorted(status.values()).count("ok") == 1, status  # the others are up to date
    compare(out / INPUTS[0].replace(".xlsx", "_绩效汇总.xlsx"), out / CONSOLIDATED_NAME)
