"""The classic add-in: reproducible build, VBA read back by independent tools, install."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream
from typer.testing import CliRunner

from perfsheet.cli import app
from perfsheet.excel import addin
from perfsheet.excel.vba.project import decrypt

ROOT = Path(__file__).resolve().parents[1]
XLWINGS_DIR = addin.xlwings_dir()
ADDIN_CT = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
XLSM_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

# Every module of the add-in and its [MS-OVBA] kind.
EXPECTED_MODULES = {
    "ThisWorkbook": "document",
    "Sheet2": "document",  # code name of the template's _perfsheet.conf sheet
    "xlwings": "standard",
    "Dictionary": "class",
    "xlwings_udfs": "standard",
    "PerfsheetStrings": "standard",  # generated: the Chinese texts of the VBA side
    "PerfsheetFunctions": "standard",  # generated: the function wizard's help
    "PerfsheetChecks": "standard",
    "PerfsheetFolder": "standard",
    "PerfsheetRibbon": "standard",
    "PerfsheetText": "standard",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return addin.build_addin(tmp_path_factory.mktemp("build") / "perfsheet.xlam")


@pytest.fixture(scope="module")
def vba_bin(built: Path) -> bytes:
    with zipfile.ZipFile(built) as archive:
        return archive.read("xl/vbaProject.bin")


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    again = addin.build_addin(tmp_path)  # a folder: perfsheet.xlam inside it
    assert again == tmp_path / "perfsheet.xlam"
    # and once more in a fresh interpreter with another hash seed, through the CLI
    other = tmp_path / "other.xlam"
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=str(ROOT / "src"))
    subprocess.run(
        [sys.executable, "-m", "perfsheet", "addin", "build", "-o", str(other)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (built, again, other)]
    assert digest[0] == digest[1] == digest[2]


def test_package_parts(built: Path) -> None:
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "customUI/customUI.xml" not in names
        assert archive.read("customUI/customUI14.xml") == (ROOT / "addin/customUI.xml").read_bytes()
        rels = archive.read("_rels/.rels").decode()
        assert (
            'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"' in rels
        )
        assert 'Target="customUI/customUI14.xml"' in rels
        types = archive.read("[Content_Types].xml").decode()
        assert f'PartName="/xl/workbook.xml" ContentType="{ADDIN_CT}"' in types
        workbook = archive.read("xl/workbook.xml").decode()
        assert 'name="_perfsheet.conf"' in workbook and "absPath" not in workbook
        assert archive.testzip() is None


def test_perfsheet_is_the_only_author(built: Path) -> None:
    """The template's properties named the people who saved it; ours name perfsheet only."""
    with zipfile.ZipFile(built) as archive:
        core = archive.read("docProps/core.xml").decode()
        app = archive.read("docProps/app.xml").decode()
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert "<dc:creator>perfsheet</dc:creator>" in core
    assert "<cp:lastModifiedBy>perfsheet</cp:lastModifiedBy>" in core
    assert "<Company>perfsheet</Company>" in app
    for person in (b"felix", b"zumstein", b"myaddin"):
        assert person not in everything.lower()


def _sources() -> dict[str, str]:
    """The module texts as they must come back, built from the inputs independently."""
    bas = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_bytes().decode("cp1252")
    assert bas.count('Public Const PROJECT_NAME As String = "myaddin"') == 1
    cls = (XLWINGS_DIR / "addin" / "Dictionary.cls").read_bytes().decode("cp1252")
    cls_body = cls.split("\r\nEND\r\n", 1)[1]
    assert bas.startswith('Attribute VB_Name = "xlwings"\r\n')
    return {
        "xlwings": bas.replace(
            'PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "perfsheet"'
        ).replace("\r\n", "\r\nOption Private Module\r\n", 1),
        "Dictionary": cls_body,
        **{
            name: (ROOT / f"macros/{name}.bas").read_bytes().decode("cp1252")
            for name in ("PerfsheetChecks", "PerfsheetRibbon", "PerfsheetFolder", "PerfsheetText")
        },
    }


