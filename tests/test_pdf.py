"""PDF input (issue 16): published tables read straight from the PDF, cells cut by page breaks
made whole, wrapped lines joined, locations by page.

The PDFs come from our own tables (``tests/pdf_fixtures/make_pdfs.py``: HTML with borders,
converted by LibreOffice Writer). With Writer installed (``.ci/run`` installs it) they are made
afresh for the session; otherwise the committed ones are used (the cases whose PDF is not
committed are skipped).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from perfsheet.cli import app
from perfsheet.core.models import WorkbookResult
from perfsheet.core.pipeline import analyze
from perfsheet.io import pdf as P
from perfsheet.io.readers import read_workbook

pytest.importorskip("pdfplumber")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "pdf_fixtures"
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "广州市协作办公室_项目支出绩效目标表.xlsx"
sys.path.insert(0, str(FIXTURES))
import make_pdfs  # noqa: E402

from workbooks import write_xlsx  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of test PDFs: made now by Writer, or the committed ones."""
    on_ci = os.environ.get("CI", "").lower() == "true"
    if make_pdfs.soffice() is None:
        if on_ci:
            pytest.fail("LibreOffice Writer (soffice) is required for the PDF tests under CI")
        return FIXTURES
    out = tmp_path_factory.mktemp("pdfs")
    try:
        make_pdfs.build(out)
    except RuntimeError:
        if on_ci:
            raise
        return FIXTURES  # soffice without Writer (libreoffice-writer-nogui)
    import pdfplumber

    with pdfplumber.open(out / "example_landscape.pdf") as doc:
        text = doc.pages[0].extract_text() or ""
    if "绩效目标表" not in text:  # no CJK font: Writer drew boxes (fonts-wqy-microhei)
        if on_ci:
            pytest.fail("Writer made PDFs without Chinese text: install a CJK font")
        return FIXTURES
    return out


def _pdf(pdfs: Path, name: str) -> Path:
    path = pdfs / name
    if not path.exists():
        pytest.skip(f"{name} is made only when LibreOffice Writer is installed")
    return path


_TAGS = re.compile(r"</?p>")


def _projects(result: WorkbookResult) -> list[tuple[Any, ...]]:
    """Everything the model says about each project, except sheet rows (they differ)."""
    return [
        (
            t.layout,
            t.department,
            u.name,
            p.name,
            p.amounts.model_dump(),
            _TAGS.sub("", p.goal or ""),  # the workbook keeps its converter's <p> tags
            [i.model_dump(exclude={"row"}) for i in p.indicators],
        )
        for t in result.tables
        for u in t.units
        for p in u.projects
    ]


MONEY = {"row-total", "unit-subtotal", "grand-total", "amount-format", "money-columns-misread"}


def _money(result: WorkbookResult) -> list[tuple[Any, ...]]:
    return [
        (f.rule, f.severity, f.unit, f.project, f.expected, f.actual, f.difference)
        for t in result.tables
        for f in t.findings
        if f.rule in MONEY
    ]


def _same_model(pdf_result: WorkbookResult, book_result: WorkbookResult) -> None:
    got, want = _projects(pdf_result), _projects(book_result)
    assert [x[:5] for x in got] == [x[:5] for x in want]  # units, names, amounts
    for g, w in zip(got, want, strict=True):
        assert g[5] == w[5], g[3]  # goal
        assert g[6] == w[6], g[3]  # indicators, every field
    assert _money(pdf_result) == _money(book_result)


# --------------------------------------------------------------------------------------------
# the example table


