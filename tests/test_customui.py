"""addin/customUI.xml: valid against the Office customUI14 schema, and wired to our VBA."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from perfsheet.excel import ribbon

ROOT = Path(__file__).resolve().parents[1]
CUSTOM_UI = ROOT / "addin" / "customUI.xml"
MACROS = ROOT / "macros"
XSD = Path(__file__).resolve().parent / "data" / "customUI14.xsd"
NS = {"ui": "http://schemas.microsoft.com/office/2009/07/customui"}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture(scope="module")
def buttons() -> list[ET.Element]:
    tree = ET.parse(CUSTOM_UI)
    return tree.getroot().findall(".//ui:button", NS)


def test_custom_ui_is_valid_against_the_official_schema(schema: xmlschema.XMLSchema) -> None:
    schema.validate(str(CUSTOM_UI))  # raises XMLSchemaValidationError with the reason


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('size="large"', 'size="huge"'),  # not in ST_Size
        ('id="perfsheetCheck"', 'id="perfsheetParse"'),  # duplicate xsd:ID
        ("group>", "grupo>"),  # unknown element (closing tag; the opening one below)
        ('keytip="JX"', 'keytip="JXYZ"'),  # ST_Keytip: 1-3 characters
        ('onAction="PerfsheetOnAction"', 'onAction=""'),  # ST_Delegate: min length 1
    ],
)
def test_schema_rejects_broken_variants(schema: xmlschema.XMLSchema, old: str, new: str) -> None:
    text = CUSTOM_UI.read_text(encoding="utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    if old == "group>":
        broken = broken.replace("<group ", "<grupo ")
    assert not schema.is_valid(broken)


def test_tab_and_five_large_buttons(buttons: list[ET.Element]) -> None:
    tab = ET.parse(CUSTOM_UI).getroot().find(".//ui:tab", NS)
    assert tab is not None and tab.get("label") == "绩效指标"
    labels = [b.get("label") for b in buttons]
    assert labels == ["解析指标", "校验合计", "生成汇总", "批量转换", "导出模板"]
    for button in buttons:
        assert button.get("size") == "large"
        assert button.get("imageMso")
        assert button.get("screentip") == button.get("label")
        supertip = button.get("supertip") or ""
        assert re.search(r"[\u4e00-\u9fff]", supertip) and len(supertip) > 20


def test_every_button_uses_the_one_callback_and_a_known_tag(buttons: list[ET.Element]) -> None:
    assert {b.get("onAction") for b in buttons} == {"PerfsheetOnAction"}
    actions = [(b.get("tag") or "").split(":", 1)[0] for b in buttons]
    assert sorted(actions) == sorted(ribbon.ACTIONS)
    for button in buttons:
        action = (button.get("tag") or "").split(":", 1)[0]
        assert ribbon.LABELS[action] == button.get("label")
    assert [b.get("tag") for b in buttons if b.get("label") == "批量转换"] == ["convert:folder"]
    assert [b.get("tag") for b in buttons if b.get("label") == "导出模板"] == ["template"]


def _macro_sources() -> dict[str, str]:
    return {p.stem: p.read_bytes().decode("cp1252") for p in sorted(MACROS.glob("*.bas"))}


def test_macros_are_cp1252_crlf_exports() -> None:
    sources = _macro_sources()
    assert set(sources) == {
        "PerfsheetRibbon",
        "PerfsheetChecks",
        "PerfsheetFolder",
        "PerfsheetText",
    }
    for stem, text in sources.items():
        raw = (MACROS / f"{stem}.bas").read_bytes()
        assert b"\n" not in raw.replace(b"\r\n", b""), f"{stem}: bare LF"
        assert raw.endswith(b"\r\n")
        assert text.startswith(f'Attribute VB_Name = "{stem}"\r\n')
        assert all(ord(c) < 128 for c in text), "Chinese text: ChrW() or PerfsheetStrings"


def test_callback_passes_the_tag_to_python() -> None:
    text = _macro_sources()["PerfsheetRibbon"]
    assert "Public Sub PerfsheetOnAction(control As IRibbonControl)" in text
    assert 'RunPython "import perfsheet.excel.ribbon as r; r.run(\'" & buttonTag & "\')"' in text
    # folder tags hand the path over as UTF-16 hex (decoded by ribbon.decode_folder)
    assert "folder_hex='\" & Utf16Hex(folder)" in text
    folder = _macro_sources()["PerfsheetFolder"]
    assert "Public Function PickFolder() As String" in folder
    assert ".Title = FolderPickerTitle()" in folder
    helpers = _macro_sources()["PerfsheetText"]
    assert "Public Function Utf16Hex(ByVal text As String) As String" in helpers
    # the dialog title is 选择要批量转换的文件夹, spelled with ChrW code points (LibreOffice
    # also runs it: test_addin_build.test_libreoffice_runs_our_vba_text_helpers)
    codes = re.findall(r"ChrW\(&H([0-9A-F]{4})\)", helpers)
    assert "".join(chr(int(c, 16)) for c in codes) == "选择要批量转换的文件夹"


def test_decode_folder_matches_the_vba_encoding() -> None:
    # What Utf16Hex produces: 4 hex digits per UTF-16 code unit (surrogates included).
    path = "C:\\绩效\\𠀀 o'k"
    encoded = "".join(
        f"{int.from_bytes(path.encode('utf-16-be')[i : i + 2], 'big'):04X}"
        for i in range(0, len(path.encode("utf-16-be")), 2)
    )
    assert encoded.startswith("0043003A005C7EE96548005CD840DC00")
    assert ribbon.decode_folder(encoded) == path
    with pytest.raises(ValueError):
        ribbon.decode_folder("123")
