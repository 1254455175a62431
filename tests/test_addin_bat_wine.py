"""安装.bat and 卸载.bat run by a real cmd: Wine's, in a Chinese locale (code page 936, as on
Chinese Windows), with a stand-in for py.exe / python.exe (tests/wine/fakepy.c, built with
MinGW) that logs its arguments and acts out ``-m venv``. The paths have Chinese, spaces and
parentheses. Then once more on a console with another code page: the messages are garbled,
every command still runs.

Needs the Debian packages wine64, gcc-mingw-w64-x86-64-win32 and the zh_CN.UTF-8 locale
(locales); skipped with that reason where they are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PureWindowsPath

import pytest

from perfsheet.excel import bundle

HERE = Path(__file__).resolve().parent
WHEEL = "perfsheet-0.1.0-py3-none-any.whl"


def _missing() -> str | None:
    tools = [t for t in ("wine", "x86_64-w64-mingw32-gcc") if shutil.which(t) is None]
    locales = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    if "zh_cn.utf8" not in locales.split():
        tools.append("the zh_CN.UTF-8 locale")
    if tools:
        return (
            f"{', '.join(tools)} missing: this test runs the .bat files in Wine's cmd "
            "(apt-get install wine64 gcc-mingw-w64-x86-64-win32 locales; locale-gen zh_CN.UTF-8)"
        )
    return None


def _win(path: Path) -> str:
    return str(PureWindowsPath("Z:/", *path.parts[1:]))


class Wine:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = Path.home() / ".cache" / "perfsheet-tests" / "wineprefix"
        self.bin = root / "bin"
        self.bin.mkdir()
        subprocess.run(
            [
                "x86_64-w64-mingw32-gcc",
                "-municode",
                "-O1",
                "-o",
                str(self.bin / "py.exe"),
                str(HERE / "wine" / "fakepy.c"),
            ],
            check=True,
        )
        self.log = root / "log.txt"

    def run(self, bat: Path, *args: str, lang: str = "zh_CN.UTF-8", **fake: str):
        """Run ``bat`` through a caller .bat (cmd /c mangles quoted Unicode arguments)."""
        self.log.unlink(missing_ok=True)
        quoted = " ".join(f'"{a}"' for a in args)
        caller = self.root / "go.bat"
        encoding = "cp936" if lang.startswith("zh_CN") else "ascii"
        caller.write_bytes(f'@call "{_win(bat)}" {quoted}\r\n'.encode(encoding))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKEPY_", "PERFSHEET_"))}
        env.update(
            WINEPREFIX=str(self.prefix),
            WINEDEBUG="-all",
            LANG=lang,
            LC_ALL=lang,
            WINEPATH=_win(self.bin),
            FAKEPY_LOG=_win(self.log),
            PERFSHEET_NOPAUSE="1",
            **{f"FAKEPY_{k.upper()}": v for k, v in fake.items()},
        )
        done = subprocess.run(
            ["wine", "cmd", "/c", _win(caller)], capture_output=True, env=env, timeout=180
        )
        out = done.stdout.decode("cp936" if encoding == "cp936" else "latin-1", "replace")
        log = self.log.read_text(encoding="utf-8") if self.log.exists() else ""
        calls = [line.split(" | ") for line in log.splitlines()]
        return done.returncode, out.replace("\r\n", "\n"), calls


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Wine:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    w = Wine(tmp_path_factory.mktemp("wine"))
    w.prefix.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "WINEPREFIX": str(w.prefix), "WINEDEBUG": "-all"}
    subprocess.run(["wineboot", "-i"], env=env, capture_output=True, timeout=300, check=True)
    return w


def _bundle(folder: Path) -> Path:
    (folder / "wheels").mkdir(parents=True)
    (folder / "wheels" / WHEEL).write_bytes(b"")
    (folder / "安装.bat").write_bytes(bundle.install_bat(WHEEL))
    (folder / "卸载.bat").write_bytes(bundle.uninstall_bat())
    return folder


def test_install_and_uninstall_in_chinese_paths(wine: Wine, tmp_path: Path) -> None:
    folder = _bundle(tmp_path / "离线 安装包 (财务处)")
    target = tmp_path / "目标 (张三)"
    venv_py = _win(target / "python" / "Scripts" / "python.exe")
    wheel = _win(folder / "wheels" / WHEEL)

    rc, out, calls = wine.run(folder / "安装.bat", _win(target), versions="3.12")
    assert rc == 0, out
    assert [c[:2] for c in calls[:2]] == [["py", "-3.13"], ["py", "-3.12"]]  # newest first
    assert calls[2] == ["py", "-3.12", "-m", "venv", _win(target / "python")]
    assert calls[3] == [
        venv_py,
        "-m",
        "pip",
        "install",
        "--no-index",
        "--find-links",
        _win(folder / "wheels"),
        "--disable-pip-version-check",
        wheel,
    ]
    assert calls[4][-1] == wheel and "--force-reinstall" in calls[4]
    assert calls[5] == [venv_py, "-m", "perfsheet", "addin", "install"]
    assert "使用的 Python：py -3.12" in out and "安装完成" in out
    assert f"Python 环境：{_win(target / 'python')}" in out
    assert (target / "python" / "pyvenv.cfg").is_file()

    # again: the environment is reused, perfsheet and the add-in installed anew
    rc, out, calls = wine.run(folder / "安装.bat", _win(target), versions="3.12")
    assert rc == 0 and [c[0] for c in calls] == [venv_py] * 4, calls
    assert calls[0][1] == "-c"

    # the add-in step fails: exit 1, said in Chinese
    rc, out, calls = wine.run(folder / "安装.bat", _win(target), fail_addin="1")
    assert rc == 1 and "Excel 加载项没有安装（原因见上一行）" in out

    rc, out, calls = wine.run(folder / "卸载.bat", _win(target))
    assert rc == 0 and "卸载完成" in out, out
    assert calls == [[venv_py, "-m", "perfsheet", "addin", "install", "--uninstall"]]
    assert not target.exists()


def test_no_python_and_an_unpacked_zip(wine: Wine, tmp_path: Path) -> None:
    folder = _bundle(tmp_path / "安装包")
    rc, out, calls = wine.run(folder / "安装.bat", _win(tmp_path / "目标"))
    assert rc == 1 and "没有找到可用的 Python" in out and "Microsoft Store" in out
    assert [c[1] for c in calls] == ["-3.13", "-3.12", "-3.11"]
    # a broken environment (its Python gone) is removed, then Python is looked for
    (tmp_path / "目标" / "python" / "Scripts").mkdir(parents=True)
    shutil.copy(wine.bin / "py.exe", tmp_path / "目标" / "python" / "Scripts" / "python.exe")
    (tmp_path / "目标" / "python" / "pyvenv.cfg").write_text("home = x\n")
    rc, out, calls = wine.run(folder / "安装.bat", _win(tmp_path / "目标"), bad="1")
    assert rc == 1 and not (tmp_path / "目标" / "python").exists()
    (folder / "wheels" / WHEEL).unlink()  # 安装.bat double-clicked inside a zip
    rc, out, _ = wine.run(folder / "安装.bat", _win(tmp_path / "目标"), versions="3.12")
    assert rc == 1 and "请先把压缩包全部解压" in out


def test_another_code_page_garbles_messages_only(wine: Wine, tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    (folder / "wheels").mkdir(parents=True)
    (folder / "wheels" / WHEEL).write_bytes(b"")
    (folder / "install.bat").write_bytes(bundle.install_bat(WHEEL))
    rc, out, calls = wine.run(
        folder / "install.bat", _win(tmp_path / "target"), lang="C.UTF-8", versions="3.11"
    )
    assert rc == 0
    assert "安装完成" not in out  # read in another code page
    assert calls[-1][-3:] == ["perfsheet", "addin", "install"] and len(calls) == 7
