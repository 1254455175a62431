"""The consolidated workbook as printed: ``convert examples/``, then LibreOffice renders
``绩效汇总_合并.xlsx`` to PDF (headless, as a printer would lay it out) and poppler reads the
PDF back (``pdftotext``; ``pdftoppm`` makes a PNG of a page to look at).

What is checked, against the cells (openpyxl):

* 来源文件 in 部门汇总 shows each file name whole, on one line;
* no text is cut: every text cell of every sheet appears whole in the PDF's text (LibreOffice
  leaves out the lines of a wrapped text that do not fit the row, so a row too low shows as a
  missing piece), and no two words overlap on the page (text too wide for a column that
  cannot wrap is drawn whole under a clip, over its neighbour);
* 绩效指标明细 prints on A3 landscape, the other sheets on A4 landscape, one page wide.

LibreOffice, poppler-utils and a CJK font (without one every Chinese character is drawn as the
same box, and nothing about widths can be seen) are required under CI (``.ci/run`` installs
them); elsewhere the tests skip when one is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from perfsheet.batch.naming import CONSOLIDATED_NAME
from summary_helpers import lo_convert, soffice

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
A3_LANDSCAPE = (1190.55, 841.89)  # points
A4_LANDSCAPE = (841.89, 595.30)


def _need(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{tool} (poppler-utils) is required for the print tests under CI")
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return exe


def _need_cjk_font() -> None:
    fc = shutil.which("fc-list")
    fonts = subprocess.run([fc, ":lang=zh"], capture_output=True, text=True).stdout if fc else ""
    if not fonts.strip():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("a CJK font (fonts-wqy-microhei) is required for the print tests")
        pytest.skip("no CJK font installed: Chinese text would render as boxes")


def _run(*cmd: str | Path) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


class Rendered:
    def __init__(self, xlsx: Path, pdf: Path) -> None:
        self.xlsx = xlsx
        self.pdf = pdf
        pdftotext = _need("pdftotext")
        info = _run(_need("pdfinfo"), pdf)
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
        self.pages: list[dict[str, Any]] = []
        for p in range(1, pages + 1):
            raw = _run(pdftotext, "-raw", "-f", p, "-l", p, pdf, "-")
            size = _run(_need("pdfinfo"), "-f", p, "-l", p, pdf)
            w, h = re.search(r"size:\s+([\d.]+) x ([\d.]+)", size).groups()  # type: ignore[union-attr]
            self.pages.append(
                {
                    # the page header names the sheet, top left
                    "sheet": raw.split()[0],
                    "raw": raw,
                    "layout": _run(pdftotext, "-layout", "-f", p, "-l", p, pdf, "-"),
                    "bbox": _run(pdftotext, "-bbox", "-f", p, "-l", p, pdf, "-"),
                    "size": (float(w), float(h)),
                }
            )

    def sheet_pages(self, sheet: str) -> list[dict[str, Any]]:
        pages = [p for p in self.pages if p["sheet"] == sheet]
        assert pages, f"no page of {sheet}"
        return pages


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    soffice()
    _need("pdftotext")
    _need("pdftoppm")
    _need_cjk_font()
    tmp = tmp_path_factory.mktemp("print")
    out = tmp / "输出"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "perfsheet", "convert", str(EXAMPLES), "-o", str(out)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    xlsx = out / CONSOLIDATED_NAME
    lo_convert([xlsx], tmp / "pdf", target="pdf")
    return Rendered(xlsx, tmp / "pdf" / (xlsx.stem + ".pdf"))


def _texts(xlsx: Path) -> dict[str, list[tuple[str, str]]]:
    """Every text cell below the header, per sheet: (header, text); formulas as their
    cached values (numbers)."""
    wb = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
    out: dict[str, list[tuple[str, str]]] = {}
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "").replace("\n", "") for h in next(rows)]
        out[ws.title] = [
            (header[c], v) for row in rows for c, v in enumerate(row) if isinstance(v, str) and v
        ]
    wb.close()
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def _overlaps(page: dict[str, Any]) -> list[tuple[str, str]]:
    """Words drawn over each other on a page. (The boxes of two lines of one cell touch: a
    box is the font's height, more than the line spacing; text drawn over text overlaps by
    most of a line.)"""
    words = [
        (float(a), float(b), float(c), float(d), t) for a, b, c, d, t in _WORD.findall(page["bbox"])
    ]
    return [
        (w1[4], w2[4])
        for i, w1 in enumerate(words)
        for w2 in words[i + 1 :]
        if min(w1[2], w2[2]) - max(w1[0], w2[0]) > 0.5
        and min(w1[3], w2[3]) - max(w1[1], w2[1]) > 0.5 * min(w1[3] - w1[1], w2[3] - w2[1])
    ]


def test_dept_sheet_shows_every_file_name_whole(rendered: Rendered) -> None:
    names = [v for h, v in _texts(rendered.xlsx)["部门汇总"] if h == "来源文件"]
    assert len(set(names)) == 5  # the five example departments
    pages = rendered.sheet_pages("部门汇总")
    lines = [line for p in pages for line in p["layout"].splitlines()]
    for name in names:
        assert any(name in line for line in lines), f"来源文件 wrapped or cut: {name}"
    # a name too wide for its column is drawn whole, under the next column's text
    for page in pages:
        assert not _overlaps(page), f"部门汇总: text drawn over text: {_overlaps(page)[:5]}"


def test_no_text_is_cut(rendered: Rendered) -> None:
    texts = _texts(rendered.xlsx)
    for sheet, cells in texts.items():
        pages = rendered.sheet_pages(sheet)
        printed = "".join(_squash(p["raw"]) for p in pages)
        missing = [(h, v) for h, v in cells if _squash(v) not in printed]
        assert not missing, f"{sheet}: cut off in print: {missing[:5]}"
    for page in rendered.pages:
        assert not _overlaps(page), f"{page['sheet']}: text drawn over text: {_overlaps(page)[:5]}"


def test_headers_break_before_the_unit(rendered: Rendered) -> None:
    """``财政专户拨款（万元）`` prints as 财政专户拨款 over （万元）, on every page (the header row
    repeats): a header breaks where it has a line feed, nowhere else."""
    wb = openpyxl.load_workbook(rendered.xlsx, read_only=True)
    headers = {ws.title: next(ws.iter_rows(max_row=1, values_only=True)) for ws in wb.worksheets}
    wb.close()
    assert "财政专户拨款\n（万元）" in headers["部门汇总"]
    for page in rendered.pages:
        lines = [line.strip() for line in page["raw"].splitlines()]
        for h in headers[page["sheet"]]:
            if isinstance(h, str) and "\n" in h:
                first, second = h.split("\n")
                at = lines.index(first)
                assert lines[at + 1] == second, (page["sheet"], h, lines[at : at + 2])


def test_detail_prints_on_a3_the_others_on_a4(rendered: Rendered) -> None:
    for page in rendered.pages:
        expected = A3_LANDSCAPE if page["sheet"] == "绩效指标明细" else A4_LANDSCAPE
        assert page["size"] == pytest.approx(expected, abs=1), page["sheet"]
    # one page wide: every page of the sheet has the header row's last column
    for page in rendered.sheet_pages("绩效指标明细"):
        assert "来源位置" in page["raw"]


def test_a_page_renders_to_png(rendered: Rendered, tmp_path: Path) -> None:
    _run(_need("pdftoppm"), "-r", "50", "-png", "-f", "1", "-l", "1", rendered.pdf, tmp_path / "p")
    png = next(tmp_path.glob("p*.png"))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > height  # landscape