def test_every_module_reads_back_with_olevba(vba_bin: bytes) -> None:
    parser = VBA_Parser("vbaProject.bin", data=vba_bin)
    found = {}
    for _, stream_path, vba_filename, code in parser.extract_macros():
        name = stream_path.split("/")[-1]
        found[name] = code
        suffix = ".bas" if EXPECTED_MODULES[name] == "standard" else ".cls"
        assert vba_filename == name + suffix
    assert set(found) == set(EXPECTED_MODULES)
    modules = {m.name: m for m in addin.vba_modules()}
    for name, code in found.items():
        assert code == modules[name].code  # byte-for-byte what was stored
    sources = _sources()
    for name in (
        "xlwings",
        "PerfsheetChecks",
        "PerfsheetRibbon",
        "PerfsheetFolder",
        "PerfsheetText",
    ):
        assert found[name] == sources[name]
    # a class keeps its exported body, with the stored-only attributes added
    dictionary = found["Dictionary"]
    assert dictionary.startswith(
        'Attribute VB_Name = "Dictionary"\r\n'
        'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"\r\n'
    )
    stripped = re.sub(
        r"Attribute VB_(Base|TemplateDerived|Customizable) = [^\r]*\r\n", "", dictionary
    )
    assert stripped == sources["Dictionary"]
    for doc in ("ThisWorkbook", "Sheet2"):
        assert found[doc].startswith(f'Attribute VB_Name = "{doc}"\r\n')
    udfs = found["xlwings_udfs"]
    for line in (  # declared under their Excel names; Python looks up the Python name
        "Function PERF_PARSE(text, Optional field, Optional header)",
        "Function PERF_COUNT(text, Optional level1)",
        "Function PERF_TARGET(value_text, Optional header)",
        "Function PERF_CLEAN(text)",
        "Function PERF_ISSUES(text)",
        'PERF_PARSE = XLPy.CallUDF("perfsheet.excel.functions", "perf_parse", '
        "Array(text, field, header), ActiveWorkbook, Application.Caller)",
        "    PERF_PARSE = Err.Description",
    ):
        assert line in udfs
    assert not re.search(r"\bperf_\w+\b(?!\")", udfs)  # lower case only inside quotes
    assert "Workbook_Open" in found["ThisWorkbook"]


