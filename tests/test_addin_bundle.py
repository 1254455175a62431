"""``perfsheet addin bundle``: the offline installer for intranet PCs.

Offline: the .bat files byte by byte, the Windows-marker check on hand-made wheels, and the
whole command against a small local index (real ``pip download --no-index --find-links``).
Marked ``network``: the real bundle from the package index, resolved by pip's own resolver
restricted to the folder and to Windows x64, for each Python version.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import urllib.request
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfsheet.cli import app
from perfsheet.excel import addin, bundle

WHEEL = "perfsheet-0.1.0-py3-none-any.whl"


# --------------------------------------------------------------------------- .bat bytes

#: Windows' own variables a .bat may use without setting them
_WINDOWS_VARS = {"LOCALAPPDATA", "APPDATA", "USERPROFILE", "PERFSHEET_NOPAUSE"}


def _check_bat(data: bytes) -> str:
    assert not data.startswith(b"\xef\xbb\xbf"), "a BOM would break the first command"
    assert data.startswith(b"@echo off\r\n")
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    text = data.decode(bundle.BAT_ENCODING)
    # GB2312 only: both bytes of every Chinese character are >= 0xA1, so no byte can be read
    # as | ^ & < > ( ) % by a console with another code page
    text.encode("gb2312")
    assert all(b >= 0xA1 for ch in text if not ch.isascii() for b in ch.encode("gb2312"))
    lines = text.split("\r\n")[:-1]
    labels = {line[1:] for line in lines if line.startswith(":")}
    for line in lines:
        stripped = line.strip()
        if not stripped.isascii():  # the commands are ASCII; only messages are Chinese
            assert stripped.startswith(("echo ", "rem ")), line
        for target in re.findall(r"\bgoto :(\w+)", stripped):
            assert target in labels, line
        if stripped.startswith("echo ") and "(" in stripped:
            raise AssertionError(f"ASCII parenthesis in a message: {line}")
    assigned = set(re.findall(r'\bset "(\w+)=', text))
    used = set(re.findall(r"%(\w+)%", text))
    assert used <= assigned | _WINDOWS_VARS, used - assigned - _WINDOWS_VARS
    depth = 0
    for line in lines:
        unquoted = re.sub(r'"[^"]*"', "", line)
        depth += unquoted.count("(") - unquoted.count(")")
        assert depth >= 0, line
    assert depth == 0
    return text


def test_install_bat_bytes() -> None:
    text = _check_bat(bundle.install_bat(WHEEL))
    assert 'set "WHEEL=%BUNDLE%wheels\\' + WHEEL + '"' in text
    assert "for %%V in (3.13 3.12 3.11) do (" in text  # py launcher, newest first
    assert 'python -c "%PYOK%"' in text  # then python on PATH
    assert "(3, 11) <= sys.version_info[:2] <= (3, 13)" in text and "win-amd64" in text
    assert "windowsapps" in text  # never the Microsoft Store Python
    assert '--no-index --find-links "%BUNDLE%wheels"' in text
    assert '"%VPY%" -m perfsheet addin install\r\n' in text
    for message in ("安装完成", "没有找到可用的 Python", "Microsoft Store", "请先把压缩包全部解压"):
        assert message in text
    only_312 = bundle.install_bat(WHEEL, ["3.12"]).decode("cp936")
    assert "(3, 12) <= sys.version_info[:2] <= (3, 12)" in only_312


def test_uninstall_bat_bytes() -> None:
    text = _check_bat(bundle.uninstall_bat())
    assert '"%VPY%" -m perfsheet addin install --uninstall' in text
    assert 'rmdir /s /q "%VENV%"' in text and "请先退出 Excel" in text


def test_readme_is_utf8_with_bom() -> None:
    data = bundle.readme_text({"perfsheet": "0.1.0", "pythons": ["3.11", "3.12"]})
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert "Python 3.11、3.12" in data[3:].decode("utf-8")
    assert "“导出模板”" in data[3:].decode("utf-8")  # the template: the ribbon, no command line


# --------------------------------------------------------------------------- Windows markers


def make_wheel(folder: Path, name: str, version: str, tag: str, requires: list[str]) -> Path:
    """A minimal wheel: what ``pip download`` and :func:`bundle.resolve` read."""
    dist = f"{name.replace('-', '_')}-{version}"
    path = folder / f"{dist}-{tag}.whl"
    extras = sorted(set(re.findall(r'extra == "(\w+)"', " ".join(requires))))
    metadata = "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}{}".format(
        name,
        version,
        "".join(f"Provides-Extra: {e}\n" for e in extras),
        "".join(f"Requires-Dist: {r}\n" for r in requires),
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{dist}.dist-info/METADATA", metadata)
        archive.writestr(
            f"{dist}.dist-info/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n",
        )
        archive.writestr(f"{dist}.dist-info/RECORD", "")
        archive.writestr(f"{name.replace('-', '_')}/__init__.py", "")
    return path


ROOT_REQUIRES = [
    "alpha>=1",
    'winonly>=2; platform_system == "Windows"',
    'maconly; sys_platform == "darwin"',
    'optional; extra == "extra"',
]


def small_index(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    make_wheel(folder, "alpha", "1.0", "py3-none-any", ["beta[fast]"])
    make_wheel(folder, "beta", "1.0", "py3-none-any", ['fastlib; extra == "fast"'])
    for v in ("311", "312", "313"):
        make_wheel(folder, "fastlib", "1.0", f"cp{v}-cp{v}-win_amd64", [])
        make_wheel(folder, "winonly", "2.0", f"cp{v}-cp{v}-win_amd64", [])
    make_wheel(folder, "winonly", "3.0", "cp312-cp312-manylinux_2_17_x86_64", [])
    return folder


def test_resolve_reads_requires_dist_with_windows_markers(tmp_path: Path) -> None:
    folder = small_index(tmp_path / "wheels")
    make_wheel(folder, "perfsheet", "0.1.0", "py3-none-any", ROOT_REQUIRES)
    result = bundle.resolve(folder, "3.12")
    assert result.missing == []
    assert {name: str(w.version) for name, w in result.chosen.items()} == {
        "perfsheet": "0.1.0",
        "alpha": "1.0",
        "beta": "1.0",
        "fastlib": "1.0",  # through the extra alpha asks beta for
        "winonly": "2.0",  # not the Linux wheel 3.0, not left out as on this machine
    }
    for wheel in folder.glob("winonly-2.0-cp312*"):
        wheel.unlink()
    missing = bundle.missing_requirements(folder, "3.12")
    assert missing == ['winonly>=2; platform_system == "Windows"（perfsheet 0.1.0 需要）']
    assert bundle.missing_requirements(folder, "3.13") == []
    empty = tmp_path / "empty"
    empty.mkdir()
    make_wheel(empty, "perfsheet", "0.1.0", "py3-none-any", ROOT_REQUIRES)
    assert len(bundle.missing_requirements(empty, "3.12")) == 2  # alpha, winonly


def test_supported_tags_are_windows_x64_cpython() -> None:
    tags = {str(t) for t in bundle.supported_tags("3.12")}
    assert "cp312-cp312-win_amd64" in tags and "py3-none-any" in tags
    assert "cp312-abi3-win_amd64" in tags and "cp311-abi3-win_amd64" in tags
    assert not {t for t in tags if "linux" in t or "win32" in t or "cp313-cp313" in t}


# --------------------------------------------------------------------------- the command


@pytest.fixture
def isolated_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip without this machine's configuration (indexes, find-links, constraints)."""
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


