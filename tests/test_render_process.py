"""The render process (perfsheet.io.render_process): a large summary's rows rendered and deflated
in a second process, the same workbook as when one process does everything."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsheet
from perfsheet.io import render_process as rp
from perfsheet.io import xlsx_splice
from perfsheet.io.xlsx_merge import ZipOut, crc32_combine
from perfsheet.io.xlsx_splice import RowRender, RowSpools, TooManyRowsError
from perfsheet.io.xlsx_stream import EXCEL_MAX_ROWS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PACKED = EXAMPLES / "广州市协作办公室_项目支出绩效目标表.xlsx"
EXPORTED = EXAMPLES / "示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx"


@given(st.binary(max_size=300), st.binary(max_size=3000))
def test_crc32_combine_equals_the_crc_of_the_whole(a: bytes, b: bytes) -> None:
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("size", [1 << 20, (1 << 22) + 12_345])
def test_crc32_combine_over_megabytes(size: int) -> None:
    a, b = b"<row/>" * 7, bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(max_size=5000), min_size=1, max_size=4), st.binary(max_size=500))
def test_a_member_built_from_deflated_pieces_reads_back(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[bytes], head: bytes
) -> None:
    """Bytes deflated here, pieces deflated elsewhere (sync-flushed) and a tail: one member
    that zipfile inflates to the same bytes and whose CRC it checks."""
    folder = tmp_path_factory.mktemp("z")
    paths = []
    for i, piece in enumerate(pieces):
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        path = folder / f"p{i}.bin"
        path.write_bytes(comp.compress(piece) + comp.flush(zlib.Z_SYNC_FLUSH))
        paths.append(path)
    out = folder / "out.zip"
    with open(out, "wb") as fp:
        z = ZipOut(fp)
        with z.open("a.xml") as member:
            member.write(head)
            for path, piece in zip(paths, pieces, strict=True):
                member.write_deflated(path, zlib.crc32(piece), len(piece))
                member.write(b"<tail/>")
        z.close()
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert zf.read("a.xml") == head + b"".join(p + b"<tail/>" for p in pieces)


def _started_and_ready(monkeypatch: pytest.MonkeyPatch, *, kill: bool = False) -> list:
    """Every output uses the render process from its first row: it starts at once and is
    waited for (a real process; ``kill``: killed as soon as it is ready)."""
    started: list = []
    real_start = rp.RenderProcess.start

    def start() -> rp.RenderProcess | None:
        helper = real_start()
        assert helper is not None
        assert helper.wait_ready(60)
        if kill:
            helper.proc.kill()
            helper.proc.wait()
        started.append(helper)
        return helper

    monkeypatch.setattr(xlsx_splice, "START_RENDER_PROCESS_ROWS", 0)
    monkeypatch.setattr(rp.RenderProcess, "start", staticmethod(start))
    return started


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


@pytest.mark.parametrize("with_source", [False, True])
@pytest.mark.parametrize("source", [PACKED, EXPORTED], ids=["packed", "exported"])
def test_rows_rendered_in_the_render_process_give_the_same_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path, with_source: bool
) -> None:
    when = dt.datetime(2026, 12, 5, 9, 30)
    alone = perfsheet.summarize(
        source,
        tmp_path / "alone.xlsx",
        with_source=with_source,
        generated_at=when,
        render_process=False,
    )
    started = _started_and_ready(monkeypatch)
    two = perfsheet.summarize(
        source, tmp_path / "two.xlsx", with_source=with_source, generated_at=when
    )
    assert started, "the render process was not used"
    assert two.counts == alone.counts
    assert _parts(tmp_path / "two.xlsx") == _parts(tmp_path / "alone.xlsx")  # every part
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone.xlsx", "two.xlsx"]


def test_a_render_process_that_dies_costs_time_not_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = perfsheet.summarize(PACKED, tmp_path / "alone.xlsx", render_process=False)
    started = _started_and_ready(monkeypatch, kill=True)
    report = perfsheet.summarize(PACKED, tmp_path / "out.xlsx")
    assert len(started) == 1  # tried once, then everything again in this process
    assert report.counts == expected.counts
    assert _parts(tmp_path / "out.xlsx").keys() == _parts(tmp_path / "alone.xlsx").keys()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone.xlsx", "out.xlsx"]


def _render() -> RowRender:
    return RowRender([("A", "", ""), ("B", "", "")], 1, [])


def test_an_error_in_the_render_process_is_raised_here(tmp_path: Path) -> None:
    spools = RowSpools(tmp_path)
    helper = rp.RenderProcess.start()
    assert helper is not None and helper.wait_ready(60)
    spools.helper = helper
    spools.started = True
    spool = spools.open("明细")
    spools.write(spool, _render(), 1, [("甲", 1.0)])
    spools.write(spool, _render(), EXCEL_MAX_ROWS - 1, [("乙", 2.0), ("丙", 3.0)])
    with pytest.raises(TooManyRowsError, match=r"明细.*超出 Excel 工作表的行数上限"):
        spools.finish()
    assert helper.proc.poll() is not None  # it ended


def test_no_render_process_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch converter's workers (and any writer outside ``render_process(True)``) keep
    every row in their own process."""
    monkeypatch.setattr(xlsx_splice, "START_RENDER_PROCESS_ROWS", 0)
    spools = RowSpools(tmp_path)
    spool = spools.open("明细")
    for r in range(1, 4):
        spools.write(spool, _render(), r, [("甲", float(r))])
    assert spools.helper is None
    with xlsx_splice.render_process(True):
        spools2 = RowSpools(tmp_path / "b")
        (tmp_path / "b").mkdir()
        spool2 = spools2.open("明细")
        spools2.write(spool2, _render(), 1, [("甲", 1.0)])
        assert spools2.helper is not None or (os.cpu_count() or 1) < 2
        spools2.close()