def _dir_records(data: bytes) -> list[tuple[int, bytes]]:
    records = []
    pos = 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x0009:  # PROJECTVERSION: Reserved=4, then 6 bytes
            size = 6
        records.append((rid, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


def test_project_streams(vba_bin: bytes, built: Path, tmp_path: Path) -> None:
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(vba_bin)
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
        project = ole.openstream("PROJECT").read().decode("cp1252")
        dir_data = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
        project_wm = ole.openstream("PROJECTwm").read()
    lines = project.split("\r\n")
    pid = lines[0].removeprefix('ID="').removesuffix('"')
    assert re.fullmatch(r"\{[0-9A-F-]{36}\}", pid)
    assert 'Name="perfsheet"' in lines
    assert "Class=Dictionary" in lines
    assert {"Module=xlwings", "Module=xlwings_udfs", "Module=PerfsheetRibbon"} <= set(lines)
    assert "Module=PerfsheetStrings" in lines and "Module=PerfsheetFunctions" in lines
    fields = dict(line.split("=", 1) for line in lines if line[:4] in ("CMG=", "DPB=", 'GC="'))
    assert decrypt(fields["CMG"].strip('"'), pid) == bytes(4)  # not protected
    assert decrypt(fields["DPB"].strip('"'), pid) == b"\x00"  # no password
    assert decrypt(fields["GC"].strip('"'), pid) == b"\xff"  # visible
    # document modules match the workbook's code names
    documents = {
        line.split("=", 1)[1].split("/")[0] for line in lines if line.startswith("Document=")
    }
    with zipfile.ZipFile(built) as archive:
        code_names = set(
            re.findall(r'codeName="([A-Za-z]\w*)"', archive.read("xl/workbook.xml").decode())
            + re.findall(r'codeName="(\w+)"', archive.read("xl/worksheets/sheet1.xml").decode())
        )
    assert documents == code_names == {"ThisWorkbook", "Sheet2"}
    # dir stream: references and one type record per module
    records = _dir_records(dir_data)
    assert (0x0004, b"perfsheet") in records
    libids = [data for rid, data in records if rid == 0x000D]
    assert any(b"{00020430-0000-0000-C000-000000000046}" in lib for lib in libids)  # stdole
    assert any(b"{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}" in lib for lib in libids)  # Office
    kinds = {}
    current = None
    for rid, data in records:
        if rid == 0x0019:
            current = data.decode("cp1252")
        elif rid in (0x0021, 0x0022):
            kinds[current] = rid
    assert kinds == {
        name: 0x0021 if kind == "standard" else 0x0022 for name, kind in EXPECTED_MODULES.items()
    }
    for name in EXPECTED_MODULES:
        assert name.encode() + b"\x00" + name.encode("utf-16-le") + b"\x00\x00" in project_wm


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.libreoffice
def test_libreoffice_loads_the_project_and_module_types(built: Path, tmp_path: Path) -> None:
    soffice = _soffice()
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is required under CI to check the VBA project")
        pytest.skip("LibreOffice (soffice) not installed")
    # LibreOffice does not open the add-in content type: relabel the workbook part as a
    # macro-enabled workbook, everything else unchanged.
    xlsm = tmp_path / "perfsheet_check.xlsm"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(ADDIN_CT.encode(), XLSM_CT.encode())
            dst.writestr(info.filename, data)
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path / "out"),
            str(xlsm),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    ods = tmp_path / "out" / "perfsheet_check.ods"
    assert ods.exists(), result.stderr
    types = {}
    with zipfile.ZipFile(ods) as archive:
        for name in archive.namelist():
            match = re.fullmatch(r"Basic/perfsheet/(\w+)\.xml", name)
            if match and match.group(1) != "script-lb":
                head = archive.read(name).decode("utf-8")[:600]
                types[match.group(1)] = re.search(r'script:moduleType="(\w+)"', head).group(1)
    lo_kind = {"standard": "normal", "class": "class", "document": "document"}
    assert types == {name: lo_kind[kind] for name, kind in EXPECTED_MODULES.items()}


def test_udf_generation_leaves_no_stubs_behind() -> None:
    before = set(sys.modules)
    text = addin.udf_module_source()
    assert text.startswith('Attribute VB_Name = "xlwings_udfs"\r\n')
    leaked = {"pythoncom", "pywintypes", "win32com", "win32com.client"} & (
        set(sys.modules) - before
    )
    assert not leaked
    import xlwings

    assert xlwings.func.__module__ == "xlwings"  # the no-op decorator is back (Linux)


def test_install_and_uninstall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # macOS scripts go under ~/Library
    target = tmp_path / "XLSTART"
    conf = tmp_path / "home" / ".perfsheet" / "perfsheet.conf"
    conf.parent.mkdir(parents=True)
    conf.write_bytes(b'"PYTHONPATH","D:\\work"\r\n')  # a user setting we must keep
    result = addin.install_addin(addin_dir=target, conf_path=conf, platform="win32")
    assert result.addin_path == target / "perfsheet.xlam"
    assert zipfile.ZipFile(result.addin_path).testzip() is None
    assert addin.read_conf(conf) == {
        "PYTHONPATH": "D:\\work",
        "Interpreter_Win": sys.executable,
        "UDF Modules": "perfsheet.excel.functions",
    }
    assert conf.read_bytes().endswith(b"\r\n")
    removed = addin.install_addin(
        uninstall=True, addin_dir=target, conf_path=conf, platform="win32"
    )
    assert removed.removed
    assert not (target / "perfsheet.xlam").exists()
    assert addin.read_conf(conf) == {"PYTHONPATH": "D:\\work"}
    # without other settings the file (and its folder) go away entirely
    addin.install_addin(addin_dir=target, conf_path=conf, platform="darwin")
    assert addin.read_conf(conf)["Interpreter_Mac"] == sys.executable
    scripts = tmp_path / "home" / "Library/Application Scripts/com.microsoft.Excel"
    picker = scripts / "perfsheet.applescript"  # the 批量转换 folder picker (AppleScriptTask)
    assert picker.read_bytes() == (ROOT / "addin" / "perfsheet.applescript").read_bytes()
    conf.write_bytes(conf.read_bytes().replace(b'"PYTHONPATH","D:\\work"\r\n', b""))
    addin.install_addin(uninstall=True, addin_dir=target, conf_path=conf, platform="darwin")
    assert not conf.exists() and not conf.parent.exists()
    assert not picker.exists()


def test_default_locations() -> None:
    assert addin.default_addin_dir("linux") is None
    assert addin.default_conf_path("linux") is None
    assert addin.default_addin_dir("win32").parts[-3:] == ("Microsoft", "Excel", "XLSTART")
    assert addin.default_conf_path("win32").parts[-2:] == (".perfsheet", "perfsheet.conf")
    assert addin.default_conf_path("darwin").parts[-3:] == (
        "com.microsoft.Excel",
        "Data",
        "perfsheet.conf",
    )


def test_cli_build_and_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    out = tmp_path / "dist" / "perfsheet.xlam"
    result = runner.invoke(app, ["addin", "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "已生成加载项" in result.output and out.exists()
    monkeypatch.setattr(sys, "platform", "linux")
    result = runner.invoke(app, ["addin", "install"])
    assert result.exit_code == 2
    assert "没有桌面版 Excel" in result.output and "--dir" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["addin", "install", "--dir", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "perfsheet.xlam").exists()
    assert addin.read_conf(tmp_path / "x" / "perfsheet.conf")["UDF Modules"]
    result = runner.invoke(app, ["addin", "install", "--uninstall", "--dir", str(tmp_path / "x")])
    assert result.exit_code == 0 and not (tmp_path / "x" / "perfsheet.xlam").exists()


# --------------------------------------------------------------------------- run our VBA

_UNO_SCRIPT = r"""
import json, subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue

soffice, profile, pipe, doc_path = sys.argv[1:5]
paths = json.loads(sys.argv[5])
proc = subprocess.Popen([soffice, "-env:UserInstallation=" + profile, "--headless", "--invisible",
                         "--norestore", "--accept=pipe,name=%s;urp;" % pipe],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.25)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    def prop(name, value):
        p = PropertyValue(); p.Name = name; p.Value = value; return p
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(doc_path), "_blank", 0,
                                       (prop("Hidden", True), prop("MacroExecutionMode", 4)))
    provider = doc.getScriptProvider()
    def script(name):
        return provider.getScript("vnd.sun.star.script:perfsheet.PerfsheetText.%s"
                                  "?language=Basic&location=document" % name)
    out = {"modules": list(doc.BasicLibraries.getByName("perfsheet").getElementNames()),
           "title": script("FolderPickerTitle").invoke((), (), ())[0],
           "hex": [script("Utf16Hex").invoke((p,), (), ())[0] for p in paths]}
    print(json.dumps(out))
    doc.close(True)
    desktop.terminate()
finally:
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
"""


def _uno_python() -> str | None:
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True)
            if probe.returncode == 0:
                return candidate
    return None


@pytest.mark.libreoffice
def test_libreoffice_runs_our_vba_text_helpers(built: Path, tmp_path: Path) -> None:
    """PerfsheetText compiled from our vbaProject.bin and executed by LibreOffice Basic
    (VBA mode): the folder encoding matches ribbon.decode_folder, the ChrW title is right.

    Only the platform-neutral module goes in: LibreOffice compiles a library as a whole
    and does not support the ``#If`` / ``Declare PtrSafe`` lines of xlwings' module.
    """
    from perfsheet.excel import ribbon
    from perfsheet.excel.vba import build_vba_project, document_module, module_from_bas
    from perfsheet.excel.vba.project import WORKBOOK_BASE, WORKSHEET_BASE

    soffice, python = _soffice(), _uno_python()
    if soffice is None or python is None:
        pytest.skip("needs LibreOffice with its Python bridge (python3-uno)")
    text = (ROOT / "macros/PerfsheetText.bas").read_bytes().decode("cp1252")
    vba = build_vba_project(
        "perfsheet",
        [
            document_module("ThisWorkbook", WORKBOOK_BASE),
            document_module("Sheet2", WORKSHEET_BASE),
            module_from_bas(text),
        ],
    )
    doc = tmp_path / "helpers.xlsm"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(doc, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(ADDIN_CT.encode(), XLSM_CT.encode())
            elif info.filename == "xl/vbaProject.bin":
                data = vba
            dst.writestr(info.filename, data)
    paths = ["A", "C:\\预算\\2025年 绩效", '/Users/张三/Documents/o\'k "x"', "D:\\𠀀\\表"]
    script = tmp_path / "run_vba.py"
    script.write_text(_UNO_SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [
            python,
            str(script),
            soffice,
            (tmp_path / "lo-profile").as_uri(),
            f"perfsheet{os.getpid()}",
            str(doc),
            json.dumps(paths),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "PerfsheetText" in out["modules"]
    assert out["title"] == "选择要批量转换的文件夹"
    for path, encoded in zip(paths, out["hex"], strict=True):
        assert re.fullmatch(r"(?:[0-9A-F]{4})+", encoded)
        assert ribbon.decode_folder(encoded) == path
