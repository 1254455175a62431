"""Build a ``vbaProject.bin`` from VBA module sources ([MS-OVBA], written from the spec).

Streams written (inside a [MS-CFB] compound file, see :mod:`.cfb`):

* ``PROJECT`` — the text project description (§2.3.1): ``ID=``, one ``Document=`` /
  ``Module=`` / ``Class=`` line per module, ``Name=``, the protection fields ``CMG`` /
  ``DPB`` / ``GC`` encrypted with §2.4.3 "Data Encryption" (no protection, no password,
  visible), the host-extender section;
* ``PROJECTwm`` — module names in the code page and in UTF-16 (§2.3.3);
* ``VBA/_VBA_PROJECT`` — the 7-byte header with version ``0xFFFF`` (§2.3.4.1), which makes
  Office ignore any cached p-code and compile the project from source;
* ``VBA/dir`` — compressed (§2.4.1) project information, references and module records
  (§2.3.4.2);
* ``VBA/<module>`` — each module's source, compressed, at text offset 0 (no p-code).

Everything is deterministic: the project GUID and the encryption seeds derive from the
project name, so the same sources always give the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from perfsheet.excel.vba.cfb import Storage, write_compound_file
from perfsheet.excel.vba.compression import compress

ModuleKind = Literal["standard", "class", "document"]

#: ``VB_Base`` of the Excel document modules and of plain class modules.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
_NAMESPACE = uuid.UUID("6f2b1c52-4a36-4d8e-9a41-70657266736b")  # perfsheet's own


@dataclass(frozen=True)
class Reference:
    """A registered type-library reference (REFERENCEREGISTERED, §2.3.4.2.2.5)."""

    name: str
    libid: str


STDOLE = Reference(
    "stdole",
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
    r"C:\Windows\System32\stdole2.tlb#OLE Automation",
)
OFFICE = Reference(
    "Office",
    r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL"
    r"#Microsoft Office 16.0 Object Library",
)


@dataclass(frozen=True)
class Module:
    """One VBA module as stored in the project: ``code`` includes its Attribute lines."""

    name: str
    kind: ModuleKind
    code: str

    @property
    def stream_name(self) -> str:
        return self.name


# --------------------------------------------------------------------------- sources


_VB_NAME = re.compile(r'^Attribute VB_Name = "([^"]+)"', re.MULTILINE)


def _crlf(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return text.replace("\n", "\r\n")


def module_from_bas(text: str) -> Module:
    """A standard module from an exported ``.bas`` file's text."""
    text = _crlf(text)
    match = _VB_NAME.search(text)
    if not match:
        raise ValueError("a .bas file must start with Attribute VB_Name")
    return Module(match.group(1), "standard", text)


def module_from_cls(text: str) -> Module:
    """A class module from an exported ``.cls`` file's text.

    The export starts with a ``VERSION 1.0 CLASS`` / ``BEGIN`` … ``END`` block that is
    not part of the stored source; the stored source carries ``VB_Base`` after
    ``VB_Name`` and ``VB_TemplateDerived`` / ``VB_Customizable`` after ``VB_Exposed``.
    """
    lines = _crlf(text).split("\r\n")
    if lines and lines[0].startswith("VERSION "):
        end = lines.index("END")
        lines = lines[end + 1 :]
    out: list[str] = []
    name = None
    for line in lines:
        out.append(line)
        if line.startswith("Attribute VB_Name = "):
            name = line.split('"')[1]
            out.append(f'Attribute VB_Base = "{CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed = "):
            out.append("Attribute VB_TemplateDerived = False")
            out.append("Attribute VB_Customizable = False")
    if name is None:
        raise ValueError("a .cls file must contain Attribute VB_Name")
    return Module(name, "class", "\r\n".join(out))


def document_module(name: str, base: str, code: str = "") -> Module:
    """A document module (``ThisWorkbook``, a sheet) named after its code name."""
    header = (
        f'Attribute VB_Name = "{name}"\r\n'
        f'Attribute VB_Base = "{base}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
        "Attribute VB_Creatable = False\r\n"
        "Attribute VB_PredeclaredId = True\r\n"
        "Attribute VB_Exposed = True\r\n"
        "Attribute VB_TemplateDerived = False\r\n"
        "Attribute VB_Customizable = True\r\n"
    )
    return Module(name, "document", header + (_crlf(code) if code else ""))


# --------------------------------------------------------------------------- encryption


def project_id(project_name: str) -> str:
    """The deterministic project GUID, as written in the PROJECT stream."""
    return "{" + str(uuid.uuid5(_NAMESPACE, project_name)).upper() + "}"


def _stream(seed_material: bytes, n: int) -> bytes:
    return hashlib.sha256(seed_material).digest()[:n]


def encrypt(data: bytes, project_id_text: str, seed: int, ignored: bytes = b"") -> str:
    """[MS-OVBA] §2.4.3.2 Data Encryption; returns the upper-case hex text."""
    version = 2
    proj_key = sum(project_id_text.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ proj_key])
    unencrypted1 = proj_key
    encrypted1 = out[2]
    encrypted2 = out[1]
    ignored_length = (seed & 6) // 2
    ignored = (ignored + bytes(ignored_length))[:ignored_length]
    for byte in ignored + struct.pack("<I", len(data)) + data:
        byte_enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(byte_enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte_enc, byte
    return out.hex().upper()


def decrypt(text: str, project_id_text: str | None = None) -> bytes:
    """[MS-OVBA] §2.4.3.3 Data Decryption (checks the project key when given)."""
    raw = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("unsupported encryption version")
    proj_key = seed ^ proj_key_enc
    if project_id_text is not None and proj_key != sum(project_id_text.encode("ascii")) & 0xFF:
        raise ValueError("project key does not match the project id")
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte_enc, byte
    skip = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, skip)[0]
    return bytes(plain[skip + 4 : skip + 4 + length])