def test_rows_written_by_both_processes_follow_each_other(tmp_path: Path) -> None:
    """Rows rendered here, then the spool handed over: one worksheet, rows in order, the
    links of both parts kept."""
    import xlsxwriter

    from perfsheet.core.summary_rows import Link

    raw = tmp_path / "raw.xlsx"
    wb = xlsxwriter.Workbook(str(raw), {"constant_memory": True})
    ws = wb.add_worksheet("明细")
    ws.write_string(0, 0, "名称")
    wb.add_worksheet("目标")
    wb.close()
    spools = RowSpools(tmp_path)
    spool = spools.open("明细")
    render = RowRender([("A", "", ""), ("B", "", "")], 1, [])
    spools.write(spool, render, 1, [(Link("到目标", "目标", "A1"), 1.0), ("乙", 2.0)])
    helper = rp.RenderProcess.start()
    assert helper is not None and helper.wait_ready(60)
    spools.helper, spools.started = helper, True
    spools.write(spool, render, 3, [(Link("再到目标", "目标", "B2"), 3.0), ("丁", None)])
    out = tmp_path / "out.xlsx"
    spools.splice(raw, out)
    import openpyxl

    sheet = openpyxl.load_workbook(out)["明细"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["名称", None],
        ["到目标", 1],
        ["乙", 2],
        ["再到目标", 3],
        ["丁", None],
    ]
    assert sheet["A2"].hyperlink.location == "'目标'!A1"
    assert sheet["A4"].hyperlink.location == "'目标'!B2"
    assert len(spool.segments) == 2 and len(spool.link_files) == 2


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """A library user's script that calls summarize() at its top level (no ``if __name__ ==
    "__main__"``) is not run again by the render process (a spawned multiprocessing child
    would re-run it, and summarize twice)."""
    import subprocess
    import sys

    log = tmp_path / "runs.log"
    script = tmp_path / "用户脚本.py"
    script.write_text(
        f"""
import perfsheet
from perfsheet.io import render_process as rp, xlsx_splice
with open({str(log)!r}, "a") as fh:
    fh.write("run\\n")
real_start = rp.RenderProcess.start
def start():
    helper = real_start()
    assert helper is not None and helper.wait_ready(60)
    return helper
rp.RenderProcess.start = staticmethod(start)
xlsx_splice.START_RENDER_PROCESS_ROWS = 0
perfsheet.summarize({str(PACKED)!r}, {str(tmp_path / "out.xlsx")!r}, with_source=False)
""",
        encoding="utf-8",
    )
    src = str(Path(__file__).resolve().parent.parent / "src")
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["run"]
    assert (tmp_path / "out.xlsx").is_file()
