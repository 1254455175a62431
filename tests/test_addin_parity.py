"""perfsheet.xlam side by side with add-ins and workbooks that Excel itself saved.

The xlwings wheel ships three such files: its own add-in ``addin/xlwings.xlam`` (with a
ribbon), the custom add-in template ``quickstart_addin_ribbon.xlam`` (with a ribbon) and the
workbook ``quickstart.xlsm``. Each structure our build writes is compared with theirs: the
package's content types and relationship types, the ribbon part and its relationship, the
compound file's header and directory entries, the VBA ``dir`` stream record by record, the
``PROJECT`` stream's keys and their order, the ``_VBA_PROJECT`` header.

Everything is read here with small readers of our own (and ``olefile``/``oletools`` for the
compound file's streams), not with the code that writes the add-in. Every difference that
remains is listed in :data:`KNOWN_DIFFERENCES` with the reason it is harmless; a new
difference fails, and so does a listed one that has gone.

Apache POI (``libapache-poi-java``) reads every module of our add-in back through its own
VBA macro reader: a second independent reader besides olevba (LibreOffice is the third).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import olefile
import pytest
from oletools.olevba import decompress_stream

from perfsheet.excel import addin

XLWINGS_DIR = addin.xlwings_dir()
REFERENCES = {
    "xlwings.xlam": XLWINGS_DIR / "addin" / "xlwings.xlam",
    "quickstart_addin_ribbon.xlam": XLWINGS_DIR / "quickstart_addin_ribbon.xlam",
    "quickstart.xlsm": XLWINGS_DIR / "quickstart.xlsm",
}
#: the files with a ribbon, and a workbook (not an add-in)
WITH_RIBBON = ("xlwings.xlam", "quickstart_addin_ribbon.xlam")
ADDINS = ("xlwings.xlam", "quickstart_addin_ribbon.xlam")

PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
UI_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
UI_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
#: the customUI namespace each ribbon relationship type stands for
UI_NAMESPACE = {
    UI_2006: "http://schemas.microsoft.com/office/2006/01/customui",
    UI_2007: "http://schemas.microsoft.com/office/2009/07/customui",
}

#: Every difference between our add-in and Excel's files, by the name the comparisons
#: below give it, with the reason it is harmless.
KNOWN_DIFFERENCES: dict[str, str] = {
    # package
    "package.workbook content type": (
        "quickstart.xlsm is a workbook (sheet.macroEnabled.main+xml); an add-in has the addin "
        "content type, as both of Excel's add-ins do"
    ),
    "package.ribbon relationship type": (
        "xlwings.xlam carries an Office 2007 ribbon (customUI.xml, namespace 2006/01, "
        "relationship .../2006/relationships/ui/extensibility); ours is an Office 2010+ ribbon "
        "(customUI14.xml, namespace 2009/07) and so takes .../2007/relationships/"
        "ui/extensibility, the type the template uses too; Excel 2010 and later read both"
    ),
    "package.ribbon part name": (
        "customUI/customUI14.xml is the name the Office 2010+ ribbon part conventionally has; "
        "Excel finds the part through the relationship, not by its name"
    ),
    "package.ribbon namespace": (
        "see 'package.ribbon relationship type': the 2009/07 schema is the one Excel 2010+ "
        "documents; the template pairs the 2007 relationship with a 2006/01 part, which Excel "
        "tolerates, and ours is consistent"
    ),
    # compound file
    "cfb.header minor version": (
        "[MS-CFB] 2.2: the minor version SHOULD be 0x003E, which ours and quickstart.xlsm "
        "write; the two add-ins were last written by a tool that wrote 0x0021; readers "
        "ignore the field"
    ),
    "cfb.entry colors": (
        "quickstart.xlsm colours its directory trees red and black; ours and both add-ins "
        "write every node black, which meets [MS-CFB] 2.6.4 (root black, no two red in a row, "
        "left < right); every tree is checked to be ordered below"
    ),
    "cfb.entry times": (
        "quickstart.xlsm stamps the root and the VBA storage with a time; ours and both add-ins "
        "write 0, which [MS-CFB] 2.6.3 allows (and keeps our build reproducible)"
    ),
    "cfb._VBA_PROJECT size": (
        "quickstart.xlsm keeps Excel's compiled p-code cache after the 7-byte header; ours, "
        "like both add-ins, has none ([MS-OVBA] 2.3.4.1: MUST NOT be present on write), so "
        "Excel compiles the source"
    ),
    "cfb.unused entry color": (
        "an unused directory slot is all zero in ours and quickstart.xlsm ([MS-CFB] 2.6.3); "
        "the add-ins' writer marked it black; unused slots are never read"
    ),
    # dir stream
    "dir.PROJECTSYSKIND": (
        "1 = 32-bit Windows (ours, the template), 3 = 64-bit Windows (the others): Excel "
        "recompiles the source for its own platform; both values occur in Excel's files"
    ),
    "dir.PROJECTCOMPATVERSION": (
        "an optional record newer Excel adds (quickstart.xlsm); [MS-OVBA] 2.3.4.2.1 lets it be "
        "absent, as in both add-ins"
    ),
    "dir.PROJECTVERSION": (
        "major/minor version of the project: a counter Excel bumps on each save, never "
        "checked on load; ours is 1.0"
    ),
    "dir.references": (
        "ours references stdole and Office, byte for byte as xlwings.xlam does; the template "
        "and quickstart.xlsm add MSForms (a UserForm library we do not use) and quickstart.xlsm "
        "its reference to xlwings.xlam"
    ),
    "dir.PROJECTCOOKIE": (
        "[MS-OVBA] 2.3.4.2.3.1: MUST be 0xFFFF on write, MUST be ignored on read: ours follows "
        "the spec, Excel writes its own value"
    ),
    "dir.MODULECOOKIE": "[MS-OVBA] 2.3.4.2.3.2.7: as PROJECTCOOKIE, ignored on read",
    "dir.MODULEOFFSET": (
        "where the source starts in a module stream: Excel's streams begin with a p-code "
        "cache, ours have none and start at 0; every reader (olevba, POI, LibreOffice, Excel) "
        "uses the offset"
    ),
    "dir.MODULEDOCSTRING": (
        "both add-ins keep the Dictionary class's description (the Object Browser's text, "
        "from the class's own VB_Description attribute) in the dir stream as well; ours "
        "leaves the record empty, the attribute is in the source Excel compiles"
    ),
    # PROJECT stream
    "PROJECT.ID": "the project's own GUID (xlwings.xlam writes all zeros)",
    "PROJECT.CMG": (
        "xlwings.xlam is locked for viewing (protection state 4); ours, the template and "
        "quickstart.xlsm are open (0): our VBA is meant to be read"
    ),
    "PROJECT.DPB": (
        "xlwings.xlam has a password; ours, the template and quickstart.xlsm have none (DPB "
        "decrypts to one 0x00 byte)"
    ),
    "PROJECT.GC": (
        "xlwings.xlam hides its project in the VBA editor (0x00); ours, the template and "
        "quickstart.xlsm show it (0xFF)"
    ),
    "PROJECT.Workspace": (
        "the VBA editor's window positions per module; ours are 0, 0, 0, 0, C (closed), as "
        "the template has for most modules"
    ),
    "PROJECT.trailing blank line": (
        "the two add-ins end the stream with an empty line, quickstart.xlsm (saved by Excel "
        "most recently) and ours do not; [MS-OVBA] 2.3.1 makes the workspace section the end"
    ),
    # _VBA_PROJECT
    "_VBA_PROJECT.header": (
        "ours is the spec's 7 bytes CC61 FFFF 00 0100 ([MS-OVBA] 3.1.1), identical to both "
        "add-ins; quickstart.xlsm names a VBA version (0x00B5) and keeps its p-code, which "
        "Excel uses only when the VBA version matches"
    ),
}


class Differences:
    """Differences found, by name, with what each file had."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def compare(self, name: str, reference: str, ours: object, theirs: object) -> None:
        if ours != theirs:
            self.found.setdefault(name, []).append(f"{reference}: ours {ours!r}, {theirs!r}")


