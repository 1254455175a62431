"""``perfsheet convert`` end to end, on a folder of real workbooks (good and broken).

Every run is a real batch: spawned worker processes, real files written and read back. The
test-only fault hook (``PERFSHEET_TESTING_BATCH_FAULTS``) is honoured by the worker itself; it
makes chosen inputs hang or kill their worker, the way a pathological file would, so the engine's
timeout and crash handling are exercised for real.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from batch_workbooks import write_department, write_empty_workbook
from perfsheet.batch.models import ConvertReport
from perfsheet.batch.naming import CACHE_DIR, CONSOLIDATED_NAME, REPORT_NAME, TEMP_MARK
from perfsheet.batch.worker import FAULTS_ENV

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
EXAMPLE = ROOT / "examples" / "广州市协作办公室_项目支出绩效目标表.xlsx"
STANDARD = ("绩效指标明细", "项目汇总", "校验结果")
KEY_HEADER = {"绩效指标明细": "项目名称", "项目汇总": "项目名称", "校验结果": "级别"}


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop(FAULTS_ENV, None)
    env.update(extra)
    return env


def convert(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "perfsheet", "convert", *map(str, args)]
    return subprocess.run(
        cmd, env=env or _env(), capture_output=True, text=True, timeout=300, check=False
    )


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def make_inbox(root: Path) -> Path:
    """Good workbooks, and one of each kind of bad or irrelevant file."""
    inbox = root / "收件"
    write_department(inbox / "甲局.xlsx", "甲局", 5, seed=1)
    write_department(inbox / "区县" / "乙局.xlsx", "乙局", 9, units=2, seed=2, amount_unit="元")
    write_department(inbox / "丙局.xlsm", "丙局", 3, seed=3)
    shutil.copy(EXAMPLE, inbox / EXAMPLE.name)
    (inbox / "改了扩展名.xlsx").write_text("这是一个文本文件，不是工作簿。\n", encoding="utf-8")
    (inbox / "空文件.xlsx").write_bytes(b"")
    write_empty_workbook(inbox / "没有表格.xlsx")
    (inbox / "~$甲局.xlsx").write_bytes(b"\x00lock owner")
    (inbox / "说明.txt").write_text("请于月底前报送。", encoding="utf-8")
    (inbox / ".隐藏.xlsx").write_bytes(b"hidden")
    return inbox


def _header_row(ws: object, key: str) -> int:
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        if any(isinstance(v, str) and v.split("（")[0] == key for v in row):
            return r
    raise AssertionError(f"no header {key} in {ws}")


def data_rows(path: Path) -> dict[str, int]:
    """Data rows of each standard sheet: from below the header to the total row or the first
    empty row (what follows — e.g. a chart's data block — is not data)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out: dict[str, int] = {}
    for sheet in STANDARD:
        ws = wb[sheet]
        h = _header_row(ws, KEY_HEADER[sheet])
        n = 0
        for row in ws.iter_rows(min_row=h + 1, values_only=True):
            if all(v is None for v in row):
                break
            if any(isinstance(v, str) and v.startswith("合计（") for v in row):
                break
            n += 1
        out[sheet] = n
    wb.close()
    return out


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("batch")
    inbox = make_inbox(root)
    before = snapshot(inbox)
    out = root / "输出"
    proc = convert(inbox, "-o", out, "-r", "-j", "2", "--json")
    return {"root": root, "inbox": inbox, "out": out, "before": before, "proc": proc}


def _by_name(report: dict) -> dict[str, dict]:
    return {Path(f["input"]).name: f for f in report["files"]}


def test_good_convert_bad_fail_with_reasons_exit_1(first_run: dict) -> None:
    proc = first_run["proc"]
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    out: Path = first_run["out"]
    assert proc.stdout == (out / REPORT_NAME).read_text(encoding="utf-8")
    ConvertReport.model_validate_json(proc.stdout)  # the documented schema, exactly
    files = _by_name(report)
    for name in ("甲局.xlsx", "乙局.xlsx", "丙局.xlsm", EXAMPLE.name):
        assert files[name]["status"] == "ok", files[name]
        assert files[name]["error"] is None
        assert Path(files[name]["output"]).is_file()
    assert files[EXAMPLE.name]["projects"] == 23
    assert files[EXAMPLE.name]["indicators"] == 156
    assert files["甲局.xlsx"]["projects"] == 5
    assert Path(files["乙局.xlsx"]["output"]) == out / "区县" / "乙局_绩效汇总.xlsx"
    assert Path(files["丙局.xlsm"]["output"]) == out / "丙局_绩效汇总.xlsx"

    assert files["改了扩展名.xlsx"]["status"] == "failed"
    assert "不是 Excel 工作簿" in files["改了扩展名.xlsx"]["error"]
    assert files["空文件.xlsx"]["status"] == "failed"
    assert "0 字节" in files["空文件.xlsx"]["error"]
    assert files["没有表格.xlsx"]["status"] == "failed"
    assert files["没有表格.xlsx"]["reason_code"] == "no-table"
    assert "未找到绩效目标表" in files["没有表格.xlsx"]["error"]
    for name in ("改了扩展名.xlsx", "空文件.xlsx", "没有表格.xlsx"):
        assert files[name]["output"] is None
        assert "Traceback" not in files[name]["error"]

    assert files["~$甲局.xlsx"]["status"] == "skipped"
    assert files["~$甲局.xlsx"]["reason_code"] == "lock-file"
    assert files["说明.txt"]["status"] == "skipped"
    assert files["说明.txt"]["reason_code"] == "not-workbook"
    assert files[".隐藏.xlsx"]["reason_code"] == "hidden"

    s = report["summary"]
    assert (s["ok"], s["failed"], s["skipped"], s["total"]) == (4, 3, 3, 10)
    assert s["projects"] == sum(f["projects"] for f in report["files"] if f["status"] == "ok")
    assert s["exit_code"] == 1
    assert report["consolidated"] == str(out / CONSOLIDATED_NAME)
    # The human summary went to stderr (stdout holds the JSON document only).
    assert "批量转换结果" in proc.stderr and "失败的文件" in proc.stderr


def test_inputs_untouched_and_nothing_outside_outdir(first_run: dict) -> None:
    inbox: Path = first_run["inbox"]
    assert snapshot(inbox) == first_run["before"]
    root: Path = first_run["root"]
    out: Path = first_run["out"]
    stray = [p for p in root.rglob("*") if p.is_file() and not p.is_relative_to(inbox)]
    assert stray and all(p.is_relative_to(out) for p in stray)
    assert not [p for p in stray if TEMP_MARK in p.name]


def test_consolidated_rows_equal_sum_of_outputs(first_run: dict) -> None:
    report = json.loads(first_run["proc"].stdout)
    ok = [f for f in report["files"] if f["status"] == "ok"]
    per_file = [data_rows(Path(f["output"])) for f in ok]
    merged = data_rows(Path(report["consolidated"]))
    for sheet in STANDARD:
        assert merged[sheet] == sum(p[sheet] for p in per_file), sheet
    assert merged["项目汇总"] == sum(f["projects"] for f in ok)

    wb = openpyxl.load_workbook(report["consolidated"], read_only=True)
    assert wb.sheetnames[0] == "部门汇总"
    assert set(STANDARD) <= set(wb.sheetnames)
    dept = list(wb["部门汇总"].iter_rows(values_only=True))
    header = [h.replace("\n", "") for h in dept[0]]  # 总计\n（万元）: broken before the unit
    assert header[:3] == ["部门名称", "来源文件", "工作表"]
    rows = {r[1]: dict(zip(header, r, strict=False)) for r in dept[1:] if r[1]}
    assert set(rows) == {"甲局.xlsx", "区县/乙局.xlsx", "丙局.xlsm", EXAMPLE.name}
    assert rows["区县/乙局.xlsx"]["部门名称"] == "乙局"
    assert rows["区县/乙局.xlsx"]["原金额单位"] == "元"
    assert rows[EXAMPLE.name]["总计（万元）"] == pytest.approx(273101.18)
    assert rows[EXAMPLE.name]["项目数"] == 23
    detail = wb["绩效指标明细"]
    head = next(detail.iter_rows(max_row=1, values_only=True))
    assert head[:2] == ("部门名称", "来源文件")
    sources = {r[1] for r in detail.iter_rows(min_row=2, values_only=True)}
    assert sources == set(rows)
    wb.close()


def test_libreoffice_opens_the_consolidated_workbook(first_run: dict, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice not installed")
    report = json.loads(first_run["proc"].stdout)
    src = Path(report["consolidated"])
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    back = tmp_path / "lo" / src.name
    assert proc.returncode == 0 and back.is_file(), proc.stderr
    assert data_rows(back) == data_rows(src)
    # LibreOffice recalculated the total rows: same figures as the values we cached.
    ours = openpyxl.load_workbook(src, data_only=True, read_only=True)
    theirs = openpyxl.load_workbook(back, data_only=True, read_only=True)
    for sheet in ("部门汇总", "项目汇总"):
        a = list(ours[sheet].iter_rows(values_only=True))[-1]
        b = list(theirs[sheet].iter_rows(values_only=True))[-1]
        nums_a = [x for x in a if isinstance(x, int | float)]
        nums_b = [x for x in b if isinstance(x, int | float)]
        assert nums_a and nums_b == pytest.approx(nums_a)
    ours.close()
    theirs.close()


def test_incremental_skip_touch_and_force(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "甲", 4, seed=1)
    write_department(inbox / "b.xlsx", "乙", 6, seed=2)
    (inbox / "bad.xlsx").write_bytes(b"")
    out = tmp_path / "out"
    first = json.loads(convert(inbox, "-o", out, "--json").stdout)
    assert [f["status"] for f in first["files"]] == ["ok", "ok", "failed"]
    merged_rows = data_rows(out / CONSOLIDATED_NAME)
    out_a = out / "a_绩效汇总.xlsx"
    mtime_a = out_a.stat().st_mtime_ns

    second_proc = convert(inbox, "-o", out, "--json")
    assert second_proc.returncode == 1  # bad.xlsx still fails: failures are not cached
    second = json.loads(second_proc.stdout)
    by = _by_name(second)
    assert by["a.xlsx"]["status"] == "skipped" and by["a.xlsx"]["reason_code"] == "up-to-date"
    assert by["a.xlsx"]["reason"] and "最新" in by["a.xlsx"]["reason"]
    assert by["a.xlsx"]["projects"] == 4  # counts come from the row cache
    assert by["bad.xlsx"]["status"] == "failed"
    assert out_a.stat().st_mtime_ns == mtime_a
    assert second["summary"]["up_to_date"] == 2
    assert second["summary"]["projects"] == first["summary"]["projects"]
    # The consolidated workbook was rebuilt from the caches: same rows.
    assert data_rows(out / CONSOLIDATED_NAME) == merged_rows

    # A changed input is converted again; the other stays skipped.
    write_department(inbox / "b.xlsx", "乙", 7, seed=5)
    future = time.time() + 5
    os.utime(inbox / "b.xlsx", (future, future))
    third = _by_name(json.loads(convert(inbox, "-o", out, "--json").stdout))
    assert third["a.xlsx"]["status"] == "skipped"
    assert third["b.xlsx"]["status"] == "ok" and third["b.xlsx"]["projects"] == 7

    # A lost row cache means the output cannot be trusted as up to date.
    (out / CACHE_DIR / "a_绩效汇总.xlsx.rows.jsonl").unlink()
    fourth = _by_name(json.loads(convert(inbox, "-o", out, "--json").stdout))
    assert fourth["a.xlsx"]["status"] == "ok"

    forced = _by_name(json.loads(convert(inbox, "-o", out, "--force", "--json").stdout))
    assert forced["a.xlsx"]["status"] == "ok" and forced["b.xlsx"]["status"] == "ok"
    assert out_a.stat().st_mtime_ns > mtime_a


def test_hanging_and_crashing_files_do_not_stop_the_batch(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    for name in ("a", "b", "c", "hang", "boom"):
        write_department(inbox / f"{name}.xlsx", name, 3, seed=len(name))
    out = tmp_path / "out"
    env = _env(**{FAULTS_ENV: "hang:hang*;crash:boom*"})
    proc = convert(inbox, "-o", out, "-j", "2", "--timeout", "6", "--json", env=env)
    assert proc.returncode == 1, proc.stderr
    files = _by_name(json.loads(proc.stdout))
    assert files["hang.xlsx"]["status"] == "failed"
    assert files["hang.xlsx"]["reason_code"] == "timeout"
    assert "超时" in files["hang.xlsx"]["error"]
    assert files["boom.xlsx"]["status"] == "failed"
    assert files["boom.xlsx"]["reason_code"] == "crashed"
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        assert files[name]["status"] == "ok", files[name]
    assert not (out / "hang_绩效汇总.xlsx").exists()
    assert not [p for p in out.rglob("*") if TEMP_MARK in p.name]
    assert data_rows(out / CONSOLIDATED_NAME)["项目汇总"] == 9


def test_ctrl_c_stops_cleanly_and_reports_what_finished(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    # Inputs are submitted largest first: "a" is the largest, so it runs before "hang".
    for name, projects in (("a", 12), ("hang", 3), ("z", 3)):
        write_department(inbox / f"{name}.xlsx", name, projects, seed=len(name))
    out = tmp_path / "out"
    env = _env(**{FAULTS_ENV: "hang:hang*"})
    cmd = [sys.executable, "-m", "perfsheet", "convert", str(inbox), "-o", str(out), "-j", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "a_绩效汇总.xlsx").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "first file never finished"
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    report = json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))
    files = _by_name(report)
    assert files["a.xlsx"]["status"] == "ok"
    assert files["hang.xlsx"]["status"] == "skipped"
    assert files["hang.xlsx"]["reason_code"] == "interrupted"
    assert files["z.xlsx"]["reason_code"] == "interrupted"
    assert report["summary"]["interrupted"] is True
    assert report["consolidated"] is None
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["a_绩效汇总.xlsx", REPORT_NAME]
    assert not [p for p in out.rglob("*") if TEMP_MARK in p.name]
    assert "已中断" in stdout


def test_hostile_input_names_write_only_inside_outdir(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    names = ["CON.xlsx", "a:b*c?.xlsx", "x\\..\\..\\y.xlsx", "名" * 80 + ".xlsx", "end. .xlsx"]
    for i, n in enumerate(names):
        write_department(inbox / n, f"部门{i}", 2, seed=i)
    write_department(inbox / "sub\\..\\..\\evil" / "inner.xlsx", "内", 2, seed=9)
    out = tmp_path / "out"
    before = {p for p in tmp_path.rglob("*")}
    proc = convert(inbox, "-o", out, "-r", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [f["status"] for f in report["files"]] == ["ok"] * 6
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p.is_relative_to(out) for p in created)
    outputs = [Path(f["output"]) for f in report["files"]]
    assert len(set(outputs)) == 6 and all(p.is_file() and p.is_relative_to(out) for p in outputs)


def test_nothing_can_be_done_exit_2(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "甲", 2, seed=1)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    cases = [
        (["missing-folder", "-o", tmp_path / "o1"], "不存在"),
        ([inbox, "-o", blocker], "输出目录"),
        ([inbox, "-o", blocker / "sub"], "输出目录不可写"),
        ([inbox, "-o", tmp_path / "o2", "-j", "0"], "-j"),
        ([inbox, "-o", inbox], "输出目录不能与输入文件夹相同"),
    ]
    only_text = tmp_path / "texts"
    only_text.mkdir()
    (only_text / "a.txt").write_text("x", encoding="utf-8")
    cases.append(([only_text, "-o", tmp_path / "o3"], "没有可转换的工作簿"))
    for args, words in cases:
        proc = convert(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("错误：") and words in lines[0], lines
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o3").exists()


def test_rules_template_and_with_source(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "甲局", 5, seed=1)
    out = tmp_path / "out"
    base = _by_name(json.loads(convert(inbox, "-o", out, "--json").stdout))["a.xlsx"]
    assert base["warnings"] > 0

    # --rules: a rules file that switches the coverage rule off -> fewer warnings, and the
    # changed options make the previous output stale (converted again, not "up to date").
    rules = tmp_path / "rules.toml"
    rules.write_text("[indicator-coverage]\nenabled = false\n", encoding="utf-8")
    ruled = _by_name(json.loads(convert(inbox, "-o", out, "--rules", rules, "--json").stdout))
    assert ruled["a.xlsx"]["status"] == "ok"
    assert ruled["a.xlsx"]["warnings"] < base["warnings"]

    bad = tmp_path / "bad.toml"
    bad.write_text("[indicator-coverage]\nenabled = maybe\n", encoding="utf-8")
    proc = convert(inbox, "-o", out, "--rules", bad)
    assert proc.returncode == 2 and proc.stderr.startswith("错误：")

    missing = convert(inbox, "-o", out, "--template", tmp_path / "none.xlsx")
    assert missing.returncode == 2 and "模板" in missing.stderr

    # --with-source: the output also holds the (annotated) source sheet.
    src_out = tmp_path / "out-src"
    proc = convert(inbox, "-o", src_out, "--with-source", "--json")
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(src_out / "a_绩效汇总.xlsx", read_only=True)
    assert "项目支出绩效目标表" in wb.sheetnames
    assert set(STANDARD) <= set(wb.sheetnames)
    wb.close()
    assert data_rows(src_out / CONSOLIDATED_NAME)["项目汇总"] == 5


def test_no_stale_merge_when_nothing_feeds_it(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    write_department(inbox / "a.xlsx", "甲", 2, seed=1)
    out = tmp_path / "out"
    first = convert(inbox, "-o", out)
    assert first.returncode == 0
    # Not a terminal: plain log lines (no progress bar), then the Chinese summary table.
    assert "[1/1] 成功" in first.stdout and "\x1b[" not in first.stdout
    assert "批量转换结果" in first.stdout and "合并工作簿" in first.stdout
    assert (out / CONSOLIDATED_NAME).is_file()
    (inbox / "a.xlsx").unlink()
    (inbox / "b.xlsx").write_bytes(b"")
    proc = convert(inbox, "-o", out, "--json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["consolidated"] is None
    assert not (out / CONSOLIDATED_NAME).exists()


def test_workers_that_cannot_start_fail_fast_with_a_hint(tmp_path: Path) -> None:
    """A user's script that calls the batch without ``if __name__ == "__main__"``: every spawned
    worker re-runs the script and dies before its first job. The batch must stop after a few
    attempts with a clear reason, not retry file by file for hours."""
    inbox = tmp_path / "in"
    for name in ("a", "b", "c", "d"):
        write_department(inbox / f"{name}.xlsx", name, 2, seed=1)
    script = tmp_path / "user_script.py"
    script.write_text(
        "import sys\n"
        "import perfsheet\n"
        f"report = perfsheet.convert([{str(inbox)!r}], {str(tmp_path / 'out')!r}, jobs=2)\n"
        "sys.exit(report.summary.exit_code)\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(script)], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    report = json.loads((tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8"))
    assert [f["status"] for f in report["files"]] == ["failed"] * 4
    assert {f["reason_code"] for f in report["files"]} == {"crashed"}
    assert all("__main__" in f["error"] for f in report["files"])