def test_bundle_from_a_local_index(tmp_path: Path, isolated_pip: None) -> None:
    """The whole command with real ``pip download`` on a local index: pip skips the
    Windows-only dependency (markers of this OS); the bundle gets it all the same."""
    index = small_index(tmp_path / "index")
    own = make_wheel(tmp_path, "perfsheet", "0.1.0", "py3-none-any", ROOT_REQUIRES)
    out = tmp_path / "发布" / "离线 安装包 (内网)"
    args = ["addin", "bundle", "-o", str(out), "--wheel", str(own), "--find-links", str(index)]
    args += ["--python", "3.12", "--python", "3.13", "--zip"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "另外下载只在 Windows 上需要的依赖：winonly>=2" in result.output
    assert f"已生成离线安装包：{out}" in result.output and "Traceback" not in result.output
    names = sorted(p.name for p in (out / "wheels").iterdir())
    assert names == [
        "alpha-1.0-py3-none-any.whl",
        "beta-1.0-py3-none-any.whl",
        "fastlib-1.0-cp312-cp312-win_amd64.whl",
        "fastlib-1.0-cp313-cp313-win_amd64.whl",
        WHEEL,
        "winonly-2.0-cp312-cp312-win_amd64.whl",
        "winonly-2.0-cp313-cp313-win_amd64.whl",
    ]
    for version in ("3.12", "3.13"):
        assert bundle.missing_requirements(out / "wheels", version) == []
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["wheels", "perfsheet.xlam", "perfsheet-bundle.json", "安装.bat", "卸载.bat", "说明.txt"]
    )
    manifest = json.loads((out / "perfsheet-bundle.json").read_text(encoding="utf-8"))
    assert manifest["pythons"] == ["3.12", "3.13"] and sorted(manifest["wheels"]) == names
    assert WHEEL in (out / "安装.bat").read_bytes().decode("cp936")
    assert "(3, 12) <= sys.version_info[:2] <= (3, 13)" in (out / "安装.bat").read_text("cp936")
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name, out.name + ".zip"]
    check_zip(out.with_name(out.name + ".zip"), out)

    # again into the same folder: an earlier bundle is replaced
    (out / "wheels" / "stale-0.1-py3-none-any.whl").write_bytes(b"")
    assert CliRunner().invoke(app, args).exit_code == 0
    assert not (out / "wheels" / "stale-0.1-py3-none-any.whl").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name, out.name + ".zip"]