@pytest.mark.parametrize("name", ["example_landscape.pdf", "example_portrait.pdf"])
def test_example_pdf_gives_the_workbook_result(pdfs: Path, name: str) -> None:
    pdf = _pdf(pdfs, name)
    got = analyze(read_workbook(pdf))
    want = analyze(read_workbook(EXAMPLE))
    projects = _projects(got)
    assert len(projects) == 23
    assert sum(len(p[6]) for p in projects) == 156
    _same_model(got, want)
    (table,) = got.tables
    assert table.title == "项目支出绩效目标表（含转移支付项目）"
    assert (table.department, table.amount_unit) == ("广州市协作办公室", "万元")
    assert table.grand_total is not None and table.grand_total.amounts.total == 273101.18
    # Writer cut rows at page breaks: the fragments were found and merged, none left over
    rules = [f.rule for f in table.findings]
    assert rules.count("fragment-merged") >= 5 and "fragment-orphan" not in rules


def test_pages_make_one_table_without_repeated_header_and_furniture(pdfs: Path) -> None:
    import pdfplumber

    pdf = _pdf(pdfs, "example_landscape.pdf")
    with pdfplumber.open(pdf) as doc:
        n_pages = len(doc.pages)
        assert n_pages >= 5
        # the header is printed on every page, the running title and page number too
        firsts = [(p.extract_tables()[0][0][0] or "").replace("\n", "") for p in doc.pages]
        assert firsts == ["项目名称（资金使用单位）"] * n_pages
        shown = [re.sub(r"\s", "", p.extract_text() or "") for p in doc.pages]
        assert sum(f"第{i}页" in t for i, t in enumerate(shown, start=1)) >= n_pages // 2
    (grid,) = read_workbook(pdf).sheets
    assert grid.name == f"第1-{n_pages}页"
    texts = [v for row in grid.rows for v in row if isinstance(v, str)]
    assert texts.count("项目名称（资金使用单位）") == 1
    assert not [t for t in texts if re.fullmatch(r"第\s*\d+\s*页", t)]
    assert texts.count("2025年广州市协作办公室部门预算") <= 1  # running title: first one kept
    assert {page for page, _ in grid.pages.values()} == set(range(1, n_pages + 1))
    (table,) = analyze(read_workbook(pdf)).tables
    assert table.header_rows == [min(r for r, (_, line) in grid.pages.items() if line == 1)]


def test_names_cut_by_the_page_break_are_whole(pdfs: Path) -> None:
    """Writer cuts the Guangzhou table inside some project names; each name is whole."""
    pdf = _pdf(pdfs, "example_landscape.pdf")
    names = {x[3] for x in _projects(analyze(read_workbook(pdf)))}
    want = {x[3] for x in _projects(analyze(read_workbook(EXAMPLE)))}
    assert names == want


def test_project_name_split_across_pages(pdfs: Path, tmp_path: Path) -> None:
    import pdfplumber

    pdf = _pdf(pdfs, "name_split.pdf")
    pad = json.loads((pdfs / "manifest.json").read_text(encoding="utf-8"))["name_split_pad"]
    with pdfplumber.open(pdf) as doc:  # the PDF really cuts the name: 广东粤… | …经费
        parts = [
            (row[0] or "").replace("\n", "")
            for page in doc.pages
            for t in page.extract_tables()
            for row in t
            if row[0] and make_pdfs.SPLIT_NAME.endswith((row[0] or "").replace("\n", ""))
        ]
        assert len([p for p in parts if p and p != make_pdfs.SPLIT_NAME]) == 1
    book = write_xlsx(tmp_path / "整表.xlsx", make_pdfs.name_split_rows(pad))
    got = analyze(read_workbook(pdf))
    _same_model(got, analyze(read_workbook(book)))
    names = [x[3] for x in _projects(got)]
    assert make_pdfs.SPLIT_NAME in names


# --------------------------------------------------------------------------------------------
# the layouts of issue 12


