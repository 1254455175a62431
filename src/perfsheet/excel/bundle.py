"""The offline installer for intranet PCs: ``perfsheet addin bundle -o DIR``.

One folder that installs with no network on 64-bit Windows with Python 3.11–3.13::

    安装.bat  卸载.bat  说明.txt  perfsheet.xlam  perfsheet-bundle.json
    wheels/   perfsheet's wheel and every dependency as a win_amd64 wheel per Python version

The wheels come from ``pip download --platform win_amd64 --only-binary=:all:
--python-version X``. That resolver evaluates environment markers against the machine it
runs on, so Windows-only dependencies (``pywin32`` for xlwings, ``colorama`` for typer)
would be left out silently. :func:`missing_requirements` reads every wheel's
``Requires-Dist`` with the markers of Windows x64 CPython X and lists what is missing;
:func:`make_bundle` downloads that too, until nothing is missing.

``安装.bat`` finds Python (the ``py`` launcher, then ``python`` on PATH), makes a virtual
environment in ``%LOCALAPPDATA%\\perfsheet\\python`` (or the folder given as its argument),
installs from ``wheels\\`` with ``--no-index`` and runs ``perfsheet addin install``. A virtual
environment needs no administrator rights and puts xlwings' DLL where the add-in's VBA looks
for it, which a ``pip install --user`` into an all-users Python would not.

The .bat files are written in code page 936 (GBK) with CRLF line ends: cmd.exe reads a batch
file in the console's code page, 936 on Chinese Windows. No ``chcp 65001``: the lines before
it would still be read in the old code page, and Windows before 10 runs UTF-8 batch files
unreliably. Every command is ASCII and every Chinese character is in GB2312, whose bytes are
all ≥ 0xA1: on a console with another code page the messages look wrong, but no byte can turn
into a ``|`` or ``^`` that cmd would act on.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.parser import BytesParser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from perfsheet import __version__
from perfsheet.errors import OutputError, PerfsheetError, UsageError
from perfsheet.excel.addin import ADDIN_NAME, build_addin

WINDOWS_PYTHONS = ("3.11", "3.12", "3.13")
PLATFORM = "win_amd64"
WHEELS_DIR = "wheels"
INSTALL_BAT = "安装.bat"
UNINSTALL_BAT = "卸载.bat"
README_TXT = "说明.txt"
MANIFEST = "perfsheet-bundle.json"
#: what cmd.exe reads a batch file in on Chinese Windows (the console's OEM code page)
BAT_ENCODING = "cp936"
#: names inside the zip: GBK (what Explorer on Chinese Windows reads) + Info-ZIP's UTF-8 field
ZIP_NAME_ENCODING = "cp936"
_UNICODE_PATH_EXTRA = 0x7075

Log = Callable[[str], None]


class BundleError(PerfsheetError):
    """The offline bundle cannot be made (exit code 2)."""


# --------------------------------------------------------------------------- wheel sets


def windows_environment(python_version: str) -> dict[str, str]:
    """Environment-marker values of 64-bit CPython ``python_version`` on Windows 10/11."""
    full = f"{python_version}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "nt",
        "platform_machine": "AMD64",
        "platform_python_implementation": "CPython",
        "platform_release": "10",
        "platform_system": "Windows",
        "platform_version": "10.0.19045",
        "python_full_version": full,
        "python_version": python_version,
        "sys_platform": "win32",
        "extra": "",
    }


def supported_tags(python_version: str) -> set[Tag]:
    """The wheel tags pip accepts on 64-bit CPython ``python_version`` for Windows."""
    major, minor = (int(part) for part in python_version.split("."))
    interpreter = f"cp{major}{minor}"
    tags = set(
        cpython_tags((major, minor), abis=[interpreter, "abi3", "none"], platforms=[PLATFORM])
    )
    tags |= set(compatible_tags((major, minor), interpreter=interpreter, platforms=[PLATFORM]))
    return tags


@dataclass(frozen=True)
class _Wheel:
    name: str
    version: Version
    path: Path


def _wheels_for(folder: Path, python_version: str) -> dict[str, list[_Wheel]]:
    """The wheels in ``folder`` that install on ``python_version``, newest first per name."""
    tags = supported_tags(python_version)
    found: dict[str, list[_Wheel]] = {}
    for path in sorted(folder.glob("*.whl")):
        try:
            name, version, _build, wheel_tags = parse_wheel_filename(path.name)
        except InvalidWheelFilename:
            continue
        if wheel_tags & tags:
            found.setdefault(name, []).append(_Wheel(name, version, path))
    for wheels in found.values():
        wheels.sort(key=lambda w: w.version, reverse=True)
    return found


def wheel_requirements(path: Path) -> list[Requirement]:
    """The ``Requires-Dist`` entries of a wheel's METADATA."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise BundleError(f"{path.name} 不是有效的 wheel（没有 METADATA）")
            metadata = BytesParser().parsebytes(archive.read(names[0]), headersonly=True)
    except (OSError, zipfile.BadZipFile) as err:
        raise BundleError(f"无法读取 {path}：{err}；请删除该文件后重新生成安装包") from err
    requirements = []
    for value in metadata.get_all("Requires-Dist") or []:
        try:
            requirements.append(Requirement(value))
        except InvalidRequirement as err:
            raise BundleError(f"{path.name} 的依赖声明无法解析：{value}") from err
    return requirements