def test_bundle_refuses_a_folder_of_other_files(tmp_path: Path, isolated_pip: None) -> None:
    out = tmp_path / "我的文件"
    out.mkdir()
    (out / "预算.xlsx").write_bytes(b"x")
    result = CliRunner().invoke(app, ["addin", "bundle", "-o", str(out), "--wheel", "x.whl"])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("错误：输出文件夹") and "不是 perfsheet 离线安装包" in line
    assert [p.name for p in out.iterdir()] == ["预算.xlsx"]


def test_a_missing_dependency_is_one_chinese_line(tmp_path: Path, isolated_pip: None) -> None:
    index = tmp_path / "index"
    index.mkdir()
    own = make_wheel(tmp_path, "perfsheet", "0.1.0", "py3-none-any", ["alpha>=1"])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["addin", "bundle", "-o", str(out), "--wheel", str(own), "--find-links", str(index)],
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("错误：下载 Windows 64 位、Python 3.11 的依赖失败：") and "alpha" in last
    assert not out.exists() and list(tmp_path.glob(".out.part-*")) == []


def check_zip(path: Path, folder: Path) -> None:
    """Names in GBK without the UTF-8 flag (Explorer on Chinese Windows) and in Info-ZIP's
    Unicode Path field (7-Zip, WinRAR, Bandizip, unzip); the same files as the folder."""
    with zipfile.ZipFile(path, metadata_encoding="cp936") as archive:
        infos = archive.infolist()
        assert {i.filename for i in infos} == {
            f"{folder.name}/{p.relative_to(folder).as_posix()}"
            for p in folder.rglob("*")
            if p.is_file()
        }
        for info in infos:
            assert not info.flag_bits & 0x800
            assert archive.read(info) == (folder.parent / info.filename).read_bytes()
            if info.filename.isascii():
                continue
            raw = info.filename.encode("cp936")
            header, size, version, crc = struct.unpack_from("<HHBI", info.extra)
            assert (header, version, crc) == (0x7075, 1, zlib.crc32(raw))
            assert info.extra[9 : 4 + size].decode("utf-8") == info.filename
        assert archive.testzip() is None
    if os.path.exists("/usr/bin/unzip"):
        listing = subprocess.run(
            ["/usr/bin/unzip", "-l", str(path)], capture_output=True, check=True
        ).stdout.decode("utf-8", errors="replace")
        assert f"{folder.name}/安装.bat" in listing


# --------------------------------------------------------------------------- network

PYPI = "https://pypi.org/simple/colorama/"


def _index_reachable() -> str | None:
    try:
        with urllib.request.urlopen(urllib.request.Request(PYPI, method="HEAD"), timeout=10):
            return None
    except Exception as err:  # any failure means: no index here
        return f"{PYPI} unreachable ({err}): the bundle test downloads Windows wheels"


