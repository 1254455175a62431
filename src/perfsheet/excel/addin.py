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

import codecs
import contextlib
import importlib
import importlib.util
import io
import locale
import os
import re
import sys
import tempfile
import types
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfsheet.errors import OutputError, PerfsheetError, UsageError
from perfsheet.excel.addin_vba import (
    THIS_WORKBOOK_CODE,
    FunctionHelp,
    functions_module,
    one_line,
    strings_module,
    with_option_private,
)
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
    """xlwings' custom-add-in VBA module, with the project name set to perfsheet and
    ``Option Private Module`` (its helpers are no worksheet functions of ours)."""
    source = _read_cp1252(xlwings_dir() / "xlwings_custom_addin.bas")
    text, count = _PROJECT_CONST.subn(rf'\1"{PROJECT_NAME}"', source)
    if count != 1:
        raise AddinError("xlwings_custom_addin.bas 中找不到 PROJECT_NAME 常量（xlwings 版本不符）")
    return with_option_private(module_from_bas(text))


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


def _classic_copy(module_name: str, udfs: types.ModuleType) -> types.ModuleType:
    """A private copy of ``module_name`` executed with the classic decorators, exactly what
    importing it on Windows does; the imported module itself is left untouched. Each
    function's ``__xlfunc__`` also keeps the Excel name given to ``@func(name=...)``, which
    only xlwings Lite / Server read (default: the Python name in upper case)."""
    import xlwings

    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.loader is None:
        raise AddinError(f"找不到函数模块 {module_name}")

    def func(f: Any = None, **kwargs: Any) -> Any:
        def inner(g: Any) -> Any:
            g = udfs.xlfunc(**kwargs)(g)
            g.__xlfunc__["excel_name"] = kwargs.get("name") or g.__name__.upper()
            return g

        return inner if f is None else inner(f)

    saved = {name: getattr(xlwings, name) for name in ("func", "arg", "ret", "script")}
    xlwings.func, xlwings.arg, xlwings.ret = func, udfs.xlarg, udfs.xlret
    xlwings.script = udfs.xlsub
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name, value in saved.items():
            setattr(xlwings, name, value)
    return module


def _xlfuncs(module: types.ModuleType) -> list[dict[str, Any]]:
    """The classic UDF records of ``module``, in the generator's order (``dir``)."""
    found = (getattr(module, attr) for attr in dir(module))
    return [f.__xlfunc__ for f in found if hasattr(f, "__xlfunc__")]


def _excel_names(vba: str, xlfuncs: list[dict[str, Any]]) -> str:
    """The wrappers declared under their Excel names (``Function PERF_PARSE(``); the
    Python name stays in ``XLPy.CallUDF``'s arguments, which look the function up."""
    for xlfunc in xlfuncs:
        python, excel = xlfunc["name"], xlfunc.get("excel_name") or xlfunc["name"]
        declared = rf"^(\s*(?:End )?(?:Function|Sub) ){re.escape(python)}\b"
        vba, count = re.subn(declared, rf"\g<1>{excel}", vba, count=1, flags=re.MULTILINE)
        if count != 1:
            raise AddinError(f"xlwings 生成的包装代码中找不到函数 {python}")
        vba = re.sub(
            rf"^(\s*){re.escape(python)}( = )", rf"\g<1>{excel}\2", vba, flags=re.MULTILINE
        )
    return vba


def udf_module_source(module_name: str = UDF_MODULE, workbook_name: str = ADDIN_NAME) -> str:
    """The ``xlwings_udfs`` VBA module for ``module_name``, as classic xlwings writes it,
    with the functions declared under their Excel names (``PERF_PARSE``)."""
    with _classic_udfs() as udfs:
        module = _classic_copy(module_name, udfs)
        buffer = io.StringIO()
        udfs.generate_vba_wrapper(module_name, module, buffer, _FakeWorkbook(workbook_name))
    header = (
        'Attribute VB_Name = "xlwings_udfs"\n'
        f"'Generated by 'perfsheet addin build' from {module_name} with xlwings'\n"
        "'own wrapper generator (xlwings.udfs.generate_vba_wrapper). Do not edit.\n"
        '#Const App = "Microsoft Excel" \'Adjust when using outside of Excel\n'
    )
    text = _excel_names(buffer.getvalue(), _xlfuncs(module))
    return (header + text).replace("\r\n", "\n").replace("\n", "\r\n")


