"""Writing the summary workbook: standard sheets (XlsxWriter), the source copy (openpyxl +
zip-level merge), the .xls rebuild; read back with openpyxl, calamine and LibreOffice."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from perfsheet.core.annotations import HELPER_HEADERS
from perfsheet.core.sheets import (
    SHEET_DETAIL,
    SHEET_FINDINGS,
    SHEET_NOTES,
    SHEET_PROJECTS,
    STANDARD_SHEETS,
)
from perfsheet.core.summary_rows import SummaryPlan
from perfsheet.core.timestamps import format_timestamp
from perfsheet.io.atomic import atomic_output
from perfsheet.io.summary_writer import layout_from_spec, write_standard_only
from perfsheet.io.template import builtin_template, read_template
from perfsheet.io.xlsx_merge import _ZipOut
from perfsheet.summary import summarize
from summary_helpers import (
    EXAMPLE,
    SOURCE_SHEET,
    check_package,
    lo_convert,
    lo_number,
    lo_sheets,
    sample_result,
    write_source_workbook,
    write_user_template,
)

WHEN = dt.datetime(2025, 3, 1, 9, 30, 0)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def values(path: Path, sheet: str) -> list[list]:
    """Cell values as calamine reads them (cached formula results included)."""
    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def write_sample(tmp_path: Path, spec=None, **plan_kw) -> Path:
    spec = spec or builtin_template()
    plan = SummaryPlan(
        layout=layout_from_spec(spec),
        amount_unit="万元",
        generated_at=WHEN,
        version="9.9.9",
        sources=["测试局.xlsx"],
        template=spec.source,
        **plan_kw,
    )
    out = tmp_path / "summary.xlsx"
    with atomic_output(out) as tmp:
        write_standard_only(tmp, plan, spec, [(sample_result(), "测试局.xlsx")])
    return out


# ---- standard sheets only -------------------------------------------------------------------


def test_standard_sheets_values_formats_and_settings(tmp_path: Path) -> None:
    out = write_sample(tmp_path)
    assert check_package(out) == []
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(STANDARD_SHEETS)
    assert wb.active.title == SHEET_PROJECTS

    d = wb[SHEET_DETAIL]
    assert d["D1"].value == "总计（万元）" and d["K1"].value == "三级指标"
    assert d.max_row == 1 + 8
    assert d["C2"].value == "青年人才培训项目" and d["D2"].value == 121
    assert d["D2"].number_format == "#,##0.00"
    assert d["O2"].value == 390 and d["Q2"].value == "定量"
    assert d.freeze_panes == "A2"
    assert d.auto_filter.ref == "A1:S9"
    assert d.print_title_rows == "$1:$1"
    assert d.page_setup.orientation == "landscape" and int(d.page_setup.paperSize) == 9
    assert d.sheet_properties.pageSetUpPr.fitToPage and d.page_setup.fitToHeight == 0
    assert d["A1"].font.b and d["A1"].fill.fgColor.rgb.endswith("1F4E78")
    assert not d._hyperlinks  # the source is not in this workbook: no links

    p = wb[SHEET_PROJECTS]
    assert p.max_row >= 1 + 4 + 1
    assert p["M2"].number_format == "0.0%" and p["M2"].value == pytest.approx(0.75)
    total = {c.column_letter: c.value for c in p[6]}
    assert total["C"] == "合计（4 个项目）"
    assert total["D"] == "=SUBTOTAL(109,D2:D5)"
    assert total["M"] == '=IFERROR(SUMPRODUCT(H2:H5,M2:M5)/SUM(H2:H5),"")'
    cached = values(out, SHEET_PROJECTS)[5]
    assert cached[3] == pytest.approx(203.5) and cached[7] == 7
    assert cached[12] == pytest.approx(4 / 7)
    assert p.auto_filter.ref == "A1:Q5"  # the total row is outside the filter

    f = wb[SHEET_FINDINGS]
    assert [f.cell(r, 1).value for r in (2, 3, 4)] == ["错误", "提示", "警告"]
    assert f["C2"].value == "表1!B7"
    rules = [(str(cf.sqref), r.formula[0]) for cf in f.conditional_formatting for r in cf.rules]
    assert rules == [("A2:H4", '$A2="错误"'), ("A2:H4", '$A2="警告"'), ("A2:H4", '$A2="提示"')]

    n = wb[SHEET_NOTES]
    facts = {r[1].value: r[2].value for r in n.iter_rows(min_row=2) if r[0].value == "文件"}
    assert facts["来源文件"] == "测试局.xlsx" and facts["生成时间"] == format_timestamp(WHEN)

    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2  # indicator mix + amounts by project (4 projects)
        mix = z.read(charts[0]).decode()
        assert "指标构成" in mix and "'项目汇总'!$B$9:$B$12" in mix
        assert "sharedStrings" not in " ".join(z.namelist())  # constant_memory: inline strings


def test_user_template_is_honoured(tmp_path: Path) -> None:
    spec = read_template(write_user_template(tmp_path / "我的模板.xlsx"))
    out = write_sample(tmp_path, spec)
    assert check_package(out) == []
    wb = openpyxl.load_workbook(out)
    d = wb[SHEET_DETAIL]
    assert d["A1"].value == "测试局 绩效指标汇总"  # placeholders filled
    assert d["A2"].value == f"来源：测试局.xlsx，生成于 {format_timestamp(WHEN)}"  # one format
    assert "A1:D1" in {str(m) for m in d.merged_cells.ranges}
    assert d["A1"].font.name == "黑体"
    assert [c.value for c in d[3]] == [
        "三级指标",
        "年度指标值",
        "项目名称",
        "审核意见",
        "总计（万元）",
        "指标性质",
    ]
    assert [c.value for c in d[4]] == ["培训人数", "≥390人", "青年人才培训项目", None, 121, "定量"]
    assert all(d.cell(r, 4).value is None for r in range(4, d.max_row + 1))  # unknown column
    assert d["E4"].number_format == "#,##0"  # the template's format
    assert d.freeze_panes == "B4" and d.auto_filter.ref == "A3:F11"
    p = wb[SHEET_PROJECTS]
    assert [c.value for c in p[3]] == [
        "项目名称",
        "总计（万元）",
        "指标数",
        "产出指标数",
        "效益指标数",
    ]
    total = [c.value for c in p[8]]
    assert total[0] == "合计（4 个项目）" and total[1] == "=SUBTOTAL(109,B4:B7)"
    f = wb[SHEET_FINDINGS]
    assert [c.value for c in f[4]][:3] == [
        "总计 121.00 ≠ 各项之和 120.00（差 1.00）",
        "错误",
        "表1!B7",
    ]


def test_output_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(out) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.xlsx"]


def test_zip_writer_copies_members_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "src.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.xml", "<a>" + "甲" * 5000 + "</a>")
        z.writestr("b.bin", bytes(range(256)) * 10)
    buf = io.BytesIO()
    out = _ZipOut(buf)
    with zipfile.ZipFile(src) as z:
        for info in z.infolist():
            out.add_raw("copy/" + info.filename, z, info)
    out.add_bytes("新.txt", "你好".encode())
    out.close()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z, zipfile.ZipFile(src) as orig:
        assert z.testzip() is None
        assert z.read("copy/a.xml") == orig.read("a.xml")
        assert z.read("copy/b.bin") == orig.read("b.bin")
        assert z.read("新.txt").decode() == "你好"


# ---- with the source ------------------------------------------------------------------------


def test_source_copy_keeps_formatting_adds_helpers_and_marks(tmp_path: Path) -> None:
    src = write_source_workbook(tmp_path / "测试局.xlsx")
    before = sha(src)
    rep = summarize(src, generated_at=WHEN)
    assert sha(src) == before
    out = Path(rep.output)
    assert out == tmp_path / "测试局_绩效汇总.xlsx"
    assert rep.mode == "copy" and rep.annotated == [SOURCE_SHEET]
    assert (rep.counts.projects, rep.counts.indicators, rep.counts.errors) == (3, 7, 3)
    assert check_package(out) == []

    orig = openpyxl.load_workbook(src)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["封面", SOURCE_SHEET, *STANDARD_SHEETS]
    assert wb.active.title == SHEET_PROJECTS
    o, s = orig[SOURCE_SHEET], wb[SOURCE_SHEET]
    for row in o.iter_rows(min_row=1, max_row=o.max_row, max_col=7):
        for c in row:
            t = s[c.coordinate]
            assert t.value == c.value, c.coordinate
            assert repr(t.font) == repr(c.font), c.coordinate
            assert repr(t.border) == repr(c.border), c.coordinate
            assert repr(t.alignment) == repr(c.alignment), c.coordinate
            assert t.number_format == c.number_format, c.coordinate
            if c.coordinate not in ("B5", "B6", "B7"):  # the marked cells
                assert repr(t.fill) == repr(c.fill), c.coordinate
    assert {str(m) for m in s.merged_cells.ranges} == {"A1:G1"}
    assert s.column_dimensions["A"].width == o.column_dimensions["A"].width
    assert s.column_dimensions["G"].width == o.column_dimensions["G"].width
    assert s.row_dimensions[7].height == 60
    assert s["A7"].comment.text == "请核对本项目的预算" and s["A7"].comment.author == "审核人"
    assert wb["封面"]["A1"].value == "2025 年部门预算" and wb["封面"]["A1"].font.sz == 20
    assert "项目区域" in wb.defined_names
    cf = [(str(c.sqref), r.dxf.fill.bgColor.rgb) for c in s.conditional_formatting for r in c.rules]
    assert cf == [("B5:E10", "FFE2EFDA")]  # the source's rule kept its own differential style
    fcf = wb[SHEET_FINDINGS].conditional_formatting
    assert next(r.dxf.fill.bgColor.rgb for c in fcf for r in c.rules).endswith("FFC7CE")

    # helper columns and marks
    assert [s.cell(4, c).value for c in range(8, 15)] == list(HELPER_HEADERS)
    assert [s.cell(7, c).value for c in range(8, 14)] == [4, 2, 1, 1, 0, 0.75]
    assert s["M7"].number_format == "0.0%" and s["N7"].value == "错误 1 个"
    # the quality audit: 协作交流经费 lacks 满意度, 服务中心运行经费 lacks 效益 and 满意度
    assert s["N8"].value == "警告 1 个" and s["N10"].value == "警告 2 个"
    assert s["N5"].value.startswith("合计")
    assert s["H4"].font.b and s["H7"].font.name == "宋体"  # styled like the table
    for ref in ("B5", "B6", "B7"):
        assert s[ref].fill.fgColor.rgb == "FFFFC7CE"
        assert s[ref].comment.author == "perfsheet" and "perfsheet：" in s[ref].comment.text
    assert "121.00" in s["B7"].comment.text
    assert s["B8"].comment is None

    # standard sheets: links to the source cells
    f = wb[SHEET_FINDINGS]
    links = {
        c.coordinate: c.hyperlink.location
        for row in f.iter_rows(min_row=2)
        for c in row
        if c.hyperlink
    }
    assert f"'{SOURCE_SHEET}'!B7" in links.values()
    p = wb[SHEET_PROJECTS]
    assert p["Q2"].hyperlink.location == f"'{SOURCE_SHEET}'!A7"

    # calamine reads every sheet
    cal = CalamineWorkbook.from_path(str(out))
    assert cal.sheet_names == wb.sheetnames
    assert len(values(out, SHEET_DETAIL)) == 1 + 7


def test_summary_of_a_summary_is_idempotent(tmp_path: Path) -> None:
    src = write_source_workbook(tmp_path / "测试局.xlsx")
    first = Path(summarize(src, generated_at=WHEN).output)
    second_path = tmp_path / "第二次.xlsx"
    before = sha(first)
    rep = summarize(first, second_path, generated_at=WHEN)
    assert sha(first) == before
    assert (rep.counts.projects, rep.counts.indicators, rep.counts.errors) == (3, 7, 3)
    a, b = openpyxl.load_workbook(first), openpyxl.load_workbook(second_path)
    assert a.sheetnames == b.sheetnames  # standard sheets replaced, not duplicated
    sa, sb = a[SOURCE_SHEET], b[SOURCE_SHEET]
    assert sa.max_column == sb.max_column == 14  # no second set of helper columns
    for r in range(1, sa.max_row + 1):
        for c in range(1, 15):
            assert sa.cell(r, c).value == sb.cell(r, c).value, (r, c)
    assert sb["B7"].comment.text == sa["B7"].comment.text  # replaced, not appended
    assert sb["B7"].comment.text.count("perfsheet：") == 1
    assert sb["A7"].comment.author == "审核人"
    assert len(values(second_path, SHEET_DETAIL)) == 1 + 7
    assert check_package(second_path) == []


def test_fixed_errors_lose_their_marks_on_rerun(tmp_path: Path) -> None:
    src = write_source_workbook(tmp_path / "测试局.xlsx")
    first = Path(summarize(src, generated_at=WHEN).output)
    wb = openpyxl.load_workbook(first)
    ws = wb[SOURCE_SHEET]
    ws["B5"], ws["B6"], ws["B7"] = 202.5, 150.5, 120.0  # the user fixes the totals
    fixed = tmp_path / "改正后.xlsx"
    wb.save(fixed)
    rep = summarize(fixed, tmp_path / "再次汇总.xlsx", generated_at=WHEN)
    assert rep.counts.errors == 0
    s = openpyxl.load_workbook(rep.output)[SOURCE_SHEET]
    for ref in ("B5", "B6", "B7"):
        assert s[ref].comment is None and s[ref].fill.fill_type is None
    assert s["N7"].value == "正常"
    assert s["A7"].comment.author == "审核人"


def test_occupied_helper_area_is_reported_not_overwritten(tmp_path: Path) -> None:
    src = write_source_workbook(tmp_path / "测试局.xlsx")
    wb = openpyxl.load_workbook(src)
    wb[SOURCE_SHEET]["J8"] = "我的批注列"
    wb.save(src)
    rep = summarize(src, generated_at=WHEN)
    assert rep.annotated == [] and rep.notes and "J8" in rep.notes[0]
    s = openpyxl.load_workbook(rep.output)[SOURCE_SHEET]
    assert s["J8"].value == "我的批注列" and s["H4"].value is None
    assert s["B7"].comment is None  # nothing written into a blocked table


# ---- .xls input and LibreOffice as the independent reader -----------------------------------


@pytest.mark.libreoffice
def test_xls_input_is_rebuilt_from_values(tmp_path: Path) -> None:
    xlsx = write_source_workbook(tmp_path / "测试局.xlsx")
    lo_convert([xlsx], tmp_path / "xls", target="xls:MS Excel 97")
    xls = tmp_path / "xls" / "测试局.xls"
    before = sha(xls)
    rep = summarize(xls, tmp_path / "xls_汇总.xlsx", generated_at=WHEN)
    assert sha(xls) == before
    assert rep.mode == "rebuilt" and SOURCE_SHEET in rep.annotated
    assert (rep.counts.projects, rep.counts.indicators, rep.counts.errors) == (3, 7, 3)
    assert check_package(Path(rep.output)) == []
    wb = openpyxl.load_workbook(rep.output)
    assert wb.sheetnames == ["封面", SOURCE_SHEET, *STANDARD_SHEETS]
    s = wb[SOURCE_SHEET]
    assert s["A7"].value == "青年人才培训项目" and s["B7"].value == 121
    assert [s.cell(4, c).value for c in range(8, 15)] == list(HELPER_HEADERS)
    assert s["H7"].value == 4 and s["B7"].comment.author == "perfsheet"
    assert s["B7"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "A1:G1" in {str(m) for m in s.merged_cells.ranges}


def _check_total_row(rows: list[list[str]], header: list[str]) -> None:
    """The 项目汇总 total row, as LibreOffice recalculated it, equals the sums of the rows."""
    label = header.index("项目名称")
    idx = next(i for i, r in enumerate(rows) if r[label].startswith("合计（"))
    data = rows[1:idx]
    total = rows[idx]
    for name in (
        "总计",
        "财政拨款",
        "财政专户拨款",
        "其他资金",
        "指标数",
        "产出指标数",
        "效益指标数",
        "错误数",
        "警告数",
    ):
        col = next(i for i, h in enumerate(header) if h.startswith(name))
        expect = sum(lo_number(r[col]) or 0.0 for r in data)
        assert lo_number(total[col]) == pytest.approx(expect), name
    n = header.index("指标数")
    ratio = header.index("定量指标占比")
    weighted = sum((lo_number(r[n]) or 0) * (lo_number(r[ratio]) or 0) for r in data)
    assert lo_number(total[ratio]) == pytest.approx(weighted / sum(lo_number(r[n]) for r in data))


@pytest.mark.libreoffice
def test_libreoffice_reads_the_same_rows_and_recalculates_the_totals(tmp_path: Path) -> None:
    src = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, src)
    fast = Path(summarize(src, tmp_path / "fast.xlsx", with_source=False, generated_at=WHEN).output)
    full = Path(summarize(src, tmp_path / "full.xlsx", generated_at=WHEN).output)
    # self-check of the reader: a formula with a wrong cached value must come back recalculated
    probe = tmp_path / "probe.xlsx"
    import xlsxwriter

    w = xlsxwriter.Workbook(str(probe))
    w.add_worksheet("s").write_formula(0, 0, "=1+1", None, 5)
    w.close()
    assert lo_sheets(probe, tmp_path)["s"][0][0] == "2"

    for out in (fast, full):
        lo = lo_sheets(out, tmp_path)
        assert set(STANDARD_SHEETS) <= set(lo)
        assert len([r for r in lo[SHEET_DETAIL] if any(r)]) == 1 + 156
        for sheet in (SHEET_DETAIL, SHEET_FINDINGS, SHEET_NOTES):
            mine = values(out, sheet)
            theirs = lo[sheet]
            assert len([r for r in theirs if any(r)]) == len(
                [r for r in mine if any(x != "" for x in r)]
            )
            for a, b in zip(mine, theirs, strict=False):
                for x, y in zip(a, b, strict=False):
                    if isinstance(x, float | int) and not isinstance(x, bool):
                        assert lo_number(y) == pytest.approx(x), (sheet, a, b)
                    else:
                        assert str(x) == y, (sheet, a, b)
        proj = lo[SHEET_PROJECTS]
        header = proj[0]
        assert header[3] == "总计（万元）"
        assert len([r for r in proj[1:] if r[2] and not r[2].startswith("合计")]) == 23
        _check_total_row(proj, header)
        total_row = next(r for r in proj if r[2].startswith("合计（"))
        assert lo_number(total_row[3]) == pytest.approx(273101.18)
    source_sheet = openpyxl.load_workbook(src, read_only=True).sheetnames[0]
    assert set(lo_sheets(full, tmp_path)) == {source_sheet, *STANDARD_SHEETS}


def test_users_own_sheets_with_standard_names_are_kept(tmp_path: Path) -> None:
    src = write_source_workbook(tmp_path / "测试局.xlsx")
    wb = openpyxl.load_workbook(src)
    wb.create_sheet("说明")["A1"] = "填表说明：金额单位为万元"
    wb.create_sheet("项目汇总")["B2"] = "用户自己的汇总"
    wb.save(src)
    first = Path(summarize(src, generated_at=WHEN).output)
    expected = [
        "封面",
        SOURCE_SHEET,
        "说明",
        "项目汇总",
        SHEET_DETAIL,
        "项目汇总（perfsheet）",
        SHEET_FINDINGS,
        "说明（perfsheet）",
    ]
    out = openpyxl.load_workbook(first)
    assert out.sheetnames == expected
    assert out.active.title == "项目汇总（perfsheet）"
    assert out["说明"]["A1"].value == "填表说明：金额单位为万元"
    assert out["项目汇总"]["B2"].value == "用户自己的汇总"
    assert out["项目汇总（perfsheet）"]["C2"].value == "青年人才培训项目"
    assert check_package(first) == []
    # a summary of that output replaces only our sheets
    again = Path(summarize(first, tmp_path / "再次.xlsx", generated_at=WHEN).output)
    b = openpyxl.load_workbook(again)
    assert b.sheetnames == expected
    assert b["项目汇总"]["B2"].value == "用户自己的汇总"
    assert b["说明"]["A1"].value == "填表说明：金额单位为万元"


def test_missing_libreoffice_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The independent-reader tests must fail, not skip, in CI when soffice is missing."""
    import summary_helpers

    monkeypatch.setattr(summary_helpers.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="LibreOffice"):
        summary_helpers.soffice()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        summary_helpers.soffice()


