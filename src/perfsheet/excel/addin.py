"""Build ``perfsheet.xlam`` on any OS, reproducibly, and install it where Excel loads it.

Ingredients (nothing is copied into this repository; everything comes from the installed
xlwings wheel of the pinned version, or from our own ``addin/`` and ``macros/``):

* the xlwings custom-add-in template ``quickstart_addin_ribbon.xlam``: its non-VBA parts
  (workbook, the ``_perfsheet.conf`` settings sheet, styles, theme, properties);
* its VBA, rebuilt from source: the ``xlwings`` module (``xlwings_custom_addin.bas`` with
  ``PROJECT_NAME = "perfsheet"``), the ``Dictionary`` class it uses on macOS, and the
  document modules matching the template's code names;
* ``xlwings_udfs``: the wrappers xlwings' own generator
  (:func:`xlwings.udfs.generate_vba_wrapper`) writes for :mod:`perfsheet.excel.functions`,
  driven here without Excel, so ``=PERF_PARSE`` works right after installation;
* our ``macros/*.bas`` (the ribbon callback, the folder picker) and ``addin/customUI.xml``.

The ``vbaProject.bin`` is written by :mod:`perfsheet.excel.vba`. The zip has fixed
timestamps, attributes and member order, so two builds give the same bytes.

Installation copies the add-in to Excel's per-user startup folder (XLSTART, as
``xlwings addin install`` does) and writes the interpreter setting to the custom add-in's
user configuration file (``perfsheet.conf``), which xlwings' VBA reads (``GetConfig``).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import re
import shutil
import sys
import types
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from perfsheet.errors import OutputError, PerfsheetError, UsageError
from perfsheet.excel.vba import (
    Module,
    build_vba_project,
    document_module,
    module_from_bas,
    module_from_cls,
)
from perfsheet.excel.vba.project import WORKBOOK_BASE, WORKSHEET_BASE
from perfsheet.io.atomic import atomic_output

PROJECT_NAME = "perfsheet"
ADDIN_NAME = "perfsheet.xlam"
UDF_MODULE = "perfsheet.excel.functions"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
TEMPLATE_PROJECT = "myaddin"
CODEPAGE = "cp1252"

CUSTOMUI_PART = "customUI/customUI14.xml"
#: relationship type of the Office 2010+ (2009/07 namespace) ribbon part
CUSTOMUI14_RELTYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_PROJECT_CONST = re.compile(r'^(Public Const PROJECT_NAME As String = )"[^"]*"', re.MULTILINE)


class AddinError(PerfsheetError):
    """The add-in cannot be built or installed (exit code 2)."""


# --------------------------------------------------------------------------- inputs


def xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """``addin/`` or ``macros/``: the copy packaged in the wheel, else the repository's."""
    packaged = Path(__file__).resolve().parent / "_assets" / name
    if packaged.is_dir():
        return packaged
    repo = Path(__file__).resolve().parents[3] / name
    if repo.is_dir() and (repo.parent / "pyproject.toml").is_file():
        return repo
    raise AddinError(f"找不到加载项源文件夹 {name}/（安装包不完整）")


def _read_cp1252(path: Path) -> str:
    with path.open(encoding=CODEPAGE, newline="") as handle:
        return handle.read()


def xlwings_module() -> Module:
    """xlwings' custom-add-in VBA module, with the project name set to perfsheet."""
    source = _read_cp1252(xlwings_dir() / "xlwings_custom_addin.bas")
    text, count = _PROJECT_CONST.subn(rf'\1"{PROJECT_NAME}"', source)
    if count != 1:
        raise AddinError("xlwings_custom_addin.bas 中找不到 PROJECT_NAME 常量（xlwings 版本不符）")
    return module_from_bas(text)


def dictionary_class() -> Module:
    """The ``Dictionary`` class xlwings' VBA uses where Scripting.Dictionary is missing."""
    return module_from_cls(_read_cp1252(xlwings_dir() / "addin" / "Dictionary.cls"))


def own_modules() -> list[Module]:
    """Our VBA from ``macros/`` (``.bas`` standard modules, ``.cls`` classes), by file name."""
    folder = asset_dir("macros")
    modules: list[Module] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.suffix.lower() == ".bas":
            modules.append(module_from_bas(_read_cp1252(path)))
        elif path.suffix.lower() == ".cls":
            modules.append(module_from_cls(_read_cp1252(path)))
    return modules


# --------------------------------------------------------------------------- UDF wrappers


class _FakeWorkbook:
    """What ``generate_vba_wrapper`` reads from the workbook: its name (.xlam: add-in)."""

    def __init__(self, name: str) -> None:
        self.Name = name