@pytest.mark.parametrize(
    ("name", "book"),
    [
        ("rows_merged.pdf", "示例县教育局_项目支出绩效目标表_逐行.xlsx"),
        ("export.pdf", "示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx"),
        ("forms.pdf", "示例县农业农村局_项目支出绩效目标表_一表一项目.xlsx"),
        ("forms_stacked.pdf", "示例县交通运输局_项目支出绩效目标表_多表一页.xls"),
    ],
)
def test_layouts_as_pdf(pdfs: Path, name: str, book: str) -> None:
    got = analyze(read_workbook(_pdf(pdfs, name)))
    want = analyze(read_workbook(EXAMPLES / book))
    assert {t.layout for t in got.tables} == {t.layout for t in want.tables}
    _same_model(got, want)
    if name != "forms.pdf":  # one sheet per form in the workbook, one document here
        assert len(got.tables) == len(want.tables)


def test_row_list_cut_inside_an_indicator_name(pdfs: Path) -> None:
    """The row list's page break cuts 校园安全责任 | 事故 (its value on the first page)."""
    pdf = _pdf(pdfs, "rows_merged.pdf")
    got = analyze(read_workbook(pdf))
    names = [i.name for t in got.tables for u in t.units for p in u.projects for i in p.indicators]
    assert "校园安全责任事故" in names and "事故" not in names


# --------------------------------------------------------------------------------------------
# tables without rules (text aligned in columns)


def _no_rules(pdf: Path) -> None:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            assert not page.lines and not page.rects and not page.find_tables()


@pytest.mark.parametrize("name", ["example_unruled.pdf", "example_unruled_once.pdf"])
def test_unruled_example_gives_the_workbook_result(pdfs: Path, name: str) -> None:
    """The example typeset without rules (``border="0"``), its header on every page or printed
    once: the header's columns are located and the result is the workbook's, every field."""
    pdf = _pdf(pdfs, name)
    _no_rules(pdf)
    got = analyze(read_workbook(pdf))
    want = analyze(read_workbook(EXAMPLE))
    projects = _projects(got)
    assert len(projects) == 23
    assert sum(len(p[6]) for p in projects) == 156
    _same_model(got, want)
    (table,) = got.tables
    assert table.title == "项目支出绩效目标表（含转移支付项目）"
    assert (table.department, table.amount_unit) == ("广州市协作办公室", "万元")
    assert table.grand_total is not None and table.grand_total.amounts.total == 273101.18
    rules = [f.rule for f in table.findings]
    assert rules.count("fragment-merged") >= 5 and "fragment-orphan" not in rules


def test_unruled_grid_one_table_without_repeated_header_and_furniture(pdfs: Path) -> None:
    import pdfplumber

    pdf = _pdf(pdfs, "example_unruled.pdf")
    with pdfplumber.open(pdf) as doc:
        n_pages = len(doc.pages)
        shown = [re.sub(r"\s", "", p.extract_text() or "") for p in doc.pages]
    assert n_pages >= 5
    assert all("绩效指标" in t for t in shown)  # the header on every page
    assert sum(f"第{i}页" in t for i, t in enumerate(shown, start=1)) >= n_pages // 2
    (grid,) = read_workbook(pdf).sheets
    assert grid.name == f"第1-{n_pages}页"
    header = ["项目名称（资金使用单位）", "总计", "财政拨款", "财政专户拨款", "其他资金",
              "绩效目标", "绩效指标"]  # fmt: skip
    assert [r for r in grid.rows if r == header] == [header]  # the header's columns, once
    texts = [v for row in grid.rows for v in row if isinstance(v, str)]
    assert not [t for t in texts if re.fullmatch(r"第\s*\d+\s*页", t)]
    assert texts.count("2025年广州市协作办公室部门预算") <= 1
    assert {page for page, _ in grid.pages.values()} == set(range(1, n_pages + 1))
    assert grid.rows[grid.rows.index(header) + 1][:5] == [
        "合计", "273,101.18", "270,769.27", None, "2,331.91"
    ]  # fmt: skip


#: Indicator fields holding text as written (a space may differ), the rest is structured.
_TEXTS = ("raw", "name", "period_value", "annual_value", "period_target", "annual_target")


def _structured(indicator: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in indicator.items() if k not in _TEXTS}


