"""The add-in's VBA behaves: entry points with error handlers, checks before Python runs,
helpers hidden from Excel, the PERF_* functions under their Excel names with their help.

Static checks read every module of the built project; LibreOffice Basic (VBA mode, through
python3-uno) runs our modules, with ``RunPython`` and the folder picker stubbed, and shows
what the user would see.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from perfsheet.excel import addin, addin_vba, ribbon
from perfsheet.excel.vba import (
    Module,
    build_vba_project,
    document_module,
    module_from_bas,
    module_from_cls,
)
from perfsheet.excel.vba.project import WORKBOOK_BASE, WORKSHEET_BASE

ROOT = Path(__file__).resolve().parents[1]
ADDIN_CT = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
XLSM_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

#: the modules Excel calls into; every other standard module is Option Private Module
ENTRY_MODULES = {"PerfsheetRibbon", "xlwings_udfs"}
EXCEL_NAMES = {"PERF_PARSE", "PERF_COUNT", "PERF_TARGET", "PERF_CLEAN", "PERF_ISSUES", "PERF_FIELD"}

_PROC = re.compile(
    r"^(?P<scope>(?:Public|Private|Friend)\s+)?(?:Static\s+)?(?P<kind>Sub|Function)\s+"
    r"(?P<name>\w+)\s*\((?P<args>[^)]*)\)(?P<body>.*?)^End (?P=kind)\b",
    re.MULTILINE | re.DOTALL,
)


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return {module.name: module for module in addin.vba_modules()}


def _procedures(module: Module) -> list[re.Match[str]]:
    code = re.sub(r"(?m)^\s*'.*$", "", module.code)  # comment lines
    return list(_PROC.finditer(code))


def _option_private(module: Module) -> bool:
    return re.search(r"(?m)^Option Private Module\s*$", module.code) is not None


# --------------------------------------------------------------------------- static checks


def test_helper_modules_are_private_and_only_perf_functions_are_public(
    modules: dict[str, Module],
) -> None:
    for name, module in modules.items():
        if module.kind != "standard":
            continue
        assert _option_private(module) is (name not in ENTRY_MODULES), name
    # what Excel offers as worksheet functions: the public Functions of public modules
    public_functions = {
        match["name"]
        for name in ENTRY_MODULES
        for match in _procedures(modules[name])
        if match["kind"] == "Function" and (match["scope"] or "Public ").strip() == "Public"
    }
    assert public_functions == EXCEL_NAMES
    # the ribbon module holds Subs with arguments only: nothing for the macro list either
    for match in _procedures(modules["PerfsheetRibbon"]):
        assert match["kind"] == "Sub" and match["args"].strip(), match["name"]


def test_every_entry_point_has_an_error_handler(modules: dict[str, Module]) -> None:
    entry_points = []
    for name, module in modules.items():
        for match in _procedures(module):
            public = (match["scope"] or "Public ").strip() == "Public"
            if module.kind == "standard" and name in ENTRY_MODULES and public:
                entry_points.append((name, match))
            elif module.kind == "document" and re.match(r"(Workbook|Worksheet)_", match["name"]):
                entry_points.append((name, match))  # event procedures Excel calls
    names = {f"{module}.{match['name']}" for module, match in entry_points}
    assert {"PerfsheetRibbon.PerfsheetOnAction", "ThisWorkbook.Workbook_Open"} <= names
    assert {f"xlwings_udfs.{n}" for n in EXCEL_NAMES} <= names
    for module, match in entry_points:
        assert re.search(r"^\s*(?:If .* Then )?On Error GoTo \w+", match["body"], re.MULTILINE), (
            f"{module}.{match['name']} has no error handler"
        )
    # our entry points end in one Chinese message box (ShowFailure), never the debugger
    for module, match in entry_points:
        if module != "xlwings_udfs":  # a worksheet function shows its error in the cell
            assert re.search(r"^Failed:\s*\n\s*ShowFailure ", match["body"], re.MULTILINE)


def test_our_modules_show_messages_only_through_show_message(modules: dict[str, Module]) -> None:
    ours = [m for n, m in modules.items() if n.startswith("Perfsheet") or n == "ThisWorkbook"]
    for module in ours:
        for match in _procedures(module):
            if match["name"] != "ShowMessage":
                assert "MsgBox" not in match["body"], f"{module.name}.{match['name']}"
        assert "MacScript(" not in module.code, module.name  # deprecated in sandboxed Office


def test_every_text_key_used_exists(modules: dict[str, Module]) -> None:
    used = set()
    for module in modules.values():
        used |= set(re.findall(r'\b(?:UiText|Say)\("(\w+)"', module.code))
    assert used and used <= set(addin_vba.UI_TEXTS)
    assert set(addin_vba.UI_TEXTS) - used == set()  # no dead text either


def test_texts_are_spelled_in_utf16_and_decode_back() -> None:
    for text in (*addin_vba.UI_TEXTS.values(), "批量转换", "a\nb", "𠀀"):
        expression = addin_vba.vba_text(text)
        assert expression.isascii()
        hex_units = "".join(re.findall(r'"([0-9A-F]+)"', expression))
        assert bytes.fromhex(hex_units).decode("utf-16-be") == text.replace("\n", "\r\n")
    assert addin_vba.vba_text('say "hi"') == '"say ""hi"""'
    long = addin_vba.vba_text("绩" * 200)  # split over continued lines
    assert all(len(line) < 300 for line in long.split("\r\n"))