def _stub_module(name: str, **attrs: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


@contextlib.contextmanager
def _classic_udfs() -> Iterator[types.ModuleType]:
    """Import ``xlwings.udfs`` (classic UDF decorators and wrapper generator) on any OS.

    Off Windows its pywin32 imports are stubbed for the duration; nothing that needs COM
    is called. Everything added to ``sys.modules`` here is removed again afterwards.
    """
    import xlwings

    class ComError(Exception):
        pass

    stubs = {
        "pythoncom": _stub_module(
            "pythoncom",
            CoInitialize=lambda: None,
            IID_IDispatch=None,
            CoMarshalInterThreadInterfaceInStream=None,
        ),
        "pywintypes": _stub_module("pywintypes", com_error=ComError),
        "win32com.client": _stub_module("win32com.client", Dispatch=None),
    }
    stubs["win32com"] = _stub_module("win32com", client=stubs["win32com.client"])
    added: list[str] = []
    for name, stub in stubs.items():
        if name in sys.modules:
            continue
        if importlib.util.find_spec(name.split(".")[0]) is None:
            sys.modules[name] = stub
            added.append(name)
    had_udfs = "xlwings.udfs" in sys.modules
    try:
        yield importlib.import_module("xlwings.udfs")
    finally:
        if not had_udfs:
            sys.modules.pop("xlwings.udfs", None)
            if "udfs" in vars(xlwings):
                delattr(xlwings, "udfs")
        for name in added:
            sys.modules.pop(name, None)


def udf_module_source(module_name: str = UDF_MODULE, workbook_name: str = ADDIN_NAME) -> str:
    """The ``xlwings_udfs`` VBA module for ``module_name``, as classic xlwings writes it."""
    import xlwings

    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.loader is None:
        raise AddinError(f"找不到函数模块 {module_name}")
    with _classic_udfs() as udfs:
        # Execute a private copy of the module with the classic decorators, exactly what
        # importing it on Windows does; the imported module itself is left untouched.
        saved = {name: getattr(xlwings, name) for name in ("func", "arg", "ret", "script")}
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        xlwings.script = udfs.xlsub
        try:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            for name, value in saved.items():
                setattr(xlwings, name, value)
        buffer = io.StringIO()
        udfs.generate_vba_wrapper(module_name, module, buffer, _FakeWorkbook(workbook_name))
    header = (
        'Attribute VB_Name = "xlwings_udfs"\n'
        f"'Generated by 'perfsheet addin build' from {module_name} with xlwings'\n"
        "'own wrapper generator (xlwings.udfs.generate_vba_wrapper). Do not edit.\n"
        '#Const App = "Microsoft Excel" \'Adjust when using outside of Excel\n'
    )
    return (header + buffer.getvalue()).replace("\r\n", "\n").replace("\n", "\r\n")


# --------------------------------------------------------------------------- template


@dataclass(frozen=True)
class _Template:
    parts: dict[str, bytes]
    workbook_code_name: str
    sheet_code_names: list[str]


_CODE_NAME = re.compile(rb'<(?:\w+:)?(?:sheetPr|workbookPr)\b[^>]*\bcodeName="([^"]+)"')


def _load_template() -> _Template:
    path = xlwings_dir() / TEMPLATE_NAME
    try:
        with zipfile.ZipFile(path) as archive:
            parts = {info.filename: archive.read(info) for info in archive.infolist()}
    except (OSError, zipfile.BadZipFile) as err:
        raise AddinError(f"无法读取 xlwings 加载项模板 {path}：{err}") from err
    workbook = parts["xl/workbook.xml"]
    match = _CODE_NAME.search(workbook)
    workbook_code = match.group(1).decode() if match else "ThisWorkbook"
    sheets = []
    for name in sorted(parts):
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            found = _CODE_NAME.search(parts[name])
            if not found:
                raise AddinError(f"模板工作表 {name} 没有代码名称（codeName）")
            sheets.append(found.group(1).decode())
    return _Template(parts, workbook_code, sheets)


def _own_properties(core: bytes, app: bytes) -> tuple[bytes, bytes]:
    """The template's document properties with perfsheet as author, last editor and company
    (the template names the people who saved it)."""
    for tag in (b"dc:creator", b"cp:lastModifiedBy"):
        core, count = re.subn(
            rb"<" + tag + rb"\s*/>|<" + tag + rb">[^<]*</" + tag + rb">",
            b"<" + tag + b">" + PROJECT_NAME.encode() + b"</" + tag + b">",
            core,
        )
        if count != 1:
            raise AddinError(f"xlwings 加载项模板的 docProps/core.xml 中找不到 {tag.decode()}")
    app, count = re.subn(
        rb"<Company\s*/>|<Company>[^<]*</Company>",
        b"<Company>" + PROJECT_NAME.encode() + b"</Company>",
        app,
    )
    if count != 1:
        raise AddinError("xlwings 加载项模板的 docProps/app.xml 中找不到 Company")
    return core, app


def _adapt_parts(template: _Template, custom_ui: bytes, vba: bytes) -> dict[str, bytes]:
    parts = dict(template.parts)
    parts.pop("xl/vbaProject.bin", None)
    for name in [n for n in parts if n.startswith("customUI/")]:
        del parts[name]
    workbook = parts["xl/workbook.xml"]
    workbook = workbook.replace(
        f'name="_{TEMPLATE_PROJECT}.conf"'.encode(), f'name="_{PROJECT_NAME}.conf"'.encode()
    )
    # The template remembers the folder it was saved in (x15ac:absPath): drop it.
    workbook = re.sub(
        rb"<mc:AlternateContent\b[^>]*>(?:(?!</mc:AlternateContent>).)*absPath"
        rb"(?:(?!</mc:AlternateContent>).)*</mc:AlternateContent>",
        b"",
        workbook,
        flags=re.DOTALL,
    )
    parts["xl/workbook.xml"] = workbook
    parts["docProps/core.xml"], parts["docProps/app.xml"] = _own_properties(
        parts["docProps/core.xml"], parts["docProps/app.xml"]
    )
    rels = parts["_rels/.rels"].decode("utf-8")
    rels, count = re.subn(
        r'<Relationship [^>]*Target="customUI/[^"]*"[^>]*/>',
        f'<Relationship Id="rIdPerfsheetUI" Type="{CUSTOMUI14_RELTYPE}" '
        f'Target="{CUSTOMUI_PART}" />',
        rels,
    )
    if count != 1:
        raise AddinError("xlwings 加载项模板的功能区关系与预期不符")
    parts["_rels/.rels"] = rels.encode("utf-8")
    parts[CUSTOMUI_PART] = custom_ui
    parts["xl/vbaProject.bin"] = vba
    return parts


def vba_modules(template: _Template | None = None) -> list[Module]:
    """Every module of the add-in's VBA project, in project order."""
    template = template or _load_template()
    modules = [document_module(template.workbook_code_name, WORKBOOK_BASE)]
    modules += [document_module(name, WORKSHEET_BASE) for name in template.sheet_code_names]
    modules += [xlwings_module(), dictionary_class(), module_from_bas(udf_module_source())]
    modules += own_modules()
    return modules


def _write_zip(parts: dict[str, bytes], path: Path) -> None:
    first = "[Content_Types].xml"
    order = [first, *sorted(name for name in parts if name != first)]
    with zipfile.ZipFile(path, "w") as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, parts[name], compresslevel=6)