def udf_help(module_name: str = UDF_MODULE) -> list[FunctionHelp]:
    """What the function wizard shows for each function: its docstring and argument docs."""
    with _classic_udfs() as udfs:
        module = _classic_copy(module_name, udfs)
    return [
        FunctionHelp(
            xlfunc["excel_name"],
            one_line(xlfunc["ret"]["doc"]),
            tuple(one_line(arg["doc"]) for arg in xlfunc["args"] if not arg["vba"]),
        )
        for xlfunc in _xlfuncs(module)
    ]


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
    modules = [document_module(template.workbook_code_name, WORKBOOK_BASE, THIS_WORKBOOK_CODE)]
    modules += [document_module(name, WORKSHEET_BASE) for name in template.sheet_code_names]
    modules += [xlwings_module(), dictionary_class(), module_from_bas(udf_module_source())]
    modules += [strings_module(), functions_module(udf_help())]
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


def ansi_codepage() -> str:
    """This system's Windows ANSI code page as a Python codec name (``cp936`` on Chinese
    Windows, ``cp1252`` on Western, ``utf-8`` with Windows' "Beta: UTF-8" option).

    ``locale.getencoding()`` is what ``open()`` uses without an encoding — which is how
    xlwings writes and reads its own ``xlwings.conf`` — except that Python's UTF-8 mode does
    not change it. Off Windows it is the locale's encoding (tests pass a code page).
    """
    return codecs.lookup(locale.getencoding()).name


def conf_encoding(platform: str | None = None) -> str:
    """The encoding of ``perfsheet.conf``: the one xlwings' VBA reads it in.

    The VBA reads the file with ``Open … For Input`` / ``Input #``, which decode in the
    ANSI code page on Windows; xlwings' Python side writes its own config with ``open(path,
    "w")``, the same code page there and UTF-8 on macOS.
    """
    platform = platform or sys.platform
    return ansi_codepage() if platform.startswith("win") else "utf-8"


_CONF_LINE = re.compile(r'\s*"([^"]*)"\s*,\s*"([^"]*)"\s*')