def test_modules_fit_vba_limits(modules: dict[str, Module]) -> None:
    for module in modules.values():
        module.code.encode("cp1252")  # the project's code page
        lines = module.code.split("\r\n")
        assert max(len(line) for line in lines) <= 1023, module.name
        continued = 0
        for line in lines:
            continued = continued + 1 if line.endswith(" _") else 0
            assert continued <= 24, module.name  # VBA's limit of line continuations


def test_labels_come_from_the_ribbon(modules: dict[str, Module]) -> None:
    code = modules["PerfsheetStrings"].code
    for tag, label in ribbon.LABELS.items():
        assert f'    Case "{tag}"\r\n        ActionLabel = {addin_vba.vba_text(label)}\r\n' in code


def test_function_help_is_registered_on_open(modules: dict[str, Module]) -> None:
    helps = {h.excel_name: h for h in addin.udf_help()}
    assert set(helps) == EXCEL_NAMES
    udfs = modules["xlwings_udfs"].code
    register = modules["PerfsheetFunctions"].code
    assert "Workbook_Open" in modules["ThisWorkbook"].code
    assert "RegisterPerfFunctions" in modules["ThisWorkbook"].code
    for name, help_ in helps.items():
        declared = re.search(rf"^Function {name}\(([^)]*)\)", udfs, re.MULTILINE)
        assert declared, name
        arguments = [a for a in declared.group(1).split(",") if a.strip()]
        assert len(help_.arguments) == len(arguments), name  # help for every argument
        for text in (help_.description, *help_.arguments):
            assert 0 < len(text) <= 255 and re.search(r"[\u4e00-\u9fff]", text), (name, text)
            assert "Positional argument" not in text  # xlwings' default when undocumented
            assert "\n" not in text
        described = addin_vba.vba_text(help_.description)
        assert f'    Describe "{name}", category, _\r\n        {described}' in register
    assert f"category = {addin_vba.vba_text('绩效指标')}" in register
    assert "ArgumentDescriptions:=arguments" in register


def test_mac_folder_picker_uses_the_shipped_applescript(modules: dict[str, Module]) -> None:
    code = modules["PerfsheetFolder"].code
    script_name = re.search(r'MAC_SCRIPT As String = "([^"]+)"', code).group(1)
    handler = re.search(r'AppleScriptTask\(MAC_SCRIPT, "(\w+)"', code).group(1)
    script = addin.asset_dir("addin") / script_name
    text = script.read_bytes().decode("ascii")  # AppleScript text files: ASCII is safe
    assert re.search(rf"^on {handler}\(\w+\)$", text, re.MULTILINE)
    assert re.search(rf"^end {handler}$", text, re.MULTILINE)
    assert "choose folder" in text and "-128" in text  # cancel gives "", not an error


# --------------------------------------------------------------------------- run in LibreOffice

_PROBE = """Attribute VB_Name = "PerfsheetProbe"
' Test double: the folder picker, and the state the tests read.
Option Explicit
Public Calls As String
Public FailWith As Long
Public Chosen As String

Public Function PickFolder() As String
    PickFolder = Chosen
End Function

Private Function Outcome() As String
    Outcome = MessageCount & "|" & LastMessage & "|" & Calls
    LastMessage = ""
    MessageCount = 0
    Calls = ""
End Function

Public Function Opened() As String
    Opened = Outcome()
End Function

Public Function RunAction(ByVal tag As String, ByVal protect As String, _
        ByVal failNumber As String, ByVal folder As String) As String
    FailWith = CLng(failNumber)
    Chosen = folder
    If protect = "sheet" Then ActiveSheet.Protect
    If protect = "book" Then ActiveWorkbook.Protect
    PerfsheetAction tag
    If protect = "sheet" Then ActiveSheet.Unprotect
    If protect = "book" Then ActiveWorkbook.Unprotect
    RunAction = Outcome()
End Function

Public Function ViaRibbon(ByVal tag As String) As String
    Dim control As New FakeControl
    control.Tag = tag
    PerfsheetOnAction control
    ViaRibbon = Outcome()
End Function

Public Function Problem(ByVal tag As String, ByVal book As String, ByVal sheet As String) As String
    Dim b As Object
    Dim s As Object
    If book = "active" Then Set b = ActiveWorkbook
    If sheet = "active" Then Set s = ActiveSheet
    If sheet = "workbook" Then Set s = ActiveWorkbook
    Problem = ActionProblem(tag, b, s)
End Function

Public Function Register() As String
    RegisterPerfFunctions
    Register = Outcome()
End Function

Public Function Failure() As String
    ShowFailure "check", 9, "Subscript out of range"
    Failure = Outcome()
End Function
"""