def build_addin(out_path: Path | str | None = None) -> Path:
    """Write ``perfsheet.xlam`` (default: ``./perfsheet.xlam``) and return its path."""
    out = Path(out_path) if out_path is not None else Path(ADDIN_NAME)
    if out.is_dir():
        out = out / ADDIN_NAME
    template = _load_template()
    custom_ui = (asset_dir("addin") / "customUI.xml").read_bytes()
    vba = build_vba_project(PROJECT_NAME, vba_modules(template), codepage=CODEPAGE)
    parts = _adapt_parts(template, custom_ui, vba)
    try:
        with atomic_output(out, suffix=out.suffix) as tmp:  # OutputError on the way out
            _write_zip(parts, tmp)
    except OSError as err:
        raise OutputError.from_os(out, err) from err
    return out


# --------------------------------------------------------------------------- install


CONF_KEYS_WIN = "Interpreter_Win"
CONF_KEYS_MAC = "Interpreter_Mac"
CONF_UDF_MODULES = "UDF Modules"


def default_addin_dir(platform: str | None = None) -> Path | None:
    """Excel's per-user startup folder (XLSTART); None where there is no desktop Excel."""
    platform = platform or sys.platform
    home = Path.home()
    if platform.startswith("win"):
        appdata = os.environ.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if platform == "darwin":
        return (
            home
            / "Library/Group Containers/UBF8T346G9.Office/User Content.localized"
            / "Startup.localized/Excel"
        )
    return None


def default_conf_path(platform: str | None = None) -> Path | None:
    """The custom add-in's user configuration file, where xlwings' VBA looks for it."""
    platform = platform or sys.platform
    home = Path.home()
    if platform.startswith("win"):
        profile = os.environ.get("USERPROFILE") or str(home)
        return Path(profile) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"
    if platform == "darwin":
        return home / "Library/Containers/com.microsoft.Excel/Data" / f"{PROJECT_NAME}.conf"
    return None


