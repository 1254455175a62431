"""The consolidated workbook is streamed from row caches: rows, totals, overflow, text.

The caches here are written directly, with sheet headers made for a few columns of the
built-in template's layout (:class:`ConsolidatedLook`: the cell formats the workers would give
those columns)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from perfsheet.batch.cache import (
    CACHE_FORMAT,
    CACHE_VERSION,
    CacheHeader,
    CacheMeta,
    CacheWriter,
    read_meta,
)
from perfsheet.batch.consolidate import DEPT_SHEET, display_header, write_consolidated
from perfsheet.batch.layout import ConsolidatedLook
from perfsheet.batch.models import Counts
from perfsheet.core.sheets import header_key

LOOK = ConsolidatedLook()


def _head(
    sheet: str, header: list[str], totals: list[tuple[int, str, int | None]] | None = None
) -> CacheHeader:
    """A sheet header with these columns (by header text) of the consolidated layout."""
    by_key = {c.key: c for c in LOOK.sheets[sheet]}
    columns = [by_key[header_key(h)] for h in header]
    return LOOK.cache_header(columns, header, totals or [], "合计（{n} 行）")


DETAIL = _head("绩效指标明细", ["部门名称", "来源文件", "项目名称", "总计（万元）"])
PROJECTS = _head(
    "项目汇总",
    ["部门名称", "来源文件", "项目名称", "总计（万元）", "指标数", "定量指标占比"],
    [(2, "label", None), (3, "sum", None), (4, "sum", None), (5, "ratio", 4)],
)
DEPT = _head(DEPT_SHEET, ["部门名称", "来源文件", "项目数"])


def _cache(path: Path, dept: str, n: int, *, extra: list[object] | None = None) -> Path:
    meta = CacheMeta(
        format=CACHE_FORMAT,
        version=CACHE_VERSION,
        fingerprint="fp",
        source=f"{path.stem}.xlsx",
        input_size=1,
        input_mtime_ns=1,
        output=path.name,
        counts=Counts(tables=1, projects=n, indicators=2 * n),
    )
    src = f"{path.name.split('.')[0]}.xlsx"
    with CacheWriter(path, meta) as w:
        w.header(DEPT_SHEET, DEPT)
        w.row(DEPT_SHEET, [dept, src, n])
        w.header("绩效指标明细", DETAIL)
        w.header("项目汇总", PROJECTS)
        w.header("校验结果", _head("校验结果", ["部门名称", "说明"]))
        for i in range(n):
            w.row("绩效指标明细", [dept, src, f"项目{i}", 10.0 * (i + 1)])
            w.row("项目汇总", [dept, src, f"项目{i}", 10.0 * (i + 1), 2, 0.5])
        if extra:
            w.row("绩效指标明细", [dept, src, *extra])
        w.header("说明", _head("说明", ["类别", "名称", "内容"]))
        w.row("说明", ["文件", "per-file note", "must not be copied"])
        w.commit()
    return path


def test_rows_totals_and_text(tmp_path: Path) -> None:
    a = _cache(tmp_path / "a.rows.jsonl", "甲局", 3, extra=['=HYPERLINK("x")', "+1"])
    b = _cache(tmp_path / "b.rows.jsonl", "乙局", 2)
    meta = read_meta(a)
    assert meta is not None and meta.counts.projects == 3
    out = tmp_path / "merged.xlsx"
    stats = write_consolidated(out, [a, b], [("文件", "生成工具", "test")])
    assert stats.files == 2
    assert stats.rows == {DEPT_SHEET: 2, "绩效指标明细": 6, "项目汇总": 5, "校验结果": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.rows.jsonl",
        "b.rows.jsonl",
        "merged.xlsx",
    ]

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [DEPT_SHEET, "绩效指标明细", "项目汇总", "校验结果", "说明"]
    detail = list(wb["绩效指标明细"].iter_rows(values_only=True))
    assert list(detail[0]) == [display_header(h) for h in DETAIL.header]
    assert detail[0][3] == "总计\n（万元）"  # broken before the unit
    assert len(detail) == 1 + 6
    assert detail[1][:3] == ("甲局", "a.xlsx", "项目0")
    assert detail[-1][:2] == ("乙局", "b.xlsx")
    # Text that looks like a formula stays text.
    assert detail[4][2:4] == ('=HYPERLINK("x")', "+1")
    assert wb["绩效指标明细"]["C5"].data_type == "s"
    assert wb["绩效指标明细"]["D2"].number_format == "#,##0.00"
    # 项目汇总 ends with a total row: filter-aware formulas over the data rows.
    ws = wb["项目汇总"]
    assert ws.max_row == 1 + 5 + 1
    assert ws["C7"].value == "合计（5 行）"
    assert ws["D7"].value == "=SUBTOTAL(109,D2:D6)"
    assert ws["E7"].value == "=SUBTOTAL(109,E2:E6)"
    assert ws["F7"].value.startswith("=IFERROR(SUMPRODUCT(E2:E6,F2:F6)")
    notes = list(wb["说明"].iter_rows(values_only=True))
    assert notes[1] == ("文件", "生成工具", "test")
    assert not any("per-file note" in str(r) for r in notes)
    wb.close()

    # The cached values of the total row are right (what a reader without recalculation sees).
    wbv = openpyxl.load_workbook(out, data_only=True)
    assert wbv["项目汇总"]["D7"].value == pytest.approx(10 + 20 + 30 + 10 + 20)
    assert wbv["项目汇总"]["F7"].value == pytest.approx(0.5)
    wbv.close()


def test_sheet_overflow_continues_on_another_sheet(tmp_path: Path) -> None:
    caches = [_cache(tmp_path / f"f{i}.rows.jsonl", f"局{i}", 4) for i in range(3)]
    out = tmp_path / "merged.xlsx"
    stats = write_consolidated(out, caches, [], max_rows=7)  # header + 5 rows + a total row
    assert stats.rows["绩效指标明细"] == 12
    wb = openpyxl.load_workbook(out, read_only=True)
    parts = [n for n in wb.sheetnames if n.startswith("绩效指标明细")]
    assert parts == ["绩效指标明细", "绩效指标明细（2）", "绩效指标明细（3）"]
    counts = [sum(1 for _ in wb[n].iter_rows(min_row=2)) for n in parts]
    assert counts == [5, 5, 2]
    for n in parts:
        head = list(next(wb[n].iter_rows(max_row=1, values_only=True)))
        assert head == [display_header(h) for h in DETAIL.header]
    wb.close()


def test_failed_write_leaves_previous_file_and_no_temporary(tmp_path: Path) -> None:
    good = _cache(tmp_path / "a.rows.jsonl", "甲局", 2)
    broken = tmp_path / "b.rows.jsonl"
    broken.write_text(good.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    out = tmp_path / "merged.xlsx"
    out.write_bytes(b"previous")
    with pytest.raises(ValueError):
        write_consolidated(out, [good, broken], [])
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.rows.jsonl",
        "b.rows.jsonl",
        "merged.xlsx",
    ]


def test_foreign_or_other_version_cache_is_ignored(tmp_path: Path) -> None:
    p = tmp_path / "x.rows.jsonl"
    p.write_text('{"format": "something-else", "version": 1}\n', encoding="utf-8")
    assert read_meta(p) is None
    p.write_text("", encoding="utf-8")
    assert read_meta(p) is None
    assert read_meta(tmp_path / "missing.jsonl") is None


def test_line_breaks_tabs_and_separators_in_cell_text_survive_the_cache(tmp_path: Path) -> None:
    """Rows are one line each in the cache: text with line feeds, CR, tabs, the record
    separator itself and a literal character reference must come back exactly."""
    texts = ["第一行\n第二行", "回车\r\n换行", "制表\t符", "R\t伪造\t记录", "&#10; 原样"]
    texts.append("末尾换行\n")
    a = _cache(tmp_path / "a.rows.jsonl", "甲局", 1, extra=texts[:2])
    b = _cache(tmp_path / "b.rows.jsonl", "乙局", 1, extra=texts[2:4])
    c = _cache(tmp_path / "c.rows.jsonl", "丙局", 1, extra=texts[4:])
    out = tmp_path / "merged.xlsx"
    write_consolidated(out, [a, b, c], [])
    detail = list(openpyxl.load_workbook(out)["绩效指标明细"].iter_rows(values_only=True))
    got = [v for row in detail[1:] for v in row[2:4] if isinstance(v, str) and "项目" not in v]
    # CR is stored in Excel's _xHHHH_ notation (XML turns a raw CR into LF); openpyxl does
    # not decode it, Excel does (ECMA-376 Part 1, 22.4.2.4)
    assert [v.replace("_x000D_", "\r") for v in got] == texts


def test_sheets_are_set_up_for_printing_like_the_template(tmp_path: Path) -> None:
    """A4 landscape, one page wide, the header row on every page, the template's page header,
    footer and tab colours (部门汇总 like 项目汇总); 校验结果's rows coloured by 级别."""
    from perfsheet.io.template import builtin_template

    a = _cache(tmp_path / "a.rows.jsonl", "甲局", 2)
    findings = tmp_path / "f.rows.jsonl"
    meta = read_meta(a)
    assert meta is not None
    with CacheWriter(findings, meta) as w:
        w.header("校验结果", _head("校验结果", ["部门名称", "级别", "规则", "说明"]))
        for level in ("错误", "警告", "提示"):
            w.row("校验结果", ["乙局", level, "row-total", "说明文字"])
        w.commit()
    out = tmp_path / "merged.xlsx"
    write_consolidated(out, [findings, a], [("文件", "生成工具", "test")])

    spec = builtin_template()
    wb = openpyxl.load_workbook(out)
    for name in (DEPT_SHEET, "绩效指标明细", "项目汇总", "校验结果", "说明"):
        ws = wb[name]
        t = spec.sheets[name if name != DEPT_SHEET else "项目汇总"]
        assert ws.page_setup.orientation == "landscape", name
        # 绩效指标明细 (20 columns) prints on A3, the others on the template's A4
        assert int(ws.page_setup.paperSize) == (8 if name == "绩效指标明细" else 9), name
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
        assert ws.print_title_rows == "$1:$1"
        assert ws.row_dimensions[1].height == t.header_height
        assert ws.print_options.horizontalCentered
        assert ws.page_margins.left == t.margins["left"]
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
        if name == DEPT_SHEET:
            assert ws.oddHeader.left.text == "&A" and ws.sheet_properties.tabColor is None
        else:
            assert ws.oddHeader.left.text == name
            assert ws.sheet_properties.tabColor.rgb == "FF" + t.tab_color.lstrip("#")
    assert wb["绩效指标明细"].print_options.gridLines
    rules = [
        (str(cf.sqref), r.formula[0], r.dxf.fill.bgColor.rgb)
        for cf in wb["校验结果"].conditional_formatting
        for r in cf.rules
    ]
    assert rules == [
        ("A2:D4", '$B2="错误"', "FFFFC7CE"),
        ("A2:D4", '$B2="警告"', "FFFFEB9C"),
        ("A2:D4", '$B2="提示"', "FFDDEBF7"),
    ]
    assert not wb["项目汇总"].conditional_formatting
    # header cells as the template sheet's header (部门汇总: 项目汇总's), every cell in its
    # default font
    for name in (DEPT_SHEET, "绩效指标明细", "校验结果"):
        head = spec.sheets[name if name != DEPT_SHEET else "项目汇总"].columns[0].header_style
        a1 = wb[name]["A1"]
        assert a1.fill.fgColor.rgb == "FF" + head["bg_color"].lstrip("#")
        assert a1.font.b and a1.font.color.rgb == "FF" + head["font_color"].lstrip("#")
        assert a1.alignment.horizontal == head["align"] and a1.alignment.wrap_text
        assert a1.border.left.style == "thin"
        assert a1.border.left.color.rgb == "FF" + head["left_color"].lstrip("#")
    font = spec.default_font["font_name"]
    assert wb["绩效指标明细"]["A1"].font.name == wb["绩效指标明细"]["C2"].font.name == font
    assert wb["绩效指标明细"]["D2"].number_format == "#,##0.00"


