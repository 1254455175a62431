"""Installing the add-in as the users have it: Windows with a Chinese user name, paths with
spaces and parentheses, the ANSI code page, and an install that is all-or-nothing."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from perfsheet.cli import app
from perfsheet.errors import PerfsheetError
from perfsheet.excel import addin

USER = "张三 (财务处)"
PYTHON = rf"C:\Users\{USER}\AppData\Local\perfsheet\python\Scripts\python.exe"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Chinese Windows user: HOME/USERPROFILE/APPDATA under a Chinese name with a space
    and parentheses, code page 936, and a Python under that name."""
    profile = tmp_path / "Users" / USER
    (profile / "AppData" / "Roaming").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(profile))
    monkeypatch.setenv("USERPROFILE", str(profile))
    monkeypatch.setenv("APPDATA", str(profile / "AppData" / "Roaming"))
    monkeypatch.setattr(addin, "ansi_codepage", lambda: "cp936")
    monkeypatch.setattr(sys, "executable", PYTHON)
    return profile


def conf_of(home: Path) -> Path:
    return home / ".perfsheet" / "perfsheet.conf"


def xlam_of(home: Path) -> Path:
    return home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART" / "perfsheet.xlam"


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.setattr(sys, "platform", "win32")
    result = CliRunner().invoke(app, ["addin", "install", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_install_under_a_chinese_user_name(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_cli(monkeypatch)
    assert result.exit_code == 0, result.output
    assert "已安装加载项" in result.output and PYTHON in result.output
    data = conf_of(home).read_bytes()
    assert data.decode("cp936") == (
        f'"Interpreter_Win","{PYTHON}"\r\n"UDF Modules","perfsheet.excel.functions"\r\n'
    )
    assert "张三".encode("cp936") in data  # written as VBA reads it (Input #), not as UTF-8
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert addin.read_conf(conf_of(home), "cp936")["Interpreter_Win"] == PYTHON
    assert zipfile.ZipFile(xlam_of(home)).testzip() is None

    result = run_cli(monkeypatch, "--uninstall")
    assert result.exit_code == 0, result.output
    assert not xlam_of(home).exists() and not conf_of(home).parent.exists()


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_user_settings_kept_and_a_utf8_file_repaired(
    home: Path, monkeypatch: pytest.MonkeyPatch, bom: bytes
) -> None:
    """A file saved by Notepad as UTF-8 (the VBA would read mojibake) is rewritten in the
    code page; the user's own settings survive install and uninstall."""
    value = "D:\\预算科 (2025)\\绩效目标"  # as UTF-8 not valid GBK: no ambiguity
    conf_of(home).parent.mkdir()
    conf_of(home).write_bytes(bom + f'"PYTHONPATH","{value}"\n'.encode())
    assert run_cli(monkeypatch).exit_code == 0
    assert addin.read_conf(conf_of(home), "cp936")["PYTHONPATH"] == value
    assert conf_of(home).read_bytes().startswith(f'"PYTHONPATH","{value}"\r\n'.encode("cp936"))
    assert run_cli(monkeypatch, "--uninstall").exit_code == 0
    assert conf_of(home).read_bytes() == f'"PYTHONPATH","{value}"\r\n'.encode("cp936")


@pytest.mark.parametrize("existing", [False, True])
def test_install_is_all_or_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    """The copy into XLSTART fails (a folder in its place): the configuration written
    before it is put back exactly as it was (or removed with the folder made for it)."""
    before = '"PYTHONPATH","D:\\工作"\r\n"Interpreter_Win","C:\\Python311\\python.exe"\r\n'
    if existing:
        conf_of(home).parent.mkdir()
        conf_of(home).write_bytes(before.encode("cp936"))
    xlam_of(home).mkdir(parents=True)
    result = run_cli(monkeypatch)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("错误：安装未完成，已撤销全部更改：")
    assert str(xlam_of(home)) in lines[0] and "同名文件夹" in lines[0]
    if existing:
        assert conf_of(home).read_bytes() == before.encode("cp936")
    else:
        assert not conf_of(home).exists() and not conf_of(home).parent.exists()
    assert xlam_of(home).is_dir() and not any(xlam_of(home).iterdir())
    leftovers = [p.name for p in xlam_of(home).parent.iterdir() if p.name != "perfsheet.xlam"]
    assert leftovers == []


def test_failed_build_changes_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(out: Path) -> Path:
        raise addin.AddinError("无法读取 xlwings 加载项模板")

    monkeypatch.setattr(addin, "build_addin", broken)
    result = run_cli(monkeypatch)
    assert result.exit_code == 2 and "xlwings 加载项模板" in result.output
    assert not conf_of(home).parent.exists() and not xlam_of(home).parent.exists()


@pytest.mark.parametrize(
    ("codepage", "python", "culprit"),
    [
        ("cp1252", PYTHON, "张三"),  # a Chinese name on Western Windows
        ("cp936", r"C:\Users\ÿ\AppData\Local\Programs\Python\Python312\python.exe", "ÿ"),
        ("cp936", r"D:\𠀀工具\Python312\python.exe", "𠀀"),  # outside GBK
    ],
)
def test_a_path_the_code_page_cannot_hold(
    home: Path, monkeypatch: pytest.MonkeyPatch, codepage: str, python: str, culprit: str
) -> None:
    monkeypatch.setattr(addin, "ansi_codepage", lambda: codepage)
    monkeypatch.setattr(sys, "executable", python)
    result = run_cli(monkeypatch)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("错误：") and f"代码页 {codepage}" in line
    assert f"字符“{culprit}" in line
    assert "更改系统区域设置" in line and "安装.bat D:\\perfsheet" in line
    assert not conf_of(home).parent.exists() and not xlam_of(home).parent.exists()


def test_an_unreadable_conf_file_is_named(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf_of(home).parent.mkdir()
    conf_of(home).write_bytes(b'"PYTHONPATH","\xff\xff"\r\n')
    result = run_cli(monkeypatch)
    assert result.exit_code == 2 and str(conf_of(home)) in result.output
    assert "既不是 cp936 也不是 UTF-8" in result.output
    assert conf_of(home).read_bytes() == b'"PYTHONPATH","\xff\xff"\r\n'


def test_windows_python_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlwings

    dll = f"xlwings64-{xlwings.__version__}.dll"
    venv = tmp_path / "虚拟 环境"
    (venv / "Scripts").mkdir(parents=True)
    python = str(venv / "Scripts" / "python.exe")
    monkeypatch.setattr(sys, "base_prefix", r"C:\Users\张三\AppData\Local\Programs\Python")
    monkeypatch.setattr(sys, "prefix", str(venv))
    with pytest.raises(addin.AddinError, match=f"找不到 {dll}.*pip --user"):
        addin._check_windows_python(python)
    (venv / dll).write_bytes(b"")  # a virtual environment: next to Scripts\
    addin._check_windows_python(python)
    monkeypatch.setattr(
        sys,
        "base_prefix",
        r"C:\Program Files\WindowsApps\PythonSoftwareFoundation.Python.3.12_3.12.2288.0_x64__q",
    )
    with pytest.raises(addin.AddinError, match="Microsoft Store"):
        addin._check_windows_python(python)


def test_macos_settings_are_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "家"))
    monkeypatch.setattr(sys, "executable", "/Users/张三/perfsheet/bin/python")
    result = addin.install_addin(addin_dir=tmp_path / "Excel", platform="darwin")
    assert (
        result.conf_path.read_bytes()
        .decode("utf-8")
        .startswith('"Interpreter_Mac","/Users/张三/perfsheet/bin/python"\r\n')
    )
    assert list((tmp_path / "家/Library/Application Scripts/com.microsoft.Excel").iterdir())
    addin.install_addin(uninstall=True, addin_dir=tmp_path / "Excel", platform="darwin")
    assert not result.conf_path.exists()


_PATH_CHARS = st.sampled_from(list("张三李四财务处预算科 ()（）&'^%!,;=+-_.~[]{}$#@aZ09\\:"))


@settings(max_examples=200, deadline=None)
@given(
    value=st.text(_PATH_CHARS, min_size=1, max_size=40),
    codepage=st.sampled_from(["cp936", "gbk", "utf-8"]),
)
def test_any_path_round_trips(tmp_path_factory: pytest.TempPathFactory, value: str, codepage: str):
    """Chinese, spaces, parentheses, commas and shell characters come back unchanged, read
    the way the VBA reads the file (comma-separated quoted fields, CRLF lines)."""
    path = tmp_path_factory.mktemp("conf") / "perfsheet.conf"
    entries = {"Interpreter_Win": rf"C:\Users\{value}\python.exe", "PYTHONPATH": value}
    addin.write_conf(path, entries, codepage)
    assert addin.read_conf(path, codepage) == entries
    lines = path.read_bytes().decode(codepage).split("\r\n")
    assert lines[-1] == "" and [line.split('","', 1)[1][:-1] for line in lines[:-1]] == list(
        entries.values()
    )


def test_write_conf_refuses_what_it_cannot_encode(tmp_path: Path) -> None:
    with pytest.raises(PerfsheetError, match="代码页 cp1252 无法表示的字符“张三”"):
        addin.write_conf(tmp_path / "x.conf", {"PYTHONPATH": "D:\\张三"}, "cp1252")
    assert not (tmp_path / "x.conf").exists()