@pytest.mark.parametrize("name", ["example_unruled_portrait.pdf", "example_unruled_tight.pdf"])
def test_unruled_portrait_same_projects_amounts_and_indicators(pdfs: Path, name: str) -> None:
    """Portrait (narrower columns, other line ends), and landscape with the cells' padding cut
    to 2 pt (rows, and the footer's page number, 4 pt apart). Projects, amounts, indicator
    counts, every structured indicator field and the money findings match. A few texts may
    differ by a space only: their line ended after ``,``/``;`` where the workbook has ``, ``/
    ``; ``, and a space at a line end is not drawn, so the cell's own habit decides (as for
    ruled cells); here it is read as tight (or the other way round)."""
    pdf = _pdf(pdfs, name)
    _no_rules(pdf)
    got = analyze(read_workbook(pdf))
    want = analyze(read_workbook(EXAMPLE))
    g, w = _projects(got), _projects(want)
    assert len(g) == 23 and sum(len(p[6]) for p in g) == 156
    assert [x[:5] for x in g] == [x[:5] for x in w]
    assert [len(x[6]) for x in g] == [len(x[6]) for x in w]
    assert _money(got) == _money(want)

    def squeeze(value: Any) -> str:
        return re.sub(r"\s", "", str(value))

    differ = 0
    for a, b in zip(g, w, strict=True):
        assert squeeze(a[5]) == squeeze(b[5]), a[3]
        for x, y in zip(a[6], b[6], strict=True):
            assert squeeze(x) == squeeze(y), a[3]
            assert _structured(x) == _structured(y), a[3]
            differ += x != y
        differ += a[5] != b[5]
    assert differ <= 3


def test_unruled_project_name_split_across_pages(pdfs: Path, tmp_path: Path) -> None:
    """Without rules, the long name cut by the page break (``广东粤…工作经`` | ``费``) is made
    whole as in a ruled table: same model as the workbook."""
    pdf = _pdf(pdfs, "name_split_unruled.pdf")
    _no_rules(pdf)
    texts = make_pdfs.name_column_texts(pdf)
    assert not any(make_pdfs.SPLIT_NAME in t for t in texts)
    assert any(make_pdfs.SPLIT_NAME[:3] in t for t in texts)
    manifest = json.loads((pdfs / "manifest.json").read_text(encoding="utf-8"))
    book = write_xlsx(tmp_path / "整表.xlsx", make_pdfs.name_split_rows(
        manifest["name_split_unruled_pad"]))  # fmt: skip
    got = analyze(read_workbook(pdf))
    _same_model(got, analyze(read_workbook(book)))
    assert make_pdfs.SPLIT_NAME in [x[3] for x in _projects(got)]


def _placed(items: list[tuple[float, float, str]], size: float = 10.0) -> list[dict[str, Any]]:
    """Characters of texts placed at (x, top): CJK 1 em wide, others half an em."""
    out = []
    for x, top, text in items:
        for ch in text:
            w = size if ord(ch) >= 0x2E80 else size / 2
            out.append({"text": ch, "x0": x, "x1": x + w, "top": top, "bottom": top + size,
                        "size": size})  # fmt: skip
            x += w
    return out