def test_widths_fit_the_longest_value_up_to_a_cap_and_rows_fit_wrapped_text(
    tmp_path: Path,
) -> None:
    """部门汇总's 来源文件 is as wide as the longest file name; a text column wider than its
    cap wraps, and its row is as high as the lines it takes; headers break before （."""
    from perfsheet.batch.consolidate import SHEET_WIDTH_CAP, WIDTH_CAP, display_header, fit_widths
    from perfsheet.io.xlsx_stream import text_width

    long_name = "示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx"
    meta = read_meta(_cache(tmp_path / "a.rows.jsonl", "甲局", 1))
    assert meta is not None
    path = tmp_path / "w.rows.jsonl"
    problem = "问题说明" * 15  # 120 units: wraps in a capped column
    cap = SHEET_WIDTH_CAP["绩效指标明细"]
    with CacheWriter(path, meta) as w:
        w.header(DEPT_SHEET, DEPT)
        w.row(DEPT_SHEET, ["甲局", long_name, 3])
        w.header("绩效指标明细", DETAIL)
        w.row("绩效指标明细", ["甲局", "a.xlsx", problem, 1234567.5])
        w.row("绩效指标明细", ["甲局", "a.xlsx", "第一行\n第二行\n第三行", 1.0])
        w.commit()
    out = tmp_path / "merged.xlsx"
    write_consolidated(out, [path], [("文件", "生成时间", "2026-12-04 19:30:00 +08:00")])

    wb = openpyxl.load_workbook(out)
    dept = wb[DEPT_SHEET]
    width = dept.column_dimensions["B"].width
    assert text_width(long_name) < width < text_width(long_name) + 3  # fits, not more
    assert dept.column_dimensions["C"].width < 12  # 项目数: as wide as its header
    detail = wb["绩效指标明细"]
    assert detail.column_dimensions["C"].width == pytest.approx(cap + 0.71, abs=0.01)
    assert detail["C2"].alignment.wrap_text
    lines = -(-text_width(problem) // (2 * ((cap - 1) // 2)))
    assert detail.row_dimensions[2].height == pytest.approx(15 * lines)
    assert detail.row_dimensions[3].height == pytest.approx(15 * 3)  # three lines
    # the amount column fits the total row's (bold) figure
    assert detail.column_dimensions["D"].width >= len("1,234,568.50")
    assert detail["D1"].value == "总计\n（万元）"
    wb.close()

    assert display_header("财政专户拨款（万元）") == "财政专户拨款\n（万元）"
    assert display_header("（万元）") == "（万元）"  # nothing before the bracket: no break
    assert display_header("项目数") == "项目数"
    # the header's longest line is the floor; a value is capped
    assert fit_widths(["财政专户拨款（万元）", "说明"], {0: 3.0, 1: 500.0}) == [14.0, WIDTH_CAP]


def test_aggregates_are_read_from_the_end_of_a_cache(tmp_path: Path) -> None:
    from perfsheet.batch.cache import read_aggregates

    path = _cache(tmp_path / "a.rows.jsonl", "甲局", 3000)  # several 64 KiB blocks of rows
    aggs = read_aggregates(path)
    assert aggs["项目汇总"].rows == 3000
    assert aggs["项目汇总"].sums[3] == pytest.approx(sum(10.0 * (i + 1) for i in range(3000)))
    assert aggs["绩效指标明细"].widths[2] == 2 * 2 + 4  # 项目2999
    assert set(aggs) == {DEPT_SHEET, "绩效指标明细", "项目汇总", "校验结果", "说明"}


def test_a_width_the_template_sets_is_kept_and_its_texts_wrap(tmp_path: Path) -> None:
    """A column the template makes narrower than any fitted one (12) keeps that width; its
    texts wider than it are noted by the cache and their rows made high enough; a hidden
    column's text takes no room."""
    import dataclasses

    by_key = {c.key: c for c in LOOK.sheets["绩效指标明细"]}
    columns = [
        by_key["部门名称"],
        dataclasses.replace(by_key["项目名称"], width=12.0),
        dataclasses.replace(by_key["问题"], hidden=True),
    ]
    head = LOOK.cache_header(columns, ["部门名称", "项目名称", "问题"])
    meta = read_meta(_cache(tmp_path / "a.rows.jsonl", "甲局", 1))
    assert meta is not None
    path = tmp_path / "w.rows.jsonl"
    name = "农村义务教育学生营养改善"  # 24 units: fits a fitted column, not one 12 wide
    with CacheWriter(path, meta) as w:
        w.header("绩效指标明细", head)
        w.row("绩效指标明细", ["甲局", name, "短"])
        w.row("绩效指标明细", ["甲局", "短名", "很长的问题说明" * 10])
        w.commit()
    out = tmp_path / "merged.xlsx"
    write_consolidated(out, [path], [])
    wb = openpyxl.load_workbook(out)
    ws = wb["绩效指标明细"]
    assert ws.column_dimensions["B"].width == pytest.approx(12.71, abs=0.01)
    assert ws.column_dimensions["C"].hidden
    assert ws.row_dimensions[2].height == pytest.approx(15 * 3)  # 10 units a line
    assert ws.row_dimensions[3].height is None
    wb.close()
