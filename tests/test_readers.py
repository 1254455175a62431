"""read_workbook on real files: values, merged ranges, formats, and unreadable inputs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from perfsheet.core.grid import MergedRange
from perfsheet.errors import InputError
from perfsheet.io.readers import read_workbook
from workbooks import to_xls, write_xlsx

ROWS = [
    ["标题：示例县农业农村局项目支出绩效目标表"],
    [],
    ["项目", "金额", "比例", "日期", "是否"],
    ["农机购置补贴", 1200, 12.5, dt.date(2025, 3, 1), True],
    ["  带空格的文字  ", "1,234.50", None, None, False],
]


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("readers") / "样例.xlsx"
    write_xlsx(path, {"数据": ROWS, "空白页": []}, merges={"数据": ["A1:E1", "B5:B6"]})
    return path


@pytest.fixture(scope="module")
def sample_xls(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return to_xls(sample, tmp_path_factory.mktemp("xls"))


def _check_values(path: Path) -> None:
    wb = read_workbook(path)
    assert [s.name for s in wb.sheets] == ["数据", "空白页"]
    g = wb.sheets[0]
    assert g.origin_row == 1 and g.origin_col == 1
    assert g.value(1, 1) == "标题：示例县农业农村局项目支出绩效目标表"
    assert g.value(2, 1) is None
    assert g.value(3, 2) == "金额"
    # whole numbers are ints in every format, other numbers floats
    assert g.value(4, 2) == 1200 and type(g.value(4, 2)) is int
    assert g.value(4, 3) == 12.5 and type(g.value(4, 3)) is float
    assert g.value(4, 4) == dt.date(2025, 3, 1) or g.value(4, 4) == dt.datetime(2025, 3, 1)
    assert g.value(4, 5) is True
    assert g.value(5, 1) == "  带空格的文字  "  # text kept exactly
    assert g.value(5, 2) == "1,234.50"
    assert g.value(5, 3) is None
    assert set(g.merged) == {MergedRange(1, 1, 1, 5), MergedRange(5, 2, 6, 2)}
    assert wb.sheets[1].rows == []


def test_xlsx_values_and_merges(sample: Path) -> None:
    before = _digest(sample)
    _check_values(sample)
    assert _digest(sample) == before, "reading must not touch the input"


def test_xls_values_and_merges(sample_xls: Path) -> None:
    before = _digest(sample_xls)
    _check_values(sample_xls)
    assert _digest(sample_xls) == before


def test_format_is_taken_from_content_not_extension(sample: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "其实是xlsx.xls"
    renamed.write_bytes(sample.read_bytes())
    assert read_workbook(renamed).sheets[0].value(3, 2) == "金额"
    xlsm = tmp_path / "宏.xlsm"
    xlsm.write_bytes(sample.read_bytes())
    assert read_workbook(xlsm).sheets[0].value(4, 1) == "农机购置补贴"


def test_only_the_requested_sheet(sample: Path) -> None:
    wb = read_workbook(sample, sheet="空白页")
    assert [s.name for s in wb.sheets] == ["空白页"]
    with pytest.raises(InputError) as err:
        read_workbook(sample, sheet="不存在的表")
    assert "不存在的表" in str(err.value) and "数据" in str(err.value)


def _reason_of(path: Path) -> str:
    with pytest.raises(InputError) as err:
        read_workbook(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    return err.value.reason


def test_zero_byte_file(tmp_path: Path) -> None:
    p = tmp_path / "空文件.xlsx"
    p.write_bytes(b"")
    assert "0 字节" in _reason_of(p)


def test_text_renamed_to_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "文本.xlsx"
    p.write_text("项目名称,总计\n培训费,12\n", encoding="utf-8")
    assert "不是 Excel 工作簿" in _reason_of(p)


def test_html_saved_as_xls(tmp_path: Path) -> None:
    p = tmp_path / "导出.xls"
    p.write_text("<html><body><table><tr><td>合计</td></tr></table></body></html>")
    assert "HTML" in _reason_of(p)


def test_truncated_xlsx(sample: Path, tmp_path: Path) -> None:
    p = tmp_path / "截断.xlsx"
    p.write_bytes(sample.read_bytes()[:1500])
    assert "损坏" in _reason_of(p)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    p = tmp_path / "压缩包.xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    p.write_bytes(buf.getvalue())
    assert "损坏" in _reason_of(p) or "无法" in _reason_of(p)


def test_encrypted_workbook(sample: Path, tmp_path: Path) -> None:
    p = tmp_path / "加密.xlsx"
    with sample.open("rb") as src, p.open("wb") as out:
        OOXMLFile(src).encrypt("密码123", out)
    assert "加密" in _reason_of(p)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "不存在" in _reason_of(tmp_path / "没有这个文件.xlsx")
    assert "文件夹" in _reason_of(tmp_path)
