"""Hostile and broken inputs (issue 8 §1).

Fatal inputs give ONE clear Chinese line and exit code 2 — never a traceback, a hang or a crash
of the process — and are never modified. Odd cell contents (formulas without a stored result,
error values, dates, booleans, cells at Excel's size limits, merges over the header) are not
fatal: they become findings with the cell address. Every file is generated here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from typer.testing import CliRunner

from hostile import builders as B
from perfsheet import limits
from perfsheet.analysis import analyze_file
from perfsheet.cli import app
from perfsheet.core.pipeline import analyze
from perfsheet.errors import InputError
from perfsheet.io.readers import read_workbook
from perfsheet.io.safety import time_limit
from workbooks import STD_HEADER, TRAINING, P, require_soffice, table_rows, to_xls, write_xlsx

runner = CliRunner()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_clear_error(path: Path, *fragments: str) -> str:
    """``check --json`` and ``parse``: exit 2, one Chinese line on stderr, input unchanged."""
    before = _sha(path)
    reasons = []
    for args in (["check", str(path), "--json"], ["parse", str(path)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr, result.exception)
        assert result.stdout == ""
        err = result.stderr.strip()
        assert err.startswith("错误：") and "\n" not in err and "Traceback" not in err, err
        for fragment in fragments:
            assert fragment in err, err
        reasons.append(err)
    assert _sha(path) == before, "the input was modified"
    assert reasons[0] == reasons[1]
    return reasons[0]


@pytest.fixture(scope="module")
def good_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = table_rows(
        projects=[P("培训经费", (12, 10, None, 2)), P("图书购置", (8, 8, None, None))]
    )
    return write_xlsx(tmp_path_factory.mktemp("good") / "示例表.xlsx", rows)


@pytest.fixture(scope="module")
def good_xls(good_xlsx: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return to_xls(good_xlsx, tmp_path_factory.mktemp("good_xls"))


# --------------------------------------------------------------------------------------------
# fatal inputs: one clear error


def test_zero_byte_and_text_renamed(tmp_path: Path) -> None:
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    _one_clear_error(empty, "0 字节")
    text = tmp_path / "文本.xlsx"
    text.write_text("项目名称,总计\n培训费,12\n", encoding="utf-8")
    _one_clear_error(text, "不是 Excel 工作簿")


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    result = runner.invoke(app, ["check", str(fifo)])
    assert result.exit_code == 2 and "不是普通文件" in result.stderr
    if Path("/dev/zero").exists():
        assert runner.invoke(app, ["parse", "/dev/zero"]).exit_code == 2


@pytest.mark.parametrize("cut", [30, 0.1, 0.5, 0.9, -22, -1])
def test_truncated_xlsx(good_xlsx: Path, tmp_path: Path, cut: float) -> None:
    data = good_xlsx.read_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else (cut if cut > 0 else len(data) + cut)
    p = tmp_path / "截断.xlsx"
    p.write_bytes(data[:n])
    _one_clear_error(p, "损坏")


def test_zip_bomb_huge_shared_strings(tmp_path: Path) -> None:
    # 300 MB of shared strings in a file of ~300 KB: refused from the zip directory, before
    # anything is decompressed
    p = B.zip_bomb(tmp_path / "炸弹.xlsx", "xl/sharedStrings.xml", 300 << 20)
    assert p.stat().st_size < 1 << 20
    _one_clear_error(p, "压缩炸弹", "256 MB")


def test_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    p = B.zip_bomb(tmp_path / "高压缩比.xlsx", "xl/worksheets/sheet1.xml", 20 << 20)
    _one_clear_error(p, "压缩比", "压缩炸弹")


def test_zip_member_larger_than_it_claims(tmp_path: Path) -> None:
    # the directory says 4 KB, the deflate stream holds 8 MB: never inflated past the claim
    _one_clear_error(B.lying_sizes(tmp_path / "谎报大小.xlsx"), "损坏")


@pytest.mark.parametrize("where", ["sst", "sheet", "workbook"])
def test_billion_laughs_refused(tmp_path: Path, where: str) -> None:
    _one_clear_error(B.billion_laughs(tmp_path / f"实体炸弹_{where}.xlsx", where), "实体")


def test_external_entity_refused_and_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42", encoding="utf-8")
    p = B.external_entity(tmp_path / "外部实体.xlsx", secret)
    assert "TOP-SECRET-42" not in _one_clear_error(p, "实体")


_CALAMINE_ALONE = textwrap.dedent(
    """
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    import python_calamine as pc
    start = time.perf_counter()
    out = {"error": None, "message": "", "values": None}
    try:
        book = pc.CalamineWorkbook.from_path(sys.argv[1])
        sheet = book.get_sheet_by_name(book.sheet_names[0])
        out["values"] = sheet.to_python()
    except Exception as err:
        out["error"], out["message"] = type(err).__name__, str(err)
    out["seconds"] = time.perf_counter() - start
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(out, ensure_ascii=False))
    """
)


@pytest.mark.parametrize("where", ["sst", "sheet", "workbook", "external"])
def test_calamine_alone_does_not_expand_entities(tmp_path: Path, where: str) -> None:
    """Defence in depth: even without our DTD check, calamine (quick-xml) refuses custom and
    external entities at once. Run in a child process with a 2 GB address-space limit and a
    timeout, so a regression could not take the test run down."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42", encoding="utf-8")
    if where == "external":
        p = B.external_entity(tmp_path / "xxe.xlsx", secret)
    else:
        p = B.billion_laughs(tmp_path / f"lol_{where}.xlsx", where)
    proc = subprocess.run(
        [sys.executable, "-c", _CALAMINE_ALONE, str(p)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["error"] == "XmlError" and "entity" in out["message"], out
    assert "TOP-SECRET-42" not in proc.stdout and "lollol" not in proc.stdout
    assert out["rss_mb"] < 500


def test_encrypted_workbook(good_xlsx: Path, tmp_path: Path) -> None:
    p = tmp_path / "加密.xlsx"
    with good_xlsx.open("rb") as src, p.open("wb") as out:
        OOXMLFile(src).encrypt("密码123", out)
    _one_clear_error(p, "加密")


def test_two_far_cells_do_not_allocate_17_billion(tmp_path: Path) -> None:
    # calamine alone aborts the process on this 1 KB file (a dense 550 GB range)
    p = B.far_cells(tmp_path / "远处单元格.xlsx")
    assert p.stat().st_size < 4096
    _one_clear_error(p, "使用范围过大", "表1", "1,048,576 行 × 16,384 列")


def test_announced_shared_strings_beyond_limit(tmp_path: Path) -> None:
    # calamine alone reserves 4 billion strings up front and aborts
    _one_clear_error(
        B.huge_unique_count(tmp_path / "共享字符串.xlsx"), "共享字符串", "4,000,000,000"
    )


def test_ods_and_xlsb_packages_refused(tmp_path: Path) -> None:
    # calamine falls back to its ODS reader for such a zip; 2000 × 2000 repeated cells would be
    # 4 million cells from a file of a few hundred bytes
    p = B.ods_repeated_cells(tmp_path / "重复单元格.xlsx")
    assert p.stat().st_size < 2048
    _one_clear_error(p, "不支持 .ods / .xlsb")


def test_cell_beyond_excel_length_limit(tmp_path: Path) -> None:
    p = B.simple(tmp_path / "超长.xlsx", [["项目名称", "绩效指标"], ["培训费", "字" * 32_768]])
    _one_clear_error(p, "B2", "32,768", "32,767")


def test_too_many_merged_ranges(tmp_path: Path) -> None:
    _one_clear_error(
        B.many_merges(tmp_path / "合并.xlsx", limits.MAX_MERGED_RANGES + 1), "合并区域"
    )


def test_a_million_used_rows_without_a_table(tmp_path: Path) -> None:
    p = B.rows_without_table(tmp_path / "百万行.xlsx")
    before = _sha(p)
    result = runner.invoke(app, ["check", str(p), "--json"])
    assert result.exit_code == 2 and result.stdout == ""
    err = result.stderr.strip()
    assert "\n" not in err and "未找到绩效目标表" in err
    assert _sha(p) == before


def test_table_with_a_stray_value_at_the_last_row(tmp_path: Path) -> None:
    rows = table_rows(projects=[P("培训经费", (12, 10, None, 2))])
    body = B.rows_xml(rows) + '<row r="1048576"><c r="J1048576"><v>1</v></c></row>'
    p = B.package(tmp_path / "末行杂项.xlsx", {"表1": B.sheet_xml(body)})
    _one_clear_error(p, "使用范围过大", "删除表格以外的多余内容")


XLS_BREAKERS: dict[str, Callable[[bytes], bytes]] = {
    "目录扇区链循环": B.xls_directory_loop,
    "DIFAT循环": B.xls_difat_loop,
    "无FAT": B.xls_no_fat,
    "工作表偏移越界": B.xls_boundsheet_past_end,
}


@pytest.mark.parametrize("name", list(XLS_BREAKERS))
def test_broken_xls_structures(good_xls: Path, tmp_path: Path, name: str) -> None:
    # the directory loop makes calamine alone read forever until memory runs out
    p = tmp_path / f"{name}.xls"
    p.write_bytes(XLS_BREAKERS[name](good_xls.read_bytes()))
    _one_clear_error(p, "损坏")


def _has_record(data: bytes, typ: int, row: int, col: int) -> bool:
    try:
        B.find_record(data, typ, row, col)
    except LookupError:
        return False
    return True


def test_xls_cells_beyond_limits(good_xls: Path, tmp_path: Path) -> None:
    data = good_xls.read_bytes()
    # 12 in B5 (and 10 in C5): LibreOffice writes them as one MULRK record, else RK / NUMBER
    typ = next(t for t in (0x00BD, 0x027E, 0x0203) if _has_record(data, t, 4, 1))
    far = tmp_path / "远处.xls"
    far.write_bytes(B.xls_move_cell(data, typ, 4, 1, 65535, 255))
    _one_clear_error(far, "使用范围过大", "65,536 行 ×")
    wide = tmp_path / "超宽.xls"
    wide.write_bytes(B.xls_move_cell(data, typ, 4, 1, 4, 40000))
    _one_clear_error(wide, "超出 Excel 范围")


def test_header_hidden_under_a_title_merge(tmp_path: Path) -> None:
    rows = table_rows(projects=[P("培训经费", (12, 10, None, 2))])
    # the title's merge covers the header row (row 4): Excel shows only the title there
    p = write_xlsx(tmp_path / "标题合并.xlsx", rows, merges=["A1:G4"])
    _one_clear_error(p, "未找到绩效目标表")


# --------------------------------------------------------------------------------------------
# not fatal: findings with the cell address


def _check_json(path: Path) -> tuple[int, dict]:
    before = _sha(path)
    result = runner.invoke(app, ["check", str(path), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert _sha(path) == before
    return result.exit_code, json.loads(result.stdout)


def _by_cell(doc: dict, *rules: str) -> dict[str, dict]:
    return {
        f["cell"]: f
        for t in doc["tables"]
        for f in t["findings"]
        if not rules or f["rule"] in rules
    }


ODD_PROJECTS = [
    P("培训经费", ("=C6+D6+E6", 10, None, 2)),  # B6: a formula, no stored result (openpyxl)
    P("道路维修", (5, "#REF!", None, None)),  # C7: an error value
    P("图书购置", (3, 3, None, "#DIV/0!")),  # E8
    P("信息化运维", (dt.date(2025, 1, 1), 1, None, None)),  # B9: a date
    P("宣传活动", (2, True, None, None)),  # C10: a boolean
    P("课题研究", (4, 4, None, None), indicators="#N/A"),  # G11: an error in a text column
]


@pytest.fixture(scope="module")
def odd_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = table_rows(projects=ODD_PROJECTS, grand=("=SUM(B6:B11)", 25, None, 2))
    return write_xlsx(tmp_path_factory.mktemp("odd") / "异常单元格.xlsx", rows)


def test_odd_cells_become_findings_with_addresses(odd_xlsx: Path) -> None:
    code, doc = _check_json(odd_xlsx)
    assert code == 1
    fmt = _by_cell(doc, "amount-format")
    assert set(fmt) == {"B5", "B6", "C7", "E8", "B9", "C10"}
    assert (
        "公式「=SUM(B6:B11)」" in fmt["B5"]["message"]
        and "没有保存计算结果" in fmt["B5"]["message"]
    )
    assert "公式「=C6+D6+E6」" in fmt["B6"]["message"]
    assert "错误值 #REF!" in fmt["C7"]["message"] and fmt["C7"]["actual"] == "#REF!"
    assert "错误值 #DIV/0!" in fmt["E8"]["message"]
    assert "日期" in fmt["B9"]["message"]
    assert "逻辑值" in fmt["C10"]["message"]
    assert all(f["severity"] == "error" for f in fmt.values())
    cell = _by_cell(doc, "cell-error")
    assert set(cell) == {"G11"} and "错误值 #N/A" in cell["G11"]["message"]
    assert cell["G11"]["severity"] == "warning"
    # rows with an unusable amount are not summed: no row-total noise on them
    assert not {"B6", "B7", "B8", "B9", "B10"} & set(_by_cell(doc, "row-total"))


def test_libreoffice_recalculated_copies(odd_xlsx: Path, tmp_path: Path) -> None:
    """After LibreOffice computes and stores the formulas, they are numbers (no finding); the
    error values stay error values, in .xlsx (t="e") and in .xls (BIFF error records)."""
    exe = require_soffice()
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        proc = subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
             "xlsx", "--outdir", str(tmp_path / "lo"), str(odd_xlsx)],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    saved = tmp_path / "lo" / odd_xlsx.name
    assert proc.returncode == 0 and saved.exists(), proc.stderr
    for path in (saved, to_xls(odd_xlsx, tmp_path / "xls")):
        _, doc = _check_json(path)
        fmt = _by_cell(doc, "amount-format")
        assert {"C7", "E8", "B9", "C10"} <= set(fmt), path
        assert "B5" not in fmt and "B6" not in fmt, path  # computed and stored now
        assert "错误值 #REF!" in fmt["C7"]["message"] and "错误值 #DIV/0!" in fmt["E8"]["message"]
        project = doc["tables"][0]["units"][0]["projects"][0]
        assert project["name"] == "培训经费" and project["amounts"]["total"] == 12


def test_cells_at_the_32767_character_limit(tmp_path: Path) -> None:
    limit = limits.MAX_CELL_CHARS
    indicators = (TRAINING * (limit // len(TRAINING) + 1))[:limit]
    rows = [
        ["示例县项目支出绩效目标表"],
        list(STD_HEADER),
        ["培训经费" * (limit // 4) + "费" * (limit % 4), 12, 10, None, 2, "目" * limit, indicators],
        ["长数字", "9" * limit, 1, None, None, "保障", TRAINING],
    ]
    p = write_xlsx(tmp_path / "满格.xlsx", rows)
    assert max(len(str(v)) for row in rows for v in row) == limit
    wb = read_workbook(p)
    assert len(wb.sheets[0].value(3, 7)) == limit
    result = analyze(wb)
    (table,) = result.tables
    first, second = table.units[0].projects
    assert len(first.name) == limit and len(first.goal or "") == limit
    assert len(first.indicators) > 100
    fmt = [f for f in table.findings if f.rule == "amount-format"]
    assert [f.cell for f in fmt] == ["B4"] and "位数过多" in fmt[0].message
    assert second.amounts.total is None
    for f in table.findings:
        assert "\n" not in f.message and len(f.message) < 2000
    json.loads(result.model_dump_json())  # no inf/NaN in the document


@pytest.mark.parametrize(
    "merges",
    [
        ["A4:A5", "B4:E4"],  # header cells merged over two rows / across columns
        ["A3:C5", "B4:D6"],  # overlapping merges across the header (not valid in Excel)
        ["A4:XFD1048576"],  # a merge from the header to the end of the sheet
        ["C4:C4", "F5:A3"],  # a one-cell merge and a reversed range
    ],
)
def test_merges_overlapping_the_header(tmp_path: Path, merges: list[str]) -> None:
    rows = table_rows(projects=[P("培训经费", (12, 10, None, 2))])
    refs = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    xml = B.sheet_xml(B.rows_xml(rows)).replace(
        "</worksheet>", f'<mergeCells count="{len(merges)}">{refs}</mergeCells></worksheet>'
    )
    p = B.package(tmp_path / "合并表头.xlsx", {"表1": xml})
    before = _sha(p)
    result = runner.invoke(app, ["check", str(p), "--json"])
    assert result.exit_code in (0, 1, 2), result.exception
    if result.exit_code == 2:
        assert "\n" not in result.stderr.strip() and "未找到绩效目标表" in result.stderr
    else:
        assert json.loads(result.stdout)["tables"]
    assert _sha(p) == before


def test_xlsm_is_read_as_data(tmp_path: Path) -> None:
    rows = table_rows(projects=[P("培训经费", (12, 10, None, 2))])
    p = B.macro_workbook(tmp_path / "带宏.xlsm", rows)
    before = _sha(p)
    code, doc = _check_json(p)
    assert code == 0 and doc["tables"][0]["units"][0]["projects"][0]["name"] == "培训经费"
    assert _sha(p) == before


# --------------------------------------------------------------------------------------------
# the limits are the ones in perfsheet.limits


def test_limits_apply_from_one_place(good_xlsx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_SHEET_CELLS", 20)
    with pytest.raises(InputError, match=r"使用范围过大.*上限 20 个"):
        read_workbook(good_xlsx)
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(InputError, match="解压后内容超过"):
        read_workbook(good_xlsx)
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100)
    with pytest.raises(InputError, match="文件大小"):
        read_workbook(good_xlsx)
    monkeypatch.undo()
    assert read_workbook(good_xlsx).sheets


def test_time_limit_stops_python_work() -> None:
    previous = signal.getsignal(signal.SIGALRM)
    with pytest.raises(InputError, match=r"处理时间超过上限 0\.05 秒"), time_limit("x.xlsx", 0.05):
        while True:
            pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous
    with time_limit("x.xlsx", 60):
        pass
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_time_limit_works_outside_the_main_thread() -> None:
    """The Excel add-in runs actions in other threads, where SIGALRM cannot be used: a watchdog
    stops the work there; a body that ends in time leaves nothing pending behind it."""
    outcome: dict[str, object] = {}

    def busy() -> None:
        try:
            with time_limit("工作簿", 0.05):
                while True:
                    pass
        except InputError as err:
            outcome["busy"] = str(err)

    def quick() -> None:
        try:
            for _ in range(50):
                with time_limit("工作簿", 0.02):
                    sum(range(1000))
            deadline = time.monotonic() + 0.1
            while time.monotonic() < deadline:  # Python work after the limits would have fired
                pass
            outcome["quick"] = "ok"
        except BaseException as err:
            outcome["quick"] = repr(err)

    for target in (busy, quick):
        t = threading.Thread(target=target, daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive()
    assert "处理时间超过上限 0.05 秒" in str(outcome["busy"])
    assert outcome["quick"] == "ok"
    assert not [t for t in threading.enumerate() if t.name == "perfsheet-time-limit"]


def test_commands_run_under_the_time_limit(
    good_xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "TIME_LIMIT_SECONDS", 1e-6)
    for args in (["parse"], ["check"], ["summary", "--no-source"]):
        result = runner.invoke(app, [*args, str(good_xlsx)])
        assert result.exit_code == 2, (args, result.output)
        assert "处理时间超过上限" in result.output, (args, result.output)
    # the library has no limit unless asked for one (timeout=)
    assert analyze_file(good_xlsx).tables
    with pytest.raises(InputError, match="处理时间超过上限"):
        analyze_file(good_xlsx, timeout=1e-6)
    monkeypatch.undo()
    assert runner.invoke(app, ["parse", str(good_xlsx)]).exit_code == 0