# --------------------------------------------------------------------------- streams


def _rec(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _dir_stream(
    name: str, modules: Sequence[Module], references: Sequence[Reference], codepage: str
) -> bytes:
    cp_number = int(codepage.removeprefix("cp"))
    enc = name.encode(codepage)
    out = bytearray()
    # PROJECTINFORMATION
    out += _rec(0x0001, struct.pack("<I", 1))  # SysKind: 32-bit Windows
    out += _rec(0x0002, struct.pack("<I", 0x0409))  # LCID
    out += _rec(0x0014, struct.pack("<I", 0x0409))  # LCID invoke
    out += _rec(0x0003, struct.pack("<H", cp_number))  # code page
    out += _rec(0x0004, enc)  # project name
    out += _rec(0x0005, b"") + _rec(0x0040, b"")  # doc string (+ unicode)
    out += _rec(0x0006, b"") + _rec(0x003D, b"")  # help file paths
    out += _rec(0x0007, struct.pack("<I", 0))  # help context
    out += _rec(0x0008, struct.pack("<I", 0))  # lib flags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # version: major 1, minor 0
    out += _rec(0x000C, b"") + _rec(0x003C, b"")  # constants (+ unicode)
    # PROJECTREFERENCES
    for ref in references:
        out += _rec(0x0016, ref.name.encode(codepage))
        out += _rec(0x003E, ref.name.encode("utf-16-le"))
        libid = ref.libid.encode(codepage)
        out += _rec(0x000D, struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0))
    # PROJECTMODULES
    out += _rec(0x000F, struct.pack("<H", len(modules)))
    out += _rec(0x0013, struct.pack("<H", 0xFFFF))  # project cookie
    for module in modules:
        out += _rec(0x0019, module.name.encode(codepage))
        out += _rec(0x0047, module.name.encode("utf-16-le"))
        out += _rec(0x001A, module.stream_name.encode(codepage))
        out += _rec(0x0032, module.stream_name.encode("utf-16-le"))
        out += _rec(0x001C, b"") + _rec(0x0048, b"")  # doc string (+ unicode)
        out += _rec(0x0031, struct.pack("<I", 0))  # text offset: no p-code cache
        out += _rec(0x001E, struct.pack("<I", 0))  # help context
        out += _rec(0x002C, struct.pack("<H", 0xFFFF))  # module cookie
        out += _rec(0x0021 if module.kind == "standard" else 0x0022, b"")
        out += _rec(0x002B, b"")  # module terminator
    out += _rec(0x0010, b"")  # dir terminator
    return bytes(out)


def _project_stream(name: str, pid: str, modules: Sequence[Module], codepage: str) -> bytes:
    lines = [f'ID="{pid}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    seeds = _stream(f"perfsheet-vba-seeds:{name}".encode(), 6)
    # No protection (4 zero bytes), no password (one 0x00), project visible (0xFF).
    cmg = encrypt(struct.pack("<I", 0), pid, seeds[0], seeds[3:])
    dpb = encrypt(bytes([0x00]), pid, seeds[1], seeds[4:])
    gc = encrypt(bytes([0xFF]), pid, seeds[2], seeds[5:])
    lines += [
        f'Name="{name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{cmg}"',
        f'DPB="{dpb}"',
        f'GC="{gc}"',
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "[Workspace]",
    ]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in modules]
    return ("\r\n".join(lines) + "\r\n").encode(codepage)


def _project_wm(modules: Sequence[Module], codepage: str) -> bytes:
    out = bytearray()
    for module in modules:
        out += module.name.encode(codepage) + b"\x00"
        out += module.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def build_vba_project(
    name: str,
    modules: Sequence[Module],
    references: Sequence[Reference] = (STDOLE, OFFICE),
    codepage: str = "cp1252",
) -> bytes:
    """The bytes of a ``vbaProject.bin`` holding ``modules`` (order kept)."""
    seen: set[str] = set()
    for module in modules:
        key = module.name.upper()
        if key in seen:
            raise ValueError(f"duplicate VBA module name: {module.name}")
        seen.add(key)
    pid = project_id(name)
    root = Storage()
    root.add_stream("PROJECT", _project_stream(name, pid, modules, codepage))
    root.add_stream("PROJECTwm", _project_wm(modules, codepage))
    vba = root.add_storage("VBA")
    vba.add_stream("_VBA_PROJECT", bytes.fromhex("CC61FFFF000100"))
    vba.add_stream("dir", compress(_dir_stream(name, modules, references, codepage)))
    for module in modules:
        vba.add_stream(module.stream_name, compress(module.code.encode(codepage)))
    return write_compound_file(root)