def test_unruled_columns_rows_and_wrapped_cells() -> None:
    """Header phrases give the columns (a header cell wrapped to two lines is one phrase); a
    right-aligned number close to the next column's text stays in its column; a row is the
    lines close above each other; a cell's wrapped lines are joined; a line running across
    the columns below the table ends it."""
    chars = _placed([
        (10, 10, "部门预算项目支出绩效目标表"),
        (10, 40, "项目名称"), (10, 51, "（单位）"), (100, 45, "总计"), (170, 45, "绩效指标"),
        (10, 75, "培训经费"), (95, 75, "12.00"), (124, 75, "产出指标；数量指标；培训"),
        (124, 86, "人数；≥390人"),
        (10, 110, "会议经费"), (100, 110, "8.00"), (124, 110, "产出指标；质量指标；合规"),
        (10, 140, "注：本表金额单位为万元，绩效指标按指标库填写。"),
    ])  # fmt: skip
    found = P._unruled(chars, None, (0.0, 300.0))
    assert found is not None
    table, outside = found
    P._unruled_texts([P._Page(1, [table], [], len(chars), 0)])
    assert "".join(c["text"] for c in outside) == (
        "部门预算项目支出绩效目标表注：本表金额单位为万元，绩效指标按指标库填写。"
    )  # the note below the table runs across the columns: text, not a row
    rows = [table.row_texts(j) for j in range(table.n_rows)]
    assert rows == [
        {0: "项目名称（单位）", 1: "总计", 2: "绩效指标"},
        {0: "培训经费", 1: "12.00", 2: "产出指标；数量指标；培训人数；≥390人"},
        {0: "会议经费", 1: "8.00", 2: "产出指标；质量指标；合规"},
    ]
    # the next page has no header: rows lining up with these columns continue the table
    more = _placed([(10, 10, "第2页的标题文字跨过几列"), (124, 40, "满意度指标；满意度")])
    nxt = P._unruled(more, table.xs, (0.0, 300.0))
    assert nxt is not None and nxt[0].xs == table.xs
    assert "".join(c["text"] for c in nxt[1]) == "第2页的标题文字跨过几列"
    # no header and nothing to continue: not a table
    assert P._unruled(more, None, (0.0, 300.0)) is None


# --------------------------------------------------------------------------------------------
# wrapped lines


def test_wrapped_lines_joined_real_breaks_kept(pdfs: Path, tmp_path: Path) -> None:
    pdf = _pdf(pdfs, "wrapped.pdf")
    (grid,) = read_workbook(pdf).sheets
    cells = [v for row in grid.rows for v in row if isinstance(v, str)]
    # lines cut at the cell's edge inside numbers and a Latin word: joined with nothing
    assert make_pdfs.WRAP_NUMBER in cells
    # wrapped at the spaces between Latin words: the spaces are back
    assert make_pdfs.WRAP_LATIN in cells
    # lines that end short of the edge are real line breaks (<br> in the source)
    assert make_pdfs.WRAP_BREAKS in cells
    # one unnumbered indicator a line, each line wrapped in the cell: three indicators
    assert make_pdfs.WRAP_LINES in cells
    book = write_xlsx(tmp_path / "同一张表.xlsx", make_pdfs.wrapped_rows())
    got = analyze(read_workbook(pdf))
    _same_model(got, analyze(read_workbook(book)))
    lines_project = got.tables[0].units[0].projects[1]
    assert len(lines_project.indicators) == 3


def _chars(lines: list[str], *, x0: float = 10.0, size: float = 10.0) -> list[dict[str, Any]]:
    """Characters laid out as a PDF gives them: CJK 1 em wide, others half an em."""
    out = []
    for k, text in enumerate(lines):
        x = x0
        top = 100.0 + 12 * k
        for ch in text:
            w = size if ord(ch) >= 0x2E80 else size / 2
            out.append({"text": ch, "x0": x, "x1": x + w, "top": top, "bottom": top + size,
                        "size": size})  # fmt: skip
            x += w
    return out


@pytest.mark.parametrize(
    ("lines", "width", "text"),
    [
        # the line ran to the edge inside a number: nothing inserted
        (["指标值:≥1234", "56万人"], 60, "指标值:≥123456万人"),
        # inside a word of CJK text
        (["培训学员满意", "度≥90%"], 60, "培训学员满意度≥90%"),
        # ended short of the edge (the next character would have fitted): a real break
        (["一、培训。", "二、考核。"], 100, "一、培训。\n二、考核。"),
        # the next unit (值:≥6%。) would not have fitted: a wrap, even though 值 would
        (["实施周期指标", "值:≥6%。"], 82, "实施周期指标值:≥6%。"),
        # wrapped at the space between Latin words
        (["Annual data", "backup"], 64, "Annual data backup"),
        # after ; the cell's own habit decides (here: a space after ;)
        (["a; b; c; 年度;", "指标"], 70, "a; b; c; 年度; 指标"),
        (["a;b;c;年度;", "指标"], 56, "a;b;c;年度;指标"),
    ],
)
def test_cell_text_line_rules(lines: list[str], width: float, text: str) -> None:
    assert P.cell_text(_chars(lines), width) == text


