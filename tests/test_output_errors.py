"""No traceback on the way out (issue 15 §1): every command that writes — ``summary``,
``convert``, ``addin build``, ``addin install``, ``addin bundle`` — turns an OS error into one
Chinese line on stderr that names the path and says what to do, exits 2, and leaves no
temporary file behind.

The cases are real: a read-only bind mount (we run as root, so permission bits would not stop
us), a folder that cannot be created, a file where a folder should be, a full disk (a 64 KiB
tmpfs, nearly filled), a file Excel holds open (``os.replace``/``os.unlink`` patched in every
process — also the spawned convert workers — to raise Windows' sharing violation, a
``PermissionError``), and a folder in the output's place. The mounts need root on Linux: the
tests skip where mounting is not permitted, and fail instead under ``CI=true`` as root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from perfsheet.errors import (
    OutputError,
    PerfsheetError,
    describe_os_error,
    os_error_in,
)
from perfsheet.io.atomic import atomic_output

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "示例县教育局_项目支出绩效目标表_逐行.xlsx"
OTHER_EXAMPLE = "示例县卫生健康委员会_项目支出绩效目标表_系统导出.xlsx"
COMMANDS = ["summary", "convert", "addin build", "addin install"]
CJK = re.compile(r"[\u4e00-\u9fff]")

# Loaded by every Python process of a test run (the CLI and the convert workers alike): the
# files named in PERFSHEET_TEST_LOCKED behave like files open in Excel on Windows.
SITECUSTOMIZE = """
import os

_locked = os.environ.get("PERFSHEET_TEST_LOCKED")
if _locked:
    _names = set(_locked.split(os.pathsep))
    _replace, _unlink = os.replace, os.unlink
    _MESSAGE = "The process cannot access the file because it is being used by another process"

    def _is_locked(path):
        return os.path.basename(os.fspath(path)) in _names

    def replace(src, dst, *args, **kwargs):
        if _is_locked(dst):
            raise PermissionError(13, _MESSAGE, os.fspath(src), None, os.fspath(dst))
        return _replace(src, dst, *args, **kwargs)

    def unlink(path, *args, **kwargs):
        if _is_locked(path):
            raise PermissionError(13, _MESSAGE, os.fspath(path))
        return _unlink(path, *args, **kwargs)

    os.replace = replace
    os.unlink = os.remove = unlink