def _decode_conf(path: Path, data: bytes, encoding: str) -> str:
    """A conf file's text, as the VBA reads it: in ``encoding``, like the files xlwings, its
    VBA and perfsheet write. A file saved by a text editor as UTF-8 with a byte-order mark, or
    one that is not valid in ``encoding`` but is valid UTF-8, is read as UTF-8, so that
    rewriting it repairs it for the VBA. (UTF-8 without a mark that is also valid in the code
    page cannot be told apart: GBK bytes as short as 预 are valid UTF-8, and the converse.)"""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    for candidate in (encoding, "utf-8"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise AddinError(
        f"无法读取设置文件 {path}：它既不是 {encoding} 也不是 UTF-8 编码；"
        "请删除该文件（或把其中的设置另存为 ANSI 编码）后重试"
    )


def read_conf(path: Path, encoding: str | None = None) -> dict[str, str]:
    """Parse a conf file written by VBA's ``Write #`` (``"key","value"`` per line).

    ``encoding`` defaults to this system's :func:`conf_encoding`.
    """
    entries: dict[str, str] = {}
    if not path.exists():
        return entries
    text = _decode_conf(path, path.read_bytes(), encoding or conf_encoding())
    for line in text.splitlines():
        match = _CONF_LINE.fullmatch(line)
        if match:
            entries[match.group(1)] = match.group(2)
    return entries


def encode_conf(entries: dict[str, str], encoding: str, path: Path | None = None) -> bytes:
    """The bytes VBA's ``Write #`` would write for ``entries`` (``"key","value"`` CRLF) in
    ``encoding``. A value the code page cannot hold is an :class:`AddinError` saying so."""
    for key, value in entries.items():
        if '"' in key or '"' in value:
            raise AddinError(f"配置值不能包含双引号：{key}")
        unencodable = _unencodable(f"{key}{value}", encoding)
        if unencodable:
            where = f"设置文件 {path} 中" if path is not None else "设置"
            raise AddinError(
                f"{where}“{key}”的值 {value} 含有系统代码页 {encoding} 无法表示的字符"
                f"“{unencodable}”，Excel 加载项读不到它：{_codepage_advice(encoding)}"
            )
    return "".join(f'"{key}","{value}"\r\n' for key, value in entries.items()).encode(encoding)


def write_conf(path: Path, entries: dict[str, str], encoding: str | None = None) -> None:
    """Write entries the way VBA's ``Write #`` does, so ``Input #`` reads them back."""
    data = encode_conf(entries, encoding or conf_encoding(), path)
    with atomic_output(path, suffix=path.suffix) as tmp:  # never a half-written file
        tmp.write_bytes(data)


def _unencodable(text: str, encoding: str) -> str:
    """The characters of ``text`` that ``encoding`` cannot represent (in order, once)."""
    bad: list[str] = []
    for char in text:
        try:
            ok = char.encode(encoding).decode(encoding) == char
        except UnicodeError:
            ok = False
        if not ok and char not in bad:
            bad.append(char)
    return "".join(bad)


def _codepage_advice(encoding: str) -> str:
    return (
        "请把 Python 装到路径只含英文字母和数字的文件夹（例如 D:\\Python312，离线安装包："
        "安装.bat D:\\perfsheet）后重新安装；若是 Windows 用户名含这些字符，请在 控制面板 → 区域 → "
        "管理 → 更改系统区域设置 中选择能表示它们的语言（如 中文(简体，中国)），重启电脑后重新安装"
        f"（当前代码页 {encoding}）"
    )


def _check_windows_paths(interpreter: str, conf: Path, encoding: str) -> None:
    """xlwings' VBA hands the interpreter path to ``LoadLibraryA`` and finds the conf file
    through ``Environ("USERPROFILE")``: both pass through the ANSI code page."""
    for what, path in (("Python 的路径", interpreter), ("设置文件的路径", str(conf))):
        bad = _unencodable(path, encoding)
        if bad:
            raise AddinError(
                f"{what} {path} 含有系统代码页 {encoding} 无法表示的字符“{bad}”，"
                f"Excel 加载项无法使用它：{_codepage_advice(encoding)}"
            )


def _check_windows_python(python: str) -> None:
    """On Windows itself: refuse the Microsoft Store Python (its writes to %APPDATA% go to a
    private copy Excel never sees) and a Python whose xlwings DLL Excel would not find."""
    import xlwings

    places = f"{sys.base_prefix}|{sys.prefix}|{python}".lower()
    if "\\windowsapps\\" in places or "pythonsoftwarefoundation.python." in places:
        raise AddinError(
            "当前的 Python 来自 Microsoft Store：它写入的设置 Excel 看不到；"
            "请从 python.org 安装 Python 3.11–3.13（64 位）后重新安装"
        )
    name = f"xlwings64-{xlwings.__version__}.dll"
    folders = [Path(python).parent, Path(python).parent.parent]
    if not any((folder / name).is_file() for folder in folders):
        raise AddinError(
            f"找不到 {name}（Excel 在 {folders[0]} 或 {folders[1]} 中找它），"
            "xlwings 可能被装到了用户目录（pip --user）：请用离线安装包的 安装.bat 安装，"
            "或在有写入权限的 Python（或虚拟环境）中重新安装 perfsheet 后再运行本命令"
        )


@dataclass(frozen=True)
class InstallResult:
    addin_path: Path
    conf_path: Path
    removed: bool = False
    interpreter: str = ""


def _our_settings(platform: str) -> dict[str, str]:
    key = CONF_KEYS_MAC if platform == "darwin" else CONF_KEYS_WIN
    return {key: sys.executable, CONF_UDF_MODULES: UDF_MODULE}


def install_addin(
    uninstall: bool = False,
    addin_dir: Path | str | None = None,
    conf_path: Path | str | None = None,
    platform: str | None = None,
    encoding: str | None = None,
) -> InstallResult:
    """Install (or with ``uninstall`` remove) ``perfsheet.xlam`` and its settings.

    ``addin_dir`` defaults to Excel's XLSTART folder and ``conf_path`` to the user
    configuration file of the custom add-in. Where Excel does not exist (Linux), an
    ``addin_dir`` is required and the configuration goes next to the add-in. ``encoding``
    (the conf file's) defaults to :func:`conf_encoding` of ``platform``.

    Installing is all-or-nothing: everything that can fail without side effects (paths the
    code page cannot hold, building the add-in) is done first; then the configuration is
    written and read back, and the add-in is copied last. If a step fails, what was done is
    undone and an :class:`~perfsheet.errors.OutputError` (one Chinese line) says why.
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
    encoding = encoding or conf_encoding(platform)
    if uninstall:
        return _uninstall(addin, conf, encoding)
    ours = _our_settings(platform)
    if platform.startswith("win"):
        _check_windows_paths(ours[CONF_KEYS_WIN], conf, encoding)
        if os.name == "nt":  # on Windows itself (not a test simulating it)
            _check_windows_python(ours[CONF_KEYS_WIN])
    entries = read_conf(conf, encoding)
    entries.update(ours)
    data = encode_conf(entries, encoding, conf)
    with tempfile.TemporaryDirectory(prefix="perfsheet-install-") as staging:
        staged = build_addin(Path(staging) / "staged.xlam").read_bytes()
        undo: list[_Undo] = []
        try:
            undo.append(_put_file(conf, data))
            if read_conf(conf, encoding) != entries or conf.read_bytes() != data:
                raise AddinError(f"写入 {conf} 后读回的设置与写入的不一致；请检查磁盘后重试")
            if platform == "darwin":
                undo.append(_install_runpython_applescript())
                undo.append(_install_picker_applescript())
            undo.append(_put_file(addin, staged))  # last: only now does Excel see anything
        except (OSError, PerfsheetError) as err:
            failed = _rollback(undo)
            raise _install_failure(err, addin, failed) from err
    return InstallResult(addin, conf, interpreter=sys.executable)


def _uninstall(addin: Path, conf: Path, encoding: str) -> InstallResult:
    """Remove the add-in first (Excel holding it open stops everything), then our settings;
    the user's own settings in the file stay."""
    try:
        if addin.is_file():
            addin.unlink()
        picker = Path.home() / MAC_SCRIPTS / "perfsheet.applescript"
        if picker.is_file():  # installed on macOS only; xlwings' own script is xlwings'
            picker.unlink()
        entries = read_conf(conf, encoding)
        for key in (CONF_KEYS_WIN, CONF_KEYS_MAC, CONF_UDF_MODULES):
            entries.pop(key, None)
        if entries:
            write_conf(conf, entries, encoding)
        elif conf.exists():
            conf.unlink()
            with contextlib.suppress(OSError):
                if conf.parent.name == f".{PROJECT_NAME}":
                    conf.parent.rmdir()  # only when empty
    except OSError as err:
        raise _install_error(err.filename or addin, err) from err
    except OutputError as err:
        if isinstance(err.__cause__, PermissionError) and err.path is not None:
            raise _install_error(err.path, err.__cause__) from err
        raise
    return InstallResult(addin, conf, removed=True)


_Undo = Callable[[], None]


def _put_file(path: Path, data: bytes) -> _Undo:
    """Write ``data`` to ``path`` atomically; return what puts things back as they were (the
    old bytes, or no file and none of the folders created for it)."""
    old = path.read_bytes() if path.is_file() else None
    created = [p for p in (path.parent, *path.parent.parents) if not os.path.lexists(p)]

    def remove_created() -> None:
        for folder in created:  # deepest first; only folders left empty
            with contextlib.suppress(OSError):
                folder.rmdir()

    try:
        with atomic_output(path, suffix=path.suffix) as tmp:
            tmp.write_bytes(data)
    except BaseException:
        remove_created()
        raise

    def undo() -> None:
        if old is not None:
            with atomic_output(path, suffix=path.suffix) as tmp:
                tmp.write_bytes(old)
        else:
            path.unlink(missing_ok=True)
            remove_created()

    return undo


def _rollback(undo: list[_Undo]) -> list[str]:
    """Run the undo steps, last first; the paths that could not be put back."""
    failed: list[str] = []
    for step in reversed(undo):
        try:
            step()
        except (OSError, PerfsheetError) as err:
            failed.append(str(getattr(err, "path", None) or getattr(err, "filename", "") or err))
    return failed


def _install_failure(err: Exception, addin: Path, failed: list[str]) -> OutputError:
    """One Chinese line: that nothing was installed, and why."""
    if isinstance(err, OSError):
        err = _install_error(err.filename or addin, err)
    elif isinstance(err, OutputError) and err.path is not None:
        cause = err.__cause__
        if os.path.isdir(err.path) and Path(err.path).name == ADDIN_NAME:
            err = OutputError.folder_in_place(err.path)
        elif isinstance(cause, PermissionError):
            err = _install_error(err.path, cause)
    path = getattr(err, "path", None)
    if failed:
        return OutputError(
            f"安装未完成：{err}；撤销时未能恢复 {'、'.join(failed)}，请手动检查这些文件", path
        )
    return OutputError(f"安装未完成，已撤销全部更改：{err}", path)


def _install_error(path: str | os.PathLike[str], err: OSError) -> OutputError:
    """An existing file that cannot be replaced or removed is most likely in use: Excel keeps
    an installed add-in open while it runs."""
    if isinstance(err, PermissionError) and os.path.isfile(path):
        return OutputError(
            f"无法写入 {os.fspath(path)}：文件正被 Excel 使用，或没有写入权限；请先退出 Excel 再试",
            path,
        )
    return OutputError.from_os(path, err)


#: Where sandboxed Excel for Mac runs AppleScripts from (AppleScriptTask).
MAC_SCRIPTS = Path("Library/Application Scripts/com.microsoft.Excel")


def _install_picker_applescript() -> _Undo:
    """macOS: our folder picker for 批量转换 (AppleScriptTask; MacScript is gone)."""
    source = asset_dir("addin") / "perfsheet.applescript"
    return _put_file(Path.home() / MAC_SCRIPTS / source.name, source.read_bytes())


def _install_runpython_applescript() -> _Undo:
    """macOS: what ``xlwings runpython install`` does, so RunPython works from the ribbon."""
    import xlwings

    source = xlwings_dir() / f"xlwings-{xlwings.__version__}.applescript"
    target = Path.home() / MAC_SCRIPTS / source.name
    return _put_file(target, source.read_bytes())