def read_conf(path: Path) -> dict[str, str]:
    """Parse a conf file written by VBA's ``Write #`` (``"key","value"`` per line)."""
    entries: dict[str, str] = {}
    if not path.exists():
        return entries
    for line in path.read_text(encoding=CODEPAGE, errors="replace").splitlines():
        match = re.fullmatch(r'\s*"([^"]*)"\s*,\s*"([^"]*)"\s*', line)
        if match:
            entries[match.group(1)] = match.group(2)
    return entries


def write_conf(path: Path, entries: dict[str, str]) -> None:
    """Write entries the way VBA's ``Write #`` does, so ``Input #`` reads them back."""
    for key, value in entries.items():
        if '"' in key or '"' in value:
            raise AddinError(f"配置值不能包含双引号：{key}")
    data = "".join(f'"{key}","{value}"\r\n' for key, value in entries.items()).encode(
        CODEPAGE, errors="strict"
    )
    with atomic_output(path, suffix=path.suffix) as tmp:  # never a half-written file
        tmp.write_bytes(data)


@dataclass(frozen=True)
class InstallResult:
    addin_path: Path
    conf_path: Path
    removed: bool = False


def _our_settings(platform: str) -> dict[str, str]:
    key = CONF_KEYS_MAC if platform == "darwin" else CONF_KEYS_WIN
    return {key: sys.executable, CONF_UDF_MODULES: UDF_MODULE}


def install_addin(
    uninstall: bool = False,
    addin_dir: Path | str | None = None,
    conf_path: Path | str | None = None,
    platform: str | None = None,
) -> InstallResult:
    """Install (or with ``uninstall`` remove) ``perfsheet.xlam`` and its settings.

    ``addin_dir`` defaults to Excel's XLSTART folder and ``conf_path`` to the user
    configuration file of the custom add-in. Where Excel does not exist (Linux), an
    ``addin_dir`` is required and the configuration goes next to the add-in.
    """
    platform = platform or sys.platform
    target_dir = Path(addin_dir) if addin_dir is not None else default_addin_dir(platform)
    if target_dir is None:
        raise UsageError(
            "此系统上没有桌面版 Excel（仅支持 Windows 与 macOS）；"
            "如需测试安装，请用 --dir 指定目标文件夹。"
        )
    if conf_path is not None:
        conf = Path(conf_path)
    else:
        conf = default_conf_path(platform) or target_dir / f"{PROJECT_NAME}.conf"
    addin = target_dir / ADDIN_NAME
    ours = _our_settings(platform)
    try:
        if uninstall:
            if addin.exists():
                addin.unlink()
            entries = read_conf(conf)
            for key in (CONF_KEYS_WIN, CONF_KEYS_MAC, CONF_UDF_MODULES):
                entries.pop(key, None)
            if entries:
                write_conf(conf, entries)
            elif conf.exists():
                conf.unlink()
                with contextlib.suppress(OSError):
                    if conf.parent.name == f".{PROJECT_NAME}":
                        conf.parent.rmdir()  # only when empty
            return InstallResult(addin, conf, removed=True)
        if addin.is_dir():  # build_addin would write into it
            raise OutputError.folder_in_place(addin)
        build_addin(addin)
        entries = read_conf(conf)
        entries.update(ours)
        write_conf(conf, entries)
        if platform == "darwin":
            _install_runpython_applescript()
    except OSError as err:
        raise _install_error(err.filename or target_dir, err) from err
    except OutputError as err:
        if isinstance(err.__cause__, PermissionError) and err.path is not None:
            raise _install_error(err.path, err.__cause__) from err
        raise
    return InstallResult(addin, conf)


def _install_error(path: str | os.PathLike[str], err: OSError) -> OutputError:
    """An existing file that cannot be replaced or removed is most likely in use: Excel keeps
    an installed add-in open while it runs."""
    if isinstance(err, PermissionError) and os.path.isfile(path):
        return OutputError(
            f"无法写入 {os.fspath(path)}：文件正被 Excel 使用，或没有写入权限；请先退出 Excel 再试",
            path,
        )
    return OutputError.from_os(path, err)


def _install_runpython_applescript() -> None:
    """macOS: what ``xlwings runpython install`` does, so RunPython works from the ribbon."""
    import xlwings

    source = xlwings_dir() / f"xlwings-{xlwings.__version__}.applescript"
    target = Path.home() / "Library/Application Scripts/com.microsoft.Excel"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target / source.name)