# --------------------------------------------------------------------------- readers


@dataclass
class Package:
    parts: dict[str, bytes]

    @classmethod
    def open(cls, path: Path) -> Package:
        with zipfile.ZipFile(path) as archive:
            return cls({i.filename: archive.read(i) for i in archive.infolist()})

    def content_type(self, part: str) -> str | None:
        root = ET.fromstring(self.parts["[Content_Types].xml"])
        for override in root.iter(f"{CT_NS}Override"):
            if override.get("PartName", "").lstrip("/") == part:
                return override.get("ContentType")
        extension = part.rsplit(".", 1)[-1].lower()
        for default in root.iter(f"{CT_NS}Default"):
            if (default.get("Extension") or "").lower() == extension:
                return default.get("ContentType")
        return None

    def relationships(self, rels_part: str) -> dict[str, str]:
        """type -> target of a relationships part (one target per type is enough here)."""
        root = ET.fromstring(self.parts[rels_part])
        return {r.get("Type", ""): r.get("Target", "") for r in root.iter(f"{PKG_NS}Relationship")}

    def vba(self) -> bytes:
        return self.parts["xl/vbaProject.bin"]


_HEADER_FIELDS = (
    "signature",
    "clsid",
    "minor",
    "major",
    "byte_order",
    "sector_shift",
    "mini_shift",
    "reserved",
    "dir_sectors",
    "fat_sectors",
    "dir_start",
    "transaction",
    "mini_cutoff",
    "minifat_start",
    "minifat_sectors",
    "difat_start",
    "difat_sectors",
)