# RunPython as the ribbon calls it; raises like a failed xlwings DLL load when asked to
_XLWINGS_STUB = """Attribute VB_Name = "xlwings"
Option Explicit
Option Private Module
Public Function RunPython(PythonCommand As String)
    If FailWith <> 0 Then Err.Raise FailWith, "xlwings", "Could not load xlwings64-0.37.8.dll"
    Calls = Calls & PythonCommand & "~~"
End Function
"""

_FAKE_CONTROL = """VERSION 1.0 CLASS
BEGIN
  MultiUse = -1  'True
END
Attribute VB_Name = "FakeControl"
Attribute VB_GlobalNameSpace = False
Attribute VB_Creatable = False
Attribute VB_PredeclaredId = False
Attribute VB_Exposed = False
Option Explicit
Public Tag As String
"""

_RUNNER = r"""
import json, subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue

soffice, profile, pipe, doc_path, calls = sys.argv[1:6]
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
    out = []
    for module, name, args in json.loads(calls):
        url = "vnd.sun.star.script:perfsheet.%s.%s?language=Basic&location=document"
        try:
            out.append(provider.getScript(url % (module, name)).invoke(tuple(args), (), ())[0])
        except Exception as err:  # an error that escaped our handlers
            out.append("ESCAPED " + type(err).__name__ + ": " + str(err)[:300])
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


def _run_in_libreoffice(
    tmp_path: Path, vba_modules: list[Module], calls: list[tuple[str, str, list[str]]]
) -> list[str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    python = _uno_python()
    if soffice is None or python is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice with python3-uno is required under CI to run the VBA")
        pytest.skip("needs LibreOffice with its Python bridge (python3-uno)")
    built = addin.build_addin(tmp_path / "perfsheet.xlam")
    doc = tmp_path / "run.xlsm"  # LibreOffice opens no add-in: relabel it as a workbook
    vba = build_vba_project("perfsheet", vba_modules)
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(doc, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(ADDIN_CT.encode(), XLSM_CT.encode())
            elif info.filename == "xl/vbaProject.bin":
                data = vba
            dst.writestr(info.filename, data)
    script = tmp_path / "run_vba.py"
    script.write_text(_RUNNER, encoding="utf-8")
    result = subprocess.run(
        [
            python,
            str(script),
            soffice,
            (tmp_path / "lo-profile").as_uri(),
            f"perfsheetvba{os.getpid()}",
            str(doc),
            json.dumps(calls),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _outcome(text: str) -> tuple[int, str, list[str]]:
    count, message, calls = text.split("|", 2)
    return int(count), message, [c for c in calls.split("~~") if c]


@pytest.mark.libreoffice
def test_libreoffice_runs_the_entry_points_and_their_handlers(tmp_path: Path) -> None:
    """Our modules as built (ThisWorkbook with Workbook_Open, the generated texts and function
    help, the checks, the ribbon entry points), compiled and run by LibreOffice Basic.

    LibreOffice always has the document as its active workbook, so "no workbook open"
    is checked on ActionProblem with Nothing, the value Excel's ActiveWorkbook has then.
    """
    built = {module.name: module for module in addin.vba_modules()}
    ours = ["PerfsheetStrings", "PerfsheetFunctions", "PerfsheetChecks", "PerfsheetRibbon"]
    project = [
        built["ThisWorkbook"],
        document_module("Sheet2", WORKSHEET_BASE),
        *(built[name] for name in ours),
        built["PerfsheetText"],
        module_from_bas(_XLWINGS_STUB),
        module_from_bas(_PROBE),
        module_from_cls(_FAKE_CONTROL),
    ]
    assert project[0].code == built["ThisWorkbook"].code and WORKBOOK_BASE in project[0].code
    cases: list[tuple[str, str, list[str]]] = [
        ("PerfsheetProbe", "Opened", []),  # Workbook_Open ran at load
        ("PerfsheetProbe", "RunAction", ["parse", "", "0", ""]),
        ("PerfsheetProbe", "RunAction", ["parse", "sheet", "0", ""]),
        ("PerfsheetProbe", "RunAction", ["check", "book", "0", ""]),
        ("PerfsheetProbe", "RunAction", ["parse", "book", "0", ""]),
        ("PerfsheetProbe", "RunAction", ["summary", "", "1004", ""]),
        ("PerfsheetProbe", "RunAction", ["convert:folder", "sheet", "0", "C:\\预算\\2025 (终)"]),
        ("PerfsheetProbe", "RunAction", ["convert:folder", "", "0", ""]),
        ("PerfsheetProbe", "ViaRibbon", ["check"]),
        ("PerfsheetProbe", "Problem", ["parse", "", ""]),
        ("PerfsheetProbe", "Problem", ["convert:folder", "", ""]),
        ("PerfsheetProbe", "Problem", ["summary", "active", "workbook"]),
        ("PerfsheetProbe", "Problem", ["summary", "active", ""]),
        ("PerfsheetProbe", "Problem", ["summary", "active", "active"]),
        ("PerfsheetProbe", "Register", []),
        ("PerfsheetProbe", "Failure", []),
        # 导出模板 writes a file next to the workbook: the sheet and the book's protection
        # and a chart as the active sheet do not stop it; no workbook still does
        ("PerfsheetProbe", "RunAction", ["template", "sheet", "0", ""]),
        ("PerfsheetProbe", "RunAction", ["template", "book", "0", ""]),
        ("PerfsheetProbe", "Problem", ["template", "active", "workbook"]),
        ("PerfsheetProbe", "Problem", ["template", "", ""]),
    ]
    out = dict(zip(range(len(cases)), _run_in_libreoffice(tmp_path, project, cases), strict=True))
    assert not [o for o in out.values() if o.startswith("ESCAPED")], out
    command = "import perfsheet.excel.ribbon as r; r.run('{}')"
    assert _outcome(out[0]) == (0, "", [])  # registering the functions' help: silent
    # all is well: Python runs, no message
    assert _outcome(out[1]) == (0, "", [command.format("parse")])
    # protected sheet: one message naming the sheet and the way out, Python does not run
    count, message, calls = _outcome(out[2])
    assert (count, calls) == (1, [])
    assert message == (
        "工作表“_perfsheet.conf”受保护，“解析指标”无法写入结果。"
        "请先撤销保护（审阅 → 撤销工作表保护），再点击“解析指标”。"
    )
    # protected workbook structure stops the actions that add sheets, not 解析指标
    count, message, calls = _outcome(out[3])
    assert (count, calls) == (1, []) and message.startswith("工作簿的结构受保护，“校验合计”")
    assert _outcome(out[4]) == (0, "", [command.format("parse")])
    # an error inside RunPython (xlwings' DLL missing): one Chinese message, not the debugger
    count, message, calls = _outcome(out[5])
    assert (count, calls) == (1, [])
    failed = "“生成汇总”未能完成：Could not load xlwings64-0.37.8.dll（错误 1004）"
    assert message.startswith(failed)
    assert "perfsheet addin install" in message
    # a folder action ignores the sheet's protection and hands the folder over as UTF-16 hex
    count, message, calls = _outcome(out[6])
    assert (count, message) == (0, "")
    hex_folder = re.fullmatch(r"import .*r\.run\('convert:folder', folder_hex='(\w+)'\)", calls[0])
    assert ribbon.decode_folder(hex_folder.group(1)) == "C:\\预算\\2025 (终)"
    assert _outcome(out[7]) == (0, "", [])  # the user cancelled the picker: nothing happens
    assert _outcome(out[8]) == (0, "", [command.format("check")])  # the ribbon callback
    # no workbook open: the message for it, also for a folder action (RunPython needs one)
    assert out[9] == (
        "没有可用的工作簿。请先打开绩效目标表所在的工作簿（窗口上方若显示“受保护的视图”，"
        "请先点击“启用编辑”），再点击“解析指标”。"
    )
    assert out[10].startswith("没有可用的工作簿。") and out[10].endswith("再点击“批量转换”。")
    not_a_worksheet = "当前选中的不是工作表（可能是图表）。请切换到绩效目标表所在的工作表，"
    assert out[11] == out[12] == not_a_worksheet + "再点击“生成汇总”。"
    assert out[13] == ""
    assert _outcome(out[14]) == (0, "", [])  # no MacroOptions here: handled, silent
    count, message, calls = _outcome(out[15])
    assert count == 1 and message.startswith("“校验合计”未能完成：Subscript out of range（错误 9）")
    assert _outcome(out[16]) == _outcome(out[17]) == (0, "", [command.format("template")])
    assert out[18] == ""
    assert out[19].startswith("没有可用的工作簿。") and out[19].endswith("再点击“导出模板”。")
