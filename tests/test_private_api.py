"""The private attributes perfsheet uses (:mod:`perfsheet.io.private_api`), checked against the
installed libraries: an upgrade that renames or changes one fails here, naming the attribute
and what perfsheet needs it for. The dependencies have no upper bound for their sake."""

from __future__ import annotations

import os
import platform
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from perfsheet.io import private_api
from perfsheet.io.private_api import (
    PrivateApiError,
    close_row_data,
    first_font,
    loaded_theme,
    pool_processes,
    xf_index,
)


def need(ok: Any, library: str, attribute: str, used_by: str) -> None:
    if not ok:
        installed = platform.python_version() if library == "Python" else version(library)
        pytest.fail(
            f"{library} {installed} changed {attribute}, which perfsheet relies on "
            f"({used_by}): adapt perfsheet.io.private_api (and its caller) to this version, or "
            f"bound the dependency in pyproject.toml"
        )


def test_xlsxwriter_format_xf_index_registers_the_format(tmp_path: Path) -> None:
    used_by = "xlsx_splice: the style index of the data rows we render"
    path = tmp_path / "x.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("s")
    bold = wb.add_format({"bold": True})
    ours = wb.add_format({"num_format": "0.000", "italic": True})
    need(
        callable(getattr(bold, "_get_xf_index", None)),
        "XlsxWriter",
        "Format._get_xf_index()",
        used_by,
    )
    i_bold, i_ours = xf_index(bold), xf_index(ours)
    need(
        isinstance(i_bold, int) and 0 < i_bold != i_ours,
        "XlsxWriter",
        "Format._get_xf_index()",
        used_by,
    )
    assert xf_index(None) == 0
    ws.write_string(0, 0, "x", bold)  # XlsxWriter's own cell: the index it writes is ours
    wb.close()
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    need(f'r="A1" s="{i_bold}"' in sheet, "XlsxWriter", "Format._get_xf_index()", used_by)
    # the format no XlsxWriter cell uses is in styles.xml, at the index we were given
    cell_xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert cell_xfs is not None
    xfs = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", cell_xfs.group(1), re.S)
    fmt_id = re.search(r'numFmtId="(\d+)"', xfs[i_ours]) if i_ours < len(xfs) else None
    need(
        fmt_id and f'numFmtId="{fmt_id.group(1)}" formatCode="0.000"' in styles,
        "XlsxWriter",
        "Format._get_xf_index() (registering the format for styles.xml)",
        used_by,
    )


def test_xf_index_names_the_missing_attribute() -> None:
    with pytest.raises(PrivateApiError, match=r"XlsxWriter .* Format\._get_xf_index\(\)"):
        xf_index(object())


def test_xlsxwriter_row_data_file_of_an_unclosed_workbook(tmp_path: Path) -> None:
    used_by = "summary_writer: closing the row files of a run that failed before removing them"
    wb = xlsxwriter.Workbook(
        str(tmp_path / "x.xlsx"), {"constant_memory": True, "tmpdir": str(tmp_path)}
    )
    ws = wb.add_worksheet("s")
    ws.write_number(0, 0, 1)
    fh = getattr(ws, "row_data_fh", None)
    need(fh is not None and not fh.closed, "XlsxWriter", "Worksheet.row_data_fh", used_by)
    close_row_data(ws)
    assert fh.closed
    close_row_data(ws)  # twice, and without the file: nothing to do
    close_row_data(object())


def test_openpyxl_default_font_and_theme(tmp_path: Path) -> None:
    used_by = "template: the template's default font and theme colours"
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(
        str(path), {"default_format_properties": {"font_name": "Arial", "font_size": 9}}
    )
    wb.add_worksheet("s").write_string(0, 0, "x")
    wb.close()
    loaded = openpyxl.load_workbook(path)
    need(getattr(loaded, "_fonts", None), "openpyxl", "Workbook._fonts", used_by)
    font = first_font(loaded)
    need(
        font is not None and font.name == "Arial" and float(font.sz) == 9,
        "openpyxl",
        "Workbook._fonts",
        used_by,
    )
    theme = loaded_theme(loaded)
    need(
        isinstance(theme, bytes) and b"<a:theme" in theme,
        "openpyxl",
        "Workbook.loaded_theme",
        used_by,
    )


def test_process_pool_worker_processes() -> None:
    used_by = "batch engine: killing the one worker that runs past the time limit"
    with ProcessPoolExecutor(max_workers=1) as pool:
        pid = pool.submit(os.getpid).result(timeout=60)
        procs = pool_processes(pool)
        need(procs is not None, "Python", "ProcessPoolExecutor._processes", used_by)
        assert procs is not None
        need(pid in [p.pid for p in procs], "Python", "ProcessPoolExecutor._processes", used_by)


def test_every_wrapper_is_tested() -> None:
    """A new private access goes into private_api and gets a check here."""
    wrappers = {
        name
        for name, f in vars(private_api).items()
        if callable(f)
        and getattr(f, "__module__", "") == private_api.__name__
        and not name.startswith("_")
        and not isinstance(f, type)
    }
    assert wrappers == {
        "xf_index",
        "close_row_data",
        "first_font",
        "loaded_theme",
        "pool_processes",
    }