@pytest.fixture(scope="session")
def real_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real bundle for the session (pip's own cache speeds up later sessions)."""
    reason = _index_reachable()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("bundle") / "perfsheet 离线安装包"
    result = bundle.make_bundle(out)
    print(
        f"bundle: {result.size / 1e6:.1f} MB, {len(result.wheels)} wheels, {result.seconds:.0f} s"
    )
    return out


def _clean_pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@pytest.mark.network
@pytest.mark.parametrize("python_version", bundle.WINDOWS_PYTHONS)
def test_pip_resolves_the_bundle_offline(
    real_bundle: Path, python_version: str, tmp_path: Path
) -> None:
    """pip's resolver, restricted to the folder and to Windows x64 CPython, installs
    perfsheet from it: every requirement it sees is there, from the folder."""
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--no-index"]
    command += ["--find-links", str(real_bundle / "wheels"), "--platform", "win_amd64"]
    command += ["--python-version", python_version, "--implementation", "cp"]
    command += ["--only-binary=:all:", "--target", str(tmp_path / "t"), "--report", str(report)]
    done = subprocess.run(
        [*command, "-q", "perfsheet"], capture_output=True, text=True, env=_clean_pip_env()
    )
    assert done.returncode == 0, done.stderr
    installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    names = {item["metadata"]["name"].lower().replace("_", "-") for item in installs}
    assert {"perfsheet", "xlwings", "pydantic-core", "typer", "openpyxl"} <= names
    for item in installs:
        url = item["download_info"]["url"]
        assert url.startswith("file://") and "/wheels/" in url, url


@pytest.mark.network
@pytest.mark.parametrize("python_version", bundle.WINDOWS_PYTHONS)
def test_every_windows_dependency_is_in_the_bundle(real_bundle: Path, python_version: str):
    """pip's resolver above evaluates markers on this (Linux) machine and would pass without
    pywin32 and colorama: read every wheel's Requires-Dist with Windows markers instead."""
    wheels = real_bundle / "wheels"
    assert bundle.missing_requirements(wheels, python_version) == []
    chosen = bundle.resolve(wheels, python_version).chosen
    tag = f"cp{python_version.replace('.', '')}"
    assert chosen["pywin32"].path.name.endswith(f"-{tag}-{tag}-win_amd64.whl")  # xlwings
    assert "colorama" in chosen  # typer (click's console colours on Windows)
    assert chosen["xlwings"].path.name.endswith(f"-{tag}-{tag}-win_amd64.whl")
    import xlwings

    assert str(chosen["xlwings"].version) == xlwings.__version__  # the add-in's VBA names it


@pytest.mark.network
def test_bundle_contents(real_bundle: Path, tmp_path: Path) -> None:
    manifest = json.loads((real_bundle / "perfsheet-bundle.json").read_text(encoding="utf-8"))
    wheels = sorted(p.name for p in (real_bundle / "wheels").iterdir())
    assert sorted(manifest["wheels"]) == wheels
    for name in wheels:  # pure, or Windows x64 for one of the three Pythons
        assert name.endswith(("-none-any.whl", "-win_amd64.whl")), name
    own = [n for n in wheels if n.startswith("perfsheet-")]
    assert len(own) == 1 and own[0] in (real_bundle / "安装.bat").read_bytes().decode("cp936")
    # the libraries whose private attributes perfsheet reaches (and xlwings, named by the VBA)
    # are bundled at the versions tested here, not whatever the index has newest
    from importlib.metadata import version

    bundled = {n.split("-")[0].lower().replace("_", "-"): n.split("-")[1] for n in wheels}
    for name in bundle.PINNED:
        assert bundled[name] == version(name), (name, bundled[name])
    with zipfile.ZipFile(real_bundle / "wheels" / own[0]) as archive:
        packaged = archive.namelist()
    assert "perfsheet/excel/_assets/addin/customUI.xml" in packaged
    assert any(n.startswith("perfsheet/excel/_assets/macros/") for n in packaged)
    # the bundled add-in is the one `perfsheet addin install` builds on the target PC
    fresh = addin.build_addin(tmp_path / "perfsheet.xlam").read_bytes()
    assert (real_bundle / "perfsheet.xlam").read_bytes() == fresh
    _check_bat((real_bundle / "安装.bat").read_bytes())
    _check_bat((real_bundle / "卸载.bat").read_bytes())
