"""PDFs that cannot be read: one Chinese line each, exit code 2, no traceback (issue 16 §1).

Scans, encrypted, truncated and broken files, PDFs without a table, and PDFs beyond the limits
(pages, objects, decompressed size, file size) — the limits are lowered here so that small
files cross them; the code paths are the same."""

from __future__ import annotations

import shutil
import sys
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfsheet import limits
from perfsheet.cli import app
from perfsheet.io import safety

pytest.importorskip("pdfplumber")

FIXTURES = Path(__file__).resolve().parent / "pdf_fixtures"
EXAMPLE_PDF = FIXTURES / "example_landscape.pdf"
runner = CliRunner()


def _one_line_error(path: Path, *fragments: str) -> str:
    for command in (["parse", str(path)], ["check", str(path), "--json"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        err = result.stderr.strip()
        assert "\n" not in err and "Traceback" not in err, err
        assert err.startswith(f"错误：无法读取 {path}：")
        for fragment in fragments:
            assert fragment in err, err
    return err


def tiny_pdf(objects: list[bytes], *, size: int | None = None) -> bytes:
    """A minimal PDF: ``objects`` numbered from 1 (1 is the catalog), its xref and trailer."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    n = len(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % n
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size or n, xref)
    return out


def _stream(data: bytes, *, flate: bool = False) -> bytes:
    if flate:
        data = zlib.compress(data, 9)
        return (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + (b"\nendstream")
        )
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def text_pdf(content: bytes = b"BT /F1 24 Tf 72 720 Td (Hello) Tj ET", **kw: object) -> bytes:
    """One page of text, no table."""
    return tiny_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            _stream(content, **kw),  # type: ignore[arg-type]
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def test_scan_without_text_layer() -> None:
    _one_line_error(FIXTURES / "scan.pdf", "没有文字层", "扫描件", "OCR")


def test_encrypted() -> None:
    _one_line_error(FIXTURES / "encrypted.pdf", "PDF 已加密", "密码")


def test_owner_password_only_is_read() -> None:
    """Encrypted with an owner password that only restricts printing and copying: the user
    password is empty, the table is read."""
    assert b"/Encrypt" in (FIXTURES / "permissions.pdf").read_bytes()
    result = runner.invoke(app, ["parse", str(FIXTURES / "permissions.pdf"), "--json"])
    assert result.exit_code == 0, result.output
    assert "网络运维经费" in result.stdout


@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_truncated(tmp_path: Path, keep: float) -> None:
    data = EXAMPLE_PDF.read_bytes()
    cut = tmp_path / "截断.pdf"
    cut.write_bytes(data[: int(len(data) * keep)])
    _one_line_error(cut, "不完整", "截断")


def test_broken(tmp_path: Path) -> None:
    p = tmp_path / "损坏.pdf"
    p.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    _one_line_error(p, "PDF 文件已损坏")


def test_no_table(tmp_path: Path) -> None:
    p = tmp_path / "只有文字.pdf"
    p.write_bytes(text_pdf())
    _one_line_error(p, "没有找到带表格线的表格")


def test_unruled_table_without_a_known_header_is_refused() -> None:
    """Text aligned in columns (Writer, ``border="0"``) whose header names nothing perfsheet
    knows (日期, 会议内容, 地点, 参会人数): no columns can be located, one clear line."""
    import pdfplumber

    path = FIXTURES / "unruled_unknown.pdf"
    with pdfplumber.open(path) as doc:
        (page,) = doc.pages
        assert "会议内容" in (page.extract_text() or "")
        assert not page.lines and not page.rects and not page.find_tables()
    _one_line_error(path, "没有找到带表格线的表格", "表头", "项目名称")


def test_too_many_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_PDF_PAGES", 3)
    _one_line_error(EXAMPLE_PDF, "页，超过上限 3 页")


def test_too_many_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_PDF_OBJECTS", 20)
    _one_line_error(EXAMPLE_PDF, "个对象，超过上限 20 个")


def test_declared_object_count_checked_before_parsing(tmp_path: Path) -> None:
    p = tmp_path / "声明过多.pdf"
    p.write_bytes(tiny_pdf([b"<< /Type /Catalog /Pages 2 0 R >>"], size=10**9))
    _one_line_error(p, "声明有 1,000,000,000 个对象")


def test_decompression_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    p = tmp_path / "炸弹.pdf"
    # 8 MB of content from 8 KB: stopped after the first MB, before pdfminer reads the page
    p.write_bytes(text_pdf(b"BT ET " + b" " * (8 * 1024 * 1024), flate=True))
    assert p.stat().st_size < 20_000
    _one_line_error(p, "解压后的内容超过上限 1 MB", "压缩炸弹")


def test_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10_000)
    _one_line_error(EXAMPLE_PDF, "文件过大")


def test_pdfplumber_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pdfplumber", None)  # import pdfplumber -> ImportError
    p = tmp_path / "表.pdf"
    shutil.copyfile(EXAMPLE_PDF, p)
    _one_line_error(p, 'python -m pip install "pdfplumber>=0.11,<0.12"', "[pdf]")


def test_inputs_untouched(tmp_path: Path) -> None:
    p = tmp_path / "表.pdf"
    shutil.copyfile(EXAMPLE_PDF, p)
    before = (p.read_bytes(), p.stat().st_mtime_ns)
    assert runner.invoke(app, ["check", str(p), "--json"]).exit_code == 0
    assert runner.invoke(app, ["summary", str(p), "-o", str(tmp_path / "o.xlsx")]).exit_code == 0
    assert (p.read_bytes(), p.stat().st_mtime_ns) == before