# --------------------------------------------------------------------------------------------
# commands and locations


def test_locations_name_the_page(pdfs: Path) -> None:
    pdf = _pdf(pdfs, "example_landscape.pdf")
    result = runner.invoke(app, ["check", str(pdf), "--json"])
    assert result.exit_code == 0, result.output
    (table,) = json.loads(result.stdout)["tables"]
    pages = {int(r): tuple(v) for r, v in table["pages"].items()}
    frag = next(f for f in table["findings"] if f["rule"] == "fragment-merged")
    page, line = pages[frag["row"]]
    assert line > 0 and frag["message"].startswith(f"第{page}页第{line}行")
    text = runner.invoke(app, ["check", str(pdf)])
    assert f"第{page}页第{line}行（{frag['cell']}）" in text.stdout


def test_workbook_json_has_no_pages() -> None:
    (table,) = json.loads(runner.invoke(app, ["parse", str(EXAMPLE), "--json"]).stdout)["tables"]
    assert "pages" not in table


def test_pdf_recognised_by_content_and_sheet_option(pdfs: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "其实是PDF.xlsx"
    shutil.copyfile(_pdf(pdfs, "rows_merged.pdf"), renamed)
    result = runner.invoke(app, ["parse", str(renamed), "--json"])
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.stdout)["tables"][0]["sheet"]
    assert re.fullmatch(r"第1-\d+页", sheet)
    assert runner.invoke(app, ["parse", str(renamed), "--sheet", sheet]).exit_code == 0
    bad = runner.invoke(app, ["parse", str(renamed), "--sheet", "表1"])
    assert bad.exit_code == 2 and sheet in bad.stderr


def test_summary_of_a_pdf(pdfs: Path, tmp_path: Path) -> None:
    import openpyxl

    pdf = tmp_path / "广州.pdf"
    shutil.copyfile(_pdf(pdfs, "example_landscape.pdf"), pdf)
    out = tmp_path / "汇总.xlsx"
    result = runner.invoke(app, ["summary", str(pdf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["绩效指标明细", "项目汇总", "校验结果", "说明"]  # no source sheet
    facts = {r[1]: r[2] for r in wb["说明"].iter_rows(values_only=True) if r[0] == "文件"}
    assert facts["来源文件"] == "广州.pdf" and re.fullmatch(r"第1-\d+页", facts["来源工作表"])
    ws = wb["项目汇总"]
    header = [c.value for c in ws[1]]
    col = header.index("来源位置")
    where = [r[col] for r in ws.iter_rows(min_row=2, values_only=True) if r[col]]
    assert len(where) == 23 and all(re.fullmatch(r"第\d+页第\d+行", w) for w in where)


def test_convert_takes_pdfs_in_a_folder(pdfs: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "收件"
    inbox.mkdir()
    shutil.copyfile(_pdf(pdfs, "rows_merged.pdf"), inbox / "教育局.pdf")
    shutil.copyfile(EXAMPLES / "示例县教育局_项目支出绩效目标表_逐行.xlsx", inbox / "教育局表.xlsx")
    result = runner.invoke(app, ["convert", str(inbox), "-o", str(tmp_path / "输出"), "-j", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "输出" / "convert-report.json").read_text(encoding="utf-8"))
    by_name = {Path(f["input"]).name: f for f in report["files"]}
    assert by_name["教育局.pdf"]["status"] == "ok"
    assert by_name["教育局.pdf"]["indicators"] == by_name["教育局表.xlsx"]["indicators"] == 20