def test_consolidated_workbook_streams_several_results(tmp_path: Path) -> None:
    """One plan and one StandardSheets over many files (rows of each file in turn)."""
    from perfsheet.io.summary_writer import StandardSheets, _workbook
    from perfsheet.io.template import with_columns

    spec = with_columns(
        builtin_template(),
        {SHEET_DETAIL: ["来源文件"], SHEET_PROJECTS: ["来源文件"], SHEET_FINDINGS: ["来源文件"]},
    )
    plan = SummaryPlan(layout=layout_from_spec(spec), amount_unit="万元", generated_at=WHEN)
    out = tmp_path / "合并.xlsx"
    with _workbook(out, constant_memory=True, font=spec.default_font, when=WHEN) as book:
        sheets = StandardSheets(book.wb, plan, spec, spools=book.spools)
        for i in range(3):
            sheets.add(sample_result(sheet=f"表{i}"), f"部门{i}.xlsx")
        sheets.finish()
    assert check_package(out) == []
    detail = values(out, SHEET_DETAIL)
    assert detail[0][-1] == "来源文件" and len(detail) == 1 + 3 * 8
    assert [r[-1] for r in detail[1:]] == [f"部门{i}.xlsx" for i in range(3) for _ in range(8)]
    projects = values(out, SHEET_PROJECTS)
    total = projects[1 + 12]
    assert total[2] == "合计（12 个项目）" and total[3] == pytest.approx(3 * 203.5)
    assert projects[1][-1] == "部门0.xlsx"


def test_two_table_sheets_give_one_block_each(tmp_path: Path) -> None:
    src = write_source_workbook(tmp_path / "两表.xlsx", wrong_total=False)
    wb = openpyxl.load_workbook(src)
    second = wb.copy_worksheet(wb[SOURCE_SHEET])
    second.title = "第二张表"
    wb.save(src)
    rep = summarize(src, generated_at=WHEN)
    assert (rep.counts.tables, rep.counts.projects, rep.counts.indicators) == (2, 6, 14)
    assert rep.annotated == [SOURCE_SHEET, "第二张表"]
    detail = values(Path(rep.output), SHEET_DETAIL)
    header = detail[0]
    where = [r[header.index("来源位置")] for r in detail[1:]]
    assert where[:7] == [f"{SOURCE_SHEET}!G{r}" for r in (7, 7, 7, 7, 8, 8, 10)]
    assert where[7:] == [f"第二张表!G{r}" for r in (7, 7, 7, 7, 8, 8, 10)]
    out = openpyxl.load_workbook(rep.output)
    assert out["第二张表"]["H7"].value == 4 and out[SOURCE_SHEET]["H7"].value == 4
