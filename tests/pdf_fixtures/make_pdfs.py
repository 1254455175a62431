"""Make the PDF test inputs from our own tables: HTML with ``border="1"``, converted by
LibreOffice Writer headless (the way departments' tables become published PDFs: Writer breaks
long rows across pages, repeats the ``<thead>`` rows on every page, and the running title and
page number come from the page header and footer).

    python tests/pdf_fixtures/make_pdfs.py            # rewrites the committed PDFs here
    python tests/pdf_fixtures/make_pdfs.py -o OUTDIR

Needs ``soffice`` with Writer (Debian: ``libreoffice-writer-nogui``) and a CJK font
(``fonts-wqy-microhei``). The tests call :func:`build` themselves when Writer is there, and
use the committed PDFs otherwise.

Sources (nothing downloaded):

- the Guangzhou example (``examples/build_examples.py``: the published table, each project
  one row, as it was before a converter cut it at page breaks), A4 landscape and portrait;
- the layout examples (``examples/*.xlsx``): each sheet's bordered cells become the table,
  its merged ranges ``rowspan``/``colspan``, the other text lines paragraphs;
- a made-up table whose header repeats on every page and whose project name is cut in two by
  a page break (the filler rows above it are counted until the break falls inside the name);
- a cell whose text wraps at the cell edge inside words and numbers, beside one with real line
  breaks (``<br>``);
- the example without rules (``border="0"``: text aligned in columns), the header repeated on
  every page or printed once; the made-up table with the name cut by a page break without
  rules; and a table without rules whose header names nothing known;
- a scan (the example's first page as an image only), an encrypted PDF (Writer's own
  encryption).
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLES = ROOT / "examples"

LANDSCAPE = "29.7cm 21cm"
PORTRAIT = "21cm 29.7cm"


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# HTML


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    align: str | None = None
    breaks: bool = False  # ``\n`` in text are real line breaks (<br>)


@dataclass
class Block:
    """A table (rows of cells, ``None`` where a span covers the slot) or a paragraph."""

    rows: list[list[Cell | None]] = field(default_factory=list)
    widths: Sequence[float] = ()  # relative column widths
    head: int = 0  # rows repeated on every page (<thead>)
    paragraph: str | None = None
    align: str | None = None
    page_break: bool = False  # start on a new page


def _cell_html(c: Cell, tag: str) -> str:
    attrs = ""
    if c.rowspan > 1:
        attrs += f' rowspan="{c.rowspan}"'
    if c.colspan > 1:
        attrs += f' colspan="{c.colspan}"'
    if c.align:
        attrs += f' align="{c.align}"'
    text = html.escape(c.text)
    if c.breaks:
        text = text.replace("\n", "<br>")
    return f"<{tag}{attrs}>{text}</{tag}>"


def document(
    blocks: Iterable[Block],
    *,
    size: str = LANDSCAPE,
    font_pt: float = 9,
    running_title: str | None = None,
    page_numbers: bool = True,
    rules: bool = True,
    spacing: tuple[int, int] = (2, 4),
) -> str:
    """The blocks as one HTML document; ``rules=False``: tables without ruling lines
    (``border="0"``, ``spacing``: cellspacing and cellpadding, so the columns stay visibly
    apart; text aligned in columns as in a table typeset without rules)."""
    out = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>',
        f"@page {{ size: {size}; margin: 1.6cm 1.5cm }}",
        f"td, th, p {{ font-size: {font_pt}pt }}",
        "</style></head><body>",
    ]
    if running_title:
        out.append(f'<div title="header"><p>{html.escape(running_title)}</p></div>')
    if page_numbers:
        out.append(
            '<div title="footer"><p align="center">第 <sdfield type=PAGE subtype=RANDOM '
            "format=PAGE>1</sdfield> 页</p></div>"
        )
    for b in blocks:
        brk = ' style="page-break-before: always"' if b.page_break else ""
        if b.paragraph is not None:
            align = f' align="{b.align}"' if b.align else ""
            out.append(f"<p{align}{brk}>{html.escape(b.paragraph)}</p>")
            continue
        if b.page_break:
            out.append('<p style="page-break-before: always; font-size: 1pt"></p>')
        if rules:
            out.append('<table border="1" cellspacing="0" cellpadding="3" width="100%">')
        else:
            out.append(
                f'<table border="0" cellspacing="{spacing[0]}" cellpadding="{spacing[1]}" '
                'width="100%">'
            )
        if b.widths:
            total = sum(b.widths)
            out.append(
                "<colgroup>"
                + "".join(f'<col width="{round(100 * w / total)}%">' for w in b.widths)
                + "</colgroup>"
            )
        for i, row in enumerate(b.rows):
            if i == 0 and b.head:
                out.append("<thead>")
            tag = "th" if i < b.head else "td"
            out.append("<tr>" + "".join(_cell_html(c, tag) for c in row if c is not None) + "</tr>")
            if i == b.head - 1:
                out.append("</thead><tbody>")
        if b.head:
            out.append("</tbody>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# LibreOffice Writer


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docs: dict[str, str], outdir: Path, *, options: dict[str, Any] | None = None) -> None:
    """Write each HTML document and convert them all in one Writer run (``name.pdf``);
    ``options``: PDF export settings of Writer (``EncryptFile``, ``DocumentOpenPassword``…)."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("soffice (LibreOffice Writer) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfsheet-pdf-") as tmp:
        t = Path(tmp)
        paths = []
        for name, text in docs.items():
            p = t / (Path(name).stem + ".html")
            p.write_text(text, encoding="utf-8")
            paths.append(str(p))
        target = "pdf:writer_pdf_Export"
        if options:
            kinds = {bool: "boolean", int: "long", str: "string"}
            settings = {k: {"type": kinds[type(v)], "value": str(v).lower() if isinstance(
                v, bool) else str(v)} for k, v in options.items()}  # fmt: skip
            target += ":" + json.dumps(settings)
        proc = subprocess.run(
            [
                exe,
                f"-env:UserInstallation={(t / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                target,
                "--infilter=HTML (StarWriter)",
                "--outdir",
                str(outdir),
                *paths,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        for name in docs:
            if not (outdir / (Path(name).stem + ".pdf")).exists():
                raise RuntimeError(
                    f"soffice could not convert {name} (is Writer installed? Debian: "
                    f"libreoffice-writer-nogui): {proc.stdout} {proc.stderr}"
                )


# --------------------------------------------------------------------------------------------
# sources


def example_blocks(
    widths: Sequence[float] = (90, 45, 45, 45, 45, 140, 300), head: int = 1
) -> list[Block]:
    """The Guangzhou table as published: title block, header (repeated on every page unless
    ``head=0``), one row a project."""
    be = _module(EXAMPLES / "build_examples.py", "build_examples")
    lines = be.read_seed()
    rows = be.tidy_rows(lines)
    title = next(c[0] for c in lines if len(c) == 1 and c[0].startswith("项目支出"))
    department = next(c[0] for c in lines if len(c) == 1 and c[0].startswith("部门名称"))
    unit = next(c[0] for c in lines if len(c) == 1 and c[0].startswith("单位"))
    table = Block(widths=widths, head=head)
    for cells in rows:
        table.rows.append(
            [Cell(t, align="right" if 1 <= i <= 4 else None) for i, t in enumerate(cells)]
        )
    return [
        Block(paragraph=title, align="center"),
        Block(paragraph=department),
        Block(paragraph=unit, align="right"),
        table,
    ]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}" if round(value, 2) == value else repr(value)
    return str(value)


def workbook_blocks(path: Path, *, head: int = 0) -> list[Block]:
    """Each sheet of an example workbook (each on a new page): bordered cells as tables, other
    text as paragraphs. ``head``: rows of each sheet's first table repeated on every page."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    blocks: list[Block] = []
    for k, ws in enumerate(wb.worksheets):
        spans: dict[tuple[int, int], tuple[int, int]] = {}
        covered: set[tuple[int, int]] = set()
        for m in ws.merged_cells.ranges:
            spans[(m.min_row, m.min_col)] = (m.max_row - m.min_row + 1, m.max_col - m.min_col + 1)
            for r in range(m.min_row, m.max_row + 1):
                for c in range(m.min_col, m.max_col + 1):
                    if (r, c) != (m.min_row, m.min_col):
                        covered.add((r, c))
        ncols = ws.max_column
        letters = [openpyxl.utils.get_column_letter(c) for c in range(1, ncols + 1)]
        widths = [ws.column_dimensions[x].width or 10 for x in letters]
        sheet: list[Block] = []
        table: Block | None = None
        for r in range(1, ws.max_row + 1):
            bordered = any(
                ws.cell(r, c).border.left.style or ws.cell(r, c).border.top.style
                for c in range(1, ncols + 1)
            )
            if not bordered:
                table = None
                texts = [_shown(ws.cell(r, c).value) for c in range(1, ncols + 1)]
                texts = [t for t in texts if t.strip()]
                if texts:
                    sheet.append(Block(paragraph="\u3000\u3000\u3000\u3000".join(texts)))
                continue
            if table is None:
                table = Block(widths=widths, head=0 if any(b.rows for b in sheet) else head)
                sheet.append(table)
            row: list[Cell | None] = []
            for c in range(1, ncols + 1):
                if (r, c) in covered:
                    row.append(None)
                    continue
                v = ws.cell(r, c).value
                rs, cs = spans.get((r, c), (1, 1))
                align = "right" if isinstance(v, int | float) and not isinstance(v, bool) else None
                row.append(Cell(_shown(v), rs, cs, align))
            table.rows.append(row)
        if k and sheet:
            sheet[0].page_break = True
        blocks.extend(sheet)
    return blocks


def grid_blocks(
    rows: Sequence[Sequence[Any]], widths: Sequence[float], head: int = 1
) -> list[Block]:
    """Rows as a workbook holds them (``tests/workbooks.py`` style: one-cell rows above the
    header are the title block, ``\\n`` in a cell is a line break) as paragraphs and a table."""
    blocks: list[Block] = []
    k = 0
    while k < len(rows) and len([v for v in rows[k] if v is not None]) == 1:
        blocks.append(Block(paragraph=_shown(rows[k][0])))
        k += 1
    table = Block(widths=widths, head=head)
    for row in rows[k:]:
        cells: list[Cell | None] = []
        for i in range(len(widths)):
            v = row[i] if i < len(row) else None
            text = _shown(v)
            cells.append(Cell(text, align="right" if 1 <= i <= 4 else None, breaks="\n" in text))
        table.rows.append(cells)
    blocks.append(table)
    return blocks


# --------------------------------------------------------------------------------------------
# made-up tables (示例市, not tuned to the seed)

STD_HEADER = [
    "项目名称（资金使用单位）", "总计", "财政拨款", "财政专户拨款",
    "其他资金", "绩效目标", "绩效指标",
]  # fmt: skip
NARROW = (40, 30, 30, 30, 30, 90, 200)


def _items(items: Sequence[tuple[str, str, str, str, str]]) -> str:
    return "".join(
        f"{i}、{l1}；{l2}；{name}；实施周期指标值:{pv}；年度指标值:{av}。"
        for i, (l1, l2, name, pv, av) in enumerate(items, start=1)
    )


def _filler(k: int, pad: int = 0) -> list[Any]:
    items = [
        ("1-产出指标", "11-数量指标", f"开展第{k}批次专项检查次数", "≥12次", "≥12次"),
        ("1-产出指标", "12-质量指标", "检查问题整改完成率", "≥95%", "≥95%"),
        ("2-效益指标", "22-社会效益", "群众办事便利程度", "有所提升", "有所提升"),
        ("3-满意度指标", "31-服务对象满意度", "服务对象满意度", "≥90%", "≥90%"),
    ]
    pads = "".join(f"\n{i}.落实第{i}项工作安排。" for i in range(1, pad + 1))
    goal = "保障年度工作任务完成。" + pads
    return [f"示例专项工作经费{k}", "30.00", "30.00", None, None, goal, _items(items)]


#: The project whose name a page break cuts in two (广东粤 | 黔工作队…经费).
SPLIT_NAME = "广东粤黔协作工作队广州工作组驻点帮扶工作经费"
SPLIT_GOAL = "保障工作队驻点帮扶期间的办公、差旅和生活条件，完成年度东西部协作帮扶任务。"
SPLIT_ITEMS = _items(
    [
        ("1-产出指标", "11-数量指标", "保障驻点帮扶干部人数", "≥12人", "≥12人"),
        ("1-产出指标", "13-时效指标", "经费拨付及时率", "≥95%", "≥95%"),
        ("2-效益指标", "22-社会效益", "协作帮扶任务完成率", "100%", "100%"),
        ("3-满意度指标", "31-服务对象满意度", "受援地群众满意度", "≥90%", "≥90%"),
    ]
)


def name_split_rows(pad: int, fillers: int = 2) -> list[list[Any]]:
    """A packed table (title block, header, 合计, a unit) whose project after ``fillers``
    filler projects has a long name; the first filler's goal has ``pad`` more lines (they move
    the long name down the page). The PDF repeats the header on every page."""
    n = fillers + 2
    total = f"{30 * fillers + 88 + 12:.2f}"
    rows: list[list[Any]] = [
        ["2025年部门预算项目支出绩效目标表"],
        ["部门名称：示例市协作办公室"],
        ["单位：万元"],
        list(STD_HEADER),
        ["合计", total, total, None, None, None, None],
        ["示例市协作办公室", total, total, None, None, None, None],
    ]
    rows += [_filler(k, pad if k == 1 else 0) for k in range(1, fillers + 1)]
    rows.append([SPLIT_NAME, "88.00", "88.00", None, None, SPLIT_GOAL, SPLIT_ITEMS])
    rows.append(["车辆租用经费", "12.00", "12.00", None, None, "保障公务用车。", _filler(n)[6]])
    return rows


#: A cell whose lines run to the edge inside a number and a Latin word (joined with nothing),
#: one wrapped at spaces between Latin words (spaces kept), and cells with real line breaks.
WRAP_NUMBER = (
    "1、1-产出指标；11-数量指标；受益人次；实施周期指标值:≥123456789012345678人次；"
    "年度指标值:≥1234567890123456人次。2、1-产出指标；12-质量指标；"
    "系统Infrastructure-maintenance-availability；实施周期指标值:≥99%；年度指标值:≥99%。"
)
WRAP_LATIN = "Annual maintenance of the office network and the data backup system"
WRAP_BREAKS = "一、培训。\n二、考核。\n三、结项。"
WRAP_LINES = (
    "产出指标；数量指标；举办基层业务骨干培训班期数；≥12期\n"
    "产出指标；质量指标；参训人员结业考核成绩合格率；≥95%\n"
    "效益指标；社会效益指标；基层人员业务能力；有所提升"
)


def wrapped_rows() -> list[list[Any]]:
    return [
        ["项目支出绩效目标表"],
        ["部门名称：示例市信息中心"],
        ["单位：万元"],
        list(STD_HEADER),
        ["示例市信息中心", "60.00", "60.00", None, None, None, None],
        ["网络运维经费", "36.00", "36.00", None, None, WRAP_LATIN, WRAP_NUMBER],
        ["业务培训经费", "24.00", "24.00", None, None, WRAP_BREAKS, WRAP_LINES],
    ]


WRAP_WIDTHS = (40, 30, 30, 30, 30, 60, 45)


#: A table without rules whose header names nothing perfsheet knows: refused.
UNKNOWN_ROWS: list[list[Any]] = [
    ["示例市会议安排"],
    ["日期", "会议内容", "地点", "参会人数"],
    ["3月1日", "年度工作部署会议", "第一会议室", "30"],
    ["3月8日", "预算执行情况通报", "第二会议室", "25"],
    ["3月15日", "绩效自评工作培训", "报告厅", "120"],
]


# --------------------------------------------------------------------------------------------
# building


def _docs_plain() -> dict[str, str]:
    E = EXAMPLES
    running = "2025年广州市协作办公室部门预算"
    return {
        "example_landscape": document(example_blocks(), running_title=running),
        "example_portrait": document(example_blocks(), size=PORTRAIT, running_title=running),
        "rows_merged": document(
            workbook_blocks(E / "示例县教育局_项目支出绩效目标表_逐行.xlsx", head=1), font_pt=12
        ),
        "export": document(
            workbook_blocks(E / "示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx", head=1),
            font_pt=12,
        ),
        "forms": document(
            workbook_blocks(E / "示例县农业农村局_项目支出绩效目标表_一表一项目.xlsx"),
            size=PORTRAIT,
        ),
        "wrapped": document(grid_blocks(wrapped_rows(), WRAP_WIDTHS), size=PORTRAIT),
        # without rules: the header repeated on every page, or printed once
        "example_unruled": document(example_blocks(), running_title=running, rules=False),
        "example_unruled_portrait": document(
            example_blocks(), size=PORTRAIT, running_title=running, rules=False
        ),
        "example_unruled_once": document(
            example_blocks(head=0), running_title=running, rules=False
        ),
        "example_unruled_tight": document(  # rows and the page number only 4 pt apart
            example_blocks(), running_title=running, rules=False, spacing=(0, 2)
        ),
        "unruled_unknown": document(grid_blocks(UNKNOWN_ROWS, (20, 50, 20, 20)), rules=False),
    }


def _stacked_doc(tmp: Path) -> str:
    bl = _module(EXAMPLES / "build_layout_examples.py", "build_layout_examples")
    src, _ = bl.build_stacked_source(tmp)
    return document(workbook_blocks(src), size=PORTRAIT)


def _name_split(outdir: Path, tmp: Path) -> int:
    """Convert candidates with 0..N padding lines; keep the first whose page break cuts the
    long name in two (a part on each page); returns its padding."""
    import pdfplumber

    cands = {f"split_{n}": document(
        grid_blocks(name_split_rows(n), NARROW), size=PORTRAIT, running_title="示例市2025年部门预算"
    ) for n in range(0, 60)}  # fmt: skip
    to_pdf(cands, tmp)
    for n in range(0, 60):
        path = tmp / f"split_{n}.pdf"
        with pdfplumber.open(path) as pdf:
            cut = False
            for page in pdf.pages:
                for t in page.extract_tables():
                    for row in t:
                        name = (row[0] or "").replace("\n", "")
                        if name and SPLIT_NAME.startswith(name) and len(name) < len(SPLIT_NAME):
                            cut = True
            if cut:
                shutil.copyfile(path, outdir / "name_split.pdf")
                return n
    raise RuntimeError("no filler count cuts the long name at a page break")


def name_column_texts(path: Path) -> list[str]:
    """The ideographs of each page's left fifth (the name column of ``NARROW`` tables, and
    the title lines), top to bottom: the long name is cut when no page holds it whole."""
    import pdfplumber

    texts = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            edge = page.width * 0.2  # the name column (NARROW: 40 of 450), not the text
            chars = [c for c in page.chars if (c["x0"] + c["x1"]) / 2 < edge]
            chars.sort(key=lambda c: (round(c["top"]), c["x0"]))
            texts.append("".join(c["text"] for c in chars if ord(c["text"][0]) >= 0x2E80))
    return texts


def _name_split_unruled(outdir: Path, tmp: Path) -> int:
    """The same without rules (``name_split_unruled.pdf``): the first padding whose page break
    cuts the long name (no page holds it whole in the name column); returns the padding."""
    cands = {f"split_u{n}": document(
        grid_blocks(name_split_rows(n), NARROW), size=PORTRAIT,
        running_title="示例市2025年部门预算", rules=False,
    ) for n in range(0, 60)}  # fmt: skip
    to_pdf(cands, tmp)
    for n in range(0, 60):
        path = tmp / f"split_u{n}.pdf"
        texts = name_column_texts(path)
        if not any(SPLIT_NAME in t for t in texts) and any(SPLIT_NAME[:3] in t for t in texts):
            shutil.copyfile(path, outdir / "name_split_unruled.pdf")
            return n
    raise RuntimeError("no filler count cuts the long name at a page break (without rules)")


def _scan(outdir: Path, tmp: Path) -> None:
    """The first page of the landscape example as an image: a PDF without a text layer."""
    import pdfplumber

    with pdfplumber.open(outdir / "example_landscape.pdf") as pdf:
        img = pdf.pages[0].to_image(resolution=60)
        png = tmp / "page1.png"
        img.save(png)
    html_doc = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>@page { size: 29.7cm 21cm; '
        f'margin: 1cm }}</style></head><body><p><img src="{png.as_uri()}" width="100%"></p>'
        "</body></html>"
    )
    to_pdf({"scan": html_doc}, outdir)


def _encrypted(outdir: Path) -> None:
    """An open password (refused), and only an owner password restricting printing and copying
    (read: the user password is empty)."""
    blocks = grid_blocks(wrapped_rows(), WRAP_WIDTHS)
    to_pdf(
        {"encrypted": document(blocks[:1] + blocks[-1:])},
        outdir,
        options={"EncryptFile": True, "DocumentOpenPassword": "perfsheet"},
    )
    to_pdf(
        {"permissions": document(blocks)},
        outdir,
        options={
            "RestrictPermissions": True,
            "PermissionPassword": "owner",
            "Printing": 0,
            "EnableCopyingOfContent": False,
        },
    )


def build(outdir: Path = HERE) -> dict[str, Any]:
    """Write every PDF into ``outdir``; returns the manifest (also written as manifest.json)."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfsheet-fixtures-") as t:
        tmp = Path(t)
        docs = _docs_plain()
        docs["forms_stacked"] = _stacked_doc(tmp)
        to_pdf(docs, outdir)
        fillers = _name_split(outdir, tmp)
        fillers_unruled = _name_split_unruled(outdir, tmp)
        _scan(outdir, tmp)
        _encrypted(outdir)
    manifest = {"name_split_pad": fillers, "name_split_unruled_pad": fillers_unruled}
    (outdir / "manifest.json").write_text(json.dumps(manifest) + "\n", encoding="utf-8")
    return manifest


#: The PDFs committed here (the rest are made by the tests when Writer is installed).
COMMITTED = (
    "example_landscape.pdf",
    "rows_merged.pdf",
    "forms.pdf",
    "name_split.pdf",
    "wrapped.pdf",
    "example_unruled.pdf",
    "name_split_unruled.pdf",
    "unruled_unknown.pdf",
    "scan.pdf",
    "encrypted.pdf",
    "permissions.pdf",
)


def main() -> None:
    parser = argparse.ArgumentParser(description="Make the PDF test fixtures (needs Writer).")
    parser.add_argument("-o", "--outdir", type=Path, default=HERE)
    parser.add_argument("--all", action="store_true", help="every PDF, not only the committed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perfsheet-fixtures-") as t:
        manifest = build(Path(t))
        args.outdir.mkdir(parents=True, exist_ok=True)
        for p in sorted(Path(t).iterdir()):
            if args.all or p.name in COMMITTED or p.name == "manifest.json":
                shutil.copyfile(p, args.outdir / p.name)
    print(manifest)


if __name__ == "__main__":
    main()