@dataclass
class Entry:
    index: int
    name: str
    kind: int
    color: int
    left: int
    right: int
    child: int
    clsid: bytes
    state: int
    created: int
    modified: int
    start: int
    size: int


@dataclass
class Compound:
    header: dict[str, int | bytes]
    entries: list[Entry]
    paths: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def read(cls, data: bytes) -> Compound:
        fields = struct.unpack_from("<8s16sHHHHH6sIIIIIIIII", data, 0)
        header = dict(zip(_HEADER_FIELDS, fields, strict=True))
        size = 1 << header["sector_shift"]
        difat = struct.unpack_from("<109I", data, 76)
        fat: list[int] = []
        for sector in difat[: header["fat_sectors"]]:
            fat += struct.unpack_from(f"<{size // 4}I", data, (sector + 1) * size)
        chain, sector = [], header["dir_start"]
        while sector < 0xFFFFFFFA:
            chain.append(sector)
            sector = fat[sector]
        directory = b"".join(data[(s + 1) * size : (s + 2) * size] for s in chain)
        entries = []
        for index in range(len(directory) // 128):
            raw = directory[index * 128 : (index + 1) * 128]
            length = struct.unpack_from("<H", raw, 64)[0]
            left, right, child = struct.unpack_from("<III", raw, 68)
            state, created, modified, start, stream_size = struct.unpack_from("<IQQIQ", raw, 96)
            entries.append(
                Entry(
                    index,
                    raw[: max(length - 2, 0)].decode("utf-16-le"),
                    raw[66],
                    raw[67],
                    left,
                    right,
                    child,
                    raw[80:96],
                    state,
                    created,
                    modified,
                    start,
                    stream_size,
                )
            )
        compound = cls(header, entries)
        compound._walk(entries[0], "")
        return compound

    def siblings(self, first: int) -> Iterator[Entry]:
        """In-order walk of a storage's sibling tree."""
        if first == 0xFFFFFFFF:
            return
        entry = self.entries[first]
        yield from self.siblings(entry.left)
        yield entry
        yield from self.siblings(entry.right)

    def _walk(self, storage: Entry, prefix: str) -> None:
        self.paths[prefix or "Root Entry"] = storage
        for entry in self.siblings(storage.child):
            path = f"{prefix}/{entry.name}" if prefix else entry.name
            self.paths[path] = entry
            if entry.kind == 1:
                self._walk(entry, path)


def _dir_records(data: bytes) -> list[tuple[int, bytes]]:
    records, pos = [], 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x0009:  # PROJECTVERSION: Reserved=4, then 6 bytes
            size = 6
        records.append((rid, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


@dataclass
class VbaProject:
    compound: Compound
    dir: list[tuple[int, bytes]]
    project: str
    project_wm: bytes
    vba_project: bytes
    modules: dict[str, bytes]

    @classmethod
    def read(cls, data: bytes) -> VbaProject:
        with olefile.OleFileIO(data) as ole:
            raw_dir = ole.openstream("VBA/dir").read()
            records = _dir_records(bytes(decompress_stream(bytearray(raw_dir))))
            streams = {
                "/".join(path): ole.openstream(path).read()
                for path in ole.listdir()
                if path[0] == "VBA" and path[1] not in ("dir", "_VBA_PROJECT")
            }
            return cls(
                Compound.read(data),
                records,
                ole.openstream("PROJECT").read().decode("cp1252"),
                ole.openstream("PROJECTwm").read(),
                ole.openstream("VBA/_VBA_PROJECT").read(),
                streams,
            )

    def information(self) -> list[tuple[int, bytes]]:
        ids = [rid for rid, _ in self.dir]
        return self.dir[: next(i for i, rid in enumerate(ids) if rid in (0x16, 0x0F))]

    def references(self) -> list[tuple[int, bytes]]:
        ids = [rid for rid, _ in self.dir]
        return self.dir[len(self.information()) : ids.index(0x0F)]

    def module_records(self) -> list[list[tuple[int, bytes]]]:
        ids = [rid for rid, _ in self.dir]
        modules, current = [], []
        for record in self.dir[ids.index(0x0F) + 2 :]:
            current.append(record)
            if record[0] == 0x002B:
                modules.append(current)
                current = []
        assert current == [(0x0010, b"")], "dir stream ends with its terminator"
        return modules

    def module_names(self) -> list[str]:
        return [dict(records)[0x0019].decode("cp1252") for records in self.module_records()]


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Package]:
    built = addin.build_addin(tmp_path_factory.mktemp("parity") / "perfsheet.xlam")
    found = {"ours": Package.open(built)}
    for name, path in REFERENCES.items():
        if not path.exists():
            pytest.fail(f"xlwings no longer ships {path}")
        found[name] = Package.open(path)
    return found


@pytest.fixture(scope="module")
def projects(packages: dict[str, Package]) -> dict[str, VbaProject]:
    return {name: VbaProject.read(package.vba()) for name, package in packages.items()}


@pytest.fixture(scope="module")
def differences(packages: dict[str, Package], projects: dict[str, VbaProject]) -> Differences:
    found = Differences()
    _compare_package(packages, found)
    _compare_compound(projects, found)
    _compare_dir(projects, found)
    _compare_project_stream(projects, found)
    for name in REFERENCES:
        found.compare(
            "_VBA_PROJECT.header", name, projects["ours"].vba_project, projects[name].vba_project
        )
    return found


# --------------------------------------------------------------------------- package


_PARTS = (
    "xl/workbook.xml",
    "xl/vbaProject.bin",
    "xl/styles.xml",
    "xl/theme/theme1.xml",
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "docProps/core.xml",
    "docProps/app.xml",
)


def _compare_package(packages: dict[str, Package], found: Differences) -> None:
    ours = packages["ours"]
    for name in REFERENCES:
        theirs = packages[name]
        # every part of the same role has the same content type
        for part in _PARTS:
            label = "workbook content type" if part == "xl/workbook.xml" else f"{part} type"
            found.compare(
                f"package.{label}", name, ours.content_type(part), theirs.content_type(part)
            )
        # the same relationship types at the package and the workbook level
        ours_rels = set(ours.relationships("_rels/.rels"))
        theirs_rels = set(theirs.relationships("_rels/.rels"))
        found.compare(
            "package.ribbon relationship type",
            name,
            ours_rels - {UI_2007},
            theirs_rels - {UI_2006, UI_2007},
        )
        if name in WITH_RIBBON:
            ui = {UI_2006, UI_2007}
            found.compare(
                "package.ribbon relationship type", name, ours_rels & ui, theirs_rels & ui
            )
        found.compare(
            "package.workbook relationship types",
            name,
            set(ours.relationships("xl/_rels/workbook.xml.rels")),
            set(theirs.relationships("xl/_rels/workbook.xml.rels")),
        )
        if name in WITH_RIBBON:
            found.compare(
                "package.ribbon part name",
                name,
                _ribbon(ours)[0],
                _ribbon(theirs)[0],
            )
            found.compare("package.ribbon namespace", name, _ribbon(ours)[1], _ribbon(theirs)[1])
            found.compare(
                "package.ribbon part content type",
                name,
                ours.content_type(_ribbon(ours)[0]),
                theirs.content_type(_ribbon(theirs)[0]),
            )


def _ribbon(package: Package) -> tuple[str, str, str]:
    """(part name, root namespace, relationship type) of the ribbon."""
    rels = package.relationships("_rels/.rels")
    [(reltype, target)] = [(t, v) for t, v in rels.items() if t in (UI_2006, UI_2007)]
    root = ET.fromstring(package.parts[target])
    return target, root.tag[1:].split("}")[0], reltype


def test_every_part_has_a_content_type_and_every_override_a_part(
    packages: dict[str, Package],
) -> None:
    for name, package in packages.items():
        for part in package.parts:
            if part != "[Content_Types].xml":
                assert package.content_type(part), (name, part)
        root = ET.fromstring(package.parts["[Content_Types].xml"])
        for override in root.iter(f"{CT_NS}Override"):
            assert override.get("PartName", "").lstrip("/") in package.parts, name


def test_ribbon_part_and_relationship(packages: dict[str, Package]) -> None:
    target, namespace, reltype = _ribbon(packages["ours"])
    assert target == "customUI/customUI14.xml"
    assert UI_NAMESPACE[reltype] == namespace  # the relationship matches the part's schema
    # as in xlwings.xlam, the one of Excel's files whose pair is consistent
    theirs = _ribbon(packages["xlwings.xlam"])
    assert UI_NAMESPACE[theirs[2]] == theirs[1]
    # the ribbon relationship hangs off the package, not the workbook, in every file
    for name in ("ours", *WITH_RIBBON):
        rels = packages[name].relationships("xl/_rels/workbook.xml.rels")
        assert not set(rels) & {UI_2006, UI_2007}, name
    # every callback is a public Sub of a standard module taking the IRibbonControl
    for name in ("ours", *WITH_RIBBON):
        package = packages[name]
        callbacks = set(re.findall(rb'onAction="([\w.]+)"', package.parts[_ribbon(package)[0]]))
        modules = VbaProject.read(package.vba())
        for callback in callbacks:
            procedure = callback.decode().split(".")[-1]
            assert any(
                re.search(
                    rf"^(?:Public )?Sub {procedure}\(\w+ As IRibbonControl[,)]",
                    _source(modules, module),
                    re.MULTILINE,
                )
                for module in modules.module_names()
            ), (name, callback)


def _source(project: VbaProject, module: str) -> str:
    records = dict(next(r for r in project.module_records() if dict(r)[0x19] == module.encode()))
    stream = records[0x001A].decode("cp1252")
    offset = struct.unpack("<I", records[0x0031])[0]
    data = project.modules[f"VBA/{stream}"][offset:]
    return bytes(decompress_stream(bytearray(data))).decode("cp1252")


# --------------------------------------------------------------------------- compound file


#: header fields that do not depend on the file's size
_FIXED_HEADER = (
    "signature",
    "clsid",
    "major",
    "byte_order",
    "sector_shift",
    "mini_shift",
    "reserved",
    "dir_sectors",
    "transaction",
    "mini_cutoff",
    "difat_start",
    "difat_sectors",
)


def _compare_compound(projects: dict[str, VbaProject], found: Differences) -> None:
    ours = projects["ours"].compound
    for name in REFERENCES:
        theirs = projects[name].compound
        for key in _FIXED_HEADER:
            found.compare(f"cfb.header {key}", name, ours.header[key], theirs.header[key])
        found.compare(
            "cfb.header minor version", name, ours.header["minor"], theirs.header["minor"]
        )
        found.compare("cfb.paths", name, _shape(projects["ours"]), _shape(projects[name]))
        for path in ("Root Entry", "VBA", "PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"):
            ours_entry, their_entry = ours.paths[path], theirs.paths[path]
            found.compare(f"cfb.{path} type", name, ours_entry.kind, their_entry.kind)
            found.compare(f"cfb.{path} clsid", name, ours_entry.clsid, their_entry.clsid)
            found.compare(f"cfb.{path} state", name, ours_entry.state, their_entry.state)
        found.compare("cfb.VBA start", name, ours.paths["VBA"].start, theirs.paths["VBA"].start)
        found.compare("cfb.VBA size", name, ours.paths["VBA"].size, theirs.paths["VBA"].size)
        found.compare(
            "cfb._VBA_PROJECT size",
            name,
            ours.paths["VBA/_VBA_PROJECT"].size,
            theirs.paths["VBA/_VBA_PROJECT"].size,
        )
        used = [e for e in ours.entries if e.kind]
        their_used = [e for e in theirs.entries if e.kind]
        found.compare(
            "cfb.entry colors",
            name,
            {e.color for e in used},
            {e.color for e in their_used},
        )
        found.compare(
            "cfb.entry times",
            name,
            {(e.created, e.modified) for e in used},
            {(e.created, e.modified) for e in their_used},
        )
        found.compare(
            "cfb.unused entry color",
            name,
            {e.color for e in ours.entries if not e.kind},
            {e.color for e in theirs.entries if not e.kind},
        )


def _shape(project: VbaProject) -> dict[str, int]:
    """Every path of the compound file by type, module streams under one name."""
    modules = {f"VBA/{name}" for name in _stream_names(project)}
    return {
        ("VBA/<module>" if path in modules else path): entry.kind
        for path, entry in project.compound.paths.items()
    }


def _stream_names(project: VbaProject) -> list[str]:
    return [dict(records)[0x001A].decode("cp1252") for records in project.module_records()]


def test_compound_file_rules_hold_in_every_file(projects: dict[str, VbaProject]) -> None:
    """What [MS-CFB] asks of each entry, checked alike in Excel's files and ours."""
    for name, project in projects.items():
        compound = project.compound
        header = compound.header
        assert header["signature"] == bytes.fromhex("D0CF11E0A1B11AE1"), name
        root = compound.paths["Root Entry"]
        assert (root.kind, root.clsid, root.created) == (5, bytes(16), 0), name
        assert root.size % 64 == 0 and root.size > 0, name  # the mini stream
        mini_sectors = root.size // 64
        for path, entry in compound.paths.items():
            if entry.kind == 1:  # storage: no sectors, no size ([MS-CFB] 2.6.3)
                assert (entry.start, entry.size) == (0, 0), (name, path)
            elif entry.kind == 2 and 0 < entry.size < header["mini_cutoff"]:
                assert entry.start < mini_sectors, (name, path)  # in the mini stream
        for storage in (root, compound.paths["VBA"]):
            names = [e.name for e in compound.siblings(storage.child)]
            keys = [(len(n), n.upper()) for n in names]
            assert keys == sorted(keys) and len(set(keys)) == len(keys), (name, names)
        for storage in (root, compound.paths["VBA"]):  # red-black: tree roots black, ...
            assert compound.entries[storage.child].color == 1, name
        for entry in compound.entries:  # ... and no red node with a red child
            if entry.kind and entry.color == 0:
                for child in (entry.left, entry.right):
                    assert child == 0xFFFFFFFF or compound.entries[child].color == 1, name
        for entry in compound.entries:
            if not entry.kind:  # unused slot
                assert (entry.name, entry.start, entry.size) == ("", 0, 0), name
        # the VBA storage holds _VBA_PROJECT, dir and one stream per module of the dir stream
        in_vba = {p.split("/", 1)[1] for p in compound.paths if p.startswith("VBA/")}
        assert in_vba == {"_VBA_PROJECT", "dir", *_stream_names(project)}, name


# --------------------------------------------------------------------------- dir stream

_INFORMATION = {
    0x0001: "PROJECTSYSKIND",
    0x004A: "PROJECTCOMPATVERSION",
    0x0002: "PROJECTLCID",
    0x0014: "PROJECTLCIDINVOKE",
    0x0003: "PROJECTCODEPAGE",
    0x0004: "PROJECTNAME",
    0x0005: "PROJECTDOCSTRING",
    0x0040: "PROJECTDOCSTRING unicode",
    0x0006: "PROJECTHELPFILEPATH",
    0x003D: "PROJECTHELPFILEPATH 2",
    0x0007: "PROJECTHELPCONTEXT",
    0x0008: "PROJECTLIBFLAGS",
    0x0009: "PROJECTVERSION",
    0x000C: "PROJECTCONSTANTS",
    0x003C: "PROJECTCONSTANTS unicode",
}
_MODULE = {
    0x0019: "MODULENAME",
    0x0047: "MODULENAMEUNICODE",
    0x001A: "MODULESTREAMNAME",
    0x0032: "MODULESTREAMNAME unicode",
    0x001C: "MODULEDOCSTRING",
    0x0048: "MODULEDOCSTRING unicode",
    0x0031: "MODULEOFFSET",
    0x001E: "MODULEHELPCONTEXT",
    0x002C: "MODULECOOKIE",
    0x0021: "MODULETYPE procedural",
    0x0022: "MODULETYPE document/class",
    0x0025: "MODULEREADONLY",
    0x0028: "MODULEPRIVATE",
    0x002B: "terminator",
}


def _compare_dir(projects: dict[str, VbaProject], found: Differences) -> None:
    ours = projects["ours"]
    for name in REFERENCES:
        theirs = projects[name]
        # PROJECTINFORMATION: the record sequence, then every field
        ids = [rid for rid, _ in ours.information()]
        their_ids = [rid for rid, _ in theirs.information()]
        found.compare("dir.PROJECTCOMPATVERSION", name, 0x004A in ids, 0x004A in their_ids)
        found.compare(
            "dir.information records",
            name,
            [_INFORMATION[i] for i in ids if i != 0x004A],
            [_INFORMATION[i] for i in their_ids if i != 0x004A],
        )
        their_info = dict(theirs.information())
        for rid, data in ours.information():
            label = _INFORMATION[rid]
            if rid == 0x0004:  # the project's name
                continue
            found.compare(f"dir.{label}", name, data, their_info.get(rid))
        # PROJECTREFERENCES
        found.compare("dir.references", name, ours.references(), theirs.references())
        # PROJECTMODULES: count, cookie, then each module's records
        counts = {rid: data for rid, data in ours.dir if rid in (0x000F, 0x0013)}
        their_counts = {rid: data for rid, data in theirs.dir if rid in (0x000F, 0x0013)}
        found.compare(
            "dir.PROJECTMODULES count is the number of modules",
            name,
            struct.unpack("<H", counts[0x000F])[0] == len(ours.module_records()),
            struct.unpack("<H", their_counts[0x000F])[0] == len(theirs.module_records()),
        )
        found.compare("dir.PROJECTCOOKIE", name, counts[0x0013], their_counts[0x0013])
        for kind in (0x0021, 0x0022):  # a standard module, a document or class module
            mine = next(r for r in ours.module_records() if kind in dict(r))
            their = next((r for r in theirs.module_records() if kind in dict(r)), None)
            assert their is not None
            found.compare(
                "dir.module records",
                name,
                [_MODULE[rid] for rid, _ in mine],
                [_MODULE[rid] for rid, _ in their],
            )
            for records in theirs.module_records():
                if kind not in dict(records):
                    continue
                for rid, data in records:
                    if rid in (0x0019, 0x0047, 0x001A, 0x0032):  # names differ
                        continue
                    label = _MODULE[rid]
                    if label.startswith("MODULEDOCSTRING"):
                        label = "MODULEDOCSTRING"
                    found.compare(f"dir.{label}", name, dict(mine).get(rid), data)
        # the terminator and its reserved field
        found.compare("dir.terminator", name, ours.dir[-1], theirs.dir[-1])


def test_dir_stream_structure_in_every_file(projects: dict[str, VbaProject]) -> None:
    for name, project in projects.items():
        for records in project.module_records():
            fields = dict(records)
            assert fields[0x0019].decode("cp1252") == fields[0x0047].decode("utf-16-le"), name
            assert fields[0x001A].decode("cp1252") == fields[0x0032].decode("utf-16-le"), name
            source = _source(project, fields[0x0019].decode("cp1252"))
            assert source.startswith(f'Attribute VB_Name = "{fields[0x0019].decode()}"'), name
        for rid, data in project.references():
            if rid == 0x000D:  # REFERENCEREGISTERED: size, libid, reserved 0, 0
                size = struct.unpack_from("<I", data)[0]
                assert data[4 + size :] == bytes(6), name
    # our references are xlwings.xlam's, byte for byte
    assert projects["ours"].references() == projects["xlwings.xlam"].references()


# --------------------------------------------------------------------------- PROJECT stream


def _project_keys(text: str) -> list[str]:
    """The PROJECT stream's lines as keys: one key per kind of line, module and workspace
    lines each collapsed into one."""
    keys: list[str] = []
    for line in text.split("\r\n"):
        if line.startswith(("Document=", "Module=", "Class=", "BaseClass=", "Package=")):
            key = "<modules>"
        elif keys and keys[-1] in ("[Workspace]", "<workspace>") and line:
            key = "<workspace>"
        else:
            key = line.split("=", 1)[0] if "=" in line else line
        if not keys or keys[-1] != key or key not in ("<modules>", "<workspace>"):
            keys.append(key)
    while keys and keys[-1] == "":
        keys.pop()
    return keys


def _compare_project_stream(projects: dict[str, VbaProject], found: Differences) -> None:
    from perfsheet.excel.vba.project import decrypt

    ours = projects["ours"].project
    mine = dict(line.split("=", 1) for line in ours.split("\r\n") if "=" in line)
    for name in REFERENCES:
        theirs = projects[name].project
        found.compare("PROJECT.keys", name, _project_keys(ours), _project_keys(theirs))
        found.compare(
            "PROJECT.trailing blank line",
            name,
            ours.endswith("\r\n\r\n"),
            theirs.endswith("\r\n\r\n"),
        )
        their = dict(line.split("=", 1) for line in theirs.split("\r\n") if "=" in line)
        for key in ("HelpContextID", "VersionCompatible32", "&H00000001"):
            found.compare(f"PROJECT.{key}", name, mine[key], their[key])
        found.compare("PROJECT.ID", name, mine["ID"], their["ID"])
        pid, their_pid = mine["ID"].strip('"'), their["ID"].strip('"')
        for key in ("CMG", "DPB", "GC"):
            found.compare(
                f"PROJECT.{key}",
                name,
                decrypt(mine[key].strip('"'), pid),
                decrypt(their[key].strip('"'), their_pid),
            )
        workspace = theirs.split("[Workspace]\r\n", 1)[1].split("\r\n")
        ours_workspace = ours.split("[Workspace]\r\n", 1)[1].split("\r\n")
        found.compare(
            "PROJECT.Workspace",
            name,
            {line.split("=", 1)[1] for line in ours_workspace if line},
            {line.split("=", 1)[1] for line in workspace if line},
        )


def test_project_stream_lists_the_modules_in_dir_order(projects: dict[str, VbaProject]) -> None:
    for name, project in projects.items():
        lines = project.project.split("\r\n")
        listed = [
            re.split(r"[=/]", line)[1]
            for line in lines
            if line.startswith(("Document=", "Module=", "Class="))
        ]
        workspace_lines = project.project.split("[Workspace]\r\n", 1)[1].split("\r\n")
        workspace = [line.split("=", 1)[0] for line in workspace_lines if line]
        assert listed == workspace == project.module_names(), name
        # PROJECTwm: each name in the code page and in UTF-16, in the same order
        wm, names = project.project_wm, []
        while wm != b"\x00\x00":
            mbcs, wm = wm.split(b"\x00", 1)
            end = next(i for i in range(0, len(wm), 2) if wm[i : i + 2] == b"\x00\x00")
            assert wm[:end].decode("utf-16-le") == mbcs.decode("cp1252"), name
            names.append(mbcs.decode("cp1252"))
            wm = wm[end + 2 :]
        assert names == listed, name


# --------------------------------------------------------------------------- the verdict


def test_every_difference_is_known_and_harmless(differences: Differences) -> None:
    unexplained = {k: v for k, v in differences.found.items() if k not in KNOWN_DIFFERENCES}
    assert not unexplained, f"differences from Excel's files without a reason: {unexplained}"
    gone = set(KNOWN_DIFFERENCES) - set(differences.found)
    assert not gone, f"listed differences that no longer occur (remove them): {gone}"


def test_vba_project_header_is_the_spec_example(projects: dict[str, VbaProject]) -> None:
    assert projects["ours"].vba_project == bytes.fromhex("CC61FFFF000100")
    for name in ADDINS:
        assert projects[name].vba_project == projects["ours"].vba_project


# --------------------------------------------------------------------------- Apache POI

_POI_READER = """
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.apache.poi.poifs.macros.Module;
import org.apache.poi.poifs.macros.VBAMacroReader;

public class PoiModules {
    public static void main(String[] args) throws Exception {
        Base64.Encoder b64 = Base64.getEncoder();
        try (VBAMacroReader reader = new VBAMacroReader(new File(args[0]))) {
            for (Map.Entry<String, Module> e : reader.readMacroModules().entrySet()) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] content = e.getValue().getContent().getBytes(StandardCharsets.UTF_8);
                System.out.println(b64.encodeToString(name) + "\\t"
                    + e.getValue().geModuleType() + "\\t" + b64.encodeToString(content));
            }
        }
    }
}
"""
_POI_JAR = Path("/usr/share/java/poi.jar")  # Debian's libapache-poi-java


def _poi_modules(tmp_path: Path, path: Path) -> dict[str, tuple[str, str]]:
    java = shutil.which("java")
    if java is None or not _POI_JAR.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Apache POI (libapache-poi-java) and a Java runtime are required under CI")
        pytest.skip("needs Java and Apache POI (apt-get install libapache-poi-java)")
    source = tmp_path / "PoiModules.java"
    source.write_text(_POI_READER, encoding="utf-8")
    result = subprocess.run(  # Java 11+ runs a one-file program from source, no javac
        [java, "-cp", str(_POI_JAR), str(source), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    modules = {}
    for line in result.stdout.splitlines():
        name, kind, content = line.split("\t")
        modules[base64.b64decode(name).decode("utf-8")] = (
            kind,
            base64.b64decode(content).decode("utf-8"),
        )
    return modules


def test_apache_poi_reads_every_module_back(tmp_path: Path) -> None:
    built = addin.build_addin(tmp_path / "perfsheet.xlam")
    read = _poi_modules(tmp_path, built)
    ours = {module.name: module for module in addin.vba_modules()}
    assert set(read) == set(ours)
    poi_kind = {"standard": "Module", "class": "Class", "document": "Document"}
    for name, (kind, content) in read.items():
        assert kind == poi_kind[ours[name].kind], name
        assert content == ours[name].code, name  # the source, character for character
    # the same reader on one of Excel's own files, as a check of the check
    theirs = _poi_modules(tmp_path, REFERENCES["quickstart_addin_ribbon.xlam"])
    assert set(theirs) == {"ThisWorkbook", "Sheet2", "xlwings", "Dictionary", "RibbonMyAddin"}
