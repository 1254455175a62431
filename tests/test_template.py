"""The summary template: reproducible build, the packaged spec, reading user templates."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from perfsheet.core.sheets import (
    REQUIRED_SHEETS,
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    STANDARD_SHEETS,
    default_layout,
)
from perfsheet.errors import InputError, UsageError
from perfsheet.io.template import (
    builtin_template,
    fill_placeholders,
    find_template_file,
    load_template,
    read_template,
    spec_json,
)
from perfsheet.io.user_files import TEMPLATE_FILE_NAME
from summary_helpers import ROOT, TEMPLATE, write_user_template

BUILD = ROOT / "templates" / "build_template.py"


def run_build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD), *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_build_is_reproducible_and_committed_files_are_current(tmp_path: Path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run_build("--out", str(a)).returncode == 0
    assert run_build("--out", str(b)).returncode == 0
    digest = hashlib.sha256(a.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(b.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(TEMPLATE.read_bytes()).hexdigest()
    check = run_build("--check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_packaged_spec_equals_reading_the_committed_template() -> None:
    spec = read_template(TEMPLATE)
    spec.source = None
    assert spec_json(spec) == spec_json(builtin_template())
    assert load_template(None) is builtin_template()


def test_builtin_template_layout_and_settings() -> None:
    spec = builtin_template()
    assert set(spec.sheets) == set(STANDARD_SHEETS)
    assert spec.default_font == {"font_name": "等线", "font_size": 11.0}
    for name in STANDARD_SHEETS:
        s = spec.sheets[name]
        assert [c.key for c in s.columns] == default_layout(name)
        assert s.header_row == 0 and s.freeze == (1, 0)
        assert s.landscape and s.paper == 9 and s.repeat_header
        assert (s.fit_width, s.fit_height) == (1, 0)
        assert s.print_footer and "&P" in s.print_footer
        assert all(c.width for c in s.columns)
        assert all(c.header_style.get("bold") for c in s.columns)
        assert s.autofilter is (name != SHEET_NOTES)
    cols = {c.key: c for c in spec.sheets[SHEET_PROJECTS].columns}
    assert cols["总计"].body_style["num_format"] == "#,##0.00"
    assert cols["定量指标占比"].body_style["num_format"] == "0.0%"
    cf = spec.sheets[SHEET_FINDINGS].conditional
    assert [c.options["criteria"] for c in cf] == ['=$A2="错误"', '=$A2="警告"', '=$A2="提示"']
    assert cf[0].style["bg_color"] == "#FFC7CE"
    assert (cf[0].first_col, cf[0].last_col) == (0, len(default_layout(SHEET_FINDINGS)) - 1)


def test_read_user_template(tmp_path: Path) -> None:
    spec = read_template(write_user_template(tmp_path / "我的模板.xlsx"))
    assert spec.source == "我的模板.xlsx"
    d = spec.sheets[SHEET_DETAIL]
    assert d.header_row == 2
    assert [c.key for c in d.columns] == [
        "三级指标",
        "年度指标值",
        "项目名称",
        None,
        "总计",
        "指标性质",
    ]
    assert [c.header for c in d.columns][3:5] == ["审核意见", "总计（元）"]
    assert d.columns[0].width == pytest.approx(40 - 5 / 7, abs=0.01)  # openpyxl stores file width
    assert d.columns[4].body_style["num_format"] == "#,##0"
    assert d.freeze == (3, 1) and d.autofilter
    hs = d.columns[0].header_style
    assert hs["bold"] and hs["font_color"] == "#FFFFFF"
    # openpyxl writes the Office 2007 theme: accent 1 is 4F81BD, 40 % lighter is 95B3D7
    assert hs["bg_color"] == "#95B3D7"
    title = {(c.row, c.col): c for c in d.title_cells}
    assert title[(0, 0)].value == "{部门名称} 绩效指标汇总"
    assert title[(0, 0)].style["font_name"] == "黑体" and title[(0, 0)].style["bold"]
    assert d.title_merges == [(0, 0, 0, 3)] and d.title_heights == {0: 28.0}
    # 说明 is optional: the built-in layout is used
    assert spec.sheets[SHEET_NOTES] == builtin_template().sheets[SHEET_NOTES]


@pytest.mark.parametrize("missing", REQUIRED_SHEETS)
def test_template_without_a_required_sheet_is_refused_in_chinese(
    tmp_path: Path, missing: str
) -> None:
    path = write_user_template(tmp_path / "缺表.xlsx", drop=missing)
    with pytest.raises(UsageError) as err:
        read_template(path)
    assert f"缺少工作表「{missing}」" in str(err.value)


def test_template_sheet_without_header_is_refused(tmp_path: Path) -> None:
    path = write_user_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_FINDINGS]
    ws.delete_rows(1, ws.max_row)
    wb.save(path)
    with pytest.raises(UsageError, match="找不到表头行"):
        read_template(path)


def test_unreadable_templates(tmp_path: Path) -> None:
    bad = tmp_path / "假模板.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(InputError, match="不是可读取的"):
        read_template(bad)
    with pytest.raises(InputError, match="不存在"):
        load_template(tmp_path / "无.xlsx")


def test_column_widths_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    widths = [8, 12.5, 30, 0.5, 2]
    for name in REQUIRED_SHEETS:
        ws = wb.add_worksheet(name)
        for i, key in enumerate(default_layout(name)[:5]):
            ws.write(0, i, key)
            ws.set_column(i, i, widths[i])
    wb.close()
    spec = read_template(path)
    for name in REQUIRED_SHEETS:
        got = [c.width for c in spec.sheets[name].columns]
        assert got == pytest.approx(widths, abs=1 / 7)  # one pixel


def test_fill_placeholders() -> None:
    text = "{部门名称}：{来源文件}（{未知}）"
    assert (
        fill_placeholders(text, {"部门名称": "测试局", "来源文件": "a.xlsx"})
        == "测试局：a.xlsx（{未知}）"
    )


def test_with_columns_adds_the_batch_columns_once() -> None:
    from perfsheet.io.template import with_columns

    base = builtin_template()
    spec = with_columns(
        base, {SHEET_DETAIL: ["来源文件", "三级指标"], SHEET_FINDINGS: ["来源文件"]}
    )
    keys = [c.key for c in spec.sheets[SHEET_DETAIL].columns]
    assert keys == [*default_layout(SHEET_DETAIL), "来源文件"]
    added = spec.sheets[SHEET_DETAIL].columns[-1]
    assert added.index == len(default_layout(SHEET_DETAIL)) and added.header_style["bold"]
    assert spec.sheets[SHEET_FINDINGS].conditional[0].last_col == len(
        default_layout(SHEET_FINDINGS)
    )
    assert [c.key for c in base.sheets[SHEET_DETAIL].columns] == default_layout(SHEET_DETAIL)


def test_the_add_in_template_is_found_next_to_the_workbook_then_in_home(tmp_path: Path) -> None:
    """The buttons' template: ``perfsheet.template.xlsx`` beside the workbook wins over the one
    in the home folder; no workbook folder (xlwings Lite, an unsaved book): home only."""
    book_dir, home = tmp_path / "预算 2025", tmp_path / "home"
    book_dir.mkdir()
    home.mkdir()
    book = book_dir / "协作办.xlsx"
    assert find_template_file(book, home=home) is None
    assert load_template(find_template_file(book, home=home)) is builtin_template()
    shutil.copy(TEMPLATE, home / TEMPLATE_FILE_NAME)
    assert find_template_file(book, home=home) == home / TEMPLATE_FILE_NAME
    assert find_template_file(None, home=home) == home / TEMPLATE_FILE_NAME
    shutil.copy(TEMPLATE, book_dir / TEMPLATE_FILE_NAME)
    assert find_template_file(book, home=home) == book_dir / TEMPLATE_FILE_NAME
    assert load_template(find_template_file(book, home=home)).source == TEMPLATE_FILE_NAME
    (book_dir / TEMPLATE_FILE_NAME).unlink()
    (book_dir / TEMPLATE_FILE_NAME).mkdir()  # a folder of that name is not a template
    assert find_template_file(book, home=home) == home / TEMPLATE_FILE_NAME


def test_template_errors_name_the_file(tmp_path: Path) -> None:
    """A template that is no workbook, or whose parts are not XML, is an InputError; one
    without a standard sheet a TemplateError; each names the file (CLI and add-in alike)."""
    import zipfile

    from perfsheet.errors import TemplateError

    broken = tmp_path / "坏" / TEMPLATE_FILE_NAME
    broken.parent.mkdir()
    with zipfile.ZipFile(TEMPLATE) as zin, zipfile.ZipFile(broken, "w") as zout:
        for name in zin.namelist():
            data = b"<not xml" if name == "xl/workbook.xml" else zin.read(name)
            zout.writestr(name, data)
    with pytest.raises(InputError) as err:
        read_template(broken)
    assert str(broken) in str(err.value) and "ParseError" in str(err.value)
    missing = write_user_template(tmp_path / "缺表.xlsx", drop=SHEET_PROJECTS)
    with pytest.raises(TemplateError) as info:
        read_template(missing)
    assert info.value.path == str(missing)
    assert str(info.value).startswith(f"模板 {missing}：缺少工作表「项目汇总」")