def _applies(requirement: Requirement, env: dict[str, str], extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    marker: Marker = requirement.marker
    return any(marker.evaluate({**env, "extra": extra}) for extra in ("", *extras))


@dataclass
class Resolution:
    """What a Windows x64 CPython would install from a folder (pip prefers the newest
    wheel that satisfies a requirement), and what it would miss."""

    chosen: dict[str, _Wheel] = field(default_factory=dict)
    missing: list[tuple[Requirement, str]] = field(default_factory=list)

    def describe_missing(self) -> list[str]:
        return [f"{req}（{who} 需要）" for req, who in self.missing]


def resolve(folder: Path, python_version: str, root: str = "perfsheet") -> Resolution:
    """Follow ``Requires-Dist`` from ``root`` through the wheels in ``folder`` with the
    markers of 64-bit CPython ``python_version`` on Windows (not of this machine)."""
    available = _wheels_for(folder, python_version)
    env = windows_environment(python_version)
    result = Resolution()
    todo: list[tuple[Requirement, str]] = [(Requirement(root), "安装包")]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement, who = todo.pop(0)
        name = canonicalize_name(requirement.name)
        wheel = result.chosen.get(name)
        if wheel is None:
            candidates = [
                w
                for w in available.get(name, [])
                if requirement.specifier.contains(w.version, prereleases=True)
            ]
            if not candidates:
                result.missing.append((requirement, who))
                continue
            wheel = result.chosen[name] = candidates[0]
        elif not requirement.specifier.contains(wheel.version, prereleases=True):
            result.missing.append((requirement, who))
            continue
        key = (name, frozenset(requirement.extras))
        if key in done:
            continue
        done.add(key)
        for dependency in wheel_requirements(wheel.path):
            if _applies(dependency, env, requirement.extras):
                todo.append((dependency, f"{wheel.name} {wheel.version}"))
    return result


def missing_requirements(folder: Path, python_version: str, root: str = "perfsheet") -> list[str]:
    """Requirements (with who needs them) that no wheel in ``folder`` satisfies on 64-bit
    CPython ``python_version`` for Windows; empty when the set is complete."""
    return resolve(folder, python_version, root).describe_missing()


# --------------------------------------------------------------------------- pip


def _pip(args: Sequence[str], what: str) -> None:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace")
    except OSError as err:
        raise BundleError(f"{what}失败：无法运行 pip（{err}）") from err
    if done.returncode != 0:
        lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR")] or lines or ["（pip 没有输出）"]
        raise BundleError(
            f"{what}失败：{errors[-1]}；请检查网络或 pip 的镜像设置（pip config list）"
        )


def _pip_download(
    requirements: Sequence[str], dest: Path, python_version: str, pip_options: Sequence[str]
) -> None:
    _pip(
        [
            "download",
            "--dest",
            str(dest),
            "--platform",
            PLATFORM,
            "--python-version",
            python_version,
            "--implementation",
            "cp",
            "--only-binary=:all:",
            "--progress-bar",
            "off",
            *pip_options,
            *requirements,
        ],
        f"下载 Windows 64 位、Python {python_version} 的依赖",
    )


def source_root() -> Path | None:
    """The source tree perfsheet runs from (an editable install or a checkout), if any."""
    root = Path(__file__).resolve().parents[3]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "perfsheet"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def build_wheel(dest: Path) -> Path:
    """perfsheet's wheel, built from its source tree with ``pip wheel --no-deps``."""
    root = source_root()
    if root is None:
        raise BundleError(
            "找不到 perfsheet 的源代码（当前是从 wheel 安装的）："
            "请用 --wheel 指定 perfsheet 的 wheel 文件"
        )
    with tempfile.TemporaryDirectory(prefix="perfsheet-wheel-") as tmp:
        args = ["wheel", "--no-deps", "-q", "-w", tmp, str(root)]
        if importlib.util.find_spec("hatchling") is not None:
            args.insert(2, "--no-build-isolation")  # no download of the build backend
        _pip(args, "构建 perfsheet 的 wheel")
        built = sorted(Path(tmp).glob("perfsheet-*.whl"))
        if len(built) != 1:
            raise BundleError("构建 perfsheet 的 wheel 失败：pip 没有生成 wheel 文件")
        return Path(shutil.copy2(built[0], dest / built[0].name))


# --------------------------------------------------------------------------- .bat files


def _bat(lines: Iterable[str]) -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return text.encode(BAT_ENCODING)


#: Python 3.11–3.13, 64-bit Windows, not the Microsoft Store build (its writes to %APPDATA%
#: go to a private copy that Excel never sees)
_PY_OK = (
    "import sys, sysconfig; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) and "
    "sysconfig.get_platform() == 'win-amd64' and 'windowsapps' not in sys.base_prefix.lower() "
    "else 1)"
)

_BAT_HEADER = [
    "@echo off",
    "rem perfsheet offline bundle. Encoded in code page 936 (GBK) with CRLF line ends: cmd.exe",
    "rem reads batch files in the console code page, 936 on Chinese Windows. Commands are ASCII.",
    "setlocal EnableExtensions DisableDelayedExpansion",
    'set "BUNDLE=%~dp0"',
    'set "TARGET=%~1"',
    'if "%TARGET%"=="" set "TARGET=%LOCALAPPDATA%\\perfsheet"',
    'set "VENV=%TARGET%\\python"',
    'set "VPY=%VENV%\\Scripts\\python.exe"',
    'set "RC=1"',
]

_BAT_FOOTER = [
    ":end",
    "echo.",
    "if not defined PERFSHEET_NOPAUSE pause",
    "endlocal & exit /b %RC%",
]


def install_bat(wheel_name: str, pythons: Sequence[str] = WINDOWS_PYTHONS) -> bytes:
    """``安装.bat``: Python → virtual environment → wheels with --no-index → add-in."""
    newest_first = " ".join(sorted(pythons, key=Version, reverse=True))
    versions = "、".join(sorted(pythons, key=Version))
    py_ok = _PY_OK.replace("(3, 11)", _version_tuple(min(pythons, key=Version))).replace(
        "(3, 13)", _version_tuple(max(pythons, key=Version))
    )
    return _bat(
        [
            *_BAT_HEADER,
            f'set "WHEEL=%BUNDLE%{WHEELS_DIR}\\{wheel_name}"',
            f'set "PYOK={py_ok}"',
            "echo ==== perfsheet 离线安装 ====",
            'if not exist "%WHEEL%" goto :no_bundle',
            "",
            "rem an environment left by an earlier install is reused when it still works",
            'if not exist "%VPY%" goto :find_python',
            '"%VPY%" -c "%PYOK%" >nul 2>&1',
            "if not errorlevel 1 goto :packages",
            'if exist "%VENV%\\pyvenv.cfg" rmdir /s /q "%VENV%"',
            "",
            ":find_python",
            'set "PY="',
            f"for %%V in ({newest_first}) do (",
            "    if not defined PY (",
            '        py -%%V -c "%PYOK%" >nul 2>&1',
            '        if not errorlevel 1 set "PY=py -%%V"',
            "    )",
            ")",
            "if not defined PY (",
            '    python -c "%PYOK%" >nul 2>&1',
            '    if not errorlevel 1 set "PY=python"',
            ")",
            "if not defined PY goto :no_python",
            "echo 使用的 Python：%PY%",
            "echo 正在创建 perfsheet 专用的 Python 环境：%VENV%",
            '%PY% -m venv "%VENV%"',
            "if errorlevel 1 goto :no_venv",
            "",
            ":packages",
            "echo 正在从本文件夹安装 perfsheet 及其依赖（不需要联网）……",
            '"%VPY%" -m pip install --no-index --find-links "%BUNDLE%wheels" '
            '--disable-pip-version-check "%WHEEL%"',
            "if errorlevel 1 goto :no_packages",
            '"%VPY%" -m pip install --no-index --no-deps --force-reinstall '
            '--disable-pip-version-check -q "%WHEEL%"',
            "if errorlevel 1 goto :no_packages",
            "echo 正在安装 Excel 加载项……",
            '"%VPY%" -m perfsheet addin install',
            "if errorlevel 1 goto :no_addin",
            'set "RC=0"',
            "echo.",
            "echo 安装完成：",
            "echo   Python 环境：%VENV%",
            "echo   Excel 加载项：%APPDATA%\\Microsoft\\Excel\\XLSTART\\perfsheet.xlam",
            "echo   命令行：“%VENV%\\Scripts\\perfsheet.exe” --help",
            "echo 请重新启动 Excel，功能区将出现“绩效指标”选项卡。",
            "goto :end",
            "",
            ":no_bundle",
            "echo 找不到 %WHEEL%",
            "echo 请先把压缩包全部解压，再双击解压后文件夹中的 安装.bat。",
            "goto :end",
            "",
            ":no_python",
            f"echo 没有找到可用的 Python：需要 python.org 的 64 位 Python {versions}。",
            "echo 请先安装 Python（安装时保留“py launcher”或勾选“Add python.exe to PATH”），",
            "echo 不要用 Microsoft Store 版；装好后再双击本文件。",
            "goto :end",
            "",
            ":no_venv",
            "echo 无法创建 Python 环境 %VENV%。",
            "echo 请确认该文件夹可以写入，或把其他文件夹作为参数：安装.bat D:\\perfsheet",
            "goto :end",
            "",
            ":no_packages",
            "echo 从本文件夹安装 perfsheet 失败（原因见上面 pip 的输出）；没有修改 Excel。",
            "echo 请确认本安装包完整，且 Python 版本是 " + versions + "。",
            "goto :end",
            "",
            ":no_addin",
            "echo perfsheet 已装入 %VENV%，但 Excel 加载项没有安装（原因见上一行）。",
            "echo 处理后重新双击 安装.bat 即可。",
            "goto :end",
            "",
            *_BAT_FOOTER,
        ]
    )


def _version_tuple(version: str) -> str:
    major, minor = version.split(".")
    return f"({int(major)}, {int(minor)})"


def uninstall_bat() -> bytes:
    """``卸载.bat``: the add-in and its settings, then the Python environment."""
    return _bat(
        [
            *_BAT_HEADER,
            "echo ==== perfsheet 卸载 ====",
            'if not exist "%VPY%" goto :no_venv',
            '"%VPY%" -m perfsheet addin install --uninstall',
            "if errorlevel 1 goto :no_addin",
            "echo 正在删除 Python 环境 %VENV% ……",
            'rmdir /s /q "%VENV%"',
            'if exist "%VENV%" goto :no_rmdir',
            'rmdir "%TARGET%" >nul 2>&1',
            'set "RC=0"',
            "echo 卸载完成。请重新启动 Excel。",
            "goto :end",
            "",
            ":no_venv",
            "echo 没有找到 perfsheet 的 Python 环境 %VENV%。",
            'set "XLAM=%APPDATA%\\Microsoft\\Excel\\XLSTART\\perfsheet.xlam"',
            'if exist "%XLAM%" del "%XLAM%"',
            'if exist "%XLAM%" goto :no_addin',
            'set "RC=0"',
            "echo 已删除 Excel 加载项（如有）。设置文件 %USERPROFILE%\\.perfsheet 可以手动删除。",
            "goto :end",
            "",
            ":no_addin",
            "echo 无法删除 Excel 加载项：请先退出 Excel，再双击 卸载.bat。",
            "goto :end",
            "",
            ":no_rmdir",
            "echo 加载项已卸载，但 %VENV% 没有删干净：请退出 Excel 后手动删除该文件夹。",
            "goto :end",
            "",
            *_BAT_FOOTER,
        ]
    )


def readme_text(manifest: dict[str, object]) -> bytes:
    """``说明.txt``: UTF-8 with a byte-order mark (every Notepad reads that) and CRLF."""
    pythons = "、".join(manifest["pythons"])  # type: ignore[arg-type]
    lines = [
        f"perfsheet {manifest['perfsheet']} 离线安装包（Windows 64 位，Python {pythons}）",
        "",
        "安装：把整个文件夹复制到电脑上（压缩包请先全部解压），双击 安装.bat。",
        "  需要先装好 python.org 的 64 位 Python（不要用 Microsoft Store 版）；"
        "不需要联网，不需要管理员权限。",
        "  perfsheet 装在 %LOCALAPPDATA%\\perfsheet\\python；"
        "要装到别处：在命令行运行 安装.bat D:\\perfsheet",
        "  装好后重新启动 Excel，功能区出现“绩效指标”选项卡。",
        "升级：用新版本的安装包再运行一次 安装.bat。",
        "卸载：双击 卸载.bat（装在别处时：卸载.bat D:\\perfsheet）。",
        "汇总表的格式：点“绩效指标”选项卡的“导出模板”，在工作簿旁得到 perfsheet.template.xlsx，"
        "在 Excel 中修改它即可。",
        "",
        f"{WHEELS_DIR}\\：perfsheet 与全部依赖；"
        "perfsheet.xlam：与 安装.bat 安装的加载项相同（供核对）。",
        "详细说明与常见问题：perfsheet 源代码中的 docs/excel-install.md。",
    ]
    return codecs.BOM_UTF8 + ("\r\n".join(lines) + "\r\n").encode("utf-8")


# --------------------------------------------------------------------------- zip


class _GbkZipInfo(zipfile.ZipInfo):
    """A zip entry whose name is stored in GBK without the UTF-8 flag — what Windows
    Explorer reads on Chinese Windows — plus Info-ZIP's Unicode Path field (0x7075) with the
    UTF-8 name, which 7-Zip, WinRAR, Bandizip and unzip prefer."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # zipfile's own method
        try:
            return self.filename.encode("ascii"), self.flag_bits
        except UnicodeEncodeError:
            return self.filename.encode(ZIP_NAME_ENCODING), self.flag_bits & ~0x800


def _zip_entry(name: str) -> _GbkZipInfo:
    info = _GbkZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    info.external_attr = 0x10 if name.endswith("/") else 0
    if not name.isascii():
        raw = name.encode(ZIP_NAME_ENCODING)
        utf8 = name.encode("utf-8")
        info.extra = (
            struct.pack("<HHBI", _UNICODE_PATH_EXTRA, 5 + len(utf8), 1, zlib.crc32(raw)) + utf8
        )
    return info


def write_zip(folder: Path, out: Path) -> Path:
    """``folder`` as a zip whose top-level folder is ``folder.name``."""
    entries = sorted(p for p in folder.rglob("*") if p.is_file())
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(_atomic(out))
        archive = stack.enter_context(zipfile.ZipFile(tmp, "w"))
        for path in entries:
            name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
            level = 0 if path.suffix == ".whl" else 6  # wheels are zips already
            info = _zip_entry(name)
            if level == 0:
                info.compress_type = zipfile.ZIP_STORED
            with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    return out


@contextlib.contextmanager
def _atomic(out: Path):
    from perfsheet.io.atomic import atomic_output

    with atomic_output(out, suffix=out.suffix) as tmp:
        yield tmp


# --------------------------------------------------------------------------- bundle


@dataclass(frozen=True)
class BundleResult:
    folder: Path
    zip_path: Path | None
    wheels: list[str]
    size: int
    seconds: float


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_output(out: Path) -> None:
    """``out`` may be new, an empty folder or an earlier bundle (replaced); nothing else."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"无法写入 {out}：该位置已有一个同名文件；请换一个文件夹名", out)
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UsageError(
            f"输出文件夹 {out} 已存在且不是 perfsheet 离线安装包：请换一个文件夹，或先清空它"
        )
    if out.is_dir():  # it is replaced at the end: find out now, not after the downloads
        try:
            with tempfile.TemporaryFile(dir=out):
                pass
        except OSError as err:
            raise OutputError.from_os(out, err) from err


def make_bundle(
    out: Path | str,
    *,
    wheel: Path | str | None = None,
    pythons: Sequence[str] = WINDOWS_PYTHONS,
    zip_file: bool = False,
    pip_options: Sequence[str] = (),
    log: Log = lambda message: None,
) -> BundleResult:
    """Write the offline bundle into folder ``out`` (and ``out.zip`` with ``zip_file``).

    The folder is assembled next to ``out`` and moved into place only when complete; an
    earlier bundle in ``out`` is replaced. ``pip_options`` go to every ``pip download``
    (e.g. ``--no-index --find-links DIR`` for a local wheelhouse).
    """
    start = time.monotonic()
    out = Path(out).absolute()
    pythons = list(dict.fromkeys(pythons))
    for version in pythons:
        if not version.count(".") == 1 or not all(p.isdigit() for p in version.split(".")):
            raise UsageError(f"Python 版本写法不对：{version}（应为 3.12 这样的形式）")
    _check_output(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.part-", dir=out.parent))
        mask = os.umask(0o022)
        os.umask(mask)
        with contextlib.suppress(OSError):  # mkdtemp makes it private; a bundle is shared
            staging.chmod(0o777 & ~mask)
    except OSError as err:
        raise OutputError.from_os(out, err) from err
    try:
        wheels = staging / WHEELS_DIR
        wheels.mkdir()
        if wheel is None:
            log("正在构建 perfsheet 的 wheel……")
            own = build_wheel(wheels)
        else:
            source = Path(wheel)
            if not source.is_file() or not source.name.startswith("perfsheet-"):
                raise UsageError(f"--wheel 应是 perfsheet 的 wheel 文件：{source}")
            own = Path(shutil.copy2(source, wheels / source.name))
        name, version, _build, _tags = parse_wheel_filename(own.name)
        requirements = [str(own)]
        pins = _pins(own)
        for python_version in pythons:
            log(f"正在下载依赖：Windows 64 位，Python {python_version}……")
            _pip_download([*requirements, *pins], wheels, python_version, pip_options)
            for _ in range(10):  # Windows-only dependencies pip skipped (markers of this OS)
                missing = resolve(wheels, python_version, name).missing
                if not missing:
                    break
                wanted = sorted({_without_marker(req) for req, _who in missing})
                log(f"  另外下载只在 Windows 上需要的依赖：{'、'.join(wanted)}")
                _pip_download(wanted, wheels, python_version, pip_options)
            still = missing_requirements(wheels, python_version, name)
            if still:
                raise BundleError(f"Python {python_version} 的依赖不完整：{'；'.join(still)}")
        log("正在构建 Excel 加载项 perfsheet.xlam……")
        build_addin(staging / ADDIN_NAME)
        manifest = _manifest(staging, str(version), pythons)
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (staging / INSTALL_BAT).write_bytes(install_bat(own.name, pythons))
        (staging / UNINSTALL_BAT).write_bytes(uninstall_bat())
        (staging / README_TXT).write_bytes(readme_text(manifest))
        _check_output(out)
        _move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    zip_path = None
    if zip_file:
        log("正在生成压缩包……")
        zip_path = write_zip(out, out.with_name(out.name + ".zip"))
    files = [p for p in out.rglob("*") if p.is_file()]
    return BundleResult(
        folder=out,
        zip_path=zip_path,
        wheels=sorted(p.name for p in (out / WHEELS_DIR).glob("*.whl")),
        size=sum(p.stat().st_size for p in files),
        seconds=time.monotonic() - start,
    )


#: Dependencies bundled at the version installed here: xlwings, because the add-in's VBA names
#: its version and DLL; openpyxl and XlsxWriter, because perfsheet reaches a few of their
#: private attributes (perfsheet.io.private_api), tested against the installed versions only.
PINNED = ("xlwings", "openpyxl", "xlsxwriter")


def _pins(own: Path) -> list[str]:
    """``name==version`` for each :data:`PINNED` dependency ``own`` (the wheel) requires."""
    from importlib.metadata import version

    wanted = {canonicalize_name(r.name) for r in wheel_requirements(own)}
    return [f"{name}=={version(name)}" for name in PINNED if canonicalize_name(name) in wanted]


def _without_marker(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def _manifest(folder: Path, version: str, pythons: Sequence[str]) -> dict[str, object]:
    import xlwings

    return {
        "perfsheet": version,
        "built_by": __version__,
        "xlwings": xlwings.__version__,
        "platform": PLATFORM,
        "pythons": list(pythons),
        "addin": {"file": ADDIN_NAME, "sha256": _sha256(folder / ADDIN_NAME)},
        "wheels": {p.name: _sha256(p) for p in sorted((folder / WHEELS_DIR).glob("*.whl"))},
    }


def _move_into_place(staging: Path, out: Path) -> None:
    try:
        if out.is_dir():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            try:
                staging.rename(out)
            except OSError:
                old.rename(out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except OSError as err:
        raise OutputError.from_os(out, err) from err