"""


# --------------------------------------------------------------------------------------------
# fixtures: mounts


def _mount_expected() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "geteuid") and os.geteuid() == 0


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


def _require_mount(proc: subprocess.CompletedProcess[str] | None, what: str) -> None:
    if proc is not None and proc.returncode == 0:
        return
    detail = "mount not found" if proc is None else (proc.stderr.strip() or "mount failed")
    reason = f"{what} needs mount, which is not permitted here ({detail})"
    if os.environ.get("CI", "").lower() == "true" and _mount_expected():
        pytest.fail(f"{reason}; under CI=true as root on Linux it must work")
    pytest.skip(reason)


def _run_mount(*args: str) -> subprocess.CompletedProcess[str] | None:
    if shutil.which("mount") is None:
        return None
    return _mount(*args)


@contextlib.contextmanager
def _mounted(point: Path) -> Iterator[None]:
    try:
        yield
    finally:
        subprocess.run(["umount", str(point)], capture_output=True, check=False)
        if os.path.ismount(point):
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


@pytest.fixture
def readonly(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a read-only bind mount, the writable folder behind it)."""
    backing = tmp_path / "backing"
    point = tmp_path / "只读"
    backing.mkdir()
    point.mkdir()
    _require_mount(_run_mount("--bind", str(backing), str(point)), "a read-only bind mount")
    with _mounted(point):
        remount = _mount("-o", "remount,ro,bind", str(point))
        _require_mount(remount, "a read-only bind mount")
        probe = point / "probe"
        with pytest.raises(OSError) as caught:
            probe.write_bytes(b"x")
        assert caught.value.errno == errno.EROFS
        yield point, backing


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs with one page left: big enough to create files, too small for ours."""
    point = tmp_path / "满"
    point.mkdir()
    _require_mount(_run_mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)), "a tmpfs")
    with _mounted(point):
        (point / "占位").write_bytes(b"\0" * (60 * 1024))
        yield point


# --------------------------------------------------------------------------------------------
# running the commands


def _input(tmp_path: Path) -> Path:
    folder = tmp_path / "收件"
    folder.mkdir(exist_ok=True)
    target = folder / "教育局.xlsx"
    if not target.exists():
        shutil.copy(EXAMPLE, target)
    return target


def _env(tmp_path: Path, locked: list[str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERFSHEET_")}
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "src")])
    env["PYTHONIOENCODING"] = "utf-8"
    env["NO_COLOR"] = "1"
    if locked:
        env["PERFSHEET_TEST_LOCKED"] = os.pathsep.join(locked)
    return env


def _run(
    tmp_path: Path, *args: str | Path, locked: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perfsheet", *map(str, args)],
        capture_output=True,
        text=True,
        env=_env(tmp_path, locked),
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


def _args(command: str, tmp_path: Path, folder: Path) -> tuple[list[str | Path], Path]:
    """The command line writing into ``folder``, and the path it writes."""
    if command == "summary":
        out = folder / "汇总.xlsx"
        return ["summary", _input(tmp_path), "-o", out], out
    if command == "convert":
        return [
            "convert",
            _input(tmp_path),
            "-o",
            folder,
            "-j",
            "1",
        ], folder / "教育局_绩效汇总.xlsx"
    if command == "addin build":
        out = folder / "perfsheet.xlam"
        return ["addin", "build", "-o", out], out
    assert command == "addin install"
    return ["addin", "install", "--dir", folder], folder / "perfsheet.xlam"


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry below ``folder``: file contents, None for folders."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def _assert_one_line(proc: subprocess.CompletedProcess[str], *paths: Path) -> str:
    """Exit 2, exactly one line on stderr, Chinese, naming one of ``paths``, no traceback."""
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-800:], proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("错误：") and CJK.search(line[3:]), line
    assert any(str(p) in line or str(p.resolve()) in line for p in paths), (line, paths)
    assert "；请" in line, f"the line does not say what to do: {line}"
    return line


def _assert_no_temps(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> None:
    """Nothing new but what convert keeps on purpose: its (empty) row-cache folder and report."""
    new = {k: v for k, v in after.items() if before.get(k, b"<absent>") != v}
    allowed = {".perfsheet-cache", "convert-report.json"}
    assert set(new) <= allowed, sorted(new)
    assert new.get(".perfsheet-cache") is None


# --------------------------------------------------------------------------------------------
# the cases, each for each command


@pytest.mark.parametrize("command", COMMANDS)
def test_read_only_folder(command: str, tmp_path: Path, readonly: tuple[Path, Path]) -> None:
    point, backing = readonly
    args, out = _args(command, tmp_path, point)
    before = _tree(backing)
    line = _assert_one_line(_run(tmp_path, *args), out, point)
    assert "只读" in line, line
    assert _tree(backing) == before


def test_summary_default_output_in_read_only_folder(
    tmp_path: Path, readonly: tuple[Path, Path]
) -> None:
    point, backing = readonly
    shutil.copy(EXAMPLE, backing / "教育局.xlsx")
    before = _tree(backing)
    proc = _run(tmp_path, "summary", point / "教育局.xlsx")
    line = _assert_one_line(proc, point / "教育局_绩效汇总.xlsx")
    assert "只读" in line
    assert _tree(backing) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_folder_that_cannot_be_created(
    command: str, tmp_path: Path, readonly: tuple[Path, Path]
) -> None:
    point, backing = readonly
    folder = point / "新文件夹" / "子文件夹"
    args, out = _args(command, tmp_path, folder)
    before = _tree(backing)
    _assert_one_line(_run(tmp_path, *args), out, folder)
    assert _tree(backing) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_folder_is_created(command: str, tmp_path: Path) -> None:
    """A folder that does not exist yet is not an error: every command creates it."""
    folder = tmp_path / "新文件夹" / "子文件夹"
    args, out = _args(command, tmp_path, folder)
    proc = _run(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    leftovers = [p.name for p in folder.rglob("*") if p.name.endswith(".part") or "tmp" in p.name]
    assert not leftovers


@pytest.mark.parametrize("command", COMMANDS)
def test_parent_is_a_file(command: str, tmp_path: Path) -> None:
    blocker = tmp_path / "文件.txt"
    blocker.write_text("不是文件夹", encoding="utf-8")
    for folder in (blocker, blocker / "子文件夹"):
        args, out = _args(command, tmp_path, folder)
        before = _tree(tmp_path / "收件")
        line = _assert_one_line(_run(tmp_path, *args), out, folder)
        assert str(blocker) in line and "文件" in line, line
        assert blocker.read_text(encoding="utf-8") == "不是文件夹"
        assert _tree(tmp_path / "收件") == before
    assert {p.name for p in tmp_path.iterdir()} <= {"site", "收件", "文件.txt"}


@pytest.mark.parametrize("command", COMMANDS)
def test_disk_full(command: str, tmp_path: Path, full_disk: Path) -> None:
    args, out = _args(command, tmp_path, full_disk)
    before = _tree(full_disk)
    line = _assert_one_line(_run(tmp_path, *args), out, full_disk)
    assert "磁盘空间不足" in line, line
    _assert_no_temps(before, _tree(full_disk))
    assert not out.exists()


def test_summary_no_source_disk_full(tmp_path: Path, full_disk: Path) -> None:
    """The streaming writer of ``--no-source`` too."""
    out = full_disk / "汇总.xlsx"
    before = _tree(full_disk)
    proc = _run(tmp_path, "summary", _input(tmp_path), "--no-source", "-o", out)
    assert "磁盘空间不足" in _assert_one_line(proc, out)
    assert _tree(full_disk) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_file_open_in_excel(command: str, tmp_path: Path) -> None:
    """Windows refuses to replace a file Excel holds open (a sharing violation)."""
    folder = tmp_path / "输出"
    folder.mkdir()
    args, out = _args(command, tmp_path, folder)
    out.write_bytes(b"the copy the user has open")
    before = _tree(folder)
    line = _assert_one_line(_run(tmp_path, *args, locked=[out.name]), out)
    assert "Excel" in line, line
    assert out.read_bytes() == b"the copy the user has open"
    _assert_no_temps(before, _tree(folder))


def test_installed_addin_open_in_excel_cannot_be_uninstalled(tmp_path: Path) -> None:
    folder = tmp_path / "XLSTART"
    assert _run(tmp_path, "addin", "install", "--dir", folder).returncode == 0
    addin = folder / "perfsheet.xlam"
    before = _tree(folder)
    proc = _run(tmp_path, "addin", "install", "--uninstall", "--dir", folder, locked=[addin.name])
    line = _assert_one_line(proc, addin)
    assert "退出 Excel" in line, line
    assert _tree(folder) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_folder_in_the_outputs_place(command: str, tmp_path: Path) -> None:
    """A folder where the output file must go cannot be replaced either."""
    folder = tmp_path / "输出"
    folder.mkdir()
    args, out = _args(command, tmp_path, folder)
    (out / "里面的文件.txt").parent.mkdir()
    (out / "里面的文件.txt").write_text("x", encoding="utf-8")
    if command == "addin build":  # -o FOLDER writes FOLDER/perfsheet.xlam
        args, out = ["addin", "build", "-o", folder], out
    before = _tree(folder)
    line = _assert_one_line(_run(tmp_path, *args), out)
    assert "文件夹" in line, line
    _assert_no_temps(before, _tree(folder))


def test_convert_merge_open_in_excel_keeps_the_outputs(tmp_path: Path) -> None:
    """Per-file outputs written, only the merged workbook cannot be replaced: exit 1 (README:
    «有文件失败，其余照常转换»), with the reason in Chinese in the summary and the report."""
    folder = tmp_path / "输出"
    merged = folder / "绩效汇总_合并.xlsx"
    folder.mkdir()
    merged.write_bytes(b"open in Excel")
    proc = _run(
        tmp_path, "convert", _input(tmp_path), "-o", folder, "-j", "1", locked=[merged.name]
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert (folder / "教育局_绩效汇总.xlsx").is_file()
    assert merged.read_bytes() == b"open in Excel"
    report = (folder / "convert-report.json").read_text(encoding="utf-8")
    assert f"无法写入 {merged}" in report and "Excel" in report
    assert "PermissionError" not in report
    assert not [p for p in folder.iterdir() if p.name.startswith(".") and p.is_file()]


def test_convert_with_one_writable_output_exits_1(tmp_path: Path) -> None:
    """Only when *every* input failed for its output is it «nothing could be done» (exit 2)."""
    folder = tmp_path / "输出"
    folder.mkdir()
    (folder / "教育局_绩效汇总.xlsx").mkdir()
    _input(tmp_path)
    shutil.copy(ROOT / "examples" / OTHER_EXAMPLE, tmp_path / "收件" / "卫健委.xlsx")
    proc = _run(tmp_path, "convert", tmp_path / "收件", "-o", folder, "-j", "1")
    assert proc.returncode == 1, proc.stderr
    assert (folder / "卫健委_绩效汇总.xlsx").is_file()
    assert "该位置已有一个同名文件夹" in proc.stdout


# --------------------------------------------------------------------------------------------
# the mechanism


def test_atomic_output_maps_errors_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "a.xlsx"

    class FileCreateError(Exception):  # how XlsxWriter reports a full disk
        pass

    with pytest.raises(OutputError) as caught, atomic_output(out) as tmp:
        tmp.write_bytes(b"half")
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))
    assert str(caught.value).startswith(f"无法写入 {out}：磁盘空间不足；")
    assert caught.value.path == str(out)
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(ValueError), atomic_output(out) as tmp:  # not ours to translate
        raise ValueError("a bug")
    with pytest.raises(FileNotFoundError), atomic_output(out) as tmp:  # e.g. reading an input
        raise FileNotFoundError(errno.ENOENT, "gone", "input.xlsx")
    assert list(tmp_path.iterdir()) == []

    with atomic_output(out) as tmp:
        tmp.write_bytes(b"done")
    assert out.read_bytes() == b"done" and list(tmp_path.iterdir()) == [out]


def test_describe_os_error_says_what_to_do(tmp_path: Path) -> None:
    existing = tmp_path / "已有.xlsx"
    existing.write_bytes(b"x")
    blocker = tmp_path / "文件"
    blocker.write_bytes(b"x")
    cases = {
        errno.EROFS: (tmp_path / "a.xlsx", "只读"),
        errno.ENOSPC: (tmp_path / "a.xlsx", "磁盘空间不足"),
        errno.ENOTDIR: (blocker / "a.xlsx", f"{blocker} 是一个文件"),
        errno.EEXIST: (blocker / "x" / "a.xlsx", f"{blocker} 是一个文件"),
        errno.EISDIR: (tmp_path, "同名文件夹"),
        errno.ENOENT: (tmp_path / "无" / "a.xlsx", "不存在"),
        errno.EACCES: (existing, "Excel"),
        errno.ENAMETOOLONG: (tmp_path / "a.xlsx", "太长"),
        errno.EIO: (tmp_path / "a.xlsx", "EIO"),
    }
    for code, (path, words) in cases.items():
        reason, advice = describe_os_error(path, OSError(code, os.strerror(code)))
        assert words in reason, (code, reason)
        assert advice.startswith("请") and CJK.search(reason), (code, advice)
    assert "权限" in describe_os_error(tmp_path / "新.xlsx", PermissionError(errno.EACCES, "x"))[0]


def test_os_error_in_follows_causes_and_arguments() -> None:
    inner = OSError(errno.ENOSPC, "full")
    try:
        try:
            raise inner
        except OSError as err:
            raise RuntimeError("wrapped") from err
    except RuntimeError as outer:
        assert os_error_in(outer) is inner
    assert os_error_in(ValueError(inner)) is inner
    assert os_error_in(ValueError("no")) is None
    assert issubclass(OutputError, PerfsheetError) and OutputError("x").exit_code == 2


# --------------------------------------------------------------------------------------------
# addin bundle: its output folder is checked before anything is downloaded


def _bundle(tmp_path: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "空的wheel仓库"
    empty.mkdir(exist_ok=True)
    return _run(tmp_path, "addin", "bundle", "-o", folder, "--find-links", empty)


def test_bundle_into_a_read_only_folder(tmp_path: Path, readonly: tuple[Path, Path]) -> None:
    point, backing = readonly
    before = _tree(backing)
    for folder in (point, point / "离线安装包"):
        line = _assert_one_line(_bundle(tmp_path, folder), folder, point)
        assert "只读" in line, line
    assert _tree(backing) == before


def test_bundle_whose_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "文件.txt"
    blocker.write_text("不是文件夹", encoding="utf-8")
    line = _assert_one_line(_bundle(tmp_path, blocker / "离线安装包"), blocker)
    assert str(blocker) in line
    assert blocker.read_text(encoding="utf-8") == "不是文件夹"
